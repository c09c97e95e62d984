"""Activation modules: thin wrappers over chainrule's stable activation primitives."""

from __future__ import annotations

from .. import primitives as P
from .module import Module


class Tanh(Module):
    """tanh(x); derivative 1 - tanh(x)^2."""

    def forward(self, x):
        return P.tanh(x)


class ReLU(Module):
    """max(x, 0); derivative taken as 0 at 0."""

    def forward(self, x):
        return P.relu(x)


class LeakyReLU(Module):
    """x for x > 0, negative_slope * x otherwise."""

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return P.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    """1 / (1 + e^-x), computed without overflow."""

    def forward(self, x):
        return P.sigmoid(x)


class GELU(Module):
    """x Phi(x) (Phi the standard normal CDF); approximate="tanh" for the tanh formula."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', not {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        return P.gelu(x, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """log(1 + e^(beta x)) / beta, computed without overflow for any x."""

    def __init__(self, beta=1.0):
        super().__init__()
        self.beta = beta

    def forward(self, x):
        if self.beta == 1:
            return P.softplus(x)
        return P.softplus(x * self.beta) / self.beta

    def extra_repr(self):
        return f"beta={self.beta}"


class ELU(Module):
    """x for x > 0, alpha (e^x - 1) otherwise."""

    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = alpha

    def forward(self, x):
        return P.elu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class Softmax(Module):
    """e^x_i / sum_j e^x_j along ``dim`` (default: the last axis)."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return P.softmax(x, axis=self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """x_i - log sum_j e^x_j along ``dim`` (default: the last axis), never log(0) of a softmax."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return P.log_softmax(x, axis=self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"
