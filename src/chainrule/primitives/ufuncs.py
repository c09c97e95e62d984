"""More elementwise primitives: inverse trigonometry, hyperbolics, log2/log10/exp2, and friends.

Same conventions as ``elementwise``: NumPy forward, then the VJP rule ``(g, ans, *inputs)``
and the JVP rule ``(t, ans, *inputs)``, both in chainrule operations so they serve every
order. Where the derivative is a function of the output (exp2, cbrt, reciprocal), the
rules reuse ``ans``. Also here: cumprod (a composition) and the step functions
NumPy users reach for (trunc, rint, argsort, ...), registered as non-differentiable.
"""

from __future__ import annotations

import math

import numpy as np

from ..graph import nondifferentiable, primitive
from .elementwise import (
    cos,
    equal,
    exp,
    floor,
    greater,
    isnan,
    logical_and,
    logical_not,
    logical_or,
    sqrt,
    where,
)
from .shape import concatenate, getitem, reshape

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


def _unary(name, fwd, derivative):
    """A primitive f with f'(x) = derivative(ans, x): VJP g f'(x), JVP t f'(x)."""
    return primitive(name, fwd, elementwise=True).defvjp(
        lambda g, ans, x: g * derivative(ans, x),
    ).defjvp(
        lambda t, ans, x: t * derivative(ans, x),
    )


# ------------------------------------------------------------ trigonometry
# arcsin' = 1/sqrt(1 - x^2), arccos' = -1/sqrt(1 - x^2), arctan' = 1/(1 + x^2)
arcsin = _unary("arcsin", np.arcsin, lambda ans, x: 1 / sqrt(1 - x * x))
arccos = _unary("arccos", np.arccos, lambda ans, x: -1 / sqrt(1 - x * x))
arctan = _unary("arctan", np.arctan, lambda ans, x: 1 / (1 + x * x))

# -------------------------------------------------------------- hyperbolics
# sinh' = cosh, cosh' = sinh (defined below; the lambdas look them up when called).
sinh = _unary("sinh", np.sinh, lambda ans, x: cosh(x))
cosh = _unary("cosh", np.cosh, lambda ans, x: sinh(x))
# arcsinh' = 1/sqrt(x^2 + 1), arccosh' = 1/sqrt(x^2 - 1) (x > 1), arctanh' = 1/(1 - x^2)
arcsinh = _unary("arcsinh", np.arcsinh, lambda ans, x: 1 / sqrt(x * x + 1))
arccosh = _unary("arccosh", np.arccosh, lambda ans, x: 1 / sqrt(x * x - 1))
arctanh = _unary("arctanh", np.arctanh, lambda ans, x: 1 / (1 - x * x))

# ----------------------------------------------------------- exp and log
# log2' = 1/(x ln 2), log10' = 1/(x ln 10), (2^x)' = 2^x ln 2
log2 = _unary("log2", np.log2, lambda ans, x: 1 / (x * _LN2))
log10 = _unary("log10", np.log10, lambda ans, x: 1 / (x * _LN10))
exp2 = _unary("exp2", np.exp2, lambda ans, x: ans * _LN2)

# ------------------------------------------------------- powers and roots
# (x^2)' = 2x, (1/x)' = -1/x^2 = -ans^2, cbrt' = 1/(3 cbrt(x)^2)
square = _unary("square", np.square, lambda ans, x: 2 * x)
reciprocal = _unary("reciprocal", np.reciprocal, lambda ans, x: -(ans * ans))
cbrt = _unary("cbrt", np.cbrt, lambda ans, x: 1 / (3 * (ans * ans)))

# ---------------------------------------------------- two-argument functions
# logaddexp(x, y) = log(e^x + e^y): d/dx = e^x / (e^x + e^y) = exp(x - ans), never overflows.
logaddexp = primitive("logaddexp", np.logaddexp).defvjp(
    lambda g, ans, x, y: g * exp(x - ans),
    lambda g, ans, x, y: g * exp(y - ans),
).defjvp(
    lambda t, ans, x, y: t * exp(x - ans),
    lambda t, ans, x, y: t * exp(y - ans),
)

# logaddexp2(x, y) = log2(2^x + 2^y): d/dx = 2^(x - ans).
logaddexp2 = primitive("logaddexp2", np.logaddexp2).defvjp(
    lambda g, ans, x, y: g * exp2(x - ans),
    lambda g, ans, x, y: g * exp2(y - ans),
).defjvp(
    lambda t, ans, x, y: t * exp2(x - ans),
    lambda t, ans, x, y: t * exp2(y - ans),
)

# hypot(x, y) = sqrt(x^2 + y^2): d/dx = x / hypot (undefined at the origin).
hypot = primitive("hypot", np.hypot).defvjp(
    lambda g, ans, x, y: g * x / ans,
    lambda g, ans, x, y: g * y / ans,
).defjvp(
    lambda t, ans, x, y: t * x / ans,
    lambda t, ans, x, y: t * y / ans,
)

# arctan2(y, x) = angle of (x, y): d/dy = x / (x^2 + y^2), d/dx = -y / (x^2 + y^2).
arctan2 = primitive("arctan2", np.arctan2).defvjp(
    lambda g, ans, y, x: g * x / (x * x + y * y),
    lambda g, ans, y, x: -g * y / (x * x + y * y),
).defjvp(
    lambda t, ans, y, x: t * x / (x * x + y * y),
    lambda t, ans, y, x: -t * y / (x * x + y * y),
)


# fmax/fmin: like maximum/minimum, but a NaN loses to a number, so the number's side
# gets the gradient. Ties split it evenly, as in maximum/minimum.
def _fpick(g, mine, other, wins):
    take = logical_or(wins(mine, other), logical_and(isnan(other), logical_not(isnan(mine))))
    return g * take + (g * 0.5) * equal(mine, other)


def _less(a, b):
    return greater(b, a)


fmax = primitive("fmax", np.fmax).defvjp(
    lambda g, ans, x, y: _fpick(g, x, y, greater),
    lambda g, ans, x, y: _fpick(g, y, x, greater),
).defjvp(
    lambda t, ans, x, y: _fpick(t, x, y, greater),
    lambda t, ans, x, y: _fpick(t, y, x, greater),
)

fmin = primitive("fmin", np.fmin).defvjp(
    lambda g, ans, x, y: _fpick(g, x, y, _less),
    lambda g, ans, x, y: _fpick(g, y, x, _less),
).defjvp(
    lambda t, ans, x, y: _fpick(t, x, y, _less),
    lambda t, ans, x, y: _fpick(t, y, x, _less),
)

trunc = nondifferentiable("trunc", np.trunc)

# mod(x, y) = x - floor(x / y) y (sign of y), fmod(x, y) = x - trunc(x / y) y (sign of x):
# d/dx = 1 and d/dy = -floor(x / y) (resp. -trunc(x / y)) away from the jumps.
mod = primitive("mod", np.mod).defvjp(
    lambda g, ans, x, y: g,
    lambda g, ans, x, y: -g * floor(x / y),
).defjvp(
    lambda t, ans, x, y: t,
    lambda t, ans, x, y: -t * floor(x / y),
)

fmod = primitive("fmod", np.fmod).defvjp(
    lambda g, ans, x, y: g,
    lambda g, ans, x, y: -g * trunc(x / y),
).defjvp(
    lambda t, ans, x, y: t,
    lambda t, ans, x, y: -t * trunc(x / y),
)


# -------------------------------------------------------------------- sinc
def _sinc_derivative_at_zero(order):
    """The order-th derivative of sinc(x) = sin(pi x)/(pi x) at 0, from its Taylor series.

    sinc(x) = sum_n (-1)^n (pi x)^(2n) / (2n + 1)!, so the (2n)-th derivative at 0 is
    (-1)^n pi^(2n) / (2n + 1) and the odd ones vanish.
    """
    if order % 2:
        return 0.0
    n = order // 2
    return (-1) ** n * math.pi ** (2 * n) / (2 * n + 1)


# The value of sinc's order-th derivative at x = 0, broadcast to x's shape. Its own
# derivative is the next order's value, so where(x == 0, ...) below is exact at 0 to
# every order.
_sinc_at_zero = primitive(
    "sinc_taylor_at_zero",
    lambda x, order: np.full(np.shape(x), _sinc_derivative_at_zero(order), np.result_type(x, 1.0)),
).defvjp(
    lambda g, ans, x, order: g * _sinc_at_zero(x, order=order + 1),
).defjvp(
    lambda t, ans, x, order: t * _sinc_at_zero(x, order=order + 1),
)


def _dsinc(ans, x):
    # sinc'(x) = (cos(pi x) - sinc(x)) / x away from 0; the Taylor value at 0.
    zero = equal(x, 0)
    general = (cos(math.pi * x) - ans) / where(zero, 1, x)
    return where(zero, _sinc_at_zero(x, order=1), general)


sinc = _unary("sinc", np.sinc, _dsinc)


# ----------------------------------------------------------------- cumprod
def cumprod(x, axis=None):
    """Cumulative product along `axis` (the flattened array when axis is None).

    A composition: a log-depth scan y_i <- y_i * y_(i-d) for d = 1, 2, 4, ..., so the
    gradient is built from products alone and stays exact when x contains zeros
    (the usual rule revcumsum(g * y) / x divides by them).
    """
    if axis is None:
        x = reshape(x, (-1,))
        axis = 0
    ndim = np.ndim(x)
    axis = axis % max(ndim, 1)
    n = np.shape(x)[axis]
    lead = (slice(None),) * axis
    y = x
    d = 1
    while d < n:
        head = getitem(y, lead + (slice(0, d),))
        tail = getitem(y, lead + (slice(d, None),)) * getitem(y, lead + (slice(0, n - d),))
        y = concatenate([head, tail], axis=axis)
        d *= 2
    return y


# --------------------------------------------- step functions and orderings
rint = nondifferentiable("rint", np.rint)
signbit = nondifferentiable("signbit", np.signbit)
logical_xor = nondifferentiable("logical_xor", np.logical_xor)
isclose = nondifferentiable("isclose", np.isclose)
argsort = nondifferentiable("argsort", np.argsort)
argpartition = nondifferentiable("argpartition", np.argpartition)
