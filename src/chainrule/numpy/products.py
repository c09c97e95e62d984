"""NumPy's products and matrix parts: dot, einsum, tensordot, outer, kron, cross, diagonal."""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from .dispatch import as_dtype as _as_dtype
from .dispatch import no_out as _no_out
from .dispatch import numpy_function as _numpy_function
from .manipulation import moveaxis


@_numpy_function(np.dot)
def dot(a, b, out=None):
    """NumPy's dot: product of scalars, inner product, matmul, or sum over a's last axis."""
    _no_out("dot", out)
    return P.dot(a, b)


@_numpy_function(np.vdot)
def vdot(a, b):
    """Inner product of the flattened arrays."""
    return P.sum(P.reshape(a, (-1,)) * P.reshape(b, (-1,)))


@_numpy_function(np.einsum)
def einsum(subscripts, *operands, out=None, optimize=False, **kwargs):
    """Einstein summation over string subscripts ('ij,jk->ik')."""
    _no_out("einsum", out)
    if not isinstance(subscripts, str) or kwargs:
        raise TypeError("einsum: on chainrule tensors, pass the subscripts as a string")
    return P.einsum(subscripts, *operands)


@_numpy_function(np.tensordot)
def tensordot(a, b, axes=2):
    """Sum over the last `axes` axes of a and the first `axes` axes of b (or given pairs)."""
    return P.tensordot(a, b, axes)


@_numpy_function(np.outer)
def outer(a, b, out=None):
    """out[i, j] = a[i] * b[j] over the flattened inputs."""
    _no_out("outer", out)
    return P.outer(a, b)


@_numpy_function(np.inner)
def inner(a, b):
    """Sum product over the last axes."""
    return P.inner(a, b)


@_numpy_function(np.kron)
def kron(a, b):
    """Kronecker product."""
    return P.kron(a, b)


@_numpy_function(np.cross)
def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 3-vectors."""
    if axis is not None:
        axisa = axisb = axisc = axis
    c = P.cross(moveaxis(a, axisa, -1), moveaxis(b, axisb, -1), axis=-1)
    return moveaxis(c, -1, axisc)


@_numpy_function(np.diag)
def diag(v, k=0):
    """1-D input: a matrix with v on diagonal k. 2-D input: its diagonal k."""
    return P.diag(v, k)


@_numpy_function(np.diagonal)
def diagonal(a, offset=0, axis1=0, axis2=1):
    """The diagonal of the axis1/axis2 planes, as the last axis."""
    return P.diagonal(a, offset, axis1, axis2)


@_numpy_function(np.trace)
def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """Sum along a diagonal."""
    _no_out("trace", out)
    return _as_dtype(P.trace(a, offset, axis1, axis2), dtype)


@_numpy_function(np.triu)
def triu(m, k=0):
    """Upper triangle (j >= i + k), the rest zero."""
    return P.triu(m, k)


@_numpy_function(np.tril)
def tril(m, k=0):
    """Lower triangle (j <= i + k), the rest zero."""
    return P.tril(m, k)
