"""The gamma distribution with shape a (scipy.stats.gamma's signatures: x, a, loc, scale).

logpdf = (a - 1) log z - z - gammaln(a) - log(scale) for z = (x - loc)/scale >= 0 (the
(a - 1) log z term is xlogy, so a = 1 at z = 0 gives 0, not NaN), -inf below.
Differentiable in x, a, loc and scale to any order.
"""

from __future__ import annotations

from ... import primitives as P
from ...rules import composite
from .common import inside, log, positive_scale, standardize, values, when

__all__ = ["logpdf", "pdf"]


def _valid_shape(value, a):
    return when(values(a) > 0, value, float("nan"))


@composite
def logpdf(x, a, loc=0.0, scale=1.0):
    """log of the density z^(a-1) e^-z / (Gamma(a) scale), z = (x - loc)/scale."""
    z = standardize(x, loc, scale)
    support = values(z) >= 0
    z = inside(support, z, 1.0)
    out = when(support, P.xlogy(a - 1, z) - z - P.gammaln(a) - log(scale), -float("inf"))
    return _valid_shape(positive_scale(out, scale), a)


@composite
def pdf(x, a, loc=0.0, scale=1.0):
    """The density, exp(logpdf)."""
    return P.exp(logpdf(x, a, loc, scale))
