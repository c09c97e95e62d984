"""Depthwise convolution (groups = in channels = out channels: MobileNet's, ConvNeXt's
7x7) without windows or matrix products.

Each channel is convolved with its own kernel, so as a grouped product every group is a
1 x (kh kw) by (kh kw) x (N H W) product: thousands of tiny products. Instead each kernel
offset is one elementwise multiply-add of a strided view of the padded input by a
per-channel weight, done a few channels at a time so that the block being accumulated
stays in the caches:

    forward        y[c] += w[c, i] * xp[c, window i]           for each offset i
    input grad     xp_bar[c, window i] += w[c, i] * g[c]
    weight grad    w_bar[c, i] = sum(g[c] * xp[c, window i])

(the three bilinear maps of layers.conv / conv_transpose / conv_weight_grad, which call
these when their shapes say depthwise). Measured in docs/performance.md, "Depthwise
convolution".
"""

from __future__ import annotations

import math

import numpy as np

# Channels per block: a block's (channels, N, *out) accumulator is kept near this size.
_BLOCK_BYTES = 1 << 18


def is_depthwise(c, o, w_shape, groups):
    """Whether a convolution of c input channels into o, weight w_shape, is depthwise
    with one output channel per input channel."""
    return groups > 1 and groups == c == o and w_shape[1] == 1


def _blocks(c, per_channel_bytes):
    step = max(1, _BLOCK_BYTES // max(per_channel_bytes, 1))
    return [(a, min(a + step, c)) for a in range(0, c, step)]


# The geometry every convolution kernel here and in layers.py shares.
def offsets(kernel_size, stride, dilation, out):
    """For each kernel offset (i, j, ...): the tuple of strided slices of the padded
    spatial axes that the offset reads for every output position."""
    for idx in np.ndindex(*kernel_size):
        yield idx, tuple(slice(i * d, i * d + s * (o - 1) + 1, s)
                         for i, s, d, o in zip(idx, stride, dilation, out))


def shifts(grid, kernel, dilation):
    """For stride 1: how far along a channel's flattened (N, *grid) the pixels read by
    each kernel offset are from the output's own position (contiguous slices)."""
    steps = [math.prod(grid[i + 1:]) for i in range(len(grid))]
    return [sum(i * d * e for i, d, e in zip(idx, dilation, steps))
            for idx in np.ndindex(*kernel)]


def _windows(xt, kernel, stride, dilation, out):
    """For each kernel offset: (its flat index, the strided view of the (C, N, *padded)
    array xt that the offset reads for every output position)."""
    for k, (_, sl) in enumerate(offsets(kernel, stride, dilation, out)):
        yield k, (slice(None), slice(None)) + sl


def _on_grid(flat, n, grid, out):
    """The (C, N, *out) outputs inside a (C, N prod(grid)) array laid on the grid."""
    inside = (slice(None), slice(None)) + tuple(slice(0, m) for m in out)
    return np.ascontiguousarray(flat.reshape((flat.shape[0], n) + tuple(grid))[inside])


def forward(xp, w, out, stride, dilation, dtype):
    """(C, N, *out) depthwise convolution of the padded (N, C, *padded) input xp."""
    c, n = xp.shape[1], xp.shape[0]
    if all(s == 1 for s in stride):
        # Flattened per channel, each offset's pixels are the grid moved by a fixed
        # number of elements: one contiguous multiply-add per offset (the grid's
        # positions past the outputs are computed too, and dropped).
        grid = xp.shape[2:]
        flat = np.ascontiguousarray(xp.swapaxes(0, 1), dtype=dtype).reshape(c, -1)
        size = flat.shape[1]
        moved = shifts(grid, w.shape[2:], dilation)
        wk = w.reshape(c, -1).astype(dtype, copy=False)
        acc_all = np.zeros((c, size), dtype)
        for a, z in _blocks(c, size * flat.itemsize):
            acc, tmp = acc_all[a:z], np.empty((z - a, size), dtype)
            for k, e in enumerate(moved):
                np.multiply(flat[a:z, e:], wk[a:z, k, None], out=tmp[:, : size - e])
                acc[:, : size - e] += tmp[:, : size - e]
        return _on_grid(acc_all, n, grid, out)
    kernel = tuple(w.shape[2:])
    xt = xp.swapaxes(0, 1)
    wk = w.reshape(c, -1).astype(dtype, copy=False)
    y = np.zeros((c, n) + out, dtype)
    per_channel = n * math.prod(out) * y.itemsize
    for a, z in _blocks(c, per_channel):
        acc, tmp = y[a:z], np.empty((z - a, n) + out, dtype)
        scale = (z - a, 1) + (1,) * len(out)
        for k, window in _windows(xt[a:z], kernel, stride, dilation, out):
            np.multiply(xt[a:z][window], wk[a:z, k].reshape(scale), out=tmp)
            acc += tmp
    return y


def _placed(gt, grid, dtype):
    """The (C, N, *out) cotangent at its output positions of a zeroed (C, N prod(grid))."""
    c, n = gt.shape[:2]
    placed = np.zeros((c, n) + tuple(grid), dtype)
    placed[(slice(None), slice(None)) + tuple(slice(0, m) for m in gt.shape[2:])] = gt
    return placed.reshape(c, -1)


def input_grad(gt, w, padded_shape, out, stride, dilation, dtype):
    """The (C, N, *padded) gradient of the padded input, from the (C, N, *out) cotangent."""
    c = gt.shape[0]
    kernel = tuple(w.shape[2:])
    wk = w.reshape(c, -1).astype(dtype, copy=False)
    if all(s == 1 for s in stride):
        grid = padded_shape[2:]
        gflat = _placed(gt, grid, dtype)
        size = gflat.shape[1]
        dflat = np.zeros((c, size), dtype)
        for a, z in _blocks(c, size * gflat.itemsize):
            block, tmp = dflat[a:z], np.empty((z - a, size), dtype)
            for k, e in enumerate(shifts(grid, kernel, dilation)):
                np.multiply(gflat[a:z, : size - e], wk[a:z, k, None], out=tmp[:, : size - e])
                block[:, e:] += tmp[:, : size - e]
        return dflat.reshape(padded_shape)
    dxp = np.zeros(padded_shape, dtype)
    per_channel = math.prod(padded_shape[1:]) * dxp.itemsize
    n = gt.shape[1]
    for a, z in _blocks(c, per_channel):
        block, tmp = dxp[a:z], np.empty((z - a, n) + tuple(out), dtype)
        scale = (z - a, 1) + (1,) * len(out)
        for k, window in _windows(block, kernel, stride, dilation, out):
            np.multiply(gt[a:z], wk[a:z, k].reshape(scale), out=tmp)
            block[window] += tmp
    return dxp


def weight_grad(xp, gt, w_shape, out, stride, dilation, dtype):
    """The (C, 1, *kernel) weight gradient from the padded (N, C, *padded) input and the
    (C, N, *out) cotangent."""
    c, n = xp.shape[1], xp.shape[0]
    kernel = tuple(w_shape[2:])
    if all(s == 1 for s in stride):
        grid = xp.shape[2:]
        flat = np.ascontiguousarray(xp.swapaxes(0, 1), dtype=dtype).reshape(c, -1)
        gflat = _placed(gt, grid, dtype)
        size = flat.shape[1]
        dw = np.empty((c, math.prod(kernel)), dtype)
        for k, e in enumerate(shifts(grid, kernel, dilation)):
            # one dot product per channel (the grid's extra positions hold zero cotangent)
            np.einsum("cp,cp->c", gflat[:, : size - e], flat[:, e:], out=dw[:, k])
        return dw.reshape(w_shape)
    xt = xp.swapaxes(0, 1)
    dw = np.empty((c, math.prod(kernel)), dtype)
    axes = tuple(range(1, 2 + len(out)))
    per_channel = n * math.prod(out) * np.dtype(dtype).itemsize
    for a, z in _blocks(c, per_channel):
        tmp = np.empty((z - a, n) + tuple(out), dtype)
        for k, window in _windows(xt[a:z], kernel, stride, dilation, out):
            np.multiply(gt[a:z], xt[a:z][window], out=tmp)
            tmp.sum(axis=axes, out=dw[a:z, k])
    return dw.reshape(w_shape)
