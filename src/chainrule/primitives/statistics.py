"""Statistics: NumPy's nan-reductions, cov and corrcoef (and PyTorch's names for them).

The nan-reductions replace NaN by the reduction's neutral element with ``where`` (0 for
sums, 1 for products, -inf/+inf for max/min) and reduce, so a NaN entry gets an exact
zero gradient and the others the ordinary one. A slice with no numbers gives NaN where
NumPy does (nanmean, nanvar, nanstd, nanmax, nanmin, nanmedian, nanquantile) with no
gradient into it. All are compositions.
"""

from __future__ import annotations

import numpy as np

from ..graph import is_tensor, new_tensor
from ..rules import composite
from .decompositions import diagonal
from .elementwise import astype, clip, sqrt, where
from .linalg import matmul
from .reductions import cumsum, max, min, prod, sum
from .shape import concatenate, reshape, transpose
from .sorting import numpy_median, quantile
from .ufuncs import cumprod


def _values(x):
    return x.data if is_tensor(x) else np.asarray(x)


def _nan(a):
    """The NaN mask of `a` (all False for integer data)."""
    data = _values(a)
    return np.isnan(data) if data.dtype.kind in "fc" else np.zeros(data.shape, dtype=bool)


def _nan_of(a):
    return np.asarray(np.nan, dtype=np.result_type(_values(a).dtype, np.float16))


def _count(mask, axis, keepdims):
    return (~mask).sum(axis=axis, keepdims=keepdims)


def _when_empty(out, empty, a):
    """NaN where a slice had nothing to reduce."""
    empty = np.asarray(empty)
    return where(empty, _nan_of(a), out) if empty.any() else out


# -------------------------------------------------------------- nan-reductions
@composite
def nansum(a, axis=None, keepdims=False):
    """Sum treating NaN as 0 (NumPy's nansum)."""
    return sum(where(_nan(a), 0, a), axis=axis, keepdims=keepdims)


@composite
def nanprod(a, axis=None, keepdims=False):
    """Product treating NaN as 1 (NumPy's nanprod)."""
    return prod(where(_nan(a), 1, a), axis=axis, keepdims=keepdims)


@composite
def nanmean(a, axis=None, keepdims=False):
    """Mean of the non-NaN values (NaN for a slice of only NaN)."""
    nan = _nan(a)
    n = _count(nan, axis, keepdims)
    total = sum(where(nan, 0, a), axis=axis, keepdims=keepdims)
    return _when_empty(total / np.maximum(n, 1), n == 0, a)


@composite
def nanvar(a, axis=None, keepdims=False, ddof=0):
    """Variance of the non-NaN values over (count - ddof); NaN where that is <= 0."""
    nan = _nan(a)
    dof = _count(nan, axis, keepdims) - ddof
    d = where(nan, 0, a - nanmean(a, axis=axis, keepdims=True))
    total = sum(d * d, axis=axis, keepdims=keepdims)
    return _when_empty(total / np.maximum(dof, 1), dof <= 0, a)


@composite
def nanstd(a, axis=None, keepdims=False, ddof=0):
    """Standard deviation of the non-NaN values: sqrt(nanvar)."""
    return sqrt(nanvar(a, axis=axis, keepdims=keepdims, ddof=ddof))


def _nan_extreme(a, axis, keepdims, reduce, fill):
    nan = _nan(a)
    if not nan.any():
        return reduce(a, axis=axis, keepdims=keepdims)
    out = reduce(where(nan, fill, a), axis=axis, keepdims=keepdims)
    return _when_empty(out, nan.all(axis=axis, keepdims=keepdims), a)


@composite
def nanmax(a, axis=None, keepdims=False):
    """Maximum ignoring NaN (NaN for a slice of only NaN); ties share the gradient."""
    return _nan_extreme(a, axis, keepdims, max, -np.inf)


@composite
def nanmin(a, axis=None, keepdims=False):
    """Minimum ignoring NaN (NaN for a slice of only NaN); ties share the gradient."""
    return _nan_extreme(a, axis, keepdims, min, np.inf)


def _nan_arg(a, axis, keepdims, fn):
    out = fn(_values(a), axis=axis, keepdims=keepdims)
    return new_tensor(np.asarray(out)) if is_tensor(a) else out


def nanargmax(a, axis=None, keepdims=False):
    """Index of the maximum ignoring NaN (no gradient; an all-NaN slice is an error)."""
    return _nan_arg(a, axis, keepdims, np.nanargmax)


def nanargmin(a, axis=None, keepdims=False):
    """Index of the minimum ignoring NaN (no gradient; an all-NaN slice is an error)."""
    return _nan_arg(a, axis, keepdims, np.nanargmin)


@composite
def nancumsum(a, axis=None):
    """Running sum treating NaN as 0."""
    return cumsum(where(_nan(a), 0, a), axis=axis)


@composite
def nancumprod(a, axis=None):
    """Running product treating NaN as 1."""
    return cumprod(where(_nan(a), 1, a), axis=axis)


@composite
def nanmedian(a, axis=None, keepdims=False):
    """NumPy's nanmedian: the median of the non-NaN values (mean of the middle two)."""
    return numpy_median(a, axis=axis, keepdims=keepdims, skip_nan=True)


@composite
def nanquantile(a, q, axis=None, method="linear", keepdims=False):
    """NumPy's nanquantile: quantile of the non-NaN values."""
    return quantile(a, q, axis=axis, method=method, keepdims=keepdims, skip_nan=True,
                    op="nanquantile")


# ------------------------------------------------------------- cov, corrcoef
def _as_rows(m, rowvar, op):
    if np.ndim(m) > 2:
        raise ValueError(f"{op}: m has more than 2 dimensions (shape {np.shape(m)})")
    x = reshape(m, (1, -1)) if np.ndim(m) < 2 else m
    if not rowvar and np.shape(x)[0] != 1:
        x = transpose(x)
    return x


@composite
def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    """NumPy's cov: the covariance matrix of the variables in the rows of m (and y).

    Differentiable in m, y and aweights (fweights are integer counts)."""
    x = _as_rows(m, rowvar, "cov")
    if y is not None:
        x = concatenate([x, _as_rows(y, rowvar, "cov")], axis=0)
    if ddof is None:
        ddof = 0 if bias else 1
    n = np.shape(x)[1]
    w = None
    if fweights is not None:
        f = np.asarray(_values(fweights))
        if f.ndim != 1 or f.shape[0] != n:
            raise ValueError(f"cov: fweights must be 1-D of length {n}, got shape {f.shape}")
        if (f != np.around(f)).any() or (f < 0).any():
            raise ValueError("cov: fweights must be non-negative integers")
        w = f.astype(float)
    if aweights is not None:
        if np.ndim(aweights) != 1 or np.shape(aweights)[0] != n:
            raise ValueError(f"cov: aweights must be 1-D of length {n}, got shape "
                             f"{np.shape(aweights)}")
        if (_values(aweights) < 0).any():
            raise ValueError("cov: aweights must be non-negative")
        w = aweights if w is None else w * aweights
    if w is None:
        avg = sum(x, axis=1, keepdims=True) / n
        fact = n - ddof
    else:
        w_sum = sum(w)
        avg = sum(x * w, axis=1, keepdims=True) / w_sum
        if ddof == 0:
            fact = w_sum
        elif aweights is None:
            fact = w_sum - ddof
        else:
            fact = w_sum - ddof * sum(w * aweights) / w_sum
    if np.all(_values(fact) <= 0):
        fact = 0.0  # NumPy's choice: the result is then inf or NaN
    xc = x - avg
    c = matmul(xc, transpose(xc * w if w is not None else xc))
    if is_tensor(fact):
        c = c / fact
    else:
        with np.errstate(divide="ignore"):
            c = c * np.divide(1.0, fact)
    return reshape(c, tuple(s for s in np.shape(c) if s != 1))


@composite
def corrcoef(x, y=None, rowvar=True):
    """NumPy's corrcoef: cov normalised by the standard deviations, clipped to [-1, 1]."""
    c = cov(x, y, rowvar)
    if np.ndim(c) == 0:
        return c / c
    s = sqrt(diagonal(c))
    c = c / reshape(s, (-1, 1))
    c = c / reshape(s, (1, -1))
    return clip(c, -1, 1)


# ------------------------------------------------------------ PyTorch names
def _dim(dim):
    return tuple(dim) if isinstance(dim, list) else dim


def _cast(out, dtype):
    return out if dtype is None else astype(out, np.dtype(dtype))


@composite
def torch_nansum(input, dim=None, keepdim=False, *, dtype=None):
    """PyTorch's nansum: sum treating NaN as 0."""
    return _cast(nansum(input, axis=_dim(dim), keepdims=keepdim), dtype)


@composite
def torch_nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """PyTorch's nanmean: mean of the non-NaN values."""
    return _cast(nanmean(input, axis=_dim(dim), keepdims=keepdim), dtype)


@composite
def torch_cov(input, *, correction=1, fweights=None, aweights=None):
    """PyTorch's cov: variables in the rows, correction = NumPy's ddof."""
    return cov(input, ddof=correction, fweights=fweights, aweights=aweights)


@composite
def torch_corrcoef(input):
    """PyTorch's corrcoef: variables in the rows."""
    return corrcoef(input)

