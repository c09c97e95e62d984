"""``torch.nn.attention.flex_attention``: attention whose scores pass through a Python
function and whose mask is a Python function of the positions.

    out = softmax(score_mod(q k^T scale, b, h, q_idx, kv_idx) where mask_mod(...)) v

PyTorch compiles ``score_mod`` and ``mask_mod`` into a kernel that visits one score at a
time; here each is called once, on the whole (B, H, L, S) score tensor with the indices
as broadcasting int32 tensors (b of shape (B, 1, 1, 1), h (1, H, 1, 1), q_idx
(1, 1, L, 1), kv_idx (1, 1, 1, S)). Functions written for PyTorch (elementwise
arithmetic, comparisons, ``torch.where``, indexing a table by the indices) give the same
values; a Python ``if`` on an index fails in both. Gradients flow through ``score_mod``
into tensors it reads (a learned bias table), which PyTorch cannot do on a CPU, where its
flex attention has no backward. A query whose every key is masked gets output 0 and
log-sum-exp -inf, as in PyTorch.

A ``BlockMask`` holds the element mask; its block structure (``to_dense``, ``sparsity``)
is computed from it in blocks of ``BLOCK_SIZE`` for programs that print or check it. The
work is the dense attention's, with no block skipping, and ``kernel_options`` are
accepted and unused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["BlockMask", "and_masks", "create_block_mask", "create_mask", "flex_attention",
           "noop_mask", "or_masks"]


def _torch():
    from chainrule import torch  # (imported late: chainrule.torch imports this package)
    return torch


def _indices(B, H, L, S):
    torch = _torch()

    def axis(n, at):
        shape = [1, 1, 1, 1]
        shape[at] = n
        return torch.arange(n, dtype=torch.int32).reshape(shape)

    return axis(B, 0), axis(H, 1), axis(L, 2), axis(S, 3)


def noop_mask(b, h, q_idx, kv_idx):
    """Every query sees every key."""
    torch = _torch()
    return torch.ones((), dtype=torch.bool).expand(
        np.broadcast_shapes(*(tuple(t.shape) for t in (b, h, q_idx, kv_idx))))


def and_masks(*mask_mods: Callable) -> Callable:
    """A mask function true where all of ``mask_mods`` are."""
    if not all(callable(m) for m in mask_mods):
        raise RuntimeError(f"All inputs should be callable mask_mods: {mask_mods}")

    def mask(b, h, q_idx, kv_idx):
        out = noop_mask(b, h, q_idx, kv_idx)
        for m in mask_mods:
            out = out & m(b, h, q_idx, kv_idx)
        return out
    return mask


def or_masks(*mask_mods: Callable) -> Callable:
    """A mask function true where any of ``mask_mods`` is."""
    if not all(callable(m) for m in mask_mods):
        raise RuntimeError(f"All inputs should be callable mask_mods: {mask_mods}")

    def mask(b, h, q_idx, kv_idx):
        out = ~noop_mask(b, h, q_idx, kv_idx)
        for m in mask_mods:
            out = out | m(b, h, q_idx, kv_idx)
        return out
    return mask


def create_mask(mod_fn: Callable, B: int | None, H: int | None, Q_LEN: int, KV_LEN: int,
                device: Any = None) -> Any:
    """The dense (B, H, Q_LEN, KV_LEN) boolean mask of a mask function (B or H None: 1).
    A score function (five arguments) gives where its score would be kept (not -inf)."""
    torch = _torch()
    B, H = 1 if B is None else int(B), 1 if H is None else int(H)
    b, h, q, kv = _indices(B, H, int(Q_LEN), int(KV_LEN))
    if _arity(mod_fn) == 5:
        kept = mod_fn(torch.zeros((), dtype=torch.float32), b, h, q, kv) != float("-inf")
    else:
        kept = mod_fn(b, h, q, kv)
    kept = torch.as_tensor(kept)
    if kept.dtype != torch.bool:
        raise TypeError(f"create_mask: the mask function must return booleans, got {kept.dtype}")
    return kept.expand(B, H, int(Q_LEN), int(KV_LEN)).clone()


def _arity(fn):
    import inspect
    try:
        return len(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return 4


class BlockMask:
    """Which keys each query may attend to, made by ``create_block_mask``."""

    def __init__(self, mask: Any, mask_mod: Callable, block_size: tuple[int, int]):
        self._mask = mask  # (B, H, Q_LEN, KV_LEN) booleans
        self.mask_mod = mask_mod
        self.BLOCK_SIZE = block_size

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._mask.shape)

    @property
    def seq_lengths(self) -> tuple[int, int]:
        return tuple(self._mask.shape[-2:])

    def to(self, device: Any) -> BlockMask:
        return self

    def _blocks(self):
        """Per (query block, key block): does any element attend (numpy, (B, H, nq, nk))."""
        m = self._mask.numpy()
        bq, bk = self.BLOCK_SIZE
        nq, nk = -(-m.shape[-2] // bq), -(-m.shape[-1] // bk)
        padded = np.zeros(m.shape[:2] + (nq * bq, nk * bk), bool)
        padded[..., : m.shape[-2], : m.shape[-1]] = m
        return padded.reshape(m.shape[:2] + (nq, bq, nk, bk)).any(axis=(3, 5))

    def to_dense(self) -> Any:
        """The block-level mask, int32 (B, H, query blocks, key blocks): 1 where a block
        holds any attended pair."""
        torch = _torch()
        return torch.as_tensor(self._blocks().astype(np.int32))

    def sparsity(self) -> float:
        """PyTorch's measure: 100 (1 - the elements of the blocks that hold anything to
        attend / the mask's elements); partial blocks at the ends count whole, so short
        sequences can give negative values, as in PyTorch."""
        computed = int(self._blocks().sum()) * self.BLOCK_SIZE[0] * self.BLOCK_SIZE[1]
        return 100.0 * (1.0 - computed / int(np.prod(self.shape)))

    def __repr__(self) -> str:
        return (f"BlockMask(shape={self.shape}, sparsity={self.sparsity():.2f}%, "
                f"BLOCK_SIZE={self.BLOCK_SIZE})")


def create_block_mask(mask_mod: Callable, B: int | None, H: int | None, Q_LEN: int,
                      KV_LEN: int, device: Any = None, BLOCK_SIZE: int | tuple[int, int] = 128,
                      _compile: bool = False, **unused: Any) -> BlockMask:
    """The BlockMask of ``mask_mod(b, h, q_idx, kv_idx) -> bool`` (B or H None: the same
    mask for every batch element or head)."""
    size = (BLOCK_SIZE, BLOCK_SIZE) if isinstance(BLOCK_SIZE, int) else tuple(BLOCK_SIZE)
    return BlockMask(create_mask(mask_mod, B, H, Q_LEN, KV_LEN), mask_mod, size)


def flex_attention(query: Any, key: Any, value: Any, score_mod: Callable | None = None,
                   block_mask: BlockMask | None = None, scale: float | None = None,
                   enable_gqa: bool = False, return_lse: bool = False,
                   kernel_options: Any = None, *, return_aux: Any = None) -> Any:
    """Attention of queries (B, Hq, L, E) over keys (B, Hkv, S, E) and values
    (B, Hkv, S, Ev): the scores q k^T scale (scale 1/sqrt(E) by default) go through
    ``score_mod``, keys the ``block_mask`` excludes are dropped, softmax over the keys
    weights the values. ``enable_gqa``: Hkv divides Hq, query head h reads key head
    h // (Hq / Hkv). ``return_lse``: also the natural log-sum-exp of each query's
    scores, (B, Hq, L)."""
    torch = _torch()
    fn = "flex_attention"
    if return_aux is not None:
        raise NotImplementedError(f"{fn}: return_aux is not supported; use return_lse=True")
    for name, t in (("query", query), ("key", key), ("value", value)):
        if t.dim() != 4:
            raise ValueError(f"{fn}: {name} must be 4-d (B, H, seq, E), got shape "
                             f"{tuple(t.shape)}")
    B, Hq, L, E = query.shape
    Bk, Hkv, S, Ek = key.shape
    if Ek != E or tuple(value.shape[:3]) != (Bk, Hkv, S) or Bk != B:
        raise ValueError(f"{fn}: query {tuple(query.shape)}, key {tuple(key.shape)} and "
                         f"value {tuple(value.shape)} do not fit (B, H, L, E), (B, H, S, E), "
                         f"(B, H, S, Ev)")
    if Hkv != Hq:
        if not enable_gqa:
            raise ValueError(f"{fn}: query has {Hq} heads and key {Hkv}; pass "
                             f"enable_gqa=True for grouped-query attention")
        if Hq % Hkv:
            raise ValueError(f"{fn}: enable_gqa needs the key heads ({Hkv}) to divide the "
                             f"query heads ({Hq})")
        key = key.repeat_interleave(Hq // Hkv, dim=1)
        value = value.repeat_interleave(Hq // Hkv, dim=1)
    scale = E ** -0.5 if scale is None else float(scale)
    scores = torch.matmul(query, key.transpose(-2, -1)) * scale
    if score_mod is not None:
        scores = score_mod(scores, *_indices(B, Hq, L, S))
        if tuple(scores.shape) != (B, Hq, L, S):
            scores = scores.expand(B, Hq, L, S)
    if block_mask is not None:
        if block_mask.seq_lengths != (L, S):
            raise ValueError(f"{fn}: the block mask is for sequences {block_mask.seq_lengths}"
                             f", the inputs have (L, S) = ({L}, {S})")
        scores = torch.where(block_mask._mask, scores, float("-inf"))
    # A row with every key masked: weights 0 (softmax's convention in chainrule), output 0.
    out = torch.matmul(torch.softmax(scores, dim=-1), value)
    if return_lse:
        return out, torch.logsumexp(scores, dim=-1)
    return out
