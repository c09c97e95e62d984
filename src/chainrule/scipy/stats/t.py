"""Student's t distribution with df degrees of freedom (scipy.stats.t's signatures).

logpdf = -betaln(df/2, 1/2) - log(df)/2 - log(scale) - (df+1)/2 log1p(z^2/df): the
normalising constant log Gamma((df+1)/2) - log Gamma(df/2) - log(pi)/2 is written as
-betaln(df/2, 1/2), which keeps its accuracy for large df where the two gammaln values
cancel (df = 1e6: 6 digits lost). df = inf (a Python number) is the normal distribution.
Differentiable in x, df, loc and scale to any order.
"""

from __future__ import annotations

import math

from ... import primitives as P
from ...rules import composite
from . import norm
from .common import log, positive_scale, standardize, values, when

__all__ = ["logpdf", "pdf"]


def _is_infinite(df):
    return isinstance(df, (int, float)) and math.isinf(df) and df > 0


def _valid_df(value, df):
    return when(values(df) > 0, value, float("nan"))


@composite
def logpdf(x, df, loc=0.0, scale=1.0):
    """log of the density of loc + scale T, T ~ t(df)."""
    if _is_infinite(df):
        return norm.logpdf(x, loc, scale)
    z = standardize(x, loc, scale)
    out = (-P.betaln(0.5 * df, 0.5) - 0.5 * log(df) - log(scale)
           - 0.5 * (df + 1) * P.log1p(z * z / df))
    return _valid_df(positive_scale(out, scale), df)


@composite
def pdf(x, df, loc=0.0, scale=1.0):
    """The density, exp(logpdf)."""
    return P.exp(logpdf(x, df, loc, scale))
