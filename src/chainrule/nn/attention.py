"""Attention: ``F.scaled_dot_product_attention`` and ``MultiheadAttention``, PyTorch's
arguments, mask conventions and parameter layout (``in_proj_weight`` (3E, E),
``in_proj_bias``, ``out_proj``).

Masks. In ``scaled_dot_product_attention`` a boolean ``attn_mask`` is True where a query
may attend (PyTorch 2's convention); in ``MultiheadAttention`` boolean ``attn_mask`` and
``key_padding_mask`` are True where attending is *not* allowed (PyTorch's convention
there). Float masks are added to the scores in both.

A query whose every key is masked (-inf) gets attention weights 0 and output 0, and
gradient 0 to everything it touched; PyTorch returns NaN for such a row.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .. import primitives as P
from ..primitives.attention import attention
from ..tracing import traced
from .arguments import data, probability, shape
from .dropout import _keep
from .init import constant_, generator, xavier_normal_, xavier_uniform_
from .layers import Linear
from .module import Module, Parameter, float_dtype

if TYPE_CHECKING:
    from numpy.typing import DTypeLike


__all__ = ["scaled_dot_product_attention"]


def _additive(mask, dtype, allowed_when_true, fn):
    """A boolean or float mask as the float bias added to the scores (0 or -inf for bools)."""
    m = data(mask)
    if m.dtype == bool and traced(mask):  # (each call's or example's mask, by operations)
        allowed = mask if allowed_when_true else P.logical_not(mask)
        return P.astype(P.where(allowed, 0.0, -np.inf), dtype)
    if m.dtype == bool:
        allowed = m if allowed_when_true else ~m
        return np.where(allowed, 0.0, -np.inf).astype(dtype)
    if m.dtype.kind != "f":
        raise TypeError(f"{fn}: a mask must be boolean or floating point, got dtype {m.dtype}")
    if traced(mask):
        return mask if m.dtype == dtype else P.astype(mask, dtype)
    return mask if hasattr(mask, "requires_grad") and mask.requires_grad else m.astype(dtype)


def _dropout_keep(like, shape_, p, rng):
    """The attention weights' dropout mask of `shape_`, divided by 1 - p, drawn by an
    operation on `like` (as dropout's: afresh on every compiled call)."""
    if p >= 1:
        return np.zeros(shape_, data(like).dtype)
    return _keep(like, p, rng, shape_) * (1.0 / (1.0 - p))


def _attend(q, k, v, bias, scale, p, rng):
    """The fused attention, with dropout p on its weights."""
    if p == 0:
        return attention(q, k, v, bias, scale=scale)
    if any(traced(t) for t in (q, k, v, bias)):
        # Under cr.compile or cr.vmap the mask is drawn by an operation, a value the fused
        # primitive cannot take (its mask is a constant): the composition, the same math.
        # (A traced attention mask alone is enough: the draw must be in the trace.)
        w = P.softmax(P.matmul(q, P.swapaxes(k, -1, -2)) * scale + bias, axis=-1)
        return P.matmul(w * _dropout_keep(w, shape(w), p, rng), v)
    out_shape = np.broadcast_shapes(shape(q)[:-1] + (shape(k)[-2],), np.shape(data(bias)))
    return attention(q, k, v, bias, scale=scale, keep=data(_dropout_keep(q, out_shape, p, rng)))


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False, *, rng=None):
    """softmax(q k^T scale + mask) v: queries (..., L, E), keys (..., S, E), values (..., S, Ev).

    ``scale`` defaults to 1 / sqrt(E); ``is_causal`` masks key j > query i (top-left
    aligned, as PyTorch); ``attn_mask`` is boolean (True: may attend) or float (added);
    ``dropout_p`` drops attention weights (always, as PyTorch's function does: pass 0 in
    evaluation), drawn from ``rng``. ``enable_gqa``: keys and values may have fewer heads
    (axis -3) than the queries, a divisor of them; each serves a group of query heads.
    One fused primitive (chainrule.primitives.attention).
    """
    fn = "scaled_dot_product_attention"
    qs, ks, vs = shape(query), shape(key), shape(value)
    if len(qs) < 2 or len(ks) < 2 or len(vs) < 2:
        raise ValueError(f"{fn}: query, key and value must be at least 2-d, got {qs}, {ks}, {vs}")
    if qs[-1] != ks[-1] or ks[-2] != vs[-2]:
        raise ValueError(
            f"{fn}: query (..., L, E) {qs}, key (..., S, E) {ks} and value (..., S, Ev) {vs} "
            f"do not fit"
        )
    if is_causal and attn_mask is not None:
        raise ValueError(f"{fn}: pass either attn_mask or is_causal=True, not both")
    dtype = data(query).dtype
    L, S = qs[-2], ks[-2]
    bias = 0.0
    if is_causal:
        bias = np.where(np.tril(np.ones((L, S), bool)), 0.0, -np.inf).astype(dtype)
    elif attn_mask is not None:
        bias = _additive(attn_mask, dtype, True, fn)
    scale = 1.0 / math.sqrt(qs[-1]) if scale is None else float(scale)
    p = probability(dropout_p, fn, "dropout_p")
    grouped = enable_gqa and len(qs) >= 3 and qs[-3] != ks[-3]
    if grouped:
        hq, hk = qs[-3], ks[-3]
        if vs[-3] != hk or hq % hk:
            raise ValueError(f"{fn}: enable_gqa needs key and value heads ({hk}, {vs[-3]}) "
                             f"equal and dividing the query heads ({hq})")
        # Query heads (..., Hk, G, L, E) against keys (..., Hk, 1, S, E): a broadcast.
        query = P.reshape(query, qs[:-3] + (hk, hq // hk) + qs[-2:])
        key, value = P.expand_dims(key, -3), P.expand_dims(value, -3)
        if np.ndim(data(bias)) >= 3:
            b = data(bias) if not hasattr(bias, "requires_grad") else bias
            bias = P.reshape(b, shape(b)[:-3] + (hk, hq // hk) + shape(b)[-2:]) \
                if shape(b)[-3] == hq else P.expand_dims(b, -3)
    elif len(qs) >= 3 and len(ks) >= 3 and qs[-3] != ks[-3] and 1 not in (qs[-3], ks[-3]):
        raise ValueError(f"{fn}: query has {qs[-3]} heads and key {ks[-3]}; pass "
                         f"enable_gqa=True for grouped-query attention")
    out = _attend(query, key, value, bias, scale, p, rng)
    return P.reshape(out, qs[:-1] + (vs[-1],)) if grouped else out


class MultiheadAttention(Module):
    """Multi-head attention with PyTorch's parameters: ``in_proj_weight`` (3E, E) holding
    the query, key and value projections (or ``q_proj_weight``, ``k_proj_weight``,
    ``v_proj_weight`` when kdim/vdim differ from E), ``in_proj_bias`` (3E,), ``out_proj``
    (a Linear), optional ``bias_k``/``bias_v`` (1, 1, E).

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` returns (output, weights or None);
    inputs are (L, N, E) ((N, L, E) with batch_first, (L, E) unbatched).
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        dtype: DTypeLike = np.float32,
        rng: int | np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0 or embed_dim % num_heads:
            raise ValueError(
                f"MultiheadAttention: embed_dim={embed_dim} must be a positive multiple of "
                f"num_heads={num_heads}"
            )
        dtype = float_dtype(dtype)
        # Dropout draws from the default generator at each call unless a seed or a
        # Generator was given (see Dropout); the initial weights from it at once.
        self.rng = None if rng is None else generator(rng)
        rng = generator(rng)
        self.embed_dim, self.num_heads = int(embed_dim), int(num_heads)
        self.kdim = self.embed_dim if kdim is None else int(kdim)
        self.vdim = self.embed_dim if vdim is None else int(vdim)
        self._qkv_same_embed_dim = self.kdim == self.embed_dim and self.vdim == self.embed_dim
        self.head_dim = self.embed_dim // self.num_heads
        self.dropout = probability(dropout, "MultiheadAttention", "dropout")
        self.batch_first = bool(batch_first)
        self.add_zero_attn = bool(add_zero_attn)
        E = self.embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.empty((3 * E, E), dtype))
            self.q_proj_weight = self.k_proj_weight = self.v_proj_weight = None
            xavier_uniform_(self.in_proj_weight, rng=rng)
        else:
            self.in_proj_weight = None
            self.q_proj_weight = Parameter(np.empty((E, E), dtype))
            self.k_proj_weight = Parameter(np.empty((E, self.kdim), dtype))
            self.v_proj_weight = Parameter(np.empty((E, self.vdim), dtype))
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                xavier_uniform_(w, rng=rng)
        self.in_proj_bias = Parameter(np.zeros(3 * E, dtype)) if bias else None
        if add_bias_kv:
            self.bias_k = Parameter(np.empty((1, 1, E), dtype))
            self.bias_v = Parameter(np.empty((1, 1, E), dtype))
            xavier_normal_(self.bias_k, rng=rng)
            xavier_normal_(self.bias_v, rng=rng)
        else:
            self.bias_k = self.bias_v = None
        self.out_proj = Linear(E, E, bias=bias, dtype=dtype, rng=rng)
        if bias:
            constant_(self.out_proj.bias, 0.0)

    def _project(self, query, key, value):
        E = self.embed_dim
        b = self.in_proj_bias
        bq = bk = bv = None
        if b is not None:
            bq, bk, bv = (P.getitem(b, slice(i * E, (i + 1) * E)) for i in range(3))
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            if query is key and key is value:  # self-attention: one product
                qkv = P.linear(query, w, 0 if b is None else b)
                return P.split(qkv, 3, axis=-1)
            wq, wk, wv = (P.getitem(w, slice(i * E, (i + 1) * E)) for i in range(3))
        else:
            wq, wk, wv = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        return tuple(P.linear(x, w_, 0 if b_ is None else b_)
                     for x, w_, b_ in ((query, wq, bq), (key, wk, bk), (value, wv, bv)))

    def _masks(self, attn_mask, key_padding_mask, batch, L, S, dtype):
        """One additive (N or 1, H or 1, L, S) mask from attn_mask and key_padding_mask."""
        bias = None
        name = "MultiheadAttention"
        if attn_mask is not None:
            m = _additive(attn_mask, dtype, False, name)
            ms = shape(m)
            if ms == (L, S):
                bias = P.reshape(m, (1, 1, L, S))
            elif ms == (batch * self.num_heads, L, S):
                bias = P.reshape(m, (batch, self.num_heads, L, S))
            else:
                raise ValueError(f"{name}: attn_mask must have shape ({L}, {S}) or "
                                 f"({batch * self.num_heads}, {L}, {S}), got {ms}")
        if key_padding_mask is not None:
            kpm = _additive(key_padding_mask, dtype, False, name)
            if shape(kpm) != (batch, S):
                raise ValueError(f"{name}: key_padding_mask must have shape ({batch}, {S}), "
                                 f"got {shape(kpm)}")
            kpm = P.reshape(kpm, (batch, 1, 1, S))
            bias = kpm if bias is None else bias + kpm
        return bias

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        name = "MultiheadAttention"
        qs = shape(query)
        if len(qs) not in (2, 3) or qs[-1] != self.embed_dim:
            raise ValueError(f"{name}: query must be (L, N, {self.embed_dim}) (or batch first, "
                             f"or (L, {self.embed_dim}) unbatched), got {qs}")
        if is_causal and attn_mask is None:
            raise ValueError(f"{name}: is_causal=True is a hint that attn_mask is causal; pass "
                             f"the mask too (Transformer.generate_square_subsequent_mask)")
        unbatched = len(qs) == 2
        if unbatched:
            query, key, value = (P.expand_dims(t, 0) for t in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = data(key_padding_mask)[None]
        elif not self.batch_first:
            same = query is key, key is value
            query = P.swapaxes(query, 0, 1)
            key = query if same[0] else P.swapaxes(key, 0, 1)
            value = key if same[1] else P.swapaxes(value, 0, 1)
        q, k, v = self._project(query, key, value)  # (N, L or S, E)
        N, L = shape(q)[:2]
        dtype = data(q).dtype
        if self.bias_k is not None:
            k = P.concatenate([k, P.broadcast_to(P.reshape(self.bias_k, (1, 1, -1)),
                                                 (N, 1, self.embed_dim))], axis=1)
            v = P.concatenate([v, P.broadcast_to(P.reshape(self.bias_v, (1, 1, -1)),
                                                 (N, 1, self.embed_dim))], axis=1)
        if self.add_zero_attn:
            zeros = np.zeros((N, 1, self.embed_dim), dtype)
            k, v = P.concatenate([k, zeros], axis=1), P.concatenate([v, zeros], axis=1)
        S = shape(k)[1]
        added = S - shape(key)[1]
        if added and attn_mask is not None:
            attn_mask = _pad_keys(_additive(attn_mask, dtype, False, name), added)
        if added and key_padding_mask is not None:
            key_padding_mask = _pad_keys(_additive(key_padding_mask, dtype, False, name), added)
        bias = self._masks(attn_mask, key_padding_mask, N, L, S, dtype)
        H, D = self.num_heads, self.head_dim
        q, k, v = (P.transpose(P.reshape(t, (N, -1, H, D)), (0, 2, 1, 3)) for t in (q, k, v))
        p = self.dropout if self.training else 0.0
        scale = 1.0 / math.sqrt(D)
        weights = None
        if need_weights:
            scores = P.matmul(q, P.swapaxes(k, -1, -2)) * scale
            if bias is not None:
                scores = scores + bias
            w = P.softmax(scores, axis=-1)
            if p > 0:
                w = w * _dropout_keep(w, shape(w), p, self.rng)
            out = P.matmul(w, v)
            weights = P.mean(w, axis=1) if average_attn_weights else w
        else:
            out = _attend(q, k, v, 0.0 if bias is None else bias, scale, p, self.rng)
        out = P.reshape(P.transpose(out, (0, 2, 1, 3)), (N, L, self.embed_dim))
        out = self.out_proj(out)
        if unbatched:
            out = P.squeeze(out, 0)
            weights = None if weights is None else P.squeeze(weights, 0)
        elif not self.batch_first:
            out = P.swapaxes(out, 0, 1)
        return out, weights

    def extra_repr(self):
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}"


def _pad_keys(mask, n):
    """A mask extended by n allowed (0) key columns, for bias_k / add_zero_attn."""
    pad = np.zeros(shape(mask)[:-1] + (n,), data(mask).dtype)
    return P.concatenate([mask, pad], axis=-1)
