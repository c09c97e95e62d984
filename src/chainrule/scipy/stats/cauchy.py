"""The Cauchy distribution (scipy.stats.cauchy's signatures: x, loc, scale).

logpdf = -log(pi scale) - log1p(z^2), z = (x - loc)/scale, with log1p(z^2) written as
2 log|z| + log1p(1/z^2) for |z| > 1 (z^2 overflows past 1e154). The cdf 1/2 + atan(z)/pi
cancels in the lower tail; there (z < -1) it is atan(-1/z)/pi, the same function without
the cancellation, so cdf and sf keep their relative accuracy in both tails, and so do
their logs (log of the small one, log1p(-small) of the other: cauchy.logsf(1e10) =
log(atan(1e-10)/pi), cauchy.logcdf(1e10) = log1p(-atan(1e-10)/pi)).
ppf = loc + scale tan(pi (q - 1/2)), as -1/tan(pi q) for q < 1/4 and 1/tan(pi (1 - q))
for q > 3/4 (no rounding of q - 1/2 near the ends); isf is its mirror;
entropy = log(4 pi scale). Differentiable in x, loc and scale to any order.
"""

from __future__ import annotations

import math

import numpy as np

from ... import primitives as P
from .common import (
    composite,
    inside,
    log_probability,
    log_scale,
    positive_or_one,
    positive_scale,
    quantile,
    standardize,
    values,
    when,
)

__all__ = ["cdf", "entropy", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]

_LOG_PI = math.log(math.pi)


def _z(x, loc, scale):
    return standardize(x, loc, positive_or_one(scale))


def _log1p_square(z):
    """log(1 + z^2) without overflow: 2 log|z| + log1p(w^2), w = 1/z, for |z| > 1."""
    large = np.abs(values(z)) > 1
    small = inside(~large, z, 0.0)
    big = inside(large, z, 2.0)
    w = 1 / big
    return when(large, 2 * P.log(P.abs(big)) + P.log1p(w * w), P.log1p(small * small))


def _lower(z):
    """P(Z <= z) for the standard Cauchy Z: atan(-1/z)/pi below -1, 1/2 + atan(z)/pi from
    -1 (the two are equal there; the first does not cancel in the lower tail)."""
    tail = values(z) < -1
    return when(tail, P.arctan(-1 / inside(tail, z, -2.0)) / math.pi,
                0.5 + P.arctan(inside(~tail, z, 0.0)) / math.pi)


@composite
def logpdf(x, loc=0.0, scale=1.0):
    """log of the density 1 / (pi scale (1 + z^2))."""
    z = _z(x, loc, scale)
    return positive_scale(-_LOG_PI - log_scale(scale) - _log1p_square(z), scale)


@composite
def pdf(x, loc=0.0, scale=1.0):
    """The density, exp(logpdf)."""
    return P.exp(logpdf(x, loc, scale))


@composite
def cdf(x, loc=0.0, scale=1.0):
    """P(X <= x)."""
    return positive_scale(_lower(_z(x, loc, scale)), scale)


@composite
def sf(x, loc=0.0, scale=1.0):
    """P(X > x) = P(Z <= -z) by symmetry."""
    return positive_scale(_lower(-_z(x, loc, scale)), scale)


def _log_lower(z):
    """log P(Z <= z): the log of the accurate cdf up to 0, where it is at most 1/2, and
    log1p(-sf) above (log of a cdf near 1 would lose sf's digits: the upper tail's
    log cdf = -atan(1/z)/pi to first order, 3e-11 at z = 1e10)."""
    lower = values(z) < 0
    return when(lower, log_probability(_lower(inside(lower, z, -1.0))),
                P.log1p(-_lower(-inside(~lower, z, 1.0))))


@composite
def logcdf(x, loc=0.0, scale=1.0):
    """log P(X <= x), accurate in both tails."""
    return positive_scale(_log_lower(_z(x, loc, scale)), scale)


@composite
def logsf(x, loc=0.0, scale=1.0):
    """log P(X > x) = log P(Z <= -z) (finite for every finite x)."""
    return positive_scale(_log_lower(-_z(x, loc, scale)), scale)


def _standard_ppf(q):
    """tan(pi (q - 1/2)) for 0 < q < 1, in the form that keeps q's accuracy."""
    qs = values(q)
    low, high = qs < 0.25, qs > 0.75
    middle = ~(low | high)
    return when(low, -1 / P.tan(math.pi * inside(low, q, 0.1)),
                when(high, 1 / P.tan(math.pi * (1 - inside(high, q, 0.9))),
                     P.tan(math.pi * (inside(middle, q, 0.5) - 0.5))))


@composite
def ppf(q, loc=0.0, scale=1.0):
    """The quantile function; -inf at q = 0, inf at q = 1."""
    z = quantile(q, _standard_ppf, -np.inf, np.inf)
    return positive_scale(loc + positive_or_one(scale) * z, scale)


@composite
def isf(q, loc=0.0, scale=1.0):
    """The inverse survival function loc - scale ppf_standard(q) (symmetry)."""
    z = quantile(q, lambda p: -_standard_ppf(p), np.inf, -np.inf)
    return positive_scale(loc + positive_or_one(scale) * z, scale)


@composite
def entropy(loc=0.0, scale=1.0):
    """Differential entropy log(4 pi scale); loc does not enter."""
    return positive_scale(math.log(4 * math.pi) + log_scale(scale) + 0 * loc, scale)
