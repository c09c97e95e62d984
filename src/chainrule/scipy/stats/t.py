"""Student's t distribution with df degrees of freedom (scipy.stats.t's signatures).

logpdf = -betaln(df/2, 1/2) - log(df)/2 - log(scale) - (df+1)/2 log1p(z^2/df): the
normalising constant log Gamma((df+1)/2) - log Gamma(df/2) - log(pi)/2 is written as
-betaln(df/2, 1/2), which keeps its accuracy for large df where the two gammaln values
cancel (df = 1e6: 6 digits lost). df = inf (a Python number) is the normal distribution.

cdf(t) = 1/2 + sign(t)/2 betainc(1/2, df/2, t^2/(df + t^2)) where t^2 < min(df, 3), and
betainc(df/2, 1/2, df/(df + t^2))/2 (or its complement) in the tails: each argument is
formed where it does not round away the information (df/(df + t^2) is 1 - t^2/df). At
t = 0 exactly, the series there (whose derivatives are finite where betainc's are not).
Differentiable in x, df, loc and scale to any order.
"""

from __future__ import annotations

import math

import numpy as np

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
    unsettled,
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
    """P(T <= -|z|) for T ~ t(df), with z a standardized value (z != 0)."""
    zs, dfs = values(z), values(df)
    # The centre form 1/2 - I/2 holds every digit while the probability is not small;
    # beyond z^2 = 3 (or df) the tail form computes the small probability itself (the
    # centre form would cancel it away: 0 for z = -10, df = 200).
    near = zs * zs < np.minimum(dfs, 3.0)
    z2 = z * z
    # The discarded branch gets an interior stand-in (its betainc argument 1/3 or 1/2).
    small = inside(near, z2, 0.5 * np.minimum(dfs, 3.0))
    large = inside(~near, z2, dfs)
    center = 0.5 - 0.5 * P.betainc(0.5, 0.5 * df, small / (df + small))
    tail = 0.5 * P.betainc(0.5 * df, 0.5, df / (df + large))
    return when(near, center, tail)


def _near_zero(z, df, upper):
    """P(T <= z) (or P(T > z)) by its Taylor series at z = 0, used at z = 0 exactly: there
    the betainc forms' derivative is infinity times zero. Right in value and in the first
    five derivatives in z and df: 1/2 +- c (z - (df+1)/(6 df) z^3 + (df+1)(df+3)/(40 df^2)
    z^5), c = the density at 0."""
    c = P.exp(-P.betaln(0.5 * df, 0.5) - 0.5 * log(df))
    z2 = z * z
    series = z * (1 - z2 * (df + 1) / (6 * df) * (1 - z2 * 3 * (df + 3) / (20 * df)))
    return 0.5 - c * series if upper else 0.5 + c * series


def _tail_at(z, df, upper):
    # P(T <= z) (upper=False) or P(T > z): the lower tail at -|z|, or its complement.
    zs = values(z)
    zero = zs == 0
    z_off = inside(~zero, z, 1.0)
    lower = _lower_tail(z_off, df)
    below = zs <= 0 if not upper else zs >= 0
    general = when(below, lower, 1 - lower)
    if not unsettled(zero) and not zero.any():
        return general
    return P.where(zero, _near_zero(z, df, upper), general)


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
