"""NumPy's nan-reductions and statistics: nansum ... nanpercentile, cov, corrcoef."""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from .dispatch import as_dtype as _as_dtype
from .dispatch import no_out as _no_out
from .dispatch import numpy_function as _numpy_function
from .sorting import _no_weights, _percent


def _plain_only(name, initial=None, where=None):
    if initial is not None or where is not None:
        raise TypeError(f"{name}: initial= and where= are not supported on chainrule tensors")


def _ddof(ddof, correction, name):
    if correction is not None:
        if ddof:
            raise ValueError(f"{name}: ddof and correction can't be provided simultaneously.")
        return correction
    return ddof


@_numpy_function(np.nansum)
def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """Sum treating NaN as 0 (NaN entries get a zero gradient)."""
    _no_out("nansum", out)
    _plain_only("nansum", initial, where)
    return _as_dtype(P.nansum(a, axis=axis, keepdims=keepdims), dtype)


@_numpy_function(np.nanprod)
def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """Product treating NaN as 1."""
    _no_out("nanprod", out)
    _plain_only("nanprod", initial, where)
    return _as_dtype(P.nanprod(a, axis=axis, keepdims=keepdims), dtype)


@_numpy_function(np.nanmean)
def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    """Mean of the non-NaN values (NaN for a slice of only NaN)."""
    _no_out("nanmean", out)
    _plain_only("nanmean", where=where)
    return _as_dtype(P.nanmean(a, axis=axis, keepdims=keepdims), dtype)


@_numpy_function(np.nanvar)
def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
           mean=None, correction=None):
    """Variance of the non-NaN values over (count - ddof)."""
    _no_out("nanvar", out)
    _plain_only("nanvar", where=where)
    ddof = _ddof(ddof, correction, "nanvar")
    return _as_dtype(P.nanvar(a, axis=axis, keepdims=keepdims, ddof=ddof), dtype)


@_numpy_function(np.nanstd)
def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
           mean=None, correction=None):
    """Standard deviation of the non-NaN values."""
    _no_out("nanstd", out)
    _plain_only("nanstd", where=where)
    ddof = _ddof(ddof, correction, "nanstd")
    return _as_dtype(P.nanstd(a, axis=axis, keepdims=keepdims, ddof=ddof), dtype)


@_numpy_function(np.nanmax)
def nanmax(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    """Maximum ignoring NaN; tied maxima share the gradient."""
    _no_out("nanmax", out)
    _plain_only("nanmax", initial, where)
    return P.nanmax(a, axis=axis, keepdims=keepdims)


@_numpy_function(np.nanmin)
def nanmin(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    """Minimum ignoring NaN; tied minima share the gradient."""
    _no_out("nanmin", out)
    _plain_only("nanmin", initial, where)
    return P.nanmin(a, axis=axis, keepdims=keepdims)


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
    return _as_dtype(P.nancumsum(a, axis=axis), dtype)


@_numpy_function(np.nancumprod)
def nancumprod(a, axis=None, dtype=None, out=None):
    """Running product treating NaN as 1."""
    _no_out("nancumprod", out)
    return _as_dtype(P.nancumprod(a, axis=axis), dtype)


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
