"""NumPy's products and matrix parts: dot, einsum, tensordot, outer, kron, cross, diagonal."""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from . import compat, dispatch
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
    """Einstein summation: string subscripts ('ij,jk->ik', 'ii->i') or NumPy's sublist
    form einsum(a, [0, 1], b, [1, 2]); `optimize` is accepted and has no effect."""
    _no_out("einsum", out)
    if kwargs:
        raise TypeError(f"einsum: {', '.join(sorted(kwargs))} not supported on chainrule tensors")
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
    return _as_dtype(P.trace(_as_dtype(a, dtype), offset, axis1, axis2), dtype)


@_numpy_function(np.triu)
def triu(m, k=0):
    """Upper triangle (j >= i + k), the rest zero."""
    return P.triu(m, k)


@_numpy_function(np.tril)
def tril(m, k=0):
    """Lower triangle (j <= i + k), the rest zero."""
    return P.tril(m, k)


# NumPy 2's vector/matrix gufuncs; `axis` as NumPy's gufuncs take it for vecdot.
def _gufunc(npfunc, impl):
    name = npfunc.__name__

    def f(x1, x2, /, out=None, **kwargs):
        if not (dispatch.any_tensor((x1, x2))):
            return npfunc(x1, x2, out=out, **kwargs)
        _no_out(name, out)
        return impl(dispatch.graph.array_like(x1), dispatch.graph.array_like(x2), **kwargs)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = impl.__doc__
    dispatch.UFUNCS[npfunc] = f
    return f


def _vecdot(x1, x2, axis=-1):
    """Dot product of vectors along `axis` (the last by default), broadcasting the rest."""
    return P.sum(x1 * x2, axis=axis)


def _matvec(x1, x2):
    """Matrix-vector product over the last axes: (..., m, n) (..., n) -> (..., m)."""
    return P.squeeze(P.matmul(x1, P.expand_dims(x2, -1)), -1)


def _vecmat(x1, x2):
    """Vector-matrix product over the last axes: (..., n) (..., n, m) -> (..., m)."""
    return P.squeeze(P.matmul(P.expand_dims(x1, -2), x2), -2)


vecdot = _gufunc(np.vecdot, _vecdot)
matvec = _gufunc(compat.matvec, _matvec)
vecmat = _gufunc(compat.vecmat, _vecmat)
