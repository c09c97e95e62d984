"""``kl_divergence(p, q)``: closed forms for pairs of families, PyTorch's formulas.

``register_kl(TypeP, TypeQ)`` adds one; a pair is looked up by its exact types, then
by the most specific registered base classes.
"""

from __future__ import annotations

import math

import chainrule.torch as torch
import chainrule.torch.nn.functional as F

from .continuous import Beta, Exponential, Gamma, HalfNormal, Laplace, LogNormal, Normal, Uniform
from .discrete import Bernoulli, Binomial, Categorical, Geometric, OneHotCategorical, Poisson
from .multivariate import Dirichlet, Independent, MultivariateNormal, _batch_mahalanobis

__all__ = ["kl_divergence", "register_kl"]

_KL: dict = {}


def register_kl(type_p, type_q):
    """Decorator: ``@register_kl(P, Q)`` on ``f(p, q)`` makes it KL(p || q) for P, Q."""
    def register(fn):
        _KL[type_p, type_q] = fn
        return fn
    return register


def _lookup(type_p, type_q):
    found = []
    for i, a in enumerate(type_p.__mro__):
        for j, b in enumerate(type_q.__mro__):
            if (a, b) in _KL:
                found.append((i + j, i, _KL[a, b]))
    return min(found, key=lambda f: f[:2])[2] if found else None


def kl_divergence(p, q):
    """KL(p || q) = E_p[log p - log q], over the batch (one value per batch element)."""
    fn = _lookup(type(p), type(q))
    if fn is None:
        raise NotImplementedError(
            f"kl_divergence: no closed form for {type(p).__name__} and {type(q).__name__} "
            f"(register one with torch.distributions.kl.register_kl)")
    return fn(p, q)


def _inf_where(condition, value):
    return torch.where(condition, value * 0 + math.inf, value)


@register_kl(Normal, Normal)
def _normal_normal(p, q):
    var_ratio = (p.scale / q.scale) ** 2
    t1 = ((p.loc - q.loc) / q.scale) ** 2
    return 0.5 * (var_ratio + t1 - 1 - torch.log(var_ratio))


@register_kl(LogNormal, LogNormal)
def _lognormal_lognormal(p, q):
    return _normal_normal(p.base_dist, q.base_dist)


@register_kl(HalfNormal, HalfNormal)
def _halfnormal_halfnormal(p, q):
    return _normal_normal(p.base_dist, q.base_dist)


@register_kl(Bernoulli, Bernoulli)
def _bernoulli_bernoulli(p, q):
    t1 = p.probs * (F.softplus(-q.logits) - F.softplus(-p.logits))
    t1 = torch.where(q.probs == 0, t1 * 0 + math.inf, t1)
    t1 = torch.where(p.probs == 0, t1 * 0, t1)
    t2 = (1 - p.probs) * (F.softplus(q.logits) - F.softplus(p.logits))
    t2 = torch.where(q.probs == 1, t2 * 0 + math.inf, t2)
    t2 = torch.where(p.probs == 1, t2 * 0, t2)
    return t1 + t2


@register_kl(Categorical, Categorical)
def _categorical_categorical(p, q):
    t = p.probs * (p.logits - q.logits)
    t = torch.where(q.probs == 0, t * 0 + math.inf, t)
    t = torch.where(p.probs == 0, t * 0, t)
    return t.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _onehot_onehot(p, q):
    return _categorical_categorical(p, q)


@register_kl(Uniform, Uniform)
def _uniform_uniform(p, q):
    result = torch.log((q.high - q.low) / (p.high - p.low))
    return _inf_where((q.low > p.low) | (q.high < p.high), result)


@register_kl(Exponential, Exponential)
def _exponential_exponential(p, q):
    ratio = q.rate / p.rate
    return -torch.log(ratio) + ratio - 1


@register_kl(Laplace, Laplace)
def _laplace_laplace(p, q):
    scale_ratio = p.scale / q.scale
    diff = torch.abs(p.loc - q.loc)
    return (-torch.log(scale_ratio) + diff / q.scale
            + scale_ratio * torch.exp(-diff / p.scale) - 1)


@register_kl(Gamma, Gamma)
def _gamma_gamma(p, q):
    t1 = q.concentration * torch.log(p.rate / q.rate)
    t2 = torch.lgamma(q.concentration) - torch.lgamma(p.concentration)
    t3 = (p.concentration - q.concentration) * torch.digamma(p.concentration)
    t4 = (q.rate - p.rate) * (p.concentration / p.rate)
    return t1 + t2 + t3 + t4


@register_kl(Dirichlet, Dirichlet)
def _dirichlet_dirichlet(p, q):
    sum_p = p.concentration.sum(-1)
    sum_q = q.concentration.sum(-1)
    t1 = torch.lgamma(sum_p) - torch.lgamma(sum_q)
    t2 = (torch.lgamma(p.concentration) - torch.lgamma(q.concentration)).sum(-1)
    t3 = p.concentration - q.concentration
    t4 = torch.digamma(p.concentration) - torch.digamma(sum_p).unsqueeze(-1)
    return t1 - t2 + (t3 * t4).sum(-1)


@register_kl(Beta, Beta)
def _beta_beta(p, q):
    def pair(d):
        return Dirichlet(torch.stack([d.concentration1, d.concentration0], -1),
                         validate_args=False)
    return _dirichlet_dirichlet(pair(p), pair(q))


@register_kl(Poisson, Poisson)
def _poisson_poisson(p, q):
    return p.rate * (torch.log(p.rate) - torch.log(q.rate)) - (p.rate - q.rate)


@register_kl(Geometric, Geometric)
def _geometric_geometric(p, q):
    return -p.entropy() - torch.log1p(-q.probs) / p.probs - q.logits


@register_kl(Binomial, Binomial)
def _binomial_binomial(p, q):
    if not bool((p.total_count == q.total_count).all()):
        raise NotImplementedError("kl_divergence: Binomials with different total_count")
    n = p.total_count
    kl = n * (p.probs * (F.softplus(-q.logits) - F.softplus(-p.logits))
              + (1 - p.probs) * (F.softplus(q.logits) - F.softplus(p.logits)))
    return _inf_where(p.total_count > q.total_count, kl)


@register_kl(MultivariateNormal, MultivariateNormal)
def _mvn_mvn(p, q):
    if p.event_shape != q.event_shape:
        raise ValueError("kl_divergence: MultivariateNormals of different event shapes")
    k = p.event_shape[0]
    lp, lq = p.scale_tril, q.scale_tril
    half_log_det = (torch.log(torch.diagonal(lq, dim1=-2, dim2=-1)).sum(-1)
                    - torch.log(torch.diagonal(lp, dim1=-2, dim2=-1)).sum(-1))
    batch = torch.broadcast_shapes(tuple(lp.shape[:-2]), tuple(lq.shape[:-2]))
    ratio = torch.linalg.solve_triangular(lq.expand(batch + (k, k)), lp.expand(batch + (k, k)),
                                          upper=False)
    term2 = (ratio ** 2).sum((-2, -1))
    term3 = _batch_mahalanobis(lq, q.loc - p.loc)
    return half_log_det + 0.5 * (term2 + term3 - k)


@register_kl(Independent, Independent)
def _independent_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError("kl_divergence: Independents reinterpreting different "
                                  "numbers of dimensions")
    kl = kl_divergence(p.base_dist, q.base_dist)
    n = p.reinterpreted_batch_ndims
    return kl.sum(tuple(range(-n, 0))) if n else kl
