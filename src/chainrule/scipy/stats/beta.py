"""The beta distribution with shapes a, b (scipy.stats.beta's signatures: x, a, b, loc,
scale).

logpdf = (a - 1) log z + (b - 1) log(1 - z) - betaln(a, b) - log(scale) on 0 <= z <= 1
(xlogy and xlog1py: a = 1 at z = 0 gives the finite log b), -inf outside.
Differentiable in x, a, b, loc and scale to any order.
"""

from __future__ import annotations

from ... import primitives as P
from ...rules import composite
from .common import inside, log, positive_scale, standardize, values, when

__all__ = ["logpdf", "pdf"]


def _valid_shapes(value, a, b):
    return when((values(a) > 0) & (values(b) > 0), value, float("nan"))


@composite
def logpdf(x, a, b, loc=0.0, scale=1.0):
    """log of the density z^(a-1) (1-z)^(b-1) / (B(a, b) scale), z = (x - loc)/scale."""
    z = standardize(x, loc, scale)
    support = (values(z) >= 0) & (values(z) <= 1)
    z = inside(support, z, 0.5)
    out = P.xlogy(a - 1, z) + P.xlog1py(b - 1, -z) - P.betaln(a, b) - log(scale)
    out = when(support, out, -float("inf"))
    return _valid_shapes(positive_scale(out, scale), a, b)


@composite
def pdf(x, a, b, loc=0.0, scale=1.0):
    """The density, exp(logpdf)."""
    return P.exp(logpdf(x, a, b, loc, scale))
