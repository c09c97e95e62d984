"""Bessel functions as elementwise primitives: j0, j1, jn, y0, y1, yn (integer orders) and
iv, ive (real order v >= 0, or an integer), with i0, i1, i0e, i1e their special cases
(scipy.special's names and conventions for real arguments).

Forwards (NumPy, float64, rounded once to the input's float dtype):

* J_n, Y_0, Y_1 for x < 25: Miller's backward recurrence J_k-1 = (2k/x) J_k - J_k+1
  from far above max(n, x), normalized by J_0 + 2 sum J_2k = 1 (A&S 9.1.46), and Y_0 from
  Neumann's series Y_0 = (2/pi)(log(x/2) + gamma) J_0 - (4/pi) sum (-1)^k J_2k / k
  (A&S 9.1.88); Y_1 = -Y_0' from the same sums.
* x >= 25: Hankel's asymptotic expansions P, Q (A&S 9.2.5-9.2.10) for orders 0 and 1,
  with cos(x - phase) expanded through cos x and sin x so the phase is not rounded.
* Higher orders: J_n by forward recurrence where n < x (stable there), Miller's above it;
  Y_n by forward recurrence (always stable).
* I_v: its power series (A&S 9.6.10, all terms positive) for x <= 20 + v^2, Hankel's
  expansion e^x / sqrt(2 pi x) sum (-1)^k a_k(v) / x^k (A&S 9.7.1) beyond; ive = e^-|x| I_v
  computed without forming e^x.

Accuracy: relative to max(|f|, eps) near the zeros of J and Y (their zeros are not
resolved beyond absolute accuracy, as in SciPy's Cephes); measured in
tests/test_scipy_special_accuracy.py. Derivatives: J_n' = (J_n-1 - J_n+1)/2 (likewise
Y), I_v' = I_v+1 + (v/x) I_v, each one more call of the same primitive.
"""

from __future__ import annotations

import math

import numpy as np

from .. import statements as S
from ..domains import Example
from ..rules import composite, elementwise
from .elementwise import sign, where
from .special import (
    _lgamma_positive,
    as_result,
    constant_argument,
    constant_order,
    float_inputs,
    with_shape_of,
)

_EULER = 0.57721566490153286061
_ASYMPTOTIC = 25.0
_RESCALE = 1e250


# ---------------------------------------------------------------- J and Y, small x
def _miller(x, n):
    """(J_n(x), J_0(x), J_1(x), Y_0(x), Y_1(x)) for 0 < x < 25 (flat float64 arrays; n >= 0
    integers) by Miller's backward recurrence."""
    top = int(max(n.max(initial=0), x.max(initial=0)) + 60) // 2 * 2 + 2
    upper = np.zeros_like(x)  # J_k+1 (unnormalized)
    current = np.full_like(x, 1e-300)  # J_k, starting at k = top
    norm = np.zeros_like(x)  # J_0 + 2 sum J_2k, accumulated
    neumann = np.zeros_like(x)  # sum_k>=1 (-1)^k J_2k / k
    derivative = np.zeros_like(x)  # sum_k>=1 (-1)^k (J_2k-1 - J_2k+1) / k
    jn = np.zeros_like(x)
    j1 = np.zeros_like(x)
    odd_above = np.zeros_like(x)  # J_2k+1, for the derivative sum
    for k in range(top, -1, -1):
        if k % 2 == 0:
            if k:
                norm += 2 * current
                sign_k = 1.0 if (k // 2) % 2 == 0 else -1.0
                neumann += sign_k * current / (k // 2)
        if k == 1:
            j1 = current.copy()
        jn = np.where(n == k, current, jn)
        if k % 2 == 1:
            # the pair (J_k, J_k+2) with k = 2m - 1 enters the m-th derivative term
            m = (k + 1) // 2
            sign_m = 1.0 if m % 2 == 0 else -1.0
            derivative += sign_m * (current - odd_above) / m
            odd_above = current.copy()
        if k == 0:
            norm += current
            break
        lower = (2 * k / x) * current - upper
        upper, current = current, lower
        big = np.abs(current) > _RESCALE
        if big.any():
            scale = np.where(big, 1 / _RESCALE, 1.0)
            for v in (upper, current, norm, neumann, derivative, jn, j1, odd_above):
                v *= scale
    j0 = current / norm
    jn, j1 = jn / norm, j1 / norm
    neumann, derivative = neumann / norm, derivative / norm
    log_term = np.log(x / 2) + _EULER
    y0 = (2 / np.pi) * (log_term * j0 - 2 * neumann)
    # Y_1 = -Y_0' with J_0' = -J_1 and J_2k' = (J_2k-1 - J_2k+1)/2.
    y1 = (2 / np.pi) * (-j0 / x + log_term * j1 + derivative)
    return jn, j0, j1, y0, y1


def _hankel(x, order):
    """(J, Y) of order 0 or 1 for x >= 25: sqrt(2/(pi x)) (P cos chi - Q sin chi, ...)."""
    mu = 4.0 * order * order
    p = np.ones_like(x)
    q = np.zeros_like(x)
    term = np.ones_like(x)
    for k in range(1, 30):
        term = term * (mu - (2 * k - 1) ** 2) / (k * 8 * x)
        if k % 2:
            q += term * (1 if (k // 2) % 2 == 0 else -1)
        else:
            p += term * (1 if (k // 2) % 2 == 0 else -1)
    c, s = np.cos(x), np.sin(x)
    root_half = math.sqrt(0.5)
    if order == 0:  # chi = x - pi/4
        cos_chi, sin_chi = (c + s) * root_half, (s - c) * root_half
    else:  # chi = x - 3 pi/4
        cos_chi, sin_chi = (s - c) * root_half, -(s + c) * root_half
    factor = np.sqrt(2 / (np.pi * x))
    return factor * (p * cos_chi - q * sin_chi), factor * (p * sin_chi + q * cos_chi)


def _tiny(n, x):
    """(J_n, Y_0, Y_1) for 0 < x < 1e-4 from the first terms of their series (A&S 9.1.10,
    9.1.11): the next terms are below 1e-16 relative there."""
    half = x / 2
    log_half = np.log(x) - math.log(2)  # x/2 underflows for the smallest subnormal x
    with np.errstate(over="ignore"):
        power = half**n / np.exp(_lgamma_positive(n + 1))  # (x/2)^n / n!
        jn = power * (1 - half * half / (n + 1))
        y0 = (2 / np.pi) * ((log_half + _EULER) * (1 - half * half) + half * half)
        y1 = -2 / (np.pi * x) + (2 / np.pi) * log_half * half - half * (1 - 2 * _EULER) / np.pi
    return jn, y0, y1


def _bessel_jy(n, x):
    """(J_n(x), Y_n(x)) for integer n >= 0 and x > 0 (flat float64 arrays)."""
    jn, yn = np.empty_like(x), np.empty_like(x)
    tiny = x < 1e-4
    if tiny.any():
        j, y0, y1 = _tiny(n[tiny], x[tiny])
        jn[tiny] = j
        with np.errstate(over="ignore", invalid="ignore"):
            yn[tiny] = _forward(n[tiny], x[tiny], y0, y1)
    small = (x < _ASYMPTOTIC) & ~tiny
    if small.any():
        j, _, _, y0, y1 = _miller(x[small], n[small])
        jn[small] = j
        yn[small] = _forward(n[small], x[small], y0, y1)
    large = x >= _ASYMPTOTIC
    if large.any():
        xl, nl = x[large], n[large]
        j0, y0 = _hankel(xl, 0)
        j1, y1 = _hankel(xl, 1)
        yn[large] = _forward(nl, xl, y0, y1)
        forward = _forward(nl, xl, j0, j1)
        above = nl >= xl
        if above.any():
            forward[above] = _miller(xl[above], nl[above])[0]
        jn[large] = forward
    return jn, yn


def _forward(n, x, f0, f1):
    """f_n from f_0, f_1 by f_k+1 = (2k/x) f_k - f_k-1."""
    out = np.where(n == 0, f0, f1)
    previous, current = f0, f1
    for k in range(1, int(n.max(initial=0))):
        step = (2 * k / x) * current - previous
        # Y_n overflows for tiny x; once infinite it stays so (not inf - inf = NaN).
        previous, current = current, np.where(np.isinf(current), current, step)
        out = np.where(n == k + 1, current, out)
    return out


def _jn_fwd(x, n=0):
    dtype = float_inputs(x)[1]
    (n, x), _ = float_inputs(n, x)
    out = np.full(x.shape, np.nan)
    valid = (n == np.floor(n)) & ~np.isnan(x)
    m = np.abs(n)
    # J_-n = (-1)^n J_n and J_n(-x) = (-1)^n J_n(x).
    parity = np.where((np.fmod(m, 2) == 1) & ((n < 0) ^ (x < 0)), -1.0, 1.0)
    inside = valid & (x != 0) & np.isfinite(x)
    if inside.any():
        out[inside] = parity[inside] * _bessel_jy(m[inside], np.abs(x[inside]))[0]
    out[valid & (x == 0)] = np.where(m[valid & (x == 0)] == 0, 1.0, 0.0)
    out[valid & np.isinf(x)] = 0.0
    return as_result(out, dtype)


def _yn_fwd(x, n=0):
    dtype = float_inputs(x)[1]
    (n, x), _ = float_inputs(n, x)
    out = np.full(x.shape, np.nan)
    valid = (n == np.floor(n)) & (x >= 0)
    m = np.abs(n)
    parity = np.where((np.fmod(m, 2) == 1) & (n < 0), -1.0, 1.0)  # Y_-n = (-1)^n Y_n
    inside = valid & (x > 0) & np.isfinite(x)
    if inside.any():
        out[inside] = parity[inside] * _bessel_jy(m[inside], x[inside])[1]
    out[valid & (x == 0)] = -np.inf
    out[valid & (x == np.inf)] = 0.0
    return as_result(out, dtype)


# ---------------------------------------------------------------------- I_v
def _iv_series(v, x, scaled):
    """(x/2)^v / Gamma(v+1) sum_k (x^2/4)^k / (k! (v+1)_k), times e^-x if scaled, x > 0."""
    quarter = x * x / 4
    term = np.ones_like(x)
    total = np.ones_like(x)
    log_scale = np.zeros_like(x)  # total is kept below 1e280 by factoring out e^log_scale
    for k in range(1, 1000):
        term = term * quarter / (k * (v + k))
        total += term
        if np.all(term <= 1e-17 * total):
            break
        big = total > 1e280
        if big.any():
            term, total = np.where(big, term / 1e280, term), np.where(big, total / 1e280, total)
            log_scale += np.where(big, math.log(1e280), 0.0)
    # The front factor as a power where it is representable (exp of a large logarithm
    # would cost |log| eps of relative accuracy), else through logarithms.
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        front = np.power(x / 2, v) / np.exp(_lgamma_positive(v + 1))
        rest = total * np.exp(log_scale - (x if scaled else 0))
        direct = front * rest
        log_power = np.where(v == 0, 0.0, v * (np.log(x) - math.log(2)))
        via_logs = np.exp(log_power - _lgamma_positive(v + 1) + log_scale
                          - (x if scaled else 0) + np.log(total))
    tiny = np.finfo(np.float64).tiny  # below it, subnormal products lose digits
    usable = np.isfinite(front) & (front >= tiny) & np.isfinite(rest) & (rest >= tiny)
    return np.where(usable, direct, via_logs)


def _iv_hankel(v, x, scaled):
    """e^x / sqrt(2 pi x) sum_k (-1)^k a_k(v) / x^k (times e^-x if scaled) for large x."""
    mu = 4 * v * v
    term = np.ones_like(x)
    total = np.ones_like(x)
    smallest = np.ones_like(x)
    for k in range(1, 60):
        term = -term * (mu - (2 * k - 1) ** 2) / (k * 8 * x)
        # An asymptotic series: stop adding once the terms grow again.
        growing = np.abs(term) > smallest
        term = np.where(growing, 0.0, term)
        smallest = np.where(growing, 0.0, np.abs(term))
        total += term
        if np.all(np.abs(term) <= 1e-17 * np.abs(total)):
            break
    front = 1 / np.sqrt(2 * np.pi * x)
    return front * total if scaled else front * np.exp(x) * total


def _iv_any(v, x, scaled):
    """I_v(x) (or e^-|x| I_v(x)) for real v >= 0 or integer v, real x (float64 arrays)."""
    out = np.full(x.shape, np.nan)
    integer = v == np.floor(v)
    order = np.where(integer, np.abs(v), v)  # I_-n = I_n for integers
    valid = ((order >= 0) & ((x >= 0) | integer)) & ~np.isnan(x)
    ax = np.abs(x)
    parity = np.where(integer & (x < 0) & (np.fmod(order, 2) == 1), -1.0, 1.0)
    inside = valid & (ax > 0) & np.isfinite(ax)
    with np.errstate(over="ignore", invalid="ignore"):
        series = inside & (ax <= 20 + order * order)
        out[series] = _iv_series(order[series], ax[series], scaled)
        hankel = inside & ~series
        out[hankel] = _iv_hankel(order[hankel], ax[hankel], scaled)
    out *= parity
    zero = valid & (ax == 0)
    out[zero] = np.where(order[zero] == 0, 1.0, 0.0)
    infinite = valid & np.isinf(ax)
    out[infinite] = 0.0 if scaled else parity[infinite] * np.inf
    return out


def _iv_fwd(x, order=0):
    # (The order is a parameter: the result takes x's dtype.)
    dtype = float_inputs(x)[1]
    (v, x), _ = float_inputs(order, x)
    return as_result(_iv_any(v, x, scaled=False), dtype)


def _ive_fwd(x, order=0):
    dtype = float_inputs(x)[1]
    (v, x), _ = float_inputs(order, x)
    return as_result(_iv_any(v, x, scaled=True), dtype)


# --------------------------------------------------------------------- declarations
def _order_example(key, orders, low, high):
    return Example(lambda rng: ((rng.uniform(low, high, (3, 4)),),
                                {key: np.asarray(orders, np.float64).reshape(-1, 1)}))


_jn = elementwise(
    "jn", _jn_fwd, lambda ans, x, n=0: 0.5 * (_jn(x, n=n - 1) - _jn(x, n=n + 1)),
    domain=_order_example("n", [0, 1, 3], -8.0, 30.0),
    statement=S.unary("J_n(x), the Bessel function of the first kind of integer order n",
                      "(J_n-1(x) - J_n+1(x)) / 2", r"J_n(x)",
                      r"\tfrac12 (J_{n-1}(x) - J_{n+1}(x))"),
)

_yn = elementwise(
    "yn", _yn_fwd, lambda ans, x, n=0: 0.5 * (_yn(x, n=n - 1) - _yn(x, n=n + 1)),
    domain=_order_example("n", [0, 1, 3], 0.5, 30.0),
    statement=S.unary("Y_n(x), the Bessel function of the second kind of integer order n",
                      "(Y_n-1(x) - Y_n+1(x)) / 2", r"Y_n(x)",
                      r"\tfrac12 (Y_{n-1}(x) - Y_{n+1}(x))"),
)


def _iv_slope(ans, x, v, scaled):
    """I_v' = (I_v-1 + I_v+1)/2 for v >= 1, I_1 for v = 0, and I_v+1 + (v/x) I_v for
    0 < v < 1 (where I_v-1 would need a negative fractional order); for ive = e^-|x| I_v
    the same in ive, minus sign(x) ive."""
    f = _ive if scaled else _iv
    v = np.asarray(v, np.float64)
    high = v >= 1
    above = f(x, order=v + 1)
    if high.all():
        out = 0.5 * (f(x, order=v - 1) + above)
    else:
        fractional = (v > 0) & ~high
        out = above
        if fractional.any():
            out = out + np.where(fractional, v, 0.0) / where(fractional, x, 1.0) * ans
        if high.any():
            out = where(high, 0.5 * (f(x, order=np.where(high, v - 1, v)) + above), out)
    return out - sign(x) * ans if scaled else out


_iv = elementwise(
    "iv", _iv_fwd, lambda ans, x, order=0: _iv_slope(ans, x, order, scaled=False),
    strong_zero=True,
    domain=_order_example("order", [0, 0.5, 2.5], 0.2, 30.0),
    statement=S.unary("I_v(x), the modified Bessel function of the first kind",
                      "(I_v+1(x) + (v/x) I_v(x))", r"I_v(x)", r"(I_{v+1}(x) + \tfrac{v}{x} y)"),
)

_ive = elementwise(
    "ive", _ive_fwd, lambda ans, x, order=0: _iv_slope(ans, x, order, scaled=True),
    strong_zero=True,
    domain=_order_example("order", [0, 0.5, 2.5], 0.2, 30.0),
    statement=S.unary("e^-|x| I_v(x), the exponentially scaled I_v",
                      "(ive_v+1(x) + (v/x - sign x) y)", r"e^{-|x|} I_v(x)",
                      r"(\tilde I_{v+1}(x) + (\tfrac{v}{x} - \operatorname{sign} x)\, y)"),
)


@composite
def jn(n, x):
    """J_n(x) for integer orders n (an array broadcasts); NaN for a non-integer n."""
    n = constant_order("jn", "n", n)
    return _jn(with_shape_of(x, n), n=np.asarray(n))


@composite
def yn(n, x):
    """Y_n(x) for integer orders n (NaN for x < 0 or a non-integer n; -inf at 0)."""
    n = constant_order("yn", "n", n)
    return _yn(with_shape_of(x, n), n=np.asarray(n))


@composite
def iv(v, x):
    """I_v(x) for real orders v >= 0 or integer v (NaN for x < 0 unless v is an integer)."""
    v = constant_argument("iv", "its order v", v, "the derivative in the order is not implemented")
    return _iv(with_shape_of(x, v), order=np.asarray(v))


@composite
def ive(v, x):
    """e^-|x| I_v(x), finite where I_v overflows."""
    v = constant_argument("ive", "its order v", v, "the derivative in the order is not implemented")
    return _ive(with_shape_of(x, v), order=np.asarray(v))


def j0(x):
    """J_0(x)."""
    return _jn(x, n=np.asarray(0))


def j1(x):
    """J_1(x)."""
    return _jn(x, n=np.asarray(1))


def y0(x):
    """Y_0(x)."""
    return _yn(x, n=np.asarray(0))


def y1(x):
    """Y_1(x)."""
    return _yn(x, n=np.asarray(1))


def i0(x):
    """I_0(x)."""
    return _iv(x, order=np.asarray(0))


def i1(x):
    """I_1(x)."""
    return _iv(x, order=np.asarray(1))


def i0e(x):
    """e^-|x| I_0(x)."""
    return _ive(x, order=np.asarray(0))


def i1e(x):
    """e^-|x| I_1(x)."""
    return _ive(x, order=np.asarray(1))
