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
import sys

import numpy as np

# --------------------------------------------------------------------------- state
# Module-level flags rather than thread-locals: each check is one global lookup on
# the per-operation hot path.
_grad_enabled = True
# Set by chainrule.stability.detect_anomaly: a callable checking each new output.
_anomaly_hook = None
# Set by forward-mode differentiation (chainrule.transforms.jvp): a callable that
# propagates tangents through each recorded operation.
_forward_hook = None
# Class of the tensors that primitives create; set once by chainrule.tensor.
_tensor_type = None


class TensorBase:
    """Graph-facing part of a tensor: its value, its gradient, and the node that made it.

    `chainrule.Tensor` extends this with operators and NumPy-style methods. A tensor
    created by a recorded operation *is* the graph node: ``_prim`` is the primitive,
    ``_args`` its positional inputs (tensors or constants), ``_kw`` its static keyword
    arguments and ``_versions`` the version counters of its tensor inputs at record time.
    """

    __slots__ = (
        "data",
        "grad",
        "requires_grad",
        "_prim",
        "_args",
        "_kw",
        "_versions",
        "_version",
        "_retain",
        "_tangent",
        "_origin",
        "__weakref__",
    )

    __hash__ = object.__hash__


def is_tensor(x):
    return isinstance(x, TensorBase)


def set_tensor_type(cls):
    """Register the class that primitives instantiate for their outputs."""
    global _tensor_type
    _tensor_type = cls


def new_tensor(data, requires_grad=False):
    """Make a tensor around an ndarray without copying it or checking it."""
    t = _tensor_type.__new__(_tensor_type)
    t.data = data
    t.grad = None
    t.requires_grad = requires_grad
    t._prim = None
    t._args = None
    t._kw = None
    t._versions = None
    t._version = 0
    t._retain = False
    t._tangent = None
    t._origin = None
    return t


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
    """Record nothing inside this block: results do not require grad and cost no graph."""

    def __init__(self):
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Record operations inside this block even within `no_grad`."""

    def __init__(self):
        super().__init__(True)


# ------------------------------------------------------------------------ primitives
class Primitive:
    """A differentiable operation: NumPy forward, one VJP rule per argument, JVP rules.

    ``vjps[i](g, ans, *args, **kw)`` returns the cotangent of positional argument ``i``
    given the output cotangent ``g`` and the forward output ``ans``. In a first-order
    backward pass the rule sees NumPy arrays; with ``create_graph=True`` it sees tensors
    and is itself recorded, which is how one rule gives every order of derivative.
    ``jvps[i](t, ans, *args, **kw)`` pushes the tangent ``t`` of argument ``i`` forward.
    """

    __slots__ = ("name", "fwd", "vjps", "jvps", "rewrite", "explanation", "doc")

    def __init__(self, name, fwd, doc=None):
        self.name = name
        self.fwd = fwd
        self.vjps = ()
        self.jvps = ()
        # Optional graph rewrite: rewrite(*args, **kw) -> replacement tensor or None.
        # Used by chainrule.stability to compute e.g. log(softmax(x)) as log_softmax(x).
        self.rewrite = None
        self.explanation = None
        self.doc = doc or getattr(fwd, "__doc__", None)

    def defvjp(self, *rules):
        """Attach VJP rules, one per positional argument; None marks 'no gradient'."""
        self.vjps = _rule_table(rules)
        return self

    def defjvp(self, *rules):
        """Attach JVP rules, one per positional argument; None marks 'no tangent'."""
        self.jvps = _rule_table(rules)
        return self

    def __call__(self, *args, **kw):
        for a in args:
            if isinstance(a, TensorBase):
                return _apply(self, args, kw)
        return self.fwd(*args, **kw)

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


def primitive(name, fwd, doc=None):
    """Create and register a differentiable primitive."""
    if name in REGISTRY:
        raise ValueError(f"primitive {name!r} is already registered")
    p = Primitive(name, fwd, doc)
    REGISTRY[name] = p
    return p


def nondifferentiable(name, fwd, doc=None):
    """Create and register a primitive whose output carries no gradient."""
    p = primitive(name, fwd, doc)
    NONDIFFERENTIABLE[name] = p
    return p


def _shapes(args):
    return ", ".join(str(np.shape(a.data if isinstance(a, TensorBase) else a)) for a in args)


def _apply(prim, args, kw):
    """Run a primitive on arguments of which at least one is a tensor; record if needed."""
    if prim.rewrite is not None:
        out = prim.rewrite(*args, **kw)
        if out is not None:
            return out
    vals = []
    needs_grad = False
    float_dtype = None
    for a in args:
        if isinstance(a, TensorBase):
            vals.append(a.data)
            if a.requires_grad:
                needs_grad = True
            if float_dtype is None and a.data.dtype.kind == "f":
                float_dtype = a.data.dtype
        else:
            vals.append(a)
    if float_dtype is not None:
        # Constants adopt the tensors' float dtype: a float64 array or np.float64 scalar
        # must not silently turn float32 work into float64 work.
        for i, v in enumerate(vals):
            if type(v) is np.ndarray or isinstance(v, np.generic):
                if v.dtype != float_dtype and v.dtype.kind in "fiu":
                    vals[i] = v.astype(float_dtype)
    try:
        out = prim.fwd(*vals, **kw)
    except ValueError as e:
        raise ValueError(f"{prim.name}: {e} (argument shapes: {_shapes(args)})") from None
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    record = needs_grad and _grad_enabled and prim.name not in NONDIFFERENTIABLE
    t = new_tensor(out, record)
    if record:
        t._prim = prim
        t._args = args
        t._kw = kw
        t._versions = tuple(a._version if isinstance(a, TensorBase) else None for a in args)
    if _forward_hook is not None:
        _forward_hook(t, prim, args, vals, kw)
    if _anomaly_hook is not None:
        _anomaly_hook(t, prim, args)
    return t


# -------------------------------------------------------------------------- backward
def unbroadcast(g, shape):
    """Sum a gradient over the axes along which its input was broadcast to `shape`."""
    gshape = g.shape
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
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


def _broadcast(g, shape):
    if isinstance(g, TensorBase):
        return g.broadcast_to(shape)
    return np.broadcast_to(g, shape)


class GraphFreedError(RuntimeError):
    pass


def _toposort(root):
    """Nodes reachable from `root` through inputs that require grad, outputs first."""
    order = []
    seen = set()
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        if node._prim is not None:
            if node._args is None:
                raise GraphFreedError(
                    f"backward through the graph a second time: the graph of "
                    f"'{node._prim.name}' was freed by the first backward(). Pass "
                    f"retain_graph=True to the first backward() to keep it."
                )
            for a in node._args:
                if isinstance(a, TensorBase) and a.requires_grad and a not in seen:
                    stack.append((a, False))
    order.reverse()
    return order


def _check_versions(node):
    for a, v in zip(node._args, node._versions):
        if v is not None and a._version != v:
            raise RuntimeError(
                f"an input of '{node._prim.name}' (shape {a.shape}) was modified in place "
                f"after it was used (version {v} -> {a._version}); its gradient would be "
                f"wrong. Modify a copy instead (x = x.clone()), or do the in-place update "
                f"after backward()."
            )


def backward(root, grad=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(root)/d(leaf) into the ``.grad`` of every leaf that requires grad.

    The graph is freed afterwards unless ``retain_graph`` (default: ``create_graph``).

    With ``inputs`` given, return their gradients (a list, None where unconnected)
    instead of touching any ``.grad``.
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
        g0 = np.ones_like(root.data)
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
    order = _toposort(root)
    wanted = None if inputs is None else {t: i for i, t in enumerate(inputs)}
    results = None if inputs is None else [None] * len(inputs)
    grads = {root: g0}
    global _grad_enabled
    prev_mode = _grad_enabled
    _grad_enabled = bool(create_graph)
    try:
        for node in order:
            g = grads.pop(node, None)
            if g is None:
                continue
            if wanted is not None and node in wanted:
                results[wanted[node]] = _as_grad_tensor(g, node, create_graph)
            prim = node._prim
            if prim is None:
                if wanted is None:
                    _accumulate_leaf(node, g, create_graph)
                continue
            if wanted is None and node._retain:
                _accumulate_leaf(node, g, create_graph)
            _check_versions(node)
            args = node._args
            kw = node._kw
            if create_graph:
                ans, vals = node, args
            else:
                ans = node.data
                vals = [a.data if isinstance(a, TensorBase) else a for a in args]
            rules = prim.vjps
            for i, a in enumerate(args):
                if not (isinstance(a, TensorBase) and a.requires_grad):
                    continue
                rule = rules[i] if i < len(rules) else None
                if rule is None:
                    raise NotImplementedError(
                        f"'{prim.name}' has no gradient rule for its argument {i}; "
                        f"detach that argument or use a differentiable operation."
                    )
                gi = unbroadcast(rule(g, ans, *vals, **kw), a.data.shape)
                prev = grads.get(a)
                grads[a] = gi if prev is None else prev + gi
            if not retain_graph:
                node._args = None
                node._kw = None
    finally:
        _grad_enabled = prev_mode
    return results


def _as_grad_tensor(g, like, create_graph):
    if create_graph:
        if g.data.dtype != like.data.dtype:
            g = g.astype(like.data.dtype)
        return g
    g = np.asarray(g)
    if g.dtype != like.data.dtype:
        g = g.astype(like.data.dtype)
    elif not g.flags.writeable or g.base is not None:
        # Never hand out a view into a broadcast or another tensor's buffer.
        g = g.copy()
    return new_tensor(g)


def _accumulate_leaf(leaf, g, create_graph):
    g = _as_grad_tensor(g, leaf, create_graph)
    if leaf.grad is None:
        leaf.grad = g
    elif create_graph or leaf.grad.requires_grad:
        leaf.grad = leaf.grad + g
    else:
        leaf.grad.data += g.data
