"""scipy.special's names for the functions chainrule differentiates stably.

    from chainrule.scipy.special import logsumexp, expit, softmax

Each accepts NumPy arrays (and returns NumPy values) or chainrule tensors (and
records). They are chainrule's own stable primitives: logsumexp, softmax and
log_softmax shift by the maximum, expit never exponentiates a positive number.
SciPy itself is not needed.
"""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from ..graph import is_tensor


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """log(sum(b * exp(a))) over `axis`, computed without overflow; b >= 0 scales the terms.

    d/da_i = b_i exp(a_i) / sum_j b_j exp(a_j).
    """
    if return_sign:
        raise NotImplementedError(
            "logsumexp: return_sign=True (negative weights b) is not supported; pass b >= 0"
        )
    if b is None:
        return P.logsumexp(a, axis=axis, keepdims=keepdims)
    if np.any((b.data if is_tensor(b) else np.asarray(b)) < 0):
        raise ValueError("logsumexp: weights b must be >= 0 (return_sign is not supported)")
    # log(b) is -inf where b = 0: those terms drop out, exactly as b * exp(a) = 0 would.
    with np.errstate(divide="ignore"):
        return P.logsumexp(a + P.log(b), axis=axis, keepdims=keepdims)


def expit(x):
    """The logistic sigmoid 1 / (1 + e^-x); d/dx = expit(x) (1 - expit(x))."""
    return P.sigmoid(x)


def log_expit(x):
    """log(expit(x)) = -softplus(-x), finite for every finite x."""
    return P.log_sigmoid(x)


def logit(p):
    """log(p / (1 - p)), the inverse of expit; d/dp = 1 / (p (1 - p))."""
    return P.log(p) - P.log1p(-p)


def softmax(x, axis=None):
    """exp(x) / sum(exp(x)) over `axis` (over all elements when axis is None, as in SciPy)."""
    return P.softmax(x, axis=axis)


def log_softmax(x, axis=None):
    """x - logsumexp(x) over `axis` (over all elements when axis is None, as in SciPy)."""
    return P.log_softmax(x, axis=axis)


def erf(z):
    """The error function 2/sqrt(pi) int_0^z e^(-t^2) dt; d/dz = 2/sqrt(pi) e^(-z^2)."""
    return P.erf(z)
