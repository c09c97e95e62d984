"""The Laplace (double exponential) distribution (scipy.stats.laplace's signatures: x,
loc, scale).

logpdf = -|z| - log(2 scale), z = (x - loc)/scale. The cdf is e^z/2 below loc and
1 - e^-z/2 above, so log cdf = z - log 2 exactly in the lower tail and log1p(-e^-z/2)
above; sf and logsf are the same at -z (laplace.logsf(50) = -50 - log 2, not log of a
rounded 1 - cdf). ppf = loc + scale log(2q) for q <= 1/2 and loc - scale log(2 - 2q)
above (1 - q is exact there); entropy = 1 + log(2 scale).

Differentiable in x, loc and scale to any order away from x = loc. At x = loc the
density has a kink: its x-gradient there is taken as 0 (abs's derivative sign(0) = 0,
the midpoint of the subdifferential [-1, 1]/scale), and the loc-gradient likewise. The
cdf is continuously differentiable there (both sides give the density 1/(2 scale)); its
second derivative jumps, and each side's is used on its own side.
"""

from __future__ import annotations

import math

import numpy as np

from ... import primitives as P
from .common import (
    LOG2,
    composite,
    inside,
    log_scale,
    positive_or_one,
    positive_scale,
    quantile,
    standardize,
    values,
    when,
)

__all__ = ["cdf", "entropy", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]


def _z(x, loc, scale):
    return standardize(x, loc, positive_or_one(scale))


def _lower(z):
    """P(Z <= z) for the standard Laplace Z: e^z/2 below 0, 1 - e^-z/2 from 0 (each
    branch sees only its own side of z, so neither overflows)."""
    below = values(z) < 0
    return when(below, 0.5 * P.exp(inside(below, z, 0.0)),
                1 - 0.5 * P.exp(-inside(~below, z, 0.0)))


def _log_lower(z):
    """log P(Z <= z): z - log 2 below 0 (exact), log1p(-e^-z/2) from 0."""
    below = values(z) < 0
    return when(below, inside(below, z, 0.0) - LOG2,
                P.log1p(-0.5 * P.exp(-inside(~below, z, 0.0))))


@composite
def logpdf(x, loc=0.0, scale=1.0):
    """log of the density e^-|z| / (2 scale); its gradient at x = loc is 0."""
    z = _z(x, loc, scale)
    return positive_scale(-P.abs(z) - LOG2 - log_scale(scale), scale)


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


@composite
def logcdf(x, loc=0.0, scale=1.0):
    """log P(X <= x), exact in the lower tail."""
    return positive_scale(_log_lower(_z(x, loc, scale)), scale)


@composite
def logsf(x, loc=0.0, scale=1.0):
    """log P(X > x) = -z - log 2 in the upper tail."""
    return positive_scale(_log_lower(-_z(x, loc, scale)), scale)


def _standard_ppf(q):
    """The standard quantile: log(2q) up to 1/2, -log(2 (1 - q)) above."""
    lower = values(q) <= 0.5
    return when(lower, P.log(2 * inside(lower, q, 0.25)),
                -P.log(2 * (1 - inside(~lower, q, 0.75))))


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
    """Differential entropy 1 + log(2 scale); loc does not enter."""
    return positive_scale(1.0 + math.log(2.0) + log_scale(scale) + 0 * loc, scale)
