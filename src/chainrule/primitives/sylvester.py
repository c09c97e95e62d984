"""The Sylvester equation A X + X B = Q and the principal matrix square root (scipy.linalg's
solve_sylvester and sqrtm), for real square matrices.

Forwards (NumPy has no Schur decomposition, so not Bartels-Stewart):

* solve_sylvester: for n m <= 1600 unknowns, the Kronecker form (I kron A + B^T kron I)
  vec X = vec Q by LAPACK's LU solve (backward stable); beyond, the eigendecompositions
  A = U L U^-1, B = V M V^-1 give X = U [(U^-1 Q V)_ij / (l_i + m_j)] V^-1, and the
  residual is checked: a matrix too far from diagonalizable for that raises LinAlgError.
* sqrtm: the scaled product form of the Denman-Beavers iteration (N. J. Higham,
  "Functions of Matrices", SIAM 2008, eqs. 6.17 and 6.28): M_0 = Y_0 = A,
  M_k+1 = (I + (mu^2 M_k + mu^-2 M_k^-1)/2)/2, Y_k+1 = mu Y_k (I + mu^-2 M_k^-1)/2 with
  mu = |det M_k|^(-1/2n); quadratic convergence to the square root whose eigenvalues
  have positive real part. A real eigenvalue <= 0 has no real principal root: that raises
  (SciPy returns a complex matrix; complex dtypes are out of scope).

Derivatives (as HIPS autograd's): X = sylvester(A, B, Q) has Q_bar = sylvester(A^T, B^T, G),
A_bar = -Q_bar X^T, B_bar = -X^T Q_bar; sqrtm's is X dX + dX X = dA, so
A_bar = sylvester(X^T, X^T, G). Both are written with the primitives, so every order
follows.
"""

from __future__ import annotations

import numpy as np

from .. import statements as S
from ..domains import Example
from ..rules import primitive
from .shape import swapaxes

_KRONECKER_LIMIT = 1600  # unknowns n m up to which the Kronecker system is solved


def _mT(x):
    return swapaxes(x, -1, -2)


def _check_square(name, **matrices):
    for arg, m in matrices.items():
        shape = np.shape(m)
        if len(shape) != 2 or (arg != "q" and shape[0] != shape[1]):
            raise ValueError(f"{name}: {arg} must be a square matrix, got shape {shape}")


def _sylvester_fwd(a, b, q):
    a, b, q = (np.asarray(v) for v in (a, b, q))
    _check_square("solve_sylvester", a=a, b=b, q=q)
    n, m = a.shape[0], b.shape[0]
    if q.shape != (n, m):
        raise ValueError(f"solve_sylvester: q must have shape ({n}, {m}) for a {a.shape} and b "
                         f"{b.shape}, got {q.shape}")
    dtype = np.result_type(a, b, q, np.float16)
    a, b, q = (v.astype(np.float64) for v in (a, b, q))
    if n * m <= _KRONECKER_LIMIT:
        # Row-major vec: vec(A X) = (A kron I) vec X, vec(X B) = (I kron B^T) vec X.
        system = np.kron(a, np.eye(m)) + np.kron(np.eye(n), b.T)
        x = np.linalg.solve(system, q.reshape(-1)).reshape(n, m)
    else:
        la, u = np.linalg.eig(a)
        lb, v = np.linalg.eig(b)
        inner = np.linalg.solve(u, q @ v) / (la[:, None] + lb[None, :])
        x = np.real(u @ np.linalg.solve(v.T, inner.T).T)
        residual = np.linalg.norm(a @ x + x @ b - q)
        scale = (np.linalg.norm(a) + np.linalg.norm(b)) * np.linalg.norm(x) + np.linalg.norm(q)
        if not residual <= 1e-8 * scale:
            raise np.linalg.LinAlgError(
                f"solve_sylvester: the eigenvector method left a relative residual of "
                f"{residual / scale:.1e} (a or b is far from diagonalizable); below "
                f"{_KRONECKER_LIMIT} unknowns the exact Kronecker solve is used")
    return x.astype(dtype, copy=False)


def _sylvester_vjps():
    def q_bar(g, ans, a, b, q):
        return solve_sylvester(_mT(a), _mT(b), g)

    return (
        lambda g, ans, a, b, q: -(q_bar(g, ans, a, b, q) @ _mT(ans)),
        lambda g, ans, a, b, q: -(_mT(ans) @ q_bar(g, ans, a, b, q)),
        q_bar,
    )


def _example_sylvester(rng):
    a = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    b = rng.standard_normal((2, 2)) + 3 * np.eye(2)
    return (a, b, rng.standard_normal((3, 2))), {}


solve_sylvester = primitive(
    "solve_sylvester", _sylvester_fwd,
    domain=Example(_example_sylvester),
    statement=S.Statement(
        forward="X with A X + X B = Q",
        vjp="Q_bar = solve_sylvester(A^T, B^T, G); A_bar = -Q_bar X^T; B_bar = -X^T Q_bar",
        latex_forward=r"A X + X B = Q",
        latex_vjp=r"\bar Q = \operatorname{syl}(A^\top, B^\top, \bar X), \quad "
        r"\bar A = -\bar Q X^\top, \quad \bar B = -X^\top \bar Q",
    ),
).defvjp(*_sylvester_vjps()).defjvp(
    lambda t, ans, a, b, q: solve_sylvester(a, b, -(t @ ans)),
    lambda t, ans, a, b, q: solve_sylvester(a, b, -(ans @ t)),
    lambda t, ans, a, b, q: solve_sylvester(a, b, t),
)


# ------------------------------------------------------------------------ sqrtm
_SQRTM_ITERATIONS = 100


def _sqrtm_fwd(a):
    a = np.asarray(a)
    _check_square("sqrtm", a=a)
    dtype = np.result_type(a, np.float16)
    a = a.astype(np.float64)
    n = a.shape[0]
    if n == 0:
        return a.astype(dtype)
    eigenvalues = np.linalg.eigvals(a)
    if np.any((np.abs(eigenvalues.imag) <= 1e-12 * np.abs(eigenvalues).max(initial=1.0))
              & (eigenvalues.real <= 0)):
        raise np.linalg.LinAlgError(
            "sqrtm: the matrix has a real eigenvalue <= 0, so it has no real principal "
            "square root (SciPy would return a complex matrix; chainrule is real-only)")
    eye = np.eye(n)
    m, y = a.copy(), a.copy()
    for _ in range(_SQRTM_ITERATIONS):
        m_inv = np.linalg.inv(m)
        mu = abs(np.linalg.det(m)) ** (-1.0 / (2 * n))
        y = 0.5 * mu * y @ (eye + m_inv / mu**2)
        m = 0.5 * (eye + 0.5 * (mu**2 * m + m_inv / mu**2))
        if np.linalg.norm(m - eye, 1) <= 1e-15 * n:
            break
    return y.astype(dtype, copy=False)


def _spd(rng):
    x = rng.standard_normal((3, 3))
    return (x @ x.T + 3 * np.eye(3),), {}


sqrtm = primitive(
    "sqrtm", _sqrtm_fwd,
    domain=Example(_spd),
    statement=S.Statement(
        forward="X = A^(1/2), the principal square root (X X = A, eigenvalues of X in the "
        "right half-plane)",
        vjp="A_bar = solve_sylvester(X^T, X^T, G)  (from X dX + dX X = dA)",
        latex_forward=r"X = A^{1/2}",
        latex_vjp=r"\bar A = \operatorname{syl}(X^\top, X^\top, \bar X)",
    ),
).defvjp(
    lambda g, ans, a: solve_sylvester(_mT(ans), _mT(ans), g),
).defjvp(
    lambda t, ans, a: solve_sylvester(ans, ans, t),
)
