"""NumPy's nan-reductions and statistics: nansum ... nanpercentile, cov, corrcoef."""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from ..graph import values as _values
from .dispatch import as_dtype as _as_dtype
from .dispatch import no_out as _no_out
from .dispatch import numpy_function as _numpy_function
from .reductions import (
    UNSET,
    ddof_of,
    mask,
    masked_extreme,
    masked_mean,
    masked_std,
    masked_sum,
    masked_var,
)
from .sorting import _no_weights, _percent


def _holds_nan(a):
    return _values(a).dtype.kind in "fc"


def _numbers(a, m):
    """Mask `m` (None: everything) without a's NaN entries (recorded, so cr.vmap
    recomputes it), or m itself for a dtype without NaN."""
    if not _holds_nan(a):
        return m
    number = P.logical_not(P.isnan(a))
    return number if m is None else P.logical_and(m, number)


def _everything(a, m):
    return np.broadcast_to(np.True_, np.shape(a)) if m is None else m


@_numpy_function(np.nansum)
def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=UNSET, where=UNSET):
    """Sum treating NaN as 0 (NaN entries get a zero gradient); where=, initial= as sum."""
    _no_out("nansum", out)
    if dtype is not None:
        x = _accumulated(a, 0, dtype)
        return _as_dtype(masked_sum(x, mask(x, where), axis, keepdims, initial), dtype)
    if initial is UNSET and where is UNSET:
        return P.nansum(a, axis=axis, keepdims=keepdims)
    return masked_sum(a, _numbers(a, mask(a, where)), axis, keepdims, initial)


def _accumulated(a, identity, dtype):
    """a as NumPy's nan-reductions with dtype= read it: NaN replaced by the identity,
    then cast to dtype, in which they accumulate (NaN cast to an integer is garbage)."""
    if _values(a).dtype.kind in "fc":
        a = P.where(P.isnan(a), identity, a)
    return _as_dtype(a, dtype)


@_numpy_function(np.nanprod)
def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=UNSET, where=UNSET):
    """Product treating NaN as 1; where=, initial= as prod."""
    _no_out("nanprod", out)
    if dtype is not None:
        x = _accumulated(a, 1, dtype)
        r = masked_sum(x, mask(x, where), axis, keepdims, initial, 1, P.prod, P.multiply)
        return _as_dtype(r, dtype)
    if initial is UNSET and where is UNSET:
        return P.nanprod(a, axis=axis, keepdims=keepdims)
    m = _numbers(a, mask(a, where))
    return masked_sum(a, m, axis, keepdims, initial, 1, P.prod, P.multiply)


@_numpy_function(np.nanmean)
def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=UNSET):
    """Mean of the non-NaN values (where `where`; NaN for a slice with none)."""
    _no_out("nanmean", out)
    m = mask(a, where)
    if m is None:
        return _as_dtype(P.nanmean(a, axis=axis, keepdims=keepdims), dtype)
    # (NumPy's nanmean of integers is mean, which warns)
    empty = None if _holds_nan(a) else "Mean of empty slice"
    return masked_mean(a, _numbers(a, m), axis, dtype, keepdims, empty)


@_numpy_function(np.nanvar)
def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=UNSET,
           mean=UNSET, correction=UNSET):
    """Variance of the non-NaN values over (count - ddof); where=, mean=, correction= as var."""
    _no_out("nanvar", out)
    ddof = ddof_of(ddof, correction)
    m = mask(a, where)
    if m is None and mean is UNSET:
        return _as_dtype(P.nanvar(a, axis=axis, keepdims=keepdims, ddof=ddof), dtype)
    return masked_var(a, _everything(a, _numbers(a, m)), axis, dtype, keepdims, ddof, mean,
                      nan_policy=_holds_nan(a))


@_numpy_function(np.nanstd)
def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=UNSET,
           mean=UNSET, correction=UNSET):
    """Standard deviation of the non-NaN values; where=, mean=, correction= as std."""
    _no_out("nanstd", out)
    ddof = ddof_of(ddof, correction)
    m = mask(a, where)
    if m is None and mean is UNSET:
        return _as_dtype(P.nanstd(a, axis=axis, keepdims=keepdims, ddof=ddof), dtype)
    return masked_std(a, _everything(a, _numbers(a, m)), axis, dtype, keepdims, ddof, mean,
                      nan_policy=_holds_nan(a))


@_numpy_function(np.nanmax)
def nanmax(a, axis=None, out=None, keepdims=False, initial=UNSET, where=UNSET):
    """Maximum ignoring NaN; tied maxima share the gradient. where= needs initial=."""
    _no_out("nanmax", out)
    if initial is UNSET and where is UNSET:
        return P.nanmax(a, axis=axis, keepdims=keepdims)
    return masked_extreme("fmax", a, axis, keepdims, initial, where, largest=False,
                          ignore_nan=True)


@_numpy_function(np.nanmin)
def nanmin(a, axis=None, out=None, keepdims=False, initial=UNSET, where=UNSET):
    """Minimum ignoring NaN; tied minima share the gradient. where= needs initial=."""
    _no_out("nanmin", out)
    if initial is UNSET and where is UNSET:
        return P.nanmin(a, axis=axis, keepdims=keepdims)
    return masked_extreme("fmin", a, axis, keepdims, initial, where, largest=True,
                          ignore_nan=True)


@_numpy_function(np.nanargmax)
def nanargmax(a, axis=None, out=None, *, keepdims=False):
    """Index of the maximum ignoring NaN (no gradient)."""
    _no_out("nanargmax", out)
    return P.nanargmax(a, axis=axis, keepdims=keepdims)


@_numpy_function(np.nanargmin)
def nanargmin(a, axis=None, out=None, *, keepdims=False):
    """Index of the minimum ignoring NaN (no gradient)."""
    _no_out("nanargmin", out)
    return P.nanargmin(a, axis=axis, keepdims=keepdims)


@_numpy_function(np.nancumsum)
def nancumsum(a, axis=None, dtype=None, out=None):
    """Running sum treating NaN as 0."""
    _no_out("nancumsum", out)
    if dtype is not None:
        return _as_dtype(P.cumsum(_accumulated(a, 0, dtype), axis=axis), dtype)
    return P.nancumsum(a, axis=axis)


@_numpy_function(np.nancumprod)
def nancumprod(a, axis=None, dtype=None, out=None):
    """Running product treating NaN as 1."""
    _no_out("nancumprod", out)
    if dtype is not None:
        return _as_dtype(P.cumprod(_accumulated(a, 1, dtype), axis=axis), dtype)
    return P.nancumprod(a, axis=axis)


@_numpy_function(np.nanmedian)
def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """Median of the non-NaN values (the mean of the middle two for an even count)."""
    _no_out("nanmedian", out)
    return P.nanmedian(a, axis=axis, keepdims=keepdims)


@_numpy_function(np.nanquantile)
def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                keepdims=False, *, weights=None):
    """Quantiles of the non-NaN values."""
    _no_out("nanquantile", out)
    _no_weights("nanquantile", weights)
    return P.nanquantile(a, q, axis=axis, method=method, keepdims=keepdims)


@_numpy_function(np.nanpercentile)
def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                  keepdims=False, *, weights=None):
    """Percentiles (q in [0, 100]) of the non-NaN values."""
    _no_out("nanpercentile", out)
    _no_weights("nanpercentile", weights)
    return P.quantile(a, _percent(q, "nanpercentile"), axis=axis, method=method,
                      keepdims=keepdims, skip_nan=True, op="nanpercentile")


@_numpy_function(np.cov)
def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *,
        dtype=None):
    """Covariance matrix of the variables in the rows of m (columns with rowvar=False)."""
    return _as_dtype(P.cov(m, y, rowvar, bias, ddof, fweights, aweights), dtype)


@_numpy_function(np.corrcoef)
def corrcoef(x, y=None, rowvar=True, *, dtype=None):
    """Pearson correlation coefficients, clipped to [-1, 1]."""
    return _as_dtype(P.corrcoef(x, y, rowvar), dtype)
