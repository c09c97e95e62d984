"""The computations behind the layers, as functions of tensors (the modules only hold state).

Images are (N, C, H, W) (or (C, H, W) for a single image), kernels (out, in / groups,
kh, kw), matching PyTorch. Everything here is a composition of chainrule primitives,
so gradients of every order come from the primitives' rules.
"""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from ..graph import is_tensor
from ..primitives.construction import one_hot
from ..primitives.layers import window_geometry
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
from .conv_functions import (
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
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
from .fractional_pooling import fractional_max_pool2d, fractional_max_pool3d
from .grid_sampling import affine_grid, grid_sample
from .interpolation import fold, interpolate, unfold, upsample
from .normalization import (
    batch_norm,
    group_norm,
    instance_norm,
    layer_norm,
    local_response_norm,
    normalize,
    rms_norm,
)
from .padding import pad
from .pixelshuffle import channel_shuffle, pixel_shuffle, pixel_unshuffle
from .pooling import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    adaptive_max_pool3d,
    avg_pool1d,
    avg_pool2d,
    avg_pool3d,
    lp_pool1d,
    lp_pool2d,
    lp_pool3d,
    max_pool1d,
    max_pool2d,
    max_pool3d,
    max_unpool1d,
    max_unpool2d,
)
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
    triplet_margin_with_distance_loss,
)
from .sparse import embedding, embedding_bag

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "adaptive_max_pool3d",
    "affine_grid",
    "alpha_dropout",
    "avg_pool1d",
    "lp_pool1d",
    "lp_pool2d",
    "lp_pool3d",
    "avg_pool2d",
    "avg_pool3d",
    "batch_norm",
    "bilinear",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "celu",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
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
    "fold",
    "fractional_max_pool2d",
    "fractional_max_pool3d",
    "gaussian_nll_loss",
    "gelu",
    "glu",
    "grid_sample",
    "group_norm",
    "gumbel_softmax",
    "hardshrink",
    "hardsigmoid",
    "hardswish",
    "hardtanh",
    "hinge_embedding_loss",
    "huber_loss",
    "instance_norm",
    "interpolate",
    "kl_div",
    "l1_loss",
    "layer_norm",
    "local_response_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "logsigmoid",
    "margin_ranking_loss",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "max_unpool1d",
    "max_unpool2d",
    "mish",
    "mse_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "nll_loss",
    "normalize",
    "one_hot",
    "pad",
    "pairwise_distance",
    "pdist",
    "channel_shuffle",
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
    "triplet_margin_with_distance_loss",
    "unfold",
    "upsample",
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
    return x._data.shape if is_tensor(x) else np.shape(x)


# ------------------------------------------------------------------------ linear
def linear(input, weight, bias=None):
    """y = x W^T + b for x of shape (..., in), W of shape (out, in), b of shape (out,)."""
    xs, ws = _shape(input), _shape(weight)
    if len(ws) == 1 and xs and xs[-1] == ws[0]:
        # (a 1-d weight: one output feature, its axis dropped, as PyTorch's matmul gives)
        return P.matmul(input, weight) if bias is None else P.matmul(input, weight) + bias
    if len(ws) != 2 or not xs or xs[-1] != ws[1]:
        raise ValueError(
            f"linear: input of shape {xs} does not fit a weight of shape {ws} "
            f"(the input's last axis must be in_features = {ws[1] if len(ws) == 2 else '?'})"
        )
    b = 0 if bias is None else bias
    if len(xs) > 2:
        # One (N, in) x (in, out) product instead of NumPy's loop of products over the
        # leading axes: 2x faster at (32, 64, 128) x (128, 384) (docs/performance.md).
        flat = P.linear(P.reshape(input, (-1, xs[-1])), weight, b)
        return P.reshape(flat, xs[:-1] + (ws[0],))
    return P.linear(input, weight, b)


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


def output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    """(OH, OW) of a convolution or pooling of an (H, W) image."""
    return window_geometry(
        (1, 1) + pair(size, "size"), pair(kernel_size, "kernel_size"), pair(stride, "stride"),
        pair(padding, "padding"), pair(dilation, "dilation"),
    )
