"""Classification losses with PyTorch's signatures: cross_entropy, nll_loss (class weights,
ignore_index, label smoothing), binary_cross_entropy (on probabilities), its logits form,
multilabel_soft_margin_loss, multi_margin_loss, multilabel_margin_loss, soft_margin_loss.

Classes sit on axis 1 of (N, C, d1, ...) input, or axis 0 of an unbatched (C,) input.
Class weights are constants (PyTorch does not differentiate them either). Where every
target is ignored, ``reduction="mean"`` gives 0 with gradient 0 (PyTorch gives NaN).
"""

from __future__ import annotations

import numpy as np

from .. import losses as L
from .. import primitives as P
from ..primitives.probability import binary_cross_entropy as _bce
from ..primitives.probability import check_probabilities, checked_probabilities
from ..rules import composite
from ..tracing import concrete, traced
from .arguments import data, legacy_reduction, shape

__all__ = [
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
    "multi_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss", "nll_loss",
    "soft_margin_loss",
]


def reduce_loss(loss, reduction, denominator=None):
    """'none' as is, 'sum', or 'mean' (over `denominator` when given: a weight total)."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return P.sum(loss)
    if denominator is None:
        return P.mean(loss)
    return P.sum(loss) / denominator


def class_axis(x):
    return 1 if len(shape(x)) >= 2 else 0


def _class_weight(fn, weight, c, dtype):
    if weight is None:
        return None
    w = data(weight)
    if w.shape != (c,):
        raise ValueError(f"{fn}: weight must have one entry per class, shape ({c},), got {w.shape}")
    return w.astype(dtype)


def _index_targets(fn, input, target, ax, ignore_index):
    """(targets with the ignored ones set to 0, mask of the valid ones).

    Arrays, or tensors built by operations when a tracer traces the targets (cr.vmap,
    cr.compile): the values read here are then one example's or call's, so they serve
    the range check only.
    """
    s = shape(input)
    t = data(target)
    expected = s[:ax] + s[ax + 1:]
    if t.shape != expected:
        raise ValueError(
            f"{fn}: class-index targets must have shape {expected} for input of shape {s} "
            f"(classes on axis {ax}), got {t.shape}"
        )
    # The range check as an operation: replayed by cr.compile for every call's targets.
    target = P.checked_classes(target, s[ax], ignore_index=ignore_index, op=fn)
    valid = t != ignore_index
    if traced(target):
        valid = P.not_equal(target, ignore_index)
        return P.where(valid, target, 0), valid
    return np.where(valid, t, 0).astype(np.intp), valid


def _weighted_nll(fn, logp, target, weight, ignore_index, reduction, label_smoothing):
    """PyTorch's nll_loss (and the label-smoothing term of cross_entropy) on log-probabilities."""
    s = shape(logp)
    ax = class_axis(logp)
    c = s[ax]
    dtype = data(logp).dtype
    t, valid = _index_targets(fn, logp, target, ax, ignore_index)
    w = _class_weight(fn, weight, c, dtype)
    picked = P.squeeze(P.take_along_axis(logp, P.expand_dims(t, ax), ax), ax)
    if traced(target):
        sample_w = P.astype(valid, dtype) if w is None else P.where(valid, P.take(w, t), 0)
    else:
        sample_w = valid.astype(dtype) if w is None else np.where(valid, w[t], 0).astype(dtype)
    loss = -picked * sample_w
    if label_smoothing:
        wshape = (c,) + (1,) * (len(s) - ax - 1)
        smooth = -P.sum(logp if w is None else logp * w.reshape(wshape), axis=ax)
        smooth = smooth * (sample_w if w is None else P.astype(valid, dtype))
        loss = (1 - label_smoothing) * loss + (label_smoothing / c) * smooth
    if traced(target):  # (every target ignored: divide by 1, as below)
        total = P.sum(sample_w)
        return reduce_loss(loss, reduction, P.where(P.greater(total, 0), total, 1.0))
    return reduce_loss(loss, reduction, max(float(sample_w.sum()), 0.0) or 1.0)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """-w[y] input[y] per sample (log-probabilities in, classes on axis 1); the mean divides by
    the total weight of the targets not ignored."""
    reduction = legacy_reduction("nll_loss", size_average, reduce, reduction)
    if not shape(input):
        raise ValueError("nll_loss: input must have a class axis, got a 0-d value")
    return _weighted_nll("nll_loss", input, target, weight, ignore_index, reduction, 0.0)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross-entropy of logits (classes on axis 1) against class indices or probabilities.

    Class indices: -w[y] log_softmax(x)[y] per sample, mixed with label smoothing e as
    (1 - e) nll + e/C sum_c -w_c log_softmax(x)_c; the mean divides by the total weight
    of the targets not ignored (PyTorch's rule). Probabilities (same shape as the input):
    -sum_c w_c t_c log_softmax(x)_c with t smoothed to (1 - e) t + e/C; the mean is over
    samples. Without weights the index form is the fused softmax_nll primitive.
    """
    reduction = legacy_reduction("cross_entropy", size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    s = shape(input)
    if not s:
        raise ValueError("cross_entropy: input must have a class axis, got a 0-d value")
    ax = class_axis(input)
    t = data(target)
    if t.dtype.kind in "iu":
        if weight is None:
            return L.cross_entropy(input, target, axis=ax, reduction=reduction,
                                   label_smoothing=label_smoothing, ignore_index=ignore_index)
        return _weighted_nll("cross_entropy", P.log_softmax(input, axis=ax), target, weight,
                             ignore_index, reduction, label_smoothing)
    if t.shape != s:
        raise ValueError(f"cross_entropy: probability targets must have the input's shape {s}, "
                         f"got {t.shape}; class indices must be integers")
    w = _class_weight("cross_entropy", weight, s[ax], data(input).dtype)
    if hasattr(weight, "requires_grad"):
        # With probability targets PyTorch differentiates the class weights too (this
        # form is a composition; the index form's fused kernel has no weight derivative).
        w = weight if data(weight).dtype == data(input).dtype else P.astype(
            weight, dtype=data(input).dtype)
    probs = target if hasattr(target, "requires_grad") else t.astype(data(input).dtype)
    if label_smoothing:
        probs = probs * (1 - label_smoothing) + label_smoothing / s[ax]
    if w is not None:
        probs = probs * w.reshape((s[ax],) + (1,) * (len(s) - ax - 1))
    per = -P.sum(probs * P.log_softmax(input, axis=ax), axis=ax)
    return reduce_loss(per, reduction)


def _broadcast_weight(weight, dtype):
    return None if weight is None else (weight if hasattr(weight, "requires_grad")
                                        else data(weight).astype(dtype))


@composite
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """-w (t log x + (1 - t) log(1 - x)) on probabilities x, each log clamped at -100 as in
    PyTorch, so x = 0 or 1 gives a finite loss and a finite gradient (the primitive's)."""
    reduction = legacy_reduction("binary_cross_entropy", size_average, reduce, reduction)
    if shape(input) != shape(target):
        raise ValueError(f"binary_cross_entropy: target shape {shape(target)} must equal the "
                         f"input shape {shape(input)}")
    x = data(input)
    t = target if hasattr(target, "requires_grad") else data(target).astype(x.dtype)
    loss = _bce(input, t)
    if traced(input):  # (each call's and example's values, see checked_probabilities)
        loss = loss + checked_probabilities(input)
    else:
        check_probabilities(x)
    w = _broadcast_weight(weight, x.dtype)
    return reduce_loss(loss if w is None else loss * w, reduction)


@composite
def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """w [p t softplus(-x) + (1 - t) softplus(x)]: BCE of sigmoid(x) without forming it; p =
    pos_weight (broadcast along the last axis, per class)."""
    reduction = legacy_reduction("binary_cross_entropy_with_logits", size_average, reduce,
                                 reduction)
    if shape(input) != shape(target):
        raise ValueError(f"binary_cross_entropy_with_logits: target shape {shape(target)} must "
                         f"equal the input shape {shape(input)}")
    dtype = data(input).dtype
    pw = _broadcast_weight(pos_weight, dtype)
    loss = L.binary_cross_entropy_with_logits(input, target, reduction="none", pos_weight=pw)
    w = _broadcast_weight(weight, dtype)
    return reduce_loss(loss if w is None else loss * w, reduction)


@composite
def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + e^(-y x)) = softplus(-y x) per element, y in {1, -1}."""
    reduction = legacy_reduction("soft_margin_loss", size_average, reduce, reduction)
    y = target if hasattr(target, "requires_grad") else data(target).astype(data(input).dtype)
    return reduce_loss(P.softplus(-(y * input)), reduction)


@composite
def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """-mean_c w_c [t_c log sigmoid(x_c) + (1 - t_c) log sigmoid(-x_c)] per sample (N, C)."""
    reduction = legacy_reduction("multilabel_soft_margin_loss", size_average, reduce, reduction)
    s = shape(input)
    dtype = data(input).dtype
    t = target if hasattr(target, "requires_grad") else data(target).astype(dtype)
    loss = t * P.softplus(-input) + (1 - t) * P.softplus(input)
    w = _broadcast_weight(weight, dtype)
    if w is not None:
        loss = loss * w
    per = P.mean(loss, axis=-1) if s else loss
    return reduce_loss(per, reduction)


def _margin_setup(fn, input, target):
    s = shape(input)
    if len(s) not in (1, 2):
        raise ValueError(f"{fn}: input must be (N, C) or (C,), got {s}")
    x = input if len(s) == 2 else P.expand_dims(input, 0)
    return x, s, shape(x)[1]


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """sum_{i != y} w_y max(0, margin - x_y + x_i)^p / C per sample (p = 1 or 2)."""
    fn = "multi_margin_loss"
    reduction = legacy_reduction(fn, size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError(f"{fn}: p must be 1 or 2, got {p}")
    x, s, c = _margin_setup(fn, input, target)
    y = data(target).reshape(-1).astype(np.intp)
    if y.shape != (shape(x)[0],) or (y.size and (y.min() < 0 or y.max() >= c)):
        raise ValueError(f"{fn}: target must hold one class index in 0..{c - 1} per sample")
    dtype = data(input).dtype
    if traced(target):  # (each call's or example's classes, by operations)
        y = P.reshape(target, (-1,))
    picked = P.take_along_axis(x, P.expand_dims(y, 1), 1)
    h = P.relu(margin - picked + x)
    if p == 2:
        h = h * h
    others = P.astype(P.not_equal(np.arange(c)[None, :], P.expand_dims(y, 1)), dtype)
    w = _class_weight(fn, weight, c, dtype)
    if w is not None:
        others = others * P.expand_dims(P.take(w, y), 1)
    per = P.sum(h * others, axis=1) / c
    if len(s) == 1:
        per = P.squeeze(per, 0)
    return reduce_loss(per, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """sum over target classes j and non-target classes i of max(0, 1 - (x_j - x_i)) / C.

    ``target`` (N, C) holds each sample's class indices first, ended by -1 (the rest is
    ignored), as in PyTorch.
    """
    fn = "multilabel_margin_loss"
    reduction = legacy_reduction(fn, size_average, reduce, reduction)
    x, s, c = _margin_setup(fn, input, target)
    if traced(target):  # (the pairs are read from the values)
        concrete(target, f"{fn}'s target")
    t = data(target).reshape(shape(x)).astype(np.intp)
    n = shape(x)[0]
    # The targets before each row's first -1.
    before_end = np.cumprod(t >= 0, axis=1).astype(bool)
    is_target = np.zeros((n, c), bool)
    rows = np.repeat(np.arange(n), c)[before_end.reshape(-1)]
    if (t[before_end] >= c).any():
        raise ValueError(f"{fn}: target class indices must be below C = {c}")
    is_target[rows, t[before_end]] = True
    dtype = data(input).dtype
    # pair[n, j, i]: j a target class, i not one.
    pair = (is_target[:, :, None] & ~is_target[:, None, :]).astype(dtype)
    diff = 1 - (P.expand_dims(x, 2) - P.expand_dims(x, 1))
    per = P.sum(P.relu(diff) * pair, axis=(1, 2)) / c
    if len(s) == 1:
        per = P.squeeze(per, 0)
    return reduce_loss(per, reduction)

