"""NumPy's functions that pick, repeat or rearrange elements: choose, compress, extract,
resize, trim_zeros, unstack, diagflat, apply_along_axis, apply_over_axes, and the array
conversions ascontiguousarray, asfortranarray, asarray_chkfinite, require.

Each is indexing or reshaping of its input, so the gradient of every picked element
goes back to where it came from (composites of getitem, take, reshape, stack).
"""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from ..graph import is_tensor, new_tensor
from ..tracing import concrete
from . import compat
from .dispatch import no_out as _no_out
from .dispatch import numpy_function as _numpy_function


@_numpy_function(np.choose, sequences=("choices",))
def choose(a, choices, out=None, mode="raise"):
    """out[i] = choices[a[i]][i]: `a` (integers, no gradient) picks among the choices."""
    _no_out("choose", out)
    index = np.asarray(concrete(a, "choose's index array") if is_tensor(a) else a)
    count = len(choices) if isinstance(choices, (list, tuple)) else np.shape(choices)[0]
    if mode == "raise":
        if np.any((index < 0) | (index >= count)):
            raise ValueError("choose: invalid entry in the choice array")
    elif mode == "wrap":
        index = index % count
    elif mode == "clip":
        index = np.clip(index, 0, count - 1)
    else:
        raise ValueError(f"choose: mode must be 'raise', 'wrap' or 'clip', not {mode!r}")
    parts = list(choices) if isinstance(choices, (list, tuple)) else [
        choices[k] for k in range(count)]
    shape = np.broadcast_shapes(index.shape, *[np.shape(c) for c in parts])
    stacked = P.stack([P.broadcast_to(c, shape) for c in parts], axis=0)
    picks = np.broadcast_to(index, shape)[None].astype(np.intp)
    return P.take_along_axis(stacked, picks, 0)[0]


@_numpy_function(np.compress)
def compress(condition, a, axis=None, out=None):
    """The slices of `a` along `axis` where `condition` is true (flattened if axis=None)."""
    _no_out("compress", out)
    keep = np.flatnonzero(concrete(condition, "compress's condition"))
    if axis is None:
        return P.take(P.reshape(a, (-1,)), keep)
    return P.take(a, keep, axis=axis)


@_numpy_function(np.extract)
def extract(condition, arr):
    """The elements of `arr` where `condition` is true, flattened."""
    cond = concrete(condition, "extract's condition")
    return P.take(P.reshape(arr, (-1,)), np.flatnonzero(cond.ravel()))


@_numpy_function(np.resize)
def resize(a, new_shape):
    """`a` flattened, repeated cyclically to fill `new_shape` (NumPy's resize)."""
    shape = (int(new_shape),) if np.ndim(new_shape) == 0 else tuple(int(s) for s in new_shape)
    size = int(np.prod(shape))
    flat = P.reshape(a, (-1,))
    if np.size(a) == 0 or size == 0:
        return new_tensor(np.resize(a._data, shape))  # nothing of `a` in it
    return P.reshape(P.take(flat, np.arange(size) % np.size(a)), shape)


@_numpy_function(np.trim_zeros)
def trim_zeros(filt, trim="fb", axis=None):
    """`filt` without its leading ('f') and/or trailing ('b') zeros along `axis` (every
    axis when None): a slice of the input."""
    values = concrete(filt, "trim_zeros")  # (the values decide the result's size)
    nd = values.ndim
    axes = range(nd) if axis is None else P.normalize_axes(axis, nd, "trim_zeros")
    nonzero = np.nonzero(values)
    index = [slice(None)] * nd
    for ax in axes:
        if nonzero[ax].size == 0:
            index[ax] = slice(0, 0)
            continue
        start = int(nonzero[ax].min()) if "f" in trim.lower() else 0
        stop = int(nonzero[ax].max()) + 1 if "b" in trim.lower() else values.shape[ax]
        index[ax] = slice(start, stop)
    return filt[tuple(index)]


@_numpy_function(compat.unstack)
def unstack(x, /, *, axis=0):
    """The slices of x along `axis`, as a tuple."""
    nd = np.ndim(x)
    ax = P.normalize_axes(axis, nd, "unstack")[0]
    return tuple(P.take(x, k, axis=ax) for k in range(np.shape(x)[ax]))


@_numpy_function(np.diagflat)
def diagflat(v, k=0):
    """A 2-D array with the flattened input on diagonal k."""
    return P.diag(P.reshape(v, (-1,)), k)


@_numpy_function(np.apply_along_axis)
def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    """func1d applied to every 1-D slice along `axis`; its results stacked in their place."""
    nd = np.ndim(arr)
    ax = P.normalize_axes(axis, nd, "apply_along_axis")[0]
    moved = P.transpose(arr, tuple(k for k in range(nd) if k != ax) + (ax,))
    outer = np.shape(moved)[:-1]
    results = [func1d(moved[idx], *args, **kwargs) for idx in np.ndindex(*outer)]
    out_tail = np.shape(results[0]) if results else ()
    stacked = P.reshape(P.stack(results, axis=0), outer + out_tail)
    # NumPy puts the function's output axes where `axis` was.
    k = len(out_tail)
    order = list(range(len(outer)))
    order[ax:ax] = list(range(len(outer), len(outer) + k))
    return P.transpose(stacked, tuple(order)) if k else stacked


@_numpy_function(np.apply_over_axes)
def apply_over_axes(func, a, axes):
    """func(a, axis) applied for each axis in turn, keeping the dimensions."""
    result = a
    for axis in np.atleast_1d(axes):
        axis = int(axis) + np.ndim(a) if axis < 0 else int(axis)
        out = func(result, axis)
        if np.ndim(out) == np.ndim(result):
            result = out
        elif np.ndim(out) == np.ndim(result) - 1:
            result = P.expand_dims(out, axis)
        else:
            raise ValueError("apply_over_axes: function is not returning an array of the "
                             "correct shape")
    return result


@_numpy_function(np.ascontiguousarray)
def ascontiguousarray(a, dtype=None, *, like=None):
    """The array itself (a tensor's buffer is C-contiguous), at least 1-D."""
    r = P.reshape(a, (1,)) if np.ndim(a) == 0 else a
    return r if dtype is None else P.astype(r, dtype=np.dtype(dtype))


@_numpy_function(np.asfortranarray)
def asfortranarray(a, dtype=None, *, like=None):
    """The array itself, at least 1-D (memory order changes neither values nor gradient)."""
    r = P.reshape(a, (1,)) if np.ndim(a) == 0 else a
    return r if dtype is None else P.astype(r, dtype=np.dtype(dtype))


@_numpy_function(np.asarray_chkfinite)
def asarray_chkfinite(a, dtype=None, order=None):
    """The array itself, after checking that it holds no NaN or infinity."""
    if not np.all(np.isfinite(a._data)):
        raise ValueError("array must not contain infs or NaNs")
    return a if dtype is None else P.astype(a, dtype=np.dtype(dtype))


@_numpy_function(np.require)
def require(a, dtype=None, requirements=None, *, like=None):
    """The array itself, converted to `dtype` if given (memory flags do not apply)."""
    return a if dtype is None else P.astype(a, dtype=np.dtype(dtype))
