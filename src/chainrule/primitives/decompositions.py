"""Linear algebra beyond matmul: inv, det, slogdet, solve, cholesky, pinv, lstsq; matrix parts
(diagonal, diag, trace, triu, tril); products (tensordot, outer, inner, kron, cross); sorting.

Matrix functions act on the last two axes and broadcast over the leading ones, as
``numpy.linalg`` does. Their rules are the classical matrix-calculus identities, written
with solve/inv/matmul so that they are differentiable again. The rest are compositions:
diagonal is a gather, sort and partition gather by the NumPy-computed permutation, so
their gradients scatter back through indexing.
"""

from __future__ import annotations

import builtins
import functools
import string

import numpy as np

from .. import batching as B
from .. import statements as S
from ..domains import Example
from ..graph import REGISTRY, is_tensor, link_view, trace_hook
from ..graph import values as _values
from ..rules import composite, nondifferentiable, primitive
from .elementwise import where
from .indexing import gather_along
from .linalg import einsum
from .reductions import sum
from .shape import (
    expand_dims,
    getitem,
    reshape,
    scatter_add,
    squeeze,
    stack,
    swapaxes,
    transpose,
)
from .sorting import sort_order
from .ufuncs import argpartition


def _mT(a):
    """Transpose of the last two axes."""
    return swapaxes(a, -1, -2)


def lapack(name, fwd):
    """Forward `fwd` whose LinAlgError names the operation: "inv: Singular matrix".

    (The recorder re-raises a forward's ValueError under the primitive's name unless the
    message already starts with it, and LinAlgError is a ValueError: naming it here keeps
    its type, which callers catch.)
    """

    @functools.wraps(fwd)  # keeps fwd's signature, which help() shows for the primitive
    def run(*args, **kw):
        try:
            return fwd(*args, **kw)
        except np.linalg.LinAlgError as e:
            if str(e).startswith(name + ":"):
                raise
            raise np.linalg.LinAlgError(f"{name}: {e}") from None

    return run


def _batched_scalar(s):
    """A value per matrix, shaped (..., 1, 1) to scale whole matrices."""
    return expand_dims(expand_dims(s, -1), -1)


def _well_conditioned(rng, n=3):
    return n * np.eye(n) + rng.standard_normal((n, n)) * 0.5


def _spd(rng, n=3):
    m = rng.standard_normal((n, n))
    return m @ m.T + n * np.eye(n)


WELL_CONDITIONED = Example(lambda rng: ((_well_conditioned(rng),), {}))


# -------------------------------------------------------------------- inverse
# d(A^-1) = -A^-1 dA A^-1, so the VJP is -A^-T G A^-T.
inv = primitive(
    "inv", lapack("inv", np.linalg.inv),
    batch=B.matrix_rule,
    domain=WELL_CONDITIONED,
    statement=S.Statement(
        forward="Y = A^-1",
        vjp="A_bar = -Y^T G Y^T  (from dY = -Y dA Y)",
        latex_forward="Y = A^{-1}",
        latex_vjp=r"\bar A = -Y^\top \bar Y Y^\top",
    ),
).defvjp(
    lambda g, ans, a: -(_mT(ans) @ g @ _mT(ans)),
).defjvp(
    lambda t, ans, a: -(ans @ t @ ans),
)

# ---------------------------------------------------------------- determinants
def _products_but_one(s):
    """[..., i] = the product of the entries of s other than s_i (prefix and suffix
    products: exact with zeros among them, where prod(s) / s_i is 0 / 0)."""
    ones = np.ones(s.shape[:-1] + (1,), s.dtype)
    before = np.cumprod(np.concatenate([ones, s[..., :-1]], -1), -1)
    after = np.cumprod(np.concatenate([ones, s[..., :0:-1]], -1), -1)[..., ::-1]
    return before * after


def _svd64(a):
    # (in float64 for narrower floats: their own SVD is a few ulp off where det * inv
    # of a small matrix is exact)
    u, s, vt = np.linalg.svd(a.astype(np.promote_types(a.dtype, np.float64)))
    return u, s, vt, np.linalg.det(u) * np.linalg.det(vt)


def _in_dtype(out, dtype):
    """out (computed in float64) in the inputs' dtype where that is a float."""
    return out.astype(dtype if dtype.kind == "f" else out.dtype, copy=False)


def _cofactor_fwd(a):
    """The cofactor matrix adj(A)^T (= det(A) A^-T where A is invertible), from the SVD
    A = U diag(s) V^T: det(U) det(V) U diag(c) V^T with c_i the product of the other
    singular values, so it is exact at singular matrices too (rank n-1: the one
    nonzero c; lower rank: 0), where det(A) A^-T is 0 * inf."""
    a = np.asarray(a)
    if a.shape[-1] == 0:
        return np.zeros_like(a)
    u, s, vt, sign = _svd64(a)
    out = (sign[..., None, None] * (u * _products_but_one(s)[..., None, :])) @ vt
    return _in_dtype(out, a.dtype)


def _cofactor_grad_fwd(a, g):
    """The derivative of C(A) = adj(A)^T in the direction G (self-adjoint in G, so also
    its VJP), exact at singular A.

    C(U X V^T) = det(U) det(V) U C(X) V^T for orthogonal U, V, so with A's SVD the
    derivative is det(U) det(V) U L(U^T G V) V^T, L the derivative of C at diag(s). An
    entry of C(S + t F) is a minor: to first order in t, diagonal entries gain
    t sum_{k != i} F_kk p_ik and off-diagonal ones -t F_ji p_ij, where p_ij is the
    product of the singular values other than s_i and s_j. No division by det(A).
    """
    a, g = np.asarray(a), np.asarray(g)
    n = a.shape[-1]
    if n == 0:
        return np.zeros(np.broadcast_shapes(a.shape, g.shape), np.result_type(a, g))
    u, s, vt, sign = _svd64(a)
    # p[..., i, j]: the products of row i of s with s_i set to 1, all but the j-th.
    rows = np.array(np.broadcast_to(s[..., None, :], s.shape + (n,)))
    rows[..., np.arange(n), np.arange(n)] = 1
    p = _products_but_one(rows)
    p[..., np.arange(n), np.arange(n)] = 0
    f = _mT(u) @ g @ _mT(vt)
    diagonal = np.einsum("...ik,...kk->...i", p, f)
    lf = -_mT(f) * p
    lf[..., np.arange(n), np.arange(n)] = diagonal
    return _in_dtype(sign[..., None, None] * (u @ lf @ vt), np.result_type(a, g))


def _cofactor_grad_vjp_a(h, ans, a, g):
    # For invertible A, M(A) G = (<G, C> C - C G^T C) / det A; by the rules of C and
    # det, its VJP in A is M(A) K - <H, M(A) G> C / det A with
    # K = (<H, C> G + <G, C> H - H C^T G - G C^T H) / det A. (Third derivatives of det
    # and second of the cofactor: defined by this at invertible A only.)
    c, d = cofactor(a), _batched_scalar(det(a))
    k = (_batched_scalar(sum(h * c, axis=(-2, -1))) * g
         + _batched_scalar(sum(g * c, axis=(-2, -1))) * h - h @ _mT(c) @ g - g @ _mT(c) @ h)
    return cofactor_grad(a, k / d) - _batched_scalar(sum(h * ans, axis=(-2, -1))) * c / d


cofactor_grad = primitive(
    "cofactor_grad", _cofactor_grad_fwd,
    batch=B.matrix_rule,
    domain=Example(lambda rng: ((rng.standard_normal((3, 3)) + 3 * np.eye(3),
                                 rng.standard_normal((3, 3))), {})),
    statement=S.Statement(
        forward="dC = the derivative of C = adj(A)^T in the direction G, by the SVD (exact "
        "at singular A)",
        vjp="G_bar = cofactor_grad(A, H) (self-adjoint in G); A_bar from the invertible "
        "form (<G, C> C - C G^T C) / det A",
        latex_forward=r"Y = \mathrm{d}\operatorname{adj}(A)^\top[G]",
        latex_vjp=r"\bar G = \mathrm{d}\operatorname{adj}(A)^\top[\bar Y]",
    ),
).defvjp(
    _cofactor_grad_vjp_a,
    lambda h, ans, a, g: cofactor_grad(a, h),
)


cofactor = primitive(
    "cofactor", _cofactor_fwd,
    batch=B.matrix_rule,
    domain=WELL_CONDITIONED,
    statement=S.Statement(
        forward="C = adj(A)^T = det(A) A^-T, by the SVD (exact at singular A)",
        vjp="A_bar = cofactor_grad(A, G): the derivative of C, self-adjoint, exact at "
        "singular A",
        latex_forward=r"C = \operatorname{adj}(A)^\top",
        latex_vjp=r"\bar A = \mathrm{d}\operatorname{adj}(A)^\top[\bar C]",
    ),
).defvjp(
    lambda g, ans, a: cofactor_grad(a, g),
).defjvp(
    lambda t, ans, a: cofactor_grad(a, t),
)

# d det(A) = tr(adj(A) dA) = <C, dA> (Jacobi's formula; C = det(A) A^-T where A is
# invertible): VJP g C, also at a singular A, where det(A) A^-T would be 0 * inf.
det = primitive(
    "det", lapack("det", np.linalg.det),
    batch=B.matrix_rule,
    domain=WELL_CONDITIONED,
    statement=S.Statement(
        forward="y = det A",
        vjp="A_bar = g * adj(A)^T  (Jacobi's formula: d det A = tr(adj(A) dA); "
        "adj(A)^T = det A A^-T for invertible A)",
        latex_forward=r"y = \det A",
        latex_vjp=r"\bar A = \bar y\, \operatorname{adj}(A)^\top",
    ),
).defvjp(
    lambda g, ans, a: _batched_scalar(g) * cofactor(a),
).defjvp(
    lambda t, ans, a: sum(cofactor(a) * t, axis=(-2, -1)),
)

# log|det(A)|: d = tr(A^-1 dA), VJP g A^-T.
logabsdet = primitive(
    "logabsdet", lapack("logabsdet", lambda a: np.linalg.slogdet(a)[1]),
    batch=B.matrix_rule,
    domain=WELL_CONDITIONED,
    statement=S.Statement(
        forward="y = log |det A|",
        vjp="A_bar = g * A^-T",
        latex_forward=r"y = \log\lvert\det A\rvert",
        latex_vjp=r"\bar A = \bar y\, A^{-\top}",
    ),
).defvjp(
    lambda g, ans, a: _batched_scalar(g) * _mT(inv(a)),
).defjvp(
    lambda t, ans, a: sum(_mT(inv(a)) * t, axis=(-2, -1)),
)

sign_of_det = nondifferentiable(
    "sign_of_det", lapack("sign_of_det", lambda a: np.linalg.slogdet(a)[0]),
    batch=B.matrix_rule,
    statement=S.step("sign of det A", r"\operatorname{sign}\det A"),
)


@composite
def slogdet(a):
    """(sign, log|det(A)|) per matrix; only the log-determinant carries a gradient."""
    return sign_of_det(a), logabsdet(a)


# --------------------------------------------------------------------- solve
def _solve_vector(a, v):
    # Solve with right-hand sides that are vectors (..., M) even when batched: as (..., M, 1).
    return squeeze(solve(a, expand_dims(v, -1)), -1)


def _solve_vjp_a(g, ans, a, b):
    # x = A^-1 b, dx = -A^-1 dA x: VJP -(A^-T G) x^T.
    if np.ndim(b) == 1:
        gb = _solve_vector(_mT(a), g)
        return -(expand_dims(gb, -1) * expand_dims(ans, -2))
    return -(solve(_mT(a), g) @ _mT(ans))


def _solve_vjp_b(g, ans, a, b):
    if np.ndim(b) == 1:
        return _solve_vector(_mT(a), g)
    return solve(_mT(a), g)


def _solve_jvp_a(t, ans, a, b):
    if np.ndim(b) == 1:
        return _solve_vector(a, -squeeze(t @ expand_dims(ans, -1), -1))
    return solve(a, -(t @ ans))


# NumPy's convention: b is a vector when it is 1-D, else a stack of (M, K) matrices.
solve = primitive(
    "solve", lapack("solve", np.linalg.solve),
    domain=Example(lambda rng: ((_well_conditioned(rng), rng.standard_normal((3, 2))), {})),
    statement=S.Statement(
        forward="X = A^-1 B (solves A X = B)",
        vjp="B_bar = A^-T G;  A_bar = -B_bar X^T",
        latex_forward=r"X = A^{-1} B",
        latex_vjp=r"\bar B = A^{-\top} \bar X, \quad \bar A = -\bar B X^\top",
    ),
).defvjp(_solve_vjp_a, _solve_vjp_b).defjvp(
    _solve_jvp_a,
    lambda t, ans, a, b: solve(a, t),
)


# ------------------------------------------------------------------ cholesky
def _phi_mask(n, dtype):
    # Phi(X): the lower triangle of X with its diagonal halved.
    return np.tril(np.ones((n, n), dtype=dtype)) - 0.5 * np.eye(n, dtype=dtype)


def _symmetric(x):
    return (x + _mT(x)) * 0.5


def _cholesky_jvp(t, ans, a):
    # L' = L Phi(L^-1 sym(dA) L^-T).
    lower = ans
    s = solve(lower, _symmetric(t))
    s = _mT(solve(lower, _mT(s)))
    return lower @ (s * _phi_mask(np.shape(a)[-1], _values(ans).dtype))


def _cholesky_vjp(g, ans, a):
    # The adjoint of the JVP: sym(L^-T Phi(L^T G) L^-1).
    lower = ans
    p = (_mT(lower) @ g) * _phi_mask(np.shape(a)[-1], _values(ans).dtype)
    y = solve(_mT(lower), p)
    return _symmetric(_mT(solve(_mT(lower), _mT(y))))


# A = L L^T for symmetric positive definite A. NumPy reads only A's lower triangle; the
# derivative treats A as symmetric (a perturbation dA acts as (dA + dA^T) / 2).
cholesky = primitive(
    "cholesky", lapack("cholesky", np.linalg.cholesky),
    batch=B.matrix_rule,
    # Only the symmetric part of a perturbation is seen: checked on (A + A^T) / 2.
    domain=Example(lambda rng: ((_spd(rng),), {}), check_with=lambda p, a: p((a + a.T) * 0.5)),
    statement=S.Statement(
        forward="L lower triangular with A = L L^T (A symmetric positive definite)",
        vjp="A_bar = sym(L^-T Phi(L^T G) L^-1), Phi = lower triangle with halved "
        "diagonal; A is treated as symmetric",
        latex_forward=r"A = L L^\top",
        latex_vjp=r"\bar A = \operatorname{sym}\left(L^{-\top} \Phi(L^\top \bar L) L^{-1}\right)",
    ),
).defvjp(_cholesky_vjp).defjvp(_cholesky_jvp)


# --------------------------------------------------------------------- pinv
def _pinv_fwd(a, rcond=None, hermitian=False, rtol=None):
    if rtol is not None:
        return np.linalg.pinv(a, hermitian=hermitian, rtol=rtol)
    if rcond is None:
        return np.linalg.pinv(a, hermitian=hermitian)
    return np.linalg.pinv(a, rcond=rcond, hermitian=hermitian)


def _pinv_vjp(g, ans, a, rcond=None, hermitian=False, rtol=None):
    # Adjoint of the JVP below: -P^T G P^T + (I - A P) G^T P P^T + P^T P G^T (I - P A).
    p, pt, gt = ans, _mT(ans), _mT(g)
    x = gt @ p @ pt
    y = pt @ p @ gt
    return -(pt @ g @ pt) + (x - a @ (p @ x)) + (y - (y @ p) @ a)


def _pinv_jvp(t, ans, a, rcond=None, hermitian=False, rtol=None):
    # d(A+) = -A+ dA A+ + A+ A+^T dA^T (I - A A+) + (I - A+ A) dA^T A+^T A+, valid while
    # the rank of A does not change.
    p, pt, tt = ans, _mT(ans), _mT(t)
    x = p @ pt @ tt
    y = tt @ pt @ p
    return -(p @ t @ p) + (x - (x @ a) @ p) + (y - p @ (a @ y))


pinv = primitive(
    "pinv", lapack("pinv", _pinv_fwd),
    batch=B.matrix_rule,
    domain=Example(lambda rng: ((rng.standard_normal((3, 2)),), {})),
    statement=S.Statement(
        forward="P = A^+, the Moore-Penrose pseudo-inverse",
        vjp="A_bar = -P^T G P^T + (I - A P) G^T P P^T + P^T P G^T (I - P A), the "
        "adjoint of dP (valid while the rank of A does not change)",
        latex_forward=r"P = A^{+}",
        latex_vjp=r"\bar A = -P^\top \bar P P^\top + (I - AP)\bar P^\top P P^\top + "
        r"P^\top P \bar P^\top (I - PA)",
    ),
).defvjp(_pinv_vjp).defjvp(_pinv_jvp)


# -------------------------------------------------------------------- lstsq
def _lstsq_pinv(a, rcond):
    # The pseudo-inverse with lstsq's cutoff: singular values below rcond * s_max are zero,
    # rcond = eps * max(M, N) by default, eps of float64 (NumPy solves in double precision).
    # (A negative rcond means machine precision, as in LAPACK's gelsd.)
    eps = np.finfo(np.float64).eps
    if rcond is None:
        rcond = eps * builtins.max(np.shape(a))
    elif rcond < 0:
        rcond = eps
    return pinv(a, rcond=rcond)


def _columns(v, vector):
    return expand_dims(v, -1) if vector else v


def _lstsq_vjp_a(g, ans, a, b, rcond=None):
    # x = P b (P = A^+): the adjoint of dx below, with z = P^T g and r = b - A x:
    # A_bar = -z x^T + r (P z)^T + (P^T x) ((I - P A) g)^T.
    vector = np.ndim(b) == 1
    p = _lstsq_pinv(a, rcond)
    g, x, b = _columns(g, vector), _columns(ans, vector), _columns(b, vector)
    z = _mT(p) @ g
    r = b - a @ x
    return -(z @ _mT(x)) + r @ _mT(p @ z) + (_mT(p) @ x) @ _mT(g - p @ (a @ g))


def _lstsq_vjp_b(g, ans, a, b, rcond=None):
    return _mT(_lstsq_pinv(a, rcond)) @ g


def _lstsq_jvp_a(t, ans, a, b, rcond=None):
    # dx = -P dA x + P P^T dA^T r + (I - P A) dA^T P^T x, from d(A^+) (valid while the
    # rank of A does not change).
    vector = np.ndim(b) == 1
    p = _lstsq_pinv(a, rcond)
    x, b = _columns(ans, vector), _columns(b, vector)
    r = b - a @ x
    y = _mT(t) @ (_mT(p) @ x)
    dx = -(p @ (t @ x)) + p @ (_mT(p) @ (_mT(t) @ r)) + y - p @ (a @ y)
    return squeeze(dx, -1) if vector else dx


# NumPy's lstsq: the minimum-norm least-squares solution of A x = b (A 2-D; b a vector or
# a matrix of right-hand sides); only the solution is a primitive (numpy.linalg.lstsq
# builds the residuals, rank and singular values around it).
lstsq = primitive(
    "lstsq", lapack("lstsq", lambda a, b, rcond=None: np.linalg.lstsq(a, b, rcond=rcond)[0]),
    domain=Example(lambda rng: ((rng.standard_normal((4, 3)), rng.standard_normal((4, 2))), {})),
    statement=S.Statement(
        forward="x = A^+ b, the minimum-norm least-squares solution (singular values below "
        "rcond * s_max count as zero)",
        vjp="b_bar = P^T g;  A_bar = -z x^T + r (P z)^T + (P^T x)((I - P A) g)^T with P = A^+, "
        "z = P^T g, r = b - A x (valid while the rank of A does not change)",
        latex_forward=r"x = A^{+} b",
        latex_vjp=r"\bar b = A^{+\top}\bar x, \quad \bar A = -\bar b x^\top + r (A^{+}\bar b)^\top"
        r" + A^{+\top} x \left((I - A^{+}A)\bar x\right)^\top",
    ),
).defvjp(_lstsq_vjp_a, _lstsq_vjp_b).defjvp(
    _lstsq_jvp_a, lambda t, ans, a, b, rcond=None: _lstsq_pinv(a, rcond) @ t,
)


# --------------------------------------------------------------- matrix parts
@composite
def diagonal(a, offset=0, axis1=0, axis2=1):
    """NumPy's diagonal: the (offset) diagonal of the axis1/axis2 planes, as the last axis."""
    nd = np.ndim(a)
    a1, a2 = axis1 % nd, axis2 % nd
    rest = [i for i in range(nd) if i not in (a1, a2)]
    x = transpose(a, tuple(rest) + (a1, a2))
    n1, n2 = np.shape(a)[a1], np.shape(a)[a2]
    if offset >= 0:
        k = builtins.max(0, builtins.min(n1, n2 - offset))
        rows, cols = np.arange(k), np.arange(k) + offset
    else:
        k = builtins.max(0, builtins.min(n1 + offset, n2))
        rows, cols = np.arange(k) - offset, np.arange(k)
    out = getitem(x, (Ellipsis, rows, cols))
    if is_tensor(out) and is_tensor(a) and a._data.flags.writeable and trace_hook() is None:
        # The values as a view of a's buffer (NumPy's own diagonal, made writable), so an
        # in-place change of the diagonal (PyTorch's m.diagonal().add_(eps)) changes a.
        # The recorded getitem says where each element sits for differentiated writes.
        shared = np.diagonal(a._data, offset, a1, a2)
        shared.flags.writeable = True
        out._data = shared
        if is_tensor(x):  # (a view of x, as basic indexing gives, for writes through it)
            out._view_of = x
            out._view_step = (REGISTRY["getitem"], ((Ellipsis, rows, cols),), {})
            link_view(x, out)
    return out


@composite
def diag(v, k=0):
    """A 1-D v placed on the k-th diagonal of a square matrix; of a 2-D v, its k-th diagonal."""
    nd = np.ndim(v)
    if nd == 2:
        return diagonal(v, k)
    if nd != 1:
        raise ValueError(f"diag: input must be 1-D or 2-D, got shape {np.shape(v)}")
    m = np.shape(v)[0]
    n = m + (k if k >= 0 else -k)
    i = np.arange(m)
    index = (i, i + k) if k >= 0 else (i - k, i)
    return scatter_add(v, index=index, shape=(n, n))


@composite
def trace(a, offset=0, axis1=0, axis2=1):
    """Sum along a diagonal: sum_i a[i, i + offset]."""
    return sum(diagonal(a, offset, axis1, axis2), axis=-1)


def _triangle(m, keep):
    shape = np.shape(m)
    if len(shape) < 1:
        raise ValueError("triu/tril: input must be at least 1-D")
    # A zero of m's own dtype: a Python 0 would make a bool matrix int64.
    zero = np.zeros((), (m._data if is_tensor(m) else np.asarray(m)).dtype)
    return where(keep(*shape[-2:]), m, zero)


@composite
def triu(m, k=0):
    """Upper triangle: entries with j >= i + k kept, the rest zero."""
    return _triangle(m, lambda *nm: ~np.tri(*nm, k=k - 1, dtype=bool))


@composite
def tril(m, k=0):
    """Lower triangle: entries with j <= i + k kept, the rest zero."""
    return _triangle(m, lambda *nm: np.tri(*nm, k=k, dtype=bool))


# ----------------------------------------------------------------- products
@composite
def tensordot(a, b, axes=2):
    """NumPy's tensordot: sum over the last `axes` axes of a and the first of b (or the pairs)."""
    na, nb = np.ndim(a), np.ndim(b)
    if isinstance(axes, (int, np.integer)):
        axes_a, axes_b = list(range(na - axes, na)), list(range(axes))
    else:
        axes_a, axes_b = axes
        axes_a = [axes_a] if isinstance(axes_a, (int, np.integer)) else list(axes_a)
        axes_b = [axes_b] if isinstance(axes_b, (int, np.integer)) else list(axes_b)
        if len(axes_a) != len(axes_b):
            raise ValueError("tensordot: axes must pair up the same number of axes")
    letters = iter(string.ascii_letters)
    sa = [next(letters) for _ in range(na)]
    sb = [next(letters) for _ in range(nb)]
    for i, j in zip(axes_a, axes_b):
        sb[j % nb] = sa[i % na]
    summed = {sa[i % na] for i in axes_a}
    out = [c for c in sa if c not in summed] + [c for c in sb if c not in summed]
    return einsum(f"{''.join(sa)},{''.join(sb)}->{''.join(out)}", a, b)


@composite
def outer(a, b):
    """Outer product of the flattened inputs: out[i, j] = a[i] b[j]."""
    return expand_dims(reshape(a, (-1,)), 1) * expand_dims(reshape(b, (-1,)), 0)


@composite
def inner(a, b):
    """Sum product over the last axes (a plain product for scalars)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return a * b
    return tensordot(a, b, axes=([-1], [-1]))


@composite
def kron(a, b):
    """Kronecker product: blocks a[i, j] * b, for inputs of any rank."""
    na, nb = np.ndim(a), np.ndim(b)
    nd = builtins.max(na, nb)
    sa = (1,) * (nd - na) + np.shape(a)
    sb = (1,) * (nd - nb) + np.shape(b)
    # Interleave: a as (a0, 1, a1, 1, ...) times b as (1, b0, 1, b1, ...).
    ea = reshape(a, tuple(s for d in sa for s in (d, 1)))
    eb = reshape(b, tuple(s for d in sb for s in (1, d)))
    return reshape(ea * eb, tuple(x * y for x, y in zip(sa, sb)))


@composite
def cross(a, b, axis=-1):
    """Cross product of 3-vectors along `axis`: (a1 b2 - a2 b1, a2 b0 - a0 b2, a0 b1 - a1 b0)."""
    if np.shape(a)[axis] != 3 or np.shape(b)[axis] != 3:
        raise ValueError(
            f"cross: vectors must have 3 components along axis {axis}, got shapes "
            f"{np.shape(a)} and {np.shape(b)}"
        )

    def part(x, i):
        nd = np.ndim(x)
        index = [slice(None)] * nd
        index[axis % nd] = i
        return getitem(x, tuple(index))

    a0, a1, a2 = part(a, 0), part(a, 1), part(a, 2)
    b0, b1, b2 = part(b, 0), part(b, 1), part(b, 2)
    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=axis)


# ----------------------------------------------------------------- sorting
@composite
def sort(a, axis=-1, kind=None):
    """Sorted copy; the gradient follows each element to where the sort put it.

    The permutation is always that of a stable sort (`kind` changes only NumPy's
    algorithm, never the values), so tied elements get their gradients the same way
    every time: the first of them in the input gets the first place's.
    """
    if axis is None:
        a = reshape(a, (-1,))
        axis = -1
    return gather_along(a, sort_order(a, axis=axis), axis=axis)


@composite
def partition(a, kth, axis=-1):
    """NumPy's partition (the kth elements in sorted position), differentiable by gather."""
    if axis is None:
        a = reshape(a, (-1,))
        axis = -1
    return gather_along(a, argpartition(a, kth, axis=axis), axis=axis)
