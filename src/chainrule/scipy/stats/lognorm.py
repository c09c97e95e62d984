"""The log-normal distribution with shape s (scipy.stats.lognorm's signatures: x, s, loc,
scale): log(z) ~ N(0, s^2) for z = (x - loc)/scale > 0.

With y = log z and u = y/s: logpdf = -u^2/2 - log(s) - y - log(2 pi)/2 - log(scale),
cdf = ndtr(u), sf = ndtr(-u), and the logs through log_ndtr (finite in both tails);
at and below z = 0 SciPy's constants (-inf density, cdf 0). ppf = loc + scale
exp(s ndtri(q)), isf = loc + scale exp(-s ndtri(q)), entropy = 1/2 + log(2 pi)/2 +
log(s) + log(scale). Differentiable in x, s, loc and scale to any order.
"""

from __future__ import annotations

import numpy as np

from ... import primitives as P
from .common import (
    LOG_SQRT_2PI,
    composite,
    inside,
    log,
    log_scale,
    positive_or_one,
    positive_scale,
    quantile,
    standardize,
    values,
    when,
)

__all__ = ["cdf", "entropy", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]


def _valid_shape(value, s):
    return when(values(s) > 0, value, float("nan"))



def _log_standardized(x, s, loc, scale):
    """u = log(z)/s and y = log(z) on z > 0, and that mask (z = 0 and below: outside,
    where the branches see z = 1; a NaN x stays in, so its result is NaN)."""
    z = standardize(x, loc, positive_or_one(scale))
    support = ~(values(z) <= 0)
    y = P.log(inside(support, z, 1.0))
    return y / positive_or_one(s), y, support


@composite
def logpdf(x, s, loc=0.0, scale=1.0):
    """log of the density exp(-log(z)^2 / (2 s^2)) / (s z sqrt(2 pi) scale)."""
    u, y, support = _log_standardized(x, s, loc, scale)
    out = -0.5 * (u * u) - log(positive_or_one(s)) - y - LOG_SQRT_2PI - log_scale(scale)
    return _valid_shape(positive_scale(when(support, out, -np.inf), scale), s)


@composite
def pdf(x, s, loc=0.0, scale=1.0):
    """The density, exp(logpdf)."""
    return P.exp(logpdf(x, s, loc, scale))


def _probability(x, s, loc, scale, function, outside):
    u, _, support = _log_standardized(x, s, loc, scale)
    return _valid_shape(positive_scale(when(support, function(u), outside), scale), s)


@composite
def cdf(x, s, loc=0.0, scale=1.0):
    """P(X <= x) = ndtr(log(z)/s), 0 at and below loc."""
    return _probability(x, s, loc, scale, P.ndtr, 0.0)


@composite
def sf(x, s, loc=0.0, scale=1.0):
    """P(X > x) = ndtr(-log(z)/s), 1 at and below loc."""
    return _probability(x, s, loc, scale, lambda u: P.ndtr(-u), 1.0)


@composite
def logcdf(x, s, loc=0.0, scale=1.0):
    """log P(X <= x) = log_ndtr(log(z)/s)."""
    return _probability(x, s, loc, scale, P.log_ndtr, -np.inf)


@composite
def logsf(x, s, loc=0.0, scale=1.0):
    """log P(X > x) = log_ndtr(-log(z)/s)."""
    return _probability(x, s, loc, scale, lambda u: P.log_ndtr(-u), 0.0)


@composite
def ppf(q, s, loc=0.0, scale=1.0):
    """The quantile function loc + scale exp(s ndtri(q)); loc at q = 0, inf at q = 1."""
    z = quantile(q, lambda p: P.exp(positive_or_one(s) * P.ndtri(p)), 0.0, np.inf)
    return _valid_shape(positive_scale(loc + positive_or_one(scale) * z, scale), s)


@composite
def isf(q, s, loc=0.0, scale=1.0):
    """The inverse survival function loc + scale exp(-s ndtri(q))."""
    z = quantile(q, lambda p: P.exp(-positive_or_one(s) * P.ndtri(p)), np.inf, 0.0)
    return _valid_shape(positive_scale(loc + positive_or_one(scale) * z, scale), s)


@composite
def entropy(s, loc=0.0, scale=1.0):
    """Differential entropy 1/2 + log(2 pi)/2 + log(s) + log(scale); loc does not enter."""
    out = 0.5 + LOG_SQRT_2PI + log(positive_or_one(s)) + log_scale(scale) + 0 * loc
    return _valid_shape(positive_scale(out, scale), s)
