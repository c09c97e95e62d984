"""Primitives behind the neural-network layers: the fused affine map and sliding windows.

linear:  x W^T + b in one node. As a composition (transpose, matmul, add) it costs
         three nodes and a transposed weight gradient that has to be copied; fused, one
         MLP training step is 10-35% faster (benchmarked on 64-64-10 and 784-256-256-10
         tanh MLPs at batch 32 and 128).
im2col:  every k_h x k_w window of a padded, strided, dilated (N, C, H, W) image, laid
         out as the columns of a (C, kh, kw, N, OH, OW) array: the building block of
         convolution (the flattened kernels times this matrix) and of pooling (a max or
         mean over the kernel axes). Its VJP is col2im, which adds each window's
         cotangent back onto the pixels it came from; col2im's VJP is im2col. Both are
         linear, so each is the other's adjoint, to every order.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import threads
from ..graph import primitive
from .shape import broadcast_to, reshape, swapaxes

# ------------------------------------------------------------------------ linear
# Up to this many rows, x W^T is computed as (W x^T)^T: OpenBLAS multiplies a
# transposed right operand 15-40% slower than a transposed left one at the sizes of
# small-batch layers (benchmarks/nn_path.py); the result is a transposed (F-ordered)
# view, which later elementwise ops and products take as they are. From this size on
# the two orders cost the same and the C-ordered product is kept.
_SMALL_BATCH = 256


def _column_major(w):
    """True for a 2-D weight stored column-major (a transposed array passed as W)."""
    flags = w.flags if type(w) is np.ndarray and w.ndim == 2 else None
    return flags is not None and flags.f_contiguous and not flags.c_contiguous


def _linear_fwd(x, w, b):
    threads.use_for(x.size * w.shape[0])  # rows x out x in multiply-adds
    if _column_major(w):
        # W^T is row-major: x W^T is the plain product, the layout the BLAS is fastest
        # at, and its result is row-major like everything downstream.
        out = np.matmul(x, w.T)
    elif np.ndim(x) == 2 and len(x) <= _SMALL_BATCH:
        out = np.matmul(w, x.T).T
    else:
        out = np.matmul(x, w.T)
    out += b
    return out


def _linear_vjp_w(g, ans, x, w, b):
    threads.use_for(g.size * x.shape[-1])
    # dW = g^T x summed over every batch row: fold batch axes into one matrix product.
    if np.ndim(x) != 2:
        g, x = reshape(g, (-1, np.shape(g)[-1])), reshape(x, (-1, np.shape(x)[-1]))
    if type(g) is np.ndarray and type(x) is np.ndarray:  # first order: plain NumPy
        if _column_major(w):
            # The gradient in its weight's layout, so the optimizer's updates combine
            # arrays of one memory order (mixed orders make elementwise ops ~3x slower).
            out = np.empty(w.shape, np.result_type(g, x), order="F")
            return np.matmul(g.T, x, out=out)
        return np.matmul(g.T, x)
    return swapaxes(g, 0, 1) @ x


def _linear_vjp_x(g, ans, x, w, b):
    threads.use_for(g.size * x.shape[-1])
    if type(x) is np.ndarray and x.ndim == 2 and x.flags.f_contiguous and not x.flags.c_contiguous:
        # x is the transposed layout of a small-batch layer below (or its activation):
        # give dx that layout too, so the elementwise rules that combine dx with arrays
        # of x's layout (tanh's g * (1 - y^2)) do not mix orders; mixed, they cost 3x.
        return np.matmul(w.T, g.T).T
    return g @ w


# y = x W^T + b:  dx = g W,  dW = g^T x,  db = g (unbroadcast: summed over batch axes).
linear = primitive("linear", _linear_fwd).defvjp(
    _linear_vjp_x,
    _linear_vjp_w,
    lambda g, ans, x, w, b: g,
).defjvp(
    lambda t, ans, x, w, b: t @ swapaxes(w, 0, 1),
    lambda t, ans, x, w, b: x @ swapaxes(t, 0, 1),
    lambda t, ans, x, w, b: broadcast_to(t, np.shape(ans)),
)


# ------------------------------------------------------------------ im2col, col2im
def window_geometry(shape, kernel_size, stride, padding, dilation, op="im2col"):
    """Output height and width of sliding a dilated kernel over a padded (N, C, H, W) input."""
    if len(shape) != 4:
        raise ValueError(f"{op}: expected an input of shape (N, C, H, W), got {tuple(shape)}")
    out = []
    for size, k, s, p, d, name in zip(shape[2:], kernel_size, stride, padding, dilation, "HW"):
        span = d * (k - 1) + 1
        if size + 2 * p < span:
            raise ValueError(
                f"{op}: input {name} = {size} (padded to {size + 2 * p}) is smaller than the "
                f"kernel's reach {span} (kernel {k}, dilation {d}); use a larger input or padding"
            )
        out.append((size + 2 * p - span) // s + 1)
    return tuple(out)


def _im2col_fwd(x, kernel_size, stride, padding, dilation, pad_value=0.0):
    oh, ow = window_geometry(x.shape, kernel_size, stride, padding, dilation)
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value)
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    win = sliding_window_view(x, (span_h, span_w), axis=(2, 3))
    win = win[:, :, : sh * (oh - 1) + 1 : sh, : sw * (ow - 1) + 1 : sw, ::dh, ::dw]
    # (N, C, OH, OW, kh, kw) -> (C, kh, kw, N, OH, OW): a (C kh kw) x (N OH OW) matrix
    # whose rows are image rows shifted by one kernel offset, so the copy reads and writes
    # contiguous runs along OW. (Putting each window in a row, (N, OH, OW, C, kh, kw),
    # measured 3x slower to build and 2-7x slower to scatter back.)
    return np.ascontiguousarray(win.transpose(1, 4, 5, 0, 2, 3))


def _col2im_fwd(cols, shape, kernel_size, stride, padding, dilation):
    n, c, h, w = shape
    oh, ow = window_geometry(shape, kernel_size, stride, padding, dilation, op="col2im")
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    if cols.shape != (c, kh, kw, n, oh, ow):
        raise ValueError(
            f"col2im: windows of shape {cols.shape} do not match input {tuple(shape)} "
            f"(expected {(c, kh, kw, n, oh, ow)})"
        )
    out = np.zeros((c, n, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    # One strided add per kernel offset (kh * kw of them), never a loop over pixels.
    for i in range(kh):
        for j in range(kw):
            out[:, :, i * dh : i * dh + sh * (oh - 1) + 1 : sh,
                j * dw : j * dw + sw * (ow - 1) + 1 : sw] += cols[:, i, j]
    return out[:, :, ph : ph + h, pw : pw + w].transpose(1, 0, 2, 3)


def _geometry(kw):
    return {k: kw[k] for k in ("kernel_size", "stride", "padding", "dilation")}


im2col = primitive("im2col", _im2col_fwd)
col2im = primitive("col2im", _col2im_fwd)

# The padding value is a constant: it carries no cotangent and no tangent.
im2col.defvjp(
    lambda g, ans, x, **kw: col2im(g, shape=np.shape(x), **_geometry(kw)),
).defjvp(
    lambda t, ans, x, **kw: im2col(t, **_geometry(kw)),
)
col2im.defvjp(
    lambda g, ans, cols, shape, **kw: im2col(g, **kw),
).defjvp(
    lambda t, ans, cols, shape, **kw: col2im(t, shape=shape, **kw),
)
