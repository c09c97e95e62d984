"""Op database entries: chainrule.lax (``lax.name``, JAX's jax.lax functions), against
NumPy references written from lax's definitions: convolutions and windowed reductions as
explicit loops over output positions, scans as sequential loops, sorts by NumPy's
stable argsort. Kinked functions draw their samples away from the kinks; sorts and
maxima draw distinct values."""

from __future__ import annotations

import math

import numpy as np
import scipy.special as sps

from chainrule import lax
from chainrule.domains import Domain

from .core import OpInfo, binary, fixed, unary

SHAPES = [(), (1,), (4,), (2, 3)]
PAIRS = [((), ()), ((4,), (4,)), ((2, 3), (2, 3))]


def _entry(name, op, samples, ref, **kw):
    return OpInfo(f"lax.{name}", op, samples, ref, list_inputs=False, **kw)


def _exact(name, op, samples, ref, **kw):
    """An entry with no gradient (integer, boolean or piecewise-constant results)."""
    return _entry(name, op, samples, ref, differentiable=False, float32=False, **kw)


def _n(rng, *shape):
    return rng.standard_normal(shape)


def _distinct(rng, *shape):
    return (rng.permutation(math.prod(shape)).reshape(shape) * 0.3
            + rng.uniform(0, 0.1, shape))


# ------------------------------------------------------------- references
def _same_pads(sizes, window, strides, lower=False):
    pads = []
    for n, k, s in zip(sizes, window, strides):
        total = max((-(-n // s) - 1) * s + k - n, 0)
        lo, hi = total // 2, total - total // 2
        pads.append((hi, lo) if lower else (lo, hi))
    return pads


def _pads(sizes, window, strides, padding):
    if padding == "VALID":
        return [(0, 0)] * len(sizes)
    if padding in ("SAME", "SAME_LOWER"):
        return _same_pads(sizes, window, strides, padding == "SAME_LOWER")
    return [tuple(p) for p in padding]


def _dilate_pad(x, axes, pads, dilations, value):
    """x with (d - 1) cells of `value` between neighbours along each axis, then padded
    (negative: cropped) by pads, the new cells `value`."""
    for a, (lo, hi), d in zip(axes, pads, dilations):
        n = x.shape[a]
        size = (n - 1) * d + 1 if n else 0
        shape = list(x.shape)
        shape[a] = size + max(lo, 0) + max(hi, 0)
        out = np.full(shape, value, dtype=x.dtype)
        idx = [slice(None)] * x.ndim
        idx[a] = slice(max(lo, 0), max(lo, 0) + size, d)
        out[tuple(idx)] = x
        keep = [slice(None)] * x.ndim
        keep[a] = slice(max(-lo, 0), shape[a] - max(-hi, 0))
        x = out[tuple(keep)]
    return x


def conv_general_ref(lhs, rhs, window_strides, padding, lhs_dilation=None,
                     rhs_dilation=None, dimension_numbers=None, feature_group_count=1,
                     batch_group_count=1):
    """out[n, o, p] = sum_{c, k} w[o, c, k] xp[n(, group), c(, group), s p + d k], xp the
    input dilated and padded; layouts named by letter strings."""
    nd = lhs.ndim - 2
    specs = dimension_numbers or ("NC" + "HWD"[:nd], "OI" + "HWD"[:nd], "NC" + "HWD"[:nd])
    ls, rs, os_ = specs
    spatial = [c for c in rs if c not in "OI"]
    x = np.transpose(lhs, [ls.index(c) for c in "NC" + "".join(spatial)])
    w = np.transpose(rhs, [rs.index(c) for c in "OI" + "".join(spatial)])
    ld = lhs_dilation or (1,) * nd
    rd = rhs_dilation or (1,) * nd
    window = [(k - 1) * d + 1 for k, d in zip(w.shape[2:], rd)]
    pads = _pads(x.shape[2:], window, window_strides, padding)
    xp = _dilate_pad(x, range(2, nd + 2), pads, ld, 0.0)
    size = [(m - e) // s + 1 for m, e, s in zip(xp.shape[2:], window, window_strides)]
    n_out = x.shape[0] // batch_group_count
    o_ch, cg = w.shape[0], w.shape[1]
    out = np.zeros((n_out, o_ch, *size))
    for o in range(o_ch):
        fg = o // (o_ch // feature_group_count)
        bg = o // (o_ch // batch_group_count)
        rows = xp[bg * n_out:(bg + 1) * n_out, fg * cg:(fg + 1) * cg]
        for pos in np.ndindex(*size):
            for kk in np.ndindex(*w.shape[2:]):
                idx = tuple(p * s + k * d for p, s, k, d in zip(pos, window_strides, kk, rd))
                out[(slice(None), o) + pos] += rows[(slice(None), slice(None)) + idx] @ \
                    w[(o, slice(None)) + kk]
    return np.transpose(out, [("NC" + "".join(spatial)).index(c) for c in os_])


def patches_ref(x, filter_shape, window_strides, padding):
    """NC... patches: out[n, c K + k, p] = xp[n, c, s p + k] (k over the window,
    row-major)."""
    nd = x.ndim - 2
    pads = _pads(x.shape[2:], filter_shape, window_strides, padding)
    xp = _dilate_pad(x, range(2, nd + 2), pads, (1,) * nd, 0.0)
    size = [(m - k) // s + 1 for m, k, s in zip(xp.shape[2:], filter_shape, window_strides)]
    offsets = list(np.ndindex(*filter_shape))
    out = np.zeros((x.shape[0], x.shape[1] * len(offsets), *size))
    for c in range(x.shape[1]):
        for j, kk in enumerate(offsets):
            for pos in np.ndindex(*size):
                idx = tuple(p * s + k for p, s, k in zip(pos, window_strides, kk))
                out[(slice(None), c * len(offsets) + j) + pos] = xp[(slice(None), c) + idx]
    return out


def reduce_window_ref(x, init, reducer, window_dimensions, window_strides, padding,
                      base_dilation=None, window_dilation=None):
    window, strides, base, wdil = (window_dimensions, window_strides, base_dilation,
                                   window_dilation)
    base = base or (1,) * x.ndim
    wdil = wdil or (1,) * x.ndim
    extent = [(k - 1) * d + 1 for k, d in zip(window, wdil)]
    dilated = [(n - 1) * b + 1 for n, b in zip(x.shape, base)]
    pads = _pads(dilated, extent, strides, padding)
    xp = _dilate_pad(x, range(x.ndim), pads, base, init)
    size = [(m - e) // s + 1 for m, e, s in zip(xp.shape, extent, strides)]
    out = np.empty(size)
    for pos in np.ndindex(*size):
        cells = [xp[tuple(p * s + k * d for p, s, k, d in zip(pos, strides, kk, wdil))]
                 for kk in np.ndindex(*window)]
        out[pos] = reducer([init, *cells])
    return out


def _affine_reverse_ref(a, b):
    """The reverse scan of (a, b) under (p, q) -> (p0 q0, p1 q0 + q1), step by step from
    the last element."""
    outs_a, outs_b = [a[-1]], [b[-1]]
    for i in range(len(a) - 2, -1, -1):
        outs_a.append(outs_a[-1] * a[i])
        outs_b.append(outs_b[-1] * a[i] + b[i])
    return np.stack(outs_a[::-1]), np.stack(outs_b[::-1])


def _pad_ref(x, value, config):
    axes = range(x.ndim)
    return _dilate_pad(x, axes, [(lo, hi) for lo, hi, _ in config],
                       [i + 1 for _, _, i in config], value)


def _top_k_ref(x, k):
    idx = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, idx, -1), idx.astype(np.int32)


# ------------------------------------------------------------- samples
def _conv(name, ls, rs, **kw):
    return _entry(f"conv_general_dilated ({name})",
                  lambda x, w: lax.conv_general_dilated(x, w, **kw),
                  fixed(lambda rng: ((_n(rng, *ls), _n(rng, *rs)), {}, (0, 1))),
                  lambda x, w: conv_general_ref(x, w, **kw))


def _window(name, init, op, reducer, shape, **kw):
    return _entry(f"reduce_window ({name})",
                  lambda x: lax.reduce_window(x, init, op, **kw),
                  fixed(lambda rng: ((_distinct(rng, *shape),), {})),
                  lambda x: reduce_window_ref(x, init, reducer, **kw))


_REAL = Domain(-2.0, 2.0)


def _unary(name, ref, domain=_REAL, **kw):
    return _entry(name, getattr(lax, name), unary(domain, shapes=SHAPES), ref, **kw)


def _binary(name, ref, domains=(None, None), **kw):
    return _entry(name, getattr(lax, name), binary(domains, pairs=PAIRS), ref, **kw)


def _away(*kinks, low=-3.0, high=3.0):
    return Domain(low, high, avoid=kinks, gap=0.05)


_POS = Domain(0.3, 3.0)
_UNIT = Domain(-0.9, 0.9)
_HALVES = tuple(k + 0.5 for k in range(-4, 4)) + tuple(range(-4, 5))
_INTS_A = np.array([7, -7, 7, -7, 0, 5, 9], np.int32)
_INTS_B = np.array([2, 2, -2, -2, 3, -5, 4], np.int32)
_SHIFTS = np.array([0, 1, 3, 31, 32, 40, -1], np.int32)


def _shift_ref(kind):
    def ref(x, y):
        x64, out = x.astype(np.int64), []
        for a, s in zip(x64, y):
            if kind == "left":
                out.append(0 if not 0 <= s < 32 else (a << s) & 0xFFFFFFFF)
            elif kind == "arith":
                out.append(a >> min(s, 31) if s >= 0 else a >> 31)
            else:
                out.append(0 if not 0 <= s < 32 else (a & 0xFFFFFFFF) >> s)
        return np.array(out, np.int64).astype(np.uint32).astype(np.int32) \
            if kind != "arith" else np.array(out, np.int32)
    return ref


def _rem_ref(a, b):
    return np.sign(a) * (np.abs(a) % np.abs(b))


def _div_int_ref(a, b):
    return (np.sign(a) * np.sign(b) * (np.abs(a) // np.abs(b))).astype(a.dtype)


def _convert_ref(x):
    t = np.trunc(np.nan_to_num(x, nan=0.0))
    return np.clip(t, -128, 127).astype(np.int8)


OPS = [
    # ------------------------------------------------------------ convolutions
    _conv("1-d SAME stride", (2, 3, 7), (4, 3, 3), window_strides=(2,), padding="SAME"),
    _conv("2-d uneven negative pads rhs dilation", (1, 2, 6, 5), (3, 2, 3, 2),
          window_strides=(1, 2), padding=[(1, 2), (0, -1)], rhs_dilation=(2, 1)),
    _conv("NHWC SAME_LOWER", (2, 5, 4, 3), (2, 3, 3, 2), window_strides=(1, 1),
          padding="SAME_LOWER", dimension_numbers=("NHWC", "HWIO", "NHWC")),
    _conv("lhs dilation groups", (1, 4, 3, 4), (4, 2, 2, 2), window_strides=(2, 1),
          padding=[(1, 1), (1, 0)], lhs_dilation=(2, 2), feature_group_count=2),
    _conv("3-d VALID", (1, 2, 3, 4, 3), (2, 2, 2, 2, 2), window_strides=(1, 1, 2),
          padding="VALID"),
    _conv("batch groups", (4, 2, 4, 4), (4, 2, 2, 2), window_strides=(1, 1), padding="VALID",
          batch_group_count=2),
    _conv("HWNC/OIHW/CNHW", (4, 3, 2, 2), (2, 2, 3, 2), window_strides=(1, 1),
          padding="SAME", dimension_numbers=("HWNC", "OIHW", "CNHW")),
    _entry("conv", lambda x, w: lax.conv(x, w, (1, 2), "SAME"),
           fixed(lambda rng: ((_n(rng, 1, 2, 4, 5), _n(rng, 3, 2, 2, 2)), {}, (0, 1))),
           lambda x, w: conv_general_ref(x, w, (1, 2), "SAME")),
    _entry("conv_with_general_padding",
           lambda x, w: lax.conv_with_general_padding(x, w, (1, 2), [(1, 0), (2, 2)],
                                                      (2, 1), (1, 2)),
           fixed(lambda rng: ((_n(rng, 1, 2, 3, 4), _n(rng, 2, 2, 2, 2)), {}, (0, 1))),
           lambda x, w: conv_general_ref(x, w, (1, 2), [(1, 0), (2, 2)], (2, 1), (1, 2))),
    _entry("conv_general_dilated_patches",
           lambda x: lax.conv_general_dilated_patches(x, (2, 3), (1, 2), "SAME"),
           fixed(lambda rng: ((_n(rng, 2, 2, 4, 5),), {})),
           lambda x: patches_ref(x, (2, 3), (1, 2), "SAME")),
    # conv_transpose: the input dilated by the strides, padded by JAX's rule for
    # 'SAME' with kernel 3 stride 2 ((2, 1) when k - 1 >= s: ceil((k + s - 2) / 2) low);
    # with transpose_kernel the kernel flipped and its feature axes swapped
    _entry("conv_transpose", lambda x, w: lax.conv_transpose(x, w, (2,), "SAME"),
           fixed(lambda rng: ((_n(rng, 2, 4, 3), _n(rng, 3, 3, 2)), {}, (0, 1))),
           lambda x, w: conv_general_ref(x, w, (1,), [(2, 1)], (2,), None,
                                         ("NHC", "HIO", "NHC"))),
    _entry("conv_transpose (transpose_kernel VALID)",
           lambda x, w: lax.conv_transpose(x, w, (2, 1), "VALID", transpose_kernel=True,
                                           dimension_numbers=("NCHW", "OIHW", "NCHW")),
           fixed(lambda rng: ((_n(rng, 1, 2, 3, 3), _n(rng, 2, 3, 2, 2)), {}, (0, 1))),
           lambda x, w: conv_general_ref(
               x, np.swapaxes(w[:, :, ::-1, ::-1], 0, 1), (1, 1), [(1, 1), (1, 1)], (2, 1))),
    # ------------------------------------------------------------ windows
    _window("max SAME", -np.inf, lax.max, max, (2, 5, 4), window_dimensions=(1, 3, 2),
            window_strides=(1, 2, 1), padding="SAME"),
    _window("add dilations", 0.0, lax.add, sum, (2, 4, 3), window_dimensions=(1, 2, 2),
            window_strides=(1, 1, 2), padding=[(0, 0), (1, 0), (0, 1)], base_dilation=(1, 2, 1),
            window_dilation=(1, 1, 2)),
    _window("min pads", np.inf, lax.min, min, (3, 4), window_dimensions=(2, 2),
            window_strides=(1, 2), padding=[(1, 1), (0, 1)]),
    _window("mul", 1.0, lax.mul, math.prod, (3, 4), window_dimensions=(2, 2),
            window_strides=(1, 1), padding="VALID"),
    _window("general callable", 0.0, lambda a, b: a + b, sum, (3, 4),
            window_dimensions=(2, 3), window_strides=(1, 1), padding="SAME_LOWER"),
    # ------------------------------------------------------------ reductions
    _entry("reduce_sum", lambda x: lax.reduce_sum(x, (0, 2)),
           fixed(lambda rng: ((_n(rng, 2, 3, 4),), {})), lambda x: x.sum(axis=(0, 2))),
    _entry("reduce_prod", lambda x: lax.reduce_prod(x, (1,)),
           fixed(lambda rng: ((_n(rng, 2, 3),), {})), lambda x: x.prod(axis=1)),
    _entry("reduce_max", lambda x: lax.reduce_max(x, (1,)),
           fixed(lambda rng: ((_distinct(rng, 3, 4),), {})), lambda x: x.max(axis=1)),
    _entry("reduce_min", lambda x: lax.reduce_min(x, (0, 1)),
           fixed(lambda rng: ((_distinct(rng, 3, 4),), {})), lambda x: x.min(axis=(0, 1))),
    _entry("reduce", lambda x: lax.reduce(x, 0.0, lambda a, b: a + b, (1,)),
           fixed(lambda rng: ((_n(rng, 3, 5),), {})), lambda x: x.sum(axis=1)),
    _entry("reduce (pytree)",
           lambda x, y: lax.reduce((x, y), (0.0, 1.0), lambda a, b: (a[0] + b[0], a[1] * b[1]),
                                   (0,)),
           fixed(lambda rng: ((_n(rng, 5, 2), _n(rng, 5, 2)), {}, (0, 1))),
           lambda x, y: (x.sum(axis=0), y.prod(axis=0))),
    _exact("reduce_and", lambda x: lax.reduce_and(x, (1,)),
           fixed(lambda rng: ((rng.standard_normal((3, 4)) > -0.5,), {})),
           lambda x: x.all(axis=1)),
    _exact("reduce_or", lambda x: lax.reduce_or(x, (1,)),
           fixed(lambda rng: ((rng.integers(-9, 9, (3, 4)),), {})),
           lambda x: np.bitwise_or.reduce(x, axis=1)),
    _exact("reduce_xor", lambda x: lax.reduce_xor(x, (0,)),
           fixed(lambda rng: ((rng.integers(-9, 9, (3, 4)),), {})),
           lambda x: np.bitwise_xor.reduce(x, axis=0)),
    _exact("argmax", lambda x: lax.argmax(x, 1, np.int32),
           fixed(lambda rng: ((np.array([[1.0, 3, 3, 0], [2, np.nan, 5, np.nan]]),), {})),
           lambda x: np.array([1, 1], np.int32)),
    _exact("argmin", lambda x: lax.argmin(x, 0, np.int64),
           fixed(lambda rng: ((np.array([[1.0, 3], [1, 2], [0, 2]]),), {})),
           lambda x: np.array([2, 1])),
    # ------------------------------------------------------------ products
    _entry("dot_general", lambda a, b: lax.dot_general(a, b, (((3, 1), (0, 3)), ((0,), (1,)))),
           fixed(lambda rng: ((_n(rng, 2, 3, 2, 4), _n(rng, 4, 2, 2, 3)), {}, (0, 1))),
           lambda a, b: np.einsum("bcfk,kbgc->bfg", a, b)),
    _entry("dot", lax.dot, fixed(lambda rng: ((_n(rng, 3, 4), _n(rng, 4)), {}, (0, 1)),
                                 lambda rng: ((_n(rng, 3), _n(rng, 3, 2)), {}, (0, 1))),
           lambda a, b: a @ b),
    _entry("batch_matmul", lax.batch_matmul,
           fixed(lambda rng: ((_n(rng, 2, 3, 4), _n(rng, 2, 4, 2)), {}, (0, 1))),
           lambda a, b: a @ b),
    # ------------------------------------------------------------ scans
    _entry("associative_scan", lambda x: lax.associative_scan(lambda a, b: a * b, x, axis=1),
           fixed(*[(lambda rng, m=m: ((_n(rng, 2, m),), {})) for m in (1, 2, 5, 8)]),
           lambda x: np.cumprod(x, axis=1)),
    _entry("associative_scan (affine pytree reverse)",
           lambda a, b: lax.associative_scan(lambda p, q: (p[0] * q[0], p[1] * q[0] + q[1]),
                                             (a, b), reverse=True),
           fixed(lambda rng: ((_n(rng, 7, 2), _n(rng, 7, 2)), {}, (0, 1))),
           _affine_reverse_ref),
    _entry("cumsum", lambda x: lax.cumsum(x, 1, reverse=True),
           fixed(lambda rng: ((_n(rng, 3, 4),), {})),
           lambda x: np.cumsum(x[:, ::-1], axis=1)[:, ::-1]),
    _entry("cumprod", lambda x: lax.cumprod(x, 0),
           fixed(lambda rng: ((_n(rng, 4, 3),), {})), lambda x: np.cumprod(x, axis=0)),
    _entry("cummax", lambda x: lax.cummax(x, 1),
           fixed(lambda rng: ((_distinct(rng, 3, 5),), {})),
           lambda x: np.maximum.accumulate(x, axis=1)),
    _entry("cummin", lambda x: lax.cummin(x, 0, reverse=True),
           fixed(lambda rng: ((_distinct(rng, 5, 2),), {})),
           lambda x: np.minimum.accumulate(x[::-1], axis=0)[::-1]),
    _entry("cumlogsumexp", lambda x: lax.cumlogsumexp(x, 1),
           fixed(lambda rng: ((_n(rng, 2, 6),), {})),
           lambda x: np.logaddexp.accumulate(x, axis=1)),
    # ------------------------------------------------------------ sorts
    _entry("sort", lambda x: lax.sort(x, 0), fixed(lambda rng: ((_distinct(rng, 4, 3),), {})),
           lambda x: np.sort(x, axis=0)),
    _entry("sort (keys)", lambda v: lax.sort((np.array([2, 1, 2, 1, 0]), v), num_keys=1),
           fixed(lambda rng: ((_n(rng, 5),), {})),
           lambda v: (np.array([0, 1, 1, 2, 2]), v[[4, 1, 3, 0, 2]])),
    _entry("sort_key_val", lambda k, v: lax.sort_key_val(k, v, 1),
           fixed(lambda rng: ((_distinct(rng, 2, 4), _n(rng, 2, 4)), {}, (0, 1))),
           lambda k, v: (np.sort(k, 1), np.take_along_axis(v, np.argsort(k, 1), 1))),
    _entry("top_k", lambda x: lax.top_k(x, 2), fixed(lambda rng: ((_distinct(rng, 3, 4),), {})),
           lambda x: _top_k_ref(x, 2)),
    _exact("top_k (ties)", lambda x: lax.top_k(x, 3),
           fixed(((np.array([[1.0, 3, 3, 0, 3], [5, 4, 5, 5, -1]]),), {}, ())),
           lambda x: _top_k_ref(x, 3)),
    # ------------------------------------------------------------ shapes
    _entry("broadcast", lambda x: lax.broadcast(x, (2,)), unary(shapes=[(), (3,)]),
           lambda x: np.broadcast_to(x, (2, *x.shape))),
    _entry("broadcast_in_dim", lambda x: lax.broadcast_in_dim(x, (2, 3, 4), (0, 2)),
           fixed(lambda rng: ((_n(rng, 2, 1),), {}), lambda rng: ((_n(rng, 2, 4),), {})),
           lambda x: np.broadcast_to(x[:, None, :], (2, 3, 4))),
    _entry("reshape", lambda x: lax.reshape(x, (6, 4), (2, 0, 1)),
           fixed(lambda rng: ((_n(rng, 2, 3, 4),), {})),
           lambda x: x.transpose(2, 0, 1).reshape(6, 4)),
    _entry("transpose", lambda x: lax.transpose(x, (2, 0, 1)),
           fixed(lambda rng: ((_n(rng, 2, 3, 4),), {})), lambda x: x.transpose(2, 0, 1)),
    _entry("squeeze", lambda x: lax.squeeze(x, (0, -1)),
           fixed(lambda rng: ((_n(rng, 1, 3, 1),), {})), lambda x: x[0, :, 0]),
    _entry("expand_dims", lambda x: lax.expand_dims(x, (0, -1)),
           fixed(lambda rng: ((_n(rng, 2, 3),), {})), lambda x: x[None, :, :, None]),
    _entry("concatenate", lambda a, b: lax.concatenate([a, b], 1),
           fixed(lambda rng: ((_n(rng, 2, 3), _n(rng, 2, 1)), {}, (0, 1))),
           lambda a, b: np.concatenate([a, b], 1)),
    _entry("pad", lambda x, v: lax.pad(x, v, [(-1, 2, 1), (2, -2, 2)]),
           fixed(lambda rng: ((_n(rng, 3, 4), np.float64(rng.standard_normal())), {}, (0, 1))),
           lambda x, v: _pad_ref(x, v, [(-1, 2, 1), (2, -2, 2)])),
    _entry("pad (crop)", lambda x: lax.pad(x, 0.5, [(0, -3, 1), (1, 0, 0)]),
           fixed(lambda rng: ((_n(rng, 3, 2),), {})),
           lambda x: _pad_ref(x, 0.5, [(0, -3, 1), (1, 0, 0)])),
    _entry("slice", lambda x: lax.slice(x, (0, 1), (3, 5), (2, 2)),
           fixed(lambda rng: ((_n(rng, 3, 5),), {})), lambda x: x[0:3:2, 1:5:2]),
    _entry("slice_in_dim", lambda x: lax.slice_in_dim(x, 1, -1, 2, 1),
           fixed(lambda rng: ((_n(rng, 2, 6),), {})), lambda x: x[:, 1:-1:2]),
    _entry("index_in_dim", lambda x: lax.index_in_dim(x, -1, 1, keepdims=False),
           fixed(lambda rng: ((_n(rng, 2, 6),), {})), lambda x: x[:, -1]),
    _entry("dynamic_index_in_dim", lambda x: lax.dynamic_index_in_dim(x, 9, 0),
           fixed(lambda rng: ((_n(rng, 3, 2),), {})), lambda x: x[2:3]),
    _entry("dynamic_update_index_in_dim",
           lambda x, u: lax.dynamic_update_index_in_dim(x, u, 2, 1),
           fixed(lambda rng: ((_n(rng, 3, 4), _n(rng, 3)), {}, (0, 1))),
           lambda x, u: np.concatenate([x[:, :2], u[:, None], x[:, 3:]], 1)),
    _entry("dynamic_update_slice_in_dim",
           lambda x, u: lax.dynamic_update_slice_in_dim(x, u, 5, 1),
           fixed(lambda rng: ((_n(rng, 2, 4), _n(rng, 2, 2)), {}, (0, 1))),
           lambda x, u: np.concatenate([x[:, :2], u], 1)),
    _entry("split", lambda x: lax.split(x, (1, 3, 0, 2), 1),
           fixed(lambda rng: ((_n(rng, 2, 6),), {})),
           lambda x: [x[:, :1], x[:, 1:4], x[:, 4:4], x[:, 4:]]),
    _entry("stack", lambda a, b: lax.stack([a, b], 1),
           fixed(lambda rng: ((_n(rng, 2, 3), _n(rng, 2, 3)), {}, (0, 1))),
           lambda a, b: np.stack([a, b], 1)),
    _entry("unstack", lambda x: lax.unstack(x, 1), fixed(lambda rng: ((_n(rng, 2, 3),), {})),
           lambda x: tuple(x[:, i] for i in range(3))),
    _entry("tile", lambda x: lax.tile(x, (2, 3)), fixed(lambda rng: ((_n(rng, 2, 3),), {})),
           lambda x: np.tile(x, (2, 3))),
    _entry("broadcast_to_rank", lambda x: lax.broadcast_to_rank(x, 3),
           fixed(lambda rng: ((_n(rng, 4),), {})), lambda x: x[None, None]),
    _entry("rev", lambda x: lax.rev(x, (0, 2)), fixed(lambda rng: ((_n(rng, 2, 3, 2),), {})),
           lambda x: x[::-1, :, ::-1]),
    _entry("collapse", lambda x: lax.collapse(x, 1, 3),
           fixed(lambda rng: ((_n(rng, 2, 3, 2, 2),), {})), lambda x: x.reshape(2, 6, 2)),
    _entry("full_like", lambda x: lax.full_like(x, 2.5) * x,
           fixed(lambda rng: ((_n(rng, 2, 3),), {})), lambda x: 2.5 * x),
    _entry("full", lambda v: lax.full((2, 3), v),
           fixed(lambda rng: ((np.float64(rng.standard_normal()),), {})),
           lambda v: np.full((2, 3), v)),
    _exact("iota", lambda n: lax.iota(np.int32, n), fixed(((4,), {}, ())),
           lambda n: np.arange(n, dtype=np.int32)),
    _exact("broadcasted_iota", lambda: lax.broadcasted_iota(np.float32, (2, 3), 1),
           fixed(((), {}, ())), lambda: np.array([[0, 1, 2]] * 2, np.float32)),
    _entry("convert_element_type", lambda x: lax.convert_element_type(x, np.float64),
           fixed(lambda rng: ((_n(rng, 2, 3),), {})), lambda x: x, float32=False),
    _exact("convert_element_type (to int8)", lambda x: lax.convert_element_type(x, np.int8),
           fixed(((np.array([1.7, -1.7, 2.5, np.nan, 1e20, -1e20, 300.0]),), {})),
           _convert_ref),
    # ------------------------------------------------------------ elementwise
    _binary("add", np.add), _binary("sub", np.subtract), _binary("mul", np.multiply),
    _binary("div", np.divide, (None, Domain(0.5, 3.0))),
    _binary("rem", _rem_ref, (None, Domain(0.5, 3.0))),
    _binary("max", np.maximum), _binary("min", np.minimum),
    _binary("pow", np.power, (_POS, None)),
    _binary("atan2", np.arctan2, (None, Domain(0.3, 2.0))),
    _exact("div (int)", lax.div, fixed(((_INTS_A, _INTS_B), {}, ())), _div_int_ref),
    _exact("rem (int)", lax.rem, fixed(((_INTS_A, _INTS_B), {}, ())), _rem_ref),
    _exact("nextafter", lax.nextafter, binary(pairs=PAIRS), np.nextafter),
    _entry("integer_pow", lambda x: lax.integer_pow(x, 3), unary(shapes=SHAPES),
           lambda x: x ** 3),
    _entry("integer_pow (negative)", lambda x: lax.integer_pow(x, -2),
           unary(_POS, shapes=SHAPES), lambda x: x ** -2.0),
    _unary("neg", np.negative), _unary("abs", np.abs, _away(0.0)),
    _unary("square", np.square), _unary("sqrt", np.sqrt, _POS),
    _unary("rsqrt", lambda x: 1 / np.sqrt(x), _POS), _unary("cbrt", np.cbrt, _away(0.0)),
    _unary("reciprocal", np.reciprocal, _POS),
    _unary("exp", np.exp), _unary("exp2", np.exp2), _unary("expm1", np.expm1),
    _unary("log", np.log, _POS), _unary("log1p", np.log1p, _POS), _unary("tanh", np.tanh),
    _unary("logistic", sps.expit), _unary("sin", np.sin), _unary("cos", np.cos),
    _unary("tan", np.tan, _UNIT), _unary("asin", np.arcsin, _UNIT),
    _unary("acos", np.arccos, _UNIT), _unary("atan", np.arctan), _unary("sinh", np.sinh),
    _unary("cosh", np.cosh), _unary("asinh", np.arcsinh),
    _unary("acosh", np.arccosh, Domain(1.3, 3.0)), _unary("atanh", np.arctanh, _UNIT),
    _unary("erf", sps.erf), _unary("erfc", sps.erfc), _unary("erf_inv", sps.erfinv, _UNIT),
    _unary("lgamma", sps.gammaln, _POS), _unary("digamma", sps.digamma, _POS),
    _unary("bessel_i0e", sps.i0e), _unary("bessel_i1e", sps.i1e),
    _entry("polygamma", lambda x: lax.polygamma(np.float64(2.0), x), unary(_POS, shapes=SHAPES),
           lambda x: sps.polygamma(2, x)),
    _entry("zeta", lambda q: lax.zeta(np.float64(2.5), q), unary(_POS, shapes=SHAPES),
           lambda q: sps.zeta(2.5, q)),
    _entry("igamma", lambda x: lax.igamma(np.float64(2.0), x), unary(_POS, shapes=SHAPES),
           lambda x: sps.gammainc(2.0, x)),
    _entry("igammac", lambda x: lax.igammac(np.float64(1.5), x), unary(_POS, shapes=SHAPES),
           lambda x: sps.gammaincc(1.5, x)),
    _entry("betainc", lambda x: lax.betainc(np.float64(2.0), np.float64(3.0), x),
           unary(Domain(0.1, 0.9), shapes=SHAPES), lambda x: sps.betainc(2.0, 3.0, x)),
    _unary("sign", np.sign, _away(0.0)), _unary("floor", np.floor, _away(*_HALVES[8:])),
    _unary("ceil", np.ceil, _away(*_HALVES[8:])),
    _unary("round", lambda x: np.sign(x) * np.floor(np.abs(x) + 0.5), _away(*_HALVES)),
    _exact("round (halves)", lax.round,
           fixed(((np.array([0.5, -0.5, 1.5, 2.5, -2.5, 0.49999999999999994]),), {})),
           lambda x: np.array([1.0, -1.0, 2.0, 3.0, -3.0, 0.0])),
    _exact("round (to even)",
           lambda x: lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN),
           fixed(((np.array([0.5, -0.5, 1.5, 2.5, -2.5]),), {})), np.rint),
    _exact("is_finite", lax.is_finite,
           fixed(((np.array([1.0, np.inf, -np.inf, np.nan]),), {})), np.isfinite),
    *[_exact(name, getattr(lax, name), binary(pairs=PAIRS), ref) for name, ref in [
        ("eq", np.equal), ("ne", np.not_equal), ("lt", np.less), ("le", np.less_equal),
        ("gt", np.greater), ("ge", np.greater_equal)]],
    _entry("select_n", lambda a, b, c: lax.select_n(np.array([0, 2, 1, 1]), a, b, c),
           fixed(lambda rng: ((_n(rng, 4), _n(rng, 4), _n(rng, 4)), {}, (0, 1, 2))),
           lambda a, b, c: np.choose(np.array([0, 2, 1, 1]), [a, b, c])),
    _entry("select_n (bool)",
           lambda a, b: lax.select_n(np.array([True, False, True]), a, b),
           fixed(lambda rng: ((_n(rng, 3), _n(rng, 3)), {}, (0, 1))),
           lambda a, b: np.where([True, False, True], b, a)),
    *[_exact(name, getattr(lax, name), fixed(((_INTS_A, _INTS_B), {}, ())), ref)
      for name, ref in [("bitwise_and", np.bitwise_and), ("bitwise_or", np.bitwise_or),
                        ("bitwise_xor", np.bitwise_xor)]],
    _exact("bitwise_not", lax.bitwise_not, fixed(((_INTS_A,), {}, ())), np.invert),
    _exact("shift_left", lax.shift_left, fixed(((_INTS_A, _SHIFTS), {}, ())),
           _shift_ref("left")),
    _exact("shift_right_arithmetic", lax.shift_right_arithmetic,
           fixed(((_INTS_A * -1, _SHIFTS), {}, ())), _shift_ref("arith")),
    _exact("shift_right_logical", lax.shift_right_logical,
           fixed(((_INTS_A * -1, _SHIFTS), {}, ())), _shift_ref("logical")),
    _exact("population_count", lax.population_count, fixed(((_INTS_A,), {}, ())),
           lambda x: np.array([bin(int(v) & 0xFFFFFFFF).count("1") for v in x], np.int32)),
    _exact("clz", lax.clz, fixed(((_INTS_A,), {}, ())),
           lambda x: np.array([32 - (int(v) & 0xFFFFFFFF).bit_length() for v in x], np.int32)),
]
