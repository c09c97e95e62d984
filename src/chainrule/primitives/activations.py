"""Activations and the softmax family, written to stay finite for any finite input.

sigmoid, softplus, softmax and log_softmax have rules of their own (rather than
being compositions of exp and log) because the compositions overflow: exp(1000)
is inf in float64, exp(100) in float32. Each forward below uses only exponentials
of non-positive numbers.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

import numpy as np

from .. import batching as B
from .. import statements as S
from ..domains import AWAY_FROM_ZERO, Domain, Example
from ..rules import composite, elementwise, primitive
from ..stability import always
from .elementwise import exp, expm1, greater, tanh, where
from .reductions import log_sum_exp_shifted, reduce_last

if TYPE_CHECKING:
    from ..api_types import Operand
    from ..tensor import Tensor



# -------------------------------------------------------------------- sigmoid
def _sigmoid_fwd(x):
    x = np.asarray(x)
    e = np.exp(-np.abs(x))  # in (0, 1]: cannot overflow
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(np.result_type(x, np.float16))


# sigma' = sigma (1 - sigma) = sigma(x) sigma(-x). The second form keeps full relative
# precision for large x, where 1 - sigma(x) would round to 0 (x > 37 in float64).
sigmoid = elementwise(
    "sigmoid", _sigmoid_fwd, lambda ans, x: ans * sigmoid(-x),
    # log(sigmoid(x)) = -softplus(-x), log(1 - sigmoid(x)) = -softplus(x): no overflow.
    log_form=lambda x: -softplus(-x),
    log1m_form=lambda x: -softplus(x),
    provenance=always,
    domain=Domain(-6.0, 6.0),
    statement=S.unary(
        "1 / (1 + e^-x)",
        "y * sigmoid(-x)  (= y (1 - y), without rounding 1 - y to 0 for large x)",
        r"\sigma(x) = \frac{1}{1 + e^{-x}}",
        r"\sigma(x)\, \sigma(-x)",
    ),
)


# ------------------------------------------------------------------- softplus
def _softplus_fwd(x):
    return np.logaddexp(0, x)  # log(1 + e^x) without overflow


# softplus' = sigmoid
softplus = elementwise(
    "softplus", _softplus_fwd, lambda ans, x: sigmoid(x),
    domain=Domain(-6.0, 6.0),
    statement=S.unary(
        "ln(1 + e^x), computed as logaddexp(0, x)", "sigmoid(x)", r"\ln(1 + e^x)", r"\sigma(x)"
    ),
)


@composite
def log_sigmoid(x: Operand) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), finite for every finite x."""
    return -softplus(-x)


# ----------------------------------------------------------------------- relu
# relu'(0) is taken as 0, as in PyTorch.
relu = elementwise(
    "relu", lambda x: np.maximum(x, 0), lambda ans, x: greater(x, 0),
    domain=AWAY_FROM_ZERO,
    statement=S.unary("max(x, 0)", "[x > 0]  (0 at x = 0)", r"\max(x, 0)", r"[x > 0]"),
)


@composite
def leaky_relu(x: Operand, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, negative_slope * x otherwise."""
    return where(greater(x, 0), x, x * negative_slope)


@composite
def elu(x: Operand, alpha: float = 1.0) -> Tensor:
    """x for x > 0, alpha (e^x - 1) otherwise; the exponential only sees x <= 0.

    elu'(0) = alpha (the left derivative, as PyTorch and JAX take it): the exponential
    branch sees x itself at 0, not minimum(x, 0), whose derivative splits a tie in half.
    """
    positive = greater(x, 0)
    return where(positive, x, alpha * expm1(where(positive, 0, x)))


# ------------------------------------------------------------------ erf, gelu
# erf is evaluated with the rational Chebyshev approximations of W. J. Cody,
# "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969),
# 631-638, with the coefficients as published in his SPECFUN package (erf, 1990 revision):
#   |x| <= 1/2:     erf(x)  = x P1(x^2) / Q1(x^2)
#   1/2 < x <= 4:   erfc(x) = e^{-x^2} P2(x) / Q2(x)
#   x > 4:          erfc(x) = e^{-x^2} / x (1/sqrt(pi) - z P3(z) / Q3(z)),  z = 1/x^2
# and erf = 1 - erfc for x > 1/2. Each table below holds one approximation as rows of
# (numerator, denominator) coefficients, highest power first; the denominators are monic.
def _coefficient_pairs(numerator, denominator):
    return np.array([numerator, (1.0, *denominator)]).T.reshape(-1, 2, 1)


_ERF_P1Q1 = _coefficient_pairs(
    (1.85777706184603153e-1, 3.16112374387056560e00, 1.13864154151050156e02,
     3.77485237685302021e02, 3.20937758913846947e03),
    (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
     2.84423683343917062e03),
)
_ERFC_P2Q2 = _coefficient_pairs(
    (2.15311535474403846e-8, 5.64188496988670089e-1, 8.88314979438837594e00,
     6.61191906371416295e01, 2.98635138197400131e02, 8.81952221241769090e02,
     1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03),
    (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
     1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
     3.43936767414372164e03, 1.23033935480374942e03),
)
_ERFC_P3Q3 = _coefficient_pairs(
    (1.63153871373020978e-2, 3.05326634961232344e-1, 3.60344899949804439e-1,
     1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4),
    (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
     6.05183413124413191e-2, 2.33520497626869185e-3),
)
_ONE_OVER_SQRT_PI = 0.56418958354775628695
# erfc(6) < 2^-54, so 1 - erfc(x) rounds to exactly 1 in float64 for every x >= 6: the
# erfc branches see |x| clipped to [1/2, 6], which also keeps inf and huge x finite.
_ERF_SATURATES = 6.0
# Elements per pass. The ~50 array operations of one pass then work on arrays that stay
# in cache and are reused, instead of streaming (and reallocating) full-size temporaries
# (docs/performance.md, "erf in blocks").
_ERF_BLOCK = 65536


def _rational(t, pairs, work, out):
    """out = P(t) / Q(t), both polynomials advanced together by Horner's rule in work."""
    np.multiply(pairs[0], t, out=work)
    for c in pairs[1:-1]:
        work += c
        work *= t
    work += pairs[-1]
    np.divide(work[0], work[1], out=out)


def _erf_block(x, out, y, s, r, work):
    """out = erf(x) for one float64 block; y, s, r, work are scratch of x's length."""
    np.abs(x, out=y)
    # Near zero: erf(x) = x P1(x^2)/Q1(x^2), evaluated at |x| clipped to 1/2 (the other
    # elements take the erfc branch). A single rounding of x times a ratio near 2/sqrt(pi)
    # keeps tiny and subnormal x from underflowing, and gives erf(-0.0) = -0.0.
    np.minimum(y, 0.5, out=s)
    np.multiply(s, s, out=r)
    _rational(r, _ERF_P1Q1, work, out)
    np.copysign(s, x, out=s)
    out *= s
    # Away from zero: erf(|x|) = 1 - erfc(|x|).
    np.clip(y, 0.5, 4.0, out=s)
    _rational(s, _ERFC_P2Q2, work, r)
    tail = y > 4.0
    if tail.any():
        z = np.clip(y, 4.0, _ERF_SATURATES)
        zz = 1 / (z * z)
        _rational(zz, _ERFC_P3Q3, work, s)
        r = np.where(tail, (_ONE_OVER_SQRT_PI - zz * s) / z, r)
    # e^{-x^2} is taken directly: the rounding of x^2 perturbs erfc(x) by about
    # x^2 erfc(x) eps < 0.2 eps absolutely, under half an ulp of erf(x) >= 0.52.
    np.clip(y, 0.5, _ERF_SATURATES, out=s)
    s *= s
    np.negative(s, out=s)
    np.exp(s, out=s)
    r *= s
    np.subtract(1.0, r, out=r)
    np.copysign(r, x, out=r)
    # Select by arithmetic (both branches are finite, so one term is an exact +-0):
    # a where() on a data-dependent mask is several times slower.
    np.less_equal(y, 0.5, out=s)
    out *= s
    np.greater(y, 0.5, out=s)
    r *= s
    out += r  # NaN: both comparisons are false and both terms stay NaN


# For float32 and float16 results, one rational function serves the whole range:
#   erf(x) = x P(x^2) / Q(x^2),  |x| clipped to 4,
# P of degree 7 and Q of degree 7 (monic in reverse: Q(0) = 1), fitted by
# tools/fit_erf_single.py (weighted least squares against mpmath, Lawson's iteration
# towards minimax) to a relative error of 8.3e-12 on [0, 4], 1/7000 of a float32 ulp.
# erfc(4) = 1.5e-8 is under half a float32 ulp of 1, so clipping saturates correctly.
# Evaluated in float64 and rounded once, the result is the correctly rounded float32
# erf except within 1e-11 of a rounding midpoint (off by 1 ulp there), and has no
# branches: about half the array passes of Cody's pieces (docs/performance.md).
_ERF_SINGLE_PQ = np.array([
    (3.00475249554194e-09, 7.329857992857135e-08),
    (7.527832119608955e-07, 4.519099932367196e-06),
    (2.1787287999626585e-05, 0.00011151568821204636),
    (0.0005130429317349219, 0.0017152244867902945),
    (0.004962181531595454, 0.017719001552375963),
    (0.0581184711802725, 0.12180072692712406),
    (0.20034414377184318, 0.5108837074659952),
    (1.1283791670861885, 1.0),
]).reshape(-1, 2, 1)
_ERF_SINGLE_CLIP = 4.0


def _erf_single_block(x, out, t, work):
    """out = erf(x) for one block, to float32 accuracy; x is float64 scratch, clipped here."""
    np.clip(x, -_ERF_SINGLE_CLIP, _ERF_SINGLE_CLIP, out=x)  # NaN stays NaN
    np.multiply(x, x, out=t)
    _rational(t, _ERF_SINGLE_PQ, work, out)
    out *= x  # odd, and -0.0 gives -0.0


def _erf_fwd(x):
    """erf(x) = 2/sqrt(pi) int_0^x e^{-t^2} dt, elementwise; computed in float64 (Cody's
    pieces for float64 results, one rational function for float32 and float16)."""
    x = np.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    single = dtype.itemsize <= 4
    flat = x.reshape(-1)
    out = np.empty(flat.size, dtype)
    n = min(flat.size, _ERF_BLOCK)
    xs, y, s, r = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    work = np.empty((2, n))
    for start in range(0, flat.size, _ERF_BLOCK):
        stop = min(start + _ERF_BLOCK, flat.size)
        m = stop - start
        if single:  # (into float64 scratch, which the block clips in place)
            xs[:m] = flat[start:stop]
            _erf_single_block(xs[:m], r[:m], y[:m], work[:, :m])
            out[start:stop] = r[:m]
        else:
            _erf_block(flat[start:stop].astype(np.float64, copy=False), out[start:stop],
                       y[:m], s[:m], r[:m], work[:, :m])
    return out.reshape(x.shape)


_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)

# erf'(x) = 2/sqrt(pi) e^{-x^2}
erf = elementwise(
    "erf", _erf_fwd, lambda ans, x: _TWO_OVER_SQRT_PI * exp(-(x * x)),
    statement=S.unary(
        "erf x = 2/sqrt(pi) int_0^x e^(-t^2) dt", "2/sqrt(pi) e^(-x^2)",
        r"\operatorname{erf} x", r"\frac{2}{\sqrt\pi} e^{-x^2}",
    ),
)

_SQRT_HALF = math.sqrt(0.5)
_SQRT_TWO_OVER_PI = math.sqrt(2 / math.pi)


@composite
def gelu(x: Operand, approximate: Literal["none", "tanh"] = "none") -> Tensor:
    """x * Phi(x); approximate='tanh' uses 0.5 x (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3)))."""
    if approximate == "tanh":
        return 0.5 * x * (1 + tanh(_SQRT_TWO_OVER_PI * (x + 0.044715 * x * x * x)))
    if approximate != "none":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', not {approximate!r}")
    return 0.5 * x * (1 + erf(x * _SQRT_HALF))


# -------------------------------------------------------- softmax, log_softmax
def max_shift(x, axis):
    """x minus its maximum along `axis` (NumPy values): every exponent of the result is <= 0.

    softmax(x) = softmax(x - c) for any c (docs/derivations.md, section 3), so the shift
    changes nothing but keeps exp from overflowing. A row of only -inf has no finite
    max; it is shifted by 0 instead of giving NaN. A row with +inf entries gets its
    limit: those entries share all the mass (shifted value 0), the others none (-inf).
    """
    m = reduce_last(np.maximum, x, axis) if type(axis) is int else x.max(axis, keepdims=True)
    if not np.logical_and.reduce(np.isfinite(m), axis=None):
        z = x - np.where(np.isfinite(m), m, 0)
        if np.isposinf(m).any():
            z = np.where(np.isposinf(m), np.where(x == np.inf, 0, -np.inf), z)
        return z
    return x - m


def _softmax_fwd(x, axis=-1):
    e = np.exp(max_shift(np.asarray(x), axis))
    s = reduce_last(np.add, e, axis) if type(axis) is int else e.sum(axis, keepdims=True)
    # s >= 1 (the max contributes e^0) except in a row of only -inf, where s = 0: every
    # probability in that row is 0 (no class is possible) rather than 0/0. (A row with a
    # NaN has s = NaN and stays NaN.)
    e /= np.where(s == 0, 1, s)
    return e


def _log_softmax_fwd(x, axis=-1):
    z = max_shift(np.asarray(x), axis)
    # The log of the row sum is >= 0, or -inf for a row of only -inf: there the result
    # is -inf (the log of probability 0), not -inf - (-inf).
    z -= np.maximum(log_sum_exp_shifted(z, axis), 0)
    return z


_LAST_AXIS = Example(lambda rng: ((rng.standard_normal((3, 4)),), {"axis": -1}))

# softmax VJP: y * (g - sum(g * y)); the N x N Jacobian diag(y) - y y^T is never formed.
# The Jacobian is symmetric, so the JVP is the same expression of the tangent.
softmax = primitive(
    "softmax", _softmax_fwd,
    symmetric=True,
    batch=B.softmax_rule,
    # log(softmax(x)) is computed as log_softmax(x): chainrule.stability.
    log_form=lambda x, axis=-1: log_softmax(x, axis=axis),
    provenance=always,
    domain=_LAST_AXIS,
    statement=S.Statement(
        forward="y_i = e^(x_i - m) / sum_j e^(x_j - m) along axis, m = max_j x_j "
        "(the shift changes nothing); 0 in a row of only -inf",
        vjp="x_bar = y * (g - sum_j g_j y_j): the Jacobian is never formed",
        latex_forward=r"y_i = \frac{e^{x_i}}{\sum_j e^{x_j}}",
        latex_vjp=r"\bar x = y \odot \left(\bar y - \textstyle\sum_j \bar y_j y_j\right)",
        jacobian="J = diag(y) - y y^T: dy_i/dx_j = y_i (delta_ij - y_j)",
        latex_jacobian=r"J = \operatorname{diag}(y) - y y^\top",
    ),
).defvjp(
    lambda g, ans, x, axis=-1: ans * (g - (g * ans).sum(axis=axis, keepdims=True)),
)


def _log_softmax_vjp(g, ans, x, axis=-1):
    # z_i = v_i - sigma_i * sum_j v_j, with sigma = exp(log_softmax(x)): the VJP without
    # the Jacobian (docs/derivations.md, section 5).
    return g - exp(ans) * g.sum(axis=axis, keepdims=True)


def _log_softmax_jvp(t, ans, x, axis=-1):
    # J t = t - 1 (sigma . t): row i of the Jacobian (docs/derivations.md, section 4)
    # applied to t.
    return t - (exp(ans) * t).sum(axis=axis, keepdims=True)


log_softmax = primitive(
    "log_softmax", _log_softmax_fwd,
    batch=B.softmax_rule,
    domain=_LAST_AXIS,
    statement=S.Statement(
        forward="y_i = x_i - log sum_j e^(x_j) along axis, computed from the max-shifted "
        "logits with log1p; -inf in a row of only -inf",
        vjp="x_bar_i = g_i - sigma_i * sum_j g_j with sigma = e^y = softmax(x); on the NLL "
        "loss g = -t, so x_bar = sigma * sum(t) - t",
        latex_forward=r"y_i = x_i - \log \sum_j e^{x_j}",
        latex_vjp=r"\bar x_i = \bar y_i - \sigma_i \sum_j \bar y_j",
        jacobian="J = I - 1 sigma^T: 1 - sigma_i on the diagonal, -sigma_j off it; "
        "never formed, the VJP costs O(N)",
        latex_jacobian=r"\frac{\partial y_i}{\partial x_j} = \delta_{ij} - \sigma_j",
    ),
).defvjp(_log_softmax_vjp).defjvp(_log_softmax_jvp)
