"""Pooling over 1 or 2 spatial axes, fixed and adaptive windows, as PyTorch names them.

Fixed windows (max_pool1d/2d, avg_pool1d/2d) slide a kernel with a stride; ceil_mode
rounds the output size up, adding windows that overhang the input's end (PyTorch's
rule: the last window must start inside the input or its left padding).
Adaptive windows (adaptive_avg_pool1d/2d, adaptive_max_pool1d/2d) split an axis of
length L into ``out`` windows, window i covering [floor(i L / out), ceil((i + 1) L / out)).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import primitives as P
from ..graph import is_tensor, new_tensor_as
from ..primitives import layers
from ..primitives.layers import im2col
from ..tracing import concrete
from .arguments import data, shape
from .conv_functions import batched
from .module import Module
from .padding import ntuple

__all__ = ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d",
           "adaptive_max_pool2d", "avg_pool1d", "avg_pool2d", "max_pool1d", "max_pool2d"]


# ------------------------------------------------------------------ fixed windows
def _geometry(n, fn, x, kernel_size, stride, padding, dilation, ceil_mode):
    """The windows' arguments and, per axis, the extra padding after the input that
    ceil_mode's last windows reach into (0 without ceil_mode)."""
    kernel = ntuple(kernel_size, n, fn, "kernel_size", 1)
    stride = kernel if stride is None or stride == [] else ntuple(stride, n, fn, "stride", 1)
    padding = ntuple(padding, n, fn, "padding", 0)
    dilation = ntuple(dilation, n, fn, "dilation", 1)
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"{fn}: padding {padding} must be at most half the kernel size "
                         f"{kernel}")
    layers.window_geometry(shape(x), kernel, stride, padding, dilation, op=fn)  # checks
    extra = [0] * n
    if ceil_mode:
        for i, (m, k, s, p, d) in enumerate(zip(shape(x)[2:], kernel, stride, padding,
                                                dilation)):
            span = d * (k - 1) + 1
            up = -(-(m + 2 * p - span) // s) + 1
            if (up - 1) * s >= m + p:  # a window starting in the right padding: dropped
                up -= 1
            extra[i] = max(0, (up - 1) * s + span - (m + 2 * p))
    geo = {"kernel_size": kernel, "stride": stride, "padding": padding, "dilation": dilation}
    return geo, extra


def _right_padded(x, extra, value):
    if not any(extra):
        return x
    return P.pad(x, ((0, 0), (0, 0)) + tuple((0, e) for e in extra), mode="constant",
                 constant_values=np.asarray(value, data(x).dtype)[()])


def _max_pool(n, fn, input, kernel_size, stride, padding, dilation, ceil_mode,
              return_indices):
    x, unbatched = batched(input, n, fn)
    geo, extra = _geometry(n, fn, x, kernel_size, stride, padding, dilation, ceil_mode)
    xp = _right_padded(x, extra, -np.inf)
    out = layers.max_pool2d(xp, **geo)
    if unbatched:
        out = P.squeeze(out, 0)
    if not return_indices:
        return out
    concrete(x, f"{fn}'s indices (the positions of the maxima)")
    idx = _argmax_positions(data(xp), shape(x)[2:], geo)
    if unbatched:
        idx = idx[0]
    return out, new_tensor_as(idx, out) if is_tensor(out) else idx


def _argmax_positions(xp, size, geo):
    """PyTorch's indices: the flat position (over the input's spatial axes) of each
    window's first maximum, or of its last NaN when it holds one (PyTorch's scan takes
    every NaN it meets)."""
    c, nd = xp.shape[1], len(size)
    # Each cell's flat position in the input; -1 in the cells ceil_mode added.
    where = np.full((1, 1) + xp.shape[2:], -1, np.int64)
    where[(0, 0) + tuple(slice(0, m) for m in size)] = np.arange(
        int(np.prod(size))).reshape(size)
    vals = layers._im2col_fwd(xp, pad_value=-np.inf, **geo)
    where = layers._im2col_fwd(where, pad_value=-1, **geo)
    k = int(np.prod(geo["kernel_size"]))
    vals = vals.reshape((c, k) + vals.shape[1 + nd:])  # (C, K, N, *out)
    where = np.broadcast_to(where.reshape((1, k) + where.shape[1 + nd:]),
                            (c, k) + where.shape[1 + nd:])
    # The first maximum among the real cells (a padding cell, -1 in `where`, would tie
    # with a window whose real cells are all -inf).
    real = where >= 0
    top = np.max(np.where(real, vals, -np.inf), axis=1, keepdims=True)
    first = np.argmax((vals == top) & real, axis=1)[:, None]
    nan = np.isnan(vals)  # (the -inf padding cells are no NaN)
    if nan.any():
        last = k - 1 - np.argmax(nan[:, ::-1], axis=1)[:, None]
        first = np.where(nan.any(axis=1)[:, None], last, first)
    return np.take_along_axis(where, first, 1)[:, 0].swapaxes(0, 1)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Maximum over each window of an (N, C, L) input (stride defaults to the kernel size;
    padding counts as -inf). A window's gradient goes to its first maximum (PyTorch's
    index)."""
    return _max_pool(1, "max_pool1d", input, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Maximum over each window of an (N, C, H, W) input (stride defaults to the kernel size;
    padding counts as -inf). A window's gradient goes to its first maximum, whose flat
    position h W + w ``return_indices`` also gives (PyTorch's index).
    """
    return _max_pool(2, "max_pool2d", input, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Maximum over each window of an (N, C, D, H, W) input (as max_pool2d, one more axis;
    indices are flat positions d H W + h W + w)."""
    return _max_pool(3, "max_pool3d", input, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


def _max_unpool(n, fn, input, indices, kernel_size, stride, padding, output_size):
    """Each value put back at the flat position its max-pooling gave (`indices`), zeros
    elsewhere; the output size PyTorch infers, or ``output_size``."""
    from ..primitives.indexing import scatter

    x, unbatched = batched(input, n, fn)
    s = shape(x)
    k = ntuple(kernel_size, n, fn, "kernel_size", 1)
    st = k if stride is None else ntuple(stride, n, fn, "stride", 1)
    pd = ntuple(padding, n, fn, "padding", 0)
    inferred = tuple((s[2 + i] - 1) * st[i] - 2 * pd[i] + k[i] for i in range(n))
    if output_size is not None:
        out = tuple(int(v) for v in tuple(output_size)[-n:])
        for i in range(n):
            if not inferred[i] - st[i] < out[i] < inferred[i] + st[i]:
                raise ValueError(f"{fn}: output_size {out} is not one max-pooling of the "
                                 f"input could give (about {inferred})")
    else:
        out = inferred
    idx = np.asarray(data(indices) if is_tensor(indices) else indices, dtype=np.int64)
    if unbatched:
        idx = idx[None]
    if idx.shape != tuple(s):
        raise ValueError(f"{fn}: indices of shape {idx.shape} for an input of shape {s}")
    total = int(np.prod(out))
    if idx.size and (idx.min() < 0 or idx.max() >= total):
        raise ValueError(f"{fn}: an index lies outside the output of {out} positions")
    flat_x = P.reshape(x, s[:2] + (-1,))
    zeros = np.zeros(s[:2] + (total,), dtype=data(flat_x).dtype if is_tensor(flat_x)
                     else np.asarray(flat_x).dtype)
    y = P.reshape(scatter(zeros, 2, idx.reshape(s[:2] + (-1,)), flat_x), s[:2] + out)
    return P.squeeze(y, 0) if unbatched else y


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool1d(return_indices=True): values back at their positions."""
    return _max_unpool(1, "max_unpool1d", input, indices, kernel_size, stride, padding,
                       output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool2d(return_indices=True): values back at their positions."""
    return _max_unpool(2, "max_unpool2d", input, indices, kernel_size, stride, padding,
                       output_size)


def _divisors(size, geo, extra, count_include_pad, divisor_override, dtype):
    """The number each window's sum is divided by, as PyTorch counts: the window's cells
    inside the padded input (count_include_pad) or inside the input itself."""
    if divisor_override is not None:
        if isinstance(divisor_override, bool) or not isinstance(
                divisor_override, (int, np.integer)) or divisor_override == 0:
            raise ValueError(f"avg_pool: divisor_override must be a nonzero int, got "
                             f"{divisor_override!r}")
        return np.asarray(divisor_override, dtype)
    counts = np.ones((), dtype)
    for m, k, s, p, e in zip(size, geo["kernel_size"], geo["stride"], geo["padding"], extra):
        starts = np.arange((m + 2 * p + e - k) // s + 1) * s - p
        ends = np.minimum(starts + k, m + p)
        if not count_include_pad:
            starts, ends = np.maximum(starts, 0), np.minimum(ends, m)
        counts = np.multiply.outer(counts, (ends - starts).astype(dtype))
    return counts


def _avg_pool(n, fn, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    x, unbatched = batched(input, n, fn)
    geo, extra = _geometry(n, fn, x, kernel_size, stride, padding, 1, ceil_mode)
    cols = im2col(_right_padded(x, extra, 0.0), **geo)
    s = shape(cols)
    window = P.reshape(cols, (s[0], -1) + s[1 + n:])  # (C, prod(kernel), N, *out)
    plain = divisor_override is None and not any(extra) and (
        count_include_pad or not any(geo["padding"]))
    if plain:
        out = P.mean(window, axis=1)
    else:
        div = _divisors(shape(x)[2:], geo, extra, count_include_pad, divisor_override,
                        data(x).dtype if data(x).dtype.kind == "f" else np.float64)
        out = P.sum(window, axis=1) / div
    out = P.swapaxes(out, 0, 1)
    return P.squeeze(out, 0) if unbatched else out


def _lp_pool(n, fn, input, norm_type, kernel_size, stride, ceil_mode):
    # PyTorch's definition: the mean of x**p over each window times the kernel's size
    # (so a window ceil_mode cuts short is scaled as a full one), to the power 1/p.
    k = kernel_size if isinstance(kernel_size, tuple) else (kernel_size,) * n
    pool = {1: avg_pool1d, 2: avg_pool2d, 3: avg_pool3d}[n]
    mean = pool(P.power(input, norm_type), kernel_size, stride, 0, ceil_mode)
    return P.power(mean * float(np.prod(k)), 1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The p-norm (p = norm_type) of each window of an (N, C, L) or (C, L) input."""
    return _lp_pool(1, "lp_pool1d", input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The p-norm (p = norm_type) of each window of an (N, C, H, W) or (C, H, W) input."""
    return _lp_pool(2, "lp_pool2d", input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The p-norm (p = norm_type) of each window of an (N, C, D, H, W) input."""
    return _lp_pool(3, "lp_pool3d", input, norm_type, kernel_size, stride, ceil_mode)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """Mean over each window of an (N, C, L) input; padded zeros count unless
    ``count_include_pad=False``."""
    return _avg_pool(1, "avg_pool1d", input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over each window of an (N, C, H, W) input; padded zeros count unless
    ``count_include_pad=False``; ``divisor_override`` divides every window's sum by it."""
    return _avg_pool(2, "avg_pool2d", input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over each window of an (N, C, D, H, W) input (as avg_pool2d, one more axis)."""
    return _avg_pool(3, "avg_pool3d", input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


# --------------------------------------------------------------- adaptive windows
def adaptive_windows(size, out):
    """PyTorch's adaptive windows of an axis of ``size``: starts floor(i size / out), ends
    ceil((i + 1) size / out)."""
    i = np.arange(out)
    return (i * size) // out, -(-((i + 1) * size) // out)


def _output_size(n, fn, output_size, size):
    if isinstance(output_size, (int, np.integer)) and not isinstance(output_size, bool):
        output_size = (output_size,) * n
    try:
        sizes = tuple(output_size)
    except TypeError:
        sizes = ()
    if len(sizes) != n:
        raise ValueError(f"{fn}: output_size must be an int or a tuple of {n} ints (None "
                         f"keeps an axis), got {output_size!r}")
    sizes = tuple(m if o is None else o for o, m in zip(sizes, size))
    if any(isinstance(o, bool) or not isinstance(o, (int, np.integer)) or o < 1
           for o in sizes):
        raise ValueError(f"{fn}: output_size must be positive ints, got {output_size!r}")
    if any(m == 0 for m in size):
        raise ValueError(f"{fn}: cannot pool an input with an empty spatial axis {size}")
    return tuple(int(o) for o in sizes)


def _averaging(size, out, dtype):
    """The (out, size) matrix of window means."""
    starts, ends = adaptive_windows(size, out)
    cols = np.arange(size)
    inside = (cols >= starts[:, None]) & (cols < ends[:, None])
    return (inside / (ends - starts)[:, None]).astype(dtype)


def along_axes(x, mats):
    result = _along_axes(x, mats)
    return P.copy(result) if result is x else result  # a new tensor even when nothing changes


def _along_axes(x, mats):
    """x with its last len(mats) axes each multiplied by a constant (out, in) matrix: the
    form of every linear resampling (adaptive means, linear interpolation)."""
    k = len(mats)
    for i, m in enumerate(mats):
        axis = np.ndim(data(x)) - k + i
        if m.shape[0] == m.shape[1] and np.array_equal(m, np.eye(len(m))):
            continue
        if axis == np.ndim(data(x)) - 1:
            x = P.matmul(x, m.T)
        elif axis == np.ndim(data(x)) - 2:
            x = P.matmul(m, x)
        else:
            x = P.swapaxes(P.matmul(P.swapaxes(x, axis, -1), m.T), axis, -1)
    return x


def _adaptive_avg(n, fn, input, output_size):
    x, unbatched = batched(input, n, fn)
    size = shape(x)[2:]
    out = _output_size(n, fn, output_size, size)
    if all(o == 1 for o in out):
        y = P.mean(x, axis=tuple(range(2, 2 + n)), keepdims=True)
    else:
        dtype = data(x).dtype if data(x).dtype.kind == "f" else np.float64
        # Linear in x: the mean of each window is a matrix product along each axis.
        y = along_axes(x, [_averaging(m, o, dtype) for m, o in zip(size, out)])
    return P.squeeze(y, 0) if unbatched else y


def adaptive_avg_pool1d(input, output_size):
    """Mean over PyTorch's adaptive windows: (N, C, L) -> (N, C, output_size)."""
    return _adaptive_avg(1, "adaptive_avg_pool1d", input, output_size)


def adaptive_avg_pool2d(input, output_size):
    """Mean over PyTorch's adaptive windows: (N, C, H, W) -> (N, C, *output_size)
    (an int for both axes; None keeps an axis's size)."""
    return _adaptive_avg(2, "adaptive_avg_pool2d", input, output_size)


def adaptive_avg_pool3d(input, output_size):
    """Mean over PyTorch's adaptive windows: (N, C, D, H, W) -> (N, C, *output_size)."""
    return _adaptive_avg(3, "adaptive_avg_pool3d", input, output_size)


def _window_index(size, out):
    """(out, widest window) positions of each adaptive window; a shorter window repeats
    its last position (a repeated element changes no maximum, and the first of the two
    copies is the one a maximum there is taken from)."""
    starts, ends = adaptive_windows(size, out)
    width = int((ends - starts).max())
    return np.minimum(starts[:, None] + np.arange(width), ends[:, None] - 1)


def _first_maximum(windows):
    """Index along the last axis of each window's first maximum, or of its last NaN when
    it holds one (PyTorch's scan takes every NaN it meets); keepdims."""
    nan = P.isnan(windows)
    last_nan = (shape(windows)[-1] - 1) - P.argmax(P.flip(nan, -1), axis=-1, keepdims=True)
    any_nan = P.isnan(P.max(windows, axis=-1, keepdims=True))  # (max propagates NaN)
    return P.where(any_nan, last_nan, P.argmax(windows, axis=-1, keepdims=True))


def _adaptive_max(n, fn, input, output_size, return_indices):
    x, unbatched = batched(input, n, fn)
    size = shape(x)[2:]
    out = _output_size(n, fn, output_size, size)
    # Axis i's windows as an (out_i, width_i) index, placed at positions 2i, 2i + 1 of the
    # gathered array: (..., o_1, k_1, ..., o_n, k_n); the maximum is over the k axes.
    picks = [_window_index(size[i], out[i]) for i in range(n)]
    index = (Ellipsis,) + tuple(
        p.reshape((1,) * (2 * i) + p.shape + (1,) * (2 * (n - i - 1)))
        for i, p in enumerate(picks))
    windows = P.getitem(x, index)
    # Each window flattened along its last axis, and its first maximum taken from there:
    # the gradient goes to that one element, as PyTorch's (a max would share it among
    # equal maxima).
    lead = len(shape(windows)) - 2 * n
    order = (tuple(range(lead)) + tuple(lead + 2 * i for i in range(n))
             + tuple(lead + 2 * i + 1 for i in range(n)))
    flat_windows = P.reshape(P.transpose(windows, order),
                             tuple(shape(windows)[:lead]) + tuple(out) + (-1,))
    first = _first_maximum(flat_windows)
    y = P.squeeze(P.take_along_axis(flat_windows, first, axis=-1), -1)
    if unbatched:
        y = P.squeeze(y, 0)
    if not return_indices:
        return y
    concrete(x, f"{fn}'s indices (the positions of the maxima)")
    # PyTorch's indices: each maximum's flat position over the spatial axes (the first
    # maximum of a window, a NaN counting as the largest).
    strides = np.cumprod((1,) + tuple(size[::-1]))[:-1][::-1]
    flat = sum(index[1 + i] * int(strides[i]) for i in range(n))
    vals = np.transpose(data(windows), order)
    vals = vals.reshape(vals.shape[:lead + n] + (-1,))
    flat = np.transpose(np.broadcast_to(flat, data(windows).shape[lead:]),
                        [o - lead for o in order[lead:]]).reshape(tuple(out) + (-1,))
    first = data(_first_maximum(vals))[..., 0]
    idx = np.take_along_axis(np.broadcast_to(flat, vals.shape), first[..., None], -1)[..., 0]
    idx = idx.astype(np.int64)
    if unbatched:
        idx = idx[0]
    return y, new_tensor_as(idx, y) if is_tensor(y) else idx


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Maximum over PyTorch's adaptive windows: (N, C, L) -> (N, C, output_size)."""
    return _adaptive_max(1, "adaptive_max_pool1d", input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Maximum over PyTorch's adaptive windows: (N, C, H, W) -> (N, C, *output_size);
    ``return_indices`` also gives each maximum's flat position h W + w."""
    return _adaptive_max(2, "adaptive_max_pool2d", input, output_size, return_indices)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Maximum over PyTorch's adaptive windows of (N, C, D, H, W) or (C, D, H, W) input;
    ``return_indices`` also gives each maximum's flat position d H W + h W + w."""
    return _adaptive_max(3, "adaptive_max_pool3d", input, output_size, return_indices)



# ------------------------------------------------------------------------ modules
class _MaxPool(Module):
    _fn = staticmethod(max_pool2d)

    def __init__(
        self,
        kernel_size: int | tuple[int, ...],
        stride: int | tuple[int, ...] | None = None,
        padding: int | tuple[int, ...] = 0,
        dilation: int | tuple[int, ...] = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return self._fn(input, self.kernel_size, self.stride, self.padding, self.dilation,
                        self.ceil_mode, self.return_indices)

    def extra_repr(self):
        s = (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
             f"dilation={self.dilation}")
        return s + (", ceil_mode=True" if self.ceil_mode else "")


class MaxPool1d(_MaxPool):
    """Maximum over each kernel_size window of (N, C, L) input; stride defaults to kernel_size."""

    _fn = staticmethod(max_pool1d)


class MaxPool2d(_MaxPool):
    """Maximum over each kernel_size window of (N, C, H, W) input; stride defaults to
    kernel_size."""


class MaxPool3d(_MaxPool):
    """Maximum over each kernel_size window of (N, C, D, H, W) input; stride defaults to
    kernel_size."""

    _fn = staticmethod(max_pool3d)


class _MaxUnpool(Module):
    _fn = staticmethod(max_unpool2d)

    def __init__(
        self,
        kernel_size: int | tuple[int, ...],
        stride: int | tuple[int, ...] | None = None,
        padding: int | tuple[int, ...] = 0,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding

    def forward(self, input, indices, output_size=None):
        return self._fn(input, indices, self.kernel_size, self.stride, self.padding,
                        output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpool):
    """The inverse of MaxPool1d(return_indices=True)."""

    _fn = staticmethod(max_unpool1d)


class MaxUnpool2d(_MaxUnpool):
    """The inverse of MaxPool2d(return_indices=True)."""


class _LPPool(Module):
    _pool: Any = None

    def __init__(self, norm_type: float, kernel_size: int | tuple[int, ...],
                 stride: int | tuple[int, ...] | None = None, ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return type(self)._pool(input, self.norm_type, self.kernel_size, self.stride,
                                self.ceil_mode)

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPool):
    """The p-norm of each window of (N, C, L) input (F.lp_pool1d)."""

    _pool = staticmethod(lp_pool1d)


class LPPool2d(_LPPool):
    """The p-norm of each window of (N, C, H, W) input (F.lp_pool2d)."""

    _pool = staticmethod(lp_pool2d)


class LPPool3d(_LPPool):
    """The p-norm of each window of (N, C, D, H, W) input (F.lp_pool3d)."""

    _pool = staticmethod(lp_pool3d)


class AvgPool1d(Module):
    """Mean over each kernel_size window of (N, C, L) input; stride defaults to kernel_size."""

    def __init__(
        self,
        kernel_size: int | tuple[int, ...],
        stride: int | tuple[int, ...] | None = None,
        padding: int | tuple[int, ...] = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input):
        return avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(AvgPool1d):
    """Mean over each kernel_size window of (N, C, H, W) input; stride defaults to kernel_size."""

    def __init__(
        self,
        kernel_size: int | tuple[int, ...],
        stride: int | tuple[int, ...] | None = None,
        padding: int | tuple[int, ...] = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, input):
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)


class AvgPool3d(AvgPool2d):
    """Mean over each kernel_size window of (N, C, D, H, W) input; stride defaults to
    kernel_size."""

    def forward(self, input):
        return avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)


class _Adaptive(Module):
    _fn = staticmethod(adaptive_avg_pool2d)

    def __init__(self, output_size: int | None | tuple[int | None, ...]) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return self._fn(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_Adaptive):
    """Mean over PyTorch's adaptive windows: (N, C, L) -> (N, C, output_size)."""

    _fn = staticmethod(adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_Adaptive):
    """Mean over PyTorch's adaptive windows: (N, C, H, W) -> (N, C, *output_size)."""


class AdaptiveAvgPool3d(_Adaptive):
    """Mean over PyTorch's adaptive windows: (N, C, D, H, W) -> (N, C, *output_size)."""

    _fn = staticmethod(adaptive_avg_pool3d)


class AdaptiveMaxPool1d(_Adaptive):
    """Maximum over PyTorch's adaptive windows: (N, C, L) -> (N, C, output_size)."""

    _fn = staticmethod(adaptive_max_pool1d)

    def __init__(
        self,
        output_size: int | None | tuple[int | None, ...],
        return_indices: bool = False,
    ) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input):
        return self._fn(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(AdaptiveMaxPool1d):
    """Maximum over PyTorch's adaptive windows: (N, C, H, W) -> (N, C, *output_size)."""

    _fn = staticmethod(adaptive_max_pool2d)


class AdaptiveMaxPool3d(AdaptiveMaxPool1d):
    """Maximum over PyTorch's adaptive windows: (N, C, D, H, W) -> (N, C, *output_size)."""

    _fn = staticmethod(adaptive_max_pool3d)
