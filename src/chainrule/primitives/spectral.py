"""Spectral decompositions: eigh (symmetric eigendecomposition) and svd; their values alone.

Each decomposition is one primitive whose output packs its factors (chainrule.primitives
.packing); ``eigh_factors`` and ``svd_factors`` return them as separate tensors. The
rules are the classical perturbation formulas (docs/derivations.md, "Eigenvectors and
singular vectors"), written with chainrule's operations so that they differentiate
again.

Degenerate spectra. The derivative of an eigenvector divides by the gaps to the other
eigenvalues, ``1 / (w_j - w_i)``; singular vectors divide by ``s_j - s_i``, ``s_j + s_i``
and ``s_i``. Where a gap is zero (a repeated eigenvalue or singular value, up to a
tolerance of ``n * eps * max|w|``) the vectors are not determined: any rotation of them
within the repeated block is as good. The rules then take the rotation that does not
move (the term is exactly 0, never 0 * inf = NaN). This is exact for every quantity
that depends on the spectrum alone (sums of eigenvalues, traces of matrix functions,
norms of singular values) and for products of whole blocks of vectors, such as the
projector onto an invariant subspace; it is finite but not the limit for quantities
that mix the vectors of a repeated block with its individual eigenvalues (the cross
terms of V diag(w) V^T inside the block). Gradients of the vectors of a repeated block
themselves are undefined. The same holds, with the same choice, for the extra columns
of ``full_matrices=True`` (an arbitrary basis of the complement: it is not rotated
within itself) and for singular vectors of exactly zero singular values.
"""

from __future__ import annotations

import numpy as np

from .. import batching as B
from .. import graph
from .. import statements as S
from ..domains import Example
from ..rules import composite, primitive
from .decompositions import _mT, _values, diagonal, lapack
from .elementwise import where
from .packing import is_zero, pack, pack_values, unpack
from .reductions import sum
from .shape import concatenate, expand_dims


# ------------------------------------------------------------------ helpers
def _diag_matrix(v):
    """Vectors (..., n) as diagonal matrices (..., n, n)."""
    n = np.shape(v)[-1]
    return expand_dims(v, -1) * np.eye(n, dtype=_values(v).dtype)


def _skew(x):
    return (x - _mT(x)) * 0.5


def _symmetric(x):
    return (x + _mT(x)) * 0.5


def _tolerance(values, size):
    """Gaps at most this are ties: size * eps * max|value| per matrix, as (..., 1, 1)."""
    v = _values(values)
    eps = np.finfo(v.dtype).eps
    scale = np.max(np.abs(v), axis=-1, initial=0.0)
    return (scale * (size * eps))[..., None, None]


def _gap_reciprocal(gap, tied):
    """1 / gap, and exactly 0 where `tied` (no NaN from the untaken branch either)."""
    return where(tied, 0, 1 / where(tied, 1, gap))


def _inverse_gaps(w, size):
    """F_ij = 1 / (w_j - w_i) for i != j, 0 on the diagonal and between tied values."""
    gap = expand_dims(w, -2) - expand_dims(w, -1)
    tied = np.abs(_values(gap)) <= _tolerance(w, size)
    return _gap_reciprocal(gap, tied)


def _fold_complement(q, gq, k):
    """The first k columns of orthonormal `q`, and their cotangent with that of the rest folded in.

    The columns beyond k (an arbitrary orthonormal basis of the complement) move in the
    gauge that does not rotate them among themselves: dQ_x = -Q_k dQ_k^T Q_x, whose
    adjoint adds -Q_x G_x^T Q_k to the cotangent of Q_k.
    """
    if np.shape(q)[-1] == k:
        return q, gq
    qk, qx = q[..., :k], q[..., k:]
    gk, gx = gq[..., :k], gq[..., k:]
    if is_zero(gx):
        return qk, gk
    return qk, gk - qx @ (_mT(gx) @ qk)


def _extend_complement(dqk, qk, qx):
    """Tangent of all the columns from that of the first k (the gauge of _fold_complement)."""
    if np.shape(qx)[-1] == 0:
        return dqk
    return concatenate([dqk, -(qk @ (_mT(dqk) @ qx))], axis=-1)


# ----------------------------------------------------------------------- eigh
def _eigh_fwd(a, UPLO="L"):
    w, v = np.linalg.eigh(a, UPLO=UPLO)
    return pack_values((w, v), w.shape[:-1])


def eigh_factors(packed, n):
    """(eigenvalues (..., n), eigenvectors (..., n, n)) of eigh's packed output."""
    return unpack(packed, ((n,), (n, n)))


def _eigh_vjp(g, ans, a, UPLO="L"):
    # A_bar = V (diag(w_bar) + F o skew(V^T V_bar)) V^T, F_ij = 1 / (w_j - w_i).
    n = np.shape(a)[-1]
    w, v = eigh_factors(ans, n)
    gw, gv = eigh_factors(g, n)
    inner = _diag_matrix(gw)
    if not is_zero(gv):
        inner = inner + _inverse_gaps(w, n) * _skew(_mT(v) @ gv)
    return v @ inner @ _mT(v)


def _eigh_jvp(t, ans, a, UPLO="L"):
    # E = V^T sym(dA) V: dw = diag(E), dV = V (F o E).
    n = np.shape(a)[-1]
    w, v = eigh_factors(ans, n)
    e = _mT(v) @ _symmetric(t) @ v
    dw = diagonal(e, 0, -2, -1)
    dv = v @ (_inverse_gaps(w, n) * e)
    return pack((dw, dv), np.shape(ans)[:-1])


def _symmetric_input(prim, a, **kw):
    return prim((a + a.T) * 0.5, **kw)


# w ascending, V orthonormal with A V = V diag(w). NumPy reads one triangle (UPLO); the
# derivative treats A as symmetric, like cholesky's: a perturbation acts through its
# symmetric part, and the gradient is symmetric.
eigh = primitive(
    "eigh", lapack("eigh", _eigh_fwd),
    batch=B.matrix_rule,
    domain=Example(lambda rng: ((rng.standard_normal((3, 3)),), {}), check_with=_symmetric_input),
    statement=S.Statement(
        forward="w, V = eigh(A): A V = V diag(w), w ascending, V orthonormal (A symmetric; "
        "returned packed, unpacked by eigh_factors)",
        vjp="A_bar = V (diag(w_bar) + F o skew(V^T V_bar)) V^T with F_ij = 1/(w_j - w_i); "
        "the gradient is symmetric (A is read as symmetric). At repeated eigenvalues "
        "(gap <= n eps max|w|) F_ij = 0: exact for functions of the eigenvalues and of whole "
        "eigenspaces, finite otherwise; the eigenvectors of a repeated eigenvalue (and the "
        "sign of each eigenvector) are not determined, nor is their gradient",
        latex_forward=r"A V = V \operatorname{diag}(w), \quad V^\top V = I",
        latex_vjp=r"\bar A = V \left(\operatorname{diag}(\bar w) + F \circ "
        r"\tfrac{1}{2}(V^\top \bar V - \bar V^\top V)\right) V^\top, \quad "
        r"F_{ij} = \frac{[w_i \ne w_j]}{w_j - w_i}",
        jacobian="dw = diag(V^T dA V); dV = V (F o (V^T dA V))",
        latex_jacobian=r"dw = \operatorname{diag}(V^\top dA\, V), \quad "
        r"dV = V \left(F \circ V^\top dA\, V\right)",
    ),
).defvjp(_eigh_vjp).defjvp(_eigh_jvp)


# ------------------------------------------------------------------------ svd
def _svd_fwd(a, full_matrices=True):
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    return pack_values((u, s, vh), s.shape[:-1])


def svd_factors(packed, shape, full_matrices=True):
    """(U, S, Vh) of svd's packed output for an input of `shape`."""
    m, n = shape[-2:]
    k = min(m, n)
    p, q = (m, n) if full_matrices else (k, k)
    return unpack(packed, ((m, p), (k,), (q, n)))


def _singular_gaps(s, m, n):
    """(D-, D+, 1/s): 1/(s_j - s_i), 1/(s_j + s_i), 1/s_i, each exactly 0 where undetermined."""
    size = max(m, n)
    tol = _tolerance(s, size)
    minus = expand_dims(s, -2) - expand_dims(s, -1)
    plus = expand_dims(s, -2) + expand_dims(s, -1)
    k = np.shape(s)[-1]
    d_minus = _gap_reciprocal(minus, np.abs(_values(minus)) <= tol)
    d_plus = _gap_reciprocal(plus, (_values(plus) <= tol) | np.eye(k, dtype=bool))
    zero = _values(s) == 0
    return d_minus, d_plus, _gap_reciprocal(s, zero)


def _svd_vjp(g, ans, a, full_matrices=True):
    # P_bar = diag(S_bar) + D- o (skew J + skew K) + D+ o (skew J - skew K), J = U^T U_bar,
    # K = V^T V_bar; A_bar = U P_bar V^T, plus the parts of U_bar and V_bar outside the
    # spans of U and V: (I - U U^T) U_bar S^-1 V^T and U S^-1 V_bar^T (I - V V^T).
    shape = np.shape(a)
    m, n = shape[-2:]
    k = min(m, n)
    u, s, vh = svd_factors(ans, shape, full_matrices)
    gu, gs, gvh = svd_factors(g, shape, full_matrices)
    v, gv = _mT(vh), _mT(gvh)
    u, gu = _fold_complement(u, gu, k)
    v, gv = _fold_complement(v, gv, k)
    inner = _diag_matrix(gs)
    if is_zero(gu) and is_zero(gv):
        return u @ inner @ _mT(v)
    d_minus, d_plus, inv_s = _singular_gaps(s, m, n)
    sk_j = _skew(_mT(u) @ gu)
    sk_k = _skew(_mT(v) @ gv)
    inner = inner + d_minus * (sk_j + sk_k) + d_plus * (sk_j - sk_k)
    out = u @ inner @ _mT(v)
    if m > k:
        outside = gu - u @ (_mT(u) @ gu)
        out = out + (outside * expand_dims(inv_s, -2)) @ _mT(v)
    if n > k:
        outside = gv - v @ (_mT(v) @ gv)
        out = out + u @ (expand_dims(inv_s, -1) * _mT(outside))
    return out


def _svd_jvp(t, ans, a, full_matrices=True):
    # E = U^T dA V: dS = diag(E); U^T dU = D- o sym(E) + D+ o skew(E),
    # V^T dV = D- o sym(E) - D+ o skew(E); plus the parts outside the spans.
    shape = np.shape(a)
    m, n = shape[-2:]
    k = min(m, n)
    u, s, vh = svd_factors(ans, shape, full_matrices)
    v = _mT(vh)
    uk, ux = u[..., :k], u[..., k:]
    vk, vx = v[..., :k], v[..., k:]
    d_minus, d_plus, inv_s = _singular_gaps(s, m, n)
    tv = t @ vk
    e = _mT(uk) @ tv
    sym, skew = d_minus * _symmetric(e), d_plus * _skew(e)
    du = uk @ (sym + skew)
    dv = vk @ (sym - skew)
    if m > k:
        du = du + (tv - uk @ e) * expand_dims(inv_s, -2)
    if n > k:
        tu = _mT(t) @ uk
        dv = dv + (tu - vk @ _mT(e)) * expand_dims(inv_s, -2)
    du = _extend_complement(du, uk, ux)
    dv = _extend_complement(dv, vk, vx)
    return pack((du, diagonal(e, 0, -2, -1), _mT(dv)), np.shape(ans)[:-1])


svd = primitive(
    "svd", lapack("svd", _svd_fwd),
    batch=B.matrix_rule,
    domain=Example(lambda rng: ((rng.standard_normal((4, 3)),), {"full_matrices": False})),
    statement=S.Statement(
        forward="U, S, Vh = svd(A): A = U diag(S) Vh, S descending, U and Vh^T orthonormal "
        "(returned packed, unpacked by svd_factors)",
        vjp="A_bar = U (diag(S_bar) + D- o (skJ + skK) + D+ o (skJ - skK)) V^T "
        "+ (I - U U^T) U_bar S^-1 V^T + U S^-1 V_bar^T (I - V V^T), with skJ = skew(U^T U_bar), "
        "skK = skew(V^T V_bar), D-_ij = 1/(s_j - s_i), D+_ij = 1/(s_j + s_i). Terms dividing "
        "by a zero gap (repeated or zero singular values, within max(m, n) eps s_max) are 0: "
        "exact for functions of S alone (norms, nuclear norm), finite otherwise; singular "
        "vectors of repeated or zero singular values, their common sign, and the extra "
        "columns of full_matrices=True are not determined, nor is their gradient",
        latex_forward=r"A = U \operatorname{diag}(S) V^\top",
        latex_vjp=r"\bar A = U \left(\operatorname{diag}(\bar S) + D^- \circ (J_s + K_s) + "
        r"D^+ \circ (J_s - K_s)\right) V^\top + (I - UU^\top)\bar U S^{-1} V^\top + "
        r"U S^{-1} \bar V^\top (I - VV^\top)",
        jacobian="dS = diag(U^T dA V); U^T dU and V^T dV from the symmetric and skew parts "
        "of U^T dA V divided by s_j - s_i and s_j + s_i",
        latex_jacobian=r"dS = \operatorname{diag}(U^\top dA\, V)",
    ),
).defvjp(_svd_vjp).defjvp(_svd_jvp)


# --------------------------------------------------------------- values alone
# The values without the vectors (LAPACK's cheaper call) when nothing will be
# differentiated; their rules need the vectors and compute them with svd / eigh. When the
# values are differentiated, svdvals and eigvalsh slice them out of svd / eigh instead,
# so the vectors are computed once, in the forward.
def _svdvals_vjp(g, ans, a):
    u, _, vh = svd_factors(svd(a, full_matrices=False), np.shape(a), False)
    return u @ (expand_dims(g, -1) * vh)


def _svdvals_jvp(t, ans, a):
    u, _, vh = svd_factors(svd(a, full_matrices=False), np.shape(a), False)
    return sum(u * (t @ _mT(vh)), axis=-2)


_svdvals = primitive(
    "svdvals", lapack("svdvals", lambda a: np.linalg.svd(a, compute_uv=False)),
    batch=B.matrix_rule,
    domain=Example(lambda rng: ((rng.standard_normal((4, 3)),), {})),
    statement=S.Statement(
        forward="s = singular values of A, descending (the vectors are not computed)",
        vjp="A_bar = U diag(g) V^T (U, V from svd); at repeated singular values any "
        "singular basis gives the same U diag(g) V^T when g is equal on the repeats",
        latex_forward=r"s = \sigma(A)",
        latex_vjp=r"\bar A = U \operatorname{diag}(\bar s) V^\top",
    ),
).defvjp(_svdvals_vjp).defjvp(_svdvals_jvp)


def _eigvalsh_vjp(g, ans, a, UPLO="L"):
    _, v = eigh_factors(eigh(a, UPLO=UPLO), np.shape(a)[-1])
    return v @ (expand_dims(g, -1) * _mT(v))


def _eigvalsh_jvp(t, ans, a, UPLO="L"):
    _, v = eigh_factors(eigh(a, UPLO=UPLO), np.shape(a)[-1])
    return sum(v * (_symmetric(t) @ v), axis=-2)


_eigvalsh = primitive(
    "eigvalsh", lapack("eigvalsh", lambda a, UPLO="L": np.linalg.eigvalsh(a, UPLO=UPLO)),
    batch=B.matrix_rule,
    domain=Example(lambda rng: ((rng.standard_normal((3, 3)),), {}), check_with=_symmetric_input),
    statement=S.Statement(
        forward="w = eigenvalues of symmetric A, ascending (the vectors are not computed)",
        vjp="A_bar = V diag(g) V^T (V from eigh), symmetric; at repeated eigenvalues any "
        "eigenbasis gives the same A_bar when g is equal on the repeats (sums and symmetric "
        "functions of the eigenvalues)",
        latex_forward=r"w = \lambda(A)",
        latex_vjp=r"\bar A = V \operatorname{diag}(\bar w) V^\top",
    ),
).defvjp(_eigvalsh_vjp).defjvp(_eigvalsh_jvp)


def _differentiated(a):
    """True when a's derivative will be asked for (recorded, or carrying a tangent)."""
    return graph.is_traced(a) and (graph.is_grad_enabled() or graph.forward_hook() is not None)


@composite
def svdvals(a):
    """Singular values, descending (svd's S); the gradient is U diag(s_bar) V^T."""
    if not _differentiated(a):
        return _svdvals(a)
    return svd_factors(svd(a, full_matrices=False), np.shape(a), False)[1]


@composite
def eigvalsh(a, UPLO="L"):
    """Eigenvalues of a symmetric matrix, ascending (eigh's w)."""
    if not _differentiated(a):
        return _eigvalsh(a, UPLO=UPLO)
    return eigh_factors(eigh(a, UPLO=UPLO), np.shape(a)[-1])[0]
