"""solve_triangular: X = op(A)^-1 B for a triangular A (scipy.linalg's semantics).

Only the named triangle of ``a`` is read (the rest is ignored, as LAPACK's trtrs does);
``unit_diagonal=True`` also takes the diagonal as ones. ``trans`` is 0/'N' (A X = B),
1/'T' or 2/'C' (A^T X = B; real matrices only). ``a`` may be a stack (..., M, M) that
broadcasts against ``b``; ``b`` is a vector when it is 1-D, else a stack of (M, K)
matrices (NumPy 2's reading, which SciPy's agrees with for a single matrix).

The forward runs LAPACK's general solver (np.linalg.solve) on the triangle itself: NumPy
has no triangular solver, and Gaussian elimination on a triangular matrix is backward
stable. A zero on the diagonal raises numpy.linalg.LinAlgError, as SciPy's does.

Derivative (x = op(A)^-1 b): b_bar = op(A)^-T g (a triangular solve with trans flipped),
and op(A)_bar = -b_bar x^T restricted to the triangle (the strict triangle when the
diagonal is unit): the entries outside it do not exist for this function.
"""

from __future__ import annotations

import numpy as np

from .. import statements as S
from ..domains import Example
from ..rules import primitive
from .elementwise import where
from .shape import expand_dims, squeeze, swapaxes

_TRANS = {0: 0, "N": 0, "n": 0, 1: 1, "T": 1, "t": 1, 2: 1, "C": 1, "c": 1}


def trans_code(trans):
    """0 (solve A x = b) or 1 (solve A^T x = b) from SciPy's trans argument."""
    try:
        return _TRANS[trans]
    except (KeyError, TypeError):
        raise ValueError(
            f"solve_triangular: trans must be 0, 1, 2, 'N', 'T' or 'C', not {trans!r}"
        ) from None


def triangle_mask(n, lower, unit_diagonal, dtype=bool):
    """The entries of an n x n matrix that solve_triangular reads."""
    keep = np.tri(n, dtype=bool) if lower else np.tri(n, dtype=bool).T
    if unit_diagonal:
        keep &= ~np.eye(n, dtype=bool)
    return keep.astype(dtype)


def _triangle(a, lower, unit_diagonal):
    """The matrix solve_triangular actually uses (NumPy values)."""
    a = np.asarray(a)
    n = a.shape[-1]
    t = np.where(triangle_mask(n, lower, unit_diagonal), a, 0)
    if unit_diagonal:
        t = t + np.eye(n, dtype=t.dtype)
    return t


def _check_shapes(a, b):
    if np.ndim(a) < 2 or np.shape(a)[-1] != np.shape(a)[-2]:
        raise ValueError(f"solve_triangular: a must be square (..., M, M), got shape "
                         f"{np.shape(a)}")
    m = np.shape(a)[-1]
    rows = np.shape(b)[0] if np.ndim(b) == 1 else (np.shape(b)[-2] if np.ndim(b) else None)
    if rows != m:
        raise ValueError(
            f"solve_triangular: shapes of a {np.shape(a)} and b {np.shape(b)} are "
            f"incompatible: b needs {m} rows (a vector of length {m} or (..., {m}, K))"
        )


def _solve_triangular_fwd(a, b, trans=0, lower=False, unit_diagonal=False):
    _check_shapes(a, b)
    t = _triangle(a, lower, unit_diagonal)
    if trans:
        t = np.swapaxes(t, -1, -2)
    b = np.asarray(b)
    dtype = np.result_type(t, b, np.float16) if b.dtype.kind != "f" else np.result_type(t, b)
    return np.linalg.solve(t, b).astype(dtype, copy=False)


def _outer(u, v, vector):
    """u v^T for the matrix case, or the outer product of two (..., M) vectors."""
    if vector:
        return expand_dims(u, -1) * expand_dims(v, -2)
    return u @ swapaxes(v, -1, -2)


def _a_cotangent(bbar, x, a, trans, lower, unit_diagonal, vector):
    # d(op(A)) contributes -bbar x^T; for trans the cotangent of A is its transpose.
    full = -_outer(x, bbar, vector) if trans else -_outer(bbar, x, vector)
    mask = triangle_mask(np.shape(a)[-1], lower, unit_diagonal)
    return where(mask, full, 0)


def _vjp_a(g, ans, a, b, trans=0, lower=False, unit_diagonal=False):
    bbar = solve_triangular(a, g, trans=1 - trans, lower=lower, unit_diagonal=unit_diagonal)
    return _a_cotangent(bbar, ans, a, trans, lower, unit_diagonal, np.ndim(b) == 1)


def _vjp_b(g, ans, a, b, trans=0, lower=False, unit_diagonal=False):
    return solve_triangular(a, g, trans=1 - trans, lower=lower, unit_diagonal=unit_diagonal)


def _jvp_a(t, ans, a, b, trans=0, lower=False, unit_diagonal=False):
    # dx = -op(A)^-1 op(dA) x, dA restricted to the triangle.
    mask = triangle_mask(np.shape(a)[-1], lower, unit_diagonal)
    dt = where(mask, t, 0)
    if trans:
        dt = swapaxes(dt, -1, -2)
    if np.ndim(b) == 1:
        rhs = squeeze(dt @ expand_dims(ans, -1), -1)
    else:
        rhs = dt @ ans
    return -solve_triangular(a, rhs, trans=trans, lower=lower, unit_diagonal=unit_diagonal)


def _jvp_b(t, ans, a, b, trans=0, lower=False, unit_diagonal=False):
    return solve_triangular(a, t, trans=trans, lower=lower, unit_diagonal=unit_diagonal)


def _example(rng):
    a = np.tril(rng.standard_normal((3, 3)) * 0.5) + 2 * np.eye(3)
    return (a, rng.standard_normal((3, 2))), {"lower": True}


solve_triangular_primitive = primitive(
    "solve_triangular", _solve_triangular_fwd,
    domain=Example(_example),
    statement=S.Statement(
        forward="X = op(A)^-1 B, A triangular (only its triangle is read), op(A) = A or A^T",
        vjp="B_bar = op(A)^-T G (a triangular solve with trans flipped); op(A)_bar = "
        "-B_bar X^T restricted to A's triangle (strict if the diagonal is unit)",
        latex_forward=r"X = \operatorname{op}(A)^{-1} B",
        latex_vjp=r"\bar B = \operatorname{op}(A)^{-\top} \bar X, \quad "
        r"\overline{\operatorname{op}(A)} = -\operatorname{tri}(\bar B X^\top)",
    ),
).defvjp(_vjp_a, _vjp_b).defjvp(_jvp_a, _jvp_b)


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False):
    """x with op(A) x = b for triangular A (SciPy's solve_triangular; see the module doc)."""
    return solve_triangular_primitive(a, b, trans=trans_code(trans), lower=bool(lower),
                                      unit_diagonal=bool(unit_diagonal))
