"""The Bernoulli distribution with success probability p (scipy.stats.bernoulli's
signatures: k, p, loc).

logpmf = xlogy(k, p) + xlog1py(1 - k, -p) at k - loc in {0, 1} (p = 0 and p = 1 give 0
for their certain outcome, not NaN), -inf elsewhere; cdf is 0, 1 - p, 1 and sf 1, p, 0
below 0, on [0, 1) and from 1, with logcdf = log1p(-p) and logsf = log(p) in the middle
(no rounding of 1 - p for small p); entropy = entr(p) + entr(1 - p). p outside [0, 1]
gives SciPy's NaN. Differentiable in p to any order; k and loc are counts (no gradient).
"""

from __future__ import annotations

import numpy as np

from ... import primitives as P
from ...primitives.special import with_shape_of
from .common import (
    composite,
    inside,
    log1m_probability,
    log_probability,
    refuse_gradient,
    shifted_count,
    values,
    when,
)

__all__ = ["cdf", "entropy", "logcdf", "logpmf", "logsf", "pmf", "sf"]


def _valid(value, p, k=None):
    """SciPy's NaN where p is outside [0, 1] (or NaN), or k is NaN."""
    ok = (values(p) >= 0) & (values(p) <= 1)
    if k is not None:
        ok = ok & ~np.isnan(k)
    return when(ok, value, np.nan)


def _probability(p):
    """p, with an invalid one (NaN there by _valid) replaced by 1/2."""
    ps = values(p)
    return inside((ps >= 0) & (ps <= 1), p, 0.5)


@composite
def logpmf(k, p, loc=0):
    """log P(K = k) for K ~ loc + Bernoulli(p)."""
    k = shifted_count("bernoulli.logpmf", k, loc)
    support = (k == 0) | (k == 1)
    k_in = np.where(support, k, 0.0)
    pp = _probability(p)
    out = when(support, P.xlogy(k_in, pp) + P.xlog1py(1 - k_in, -pp), -np.inf)
    return _valid(out, p, k)


@composite
def pmf(k, p, loc=0):
    """P(K = k) = exp(logpmf)."""
    return P.exp(logpmf(k, p, loc))


def _tail(name, k, p, loc, middle_value, below, above):
    """A distribution function of floor(k - loc): middle_value(p) on [0, 1), the constants
    below (k < 0) and above (k >= 1) elsewhere."""
    k = np.floor(shifted_count(name, k, loc))
    middle = (k >= 0) & (k < 1)
    out = when(middle, middle_value(_probability(p)), np.where(k < 0, below, above))
    return _valid(out, p, k)


@composite
def cdf(k, p, loc=0):
    """P(K <= k): 0, 1 - p, 1."""
    return _tail("bernoulli.cdf", k, p, loc, lambda pp: 1 - pp, 0.0, 1.0)


@composite
def sf(k, p, loc=0):
    """P(K > k): 1, p, 0."""
    return _tail("bernoulli.sf", k, p, loc, lambda pp: pp, 1.0, 0.0)


@composite
def logcdf(k, p, loc=0):
    """log P(K <= k): -inf, log1p(-p), 0."""
    return _tail("bernoulli.logcdf", k, p, loc, log1m_probability, -np.inf, 0.0)


@composite
def logsf(k, p, loc=0):
    """log P(K > k): 0, log(p), -inf."""
    return _tail("bernoulli.logsf", k, p, loc, log_probability, 0.0, -np.inf)


@composite
def entropy(p, loc=0):
    """The entropy -p log(p) - (1 - p) log1p(-p) (0 at p = 0 and p = 1); loc does not
    enter beyond broadcasting."""
    loc = refuse_gradient("bernoulli.entropy", "loc", loc)
    pp = _probability(p)
    out = -P.xlogy(pp, pp) - P.xlog1py(1 - pp, -pp)
    return with_shape_of(_valid(out, p), np.asarray(loc))
