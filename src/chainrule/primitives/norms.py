"""Norms (NumPy's linalg.norm), condition numbers and the numerical rank.

Vector norms act on one axis, matrix norms on two. The spectral norms (ord 2 and -2) and
the nuclear norm ('nuc') are functions of the singular values (spectral.svdvals); the
others are sums and extremes of absolute values. All are compositions, with no rule of
their own. Where a norm is not differentiable the gradient is a subgradient: 0 at x = 0
for the p-norms; where the largest (or smallest) singular value is repeated, the
gradient is shared evenly between the tied singular pairs (as max and min share it),
which is the subgradient of smallest norm and does not depend on the basis LAPACK chose.
"""

from __future__ import annotations

import numpy as np

from .. import statements as S
from ..graph import is_tensor, new_tensor
from ..rules import composite, nondifferentiable
from .decompositions import _values, inv
from .elementwise import abs, equal, not_equal, power, sqrt, where
from .reductions import max, min, sum
from .shape import reshape, transpose
from .spectral import svdvals


def _safe_root(s, p=2):
    # s^(1/p) with gradient 0 (not 0 * inf = NaN) where s = 0: the norm's subgradient at 0.
    zero = equal(s, 0)
    safe = where(zero, 1, s)
    root = sqrt(safe) if p == 2 else power(safe, 1.0 / p)
    return where(zero, 0, root)


def _vector_norm(x, ord, axis, keepdims):
    if ord is None or ord == 2:
        return _safe_root(sum(x * x, axis=axis, keepdims=keepdims))
    if ord == np.inf:
        return max(abs(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return min(abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        nonzero = sum(not_equal(x, 0), axis=axis, keepdims=keepdims)
        return nonzero.astype(_values(x).dtype) if is_tensor(nonzero) else nonzero.astype(float)
    if ord == 1:
        return sum(abs(x), axis=axis, keepdims=keepdims)
    if isinstance(ord, str):
        raise ValueError(f"norm: ord={ord!r} is a matrix norm; vectors take a number")
    return _safe_root(sum(abs(x) ** ord, axis=axis, keepdims=keepdims), ord)


def _singular_values(x, row, col):
    """Singular values of the matrices spanned by axes row and col, on the last axis."""
    rest = tuple(i for i in range(np.ndim(x)) if i not in (row, col))
    return svdvals(transpose(x, rest + (row, col)))


def _matrix_norm(x, ord, axis, keepdims):
    row, col = (a % np.ndim(x) for a in axis)
    if row == col:
        raise ValueError("norm: the two axes of a matrix norm must differ")
    if ord in (None, "fro"):
        out = _safe_root(sum(x * x, axis=(row, col)))
    elif ord in (1, -1):
        reduce = max if ord == 1 else min
        out = reduce(sum(abs(x), axis=row), axis=col - 1 if col > row else col)
    elif ord in (np.inf, -np.inf):
        reduce = max if ord == np.inf else min
        out = reduce(sum(abs(x), axis=col), axis=row - 1 if row > col else row)
    elif ord in (2, -2):
        out = (max if ord == 2 else min)(_singular_values(x, row, col), axis=-1)
    elif ord == "nuc":
        out = sum(_singular_values(x, row, col), axis=-1)
    else:
        raise ValueError(
            f"norm: invalid norm order {ord!r} for matrices; use None, 'fro', 'nuc', 1, -1, "
            f"2, -2, inf or -inf"
        )
    if keepdims:
        shape = list(np.shape(x))
        shape[row] = shape[col] = 1
        out = reshape(out, tuple(shape))
    return out


@composite
def norm(x, ord=None, axis=None, keepdims=False):
    """NumPy's linalg.norm: vector norms over one axis, matrix norms over two."""
    nd = np.ndim(x)
    if axis is None:
        if ord is None:
            out = _safe_root(sum(x * x))
            return reshape(out, (1,) * nd) if keepdims else out
        if nd not in (1, 2):
            raise ValueError("norm: improper number of dimensions to norm (give axis, or "
                             "pass a 1-D or 2-D array)")
        axis = tuple(range(nd))
    if isinstance(axis, (int, np.integer)):
        axis = (int(axis),)
    axis = tuple(axis)
    if len(axis) == 1:
        return _vector_norm(x, ord, axis[0], keepdims)
    if len(axis) == 2:
        return _matrix_norm(x, ord, axis, keepdims)
    raise ValueError(f"norm: axis must name one or two axes, got {axis}")


@composite
def cond(x, p=None):
    """NumPy's linalg.cond: s_max / s_min for p None or 2 (s_min / s_max for -2), else
    norm(x, p) * norm(inv(x), p); infinite for a singular matrix (no gradient there)."""
    if np.ndim(x) < 2:
        raise np.linalg.LinAlgError(
            f"cond: {np.ndim(x)}-dimensional array given; it must be at least two-dimensional")
    values = _values(x)
    if p is None or p == 2 or p == -2:
        s = svdvals(x)
        top, bottom = max(s, axis=-1), min(s, axis=-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = top / bottom if p != -2 else bottom / top
    else:
        if values.shape[-1] != values.shape[-2]:
            raise np.linalg.LinAlgError("cond: last 2 dimensions of the array must be square")
        if not is_tensor(x):
            return np.linalg.cond(x, p)
        try:
            r = norm(x, p, axis=(-2, -1)) * norm(inv(x), p, axis=(-2, -1))
        except np.linalg.LinAlgError:
            # A singular matrix in the stack: NumPy's values (infinite there), no gradient.
            return new_tensor(np.asarray(np.linalg.cond(values, p)))
    # NumPy's convention: NaN (0 / 0, a zero matrix) becomes inf unless x holds a NaN.
    nan = np.isnan(_values(r)) & ~np.isnan(values).any(axis=(-2, -1))
    return where(nan, np.inf, r) if nan.any() else r


def _matrix_rank_fwd(a, tol=None, hermitian=False, rtol=None):
    return np.linalg.matrix_rank(a, tol=tol, hermitian=hermitian, rtol=rtol)


matrix_rank = nondifferentiable(
    "matrix_rank", _matrix_rank_fwd,
    statement=S.step(
        "number of singular values above tol (default: s_max * max(M, N) * eps)",
        r"\#\{i : s_i > \mathrm{tol}\}",
    ),
)
