"""scipy.special's names, differentiable, with no SciPy at run time.

    from chainrule.scipy.special import gammaln, digamma, logsumexp, erfinv

Each accepts NumPy arrays (and returns NumPy values, as SciPy's ufuncs do) or chainrule
tensors (and records). Real arguments only. The forwards are chainrule's own NumPy
implementations of published approximations (chainrule.primitives.special,
errorfunctions, incomplete, bessel, zetafunctions, expint, elliptic,
powertransforms); their accuracy against mpmath is stated in docs/api.md and checked in
tests/test_scipy_special_accuracy.py and tests/test_scipy_special_more.py.
"""

from __future__ import annotations

import math

import numpy as np

from .. import primitives as P
from ..graph import is_tensor
from ..primitives import (
    beta,
    betainc,
    betaln,
    boxcox,
    boxcox1p,
    cbrt,
    digamma,
    ellipe,
    ellipk,
    ellipkm1,
    entr,
    erf,
    erfc,
    erfcinv,
    erfcx,
    erfinv,
    exp1,
    exp2,
    expi,
    expm1,
    expn,
    exprel,
    gamma,
    gammainc,
    gammaincc,
    gammaln,
    gammasgn,
    i0,
    i0e,
    i1,
    i1e,
    inv_boxcox,
    inv_boxcox1p,
    iv,
    ive,
    j0,
    j1,
    jn,
    kl_div,
    log1p,
    log_ndtr,
    multigammaln,
    ndtr,
    ndtri,
    poch,
    polygamma,
    psi,
    rel_entr,
    rgamma,
    spence,
    xlog1py,
    xlogy,
    y0,
    y1,
    yn,
    zeta,
)
from ..rules import composite

__all__ = [
    "beta", "betainc", "betaln", "boxcox", "boxcox1p", "cbrt", "digamma", "ellipe", "ellipk",
    "ellipkm1", "entr", "erf",
    "erfc", "erfcinv", "erfcx", "erfinv", "exp1", "exp10", "exp2", "expi", "expit", "expm1",
    "expn", "exprel", "factorial", "gamma", "gammainc", "gammaincc", "gammaln", "gammasgn",
    "huber", "i0", "i0e", "i1", "i1e", "inv_boxcox", "inv_boxcox1p", "iv", "ive", "j0", "j1",
    "jn", "kl_div", "log1p", "log_expit", "log_ndtr", "log_softmax", "logit", "logsumexp",
    "multigammaln", "ndtr", "ndtri", "poch", "polygamma", "psi", "pseudo_huber", "rel_entr",
    "rgamma", "softmax", "spence", "xlog1py", "xlogy", "y0", "y1", "yn", "zeta",
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


# ------------------------------------------------------- elementary, by composition
@composite
def exp10(x):
    """10^x; d/dx = 10^x log 10 (NumPy's power: measured max error 0.5 ulp on [-300, 300])."""
    return P.power(10.0, x)


@composite
def huber(delta, r):
    """Huber's loss: r^2/2 for |r| <= delta, delta (|r| - delta/2) beyond; inf for delta < 0
    (SciPy's conventions). d/dr = r inside, delta sign(r) outside; d/ddelta = 0 inside,
    |r| - delta outside. Measured max error 1.3 ulp."""
    size = P.abs(r)
    value = P.where(P.less_equal(size, delta), 0.5 * (r * r), delta * (size - 0.5 * delta))
    return P.where(P.less(delta, 0), np.inf, value)


@composite
def pseudo_huber(delta, r):
    """delta^2 (sqrt(1 + (r/delta)^2) - 1), taken as delta^2 expm1(log1p((r/delta)^2)/2) so
    that it keeps its relative accuracy (r^2/2) for small r/delta; 0 for delta = 0, inf for
    delta < 0 (SciPy's conventions). Measured max error 5.7 ulp."""
    zero = P.equal(delta, 0)
    # (A Python number stays one, so that a float32 r stays float32.)
    safe = (1.0 if delta == 0 else delta) if isinstance(delta, (int, float)) else P.where(
        zero, 1.0, delta)
    v = r / safe
    value = (delta * delta) * P.expm1(0.5 * P.log1p(v * v))
    # SciPy returns 0 for r = 0 whatever delta is; only where delta^2 is not finite (inf,
    # NaN, beyond 1e154) does the formula need telling.
    zero = P.logical_or(zero, P.logical_and(P.equal(r, 0),
                                            P.logical_not(P.isfinite(delta * delta))))
    return P.where(P.less(delta, 0), np.inf, P.where(zero, 0.0, value))


# ------------------------------------------------------------------------- factorial
@composite
def factorial(n, exact=False, extend="zero"):
    """n! = Gamma(n + 1) for n >= 0; 0 for n < 0 (extend="zero"), NaN kept.

    As scipy.special.factorial: an array in gives a float64 array out (a 0-d array a 0-d
    array), a scalar a NumPy scalar; a chainrule tensor gives a tensor of its own dtype,
    differentiable: d/dn n! = Gamma(n + 1) psi(n + 1). extend="complex" takes Gamma(n + 1)
    on the negative reals too (NaN at n = -1). exact=True computes integers exactly
    (Python ints, int64 or object arrays, as SciPy) and has no derivative. Measured max
    error 4.5 ulp on [0, 171.6] (SciPy's gamma(n + 1): 586).
    """
    if extend not in ("zero", "complex"):
        raise ValueError(f"factorial: extend must be 'zero' or 'complex', got {extend!r}")
    if exact:
        if extend == "complex":
            raise ValueError("factorial: exact=True and extend='complex' do not combine")
        if is_tensor(n) and n.requires_grad:
            raise NotImplementedError(
                "factorial: exact=True computes integers, with no derivative; call it on a "
                "constant (a number or array), or use exact=False to differentiate"
            )
        return _exact_factorial(n._data if is_tensor(n) else n)
    if is_tensor(n):
        return _factorial(n, extend)
    if np.ndim(n) == 0 and not isinstance(n, np.ndarray):
        _check_factorial_scalar(n)
        if n is None or np.isnan(n):
            return np.float64(np.nan)
        if extend == "zero" and n < 0:
            return np.float64(0)
        if n in (0, 1):
            return np.float64(1)
        # (a NumPy float32 stays float32, as in SciPy; a Python number gives float64)
        return np.asarray(_factorial(n, extend))[()]
    n = np.asarray(n)
    if n.dtype.kind not in "iuf":
        raise ValueError(f"factorial: unsupported data type {n.dtype} (integers and floats)")
    if n.size == 0:
        return n
    return np.asarray(_factorial(n.astype(np.float64), extend), np.float64)


def _check_factorial_scalar(n):
    if n is not None and (isinstance(n, (bool, np.bool_))
                          or not isinstance(n, (int, float, np.integer, np.floating))):
        raise ValueError(f"factorial: unsupported type {type(n).__name__} (integers and floats)")


def _factorial(n, extend):
    """Gamma(n + 1), 0 below n = 0 (extend="zero"), on the graph."""
    if extend == "complex":
        return P.where(P.equal(n, -1), np.nan, P.poch(1.0, n))
    # Gamma(1 + n) as poch(1, n): poch takes 1 + n as an exact sum, where gamma(n + 1)
    # would round it first (600 ulp at n = 128, as in SciPy). The where inside keeps
    # Gamma's poles (and their gradients) off the n < 0 entries.
    inside = P.greater_equal(n, 0)
    value = P.where(inside, P.poch(1.0, P.where(inside, n, 0)), 0)
    return P.where(P.isnan(n), np.nan, value)


def _exact_factorial(n):
    """n! in integers: a Python int for a scalar, else an array of int64 (object past
    20!, which int64 cannot hold); 0 for n < 0, NaN for a NaN scalar."""
    if np.ndim(n) == 0 and not isinstance(n, np.ndarray):
        _check_factorial_scalar(n)
        if n is None or np.isnan(n):
            return np.float64(np.nan)
        if n < 0:
            return 0
        if isinstance(n, (float, np.floating)):
            raise ValueError(f"factorial: exact=True needs integers, got {type(n).__name__}")
        return math.factorial(int(n))
    n = np.asarray(n)
    if n.dtype.kind not in "iu":
        raise ValueError(f"factorial: exact=True needs integers, got data type {n.dtype}")
    if n.size == 0:
        return n
    out = np.empty(n.shape, dtype=object if n.max() > 20 else np.int64)
    for value in np.unique(n):
        out[n == value] = math.factorial(int(value)) if value >= 0 else 0
    return out
