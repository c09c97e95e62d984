"""NumPy's reductions: sum, mean, var, std, average, max/min, cumulative sums, sorting."""

from __future__ import annotations

import builtins

import numpy as np

from .. import primitives as P
from . import compat
from .dispatch import as_dtype as _as_dtype
from .dispatch import no_out as _no_out
from .dispatch import numpy_function as _numpy_function


@_numpy_function(np.sum)
def sum(a, axis=None, dtype=None, out=None, keepdims=False):
    """Sum of elements over `axis`."""
    _no_out("sum", out)
    return _as_dtype(P.sum(_as_dtype(a, dtype), axis=axis, keepdims=keepdims), dtype)


@_numpy_function(np.mean)
def mean(a, axis=None, dtype=None, out=None, keepdims=False):
    """Arithmetic mean over `axis`."""
    _no_out("mean", out)
    return _as_dtype(P.mean(a, axis=axis, keepdims=keepdims), dtype)


@_numpy_function(np.prod)
def prod(a, axis=None, dtype=None, out=None, keepdims=False):
    """Product of elements over `axis` (exact gradient with zeros)."""
    _no_out("prod", out)
    return _as_dtype(P.prod(_as_dtype(a, dtype), axis=axis, keepdims=keepdims), dtype)


@_numpy_function(np.max)
def max(a, axis=None, out=None, keepdims=False):
    """Maximum over `axis`; tied maxima share the gradient."""
    _no_out("max", out)
    return P.max(a, axis=axis, keepdims=keepdims)


@_numpy_function(np.amax)
def amax(a, axis=None, out=None, keepdims=False):
    """Maximum over `axis` (alias of max)."""
    return max(a, axis, out, keepdims)


@_numpy_function(np.min)
def min(a, axis=None, out=None, keepdims=False):
    """Minimum over `axis`; tied minima share the gradient."""
    _no_out("min", out)
    return P.min(a, axis=axis, keepdims=keepdims)


@_numpy_function(np.amin)
def amin(a, axis=None, out=None, keepdims=False):
    """Minimum over `axis` (alias of min)."""
    return min(a, axis, out, keepdims)


@_numpy_function(np.ptp)
def ptp(a, axis=None, out=None, keepdims=False):
    """Range max - min over `axis`."""
    _no_out("ptp", out)
    return P.max(a, axis=axis, keepdims=keepdims) - P.min(a, axis=axis, keepdims=keepdims)


@_numpy_function(np.var)
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    """Variance: mean squared deviation, over (n - ddof)."""
    _no_out("var", out)
    return _as_dtype(P.var(a, axis=axis, keepdims=keepdims, ddof=ddof), dtype)


@_numpy_function(np.std)
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    """Standard deviation: sqrt(var)."""
    _no_out("std", out)
    return _as_dtype(P.std(a, axis=axis, keepdims=keepdims, ddof=ddof), dtype)


@_numpy_function(np.average)
def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """Weighted mean sum(w a) / sum(w) over `axis` (the plain mean without weights)."""
    if weights is None:
        avg = P.mean(a, axis=axis, keepdims=keepdims)
        if not returned:
            return avg
        count = np.size(a) // builtins.max(avg._data.size, 1)
        return avg, np.full(avg.shape, count, dtype=avg._data.dtype)
    w = weights
    if np.ndim(w) == 1 and np.ndim(a) > 1:
        if axis is None or isinstance(axis, tuple):
            raise TypeError("average: 1-D weights need an integer axis")
        view = [1] * np.ndim(a)
        view[axis] = np.shape(w)[0]
        w = P.reshape(w, tuple(view))
    norm = P.sum(P.broadcast_to(w, np.broadcast_shapes(np.shape(a), np.shape(w))),
                 axis=axis, keepdims=keepdims)
    avg = P.sum(a * w, axis=axis, keepdims=keepdims) / norm
    return (avg, norm) if returned else avg


@_numpy_function(np.cumsum)
def cumsum(a, axis=None, dtype=None, out=None):
    """Running sum along `axis` (of the flattened array when axis is None)."""
    _no_out("cumsum", out)
    return _as_dtype(P.cumsum(_as_dtype(a, dtype), axis=axis), dtype)


@_numpy_function(np.cumprod)
def cumprod(a, axis=None, dtype=None, out=None):
    """Running product along `axis` (of the flattened array when axis is None)."""
    _no_out("cumprod", out)
    return _as_dtype(P.cumprod(_as_dtype(a, dtype), axis=axis), dtype)


@_numpy_function(np.argmax)
def argmax(a, axis=None, out=None, *, keepdims=False):
    """Index of the maximum (no gradient)."""
    _no_out("argmax", out)
    return P.argmax(a, axis=axis, keepdims=keepdims)


@_numpy_function(np.argmin)
def argmin(a, axis=None, out=None, *, keepdims=False):
    """Index of the minimum (no gradient)."""
    _no_out("argmin", out)
    return P.argmin(a, axis=axis, keepdims=keepdims)


@_numpy_function(np.argsort)
def argsort(a, axis=-1, kind=None, order=None, *, stable=None):
    """The permutation that sorts `a` along `axis` (no gradient)."""
    return P.argsort(a, axis=axis, kind="stable" if stable else kind)


@_numpy_function(np.argpartition)
def argpartition(a, kth, axis=-1, kind="introselect", order=None):
    """The permutation that partitions `a` around its kth element (no gradient)."""
    return P.argpartition(a, kth, axis=axis)


@_numpy_function(np.sort)
def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    """Sorted copy; each element's gradient follows it to its sorted place."""
    return P.sort(a, axis=axis, kind="stable" if stable else kind)


@_numpy_function(np.partition)
def partition(a, kth, axis=-1, kind="introselect", order=None):
    """Partitioned copy: the kth elements in sorted position, gradient by gather."""
    return P.partition(a, kth, axis=axis)


def _with_initial(r, axis, initial):
    """r with `initial` (0 for sums, 1 for products) prepended along `axis`."""
    shape = list(np.shape(r))
    shape[axis] = 1
    start = np.full(shape, initial, dtype=r._data.dtype)
    return P.concatenate([start, r], axis=axis)


def _cumulative(name, running, initial, x, axis, dtype, out, include_initial):
    """The array API's cumulative_sum/prod: `running` (cumsum, cumprod) along `axis`,
    which may be left out for 1-D input, with `initial` prepended when asked."""
    _no_out(name, out)
    x = P.reshape(x, (1,)) if np.ndim(x) == 0 else x
    if axis is None:
        if np.ndim(x) > 1:
            raise ValueError(f"{name}: axis must be given for arrays of more than one dimension")
        axis = 0
    r = _as_dtype(running(_as_dtype(x, dtype), axis=axis), dtype)
    return _with_initial(r, axis, initial) if include_initial else r


@_numpy_function(compat.cumulative_sum)
def cumulative_sum(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
    """Running sum along `axis`, with a leading 0 when include_initial (array API)."""
    return _cumulative("cumulative_sum", P.cumsum, 0, x, axis, dtype, out, include_initial)


@_numpy_function(compat.cumulative_prod)
def cumulative_prod(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
    """Running product along `axis`, with a leading 1 when include_initial (array API)."""
    return _cumulative("cumulative_prod", P.cumprod, 1, x, axis, dtype, out, include_initial)
