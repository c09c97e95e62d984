"""torch.nn.attention: sdpa_kernel's backend selection and flex_attention, against a NumPy
reference of masked softmax attention (values) and finite differences (gradients)."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule.torch as torch
import chainrule.torch.nn.functional as F
from chainrule.torch.nn.attention import SDPBackend, sdpa_kernel
from chainrule.torch.nn.attention.flex_attention import (
    and_masks,
    create_block_mask,
    create_mask,
    flex_attention,
    noop_mask,
    or_masks,
)


def _reference(q, k, v, scores_fn=None, keep=None, scale=None):
    """softmax(scores_fn(q k^T scale) where keep) v in float64 NumPy; rows with nothing
    kept give 0, and the log-sum-exp of each row."""
    s = q @ np.swapaxes(k, -1, -2) * (q.shape[-1] ** -0.5 if scale is None else scale)
    if scores_fn is not None:
        s = scores_fn(s)
    if keep is not None:
        s = np.where(keep, s, -np.inf)
    top = np.max(s, axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    e = np.exp(s - top)
    total = e.sum(-1, keepdims=True)
    w = np.divide(e, total, out=np.zeros_like(e), where=total > 0)
    with np.errstate(divide="ignore"):
        lse = np.log(total[..., 0]) + top[..., 0]
    return w @ v, lse


@pytest.fixture
def qkv():
    rng = np.random.default_rng(0)
    return (rng.standard_normal((2, 4, 5, 8)), rng.standard_normal((2, 2, 6, 8)),
            rng.standard_normal((2, 2, 6, 3)))


def test_flex_attention_with_score_mod_mask_gqa_and_lse(qkv):
    q, k, v = qkv
    bias = np.array([0.3, -0.2, 0.5, 0.1])
    mask = and_masks(lambda b, h, qi, ki: ki <= qi, lambda b, h, qi, ki: qi != 2)
    block_mask = create_block_mask(mask, 2, None, 5, 6, BLOCK_SIZE=2)
    out, lse = flex_attention(
        torch.tensor(q), torch.tensor(k), torch.tensor(v),
        score_mod=lambda s, b, h, qi, ki: s + torch.tensor(bias)[h] * (qi - ki),
        block_mask=block_mask, enable_gqa=True, return_lse=True)
    kk, vv = np.repeat(k, 2, axis=1), np.repeat(v, 2, axis=1)
    qi, ki = np.arange(5)[:, None], np.arange(6)[None, :]
    keep = (ki <= qi) & (qi != 2)
    want, want_lse = _reference(q, kk, vv, lambda s: s + bias[:, None, None] * (qi - ki), keep)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(lse.numpy(), want_lse, rtol=1e-12)
    # the query at position 2 sees no key: output 0, log-sum-exp -inf (as PyTorch)
    assert np.all(out.numpy()[:, :, 2] == 0) and np.all(lse.numpy()[:, :, 2] == -np.inf)
    assert out.dtype == torch.float64 and tuple(out.shape) == (2, 4, 5, 3)


def test_flex_attention_defaults_equal_scaled_dot_product_attention(qkv):
    q, k, v = (torch.tensor(a, dtype=torch.float32) for a in qkv)
    k, v = k.repeat_interleave(2, dim=1), v.repeat_interleave(2, dim=1)
    out = flex_attention(q, k, v, scale=0.3)
    np.testing.assert_allclose(out.numpy(), F.scaled_dot_product_attention(q, k, v, scale=0.3)
                               .numpy(), rtol=1e-5, atol=1e-6)
    assert out.dtype == torch.float32
    causal = flex_attention(q, k, v, block_mask=create_block_mask(
        lambda b, h, qi, ki: qi >= ki, None, None, 5, 6))
    np.testing.assert_allclose(causal.numpy(), F.scaled_dot_product_attention(
        q, k, v, is_causal=True).numpy(), rtol=1e-5, atol=1e-6)


def test_flex_attention_gradients_reach_the_score_table(qkv):
    q, k, v = qkv
    table = torch.tensor(np.linspace(-1, 1, 11), requires_grad=True)
    qt = torch.tensor(q, requires_grad=True)

    def f(qt, table):
        out = flex_attention(qt, torch.tensor(k), torch.tensor(v), enable_gqa=True,
                             score_mod=lambda s, b, h, qi, ki: s + table[qi - ki + 5])
        return (out * out).sum()

    assert torch.autograd.gradcheck(f, (qt, table))
    f(qt, table).backward()
    assert table.grad.abs().sum() > 0


def test_masks_and_block_masks():
    causal = create_mask(lambda b, h, qi, ki: qi >= ki, None, 2, 3, 3)
    assert tuple(causal.shape) == (1, 2, 3, 3) and causal.dtype == torch.bool
    np.testing.assert_array_equal(causal.numpy()[0, 1], np.tril(np.ones((3, 3), bool)))
    every = create_mask(noop_mask, 2, 1, 2, 4).numpy()
    assert every.shape == (2, 1, 2, 4) and every.all()
    either = create_mask(or_masks(lambda b, h, qi, ki: qi >= ki, lambda b, h, qi, ki: ki == 3),
                         1, 1, 3, 4).numpy()[0, 0]
    np.testing.assert_array_equal(either, np.tril(np.ones((3, 4), bool)) | (np.arange(4) == 3))
    # a score function's mask: where the score is not -inf
    by_score = create_mask(lambda s, b, h, qi, ki: torch.where(qi >= ki, s, -float("inf")),
                           1, 1, 3, 4).numpy()[0, 0]
    np.testing.assert_array_equal(by_score, np.tril(np.ones((3, 4), bool)))
    block_mask = create_block_mask(lambda b, h, qi, ki: ki <= qi, 2, None, 5, 6, BLOCK_SIZE=2)
    assert block_mask.shape == (2, 1, 5, 6) and block_mask.seq_lengths == (5, 6)
    blocks = block_mask.to_dense()
    assert blocks.dtype == torch.int32 and tuple(blocks.shape) == (2, 1, 3, 3)
    np.testing.assert_array_equal(blocks.numpy()[0, 0], np.tril(np.ones((3, 3), np.int32)))
    # 6 blocks of 2 x 2 hold something out of a 5 x 6 mask: 1 - 24 / 30
    assert block_mask.sparsity() == pytest.approx(20.0)
    with pytest.raises(ValueError, match="block mask is for sequences"):
        flex_attention(torch.zeros(1, 1, 4, 2), torch.zeros(1, 1, 6, 2),
                       torch.zeros(1, 1, 6, 2), block_mask=block_mask)


def test_flex_attention_refuses_mismatched_heads_without_gqa(qkv):
    q, k, v = (torch.tensor(a) for a in qkv)
    with pytest.raises(ValueError, match="enable_gqa=True"):
        flex_attention(q, k, v)


def test_sdpa_kernel_keeps_pytorchs_cpu_rule_and_restores_the_selection():
    q = torch.randn(1, 2, 4, 8)
    with sdpa_kernel([SDPBackend.MATH, SDPBackend.EFFICIENT_ATTENTION]):
        assert F.scaled_dot_product_attention(q, q, q).shape == (1, 2, 4, 8)
        assert not torch.backends.cuda.flash_sdp_enabled()
    with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
        F.scaled_dot_product_attention(q, q, q, is_causal=True)
        with pytest.raises(RuntimeError, match="No available kernel"):
            F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    for only in (SDPBackend.EFFICIENT_ATTENTION, SDPBackend.CUDNN_ATTENTION, []):
        with sdpa_kernel(only), pytest.raises(RuntimeError, match="No viable backend"):
            F.scaled_dot_product_attention(q, q, q)
    assert torch.backends.cuda.flash_sdp_enabled() and torch.backends.cuda.math_sdp_enabled()
    with pytest.raises(AssertionError, match="SDPBackend"):
        with sdpa_kernel("math"):
            pass
    torch.backends.cuda.enable_math_sdp(False)
    try:
        assert not torch.backends.cuda.math_sdp_enabled()
        F.scaled_dot_product_attention(q, q, q)  # flash is still on
        with torch.backends.cuda.sdp_kernel(enable_flash=False, enable_math=False):
            with pytest.raises(RuntimeError, match="No viable backend"):
                F.scaled_dot_product_attention(q, q, q)
    finally:
        torch.backends.cuda.enable_math_sdp(True)
