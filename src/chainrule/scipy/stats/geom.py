"""The geometric distribution: the number of trials up to the first success, each of
probability p (scipy.stats.geom's signatures: k, p, loc); support k - loc = 1, 2, ...

logpmf = (k - 1) log1p(-p) + log(p) (xlog1py: p = 1 at k = 1 gives 0). With
m = floor(k - loc) >= 1: logsf = m log1p(-p) exactly, sf = exp(logsf),
cdf = -expm1(logsf) and logcdf = log(1 - exp(logsf)) through log1mexp, so both tails keep
their relative accuracy; below the support cdf 0, sf 1. entropy = -log(p) -
(1 - p)/p log1p(-p) (0 at p = 1, its limit, where SciPy's formula gives NaN). p must be
in (0, 1] (else SciPy's NaN). Differentiable in p to any order; k and loc are counts.
"""

from __future__ import annotations

import numpy as np

from ... import primitives as P
from ...primitives.special import with_shape_of
from .common import (
    composite,
    inside,
    is_integer,
    log1m_probability,
    log1mexp,
    refuse_gradient,
    shifted_count,
    values,
    when,
)

__all__ = ["cdf", "entropy", "logcdf", "logpmf", "logsf", "pmf", "sf"]


def _valid(value, p, k=None):
    """SciPy's NaN where p is outside (0, 1] (or NaN), or k is NaN."""
    ok = (values(p) > 0) & (values(p) <= 1)
    if k is not None:
        ok = ok & ~np.isnan(k)
    return when(ok, value, np.nan)


def _probability(p):
    """p, with an invalid one (NaN there by _valid) replaced by 1/2."""
    ps = values(p)
    return inside((ps > 0) & (ps <= 1), p, 0.5)


@composite
def logpmf(k, p, loc=0):
    """log P(K = k) for K ~ loc + Geometric(p)."""
    k = shifted_count("geom.logpmf", k, loc)
    support = is_integer(k) & (k >= 1)
    k_in = np.where(support, k, 1.0)
    pp = _probability(p)
    out = when(support, P.xlog1py(k_in - 1, -pp) + P.log(pp), -np.inf)
    return _valid(out, p, k)


@composite
def pmf(k, p, loc=0):
    """P(K = k) = exp(logpmf)."""
    return P.exp(logpmf(k, p, loc))


def _tail(name, k, p, loc, function, outside):
    """function(m log1p(-p)) at m = floor(k - loc) >= 1, the constant outside below."""
    k = np.floor(shifted_count(name, k, loc))
    support = k >= 1
    log_sf = np.where(support, k, 1.0) * log1m_probability(_probability(p))
    return _valid(when(support, function(log_sf), outside), p, k)


@composite
def cdf(k, p, loc=0):
    """P(K <= k) = 1 - (1 - p)^m = -expm1(m log1p(-p)); 0 below loc + 1."""
    return _tail("geom.cdf", k, p, loc, lambda s: -P.expm1(s), 0.0)


@composite
def logcdf(k, p, loc=0):
    """log P(K <= k) = log(1 - (1 - p)^m), through log1mexp."""
    return _tail("geom.logcdf", k, p, loc, log1mexp, -np.inf)


@composite
def sf(k, p, loc=0):
    """P(K > k) = (1 - p)^m; 1 below loc + 1."""
    return _tail("geom.sf", k, p, loc, P.exp, 1.0)


@composite
def logsf(k, p, loc=0):
    """log P(K > k) = m log1p(-p) exactly."""
    return _tail("geom.logsf", k, p, loc, lambda s: s, 0.0)


@composite
def entropy(p, loc=0):
    """The entropy -log(p) - (1 - p)/p log1p(-p); loc does not enter beyond broadcasting."""
    loc = refuse_gradient("geom.entropy", "loc", loc)
    pp = _probability(p)
    out = -P.log(pp) - P.xlog1py((1 - pp) / pp, -pp)
    return with_shape_of(_valid(out, p), np.asarray(loc))
