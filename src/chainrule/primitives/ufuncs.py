"""More elementwise primitives: inverse trigonometry, hyperbolics, log2/log10/exp2, and friends.

Declared like those of ``elementwise``: by the local derivative in each argument,
``d(ans, *inputs)``. Where the derivative is a function of the output (exp2, cbrt,
reciprocal) it reuses ``ans``. Also here: cumprod (a composition) and the step
functions NumPy users reach for (trunc, rint, argsort, ...), registered as
non-differentiable.
"""

from __future__ import annotations

import math

import numpy as np

from .. import batching as B
from .. import statements as S
from ..domains import AWAY_FROM_ZERO, Domain, Example
from ..graph import values
from ..rules import composite, elementwise, nondifferentiable, primitive
from .activations import sigmoid
from .elementwise import (
    DISTINCT_PAIR,
    astype,
    cos,
    equal,
    floor,
    greater,
    isnan,
    logical_and,
    logical_not,
    logical_or,
    sqrt,
    step,
    where,
)
from .shape import concatenate, getitem, reshape

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_INSIDE_UNIT = Domain(-0.8, 0.8)

# ------------------------------------------------------------ trigonometry
arcsin = elementwise(
    "arcsin", np.arcsin, lambda ans, x: 1 / sqrt(1 - x * x),
    strong_zero=True, domain=_INSIDE_UNIT,
    statement=S.unary(
        "arcsin x", "1 / sqrt(1 - x^2)", r"\arcsin x", r"\frac{1}{\sqrt{1 - x^2}}"
    ),
)
arccos = elementwise(
    "arccos", np.arccos, lambda ans, x: -1 / sqrt(1 - x * x),
    strong_zero=True, domain=_INSIDE_UNIT,
    statement=S.unary(
        "arccos x", "(-1 / sqrt(1 - x^2))", r"\arccos x", r"\frac{-1}{\sqrt{1 - x^2}}"
    ),
)
arctan = elementwise(
    "arctan", np.arctan, lambda ans, x: 1 / (1 + x * x),
    statement=S.unary("arctan x", "1 / (1 + x^2)", r"\arctan x", r"\frac{1}{1 + x^2}"),
)

# -------------------------------------------------------------- hyperbolics
# sinh' = cosh, cosh' = sinh (each looks the other up when called).
sinh = elementwise(
    "sinh", np.sinh, lambda ans, x: cosh(x),
    strong_zero=True,
    statement=S.unary("sinh x", "cosh x", r"\sinh x", r"\cosh x"),
)
cosh = elementwise(
    "cosh", np.cosh, lambda ans, x: sinh(x),
    strong_zero=True,
    statement=S.unary("cosh x", "sinh x", r"\cosh x", r"\sinh x"),
)
arcsinh = elementwise(
    "arcsinh", np.arcsinh, lambda ans, x: 1 / sqrt(x * x + 1),
    statement=S.unary(
        "arsinh x", "1 / sqrt(x^2 + 1)", r"\operatorname{arsinh} x", r"\frac{1}{\sqrt{x^2+1}}"
    ),
)
arccosh = elementwise(
    "arccosh", np.arccosh, lambda ans, x: 1 / sqrt(x * x - 1),
    strong_zero=True, domain=Domain(1.5, 3.0),
    statement=S.unary(
        "arcosh x", "1 / sqrt(x^2 - 1)", r"\operatorname{arcosh} x", r"\frac{1}{\sqrt{x^2-1}}"
    ),
)
arctanh = elementwise(
    "arctanh", np.arctanh, lambda ans, x: 1 / (1 - x * x),
    strong_zero=True, domain=_INSIDE_UNIT,
    statement=S.unary(
        "artanh x", "1 / (1 - x^2)", r"\operatorname{artanh} x", r"\frac{1}{1 - x^2}"
    ),
)

# ----------------------------------------------------------- exp and log
_POSITIVE = Domain(0.5, 2.0)
log2 = elementwise(
    "log2", np.log2, lambda ans, x: 1 / (x * _LN2),
    strong_zero=True, domain=_POSITIVE,
    statement=S.unary("log2 x", "1 / (x ln 2)", r"\log_2 x", r"\frac{1}{x \ln 2}"),
)
log10 = elementwise(
    "log10", np.log10, lambda ans, x: 1 / (x * _LN10),
    strong_zero=True, domain=_POSITIVE,
    statement=S.unary("log10 x", "1 / (x ln 10)", r"\log_{10} x", r"\frac{1}{x \ln 10}"),
)
exp2 = elementwise(
    "exp2", np.exp2, lambda ans, x: ans * _LN2,
    strong_zero=True,
    statement=S.unary("2^x", "y * ln 2", "2^x", r"y \ln 2"),
)

# x * 2^k, scaled without rounding (np.ldexp never forms 2^k, which overflows for the
# k a subnormal's mantissa needs); linear in x, the integer exponents carry no gradient.
def _ldexp(x, k):
    # An integer array beside a float tensor arrives as that float dtype (constants take
    # the tensors' dtype, graph._match_constants); its values are still exact integers.
    k = np.asarray(k)
    return np.ldexp(x, k if k.dtype.kind in "iub" else k.astype(np.int64))


ldexp = elementwise(
    "ldexp", _ldexp, lambda ans, x, k: ldexp(np.ones((), values(x).dtype), k), 0,
    statement=S.binary("x * 2^k", "g * 2^k", "0 (k is an integer)", r"x \cdot 2^k",
                       r"\bar y \, 2^k", "0"),
)
# frexp's exponent: x = m 2^e with 1/2 <= |m| < 1 (e = 0 at 0, inf and NaN).
frexp_exponent = step(
    "frexp_exponent", lambda x: np.frexp(x)[1], "e with x = m 2^e, 1/2 <= |m| < 1",
    r"\lfloor \log_2 \lvert x\rvert \rfloor + 1",
)

# ------------------------------------------------------- powers and roots
square = elementwise(
    "square", np.square, lambda ans, x: 2 * x,
    statement=S.unary("x^2", "2 x", "x^2", "2x"),
)
# (1/x)' = -1/x^2 = -ans^2
reciprocal = elementwise(
    "reciprocal", np.reciprocal, lambda ans, x: -(ans * ans),
    strong_zero=True, domain=AWAY_FROM_ZERO,
    statement=S.unary("1 / x", "(-1 / x^2) = -y^2", r"1/x", r"(-y^2)"),
)
# cbrt' = 1/(3 cbrt(x)^2)
cbrt = elementwise(
    "cbrt", np.cbrt, lambda ans, x: 1 / (3 * (ans * ans)),
    strong_zero=True, domain=AWAY_FROM_ZERO,
    statement=S.unary("x^(1/3)", "1 / (3 y^2)", r"\sqrt[3]{x}", r"\frac{1}{3y^2}"),
)

# ---------------------------------------------------- two-argument functions
# logaddexp(x, y) = log(e^x + e^y): d/dx = e^x / (e^x + e^y) = sigmoid(x - y), in [0, 1].
# (exp(x - ans) is the same number, but ans rounds to a multiple of |x| eps: at |x| = 1e16
# the weights of two equal arguments came out 1 and 1 instead of 1/2.)
logaddexp = elementwise(
    "logaddexp", np.logaddexp,
    lambda ans, x, y: sigmoid(x - y), lambda ans, x, y: sigmoid(y - x),
    statement=S.binary(
        "ln(e^a + e^b)", "g * sigmoid(a - b)", "g * sigmoid(b - a)  (weights in [0, 1])",
        r"\ln(e^a + e^b)", r"\bar y\, \sigma(a - b)", r"\bar y\, \sigma(b - a)",
    ),
)

# logaddexp2(x, y) = log2(2^x + 2^y): d/dx = 2^x / (2^x + 2^y) = sigmoid((x - y) ln 2).
logaddexp2 = elementwise(
    "logaddexp2", np.logaddexp2,
    lambda ans, x, y: sigmoid((x - y) * _LN2), lambda ans, x, y: sigmoid((y - x) * _LN2),
    statement=S.binary(
        "log2(2^a + 2^b)", "g * sigmoid((a - b) ln 2)", "g * sigmoid((b - a) ln 2)",
        r"\log_2(2^a + 2^b)", r"\bar y\, \sigma((a - b) \ln 2)",
        r"\bar y\, \sigma((b - a) \ln 2)",
    ),
)

def _over_hypot(v, ans):
    # v / hypot, 0 at the origin: the zero subgradient norm's gradient takes at 0 too
    # (and a zero second derivative there, as the norm's: the origin's branch is 0).
    origin = equal(ans, 0)
    return where(origin, 0, v / where(origin, 1, ans))


# hypot(x, y) = sqrt(x^2 + y^2): d/dx = x / hypot (0 at the origin, as the norm's).
hypot = elementwise(
    "hypot", np.hypot, lambda ans, x, y: _over_hypot(x, ans),
    lambda ans, x, y: _over_hypot(y, ans),
    strong_zero=True,
    domain=(Domain(0.5, 2.0), Domain(0.5, 2.0)),
    statement=S.binary(
        "sqrt(a^2 + b^2)", "g * a / y", "g * b / y", r"\sqrt{a^2 + b^2}", r"\bar y\, a / y",
        r"\bar y\, b / y",
    ),
)

# arctan2(y, x) = angle of (x, y): d/dy = x / (x^2 + y^2), d/dx = -y / (x^2 + y^2).
arctan2 = elementwise(
    "arctan2", np.arctan2,
    lambda ans, y, x: x / (x * x + y * y), lambda ans, y, x: -y / (x * x + y * y),
    strong_zero=True,
    domain=(Domain(0.5, 2.0), Domain(-2.0, -0.5)),
    statement=S.binary(
        "atan2(a, b), the angle of the point (b, a)", "g * b / (a^2 + b^2)",
        "-g * a / (a^2 + b^2)", r"\operatorname{atan2}(a, b)",
        r"\frac{\bar y\, b}{a^2 + b^2}", r"\frac{-\bar y\, a}{a^2 + b^2}",
    ),
)


# fmax/fmin: like maximum/minimum, but a NaN loses to a number, so the number's side
# gets the gradient. Ties split it evenly, as in maximum/minimum.
def _fshare(ans, mine, other, wins):
    take = logical_or(wins(mine, other), logical_and(isnan(other), logical_not(isnan(mine))))
    return where(equal(mine, other), np.asarray(0.5, ans.dtype), take)


def _less(a, b):
    return greater(b, a)


fmax = elementwise(
    "fmax", np.fmax,
    lambda ans, x, y: _fshare(ans, x, y, greater), lambda ans, x, y: _fshare(ans, y, x, greater),
    domain=DISTINCT_PAIR,
    statement=S.binary(
        "max(a, b), a NaN losing to a number", "g where a wins (or b is NaN), g/2 on ties",
        "g where b wins (or a is NaN), g/2 on ties", r"\operatorname{fmax}(a, b)",
        r"\bar y\,[a \text{ wins}]", r"\bar y\,[b \text{ wins}]",
    ),
)

fmin = elementwise(
    "fmin", np.fmin,
    lambda ans, x, y: _fshare(ans, x, y, _less), lambda ans, x, y: _fshare(ans, y, x, _less),
    domain=DISTINCT_PAIR,
    statement=S.binary(
        "min(a, b), a NaN losing to a number", "g where a wins (or b is NaN), g/2 on ties",
        "g where b wins (or a is NaN), g/2 on ties", r"\operatorname{fmin}(a, b)",
        r"\bar y\,[a \text{ wins}]", r"\bar y\,[b \text{ wins}]",
    ),
)

trunc = step("trunc", np.trunc, "x rounded toward 0", r"\operatorname{trunc} x")


# mod(x, y) = x - floor(x / y) y (sign of y), fmod(x, y) = x - trunc(x / y) y (sign of x):
# d/dx = 1 and d/dy = -floor(x / y) (resp. -trunc(x / y)) away from the jumps.
def _mod_pair(rng):
    y = rng.uniform(1.1, 1.9, (3, 4))
    # Keep x / y away from integers, where mod jumps.
    return ((rng.integers(-2, 3, (3, 4)) + rng.uniform(0.2, 0.8, (3, 4))) * y, y), {}


mod = elementwise(
    "mod", np.mod, 1, lambda ans, x, y: -floor(x / y),
    domain=Example(_mod_pair),
    statement=S.binary(
        "a mod b = a - floor(a / b) b", "g", "-g * floor(a / b)",
        r"a - \lfloor a/b \rfloor b", r"\bar y", r"-\bar y \lfloor a/b \rfloor",
    ),
)

fmod = elementwise(
    "fmod", np.fmod, 1, lambda ans, x, y: -trunc(x / y),
    domain=Example(_mod_pair),
    statement=S.binary(
        "fmod(a, b) = a - trunc(a / b) b", "g", "-g * trunc(a / b)",
        r"a - \operatorname{trunc}(a/b)\, b", r"\bar y", r"-\bar y \operatorname{trunc}(a/b)",
    ),
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
    symmetric=True,
    batch=B.elementwise_rule,
    # Only meaningful at x = 0: checked through sinc itself.
    domain=Example(
        lambda rng: ((np.array([0.0, 0.0, 0.5, -1.3]),), {"order": 1}),
        check_with=lambda p, x, order: sinc(x),
    ),
    statement=S.Statement(
        forward="the order-th derivative of sinc at 0, broadcast to x's shape: "
        "(-1)^n pi^(2n) / (2n + 1) for order 2n, 0 for odd orders",
        vjp="x_bar = g * (the value of the next order): a device that makes sinc's rule, "
        "where(x == 0, taylor, general), exact at 0 to every order; only meaningful at "
        "x = 0, so it is checked through sinc itself",
        latex_forward=r"y = \operatorname{sinc}^{(n)}(0)",
        latex_vjp=r"\bar x = \bar y \, \operatorname{sinc}^{(n+1)}(0)",
    ),
).defvjp(lambda g, ans, x, order: g * _sinc_at_zero(x, order=order + 1))


def _dsinc(ans, x):
    # sinc'(x) = (cos(pi x) - sinc(x)) / x away from 0; the Taylor value at 0.
    zero = equal(x, 0)
    general = (cos(math.pi * x) - ans) / where(zero, 1, x)
    return where(zero, _sinc_at_zero(x, order=1), general)


sinc = elementwise(
    "sinc", np.sinc, _dsinc,
    statement=S.unary(
        "sin(pi x) / (pi x), 1 at x = 0", "(cos(pi x) - y) / x, its Taylor value 0 at x = 0",
        r"\frac{\sin \pi x}{\pi x}", r"\frac{\cos \pi x - y}{x}",
    ),
)


# ----------------------------------------------------------------- cumprod
@composite
def cumprod(x, axis=None):
    """Cumulative product along `axis` (the flattened array when axis is None).

    A composition: a log-depth scan y_i <- y_i * y_(i-d) for d = 1, 2, 4, ..., so the
    gradient is built from products alone and stays exact when x contains zeros
    (the usual rule revcumsum(g * y) / x divides by them).
    """
    if axis is None or np.ndim(x) == 0:
        # (A 0-d x becomes 1-D whatever the axis, as NumPy's cumprod does.)
        x = reshape(x, (-1,))
        axis = 0
    # NumPy's accumulator: bool and small integers widen to 64 bits (uint8 -> uint64).
    dtype = values(x).dtype
    accumulator = np.multiply.accumulate(np.ones(1, dtype)).dtype
    if accumulator != dtype:
        x = astype(x, accumulator)
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
rint = step("rint", np.rint, "x rounded to the nearest integer", "[x]")
signbit = step("signbit", np.signbit, "x < 0 (or -0.0)", "[x < 0]")
gcd = step("gcd", np.gcd, "greatest common divisor of |a| and |b|", r"\gcd(a, b)")
lcm = step("lcm", np.lcm, "least common multiple of |a| and |b|", r"\operatorname{lcm}(a, b)")
bitwise_count = step("bitwise_count", np.bitwise_count, "number of 1 bits in |x|",
                     r"\operatorname{popcount} \lvert x\rvert")
logical_xor = step("logical_xor", np.logical_xor, "a xor b", r"a \oplus b")
isclose = step(
    "isclose", np.isclose, "|a - b| <= atol + rtol |b|", r"\lvert a - b\rvert \le \epsilon"
)
argsort = nondifferentiable(
    "argsort", np.argsort, batch=B.sorting_rule,
    statement=S.step("indices that sort x", r"\operatorname{argsort} x"),
)
argpartition = nondifferentiable(
    "argpartition", np.argpartition, batch=B.sorting_rule,
    statement=S.step("indices that partition x around kth", r"\operatorname{argpartition} x"),
)
