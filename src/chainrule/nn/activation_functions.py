"""Activation functions with PyTorch's names and signatures (``chainrule.nn.functional``).

Each is a composition of chainrule primitives, so every order of derivative follows
from the primitives' rules; where a function has a kink, the derivative at the kink is
PyTorch's (said in each docstring). ``inplace=True`` writes the result into a
chainrule.torch tensor, as PyTorch does; chainrule's own tensors are left unchanged (a new
tensor is returned, NumPy's way): see arguments.honours_inplace.
"""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from ..primitives.gelu_fused import gelu as _gelu
from ..primitives.masks import random_draw
from ..rules import composite
from .arguments import axis, data, honours_inplace, implicit_softmax_dim, in_float32, shape
from .init import generator

__all__ = [
    "celu", "elu", "gelu", "glu", "gumbel_softmax", "hardshrink", "hardsigmoid", "hardswish",
    "hardtanh", "leaky_relu", "log_softmax", "logsigmoid", "mish", "prelu", "relu", "relu6",
    "rrelu",
    "selu", "sigmoid", "silu", "softmax", "softmin", "softplus", "softshrink", "softsign",
    "tanh", "tanhshrink", "threshold",
]

# SELU's constants (Klambauer et al., 2017), as PyTorch rounds them.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


@honours_inplace
@composite
def relu(input, inplace=False):
    """max(x, 0); derivative 0 at 0."""
    return P.relu(input)


@composite
def sigmoid(input):
    """1 / (1 + e^-x), without overflow."""
    return P.sigmoid(input)


@composite
def tanh(input):
    return P.tanh(input)


@honours_inplace
@composite
def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x for x > 0, negative_slope * x otherwise (derivative negative_slope at 0)."""
    return P.leaky_relu(input, negative_slope)


@composite
def gelu(input, approximate="none"):
    """x Phi(x); approximate="tanh" for 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).

    One fused primitive (chainrule.primitives.gelu), the same values as cr.gelu.
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', not {approximate!r}")
    return _gelu(input, approximate=approximate)


def _negative_branch(x):
    """x where x <= 0, else 0: the argument an exponential branch may see without overflow."""
    return P.where(P.greater(x, 0), 0.0, x)


@honours_inplace
@composite
def elu(input, alpha=1.0, inplace=False):
    """x for x > 0, alpha (e^x - 1) otherwise; derivative alpha at 0 (PyTorch's)."""
    return P.where(P.greater(input, 0), input, alpha * P.expm1(_negative_branch(input)))


@honours_inplace
@composite
def selu(input, inplace=False):
    """scale * elu(x, alpha) with PyTorch's alpha = 1.6733 and scale = 1.0507."""
    return SELU_SCALE * elu(input, SELU_ALPHA)


@honours_inplace
@composite
def celu(input, alpha=1.0, inplace=False):
    """x for x > 0, alpha (e^(x / alpha) - 1) otherwise; derivative 1 at 0."""
    if alpha == 0:
        raise ValueError("celu: alpha must be nonzero (it divides x)")
    return P.where(P.greater(input, 0), input,
                   alpha * P.expm1(_negative_branch(input) / alpha))


@honours_inplace
@composite
def silu(input, inplace=False):
    """x sigmoid(x) (the swish)."""
    return input * P.sigmoid(input)


@honours_inplace
@composite
def mish(input, inplace=False):
    """x tanh(softplus(x))."""
    return input * P.tanh(P.softplus(input))


@composite
def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + e^(beta x)) / beta, and x itself where beta x > threshold (as PyTorch)."""
    if beta == 0:
        raise ValueError("softplus: beta must be nonzero")
    bx = input * beta if beta != 1 else input
    smooth = P.softplus(bx) if beta == 1 else P.softplus(bx) / beta
    return P.where(P.greater(bx, threshold), input, smooth)


# The masks below are comparisons (operations without a derivative), not NumPy on the
# values: under cr.compile or cr.vmap every call or example computes its own.


def _float_dtype(x):
    dtype = data(x).dtype
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


def _strictly_inside(x, lo, hi):
    """[lo < x < hi], a mask without a derivative."""
    return P.logical_and(P.greater(x, lo), P.less(x, hi))


@honours_inplace
@composite
def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x clipped to [min_val, max_val]; derivative 1 strictly inside, 0 at and beyond the
    bounds (PyTorch's)."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val {min_val} is larger than max_val {max_val}")
    # Outside the open interval the output is a constant bound: no gradient, every order
    # (NaN stays NaN, as in PyTorch).
    bounds = P.where(P.less_equal(input, min_val), min_val,
                     P.where(P.greater_equal(input, max_val), max_val, input))
    return P.where(_strictly_inside(input, min_val, max_val), input, bounds)


@honours_inplace
@composite
def relu6(input, inplace=False):
    """min(max(x, 0), 6); derivative 0 at 0 and at 6."""
    return hardtanh(input, 0.0, 6.0)


@honours_inplace
@composite
def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6; derivative 1/6 strictly inside (-3, 3), else 0."""
    inside = _strictly_inside(input, -3.0, 3.0)
    outer = P.astype(P.greater_equal(input, 3.0), _float_dtype(input))
    return P.where(inside, input / 6 + 0.5, outer)


@honours_inplace
@composite
def hardswish(input, inplace=False):
    """x relu6(x + 3) / 6; derivative 0 up to -3, x/3 + 1/2 on (-3, 3), 1 from 3 on (PyTorch's
    choice at the two kinks)."""
    middle = input * (input + 3) / 6
    return P.where(P.less_equal(input, -3.0), 0.0, P.where(P.less(input, 3.0), middle, input))


@composite
def prelu(input, weight):
    """x for x > 0, a x otherwise, with a learned slope a per channel (axis 1) or shared.

    ``weight`` has one element (shared) or one per channel of input axis 1; derivative
    a at 0 (PyTorch's).
    """
    ws, xs = shape(weight), shape(input)
    n = int(np.prod(ws)) if len(ws) else 1
    if n != 1:
        if len(xs) < 2 or xs[1] != n:
            raise ValueError(
                f"prelu: weight has {n} elements, which must be 1 or the number of channels "
                f"(input axis 1) of the input of shape {xs}"
            )
        weight = P.reshape(weight, (n,) + (1,) * (len(xs) - 2))
    elif len(ws):
        weight = P.reshape(weight, ())
    return P.where(P.greater(input, 0), input, weight * input)


@honours_inplace
@composite
def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False, rng=None):
    """Randomized leaky ReLU: slope drawn from U(lower, upper) per element when training,
    (lower + upper) / 2 otherwise. ``rng`` (chainrule's addition) seeds the slopes."""
    if not training:
        return leaky_relu(input, (lower + upper) / 2)
    # (Drawn by an operation, as dropout's masks: afresh on every compiled call.)
    if rng is not None and not isinstance(rng, np.random.Generator):
        generator(rng)  # (refuses what is neither a Generator nor an int seed)
    slopes = random_draw(input, "uniform", (lower, upper), rng=generator if rng is None else rng)
    return P.where(P.greater(input, 0), input, input * slopes)


@composite
def glu(input, dim=-1):
    """a * sigmoid(b), where a and b are the two halves of ``input`` along ``dim``."""
    s = shape(input)
    ax = axis(dim, len(s), "glu")
    if not s or s[ax] % 2:
        raise ValueError(f"glu: dim {dim} of the input of shape {s} must have an even length")
    a, b = P.split(input, 2, axis=ax)
    return a * P.sigmoid(b)


@composite
def softsign(input):
    """x / (1 + |x|)."""
    return input / (1 + P.abs(input))


@composite
def tanhshrink(input):
    """x - tanh(x)."""
    return input - P.tanh(input)


@composite
def hardshrink(input, lambd=0.5):
    """x where |x| > lambd, else 0."""
    return P.where(P.logical_or(P.greater(input, lambd), P.less(input, -lambd)), input, 0.0)


@composite
def softshrink(input, lambd=0.5):
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""
    if lambd < 0:
        raise ValueError(f"softshrink: lambd must be non-negative, got {lambd}")
    return P.where(P.greater(input, lambd), input - lambd,
                   P.where(P.less(input, -lambd), input + lambd, 0.0))


@honours_inplace
@composite
def threshold(input, threshold, value, inplace=False):
    """x where x > threshold, else ``value`` (derivative 0 there)."""
    return P.where(P.greater(input, threshold), input, float(value))


@composite
def logsigmoid(input):
    """log(sigmoid(x)) = -softplus(-x), finite for every x."""
    return P.log_sigmoid(input)


def _softmax_axis(fn, input, dim):
    ndim = len(shape(input))
    if dim is None:
        dim = implicit_softmax_dim(fn, ndim)
    return axis(dim, ndim, fn)


def _cast(input, dtype):
    return input if dtype is None else P.astype(input, np.dtype(dtype))


@composite
def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """e^x_i / sum_j e^x_j along ``dim``; 0 in a row of only -inf (PyTorch gives NaN)."""
    ax = _softmax_axis("softmax", input, dim)
    return in_float32(lambda x: P.softmax(x, axis=ax), _cast(input, dtype))


@composite
def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along ``dim``."""
    ax = _softmax_axis("softmin", input, dim)
    return in_float32(lambda x: P.softmax(-x, axis=ax), _cast(input, dtype))


@composite
def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """x_i - log sum_j e^x_j along ``dim``, computed stably."""
    ax = _softmax_axis("log_softmax", input, dim)
    return in_float32(lambda x: P.log_softmax(x, axis=ax), _cast(input, dtype))



def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1, *, rng=None):
    """softmax((logits + g) / tau) along ``dim`` with g standard Gumbel noise drawn from
    ``rng``; ``hard=True`` returns the one-hot of the argmax in the forward pass with the
    soft sample's gradient (straight-through). ``eps`` is accepted and unused, as in PyTorch.
    """
    if tau <= 0:
        raise ValueError(f"gumbel_softmax: tau must be positive, got {tau}")
    v = data(logits)
    ax = axis(dim, v.ndim, "gumbel_softmax")
    # (Drawn and compared by operations: afresh on every compiled call, per vmap example.)
    if rng is not None and not isinstance(rng, np.random.Generator):
        generator(rng)  # (refuses what is neither a Generator nor an int seed)
    exponential = random_draw(logits, "exponential", rng=generator if rng is None else rng)
    soft = P.softmax((logits - P.log(exponential)) / tau, axis=ax)
    if not hard:
        return soft
    k = v.shape[ax]
    classes = np.arange(k).reshape([k if i == ax else 1 for i in range(v.ndim)])
    first_max = P.equal(P.expand_dims(P.argmax(soft, axis=ax), ax), classes)
    hard_sample = P.astype(first_max, v.dtype)
    # Forward: the one-hot sample; backward: the soft sample's gradient.
    return soft - soft.detach() + hard_sample if hasattr(soft, "detach") else hard_sample
