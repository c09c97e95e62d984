"""The LU factorization with partial pivoting, A = P L U, as one primitive.

NumPy has no LU, so the forward is written here: Doolittle elimination by columns with
LAPACK's choice of pivot (the first entry of largest magnitude in the column), in
blocks whose trailing update is one matrix product, batched over leading axes. L is
unit lower triangular (m x k), U upper triangular (k x n), k = min(m, n). The output
packs L, U and the row order ``perm`` (A[perm] = L U, as floats of A's dtype: exact for
any matrix NumPy can hold in float32 or float64); ``lu_factors`` unpacks them.

The derivative holds P fixed (it is piecewise constant). For square A, with
X = L^-1 P^T dA U^-1: dL = L tril(X, -1), dU = triu(X) U, and the VJP is
A_bar = P L^-T (tril(L^T L_bar, -1) + triu(U_bar U^T)) U^-T. A tall A splits as
P^T A = [A1; A2] with L = [L1; L2], L2 = A2 U^-1; a wide one as [B1 B2] with
U = [U1 U2], U2 = L^-1 B2; each reduces to the square rule. It needs the leading k x k
block of P^T A invertible (U's diagonal nonzero).
"""

from __future__ import annotations

import numpy as np

from .. import batching as B
from .. import statements as S
from ..domains import Example
from ..graph import is_tensor
from ..rules import primitive
from .decompositions import _mT, _values, lapack, tril, triu
from .elementwise import astype, equal
from .packing import pack, pack_values, unpack
from .shape import concatenate, expand_dims, getitem
from .triangular import solve_triangular_matrix

_BLOCK = 32  # columns eliminated one by one before the trailing update is a product


def _eliminate(a, perm, start, stop):
    """Columns start..stop-1 of the stack `a` (b, m, n) eliminated in place, rows
    swapped across the whole width; the trailing update only within the panel."""
    b, m, _ = a.shape
    rows = np.arange(b)
    for j in range(start, stop):
        p = j + np.argmax(np.abs(a[:, j:, j]), axis=1)
        swap = p != j
        if swap.any():
            r = rows[swap]
            a[r, j], a[r, p[swap]] = a[r, p[swap]], a[r, j].copy()
            perm[r, j], perm[r, p[swap]] = perm[r, p[swap]], perm[r, j].copy()
        pivot = a[:, j, j]
        if j + 1 < m:
            # (a zero pivot leaves its column zero, as LAPACK: the matrix is singular)
            col = a[:, j + 1:, j]
            np.divide(col, pivot[:, None], out=col, where=pivot[:, None] != 0)
            if j + 1 < stop:
                a[:, j + 1:, j + 1:stop] -= col[:, :, None] * a[:, j, None, j + 1:stop]


def _getrf(a):
    """(LU compact (..., m, n), perm (..., m)) of a stack of matrices."""
    a = np.array(a, dtype=np.result_type(a, np.float32), copy=True)
    shape = a.shape
    m, n = shape[-2:]
    k = min(m, n)
    work = a.reshape((-1, m, n))
    perm = np.tile(np.arange(m), (work.shape[0], 1))
    for start in range(0, k, _BLOCK):
        stop = min(start + _BLOCK, k)
        _eliminate(work, perm, start, stop)
        if stop < n:
            # U12 = L11^-1 A12, then A22 -= L21 U12 (one product per block)
            l11 = np.tril(work[:, start:stop, start:stop], -1) + np.eye(stop - start,
                                                                        dtype=a.dtype)
            work[:, start:stop, stop:] = np.linalg.solve(l11, work[:, start:stop, stop:])
            if stop < m:
                work[:, stop:, stop:] -= work[:, stop:, start:stop] @ work[:, start:stop, stop:]
    return work.reshape(shape), perm.reshape(shape[:-2] + (m,))


def _unpack_compact(lu, m, n):
    k = min(m, n)
    lower = np.tril(lu[..., :, :k], -1) + np.eye(m, k, dtype=lu.dtype)
    upper = np.triu(lu[..., :k, :])
    return lower, upper


def _lu_fwd(a):
    a = np.asarray(a)
    if a.ndim < 2:
        raise ValueError(f"lu: expected a matrix or a stack of matrices, got shape {a.shape}")
    m, n = a.shape[-2:]
    lu, perm = _getrf(a)
    lower, upper = _unpack_compact(lu, m, n)
    return pack_values((lower, upper, perm.astype(lu.dtype)), a.shape[:-2])


def lu_factors(packed, shape):
    """(L, U, perm) of lu's packed output for an input of `shape` (perm as floats)."""
    m, n = shape[-2:]
    k = min(m, n)
    return unpack(packed, ((m, k), (k, n), (m,)))


def _row_index(perm, shape):
    batch = shape[:-2]
    grids = np.indices(batch, sparse=True) if batch else ()
    return tuple(g[..., None, None] for g in grids) + (perm[..., :, None],
                                                       np.arange(shape[-1]))


def _unrows(x, perm):
    """The inverse of _rows: y with y[perm] = x."""
    inverse = np.argsort(perm, axis=-1)
    return getitem(x, _row_index(inverse, np.shape(x)))


def _permute(ans, shape, x, inverse):
    """P^T x (x's rows in lu's row order) or, with `inverse`, P x. On arrays (first
    order) an integer gather; on tensors (a rule being recorded: higher orders, cr.vmap,
    cr.compile) a product with P built by comparisons, so the order follows the traced
    values instead of being read from them."""
    _, _, perm = lu_factors(ans, shape)
    if not (is_tensor(ans) or is_tensor(x)):
        order = np.asarray(perm).astype(np.int64)
        return _unrows(x, order) if inverse else getitem(x, _row_index(order, np.shape(x)))
    p = permutation_matrix(perm, _values(x).dtype)
    return p @ x if inverse else _mT(p) @ x


def _square_vjp(lower, upper, gl, gu):
    phi = tril(_mT(lower) @ gl, -1) + triu(gu @ _mT(upper))
    # L^-T phi U^-T: two triangular solves
    y = solve_triangular_matrix(lower, phi, lower=True, trans=1, unit_diagonal=True)
    return _mT(solve_triangular_matrix(upper, _mT(y), lower=False))


def _lu_vjp(g, ans, a):
    shape = np.shape(a)
    m, n = shape[-2:]
    k = min(m, n)
    lower, upper, _ = lu_factors(ans, shape)
    gl, gu, _ = lu_factors(g, shape)
    if m == n:
        g_perm = _square_vjp(lower, upper, gl, gu)
    elif m > n:
        l1, l2 = lower[..., :k, :], lower[..., k:, :]
        gl1, gl2 = gl[..., :k, :], gl[..., k:, :]
        # L2 = A2 U^-1: A2_bar = L2_bar U^-T, and U_bar gains -L2^T L2_bar U^-T
        g2 = _mT(solve_triangular_matrix(upper, _mT(gl2), lower=False))
        g1 = _square_vjp(l1, upper, gl1, gu - _mT(l2) @ g2)
        g_perm = concatenate([g1, g2], axis=-2)
    else:
        u1, u2 = upper[..., :k], upper[..., k:]
        gu1, gu2 = gu[..., :k], gu[..., k:]
        # U2 = L^-1 B2: B2_bar = L^-T U2_bar, and L_bar gains -L^-T U2_bar U2^T
        g2 = solve_triangular_matrix(lower, gu2, lower=True, trans=1, unit_diagonal=True)
        g1 = _square_vjp(lower, u1, gl - g2 @ _mT(u2), gu1)
        g_perm = concatenate([g1, g2], axis=-1)
    return _permute(ans, shape, g_perm, inverse=True)


def _square_jvp(lower, upper, t):
    # X = L^-1 T U^-1 (T = P^T dA): dL = L tril(X, -1), dU = triu(X) U
    y = solve_triangular_matrix(lower, t, lower=True, unit_diagonal=True)
    x = _mT(solve_triangular_matrix(upper, _mT(y), lower=False, trans=1))
    return lower @ tril(x, -1), triu(x) @ upper


def _lu_jvp(t, ans, a):
    shape = np.shape(a)
    m, n = shape[-2:]
    k = min(m, n)
    lower, upper, perm_f = lu_factors(ans, shape)
    tp = _permute(ans, shape, t, inverse=False)
    if m == n:
        dl, du = _square_jvp(lower, upper, tp)
    elif m > n:
        l1, l2 = lower[..., :k, :], lower[..., k:, :]
        dl1, du = _square_jvp(l1, upper, tp[..., :k, :])
        # L2 = A2 U^-1: dL2 = (dA2 - L2 dU) U^-1
        rhs = tp[..., k:, :] - l2 @ du
        dl2 = _mT(solve_triangular_matrix(upper, _mT(rhs), lower=False, trans=1))
        dl = concatenate([dl1, dl2], axis=-2)
    else:
        u2 = upper[..., k:]
        dl, du1 = _square_jvp(lower, upper[..., :k], tp[..., :k])
        # U2 = L^-1 B2: dU2 = L^-1 (dB2 - dL U2)
        du2 = solve_triangular_matrix(lower, tp[..., k:] - dl @ u2, lower=True,
                                      unit_diagonal=True)
        du = concatenate([du1, du2], axis=-1)
    zero = np.zeros(np.shape(perm_f), _values(ans).dtype)
    return pack((dl, du, zero), np.shape(ans)[:-1])


lu = primitive(
    "lu", lapack("lu", _lu_fwd),
    batch=B.matrix_rule,
    domain=Example(lambda rng: ((rng.standard_normal((4, 4)),), {})),
    statement=S.Statement(
        forward="L, U, perm = lu(A): A[perm] = L U, L unit lower triangular, U upper "
        "triangular, partial pivoting (returned packed, unpacked by lu_factors)",
        vjp="square: A_bar = P L^-T (tril(L^T L_bar, -1) + triu(U_bar U^T)) U^-T; tall "
        "and wide A reduce to it through L2 = A2 U^-1 or U2 = L^-1 B2. The pivoting is "
        "held fixed; needs U's diagonal nonzero",
        latex_forward=r"PA = LU",
        latex_vjp=r"\bar A = P L^{-\top}\left(\operatorname{tril}_{-1}(L^\top \bar L) + "
        r"\operatorname{triu}(\bar U U^\top)\right) U^{-\top}",
        jacobian="X = L^-1 P^T dA U^-1; dL = L tril(X, -1); dU = triu(X) U",
        latex_jacobian=r"X = L^{-1}P^\top dA\,U^{-1},\ dL = L\operatorname{tril}_{-1}(X),"
        r"\ dU = \operatorname{triu}(X)\,U",
    ),
).defvjp(_lu_vjp).defjvp(_lu_jvp)


# --------------------------------------------------------------- compact form, pivots
def perm_from_pivots(pivots, base=0, m=None):
    """The row order (A[perm] = L U) of an m-row matrix from LAPACK's row interchanges
    (row j swapped with row pivots[j] - base, in turn), batched over leading axes."""
    piv = np.asarray(pivots).astype(np.int64) - base
    m_piv = piv.shape[-1]
    flat = piv.reshape((-1, m_piv))
    m = max(m_piv, int(flat.max(initial=-1)) + 1) if m is None else m
    perm = np.tile(np.arange(m), (flat.shape[0], 1))
    rows = np.arange(flat.shape[0])
    for j in range(m_piv):
        p = flat[:, j]
        perm[rows, j], perm[rows, p] = perm[rows, p], perm[rows, j].copy()
    return perm.reshape(piv.shape[:-1] + (m,))


def pivots_from_perm(perm, k):
    """LAPACK's row interchanges (0-based) that produce the row order `perm`."""
    perm = np.asarray(perm).astype(np.int64)
    flat = perm.reshape((-1, perm.shape[-1]))
    current = np.tile(np.arange(perm.shape[-1]), (flat.shape[0], 1))
    where = current.copy()  # where[r] = position of row r now
    piv = np.empty((flat.shape[0], k), np.int64)
    rows = np.arange(flat.shape[0])
    for j in range(k):
        p = where[rows, flat[:, j]]
        piv[:, j] = p
        a, b = current[rows, j].copy(), current[rows, p].copy()
        current[rows, j], current[rows, p] = b, a
        where[rows, b], where[rows, a] = j, p
    return piv.reshape(perm.shape[:-1] + (k,))


def permutation_matrix(perm, dtype):
    """P with A = P L U from the row order (floats, as lu gives it): P[r, c] = [perm[c] == r].

    Comparisons only, so it follows a traced perm (cr.vmap, cr.compile)."""
    m = np.shape(perm)[-1]
    rows = np.arange(m, dtype=_values(perm).dtype)[:, None]
    return astype(equal(expand_dims(perm, -2), rows), dtype)


def compact(lower, upper):
    """LAPACK's one-matrix form: L's strict lower part and U's upper part, (m, n)."""
    m, k = np.shape(lower)[-2:]
    n = np.shape(upper)[-1]
    low = tril(lower, -1)
    if m > k:
        zeros = np.zeros(np.shape(upper)[:-2] + (m - k, n), _values(upper).dtype)
        upper = concatenate([upper, zeros], axis=-2)
    elif n > k:
        zeros = np.zeros(np.shape(low)[:-2] + (m, n - k), _values(low).dtype)
        low = concatenate([low, zeros], axis=-1)
    return low + upper


def solve_factored(lu_compact, perm, b, trans=0):
    """x with A x = b (trans 0) or A^T x = b (trans 1), A = P L U given compactly (square)."""
    rows = b if np.ndim(b) >= 2 else None
    x = b if rows is not None else getitem(b, (Ellipsis, slice(None), None))
    if trans == 0:
        x = getitem(x, _row_index(np.broadcast_to(perm, np.shape(x)[:-2] + perm.shape[-1:]),
                                  np.shape(x)))
        x = solve_triangular_matrix(lu_compact, x, lower=True, unit_diagonal=True)
        x = solve_triangular_matrix(lu_compact, x, lower=False)
    else:
        x = solve_triangular_matrix(lu_compact, x, lower=False, trans=1)
        x = solve_triangular_matrix(lu_compact, x, lower=True, trans=1, unit_diagonal=True)
        x = _unrows(x, np.broadcast_to(perm, np.shape(x)[:-2] + perm.shape[-1:]))
    return x if rows is not None else getitem(x, (Ellipsis, 0))


def row_order(perm_values, what):
    """The row order as integers: from lu's output (refused while traced: its values
    differ per call or example) or an integer array given."""
    from ..tracing import concrete

    if is_tensor(perm_values):
        perm_values = concrete(perm_values, what)
    return np.asarray(perm_values).astype(np.int64)
