"""The beta distribution with shapes a, b (scipy.stats.beta's signatures: x, a, b, loc,
scale).

logpdf = (a - 1) log z + (b - 1) log(1 - z) - betaln(a, b) - log(scale) on 0 <= z <= 1
(xlogy and xlog1py: a = 1 at z = 0 gives the finite log b), -inf outside.
cdf = betainc(a, b, z), sf = betainc(b, a, 1 - z) (no cancellation in the upper tail).
Differentiable in x, a, b, loc and scale to any order.
"""

from __future__ import annotations

import numpy as np

from ... import primitives as P
from .common import (
    composite,
    inside,
    log_probability_with,
    log_scale,
    nan_where_nan,
    positive_scale,
    standardize,
    values,
    when,
)

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "sf"]


def _valid_shapes(value, a, b):
    return when((values(a) > 0) & (values(b) > 0), value, float("nan"))


@composite
def logpdf(x, a, b, loc=0.0, scale=1.0):
    """log of the density z^(a-1) (1-z)^(b-1) / (B(a, b) scale), z = (x - loc)/scale."""
    z = standardize(x, loc, scale)
    support = (values(z) >= 0) & (values(z) <= 1)
    z = inside(support, z, 0.5)
    out = P.xlogy(a - 1, z) + P.xlog1py(b - 1, -z) - P.betaln(a, b) - log_scale(scale)
    out = nan_where_nan(when(support, out, -float("inf")), x)
    return _valid_shapes(positive_scale(out, scale), a, b)


@composite
def pdf(x, a, b, loc=0.0, scale=1.0):
    """The density, exp(logpdf)."""
    return P.exp(logpdf(x, a, b, loc, scale))


def _clipped(x, loc, scale):
    z = standardize(x, loc, scale)
    zs = values(z)
    return inside((zs >= 0) & (zs <= 1), z, np.clip(zs, 0.0, 1.0))


@composite
def cdf(x, a, b, loc=0.0, scale=1.0):
    """P(X <= x) = betainc(a, b, z), clipped to 0 and 1 outside the support."""
    return _valid_shapes(positive_scale(P.betainc(a, b, _clipped(x, loc, scale)), scale), a, b)


@composite
def sf(x, a, b, loc=0.0, scale=1.0):
    """P(X > x) = betainc(b, a, 1 - z)."""
    z = _clipped(x, loc, scale)
    return _valid_shapes(positive_scale(P.betainc(b, a, 1 - z), scale), a, b)


@composite
def logcdf(x, a, b, loc=0.0, scale=1.0):
    """log P(X <= x)."""
    # (from the complement where the cdf is near 1: its log keeps every digit)
    return log_probability_with(cdf(x, a, b, loc, scale), sf(x, a, b, loc, scale))


@composite
def logsf(x, a, b, loc=0.0, scale=1.0):
    """log P(X > x)."""
    return log_probability_with(sf(x, a, b, loc, scale), cdf(x, a, b, loc, scale))
