"""Regression, likelihood and embedding losses with PyTorch's signatures: l1_loss, mse_loss,
smooth_l1_loss, huber_loss, kl_div, gaussian_nll_loss, poisson_nll_loss,
cosine_embedding_loss, margin_ranking_loss, triplet_margin_loss, hinge_embedding_loss.

Inputs and targets broadcast as in PyTorch, which warns when their shapes differ (a
common slip: (N, 1) predictions against (N,) targets), and so does chainrule.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import primitives as P
from ..rules import composite
from ..tracing import traced
from .arguments import data, legacy_reduction, shape
from .classification_losses import reduce_loss
from .distance import pairwise_distance

__all__ = [
    "cosine_embedding_loss", "gaussian_nll_loss", "hinge_embedding_loss", "huber_loss",
    "kl_div", "l1_loss", "margin_ranking_loss", "mse_loss", "poisson_nll_loss",
    "smooth_l1_loss", "triplet_margin_loss",
]


def _hinge(z):
    """max(z, 0) as PyTorch's margin losses write it, clamp_min: at z = 0 exactly the
    gradient passes (relu's would be 0; equal scores or a zero margin hit it)."""
    return P.clip(z, 0, None)


def _target(fn, input, target):
    """The target as an operand of input's dtype, warning (as PyTorch) when shapes differ."""
    if shape(input) != shape(target):
        warnings.warn(
            f"{fn}: using a target size {shape(target)} that is different to the input size "
            f"{shape(input)}; they will broadcast, which is likely not what you want",
            UserWarning, stacklevel=3,
        )
    return target if hasattr(target, "requires_grad") else data(target).astype(
        data(input).dtype)


@composite
def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """|x - y| (derivative 0 where they are equal), optionally times ``weight``."""
    reduction = legacy_reduction("l1_loss", size_average, reduce, reduction)
    loss = P.abs(input - _target("l1_loss", input, target))
    return _weighted(loss, weight, reduction, "l1_loss")


@composite
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """(x - y)^2, optionally times ``weight``."""
    reduction = legacy_reduction("mse_loss", size_average, reduce, reduction)
    d = input - _target("mse_loss", input, target)
    return _weighted(d * d, weight, reduction, "mse_loss")


def _weighted(loss, weight, reduction, fn):
    """PyTorch's per-element ``weight`` (the loss's shape): the weighted mean divides by
    the weights' total, not by the element count."""
    if weight is None:
        return reduce_loss(loss, reduction)
    if tuple(shape(weight)) != tuple(shape(loss)):
        raise ValueError(f"{fn}: weight of shape {tuple(shape(weight))} for an input of "
                         f"shape {tuple(shape(loss))}; they must have the same size")
    return reduce_loss(loss * weight, reduction,
                       None if reduction != "mean" else P.sum(weight))


@composite
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (beta = 0: the L1 loss)."""
    reduction = legacy_reduction("smooth_l1_loss", size_average, reduce, reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    d = input - _target("smooth_l1_loss", input, target)
    a = P.abs(d)
    if beta == 0:
        return reduce_loss(a, reduction)
    # (comparisons of tensors are operations: cr.compile and cr.vmap make them per call)
    near = P.less(a, beta)
    return reduce_loss(P.where(near, 0.5 * d * d / beta, a - 0.5 * beta), reduction)


@composite
def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta) elsewhere."""
    reduction = legacy_reduction("huber_loss", None, None, reduction)
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    d = input - _target("huber_loss", input, target)
    a = P.abs(d)
    loss = P.where(P.less(a, delta), 0.5 * d * d, delta * (a - 0.5 * delta))
    return reduce_loss(loss if weight is None else loss * weight, reduction)


@composite
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Pointwise KL divergence with log-probabilities x: t (log t - x), 0 where t = 0; with
    log_target, e^t (t - x). ``reduction="batchmean"`` divides the sum by the batch size
    (the KL divergence proper); "mean" averages over every element, as PyTorch does."""
    fn = "kl_div"
    if reduction == "batchmean":
        red = "batchmean"
    else:
        red = legacy_reduction(fn, size_average, reduce, reduction)
        if red == "mean":
            warnings.warn(f"{fn}: reduction='mean' divides by the number of elements, not the "
                          f"batch size; 'batchmean' is the KL divergence", UserWarning,
                          stacklevel=2)
    t = target if hasattr(target, "requires_grad") else data(target).astype(data(input).dtype)
    if log_target:
        loss = P.exp(t) * (t - input)
    else:
        positive = t > 0  # (an operation where t is a tensor, traced or not)
        safe = P.where(positive, t, 1.0)
        loss = P.where(positive, t * (P.log(safe) - input), 0.0)
    if red == "batchmean":
        n = shape(input)[0] if shape(input) else 1
        return P.sum(loss) / n
    return reduce_loss(loss, red)


@composite
def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """0.5 (log v + (x - y)^2 / v) (+ 0.5 log 2 pi when full), v = max(var, eps).

    ``var`` has the input's shape, or lacks its last axis, or has size 1 there
    (homoscedastic). The clamp changes the value only: the gradient reaches ``var`` as if
    unclamped, as in PyTorch.
    """
    fn = "gaussian_nll_loss"
    reduction = legacy_reduction(fn, None, None, reduction)
    s, vs = shape(input), shape(var)
    if vs != s:
        if vs == s[:-1] or (len(vs) == len(s) - 1 and s[-1] == 1):
            var = P.expand_dims(var, -1)
        elif not (vs[:-1] == s[:-1] and vs[-1:] == (1,)):
            raise ValueError(f"{fn}: var of shape {vs} does not fit the input's shape {s}")
    v = data(var)
    if np.any(v < 0):
        raise ValueError(f"{fn}: var has negative entries")
    clamp = np.maximum(v, eps) - v  # added as a constant: the value clamps, the gradient not
    v_eff = var + clamp.astype(data(input).dtype)
    d = input - (target if hasattr(target, "requires_grad") else data(target))
    loss = 0.5 * (P.log(v_eff) + d * d / v_eff)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return reduce_loss(loss, reduction)


@composite
def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """Poisson negative log-likelihood: e^x - y x with log_input, else x - y log(x + eps);
    full adds Stirling's y log y - y + 0.5 log(2 pi y) where y > 1."""
    reduction = legacy_reduction("poisson_nll_loss", size_average, reduce, reduction)
    y = target if hasattr(target, "requires_grad") else data(target).astype(data(input).dtype)
    loss = P.exp(input) - y * input if log_input else input - y * P.log(input + eps)
    if full:
        if hasattr(y, "requires_grad"):
            # operations on the target: differentiated in it as PyTorch does, and under a
            # trace recomputed for every call or example
            big = P.greater(y, 1)
            safe = P.where(big, y, 1.0)
            stirling = P.where(big, safe * P.log(safe) - safe + 0.5 * P.log(2 * np.pi * safe),
                               0.0)
            return reduce_loss(loss + stirling, reduction)
        yv = data(y)
        big = yv > 1
        safe = np.where(big, yv, 1.0)
        stirling = np.where(big, safe * np.log(safe) - safe + 0.5 * np.log(2 * np.pi * safe), 0)
        loss = loss + stirling.astype(data(input).dtype)
    return reduce_loss(loss, reduction)


def _signs(fn, target, n):
    """The targets, checked to hold 1 or -1; a traced target as itself (its masks are then
    comparisons, computed for every call or example)."""
    y = data(target)
    if not np.all((y == 1) | (y == -1)):
        raise ValueError(f"{fn}: target must hold 1 or -1")
    return target if traced(target) else y


@composite
def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1.

    cos is taken along axis 1 (axis 0 for 1-d inputs) with 1e-12 added to each squared
    norm, as PyTorch does.
    """
    fn = "cosine_embedding_loss"
    reduction = legacy_reduction(fn, size_average, reduce, reduction)
    ax = 1 if len(shape(input1)) == 2 else 0
    y = _signs(fn, target, None)
    dot = P.sum(input1 * input2, axis=ax)
    m1 = P.sum(input1 * input1, axis=ax) + 1e-12
    m2 = P.sum(input2 * input2, axis=ax) + 1e-12
    cos = dot / P.sqrt(m1 * m2)
    loss = P.where(y == 1, 1 - cos, _hinge(cos - margin))
    return reduce_loss(loss, reduction)


@composite
def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -y (x1 - x2) + margin), y in {1, -1}."""
    reduction = legacy_reduction("margin_ranking_loss", size_average, reduce, reduction)
    # a tensor target stays one: differentiated as in PyTorch, and each call's own under a
    # trace (its values read here would be the first example's for every example)
    y = target if hasattr(target, "requires_grad") else data(target).astype(data(input1).dtype)
    return reduce_loss(_hinge(-y * (input1 - input2) + margin), reduction)


@composite
def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """x where y = 1, max(0, margin - x) where y = -1."""
    fn = "hinge_embedding_loss"
    reduction = legacy_reduction(fn, size_average, reduce, reduction)
    y = _signs(fn, target, None)
    zeros = np.zeros(shape(input), data(input).dtype)
    loss = P.where(y == 1, input, zeros) + P.where(y == -1, _hinge(margin - input), zeros)
    return reduce_loss(loss, reduction)


@composite
def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(d(a, p) - d(a, n) + margin, 0) with d the pairwise p-norm distance (eps added to
    the differences); swap uses min(d(a, n), d(p, n)) for the negative distance."""
    reduction = legacy_reduction("triplet_margin_loss", size_average, reduce, reduction)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = P.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return reduce_loss(_hinge(d_pos - d_neg + margin), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """max(d(a, p) - d(a, n) + margin, 0) with any distance function d(x, y) of two
    batches (pairwise_distance by default); swap uses min(d(a, n), d(p, n))."""
    if margin <= 0:
        raise ValueError(f"triplet_margin_with_distance_loss: margin must be greater than 0, "
                         f"got {margin}")
    d = distance_function if distance_function is not None else pairwise_distance
    d_pos = d(anchor, positive)
    d_neg = d(anchor, negative)
    if swap:
        d_neg = P.minimum(d_neg, d(positive, negative))
    return reduce_loss(_hinge(d_pos - d_neg + margin), reduction)
