"""What the distributions share: standardizing by loc and scale, SciPy's NaN for invalid
parameters, and values outside the support, without NaN reaching a gradient; log(1 - e^a)
without cancellation, and quantile functions with SciPy's values at q = 0, 1 and outside."""

from __future__ import annotations

import functools
import math

import numpy as np

from ... import graph
from ... import primitives as P
from ...graph import holds_tensor, is_tensor
from ...primitives.special import constant_argument, with_shape_of
from ...rules import composite as _composite

LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
LOG2 = math.log(2.0)


def composite(fn):
    """rules.composite for a distribution function: its arguments are array_like, so a
    plain list or tuple of numbers is an array (as SciPy takes it), and one holding
    tensors is stacked on the graph."""

    def arrays(a):
        return np.asarray(a) if isinstance(a, (list, tuple)) and not holds_tensor(a) else a

    @functools.wraps(fn)
    def call(*args, **kw):
        return fn(*map(arrays, args), **{k: arrays(v) for k, v in kw.items()})

    return _composite(call)


def values(x):
    """The NumPy values of a tensor, an array or a number, to test (values(z) < 0) and
    select with (when, inside). A tensor that cr.vmap or cr.compile traces stays the
    tensor: the tests on it are then operations of the trace, made anew for every example
    or call, rather than the traced one's answers fixed for all."""
    if is_tensor(x):
        tracer = graph.trace_hook()
        return x if tracer is not None and tracer.traced(x) else x._data
    return np.asarray(x)


def at_hand(x):
    """The NumPy values of a tensor, an array or a number, for argument checks that raise
    (a traced tensor's are those of the example or call at hand)."""
    return x._data if is_tensor(x) else np.asarray(x)


def unsettled(condition):
    """True for a condition computed from a traced tensor (see values)."""
    return is_tensor(condition)


def log(x):
    """log(x), as a Python float for a Python number (no float64 scalar to upcast with)."""
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)
    return P.log(x)


def when(condition, value, otherwise):
    """value where condition holds, else the constant `otherwise` (NaN, -inf, 0, ...).

    condition is a NumPy boolean array (or bool); where it is all true, value is returned
    unchanged (broadcast to the condition's shape if that is larger, as P.where would), so
    valid parameters cost nothing extra.
    """
    if unsettled(condition):
        return P.where(condition, value, otherwise)
    condition = np.asarray(condition)
    if condition.all():
        return with_shape_of(value, condition)
    return P.where(condition, value, otherwise)


def inside(condition, x, fill):
    """x where condition holds, else `fill`: keeps a function's argument inside its domain,
    so the branch that when() discards is finite and so is its (zero) gradient."""
    if unsettled(condition):
        return P.where(condition, x, fill)
    condition = np.asarray(condition)
    if condition.all():
        return x
    return P.where(condition, x, fill)


def positive_scale(value, scale):
    """SciPy's NaN where scale <= 0."""
    return when(values(scale) > 0, value, np.nan)


def log_scale(scale):
    """log(scale), with an invalid scale (<= 0; the result is NaN there anyway, by
    positive_scale) replaced by 1 so no warning or NaN gradient comes from the log."""
    if isinstance(scale, (int, float)):
        return log(scale) if scale > 0 else 0.0
    return log(inside(values(scale) > 0, scale, 1.0))


def nan_where_nan(value, x):
    """value, NaN where x is NaN (a support test such as x >= 0 is False for NaN and
    would give -inf there; SciPy gives NaN)."""
    return when(~np.isnan(values(x)), value, float("nan"))


def positive_or_one(value):
    """A parameter that must be positive (scale, a shape), with an invalid one (<= 0 or
    NaN; the result is NaN there anyway, by positive_scale or the distribution's own check)
    replaced by 1, so dividing by it or taking its log warns of nothing and its gradient
    is 0."""
    if isinstance(value, (int, float)):
        return value if value > 0 else 1.0
    return inside(values(value) > 0, value, 1.0)


def standardize(x, loc, scale):
    """(x - loc) / scale."""
    return (x - loc) / scale


def log1mexp(a):
    """log(1 - e^a) for a <= 0, accurate at both ends (Maechler's two forms): log(-expm1(a))
    for a > -log 2, where e^a is near 1, and log1p(-e^a) below, where it is small.
    Infinite at a = 0 (the caller keeps that point out: its value there is a constant)."""
    near = values(a) > -LOG2
    return when(near, P.log(-P.expm1(inside(near, a, -1.0))),
                P.log1p(-P.exp(inside(~near, a, -1.0))))


def log_probability(p):
    """log(p) of a probability: -inf where p = 0 as a constant (no divide-by-zero warning,
    no infinite gradient); NaN stays NaN."""
    nonzero = ~(values(p) == 0)
    return when(nonzero, P.log(inside(nonzero, p, 1.0)), -np.inf)


def log_probability_with(p, complement):
    """log(p) of a probability whose complement 1 - p is known as accurately as p: log(p)
    up to p = 1/2, log1p(-complement) above, where p is near 1 and would have rounded
    away the complement's digits (log of a cdf of 1 - 1e-11 keeps 5 digits, not 16)."""
    small = ~(values(p) > 0.5)
    return when(small, log_probability(inside(small, p, 0.25)),
                P.log1p(-inside(~small, complement, 0.25)))


def log1m_probability(p):
    """log(1 - p) = log1p(-p) of a probability: -inf where p = 1 as a constant."""
    below_one = ~(values(p) == 1)
    return when(below_one, P.log1p(-inside(below_one, p, 0.0)), -np.inf)


def quantile(q, formula, at_zero, at_one):
    """formula(q) for 0 < q < 1 (q kept inside, so the branches not taken stay finite),
    the constants at_zero and at_one (the support's ends: -inf, 0, 1, inf) at q = 0 and
    q = 1, and SciPy's NaN for q outside [0, 1] or NaN."""
    qs = values(q)
    interior = (qs > 0) & (qs < 1)
    ends = np.where(qs == 0, at_zero, np.where(qs == 1, at_one, np.nan))
    return when(interior, formula(inside(interior, q, 0.5)), ends)


def refuse_gradient(function, name, value):
    """The values of a discrete argument (a count k), refused if it needs a gradient; a
    traced one stays the tensor (see values)."""
    if is_tensor(value) and not value.requires_grad and unsettled(values(value)):
        return value
    return constant_argument(function, name, value, "a discrete count")


def count(function, name, value):
    """A count argument (k, loc, n) in float64, refused if it needs a gradient."""
    value = refuse_gradient(function, name, value)
    return P.astype(value, np.float64) if is_tensor(value) else np.asarray(value, np.float64)


def shifted_count(function, k, loc):
    """k - loc in float64: the point of a discrete distribution in its standard support."""
    return count(function, "k", k) - count(function, "loc", loc)


def is_integer(k):
    """k is a finite integer (SciPy's mass is 0 elsewhere)."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(k) & (k == np.floor(k))
