"""NumPy references for the convolution family, written as the definitions read: explicit
loops over output positions and kernel offsets (tiny shapes only), PyTorch's window and
coordinate rules restated per element. Shared by the op database and tests/test_conv_family.py.
"""

from __future__ import annotations

import math

import numpy as np


def _t(v, n):
    return (v,) * n if np.ndim(v) == 0 else tuple(v)


# ------------------------------------------------------------------- convolution
def conv(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """sum_{c, k} w[o, c, k] xp[n, g cg + c, s pos + d k] + b[o], position by position."""
    n = x.ndim - 2
    st, pd, dl = _t(stride, n), _t(padding, n), _t(dilation, n)
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pd])
    o_ch, cg, k = w.shape[0], w.shape[1], w.shape[2:]
    og = o_ch // groups
    size = [(xp.shape[2 + i] - dl[i] * (k[i] - 1) - 1) // st[i] + 1 for i in range(n)]
    out = np.zeros((x.shape[0], o_ch, *size))
    for o in range(o_ch):
        g = o // og
        for pos in np.ndindex(*size):
            for kk in np.ndindex(*k):
                idx = tuple(pos[i] * st[i] + kk[i] * dl[i] for i in range(n))
                window = xp[(slice(None), slice(g * cg, (g + 1) * cg)) + idx]
                out[(slice(None), o) + pos] += window @ w[(o, slice(None)) + kk]
    if b is not None:
        out += b.reshape((-1,) + (1,) * n)
    return out


def conv_transpose(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1,
                   dilation=1):
    """Each input cell times the kernel, added at s pos + d k; then p cropped each side."""
    n = x.ndim - 2
    st, pd, op, dl = _t(stride, n), _t(padding, n), _t(output_padding, n), _t(dilation, n)
    c_in, cog, k = x.shape[1], w.shape[1], w.shape[2:]
    cig = c_in // groups
    full = [(x.shape[2 + i] - 1) * st[i] + dl[i] * (k[i] - 1) + 1 + op[i] for i in range(n)]
    out = np.zeros((x.shape[0], cog * groups, *full))
    for c in range(c_in):
        g = c // cig
        for pos in np.ndindex(*x.shape[2:]):
            for kk in np.ndindex(*k):
                idx = tuple(pos[i] * st[i] + kk[i] * dl[i] for i in range(n))
                out[(slice(None), slice(g * cog, (g + 1) * cog)) + idx] += (
                    x[(slice(None), c) + pos][:, None] * w[(c, slice(None)) + kk])
    out = out[(slice(None), slice(None)) + tuple(slice(p, f - p) for p, f in zip(pd, full))]
    if b is not None:
        out = out + b.reshape((-1,) + (1,) * n)
    return out


# ----------------------------------------------------------------------- pooling
def pool_size(length, k, s, p, d, ceil_mode):
    """PyTorch's pooling output size (pooling_output_shape)."""
    num = length + 2 * p - d * (k - 1) - 1
    o = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (o - 1) * s >= length + p:
        o -= 1
    return o


def max_pool(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    n = x.ndim - 2
    k = _t(kernel_size, n)
    st = k if stride is None else _t(stride, n)
    pd, dl = _t(padding, n), _t(dilation, n)
    size = [pool_size(x.shape[2 + i], k[i], st[i], pd[i], dl[i], ceil_mode) for i in range(n)]
    out = np.full(x.shape[:2] + tuple(size), -np.inf)
    for pos in np.ndindex(*size):
        for kk in np.ndindex(*k):
            idx = tuple(pos[i] * st[i] - pd[i] + kk[i] * dl[i] for i in range(n))
            if all(0 <= j < x.shape[2 + i] for i, j in enumerate(idx)):
                cell = (Ellipsis,) + pos
                out[cell] = np.maximum(out[cell], x[(Ellipsis,) + idx])
    return out


def avg_pool(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
             divisor_override=None):
    """PyTorch's avg_pool: window clipped to the padded input for the count (or to the
    input, count_include_pad=False), summed over the input."""
    n = x.ndim - 2
    k = _t(kernel_size, n)
    st = k if stride is None else _t(stride, n)
    pd = _t(padding, n)
    size = [pool_size(x.shape[2 + i], k[i], st[i], pd[i], 1, ceil_mode) for i in range(n)]
    out = np.zeros(x.shape[:2] + tuple(size))
    for pos in np.ndindex(*size):
        starts = [pos[i] * st[i] - pd[i] for i in range(n)]
        ends = [min(starts[i] + k[i], x.shape[2 + i] + pd[i]) for i in range(n)]
        padded_count = math.prod(e - s for s, e in zip(starts, ends))
        starts = [max(s, 0) for s in starts]
        ends = [min(e, x.shape[2 + i]) for i, e in enumerate(ends)]
        total = x[(Ellipsis,) + tuple(slice(s, e) for s, e in zip(starts, ends))]
        total = total.sum(axis=tuple(range(2, 2 + n)))
        if divisor_override:
            div = divisor_override
        elif count_include_pad:
            div = padded_count
        else:
            div = math.prod(e - s for s, e in zip(starts, ends))
        out[(Ellipsis,) + pos] = total / div
    return out


def _adaptive(x, output_size, reduce):
    n = x.ndim - 2
    size = _t(output_size, n)
    size = tuple(x.shape[2 + i] if o is None else o for i, o in enumerate(size))
    out = np.zeros(x.shape[:2] + size)
    for pos in np.ndindex(*size):
        window = []
        for i, o in enumerate(pos):
            length = x.shape[2 + i]
            window.append(slice(math.floor(o * length / size[i]),
                                math.ceil((o + 1) * length / size[i])))
        out[(Ellipsis,) + pos] = reduce(x[(Ellipsis,) + tuple(window)],
                                        axis=tuple(range(2, 2 + n)))
    return out


def adaptive_avg_pool(x, output_size):
    return _adaptive(x, output_size, np.mean)


def adaptive_max_pool(x, output_size):
    return _adaptive(x, output_size, np.max)


def fractional_max_pool(x, kernel_size, output_size, _random_samples):
    """Graham's fractional windows, written out: window i along an axis of length L
    pooled to m outputs with kernel k starts at int((i + u) a) - int(u a),
    a = (L - k) / (m - 1), the last at L - k; u is the plane's sample for that axis
    (PyTorch's order: width then height for two axes, depth, height, width for three)."""
    n = x.ndim - 2
    k, size = _t(kernel_size, n), _t(output_size, n)
    order = [1, 0] if n == 2 else [0, 1, 2]
    out = np.zeros(x.shape[:2] + size)
    for b, c in np.ndindex(*x.shape[:2]):
        starts = []
        for axis in range(n):
            u, length, m = _random_samples[b, c, order[axis]], x.shape[2 + axis], size[axis]
            a = (length - k[axis]) / (m - 1) if m > 1 else 0.0
            starts.append([int((i + u) * a) - int(u * a) for i in range(m - 1)]
                          + [length - k[axis]])
        for pos in np.ndindex(*size):
            window = tuple(slice(starts[i][o], starts[i][o] + k[i]) for i, o in enumerate(pos))
            out[(b, c) + pos] = x[(b, c) + window].max()
    return out


# ------------------------------------------------------------------------ pad
_NP_MODE = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
            "circular": "wrap"}


def pad(x, pad, mode="constant", value=0.0):
    """np.pad in the mode of the same meaning (non-negative pads)."""
    k = len(pad) // 2
    widths = [(0, 0)] * (x.ndim - k) + [(pad[2 * i], pad[2 * i + 1])
                                        for i in reversed(range(k))]
    if mode == "constant":
        return np.pad(x, widths, constant_values=value)
    return np.pad(x, widths, mode=_NP_MODE[mode])


# ----------------------------------------------------------------- interpolate
def _coordinate_scale(m, o, factor, align_corners):
    if align_corners:
        return (m - 1) / (o - 1) if o > 1 else 0.0
    return 1.0 / factor if factor is not None else m / o


def _linear_weights(m, o, factor, align_corners):
    """[(lo, hi, weight of hi)] per output index: aten's area_pixel_compute_source_index."""
    scale = _coordinate_scale(m, o, factor, align_corners)
    out = []
    for dst in range(o):
        src = dst * scale if align_corners else max(scale * (dst + 0.5) - 0.5, 0.0)
        lo = int(math.floor(src))
        hi = lo + (1 if lo < m - 1 else 0)
        out.append((lo, hi, src - lo))
    return out


def _aa_weights(m, o, factor, align_corners, cubic):
    """Per output index, {input index: weight} of the antialiased filter (PIL's and aten's
    resampling: the filter stretched by the scale when shrinking, weights normalised)."""
    scale = _coordinate_scale(m, o, factor, align_corners)
    support = (2.0 if cubic else 1.0) * max(scale, 1.0)
    stretch = max(scale, 1.0)

    def filt(t):
        t = abs(t)
        if not cubic:
            return max(0.0, 1.0 - t)
        if t < 1:
            return 1.5 * t ** 3 - 2.5 * t ** 2 + 1
        return -0.5 * t ** 3 + 2.5 * t ** 2 - 4 * t + 2 if t < 2 else 0.0

    rows = []
    for i in range(o):
        c = scale * (i + 0.5)
        taps = {j: filt((j - c + 0.5) / stretch)
                for j in range(max(int(c - support + 0.5), 0), min(int(c + support + 0.5), m))}
        total = sum(taps.values())
        rows.append({j: w / total for j, w in taps.items()})
    return rows


def interpolate_antialiased(x, size=None, scale_factor=None, mode="bilinear",
                            align_corners=None):
    ins = x.shape[2:]
    if size is not None:
        outs, factors = _t(size, 2), [None, None]
    else:
        factors = list(_t(scale_factor, 2))
        outs = tuple(int(math.floor(m * f)) for m, f in zip(ins, factors))
    wh, ww = (_aa_weights(m, o, f, bool(align_corners), mode == "bicubic")
              for m, o, f in zip(ins, outs, factors))
    out = np.zeros(x.shape[:2] + tuple(outs))
    for i, j in np.ndindex(*outs):
        for a, wa in wh[i].items():
            for b, wb in ww[j].items():
                out[:, :, i, j] += wa * wb * x[:, :, a, b]
    return out


def interpolate(x, size=None, scale_factor=None, mode="nearest", align_corners=None):
    n = x.ndim - 2
    ins = x.shape[2:]
    if size is not None:
        outs, factors = _t(size, n), [None] * n
    else:
        factors = list(_t(scale_factor, n))
        outs = tuple(int(math.floor(m * f)) for m, f in zip(ins, factors))
    out = np.zeros(x.shape[:2] + tuple(outs))
    if mode in ("nearest", "nearest-exact"):
        idx = []
        for m, o, f in zip(ins, outs, factors):
            scale = np.float32(1.0 / f) if f is not None else np.float32(m / o)
            shift = 0.5 if mode == "nearest-exact" else 0.0
            idx.append([min(int(np.floor(np.float32(d + shift) * scale)), m - 1)
                        for d in range(o)])
        for pos in np.ndindex(*outs):
            out[(Ellipsis,) + pos] = x[(Ellipsis,) + tuple(idx[i][p] for i, p in
                                                           enumerate(pos))]
        return out
    if mode == "bicubic":
        return _bicubic(x, ins, outs, factors, bool(align_corners))
    weights = [_linear_weights(m, o, f, bool(align_corners)) for m, o, f in
               zip(ins, outs, factors)]
    for pos in np.ndindex(*outs):
        corners = [[(lo, 1 - w), (hi, w)] for lo, hi, w in
                   (weights[i][p] for i, p in enumerate(pos))]
        for pick in np.ndindex(*(2,) * n):
            cell = tuple(corners[i][c][0] for i, c in enumerate(pick))
            weight = math.prod(corners[i][c][1] for i, c in enumerate(pick))
            out[(Ellipsis,) + pos] += weight * x[(Ellipsis,) + cell]
    return out


def _cubic_coefficients(t, a=-0.75):
    """aten's get_cubic_upsample_coefficients: the weights of taps -1, 0, 1, 2."""
    def c1(v):
        return ((a + 2) * v - (a + 3)) * v * v + 1

    def c2(v):
        return ((a * v - 5 * a) * v + 8 * a) * v - 4 * a

    return [c2(t + 1), c1(t), c1(1 - t), c2(2 - t)]


def _bicubic(x, ins, outs, factors, align_corners):
    """aten's upsample_bicubic2d, one output pixel at a time (taps clamped to the image)."""
    out = np.zeros(x.shape[:2] + tuple(outs))
    taps = []
    for m, o, f in zip(ins, outs, factors):
        scale = _coordinate_scale(m, o, f, align_corners)
        row = []
        for d in range(o):
            src = d * scale if align_corners else scale * (d + 0.5) - 0.5
            lo = math.floor(src)
            row.append([(min(max(lo - 1 + i, 0), m - 1), c)
                        for i, c in enumerate(_cubic_coefficients(src - lo))])
        taps.append(row)
    for i in range(outs[0]):
        for j in range(outs[1]):
            for yi, wy in taps[0][i]:
                for xj, wx in taps[1][j]:
                    out[:, :, i, j] += wy * wx * x[:, :, yi, xj]
    return out


# ----------------------------------------------------------------- unfold, fold
def _cells(c, size, kernel_size, dilation, padding, stride):
    """(column-matrix row, window index, padded-image cell) of every window entry, and the
    number of windows: row c kh kw + i kw + j, window a OW + b, cell (c, s a + d i, s b + d j)."""
    k, d, p, s = (_t(v, 2) for v in (kernel_size, dilation, padding, stride))
    oh = (size[0] + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (size[1] + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    cells = [((ch * k[0] + i) * k[1] + j, a * ow + b,
              (ch, a * s[0] + i * d[0], b * s[1] + j * d[1]))
             for ch in range(c) for i in range(k[0]) for j in range(k[1])
             for a in range(oh) for b in range(ow)]
    return cells, oh * ow, p


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    cells, count, p = _cells(x.shape[1], x.shape[2:], kernel_size, dilation, padding, stride)
    xp = np.pad(x, [(0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])])
    out = np.zeros((x.shape[0], len(cells) // count, count))
    for row, window, (ch, y, z) in cells:
        out[:, row, window] = xp[:, ch, y, z]
    return out


def fold(cols, output_size, kernel_size, dilation=1, padding=0, stride=1):
    h, w = _t(output_size, 2)
    c = cols.shape[1] // math.prod(_t(kernel_size, 2))
    cells, _, p = _cells(c, (h, w), kernel_size, dilation, padding, stride)
    out = np.zeros((cols.shape[0], c, h + 2 * p[0], w + 2 * p[1]))
    for row, window, (ch, y, z) in cells:
        out[:, ch, y, z] += cols[:, row, window]
    return out[:, :, p[0]:p[0] + h, p[1]:p[1] + w]


# ---------------------------------------------------------- affine_grid, grid_sample
def affine_grid(theta, size, align_corners=False):
    n, _, h, w = size

    def lin(m):
        if m <= 1:
            return [0.0]
        return [(-1 + 2 * i / (m - 1)) * (1 if align_corners else (m - 1) / m)
                for i in range(m)]

    out = np.zeros((n, h, w, 2))
    for b in range(n):
        for i, y in enumerate(lin(h)):
            for j, x in enumerate(lin(w)):
                out[b, i, j] = theta[b] @ np.array([x, y, 1.0])
    return out


def _reflect(v, lo2, hi2):
    if lo2 == hi2:
        return 0.0
    low, span = lo2 / 2, (hi2 - lo2) / 2
    v = abs(v - low)
    extra = math.fmod(v, span)
    flips = math.floor(v / span)
    return extra + low if flips % 2 == 0 else span - extra + low


def _unnormalize(g, size, align_corners):
    return (g + 1) / 2 * (size - 1) if align_corners else ((g + 1) * size - 1) / 2


def _source(g, size, padding_mode, align_corners):
    """aten's grid_sampler_compute_source_index, one coordinate."""
    return _pad_coordinate(_unnormalize(g, size, align_corners), size, padding_mode,
                           align_corners)


def _pad_coordinate(u, size, padding_mode, align_corners):
    if padding_mode == "border":
        u = min(max(u, 0.0), size - 1.0)
    elif padding_mode == "reflection":
        u = _reflect(u, 0, 2 * (size - 1)) if align_corners else _reflect(u, -1, 2 * size - 1)
        u = min(max(u, 0.0), size - 1.0)
    return u


def _keys_weights(t, a=-0.75):
    """Keys' cubic convolution weights of the taps at -1, 0, 1, 2 for fraction t."""
    def kernel(d):
        d = abs(d)
        if d <= 1:
            return (a + 2) * d ** 3 - (a + 3) * d ** 2 + 1
        return a * d ** 3 - 5 * a * d ** 2 + 8 * a * d - 4 * a if d < 2 else 0.0

    return [kernel(t + 1), kernel(t), kernel(1 - t), kernel(2 - t)]


def grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False):
    n, c, h, w = x.shape
    out = np.zeros((n, c, grid.shape[1], grid.shape[2]))

    def read(b, yi, xi):
        return x[b, :, yi, xi] if 0 <= yi < h and 0 <= xi < w else np.zeros(c)

    for b in range(n):
        for i in range(grid.shape[1]):
            for j in range(grid.shape[2]):
                u = _source(grid[b, i, j, 0], w, padding_mode, align_corners)
                v = _source(grid[b, i, j, 1], h, padding_mode, align_corners)
                if mode == "nearest":
                    out[b, :, i, j] = read(b, int(np.rint(v)), int(np.rint(u)))
                    continue
                if mode == "bicubic":  # 16 taps, each padded on its own
                    ub = _unnormalize(grid[b, i, j, 0], w, align_corners)
                    vb = _unnormalize(grid[b, i, j, 1], h, align_corners)
                    xf, yf = math.floor(ub), math.floor(vb)
                    wx, wy = _keys_weights(ub - xf), _keys_weights(vb - yf)
                    for p in range(4):
                        yt = int(_pad_coordinate(yf - 1 + p, h, padding_mode, align_corners))
                        for q in range(4):
                            xt = int(_pad_coordinate(xf - 1 + q, w, padding_mode,
                                                     align_corners))
                            out[b, :, i, j] += wy[p] * wx[q] * read(b, yt, xt)
                    continue
                x0, y0 = math.floor(u), math.floor(v)
                fx, fy = u - x0, v - y0
                out[b, :, i, j] = ((1 - fy) * (1 - fx) * read(b, y0, x0)
                                   + (1 - fy) * fx * read(b, y0, x0 + 1)
                                   + fy * (1 - fx) * read(b, y0 + 1, x0)
                                   + fy * fx * read(b, y0 + 1, x0 + 1))
    return out
