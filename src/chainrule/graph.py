"""The computation graph: grad mode, primitives and their recording, and the backward pass.

Every differentiable operation in chainrule is a :class:`Primitive`: a NumPy forward
function plus one vector-Jacobian product (VJP) rule per differentiable argument,
written in chainrule's own operations so that the same rule serves gradients of
every order. Calling a primitive on plain NumPy values just runs NumPy; calling it
on tensors that require grad records the output tensor as a graph node that keeps
references to its inputs. :func:`backward` walks those nodes in reverse
topological order, iteratively, with a node -> gradient map.
"""

from __future__ import annotations

import functools
import heapq
import sys
import warnings
import weakref

import numpy as np

# --------------------------------------------------------------------------- state
# Module-level flags rather than thread-locals: each check is one global lookup on
# the per-operation hot path.
_grad_enabled = True
# Set by chainrule.stability.detect_anomaly: a callable checking each new output, and
# one checking each gradient that backward computes.
_anomaly_hook = None
_anomaly_grad_hook = None
# Set by forward-mode differentiation (chainrule.transforms.jvp): a callable that
# propagates tangents through each recorded operation.
_forward_hook = None
# Class of the tensors that primitives create; set once by chainrule.tensor.
_tensor_type = None


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
    _tangent = None  # forward-mode tangent
    _origin = None  # where the op was created (anomaly mode only)
    # (primitive, args, kw, graph clock) of an unrecorded output: Primitive.provenance
    _source = None
    # What a `saves` primitive's forward kept for its first-order VJP (Primitive.saves)
    _saved = None
    # The tensor whose buffer this one views (set on views only). A class default, not a
    # slot: an unset slot makes getattr(t, "_view_of", None) raise and catch inside, and
    # in-place checks and stability's producer lookups walk this link on every call.
    _view_of = None

    __hash__ = object.__hash__


def is_tensor(x):
    return isinstance(x, TensorBase)


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
# per-input check. (A global int bumped in _apply costs less than an itertools.count.)
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
    """A differentiable operation: NumPy forward, one VJP rule per argument, JVP rules.

    ``vjps[i](g, ans, *args, **kw)`` returns the cotangent of positional argument ``i``
    given the output cotangent ``g`` and the forward output ``ans``. In a first-order
    backward pass the rule sees NumPy arrays; with ``create_graph=True`` it sees tensors
    and is itself recorded, which is how one rule gives every order of derivative.
    ``jvps[i](t, ans, *args, **kw)`` pushes the tangent ``t`` of argument ``i`` forward.
    """

    __slots__ = (
        "name",
        "fwd",
        "vjps",
        "jvps",
        "rewrite",
        "provenance",
        "strong_zero",
        "differentiable",
        "view",
        "saves",
        "elementwise",
        "explanation",
        "doc",
        "_plain",  # no rewrite, no saved forward, no view: recording takes the short path
        "_special",  # a saved forward or strong zeros: backward calls the rules the long way
    )

    def __init__(self, name, fwd, doc=None):
        self.name = name
        self.fwd = fwd
        self.vjps = ()
        self.jvps = ()
        # Optional graph rewrite: rewrite(*args, **kw) -> replacement tensor or None.
        # Used by chainrule.stability to compute e.g. log(softmax(x)) as log_softmax(x).
        self.rewrite = None
        # Optional predicate provenance(args) -> bool: when true, an output that is not
        # recorded keeps ``_source = (prim, args, kw, clock)`` so that rewrites also apply
        # under no_grad (log(softmax(x)) in an evaluation loop).
        self.provenance = None
        # True for elementwise rules whose local derivative can be infinite (sqrt or log
        # at 0, ...): there a zero cotangent gives an exactly zero gradient instead of
        # 0 * inf = NaN, so the untaken branch of a where() cannot poison the gradient.
        self.strong_zero = False
        self.differentiable = True
        # True when the forward may return a view of its first argument's buffer.
        self.view = False
        # True when the forward returns (output, saved): `saved` (NumPy values computed
        # on the way, e.g. the softmax inside a fused cross-entropy) is kept on the node
        # and handed to first-order VJP rules as the keyword ``saved``. Rules must also
        # work with saved=None (create_graph=True, transforms), recomputing from the args.
        self.saves = False
        # True for elementwise maps (tanh, exp, add, multiply, ...): the output has the
        # broadcast shape of the inputs and so has every cotangent a VJP rule returns.
        # Where that is already the input's shape (one input, or every other input a
        # Python number), backward skips the shape check of the rule's result.
        self.elementwise = False
        self.explanation = None
        self.doc = doc or getattr(fwd, "__doc__", None)

    def __setattr__(self, name, value):
        object.__setattr__(self, name, value)
        if name in ("rewrite", "saves", "view", "strong_zero"):
            saves = getattr(self, "saves", False)
            plain = (
                getattr(self, "rewrite", None) is None
                and not saves
                and not getattr(self, "view", False)
            )
            object.__setattr__(self, "_plain", plain)
            object.__setattr__(self, "_special", saves or getattr(self, "strong_zero", False))

    def defvjp(self, *rules):
        """Attach VJP rules, one per positional argument; None marks 'no gradient'."""
        self.vjps = _rule_table(rules)
        return self

    def defjvp(self, *rules):
        """Attach JVP rules, one per positional argument; None marks 'no tangent'."""
        self.jvps = _rule_table(rules)
        return self

    def __call__(self, x=_NOTHING, /, *rest, **kw):
        # (x is positional-only, so a forward may take a keyword argument named x.)
        if rest or kw or x is _NOTHING:
            if len(rest) == 1 and not kw:
                y = rest[0]
                if isinstance(x, TensorBase) or isinstance(y, TensorBase):
                    return _record_two(x, y, self)
                out = self.fwd(x, y)
                return out[0] if self.saves else out
            args = (x, *rest) if x is not _NOTHING else rest
            for a in args:
                if isinstance(a, TensorBase):
                    return _apply(self, args, kw)
            # Plain NumPy values (a first-order rule calling cos(x), say): just NumPy.
            out = self.fwd(*args, **kw) if kw else self.fwd(*args)
            return out[0] if self.saves else out
        if not isinstance(x, TensorBase):
            out = self.fwd(x)
            return out[0] if self.saves else out
        # One tensor, no options (tanh(x)): _apply's steps without its argument loop.
        # Rewrites, saved forwards, views, forward mode and anomaly mode take _apply.
        if not self._plain or _forward_hook is not None or _anomaly_hook is not None:
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


# Primitives whose outputs are never differentiable (comparisons, sign, argmax, ...).
NONDIFFERENTIABLE: dict[str, Primitive] = {}
# Every primitive by name, for `explain` and for the "every rule is checked" tests.
REGISTRY: dict[str, Primitive] = {}


def primitive(name, fwd, doc=None, view=False, saves=False, elementwise=False):
    """Create and register a differentiable primitive.

    ``view=True`` declares that the forward may return a view of its first argument
    (reshape, transpose, basic indexing): in-place writes through the result then count
    as writes to that argument. ``saves=True``: the forward returns ``(output, saved)``
    and first-order VJP rules receive ``saved=`` (see Primitive.saves).
    ``elementwise=True`` declares an elementwise map whose VJP rules return cotangents
    of the output's shape (``g`` times something that broadcasts to it): backward then
    skips the shape check of a rule's result where the output has the input's shape
    (see Primitive.elementwise), about 4% of a small operation's cost.
    """
    if name in REGISTRY:
        raise ValueError(f"primitive {name!r} is already registered")
    p = Primitive(name, fwd, doc)
    p.view = view
    p.saves = saves
    p.elementwise = elementwise
    REGISTRY[name] = p
    return p


def nondifferentiable(name, fwd, doc=None):
    """Create and register a primitive whose output carries no gradient."""
    p = primitive(name, fwd, doc)
    p.differentiable = False
    NONDIFFERENTIABLE[name] = p
    return p


def _shapes(args):
    return ", ".join(str(np.shape(a.data if isinstance(a, TensorBase) else a)) for a in args)


def _forward_error(prim, e, args):
    """A forward's ValueError that does not name its primitive, named, with the shapes."""
    return ValueError(f"{prim.name}: {e} (argument shapes: {_shapes(args)})")


def _apply(prim, args, kw):
    """Run a primitive on arguments of which at least one is a tensor; record if needed.

    This is the per-operation hot path: one pass over the arguments, no allocation
    beyond the output tensor and its argument list.
    """
    if prim.rewrite is not None:
        out = prim.rewrite(*args, **kw)
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
        if prim.saves:
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
    if prim.view and out.base is not None:
        t._view_of = args[0]
    if _forward_hook is not None:
        _forward_hook(t, prim, args, vals, kw)
    if _anomaly_hook is not None:
        _anomaly_hook(t, prim, args)
    return t


def _binary(prim, reflected=False):
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
        if not prim._plain or _forward_hook is not None or _anomaly_hook is not None:
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


_PYTHON_SCALARS = (float, int)

# prim(x, y) for any primitive: record(x, y, prim).
_record_two = _binary(None)

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


# -------------------------------------------------------------------------- backward
def unbroadcast(g, shape):
    """Sum a gradient over the axes along which its input was broadcast to `shape`."""
    gshape = g.shape
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    if lead > 0 and gshape[lead:] == shape:
        # Only leading axes were added (a bias under a batch): one sum, no reshape.
        axis = 0 if lead == 1 else tuple(range(lead))
        if type(g) is np.ndarray:
            return _add_reduce(g, axis)  # ndarray.sum's own work, without its wrapper
        return g.sum(axis=axis)
    if lead < 0 or any(s != 1 and gs != s for s, gs in zip(shape, gshape[lead:])):
        # The rule returned something smaller than its input (e.g. a scalar): expand it.
        return _broadcast(g, shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and gshape[lead + i] != 1
    )
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    if lead:
        g = g.reshape(shape)
    return g


_add_reduce = np.add.reduce


def _broadcast(g, shape):
    if isinstance(g, TensorBase):
        return g.broadcast_to(shape)
    return np.broadcast_to(g, shape)


class GraphFreedError(RuntimeError):
    pass


def _freed(node):
    return GraphFreedError(
        f"backward through the graph a second time: the graph of '{node._prim.name}' was "
        f"freed by the first backward(). Pass retain_graph=True to the first backward() "
        f"to keep it."
    )


def _check_unmodified(node):
    # The node's own output counts too: rules such as exp, tanh and softmax read `ans`.
    for a in (node, *node._args):
        if isinstance(a, TensorBase) and modified_since(a, node._seq):
            raise RuntimeError(
                f"an input of '{node._prim.name}' (shape {a.data.shape}) was modified in "
                f"place after it was used (now at version {a._version}); its gradient "
                f"would be wrong. Modify a copy instead (x = x.clone()), or do the "
                f"in-place update after backward()."
            )


def backward(root, grad=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(root)/d(leaf) into the ``.grad`` of every leaf that requires grad.

    The graph is freed afterwards unless ``retain_graph`` (default: ``create_graph``).
    With ``inputs`` given, return their gradients (a list, None where unconnected)
    instead of touching any ``.grad``.

    Nodes are visited in decreasing creation order, so every node's gradient is
    complete (all its consumers have run) before its own rule runs. Pending nodes wait
    in a heap, except the newest one, which goes straight to the next iteration: along
    a chain of operations the heap and the gradient dict are never touched.
    """
    if not root.requires_grad:
        raise RuntimeError(
            "backward() on a tensor that does not require grad: no input of the "
            "computation had requires_grad=True (or it ran under no_grad())."
        )
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward() on a tensor of shape {root.shape} needs a gradient argument: "
                f"pass grad= of the same shape, or reduce to a scalar first (e.g. .sum())."
            )
        g0 = np.empty(root.data.shape, root.data.dtype)
        g0.fill(1)  # (np.ones is a Python function: 0.5 us against 0.2 us)
    else:
        g0 = grad.data if isinstance(grad, TensorBase) else np.asarray(grad)
        if g0.shape != root.data.shape:
            raise ValueError(
                f"backward(): gradient of shape {g0.shape} given for a tensor of shape "
                f"{root.data.shape}; they must match."
            )
        g0 = g0.astype(root.data.dtype, copy=False)
    if create_graph:
        g0 = grad if isinstance(grad, TensorBase) else new_tensor(g0)
    if retain_graph is None:
        retain_graph = create_graph

    wanted = None if inputs is None else {t: i for i, t in enumerate(inputs)}
    results = None if inputs is None else [None] * len(inputs)
    # When every wanted tensor is a recorded node, the pass can stop at the last of them
    # to be reached: nothing created before it can change their gradients.
    remaining = None
    if wanted is not None and all(
        isinstance(t, TensorBase) and t._prim is not None for t in wanted
    ):
        remaining = len(wanted)
    # The caller's own grad= array must never become (or be accumulated into as) a .grad.
    handed = {id(g0)} if grad is not None else set()
    leaf_grads = {}
    grads = {}
    heap = []
    if root._prim is None:
        leaf_grads[root] = g0
    global _grad_enabled, _anomaly_hook
    prev_mode, prev_hook = _grad_enabled, _anomaly_hook
    _grad_enabled = bool(create_graph)
    # Anomaly mode checks each finished gradient (_anomaly_grad_hook), not the values
    # inside the rules: a strong zero may rightly replace an intermediate 0 * inf.
    _anomaly_hook = None
    heappop, heappush = heapq.heappop, heapq.heappush
    # Per-node bookkeeping beyond the rules is needed only for inputs= or retain_grad().
    watching = wanted is not None or _any_retained
    grad_hook = _anomaly_grad_hook
    try:
        node = root if root._prim is not None else None
        g = g0
        while node is not None:
            args = node._args
            if args is None:
                raise _freed(node)
            if watching:
                if wanted is not None:
                    if node in wanted:
                        results[wanted[node]] = _as_grad_tensor(g, node, create_graph, handed)
                        if remaining is not None:
                            remaining -= 1
                            if not remaining:
                                break
                elif node._retain:
                    _accumulate_leaf(node, g, create_graph, handed)
            if _last_modified > node._seq:
                _check_unmodified(node)
            prim = node._prim
            kw = node._kw
            if create_graph:
                ans = node
                vals = args
            else:
                ans = node.data
                vals = node._vals
            rules = prim.vjps
            # The next node to run when it is newer than everything in the heap, and
            # its gradient so far (kept out of `grads` until it must wait in the heap).
            nxt = nxt_g = None
            # n: how to call the rules; -1: with keywords (or a saved forward), or
            # through the strong-zero guard.
            if kw or prim._special:
                zero = prim.strong_zero and _has_zero(g)
                if prim.saves and not create_graph:
                    kw = {**kw, "saved": node._saved}
                n = -1 if kw or zero else len(vals)
            else:
                zero = False
                n = len(vals)
            if n == 1:
                # One input (tanh(x), x.sum()): the loop below without its per-argument
                # bookkeeping; along a chain of such nodes this is the whole backward.
                a = args[0]
                if a.requires_grad:
                    rule = rules[0] if rules else None
                    if rule is None:
                        raise _no_rule(prim, 0)
                    gi = rule(g, ans, vals[0])
                    if not prim.elementwise:
                        shape = a.data.shape
                        try:
                            mismatch = gi.shape != shape
                        except AttributeError:
                            raise _not_an_array(prim, 0, gi) from None
                        if mismatch:
                            gi = unbroadcast(gi, shape)
                    if grad_hook is not None:
                        grad_hook(gi, node, 0)
                    if a._prim is None:
                        prev = leaf_grads.get(a)
                        leaf_grads[a] = gi if prev is None else prev + gi
                    else:
                        prev = grads.get(a) if grads else None
                        if prev is not None:
                            grads[a] = prev + gi
                        elif heap and -heap[0][0] > a._seq:
                            grads[a] = gi
                            heappush(heap, (-a._seq, a))
                        else:
                            nxt, nxt_g = a, gi
                args = ()  # done: skip the loop
            i = -1
            for a in args:
                i += 1
                if not (isinstance(a, TensorBase) and a.requires_grad):
                    continue
                try:
                    rule = rules[i]
                except IndexError:
                    rule = None
                if rule is None:
                    raise _no_rule(prim, i)
                if n == 2:
                    gi = rule(g, ans, vals[0], vals[1])
                    # x * 1.5: the cotangent already has x's shape.
                    same = prim.elementwise and type(vals[1 - i]) in _PYTHON_SCALARS
                else:
                    same = False
                    if zero:
                        gi = _strong_zero_vjp(prim, rule, g, ans, vals, kw)
                    else:
                        gi = rule(g, ans, *vals, **kw)
                if not same:
                    shape = a.data.shape
                    try:
                        mismatch = gi.shape != shape
                    except AttributeError:
                        raise _not_an_array(prim, i, gi) from None
                    if mismatch:
                        gi = unbroadcast(gi, shape)
                if grad_hook is not None:
                    grad_hook(gi, node, i)
                if a._prim is None:
                    prev = leaf_grads.get(a)
                    leaf_grads[a] = gi if prev is None else prev + gi
                elif a is nxt:
                    nxt_g = nxt_g + gi
                else:
                    prev = grads.get(a) if grads else None
                    if prev is None:
                        s = a._seq
                        if nxt is None:
                            if heap and -heap[0][0] > s:
                                grads[a] = gi
                                heappush(heap, (-s, a))
                            else:
                                nxt, nxt_g = a, gi
                        elif s > nxt._seq:
                            grads[nxt] = nxt_g
                            heappush(heap, (-nxt._seq, nxt))
                            nxt, nxt_g = a, gi
                        else:
                            grads[a] = gi
                            heappush(heap, (-s, a))
                    else:
                        grads[a] = prev + gi
            if not retain_graph:
                # Dropping the inputs frees the graph (and marks the node as freed).
                node._args = None
                node._vals = None
                if prim.saves:
                    node._saved = None
            if nxt is not None:
                node, g = nxt, nxt_g
            elif heap:
                node = heappop(heap)[1]
                g = grads.pop(node)
            else:
                node = None
    finally:
        _grad_enabled = prev_mode
        _anomaly_hook = prev_hook
    for leaf, g in leaf_grads.items():
        if wanted is not None:
            if leaf in wanted:
                results[wanted[leaf]] = _as_grad_tensor(g, leaf, create_graph, handed)
        else:
            _accumulate_leaf(leaf, g, create_graph, handed)
    return results


def _no_rule(prim, i):
    return NotImplementedError(
        f"'{prim.name}' has no gradient rule for its argument {i}; "
        f"detach that argument or use a differentiable operation."
    )


def _not_an_array(prim, i, gi):
    return TypeError(
        f"the gradient rule of '{prim.name}' for its argument {i} returned "
        f"{type(gi).__name__}, not an array; a rule returns the cotangent "
        f"of its argument (give None instead of a rule for an argument "
        f"that is never differentiated)"
    )


def _has_zero(g):
    # One C call (ndarray.all): the strong-zero path costs nothing unless some cotangent
    # is exactly zero.
    return not (g.data if isinstance(g, TensorBase) else g).all()


def _strong_zero_vjp(prim, rule, g, ans, vals, kw):
    """VJP of an elementwise rule whose local derivative can be infinite, with 0 * inf = 0.

    Where the cotangent is exactly zero and the rule's result is not finite, the result
    is exactly zero: that element's output did not influence the loss (e.g. it sits in
    the untaken branch of a where()), so it must contribute nothing. Finite results are
    left alone, derivatives included, so higher orders are unchanged wherever defined.
    NumPy's warnings inside the rule are silenced for the same reason; a non-finite
    gradient that survives is reported once, naming the primitive (in anomaly mode the
    gradient check raises instead).
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        gi = rule(g, ans, *vals, **kw)
    gd = gi.data if isinstance(gi, TensorBase) else gi
    bad = ~np.isfinite(gd)
    if not bad.any():
        return gi
    zero = np.asarray((g.data if isinstance(g, TensorBase) else g) == 0)
    clean = bad & zero
    if clean.any():
        if isinstance(gi, TensorBase):
            # Recorded, for higher orders; looked up by name as graph.py sits below the
            # primitive modules.
            gi = REGISTRY["where"](clean, 0, gi)
        else:
            gi = np.where(clean, 0, gi)
    if _anomaly_grad_hook is None and (bad & ~zero).any():
        warnings.warn(
            f"'{prim.name}': the gradient is infinite or NaN where its local derivative is "
            f"(e.g. sqrt or log at 0); run under cr.detect_anomaly() to find the operation",
            RuntimeWarning,
            stacklevel=2,
        )
    return gi


def _as_grad_tensor(g, like, create_graph, handed):
    """Wrap a gradient for `like`, in like's dtype, never sharing a buffer already handed out.

    `handed` holds the ids of arrays given out in this backward pass (and the caller's own
    `grad=` array): a rule may pass one cotangent array to several inputs, and `.grad`
    buffers are later accumulated into in place.
    """
    if create_graph:
        if g.data.dtype != like.data.dtype:
            g = g.astype(like.data.dtype)
        return g
    if type(g) is not np.ndarray:
        g = np.asarray(g)
    if g.dtype != like.data.dtype:
        g = g.astype(like.data.dtype)
    elif g.base is not None or id(g) in handed or not g.flags.writeable:
        # A view into a broadcast or another buffer, or an array someone else holds.
        g = g.copy()
    handed.add(id(g))
    return new_tensor(g)


def _accumulate_leaf(leaf, g, create_graph, handed):
    if leaf.grad is None:
        leaf.grad = _as_grad_tensor(g, leaf, create_graph, handed)
    elif create_graph or leaf.grad.requires_grad:
        leaf.grad = leaf.grad + _as_grad_tensor(g, leaf, create_graph, handed)
    else:
        leaf.grad.data += g.data if isinstance(g, TensorBase) else g
