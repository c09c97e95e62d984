"""The matrix exponential: scaling and squaring with Padé approximants (Higham 2005).

``expm(a)`` acts on the last two axes (a stack of square matrices). Each matrix is scaled
by 2^-s until its 1-norm is below the threshold of a Padé approximant of degree 3, 5, 7,
9 or 13, the approximant r(A) = (V - U)^-1 (V + U) is evaluated, and the result squared
s times. The thresholds are the published ones (Higham, "The scaling and squaring method
for the matrix exponential revisited", SIAM J. Matrix Anal. Appl. 26, 2005), which bound
the backward error by the double-precision unit roundoff.

Derivative: the Fréchet derivative L(A, E) = d/dt exp(A + tE) is the upper-right block of
exp([[A, E], [0, A]]), and its adjoint is L(A^T, G). Both are computed with this same
primitive, so they differentiate again (docs/derivations.md, "The matrix exponential").
"""

from __future__ import annotations

import math

import numpy as np

from .. import batching as B
from .. import statements as S
from ..domains import Example
from ..rules import primitive
from .decompositions import _mT, _values, lapack
from .shape import concatenate

# Largest 1-norm for which the Padé approximant of each degree is accurate to double
# precision without scaling.
_THETA = {3: 1.495585217958292e-2, 5: 2.539398330063230e-1, 7: 9.504178996162932e-1,
          9: 2.097847961257068e0, 13: 5.371920351148152e0}


def _pade_coefficients(m):
    """b_j of the [m/m] Padé approximant of exp, normalised to b_0 = 1."""
    f = math.factorial
    return [f(2 * m - j) * f(m) / (f(2 * m) * f(j) * f(m - j)) for j in range(m + 1)]


_PADE = {m: _pade_coefficients(m) for m in _THETA}


def _pade(a, m):
    """(U, V): the odd and even parts of the degree-m Padé numerator at a."""
    b = _PADE[m]
    eye = np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)
    a2 = a @ a
    if m == 13:
        a4 = a2 @ a2
        a6 = a4 @ a2
        u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2)
                 + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye)
        v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 \
            + b[0] * eye
        return u, v
    powers = [eye, a2]
    while len(powers) <= m // 2:
        powers.append(powers[-1] @ a2)
    u = a @ sum(b[2 * i + 1] * powers[i] for i in range(m // 2 + 1))
    v = sum(b[2 * i] * powers[i] for i in range(m // 2 + 1))
    return u, v


def _expm_fwd(a):
    a = np.asarray(a)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"expm: expected square matrices (..., n, n), got shape {a.shape}")
    if a.size == 0:
        return np.zeros(a.shape, dtype=np.result_type(a, np.float32))
    if a.dtype.kind not in "f":
        a = a.astype(np.float64)
    norm = np.abs(a).sum(axis=-2).max(axis=-1)  # 1-norm of each matrix
    finite = np.isfinite(norm)
    top = float(norm[finite].max()) if finite.any() else 0.0
    for m in (3, 5, 7, 9):
        if top <= _THETA[m]:
            u, v = _pade(a, m)
            return np.linalg.solve(v - u, v + u)
    # Degree 13 after scaling each matrix by 2^-s_i so that its norm is at most theta_13.
    ratio = np.where(finite, norm, 0.0) / _THETA[13]
    s = np.where(ratio > 1, np.ceil(np.log2(np.maximum(ratio, 1.0))), 0).astype(int)
    scaled = a * np.exp2(-s).astype(a.dtype)[..., None, None]
    u, v = _pade(scaled, 13)
    r = np.linalg.solve(v - u, v + u)
    for step in range(int(s.max())):
        r = np.where((step < s)[..., None, None], r @ r, r)
    return r


def _frechet(a, e):
    """L(a, e), the derivative of expm at a in the direction e: exp([[a, e], [0, a]])'s
    upper-right block. e is first scaled by a power of two to a's norm (exact), so that
    a large or tiny direction does not change how the block is scaled and squared."""
    n = np.shape(a)[-1]
    dtype = _values(e).dtype
    size_a = np.abs(_values(a)).astype(np.float64).sum(axis=-2).max(axis=-1, initial=0.0)
    size_e = np.abs(_values(e)).astype(np.float64).sum(axis=-2).max(axis=-1, initial=0.0)
    with np.errstate(divide="ignore"):
        power = np.round(np.log2(np.maximum(size_a, 1.0) / np.where(size_e > 0, size_e, 1.0)))
    limit = np.finfo(dtype).maxexp - 2  # keep 2^power and its inverse finite in dtype
    c = np.exp2(np.clip(power, -limit, limit)).astype(dtype)[..., None, None]
    zeros = np.zeros(np.shape(a), _values(a).dtype)
    block = concatenate([concatenate([a, e * c], axis=-1), concatenate([zeros, a], axis=-1)],
                        axis=-2)
    return expm(block)[..., :n, n:] / c


def _example(rng):
    return (rng.standard_normal((3, 3)),), {}


expm = primitive(
    "expm", lapack("expm", _expm_fwd),
    batch=B.matrix_rule,
    domain=Example(_example),
    statement=S.Statement(
        forward="Y = exp(A) = sum_k A^k / k! (scaling and squaring with Padé approximants)",
        vjp="A_bar = L(A^T, G), the Fréchet derivative at A^T: the upper-right block of "
        "exp([[A^T, G], [0, A^T]])",
        latex_forward=r"Y = e^{A} = \sum_{k \ge 0} A^k / k!",
        latex_vjp=r"\bar A = L(A^\top, \bar Y) = \int_0^1 e^{sA^\top} \bar Y e^{(1-s)A^\top} ds",
        jacobian="dY = L(A, dA) = the upper-right block of exp([[A, dA], [0, A]])",
        latex_jacobian=r"dY = \left[\exp\begin{pmatrix} A & dA \\ 0 & A \end{pmatrix}"
        r"\right]_{12}",
    ),
).defvjp(lambda g, ans, a: _frechet(_mT(a), g)).defjvp(lambda t, ans, a: _frechet(a, t))
