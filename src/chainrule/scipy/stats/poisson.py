"""The Poisson distribution with mean mu (scipy.stats.poisson's signatures: k, mu, loc).

logpmf = k log(mu) - mu - gammaln(k + 1) for integers k >= loc (xlogy: k = 0 with mu = 0
gives 0), -inf elsewhere. Differentiable in mu to any order; k is a count (no gradient).
"""

from __future__ import annotations

import numpy as np

from ... import primitives as P
from ...rules import composite
from .common import inside, refuse_gradient, values, when

__all__ = ["logpmf", "pmf"]


def _valid_mean(value, mu):
    return when(values(mu) >= 0, value, float("nan"))


@composite
def logpmf(k, mu, loc=0):
    """log P(K = k) for K ~ loc + Poisson(mu)."""
    k = np.asarray(refuse_gradient("poisson.logpmf", "k", k)) - values(loc)
    support = (k >= 0) & (k == np.floor(k))
    k = np.where(support, k, 0.0)
    mu_in = inside(values(mu) >= 0, mu, 1.0)
    out = when(support, P.xlogy(k, mu_in) - mu_in - P.gammaln(k + 1), -np.inf)
    return _valid_mean(out, mu)


@composite
def pmf(k, mu, loc=0):
    """P(K = k) = exp(logpmf)."""
    return P.exp(logpmf(k, mu, loc))
