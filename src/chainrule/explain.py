"""Every primitive's derivative as data, and ``explain(name)`` to read and check it.

Each registered primitive carries an :class:`Explanation`: its forward definition, its
vector-Jacobian product (how the output's cotangent g becomes each input's), and where
that is the teaching point the structure of its Jacobian, each in plain text and LaTeX.
``explain("log_softmax")`` prints it and checks the primitive's VJP rule against central
finite differences on a random float64 input, reporting the largest error.

A primitive added to the engine gets its entry in ``EXPLANATIONS`` below; a test fails
for any registered primitive without one.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import graph
from . import primitives as P
from .tensor import Tensor


def _normal(*shapes):
    """Example inputs: standard normal arrays of the given shapes."""
    return lambda rng: (tuple(rng.standard_normal(s) for s in shapes), {})


def _uniform(lo, hi, shape=(3, 4)):
    return lambda rng: ((rng.uniform(lo, hi, shape),), {})


def _away_from_zero(shape=(3, 4)):
    def example(rng):
        return ((rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape)),), {}

    return example


@dataclass(frozen=True)
class Explanation:
    """A primitive's derivative, stated as plain text and LaTeX, with a sample input.

    ``example(rng) -> (args, kw)`` draws an input inside the primitive's domain for the
    finite-difference check (float64 arrays are differentiated, anything else is passed
    as is). ``check_with(prim, *args, **kw)``, when given, is the function actually
    checked, for primitives that are only meaningful inside a larger expression.
    """

    forward: str
    vjp: str
    latex_forward: str
    latex_vjp: str
    jacobian: str = ""
    latex_jacobian: str = ""
    example: Callable = field(default=_normal((3, 4)), repr=False)
    check_with: Callable | None = field(default=None, repr=False)


# ----------------------------------------------------------------- shorthands
_DIAGONAL = "diagonal: dy_i/dx_j = 0 for i != j (elementwise), so the VJP is a product"
_LATEX_DIAGONAL = r"\frac{\partial y_i}{\partial x_j} = 0 \quad (i \neq j)"


def _elementwise(text, dtext, latex, dlatex, example=None):
    """An elementwise y = f(x) with derivative f'(x): VJP x_bar = g f'(x)."""
    return Explanation(
        forward=f"y = {text}, elementwise",
        vjp=f"x_bar = g * {dtext}",
        latex_forward=f"y = {latex}",
        latex_vjp=rf"\bar x = \bar y \odot {dlatex}",
        jacobian=_DIAGONAL,
        latex_jacobian=_LATEX_DIAGONAL,
        example=example or _normal((3, 4)),
    )


def _binary(text, vjp_x, vjp_y, latex, latex_x, latex_y, example=None):
    """An elementwise y = f(a, b) with broadcasting; rules return cotangents in y's shape."""
    return Explanation(
        forward=f"y = {text}, elementwise with broadcasting",
        vjp=f"a_bar = {vjp_x};  b_bar = {vjp_y}  (summed over broadcast axes)",
        latex_forward=f"y = {latex}",
        latex_vjp=rf"\bar a = {latex_x}, \quad \bar b = {latex_y}",
        jacobian=_DIAGONAL + " in each argument",
        latex_jacobian=_LATEX_DIAGONAL,
        example=example or _normal((3, 4), (4,)),
    )


def _step(text, latex, example=None):
    """A primitive whose output is piecewise constant (or not real-valued): no gradient."""
    return Explanation(
        forward=text,
        vjp="none: the output is piecewise constant (or an index or a boolean), so no "
        "gradient flows through it; it is declared non-differentiable",
        latex_forward=latex,
        latex_vjp=r"\text{no gradient}",
        example=example or _normal((3, 4)),
    )


def _reduction(text, vjp, latex, latex_vjp, example=None):
    return Explanation(
        forward=f"{text}, over the given axes",
        vjp=f"{vjp}  (g broadcast back over the reduced axes)",
        latex_forward=latex,
        latex_vjp=latex_vjp,
        example=example or (lambda rng: ((rng.standard_normal((3, 4)),), {"axis": 1})),
    )


def _spd(rng, n=3):
    m = rng.standard_normal((n, n))
    return m @ m.T + n * np.eye(n)


def _well_conditioned(rng, n=3):
    return n * np.eye(n) + rng.standard_normal((n, n)) * 0.5


def _distinct_pair(rng):
    x = rng.standard_normal((3, 4))
    return (x, x + rng.choice([-1.0, 1.0], (3, 4)) * rng.uniform(0.2, 1.0, (3, 4))), {}


def _mod_pair(rng):
    y = rng.uniform(1.1, 1.9, (3, 4))
    # Keep x / y away from integers, where mod jumps.
    return ((rng.integers(-2, 3, (3, 4)) + rng.uniform(0.2, 0.8, (3, 4))) * y, y), {}


def _clip_example(rng):
    x = rng.uniform(0.1, 0.4, (3, 4)) * rng.choice([-1.0, 1.0], (3, 4))
    x = x + rng.choice([-1.0, 0.0, 1.0], (3, 4))  # inside, below and above [-0.5, 0.5]
    return (x,), {"a_min": -0.5, "a_max": 0.5}


_INDEX = (slice(0, 2), np.array([0, 2, 2]))
_WINDOWS = {"kernel_size": (2, 2), "stride": (1, 1), "padding": (0, 0), "dilation": (1, 1)}


def _pooled(rng, shape):
    """Example of a max-pooling scatter or gather: the linear argument of ``shape``; the
    image x and its pooled maxima y, which fix the routing, passed as constants."""
    x = rng.standard_normal((1, 2, 4, 4))
    y = P.layers.max_pool2d(x, **_WINDOWS)
    return (rng.standard_normal(shape),), {"x": x, "y": y, **_WINDOWS}

EXPLANATIONS: dict[str, Explanation] = {
    # ---------------------------------------------------------------- arithmetic
    "add": _binary("a + b", "g", "g", "a + b", r"\bar y", r"\bar y"),
    "subtract": _binary("a - b", "g", "-g", "a - b", r"\bar y", r"-\bar y"),
    "multiply": _binary(
        "a * b", "g * b", "g * a", r"a \odot b", r"\bar y \odot b", r"\bar y \odot a"
    ),
    "divide": _binary(
        "a / b",
        "g / b",
        "-g * a / b^2 = -g * y / b",
        r"a / b",
        r"\bar y / b",
        r"-\bar y \odot y / b",
        example=lambda rng: ((rng.standard_normal((3, 4)), rng.uniform(0.5, 2.0, (4,))), {}),
    ),
    "negative": _elementwise("-x", "(-1)", "-x", "(-1)"),
    "power": _binary(
        "a ** b",
        "g * b * a^(b-1)  (exactly 0 where b = 0)",
        "g * y * log(a)  (0 where a <= 0)",
        "a^b",
        r"\bar y \odot b\, a^{b-1}",
        r"\bar y \odot y \log a",
        example=lambda rng: (
            (rng.uniform(0.5, 2.0, (3, 4)), rng.uniform(-1.5, 2.5, (3, 4))),
            {},
        ),
    ),
    "square": _elementwise("x^2", "2 x", "x^2", "2x"),
    "reciprocal": _elementwise(
        "1 / x", "(-1 / x^2) = -y^2", r"1/x", r"(-y^2)", example=_away_from_zero()
    ),
    "mod": _binary(
        "a mod b = a - floor(a / b) b",
        "g",
        "-g * floor(a / b)",
        r"a - \lfloor a/b \rfloor b",
        r"\bar y",
        r"-\bar y \lfloor a/b \rfloor",
        example=_mod_pair,
    ),
    "fmod": _binary(
        "fmod(a, b) = a - trunc(a / b) b",
        "g",
        "-g * trunc(a / b)",
        r"a - \operatorname{trunc}(a/b)\, b",
        r"\bar y",
        r"-\bar y \operatorname{trunc}(a/b)",
        example=_mod_pair,
    ),
    # --------------------------------------------------------------- exp and log
    "exp": _elementwise("e^x", "y  (the saved output)", "e^x", "y"),
    "exp2": _elementwise("2^x", "y * ln 2", "2^x", r"y \ln 2"),
    "expm1": _elementwise("e^x - 1", "(y + 1)", "e^x - 1", "(y + 1)"),
    "log": _elementwise("ln x", "1 / x", r"\ln x", r"\frac{1}{x}", _uniform(0.5, 2.0)),
    "log2": _elementwise(
        "log2 x", "1 / (x ln 2)", r"\log_2 x", r"\frac{1}{x \ln 2}", _uniform(0.5, 2.0)
    ),
    "log10": _elementwise(
        "log10 x", "1 / (x ln 10)", r"\log_{10} x", r"\frac{1}{x \ln 10}", _uniform(0.5, 2.0)
    ),
    "log1p": _elementwise(
        "ln(1 + x)", "1 / (1 + x)", r"\ln(1 + x)", r"\frac{1}{1 + x}", _uniform(-0.5, 2.0)
    ),
    "sqrt": _elementwise(
        "sqrt(x)", "1 / (2 y)", r"\sqrt{x}", r"\frac{1}{2y}", _uniform(0.5, 2.0)
    ),
    "cbrt": _elementwise(
        "x^(1/3)", "1 / (3 y^2)", r"\sqrt[3]{x}", r"\frac{1}{3y^2}", _away_from_zero()
    ),
    "logaddexp": _binary(
        "ln(e^a + e^b)",
        "g * e^(a - y)",
        "g * e^(b - y)  (weights in [0, 1]: never overflow)",
        r"\ln(e^a + e^b)",
        r"\bar y\, e^{a - y}",
        r"\bar y\, e^{b - y}",
    ),
    "logaddexp2": _binary(
        "log2(2^a + 2^b)",
        "g * 2^(a - y)",
        "g * 2^(b - y)",
        r"\log_2(2^a + 2^b)",
        r"\bar y\, 2^{a - y}",
        r"\bar y\, 2^{b - y}",
    ),
    # ------------------------------------------------------------- trigonometry
    "sin": _elementwise("sin x", "cos x", r"\sin x", r"\cos x"),
    "cos": _elementwise("cos x", "(-sin x)", r"\cos x", r"(-\sin x)"),
    "tan": _elementwise(
        "tan x", "(1 + y^2)", r"\tan x", r"(1 + y^2)", _uniform(-1.0, 1.0)
    ),
    "arcsin": _elementwise(
        "arcsin x", "1 / sqrt(1 - x^2)", r"\arcsin x", r"\frac{1}{\sqrt{1 - x^2}}",
        _uniform(-0.8, 0.8),
    ),
    "arccos": _elementwise(
        "arccos x", "(-1 / sqrt(1 - x^2))", r"\arccos x", r"\frac{-1}{\sqrt{1 - x^2}}",
        _uniform(-0.8, 0.8),
    ),
    "arctan": _elementwise("arctan x", "1 / (1 + x^2)", r"\arctan x", r"\frac{1}{1 + x^2}"),
    "arctan2": _binary(
        "atan2(a, b), the angle of the point (b, a)",
        "g * b / (a^2 + b^2)",
        "-g * a / (a^2 + b^2)",
        r"\operatorname{atan2}(a, b)",
        r"\frac{\bar y\, b}{a^2 + b^2}",
        r"\frac{-\bar y\, a}{a^2 + b^2}",
        example=lambda rng: ((rng.uniform(0.5, 2, (3, 4)), rng.uniform(-2, -0.5, (3, 4))), {}),
    ),
    "hypot": _binary(
        "sqrt(a^2 + b^2)",
        "g * a / y",
        "g * b / y",
        r"\sqrt{a^2 + b^2}",
        r"\bar y\, a / y",
        r"\bar y\, b / y",
        example=lambda rng: ((rng.uniform(0.5, 2, (3, 4)), rng.uniform(0.5, 2, (3, 4))), {}),
    ),
    "sinc": _elementwise(
        "sin(pi x) / (pi x), 1 at x = 0",
        "(cos(pi x) - y) / x, its Taylor value 0 at x = 0",
        r"\frac{\sin \pi x}{\pi x}",
        r"\frac{\cos \pi x - y}{x}",
    ),
    "sinc_taylor_at_zero": Explanation(
        forward="the order-th derivative of sinc at 0, broadcast to x's shape: "
        "(-1)^n pi^(2n) / (2n + 1) for order 2n, 0 for odd orders",
        vjp="x_bar = g * (the value of the next order): a device that makes sinc's rule, "
        "where(x == 0, taylor, general), exact at 0 to every order; only meaningful at "
        "x = 0, so it is checked through sinc itself",
        latex_forward=r"y = \operatorname{sinc}^{(n)}(0)",
        latex_vjp=r"\bar x = \bar y \, \operatorname{sinc}^{(n+1)}(0)",
        example=lambda rng: ((np.array([0.0, 0.0, 0.5, -1.3]),), {"order": 1}),
        check_with=lambda p, x, order: P.sinc(x),
    ),
    # --------------------------------------------------------------- hyperbolics
    "tanh": _elementwise(
        "tanh x = (e^x - e^-x) / (e^x + e^-x)",
        "(1 - y^2)  (seed 3a, from the saved output)",
        r"\tanh x",
        r"(1 - y^2)",
    ),
    "sinh": _elementwise("sinh x", "cosh x", r"\sinh x", r"\cosh x"),
    "cosh": _elementwise("cosh x", "sinh x", r"\cosh x", r"\sinh x"),
    "arcsinh": _elementwise(
        "arsinh x", "1 / sqrt(x^2 + 1)", r"\operatorname{arsinh} x", r"\frac{1}{\sqrt{x^2+1}}"
    ),
    "arccosh": _elementwise(
        "arcosh x", "1 / sqrt(x^2 - 1)", r"\operatorname{arcosh} x", r"\frac{1}{\sqrt{x^2-1}}",
        _uniform(1.5, 3.0),
    ),
    "arctanh": _elementwise(
        "artanh x", "1 / (1 - x^2)", r"\operatorname{artanh} x", r"\frac{1}{1 - x^2}",
        _uniform(-0.8, 0.8),
    ),
    # ---------------------------------------------------------------- activations
    "sigmoid": _elementwise(
        "1 / (1 + e^-x)",
        "y * sigmoid(-x)  (= y (1 - y), without rounding 1 - y to 0 for large x)",
        r"\sigma(x) = \frac{1}{1 + e^{-x}}",
        r"\sigma(x)\, \sigma(-x)",
    ),
    "softplus": _elementwise(
        "ln(1 + e^x), computed as logaddexp(0, x)",
        "sigmoid(x)",
        r"\ln(1 + e^x)",
        r"\sigma(x)",
    ),
    "relu": _elementwise(
        "max(x, 0)", "[x > 0]  (0 at x = 0)", r"\max(x, 0)", r"[x > 0]", _away_from_zero()
    ),
    "erf": _elementwise(
        "erf x = 2/sqrt(pi) int_0^x e^(-t^2) dt",
        "2/sqrt(pi) e^(-x^2)",
        r"\operatorname{erf} x",
        r"\frac{2}{\sqrt\pi} e^{-x^2}",
    ),
    "abs": _elementwise(
        "|x|", "sign(x)  (0 at x = 0)", "|x|", r"\operatorname{sign} x", _away_from_zero()
    ),
    "maximum": _binary(
        "max(a, b)",
        "g * [a > b] + g/2 * [a = b]",
        "g * [b > a] + g/2 * [a = b]",
        r"\max(a, b)",
        r"\bar y\,([a > b] + \tfrac12 [a = b])",
        r"\bar y\,([b > a] + \tfrac12 [a = b])",
        example=_distinct_pair,
    ),
    "minimum": _binary(
        "min(a, b)",
        "g * [a < b] + g/2 * [a = b]",
        "g * [b < a] + g/2 * [a = b]",
        r"\min(a, b)",
        r"\bar y\,([a < b] + \tfrac12 [a = b])",
        r"\bar y\,([b < a] + \tfrac12 [a = b])",
        example=_distinct_pair,
    ),
    "fmax": _binary(
        "max(a, b), a NaN losing to a number",
        "g where a wins (or b is NaN), g/2 on ties",
        "g where b wins (or a is NaN), g/2 on ties",
        r"\operatorname{fmax}(a, b)",
        r"\bar y\,[a \text{ wins}]",
        r"\bar y\,[b \text{ wins}]",
        example=_distinct_pair,
    ),
    "fmin": _binary(
        "min(a, b), a NaN losing to a number",
        "g where a wins (or b is NaN), g/2 on ties",
        "g where b wins (or a is NaN), g/2 on ties",
        r"\operatorname{fmin}(a, b)",
        r"\bar y\,[a \text{ wins}]",
        r"\bar y\,[b \text{ wins}]",
        example=_distinct_pair,
    ),
    "clip": _elementwise(
        "min(max(x, a_min), a_max)",
        "[a_min <= x <= a_max]",
        r"\min(\max(x, a), b)",
        r"[a \le x \le b]",
        _clip_example,
    ),
    "where": Explanation(
        forward="y = a where cond else b (cond is a constant boolean array)",
        vjp="a_bar = g where cond, else exactly 0;  b_bar = 0 where cond, else g. The "
        "untaken branch gets an exact zero, and primitives whose derivative can be "
        "infinite turn that zero into a zero gradient (strong zeros), so "
        "where(x > 0, sqrt(x), 0) has a finite gradient at 0",
        latex_forward=r"y = \begin{cases} a & c \\ b & \neg c \end{cases}",
        latex_vjp=r"\bar a = [c]\,\bar y, \quad \bar b = [\neg c]\,\bar y",
        jacobian=_DIAGONAL + " in each branch",
        latex_jacobian=_LATEX_DIAGONAL,
        example=lambda rng: (
            (rng.random((3, 4)) > 0.5, rng.standard_normal((3, 4)), rng.standard_normal(4)),
            {},
        ),
    ),
    "astype": _elementwise(
        "x converted to dtype", "g converted back to x's dtype", r"y = x", r"1",
        lambda rng: ((rng.standard_normal((3, 4)),), {"dtype": np.float64}),
    ),
    "copy": _elementwise("x (a new buffer)", "1", "y = x", "1"),
    # ------------------------------------------------------------ softmax family
    "softmax": Explanation(
        forward="y_i = e^(x_i - m) / sum_j e^(x_j - m) along axis, m = max_j x_j "
        "(seed 4a: the shift changes nothing); 0 in a row of only -inf",
        vjp="x_bar = y * (g - sum_j g_j y_j): the Jacobian is never formed",
        latex_forward=r"y_i = \frac{e^{x_i}}{\sum_j e^{x_j}}",
        latex_vjp=r"\bar x = y \odot \left(\bar y - \textstyle\sum_j \bar y_j y_j\right)",
        jacobian="J = diag(y) - y y^T: dy_i/dx_j = y_i (delta_ij - y_j)",
        latex_jacobian=r"J = \operatorname{diag}(y) - y y^\top",
        example=lambda rng: ((rng.standard_normal((3, 4)),), {"axis": -1}),
    ),
    "log_softmax": Explanation(
        forward="y_i = x_i - log sum_j e^(x_j) along axis, computed from the max-shifted "
        "logits with log1p (seed 4a, 4b); -inf in a row of only -inf",
        vjp="x_bar_i = g_i - sigma_i * sum_j g_j with sigma = e^y = softmax(x) (seed 4c); "
        "on the NLL loss g = -t, so x_bar = sigma * sum(t) - t (seed 4d)",
        latex_forward=r"y_i = x_i - \log \sum_j e^{x_j}",
        latex_vjp=r"\bar x_i = \bar y_i - \sigma_i \sum_j \bar y_j",
        jacobian="J = I - 1 sigma^T: 1 - sigma_i on the diagonal, -sigma_j off it (seed 4b); "
        "never formed, the VJP costs O(N)",
        latex_jacobian=r"\frac{\partial y_i}{\partial x_j} = \delta_{ij} - \sigma_j",
        example=lambda rng: ((rng.standard_normal((3, 4)),), {"axis": -1}),
    ),
    "logsumexp": _reduction(
        "y = log sum_j e^(x_j) = m + log1p(sum of e^(x_j - m) but one e^0), m = max x",
        "x_bar = g * e^(x - y) = g * softmax(x) (0 in rows of only -inf)",
        r"y = \log \sum_j e^{x_j}",
        r"\bar x = \bar y\, e^{x - y}",
    ),
    "softmax_nll": Explanation(
        forward="per sample: logsumexp(x) - x[target] = -log_softmax(x)[target], the "
        "cross-entropy of logits against class indices, fused",
        vjp="x_bar = g * (softmax(x) - onehot(target)) (seed 4c with v = -t, 4d)",
        latex_forward=r"y = \log \sum_j e^{x_j} - x_t",
        latex_vjp=r"\bar x = \bar y\,(\operatorname{softmax}(x) - e_t)",
        jacobian="row i of the log_softmax Jacobian, negated: sigma_j - delta_jt",
        latex_jacobian=r"\frac{\partial y}{\partial x_j} = \sigma_j - \delta_{jt}",
        example=lambda rng: (
            (rng.standard_normal((3, 4)),),
            {"target": np.array([0, 3, 1]), "axis": 1},
        ),
    ),
    # ----------------------------------------------------------------- reductions
    "sum": _reduction("y = sum of x", "x_bar = g", r"y = \sum_i x_i", r"\bar x_i = \bar y"),
    "max": _reduction(
        "y = max of x",
        "x_bar = g / k at each of the k tied maxima, 0 elsewhere",
        r"y = \max_i x_i",
        r"\bar x_i = \bar y\, [x_i = y] / k",
    ),
    "min": _reduction(
        "y = min of x",
        "x_bar = g / k at each of the k tied minima, 0 elsewhere",
        r"y = \min_i x_i",
        r"\bar x_i = \bar y\, [x_i = y] / k",
    ),
    "prod": _reduction(
        "y = product of x",
        "x_bar_i = g * prod_{j != i} x_j (exact with zeros: no division)",
        r"y = \prod_i x_i",
        r"\bar x_i = \bar y \prod_{j \ne i} x_j",
    ),
    "cumsum": _reduction(
        "y_i = sum_{j <= i} x_j",
        "x_bar_j = sum_{i >= j} g_i (a reversed cumulative sum)",
        r"y_i = \sum_{j \le i} x_j",
        r"\bar x_j = \sum_{i \ge j} \bar y_i",
    ),
    # -------------------------------------------------------------- moving values
    "reshape": Explanation(
        forward="y = x with a new shape (same values, same order)",
        vjp="x_bar = g reshaped to x's shape",
        latex_forward=r"y = \operatorname{reshape}(x)",
        latex_vjp=r"\bar x = \operatorname{reshape}^{-1}(\bar y)",
        jacobian="a permutation-free identity: J = I",
        latex_jacobian="J = I",
        example=lambda rng: ((rng.standard_normal((3, 4)),), {"shape": (4, 3)}),
    ),
    "transpose": Explanation(
        forward="y = x with its axes permuted",
        vjp="x_bar = g with the inverse permutation",
        latex_forward=r"y = x^{\pi}",
        latex_vjp=r"\bar x = \bar y^{\pi^{-1}}",
        jacobian="a permutation matrix",
        latex_jacobian=r"J = P_\pi",
        example=lambda rng: ((rng.standard_normal((3, 4, 2)),), {"axes": (2, 0, 1)}),
    ),
    "broadcast_to": Explanation(
        forward="y = x repeated along broadcast axes",
        vjp="x_bar = g summed over the broadcast axes (done centrally by the graph)",
        latex_forward=r"y = x \otimes \mathbf{1}",
        latex_vjp=r"\bar x = \sum_{\text{broadcast axes}} \bar y",
        example=lambda rng: ((rng.standard_normal((1, 4)),), {"shape": (3, 4)}),
    ),
    "flip": Explanation(
        forward="y = x reversed along axis",
        vjp="x_bar = g reversed along the same axis",
        latex_forward=r"y_i = x_{n-1-i}",
        latex_vjp=r"\bar x_i = \bar y_{n-1-i}",
        example=lambda rng: ((rng.standard_normal((3, 4)),), {"axis": 1}),
    ),
    "getitem": Explanation(
        forward="y = x[index], basic or advanced indexing",
        vjp="x_bar = zeros of x's shape with g scatter-added at index (repeated indices "
        "accumulate)",
        latex_forward=r"y_k = x_{\iota(k)}",
        latex_vjp=r"\bar x_i = \sum_{k : \iota(k) = i} \bar y_k",
        example=lambda rng: ((rng.standard_normal((3, 4)),), {"index": _INDEX}),
    ),
    "scatter_add": Explanation(
        forward="y = zeros(shape) with v added at index (the transpose of getitem)",
        vjp="v_bar = g[index]",
        latex_forward=r"y_i = \sum_{k : \iota(k) = i} v_k",
        latex_vjp=r"\bar v_k = \bar y_{\iota(k)}",
        example=lambda rng: (
            (rng.standard_normal((2, 3)),),
            {"index": _INDEX, "shape": (3, 4)},
        ),
    ),
    "concatenate": Explanation(
        forward="y = the inputs joined along axis",
        vjp="each input's x_bar = its slice of g",
        latex_forward=r"y = [x^{(1)}; x^{(2)}; \dots]",
        latex_vjp=r"\bar x^{(k)} = \bar y_{\text{slice } k}",
        example=lambda rng: (
            (rng.standard_normal((2, 3)), rng.standard_normal((1, 3))),
            {"axis": 0},
        ),
    ),
    "pad": Explanation(
        forward="y = x surrounded by a constant (pad_width per axis)",
        vjp="x_bar = the interior slice of g",
        latex_forward=r"y = \operatorname{pad}(x)",
        latex_vjp=r"\bar x = \bar y_{\text{interior}}",
        example=lambda rng: (
            (rng.standard_normal((3, 4)),),
            {"pad_width": ((1, 0), (0, 2))},
        ),
    ),
    "im2col": Explanation(
        forward="the sliding windows of an (N, C, H, W) image, one window's C kh kw values "
        "per output pixel",
        vjp="x_bar = col2im(g): each window's cotangent added back where it was read",
        latex_forward=r"w_{n,p,q}[c,i,j] = x_{n,c,\, s p + d i,\, s q + d j}",
        latex_vjp=r"\bar x = \operatorname{col2im}(\bar y)",
        example=lambda rng: ((rng.standard_normal((1, 2, 4, 4)),), dict(_WINDOWS)),
    ),
    "col2im": Explanation(
        forward="windows (in im2col's layout) summed back into an image (N, C, H, W)",
        vjp="cols_bar = im2col(g)",
        latex_forward=r"y = \operatorname{col2im}(\text{cols})",
        latex_vjp=r"\overline{\text{cols}} = \operatorname{im2col}(\bar y)",
        example=lambda rng: (
            # The windows' layout is im2col's: take the shape from it.
            (rng.standard_normal(np.shape(P.im2col(np.zeros((1, 2, 4, 4)), **_WINDOWS))),),
            {"shape": (1, 2, 4, 4), **_WINDOWS},
        ),
    ),
    "conv2d": Explanation(
        forward="y = W * x + b: each output pixel is the kernels times the window of x "
        "under them (cross-correlation), plus the bias",
        vjp="x_bar = conv2d_input_grad(g, W);  W_bar = conv2d_weight_grad(x, g);  "
        "b_bar = g summed over N, OH, OW",
        latex_forward=r"y_{n,o,p,q} = b_o + \sum_{c,i,j} W_{o,c,i,j}\, "
        r"x_{n,c,\, s p + d i,\, s q + d j}",
        latex_vjp=r"\bar x = W^\top \star \bar y, \quad \bar W = \bar y \star x, \quad "
        r"\bar b_o = \sum_{n,p,q} \bar y_{n,o,p,q}",
        example=lambda rng: (
            tuple(rng.standard_normal(s) for s in ((1, 2, 4, 4), (3, 2, 2, 2), (3,))),
            {"stride": (1, 1), "padding": (0, 0), "dilation": (1, 1), "groups": 1},
        ),
    ),
    "conv2d_input_grad": Explanation(
        forward="the transposed convolution: each g pixel times the kernels, added back "
        "onto the input pixels of its window (the VJP of conv2d in x)",
        vjp="g_bar = conv2d(c, W);  W_bar = conv2d_weight_grad(c, g)",
        latex_forward=r"y = W^\top \star g",
        latex_vjp=r"\bar g = W \star \bar y, \quad \bar W = g \star \bar y",
        example=lambda rng: (
            (rng.standard_normal((1, 3, 3, 3)), rng.standard_normal((3, 2, 2, 2))),
            {"shape": (1, 2, 4, 4), "stride": (1, 1), "padding": (0, 0), "dilation": (1, 1),
             "groups": 1},
        ),
    ),
    "conv2d_weight_grad": Explanation(
        forward="the correlation of g with the windows of x (the VJP of conv2d in W)",
        vjp="x_bar = conv2d_input_grad(g, c);  g_bar = conv2d(x, c)",
        latex_forward=r"y_{o,c,i,j} = \sum_{n,p,q} g_{n,o,p,q}\, x_{n,c,\, s p + d i,\, s q + d j}",
        latex_vjp=r"\bar x = \bar y^\top \star g, \quad \bar g = \bar y \star x",
        example=lambda rng: (
            (rng.standard_normal((1, 2, 4, 4)), rng.standard_normal((1, 3, 3, 3))),
            {"shape": (3, 2, 2, 2), "stride": (1, 1), "padding": (0, 0), "dilation": (1, 1),
             "groups": 1},
        ),
    ),
    "max_pool2d": Explanation(
        forward="the maximum of each window of an (N, C, H, W) image",
        vjp="x_bar = max_pool2d_scatter(g): each window's g at its maximum (shared "
        "equally among equal maxima), 0 elsewhere",
        latex_forward=r"y_{n,c,p,q} = \max_{i,j} x_{n,c,\, s p + d i,\, s q + d j}",
        latex_vjp=r"\bar x_{n,c,u,v} = \sum_{(p,q) : x_{n,c,u,v} = y_{n,c,p,q}} "
        r"\bar y_{n,c,p,q} / m_{n,c,p,q}",
        example=lambda rng: ((rng.standard_normal((1, 2, 4, 4)),), dict(_WINDOWS)),
    ),
    "max_pool2d_scatter": Explanation(
        forward="each window's value put back on the window's maxima of x (shared "
        "equally among equal maxima): linear in g, x and y = max_pool2d(x) held fixed",
        vjp="g_bar = max_pool2d_gather(c): the cotangent read back at the maxima",
        latex_forward=r"y = S_x\, g",
        latex_vjp=r"\bar g = S_x^\top\, \bar y",
        example=lambda rng: _pooled(rng, (1, 2, 3, 3)),
        check_with=lambda p, g, x, y, **kw: p(g, x, y, **kw),
    ),
    "max_pool2d_gather": Explanation(
        forward="t read at each window's maxima of x (averaged over equal maxima): the "
        "tangent of max_pool2d, linear in t",
        vjp="t_bar = max_pool2d_scatter(c)",
        latex_forward=r"y = S_x^\top\, t",
        latex_vjp=r"\bar t = S_x\, \bar y",
        example=lambda rng: _pooled(rng, (1, 2, 4, 4)),
        check_with=lambda p, t, x, y, **kw: p(t, x, y, **kw),
    ),
    # ----------------------------------------------------------- linear algebra
    "matmul": Explanation(
        forward="Y = A B (NumPy's matmul: vectors, matrices, batches)",
        vjp="A_bar = G B^T;  B_bar = A^T G  (summed over broadcast batch axes)",
        latex_forward="Y = AB",
        latex_vjp=r"\bar A = \bar Y B^\top, \quad \bar B = A^\top \bar Y",
        example=_normal((3, 4), (4, 2)),
    ),
    "einsum": Explanation(
        forward="Einstein summation of the operands",
        vjp="each operand's x_bar = einsum of g with the other operands, onto its indices",
        latex_forward=r"Y_{ik} = \sum_j A_{ij} B_{jk}",
        latex_vjp=r"\bar A_{ij} = \sum_k \bar Y_{ik} B_{jk}",
        example=lambda rng: (
            (rng.standard_normal((3, 4)), rng.standard_normal((4, 2))),
            {"subscripts": (["ij", "jk"], "ik")},
        ),
    ),
    "linear": Explanation(
        forward="y = x W^T + b, the affine layer fused into one primitive",
        vjp="x_bar = g W;  W_bar = g^T x (over all batch rows);  b_bar = g summed to b",
        latex_forward=r"y = x W^\top + b",
        latex_vjp=r"\bar x = \bar y W, \quad \bar W = \bar y^\top x, \quad \bar b = "
        r"\textstyle\sum \bar y",
        example=_normal((3, 4), (2, 4), (2,)),
    ),
    "inv": Explanation(
        forward="Y = A^-1",
        vjp="A_bar = -Y^T G Y^T  (from dY = -Y dA Y)",
        latex_forward="Y = A^{-1}",
        latex_vjp=r"\bar A = -Y^\top \bar Y Y^\top",
        example=lambda rng: ((_well_conditioned(rng),), {}),
    ),
    "det": Explanation(
        forward="y = det A",
        vjp="A_bar = g * y * A^-T  (Jacobi's formula: d det A = det A tr(A^-1 dA))",
        latex_forward=r"y = \det A",
        latex_vjp=r"\bar A = \bar y\, y\, A^{-\top}",
        example=lambda rng: ((_well_conditioned(rng),), {}),
    ),
    "logabsdet": Explanation(
        forward="y = log |det A|",
        vjp="A_bar = g * A^-T",
        latex_forward=r"y = \log\lvert\det A\rvert",
        latex_vjp=r"\bar A = \bar y\, A^{-\top}",
        example=lambda rng: ((_well_conditioned(rng),), {}),
    ),
    "solve": Explanation(
        forward="X = A^-1 B (solves A X = B)",
        vjp="B_bar = A^-T G;  A_bar = -B_bar X^T",
        latex_forward=r"X = A^{-1} B",
        latex_vjp=r"\bar B = A^{-\top} \bar X, \quad \bar A = -\bar B X^\top",
        example=lambda rng: ((_well_conditioned(rng), rng.standard_normal((3, 2))), {}),
    ),
    "cholesky": Explanation(
        forward="L lower triangular with A = L L^T (A symmetric positive definite)",
        vjp="A_bar = sym(L^-T Phi(L^T G) L^-1), Phi = lower triangle with halved "
        "diagonal; A is treated as symmetric",
        latex_forward=r"A = L L^\top",
        latex_vjp=r"\bar A = \operatorname{sym}\left(L^{-\top} \Phi(L^\top \bar L) L^{-1}\right)",
        example=lambda rng: ((_spd(rng),), {}),
        # Only the symmetric part of a perturbation is seen: check on (A + A^T) / 2.
        check_with=lambda p, a: p((a + a.T) * 0.5),
    ),
    "pinv": Explanation(
        forward="P = A^+, the Moore-Penrose pseudo-inverse",
        vjp="A_bar = -P^T G P^T + (I - A P) G^T P P^T + P^T P G^T (I - P A), the "
        "adjoint of dP (valid while the rank of A does not change)",
        latex_forward=r"P = A^{+}",
        latex_vjp=r"\bar A = -P^\top \bar P P^\top + (I - AP)\bar P^\top P P^\top + "
        r"P^\top P \bar P^\top (I - PA)",
        example=_normal((3, 2)),
    ),
    # ------------------------------------------------------ no gradient by design
    "greater": _step("a > b", "a > b"),
    "greater_equal": _step("a >= b", r"a \ge b"),
    "less": _step("a < b", "a < b"),
    "less_equal": _step("a <= b", r"a \le b"),
    "equal": _step("a == b", "a = b"),
    "not_equal": _step("a != b", r"a \ne b"),
    "isclose": _step("|a - b| <= atol + rtol |b|", r"\lvert a - b\rvert \le \epsilon"),
    "logical_and": _step("a and b", r"a \land b"),
    "logical_or": _step("a or b", r"a \lor b"),
    "logical_not": _step("not a", r"\lnot a"),
    "logical_xor": _step("a xor b", r"a \oplus b"),
    "sign": _step("sign(x) in {-1, 0, 1}", r"\operatorname{sign} x"),
    "signbit": _step("x < 0 (or -0.0)", r"[x < 0]"),
    "floor": _step("largest integer <= x", r"\lfloor x \rfloor"),
    "astype_discrete": _step(
        "x cast to an integer or boolean dtype", r"\operatorname{int}(x)",
        example=lambda rng: ((rng.standard_normal((3, 4)),), {"dtype": np.dtype(np.int64)}),
    ),
    "ceil": _step("smallest integer >= x", r"\lceil x \rceil"),
    "round": _step("x rounded to the nearest integer (or given decimals)", r"[x]"),
    "rint": _step("x rounded to the nearest integer", r"[x]"),
    "trunc": _step("x rounded toward 0", r"\operatorname{trunc} x"),
    "isfinite": _step("x is finite", r"x \in \mathbb{R}"),
    "isnan": _step("x is NaN", r"x = \text{NaN}"),
    "isinf": _step("x is +-inf", r"\lvert x\rvert = \infty"),
    "argmax": _step("index of the largest x", r"\arg\max_i x_i"),
    "argmin": _step("index of the smallest x", r"\arg\min_i x_i"),
    "argsort": _step("indices that sort x", r"\operatorname{argsort} x"),
    "argpartition": _step("indices that partition x around kth", r"\operatorname{argpartition} x"),
    "sign_of_det": _step("sign of det A", r"\operatorname{sign}\det A"),
}


def _primitive_name(name):
    """The registry name for ``name``: a name, a primitive, or a tensor a primitive made."""
    if isinstance(name, str):
        return name
    if isinstance(name, graph.Primitive):
        return name.name
    if isinstance(name, graph.TensorBase):
        if name._prim is None:
            raise TypeError(
                "explain: this tensor was not made by a recorded operation (a leaf, a "
                "result computed without grad, or the output of an operation without a "
                "gradient such as a comparison); pass a primitive or its name, e.g. "
                "cr.explain('tanh')"
            )
        return name._prim.name
    raise TypeError(
        f"explain: expected a primitive's name (e.g. 'tanh'), a primitive (cr.tanh) or a "
        f"tensor made by one, got {type(name).__name__}"
    )


def explanation(name):
    """The Explanation of registered primitive ``name`` (KeyError naming close names).

    ``name`` may also be a primitive (``cr.tanh``) or a tensor recorded by one.
    """
    name = _primitive_name(name)
    prim = graph.REGISTRY.get(name)
    if prim is None:
        close = sorted(n for n in graph.REGISTRY if name[:3] in n)
        hint = f"; did you mean {', '.join(close[:5])}?" if close else ""
        raise KeyError(f"explain: no primitive named {name!r}{hint}")
    if prim.explanation is None:
        prim.explanation = EXPLANATIONS.get(name)
    if prim.explanation is None:
        raise KeyError(
            f"explain: primitive {name!r} has no explanation yet; add its entry to "
            f"chainrule.explain.EXPLANATIONS"
        )
    return prim.explanation


@dataclass(frozen=True)
class Check:
    """Result of comparing a VJP rule with central finite differences."""

    max_error: float  # max |VJP - finite difference| over every input element
    scale: float  # max |finite difference|, to read the error against
    entries: int  # how many input elements were checked


def finite_difference_check(name, seed=0, eps=1e-6):
    """Compare ``name``'s VJP with central differences of w . f(x) on a random input.

    Every float64 argument of the example input is differentiated, element by element;
    ``w`` is a random cotangent. Returns a :class:`Check`, or None for a primitive
    that is declared non-differentiable.
    """
    name = _primitive_name(name)
    prim = graph.REGISTRY[name]
    exp = explanation(name)
    if not prim.differentiable:
        return None
    rng = np.random.default_rng(seed)
    args, kw = exp.example(rng)
    diff = [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype == np.float64]
    run = exp.check_with or (lambda p, *a, **k: p(*a, **k))

    def f(values):
        full = list(args)
        for i, v in zip(diff, values):
            full[i] = Tensor(v, requires_grad=True)
        return run(prim, *full, **kw), [full[i] for i in diff]

    def weighted(values):
        with graph.no_grad():
            return float(np.sum(f(values)[0].data * w))

    out, inputs = f([args[i] for i in diff])
    w = rng.standard_normal(np.shape(out.data))
    analytic = graph.backward((out * w).sum(), inputs=inputs)
    worst, scale, entries = 0.0, 0.0, 0
    for k, i in enumerate(diff):
        x = args[i]
        a = np.zeros(x.shape) if analytic[k] is None else analytic[k].data
        for idx in np.ndindex(x.shape):
            values = [args[j].copy() for j in diff]
            values[k][idx] += eps
            plus = weighted(values)
            values[k][idx] -= 2 * eps
            minus = weighted(values)
            numeric = (plus - minus) / (2 * eps)
            worst = max(worst, abs(float(a[idx]) - numeric))
            scale = max(scale, abs(numeric))
            entries += 1
    return Check(worst, scale, entries)


def explain(name, seed=0, file=None):
    """Print primitive ``name``'s derivative and check its VJP; return the max error.

    ``name`` is a primitive's name (``"tanh"``), the primitive (``cr.tanh``), or a tensor
    a recorded primitive made (its producer is explained).

    Prints the forward definition, the VJP and (where it teaches something) the
    Jacobian's structure, in plain text and LaTeX, then the largest difference between
    the VJP rule and central finite differences on a random float64 input. Returns
    that error, or None for a non-differentiable primitive.
    """
    out = file or sys.stdout
    name = _primitive_name(name)
    exp = explanation(name)
    lines = [
        f"{name}",
        f"  forward   {exp.forward}",
        f"  VJP       {exp.vjp}",
    ]
    if exp.jacobian:
        lines.append(f"  Jacobian  {exp.jacobian}")
    lines.append(f"  LaTeX     forward: {exp.latex_forward}")
    lines.append(f"            VJP: {exp.latex_vjp}")
    if exp.latex_jacobian:
        lines.append(f"            Jacobian: {exp.latex_jacobian}")
    check = finite_difference_check(name, seed=seed)
    if check is None:
        lines.append("  check     none: no gradient to check")
        result = None
    else:
        lines.append(
            f"  check     VJP vs central finite differences on a random float64 input "
            f"(seed {seed}, {check.entries} entries): max |error| = {check.max_error:.2e} "
            f"(largest derivative {check.scale:.2e})"
        )
        result = check.max_error
    print("\n".join(lines), file=out)
    return result
