"""The gamma distribution with shape a (scipy.stats.gamma's signatures: x, a, loc, scale).

logpdf = (a - 1) log z - z - gammaln(a) - log(scale) for z = (x - loc)/scale >= 0 (the
(a - 1) log z term is xlogy, so a = 1 at z = 0 gives 0, not NaN), -inf below.
cdf = gammainc(a, z) and sf = gammaincc(a, z), differentiable in a too (their series and
continued fraction run on Taylor jets). Differentiable in x, a, loc and scale to any order.
"""

from __future__ import annotations

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


def _valid_shape(value, a):
    return when(values(a) > 0, value, float("nan"))


@composite
def logpdf(x, a, loc=0.0, scale=1.0):
    """log of the density z^(a-1) e^-z / (Gamma(a) scale), z = (x - loc)/scale."""
    z = standardize(x, loc, scale)
    support = values(z) >= 0
    z = inside(support, z, 1.0)
    out = when(support, P.xlogy(a - 1, z) - z - P.gammaln(a) - log_scale(scale), -float("inf"))
    return _valid_shape(positive_scale(nan_where_nan(out, x), scale), a)


@composite
def pdf(x, a, loc=0.0, scale=1.0):
    """The density, exp(logpdf)."""
    return P.exp(logpdf(x, a, loc, scale))


def _clipped(x, loc, scale):
    z = standardize(x, loc, scale)
    return inside(values(z) >= 0, z, 0.0)


@composite
def cdf(x, a, loc=0.0, scale=1.0):
    """P(X <= x) = gammainc(a, z), 0 below the support."""
    return _valid_shape(positive_scale(P.gammainc(a, _clipped(x, loc, scale)), scale), a)


@composite
def sf(x, a, loc=0.0, scale=1.0):
    """P(X > x) = gammaincc(a, z), 1 below the support."""
    return _valid_shape(positive_scale(P.gammaincc(a, _clipped(x, loc, scale)), scale), a)


@composite
def logcdf(x, a, loc=0.0, scale=1.0):
    """log P(X <= x)."""
    # (from the complement where the cdf is near 1: its log keeps every digit)
    return log_probability_with(cdf(x, a, loc, scale), sf(x, a, loc, scale))


@composite
def logsf(x, a, loc=0.0, scale=1.0):
    """log P(X > x)."""
    return log_probability_with(sf(x, a, loc, scale), cdf(x, a, loc, scale))
