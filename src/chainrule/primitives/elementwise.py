"""Elementwise primitives: arithmetic, the exp/log family, trigonometry, comparisons.

Each primitive is declared by its local derivative in each argument, ``d(ans, *inputs)``
(chainrule.rules): the engine applies it as ``g * d`` in reverse mode and ``t * d`` in
forward mode. Derivatives use operators and chainrule primitives only, so they work on
arrays (first order) and on tensors (higher order) alike. Broadcasting is undone
centrally, in the backward pass. Beside each definition: where its derivative is checked
(``domain``) and what it says (``statement``, printed by ``cr.explain``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import batching as B
from .. import statements as S
from ..domains import AWAY_FROM_ZERO, POSITIVE, Domain, Example
from ..graph import is_tensor
from ..rules import Primitive, composite, elementwise, nondifferentiable, primitive
from ..stability import always, log_of_one_minus, one_minus_known, stable_log
from ..tracing import traced


def _distinct_pair(rng):
    # Two arguments at least 0.2 apart: maximum and friends are kinked where they tie.
    x = rng.standard_normal((3, 4))
    return (x, x + rng.choice([-1.0, 1.0], (3, 4)) * rng.uniform(0.2, 1.0, (3, 4))), {}


DISTINCT_PAIR = Example(_distinct_pair)

# ------------------------------------------------------------------- arithmetic
add = elementwise(
    "add", np.add, 1, 1,
    statement=S.binary("a + b", "g", "g", "a + b", r"\bar y", r"\bar y"),
)

subtract = elementwise(
    "subtract", np.subtract, 1, -1,
    # log(1 - sigmoid(x)) is computed as -softplus(x): chainrule.stability.
    log_form=log_of_one_minus,
    provenance=one_minus_known,
    statement=S.binary("a - b", "g", "-g", "a - b", r"\bar y", r"-\bar y"),
)

multiply = elementwise(
    "multiply", np.multiply, lambda ans, x, y: y, lambda ans, x, y: x,
    statement=S.binary(
        "a * b", "g * b", "g * a", r"a \odot b", r"\bar y \odot b", r"\bar y \odot a"
    ),
)

def _reciprocal_of_divisor(ans, x, y):
    """d(x/y)/dx = 1/y; a Python zero divisor (x / 0.0, a mean over an empty axis) gives
    an infinity as NumPy's 1 / y would, not Python's ZeroDivisionError."""
    if y.__class__ in (int, float) and not y:
        return math.copysign(math.inf, y)  # a Python float: float32 stays float32
    return 1 / y


# d(x/y)/dy = -x/y^2 = -ans/y
divide = elementwise(
    "divide", np.divide, _reciprocal_of_divisor, lambda ans, x, y: -ans / y,
    strong_zero=True,
    domain=(Domain(), Domain(0.5, 2.0)),
    statement=S.binary(
        "a / b", "g / b", "-g * a / b^2 = -g * y / b", "a / b", r"\bar y / b",
        r"-\bar y \odot y / b",
    ),
)

negative = elementwise(
    "negative", np.negative, -1,
    statement=S.unary("-x", "(-1)", "-x", "(-1)"),
)


def _dpow_dx(x, p):
    # p * x**(p-1), with the p == 0 case exactly zero (0 * x**-1 would be NaN at x = 0).
    return where(equal(p, 0), 0, p * x ** (p - 1))


def _dpow_dp(ans, x):
    # x**p * log(x), defined for x > 0; its limit 0 at x = 0 (where y = 0: relu(x)**p), and
    # NaN for x < 0, where x**p is real only at integer p and has no derivative in p (as
    # PyTorch, JAX and autograd give it). The log of a positive stand-in keeps the untaken
    # branch finite.
    if not is_tensor(x):
        # A constant base takes the result's dtype, as a Python number did in the forward;
        # where() would make 2.0 a float64 array and turn float32 work into float64.
        x = np.asarray(x, dtype=np.result_type(ans))
    dtype = (ans._data if is_tensor(ans) else np.asarray(ans)).dtype
    nan = np.array(np.nan, dtype if dtype.kind == "f" else np.float64)
    return where(greater(x, 0), ans * log(where(greater(x, 0), x, 1)),
                 where(equal(x, 0), 0, nan))


power = elementwise(
    "power", np.power, lambda ans, x, p: _dpow_dx(x, p), lambda ans, x, p: _dpow_dp(ans, x),
    strong_zero=True,
    domain=(Domain(0.5, 2.0), Domain(-1.5, 2.5)),
    statement=S.binary(
        "a ** b", "g * b * a^(b-1)  (exactly 0 where b = 0)",
        "g * y * log(a)  (0 at a = 0, NaN for a < 0)",
        "a^b", r"\bar y \odot b\, a^{b-1}", r"\bar y \odot y \log a",
    ),
)

# --------------------------------------------------------------- exp and log
exp = elementwise(
    "exp", np.exp, lambda ans, x: ans,
    strong_zero=True,
    # Kept for unrecorded outputs, so that log(sum(exp(x))) is seen under no_grad too.
    provenance=always,
    statement=S.unary("e^x", "y  (the saved output)", "e^x", "y"),
)

log = elementwise(
    "log", np.log, lambda ans, x: 1 / x,
    strong_zero=True,
    # log(softmax(x)), log(sigmoid(x)), ...: the stable form the producer declares.
    rewrite=stable_log,
    domain=POSITIVE,
    statement=S.unary("ln x", "1 / x", r"\ln x", r"\frac{1}{x}"),
)

log1p = elementwise(
    "log1p", np.log1p, lambda ans, x: 1 / (1 + x),
    strong_zero=True,
    domain=Domain(-0.7, 2.0),
    statement=S.unary("ln(1 + x)", "1 / (1 + x)", r"\ln(1 + x)", r"\frac{1}{1 + x}"),
)

expm1 = elementwise(
    # e^x rather than y + 1: below x = -37, y rounds to -1 and y + 1 to 0.
    "expm1", np.expm1, lambda ans, x: exp(x),
    strong_zero=True,
    statement=S.unary("e^x - 1", "e^x", "e^x - 1", "e^x"),
)

sqrt = elementwise(
    "sqrt", np.sqrt, lambda ans, x: 0.5 / ans,
    strong_zero=True,
    domain=POSITIVE,
    statement=S.unary("sqrt(x)", "1 / (2 y)", r"\sqrt{x}", r"\frac{1}{2y}"),
)

# |x|' = sign(x), taking 0 at 0 (the subgradient PyTorch and NumPy users expect).
abs = elementwise(
    "abs", np.abs, lambda ans, x: sign(x),
    domain=AWAY_FROM_ZERO,
    statement=S.unary("|x|", "sign(x)  (0 at x = 0)", "|x|", r"\operatorname{sign} x"),
)

# -------------------------------------------------------------- trigonometry
sin = elementwise(
    "sin", np.sin, lambda ans, x: cos(x),
    domain=Domain(-4.0, 4.0),
    statement=S.unary("sin x", "cos x", r"\sin x", r"\cos x"),
)

cos = elementwise(
    "cos", np.cos, lambda ans, x: -sin(x),
    domain=Domain(-4.0, 4.0),
    statement=S.unary("cos x", "(-sin x)", r"\cos x", r"(-\sin x)"),
)

# tan' = 1 + tan^2
tan = elementwise(
    "tan", np.tan, lambda ans, x: 1.0 + ans * ans,
    strong_zero=True,
    domain=Domain(-1.2, 1.2),
    statement=S.unary("tan x", "(1 + y^2)", r"\tan x", r"(1 + y^2)"),
)

# tanh' = 1 - tanh^2 from the saved output (docs/derivations.md, section 2). For y near
# 1 the subtraction is exact (Sterbenz), so only the rounding of y y counts; the
# cheaper-looking g - g y y rounds g y before cancelling (docs/performance.md).
tanh = elementwise(
    "tanh", np.tanh, lambda ans, x: 1.0 - ans * ans,
    domain=Domain(-3.0, 3.0),
    statement=S.unary(
        "tanh x = (e^x - e^-x) / (e^x + e^-x)", "(1 - y^2)  (from the saved output)",
        r"\tanh x", r"(1 - y^2)",
    ),
)


# ------------------------------------------------------- maximum and minimum
# Ties split the gradient evenly between the two inputs. (The 1/2 in the output's dtype:
# a Python 0.5 times a boolean array would be float64 and upcast float32 work.)
def _share(ans, mine, other, wins):
    return where(equal(mine, other), np.asarray(0.5, ans.dtype), wins(mine, other))


maximum = elementwise(
    "maximum", np.maximum,
    lambda ans, x, y: _share(ans, x, y, greater), lambda ans, x, y: _share(ans, y, x, greater),
    domain=DISTINCT_PAIR,
    statement=S.binary(
        "max(a, b)", "g * [a > b] + g/2 * [a = b]", "g * [b > a] + g/2 * [a = b]",
        r"\max(a, b)", r"\bar y\,([a > b] + \tfrac12 [a = b])",
        r"\bar y\,([b > a] + \tfrac12 [a = b])",
    ),
)

minimum = elementwise(
    "minimum", np.minimum,
    lambda ans, x, y: _share(ans, x, y, less), lambda ans, x, y: _share(ans, y, x, less),
    domain=DISTINCT_PAIR,
    statement=S.binary(
        "min(a, b)", "g * [a < b] + g/2 * [a = b]", "g * [b < a] + g/2 * [a = b]",
        r"\min(a, b)", r"\bar y\,([a < b] + \tfrac12 [a = b])",
        r"\bar y\,([b < a] + \tfrac12 [a = b])",
    ),
)


def _clip_fwd(x, a_min=None, a_max=None):
    if a_min is None and a_max is None:
        return np.array(x, copy=True)
    return np.clip(x, a_min, a_max)


def _inside(ans, x, a_min=None, a_max=None):
    # 1 where the clip passed x through (bounds included, as PyTorch's clamp does).
    if traced(x):  # (cr.vmap of a gradient: the mask as operations, for every example)
        inside = np.ones(np.shape(x), dtype=bool)
        if a_min is not None:
            inside = logical_and(inside, greater_equal(x, a_min))
        if a_max is not None:
            inside = logical_and(inside, less_equal(x, a_max))
        return inside
    x = x._data if is_tensor(x) else x
    inside = np.ones(np.shape(x), dtype=bool)
    if a_min is not None:
        inside &= np.asarray(x >= a_min)
    if a_max is not None:
        inside &= np.asarray(x <= a_max)
    return inside


def _clip_example(rng):
    x = rng.uniform(0.1, 0.4, (3, 4)) * rng.choice([-1.0, 1.0], (3, 4))
    x = x + rng.choice([-1.0, 0.0, 1.0], (3, 4))  # inside, below and above [-0.5, 0.5]
    return (x,), {"a_min": -0.5, "a_max": 0.5}


clip = elementwise(
    "clip", _clip_fwd, _inside,
    domain=Example(_clip_example),
    statement=S.unary(
        "min(max(x, a_min), a_max)", "[a_min <= x <= a_max]", r"\min(\max(x, a), b)",
        r"[a \le x \le b]",
    ),
)


# where(cond, x, y): the untaken branch gets exactly zero (a where, not a product with
# the mask: g may be infinite there). Its Jacobians are diagonal (symmetric), so these
# rules serve forward mode too; not flagged elementwise, as the condition may broadcast
# x and y to a larger shape.
def _where_example(rng):
    cond = rng.random((3, 4)) > 0.5
    return (cond, rng.standard_normal((3, 4)), rng.standard_normal(4)), {}


where = primitive(
    "where", np.where,
    symmetric=True,
    batch=B.elementwise_rule,
    domain=Example(_where_example),
    statement=S.Statement(
        forward="y = a where cond else b (cond is a constant boolean array)",
        vjp="a_bar = g where cond, else exactly 0;  b_bar = 0 where cond, else g. The "
        "untaken branch gets an exact zero, and primitives whose derivative can be "
        "infinite turn that zero into a zero gradient (strong zeros), so "
        "where(x > 0, sqrt(x), 0) has a finite gradient at 0",
        latex_forward=r"y = \begin{cases} a & c \\ b & \neg c \end{cases}",
        latex_vjp=r"\bar a = [c]\,\bar y, \quad \bar b = [\neg c]\,\bar y",
        jacobian=S.DIAGONAL + " in each branch",
        latex_jacobian=S.LATEX_DIAGONAL,
    ),
).defvjp(
    None,
    lambda g, ans, c, x, y: where(c, g, 0),
    lambda g, ans, c, x, y: where(c, 0, g),
)

# ----------------------------------------------------------------- dtype, copy
_astype = primitive(
    "astype", lambda x, dtype: np.asarray(x).astype(dtype),
    linear=True,
    batch=B.elementwise_rule,
    domain=Example(lambda rng: ((rng.standard_normal((3, 4)),), {"dtype": np.float64})),
    statement=S.unary("x converted to dtype", "g converted back to x's dtype", "y = x", "1"),
).defvjp(
    lambda g, ans, x, dtype: astype(g, dtype=np.result_type(x)),
)
# A cast to integers or booleans is piecewise constant: no gradient flows through it.
_astype_discrete = nondifferentiable(
    "astype_discrete", lambda x, dtype: np.asarray(x).astype(dtype),
    batch=B.elementwise_rule,
    domain=Example(lambda rng: ((rng.standard_normal((3, 4)),), {"dtype": np.dtype(np.int64)})),
    statement=S.step("x cast to an integer or boolean dtype", r"\operatorname{int}(x)"),
)


@composite
def astype(x, dtype):
    """Cast to `dtype`; differentiable between float types, a step function to int/bool."""
    dtype = np.dtype(dtype)
    if dtype.kind in "fc":
        return _astype(x, dtype=dtype)
    return _astype_discrete(x, dtype=dtype)


copy = primitive(
    "copy", lambda x: np.array(x, copy=True),
    linear=True,
    batch=B.elementwise_rule,
    statement=S.unary("x (a new buffer)", "1", "y = x", "1"),
).defvjp(lambda g, ans, x: g)

# ------------------------------------------- comparisons and other step functions
# Their outputs are piecewise constant (or booleans): no gradient flows through them.
def step(name: str, fwd: Callable[..., Any], text: str, latex: str) -> Primitive:
    """A non-differentiable elementwise function, stated as the step function it is."""
    return nondifferentiable(name, fwd, elementwise=True, statement=S.step(text, latex))


greater = step("greater", np.greater, "a > b", "a > b")
greater_equal = step("greater_equal", np.greater_equal, "a >= b", r"a \ge b")
less = step("less", np.less, "a < b", "a < b")
less_equal = step("less_equal", np.less_equal, "a <= b", r"a \le b")
equal = step("equal", np.equal, "a == b", "a = b")
not_equal = step("not_equal", np.not_equal, "a != b", r"a \ne b")
logical_and = step("logical_and", np.logical_and, "a and b", r"a \land b")
logical_or = step("logical_or", np.logical_or, "a or b", r"a \lor b")
logical_not = step("logical_not", np.logical_not, "not a", r"\lnot a")
# NumPy's bitwise operators (the Tensor operators & | ^ ~ << >>): bit by bit on integers,
# the logical operations on bools, refused for floats (as NumPy and PyTorch refuse them).
bitwise_and = step("bitwise_and", np.bitwise_and, "a & b, bit by bit", r"a \mathbin{\&} b")
bitwise_or = step("bitwise_or", np.bitwise_or, "a | b, bit by bit", r"a \mid b")
bitwise_xor = step("bitwise_xor", np.bitwise_xor, "a ^ b, bit by bit", r"a \oplus b")
invert = step("invert", np.invert, "~a, bit by bit (not a, for bools)", r"\sim a")
left_shift = step("left_shift", np.left_shift, "a << b", r"a \ll b")
right_shift = step("right_shift", np.right_shift, "a >> b", r"a \gg b")
sign = step("sign", np.sign, "sign(x) in {-1, 0, 1}", r"\operatorname{sign} x")
floor = step("floor", np.floor, "largest integer <= x", r"\lfloor x \rfloor")
ceil = step("ceil", np.ceil, "smallest integer >= x", r"\lceil x \rceil")
round = step("round", np.round, "x rounded to the nearest integer (or given decimals)", "[x]")
isfinite = step("isfinite", np.isfinite, "x is finite", r"x \in \mathbb{R}")
isnan = step("isnan", np.isnan, "x is NaN", r"x = \text{NaN}")
isinf = step("isinf", np.isinf, "x is +-inf", r"\lvert x\rvert = \infty")
