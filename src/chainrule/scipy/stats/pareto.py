"""The Pareto distribution with shape b (scipy.stats.pareto's signatures: x, b, loc,
scale): support z = (x - loc)/scale >= 1, that is x >= loc + scale.

With y = log z >= 0: logpdf = log(b) - (b + 1) y - log(scale), logsf = -b y exactly,
sf = e^(-b y), cdf = -expm1(-b y) and logcdf = log(1 - e^(-b y)) through log1mexp (no
cancellation at either end); below the support SciPy's constants (-inf density, cdf 0).
ppf = loc + scale (1 - q)^(-1/b) = loc + scale exp(-log1p(-q)/b), isf = loc + scale
q^(-1/b); entropy = 1 + 1/b - log(b) + log(scale). Differentiable in x, b, loc and scale
to any order inside the support; at its lower end, where the density jumps, the gradient
is the one from inside.
"""

from __future__ import annotations

import numpy as np

from ... import primitives as P
from .common import (
    composite,
    inside,
    log,
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


def _valid_shape(value, b):
    return when(values(b) > 0, value, float("nan"))



def _log_standardized(x, loc, scale):
    """y = log(z) on the support z >= 1 (y = 0 outside), and that mask; a NaN x stays in,
    so its result is NaN."""
    z = standardize(x, loc, positive_or_one(scale))
    support = ~(values(z) < 1)
    return P.log(inside(support, z, 1.0)), support


@composite
def logpdf(x, b, loc=0.0, scale=1.0):
    """log of the density b / (scale z^(b+1)), -inf below loc + scale."""
    y, support = _log_standardized(x, loc, scale)
    bb = positive_or_one(b)
    out = when(support, log(bb) - (bb + 1) * y - log_scale(scale), -np.inf)
    return _valid_shape(positive_scale(out, scale), b)


@composite
def pdf(x, b, loc=0.0, scale=1.0):
    """The density, exp(logpdf)."""
    return P.exp(logpdf(x, b, loc, scale))


@composite
def cdf(x, b, loc=0.0, scale=1.0):
    """P(X <= x) = -expm1(-b log z), 0 below the support."""
    y, support = _log_standardized(x, loc, scale)
    out = when(support, -P.expm1(-positive_or_one(b) * y), 0.0)
    return _valid_shape(positive_scale(out, scale), b)


@composite
def logcdf(x, b, loc=0.0, scale=1.0):
    """log P(X <= x) = log(1 - z^-b); -inf at and below the support's start."""
    y, support = _log_standardized(x, loc, scale)
    above = support & ~(values(y) == 0)
    out = when(above, log1mexp(-positive_or_one(b) * inside(above, y, 1.0)), -np.inf)
    return _valid_shape(positive_scale(out, scale), b)


@composite
def sf(x, b, loc=0.0, scale=1.0):
    """P(X > x) = z^-b, 1 below the support."""
    y, support = _log_standardized(x, loc, scale)
    out = when(support, P.exp(-positive_or_one(b) * y), 1.0)
    return _valid_shape(positive_scale(out, scale), b)


@composite
def logsf(x, b, loc=0.0, scale=1.0):
    """log P(X > x) = -b log z exactly, 0 below the support."""
    y, support = _log_standardized(x, loc, scale)
    out = when(support, -positive_or_one(b) * y, 0.0)
    return _valid_shape(positive_scale(out, scale), b)


@composite
def ppf(q, b, loc=0.0, scale=1.0):
    """The quantile function loc + scale (1 - q)^(-1/b); loc + scale at q = 0, inf at 1."""
    z = quantile(q, lambda p: P.exp(-P.log1p(-p) / positive_or_one(b)), 1.0, np.inf)
    return _valid_shape(positive_scale(loc + positive_or_one(scale) * z, scale), b)


@composite
def isf(q, b, loc=0.0, scale=1.0):
    """The inverse survival function loc + scale q^(-1/b)."""
    z = quantile(q, lambda p: P.exp(-P.log(p) / positive_or_one(b)), np.inf, 1.0)
    return _valid_shape(positive_scale(loc + positive_or_one(scale) * z, scale), b)


@composite
def entropy(b, loc=0.0, scale=1.0):
    """Differential entropy 1 + 1/b - log(b) + log(scale); loc does not enter."""
    bb = positive_or_one(b)
    out = 1.0 + 1 / bb - log(bb) + log_scale(scale) + 0 * loc
    return _valid_shape(positive_scale(out, scale), b)
