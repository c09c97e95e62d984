"""Reductions along axes: sum, max/min, prod, logsumexp, cumsum; mean, var, std as compositions.

Every reduction takes ``axis`` (None, an int or a tuple of ints) and ``keepdims``.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING

import numpy as np

from .. import batching as B
from .. import statements as S
from ..domains import Example
from ..graph import trace_hook
from ..graph import values as _values
from ..rules import composite, nondifferentiable, primitive
from ..stability import made_by
from .elementwise import astype, equal, exp, isfinite, maximum, sqrt, where
from .shape import broadcast_to, flip, normalize_axes

if TYPE_CHECKING:
    from ..api_types import Axis, Operand
    from ..tensor import Tensor



def _on_axis(axis=1, shape=(3, 4)):
    """An example input: a standard normal array of `shape`, reduced over `axis`."""
    return Example(lambda rng: ((rng.standard_normal(shape),), {"axis": axis}))


def reduced_axes(axis, ndim):
    """The reduced axes as a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    # (Repeats are kept as NumPy's reductions have them: sum(x, axis=(0, 0)) is an error
    # there, raised by the forward with NumPy's own message.)
    return tuple(sorted(normalize_axes(axis, ndim, "reduce", repeats_ok=True)))


def keepdims_shape(shape, axis):
    """`shape` with the reduced axes set to 1."""
    axes = reduced_axes(axis, len(shape))
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def restore(g, shape, axis, keepdims):
    """Reshape a reduced value so it broadcasts against the unreduced input."""
    if keepdims:
        return g
    return g.reshape(keepdims_shape(shape, axis))


def count(shape, axis):
    """Number of elements a reduction over `axis` combines."""
    n = 1
    for a in reduced_axes(axis, len(shape)):
        n *= shape[a]
    return n


# Reducing along a short last axis (the 10 classes of a batch of logits) is where NumPy
# is slowest: its inner loop runs over only a few elements per row. Reducing the
# transposed copy along its first axis instead runs the inner loop over all rows at
# once. Longer rows lose, hence the limits (measurements: docs/performance.md, "Short
# rows").
_SHORT_ROWS = {np.maximum: 64, np.minimum: 64, np.add: 32}


def reduce_last(ufunc, x, axis, keepdims=True):
    """``ufunc.reduce(x, axis, keepdims=keepdims)``, fast for short last axes (see above).

    The same values as NumPy's reduction (for max/min exactly; for sums the rounding may
    differ in the last bit, as between any two summation orders).
    """
    shape = x.shape
    if (
        type(axis) is int
        and len(shape) >= 2
        and (axis == -1 or axis == len(shape) - 1)
        and 1 <= shape[-1] <= _SHORT_ROWS.get(ufunc, 0)
        and x.size >= 16 * shape[-1]
        and x.flags.c_contiguous
    ):
        k = shape[-1]
        out = ufunc.reduce(np.ascontiguousarray(x.reshape(-1, k).T), axis=0)
        return out.reshape(shape[:-1] + (1,) if keepdims else shape[:-1])
    return ufunc.reduce(x, axis=axis, keepdims=keepdims)


def _sum_fwd(x, axis=None, keepdims=False):
    if type(x) is np.ndarray and x.dtype.kind == "f":
        return reduce_last(np.add, x, axis, keepdims)
    return np.sum(x, axis, keepdims=keepdims)


def _extreme_fwd(ufunc, numpy_fn):
    def fwd(x, axis=None, keepdims=False):
        if type(x) is np.ndarray and x.dtype.kind == "f":
            return reduce_last(ufunc, x, axis, keepdims)
        return numpy_fn(x, axis, keepdims=keepdims)

    return fwd


# --------------------------------------------------------------------- sum
def _sum_vjp(g, ans, x, axis=None, keepdims=False):
    if axis is not None and not keepdims:
        g = restore(g, x.shape, axis, keepdims)
    # (With axis=None g is 0-d, or keeps the reduced axes as 1: it broadcasts as it is.)
    if type(g) is np.ndarray and g.ndim == 0:
        # A first-order pass after a full sum: g's one number seen at every position, as
        # a read-only view (the constructor costs a fifth of a broadcast_to call).
        view = np.ndarray(np.shape(x), g.dtype, g, 0, (0,) * np.ndim(x))
        view.flags.writeable = False
        return view
    return broadcast_to(g, x.shape)


def _log_of_sum(x, axis=None, keepdims=False):
    # log(sum(exp(z))) is computed as logsumexp(z): chainrule.stability.
    inner = made_by(x, exp)
    return None if inner is None else logsumexp(inner[0][0], axis=axis, keepdims=keepdims)


sum = primitive(
    "sum", _sum_fwd,
    batch=B.sum_rule,
    linear=True,
    log_form=_log_of_sum,
    provenance=lambda args: made_by(args[0], exp) is not None,
    domain=_on_axis(),
    statement=S.reduction("y = sum of x", "x_bar = g", r"y = \sum_i x_i", r"\bar x_i = \bar y"),
).defvjp(_sum_vjp)


# ------------------------------------------------------------ max and min
def _extreme_weights(ans, x, axis, keepdims):
    # Ties share the derivative evenly: each of k equal maxima gets weight 1 / k.
    hit = equal(x, restore(ans, x.shape, axis, keepdims))
    return hit / astype(hit.sum(axis=axis, keepdims=True), dtype=x.dtype)


def _extreme_vjp(g, ans, x, axis=None, keepdims=False):
    return restore(g, x.shape, axis, keepdims) * _extreme_weights(ans, x, axis, keepdims)


def _extreme_jvp(t, ans, x, axis=None, keepdims=False):
    return sum(_extreme_weights(ans, x, axis, keepdims) * t, axis=axis, keepdims=keepdims)


max = primitive(
    "max", _extreme_fwd(np.maximum, np.max),
    batch=B.sum_rule,
    domain=_on_axis(),
    statement=S.reduction(
        "y = max of x", "x_bar = g / k at each of the k tied maxima, 0 elsewhere",
        r"y = \max_i x_i", r"\bar x_i = \bar y\, [x_i = y] / k",
    ),
).defvjp(_extreme_vjp).defjvp(_extreme_jvp)

min = primitive(
    "min", _extreme_fwd(np.minimum, np.min),
    batch=B.sum_rule,
    domain=_on_axis(),
    statement=S.reduction(
        "y = min of x", "x_bar = g / k at each of the k tied minima, 0 elsewhere",
        r"y = \min_i x_i", r"\bar x_i = \bar y\, [x_i = y] / k",
    ),
).defvjp(_extreme_vjp).defjvp(_extreme_jvp)


# -------------------------------------------------------------------- prod
def _others_product(x, axis):
    """prod_{j != i} x_j along `axis` for every i, exact also when x contains zeros.

    Exact in value and in its first derivative, so prod's gradient and its second
    derivative are exact at zeros too.
    """
    zero = equal(x, 0)
    nonzero = where(zero, 1, x)
    p = prod(nonzero, axis=axis, keepdims=True)
    zeros = zero.sum(axis=axis, keepdims=True)
    # z is the sum of the zero entries: 0 in value, but it carries their derivative, so
    # d/dx_k of prod_{j != i} x_j is right where x_k = 0 (a constant 0 would drop it).
    z = sum(where(zero, x, 0), axis=axis, keepdims=True)
    # No zero: p / x_i everywhere. One zero: p at it, z p / x_i elsewhere. Two zeros: at
    # each, (the other zero) p = (z - x_i) p, 0 elsewhere. Three or more: 0 everywhere.
    at_zero = where(equal(zeros, 1), p, where(equal(zeros, 2), (z - x) * p, 0))
    elsewhere = where(equal(zeros, 0), 1, where(equal(zeros, 1), z, 0)) * p / nonzero
    return where(zero, at_zero, elsewhere)


prod = primitive(
    "prod", lambda x, axis=None, keepdims=False: np.prod(x, axis, keepdims=keepdims),
    batch=B.sum_rule,
    domain=_on_axis(),
    statement=S.reduction(
        "y = product of x", "x_bar_i = g * prod_{j != i} x_j (exact with zeros: no division)",
        r"y = \prod_i x_i", r"\bar x_i = \bar y \prod_{j \ne i} x_j",
    ),
).defvjp(
    lambda g, ans, x, axis=None, keepdims=False: restore(g, x.shape, axis, keepdims)
    * _others_product(x, axis),
).defjvp(
    lambda t, ans, x, axis=None, keepdims=False: sum(
        _others_product(x, axis) * t, axis=axis, keepdims=keepdims
    ),
)


# --------------------------------------------------------------- logsumexp
def log_sum_exp_shifted(z, axis):
    """log(sum(exp(z))) along `axis` for rows whose max is exactly 0 (or that are all -inf).

    Computed as log1p of everything but one e^0 = 1 term: log(1 + 1e-20) would round the
    small terms away and give 0, log1p keeps them (relative accuracy of log_softmax at
    the top class, and of logsumexp). A row of k tied maxima adds k - 1; a row of only
    -inf has k = 0 and gives log1p(-1) = -inf.
    """
    top = z == 0
    e = np.asarray(np.exp(z))  # (an array also for 0-d z, to be written below)
    e[top] = 0
    rest = reduce_last(np.add, e, axis) if type(axis) is int else e.sum(axis, keepdims=True)
    rest += top.sum(axis=axis, keepdims=True, dtype=rest.dtype) - 1
    with np.errstate(divide="ignore"):
        return np.log1p(rest)


def _logsumexp_fwd(x, axis=None, keepdims=False):
    x = np.asarray(x)
    m = np.max(x, axis=axis, keepdims=True) if x.size else np.zeros((), x.dtype)
    # A row of all -inf has max -inf; shifting by it would give NaN. Shift by 0 instead.
    m = np.where(np.isfinite(m), m, 0)
    out = log_sum_exp_shifted(x - m, axis) + m
    if not keepdims:
        out = np.squeeze(out, axis=reduced_axes(axis, x.ndim))
    return out


def _softmax_weights(x, lse, axis):
    # exp(x - logsumexp(x)): the softmax along the reduced axes, 0 in all -inf rows; in a
    # row holding +inf its limit, shared by the +inf entries (as softmax gives it).
    weights = exp(x - where(isfinite(lse), lse, 0))
    if trace_hook() is None and not (_values(lse) == np.inf).any():
        return weights  # (read off the values only outside cr.vmap/cr.compile traces,
        # whose steps must not depend on one example's or one call's values)
    dtype = _values(weights).dtype
    top = astype(equal(x, np.inf), dtype)
    share = top / maximum(sum(top, axis=axis, keepdims=True), 1)
    return where(equal(lse, np.inf), share, weights)


logsumexp = primitive(
    "logsumexp", _logsumexp_fwd,
    batch=B.sum_rule,
    domain=_on_axis(),
    statement=S.reduction(
        "y = log sum_j e^(x_j) = m + log1p(sum of e^(x_j - m) but one e^0), m = max x",
        "x_bar = g * e^(x - y) = g * softmax(x) (0 in rows of only -inf)",
        r"y = \log \sum_j e^{x_j}", r"\bar x = \bar y\, e^{x - y}",
    ),
).defvjp(
    lambda g, ans, x, axis=None, keepdims=False: restore(g, x.shape, axis, keepdims)
    * _softmax_weights(x, restore(ans, x.shape, axis, keepdims), axis),
).defjvp(
    lambda t, ans, x, axis=None, keepdims=False: sum(
        _softmax_weights(x, restore(ans, x.shape, axis, keepdims), axis) * t,
        axis=axis,
        keepdims=keepdims,
    ),
)


# ------------------------------------------------------------------ cumsum
def _reverse_cumsum(g, x, axis):
    if axis is None:
        return flip(cumsum(flip(g, 0), axis=0), 0).reshape(x.shape)
    return flip(cumsum(flip(g, axis), axis=axis), axis)


cumsum = primitive(
    "cumsum", lambda x, axis=None: np.cumsum(x, axis=axis),
    batch=B.cumulative_rule,
    linear=True,
    domain=_on_axis(),
    statement=S.reduction(
        "y_i = sum_{j <= i} x_j", "x_bar_j = sum_{i >= j} g_i (a reversed cumulative sum)",
        r"y_i = \sum_{j \le i} x_j", r"\bar x_j = \sum_{i \ge j} \bar y_i",
    ),
).defvjp(lambda g, ans, x, axis=None: _reverse_cumsum(g, x, axis))

argmax = nondifferentiable(
    "argmax", lambda x, axis=None, keepdims=False: np.argmax(x, axis=axis, keepdims=keepdims),
    batch=B.arg_rule,
    statement=S.step("index of the largest x", r"\arg\max_i x_i"),
)
argmin = nondifferentiable(
    "argmin", lambda x, axis=None, keepdims=False: np.argmin(x, axis=axis, keepdims=keepdims),
    batch=B.arg_rule,
    statement=S.step("index of the smallest x", r"\arg\min_i x_i"),
)


# ------------------------------------------------------------ compositions
@composite
def mean(x: Operand, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Arithmetic mean: sum / count (a composition, no rule of its own)."""
    return sum(x, axis=axis, keepdims=keepdims) / count(np.shape(x), axis)


@composite
def var(x: Operand, axis: Axis = None, keepdims: bool = False, ddof: float = 0) -> Tensor:
    """Variance: mean squared deviation, divided by max(n - ddof, 0).

    As NumPy: with ddof >= n the divisor is 0, so the result is NaN (or inf).
    """
    d = x - mean(x, axis=axis, keepdims=True)
    divisor = np.float64(builtins.max(count(np.shape(x), axis) - ddof, 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return sum(d * d, axis=axis, keepdims=keepdims) / divisor


@composite
def std(x: Operand, axis: Axis = None, keepdims: bool = False, ddof: float = 0) -> Tensor:
    """Standard deviation: sqrt(var), with gradient 0 where var = 0.

    At a constant input std has a kink (like |x| at 0); the gradient taken there is the
    subgradient 0, as PyTorch's, so a constant feature cannot turn a step into NaN.
    sqrt only sees var where var != 0, and the other branch of the where is a constant.
    """
    v = var(x, axis=axis, keepdims=keepdims, ddof=ddof)
    flat = equal(v, 0)
    return where(flat, 0, sqrt(where(flat, 1, v)))
