"""The normal distribution N(loc, scale^2) (scipy.stats.norm's functions and signatures).

Every function is a composition of chainrule primitives, so it is differentiable in x,
loc and scale to any order. The tails use log_ndtr (finite for every finite x) rather
than log(ndtr): norm.logcdf(-40) = -804.6, not -inf.
"""

from __future__ import annotations

import math

from ... import primitives as P
from .common import LOG_SQRT_2PI, composite, log_scale, positive_scale, standardize

__all__ = ["cdf", "entropy", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]


@composite
def logpdf(x, loc=0.0, scale=1.0):
    """log of the density: -z^2/2 - log(scale) - log(2 pi)/2, z = (x - loc)/scale."""
    z = standardize(x, loc, scale)
    return positive_scale(-0.5 * (z * z) - log_scale(scale) - LOG_SQRT_2PI, scale)


@composite
def pdf(x, loc=0.0, scale=1.0):
    """The density exp(-z^2/2) / (scale sqrt(2 pi))."""
    return P.exp(logpdf(x, loc, scale))


@composite
def cdf(x, loc=0.0, scale=1.0):
    """P(X <= x) = ndtr(z)."""
    return positive_scale(P.ndtr(standardize(x, loc, scale)), scale)


@composite
def logcdf(x, loc=0.0, scale=1.0):
    """log P(X <= x) = log_ndtr(z), finite for every finite x."""
    return positive_scale(P.log_ndtr(standardize(x, loc, scale)), scale)


@composite
def sf(x, loc=0.0, scale=1.0):
    """P(X > x) = ndtr(-z)."""
    return positive_scale(P.ndtr(-standardize(x, loc, scale)), scale)


@composite
def logsf(x, loc=0.0, scale=1.0):
    """log P(X > x) = log_ndtr(-z)."""
    return positive_scale(P.log_ndtr(-standardize(x, loc, scale)), scale)


@composite
def ppf(q, loc=0.0, scale=1.0):
    """The quantile function loc + scale ndtri(q)."""
    return positive_scale(loc + scale * P.ndtri(q), scale)


@composite
def isf(q, loc=0.0, scale=1.0):
    """The inverse survival function loc - scale ndtri(q)."""
    return positive_scale(loc - scale * P.ndtri(q), scale)


@composite
def entropy(loc=0.0, scale=1.0):
    """Differential entropy log(2 pi e)/2 + log(scale); loc does not enter."""
    return positive_scale(0.5 * math.log(2 * math.pi * math.e) + log_scale(scale) + 0 * loc, scale)
