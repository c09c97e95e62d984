"""Loss functions: cross-entropy, NLL, MSE, binary cross-entropy.

All are compositions of primitives, except the fused softmax cross-entropy for class
indices (primitives/losses.py). Cross-entropy goes through log_softmax, so its gradient
with respect to the logits is softmax(x) * sum(t) - t, computed without ever dividing by
a probability (docs/derivations.md, sections 1, 5-7).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from . import primitives as P
from .graph import is_tensor, new_tensor
from .primitives.losses import reduce_loss as _reduce
from .primitives.losses import softmax_nll
from .rules import composite
from .stability import made_by

if TYPE_CHECKING:
    from .api_types import Operand, Reduction
    from .tensor import Tensor


_REDUCTIONS = ("mean", "sum", "none")


def warn_if_probabilities(fn, x, expects):
    """Warn when ``x`` came straight from softmax but ``fn`` expects ``expects``.

    cross_entropy(softmax(x)) and nll_loss(softmax(x)) are finite, well-defined
    functions, so they are computed as written (a rewrite would change their values);
    they are almost always a slip, so say what was probably meant.
    """
    if made_by(x, P.softmax) is None:
        return
    warnings.warn(
        f"{fn}: its input came straight from softmax, so it holds probabilities, but "
        f"{fn} expects {expects}; the result is computed as written. For the "
        f"cross-entropy pass the logits to cr.cross_entropy, or cr.log_softmax(logits) "
        f"to cr.nll_loss.",
        UserWarning,
        stacklevel=3,
    )


def _check_reduction(name, reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, not {reduction!r}")


@composite
def nll_loss(
    log_probs: Operand, target: Operand, axis: int = -1, reduction: Reduction = "mean",
    label_smoothing: float = 0.0, ignore_index: int | None = None,
) -> Tensor:
    """Negative log-likelihood of log-probabilities: -sum_j t_j z_j (docs/derivations.md, 6).

    ``target`` holds integer class indices (shape of ``log_probs`` without ``axis``) or
    probabilities t in [0, 1] (same shape as ``log_probs``: soft targets).
    Where t_j = 0 the term is 0 even if z_j = -inf (0 log 0 = 0). With class indices,
    entries equal to ``ignore_index`` contribute nothing and are left out of the mean.
    """
    _check_reduction("nll_loss", reduction)
    warn_if_probabilities("nll_loss", log_probs, "log-probabilities")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    shape = np.shape(log_probs)
    if not shape:
        raise ValueError("nll_loss: log_probs must have a class axis, got a 0-d value")
    ax = axis % len(shape)
    k = shape[ax]
    tv = target._data if is_tensor(target) else np.asarray(target)
    if tv.dtype.kind in "iub":
        return _nll_indices(log_probs, target if is_tensor(target) else tv, ax, k,
                            reduction, label_smoothing, ignore_index)
    if tv.shape != shape:
        raise ValueError(
            f"nll_loss: soft targets must have the shape of the log-probabilities {shape}, "
            f"got {tv.shape}; integer targets are class indices of shape "
            f"{shape[:ax] + shape[ax + 1 :]}"
        )
    # As an array (not a list) the targets adopt the log-probabilities' float dtype.
    t = target if is_tensor(target) else tv
    if label_smoothing:
        t = t * (1 - label_smoothing) + label_smoothing / k
    # t * z with z -> 0 where t == 0, so a masked (-inf) log-probability costs nothing.
    loss = -P.sum(t * P.where(P.equal(t, 0), 0, log_probs), axis=ax)
    return _reduce(loss, reduction)


def _nll_indices(log_probs, t, ax, k, reduction, label_smoothing, ignore_index):
    shape = np.shape(log_probs)
    expected = shape[:ax] + shape[ax + 1 :]
    if t.shape != expected:
        raise ValueError(
            f"nll_loss: class-index targets must have shape {expected} for log-probabilities "
            f"of shape {shape} (classes on axis {ax}), got {t.shape}"
        )
    # The range check reads the values (under cr.vmap or cr.compile: the traced
    # example's or call's); the loss itself is computed with operations on `t`, so
    # a traced target is read afresh for every example or call.
    t = P.checked_classes(t, k, ignore_index=ignore_index, op="nll_loss")
    if ignore_index is None:
        safe = t
    else:
        valid = P.not_equal(t, ignore_index)
        safe = P.where(valid, t, 0)
    picked = P.squeeze(P.take_along_axis(log_probs, P.expand_dims(safe, ax), ax), ax)
    loss = -picked
    if label_smoothing:
        loss = loss * (1 - label_smoothing) - P.mean(log_probs, axis=ax) * label_smoothing
    if ignore_index is None:
        return _reduce(loss, reduction)
    loss = P.where(valid, loss, 0)
    return _reduce(loss, reduction, denominator=P.sum(valid))


@composite
def cross_entropy(
    logits: Operand, target: Operand, axis: int = -1, reduction: Reduction = "mean",
    label_smoothing: float = 0.0, ignore_index: int | None = None,
) -> Tensor:
    """Cross-entropy of logits against class indices or soft targets t (derivations.md, 1, 7).

    Computed as nll_loss(log_softmax(logits)): finite for any finite logits. Gradient
    with respect to the logits: softmax(x) * sum(t) - t per row (divided by the batch
    size for reduction='mean').
    """
    _check_reduction("cross_entropy", reduction)
    warn_if_probabilities("cross_entropy", logits, "logits")
    tv = target._data if is_tensor(target) else np.asarray(target)
    shape = logits._data.shape if is_tensor(logits) else np.shape(logits)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    if (
        tv.dtype.kind in "iu"
        and len(shape) > 0
        and tv.shape == shape[: axis % len(shape)] + shape[axis % len(shape) + 1 :]
    ):
        ax = axis % len(shape)
        # The fused primitive, ignored targets included (it reads which, every call).
        # The classes as a tensor: a NumPy array would be a constant, which takes the
        # logits' float dtype; a given tensor is passed as it is, so that a tracer
        # (cr.vmap) sees it. The range check is an operation too (replayed by
        # cr.compile for every call's targets).
        if is_tensor(target):
            classes = target if tv.dtype == np.intp else P.astype(target, np.intp)
        else:
            classes = new_tensor(tv.astype(np.intp, copy=False))
        classes = P.checked_classes(classes, shape[ax], ignore_index=ignore_index,
                                    op="cross_entropy")
        return softmax_nll(
            logits, classes, axis=ax, smoothing=float(label_smoothing),
            reduction=reduction, ignore_index=ignore_index,
        )
    return nll_loss(
        P.log_softmax(logits, axis=axis),
        target,
        axis=axis,
        reduction=reduction,
        label_smoothing=label_smoothing,
        ignore_index=ignore_index,
    )


@composite
def mse_loss(pred: Operand, target: Operand, reduction: Reduction = "mean") -> Tensor:
    """Mean squared error: mean((pred - target)^2)."""
    _check_reduction("mse_loss", reduction)
    if np.shape(pred) != np.shape(target):
        raise ValueError(
            f"mse_loss: pred shape {np.shape(pred)} and target shape {np.shape(target)} differ"
        )
    # As an array (not a list) the target adopts pred's float dtype.
    d = pred - (target if is_tensor(target) else np.asarray(target))
    return _reduce(d * d, reduction)


@composite
def binary_cross_entropy_with_logits(
    logits: Operand, target: Operand, reduction: Reduction = "mean",
    pos_weight: Operand | None = None,
) -> Tensor:
    """-[w t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))], as softplus terms (never log 0).

    log sigmoid(x) = -softplus(-x) and log(1 - sigmoid(x)) = -softplus(x), so the loss is
    w t softplus(-x) + (1 - t) softplus(x) with w = pos_weight (1 when not given): a sum
    of two non-negative terms, so no cancellation for any finite x (the equal form
    (1 - t) x + softplus(-x) loses every digit at x = -40, t = 0).
    """
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    if np.shape(logits) != np.shape(target):
        raise ValueError(
            f"binary_cross_entropy_with_logits: logits shape {np.shape(logits)} and target "
            f"shape {np.shape(target)} differ"
        )
    # As an array (not a list) the target adopts the logits' float dtype.
    target = target if is_tensor(target) else np.asarray(target)
    positive = target if pos_weight is None else pos_weight * target
    loss = positive * P.softplus(-logits) + (1 - target) * P.softplus(logits)
    return _reduce(loss, reduction)
