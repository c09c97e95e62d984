"""The binomial distribution with n trials of success probability p
(scipy.stats.binom's signatures: k, n, p, loc).

logpmf = log C(n, k) + k log(p) + (n - k) log1p(-p) for integers 0 <= k - loc <= n, with
log C(n, k) = -log1p(n) - betaln(n - k + 1, k + 1): betaln keeps its accuracy for large
n where log Gamma(n + 1) - log Gamma(k + 1) - log Gamma(n - k + 1) cancels (n = 1000
loses 3 digits that way; log C is exactly 0 at k = 0 and k = n). The products are xlogy
and xlog1py, so p = 0 and p = 1 give 0 for their certain outcome.
cdf = betainc(n - k, k + 1, 1 - p) and sf = betainc(k + 1, n - k, p) at floor(k - loc) on
[0, n), 0 or 1 outside (Cephes' bdtr and bdtrc forms); logcdf and logsf are the log of
the one that is at most 1/2 and log1p(-the other) above (no rounding of a cdf near 1).
n must be a non-negative integer and p in [0, 1] (else SciPy's NaN). Differentiable in p
to any order; k, n and loc are counts (a tensor that requires grad raises).
"""

from __future__ import annotations

import numpy as np

from ... import primitives as P
from .common import (
    composite,
    count,
    inside,
    is_integer,
    log_probability_with,
    shifted_count,
    values,
    when,
)

__all__ = ["cdf", "logcdf", "logpmf", "logsf", "pmf", "sf"]


def _parameters(name, n, p):
    """n (0 where invalid) and p (1/2 where invalid) kept valid, and the mask of valid
    pairs."""
    n = count(name, "n", n)
    ps = values(p)
    valid_n = is_integer(n) & (n >= 0)
    valid_p = (ps >= 0) & (ps <= 1)
    return np.where(valid_n, n, 0.0), inside(valid_p, p, 0.5), valid_n & valid_p


def _valid(value, valid, k):
    """SciPy's NaN for invalid parameters or a NaN k."""
    return when(valid & ~np.isnan(k), value, np.nan)


@composite
def logpmf(k, n, p, loc=0):
    """log P(K = k) for K ~ loc + Binomial(n, p)."""
    n, pp, valid = _parameters("binom.logpmf", n, p)
    k = shifted_count("binom.logpmf", k, loc)
    support = is_integer(k) & (k >= 0) & (k <= n)
    k_in = np.where(support, k, 0.0)
    n_in = np.where(support, n, 0.0)
    # log C(n, k), exactly 0 at k = 0 and k = n (so a certain outcome has mass exactly 1).
    ends = (k_in == 0) | (k_in == n_in)
    log_choose = np.where(ends, 0.0, -np.log1p(n_in) - P.betaln(n_in - k_in + 1, k_in + 1))
    out = log_choose + P.xlogy(k_in, pp) + P.xlog1py(n_in - k_in, -pp)
    return _valid(when(support, out, -np.inf), valid, k)


@composite
def pmf(k, n, p, loc=0):
    """P(K = k) = exp(logpmf)."""
    return P.exp(logpmf(k, n, p, loc))


def _tail(name, k, n, p, loc, upper):
    """P(K > k) (upper) or P(K <= k) at floor(k - loc), through the incomplete beta
    function on [0, n); below 0 all the mass is above k, from n none is."""
    n, pp, valid = _parameters(name, n, p)
    k = np.floor(shifted_count(name, k, loc))
    middle = (k >= 0) & (k < n)
    k_in = np.where(middle, k, 0.0)
    n_in = np.where(middle, n, 1.0)  # a discarded branch sees betainc(1, 1, .)
    if upper:
        out = P.betainc(k_in + 1, n_in - k_in, pp)
        outside = np.where(k < 0, 1.0, 0.0)
    else:
        out = P.betainc(n_in - k_in, k_in + 1, 1 - pp)
        outside = np.where(k < 0, 0.0, 1.0)
    return _valid(when(middle, out, outside), valid, k)


@composite
def cdf(k, n, p, loc=0):
    """P(K <= k) = betainc(n - k, k + 1, 1 - p); 0 below loc, 1 from loc + n."""
    return _tail("binom.cdf", k, n, p, loc, upper=False)


@composite
def sf(k, n, p, loc=0):
    """P(K > k) = betainc(k + 1, n - k, p); 1 below loc, 0 from loc + n."""
    return _tail("binom.sf", k, n, p, loc, upper=True)


@composite
def logcdf(k, n, p, loc=0):
    """log P(K <= k): log of the cdf up to 1/2, log1p(-sf) above."""
    return log_probability_with(_tail("binom.logcdf", k, n, p, loc, upper=False),
                                _tail("binom.logcdf", k, n, p, loc, upper=True))


@composite
def logsf(k, n, p, loc=0):
    """log P(K > k): log of the sf up to 1/2, log1p(-cdf) above."""
    return log_probability_with(_tail("binom.logsf", k, n, p, loc, upper=True),
                                _tail("binom.logsf", k, n, p, loc, upper=False))
