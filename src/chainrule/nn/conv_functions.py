"""Convolutions over 1, 2 or 3 spatial axes and their transposes, as PyTorch names them.

conv1d/2d/3d(input, weight, bias, stride, padding, dilation, groups): input
(N, C, *spatial) or unbatched (C, *spatial), weight (out, C / groups, *kernel).
conv_transpose1d/2d/3d(input, weight, bias, stride, padding, output_padding, groups,
dilation): weight (C, out / groups, *kernel). All six are the one N-d primitive pair of
chainrule.primitives.layers: ``conv`` and its adjoint ``conv_transpose`` (the VJP of
one is the other), so a transposed convolution's gradients are convolutions.
"""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from ..primitives import layers
from .arguments import shape
from .padding import ntuple, pad

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d"]


def batched(x, n, fn):
    """(x with a batch axis, whether one was added) for an (N, C, *n axes) or (C, *n) input."""
    s = shape(x)
    if len(s) == n + 1:
        return P.expand_dims(x, 0), True
    if len(s) != n + 2:
        names = {1: "L", 2: "H, W", 3: "D, H, W"}[n]
        raise ValueError(f"{fn}: expected input of shape (N, C, {names}) or (C, {names}), "
                         f"got {s}")
    return x, False


def _unbatch(out, unbatched):
    return P.squeeze(out, 0) if unbatched else out


def _check_channels(fn, c, ws, groups, n, transposed):
    if len(ws) != n + 2:
        layout = "(in, out/groups, *kernel)" if transposed else "(out, in/groups, *kernel)"
        raise ValueError(f"{fn}: weight must have {n + 2} dims {layout}, got {ws}")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{fn}: groups must be a positive int, got {groups!r}")
    if transposed:
        if ws[0] != c or c % groups:
            raise ValueError(f"{fn}: input has {c} channels; the weight {ws} expects {ws[0]} "
                             f"(its first axis), divisible by groups={groups}")
        return
    if ws[0] % groups or c % groups:
        raise ValueError(f"{fn}: groups={groups} must divide both the input channels ({c}) "
                         f"and the output channels ({ws[0]})")
    if ws[1] * groups != c:
        raise ValueError(f"{fn}: input has {c} channels but the weight {ws} expects "
                         f"{ws[1] * groups} ({ws[1]} per group x {groups} groups)")


def same_padding(kernel, dilation):
    """PyTorch's padding='same': (before, after) per axis, the odd unit after."""
    totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return [(t // 2, t - t // 2) for t in totals]


def _conv(n, fn, input, weight, bias, stride, padding, dilation, groups):
    x, unbatched = batched(input, n, fn)
    s, ws = shape(x), shape(weight)
    _check_channels(fn, s[1], ws, groups, n, transposed=False)
    stride = ntuple(stride, n, fn, "stride", 1)
    dilation = ntuple(dilation, n, fn, "dilation", 1)
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0,) * n
        elif padding == "same":
            if stride != (1,) * n:
                raise ValueError(f"{fn}: padding='same' needs stride 1, got stride={stride}")
            pairs = same_padding(ws[2:], dilation)
            if any(b != a for b, a in pairs):
                # An odd total: PyTorch pads the extra unit after, explicitly.
                extra = [v for b, a in reversed(pairs) for v in (0, a - b)]
                x = pad(x, extra)
            padding = tuple(b for b, _ in pairs)
        else:
            raise ValueError(f"{fn}: padding must be an int, a tuple, 'valid' or 'same', "
                             f"got {padding!r}")
    else:
        padding = ntuple(padding, n, fn, "padding", 0)
    out = layers.conv(x, weight, 0 if bias is None else bias, stride=stride,
                      padding=padding, dilation=dilation, groups=int(groups))
    return _unbatch(out, unbatched)


def _conv_transpose(n, fn, input, weight, bias, stride, padding, output_padding, groups,
                    dilation):
    x, unbatched = batched(input, n, fn)
    s, ws = shape(x), shape(weight)
    _check_channels(fn, s[1], ws, groups, n, transposed=True)
    if isinstance(padding, str):
        raise ValueError(f"{fn}: padding must be an int or a tuple of {n} ints "
                         f"(no 'same' or 'valid' for a transposed convolution)")
    stride = ntuple(stride, n, fn, "stride", 1)
    padding = ntuple(padding, n, fn, "padding", 0)
    dilation = ntuple(dilation, n, fn, "dilation", 1)
    output_padding = ntuple(output_padding, n, fn, "output_padding", 0)
    if any(op >= max(st, d) for op, st, d in zip(output_padding, stride, dilation)):
        raise ValueError(f"{fn}: output_padding {output_padding} must be smaller than the "
                         f"stride {stride} or the dilation {dilation}")
    size = tuple((m - 1) * st - 2 * p + d * (k - 1) + op + 1 for m, st, p, d, k, op in
                 zip(s[2:], stride, padding, dilation, ws[2:], output_padding))
    if any(m <= 0 for m in size):
        raise ValueError(f"{fn}: the output size {size} is not positive (input {s}, "
                         f"padding {padding} too large)")
    geo = {"stride": stride, "dilation": dilation, "groups": int(groups)}
    if all(op < st for op, st in zip(output_padding, stride)):
        out = layers.conv_transpose(x, weight, shape=(s[0], ws[1] * groups) + size,
                                    padding=padding, **geo)
    else:
        # output_padding beyond the stride: no window of the convolution reaches those
        # cells, so the uncropped transpose is cut to size by F.pad (negative = crop;
        # the cells past the last window are zeros).
        full = tuple((m - 1) * st + d * (k - 1) + 1 for m, st, d, k in
                     zip(s[2:], stride, dilation, ws[2:]))
        out = layers.conv_transpose(x, weight, shape=(s[0], ws[1] * groups) + full,
                                    padding=(0,) * n, **geo)
        out = pad(out, [v for p, op in reversed(list(zip(padding, output_padding)))
                        for v in (-p, op - p)])
    if bias is not None:
        out = out + P.reshape(bias, (-1,) + (1,) * n)
    return _unbatch(out, unbatched)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d cross-correlation of (N, C, L) input with kernels (out, C / groups, k).

    out[n, o, t] = b[o] + sum_{c, i} W[o, c, i] xp[n, c, s t + d i] (xp zero-padded).
    padding: an int, a 1-tuple, 'valid' or 'same' (stride 1).
    """
    return _conv(1, "conv1d", input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation of (N, C, H, W) input with kernels W (out, C / groups, kh, kw).

    out[n, o, y, x] = b[o] + sum_{c, i, j} W[o, c, i, j] xp[n, c, s*y + d*i, s*x + d*j]
    with xp the zero-padded input, s the stride and d the dilation. ``padding`` is an
    int, a pair, "valid" (0) or "same" (output as large as the input; stride 1 only; an
    odd total padding puts the extra row/column after, as PyTorch does).
    """
    return _conv(2, "conv2d", input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D cross-correlation of (N, C, D, H, W) input with kernels (out, C / groups, kd, kh, kw)."""
    return _conv(3, "conv3d", input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """The transposed 1-d convolution (the adjoint of conv1d in its input): (N, C, L) input,
    weight (C, out / groups, k); output length (L - 1) s - 2 p + d (k - 1) + output_padding + 1.
    """
    return _conv_transpose(1, "conv_transpose1d", input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """The transposed 2-D convolution (the adjoint of conv2d in its input): (N, C, H, W)
    input, weight (C, out / groups, kh, kw); each output size is
    (in - 1) s - 2 p + d (k - 1) + output_padding + 1.
    """
    return _conv_transpose(2, "conv_transpose2d", input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """The transposed 3-D convolution: (N, C, D, H, W) input, weight (C, out / groups, *kernel)."""
    return _conv_transpose(3, "conv_transpose3d", input, weight, bias, stride, padding,
                           output_padding, groups, dilation)
