"""exprel and the Box-Cox transforms (scipy.special's boxcox, boxcox1p, inv_boxcox,
inv_boxcox1p) as elementwise primitives, with SciPy's forwards and conventions.

They are primitives rather than compositions for their derivative in lmbda. With
L = log x, boxcox(x, lmbda) = (x^lmbda - 1)/lmbda = L exprel(lmbda L), exprel(u) =
(e^u - 1)/u, and d/dlmbda = L^2 exprel'(lmbda L): composed from expm1(lmbda L)/lmbda
instead, the derivative would be L e^(lmbda L)/lmbda - expm1(lmbda L)/lmbda^2, two terms
of size 1/lmbda^2 that cancel (all digits lost at lmbda = 1e-8), and 0 at lmbda = 0 where
it is L^2/2. exprel' = (e^u - exprel(u))/u cancels in turn for small u, so there it is
its Taylor series sum_n (n+1)/(n+2)! u^n. The inverses are the same with
h(v) = log1p(v)/v: inv_boxcox(y, lmbda) = exp(y h(lmbda y)), d/dlmbda = y^2 h'(lmbda y) y_out,
h' = (v/(1+v) - log1p(v))/v^2 = sum_k (-1)^k k v^(k-1)/(k+1) for small v.

Every derivative is written in chainrule's operations, so second derivatives follow.
"""

from __future__ import annotations

import math

import numpy as np

from .. import statements as S
from ..domains import Domain
from ..rules import elementwise
from .elementwise import abs, exp, less, log, log1p, where
from .special import as_result, float_inputs


def _polynomial(coefficients, u):
    """sum_k coefficients[k] u^k in chainrule's operations (Horner), for a tensor u."""
    out = coefficients[-1]
    for c in coefficients[-2::-1]:
        out = out * u + c
    return out


# -------------------------------------------------------------------------- exprel
def _exprel_fwd(x):
    """(e^x - 1)/x, 1 at 0; SciPy's cuts: 1 for |x| < 1e-16, inf once e^x overflows;
    measured max error 1.4 ulp."""
    (x,), dtype = float_inputs(x)
    with np.errstate(all="ignore"):
        out = np.where(np.abs(x) < 1e-16, 1.0, np.expm1(x) / np.where(x == 0, 1.0, x))
        out = np.where(x == np.inf, np.inf, out)
    return as_result(out, dtype)


# exprel'(u) = sum_{n>=0} (n+1)/(n+2)! u^n; for |u| <= 1/2, 18 terms reach 1e-21.
_EXPREL_SLOPE = tuple((n + 1) / math.factorial(n + 2) for n in range(18))
_EXPREL_SERIES_RADIUS = 0.5


def exprel_slope(u):
    """d/du exprel(u): the series near 0, (e^u - exprel(u))/u beyond (cancelling at most
    a factor 3 at |u| = 1/2)."""
    near = less(abs(u), _EXPREL_SERIES_RADIUS)
    far_u = where(near, 1.0, u)  # keeps 0/0 out of the untaken branch
    series = _polynomial(_EXPREL_SLOPE, where(near, u, 0.0))
    return where(near, series, (exp(far_u) - exprel(far_u)) / far_u)


exprel = elementwise(
    "exprel", _exprel_fwd, lambda ans, x: exprel_slope(x),
    domain=Domain(-3.0, 3.0),
    statement=S.unary("exprel(x) = (e^x - 1)/x  (1 at 0)",
                      "(e^x - y)/x  (its Taylor series near 0)", r"\frac{e^x - 1}{x}",
                      r"\frac{e^x - y}{x}"),
)


# -------------------------------------------------------------------------- log1p(v)/v
# h(v) = log1p(v)/v = sum_{k>=0} (-1)^k v^k/(k+1) and
# h'(v) = sum_{k>=1} (-1)^k k/(k+1) v^(k-1); for |v| <= 1/4, 30 terms reach 1e-19.
_LOGREL = tuple((-1) ** k / (k + 1) for k in range(31))
_LOGREL_SLOPE = tuple((-1) ** k * k / (k + 1) for k in range(1, 31))
_LOGREL_SERIES_RADIUS = 0.25


def logrel(v):
    """log1p(v)/v (1 at 0) in chainrule's operations: its series near 0, so that its
    derivatives (logrel_slope) are smooth through v = 0."""
    near = less(abs(v), _LOGREL_SERIES_RADIUS)
    far_v = where(near, 1.0, v)
    return where(near, _polynomial(_LOGREL, where(near, v, 0.0)), log1p(far_v) / far_v)


def logrel_slope(v):
    """d/dv [log1p(v)/v]: the series near 0, (v/(1+v) - log1p(v))/v^2 beyond (cancelling
    at most a factor 8 at |v| = 1/4)."""
    near = less(abs(v), _LOGREL_SERIES_RADIUS)
    far_v = where(near, 1.0, v)
    series = _polynomial(_LOGREL_SLOPE, where(near, v, 0.0))
    return where(near, series, (far_v / (1 + far_v) - log1p(far_v)) / (far_v * far_v))


# ------------------------------------------------------------------------ forwards
_LMBDA_ZERO = 1e-19  # SciPy's boxcox, boxcox1p: |lmbda| below it is lmbda = 0


def _boxcox_core(log_x, lmbda):
    with np.errstate(all="ignore"):
        return np.where(np.abs(lmbda) < _LMBDA_ZERO, log_x, np.expm1(lmbda * log_x) / lmbda)


def _boxcox_fwd(x, lmbda):
    """(x^lmbda - 1)/lmbda as expm1(lmbda log x)/lmbda; log x for |lmbda| < 1e-19; measured
    max error 7.6 ulp (SciPy's formula: the same)."""
    (x, lmbda), dtype = float_inputs(x, lmbda)
    with np.errstate(all="ignore"):
        return as_result(_boxcox_core(np.log(x), lmbda), dtype)


def _boxcox1p_fwd(x, lmbda):
    """((1 + x)^lmbda - 1)/lmbda as expm1(lmbda log1p x)/lmbda; log1p x for lmbda ~ 0, and
    (SciPy's cut) where |log1p x| < 1e-289 and |lmbda| < 1e273, so that lmbda log1p x
    does not lose digits as a subnormal. Measured max error 12.7 ulp (SciPy's formula)."""
    (x, lmbda), dtype = float_inputs(x, lmbda)
    with np.errstate(all="ignore"):
        log_x = np.log1p(x)
        tiny = (np.abs(log_x) < 1e-289) & (np.abs(lmbda) < 1e273)
        return as_result(np.where(tiny, log_x, _boxcox_core(log_x, lmbda)), dtype)


def _log1p_product(lmbda, y):
    """log(1 + lmbda y), also where lmbda y overflows (SciPy's value there, as computed with
    wider intermediates: log|lmbda| + log|y|)."""
    product = lmbda * y
    wide = np.isinf(product) & np.isfinite(lmbda) & np.isfinite(y) & (product > 0)
    return np.where(wide, np.log(np.abs(lmbda)) + np.log(np.abs(y)), np.log1p(product))


def _inv_boxcox_fwd(y, lmbda):
    """(1 + lmbda y)^(1/lmbda) as exp(log1p(lmbda y)/lmbda); exp(y) at lmbda = 0; measured
    max error 4.4 ulp."""
    (y, lmbda), dtype = float_inputs(y, lmbda)
    with np.errstate(all="ignore"):
        out = np.where(lmbda == 0, np.exp(y),
                       np.exp(_log1p_product(lmbda, y) / np.where(lmbda == 0, 1.0, lmbda)))
    return as_result(out, dtype)


def _inv_boxcox1p_fwd(y, lmbda):
    """(1 + lmbda y)^(1/lmbda) - 1 as expm1(log1p(lmbda y)/lmbda); expm1(y) at lmbda = 0,
    and y itself where 0 < |lmbda y| < 1e-154 (SciPy 1.17's value there); measured max
    error 4.4 ulp."""
    (y, lmbda), dtype = float_inputs(y, lmbda)
    with np.errstate(all="ignore"):
        general = np.expm1(_log1p_product(lmbda, y) / np.where(lmbda == 0, 1.0, lmbda))
        out = np.where(lmbda == 0, np.expm1(y),
                       np.where(np.abs(lmbda * y) < 1e-154, y, general))
    return as_result(out, dtype)


# -------------------------------------------------------------------- declarations
_DOMAINS = (Domain(0.3, 3.0), Domain(-1.5, 1.5))

# d/dx = x^(lmbda-1) = e^((lmbda-1) log x); d/dlmbda = L^2 exprel'(lmbda L), L = log x.
boxcox = elementwise(
    "boxcox", _boxcox_fwd,
    lambda ans, x, lmbda: exp((lmbda - 1) * log(x)),
    lambda ans, x, lmbda: log(x) * log(x) * exprel_slope(lmbda * log(x)),
    domain=_DOMAINS,
    statement=S.binary(
        "(x^lmbda - 1)/lmbda  (log x at lmbda = 0)", "g * x^(lmbda - 1)",
        "g * L^2 exprel'(lmbda L), L = log x", r"\frac{x^\lambda - 1}{\lambda}",
        r"\bar y\, x^{\lambda - 1}", r"\bar y\, L^2 \operatorname{exprel}'(\lambda L)",
    ),
)

boxcox1p = elementwise(
    "boxcox1p", _boxcox1p_fwd,
    lambda ans, x, lmbda: exp((lmbda - 1) * log1p(x)),
    lambda ans, x, lmbda: log1p(x) * log1p(x) * exprel_slope(lmbda * log1p(x)),
    domain=(Domain(-0.7, 3.0), Domain(-1.5, 1.5)),
    statement=S.binary(
        "((1 + x)^lmbda - 1)/lmbda  (log1p x at lmbda = 0)", "g * (1 + x)^(lmbda - 1)",
        "g * L^2 exprel'(lmbda L), L = log1p x", r"\frac{(1 + x)^\lambda - 1}{\lambda}",
        r"\bar y\, (1 + x)^{\lambda - 1}", r"\bar y\, L^2 \operatorname{exprel}'(\lambda L)",
    ),
)

# y_out = exp(y h(lmbda y)): d/dy = y_out/(1 + lmbda y), d/dlmbda = y_out y^2 h'(lmbda y).
inv_boxcox = elementwise(
    "inv_boxcox", _inv_boxcox_fwd,
    lambda ans, y, lmbda: ans / (1 + lmbda * y),
    lambda ans, y, lmbda: ans * (y * y) * logrel_slope(lmbda * y),
    domain=(Domain(-0.5, 1.5), Domain(-0.5, 0.5)),
    statement=S.binary(
        "(1 + lmbda y)^(1/lmbda)  (e^y at lmbda = 0)", "g * out / (1 + lmbda y)",
        "g * out y^2 h'(lmbda y), h(v) = log1p(v)/v", r"(1 + \lambda y)^{1/\lambda}",
        r"\bar z\, z / (1 + \lambda y)", r"\bar z\, z\, y^2 h'(\lambda y)",
    ),
)

inv_boxcox1p = elementwise(
    "inv_boxcox1p", _inv_boxcox1p_fwd,
    lambda ans, y, lmbda: (ans + 1) / (1 + lmbda * y),
    lambda ans, y, lmbda: (ans + 1) * (y * y) * logrel_slope(lmbda * y),
    domain=(Domain(-0.5, 1.5), Domain(-0.5, 0.5)),
    statement=S.binary(
        "(1 + lmbda y)^(1/lmbda) - 1  (expm1 y at lmbda = 0)", "g * (out + 1) / (1 + lmbda y)",
        "g * (out + 1) y^2 h'(lmbda y), h(v) = log1p(v)/v", r"(1 + \lambda y)^{1/\lambda} - 1",
        r"\bar z\, (z + 1) / (1 + \lambda y)", r"\bar z\, (z + 1)\, y^2 h'(\lambda y)",
    ),
)
