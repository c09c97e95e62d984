"""The exponential distribution (scipy.stats.expon's signatures: x, loc, scale).

On z = (x - loc)/scale >= 0: logpdf = -z - log(scale), logsf = -z exactly, sf = e^-z,
cdf = -expm1(-z) (no 1 - e^-z cancellation near loc) and logcdf = log(1 - e^-z) through
log1mexp (log(-expm1(-z)) near loc, log1p(-e^-z) in the tail); below loc they are SciPy's
constants -inf, 0, 0, -inf, 1, 0. ppf = loc - scale log1p(-q), isf = loc - scale log(q),
entropy = 1 + log(scale). Differentiable in x, loc and scale to any order; the density
jumps at x = loc, where the gradient is the one-sided one from inside the support.
"""

from __future__ import annotations

import numpy as np

from ... import primitives as P
from .common import (
    composite,
    inside,
    log1mexp,
    log_scale,
    positive_or_one,
    positive_scale,
    quantile,
    standardize,
    values,
    when,
)

__all__ = ["cdf", "entropy", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]


def _standardized(x, loc, scale):
    """z, and the mask of the points in the support z >= 0; outside it z is replaced by 0
    (a NaN x stays in, so that its result is NaN, as SciPy's)."""
    z = standardize(x, loc, positive_or_one(scale))
    support = ~(values(z) < 0)
    return inside(support, z, 0.0), support


@composite
def logpdf(x, loc=0.0, scale=1.0):
    """log of the density e^-z / scale, -inf below loc."""
    z, support = _standardized(x, loc, scale)
    return positive_scale(when(support, -z - log_scale(scale), -np.inf), scale)


@composite
def pdf(x, loc=0.0, scale=1.0):
    """The density, exp(logpdf)."""
    return P.exp(logpdf(x, loc, scale))


@composite
def cdf(x, loc=0.0, scale=1.0):
    """P(X <= x) = -expm1(-z), 0 below loc."""
    z, support = _standardized(x, loc, scale)
    return positive_scale(when(support, -P.expm1(-z), 0.0), scale)


@composite
def logcdf(x, loc=0.0, scale=1.0):
    """log P(X <= x) = log(1 - e^-z): log(z) near loc, -e^-z in the tail; -inf at and
    below loc."""
    z, support = _standardized(x, loc, scale)
    above = support & ~(values(z) == 0)
    return positive_scale(when(above, log1mexp(-inside(above, z, 1.0)), -np.inf), scale)


@composite
def sf(x, loc=0.0, scale=1.0):
    """P(X > x) = e^-z, 1 below loc."""
    z, support = _standardized(x, loc, scale)
    return positive_scale(when(support, P.exp(-z), 1.0), scale)


@composite
def logsf(x, loc=0.0, scale=1.0):
    """log P(X > x) = -z exactly, 0 below loc."""
    z, support = _standardized(x, loc, scale)
    return positive_scale(when(support, -z, 0.0), scale)


@composite
def ppf(q, loc=0.0, scale=1.0):
    """The quantile function loc - scale log1p(-q): loc at q = 0, inf at q = 1."""
    z = quantile(q, lambda p: -P.log1p(-p), 0.0, np.inf)
    return positive_scale(loc + positive_or_one(scale) * z, scale)


@composite
def isf(q, loc=0.0, scale=1.0):
    """The inverse survival function loc - scale log(q): inf at q = 0, loc at q = 1."""
    z = quantile(q, lambda p: -P.log(p), np.inf, 0.0)
    return positive_scale(loc + positive_or_one(scale) * z, scale)


@composite
def entropy(loc=0.0, scale=1.0):
    """Differential entropy 1 + log(scale); loc does not enter."""
    return positive_scale(1.0 + log_scale(scale) + 0 * loc, scale)
