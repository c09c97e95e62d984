"""scipy.linalg's names over chainrule's differentiable linear algebra (real matrices).

    from chainrule.scipy.linalg import cho_factor, cho_solve, solve_triangular, sqrtm

What HIPS autograd's scipy.linalg differentiates (sqrtm, solve_triangular, solve_banded,
solve_sylvester) plus the functions programs use with them (cholesky, cho_factor,
cho_solve, solve, inv, det, solve_continuous_lyapunov, block_diag) and SciPy's names for
chainrule's decompositions (expm, eigh, eigvalsh, svd, svdvals, qr: their derivatives and
degenerate cases are chainrule.numpy.linalg's, docs/api.md), and the LU family (lu,
lu_factor, lu_solve; the factorization is chainrule's own, NumPy having none).

Differences from SciPy: cho_factor returns the factor with zeros (not leftover entries
of ``a``) in its other triangle; ``overwrite_*``, ``check_finite`` and ``assume_a`` are
accepted and do not change the result (every solve is LAPACK's general one).
"""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from ..graph import values as _values
from ..linalg import _check_finite
from ..numpy import linalg as _nla
from ..primitives import lu_decomposition as _lu
from ..primitives import solve_sylvester as _sylvester
from ..primitives import solve_triangular as _solve_triangular
from ..primitives import sqrtm as _sqrtm
from ..primitives.shape import scatter_add
from ..rules import composite

__all__ = [
    "block_diag", "cho_factor", "cho_solve", "cholesky", "det", "eigh", "eigvalsh", "expm",
    "inv", "lu", "lu_factor", "lu_solve", "qr", "solve", "solve_banded",
    "solve_continuous_lyapunov", "solve_sylvester", "solve_triangular", "sqrtm", "svd",
    "svdvals",
]


@composite
def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     check_finite=True):
    """x with op(a) x = b for triangular a; only a's `lower` (or upper) triangle is read."""
    return _solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal)


@composite
def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    """The Cholesky factor of a symmetric positive definite a: upper U with a = U^T U (SciPy's
    default), or lower L with a = L L^T. Reads a's upper (lower) triangle, as LAPACK does;
    the derivative treats a as symmetric."""
    if lower:
        return P.cholesky(a)
    return P.swapaxes(P.cholesky(P.swapaxes(a, -1, -2)), -1, -2)


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """(c, lower): the Cholesky factor for cho_solve (zeros in its other triangle)."""
    return cholesky(a, lower=lower), lower


@composite
def _cho_solve(c, b, lower):
    y = _solve_triangular(c, b, trans=0 if lower else 1, lower=lower)
    return _solve_triangular(c, y, trans=1 if lower else 0, lower=lower)


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """x with a x = b, given (c, lower) = cho_factor(a): two triangular solves."""
    c, lower = c_and_lower
    return _cho_solve(c, b, bool(lower))


@composite
def solve(a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True,
          assume_a=None, transposed=False):
    """x with a x = b (a^T x = b if transposed); b a vector or a matrix of right-hand sides."""
    if transposed:
        a = P.swapaxes(a, -1, -2)
    return P.solve(a, b)


@composite
def inv(a, overwrite_a=False, check_finite=True):
    """The matrix inverse."""
    return P.inv(a)


@composite
def det(a, overwrite_a=False, check_finite=True):
    """The determinant."""
    return P.det(a)


@composite
def sqrtm(A, disp=True, blocksize=64):
    """The principal square root X (X X = A) of a real matrix without eigenvalues <= 0."""
    return _sqrtm(A)


@composite
def solve_sylvester(a, b, q):
    """X with a X + X b = q."""
    return _sylvester(a, b, q)


@composite
def solve_continuous_lyapunov(a, q):
    """X with a X + X a^T = q."""
    return _sylvester(a, P.swapaxes(a, -1, -2), q)


def solve_banded(l_and_u, ab, b, overwrite_ab=False, overwrite_b=False, check_finite=True):
    """x with a x = b for the banded a stored as LAPACK's ab: a[i, j] = ab[u + i - j, j].

    The band is scattered into the full matrix on the graph, so the gradient with respect
    to ab is the full one restricted to the band (entries of ab outside it get 0).
    """
    lower, upper = (int(v) for v in l_and_u)
    shape = np.shape(_values(ab))
    if len(shape) != 2 or shape[0] != lower + upper + 1:
        raise ValueError(f"solve_banded: ab must have shape (l + u + 1, n) = "
                         f"({lower + upper + 1}, n) for (l, u) = ({lower}, {upper}), got {shape}")
    n = shape[1]
    rows, cols = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    band = (cols - rows <= upper) & (rows - cols <= lower)
    i, j = rows[band], cols[band]
    entries = P.getitem(ab, (upper + i - j, j))
    dense = scatter_add(entries, index=(i, j), shape=(n, n))
    return P.solve(dense, b)


@composite
def block_diag(*arrs):
    """The block-diagonal matrix with the given blocks (numbers and vectors are 1-row blocks)."""
    if not arrs:
        return np.zeros((1, 0))
    blocks = []
    for a in arrs:
        ndim = np.ndim(_values(a))
        if ndim > 2:
            raise ValueError("block_diag: arguments must have at most two dimensions")
        blocks.append(P.reshape(a, (1, -1)) if ndim < 2 else a)
    shapes = [np.shape(_values(a)) for a in blocks]
    total = sum(s[1] for s in shapes)
    rows, start = [], 0
    for a, (_, cols) in zip(blocks, shapes):
        rows.append(P.pad(a, ((0, 0), (start, total - start - cols))))
        start += cols
    return P.concatenate(rows, axis=0)


@composite
def expm(A):
    """The matrix exponential (scaling and squaring with Pade approximants)."""
    return P.expm(A)


def eigh(a, b=None, *, lower=True, eigvals_only=False, overwrite_a=False, overwrite_b=False,
         type=1, check_finite=True, subset_by_index=None, subset_by_value=None, driver=None):
    """(w, v) of a symmetric a, ascending (only the `lower` or upper triangle is read); w
    alone with eigvals_only=True. The generalized problem (b) and subsets are not supported."""
    if b is not None or subset_by_index is not None or subset_by_value is not None:
        raise NotImplementedError("eigh: only the standard problem (b=None, no subsets) is "
                                  "supported")
    result = _nla.eigh(a, UPLO="L" if lower else "U")
    return result[0] if eigvals_only else (result[0], result[1])


def eigvalsh(a, b=None, *, lower=True, overwrite_a=False, overwrite_b=False, type=1,
             check_finite=True, subset_by_index=None, subset_by_value=None, driver=None):
    """The eigenvalues of a symmetric a, ascending."""
    return eigh(a, b, lower=lower, eigvals_only=True, subset_by_index=subset_by_index,
                subset_by_value=subset_by_value)


def svd(a, full_matrices=True, compute_uv=True, overwrite_a=False, check_finite=True,
        lapack_driver="gesdd"):
    """(U, s, Vh) with a = U diag(s) Vh, s descending; s alone with compute_uv=False."""
    result = _nla.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    return tuple(result) if compute_uv else result


def svdvals(a, overwrite_a=False, check_finite=True):
    """The singular values, descending."""
    return _nla.svdvals(a)


def qr(a, overwrite_a=False, lwork=None, mode="full", pivoting=False, check_finite=True):
    """(Q, R) with a = Q R: mode 'full' (Q square), 'economic' (Q with min(M, N) columns),
    'r' ((R,), R of shape (M, N), a 1-tuple as SciPy's). Column pivoting is not supported."""
    if pivoting:
        raise NotImplementedError("qr: pivoting=True is not supported")
    modes = {"full": "complete", "economic": "reduced", "r": "complete"}
    if mode not in modes:
        raise ValueError(f"qr: mode must be 'full', 'economic' or 'r' (SciPy's), not {mode!r}")
    q, r = _nla.qr(a, mode=modes[mode])
    return (r,) if mode == "r" else (q, r)


def lu(a, permute_l=False, overwrite_a=False, check_finite=True, p_indices=False):
    """(p, l, u) with a = p @ l @ u (SciPy's): p a permutation matrix, or with
    ``p_indices`` the row indices with a = l[p] @ u; with ``permute_l``, (p @ l, u).
    Differentiable in a (l and u; the pivoting held fixed)."""
    if check_finite:
        _check_finite("lu", a=a)
    lower, upper, perm = _lu.lu_factors(P.lu(a), np.shape(a))
    dtype = _values(lower).dtype
    if permute_l:
        return P.matmul(_lu.permutation_matrix(perm, dtype), lower), upper
    if p_indices:
        order = _lu.row_order(perm, "lu's p_indices")
        return np.argsort(order, axis=-1), lower, upper
    return _lu.permutation_matrix(perm, dtype), lower, upper


def lu_factor(a, overwrite_a=False, check_finite=True):
    """(lu, piv): l's strict lower part and u in one matrix, and LAPACK's row
    interchanges (0-based), as scipy.linalg.lu_factor; differentiable in a through lu."""
    if check_finite:
        _check_finite("lu_factor", a=a)
    shape = np.shape(a)
    lower, upper, perm = _lu.lu_factors(P.lu(a), shape)
    order = _lu.row_order(perm, "lu_factor's piv")
    return _lu.compact(lower, upper), _lu.pivots_from_perm(order, min(shape[-2:])).astype(
        np.int32)


def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """x with a x = b (trans 0) or a^T x = b (1, 2), given lu_factor(a); differentiable
    in lu and b."""
    lu_, piv = lu_and_piv
    if check_finite:
        _check_finite("lu_solve", b=b)
    trans = {0: 0, "N": 0, 1: 1, "T": 1, 2: 1, "C": 1}.get(trans)
    if trans is None:
        raise ValueError("lu_solve: trans must be 0, 1 or 2 ('N', 'T' or 'C')")
    order = _lu.perm_from_pivots(_lu.row_order(piv, "lu_solve's piv"))
    return _lu.solve_factored(lu_, order, b, trans=trans)
