"""``kl_divergence(p, q)``: closed forms for pairs of families, PyTorch's formulas.

``register_kl(TypeP, TypeQ)`` adds one; a pair is looked up by its exact types, then
by the most specific registered base classes.
"""

from __future__ import annotations

import math

import chainrule.torch as torch
import chainrule.torch.nn.functional as F

from .continuous import (
    _EULER,
    Beta,
    Cauchy,
    ContinuousBernoulli,
    Exponential,
    Gamma,
    Gumbel,
    HalfNormal,
    Laplace,
    LogNormal,
    Normal,
    Pareto,
    Uniform,
)
from .discrete import Bernoulli, Binomial, Categorical, Geometric, OneHotCategorical, Poisson
from .multivariate import (
    Dirichlet,
    Independent,
    LowRankMultivariateNormal,
    MultivariateNormal,
    _batch_lowrank_logdet,
    _batch_lowrank_mahalanobis,
    _batch_mahalanobis,
)
from .transforms import TransformedDistribution

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


def _infinite_like(x):
    return torch.full_like(x, math.inf)


def _trace_xxt(m):
    return (m ** 2).sum((-2, -1))


@register_kl(ContinuousBernoulli, ContinuousBernoulli)
def _cb_cb(p, q):
    t1 = p.mean * (p.logits - q.logits)
    t2 = p._cont_bern_log_norm() + torch.log1p(-p.probs)
    t3 = -q._cont_bern_log_norm() - torch.log1p(-q.probs)
    return t1 + t2 + t3


@register_kl(Gumbel, Gumbel)
def _gumbel_gumbel(p, q):
    ct1, ct2, ct3 = p.scale / q.scale, q.loc / q.scale, p.loc / q.scale
    t1 = -torch.log(ct1) - ct2 + ct3
    t2 = ct1 * _EULER
    t3 = torch.exp(ct2 + torch.lgamma(1 + ct1) - ct3)
    return t1 + t2 + t3 - (1 + _EULER)


def _lowrank_terms(q, p_loc):
    """(log |Sigma_q|, Mahalanobis of q.loc - p_loc, A = C^-1 W^T D^-1) of a low-rank q."""
    W, Dq, C = q._unbroadcasted_cov_factor, q._unbroadcasted_cov_diag, q._capacitance_tril
    log_det = _batch_lowrank_logdet(W, Dq, C)
    maha = _batch_lowrank_mahalanobis(W, Dq, q.loc - p_loc, C)
    A = torch.linalg.solve_triangular(C, W.mT / Dq.unsqueeze(-2), upper=False)
    return log_det, maha, A


def _same_events(p, q):
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two (Low Rank) Multivariate Normals with "
                         "different event shapes cannot be computed")


@register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)
def _lowrank_lowrank(p, q):
    _same_events(p, q)
    q_log_det, term3, A = _lowrank_terms(q, p.loc)
    term1 = q_log_det - p._log_det()
    pW, pD, qD = p._unbroadcasted_cov_factor, p._unbroadcasted_cov_diag, \
        q._unbroadcasted_cov_diag
    term2 = ((pD / qD).sum(-1) + _trace_xxt(pW * torch.rsqrt(qD).unsqueeze(-1))
             - _trace_xxt(A * torch.sqrt(pD).unsqueeze(-2)) - _trace_xxt(A @ pW))
    return 0.5 * (term1 + term2 + term3 - p.event_shape[0])


@register_kl(MultivariateNormal, LowRankMultivariateNormal)
def _mvn_lowrank(p, q):
    _same_events(p, q)
    q_log_det, term3, A = _lowrank_terms(q, p.loc)
    L = p.scale_tril
    term1 = q_log_det - 2 * torch.log(torch.diagonal(L, dim1=-2, dim2=-1)).sum(-1)
    term2 = (_trace_xxt(L * torch.rsqrt(q._unbroadcasted_cov_diag).unsqueeze(-1))
             - _trace_xxt(A @ L))
    return 0.5 * (term1 + term2 + term3 - p.event_shape[0])


@register_kl(LowRankMultivariateNormal, MultivariateNormal)
def _lowrank_mvn(p, q):
    _same_events(p, q)
    L = q.scale_tril
    term1 = 2 * torch.log(torch.diagonal(L, dim1=-2, dim2=-1)).sum(-1) - p._log_det()
    term3 = _batch_mahalanobis(L, q.loc - p.loc)
    n = p.event_shape[0]
    pW = p._unbroadcasted_cov_factor
    batch = torch.broadcast_shapes(tuple(L.shape[:-2]), tuple(pW.shape[:-2]))
    L = L.expand(batch + (n, n))
    term21 = _trace_xxt(torch.linalg.solve_triangular(
        L, pW.expand(batch + (n, pW.shape[-1])), upper=False))
    term22 = _trace_xxt(torch.linalg.solve_triangular(
        L, torch.diag_embed(torch.sqrt(p._unbroadcasted_cov_diag)).expand(batch + (n, n)),
        upper=False))
    return 0.5 * (term1 + term21 + term22 + term3 - n)


@register_kl(Pareto, Pareto)
def _pareto_pareto(p, q):
    alpha_ratio = q.alpha / p.alpha
    result = q.alpha * torch.log(p.scale / q.scale) - torch.log(alpha_ratio) + alpha_ratio - 1
    return _inf_where(p.scale < q.scale, result)


@register_kl(Beta, ContinuousBernoulli)
@register_kl(Uniform, ContinuousBernoulli)
def _to_continuous_bernoulli(p, q):
    result = -p.entropy() - p.mean * q.logits - torch.log1p(-q.probs) - q._cont_bern_log_norm()
    if isinstance(p, Uniform):
        result = _inf_where((p.high >= 1.0) | (p.low <= 0.0), result)
    return result


def _kl_infinity(p, q):
    first = next(v for k, v in p.__dict__.items() if k in p.arg_constraints)
    return _infinite_like(first)


for _pair in [(Beta, Pareto), (ContinuousBernoulli, Pareto), (Gumbel, Beta),
              (Gumbel, ContinuousBernoulli), (Gumbel, Exponential), (Gumbel, Gamma),
              (Gumbel, Pareto), (Gumbel, Uniform), (Pareto, Beta), (Pareto, ContinuousBernoulli),
              (Pareto, Uniform)]:
    register_kl(*_pair)(_kl_infinity)


@register_kl(ContinuousBernoulli, Exponential)
def _cb_exponential(p, q):
    return -p.entropy() - torch.log(q.rate) + q.rate * p.mean


@register_kl(ContinuousBernoulli, Normal)
def _cb_normal(p, q):
    t1 = -p.entropy()
    t2 = 0.5 * (math.log(2.0 * math.pi) + (q.loc / q.scale) ** 2) + torch.log(q.scale)
    t3 = (p.variance + p.mean ** 2 - 2.0 * q.loc * p.mean) / (2.0 * q.scale ** 2)
    return t1 + t2 + t3


@register_kl(ContinuousBernoulli, Uniform)
def _cb_uniform(p, q):
    result = -p.entropy() + torch.log(q.high - q.low)
    return _inf_where((q.low >= 0.0) | (q.high <= 1.0), result)


@register_kl(Exponential, Gumbel)
def _exponential_gumbel(p, q):
    scale_rate_prod = p.rate * q.scale
    loc_scale_ratio = q.loc / q.scale
    t1 = torch.log(scale_rate_prod) - 1
    t2 = torch.exp(loc_scale_ratio) * scale_rate_prod / (scale_rate_prod + 1)
    return t1 - loc_scale_ratio + t2 + scale_rate_prod.reciprocal()


@register_kl(Gamma, Gumbel)
def _gamma_gumbel(p, q):
    beta_scale_prod = p.rate * q.scale
    loc_scale_ratio = q.loc / q.scale
    a = p.concentration
    t1 = (a - 1) * torch.digamma(a) - torch.lgamma(a) - a
    t2 = torch.log(beta_scale_prod) + a / beta_scale_prod
    t3 = torch.exp(loc_scale_ratio) * (1 + beta_scale_prod.reciprocal()) ** (-a) \
        - loc_scale_ratio
    return t1 + t2 + t3


@register_kl(Gumbel, Normal)
def _gumbel_normal(p, q):
    ratio = p.scale / q.scale
    t1 = torch.log(ratio / math.sqrt(2 * math.pi))
    t2 = (math.pi * ratio * 0.5) ** 2 / 3
    t3 = ((p.loc + p.scale * _EULER - q.loc) / q.scale) ** 2 * 0.5
    return -t1 + t2 + t3 - (_EULER + 1)


@register_kl(Normal, Gumbel)
def _normal_gumbel(p, q):
    mean_scale_ratio = p.loc / q.scale
    var_scale_sqr_ratio = (p.scale / q.scale) ** 2
    loc_scale_ratio = q.loc / q.scale
    t1 = torch.log(var_scale_sqr_ratio) * 0.5
    t2 = mean_scale_ratio - loc_scale_ratio
    t3 = torch.exp(-mean_scale_ratio + 0.5 * var_scale_sqr_ratio + loc_scale_ratio)
    return -t1 + t2 + t3 - (0.5 * (1 + math.log(2 * math.pi)))


@register_kl(Pareto, Exponential)
def _pareto_exponential(p, q):
    scale_rate_prod = p.scale * q.rate
    result = (torch.log(p.alpha / scale_rate_prod) - p.alpha.reciprocal()
              + p.alpha * scale_rate_prod / (p.alpha - 1) - 1)
    return _inf_where(p.alpha <= 1, result)


@register_kl(Pareto, Gamma)
def _pareto_gamma(p, q):
    common = torch.log(p.scale) + p.alpha.reciprocal()
    t1 = torch.log(p.alpha) - common
    t2 = torch.lgamma(q.concentration) - q.concentration * torch.log(q.rate)
    t3 = (1 - q.concentration) * common
    t4 = q.rate * p.alpha * p.scale / (p.alpha - 1)
    return _inf_where(p.alpha <= 1, t1 + t2 + t3 + t4 - 1)


@register_kl(Pareto, Normal)
def _pareto_normal(p, q):
    var_normal = 2 * q.scale ** 2
    common = p.scale / (p.alpha - 1)
    t1 = torch.log(math.sqrt(2 * math.pi) * q.scale * p.alpha / p.scale)
    t2 = p.alpha.reciprocal()
    t3 = p.alpha * common ** 2 / (p.alpha - 2)
    t4 = (p.alpha * common - q.loc) ** 2
    return _inf_where(p.alpha <= 2, t1 - t2 + (t3 + t4) / var_normal - 1)


@register_kl(Uniform, Gumbel)
def _uniform_gumbel(p, q):
    common = q.scale / (p.high - p.low)
    high_loc_diff = (p.high - q.loc) / q.scale
    low_loc_diff = (p.low - q.loc) / q.scale
    t1 = torch.log(common) + 0.5 * (high_loc_diff + low_loc_diff)
    t2 = common * (torch.exp(-high_loc_diff) - torch.exp(-low_loc_diff))
    return t1 - t2


@register_kl(Uniform, Pareto)
def _uniform_pareto(p, q):
    width = p.high - p.low
    t1 = torch.log(q.alpha * q.scale ** q.alpha * width)
    t2 = (p.high * torch.log(p.high) - p.low * torch.log(p.low) - width) / width
    return _inf_where(p.low < q.scale, t2 * (q.alpha + 1) - t1)


# ------------------------------------------- pairs of different families (PyTorch's set)
# KL(p || q) = -H(p) - E_p[log q]: log q is linear in a few statistics of x (x, x^2,
# log x, log(1 - x), |x - m|), whose expectations under p are known in closed form. Where
# q gives zero density on part of p's support, KL is infinite.
def _second_moment(p):
    return p.variance + p.mean ** 2


def _cross_normal(p, q, second=None):
    """-E_p[log q] for a normal q, from p's first two moments."""
    second = _second_moment(p) if second is None else second
    return (torch.log(q.scale) + 0.5 * math.log(2 * math.pi)
            + (second - 2 * q.loc * p.mean + q.loc ** 2) / (2 * q.scale ** 2))


def _cross_exponential(p, q):
    return -torch.log(q.rate) + q.rate * p.mean


def _cross_gamma(p, q, mean_log):
    return (-q.concentration * torch.log(q.rate) + torch.lgamma(q.concentration)
            - (q.concentration - 1) * mean_log + q.rate * p.mean)


def _beta_mean_logs(p):
    """(E[log x], E[log(1 - x)]) under Beta(a, b)."""
    total = torch.digamma(p.concentration1 + p.concentration0)
    return torch.digamma(p.concentration1) - total, torch.digamma(p.concentration0) - total


def _uniform_mean_log(low, high):
    """E[log x] for x uniform on [low, high], 0 <= low < high."""
    return (torch.xlogy(high, high) - high - torch.xlogy(low, low) + low) / (high - low)


@register_kl(Bernoulli, Poisson)
def _bernoulli_poisson(p, q):
    return -p.entropy() - (p.probs * torch.log(q.rate) - q.rate)


@register_kl(Beta, Exponential)
def _beta_exponential(p, q):
    return -p.entropy() + _cross_exponential(p, q)


@register_kl(Beta, Gamma)
def _beta_gamma(p, q):
    return -p.entropy() + _cross_gamma(p, q, _beta_mean_logs(p)[0])


@register_kl(Beta, Normal)
def _beta_normal(p, q):
    return -p.entropy() + _cross_normal(p, q)


@register_kl(Beta, Uniform)
def _beta_uniform(p, q):
    result = -p.entropy() + torch.log(q.high - q.low)
    return _inf_where((q.low > 0) | (q.high < 1), result)


@register_kl(Cauchy, Cauchy)
def _cauchy_cauchy(p, q):
    # log(((g_p + g_q)^2 + (m_p - m_q)^2) / (4 g_p g_q))
    return torch.log(((p.scale + q.scale) ** 2 + (p.loc - q.loc) ** 2)
                     / (4 * p.scale * q.scale))


@register_kl(Exponential, Gamma)
def _exponential_gamma(p, q):
    return -p.entropy() + _cross_gamma(p, q, -_EULER - torch.log(p.rate))


@register_kl(Exponential, Normal)
def _exponential_normal(p, q):
    return -p.entropy() + _cross_normal(p, q)


@register_kl(Gamma, Exponential)
def _gamma_exponential(p, q):
    return -p.entropy() + _cross_exponential(p, q)


@register_kl(Gamma, Normal)
def _gamma_normal(p, q):
    return -p.entropy() + _cross_normal(p, q)


@register_kl(Laplace, Normal)
def _laplace_normal(p, q):
    return -p.entropy() + _cross_normal(p, q)


@register_kl(Normal, Laplace)
def _normal_laplace(p, q):
    # E|x - m| under N(mu, s): s sqrt(2/pi) e^{-d^2 / 2 s^2} + d erf(d / (s sqrt 2)), d = mu - m
    d = p.loc - q.loc
    folded = (p.scale * math.sqrt(2 / math.pi) * torch.exp(-0.5 * (d / p.scale) ** 2)
              + d * torch.erf(d / (p.scale * math.sqrt(2))))
    return -p.entropy() + torch.log(2 * q.scale) + folded / q.scale


@register_kl(Uniform, Beta)
def _uniform_beta(p, q):
    a, b = q.concentration1, q.concentration0
    inside = torch.clamp(p.low, min=0), torch.clamp(p.high, max=1)
    mean_log = _uniform_mean_log(*inside)
    mean_log1m = _uniform_mean_log(1 - inside[1], 1 - inside[0])
    log_beta = torch.lgamma(a) + torch.lgamma(b) - torch.lgamma(a + b)
    result = -p.entropy() + log_beta - (a - 1) * mean_log - (b - 1) * mean_log1m
    return _inf_where((p.low < 0) | (p.high > 1), result)


@register_kl(Uniform, Exponential)
def _uniform_exponential(p, q):
    return _inf_where(p.low < 0, -p.entropy() + _cross_exponential(p, q))


@register_kl(Uniform, Gamma)
def _uniform_gamma(p, q):
    mean_log = _uniform_mean_log(torch.clamp(p.low, min=0), p.high)
    return _inf_where(p.low < 0, -p.entropy() + _cross_gamma(p, q, mean_log))


@register_kl(Uniform, Normal)
def _uniform_normal(p, q):
    return -p.entropy() + _cross_normal(p, q)


@register_kl(TransformedDistribution, TransformedDistribution)
def _transformed_transformed(p, q):
    if p.transforms != q.transforms or p.event_shape != q.event_shape:
        raise NotImplementedError("kl_divergence: two transformed distributions need the "
                                  "same transforms and event shape")
    return kl_divergence(p.base_dist, q.base_dist)


# q has no density on part of p's support: infinite.
for _pair in [(Exponential, Beta), (Exponential, ContinuousBernoulli), (Exponential, Pareto),
              (Exponential, Uniform), (Gamma, Beta), (Gamma, ContinuousBernoulli),
              (Gamma, Pareto), (Gamma, Uniform), (Laplace, Beta), (Laplace, ContinuousBernoulli),
              (Laplace, Exponential), (Laplace, Gamma), (Laplace, Pareto), (Laplace, Uniform),
              (Normal, Beta), (Normal, ContinuousBernoulli), (Normal, Exponential),
              (Normal, Gamma), (Normal, Pareto), (Normal, Uniform), (Poisson, Bernoulli),
              (Poisson, Binomial)]:
    register_kl(*_pair)(_kl_infinity)
