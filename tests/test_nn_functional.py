"""nn.functional and the layers over it: what the op database cannot check (coverage,
straight-through and withheld gradients, running statistics, module settings, errors)."""

import warnings

import numpy as np
import pytest
from opdb import OPS

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F

RNG = np.random.default_rng(0)


def test_every_public_function_has_an_op_database_entry():
    covered = {op.name.split(" ")[0] for op in OPS}
    missing = [name for name in F.__all__ if f"F.{name}" not in covered]
    assert not missing, f"nn.functional functions without an op-database entry: {missing}"


# ----------------------------------------------------------------------- activations
def test_activation_modules_call_their_functions_with_settings():
    x = cr.tensor(RNG.standard_normal((3, 4)) * 4)
    pairs = [
        (nn.Hardtanh(-2.0, 0.5), lambda v: np.clip(v, -2.0, 0.5)),
        (nn.Threshold(0.1, 20.0), lambda v: np.where(v > 0.1, v, 20.0)),
        (nn.Softplus(beta=2, threshold=1), lambda v: np.where(2 * v > 1, v,
                                                              np.log1p(np.exp(2 * v)) / 2)),
        (nn.CELU(2.0), lambda v: np.where(v > 0, v, 2 * np.expm1(v / 2))),
        (nn.GLU(1), lambda v: v[:, :2] * (1 / (1 + np.exp(-v[:, 2:])))),
        (nn.Softmin(dim=1), lambda v: np.exp(-v) / np.exp(-v).sum(1, keepdims=True)),
    ]
    for module, ref in pairs:
        np.testing.assert_allclose(module(x).data, ref(x.data), rtol=1e-12, atol=1e-12)
    prelu = nn.PReLU(4, init=0.1)
    assert prelu.state_dict()["weight"].shape == (4,)
    np.testing.assert_allclose(prelu(x).data, np.where(x.data > 0, x.data, 0.1 * x.data))
    with pytest.raises(ValueError, match="channels"):
        nn.PReLU(3)(x)


def test_softmax_without_dim_uses_pytorchs_legacy_axis_and_warns():
    x = cr.tensor(RNG.standard_normal((2, 3, 4)))
    with pytest.warns(UserWarning, match="implicit dimension"):
        y = nn.Softmax()(x)
    np.testing.assert_allclose(y.data.sum(0), 1.0)  # 3-d input: axis 0, as PyTorch


def test_gumbel_softmax_hard_is_one_hot_with_the_soft_gradient():
    x = cr.tensor(RNG.standard_normal((3, 5)), requires_grad=True)
    hard = F.gumbel_softmax(x, tau=0.5, hard=True, rng=1)
    assert set(np.unique(hard.data)) == {0.0, 1.0} and np.all(hard.data.sum(1) == 1)
    (hard * np.arange(5.0)).sum().backward()
    x2 = cr.tensor(x.data, requires_grad=True)
    soft = F.gumbel_softmax(x2, tau=0.5, rng=1)
    np.testing.assert_array_equal(hard.data, np.eye(5)[soft.data.argmax(1)])
    (soft * np.arange(5.0)).sum().backward()
    np.testing.assert_allclose(x.grad.data, x2.grad.data, atol=1e-15)


# ------------------------------------------------------------------------ embeddings
def test_embedding_padding_row_gets_no_gradient_and_bags_match_their_definition():
    w = cr.tensor(RNG.standard_normal((5, 3)), requires_grad=True)
    F.embedding(np.array([[1, 0], [1, 4]]), w, padding_idx=1).sum().backward()
    np.testing.assert_array_equal(w.grad.data[1], 0)
    np.testing.assert_array_equal(w.grad.data[[0, 4]], 1)
    flat, offsets = np.array([0, 2, 2, 3, 1, 4]), np.array([0, 2, 2])
    out = F.embedding_bag(flat, w.data, offsets, mode="mean")
    np.testing.assert_allclose(out, [w.data[[0, 2]].mean(0), np.zeros(3),
                                     w.data[[2, 3, 1, 4]].mean(0)])
    mx = F.embedding_bag(flat, w.data, offsets, mode="max", padding_idx=2)
    np.testing.assert_allclose(mx, [w.data[0], np.zeros(3), w.data[[3, 1, 4]].max(0)])
    with pytest.raises(ValueError, match="per_sample_weights needs mode='sum'"):
        F.embedding_bag(flat, w, offsets, per_sample_weights=np.ones(6))
    with pytest.raises(IndexError, match="0..4"):
        F.embedding(np.array([5]), w)
    with pytest.raises(NotImplementedError, match="sparse"):
        nn.Embedding(3, 2, sparse=True)


def test_embedding_from_pretrained_is_frozen_and_bag_module_names():
    table = RNG.standard_normal((4, 2))
    emb = nn.Embedding.from_pretrained(table)
    assert not emb.weight.requires_grad and emb.weight.dtype == np.float64
    bag = nn.EmbeddingBag(6, 3, mode="sum", rng=0)
    assert list(bag.state_dict()) == ["weight"]
    assert bag(np.array([[0, 1], [2, 5]])).shape == (2, 3)


# ---------------------------------------------------------------------- normalization
def test_batch_norm_2d_running_statistics_follow_pytorchs_update():
    bn = nn.BatchNorm2d(3, momentum=0.2, dtype=np.float64)
    x = RNG.standard_normal((4, 3, 2, 2)) * 2 + 1
    bn(cr.tensor(x))
    m = x.transpose(1, 0, 2, 3).reshape(3, -1)
    np.testing.assert_allclose(bn.running_mean.data, 0.2 * m.mean(1))
    np.testing.assert_allclose(bn.running_var.data, 0.8 + 0.2 * m.var(1, ddof=1))
    assert int(bn.num_batches_tracked.data) == 1
    bn.eval()
    want = (x - bn.running_mean.data.reshape(1, 3, 1, 1)) / np.sqrt(
        bn.running_var.data.reshape(1, 3, 1, 1) + 1e-5)
    np.testing.assert_allclose(bn(cr.tensor(x)).data, want)
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        bn(cr.tensor(x[:, :2]))
    assert list(nn.BatchNorm3d(2).state_dict()) == [
        "weight", "bias", "running_mean", "running_var", "num_batches_tracked"]


def test_instance_norm_tracks_the_batch_mean_of_instance_statistics():
    inorm = nn.InstanceNorm1d(2, affine=True, track_running_stats=True, dtype=np.float64)
    x = RNG.standard_normal((3, 2, 5))
    inorm(cr.tensor(x))
    np.testing.assert_allclose(inorm.running_mean.data, 0.1 * x.mean(2).mean(0))
    np.testing.assert_allclose(inorm.running_var.data, 0.9 + 0.1 * x.var(2, ddof=1).mean(0))
    assert int(inorm.num_batches_tracked.data) == 0  # as PyTorch: never incremented here
    plain = nn.InstanceNorm2d(3)
    assert plain.state_dict() == {}
    assert plain(cr.tensor(np.ones((3, 2, 2), np.float32) * np.arange(4.0).reshape(2, 2))
                 ).shape == (3, 2, 2)


def test_group_norm_layer_norm_rms_norm_layers():
    gn = nn.GroupNorm(2, 4)
    assert list(gn.state_dict()) == ["weight", "bias"]
    with pytest.raises(ValueError, match="divide"):
        nn.GroupNorm(3, 4)
    ln = nn.LayerNorm(4, elementwise_affine=False)
    assert ln.state_dict() == {}
    ln_nobias = nn.LayerNorm(4, bias=False)
    assert list(ln_nobias.state_dict()) == ["weight"]
    rms = nn.RMSNorm([2, 3])
    x = cr.tensor(RNG.standard_normal((4, 2, 3)).astype(np.float32))
    y = rms(x)
    assert y.dtype == np.float32
    want = x.data / np.sqrt((x.data ** 2).mean((1, 2), keepdims=True) + np.finfo(np.float32).eps)
    np.testing.assert_allclose(y.data, want, rtol=1e-5)


# ------------------------------------------------------------------------------ losses
def test_bce_is_finite_at_exactly_zero_and_one():
    p = cr.tensor(np.array([0.0, 1.0, 0.0, 1.0, 0.5]), requires_grad=True)
    t = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    loss = F.binary_cross_entropy(p, t, reduction="none")
    np.testing.assert_allclose(loss.data, [100, 100, 0, 0, np.log(2)])
    loss.sum().backward()
    # A clamped log is constant: at x = 0 only (1 - t) / (1 - x) is left, at x = 1 only
    # -t / x (PyTorch declares a push of 1e12 (x - t) at both ends instead).
    np.testing.assert_array_equal(p.grad.data, [0, 0, 1, -1, -2])
    with pytest.raises(ValueError, match="probabilities"):
        F.binary_cross_entropy(cr.tensor([1.5]), np.array([1.0]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_of_a_saturated_sigmoid_has_a_bounded_gradient(dtype):
    # d/dz bce(sigmoid(z), t) = sigmoid(z) - t lies in [-1, 1]. Where sigmoid rounds to
    # exactly 0 or 1 the loss is clamped (constant, gradient 0); just inside, the rounded
    # 1 - x makes the gradient off by at most the rounding of 1 - x (under 2x).
    z = cr.tensor(np.linspace(-80, 80, 1601).astype(dtype), requires_grad=True)
    for t in (0.0, 1.0, 0.3):
        z.grad = None
        x = cr.sigmoid(z)
        F.binary_cross_entropy(x, np.full(z.shape, t, dtype), reduction="sum").backward()
        g = z.grad.data
        assert np.all(np.abs(g) <= 2.0), (t, z.data[np.argmax(np.abs(g))], np.abs(g).max())
        exact = 1 / (1 + np.exp(-z.data.astype(np.float64))) - t
        mid = np.abs(z.data) <= 8
        rtol = 1e-3 if dtype == np.float32 else 1e-9  # the rounding of 1 - x in x's dtype
        np.testing.assert_allclose(g[mid], exact[mid], rtol=rtol, atol=1e-6)
        clamped = (x.data == 1) & (t < 1) | (x.data == 0) & (t > 0)
        assert np.all(np.abs(g[clamped]) <= 1e-6)  # the clamped loss is flat there


def test_loss_modules_take_pytorchs_arguments_and_save_weights():
    w = np.array([1.0, 2.0, 0.5], np.float32)
    ce = nn.CrossEntropyLoss(weight=w, ignore_index=1, label_smoothing=0.1)
    assert list(ce.state_dict()) == ["weight"]
    x = cr.tensor(RNG.standard_normal((4, 3)).astype(np.float32))
    y = np.array([0, 1, 2, 2])
    assert ce(x, y).dtype == np.float32
    np.testing.assert_allclose(
        ce(x, y).data, F.cross_entropy(x, y, weight=w, ignore_index=1, label_smoothing=0.1).data)
    assert nn.BCEWithLogitsLoss(pos_weight=np.ones(3)).state_dict()["pos_weight"].shape == (3,)
    with pytest.raises(TypeError, match="reduction='sum'"):
        nn.L1Loss("sum")
    with pytest.warns(DeprecationWarning):
        assert nn.L1Loss(size_average=False).reduction == "sum"
    with pytest.raises(ValueError, match="p must be 1 or 2"):
        nn.MultiMarginLoss(p=3)


def test_every_target_ignored_gives_zero_not_nan():
    x = cr.tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    loss = F.cross_entropy(x, np.array([-100, -100]), weight=np.ones(3))
    assert loss.item() == 0.0
    loss.backward()
    assert np.all(x.grad.data == 0)


def test_mismatched_loss_shapes_warn_as_pytorch():
    with pytest.warns(UserWarning, match="different to the input size"):
        F.mse_loss(cr.tensor(np.zeros((3, 1))), np.zeros(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.mse_loss(cr.tensor(np.zeros(3)), np.zeros(3))


def test_ctc_impossible_alignment_inf_or_zero_and_finite_gradient():
    lp = cr.tensor(np.log(np.full((2, 1, 3), 1 / 3)), requires_grad=True)
    targets = np.array([[1, 1]])  # needs three frames (a blank between the repeats)
    loss = F.ctc_loss(lp, targets, [2], [2], reduction="sum")
    assert loss.item() == np.inf
    zero = F.ctc_loss(lp, targets, [2], [2], reduction="sum", zero_infinity=True)
    assert zero.item() == 0.0
    zero.backward()
    assert np.all(lp.grad.data == 0)
    with pytest.raises(ValueError, match="blank"):
        F.ctc_loss(lp, np.array([[0, 1]]), [2], [2])
    module = nn.CTCLoss(blank=2)
    assert module(lp, np.array([[0, 1]]), [2], [2]).item() > 0


def test_pixel_shuffle_round_trip_and_errors():
    x = cr.tensor(RNG.standard_normal((2, 8, 3, 3)))
    np.testing.assert_array_equal(nn.PixelUnshuffle(2)(nn.PixelShuffle(2)(x)).data, x.data)
    with pytest.raises(ValueError, match="divisible"):
        F.pixel_shuffle(x, 3)


def test_dropout_variants_mask_whole_channels_and_alpha_keeps_statistics():
    x = cr.tensor(np.ones((4, 6, 5)))
    y = F.dropout1d(x, 0.5, rng=0).data
    assert np.all((y == 0).all(-1) | (y == 2).all(-1))
    with pytest.warns(UserWarning, match="3-d input"):
        F.dropout2d(x, 0.5, rng=0)
    z = F.alpha_dropout(cr.tensor(RNG.standard_normal(200_000)), 0.2, training=True, rng=1).data
    assert abs(z.mean()) < 0.02 and abs(z.std() - 1) < 0.02
    assert nn.AlphaDropout(0.3).eval()(x) is x
    with pytest.raises(ValueError, match="p must be in"):
        nn.Dropout2d(1.5)


def test_feature_dropout_of_other_ranks_draws_as_pytorch_does():
    # PyTorch's dropout2d on an (N, C) input (mnist_rnn-style programs call it so): one
    # draw per (N, C) pair, that is element by element; on 5-d input, per (N, C).
    x = cr.tensor(np.ones((64, 40)))
    with pytest.warns(UserWarning, match="2-d input"):
        y = F.dropout2d(x, 0.5, rng=0).data
    assert set(np.unique(y)) == {0.0, 2.0} and 0.35 < (y == 0).mean() < 0.65
    with pytest.warns(UserWarning, match="5-d input"):
        y5 = F.dropout2d(cr.tensor(np.ones((8, 6, 2, 3, 4))), 0.5, rng=1).data
    flat = y5.reshape(48, -1)
    assert np.all((flat == 0).all(-1) | (flat == 2).all(-1)) and (flat == 0).any()
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        F.dropout2d(cr.tensor(np.ones(6)), 0.5)
    # dropout3d of a 4-d input is unbatched (C, D, H, W): one draw per channel
    y3 = F.dropout3d(cr.tensor(np.ones((16, 2, 3, 4))), 0.5, rng=2).data.reshape(16, -1)
    assert np.all((y3 == 0).all(-1) | (y3 == 2).all(-1)) and (y3 == 0).any()


def test_bilinear_and_unflatten_layers():
    bil = nn.Bilinear(3, 2, 4, rng=0)
    assert [(k, v.shape) for k, v in bil.state_dict().items()] == [
        ("weight", (4, 3, 2)), ("bias", (4,))]
    out = bil(cr.tensor(np.ones((5, 3), np.float32)), cr.tensor(np.ones((5, 2), np.float32)))
    assert out.shape == (5, 4) and out.dtype == np.float32
    un = nn.Unflatten(1, (2, -1))
    assert un(cr.tensor(np.zeros((3, 8)))).shape == (3, 2, 4)
    with pytest.raises(ValueError, match="cannot be split"):
        nn.Unflatten(1, (3, 3))(cr.tensor(np.zeros((3, 8))))


def test_vmap_batches_normalization_and_gelu_without_a_python_loop():
    x = RNG.standard_normal((3, 4, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "no batching rule" would be a warning
        ln = cr.vmap(lambda a: F.layer_norm(a, (5,)))(x)
        bn = cr.vmap(lambda a: F.batch_norm(a, None, None, training=True))(x)
        ge = cr.vmap(F.gelu)(x)
    np.testing.assert_allclose(ln, F.layer_norm(x, (5,)), atol=1e-14)
    np.testing.assert_allclose(bn, np.stack([F.batch_norm(a, None, None, training=True)
                                             for a in x]), atol=1e-14)
    np.testing.assert_allclose(ge, F.gelu(x), atol=1e-15)


@pytest.mark.parametrize("kw", [{}, {"weight": True}, {"label_smoothing": 0.1},
                                {"weight": True, "label_smoothing": 0.2}])
@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
def test_class_losses_under_vmap_read_each_examples_targets(loss, kw):
    # A traced target is an argument: ignored entries, weights and the mean's
    # denominator come from each example's own targets, not the first one's.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 4, 3))
    t = rng.integers(0, 3, size=(5, 4))
    t[1, 0] = -100
    t[2, :] = -100
    kw = dict(kw, weight=rng.random(3)) if kw.get("weight") else kw
    if loss == "nll_loss":
        kw.pop("label_smoothing", None)

    def f(a, b):
        a = cr.log_softmax(a, axis=1) if loss == "nll_loss" else a
        return getattr(F, loss)(a, b, **kw)

    values = np.asarray(cr.vmap(f)(x, t).data)
    grads = np.asarray(cr.vmap(cr.grad(f))(x, t))
    for i in range(5):
        np.testing.assert_allclose(values[i], f(x[i], t[i]).data, rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(grads[i], cr.grad(f)(x[i], t[i]), rtol=1e-13, atol=1e-15)
    compiled = cr.compile(lambda a, b: F.cross_entropy(a, b, **kw))
    for targets in (t[0], t[1], t[2]):
        np.testing.assert_allclose(compiled(x[0], targets).data,
                                   F.cross_entropy(x[0], targets, **kw).data, rtol=1e-14)


@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_local_response_norm_against_its_formula_and_finite_differences(size):
    from chainrule import nn

    x = np.random.default_rng(size).standard_normal((2, 6, 3, 2))
    sq = np.pad(x * x, ((0, 0), (size // 2, (size - 1) // 2), (0, 0), (0, 0)))
    window = sum(sq[:, i:i + 6] for i in range(size))
    want = x / (1.5 + 0.3 / size * window) ** 0.8
    got = nn.LocalResponseNorm(size, alpha=0.3, beta=0.8, k=1.5)(cr.tensor(x))
    np.testing.assert_allclose(got.data, want, rtol=1e-12)
    assert cr.gradcheck(lambda t: nn.functional.local_response_norm(t, size, 0.3, 0.8, 1.5),
                        x, order=2, modes=("rev",))
