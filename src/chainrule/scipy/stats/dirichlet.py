"""The Dirichlet distribution with concentrations alpha (scipy.stats.dirichlet's logpdf,
pdf and rvs, with SciPy's checks).

x holds the components along its first axis: K of them, or K - 1 with the last taken as
1 - sum. logpdf = sum_i (alpha_i - 1) log x_i - (sum_i gammaln(alpha_i) -
gammaln(sum_i alpha_i)), differentiable in x and alpha to any order (in x, as the
formula; x is not projected onto the simplex).
"""

from __future__ import annotations

import numpy as np

from ... import primitives as P
from .common import at_hand, composite

__all__ = ["logpdf", "pdf", "rvs"]


def _check_alpha(alpha):
    a = at_hand(alpha)
    if np.ndim(a) != 1:
        raise ValueError(f"dirichlet: alpha must be a vector, got shape {np.shape(a)}")
    if np.any(a <= 0):
        raise ValueError("dirichlet: every alpha must be > 0")


def _with_last_component(x, k):
    xs = at_hand(x)
    if np.ndim(xs) == 0 or xs.shape[0] not in (k, k - 1):
        raise ValueError(
            f"dirichlet: x must have {k} (or {k - 1}) components along its first axis, got "
            f"shape {np.shape(xs)}"
        )
    if xs.shape[0] == k - 1:
        last = 1 - P.sum(x, axis=0, keepdims=True)
        x = P.concatenate([x, last], axis=0)
    return x


def _check_simplex(x, alpha):
    xs = at_hand(x)
    if np.min(xs) < 0 or np.max(xs) > 1:
        raise ValueError("dirichlet: every component of x must lie in [0, 1]")
    small = np.asarray(at_hand(alpha) < 1).reshape((-1,) + (1,) * (xs.ndim - 1))
    if np.any((xs == 0) & small):
        raise ValueError("dirichlet: a component of x may be 0 only where its alpha is >= 1")
    total = np.sum(xs, axis=0)
    if np.any(np.abs(total - 1) > 1e-9):
        raise ValueError(f"dirichlet: x must lie on the simplex (components summing to 1 "
                         f"along the first axis); the sums are {total}")


@composite
def logpdf(x, alpha):
    """log density of Dirichlet(alpha) at x (components along the first axis)."""
    _check_alpha(alpha)
    k = np.shape(at_hand(alpha))[0]
    x = _with_last_component(x, k)
    _check_simplex(x, alpha)
    shape = (k,) + (1,) * (np.ndim(at_hand(x)) - 1)
    log_b = P.sum(P.gammaln(alpha)) - P.gammaln(P.sum(alpha))
    return P.sum(P.xlogy(P.reshape(alpha, shape) - 1, x), axis=0) - log_b


@composite
def pdf(x, alpha):
    """The density, exp(logpdf)."""
    return P.exp(logpdf(x, alpha))


def rvs(alpha, size=1, random_state=None):
    """Draws from Dirichlet(alpha), shape (size, K) (or size + (K,)); not differentiable."""
    _check_alpha(alpha)
    rng = random_state if isinstance(random_state, np.random.Generator) else (
        np.random.default_rng(random_state))
    return rng.dirichlet(at_hand(alpha), size)
