"""The QR factorization, A = Q R, as one primitive with its factors packed.

Reduced (Q m x k, R k x n, k = min(m, n)) or complete (Q m x m, R m x n). The derivative
needs the first k columns of A to be independent (R's leading k x k block invertible);
LAPACK's signs of R's diagonal are kept. A complete factorization of a tall matrix has
m - k extra columns of Q, an arbitrary orthonormal basis of the complement: they are
differentiated in the gauge that does not rotate them among themselves (as svd's), so
quantities that do not depend on that basis (Q_x Q_x^T, ...) get exact gradients.
"""

from __future__ import annotations

import numpy as np

from .. import batching as B
from .. import statements as S
from ..domains import Example
from ..rules import primitive
from .decompositions import _mT, _values, lapack, tril, triu
from .packing import pack, pack_values, unpack
from .shape import concatenate
from .spectral import _extend_complement, _fold_complement
from .triangular import solve_triangular_matrix


def _qr_fwd(a, mode="reduced"):
    q, r = np.linalg.qr(a, mode=mode)
    return pack_values((q, r), q.shape[:-2])


def qr_factors(packed, shape, mode="reduced"):
    """(Q, R) of qr's packed output for an input of `shape`."""
    m, n = shape[-2:]
    p = m if mode == "complete" else min(m, n)
    return unpack(packed, ((m, p), (p, n)))


def _tall_vjp(q, r, gq, gr):
    # A = Q R with R square: A_bar = (Q_bar + Q copyutl(N)) R^-T, N = R_bar R^T - Q^T Q_bar,
    # copyutl mirroring N's upper triangle onto its lower one.
    n_ = gr @ _mT(r) - _mT(q) @ gq
    sym = triu(n_) + _mT(triu(n_, 1))
    y = gq + q @ sym
    return _mT(solve_triangular_matrix(r, _mT(y), lower=False))


def _qr_vjp(g, ans, a, mode="reduced"):
    shape = np.shape(a)
    m, n = shape[-2:]
    k = min(m, n)
    q, r = qr_factors(ans, shape, mode)
    gq, gr = qr_factors(g, shape, mode)
    if m > k and mode == "complete":
        # R's rows beyond k are identically zero: their cotangent meets no derivative.
        q, gq = _fold_complement(q, gq, k)
        r, gr = r[..., :k, :], gr[..., :k, :]
    if m >= n:
        return _tall_vjp(q, r, gq, gr)
    # Wide: A = [X Y] with X = Q R1 square, Y = Q R2. R2 = Q^T Y moves with Y and with Q.
    r1, r2 = r[..., :m], r[..., m:]
    gr1, gr2 = gr[..., :m], gr[..., m:]
    gx = _tall_vjp(q, r1, gq - q @ (gr2 @ _mT(r2)), gr1)
    return concatenate([gx, q @ gr2], axis=-1)


def _tall_jvp(q, r, t):
    # C = Q^T dA R^-1 = Omega + dR R^-1 (Omega skew, dR R^-1 upper): Omega is C's strictly
    # lower triangle minus its transpose, dR = (C - Omega) R, dQ = dA R^-1 - Q (C - Omega).
    t_rinv = _mT(solve_triangular_matrix(r, _mT(t), lower=False, trans=1))
    c = _mT(q) @ t_rinv
    low = tril(c, -1)
    omega = low - _mT(low)
    upper = c - omega
    return t_rinv - q @ upper, upper @ r, omega


def _qr_jvp(t, ans, a, mode="reduced"):
    shape = np.shape(a)
    m, n = shape[-2:]
    k = min(m, n)
    q, r = qr_factors(ans, shape, mode)
    qk, qx = q[..., :k], q[..., k:]
    rk = r[..., :k, :]
    if m >= n:
        dq, dr, _ = _tall_jvp(qk, rk, t)
    else:
        dq, dr1, omega = _tall_jvp(qk, rk[..., :m], t[..., :m])
        dr2 = _mT(qk) @ t[..., m:] - omega @ rk[..., m:]
        dr = concatenate([dr1, dr2], axis=-1)
    if m > k and mode == "complete":
        dq = _extend_complement(dq, qk, qx)
        dr = concatenate([dr, np.zeros(np.shape(r[..., k:, :]), _values(r).dtype)], axis=-2)
    return pack((dq, dr), np.shape(ans)[:-1])


qr = primitive(
    "qr", lapack("qr", _qr_fwd),
    batch=B.matrix_rule,
    domain=Example(lambda rng: ((rng.standard_normal((4, 3)),), {"mode": "reduced"})),
    statement=S.Statement(
        forward="Q, R = qr(A): A = Q R, Q orthonormal columns, R upper triangular "
        "(returned packed, unpacked by qr_factors)",
        vjp="tall or square: A_bar = (Q_bar + Q copyutl(R_bar R^T - Q^T Q_bar)) R^-T, "
        "copyutl mirroring the upper triangle onto the lower; wide A = [X Y]: X's rule "
        "with Q_bar - Q R2_bar R2^T, and Y_bar = Q R2_bar. Needs the first min(m, n) "
        "columns of A independent; the extra columns of a complete Q (an arbitrary basis) "
        "are not determined, and are differentiated without rotating among themselves",
        latex_forward=r"A = QR",
        latex_vjp=r"\bar A = \left(\bar Q + Q\,\operatorname{copyutl}(\bar R R^\top - "
        r"Q^\top \bar Q)\right) R^{-\top}",
        jacobian="C = Q^T dA R^-1; Omega = tril(C, -1) - tril(C, -1)^T; dR = (C - Omega) R; "
        "dQ = dA R^-1 - Q (C - Omega)",
        latex_jacobian=r"dR = (C - \Omega) R, \quad dQ = dA\,R^{-1} - Q (C - \Omega)",
    ),
).defvjp(_qr_vjp).defjvp(_qr_jvp)
