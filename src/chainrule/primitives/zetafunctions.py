"""Riemann's and Hurwitz's zeta functions with scipy.special.zeta's conventions.

* Hurwitz, zeta(x, q) = sum_{k>=0} (q + k)^-x for x > 1: the Euler-Maclaurin sum of
  chainrule.primitives.special.hurwitz_zeta (A&S 23.2.9). A negative non-integer q (only
  meaningful for an integer x, SciPy's rule) is first moved to (0, 1] by
  zeta(x, q) = sum_{k<M} (q + k)^-x + zeta(x, q + M). For q > 1e8 the sum is replaced by
  its own tail, q^(1-x) (1/(x-1) + 1/(2q) + x/(12 q^2)), which does not underflow; for
  x >= 1e4 eight direct terms are the whole sum (or it underflows).
* Riemann, zeta(x) = zeta(x, 1), extended to x < 1 as SciPy does:
  - x > 1: Euler-Maclaurin with the pole term a^(1-x)/(x-1) fed the exact x - 1, so
    that zeta(1 + e) = 1/e + gamma keeps its relative accuracy;
  - 0 <= x < 1: Dirichlet's eta, eta(x) = sum (-1)^k (k+1)^-x, by Borwein's acceleration
    (P. Borwein, "An efficient algorithm for the Riemann zeta function", 2000, algorithm 2,
    24 terms, error below 3 / (3 + sqrt 8)^24 = 1.3e-18), divided by
    1 - 2^(1-x) = -expm1((1-x) log 2), which keeps zeta(1 - e) = -1/e + gamma accurate;
  - x < 0: the functional equation zeta(x) = 2 (2 pi)^(x-1) sin(pi x/2) Gamma(1-x)
    zeta(1-x), with sin(pi x / 2) reduced exactly (so the trivial zeros at the negative
    even integers are exact zeros), (2 pi)^(x-1) formed from an exact product
    (x - 1) log(2 pi) (Dekker's two-product), the rounding of 1 - x corrected to first
    order, zeta(1 - x) evaluated with the exact offset -x from its pole, and Gamma(1 - x)
    (2 pi)^(x-1) taken in fourth roots past Gamma's overflow (finite down to x = -260).

zeta has no closed-form derivative in x; in q it is d/dq zeta(x, q) = -x zeta(x + 1, q).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .. import statements as S
from ..domains import Example
from ..rules import composite, elementwise, nondifferentiable
from .special import (
    _BERNOULLI_2J,
    _EM_COEFFICIENTS,
    _SQRT_2PI,
    _digamma_positive,
    _exact_sum,
    _gamma_positive,
    _stirling_correction,
    as_result,
    constant_argument,
    float_inputs,
    hurwitz_zeta,
    is_nonpositive_integer,
    sinpi,
    two_product,
    with_shape_of,
)

# log(2 pi) and 1 + log(2 pi) as double-double pairs (hi + lo), for exp(t c) with t c
# formed exactly.
_LOG_2PI_HI = 1.8378770664093456
_LOG_2PI_LO = -7.756588316134483e-17
_ONE_PLUS_LOG_2PI_HI = 2.8378770664093453
_ONE_PLUS_LOG_2PI_LO = 1.4447872176368647e-16
def exp_of_product(t, hi, lo):
    """e^(t c) for c = hi + lo to a few ulp: t hi is split exactly, so the only rounding
    left is exp's own (plain exp(t c) loses |t c| eps, 100 ulp at t c = 400)."""
    p, e = two_product(t, hi)
    return np.exp(p) * np.exp(e + t * lo)


# ------------------------------------------------------------------------- Riemann
def _riemann_above_one(s, s_minus_1):
    """zeta(s) for s > 1 by Euler-Maclaurin (A&S 23.2.9) with N = 12 direct terms; the pole
    term a^(1-s)/(s-1) takes s - 1 as given (exact), the rest s."""
    n_terms = 12
    a = float(n_terms + 1)
    power = a**-s
    # The correction terms: B_2j/(2j)! s (s+1)...(s+2j-2) a^(-s-2j+1). With a = 13 the
    # remainder after twelve is below 1e-17 relative for s <= 50, the largest s used here.
    rising = s.copy()
    corrections = np.zeros(s.shape)
    scaled = power / a
    for j, c in enumerate(_EM_COEFFICIENTS):
        corrections += c * rising * scaled
        rising = rising * (s + 2 * j + 1) * (s + 2 * j + 2)
        scaled = scaled / (a * a)
    # Summed smallest first, the leading 1 last: zeta(s) - 1 is tiny for large s.
    total = corrections + a ** -s_minus_1 / s_minus_1 + 0.5 * power
    for k in range(n_terms, 1, -1):
        total += float(k) ** -s
    return total + 1.0


def _borwein_coefficients(n):
    """-(d_k - d_n) / d_n for k < n, with d_k = n sum_{i<=k} (n+i-1)! 4^i / ((n-i)! (2i)!)
    (Borwein's algorithm 2), exactly in rationals and rounded once."""
    d, total = [], Fraction(0)
    for i in range(n + 1):
        total += Fraction(n * math.factorial(n + i - 1) * 4**i,
                          math.factorial(n - i) * math.factorial(2 * i))
        d.append(total)
    return np.array([float(-(d[k] - d[n]) / d[n]) * (-1) ** k for k in range(n)])


_BORWEIN = _borwein_coefficients(24)
_LOG2 = math.log(2)


def _riemann_zero_to_one(s):
    """zeta(s) for 0 <= s < 1: eta(s) / (1 - 2^(1-s)), eta by Borwein's sum."""
    eta = np.zeros(s.shape)
    for k in range(len(_BORWEIN) - 1, -1, -1):  # smallest terms first
        eta += _BORWEIN[k] * float(k + 1) ** -s
    return eta / -np.expm1((1 - s) * _LOG2)


def _two_pi_power_gamma(y):
    """(2 pi)^-y Gamma(y) for y > 1 (inf beyond y = 300, where it overflows)."""
    out = np.full(y.shape, np.inf)
    small = y <= 171
    ys = y[small]
    out[small] = _gamma_positive(ys) * exp_of_product(-ys, _LOG_2PI_HI, _LOG_2PI_LO)
    # Gamma(y) itself overflows: Stirling, sqrt(2 pi) y^(y-1/2) e^(-y (1 + log 2 pi)) e^w,
    # with the two large factors taken in fourth roots so that neither overflows.
    big = (y > 171) & (y <= 300)
    yb = y[big]
    root = yb ** ((yb - 0.5) / 4) * exp_of_product(-yb / 4, _ONE_PLUS_LOG_2PI_HI,
                                                    _ONE_PLUS_LOG_2PI_LO)
    root *= root
    out[big] = _SQRT_2PI * (root * root) * np.exp(_stirling_correction(yb))
    return out


def riemann_zeta_values(x):
    """zeta(x) for float64 x, SciPy's values: inf at 1, nan at -inf, 1 at inf."""
    out = np.full(x.shape, np.nan)
    with np.errstate(all="ignore"):
        above = (x > 1) & (x <= 50)
        xa = x[above]
        out[above] = _riemann_above_one(xa, xa - 1)  # (x - 1 is exact for x in (1, 50])
        far = x > 50  # 2^-50 = 9e-16: three terms are exact to rounding
        out[far] = 1 + (2.0 ** -x[far] + 3.0 ** -x[far])
        out[x == 1] = np.inf
        unit = (x >= 0) & (x < 1)
        out[unit] = _riemann_zero_to_one(x[unit])
        negative = (x < 0) & np.isfinite(x)
        xn = x[negative]
        # y = 1 - x rounds (by up to 80 ulp of the result at x = -250, Gamma's condition
        # number being psi(y) y): y + e = 1 - x exactly, and d/dy log((2 pi)^-y Gamma(y))
        # = psi(y) - log(2 pi) corrects for e. The pole term of zeta(y) gets y - 1 = -x.
        y, e = _exact_sum(np.ones_like(xn), -xn)
        correction = 1 + e * (_digamma_positive(y) - _LOG_2PI_HI)
        zeta_y = np.where(xn > -49, _riemann_above_one(np.minimum(y, 50.0), -xn),
                          1 + (2.0 ** -y + 3.0 ** -y))
        value = 2 * sinpi(xn / 2) * (_two_pi_power_gamma(y) * correction) * zeta_y
        # At the trivial zeros sinpi is an exact zero; beyond overflow 0 * inf is NaN.
        even = (np.fmod(xn, 2) == 0)
        out[negative] = np.where(even, 0.0, value)
    return out


def _riemann_fwd(x):
    """Riemann's zeta(x) (float64 computation, rounded once to x's float dtype); measured max
    error against mpmath 2.9 ulp on (1, 1.001], 2.4 on [1.001, 1e3], 9.2 on [0, 1), 5.2 on
    [-5, 0), 11 on [-260, -5] (SciPy 5.8, 5.3, 4.7, 634, 1147)."""
    (x,), dtype = float_inputs(x)
    return as_result(riemann_zeta_values(x), dtype)


# ------------------------------------------------------------------------- Hurwitz
def _hurwitz_large_q(s, q):
    """zeta(s, q) for q > 1e8 (and s < 1e4): q^(1-s) (1/(s-1) + 1/(2q) + s/(12 q^2)), the
    Euler-Maclaurin sum with no direct terms; the next term is about s^4/(720 q^4) of the
    result, below 2e-19 here."""
    return q ** (1 - s) * (1 / (s - 1) + 0.5 / q + _BERNOULLI_2J[0] / 2 * s / (q * q))


def _hurwitz_positive(s, q):
    """zeta(s, q) for 1 < s < inf, 0 < q < inf (float64 arrays of one shape)."""
    out = np.empty_like(s)
    steep = s >= 1e4  # (q+k)^-s falls so fast that eight terms are all (or it underflows)
    head = np.zeros(s[steep].shape)
    for k in range(7, -1, -1):
        head += (q[steep] + k) ** -s[steep]
    out[steep] = head
    large = ~steep & (q > 1e8)
    out[large] = _hurwitz_large_q(s[large], q[large])
    ordinary = ~steep & ~large
    out[ordinary] = hurwitz_zeta(s[ordinary], q[ordinary])
    return out


def hurwitz_zeta_values(s, q):
    """zeta(s, q) for float64 arrays (broadcast), with SciPy's rules: inf at s = 1 and at
    q = 0, -1, -2, ...; NaN for s < 1, and for q < 0 unless s is an integer."""
    s, q = np.broadcast_arrays(s, q)
    out = np.full(s.shape, np.nan)
    with np.errstate(all="ignore"):
        valid = (s > 1) & (q > 0) & np.isfinite(s) & np.isfinite(q)
        out[valid] = _hurwitz_positive(s[valid], q[valid])
        # q < 0 (integer s): the first M terms directly, then from q + M in (0, 1].
        negative = ((s > 1) & (q < 0) & np.isfinite(s) & np.isfinite(q) & (s == np.floor(s))
                    & ~is_nonpositive_integer(q))
        if negative.any():
            sn, qn = s[negative], q[negative]
            shift = np.ceil(-qn)
            head = np.zeros(sn.shape)
            for k in range(int(shift.max())):
                head += np.where(k < shift, (qn + k) ** -sn, 0.0)
            out[negative] = head + _hurwitz_positive(sn, qn + shift)
        # SciPy's edges: zeta(s, inf) = 0; zeta(inf, q) = 1 at q = 1, inf for 0 < q < 1,
        # 0 for q > 1e8 (and NaN between, from its Euler-Maclaurin sum).
        out[(s > 1) & (q == np.inf)] = 0.0
        top = (s == np.inf) & (q > 0)
        qt = q[top]
        out[top] = np.where(qt == 1, 1.0, np.where(qt < 1, np.inf,
                                                    np.where(qt > 1e8, 0.0, np.nan)))
        out[(s == np.inf) & (q < 0) & np.isfinite(q)] = np.inf  # (|q + k| < 1 for some k)
        # SciPy's order of tests: s = 1 (inf), s < 1 (NaN), then a pole q (inf).
        out[~(s < 1) & is_nonpositive_integer(q)] = np.inf
        out[s == 1] = np.inf
    return out


def _hurwitz_fwd(q, x=2.0):
    """Hurwitz's zeta(x, q); measured max error 4.4 ulp for x in (1, 40], q in [1e-3, 1e8]."""
    dtype = float_inputs(q)[1]
    (x, q), _ = float_inputs(x, q)
    return as_result(hurwitz_zeta_values(x, q), dtype)


def _hurwitz_example(rng):
    return (rng.uniform(0.3, 4.0, (3, 4)),), {"x": np.array([[1.5], [2.0], [3.5]])}


# The argument x is a keyword (no derivative in it); the public zeta(x, q) below takes
# SciPy's order. d/dq (q + k)^-x = -x (q + k)^-(x+1), summed.
hurwitz = elementwise(
    "zeta", _hurwitz_fwd, lambda ans, q, x=2.0: -x * hurwitz(q, x=x + 1),
    domain=Example(_hurwitz_example),
    statement=S.unary(
        "zeta(x, q) = sum_k (q + k)^-x, Hurwitz's zeta (x > 1)",
        "(-x zeta(x + 1, q))  (no derivative in x)", r"\zeta(x, q)",
        r"(-x\, \zeta(x + 1, q))",
    ),
)

riemann = nondifferentiable(
    "riemann_zeta", _riemann_fwd,
    statement=S.Statement(
        forward="y = zeta(x), Riemann's zeta function (extended to x < 1), elementwise",
        vjp="none: d/dx zeta(x) has no closed form, so it is not implemented; "
        "chainrule.scipy.special.zeta refuses a tensor x that requires grad",
        latex_forward=r"y = \zeta(x)",
        latex_vjp=r"\text{not implemented}",
    ),
)


@composite
def zeta(x, q=None):
    """zeta(x, q), Hurwitz's zeta function; Riemann's zeta(x) when q is None (SciPy's
    scipy.special.zeta). Differentiable in q only: d/dq zeta(x, q) = -x zeta(x + 1, q);
    d/dx has no closed form, so a tensor x that requires grad is refused."""
    values = constant_argument("zeta", "x", x, "d/dx zeta has no closed form")
    if q is None:
        return riemann(x)  # (a tensor x that needs no gradient stays a tensor)
    return hurwitz(with_shape_of(q, values), x=np.asarray(values))
