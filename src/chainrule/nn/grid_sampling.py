"""Spatial transformers: F.affine_grid and F.grid_sample, as PyTorch defines them.

grid_sample reads an (N, C, H, W) input at the (x, y) points of an (N, Ho, Wo, 2) grid
in [-1, 1] (x across the width): a point maps to pixel coordinates
u = ((g + 1) size - 1) / 2 (align_corners=False: -1 and 1 are the outer edges of the
corner pixels) or u = (g + 1)(size - 1) / 2 (align_corners=True: their centres).
padding_mode 'border' clamps u to [0, size - 1], 'reflection' mirrors it at the edges
(then clamps); 'zeros' reads 0 outside. Both maps are piecewise affine (slopes -1, 0, 1;
second derivative 0), written with abs, fmod, floor and clip. 'bilinear' weighs the four
pixels around u' by (1 - fx, fx) x (1 - fy, fy), differentiable in the input and the
grid; 'nearest' reads the pixel at round-half-even(u') and gives the grid no gradient;
'bicubic' weighs the 4 x 4 pixels around u (the padding mode applied to each pixel read)
by Keys' cubic kernel with a = -0.75, differentiable in both.
Which pixels are read (floor, rint, the inside masks) is computed by operations too, so
a compiled step reads each call's grid.
"""

from __future__ import annotations

import functools
import warnings
from fractions import Fraction

import numpy as np

from .. import primitives as P
from ..graph import is_traced
from .arguments import data, shape

__all__ = ["affine_grid", "grid_sample"]


def _align(fn, align_corners):
    if align_corners is None:
        warnings.warn(f"{fn}: the default align_corners=False is used; pass align_corners "
                      f"to choose", UserWarning, stacklevel=3)
        return False
    return bool(align_corners)


def _base(n, align_corners, dtype):
    """The n grid coordinates of one axis in [-1, 1] (PyTorch's linspace_from_neg_one),
    with PyTorch's rounding: its linspace in ``dtype``, then, without align_corners,
    times n - 1 and divided by n, each rounded in ``dtype``. (Off by an ulp, a point
    meant to fall halfway between two pixels falls on the other side of halfway, and
    nearest-mode sampling reads the other pixel.)"""
    dtype = np.dtype(dtype)
    if n <= 1:
        return np.zeros(max(n, 1), dtype)
    r = _linspace_neg_one(int(n), dtype.str)
    if align_corners:
        return r.copy()
    return (r * dtype.type(n - 1)) / dtype.type(n)


@functools.lru_cache(maxsize=64)
def _linspace_neg_one(n, dtype_str):
    """PyTorch 2.13's CPU linspace(-1, 1, n) in one floating dtype: step = 2 / (n - 1)
    rounded; the first n // 2 values are -1 + step * i, the rest 1 - step * (n - 1 - i),
    each a fused multiply-add (one rounding of the exact value), which is computed here
    with fractions and rounded to nearest, ties to even."""
    dtype = np.dtype(dtype_str)
    step = Fraction(float(dtype.type(2) / dtype.type(n - 1)))
    exact = [-1 + step * i if i < n // 2 else 1 - step * (n - 1 - i) for i in range(n)]
    out = np.array([_nearest(v, dtype) for v in exact], dtype)
    out.flags.writeable = False
    return out


def _nearest(value, dtype):
    """The ``dtype`` number nearest the fraction ``value`` (ties to the even one)."""
    if dtype == np.float64:
        return float(value)  # (Fraction to float rounds correctly)
    guess = dtype.type(float(value))  # (rounded twice: maybe one off; look either side)
    candidates = (np.nextafter(guess, dtype.type(-np.inf)), guess,
                  np.nextafter(guess, dtype.type(np.inf)))
    return min(candidates, key=lambda c: (abs(Fraction(float(c)) - value),
                                          _odd(c, dtype)))


def _odd(x, dtype):
    """Whether ``x``'s last significand bit is 1."""
    return int(abs(float(np.frexp(x)[0])) * 2.0 ** (np.finfo(dtype).nmant + 1)) & 1


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
    # theta [x, y(, z), 1]^T, its products summed left to right, each sum rounded, as
    # PyTorch's small batched matmul sums them (a BLAS matmul may pair them otherwise)
    columns = []
    for j in range(nd):
        total = None
        for k in range(nd + 1):
            weight = P.reshape(P.getitem(theta, (slice(None), j, k)), (-1, 1))  # (N, 1)
            term = weight if k == nd else flat[:, k] * weight  # (N, prod(spatial))
            total = term if total is None else total + term
        columns.append(total)
    grid = P.stack(columns, axis=-1)  # (N, prod(spatial), nd)
    return P.reshape(grid, (size[0],) + size[2:] + (nd,))


def _reflect(u, lo2, hi2):
    """PyTorch's reflect_coordinates: u mirrored at lo2 / 2 and hi2 / 2 until inside."""
    if lo2 == hi2:
        return u * 0
    low, span = lo2 / 2, (hi2 - lo2) / 2
    a = P.abs(u - low)
    extra = P.fmod(a, span)
    odd = P.equal(P.fmod(P.floor(a / span), 2), 1)  # flipped an odd number of times
    return P.where(odd, span - extra + low, extra + low)


def _unnormalized(g, size, align_corners):
    """Pixel coordinates of grid values g, before the padding mode, rounded as PyTorch's
    CPU kernel rounds them: (g + 1) * ((size - 1) / 2) with align_corners, else
    (g + 1) * (size / 2) - 0.5 as one fused multiply-add (a single rounding). A point
    meant to land on a pixel then lands on the same side of it as in PyTorch (just
    below 2 rather than on 2, say), so the same cell is read and the grid's gradient
    takes the same slope. The derivative is size / 2 (or (size - 1) / 2)."""
    a = g + 1
    if align_corners:
        return a * ((size - 1) / 2)
    held = P.stop_gradient(a)
    # (held's exact value, plus a zero that carries the derivative)
    return _fused_half_step(held, size) + (a - held) * (size / 2)


def _fused_half_step(a, size):
    """a * (size / 2) - 0.5 rounded once, = (a * size - 1) / 2 (halving is exact). In
    float64 the product's rounding error comes from Dekker's splitting (size, an int
    below 2**26, needs no splitting) and the subtraction's from a two-sum, so the result
    is the one rounding of p + e - 1 (exactly so wherever p - 1 is exact: every point
    from a quarter pixel left of the image onwards). float32 values are computed in
    float64, where the product is exact, and rounded once to float32."""
    dtype = data(a).dtype
    if dtype != np.float64:
        wide = P.astype(a, np.float64) * float(size) - 1.0
        return P.astype(wide, dtype) * 0.5
    p = a * float(size)
    c = a * 134217729.0  # (2**27 + 1: a's upper 26 bits in hi, the rest in lo)
    hi = c - (c - a)
    lo = a - hi
    e = (hi * float(size) - p) + lo * float(size)  # a * size = p + e exactly
    q = p - 1.0
    back = q - p
    t = (p - (q - back)) + (-1.0 - back)  # p - 1 = q + t exactly
    return (q + (t + e)) * 0.5


def _source(g, size, padding_mode, align_corners):
    """Pixel coordinates of grid values g after the padding mode (chainrule operations
    throughout, so that under cr.compile each call's grid decides what is read)."""
    return _padded_coordinates(_unnormalized(g, size, align_corners), size, padding_mode,
                               align_corners)


def _padded_coordinates(u, size, padding_mode, align_corners):
    if padding_mode == "reflection":
        u = _reflect(u, 0, 2 * (size - 1)) if align_corners else _reflect(u, -1, 2 * size - 1)
    if padding_mode != "zeros":
        # Clipped into the image, with PyTorch's derivative: 1 strictly inside and 0 on
        # the border itself (its clip_coordinates_set_grad counts the border as outside;
        # an identity affine grid with align_corners puts every edge pixel there).
        strict = P.logical_and(P.greater(u, 0), P.less(u, size - 1))
        u = P.where(strict, u, P.stop_gradient(P.clip(u, 0, size - 1)))
    return u


def _read(flat, yi, xi, h, w, dtype):
    """(input[n, :, yi, xi], 1 where (yi, xi) is inside the image else 0) for (N, Ho, Wo)
    whole-number coordinates yi, xi."""
    nb, c = shape(flat)[:2]
    inside = P.logical_and(P.logical_and(P.greater_equal(yi, 0), P.less_equal(yi, h - 1)),
                           P.logical_and(P.greater_equal(xi, 0), P.less_equal(xi, w - 1)))
    idx = P.astype(P.clip(yi, 0, h - 1) * w + P.clip(xi, 0, w - 1), np.int64)
    idx = P.broadcast_to(P.reshape(idx, (nb, 1, -1)), (nb, c, int(np.prod(shape(yi)[1:]))))
    vals = P.reshape(P.take_along_axis(flat, idx, 2), (nb, c) + shape(yi)[1:])
    return vals, P.expand_dims(P.astype(inside, dtype), 1)


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample an (N, C, H, W) input at the points of an (N, Ho, Wo, 2) grid: (N, C, Ho, Wo).

    mode 'bilinear', 'nearest' or 'bicubic'; padding_mode 'zeros', 'border' or
    'reflection'.
    """
    fn = "grid_sample"
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"{fn}: mode must be 'bilinear', 'nearest' or 'bicubic', got "
                         f"{mode!r}")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"{fn}: padding_mode must be 'zeros', 'border' or 'reflection', "
                         f"got {padding_mode!r}")
    align_corners = _align(fn, align_corners)
    s, gs = shape(input), shape(grid)
    if len(s) != 4 or len(gs) != 4 or gs[-1] != 2 or gs[0] != s[0]:
        raise ValueError(f"{fn}: expected input (N, C, H, W) and grid (N, Ho, Wo, 2) (only "
                         f"4-D input is supported), got {s} and {gs}")
    nb, c, h, w = s
    dtype = data(input).dtype if data(input).dtype.kind == "f" else np.float64
    gx = _source(P.getitem(grid, (Ellipsis, 0)), w, padding_mode, align_corners)
    gy = _source(P.getitem(grid, (Ellipsis, 1)), h, padding_mode, align_corners)
    flat = P.reshape(input, (nb, c, h * w))
    if mode == "bicubic":
        return _bicubic(flat, grid, h, w, padding_mode, align_corners, dtype)
    if mode == "nearest":
        vals, inside = _read(flat, P.rint(gy), P.rint(gx), h, w, dtype)
        out = vals * inside
        if is_traced(grid):
            # PyTorch's nearest mode gives the grid a zero gradient (not "unused"): a
            # where taking every element from out links the grid at zero cost to it.
            out = P.where(np.zeros(shape(out), bool), P.expand_dims(gx + gy, 1), out)
        return out
    x0, y0 = P.floor(gx), P.floor(gy)
    fx, fy = P.expand_dims(gx - x0, 1), P.expand_dims(gy - y0, 1)  # (N, 1, Ho, Wo)
    out = 0
    for dy, wy in ((0, 1 - fy), (1, fy)):
        for dx, wx in ((0, 1 - fx), (1, fx)):
            vals, inside = _read(flat, y0 + dy, x0 + dx, h, w, dtype)
            out = out + vals * (wy * wx * inside)
    return out


# Keys' cubic convolution kernel with a = -0.75 (PyTorch's bicubic): the weights of the
# four pixels at offsets -1, 0, 1, 2 from floor(u), for t = u - floor(u).
_A = -0.75


def _cubic_weights(t):
    def near(x):  # |x| <= 1
        return ((_A + 2) * x - (_A + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((_A * x - 5 * _A) * x + 8 * _A) * x - 4 * _A

    return far(t + 1), near(t), near(1 - t), far(2 - t)


def _bicubic(flat, grid, h, w, padding_mode, align_corners, dtype):
    """PyTorch's bicubic grid_sample: the 4 x 4 pixels around each point weighed by the
    cubic kernel in x and y. The padding mode applies to each of the 16 pixels read, not
    to the point (as PyTorch's), and the grid's gradient comes through the weights."""
    ux = _unnormalized(P.getitem(grid, (Ellipsis, 0)), w, align_corners)
    uy = _unnormalized(P.getitem(grid, (Ellipsis, 1)), h, align_corners)
    x0, y0 = P.floor(ux), P.floor(uy)
    wx = _cubic_weights(P.expand_dims(ux - x0, 1))
    wy = _cubic_weights(P.expand_dims(uy - y0, 1))
    out = 0
    for i in range(4):
        yi = _padded_coordinates(y0 + (i - 1), h, padding_mode, align_corners)
        row = 0
        for j in range(4):
            xi = _padded_coordinates(x0 + (j - 1), w, padding_mode, align_corners)
            vals, inside = _read(flat, yi, xi, h, w, dtype)
            row = row + vals * (wx[j] * inside)
        out = out + row * wy[i]
    return out
