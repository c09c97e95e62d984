"""The regularized incomplete gamma and beta functions, differentiable in every argument:
gammainc P(a, x), gammaincc Q(a, x) = 1 - P, betainc I_x(a, b) (scipy.special's
conventions: NaN outside a, b >= 0 and the range of x).

Forwards (NumPy, float64, rounded once to the input's float dtype):

* P by its power series for x < a + 1, Q by Legendre's continued fraction otherwise
  (A&S 6.5.29 and 6.5.31; Numerical Recipes' gser/gcf, Lentz's method), the other as the
  complement (which is then >= about 1/2, so nothing cancels). The prefactor
  x^a e^-x / Gamma(a) is formed for a >= 10 as exp(a (log1p(t) - t) + log(a/2pi)/2 -
  w(a)) with t = (x - a)/a and w Stirling's remainder, which keeps it to a few ulp where
  the plain a log x - x - log Gamma(a) loses |a log x| eps.
* I_x(a, b) by its continued fraction (A&S 26.5.8; Numerical Recipes' betacf), on the
  side x < (a + 1)/(a + b + 2) where it converges fast, using I_x(a, b) = 1 -
  I_{1-x}(b, a) on the other.

Derivatives: in x they are the densities, x^(a-1) e^-x / Gamma(a) and x^(a-1) (1-x)^(b-1)
/ B(a, b), written with chainrule's operations. In a and b there is no closed form: the
same series and fractions are run on truncated Taylor series (chainrule.primitives.jets),
so that one iteration gives the value and its derivatives in a (and b) to any order;
mixed derivatives in (a, b) come from directional ones by polarization. Each derivative
is one more primitive of the same family, differentiable again.
"""

from __future__ import annotations

import math

import numpy as np

from .. import statements as S
from ..domains import Example
from ..rules import primitive
from .elementwise import exp, log, log1p
from .jets import Jet, converged, iterate, lgamma_shifted
from .jets import exp as jet_exp
from .special import (
    _betaln_fwd,
    _lgamma_positive,
    _stirling_correction,
    as_result,
    betaln,
    digamma,
    float_inputs,
    gammaln,
    polygamma,
)

_TOL = 1e-16
_MAX_ITERATIONS = 20000
_TINY = 1e-300  # Lentz's guard against a zero denominator
_LOG_2PI = math.log(2 * math.pi)


def _log1p_minus(t):
    """log1p(t) - t, without cancellation for small t (its series for |t| < 0.3)."""
    out = np.log1p(t) - t
    small = np.abs(t) < 0.3
    ts = t[small]
    acc = np.zeros_like(ts)
    for k in range(32, 1, -1):
        acc = ts * (acc + (1.0 if k % 2 else -1.0) / k)
    out[small] = ts * acc
    return out


def _log_gamma_prefactor(a, x):
    """log(x^a e^-x / Gamma(a)) for a, x > 0 (float64 arrays)."""
    with np.errstate(divide="ignore"):
        out = a * np.log(x) - x - _lgamma_positive(a)
    big = a >= 10
    ab, xb = a[big], x[big]
    out[big] = (ab * _log1p_minus((xb - ab) / ab) + 0.5 * (np.log(ab) - _LOG_2PI)
                - _stirling_correction(ab))
    return out


def _series_step(state, n):
    step = state["term"] * state["x"] / Jet.variable(state["a"] + n, len(state["term"].c) - 1)
    total = state["total"] + step
    return {**state, "term": step, "total": total}, converged(step, total, _TOL)


def _gamma_series(a, x, order):
    """Jet of P(a + eps, x) = x^a e^-x / Gamma(a + 1) sum_n x^n / ((a+1)...(a+n))."""
    one = Jet.constant(np.ones_like(a), order)
    state = iterate(_series_step, {"a": a, "x": x, "term": one, "total": one.copy()},
                    _MAX_ITERATIONS)
    exponent = (Jet.variable(a, order) * np.log(x) - x
                - lgamma_shifted(a + 1, 1.0, order))
    exponent.c[0] = _log_gamma_prefactor(a, x) - np.log(a)
    return jet_exp(exponent) * state["total"]


def _fraction_step(state, i):
    # Lentz's method on Legendre's fraction: a_i = -i (i - a), b_i = x + 2i + 1 - a.
    order = len(state["h"].c) - 1
    an = Jet.variable(-i * (i - state["a"]), order, float(i))
    b = state["b"] + 2
    d = 1 / (an * state["d"] + b).guard(_TINY)
    c = (b + an / state["c"]).guard(_TINY)
    delta = d * c
    done = converged(delta - 1, Jet.constant(np.ones(len(delta)), order), _TOL)
    return {**state, "b": b, "c": c, "d": d, "h": state["h"] * delta}, done


def _gamma_fraction(a, x, order):
    """Jet of Q(a + eps, x) = x^a e^-x / Gamma(a) / (x + 1 - a - 1 (1-a) / (x + 3 - a - ...))."""
    b = x + 1 - Jet.variable(a, order)
    d = 1 / b.guard(_TINY)
    state = {"a": a, "b": b, "c": Jet.constant(np.full_like(a, 1 / _TINY), order), "d": d,
             "h": d.copy()}
    state = iterate(_fraction_step, state, _MAX_ITERATIONS)
    exponent = Jet.variable(a, order) * np.log(x) - x - lgamma_shifted(a, 1.0, order)
    exponent.c[0] = _log_gamma_prefactor(a, x)
    return jet_exp(exponent) * state["h"]


def _incomplete_gamma(a, x, order, upper):
    """The order-th derivative in a of P (upper=False) or Q (upper=True), float64 arrays."""
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    shape = a.shape
    a, x = a.reshape(-1), x.reshape(-1)
    out = np.full(a.size, np.nan)
    inside = (a > 0) & (x > 0) & np.isfinite(a) & (x < np.inf)
    # Each side computes the smaller of P and Q directly; the other is its complement
    # (for the value) or its negative (for a derivative in a).
    for side, direct, series in ((inside & (x < a + 1), not upper, True),
                                 (inside & (x >= a + 1), upper, False)):
        if not side.any():
            continue
        with np.errstate(all="ignore"):
            method = _gamma_series if series else _gamma_fraction
            value = method(a[side], x[side], order).derivatives()[order]
        if not direct:
            value = 1.0 - value if order == 0 else -value
        out[side] = value
    # The edges (SciPy's values): x = 0 gives P = 0, x = inf gives P = 1, a = 0 < x gives
    # P = 1; the value there does not depend on a.
    edge = (((x == 0) | (x == np.inf)) & (a >= 0)) | ((a == 0) & (x > 0))
    if order == 0:
        p = np.where(x == 0, 0.0, 1.0)
        out[edge] = (1.0 - p if upper else p)[edge]
    else:
        out[edge & (a > 0)] = 0.0
    return out.reshape(shape)


def _gammainc_fwd(a, x, order=0):
    (a, x), dtype = float_inputs(a, x)
    return as_result(_incomplete_gamma(a, x, order, upper=False), dtype)


def _gammaincc_fwd(a, x, order=0):
    (a, x), dtype = float_inputs(a, x)
    return as_result(_incomplete_gamma(a, x, order, upper=True), dtype)


def _gamma_density_derivative(a, x, order):
    """d^order/da^order of x^(a-1) e^-x / Gamma(a) (= dP/dx), in chainrule operations.

    With f = e^g, g = (a-1) log x - x - log Gamma(a): F_{i+1} = sum_p C(i,p) F_{i-p}
    g^(p+1), g' = log x - psi(a), g^(k) = -psi^(k-1)(a) for k >= 2.
    """
    g_derivative = [log(x) - digamma(a)]
    for k in range(2, order + 1):
        g_derivative.append(-polygamma(k - 1, a))
    f = [exp((a - 1) * log(x) - x - gammaln(a))]
    for i in range(order):
        f.append(sum(math.comb(i, p) * f[i - p] * g_derivative[p] for p in range(i + 1)))
    return f[order]


def _gammainc_example(rng):
    return (rng.uniform(0.5, 4.0, (3, 4)), rng.uniform(0.2, 6.0, (3, 4))), {}


_gammainc = primitive(
    "gammainc", _gammainc_fwd,
    strong_zero=True,  # the densities are infinite at x = 0 when a < 1
    elementwise=True,
    domain=Example(_gammainc_example),
    statement=S.binary(
        "P(a, x) = gamma(a, x) / Gamma(a), regularized lower incomplete gamma "
        "(order > 0: its order-th derivative in a)",
        "g * d^(order+1) P / da^(order+1)  (series / continued fraction run on Taylor jets)",
        "g * d^order/da^order [x^(a-1) e^-x / Gamma(a)]",
        r"P(a, x)", r"\bar y\, \partial_a P", r"\bar y\, \frac{x^{a-1} e^{-x}}{\Gamma(a)}",
    ),
).defvjp(
    lambda g, ans, a, x, order=0: g * _gammainc(a, x, order=order + 1),
    lambda g, ans, a, x, order=0: g * _gamma_density_derivative(a, x, order),
)

_gammaincc = primitive(
    "gammaincc", _gammaincc_fwd,
    strong_zero=True,  # the densities are infinite at x = 0 when a < 1
    elementwise=True,
    domain=Example(_gammainc_example),
    statement=S.binary(
        "Q(a, x) = 1 - P(a, x), regularized upper incomplete gamma "
        "(order > 0: its order-th derivative in a)",
        "g * d^(order+1) Q / da^(order+1)  (series / continued fraction run on Taylor jets)",
        "-g * d^order/da^order [x^(a-1) e^-x / Gamma(a)]",
        r"Q(a, x)", r"\bar y\, \partial_a Q", r"-\bar y\, \frac{x^{a-1} e^{-x}}{\Gamma(a)}",
    ),
).defvjp(
    lambda g, ans, a, x, order=0: g * _gammaincc(a, x, order=order + 1),
    lambda g, ans, a, x, order=0: -g * _gamma_density_derivative(a, x, order),
)


def gammainc(a, x):
    """The regularized lower incomplete gamma function P(a, x) (scipy.special.gammainc)."""
    return _gammainc(a, x)


def gammaincc(a, x):
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x)."""
    return _gammaincc(a, x)


# ------------------------------------------------------------------------ betainc
def _beta_step(state, m):
    A, B, x = state["A"], state["B"], state["x"]
    even = m * (B - m) * x / ((A + (2 * m - 1)) * (A + 2 * m))
    d = 1 / (1 + even * state["d"]).guard(_TINY)
    c = (1 + even / state["c"]).guard(_TINY)
    h = state["h"] * (d * c)
    odd = -((A + m) * (A + B + m)) * x / ((A + 2 * m) * (A + (2 * m + 1)))
    d = 1 / (1 + odd * d).guard(_TINY)
    c = (1 + odd / c).guard(_TINY)
    delta = d * c
    done = converged(delta - 1, Jet.constant(np.ones(len(delta)), len(delta.c) - 1), _TOL)
    return {**state, "c": c, "d": d, "h": h * delta}, done


def _beta_fraction(a, b, x, da, db, order):
    """Jet of I_x(a + da eps, b + db eps) by the continued fraction, for x on its fast side.

    I = x^a (1-x)^b / (a B(a, b)) / (1 + d1 / (1 + d2 / (1 + ...))), d_{2m+1} =
    -(a+m)(a+b+m) x / ((a+2m)(a+2m+1)), d_{2m} = m (b-m) x / ((a+2m-1)(a+2m)).
    """
    A = Jet.variable(a, order, da)
    B = Jet.variable(b, order, db)
    d = 1 / (1 - (A + B) * x / (A + 1)).guard(_TINY)
    state = {"A": A, "B": B, "x": x, "c": Jet.constant(np.ones_like(a), order), "d": d,
             "h": d.copy()}
    state = iterate(_beta_step, state, _MAX_ITERATIONS)
    log_beta = (lgamma_shifted(a, da, order) + lgamma_shifted(b, db, order)
                - lgamma_shifted(a + b, da + db, order))
    exponent = A * np.log(x) + B * np.log1p(-x) - log_beta
    exponent.c[0] = _log_beta_prefactor(a, b, x)
    return jet_exp(exponent) * state["h"] / A


def _log_beta_prefactor(a, b, x):
    """log(x^a (1-x)^b / B(a, b)) for a, b > 0, 0 < x < 1 (float64 arrays).

    For a, b >= 10 Stirling's series turns it into (TOMS 708's brcomp, Didonato & Morris
    1992) a (log1p(u) - u) + b (log1p(v) - v) + log(a b / (2 pi c))/2 - w(a) - w(b) + w(c)
    with c = a + b, u = (x c - a)/a, v = -(x c - a)/b (a u + b v = 0): every term is
    small where x is near the mode a/c, instead of a difference of large logarithms.
    """
    out = a * np.log(x) + b * np.log1p(-x) - _betaln_fwd(a, b)
    big = np.minimum(a, b) >= 10
    ab, bb, xb = a[big], b[big], x[big]
    c = ab + bb
    w = xb * c - ab
    out[big] = (ab * _log1p_minus(w / ab) + bb * _log1p_minus(-w / bb)
                + 0.5 * (np.log(ab) + np.log(bb) - np.log(c) - _LOG_2PI)
                - _stirling_correction(ab) - _stirling_correction(bb) + _stirling_correction(c))
    return out


def _polarization(order_a, order_b):
    """Directions (da, db) and weights w with d^n I / da^i db^j = sum_k w_k D^n_(da_k, db_k) I
    (n = i + j): D^n_(1,s) f = sum_k C(n, k) s^k d^n f / da^(n-k) db^k, solved for the
    mixed partial from n + 1 directions (1, s)."""
    n = order_a + order_b
    if order_b == 0:
        return np.array([[1.0, 0.0]]), np.array([1.0])
    if order_a == 0:
        return np.array([[0.0, 1.0]]), np.array([1.0])
    s = np.arange(n + 1, dtype=np.float64) - n // 2
    matrix = np.array([[math.comb(n, k) * si**k for k in range(n + 1)] for si in s])
    weights = np.linalg.inv(matrix)[order_b]
    return np.stack([np.ones_like(s), s], axis=1), weights


def _incomplete_beta(a, b, x, order_a, order_b):
    """d^(i+j) I_x(a, b) / da^i db^j (i = order_a, j = order_b) for float64 arrays."""
    a, b, x = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in (a, b, x)))
    shape = a.shape
    a, b, x = a.reshape(-1), b.reshape(-1), x.reshape(-1)
    out = np.full(a.size, np.nan)
    n = order_a + order_b
    inside = (a > 0) & (b > 0) & (x > 0) & (x < 1) & np.isfinite(a) & np.isfinite(b)
    if inside.any():
        # Every direction of the polarization, and both sides of the symmetry, in one run
        # of the fraction: I_x(a, b) = 1 - I_{1-x}(b, a), whose derivative along (da, db)
        # is minus that of I_{1-x}(b, a) along (db, da).
        directions, weights = _polarization(order_a, order_b)
        copies = len(weights)
        ai, bi, xi = (np.tile(v[inside], copies) for v in (a, b, x))
        da, db = (np.repeat(directions[:, k], inside.sum()) for k in (0, 1))
        flip = xi > (ai + 1) / (ai + bi + 2)
        with np.errstate(all="ignore"):
            value = _beta_fraction(np.where(flip, bi, ai), np.where(flip, ai, bi),
                                   np.where(flip, 1 - xi, xi), np.where(flip, db, da),
                                   np.where(flip, da, db), n).derivatives()[n]
        value = np.where(flip, 1 - value if n == 0 else -value, value)
        out[inside] = weights @ value.reshape(copies, -1)
    # The edges: I_0 = 0 and I_1 = 1 for a, b > 0 (whatever a and b: zero derivatives);
    # SciPy's limits at a = 0 (I = 1) and b = 0 (I = 0) for 0 < x < 1.
    valid = (a >= 0) & (b >= 0) & (x >= 0) & (x <= 1) & ~((a == 0) & (b == 0))
    if n == 0:
        edge = np.where((x == 0) | ((b == 0) & (x < 1)), 0.0, 1.0)
    else:
        edge = np.zeros_like(x)
    at_edge = valid & ~inside
    out[at_edge] = edge[at_edge]
    return out.reshape(shape)


def _betainc_fwd(a, b, x, order_a=0, order_b=0):
    (a, b, x), dtype = float_inputs(a, b, x)
    return as_result(_incomplete_beta(a, b, x, order_a, order_b), dtype)


def _beta_density_derivative(a, b, x, order_a, order_b):
    """d^(i+j)/da^i db^j of x^(a-1) (1-x)^(b-1) / B(a, b) (= dI/dx), in chainrule operations.

    f = e^g with g = (a-1) log x + (b-1) log(1-x) - betaln(a, b); g_a = log x - psi(a) +
    psi(a+b), g_b = log(1-x) - psi(b) + psi(a+b), and a higher partial g_(p,q) (p+q >= 2)
    is -[p=0] psi^(q-1)(b) - [q=0] psi^(p-1)(a) + psi^(p+q-1)(a+b). Then
    F_(i+1,j) = sum C(i,p) C(j,q) F_(i-p,j-q) g_(p+1,q), and likewise in b.
    """
    def g(p, q):
        if (p, q) == (1, 0):
            return log(x) - digamma(a) + digamma(a + b)
        if (p, q) == (0, 1):
            return log1p(-x) - digamma(b) + digamma(a + b)
        out = polygamma(p + q - 1, a + b)
        if p == 0:
            out = out - polygamma(q - 1, b)
        if q == 0:
            out = out - polygamma(p - 1, a)
        return out

    cache = {(0, 0): exp((a - 1) * log(x) + (b - 1) * log1p(-x) - betaln(a, b))}

    def f(i, j):
        if (i, j) not in cache:
            if i > 0:
                cache[i, j] = sum(math.comb(i - 1, p) * math.comb(j, q) * f(i - 1 - p, j - q)
                                  * g(p + 1, q) for p in range(i) for q in range(j + 1))
            else:
                cache[i, j] = sum(math.comb(j - 1, q) * f(0, j - 1 - q) * g(0, q + 1)
                                  for q in range(j))
        return cache[i, j]

    return f(order_a, order_b)


def _betainc_example(rng):
    return (rng.uniform(0.5, 4.0, (3, 4)), rng.uniform(0.5, 4.0, (3, 4)),
            rng.uniform(0.05, 0.95, (3, 4))), {}


def _betainc_vjp_a(g, ans, a, b, x, order_a=0, order_b=0):
    return g * _betainc(a, b, x, order_a=order_a + 1, order_b=order_b)


def _betainc_vjp_b(g, ans, a, b, x, order_a=0, order_b=0):
    return g * _betainc(a, b, x, order_a=order_a, order_b=order_b + 1)


def _betainc_vjp_x(g, ans, a, b, x, order_a=0, order_b=0):
    return g * _beta_density_derivative(a, b, x, order_a, order_b)


_betainc = primitive(
    "betainc", _betainc_fwd,
    strong_zero=True,  # the densities are infinite at x = 0 when a < 1
    elementwise=True,
    domain=Example(_betainc_example),
    statement=S.Statement(
        forward="y = I_x(a, b) = B(x; a, b) / B(a, b), the regularized incomplete beta "
        "function (order_a, order_b > 0: its mixed derivative in a and b)",
        vjp="a_bar, b_bar = g * the next derivative in a, b (the continued fraction run on "
        "Taylor jets); x_bar = g * x^(a-1) (1-x)^(b-1) / B(a, b) (differentiated in a, b "
        "likewise)",
        latex_forward=r"y = I_x(a, b)",
        latex_vjp=r"\bar a = \bar y\, \partial_a I, \quad \bar b = \bar y\, \partial_b I, "
        r"\quad \bar x = \bar y\, \frac{x^{a-1}(1-x)^{b-1}}{B(a,b)}",
        jacobian=S.DIAGONAL + " in each argument",
        latex_jacobian=S.LATEX_DIAGONAL,
    ),
).defvjp(_betainc_vjp_a, _betainc_vjp_b, _betainc_vjp_x)


def betainc(a, b, x):
    """The regularized incomplete beta function I_x(a, b) (scipy.special.betainc)."""
    return _betainc(a, b, x)
