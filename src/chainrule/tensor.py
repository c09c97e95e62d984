"""The Tensor: a NumPy array, its gradient, and operator sugar that calls primitives.

The class holds no math of its own: every operator and method forwards to the
primitive (or composite function) in :mod:`chainrule.primitives` that owns the rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from . import graph, index_updates, transforms
from . import primitives as P
from .anomaly import user_frame
from .backward import backward as _backward
from .graph import TensorBase, binary_recorder
from .hooks import add_tensor_hook
from .numpy import dispatch as _numpy_dispatch
from .primitives import elementwise as E
from .primitives.steps import floor_divide

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, DTypeLike

    # What the annotations of Tensor's methods mean (types only: no cost at run time).
    _Axis = int | tuple[int, ...] | None
    _Operand = ArrayLike | "Tensor"


def _differentiated(x, value):
    """Whether a write of `value` into `x` is part of a derivative being computed, or of
    a function being traced (cr.vmap, cr.compile), where it must be an operation."""
    if graph.is_grad_enabled() and (
        x.requires_grad or (isinstance(value, TensorBase) and value.requires_grad)
    ):
        return True
    tracer = graph.trace_hook()
    if tracer is not None and not tracer.in_effect and (tracer.traced(x) or (
            isinstance(value, TensorBase) and tracer.traced(value))):
        return True
    if graph.forward_hook() is None:
        return False
    return x._tangent is not None or (isinstance(value, TensorBase) and value._tangent is not None)


def _under_trace(t):
    tracer = graph.trace_hook()
    return tracer is not None and tracer.traced(t)


def _remake_views(base, old_base=None):
    """After a recorded write into `base`, make each live view of it (and their views)
    again from the written tensor, so that using a view made before the write
    differentiates through the write, as its values already show it (PyTorch's views
    behave alike). The view objects keep their buffers; only their nodes change.
    `old_base` stands for what base was: the same view of it stands for what each view
    was, for the operations that read the view before the write (graph.keep_history)."""
    views = base._views
    if views is None:
        return
    for view in views:
        if view._view_step is None:
            continue  # (not made by an operation: refused when written through)
        prim, rest, kw = view._view_step
        old_view = None
        if old_base is not None and view._prim is not None:
            old_view = prim(old_base, *rest, **kw)
            old_view._seq = view._seq  # (its place in backward's order: the view's)
            graph.keep_history(view, old_view)
        graph.mark_renoded(view)
        graph.take_node(view, prim(base, *rest, **kw))
        _remake_views(view, old_view)


def _refuse_if_traced(t, what):
    """While a function is traced (cr.vmap), a Python value made from a traced tensor
    would fix the branch taken for every other input: refuse, naming the line."""
    tracer = graph.trace_hook()
    if tracer is not None and tracer.traced(t):
        raise TypeError(
            f"{what} on a tensor that is being traced (by {tracer.who}), at "
            f"{user_frame(3)}: {tracer.instead}"
        )


def _refuse_if_differentiated(t, what):
    """Inside a transform, a Python number made from a differentiated tensor would lose its
    gradient without a word: refuse, naming the line (comparisons and bool() still work)."""
    _refuse_if_traced(t, what)
    if transforms.tracing() and graph.is_traced(t):
        raise TypeError(
            f"{what} on a tensor that is being differentiated, at {user_frame(3)}: a Python "
            f"number carries no gradient, so the derivative through it would be lost. Keep "
            f"it a tensor (use it in tensor operations, or x.detach() if no gradient should "
            f"flow); comparisons and bool() work as they are"
        )


def _refuse_array_if_differentiated(t, what):
    """Inside a transform, a NumPy array made from a tensor being differentiated or
    traced would drop its gradient, or fix one example's (or call's) values for all (a
    common way in: out = np.zeros(3); out[0] = t, which converts t): refuse, naming the
    line."""
    tracer = graph.trace_hook()
    if tracer is not None and tracer.traced(t):
        raise TypeError(
            f"a NumPy array made from a tensor that is being traced (by {tracer.who}), at "
            f"{user_frame(3)}: the values of the example or call being traced would stand "
            f"for every other. Keep it a tensor (chainrule.numpy's functions trace), or "
            f"run this part outside {tracer.who}. ({what}, or a tensor written into a "
            f"NumPy array: out[i] = t)"
        )
    if transforms.tracing() and graph.is_traced(t):
        raise TypeError(
            f"a NumPy array made from a tensor that is being differentiated, at "
            f"{user_frame(3)}: an array carries no gradient, so the derivative through it "
            f"would be lost. Keep it a tensor: write into a tensor buffer "
            f"(out = cnp.zeros_like(t), or cnp.zeros_like(t, shape=...) for another "
            f"shape; out[i] = t), or use t.detach() where no gradient should flow. "
            f"({what}, or a tensor written into a NumPy array: out[i] = t)"
        )


def _leaf_write_error():
    return RuntimeError(
        "item assignment into a leaf tensor that requires grad: its gradient would have "
        "nowhere to go; assign into a copy (y = x.clone(); y[i] = v), or under cr.no_grad() "
        "to change the leaf itself (as an optimizer does)"
    )


def _check_grad_dtype(data, requires_grad):
    if requires_grad and data.dtype.kind == "c":
        raise TypeError(_COMPLEX_LEAF)
    if requires_grad and data.dtype.kind != "f":
        raise TypeError(
            f"only floating-point tensors can require grad, got dtype {data.dtype}; "
            f"convert first, e.g. cr.tensor(x, dtype='float32', requires_grad=True)."
        )


# Every derivative rule is written for real values: a complex leaf's gradient would come
# out conjugated or wrong (np.abs's rule reads sign(z) as z / |z|), so none is made.
_COMPLEX_LEAF = (
    "chainrule differentiates real values only: a complex tensor cannot require grad. Carry "
    "the real and imaginary parts as two real tensors (z = a + 1j b becomes a and b)")


class Tensor(TensorBase):
    """An n-dimensional array that records the operations applied to it.

    ``Tensor(data, requires_grad=False, dtype=None)`` copies ``data`` (a list, scalar,
    NumPy array or Tensor). The dtype follows NumPy's: float64 arrays stay float64,
    float32 arrays stay float32.
    """

    __slots__ = ()
    # Tensors take precedence over ndarrays in mixed arithmetic (`arr - x`).
    __array_priority__ = 1000

    def __init__(self, data: Any, requires_grad: bool = False, dtype: DTypeLike = None) -> None:
        if isinstance(data, TensorBase):
            if _under_trace(data):
                self._copy_traced(data, requires_grad, dtype)
                return
            data = data._data
        try:
            arr = np.array(data, dtype=dtype, copy=True)
        except ValueError:
            arr = np.array(data, dtype=object)
        if arr.dtype == object:
            raise TypeError(
                "cannot make a tensor from a ragged or non-numeric sequence; "
                "use a rectangular list of numbers or a NumPy array."
            )
        _check_grad_dtype(arr, requires_grad)
        self._data = arr
        self.requires_grad = bool(requires_grad)
        self._prim = None
        tracer = graph.trace_hook()
        if tracer is not None:
            tracer.created(self)

    def _copy_traced(self, data, requires_grad, dtype):
        # A copy of a value cr.compile or cr.vmap traces is still a function of it: made
        # by an operation, so the trace replays it on each call's or example's value
        # (copying its numbers would freeze the first call's). As torch.tensor(x), the
        # copy is a leaf: under no_grad, no gradient flows back into `data`.
        with graph.no_grad():
            made = P.copy(data) if dtype is None else P.astype(data, np.dtype(dtype))
        _check_grad_dtype(made._data, requires_grad)
        self._data = made._data if dtype is None else made._data.copy()
        self.requires_grad = bool(requires_grad)
        self._prim = None
        graph.trace_hook().alias(self, made)

    # ------------------------------------------------------------- array facts
    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def dtype(self) -> np.dtype[Any]:
        return self._data.dtype

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self) -> int:
        return self._data.size

    @property
    def grad_fn(self) -> Any:
        """Name of the primitive that produced this tensor, or None for a leaf."""
        return None if self._prim is None else self._prim.name

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", prefix="tensor(")
        extra = ""
        if self._data.dtype not in (np.float64, np.int64, np.bool_):
            extra += f", dtype={self._data.dtype}"
        if self._prim is not None:
            extra += f", grad_fn={self._prim.name}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    # ------------------------------------------------------- leaving the graph
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """NumPy ufuncs on tensors (np.tanh(t), ndarray - t) run chainrule's version and record."""
        return _numpy_dispatch.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        """NumPy functions on tensors (np.sum(t, axis=0)) run chainrule's version and record."""
        return _numpy_dispatch.array_function(func, types, args, kwargs)

    def __array__(self, dtype: DTypeLike = None, copy: bool | None = None) -> np.ndarray[Any, Any]:
        _refuse_array_if_differentiated(self, "np.asarray(t)")
        if dtype is not None and dtype != self._data.dtype:
            return self._data.astype(dtype)
        if copy:
            return self._data.copy()
        return self._data

    def numpy(self) -> np.ndarray[Any, Any]:
        """The underlying NumPy array (shared, not copied)."""
        _refuse_array_if_differentiated(self, "t.numpy()")
        return self._data

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        _refuse_if_differentiated(self, "item()")
        if self._data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self._data.item()

    def tolist(self) -> Any:
        _refuse_if_differentiated(self, "tolist()")
        return self._data.tolist()

    def __float__(self) -> float:
        _refuse_if_differentiated(self, "float()")
        return float(self._data.item() if self._data.size == 1 else self.item())

    def __int__(self) -> int:
        _refuse_if_differentiated(self, "int()")
        return int(self._data.item() if self._data.size == 1 else self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iu":
            raise TypeError(f"only integer tensors can be used as an index, not {self.dtype}")
        return int(self.item())

    def __bool__(self) -> bool:
        _refuse_if_traced(self, "bool()")
        if self._data.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self._data.size} elements is ambiguous; "
                f"use .any() or .all()"
            )
        return bool(self._data.item())

    def detach(self) -> Tensor:
        """A tensor sharing this one's data (and in-place history) but cut from the graph."""
        tracer = graph.trace_hook()
        if tracer is not None and (tracer.traced(self) or self.requires_grad):
            # Under cr.vmap or cr.compile a copy of the value would be a constant of the
            # trace (one example's, or the first call's): the cut is an operation instead.
            cut = P.stop_gradient(self)
            if self._prim is None:  # a write into it means a write into this leaf
                cut._detached_leaf = self
            return cut
        alias = graph.new_tensor(self._data)
        graph.share_versions(self, alias)
        if self._view_of is not None:
            # Writes through a detached view reach the viewed tensor too.
            alias._view_of = self._view_of
            alias._view_step = self._view_step
        return alias

    def clone(self) -> Tensor:
        """A differentiable copy with its own buffer."""
        return P.copy(self)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if not self.is_leaf:
            if requires_grad:  # (a recorded result requires grad already: nothing to do)
                return self
            raise RuntimeError("requires_grad_(False) applies to leaf tensors only; for a "
                               "result that no gradient should flow through, use detach()")
        _check_grad_dtype(self._data, requires_grad)
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward()."""
        graph.mark_retained(self)
        return self

    @property
    def retains_grad(self) -> bool:
        """Whether this non-leaf tensor keeps its gradient (retain_grad() was called)."""
        return bool(self._retain) and self._prim is not None

    def register_hook(self, hook: Any) -> Any:
        """Call ``hook(grad)`` with this tensor's gradient in every backward pass; a
        returned tensor replaces the gradient (see chainrule.hooks). Returns a handle
        whose ``remove()`` unregisters it."""
        return add_tensor_hook(self, hook, "_hooks", "register_hook")

    def register_post_accumulate_grad_hook(self, hook: Any) -> Any:
        """Call ``hook(self)`` after backward accumulated into this leaf's ``.grad``."""
        return add_tensor_hook(self, hook, "_post_hooks",
                               "register_post_accumulate_grad_hook")

    def backward(self, grad: _Operand | None = None, retain_graph: bool | None = None,
                 create_graph: bool = False) -> None:
        """Accumulate the gradient of this tensor into ``.grad`` of every leaf it depends on."""
        _backward(self, grad, retain_graph=retain_graph, create_graph=create_graph)

    # -------------------------------------------------------------- in place
    def _inplace(self, ufunc, other):
        # (The common case, an optimizer's update under no_grad with no transform
        # running, decided by two reads of graph's flags, without a call: it runs for
        # every parameter every step.)
        if (graph._grad_enabled or graph._hooked) and _differentiated(self, other):
            if self.requires_grad and self.is_leaf and graph.is_grad_enabled():
                raise RuntimeError(
                    "in-place update of a leaf tensor that requires grad; an optimizer "
                    "step belongs in `with cr.no_grad():`"
                )
            if graph.is_traced(self) or _under_trace(self):
                # A recorded in-place op is computed out of place and rebinds the name.
                tracer = graph.trace_hook()
                if tracer is not None:
                    tracer.rebound(self)
                return ufunc(self, other)
            # A constant updated by a differentiated value (buf[:2] += w): the result is
            # written into its buffer as a recorded write, so the tensor it views sees
            # it, as in NumPy. The operation reads a copy: the write makes `self` a node.
            self[...] = ufunc(graph.new_tensor(self._data.copy()), other)
            return self
        value = other._data if isinstance(other, TensorBase) else other
        ufunc.fwd(self._data, value, out=self._data, casting="same_kind")
        graph.mark_modified(self)
        return self

    def __iadd__(self, other: _Operand) -> Tensor:
        return self._inplace(P.add, other)

    def __isub__(self, other: _Operand) -> Tensor:
        return self._inplace(P.subtract, other)

    def __imul__(self, other: _Operand) -> Tensor:
        return self._inplace(P.multiply, other)

    def __itruediv__(self, other: _Operand) -> Tensor:
        return self._inplace(P.divide, other)

    def __setitem__(self, index: Any, value: _Operand) -> None:
        """``x[index] = value``: NumPy's assignment, recorded when it is differentiated.

        When `x` or `value` is being differentiated (requires grad under grad mode, or
        carries a forward-mode tangent), the write is the operation ``write(x, value,
        index)`` and the tensor object `x` becomes its output: the gradient flows to
        `value` at the written positions (the last write where an index repeats) and to
        x's previous contents everywhere else. The values land in x's own buffer, so
        views of x see them, as in NumPy. Otherwise it is a plain in-place write.
        """
        index = P.as_index(index)
        if not _differentiated(self, value):
            if graph.is_grad_enabled() and self.requires_grad:
                raise _leaf_write_error()
            self._data[index] = value._data if isinstance(value, TensorBase) else value
            graph.mark_modified(self)
            return
        if not self._data.flags.writeable:
            raise ValueError(
                "assignment destination is read-only (a broadcast view, as in NumPy); "
                "write into a copy (x = x.copy()) or into the tensor it was made from"
            )
        base, where = self._write_target(index)
        if base.requires_grad and base.is_leaf:
            raise _leaf_write_error()
        # The node `base` was moves to a new object; base becomes the write's output.
        old = graph.new_tensor(base._data.copy() if base._prim is not None else base._data)
        graph.take_node(old, base)
        if base._prim is not None:  # (old has a copy of the values: operations may read it)
            graph.keep_history(base, old)
        graph.mark_modified(self, recorded=True)
        new = P.write(old, value, index=where)
        base._data[where] = new._data[where]
        graph.take_node(base, new)
        _remake_views(base, old if base._history is not None else None)

    def _write_target(self, index):
        """(tensor owning the buffer, index into it) for a write of self[index]."""
        steps, t = [], self
        while t._view_of is not None:
            if t._view_step is None:
                raise RuntimeError(
                    "item assignment through this view cannot be differentiated (it was "
                    "not made by a chainrule operation); assign into the tensor it views"
                )
            steps.append(t._view_step)
            graph.link_view(t._view_of, t)  # (a copied tensor's views were not linked)
            t = t._view_of
        if not steps:
            return self, index
        # Where each element of the view sits in the base: the view's steps replayed on
        # the base's flat positions.
        pos = np.arange(t._data.size).reshape(t._data.shape)
        for prim, rest, kw in reversed(steps):
            pos = prim.fwd(pos, *[a._data if isinstance(a, TensorBase) else a for a in rest],
                           **kw)
        return t, np.unravel_index(np.asarray(pos[index]), t._data.shape)


    def zero_(self) -> Tensor:
        """Fill with zeros in place (outside the graph)."""
        self._data[...] = 0
        graph.mark_modified(self)
        return self

    def copy_(self, src: _Operand) -> Tensor:
        """Copy values from ``src`` into this tensor in place (outside the graph)."""
        self._data[...] = src._data if isinstance(src, TensorBase) else src
        graph.mark_modified(self)
        return self

    # --------------------------------------------------------------- operators
    # Each binary operator is its primitive's recorder itself (graph.binary_recorder), so
    # `x * 1.5` costs one Python call; the reflected forms swap the operands.
    if TYPE_CHECKING:  # (what the recorders below take and give, for type checkers)
        def __add__(self, other: _Operand) -> Tensor: ...
        def __radd__(self, other: _Operand) -> Tensor: ...
        def __sub__(self, other: _Operand) -> Tensor: ...
        def __rsub__(self, other: _Operand) -> Tensor: ...
        def __mul__(self, other: _Operand) -> Tensor: ...
        def __rmul__(self, other: _Operand) -> Tensor: ...
        def __truediv__(self, other: _Operand) -> Tensor: ...
        def __rtruediv__(self, other: _Operand) -> Tensor: ...
        def __pow__(self, other: _Operand) -> Tensor: ...
        def __rpow__(self, other: _Operand) -> Tensor: ...
        def __matmul__(self, other: _Operand) -> Tensor: ...
        def __rmatmul__(self, other: _Operand) -> Tensor: ...
    else:
        __add__ = binary_recorder(P.add)
        __radd__ = binary_recorder(P.add, reflected=True)
        __sub__ = binary_recorder(P.subtract)
        __rsub__ = binary_recorder(P.subtract, reflected=True)
        __mul__ = binary_recorder(P.multiply)
        __rmul__ = binary_recorder(P.multiply, reflected=True)
        __truediv__ = binary_recorder(P.divide)
        __rtruediv__ = binary_recorder(P.divide, reflected=True)
        __pow__ = binary_recorder(P.power)
        __rpow__ = binary_recorder(P.power, reflected=True)
        __matmul__ = binary_recorder(P.matmul)
        __rmatmul__ = binary_recorder(P.matmul, reflected=True)

    def __neg__(self) -> Tensor:
        return P.negative(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return P.abs(self)

    def __lt__(self, other: _Operand) -> Tensor:
        return P.less(self, other)

    def __le__(self, other: _Operand) -> Tensor:
        return P.less_equal(self, other)

    def __gt__(self, other: _Operand) -> Tensor:
        return P.greater(self, other)

    def __ge__(self, other: _Operand) -> Tensor:
        return P.greater_equal(self, other)

    def __eq__(self, other: _Operand) -> Tensor:
        return P.equal(self, other)

    def __ne__(self, other: _Operand) -> Tensor:
        return P.not_equal(self, other)

    # NumPy's bitwise operators: bit by bit on integers, logical on bools.
    def __invert__(self) -> Tensor:
        return E.invert(self)

    def __and__(self, other: _Operand) -> Tensor:
        return E.bitwise_and(self, other)

    def __rand__(self, other: _Operand) -> Tensor:
        return E.bitwise_and(other, self)

    def __or__(self, other: _Operand) -> Tensor:
        return E.bitwise_or(self, other)

    def __ror__(self, other: _Operand) -> Tensor:
        return E.bitwise_or(other, self)

    def __xor__(self, other: _Operand) -> Tensor:
        return E.bitwise_xor(self, other)

    def __rxor__(self, other: _Operand) -> Tensor:
        return E.bitwise_xor(other, self)

    def __lshift__(self, other: _Operand) -> Tensor:
        return E.left_shift(self, other)

    def __rlshift__(self, other: _Operand) -> Tensor:
        return E.left_shift(other, self)

    def __rshift__(self, other: _Operand) -> Tensor:
        return E.right_shift(self, other)

    def __rrshift__(self, other: _Operand) -> Tensor:
        return E.right_shift(other, self)

    # Python's % and // (NumPy's mod and floor_divide): x % y = x - floor(x / y) y takes
    # the sign of y; // is piecewise constant, so it carries no gradient.
    def __mod__(self, other: _Operand) -> Tensor:
        return P.mod(self, other)

    def __rmod__(self, other: _Operand) -> Tensor:
        return P.mod(other, self)

    def __floordiv__(self, other: _Operand) -> Tensor:
        return floor_divide(self, other)

    def __rfloordiv__(self, other: _Operand) -> Tensor:
        return floor_divide(other, self)

    def __divmod__(self, other: _Operand) -> tuple[Tensor, Tensor]:
        return self // other, self % other

    def __rdivmod__(self, other: _Operand) -> tuple[Tensor, Tensor]:
        return other // self, other % self

    def __iand__(self, other: _Operand) -> Tensor:
        return self._inplace(E.bitwise_and, other)

    def __ior__(self, other: _Operand) -> Tensor:
        return self._inplace(E.bitwise_or, other)

    def __ixor__(self, other: _Operand) -> Tensor:
        return self._inplace(E.bitwise_xor, other)

    def __ilshift__(self, other: _Operand) -> Tensor:
        return self._inplace(E.left_shift, other)

    def __irshift__(self, other: _Operand) -> Tensor:
        return self._inplace(E.right_shift, other)

    # (Without these Python falls back to x = x ** y: a view would not write its base.)
    def __ipow__(self, other: _Operand) -> Tensor:
        return self._inplace(P.power, other)

    def __imod__(self, other: _Operand) -> Tensor:
        return self._inplace(P.mod, other)

    def __ifloordiv__(self, other: _Operand) -> Tensor:
        return self._inplace(floor_divide, other)

    __hash__ = TensorBase.__hash__

    def __getitem__(self, index: Any) -> Tensor:
        return P.getitem(self, index)

    # ------------------------------------------------- NumPy / PyTorch methods
    @property
    def at(self) -> index_updates.IndexUpdateHelper:
        """JAX's functional index updates: ``x.at[i].set(v)``, ``.add(v)``, ``.get()``, ...
        each a new tensor, recorded (chainrule.index_updates)."""
        return index_updates.IndexUpdateHelper(self)

    @property
    def T(self) -> Tensor:
        return P.transpose(self)

    @property
    def mT(self) -> Tensor:
        """Transpose of the last two axes (a stack of matrices); needs ndim >= 2."""
        if self._data.ndim < 2:
            raise ValueError(
                f"mT needs a tensor with at least 2 dimensions, got shape {self.shape}"
            )
        return P.swapaxes(self, -1, -2)

    def astype(self, dtype: DTypeLike) -> Tensor:
        return P.astype(self, dtype=np.dtype(dtype))

    def to(self, dtype: DTypeLike) -> Tensor:
        return self.astype(dtype)

    def float(self) -> Tensor:
        return self.astype(np.float32)

    def double(self) -> Tensor:
        return self.astype(np.float64)

    def sum(self, axis: _Axis = None, keepdims: bool = False) -> Tensor:
        if axis is None and not keepdims:
            return P.sum(self)  # no keywords: the one-argument path
        return P.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: _Axis = None, keepdims: bool = False) -> Tensor:
        return P.mean(self, axis=axis, keepdims=keepdims)

    def max(self, axis: _Axis = None, keepdims: bool = False) -> Tensor:
        if axis is None and not keepdims:
            return P.max(self)  # no keywords: the one-argument path
        return P.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis: _Axis = None, keepdims: bool = False) -> Tensor:
        if axis is None and not keepdims:
            return P.min(self)  # no keywords: the one-argument path
        return P.min(self, axis=axis, keepdims=keepdims)

    def prod(self, axis: _Axis = None, keepdims: bool = False) -> Tensor:
        return P.prod(self, axis=axis, keepdims=keepdims)

    def var(self, axis: _Axis = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
        return P.var(self, axis=axis, keepdims=keepdims, ddof=ddof)

    def std(self, axis: _Axis = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
        return P.std(self, axis=axis, keepdims=keepdims, ddof=ddof)

    def logsumexp(self, axis: _Axis = None, keepdims: bool = False) -> Tensor:
        return P.logsumexp(self, axis=axis, keepdims=keepdims)

    def softmax(self, axis: _Axis = -1) -> Tensor:
        return P.softmax(self, axis=axis)

    def log_softmax(self, axis: _Axis = -1) -> Tensor:
        return P.log_softmax(self, axis=axis)

    def cumsum(self, axis: _Axis = None) -> Tensor:
        return P.cumsum(self, axis=axis)

    def argmax(self, axis: _Axis = None, keepdims: bool = False) -> Tensor:
        return P.argmax(self, axis=axis, keepdims=keepdims)

    def argmin(self, axis: _Axis = None, keepdims: bool = False) -> Tensor:
        return P.argmin(self, axis=axis, keepdims=keepdims)

    def any(self, axis: _Axis = None, keepdims: bool = False) -> Tensor:
        return graph.new_tensor(np.asarray(self._data.any(axis=axis, keepdims=keepdims)))

    def all(self, axis: _Axis = None, keepdims: bool = False) -> Tensor:
        return graph.new_tensor(np.asarray(self._data.all(axis=axis, keepdims=keepdims)))

    def reshape(self, *shape: Any, order: str = "C") -> Tensor:
        if len(shape) == 1 and not isinstance(shape[0], int):
            shape = shape[0]
        if order != "C":
            return _numpy().reshape(self, shape, order=order)
        return P.reshape(self, shape)

    def view(self, *shape: Any) -> Tensor:
        return self.reshape(*shape)

    def flatten(self, start_dim: Any = 0, end_dim: int = -1) -> Tensor:
        """PyTorch's flatten(start_dim, end_dim); NumPy's flatten(order) when given an
        order string ('C', 'F', 'A', 'K')."""
        if isinstance(start_dim, str):
            return self.ravel(start_dim)
        return P.flatten(self, start_dim, end_dim)

    def ravel(self, order: str = "C") -> Tensor:
        if order != "C":
            return _numpy().ravel(self, order)
        return P.reshape(self, (-1,))

    # ndarray's methods, as chainrule.numpy's functions (programs written for HIPS
    # autograd call them on the values they differentiate)
    def argsort(self, axis: int | None = -1, kind: Any = None, order: Any = None) -> Any:
        return _numpy().argsort(self, axis=axis, kind=kind, order=order)

    def argpartition(self, kth: Any, axis: int | None = -1, kind: str = "introselect",
                     order: Any = None) -> Any:
        return _numpy().argpartition(self, kth, axis=axis, kind=kind, order=order)

    def nonzero(self) -> Any:
        return _numpy().nonzero(self)

    def repeat(self, repeats: Any, axis: int | None = None) -> Tensor:
        return _numpy().repeat(self, repeats, axis=axis)

    def round(self, decimals: int = 0) -> Tensor:
        return _numpy().round(self, decimals)

    def trace(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
        return _numpy().trace(self, offset, axis1, axis2)

    def diagonal(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
        return _numpy().diagonal(self, offset, axis1, axis2)

    def cumprod(self, axis: _Axis = None) -> Tensor:
        return _numpy().cumprod(self, axis=axis)

    def take(self, indices: Any, axis: int | None = None) -> Tensor:
        return _numpy().take(self, indices, axis=axis)

    def searchsorted(self, v: Any, side: str = "left", sorter: Any = None) -> Any:
        return _numpy().searchsorted(self, v, side=side, sorter=sorter)

    def ptp(self, axis: _Axis = None, keepdims: bool = False) -> Tensor:
        return _numpy().ptp(self, axis=axis, keepdims=keepdims)

    def conj(self) -> Tensor:
        return _numpy().conj(self)

    conjugate = conj

    def transpose(self, *axes: Any) -> Tensor:
        if len(axes) == 1 and not isinstance(axes[0], int):
            axes = axes[0]
        return P.transpose(self, axes or None)

    def permute(self, *axes: Any) -> Tensor:
        return self.transpose(*axes)

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        return P.swapaxes(self, axis1, axis2)

    def squeeze(self, axis: _Axis = None) -> Tensor:
        return P.squeeze(self, axis)

    def unsqueeze(self, axis: _Axis) -> Tensor:
        return P.expand_dims(self, axis)

    def expand_dims(self, axis: _Axis) -> Tensor:
        return P.expand_dims(self, axis)

    def broadcast_to(self, shape: Any) -> Tensor:
        return P.broadcast_to(self, tuple(shape))

    def flip(self, axis: _Axis = None) -> Tensor:
        return P.flip(self, axis)

    def clip(self, a_min: _Operand | None = None, a_max: _Operand | None = None) -> Tensor:
        """Values limited to [a_min, a_max] (bounds may be tensors, with gradients)."""
        return P.clip_function(self, a_min, a_max)

    def clamp(self, min: _Operand | None = None, max: _Operand | None = None) -> Tensor:
        """PyTorch's name and keywords for clip."""
        return P.clamp(self, min, max)

    def dot(self, other: _Operand) -> Tensor:
        return P.dot(self, other)

    def matmul(self, other: _Operand) -> Tensor:
        return P.matmul(self, other)

    def exp(self) -> Tensor:
        return P.exp(self)

    def log(self) -> Tensor:
        return P.log(self)

    def sqrt(self) -> Tensor:
        return P.sqrt(self)

    def abs(self) -> Tensor:
        return P.abs(self)

    def tanh(self) -> Tensor:
        return P.tanh(self)

    def sigmoid(self) -> Tensor:
        return P.sigmoid(self)

    def relu(self) -> Tensor:
        return P.relu(self)

    def sin(self) -> Tensor:
        return P.sin(self)

    def cos(self) -> Tensor:
        return P.cos(self)


graph.set_tensor_type(Tensor)


def _numpy():
    # chainrule.numpy imports this module: looked up when a method runs.
    from . import numpy

    return numpy


def tensor(data: Any, requires_grad: bool = False, dtype: DTypeLike = None) -> Tensor:
    """Make a tensor holding a copy of ``data`` (PyTorch's ``torch.tensor``)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def as_tensor(data: Any, dtype: DTypeLike = None) -> Tensor:
    """Wrap ``data`` as a tensor without copying when it already is an array of that dtype."""
    if isinstance(data, TensorBase):
        return data if dtype is None or data.dtype == dtype else data.astype(dtype)
    return graph.new_tensor(np.asarray(data, dtype=dtype))
