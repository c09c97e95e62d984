"""NumPy functions newer than chainrule's NumPy floor (2.0), for arrays.

chainrule.numpy names them on every supported NumPy: NumPy's own function where the
installed NumPy has it (2.1 added unstack and the cumulative_* functions, 2.2 matvec
and vecmat), otherwise the equivalent below, written with NumPy 2.0's functions.
The tensor versions live beside their relatives (products, reductions, selection).
"""

from __future__ import annotations

import numpy as np


def _matvec(x1, x2, /, out=None):
    """Matrix-vector product over the last axes: (..., m, n) (..., n) -> (..., m)."""
    x2 = np.asarray(x2)
    return np.matmul(x1, x2[..., None], out=None if out is None else out[..., None])[..., 0]


def _vecmat(x1, x2, /, out=None):
    """Vector-matrix product over the last axes, x1 conjugated: (..., n) (..., n, m) -> (..., m)."""
    x1 = np.conj(np.asarray(x1))
    o = None if out is None else out[..., None, :]
    return np.matmul(x1[..., None, :], x2, out=o)[..., 0, :]


def _cumulative(running, identity, x, axis, dtype, out, include_initial, name):
    x = np.asarray(x)
    if axis is None:
        if x.ndim > 1:
            raise ValueError(f"{name}: axis must be given for arrays of more than one dimension")
        axis = 0
    r = running(x, axis=axis, dtype=dtype)
    if include_initial:
        shape = list(r.shape)
        shape[axis] = 1
        r = np.concatenate([np.full(shape, identity, dtype=r.dtype), r], axis=axis)
    if out is not None:
        out[...] = r
        return out
    return r


def _cumulative_sum(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
    """Running sum along `axis`, with a leading 0 when include_initial (array API)."""
    return _cumulative(np.cumsum, 0, x, axis, dtype, out, include_initial, "cumulative_sum")


def _cumulative_prod(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
    """Running product along `axis`, with a leading 1 when include_initial (array API)."""
    return _cumulative(np.cumprod, 1, x, axis, dtype, out, include_initial, "cumulative_prod")


def _unstack(x, /, *, axis=0):
    """The slices of x along `axis`, as a tuple."""
    return tuple(np.moveaxis(np.asarray(x), axis, 0))


for _f in (_matvec, _vecmat, _cumulative_sum, _cumulative_prod, _unstack):
    _f.__name__ = _f.__qualname__ = _f.__name__[1:]

matvec = getattr(np, "matvec", _matvec)
vecmat = getattr(np, "vecmat", _vecmat)
cumulative_sum = getattr(np, "cumulative_sum", _cumulative_sum)
cumulative_prod = getattr(np, "cumulative_prod", _cumulative_prod)
unstack = getattr(np, "unstack", _unstack)
