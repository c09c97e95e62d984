"""``chainrule.torch.Tensor``: chainrule's Tensor with PyTorch's method semantics.

A subclass of :class:`chainrule.Tensor`. It overrides only the methods whose meaning
differs between NumPy and PyTorch (``size()``, ``transpose(0, 1)``, ``split(2)``,
``std()``, ``repeat``, ``max(dim)``, ...) and adds PyTorch's own (``dim()``,
``numel()``, ``view``, ``masked_fill``, ``new_zeros``, ...). Every method calls
chainrule's primitives: there is no second set of derivative rules.

Operations keep the class: the engine gives an operation's output the class of its
tensor operands (the most derived one where they differ), so a front-end tensor meeting
a chainrule tensor or an ``nn.Parameter`` gives a front-end tensor.

chainrule's own code (its layers, losses, backward pass) calls tensor methods with
NumPy's keywords (``x.sum(axis=0, keepdims=True)``, ``x.var(axis=a)``); those keywords
keep NumPy's meaning here too, so that code computes the same on either class. PyTorch's
keywords are ``dim``, ``keepdim``, ``unbiased`` and ``correction``.
"""

from __future__ import annotations

import builtins
import warnings

import numpy as np

from .. import graph
from .. import primitives as P
from ..graph import TensorBase
from ..linalg import vector_norm
from ..nn.arguments import in_float32
from ..primitives import construction as C
from ..primitives import elementwise as E
from ..primitives import indexing as I
from ..primitives import sorting as S
from ..primitives.scans import torch_cumprod
from ..primitives.steps import floor_divide
from ..tensor import Tensor as _CrTensor
from ..tensor import _refuse_array_if_differentiated
from . import products, return_types
from . import types as T
from .grad_fns import Node, grad_fn_name, named
from .printing import tensor_repr
from .tensor_writes import (
    WritesAndNewTensors,
    refuse_float_operand,
    same_dtype,
    scalar_first,
    scaled,
    wrapped_int,
)


def front(t):
    """``t`` as a front-end tensor: a chainrule Tensor made by an operation is re-classed
    in place (the same object, node and array: only its methods change). Used on tensors
    the front end made or received fresh from the engine, never on a caller's own."""
    if type(t) is _CrTensor:
        t.__class__ = Tensor
    return t


def like(x, t):
    """``t`` (a fresh result made from NumPy's answer) in the class the mixing rule gives
    an operation on ``x``: front-end when ``x`` is."""
    return front(t) if isinstance(x, Tensor) else t


def zero_gradient(x, value):
    """``value`` (floor, ceil, round, trunc or sign of x) as PyTorch gives it: with a zero
    gradient to x, so it requires grad when x does and a loss made only of such terms
    differentiates to zeros (the engine's step functions are constants). A where that
    takes every element from ``value``: the gradient to x is exactly zero, even where
    it is infinite."""
    if getattr(x, "requires_grad", False) and graph.is_grad_enabled():
        return P.where(np.zeros(np.shape(x), bool), x, value)
    return value


def _dims(dim, axis, default=None):
    """PyTorch's ``dim`` or NumPy's ``axis`` (one of them), lists made tuples."""
    if dim is not None and axis is not None:
        raise TypeError("give dim (PyTorch's name) or axis (NumPy's), not both")
    if isinstance(dim, (tuple, list)) and not dim:
        return default  # (dim=(): every dimension, as PyTorch's reductions read it)
    d = dim if dim is not None else axis
    if d is None:
        return default
    return tuple(d) if isinstance(d, list) else d


def _on(x, d):
    """``d`` for tensor ``x``; None (all of it) for dim 0 or -1 of a 0-d tensor, which
    PyTorch accepts there."""
    if x._data.ndim == 0 and d is not None and (d in (0, -1) or (
            isinstance(d, tuple) and len(d) == 1 and d[0] in (0, -1))):
        return None
    return d


def _truth(x, reduce, dim, axis, keepdims):
    """x.all / x.any as PyTorch's: ``dim=()`` reduces nothing (each element's truth, not
    every dimension as in the other reductions), and uint8 gives uint8 (its legacy)."""
    d = () if isinstance(dim, (tuple, list)) and not dim else _dims(dim, axis)
    out = reduce(x._data, axis=d, keepdims=keepdims)
    return Tensor(out, dtype=np.uint8 if x._data.dtype == np.uint8 else bool)


def _keep(keepdim, keepdims):
    return builtins.bool(keepdim or keepdims)


def _ddof(unbiased, correction, ddof, numpy_call):
    if ddof is not None:
        return ddof
    if correction is not None:
        return correction
    if unbiased is not None:
        return builtins.int(builtins.bool(unbiased))
    return 0 if numpy_call else 1


def zero_dim_follows(a, b):
    """(a, b) with PyTorch's promotion between a dimensioned tensor and a 0-d one: the 0-d
    tensor takes the other's dtype unless its kind is higher, as a Python number would
    (float32 x * a float64 0-d tensor is float32, an int32 x + an int64 0-d one int32);
    NumPy promotes both to the wider dtype."""
    if isinstance(a, _CrTensor) and isinstance(b, _CrTensor):
        ad, bd = a._data, b._data
        if ad.dtype != bd.dtype and (ad.ndim == 0) != (bd.ndim == 0):
            if ad.ndim == 0:
                if T.CATEGORY[ad.dtype.kind] <= T.CATEGORY[bd.dtype.kind]:
                    a = P.astype(a, dtype=bd.dtype)
            elif T.CATEGORY[bd.dtype.kind] <= T.CATEGORY[ad.dtype.kind]:
                b = P.astype(b, dtype=ad.dtype)
    return a, b


def _is_int(i):
    return isinstance(i, (builtins.int, np.integer)) and not isinstance(i, builtins.bool)


def scalar_dims(x, dims):
    """True when x is 0-d and every dim in ``dims`` is 0 or -1: PyTorch reads a 0-d tensor
    as having one dimension there, so transpose, squeeze, flip and movedim are the
    identity on it (NumPy has no axis to name and refuses)."""
    return np.ndim(x._data if isinstance(x, TensorBase) else x) == 0 and builtins.all(
        d in (0, -1) for d in dims)


def _legacy_index(index):
    """Two readings PyTorch kept from older NumPy: a short list holding a sequence, a
    tensor, a slice, None or Ellipsis is a tuple of indices (``x[[[0, 1], [1, 2]]]`` is
    ``x[[0, 1], [1, 2]]``), and a uint8 tensor is a mask (with PyTorch's warning), as
    code from before bool tensors writes them."""
    if type(index) is list and len(index) < 32 and builtins.any(
            i is None or i is Ellipsis or isinstance(i, (list, tuple, range, slice, TensorBase,
                                                         np.ndarray)) for i in index):
        index = tuple(index)
    items = index if type(index) is tuple else (index,)
    if builtins.any(isinstance(i, _CrTensor) and i._data.dtype == np.uint8 for i in items):
        warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                      "torch.bool instead.", UserWarning, stacklevel=3)
        items = tuple(i._data.astype(bool) if isinstance(i, _CrTensor)
                      and i._data.dtype == np.uint8 else i for i in items)
        index = items if type(index) is tuple else items[0]
    return index


def _element_index(index, ndim):
    """PyTorch's reading of an index of integers: a 0-d integer tensor counts as an
    integer, and one integer per dimension selects a 0-d view (x[1, 2].add_(1) changes
    x), where NumPy would return a copied scalar; the Ellipsis asks NumPy for the view."""
    items = index if type(index) is tuple else (index,)
    if any(isinstance(i, _CrTensor) and i._data.ndim == 0 and i._data.dtype.kind in "iu"
           for i in items):
        items = tuple(builtins.int(i._data) if isinstance(i, _CrTensor) and i._data.ndim == 0
                      and i._data.dtype.kind in "iu" else i for i in items)
        index = items if type(index) is tuple or len(items) != 1 else items[0]
    if len(items) == ndim and ndim and all(_is_int(i) for i in items):
        return (*items, Ellipsis)
    return index


def _integer_beside_advanced(index):
    """Whether a tuple index mixes integers with advanced indices (and no None, whose
    new axes the two-step form would misplace)."""
    has_int = has_advanced = False
    for i in index:
        if i is None:
            return False
        if _is_int(i):
            has_int = True
        elif isinstance(i, (list, np.ndarray)) or (isinstance(i, _CrTensor) and i._data.ndim):
            has_advanced = True
    return has_int and has_advanced


def _refuse_integer_zero(a, b):
    """PyTorch raises for an integer division by zero (NumPy gives 0 with a warning)."""
    bd = b._data if isinstance(b, _CrTensor) else np.asarray(b)
    ad = a._data if isinstance(a, _CrTensor) else np.asarray(a)
    if ad.dtype.kind in "iub" and bd.dtype.kind in "iub" and not np.all(bd):
        raise RuntimeError("ZeroDivisionError")


def _accumulated(out, x, dtype):
    """A sum's or product's result in PyTorch's dtype: ``dtype`` when given, int64 for
    integer and bool input (NumPy gives uint64 for unsigned input and keeps int32 in a
    cumulative product)."""
    want = T.dtype_of(dtype) if dtype is not None else (
        np.dtype(np.int64) if x._data.dtype.kind in "biu" else None)
    if want is not None and out._data.dtype != want:
        out = P.astype(out, dtype=want)
    return P.copy(out) if out is x else out  # (of a 0-d tensor: still a new tensor)


_NUMBERS = (builtins.bool, builtins.int, builtins.float, builtins.complex)


def result_dtype_of(operands):
    """The dtype PyTorch computes ``operands`` in (types.result_dtype): tensors and arrays
    by their dtypes and dimensions, Python numbers by category; None when there are none."""
    arrays = [x._data if isinstance(x, _CrTensor) else np.asarray(x)
              for x in operands if isinstance(x, (_CrTensor, np.ndarray, np.generic))]
    numbers = [x for x in operands if isinstance(x, _NUMBERS)]
    return T.result_dtype(arrays, numbers)


def promoted(*operands, wrap=False):
    """The operands, tensors and arrays cast to the dtype PyTorch computes in
    (result_dtype_of; Python numbers are left as they are, which NumPy then reads in
    that dtype). None entries (absent bounds) pass through. `wrap`: Python ints are
    wrapped into an integer result dtype (wrapped_int), for operations computed in it
    (bitwise, clamp, where; float-valued functions such as copysign must not wrap)."""
    dtype = result_dtype_of(operands)
    if dtype is None:
        return list(operands)
    if not any(isinstance(x, (_CrTensor, np.ndarray, np.generic)) for x in operands):
        # numbers only (torch.where(c, 2.0, 3)): in their default dtype
        return [np.asarray(x, dtype)[()] if isinstance(x, _NUMBERS) else x for x in operands]
    out = []
    for x in operands:
        if type(x) is builtins.int and wrap:
            x = wrapped_int(x, dtype)
        elif isinstance(x, _CrTensor) and x._data.dtype != dtype:
            x = P.astype(x, dtype=dtype)
        elif isinstance(x, (np.ndarray, np.generic)) and np.asarray(x).dtype != dtype:
            x = np.asarray(x).astype(dtype)
        out.append(x)
    return out


def _refuse_bool_subtraction(a, b):
    """PyTorch refuses ``-`` with a bool operand (a tensor or a Python bool); NumPy
    computes bool - int as integers."""
    bools = [x for x in (a, b) if type(x) is builtins.bool
             or (isinstance(x, _CrTensor) and x._data.dtype == np.bool_)]
    if not bools:
        return
    if len(bools) == 2:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not "
                       "supported. If you are trying to invert a mask, use the `~` or "
                       "`logical_not()` operator instead.")


def _promoting(prim, reflected=False, true_division=False, subtraction=False):
    """The operator `prim` with PyTorch's promotion where NumPy's differs: an integer (or
    bool) tensor meeting a Python float or a float tensor computes in the float's dtype (a
    Python float: the default dtype, float32) where NumPy gives float64, a Python int
    meeting a narrow integer tensor is wrapped into its dtype (wrapped_int), and (for true
    division) two integer tensors divide in the default float dtype. Float tensors take
    the engine's operator directly. `subtraction` refuses bool operands, as PyTorch."""
    fast = graph.binary_recorder(prim, reflected)

    def op(self, other):
        try:
            # (subtraction's bool check sits on the paths a bool operand can take, off the
            # float-tensor fast path)
            if isinstance(other, _CrTensor) and other._data.dtype != self._data.dtype:
                if subtraction:
                    _refuse_bool_subtraction(self, other)
                self, other = zero_dim_follows(self, other)
            if self._data.dtype.kind in "iub":
                if subtraction and (self._data.dtype.kind == "b" or type(other) is builtins.bool):
                    _refuse_bool_subtraction(self, other)
                if type(other) is builtins.int and not true_division:
                    other = wrapped_int(other, self._data.dtype)
                elif isinstance(other, builtins.float) or (
                        isinstance(other, _CrTensor) and other._data.dtype.kind == "f"):
                    target = (T.get_default_dtype() if isinstance(other, builtins.float)
                              else other._data.dtype)
                    return fast(P.astype(self, dtype=target), other)
                if true_division:
                    target = T.get_default_dtype()
                    if isinstance(other, _CrTensor):
                        other = P.astype(other, dtype=target)
                    return fast(P.astype(self, dtype=target), other)
            elif isinstance(other, _CrTensor) and other._data.dtype.kind in "iub" and (
                    self._data.dtype.kind == "f"):
                return fast(self, P.astype(other, dtype=self._data.dtype))
            elif subtraction and type(other) is builtins.bool:
                _refuse_bool_subtraction(self, other)
            return fast(self, other)
        except ValueError as e:  # (operands that do not broadcast: PyTorch's RuntimeError)
            raise (_shape_error(e, other, self) if reflected
                   else _shape_error(e, self, other)) from None

    op.__name__ = prim.name
    return op


def _reshaped(x, shape):
    """P.reshape, a shape that does not fit the element count raising PyTorch's
    RuntimeError (a ShapeError)."""
    try:
        return P.reshape(x, shape)
    except ValueError as e:
        size = x._data.size
        known = [d for d in shape if d != -1]
        count = int(np.prod(known)) if known else 1
        fits = (count == size) if -1 not in shape else (count != 0 and size % count == 0)
        if fits or isinstance(e, T.ShapeError):
            raise
        raise T.ShapeError(f"shape '{list(shape)}' is invalid for input of size {size}") \
            from None


def _shape_error(error, a, b):
    """``error`` (the engine's ValueError) as PyTorch's RuntimeError for operands of
    shapes that do not broadcast (a ShapeError, a ValueError too), else as it is."""
    if isinstance(error, T.ShapeError):
        return error
    message = T.broadcast_mismatch(np.shape(a._data if isinstance(a, TensorBase) else a),
                                   np.shape(b._data if isinstance(b, TensorBase) else b))
    return error if message is None else T.ShapeError(message)


def _promoting_bitwise(prim, reflected=False):
    """The bitwise/shift operator `prim` with PyTorch's promotion (promoted: a 0-d tensor
    operand takes the dimensioned one's dtype, as in arithmetic; NumPy widens both)."""
    def op(self, other):
        a, b = promoted(self, other, wrap=True)
        return prim(b, a) if reflected else prim(a, b)

    op.__name__ = prim.name
    return op


def with_value_at(fn, at, value):
    """`fn` with `value` (in the result's dtype) where `at(x)`: PyTorch's answers at
    special values where NumPy's differ (sign(NaN) is 0, i0(inf) NaN, lgamma(-inf) inf)."""
    def op(x):
        out = fn(x)
        if out._data.dtype.kind != "f":
            return out
        return P.where(at(x), np.asarray(value, out._data.dtype), out)

    op.__name__ = getattr(fn, "name", getattr(fn, "__name__", "op"))
    return op


def clamped(input, min=None, max=None):
    """PyTorch's clamp: promoted (an integer tensor with float bounds is a float tensor),
    and NaN where a bound is NaN (NumPy's comparisons would ignore that bound)."""
    x, lo, hi = promoted(input, min, max, wrap=True)
    out = P.clamp(x, lo, hi)
    for bound in (lo, hi):
        if isinstance(bound, builtins.float) and bound != bound:
            out = out + bound
        elif isinstance(bound, _CrTensor) and bound._data.dtype.kind == "f":
            out = P.where(P.isnan(bound), bound, out)
    return out


def _comparison(name):
    """The engine's comparison operator `name`, with a Python int beside a narrow integer
    tensor wrapped into its dtype as in arithmetic (wrapped_int: uint8 < -3 is < 253)."""
    engine_op = getattr(_CrTensor, name)

    def op(self, other):
        if type(other) is builtins.int:
            other = wrapped_int(other, self._data.dtype)
        return engine_op(self, other)

    op.__name__ = name
    return op


def _negative_integer_power(base, exponent):
    """Integer powers with negative integer exponents, as PyTorch computes them: the
    integer part of 1 / base ** -e, which is 0 unless the base is 1 or -1 (0 ** -1 is 0
    too); NumPy raises ValueError. Integers: no gradient."""
    dtype = result_dtype_of((base, exponent))
    b, e = (np.asarray(t._data if isinstance(t, _CrTensor) else t, dtype)
            for t in (base, exponent))
    out = np.where((e < 0) & (np.abs(b) != 1), 0, np.power(b, np.abs(e)))
    return Tensor(out, dtype=dtype)


def _negative_exponents(base, exponent):
    """True if base ** exponent is an integer power with a negative exponent tensor (a
    negative Python int exponent is refused, as PyTorch does)."""
    return (isinstance(exponent, _CrTensor) and exponent._data.dtype.kind in "iu"
            and np.asarray(base._data if isinstance(base, _CrTensor) else base).dtype.kind
            in "iub" and builtins.bool((exponent._data < 0).any()))


def _refuse_negative_step(index):
    """PyTorch has no negative slice steps (x[::-1] raises; flip is the way); NumPy's
    would silently reverse. (Inlined loop, no generator: this is on every x[...].)"""
    if type(index) is tuple:
        for i in index:
            if type(i) is slice and i.step is not None and i.step < 0:
                raise ValueError("step must be greater than zero")
    elif type(index) is slice and index.step is not None and index.step < 0:
        raise ValueError("step must be greater than zero")


def _refuse_overflow(value, dtype):
    """PyTorch refuses a fill value outside an integer dtype (NaN, inf, 1e30 into int64;
    unsigned ones take -max..max, so -3 fills uint8 with 253); NumPy's cast gives garbage."""
    v = value._data if isinstance(value, _CrTensor) else value
    v = np.asarray(v)
    if v.ndim or v.dtype.kind not in "iuf":
        return
    info = np.iinfo(dtype)
    lo = -builtins.int(info.max) if dtype.kind == "u" else builtins.int(info.min)
    if not (np.isfinite(v) and lo <= v.item() <= info.max):
        raise RuntimeError(f"value cannot be converted to type {dtype.name} without overflow")


def _is_advanced(i):
    return isinstance(i, (list, np.ndarray)) or (
        isinstance(i, _CrTensor) and (i._data.ndim or i._data.dtype == np.bool_))


def floating(x):
    """``x`` in the default float dtype when it holds integers or bools: PyTorch's
    float-valued functions (exp, sqrt, tanh, ...) give float32 there, NumPy float64."""
    if isinstance(x, _CrTensor) and x._data.dtype.kind in "iub":
        return P.astype(x, dtype=T.get_default_dtype())
    return x


def _float_valued(prim):
    def method(self):
        return prim(floating(self))

    method.__name__ = prim.name
    method.__doc__ = f"{prim.name} of each element (integer tensors in the default float dtype)."
    return method


def _keyword(values, kw, name, who):
    """Positional sizes or dims, or the same given by PyTorch's keyword ``name``."""
    if kw:
        if set(kw) != {name} or values:
            raise TypeError(f"{who}() got unexpected keyword arguments {sorted(kw)}; "
                            f"give the sizes positionally or as {name}=")
        return (kw[name],)
    return values


def _cast_to(name, dtype):
    """The method ``Tensor.<name>()``: this tensor as `dtype` (itself if it is one)."""

    def cast(self, memory_format=None):
        return self.to(dtype, memory_format=memory_format)

    cast.__name__, cast.__qualname__ = name, f"Tensor.{name}"
    cast.__doc__ = f"This tensor as {np.dtype(dtype).name} (itself if it is one already)."
    return cast


class Tensor(WritesAndNewTensors, _CrTensor):
    """A tensor whose methods mean what they mean in PyTorch (see the module docstring).

    ``torch.Tensor(data)`` makes a float tensor in the default dtype (float32), as
    PyTorch's legacy constructor does; ``torch.tensor(data)`` infers the dtype.
    """

    __slots__ = ()

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate this tensor's gradient into ``.grad`` of the leaves it depends on
        (of ``inputs`` only, when given), with PyTorch's argument names."""
        from .autograd_core import backward  # (that module builds on this one)

        backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph,
                 inputs=inputs)

    def __init__(self, *data, requires_grad=False, dtype=None):
        if len(data) == 1 and not isinstance(data[0], (builtins.int, np.integer)):
            src = data[0]
        else:  # torch.Tensor(2, 3): a tensor of that shape (zeros here); Tensor(): empty
            src = np.zeros(tuple(builtins.int(s) for s in data) if data else (0,))
        super().__init__(src, requires_grad=requires_grad,
                         dtype=T.get_default_dtype() if dtype is None else dtype)

    def __repr__(self):
        suffixes = []
        if self._data.dtype not in (T.get_default_dtype(), np.int64, np.bool_):
            suffixes.append(f"dtype=torch.{self._data.dtype}")
        if self._prim is not None:
            suffixes.append(f"grad_fn=<{grad_fn_name(self)}>")
        elif self.requires_grad:
            suffixes.append("requires_grad=True")
        return tensor_repr(self._data, suffixes)

    def __getitem__(self, index):
        """NumPy's indexing, except that an integer beside an advanced index (a list, an
        array or a tensor) is applied first, as a basic index, as PyTorch does:
        ``x[0, :, [1, 2]]`` of a (4, 3, 5) tensor has shape (3, 2), where NumPy moves the
        advanced dimension to the front, (2, 3)."""
        index = _legacy_index(index)
        _refuse_negative_step(index)
        index = _element_index(index, self._data.ndim)
        if type(index) is tuple and len(index) > 2 and _integer_beside_advanced(index):
            first = tuple(i if i is Ellipsis or _is_int(i) else slice(None) for i in index)
            rest = tuple(i for i in index if not _is_int(i))
            return P.getitem(P.getitem(self, first), rest)
        return P.getitem(self, index)

    def __setitem__(self, index, value):
        index = _legacy_index(index)
        # PyTorch's index_put (an advanced index) takes only a source of the same dtype;
        # basic indexing casts (copy_).
        if isinstance(value, _CrTensor) and value._data.dtype != self._data.dtype and (
                _is_advanced(index) or (type(index) is tuple
                                        and builtins.any(_is_advanced(i) for i in index))):
            raise RuntimeError(
                "Index put requires the source and destination dtypes match, got "
                f"{T.SCALAR_NAMES.get(self._data.dtype, self._data.dtype.name)} for the "
                f"destination and {T.SCALAR_NAMES.get(value._data.dtype, value._data.dtype.name)}"
                " for the source.")
        _refuse_negative_step(index)
        # PyTorch drops a source's leading size-1 dimensions (a[t] = b with b of shape
        # (1,) writes one element; NumPy refuses an array into a scalar's place); they
        # never change what broadcasting writes elsewhere.
        shape = np.shape(value._data if isinstance(value, TensorBase) else value) \
            if isinstance(value, (TensorBase, np.ndarray)) else ()
        lead = 0
        while lead < len(shape) and shape[lead] == 1:
            lead += 1
        if lead:
            value = (P.reshape(value, shape[lead:]) if isinstance(value, TensorBase)
                     else value.reshape(shape[lead:]))
        super().__setitem__(index, value)

    def __format__(self, spec):
        """A 0-d tensor formats as its number (f"{loss:.4f}", "{}".format(loss)), as in
        PyTorch; str() keeps the tensor(...) form."""
        if self._data.ndim == 0:
            return format(self._data.item(), spec)
        if spec:  # (PyTorch's: object.__format__ takes no format string)
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return str(self)

    __add__ = _promoting(P.add)
    __and__ = _promoting_bitwise(E.bitwise_and)
    __rand__ = _promoting_bitwise(E.bitwise_and, reflected=True)
    __or__ = _promoting_bitwise(E.bitwise_or)
    __ror__ = _promoting_bitwise(E.bitwise_or, reflected=True)
    __xor__ = _promoting_bitwise(E.bitwise_xor)
    __rxor__ = _promoting_bitwise(E.bitwise_xor, reflected=True)
    __lshift__ = _promoting_bitwise(E.left_shift)
    __rlshift__ = _promoting_bitwise(E.left_shift, reflected=True)
    __rshift__ = _promoting_bitwise(E.right_shift)
    __rrshift__ = _promoting_bitwise(E.right_shift, reflected=True)
    __radd__ = _promoting(P.add, reflected=True)
    _power = _promoting(P.power)

    def __pow__(self, other):
        if type(other) is builtins.int and other < 0 and self._data.dtype.kind in "iub":
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if _negative_exponents(self, other):
            return _negative_integer_power(self, other)
        # (bool ** bool is bool in PyTorch; NumPy computes it in int8)
        out = self._power(other)
        if self._data.dtype == np.bool_ and isinstance(other, builtins.bool):
            return P.astype(out, dtype=np.bool_)
        return out

    _rpower = _promoting(P.power, reflected=True)

    def __rpow__(self, other):
        if _negative_exponents(other, self):
            return _negative_integer_power(other, self)
        return self._rpower(other)

    __lt__ = _comparison("__lt__")
    __le__ = _comparison("__le__")
    __gt__ = _comparison("__gt__")
    __ge__ = _comparison("__ge__")
    __eq__ = _comparison("__eq__")
    __ne__ = _comparison("__ne__")
    __hash__ = _CrTensor.__hash__
    __sub__ = _promoting(P.subtract, subtraction=True)
    __rsub__ = _promoting(P.subtract, reflected=True, subtraction=True)
    __mul__ = _promoting(P.multiply)
    __rmul__ = _promoting(P.multiply, reflected=True)
    __truediv__ = _promoting(P.divide, true_division=True)
    __rtruediv__ = _promoting(P.divide, reflected=True, true_division=True)

    # ------------------------------------------------------------------ facts
    @property
    def grad(self):
        """The accumulated gradient, as a front-end tensor."""
        return front(self._grad)

    @grad.setter
    def grad(self, value):
        if value is not None and not isinstance(value, _CrTensor):
            raise TypeError(f"assigned grad expected to be a Tensor or None but got "
                            f"{type(value).__name__}")
        _CrTensor.grad.fset(self, value)

    @property
    def dtype(self):
        """PyTorch's ``torch.dtype`` (equal to the NumPy dtype of the values)."""
        return T.torch_dtype(self._data.dtype)

    @property
    def device(self):
        return T.CPU

    @property
    def is_cuda(self):
        return False

    # Questions programs ask of a tensor's storage: dense, on the CPU, plain.
    is_cpu = True
    is_sparse = is_quantized = is_meta = is_nested = is_mkldnn = is_mps = is_xpu = False

    @property
    def layout(self):
        from .queries import strided

        return strided

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return self._data.nbytes

    def dim_order(self):
        return tuple(range(self._data.ndim))

    def to_dense(self, dtype=None, *, masked_grad=None):
        return self if dtype is None else self.to(dtype)

    def to_sparse(self, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
        """The tensor itself: chainrule.torch stores sparse tensors dense; a 2-D constant
        with few nonzeros remembers where they are, for sparse.mm (chainrule.torch.sparse)."""
        from .sparse import remember_coordinates

        return remember_coordinates(self)

    to_sparse_coo = to_sparse

    def coalesce(self):
        return self

    def is_coalesced(self):
        return True

    def indices(self):
        """The coordinates (ndim x nnz, int64) of the nonzero entries."""
        return front(graph.new_tensor(np.stack(np.nonzero(self._data)).astype(np.int64)))

    _indices = indices

    def values(self):
        """The nonzero entries, in the order of indices() (differentiable)."""
        return self[tuple(np.nonzero(self._data))]

    _values = values

    def _nnz(self):
        """The number of stored entries of a sparse tensor: its nonzeros here (sparse
        tensors are stored dense; an explicitly stored zero is not told apart)."""
        return int(np.count_nonzero(self._data))

    @property
    def mT(self):
        # (of a 0-d tensor: itself, as PyTorch, which warns that this is deprecated)
        return P.reshape(self, ()) if self._data.ndim == 0 else super().mT

    @property
    def mH(self):
        """The conjugate transpose of the last two dimensions (mT for real tensors)."""
        if self._data.dtype.kind == "c":  # (complex values are not differentiated)
            return front(graph.new_tensor(np.conj(np.swapaxes(self._data, -1, -2))))
        return self.mT

    def adjoint(self):
        return self.mH

    @property
    def H(self):
        if self._data.ndim != 2:
            raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors), got "
                               f"{self._data.ndim}-D")
        return self.mH

    @property
    def real(self):
        """The tensor itself (a real tensor is its own real part; PyTorch returns it too)."""
        if self._data.dtype.kind == "c":
            return front(graph.new_tensor(self._data.real))  # (not differentiated)
        return self

    @property
    def imag(self):
        if self._data.dtype.kind != "c":
            raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
        return front(graph.new_tensor(self._data.imag))  # (not differentiated)

    def polygamma(self, n):
        """``torch.polygamma(n, self)``."""
        from .more_functions import polygamma

        return polygamma(n, self)

    def polygamma_(self, n):
        return self._replace(lambda t: t.polygamma(n), "polygamma_")

    def short(self):
        return self.to(np.int16)

    def bfloat16(self):
        return self.to(T.bfloat16)  # (refused, naming bfloat16: NumPy has none)

    def new(self, *args):
        """The legacy constructor: ``x.new(2, 3)`` a tensor of that shape, ``x.new(data)``
        one of that data, both in x's dtype (``x.new()`` is empty)."""
        if not args:
            return self.new_empty((0,))
        if builtins.all(isinstance(a, (builtins.int, np.integer)) for a in args):
            return self.new_zeros(args)  # (PyTorch's: uninitialized)
        if len(args) == 1 and isinstance(args[0], tuple) and not args[0]:
            return self.new_empty(())
        return self.new_tensor(args[0])

    def put_(self, index, source, accumulate=False):
        """Write ``source`` at the flat positions ``index`` (added there when
        ``accumulate``), the tensor taken as one-dimensional."""
        flat_index = np.asarray(index._data if isinstance(index, TensorBase) else index)
        size = self._data.size
        if flat_index.size and (flat_index.min() < -size or flat_index.max() >= size):
            raise IndexError(f"put_: an index is out of range for {size} elements")
        where = np.unravel_index(np.where(flat_index < 0, flat_index + size, flat_index),
                                 self._data.shape)
        return self.index_put_(tuple(front(graph.new_tensor(w.astype(np.int64)))
                                     for w in where),
                               P.reshape(source, flat_index.shape)
                               if isinstance(source, TensorBase) else source, accumulate)

    def put(self, index, source, accumulate=False):
        return self.clone().put_(index, source, accumulate)

    def resize_(self, *sizes):
        """A new shape, keeping the first elements in order (new ones are zero; PyTorch
        leaves them uninitialized). Outside the graph only."""
        shape = tuple(sizes[0]) if len(sizes) == 1 and not isinstance(
            sizes[0], (builtins.int, np.integer)) else tuple(sizes)
        if self.requires_grad:
            raise RuntimeError("resize_: cannot resize a tensor that requires grad")
        new = np.zeros(shape, self._data.dtype)
        n = builtins.min(new.size, self._data.size)
        new.reshape(-1)[:n] = self._data.reshape(-1)[:n]
        self._data = new
        graph.mark_modified(self)
        return self

    def resize_as_(self, other):
        return self.resize_(other.shape)

    def size(self, dim=None):
        """The shape as a ``torch.Size`` (a tuple), or its length along ``dim``."""
        return T.Size(self._data.shape) if dim is None else self._data.shape[dim]

    @property
    def shape(self):
        """The shape as a ``torch.Size`` (a tuple subclass: ``x.shape == (2, 3)`` holds)."""
        return T.Size(self._data.shape)

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def is_contiguous(self, memory_format=None):
        """Whether the elements lie in row-major order without gaps (a transpose or a
        strided slice does not); other memory formats are not kept apart (always True)."""
        T.check_memory_format(memory_format, "Tensor.is_contiguous")
        if memory_format not in (None, T.contiguous_format):
            return True
        return self._data.flags.c_contiguous

    def contiguous(self, memory_format=None):
        """The tensor itself when contiguous, else a row-major copy (x.t().contiguous()),
        as in PyTorch: writing into the copy leaves the original alone."""
        T.check_memory_format(memory_format, "Tensor.contiguous")
        if self._data.flags.c_contiguous:
            return self
        out = self.clone()
        if not out._data.flags.c_contiguous:
            out._data = np.ascontiguousarray(out._data)
        return out

    @property
    def grad_fn(self):
        """The operation that made this tensor, as PyTorch's grad_fn object (None for a
        leaf or a tensor needing no gradient; chainrule.torch.grad_fns)."""
        if self._prim is None or not self.requires_grad:
            return None
        return Node(self)

    # PyTorch's `.data`: the same buffer as a tensor outside the graph. Writes through
    # it are not recorded and not seen by in-place checks (PyTorch's meaning: the old
    # way of updating parameters by hand, `p.data.add_(-lr * p.grad)`).
    @property
    def data(self):
        """A tensor sharing this one's buffer, cut from the graph; writes through it
        (``p.data.add_(...)``, ``p.data.copy_(...)``) change this tensor unrecorded."""
        if graph.trace_hook() is not None:
            return self.detach()  # (under cr.compile / cr.vmap: the trace's own cut)
        return front(graph.new_tensor(self._data))

    @data.setter
    def data(self, value):
        """``p.data = t``: this tensor now holds ``t``'s buffer (any shape or dtype)."""
        self._data = value._data if isinstance(value, TensorBase) else np.asarray(value)

    # --------------------------------------------------------- leaving / dtype
    def numpy(self, *, force=False):
        """The NumPy array (shared); refused while the tensor requires grad and grad mode
        is on, as in PyTorch (under no_grad, and so inside an autograd.Function's forward,
        it is given). A value cr.vmap or cr.compile traces is refused whatever the mode:
        one example's or call's values would stand for all."""
        if self.requires_grad and not force and graph.is_grad_enabled():
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        tracer = graph.trace_hook()
        if tracer is not None and tracer.traced(self):
            _refuse_array_if_differentiated(self, "t.numpy()")
        return self._data

    def detach(self):
        return front(super().detach())

    def any(self, dim=None, keepdim=False, *, axis=None, keepdims=False):
        return _truth(self, np.any, dim, axis, _keep(keepdim, keepdims))

    def all(self, dim=None, keepdim=False, *, axis=None, keepdims=False):
        return _truth(self, np.all, dim, axis, _keep(keepdim, keepdims))

    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False,
           memory_format=None):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other_tensor)``; a
        ``memory_format`` changes nothing (any layout computes the same)."""
        T.check_memory_format(memory_format, "Tensor.to")
        for a in args:
            if isinstance(a, _CrTensor):
                dtype = a.dtype
            elif T.is_device(a):
                device = a
            else:
                dtype = T.dtype_of(a)
        T.check_device(device, "Tensor.to")
        if dtype is None or T.dtype_of(dtype) == self._data.dtype:
            return self.clone() if copy else self
        return self.astype(T.dtype_of(dtype))

    def cpu(self, memory_format=None):
        T.check_memory_format(memory_format, "Tensor.cpu")
        return self

    def cuda(self, *args, **kwargs):
        T.check_device("cuda", "Tensor.cuda")

    def type(self, dtype=None, non_blocking=False, **kwargs):
        from .queries import typed_dtype

        if typed_dtype(dtype) is not None:  # torch.DoubleTensor, 'torch.LongTensor'
            dtype = typed_dtype(dtype)
        if dtype is None:
            name = T.SCALAR_NAMES.get(self._data.dtype)
            return f"torch.{name}Tensor" if name else f"torch.{self._data.dtype}"
        return self.to(dtype)

    def type_as(self, other):
        return self.to(other.dtype)

    # (As PyTorch's, these return the tensor itself when it has the dtype already.)
    long = _cast_to("long", np.int64)
    int = _cast_to("int", np.int32)
    bool = _cast_to("bool", np.bool_)
    byte = _cast_to("byte", np.uint8)
    char = _cast_to("char", np.int8)
    half = _cast_to("half", np.float16)
    float = _cast_to("float", np.float32)
    double = _cast_to("double", np.float64)

    def stride(self, dim=None):
        """Steps in elements between neighbours along each dimension (NumPy's strides
        divided by the item size)."""
        steps = tuple(s // self._data.itemsize for s in self._data.strides)
        return steps if dim is None else steps[dim]

    def data_ptr(self):
        return self._data.ctypes.data

    def storage_offset(self):
        """Elements between the start of the buffer this tensor views and its first one."""
        base = self._data.base if isinstance(self._data.base, np.ndarray) else None
        if base is None:
            return 0
        return (self._data.ctypes.data - base.ctypes.data) // self._data.itemsize

    def pin_memory(self):
        return self  # (no device memory to pin)

    def is_pinned(self):
        return False

    def share_memory_(self):
        raise NotImplementedError(
            "share_memory_: chainrule tensors cannot be shared between processes; a "
            "process started afterwards would train its own copy. Train in one process, "
            "or split the data with chainrule.distributed (MPI)")

    def is_shared(self):
        return False

    def sum_to_size(self, *size):
        """Summed over the broadcast dimensions down to ``size`` (the gradient's reduction
        for an operand of that shape)."""
        target = T.shape_args(size, "sum_to_size")
        lead = self.ndim - len(target)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(target) if n == 1 and self.shape[lead + i] != 1)
        out = P.sum(self, axis=axes, keepdims=True) if axes else self
        return P.reshape(out, target)

    # ------------------------------------------------------------- reductions
    def sum(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=False):
        d, k = _on(self, _dims(dim, axis)), _keep(keepdim, keepdims)
        x = self if dtype is None else self.to(dtype)
        # (float16 summed in float32 and rounded once, as PyTorch's kernel: nn.arguments)
        out = in_float32(lambda t: P.sum(t) if d is None and not k
                         else P.sum(t, axis=d, keepdims=k), x)
        out = _accumulated(out, self, dtype)
        return out if dim is None and axis is None else named(out, "SumBackward1", x)

    def mean(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=False):
        x = self if dtype is None else self.to(dtype)
        d, k = _on(self, _dims(dim, axis)), _keep(keepdim, keepdims)
        out = in_float32(lambda t: P.mean(t, axis=d, keepdims=k), x)
        return named(out, "MeanBackward0" if dim is None and axis is None else "MeanBackward1",
                     x)

    def prod(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=False):
        x = self if dtype is None else self.to(dtype)
        out = P.prod(x, axis=_on(self, _dims(dim, axis)), keepdims=_keep(keepdim, keepdims))
        return _accumulated(out, self, dtype)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
            keepdims=False, ddof=None):
        """Variance; divides by n - 1 by default (PyTorch), by n when called NumPy's way."""
        if isinstance(dim, builtins.bool):  # x.var(False): the unbiased flag
            dim, unbiased = None, dim
        ddof = _ddof(unbiased, correction, ddof, axis is not None)
        out = P.var(self, axis=_on(self, _dims(dim, axis)), keepdims=_keep(keepdim, keepdims),
                    ddof=ddof)
        return named(out, "VarBackward0", self)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
            keepdims=False, ddof=None):
        """Standard deviation; n - 1 by default (PyTorch), n when called NumPy's way."""
        if isinstance(dim, builtins.bool):
            dim, unbiased = None, dim
        ddof = _ddof(unbiased, correction, ddof, axis is not None)
        out = P.std(self, axis=_on(self, _dims(dim, axis)), keepdims=_keep(keepdim, keepdims),
                    ddof=ddof)
        return named(out, "StdBackward0", self)

    def _extreme(self, which, dim, keepdim, axis, keepdims, other):
        if isinstance(dim, _CrTensor) or other is not None:  # x.max(y): elementwise
            return (P.maximum if which == "max" else P.minimum)(
                *promoted(self, other if other is not None else dim))
        if axis is not None or (dim is None and keepdims):  # NumPy's call: the values
            fn = P.max if which == "max" else P.min
            return fn(self, axis=axis, keepdims=_keep(keepdim, keepdims))
        if dim is None:
            return P.max(self) if which == "max" else P.min(self)
        if _on(self, dim) is None:  # dim 0 of a 0-d tensor: itself, at index 0
            return getattr(return_types, which)(
                P.copy(self), front(graph.new_tensor(np.zeros((), np.int64))))
        # PyTorch: (values, indices). The values are gathered at the indices, so the
        # gradient goes to the element the index names (PyTorch's rule for max(dim)).
        arg = P.argmax if which == "max" else P.argmin
        idx = arg(self, axis=dim, keepdims=True)
        values = P.take_along_axis(self, idx, axis=dim)
        if not keepdim:
            values, idx = P.squeeze(values, dim), P.squeeze(idx, dim)
        return getattr(return_types, which)(values, idx)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=False, other=None):
        """``max()`` the largest value; ``max(dim)`` a (values, indices) pair."""
        return Tensor._extreme(self, "max", dim, keepdim, axis, keepdims, other)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=False, other=None):
        """``min()`` the smallest value; ``min(dim)`` a (values, indices) pair."""
        return Tensor._extreme(self, "min", dim, keepdim, axis, keepdims, other)

    def argmax(self, dim=None, keepdim=False, *, axis=None, keepdims=False):
        return P.argmax(self, axis=_on(self, _dims(dim, axis)), keepdims=_keep(keepdim, keepdims))

    def argmin(self, dim=None, keepdim=False, *, axis=None, keepdims=False):
        return P.argmin(self, axis=_on(self, _dims(dim, axis)), keepdims=_keep(keepdim, keepdims))

    def logsumexp(self, dim=None, keepdim=False, *, axis=None, keepdims=False):
        return P.logsumexp(floating(self), axis=_on(self, _dims(dim, axis)),
                           keepdims=_keep(keepdim, keepdims))

    def softmax(self, dim=None, dtype=None, *, axis=None):
        x = self if dtype is None else self.to(dtype)  # (cast first, as PyTorch does)
        d = _dims(dim, axis, -1)
        return in_float32(lambda t: P.softmax(t, axis=d), x)

    def log_softmax(self, dim=None, dtype=None, *, axis=None):
        x = self if dtype is None else self.to(dtype)
        d = _dims(dim, axis, -1)
        return in_float32(lambda t: P.log_softmax(t, axis=d), x)

    def cumsum(self, dim=None, *, dtype=None, axis=None):
        x = self if dtype is None else self.to(dtype)
        out = _accumulated(P.cumsum(x, axis=_dims(dim, axis)), self, dtype)
        return P.reshape(out, ()) if self.ndim == 0 else out  # (NumPy's gives shape (1,))

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """The p-norm over ``dim`` (all elements by default): (sum |x|^p)^(1/p); its
        gradient at 0 is 0 (chainrule.linalg.vector_norm's rule), as in PyTorch."""
        x = self if dtype is None else self.to(dtype)
        if p == "nuc":  # (a matrix norm: over the last two dimensions by default)
            from .linalg import matrix_norm
            return matrix_norm(x, "nuc", dim=(-2, -1) if dim is None else dim, keepdim=keepdim)
        return vector_norm(x, 2 if p == "fro" else p, dim=_dims(dim, None), keepdim=keepdim)

    def sort(self, dim=-1, descending=False, stable=False):
        v, i = S.sort(self, dim=dim, descending=descending, stable=stable)
        return return_types.sort(v, i)

    def argsort(self, dim=-1, descending=False, stable=False):
        return S.argsort(self, dim=dim, descending=descending, stable=stable)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        v, i = S.topk(self, k, dim=dim, largest=largest, sorted=sorted)
        return return_types.topk(v, i)

    # ------------------------------------------------------------------ shape
    def transpose(self, *dims, dim0=None, dim1=None):
        """``transpose(d0, d1)`` swaps two dimensions (PyTorch); a whole permutation
        (NumPy's call, as chainrule's code makes it) permutes."""
        if dim0 is not None:
            dims = (dim0, dim1)
        if len(dims) == 2 and all(isinstance(d, (builtins.int, np.integer)) for d in dims):
            if scalar_dims(self, dims):
                return P.reshape(self, ())
            return P.swapaxes(self, dims[0], dims[1])
        return super().transpose(*dims)

    def t(self):
        if self._data.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                               f"{self._data.ndim}D; use transpose(dim0, dim1) or mT")
        return P.transpose(self) if self._data.ndim == 2 else self

    def view(self, *shape, size=None, dtype=None):
        """The same elements in another shape; one size may be -1 (inferred)."""
        if size is not None:
            shape = (size,)
        if dtype is not None:
            shape = (dtype,)
        if len(shape) == 1 and not isinstance(shape[0], (builtins.int, np.integer, tuple,
                                                         list, T.Size)):
            raise TypeError(f"view({shape[0]!r}): reinterpreting the bytes as another dtype "
                            f"is not supported; use .to(dtype) to convert the values")
        return _reshaped(self, T.shape_args(shape, "view"))

    def reshape(self, *shape, **kw):
        return _reshaped(self, T.shape_args(_keyword(shape, kw, "shape", "reshape"),
                                            "reshape"))

    def permute(self, *dims, **kw):
        return super().permute(*_keyword(dims, kw, "dims", "permute"))

    def clone(self, *, memory_format=None):
        """A differentiable copy with its own buffer (``memory_format`` changes nothing:
        every tensor here is laid out contiguously as NumPy orders it)."""
        return super().clone()

    def view_as(self, other):
        return P.reshape(self, other.shape)

    reshape_as = view_as

    def expand(self, *sizes, **kw):
        """Broadcast to ``sizes``; -1 keeps a dimension's size; new dimensions go in front."""
        sizes = T.shape_args(_keyword(sizes, kw, "size", "expand"), "expand")
        lead = len(sizes) - self._data.ndim
        if lead < 0:
            raise RuntimeError(f"expand: the number of sizes ({len(sizes)}) must be at least "
                               f"the tensor's dimensions ({self._data.ndim})")
        shape = tuple(self._data.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
        return P.broadcast_to(self, shape)

    def expand_as(self, other):
        return P.broadcast_to(self, tuple(other.shape))

    def repeat(self, *sizes, **kw):
        """Tile the tensor ``sizes[i]`` times along dimension i (PyTorch's repeat, NumPy's
        tile; element-wise repetition is ``repeat_interleave``)."""
        sizes = T.shape_args(_keyword(sizes, kw, "repeats", "repeat"), "repeat")
        if len(sizes) < self._data.ndim:
            raise RuntimeError(f"repeat: the number of repeats ({len(sizes)}) can not be "
                               f"smaller than the tensor's dimensions ({self._data.ndim})")
        return C.tile(self, sizes)

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        return C.repeat_interleave(self, repeats, dim, output_size=output_size)

    def squeeze(self, dim=None, *, axis=None):
        d = _dims(dim, axis)
        if d is not None and scalar_dims(self, d if isinstance(d, tuple) else (d,)):
            return P.reshape(self, ())
        if isinstance(d, (builtins.int, np.integer)) and self._data.shape[d] != 1:
            return self  # PyTorch leaves a dimension that is not of size 1 alone
        if isinstance(d, tuple):  # (and those of a tuple that are not)
            d = tuple(i for i in d if self._data.shape[i] == 1)
        return P.squeeze(self, d)

    def unsqueeze(self, dim):
        return P.expand_dims(self, dim)

    def flip(self, *dims, **kw):
        dims = _keyword(dims, kw, "dims", "flip")
        if len(dims) == 1 and isinstance(dims[0], (list, tuple)):
            dims = dims[0]
        if scalar_dims(self, dims):
            return P.copy(self)
        return P.copy(P.flip(self, tuple(dims)))  # a copy, as torch.flip

    def split(self, split_size_or_sections=None, dim=0, *, axis=None, split_size=None):
        """Pieces of ``split_size`` along ``dim`` (the last one smaller), or of the listed
        sizes. NumPy's call ``split(n, axis=a)`` (n equal sections) keeps its meaning."""
        if split_size is not None:  # (PyTorch's keyword name)
            split_size_or_sections = split_size
        if split_size_or_sections is None:
            raise TypeError("split() missing required argument 'split_size_or_sections'")
        if axis is not None:
            return P.split(self, split_size_or_sections, axis=axis)
        n = self._data.shape[dim]
        if isinstance(split_size_or_sections, (builtins.int, np.integer)):
            size = builtins.int(split_size_or_sections)
            if size <= 0:
                raise RuntimeError(f"split: split_size must be positive, got {size}")
            sizes = [size] * (n // size) + ([n % size] if n % size else [])
        else:
            sizes = [builtins.int(s) for s in split_size_or_sections]
            if builtins.sum(sizes) != n:
                raise RuntimeError(f"split: sizes {sizes} do not add up to {n}, the length of "
                                   f"dimension {dim}")
        bounds = np.cumsum(sizes)[:-1].tolist()
        return tuple(P.split(self, bounds, axis=dim))

    def chunk(self, chunks, dim=0):
        """At most ``chunks`` pieces of ceil(n / chunks) along ``dim``."""
        n = self._data.shape[dim]
        return Tensor.split(self, builtins.max(1, -(-n // chunks)), dim)

    def unbind(self, dim=0):
        return tuple(P.squeeze(p, dim) for p in Tensor.split(self, 1, dim))

    def narrow(self, dim, start, length):
        """Elements ``start`` to ``start + length`` along ``dim`` (a view in PyTorch)."""
        size = self._data.shape[dim]
        start = start + size if start < 0 else start
        if not 0 <= start <= size or length < 0 or start + length > size:
            raise RuntimeError(f"narrow: start ({start}) + length ({length}) exceeds "
                               f"dimension size ({size}).")
        index = [slice(None)] * self._data.ndim
        index[dim] = slice(start, start + length)
        return self[tuple(index)]

    # --------------------------------------------------------------- indexing
    def masked_fill(self, mask, value):
        """``value`` where ``mask`` is True, in self's dtype (an integer tensor filled
        with 2.5 holds 2, as in PyTorch)."""
        if self._data.dtype.kind in "iu":
            _refuse_overflow(value, self._data.dtype)
        if isinstance(value, _CrTensor):  # (a 0-d tensor value too: self's dtype wins)
            if value._data.dtype != self._data.dtype:
                value = P.astype(value, dtype=self._data.dtype)
        elif self._data.dtype.kind in "iub":
            value = np.asarray(value).astype(self._data.dtype)[()]
        return I.masked_fill(self, mask, value)

    # (PyTorch's clamp: an integer tensor with float bounds becomes a float tensor)
    def clamp(self, min=None, max=None):
        return clamped(self, min, max)

    clip = clamp

    def gather(self, dim, index, *, sparse_grad=False):
        return I.gather(self, dim, index)

    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        if src is not None and not isinstance(src, _CrTensor):
            src, value = None, src
        same_dtype("scatter", self, src, "src")
        if reduce == "multiply":  # (scatter_reduce's product, counting self's values)
            if src is None:  # (a number: in self's dtype, one per index)
                idx = index._data if isinstance(index, _CrTensor) else np.asarray(index)
                src = np.full(idx.shape, value, dtype=self._data.dtype)
            from .more_functions import scatter_reduce
            out = scatter_reduce(self, dim, index, src, "prod")  # (of bools: int64)
            return out if out._data.dtype == self._data.dtype else out.to(self._data.dtype)
        return I.scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_add(self, dim, index, src):
        same_dtype("scatter_add", self, src, "src")
        return I.scatter_add(self, dim, index, src)

    def index_select(self, dim, index):
        return I.index_select(self, dim, index)

    def index_add(self, dim, index, source, *, alpha=1):
        same_dtype("index_add", self, source)
        out = I.index_add(self, dim, index, source, alpha=alpha)
        # (a bool tensor stays bool, as in PyTorch: True where any sum is nonzero)
        return P.astype(out, dtype=np.bool_) if self._data.dtype == np.bool_ else out

    def index_put(self, indices, values, accumulate=False):
        same_dtype("index_put", self, values, "values")
        return I.index_put(self, indices, values, accumulate)

    def _along(self, dim, index):
        """The NumPy index of the slices at `index` along `dim` (PyTorch's index_fill/_copy)."""
        d = dim + self._data.ndim if dim < 0 else dim
        idx = np.asarray(index._data if isinstance(index, _CrTensor) else index)
        if idx.ndim > 1 or idx.dtype.kind not in "iu":
            raise IndexError(f"index must be a 1-d tensor of integers, got shape {idx.shape} "
                             f"and dtype {idx.dtype}")
        return (slice(None),) * d + (idx.reshape(-1),)

    def index_fill(self, dim, index, value):
        """A copy with the slices at `index` along `dim` set to `value` (a number or a 0-d
        tensor, which gets the gradient of every element it fills)."""
        return P.write(self, value, index=self._along(dim, index))

    def index_copy(self, dim, index, source):
        """A copy with the slices at `index` along `dim` replaced by those of `source`."""
        same_dtype("index_copy", self, source)
        return P.write(self, source, index=self._along(dim, index))

    def masked_select(self, mask):
        return I.masked_select(self, mask)

    def nonzero(self, *, as_tuple=False):
        out = I.nonzero(self, as_tuple=as_tuple)  # (made from NumPy's answer: re-classed)
        return tuple(front(o) for o in out) if as_tuple else front(out)

    def where(self, condition, other):
        return P.where(condition, *promoted(self, other, wrap=True))

    # ------------------------------------------------------------- arithmetic
    def add(self, other, *rest, alpha=1):
        other, alpha = scalar_first(other, rest, alpha, "add")
        return self + scaled(self, other, alpha)

    def sub(self, other, *rest, alpha=1):
        other, alpha = scalar_first(other, rest, alpha, "sub")
        return self - scaled(self, other, alpha)

    def mul(self, other):
        return self * other

    def div(self, other, *, rounding_mode=None):
        """PyTorch's div: true division, or 'floor'/'trunc' rounded (integers stay integers)."""
        from .functions import div
        return div(self, other, rounding_mode=rounding_mode)

    _floordiv = _promoting(floor_divide)
    _rfloordiv = _promoting(floor_divide, reflected=True)

    def __floordiv__(self, other):
        _refuse_integer_zero(self, other)
        return self._floordiv(other)

    def __rfloordiv__(self, other):
        _refuse_integer_zero(other, self)
        return self._rfloordiv(other)

    def __mod__(self, other):
        """PyTorch's remainder (Python's sign convention): a - floor(a / b) * b; floats as
        PyTorch computes them, fmod moved to other's sign (remainder(3, inf) is 3, where
        the formula gives NaN)."""
        if result_dtype_of((self, other)).kind != "f":
            q = self // other  # (a bool self is read in q's dtype: bool - is refused)
            a = P.astype(self, dtype=q._data.dtype) if self._data.dtype == np.bool_ else self
            return a - q * other
        m = self.fmod(other)
        return P.where((m != 0) & ((m < 0) != (other < 0)), m + other, m)

    def __rmod__(self, other):
        other = builtins.int(other) if type(other) is builtins.bool else other  # (True % x)
        return (self.__rfloordiv__(other) * self).__rsub__(other)

    remainder = __mod__

    # In place, as PyTorch's (Python would otherwise rebind the name to a new tensor).
    def __ifloordiv__(self, other):
        refuse_float_operand(self, other)
        return self._replace(lambda t: t // other, "floor_divide_")

    def __imod__(self, other):
        refuse_float_operand(self, other)
        return self._replace(lambda t: t % other, "remainder_")

    def __ipow__(self, other):
        return self._replace(lambda t: t ** other, "pow_")

    def __ilshift__(self, other):
        return self._replace(lambda t: t << other, "bitwise_left_shift_")

    def __irshift__(self, other):
        return self._replace(lambda t: t >> other, "bitwise_right_shift_")

    fmod = _promoting(P.fmod)

    def pow(self, exponent):
        return self**exponent

    def neg(self):
        return -self

    def square(self):
        # (PyTorch squares bools as integers: int64, where bool * bool stays bool)
        x = P.astype(self, dtype=np.int64) if self._data.dtype == np.bool_ else self
        return x * x

    def rsqrt(self):
        return 1.0 / P.sqrt(floating(self))

    def reciprocal(self):
        return 1.0 / self

    exp = _float_valued(P.exp)
    log = _float_valued(P.log)
    log1p = _float_valued(P.log1p)
    expm1 = _float_valued(P.expm1)
    sqrt = _float_valued(P.sqrt)
    sin = _float_valued(P.sin)
    cos = _float_valued(P.cos)
    tanh = _float_valued(P.tanh)
    sigmoid = _float_valued(P.sigmoid)

    def floor(self):
        return zero_gradient(self, P.floor(self))

    def ceil(self):
        return zero_gradient(self, P.ceil(self))

    _sign = with_value_at(P.sign, P.isnan, 0)  # (PyTorch: sign(NaN) is 0)

    def sign(self):
        # (of bools: the bools themselves, as PyTorch; NumPy has no bool sign)
        return P.copy(self) if self._data.dtype == np.bool_ else zero_gradient(
            self, self._sign())

    def mm(self, mat2):
        return products.mm(self, mat2)

    def bmm(self, mat2):
        return products.bmm(self, mat2)

    # PyTorch's matmul refuses operands of different dtypes (NumPy's promotes): .products
    _matmul = graph.binary_recorder(P.matmul)
    _rmatmul = graph.binary_recorder(P.matmul, reflected=True)

    def __matmul__(self, other):
        if isinstance(other, TensorBase):
            products.check_matmul(self, other)
        try:
            return Tensor._matmul(self, other)
        except ValueError as e:
            raise products.matmul_error(e, self, other) from None

    def __rmatmul__(self, other):
        if isinstance(other, TensorBase):
            products.check_matmul(other, self)
        try:
            return Tensor._rmatmul(self, other)
        except ValueError as e:
            raise products.matmul_error(e, other, self) from None

    matmul = __matmul__

    def swapaxes(self, axis0, axis1):
        return P.swapaxes(self, axis0, axis1)

    def swapdims(self, dim0, dim1):
        return P.swapaxes(self, dim0, dim1)

    def maximum(self, other):
        return P.maximum(*promoted(self, other))

    def minimum(self, other):
        return P.minimum(*promoted(self, other))

    def eq(self, other):
        return self == other

    def ne(self, other):
        return self != other

    def lt(self, other):
        return self < other

    def le(self, other):
        return self <= other

    def gt(self, other):
        return self > other

    def ge(self, other):
        return self >= other

    def logical_not(self):
        return P.logical_not(self)  # (~ is bitwise on integers)

    def isnan(self):
        return P.isnan(self)

    def isinf(self):
        return P.isinf(self)

    def tril(self, diagonal=0):
        return C.torch_tril(self, diagonal)

    def triu(self, diagonal=0):
        return C.torch_triu(self, diagonal)

    def cumprod(self, dim, *, dtype=None):
        # (Cast first, as PyTorch: integers multiply in int64 and do not wrap in their
        # own width; dtype=int64 of floats multiplies the truncated values.)
        x = self.to(dtype) if dtype is not None else (
            self.to(np.int64) if self._data.dtype.kind in "biu" else self)
        return _accumulated(torch_cumprod(x, dim), self, dtype)

    def round(self, *, decimals=0):
        return zero_gradient(self, P.round(self, decimals) if decimals else P.round(self))

    def unfold(self, dimension, size, step):
        """Windows of `size` every `step` along `dimension`, as a new last dimension."""
        return C.unfold(self, dimension, size, step)

    def clamp_min(self, min):
        return clamped(self, min, None)

    def clamp_max(self, max):
        return clamped(self, None, max)


# The functions of chainrule.torch.more_functions that PyTorch also has as methods: each
# ``x.name(...)`` is ``torch.name(x, ...)``, one code path.
_FUNCTION_METHODS = """absolute acos acosh angle aminmax argwhere asin asinh atan atan2 atanh
bincount bitwise_and bitwise_not bitwise_or bitwise_xor bitwise_left_shift bitwise_right_shift
copysign cosh count_nonzero cross
cummax cummin deg2rad diag_embed diagflat digamma dist erfc erfinv exp2 fix fliplr flipud
float_power fmax fmin frac gcd heaviside histc hsplit hypot i0 inner isclose isneginf
isposinf isreal kron lcm ldexp lgamma logaddexp logaddexp2 logical_and logical_or
logical_xor logit matrix_exp matrix_power moveaxis movedim msort mvlgamma nan_to_num
nanmedian nanquantile nansum nextafter positive quantile rad2deg renorm rot90 sgn
signbit sinc sinh swapaxes swapdims take_along_dim tan tensor_split tile trace trunc
unflatten vdot vsplit xlogy dsplit inverse det logdet cholesky pinverse allclose
outer scatter_reduce amax amin nanmean addcmul addcdiv addmm lerp diag diagonal select
unique masked_scatter select_scatter slice_scatter diagonal_scatter index_reduce
cholesky_solve cholesky_inverse triangular_solve lu addbmm addmv addr arccos arccosh arcsin
arcsinh arctan arctan2 arctanh baddbmm corrcoef cov diff divide equal erf floor_divide frexp
greater greater_equal igamma isfinite kthvalue less less_equal log10 log2 logcumsumexp
median mode multiply mv negative not_equal roll subtract svd take true_divide
unique_consecutive is_nonzero is_complex conj resolve_conj resolve_neg multinomial as_strided
bernoulli ger qr slogdet split_with_sizes narrow_copy prelu hardshrink is_same_size
is_signed get_device is_inference is_conj is_neg geqrf orgqr histogram""".split()


def _function_method(name):
    def method(self, *args, **kwargs):
        from . import functional_forms, functions, more_functions, queries

        fn = (getattr(more_functions, name, None) or getattr(functions, name, None)
              or getattr(functional_forms, name, None) or getattr(queries, name))
        return fn(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"``torch.{name}(self, ...)``."
    return method


# (The engine's Tensor has NumPy's methods of some of these names, diagonal(axis1,
# axis2) and trace(offset, ...): only a method the front end defines itself is kept.)
_FRONT_CLASSES = [k for k in Tensor.__mro__ if k.__module__.startswith(__name__.rpartition(".")[0])]
for _name in _FUNCTION_METHODS:
    if not any(_name in vars(k) for k in _FRONT_CLASSES):
        setattr(Tensor, _name, _function_method(_name))


class _NotPyTorchs:
    """A NumPy method of the engine's Tensor that PyTorch's tensors do not have: absent
    from front-end tensors (hasattr is False), as on PyTorch's."""

    def __init__(self, name):
        self.name = name

    def __get__(self, obj, owner=None):
        raise AttributeError(f"'Tensor' object has no attribute {self.name!r}")


for _name in ("argpartition", "searchsorted", "ptp", "conjugate"):
    setattr(Tensor, _name, _NotPyTorchs(_name))
# (chainrule's own dot is NumPy's, a matrix product of 2-D arrays; PyTorch's takes vectors)
Tensor.dot = _function_method("dot")
