"""Op database entries: ``chainrule.scipy`` (special, stats, signal, linalg, integrate,
spatial.distance), each checked against SciPy itself."""

from __future__ import annotations

import numpy as np
import scipy.linalg as ss_linalg
import scipy.signal as ss_signal
import scipy.spatial.distance as ss_distance
import scipy.special as ss
import scipy.stats as ss_stats

from chainrule import primitives as P
from chainrule.domains import Domain
from chainrule.scipy import linalg as la
from chainrule.scipy import signal as sg
from chainrule.scipy import special as sp
from chainrule.scipy import stats as st
from chainrule.scipy.spatial import distance as dist

from .core import OpInfo, binary, fixed, reducing, unary

POSITIVE = Domain(0.3, 6.0)
UNIT = Domain(0.05, 0.95)


def _special(name, domain=None, ref=None, rtol=1e-12, **kw):
    return OpInfo(f"sp.special.{name}", getattr(sp, name), unary(domain),
                  ref or getattr(ss, name), plain="numpy", rtol=rtol, **kw)


def _special2(name, domains, ref=None, rtol=1e-12, **kw):
    return OpInfo(f"sp.special.{name}", getattr(sp, name), binary(domains),
                  ref or getattr(ss, name), plain="numpy", rtol=rtol, **kw)


def _with_order(name, orders, domain, rtol=1e-12):
    """A function of (integer order, x): the order fixed per entry, x differentiated."""
    def make(rng):
        out = []
        for n in orders:
            for shape in [(), (0,), (1,), (4,), (2, 3)]:
                out.append(((n, domain.sample(rng, shape)), {}, (1,)))
        out.append(((np.array([[orders[0]], [orders[-1]]]), domain.sample(rng, (3,))), {},
                    (1,)))
        return fixed(*out)(rng)

    return OpInfo(f"sp.special.{name}", getattr(sp, name), make, getattr(ss, name),
                  plain="numpy", rtol=rtol)


SPECIAL = [
    _special("gammaln", POSITIVE),
    _special("gammaln", Domain(-3.9, -0.1, avoid=(-3, -2, -1), gap=0.1)),
    _special("digamma", POSITIVE),
    _special("psi", Domain(-2.9, -0.1, avoid=(-2, -1), gap=0.1)),
    _special("gamma", Domain(0.3, 5.0)),
    _special("gamma", Domain(-2.9, -0.1, avoid=(-2, -1), gap=0.1)),
    _special("rgamma", Domain(-2.5, 5.0)),
    _special("gammasgn", Domain(-3.9, 3.0, avoid=(-3, -2, -1, 0), gap=0.1),
             differentiable=False),
    _with_order("polygamma", (0, 1, 3), Domain(0.3, 5.0)),
    OpInfo("sp.special.multigammaln", lambda a: sp.multigammaln(a, 3), unary(Domain(1.2, 5.0)),
           lambda a: ss.multigammaln(a, 3), plain="numpy", rtol=1e-12),
    _special2("beta", (POSITIVE, POSITIVE)),
    _special2("betaln", (POSITIVE, POSITIVE)),
    _special2("betaln", (Domain(12.0, 40.0), Domain(0.3, 3.0))),
    _special2("xlogy", (Domain(-2.0, 2.0), POSITIVE)),
    _special2("xlog1py", (Domain(-2.0, 2.0), Domain(-0.7, 3.0))),
    _special("entr", Domain(0.05, 3.0)),
    _special2("rel_entr", (Domain(0.05, 3.0), Domain(0.05, 3.0))),
    _special2("kl_div", (Domain(0.05, 3.0), Domain(0.05, 3.0))),
    # The incomplete functions run a series or continued fraction per call (differentiated
    # in a, b by Taylor jets): small samples keep the second-order checks quick.
    OpInfo("sp.special.gammainc", sp.gammainc,
           binary((Domain(0.5, 4.0), Domain(0.2, 6.0)), pairs=[((), ()), ((3,), ()), ((0,), (1,)),
                                                          ((2, 1), (2,))]),
           ss.gammainc, plain="numpy", rtol=1e-12),
    OpInfo("sp.special.gammaincc", sp.gammaincc,
           binary((Domain(0.5, 4.0), Domain(0.2, 6.0)), pairs=[((), ()), ((3,), ()),
                                                          ((2, 1), (2,))]),
           ss.gammaincc, plain="numpy", rtol=1e-12),
    OpInfo("sp.special.betainc", sp.betainc, fixed(
        lambda rng: ((rng.uniform(0.5, 4.0, 3), rng.uniform(0.5, 4.0, 3),
                      rng.uniform(0.05, 0.95, 3)), {}, (0, 1, 2)),
        lambda rng: ((rng.uniform(0.5, 4.0, ()), rng.uniform(0.5, 4.0, (2, 1)),
                      rng.uniform(0.05, 0.95, 2)), {}, (0, 1, 2)),
        lambda rng: ((rng.uniform(0.5, 4.0, (0,)), 2.0, 0.5), {}, (0,)),
    ), ss.betainc, plain="numpy", rtol=1e-12),
    _special("j0", Domain(-10.0, 40.0)),
    _special("j1", Domain(-10.0, 40.0)),
    _special("y0", Domain(0.3, 40.0)),
    _special("y1", Domain(0.3, 40.0)),
    _special("i0", Domain(-6.0, 6.0)),
    _special("i1", Domain(-6.0, 6.0)),
    _special("i0e", Domain(-40.0, 40.0)),
    _special("i1e", Domain(-40.0, 40.0)),
    _with_order("jn", (0, 2, 5), Domain(-10.0, 40.0)),
    _with_order("yn", (0, 2, 5), Domain(0.5, 40.0)),
    _with_order("iv", (0, 0.5, 2.5), Domain(0.3, 6.0)),
    _with_order("ive", (0, 1.5, 3), Domain(0.3, 40.0)),
    _special("erf", Domain(-3.0, 3.0)),
    _special("erfc", Domain(-3.0, 5.0)),
    _special("erfcx", Domain(-2.0, 8.0)),
    _special("erfinv", Domain(-0.95, 0.95)),
    _special("erfcinv", Domain(0.05, 1.95)),
    _special("ndtr", Domain(-6.0, 6.0)),
    _special("log_ndtr", Domain(-10.0, 5.0)),
    _special("ndtri", Domain(0.02, 0.98)),
    _special("expit", Domain(-6.0, 6.0)),
    _special("log_expit", Domain(-6.0, 6.0)),
    _special("logit", UNIT),
    # (SciPy 1.17 gives a 0-d input with keepdims=True the shape (1,); NumPy's reductions,
    # and chainrule, keep ().)
    OpInfo("sp.special.logsumexp", sp.logsumexp,
           reducing(shapes=((2, 3), (4,)), axes=(None, 0, -1), empty=False), ss.logsumexp,
           plain="numpy"),
    OpInfo("sp.special.logsumexp (b)", lambda a, b: sp.logsumexp(a, axis=-1, b=b),
           binary((None, Domain(0.2, 2.0)), pairs=[((2, 3), (3,)), ((4,), (4,))]),
           lambda a, b: ss.logsumexp(a, axis=-1, b=b), plain="numpy"),
    # weights of both signs whose sum stays positive (SciPy's log|s|; NaN for s < 0)
    OpInfo("sp.special.logsumexp (signed b)", lambda a, b: sp.logsumexp(a, axis=-1, b=b),
           fixed(lambda rng: ((rng.uniform(-0.5, 0.5, (2, 3)), np.array([1.0, -0.3, 2.0])),
                              {}, (0, 1)),
                 lambda rng: ((rng.uniform(-0.5, 0.5, 4), np.array([-0.2, 1.5, 0.0, 1.0])),
                              {}, (0, 1))),
           lambda a, b: ss.logsumexp(a, axis=-1, b=b), plain="numpy"),
    # Hurwitz's zeta: x fixed per entry (no derivative in it), q differentiated. Riemann's
    # zeta(x) has no derivative: its values only (no differentiated argument).
    _with_order("zeta", (1.5, 2.0, 3.5), Domain(0.3, 5.0)),
    OpInfo("sp.special.zeta (Riemann)", sp.zeta, fixed(
        lambda rng: ((rng.uniform(-30.0, 40.0, 12),), {}, ()),
        lambda rng: ((np.array([-4.0, -2.0, -1.0, 0.0, 0.5, 1.0, 2.0, np.inf]),), {}, ()),
        lambda rng: ((rng.uniform(-3.0, 3.0, (2, 3)),), {}, ())), ss.zeta, plain="numpy",
        rtol=1e-12, differentiable=False),
    _special("exp1", Domain(0.2, 8.0)),
    _special("expi", Domain(0.2, 8.0)),
    _special("expi", Domain(-8.0, -0.2)),
    _with_order("expn", (0, 1, 2, 5), Domain(0.3, 5.0)),
    _special("spence", Domain(0.1, 4.0)),
    _special("factorial", Domain(0.2, 6.0)),
    _special2("poch", (Domain(0.6, 5.0), Domain(-0.5, 3.0))),
    _special("cbrt", Domain(-3.0, 3.0, avoid=(0.0,), gap=0.3)),
    _special("exp2", Domain(-3.0, 3.0)),
    _special("exp10", Domain(-3.0, 3.0)),
    _special("expm1", Domain(-3.0, 3.0)),
    _special("log1p", Domain(-0.7, 3.0)),
    _special("exprel", Domain(-3.0, 3.0)),
    _special2("boxcox", (Domain(0.3, 3.0), Domain(-1.5, 1.5))),
    _special2("boxcox1p", (Domain(-0.7, 3.0), Domain(-1.5, 1.5))),
    _special2("inv_boxcox", (Domain(-0.5, 1.5), Domain(-0.5, 0.5))),
    _special2("inv_boxcox1p", (Domain(-0.5, 1.5), Domain(-0.5, 0.5))),
    # m across 0, where the derivatives switch from their series to the closed forms.
    _special("ellipk", Domain(-3.0, 0.95)),
    _special("ellipe", Domain(-3.0, 0.95)),
    _special("ellipkm1", Domain(0.05, 3.0)),
    # delta in [1, 1.2] and |r| kept off [0.9, 1.3]: no sample near the kink |r| = delta.
    _special2("huber", (Domain(1.0, 1.2), Domain(-3.0, 3.0, avoid=(-1.1, 1.1), gap=0.2))),
    _special2("pseudo_huber", (Domain(0.5, 2.0), Domain(-3.0, 3.0))),
    OpInfo("sp.special.softmax", sp.softmax, reducing(axes=(None, 0, -1), keepdims=(None,),
                                                      empty=False), ss.softmax, plain="numpy"),
    OpInfo("sp.special.log_softmax", sp.log_softmax,
           reducing(axes=(None, 0, -1), keepdims=(None,), empty=False), ss.log_softmax,
           plain="numpy"),
]



# ------------------------------------------------------------------------- stats
def _draw(rng, spec, shape):
    kind, lo, hi = spec
    if kind == "int":
        return rng.integers(lo, hi, shape).astype(np.float64)
    return rng.uniform(lo, hi, shape)


def _distribution(name, op, ref, specs, diff, shapes=None, **kw):
    """Samples of a distribution function: each argument drawn from its spec, over
    broadcasting shape tuples (one shape per argument)."""
    shapes = shapes or [
        tuple(() for _ in specs),
        tuple((4, 3) if i == 0 else (3,) if i == 1 else (4, 1) for i in range(len(specs))),
        tuple((5,) for _ in specs),
        tuple((0,) if i == 0 else () for i in range(len(specs))),
        tuple((1, 3) if i == 0 else (2, 1) for i in range(len(specs))),
    ]

    def make(rng):
        return fixed(*[
            (tuple(_draw(rng, spec, shape) for spec, shape in zip(specs, case)), {}, diff)
            for case in shapes
        ])(rng)

    return OpInfo(f"sp.stats.{name}", op, make, ref, plain="numpy", rtol=1e-10, **kw)


REAL_ = ("float", -3.0, 3.0)
SCALE = ("float", 0.5, 2.5)
SHAPE_ = ("float", 0.6, 4.0)

STATS = [
    *[_distribution(f"norm.{f}", getattr(st.norm, f), getattr(ss_stats.norm, f),
                    (REAL_, REAL_, SCALE), (0, 1, 2))
      for f in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")],
    *[_distribution(f"norm.{f}", getattr(st.norm, f), getattr(ss_stats.norm, f),
                    (("float", 0.05, 0.95), REAL_, SCALE), (0, 1, 2)) for f in ("ppf", "isf")],
    _distribution("norm.entropy", st.norm.entropy, ss_stats.norm.entropy, (REAL_, SCALE),
                  (0, 1)),
    *[_distribution(f"t.{f}", getattr(st.t, f), getattr(ss_stats.t, f),
                    (REAL_, ("float", 1.5, 8.0), REAL_, SCALE), (0, 1, 2, 3))
      for f in ("logpdf", "pdf")],
    *[_distribution(f"gamma.{f}", getattr(st.gamma, f), getattr(ss_stats.gamma, f),
                    (("float", 0.6, 5.0), SHAPE_, ("float", -0.5, 0.5), SCALE), (0, 1, 2, 3))
      for f in ("logpdf", "pdf")],
    *[_distribution(f"chi2.{f}", getattr(st.chi2, f), getattr(ss_stats.chi2, f),
                    (("float", 0.6, 5.0), SHAPE_, ("float", -0.5, 0.5), SCALE), (0, 1, 2, 3))
      for f in ("logpdf", "pdf")],
    *[_distribution(f"beta.{f}", getattr(st.beta, f), getattr(ss_stats.beta, f),
                    (("float", 0.1, 0.9), SHAPE_, SHAPE_), (0, 1, 2)) for f in ("logpdf", "pdf")],
    *[_distribution(f"poisson.{f}", getattr(st.poisson, f), getattr(ss_stats.poisson, f),
                    (("int", 0, 8), ("float", 0.5, 6.0)), (1,)) for f in ("logpmf", "pmf")],
]

# The distribution functions over the incomplete gamma and beta functions: fewer shapes.
SMALL = [((), (), (), ()), ((3,), (3,), (1,), (3,)), ((2, 1), (2,), (), ())]
STATS += [
    *[_distribution(f"t.{f}", getattr(st.t, f), getattr(ss_stats.t, f),
                    (REAL_, ("float", 1.5, 8.0), REAL_, SCALE), (0, 1, 2, 3), SMALL)
      for f in ("cdf", "sf", "logcdf", "logsf")],
    *[_distribution(f"{d}.{f}", getattr(getattr(st, d), f), getattr(getattr(ss_stats, d), f),
                    (("float", 0.6, 5.0), SHAPE_, ("float", -0.5, 0.5), SCALE), (0, 1, 2, 3),
                    SMALL)
      for d in ("gamma", "chi2") for f in ("cdf", "sf", "logcdf", "logsf")],
    *[_distribution(f"beta.{f}", getattr(st.beta, f), getattr(ss_stats.beta, f),
                    (("float", 0.1, 0.9), SHAPE_, SHAPE_), (0, 1, 2),
                    [s[:3] for s in SMALL]) for f in ("cdf", "sf", "logcdf", "logsf")],
    *[_distribution(f"poisson.{f}", getattr(st.poisson, f), getattr(ss_stats.poisson, f),
                    (("int", 0, 8), ("float", 0.5, 6.0)), (1,), [s[:2] for s in SMALL])
      for f in ("cdf", "sf", "logcdf", "logsf")],
]


# The distributions with closed forms: every function of each, parameters drawn inside the
# smooth region (x inside the support and away from its ends; laplace on each side of its
# kink at loc, and its ppf on each side of q = 1/2, where the second derivative jumps).
_FUNCTIONS = ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")
_Q = ("float", 0.05, 0.95)
_LOCATION_SCALE = {
    # name: (x, loc, scale)
    "expon": (("float", 0.6, 5.0), ("float", -0.5, 0.5), SCALE),
    "uniform": (("float", 0.3, 0.7), ("float", -0.2, 0.2), ("float", 1.0, 2.0)),
    "logistic": (REAL_, REAL_, SCALE),
    "cauchy": (("float", -8.0, 8.0), REAL_, SCALE),
    "gumbel_r": (REAL_, REAL_, SCALE),
    "gumbel_l": (REAL_, REAL_, SCALE),
}
_SHAPED = {
    # name: (x, shape, loc, scale)
    "lognorm": (("float", 0.6, 5.0), ("float", 0.3, 2.0), ("float", -0.5, 0.5), SCALE),
    "pareto": (("float", 3.0, 8.0), SHAPE_, ("float", -0.5, 0.5), ("float", 0.5, 2.0)),
}
STATS += [
    *[_distribution(f"{d}.{f}", getattr(getattr(st, d), f), getattr(getattr(ss_stats, d), f),
                    specs, (0, 1, 2))
      for d, specs in _LOCATION_SCALE.items() for f in _FUNCTIONS],
    *[_distribution(f"{d}.{f}", getattr(getattr(st, d), f), getattr(getattr(ss_stats, d), f),
                    (_Q, *specs[1:]), (0, 1, 2))
      for d, specs in _LOCATION_SCALE.items() for f in ("ppf", "isf")],
    *[_distribution(f"{d}.entropy", getattr(st, d).entropy, getattr(ss_stats, d).entropy,
                    specs[1:], (0, 1))
      for d, specs in _LOCATION_SCALE.items()],
    *[_distribution(f"laplace.{f} ({side})", getattr(st.laplace, f),
                    getattr(ss_stats.laplace, f), (x, loc, SCALE), (0, 1, 2))
      for side, x, loc in (("x > loc", ("float", 0.2, 3.0), ("float", -3.0, 0.0)),
                           ("x < loc", ("float", -3.0, -0.2), ("float", 0.0, 3.0)))
      for f in _FUNCTIONS],
    *[_distribution(f"laplace.{f} ({side})", getattr(st.laplace, f),
                    getattr(ss_stats.laplace, f), (q, REAL_, SCALE), (0, 1, 2))
      for side, q in (("q < 1/2", ("float", 0.05, 0.45)), ("q > 1/2", ("float", 0.55, 0.95)))
      for f in ("ppf", "isf")],
    _distribution("laplace.entropy", st.laplace.entropy, ss_stats.laplace.entropy,
                  (REAL_, SCALE), (0, 1)),
    *[_distribution(f"{d}.{f}", getattr(getattr(st, d), f), getattr(getattr(ss_stats, d), f),
                    specs, (0, 1, 2, 3))
      for d, specs in _SHAPED.items() for f in _FUNCTIONS],
    *[_distribution(f"{d}.{f}", getattr(getattr(st, d), f), getattr(getattr(ss_stats, d), f),
                    (_Q, *specs[1:]), (0, 1, 2, 3))
      for d, specs in _SHAPED.items() for f in ("ppf", "isf")],
    *[_distribution(f"{d}.entropy", getattr(st, d).entropy, getattr(ss_stats, d).entropy,
                    specs[1:], (0, 1, 2))
      for d, specs in _SHAPED.items()],
]

# The discrete ones: k (and binom's n) are counts, not differentiated.
_P = ("float", 0.05, 0.95)
_DISCRETE = [
    # (name, argument specs, differentiated, functions)
    ("bernoulli", (("int", 0, 2), _P), (1,), ("logpmf", "pmf", "cdf", "logcdf", "sf")),
    ("bernoulli", (("int", 0, 1), _P), (1,), ("logsf",)),  # -inf at k = 1: k = 0 only
    ("geom", (("int", 1, 8), _P), (1,), ("logpmf", "pmf", "cdf", "logcdf", "sf", "logsf")),
    ("binom", (("int", 0, 6), ("int", 6, 12), _P), (2,), ("logpmf", "pmf")),
    ("nbinom", (("int", 0, 8), ("float", 0.6, 5.0), _P), (1, 2), ("logpmf", "pmf")),
]
STATS += [
    *[_distribution(f"{d}.{f}", getattr(getattr(st, d), f), getattr(getattr(ss_stats, d), f),
                    specs, diff)
      for d, specs, diff, functions in _DISCRETE for f in functions],
    # (SciPy's discrete entropy cannot take an empty p: np.vectorize without otypes.)
    *[_distribution(f"{d}.entropy", getattr(st, d).entropy, getattr(ss_stats, d).entropy,
                    (_P,), (0,), [((),), ((4,),), ((2, 3),)]) for d in ("bernoulli", "geom")],
    # Through the incomplete beta function: fewer shapes.
    *[_distribution(f"{d}.{f}", getattr(getattr(st, d), f), getattr(getattr(ss_stats, d), f),
                    specs, diff, [s[:3] for s in SMALL])
      for d, specs, diff, _ in _DISCRETE if d in ("binom", "nbinom")
      for f in ("cdf", "sf", "logcdf", "logsf")],
]


def _mvn_samples(rng):
    def cov(d):
        m = rng.standard_normal((d, d))
        return m @ m.T + d * np.eye(d)

    return fixed(
        ((rng.standard_normal((4, 3)), rng.standard_normal(3), cov(3)), {}, (0, 1, 2)),
        ((rng.standard_normal(3), rng.standard_normal(3), cov(3)), {}, (0, 1, 2)),
        ((rng.standard_normal((2, 2, 2)), rng.standard_normal(2), rng.uniform(0.5, 2, 2)), {},
         (0, 1, 2)),
        ((rng.standard_normal(5), rng.standard_normal(1), rng.uniform(0.5, 2, (1, 1))), {},
         (0, 1, 2)),
        ((rng.standard_normal((0, 2)), np.zeros(2), cov(2)), {}, (0, 1, 2)),
    )(rng)


def _symmetrized(f):
    # The covariance's gradient is the symmetric one: check through (C + C^T)/2.
    def g(x, mean, cov):
        if np.ndim(cov) == 2 or (hasattr(cov, "ndim") and cov.ndim == 2):
            cov = (cov + cov.T) * 0.5
        return f(x, mean, cov)

    return g


def _dirichlet_samples(rng):
    # x as its first K - 1 components (the last is 1 - their sum), well inside the simplex,
    # so that finite differences and perturbed batches (tests/test_vmap.py) stay on it.
    alpha = rng.uniform(0.5, 3.0, 3)
    inner = np.full(3, 20.0)
    return fixed(
        ((rng.dirichlet(inner, 4).T[:2], alpha), {}, (0, 1)),
        ((rng.dirichlet(inner)[:2], alpha), {}, (0, 1)),
    )(rng)


STATS += [
    OpInfo("sp.stats.multivariate_normal.logpdf",
           _symmetrized(st.multivariate_normal.logpdf), _mvn_samples,
           ss_stats.multivariate_normal.logpdf, plain="numpy", rtol=1e-10),
    OpInfo("sp.stats.multivariate_normal.pdf", _symmetrized(st.multivariate_normal.pdf),
           _mvn_samples, ss_stats.multivariate_normal.pdf, plain="numpy", rtol=1e-10),
    OpInfo("sp.stats.multivariate_normal.entropy",
           lambda mean, cov: st.multivariate_normal.entropy(mean, (cov + cov.T) * 0.5),
           lambda rng: [s for s in fixed(
               lambda r: ((r.standard_normal(3), (lambda m: m @ m.T + 3 * np.eye(3))(
                   r.standard_normal((3, 3)))), {}, (0, 1)))(rng)],
           ss_stats.multivariate_normal.entropy, plain="numpy", rtol=1e-10),
    OpInfo("sp.stats.dirichlet.logpdf", st.dirichlet.logpdf, _dirichlet_samples,
           ss_stats.dirichlet.logpdf, plain="numpy", rtol=1e-10, list_inputs=False),
    OpInfo("sp.stats.dirichlet.pdf", st.dirichlet.pdf, _dirichlet_samples,
           ss_stats.dirichlet.pdf, plain="numpy", rtol=1e-10, list_inputs=False),
]



# ------------------------------------------------------------------------ signal
def _pair(sa, sb, **kw):
    return lambda rng: ((rng.standard_normal(sa), rng.standard_normal(sb)), kw, (0, 1))


_SIGNAL_SHAPES = [((5,), (3,)), ((3,), (5,)), ((3, 4), (2, 2)), ((2, 3), (3, 4)), ((), ()),
                  ((1,), (1,)), ((4,), (1,))]


def _signal(name, fn, ref, mode):
    return OpInfo(f"sp.signal.{name}", lambda a, b: fn(a, b, mode), fixed(
        *[_pair(sa, sb) for sa, sb in _SIGNAL_SHAPES
          if mode != "valid" or all(x >= y for x, y in zip(sa, sb))
          or all(x <= y for x, y in zip(sa, sb))]), lambda a, b: ref(a, b, mode),
        plain="numpy", rtol=1e-10, list_inputs=False)


def _reference_autograd_convolve(x, w):
    # The convnet layer of HIPS autograd's examples, as a sum of SciPy 2-d convolutions.
    out = np.zeros((x.shape[0], w.shape[1], x.shape[2] - w.shape[2] + 1,
                    x.shape[3] - w.shape[3] + 1))
    for n in range(x.shape[0]):
        for k in range(w.shape[1]):
            out[n, k] = sum(ss_signal.convolve(x[n, c], w[c, k], "valid")
                            for c in range(x.shape[1]))
    return out


def _signal_keywords(name, label, samples, mode, **kw):
    ours, theirs = getattr(sg, name), getattr(ss_signal, name)
    return OpInfo(f"sp.signal.{name} ({label})", lambda a, b: ours(a, b, mode, **kw),
                  fixed(*samples), lambda a, b: theirs(a, b, mode, **kw),
                  plain="numpy", rtol=1e-10, list_inputs=False)


SIGNAL = [
    *[_signal("convolve", sg.convolve, ss_signal.convolve, m) for m in ("full", "valid", "same")],
    *[_signal("correlate", sg.correlate, ss_signal.correlate, m)
      for m in ("full", "valid", "same")],
    OpInfo("sp.signal.convolve (axes, dot_axes)",
           lambda x, w: sg.convolve(x, w, mode="valid", axes=([2, 3], [2, 3]),
                                    dot_axes=([1], [0])),
           fixed(_pair((2, 2, 4, 3), (2, 3, 2, 2))), _reference_autograd_convolve,
           plain="numpy", rtol=1e-10, list_inputs=False),
    # 2-D with SciPy's boundaries: kernels odd and even (the centres of 'same' differ
    # between convolve2d and correlate2d), and larger than the input.
    *[_signal_keywords(name, f"{mode}, {boundary}, fill {fill}",
                       (_pair((4, 5), (2, 3)), _pair((3, 4), (3, 3)), _pair((2, 3), (4, 5))),
                       mode, boundary=boundary, fillvalue=fill)
      for name in ("convolve2d", "correlate2d")
      for mode, boundary, fill in (("full", "fill", 0.0), ("same", "fill", 0.0),
                                   ("same", "fill", 1.5), ("full", "wrap", 0.0),
                                   ("same", "symm", 0.0), ("valid", "fill", 0.0))],
    # The axes not convolved broadcast; length-1 axes too (SciPy's), even when listed.
    *[_signal_keywords(name, f"{mode}, axes={axes}",
                       (_pair((3, 1, 6), (1, 2, 3)), _pair((2, 4, 3), (2, 1, 2))), mode,
                       axes=axes)
      for name in ("fftconvolve", "oaconvolve")
      for mode, axes in (("full", None), ("same", -1), ("valid", [2]), ("same", (0, 2)))],
]



# ------------------------------------------------------------------------ linalg
def _spd(rng, n):
    m = rng.standard_normal((n, n))
    return m @ m.T + n * np.eye(n)


def _well(rng, n):
    return rng.standard_normal((n, n)) * 0.5 + 2 * np.eye(n)


def _sym(a):
    return (a + np.swapaxes(a, -1, -2)) * 0.5


def _sym_first(f):
    # Functions that read one triangle of a symmetric matrix: checked through (A + A^T)/2.
    return lambda a, *rest, **kw: f(_sym(a), *rest, **kw)


def cr_abs(x):
    # R's rows are determined up to sign (LAPACK chooses it): compared in absolute value.
    return P.abs(x)


def _band(rng):
    ab = rng.standard_normal((4, 5))
    ab[2] += 4.0  # the diagonal (u = 1 ... row u + i - j = 1 holds it; keep it dominant)
    ab[1] += 4.0
    ab[0, :1] = 0
    ab[-1, -2:] = 0
    return ab


LINALG = [
    OpInfo("sp.linalg.solve_triangular", la.solve_triangular, fixed(
        lambda rng: ((np.tril(_well(rng, 3)), rng.standard_normal((3, 2))), {"lower": True},
                     (0, 1)),
        lambda rng: ((_well(rng, 3), rng.standard_normal(3)), {}, (0, 1)),
        lambda rng: ((_well(rng, 3), rng.standard_normal(3)),
                     {"trans": "T", "unit_diagonal": True}, (0, 1)),
        lambda rng: ((_well(rng, 1), rng.standard_normal((1, 0))), {"trans": 1}, (0, 1)),
    ), ss_linalg.solve_triangular, plain="numpy", rtol=1e-10, list_inputs=False),
    OpInfo("sp.linalg.cholesky", _sym_first(la.cholesky), fixed(
        lambda rng: ((_spd(rng, 3),), {}), lambda rng: ((_spd(rng, 3),), {"lower": True}),
        lambda rng: ((_spd(rng, 1),), {})), _sym_first(ss_linalg.cholesky), plain="numpy",
        rtol=1e-10, list_inputs=False),
    OpInfo("sp.linalg.cho_factor", lambda a, **kw: la.cho_factor(_sym(a), **kw)[0], fixed(
        lambda rng: ((_spd(rng, 3),), {}), lambda rng: ((_spd(rng, 3),), {"lower": True})),
        lambda a, **kw: (np.triu if not kw.get("lower") else np.tril)(
            ss_linalg.cho_factor(_sym(a), **kw)[0]), plain="numpy", rtol=1e-10,
        list_inputs=False),
    OpInfo("sp.linalg.cho_solve",
           lambda a, b, lower=False: la.cho_solve(la.cho_factor(_sym(a), lower), b), fixed(
               lambda rng: ((_spd(rng, 3), rng.standard_normal((3, 2))), {}, (0, 1)),
               lambda rng: ((_spd(rng, 3), rng.standard_normal(3)), {"lower": True}, (0, 1))),
           lambda a, b, lower=False: ss_linalg.cho_solve(ss_linalg.cho_factor(_sym(a), lower), b),
           plain="numpy", rtol=1e-10, list_inputs=False),
    OpInfo("sp.linalg.solve", la.solve, fixed(
        lambda rng: ((_well(rng, 3), rng.standard_normal((3, 2))), {}, (0, 1)),
        lambda rng: ((_well(rng, 3), rng.standard_normal(3)), {"transposed": True}, (0, 1))),
        ss_linalg.solve, plain="numpy", rtol=1e-10, list_inputs=False),
    OpInfo("sp.linalg.inv", la.inv, fixed(lambda rng: ((_well(rng, 3),), {})), ss_linalg.inv,
           plain="numpy", rtol=1e-10, list_inputs=False),
    OpInfo("sp.linalg.det", la.det, fixed(lambda rng: ((_well(rng, 3),), {})), ss_linalg.det,
           plain="numpy", rtol=1e-10, list_inputs=False),
    OpInfo("sp.linalg.sqrtm", la.sqrtm, fixed(
        lambda rng: ((_spd(rng, 3),), {}), lambda rng: ((_well(rng, 3) + 2 * np.eye(3),), {}),
        lambda rng: ((np.array([[2.0, 1.0], [0.0, 2.0]]),), {})), ss_linalg.sqrtm,
        plain="numpy", rtol=1e-9, list_inputs=False),
    OpInfo("sp.linalg.solve_sylvester", la.solve_sylvester, fixed(
        lambda rng: ((_well(rng, 3), _well(rng, 2), rng.standard_normal((3, 2))), {}, (0, 1, 2)),
        lambda rng: ((_well(rng, 1), _well(rng, 1), rng.standard_normal((1, 1))), {},
                     (0, 1, 2))), ss_linalg.solve_sylvester, plain="numpy", rtol=1e-10,
        list_inputs=False),
    OpInfo("sp.linalg.solve_continuous_lyapunov", la.solve_continuous_lyapunov, fixed(
        lambda rng: ((_well(rng, 3), rng.standard_normal((3, 3))), {}, (0, 1))),
        ss_linalg.solve_continuous_lyapunov, plain="numpy", rtol=1e-10, list_inputs=False),
    OpInfo("sp.linalg.solve_banded", lambda ab, b: la.solve_banded((2, 1), ab, b), fixed(
        lambda rng: ((_band(rng), rng.standard_normal(5)), {}, (0, 1)),
        lambda rng: ((_band(rng), rng.standard_normal((5, 2))), {}, (0, 1))),
        lambda ab, b: ss_linalg.solve_banded((2, 1), ab, b), plain="numpy", rtol=1e-10,
        list_inputs=False),
    OpInfo("sp.linalg.expm", la.expm, fixed(lambda rng: ((rng.standard_normal((3, 3)) * 0.5,),
                                                         {})), ss_linalg.expm, plain="numpy",
           rtol=1e-10, list_inputs=False),
    OpInfo("sp.linalg.eigh", lambda a, **kw: la.eigh(_sym(a), **kw)[0], fixed(
        lambda rng: ((_spd(rng, 3),), {}), lambda rng: ((_spd(rng, 3),), {"lower": False})),
        lambda a, **kw: ss_linalg.eigh(_sym(a), **kw)[0], plain="numpy", rtol=1e-10,
        list_inputs=False),
    OpInfo("sp.linalg.eigh (reconstruction)",
           lambda a: (lambda w, v: (v * w) @ v.T)(*la.eigh(_sym(a))),
           fixed(lambda rng: ((_spd(rng, 3),), {})), _sym, plain="numpy", rtol=1e-10,
           list_inputs=False),
    OpInfo("sp.linalg.eigvalsh", lambda a: la.eigvalsh(_sym(a)),
           fixed(lambda rng: ((_spd(rng, 3),), {})), lambda a: ss_linalg.eigvalsh(_sym(a)),
           plain="numpy", rtol=1e-10, list_inputs=False),
    OpInfo("sp.linalg.svd", lambda a: la.svd(a)[1], fixed(
        lambda rng: ((rng.standard_normal((3, 2)),), {})), lambda a: ss_linalg.svd(a)[1],
        plain="numpy", rtol=1e-10, list_inputs=False),
    OpInfo("sp.linalg.svd (reconstruction)",
           lambda a: (lambda u, s, vh: (u * s) @ vh)(*la.svd(a, full_matrices=False)),
           fixed(lambda rng: ((rng.standard_normal((3, 2)),), {})), lambda a: a,
           plain="numpy", rtol=1e-10, list_inputs=False),
    OpInfo("sp.linalg.svdvals", la.svdvals, fixed(lambda rng: ((rng.standard_normal((2, 3)),),
                                                              {})), ss_linalg.svdvals,
           plain="numpy", rtol=1e-10, list_inputs=False),
    OpInfo("sp.linalg.qr", lambda a, **kw: (lambda q, r: q @ r)(*la.qr(a, **kw)), fixed(
        lambda rng: ((rng.standard_normal((3, 2)),), {"mode": "economic"}),
        lambda rng: ((rng.standard_normal((2, 2)),), {})), lambda a, **kw: a, plain="numpy",
        rtol=1e-10, list_inputs=False),
    OpInfo("sp.linalg.qr (r)", lambda a: cr_abs(la.qr(a, mode="r")[0]),
           fixed(lambda rng: ((rng.standard_normal((3, 2)),), {})),
           lambda a: np.abs(ss_linalg.qr(a, mode="r")[0]), plain="numpy", rtol=1e-10,
           list_inputs=False),
    OpInfo("sp.linalg.lu", la.lu, fixed(
        lambda rng: ((rng.standard_normal((4, 4)),), {}),
        lambda rng: ((rng.standard_normal((5, 3)),), {"permute_l": True}),
        lambda rng: ((rng.standard_normal((3, 5)),), {})), ss_linalg.lu, rtol=1e-10),
    OpInfo("sp.linalg.lu_factor", lambda a: la.lu_factor(a)[0], fixed(
        lambda rng: ((rng.standard_normal((4, 4)),), {})), lambda a: ss_linalg.lu_factor(a)[0],
        rtol=1e-10, traces=False),
    OpInfo("sp.linalg.lu_solve", lambda a, b, trans=0: la.lu_solve(la.lu_factor(a), b,
                                                                   trans=trans),
           fixed(lambda rng: ((rng.standard_normal((4, 4)), rng.standard_normal((4, 2))), {},
                              (0, 1)),
                 lambda rng: ((rng.standard_normal((3, 3)), rng.standard_normal(3)),
                              {"trans": 1}, (0, 1))),
           lambda a, b, trans=0: ss_linalg.lu_solve(ss_linalg.lu_factor(a), b, trans=trans),
           rtol=1e-10, traces=False, list_inputs=False),
    OpInfo("sp.linalg.block_diag", lambda a, b: la.block_diag(a, b, 2.0), fixed(
        lambda rng: ((rng.standard_normal((2, 2)), rng.standard_normal(3)), {}, (0, 1)),
        lambda rng: ((rng.standard_normal((1, 3)), rng.standard_normal((2, 1))), {}, (0, 1))),
        lambda a, b: ss_linalg.block_diag(a, b, 2.0), plain="numpy", list_inputs=False),
]



# ------------------------------------------------------------------------ spatial
_METRICS = [("euclidean", {}), ("sqeuclidean", {}), ("cityblock", {}), ("chebyshev", {}),
            ("minkowski", {"p": 3}), ("cosine", {}), ("correlation", {}),
            ("seuclidean", {}), ("mahalanobis", {}), ("braycurtis", {}), ("canberra", {})]


def _points(*shapes):
    return fixed(*[lambda rng, s=s: (tuple(rng.standard_normal(x) + 3 * (k == 1)
                                           for k, x in enumerate(s)), {},
                                     tuple(range(len(s)))) for s in shapes])


SPATIAL = [
    *[OpInfo(f"sp.spatial.distance.cdist ({m})",
             lambda a, b, m=m, kw=kw: dist.cdist(a, b, m, **kw),
             _points(((4, 3), (5, 3)), ((1, 2), (3, 2)), ((0, 3), (2, 3))),
             lambda a, b, m=m, kw=kw: ss_distance.cdist(a, b, m, **kw), plain="numpy",
             rtol=1e-10, list_inputs=False)
      for m, kw in _METRICS if m not in ("seuclidean", "mahalanobis")],
    *[OpInfo(f"sp.spatial.distance.cdist ({m})", lambda a, b, m=m: dist.cdist(a, b, m),
             _points(((4, 3), (5, 3))), lambda a, b, m=m: ss_distance.cdist(a, b, m),
             plain="numpy", rtol=1e-10, list_inputs=False)
      for m in ("seuclidean", "mahalanobis")],
    *[OpInfo(f"sp.spatial.distance.pdist ({m})", lambda x, m=m, kw=kw: dist.pdist(x, m, **kw),
             _points(((5, 3),), ((2, 2),)) if m != "mahalanobis" else _points(((5, 3),)),
             lambda x, m=m, kw=kw: ss_distance.pdist(x, m, **kw), plain="numpy", rtol=1e-10,
             list_inputs=False) for m, kw in _METRICS],
    OpInfo("sp.spatial.distance.squareform", dist.squareform, fixed(
        lambda rng: ((rng.standard_normal(6),), {}), lambda rng: ((rng.standard_normal(1),), {}),
        lambda rng: (((lambda v: ss_distance.squareform(v))(rng.uniform(1, 2, 3)),),
                     {"checks": False})), ss_distance.squareform, plain="numpy",
        list_inputs=False),
]



# scipy.integrate.odeint is checked in tests/test_scipy_integrate.py instead: its adjoint
# runs chainrule's reverse mode on func inside the VJP rule, which cr.compile's capture
# (tests/test_compile.py, over every entry here) cannot replay yet.
OPS = SPECIAL + STATS + SIGNAL + LINALG + SPATIAL
