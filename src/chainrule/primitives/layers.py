"""Primitives behind the neural-network layers: the fused affine map and sliding windows.

linear:  x W^T + b in one node. As a composition (transpose, matmul, add) it costs
         three nodes and a transposed weight gradient that has to be copied; fused, one
         MLP training step is 10-35% faster (benchmarked on 64-64-10 and 784-256-256-10
         tanh MLPs at batch 32 and 128).
im2col:  every window of a padded, strided, dilated (N, C, *spatial) image (1-3 spatial
         axes), laid out as the columns of a (C, *kernel, N, *out) array: the building
         block of pooling (a max or mean over the kernel axes) and of F.unfold. Its VJP
         is col2im, which adds each window's cotangent back onto the pixels it came from
         (F.fold); col2im's VJP is im2col. Both are linear, so each is the other's
         adjoint, to every order.
conv:    the convolution over 1, 2 or 3 spatial axes in one node, with the two products
         of its backward as primitives of their own (conv_transpose, the transposed
         convolution, which is also F.conv_transpose1d/2d/3d, and conv_weight_grad).
         Each of the three is bilinear, and the VJPs of each are the other two, so the
         three serve every order. Their NumPy kernels build the window matrix a few
         images at a time in a small buffer, multiply it at once, and never keep it: the
         composition im2col -> matmul kept a column matrix nine times the input's size
         alive from forward to backward and wrote it to fresh memory every step
         (docs/performance.md). (conv2d, conv2d_input_grad and conv2d_weight_grad are
         their former names.) Their cr.vmap rule is in conv_batching.
max_pool2d: the maximum over each window (any number of spatial axes, despite the
         name), as prod(kernel) elementwise maxima of strided views of the input (no
         window copy); its VJP max_pool2d_scatter puts each window's cotangent back on
         its maximum (the first of equal maxima, PyTorch's index), and
         max_pool2d_gather, its adjoint, reads a tangent there (the JVP).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import batching as B
from .. import graph, threads
from .. import statements as S
from ..domains import Example
from ..graph import is_tensor
from ..rules import primitive
from . import depthwise, reductions, scratch
from .conv_batching import conv_batch
from .depthwise import offsets as _offsets
from .pointwise import stop_gradient
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


def _elements(g):
    """g's element count; under create_graph g is a tensor, maybe a front end's whose
    ``size`` is a method."""
    return g.size if type(g) is np.ndarray else math.prod(g.shape)


def _linear_fwd(x, w, b):
    work = x.size * w.shape[0]  # rows x out x in multiply-adds
    if work >= threads.PARALLEL_WORK or threads.current != 1:
        threads.use_for(work)
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
    work = _elements(g) * x.shape[-1]
    if work >= threads.PARALLEL_WORK or threads.current != 1:
        threads.use_for(work)
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
    work = _elements(g) * x.shape[-1]
    if work >= threads.PARALLEL_WORK or threads.current != 1:
        threads.use_for(work)
    if type(x) is np.ndarray and x.ndim == 2 and x.flags.f_contiguous and not x.flags.c_contiguous:
        # x is the transposed layout of a small-batch layer below (or its activation):
        # give dx that layout too, so the elementwise rules that combine dx with arrays
        # of x's layout (tanh's g * (1 - y^2)) do not mix orders; mixed, they cost 3x.
        return np.matmul(w.T, g.T).T
    return g @ w


# y = x W^T + b:  dx = g W,  dW = g^T x,  db = g (unbroadcast: summed over batch axes).
linear = primitive(
    "linear", _linear_fwd,
    batch=B.linear_rule,
    domain=Example(lambda rng: (tuple(rng.standard_normal(s) for s in ((3, 4), (2, 4), (2,))), {})),
    statement=S.Statement(
        forward="y = x W^T + b, the affine layer fused into one primitive",
        vjp="x_bar = g W;  W_bar = g^T x (over all batch rows);  b_bar = g summed to b",
        latex_forward=r"y = x W^\top + b",
        latex_vjp=r"\bar x = \bar y W, \quad \bar W = \bar y^\top x, \quad \bar b = "
        r"\textstyle\sum \bar y",
    ),
).defvjp(
    _linear_vjp_x,
    _linear_vjp_w,
    lambda g, ans, x, w, b: g,
).defjvp(
    lambda t, ans, x, w, b: t @ swapaxes(w, 0, 1),
    lambda t, ans, x, w, b: x @ swapaxes(t, 0, 1),
    lambda t, ans, x, w, b: broadcast_to(t, np.shape(ans)),
)


# ------------------------------------------------------------------ im2col, col2im
_IMAGE = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}


def window_geometry(shape, kernel_size, stride, padding, dilation, op="im2col"):
    """Output size of sliding a dilated kernel over a padded (N, C, *spatial) input.

    One size per spatial axis: (size + 2 p - d (k - 1) - 1) // s + 1.
    """
    d = len(kernel_size)
    if len(shape) != d + 2:
        raise ValueError(f"{op}: expected an input of shape {_IMAGE.get(d, '(N, C, ...)')}, "
                         f"got {tuple(shape)}")
    out = []
    names = "HW" if d == 2 else [f"axis {2 + i}" for i in range(d)]
    for size, k, s, p, dl, name in zip(shape[2:], kernel_size, stride, padding, dilation, names):
        span = dl * (k - 1) + 1
        if size + 2 * p < span:
            raise ValueError(
                f"{op}: input {name} = {size} (padded to {size + 2 * p}) is smaller than the "
                f"kernel's reach {span} (kernel {k}, dilation {dl}); use a larger input or padding"
            )
        out.append((size + 2 * p - span) // s + 1)
    return tuple(out)


def _padded(x, padding, value=0.0, reuse=False):
    """x with ``padding`` values on both sides of each spatial axis, in x's memory order
    (a channel-major input stays channel-major). (np.pad costs about 80 us of Python
    per call, most of a small convolution's time.) With ``reuse``, a scratch buffer
    (scratch.py): only for a kernel that reads it and lets no view of it out."""
    if not any(padding):
        return x
    x = np.asarray(x)
    if x.dtype.kind in "iub" and not np.isfinite(value):  # (max pooling's -inf, on integers)
        info = np.iinfo(x.dtype) if x.dtype.kind != "b" else None
        value = (info.min if value < 0 else info.max) if info else value > 0
    shape = x.shape[:2] + tuple(m + 2 * p for m, p in zip(x.shape[2:], padding))
    major = x.ndim > 2 and x.strides[0] < x.strides[1]  # channel-major, as kernels write
    memory = (shape[1], shape[0]) + shape[2:] if major else shape
    if reuse:  # (the tag names the interior written below: the border keeps `value`)
        xp = scratch.buffer(("padded", tuple(padding), x.shape[2:]), memory, x.dtype, value)
    else:
        xp = np.full(memory, value, x.dtype)
    if major:
        xp = xp.swapaxes(0, 1)
    xp[(slice(None), slice(None)) + tuple(slice(p, p + m) for p, m in
                                          zip(padding, x.shape[2:]))] = x
    return xp


def _window_view(xp, kernel_size, stride, dilation, out):
    """The (C, *kernel, N, *out) windows of an already padded (N, C, *spatial) input, as a view."""
    nd = len(kernel_size)
    spans = tuple(d * (k - 1) + 1 for k, d in zip(kernel_size, dilation))
    win = sliding_window_view(xp, spans, axis=tuple(range(2, 2 + nd)))
    win = win[(slice(None), slice(None))
              + tuple(slice(None, s * (o - 1) + 1, s) for s, o in zip(stride, out))
              + tuple(slice(None, None, d) for d in dilation)]
    # (N, C, *out, *kernel) -> (C, *kernel, N, *out): a (C k...) x (N out...) matrix
    # whose rows are image rows shifted by one kernel offset, so the copy reads and writes
    # contiguous runs along the last axis. (Putting each window in a row, (N, OH, OW, C,
    # kh, kw), measured 3x slower to build and 2-7x slower to scatter back.)
    return win.transpose((1,) + tuple(range(2 + nd, 2 + 2 * nd)) + (0,)
                         + tuple(range(2, 2 + nd)))


def _im2col_fwd(x, kernel_size, stride, padding, dilation, pad_value=0.0):
    out = window_geometry(x.shape, kernel_size, stride, padding, dilation)
    xp = _padded(x, padding, pad_value)
    return np.ascontiguousarray(_window_view(xp, kernel_size, stride, dilation, out))


def _add_windows(dst, win, kernel_size, stride, dilation, out):
    """Add the (C, *kernel, N, *out) windows onto the padded (C, N, *spatial) image dst:
    one strided add per kernel offset, never a loop over pixels."""
    for idx, sl in _offsets(kernel_size, stride, dilation, out):
        dst[(slice(None), slice(None)) + sl] += win[(slice(None),) + idx]


def _unpadded(padded, shape, padding):
    """The (N, C, *spatial) image of ``shape`` inside the padded (C, N, ...) array."""
    inner = tuple(slice(p, p + n) for p, n in zip(padding, shape[2:]))
    return padded[(slice(None), slice(None)) + inner].swapaxes(0, 1)


def _col2im_fwd(cols, shape, kernel_size, stride, padding, dilation):
    n, c = shape[:2]
    out = window_geometry(shape, kernel_size, stride, padding, dilation, op="col2im")
    want = (c, *kernel_size, n, *out)
    if cols.shape != want:
        raise ValueError(
            f"col2im: windows of shape {cols.shape} do not match input {tuple(shape)} "
            f"(expected {want})"
        )
    dst = np.zeros((c, n) + tuple(m + 2 * p for m, p in zip(shape[2:], padding)), cols.dtype)
    _add_windows(dst, cols, kernel_size, stride, dilation, out)
    return _unpadded(dst, shape, padding)


def _geometry(kw):
    return {k: kw[k] for k in ("kernel_size", "stride", "padding", "dilation")}


_WINDOWS = {"kernel_size": (2, 2), "stride": (1, 1), "padding": (0, 0), "dilation": (1, 1)}

# Affine in x (the padding value is a constant, carrying no cotangent and no tangent):
# the tangent's windows are taken with zero padding.
im2col = primitive(
    "im2col", _im2col_fwd,
    domain=Example(lambda rng: ((rng.standard_normal((1, 2, 4, 4)),), dict(_WINDOWS))),
    statement=S.Statement(
        forward="the sliding windows of an (N, C, H, W) image, one window's C kh kw values "
        "per output pixel",
        vjp="x_bar = col2im(g): each window's cotangent added back where it was read",
        latex_forward=r"w_{n,p,q}[c,i,j] = x_{n,c,\, s p + d i,\, s q + d j}",
        latex_vjp=r"\bar x = \operatorname{col2im}(\bar y)",
    ),
).defvjp(
    lambda g, ans, x, **kw: col2im(g, shape=np.shape(x), **_geometry(kw)),
).defjvp(
    lambda t, ans, x, **kw: im2col(t, **_geometry(kw)),
)

col2im = primitive(
    "col2im", _col2im_fwd,
    linear=True,
    domain=Example(
        lambda rng: (
            # The windows' layout is im2col's: take the shape from it.
            (rng.standard_normal(np.shape(im2col(np.zeros((1, 2, 4, 4)), **_WINDOWS))),),
            {"shape": (1, 2, 4, 4), **_WINDOWS},
        )
    ),
    statement=S.Statement(
        forward="windows (in im2col's layout) summed back into an image (N, C, H, W)",
        vjp="cols_bar = im2col(g)",
        latex_forward=r"y = \operatorname{col2im}(\text{cols})",
        latex_vjp=r"\overline{\text{cols}} = \operatorname{im2col}(\bar y)",
    ),
).defvjp(lambda g, ans, cols, shape, **kw: im2col(g, **kw))


# ------------------------------------------------------------------- convolution
# One N-d implementation: a 1-d, 2-d or 3-d convolution is the same kernel over one, two
# or three spatial axes (the kernel's shape says how many).
#
# The window matrix of a convolution is prod(kernel) times its input. It is built for a
# few images at a time into one buffer of about this many bytes, which stays in the
# caches between being written and being multiplied, instead of in a fresh array of the
# whole batch's columns (42 MB for a 32 -> 64 3x3 layer at batch 64, which the kernel has
# to hand out zeroed page by page every step). The size was chosen by measurement on the
# MNIST- and ResNet-style steps: docs/performance.md, "Convolution and pooling".
_CHUNK_BYTES = 2**22


def _fill_columns(cols, xp, a, z, kernel_size, stride, dilation, out):
    """Write the windows of images a..z of xp into the (groups, k, >= (z-a) prod(out))
    buffer; return the (groups, k, (z-a) prod(out)) matrix."""
    mat = cols[:, :, : (z - a) * math.prod(out)]
    c = xp.shape[1]
    np.copyto(mat.reshape((c,) + tuple(kernel_size) + (z - a,) + tuple(out)),
              _window_view(xp[a:z], kernel_size, stride, dilation, out))
    return mat


def _buffers(op, x_shape, w_shape, dtype, stride, padding, dilation, groups, g=None):
    """A kernel's plan: output size, image chunks [(a, z), ...], the column buffer of one
    chunk, and the cotangent g (checked against the output) as its channel-first matrix;
    sets the BLAS threads for the layer's products."""
    n, c = x_shape[:2]
    o, cg, kernel = w_shape[0], w_shape[1], tuple(w_shape[2:])
    out = window_geometry(x_shape, kernel, stride, padding, dilation, op=op)
    k, p = cg * math.prod(kernel), math.prod(out)
    step = max(1, _CHUNK_BYTES // max(c * math.prod(kernel) * p * dtype.itemsize, 1))
    chunks = [(a, min(a + step, n)) for a in range(0, n, step)]
    if g is not None and g.shape != (n, o) + out:
        raise ValueError(
            f"{op}: cotangent of shape {g.shape} does not match the output {(n, o) + out} "
            f"of a convolution of {tuple(x_shape)} by a weight of shape {tuple(w_shape)}"
        )
    threads.use_for(o * k * n * p)
    cols = scratch.buffer(("columns",), (groups, k, min(step, n) * p), dtype)
    return out, chunks, cols, None if g is None else _channels_first(g, groups)


def _channels_first(g, groups):
    """(N, O, *out) as the (groups, O/groups, N prod(out)) matrix, copied only if it must be."""
    gt = g.swapaxes(0, 1)
    if not gt.flags.c_contiguous:
        gt = np.ascontiguousarray(gt)
    return gt.reshape(groups, g.shape[1] // groups, -1)


def _pointwise(w_shape, stride, padding):
    """Whether a convolution is a 1x1 one with stride 1 and no padding: a product of the
    weight with the input's channel-major matrix, with no windows to build."""
    return (all(k == 1 for k in w_shape[2:]) and all(s == 1 for s in stride)
            and not any(padding))


def _pointwise_checked(op, x_shape, w_shape, g):
    """The spatial size of a pointwise convolution's output (the input's), the cotangent
    g (if any) checked against the output."""
    return _checked(op, x_shape, w_shape, g, tuple(x_shape[2:]))


def _depthwise_checked(op, x_shape, w_shape, g, stride, padding, dilation):
    """The output size of a depthwise convolution, the cotangent g (if any) checked
    against it."""
    out = window_geometry(x_shape, tuple(w_shape[2:]), stride, padding, dilation, op=op)
    return _checked(op, x_shape, w_shape, g, out)


def _checked(op, x_shape, w_shape, g, out):
    """`out`, the output's spatial size, after checking the cotangent g (if any) has the
    output's shape."""
    want = (x_shape[0], w_shape[0]) + out
    if g is not None and np.shape(g) != want:
        raise ValueError(
            f"{op}: cotangent of shape {np.shape(g)} does not match the output {want} of a "
            f"convolution of {tuple(x_shape)} by a weight of shape {tuple(w_shape)}")
    return out


def _conv_fwd(x, w, b, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    n, o = x.shape[0], w.shape[0]
    dtype = np.result_type(x, w)
    if depthwise.is_depthwise(x.shape[1], o, w.shape, groups):
        out = _depthwise_checked("conv", x.shape, w.shape, None, stride, padding, dilation)
        y = depthwise.forward(_padded(x, padding), w, out, stride, dilation, dtype)
        if np.ndim(b) or b != 0:
            y += np.reshape(b, (o,) + (1,) * (1 + len(out)))
        return y.swapaxes(0, 1)
    if _pointwise(w.shape, stride, padding):
        out = _pointwise_checked("conv", x.shape, w.shape, None)
        p = math.prod(out)
        threads.use_for(o * w.shape[1] * n * p)
        y = np.empty((o, n) + out, dtype)  # channel-major, as below
        np.matmul(w.reshape(groups, o // groups, -1), _channels_first(x, groups),
                  out=y.reshape(groups, o // groups, n * p))
        if np.ndim(b) or b != 0:
            y += np.reshape(b, (o,) + (1,) * (1 + len(out)))
        return y.swapaxes(0, 1)
    out, chunks, cols, _ = _buffers("conv", x.shape, w.shape, dtype, stride, padding,
                                    dilation, groups)
    p = math.prod(out)
    xp = _padded(x, padding, reuse=True)
    # (O, N, *out), returned as its (N, O, *out) transpose: each group's product writes
    # whole rows, and the layers after it (ReLU, pooling) keep this layout.
    y = np.empty((o, n) + out, dtype)
    rows = y.reshape(groups, o // groups, n * p)
    wm = w.reshape(groups, o // groups, -1)
    bias = np.reshape(b, (groups, o // groups, 1)) if np.ndim(b) or b != 0 else None
    for a, z in chunks:
        mat = _fill_columns(cols, xp, a, z, w.shape[2:], stride, dilation, out)
        part = rows[:, :, a * p : z * p]
        np.matmul(wm, mat, out=part)
        if bias is not None:
            part += bias  # while this chunk's output is still in the caches
    return y.swapaxes(0, 1)


def _conv_transpose_shifted(g, w, shape, padding, groups):
    """conv_transpose for stride 1 and dilation 1, without col2im's strided adds.

    Laid on the padded input grid (flattened per channel), the window a kernel offset
    reads is the output grid moved by a constant number of elements. So the cotangent,
    placed at the output positions of a zeroed grid-sized buffer, times the weight gives
    one row block per offset, and each is added into the gradient as one contiguous
    slice, moved by that offset. Grid positions that are not outputs hold zeros and add
    nothing. (docs/performance.md, "Transposed convolution by shifted slices".)
    """
    n, c = shape[:2]
    o, kernel = w.shape[0], tuple(w.shape[2:])
    grid = tuple(m + 2 * p for m, p in zip(shape[2:], padding))
    out = g.shape[2:]
    cell, k = math.prod(grid), c // groups * math.prod(kernel)
    dtype = np.result_type(g, w)
    threads.use_for(o * k * n * math.prod(out))
    step = max(1, _CHUNK_BYTES // max(groups * k * cell * dtype.itemsize, 1))
    shifts = depthwise.shifts(grid, kernel, (1,) * len(grid))
    wt = w.reshape(groups, o // groups, k).transpose(0, 2, 1)
    dx = np.zeros((c, n) + grid, dtype)
    flat = dx.reshape(groups, c // groups, n * cell)
    m = min(step, n)
    # The outputs at their grid positions, 0 elsewhere (each call writes the same
    # positions, so a reused buffer's other positions are still 0).
    placed = scratch.buffer(("placed", out), (o, m) + grid, dtype, 0.0)
    cols = scratch.buffer(("columns",), (groups, k, m * cell), dtype)
    at_outputs = (slice(None), slice(None)) + tuple(slice(0, q) for q in out)
    gt = g.swapaxes(0, 1)
    for a in range(0, n, step):
        z = min(a + step, n)
        size = (z - a) * cell
        chunk = placed[:, : z - a]
        chunk[at_outputs] = gt[:, a:z]
        mat = cols[:, :, :size]
        np.matmul(wt, chunk.reshape(groups, o // groups, size), out=mat)
        rows = mat.reshape(groups, c // groups, len(shifts), size)
        start = a * cell
        for j, e in enumerate(shifts):
            # (the columns past size - e are grid positions beyond the last output)
            flat[:, :, start + e : start + size] += rows[:, :, j, : size - e]
    return _unpadded(dx, shape, padding)


def _conv_transpose_fwd(g, w, shape, stride=(1, 1), padding=(0, 0), dilation=(1, 1),
                        groups=1):
    if depthwise.is_depthwise(shape[1], np.shape(w)[0], np.shape(w), groups):
        out = _depthwise_checked("conv_transpose", shape, np.shape(w), g, stride, padding,
                                 dilation)
        grid = (shape[1], shape[0]) + tuple(m + 2 * q for m, q in zip(shape[2:], padding))
        dxp = depthwise.input_grad(np.swapaxes(g, 0, 1), w, grid, out, stride, dilation,
                                   np.result_type(g, w))
        return _unpadded(dxp, shape, padding)
    if _pointwise(np.shape(w), stride, padding):
        out = _pointwise_checked("conv_transpose", shape, np.shape(w), g)
        n, c, o = shape[0], shape[1], np.shape(w)[0]
        threads.use_for(o * np.shape(w)[1] * n * math.prod(out))
        dx = np.empty((c, n) + out, np.result_type(g, w))
        np.matmul(np.reshape(w, (groups, o // groups, -1)).transpose(0, 2, 1),
                  _channels_first(np.asarray(g), groups),
                  out=dx.reshape(groups, c // groups, -1))
        return dx.swapaxes(0, 1)
    if (all(s == 1 for s in stride) and all(d == 1 for d in dilation)
            and np.shape(g)[:2] == (shape[0], np.shape(w)[0])
            and np.shape(g)[2:] == window_geometry(shape, np.shape(w)[2:], stride, padding,
                                                   dilation, op="conv_transpose")):
        return _conv_transpose_shifted(g, w, shape, padding, groups)
    n, c = shape[:2]
    o, kernel = w.shape[0], tuple(w.shape[2:])
    out, chunks, cols, gm = _buffers("conv_transpose", shape, w.shape, np.result_type(g, w),
                                     stride, padding, dilation, groups, g)
    p = math.prod(out)
    wt = w.reshape(groups, o // groups, -1).transpose(0, 2, 1)
    # Channel-major like the forward's output, so that elementwise rules combining this
    # gradient with the activations before it see one memory order.
    dx = np.zeros((c, n) + tuple(m + 2 * q for m, q in zip(shape[2:], padding)), cols.dtype)
    for a, z in chunks:
        mat = cols[:, :, : (z - a) * p]
        np.matmul(wt, gm[:, :, a * p : z * p], out=mat)
        # this chunk's images, still in the caches
        _add_windows(dx[:, a:z], mat.reshape((c,) + kernel + (z - a,) + out), kernel,
                     stride, dilation, out)
    return _unpadded(dx, shape, padding)


def _conv_weight_grad_fwd(x, g, shape, stride=(1, 1), padding=(0, 0), dilation=(1, 1),
                          groups=1):
    if depthwise.is_depthwise(x.shape[1], shape[0], shape, groups):
        out = _depthwise_checked("conv_weight_grad", x.shape, shape, g, stride, padding,
                                 dilation)
        return depthwise.weight_grad(_padded(x, padding), np.swapaxes(g, 0, 1), tuple(shape),
                                     out, stride, dilation, np.result_type(x, g))
    if _pointwise(shape, stride, padding):
        out = _pointwise_checked("conv_weight_grad", x.shape, shape, g)
        threads.use_for(shape[0] * shape[1] * x.shape[0] * math.prod(out))
        dw = np.matmul(_channels_first(np.asarray(g), groups),
                       _channels_first(x, groups).transpose(0, 2, 1))
        return dw.reshape(shape).astype(np.result_type(x, g), copy=False)
    out, chunks, cols, gm = _buffers("conv_weight_grad", x.shape, shape, np.result_type(x, g),
                                     stride, padding, dilation, groups, g)
    p = math.prod(out)
    xp = _padded(x, padding, reuse=True)
    dw = part = None
    for a, z in chunks:
        mat = _fill_columns(cols, xp, a, z, shape[2:], stride, dilation, out)
        if dw is None:
            dw = np.matmul(gm[:, :, a * p : z * p], mat.transpose(0, 2, 1))
            part = np.empty_like(dw)
        else:
            dw += np.matmul(gm[:, :, a * p : z * p], mat.transpose(0, 2, 1), out=part)
    return dw.reshape(shape)


_CONV = {"stride": (1, 1), "padding": (0, 0), "dilation": (1, 1), "groups": 1}


# y = conv(x, W) + b is bilinear in (x, W), affine in b: x_bar = conv_transpose(g, W)
# (the transposed convolution), W_bar = conv_weight_grad(x, g), b_bar = g summed over
# N and the spatial axes. The other two are bilinear as well, each one's derivatives the
# other two.
conv = primitive(
    "conv", _conv_fwd,
    batch=conv_batch,
    domain=Example(lambda rng: (
        tuple(rng.standard_normal(s) for s in ((1, 2, 4, 4), (3, 2, 2, 2), (3,))), dict(_CONV))),
    statement=S.Statement(
        forward="y = W * x + b over 1, 2 or 3 spatial axes: each output pixel is the "
        "kernels times the window of x under them (cross-correlation), plus the bias",
        vjp="x_bar = conv_transpose(g, W);  W_bar = conv_weight_grad(x, g);  "
        "b_bar = g summed over N and the spatial axes",
        latex_forward=r"y_{n,o,p} = b_o + \sum_{c,i} W_{o,c,i}\, x_{n,c,\, s p + d i}",
        latex_vjp=r"\bar x = W^\top \star \bar y, \quad \bar W = \bar y \star x, \quad "
        r"\bar b_o = \sum_{n,p} \bar y_{n,o,p}",
    ),
)
conv_transpose = primitive(
    "conv_transpose", _conv_transpose_fwd,
    batch=conv_batch,
    multilinear=True,
    domain=Example(lambda rng: (
        (rng.standard_normal((1, 3, 3, 3)), rng.standard_normal((3, 2, 2, 2))),
        {"shape": (1, 2, 4, 4), **_CONV})),
    statement=S.Statement(
        forward="the transposed convolution: each g pixel times the kernels, added back "
        "onto the input pixels of its window (the VJP of conv in x; "
        "F.conv_transpose1d/2d/3d)",
        vjp="g_bar = conv(c, W);  W_bar = conv_weight_grad(c, g)",
        latex_forward=r"y = W^\top \star g",
        latex_vjp=r"\bar g = W \star \bar y, \quad \bar W = g \star \bar y",
    ),
)
conv_weight_grad = primitive(
    "conv_weight_grad", _conv_weight_grad_fwd,
    batch=conv_batch,
    multilinear=True,
    domain=Example(lambda rng: (
        (rng.standard_normal((1, 2, 4, 4)), rng.standard_normal((1, 3, 3, 3))),
        {"shape": (3, 2, 2, 2), **_CONV})),
    statement=S.Statement(
        forward="the correlation of g with the windows of x (the VJP of conv in W)",
        vjp="x_bar = conv_transpose(g, c);  g_bar = conv(x, c)",
        latex_forward=r"y_{o,c,i} = \sum_{n,p} g_{n,o,p}\, x_{n,c,\, s p + d i}",
        latex_vjp=r"\bar x = \bar y^\top \star g, \quad \bar g = \bar y \star x",
    ),
)


def _bias_axes(x):
    return (0,) + tuple(range(2, np.ndim(x)))


conv.defvjp(
    lambda g, ans, x, w, b, **kw: conv_transpose(g, w, shape=np.shape(x), **kw),
    lambda g, ans, x, w, b, **kw: conv_weight_grad(x, g, shape=np.shape(w), **kw),
    lambda g, ans, x, w, b, **kw: reductions.sum(g, axis=_bias_axes(g)),
).defjvp(
    lambda t, ans, x, w, b, **kw: conv(t, w, 0, **kw),
    lambda t, ans, x, w, b, **kw: conv(x, t, 0, **kw),
    lambda t, ans, x, w, b, **kw: broadcast_to(
        reshape(t, (-1,) + (1,) * (np.ndim(ans) - 2)), np.shape(ans)),
)
# <c, conv_transpose(g, W)> = <g, conv(c, W)>: linear in g (VJP conv) and in W
# (conv_weight_grad).
conv_transpose.defvjp(
    lambda c, ans, g, w, shape, **kw: conv(c, w, 0, **kw),
    lambda c, ans, g, w, shape, **kw: conv_weight_grad(c, g, shape=np.shape(w), **kw),
)
# <c, weight_grad(x, g)> = <g, conv(x, c)>: linear in x (conv_transpose) and in g (conv).
conv_weight_grad.defvjp(
    lambda c, ans, x, g, shape, **kw: conv_transpose(g, c, shape=np.shape(x), **kw),
    lambda c, ans, x, g, shape, **kw: conv(x, c, 0, **kw),
)
# The names these had when they were 2-d only.
conv2d, conv2d_input_grad, conv2d_weight_grad = conv, conv_transpose, conv_weight_grad


# ------------------------------------------------------------------- max pooling
def _pool_views(a, kernel_size, stride, dilation, *out):
    """The prod(kernel) strided (N, C, *out) views of a padded input, one per kernel offset."""
    return [a[(slice(None), slice(None)) + sl]
            for _, sl in _offsets(kernel_size, stride, dilation, out)]


def _maxima(x, ans, kernel_size, stride, padding, dilation):
    """The padded input, and for each kernel offset where its view holds the one element
    of each window that takes the window's gradient: PyTorch's index, the first maximum
    in scan order (row-major over the kernel), or the last NaN of a window whose maximum
    is NaN."""
    xp = _padded(x, padding, -np.inf)
    out = np.shape(ans)[2:]
    views = _pool_views(xp, kernel_size, stride, dilation, *out)
    # A padding cell (-inf) ties with a window whose real cells are all -inf; PyTorch's
    # scan starts at the first real cell, so padding never takes the gradient.
    reals = None
    if any(padding):
        real = _padded(np.ones((1, 1) + np.shape(x)[2:], bool), padding, False)
        reals = _pool_views(real, kernel_size, stride, dilation, *out)
    taken = np.zeros(np.shape(ans), bool)
    routes = []
    for k, v in enumerate(views):
        hit = v == ans
        if reals is not None:
            hit &= reals[k]
        np.greater(hit, taken, out=hit)  # (hit and not taken, in one pass)
        taken |= hit
        routes.append(hit)
    nan = np.isnan(ans)
    if nan.any():
        taken[...] = False
        for v, hit in zip(reversed(views), reversed(routes)):
            last = np.isnan(v) & nan & ~taken
            taken |= last
            hit |= last
    return xp, routes


def _max_pool2d_fwd(x, kernel_size, stride, padding, dilation):
    out = window_geometry(x.shape, kernel_size, stride, padding, dilation, op="max_pool2d")
    views = _pool_views(_padded(x, padding, -np.inf), kernel_size, stride, dilation, *out)
    if len(views) == 1:
        return views[0].copy()
    out = np.maximum(views[0], views[1])  # NaN propagates, as in np.max
    for v in views[2:]:
        np.maximum(out, v, out=out)
    return out


def _max_pool2d_scatter_fwd(g, x, ans, kernel_size, stride, padding, dilation):
    xp, hits = _maxima(x, ans, kernel_size, stride, padding, dilation)
    out = np.shape(ans)[2:]
    views = _pool_views(xp, kernel_size, stride, dilation, *out)
    # g in x's memory order (like the gradients of the layers around it), then one
    # product per kernel offset. (np.add(..., where=hit) on these strided views took
    # 7x as long: 29 against 4 ms for a 64 x 64 x 24 x 24 batch.)
    share = np.empty_like(views[0], dtype=np.result_type(g, x))
    share[...] = g
    dx = np.zeros_like(xp, dtype=share.dtype)
    dviews = _pool_views(dx, kernel_size, stride, dilation, *out)
    if all(s >= d * (k - 1) + 1 for k, s, d in zip(kernel_size, stride, dilation)):
        # Windows that do not overlap write disjoint pixels: no read of dx needed.
        for dv, h in zip(dviews, hits):
            np.multiply(share, h, out=dv)
    else:
        for dv, h in zip(dviews, hits):
            dv += share * h
    return dx[(slice(None), slice(None))
              + tuple(slice(p, p + n) for p, n in zip(padding, x.shape[2:]))]


def _max_pool2d_gather_fwd(t, x, ans, kernel_size, stride, padding, dilation):
    _, hits = _maxima(x, ans, kernel_size, stride, padding, dilation)
    tviews = _pool_views(_padded(t, padding), kernel_size, stride, dilation,
                         *np.shape(ans)[2:])
    out = tviews[0] * hits[0]
    for tv, h in zip(tviews[1:], hits[1:]):
        out += tv * h
    return out


def _value(v):
    return v._data if is_tensor(v) else v


def _routing(v):
    """The image or its maxima as a constant of max pooling's derivative: its values, or
    under a trace (cr.vmap of a gradient) a tensor with its gradient stopped, which the
    trace batches (the values alone would be the first example's for every example)."""
    if is_tensor(v) and graph.trace_hook() is not None:
        return stop_gradient(v)
    return _value(v)


_POOL = {"kernel_size": (2, 2), "stride": (1, 1), "padding": (0, 0), "dilation": (1, 1)}


def _pooled(shape):
    """Example of a max-pooling scatter or gather: the linear argument of ``shape``; the
    image x and its pooled maxima y, which fix the routing, passed as constants."""

    def make(rng):
        x = rng.standard_normal((1, 2, 4, 4))
        y = _max_pool2d_fwd(x, **_POOL)
        return (rng.standard_normal(shape),), {"x": x, "y": y, **_POOL}

    return Example(make, check_with=lambda p, v, x, y, **kw: p(v, x, y, **kw))


max_pool2d = primitive(
    "max_pool2d", _max_pool2d_fwd,
    batch=B.images_rule,
    domain=Example(lambda rng: ((rng.standard_normal((1, 2, 4, 4)),), dict(_POOL))),
    statement=S.Statement(
        forward="the maximum of each window of an (N, C, H, W) image",
        vjp="x_bar = max_pool2d_scatter(g): each window's g at its maximum (the first "
        "of equal maxima in scan order, PyTorch's index), 0 elsewhere",
        latex_forward=r"y_{n,c,p,q} = \max_{i,j} x_{n,c,\, s p + d i,\, s q + d j}",
        latex_vjp=r"\bar x_{n,c,u,v} = \sum_{(p,q) : (u,v) = \operatorname{idx}_{n,c,p,q}} "
        r"\bar y_{n,c,p,q}",
    ),
)
# Linear in their first argument; the image and its maxima fix the routing.
max_pool2d_scatter = primitive(
    "max_pool2d_scatter", _max_pool2d_scatter_fwd,
    linear=True,
    batch=B.images_rule,
    domain=_pooled((1, 2, 3, 3)),
    statement=S.Statement(
        forward="each window's value put back on the window's maximum of x (the first "
        "of equal maxima): linear in g, x and y = max_pool2d(x) held fixed",
        vjp="g_bar = max_pool2d_gather(c): the cotangent read back at the maxima",
        latex_forward=r"y = S_x\, g",
        latex_vjp=r"\bar g = S_x^\top\, \bar y",
    ),
)
max_pool2d_gather = primitive(
    "max_pool2d_gather", _max_pool2d_gather_fwd,
    linear=True,
    batch=B.images_rule,
    domain=_pooled((1, 2, 4, 4)),
    statement=S.Statement(
        forward="t read at each window's maximum of x (the first of equal maxima): the "
        "tangent of max_pool2d, linear in t",
        vjp="t_bar = max_pool2d_scatter(c)",
        latex_forward=r"y = S_x^\top\, t",
        latex_vjp=r"\bar t = S_x\, \bar y",
    ),
)

# Which input is a window's maximum is constant almost everywhere: the pooling is linear
# in x there, with the routing read from x and the output as constants. Equal maxima
# share a window's cotangent (and average their tangents), as max does.
max_pool2d.defvjp(
    lambda g, ans, x, **kw: max_pool2d_scatter(g, _routing(x), _routing(ans), **kw),
).defjvp(
    lambda t, ans, x, **kw: max_pool2d_gather(t, _routing(x), _routing(ans), **kw),
)
max_pool2d_scatter.defvjp(
    lambda c, ans, g, x, y, **kw: max_pool2d_gather(c, x, y, **kw), None, None,
)
max_pool2d_gather.defvjp(
    lambda c, ans, t, x, y, **kw: max_pool2d_scatter(c, x, y, **kw), None, None,
)
