"""Drawing from discrete distributions: PyTorch's ``multinomial``, JAX's ``categorical``,
and the temperature / top-k / top-p sampling that text generation uses.

Randomness comes from a ``numpy.random.Generator`` (``generator=``; an int seeds a new
one; None uses the default generator that :func:`chainrule.nn.init.manual_seed`
reseeds), so a seed reproduces a sample. Nothing here is differentiable: the results
are int64 index tensors, and the helpers that filter logits return plain values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .graph import TensorBase, array_like
from .nn.init import generator as _generator
from .primitives.sorting import topk
from .tensor import Tensor


def _values(x, name, owner):
    """The NumPy values of a tensor, array or array_like (lists of tensors included)."""
    x = array_like(x)
    values = np.asarray(x._data if isinstance(x, TensorBase) else x)
    if values.dtype.kind not in "fiu":
        raise TypeError(f"{owner}: {name} must hold real numbers, got dtype {values.dtype}")
    return values


def _count(value, name, owner):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{owner}: {name} must be an integer >= 1, got {value!r}")
    return int(value)


def multinomial(
    input: Any, num_samples: int, replacement: bool = False, *, generator: Any = None
) -> Any:
    """Indices drawn from the categories of each row of ``input`` (PyTorch's semantics).

    ``input`` is 1-D (one distribution) or 2-D (one per row) of non-negative weights,
    which need not sum to 1. Returns int64 of shape (num_samples,) or (rows,
    num_samples). With ``replacement`` each draw is independent (inverse CDF: the
    first index whose cumulative weight exceeds u * total, u uniform in [0, 1)); without
    it a row's draws are distinct, in the order sequential drawing without replacement
    would give them (the Gumbel-top-k trick: the num_samples largest log w_i + G_i, G_i
    standard Gumbel). A zero weight is never drawn.
    """
    probs = _values(input, "input", "multinomial")
    if probs.dtype.kind != "f":
        raise TypeError(
            f"multinomial: input must be floating point (weights), got dtype {probs.dtype}"
        )
    if probs.ndim not in (1, 2):
        raise ValueError(f"multinomial: input must be 1-D or 2-D, got shape {probs.shape}")
    n = _count(num_samples, "num_samples", "multinomial")
    rows = probs.reshape(-1, probs.shape[-1]).astype(np.float64)
    categories = rows.shape[1]
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise ValueError("multinomial: input holds NaN, infinity or a negative weight; weights "
                         "must be finite and >= 0")
    totals = rows.sum(axis=1)
    if categories == 0 or (totals <= 0).any():
        raise ValueError("multinomial: a row of input has no positive weight (its sum is 0); "
                         "every distribution needs some weight")
    rng = _generator(generator)
    if replacement:
        cdf = np.cumsum(rows, axis=1)
        cdf /= cdf[:, -1:]
        u = rng.random((rows.shape[0], n))
        # One sorted search for all rows: row r's cumulative weights lie in [r, r + 1].
        offsets = np.arange(rows.shape[0], dtype=np.float64)[:, None]
        flat = np.searchsorted((cdf + offsets).ravel(), (u + offsets).ravel(), side="right")
        samples = flat.reshape(u.shape) - np.arange(rows.shape[0])[:, None] * categories
        samples = np.minimum(samples, categories - 1)  # u * total rounding up to the total
    else:
        if n > categories:
            raise ValueError(f"multinomial: cannot draw {n} samples without replacement from "
                             f"{categories} categories; pass replacement=True")
        positive = (rows > 0).sum(axis=1)
        if (positive < n).any():
            raise ValueError(
                f"multinomial: a row has only {positive.min()} categories with positive "
                f"weight, too few to draw {n} without replacement"
            )
        with np.errstate(divide="ignore"):
            keys = np.log(rows) + rng.gumbel(size=rows.shape)
        samples = np.argsort(-keys, axis=1, kind="stable")[:, :n]
    samples = samples.astype(np.int64)
    return Tensor(samples if probs.ndim == 2 else samples[0])


def categorical(logits, axis=-1, shape=None, *, generator=None):
    """Indices drawn with probabilities softmax(logits) along ``axis`` (JAX's semantics).

    By the Gumbel-max trick: argmax(logits + G) with G standard Gumbel noise, so logits
    need not be normalized and -inf marks an impossible category. ``shape`` is the
    result's shape (default: logits' shape without ``axis``); leading extra axes draw
    more samples per distribution. Returns an int64 tensor.
    """
    values = _values(logits, "logits", "categorical").astype(np.float64)
    if values.ndim == 0:
        raise ValueError("categorical: logits need an axis of categories, got a 0-d value")
    values = np.moveaxis(values, axis, -1)
    batch = values.shape[:-1]
    shape = batch if shape is None else tuple(shape)
    if shape[len(shape) - len(batch):] != batch:
        raise ValueError(f"categorical: shape {shape} must end with the batch shape {batch} "
                         f"of logits {np.shape(logits)} without axis {axis}")
    if values.shape[-1] == 0 or np.isneginf(values).all(axis=-1).any():
        raise ValueError("categorical: a distribution has no possible category (every logit "
                         "is -inf, or there are none)")
    if np.isnan(values).any() or np.isposinf(values).any():
        raise ValueError("categorical: logits hold NaN or +inf")
    rng = _generator(generator)
    # Shifted so the largest logit is 0: noise added to 1e300 would be lost.
    values = values - values.max(axis=-1, keepdims=True)
    noisy = values + rng.gumbel(size=(*shape, values.shape[-1]))
    return Tensor(np.argmax(noisy, axis=-1).astype(np.int64))


def top_k_filter(logits, k):
    """Logits with all but the ``k`` largest of each row (last axis) set to -inf.

    Entries tied with the k-th largest are kept. Returns a NumPy array in the logits'
    dtype; k at least the number of categories keeps everything.
    """
    values = np.array(_values(logits, "logits", "top_k_filter"), dtype=None)
    k = _count(k, "k", "top_k_filter")
    if values.dtype.kind != "f":
        values = values.astype(np.float64)
    if k >= values.shape[-1]:
        return values
    kth = topk(values, k, dim=-1).values[..., -1:]
    values[values < kth] = -np.inf
    return values


def top_p_filter(logits, p):
    """Logits outside the nucleus of each row set to -inf (Holtzman et al., 2020).

    The nucleus is the smallest set of the most probable categories whose softmax
    probability adds up to at least ``p`` (0 < p <= 1); the most probable category is
    always kept. Returns a NumPy array in the logits' dtype.
    """
    values = np.array(_values(logits, "logits", "top_p_filter"), dtype=None)
    if values.dtype.kind != "f":
        values = values.astype(np.float64)
    if not 0 < p <= 1:
        raise ValueError(f"top_p_filter: p must lie in (0, 1], got {p}")
    order = np.argsort(-values, axis=-1, kind="stable")
    ranked = np.take_along_axis(values, order, axis=-1).astype(np.float64)
    shifted = np.exp(ranked - ranked[..., :1])
    probs = shifted / shifted.sum(axis=-1, keepdims=True)
    # A category stays if the mass ranked above it has not reached p yet.
    before = np.cumsum(probs, axis=-1) - probs
    drop = np.zeros(values.shape, bool)
    np.put_along_axis(drop, order, before >= p, axis=-1)
    values[drop] = -np.inf
    return values


def sample_logits(logits, temperature=1.0, top_k=None, top_p=None, *, generator=None):
    """One category per row (last axis) of ``logits``: the generation step of a language model.

    The logits are divided by ``temperature`` (0 takes the argmax: greedy decoding),
    restricted to the ``top_k`` largest and to the ``top_p`` nucleus when those are
    given, and a category is drawn from their softmax. Returns an int64 tensor of the
    logits' shape without the last axis.
    """
    values = _values(logits, "logits", "sample_logits").astype(np.float64)
    if not temperature >= 0:
        raise ValueError(f"sample_logits: temperature must be >= 0, got {temperature}")
    if temperature == 0:
        return Tensor(np.argmax(values, axis=-1).astype(np.int64))
    values = values / temperature
    if top_k is not None:
        values = top_k_filter(values, top_k)
    if top_p is not None:
        values = top_p_filter(values, top_p)
    return categorical(values, axis=-1, generator=generator)
