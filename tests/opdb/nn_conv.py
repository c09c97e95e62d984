"""Op database entries: the convolution family of nn.functional (convolutions and their
transposes, pooling, padding, resampling, unfold/fold, spatial transformers).

References are explicit NumPy loops (conv_references). Max pooling samples have distinct
values (no ties), grid samples keep away from pixel boundaries (the kinks of bilinear
sampling); shapes are tiny so the second-order finite differences stay fast.
"""

from __future__ import annotations

import numpy as np

import chainrule.nn.functional as F

from . import conv_references as R
from .core import OpInfo, fixed


def _entry(name, op, samples, ref=None, **kw):
    return OpInfo(f"F.{name}", op, samples, ref, list_inputs=False, **kw)


def _n(rng, *shape):
    return rng.standard_normal(shape)


def _distinct(rng, *shape):
    return rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1 + rng.uniform(0, 0.05)


def _conv_samples(n):
    sp = {1: (6,), 2: (5, 4), 3: (4, 3, 3)}[n]
    k = {1: (3,), 2: (3, 2), 3: (2, 2, 2)}[n]
    return fixed(
        lambda rng: ((_n(rng, 2, 2, *sp), _n(rng, 3, 2, *k), _n(rng, 3)), {}, (0, 1, 2)),
        lambda rng: ((_n(rng, 1, 4, *sp), _n(rng, 2, 2, *k), None),
                     {"stride": 2, "padding": 1, "dilation": 1, "groups": 2}, (0, 1)),
        lambda rng: ((_n(rng, 1, 2, *sp), _n(rng, 2, 2, *k), _n(rng, 2)),
                     {"padding": "same", "dilation": 2 if n == 1 else 1}, (0, 1, 2)),
        # unbatched (C, *spatial)
        lambda rng: ((_n(rng, 2, *sp), _n(rng, 2, 2, *k)), {"padding": "valid"}, (0, 1)),
        # depthwise (groups = in = out channels: chainrule.primitives.depthwise), stride
        # 1 on the flattened grid and stride 2 by strided views
        lambda rng: ((_n(rng, 2, 3, *sp), _n(rng, 3, 1, *k), _n(rng, 3)),
                     {"padding": 1, "groups": 3}, (0, 1, 2)),
        lambda rng: ((_n(rng, 1, 3, *sp), _n(rng, 3, 1, *k), None),
                     {"stride": 2, "padding": 1, "dilation": 2 if n == 1 else 1,
                      "groups": 3}, (0, 1)),
        lambda rng: ((_n(rng, 2, 3, *sp), _n(rng, 3, 1, *k), None),
                     {"padding": "same", "dilation": 2 if n == 1 else 1, "groups": 3}, (0, 1)),
        # pointwise (1x1, stride 1, no padding: one product, layers._pointwise), plain
        # and grouped
        lambda rng: ((_n(rng, 2, 3, *sp), _n(rng, 4, 3, *(1,) * n), _n(rng, 4)), {},
                     (0, 1, 2)),
        lambda rng: ((_n(rng, 2, 4, *sp), _n(rng, 6, 2, *(1,) * n), None), {"groups": 2},
                     (0, 1)),
    )


def _conv_ref(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    n = w.ndim - 2
    unbatched = x.ndim == n + 1
    x = x[None] if unbatched else x
    if padding == "valid":
        padding = 0
    if padding == "same":
        totals = [dilation * (k - 1) for k in w.shape[2:]]
        x = np.pad(x, [(0, 0), (0, 0)] + [(t // 2, t - t // 2) for t in totals])
        padding = 0
    out = R.conv(x, w, b, stride, padding, dilation, groups)
    return out[0] if unbatched else out


def _transpose_samples(n):
    sp = {1: (4,), 2: (3, 2), 3: (2, 2, 2)}[n]
    k = {1: (3,), 2: (2, 3), 3: (2, 2, 1)}[n]
    return fixed(
        lambda rng: ((_n(rng, 2, 2, *sp), _n(rng, 2, 3, *k), _n(rng, 3)), {}, (0, 1, 2)),
        lambda rng: ((_n(rng, 1, 4, *sp), _n(rng, 4, 1, *k), _n(rng, 2)),
                     {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2,
                      "dilation": 1}, (0, 1, 2)),
        lambda rng: ((_n(rng, 1, 2, *sp), _n(rng, 2, 2, *k), None),
                     {"stride": 3, "dilation": 2, "output_padding": 2}, (0, 1)),
        # output_padding at least the stride (allowed below the dilation)
        lambda rng: ((_n(rng, 1, 2, *sp), _n(rng, 2, 2, *k), _n(rng, 2)),
                     {"stride": 1, "padding": 1, "dilation": 3, "output_padding": 2},
                     (0, 1, 2)),
        # depthwise
        lambda rng: ((_n(rng, 2, 3, *sp), _n(rng, 3, 1, *k), _n(rng, 3)),
                     {"groups": 3}, (0, 1, 2)),
        lambda rng: ((_n(rng, 1, 3, *sp), _n(rng, 3, 1, *k), None),
                     {"stride": 2, "padding": 1, "output_padding": 1, "groups": 3}, (0, 1)),
        # pointwise (1x1, stride 1, no padding)
        lambda rng: ((_n(rng, 2, 4, *sp), _n(rng, 4, 3, *(1,) * n), _n(rng, 6)),
                     {"groups": 2}, (0, 1, 2)),
    )


def _pool_samples(n, **extra):
    sp = {1: (7,), 2: (5, 6)}[n]
    return fixed(
        lambda rng: ((_distinct(rng, 2, 2, *sp), 2), {}),
        lambda rng: ((_distinct(rng, 1, 2, *sp), 3), {"stride": 2, "padding": 1,
                                                      "ceil_mode": True, **extra}),
        lambda rng: ((_distinct(rng, 2, *sp), 2), {"stride": 1, "ceil_mode": True}),
    )


def _positive(rng, *shape):
    # (x**p over a window, then the 1/p-th power: away from 0, where it is not smooth)
    return rng.uniform(0.5, 2.0, shape)


def _lp_ref(x, p, kernel_size, stride=None, ceil_mode=False):
    """PyTorch's lp_pool: the window mean of x**p times the kernel size, to the 1/p."""
    n = len(kernel_size) if isinstance(kernel_size, tuple) else x.ndim - 2 if x.ndim > 3 \
        else 1
    k = kernel_size if isinstance(kernel_size, tuple) else (kernel_size,) * n
    mean = _unbatched(R.avg_pool, n)(x ** p, k, stride, 0, ceil_mode)
    return (mean * np.prod(k)) ** (1.0 / p)


def _unpool_args(rng, n, shape, k):
    """Values and the indices max pooling gives for them (distinct positions per plane)."""
    pool = F.max_pool1d if n == 1 else F.max_pool2d
    _, idx = pool(_distinct(rng, *shape), k, return_indices=True)
    return rng.standard_normal(np.shape(idx)), np.asarray(idx), k


def _unpool_ref(spatial):
    def ref(values, indices, k, output_size=None):
        lead = values.shape[:-spatial]
        size = tuple(output_size) if output_size is not None else tuple(
            m * k for m in values.shape[-spatial:])
        out = np.zeros(lead + (int(np.prod(size)),))
        flat_v, flat_i = values.reshape(lead + (-1,)), indices.reshape(lead + (-1,))
        for pos in np.ndindex(*lead):
            out[pos][flat_i[pos]] = flat_v[pos]
        return out.reshape(lead + size)
    return ref


def _unbatched(ref, n):
    def call(x, *args, **kw):
        if x.ndim == n + 1:
            return ref(x[None], *args, **kw)[0]
        return ref(x, *args, **kw)
    return call


def _adaptive_samples(n, sizes):
    sp = {1: (7,), 2: (5, 7), 3: (3, 4, 3)}[n]
    return fixed(*[
        (lambda rng, o=o: ((_distinct(rng, 2, 2, *sp), o), {})) for o in sizes
    ] + [lambda rng: ((_distinct(rng, 2, *sp), sizes[0]), {})])


def _pad_samples():
    return fixed(
        lambda rng: ((_n(rng, 2, 3, 4), (1, 2)), {"mode": "constant", "value": 0.5}),
        lambda rng: ((_n(rng, 1, 2, 4, 5), (1, 2, 3, 0)), {"mode": "reflect"}),
        lambda rng: ((_n(rng, 1, 2, 3, 4), (2, 1, 0, 3)), {"mode": "replicate"}),
        lambda rng: ((_n(rng, 1, 2, 3, 4), (4, 2, 1, 3)), {"mode": "circular"}),
        lambda rng: ((_n(rng, 1, 1, 2, 3, 3), (1, 1, 0, 2, 1, 0)), {"mode": "replicate"}),
        lambda rng: ((_n(rng, 2, 3), (2, 1, 1, 0)), {}),
    )


def _interpolate_samples():
    return fixed(
        lambda rng: ((_n(rng, 1, 2, 3, 4),), {"scale_factor": 2}),
        lambda rng: ((_n(rng, 1, 2, 5, 4),), {"size": (3, 7), "mode": "nearest"}),
        lambda rng: ((_n(rng, 1, 2, 5, 4),), {"size": (3, 7), "mode": "nearest-exact"}),
        lambda rng: ((_n(rng, 1, 2, 3, 4),), {"size": (5, 7), "mode": "bilinear",
                                              "align_corners": True}),
        lambda rng: ((_n(rng, 1, 2, 3, 4),), {"scale_factor": 1.5, "mode": "bilinear",
                                              "align_corners": False}),
        lambda rng: ((_n(rng, 2, 2, 5),), {"size": 3, "mode": "linear",
                                           "align_corners": False}),
        lambda rng: ((_n(rng, 1, 1, 2, 3, 2),), {"scale_factor": 2, "mode": "trilinear",
                                                 "align_corners": False}),
        lambda rng: ((_n(rng, 1, 2, 5, 7),), {"size": (2, 3), "mode": "area"}),
        lambda rng: ((_n(rng, 1, 2, 3, 4),), {"scale_factor": 1.5, "mode": "bicubic",
                                              "align_corners": False}),
        lambda rng: ((_n(rng, 1, 1, 4, 3),), {"size": (3, 5), "mode": "bicubic",
                                              "align_corners": True}),
    )


def _interpolate_ref(x, size=None, scale_factor=None, mode="nearest", align_corners=None):
    if mode == "area":
        return R.adaptive_avg_pool(x, size)
    return R.interpolate(x, size, scale_factor, mode, align_corners)


def _grid_samples(mode):
    diff = (0,) if mode == "nearest" else (0, 1)
    cases = []
    for pm in ("zeros", "border", "reflection"):
        for ac in (False, True):
            cases.append(lambda rng, pm=pm, ac=ac: (
                (_n(rng, 1, 2, 3, 4), _smooth_grid(rng, (1, 2, 3, 2), 4, 3, ac)),
                {"mode": mode, "padding_mode": pm, "align_corners": ac}, diff))
    return fixed(*cases)


def _smooth_grid(rng, shape, w, h, align_corners):
    """Grid values in [-1.4, 1.4] whose pixel coordinates are at least 0.1 from every
    multiple of 0.5 (bilinear floors, nearest rounding, border and reflection edges)."""
    out = np.empty(shape)
    for idx in np.ndindex(*shape):
        size = w if idx[-1] == 0 else h
        while True:
            g = rng.uniform(-1.4, 1.4)
            u = (g + 1) / 2 * (size - 1) if align_corners else ((g + 1) * size - 1) / 2
            if abs(u * 2 - np.round(u * 2)) > 0.2:
                break
        out[idx] = g
    return out


OPS = [
    _entry("conv1d", F.conv1d, _conv_samples(1), _conv_ref),
    _entry("conv2d", F.conv2d, _conv_samples(2), _conv_ref),
    _entry("conv3d", F.conv3d, _conv_samples(3), _conv_ref),
    _entry("conv_transpose1d", F.conv_transpose1d, _transpose_samples(1), R.conv_transpose),
    _entry("conv_transpose2d", F.conv_transpose2d, _transpose_samples(2), R.conv_transpose),
    _entry("conv_transpose3d", F.conv_transpose3d, _transpose_samples(3), R.conv_transpose),
    _entry("max_pool1d", F.max_pool1d, _pool_samples(1), _unbatched(R.max_pool, 1)),
    _entry("max_pool2d", F.max_pool2d, _pool_samples(2, dilation=1),
           _unbatched(R.max_pool, 2)),
    _entry("max_pool3d", F.max_pool3d, fixed(
        lambda rng: ((_distinct(rng, 1, 2, 4, 5, 4), 2), {}),
        lambda rng: ((_distinct(rng, 2, 3, 4, 5), (2, 3, 2)),
                     {"stride": (1, 2, 2), "padding": 1, "ceil_mode": True}),
    ), _unbatched(R.max_pool, 3)),
    _entry("avg_pool3d", F.avg_pool3d, fixed(
        lambda rng: ((_n(rng, 1, 2, 4, 4, 4), 2), {}),
        lambda rng: ((_n(rng, 2, 3, 5, 4), (3, 2, 2)),
                     {"stride": 2, "padding": 1, "count_include_pad": False}),
    ), _unbatched(R.avg_pool, 3)),
    _entry("max_unpool1d", F.max_unpool1d, fixed(
        lambda rng: (_unpool_args(rng, 1, (2, 3, 8), 2), {}, (0,)),
        lambda rng: (_unpool_args(rng, 1, (2, 7), 3), {"output_size": (8,)}, (0,)),
    ), _unpool_ref(1)),
    _entry("max_unpool2d", F.max_unpool2d, fixed(
        lambda rng: (_unpool_args(rng, 2, (1, 2, 4, 6), 2), {}, (0,)),
        lambda rng: (_unpool_args(rng, 2, (2, 5, 7), 2), {"output_size": (5, 7)}, (0,)),
    ), _unpool_ref(2)),
    _entry("lp_pool1d", F.lp_pool1d, fixed(
        lambda rng: ((_positive(rng, 2, 3, 7), 2, 3), {}),
        lambda rng: ((_positive(rng, 3, 7), 3, 2), {"stride": 1, "ceil_mode": True}),
    ), _lp_ref),
    _entry("lp_pool2d", F.lp_pool2d, fixed(
        lambda rng: ((_positive(rng, 1, 2, 5, 6), 2, 2), {}),
        lambda rng: ((_positive(rng, 2, 5, 6), 1.5, (3, 2)), {"stride": 2, "ceil_mode": True}),
    ), _lp_ref),
    _entry("lp_pool3d", F.lp_pool3d, fixed(
        lambda rng: ((_positive(rng, 1, 2, 4, 4, 5), 2, 2), {}),
    ), _lp_ref),
    _entry("avg_pool1d", F.avg_pool1d, _pool_samples(1, count_include_pad=False),
           _unbatched(R.avg_pool, 1)),
    _entry("avg_pool2d", F.avg_pool2d, fixed(
        lambda rng: ((_n(rng, 2, 2, 4, 4), 2), {}),
        lambda rng: ((_n(rng, 1, 2, 5, 6), 3), {"stride": 2, "padding": 1, "ceil_mode": True}),
        lambda rng: ((_n(rng, 1, 2, 5, 6), (3, 2)),
                     {"stride": 2, "padding": 1, "count_include_pad": False}),
        lambda rng: ((_n(rng, 2, 5, 6), 2), {"stride": 2, "ceil_mode": True,
                                             "divisor_override": 3}),
    ), _unbatched(R.avg_pool, 2)),
    _entry("adaptive_avg_pool1d", F.adaptive_avg_pool1d, _adaptive_samples(1, [3, 1, 7, 9]),
           _unbatched(R.adaptive_avg_pool, 1)),
    _entry("adaptive_avg_pool2d", F.adaptive_avg_pool2d,
           _adaptive_samples(2, [(2, 3), 1, (None, 4), (6, 7)]),
           _unbatched(R.adaptive_avg_pool, 2)),
    _entry("adaptive_avg_pool3d", F.adaptive_avg_pool3d, _adaptive_samples(3, [(2, 3, 2)]),
           _unbatched(R.adaptive_avg_pool, 3)),
    _entry("adaptive_max_pool1d", F.adaptive_max_pool1d, _adaptive_samples(1, [3, 1, 5]),
           _unbatched(R.adaptive_max_pool, 1)),
    _entry("adaptive_max_pool2d", F.adaptive_max_pool2d,
           _adaptive_samples(2, [(2, 3), 1, (4, None)]), _unbatched(R.adaptive_max_pool, 2)),
    _entry("adaptive_max_pool3d", F.adaptive_max_pool3d,
           _adaptive_samples(3, [(2, 3, 2), 1]), _unbatched(R.adaptive_max_pool, 3)),
    # (traces=False: the windows' maxima are chosen from the values, which a trace could
    # not recompute; tests/test_nn_pooling.py checks the refusal)
    _entry("fractional_max_pool2d", F.fractional_max_pool2d, fixed(
        lambda rng: ((_distinct(rng, 2, 2, 7, 6), 2),
                     {"output_size": (3, 4), "_random_samples": rng.random((2, 2, 2))}),
        lambda rng: ((_distinct(rng, 1, 3, 9, 5), (3, 2)),
                     {"output_size": (4, 3), "_random_samples": rng.random((1, 3, 2))}),
        lambda rng: ((_distinct(rng, 2, 5, 6), 2),
                     {"output_size": 1, "_random_samples": rng.random((1, 2, 2))}),
    ), _unbatched(R.fractional_max_pool, 2), traces=False),
    _entry("fractional_max_pool3d", F.fractional_max_pool3d, fixed(
        lambda rng: ((_distinct(rng, 1, 2, 5, 6, 5), 2),
                     {"output_size": (3, 2, 3), "_random_samples": rng.random((1, 2, 3))}),
    ), _unbatched(R.fractional_max_pool, 3), traces=False),
    _entry("pad", F.pad, _pad_samples(), R.pad),
    _entry("interpolate", F.interpolate, _interpolate_samples(), _interpolate_ref),
    _entry("interpolate (antialias)", F.interpolate, fixed(
        lambda rng: ((_n(rng, 1, 2, 7, 9),), {"size": (3, 4), "mode": "bilinear",
                                              "antialias": True}),
        lambda rng: ((_n(rng, 1, 1, 8, 5),), {"scale_factor": (0.4, 1.5), "mode": "bicubic",
                                              "antialias": True}),
        lambda rng: ((_n(rng, 1, 1, 6, 6),), {"size": (2, 3), "mode": "bilinear",
                                              "align_corners": True, "antialias": True}),
    ), lambda x, antialias, **kw: R.interpolate_antialiased(x, **kw)),
    _entry("upsample", F.upsample, fixed(
        lambda rng: ((_n(rng, 1, 2, 3, 4),), {"scale_factor": 2, "mode": "bilinear",
                                              "align_corners": True})),
        _interpolate_ref),
    _entry("unfold", F.unfold, fixed(
        lambda rng: ((_n(rng, 2, 2, 4, 5), 2), {}),
        lambda rng: ((_n(rng, 1, 2, 5, 5), (2, 3)), {"dilation": (2, 1), "padding": 1,
                                                     "stride": (1, 2)}),
    ), R.unfold),
    _entry("fold", F.fold, fixed(
        lambda rng: ((_n(rng, 2, 8, 12), (4, 5), 2), {}),
        lambda rng: ((_n(rng, 1, 12, 9), (5, 5), (2, 3)),
                     {"dilation": (2, 1), "padding": 1, "stride": (2, 2)}),
    ), R.fold),
    _entry("affine_grid", F.affine_grid, fixed(
        lambda rng: ((_n(rng, 2, 2, 3), (2, 3, 4, 5)), {"align_corners": False}),
        lambda rng: ((_n(rng, 1, 2, 3), (1, 1, 3, 1)), {"align_corners": True}),
    ), R.affine_grid),
    _entry("grid_sample", F.grid_sample, _grid_samples("bilinear"), R.grid_sample),
    _entry("grid_sample (nearest)", F.grid_sample, _grid_samples("nearest"), R.grid_sample),
    _entry("grid_sample (bicubic)", F.grid_sample, _grid_samples("bicubic"), R.grid_sample),
]
