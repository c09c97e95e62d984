"""Spatial transformers: F.affine_grid and F.grid_sample, as PyTorch defines them.

grid_sample reads an (N, C, H, W) input at the (x, y) points of an (N, Ho, Wo, 2) grid
in [-1, 1] (x across the width): a point maps to pixel coordinates
u = ((g + 1) size - 1) / 2 (align_corners=False: -1 and 1 are the outer edges of the
corner pixels) or u = (g + 1)(size - 1) / 2 (align_corners=True: their centres).
padding_mode 'border' clamps u to [0, size - 1], 'reflection' mirrors it at the edges
(then clamps); 'zeros' reads 0 outside. Both maps are piecewise affine, u' = s u + c
with s in {-1, 0, 1}: s and c are read from the grid's values, so the gradient flows
through u' and its second derivative is 0, as the map's is. 'bilinear' weighs the four
pixels around u' by (1 - fx, fx) x (1 - fy, fy), differentiable in the input and the
grid; 'nearest' reads the pixel at round-half-even(u') and gives the grid no gradient.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import primitives as P
from ..tracing import concrete
from .arguments import data, shape

__all__ = ["affine_grid", "grid_sample"]


def _align(fn, align_corners):
    if align_corners is None:
        warnings.warn(f"{fn}: the default align_corners=False is used; pass align_corners "
                      f"to choose", UserWarning, stacklevel=3)
        return False
    return bool(align_corners)


def _base(n, align_corners, dtype):
    """The n grid coordinates of one axis in [-1, 1] (PyTorch's linspace_from_neg_one)."""
    if n <= 1:
        return np.zeros(max(n, 1), dtype)
    r = np.linspace(-1.0, 1.0, n)
    return (r if align_corners else r * (n - 1) / n).astype(dtype)


def affine_grid(theta, size, align_corners=None):
    """The sampling grid of affine maps theta: (N, 2, 3) with size (N, C, H, W) gives
    (N, H, W, 2) points theta [x, y, 1]^T; (N, 3, 4) with (N, C, D, H, W) gives (N, D, H, W, 3)."""
    fn = "affine_grid"
    align_corners = _align(fn, align_corners)
    ts, size = shape(theta), tuple(int(v) for v in size)
    nd = len(size) - 2
    if nd not in (2, 3) or ts != (size[0], nd, nd + 1):
        raise ValueError(f"{fn}: expected theta (N, 2, 3) with size (N, C, H, W) or theta "
                         f"(N, 3, 4) with size (N, C, D, H, W); got theta {ts}, size {size}")
    dtype = data(theta).dtype if data(theta).dtype.kind == "f" else np.float64
    axes = [_base(m, align_corners, dtype) for m in reversed(size[2:])]  # x, y[, z]
    coords = np.stack(np.meshgrid(*reversed(axes), indexing="ij")[::-1], axis=-1)
    base = np.concatenate([coords, np.ones(coords.shape[:-1] + (1,), dtype)], axis=-1)
    flat = base.reshape(-1, nd + 1)  # (prod(spatial), nd + 1): x, y[, z], 1
    grid = P.matmul(flat, P.swapaxes(theta, 1, 2))  # (N, prod(spatial), nd)
    return P.reshape(grid, (size[0],) + size[2:] + (nd,))


def _reflect(u, lo2, hi2):
    """PyTorch's reflect_coordinates on values u: mirrored into [lo2 / 2, hi2 / 2]; and
    the slope (+-1) of that map at u."""
    if lo2 == hi2:
        return np.zeros_like(u), np.zeros_like(u)
    low, span = lo2 / 2, (hi2 - lo2) / 2
    d = u - low
    a = np.abs(d)
    extra, flips = np.fmod(a, span), np.floor(a / span)
    even = flips % 2 == 0
    value = np.where(even, extra + low, span - extra + low)
    slope = np.where(d >= 0, 1.0, -1.0) * np.where(even, 1.0, -1.0)
    return value, slope


def _source(g, size, padding_mode, align_corners):
    """Pixel coordinates of grid values g (a tensor or array) after the padding mode."""
    u = (g + 1) * ((size - 1) / 2) if align_corners else ((g + 1) * size - 1) / 2
    if padding_mode == "zeros":
        return u
    v = data(u)
    slope = np.ones_like(v)
    if padding_mode == "reflection":
        v, slope = _reflect(v, 0, 2 * (size - 1)) if align_corners else \
            _reflect(v, -1, 2 * size - 1)
    inside = (v >= 0) & (v <= size - 1)
    slope = np.where(inside, slope, 0.0).astype(v.dtype)
    clipped = np.clip(v, 0, size - 1)
    # u' = s u + c, c fixing the value: the map's derivative s, its value clipped.
    return u * slope + (clipped - slope * data(u)).astype(v.dtype)


def _read(flat, yi, xi, h, w):
    """input[n, :, yi, xi] for (N, Ho, Wo) integer coordinates, 0 outside the image."""
    nb, c = shape(flat)[:2]
    inside = (yi >= 0) & (yi < h) & (xi >= 0) & (xi < w)
    idx = (np.clip(yi, 0, h - 1) * w + np.clip(xi, 0, w - 1)).reshape(nb, 1, -1)
    vals = P.take_along_axis(flat, np.broadcast_to(idx, (nb, c, idx.shape[-1])), 2)
    vals = P.reshape(vals, (nb, c) + yi.shape[1:])
    return vals, inside[:, None].astype(data(flat).dtype)


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample an (N, C, H, W) input at the points of an (N, Ho, Wo, 2) grid: (N, C, Ho, Wo).

    mode 'bilinear' or 'nearest'; padding_mode 'zeros', 'border' or 'reflection'.
    """
    fn = "grid_sample"
    if mode not in ("bilinear", "nearest"):
        raise ValueError(f"{fn}: mode must be 'bilinear' or 'nearest', got {mode!r} "
                         f"('bicubic' is not supported)")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"{fn}: padding_mode must be 'zeros', 'border' or 'reflection', "
                         f"got {padding_mode!r}")
    align_corners = _align(fn, align_corners)
    s, gs = shape(input), shape(grid)
    if len(s) != 4 or len(gs) != 4 or gs[-1] != 2 or gs[0] != s[0]:
        raise ValueError(f"{fn}: expected input (N, C, H, W) and grid (N, Ho, Wo, 2) (only "
                         f"4-D input is supported), got {s} and {gs}")
    nb, c, h, w = s
    # Which pixels each point reads is decided on the grid's values.
    concrete(grid, f"{fn}'s grid (the pixels it reads)")
    dtype = data(input).dtype if data(input).dtype.kind == "f" else np.float64
    gx = _source(P.getitem(grid, (Ellipsis, 0)), w, padding_mode, align_corners)
    gy = _source(P.getitem(grid, (Ellipsis, 1)), h, padding_mode, align_corners)
    flat = P.reshape(input, (nb, c, h * w))
    if mode == "nearest":
        vals, inside = _read(flat, np.rint(data(gy)).astype(np.int64),
                             np.rint(data(gx)).astype(np.int64), h, w)
        return vals * inside
    x0, y0 = np.floor(data(gx)).astype(np.int64), np.floor(data(gy)).astype(np.int64)
    fx = P.expand_dims(gx - x0.astype(dtype), 1)  # (N, 1, Ho, Wo)
    fy = P.expand_dims(gy - y0.astype(dtype), 1)
    out = 0
    for dy, wy in ((0, 1 - fy), (1, fy)):
        for dx, wx in ((0, 1 - fx), (1, fx)):
            vals, inside = _read(flat, y0 + dy, x0 + dx, h, w)
            out = out + vals * (wy * wx * inside)
    return out
