"""What the distributions share: standardizing by loc and scale, SciPy's NaN for invalid
parameters, and values outside the support, without NaN reaching a gradient."""

from __future__ import annotations

import math

import numpy as np

from ... import primitives as P
from ...graph import is_tensor
from ...primitives.special import constant_argument

LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def values(x):
    """The NumPy values of a tensor, an array or a number."""
    return x._data if is_tensor(x) else np.asarray(x)


def log(x):
    """log(x), as a Python float for a Python number (no float64 scalar to upcast with)."""
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)
    return P.log(x)


def when(condition, value, otherwise):
    """value where condition holds, else the constant `otherwise` (NaN, -inf, 0, ...).

    condition is a NumPy boolean array (or bool); where it is all true, value is returned
    unchanged, so valid parameters cost nothing extra.
    """
    condition = np.asarray(condition)
    if condition.all():
        return value
    return P.where(condition, value, otherwise)


def inside(condition, x, fill):
    """x where condition holds, else `fill`: keeps a function's argument inside its domain,
    so the branch that when() discards is finite and so is its (zero) gradient."""
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


def standardize(x, loc, scale):
    """(x - loc) / scale."""
    return (x - loc) / scale


def refuse_gradient(function, name, value):
    """The values of a discrete argument (a count k), refused if it needs a gradient."""
    return constant_argument(function, name, value, "a discrete count")
