"""NumPy's polynomial functions over coefficient arrays (highest power first), all
differentiable in tensor coefficients and points: polyval, polyadd, polysub, polymul,
polydiv, polyder, polyint, poly (from roots), vander. Compositions of products and sums.
"""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from ..graph import is_tensor
from ..graph import values as _values
from .dispatch import numpy_function as _numpy_function


def _1d(a):
    return P.reshape(a, (1,)) if np.ndim(a) == 0 else a


@_numpy_function(np.polyval)
def polyval(p, x):
    """p[0] x^(n-1) + ... + p[n-1], by Horner's rule as NumPy evaluates it."""
    y = P.multiply(x, 0) if is_tensor(x) else np.zeros_like(np.asarray(x))
    for k in range(np.shape(p)[0]):
        y = y * x + p[k]
    return y


def _padded(a, n):
    """Coefficients `a` with leading zeros up to length n."""
    short = n - np.shape(a)[0]
    return P.pad(a, ((short, 0),)) if short else a


@_numpy_function(np.polyadd)
def polyadd(a1, a2):
    """Sum of two polynomials (the shorter padded with leading zeros)."""
    a1, a2 = _1d(a1), _1d(a2)
    n = max(np.shape(a1)[0], np.shape(a2)[0])
    return _padded(a1, n) + _padded(a2, n)


@_numpy_function(np.polysub)
def polysub(a1, a2):
    """Difference of two polynomials."""
    a1, a2 = _1d(a1), _1d(a2)
    n = max(np.shape(a1)[0], np.shape(a2)[0])
    return _padded(a1, n) - _padded(a2, n)


def _product(a, b):
    """Coefficients of a(x) b(x): c[k] = sum over i + j = k of a[i] b[j] (a convolution),
    an einsum against the constant 0/1 tensor that sends (i, j) to i + j."""
    m, n = np.shape(a)[0], np.shape(b)[0]
    lands = np.zeros((m, n, m + n - 1), dtype=np.result_type(_values(a), _values(b), 1.0))
    i, j = np.indices((m, n))
    lands[i, j, i + j] = 1
    return P.einsum("i,j,ijk->k", a, b, lands)


@_numpy_function(np.polymul)
def polymul(a1, a2):
    """Product of two polynomials."""
    return _product(_1d(a1), _1d(a2))


@_numpy_function(np.polydiv)
def polydiv(u, v):
    """(quotient, remainder) of polynomial long division, as NumPy computes them."""
    u, v = _1d(u) * 1.0, _1d(v) * 1.0
    m, n = np.shape(u)[0] - 1, np.shape(v)[0] - 1
    scale = 1.0 / v[0]
    r = [u[k] for k in range(m + 1)]
    q = []
    for k in range(max(m - n + 1, 0)):
        d = scale * r[k]
        q.append(d)
        for j in range(n + 1):
            r[k + j] = r[k + j] - d * v[j]
    quotient = P.stack(q) if q else P.multiply(u[:1], 0)
    rest = P.stack(r)
    while np.shape(rest)[0] > 1 and np.allclose(_values(rest)[0], 0, rtol=1e-14):
        rest = rest[1:]
    return quotient, rest


@_numpy_function(np.polyder)
def polyder(p, m=1):
    """The m-th derivative: each coefficient times its power."""
    m = int(m)
    if m < 0:
        raise ValueError("polyder: order of derivative must be positive (see polyint)")
    p = _1d(p)
    for _ in range(m):
        n = np.shape(p)[0] - 1
        if n <= 0:
            return P.multiply(p[:1], 0)
        p = p[:-1] * np.arange(n, 0, -1)
    return p


@_numpy_function(np.polyint)
def polyint(p, m=1, k=None):
    """The m-th antiderivative, with integration constants k (zeros by default)."""
    m = int(m)
    if m < 0:
        raise ValueError("polyint: order of integral must be positive (see polyder)")
    ks = [0.0] * m if k is None else (list(k) if np.ndim(k) else [k] * m)
    if len(ks) < m:
        raise ValueError("polyint: k must be a scalar or a sequence of length m")
    p = _1d(p)
    for step in range(m):
        n = np.shape(p)[0]
        scaled = p / np.arange(n, 0, -1)
        const = P.reshape(P.astype(P.multiply(ks[step], 1.0), dtype=scaled._data.dtype)
                          if is_tensor(ks[step]) else np.full(1, ks[step]), (1,))
        p = P.concatenate([scaled, const], axis=0)
    return p


@_numpy_function(np.poly)
def poly(seq_of_zeros):
    """Coefficients of the monic polynomial with the given roots (a 1-D array of roots)."""
    if np.ndim(seq_of_zeros) != 1:
        raise NotImplementedError(
            "poly: on chainrule tensors only a 1-D array of roots is supported (a matrix "
            "needs its eigenvalues: use cnp.linalg.eigvals first)"
        )
    a = np.ones(1)
    for k in range(np.shape(seq_of_zeros)[0]):
        a = _product(a, P.stack([P.multiply(seq_of_zeros[k], 0) + 1, -seq_of_zeros[k]]))
    return a


@_numpy_function(np.vander)
def vander(x, N=None, increasing=False):
    """Vandermonde matrix: columns x^(N-1), ..., x, 1 (reversed when increasing), built
    by running products as NumPy builds it."""
    n = np.shape(x)[0]
    N = n if N is None else int(N)
    dtype = np.result_type(_values(x), 1) if not is_tensor(x) else x._data.dtype
    columns = [np.ones((n, 1), dtype=dtype)] if N > 0 else []
    if N > 1:
        repeated = P.broadcast_to(P.reshape(x, (n, 1)), (n, N - 1))
        columns.append(P.cumprod(repeated, axis=1))
    if not columns:
        return P.multiply(P.reshape(x, (n, 1)), np.zeros((n, 0), dtype=dtype))
    out = P.concatenate(columns, axis=1) if len(columns) > 1 else P.multiply(
        P.reshape(x, (n, 1)), 0) + columns[0]
    return out if increasing else P.flip(out, axis=1)
