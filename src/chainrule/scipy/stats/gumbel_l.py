"""The left-skewed Gumbel (extreme value type I, minima) distribution
(scipy.stats.gumbel_l's signatures: x, loc, scale): X ~ gumbel_l(loc, scale) exactly when
-X ~ gumbel_r(-loc, scale).

Each function is gumbel_r's mirrored: logpdf = z - e^z - log(scale), cdf = -expm1(-e^z),
logsf = -e^z exactly, logcdf = log(1 - exp(-e^z)) (= z - e^z/2 in the far lower tail:
gumbel_l.logcdf(-800) = -800), ppf = loc + scale log(-log1p(-q)), isf = loc + scale
log(-log q), entropy = euler_gamma + 1 + log(scale). Differentiable in x, loc and scale
to any order.
"""

from __future__ import annotations

from . import gumbel_r
from .common import composite

__all__ = ["cdf", "entropy", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]


@composite
def logpdf(x, loc=0.0, scale=1.0):
    """log of the density e^(z - e^z) / scale."""
    return gumbel_r.logpdf(-x, -loc, scale)


@composite
def pdf(x, loc=0.0, scale=1.0):
    """The density."""
    return gumbel_r.pdf(-x, -loc, scale)


@composite
def cdf(x, loc=0.0, scale=1.0):
    """P(X <= x) = P(-X >= -x) = -expm1(-e^z)."""
    return gumbel_r.sf(-x, -loc, scale)


@composite
def logcdf(x, loc=0.0, scale=1.0):
    """log P(X <= x), finite in the far lower tail."""
    return gumbel_r.logsf(-x, -loc, scale)


@composite
def sf(x, loc=0.0, scale=1.0):
    """P(X > x) = exp(-e^z)."""
    return gumbel_r.cdf(-x, -loc, scale)


@composite
def logsf(x, loc=0.0, scale=1.0):
    """log P(X > x) = -e^z exactly."""
    return gumbel_r.logcdf(-x, -loc, scale)


@composite
def ppf(q, loc=0.0, scale=1.0):
    """The quantile function loc + scale log(-log1p(-q)); -inf at q = 0, inf at q = 1."""
    return -gumbel_r.isf(q, -loc, scale)


@composite
def isf(q, loc=0.0, scale=1.0):
    """The inverse survival function loc + scale log(-log q)."""
    return -gumbel_r.ppf(q, -loc, scale)


@composite
def entropy(loc=0.0, scale=1.0):
    """Differential entropy euler_gamma + 1 + log(scale)."""
    return gumbel_r.entropy(-loc, scale)
