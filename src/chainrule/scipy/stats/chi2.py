"""The chi-squared distribution with df degrees of freedom: gamma(df/2, scale = 2 scale)
(scipy.stats.chi2's signatures: x, df, loc, scale). Differentiable in x, df, loc, scale."""

from __future__ import annotations

from ... import primitives as P
from . import gamma
from .common import composite

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "sf"]


@composite
def logpdf(x, df, loc=0.0, scale=1.0):
    """log of the density of loc + scale X, X ~ chi2(df) = gamma(df/2, scale 2)."""
    return gamma.logpdf(x, 0.5 * df, loc, 2 * scale)


@composite
def pdf(x, df, loc=0.0, scale=1.0):
    """The density, exp(logpdf)."""
    return P.exp(logpdf(x, df, loc, scale))


@composite
def cdf(x, df, loc=0.0, scale=1.0):
    """P(X <= x) = gammainc(df/2, z/2)."""
    return gamma.cdf(x, 0.5 * df, loc, 2 * scale)


@composite
def sf(x, df, loc=0.0, scale=1.0):
    """P(X > x) = gammaincc(df/2, z/2)."""
    return gamma.sf(x, 0.5 * df, loc, 2 * scale)


@composite
def logcdf(x, df, loc=0.0, scale=1.0):
    """log P(X <= x)."""
    return gamma.logcdf(x, 0.5 * df, loc, 2 * scale)


@composite
def logsf(x, df, loc=0.0, scale=1.0):
    """log P(X > x)."""
    return gamma.logsf(x, 0.5 * df, loc, 2 * scale)
