"""chainrule.torch.distributions: densities, moments and KL against SciPy; draws and their
reparameterized gradients; argument checks."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.integrate as si
import scipy.stats as ss

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
    with pytest.raises(NotImplementedError, match="no closed form for Normal and Gamma"):
        D.kl_divergence(D.Normal(t(0.0), t(1.0)), D.Gamma(t(1.0), t(1.0)))


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
