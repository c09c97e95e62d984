"""The data model of the computation graph: tensors as nodes, grad mode, primitives, recording.

Every differentiable operation in chainrule is a primitive (chainrule.rules): a NumPy
forward function plus its derivative, declared once where the primitive is defined.
Calling a primitive on plain NumPy values just runs NumPy; calling it on tensors that
require grad records the output tensor as a graph node that keeps references to its
inputs. The reverse pass that walks those nodes lives in chainrule.backward.

Hooks (forward mode, anomaly mode, tracing) are installed through
:func:`set_forward_hook`, :func:`set_anomaly_hooks` and :func:`set_trace_hook`; together
they cost one flag check per operation when unused.
"""

from __future__ import annotations

import functools
import weakref
from time import perf_counter

import numpy as np

from .views import link_view, same_buffer

# --------------------------------------------------------------------------- state
# Module-level flags rather than thread-locals: each check is one global lookup on
# the per-operation hot path (docs/api.md: grad mode is process-wide).
_grad_enabled = True
# Anomaly mode (chainrule.anomaly): a callable checking each new output, and one
# checking each gradient that backward computes.
_anomaly_hook = None
_anomaly_grad_hook = None
# Forward mode (chainrule.forward_mode.jvp): a callable that propagates tangents through
# each recorded operation.
_forward_hook = None
# Tracing (chainrule.tracing): an object whose record(t, prim, args, kw) sees every
# operation, recorded or not, and whose traced(t) tells a value being traced.
_trace_hook = None
# Profiling (chainrule.torch.profiler): hook(name, seconds) after each operation's forward.
_profile_hook = None
# True while any hook is installed: the recording fast paths check this one flag and
# leave every hooked call to _apply.
_hooked = False


def _update_hooked():
    global _hooked
    _hooked = (
        _forward_hook is not None or _anomaly_hook is not None or _trace_hook is not None
        or _profile_hook is not None
    )


def set_profile_hook(hook):
    """Install ``hook(operation name, seconds)``, told after each operation's forward
    (None: off). Returns the previous hook."""
    global _profile_hook
    prev = _profile_hook
    _profile_hook = hook
    _update_hooked()
    return prev
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
    _update_hooked()
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
    _update_hooked()
    return prev


def anomaly_hooks():
    """The installed anomaly checks (output check, gradient check)."""
    return _anomaly_hook, _anomaly_grad_hook


def set_trace_hook(hook):
    """Install a tracer (None: off); returns the previous one (see chainrule.tracing)."""
    global _trace_hook
    prev = _trace_hook
    _trace_hook = hook
    _update_hooked()
    return prev


def hooked():
    """True while any hook is installed (forward mode, anomaly mode, a tracer)."""
    return _hooked


def trace_hook():
    """The installed tracer, or None."""
    return _trace_hook


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
        "_data",
        "requires_grad",
        "_prim",
        "_args",
        "_vals",
        "_kw",
        "_seq",
        "__dict__",
        "__weakref__",
    )

    # (The two slots every tensor sets, for type checkers.)
    _data: np.ndarray
    requires_grad: bool
    _version = 0  # bumped by every in-place modification
    _modified_at = -1  # graph clock at the last in-place modification
    _aliases = None  # tensors sharing this buffer (detach()), modified together
    _history = None  # [(clock, holder)]: the nodes it was before in-place changes (keep_history)
    _watch = None  # weak reference to the tensor a provenance stand-in was made from
    _retain = False  # keep .grad on a non-leaf (retain_grad())
    _hooks = None  # {id: hook(grad)} (register_hook; chainrule.hooks)
    _post_hooks = None  # {id: hook(leaf)} (register_post_accumulate_grad_hook)
    _grad = None  # behind the .grad property
    # The graph clock when requires_grad was last turned off and on again (nn.Parameter
    # only): nodes recorded in between treat the tensor as the constant it was then, as
    # PyTorch fixes the flag when the graph is built.
    _grad_off = -1
    _grad_on = -1
    # The class of what an operation on this tensor returns. A subclass returns its own
    # class (a front end's tensor stays itself through every operation) unless it names
    # another: nn.Parameter names Tensor, as operations on a parameter are not parameters.
    _result_class: type | None = None

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if "_result_class" not in cls.__dict__:
            cls._result_class = cls

    def __getstate__(self):
        # A copy or an unpickled tensor has a buffer of its own: it shares no in-place
        # history with the tensors that shared the original's (detach()), and the
        # weak references that group holds cannot be pickled.
        # (Written out: object.__getstate__ arrived in Python 3.11.) Pickle's state of an
        # object with slots and a __dict__: (the __dict__, the slots that are set).
        attributes = {k: v for k, v in vars(self).items() if k != "_aliases"}
        slots = {}
        for cls in type(self).__mro__:
            for name in cls.__dict__.get("__slots__", ()):
                if name not in ("__dict__", "__weakref__") and hasattr(self, name):
                    slots[name] = getattr(self, name)
        return (attributes or None, slots)
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
    # How this view was made from _view_of: (primitive, its other arguments, keywords),
    # so that a write through the view can be located in the viewed tensor.
    _view_step = None
    # The live views of this tensor (a WeakSet, made with the first view).
    _views = None

    __hash__ = object.__hash__

    # The engine reads and writes the slot `_data`; `.data` is the public name of the
    # array. A front end may give `.data` its own meaning (chainrule.torch: a detached
    # tensor sharing the buffer, as PyTorch's), which the engine then never sees.
    @property
    def data(self) -> np.ndarray:
        """The NumPy array holding this tensor's values (shared, not copied)."""
        return self._data

    @data.setter
    def data(self, value):
        self._data = value

    @property
    def grad(self):
        """The gradient backward() accumulated here (a tensor), or None."""
        return self._grad

    @grad.setter
    def grad(self, value):
        self._grad = value
        if _trace_hook is not None:
            _trace_hook.grad_assigned(self, value)

    @property
    def is_leaf(self):
        """True for tensors the user created (not the output of a recorded operation)."""
        return self._prim is None


def is_tensor(x):
    return isinstance(x, TensorBase)


def values(x):
    """x's NumPy values (a tensor's data, read without recording; anything else through
    np.asarray): for what steers a computation (shapes, dtypes, masks, checks), never for
    a value that is differentiated."""
    return x._data if isinstance(x, TensorBase) else np.asarray(x)


def is_traced(x):
    """True for a tensor being differentiated: it requires grad or carries a live tangent."""
    if not isinstance(x, TensorBase):
        return False
    return x.requires_grad or (x._tangent is not None and _forward_hook is not None)


def set_tensor_type(cls):
    """Register the class that primitives instantiate for their outputs."""
    global _tensor_type
    _tensor_type = cls


def engine_cotangent(g):
    """A recorded cotangent (create_graph) as the engine's own tensor class: one given
    by a front end (grad_outputs=, a hook's or a custom function's result) would carry
    that front end's methods into the rules, whose ``g.size`` or ``g.sum(axis=)`` mean
    NumPy's. A front-end tensor passes through one recorded copy re-classed."""
    if type(g) is _tensor_type or not isinstance(g, TensorBase):
        return g
    from .primitives import copy
    alias = copy(g)
    alias.__class__ = _tensor_type
    return alias


# The graph clock: advanced by every recorded operation (whose output keeps the time as
# its creation number ``_seq``) and by every in-place modification (kept as the
# tensor's ``_modified_at``). Consumers are always numbered after their inputs, so
# decreasing ``_seq`` is a reverse topological order; an input modified after a node
# was recorded has ``_modified_at > node._seq``. If no modification at all happened
# since a node was recorded (``_last_modified < node._seq``), backward skips the
# per-input check. (A global int is cheaper to bump than an itertools.count.)
_clock = 0
_last_modified = 0
_freeing_passes = 0  # backward passes that freed their graph (keep_history)
# True once any tensor asked for retain_grad() or got a hook: spares the check on every
# node otherwise.
_any_watched = False


def mark_modified(t, recorded=False):
    """Record that tensor `t` was modified in place (bumps its version and its aliases').

    `recorded`: the change is a recorded operation (a differentiated write), which a
    tracer sees as such; otherwise the tracer hears of a change outside the operations.
    """
    global _clock, _last_modified
    _clock += 1
    _last_modified = _clock
    if _trace_hook is not None and not recorded:
        _trace_hook.modified(t)
    # Writing through a view writes into the tensors it views (a[0:2] += 1 changes a).
    while t is not None:
        for u in t._aliases if t._aliases is not None else (t,):
            u._version += 1
            u._modified_at = _clock
        t = t._view_of


def keep_history(t, holder):
    """`t` is about to become another node (an in-place change); `holder` stands for the
    node it was. Operations recorded before now read that one: backward routes them to
    `holder` (recorded_as), which keeps the values they saw.

    Entries from before the last backward pass that freed its graph are dropped: a
    tensor changed in place on every step (a buffer) would otherwise keep a copy per
    step. An operation older than that pass which is still to be differentiated finds no
    entry, and its backward refuses, naming it."""
    entry = (_clock, holder, _freeing_passes)
    history = t._history
    if history is None or history[-1][2] != _freeing_passes:
        t._history = [entry]
    else:
        history.append(entry)


def count_freeing_pass():
    """A backward pass freed its graph (backward.backward): older history can go."""
    global _freeing_passes
    _freeing_passes += 1


def mark_renoded(t):
    """`t` is about to become another node over the same buffer (a view made again after
    a write into its base): operations recorded before now, the write among them, must
    not read the new node (backward looks at t's history, or refuses)."""
    global _clock, _last_modified
    _clock += 1
    _last_modified = t._modified_at = _clock


def recorded_as(t, clock):
    """The tensor standing for `t` as an operation recorded at `clock` read it, or None
    when `t` has no record of what it was then."""
    for moved_at, holder, _ in t._history or ():
        if moved_at >= clock:
            return holder
    return None


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


def take_node(dst, src):
    """Make tensor `dst` the graph node `src` is (its operation, inputs, time, tangents).

    A recorded write (x[i] = v) makes the tensor object x the new node while the node it
    was moves to a fresh object; ``data`` is not touched.
    """
    for name in ("requires_grad", "_prim", "_args", "_vals", "_kw", "_seq"):
        try:
            setattr(dst, name, getattr(src, name))
        except AttributeError:  # an unset slot: a leaf has no _args
            if hasattr(dst, name):
                delattr(dst, name)
    for name in ("_saved", "_tangent", "_source", "_origin"):
        if name in src.__dict__:
            setattr(dst, name, src.__dict__[name])
        elif name in dst.__dict__:
            delattr(dst, name)
    if _trace_hook is not None:
        _trace_hook.alias(dst, src)


def mark_retained(t):
    """Keep the gradient of non-leaf `t` in ``t.grad`` after backward()."""
    mark_watched()
    t._retain = True


def mark_watched():
    """A tensor retains its gradient or has hooks: backward passes look at each node."""
    global _any_watched
    _any_watched = True


def new_tensor_as(data, like):
    """A tensor around `data` in the class an operation on tensor `like` returns (a front
    end's tensors give its own): for results computed outside the operations (indices)."""
    t = new_tensor(data)
    cls = type(like)
    if cls is not _tensor_type:
        t.__class__ = cls._result_class or cls
    return t


def new_tensor(data, requires_grad=False):
    """Make a tensor around an ndarray without copying it or checking it."""
    t = _object_new(_tensor_type)
    t._data = data
    t.requires_grad = requires_grad
    t._prim = None
    return t


_object_new = object.__new__


# ------------------------------------------------------------------------ grad mode
def is_grad_enabled() -> bool:
    """Whether operations on tensors that require grad are being recorded."""
    return _grad_enabled


class set_grad_enabled:
    """Turn recording on or off: called as a function it takes effect at once (PyTorch's
    ``torch.set_grad_enabled(False)`` in an inference script); as a context manager the
    previous mode comes back at the end of the block; as a decorator, around each call."""

    _at_once = True  # (no_grad and enable_grad act when their block is entered)

    def __init__(self, mode):
        global _grad_enabled
        self.mode = bool(mode)
        self.prev = None
        self._applied = False
        if type(self)._at_once:
            self.prev, _grad_enabled = _grad_enabled, self.mode
            self._applied = True

    def __enter__(self):
        global _grad_enabled
        if not self._applied:
            self.prev = _grad_enabled
            _grad_enabled = self.mode
        self._applied = False
        return self

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self.prev
        return False

    def __call__(self, fn):
        global _grad_enabled
        if self._applied:  # a decorator: the mode applies to the calls, not from now on
            _grad_enabled = self.prev
            self._applied = False
        mode = self.mode

        def wrapped(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        # (functools.wraps: also __wrapped__ and the function's __dict__, where pytest
        # keeps its marks)
        try:
            functools.update_wrapper(wrapped, fn)
        except AttributeError:  # (a callable object without __name__)
            wrapped.__name__ = "wrapped"
        return wrapped


class no_grad(set_grad_enabled):
    """Record nothing inside this block: results do not require grad and cost no graph.

    Also a decorator, with or without parentheses: ``@no_grad`` or ``@no_grad()``.
    """

    _at_once = False

    def __new__(cls, fn=None):
        if fn is not None:
            return set_grad_enabled(False)(fn)
        return super().__new__(cls)

    def __init__(self, fn=None):
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Record operations inside this block even within `no_grad`."""

    _at_once = False

    def __init__(self):
        super().__init__(True)


# ------------------------------------------------------------------------- registry
# Every primitive by name, and those whose outputs are never differentiable (comparisons,
# sign, argmax, ...); filled by chainrule.rules' declarations.
REGISTRY: dict = {}
NONDIFFERENTIABLE: dict = {}


# ------------------------------------------------------------------------ recording
_NOTHING = object()  # no positional argument given


def call_primitive(self, x=_NOTHING, /, *rest, **kw):
    """``prim(...)`` (Primitive.__call__): NumPy values in, NumPy out; tensors: recorded.

    (x is positional-only, so a forward may take a keyword argument named x.)
    """
    if rest or kw or x is _NOTHING:
        if len(rest) == 1 and not kw:
            y = rest[0]
            if isinstance(x, TensorBase) or isinstance(y, TensorBase):
                # The module-level two-argument recorder, with this primitive as its
                # third argument: the operator recorders' code without a closure.
                return _record_two(x, y, self)
            if type(x) in _SEQUENCES or type(y) in _SEQUENCES:
                if holds_tensor(x) or holds_tensor(y):
                    return _apply(self, (x, y), _NO_KW)
            out = self.fwd(x, y)
            return out[0] if self._saves else out
        args = (x, *rest) if x is not _NOTHING else rest
        for a in args:
            if isinstance(a, TensorBase) or (type(a) in _SEQUENCES and holds_tensor(a)):
                return _apply(self, args, kw)
        # Plain NumPy values (a first-order rule calling cos(x), say): just NumPy.
        out = self.fwd(*args, **kw) if kw else self.fwd(*args)
        return out[0] if self._saves else out
    if not isinstance(x, TensorBase):
        if type(x) in _SEQUENCES and holds_tensor(x):
            return _apply(self, (x,), _NO_KW)
        out = self.fwd(x)
        return out[0] if self._saves else out
    # One tensor, no options (tanh(x)): _apply's steps without its argument loop (a
    # measured copy of its node set-up, kept in step by tests/test_fast_paths.py: a
    # shared helper would cost a Python call per operation). Rewrites, saved forwards,
    # views, forward mode and anomaly mode take _apply.
    if not self._fast_record or _hooked:
        return _apply(self, (x,), _NO_KW)
    xd = x._data
    try:
        out = self.fwd(xd)
    except ValueError as e:
        if not str(e).startswith(self.name + ":"):
            raise _forward_error(self, e, (x,)) from None
        raise
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    # The output's class (see TensorBase._result_class); type() is the cheap lookup.
    cls = type(x)
    t = _object_new(cls if cls is _tensor_type else cls._result_class)
    t._data = out
    if x.requires_grad and _grad_enabled and self.differentiable:
        # (no complex check here: x requires grad, so it is real (Tensor refuses complex
        # leaves and every recorder complex results), and no one-argument primitive
        # makes a complex value of a real one)
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


def _shapes(args):
    return ", ".join(str(np.shape(a._data if isinstance(a, TensorBase) else a)) for a in args)


# The usual dtypes of a recorded result, for identity checks before reading .kind.
_FLOAT64, _FLOAT32 = np.dtype(np.float64), np.dtype(np.float32)


def _complex_refused(prim):
    """The error for a complex result of an operation being recorded: every derivative
    rule is written for real values, so recording it would give wrong gradients."""
    return TypeError(
        f"{prim.name}: the result is complex, and chainrule differentiates real values "
        f"only (a complex constant times a tensor that requires grad, for example). Carry "
        f"the real and imaginary parts as two real tensors, or compute this part on "
        f"values that need no gradient (under no_grad, or on .detach()ed tensors)")


def _forward_error(prim, e, args):
    """A forward's ValueError that does not name its primitive, named, with the shapes.

    The type is kept (numpy.linalg.LinAlgError is a ValueError that callers catch).
    """
    message = f"{prim.name}: {e} (argument shapes: {_shapes(args)})"
    try:
        return type(e)(message)
    except Exception:  # an exception type that wants other arguments
        return ValueError(message)


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
    cls = None
    for a in args:
        if isinstance(a, TensorBase):
            vals.append(a._data)
            if a.requires_grad:
                needs_grad = True
            kind = a._result_class
            if cls is None or (kind is not cls and issubclass(kind, cls)):
                cls = kind
        else:
            kind = type(a)
            if kind is list or kind is tuple:
                if holds_tensor(a):
                    # NumPy's array_like: a list holding tensors is the array they make,
                    # stacked on the graph, so every one of them gets its gradient.
                    return _apply(prim, tuple(array_like(b) for b in args), kw)
                if prim.elementwise:
                    # x + [1.0, 2.0]: the numbers are an array operand, which (below)
                    # takes the tensors' float dtype like any array constant.
                    a = np.asarray(a)
                    kind = np.ndarray
            vals.append(a)
            if kind is not float and kind is not int and (
                kind is np.ndarray or isinstance(a, np.generic)
            ):
                constants = True
    if constants:
        _match_constants(prim, args, vals)
        # The node keeps the constants the forward saw: rules read them from the
        # arguments under create_graph=True and in forward mode.
        args = tuple(a if isinstance(a, TensorBase) else v for a, v in zip(args, vals))
    profile = _profile_hook
    start = perf_counter() if profile is not None else 0.0
    try:
        out = prim.fwd(*vals, **kw) if kw else prim.fwd(*vals)
    except ValueError as e:
        if not str(e).startswith(prim.name + ":"):
            raise _forward_error(prim, e, args) from None
        raise
    if profile is not None:
        profile(prim.name, perf_counter() - start)
    saved = None
    if type(out) is not np.ndarray:
        if prim._saves:
            out, saved = out
        out = np.asarray(out)
    # The output's class is its tensor arguments' result class (the most derived one
    # where they differ; TensorBase._result_class).
    t = _object_new(cls or _tensor_type)
    t._data = out
    if needs_grad and _grad_enabled and prim.differentiable:
        dt = out.dtype
        if dt is not _FLOAT64 and dt is not _FLOAT32 and dt.kind == "c":
            raise _complex_refused(prim)
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
    if prim._view and out.base is not None and same_buffer(out, vals[0]):
        base = args[0]
        t._view_of = base
        t._view_step = (prim, args[1:], kw)
        link_view(base, t)
    if _hooked:
        if _trace_hook is not None:
            _trace_hook.record(t, prim, args, kw)
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
        if not prim._fast_record or _hooked:
            return _apply(prim, (a, b), _NO_KW)
        grad = False
        if isinstance(a, TensorBase):
            ad = a._data
            grad = a.requires_grad
            cls = type(a)
            if cls is not _tensor_type:
                cls = cls._result_class
        else:
            cls = None
            kind = type(a)
            if kind is not float and kind is not int:
                return _apply(prim, (a, b), _NO_KW)
            ad = a
        if isinstance(b, TensorBase):
            bd = b._data
            if b.requires_grad:
                grad = True
            kind = type(b)
            if kind is not _tensor_type:
                kind = kind._result_class
            if cls is None or (kind is not cls and issubclass(kind, cls)):
                cls = kind
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
        t = _object_new(cls)
        t._data = out
        if grad and _grad_enabled and prim.differentiable:
            # (a real tensor times a complex one that needs no gradient is complex)
            dt = out.dtype
            if dt is not _FLOAT64 and dt is not _FLOAT32 and dt.kind == "c":
                raise _complex_refused(prim)
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
            s = new_tensor(a._data)
            s._watch = weakref.ref(a)
            src = a._source
            if depth > 1 and src is not None:
                s._source = (src[0], _standins(src[1], depth - 1), src[2], src[3])
            out.append(s)
        else:
            out.append(a)
    return tuple(out)


def _match_constants(prim, args, vals):
    # Constants adopt the tensors' float dtype: a float64 array or np.float64 scalar
    # must not silently turn float32 work into float64 work. Integer constants too, where
    # they are operands of arithmetic (elementwise maps, products); elsewhere an integer
    # array is an index or a class label and stays one.
    float_dtype = None
    for a in args:
        if isinstance(a, TensorBase) and a._data.dtype.kind == "f":
            float_dtype = a._data.dtype
            break
    if float_dtype is None:
        return
    kinds = "fiu" if prim.elementwise or prim.multilinear else "f"
    for i, v in enumerate(vals):
        if type(v) is np.ndarray or isinstance(v, np.generic):
            if v.dtype != float_dtype and v.dtype.kind in kinds:
                vals[i] = v.astype(float_dtype)


_SEQUENCES = frozenset((list, tuple))


def holds_tensor(a):
    """True for a list or tuple with a tensor somewhere inside (nested lists included)."""
    kind = type(a)
    if kind is not list and kind is not tuple:
        return False
    for e in a:
        if isinstance(e, TensorBase) or holds_tensor(e):
            return True
    return False


def array_like(a):
    """`a` as NumPy's array_like: a (nested) list or tuple holding tensors becomes one
    tensor, stacked with recorded operations; anything else is returned as it is.

    np.asarray would read the tensors' values and drop their gradients. The stacking
    primitives are looked up by name: the engine sits below the primitive modules.
    """
    if not holds_tensor(a):
        return a
    items = [array_like(e) for e in a]
    shapes = {np.shape(e._data if isinstance(e, TensorBase) else e) for e in items}
    if len(shapes) != 1:
        raise ValueError(
            f"a list of arrays of different shapes {sorted(shapes)} is not an array; "
            f"NumPy would refuse it too (pad them to one shape, or use cr.concatenate)"
        )
    shape = (1, *shapes.pop())
    reshape, concatenate = REGISTRY["reshape"], REGISTRY["concatenate"]
    return concatenate(*[reshape(e, shape) for e in items], axis=0)
