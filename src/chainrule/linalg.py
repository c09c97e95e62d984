"""``cr.linalg``: differentiable linear algebra under NumPy's names, plus PyTorch's.

    import chainrule as cr
    U, S, Vh = cr.linalg.svd(A, full_matrices=False)
    w, V = cr.linalg.eigh(A)

Every NumPy name is :mod:`chainrule.numpy.linalg`'s function itself (NumPy's signature
and semantics; plain arrays run NumPy). The names torch.linalg adds are here too:
``matrix_exp`` (the matrix exponential) and ``solve_triangular`` (SciPy's signature and
semantics, also accepting PyTorch's keywords ``upper``, ``left`` and ``unitriangular``).
``norm``, ``vector_norm`` and ``matrix_norm`` take NumPy's arguments and PyTorch's
(``dim``, ``keepdim``, ``ord`` by position). ``lu``, ``lu_factor`` and ``lu_solve`` are
torch.linalg's (pivots 1-based, as LAPACK's); chainrule.scipy.linalg has SciPy's.
docs/api.md ("Linear algebra") lists them with their behaviour at degenerate spectra.
"""

from __future__ import annotations

import numpy as np

from . import graph as _graph
from . import primitives as P
from .numpy.linalg import (  # noqa: F401  (re-exported)
    EighResult,
    LinAlgError,
    QRResult,
    SlogdetResult,
    SVDResult,
    cholesky,
    cond,
    det,
    diagonal,
    eigh,
    eigvalsh,
    inv,
    lstsq,
    matrix_power,
    matrix_rank,
    matrix_transpose,
    multi_dot,
    outer,
    pinv,
    qr,
    slogdet,
    solve,
    svd,
    svdvals,
    tensorinv,
    tensorsolve,
    trace,
)
from .numpy.linalg import matrix_norm as _matrix_norm
from .numpy.linalg import norm as _norm
from .numpy.linalg import vector_norm as _vector_norm
from .primitives.triangular import normalize_trans as _normalize_trans
from .rules import composite as _composite


@_composite
def matrix_exp(A):
    """exp(A) of each square matrix in the stack (PyTorch's name; SciPy's expm).

    Scaling and squaring with Padé approximants; the derivative is the Fréchet
    derivative, the upper-right block of exp([[A, E], [0, A]]).
    """
    return P.expm(A)


@_composite
def householder_product(A, tau):
    """The first n columns of H_1 H_2 ... H_k for an (..., m, n) ``A`` and (..., k)
    ``tau`` (PyTorch's ``linalg.householder_product``, LAPACK's orgqr), m >= n >= k:
    H_i = I - tau_i v_i v_i^T, v_i the i-th column of A below its diagonal, with 1 on
    the diagonal and 0 above. With ``(A, tau)`` from geqrf it is QR's Q. Each H_i is
    applied as a rank-one update, never formed; differentiable in A and tau.
    """
    m, n = np.shape(A)[-2:]
    k = np.shape(tau)[-1] if np.ndim(tau) else 0
    if not m >= n >= k:
        raise ValueError(f"householder_product: A of shape {np.shape(A)} and tau of shape "
                         f"{np.shape(tau)} need m >= n >= k (here m={m}, n={n}, k={k})")
    if np.shape(tau)[:-1] != np.shape(A)[:-2]:
        raise ValueError(f"householder_product: tau's batch shape {np.shape(tau)[:-1]} "
                         f"differs from A's {np.shape(A)[:-2]}")
    dtype = np.result_type(A, tau)
    Q = np.broadcast_to(np.eye(m, n, dtype=dtype), np.shape(A)[:-2] + (m, n))
    rows = np.arange(m)
    for i in reversed(range(k)):  # Q <- H_i Q, from the last reflector to the first
        v = P.where(rows > i, A[..., :, i], (rows == i).astype(dtype))
        vq = P.matmul(v[..., None, :], Q)
        Q = Q - (tau[..., i, None, None] * v[..., :, None]) * vq
    if not k:  # (no reflection: the identity's columns, of A's kind, with no gradient)
        return P.where(np.ones((m, n), bool), Q, A)
    return Q


def _check_finite(function, **arrays):
    """SciPy's check_finite: a ValueError naming the argument that holds an inf or NaN."""
    for name, v in arrays.items():
        values = v._data if _graph.is_tensor(v) else np.asarray(v)
        if values.dtype.kind in "fc" and not np.isfinite(values).all():
            raise ValueError(f"{function}: {name} must not contain infs or NaNs "
                             f"(pass check_finite=False to skip this check)")


def solve_triangular(a, b, trans=0, lower=None, unit_diagonal=None, overwrite_a=False,
                     overwrite_b=False, check_finite=True, *, upper=None, left=True,
                     unitriangular=None):
    """x with op(T) x = b, T the lower or upper triangle of a: scipy.linalg.solve_triangular.

    SciPy's arguments and defaults (the upper triangle unless lower=True; trans 0/'N',
    1/'T', 2/'C'; b a vector when 1-D, else a stack of matrices; leading axes broadcast).
    PyTorch's keywords work too: ``upper=`` (instead of lower), ``unitriangular=`` (for
    unit_diagonal) and ``left=False``, which solves x op(T) = b. overwrite_a/overwrite_b
    are accepted and ignored (nothing is written in place). Differentiable in a's
    triangle and in b.
    """
    if upper is not None:
        if lower is not None and bool(lower) == bool(upper):
            raise ValueError("solve_triangular: lower and upper disagree; give one of them")
        lower = not upper
    if unitriangular is not None:
        if unit_diagonal is not None and bool(unit_diagonal) != bool(unitriangular):
            raise ValueError("solve_triangular: unit_diagonal and unitriangular disagree")
        unit_diagonal = unitriangular
    lower, unit_diagonal = bool(lower), bool(unit_diagonal)
    trans = _normalize_trans(trans)
    if check_finite:
        _check_finite("solve_triangular", a=a, b=b)
    if left:
        return P.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal)
    if np.ndim(b) < 2:
        raise ValueError("solve_triangular: left=False needs b to be a matrix (..., K, M)")
    # x op(T) = b  <=>  op(T)^T x^T = b^T.
    xt = P.solve_triangular(a, P.swapaxes(b, -1, -2), trans=1 - trans, lower=lower,
                            unit_diagonal=unit_diagonal)
    return P.swapaxes(xt, -1, -2)


def _either(name, numpy_value, torch_value, default):
    """NumPy's keyword or PyTorch's (axis / dim, keepdims / keepdim), not both."""
    if numpy_value is not None and torch_value is not None:
        raise TypeError(f"{name}: give {name.split('/')[0]} or {name.split('/')[1]}, not both")
    if numpy_value is not None:
        return numpy_value
    return default if torch_value is None else torch_value


def norm(x, ord=None, axis=None, keepdims=None, *, dim=None, keepdim=None):
    """numpy.linalg.norm (x, ord, axis, keepdims), also as torch.linalg.norm (dim, keepdim)."""
    axis = _either("axis/dim", axis, dim, None)
    return _norm(x, ord, axis, bool(_either("keepdims/keepdim", keepdims, keepdim, False)))


def vector_norm(x, ord=2, dim=None, keepdim=None, *, axis=None, keepdims=None):
    """Vector norm over axis/dim (None: every entry; a tuple: those axes together).

    NumPy's keywords (axis, keepdims, ord) or PyTorch's (ord, dim, keepdim by position).
    """
    axis = _either("axis/dim", axis, dim, None)
    keep = bool(_either("keepdims/keepdim", keepdims, keepdim, False))
    if isinstance(axis, list):
        axis = tuple(axis)
    return _vector_norm(x, axis=axis, keepdims=keep, ord=ord)


def matrix_norm(x, ord="fro", dim=None, keepdim=None, *, keepdims=None):
    """Matrix norm of each matrix; NumPy's keywords, or PyTorch's (ord, dim=(-2, -1), keepdim)."""
    keep = bool(_either("keepdims/keepdim", keepdims, keepdim, False))
    if dim is None or tuple(dim) == (-2, -1):
        return _matrix_norm(x, keepdims=keep, ord=ord)
    return _norm(x, ord, tuple(dim), keep)


# ---------------------------------------------------------------- LU (torch.linalg's)
from collections import namedtuple as _namedtuple  # noqa: E402

from .primitives import lu_decomposition as _lu  # noqa: E402

LUResult = _namedtuple("LUResult", ["P", "L", "U"])
LUFactorResult = _namedtuple("LUFactorResult", ["LU", "pivots"])


def lu(A, *, pivot=True):
    """(P, L, U) with A = P L U: partial pivoting, L unit lower triangular (m x k), U
    upper triangular (k x n), k = min(m, n); differentiable in A (the pivoting held
    fixed; U's diagonal must be nonzero). P follows A under cr.vmap and cr.compile."""
    if not pivot:
        raise NotImplementedError("lu: pivot=False (LU without pivoting) is not supported")
    lower, upper, perm = _lu.lu_factors(P.lu(A), np.shape(A))
    return LUResult(_lu.permutation_matrix(perm, _lu._values(lower).dtype), lower, upper)


def lu_factor(A, *, pivot=True):
    """(LU, pivots): L's strict lower part and U in one matrix, and LAPACK's row
    interchanges, 1-based int32 (row i was swapped with row pivots[i] - 1)."""
    if not pivot:
        raise NotImplementedError("lu_factor: pivot=False is not supported")
    shape = np.shape(A)
    lower, upper, perm = _lu.lu_factors(P.lu(A), shape)
    order = _lu.row_order(perm, "lu_factor's pivots")
    pivots = _lu.pivots_from_perm(order, min(shape[-2:])) + 1
    return LUFactorResult(_lu.compact(lower, upper), pivots.astype(np.int32))


def lu_solve(LU, pivots, B, *, left=True, adjoint=False):
    """X with A X = B (or X A = B with left=False; A^T in place of A with adjoint=True),
    A given by lu_factor's (LU, pivots); differentiable in LU and B."""
    order = _lu.perm_from_pivots(_lu.row_order(pivots, "lu_solve's pivots"), base=1)
    if left:
        return _lu.solve_factored(LU, order, B, trans=1 if adjoint else 0)
    # X A = B  <=>  A^T X^T = B^T
    bt = P.swapaxes(B, -1, -2)
    return P.swapaxes(_lu.solve_factored(LU, order, bt, trans=0 if adjoint else 1), -1, -2)
