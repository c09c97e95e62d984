"""The Poisson distribution with mean mu (scipy.stats.poisson's signatures: k, mu, loc).

logpmf = k log(mu) - mu - gammaln(k + 1) for integers k >= loc (xlogy: k = 0 with mu = 0
gives 0), -inf elsewhere. cdf = gammaincc(floor(k) + 1, mu), sf = gammainc(floor(k) + 1,
mu). Differentiable in mu to any order; k is a count (no gradient).
"""

from __future__ import annotations

import numpy as np

from ... import primitives as P
from .common import (
    composite,
    inside,
    log_probability_with,
    nan_where_nan,
    shifted_count,
    values,
    when,
)

__all__ = ["cdf", "logcdf", "logpmf", "logsf", "pmf", "sf"]


def _valid_mean(value, mu):
    return when(values(mu) >= 0, value, float("nan"))


@composite
def logpmf(k, mu, loc=0):
    """log P(K = k) for K ~ loc + Poisson(mu)."""
    k = shifted_count("poisson.logpmf", k, loc)
    support = (k >= 0) & (k == np.floor(k))
    given, k = k, np.where(support, k, 0.0)
    mu_in = inside(values(mu) >= 0, mu, 1.0)
    out = when(support, P.xlogy(k, mu_in) - mu_in - P.gammaln(k + 1), -np.inf)
    out = nan_where_nan(out, given)
    return _valid_mean(out, mu)


@composite
def pmf(k, mu, loc=0):
    """P(K = k) = exp(logpmf)."""
    return P.exp(logpmf(k, mu, loc))


def _tail(name, k, mu, loc, upper):
    """P(K > k) (upper) or P(K <= k) = Q or P of the incomplete gamma at floor(k) + 1, mu;
    below the support (k < loc) the probability is all above, and mu = 0 puts it at loc."""
    k = np.floor(shifted_count(name, k, loc))
    support = k >= 0
    above = np.where(support, 0.0, 1.0)  # P(K > k) where mu = 0 or k < loc
    mu_in = inside(values(mu) > 0, mu, 1.0)
    incomplete = P.gammainc if upper else P.gammaincc
    out = when(support, incomplete(np.where(support, k, 0.0) + 1, mu_in), 1.0 if upper else 0.0)
    return _valid_mean(when(values(mu) > 0, out, above if upper else 1.0 - above), mu)


@composite
def cdf(k, mu, loc=0):
    """P(K <= k) = gammaincc(floor(k) + 1, mu); 0 for k < loc."""
    return _tail("poisson.cdf", k, mu, loc, upper=False)


@composite
def sf(k, mu, loc=0):
    """P(K > k) = gammainc(floor(k) + 1, mu); 1 for k < loc."""
    return _tail("poisson.sf", k, mu, loc, upper=True)


@composite
def logcdf(k, mu, loc=0):
    """log P(K <= k)."""
    # (from the complement where the cdf is near 1: its log keeps every digit)
    return log_probability_with(cdf(k, mu, loc), sf(k, mu, loc))


@composite
def logsf(k, mu, loc=0):
    """log P(K > k)."""
    return log_probability_with(sf(k, mu, loc), cdf(k, mu, loc))
