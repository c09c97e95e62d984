"""NumPy's names and signatures over chainrule's differentiable operations.

    import chainrule as cr
    import chainrule.numpy as cnp

    def f(x):
        return cnp.sum(cnp.tanh(x) ** 2)

    cr.grad(f)(np.ones(3))

Every function runs NumPy itself, and returns exactly what NumPy returns, when none
of its arguments is a chainrule tensor. Given a tensor (as it is under a transform)
it runs the differentiable version instead, which records. Array creation (zeros,
ones, arange, linspace, eye, ...), ``random`` (numpy.random), constants and the index
helpers r_, c_, s_ are NumPy's own.

On tensors, ``out=`` cannot receive a result (a traced value is not an ndarray): use
the return value. Non-differentiable functions (comparisons, floor, sign, argmax,
argsort, ...) run on the values and their results carry no gradient; they are the
primitives in ``chainrule.rules.NONDIFFERENTIABLE``.
"""

from __future__ import annotations

import builtins
import math

import numpy as np
from numpy import (  # noqa: F401  (re-exported as NumPy's own)
    allclose,
    arange,
    argwhere,
    array_equal,
    bool_,
    c_,
    complex128,
    count_nonzero,
    diag_indices,
    e,
    empty,
    empty_like,
    euler_gamma,
    eye,
    finfo,
    flatnonzero,
    float16,
    float32,
    float64,
    full,
    full_like,
    geomspace,
    identity,
    iinfo,
    index_exp,
    inf,
    int8,
    int16,
    int32,
    int64,
    intp,
    isneginf,
    isposinf,
    isscalar,
    ix_,
    linspace,
    logspace,
    meshgrid,
    ndarray,
    ndim,
    newaxis,
    nonzero,
    ones,
    ones_like,
    pi,
    r_,
    random,
    ravel_multi_index,
    result_type,
    s_,
    searchsorted,
    size,
    tri,
    tril_indices,
    triu_indices,
    uint8,
    unravel_index,
    zeros,
    zeros_like,
)

from .. import primitives as P
from ..graph import is_tensor, new_tensor
from . import dispatch, linalg

# ------------------------------------------------------------------ plumbing
_numpy_function = dispatch.numpy_function
_ufunc = dispatch.ufunc
_no_out = dispatch.no_out
_as_dtype = dispatch.as_dtype


def _real_only(x):
    if is_tensor(x) and x.data.dtype.kind == "c":
        raise TypeError("chainrule differentiates real values only; got a complex tensor")
    return x


def _identity(x):
    return _real_only(x)


def _scale(c):
    return lambda x: x * c


def _normalize_axes(axes, nd, name):
    if isinstance(axes, (int, np.integer)):
        axes = (axes,)
    out = []
    for a in axes:
        if not -nd <= a < builtins.max(nd, 1):
            raise np.exceptions.AxisError(int(a), nd)
        out.append(int(a) % builtins.max(nd, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: repeated axis in {axes}")
    return out


# ------------------------------------------------------------------ ufuncs
add = _ufunc(np.add, P.add)
subtract = _ufunc(np.subtract, P.subtract)
multiply = _ufunc(np.multiply, P.multiply)
divide = _ufunc(np.divide, P.divide)
true_divide = divide
negative = _ufunc(np.negative, P.negative)
positive = _ufunc(np.positive, P.copy)
power = _ufunc(np.power, P.power)
pow = power
matmul = _ufunc(np.matmul, P.matmul)
exp = _ufunc(np.exp, P.exp)
exp2 = _ufunc(np.exp2, P.exp2)
expm1 = _ufunc(np.expm1, P.expm1)
log = _ufunc(np.log, P.log)
log2 = _ufunc(np.log2, P.log2)
log10 = _ufunc(np.log10, P.log10)
log1p = _ufunc(np.log1p, P.log1p)
sqrt = _ufunc(np.sqrt, P.sqrt)
cbrt = _ufunc(np.cbrt, P.cbrt)
square = _ufunc(np.square, P.square)
reciprocal = _ufunc(np.reciprocal, P.reciprocal)
sin = _ufunc(np.sin, P.sin)
cos = _ufunc(np.cos, P.cos)
tan = _ufunc(np.tan, P.tan)
arcsin = _ufunc(np.arcsin, P.arcsin)
arccos = _ufunc(np.arccos, P.arccos)
arctan = _ufunc(np.arctan, P.arctan)
sinh = _ufunc(np.sinh, P.sinh)
cosh = _ufunc(np.cosh, P.cosh)
tanh = _ufunc(np.tanh, P.tanh)
arcsinh = _ufunc(np.arcsinh, P.arcsinh)
arccosh = _ufunc(np.arccosh, P.arccosh)
arctanh = _ufunc(np.arctanh, P.arctanh)
asin, acos, atan = arcsin, arccos, arctan
asinh, acosh, atanh = arcsinh, arccosh, arctanh
absolute = _ufunc(np.absolute, P.abs)
abs = absolute
fabs = _ufunc(np.fabs, P.abs)
maximum = _ufunc(np.maximum, P.maximum)
minimum = _ufunc(np.minimum, P.minimum)
fmax = _ufunc(np.fmax, P.fmax)
fmin = _ufunc(np.fmin, P.fmin)
logaddexp = _ufunc(np.logaddexp, P.logaddexp)
logaddexp2 = _ufunc(np.logaddexp2, P.logaddexp2)
hypot = _ufunc(np.hypot, P.hypot)
arctan2 = _ufunc(np.arctan2, P.arctan2)
atan2 = arctan2
mod = _ufunc(np.mod, P.mod)
remainder = mod
fmod = _ufunc(np.fmod, P.fmod)
deg2rad = _ufunc(np.deg2rad, _scale(math.pi / 180))
radians = _ufunc(np.radians, _scale(math.pi / 180))
rad2deg = _ufunc(np.rad2deg, _scale(180 / math.pi))
degrees = _ufunc(np.degrees, _scale(180 / math.pi))
conjugate = _ufunc(np.conjugate, _identity)
conj = conjugate

# Non-differentiable ufuncs: their outputs carry no gradient.
sign = _ufunc(np.sign, P.sign)
floor = _ufunc(np.floor, P.floor)
ceil = _ufunc(np.ceil, P.ceil)
trunc = _ufunc(np.trunc, P.trunc)
rint = _ufunc(np.rint, P.rint)
signbit = _ufunc(np.signbit, P.signbit)
isfinite = _ufunc(np.isfinite, P.isfinite)
isnan = _ufunc(np.isnan, P.isnan)
isinf = _ufunc(np.isinf, P.isinf)
greater = _ufunc(np.greater, P.greater)
greater_equal = _ufunc(np.greater_equal, P.greater_equal)
less = _ufunc(np.less, P.less)
less_equal = _ufunc(np.less_equal, P.less_equal)
equal = _ufunc(np.equal, P.equal)
not_equal = _ufunc(np.not_equal, P.not_equal)
logical_and = _ufunc(np.logical_and, P.logical_and)
logical_or = _ufunc(np.logical_or, P.logical_or)
logical_not = _ufunc(np.logical_not, P.logical_not)
logical_xor = _ufunc(np.logical_xor, P.logical_xor)


# ------------------------------------------------- elementwise, not ufuncs
@_numpy_function(np.sinc)
def sinc(x):
    """sin(pi x) / (pi x), 1 at 0."""
    return P.sinc(x)


@_numpy_function(np.round)
def round(a, decimals=0, out=None):
    """Round to `decimals` places (no gradient)."""
    _no_out("round", out)
    return P.round(a, decimals=decimals)


@_numpy_function(np.around)
def around(a, decimals=0, out=None):
    """Round to `decimals` places (no gradient)."""
    return round(a, decimals, out)


@_numpy_function(np.fix)
def fix(x, out=None):
    """Round toward zero (no gradient)."""
    _no_out("fix", out)
    return P.trunc(x)


@_numpy_function(np.real)
def real(val):
    """The real part: the value itself for real input."""
    return _real_only(val)


@_numpy_function(np.imag)
def imag(val):
    """The imaginary part: zeros (a constant) for real input."""
    return new_tensor(np.zeros_like(_real_only(val).data))


@_numpy_function(np.nan_to_num)
def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """NaN and infinities replaced by numbers; the gradient passes where x is finite."""
    fill = np.nan_to_num(x.data, nan=nan, posinf=posinf, neginf=neginf)
    return P.where(P.isfinite(x), x, fill)


@_numpy_function(np.isclose)
def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise |a - b| <= atol + rtol |b| (no gradient)."""
    return P.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


@_numpy_function(np.clip)
def clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None):
    """Values limited to [a_min, a_max]; the gradient flows to whichever value is returned.

    Inside the bounds (bounds included) it flows to `a`; outside, to the bound.
    """
    _no_out("clip", out)
    lo = a_min if min is None else min
    hi = a_max if max is None else max
    if not is_tensor(lo) and not is_tensor(hi):
        return P.clip(a, lo, hi)
    r = a
    if lo is not None:
        r = P.where(P.less(r, lo), lo, r)
    if hi is not None:
        r = P.where(P.greater(r, hi), hi, r)
    return r


@_numpy_function(np.where)
def where(condition, x=None, y=None):
    """x where condition holds, else y; with the condition alone, its nonzero indices."""
    if x is None and y is None:
        return np.nonzero(condition.data if is_tensor(condition) else condition)
    return P.where(condition, x, y)


@_numpy_function(np.select)
def select(condlist, choicelist, default=0):
    """choicelist[i] where condlist[i] is the first true condition, else default."""
    if len(condlist) != len(choicelist):
        raise ValueError("select: condlist and choicelist must have the same length")
    r = default
    for cond, choice in reversed(list(zip(condlist, choicelist))):
        r = P.where(cond, choice, r)
    target = np.broadcast_shapes(*[np.shape(c) for c in [*condlist, *choicelist]])
    return P.broadcast_to(r, target) if np.shape(r) != target else r


# -------------------------------------------------------------- reductions
@_numpy_function(np.sum)
def sum(a, axis=None, dtype=None, out=None, keepdims=False):
    """Sum of elements over `axis`."""
    _no_out("sum", out)
    return _as_dtype(P.sum(a, axis=axis, keepdims=keepdims), dtype)


@_numpy_function(np.mean)
def mean(a, axis=None, dtype=None, out=None, keepdims=False):
    """Arithmetic mean over `axis`."""
    _no_out("mean", out)
    return _as_dtype(P.mean(a, axis=axis, keepdims=keepdims), dtype)


@_numpy_function(np.prod)
def prod(a, axis=None, dtype=None, out=None, keepdims=False):
    """Product of elements over `axis` (exact gradient with zeros)."""
    _no_out("prod", out)
    return _as_dtype(P.prod(a, axis=axis, keepdims=keepdims), dtype)


@_numpy_function(np.max)
def max(a, axis=None, out=None, keepdims=False):
    """Maximum over `axis`; tied maxima share the gradient."""
    _no_out("max", out)
    return P.max(a, axis=axis, keepdims=keepdims)


@_numpy_function(np.amax)
def amax(a, axis=None, out=None, keepdims=False):
    """Maximum over `axis` (alias of max)."""
    return max(a, axis, out, keepdims)


@_numpy_function(np.min)
def min(a, axis=None, out=None, keepdims=False):
    """Minimum over `axis`; tied minima share the gradient."""
    _no_out("min", out)
    return P.min(a, axis=axis, keepdims=keepdims)


@_numpy_function(np.amin)
def amin(a, axis=None, out=None, keepdims=False):
    """Minimum over `axis` (alias of min)."""
    return min(a, axis, out, keepdims)


@_numpy_function(np.ptp)
def ptp(a, axis=None, out=None, keepdims=False):
    """Range max - min over `axis`."""
    _no_out("ptp", out)
    return P.max(a, axis=axis, keepdims=keepdims) - P.min(a, axis=axis, keepdims=keepdims)


@_numpy_function(np.var)
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    """Variance: mean squared deviation, over (n - ddof)."""
    _no_out("var", out)
    return _as_dtype(P.var(a, axis=axis, keepdims=keepdims, ddof=ddof), dtype)


@_numpy_function(np.std)
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    """Standard deviation: sqrt(var)."""
    _no_out("std", out)
    return _as_dtype(P.std(a, axis=axis, keepdims=keepdims, ddof=ddof), dtype)


@_numpy_function(np.average)
def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """Weighted mean sum(w a) / sum(w) over `axis` (the plain mean without weights)."""
    if weights is None:
        avg = P.mean(a, axis=axis, keepdims=keepdims)
        if not returned:
            return avg
        count = np.size(a) // builtins.max(avg.data.size, 1)
        return avg, np.full(avg.shape, count, dtype=avg.data.dtype)
    w = weights
    if np.ndim(w) == 1 and np.ndim(a) > 1:
        if axis is None or isinstance(axis, tuple):
            raise TypeError("average: 1-D weights need an integer axis")
        view = [1] * np.ndim(a)
        view[axis] = np.shape(w)[0]
        w = P.reshape(w, tuple(view))
    norm = P.sum(P.broadcast_to(w, np.broadcast_shapes(np.shape(a), np.shape(w))),
                 axis=axis, keepdims=keepdims)
    avg = P.sum(a * w, axis=axis, keepdims=keepdims) / norm
    return (avg, norm) if returned else avg


@_numpy_function(np.cumsum)
def cumsum(a, axis=None, dtype=None, out=None):
    """Running sum along `axis` (of the flattened array when axis is None)."""
    _no_out("cumsum", out)
    return _as_dtype(P.cumsum(a, axis=axis), dtype)


@_numpy_function(np.cumprod)
def cumprod(a, axis=None, dtype=None, out=None):
    """Running product along `axis` (of the flattened array when axis is None)."""
    _no_out("cumprod", out)
    return _as_dtype(P.cumprod(a, axis=axis), dtype)


@_numpy_function(np.argmax)
def argmax(a, axis=None, out=None, *, keepdims=False):
    """Index of the maximum (no gradient)."""
    _no_out("argmax", out)
    return P.argmax(a, axis=axis, keepdims=keepdims)


@_numpy_function(np.argmin)
def argmin(a, axis=None, out=None, *, keepdims=False):
    """Index of the minimum (no gradient)."""
    _no_out("argmin", out)
    return P.argmin(a, axis=axis, keepdims=keepdims)


@_numpy_function(np.argsort)
def argsort(a, axis=-1, kind=None, order=None, *, stable=None):
    """The permutation that sorts `a` along `axis` (no gradient)."""
    return P.argsort(a, axis=axis, kind="stable" if stable else kind)


@_numpy_function(np.argpartition)
def argpartition(a, kth, axis=-1, kind="introselect", order=None):
    """The permutation that partitions `a` around its kth element (no gradient)."""
    return P.argpartition(a, kth, axis=axis)


@_numpy_function(np.sort)
def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    """Sorted copy; each element's gradient follows it to its sorted place."""
    return P.sort(a, axis=axis, kind="stable" if stable else kind)


@_numpy_function(np.partition)
def partition(a, kth, axis=-1, kind="introselect", order=None):
    """Partitioned copy: the kth elements in sorted position, gradient by gather."""
    return P.partition(a, kth, axis=axis)


# ------------------------------------------------------------ linear algebra
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


# -------------------------------------------------------------- shape ops
@_numpy_function(np.reshape)
def reshape(a, shape=None, order="C", *, copy=None):
    """The same values in a new shape (C order)."""
    if order != "C":
        raise NotImplementedError("reshape: only order='C' is supported on chainrule tensors")
    return P.reshape(a, (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape))


@_numpy_function(np.ravel)
def ravel(a, order="C"):
    """The values as a 1-D array (C order)."""
    return reshape(a, -1, order)


@_numpy_function(np.transpose)
def transpose(a, axes=None):
    """Axes permuted (reversed by default)."""
    return P.transpose(a, None if axes is None else tuple(axes))


permute_dims = transpose


@_numpy_function(np.matrix_transpose)
def matrix_transpose(x):
    """Transpose of the last two axes."""
    return P.swapaxes(x, -1, -2)


@_numpy_function(np.moveaxis)
def moveaxis(a, source, destination):
    """Axes moved from `source` to `destination`, the others kept in order."""
    nd = np.ndim(a)
    src = _normalize_axes(source, nd, "moveaxis")
    dst = _normalize_axes(destination, nd, "moveaxis")
    if len(src) != len(dst):
        raise ValueError("moveaxis: source and destination must name the same number of axes")
    order = [n for n in range(nd) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return P.transpose(a, tuple(order))


@_numpy_function(np.rollaxis)
def rollaxis(a, axis, start=0):
    """Axis `axis` moved to position `start`."""
    nd = np.ndim(a)
    axis = _normalize_axes(axis, nd, "rollaxis")[0]
    if start < 0:
        start += nd
    if axis < start:
        start -= 1
    if axis == start:
        return a
    axes = [i for i in range(nd) if i != axis]
    axes.insert(start, axis)
    return P.transpose(a, tuple(axes))


@_numpy_function(np.swapaxes)
def swapaxes(a, axis1, axis2):
    """Two axes exchanged."""
    return P.swapaxes(a, axis1, axis2)


@_numpy_function(np.squeeze)
def squeeze(a, axis=None):
    """Length-1 axes removed."""
    return P.squeeze(a, axis)


@_numpy_function(np.expand_dims)
def expand_dims(a, axis):
    """Length-1 axes inserted at `axis` (an int or a tuple)."""
    return P.reshape(a, np.expand_dims(np.empty(np.shape(a), dtype=bool), axis).shape)


@_numpy_function(np.broadcast_to)
def broadcast_to(array, shape, subok=False):
    """The array broadcast to `shape`; the gradient sums over the broadcast axes."""
    return P.broadcast_to(array, (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape))


@_numpy_function(np.broadcast_arrays)
def broadcast_arrays(*args, subok=False):
    """All arguments broadcast to their common shape."""
    target = np.broadcast_shapes(*[np.shape(a) for a in args])
    return tuple(P.broadcast_to(a, target) for a in args)


@_numpy_function(np.concatenate)
def concatenate(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """Arrays joined along an existing axis (flattened first when axis is None)."""
    _no_out("concatenate", out)
    return _as_dtype(P.concatenate(list(arrays), axis=axis), dtype)


concat = concatenate


@_numpy_function(np.stack)
def stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """Same-shaped arrays joined along a new axis."""
    _no_out("stack", out)
    return _as_dtype(P.stack(list(arrays), axis=axis), dtype)


@_numpy_function(np.atleast_1d)
def atleast_1d(*arys):
    """Each input with at least one axis."""
    out = [P.reshape(a, (1,)) if np.ndim(a) == 0 else a for a in arys]
    return out[0] if len(out) == 1 else tuple(out)


@_numpy_function(np.atleast_2d)
def atleast_2d(*arys):
    """Each input with at least two axes (a 1-D array becomes a row)."""
    out = [P.reshape(a, (1,) * (2 - np.ndim(a)) + np.shape(a)) if np.ndim(a) < 2 else a
           for a in arys]
    return out[0] if len(out) == 1 else tuple(out)


@_numpy_function(np.atleast_3d)
def atleast_3d(*arys):
    """Each input with at least three axes: (1, 1, 1), (1, n, 1), (m, n, 1)."""
    out = []
    for a in arys:
        s = np.shape(a)
        if len(s) == 0:
            a = P.reshape(a, (1, 1, 1))
        elif len(s) == 1:
            a = P.reshape(a, (1, s[0], 1))
        elif len(s) == 2:
            a = P.reshape(a, s + (1,))
        out.append(a)
    return out[0] if len(out) == 1 else tuple(out)


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


@_numpy_function(np.hstack)
def hstack(tup, *, dtype=None, casting="same_kind"):
    """Arrays joined column-wise (along axis 1; along axis 0 for 1-D inputs)."""
    arrs = _as_tuple(atleast_1d(*tup))
    axis = 0 if arrs and np.ndim(arrs[0]) == 1 else 1
    return _as_dtype(P.concatenate(list(arrs), axis=axis), dtype)


@_numpy_function(np.vstack)
def vstack(tup, *, dtype=None, casting="same_kind"):
    """Arrays joined row-wise (1-D inputs become rows)."""
    return _as_dtype(P.concatenate(list(_as_tuple(atleast_2d(*tup))), axis=0), dtype)


# NumPy deprecated row_stack in favour of vstack, which it runs.
row_stack = vstack


@_numpy_function(np.dstack)
def dstack(tup):
    """Arrays joined along the third axis."""
    return P.concatenate(list(_as_tuple(atleast_3d(*tup))), axis=2)


@_numpy_function(np.column_stack)
def column_stack(tup):
    """1-D arrays as columns (and 2-D arrays as they are) joined along axis 1."""
    cols = [P.reshape(a, (-1, 1)) if np.ndim(a) < 2 else a for a in tup]
    return P.concatenate(cols, axis=1)


def _pieces(x, boundaries, axis):
    nd = np.ndim(x)
    axis = _normalize_axes(axis, nd, "split")[0]
    out = []
    lead = (slice(None),) * axis
    for lo, hi in zip(boundaries[:-1], boundaries[1:]):
        out.append(P.getitem(x, lead + (slice(int(lo), int(hi)),)))
    return out


def _split_points(n, indices_or_sections, exact):
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0:
            raise ValueError("split: number of sections must be larger than 0")
        if exact and n % k:
            raise ValueError("array split does not result in an equal division")
        base, extra = divmod(n, k)
        sizes = [base + 1] * extra + [base] * (k - extra)
        return np.concatenate([[0], np.cumsum(sizes)])
    idx = [builtins.min(builtins.max(int(i) if i >= 0 else int(i) + n, 0), n)
           for i in indices_or_sections]
    return [0] + idx + [n]


@_numpy_function(np.split)
def split(ary, indices_or_sections, axis=0):
    """Equal sections (or pieces between indices) along `axis`."""
    n = np.shape(ary)[axis]
    return _pieces(ary, _split_points(n, indices_or_sections, True), axis)


@_numpy_function(np.array_split)
def array_split(ary, indices_or_sections, axis=0):
    """Like split, but sections may differ in length by one."""
    n = np.shape(ary)[axis]
    return _pieces(ary, _split_points(n, indices_or_sections, False), axis)


@_numpy_function(np.hsplit)
def hsplit(ary, indices_or_sections):
    """Split along axis 1 (axis 0 for 1-D input)."""
    return split(ary, indices_or_sections, 1 if np.ndim(ary) > 1 else 0)


@_numpy_function(np.vsplit)
def vsplit(ary, indices_or_sections):
    """Split along axis 0 (input of at least 2 axes)."""
    if np.ndim(ary) < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return split(ary, indices_or_sections, 0)


@_numpy_function(np.dsplit)
def dsplit(ary, indices_or_sections):
    """Split along axis 2 (input of at least 3 axes)."""
    if np.ndim(ary) < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return split(ary, indices_or_sections, 2)


@_numpy_function(np.tile)
def tile(A, reps):
    """A repeated reps times along each axis."""
    reps = _as_tuple(reps) if not isinstance(reps, list) else tuple(reps)
    shape = np.shape(A)
    d = builtins.max(len(reps), len(shape))
    shape = (1,) * (d - len(shape)) + shape
    reps = (1,) * (d - len(reps)) + tuple(int(r) for r in reps)
    # (1, s0, 1, s1, ...) broadcast to (r0, s0, r1, s1, ...), then merged pairwise.
    x = P.reshape(A, tuple(v for s in shape for v in (1, s)))
    x = P.broadcast_to(x, tuple(v for r, s in zip(reps, shape) for v in (r, s)))
    return P.reshape(x, tuple(r * s for r, s in zip(reps, shape)))


@_numpy_function(np.repeat)
def repeat(a, repeats, axis=None):
    """Each element repeated `repeats` times along `axis` (of the flattened array if None)."""
    if axis is None:
        a = P.reshape(a, (-1,))
        axis = 0
    n = np.shape(a)[axis]
    return P.take(a, np.repeat(np.arange(n), repeats), axis=axis)


@_numpy_function(np.flip)
def flip(m, axis=None):
    """Order of elements reversed along `axis` (all axes if None)."""
    return P.flip(m, axis)


@_numpy_function(np.flipud)
def flipud(m):
    """Rows reversed (axis 0)."""
    return P.flip(m, 0)


@_numpy_function(np.fliplr)
def fliplr(m):
    """Columns reversed (axis 1)."""
    return P.flip(m, 1)


@_numpy_function(np.roll)
def roll(a, shift, axis=None):
    """Elements shifted cyclically by `shift` along `axis` (the flattened array if None)."""
    if axis is None:
        return P.reshape(roll(P.reshape(a, (-1,)), shift, 0), np.shape(a))
    shifts, axes = np.broadcast_arrays(np.asarray(shift), np.asarray(axis))
    r = a
    nd = np.ndim(a)
    for s, ax in zip(shifts.ravel(), axes.ravel()):
        ax = int(ax) % nd
        n = np.shape(a)[ax]
        index = (slice(None),) * ax + ((np.arange(n) - int(s)) % n,)
        r = P.getitem(r, index)
    return r


@_numpy_function(np.rot90)
def rot90(m, k=1, axes=(0, 1)):
    """Rotation by 90 degrees k times in the plane of `axes`."""
    k %= 4
    a0, a1 = axes
    if k == 0:
        return m
    if k == 2:
        return P.flip(P.flip(m, a0), a1)
    perm = list(range(np.ndim(m)))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return P.transpose(P.flip(m, a1), tuple(perm))
    return P.flip(P.transpose(m, tuple(perm)), a1)


# Modes of np.pad that only rearrange existing values: padding the index ranges with
# the same mode and gathering gives the values, and the gradient scatters back.
_GATHER_PAD_MODES = ("edge", "reflect", "symmetric", "wrap")


@_numpy_function(np.pad)
def pad(array, pad_width, mode="constant", **kwargs):
    """Padded array; mode 'constant' or one that repeats values (edge, reflect, symmetric, wrap)."""
    if mode == "constant":
        return P.pad(array, pad_width, constant_values=kwargs.get("constant_values", 0))
    if mode not in _GATHER_PAD_MODES:
        raise NotImplementedError(
            f"pad: mode {mode!r} is not differentiable in chainrule; use one of "
            f"'constant', {', '.join(map(repr, _GATHER_PAD_MODES))}"
        )
    shape = np.shape(array)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (len(shape), 2))
    index = [np.pad(np.arange(n), tuple(w), mode=mode, **kwargs) for n, w in zip(shape, widths)]
    return P.getitem(array, np.ix_(*index))


@_numpy_function(np.append)
def append(arr, values, axis=None):
    """values appended to arr (both flattened when axis is None)."""
    if axis is None:
        return P.concatenate([P.reshape(arr, (-1,)), P.reshape(values, (-1,))], axis=0)
    return P.concatenate([arr, values], axis=axis)


_NO_VALUE = object()


@_numpy_function(np.diff)
def diff(a, n=1, axis=-1, prepend=_NO_VALUE, append=_NO_VALUE):
    """n-th discrete difference a[i+1] - a[i] along `axis`."""
    nd = np.ndim(a)
    axis = _normalize_axes(axis, nd, "diff")[0]
    parts = [a]
    if prepend is not _NO_VALUE:
        parts.insert(0, _edge(prepend, a, axis))
    if append is not _NO_VALUE:
        parts.append(_edge(append, a, axis))
    r = P.concatenate(parts, axis=axis) if len(parts) > 1 else a
    lead = (slice(None),) * axis
    for _ in range(n):
        r = P.getitem(r, lead + (slice(1, None),)) - P.getitem(r, lead + (slice(None, -1),))
    return r


def _edge(value, a, axis):
    # A scalar prepend/append value becomes a slab of length 1 along `axis`.
    if np.ndim(value) == 0:
        shape = list(np.shape(a))
        shape[axis] = 1
        return P.broadcast_to(value, tuple(shape))
    return value


@_numpy_function(np.take)
def take(a, indices, axis=None, out=None, mode="raise"):
    """Elements at `indices` along `axis`; repeated indices accumulate gradient."""
    _no_out("take", out)
    if mode != "raise":
        raise NotImplementedError("take: only mode='raise' is supported on chainrule tensors")
    return P.take(a, indices, axis=axis)


@_numpy_function(np.take_along_axis)
def take_along_axis(arr, indices, axis=-1):
    """Elements picked along `axis` by an index array of matching rank."""
    if axis is None:
        return P.take_along_axis(P.reshape(arr, (-1,)), indices, 0)
    return P.take_along_axis(arr, indices, axis)


@_numpy_function(np.copy)
def copy(a, order="K", subok=False):
    """A copy (its own buffer), differentiable."""
    return P.copy(a)


# ----------------------------------------------------------- array creation
def _stack_nested(obj):
    if is_tensor(obj):
        return obj
    if isinstance(obj, (list, tuple)):
        return P.stack([_stack_nested(o) for o in obj])
    return np.asarray(obj)


@_numpy_function(np.array)
def array(object, dtype=None, *, copy=True, order="K", subok=False, ndmin=0, like=None):
    """An array; a nested list holding chainrule tensors is stacked differentiably."""
    r = P.copy(object) if is_tensor(object) else _stack_nested(object)
    if np.ndim(r) < ndmin:
        r = P.reshape(r, (1,) * (ndmin - np.ndim(r)) + np.shape(r))
    return _as_dtype(r, dtype)


@_numpy_function(np.asarray)
def asarray(a, dtype=None, order=None, *, device=None, copy=None, like=None):
    """`a` as an array: a tensor is returned as it is (converted to dtype if given)."""
    r = a if is_tensor(a) else _stack_nested(a)
    if dtype is not None and np.dtype(dtype) != r.data.dtype:
        r = P.astype(r, dtype=np.dtype(dtype))
    return r


@_numpy_function(np.asanyarray)
def asanyarray(a, dtype=None, order=None, *, device=None, copy=None, like=None):
    """Like asarray."""
    return asarray(a, dtype)


# NumPy's own, assigned last: these names are also parameters of the functions above.
dtype = np.dtype
shape = np.shape
nan = np.nan
indices = np.indices
