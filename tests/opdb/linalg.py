"""Op database entries: linear algebra (``cnp.linalg.*``, ``cr.linalg.*``).

References are NumPy's own functions, the triangle solved by ``np.linalg.solve`` for
solve_triangular, and mpmath's ``expm`` (40 digits) for the matrix exponential. Samples
are well-conditioned matrices with distinct eigenvalues and singular values: the
decompositions' derivatives exist there (their behaviour at degenerate spectra is tested
in tests/test_linalg_degenerate.py). Eigenvectors and singular vectors are compared raw:
LAPACK's choice of their signs is continuous in the input, so finite differences see the
same sign as the forward. The extra columns of full_matrices=True / mode='complete' are
an arbitrary basis; the entries that request them check the projector onto them, which
does not depend on that basis.
"""

from __future__ import annotations

import mpmath
import numpy as np

import chainrule as cr
import chainrule.numpy as cnp

from .core import OpInfo, fixed


# ------------------------------------------------------------------- inputs
def _general(shape):
    return lambda rng: ((rng.standard_normal(shape),), {})


def _with(shape, **kw):
    return lambda rng: ((rng.standard_normal(shape),), kw)


def _symmetric(rng, shape):
    a = rng.standard_normal(shape)
    return (a + np.swapaxes(a, -1, -2)) / 2


def _spd(rng, shape):
    a = rng.standard_normal(shape)
    n = shape[-1]
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _conditioned(rng, shape):
    n = shape[-1]
    return rng.standard_normal(shape) * 0.5 + n * np.eye(n)


def _sym(a):
    """The symmetric part, so that finite differences see what eigh reads (on tensors,
    lists of tensors and plain arrays alike)."""
    a = cnp.asarray(a)
    return (a + cnp.swapaxes(a, -1, -2)) * 0.5


def _complement_projectors(q, k, rows):
    """The columns (or rows) beyond k of an orthonormal factor, as the projector onto them."""
    x = q[..., :, k:] if not rows else cnp.swapaxes(q[..., k:, :], -1, -2)
    return x @ cnp.swapaxes(x, -1, -2)


def _svd_full(a):
    """svd(full_matrices=True) with the extra columns of U and rows of Vh as projectors."""
    u, s, vh = cnp.linalg.svd(a)
    k = min(np.shape(a)[-2:])
    return (u[..., :k], s, vh[..., :k, :], _complement_projectors(u, k, False),
            _complement_projectors(vh, k, True))


def _svd_full_ref(a):
    u, s, vh = np.linalg.svd(a)
    k = min(a.shape[-2:])
    ux, vx = u[..., :, k:], np.swapaxes(vh[..., k:, :], -1, -2)
    return (u[..., :k], s, vh[..., :k, :], ux @ np.swapaxes(ux, -1, -2),
            vx @ np.swapaxes(vx, -1, -2))


def _qr_complete(a):
    q, r = cnp.linalg.qr(a, mode="complete")
    k = min(np.shape(a)[-2:])
    return q[..., :k], r, _complement_projectors(q, k, False)


def _qr_complete_ref(a):
    q, r = np.linalg.qr(a, mode="complete")
    k = min(a.shape[-2:])
    qx = q[..., k:]
    return q[..., :k], r, qx @ np.swapaxes(qx, -1, -2)


# ------------------------------------------------------------ decompositions
SVD_SHAPES = [(3, 3), (4, 3), (3, 4), (2, 3, 2), (1, 1), (1, 3), (0, 3), (2, 0, 0)]

DECOMPOSITIONS = [
    OpInfo("cnp.linalg.svd (full_matrices=False)",
           lambda a: cnp.linalg.svd(a, full_matrices=False),
           fixed(*[_general(s) for s in SVD_SHAPES]),
           lambda a: np.linalg.svd(a, full_matrices=False), plain="numpy"),
    OpInfo("cnp.linalg.svd (square)", cnp.linalg.svd,
           fixed(_general((3, 3)), _general((2, 2, 2))), np.linalg.svd, plain="numpy"),
    OpInfo("cnp.linalg.svd (full_matrices, extra columns as projectors)", _svd_full,
           fixed(*[_general(s) for s in [(4, 2), (2, 4), (2, 3, 2), (1, 3), (3, 1)]]),
           _svd_full_ref, plain="numpy"),
    OpInfo("cnp.linalg.svd (compute_uv=False)", lambda a: cnp.linalg.svd(a, compute_uv=False),
           fixed(*[_general(s) for s in SVD_SHAPES]),
           lambda a: np.linalg.svd(a, compute_uv=False), plain="numpy"),
    OpInfo("cnp.linalg.svd (hermitian)", lambda a: cnp.linalg.svd(_sym(a), hermitian=True),
           fixed(lambda rng: ((_symmetric(rng, (3, 3)),), {}),
                 lambda rng: ((_symmetric(rng, (2, 3, 3)),), {})),
           lambda a: np.linalg.svd(a, hermitian=True), plain="numpy"),
    OpInfo("cnp.linalg.svd (hermitian, compute_uv=False)",
           lambda a: cnp.linalg.svd(_sym(a), compute_uv=False, hermitian=True),
           fixed(lambda rng: ((_symmetric(rng, (3, 3)),), {})),
           lambda a: np.linalg.svd(a, compute_uv=False, hermitian=True), plain="numpy"),
    OpInfo("cnp.linalg.svdvals", cnp.linalg.svdvals,
           fixed(*[_general(s) for s in [(3, 4), (2, 3, 3), (1, 1), (0, 2)]]),
           np.linalg.svdvals, plain="numpy"),
    OpInfo("cnp.linalg.eigh", lambda a, UPLO="L": cnp.linalg.eigh(_sym(a), UPLO=UPLO),
           fixed(*[lambda rng, s=s: ((_symmetric(rng, s),), {})
                   for s in [(3, 3), (2, 4, 4), (1, 1), (0, 0), (2, 0, 0)]],
                 lambda rng: ((_symmetric(rng, (3, 3)),), {"UPLO": "U"})),
           np.linalg.eigh, plain="numpy"),
    OpInfo("cnp.linalg.eigvalsh", lambda a, UPLO="L": cnp.linalg.eigvalsh(_sym(a), UPLO=UPLO),
           fixed(*[lambda rng, s=s: ((_symmetric(rng, s),), {})
                   for s in [(3, 3), (2, 3, 3), (1, 1), (0, 0)]],
                 lambda rng: ((_symmetric(rng, (3, 3)),), {"UPLO": "u"})),
           np.linalg.eigvalsh, plain="numpy"),
    OpInfo("cnp.linalg.qr", cnp.linalg.qr,
           fixed(*[_general(s) for s in [(4, 3), (3, 3), (3, 4), (2, 4, 2), (2, 2, 4), (1, 1)]],
                 _with((3, 4), mode="complete"), _with((4, 3), mode="r"),
                 _with((2, 3, 4), mode="r")),
           np.linalg.qr, plain="numpy"),
    OpInfo("cnp.linalg.qr (complete, extra columns as a projector)", _qr_complete,
           fixed(_general((4, 2)), _general((2, 3, 1))), _qr_complete_ref, plain="numpy"),
]


# ---------------------------------------------------------- solvers, inverses
def _lstsq_case(a_shape, b_shape, **kw):
    return lambda rng: ((rng.standard_normal(a_shape), rng.standard_normal(b_shape)), kw,
                        (0, 1))


def _solve_triangular_ref(a, b, trans=0, lower=False, unit_diagonal=False, **torch):
    if "upper" in torch:
        lower = not torch["upper"]
    t = np.tril(a) if lower else np.triu(a)
    if unit_diagonal or torch.get("unitriangular"):
        t = t - np.diagonal(t, axis1=-2, axis2=-1)[..., None] * np.eye(t.shape[-1]) \
            + np.eye(t.shape[-1])
    if trans in (1, 2, "T", "C"):
        t = np.swapaxes(t, -1, -2)
    if not torch.get("left", True):
        return np.swapaxes(np.linalg.solve(np.swapaxes(t, -1, -2), np.swapaxes(b, -1, -2)),
                           -1, -2)
    return np.linalg.solve(t, b[..., None])[..., 0] if np.ndim(b) == 1 \
        else np.linalg.solve(t, b)


def _triangular_case(a_shape, b_shape, **kw):
    def make(rng):
        n = a_shape[-1]
        a = rng.standard_normal(a_shape) * 0.5 + 2 * np.eye(n)
        return (a, rng.standard_normal(b_shape)), kw, (0, 1)

    return make


SOLVERS = [
    OpInfo("cnp.linalg.lstsq", cnp.linalg.lstsq,
           fixed(_lstsq_case((4, 3), (4,)), _lstsq_case((4, 3), (4, 2)),
                 _lstsq_case((3, 4), (3,)), _lstsq_case((3, 3), (3, 2), rcond=1e-10),
                 _lstsq_case((1, 1), (1,))),
           np.linalg.lstsq, plain="numpy"),
    OpInfo("cnp.linalg.pinv", cnp.linalg.pinv,
           fixed(*[_general(s) for s in [(3, 2), (2, 3), (2, 3, 2), (1, 1)]],
                 _with((3, 2), rcond=1e-8), _with((2, 3), rtol=1e-8)),
           np.linalg.pinv, plain="numpy"),
    OpInfo("cnp.linalg.inv", cnp.linalg.inv,
           fixed(*[lambda rng, s=s: ((_conditioned(rng, s),), {}) for s in [(3, 3), (2, 2, 2)]]),
           np.linalg.inv, plain="numpy"),
    OpInfo("cnp.linalg.det", cnp.linalg.det,
           fixed(*[lambda rng, s=s: ((_conditioned(rng, s),), {}) for s in [(3, 3), (2, 2, 2)]]),
           np.linalg.det, plain="numpy"),
    OpInfo("cnp.linalg.slogdet", cnp.linalg.slogdet,
           fixed(lambda rng: ((_conditioned(rng, (3, 3)),), {}),
                 lambda rng: ((-_conditioned(rng, (2, 3, 3)),), {})),
           np.linalg.slogdet, plain="numpy"),
    OpInfo("cnp.linalg.solve", cnp.linalg.solve,
           fixed(lambda rng: ((_conditioned(rng, (3, 3)), rng.standard_normal(3)), {}, (0, 1)),
                 lambda rng: ((_conditioned(rng, (2, 3, 3)), rng.standard_normal((3, 2))), {},
                              (0, 1))),
           np.linalg.solve, plain="numpy"),
    OpInfo("cnp.linalg.cholesky", lambda a, upper=False: cnp.linalg.cholesky(_sym(a), upper=upper),
           fixed(lambda rng: ((_spd(rng, (3, 3)),), {}),
                 lambda rng: ((_spd(rng, (2, 3, 3)),), {"upper": True})),
           np.linalg.cholesky, plain="numpy"),
    OpInfo("cnp.linalg.matrix_power", cnp.linalg.matrix_power,
           fixed(*[lambda rng, n=n: ((_conditioned(rng, (2, 3, 3)) / 3, n), {}) for n in (0, 1, 3)],
                 lambda rng: ((_conditioned(rng, (3, 3)), -2), {})),
           np.linalg.matrix_power, plain="numpy"),
    OpInfo("cnp.linalg.multi_dot", lambda a, b, c: cnp.linalg.multi_dot([a, b, c]),
           fixed(lambda rng: ((rng.standard_normal(3), rng.standard_normal((3, 4)),
                               rng.standard_normal((4, 2))), {}, (0, 1, 2)),
                 lambda rng: ((rng.standard_normal((2, 3)), rng.standard_normal((3, 4)),
                               rng.standard_normal(4)), {}, (0, 1, 2))),
           lambda a, b, c: np.linalg.multi_dot([a, b, c]), plain="numpy", list_inputs=False),
    OpInfo("cr.linalg.solve_triangular", cr.linalg.solve_triangular,
           fixed(_triangular_case((3, 3), (3,)),
                 _triangular_case((3, 3), (3, 2), lower=True),
                 _triangular_case((3, 3), (3, 2), trans=1, unit_diagonal=True),
                 _triangular_case((3, 3), (3,), trans="C", lower=True),
                 _triangular_case((2, 3, 3), (3, 2), trans="T"),
                 _triangular_case((3, 3), (2, 3, 1), lower=True, unit_diagonal=True),
                 _triangular_case((1, 1), (1,))),
           _solve_triangular_ref, plain="numpy"),
    OpInfo("cr.linalg.solve_triangular (PyTorch's keywords)", cr.linalg.solve_triangular,
           fixed(_triangular_case((3, 3), (3, 2), upper=False),
                 _triangular_case((3, 3), (2, 3), upper=True, left=False),
                 _triangular_case((2, 3, 3), (2, 3), upper=False, left=False,
                                  unitriangular=True)),
           _solve_triangular_ref, plain="numpy"),
]


# ------------------------------------------------------ matrix functions, norms
def _expm_ref(a):
    mpmath.mp.dps = 40
    a = np.asarray(a, dtype=float)
    out = np.empty_like(a)
    for idx in np.ndindex(a.shape[:-2]):
        m = mpmath.expm(mpmath.matrix(a[idx].tolist())) if a.shape[-1] else None
        out[idx] = np.array(m.tolist(), dtype=float) if m is not None else a[idx]
    return out


def _scaled(shape, scale):
    return lambda rng: ((rng.standard_normal(shape) * scale,), {})


def _norm_case(shape, ord, **kw):
    return lambda rng: ((rng.standard_normal(shape),), {"ord": ord, **kw})


NORMS = [
    OpInfo("cr.linalg.matrix_exp", cr.linalg.matrix_exp,
           fixed(_scaled((3, 3), 1.0), _scaled((3, 3), 0.01), _scaled((2, 2, 2), 3.0),
                 _scaled((3, 3), 8.0), _scaled((1, 1), 1.0), _scaled((0, 0), 1.0)),
           _expm_ref, plain="numpy", rtol=1e-12),
    OpInfo("cnp.linalg.norm (spectral, nuclear)", cnp.linalg.norm,
           fixed(_norm_case((3, 4), 2), _norm_case((4, 3), -2), _norm_case((3, 3), "nuc"),
                 _norm_case((2, 3, 2), 2, axis=(0, 2)), _norm_case((2, 2, 3), "nuc", axis=(2, 1),
                                                                   keepdims=True),
                 _norm_case((1, 1), -2)),
           np.linalg.norm, plain="numpy"),
    OpInfo("cnp.linalg.norm (other orders)", cnp.linalg.norm,
           fixed(_norm_case((3, 4), None), _norm_case((3, 4), "fro"), _norm_case((3, 4), 1),
                 _norm_case((3, 4), -np.inf, axis=(1, 0)), _norm_case((4,), 3),
                 _norm_case((2, 3), np.inf, axis=1, keepdims=True), _norm_case((2, 3), 0, axis=0)),
           np.linalg.norm, plain="numpy"),
    OpInfo("cnp.linalg.matrix_norm", cnp.linalg.matrix_norm,
           fixed(_with((2, 3, 3)), _with((3, 4), ord=2), _with((2, 2, 3), ord="nuc",
                                                                keepdims=True)),
           np.linalg.matrix_norm, plain="numpy"),
    OpInfo("cnp.linalg.vector_norm", cnp.linalg.vector_norm,
           fixed(_with((2, 3)), _with((2, 3, 2), axis=(0, 2), keepdims=True),
                 _with((4,), ord=1), _with((2, 3), axis=-1, ord=np.inf), _with((2, 3), ord=3)),
           np.linalg.vector_norm, plain="numpy"),
    OpInfo("cr.linalg.norm", cr.linalg.norm,
           fixed(_with((3, 4), ord="nuc"), _with((2, 3, 4), ord=2, dim=(0, 2), keepdim=True),
                 _with((2, 3), axis=1, keepdims=True)),
           lambda x, ord=None, axis=None, keepdims=False, dim=None, keepdim=False:
           np.linalg.norm(x, ord, axis if dim is None else dim, keepdims or keepdim),
           plain="numpy"),
    OpInfo("cr.linalg.vector_norm", cr.linalg.vector_norm,
           fixed(_with((2, 3)), _with((2, 3, 2), dim=(0, 2), keepdim=True),
                 _with((2, 3), ord=1, axis=-1)),
           lambda x, ord=2, dim=None, keepdim=False, axis=None, keepdims=False:
           np.linalg.vector_norm(x, ord=ord, axis=axis if dim is None else dim,
                                 keepdims=keepdims or keepdim),
           plain="numpy"),
    OpInfo("cr.linalg.matrix_norm", cr.linalg.matrix_norm,
           fixed(_with((2, 3, 3)), _with((3, 4), ord=-2), _with((2, 3, 4), ord=2, dim=(2, 0))),
           lambda x, ord="fro", dim=(-2, -1), keepdim=False, keepdims=False:
           np.linalg.norm(x, ord, dim, keepdims or keepdim),
           plain="numpy"),
    OpInfo("cnp.linalg.cond", cnp.linalg.cond,
           fixed(*[lambda rng, p=p: ((_conditioned(rng, (3, 3)),), {"p": p})
                   for p in (None, 2, -2, "fro", "nuc", 1, -1, np.inf, -np.inf)],
                 lambda rng: ((rng.standard_normal((2, 3, 2)),), {}),
                 lambda rng: ((_conditioned(rng, (2, 3, 3)),), {"p": "fro"})),
           np.linalg.cond, plain="numpy"),
    OpInfo("cnp.linalg.matrix_rank", cnp.linalg.matrix_rank,
           fixed(_general((3, 4)), _general((2, 3, 3)),
                 lambda rng: ((np.outer(rng.standard_normal(3), rng.standard_normal(4)),), {}),
                 lambda rng: ((_symmetric(rng, (3, 3)),), {"hermitian": True}),
                 _with((3, 3), tol=0.5), _with((3, 3), rtol=0.3)),
           np.linalg.matrix_rank, plain="numpy", differentiable=False),
]

PARTS = [
    OpInfo("cnp.linalg.matrix_transpose", cnp.linalg.matrix_transpose,
           fixed(_general((2, 3)), _general((2, 3, 4))), np.linalg.matrix_transpose,
           plain="numpy"),
    OpInfo("cnp.linalg.trace", cnp.linalg.trace,
           fixed(_general((3, 3)), _with((2, 3, 4), offset=1)), np.linalg.trace, plain="numpy"),
    OpInfo("cnp.linalg.diagonal", cnp.linalg.diagonal,
           fixed(_general((3, 3)), _with((2, 3, 4), offset=-1)), np.linalg.diagonal,
           plain="numpy"),
    OpInfo("cnp.linalg.outer", cnp.linalg.outer,
           fixed(lambda rng: ((rng.standard_normal(3), rng.standard_normal(2)), {}, (0, 1))),
           np.linalg.outer, plain="numpy"),
]

def _lu_solve(a, b, **kw):
    return cr.linalg.lu_solve(*cr.linalg.lu_factor(a), b, **kw)


def _lu_solve_ref(a, b, left=True, adjoint=False):
    a = np.swapaxes(a, -1, -2) if adjoint else a
    return np.linalg.solve(a, b) if left else np.swapaxes(
        np.linalg.solve(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2)), -1, -2)


def _two(a_shape, b_shape, **kw):
    return lambda rng: ((rng.standard_normal(a_shape), rng.standard_normal(b_shape)), kw,
                        (0, 1))


LU = [
    OpInfo("cnp.linalg.tensorinv", cnp.linalg.tensorinv,
           fixed(_general((4, 6, 8, 3)), _with((6, 2, 3), ind=1), _general((2, 2, 2, 2))),
           np.linalg.tensorinv, plain="numpy", list_inputs=False),
    OpInfo("cnp.linalg.tensorsolve", cnp.linalg.tensorsolve,
           fixed(_two((2, 3, 6), (2, 3)), _two((6, 2, 3), (2, 3), axes=(0,)),
                 _two((2, 2, 2, 2), (2, 2))),
           np.linalg.tensorsolve, plain="numpy", list_inputs=False),
    # torch.linalg's: A = P L U (P built by comparisons, so it compiles), L m x k, U k x n
    OpInfo("cr.linalg.lu", cr.linalg.lu,
           fixed(*[_general(s) for s in [(4, 4), (5, 3), (3, 5), (2, 4, 4), (1, 1)]]),
           lambda a: _scipy_lu(a)),
    OpInfo("cr.linalg.lu_factor", lambda a: cr.linalg.lu_factor(a).LU,
           fixed(*[_general(s) for s in [(4, 4), (5, 3), (3, 5), (2, 3, 3)]]),
           lambda a: _scipy_lu_factor(a), traces=False),
    OpInfo("cr.linalg.lu_solve", _lu_solve,
           fixed(_two((4, 4), (4, 2)), _two((4, 4), (4, 2), adjoint=True),
                 _two((3, 3), (2, 3), left=False), _two((2, 3, 3), (2, 3, 1)),
                 _two((3, 3), (2, 3), left=False, adjoint=True)),
           _lu_solve_ref, traces=False, list_inputs=False),
]


def _scipy_lu(a):
    import scipy.linalg

    return scipy.linalg.lu(a)


def _scipy_lu_factor(a):
    """LAPACK's compact LU of a (m, n) stack: L's strict lower part and U."""
    p, lower, upper = _scipy_lu(a)
    m, n = a.shape[-2:]
    k = min(m, n)
    out = np.zeros(a.shape)
    out[..., :, :k] += np.tril(lower, -1)
    out[..., :k, :] += upper
    return out


def _householder_ref(a, tau):
    """H_1 ... H_k formed explicitly, its first n columns."""
    a, tau = np.asarray(a, float), np.asarray(tau, float)
    m, n = a.shape[-2:]
    out = np.empty(a.shape)
    for idx in np.ndindex(*a.shape[:-2]):
        q = np.eye(m)
        for i in range(tau.shape[-1]):
            v = np.zeros(m)
            v[i] = 1.0
            v[i + 1:] = a[idx][i + 1:, i]
            q = q @ (np.eye(m) - tau[idx][i] * np.outer(v, v))
        out[idx] = q[:, :n]
    return out


def _reflectors(rng, a_shape, k):
    return (rng.standard_normal(a_shape), rng.uniform(0.5, 1.8, a_shape[:-2] + (k,))), {}


HOUSEHOLDER = [
    OpInfo("cr.linalg.householder_product", cr.linalg.householder_product,
           fixed(lambda rng: _reflectors(rng, (4, 3), 3), lambda rng: _reflectors(rng, (4, 3), 2),
                 lambda rng: _reflectors(rng, (2, 3, 3), 3),
                 lambda rng: _reflectors(rng, (3, 1), 1)),
           _householder_ref, plain="numpy", rtol=1e-12),
]

OPS = [*DECOMPOSITIONS, *SOLVERS, *NORMS, *PARTS, *LU, *HOUSEHOLDER]
