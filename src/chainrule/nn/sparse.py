"""Lookup tables: Embedding and EmbeddingBag, F.embedding, F.embedding_bag.

Lookups go through the gather_rows primitive, whose gradient sums the rows of equal
indices with a sort and ``np.add.reduceat`` (chainrule.primitives.sparse); bags reduce
with the same row scatter-sum. Gradients are dense arrays (``sparse=True`` is refused).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import primitives as P
from ..graph import is_tensor, no_grad
from ..primitives.sparse import gather_rows, scatter_rows
from ..tracing import concrete, traced
from . import init
from .arguments import data, shape
from .module import Module, Parameter, float_dtype

if TYPE_CHECKING:
    from numpy.typing import DTypeLike

    from ..api_types import Operand


__all__ = ["embedding", "embedding_bag"]


def _indices(fn, input, num):
    idx = data(input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{fn}: indices must be integers, got dtype {idx.dtype}")
    # Negative indices are refused (as in PyTorch) rather than counted from the end: an
    # index of -1 is almost always a padding or "unknown" marker that leaked through.
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        raise IndexError(
            f"{fn}: indices must be in 0..{num - 1} for {num} embeddings; got values from "
            f"{idx.min()} to {idx.max()}"
        )
    return idx.astype(np.intp, copy=False)


def _padding(fn, padding_idx, num):
    if padding_idx is None:
        return None
    if not -num <= padding_idx < num:
        raise ValueError(f"{fn}: padding_idx {padding_idx} is outside 0..{num - 1}")
    return int(padding_idx) % num


def _renorm(weight, idx, max_norm, norm_type):
    """Rescale, in place, the looked-up rows whose norm exceeds max_norm (as PyTorch)."""
    rows = np.unique(idx)
    w = data(weight)
    norms = np.linalg.norm(w[rows], ord=norm_type, axis=1)
    big = norms > max_norm
    if big.any():
        with no_grad():
            scaled = w[rows[big]] * (max_norm / (norms[big] + 1e-7))[:, None]
            if is_tensor(weight):
                new = w.copy()
                new[rows[big]] = scaled.astype(w.dtype)
                weight.copy_(new)
            else:
                w[rows[big]] = scaled


def _without_gradient_at(out, mask):
    """``out`` with no gradient where ``mask`` (broadcast over the last axis) is True."""
    if not mask.any() or not is_tensor(out):
        return out
    return P.where(mask[..., None], out.detach(), out)


def _scale_gradient(out, scale):
    """Same values as ``out``; gradient multiplied by ``scale`` (broadcast over the last axis)."""
    if not is_tensor(out):
        return out
    s = scale[..., None].astype(out.dtype)
    return out * s + out.detach() * (1 - s)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` (num_embeddings, dim) at integer ``input``: shape input.shape + (dim,).

    The row at ``padding_idx`` receives no gradient; ``max_norm`` rescales, in place, looked-up
    rows whose ``norm_type``-norm exceeds it; ``scale_grad_by_freq`` divides each row's
    gradient by how often its index occurs in ``input``.
    """
    if sparse:
        raise NotImplementedError("embedding: sparse=True gradients are not supported; "
                                  "chainrule's gradients are dense (pass sparse=False)")
    num = shape(weight)[0]
    idx = _indices("embedding", input, num)
    padding_idx = _padding("embedding", padding_idx, num)
    if traced(input):
        return _traced_lookup(weight, input, padding_idx, max_norm, scale_grad_by_freq)
    if max_norm is not None:
        _renorm(weight, idx, max_norm, norm_type)
    out = gather_rows(weight, indices=idx)
    if padding_idx is not None:
        out = _without_gradient_at(out, idx == padding_idx)
    if scale_grad_by_freq and idx.size:
        counts = np.bincount(idx.reshape(-1), minlength=num)
        out = _scale_gradient(out, 1.0 / counts[idx])
    return out


def _traced_lookup(weight, input, padding_idx, max_norm, scale_grad_by_freq):
    """embedding on indices a tracer traces (cr.compile, cr.vmap): the indices are an
    argument of the lookup, so every call or example reads its own (the values seen here
    are one call's or example's: good for the range check above, not for the result)."""
    if max_norm is not None or scale_grad_by_freq:
        raise TypeError(
            "embedding: max_norm and scale_grad_by_freq read the indices' values, which "
            "differ for every call or example under cr.compile and cr.vmap; look up "
            "without them there, or run eagerly"
        )
    indices = input if input._data.dtype == np.intp else P.astype(input, np.intp)
    out = gather_rows(weight, indices)
    if padding_idx is not None and is_tensor(out):
        out = P.where(P.expand_dims(P.equal(input, padding_idx), -1), out.detach(), out)
    return out


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,
                  scale_grad_by_freq=False, mode="mean", sparse=False, per_sample_weights=None,
                  include_last_offset=False, padding_idx=None):
    """Sums, means or maxima of bags of embeddings, one (dim,) row per bag.

    Bags are the rows of a 2-d ``input`` (offsets None), or the slices of a 1-d ``input``
    starting at ``offsets``; the last bag runs to the end of the input (with
    include_last_offset, offsets holds one more entry, which PyTorch and chainrule
    ignore). ``per_sample_weights`` (mode "sum" only) scales each looked-up row. Indices
    equal to ``padding_idx`` are left out (and not counted by "mean"). An empty bag gives
    zeros. Where a bag's maximum is tied, mode "max" shares the gradient evenly among the
    tied entries (PyTorch gives it to one).
    """
    fn = "embedding_bag"
    if sparse:
        raise NotImplementedError(f"{fn}: sparse=True gradients are not supported (pass "
                                  f"sparse=False)")
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"{fn}: mode must be 'sum', 'mean' or 'max', not {mode!r}")
    num, dim = shape(weight)
    for t in (input, offsets):  # (the bags' layout is read from the values)
        if traced(t):
            concrete(t, f"{fn}'s bags")
    idx = _indices(fn, input, num)
    padding_idx = _padding(fn, padding_idx, num)
    if per_sample_weights is not None:
        if mode != "sum":
            raise ValueError(f"{fn}: per_sample_weights needs mode='sum', got mode={mode!r}")
        if shape(per_sample_weights) != idx.shape:
            raise ValueError(f"{fn}: per_sample_weights must have the input's shape {idx.shape}, "
                             f"got {shape(per_sample_weights)}")
    flat, bag = _bags(fn, idx, offsets, include_last_offset)
    bags = len(bag) if idx.ndim == 1 else idx.shape[0]
    segment = np.repeat(np.arange(bags), bag) if idx.ndim == 1 else np.repeat(
        np.arange(bags), idx.shape[1])
    keep = np.ones(flat.size, bool) if padding_idx is None else flat != padding_idx
    flat, segment = flat[keep], segment[keep]
    if max_norm is not None and flat.size:
        _renorm(weight, flat, max_norm, norm_type)
    rows = gather_rows(weight, indices=flat)
    if scale_grad_by_freq and flat.size:
        rows = _scale_gradient(rows, 1.0 / np.bincount(flat, minlength=num)[flat])
    if per_sample_weights is not None:
        w = P.reshape(per_sample_weights, (-1,))
        rows = rows * P.expand_dims(P.getitem(w, np.flatnonzero(keep)), -1)
    counts = np.bincount(segment, minlength=bags)
    if mode == "max":
        return _bag_max(rows, segment, counts, bags, dim, data(weight).dtype)
    out = scatter_rows(rows, indices=segment, rows=bags)
    if mode == "mean":
        out = out / np.maximum(counts, 1)[:, None].astype(data(weight).dtype)
    return out


def _bags(fn, idx, offsets, include_last_offset):
    """(flat indices, bag lengths) for 1-d input with offsets; (flat, None) for 2-d input."""
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError(f"{fn}: offsets must be None for 2-d input (each row is a bag)")
        return idx.reshape(-1), None
    if idx.ndim != 1:
        raise ValueError(f"{fn}: input must be 1-d (with offsets) or 2-d, got shape {idx.shape}")
    if offsets is None:
        raise ValueError(f"{fn}: 1-d input needs offsets (the start of each bag)")
    off = data(offsets).astype(np.intp).reshape(-1)
    if off.size == 0 or off[0] != 0 or np.any(np.diff(off) < 0) or off[-1] > idx.size:
        raise ValueError(f"{fn}: offsets must start at 0 and increase up to the input's "
                         f"length {idx.size}, got {off.tolist()[:10]}")
    # With include_last_offset the last entry closes the list of starts; as in PyTorch the
    # last bag still runs to the end of the input.
    starts = off[:-1] if include_last_offset else off
    return idx, np.diff(np.append(starts, idx.size))


def _bag_max(rows, segment, counts, bags, dim, dtype):
    """Per-bag maxima: bags padded with -inf into (bags, longest, dim), then max over axis 1."""
    longest = max(int(counts.max()) if counts.size else 0, 1)
    position = np.arange(segment.size) - np.repeat(np.cumsum(counts) - counts, counts)
    dense_index = np.full((bags, longest), -1, np.intp)
    dense_index[segment, position] = np.arange(segment.size)
    valid = dense_index >= 0
    padded = P.concatenate([rows, np.full((1, dim), -np.inf, dtype)], axis=0)
    dense = P.getitem(padded, np.where(valid, dense_index, segment.size))
    out = P.max(dense, axis=1)
    return P.where((counts > 0)[:, None], out, 0.0)


def _draw_table(layer, rng=None):
    """An embedding table from N(0, 1), its padding row (if any) zero."""
    init.normal_(layer.weight, rng=rng)
    if layer.padding_idx is not None:
        layer.weight._data[layer.padding_idx] = 0


class Embedding(Module):
    """A lookup table: integer indices -> rows of ``weight`` (num_embeddings, embedding_dim).

    Rows start as N(0, 1) draws; the row at ``padding_idx`` starts at zero and is
    never updated by gradients.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight: Operand | None = None,
        _freeze: bool = False,
        dtype: DTypeLike = np.float32,
        rng: int | np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        if sparse:
            raise NotImplementedError("Embedding: sparse=True gradients are not supported")
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.padding_idx = _padding("Embedding", padding_idx, self.num_embeddings)
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, False
        if _weight is None:
            self.weight = Parameter(np.empty((self.num_embeddings, self.embedding_dim),
                                             float_dtype(dtype)), requires_grad=not _freeze)
            _draw_table(self, rng)
        else:
            if shape(_weight) != (self.num_embeddings, self.embedding_dim):
                raise ValueError(f"Embedding: _weight must have shape ({num_embeddings}, "
                                 f"{embedding_dim}), got {shape(_weight)}")
            self.weight = Parameter(data(_weight), requires_grad=not _freeze)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None,
                        norm_type=2.0, scale_grad_by_freq=False, sparse=False):
        """An Embedding holding a copy of ``embeddings`` (2-d); frozen unless freeze=False."""
        if len(shape(embeddings)) != 2:
            raise ValueError("Embedding.from_pretrained: embeddings must be 2-d")
        n, d = shape(embeddings)
        return cls(n, d, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=embeddings, _freeze=freeze, dtype=data(embeddings).dtype)

    def reset_parameters(self):
        """Draw the table again from N(0, 1), the padding row zero (global generator)."""
        _draw_table(self)

    def forward(self, input):
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq)

    def extra_repr(self):
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"


class EmbeddingBag(Module):
    """Sums, means or maxima of bags of embeddings (see :func:`embedding_bag`); weight
    (num_embeddings, embedding_dim) starts as N(0, 1) draws."""

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = 'mean',
        sparse: bool = False,
        _weight: Operand | None = None,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
        dtype: DTypeLike = np.float32,
        rng: int | np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        if sparse:
            raise NotImplementedError("EmbeddingBag: sparse=True gradients are not supported")
        if mode not in ("sum", "mean", "max"):
            raise ValueError(f"EmbeddingBag: mode must be 'sum', 'mean' or 'max', not {mode!r}")
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.max_norm, self.norm_type, self.scale_grad_by_freq = max_norm, norm_type, \
            scale_grad_by_freq
        self.mode, self.sparse, self.include_last_offset = mode, False, include_last_offset
        self.padding_idx = _padding("EmbeddingBag", padding_idx, self.num_embeddings)
        if _weight is None:
            self.weight = Parameter(np.empty((self.num_embeddings, self.embedding_dim),
                                             float_dtype(dtype)))
            _draw_table(self, rng)
        else:
            self.weight = Parameter(data(_weight))

    def reset_parameters(self):
        """Draw the table again from N(0, 1), the padding row zero (global generator)."""
        _draw_table(self)

    def forward(self, input, offsets=None, per_sample_weights=None):
        return embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type,
                             self.scale_grad_by_freq, self.mode, False, per_sample_weights,
                             self.include_last_offset, self.padding_idx)

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}, mode={self.mode!r}"
