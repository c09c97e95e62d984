"""Lazy layers (PyTorch's LazyConv*, LazyConvTranspose*, LazyBatchNorm*, LazyInstanceNorm*):
the input's channel count is read at the first forward, which sizes and initializes the
parameters (and running statistics) in place, the same objects an optimizer made before
already holds, and the module becomes the ordinary layer (LazyConv2d -> Conv2d), as
PyTorch's do. LazyLinear is in chainrule.nn.layers."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import init
from .arguments import shape
from .conv import (
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
)
from .normalization import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
)

__all__ = ["LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyConv1d",
           "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d",
           "LazyConvTranspose3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d",
           "LazyInstanceNorm3d"]


def _channels(module, x, spatial):
    s = shape(x)
    if len(s) not in (spatial + 1, spatial + 2):
        raise ValueError(f"{type(module).__name__}: expected a {spatial + 1}-d (unbatched) "
                         f"or {spatial + 2}-d input, got shape {s}")
    return s[1] if len(s) == spatial + 2 else s[0]


class _LazyConv:
    """Mixed in before a convolution class: built with in_channels = groups, then its
    weight holds no input channels until the first forward."""

    _becomes: Any = None
    _n: int
    _transposed: bool

    def __init__(self, out_channels, kernel_size, *args, rng=None, **kwargs):
        groups = kwargs.get("groups", 1)
        super().__init__(groups, out_channels, kernel_size, *args, **kwargs)
        self.in_channels = 0
        w = self.weight._data
        empty = (0,) + w.shape[1:] if self._transposed else (w.shape[0], 0) + w.shape[2:]
        self.weight._data = np.empty(empty, w.dtype)
        self._lazy_rng = rng

    def forward(self, input, *args, **kwargs):
        c = _channels(self, input, self._n)
        if c % self.groups:
            raise ValueError(f"{type(self).__name__}: {c} input channels are not divisible "
                             f"by groups={self.groups}")
        self.in_channels = int(c)
        w = self.weight._data
        channels = ((c, self.out_channels // self.groups) if self._transposed
                    else (self.out_channels, c // self.groups))
        self.weight._data = np.empty(channels + self.kernel_size, w.dtype)
        init.default_init_(self.weight, self.bias, self._lazy_rng)
        del self._lazy_rng
        self.__class__ = self._becomes
        # (a transposed convolution's output_size passes through)
        return self.forward(input, *args, **kwargs)


class _LazyNorm:
    """Mixed in before a normalization class: num_features 0 until the first forward."""

    _becomes: Any = None
    _spatial: int | None = None  # (None: batch norm, whose channels are always axis 1)

    def __init__(self, *args, **kwargs):
        super().__init__(0, *args, **kwargs)

    def forward(self, input):
        if self._spatial is None:
            s = shape(input)
            if len(s) < 2:
                raise ValueError(f"{type(self).__name__}: expected (N, C, ...) input, got "
                                 f"shape {s}")
            c = int(s[1])
        else:
            c = int(_channels(self, input, self._spatial))
        self.num_features = c
        for name, fill in (("weight", 1), ("bias", 0), ("running_mean", 0),
                           ("running_var", 1)):
            t = getattr(self, name)
            if t is not None:
                t._data = np.full(c, fill, t._data.dtype)
        self.__class__ = self._becomes
        return self.forward(input)


def _lazy(base, mixin, name, **facts):
    cls = type(name, (mixin, base), {"__doc__": f"{base.__name__} whose input channels are "
                                     f"read from the first input (see chainrule.nn.lazy).",
                                     "__module__": __name__, "__qualname__": name,
                                     "_becomes": base, **facts})
    return cls


LazyConv1d = _lazy(Conv1d, _LazyConv, "LazyConv1d")
LazyConv2d = _lazy(Conv2d, _LazyConv, "LazyConv2d")
LazyConv3d = _lazy(Conv3d, _LazyConv, "LazyConv3d")
LazyConvTranspose1d = _lazy(ConvTranspose1d, _LazyConv, "LazyConvTranspose1d")
LazyConvTranspose2d = _lazy(ConvTranspose2d, _LazyConv, "LazyConvTranspose2d")
LazyConvTranspose3d = _lazy(ConvTranspose3d, _LazyConv, "LazyConvTranspose3d")
LazyBatchNorm1d = _lazy(BatchNorm1d, _LazyNorm, "LazyBatchNorm1d")
LazyBatchNorm2d = _lazy(BatchNorm2d, _LazyNorm, "LazyBatchNorm2d")
LazyBatchNorm3d = _lazy(BatchNorm3d, _LazyNorm, "LazyBatchNorm3d")
LazyInstanceNorm1d = _lazy(InstanceNorm1d, _LazyNorm, "LazyInstanceNorm1d", _spatial=1)
LazyInstanceNorm2d = _lazy(InstanceNorm2d, _LazyNorm, "LazyInstanceNorm2d", _spatial=2)
LazyInstanceNorm3d = _lazy(InstanceNorm3d, _LazyNorm, "LazyInstanceNorm3d", _spatial=3)
