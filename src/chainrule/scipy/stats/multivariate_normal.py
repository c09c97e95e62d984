"""The multivariate normal distribution N(mean, cov) (scipy.stats.multivariate_normal's
logpdf, pdf and entropy, with SciPy's argument handling).

x holds points along its last axis (a 1-D x is one point, or, in one dimension, many);
mean defaults to zeros, cov may be a number (times the identity), a vector (the
diagonal) or a matrix; the result is squeezed as SciPy's is. With L = cholesky(cov):

    logpdf = -(d log(2 pi) + 2 sum log diag L + |L^-1 (x - mean)|^2) / 2

differentiable in x, mean and cov to any order (cov is treated as symmetric: the gradient
is the symmetric one). allow_singular=True works for positive definite cov (the result
is the same); a singular cov would need the pseudo-determinant, from an eigendecomposition
chainrule does not have yet, and raises.
"""

from __future__ import annotations

import math

import numpy as np

from ... import primitives as P
from ...graph import is_tensor
from .common import at_hand, composite

__all__ = ["entropy", "logpdf", "pdf"]

_LOG_2PI = math.log(2 * math.pi)


def _dimension(mean, cov):
    if mean is not None:
        return int(np.size(at_hand(mean)))
    return 1 if np.ndim(at_hand(cov)) < 2 else int(np.shape(at_hand(cov))[0])


def _parameters(mean, cov):
    """(dim, mean as a vector, cov as a matrix), as SciPy's _process_parameters reads them."""
    dim = _dimension(mean, cov)
    if mean is None:
        mean = np.zeros(dim)
    elif dim == 1:
        mean = P.reshape(mean, (1,))
    if np.ndim(at_hand(mean)) != 1 or np.shape(at_hand(mean))[0] != dim:
        raise ValueError(f"multivariate_normal: mean must be a vector of length {dim}, got "
                         f"shape {np.shape(at_hand(mean))}")
    ndim = np.ndim(at_hand(cov))
    if dim == 1 and ndim < 2:
        cov = P.reshape(cov, (1, 1))
    elif ndim == 0:
        cov = cov * np.eye(dim)
    elif ndim == 1:
        if np.shape(at_hand(cov))[0] != dim:
            raise ValueError(f"multivariate_normal: a vector cov must have length {dim}, got "
                             f"{np.shape(at_hand(cov))[0]}")
        cov = P.diag(cov)
    if np.shape(at_hand(cov)) != (dim, dim):
        raise ValueError(f"multivariate_normal: cov must be a ({dim}, {dim}) matrix, got shape "
                         f"{np.shape(at_hand(cov))}")
    return dim, mean, cov


def _points(x, dim):
    """x as (..., dim): a number is one point in 1-D, a vector one point (or, in 1-D, many)."""
    shape = np.shape(at_hand(x))
    if len(shape) == 0:
        return P.reshape(x, (1, 1))
    if len(shape) == 1:
        return P.reshape(x, (-1, 1) if dim == 1 else (1, -1))
    if shape[-1] != dim:
        raise ValueError(f"multivariate_normal: x has {shape[-1]} components along its last "
                         f"axis; the distribution has {dim}")
    return x


def _cholesky(cov, allow_singular):
    try:
        return P.cholesky(cov)
    except np.linalg.LinAlgError:
        if allow_singular:
            raise NotImplementedError(
                "multivariate_normal: cov is singular; allow_singular=True needs its "
                "pseudo-determinant and pseudo-inverse (an eigendecomposition), which "
                "chainrule does not differentiate yet. Add a small multiple of the identity "
                "to cov instead."
            ) from None
        raise np.linalg.LinAlgError(
            "multivariate_normal: cov must be symmetric positive definite (its Cholesky "
            "factorization failed); with allow_singular=False a singular cov is an error"
        ) from None


def _squeeze(out):
    shape = [n for n in np.shape(at_hand(out)) if n != 1]
    if len(shape) == len(np.shape(at_hand(out))):
        return out
    out = P.reshape(out, tuple(shape))
    return out if is_tensor(out) or np.ndim(out) else out[()]


@composite
def logpdf(x, mean=None, cov=1, allow_singular=False):
    """log density of N(mean, cov) at the points along x's last axis."""
    dim, mean, cov = _parameters(mean, cov)
    x = _points(x, dim)
    lower = _cholesky(cov, allow_singular)
    diff = x - mean  # (..., d)
    shape = np.shape(at_hand(diff))
    flat = P.reshape(diff, (-1, dim))
    z = P.solve_triangular(lower, P.transpose(flat), lower=True)  # (d, N)
    maha = P.reshape(P.sum(z * z, axis=0), shape[:-1])
    log_det = 2 * P.sum(P.log(P.diagonal(lower)))
    return _squeeze(-0.5 * (dim * _LOG_2PI + log_det + maha))


@composite
def pdf(x, mean=None, cov=1, allow_singular=False):
    """The density, exp(logpdf)."""
    return P.exp(logpdf(x, mean, cov, allow_singular))


@composite
def entropy(mean=None, cov=1):
    """Differential entropy (d (1 + log 2 pi) + log det cov) / 2; mean does not enter."""
    dim, _, cov = _parameters(mean, cov)
    lower = _cholesky(cov, False)
    return 0.5 * (dim * (1 + _LOG_2PI)) + P.sum(P.log(P.diagonal(lower)))
