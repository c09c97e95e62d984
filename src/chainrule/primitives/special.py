"""The gamma family as elementwise primitives: gammaln, digamma, polygamma, gamma, rgamma,
gammasgn, beta, betaln and Pochhammer's poch (scipy.special's names and conventions for
real arguments); also xlogy, xlog1py and the entropy terms entr, rel_entr and kl_div.

Each forward is NumPy, computed in float64 and rounded once to the input's float dtype
(float16 and float32 stay what they are; integers compute in float64). The methods are
the classical ones, each cited where it is used:

* a Taylor series about 2 (coefficients zeta(k) - 1, Abramowitz & Stegun 6.1.33 and
  6.3.14) on [1.5, 2.5], shifted there by the recurrences Gamma(x + 1) = x Gamma(x) and
  psi(x + 1) = psi(x) + 1/x;
* Stirling's series (A&S 6.1.40, 6.1.37) and the asymptotic series of psi (A&S 6.3.18)
  for x >= 10;
* a Taylor series about psi's positive zero x0 = 1.4616..., so that psi keeps its
  relative accuracy there;
* the reflection formulas (A&S 6.1.17, 6.3.7) for x < 0, with sin(pi x) reduced exactly;
* the Euler-Maclaurin sum for Hurwitz's zeta (A&S 23.2.9, as in Cephes' zeta.c), which
  gives polygamma(n, x) = (-1)^(n+1) n! zeta(n + 1, x).

Derivatives: gammaln' = digamma, digamma' = polygamma(1, .), polygamma(n, .)' =
polygamma(n + 1, .), so every order of derivative is one more call of polygamma.
Accuracy against mpmath is measured in tests/test_scipy_special_accuracy.py.
"""

from __future__ import annotations

import math

import numpy as np

from .. import statements as S
from ..domains import Domain, Example
from ..graph import is_tensor
from ..rules import composite, elementwise, nondifferentiable
from .elementwise import equal, expm1, greater_equal, log, log1p, logical_and, subtract, where
from .shape import broadcast_to

_EULER = 0.57721566490153286061  # Euler's constant gamma
_LOG_SQRT_2PI = 0.91893853320467274178  # log(2 pi) / 2
_SQRT_2PI = 2.50662827463100050242


# --------------------------------------------------------------- shared helpers
def float_inputs(*args):
    """The arguments as broadcast float64 arrays, and the dtype of the result.

    The result keeps the arguments' float dtype (float32 stays float32); Python numbers
    and integer arrays do not count, so polygamma(1, x32) is float32. Without a float
    array among the arguments the result is float64.
    """
    floats = [np.result_type(a) for a in args
              if isinstance(a, (np.ndarray, np.generic)) and np.result_type(a).kind == "f"]
    dtype = np.result_type(*floats) if floats else np.dtype(np.float64)
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in args))
    return arrays, dtype


def as_result(out, dtype):
    """`out` (float64) rounded to `dtype`; a 0-d result as a NumPy scalar, as ufuncs return."""
    out = out.astype(dtype, copy=False)
    return out[()] if out.ndim == 0 else out


def horner(coefficients, z):
    """sum_k coefficients[k] z^k by Horner's rule (coefficients lowest power first)."""
    if not z.size:  # the pieces of a piecewise forward are often empty
        return np.zeros_like(z)
    out = np.full_like(z, coefficients[-1])
    for c in coefficients[-2::-1]:
        out *= z
        out += c
    return out


def sinpi(x):
    """sin(pi x) with the argument reduced exactly: x = n + r, |r| <= 1/2."""
    n = np.round(x)
    r = x - n  # exact for every float
    return np.where(np.fmod(n, 2) == 0, 1.0, -1.0) * np.sin(np.pi * r)


def cospi(x):
    """cos(pi x) = +-sin(pi (1/2 - |r|)): no cancellation near the half-integers."""
    n = np.round(x)
    r = np.abs(x - n)
    return np.where(np.fmod(n, 2) == 0, 1.0, -1.0) * np.sin(np.pi * (0.5 - r))


def is_nonpositive_integer(x):
    return (x <= 0) & (x == np.floor(x))


# ----------------------------------------------------------- Hurwitz's zeta
# Euler-Maclaurin: zeta(s, q) = sum_{k<N} (q+k)^-s + a^(1-s)/(s-1) + a^-s/2
#   + sum_{j=1}^{12} B_2j / (2j)! s (s+1) ... (s+2j-2) a^(-s-2j+1),   a = q + N
# (A&S 23.2.9; Cephes' zeta.c uses the same sum). The remainder after twelve terms is
# below 1e-17 of the result when a >= max(9, s), which fixes N.
_BERNOULLI_2J = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510,
                 43867 / 798, -174611 / 330, 854513 / 138, -236364091 / 2730)
_EM_COEFFICIENTS = tuple(b / math.factorial(2 * j + 2) for j, b in enumerate(_BERNOULLI_2J))


def hurwitz_zeta(s, q):
    """zeta(s, q) = sum_{k>=0} (q + k)^-s for s > 1, q > 0 (float64 arrays, broadcast)."""
    s, q = np.broadcast_arrays(np.asarray(s, np.float64), np.asarray(q, np.float64))
    if s.size == 0:
        return np.zeros(s.shape)
    n_terms = int(min(max(9.0, np.ceil(np.nanmax(s))), 400.0))
    total = np.zeros(s.shape)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        for k in range(n_terms):
            total += (q + k) ** -s
        a = q + n_terms
        power = a**-s  # a^-s, then a^(-s-2j+1) by repeated division by a^2
        total += a * power / (s - 1) + 0.5 * power
        rising = s.copy()  # s (s+1) ... (s+2j-2)
        power = power / a
        for j, c in enumerate(_EM_COEFFICIENTS):
            term = c * rising * power
            total += term
            rising = rising * (s + 2 * j + 1) * (s + 2 * j + 2)
            power = power / (a * a)
    return total


# ------------------------------------------------------------------ series about 2
# log Gamma(2 + z) = (1 - gamma) z + sum_{k>=2} (-1)^k (zeta(k) - 1) / k z^k  (A&S 6.1.33)
# psi(2 + z)       = (1 - gamma)   + sum_{k>=2} (-1)^k (zeta(k) - 1) z^(k-1) (A&S 6.3.14)
# zeta(k) - 1 = zeta(k, 2), computed once here. For |z| <= 1/2 the terms fall like 4^-k:
# 30 of them reach below 2^-60 of the smallest value on [1.5, 2.5].
_K = np.arange(2, 32)
_ZETA_MINUS_1 = hurwitz_zeta(_K.astype(np.float64), 2.0) * (-1.0) ** _K
_LGAMMA_ABOUT_2 = (0.0, 1 - _EULER, *(_ZETA_MINUS_1 / _K))
_DIGAMMA_ABOUT_2 = (1 - _EULER, *_ZETA_MINUS_1)

# psi about its positive zero x0: psi(x0 + t) = sum_{k>=1} (-1)^(k+1) zeta(k+1, x0) t^k.
# x0 is split into a float and its remainder so that t = (x - hi) - lo is exact to
# within the remainder's rounding; values of mpmath.findroot(digamma, 1.46).
_X0_HI = 1.4616321449683622
_X0_LO = 9.549995429965697e-17
_ROOT_RADIUS = 0.25  # terms fall like (0.25 / 1.46)^k: 24 are enough
_DIGAMMA_ABOUT_X0 = (0.0, *(hurwitz_zeta(np.arange(2.0, 27.0), _X0_HI)
                            * (-1.0) ** np.arange(2, 27)))


# ------------------------------------------------------------ Stirling's series
# log Gamma(x) = (x - 1/2) log x - x + log(2 pi)/2 + sum_k B_2k / (2k (2k-1) x^(2k-1))
# psi(x)       = log x - 1/(2x) - sum_k B_2k / (2k x^2k)            (A&S 6.1.40, 6.3.18)
# For x >= 10 eight terms leave an error below 1e-19 relative.
_STIRLING = tuple(b / (2 * k * (2 * k - 1)) for k, b in enumerate(_BERNOULLI_2J[:8], 1))
_PSI_ASYMPTOTIC = tuple(b / (2 * k) for k, b in enumerate(_BERNOULLI_2J[:8], 1))
_ASYMPTOTIC_FROM = 10.0


def _stirling_correction(x):
    """log Gamma(x) - [(x - 1/2) log x - x + log(2 pi)/2], for x >= 10."""
    w = 1 / (x * x)
    return horner(_STIRLING, w) / x


def _shift_to_near_2(x):
    """(z, m, prod) for 1.5 <= x < 10: x = 2 + z + m, -1/2 <= z < 1/2, prod = (x-1)...(x-m)."""
    m = np.floor(x - 1.5)
    z = x - m - 2.0
    prod = np.ones_like(x)
    for k in range(1, int(m.max(initial=0)) + 1):
        prod = np.where(m >= k, prod * (x - k), prod)
    return z, m, prod


# ----------------------------------------------------------------------- gammaln
def _lgamma_positive(x):
    """log Gamma(x) for x > 0 (float64)."""
    out = np.empty_like(x)
    big = x >= _ASYMPTOTIC_FROM
    xb = x[big]
    out[big] = (xb - 0.5) * np.log(xb) - xb + _LOG_SQRT_2PI + _stirling_correction(xb)
    # 1.5 <= x < 10: down to [1.5, 2.5); the product of the shifts is positive.
    mid = (x >= 1.5) & ~big
    z, _, prod = _shift_to_near_2(x[mid])
    out[mid] = horner(_LGAMMA_ABOUT_2, z) + np.log(prod)
    # 0 < x < 1.5: up to [1.5, 2.5); log Gamma(x) = log Gamma(x + m) - log(x (x+1) ...).
    small = x < 1.5
    xs = x[small]
    m = np.where(xs < 0.5, 2.0, 1.0)
    denominator = np.where(m == 2.0, xs * (xs + 1), xs)
    out[small] = horner(_LGAMMA_ABOUT_2, xs + (m - 2.0)) - np.log(denominator)
    return out


def _lgamma_positive_reflected(x):
    """log Gamma(1 - x) for x < 0. For x <= -1 it is log(-x) + log Gamma(-x): -x is exact
    where 1 - x may round, and log Gamma is ill-conditioned for large arguments."""
    far = x <= -1
    return np.where(far, np.log(np.where(far, -x, 1.0)) + _lgamma_positive(np.where(far, -x, 1.0)),
                    _lgamma_positive(np.where(far, 1.0, 1 - x)))


def _gamma_positive_reflected(x):
    """Gamma(1 - x) = -x Gamma(-x) for x < 0 (see _lgamma_positive_reflected)."""
    far = x <= -1
    return np.where(far, -x * _gamma_positive(np.where(far, -x, 1.0)),
                    _gamma_positive(np.where(far, 1.0, 1 - x)))


def _gammaln_fwd(x):
    """log |Gamma(x)|: +inf at the poles x = 0, -1, -2, ... (as SciPy)."""
    (x,), dtype = float_inputs(x)
    out = np.full(x.shape, np.inf)
    with np.errstate(all="ignore"):
        positive = x > 0
        out[positive] = _lgamma_positive(x[positive])
        # Reflection (A&S 6.1.17): log|Gamma(x)| = log(pi / |sin(pi x)|) - log Gamma(1 - x).
        negative = (x < 0) & ~is_nonpositive_integer(x) & np.isfinite(x)
        xn = x[negative]
        out[negative] = (math.log(math.pi) - np.log(np.abs(sinpi(xn)))
                         - _lgamma_positive_reflected(xn))
        out[np.isnan(x)] = np.nan
        out[x == np.inf] = np.inf
        out[x == -np.inf] = -np.inf  # SciPy's value
    return as_result(out, dtype)


# ----------------------------------------------------------------------- digamma
def _digamma_core(y):
    """psi(y) for 1.2116 <= y <= 2.5: about the zero x0 within 0.25 of it, else about 2."""
    root = np.abs(y - _X0_HI) < _ROOT_RADIUS
    out = np.empty_like(y)
    out[root] = horner(_DIGAMMA_ABOUT_X0, (y[root] - _X0_HI) - _X0_LO)
    out[~root] = horner(_DIGAMMA_ABOUT_2, y[~root] - 2.0)
    return out


def _digamma_positive(x):
    """psi(x) for x > 0 (float64)."""
    out = np.empty_like(x)
    big = x >= _ASYMPTOTIC_FROM
    xb = x[big]
    out[big] = np.log(xb) - 0.5 / xb - horner(_PSI_ASYMPTOTIC, 1 / (xb * xb)) / (xb * xb)
    # 1.5 <= x < 10: down to [1.5, 2.5), adding the positive terms 1/(x - k).
    mid = (x >= 1.5) & ~big
    xm = x[mid]
    m = np.floor(xm - 1.5)
    acc = _digamma_core(xm - m)
    for k in range(1, int(m.max(initial=0)) + 1):
        acc = np.where(m >= k, acc + 1 / (xm - k), acc)
    out[mid] = acc
    # 0 < x < 1.5: x itself, or up by psi(x) = psi(x + m) - sum_{k<m} 1/(x + k) with x + m
    # in [1.2116, 2.2116].
    small = x < 1.5
    xs = x[small]
    m = np.where(xs >= _X0_HI - _ROOT_RADIUS, 0.0, np.where(xs + 1 >= _X0_HI - _ROOT_RADIUS,
                                                              1.0, 2.0))
    acc = _digamma_core(xs + m)
    acc = np.where(m >= 2, acc - 1 / (xs + 1), acc)
    out[small] = np.where(m >= 1, acc - 1 / xs, acc)
    return out


def _reflected(x, positive, negative, at_zero):
    """f(x) from its forward on x > 0 and its reflection formula on the non-integer x < 0;
    +-0 get at_zero(signbit), the poles and -inf NaN (SciPy's values); float64 out."""
    out = np.full(x.shape, np.nan)
    with np.errstate(all="ignore"):
        inside = x > 0
        out[inside] = positive(x[inside])
        inside = (x < 0) & ~is_nonpositive_integer(x) & np.isfinite(x)
        out[inside] = negative(x[inside])
        zero = x == 0
        out[zero] = at_zero(np.signbit(x[zero]))
    return out


def _digamma_fwd(x):
    """psi(x) = d/dx log Gamma(x); SciPy's values at the poles (-inf at 0, +inf at -0.0)."""
    (x,), dtype = float_inputs(x)
    # Reflection (A&S 6.3.7): psi(x) = psi(1 - x) - pi cot(pi x).
    out = _reflected(x, _digamma_positive,
                     lambda xn: _digamma_positive(1 - xn) - np.pi * cospi(xn) / sinpi(xn),
                     lambda negative_zero: np.where(negative_zero, np.inf, -np.inf))
    return as_result(out, dtype)


# --------------------------------------------------------------------- polygamma
def _cot_derivative_polynomials(n):
    """P_n with (d/dx)^n cot(pi x) = pi^n P_n(cot(pi x)): P_0 = c, P_k+1 = -(1 + c^2) P_k'."""
    p = np.array([0.0, 1.0])  # coefficients, lowest power first
    for _ in range(n):
        dp = p[1:] * np.arange(1, len(p))
        p = -(np.concatenate([dp, [0.0, 0.0]]) + np.concatenate([[0.0, 0.0], dp]))
    return p


def _polygamma_fwd(n, x):
    """psi^(n)(x) = (-1)^(n+1) n! zeta(n + 1, x) for integer n >= 1; psi for n = 0."""
    (n, x), dtype = float_inputs(n, x)
    out = np.full(x.shape, np.nan)
    valid = (n >= 0) & (n == np.floor(n))
    with np.errstate(all="ignore"):
        zero = valid & (n == 0)
        out[zero] = _digamma_fwd(x[zero])
        higher = valid & (n > 0)
        nh, xh = n[higher], x[higher]
        sign = np.where(np.fmod(nh, 2) == 1, 1.0, -1.0)  # (-1)^(n+1)
        factorial = np.exp(_lgamma_positive(nh + 1))
        factorial = np.where(nh <= 20, np.round(factorial), factorial)
        res = np.full(xh.shape, np.nan)
        pos = xh > 0
        res[pos] = sign[pos] * factorial[pos] * hurwitz_zeta(nh[pos] + 1, xh[pos])
        # Reflection, differentiated n times:
        # psi^(n)(x) = (-1)^n psi^(n)(1 - x) - pi^(n+1) P_n(cot(pi x)).
        neg = (xh < 0) & ~is_nonpositive_integer(xh) & np.isfinite(xh)
        for order in np.unique(nh[neg]):
            at = neg & (nh == order)
            xo = xh[at]
            c = cospi(xo) / sinpi(xo)
            k = int(order)
            reflected = (-1.0) ** (k + 1) * factorial[at] * hurwitz_zeta(k + 1.0, 1 - xo)
            res[at] = ((-1.0) ** k * reflected
                       - np.pi ** (k + 1) * horner(_cot_derivative_polynomials(k), c))
        # At the poles zeta(n + 1, x) is +inf: (-1)^(n+1) n! inf.
        pole = is_nonpositive_integer(xh)
        res[pole] = sign[pole] * np.inf
        out[higher] = res
    return as_result(out, dtype)


# -------------------------------------------------------------------------- gamma
def _gamma_positive(x):
    """Gamma(x) for x > 0 (float64); inf beyond 171.62."""
    out = np.empty_like(x)
    big = x >= _ASYMPTOTIC_FROM
    xb = x[big]
    # Stirling with the power split in two (as Cephes' stirf): x^(x - 1/2) e^-x would
    # overflow before the product does; each factor here is a pow or exp of an exact
    # argument, so the result keeps a few ulp.
    v = xb ** ((xb - 0.5) / 2)
    out[big] = _SQRT_2PI * v * (v * np.exp(-xb)) * np.exp(_stirling_correction(xb))
    mid = (x >= 1.5) & ~big
    z, _, prod = _shift_to_near_2(x[mid])
    out[mid] = np.exp(horner(_LGAMMA_ABOUT_2, z)) * prod
    small = x < 1.5
    xs = x[small]
    m = np.where(xs < 0.5, 2.0, 1.0)
    denominator = np.where(m == 2.0, xs * (xs + 1), xs)
    out[small] = np.exp(horner(_LGAMMA_ABOUT_2, xs + (m - 2.0))) / denominator
    # (beyond ~270 the half power itself overflows and inf * e^-x would be NaN)
    out[x > 200] = np.inf
    return out


def _gamma_fwd(x):
    """Gamma(x); +-inf at +-0, NaN at the negative integers and -inf (as SciPy)."""
    (x,), dtype = float_inputs(x)
    # Reflection (A&S 6.1.17): Gamma(x) = pi / (sin(pi x) Gamma(1 - x)).
    out = _reflected(x, _gamma_positive,
                     lambda xn: np.pi / (sinpi(xn) * _gamma_positive_reflected(xn)),
                     lambda negative_zero: np.where(negative_zero, -np.inf, np.inf))
    return as_result(out, dtype)


def _rgamma_fwd(x):
    """1 / Gamma(x), an entire function: exactly 0 at 0, -1, -2, ..."""
    (x,), dtype = float_inputs(x)
    out = np.zeros(x.shape)
    with np.errstate(all="ignore"):
        positive = x > 0
        out[positive] = 1 / _gamma_positive(x[positive])
        # sin(pi x) Gamma(1 - x) / pi: the zeros come from sinpi, exactly.
        negative = (x <= 0) & np.isfinite(x)
        xn = x[negative]
        out[negative] = sinpi(xn) * _gamma_positive_reflected(xn) / np.pi
        out[is_nonpositive_integer(x)] = 0.0  # (a zero: not 0 * inf for large |x|)
        out[np.isnan(x)] = np.nan
    return as_result(out, dtype)


def _gammasgn_fwd(x):
    """The sign of Gamma(x): 1 for x > 0, (-1)^ceil(-x) for x < 0; NaN at the poles."""
    (x,), dtype = float_inputs(x)
    with np.errstate(invalid="ignore"):
        out = np.where(x > 0, 1.0, np.sign(sinpi(x)))
        out = np.where(is_nonpositive_integer(x) & (x != 0), np.nan, out)
        out = np.where(x == 0, np.where(np.signbit(x), -1.0, 1.0), out)
        out = np.where(x == -np.inf, np.nan, out)
    return as_result(out, dtype)


# ----------------------------------------------------------------- beta, betaln
def _exact_sum(a, b):
    """(c, e) with c = fl(a + b) and c + e = a + b exactly (Knuth's TwoSum).

    Gamma(a + b) is ill-conditioned for large a + b (relative condition (a+b) psi(a+b)),
    so the rounding of a + b alone would cost beta ~100 ulp at a + b = 50; the remainder
    e corrects it to first order: log Gamma(c + e) = log Gamma(c) + psi(c) e.
    """
    c = a + b
    bb = c - a
    return c, (a - (c - bb)) + (b - bb)


_SPLIT = 134217729.0  # 2^27 + 1, Veltkamp's splitter


def two_product(a, b):
    """(p, e) with p = fl(a b) and p + e = a b exactly (Dekker; |a b| well inside range)."""
    p = a * b
    ah = a * _SPLIT
    ah = ah - (ah - a)
    al = a - ah
    bh = b * _SPLIT
    bh = bh - (bh - b)
    bl = b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _betaln_large(a, b):
    """log B(a, b) for a >= b > 0 and a >= 10, without the cancellation of
    log Gamma(a) - log Gamma(a + b) (TOMS 708's approach, Didonato & Morris 1992):
    log Gamma(a) - log Gamma(a+b) = -(a - 1/2) log1p(b/a) - b log(a+b) + b + w(a) - w(a+b)
    with w the Stirling correction."""
    c, e = _exact_sum(a, b)
    delta = _stirling_correction(a) - _stirling_correction(c)
    head = -(a - 0.5) * np.log1p(b / a) - b * (np.log(c) + e / c) + b + delta
    return _lgamma_positive(b) + head


def _betaln_fwd(a, b):
    """log |B(a, b)| = log |Gamma(a) Gamma(b) / Gamma(a + b)|."""
    (a, b), dtype = float_inputs(a, b)
    with np.errstate(all="ignore"):
        hi, lo = np.maximum(a, b), np.minimum(a, b)
        c, e = _exact_sum(a, b)
        correction = np.where(e == 0, 0.0, _digamma_fwd(c) * e)
        out = _gammaln_fwd(a) + _gammaln_fwd(b) - (_gammaln_fwd(c) + correction)
        out = np.asarray(out, np.float64)
        large = (lo > 0) & (hi >= _ASYMPTOTIC_FROM)
        out[large] = _betaln_large(hi[large], lo[large])
    return as_result(out, dtype)


def _beta_fwd(a, b):
    """B(a, b) = Gamma(a) Gamma(b) / Gamma(a + b); through log B where Gammas overflow."""
    (a, b), dtype = float_inputs(a, b)
    with np.errstate(all="ignore"):
        c, e = _exact_sum(a, b)
        ga, gb = _gamma_fwd(a), _gamma_fwd(b)
        gc = _gamma_fwd(c) * (1 + np.where(e == 0, 0.0, _digamma_fwd(c) * e))
        # Divide first: Gamma(a) / Gamma(a+b) is moderate when Gamma(a) is not.
        out = np.asarray(np.where(np.abs(a) > np.abs(b), ga / gc * gb, gb / gc * ga), np.float64)
        overflow = ~np.isfinite(out) | (np.abs(c) > 170)
        overflow &= np.isfinite(a) & np.isfinite(b) & ~is_nonpositive_integer(a)
        overflow &= ~is_nonpositive_integer(b)
        sign = _gammasgn_fwd(a) * _gammasgn_fwd(b) * _gammasgn_fwd(c)
        out[overflow] = (np.asarray(sign)[overflow]
                         * np.exp(np.asarray(_betaln_fwd(a, b), np.float64)[overflow]))
    return as_result(out, dtype)


# -------------------------------------------------------------------------- poch
# log(1 + u) - u = sum_{k>=2} (-1)^(k+1) u^k / k; for |u| <= 1/2, 50 terms reach 1e-17.
_LOG1P_MINUS_U = (0.0, 0.0, *((-1.0) ** (k + 1) / k for k in range(2, 52)))


def _poch_stirling(z, m, c, e, factor, log_factor):
    """factor Gamma(c)/Gamma(z) for z, c = z + m >= 10, c + e the exact sum, by Stirling:
    log Gamma(c) - log Gamma(z) = m log c + A + w(c) - w(z), A = (z - 1/2) log1p(m/z) - m.
    c^m is a pow of exact arguments (taken as (c^(m/2))^2, with the factor's square root,
    so that nothing overflows before the result does). For |u| <= 1/2, u = fl(m/z),
    A = z (log1p(u) - u) - log1p(u)/2 + r u/(1 + u) to first order in r = z u - m, which
    Dekker's product gives exactly: A is then small for |m| << z and keeps its absolute
    accuracy (plain (z - 1/2) log1p(m/z) - m loses |m| eps)."""
    u = m / z
    near = np.abs(u) <= 0.5
    p, p_err = two_product(z, u)
    residual = (p - m) + p_err
    small_a = (z * horner(_LOG1P_MINUS_U, np.where(near, u, 0.0)) - 0.5 * np.log1p(u)
               + residual * (u / (1 + u)))
    a = np.where(near, small_a, (z - 0.5) * np.log1p(u) - m)
    b = a + _stirling_correction(c) - _stirling_correction(z) + m * (e / c)
    half = c ** (m / 2) * np.exp(b / 2) * np.sqrt(factor)
    # Beyond |u| = 0.1 A is large (|A| ~ z u^2/2, and ~|m| past |u| = 1/2) and its rounding
    # costs |A| eps; while the powers fit, c^(c-1/2) e^-(c-z) / z^(z-1/2) is taken in fourth
    # roots of exact arguments instead (a few ulp).
    quarter = (np.abs(u) > 0.1) & (np.maximum(z, c) <= 400)
    # (c - z = m - e for the rounded c: e^-(c-z) = e^-m (1 + e), with Gamma's own 1 + psi e.)
    root = (c ** ((c - 0.5) / 4) * np.exp(-m / 4)) / z ** ((z - 0.5) / 4)
    square = root * root * np.exp((_stirling_correction(c) - _stirling_correction(z)) / 2)
    correction = 1 + (1 + _digamma_positive(c)) * e / 2
    half = np.where(quarter, square * correction * np.sqrt(factor), half)
    # Past the range (|m| ~ 1e10 and beyond) inf * 0 becomes the logarithm's verdict.
    lost = ~np.isfinite(half) | (half == 0) | (factor < 1e-280)  # (subnormal: digits lost)
    half = np.where(lost, np.exp((m / 2) * np.log(c) + (b + log_factor) / 2), half)
    return half * half


def _poch_positive(z, m):
    """Gamma(z + m)/Gamma(z) for z > 0, z + m > 0 (float64 arrays of one shape)."""
    c, e = _exact_sum(z, m)
    out = np.empty_like(z)
    # Both Gammas finite: their ratio, Gamma(c) corrected for the rounding of z + m.
    ratio = (np.maximum(z, c) <= 171.6) & (np.minimum(z, c) >= 1e-300)
    zr, cr, er = z[ratio], c[ratio], e[ratio]
    out[ratio] = (_gamma_positive(cr) * (1 + _digamma_positive(cr) * er)) / _gamma_positive(zr)
    # Otherwise Stirling's form, after shifting both arguments to >= 10:
    # Gamma(c)/Gamma(z) = Gamma(c + k)/Gamma(z + k) * prod_{j<k} (z + j)/(c + j).
    rest = ~ratio
    zs, ms, cs, es = z[rest], m[rest], c[rest], e[rest]
    k = np.clip(np.ceil(10 - np.minimum(zs, cs)), 0, None)
    factor = np.ones_like(zs)
    log_factor = np.zeros_like(zs)  # (for when the factor itself under- or overflows)
    for j in range(int(k.max(initial=0))):
        step = (zs + j) / (cs + j)
        factor = np.where(j < k, factor * step, factor)
        log_factor = np.where(j < k, log_factor + (np.log(zs + j) - np.log(cs + j)),
                              log_factor)
    shifted, shifted_err = _exact_sum(cs, k)
    out[rest] = _poch_stirling(zs + k, ms, shifted, shifted_err + es, factor, log_factor)
    return out


def _poch_reflected(z, m):
    """Gamma(z + m)/Gamma(z) for z, z + m < 0 off the poles, by Gamma's reflection:
    sin(pi z)/sin(pi (z + m)) * (1 - z - m)_m, the Pochhammer symbol of positive arguments."""
    c, e = _exact_sum(z, m)
    # sin(pi (c + e)) = sin(pi c) (1 + pi cot(pi c) e): the rounding of z + m corrected.
    sin_c = sinpi(c) * (1 + np.pi * cospi(c) / sinpi(c) * e)
    # Gamma(1 - z)/Gamma(1 - c - e) with w = 1 - c: both arguments of (w)_m are off by -e
    # (w + m = 1 - z + e), so the ratio is corrected by 1 - e (psi(w + m) - psi(w)).
    w = 1 - c
    correction = 1 - e * (_digamma_positive(w + m) - _digamma_positive(w))
    return sinpi(z) / sin_c * _poch_positive(w, m) * correction


def _poch_product(z, m):
    """(z)_m for integers |m| <= 20 as the product (z)(z+1)...(z+m-1), or 1/((z-1)...(z+m))
    for m < 0: exact at and next to the poles, where the Gammas' ratio is 0/0 or rounds
    z + m onto a pole (SciPy's recurrence; (-1)_1 = -1, (1 - 2^-53)_-2 = 2^53)."""
    out = np.ones_like(z)
    for j in range(20):
        out = np.where(j < m, out * (z + j), out)
        out = np.where(j < -m, out / (z - (j + 1)), out)
    return out


def _poch_values(z, m):
    """(z)_m = Gamma(z + m)/Gamma(z) for float64 arrays, with SciPy's values at the poles:
    inf where z + m is a pole and z is not, 0 where z is and z + m is not, and the limit
    (-1)^m Gamma(1 - z)/Gamma(1 - z - m) where both are."""
    z, m = np.broadcast_arrays(z, m)
    out = np.full(z.shape, np.nan)
    with np.errstate(all="ignore"):
        c, e = _exact_sum(z, m)
        z_pole = is_nonpositive_integer(z)
        c_pole = is_nonpositive_integer(c)  # (SciPy's test: z + m as rounded)
        finite = np.isfinite(z) & np.isfinite(m)
        positive = finite & (z > 0) & (c > 0)
        out[positive] = _poch_positive(z[positive], m[positive])
        # Both at poles (m an integer): (-1)^m (1 - c)_m, with 1 - c >= 1.
        both = finite & z_pole & c_pole & (m == np.floor(m))
        sign = np.where(np.fmod(m[both], 2) == 0, 1.0, -1.0)
        out[both] = sign * _poch_positive(1 - c[both], m[both])
        out[finite & c_pole & ~z_pole] = np.inf
        out[finite & z_pole & ~c_pole] = 0.0
        other = finite & ~positive & ~z_pole & ~c_pole
        negative = other & (z < 0) & (c < 0)
        out[negative] = _poch_reflected(z[negative], m[negative])
        # One sign of each: the Gammas' ratio (reflection inside, Gamma(c) corrected for
        # the rounding of z + m) while both are finite, else SciPy's
        # sign * e^(log|Gamma(c)| - log|Gamma(z)|), which over- or underflows there.
        mixed = other & ~negative
        zo, co, eo = z[mixed], c[mixed], e[mixed]
        ratio = (np.asarray(_gamma_fwd(co), np.float64) * (1 + np.asarray(_digamma_fwd(co)) * eo)
                 / np.asarray(_gamma_fwd(zo), np.float64))
        logs = (np.asarray(_gammasgn_fwd(co)) * np.asarray(_gammasgn_fwd(zo))
                * np.exp(np.asarray(_gammaln_fwd(co)) - np.asarray(_gammaln_fwd(zo))))
        small = (np.abs(zo) <= 170) & (np.abs(co) <= 170) & np.isfinite(ratio) & (ratio != 0)
        out[mixed] = np.where(small, ratio, logs)
        # Small integer m with an argument <= 0: the product (which also gives the pole
        # rules above, and is exact next to them).
        product = finite & (m == np.floor(m)) & (np.abs(m) <= 20) & ((z <= 0) | (c <= 0))
        values = _poch_product(z[product], m[product])
        out[product] = np.where(np.isinf(values), np.inf, values)  # (SciPy's sign at poles)
        lowest = (z == -np.inf) & (np.abs(m) == 1)  # SciPy: -inf and -0.0
        out[lowest] = _poch_product(z[lowest], m[lowest])
        # Infinite and NaN arguments, as SciPy: (z)_inf = inf / Gamma(z)'s sign off the
        # poles, 0 on them (also for m = -inf and NaN); (inf)_m = inf for m > 0, 0 for m < 0.
        up = (m == np.inf) & ~z_pole & np.isfinite(z)
        out[up] = np.inf * np.asarray(_gammasgn_fwd(z[up]))
        out[z_pole & np.isfinite(z) & ~np.isfinite(m)] = 0.0
        out[(z == np.inf) & (m > 0) & np.isfinite(m)] = np.inf
        out[(z == np.inf) & (m < 0) & np.isfinite(m)] = 0.0
        out[m == 0] = 1.0
    return out


def _poch_fwd(z, m):
    """Pochhammer's rising factorial (z)_m = Gamma(z + m) / Gamma(z); measured max error
    4.0 ulp for z, m in (0, 20), 5.5 for z up to 170 with |m| < min(z, 60), 7.8 for z in
    (170, 1e12) with |m| < 60, 18 for z in (-250, 0) with |m| < 20 (SciPy 79, 1623, 176801,
    326764)."""
    (z, m), dtype = float_inputs(z, m)
    return as_result(_poch_values(z, m), dtype)


# --------------------------------------------------------------------- declarations
POSITIVE_ARGUMENT = Domain(0.3, 6.0)


def constant_argument(function, name, value, why):
    """The values of an argument with no derivative, refused if it is a tensor that requires
    grad (its gradient would otherwise be silently lost)."""
    if is_tensor(value):
        if value.requires_grad:
            raise NotImplementedError(
                f"{function}: no derivative with respect to {name} ({why}); pass it as a "
                f"constant (a number or array), not a tensor that requires grad"
            )
        return value._data
    return value


def constant_order(function, name, value):
    """An integer-order argument (polygamma's n, jn's n, iv's v): no derivative."""
    return constant_argument(function, f"its order {name}", value, "an integer")


def with_shape_of(x, other):
    """x broadcast (on the graph) to its broadcast shape with `other`: an elementwise
    primitive whose other operand is a keyword must see the output's shape in x."""
    shape = np.broadcast_shapes(np.shape(x), np.shape(other))
    return x if np.shape(x) == shape else broadcast_to(x, shape)


gammaln = elementwise(
    "gammaln", _gammaln_fwd, lambda ans, x: digamma(x),
    domain=POSITIVE_ARGUMENT,
    statement=S.unary("log |Gamma(x)|", "digamma(x)", r"\log|\Gamma(x)|", r"\psi(x)"),
)

digamma = elementwise(
    "digamma", _digamma_fwd, lambda ans, x: _polygamma(x, n=1),
    domain=POSITIVE_ARGUMENT,
    statement=S.unary("psi(x) = d/dx log Gamma(x)", "polygamma(1, x)", r"\psi(x)",
                      r"\psi^{(1)}(x)"),
)
psi = digamma


def _polygamma_example(rng):
    return (rng.uniform(0.4, 4.0, (3, 4)),), {"n": np.array([[1], [2], [3]])}


# The order n is a keyword of the primitive (an integer: no derivative in it); the public
# polygamma(n, x) below takes SciPy's argument order.
_polygamma = elementwise(
    "polygamma", lambda x, n=0: as_result(np.asarray(_polygamma_fwd(n, x)), float_inputs(x)[1]),
    lambda ans, x, n=0: _polygamma(x, n=n + 1),
    domain=Example(_polygamma_example),
    statement=S.unary(
        "psi^(n)(x) = (-1)^(n+1) n! zeta(n+1, x) for n = 1, 2, ...; psi(x) for n = 0",
        "polygamma(n + 1, x)  (no derivative in the integer n)", r"\psi^{(n)}(x)",
        r"\psi^{(n+1)}(x)",
    ),
)


@composite
def polygamma(n, x):
    """The n-th derivative of digamma, psi^(n)(x), for integers n >= 0 (NaN otherwise)."""
    n = constant_order("polygamma", "n", n)
    return _polygamma(with_shape_of(x, n), n=np.asarray(n))


gamma = elementwise(
    "gamma", _gamma_fwd, lambda ans, x: ans * digamma(x),
    domain=Domain(0.3, 5.0),
    statement=S.unary("Gamma(x)", "y digamma(x)", r"\Gamma(x)", r"y\, \psi(x)"),
)

rgamma = elementwise(
    "rgamma", _rgamma_fwd, lambda ans, x: -ans * digamma(x),
    domain=Domain(0.3, 5.0),
    statement=S.unary("1 / Gamma(x)", "(-y digamma(x))", r"1/\Gamma(x)", r"(-y\, \psi(x))"),
)

gammasgn = nondifferentiable(
    "gammasgn", _gammasgn_fwd,
    statement=S.step("the sign of Gamma(x)", r"\operatorname{sign}\Gamma(x)"),
)

_POSITIVE_PAIR = (Domain(0.3, 5.0), Domain(0.3, 5.0))

beta = elementwise(
    "beta", _beta_fwd,
    lambda ans, a, b: ans * (digamma(a) - digamma(a + b)),
    lambda ans, a, b: ans * (digamma(b) - digamma(a + b)),
    domain=_POSITIVE_PAIR,
    statement=S.binary(
        "B(a, b) = Gamma(a) Gamma(b) / Gamma(a + b)", "g * y (psi(a) - psi(a + b))",
        "g * y (psi(b) - psi(a + b))", r"B(a, b)", r"\bar y\, y\, (\psi(a) - \psi(a+b))",
        r"\bar y\, y\, (\psi(b) - \psi(a+b))",
    ),
)

betaln = elementwise(
    "betaln", _betaln_fwd,
    lambda ans, a, b: subtract(digamma(a), digamma(a + b)),
    lambda ans, a, b: subtract(digamma(b), digamma(a + b)),
    domain=_POSITIVE_PAIR,
    statement=S.binary(
        "log |B(a, b)|", "g * (psi(a) - psi(a + b))", "g * (psi(b) - psi(a + b))",
        r"\log|B(a, b)|", r"\bar y\, (\psi(a) - \psi(a+b))", r"\bar y\, (\psi(b) - \psi(a+b))",
    ),
)


def digamma_difference(z, m):
    """psi(z + m) - psi(z), without the cancellation of the plain difference for |m| << z:
    for z, z + m >= 10 from the asymptotic series (A&S 6.3.18) term by term,
    log1p(m/z) + m/(2 z (z+m)) - sum_k B_2k/(2k) z^-2k expm1(-2k log1p(m/z))."""
    c = z + m
    far = logical_and(greater_equal(z, _ASYMPTOTIC_FROM), greater_equal(c, _ASYMPTOTIC_FROM))
    zf = where(far, z, _ASYMPTOTIC_FROM)  # (the other branch's arguments kept in range)
    mf = where(far, m, 0.0)
    u = log1p(mf / zf)
    series = u + mf / (2 * zf * (zf + mf))
    w = 1 / (zf * zf)
    power = w
    for k, coefficient in enumerate(_PSI_ASYMPTOTIC, 1):
        series = series - coefficient * power * expm1(-2 * k * u)
        power = power * w
    return where(far, series, digamma(c) - digamma(z))


# d/dz log (z)_m = psi(z + m) - psi(z), d/dm log (z)_m = psi(z + m).
poch = elementwise(
    "poch", _poch_fwd,
    lambda ans, z, m: ans * digamma_difference(z, m),
    lambda ans, z, m: ans * digamma(z + m),
    domain=_POSITIVE_PAIR,
    statement=S.binary(
        "(z)_m = Gamma(z + m) / Gamma(z)", "g * y (psi(z + m) - psi(z))", "g * y psi(z + m)",
        r"(z)_m = \frac{\Gamma(z + m)}{\Gamma(z)}", r"\bar y\, y\, (\psi(z+m) - \psi(z))",
        r"\bar y\, y\, \psi(z+m)",
    ),
)


@composite
def multigammaln(a, d):
    """log of the multivariate gamma function of dimension d (an integer >= 1):
    d (d-1)/4 log(pi) + sum_{j=1}^{d} log Gamma(a - (j - 1)/2), for a > (d - 1)/2."""
    if isinstance(d, (bool, np.bool_)) or int(d) != d or d < 1:
        raise ValueError(f"multigammaln: d must be a positive integer, got {d!r}")
    d = int(d)
    values = a._data if is_tensor(a) else np.asarray(a)
    if np.any(values <= 0.5 * (d - 1)):
        raise ValueError(
            f"multigammaln: every a must be > (d - 1)/2 = {0.5 * (d - 1)}; the smallest "
            f"given is {np.min(values)}"
        )
    out = gammaln(a)
    for j in range(1, d):
        out = out + gammaln(a - 0.5 * j)
    return out + 0.25 * d * (d - 1) * math.log(math.pi)


# ------------------------------------------------------------------ xlogy, xlog1py
def _xlogy_fwd(x, y):
    """x log(y), exactly 0 where x = 0 (whatever y is, NaN aside)."""
    (x, y), dtype = float_inputs(x, y)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where((x == 0) & ~np.isnan(y), 0.0, x * np.log(y))
    return as_result(out, dtype)


def _xlog1py_fwd(x, y):
    """x log(1 + y), exactly 0 where x = 0 (whatever y is, NaN aside)."""
    (x, y), dtype = float_inputs(x, y)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where((x == 0) & ~np.isnan(y), 0.0, x * np.log1p(y))
    return as_result(out, dtype)


# d/dy is x/y, and exactly 0 where x = 0 (the function is 0 along that line); d/dx is
# log(y), -inf at y = 0 as the function's own slope there is.
xlogy = elementwise(
    "xlogy", _xlogy_fwd,
    lambda ans, x, y: log(y),
    lambda ans, x, y: where(equal(x, 0), 0, x / y),
    domain=(Domain(-2.0, 2.0), Domain(0.3, 3.0)),
    statement=S.binary(
        "x log y  (0 where x = 0)", "g * log y", "g * x / y  (0 where x = 0)",
        r"x \log y", r"\bar y \log y", r"\bar y\, x / y",
    ),
)

xlog1py = elementwise(
    "xlog1py", _xlog1py_fwd,
    lambda ans, x, y: log1p(y),
    lambda ans, x, y: where(equal(x, 0), 0, x / (1 + y)),
    domain=(Domain(-2.0, 2.0), Domain(-0.7, 3.0)),
    statement=S.binary(
        "x log(1 + y)  (0 where x = 0)", "g * log(1 + y)", "g * x / (1 + y)  (0 where x = 0)",
        r"x \log(1 + y)", r"\bar y \log(1 + y)", r"\bar y\, x / (1 + y)",
    ),
)


# ------------------------------------------------------------------ entropy terms
def _entr_fwd(x):
    """-x log x for x > 0, 0 at x = 0, -inf for x < 0 (scipy.special.entr)."""
    (x,), dtype = float_inputs(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(x > 0, -x * np.log(x), np.where(x == 0, 0.0, -np.inf))
    return as_result(np.where(np.isnan(x), x, out), dtype)


def _rel_entr_fwd(x, y):
    """x log(x / y) for x, y > 0; 0 at x = 0, y >= 0; inf otherwise (scipy's rel_entr)."""
    (x, y), dtype = float_inputs(x, y)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where((x > 0) & (y > 0), x * np.log(x / y),
                       np.where((x == 0) & (y >= 0), 0.0, np.inf))
    return as_result(np.where(np.isnan(x) | np.isnan(y), np.nan, out), dtype)


def _kl_div_fwd(x, y):
    """x log(x / y) - x + y for x, y > 0; y at x = 0, y >= 0; inf otherwise (scipy)."""
    (x, y), dtype = float_inputs(x, y)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where((x > 0) & (y > 0), x * np.log(x / y) - x + y,
                       np.where((x == 0) & (y >= 0), y, np.inf))
    return as_result(np.where(np.isnan(x) | np.isnan(y), np.nan, out), dtype)


# The derivatives are those of the x > 0, y > 0 formula everywhere, as PyTorch's entr:
# -(1 + log x) is +inf at x = 0 (the function's own slope there) and NaN for x < 0. A
# zero cotangent gives a zero gradient there (strong zeros, as log's).
entr = elementwise(
    "entr", _entr_fwd, lambda ans, x: -(1 + log(x)),
    domain=Domain(0.05, 3.0), strong_zero=True,
    statement=S.unary("-x log x  (0 at x = 0, -inf below)", "-(1 + log x)", r"-x \log x",
                      r"-(1 + \log x)"),
)

rel_entr = elementwise(
    "rel_entr", _rel_entr_fwd,
    lambda ans, x, y: 1 + log(x / y),
    lambda ans, x, y: -(x / y),
    domain=(Domain(0.05, 3.0), Domain(0.05, 3.0)), strong_zero=True,
    statement=S.binary(
        "x log(x / y)  (0 at x = 0, y >= 0; inf outside the domain)", "g * (1 + log(x / y))",
        "g * (-x / y)", r"x \log(x / y)", r"\bar z\,(1 + \log(x / y))", r"-\bar z\, x / y",
    ),
)

kl_div = elementwise(
    "kl_div", _kl_div_fwd,
    lambda ans, x, y: log(x / y),
    lambda ans, x, y: 1 - x / y,
    domain=(Domain(0.05, 3.0), Domain(0.05, 3.0)), strong_zero=True,
    statement=S.binary(
        "x log(x / y) - x + y  (y at x = 0; inf outside the domain)", "g * log(x / y)",
        "g * (1 - x / y)", r"x \log(x / y) - x + y", r"\bar z \log(x / y)",
        r"\bar z\,(1 - x / y)",
    ),
)
