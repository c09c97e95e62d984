"""chainrule.scipy: every public function has an op-database entry (tests/opdb), the
import forms autograd programs use work, and SciPy is not imported at run time."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from opdb import OPS

import chainrule as cr
import chainrule.scipy.signal
import chainrule.scipy.stats.multivariate_normal as mvn
from chainrule.scipy import integrate, linalg, signal, special, stats
from chainrule.scipy.spatial import distance
from chainrule.scipy.stats import norm

# Public callables that are not differentiable operations on arrays (rvs draws samples),
# and odeint, checked in tests/test_scipy_integrate.py (tests/opdb/scipy_namespace.py says
# why it is not in the op database).
NOT_OPERATIONS = {"sp.stats.dirichlet.rvs", "sp.integrate.odeint"}


def _public():
    modules = {"sp.special": special, "sp.signal": signal, "sp.linalg": linalg,
               "sp.integrate": integrate, "sp.spatial.distance": distance}
    for name in stats.__all__:
        modules[f"sp.stats.{name}"] = getattr(stats, name)
    return sorted(f"{prefix}.{name}" for prefix, module in modules.items()
                  for name in module.__all__)


def test_every_public_scipy_function_has_an_op_database_entry():
    covered = {op.name.split(" ")[0] for op in OPS}
    public = [name for name in _public() if name not in NOT_OPERATIONS]
    missing = [name for name in public if name not in covered]
    print(f"chainrule.scipy: {len(public) - len(missing)} of {len(public)} public functions "
          f"in the op database")
    assert not missing, f"chainrule.scipy functions without an op-database entry: {missing}"


def test_cr_special_is_the_scipy_special_namespace():
    assert cr.special is special
    assert cr.special.gammaln is special.gammaln
    assert chainrule.scipy.signal.convolve is signal.convolve
    assert mvn.logpdf is stats.multivariate_normal.logpdf
    assert norm.logpdf is stats.norm.logpdf


def test_scipy_is_not_imported_at_run_time():
    code = ("import sys, numpy as np, chainrule as cr, chainrule.scipy.stats, "
            "chainrule.scipy.signal, chainrule.scipy.linalg, chainrule.scipy.integrate, "
            "chainrule.scipy.spatial; cr.special.gammaln(np.arange(1.0, 4.0)); "
            "print('scipy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_no_derivative_in_an_integer_order_is_a_clear_error():
    for f, name in ((special.polygamma, "n"), (special.jn, "n"), (special.iv, "v")):
        with pytest.raises(NotImplementedError, match=f"order {name}"):
            cr.grad(lambda n, f=f: cr.sum(f(n, np.array([1.5, 2.5]))))(np.array(1.0))
    with pytest.raises(NotImplementedError, match="discrete count"):
        cr.grad(lambda k: cr.sum(stats.poisson.logpmf(k, 2.0)))(np.array([1.0, 2.0]))


def test_invalid_parameters_give_scipy_nans_and_their_gradient_is_finite_elsewhere():
    scale = cr.tensor(np.array([1.0, -1.0, 2.0]), requires_grad=True)
    out = norm.logpdf(0.5, 0.0, scale)
    assert np.isnan(out.data[1]) and np.isfinite(out.data[[0, 2]]).all()
    cr.sum(cr.where(np.isfinite(out.data), out, 0.0)).backward()
    assert np.isfinite(scale.grad.data).all() and scale.grad.data[1] == 0


def test_autograd_gmm_likelihood_runs_and_matches_scipy():
    # The mixture log-likelihood of autograd's examples/gmm.py with chainrule's names.
    import scipy.stats

    rng = np.random.default_rng(0)
    data = rng.standard_normal((20, 2))
    means = rng.standard_normal((3, 2))
    covs = [np.eye(2) * (k + 1) for k in range(3)]
    log_props = np.log(np.full(3, 1 / 3))

    def log_likelihood(means):
        lls = [log_props[k] + mvn.logpdf(data, means[k], covs[k]) for k in range(3)]
        return cr.sum(special.logsumexp(cr.stack(lls), axis=0))

    want = np.sum(np.log(sum(np.exp(log_props[k]) * scipy.stats.multivariate_normal.pdf(
        data, means[k], covs[k]) for k in range(3))))
    np.testing.assert_allclose(log_likelihood(means), want, rtol=1e-12)
    assert cr.gradcheck(log_likelihood, means, modes=("rev",))


# ------------------------------------------- the closed-form distributions of scipy.stats
# name: shape parameters (one valid value each) of the continuous location-scale families.
CONTINUOUS = {"expon": (), "uniform": (), "laplace": (), "logistic": (), "cauchy": (),
              "lognorm": (0.7,), "pareto": (2.5,), "gumbel_r": (), "gumbel_l": ()}
FUNCTIONS = ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")


def _mp(f, *args):
    """f of the float64 arguments (exactly as given), in 400-digit arithmetic (enough for
    the cancellations the closed forms below make), rounded once."""
    import mpmath

    with mpmath.workdps(400):
        return float(f(mpmath, *[mpmath.mpf(float(a)) for a in args]))


def _log_binomial_pmf(m, k, n, p):
    return (m.log(m.binomial(n, k)) + k * m.log(p) + (n - k) * m.log(1 - p))


def _log_nbinom_pmf(m, k, n, p):
    return (m.loggamma(n + k) - m.loggamma(n) - m.loggamma(k + 1) + n * m.log(p)
            + k * m.log(1 - p))


# (chainrule's function of the arguments, the exact value as a function of mpmath and them,
# the arguments): log-space tails where the naive log of a rounded probability would be
# -inf or lose digits (SciPy's own laplace.logpdf(1e10), gumbel_r.logsf(800),
# pareto.cdf(1 + 1e-12), bernoulli.logcdf(0, 1e-10) and binom.logsf(0, 10, 0.9) do).
TAILS = [
    (stats.logistic.logcdf, lambda m, x: -m.log1p(m.exp(-x)), (-800.0,)),
    (stats.logistic.logsf, lambda m, x: -m.log1p(m.exp(x)), (750.0,)),
    (stats.logistic.logpdf, lambda m, x: -x - 2 * m.log1p(m.exp(-x)), (-800.0,)),
    (stats.logistic.ppf, lambda m, q: m.log(q / (1 - q)), (0.5 + 1e-9,)),
    (stats.logistic.isf, lambda m, q: -m.log(q / (1 - q)), (1e-300,)),
    (stats.laplace.logsf, lambda m, x: -x - m.log(2), (50.0,)),
    (stats.laplace.logcdf, lambda m, x: x - m.log(2), (-700.0,)),
    (stats.laplace.logcdf, lambda m, x: m.log(1 - m.exp(-x) / 2), (50.0,)),
    (stats.laplace.logpdf, lambda m, x: -abs(x) - m.log(2), (1e10,)),
    (stats.laplace.ppf, lambda m, q: m.log(2 * q), (1e-300,)),
    (stats.cauchy.logsf, lambda m, x: m.log(m.mpf(1) / 2 - m.atan(x) / m.pi), (1e10,)),
    (stats.cauchy.logcdf, lambda m, x: m.log(m.mpf(1) / 2 + m.atan(x) / m.pi), (1e10,)),
    (stats.cauchy.cdf, lambda m, x: m.mpf(1) / 2 + m.atan(x) / m.pi, (-1e300,)),
    (stats.cauchy.logpdf, lambda m, x: -m.log(m.pi) - m.log1p(x * x), (1e200,)),
    (stats.cauchy.ppf, lambda m, q: m.tan(m.pi * (q - m.mpf(1) / 2)), (1e-12,)),
    (stats.cauchy.ppf, lambda m, q: m.tan(m.pi * (q - m.mpf(1) / 2)), (1 - 2.0 ** -40,)),
    (stats.expon.logcdf, lambda m, x: m.log(1 - m.exp(-x)), (1e-20,)),
    (stats.expon.logcdf, lambda m, x: m.log(1 - m.exp(-x)), (40.0,)),
    (stats.expon.ppf, lambda m, q: -m.log(1 - q), (1e-17,)),
    (stats.gumbel_r.logsf, lambda m, x: m.log(-m.expm1(-m.exp(-x))), (800.0,)),
    (stats.gumbel_r.logsf, lambda m, x: m.log(-m.expm1(-m.exp(-x))), (21.0,)),
    (stats.gumbel_r.logsf, lambda m, x: m.log(-m.expm1(-m.exp(-x))), (19.0,)),
    (stats.gumbel_r.logsf, lambda m, x: m.log(-m.expm1(-m.exp(-x))), (3.0,)),
    (stats.gumbel_r.logpdf, lambda m, x: -x - m.exp(-x), (-700.0,)),
    (stats.gumbel_l.logcdf, lambda m, x: m.log(-m.expm1(-m.exp(x))), (-800.0,)),
    (stats.gumbel_l.logsf, lambda m, x: -m.exp(x), (5.0,)),
    (stats.pareto.cdf, lambda m, x, b: 1 - x ** -b, (1 + 1e-12, 0.9)),
    (stats.pareto.logcdf, lambda m, x, b: m.log(1 - x ** -b), (1 + 1e-12, 0.9)),
    (stats.pareto.logsf, lambda m, x, b: -b * m.log(x), (1e300, 2.5)),
    (stats.lognorm.logsf, lambda m, x, s: m.log(m.ncdf(-m.log(x) / s)), (1e30, 0.5)),
    (stats.lognorm.logcdf, lambda m, x, s: m.log(m.ncdf(m.log(x) / s)), (1e-30, 0.5)),
    (stats.uniform.logsf, lambda m, x: m.log(1 - x), (1 - 2.0 ** -40,)),
    (stats.binom.logpmf, lambda m, k, n, p: _log_binomial_pmf(m, k, n, p), (0, 1000, 0.3)),
    (stats.binom.logpmf, lambda m, k, n, p: _log_binomial_pmf(m, k, n, p), (1, 1000, 0.3)),
    (stats.binom.logpmf, lambda m, k, n, p: _log_binomial_pmf(m, k, n, p), (300, 1000, 0.3)),
    (stats.binom.logpmf, lambda m, k, n, p: _log_binomial_pmf(m, k, n, p), (517, 1000, 0.3)),
    (stats.binom.logpmf, lambda m, k, n, p: _log_binomial_pmf(m, k, n, p), (999, 1000, 0.3)),
    (stats.binom.logpmf, lambda m, k, n, p: _log_binomial_pmf(m, k, n, p), (1000, 1000, 0.3)),
    (stats.binom.logsf, lambda m, k, n, p: m.log(1 - (1 - p) ** n), (0, 10, 0.9)),
    (stats.binom.logcdf, lambda m, k, n, p: m.log(1 - p ** n), (9, 10, 1e-3)),
    (stats.nbinom.logpmf, lambda m, k, n, p: _log_nbinom_pmf(m, k, n, p), (3, 1e6, 0.999)),
    (stats.nbinom.logcdf, lambda m, k, n, p: m.log(m.betainc(n, k + 1, 0, p,
                                                             regularized=True)),
     (30, 0.3, 0.5)),
    (stats.geom.logsf, lambda m, k, p: k * m.log(1 - p), (1e6, 1e-12)),
    (stats.geom.logcdf, lambda m, k, p: m.log(1 - (1 - p) ** k), (1, 1e-12)),
    (stats.geom.logcdf, lambda m, k, p: m.log(1 - (1 - p) ** k), (60, 0.5)),
    (stats.bernoulli.logcdf, lambda m, k, p: m.log(1 - p), (0, 1e-10)),
    (stats.bernoulli.entropy, lambda m, p: -p * m.log(p) - (1 - p) * m.log(1 - p), (1e-10,)),
    # (beyond z^2 = 3 the t distribution's small tail is computed as itself, not as
    # 1/2 minus a number near 1/2: the latter gave 0 here and 4e-2 relative error at df=1e4)
    (stats.t.logcdf, lambda m, x, df: m.log(_t_lower(m, x, df)), (-10.0, 200.0)),
    (stats.t.logcdf, lambda m, x, df: m.log(_t_lower(m, x, df)), (-8.0, 1e4)),
    (stats.t.logsf, lambda m, x, df: m.log(_t_lower(m, -x, df)), (15.0, 1e3)),
]


def _t_lower(m, x, df):
    """P(T <= x) for x < 0, T ~ t(df), in mpmath."""
    x, df = m.mpf(x), m.mpf(df)
    return m.betainc(df / 2, m.mpf(1) / 2, 0, df / (df + x * x), regularized=True) / 2


@pytest.mark.parametrize("f, exact, args", TAILS,
                         ids=[f"{f.__module__.rsplit('.', 1)[-1]}.{f.__name__}{args}"
                              for f, _, args in TAILS])
def test_distribution_tails_in_log_space_are_exact(f, exact, args):
    want = _mp(exact, *args)
    got = f(*args)
    assert np.isfinite(got)
    np.testing.assert_allclose(got, want, rtol=2e-14, atol=0)


# (chainrule's function, the exact value as a function of mpmath and the point, the point):
# derivatives in the tails, where they come from the same stable forms as the values.
TAIL_GRADIENTS = [
    (stats.logistic.logcdf, lambda m, x: -m.log1p(m.exp(-x)), -800.0),
    (stats.laplace.logcdf, lambda m, x: m.log(1 - m.exp(-x) / 2), 30.0),
    (stats.cauchy.logsf, lambda m, x: m.log(m.mpf(1) / 2 - m.atan(x) / m.pi), 1e10),
    (stats.cauchy.logpdf, lambda m, x: -m.log(m.pi) - m.log1p(x * x), 1e100),
    (stats.expon.logcdf, lambda m, x: m.log(-m.expm1(-x)), 1e-20),
    (stats.gumbel_r.logsf, lambda m, x: m.log(-m.expm1(-m.exp(-x))), 800.0),
    (stats.gumbel_r.logsf, lambda m, x: m.log(-m.expm1(-m.exp(-x))), 21.0),
    (stats.gumbel_l.logcdf, lambda m, x: m.log(-m.expm1(-m.exp(x))), -800.0),
    (lambda x: stats.pareto.logcdf(x, 0.9), lambda m, x: m.log(1 - x ** -m.mpf(0.9)),
     1 + 1e-12),
    (lambda x: stats.lognorm.logsf(x, 0.5), lambda m, x: m.log(m.ncdf(-m.log(x) * 2)), 1e30),
    (stats.cauchy.ppf, lambda m, q: m.tan(m.pi * (q - m.mpf(1) / 2)), 1e-12),
    (stats.gumbel_r.isf, lambda m, q: -m.log(-m.log1p(-q)), 1e-15),
    (lambda p: stats.binom.logcdf(9, 10, p), lambda m, p: m.log(1 - p ** 10), 1e-3),
    (lambda p: stats.nbinom.logsf(0, 2.5, p), lambda m, p: m.log(1 - p ** m.mpf(2.5)), 1e-3),
]


@pytest.mark.parametrize("f, exact, x", TAIL_GRADIENTS)
def test_distribution_gradients_in_the_tails_are_exact(f, exact, x):
    import mpmath

    with mpmath.workdps(80):
        want = float(mpmath.diff(lambda t: exact(mpmath, t), mpmath.mpf(x),
                                 h=mpmath.mpf(x) * mpmath.mpf(10) ** -30))
    np.testing.assert_allclose(cr.grad(f)(np.array(x)), want, rtol=1e-14, atol=0)


def _scipy_stats():
    import scipy.stats

    return scipy.stats


def _support_points(name, shapes, loc, scale):
    """x at and around the support's ends (in x's units), inside it, at +-inf and NaN."""
    reference = getattr(_scipy_stats(), name)
    a, b = reference.support(*shapes)
    inner = [a - 1.0, a, a + 0.5] if np.isfinite(a) else [-3.0, -30.0]
    inner += [b - 0.25, b, b + 1.0] if np.isfinite(b) else [3.0, 30.0]
    points = loc + scale * np.array(inner + [0.0])
    return np.concatenate([[-np.inf], points, [np.inf, np.nan]])


@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_continuous_support_edges_and_invalid_parameters_match_scipy(name):
    ss = getattr(_scipy_stats(), name)
    ours = getattr(stats, name)
    shapes = CONTINUOUS[name]
    with np.errstate(all="ignore"):
        for loc, scale in ((0.5, 2.0), (0.0, 1.0)):
            x = _support_points(name, shapes, loc, scale)
            if name == "gumbel_r":  # SciPy's density is inf - inf = NaN at -inf (below)
                x = x[1:]
            if name == "gumbel_l":
                x = x[np.r_[0:len(x) - 2, len(x) - 1]]
            for f in FUNCTIONS:
                # (older SciPy, 1.13 in CI's oldest environment, loses digits of a log of
                # a probability near 1, a value near 0 here: 2e-17 absolutely. Those tails
                # are checked against mpmath above.)
                np.testing.assert_allclose(
                    getattr(ours, f)(x, *shapes, loc, scale),
                    getattr(ss, f)(x, *shapes, loc=loc, scale=scale), rtol=1e-13,
                    atol=1e-15 if f.startswith("log") else 1e-300, equal_nan=True,
                    err_msg=f"{name}.{f}")
            q = np.array([-0.5, 0.0, 1e-300, 0.25, 0.5, 0.75, 1.0, 1.5, np.nan])
            if name == "cauchy":  # (SciPy 1.13's ppf(1e-300) is -3e16; the truth -3e299)
                q = q[q != 1e-300]
            for f in ("ppf", "isf"):
                np.testing.assert_allclose(
                    getattr(ours, f)(q, *shapes, loc, scale),
                    getattr(ss, f)(q, *shapes, loc=loc, scale=scale), rtol=1e-13,
                    equal_nan=True, err_msg=f"{name}.{f}")
        # Invalid scale (<= 0 or NaN) and, for lognorm and pareto, invalid shape: NaN.
        for scale in (0.0, -1.0, np.nan):
            for f in (*FUNCTIONS, "ppf", "isf"):
                got = getattr(ours, f)(np.array([0.5, 2.0]), *shapes, 0.0, scale)
                want = getattr(ss, f)(np.array([0.5, 2.0]), *shapes, loc=0.0, scale=scale)
                assert np.isnan(got).all() and np.isnan(want).all(), (name, f, scale)
            assert np.isnan(ours.entropy(*shapes, 0.0, scale))
        if shapes:
            for bad in (0.0, -1.0, np.nan):
                for f in (*FUNCTIONS, "ppf", "isf"):
                    got = getattr(ours, f)(np.array([0.5, 2.0]), bad)
                    want = getattr(ss, f)(np.array([0.5, 2.0]), bad)
                    assert np.isnan(got).all() and np.isnan(want).all(), (name, f, bad)
                assert np.isnan(ours.entropy(bad))
        np.testing.assert_allclose(ours.entropy(*shapes, 0.3, 2.0),
                                   ss.entropy(*shapes, loc=0.3, scale=2.0), rtol=1e-14)


def test_limits_where_scipy_gives_nan():
    # SciPy's gumbel densities at the far infinity are inf - inf = NaN; chainrule returns the
    # limit (the density's -inf), as where exp(-z) overflows. geom.entropy at p = 1 is 0 (a
    # certain outcome), and nbinom's mass at k = inf is 0.
    assert stats.gumbel_r.logpdf(-np.inf) == -np.inf and stats.gumbel_r.pdf(-np.inf) == 0
    assert stats.gumbel_r.logpdf(-1e4) == -np.inf
    assert stats.gumbel_l.logpdf(np.inf) == -np.inf and stats.gumbel_l.pdf(np.inf) == 0
    assert stats.geom.entropy(1.0) == 0
    assert stats.nbinom.logpmf(np.inf, 2.5, 0.3) == -np.inf


DISCRETE = {
    "bernoulli": [(0.3,), (0.0,), (1.0,)],
    "binom": [(5, 0.3), (5, 0.0), (5, 1.0), (0, 0.4)],
    "geom": [(0.3,), (1.0,)],
    "nbinom": [(2.5, 0.3), (2.5, 1.0)],
}
INVALID = {
    "bernoulli": [(-0.1,), (1.1,), (np.nan,)],
    "binom": [(5.5, 0.3), (-1, 0.3), (5, 1.1), (5, -0.1)],
    "geom": [(0.0,), (1.1,), (np.nan,)],
    "nbinom": [(0.0, 0.3), (-1.0, 0.3), (2.5, 0.0), (2.5, 1.1)],
}


@pytest.mark.parametrize("name", sorted(DISCRETE))
def test_discrete_support_edges_and_invalid_parameters_match_scipy(name):
    ss = getattr(_scipy_stats(), name)
    ours = getattr(stats, name)
    functions = ("logpmf", "pmf", "cdf", "logcdf", "sf", "logsf")
    k = np.array([-np.inf, -1, 0, 0.5, 1, 2, 4.5, 5, 6, 40, np.nan])
    with np.errstate(all="ignore"):
        for shapes in DISCRETE[name]:
            for loc in (0, 2):
                for f in functions:
                    # (SciPy's log of a cdf near 1 keeps fewer digits: geom.logcdf(40, 0.3)
                    # 10, where chainrule's is exact; TAILS checks those against mpmath.)
                    np.testing.assert_allclose(
                        getattr(ours, f)(k, *shapes, loc), getattr(ss, f)(k, *shapes, loc=loc),
                        rtol=1e-9, atol=1e-300, equal_nan=True,
                        err_msg=f"{name}.{f}{shapes} loc={loc}")
        # SciPy's logcdf gives 0 at and above the support's end for some invalid
        # parameters (its cdf gives NaN there); chainrule gives NaN for all of them.
        for shapes in INVALID[name]:
            for f in functions:
                assert np.isnan(getattr(ours, f)(k, *shapes)).all(), (name, f, shapes)
            for f in ("logpmf", "pmf", "cdf", "sf"):
                assert np.isnan(getattr(ss, f)(k, *shapes)).all(), (name, f, shapes)
    if hasattr(ours, "entropy"):
        p = np.array([0.0, 1e-3, 0.3, 0.5, 0.9, -0.1, 1.1, np.nan])
        with np.errstate(all="ignore"):
            want = ss.entropy(p)
        if name == "geom":
            want[p == 1] = 0.0  # the limit (above)
        np.testing.assert_allclose(ours.entropy(p), want, rtol=1e-13, equal_nan=True)


def test_laplace_kink_takes_the_zero_subgradient_and_its_cdf_is_smooth():
    # At x = loc the density's x- and loc-gradients are 0 (abs'(0) = 0, the midpoint of the
    # subdifferential [-1, 1]/scale); on each side they are -+1/scale.
    scale = 2.0
    x = cr.tensor(np.array([0.5 - 1e-3, 0.5, 0.5 + 1e-3]), requires_grad=True)
    loc = cr.tensor(np.array(0.5), requires_grad=True)
    cr.sum(stats.laplace.logpdf(x, loc, scale)).backward()
    np.testing.assert_array_equal(x.grad.data, [1 / scale, 0.0, -1 / scale])
    assert loc.grad.data == 0.0
    # The cdf is continuously differentiable at loc: the density 1/(2 scale), each side.
    for f, sign in ((stats.laplace.cdf, 1), (stats.laplace.sf, -1)):
        g = cr.grad(lambda t, f=f: cr.sum(f(t, 0.5, scale)))(x.data)
        np.testing.assert_allclose(g, sign * np.exp(-np.abs(x.data - 0.5) / scale) / (2 * scale),
                                   rtol=1e-12)
    # The same for log cdf and log sf: (1/(2 scale)) / (1/2) at loc.
    assert cr.grad(lambda t: stats.laplace.logcdf(t, 0.5, scale))(np.array(0.5)) == 1 / scale


def test_support_ends_take_the_gradient_from_inside():
    # The density jumps at expon's loc and pareto's loc + scale, and at both ends of
    # uniform's support: the gradient there is the one-sided one from inside.
    g = cr.grad(lambda x: stats.expon.logpdf(x, 1.0, 2.0))(np.array(1.0))
    assert g == -0.5
    g = cr.grad(lambda x: stats.pareto.logpdf(x, 2.5, 0.0, 2.0))(np.array(2.0))
    np.testing.assert_allclose(g, -3.5 / 2.0, rtol=1e-15)
    for x in (1.0, 3.0):
        g = cr.grad(lambda s, x=x: stats.uniform.logpdf(x, 1.0, s))(np.array(2.0))
        assert g == -0.5
    # Outside the support the value is a constant: gradient 0, not NaN.
    x = cr.tensor(np.array([-1.0, 0.5, 4.0]), requires_grad=True)
    cr.sum(stats.expon.cdf(x) + stats.uniform.logsf(x * 0.2) + stats.pareto.sf(x, 2.0)).backward()
    assert np.isfinite(x.grad.data).all() and x.grad.data[0] == 0


def test_invalid_parameters_of_the_new_distributions_have_zero_finite_gradients():
    scale = cr.tensor(np.array([1.0, -1.0, 2.0]), requires_grad=True)
    b = cr.tensor(np.array([2.0, 0.0, 3.0]), requires_grad=True)
    p = cr.tensor(np.array([0.3, 1.5, 0.6]), requires_grad=True)
    outs = [stats.cauchy.logpdf(0.5, 0.0, scale), stats.gumbel_r.logsf(0.5, 0.0, scale),
            stats.pareto.logpdf(3.0, b, 0.0, scale), stats.lognorm.cdf(3.0, b, 0.0, scale),
            stats.binom.logpmf(2, 5, p), stats.geom.logcdf(3, p), stats.nbinom.cdf(2, b, p)]
    for out in outs:
        assert np.isnan(out.data[1]) and np.isfinite(out.data[[0, 2]]).all()
    cr.sum(cr.stack([cr.where(np.isfinite(o.data), o, 0.0) for o in outs])).backward()
    for t in (scale, b, p):
        assert np.isfinite(t.grad.data).all() and t.grad.data[1] == 0


@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_continuous_distributions_broadcast_as_scipy(name):
    ss = getattr(_scipy_stats(), name)
    ours = getattr(stats, name)
    shapes = CONTINUOUS[name]
    rng = np.random.default_rng(3)
    # x (4, 1), loc (3,), scale (2, 1, 1): x well inside every support.
    x = rng.uniform(0.3, 0.6, (4, 1)) + 1.5 * (name == "pareto")
    loc = rng.uniform(-0.2, 0.0, 3)
    scale = rng.uniform(1.0, 1.2, (2, 1, 1))
    for f in FUNCTIONS:
        got = getattr(ours, f)(x, *shapes, loc, scale)
        assert got.shape == (2, 4, 3)
        np.testing.assert_allclose(got, getattr(ss, f)(x, *shapes, loc=loc, scale=scale),
                                   rtol=1e-12)
    q = rng.uniform(0.1, 0.9, (4, 1))
    for f in ("ppf", "isf"):
        np.testing.assert_allclose(getattr(ours, f)(q, *shapes, loc, scale),
                                   getattr(ss, f)(q, *shapes, loc=loc, scale=scale),
                                   rtol=1e-12)
    np.testing.assert_allclose(ours.entropy(*shapes, loc, scale),
                               ss.entropy(*shapes, loc=loc, scale=scale), rtol=1e-14)
    # Tensors in: each gradient has its argument's shape.
    tensors = [cr.tensor(a, requires_grad=True) for a in (x, loc, scale)]
    cr.sum(ours.logcdf(tensors[0], *shapes, *tensors[1:])).backward()
    assert [t.grad.shape for t in tensors] == [(4, 1), (3,), (2, 1, 1)]


def test_discrete_distributions_broadcast_and_refuse_gradients_in_counts():
    import scipy.stats

    k = np.arange(4.0).reshape(4, 1)
    p = np.array([0.2, 0.5, 0.7])
    n = np.array([[3.0], [6.0]])[:, None]
    for name, args in (("bernoulli", (k, p)), ("geom", (k + 1, p)), ("binom", (k, n, p)),
                       ("nbinom", (k, n + 0.5, p))):
        for f in ("logpmf", "cdf", "logsf"):
            got = getattr(getattr(stats, name), f)(*args)
            want = getattr(getattr(scipy.stats, name), f)(*args)
            assert got.shape == want.shape
            np.testing.assert_allclose(got, want, rtol=1e-12)
    assert stats.bernoulli.entropy(p, np.zeros((2, 1))).shape == (2, 3)
    for call, what in ((lambda t: stats.binom.logpmf(1.0, t, 0.5), "discrete count"),
                       (lambda t: stats.binom.cdf(t, 5.0, 0.5), "discrete count"),
                       (lambda t: stats.geom.logpmf(t, 0.5), "discrete count"),
                       (lambda t: stats.bernoulli.sf(0.0, 0.5, t), "discrete count")):
        with pytest.raises(NotImplementedError, match=what):
            cr.grad(lambda t, call=call: cr.sum(call(t)))(np.array(2.0))
    # nbinom's n is real: its gradient is the formula's.
    g = cr.grad(lambda n: stats.nbinom.logpmf(3.0, n, 0.4))(np.array(2.5))
    h = 1e-6
    fd = (scipy.stats.nbinom.logpmf(3, 2.5 + h, 0.4) - scipy.stats.nbinom.logpmf(3, 2.5 - h, 0.4))
    np.testing.assert_allclose(g, fd / (2 * h), rtol=1e-7)


def test_distribution_functions_take_lists_and_propagate_nan_as_scipy():
    import scipy.stats as ss_stats

    from chainrule.scipy.stats import beta, expon, gamma, multivariate_normal, norm, poisson

    np.testing.assert_allclose(norm.logpdf([1.0, 2.0]), ss_stats.norm.logpdf([1.0, 2.0]),
                               rtol=1e-15)
    np.testing.assert_allclose(norm.cdf([0.0, 1.0], [0, 1], 2),
                               ss_stats.norm.cdf([0.0, 1.0], [0, 1], 2), rtol=1e-15)
    np.testing.assert_allclose(expon.logpdf((1.0, 2.0)), [-1.0, -2.0], rtol=1e-15)
    assert multivariate_normal.logpdf([0.1, 0.2], [0, 0], [[1, 0], [0, 1]]) == pytest.approx(
        ss_stats.multivariate_normal.logpdf([0.1, 0.2], [0, 0], [[1, 0], [0, 1]]), rel=1e-14)
    for ours, ref, args in ((gamma.logpdf, ss_stats.gamma.logpdf, (2.0,)),
                            (beta.logpdf, ss_stats.beta.logpdf, (2.0, 3.0)),
                            (poisson.logpmf, ss_stats.poisson.logpmf, (2.0,))):
        x = np.array([np.nan, 1.0, -1.0])
        np.testing.assert_allclose(ours(x, *args), ref(x, *args), rtol=1e-14)


def test_log_cdf_and_sf_near_one_keep_every_digit():
    # log of a probability near 1 is computed from its complement (before: log of the
    # rounded cdf, e.g. poisson.logcdf(30, 2) was 0 and gamma.logcdf(30, 2) off by 1e-5)
    import mpmath as mp

    from chainrule.scipy.stats import beta, chi2, gamma, poisson, t

    mp.mp.dps = 40
    cases = [
        (gamma.logcdf(30.0, 2.0), mp.log(mp.gammainc(2, 0, 30, regularized=True))),
        (gamma.logsf(1e-4, 2.0), mp.log(mp.gammainc(2, 1e-4, mp.inf, regularized=True))),
        (chi2.logsf(0.001, 3.0), mp.log(mp.gammainc(1.5, 0.0005, mp.inf, regularized=True))),
        (poisson.logcdf(30, 2.0), mp.log(mp.gammainc(31, 2, mp.inf, regularized=True))),
        (beta.logcdf(0.999, 2.0, 3.0), mp.log(mp.betainc(2, 3, 0, 0.999, regularized=True))),
        (beta.logsf(0.001, 2.0, 3.0), mp.log(mp.betainc(2, 3, 0.001, 1, regularized=True))),
        # P(T > -100) = 1 - I_{df/(df+x^2)}(df/2, 1/2) / 2 for the t distribution
        (t.logsf(-100.0, 3.0), mp.log(1 - mp.betainc(1.5, 0.5, 0, mp.mpf(3) / (3 + 100 ** 2),
                                                     regularized=True) / 2)),
    ]
    for got, want in cases:
        assert got == pytest.approx(float(want), rel=1e-12)


def test_t_cdf_is_differentiable_at_its_centre():
    # At x = loc the betainc forms' derivative is infinity times zero; the series there
    # gives the density in x and loc, zero in df and scale, and the second derivatives.
    import mpmath

    def density_at_centre(df):
        return mpmath.gamma((df + 1) / 2) / mpmath.gamma(df / 2) / mpmath.sqrt(df * mpmath.pi)

    x, df, loc, scale = 0.75, 3.5, 0.75, 1.5
    c = float(density_at_centre(mpmath.mpf(df))) / scale
    for f, sign in ((stats.t.cdf, 1), (stats.t.sf, -1)):
        got = cr.grad(f, argnums=(0, 1, 2, 3))(*map(np.float64, (x, df, loc, scale)))
        np.testing.assert_allclose(np.array(got, float), sign * np.array([c, 0, -c, 0]),
                                   rtol=1e-14, atol=1e-300)
    # d2/dx2 F = the density's slope, 0 at the centre; d2/dx ddf = d(density at 0)/ddf
    hess = cr.hessian(lambda v: stats.t.cdf(v[0], v[1]))(np.array([0.0, df]))
    with mpmath.workdps(30):
        slope = float(mpmath.diff(density_at_centre, mpmath.mpf(df)))
    np.testing.assert_allclose(np.asarray(hess)[0], [0.0, slope], rtol=1e-13, atol=1e-300)
    assert np.isfinite(cr.grad(lambda x: stats.t.logcdf(x, 3.5))(0.0))


def test_gamma_and_rgamma_far_out_are_scipys_limits():
    x = np.array([171.0, 172.0, 300.0, 1e5, 1e15, -1e5, -300.0, -200.5])
    with np.errstate(all="ignore"):
        got_gamma, got_rgamma = special.gamma(x), special.rgamma(x)
    # Gamma overflows to inf beyond 171.62 (no NaN from inf * 0); 1/Gamma is exactly 0
    # there and at the negative integers, however large
    np.testing.assert_array_equal(np.isinf(got_gamma[1:5]), True)
    np.testing.assert_array_equal(np.isnan(got_gamma[5:7]), True)
    np.testing.assert_array_equal(got_rgamma[1:7], 0.0)
    assert got_rgamma[-1] == -np.inf and np.isclose(got_gamma[0], 7.257415615307994e306)
