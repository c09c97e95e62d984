"""The uniform distribution on [loc, loc + scale] (scipy.stats.uniform's signatures: x,
loc, scale).

On 0 <= z <= 1, z = (x - loc)/scale (both ends included, as SciPy's density):
logpdf = -log(scale), cdf = z, sf = 1 - z, logcdf = log(z), logsf = log1p(-z); outside
they are SciPy's constants (-inf density; cdf 0 below and 1 above). ppf = loc + scale q,
isf = loc + scale (1 - q), entropy = log(scale). Differentiable in x, loc and scale to any
order inside the support; at its ends, where the density jumps and the cdf has a corner,
the gradient is the one from inside.
"""

from __future__ import annotations

import numpy as np

from ... import primitives as P
from .common import (
    composite,
    inside,
    log_probability,
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
    """z clipped to [0, 1] (by constants: no gradient outside), with the masks of the
    points below and above the support; a NaN x stays in, so its result is NaN."""
    z = standardize(x, loc, positive_or_one(scale))
    zs = values(z)
    below, above = zs < 0, zs > 1
    return inside(~(below | above), z, np.clip(zs, 0.0, 1.0)), below, above


@composite
def logpdf(x, loc=0.0, scale=1.0):
    """log of the density 1/scale on [loc, loc + scale], -inf outside."""
    z, below, above = _standardized(x, loc, scale)
    return positive_scale(when(~(below | above), 0 * z - log_scale(scale), -np.inf), scale)


@composite
def pdf(x, loc=0.0, scale=1.0):
    """The density, exp(logpdf)."""
    return P.exp(logpdf(x, loc, scale))


@composite
def cdf(x, loc=0.0, scale=1.0):
    """P(X <= x) = z, clipped to [0, 1]."""
    z, _, _ = _standardized(x, loc, scale)
    return positive_scale(z, scale)


@composite
def sf(x, loc=0.0, scale=1.0):
    """P(X > x) = 1 - z, clipped to [0, 1]."""
    z, _, _ = _standardized(x, loc, scale)
    return positive_scale(1 - z, scale)


@composite
def logcdf(x, loc=0.0, scale=1.0):
    """log P(X <= x) = log(z): -inf at and below loc, 0 above loc + scale."""
    z, _, _ = _standardized(x, loc, scale)
    return positive_scale(log_probability(z), scale)


@composite
def logsf(x, loc=0.0, scale=1.0):
    """log P(X > x) = log1p(-z): 0 below loc, -inf at and above loc + scale."""
    z, _, _ = _standardized(x, loc, scale)
    below_one = ~(values(z) == 1)
    return positive_scale(when(below_one, P.log1p(-inside(below_one, z, 0.0)), -np.inf), scale)


@composite
def ppf(q, loc=0.0, scale=1.0):
    """The quantile function loc + scale q."""
    return positive_scale(loc + positive_or_one(scale) * quantile(q, lambda p: p, 0.0, 1.0), scale)


@composite
def isf(q, loc=0.0, scale=1.0):
    """The inverse survival function loc + scale (1 - q)."""
    z = quantile(q, lambda p: 1 - p, 1.0, 0.0)
    return positive_scale(loc + positive_or_one(scale) * z, scale)


@composite
def entropy(loc=0.0, scale=1.0):
    """Differential entropy log(scale); loc does not enter."""
    return positive_scale(log_scale(scale) + 0 * loc, scale)
