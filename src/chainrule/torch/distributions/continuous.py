"""Univariate continuous families: Normal, LogNormal, HalfNormal, Uniform, Exponential,
Laplace, Cauchy, StudentT, Gamma, Chi2, Beta, FisherSnedecor, ContinuousBernoulli, VonMises,
GeneralizedPareto, and the transformed ones (Weibull, Gumbel, Pareto, HalfCauchy,
InverseGamma, Kumaraswamy: PyTorch's base distributions and transforms, so their log_prob,
cdf and icdf go through TransformedDistribution as PyTorch's do), with PyTorch's
parameters and formulas. VonMises's normalizer is PyTorch's polynomial approximation of
log I0 (relative error about 1e-7), so its log_prob is PyTorch's, not the exact one.

Normal, LogNormal, HalfNormal, Uniform, Exponential, Laplace, Cauchy: ``rsample``
transforms a standard draw by the parameters. Gamma and Beta (and Chi2, Dirichlet):
``rsample`` is an implicit reparameterization, as PyTorch's: the draw x of Gamma(a, 1)
carries the gradient dx/da = -(dF/da) / f(x) of its CDF F = gammainc(a, x) (chainrule
differentiates gammainc in a).
"""

from __future__ import annotations

import math

import numpy as np

import chainrule.torch as torch
import chainrule.torch.nn.functional as F

from . import constraints
from .distribution import Distribution, broadcast_all, rng, tensor_like
from .transforms import (
    AbsTransform,
    AffineTransform,
    ExpTransform,
    PowerTransform,
    TransformedDistribution,
)

__all__ = ["Beta", "Cauchy", "Chi2", "ContinuousBernoulli", "Exponential", "FisherSnedecor",
           "Gamma", "GeneralizedPareto", "Gumbel", "HalfCauchy", "HalfNormal", "InverseGamma",
           "Kumaraswamy", "Laplace", "LogNormal", "Normal", "Pareto", "StudentT", "Uniform",
           "VonMises", "Weibull"]

_LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))
_EULER = 0.57721566490153286060


def _constant(like, value):
    """A tensor of `value` shaped and typed as `like`, outside the graph (a mean that does
    not exist is NaN whatever the parameters: no gradient flows from it)."""
    return torch.full(tuple(like.shape), value, dtype=like.dtype)


def _tiny(dtype):
    return float(np.finfo(dtype).tiny)


def _eps(dtype):
    return float(np.finfo(dtype).eps)


class _LocationScale(Distribution):
    """loc + scale * a standard draw (Normal, Laplace, Cauchy): their parameters, checks
    and mode, and rsample from ``_standard(shape)``, the standard draws as an array."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    def _standard(self, shape):
        raise NotImplementedError

    def rsample(self, sample_shape=()):
        eps = tensor_like(self._standard(self._extended_shape(sample_shape)), self.loc)
        return self.loc + eps * self.scale


class Normal(_LocationScale):
    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.scale ** 2

    def _standard(self, shape):
        return rng().standard_normal(shape)

    def log_prob(self, value):
        self._validate_sample(value)
        var = self.scale ** 2
        return -((value - self.loc) ** 2) / (2 * var) - torch.log(self.scale) - _LOG_SQRT_2PI

    def cdf(self, value):
        self._validate_sample(value)
        return 0.5 * (1 + torch.erf((value - self.loc) / (self.scale * math.sqrt(2))))

    def icdf(self, value):
        return self.loc + self.scale * torch.erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + torch.log(self.scale)


class LogNormal(Distribution):
    """exp(Normal(loc, scale))."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.base_dist = Normal(loc, scale, validate_args=validate_args)
        self.loc, self.scale = self.base_dist.loc, self.base_dist.scale
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def mean(self):
        return torch.exp(self.loc + self.scale ** 2 / 2)

    @property
    def mode(self):
        return torch.exp(self.loc - self.scale ** 2)

    @property
    def variance(self):
        s2 = self.scale ** 2
        return torch.expm1(s2) * torch.exp(2 * self.loc + s2)

    def rsample(self, sample_shape=()):
        return torch.exp(self.base_dist.rsample(sample_shape))

    def log_prob(self, value):
        self._validate_sample(value)
        y = torch.log(value)
        return self.base_dist.log_prob(y) - y

    def cdf(self, value):
        return self.base_dist.cdf(torch.log(value))

    def icdf(self, value):
        return torch.exp(self.base_dist.icdf(value))

    def entropy(self):
        return self.base_dist.entropy() + self.loc


class _FoldedAtZero:
    """|X| for X symmetric about 0 (``self.base_dist``): the distribution function, its
    inverse and the entropy from X's (the density is twice X's on [0, inf))."""

    def cdf(self, value):
        self._validate_sample(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, prob):
        return self.base_dist.icdf((prob + 1) / 2)

    def entropy(self):
        return self.base_dist.entropy() - math.log(2)


class HalfNormal(_FoldedAtZero, Distribution):
    """|Normal(0, scale)|."""

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale, validate_args=None):
        (self.scale,) = broadcast_all(scale)
        self.base_dist = Normal(torch.zeros_like(self.scale), self.scale, validate_args=False)
        super().__init__(self.scale.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def mode(self):
        return torch.zeros_like(self.scale)

    @property
    def variance(self):
        return self.scale ** 2 * (1 - 2 / math.pi)

    def rsample(self, sample_shape=()):
        return torch.abs(self.base_dist.rsample(sample_shape))

    def log_prob(self, value):
        self._validate_sample(value)
        return self.base_dist.log_prob(value) + math.log(2)


class Uniform(Distribution):
    arg_constraints = {"low": constraints.real, "high": constraints.real}
    has_rsample = True

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = broadcast_all(low, high)
        if (validate_args if validate_args is not None else Distribution._validate_default) \
                and not bool(np.all((self.low < self.high)._data)):
            raise ValueError(f"Uniform: low must be below high, got low={self.low}, "
                             f"high={self.high}")
        super().__init__(self.low.shape, validate_args=validate_args)

    @property
    def support(self):
        return constraints.half_open_interval(self.low, self.high)

    @property
    def mean(self):
        return (self.high + self.low) / 2

    @property
    def mode(self):
        return _constant(self.high, float("nan"))

    @property
    def variance(self):
        return (self.high - self.low) ** 2 / 12

    def rsample(self, sample_shape=()):
        u = tensor_like(rng().random(self._extended_shape(sample_shape)), self.low)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value):
        self._validate_sample(value)
        inside = ((self.low <= value) & (value < self.high)).to(self.low.dtype)
        return torch.log(inside) - torch.log(self.high - self.low)

    def cdf(self, value):
        return torch.clamp((value - self.low) / (self.high - self.low), 0, 1)

    def icdf(self, value):
        return value * (self.high - self.low) + self.low

    def entropy(self):
        return torch.log(self.high - self.low)


class Exponential(Distribution):
    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def mean(self):
        return 1 / self.rate

    @property
    def mode(self):
        return torch.zeros_like(self.rate)

    @property
    def variance(self):
        return self.rate ** -2

    def rsample(self, sample_shape=()):
        e = tensor_like(rng().standard_exponential(self._extended_shape(sample_shape)),
                        self.rate)
        return e / self.rate

    def log_prob(self, value):
        self._validate_sample(value)
        return torch.log(self.rate) - self.rate * value

    def cdf(self, value):
        return 1 - torch.exp(-self.rate * value)

    def icdf(self, value):
        return -torch.log1p(-value) / self.rate

    def entropy(self):
        return 1.0 - torch.log(self.rate)


class Laplace(_LocationScale):
    @property
    def variance(self):
        return 2 * self.scale ** 2

    @property
    def stddev(self):
        return math.sqrt(2) * self.scale

    def rsample(self, sample_shape=()):
        lo = np.nextafter(-1.0, 0.0, dtype=self.loc.dtype)
        u = tensor_like(rng().uniform(lo, 1.0, self._extended_shape(sample_shape)), self.loc)
        return self.loc - self.scale * torch.sign(u) * torch.log1p(-torch.abs(u))

    def log_prob(self, value):
        self._validate_sample(value)
        return -torch.log(2 * self.scale) - torch.abs(value - self.loc) / self.scale

    def cdf(self, value):
        z = value - self.loc
        return 0.5 - 0.5 * torch.sign(z) * torch.expm1(-torch.abs(z) / self.scale)

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * torch.sign(term) * torch.log1p(-2 * torch.abs(term))

    def entropy(self):
        return 1 + torch.log(2 * self.scale)


class Cauchy(_LocationScale):
    @property
    def mean(self):
        return _constant(self.loc, float("nan"))

    @property
    def variance(self):
        return _constant(self.loc, float("inf"))

    def _standard(self, shape):
        return rng().standard_cauchy(shape)

    def log_prob(self, value):
        self._validate_sample(value)
        return (-math.log(math.pi) - torch.log(self.scale)
                - torch.log1p(((value - self.loc) / self.scale) ** 2))

    def cdf(self, value):
        return torch.atan((value - self.loc) / self.scale) / math.pi + 0.5

    def icdf(self, value):
        return torch.tan(math.pi * (value - 0.5)) * self.scale + self.loc

    def entropy(self):
        return math.log(4 * math.pi) + torch.log(self.scale)


def _standard_gamma(alpha, shape):
    """Draws of Gamma(alpha, 1) of `shape`, differentiable in alpha (module docstring)."""
    a = alpha.expand(shape)
    x = rng().standard_gamma(np.asarray(a.detach().numpy(), np.float64))
    x = tensor_like(np.maximum(x, _tiny(alpha.dtype)), alpha)
    if not a.requires_grad:
        return x
    cdf = torch.special.gammainc(a, x)
    with torch.no_grad():
        density = torch.exp((a - 1) * torch.log(x) - x - torch.lgamma(a))
    return x - (cdf - cdf.detach()) / density


class Gamma(Distribution):
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return torch.clamp(self.concentration - 1, min=0) / self.rate

    @property
    def variance(self):
        return self.concentration / self.rate ** 2

    def rsample(self, sample_shape=()):
        x = _standard_gamma(self.concentration, self._extended_shape(sample_shape))
        return torch.clamp(x / self.rate, min=_tiny(self.rate.dtype))

    def log_prob(self, value):
        self._validate_sample(value)
        a, b = self.concentration, self.rate
        return torch.xlogy(a, b) + torch.xlogy(a - 1, value) - b * value - torch.lgamma(a)

    def cdf(self, value):
        return torch.special.gammainc(self.concentration, self.rate * value)

    def entropy(self):
        a = self.concentration
        return a - torch.log(self.rate) + torch.lgamma(a) + (1.0 - a) * torch.digamma(a)


class Chi2(Gamma):
    """Gamma(df / 2, 1 / 2)."""

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        (self.df,) = broadcast_all(df)
        super().__init__(self.df * 0.5, torch.full_like(self.df, 0.5),
                         validate_args=validate_args)


class StudentT(Distribution):
    arg_constraints = {"df": constraints.positive, "loc": constraints.real,
                       "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        super().__init__(self.df.shape, validate_args=validate_args)

    @property
    def mean(self):
        return torch.where(self.df > 1, self.loc, _constant(self.loc, float("nan")))

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        safe = torch.where(self.df > 2, self.df, _constant(self.df, 3.0))
        v = self.scale ** 2 * safe / (safe - 2)
        return torch.where(self.df > 2, v, torch.where(
            self.df > 1, _constant(v, float("inf")), _constant(v, float("nan"))))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        z = tensor_like(rng().standard_normal(shape), self.df)
        chi2 = 2 * _standard_gamma(0.5 * self.df, shape)
        return self.loc + self.scale * z * torch.rsqrt(chi2 / self.df)

    def log_prob(self, value):
        self._validate_sample(value)
        y = (value - self.loc) / self.scale
        z = (torch.log(self.scale) + 0.5 * torch.log(self.df) + 0.5 * math.log(math.pi)
             + torch.lgamma(0.5 * self.df) - torch.lgamma(0.5 * (self.df + 1.0)))
        return -0.5 * (self.df + 1.0) * torch.log1p(y ** 2 / self.df) - z

    def entropy(self):
        half = 0.5 * (self.df + 1)
        lbeta = torch.lgamma(0.5 * self.df) + math.lgamma(0.5) - torch.lgamma(half)
        return (torch.log(self.scale) + half * (torch.digamma(half) - torch.digamma(0.5 * self.df))
                + 0.5 * torch.log(self.df) + lbeta)


def dirichlet_mode(concentration):
    """The mode of Dirichlet(concentration) (Beta's is its first entry): the clamped
    concentrations minus one, normalised; where every concentration is below 1 the
    density is largest at the corners, and PyTorch names the first."""
    c = torch.clamp(concentration - 1, min=0)
    mode = c / c.sum(-1, keepdim=True)
    corner = (concentration < 1).all(dim=-1, keepdim=True)
    first = torch.zeros_like(mode)
    first[..., 0] = 1
    return torch.where(corner, first, mode)


class Beta(Distribution):
    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        super().__init__(self.concentration1.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        both = torch.stack([self.concentration1, self.concentration0], -1)
        return dirichlet_mode(both)[..., 0]

    @property
    def variance(self):
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total ** 2 * (total + 1))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        x = _standard_gamma(self.concentration1, shape)
        y = _standard_gamma(self.concentration0, shape)
        eps = _eps(self.concentration1.dtype)
        return torch.clamp(x / (x + y), eps, 1 - eps)

    def log_prob(self, value):
        self._validate_sample(value)
        a, b = self.concentration1, self.concentration0
        return (torch.xlogy(a - 1, value) + torch.xlogy(b - 1, 1 - value)
                + torch.lgamma(a + b) - torch.lgamma(a) - torch.lgamma(b))

    def entropy(self):
        a, b = self.concentration1, self.concentration0
        total = a + b
        return (torch.lgamma(a) + torch.lgamma(b) - torch.lgamma(total)
                - (a - 1) * torch.digamma(a) - (b - 1) * torch.digamma(b)
                + (total - 2) * torch.digamma(total))


class FisherSnedecor(Distribution):
    """F(df1, df2): the ratio of Gamma(df1 / 2, df1) and Gamma(df2 / 2, df2) draws."""

    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1, df2, validate_args=None):
        self.df1, self.df2 = broadcast_all(df1, df2)
        self._gamma1 = Gamma(self.df1 * 0.5, self.df1, validate_args=False)
        self._gamma2 = Gamma(self.df2 * 0.5, self.df2, validate_args=False)
        super().__init__(self.df1.shape, validate_args=validate_args)

    @property
    def mean(self):
        df2 = torch.where(self.df2 <= 2, _constant(self.df2, float("nan")), self.df2)
        return df2 / (df2 - 2)

    @property
    def mode(self):
        mode = (self.df1 - 2) / self.df1 * self.df2 / (self.df2 + 2)
        return torch.where(self.df1 <= 2, _constant(mode, float("nan")), mode)

    @property
    def variance(self):
        df2 = torch.where(self.df2 <= 4, _constant(self.df2, float("nan")), self.df2)
        return 2 * df2 ** 2 * (self.df1 + df2 - 2) / (self.df1 * (df2 - 2) ** 2 * (df2 - 4))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        x1 = self._gamma1.rsample(sample_shape).reshape(shape)
        x2 = self._gamma2.rsample(sample_shape).reshape(shape)
        tiny = _tiny(x2.dtype)
        return torch.clamp(x1 / torch.clamp(x2, min=tiny), min=tiny)

    def log_prob(self, value):
        self._validate_sample(value)
        ct1, ct2, ct3 = self.df1 * 0.5, self.df2 * 0.5, self.df1 / self.df2
        t1 = torch.lgamma(ct1 + ct2) - torch.lgamma(ct1) - torch.lgamma(ct2)
        t2 = ct1 * torch.log(ct3) + (ct1 - 1) * torch.log(value)
        t3 = (ct1 + ct2) * torch.log1p(ct3 * value)
        return t1 + t2 - t3


class ContinuousBernoulli(Distribution):
    """The continuous Bernoulli on [0, 1] (Loaiza-Ganem and Cunningham 2019): density
    proportional to probs^x (1 - probs)^(1 - x); Taylor expansions inside ``lims``
    around probs = 1/2, as PyTorch. ``rsample`` is the icdf of a uniform draw."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            (p,) = broadcast_all(probs)
            if validate_args is not None and \
                    not bool(np.all(self.arg_constraints["probs"].check(p)._data)):
                raise ValueError("The parameter probs has invalid values")
            p = _clamp_unit(p)
            self.__dict__["probs"] = p
            lg = torch.log(p) - torch.log1p(-p)
        else:
            (lg,) = broadcast_all(logits)
            self.__dict__["logits"] = lg
            p = _clamp_unit(torch.sigmoid(lg))
        self._p, self._logits, self._lims = p, lg, lims
        super().__init__(p.shape, validate_args=validate_args)

    probs = property(lambda self: self._p)
    logits = property(lambda self: self._logits)
    param_shape = property(lambda self: self._p.shape)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        if "probs" in self.__dict__:
            new = ContinuousBernoulli(probs=self._p.expand(shape), lims=self._lims,
                                      validate_args=False)
        else:
            new = ContinuousBernoulli(logits=self._logits.expand(shape), lims=self._lims,
                                      validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _outside_unstable_region(self):
        return (self._p <= self._lims[0]) | (self._p > self._lims[1])

    def _cut_probs(self):
        return torch.where(self._outside_unstable_region(), self._p,
                           self._lims[0] * torch.ones_like(self._p))

    def _cont_bern_log_norm(self):
        cut = self._cut_probs()
        below = torch.where(cut <= 0.5, cut, torch.zeros_like(cut))
        above = torch.where(cut >= 0.5, cut, torch.ones_like(cut))
        log_norm = torch.log(torch.abs(torch.log1p(-cut) - torch.log(cut))) - torch.where(
            cut <= 0.5, torch.log1p(-2.0 * below), torch.log(2.0 * above - 1.0))
        x = (self._p - 0.5) ** 2
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return torch.where(self._outside_unstable_region(), log_norm, taylor)

    @property
    def mean(self):
        cut = self._cut_probs()
        mus = cut / (2.0 * cut - 1.0) + 1.0 / (torch.log1p(-cut) - torch.log(cut))
        x = self._p - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x ** 2) * x
        return torch.where(self._outside_unstable_region(), mus, taylor)

    @property
    def stddev(self):
        return torch.sqrt(self.variance)

    @property
    def variance(self):
        cut = self._cut_probs()
        v = cut * (cut - 1.0) / (1.0 - 2.0 * cut) ** 2 \
            + 1.0 / (torch.log1p(-cut) - torch.log(cut)) ** 2
        x = (self._p - 0.5) ** 2
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return torch.where(self._outside_unstable_region(), v, taylor)

    def sample(self, sample_shape=()):
        with torch.no_grad():
            return self.rsample(sample_shape).detach()

    def rsample(self, sample_shape=()):
        u = tensor_like(rng().random(self._extended_shape(sample_shape)), self._p)
        return self.icdf(u)

    def log_prob(self, value):
        self._validate_sample(value)
        logits, value = broadcast_all(self._logits, value)
        return (-F.binary_cross_entropy_with_logits(logits, value, reduction="none")
                + self._cont_bern_log_norm())

    def cdf(self, value):
        self._validate_sample(value)
        cut = self._cut_probs()
        cdfs = (cut ** value * (1.0 - cut) ** (1.0 - value) + cut - 1.0) / (2.0 * cut - 1.0)
        unbounded = torch.where(self._outside_unstable_region(), cdfs, value)
        return torch.where(value <= 0.0, torch.zeros_like(value),
                           torch.where(value >= 1.0, torch.ones_like(value), unbounded))

    def icdf(self, value):
        cut = self._cut_probs()
        return torch.where(
            self._outside_unstable_region(),
            (torch.log1p(-cut + value * (2.0 * cut - 1.0)) - torch.log1p(-cut))
            / (torch.log(cut) - torch.log1p(-cut)),
            value)

    def entropy(self):
        log_probs0 = torch.log1p(-self._p)
        log_probs1 = torch.log(self._p)
        return self.mean * (log_probs0 - log_probs1) - self._cont_bern_log_norm() - log_probs0


def _clamp_unit(p):
    eps = _eps(p.dtype)
    return torch.clamp(p, eps, 1 - eps)


_I0_COEF_SMALL = [1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.360768e-1, 0.45813e-2]
_I0_COEF_LARGE = [0.39894228, 0.1328592e-1, 0.225319e-2, -0.157565e-2, 0.916281e-2,
                  -0.2057706e-1, 0.2635537e-1, -0.1647633e-1, 0.392377e-2]
_I1_COEF_SMALL = [0.5, 0.87890594, 0.51498869, 0.15084934, 0.2658733e-1, 0.301532e-2,
                  0.32411e-3]
_I1_COEF_LARGE = [0.39894228, -0.3988024e-1, -0.362018e-2, 0.163801e-2, -0.1031555e-1,
                  0.2282967e-1, -0.2895312e-1, 0.1787654e-1, -0.420059e-2]


def _eval_poly(y, coef):
    coef = list(coef)
    result = coef.pop()
    while coef:
        result = coef.pop() + y * result
    return result


def _log_modified_bessel_fn(x, order=0):
    """log I_order(x), order 0 or 1, x > 0: PyTorch's polynomial approximation."""
    y = (x / 3.75) ** 2
    small = _eval_poly(y, (_I0_COEF_SMALL, _I1_COEF_SMALL)[order])
    if order == 1:
        small = torch.abs(x) * small
    small = torch.log(small)
    y = 3.75 / x
    large = x - 0.5 * torch.log(x) + torch.log(_eval_poly(y, (_I0_COEF_LARGE,
                                                              _I1_COEF_LARGE)[order]))
    return torch.where(x < 3.75, small, large)


class VonMises(Distribution):
    """The circular von Mises distribution: loc and values are angles (radians, any real,
    read modulo 2 pi). Draws by Best and Fisher's rejection sampler in float64, as
    PyTorch's, from chainrule.torch's generator (no rsample)."""

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc, concentration, validate_args=None):
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.shape, validate_args=validate_args)

    def log_prob(self, value):
        self._validate_sample(value)
        return (self.concentration * torch.cos(value - self.loc) - math.log(2 * math.pi)
                - _log_modified_bessel_fn(self.concentration, order=0))

    def sample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        loc = np.broadcast_to(self.loc.detach().numpy().astype(np.float64), shape)
        kappa = np.broadcast_to(self.concentration.detach().numpy().astype(np.float64), shape)
        tau = 1 + np.sqrt(1 + 4 * kappa ** 2)
        rho = (tau - np.sqrt(2 * tau)) / (2 * kappa)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(kappa < 1e-5, 1 / kappa + kappa, (1 + rho ** 2) / (2 * rho))
        x = np.zeros(shape)
        done = np.zeros(shape, dtype=bool)
        while not done.all():
            u1, u2, u3 = rng().random((3,) + shape)
            z = np.cos(math.pi * u1)
            f = (1 + r * z) / (r + z)
            c = kappa * (r - f)
            with np.errstate(divide="ignore", invalid="ignore"):
                accept = ((c * (2 - c) - u2) > 0) | (np.log(c / u2) + 1 - c >= 0)
            accept &= ~done
            x = np.where(accept, np.sign(u3 - 0.5) * np.arccos(np.clip(f, -1, 1)), x)
            done |= accept
        return tensor_like((x + math.pi + loc) % (2 * math.pi) - math.pi, self.loc)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        """The circular variance, 1 - I1(kappa) / I0(kappa)."""
        return 1 - torch.exp(_log_modified_bessel_fn(self.concentration, order=1)
                             - _log_modified_bessel_fn(self.concentration, order=0))


class GeneralizedPareto(Distribution):
    """The generalized Pareto distribution (loc, scale, concentration), PyTorch's formulas
    (TensorFlow Probability's); the exponential case where concentration is close to 0."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive,
                       "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args=None):
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        super().__init__(self.loc.shape, validate_args=validate_args)

    def _safe(self):
        c = self.concentration
        eq_zero = torch.isclose(c, torch.zeros_like(c))
        return eq_zero, torch.where(eq_zero, torch.ones_like(c), c)

    def rsample(self, sample_shape=()):
        u = tensor_like(rng().random(self._extended_shape(sample_shape)), self.loc)
        return self.icdf(u)

    def _z(self, x):
        return (x - self.loc) / self.scale

    def log_prob(self, value):
        self._validate_sample(value)
        z = self._z(value)
        eq_zero, safe = self._safe()
        y = 1 / safe + torch.ones_like(z)
        nonzero = torch.where(y == 0, y, y * torch.log1p(safe * z))
        return -torch.log(self.scale) - torch.where(eq_zero, z, nonzero)

    def log_survival_function(self, value):
        self._validate_sample(value)
        z = self._z(value)
        eq_zero, safe = self._safe()
        return torch.where(eq_zero, -z, -torch.log1p(safe * z) / safe)

    def log_cdf(self, value):
        return torch.log1p(-torch.exp(self.log_survival_function(value)))

    def cdf(self, value):
        return torch.exp(self.log_cdf(value))

    def icdf(self, value):
        eq_zero, safe = self._safe()
        logu = torch.log1p(-value)
        nonzero = self.loc + self.scale / safe * torch.expm1(-safe * logu)
        return torch.where(eq_zero, self.loc - self.scale * logu, nonzero)

    @property
    def mean(self):
        valid = self.concentration < 1
        safe = torch.where(valid, self.concentration, _constant(self.concentration, 0.5))
        return torch.where(valid, self.loc + self.scale / (1 - safe),
                           _constant(self.loc, float("nan")))

    @property
    def variance(self):
        valid = self.concentration < 0.5
        safe = torch.where(valid, self.concentration, _constant(self.concentration, 0.25))
        result = self.scale ** 2 / ((1 - safe) ** 2 * (1 - 2 * safe))
        return torch.where(valid, result, _constant(result, float("nan")))

    def entropy(self):
        h = torch.log(self.scale) + self.concentration + 1
        return h.expand(tuple(self.batch_shape))

    @property
    def mode(self):
        return self.loc

    @property
    def support(self):
        negative = self.concentration < 0
        safe = torch.where(negative, self.concentration, _constant(self.concentration, -1.0))
        upper = torch.where(negative, self.loc - self.scale / safe, _constant(self.loc, math.inf))
        return constraints.interval(self.loc.detach(), upper.detach())


class Weibull(TransformedDistribution):
    """scale * E^(1 / concentration), E ~ Exponential(1)."""

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive

    def __init__(self, scale, concentration, validate_args=None):
        self.scale, self.concentration = broadcast_all(scale, concentration)
        self.concentration_reciprocal = self.concentration.reciprocal()
        base = Exponential(torch.ones_like(self.scale), validate_args=validate_args)
        super().__init__(base, [PowerTransform(exponent=self.concentration_reciprocal),
                                AffineTransform(loc=0, scale=self.scale)],
                         validate_args=validate_args)

    @property
    def mean(self):
        return self.scale * torch.exp(torch.lgamma(1 + self.concentration_reciprocal))

    @property
    def mode(self):
        k = self.concentration
        return self.scale * ((k - 1) / k) ** k.reciprocal()

    @property
    def variance(self):
        r = self.concentration_reciprocal
        return self.scale ** 2 * (torch.exp(torch.lgamma(1 + 2 * r))
                                  - torch.exp(2 * torch.lgamma(1 + r)))

    def entropy(self):
        r = self.concentration_reciprocal
        return _EULER * (1 - r) + torch.log(self.scale * r) + 1


class Gumbel(TransformedDistribution):
    """loc - scale * log(-log U), U uniform on (tiny, 1 - eps)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        tiny, eps = _tiny(self.loc.dtype), _eps(self.loc.dtype)
        base = Uniform(torch.full_like(self.loc, tiny), torch.full_like(self.loc, 1 - eps),
                       validate_args=validate_args)
        super().__init__(base, [ExpTransform().inv,
                                AffineTransform(loc=0, scale=-torch.ones_like(self.scale)),
                                ExpTransform().inv, AffineTransform(loc=loc, scale=-self.scale)],
                         validate_args=validate_args)

    def log_prob(self, value):
        self._validate_sample(value)
        y = (self.loc - value) / self.scale
        return (y - torch.exp(y)) - torch.log(self.scale)

    @property
    def mean(self):
        return self.loc + self.scale * _EULER

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return (math.pi / math.sqrt(6)) * self.scale

    @property
    def variance(self):
        return self.stddev ** 2

    def entropy(self):
        return torch.log(self.scale) + (1 + _EULER)


class Pareto(TransformedDistribution):
    """Pareto type I: scale * exp(E), E ~ Exponential(alpha); support [scale, inf)."""

    arg_constraints = {"alpha": constraints.positive, "scale": constraints.positive}

    def __init__(self, scale, alpha, validate_args=None):
        self.scale, self.alpha = broadcast_all(scale, alpha)
        base = Exponential(self.alpha, validate_args=validate_args)
        super().__init__(base, [ExpTransform(), AffineTransform(loc=0, scale=self.scale)],
                         validate_args=validate_args)

    @property
    def mean(self):
        a = torch.clamp(self.alpha, min=1)
        return a * self.scale / (a - 1)

    @property
    def mode(self):
        return self.scale

    @property
    def variance(self):
        a = torch.clamp(self.alpha, min=2)
        return self.scale ** 2 * a / ((a - 1) ** 2 * (a - 2))

    @property
    def support(self):
        return constraints.greater_than_eq(self.scale.detach())

    def entropy(self):
        return torch.log(self.scale / self.alpha) + (1 + self.alpha.reciprocal())


class HalfCauchy(_FoldedAtZero, TransformedDistribution):
    """|Cauchy(0, scale)|."""

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale, validate_args=None):
        base = Cauchy(0, scale, validate_args=False)
        self.scale = base.scale
        super().__init__(base, AbsTransform(), validate_args=validate_args)

    @property
    def mean(self):
        return torch.full(tuple(self._extended_shape()), math.inf, dtype=self.scale.dtype)

    @property
    def mode(self):
        return torch.zeros_like(self.scale)

    @property
    def variance(self):
        return self.base_dist.variance

    def log_prob(self, value):
        self._validate_sample(value)
        value = torch.as_tensor(value, dtype=self.scale.dtype)
        lp = self.base_dist.log_prob(value) + math.log(2)
        return torch.where(value >= 0, lp, _constant(lp, -math.inf))


class InverseGamma(TransformedDistribution):
    """1 / X, X ~ Gamma(concentration, rate)."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        base = Gamma(concentration, rate, validate_args=validate_args)
        self.concentration, self.rate = base.concentration, base.rate
        neg_one = -torch.ones((), dtype=base.rate.dtype)
        super().__init__(base, PowerTransform(neg_one), validate_args=validate_args)

    @property
    def mean(self):
        result = self.rate / (self.concentration - 1)
        return torch.where(self.concentration > 1, result, _constant(result, math.inf))

    @property
    def mode(self):
        return self.rate / (self.concentration + 1)

    @property
    def variance(self):
        result = self.rate ** 2 / ((self.concentration - 1) ** 2 * (self.concentration - 2))
        return torch.where(self.concentration > 2, result, _constant(result, math.inf))

    def entropy(self):
        a = self.concentration
        return a + torch.log(self.rate) + torch.lgamma(a) - (1 + a) * torch.digamma(a)


def _kumaraswamy_moment(a, b, n):
    arg1 = 1 + n / a
    return b * torch.exp(torch.lgamma(arg1) + torch.lgamma(b) - torch.lgamma(arg1 + b))


class Kumaraswamy(TransformedDistribution):
    """(1 - U^(1 / concentration0))^(1 / concentration1), U uniform on [0, 1)."""

    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        base = Uniform(torch.full_like(self.concentration0, 0),
                       torch.full_like(self.concentration0, 1), validate_args=validate_args)
        super().__init__(base, [PowerTransform(exponent=self.concentration0.reciprocal()),
                                AffineTransform(loc=1.0, scale=-1.0),
                                PowerTransform(exponent=self.concentration1.reciprocal())],
                         validate_args=validate_args)

    @property
    def mean(self):
        return _kumaraswamy_moment(self.concentration1, self.concentration0, 1)

    @property
    def mode(self):
        a, b = self.concentration1, self.concentration0
        log_mode = b.reciprocal() * torch.log1p(-b) - torch.log1p(-b * a)
        log_mode = torch.where((b < 1) | (a < 1), _constant(log_mode, float("nan")), log_mode)
        return torch.exp(log_mode)

    @property
    def variance(self):
        return (_kumaraswamy_moment(self.concentration1, self.concentration0, 2)
                - self.mean ** 2)

    def entropy(self):
        t1 = 1 - self.concentration1.reciprocal()
        t0 = 1 - self.concentration0.reciprocal()
        h0 = torch.digamma(self.concentration0 + 1) + _EULER
        return t0 + t1 * h0 - torch.log(self.concentration1) - torch.log(self.concentration0)
