"""zeta, the exponential integrals, spence, poch, factorial and the Box-Cox family of
chainrule.scipy.special: values against mpmath in ulp, SciPy's conventions at the edges,
and the derivatives the op database's generic checks cannot reach (near zeta's pole, at
spence's z = 1, at lmbda = 0).

Each accuracy case draws seeded points and asserts the largest error in units of the
last place of the exact value; the bounds sit a little above the maxima measured on
3000 points per case (in the comments, with SciPy 1.17's on the same points, and in
docs/api.md).
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import scipy
import scipy.special as ss

import chainrule as cr
from chainrule.scipy import special as sp

# chainrule follows SciPy 1.17's conventions at the edges (expi(inf), inv_boxcox's overflow,
# factorial's return types); older SciPy (the oldest supported, 1.13) differs there.
_SCIPY_117 = pytest.mark.skipif(
    tuple(int(p) for p in scipy.__version__.split(".")[:2]) < (1, 17),
    reason="compares with SciPy 1.17's edge conventions, which older SciPy does not follow")

mpmath.mp.dps = 40  # (mpmath.diff's numerical derivatives need the room)
inf, nan = np.inf, np.nan


def ulp_errors(got, exact):
    """|got - exact| in ulp of exact rounded to float64; 0 where both overflow, and where
    the exact value is within 1e-18 of underflow (below 1e-290 the intermediate powers of
    zeta and poch become subnormal and lose digits gradually, as subnormals do)."""
    out = []
    for g, e in zip(np.asarray(got, np.float64).ravel().tolist(), exact):
        if e == 0 or abs(e) < 1e-290:
            out.append(0.0 if abs(g) < 1e-289 else np.inf)
        elif abs(e) > 1.79e308:
            out.append(0.0 if np.isinf(g) else np.inf)
        else:
            out.append(float(abs(mpmath.mpf(g) - e) / np.spacing(abs(float(e)))))
    return np.array(out)


def geometric(rng, lo, hi, n=200):
    return np.exp(rng.uniform(np.log(lo), np.log(hi), n))


def _riemann_points(rng):
    return np.concatenate([
        1 + geometric(rng, 1e-15, 1e-3, 60), geometric(rng, 1.001, 1e3, 60),
        rng.uniform(0, 1, 60), 1 - geometric(rng, 1e-15, 1e-2, 30),
        geometric(rng, 1e-300, 1e-3, 30), -geometric(rng, 1e-300, 1e-3, 30),
        rng.uniform(-5, 0, 60), rng.uniform(-260, -5, 60)])


def _hurwitz_points(rng):
    x = np.concatenate([geometric(rng, 1.001, 40, 150), 1 + geometric(rng, 1e-12, 1e-3, 50)])
    q = np.concatenate([geometric(rng, 1e-3, 1e8, 150), geometric(rng, 1e-2, 1e3, 50)])
    return x, q


def _expi_points(rng):
    return np.concatenate([geometric(rng, 1e-300, 700), -geometric(rng, 1e-300, 700),
                           0.3725074107813666 + rng.uniform(-0.1, 0.1, 60),
                           0.3725074107813666 + rng.choice([-1, 1], 30)
                           * geometric(rng, 1e-16, 1e-6, 30)])


def _ellip_points(rng):
    return np.concatenate([rng.uniform(-10, 1, 100), 1 - geometric(rng, 1e-300, 1, 50),
                           -geometric(rng, 1, 1e300, 50), geometric(rng, 1e-300, 1, 50)])


def _expn(n):
    return lambda x: sp.expn(n, x)


def _mp_expn(n):
    return lambda v: mpmath.expint(n, v)


# (name, function, mpmath reference, points(rng) -> tuple of arrays, max ulp, digits)
CASES = [
    # zeta(x): measured 4.0 on (1, 1.001], 2.4 on [1.001, 1e3], 9.2 on [0, 1) (Borwein's
    # alternating sum; SciPy 4.7), 5.2 on [-5, 0), 11.1 on [-260, -5] (SciPy 634, 1147).
    ("zeta(x)", sp.zeta, mpmath.zeta, lambda rng: (_riemann_points(rng),), 14, 50),
    # Hurwitz: measured 4.4 (SciPy 4.0) for x in (1, 40], q in [1e-3, 1e8].
    ("zeta(x, q)", sp.zeta, mpmath.zeta, _hurwitz_points, 6, 200),
    # q < 0 with an integer x: terms of both signs cancel (measured 19.7, SciPy 9.7).
    ("zeta(x, q < 0)", sp.zeta, mpmath.zeta, lambda rng: (
        rng.integers(2, 12, 100).astype(float), -rng.uniform(0.01, 30, 100) - 1e-3), 24, 200),
    # exp1 measured 1.3 on (0, 700] (SciPy 2.4); expi 3.1 on (0, 700] (SciPy 2397: its zero
    # at 0.3725 is where SciPy's series cancels), 1.3 on [-700, 0).
    ("exp1", sp.exp1, mpmath.e1, lambda rng: (geometric(rng, 1e-300, 700),), 2, 50),
    ("expi", sp.expi, mpmath.ei, lambda rng: (_expi_points(rng),), 4, 50),
    # expn measured 5.9, 2.5, 2.9 (n = 2, 5, 20) on (0, 700] (SciPy 9.3, 18, 14).
    ("expn(2)", _expn(2), _mp_expn(2), lambda rng: (geometric(rng, 1e-10, 700),), 7, 100),
    ("expn(5)", _expn(5), _mp_expn(5), lambda rng: (geometric(rng, 1e-10, 700),), 5, 100),
    ("expn(20)", _expn(20), _mp_expn(20), lambda rng: (geometric(rng, 1e-10, 700),), 4, 100),
    # spence measured 1.6 on [0, 1e300] (SciPy 8.6).
    ("spence", sp.spence, lambda v: mpmath.polylog(2, 1 - v), lambda rng: (np.concatenate(
        [geometric(rng, 1e-300, 1e300), 1 + rng.uniform(-1e-3, 1e-3, 50)]),), 3, 50),
    # poch measured 4.0 for z, m in (0, 20), 3.8 for z up to 1e10 with |m| <= 5, 17.8 on
    # z < 0 (SciPy 79, 121919, 326764).
    ("poch small", sp.poch, mpmath.rf, lambda rng: (geometric(rng, 1e-3, 20),
                                                    rng.uniform(-0.9, 20, 200)), 6, 50),
    ("poch large z", sp.poch, mpmath.rf, lambda rng: (geometric(rng, 20, 1e10),
                                                      rng.uniform(-5, 5, 200)), 6, 50),
    ("poch z < 0", sp.poch, mpmath.rf, lambda rng: (
        rng.uniform(-250, -0.01, 200) + 0.5e-3, rng.uniform(-20, 20, 200).round(3) + 0.25e-3),
     20, 50),
    # Up to Gamma's overflow with |m| < min(z, 60): measured 5.5 (SciPy 1623).
    ("poch to 170", sp.poch, mpmath.rf, lambda rng: (lambda z: (z, rng.uniform(-1, 1, 200)
                                                                * np.minimum(0.999 * z, 60)))(
        geometric(rng, 1e-3, 170)), 8, 50),
    # factorial as poch(1, n), 1 + n summed exactly: measured 4.5 (SciPy's gamma(n + 1) 586).
    ("factorial", sp.factorial, lambda v: mpmath.gamma(v + 1),
     lambda rng: (rng.uniform(0, 171.6, 200),), 6, 50),
    # The Box-Cox family with lmbda down to 1e-18 (boxcox, inv_boxcox measured 7.6, 4.4;
    # SciPy's forwards are the same formulas, with the same maxima).
    ("boxcox", sp.boxcox, lambda x, lm: (x**lm - 1) / lm if lm else mpmath.log(x),
     lambda rng: (geometric(rng, 1e-3, 1e3), rng.choice([-1, 1], 200)
                  * geometric(rng, 1e-18, 2)), 10, 50),
    ("inv_boxcox", sp.inv_boxcox, lambda y, lm: (1 + lm * y) ** (1 / lm) if lm else mpmath.exp(y),
     lambda rng: (rng.uniform(-0.9, 1.4, 200), rng.choice([-1, 1], 200)
                  * geometric(rng, 1e-18, 0.6)), 6, 50),
    # ellipk, ellipe measured 4.2 and 4.3 on m in [-1e300, 1) (1 - m down to 1e-300),
    # ellipkm1 5.0 on p in [1e-300, 1e300] (SciPy's polynomial fits: 2.5, 2.8, 1.4).
    ("ellipk", sp.ellipk, lambda m: mpmath.elliprf(0, 1 - m, 1), lambda rng: (_ellip_points(rng),),
     6, 50),
    ("ellipe", sp.ellipe, lambda m: 2 * mpmath.elliprg(0, 1 - m, 1),
     lambda rng: (_ellip_points(rng),), 6, 50),
    ("ellipkm1", sp.ellipkm1, lambda p: mpmath.elliprf(0, p, 1),
     lambda rng: (geometric(rng, 1e-300, 1e300),), 7, 50),
    # exprel measured 1.4 on [-700, 700] and near 0.
    ("exprel", sp.exprel, lambda v: mpmath.expm1(v) / v if v else mpmath.mpf(1),
     lambda rng: (np.concatenate([rng.uniform(-700, 700, 100), rng.choice([-1, 1], 100)
                                  * geometric(rng, 1e-15, 1, 100)]),), 2, 50),
    # pseudo_huber keeps r^2/2 for small r/delta (expm1/log1p), measured 6.9 (SciPy's
    # formula, the same).
    ("pseudo_huber", sp.pseudo_huber, lambda d, r: d * d * (mpmath.sqrt(1 + (r / d) ** 2) - 1),
     lambda rng: (geometric(rng, 0.1, 10), geometric(rng, 1e-10, 1e4)), 8, 50),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_float64_against_mpmath(case):
    name, f, ref, make, bound, digits = case
    args = make(np.random.default_rng(5))
    with mpmath.workdps(digits):
        exact = [ref(*(mpmath.mpf(float(a)) for a in point)) for point in zip(*args)]
    got = f(*args)
    assert np.asarray(got).dtype == np.float64
    err = ulp_errors(got, exact)
    assert err.max() <= bound, (name, [a[err.argmax()] for a in args], err.max())


# ------------------------------------------------------------- SciPy's conventions
EDGES = np.array([0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 1e-300, -1e-300, 5e-324, 1e300,
                  -1e300, 700.0, -700.0, 750.0, -750.0, inf, -inf, nan, 3.5, -3.5, 1e-17,
                  1 - 2**-53, 1 + 2**-52, 170.5, -170.5, 171.7, -300.5, 1e10])


def _same_as_scipy(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    close = np.isclose(got, want, rtol=1e-13, atol=0, equal_nan=True) | (got == want)
    return close


@_SCIPY_117
@pytest.mark.parametrize("name", ["zeta", "exp1", "expi", "spence", "cbrt", "exp2", "exp10",
                                  "expm1", "log1p", "exprel", "ellipk", "ellipe", "ellipkm1"])
def test_one_argument_edges_match_scipy(name):
    # (NumPy's expm1 keeps the subnormal 5e-324 where SciPy's returns 0: left out.)
    edges = EDGES[EDGES != 5e-324] if name == "expm1" else EDGES
    got, want = getattr(sp, name)(edges), getattr(ss, name)(edges)
    close = _same_as_scipy(got, want)
    assert close.all(), list(zip(edges[~close], got[~close], want[~close]))


@_SCIPY_117
@pytest.mark.parametrize("name", ["boxcox", "boxcox1p", "inv_boxcox", "inv_boxcox1p", "huber",
                                  "pseudo_huber"])
def test_two_argument_edges_match_scipy(name):
    a, b = np.meshgrid(EDGES, EDGES, indexing="ij")
    got, want = getattr(sp, name)(a, b), getattr(ss, name)(a, b)
    close = _same_as_scipy(got, want)
    assert close.all(), list(zip(a[~close], b[~close], got[~close], want[~close]))[:10]


def test_expn_edges_match_scipy():
    n = np.array([0, 1, 2, 3, 5, 10, 60, 200, -1, 1.5, nan])[:, None]
    got, want = sp.expn(n, EDGES), ss.expn(n, EDGES)
    close = _same_as_scipy(got, want)
    assert close.all()


def test_hurwitz_zeta_follows_scipys_rules():
    x = np.array([1.0, 1.0, 0.5, 2.0, 2.0, 2.0, 3.0, 2.5, 2.0, inf, inf, inf, inf, nan, 2.0])
    q = np.array([2.0, nan, 2.0, 0.0, -1.0, -1.5, -2.5, -1.5, inf, 1.0, 0.5, 2.0, -0.5, -3.0,
                  1e300])
    # (zeta(3, -2.5) cancels 8.41 against -8.36: SciPy and chainrule differ in the 14th digit)
    np.testing.assert_allclose(sp.zeta(x, q), ss.zeta(x, q), rtol=1e-12, equal_nan=True)
    # Beyond SciPy: zeta(1 + 2^-52, 1e-17) is q^-x + zeta(x, 1 + q) = 1.045e17 (SciPy 1.0e17).
    assert abs(sp.zeta(1 + 2**-52, 1e-17) / float(mpmath.zeta(1 + 2**-52, 1e-17)) - 1) < 1e-15


def test_riemann_zeta_special_values():
    x = np.array([1.0, 0.0, -0.0, -2.0, -200.0, -1.0, inf, -inf, nan, -300.5])
    np.testing.assert_allclose(sp.zeta(x), [inf, -0.5, -0.5, 0, 0, -1 / 12, 1, nan, nan, -inf],
                               rtol=2e-16)


def test_poch_follows_scipys_pole_conventions():
    z = np.array([1.0, 0.0, -1.0, -1.0, -2.0, -2.5, 0.0, -1.0, 1.0, 2.0, 1e-300,
                  1 - 2**-53, 2.0, 0.5, -0.5, inf, inf, -3.0, -0.5, nan])
    m = np.array([0.0, 3.0, 1.0, 2.0, 3.0, 2.0, -1.0, -1.0, -1.0, -2.0, -1.0, -2.0, inf,
                  -2.0, -0.5, 1.0, -0.5, inf, inf, 0.0])
    np.testing.assert_array_equal(sp.poch(z, m), ss.poch(z, m))
    # Where SciPy's recurrence overflows (poch(inf, 3) and poch(1e-300, 171.7) are NaN and
    # inf there) chainrule returns the limits and values: inf and Gamma(171.7) 1e-300 (to
    # 1e-13: the shifted product is subnormal there, and taken through its logarithm).
    assert sp.poch(inf, 3.0) == inf
    exact = mpmath.rf(mpmath.mpf(1e-300), mpmath.mpf(171.7))
    assert abs(sp.poch(1e-300, 171.7) / float(exact) - 1) < 1e-12


@_SCIPY_117
def test_factorial_matches_scipys_types():
    for n in (3, 3.5, np.float32(3), -1, nan, np.array(3), np.array([3.0, -1, nan, 2.5]),
              np.array([3, 4], np.float32), np.array([], int), [3, 4], 171, 170.5):
        got, want = sp.factorial(n), ss.factorial(n)
        assert type(got) is type(want) and np.shape(got) == np.shape(want), n
        assert np.asarray(got).dtype == np.asarray(want).dtype, n
        np.testing.assert_allclose(got, want, rtol=1e-14, equal_nan=True)
    for n in (3, -1, 25, np.array([3, 4]), np.array([25, 3]), np.array(3), np.array([-1, 3])):
        got, want = sp.factorial(n, exact=True), ss.factorial(n, exact=True)
        assert type(got) is type(want) and np.asarray(got).dtype == np.asarray(want).dtype
        assert np.all(got == want)
    for bad in (2.5, np.array([2.0])):
        with pytest.raises(ValueError):
            sp.factorial(bad, exact=True)
    with pytest.raises(ValueError):
        sp.factorial(True)
    np.testing.assert_allclose(sp.factorial(np.array([-1.0, -0.5, 2.0]), extend="complex"),
                               ss.factorial(np.array([-1.0, -0.5, 2.0]), extend="complex"),
                               rtol=1e-15)


@pytest.mark.parametrize("f, args", [
    (sp.zeta, (2.0,)), (sp.exp1, ()), (sp.expi, ()), (sp.spence, ()), (sp.exprel, ()),
    (sp.factorial, ()), (sp.poch, (1.5,)), (sp.boxcox, (0.5,)), (sp.boxcox1p, (0.5,)),
    (sp.inv_boxcox, (0.5,)), (sp.inv_boxcox1p, (0.5,)), (sp.exp10, ()), (sp.huber, (1.0,)),
    (sp.pseudo_huber, (1.0,)), (sp.ellipk, ()), (sp.ellipe, ()), (sp.ellipkm1, ()),
])
def test_float32_stays_float32(f, args):
    x = np.linspace(0.1, 0.9, 7).astype(np.float32)
    call = (lambda v: f(*args, v)) if f in (sp.huber, sp.pseudo_huber, sp.zeta) else (
        lambda v: f(v, *args))
    # (SciPy's factorial gives float64 for any array; a tensor keeps its dtype.)
    assert call(x).dtype == (np.float64 if f is sp.factorial else np.float32)
    assert call(cr.tensor(x)).dtype == np.float32


# -------------------------------------------------------------------- derivatives
def _grad(f, *at):
    return cr.grad(f)(*at)


def test_zeta_derivative_in_q_near_the_pole():
    # d/dq zeta(x, q) = -x zeta(x + 1, q), finite as x -> 1 though zeta itself is not.
    for x in (1 + 1e-6, 1 + 1e-12, 2.5):
        for q in (0.3, 2.0, 1e5):
            got = _grad(lambda t, x=x: sp.zeta(x, t), q)
            want = float(mpmath.diff(lambda t, x=x: mpmath.zeta(x, t), q))
            assert abs(got - want) <= 1e-14 * abs(want), (x, q, got, want)
            second = _grad(lambda s, x=x: _grad(lambda t: sp.zeta(x, t), s), q)
            want2 = float(mpmath.diff(lambda t, x=x: mpmath.zeta(x, t), q, 2))
            assert abs(second - want2) <= 1e-13 * abs(want2), (x, q)


def test_no_derivative_in_zetas_x_is_a_clear_error():
    x = cr.tensor(np.array([2.0, 3.0]), requires_grad=True)
    with pytest.raises(NotImplementedError, match="zeta: no derivative with respect to x"):
        sp.zeta(x, 2.0)
    with pytest.raises(NotImplementedError, match="zeta: no derivative with respect to x"):
        sp.zeta(x)
    # A tensor that needs no gradient is computed, and stays a tensor.
    np.testing.assert_allclose(sp.zeta(cr.tensor(np.array([2.0]))).data, [np.pi**2 / 6])


def test_no_derivative_in_expns_order_is_a_clear_error():
    with pytest.raises(NotImplementedError, match="order n"):
        cr.grad(lambda n: cr.sum(sp.expn(n, np.array([1.5, 2.5]))))(np.array(1.0))


def test_exponential_integral_derivatives():
    x = 0.7
    assert abs(_grad(sp.exp1, x) + np.exp(-x) / x) < 1e-15
    assert abs(_grad(sp.expi, -x) - np.exp(-x) / -x) < 1e-15
    # E_0' = -E_-1 = -e^-x (1 + x)/x^2, and E_0'' = E_-2 = e^-x (x^2 + 2x + 2)/x^3.
    assert abs(_grad(lambda t: sp.expn(0, t), x) + np.exp(-x) * (1 + x) / x**2) < 1e-14
    second = _grad(lambda s: _grad(lambda t: sp.expn(0, t), s), x)
    assert abs(second - np.exp(-x) * (x * x + 2 * x + 2) / x**3) < 1e-13
    assert abs(_grad(lambda t: sp.expn(3, t), x) + float(mpmath.expint(2, x))) < 1e-15


def test_spence_derivative_through_z_equal_1():
    # log z / (1 - z) -> -1 at z = 1, and its derivative -> 1/2; both smooth through it.
    d1 = lambda t: _grad(sp.spence, t)  # noqa: E731
    assert d1(1.0) == -1.0
    assert abs(_grad(d1, 1.0) - 0.5) < 1e-15
    for z in (1 - 1e-9, 1 + 1e-7, 0.3, 5.0):
        assert abs(d1(z) - np.log(z) / (1 - z)) <= 1e-15 * abs(np.log(z) / (1 - z)) + 1e-15


def _mp_boxcox(x):
    log_x = mpmath.log(x)
    return lambda t: mpmath.expm1(t * log_x) / t if t else log_x


def _mp_inv_boxcox(y):
    return lambda t: mpmath.exp(mpmath.log1p(t * y) / t) if t else mpmath.exp(y)


def test_box_cox_derivatives_in_lmbda_at_and_near_zero():
    # d/dlmbda (x^lmbda - 1)/lmbda = log(x)^2 exprel'(lmbda log x): log(x)^2 / 2 at 0, where
    # the composition expm1(lmbda L)/lmbda would give 0 (and lose every digit at 1e-8).
    x = 3.0
    for lm in (0.0, 1e-9, 1e-4, 0.3, -2.0):
        got = _grad(lambda t: sp.boxcox(x, t), lm)
        want = float(mpmath.diff(_mp_boxcox(x), lm))
        assert abs(got - want) <= 1e-14 * abs(want), (lm, got, want)
        second = _grad(lambda s: _grad(lambda t: sp.boxcox(x, t), s), lm)
        want2 = float(mpmath.diff(_mp_boxcox(x), lm, 2))
        assert abs(second - want2) <= 1e-12 * abs(want2), (lm, second, want2)
    assert _grad(lambda t: sp.boxcox(x, t), 0.0) == np.log(x) ** 2 / 2
    y = 0.8
    for lm in (0.0, 1e-9, 0.2, -0.4):
        got = _grad(lambda t: sp.inv_boxcox(y, t), lm)
        want = float(mpmath.diff(_mp_inv_boxcox(y), lm))
        assert abs(got - want) <= 1e-13 * abs(want), (lm, got, want)
        got1p = _grad(lambda t: sp.inv_boxcox1p(y, t), lm)
        assert abs(got1p - want) <= 1e-13 * abs(want), (lm, got1p, want)
    assert abs(_grad(lambda t: sp.boxcox1p(x - 1, t), 0.0) - np.log(x) ** 2 / 2) < 1e-15


def test_poch_derivatives_against_mpmath():
    # (At z = 1e6 psi(z + m) - psi(z) = 3.2e-6 is taken from the asymptotic series term by
    # term: the plain difference of two values near 13.8 would keep 9 digits.)
    for z, m in ((2.5, 1.7), (1e6, 3.2), (0.3, -0.2), (15.0, 2.5)):
        dz = _grad(lambda t, m=m: sp.poch(t, m), z)
        dm = _grad(lambda t, z=z: sp.poch(z, t), m)
        want_z = float(mpmath.diff(lambda t, m=m: mpmath.rf(t, m), z))
        want_m = float(mpmath.diff(lambda t, z=z: mpmath.rf(z, t), m))
        assert abs(dz - want_z) <= 1e-12 * abs(dz)
        assert abs(dm - want_m) <= 1e-12 * abs(dm)


def test_factorial_gradient_and_its_refusal_for_exact():
    assert abs(_grad(sp.factorial, 3.5) - ss.gamma(4.5) * ss.digamma(4.5)) < 1e-13
    # n < 0 is the constant 0: its gradient is 0, not Gamma's pole.
    g = cr.grad(lambda n: cr.sum(sp.factorial(n)))(np.array([-1.5, -1.0, 2.0]))
    np.testing.assert_allclose(g, [0.0, 0.0, ss.gamma(3.0) * ss.digamma(3.0)], rtol=1e-14)
    with pytest.raises(NotImplementedError, match="exact=True"):
        cr.grad(lambda n: sp.factorial(n, exact=True))(3.0)


def test_elliptic_derivatives_through_m_equal_0_and_near_1():
    # dK/dm = (E - (1-m) K)/(2m(1-m)) and dE/dm = (E - K)/(2m) are 0/0 at m = 0: there the
    # series gives pi/8 and -pi/8, and the second derivatives 9 pi/64 and -3 pi/64.
    for m in (0.0, 1e-8, 0.099, 0.101, 0.3, -5.0, 1 - 1e-6):
        dk, de = _grad(sp.ellipk, m), _grad(sp.ellipe, m)
        assert abs(dk - float(mpmath.diff(mpmath.ellipk, m))) <= 1e-13 * abs(dk), m
        assert abs(de - float(mpmath.diff(mpmath.ellipe, m))) <= 1e-13 * abs(de), m
    assert abs(_grad(lambda s: _grad(sp.ellipk, s), 0.0) - 9 * np.pi / 64) < 1e-15
    assert abs(_grad(lambda s: _grad(sp.ellipe, s), 0.0) + 3 * np.pi / 64) < 1e-15
    dp = _grad(sp.ellipkm1, 1e-6)
    assert abs(dp + float(mpmath.diff(mpmath.ellipk, 1 - mpmath.mpf(1e-6)))) <= 1e-10 * abs(dp)
