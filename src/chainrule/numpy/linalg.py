"""numpy.linalg's names over chainrule's differentiable linear algebra.

As in :mod:`chainrule.numpy`: NumPy itself runs on plain values; on chainrule tensors
the differentiable versions run and record. Matrix functions act on the last two axes.
"""

from __future__ import annotations

import numpy as np
from numpy.linalg import LinAlgError  # noqa: F401  (re-exported as NumPy's own)

from .. import primitives as P
from ..graph import new_tensor as _new_tensor
from . import dispatch

_numpy_function = dispatch.numpy_function


@_numpy_function(np.linalg.norm)
def norm(x, ord=None, axis=None, keepdims=False):
    """Vector norms over one axis, matrix norms ('fro', 1, -1, inf, -inf) over two.

    The gradient at x = 0 is 0 (a subgradient) rather than NaN.
    """
    return P.norm(x, ord, axis, keepdims)


@_numpy_function(np.linalg.inv)
def inv(a):
    """Matrix inverse; d(A^-1) = -A^-1 dA A^-1."""
    return P.inv(a)


@_numpy_function(np.linalg.det)
def det(a):
    """Determinant; d det(A) = det(A) tr(A^-1 dA)."""
    return P.det(a)


@_numpy_function(np.linalg.slogdet)
def slogdet(a):
    """(sign, log|det(A)|); the log-determinant is differentiable, the sign is not."""
    return P.slogdet(a)


@_numpy_function(np.linalg.solve)
def solve(a, b):
    """x with A x = b (b a vector if 1-D, else a stack of matrices, as NumPy 2 reads it)."""
    return P.solve(a, b)


@_numpy_function(np.linalg.cholesky)
def cholesky(a, /, *, upper=False):
    """Lower-triangular L with A = L L^T (upper=True: L^T); A is treated as symmetric."""
    lower = P.cholesky(a)
    return P.swapaxes(lower, -1, -2) if upper else lower


@_numpy_function(np.linalg.pinv)
def pinv(a, rcond=None, hermitian=False):
    """Moore-Penrose pseudo-inverse; its derivative holds where the rank is constant."""
    return P.pinv(a, rcond=rcond, hermitian=hermitian)


@_numpy_function(np.linalg.matrix_power)
def matrix_power(a, n):
    """A^n by repeated squaring (n < 0 inverts first)."""
    if n < 0:
        a, n = P.inv(a), -n
    if n == 0:
        # A^0 = I whatever A is: a constant tensor (its derivative in A is exactly 0).
        eye = np.broadcast_to(np.eye(np.shape(a)[-1], dtype=a.data.dtype), np.shape(a))
        return _new_tensor(eye.copy())
    result = None
    power = a
    while n:
        if n & 1:
            result = power if result is None else P.matmul(result, power)
        n >>= 1
        if n:
            power = P.matmul(power, power)
    return result


@_numpy_function(np.linalg.multi_dot, sequences=("arrays",))
def multi_dot(arrays, *, out=None):
    """Product of a chain of matrices (1-D ends are vectors), left to right."""
    if out is not None:
        raise TypeError("multi_dot: out= cannot hold a result computed from chainrule tensors")
    arrays = list(arrays)
    result = arrays[0]
    for m in arrays[1:]:
        result = P.dot(result, m)
    return result


@_numpy_function(np.linalg.matrix_transpose)
def matrix_transpose(x):
    """Transpose of the last two axes."""
    return P.swapaxes(x, -1, -2)


@_numpy_function(np.linalg.trace)
def trace(x, /, *, offset=0, dtype=None):
    """Trace of each matrix in the stack (the last two axes)."""
    r = P.trace(x, offset, -2, -1)
    return r if dtype is None else P.astype(r, dtype=np.dtype(dtype))


@_numpy_function(np.linalg.diagonal)
def diagonal(x, /, *, offset=0):
    """Diagonal of each matrix in the stack (the last two axes)."""
    return P.diagonal(x, offset, -2, -1)


@_numpy_function(np.linalg.outer)
def outer(x1, x2, /):
    """Outer product of two vectors."""
    return P.outer(x1, x2)
