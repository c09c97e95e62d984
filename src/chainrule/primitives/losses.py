"""The fused softmax cross-entropy: log_softmax, NLL and the reduction over samples, one node.

``softmax_nll(x, target, axis=...)`` is the training hot path behind
``cr.cross_entropy`` with class-index targets. It is a primitive of its own, not a
composition, for speed (one node, the softmax kept for the backward pass) and for the
last digits of tiny losses (docs/derivations.md, section 7).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .. import batching as B
from .. import statements as S
from ..domains import Example
from ..graph import is_tensor, trace_hook
from ..rules import nondifferentiable, primitive
from . import activations as _activations
from . import elementwise as _elementwise
from . import reductions as _reductions
from .activations import max_shift
from .elementwise import equal, where
from .shape import expand_dims


def _target_distribution(x, target, axis, smoothing):
    """(1 - e) onehot(target) + e / K along `axis`, of x's shape and dtype.

    A NumPy constant for NumPy targets; for a target tensor (the rules under
    create_graph) it is built with primitives, so that a tracer sees it depend on the
    target (cr.vmap over labels).
    """
    shape = np.shape(x)
    dtype = x.dtype if hasattr(x, "dtype") else np.result_type(x)
    if is_tensor(target):
        k, nd = shape[axis], len(shape)
        classes = np.arange(k).reshape([k if i == axis % nd else 1 for i in range(nd)])
        hit = equal(expand_dims(target, axis), classes)
        high = np.asarray(1 - smoothing + smoothing / k, dtype)
        return where(hit, high, np.asarray(smoothing / k, dtype))
    dist = np.zeros(shape, dtype=dtype)
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


def _ignored(target, ignore_index):
    """The mask of targets equal to ignore_index, or None when none is (or none given).

    Read from the values when the forward or a first-order rule runs: a compiled step
    replays these functions on each call's own targets, so the choice is each call's.
    """
    if ignore_index is None:
        return None
    mask = np.asarray(target) == ignore_index
    return mask if mask.any() else None


def _softmax_nll_fwd(x, target, axis, smoothing=0.0, reduction="none", ignore_index=None):
    """Per-sample loss (or its mean or sum), and the softmax kept for the VJP.

    Targets equal to ``ignore_index`` contribute nothing (a loss of 0, no gradient) and
    'mean' divides by the number of the others (by 1 when every target is ignored).

    With z = x - max(x) (docs/derivations.md, section 3), s = sum_j e^{z_j} and r = s -
    e^{z_t} the mass of the other classes, the loss -log softmax(x)_t = log(s) - z_t is
    computed as log1p(r / e^{z_t}): a confident right answer keeps its tiny loss (4e-18
    at a gap of 40, not the 0 that log(1 + 4e-18) rounds to). Where z_t < -50 the loss
    is over 50 and log(s) - z_t is exact enough (and e^{z_t} may underflow); float16
    switches closer to the max, where r / e^{z_t} would overflow (_near_limit). A row of
    only -inf has s = 0: its loss is +inf (the target is impossible) and its softmax 0.
    Label smoothing e mixes in the uniform target: (1 - e) nll + e (log(s) - mean_j
    z_j).
    """
    ignored = _ignored(target, ignore_index)
    if ignored is not None:
        loss, p = _softmax_nll_fwd(x, np.where(ignored, 0, target), axis, smoothing)
        loss = np.where(ignored, 0, loss)
        if reduction == "none":
            return loss, p
        total = np.add.reduce(loss, axis=None)
        count = loss.size - int(np.count_nonzero(ignored))
        return (total / max(count, 1) if reduction == "mean" else total), p
    x = np.asarray(x)
    k = x.shape[axis]
    # Classes first, samples flattened: z is (K, N) and every reduction runs along axis
    # 0, over all samples at once. With few classes a row-major copy makes those
    # reductions faster than NumPy's along short rows (docs/performance.md, "Short rows").
    matrix = x.ndim == 2 and axis == 1
    xt = x.T if matrix else np.moveaxis(x, axis, 0).reshape(k, -1)
    n = xt.shape[1]
    if k <= _FEW_CLASSES and n >= 16:
        xt = np.ascontiguousarray(xt)
    t = target if matrix else target.reshape(-1)
    m = np.maximum.reduce(xt, axis=0)
    finite = np.logical_and.reduce(np.isfinite(m), axis=None)
    z = xt - m if finite else max_shift(xt, 0)  # (max_shift: the rules for infinite maxima)
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


def _per_sample(g, x, axis, reduction, counted=None):
    """The cotangent of each sample's loss, shaped to broadcast against x (`counted`: how
    many samples a mean is over, when some are ignored)."""
    if reduction == "none":
        if is_tensor(g):
            return expand_dims(g, axis)
        return g[:, None] if g.ndim == 1 and axis == 1 else np.expand_dims(g, axis)
    if reduction == "mean":
        if counted is not None:
            return g / counted
        shape = x.shape if type(x) is np.ndarray else np.shape(x)
        return g / max(math.prod(shape) // shape[axis], 1)
    return g


def _kept(target, ignore_index, dtype):
    """(1 for each target not ignored, as a tensor of x's dtype; how many, at least 1),
    by operations: the differentiable rules' form (under create_graph or a tracer)."""
    keep = _elementwise.astype(_elementwise.not_equal(target, ignore_index), dtype)
    return keep, _elementwise.maximum(_reductions.sum(keep), 1)


def _softmax_nll_vjp(g, ans, x, target, axis, smoothing=0.0, reduction="none", saved=None,
                     ignore_index=None):
    # (target, the class indices, is a constant argument: a tensor under create_graph.)
    # g * (softmax(x) - t) with t = (1 - e) onehot + e / K (docs/derivations.md, section 7);
    # ignored targets' rows get no gradient.
    if saved is None:  # tensors (create_graph=True) or a transform: differentiable form
        if ignore_index is None:
            g = _per_sample(g, x, axis, reduction)
            t = _target_distribution(x, target, axis, smoothing)
            return g * (_activations.softmax(x, axis=axis) - t)
        _, counted = _kept(target, ignore_index, _dtype_of(x))
        kept = _elementwise.not_equal(target, ignore_index)
        g = _per_sample(g, x, axis, reduction, counted)
        t = _target_distribution(x, where(kept, target, 0), axis, smoothing)
        # where, not a product with 0/1: an ignored row's gradient is 0 even where its
        # logits are not finite, as in the saved form below.
        return where(expand_dims(kept, axis), g * (_activations.softmax(x, axis=axis) - t), 0)
    ignored = _ignored(target, ignore_index)
    if ignored is not None:
        g = _per_sample(g, x, axis, reduction, max(ignored.size - int(np.count_nonzero(ignored)),
                                                   1))
        target = np.where(ignored, 0, target)
    else:
        g = _per_sample(g, x, axis, reduction)
    d = saved * g
    hit = (1 - smoothing) * g
    if d.ndim == 2 and axis == 1:
        d[_columns(d.shape[0]), target] -= hit[:, 0] if getattr(hit, "ndim", 0) else hit
    else:
        idx = np.expand_dims(target, axis)
        np.put_along_axis(d, idx, np.take_along_axis(d, idx, axis) - hit, axis)
    if smoothing:
        d -= g * (smoothing / d.shape[axis])
    if ignored is not None:
        d[np.broadcast_to(np.expand_dims(ignored, axis), d.shape)] = 0
    return d


def _dtype_of(x):
    dtype = x._data.dtype if is_tensor(x) else np.asarray(x).dtype
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


def _softmax_nll_jvp(t, ans, x, target, axis, smoothing=0.0, reduction="none",
                     ignore_index=None):
    keep = counted = None
    if ignore_index is not None:
        keep, counted = _kept(target, ignore_index, _dtype_of(x))
        ignored_target = target
        target = where(_elementwise.not_equal(target, ignore_index), target, 0)
    per_sample = _reductions.sum(
        t * (_activations.softmax(x, axis=axis) - _target_distribution(x, target, axis, smoothing)),
        axis=axis,
    )
    if keep is None:
        return reduce_loss(per_sample, reduction)
    per_sample = where(_elementwise.not_equal(ignored_target, ignore_index), per_sample, 0)
    return _reductions.sum(per_sample) / counted if reduction == "mean" else reduce_loss(
        per_sample, reduction)


# Fused log_softmax + NLL (+ the mean or sum over samples) for class indices, with
# optional label smoothing e: the training hot path. The forward keeps the softmax for
# the first-order VJP (saves=True); with create_graph=True the rule is written with the
# differentiable softmax so that it serves higher orders too (docs/performance.md).
softmax_nll = primitive(
    "softmax_nll", _softmax_nll_fwd,
    saves=True,
    batch=B.softmax_nll_rule,
    domain=Example(
        lambda rng: (
            (rng.standard_normal((3, 4)), np.array([0, 3, 1])),
            {"axis": 1},
        )
    ),
    statement=S.Statement(
        forward="per sample: logsumexp(x) - x[target] = -log_softmax(x)[target], the "
        "cross-entropy of logits against class indices, fused",
        vjp="x_bar = g * (softmax(x) - onehot(target)) (docs/derivations.md, section 7)",
        latex_forward=r"y = \log \sum_j e^{x_j} - x_t",
        latex_vjp=r"\bar x = \bar y\,(\operatorname{softmax}(x) - e_t)",
        jacobian="row i of the log_softmax Jacobian, negated: sigma_j - delta_jt",
        latex_jacobian=r"\frac{\partial y}{\partial x_j} = \sigma_j - \delta_{jt}",
    ),
).defvjp(_softmax_nll_vjp, None).defjvp(_softmax_nll_jvp, None)


def reduce_loss(loss, reduction, denominator=None):
    """Per-sample losses reduced as asked: 'none', 'sum', or 'mean' (over `denominator`
    samples when given, e.g. those not ignored)."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return _reductions.sum(loss)
    if denominator is not None:
        total = _reductions.sum(loss)
        if is_tensor(denominator):  # counted by operations (a traced target's)
            count = _elementwise.maximum(denominator, 1)
            return total / _elementwise.astype(count, np.result_type(total))
        return total / max(int(denominator), 1)
    return _reductions.mean(loss)


# ------------------------------------------------------------ class-index checks
def _class_indices_fwd(target, classes, ignore_index=None, op="nll_loss"):
    t = np.asarray(target)
    # Two reductions decide the usual case (every index in range); the set of bad ones
    # is made only to name them or to leave out ignore_index.
    if t.size and (np.minimum.reduce(t, axis=None) < 0
                   or np.maximum.reduce(t, axis=None) >= classes):
        bad = (t < 0) | (t >= classes)
        if ignore_index is not None:
            bad &= t != ignore_index
        if bad.any():
            raise IndexError(
                f"{op}: target class indices must be in 0..{classes - 1}"
                + ("" if ignore_index is None else f" (or ignore_index={ignore_index})")
                + f"; found {sorted(set(t[bad].ravel().tolist()))[:10]}"
            )
    return t


def _class_indices_batch(prim, args, batched, kw):
    return prim(*args, **kw)  # (the check reads every value, whatever the layout)


# The targets themselves, checked: an operation, so that a compiled step (cr.compile)
# checks each call's targets, not only those of its capture (a -1 would otherwise
# silently read the last class). Targets that are not traced are checked directly
# (checked_classes): the operation's recording would cost every eager training step.
class_indices = nondifferentiable(
    "class_indices", _class_indices_fwd,
    batch=_class_indices_batch,
    statement=S.step("the class-index targets, refused (IndexError) outside 0..classes-1 "
                     "except ignore_index", r"t"),
)


def checked_classes(target, classes, ignore_index=None, op="nll_loss"):
    """`target` after the class_indices check: the operation for a traced target (its
    values are one call's or example's), a direct check otherwise."""
    tracer = trace_hook()
    if tracer is not None and is_tensor(target) and tracer.traced(target):
        return class_indices(target, classes, ignore_index=ignore_index, op=op)
    _class_indices_fwd(target._data if is_tensor(target) else target, classes, ignore_index, op)
    return target

