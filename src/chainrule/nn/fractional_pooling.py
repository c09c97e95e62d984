"""Fractional max pooling (Graham, 2014) with PyTorch's names, arguments and windows.

An axis of length L pooled to ``out`` windows of width k: window i starts at
floor((i + u) a) - floor(u a) with a = (L - k) / (out - 1), and the last window starts at
L - k, so the windows overlap or skip by a random fraction. ``u`` is one sample from
[0, 1) per example, channel and axis: PyTorch's ``_random_samples`` of shape
(N, C, n axes), whose entries are used in PyTorch's order (for two axes the first sample
places the width's windows, the second the height's; for three, depth, height, width).
The starts are computed in the input's dtype, as PyTorch's kernel does, so a float32
input gets float32's windows.

Each output is the window's maximum, taken by gathering one element: the first maximum,
or the last NaN in a window holding NaNs (PyTorch's CPU rule), so the gradient goes to
that one element as PyTorch's does, and ties do not share it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import primitives as P
from ..graph import is_tensor, new_tensor_as
from ..tracing import concrete
from .arguments import data, shape
from .conv_functions import batched
from .init import generator
from .module import Module
from .padding import ntuple

__all__ = ["FractionalMaxPool2d", "FractionalMaxPool3d", "fractional_max_pool2d",
           "fractional_max_pool3d"]

_AXES = {2: ("height", "width"), 3: ("depth", "height", "width")}


def _starts(u, size, out, k, dtype):
    """(..., out) window starts along one axis for samples `u` of shape (...)."""
    last = np.full(u.shape + (1,), size - k, np.int64)
    if out == 1:
        return last
    alpha = dtype.type(size - k) / dtype.type(out - 1)
    i = np.arange(out - 1, dtype=dtype)
    starts = ((i + u[..., None]) * alpha).astype(np.int64) - (u * alpha).astype(np.int64)[..., None]
    return np.concatenate([starts, last], axis=-1)


def _sizes(n, fn, x, kernel_size, output_size, output_ratio):
    kernel = ntuple(kernel_size, n, fn, "kernel_size", 1)
    size = shape(x)[2:]
    if output_size is not None:
        out = ntuple(output_size, n, fn, "output_size", 1)
    elif output_ratio is not None:
        ratio = output_ratio if isinstance(output_ratio, (tuple, list)) else (output_ratio,) * n
        if len(ratio) != n or not all(0 < r < 1 for r in ratio):
            raise ValueError(f"{fn}: output_ratio must be {n} numbers strictly between 0 "
                             f"and 1, got {output_ratio!r}")
        out = tuple(int(m * r) for m, r in zip(size, ratio))
    else:
        raise ValueError(f"{fn} requires specifying either an output_size or an output_ratio")
    # PyTorch's limits: the last window may end at the input's end in 2-d, not in 3-d.
    room, bound = (0, "at most") if n == 2 else (1, "less than")
    for name, m, o, k in zip(_AXES[n], size, out, kernel):
        if o < 1 or o + k - 1 > m - room:
            raise ValueError(
                f"{fn}: pool {name} {k} too large relative to input {name} {m} for an "
                f"output {name} of {o} (the output size plus the kernel size minus one must "
                f"be {bound} the input size; choose a smaller kernel or output)")
    return kernel, out


def _samples(n, fn, x, given, rng):
    batch, channels = shape(x)[:2]
    dtype = data(x).dtype if np.issubdtype(data(x).dtype, np.floating) else np.dtype(np.float64)
    if given is None:
        return generator(rng).random((batch, channels, n), dtype=dtype)
    u = np.asarray(concrete(given, f"{fn}'s _random_samples"), dtype=dtype)
    if u.ndim != 3 or u.shape[0] < batch or u.shape[1] != channels or u.shape[2] != n:
        raise ValueError(
            f"{fn}: _random_samples must have shape (N, C, {n}) with N at least the batch "
            f"size {batch} and C the input's {channels} channels, got {u.shape}")
    return u[:batch]


def _fractional_max(n, fn, input, kernel_size, output_size, output_ratio, return_indices,
                    random_samples, rng):
    x, unbatched = batched(input, n, fn)
    kernel, out = _sizes(n, fn, x, kernel_size, output_size, output_ratio)
    u = _samples(n, fn, x, random_samples, rng)
    size = shape(x)[2:]
    # PyTorch's sample order: for two axes (width, height), for three (depth, height, width).
    order = (1, 0) if n == 2 else (0, 1, 2)
    strides = np.cumprod((1,) + tuple(size[::-1]))[:-1][::-1]
    # Flat spatial position of every window element: (N, C, o_1, k_1, ..., o_n, k_n).
    flat = np.zeros(u.shape[:2] + (1,) * (2 * n), np.int64)
    for axis in range(n):
        s = _starts(u[..., order[axis]], size[axis], out[axis], kernel[axis], u.dtype)
        pos = s[..., None] + np.arange(kernel[axis])  # (N, C, o, k)
        flat = flat + (pos * int(strides[axis])).reshape(
            u.shape[:2] + (1,) * (2 * axis) + pos.shape[2:] + (1,) * (2 * (n - axis - 1)))
    lead = 2 + np.arange(n) * 2
    flat = np.moveaxis(flat, tuple(lead + 1), tuple(range(-n, 0)))  # (N, C, *out, *kernel)
    flat = flat.reshape(flat.shape[:2 + n] + (-1,))
    values = concrete(x, f"{fn}'s windows (the positions of the maxima)")
    values = np.take_along_axis(values.reshape(values.shape[:2] + (-1,)),
                                flat.reshape(flat.shape[:2] + (-1,)), 2).reshape(flat.shape)
    nan = np.isnan(values)
    last_nan = nan.shape[-1] - 1 - np.argmax(nan[..., ::-1], axis=-1)
    first_max = np.argmax(np.where(nan, -np.inf, values), axis=-1)
    pick = np.where(nan.any(axis=-1), last_nan, first_max)
    index = np.take_along_axis(flat, pick[..., None], -1)[..., 0]  # (N, C, *out)
    y = P.take_along_axis(P.reshape(x, tuple(shape(x)[:2]) + (-1,)),
                          index.reshape(index.shape[:2] + (-1,)), 2)
    y = P.reshape(y, index.shape)
    if unbatched:
        y, index = P.squeeze(y, 0), index[0]
    if not return_indices:
        return y
    return y, new_tensor_as(index, y) if is_tensor(y) else index


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None, rng=None):
    """Fractional max pooling of an (N, C, H, W) or (C, H, W) input to ``output_size``
    (or ``output_ratio`` times the input's size). ``_random_samples`` (N, C, 2) fixes the
    windows; otherwise they are drawn from ``rng`` (chainrule's addition: a Generator, an
    int seed, or None for chainrule.nn.init's default generator)."""
    return _fractional_max(2, "fractional_max_pool2d", input, kernel_size, output_size,
                           output_ratio, return_indices, _random_samples, rng)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None, rng=None):
    """Fractional max pooling of an (N, C, D, H, W) or (C, D, H, W) input;
    ``_random_samples`` has shape (N, C, 3). As fractional_max_pool2d otherwise."""
    return _fractional_max(3, "fractional_max_pool3d", input, kernel_size, output_size,
                           output_ratio, return_indices, _random_samples, rng)


class _FractionalMaxPool(Module):
    _n = 2
    _fn = staticmethod(fractional_max_pool2d)

    def __init__(self, kernel_size: Any, output_size: Any = None, output_ratio: Any = None,
                 return_indices: bool = False, _random_samples: Any = None,
                 rng: Any = None) -> None:
        super().__init__()
        name, n = type(self).__name__, self._n
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a "
                             f"pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        self.kernel_size = ntuple(kernel_size, n, name, "kernel_size", 1)
        self.return_indices = return_indices
        self.output_size = (None if output_size is None
                            else ntuple(output_size, n, name, "output_size", 1))
        self.output_ratio = (None if output_ratio is None else tuple(
            output_ratio if isinstance(output_ratio, (tuple, list)) else (output_ratio,) * n))
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")
        self.register_buffer("_random_samples", _random_samples)
        # A Generator kept by the layer, so an int seed still gives fresh windows per call.
        self._rng = rng if rng is None else generator(rng)

    def forward(self, input):
        return self._fn(input, self.kernel_size, self.output_size, self.output_ratio,
                        self.return_indices, _random_samples=self._random_samples,
                        rng=self._rng)


class FractionalMaxPool2d(_FractionalMaxPool):
    """Fractional max pooling over (H, W) (see fractional_max_pool2d)."""


class FractionalMaxPool3d(_FractionalMaxPool):
    """Fractional max pooling over (D, H, W) (see fractional_max_pool3d)."""

    _n = 3
    _fn = staticmethod(fractional_max_pool3d)
