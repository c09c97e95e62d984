"""Univariate continuous families: Normal, LogNormal, HalfNormal, Uniform, Exponential,
Laplace, Cauchy, StudentT, Gamma, Chi2, Beta, with PyTorch's parameters and formulas.

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

from . import constraints
from .distribution import Distribution, broadcast_all, rng, tensor_like

__all__ = ["Beta", "Cauchy", "Chi2", "Exponential", "Gamma", "HalfNormal", "Laplace",
           "LogNormal", "Normal", "StudentT", "Uniform"]

_LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))


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


class HalfNormal(Distribution):
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

    def cdf(self, value):
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, value):
        return self.base_dist.icdf((value + 1) / 2)

    def entropy(self):
        return self.base_dist.entropy() - math.log(2)


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
        return (self.concentration1 - 1) / (self.concentration1 + self.concentration0 - 2)

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
