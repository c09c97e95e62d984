"""Loss functions, the seed's subject: cross-entropy, NLL, MSE, binary cross-entropy.

All are compositions of primitives. Cross-entropy goes through log_softmax, so its
gradient with respect to the logits is the seed's fused form softmax(x) * sum(t) - t
(4c applied to v = -t, 4d), computed without ever dividing by a probability (2d).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from . import primitives as P
from .graph import is_tensor, primitive
from .primitives.activations import _shift
from .stability import warn_if_probabilities

_REDUCTIONS = ("mean", "sum", "none")


def _target_distribution(x, target, axis, smoothing):
    """Constant array of x's shape and dtype: (1 - e) onehot(target) + e / K along `axis`."""
    shape = np.shape(x)
    dist = np.zeros(shape, dtype=np.result_type(x))
    if len(shape) == 2 and axis == 1:
        dist[np.arange(shape[0]), target] = 1 - smoothing
    else:
        np.put_along_axis(dist, np.expand_dims(target, axis), 1 - smoothing, axis)
    if smoothing:
        dist += smoothing / shape[axis]
    return dist


# Up to this many classes (and from 16 samples on) the fused cross-entropy copies the
# transposed logits: NumPy reduces along a short last axis slowly (reductions.py).
_FEW_CLASSES = 64


@functools.lru_cache(maxsize=64)
def _near_limit(dtype, k):
    """How far below the max a target logit may lie for the log1p form (see below).

    -50 where the dtype allows (the loss is then over 50 and log(s) - z_t exact enough),
    closer in float16: r / e^{z_t} <= k e^{-z_t} must not overflow (at k = 10 the
    limit is -7.8; float32 would allow -85 and float64 -700, so -50 holds there).
    """
    return -min(50.0, math.log(np.finfo(dtype).max / k) - 1.0)


@functools.lru_cache(maxsize=64)
def _columns(n):
    """np.arange(n), read-only and made once per batch size (the loss indexes with it)."""
    cols = np.arange(n)
    cols.flags.writeable = False
    return cols


def _softmax_nll_fwd(x, target, axis, smoothing=0.0, reduction="none"):
    """Per-sample loss (or its mean or sum), and the softmax kept for the VJP.

    With z = x - max(x) (seed 4a), s = sum_j e^{z_j} and r = s - e^{z_t} the mass of the
    other classes, the loss -log softmax(x)_t = log(s) - z_t is computed as
    log1p(r / e^{z_t}): a confident right answer keeps its tiny loss (4e-18 at a gap of
    40, not the 0 that log(1 + 4e-18) rounds to). Where z_t < -50 the loss is over 50 and
    log(s) - z_t is exact enough (and e^{z_t} may underflow); float16 switches closer to
    the max, where r / e^{z_t} would overflow (_near_limit). A row of only -inf has
    s = 0: its loss is +inf (the target is impossible) and its softmax 0. Label
    smoothing e mixes in the uniform target: (1 - e) nll + e (log(s) - mean_j z_j).
    """
    x = np.asarray(x)
    k = x.shape[axis]
    # Classes first, samples flattened: z is (K, N) and every reduction runs along axis
    # 0, over all samples at once. With few classes a row-major copy makes those
    # reductions 3-4x faster than NumPy's reductions along short rows.
    matrix = x.ndim == 2 and axis == 1
    xt = x.T if matrix else np.moveaxis(x, axis, 0).reshape(k, -1)
    n = xt.shape[1]
    if k <= _FEW_CLASSES and n >= 16:
        xt = np.ascontiguousarray(xt)
    t = target if matrix else target.reshape(-1)
    m = np.maximum.reduce(xt, axis=0)
    finite = np.logical_and.reduce(np.isfinite(m), axis=None)
    z = xt - m if finite else _shift(xt, 0)  # (_shift: the rules for infinite maxima)
    e = np.exp(z)
    s = np.add.reduce(e, axis=0)  # >= 1: each column's maximum contributes e^0 = 1 ...
    if not finite:
        s = np.maximum(s, 1)  # ... except a column of only -inf, whose softmax is 0
    # The softmax, written straight into x's shape, row-major (as the products of the
    # backward prefer): no transposed copy afterwards.
    if matrix:
        p = np.empty(x.shape, e.dtype)
        np.divide(e, s, out=p.T)
    else:
        p = e / s
    cols = _columns(n)
    zt = z[t, cols]
    et = e[t, cols]
    e[t, cols] = 0
    rest = np.add.reduce(e, axis=0)
    near_limit = _near_limit(e.dtype, k)
    if n and np.minimum.reduce(zt) > near_limit:
        # The usual batch: no target's e^{z_t} is anywhere near underflow, so the log1p
        # form holds for every sample (the same values as the general line below, in
        # a third of its NumPy calls).
        loss = np.log1p(rest / et)
        lse = np.log(s) if smoothing else None
    else:
        near = zt > near_limit
        lse = np.log(s)
        loss = np.where(near, np.log1p(rest / np.where(near, et, 1)), lse - zt)
    if smoothing:
        loss = (1 - smoothing) * loss + smoothing * (lse - np.add.reduce(z, axis=0) / k)
    if not matrix:
        p = np.ascontiguousarray(np.moveaxis(p.reshape((k,) + target.shape), 0, axis))
    if reduction == "none":
        return loss.reshape(target.shape), p
    total = np.add.reduce(loss, axis=None)
    if reduction == "mean":  # the mean of no samples is NaN, as for every other mean
        total = total / loss.size if loss.size else np.full((), np.nan, loss.dtype)
    return total, p


def _per_sample(g, x, axis, reduction):
    """The cotangent of each sample's loss, shaped to broadcast against x."""
    if reduction == "none":
        if is_tensor(g):
            return P.expand_dims(g, axis)
        return g[:, None] if g.ndim == 1 and axis == 1 else np.expand_dims(g, axis)
    if reduction == "mean":
        shape = x.shape if type(x) is np.ndarray else np.shape(x)
        return g / max(math.prod(shape) // shape[axis], 1)
    return g


def _softmax_nll_vjp(g, ans, x, target, axis, smoothing=0.0, reduction="none", saved=None):
    # Seed 4c with v = -t, 4d: g * (softmax(x) - t) with t = (1 - e) onehot + e / K.
    g = _per_sample(g, x, axis, reduction)
    if saved is None:  # tensors (create_graph=True) or a transform: differentiable form
        return g * (P.softmax(x, axis=axis) - _target_distribution(x, target, axis, smoothing))
    d = saved * g
    hit = (1 - smoothing) * g
    if d.ndim == 2 and axis == 1:
        d[_columns(d.shape[0]), target] -= hit[:, 0] if getattr(hit, "ndim", 0) else hit
    else:
        idx = np.expand_dims(target, axis)
        np.put_along_axis(d, idx, np.take_along_axis(d, idx, axis) - hit, axis)
    if smoothing:
        d -= g * (smoothing / d.shape[axis])
    return d


def _softmax_nll_jvp(t, ans, x, target, axis, smoothing=0.0, reduction="none"):
    per_sample = P.sum(
        t * (P.softmax(x, axis=axis) - _target_distribution(x, target, axis, smoothing)),
        axis=axis,
    )
    return _reduce(per_sample, reduction)


# Fused log_softmax + NLL (+ the mean or sum over samples) for class indices, with
# optional label smoothing e: the training hot path. The forward keeps the softmax for
# the first-order VJP (saves=True); with create_graph=True the rule is written with the
# differentiable softmax so that it serves higher orders too (docs/performance.md).
softmax_nll = primitive("softmax_nll", _softmax_nll_fwd, saves=True).defvjp(
    _softmax_nll_vjp
).defjvp(_softmax_nll_jvp)


def _reduce(loss, reduction, denominator=None):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return P.sum(loss)
    if denominator is not None:
        return P.sum(loss) / max(denominator, 1)
    return P.mean(loss)


def _check_reduction(name, reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, not {reduction!r}")


def nll_loss(
    log_probs, target, axis=-1, reduction="mean", label_smoothing=0.0, ignore_index=None
):
    """Negative log-likelihood of log-probabilities: -sum_j t_j z_j (seed 4d).

    ``target`` holds integer class indices (shape of ``log_probs`` without ``axis``) or
    probabilities t in [0, 1] (same shape as ``log_probs``, the seed's soft targets).
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
    tv = target.data if is_tensor(target) else np.asarray(target)
    if tv.dtype.kind in "iub":
        return _nll_indices(log_probs, tv, ax, k, reduction, label_smoothing, ignore_index)
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
    valid = np.ones(t.shape, dtype=bool) if ignore_index is None else t != ignore_index
    bad = valid & ((t < 0) | (t >= k))
    if bad.any():
        raise IndexError(
            f"nll_loss: target class indices must be in 0..{k - 1}; found "
            f"{sorted(set(np.asarray(t[bad]).ravel().tolist()))[:10]}"
        )
    safe = np.where(valid, t, 0).astype(np.intp)
    picked = P.squeeze(P.take_along_axis(log_probs, np.expand_dims(safe, ax), ax), ax)
    loss = -picked
    if label_smoothing:
        loss = loss * (1 - label_smoothing) - P.mean(log_probs, axis=ax) * label_smoothing
    if ignore_index is None:
        return _reduce(loss, reduction)
    loss = P.where(valid, loss, 0)
    return _reduce(loss, reduction, denominator=int(valid.sum()))


def cross_entropy(
    logits, target, axis=-1, reduction="mean", label_smoothing=0.0, ignore_index=None
):
    """Cross-entropy of logits against class indices or soft targets t (seed 2c, 4d).

    Computed as nll_loss(log_softmax(logits)): finite for any finite logits. Gradient
    with respect to the logits: softmax(x) * sum(t) - t per row (divided by the batch
    size for reduction='mean').
    """
    _check_reduction("cross_entropy", reduction)
    warn_if_probabilities("cross_entropy", logits, "logits")
    tv = target.data if is_tensor(target) else np.asarray(target)
    shape = logits.data.shape if is_tensor(logits) else np.shape(logits)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    if (
        tv.dtype.kind in "iu"
        and len(shape) > 0
        and tv.shape == shape[: axis % len(shape)] + shape[axis % len(shape) + 1 :]
    ):
        ax = axis % len(shape)
        # The fused primitive, unless some target is actually to be ignored.
        ignoring = False
        if tv.size:
            lo, hi = np.minimum.reduce(tv, axis=None), np.maximum.reduce(tv, axis=None)
            if ignore_index is not None and lo <= ignore_index <= hi:
                ignoring = bool((tv == ignore_index).any())
            if not ignoring and (lo < 0 or hi >= shape[ax]):
                bad = tv[(tv < 0) | (tv >= shape[ax])]
                raise IndexError(
                    f"cross_entropy: target class indices must be in 0..{shape[ax] - 1}; "
                    f"found {sorted(set(bad.ravel().tolist()))[:10]}"
                )
        if not ignoring:
            return softmax_nll(
                logits, target=tv.astype(np.intp, copy=False), axis=ax,
                smoothing=float(label_smoothing), reduction=reduction,
            )
    return nll_loss(
        P.log_softmax(logits, axis=axis),
        target,
        axis=axis,
        reduction=reduction,
        label_smoothing=label_smoothing,
        ignore_index=ignore_index,
    )


def mse_loss(pred, target, reduction="mean"):
    """Mean squared error: mean((pred - target)^2)."""
    _check_reduction("mse_loss", reduction)
    if np.shape(pred) != np.shape(target):
        raise ValueError(
            f"mse_loss: pred shape {np.shape(pred)} and target shape {np.shape(target)} differ"
        )
    # As an array (not a list) the target adopts pred's float dtype.
    d = pred - (target if is_tensor(target) else np.asarray(target))
    return _reduce(d * d, reduction)


def binary_cross_entropy_with_logits(logits, target, reduction="mean", pos_weight=None):
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
