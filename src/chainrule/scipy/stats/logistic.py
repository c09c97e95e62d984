"""The logistic distribution (scipy.stats.logistic's signatures: x, loc, scale).

With z = (x - loc)/scale: cdf = expit(z), sf = expit(-z), and in log space
logcdf = -softplus(-z), logsf = -softplus(z), logpdf = -softplus(z) - softplus(-z) -
log(scale): sums of terms of one sign, finite for every finite x (logistic.logcdf(-800)
= -800, not log(0)), smooth at 0. ppf = loc + scale logit(q), with logit(q) =
2 artanh(2q - 1) near q = 1/2 (log q - log1p(-q) would cancel there), isf = loc - scale
logit(q); entropy = 2 + log(scale). Differentiable in x, loc and scale to any order.
"""

from __future__ import annotations

import numpy as np

from ... import primitives as P
from .common import (
    composite,
    inside,
    log_scale,
    positive_or_one,
    positive_scale,
    quantile,
    standardize,
    values,
    when,
)

__all__ = ["cdf", "entropy", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]


def _z(x, loc, scale):
    return standardize(x, loc, positive_or_one(scale))


@composite
def logpdf(x, loc=0.0, scale=1.0):
    """log of the density e^-z / (scale (1 + e^-z)^2) = log expit(z) + log expit(-z) -
    log(scale)."""
    z = _z(x, loc, scale)
    return positive_scale(-P.softplus(z) - P.softplus(-z) - log_scale(scale), scale)


@composite
def pdf(x, loc=0.0, scale=1.0):
    """The density, exp(logpdf)."""
    return P.exp(logpdf(x, loc, scale))


@composite
def cdf(x, loc=0.0, scale=1.0):
    """P(X <= x) = expit(z)."""
    return positive_scale(P.sigmoid(_z(x, loc, scale)), scale)


@composite
def sf(x, loc=0.0, scale=1.0):
    """P(X > x) = expit(-z)."""
    return positive_scale(P.sigmoid(-_z(x, loc, scale)), scale)


@composite
def logcdf(x, loc=0.0, scale=1.0):
    """log P(X <= x) = -softplus(-z)."""
    return positive_scale(-P.softplus(-_z(x, loc, scale)), scale)


@composite
def logsf(x, loc=0.0, scale=1.0):
    """log P(X > x) = -softplus(z)."""
    return positive_scale(-P.softplus(_z(x, loc, scale)), scale)


def _logit(q):
    """log(q / (1 - q)) for 0 < q < 1: 2 artanh(2q - 1) on (1/4, 3/4) (2q - 1 is exact
    there), log(q) - log1p(-q) outside (where the two do not cancel)."""
    middle = (values(q) > 0.25) & (values(q) < 0.75)
    outer = inside(~middle, q, 0.1)
    return when(middle, 2 * P.arctanh(2 * inside(middle, q, 0.5) - 1),
                P.log(outer) - P.log1p(-outer))


@composite
def ppf(q, loc=0.0, scale=1.0):
    """The quantile function loc + scale logit(q); -inf at q = 0, inf at q = 1."""
    z = quantile(q, _logit, -np.inf, np.inf)
    return positive_scale(loc + positive_or_one(scale) * z, scale)


@composite
def isf(q, loc=0.0, scale=1.0):
    """The inverse survival function loc - scale logit(q)."""
    z = quantile(q, lambda p: -_logit(p), np.inf, -np.inf)
    return positive_scale(loc + positive_or_one(scale) * z, scale)


@composite
def entropy(loc=0.0, scale=1.0):
    """Differential entropy 2 + log(scale); loc does not enter."""
    return positive_scale(2.0 + log_scale(scale) + 0 * loc, scale)
