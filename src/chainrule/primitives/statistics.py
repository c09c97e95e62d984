"""Statistics: NumPy's nan-reductions, cov and corrcoef (and PyTorch's names for them).

The nan-reductions replace NaN by the reduction's neutral element with ``where`` (0 for
sums, 1 for products, -inf/+inf for max/min) and reduce, so a NaN entry gets an exact
zero gradient and the others the ordinary one. A slice with no numbers gives NaN where
NumPy does (nanmean, nanvar, nanstd, nanmax, nanmin, nanmedian, nanquantile) with no
gradient into it. All are compositions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import batching as B
from .. import statements as S
from ..graph import is_tensor
from ..graph import values as _values
from ..rules import composite, nondifferentiable
from .decompositions import diagonal
from .elementwise import (
    astype,
    clip,
    equal,
    isnan,
    less_equal,
    logical_not,
    maximum,
    sqrt,
    where,
)
from .linalg import matmul
from .reductions import cumsum, max, min, prod, sum
from .shape import concatenate, reshape, transpose
from .sorting import numpy_median, quantile
from .ufuncs import cumprod

if TYPE_CHECKING:
    from numpy.typing import DTypeLike

    from ..api_types import Axis, Operand
    from ..tensor import Tensor


# The NaN masks and counts are computed with primitives (isnan, sum), not read from the
# values, so that cr.vmap recomputes them for every example.
def _can_hold_nan(a):
    return _values(a).dtype.kind in "fc"


def _replace_nan(a, fill):
    return where(isnan(a), fill, a) if _can_hold_nan(a) else a


def _count(a, axis, keepdims):
    """The number of non-NaN values over axis, in a's float dtype."""
    if not _can_hold_nan(a):
        return np.sum(np.ones(np.shape(a)), axis=axis, keepdims=keepdims)
    n = sum(logical_not(isnan(a)), axis=axis, keepdims=keepdims)
    return astype(n, _values(a).dtype)


def _nan_where(bad, out, a):
    """NaN where `bad` (a slice with nothing to reduce), else out."""
    dtype = np.result_type(_values(a).dtype, np.float16)
    return where(bad, np.asarray(np.nan, dtype=dtype), out)


# -------------------------------------------------------------- nan-reductions
@composite
def nansum(a, axis=None, keepdims=False):
    """Sum treating NaN as 0 (NumPy's nansum)."""
    return sum(_replace_nan(a, 0), axis=axis, keepdims=keepdims)


@composite
def nanprod(a, axis=None, keepdims=False):
    """Product treating NaN as 1 (NumPy's nanprod)."""
    return prod(_replace_nan(a, 1), axis=axis, keepdims=keepdims)


@composite
def nanmean(a, axis=None, keepdims=False):
    """Mean of the non-NaN values (NaN for a slice of only NaN)."""
    n = _count(a, axis, keepdims)
    total = sum(_replace_nan(a, 0), axis=axis, keepdims=keepdims)
    return _nan_where(equal(n, 0), total / maximum(n, 1), a)


@composite
def nanvar(a, axis=None, keepdims=False, ddof=0):
    """Variance of the non-NaN values over (count - ddof); NaN where that is <= 0."""
    dof = _count(a, axis, keepdims) - ddof
    # (the values that are NaN in a drop out; an inf's NaN deviation stays, as in NumPy)
    d = a - nanmean(a, axis=axis, keepdims=True)
    if _can_hold_nan(a):
        d = where(isnan(a), 0, d)
    total = sum(d * d, axis=axis, keepdims=keepdims)
    return _nan_where(less_equal(dof, 0), total / maximum(dof, 1), a)


@composite
def nanstd(a, axis=None, keepdims=False, ddof=0):
    """Standard deviation of the non-NaN values: sqrt(nanvar)."""
    return sqrt(nanvar(a, axis=axis, keepdims=keepdims, ddof=ddof))


def _nan_extreme(a, axis, keepdims, reduce, fill):
    out = reduce(_replace_nan(a, fill), axis=axis, keepdims=keepdims)
    if not _can_hold_nan(a):
        return out
    return _nan_where(equal(_count(a, axis, keepdims), 0), out, a)


@composite
def nanmax(a, axis=None, keepdims=False):
    """Maximum ignoring NaN (NaN for a slice of only NaN); ties share the gradient."""
    return _nan_extreme(a, axis, keepdims, max, -np.inf)


@composite
def nanmin(a, axis=None, keepdims=False):
    """Minimum ignoring NaN (NaN for a slice of only NaN); ties share the gradient."""
    return _nan_extreme(a, axis, keepdims, min, np.inf)


nanargmax = nondifferentiable(
    "nanargmax",
    lambda x, axis=None, keepdims=False: np.nanargmax(x, axis=axis, keepdims=keepdims),
    batch=B.arg_rule,
    statement=S.step("index of the largest x ignoring NaN (an all-NaN slice is an error)",
                     r"\arg\max_i x_i"),
)
nanargmin = nondifferentiable(
    "nanargmin",
    lambda x, axis=None, keepdims=False: np.nanargmin(x, axis=axis, keepdims=keepdims),
    batch=B.arg_rule,
    statement=S.step("index of the smallest x ignoring NaN (an all-NaN slice is an error)",
                     r"\arg\min_i x_i"),
)


@composite
def nancumsum(a, axis=None):
    """Running sum treating NaN as 0."""
    return cumsum(_replace_nan(a, 0), axis=axis)


@composite
def nancumprod(a, axis=None):
    """Running product treating NaN as 1."""
    return cumprod(_replace_nan(a, 1), axis=axis)


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
    if not is_tensor(fact) and fact <= 0:
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
def torch_nansum(
    input: Operand, dim: Axis = None, keepdim: bool = False, *, dtype: DTypeLike = None
) -> Tensor:
    """PyTorch's nansum: sum treating NaN as 0; with ``dtype`` the input is cast first, as
    PyTorch's reductions do (a float64 sum of float32 values, integers truncated each)."""
    # (and the result cast again: NumPy sums small integers in int64)
    return _cast(nansum(_cast(input, dtype), axis=_dim(dim), keepdims=keepdim), dtype)


@composite
def torch_nanmean(
    input: Operand, dim: Axis = None, keepdim: bool = False, *, dtype: DTypeLike = None
) -> Tensor:
    """PyTorch's nanmean: mean of the non-NaN values (of the input cast to ``dtype``)."""
    return nanmean(_cast(input, dtype), axis=_dim(dim), keepdims=keepdim)


@composite
def torch_cov(
    input: Operand, *, correction: int = 1, fweights: Operand | None = None,
    aweights: Operand | None = None,
) -> Tensor:
    """PyTorch's cov: variables in the rows, correction = NumPy's ddof."""
    return cov(input, ddof=correction, fweights=fweights, aweights=aweights)


@composite
def torch_corrcoef(input: Operand) -> Tensor:
    """PyTorch's corrcoef: variables in the rows."""
    return corrcoef(input)

