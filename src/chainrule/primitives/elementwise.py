"""Elementwise primitives: arithmetic, the exp/log family, trigonometry, comparisons.

Each primitive is its NumPy forward followed by its rules. A VJP rule reads
``(g, ans, *inputs)``: the output cotangent, the forward output, the inputs. A JVP
rule reads ``(t, ans, *inputs)`` with ``t`` the tangent of that one input. Rules use
operators and chainrule primitives only, so they work on arrays (first order) and
on tensors (higher order) alike. Broadcasting is undone centrally, in the graph.
"""

from __future__ import annotations

import numpy as np

from ..graph import is_tensor, nondifferentiable, primitive

# ------------------------------------------------------------------- arithmetic
add = primitive("add", np.add, elementwise=True).defvjp(
    lambda g, ans, x, y: g,
    lambda g, ans, x, y: g,
).defjvp(
    lambda t, ans, x, y: t,
    lambda t, ans, x, y: t,
)

subtract = primitive("subtract", np.subtract, elementwise=True).defvjp(
    lambda g, ans, x, y: g,
    lambda g, ans, x, y: -g,
).defjvp(
    lambda t, ans, x, y: t,
    lambda t, ans, x, y: -t,
)

multiply = primitive("multiply", np.multiply, elementwise=True).defvjp(
    lambda g, ans, x, y: g * y,
    lambda g, ans, x, y: g * x,
).defjvp(
    lambda t, ans, x, y: t * y,
    lambda t, ans, x, y: x * t,
)

# d(x/y)/dy = -x/y^2 = -ans/y
divide = primitive("divide", np.divide, elementwise=True).defvjp(
    lambda g, ans, x, y: g / y,
    lambda g, ans, x, y: -g * ans / y,
).defjvp(
    lambda t, ans, x, y: t / y,
    lambda t, ans, x, y: -t * ans / y,
)

negative = primitive("negative", np.negative, elementwise=True).defvjp(
    lambda g, ans, x: -g,
).defjvp(
    lambda t, ans, x: -t,
)


def _dpow_dx(x, p):
    # p * x**(p-1), with the p == 0 case exactly zero (0 * x**-1 would be NaN at x = 0).
    return where(equal(p, 0), 0, p * x ** (p - 1))


def _dpow_dp(ans, x):
    # x**p * log(x); only defined for x > 0. Elsewhere the derivative is taken as 0
    # (the log of a positive stand-in keeps the untaken branch finite).
    if not is_tensor(x):
        # A constant base takes the result's dtype, as a Python number did in the forward;
        # where() would make 2.0 a float64 array and turn float32 work into float64.
        x = np.asarray(x, dtype=np.result_type(ans))
    return where(greater(x, 0), ans * log(where(greater(x, 0), x, 1)), 0)


power = primitive("power", np.power, elementwise=True).defvjp(
    lambda g, ans, x, p: g * _dpow_dx(x, p),
    lambda g, ans, x, p: g * _dpow_dp(ans, x),
).defjvp(
    lambda t, ans, x, p: t * _dpow_dx(x, p),
    lambda t, ans, x, p: t * _dpow_dp(ans, x),
)

# --------------------------------------------------------------- exp and log
exp = primitive("exp", np.exp, elementwise=True).defvjp(
    lambda g, ans, x: g * ans,
).defjvp(
    lambda t, ans, x: t * ans,
)

log = primitive("log", np.log, elementwise=True).defvjp(
    lambda g, ans, x: g / x,
).defjvp(
    lambda t, ans, x: t / x,
)

log1p = primitive("log1p", np.log1p, elementwise=True).defvjp(
    lambda g, ans, x: g / (1 + x),
).defjvp(
    lambda t, ans, x: t / (1 + x),
)

expm1 = primitive("expm1", np.expm1, elementwise=True).defvjp(
    lambda g, ans, x: g * (ans + 1),
).defjvp(
    lambda t, ans, x: t * (ans + 1),
)

sqrt = primitive("sqrt", np.sqrt, elementwise=True).defvjp(
    lambda g, ans, x: g / (2 * ans),
).defjvp(
    lambda t, ans, x: t / (2 * ans),
)

# |x|' = sign(x), taking 0 at 0 (the subgradient PyTorch and NumPy users expect).
abs = primitive("abs", np.abs, elementwise=True).defvjp(
    lambda g, ans, x: g * sign(x),
).defjvp(
    lambda t, ans, x: t * sign(x),
)

# -------------------------------------------------------------- trigonometry
sin = primitive("sin", np.sin, elementwise=True).defvjp(
    lambda g, ans, x: g * cos(x),
).defjvp(
    lambda t, ans, x: t * cos(x),
)

cos = primitive("cos", np.cos, elementwise=True).defvjp(
    lambda g, ans, x: -g * sin(x),
).defjvp(
    lambda t, ans, x: -t * sin(x),
)

# tan' = 1 + tan^2
tan = primitive("tan", np.tan, elementwise=True).defvjp(
    lambda g, ans, x: g * (1.0 + ans * ans),
).defjvp(
    lambda t, ans, x: t * (1.0 + ans * ans),
)

# The seed's question 3a: tanh' = 1 - tanh^2, using the saved output.
# tanh' = 1 - tanh^2 (seed 3a), applied as g (1 - y y): for y near 1 the subtraction
# is exact (Sterbenz), so only the rounding of y y counts. The faster g - g y y (no
# Python-scalar operand: 0.67 vs 0.89 us on 16 elements) rounds g y before cancelling
# and was measured to lose up to 18% of g (1 - y^2) on saturated float32 units.
# The literal is 1.0: NumPy combines a Python float with an array faster than a Python
# int (16 float64 elements: 330 vs 420 ns), and the result is the same.
tanh = primitive("tanh", np.tanh, elementwise=True).defvjp(
    lambda g, ans, x: g * (1.0 - ans * ans),
).defjvp(
    lambda t, ans, x: t * (1.0 - ans * ans),
)


# ------------------------------------------------------- maximum and minimum
# Ties split the gradient evenly between the two inputs.
def _pick(g, mine, other, wins):
    return g * wins(mine, other) + (g * 0.5) * equal(mine, other)


maximum = primitive("maximum", np.maximum, elementwise=True).defvjp(
    lambda g, ans, x, y: _pick(g, x, y, greater),
    lambda g, ans, x, y: _pick(g, y, x, greater),
).defjvp(
    lambda t, ans, x, y: _pick(t, x, y, greater),
    lambda t, ans, x, y: _pick(t, y, x, greater),
)

minimum = primitive("minimum", np.minimum, elementwise=True).defvjp(
    lambda g, ans, x, y: _pick(g, x, y, less),
    lambda g, ans, x, y: _pick(g, y, x, less),
).defjvp(
    lambda t, ans, x, y: _pick(t, x, y, less),
    lambda t, ans, x, y: _pick(t, y, x, less),
)


def _clip_fwd(x, a_min=None, a_max=None):
    if a_min is None and a_max is None:
        return np.array(x, copy=True)
    return np.clip(x, a_min, a_max)


def _inside(x, a_min, a_max):
    # 1 where the clip passed x through (bounds included, as PyTorch's clamp does).
    inside = np.ones(np.shape(x), dtype=bool)
    if a_min is not None:
        inside &= np.asarray(x >= a_min)
    if a_max is not None:
        inside &= np.asarray(x <= a_max)
    return inside


def _clip_rule(g, x, a_min, a_max):
    return g * _inside(x.data if is_tensor(x) else x, a_min, a_max)


clip = primitive("clip", _clip_fwd).defvjp(
    lambda g, ans, x, a_min=None, a_max=None: _clip_rule(g, x, a_min, a_max),
).defjvp(
    lambda t, ans, x, a_min=None, a_max=None: _clip_rule(t, x, a_min, a_max),
)

# where(cond, x, y): the untaken branch gets exactly zero.
where = primitive("where", np.where).defvjp(
    None,
    lambda g, ans, c, x, y: where(c, g, 0),
    lambda g, ans, c, x, y: where(c, 0, g),
).defjvp(
    None,
    lambda t, ans, c, x, y: where(c, t, 0),
    lambda t, ans, c, x, y: where(c, 0, t),
)

# ----------------------------------------------------------------- dtype, copy
_astype = primitive("astype", lambda x, dtype: np.asarray(x).astype(dtype)).defvjp(
    lambda g, ans, x, dtype: astype(g, dtype=np.result_type(x)),
).defjvp(
    lambda t, ans, x, dtype: astype(t, dtype=dtype),
)
# A cast to integers or booleans is piecewise constant: no gradient flows through it.
_astype_discrete = nondifferentiable(
    "astype_discrete", lambda x, dtype: np.asarray(x).astype(dtype)
)


def astype(x, dtype):
    """Cast to `dtype`; differentiable between float types, a step function to int/bool."""
    dtype = np.dtype(dtype)
    if dtype.kind in "fc":
        return _astype(x, dtype=dtype)
    return _astype_discrete(x, dtype=dtype)


copy = primitive("copy", lambda x: np.array(x, copy=True)).defvjp(
    lambda g, ans, x: g,
).defjvp(
    lambda t, ans, x: t,
)

# ------------------------------------------- comparisons and other step functions
# Their outputs are piecewise constant: no gradient flows through them.
greater = nondifferentiable("greater", np.greater)
greater_equal = nondifferentiable("greater_equal", np.greater_equal)
less = nondifferentiable("less", np.less)
less_equal = nondifferentiable("less_equal", np.less_equal)
equal = nondifferentiable("equal", np.equal)
not_equal = nondifferentiable("not_equal", np.not_equal)
logical_and = nondifferentiable("logical_and", np.logical_and)
logical_or = nondifferentiable("logical_or", np.logical_or)
logical_not = nondifferentiable("logical_not", np.logical_not)
sign = nondifferentiable("sign", np.sign)
floor = nondifferentiable("floor", np.floor)
ceil = nondifferentiable("ceil", np.ceil)
round = nondifferentiable("round", np.round)
isfinite = nondifferentiable("isfinite", np.isfinite)
isnan = nondifferentiable("isnan", np.isnan)
isinf = nondifferentiable("isinf", np.isinf)

