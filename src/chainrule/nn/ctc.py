"""F.ctc_loss and its argument handling (the recursion is chainrule.primitives.ctc)."""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from ..primitives.ctc import ctc_nll, extend
from ..tracing import concrete, traced
from .arguments import check_reduction, data, shape

__all__ = ["ctc_loss"]


def _lengths(fn, name, value, n):
    v = np.asarray(data(value) if not isinstance(value, (int, np.integer)) else [value] * n)
    v = v.reshape(-1)
    if v.dtype.kind not in "iu" or v.shape != (n,):
        raise ValueError(f"{fn}: {name} must hold one integer per sample ({n}), got {v}")
    if np.any(v < 0):
        raise ValueError(f"{fn}: {name} must be non-negative")
    return v.astype(np.intp)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """The CTC loss of log-probabilities (T, N, C) ((T, C) unbatched) against label sequences.

    ``targets`` is (N, S) padded or 1-d (every target concatenated); lengths are per sample.
    reduction "mean" divides each sample's loss by its target length (at least 1) and
    averages over the batch, as PyTorch. An impossible alignment (input too short) gives an
    infinite loss, or 0 with ``zero_infinity``; its gradient is 0 either way. The gradient
    is with respect to ``log_probs`` (PyTorch's adds exp(log_probs), which cancels after a
    log_softmax; see docs/api.md).
    """
    fn = "ctc_loss"
    check_reduction(fn, reduction)
    s = shape(log_probs)
    unbatched = len(s) == 2
    if unbatched:
        log_probs = P.expand_dims(log_probs, 1)
        s = shape(log_probs)
    if len(s) != 3:
        raise ValueError(f"{fn}: log_probs must be (T, N, C) or (T, C), got {s}")
    T, N, C = s
    if not 0 <= blank < C:
        raise ValueError(f"{fn}: blank={blank} must be a class index in 0..{C - 1}")
    for name, value in (("targets", targets), ("input_lengths", input_lengths),
                        ("target_lengths", target_lengths)):
        if traced(value):  # (the alignment's layout is read from these values)
            concrete(value, f"{fn}'s {name}")
    il = _lengths(fn, "input_lengths", input_lengths, N)
    tl = _lengths(fn, "target_lengths", target_lengths, N)
    if np.any(il > T):
        raise ValueError(f"{fn}: input_lengths must be at most T = {T}, got {il.tolist()}")
    t = data(targets).astype(np.intp)
    if unbatched and t.ndim == 1 and t.size == tl.sum():
        t = t[None]
    if t.ndim == 1:  # concatenated targets
        if t.size != tl.sum():
            raise ValueError(f"{fn}: 1-d targets must hold sum(target_lengths) = {tl.sum()} "
                             f"labels, got {t.size}")
        padded = np.full((N, max(int(tl.max()) if N else 0, 1)), blank, np.intp)
        mask = np.arange(padded.shape[1])[None, :] < tl[:, None]
        padded[mask] = t
        t = padded
    elif t.ndim != 2 or t.shape[0] != N or np.any(tl > t.shape[1]):
        raise ValueError(f"{fn}: targets must be (N, S) with S >= target_lengths, or 1-d "
                         f"concatenated; got shape {t.shape}")
    used = np.arange(t.shape[1])[None, :] < tl[:, None]
    if np.any((t[used] < 0) | (t[used] >= C)) or np.any(t[used] == blank):
        raise ValueError(f"{fn}: target labels must be in 0..{C - 1} and never the blank "
                         f"({blank})")
    ext, skip = extend(np.where(used, t, blank), tl, blank)
    nll = ctc_nll(log_probs, ext=ext, skip=skip, input_lengths=il, target_lengths=tl)
    if zero_infinity:
        nll = P.where(np.isinf(data(nll)), 0.0, nll)
    if reduction == "none":
        return P.squeeze(nll, 0) if unbatched else nll
    if reduction == "sum":
        return P.sum(nll)
    return P.mean(nll / np.maximum(tl, 1).astype(data(nll).dtype))
