"""Attention and transformer layers: values, masks, fully masked rows, gradients, layouts."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule.primitives.attention import attention

RNG = np.random.default_rng(0)


def reference(q, k, v, bias=0.0, scale=None):
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * scale + bias
    e = np.exp(s - s.max(-1, keepdims=True))
    return (e / e.sum(-1, keepdims=True)) @ v


def qkv(*shapes):
    return [RNG.standard_normal(s) for s in shapes]


def test_sdpa_values_with_masks_causal_scale_and_grouped_heads():
    q, k, v = qkv((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 2))
    np.testing.assert_allclose(F.scaled_dot_product_attention(cr.tensor(q), k, v).data,
                               reference(q, k, v), atol=1e-13)
    allowed = RNG.random((4, 6)) > 0.4
    allowed[:, 0] = True
    got = F.scaled_dot_product_attention(cr.tensor(q), k, v, attn_mask=allowed, scale=0.7)
    np.testing.assert_allclose(got.data, reference(q, k, v, np.where(allowed, 0, -np.inf), 0.7),
                               atol=1e-13)
    qq = RNG.standard_normal((2, 3, 6, 5))
    causal = np.where(np.tril(np.ones((6, 6), bool)), 0, -np.inf)
    np.testing.assert_allclose(
        F.scaled_dot_product_attention(cr.tensor(qq), k, v, is_causal=True).data,
        reference(qq, k, v, causal), atol=1e-13)
    q6 = RNG.standard_normal((2, 6, 4, 5))  # six query heads over three key heads
    got = F.scaled_dot_product_attention(cr.tensor(q6), k, v, enable_gqa=True)
    want = reference(q6, np.repeat(k, 2, axis=1), np.repeat(v, 2, axis=1))
    np.testing.assert_allclose(got.data, want, atol=1e-13)
    with pytest.raises(ValueError, match="enable_gqa"):
        F.scaled_dot_product_attention(cr.tensor(q6), k, v)
    with pytest.raises(ValueError, match="not both"):
        F.scaled_dot_product_attention(cr.tensor(q), k, v, attn_mask=allowed, is_causal=True)


def test_fully_masked_row_gives_zero_output_and_zero_gradient_never_nan():
    q, k, v = qkv((2, 4, 3), (2, 5, 3), (2, 5, 2))
    allowed = np.ones((4, 5), bool)
    allowed[1] = False  # query 1 may attend to nothing
    tq, tk, tv = (cr.tensor(a, requires_grad=True) for a in (q, k, v))
    out = F.scaled_dot_product_attention(tq, tk, tv, attn_mask=allowed)
    assert np.all(out.data[:, 1] == 0) and np.all(np.isfinite(out.data))
    (out * out).sum().backward()
    assert np.all(tq.grad.data[:, 1] == 0)
    for t in (tq, tk, tv):
        assert np.all(np.isfinite(t.grad.data))
    # The same through MultiheadAttention with a key_padding_mask hiding every key of a
    # sample, on the fused path and on the path that returns weights.
    mha = nn.MultiheadAttention(4, 2, dtype=np.float64, rng=0)
    x = cr.tensor(RNG.standard_normal((3, 2, 4)), requires_grad=True)
    pad = np.array([[True] * 3, [False, False, True]])
    for need_weights in (False, True):
        out, w = mha(x, x, x, key_padding_mask=pad, need_weights=need_weights)
        assert np.all(np.isfinite(out.data))
        out.sum().backward()
        assert np.all(np.isfinite(x.grad.data))
        assert all(np.all(np.isfinite(p.grad.data)) for p in mha.parameters())
        if need_weights:
            assert np.all(w.data[0] == 0)
        x.grad = None
        mha.zero_grad()


@pytest.mark.parametrize("with_dropout", [False, True])
def test_attention_primitive_gradcheck_to_second_order(with_dropout):
    q, k, v = qkv((2, 3, 4), (2, 5, 4), (2, 5, 3))
    bias = np.where(RNG.random((3, 5)) > 0.3, RNG.standard_normal((3, 5)), -np.inf)
    bias[:, 0] = 0.0
    keep = (RNG.random((2, 3, 5)) > 0.3) / 0.7 if with_dropout else None
    assert cr.gradcheck(lambda a, b, c: attention(a, b, c, bias, scale=0.4, keep=keep), q, k, v,
                        order=2)
    # A learned (differentiated) additive bias, e.g. a relative-position bias.
    assert cr.gradcheck(lambda a, b: attention(a, k, v, b, scale=0.4), q,
                        RNG.standard_normal((3, 5)), order=2)


def test_mha_parameter_layout_is_pytorchs():
    mha = nn.MultiheadAttention(8, 2, add_bias_kv=True, rng=0)
    assert [(k, v.shape) for k, v in mha.state_dict().items()] == [
        ("in_proj_weight", (24, 8)), ("in_proj_bias", (24,)), ("bias_k", (1, 1, 8)),
        ("bias_v", (1, 1, 8)), ("out_proj.weight", (8, 8)), ("out_proj.bias", (8,))]
    separate = nn.MultiheadAttention(8, 2, kdim=3, vdim=5, bias=False)
    assert [(k, v.shape) for k, v in separate.state_dict().items()] == [
        ("q_proj_weight", (8, 8)), ("k_proj_weight", (8, 3)), ("v_proj_weight", (8, 5)),
        ("out_proj.weight", (8, 8))]
    assert np.all(mha.in_proj_bias.data == 0) and np.all(mha.out_proj.bias.data == 0)


def test_mha_weights_average_over_heads_and_rows_sum_to_one():
    mha = nn.MultiheadAttention(6, 3, batch_first=True, dtype=np.float64, rng=1)
    x = cr.tensor(RNG.standard_normal((2, 4, 6)))
    out, w = mha(x, x, x, average_attn_weights=False)
    assert out.shape == (2, 4, 6) and w.shape == (2, 3, 4, 4)
    np.testing.assert_allclose(w.data.sum(-1), 1.0)
    _, avg = mha(x, x, x)
    np.testing.assert_allclose(avg.data, w.data.mean(1))
    fused, none = mha(x, x, x, need_weights=False)
    assert none is None
    np.testing.assert_allclose(fused.data, out.data, atol=1e-14)
    with pytest.raises(ValueError, match="is_causal"):
        mha(x, x, x, is_causal=True)


def test_transformer_layers_names_copies_and_modes():
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, rng=0)
    names = list(layer.state_dict())
    assert names[:4] == ["self_attn.in_proj_weight", "self_attn.in_proj_bias",
                         "self_attn.out_proj.weight", "self_attn.out_proj.bias"]
    assert names[4:] == ["linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
                         "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"]
    enc = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8))
    assert list(enc.state_dict())[0] == "layers.0.self_attn.in_proj_weight"
    assert list(enc.state_dict())[-1] == "norm.bias"
    assert enc.layers[0].linear1.weight is not enc.layers[1].linear1.weight
    x = cr.tensor(RNG.standard_normal((5, 2, 8)).astype(np.float32))
    enc.eval()
    a, b = enc(x), enc(x)
    np.testing.assert_array_equal(a.data, b.data)
    assert a.dtype == np.float32
    enc.train()
    assert not np.array_equal(enc(x).data, a.data)  # dropout in training
    dec = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, activation=nn.GELU(), rng=1)
    assert "multihead_attn.in_proj_weight" in dec.state_dict() and "norm3.bias" in dec.state_dict()
    with pytest.raises(ValueError, match="activation"):
        nn.TransformerEncoderLayer(8, 2, activation="swish")


def test_transformer_layer_gradcheck_small():
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0, norm_first=True,
                                       activation="gelu", dtype=np.float64, rng=2)
    mask = np.triu(np.full((3, 3), -np.inf), 1)
    assert cr.gradcheck(lambda x: layer(x, src_mask=mask), RNG.standard_normal((3, 2, 4)),
                        modes=("rev",))


def test_whole_transformer_gradcheck_small():
    model = nn.Transformer(4, 2, num_encoder_layers=1, num_decoder_layers=1,
                           dim_feedforward=6, dropout=0.0, dtype=np.float64, rng=3)
    mask = nn.Transformer.generate_square_subsequent_mask(2, dtype=np.float64)
    tgt = RNG.standard_normal((2, 2, 4))
    assert cr.gradcheck(lambda src: model(src, tgt, tgt_mask=mask),
                        RNG.standard_normal((3, 2, 4)), modes=("rev",))
    assert cr.gradcheck(lambda t: model(RNG.standard_normal((3, 2, 4)) * 0 + 1, t,
                                        tgt_mask=mask), tgt, order=2, modes=("rev",))
