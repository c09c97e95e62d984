"""NumPy's array constructors on tensors: a list holding tensors is stacked differentiably."""

from __future__ import annotations

import operator

import numpy as np

from .. import primitives as P
from ..graph import is_tensor, new_tensor
from ..tracing import concrete
from .dispatch import as_dtype as _as_dtype
from .dispatch import numpy_function as _numpy_function


def _stack_nested(obj):
    if is_tensor(obj):
        return obj
    if isinstance(obj, (list, tuple)):
        return P.stack([_stack_nested(o) for o in obj])
    return np.asarray(obj)


@_numpy_function(np.array, sequences=("object",))
def array(object, dtype=None, *, copy=True, order="K", subok=False, ndmin=0, like=None):
    """An array; a nested list holding chainrule tensors is stacked differentiably."""
    r = P.copy(object) if is_tensor(object) else _stack_nested(object)
    if np.ndim(r) < ndmin:
        r = P.reshape(r, (1,) * (ndmin - np.ndim(r)) + np.shape(r))
    return _as_dtype(r, dtype)


@_numpy_function(np.asarray, sequences=("a",))
def asarray(a, dtype=None, order=None, *, device=None, copy=None, like=None):
    """`a` as an array: a tensor is returned as it is (converted to dtype if given)."""
    r = a if is_tensor(a) else _stack_nested(a)
    if dtype is not None and np.dtype(dtype) != r._data.dtype:
        r = P.astype(r, dtype=np.dtype(dtype))
    return r


@_numpy_function(np.asanyarray, sequences=("a",))
def asanyarray(a, dtype=None, order=None, *, device=None, copy=None, like=None):
    """Like asarray."""
    return asarray(a, dtype)


# NumPy's own, assigned last: these names are also parameters of the functions above.
dtype = np.dtype
shape = np.shape
nan = np.nan
indices = np.indices


# ------------------------------------------------ filled arrays, given tensors
def _value_dtype(x):
    return np.asarray(x._data if is_tensor(x) else x).dtype


def _shape_tuple(shape):
    return (int(shape),) if np.ndim(shape) == 0 else tuple(int(s) for s in shape)


@_numpy_function(np.full)
def full(shape, fill_value, dtype=None, order="C", *, device=None, like=None):
    """An array of `shape` filled with `fill_value`; differentiable in a tensor fill value
    (its gradient is the sum of the output's)."""
    dtype = _value_dtype(fill_value) if dtype is None else np.dtype(dtype)
    filled = P.broadcast_to(_as_dtype(fill_value, dtype), _shape_tuple(shape))
    return P.copy(filled)  # a buffer of its own, as NumPy's, that writes can go into


def _like(npfunc, a, dtype, shape):
    # The values of `a` do not enter: a constant tensor of NumPy's result.
    return new_tensor(npfunc(a._data if is_tensor(a) else a, dtype=dtype, shape=shape))


@_numpy_function(np.full_like)
def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, *, device=None):
    """An array shaped like `a` filled with `fill_value` (differentiable in a tensor fill)."""
    if is_tensor(fill_value):
        return full(np.shape(a) if shape is None else shape, fill_value,
                    _value_dtype(a) if dtype is None else dtype)
    return new_tensor(np.full_like(a._data if is_tensor(a) else a, fill_value, dtype=dtype,
                                   shape=shape))


@_numpy_function(np.zeros_like)
def zeros_like(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
    """Zeros shaped like `a`: a constant tensor (its derivative in `a` is exactly 0)."""
    return _like(np.zeros_like, a, dtype, shape)


@_numpy_function(np.ones_like)
def ones_like(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
    """Ones shaped like `a`: a constant tensor."""
    return _like(np.ones_like, a, dtype, shape)


@_numpy_function(np.empty_like)
def empty_like(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
    """An uninitialised array shaped like `a`: a constant tensor."""
    return _like(np.empty_like, a, dtype, shape)


# ------------------------------------------------------------ ranges of values
@_numpy_function(np.linspace)
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *,
             device=None):
    """`num` evenly spaced values from start to stop; differentiable in tensor endpoints.

    As NumPy computes it: start + i * (stop - start) / div, the last value stop itself.
    """
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"linspace: number of samples, {num}, must be non-negative")
    div = num - 1 if endpoint else num
    # Python numbers stay weak, as in NumPy: a float32 start with stop=1.0 is float32.
    inexact = np.result_type(_values(start), _values(stop), 1.0)
    if inexact.kind not in "fc":
        inexact = np.dtype(np.float64)
    start, stop = _as_dtype(start, inexact), _as_dtype(stop, inexact)
    delta = stop - start
    ramp = np.arange(num, dtype=inexact).reshape((-1,) + (1,) * np.ndim(delta))
    if div > 0:
        step = delta / div
        if np.any(_values(step) == 0):
            y = (ramp / div) * delta
        else:
            y = ramp * step
    else:
        step = np.nan
        y = ramp * delta
    y = y + start
    if endpoint and num > 1:
        last = P.broadcast_to(stop, np.shape(y)[1:])
        y = P.concatenate([y[:-1], P.reshape(last, (1, *np.shape(last)))], axis=0)
    if axis != 0:
        y = P.transpose(y, _moved_to(axis, np.ndim(y)))
    if dtype is not None:
        if np.issubdtype(dtype, np.integer):
            y = P.floor(y)
        y = P.astype(y, dtype=np.dtype(dtype))
    return (y, step) if retstep else y


def _values(x):
    return x._data if is_tensor(x) else x


def _moved_to(axis, ndim):
    """The transpose order that moves axis 0 to `axis` (np.moveaxis(y, 0, axis))."""
    axis = P.normalize_axes(axis, ndim, "linspace")[0]
    order = list(range(1, ndim))
    order.insert(axis, 0)
    return tuple(order)


@_numpy_function(np.logspace)
def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """base ** linspace(start, stop): differentiable in the endpoints and the base."""
    y = linspace(start, stop, num=num, endpoint=endpoint, axis=axis)
    if np.ndim(base) > 0:
        base = P.expand_dims(base, axis) if is_tensor(base) else np.expand_dims(base, axis)
    return _as_dtype(P.power(base, y), dtype)


@_numpy_function(np.geomspace)
def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """Values spaced evenly on a log scale from start to stop (real, same sign, nonzero);
    the ends are start and stop themselves, as NumPy has them."""
    if np.any(_values(start) == 0) or np.any(_values(stop) == 0):
        raise ValueError("geomspace: neither start nor stop may be zero")
    inexact = np.result_type(_values(start), _values(stop), 1.0)
    start, stop = _as_dtype(start, inexact), _as_dtype(stop, inexact)
    sign = np.sign(_values(start))
    start, stop = start * sign, stop * sign
    y = logspace(P.log10(start), P.log10(stop), num=num, endpoint=endpoint)
    rows = np.shape(y)[1:]
    if num > 0:
        first = P.reshape(P.broadcast_to(start, rows), (1, *rows))
        parts = [first, y[1:]]
        if endpoint and num > 1:
            last = P.reshape(P.broadcast_to(stop, rows), (1, *rows))
            parts = [first, y[1:-1], last]
        y = P.concatenate(parts, axis=0)
    y = y * sign
    if axis != 0:
        y = P.transpose(y, _moved_to(axis, np.ndim(y)))
    return _as_dtype(y, dtype)


@_numpy_function(np.arange)
def arange(*args, dtype=None, device=None, like=None):
    """Evenly spaced values start, start + step, ... below stop; differentiable in a tensor
    start and step (start + i * step); the count comes from the values, as in NumPy."""
    # (The count comes from the values: refused for values a trace follows.)
    values = np.arange(*[concrete(a, "arange's bounds") if is_tensor(a) else a for a in args],
                       dtype=dtype)
    start, step = (0, 1)
    if len(args) >= 2:
        start = args[0]
    if len(args) == 3:
        step = args[2]
    ramp = np.arange(values.size, dtype=values.dtype)
    return _as_dtype(ramp * step + start, values.dtype)
