"""Layers with parameters or structure: Identity, Linear, Bilinear, Flatten, Unflatten.

Parameters are float32 unless a layer is given ``dtype``; ``rng`` (a NumPy Generator,
an int seed, or None for :func:`chainrule.nn.init.manual_seed`'s generator) makes
initialization reproducible. Names and shapes follow PyTorch (Linear.weight is
(out_features, in_features)).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import primitives as P
from . import functional as F
from . import init
from .module import Module, Parameter, float_dtype

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import DTypeLike



class Identity(Module):
    """Returns its input (arguments to the constructor are accepted and unused, as in
    PyTorch, so it can stand in for any layer)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """y = x W^T + b with W of shape (out_features, in_features).

    Default initialization: W and b uniform in +-1/sqrt(in_features)
    (:func:`chainrule.nn.init.default_init_`).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        dtype: DTypeLike = np.float32,
        rng: int | np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        dtype = float_dtype(dtype)
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype))
        self.bias = Parameter(np.empty(self.out_features, dtype)) if bias else None
        init.default_init_(self.weight, self.bias, rng)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def reset_parameters(self):
        """Draw the weight and bias again as a new layer's (from the global generator)."""
        init.default_init_(self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class LazyLinear(Linear):
    """A Linear whose in_features is read from its first input: until then its weight
    has shape (out_features, 0); the first forward sizes and initializes it (the same
    Parameter objects, so an optimizer made before sees them) and the module becomes a
    Linear, as PyTorch's does."""

    _becomes: type = Linear  # (a front end's LazyLinear becomes its own Linear)

    def __init__(
        self,
        out_features: int,
        bias: bool = True,
        dtype: DTypeLike = np.float32,
        rng: int | np.random.Generator | None = None,
    ) -> None:
        Module.__init__(self)
        dtype = float_dtype(dtype)
        self.in_features = 0
        self.out_features = int(out_features)
        self.weight = Parameter(np.empty((self.out_features, 0), dtype))
        self.bias = Parameter(np.zeros(self.out_features, dtype)) if bias else None
        self._rng = rng

    def forward(self, input):
        shape = input._data.shape if hasattr(input, "_data") \
            else np.shape(input)
        if not shape:
            raise ValueError("LazyLinear: the input must have at least one dimension")
        self.in_features = int(shape[-1])
        dtype = self.weight._data.dtype
        self.weight._data = np.empty((self.out_features, self.in_features), dtype)
        init.default_init_(self.weight, self.bias, self._rng)
        del self._rng
        self.__class__ = self._becomes
        return Linear.forward(self, input)


class Flatten(Module):
    """Merge axes start_dim..end_dim into one (default: everything but the batch axis)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return P.flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split axis ``dim`` into the axes ``unflattened_size`` (one entry may be -1)."""

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        self.dim = int(dim)
        self.unflattened_size = tuple(int(n) for n in unflattened_size)

    def forward(self, input):
        s = input.shape
        dim = self.dim % len(s) if s else 0
        sizes = self.unflattened_size
        known = int(np.prod([n for n in sizes if n != -1]))
        if sizes.count(-1) > 1 or (sizes.count(-1) == 0 and known != s[dim]) or (
            sizes.count(-1) == 1 and (known == 0 or s[dim] % known)
        ):
            raise ValueError(
                f"Unflatten: axis {self.dim} of length {s[dim]} cannot be split into "
                f"{sizes}"
            )
        return P.reshape(input, s[:dim] + sizes + s[dim + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Bilinear(Module):
    """y = x1^T A x2 + b per output feature, A of shape (out_features, in1, in2).

    Default initialization: A and b uniform in +-1/sqrt(in1_features), as PyTorch.
    """

    def __init__(
        self,
        in1_features: int,
        in2_features: int,
        out_features: int,
        bias: bool = True,
        dtype: DTypeLike = np.float32,
        rng: int | np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        dtype = float_dtype(dtype)
        self.in1_features, self.in2_features = int(in1_features), int(in2_features)
        self.out_features = int(out_features)
        self.weight = Parameter(np.empty((self.out_features, self.in1_features,
                                          self.in2_features), dtype))
        self.bias = Parameter(np.empty(self.out_features, dtype)) if bias else None
        rng = init.generator(rng)
        bound = 1.0 / np.sqrt(self.in1_features)
        init.uniform_(self.weight, -bound, bound, rng)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound, rng)

    def reset_parameters(self):
        """Draw the weight and bias again as a new layer's (from the global generator)."""
        bound = 1.0 / np.sqrt(self.in1_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
