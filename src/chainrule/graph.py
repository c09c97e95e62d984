"""The data model of the computation graph: tensors as nodes, grad mode, primitives, recording.

Every differentiable operation in chainrule is a :class:`Primitive`: a NumPy forward
function plus its derivative, declared once where the primitive is defined. Calling a
primitive on plain NumPy values just runs NumPy; calling it on tensors that require
grad records the output tensor as a graph node that keeps references to its inputs.
The reverse pass that walks those nodes lives in :mod:`chainrule.backward`.

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

Hooks (forward mode, anomaly mode) are installed through :func:`set_forward_hook` and
:func:`set_anomaly_hooks`; each costs one ``None`` check per operation when unused.
"""

from __future__ import annotations

import functools
import inspect
import sys
import weakref

import numpy as np

# --------------------------------------------------------------------------- state
# Module-level flags rather than thread-locals: each check is one global lookup on
# the per-operation hot path (docs/api.md: grad mode is process-wide).
_grad_enabled = True
# Anomaly mode (chainrule.anomaly): a callable checking each new output, and one
# checking each gradient that backward computes.
_anomaly_hook = None
_anomaly_grad_hook = None
# Forward mode (chainrule.transforms.jvp): a callable that propagates tangents through
# each recorded operation.
_forward_hook = None
# Class of the tensors that primitives create; set once by chainrule.tensor.
_tensor_type = None


def set_forward_hook(hook):
    """Install the forward-mode hook ``hook(t, prim, args, vals, kw)`` (None: off).

    Called after every operation on tensors while installed. Returns the previous hook,
    so a caller can restore it.
    """
    global _forward_hook
    prev = _forward_hook
    _forward_hook = hook
    return prev


def forward_hook():
    """The installed forward-mode hook, or None."""
    return _forward_hook


def set_anomaly_hooks(output_check, gradient_check):
    """Install anomaly mode's checks (None, None: off); returns the previous pair.

    ``output_check(t, prim, args)`` sees every new output; ``gradient_check(g, node, i)``
    every gradient the backward pass sends to argument ``i`` of ``node``.
    """
    global _anomaly_hook, _anomaly_grad_hook
    prev = (_anomaly_hook, _anomaly_grad_hook)
    _anomaly_hook, _anomaly_grad_hook = output_check, gradient_check
    return prev


def anomaly_hooks():
    """The installed anomaly checks (output check, gradient check)."""
    return _anomaly_hook, _anomaly_grad_hook


class TensorBase:
    """Graph-facing part of a tensor: its value, its gradient, and the node that made it.

    `chainrule.Tensor` extends this with operators and NumPy-style methods. A tensor
    created by a recorded operation *is* the graph node: ``_prim`` is the primitive,
    ``_args`` its positional inputs (tensors or constants), ``_vals`` the arrays the
    forward saw, ``_kw`` its static keyword arguments and ``_seq`` its creation time on
    the graph clock (which in-place modifications advance too).
    Leaves and untracked tensors set only ``data``, ``requires_grad`` and ``_prim``.
    """

    # Slots for what every recorded operation writes; rarely-set attributes live in
    # the (lazily allocated) instance __dict__ with class-level defaults, so creating a
    # tensor costs as few attribute writes as possible.
    __slots__ = (
        "data",
        "requires_grad",
        "_prim",
        "_args",
        "_vals",
        "_kw",
        "_seq",
        "__dict__",
        "__weakref__",
    )

    grad = None
    _version = 0  # bumped by every in-place modification
    _modified_at = -1  # graph clock at the last in-place modification
    _aliases = None  # tensors sharing this buffer (detach()), modified together
    _watch = None  # weak reference to the tensor a provenance stand-in was made from
    _retain = False  # keep .grad on a non-leaf (retain_grad())
    _tangent = None  # forward-mode tangents, one per level
    _origin = None  # where the op was created (anomaly mode only)
    # (primitive, args, kw, graph clock) of an unrecorded output: Primitive.provenance
    _source = None
    # What a `saves` primitive's forward kept for its first-order VJP (Primitive.saves)
    _saved = None
    # The tensor whose buffer this one views (set on views only). A class default, not a
    # slot: an unset slot makes getattr(t, "_view_of", None) raise and catch inside, and
    # in-place checks and the stability layer's producer lookups walk this link often.
    _view_of = None

    __hash__ = object.__hash__


def is_tensor(x):
    return isinstance(x, TensorBase)


def is_traced(x):
    """True for a tensor being differentiated: it requires grad or carries a live tangent."""
    if not isinstance(x, TensorBase):
        return False
    return x.requires_grad or (x._tangent is not None and _forward_hook is not None)


def set_tensor_type(cls):
    """Register the class that primitives instantiate for their outputs."""
    global _tensor_type
    _tensor_type = cls


# The graph clock: advanced by every recorded operation (whose output keeps the time as
# its creation number ``_seq``) and by every in-place modification (kept as the
# tensor's ``_modified_at``). Consumers are always numbered after their inputs, so
# decreasing ``_seq`` is a reverse topological order; an input modified after a node
# was recorded has ``_modified_at > node._seq``. If no modification at all happened
# since a node was recorded (``_last_modified < node._seq``), backward skips the
# per-input check. (A global int is cheaper to bump than an itertools.count.)
_clock = 0
_last_modified = 0
# True once any tensor asked for retain_grad(): spares the check on every node otherwise.
_any_retained = False


def mark_modified(t):
    """Record that tensor `t` was modified in place (bumps its version and its aliases')."""
    global _clock, _last_modified
    _clock += 1
    _last_modified = _clock
    # Writing through a view writes into the tensors it views (a[0:2] += 1 changes a).
    while t is not None:
        for u in t._aliases if t._aliases is not None else (t,):
            u._version += 1
            u._modified_at = _clock
        t = t._view_of


def modified_since(t, clock):
    """True if `t`, or a tensor whose buffer it views, was modified in place after `clock`."""
    while t is not None:
        if t._modified_at > clock:
            return True
        t = t._view_of
    return False


def share_versions(t, alias):
    """Make `alias` (a tensor over the same buffer as `t`) share t's in-place history."""
    group = t._aliases
    if group is None:
        group = t._aliases = weakref.WeakSet((t,))
    group.add(alias)
    alias._aliases = group
    alias._version = t._version
    alias._modified_at = t._modified_at


def mark_retained(t):
    """Keep the gradient of non-leaf `t` in ``t.grad`` after backward()."""
    global _any_retained
    _any_retained = True
    t._retain = True


def new_tensor(data, requires_grad=False):
    """Make a tensor around an ndarray without copying it or checking it."""
    t = _object_new(_tensor_type)
    t.data = data
    t.requires_grad = requires_grad
    t._prim = None
    return t


_object_new = object.__new__


# ------------------------------------------------------------------------ grad mode
def is_grad_enabled():
    """Whether operations on tensors that require grad are being recorded."""
    return _grad_enabled


class set_grad_enabled:
    """Context manager (and decorator) that turns recording on or off."""

    def __init__(self, mode):
        self.mode = bool(mode)
        self.prev = None

    def __enter__(self):
        global _grad_enabled
        self.prev = _grad_enabled
        _grad_enabled = self.mode
        return self

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self.prev
        return False

    def __call__(self, fn):
        mode = self.mode

        def wrapped(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        wrapped.__name__ = getattr(fn, "__name__", "wrapped")
        wrapped.__doc__ = getattr(fn, "__doc__", None)
        return wrapped


class no_grad(set_grad_enabled):
    """Record nothing inside this block: results do not require grad and cost no graph.

    Also a decorator, with or without parentheses: ``@no_grad`` or ``@no_grad()``.
    """

    def __new__(cls, fn=None):
        if fn is not None:
            return set_grad_enabled(False)(fn)
        return super().__new__(cls)

    def __init__(self, fn=None):
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Record operations inside this block even within `no_grad`."""

    def __init__(self):
        super().__init__(True)


# ------------------------------------------------------------------------ primitives
_NOTHING = object()  # no positional argument given


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
    )

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
        self.doc = doc or getattr(fwd, "__doc__", None)
        self._rewrite = None
        self._saves = False
        self._view = False
        self._strong_zero = False
        self._jvps_declared = False
        self._inline = None
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
    def defvjp(self, *rules):
        """Attach VJP rules, one per positional argument; None marks 'no gradient'.

        For an ``elementwise`` or ``symmetric`` primitive the same rules also serve as
        its JVP rules, unless :meth:`defjvp` declares others.
        """
        self.vjps = _rule_table(rules)
        if (self.elementwise or self.symmetric) and not self._jvps_declared:
            self.jvps = self.vjps
        return self

    def defjvp(self, *rules):
        """Attach JVP rules, one per positional argument; None marks 'no tangent'."""
        self.jvps = _rule_table(rules)
        self._jvps_declared = True
        return self

    def defderivatives(self, *derivatives):
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
        if not self._jvps_declared:
            self.jvps = rules
        return self

    def _derive_linear_jvps(self):
        """JVP rules of a linear or multilinear primitive: the primitive of the tangent."""
        if self.linear:
            self.jvps = (functools.partial(_linear_jvp, self),)
        elif self.multilinear:
            self.jvps = each_argument(functools.partial(_multilinear_jvp, self))

    def __call__(self, x=_NOTHING, /, *rest, **kw):
        # (x is positional-only, so a forward may take a keyword argument named x.)
        if rest or kw or x is _NOTHING:
            if len(rest) == 1 and not kw:
                y = rest[0]
                if isinstance(x, TensorBase) or isinstance(y, TensorBase):
                    # The module-level two-argument recorder, with this primitive as its
                    # third argument: the operator recorders' code without a closure.
                    return _record_two(x, y, self)
                out = self.fwd(x, y)
                return out[0] if self._saves else out
            args = (x, *rest) if x is not _NOTHING else rest
            for a in args:
                if isinstance(a, TensorBase):
                    return _apply(self, args, kw)
            # Plain NumPy values (a first-order rule calling cos(x), say): just NumPy.
            out = self.fwd(*args, **kw) if kw else self.fwd(*args)
            return out[0] if self._saves else out
        if not isinstance(x, TensorBase):
            out = self.fwd(x)
            return out[0] if self._saves else out
        # One tensor, no options (tanh(x)): _apply's steps without its argument loop.
        # (A measured copy of _apply's node set-up, kept in step by tests/test_fast_paths.py:
        # a shared helper costs a Python call per operation.) Rewrites, saved forwards,
        # views, forward mode and anomaly mode take _apply.
        if not self._fast_record or _forward_hook is not None or _anomaly_hook is not None:
            return _apply(self, (x,), _NO_KW)
        xd = x.data
        try:
            out = self.fwd(xd)
        except ValueError as e:
            if not str(e).startswith(self.name + ":"):
                raise _forward_error(self, e, (x,)) from None
            raise
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        t = _object_new(_tensor_type)
        t.data = out
        if x.requires_grad and _grad_enabled and self.differentiable:
            t.requires_grad = True
            t._prim = self
            t._args = (x,)
            t._vals = (xd,)
            t._kw = _NO_KW
            global _clock
            _clock += 1
            t._seq = _clock
        else:
            t.requires_grad = False
            t._prim = None
            if self.provenance is not None and self.provenance((x,)):
                t._source = (self, _standins((x,), 2), _NO_KW, _clock)
        return t

    def __repr__(self):
        return f"<chainrule primitive {self.name}>"


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
        return lambda v, ans, x: v * d(ans, x)
    if plain and arity == 2:
        return lambda v, ans, x, y: v * d(ans, x, y)
    return lambda v, ans, *args, **kw: v * d(ans, *args, **kw)


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


# Primitives whose outputs are never differentiable (comparisons, sign, argmax, ...).
NONDIFFERENTIABLE: dict[str, Primitive] = {}
# Every primitive by name, for `explain` and for the "every rule is checked" tests.
REGISTRY: dict[str, Primitive] = {}

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
)


def primitive(name, fwd, doc=None, *, replace=False, **facts):
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
    REGISTRY[name] = p
    NONDIFFERENTIABLE.pop(name, None)
    return p


def elementwise(name, fwd, *derivatives, doc=None, replace=False, **facts):
    """Create and register an elementwise primitive declared by its local derivatives.

    ``derivatives`` holds one entry per positional argument (see
    :meth:`Primitive.defderivatives`): ``tanh = elementwise("tanh", np.tanh,
    lambda ans, x: 1.0 - ans * ans)``.
    """
    p = primitive(name, fwd, doc, replace=replace, elementwise=True, **facts)
    return p.defderivatives(*derivatives)


def nondifferentiable(name, fwd, doc=None, **facts):
    """Create and register a primitive whose output carries no gradient."""
    p = primitive(name, fwd, doc, **facts)
    p.differentiable = False
    NONDIFFERENTIABLE[name] = p
    return p


# ------------------------------------------------------------------------ recording
def _shapes(args):
    return ", ".join(str(np.shape(a.data if isinstance(a, TensorBase) else a)) for a in args)


def _forward_error(prim, e, args):
    """A forward's ValueError that does not name its primitive, named, with the shapes."""
    return ValueError(f"{prim.name}: {e} (argument shapes: {_shapes(args)})")


def _apply(prim, args, kw):
    """Run a primitive on arguments of which at least one is a tensor; record if needed.

    The reference recording path: every case (rewrites, list and array constants, saved
    forwards, views, provenance, forward and anomaly mode) is handled here.
    ``Primitive.__call__`` (one tensor, no options) and :func:`binary_recorder` (two
    arguments, no options) are measured copies of its common case, pinned to it by
    tests/test_fast_paths.py.
    """
    if prim._rewrite is not None:
        out = prim._rewrite(*args, **kw)
        if out is not None:
            return out
    vals = []
    needs_grad = False
    constants = False
    for a in args:
        if isinstance(a, TensorBase):
            vals.append(a.data)
            if a.requires_grad:
                needs_grad = True
        else:
            kind = type(a)
            if (kind is list or kind is tuple) and prim.elementwise:
                # x + [1.0, 2.0]: the numbers are an array operand, which (below) takes
                # the tensors' float dtype like any array constant.
                if any(isinstance(e, TensorBase) and e.requires_grad for e in a):
                    raise TypeError(
                        f"{prim.name}: a list operand holding tensors that require grad "
                        f"would pass them no gradient; combine them with cr.stack([...]) "
                        f"first"
                    )
                a = np.asarray(a)
                kind = np.ndarray
            vals.append(a)
            if kind is not float and kind is not int and (
                kind is np.ndarray or isinstance(a, np.generic)
            ):
                constants = True
    if constants:
        _match_constants(args, vals)
        # The node keeps the constants the forward saw: rules read them from the
        # arguments under create_graph=True and in forward mode.
        args = tuple(a if isinstance(a, TensorBase) else v for a, v in zip(args, vals))
    try:
        out = prim.fwd(*vals, **kw) if kw else prim.fwd(*vals)
    except ValueError as e:
        if not str(e).startswith(prim.name + ":"):
            raise _forward_error(prim, e, args) from None
        raise
    saved = None
    if type(out) is not np.ndarray:
        if prim._saves:
            out, saved = out
        out = np.asarray(out)
    t = _object_new(_tensor_type)
    t.data = out
    if needs_grad and _grad_enabled and prim.differentiable:
        if saved is not None:
            t._saved = saved
        t.requires_grad = True
        t._prim = prim
        t._args = args
        t._vals = vals
        t._kw = kw
        global _clock
        _clock += 1
        t._seq = _clock
    else:
        t.requires_grad = False
        t._prim = None
        if prim.provenance is not None and prim.provenance(args):
            # Inside a forward-mode transform the inputs themselves are kept: their
            # tangents must follow a rewrite, and the transform bounds their lifetime.
            links = args if _forward_hook is not None else _standins(args, 2)
            t._source = (prim, links, kw, _clock)
    if prim._view and out.base is not None:
        t._view_of = args[0]
    if _forward_hook is not None:
        _forward_hook(t, prim, args, vals, kw)
    if _anomaly_hook is not None:
        _anomaly_hook(t, prim, args)
    return t


def binary_recorder(prim, reflected=False):
    """The recorder of a two-argument call of `prim` without keywords (x * 1.5, x + y).

    Returns ``f(x, y)``, which does _apply's steps for ``prim(x, y)`` (``prim(y, x)``
    when `reflected`: Tensor.__rmul__ and friends) without the argument loop. Tensor
    operators are such functions, so an operator costs one Python call; ``prim(x, y)``
    calls :data:`_record_two` with the primitive as third argument. Constants that are
    NumPy arrays or scalars (they may need the tensors' dtype) take the general path, as
    do the cases listed in Primitive.__call__.
    """

    def record(x, y, prim=prim):
        if reflected:
            a = y
            b = x
        else:
            a = x
            b = y
        if not prim._fast_record or _forward_hook is not None or _anomaly_hook is not None:
            return _apply(prim, (a, b), _NO_KW)
        grad = False
        if isinstance(a, TensorBase):
            ad = a.data
            grad = a.requires_grad
        else:
            kind = type(a)
            if kind is not float and kind is not int:
                return _apply(prim, (a, b), _NO_KW)
            ad = a
        if isinstance(b, TensorBase):
            bd = b.data
            if b.requires_grad:
                grad = True
        else:
            kind = type(b)
            if kind is not float and kind is not int:
                return _apply(prim, (a, b), _NO_KW)
            bd = b
        try:
            out = prim.fwd(ad, bd)
        except ValueError as e:
            if not str(e).startswith(prim.name + ":"):
                raise _forward_error(prim, e, (a, b)) from None
            raise
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        t = _object_new(_tensor_type)
        t.data = out
        if grad and _grad_enabled and prim.differentiable:
            t.requires_grad = True
            t._prim = prim
            t._args = (a, b)
            t._vals = (ad, bd)
            t._kw = _NO_KW
            global _clock
            _clock += 1
            t._seq = _clock
        else:
            t.requires_grad = False
            t._prim = None
            if prim.provenance is not None and prim.provenance((a, b)):
                t._source = (prim, _standins((a, b), 2), _NO_KW, _clock)
        return t

    name = "record" if prim is None else prim.name
    record.__name__ = f"{name}_reflected" if reflected else name
    return record


# prim(x, y) for any primitive: _record_two(x, y, prim). One recorder shared by every
# primitive, its `prim` default overridden by the caller (Primitive.__call__).
_record_two = binary_recorder(None)

# Shared and never mutated: the keyword arguments of a call that passed none.
_NO_KW = {}


def _standins(args, depth):
    """Arguments for a provenance link that do not keep the argument tensors alive.

    Each tensor becomes a tensor over the same array that watches the original through
    a weak reference (for in-place checks) and carries the original's own provenance
    `depth - 1` levels further, so chains of unrecorded operations never pin each
    other's inputs.
    """
    out = []
    for a in args:
        if isinstance(a, TensorBase):
            s = new_tensor(a.data)
            s._watch = weakref.ref(a)
            src = a._source
            if depth > 1 and src is not None:
                s._source = (src[0], _standins(src[1], depth - 1), src[2], src[3])
            out.append(s)
        else:
            out.append(a)
    return tuple(out)


def _match_constants(args, vals):
    # Constants adopt the tensors' float dtype: a float64 array or np.float64 scalar
    # must not silently turn float32 work into float64 work.
    float_dtype = None
    for a in args:
        if isinstance(a, TensorBase) and a.data.dtype.kind == "f":
            float_dtype = a.data.dtype
            break
    if float_dtype is None:
        return
    for i, v in enumerate(vals):
        if type(v) is np.ndarray or isinstance(v, np.generic):
            if v.dtype != float_dtype and v.dtype.kind in "fiu":
                vals[i] = v.astype(float_dtype)
