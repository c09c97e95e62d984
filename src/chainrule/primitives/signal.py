"""Signals and sampled functions: diff, ediff1d, trapezoid, convolve, correlate, interp.

Full 1-D convolution is one bilinear primitive (NumPy's own np.convolve, O(n m) time
and O(n + m) memory); its two VJPs are themselves full convolutions with a reversed
operand, sliced, so one rule serves every order. The modes 'same' and 'valid', and
correlate, are slices of it. The rest are compositions of slicing, arithmetic and
gathers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import statements as S
from ..domains import Example
from ..graph import is_tensor
from ..graph import values as _values
from ..rules import composite, primitive
from .elementwise import astype, equal, greater, isnan, less, maximum, minimum, where
from .indexing import gather_along
from .reductions import sum
from .shape import broadcast_to, concatenate, flip, getitem, normalize_axes, reshape
from .sorting import _searchsorted, sort_order
from .ufuncs import mod

if TYPE_CHECKING:
    from ..api_types import Operand
    from ..tensor import Tensor


def _slice_along(x, axis, start, stop):
    return getitem(x, (slice(None),) * axis + (slice(start, stop),))


# --------------------------------------------------------------- differences
_NO_VALUE = object()


def _edge(value, a, axis):
    # A scalar prepend/append value becomes a slab of length 1 along `axis`.
    if np.ndim(value) == 0:
        shape = list(np.shape(a))
        shape[axis] = 1
        return broadcast_to(value, tuple(shape))
    return value


@composite
def diff(a, n=1, axis=-1, prepend=_NO_VALUE, append=_NO_VALUE):
    """NumPy's diff: the n-th discrete difference a[i+1] - a[i] along axis (prepend/append
    joined first, a scalar one as a slab of length 1)."""
    if n < 0:
        raise ValueError(f"diff: order must be non-negative but got {n!r}")
    nd = np.ndim(a)
    if nd == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    axis = normalize_axes(axis, nd, "diff")[0]
    if n == 0:
        return a
    parts = [a]
    if prepend is not _NO_VALUE:
        parts.insert(0, _edge(prepend, a, axis))
    if append is not _NO_VALUE:
        parts.append(_edge(append, a, axis))
    r = concatenate(parts, axis=axis) if len(parts) > 1 else a
    for _ in range(n):
        r = _slice_along(r, axis, 1, None) - _slice_along(r, axis, None, -1)
    return r


@composite
def torch_diff(
    input: Operand, n: int = 1, dim: int = -1, prepend: Operand | None = None,
    append: Operand | None = None,
) -> Tensor:
    """PyTorch's diff: NumPy's with None meaning no prepend/append."""
    return diff(input, n, dim, _NO_VALUE if prepend is None else prepend,
                _NO_VALUE if append is None else append)


@composite
def ediff1d(ary, to_end=None, to_begin=None):
    """NumPy's ediff1d: differences of the flattened array, with to_begin/to_end around."""
    flat = reshape(ary, (-1,))
    dtype = _values(ary).dtype

    def edge(extra):
        piece = reshape(extra, (-1,))
        return astype(piece, dtype) if is_tensor(piece) and piece.dtype != dtype else piece

    parts = [_slice_along(flat, 0, 1, None) - _slice_along(flat, 0, None, -1)]
    if to_begin is not None:
        parts.insert(0, edge(to_begin))
    if to_end is not None:
        parts.append(edge(to_end))
    return concatenate(parts) if len(parts) > 1 else parts[0]


# ------------------------------------------------------------------ trapezoid
@composite
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """NumPy's trapezoid: the integral of y by the trapezoidal rule along axis, with sample
    points x (1-D, or shaped like y) or spacing dx. Differentiable in y, x and dx."""
    nd = np.ndim(y)
    axis = normalize_axes(axis, nd, "trapezoid")[0]
    if x is None:
        d = dx
    elif np.ndim(x) == 1:
        d = diff(x)
        shape = [1] * nd
        shape[axis] = np.shape(d)[0]
        d = reshape(d, tuple(shape))
    else:
        d = diff(x, axis=axis)
    mid = (_slice_along(y, axis, 1, None) + _slice_along(y, axis, None, -1)) / 2.0
    return sum(d * mid, axis=axis)


@composite
def torch_trapezoid(
    y: Operand, x: Operand | None = None, *, dx: float | None = None, dim: int = -1
) -> Tensor:
    """PyTorch's trapezoid: NumPy's with dim, and dx keyword-only."""
    if x is not None and dx is not None:
        raise TypeError("trapezoid: pass x or dx, not both")
    return trapezoid(y, x, 1.0 if dx is None else dx, dim)


# ------------------------------------------------------- convolve, correlate
def _convolve_vjp(i, g, ans, a, v):
    # d full_k / d a_n = v_(k-n): a_bar = the full convolution of g with v reversed, from
    # m - 1 on (and the same for v with the roles swapped).
    mine, other = (a, v) if i == 0 else (v, a)
    m = np.shape(other)[0]
    return getitem(_convolve(g, flip(other, 0)), slice(m - 1, m - 1 + np.shape(mine)[0]))


def _convolve_fwd(a, v):
    a, v = np.asarray(a), np.asarray(v)
    if a.ndim != 1 or v.ndim != 1:
        raise ValueError(f"convolve: inputs must be 1-D, got shapes {a.shape} and {v.shape}")
    return np.convolve(a, v, "full")


_convolve = primitive(
    "convolve", _convolve_fwd,
    multilinear=True,
    domain=Example(lambda rng: ((rng.standard_normal(5), rng.standard_normal(3)), {})),
    statement=S.Statement(
        forward="y_k = sum_n a_n v_(k-n), the full 1-D convolution (length n + m - 1)",
        vjp="a_bar = (g convolved with v reversed)[m-1 : m-1+n];  v_bar = (g convolved with "
        "a reversed)[n-1 : n-1+m]",
        latex_forward=r"y_k = \sum_n a_n v_{k-n}",
        latex_vjp=r"\bar a_n = \sum_k \bar y_k v_{k-n},\ \bar v_j = \sum_k \bar y_k a_{k-j}",
    ),
).defvjp(lambda g, ans, a, v: _convolve_vjp(0, g, ans, a, v),
         lambda g, ans, a, v: _convolve_vjp(1, g, ans, a, v))


def _mode_slice(full, n, m, mode, op, same_start):
    lo, hi = min(n, m), max(n, m)
    if mode == "full":
        return full
    if mode == "same":
        return getitem(full, slice(same_start, same_start + hi))
    if mode == "valid":
        return getitem(full, slice(lo - 1, hi))
    raise ValueError(f"{op}: mode must be 'full', 'same' or 'valid', got {mode!r}")


def _check_1d(a, v, op):
    if np.ndim(a) != 1 or np.ndim(v) != 1:
        raise ValueError(f"{op}: a and v must be 1-D, got shapes {np.shape(a)} and "
                         f"{np.shape(v)}")
    if np.size(a) == 0 or np.size(v) == 0:
        raise ValueError(f"{op}: a and v cannot be empty")
    return np.shape(a)[0], np.shape(v)[0]


@composite
def convolve(a, v, mode="full"):
    """NumPy's convolve: the discrete linear convolution of two 1-D arrays, in mode 'full',
    'same' (length max(n, m), centred) or 'valid' (where they overlap fully)."""
    n, m = _check_1d(a, v, "convolve")
    return _mode_slice(_convolve(a, v), n, m, mode, "convolve", (min(n, m) - 1) // 2)


@composite
def correlate(a, v, mode="valid"):
    """NumPy's correlate: c_k = sum_n a_(n+k) v_n of two 1-D real arrays (default 'valid')."""
    n, m = _check_1d(a, v, "correlate")
    start = (min(n, m) - 1) // 2 if n >= m else min(n, m) // 2
    return _mode_slice(_convolve(a, flip(v, 0)), n, m, mode, "correlate", start)


# --------------------------------------------------------------------- interp
@composite
def interp(x, xp, fp, left=None, right=None, period=None):
    """NumPy's interp: the piecewise-linear interpolant through (xp, fp), evaluated at x.

    Differentiable in x, fp, xp, left and right. At a sample point xp[j] the derivative
    in x is the slope of the interval to its right (right-sided); below xp[0] and above
    xp[-1] the value is left/right (fp[0]/fp[-1] by default), constant in x.
    """
    if np.ndim(xp) != 1 or np.ndim(fp) != 1:
        raise ValueError("interp: xp and fp must be 1-D sequences")
    n = np.shape(xp)[0]
    if np.shape(fp)[0] != n:
        raise ValueError(f"interp: fp and xp are not of the same length ({np.shape(fp)[0]} "
                         f"and {n})")
    if n == 0:
        raise ValueError("interp: array of sample points is empty")
    # Arrays given as constants take the tensors' float dtype (float32 stays float32):
    # the gathers below see an integer index tensor, not a float one, to match them to.
    dtypes = [a.dtype for a in (x, xp, fp) if is_tensor(a) and a.dtype.kind == "f"]
    if dtypes:
        x, xp, fp = (a if is_tensor(a) else np.asarray(a, dtype=dtypes[0]) for a in (x, xp, fp))
    if period is not None:
        if period == 0:
            raise ValueError("interp: period must be a non-zero value")
        period = abs(period)
        left = right = None
        x, xp = mod(x, period), mod(xp, period)
        by_x = sort_order(xp, axis=0)
        xp, fp = gather_along(xp, by_x, axis=0), gather_along(fp, by_x, axis=0)
        xp = concatenate([getitem(xp, slice(-1, None)) - period, xp,
                          getitem(xp, slice(0, 1)) + period])
        fp = concatenate([getitem(fp, slice(-1, None)), fp, getitem(fp, slice(0, 1))])
        n += 2
    first, last = getitem(xp, 0), getitem(xp, n - 1)
    left = getitem(fp, 0) if left is None else left
    right = getitem(fp, n - 1) if right is None else right
    if n == 1:
        inner = broadcast_to(getitem(fp, 0), np.shape(x))
    else:
        # Interval j with xp[j] <= x < xp[j + 1] (clipped to the first and last ones),
        # found by a primitive so that cr.vmap finds it for every example.
        j = minimum(maximum(_searchsorted(xp, x, side="right") - 1, 0), n - 2)
        x0, x1 = _take(xp, j), _take(xp, j + 1)
        y0, y1 = _take(fp, j), _take(fp, j + 1)
        width = x1 - x0
        flat = equal(width, 0)
        slope = (y1 - y0) / where(flat, 1, width)
        inner = where(flat, y0, slope * (x - x0) + y0)
    out = where(equal(x, last), getitem(fp, n - 1), inner)
    out = where(greater(x, last), right, out)
    out = where(less(x, first), left, out)
    return where(isnan(x), x, out)


def _take(v, j):
    """v[j] for a 1-D v and an index array j of any shape (a gather along axis 0)."""
    return reshape(gather_along(v, reshape(j, (-1,)), axis=0), np.shape(j))
