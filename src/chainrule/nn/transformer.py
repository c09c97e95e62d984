"""Transformer layers with PyTorch's structure and parameter names: TransformerEncoderLayer,
TransformerEncoder, TransformerDecoderLayer, TransformerDecoder, and the whole
encoder-decoder Transformer.

Post-norm by default (x = norm(x + sublayer(x))), pre-norm with ``norm_first=True``
(x = x + sublayer(norm(x))); the feed-forward block is linear2(dropout(act(linear1(x)))).
"""

from __future__ import annotations

import copy
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import graph
from .. import primitives as P
from ..tracing import traced
from . import activation_functions as A
from .attention import MultiheadAttention
from .containers import ModuleList
from .dropout import Dropout
from .init import generator, xavier_uniform_
from .layers import Linear
from .module import Module
from .normalization import LayerNorm

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import DTypeLike



def _activation(activation, who):
    if activation == "relu":
        return A.relu
    if activation == "gelu":
        return A.gelu
    if callable(activation):
        return activation
    raise ValueError(f"{who}: activation must be 'relu', 'gelu' or a callable, not {activation!r}")


def square_subsequent_mask(size, dtype=np.float32):
    """The causal mask: 0 on and below the diagonal, -inf above (PyTorch's float form)."""
    return np.triu(np.full((size, size), -np.inf, dtype), k=1)


class _Block(Module):
    """What encoder and decoder layers share: attention modules, the feed-forward block,
    norms and dropouts registered in PyTorch's order, and the settings."""

    def __init__(
        self,
        attentions,
        norms,
        d_model: int,
        nhead: int,
        dim_feedforward: int,
        dropout: float,
        activation: str | Callable[..., Any],
        layer_norm_eps: float,
        batch_first: bool,
        norm_first: bool,
        bias: bool,
        dtype: DTypeLike,
        rng: int | np.random.Generator | None,
    ) -> None:
        super().__init__()
        drops = rng  # None: dropout from the default generator at each call (see Dropout)
        rng = generator(rng)
        if drops is not None:
            drops = rng
        for name in attentions:
            setattr(self, name, MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                   batch_first=batch_first, dtype=dtype,
                                                   rng=rng))
            getattr(self, name).rng = drops
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype, rng=rng)
        self.dropout = Dropout(dropout, rng=drops)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype, rng=rng)
        for k in range(1, norms + 1):
            setattr(self, f"norm{k}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias,
                                                dtype=dtype))
        for k in range(1, norms + 1):
            setattr(self, f"dropout{k}", Dropout(dropout, rng=drops))
        # A Module activation is a child (as in PyTorch: it holds no parameters).
        self.activation = _activation(activation, type(self).__name__)
        self._last_dropout = f"dropout{norms}"  # after the feed-forward block
        self.norm_first = bool(norm_first)
        self.batch_first = bool(batch_first)

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return getattr(self, self._last_dropout)(x)


class TransformerEncoderLayer(_Block):
    """Self-attention and a feed-forward network, each with a residual connection and
    LayerNorm (PyTorch's parameters: self_attn.*, linear1, linear2, norm1, norm2)."""

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable[..., Any] = 'relu',
        layer_norm_eps: float = 1e-05,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        dtype: DTypeLike = np.float32,
        rng: int | np.random.Generator | None = None,
    ) -> None:
        super().__init__(("self_attn",), 2, d_model, nhead, dim_feedforward, dropout,
                         activation, layer_norm_eps, batch_first, norm_first, bias, dtype, rng)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff_block(self.norm2(x))
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff_block(x))


class TransformerDecoderLayer(_Block):
    """Self-attention, attention over the encoder's memory, and a feed-forward network,
    each with a residual connection and LayerNorm (self_attn, multihead_attn, linear1,
    linear2, norm1..norm3)."""

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable[..., Any] = 'relu',
        layer_norm_eps: float = 1e-05,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        dtype: DTypeLike = np.float32,
        rng: int | np.random.Generator | None = None,
    ) -> None:
        super().__init__(("self_attn", "multihead_attn"), 3, d_model, nhead, dim_feedforward,
                         dropout, activation, layer_norm_eps, batch_first, norm_first, bias,
                         dtype, rng)

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, is_causal=is_causal,
                                need_weights=False)[0]
        return self.dropout2(x)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask,
                                    memory_key_padding_mask, memory_is_causal)
            return x + self._ff_block(self.norm3(x))
        x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
        x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask,
                                           memory_is_causal))
        return self.norm3(x + self._ff_block(x))


def _clones(module, n):
    """n deep copies of `module`, each with its own random stream (a copied Generator would
    repeat the original's dropout masks in every layer)."""
    copies = [copy.deepcopy(module) for _ in range(n)]
    for clone in copies:
        for m in clone.modules():
            if isinstance(getattr(m, "rng", None), np.random.Generator):
                m.rng = m.rng.spawn(1)[0]
    return ModuleList(copies)


class TransformerEncoder(Module):
    """``num_layers`` copies of ``encoder_layer`` (layers.0, layers.1, ...), then ``norm``."""

    def __init__(
        self,
        encoder_layer: Module,
        num_layers: int,
        norm: Module | None = None,
        enable_nested_tensor: bool = True,
        mask_check: bool = True,
    ) -> None:
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers)
        self.num_layers = int(num_layers)
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check
        why = _why_not_nested(encoder_layer)
        self.use_nested_tensor = enable_nested_tensor and not why
        if enable_nested_tensor and why:
            warnings.warn(f"enable_nested_tensor is True, but self.use_nested_tensor is False "
                          f"because {why}", stacklevel=2)

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        padded = self._nested_padding(src, mask, src_key_padding_mask)
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=bool(is_causal))
        if padded is not None:
            # PyTorch runs this case on nested tensors (each sequence at its own length)
            # and pads the result back with zeros: a padded position's output is 0 (the
            # final norm's bias after it), which mean-pooling over every position sees.
            x = P.where(padded[..., None], np.zeros((), graph.values(x).dtype), x)
        return x if self.norm is None else self.norm(x)

    def _nested_padding(self, src, mask, src_key_padding_mask):
        """The padded positions (batch, length) where PyTorch's nested-tensor path runs:
        evaluation without gradients (no_grad, or nothing requiring grad), a batched input
        with a key padding mask and no attention mask, the layer fit for it (see
        _why_not_nested), padding only at the end of each sequence (unless mask_check is
        off). None elsewhere."""
        if src_key_padding_mask is None or mask is not None or np.ndim(src) != 3:
            return None
        first = self.layers[0]
        if not getattr(self, "use_nested_tensor", False) or first.training:
            return None
        if graph.is_grad_enabled() and (
                getattr(src, "requires_grad", False)
                or any(p.requires_grad for p in _fast_path_tensors(first))):
            return None
        mask = src_key_padding_mask
        if traced(mask):
            # Values that differ per example and call (cr.vmap, cr.compile): the same
            # decision as operations, padded positions where every sequence is
            # left-aligned (kept positions never follow a padded one).
            pad = mask if graph.values(mask).dtype == bool else P.not_equal(mask, 0)
            if getattr(self, "mask_check", True) and np.shape(graph.values(mask))[-1] > 1:
                kept = P.logical_not(pad)
                aligned = P.min(P.less_equal(kept[:, 1:], kept[:, :-1]))  # (all of them)
                pad = P.logical_and(pad, aligned)
            return pad
        pad = graph.values(mask)
        pad = pad if pad.dtype == bool else pad != 0
        kept = ~pad
        if getattr(self, "mask_check", True):
            # left-aligned: the kept positions of every sequence are a prefix
            counts = kept.sum(axis=1)
            first_gap = np.argmin(np.concatenate([kept, np.zeros((len(kept), 1), bool)], 1), 1)
            if not np.array_equal(counts, first_gap):
                return None
        return pad


def _why_not_nested(layer):
    """PyTorch's reasons an encoder cannot run its layers on nested tensors ('' if it
    can): the layer's kind and settings."""
    if not isinstance(layer, TransformerEncoderLayer):
        return "encoder_layer was not TransformerEncoderLayer"
    attention = layer.self_attn
    if layer.norm_first:
        return "encoder_layer.norm_first was True"
    if not attention.batch_first:
        return ("encoder_layer.self_attn.batch_first was not True(use batch_first for better "
                "inference performance)")
    if not attention._qkv_same_embed_dim:
        return "encoder_layer.self_attn._qkv_same_embed_dim was not True"
    if attention.in_proj_bias is None:
        return "encoder_layer.self_attn was passed bias=False"
    if not _relu_or_gelu(layer.activation):
        return "encoder_layer.activation_relu_or_gelu was not True"
    if layer.norm1.eps != layer.norm2.eps:
        return "encoder_layer.norm1.eps was not equal to encoder_layer.norm2.eps"
    if attention.num_heads % 2 == 1:
        return "encoder_layer.self_attn.num_heads is odd"
    return ""


def _relu_or_gelu(activation):
    """ReLU or GELU, as a function (any front end's) or a module."""
    name = getattr(activation, "__name__", None) or type(activation).__name__
    return activation in (A.relu, A.gelu) or name in ("relu", "gelu", "ReLU", "GELU")


def _fast_path_tensors(layer):
    attention = layer.self_attn
    return [t for t in (attention.in_proj_weight, attention.in_proj_bias,
                        attention.out_proj.weight, attention.out_proj.bias,
                        layer.norm1.weight, layer.norm1.bias, layer.norm2.weight,
                        layer.norm2.bias, layer.linear1.weight, layer.linear1.bias,
                        layer.linear2.weight, layer.linear2.bias) if t is not None]


class TransformerDecoder(Module):
    """``num_layers`` copies of ``decoder_layer`` (layers.0, ...), then ``norm``."""

    def __init__(self, decoder_layer: Module, num_layers: int, norm: Module | None = None) -> None:
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers = int(num_layers)
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                      tgt_key_padding_mask=tgt_key_padding_mask,
                      memory_key_padding_mask=memory_key_padding_mask,
                      tgt_is_causal=bool(tgt_is_causal), memory_is_causal=memory_is_causal)
        return x if self.norm is None else self.norm(x)


class Transformer(Module):
    """PyTorch's encoder-decoder Transformer: ``encoder`` (num_encoder_layers encoder
    layers and a final LayerNorm) and ``decoder`` (likewise), with PyTorch's parameter
    names, so state dicts load both ways. Matrices are re-initialised Glorot-uniform, as
    PyTorch's constructor does.
    """

    def __init__(
        self,
        d_model: int = 512,
        nhead: int = 8,
        num_encoder_layers: int = 6,
        num_decoder_layers: int = 6,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable[..., Any] = "relu",
        custom_encoder: Module | None = None,
        custom_decoder: Module | None = None,
        layer_norm_eps: float = 1e-05,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        dtype: DTypeLike = np.float32,
        rng: int | np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        if custom_encoder is None:
            layer = TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout,
                                            activation, layer_norm_eps, batch_first,
                                            norm_first, bias, dtype, rng)
            custom_encoder = TransformerEncoder(
                layer, num_encoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        if custom_decoder is None:
            layer = TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout,
                                            activation, layer_norm_eps, batch_first,
                                            norm_first, bias, dtype, rng)
            custom_decoder = TransformerDecoder(
                layer, num_decoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        self.encoder, self.decoder = custom_encoder, custom_decoder
        self.d_model, self.nhead, self.batch_first = int(d_model), int(nhead), batch_first
        draw = generator(rng)
        for p in self.parameters():
            if p.ndim > 1:
                xavier_uniform_(p, rng=draw)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
                src_key_padding_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal=False):
        src_batch = np.shape(src)[0 if self.batch_first else 1] if np.ndim(src) == 3 else None
        tgt_batch = np.shape(tgt)[0 if self.batch_first else 1] if np.ndim(tgt) == 3 else None
        if src_batch != tgt_batch:
            raise RuntimeError("the batch number of src and tgt must be equal")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        """The (sz, sz) float mask with -inf above the diagonal and 0 on and below it."""
        from ..tensor import tensor

        mask = np.triu(np.full((sz, sz), -np.inf, dtype=dtype or np.float32), k=1)
        return tensor(mask)
