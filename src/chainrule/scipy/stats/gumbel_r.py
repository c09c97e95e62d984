"""The right-skewed Gumbel (extreme value type I, maxima) distribution
(scipy.stats.gumbel_r's signatures: x, loc, scale).

With z = (x - loc)/scale and t = e^-z: logpdf = -z - t - log(scale), logcdf = -t
exactly, cdf = e^-t, sf = -expm1(-t) and logsf = log(1 - e^-t) through log1mexp; in the
far upper tail (z > 20, where t < 2e-9 and may underflow) logsf = -z - t/2, the first
terms of log(t) + log((1 - e^-t)/t), exact to 1e-18 there (gumbel_r.logsf(800) = -800,
not log(0)). Where e^-z overflows (z < -709) each function is its limit as a constant
(the density's -inf, where SciPy's inf - inf gives NaN at x = -inf).
ppf = loc - scale log(-log q), isf = loc - scale log(-log1p(-q)),
entropy = euler_gamma + 1 + log(scale). Differentiable in x, loc and scale to any order.
"""

from __future__ import annotations

import numpy as np

from ... import primitives as P
from .common import (
    composite,
    inside,
    log1mexp,
    log_scale,
    positive_or_one,
    positive_scale,
    quantile,
    standardize,
    values,
    when,
)

__all__ = ["cdf", "entropy", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]

# e^-z overflows float64 below this z.
_OVERFLOW = -float(np.log(np.finfo(np.float64).max))
# Above this z, t = e^-z < 2e-9 and log(1 - e^-t) = -z - t/2 + t^2/24 - ...: the t^2 term
# is below float64's resolution of z.
_FAR = 20.0


def _z(x, loc, scale):
    return standardize(x, loc, positive_or_one(scale))


def _exp_minus(x, loc, scale):
    """z and t = e^-z where t is finite, and that mask (False below z = -709, where t
    overflows and each function's value is its constant limit; a NaN x stays in)."""
    z = _z(x, loc, scale)
    finite = ~(values(z) < _OVERFLOW)
    z = inside(finite, z, 0.0)
    return z, P.exp(-z), finite


@composite
def logpdf(x, loc=0.0, scale=1.0):
    """log of the density e^(-z - e^-z) / scale; -inf where e^-z overflows."""
    z, t, finite = _exp_minus(x, loc, scale)
    return positive_scale(when(finite, -z - t - log_scale(scale), -np.inf), scale)


@composite
def pdf(x, loc=0.0, scale=1.0):
    """The density, exp(logpdf)."""
    return P.exp(logpdf(x, loc, scale))


@composite
def cdf(x, loc=0.0, scale=1.0):
    """P(X <= x) = exp(-e^-z)."""
    _, t, finite = _exp_minus(x, loc, scale)
    return positive_scale(when(finite, P.exp(-t), 0.0), scale)


@composite
def logcdf(x, loc=0.0, scale=1.0):
    """log P(X <= x) = -e^-z exactly."""
    _, t, finite = _exp_minus(x, loc, scale)
    return positive_scale(when(finite, -t, -np.inf), scale)


@composite
def sf(x, loc=0.0, scale=1.0):
    """P(X > x) = -expm1(-e^-z)."""
    _, t, finite = _exp_minus(x, loc, scale)
    return positive_scale(when(finite, -P.expm1(-t), 1.0), scale)


@composite
def logsf(x, loc=0.0, scale=1.0):
    """log P(X > x) = log(1 - exp(-e^-z)); -z - e^-z/2 in the far upper tail."""
    z, t, finite = _exp_minus(x, loc, scale)
    far = values(z) > _FAR
    near_t = inside(~far, t, 1.0)
    far_z = inside(far, z, 2 * _FAR)
    out = when(far, -far_z - 0.5 * P.exp(-far_z), log1mexp(-near_t))
    return positive_scale(when(finite, out, 0.0), scale)


@composite
def ppf(q, loc=0.0, scale=1.0):
    """The quantile function loc - scale log(-log q); -inf at q = 0, inf at q = 1."""
    z = quantile(q, lambda p: -P.log(-P.log(p)), -np.inf, np.inf)
    return positive_scale(loc + positive_or_one(scale) * z, scale)


@composite
def isf(q, loc=0.0, scale=1.0):
    """The inverse survival function loc - scale log(-log1p(-q))."""
    z = quantile(q, lambda p: -P.log(-P.log1p(-p)), np.inf, -np.inf)
    return positive_scale(loc + positive_or_one(scale) * z, scale)


@composite
def entropy(loc=0.0, scale=1.0):
    """Differential entropy euler_gamma + 1 + log(scale); loc does not enter."""
    return positive_scale(float(np.euler_gamma) + 1.0 + log_scale(scale) + 0 * loc, scale)
