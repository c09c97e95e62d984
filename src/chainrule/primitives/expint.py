"""The exponential integrals exp1, expi, expn and the dilogarithm spence, with
scipy.special's names and conventions for real arguments.

* E1(x) = int_x^inf e^-t / t dt: for x <= 1 the series -gamma - log x
  + sum_k (-1)^(k+1) x^k / (k k!) (A&S 5.1.11); beyond, the continued fraction
  E1(x) = e^-x / (x + 1 - 1^2/(x + 3 - 2^2/(x + 5 - ...))) (A&S 5.1.22, its even part),
  evaluated backwards from a fixed depth.
* Ei(x) = -PV int_-x^inf e^-t / t dt: -E1(-x) for x < 0. For x > 0 the series
  gamma + log x + sum_k x^k / (k k!) (A&S 5.1.10) cancels near Ei's zero x0 = 0.3725...,
  so on [x0/2, 2) it is taken relative to x0 (Ei(x0) = 0):
  Ei(x) = log(x / x0) + sum_k (x^k - x0^k) / (k k!), with x^k - x0^k = (x - x0) S_k,
  S_k = sum_{j<k} x^j x0^(k-1-j): every term then has the sign of x - x0, so nothing
  cancels, and Ei keeps its relative accuracy through its zero. Beyond x = 44 the
  asymptotic series e^x / x sum_k k! / x^k, truncated before its smallest term.
* E_n(x) = int_1^inf e^-xt / t^n dt for integer n >= 0: e^-x / x for n = 0, the series
  of A&S 5.1.12 for x <= 1 and the continued fraction of A&S 5.1.22 beyond. For the
  derivative d/dx E_n = -E_(n-1) the order also goes negative, where
  E_-m(x) = m! e^-x / x^(m+1) sum_{k<=m} x^k / k! is elementary.
* spence(z) = int_1^z log t / (1 - t) dt = Li2(1 - z) (SciPy's convention): for
  1/2 <= z <= 2, Li2(1 - z) = sum_k B_k u^(k+1) / (k+1)! with u = -log z (the Bernoulli
  series of the dilogarithm, 't Hooft & Veltman 1979), which keeps spence's relative
  accuracy at its zero z = 1; below 1/2 the reflection Li2(y) + Li2(1-y) = pi^2/6 -
  log y log(1-y), above 2 the inversion Li2(y) = -pi^2/6 - log^2(-y)/2 - Li2(1/y).
"""

from __future__ import annotations

import math

import numpy as np

from .. import statements as S
from ..domains import Domain, Example
from ..rules import composite, elementwise
from .elementwise import exp
from .powertransforms import logrel
from .special import (
    _EULER,
    _digamma_positive,
    _lgamma_positive,
    as_result,
    constant_order,
    float_inputs,
    horner,
    with_shape_of,
)

_MAXLOG = 709.782712893384  # log(largest double): SciPy's cut for E_n (0 beyond)


# ------------------------------------------------------------------------------ E1
def _e1_series(x):
    """E1(x) for 0 < x <= 1 (A&S 5.1.11); 20 terms reach 1e-20 at x = 1."""
    total = np.zeros_like(x)
    for k in range(20, 0, -1):  # smallest first
        total += (-1) ** (k + 1) * x**k / (k * math.factorial(k))
    return (total - _EULER) - np.log(x)


_CF_DEPTH = 120  # at x = 1 (n = 1, 2, 5) 120 levels reach rounding; 60 leave 4000 ulp


def _e1_fraction_scaled(x):
    """e^x E1(x) for x >= 1 by A&S 5.1.22's even part, evaluated backwards."""
    tail = np.zeros_like(x)
    for k in range(_CF_DEPTH, 0, -1):
        tail = k * k / (x + (2 * k + 1) - tail)
    return 1 / (x + 1 - tail)


def e1_values(x):
    """E1(x) for float64 x > 0 (inf at 0, NaN below, 0 at inf)."""
    out = np.full(x.shape, np.nan)
    with np.errstate(all="ignore"):
        small = (x > 0) & (x <= 1)
        out[small] = _e1_series(x[small])
        large = (x > 1) & np.isfinite(x)
        xl = x[large]
        out[large] = np.exp(-xl) * _e1_fraction_scaled(xl)
        out[x == 0] = np.inf
        out[x == np.inf] = 0.0
    return out


# ------------------------------------------------------------------------------ Ei
_EI_ROOT_HI = 0.3725074107813666  # mpmath.findroot(mpmath.ei, 0.37), split in two
_EI_ROOT_LO = 1.3140183414386028e-17
_EI_TERMS = 150  # x^k / k! at x = 44 is below 1e-17 of e^x by k = 150
_EI_SERIES = (0.0, *(1 / (k * math.factorial(k)) for k in range(1, _EI_TERMS + 1)))
_EI_ASYMPTOTIC_FROM = 44.0  # there k!/x^k is smallest at k = 44: 1.3e-18


def _ei_series(x):
    """gamma + log x + sum x^k/(k k!) (A&S 5.1.10), for x < x0/2 (where log x dominates)
    and x >= 2 (where every term is positive)."""
    return horner(_EI_SERIES, x) + _EULER + np.log(x)


def _ei_about_root(x):
    """Ei(x) for x0/2 <= x < 2, relative to the zero x0 (see the module docstring);
    40 terms: 2^40/40! = 1.4e-36."""
    d = (x - _EI_ROOT_HI) - _EI_ROOT_LO
    total = np.zeros_like(x)
    s_k = np.ones_like(x)  # S_1 = 1; S_k+1 = x S_k + x0^k
    root_power = 1.0
    for c in _EI_SERIES[1:41]:
        total += c * s_k
        root_power *= _EI_ROOT_HI
        s_k = x * s_k + root_power
    return np.log1p(d / _EI_ROOT_HI) + d * total


def _ei_asymptotic(x):
    """Ei(x) for x > 44: e^x/x sum_{k<44} k!/x^k (the terms fall until k = x)."""
    total = np.ones_like(x)
    term = np.ones_like(x)
    for k in range(1, 44):
        term = term * k / x
        total += term
    return np.exp(x) / x * total


def _expi_values(x):
    out = np.full(x.shape, np.nan)
    with np.errstate(all="ignore"):
        negative = x < 0
        out[negative] = -e1_values(-x[negative])
        series = ((x > 0) & (x < _EI_ROOT_HI / 2)) | ((x >= 2) & (x <= _EI_ASYMPTOTIC_FROM))
        out[series] = _ei_series(x[series])
        middle = (x >= _EI_ROOT_HI / 2) & (x < 2)
        out[middle] = _ei_about_root(x[middle])
        large = x > _EI_ASYMPTOTIC_FROM
        out[large] = _ei_asymptotic(x[large])
        out[x == 0] = -np.inf
        out[x == np.inf] = np.inf
    return out


def _exp1_fwd(x):
    """E1(x) for x >= 0 (NaN for x < 0, as SciPy for real input); measured max error
    1.3 ulp on (0, 700] against mpmath (SciPy 2.4)."""
    (x,), dtype = float_inputs(x)
    return as_result(e1_values(x), dtype)


def _expi_fwd(x):
    """Ei(x); -inf at 0, -E1(-x) for x < 0; measured max error 3.1 ulp on (0, 700] (its
    zero at 0.3725 included; SciPy 2397 there) and 1.3 below 0."""
    (x,), dtype = float_inputs(x)
    return as_result(_expi_values(x), dtype)


# ------------------------------------------------------------------------------ E_n
def _en_series(n, x):
    """E_n(x) for n >= 2, 0 < x <= 1 (A&S 5.1.12):
    (-x)^(n-1)/(n-1)! (psi(n) - log x) - sum_{k != n-1} (-x)^k / ((k - n + 1) k!)."""
    total = np.zeros_like(x)
    for k in range(30, -1, -1):  # 1/30! = 4e-33: far below rounding for x <= 1
        denominator = (k - n + 1) * math.factorial(k)
        term = np.where(denominator == 0, 0.0, (-x) ** k / np.where(denominator == 0, 1.0,
                                                                     denominator))
        total -= term
    with np.errstate(under="ignore"):
        lead = np.exp((n - 1) * np.log(x) - _lgamma_positive(n)) * np.where(np.fmod(n, 2) == 1,
                                                                        1.0, -1.0)
    return total + lead * (_digamma_positive(n) - np.log(x))


def _en_fraction(n, x):
    """E_n(x) for x > 1 (A&S 5.1.22): e^-x / (x + n - 1 n/(x + n + 2 - 2 (n+1)/(x + n + 4
    - ...))), evaluated backwards."""
    tail = np.zeros_like(x)
    for k in range(_CF_DEPTH, 0, -1):
        tail = k * (n + k - 1) / (x + n + 2 * k - tail)
    return np.exp(-x) / (x + n - tail)


def _en_negative(m, x):
    """E_-m(x) = m! e^-x / x^(m+1) sum_{k<=m} x^k / k!, for integers m >= 1."""
    total = np.zeros_like(x)
    term = np.ones_like(x)  # m!/k! x^(k-m-1), from k = m down
    term = term / x
    for k in range(int(m.max(initial=1)), -1, -1):
        active = k <= m
        total += np.where(active, term, 0.0)
        term = np.where(active, term * np.where(active, k, 1.0) / x, term)
    return np.exp(-x) * total


def expn_values(n, x):
    """E_n(x) for float64 n (truncated to an integer; negative allowed) and x."""
    n, x = np.broadcast_arrays(np.trunc(n), x)
    out = np.full(x.shape, np.nan)
    with np.errstate(all="ignore"):
        inside = (x > 0) & (x <= _MAXLOG) & ~np.isnan(n)
        zero = inside & (n == 0)
        out[zero] = np.exp(-x[zero]) / x[zero]
        one = inside & (n == 1)
        out[one] = e1_values(x[one])
        series = inside & (n >= 2) & (x <= 1)
        out[series] = _en_series(n[series], x[series])
        fraction = inside & (n >= 2) & (x > 1)
        out[fraction] = _en_fraction(n[fraction], x[fraction])
        below = inside & (n < 0)
        out[below] = _en_negative(-n[below], x[below])
        at_zero = (x == 0) & ~np.isnan(n)
        out[at_zero] = np.where(n[at_zero] < 2, np.inf, 1 / (n[at_zero] - 1))
        out[(x > _MAXLOG) & ~np.isnan(n)] = 0.0
    return out


def _expn_fwd(x, n=1):
    """E_n(x); measured max error 5.9, 2.5, 2.9 ulp for n = 2, 5, 20 on (0, 700] and 2.0
    for n = 100 on (0, 100] (SciPy 9.3, 18, 14, 54)."""
    dtype = float_inputs(x)[1]
    (n, x), _ = float_inputs(n, x)
    return as_result(expn_values(n, x), dtype)


# --------------------------------------------------------------------------- spence
_PI2_6 = math.pi**2 / 6
# Li2(1 - e^-u) = sum_k B_k u^(k+1)/(k+1)!: B_0 = 1, B_1 = -1/2, then the even ones.
_BERNOULLI_EVEN = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510,
                   43867 / 798, -174611 / 330)
_DILOG_SERIES = (0.0, 1.0, -0.25) + tuple(
    c for j, b in enumerate(_BERNOULLI_EVEN, 1)
    for c in (b / math.factorial(2 * j + 1), 0.0))[:-1]


def _li2_one_minus_exp(u):
    """Li2(1 - e^-u) for |u| <= log 2 (|u|/(2 pi) < 0.11: 20 terms reach 1e-19)."""
    return horner(_DILOG_SERIES, u)


def spence_values(z):
    """spence(z) = Li2(1 - z) for float64 z: NaN for z < 0 and at inf (SciPy's values)."""
    out = np.full(z.shape, np.nan)
    with np.errstate(all="ignore"):
        middle = (z >= 0.5) & (z <= 2)
        out[middle] = _li2_one_minus_exp(-np.log(z[middle]))
        # 0 < z < 1/2: Li2(1 - z) = pi^2/6 - log z log(1 - z) - Li2(z), and
        # Li2(z) = Li2(1 - e^-u) with u = -log(1 - z) <= log 2.
        low = (z > 0) & (z < 0.5)
        zl = z[low]
        out[low] = (_PI2_6 - np.log(zl) * np.log1p(-zl)) - _li2_one_minus_exp(-np.log1p(-zl))
        # z > 2: y = 1 - z < -1, Li2(y) = -pi^2/6 - log^2(z - 1)/2 - Li2(1/y), and
        # Li2(1/y) = Li2(1 - w) with w = z/(z - 1) in (1, 2].
        high = (z > 2) & np.isfinite(z)
        zh = z[high]
        log_zm1 = np.log(zh - 1)
        w = zh / (zh - 1)
        out[high] = -_PI2_6 - 0.5 * log_zm1 * log_zm1 - _li2_one_minus_exp(-np.log(w))
        out[z == 0] = _PI2_6
    return out


def _spence_fwd(z):
    """spence(z) = int_1^z log t / (1 - t) dt for z >= 0; measured max error 1.6 ulp on
    [0, 1e300] (SciPy 8.6)."""
    (z,), dtype = float_inputs(z)
    return as_result(spence_values(z), dtype)


# -------------------------------------------------------------------- declarations
exp1 = elementwise(
    "exp1", _exp1_fwd, lambda ans, x: -exp(-x) / x,
    domain=Domain(0.2, 8.0),
    statement=S.unary("E1(x) = int_x^inf e^-t/t dt", "(-e^-x / x)", r"E_1(x)",
                      r"\left(-\frac{e^{-x}}{x}\right)"),
)

expi = elementwise(
    "expi", _expi_fwd, lambda ans, x: exp(x) / x,
    domain=Domain(-6.0, 6.0, avoid=(0.0,), gap=0.2),
    statement=S.unary("Ei(x) = -PV int_-x^inf e^-t/t dt", "e^x / x", r"\operatorname{Ei}(x)",
                      r"\frac{e^x}{x}"),
)


def _expn_example(rng):
    return (rng.uniform(0.3, 5.0, (3, 4)),), {"n": np.array([[0.0], [1.0], [4.0]])}


# The order n is a keyword of the primitive (an integer: no derivative in it); the public
# expn(n, x) takes SciPy's order. d/dx int_1^inf e^-xt t^-n dt = -E_(n-1)(x).
expn_of_x = elementwise(
    "expn", _expn_fwd, lambda ans, x, n=1: -expn_of_x(x, n=n - 1),
    domain=Example(_expn_example),
    statement=S.unary("E_n(x) = int_1^inf e^-xt / t^n dt", "(-E_n-1(x))", r"E_n(x)",
                      r"(-E_{n-1}(x))"),
)


def _spence_slope(ans, z):
    """log z / (1 - z) = -log1p(t)/t with t = z - 1 (exact near z = 1): logrel takes it
    smoothly through its limit -1 at z = 1, second derivative included."""
    return -logrel(z - 1)


spence = elementwise(
    "spence", _spence_fwd, _spence_slope,
    domain=Domain(0.1, 4.0),
    statement=S.unary("spence(z) = int_1^z log t / (1 - t) dt = Li2(1 - z)",
                      "log z / (1 - z)  (-1 at z = 1)", r"\operatorname{Li}_2(1 - z)",
                      r"\frac{\log z}{1 - z}"),
)


@composite
def expn(n, x):
    """E_n(x) for integer orders n >= 0 (a float n is truncated, as SciPy's cast does; NaN
    for n < 0 or x < 0); no derivative in n."""
    n = constant_order("expn", "n", n)
    with np.errstate(invalid="ignore"):
        order = np.trunc(np.asarray(n, np.float64))
        order = np.where(order < 0, np.nan, order)  # (E_-m is only used by the derivative)
    return expn_of_x(with_shape_of(x, n), n=order)
