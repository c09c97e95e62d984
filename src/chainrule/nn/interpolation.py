"""Resizing and window extraction: F.interpolate (Upsample), F.unfold and F.fold.

interpolate is linear in its input: 'nearest' and 'nearest-exact' gather one source
cell per output cell (their gradients add back onto the sources); 'linear',
'bilinear', 'bicubic', 'trilinear' and 'area' multiply each spatial axis by a constant
(out, in) matrix of weights, so every order's gradient is the transposed matrices'. Source
coordinates follow PyTorch (aten's area_pixel_compute_source_index and nearest_idx),
shortcuts included (an axis of unchanged size copied; interpolate's comments):

    nearest:        src = min(floor(dst * scale), in - 1)
    nearest-exact:  src = min(floor((dst + 0.5) * scale), in - 1)
    linear, align_corners=True:   src = dst (in - 1) / (out - 1)
    linear, align_corners=False:  src = max((dst + 0.5) * scale - 0.5, 0)

with scale = 1 / scale_factor when scale_factor is given (and not recomputed), else
in / out; a linear source src weighs cells floor(src) and floor(src) + 1 (clamped) by
1 - frac(src) and frac(src).
"""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from ..primitives import layers
from .arguments import data, shape
from .conv_functions import batched
from .module import Module
from .padding import ntuple
from .pooling import _averaging, along_axes

__all__ = ["fold", "interpolate", "unfold", "upsample"]

_LINEAR = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")


def _sizes(fn, in_size, size, scale_factor, recompute_scale_factor):
    """(output sizes, the scales the coordinates use: 1/scale_factor or None per axis)."""
    n = len(in_size)
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{fn}: give exactly one of size and scale_factor")
    if size is not None:
        out = ntuple(size, n, fn, "size", 1)
        return out, [None] * n
    factors = (scale_factor,) * n if np.ndim(scale_factor) == 0 else tuple(scale_factor)
    if len(factors) != n or any(not f > 0 for f in factors):
        raise ValueError(f"{fn}: scale_factor must be a positive number or a tuple of {n}, "
                         f"got {scale_factor!r}")
    out = tuple(int(np.floor(m * float(f))) for m, f in zip(in_size, factors))
    if any(o < 1 for o in out):
        raise ValueError(f"{fn}: scale_factor {scale_factor!r} gives an empty output {out}")
    if recompute_scale_factor:
        return out, [None] * n
    return out, [float(f) for f in factors]


def _scale(m, o, factor):
    """PyTorch's float32 scale of the coordinate map (1/scale_factor or in/out)."""
    return np.float32(1.0 / factor) if factor is not None else np.float32(m / o)


def _nearest_index(m, o, factor, exact):
    dst = np.arange(o, dtype=np.float32) + (np.float32(0.5) if exact else np.float32(0))
    src = np.floor(dst * _scale(m, o, factor)).astype(np.int64)
    return np.minimum(src, m - 1)


def _linear_matrix(m, o, factor, align_corners, dtype):
    """The (o, m) matrix of linear interpolation weights along one axis."""
    dst = np.arange(o, dtype=np.float64)
    if align_corners:
        src = dst * ((m - 1) / (o - 1) if o > 1 else 0.0)
    else:
        scale = 1.0 / factor if factor is not None else m / o
        src = np.maximum((dst + 0.5) * scale - 0.5, 0.0)
    lo = np.minimum(np.floor(src).astype(np.int64), m - 1)
    hi = np.minimum(lo + 1, m - 1)
    frac = src - lo
    mat = np.zeros((o, m))
    np.add.at(mat, (np.arange(o), lo), 1.0 - frac)
    np.add.at(mat, (np.arange(o), hi), frac)
    return mat.astype(dtype)


def _cubic_matrix(m, o, factor, align_corners, dtype, a=-0.75):
    """The (o, m) matrix of PyTorch's bicubic weights along one axis (Keys' kernel with
    a = -0.75, four taps at floor(src) - 1 .. + 2, indices clamped to the axis; src not
    clamped at 0 as the linear modes clamp it)."""
    dst = np.arange(o, dtype=np.float64)
    if align_corners:
        src = dst * ((m - 1) / (o - 1) if o > 1 else 0.0)
    else:
        src = (dst + 0.5) * (1.0 / factor if factor is not None else m / o) - 0.5
    lo = np.floor(src)
    t = src - lo

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    mat = np.zeros((o, m))
    rows = np.arange(o)
    for tap, weight in ((-1, far(t + 1)), (0, near(t)), (1, near(1 - t)), (2, far(2 - t))):
        np.add.at(mat, (rows, np.clip(lo.astype(np.int64) + tap, 0, m - 1)), weight)
    return mat.astype(dtype)


def _antialiased_matrix(m, o, factor, align_corners, dtype, cubic):
    """The (o, m) matrix of PyTorch's antialiased weights along one axis (aten's
    _compute_weights_aa): when shrinking (scale = in/out > 1) the filter (triangle for
    bilinear, Keys' cubic with a = -0.5 for bicubic) is stretched by the scale, so each
    output averages every input cell under it; each row is normalised to sum 1."""
    if align_corners:
        scale = (m - 1) / (o - 1) if o > 1 else 0.0
    else:
        scale = 1.0 / factor if factor is not None else m / o
    half = 2.0 if cubic else 1.0  # the filter's support at scale 1
    support = half * scale if scale >= 1.0 else half
    inv = 1.0 / scale if scale >= 1.0 else 1.0

    def kernel(x):
        x = np.abs(x)
        if not cubic:
            return np.maximum(0.0, 1.0 - x)
        a = -0.5
        near = ((a + 2) * x - (a + 3)) * x * x + 1
        far = (((x - 5) * x + 8) * x - 4) * a
        return np.where(x < 1, near, np.where(x < 2, far, 0.0))

    mat = np.zeros((o, m))
    for i in range(o):
        center = scale * (i + 0.5)
        lo = max(int(center - support + 0.5), 0)  # (C++'s truncating casts)
        hi = min(int(center + support + 0.5), m)
        w = kernel((np.arange(lo, hi) - center + 0.5) * inv)
        total = w.sum()
        mat[i, lo:hi] = w / total if total != 0 else w
    return mat.astype(dtype)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial axes of an (N, C, *spatial) input, as PyTorch's F.interpolate.

    mode: 'nearest', 'nearest-exact', 'linear' (3-D input), 'bilinear' and 'bicubic'
    (4-D; bicubic can overshoot the input's range, as PyTorch's), 'trilinear' (5-D),
    'area' (adaptive average pooling). ``align_corners`` (linear
    modes only, default False) maps the corner cells' centres onto each other.
    ``antialias`` (bilinear and bicubic): when shrinking, each output averages all the
    input cells under its stretched filter, as PyTorch's (and PIL's) resampling does.
    """
    fn = "interpolate"
    if mode not in MODES:
        raise ValueError(f"{fn}: mode must be one of {MODES}, got {mode!r}")
    if antialias and mode not in ("bilinear", "bicubic"):
        raise ValueError(f"{fn}: anti-alias option is only supported for bilinear and bicubic "
                         f"modes, got {mode!r}")
    s = shape(input)
    if len(s) not in (3, 4, 5):
        raise ValueError(f"{fn}: expected an input (N, C, *spatial) with 1-3 spatial axes, "
                         f"got shape {s}")
    n = len(s) - 2
    if mode in _LINEAR and _LINEAR[mode] != n:
        raise ValueError(f"{fn}: mode {mode!r} needs a {_LINEAR[mode] + 2}-D input, got {s}")
    if align_corners is not None and mode not in _LINEAR:
        raise ValueError(f"{fn}: align_corners can only be set with the interpolating modes "
                         f"linear, bilinear, bicubic, trilinear (not {mode!r})")
    out, factors = _sizes(fn, s[2:], size, scale_factor, recompute_scale_factor)
    dtype = data(input).dtype if data(input).dtype.kind == "f" else np.float64
    if mode in ("nearest", "nearest-exact"):
        # PyTorch's 2-D 'nearest' kernel (aten's nearest_idx) copies an axis whose size
        # is unchanged and halves the index of one exactly doubled, whatever scale_factor
        # says; its 1-D and 3-D kernels and 'nearest-exact' always use the formula.
        shortcuts = mode == "nearest" and n == 2
        x = input
        for axis, (m, o, f) in enumerate(zip(s[2:], out, factors)):
            if m == o and (shortcuts or f is None):
                continue
            index = (np.arange(o) // 2 if shortcuts and o == 2 * m
                     else _nearest_index(m, o, f, mode == "nearest-exact"))
            x = P.take(x, index, axis=2 + axis)
        return P.copy(x) if x is input else x  # a new tensor at the same size too
    if antialias:
        mats = [_antialiased_matrix(m, o, f, bool(align_corners), dtype, mode == "bicubic")
                for m, o, f in zip(s[2:], out, factors)]
    elif mode == "area":
        mats = [_averaging(m, o, dtype) for m, o in zip(s[2:], out)]
    elif mode == "bicubic":
        mats = [_cubic_matrix(m, o, f, bool(align_corners), dtype)
                for m, o, f in zip(s[2:], out, factors)]
    else:
        mats = [_linear_matrix(m, o, f, bool(align_corners), dtype)
                for m, o, f in zip(s[2:], out, factors)]
    if antialias or mode in ("linear", "bilinear", "trilinear"):
        # (PyTorch's linear kernels copy an axis whose size is unchanged, whatever
        # scale_factor says; its plain bicubic kernel applies the formula)
        mats = [np.eye(m, dtype=dtype) if m == o else w for w, m, o in zip(mats, s[2:], out)]
    return along_axes(input, mats)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """PyTorch's deprecated F.upsample: F.interpolate."""
    return interpolate(input, size, scale_factor, mode, align_corners)


# ---------------------------------------------------------------- unfold and fold
def _fold_args(fn, kernel_size, dilation, padding, stride):
    return {"kernel_size": ntuple(kernel_size, 2, fn, "kernel_size", 1),
            "stride": ntuple(stride, 2, fn, "stride", 1),
            "padding": ntuple(padding, 2, fn, "padding", 0),
            "dilation": ntuple(dilation, 2, fn, "dilation", 1)}


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """The sliding windows of an (N, C, H, W) image as columns: (N, C kh kw, L), L the
    number of windows; row c kh kw + i kw + j holds channel c's offset (i, j)."""
    x, unbatched = batched(input, 2, "unfold")
    geo = _fold_args("unfold", kernel_size, dilation, padding, stride)
    cols = layers.im2col(x, **geo)  # (C, kh, kw, N, OH, OW)
    c, kh, kw, nb, oh, ow = shape(cols)
    out = P.swapaxes(P.reshape(cols, (c * kh * kw, nb, oh * ow)), 0, 1)
    return P.squeeze(out, 0) if unbatched else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The adjoint of unfold: (N, C kh kw, L) columns summed back into (N, C, *output_size)
    images (overlapping windows add)."""
    fn = "fold"
    s = shape(input)
    if len(s) not in (2, 3):
        raise ValueError(f"{fn}: expected input (N, C kh kw, L) or (C kh kw, L), got {s}")
    x = P.expand_dims(input, 0) if len(s) == 2 else input
    nb, ck, length = shape(x)
    geo = _fold_args(fn, kernel_size, dilation, padding, stride)
    size = ntuple(output_size, 2, fn, "output_size", 1)
    kh, kw = geo["kernel_size"]
    if ck % (kh * kw):
        raise ValueError(f"{fn}: input's axis 1 ({ck}) must be divisible by the kernel's "
                         f"size {kh} x {kw}")
    c = ck // (kh * kw)
    oh, ow = layers.window_geometry((nb, c) + size, geo["kernel_size"], geo["stride"],
                                    geo["padding"], geo["dilation"], op=fn)
    if length != oh * ow:
        raise ValueError(f"{fn}: input has {length} windows, but output_size {size} with "
                         f"these kernel_size, dilation, padding and stride has {oh} x {ow} "
                         f"= {oh * ow}")
    cols = P.reshape(P.swapaxes(x, 0, 1), (c, kh, kw, nb, oh, ow))
    out = layers.col2im(cols, shape=(nb, c) + size, **geo)
    return P.squeeze(out, 0) if len(s) == 2 else out


# ------------------------------------------------------------------------ modules
class Upsample(Module):
    """Resize the spatial axes: F.interpolate with these arguments."""

    def __init__(
        self,
        size: int | tuple[int, ...] | None = None,
        scale_factor: float | tuple[float, ...] | None = None,
        mode: str = 'nearest',
        align_corners: bool | None = None,
        recompute_scale_factor: bool | None = None,
    ) -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"Upsample: mode must be one of {MODES}, got {mode!r}")
        self.size = size
        self.scale_factor = None if scale_factor is None else (
            float(scale_factor) if np.ndim(scale_factor) == 0 else tuple(map(float, scale_factor)))
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self):
        what = (f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None
                else f"size={self.size!r}")
        return f"{what}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Upsample with mode 'nearest' (PyTorch's older name)."""

    def __init__(
        self,
        size: int | tuple[int, ...] | None = None,
        scale_factor: float | tuple[float, ...] | None = None,
    ) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Upsample with mode 'bilinear' and align_corners=True (PyTorch's older name)."""

    def __init__(
        self,
        size: int | tuple[int, ...] | None = None,
        scale_factor: float | tuple[float, ...] | None = None,
    ) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class Unfold(Module):
    """F.unfold: (N, C, H, W) -> (N, C kh kw, L) sliding windows as columns."""

    def __init__(
        self,
        kernel_size: int | tuple[int, ...],
        dilation: int | tuple[int, ...] = 1,
        padding: int | tuple[int, ...] = 0,
        stride: int | tuple[int, ...] = 1,
    ) -> None:
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input):
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Unfold):
    """F.fold: (N, C kh kw, L) columns summed back into (N, C, *output_size) images."""

    def __init__(
        self,
        output_size: int | None | tuple[int | None, ...],
        kernel_size: int | tuple[int, ...],
        dilation: int | tuple[int, ...] = 1,
        padding: int | tuple[int, ...] = 0,
        stride: int | tuple[int, ...] = 1,
    ) -> None:
        super().__init__(kernel_size, dilation, padding, stride)
        self.output_size = output_size

    def forward(self, input):
        return fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                    self.stride)

    def extra_repr(self):
        return f"output_size={self.output_size}, " + super().extra_repr()
