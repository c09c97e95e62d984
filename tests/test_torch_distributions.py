"""chainrule.torch.distributions: densities, moments and KL against SciPy; draws and their
reparameterized gradients; argument checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.integrate as si
import scipy.stats as ss
from scipy.special import i0e, i1e

import chainrule.torch as torch

D = torch.distributions


def t(a, grad=False):
    return torch.tensor(np.asarray(a, np.float64), requires_grad=grad)


X = np.array([0.15, 0.4, 0.85])
CASES = [
    ("Normal", lambda: D.Normal(t([0.0, 1.0, -1.0]), t([1.0, 2.0, 0.5])),
     ss.norm([0.0, 1.0, -1.0], [1.0, 2.0, 0.5]), np.array([0.3, -1.0, 2.0])),
    ("LogNormal", lambda: D.LogNormal(t([0.0, 0.5, -0.5]), t([1.0, 0.5, 0.3])),
     ss.lognorm([1.0, 0.5, 0.3], scale=np.exp([0.0, 0.5, -0.5])), np.array([0.3, 1.0, 2.0])),
    ("HalfNormal", lambda: D.HalfNormal(t([1.0, 2.0, 0.5])), ss.halfnorm(scale=[1.0, 2.0, 0.5]),
     np.array([0.3, 1.0, 2.0])),
    ("Uniform", lambda: D.Uniform(t([0.0, -1.0, 0.1]), t([1.0, 2.0, 0.9])),
     ss.uniform([0.0, -1.0, 0.1], [1.0, 3.0, 0.8]), X),
    ("Exponential", lambda: D.Exponential(t([0.5, 1.0, 3.0])), ss.expon(scale=[2.0, 1.0, 1 / 3]),
     np.array([0.3, 1.0, 2.0])),
    ("Laplace", lambda: D.Laplace(t([0.0, 1.0, -1.0]), t([1.0, 2.0, 0.5])),
     ss.laplace([0.0, 1.0, -1.0], [1.0, 2.0, 0.5]), np.array([0.3, -1.0, 2.0])),
    ("Cauchy", lambda: D.Cauchy(t([0.0, 1.0, -1.0]), t([1.0, 2.0, 0.5])),
     ss.cauchy([0.0, 1.0, -1.0], [1.0, 2.0, 0.5]), np.array([0.3, -1.0, 2.0])),
    ("StudentT", lambda: D.StudentT(t([3.0, 5.0, 2.5]), t([0.0, 1.0, -1.0]), t([1.0, 2.0, 0.5])),
     ss.t([3.0, 5.0, 2.5], [0.0, 1.0, -1.0], [1.0, 2.0, 0.5]), np.array([0.3, -1.0, 2.0])),
    ("Gamma", lambda: D.Gamma(t([0.5, 2.0, 3.0]), t([1.0, 2.0, 0.5])),
     ss.gamma([0.5, 2.0, 3.0], scale=[1.0, 0.5, 2.0]), np.array([0.3, 1.0, 2.0])),
    ("Chi2", lambda: D.Chi2(t([1.0, 2.5, 4.0])), ss.chi2([1.0, 2.5, 4.0]),
     np.array([0.3, 1.0, 2.0])),
    ("Beta", lambda: D.Beta(t([0.5, 2.0, 3.0]), t([1.5, 2.0, 0.7])),
     ss.beta([0.5, 2.0, 3.0], [1.5, 2.0, 0.7]), X),
    ("Poisson", lambda: D.Poisson(t([0.5, 2.0, 7.0])), ss.poisson([0.5, 2.0, 7.0]),
     np.array([0.0, 3.0, 5.0])),
    ("Binomial", lambda: D.Binomial(5, probs=t(X)), ss.binom(5, X), np.array([0.0, 3.0, 5.0])),
    ("Geometric", lambda: D.Geometric(probs=t(X)), ss.geom(X, loc=-1),
     np.array([0.0, 3.0, 5.0])),
    ("Bernoulli", lambda: D.Bernoulli(probs=t(X)), ss.bernoulli(X), np.array([0.0, 1.0, 1.0])),
]


@pytest.mark.parametrize("name, make, ref, value", CASES, ids=[c[0] for c in CASES])
def test_densities_and_moments_are_scipys(name, make, ref, value):
    d = make()
    logp = ref.logpmf(value) if hasattr(ref, "logpmf") else ref.logpdf(value)
    np.testing.assert_allclose(d.log_prob(t(value)).numpy(), logp, rtol=1e-10)
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(d.mean.detach().numpy(), ref.mean(), rtol=1e-10)
        var = np.full(3, np.inf) if name == "Cauchy" else ref.var()  # (PyTorch's: inf)
        np.testing.assert_allclose(d.variance.detach().numpy(), var, rtol=1e-10)
    if name not in ("Poisson", "Geometric"):  # (PyTorch has no closed form either)
        np.testing.assert_allclose(d.entropy().detach().numpy(), ref.entropy(), rtol=1e-8)
    if name in ("Normal", "Uniform", "Exponential", "Laplace", "Cauchy", "LogNormal",
                "HalfNormal"):
        np.testing.assert_allclose(d.cdf(t(value)).numpy(), ref.cdf(value), rtol=1e-10)
        np.testing.assert_allclose(d.icdf(t(X)).numpy(), ref.ppf(X), rtol=1e-10)


def test_categorical_and_mixtures():
    p = np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])
    c = D.Categorical(probs=t(p * 3))  # (normalized)
    np.testing.assert_allclose(c.log_prob(t([2, 0])).numpy(), np.log([0.7, 0.5]))
    np.testing.assert_allclose(c.entropy().numpy(), -(p * np.log(p)).sum(-1))
    assert c.log_prob(torch.tensor([[0], [1]])).shape == (2, 2)  # (broadcast with the batch)
    one = D.OneHotCategorical(logits=t(np.log(p)))
    np.testing.assert_allclose(one.log_prob(t(np.eye(3)[[2, 0]])).numpy(), np.log([0.7, 0.5]))
    mix = D.MixtureSameFamily(D.Categorical(probs=t(p[0])),
                              D.Normal(t([-1.0, 0.0, 2.0]), t([0.5, 1.0, 2.0])))
    x = np.array([-0.3, 1.7])
    expected = np.log((p[0] * ss.norm([-1.0, 0.0, 2.0], [0.5, 1.0, 2.0]).pdf(x[:, None])).sum(-1))
    np.testing.assert_allclose(mix.log_prob(t(x)).numpy(), expected, rtol=1e-12)
    assert tuple(mix.sample((5,)).shape) == (5,)


def test_multivariate_normal_and_dirichlet():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 3))
    cov = a @ a.T + np.eye(3)
    loc = rng.standard_normal(3)
    x = rng.standard_normal((4, 3))
    for d in (D.MultivariateNormal(t(loc), covariance_matrix=t(cov)),
              D.MultivariateNormal(t(loc), scale_tril=t(np.linalg.cholesky(cov))),
              D.MultivariateNormal(t(loc), precision_matrix=t(np.linalg.inv(cov)))):
        ref = ss.multivariate_normal(loc, cov)
        np.testing.assert_allclose(d.log_prob(t(x)).numpy(), ref.logpdf(x), rtol=1e-10)
        np.testing.assert_allclose(d.entropy().numpy(), ref.entropy(), rtol=1e-10)
        np.testing.assert_allclose(d.covariance_matrix.numpy(), cov, rtol=1e-10)
    c = np.array([0.5, 2.0, 3.0])
    dirichlet = D.Dirichlet(t(c))
    v = rng.dirichlet(c, 3)
    np.testing.assert_allclose(dirichlet.log_prob(t(v)).numpy(),
                               [ss.dirichlet(c).logpdf(r) for r in v], rtol=1e-10)
    np.testing.assert_allclose(dirichlet.entropy().numpy(), ss.dirichlet(c).entropy(), rtol=1e-10)


def _kl_numeric(p, q, lo, hi):
    def f(x):
        v = t(x)
        return float(torch.exp(p.log_prob(v)) * (p.log_prob(v) - q.log_prob(v)))
    return si.quad(f, lo, hi)[0]


def test_kl_divergences_equal_their_integrals():
    pairs = [
        (D.Normal(t(0.3), t(1.2)), D.Normal(t(-0.5), t(0.7)), -12, 12),
        (D.Gamma(t(2.0), t(1.5)), D.Gamma(t(3.0), t(0.8)), 1e-9, 40),
        (D.Beta(t(2.0), t(3.0)), D.Beta(t(1.5), t(0.8)), 0, 1),
        (D.Laplace(t(0.2), t(1.0)), D.Laplace(t(-0.4), t(2.0)), -30, 30),
        (D.Exponential(t(1.5)), D.Exponential(t(0.4)), 0, 60),
        (D.LogNormal(t(0.1), t(0.5)), D.LogNormal(t(-0.2), t(0.9)), 1e-9, 60),
    ]
    for p, q, lo, hi in pairs:
        np.testing.assert_allclose(D.kl_divergence(p, q).numpy(), _kl_numeric(p, q, lo, hi),
                                   rtol=1e-6, err_msg=type(p).__name__)
    p, q = np.array([0.2, 0.3, 0.5]), np.array([0.6, 0.3, 0.1])
    np.testing.assert_allclose(
        D.kl_divergence(D.Categorical(t(p)), D.Categorical(t(q))).numpy(),
        (p * np.log(p / q)).sum())
    inf = D.kl_divergence(D.Uniform(t(0.0), t(2.0)), D.Uniform(t(0.5), t(3.0)))
    assert inf.item() == np.inf
    with pytest.raises(NotImplementedError, match="no closed form for Laplace and Cauchy"):
        D.kl_divergence(D.Laplace(t(0.0), t(1.0)), D.Cauchy(t(1.0), t(1.0)))


def test_draws_have_the_right_shapes_and_moments():
    torch.manual_seed(0)
    n = D.Normal(t([0.0, 3.0]), t([1.0, 0.5]))
    assert tuple(n.sample((4, 5)).shape) == (4, 5, 2) and not n.sample().requires_grad
    for d, mean in [(n, [0.0, 3.0]), (D.Gamma(t([0.5, 4.0]), t([2.0, 1.0])), [0.25, 4.0]),
                    (D.Beta(t([2.0, 0.5]), t([3.0, 0.5])), [0.4, 0.5]),
                    (D.Poisson(t([0.5, 6.0])), [0.5, 6.0]),
                    (D.Categorical(t([[0.2, 0.8], [0.9, 0.1]])), [0.8, 0.1]),
                    (D.Bernoulli(t([0.3, 0.9])), [0.3, 0.9])]:
        draws = d.sample((40000,)).numpy()
        np.testing.assert_allclose(draws.mean(0), mean, atol=0.03, err_msg=type(d).__name__)
    assert tuple(D.Dirichlet(t(np.ones((2, 3)))).sample((7,)).shape) == (7, 2, 3)
    assert tuple(D.MultivariateNormal(t(np.zeros(3)), t(np.eye(3))).rsample((7,)).shape) == (7, 3)


def test_reparameterized_gradients():
    torch.manual_seed(1)
    loc, scale = t(0.5, grad=True), t(2.0, grad=True)
    x = D.Normal(loc, scale).rsample((1000,))
    x.sum().backward()
    assert loc.grad.item() == 1000.0
    np.testing.assert_allclose(scale.grad.item(), ((x.detach() - 0.5) / 2.0).sum().item())
    # implicit reparameterization: d E[x] / d alpha = 1 / rate for Gamma(alpha, rate)
    alpha, rate = t(2.5, grad=True), t(2.0, grad=True)
    D.Gamma(alpha, rate).rsample((40000,)).mean().backward()
    np.testing.assert_allclose(alpha.grad.item(), 1 / 2.0, rtol=0.03)
    np.testing.assert_allclose(rate.grad.item(), -2.5 / 4.0, rtol=0.03)
    a, b = t(2.0, grad=True), t(3.0, grad=True)
    D.Beta(a, b).rsample((40000,)).mean().backward()  # mean a / (a + b)
    np.testing.assert_allclose([a.grad.item(), b.grad.item()], [3 / 25, -2 / 25], rtol=0.05)


def test_arguments_and_values_are_checked():
    with pytest.raises(ValueError, match="Expected parameter scale .* GreaterThan"):
        D.Normal(t([0.0]), t([-1.0]))
    with pytest.raises(ValueError, match="either probs or logits"):
        D.Bernoulli(probs=t(0.5), logits=t(0.0))
    with pytest.raises(ValueError, match="within the support"):
        D.Exponential(t(1.0)).log_prob(t(-1.0))
    assert D.Exponential(t(1.0), validate_args=False).log_prob(t(-1.0)).item() == 1.0
    with pytest.raises(ValueError, match="exactly one of"):
        D.MultivariateNormal(t(np.zeros(2)))
    assert torch.finfo(torch.float32).eps == float(np.finfo(np.float32).eps)
    assert torch.iinfo(torch.int8).max == 127


def test_transformed_distributions_follow_the_change_of_variables():
    base = D.Normal(t([0.2, -0.5]), t([0.8, 1.3]))
    y = np.array([0.3, -0.7])
    x = np.arctanh(y)
    expected = ss.norm([0.2, -0.5], [0.8, 1.3]).logpdf(x) - np.log1p(-y ** 2)
    tanh_normal = D.TransformedDistribution(base, [D.TanhTransform()])
    np.testing.assert_allclose(tanh_normal.log_prob(t(y)).numpy(), expected, rtol=1e-12)
    # exp(2 + 3 x) of a standard normal is log-normal(2, 3)
    lognormal = D.TransformedDistribution(D.Normal(t(0.0), t(1.0)),
                                          [D.AffineTransform(2.0, 3.0), D.ExpTransform()])
    v = np.array([0.5, 4.0, 30.0])
    np.testing.assert_allclose(lognormal.log_prob(t(v)).numpy(),
                               ss.lognorm(3.0, scale=np.exp(2.0)).logpdf(v), rtol=1e-12)
    np.testing.assert_allclose(lognormal.cdf(t(v)).numpy(),
                               ss.lognorm(3.0, scale=np.exp(2.0)).cdf(v), rtol=1e-12)
    chain = D.ComposeTransform([D.AffineTransform(1.0, 2.0), D.SigmoidTransform()])
    z = t([-0.3, 0.8])
    np.testing.assert_allclose(chain.inv(chain(z)).numpy(), z.numpy(), rtol=1e-12)
    # a cached transform hands its own draw back without the inverse
    cached = D.TanhTransform(cache_size=1)
    draw = cached(t([20.0]))
    assert cached.inv(draw).item() == 20.0  # (atanh(tanh(20)) would be inf in float64)


def test_relaxed_draws_lie_in_their_support_and_are_reparameterized():
    torch.manual_seed(2)
    logits = t([[0.5, -1.0, 2.0]], grad=True)
    d = D.RelaxedOneHotCategorical(t(0.5), logits=logits)
    y = d.rsample((6,))
    assert tuple(y.shape) == (6, 1, 3)
    np.testing.assert_allclose(y.detach().numpy().sum(-1), 1.0, rtol=1e-12)
    (y[..., 2]).sum().backward()
    assert logits.grad.numpy()[0, 2] > 0
    b = D.RelaxedBernoulli(t(0.3), probs=t([0.2, 0.9])).sample((1000,)).numpy()
    assert ((b > 0) & (b < 1)).all()
    np.testing.assert_allclose((b > 0.5).mean(0), [0.2, 0.9], atol=0.05)


# ------------------------------------------------- the less common families (PyTorch 2.13's)
def _kumaraswamy_logpdf(a, b, x):
    return np.log(a) + np.log(b) + (a - 1) * np.log(x) + (b - 1) * np.log1p(-x ** a)


MORE = [  # name, make, SciPy (or closed-form) reference, value, checks
    ("Weibull", lambda: D.Weibull(t([0.5, 1.0, 3.0]), t([0.7, 1.5, 4.0])),
     ss.weibull_min([0.7, 1.5, 4.0], scale=[0.5, 1.0, 3.0]), [0.3, 1.2, 2.5], "HCI"),
    ("Gumbel", lambda: D.Gumbel(t([0.0, 1.0, -2.0]), t([1.0, 0.5, 3.0])),
     ss.gumbel_r([0.0, 1.0, -2.0], [1.0, 0.5, 3.0]), [0.3, -1.0, 4.0], "HCI"),
    ("Pareto", lambda: D.Pareto(t([1.0, 0.5, 2.0]), t([2.5, 3.5, 5.0])),
     ss.pareto([2.5, 3.5, 5.0], scale=[1.0, 0.5, 2.0]), [1.5, 0.7, 9.0], "HCI"),
    ("HalfCauchy", lambda: D.HalfCauchy(t([1.0, 0.5, 2.0])), ss.halfcauchy(scale=[1.0, 0.5, 2.0]),
     [0.1, 0.7, 9.0], "HCI"),
    ("InverseGamma", lambda: D.InverseGamma(t([2.5, 3.5, 5.0]), t([1.0, 2.0, 0.5])),
     ss.invgamma([2.5, 3.5, 5.0], scale=[1.0, 2.0, 0.5]), [0.3, 1.2, 4.0], "HC"),
    ("FisherSnedecor", lambda: D.FisherSnedecor(t([1.0, 3.0, 10.0]), t([5.0, 8.0, 12.0])),
     ss.f([1.0, 3.0, 10.0], [5.0, 8.0, 12.0]), [0.3, 1.0, 2.0], ""),
    ("GeneralizedPareto", lambda: D.GeneralizedPareto(t([0.0, 1.0, -1.0]), t([1.0, 2.0, 0.5]),
                                                      t([0.3, 0.0, -0.4])),
     ss.genpareto([0.3, 0.0, -0.4], [0.0, 1.0, -1.0], [1.0, 2.0, 0.5]), [0.5, 2.0, -0.5], "CI"),
    ("NegativeBinomial", lambda: D.NegativeBinomial(t([1.0, 2.5, 7.0]), probs=t([0.2, 0.5, 0.8])),
     ss.nbinom([1.0, 2.5, 7.0], 1 - np.array([0.2, 0.5, 0.8])), [0.0, 3.0, 10.0], ""),
]


@pytest.mark.parametrize("name, make, ref, value, checks", MORE, ids=[c[0] for c in MORE])
def test_more_families_are_scipys(name, make, ref, value, checks):
    d, value = make(), np.array(value)
    logp = ref.logpmf(value) if hasattr(ref, "logpmf") else ref.logpdf(value)
    np.testing.assert_allclose(d.log_prob(t(value)).detach().numpy(), logp, rtol=1e-10)
    np.testing.assert_allclose(d.mean.detach().numpy(), ref.mean(), rtol=1e-10)
    np.testing.assert_allclose(d.variance.detach().numpy(), ref.var(), rtol=1e-10)
    if "H" in checks:
        np.testing.assert_allclose(d.entropy().detach().numpy(), ref.entropy(), rtol=1e-9)
    if "C" in checks:
        np.testing.assert_allclose(d.cdf(t(value)).detach().numpy(), ref.cdf(value), rtol=1e-10,
                                   atol=1e-15)
    if "I" in checks:
        np.testing.assert_allclose(d.icdf(t(X)).detach().numpy(), ref.ppf(X), rtol=1e-10)
    assert tuple(d.sample((5,)).shape) == (5, 3)


def test_kumaraswamy_von_mises_and_continuous_bernoulli_densities():
    a, b, x = np.array([0.5, 2.0, 3.0]), np.array([1.5, 0.7, 4.0]), np.array([0.2, 0.5, 0.9])
    k = D.Kumaraswamy(t(a), t(b))
    np.testing.assert_allclose(k.log_prob(t(x)).numpy(), _kumaraswamy_logpdf(a, b, x),
                               rtol=1e-12)
    np.testing.assert_allclose(k.cdf(t(x)).numpy(), 1 - (1 - x ** a) ** b, rtol=1e-12)
    for i in range(3):  # mean and variance against the density's integrals
        def density(v, i=i):
            return np.exp(_kumaraswamy_logpdf(a[i], b[i], v))
        m1 = si.quad(lambda v: v * density(v), 0, 1)[0]
        m2 = si.quad(lambda v: v * v * density(v), 0, 1)[0]
        np.testing.assert_allclose(k.mean[i].item(), m1, rtol=1e-7)
        np.testing.assert_allclose(k.variance[i].item(), m2 - m1 ** 2, rtol=1e-6)
    # VonMises: PyTorch's polynomial approximation of log I0 (relative error ~1e-7)
    loc, kappa, v = np.array([0.0, 1.0, -2.0]), np.array([0.5, 2.0, 50.0]), np.array([0.3, -1.0, 4])
    vm = D.VonMises(t(loc), t(kappa))
    np.testing.assert_allclose(vm.log_prob(t(v)).numpy(), ss.vonmises(kappa, loc).logpdf(v),
                               rtol=1e-6)
    # ContinuousBernoulli: normalized on [0, 1] (also by the Taylor expansion around
    # probs = 1/2), its cdf the density's integral (inside lims PyTorch's cdf is the uniform's)
    for p in (0.1, 0.4995, 0.8):
        cb = D.ContinuousBernoulli(probs=t(p))

        def pdf(u, cb=cb):
            return float(torch.exp(cb.log_prob(t(u))))
        np.testing.assert_allclose(si.quad(pdf, 0, 1)[0], 1.0, rtol=1e-6)
        cdf = 0.3 if p == 0.4995 else si.quad(pdf, 0, 0.3)[0]
        np.testing.assert_allclose(cb.cdf(t(0.3)).item(), cdf, rtol=1e-6)
        np.testing.assert_allclose(cb.mean.item(), si.quad(lambda u: u * pdf(u), 0, 1)[0],
                                   rtol=1e-6)
        np.testing.assert_allclose(cb.icdf(cb.cdf(t(0.3))).item(), 0.3, rtol=1e-6)


def test_multinomial_and_low_rank_normal_are_scipys():
    p = np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])
    m = D.Multinomial(5, probs=t(p))
    counts = np.array([[1, 2, 2], [5, 0, 0]])
    np.testing.assert_allclose(m.log_prob(t(counts)).numpy(),
                               ss.multinomial(5, p).logpmf(counts), rtol=1e-12)
    np.testing.assert_allclose(m.entropy().numpy(), ss.multinomial(5, p).entropy(), rtol=1e-10)
    np.testing.assert_allclose(m.variance.numpy(), 5 * p * (1 - p), rtol=1e-12)
    with pytest.raises(NotImplementedError, match="inhomogeneous"):
        D.Multinomial(t(5.0), probs=t(p))
    rng = np.random.default_rng(3)
    W, diag = rng.standard_normal((2, 4, 2)), rng.uniform(0.5, 1.5, (2, 4))
    loc = rng.standard_normal(4)
    d = D.LowRankMultivariateNormal(t(loc), t(W), t(diag))
    assert tuple(d.batch_shape) == (2,) and tuple(d.event_shape) == (4,)
    x = rng.standard_normal((3, 2, 4))
    for i in range(2):
        cov = W[i] @ W[i].T + np.diag(diag[i])
        ref = ss.multivariate_normal(loc, cov)
        np.testing.assert_allclose(d.log_prob(t(x)).numpy()[:, i], ref.logpdf(x[:, i]), rtol=1e-10)
        np.testing.assert_allclose(d.entropy().numpy()[i], ref.entropy(), rtol=1e-10)
        np.testing.assert_allclose(d.covariance_matrix.numpy()[i], cov, rtol=1e-12)
        np.testing.assert_allclose(d.precision_matrix.numpy()[i], np.linalg.inv(cov), rtol=1e-9)
        np.testing.assert_allclose(d.scale_tril.numpy()[i], np.linalg.cholesky(cov), rtol=1e-9)
    with pytest.raises(ValueError, match="cov_diag must be a batch of vectors"):
        D.LowRankMultivariateNormal(t(loc), t(W), t(np.ones(3)))


def _numeric_grad(f, x, h=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


GRAD_CASES = [  # parameters; log_prob's gradient in each against central differences
    ("NegativeBinomial", lambda n, p: D.NegativeBinomial(n, logits=p), [[1.5, 4.0], [-0.3, 1.2]],
     [2.0, 5.0]),
    ("Weibull", D.Weibull, [[0.5, 2.0], [0.7, 3.0]], [0.4, 1.5]),
    ("Gumbel", D.Gumbel, [[0.5, -1.0], [0.7, 3.0]], [0.4, 1.5]),
    ("Kumaraswamy", D.Kumaraswamy, [[0.5, 2.0], [1.7, 3.0]], [0.4, 0.8]),
    ("InverseGamma", D.InverseGamma, [[2.5, 2.0], [1.7, 3.0]], [0.4, 1.5]),
    ("FisherSnedecor", D.FisherSnedecor, [[2.5, 7.0], [1.7, 3.0]], [0.4, 1.5]),
    ("GeneralizedPareto", D.GeneralizedPareto, [[0.0, 1.0], [0.7, 3.0], [0.4, -0.2]],
     [0.4, 1.5]),
    ("VonMises", D.VonMises, [[0.5, -1.0], [0.7, 5.0]], [0.4, 1.5]),
    ("ContinuousBernoulli", lambda p: D.ContinuousBernoulli(probs=p), [[0.2, 0.9]], [0.4, 0.7]),
    ("LogisticNormal", D.LogisticNormal, [[0.2, -0.4], [0.7, 1.5]], [0.3, 0.5, 0.2]),
]


@pytest.mark.parametrize("name, make, params, value", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_log_prob_gradients_are_finite_differences(name, make, params, value):
    params = [np.array(p) for p in params]
    leaves = [t(p, grad=True) for p in params]
    make(*leaves).log_prob(t(value)).sum().backward()
    for i, p in enumerate(params):
        def f(q, i=i):
            args = [t(q) if j == i else t(params[j]) for j in range(len(params))]
            return make(*args).log_prob(t(value)).sum().item()
        np.testing.assert_allclose(leaves[i].grad.numpy(), _numeric_grad(f, p), rtol=1e-6,
                                   atol=1e-8, err_msg=f"{name}, parameter {i}")


def test_draws_of_the_new_families_have_their_moments():
    torch.manual_seed(4)
    n = 40000
    for d in (D.Weibull(t([0.5, 2.0]), t([0.7, 3.0])), D.Gumbel(t([0.5, -1.0]), t([0.7, 3.0])),
              D.Pareto(t([1.0, 0.5]), t([4.5, 6.0])), D.InverseGamma(t([4.5, 6.0]), t([1.0, 2.0])),
              D.Kumaraswamy(t([0.5, 2.0]), t([1.7, 3.0])),
              D.FisherSnedecor(t([3.0, 10.0]), t([12.0, 20.0])),
              D.ContinuousBernoulli(probs=t([0.2, 0.9])),
              D.GeneralizedPareto(t([0.0, 1.0]), t([0.7, 3.0]), t([0.1, -0.3])),
              D.NegativeBinomial(t([1.5, 4.0]), probs=t([0.3, 0.6])),
              D.Multinomial(6, probs=t([0.2, 0.3, 0.5]))):
        draws = d.sample((n,)).numpy()
        sd = np.sqrt(d.variance.numpy())
        np.testing.assert_allclose(draws.mean(0), d.mean.numpy(),
                                   atol=float(5 * sd.max() / np.sqrt(n)), err_msg=type(d).__name__)
        np.testing.assert_allclose(draws.std(0), sd, rtol=0.05, err_msg=type(d).__name__)
    h = D.HalfCauchy(t([1.0, 3.0])).sample((n,)).numpy()  # (median = scale)
    np.testing.assert_allclose(np.median(h, 0), [1.0, 3.0], rtol=0.03)
    vm = D.VonMises(t([1.0, -2.5]), t([0.5, 8.0])).sample((n,)).numpy()
    assert ((vm >= -np.pi) & (vm < np.pi)).all()
    resultant = np.exp(1j * vm).mean(0)  # circular mean and 1 - I1/I0
    np.testing.assert_allclose(np.angle(resultant), [1.0, -2.5], atol=0.03)
    np.testing.assert_allclose(np.abs(resultant), i1e([0.5, 8.0]) / i0e([0.5, 8.0]), atol=0.01)
    rng = np.random.default_rng(5)
    W = rng.standard_normal((3, 2))
    lr = D.LowRankMultivariateNormal(t(np.zeros(3)), t(W), t([0.5, 1.0, 2.0]))
    np.testing.assert_allclose(np.cov(lr.sample((n,)).numpy().T), W @ W.T + np.diag([0.5, 1, 2]),
                               atol=0.1)
    ln = D.LogisticNormal(t([0.2, -0.4]), t([0.7, 1.5])).sample((7,)).numpy()
    assert ln.shape == (7, 3) and np.allclose(ln.sum(-1), 1.0)


def test_reparameterized_draws_of_the_new_families():
    torch.manual_seed(6)
    scale, k = t(2.0, grad=True), t(1.5, grad=True)
    x = D.Weibull(scale, k).rsample((40000,))
    x.mean().backward()  # x = scale E^(1/k): d mean / d scale = mean / scale ~ Gamma(1 + 1/k)
    np.testing.assert_allclose(scale.grad.item(), x.mean().item() / 2.0, rtol=1e-12)
    np.testing.assert_allclose(scale.grad.item(), math.gamma(1 + 1 / 1.5), rtol=0.02)
    rate = t(3.0, grad=True)
    D.InverseGamma(t(4.0), rate).rsample((40000,)).mean().backward()  # E = rate / 3
    np.testing.assert_allclose(rate.grad.item(), 1 / 3, rtol=0.03)
    probs = t([0.2, 0.3, 0.5], grad=True)
    y = D.OneHotCategoricalStraightThrough(probs=probs).rsample((4,))
    assert set(np.unique(y.detach().numpy())) <= {0.0, 1.0}
    w = np.array([1.0, 2.0, 3.0])
    (y * t(w)).sum().backward()  # straight through: the gradient of 4 (p . w), p = probs / sum
    np.testing.assert_allclose(probs.grad.numpy(), 4 * (w - w @ [0.2, 0.3, 0.5]), rtol=1e-12)
    for d in (D.Gumbel(t(0.5, grad=True), t(2.0, grad=True)),
              D.GeneralizedPareto(t(0.0, grad=True), t(1.0, grad=True), t(0.2, grad=True)),
              D.ContinuousBernoulli(probs=t(0.3, grad=True)),
              D.Kumaraswamy(t(2.0, grad=True), t(3.0, grad=True)),
              D.LowRankMultivariateNormal(t([0.0, 1.0], grad=True), t([[1.0], [0.5]], grad=True),
                                          t([1.0, 2.0], grad=True))):
        assert d.has_rsample and d.rsample((3,)).requires_grad, type(d).__name__
    assert not D.VonMises(t(0.0), t(1.0)).has_rsample
    assert not D.NegativeBinomial(t(1.0), t(0.5)).has_rsample


def _jacobian(f, x, h=1e-6):
    cols = []
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = h
        cols.append((f(x + e) - f(x - e)) / (2 * h))
    return np.stack(cols, -1)


def test_stick_breaking_and_corr_cholesky_transforms():
    x = np.array([0.3, -1.2, 0.8])
    sb = D.StickBreakingTransform()
    y = sb(t(x))
    assert tuple(y.shape) == (4,) and abs(y.sum().item() - 1) < 1e-14 and (y.numpy() > 0).all()
    np.testing.assert_allclose(sb.inv(y).numpy(), x, rtol=1e-12)
    jac = _jacobian(lambda v: sb(t(v)).numpy()[:-1], x)  # (the free K - 1 coordinates)
    np.testing.assert_allclose(sb.log_abs_det_jacobian(t(x), y).item(),
                               np.log(abs(np.linalg.det(jac))), rtol=1e-8)
    assert sb.forward_shape((2, 3)) == (2, 4) and sb.inverse_shape((2, 4)) == (2, 3)
    cc = D.CorrCholeskyTransform()
    v = np.array([0.5, -0.3, 1.1])
    L = cc(t(v)).numpy()
    assert L.shape == (3, 3) and np.allclose(np.triu(L, 1), 0) and (np.diag(L) > 0).all()
    np.testing.assert_allclose(np.linalg.norm(L, axis=-1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(cc.inv(t(L)).numpy(), v, rtol=1e-10)
    rows, cols = np.tril_indices(3, -1)
    jac = _jacobian(lambda u: cc(t(u)).numpy()[rows, cols], v)
    np.testing.assert_allclose(cc.log_abs_det_jacobian(t(v), t(L)).item(),
                               np.log(abs(np.linalg.det(jac))), rtol=1e-7)
    a = np.random.default_rng(7).standard_normal((2, 3, 3))
    lc, pd = D.LowerCholeskyTransform(), D.PositiveDefiniteTransform()
    np.testing.assert_allclose(lc.inv(lc(t(a))).numpy(), np.tril(a), rtol=1e-12)
    s = pd(t(a)).numpy()
    assert D.constraints.positive_definite.check(t(s)).numpy().all()
    np.testing.assert_allclose(pd(pd.inv(t(s))).numpy(), s, rtol=1e-10)


def test_structural_transforms():
    x = t(np.arange(8.0).reshape(2, 4) / 4)
    cat = D.CatTransform([D.ExpTransform(), D.AffineTransform(1.0, 3.0)], dim=-1, lengths=[1, 3])
    y = cat(x)
    np.testing.assert_allclose(y.numpy()[:, 0], np.exp(x.numpy()[:, 0]))
    np.testing.assert_allclose(y.numpy()[:, 1:], 1 + 3 * x.numpy()[:, 1:])
    np.testing.assert_allclose(cat.inv(y).numpy(), x.numpy(), rtol=1e-12)
    np.testing.assert_allclose(cat.log_abs_det_jacobian(x, y).numpy()[:, 1:], np.log(3.0))
    stack = D.StackTransform([D.ExpTransform(), D.SigmoidTransform()], dim=0)
    z = stack(x)
    np.testing.assert_allclose(z.numpy()[1], 1 / (1 + np.exp(-x.numpy()[1])), rtol=1e-12)
    np.testing.assert_allclose(stack.log_abs_det_jacobian(x, z).numpy()[0], x.numpy()[0])
    reshape = D.ReshapeTransform((4,), (2, 2))
    assert tuple(reshape(x).shape) == (2, 2, 2) and reshape.forward_shape((5, 4)) == (5, 2, 2)
    ind = D.IndependentTransform(D.ExpTransform(), 1)
    np.testing.assert_allclose(ind.log_abs_det_jacobian(x, ind(x)).numpy(), x.numpy().sum(-1))
    cdf = D.CumulativeDistributionTransform(D.Normal(t(0.0), t(2.0)))
    np.testing.assert_allclose(cdf(x).numpy(), ss.norm(0, 2).cdf(x.numpy()), rtol=1e-12)
    np.testing.assert_allclose(cdf.inv(cdf(x)).numpy(), x.numpy(), rtol=1e-10, atol=1e-15)
    # a distribution pushed through a reshape keeps its density, its event shape changes
    base = D.Independent(D.Normal(t(np.zeros(4)), t(np.ones(4))), 1)
    d = D.TransformedDistribution(base, [reshape])
    assert tuple(d.event_shape) == (2, 2)
    np.testing.assert_allclose(d.log_prob(reshape(x)).numpy(), base.log_prob(x).numpy())


def test_biject_to_and_transform_to_map_into_the_constraint():
    C = D.constraints
    x = t(np.random.default_rng(8).standard_normal((2, 3)))
    for c in (C.positive, C.nonnegative, C.unit_interval, C.simplex, C.real_vector,
              C.greater_than(2.0), C.less_than(-1.0), C.interval(-1.0, 3.0)):
        for registry in (D.biject_to, D.transform_to):
            y = registry(c)(x)
            assert np.all(c.check(y).numpy()), (c, registry)
            if registry is D.biject_to:
                np.testing.assert_allclose(registry(c).inv(y).numpy(), x.numpy(), rtol=1e-10)
    assert isinstance(D.biject_to(C.simplex), D.StickBreakingTransform)
    assert isinstance(D.transform_to(C.simplex), D.SoftmaxTransform)
    assert isinstance(D.biject_to(C.unit_interval), D.SigmoidTransform)
    assert isinstance(D.transform_to(C.positive_definite), D.PositiveDefiniteTransform)
    L = D.biject_to(C.corr_cholesky)(x)
    assert C.corr_cholesky.check(L).numpy().all()
    with pytest.raises(NotImplementedError, match="Cannot transform"):
        D.biject_to(C.positive_definite)
    # a constrained parameter through its unconstrained value, differentiably
    u = t([0.1, -0.2], grad=True)
    D.Normal(t(0.0), D.transform_to(D.Normal.arg_constraints["scale"])(u)).log_prob(
        t(1.0)).sum().backward()
    assert u.grad is not None and np.isfinite(u.grad.numpy()).all()


def test_kl_divergences_of_the_new_families():
    pairs = [
        (D.Gumbel(t(0.3), t(1.2)), D.Gumbel(t(-0.5), t(0.7)), -20, 40),
        (D.Pareto(t(1.0), t(2.5)), D.Pareto(t(0.5), t(1.5)), 1.0, np.inf),
        (D.ContinuousBernoulli(t(0.2)), D.ContinuousBernoulli(t(0.7)), 0, 1),
        (D.Normal(t(0.3), t(1.2)), D.Gumbel(t(-0.5), t(1.7)), -20, 20),
        (D.Gumbel(t(0.3), t(1.2)), D.Normal(t(-0.5), t(1.7)), -20, 40),
        (D.Exponential(t(1.5)), D.Gumbel(t(0.5), t(2.0)), 0, 60),
        (D.Uniform(t(0.2), t(0.9)), D.ContinuousBernoulli(t(0.7)), 0.2, 0.9),
    ]
    for p, q, lo, hi in pairs:
        np.testing.assert_allclose(D.kl_divergence(p, q).numpy(), _kl_numeric(p, q, lo, hi),
                                   rtol=1e-6, err_msg=f"{type(p).__name__} {type(q).__name__}")
    assert D.kl_divergence(D.Pareto(t(1.0), t(2.5)), D.Pareto(t(2.0), t(1.5))).item() == np.inf
    assert D.kl_divergence(D.Gumbel(t(0.0), t(1.0)), D.Gamma(t(1.0), t(1.0))).item() == np.inf
    rng = np.random.default_rng(9)
    W1, W2 = rng.standard_normal((3, 2)), rng.standard_normal((3, 1))
    d1, d2 = np.array([0.5, 1.0, 2.0]), np.array([1.5, 0.7, 1.0])
    l1, l2 = rng.standard_normal(3), rng.standard_normal(3)
    p = D.LowRankMultivariateNormal(t(l1), t(W1), t(d1))
    q = D.LowRankMultivariateNormal(t(l2), t(W2), t(d2))
    pf = D.MultivariateNormal(t(l1), covariance_matrix=t(W1 @ W1.T + np.diag(d1)))
    qf = D.MultivariateNormal(t(l2), covariance_matrix=t(W2 @ W2.T + np.diag(d2)))
    expected = D.kl_divergence(pf, qf).item()
    for a, b in ((p, q), (pf, q), (p, qf)):
        np.testing.assert_allclose(D.kl_divergence(a, b).item(), expected, rtol=1e-10)


def test_arguments_of_the_new_families_are_checked():
    with pytest.raises(ValueError, match="Expected parameter probs .* HalfOpenInterval"):
        D.NegativeBinomial(t(2.0), probs=t(1.0))
    with pytest.raises(ValueError, match="Expected parameter scale"):
        D.Weibull(t(-1.0), t(1.0))
    with pytest.raises(ValueError, match="within the support"):
        D.Pareto(t(2.0), t(1.0)).log_prob(t(1.5))
    with pytest.raises(ValueError, match="within the support"):
        D.Multinomial(3, probs=t([0.5, 0.5])).log_prob(t([3.0, 1.0]))
    with pytest.raises(ValueError, match="The parameter probs has invalid values"):
        D.ContinuousBernoulli(probs=t(1.5), validate_args=True)
    with pytest.raises(ValueError, match="within the support"):
        D.Kumaraswamy(t(1.0), t(2.0)).log_prob(t(1.5))
    assert tuple(D.Weibull(t([1.0, 2.0]), t(1.5)).expand((3, 2)).batch_shape) == (3, 2)
    assert tuple(D.LogisticNormal(t(np.zeros((2, 3))), t(1.0)).expand((4, 2)).sample().shape) \
        == (4, 2, 4)
    assert tuple(D.NegativeBinomial(t(2.0), logits=t([0.0, 1.0])).expand((5, 2))
                 .log_prob(t(1.0)).shape) == (5, 2)


def test_lkj_cholesky_and_wishart():
    torch.manual_seed(10)
    lkj = D.LKJCholesky(3, t([0.5, 4.0]))
    L = lkj.sample((20000,))
    assert tuple(L.shape) == (20000, 2, 3, 3) and D.constraints.corr_cholesky.check(L).numpy().all()
    corr = (L @ L.transpose(-1, -2)).numpy()
    # the marginal of an off-diagonal correlation is Beta(eta - 1 + d/2, same) on [-1, 1]
    for i, eta in enumerate([0.5, 4.0]):
        b = eta - 1 + 1.5
        np.testing.assert_allclose(corr[:, i, 1, 0].var(), 1 / (2 * b + 1), rtol=0.05)
    # log_prob: det(C)^(eta - 1) normalized, a density in the free entries of L; for dim 2
    # that is r = L_10 = C_10, distributed as 2 Beta(eta, eta) - 1
    r = np.array([-0.6, 0.1, 0.8])
    chol = np.zeros((3, 2, 2))
    chol[:, 0, 0], chol[:, 1, 0], chol[:, 1, 1] = 1.0, r, np.sqrt(1 - r ** 2)
    eta = 2.5
    expected = ss.beta(eta, eta).logpdf((r + 1) / 2) - np.log(2)
    np.testing.assert_allclose(D.LKJCholesky(2, t(eta)).log_prob(t(chol)).numpy(), expected,
                               rtol=1e-12)
    rng = np.random.default_rng(11)
    a = rng.standard_normal((3, 3))
    cov = a @ a.T + np.eye(3)
    x = ss.wishart(6.5, cov).rvs(4, random_state=1)
    for w in (D.Wishart(t(6.5), covariance_matrix=t(cov)),
              D.Wishart(t(6.5), scale_tril=t(np.linalg.cholesky(cov))),
              D.Wishart(6.5, precision_matrix=t(np.linalg.inv(cov)))):
        ref = ss.wishart(6.5, cov)
        np.testing.assert_allclose(w.log_prob(t(x)).numpy(), ref.logpdf(x.transpose(1, 2, 0)),
                                   rtol=1e-10)
        np.testing.assert_allclose(w.entropy().item(), ref.entropy(), rtol=1e-10)
        np.testing.assert_allclose(w.mean.numpy(), 6.5 * cov, rtol=1e-12)
        np.testing.assert_allclose(w.variance.numpy(), ref.var(), rtol=1e-10)
    df = t(6.5, grad=True)
    draws = D.Wishart(df, covariance_matrix=t(cov)).rsample((20000,))
    np.testing.assert_allclose(draws.detach().numpy().mean(0), 6.5 * cov, rtol=0.05,
                               atol=0.05 * np.abs(cov).max())
    draws[:, 0, 0].mean().backward()  # d E[X_00] / d df = cov_00
    np.testing.assert_allclose(df.grad.item(), cov[0, 0], rtol=0.05)
    with pytest.raises(ValueError, match="expected to be greater than ndim - 1"):
        D.Wishart(t(1.5), covariance_matrix=t(cov))
    with pytest.raises(ValueError, match="Expected dim to be an integer greater"):
        D.LKJCholesky(1)


def test_pytorchs_module_paths_of_the_distributions_import():
    import importlib

    for path, name in (("lowrank_multivariate_normal", "LowRankMultivariateNormal"),
                       ("fishersnedecor", "FisherSnedecor"),
                       ("one_hot_categorical", "OneHotCategoricalStraightThrough"),
                       ("negative_binomial", "NegativeBinomial"), ("von_mises", "VonMises"),
                       ("lkj_cholesky", "LKJCholesky"), ("studentT", "StudentT")):
        module = importlib.import_module(f"chainrule.torch.distributions.{path}")
        assert getattr(module, name) is getattr(importlib.import_module(
            "chainrule.torch.distributions"), name)


def test_beta_and_dirichlet_modes_stay_in_the_support():
    from chainrule.torch.distributions import Beta, Dirichlet

    def beta_mode(a, b):
        f64 = torch.float64
        return Beta(torch.tensor(a, dtype=f64), torch.tensor(b, dtype=f64)).mode.item()

    assert beta_mode(3.0, 2.0) == pytest.approx(2 / 3)
    assert beta_mode(2.0, 0.5) == 1.0 and beta_mode(0.5, 2.0) == 0.0
    assert beta_mode(0.5, 0.5) == 1.0  # both below 1: PyTorch names the first corner
    d = Dirichlet(torch.tensor([[0.5, 0.7, 0.9], [2.0, 3.0, 0.5]], dtype=torch.float64)).mode
    np.testing.assert_allclose(d.numpy(), [[1.0, 0.0, 0.0], [1 / 3, 2 / 3, 0.0]], rtol=1e-15)


@pytest.mark.parametrize("pair", ["normal_laplace", "exponential_gamma", "beta_normal",
                                  "uniform_beta", "cauchy_cauchy", "gamma_exponential",
                                  "laplace_normal", "uniform_gamma", "beta_gamma"])
def test_kl_between_families_matches_quadrature(pair):
    from chainrule.torch import distributions as D

    f64 = torch.float64

    def t(v):
        return torch.tensor(v, dtype=f64)

    cases = {
        "normal_laplace": (D.Normal(t(0.3), t(1.2)), D.Laplace(t(-0.5), t(0.7)),
                           ss.norm(0.3, 1.2), ss.laplace(-0.5, 0.7), (-40, 40)),
        "exponential_gamma": (D.Exponential(t(1.3)), D.Gamma(t(2.5), t(1.2)),
                              ss.expon(scale=1 / 1.3), ss.gamma(2.5, scale=1 / 1.2), (0, 60)),
        "beta_normal": (D.Beta(t(2.0), t(1.5)), D.Normal(t(0.3), t(0.5)), ss.beta(2.0, 1.5),
                        ss.norm(0.3, 0.5), (0, 1)),
        "uniform_beta": (D.Uniform(t(0.1), t(0.6)), D.Beta(t(2.0), t(1.5)), ss.uniform(0.1, 0.5),
                         ss.beta(2.0, 1.5), (0.1, 0.6)),
        "cauchy_cauchy": (D.Cauchy(t(0.2), t(0.9)), D.Cauchy(t(1.5), t(0.3)), ss.cauchy(0.2, 0.9),
                          ss.cauchy(1.5, 0.3), (-np.inf, np.inf)),
        "gamma_exponential": (D.Gamma(t(2.5), t(1.2)), D.Exponential(t(0.4)),
                              ss.gamma(2.5, scale=1 / 1.2), ss.expon(scale=1 / 0.4), (0, 80)),
        "laplace_normal": (D.Laplace(t(0.2), t(0.7)), D.Normal(t(-1.0), t(0.5)),
                           ss.laplace(0.2, 0.7), ss.norm(-1.0, 0.5), (-60, 60)),
        "uniform_gamma": (D.Uniform(t(0.0), t(1.0)), D.Gamma(t(0.8), t(3.0)), ss.uniform(0, 1),
                          ss.gamma(0.8, scale=1 / 3.0), (0, 1)),
        "beta_gamma": (D.Beta(t(0.7), t(3.0)), D.Gamma(t(0.8), t(3.0)), ss.beta(0.7, 3.0),
                       ss.gamma(0.8, scale=1 / 3.0), (0, 1)),
    }
    p, q, sp, sq, (lo, hi) = cases[pair]
    # (finite bounds where the tails are below 1e-20: pdf * log pdf is 0 * -inf beyond)
    expected = si.quad(lambda x: sp.pdf(x) * (sp.logpdf(x) - sq.logpdf(x)), lo, hi,
                       epsabs=1e-13, epsrel=1e-12, limit=400)[0]
    assert D.kl_divergence(p, q).item() == pytest.approx(expected, rel=1e-8, abs=1e-10)


def test_kl_is_infinite_where_q_misses_part_of_ps_support():
    from chainrule.torch import distributions as D

    normal = D.Normal(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 2.0]))
    for q in (D.Exponential(torch.tensor(1.0)), D.Uniform(torch.tensor(0.0), torch.tensor(1.0)),
              D.Beta(torch.tensor(2.0), torch.tensor(2.0))):
        assert torch.isinf(D.kl_divergence(normal, q)).all()
    beta = D.Beta(torch.tensor(2.0), torch.tensor(2.0))
    assert torch.isinf(D.kl_divergence(beta, D.Uniform(torch.tensor(0.2), torch.tensor(1.0))))
    assert torch.isfinite(D.kl_divergence(beta, D.Uniform(torch.tensor(0.0), torch.tensor(1.0))))
