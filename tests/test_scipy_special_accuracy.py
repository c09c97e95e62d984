"""chainrule.scipy.special's forwards against mpmath at 40 digits, in ulp.

Each case draws points over a stated range (seeded) and asserts the largest error in
units of the last place of the exact value rounded to the dtype. The bounds sit a little
above what was measured on many more points (the measured maxima are in the comments and
in docs/api.md); where a function has a zero the reflection formula cannot resolve, the
error is stated in absolute terms (units of eps * max(1, |f|)).
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from chainrule.scipy import special as sp

mpmath.mp.dps = 40


def ulp_errors(got, exact, dtype=np.float64, absolute=False):
    """|got - exact| in ulp of exact (rounded to dtype); absolute: in eps * max(1, |exact|)."""
    out = []
    eps = np.finfo(dtype).eps
    for g, e in zip(np.asarray(got, np.float64).ravel().tolist(), exact):
        if absolute:
            unit = eps * max(1.0, abs(float(e)))
        else:
            unit = float(np.spacing(np.abs(dtype(float(e))))) if e != 0 else 5e-324
        out.append(float(abs(mpmath.mpf(g) - e) / unit))
    return np.array(out)


def points(lo, hi, n=300, seed=0, log=False):
    rng = np.random.default_rng(seed)
    if log:
        return np.exp(rng.uniform(np.log(lo), np.log(hi), n))
    return np.concatenate([rng.uniform(lo, hi, n), np.linspace(lo, hi, 41)])


def off_integers(x):
    return x[np.abs(x - np.round(x)) > 1e-6]


def lgamma(v):
    return mpmath.log(abs(mpmath.gamma(v)))


def erfcx(v):
    return mpmath.exp(v * v) * mpmath.erfc(v)


def erfcinv(v):
    if v > 1e-10:
        return mpmath.erfinv(1 - v)
    return mpmath.findroot(lambda t: mpmath.log(mpmath.erfc(t)) - mpmath.log(v),
                           mpmath.sqrt(-mpmath.log(v)))


def ndtri(p):
    return mpmath.sqrt(2) * mpmath.erfinv(2 * p - 1) if p > 1e-10 else -mpmath.sqrt(2) * erfcinv(
        2 * p)


def log_ndtr(v):
    return mpmath.log1p(-mpmath.ncdf(-v)) if v > 0 else mpmath.log(mpmath.ncdf(v))


# (name, function, mpmath reference, points, max ulp, absolute?)
CASES = [
    # gammaln: measured 3.0 (0, 1/2], 7.1 [1/2, 3/2] (lgamma(x+1) - log x cancels by up to
    # 3.3x near 3/2), 4.4 [3/2, 5/2], 2.8 beyond; near its zeros 1 and 2, 1.8.
    ("gammaln (0, 0.5]", sp.gammaln, lgamma, points(1e-3, 0.5), 4),
    ("gammaln [0.5, 2.5]", sp.gammaln, lgamma, points(0.5, 2.5), 8),
    ("gammaln near 1 and 2", sp.gammaln, lgamma,
     np.concatenate([c + s * np.geomspace(1e-15, 1e-3, 40) for c in (1, 2) for s in (-1, 1)]), 3),
    ("gammaln [2.5, 1e15]", sp.gammaln, lgamma, points(2.5, 1e15, log=True), 4),
    # Negative x: reflection; its zeros (x = -2.457, -2.747, ...) are not resolved, so
    # absolute units there (measured 4.5).
    ("gammaln [-10, 0] (absolute)", sp.gammaln, lgamma, off_integers(points(-10, -0.01)), 6,
     True),
    # digamma: measured 4.8 (0, 1.2], 4.8 [1.2, 1.75] (its zero x0 = 1.4616 included: 3.9
    # within 1e-2 of it), 2.5 up to 10, 1.4 beyond.
    ("digamma (0, 1.2]", sp.digamma, mpmath.digamma, points(1e-3, 1.2), 6),
    ("digamma near its zero", sp.digamma, mpmath.digamma,
     1.4616321449683622 + np.concatenate([np.geomspace(1e-15, 0.2, 60),
                                          -np.geomspace(1e-15, 0.2, 60)]), 6),
    ("digamma [1.75, 1e6]", sp.digamma, mpmath.digamma, points(1.75, 1e6, log=True), 4),
    ("digamma [-10, 0] (absolute)", sp.digamma, mpmath.digamma,
     off_integers(points(-10, -0.01)), 6, True),
    # gamma: measured 2.3 (0, 1], 3.4 [1, 10], 3.9 [10, 171], 3.6 [-10, 0], 5.7 [-170, -10].
    ("gamma (0, 171]", sp.gamma, mpmath.gamma, points(1e-3, 171, log=True), 5),
    ("gamma [-170, 0]", sp.gamma, mpmath.gamma, off_integers(points(-170, -0.01)), 8),
    ("rgamma [-170, 10]", sp.rgamma, mpmath.rgamma, points(-170, 10), 6),
    # polygamma: measured 3.2 (n=1), 3.7 (n=2), 5.5 (n=3), 7.8 (n=6) on (0, 1e8]; on
    # [-10, 0] 4.4, 10.2, 8.5, 13.4.
    ("polygamma 1 (0, 1e8]", lambda x: sp.polygamma(1, x), lambda v: mpmath.polygamma(1, v),
     points(1e-3, 1e8, log=True), 5),
    ("polygamma 3 (0, 1e8]", lambda x: sp.polygamma(3, x), lambda v: mpmath.polygamma(3, v),
     points(1e-3, 1e8, log=True), 8),
    ("polygamma 2 [-10, 0]", lambda x: sp.polygamma(2, x), lambda v: mpmath.polygamma(2, v),
     off_integers(points(-10, -0.01)), 16),
    # erfc: measured 1.5 on [-6, 1/2], 4.7 on [1/2, 26.5] (down to 1e-307).
    ("erfc [-6, 26.5]", sp.erfc, mpmath.erfc, points(-6, 26.5), 6),
    # erfcx: measured 4.0 [-26, 0], 3.2 [0, 50], 0.6 beyond.
    ("erfcx [-26, 1e300]", sp.erfcx, erfcx,
     np.concatenate([points(-26, 50), points(50, 1e8, log=True)]), 6),
    # ndtr: measured 5.1 on [-37, 0] (down to 1e-300), 1.1 on [0, 8].
    ("ndtr [-37, 8]", sp.ndtr, mpmath.ncdf, points(-37, 8), 7),
    # log_ndtr: measured 1.3 below -1, 2.2 on [-1, 0], 5.2 on [0, 38] (log1p of a tail).
    ("log_ndtr [-1e150, -1]", sp.log_ndtr, log_ndtr, -points(1, 1e150, log=True), 2),
    ("log_ndtr [-1, 38]", sp.log_ndtr, log_ndtr, points(-1, 38), 7),
    # erfinv: measured 3.5 on [-1/2, 1/2], 4.6 on [1/2, 1).
    ("erfinv (-1, 1)", sp.erfinv, mpmath.erfinv,
     np.concatenate([points(-0.999, 0.999), 1 - np.geomspace(1e-16, 1e-3, 30),
                     np.geomspace(1e-300, 1e-3, 30)]), 6),
    # erfcinv: measured 4.1 on (0, 1/2] (down to 1e-300), 3.8 on [1/2, 2).
    ("erfcinv (0, 2)", sp.erfcinv, erfcinv,
     np.concatenate([points(1e-10, 1.9999), np.geomspace(1e-300, 1e-10, 30)]), 6),
    # ndtri: measured 4.2.
    ("ndtri (0, 1)", sp.ndtri, ndtri,
     np.concatenate([points(1e-10, 1 - 1e-10), np.geomspace(1e-300, 1e-10, 30)]), 6),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_float64_against_mpmath(case):
    name, f, ref, x, bound, *absolute = case
    got = f(x)
    assert np.asarray(got).dtype == np.float64
    exact = [ref(mpmath.mpf(float(v))) for v in x]
    err = ulp_errors(got, exact, absolute=bool(absolute))
    assert err.max() <= bound, (name, x[err.argmax()], err.max())


def test_beta_and_betaln_against_mpmath():
    rng = np.random.default_rng(1)
    a, b = rng.uniform(0.01, 30, 400), rng.uniform(0.01, 30, 400)
    exact_beta = [mpmath.beta(x, y) for x, y in zip(a.tolist(), b.tolist())]
    # Measured 6.1 ulp: a + b is summed exactly (TwoSum), so Gamma(a + b) is not perturbed.
    assert ulp_errors(sp.beta(a, b), exact_beta).max() <= 8
    exact_log = [mpmath.log(abs(v)) for v in exact_beta]
    # betaln crosses zero where B = 1: absolute units, measured 4.8.
    assert ulp_errors(sp.betaln(a, b), exact_log, absolute=True).max() <= 6
    # Large arguments: TOMS 708's form of log Gamma(a) - log Gamma(a + b) keeps
    # betaln(1e6, 2) = log(1/(a(a+1))) to a few units where the plain difference of
    # three gammaln values loses 8 digits (measured 13.6 absolute units up to 1e6).
    a, b = np.exp(rng.uniform(np.log(0.01), np.log(1e6), (2, 400)))
    exact = [mpmath.log(abs(mpmath.beta(x, y))) for x, y in zip(a.tolist(), b.tolist())]
    assert ulp_errors(sp.betaln(a, b), exact, absolute=True).max() <= 16
    assert abs(sp.betaln(1e10, 2.0) - float(mpmath.log(mpmath.beta(1e10, 2)))) < 1e-13 * 46


@pytest.mark.parametrize("name, ref, x", [
    ("gammaln", lgamma, np.linspace(0.1, 30, 300)),
    ("digamma", mpmath.digamma, np.linspace(0.1, 30, 300)),
    ("gamma", mpmath.gamma, np.linspace(-3.5, 30, 300)),
    ("erfc", mpmath.erfc, np.linspace(-3, 9, 300)),
    ("erfcx", erfcx, np.linspace(-3, 30, 300)),
    ("ndtr", mpmath.ncdf, np.linspace(-12, 5, 300)),
    ("log_ndtr", log_ndtr, np.linspace(-30, 10, 300)),
    ("erfinv", mpmath.erfinv, np.linspace(-0.999, 0.999, 300)),
    ("ndtri", ndtri, np.linspace(1e-6, 1 - 1e-6, 300)),
])
def test_float32_is_kept_and_rounded_once(name, ref, x):
    x32 = off_integers(x).astype(np.float32)
    got = getattr(sp, name)(x32)
    assert got.dtype == np.float32
    exact = [ref(mpmath.mpf(float(v))) for v in x32]
    # Computed in float64 and rounded once: at most about half a float32 ulp, plus the
    # float64 error (measured max 0.50).
    assert ulp_errors(got, exact, np.float32).max() <= 1.0


def test_special_values_match_scipy_conventions():
    inf, nan = np.inf, np.nan
    x = np.array([0.0, -0.0, -1.0, -2.0, inf, -inf, nan])
    np.testing.assert_array_equal(sp.gammaln(x), [inf, inf, inf, inf, inf, -inf, nan])
    np.testing.assert_array_equal(sp.gamma(x), [inf, -inf, nan, nan, inf, nan, nan])
    np.testing.assert_array_equal(sp.rgamma(x), [0, -0.0, 0, 0, 0, 0, nan])
    np.testing.assert_array_equal(sp.digamma(x), [-inf, inf, nan, nan, inf, nan, nan])
    np.testing.assert_array_equal(sp.gammasgn(x), [1, -1, nan, nan, 1, nan, nan])
    np.testing.assert_array_equal(sp.erfinv(np.array([-1.0, 1.0, 1.5, 0.0])), [-inf, inf, nan, 0])
    np.testing.assert_array_equal(sp.erfcinv(np.array([0.0, 2.0, -0.1, 1.0])), [inf, -inf, nan, 0])
    np.testing.assert_array_equal(sp.ndtri(np.array([0.0, 1.0, 0.5, 1.1])), [-inf, inf, 0, nan])
    np.testing.assert_array_equal(sp.ndtr(np.array([-inf, inf, nan])), [0, 1, nan])
    np.testing.assert_array_equal(sp.log_ndtr(np.array([-inf, inf, nan])), [-inf, 0, nan])
    np.testing.assert_array_equal(sp.erfcx(np.array([-inf, inf, nan])), [inf, 0, nan])
    np.testing.assert_array_equal(sp.erfc(np.array([-inf, inf, nan])), [2, 0, nan])
    np.testing.assert_array_equal(sp.xlogy(np.array([0.0, 0.0, 1.0]), np.array([0.0, -1.0, 0.0])),
                                  [0, 0, -inf])
    np.testing.assert_array_equal(sp.polygamma(np.array([1, 2, 1]), np.array([0.0, 0.0, -1.0])),
                                  [inf, -inf, inf])
    assert np.isnan(sp.polygamma(1.5, 2.0))


def _regularized_p(a, x):
    return mpmath.gammainc(a, 0, x, regularized=True)


def _regularized_q(a, x):
    return mpmath.gammainc(a, x, mpmath.inf, regularized=True)


@pytest.mark.parametrize("name, f, ref, lo, hi, bound", [
    # Measured on 300 points each, x = a e^u with |u| <= 1.5 (values down to 1e-100):
    # 14 / 31 ulp for a <= 10 (SciPy: 17 / 122), 194 / 167 for 10 <= a <= 100 (SciPy:
    # 344 / 588), the deep tails being the worst (there P's condition number in x is a).
    ("gammainc", sp.gammainc, _regularized_p, 0.05, 10, 24),
    ("gammaincc", sp.gammaincc, _regularized_q, 0.05, 10, 48),
    ("gammainc", sp.gammainc, _regularized_p, 10, 100, 300),
    ("gammaincc", sp.gammaincc, _regularized_q, 10, 100, 300),
])
def test_incomplete_gamma_against_mpmath(name, f, ref, lo, hi, bound):
    rng = np.random.default_rng(3)
    a = np.exp(rng.uniform(np.log(lo), np.log(hi), 150))
    x = a * np.exp(rng.uniform(-1.5, 1.5, 150))
    exact = [ref(mpmath.mpf(float(p)), mpmath.mpf(float(q))) for p, q in zip(a, x)]
    err = ulp_errors(f(a, x), exact)
    assert err.max() <= bound, (a[err.argmax()], x[err.argmax()], err.max())


def test_incomplete_beta_against_mpmath():
    # Measured over 200 points per range: 37 ulp for a, b in [0.05, 10] (SciPy 16), 677 for
    # [10, 100] (SciPy 104) in the far tails, where x^a (1-x)^b is e^-200 and its exponent's
    # rounding dominates; the mean is 3 and 23 ulp.
    rng = np.random.default_rng(4)
    for lo, hi, bound in ((0.05, 10, 60), (10, 100, 1000)):
        a, b = np.exp(rng.uniform(np.log(lo), np.log(hi), (2, 120)))
        x = rng.uniform(0, 1, 120)
        exact = [mpmath.betainc(p, q, 0, r, regularized=True)
                 for p, q, r in zip(a.tolist(), b.tolist(), x.tolist())]
        err = ulp_errors(sp.betainc(a, b, x), exact)
        assert err.max() <= bound, (lo, a[err.argmax()], b[err.argmax()], err.max())


def test_incomplete_derivatives_in_the_shape_parameters_against_mpmath():
    # d/da P(a, x), d/da I_x(a, b), d/db I_x(a, b) and d2/da db I_x(a, b) from the Taylor
    # jets, against mpmath's numerical derivatives at 40 digits.
    a, b, x = 2.3, 0.7, 0.35
    import chainrule as cr

    def mp_i(p, q):
        return mpmath.betainc(p, q, 0, x, regularized=True)

    da = cr.grad(lambda t: sp.betainc(t, b, x))(a)
    db = cr.grad(lambda t: sp.betainc(a, t, x))(b)
    dadb = cr.grad(lambda s: cr.grad(lambda t: sp.betainc(t, s, x))(a))(b)
    assert abs(da - float(mpmath.diff(lambda p: mp_i(p, b), a))) < 1e-13
    assert abs(db - float(mpmath.diff(lambda q: mp_i(a, q), b))) < 1e-13
    assert abs(dadb - float(mpmath.diff(mp_i, (a, b), (1, 1)))) < 1e-12
    dp = cr.grad(lambda t: sp.gammainc(t, 1.7))(a)
    assert abs(dp - float(mpmath.diff(lambda p: _regularized_p(p, 1.7), a))) < 1e-13
    d2q = cr.grad(cr.grad(lambda t: sp.gammaincc(t, 4.2)))(a)
    assert abs(d2q - float(mpmath.diff(lambda p: _regularized_q(p, 4.2), a, 2))) < 1e-12


@pytest.mark.parametrize("name, f, ref, bound", [
    # J and Y oscillate: their zeros are not resolved beyond absolute accuracy (as in
    # SciPy), so units of eps * max(1, |f|). Measured on (0, 200]: 1.1, 1.0, 1.2, 1.2,
    # 1.1 and 3.4 (SciPy: 1.7, 2.7, 5.0, 3.9, 1.6, 5.4).
    ("j0", sp.j0, mpmath.j0, 3),
    ("j1", sp.j1, mpmath.j1, 3),
    ("y0", sp.y0, lambda v: mpmath.bessely(0, v), 3),
    ("y1", sp.y1, lambda v: mpmath.bessely(1, v), 3),
    ("jn(5)", lambda x: sp.jn(5, x), lambda v: mpmath.besselj(5, v), 3),
    ("yn(5)", lambda x: sp.yn(5, x), lambda v: mpmath.bessely(5, v), 6),
])
def test_bessel_j_and_y_against_mpmath(name, f, ref, bound):
    x = np.concatenate([points(0.01, 25, 250), points(25, 200, 120, seed=1)])
    exact = [ref(mpmath.mpf(float(v))) for v in x]
    err = ulp_errors(f(x), exact, absolute=True)
    assert err.max() <= bound, (name, x[err.argmax()], err.max())


@pytest.mark.parametrize("name, f, ref, hi, bound", [
    # Measured in ulp on 800 points: i0 5.1 on (0, 700]; iv of order 0.5 and 2.5 7.8 and
    # 11.0 on (0, 200]; ive of order 7.3 30.9 on (0, 700] (iv 48.7: the series for
    # x <= 20 + v^2 sums terms up to e^x and its rounding grows with x).
    ("i0", sp.i0, lambda v: mpmath.besseli(0, v), 700, 12),
    ("i1", sp.i1, lambda v: mpmath.besseli(1, v), 700, 20),
    ("i0e", sp.i0e, lambda v: mpmath.besseli(0, v) * mpmath.exp(-v), 700, 12),
    ("i1e", sp.i1e, lambda v: mpmath.besseli(1, v) * mpmath.exp(-v), 700, 24),
    ("iv(2.5)", lambda x: sp.iv(2.5, x), lambda v: mpmath.besseli(2.5, v), 200, 40),
    ("ive(7.3)", lambda x: sp.ive(7.3, x), lambda v: mpmath.besseli(7.3, v) * mpmath.exp(-v),
     700, 80),
])
def test_bessel_i_against_mpmath(name, f, ref, hi, bound):
    x = points(0.01, hi, 300)
    exact = [ref(mpmath.mpf(float(v))) for v in x]
    err = ulp_errors(f(x), exact)
    assert err.max() <= bound, (name, x[err.argmax()], err.max())


def test_bessel_special_values_match_scipy():
    import scipy.special as ss

    x = np.array([0.0, -0.0, -2.5, np.nan, 1e-300, 5e-324])
    for name in ("j0", "j1", "i0", "i1", "i0e", "i1e"):
        np.testing.assert_allclose(getattr(sp, name)(x), getattr(ss, name)(x), rtol=1e-14,
                                   equal_nan=True, err_msg=name)
    for name in ("y0", "y1"):
        np.testing.assert_array_equal(np.isnan(getattr(sp, name)(x)),
                                      np.isnan(getattr(ss, name)(x)), err_msg=name)
    # At +-inf chainrule returns the limits (SciPy 1.17 returns NaN for j0, j1, y0, y1, i0
    # and i1 there): J, Y -> 0, I_0 -> inf, I_1(-inf) -> -inf (docs/api.md).
    inf = np.array([np.inf, -np.inf])
    np.testing.assert_array_equal(sp.j0(inf), [0, 0])
    np.testing.assert_array_equal(sp.y1(inf[:1]), [0])
    np.testing.assert_array_equal(sp.i0(inf), [np.inf, np.inf])
    np.testing.assert_array_equal(sp.i1(inf), [np.inf, -np.inf])
    np.testing.assert_array_equal(sp.i1e(inf), [0, 0])
    assert sp.y0(0.0) == -np.inf and sp.yn(3, 0.0) == -np.inf
    np.testing.assert_allclose(sp.jn(np.array([-3, 3]), -2.0), ss.jn([-3, 3], -2.0), rtol=1e-14)
    np.testing.assert_allclose(sp.iv(3, -2.0), ss.iv(3, -2.0), rtol=1e-14)
    assert np.isnan(sp.iv(2.5, -1.0)) and np.isnan(ss.iv(2.5, -1.0))
