"""``chainrule.lax``'s elementwise operations, under JAX's ``lax`` names.

Each is chainrule.numpy's (or chainrule.scipy.special's) differentiable operation, so
gradients, forward mode and ``cr.vmap`` go through them. Where lax and NumPy disagree,
lax's meaning is kept: ``div`` of integers rounds toward zero, ``rem`` takes the sign of
the dividend (C's fmod), ``round`` rounds halves away from zero unless told otherwise,
``shift_right_logical`` shifts zeros in, and shifts by the bit width or more give 0 (or
-1 for an arithmetic shift of a negative number).

Unlike JAX's, these operations broadcast their operands and promote their dtypes as
NumPy does (JAX's lax requires equal shapes and dtypes and raises otherwise).
"""

from __future__ import annotations

import builtins
import enum
from typing import Any

import numpy as np

from . import numpy as cnp
from .graph import values as _values
from .scipy import special as _special

__all__ = [
    "RoundingMethod", "abs", "acos", "acosh", "add", "asin", "asinh", "atan", "atan2", "atanh",
    "bessel_i0e", "bessel_i1e", "betainc", "bitwise_and", "bitwise_not", "bitwise_or",
    "bitwise_xor", "cbrt", "ceil", "clz", "complex", "conj", "cos", "cosh", "digamma", "div",
    "eq", "erf", "erf_inv", "erfc", "exp", "exp2", "expm1", "floor", "ge", "gt", "igamma",
    "igammac", "imag", "integer_pow", "is_finite", "le", "lgamma", "log", "log1p", "logistic",
    "lt", "max", "min", "mul", "ne", "neg", "nextafter", "polygamma", "population_count", "pow",
    "real", "reciprocal", "rem", "round", "select_n", "shift_left", "shift_right_arithmetic",
    "shift_right_logical", "sign", "sin", "sinh", "sqrt", "square", "sub", "tan", "tanh", "zeta",
]


def _kind(x: Any) -> str:
    """The dtype kind of an array, tensor or scalar (Python's bool, int, float: b, i, f)."""
    if type(x) in (bool, int, float):
        return {bool: "b", int: "i", float: "f"}[type(x)]
    return np.asarray(_values(x)).dtype.kind


# ---------------------------------------------------------------- arithmetic
def add(x: Any, y: Any) -> Any:
    """x + y."""
    return cnp.add(x, y)


def sub(x: Any, y: Any) -> Any:
    """x - y."""
    return cnp.subtract(x, y)


def mul(x: Any, y: Any) -> Any:
    """x * y."""
    return cnp.multiply(x, y)


def div(x: Any, y: Any) -> Any:
    """x / y; for integers the quotient rounded toward zero (C's division, not NumPy's
    floor division)."""
    if _kind(x) in "iub" and _kind(y) in "iub":
        q = cnp.floor_divide(x, y)
        inexact = cnp.not_equal(cnp.remainder(x, y), 0)
        opposite = cnp.not_equal(cnp.less(x, 0), cnp.less(y, 0))
        return cnp.where(cnp.logical_and(inexact, opposite), q + 1, q)
    return cnp.true_divide(x, y)


def rem(x: Any, y: Any) -> Any:
    """The remainder of x / y with the sign of x (C's fmod; NumPy's ``%`` follows y)."""
    return cnp.fmod(x, y)


def neg(x: Any) -> Any:
    """-x."""
    return cnp.negative(x)


def abs(x: Any) -> Any:  # noqa: A001  (lax's name)
    """|x|."""
    return cnp.abs(x)


def sign(x: Any) -> Any:
    """-1, 0 or 1 by the sign of x."""
    return cnp.sign(x)


def max(x: Any, y: Any) -> Any:  # noqa: A001
    """The elementwise maximum (NaN if either is NaN)."""
    return cnp.maximum(x, y)


def min(x: Any, y: Any) -> Any:  # noqa: A001
    """The elementwise minimum (NaN if either is NaN)."""
    return cnp.minimum(x, y)


def pow(x: Any, y: Any) -> Any:  # noqa: A001
    """x ** y."""
    return cnp.power(x, y)


def integer_pow(x: Any, y: int) -> Any:
    """x ** y for a Python int y (negative allowed for inexact x)."""
    if isinstance(y, bool) or not isinstance(y, (int, np.integer)):
        raise TypeError(f"integer_pow: y must be a Python int, got {y!r}; use lax.pow for "
                        f"an array exponent")
    if int(y) == 0:
        return cnp.ones_like(x)
    return cnp.power(x, int(y)) if int(y) > 0 else cnp.reciprocal(cnp.power(x, -int(y)))


def square(x: Any) -> Any:
    """x * x."""
    return cnp.square(x)


def reciprocal(x: Any) -> Any:
    """1 / x."""
    return cnp.reciprocal(x)


def sqrt(x: Any) -> Any:
    """The square root."""
    return cnp.sqrt(x)


def cbrt(x: Any) -> Any:
    """The real cube root (negative for negative x)."""
    return cnp.cbrt(x)


# ------------------------------------------------------- exponentials, trigonometry
def exp(x: Any) -> Any:
    """e ** x."""
    return cnp.exp(x)


def exp2(x: Any) -> Any:
    """2 ** x."""
    return cnp.exp2(x)


def expm1(x: Any) -> Any:
    """exp(x) - 1, accurate for small x."""
    return cnp.expm1(x)


def log(x: Any) -> Any:
    """The natural logarithm."""
    return cnp.log(x)


def log1p(x: Any) -> Any:
    """log(1 + x), accurate for small x."""
    return cnp.log1p(x)


def tanh(x: Any) -> Any:
    """The hyperbolic tangent."""
    return cnp.tanh(x)


def logistic(x: Any) -> Any:
    """The logistic sigmoid 1 / (1 + exp(-x))."""
    return _special.expit(x)


def sin(x: Any) -> Any:
    """The sine."""
    return cnp.sin(x)


def cos(x: Any) -> Any:
    """The cosine."""
    return cnp.cos(x)


def tan(x: Any) -> Any:
    """The tangent."""
    return cnp.tan(x)


def asin(x: Any) -> Any:
    """The inverse sine."""
    return cnp.arcsin(x)


def acos(x: Any) -> Any:
    """The inverse cosine."""
    return cnp.arccos(x)


def atan(x: Any) -> Any:
    """The inverse tangent."""
    return cnp.arctan(x)


def atan2(x: Any, y: Any) -> Any:
    """The angle of the point (y, x): arctan(x / y) in the right quadrant."""
    return cnp.arctan2(x, y)


def sinh(x: Any) -> Any:
    """The hyperbolic sine."""
    return cnp.sinh(x)


def cosh(x: Any) -> Any:
    """The hyperbolic cosine."""
    return cnp.cosh(x)


def asinh(x: Any) -> Any:
    """The inverse hyperbolic sine."""
    return cnp.arcsinh(x)


def acosh(x: Any) -> Any:
    """The inverse hyperbolic cosine."""
    return cnp.arccosh(x)


def atanh(x: Any) -> Any:
    """The inverse hyperbolic tangent."""
    return cnp.arctanh(x)


# ------------------------------------------------------------- special functions
def erf(x: Any) -> Any:
    """The error function."""
    return _special.erf(x)


def erfc(x: Any) -> Any:
    """1 - erf(x), accurate for large x."""
    return _special.erfc(x)


def erf_inv(x: Any) -> Any:
    """The inverse of erf on (-1, 1)."""
    return _special.erfinv(x)


def lgamma(x: Any) -> Any:
    """log |Gamma(x)|."""
    return _special.gammaln(x)


def digamma(x: Any) -> Any:
    """The logarithmic derivative of the gamma function."""
    return _special.digamma(x)


def polygamma(m: Any, x: Any) -> Any:
    """The m-th derivative of digamma at x (m a non-negative integer)."""
    return _special.polygamma(m, x)


def zeta(x: Any, q: Any) -> Any:
    """Hurwitz's zeta function: sum over k >= 0 of (k + q) ** -x."""
    return _special.zeta(x, q)


def igamma(a: Any, x: Any) -> Any:
    """The regularized lower incomplete gamma function P(a, x)."""
    return _special.gammainc(a, x)


def igammac(a: Any, x: Any) -> Any:
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x)."""
    return _special.gammaincc(a, x)


def betainc(a: Any, b: Any, x: Any) -> Any:
    """The regularized incomplete beta function I_x(a, b)."""
    return _special.betainc(a, b, x)


def bessel_i0e(x: Any) -> Any:
    """exp(-|x|) I0(x), the scaled modified Bessel function of order 0."""
    return _special.i0e(x)


def bessel_i1e(x: Any) -> Any:
    """exp(-|x|) I1(x), the scaled modified Bessel function of order 1."""
    return _special.i1e(x)


# ------------------------------------------------------------------- rounding
class RoundingMethod(enum.IntEnum):
    """How lax.round breaks ties: away from zero (its default) or to the even neighbour."""

    AWAY_FROM_ZERO = 0
    TO_NEAREST_EVEN = 1


def floor(x: Any) -> Any:
    """The greatest integral value <= x."""
    return cnp.floor(x)


def ceil(x: Any) -> Any:
    """The least integral value >= x."""
    return cnp.ceil(x)


def round(x: Any, rounding_method: Any = RoundingMethod.AWAY_FROM_ZERO) -> Any:  # noqa: A001
    """x rounded to an integral value, halves away from zero (lax's default; NumPy's
    ``round`` goes to the even neighbour, which ``RoundingMethod.TO_NEAREST_EVEN`` gives)."""
    method = RoundingMethod(int(rounding_method))
    if method == RoundingMethod.TO_NEAREST_EVEN:
        return cnp.rint(x)
    t = cnp.trunc(x)
    # (not floor(|x| + 1/2): that rounds 0.49999999999999994 up)
    return cnp.where(cnp.abs(x - t) >= 0.5, t + cnp.sign(x), t)


def is_finite(x: Any) -> Any:
    """True where x is neither infinite nor NaN."""
    return cnp.isfinite(x)


def nextafter(x1: Any, x2: Any) -> Any:
    """The next representable number after x1 toward x2."""
    return cnp.nextafter(x1, x2)


# ------------------------------------------------------------- complex numbers
def complex(x: Any, y: Any) -> Any:  # noqa: A001
    """x + i y."""
    return cnp.add(x, cnp.multiply(y, 1j))


def conj(x: Any) -> Any:
    """The complex conjugate."""
    return cnp.conj(x)


def real(x: Any) -> Any:
    """The real part."""
    return cnp.real(x)


def imag(x: Any) -> Any:
    """The imaginary part."""
    return cnp.imag(x)


# ------------------------------------------------------------------ comparisons
def eq(x: Any, y: Any) -> Any:
    """x == y elementwise."""
    return cnp.equal(x, y)


def ne(x: Any, y: Any) -> Any:
    """x != y elementwise."""
    return cnp.not_equal(x, y)


def lt(x: Any, y: Any) -> Any:
    """x < y elementwise."""
    return cnp.less(x, y)


def le(x: Any, y: Any) -> Any:
    """x <= y elementwise."""
    return cnp.less_equal(x, y)


def gt(x: Any, y: Any) -> Any:
    """x > y elementwise."""
    return cnp.greater(x, y)


def ge(x: Any, y: Any) -> Any:
    """x >= y elementwise."""
    return cnp.greater_equal(x, y)


def select_n(which: Any, *cases: Any) -> Any:
    """``cases[which]`` elementwise: ``which`` boolean (two cases: False picks the first)
    or an integer in [0, len(cases))."""
    if not cases:
        raise ValueError("select_n: give at least one case")
    kind = _kind(which)
    if kind == "b" and len(cases) > 2:
        raise ValueError(f"select_n: a boolean `which` picks between two cases, got "
                         f"{len(cases)}")
    if kind not in "biu":
        raise TypeError(f"select_n: `which` must be boolean or integer, got dtype kind "
                        f"{kind!r}")
    out = cases[-1]
    for k in builtins.range(len(cases) - 2, -1, -1):
        pick = cnp.logical_not(which) if kind == "b" else cnp.equal(which, k)
        out = cnp.where(pick, cases[k], out)
    return out


# ----------------------------------------------------------------- bit operations
def bitwise_and(x: Any, y: Any) -> Any:
    """x & y (logical and for booleans)."""
    return cnp.bitwise_and(x, y)


def bitwise_or(x: Any, y: Any) -> Any:
    """x | y (logical or for booleans)."""
    return cnp.bitwise_or(x, y)


def bitwise_xor(x: Any, y: Any) -> Any:
    """x ^ y (logical xor for booleans)."""
    return cnp.bitwise_xor(x, y)


def bitwise_not(x: Any) -> Any:
    """~x (logical not for booleans)."""
    return cnp.invert(x)


def _bits(x: Any) -> int:
    return np.asarray(_values(x)).dtype.itemsize * 8


def shift_left(x: Any, y: Any) -> Any:
    """x << y; 0 where y is negative or at least the bit width."""
    bits = _bits(x)
    inside = cnp.logical_and(cnp.greater_equal(y, 0), cnp.less(y, bits))
    return cnp.where(inside, cnp.left_shift(x, cnp.where(inside, y, 0)), cnp.zeros_like(x))


def shift_right_arithmetic(x: Any, y: Any) -> Any:
    """x >> y copying the sign bit in (of unsigned integers too); a shift of the bit width
    or more gives 0 or -1."""
    bits = _bits(x)
    dtype = np.asarray(_values(x)).dtype
    if dtype.kind == "u":  # the bits read as signed, as XLA does
        signed = np.dtype(f"i{dtype.itemsize}")
        shifted = shift_right_arithmetic(cnp.asarray(x).astype(signed),
                                         cnp.asarray(y).astype(signed))
        return cnp.asarray(shifted).astype(dtype)
    inside = cnp.logical_and(cnp.greater_equal(y, 0), cnp.less(y, bits))
    return cnp.right_shift(x, cnp.where(inside, y, bits - 1))


def shift_right_logical(x: Any, y: Any) -> Any:
    """x >> y shifting zeros in (also for signed integers); 0 for a shift of the bit width
    or more."""
    dtype = np.asarray(_values(x)).dtype
    bits = dtype.itemsize * 8
    unsigned = np.dtype(f"u{dtype.itemsize}")
    # (the conversions to and from unsigned keep the bits: NumPy's casts wrap)
    u = cnp.asarray(x).astype(unsigned) if dtype.kind == "i" else cnp.asarray(x)
    inside = cnp.logical_and(cnp.greater_equal(y, 0), cnp.less(y, bits))
    shift = cnp.asarray(cnp.where(inside, y, 0)).astype(unsigned)
    out = cnp.where(inside, cnp.right_shift(u, shift), cnp.zeros_like(u))
    return cnp.asarray(out).astype(dtype) if dtype.kind == "i" else out


def _unsigned(x: Any, op: str) -> tuple[Any, np.dtype]:
    dtype = np.asarray(_values(x)).dtype
    if dtype.kind not in "iu":
        raise TypeError(f"{op}: needs an integer array, got {dtype}")
    return cnp.asarray(x).astype(np.dtype(f"u{dtype.itemsize}")), dtype


def population_count(x: Any) -> Any:
    """The number of set bits of each element (of its two's complement bits), in x's
    dtype."""
    u, dtype = _unsigned(x, "population_count")
    return cnp.asarray(cnp.bitwise_count(u)).astype(dtype)


def clz(x: Any) -> Any:
    """The number of leading zero bits of each element, in x's dtype."""
    u, dtype = _unsigned(x, "clz")
    bits = dtype.itemsize * 8
    count = cnp.full(np.shape(_values(x)), bits, dtype)
    for b in builtins.range(bits):  # the highest set bit decides, so the last one wins
        set_ = cnp.not_equal(cnp.bitwise_and(cnp.right_shift(u, b), 1), 0)
        count = cnp.where(set_, bits - 1 - b, count)
    return cnp.asarray(count).astype(dtype)
