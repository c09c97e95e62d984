"""Activation modules with PyTorch's names and arguments: each holds its settings and
calls its function in chainrule.nn.activation_functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from . import activation_functions as A
from .module import Module, Parameter, float_dtype

if TYPE_CHECKING:
    from numpy.typing import DTypeLike



class _Activation(Module):
    """An activation without settings other than PyTorch's ``inplace`` (honoured for
    chainrule.torch tensors; see activation_functions)."""

    fn: Callable[..., Any]  # the activation function, set by each subclass

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return type(self).fn(input, inplace=self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class ReLU(_Activation):
    """max(x, 0); derivative taken as 0 at 0."""

    fn = staticmethod(A.relu)


class ReLU6(_Activation):
    """min(max(x, 0), 6)."""

    fn = staticmethod(A.relu6)


class SELU(_Activation):
    """scale * elu(x, alpha), PyTorch's self-normalizing constants."""

    fn = staticmethod(A.selu)


class SiLU(_Activation):
    """x sigmoid(x)."""

    fn = staticmethod(A.silu)


class Mish(_Activation):
    """x tanh(softplus(x))."""

    fn = staticmethod(A.mish)


class Hardswish(_Activation):
    """x relu6(x + 3) / 6."""

    fn = staticmethod(A.hardswish)


class Hardsigmoid(_Activation):
    """relu6(x + 3) / 6."""

    fn = staticmethod(A.hardsigmoid)


class _Plain(Module):
    """An activation without settings."""

    fn: Callable[..., Any]  # the activation function, set by each subclass

    def forward(self, input):
        return type(self).fn(input)


class Tanh(_Plain):
    """tanh(x); derivative 1 - tanh(x)^2."""

    fn = staticmethod(A.tanh)


class Sigmoid(_Plain):
    """1 / (1 + e^-x), computed without overflow."""

    fn = staticmethod(A.sigmoid)


class Softsign(_Plain):
    """x / (1 + |x|)."""

    fn = staticmethod(A.softsign)


class Tanhshrink(_Plain):
    """x - tanh(x)."""

    fn = staticmethod(A.tanhshrink)


class LogSigmoid(_Plain):
    """log(sigmoid(x)) = -softplus(-x)."""

    fn = staticmethod(A.logsigmoid)


class LeakyReLU(Module):
    """x for x > 0, negative_slope * x otherwise."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return A.leaky_relu(input, self.negative_slope, inplace=self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class GELU(Module):
    """x Phi(x) (Phi the standard normal CDF); approximate="tanh" for the tanh formula."""

    def __init__(self, approximate: Literal["none", "tanh"] = 'none') -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', not {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        return A.gelu(input, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """log(1 + e^(beta x)) / beta, and x where beta x > threshold; no overflow for any x."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        if beta == 0:
            raise ValueError("Softplus: beta must be nonzero")
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return A.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class ELU(Module):
    """x for x > 0, alpha (e^x - 1) otherwise."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return A.elu(input, self.alpha, inplace=self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class CELU(Module):
    """x for x > 0, alpha (e^(x / alpha) - 1) otherwise."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        if alpha == 0:
            raise ValueError("CELU: alpha must be nonzero")
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return A.celu(input, self.alpha, inplace=self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class Hardtanh(Module):
    """x clipped to [min_val, max_val]."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val {min_val} is larger than max_val {max_val}")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input):
        return A.hardtanh(input, self.min_val, self.max_val, inplace=self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}"


class Threshold(Module):
    """x where x > threshold, else ``value``."""

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input):
        return A.threshold(input, self.threshold, self.value, inplace=self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}"


class Hardshrink(Module):
    """x where |x| > lambd, else 0."""

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return A.hardshrink(input, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class Softshrink(Module):
    """Shrink towards 0 by lambd, 0 within [-lambd, lambd]."""

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        if lambd < 0:
            raise ValueError(f"Softshrink: lambd must be non-negative, got {lambd}")
        self.lambd = lambd

    def forward(self, input):
        return A.softshrink(input, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class RReLU(Module):
    """Leaky ReLU with a random slope in [lower, upper] per element when training.

    The slopes come from ``rng`` (a Generator or seed, kept by the layer); in eval mode
    the slope is (lower + upper) / 2.
    """

    def __init__(
        self,
        lower: float = 1.0 / 8,
        upper: float = 1.0 / 3,
        inplace: bool = False,
        rng: int | np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        if not 0 <= lower <= upper:
            raise ValueError(f"RReLU: need 0 <= lower <= upper, got {lower}, {upper}")
        self.lower = lower
        self.upper = upper
        self.inplace = inplace
        self.rng = None if rng is None else A.generator(rng)  # (None: drawn at each call)

    def forward(self, input):
        return A.rrelu(input, self.lower, self.upper, self.training, inplace=self.inplace,
                       rng=self.rng)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}"


class PReLU(Module):
    """x for x > 0, a x otherwise; ``weight`` (num_parameters,) holds a, starting at ``init``.

    num_parameters is 1 (one slope) or the number of channels (input axis 1).
    """

    def __init__(
        self,
        num_parameters: int = 1,
        init: float = 0.25,
        dtype: DTypeLike = np.float32,
    ) -> None:
        super().__init__()
        self.num_parameters = int(num_parameters)
        self.weight = Parameter(np.full(self.num_parameters, init, float_dtype(dtype)))

    def forward(self, input):
        return A.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class GLU(Module):
    """a * sigmoid(b) for the two halves a, b of the input along ``dim``."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return A.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class _SoftmaxLike(Module):
    fn: Callable[..., Any]  # the activation function, set by each subclass

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return type(self).fn(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_SoftmaxLike):
    """e^x_i / sum_j e^x_j along ``dim``; dim=None picks PyTorch's legacy axis, with its
    warning (pass dim)."""

    fn = staticmethod(A.softmax)


class LogSoftmax(_SoftmaxLike):
    """x_i - log sum_j e^x_j along ``dim``, never log(0) of a softmax."""

    fn = staticmethod(A.log_softmax)


class Softmin(_SoftmaxLike):
    """softmax(-x) along ``dim``."""

    fn = staticmethod(A.softmin)


class Softmax2d(Module):
    """Softmax over the channels (axis -3) of (N, C, H, W) or (C, H, W) input."""

    def forward(self, input):
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected a 3-d or 4-d input, got shape {input.shape}")
        return A.softmax(input, -3)
