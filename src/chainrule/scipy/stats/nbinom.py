"""The negative binomial distribution: the number of failures before the n-th success,
each trial a success with probability p (scipy.stats.nbinom's signatures: k, n, p, loc);
n need not be an integer.

logpmf = log Gamma(n + k) - log Gamma(n) - log Gamma(k + 1) + n log(p) + k log1p(-p) for
integers k - loc >= 0, with the Gamma ratio written as -betaln(n, k + 1) - log(n + k):
betaln keeps its accuracy where n is large and the gammaln values cancel. cdf =
betainc(n, m + 1, p) and sf = betainc(m + 1, n, 1 - p) at m = floor(k - loc) >= 0
(Cephes' nbdtr and nbdtrc forms; below loc: 0 and 1); logcdf and logsf are the log of
the one that is at most 1/2 and log1p(-the other) above. n > 0 and p in (0, 1] (else
SciPy's NaN). Differentiable in n and p to any order (the cdf's
n-derivative is betainc's in its shape); k and loc are counts (no gradient).
"""

from __future__ import annotations

import numpy as np

from ... import primitives as P
from .common import (
    composite,
    inside,
    is_integer,
    log_probability_with,
    shifted_count,
    values,
    when,
)

__all__ = ["cdf", "logcdf", "logpmf", "logsf", "pmf", "sf"]


def _parameters(n, p):
    """n (1 where invalid) and p (1/2 where invalid) kept valid, and the mask of valid
    pairs."""
    ns, ps = values(n), values(p)
    valid_n = ns > 0
    valid_p = (ps > 0) & (ps <= 1)
    return inside(valid_n, n, 1.0), inside(valid_p, p, 0.5), valid_n & valid_p


def _valid(value, valid, k):
    """SciPy's NaN for invalid parameters or a NaN k."""
    return when(valid & ~np.isnan(k), value, np.nan)


@composite
def logpmf(k, n, p, loc=0):
    """log P(K = k) for K ~ loc + NegativeBinomial(n, p); -inf off the integers >= 0 (and
    at k = inf, the mass's limit)."""
    nn, pp, valid = _parameters(n, p)
    k = shifted_count("nbinom.logpmf", k, loc)
    support = is_integer(k) & (k >= 0)
    k_in = np.where(support, k, 0.0)
    out = (-P.betaln(nn, k_in + 1) - P.log(nn + k_in) + nn * P.log(pp)
           + P.xlog1py(k_in, -pp))
    return _valid(when(support, out, -np.inf), valid, k)


@composite
def pmf(k, n, p, loc=0):
    """P(K = k) = exp(logpmf)."""
    return P.exp(logpmf(k, n, p, loc))


def _tail(name, k, n, p, loc, upper):
    """P(K > k) (upper) or P(K <= k) at m = floor(k - loc): the incomplete beta function
    for finite m >= 0; below 0 all the mass is above k, at k = inf none is."""
    nn, pp, valid = _parameters(n, p)
    k = np.floor(shifted_count(name, k, loc))
    middle = (k >= 0) & np.isfinite(k)
    k_in = np.where(middle, k, 0.0)
    if upper:
        out = P.betainc(k_in + 1, nn, 1 - pp)
        outside = np.where(k < 0, 1.0, 0.0)
    else:
        out = P.betainc(nn, k_in + 1, pp)
        outside = np.where(k < 0, 0.0, 1.0)
    return _valid(when(middle, out, outside), valid, k)


@composite
def cdf(k, n, p, loc=0):
    """P(K <= k) = betainc(n, m + 1, p); 0 below loc."""
    return _tail("nbinom.cdf", k, n, p, loc, upper=False)


@composite
def sf(k, n, p, loc=0):
    """P(K > k) = betainc(m + 1, n, 1 - p); 1 below loc."""
    return _tail("nbinom.sf", k, n, p, loc, upper=True)


@composite
def logcdf(k, n, p, loc=0):
    """log P(K <= k): log of the cdf up to 1/2, log1p(-sf) above."""
    return log_probability_with(_tail("nbinom.logcdf", k, n, p, loc, upper=False),
                                _tail("nbinom.logcdf", k, n, p, loc, upper=True))


@composite
def logsf(k, n, p, loc=0):
    """log P(K > k): log of the sf up to 1/2, log1p(-cdf) above."""
    return log_probability_with(_tail("nbinom.logsf", k, n, p, loc, upper=True),
                                _tail("nbinom.logsf", k, n, p, loc, upper=False))
