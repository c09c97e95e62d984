"""The computations behind the layers, as functions of tensors (the modules only hold state).

Images are (N, C, H, W) (or (C, H, W) for a single image), kernels (out, in / groups,
kh, kw), matching PyTorch. Everything here is a composition of chainrule primitives,
so gradients of every order come from the primitives' rules.
"""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from ..graph import is_tensor
from ..primitives import layers
from ..primitives.construction import one_hot
from ..primitives.layers import im2col, window_geometry
from ..rules import composite
from .activation_functions import (
    celu,
    elu,
    gelu,
    glu,
    gumbel_softmax,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    leaky_relu,
    log_softmax,
    logsigmoid,
    mish,
    prelu,
    relu,
    relu6,
    rrelu,
    selu,
    sigmoid,
    silu,
    softmax,
    softmin,
    softplus,
    softshrink,
    softsign,
    tanh,
    tanhshrink,
    threshold,
)
from .attention import scaled_dot_product_attention
from .classification_losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    nll_loss,
    soft_margin_loss,
)
from .ctc import ctc_loss
from .distance import cosine_similarity, pairwise_distance, pdist
from .dropout import (
    alpha_dropout,
    dropout,
    dropout1d,
    dropout2d,
    dropout3d,
    feature_alpha_dropout,
)
from .normalization import batch_norm, group_norm, instance_norm, layer_norm, normalize, rms_norm
from .pixelshuffle import pixel_shuffle, pixel_unshuffle
from .regression_losses import (
    cosine_embedding_loss,
    gaussian_nll_loss,
    hinge_embedding_loss,
    huber_loss,
    kl_div,
    l1_loss,
    margin_ranking_loss,
    mse_loss,
    poisson_nll_loss,
    smooth_l1_loss,
    triplet_margin_loss,
)
from .sparse import embedding, embedding_bag

__all__ = [
    "alpha_dropout",
    "avg_pool2d",
    "batch_norm",
    "bilinear",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "celu",
    "conv2d",
    "cosine_embedding_loss",
    "cosine_similarity",
    "cross_entropy",
    "ctc_loss",
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "elu",
    "embedding",
    "embedding_bag",
    "feature_alpha_dropout",
    "gaussian_nll_loss",
    "gelu",
    "glu",
    "group_norm",
    "gumbel_softmax",
    "hardshrink",
    "hardsigmoid",
    "hardswish",
    "hardtanh",
    "hinge_embedding_loss",
    "huber_loss",
    "instance_norm",
    "kl_div",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "logsigmoid",
    "margin_ranking_loss",
    "max_pool2d",
    "mish",
    "mse_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "nll_loss",
    "normalize",
    "one_hot",
    "pairwise_distance",
    "pdist",
    "pixel_shuffle",
    "pixel_unshuffle",
    "poisson_nll_loss",
    "prelu",
    "relu",
    "relu6",
    "rms_norm",
    "rrelu",
    "scaled_dot_product_attention",
    "selu",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "soft_margin_loss",
    "softmax",
    "softmin",
    "softplus",
    "softshrink",
    "softsign",
    "tanh",
    "tanhshrink",
    "threshold",
    "triplet_margin_loss",
]


def pair(value, name="argument"):
    """(a, b) from an int or a pair of ints."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value), int(value))
    value = tuple(value)
    if len(value) != 2 or not all(isinstance(v, (int, np.integer)) for v in value):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return (int(value[0]), int(value[1]))


def _shape(x):
    return x.data.shape if is_tensor(x) else np.shape(x)


# ------------------------------------------------------------------------ linear
def linear(x, weight, bias=None):
    """y = x W^T + b for x of shape (..., in), W of shape (out, in), b of shape (out,)."""
    xs, ws = _shape(x), _shape(weight)
    if len(ws) != 2 or not xs or xs[-1] != ws[1]:
        raise ValueError(
            f"linear: input of shape {xs} does not fit a weight of shape {ws} "
            f"(the input's last axis must be in_features = {ws[1] if len(ws) == 2 else '?'})"
        )
    b = 0 if bias is None else bias
    if len(xs) > 2:
        # One (N, in) x (in, out) product instead of NumPy's loop of products over the
        # leading axes: 2x faster at (32, 64, 128) x (128, 384) (docs/performance.md).
        flat = P.linear(P.reshape(x, (-1, xs[-1])), weight, b)
        return P.reshape(flat, xs[:-1] + (ws[0],))
    return P.linear(x, weight, b)


@composite
def bilinear(input1, input2, weight, bias=None):
    """y_o = sum_ij x1_i A_oij x2_j + b_o for x1 (..., in1), x2 (..., in2), A (out, in1, in2)."""
    s1, s2, ws = _shape(input1), _shape(input2), _shape(weight)
    if len(ws) != 3 or not s1 or not s2 or s1[-1] != ws[1] or s2[-1] != ws[2] or s1[:-1] != s2[:-1]:
        raise ValueError(
            f"bilinear: inputs of shapes {s1} and {s2} do not fit a weight of shape {ws} "
            f"(expected (..., in1) and (..., in2) with the same leading axes, weight "
            f"(out, in1, in2))"
        )
    y = P.einsum("...i,oij,...j->...o", input1, weight, input2)
    return y if bias is None else y + bias


# ------------------------------------------------------------------- convolution
def _batched(x, op):
    shape = _shape(x)
    if len(shape) == 3:
        return P.expand_dims(x, 0), True
    if len(shape) != 4:
        raise ValueError(f"{op}: expected input of shape (N, C, H, W) or (C, H, W), got {shape}")
    return x, False


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation of (N, C, H, W) input with kernels W (out, C / groups, kh, kw).

    out[n, o, y, x] = b[o] + sum_{c, i, j} W[o, c, i, j] xp[n, c, s*y + d*i, s*x + d*j]
    with xp the zero-padded input, s the stride and d the dilation.

    ``padding`` is an int, a pair, "valid" (0) or "same" (output as large as the input;
    stride 1 only). Computed as the flattened kernels times the matrix of windows (the
    conv2d primitive); groups split the channels into independent convolutions.
    """
    x, unbatched = _batched(x, "conv2d")
    n, c, h, w = _shape(x)
    ws = _shape(weight)
    if len(ws) != 4:
        raise ValueError(f"conv2d: weight must have shape (out, in/groups, kh, kw), got {ws}")
    out_ch, cg, kh, kw = ws
    if groups < 1 or c % groups or out_ch % groups:
        raise ValueError(
            f"conv2d: groups={groups} must divide both the input channels ({c}) and the "
            f"output channels ({out_ch})"
        )
    if cg * groups != c:
        raise ValueError(
            f"conv2d: input has {c} channels but the weight {ws} expects {cg * groups} "
            f"({cg} per group x {groups} groups)"
        )
    stride, dilation = pair(stride, "stride"), pair(dilation, "dilation")
    padding = _conv_padding(padding, (kh, kw), stride, dilation)
    out = layers.conv2d(x, weight, 0 if bias is None else bias, stride=stride,
                        padding=padding, dilation=dilation, groups=groups)
    return P.squeeze(out, 0) if unbatched else out


def _conv_padding(padding, kernel, stride, dilation):
    if padding == "valid":
        return (0, 0)
    if padding == "same":
        if stride != (1, 1):
            raise ValueError("conv2d: padding='same' needs stride 1")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        if any(t % 2 for t in totals):
            raise ValueError(
                f"conv2d: padding='same' needs an even total padding, but kernel {kernel} with "
                f"dilation {dilation} needs {tuple(totals)}; pad the input explicitly"
            )
        return tuple(t // 2 for t in totals)
    return pair(padding, "padding")


def _pool_args(op, kernel_size, stride, padding, dilation):
    kernel = pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else pair(stride, "stride")
    padding, dilation = pair(padding, "padding"), pair(dilation, "dilation")
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(
            f"{op}: padding {padding} must be at most half the kernel size {kernel}"
        )
    return {"kernel_size": kernel, "stride": stride, "padding": padding, "dilation": dilation}


def _pool(cols, reduce, unbatched):
    c, kh, kw, n, oh, ow = _shape(cols)
    out = reduce(P.reshape(cols, (c, kh * kw, n, oh, ow)))  # reduced over axis 1
    out = P.transpose(out, (1, 0, 2, 3))
    return P.squeeze(out, 0) if unbatched else out


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1):
    """Maximum over each window (stride defaults to the kernel size; padding counts as -inf).

    Where a window holds several equal maxima, they share its gradient equally.
    """
    x, unbatched = _batched(x, "max_pool2d")
    geo = _pool_args("max_pool2d", kernel_size, stride, padding, dilation)
    out = layers.max_pool2d(x, **geo)
    return P.squeeze(out, 0) if unbatched else out


def avg_pool2d(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    """Mean over each window; padded zeros count unless ``count_include_pad=False``."""
    x, unbatched = _batched(x, "avg_pool2d")
    geo = _pool_args("avg_pool2d", kernel_size, stride, padding, 1)
    cols = im2col(x, **geo)
    if count_include_pad or geo["padding"] == (0, 0):
        return _pool(cols, lambda r: P.mean(r, axis=1), unbatched)
    # How many real (unpadded) pixels each window covers: the windows of an image of ones.
    shape = _shape(x)
    dtype = x.data.dtype if is_tensor(x) else np.result_type(x)
    ones = np.ones((1, 1) + tuple(shape[2:]), dtype=dtype)
    counts = im2col(ones, **geo).sum(axis=(1, 2))  # (1, 1, OH, OW)
    return _pool(cols, lambda r: P.sum(r, axis=1) / counts, unbatched)


def output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    """(OH, OW) of a convolution or pooling of an (H, W) image."""
    return window_geometry(
        (1, 1) + pair(size, "size"), pair(kernel_size, "kernel_size"), pair(stride, "stride"),
        pair(padding, "padding"), pair(dilation, "dilation"),
    )
