"""Activations and the softmax family, written to stay finite for any finite input.

sigmoid, softplus, softmax and log_softmax have rules of their own (rather than
being compositions of exp and log) because the compositions overflow: exp(1000)
is inf in float64, exp(100) in float32. Each forward below uses only exponentials
of non-positive numbers.
"""

from __future__ import annotations

import math

import numpy as np

from ..graph import primitive
from .elementwise import exp, expm1, greater, minimum, tanh, where
from .reductions import log_sum_exp_shifted


# -------------------------------------------------------------------- sigmoid
def _sigmoid_fwd(x):
    x = np.asarray(x)
    e = np.exp(-np.abs(x))  # in (0, 1]: cannot overflow
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(np.result_type(x, np.float16))


# sigma' = sigma (1 - sigma) = sigma(x) sigma(-x). The second form keeps full relative
# precision for large x, where 1 - sigma(x) would round to 0 (x > 37 in float64).
sigmoid = primitive("sigmoid", _sigmoid_fwd).defvjp(
    lambda g, ans, x: g * ans * sigmoid(-x),
).defjvp(
    lambda t, ans, x: t * ans * sigmoid(-x),
)


# ------------------------------------------------------------------- softplus
def _softplus_fwd(x):
    return np.logaddexp(0, x)  # log(1 + e^x) without overflow


# softplus' = sigmoid
softplus = primitive("softplus", _softplus_fwd).defvjp(
    lambda g, ans, x: g * sigmoid(x),
).defjvp(
    lambda t, ans, x: t * sigmoid(x),
)


def log_sigmoid(x):
    """log(sigmoid(x)) = -softplus(-x), finite for every finite x."""
    return -softplus(-x)


# ----------------------------------------------------------------------- relu
# relu'(0) is taken as 0, as in PyTorch.
relu = primitive("relu", lambda x: np.maximum(x, 0)).defvjp(
    lambda g, ans, x: g * greater(x, 0),
).defjvp(
    lambda t, ans, x: t * greater(x, 0),
)


def leaky_relu(x, negative_slope=0.01):
    """x for x > 0, negative_slope * x otherwise."""
    return where(greater(x, 0), x, x * negative_slope)


def elu(x, alpha=1.0):
    """x for x > 0, alpha (e^x - 1) otherwise; the exponential only sees x <= 0."""
    return where(greater(x, 0), x, alpha * expm1(minimum(x, 0)))


# ------------------------------------------------------------------ erf, gelu
_erf_ufunc = np.frompyfunc(math.erf, 1, 1)


def _erf_fwd(x):
    x = np.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.float64
    # The object ufunc returns a bare Python float for 0-d input: convert via asarray.
    return np.asarray(_erf_ufunc(x), dtype=dtype)


_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)

# erf'(x) = 2/sqrt(pi) e^{-x^2}
erf = primitive("erf", _erf_fwd).defvjp(
    lambda g, ans, x: g * (_TWO_OVER_SQRT_PI * exp(-(x * x))),
).defjvp(
    lambda t, ans, x: t * (_TWO_OVER_SQRT_PI * exp(-(x * x))),
)

_SQRT_HALF = math.sqrt(0.5)
_SQRT_TWO_OVER_PI = math.sqrt(2 / math.pi)


def gelu(x, approximate="none"):
    """x * Phi(x); approximate='tanh' uses 0.5 x (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3)))."""
    if approximate == "tanh":
        return 0.5 * x * (1 + tanh(_SQRT_TWO_OVER_PI * (x + 0.044715 * x * x * x)))
    if approximate != "none":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', not {approximate!r}")
    return 0.5 * x * (1 + erf(x * _SQRT_HALF))


# -------------------------------------------------------- softmax, log_softmax
def _shift(x, axis):
    # Seed 4a: softmax(x) = softmax(x - c). Subtracting the max keeps every exponent <= 0.
    # A row of only -inf has no finite max; it is shifted by 0 instead of NaN.
    m = x.max(axis=axis, keepdims=True)
    if not np.isfinite(m).all():
        z = x - np.where(np.isfinite(m), m, 0)
        if np.isposinf(m).any():
            # The limit of a row with +inf entries: they share all the mass (their
            # shifted value is 0), every other entry gets none (-inf).
            z = np.where(np.isposinf(m), np.where(x == np.inf, 0, -np.inf), z)
        return z
    return x - m


def _softmax_fwd(x, axis=-1):
    e = np.exp(_shift(np.asarray(x), axis))
    s = e.sum(axis=axis, keepdims=True)
    # s >= 1 (the max contributes e^0) except in a row of only -inf, where s = 0: every
    # probability in that row is 0 (no class is possible) rather than 0/0.
    e /= np.where(s > 0, s, 1)
    return e


def _log_softmax_fwd(x, axis=-1):
    z = _shift(np.asarray(x), axis)
    # The log of the row sum is >= 0, or -inf for a row of only -inf: there the result
    # is -inf (the log of probability 0), not -inf - (-inf).
    z -= np.maximum(log_sum_exp_shifted(z, axis), 0)
    return z


# softmax VJP: y * (g - sum(g * y)); the N x N Jacobian diag(y) - y y^T is never formed.
softmax = primitive("softmax", _softmax_fwd).defvjp(
    lambda g, ans, x, axis=-1: ans * (g - (g * ans).sum(axis=axis, keepdims=True)),
).defjvp(
    lambda t, ans, x, axis=-1: ans * (t - (t * ans).sum(axis=axis, keepdims=True)),
)


def _log_softmax_vjp(g, ans, x, axis=-1):
    # Seed 4c: z_i = v_i - sigma_i * sum_j v_j, with sigma = exp(log_softmax(x)).
    return g - exp(ans) * g.sum(axis=axis, keepdims=True)


def _log_softmax_jvp(t, ans, x, axis=-1):
    # J t = t - 1 (sigma . t): row i of the seed's 4b Jacobian applied to t.
    return t - (exp(ans) * t).sum(axis=axis, keepdims=True)


log_softmax = primitive("log_softmax", _log_softmax_fwd).defvjp(_log_softmax_vjp).defjvp(
    _log_softmax_jvp
)
