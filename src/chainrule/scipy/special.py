"""scipy.special's names, differentiable, with no SciPy at run time.

    from chainrule.scipy.special import gammaln, digamma, logsumexp, erfinv

Each accepts NumPy arrays (and returns NumPy values, as SciPy's ufuncs do) or chainrule
tensors (and records). Real arguments only. The forwards are chainrule's own NumPy
implementations of published approximations (chainrule.primitives.special,
errorfunctions, incomplete, bessel); their accuracy against mpmath is stated in
docs/api.md and checked in tests/test_scipy_special_accuracy.py.
"""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from ..graph import is_tensor
from ..primitives import (
    beta,
    betainc,
    betaln,
    digamma,
    entr,
    erf,
    erfc,
    erfcinv,
    erfcx,
    erfinv,
    gamma,
    gammainc,
    gammaincc,
    gammaln,
    gammasgn,
    i0,
    i0e,
    i1,
    i1e,
    iv,
    ive,
    j0,
    j1,
    jn,
    kl_div,
    log_ndtr,
    multigammaln,
    ndtr,
    ndtri,
    polygamma,
    psi,
    rel_entr,
    rgamma,
    xlog1py,
    xlogy,
    y0,
    y1,
    yn,
)
from ..rules import composite

__all__ = [
    "beta", "betainc", "betaln", "digamma", "entr", "erf", "erfc", "erfcinv", "erfcx",
    "erfinv", "expit", "gamma", "gammainc", "gammaincc", "gammaln", "gammasgn", "i0", "i0e",
    "i1", "i1e", "iv", "ive", "j0", "j1", "jn", "kl_div", "log_expit", "log_ndtr",
    "log_softmax", "logit", "logsumexp", "multigammaln", "ndtr", "ndtri", "polygamma", "psi",
    "rel_entr", "rgamma", "softmax",
    "xlog1py", "xlogy", "y0", "y1", "yn",
]


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """log(sum(b * exp(a))) over `axis`, computed without overflow.

    d/da_i = b_i exp(a_i) / sum_j b_j exp(a_j). Weights b of either sign are SciPy's:
    the result is log|s| of the weighted sum s, NaN where s < 0 unless ``return_sign``,
    which also returns sign(s) (0 where s = 0, whose log is -inf).
    """
    if b is None and not return_sign:
        return P.logsumexp(a, axis=axis, keepdims=keepdims)
    b_values = None if b is None else (b._data if is_tensor(b) else np.asarray(b))
    # (The signed form below gives the same values for b >= 0: it is chosen from b's
    # values only when b is a constant array, never for a tensor, whose values may be
    # one example's or one call's under cr.vmap and cr.compile.)
    if not return_sign and not is_tensor(b) and not np.any(b_values < 0):
        # log(b) is -inf where b = 0: those terms drop out, exactly as b * exp(a) = 0 would.
        with np.errstate(divide="ignore"):
            return P.logsumexp(a + P.log(b), axis=axis, keepdims=keepdims)
    # Signed weights: s = sum(b exp(a - m)) e^m with m the largest a of a nonzero weight
    # (held constant: the value does not depend on it, so neither does the derivative).
    weights = 1.0 if b is None else b
    live = a if b is None else P.where(P.not_equal(b, 0), a, -np.inf)  # (a and b broadcast)
    m = P.stop_gradient(P.max(live, axis=axis, keepdims=True))
    m = P.where(P.isfinite(m), m, 0.0)
    total = P.sum(weights * P.exp(a - m), axis=axis, keepdims=True)
    with np.errstate(divide="ignore"):
        out = P.log(P.abs(total)) + m
    sign = P.sign(total)
    if not keepdims:
        out, sign = P.squeeze(out, axis=axis), P.squeeze(sign, axis=axis)
    if return_sign:
        return out, sign
    return P.where(P.less(sign, 0), np.nan, out)


def expit(x):
    """The logistic sigmoid 1 / (1 + e^-x); d/dx = expit(x) (1 - expit(x))."""
    return P.sigmoid(x)


def log_expit(x):
    """log(expit(x)) = -softplus(-x), finite for every finite x."""
    return P.log_sigmoid(x)


@composite
def logit(p):
    """log(p / (1 - p)), the inverse of expit; d/dp = 1 / (p (1 - p))."""
    return P.log(p) - P.log1p(-p)


def softmax(x, axis=None):
    """exp(x) / sum(exp(x)) over `axis` (over all elements when axis is None, as in SciPy)."""
    return P.softmax(x, axis=axis)


def log_softmax(x, axis=None):
    """x - logsumexp(x) over `axis` (over all elements when axis is None, as in SciPy)."""
    return P.log_softmax(x, axis=axis)
