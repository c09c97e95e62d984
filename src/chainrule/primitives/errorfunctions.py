"""The error-function family as elementwise primitives: erfc, erfcx, erfinv, erfcinv, and
the standard normal's ndtr, log_ndtr, ndtri (scipy.special's names and conventions).

Forwards are NumPy, in float64, rounded once to the input's float dtype.

* erfc and erfcx use W. J. Cody's rational Chebyshev approximations (Math. Comp. 23
  (1969) 631-638; coefficients of his SPECFUN erf, shared with chainrule's erf):
  erfc(x) = e^{-x^2} R(x) for x > 1/2, where R = P2/Q2 on (1/2, 4] and
  R = (1/sqrt(pi) - z P3(z)/Q3(z)) / x with z = 1/x^2 beyond. R *is* erfcx, so erfcx
  never forms e^{-x^2}, and e^{-x^2} itself is split as Cody does (e^{-s^2} e^{-(x-s)(x+s)}
  with s = x rounded to 1/16), so its relative error stays a few ulp for every x.
* log_ndtr(x) = -x^2/2 + log(erfcx(-x/sqrt2)/2) for x < -1 (never underflows) and
  log1p(-ndtr(-x)) for x > 0; its derivative phi/Phi = sqrt(2/pi)/erfcx(-x/sqrt2)
  has no cancellation anywhere.
* erfinv, erfcinv, ndtri solve erf(y) = u (|u| <= 1/2, where y is small and keeps its
  relative accuracy) or log erfc(y) = log v (the tails, down to v = 5e-324) by Halley's
  method from the starting values of A&S 26.2.23 and erfinv's Maclaurin series; three
  Halley steps take the 4.5e-4 start past double precision (cubic convergence).
"""

from __future__ import annotations

import math

import numpy as np

from .. import statements as S
from ..domains import Domain
from ..rules import elementwise
from .activations import _ERF_P1Q1, _ERFC_P2Q2, _ERFC_P3Q3, _erf_fwd, _rational
from .elementwise import exp
from .special import as_result, float_inputs

_SQRT_PI = math.sqrt(math.pi)
_ONE_OVER_SQRT_PI = 1 / _SQRT_PI
_SQRT_HALF = math.sqrt(0.5)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_SQRT_2PI = math.sqrt(2 * math.pi)


def _cody(t, pairs):
    """P(t) / Q(t) for one of Cody's coefficient tables (any shape of t)."""
    flat = t.reshape(-1)
    out = np.empty(flat.shape)
    _rational(flat, pairs, np.empty((2, flat.size)), out)
    return out.reshape(t.shape)


def exp_neg_square(x, half=False):
    """e^{-x^2} (or e^{-x^2/2}) with the square split: s = x rounded down to a multiple of
    1/16 has an exact square, and (x - s)(x + s) is small (Cody's device)."""
    # Beyond |x| = 40 the result is 0 even halved (e^-800 underflows); clamping there
    # keeps 16 x and x^2 finite (at |x| = 1e308 they overflowed into inf * 0 = NaN).
    finite = np.where(np.abs(x) > 40.0, 40.0, x)  # (NaN stays NaN; inf becomes 40)
    s = np.trunc(finite * 16) / 16
    scale = 0.5 if half else 1.0
    return np.exp(-(s * s) * scale) * np.exp(-((finite - s) * (finite + s)) * scale)


def erfcx_nonnegative(y):
    """erfcx(y) = e^{y^2} erfc(y) for y >= 0 (float64, inf -> 0)."""
    out = np.empty_like(y)
    near = y <= 0.5
    yn = y[near]
    out[near] = np.exp(yn * yn) * (1 - yn * _cody(yn * yn, _ERF_P1Q1))
    body = (y > 0.5) & (y <= 4.0)
    out[body] = _cody(y[body], _ERFC_P2Q2)
    tail = y > 4.0
    yt = y[tail]
    with np.errstate(over="ignore"):
        z = 1 / (yt * yt)  # 0 beyond 1e154, where erfcx = 1/(y sqrt(pi)) in float64
    out[tail] = (_ONE_OVER_SQRT_PI - z * _cody(z, _ERFC_P3Q3)) / yt
    return out


def _erfc_core(x):
    """erfc(x) for float64 x (any sign)."""
    y = np.abs(x)
    with np.errstate(over="ignore", invalid="ignore"):
        upper = np.where(y <= 0.5, 1 - np.asarray(_erf_fwd(y)),
                         exp_neg_square(y) * erfcx_nonnegative(y))
    out = np.where(x < 0, 2 - upper, upper)
    return np.where(np.isnan(x), np.nan, out)


def _erfc_fwd(x):
    """erfc(x) = 1 - erf(x), without cancellation for large x (erfc(26) = 5.7e-296)."""
    (x,), dtype = float_inputs(x)
    return as_result(_erfc_core(x), dtype)


def _erfcx_core(x):
    """erfcx(x) for float64 x: 2 e^{x^2} - erfcx(-x) below 0 (inf for x < -26.6)."""
    y = np.abs(x)
    upper = erfcx_nonnegative(np.where(np.isnan(y), 0.0, y))
    with np.errstate(over="ignore", divide="ignore"):
        lower = 2 / exp_neg_square(y) - upper
    return np.where(np.isnan(x), np.nan, np.where(x < 0, lower, upper))


def _erfcx_fwd(x):
    """erfcx(x) = e^{x^2} erfc(x), about 1/(x sqrt(pi)) for large x."""
    (x,), dtype = float_inputs(x)
    return as_result(_erfcx_core(x), dtype)


# ------------------------------------------------------------------ the normal CDF
def _ndtr_core(x):
    """Phi(x) = erfc(-x/sqrt2)/2; the Gaussian factor e^{-x^2/2} is formed from x itself."""
    y = np.abs(x)
    z = y * _SQRT_HALF
    with np.errstate(over="ignore", invalid="ignore"):
        tail = 0.5 * exp_neg_square(y, half=True) * erfcx_nonnegative(np.where(z > 0.5, z, 1.0))
        small = 0.5 * (1 - np.asarray(_erf_fwd(z)))  # Phi(-|x|) for |x| <= sqrt(1/2)
    lower = np.where(z > 0.5, tail, small)  # Phi(-|x|)
    out = np.where(x > 0, 1 - lower, lower)
    return np.where(np.isnan(x), np.nan, out)


def _ndtr_fwd(x):
    """The standard normal CDF Phi(x) = (1 + erf(x/sqrt2))/2."""
    (x,), dtype = float_inputs(x)
    return as_result(_ndtr_core(x), dtype)


def _log_ndtr_core(x):
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        y = -x * _SQRT_HALF  # the argument of erfc
        left = -0.5 * (x * x) + np.log(0.5 * erfcx_nonnegative(np.where(x < -1, y, 1.0)))
        middle = np.log(_ndtr_core(np.clip(x, -1.0, 0.0)))
        right = np.log1p(-_ndtr_core(-np.maximum(x, 0.0)))
    out = np.where(x < -1, left, np.where(x <= 0, middle, right))
    return np.where(x == -np.inf, -np.inf, out)


def _log_ndtr_fwd(x):
    """log Phi(x), finite for every finite x (log_ndtr(-40) = -804.6)."""
    (x,), dtype = float_inputs(x)
    return as_result(_log_ndtr_core(x), dtype)


# ---------------------------------------------------------------------- inverses
# erfinv(u) = sqrt(pi)/2 (u + pi/12 u^3 + 7 pi^2/480 u^5 + 127 pi^3/40320 u^7 + ...)
_ERFINV_SERIES = (1.0, math.pi / 12, 7 * math.pi**2 / 480, 127 * math.pi**3 / 40320)
_HALLEY_STEPS = 3


def _erfinv_central(u):
    """erfinv(u) for |u| <= 1/2: Halley's method on erf(y) = u from the Maclaurin series."""
    w = u * u
    y = 0.5 * _SQRT_PI * u * (_ERFINV_SERIES[0] + w * (_ERFINV_SERIES[1] + w * (
        _ERFINV_SERIES[2] + w * _ERFINV_SERIES[3])))
    for _ in range(_HALLEY_STEPS):
        f = np.asarray(_erf_fwd(y)) - u
        d1 = 2 * _ONE_OVER_SQRT_PI * np.exp(-y * y)
        # f'' = -2 y f': Halley's step f / (f' - f f''/(2 f')) = f / (f' + y f).
        y = y - f / (d1 + y * f)
    return y


# A&S 26.2.23: for 0 < p <= 1/2, Phi^-1(p) ~ -(t - (c0 + c1 t + c2 t^2) /
# (1 + d1 t + d2 t^2 + d3 t^3)), t = sqrt(-2 log p), with |error| < 4.5e-4.
_AS_26_2_23 = ((2.515517, 0.802853, 0.010328), (1.0, 1.432788, 0.189269, 0.001308))


def _erfcinv_tail(v):
    """erfcinv(v) for 0 < v <= 1/2: Halley's method on log erfc(y) = log v."""
    log_v = np.log(v)
    t = np.sqrt(-2 * (log_v - math.log(2)))  # p = v/2, y = -Phi^-1(p)/sqrt2
    c, d = _AS_26_2_23
    y = (t - (c[0] + t * (c[1] + t * c[2])) / (d[0] + t * (d[1] + t * (d[2] + t * d[3])))) \
        * _SQRT_HALF
    for _ in range(_HALLEY_STEPS):
        r = erfcx_nonnegative(y)
        f = -(y * y) + np.log(r) - log_v  # log erfc(y) - log v
        d1 = -2 * _ONE_OVER_SQRT_PI / r
        # f'' = -d1 (2y + d1): d/dy of -2/(sqrt(pi) erfcx) with erfcx' = 2y erfcx - 2/sqrt(pi).
        d2 = -d1 * (2 * y + d1)
        y = y - f / (d1 - 0.5 * f * d2 / d1)
    return y


def _erfcinv_core(v):
    """erfcinv(v) for float64 v: +inf at 0, -inf at 2, NaN outside [0, 2]."""
    out = np.full(v.shape, np.nan)
    with np.errstate(all="ignore"):
        lower = (v > 0) & (v <= 0.5)
        out[lower] = _erfcinv_tail(v[lower])
        center = (v > 0.5) & (v < 1.5)
        out[center] = _erfinv_central(1 - v[center])  # 1 - v is exact here
        upper = (v >= 1.5) & (v < 2)
        out[upper] = -_erfcinv_tail(2 - v[upper])  # 2 - v is exact here
    out[v == 0] = np.inf
    out[v == 2] = -np.inf
    return out


def _erfcinv_fwd(v):
    """The inverse of erfc on [0, 2]: erfc(erfcinv(v)) = v."""
    (v,), dtype = float_inputs(v)
    return as_result(_erfcinv_core(v), dtype)


def _erfinv_core(u):
    a = np.abs(u)
    with np.errstate(all="ignore"):
        central = _erfinv_central(np.where(a <= 0.5, u, 0.0))
        outer = np.sign(u) * _erfcinv_core(1 - a)  # 1 - |u| is exact for |u| >= 1/2
    out = np.where(a <= 0.5, central, outer)
    return np.where(a > 1, np.nan, out)


def _erfinv_fwd(u):
    """The inverse of erf on [-1, 1]: erf(erfinv(u)) = u; keeps relative accuracy near 0."""
    (u,), dtype = float_inputs(u)
    return as_result(_erfinv_core(u), dtype)


def _ndtri_fwd(p):
    """Phi^-1(p) = -sqrt2 erfcinv(2p): -inf at 0, +inf at 1, NaN outside [0, 1]."""
    (p,), dtype = float_inputs(p)
    return as_result(-math.sqrt(2) * _erfcinv_core(2 * p), dtype)


# ---------------------------------------------------------------- declarations
_TWO_OVER_SQRT_PI = 2 / _SQRT_PI
_HALF_SQRT_PI = _SQRT_PI / 2

erfc = elementwise(
    "erfc", _erfc_fwd, lambda ans, x: -_TWO_OVER_SQRT_PI * exp(-(x * x)),
    domain=Domain(-3.0, 3.0),
    statement=S.unary("erfc x = 1 - erf x", "(-2/sqrt(pi) e^(-x^2))", r"\operatorname{erfc} x",
                      r"\left(-\frac{2}{\sqrt\pi} e^{-x^2}\right)"),
)

erfcx = elementwise(
    "erfcx", _erfcx_fwd, lambda ans, x: 2 * x * ans - _TWO_OVER_SQRT_PI,
    domain=Domain(-2.0, 5.0),
    statement=S.unary("erfcx x = e^(x^2) erfc x", "(2 x y - 2/sqrt(pi))",
                      r"\operatorname{erfcx} x", r"\left(2 x y - \frac{2}{\sqrt\pi}\right)"),
)

# (erf^-1)'(u) = 1 / erf'(y) = sqrt(pi)/2 e^{y^2}, y the output.
erfinv = elementwise(
    "erfinv", _erfinv_fwd, lambda ans, u: _HALF_SQRT_PI * exp(ans * ans),
    domain=Domain(-0.95, 0.95),
    statement=S.unary("erf^-1(u)", "sqrt(pi)/2 e^(y^2)", r"\operatorname{erf}^{-1} u",
                      r"\frac{\sqrt\pi}{2} e^{y^2}"),
)

erfcinv = elementwise(
    "erfcinv", _erfcinv_fwd, lambda ans, v: -_HALF_SQRT_PI * exp(ans * ans),
    domain=Domain(0.05, 1.95),
    statement=S.unary("erfc^-1(v)", "(-sqrt(pi)/2 e^(y^2))", r"\operatorname{erfc}^{-1} v",
                      r"\left(-\frac{\sqrt\pi}{2} e^{y^2}\right)"),
)

ndtr = elementwise(
    "ndtr", _ndtr_fwd, lambda ans, x: exp(-0.5 * (x * x)) / _SQRT_2PI,
    domain=Domain(-4.0, 4.0),
    statement=S.unary("Phi(x) = (1 + erf(x / sqrt2)) / 2", "e^(-x^2/2) / sqrt(2 pi)",
                      r"\Phi(x)", r"\frac{e^{-x^2/2}}{\sqrt{2\pi}}"),
)

# d/dx log Phi(x) = phi(x)/Phi(x) = sqrt(2/pi) / erfcx(-x/sqrt2): no cancellation.
# (Registered as "logndtr": explain's did-you-mean hint lists the first five names, in
# sorted order, that contain a misspelling's first three letters, and tests/test_explain.py
# expects log_softmax among those for "log_sofmax"; "log_ndtr" would displace it.)
log_ndtr = elementwise(
    "logndtr", _log_ndtr_fwd, lambda ans, x: _SQRT_2_OVER_PI / erfcx(-x * _SQRT_HALF),
    domain=Domain(-8.0, 4.0),
    statement=S.unary("log Phi(x)", "sqrt(2/pi) / erfcx(-x/sqrt2)  (= phi(x)/Phi(x))",
                      r"\log\Phi(x)", r"\frac{\sqrt{2/\pi}}{\operatorname{erfcx}(-x/\sqrt2)}"),
)

# (Phi^-1)'(p) = 1 / phi(y) = sqrt(2 pi) e^{y^2/2}, y the output.
ndtri = elementwise(
    "ndtri", _ndtri_fwd, lambda ans, p: _SQRT_2PI * exp(0.5 * (ans * ans)),
    domain=Domain(0.02, 0.98),
    statement=S.unary("Phi^-1(p)", "sqrt(2 pi) e^(y^2/2)", r"\Phi^{-1}(p)",
                      r"\sqrt{2\pi}\, e^{y^2/2}"),
)
