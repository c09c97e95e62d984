"""NumPy's ufuncs over chainrule's elementwise primitives (np.tanh(t) dispatches here too).

Each is NumPy's own ufunc on plain values; on chainrule tensors the primitive (or a
composition) runs and records. Comparisons and rounding carry no gradient.
"""

from __future__ import annotations

import math

import numpy as np

from .. import primitives as P
from ..graph import is_tensor
from ..primitives import elementwise as E
from ..primitives import steps as _steps
from ..tracing import traced
from .dispatch import ufunc as _ufunc


def _real_only(x):
    if is_tensor(x) and x._data.dtype.kind == "c":
        raise TypeError("chainrule differentiates real values only; got a complex tensor")
    return x


def _identity(x):
    return _real_only(x)


def _scale(num, den):
    """x * (num / den) as NumPy's deg2rad/rad2deg loops compute it: the constant divided
    in float32 for float32 (and float16, computed in float32), in float64 otherwise."""
    def scaled(x):
        dtype = (x._data if is_tensor(x) else np.asarray(x)).dtype
        if dtype == np.float16:
            return P.astype(P.astype(x, np.float32) * (np.float32(num) / np.float32(den)),
                            np.float16)
        if dtype == np.float32:
            return x * (np.float32(num) / np.float32(den))
        return x * (num / den)
    return scaled


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
deg2rad = _ufunc(np.deg2rad, _scale(math.pi, 180))
radians = _ufunc(np.radians, _scale(math.pi, 180))
rad2deg = _ufunc(np.rad2deg, _scale(180, math.pi))
degrees = _ufunc(np.degrees, _scale(180, math.pi))
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


# ufuncs built from the primitives above.
def _float_power(x1, x2):
    return P.power(P.astype(x1, dtype=np.dtype(np.float64)), x2)


def _ldexp(x1, x2):
    """x1 * 2**x2, linear in x1; the integer exponents carry no gradient."""
    exponents = x2._data if is_tensor(x2) else np.asarray(x2)
    if exponents.dtype.kind not in "iub":
        raise TypeError("ldexp: the exponents x2 must be integers")
    if not is_tensor(x2):
        x2 = exponents
    return P.ldexp(x1, x2.astype(np.int64) if exponents.dtype.kind == "b" else x2)


def _frexp(x):
    """(mantissa, exponent): the mantissa x * 2**-e is linear in x; e has no gradient.
    Both are operations on x, so cr.vmap and cr.compile follow them."""
    e = P.frexp_exponent(x)
    return P.ldexp(x, -e), e


def _modf(x):
    """(fractional part, integral part), both with x's sign, as NumPy gives them (0 for
    the fraction of +-inf, -0.0 for that of a negative integer); d frac / dx = 1. The
    two corrections are selected by operations on x (traced: cr.vmap, cr.compile) and
    skipped, outside a trace, where no element needs them."""
    xs = x._data
    floating = np.modf(np.zeros(0, xs.dtype))[0].dtype
    if xs.dtype != floating:
        x = P.astype(x, floating)
        xs = x._data
    whole = P.trunc(x)
    every = traced(x)
    with np.errstate(invalid="ignore"):  # (inf - inf, replaced below)
        frac = x - whole
        if every or (np.signbit(xs) & (xs == np.trunc(xs))).any():
            negative_zero = P.logical_and(P.signbit(x), P.equal(x, whole))
            frac = P.where(negative_zero, -(whole - x), frac)
    if every or np.isinf(xs).any():
        zero = np.zeros((), floating)
        frac = P.where(P.isinf(x), P.where(P.signbit(x), -zero, zero), frac)
    return frac, whole


def _divmod(x1, x2):
    return _steps.floor_divide(x1, x2), P.mod(x1, x2)


float_power = _ufunc(np.float_power, _float_power)
ldexp = _ufunc(np.ldexp, _ldexp)
frexp = _ufunc(np.frexp, _frexp)
modf = _ufunc(np.modf, _modf)
divmod = _ufunc(np.divmod, _divmod)
floor_divide = _ufunc(np.floor_divide, _steps.floor_divide)
nextafter = _ufunc(np.nextafter, _steps.nextafter)
spacing = _ufunc(np.spacing, _steps.spacing)
# Bitwise and integer ufuncs: no gradient, but operations (on tensors under cr.vmap and
# cr.compile, a mask & another must be computed for each example and each call).
bitwise_and = _ufunc(np.bitwise_and, E.bitwise_and)
bitwise_or = _ufunc(np.bitwise_or, E.bitwise_or)
bitwise_xor = _ufunc(np.bitwise_xor, E.bitwise_xor)
invert = _ufunc(np.invert, E.invert)
left_shift = _ufunc(np.left_shift, E.left_shift)
right_shift = _ufunc(np.right_shift, E.right_shift)
bitwise_not = bitwise_invert = invert
bitwise_left_shift, bitwise_right_shift = left_shift, right_shift
gcd = _ufunc(np.gcd, P.gcd)
lcm = _ufunc(np.lcm, P.lcm)
bitwise_count = _ufunc(np.bitwise_count, P.bitwise_count)
