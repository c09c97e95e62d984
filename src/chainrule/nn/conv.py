"""Convolution layers over 1, 2 or 3 spatial axes and their transposes (PyTorch's names,
arguments and parameter layouts: weight (out, in / groups, *kernel), transposed weight
(in, out / groups, *kernel), bias (out,))."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import conv_functions as CF
from . import init
from .arguments import shape
from .module import Module, Parameter, float_dtype
from .padding import ntuple, pad

if TYPE_CHECKING:
    from numpy.typing import DTypeLike


__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d"]

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """The state and checks shared by the convolutions and their transposes."""

    _n = 2
    _transposed = False

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, ...],
        stride: int | tuple[int, ...],
        padding: int | tuple[int, ...] | str,
        dilation: int | tuple[int, ...],
        groups: int,
        bias: bool,
        padding_mode: str,
        output_padding: int | tuple[int, ...],
        device: Any,
        dtype: DTypeLike,
        rng: int | np.random.Generator | None,
    ) -> None:
        super().__init__()
        name, n = type(self).__name__, self._n
        if device is not None and str(device).split(":")[0] != "cpu":
            raise ValueError(f"{name}: chainrule runs on the CPU only, got device={device!r}")
        if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or (
                groups < 1 or in_channels % groups or out_channels % groups):
            raise ValueError(f"{name}: groups={groups} must divide in_channels={in_channels} "
                             f"and out_channels={out_channels}")
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {PADDING_MODES}, got "
                             f"{padding_mode!r}")
        if self._transposed and padding_mode != "zeros":
            raise ValueError(f"{name}: only padding_mode='zeros' is supported (as in PyTorch)")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = ntuple(kernel_size, n, name, "kernel_size", 1)
        self.stride = ntuple(stride, n, name, "stride", 1)
        self.dilation = ntuple(dilation, n, name, "dilation", 1)
        if isinstance(padding, str):
            if self._transposed or padding not in ("same", "valid"):
                raise ValueError(f"{name}: padding must be an int, a tuple of {n} ints"
                                 + ("" if self._transposed else ", 'valid' or 'same'")
                                 + f", got {padding!r}")
            if padding == "same" and self.stride != (1,) * n:
                raise ValueError(f"{name}: padding='same' needs stride 1, got {self.stride}")
            self.padding = padding
        else:
            self.padding = ntuple(padding, n, name, "padding", 0)
        self.output_padding = ntuple(output_padding, n, name, "output_padding", 0)
        self.groups = int(groups)
        self.padding_mode = padding_mode
        dtype = float_dtype(dtype)
        channels = ((self.in_channels, self.out_channels // self.groups) if self._transposed
                    else (self.out_channels, self.in_channels // self.groups))
        self.weight = Parameter(np.empty(channels + self.kernel_size, dtype))
        self.bias = Parameter(np.empty(self.out_channels, dtype)) if bias else None
        # fan_in = weight.shape[1] * prod(kernel) for both layouts, as PyTorch computes it.
        init.default_init_(self.weight, self.bias, rng)

    def reset_parameters(self):
        """Draw the weight and bias again as a new layer's (from the global generator)."""
        init.default_init_(self.weight, self.bias)

    def _explicit_padding(self):
        """F.pad's (last axis first) pairs for a padding_mode other than 'zeros'."""
        if self.padding == "valid":
            return (0,) * (2 * self._n)
        if self.padding == "same":
            pairs = CF.same_padding(self.kernel_size, self.dilation)
        else:
            pairs = [(p, p) for p in self.padding]
        return tuple(v for pair in reversed(pairs) for v in pair)

    def extra_repr(self):
        n = self._n
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    _fn = staticmethod(CF.conv2d)

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, ...],
        stride: int | tuple[int, ...] = 1,
        padding: int | tuple[int, ...] | str = 0,
        dilation: int | tuple[int, ...] = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = 'zeros',
        device: Any = None,
        dtype: DTypeLike = np.float32,
        rng: int | np.random.Generator | None = None,
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, 0, device, dtype, rng)

    def forward(self, input):
        if self.padding_mode != "zeros":
            input = pad(input, self._explicit_padding(), mode=self.padding_mode)
            return self._fn(input, self.weight, self.bias, self.stride, 0, self.dilation,
                            self.groups)
        return self._fn(input, self.weight, self.bias, self.stride, self.padding,
                        self.dilation, self.groups)


class Conv1d(_Conv):
    """1-d convolution (cross-correlation) of (N, C, L) input: weight (out, in / groups, k).

    padding: int, 1-tuple, 'valid' or 'same'; padding_mode 'zeros', 'reflect',
    'replicate' or 'circular'. Default initialization: weight and bias uniform in
    +-1/sqrt(fan_in), fan_in = in / groups * k (:func:`chainrule.nn.init.default_init_`).
    """

    _n = 1
    _fn = staticmethod(CF.conv1d)


class Conv2d(_Conv):
    """2-D convolution (cross-correlation) with weight (out, in / groups, kh, kw) and bias (out,).

    ``stride``, ``padding`` (int, pair, "valid" or "same") and ``dilation`` are ints or
    pairs; ``groups`` splits the channels into independent convolutions; padding_mode
    'zeros', 'reflect', 'replicate' or 'circular'. Default initialization: weight and
    bias uniform in +-1/sqrt(fan_in), fan_in = in / groups * kh * kw
    (:func:`chainrule.nn.init.default_init_`).
    """

    _n = 2
    _fn = staticmethod(CF.conv2d)


class Conv3d(_Conv):
    """3-D convolution of (N, C, D, H, W) input: weight (out, in / groups, kd, kh, kw)."""

    _n = 3
    _fn = staticmethod(CF.conv3d)


class _ConvTranspose(_ConvNd):
    _transposed = True
    _fn = staticmethod(CF.conv_transpose2d)

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, ...],
        stride: int | tuple[int, ...] = 1,
        padding: int | tuple[int, ...] | str = 0,
        output_padding: int | tuple[int, ...] = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: int | tuple[int, ...] = 1,
        padding_mode: str = 'zeros',
        device: Any = None,
        dtype: DTypeLike = np.float32,
        rng: int | np.random.Generator | None = None,
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, output_padding, device, dtype, rng)

    def forward(self, input, output_size=None):
        """``output_size`` (the spatial sizes, or the whole shape) picks output_padding."""
        output_padding = self.output_padding
        if output_size is not None:
            output_padding = self._output_padding(input, output_size)
        return self._fn(input, self.weight, self.bias, self.stride, self.padding,
                        output_padding, self.groups, self.dilation)

    def _output_padding(self, input, output_size):
        n, name = self._n, type(self).__name__
        want = tuple(int(v) for v in output_size)[-n:]
        spatial = shape(input)[-n:]
        least = [(m - 1) * s - 2 * p + d * (k - 1) + 1 for m, s, p, d, k in
                 zip(spatial, self.stride, self.padding, self.dilation, self.kernel_size)]
        extra = tuple(w - lo for w, lo in zip(want, least))
        if len(want) != n or any(not 0 <= e < s for e, s in zip(extra, self.stride)):
            raise ValueError(f"{name}: output_size {tuple(output_size)} is not reachable: "
                             f"each size must be between {tuple(least)} and "
                             f"{tuple(lo + s - 1 for lo, s in zip(least, self.stride))}")
        return extra


class ConvTranspose1d(_ConvTranspose):
    """Transposed 1-d convolution (the adjoint of Conv1d): weight (in, out / groups, k);
    output length (L - 1) stride - 2 padding + dilation (k - 1) + output_padding + 1."""

    _n = 1
    _fn = staticmethod(CF.conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    """Transposed 2-D convolution (the adjoint of Conv2d): weight (in, out / groups, kh, kw);
    each output size (in - 1) stride - 2 padding + dilation (k - 1) + output_padding + 1."""

    _n = 2
    _fn = staticmethod(CF.conv_transpose2d)


class ConvTranspose3d(_ConvTranspose):
    """Transposed 3-D convolution: weight (in, out / groups, kd, kh, kw)."""

    _n = 3
    _fn = staticmethod(CF.conv_transpose3d)
