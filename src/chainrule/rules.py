"""How a primitive is declared: its forward, its derivative and the facts about it; the registry.

A primitive's derivative is declared in one of three ways, and everything else (its
JVP, its place in ``explain``, its tests) is derived from that one statement:

* ``elementwise(name, fwd, *derivatives)``: an elementwise map declared by its local
  derivative in each argument, ``d(ans, *args)`` (or a constant such as 1 or -1). The
  VJP is ``g * d`` and the JVP ``t * d``.
* ``primitive(..., linear=True)`` (linear in its first argument, the others being
  parameters) or ``multilinear=True`` (linear in each argument with the others held):
  the JVP is the primitive itself applied to the tangent. Only the VJP is written.
* ``primitive(...).defvjp(...)``: VJP rules written out; ``defjvp`` adds JVP rules where
  nothing derives them. The VJP rules of an ``elementwise=True`` or ``symmetric=True``
  primitive serve as its JVP rules (a diagonal or symmetric Jacobian is its own
  transpose).

Recording a call (chainrule.graph) and the reverse pass (chainrule.backward) read what
is declared here.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Concatenate, TypeVar, overload

import numpy as np

from . import graph
from .api_types import Params, TensorFunction

if TYPE_CHECKING:
    from .tensor import Tensor

Result = TypeVar("Result")


class Primitive:
    """A differentiable operation: NumPy forward, its derivative, and the facts about it.

    ``vjps[i](g, ans, *args, **kw)`` returns the cotangent of positional argument ``i``
    given the output cotangent ``g`` and the forward output ``ans``. In a first-order
    backward pass the rule sees NumPy arrays; with ``create_graph=True`` it sees tensors
    and is itself recorded, which is how one rule gives every order of derivative.
    ``jvps[i](t, ans, *args, **kw)`` pushes the tangent ``t`` of argument ``i`` forward;
    unless declared with :meth:`defjvp`, it is derived (see the module docstring).

    Facts that change how an operation is recorded or differentiated (``rewrite``,
    ``saves``, ``view``, ``strong_zero``) are properties: setting one updates the two
    flags the hot paths read (``_fast_record``, ``_guarded_backward``).
    """

    __slots__ = (
        "name",
        "fwd",
        "vjps",
        "jvps",
        "derivatives",
        "linear",
        "multilinear",
        "symmetric",
        "provenance",
        "log_form",
        "log1m_form",
        "differentiable",
        "elementwise",
        "domain",
        "statement",
        "batch",
        "doc",
        "_rewrite",
        "_saves",
        "_view",
        "_strong_zero",
        "_jvps_declared",
        # The declared local derivatives, for backward to apply in place of the rules:
        # per argument a callable d(ans, *args) or None for a derivative of 1 (the
        # cotangent passes through). None when some derivative is declared otherwise.
        "_inline",
        # No rewrite, no saved forward, no view: recording may take the short paths in
        # __call__ and binary_recorder instead of _apply.
        "_fast_record",
        # A saved forward or strong zeros: backward calls the rules the long way.
        "_guarded_backward",
        # Whether the rules read the output (chainrule.backward._reads_answer), found on
        # first need; None until then and again whenever the rules change.
        "_reads_answer",
        # For help() and editors: each primitive's own __doc__ and __signature__.
        "__dict__",
    )

    # Whether backward may keep this primitive's nodes (chainrule.backward._saves_nothing),
    # found on first need and kept in the instance's __dict__; this class default means
    # not yet known.
    _saves_nothing = None

    def __init__(self, name, fwd, doc=None):
        self.name = name
        self.fwd = fwd
        self.vjps = ()
        self.jvps = ()
        # Elementwise primitives: the local derivative in each argument (see elementwise()).
        self.derivatives = None
        # Linear in the first argument (the rest parameters) / in each argument separately.
        self.linear = False
        self.multilinear = False
        # The Jacobian in each argument is symmetric (diagonal, for elementwise maps), so
        # the VJP rules, applied to a tangent, are the JVP rules.
        self.symmetric = False
        # Optional predicate provenance(args) -> bool: when true, an output that is not
        # recorded keeps ``_source = (prim, args, kw, clock)`` so that rewrites also apply
        # under no_grad (log(softmax(x)) in an evaluation loop); chainrule.stability.
        self.provenance = None
        # The stable form of log(this primitive's output): log_form(*args, **kw) ->
        # replacement tensor, or None when it does not apply. log1m_form: the same for
        # log(1 - output). Read by chainrule.stability.stable_log, log's rewrite.
        self.log_form = None
        self.log1m_form = None
        self.differentiable = True
        # True for elementwise maps (tanh, exp, add, multiply, ...): the output has the
        # broadcast shape of the inputs and so has every cotangent a VJP rule returns.
        # Where that is already the input's shape (one input, or every other input a
        # Python number), backward skips the shape check of the rule's result.
        self.elementwise = False
        # Where the derivative can be checked: a chainrule.domains.Domain per argument
        # (elementwise primitives), or an example(rng) -> (args, kw) callable.
        self.domain = None
        # What the derivative says, as text and LaTeX: a chainrule.statements.Statement.
        self.statement = None
        # How to apply it to a batch of examples at once (cr.vmap): a rule of
        # chainrule.batching; None derives one (batching.rule_of).
        self.batch = None
        self.doc = doc or getattr(fwd, "__doc__", None)
        self._rewrite = None
        self._saves = False
        self._view = False
        self._strong_zero = False
        self._jvps_declared = False
        self._inline = None
        self._reads_answer = None
        self._refresh_flags()

    # -- facts the hot paths read through flags
    def _refresh_flags(self):
        self._fast_record = self._rewrite is None and not self._saves and not self._view
        self._guarded_backward = self._saves or self._strong_zero

    @property
    def rewrite(self):
        """Optional graph rewrite: rewrite(*args, **kw) -> replacement tensor or None.

        Runs before the forward on every call with tensors (chainrule.stability computes
        log(softmax(x)) as log_softmax(x) this way).
        """
        return self._rewrite

    @rewrite.setter
    def rewrite(self, fn):
        self._rewrite = fn
        self._refresh_flags()

    @property
    def saves(self):
        """True when the forward returns (output, saved): `saved` (NumPy values computed on
        the way, e.g. the softmax inside a fused cross-entropy) is kept on the node and
        handed to first-order VJP rules as the keyword ``saved``. Rules must also work
        with saved=None (create_graph=True, transforms), recomputing from the args."""
        return self._saves

    @saves.setter
    def saves(self, value):
        self._saves = bool(value)
        self._reads_answer = None
        self.__dict__.pop("_saves_nothing", None)  # (backward._saves_nothing, found again)
        self._refresh_flags()

    @property
    def view(self):
        """True when the forward may return a view of its first argument's buffer."""
        return self._view

    @view.setter
    def view(self, value):
        self._view = bool(value)
        self._refresh_flags()

    @property
    def strong_zero(self):
        """True for elementwise rules whose local derivative can be infinite (sqrt or log
        at 0, ...): there a zero cotangent gives an exactly zero gradient instead of
        0 * inf = NaN, so the untaken branch of a where() cannot poison the gradient."""
        return self._strong_zero

    @strong_zero.setter
    def strong_zero(self, value):
        self._strong_zero = bool(value)
        self._refresh_flags()

    # -- declaring the derivative
    def defvjp(self, *rules: Any) -> Primitive:
        """Attach VJP rules, one per positional argument; None marks 'no gradient'.

        For an ``elementwise`` or ``symmetric`` primitive the same rules also serve as
        its JVP rules, unless :meth:`defjvp` declares others.
        """
        self.vjps = _rule_table(rules)
        self._reads_answer = None
        self.__dict__.pop("_saves_nothing", None)  # (backward._saves_nothing, found again)
        # Rules declared after defderivatives() replace its derivative everywhere:
        # backward must not keep applying the inline form of the old one.
        self._inline = None
        if (self.elementwise or self.symmetric) and not self._jvps_declared:
            self.jvps = self.vjps
        return self

    def defjvp(self, *rules: Any) -> Primitive:
        """Attach JVP rules, one per positional argument; None marks 'no tangent'."""
        self.jvps = _rule_table(rules)
        self._jvps_declared = True
        return self

    def defderivatives(self, *derivatives: Any) -> Primitive:
        """Declare an elementwise map by its local derivative in each argument.

        Each entry is ``d(ans, *args, **kw)`` (an array or tensor that broadcasts
        against the output), a number (a constant derivative: 1 passes the cotangent
        through, -1 negates it) or None (no gradient for that argument). The VJP rule
        is ``g * d`` and the JVP rule ``t * d``, written out once here.
        """
        self.elementwise = True
        self.derivatives = derivatives
        rules = tuple(_times_derivative(d, len(derivatives)) for d in derivatives)
        inline = tuple(None if d == 1 else d for d in derivatives if d is not None)
        plain = len(inline) == len(derivatives) and all(
            d is None or (callable(d) and _plain_signature(d, len(derivatives))) for d in inline
        )
        self._inline = inline if plain else None
        self.vjps = rules
        self._reads_answer = None
        self.__dict__.pop("_saves_nothing", None)  # (backward._saves_nothing, found again)
        if not self._jvps_declared:
            self.jvps = rules
        return self

    def _derive_linear_jvps(self):
        """JVP rules of a linear or multilinear primitive: the primitive of the tangent."""
        if self.linear:
            self.jvps = (functools.partial(_linear_jvp, self),)
        elif self.multilinear:
            self.jvps = each_argument(functools.partial(_multilinear_jvp, self))

    # Recording: chainrule.graph.call_primitive, beside the general path (_apply) whose
    # common case it copies, reading the engine's flags as its own module globals.
    if TYPE_CHECKING:  # what a call gives, for type checkers: a Tensor in, a Tensor out

        @overload
        def __call__(self, x: Tensor, /, *rest: Any, **kw: Any) -> Tensor: ...
        @overload
        def __call__(self, x: Any, y: Tensor, /, *rest: Any, **kw: Any) -> Tensor: ...
        @overload
        def __call__(self, *args: Any, **kw: Any) -> Any: ...
        def __call__(self, *args: Any, **kw: Any) -> Any: ...
    else:
        __call__ = graph.call_primitive

    def __repr__(self):
        return f"<chainrule primitive {self.name}>"

    # A registered primitive is a global, as a function is: deep copies share it, and it
    # pickles as its name (its rules are lambdas), so tensors that refer to one (a view's
    # link, a node) can be copied and pickled. copy.copy makes a real copy.
    def __reduce_ex__(self, protocol):
        if REGISTRY.get(self.name) is self:
            return (registered, (self.name,))
        return object.__reduce_ex__(self, protocol)

    def __copy__(self):
        clone = object.__new__(type(self))
        for name in Primitive.__slots__:
            if hasattr(self, name):
                object.__setattr__(clone, name, getattr(self, name))
        return clone

    def __deepcopy__(self, memo):
        return self if REGISTRY.get(self.name) is self else self.__copy__()


class each_argument:
    """VJP or JVP rules of a variadic primitive: ``rule(i, g, ans, *args, **kw)`` for argument i."""

    __slots__ = ("rule",)

    def __init__(self, rule):
        self.rule = rule

    def __len__(self):
        return sys.maxsize

    def __getitem__(self, i):
        return functools.partial(self.rule, i)


def _rule_table(rules):
    if len(rules) == 1 and isinstance(rules[0], each_argument):
        return rules[0]
    return rules


def _linear_jvp(prim, t, ans, x, *params, **kw):
    return prim(t, *params, **kw)


def _multilinear_jvp(prim, i, t, ans, *args, **kw):
    return prim(*args[:i], t, *args[i + 1 :], **kw)


def _times_derivative(d, arity):
    """The rule v -> v * d (v a cotangent or a tangent) for a declared local derivative."""
    if d is None:
        return None
    if not callable(d):
        # A constant derivative: 1 passes v through, -1 negates it, anything else scales.
        if d == 1:
            return _pass_through[arity] if arity in _pass_through else lambda v, ans, *a, **k: v
        if d == -1:
            return _negated[arity] if arity in _negated else lambda v, ans, *a, **k: -v
        return lambda v, ans, *a, **k: v * d
    # Rules for one and two arguments without keywords are written out: packing *args or
    # **kw for every call would cost every elementwise operation in backward.
    plain = _plain_signature(d, arity)
    if plain and arity == 1:
        rule = lambda v, ans, x: v * d(ans, x)  # noqa: E731
    elif plain and arity == 2:
        rule = lambda v, ans, x, y: v * d(ans, x, y)  # noqa: E731
    else:
        rule = lambda v, ans, *args, **kw: v * d(ans, *args, **kw)  # noqa: E731
    rule.derivative = d  # (what backward reads to tell whether the rule needs ans)
    return rule


def _plain_signature(d, arity):
    """True when derivative `d` takes exactly (ans, *args), positionally, no keywords."""
    try:
        params = list(inspect.signature(d).parameters.values())
    except (TypeError, ValueError):  # a callable without a signature
        return False
    return len(params) == arity + 1 and all(
        p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
        for p in params
    )


_pass_through = {1: lambda v, ans, x: v, 2: lambda v, ans, x, y: v}
_negated = {1: lambda v, ans, x: -v, 2: lambda v, ans, x, y: -v}


# Every primitive by name (for `explain`, the op database and the engine's own lookups),
# and those whose outputs are never differentiable (comparisons, sign, argmax, ...).
REGISTRY: dict[str, Primitive] = graph.REGISTRY
NONDIFFERENTIABLE: dict[str, Primitive] = graph.NONDIFFERENTIABLE

_FACTS = (
    "view",
    "saves",
    "elementwise",
    "linear",
    "multilinear",
    "symmetric",
    "strong_zero",
    "rewrite",
    "provenance",
    "log_form",
    "log1m_form",
    "domain",
    "statement",
    "batch",
)


def registered(name):
    """The registered primitive called `name`."""
    return REGISTRY[name]


def primitive(
    name: str, fwd: Callable[..., Any], doc: str | None = None, *, replace: bool = False,
    **facts: Any,
) -> Primitive:
    """Create and register a differentiable primitive.

    Facts about it, declared here once:

    * ``view=True``: the forward may return a view of its first argument (reshape,
      transpose, basic indexing); in-place writes through the result then count as
      writes to that argument.
    * ``saves=True``: the forward returns ``(output, saved)`` and first-order VJP rules
      receive ``saved=`` (see Primitive.saves).
    * ``elementwise=True``: an elementwise map whose VJP rules return cotangents of the
      output's shape (``g`` times something that broadcasts to it); they also serve as
      its JVP rules, and backward skips the shape check of a rule's result where the
      output has the input's shape.
    * ``linear=True``: linear in the first argument, the others are parameters;
      ``multilinear=True``: linear in each argument with the others held (matmul). The
      JVP is then the primitive applied to the tangent.
    * ``symmetric=True``: the Jacobian in each argument is symmetric (softmax's, or
      where's diagonal one), so the VJP rules serve as JVP rules.
    * ``strong_zero=True``: the local derivative can be infinite at a finite input; a
      zero cotangent then gives an exactly zero gradient (see Primitive.strong_zero).
    * ``rewrite``, ``provenance``, ``log_form``, ``log1m_form``: the stability layer's
      hooks (chainrule.stability).
    * ``domain``, ``statement``: where the derivative is checked and what it says
      (chainrule.domains, chainrule.statements), read by explain and the tests.
    * ``batch``: its batching rule for ``cr.vmap`` (chainrule.batching); elementwise
      primitives need none.

    A name is registered once; ``replace=True`` replaces an earlier primitive of the same
    name (re-running a notebook cell that defines one).
    """
    if name in REGISTRY and not replace:
        raise ValueError(
            f"primitive {name!r} is already registered; pick another name, or pass "
            f"replace=True to replace it"
        )
    p = Primitive(name, fwd, doc)
    for key, value in facts.items():
        if key not in _FACTS:
            raise TypeError(f"primitive: unknown fact {key!r}; known: {', '.join(_FACTS)}")
        setattr(p, key, value)
    if p.linear or p.multilinear:
        p._derive_linear_jvps()
    p.__signature__ = _signature(p)
    p.__doc__ = _docstring(p)
    REGISTRY[name] = p
    NONDIFFERENTIABLE.pop(name, None)
    return p


def elementwise(
    name: str, fwd: Callable[..., Any], *derivatives: Any, doc: str | None = None,
    replace: bool = False, **facts: Any,
) -> Primitive:
    """Create and register an elementwise primitive declared by its local derivatives.

    ``derivatives`` holds one entry per positional argument (see
    :meth:`Primitive.defderivatives`): ``tanh = elementwise("tanh", np.tanh,
    lambda ans, x: 1.0 - ans * ans)``.
    """
    p = primitive(name, fwd, doc, replace=replace, elementwise=True, **facts)
    p.defderivatives(*derivatives)
    p.__signature__ = _signature(p)
    return p


def _signature(p):
    """The call signature users see: the forward's, or x (x1, x2, ...) for a NumPy ufunc."""
    if not isinstance(p.fwd, np.ufunc):
        try:
            return inspect.signature(p.fwd)
        except (TypeError, ValueError):
            pass
    n = len(p.derivatives) if p.derivatives else getattr(p.fwd, "nin", 1)
    names = ["x"] if n == 1 else [f"x{i + 1}" for i in range(n)]
    return inspect.Signature(
        [inspect.Parameter(a, inspect.Parameter.POSITIONAL_ONLY) for a in names]
    )


def _docstring(p):
    """What help() shows: the declared doc, then what the derivative says."""
    parts = [f"{p.name}{p.__signature__}"]
    doc = p.doc if p.doc and not isinstance(p.fwd, np.ufunc) else None
    if doc and not doc.startswith("<lambda>"):
        parts.append(inspect.cleandoc(doc))
    st = p.statement
    if st is not None:
        parts.append(f"Computes {st.forward}.")
        if p.differentiable:
            parts.append(f"Derivative (the vector-Jacobian product, g the output's "
                         f"cotangent): {st.vjp}.")
            if st.jacobian:
                parts.append(f"Jacobian: {st.jacobian}.")
        else:
            parts.append("No gradient: the result is piecewise constant (or not real).")
    parts.append(
        f'cr.explain("{p.name}") prints this, with LaTeX, and checks the derivative '
        f"against finite differences."
    )
    return "\n\n".join(parts)


def nondifferentiable(
    name: str, fwd: Callable[..., Any], doc: str | None = None, **facts: Any
) -> Primitive:
    """Create and register a primitive whose output carries no gradient."""
    p = primitive(name, fwd, doc, **facts)
    p.differentiable = False
    NONDIFFERENTIABLE[name] = p
    return p


def composite(
    fn: Callable[Concatenate[Any, Params], Result],
) -> TensorFunction[Params, Result]:
    """Decorator for a function composed of primitives: NumPy's array_like arguments.

    A list or tuple argument holding tensors is stacked into one tensor on the graph
    before `fn` runs (graph.array_like), so ``cr.mean([x, x + 2])`` differentiates
    through both, as the primitives themselves do. Functions that take a sequence of
    arrays by design (concatenate, stack) are not composites in this sense.
    """

    @functools.wraps(fn)
    def call(*args, **kw):
        for a in args:
            if type(a) in _SEQUENCES:
                args = tuple(graph.array_like(b) for b in args)
                break
        for k, v in kw.items():
            if type(v) in _SEQUENCES and graph.holds_tensor(v):
                kw[k] = graph.array_like(v)
        return fn(*args, **kw)

    return call


_SEQUENCES = graph._SEQUENCES
