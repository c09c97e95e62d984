"""The computations behind the layers, as functions of tensors (the modules only hold state).

Images are (N, C, H, W) (or (C, H, W) for a single image), kernels (out, in / groups,
kh, kw), matching PyTorch. Everything here is a composition of chainrule primitives,
so gradients of every order come from the primitives' rules.
"""

from __future__ import annotations

import numpy as np

from .. import losses
from .. import primitives as P
from ..graph import is_tensor, no_grad
from ..losses import binary_cross_entropy_with_logits, mse_loss
from ..primitives import (
    elu,
    gelu,
    layers,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    softmax,
    softplus,
    tanh,
)
from ..primitives.layers import im2col, window_geometry
from .init import generator
from .loss import _class_axis, _ignored

__all__ = [
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy_with_logits",
    "conv2d",
    "cross_entropy",
    "dropout",
    "elu",
    "embedding",
    "gelu",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "max_pool2d",
    "mse_loss",
    "nll_loss",
    "relu",
    "sigmoid",
    "softmax",
    "softplus",
    "tanh",
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


# -------------------------------------------------------------------------- losses
# PyTorch's functional losses take the classes from axis 1 of (N, C, d1, ...) input, or
# axis 0 of an unbatched (C,) input, as nn.CrossEntropyLoss does; cr.cross_entropy keeps
# its own axis=-1 convention.
def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """Cross-entropy of logits (classes on axis 1) against class indices or probabilities."""
    _no_weight("cross_entropy", weight)
    return losses.cross_entropy(
        input, target, axis=_class_axis(input), reduction=reduction,
        label_smoothing=label_smoothing, ignore_index=_ignored(target, ignore_index),
    )


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of log-probabilities (classes on axis 1): -input[n, target_n]."""
    _no_weight("nll_loss", weight)
    return losses.nll_loss(input, target, axis=_class_axis(input), reduction=reduction,
                           ignore_index=_ignored(target, ignore_index))


def _no_weight(name, weight):
    if weight is not None:
        raise NotImplementedError(
            f"{name}: per-class weight= is not supported yet; multiply the per-element "
            f"losses (reduction='none') by the weights of their targets instead"
        )


# ------------------------------------------------------------------------ linear
def linear(x, weight, bias=None):
    """y = x W^T + b for x of shape (..., in), W of shape (out, in), b of shape (out,)."""
    xs, ws = _shape(x), _shape(weight)
    if len(ws) != 2 or not xs or xs[-1] != ws[1]:
        raise ValueError(
            f"linear: input of shape {xs} does not fit a weight of shape {ws} "
            f"(the input's last axis must be in_features = {ws[1] if len(ws) == 2 else '?'})"
        )
    return P.linear(x, weight, 0 if bias is None else bias)


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


# ------------------------------------------------------------------ regularization
def dropout(x, p=0.5, training=True, rng=None):
    """Zero each element with probability p and scale the rest by 1 / (1 - p); identity
    when not training. The mask is drawn from ``rng``: a Generator (a fresh mask per call,
    as a training loop wants), None (NumPy's default generator), or an int seed, which
    gives the same mask on every call (nn.Dropout keeps a Generator for this reason)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    shape = _shape(x)
    dtype = x.data.dtype if is_tensor(x) else np.result_type(x)
    if p == 1.0:
        return x * np.zeros(shape, dtype=dtype)
    keep = generator(rng).random(shape) >= p
    return x * (keep * (1.0 / (1.0 - p))).astype(dtype)


# ------------------------------------------------------------------- normalization
def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """(x - mean) / sqrt(var + eps) * weight + bias over the trailing ``normalized_shape`` axes.

    mean and var (biased) are taken per sample over those axes.
    """
    if isinstance(normalized_shape, (int, np.integer)):
        normalized_shape = (int(normalized_shape),)
    normalized_shape = tuple(normalized_shape)
    shape = _shape(x)
    k = len(normalized_shape)
    if tuple(shape[len(shape) - k :]) != normalized_shape:
        raise ValueError(
            f"layer_norm: input of shape {shape} does not end in normalized_shape "
            f"{normalized_shape}"
        )
    axes = tuple(range(len(shape) - k, len(shape)))
    mean = P.mean(x, axis=axes, keepdims=True)
    d = x - mean
    var = P.mean(d * d, axis=axes, keepdims=True)
    y = d / P.sqrt(var + eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5, num_batches_tracked=None):
    """Normalize each channel (axis 1) of (N, C) or (N, C, L) input over the batch.

    Training: batch mean and biased variance normalize; the running statistics (when
    given) move towards the batch's, running = (1 - momentum) running + momentum batch,
    with the unbiased variance n / (n - 1) var; momentum=None averages all batches so
    far. Evaluation: the running statistics normalize.
    """
    shape = _shape(x)
    if len(shape) not in (2, 3):
        raise ValueError(f"batch_norm: expected input of shape (N, C) or (N, C, L), got {shape}")
    axes = (0,) if len(shape) == 2 else (0, 2)
    bshape = (1, shape[1]) + (1,) * (len(shape) - 2)
    use_batch = training or running_mean is None
    if training and running_mean is not None and momentum is None and num_batches_tracked is None:
        raise ValueError("batch_norm: momentum=None (a plain average) needs num_batches_tracked")
    if use_batch:
        n = int(np.prod([shape[a] for a in axes]))
        if training and n < 2:
            raise ValueError(
                f"batch_norm: training needs more than one value per channel, got input of "
                f"shape {shape}; use a larger batch or call eval()"
            )
        mean = P.mean(x, axis=axes, keepdims=True)
        d = x - mean
        var = P.mean(d * d, axis=axes, keepdims=True)
        if training and running_mean is not None:
            _update_running(running_mean, running_var, num_batches_tracked, mean, var, n,
                            momentum)
    else:
        mean = P.reshape(running_mean, bshape)
        var = P.reshape(running_var, bshape)
        d = x - mean
    y = d / P.sqrt(var + eps)
    if weight is not None:
        y = y * P.reshape(weight, bshape)
    if bias is not None:
        y = y + P.reshape(bias, bshape)
    return y


def _update_running(running_mean, running_var, num_batches_tracked, mean, var, n, momentum):
    with no_grad():
        if num_batches_tracked is not None:
            num_batches_tracked += 1
        if momentum is None:
            momentum = 1.0 / int(num_batches_tracked.item())
        dtype = running_mean.data.dtype
        m = np.asarray(momentum, dtype=dtype)
        batch_mean = np.asarray(mean.data if is_tensor(mean) else mean).reshape(-1)
        batch_var = np.asarray(var.data if is_tensor(var) else var).reshape(-1) * (n / (n - 1))
        running_mean.copy_((1 - m) * running_mean.data + m * batch_mean.astype(dtype))
        running_var.copy_((1 - m) * running_var.data + m * batch_var.astype(dtype))


# ---------------------------------------------------------------------- embedding
def embedding(indices, weight, padding_idx=None):
    """Rows of ``weight`` (num_embeddings, dim) at integer ``indices``.

    The result has shape indices.shape + (dim,). The row at ``padding_idx`` receives no
    gradient.
    """
    idx = np.asarray(indices.data if is_tensor(indices) else indices)
    num = _shape(weight)[0]
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {idx.dtype}")
    # Negative indices are refused (as in PyTorch) rather than counted from the end: an
    # index of -1 is almost always a padding or "unknown" marker that leaked through.
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        raise IndexError(
            f"embedding: indices must be in 0..{num - 1} for {num} embeddings; got values "
            f"from {idx.min()} to {idx.max()}"
        )
    if padding_idx is not None:
        pad_row = np.zeros((num, 1), dtype=bool)
        pad_row[padding_idx] = True
        weight = P.where(pad_row, weight.detach() if is_tensor(weight) else weight, weight)
    return P.take(weight, idx, axis=0)
