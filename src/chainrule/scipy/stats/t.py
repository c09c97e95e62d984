"""Student's t distribution with df degrees of freedom (scipy.stats.t's signatures).

logpdf = -betaln(df/2, 1/2) - log(df)/2 - log(scale) - (df+1)/2 log1p(z^2/df): the
normalising constant log Gamma((df+1)/2) - log Gamma(df/2) - log(pi)/2 is written as
-betaln(df/2, 1/2), which keeps its accuracy for large df where the two gammaln values
cancel (df = 1e6: 6 digits lost). df = inf (a Python number) is the normal distribution.

cdf(t) = 1/2 + sign(t)/2 betainc(1/2, df/2, t^2/(df + t^2)) where t^2 < df, and
betainc(df/2, 1/2, df/(df + t^2))/2 (or its complement) in the tails: each argument is
formed where it does not round away the information (df/(df + t^2) is 1 - t^2/df).
Differentiable in x, df, loc and scale to any order.
"""

from __future__ import annotations

import math

from ... import primitives as P
from . import norm
from .common import (
    composite,
    inside,
    log,
    log_probability_with,
    log_scale,
    positive_scale,
    standardize,
    values,
    when,
)

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "sf"]


def _is_infinite(df):
    return isinstance(df, (int, float)) and math.isinf(df) and df > 0


def _valid_df(value, df):
    return when(values(df) > 0, value, float("nan"))


@composite
def logpdf(x, df, loc=0.0, scale=1.0):
    """log of the density of loc + scale T, T ~ t(df)."""
    if _is_infinite(df):
        return norm.logpdf(x, loc, scale)
    z = standardize(x, loc, scale)
    out = (-P.betaln(0.5 * df, 0.5) - 0.5 * log(df) - log_scale(scale)
           - 0.5 * (df + 1) * P.log1p(z * z / df))
    return _valid_df(positive_scale(out, scale), df)


@composite
def pdf(x, df, loc=0.0, scale=1.0):
    """The density, exp(logpdf)."""
    return P.exp(logpdf(x, df, loc, scale))


def _lower_tail(z, df):
    """P(T <= -|z|) for T ~ t(df), with z a standardized value."""
    zs, dfs = values(z), values(df)
    near = zs * zs < dfs
    z2 = z * z
    # The discarded branch gets an interior stand-in (its betainc argument 1/3 or 1/2).
    small = inside(near, z2, 0.5 * dfs)
    large = inside(~near, z2, dfs)
    center = 0.5 - 0.5 * P.betainc(0.5, 0.5 * df, small / (df + small))
    tail = 0.5 * P.betainc(0.5 * df, 0.5, df / (df + large))
    return when(near, center, tail)


def _tail_at(z, df, upper):
    # P(T <= z) (upper=False) or P(T > z): the lower tail at -|z|, or its complement.
    lower = _lower_tail(z, df)
    below = values(z) <= 0 if not upper else values(z) >= 0
    return when(below, lower, 1 - lower)


def _probability(x, df, loc, scale, upper):
    if _is_infinite(df):
        return (norm.sf if upper else norm.cdf)(x, loc, scale)
    z = standardize(x, loc, scale)
    return _valid_df(positive_scale(_tail_at(z, df, upper), scale), df)


@composite
def cdf(x, df, loc=0.0, scale=1.0):
    """P(X <= x)."""
    return _probability(x, df, loc, scale, upper=False)


@composite
def sf(x, df, loc=0.0, scale=1.0):
    """P(X > x)."""
    return _probability(x, df, loc, scale, upper=True)


@composite
def logcdf(x, df, loc=0.0, scale=1.0):
    """log P(X <= x)."""
    # (from the complement where the cdf is near 1: its log keeps every digit)
    return log_probability_with(cdf(x, df, loc, scale), sf(x, df, loc, scale))


@composite
def logsf(x, df, loc=0.0, scale=1.0):
    """log P(X > x)."""
    return log_probability_with(sf(x, df, loc, scale), cdf(x, df, loc, scale))
