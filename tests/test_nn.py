"""Tests for chainrule.nn: Module/Parameter, layers, activations, losses, initializers."""

import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule.gradcheck import gradcheck
from chainrule.nn import init


def rand(shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


class Net(nn.Module):
    """Parameters directly, in a list, in a dict, and a shared submodule."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(np.ones(3, np.float32))
        self.fc = nn.Linear(4, 3, rng=0)
        self.blocks = [nn.Linear(3, 3, rng=1), nn.Tanh(), nn.Linear(3, 3, rng=2)]
        self.heads = {"cls": nn.Linear(3, 2, rng=3)}
        self.alias = self.fc  # the same module twice: its parameters are listed once
        self.not_a_parameter = cr.tensor([1.0, 2.0])

    def forward(self, x):
        h = self.fc(x) * self.scale
        for b in self.blocks:
            h = b(h)
        return self.heads["cls"](h)


# ---------------------------------------------------------------------- Parameter
def test_parameter_is_a_leaf_tensor_and_ops_return_plain_tensors():
    p = nn.Parameter(np.ones((2, 2), np.float32))
    assert isinstance(p, cr.Tensor) and p.requires_grad and p.is_leaf
    assert p.dtype == np.float32
    out = p * 2 + 1
    assert type(out) is cr.Tensor
    assert type(cr.tanh(p)) is cr.Tensor
    assert not nn.Parameter([1.0], requires_grad=False).requires_grad
    assert repr(p).startswith("Parameter containing:\ntensor(")


# ------------------------------------------------------------------ module traversal
def test_parameters_found_in_attributes_lists_and_dicts():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == [
        "scale",
        "fc.weight", "fc.bias",
        "blocks.0.weight", "blocks.0.bias",
        "blocks.2.weight", "blocks.2.bias",
        "heads.cls.weight", "heads.cls.bias",
    ]
    assert len(list(net.parameters())) == 9
    assert [n for n, _ in net.named_children()] == ["fc", "blocks.0", "blocks.1", "blocks.2",
                                                   "heads.cls"]
    assert [n for n, _ in net.named_modules()] == ["", "fc", "blocks.0", "blocks.1", "blocks.2",
                                                  "heads.cls"]
    assert set(map(id, net.children())) == {id(m) for m in
                                            [net.fc, *net.blocks, net.heads["cls"]]}
    # The shared module is saved under both names, as PyTorch does.
    assert {"fc.weight", "alias.weight"} <= set(net.state_dict())


def test_forward_backward_reaches_every_parameter():
    net = Net()
    out = net(rand((5, 4), dtype=np.float32))
    assert out.shape == (5, 2) and out.dtype == np.float32
    out.sum().backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, name
        assert p.grad.dtype == np.float32


def test_train_eval_recursive_and_zero_grad():
    net = nn.Sequential(nn.Linear(2, 2, rng=0), nn.Dropout(0.5, rng=0))
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net(np.ones((3, 2), np.float32)).sum().backward()
    net.zero_grad(set_to_none=False)
    assert all(np.array_equal(p.grad.data, np.zeros(p.shape)) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_repr_tree():
    net = nn.Sequential(nn.Linear(64, 64, rng=0), nn.Tanh(),
                        nn.Sequential(nn.Linear(64, 10, bias=False, rng=0), nn.LogSoftmax(1)))
    assert repr(net) == (
        "Sequential(\n"
        "  (0): Linear(in_features=64, out_features=64, bias=True)\n"
        "  (1): Tanh()\n"
        "  (2): Sequential(\n"
        "    (0): Linear(in_features=64, out_features=10, bias=False)\n"
        "    (1): LogSoftmax(dim=1)\n"
        "  )\n"
        ")"
    )
    bn = nn.BatchNorm1d(3)
    assert repr(bn) == ("BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, "
                        "track_running_stats=True)")


def test_sequential_and_module_list_containers():
    layers = [nn.Linear(3, 3, rng=i) for i in range(3)]
    seq = nn.Sequential(*layers)
    assert len(seq) == 3 and seq[1] is layers[1] and list(seq) == layers
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2
    x = rand((2, 3), dtype=np.float32)
    expected = layers[2](layers[1](layers[0](x)))
    assert np.array_equal(seq(x).data, expected.data)
    ml = nn.ModuleList([layers[0]]).append(layers[1])
    assert [n for n, _ in ml.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    with pytest.raises(TypeError, match="holds Modules"):
        ml.append("not a module")


# -------------------------------------------------------------------- state dicts
def test_state_dict_names_shapes_follow_pytorch():
    model = nn.Sequential(nn.Linear(64, 32, rng=0), nn.BatchNorm1d(32), nn.Tanh(),
                          nn.LayerNorm(32), nn.Linear(32, 10, rng=1))
    sd = model.state_dict()
    assert {k: v.shape for k, v in sd.items()} == {
        "0.weight": (32, 64), "0.bias": (32,),
        "1.weight": (32,), "1.bias": (32,), "1.running_mean": (32,), "1.running_var": (32,),
        "1.num_batches_tracked": (),
        "3.weight": (32,), "3.bias": (32,),
        "4.weight": (10, 32), "4.bias": (10,),
    }
    assert list(sd)[:7] == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                            "1.running_var", "1.num_batches_tracked"]
    assert sd["0.weight"].dtype == np.float32 and sd["1.num_batches_tracked"].dtype == np.int64
    # A snapshot, not a view of the live weights.
    sd["0.weight"][...] = 0
    assert not np.all(model[0].weight.data == 0)


def test_state_dict_of_a_module_containing_itself_is_an_error():
    outer = nn.Sequential(nn.Linear(2, 2, rng=0))
    outer[0].owner = outer
    with pytest.raises(ValueError, match="contains itself"):
        outer.state_dict()
    assert len(list(outer.parameters())) == 2  # traversal itself visits each module once


def test_load_state_dict_round_trip_keeps_parameter_identity():
    a = Net()
    b = Net()
    for p in b.parameters():
        p.data[...] = 7
    before = list(b.parameters())
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert all(x is y for x, y in zip(before, b.parameters()))
    for (name, pa), pb in zip(a.named_parameters(), b.parameters()):
        assert np.array_equal(pa.data, pb.data), name
    # Tensors and float64 arrays are accepted (cast to the parameter dtype).
    sd = {k: cr.tensor(v.astype(np.float64)) for k, v in a.state_dict().items()}
    b.load_state_dict(sd)
    assert b.fc.weight.dtype == np.float32


def test_load_state_dict_reports_every_problem_by_name_and_changes_nothing():
    model = nn.Sequential(nn.Linear(4, 3, rng=0), nn.Linear(3, 2, rng=0))
    snapshot = model.state_dict()
    bad = dict(snapshot)
    del bad["1.bias"]
    bad["0.weight"] = np.zeros((3, 5), np.float32)
    bad["2.weight"] = np.zeros((1,), np.float32)
    with pytest.raises(nn.StateDictError) as err:
        model.load_state_dict(bad)
    msg = str(err.value)
    # PyTorch's wording (programs test for "Missing key(s)"), then what to do
    assert msg.startswith("Error(s) in loading state_dict for Sequential:\n\t")
    assert ("size mismatch for 0.weight: copying a param with shape (3, 5) from checkpoint, "
            "the shape in current model is (3, 4).") in msg
    assert 'Missing key(s) in state_dict: "1.bias". ' in msg
    assert 'Unexpected key(s) in state_dict: "2.weight". ' in msg
    assert "pass strict=False" in msg
    for k, v in model.state_dict().items():
        assert np.array_equal(v, snapshot[k])
    # strict=False loads what fits, but a wrong shape is still an error.
    with pytest.raises(nn.StateDictError, match="0.weight"):
        model.load_state_dict(bad, strict=False)
    del bad["0.weight"]
    bad["0.bias"] = np.full(3, 5.0, np.float32)
    missing, unexpected = model.load_state_dict(bad, strict=False)
    assert missing == ["0.weight", "1.bias"] and unexpected == ["2.weight"]
    assert np.all(model[0].bias.data == 5)


def test_load_state_dict_rejects_float_into_int_buffer():
    bn = nn.BatchNorm1d(2)
    sd = bn.state_dict()
    sd["num_batches_tracked"] = np.array(1.5)
    with pytest.raises(nn.StateDictError, match="dtype mismatch for num_batches_tracked: float64"):
        bn.load_state_dict(sd)


def test_to_dtype_converts_parameters_and_float_buffers_in_place():
    model = nn.Sequential(nn.Linear(3, 2, rng=0), nn.BatchNorm1d(2))
    weight = model[0].weight
    assert model.double() is model
    assert model[0].weight is weight and weight.dtype == np.float64
    assert model[1].running_mean.dtype == np.float64
    assert model[1].num_batches_tracked.dtype == np.int64
    out = model(rand((4, 3)))
    assert out.dtype == np.float64
    model.float()
    assert all(p.dtype == np.float32 for p in model.parameters())
    with pytest.raises(TypeError, match="floating-point"):
        model.to(np.int32)


# ------------------------------------------------------------------- initializers
def test_calculate_gain():
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="unknown nonlinearity"):
        init.calculate_gain("swish")


@pytest.mark.parametrize("fn", [init.xavier_uniform_, init.xavier_normal_,
                                init.kaiming_uniform_, init.kaiming_normal_,
                                init.uniform_, init.normal_])
def test_initializers_reproducible_from_seed_or_generator(fn):
    a = fn(np.empty((20, 30), np.float32), rng=5)
    b = fn(np.empty((20, 30), np.float32), rng=np.random.default_rng(5))
    c = fn(np.empty((20, 30), np.float32), rng=6)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    init.manual_seed(3)
    d = fn(nn.Parameter(np.empty((20, 30), np.float32)))
    init.manual_seed(3)
    e = fn(nn.Parameter(np.empty((20, 30), np.float32)))
    assert np.array_equal(d.data, e.data) and d.dtype == np.float32


def test_initializer_scales():
    w = np.empty((400, 300))  # fan_in 300, fan_out 400
    init.xavier_uniform_(w, gain=2.0, rng=0)
    bound = 2.0 * math.sqrt(6 / 700)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    init.kaiming_normal_(w, nonlinearity="relu", rng=0)
    assert w.std() == pytest.approx(math.sqrt(2 / 300), rel=0.02)
    init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu", rng=0)
    assert np.abs(w).max() <= math.sqrt(2) * math.sqrt(3 / 400)
    init.xavier_normal_(w, rng=0)
    assert w.std() == pytest.approx(math.sqrt(2 / 700), rel=0.02)
    conv = np.empty((8, 4, 3, 3))
    assert init.calculate_fan_in_and_fan_out(conv) == (36, 72)
    assert np.all(init.zeros_(np.ones(3)) == 0) and np.all(init.ones_(np.zeros(3)) == 1)
    assert np.all(init.constant_(np.zeros(3), 2.5) == 2.5)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.xavier_uniform_(np.empty(5))
    with pytest.raises(TypeError, match="Generator"):
        init.normal_(np.empty(3), rng="seed")


def test_default_linear_init_is_uniform_inverse_sqrt_fan_in():
    layer = nn.Linear(100, 200, rng=0)
    bound = 1 / math.sqrt(100)
    for p in (layer.weight.data, layer.bias.data):
        assert p.dtype == np.float32
        assert np.abs(p).max() <= bound and np.abs(p).max() > 0.95 * bound
    assert np.array_equal(nn.Linear(100, 200, rng=0).weight.data, layer.weight.data)
    assert not np.array_equal(nn.Linear(100, 200, rng=1).weight.data, layer.weight.data)


# ------------------------------------------------------------------ gradient checks
def test_linear_gradcheck_and_value():
    x, w, b = rand((3, 2, 4), 0), rand((5, 4), 1), rand(5, 2)
    assert gradcheck(F.linear, x, w, b, order=2)
    assert gradcheck(F.linear, x[0, 0], w, order=2)
    assert np.allclose(F.linear(cr.tensor(x), w, b).data, x @ w.T + b)
    layer = nn.Linear(4, 5, dtype=np.float64, rng=0)
    assert gradcheck(layer, x, order=2)
    # a stack of small-batch layers passes transposed (F-ordered) arrays between them;
    # gradients must not depend on the layout
    stack = lambda x, w, b: F.linear(cr.tanh(F.linear(x, w, b)), w * 2, b)  # noqa: E731
    w5 = rand((5, 5), 3)
    assert gradcheck(stack, rand((6, 5), 4), w5, b, order=2)
    xs = rand((6, 5), 4)
    got = []
    for arr in (xs, np.asfortranarray(xs)):
        t, wt = cr.tensor(arr, requires_grad=True), cr.tensor(w5, requires_grad=True)
        stack(t, wt, b).sum().backward()
        got.append((t.grad.data, wt.grad.data))
    np.testing.assert_allclose(got[0][0], got[1][0], rtol=1e-13)
    np.testing.assert_allclose(got[0][1], got[1][1], rtol=1e-13)
    # a weight stored column-major gets its gradient in the same layout, same values
    wf = cr.tensor(np.asfortranarray(w5), requires_grad=True)
    F.linear(cr.tensor(xs), wf, b).sum().backward()
    assert wf.grad.data.flags.f_contiguous
    wc = cr.tensor(w5, requires_grad=True)
    F.linear(cr.tensor(xs), wc, b).sum().backward()
    np.testing.assert_allclose(wf.grad.data, wc.grad.data, rtol=1e-13)
    assert gradcheck(F.linear, xs, np.asfortranarray(w5), b, order=2)


def test_layer_norm_gradcheck_and_value():
    x, w, b = rand((3, 2, 4), 0), rand((2, 4), 1), rand((2, 4), 2)
    assert gradcheck(lambda x, w, b: F.layer_norm(x, (2, 4), w, b), x, w, b, order=2)
    assert np.allclose(F.layer_norm(cr.tensor(x), 4).data,
                       F.layer_norm(cr.tensor(x), (4,)).data)
    ln = nn.LayerNorm(4, dtype=np.float64)
    y = ln(cr.tensor(x * 3 + 1)).data
    assert np.allclose(y.mean(-1), 0, atol=1e-12) and np.allclose(y.var(-1), 1, atol=1e-4)
    assert gradcheck(ln, x, order=2)
    with pytest.raises(ValueError, match="normalized_shape"):
        ln(cr.tensor(rand((2, 5))))


def test_batch_norm_gradcheck_training_and_eval():
    x, w, b = rand((6, 3), 0), rand(3, 1), rand(3, 2)
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                     x, w, b, order=2)
    x3 = rand((4, 3, 2), 3)
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                     x3, w, b, order=2)
    rm, rv = cr.tensor(rand(3, 4)), cr.tensor(np.abs(rand(3, 5)) + 0.5)
    assert gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False),
                     x, w, b, order=2)


def test_batch_norm_running_statistics():
    bn = nn.BatchNorm1d(3, momentum=0.1, dtype=np.float64)
    x = rand((8, 3), 0) * 2 + 5
    y = bn(x).data
    assert np.allclose(y.mean(0), 0, atol=1e-12) and np.allclose(y.var(0), 1, atol=1e-4)
    assert np.allclose(bn.running_mean.data, 0.1 * x.mean(0))
    assert np.allclose(bn.running_var.data, 0.9 + 0.1 * x.var(0, ddof=1))
    assert int(bn.num_batches_tracked.item()) == 1
    bn.eval()
    z = bn(x).data
    expected = (x - bn.running_mean.data) / np.sqrt(bn.running_var.data + 1e-5)
    assert np.allclose(z, expected)
    assert int(bn.num_batches_tracked.item()) == 1  # eval does not update
    # momentum=None: the running statistics are the plain average over batches.
    avg = nn.BatchNorm1d(3, momentum=None, dtype=np.float64)
    x2 = rand((8, 3), 1)
    avg(x)
    avg(x2)
    assert np.allclose(avg.running_mean.data, (x.mean(0) + x2.mean(0)) / 2)
    with pytest.raises(ValueError, match="more than one value"):
        nn.BatchNorm1d(3)(np.ones((1, 3), np.float32))
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 3\)"):
        bn(np.ones((4, 2)))


def test_dropout_seeded_scaled_and_identity_in_eval():
    x = np.ones((200, 50), np.float32)
    drop = nn.Dropout(0.25, rng=0)
    y = drop(cr.tensor(x, requires_grad=True))
    vals = np.unique(y.data)
    assert set(vals.tolist()) == {0.0, np.float32(1 / 0.75)}
    assert abs((y.data == 0).mean() - 0.25) < 0.02
    assert np.array_equal(nn.Dropout(0.25, rng=0)(x).data, y.data)
    drop.eval()
    assert drop(x) is x
    assert nn.Dropout(0.0)(x) is x
    assert np.all(F.dropout(cr.tensor(x), 1.0).data == 0)
    # The gradient is the same mask: a fixed seed makes the function deterministic.
    assert gradcheck(lambda t: F.dropout(t, 0.5, rng=3), rand((4, 5)), order=2)


def test_embedding_lookup_padding_and_gradients():
    emb = nn.Embedding(5, 3, padding_idx=0, rng=0)
    assert emb.weight.shape == (5, 3) and np.all(emb.weight.data[0] == 0)
    idx = np.array([[1, 0, 1], [4, 2, 0]])
    out = emb(idx)
    assert out.shape == (2, 3, 3) and np.array_equal(out.data, emb.weight.data[idx])
    out.sum().backward()
    g = emb.weight.grad.data
    assert np.array_equal(g[:, 0], [0, 2, 1, 0, 1])  # repeated index 1 accumulates; row 0 none
    assert gradcheck(lambda w: F.embedding(idx, w), rand((5, 3)), order=2)
    with pytest.raises(IndexError, match="0..4"):
        emb(np.array([5]))
    with pytest.raises(IndexError, match="from -1 to 2"):
        emb(np.array([2, -1]))
    with pytest.raises(TypeError, match="integers"):
        emb(np.array([1.0]))


def test_flatten_identity():
    x = cr.tensor(rand((2, 3, 4, 5)))
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert np.array_equal(nn.Flatten()(x).data, x.data.reshape(2, 60))
    assert gradcheck(nn.Flatten(), rand((2, 3, 2)), order=2)
    assert nn.Identity()(x) is x


ACTIVATIONS = [
    (nn.Tanh(), np.tanh),
    (nn.ReLU(), lambda x: np.maximum(x, 0)),
    (nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (nn.GELU(), None),
    (nn.GELU("tanh"), None),
    (nn.Softplus(), lambda x: np.log1p(np.exp(x))),
    (nn.Softplus(beta=2.0), lambda x: np.log1p(np.exp(2 * x)) / 2),
    (nn.ELU(0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
    (nn.Softmax(1), lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True)),
    (nn.LogSoftmax(1), lambda x: x - np.log(np.exp(x).sum(1, keepdims=True))),
]


@pytest.mark.parametrize("module,reference", ACTIVATIONS, ids=lambda a: repr(a))
def test_activation_modules(module, reference):
    x = rand((3, 4), 0)
    # Keep finite differences away from the kinks at 0.
    x = np.where(np.abs(x) < 0.1, 0.5, x)
    if reference is not None:
        assert np.allclose(module(cr.tensor(x)).data, reference(x))
    assert gradcheck(module, x, order=2)
    y = module(cr.tensor(x.astype(np.float32), requires_grad=True))
    assert y.dtype == np.float32


# -------------------------------------------------------------------------- losses
def test_cross_entropy_loss_indices_soft_smoothing_ignore():
    logits = rand((4, 3), 0)
    y = np.array([0, 2, 1, 2])
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    ce = nn.CrossEntropyLoss()
    assert ce(cr.tensor(logits), y).item() == pytest.approx(-logp[np.arange(4), y].mean())
    assert gradcheck(lambda z: ce(z, y), logits, order=2)
    soft = np.abs(rand((4, 3), 1))
    soft /= soft.sum(1, keepdims=True)
    assert ce(cr.tensor(logits), soft).item() == pytest.approx(-(soft * logp).sum(1).mean())
    assert gradcheck(lambda z: ce(z, soft), logits, order=2)
    smooth = nn.CrossEntropyLoss(label_smoothing=0.3)
    t = np.eye(3)[y] * 0.7 + 0.1
    assert smooth(cr.tensor(logits), y).item() == pytest.approx(-(t * logp).sum(1).mean())
    ignored = np.array([0, -100, 1, 2])
    keep = [0, 2, 3]
    assert ce(cr.tensor(logits), ignored).item() == pytest.approx(
        -logp[keep, ignored[keep]].mean())
    total = nn.CrossEntropyLoss(reduction="sum")(cr.tensor(logits), y).item()
    assert total == pytest.approx(-logp[np.arange(4), y].sum())
    per = nn.CrossEntropyLoss(reduction="none")(cr.tensor(logits), y)
    assert per.shape == (4,)


def test_cross_entropy_loss_classes_on_axis_1():
    logits = rand((2, 3, 5), 0)  # (N, C, L) as in PyTorch
    y = np.random.default_rng(0).integers(0, 3, (2, 5))
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    expected = -np.take_along_axis(logp, y[:, None], 1).mean()
    assert nn.CrossEntropyLoss()(cr.tensor(logits), y).item() == pytest.approx(expected)
    assert nn.NLLLoss()(cr.tensor(logp), y).item() == pytest.approx(expected)


def test_nll_mse_bce_losses():
    logp = np.log(np.array([[0.2, 0.8], [0.6, 0.4]]))
    assert nn.NLLLoss()(cr.tensor(logp), np.array([1, 0])).item() == pytest.approx(
        -(np.log(0.8) + np.log(0.6)) / 2)
    a, b = rand((3, 2), 0), rand((3, 2), 1)
    assert nn.MSELoss()(cr.tensor(a), b).item() == pytest.approx(((a - b) ** 2).mean())
    assert nn.MSELoss(reduction="sum")(cr.tensor(a), b).item() == pytest.approx(
        ((a - b) ** 2).sum())
    assert gradcheck(lambda p: nn.MSELoss()(p, b), a, order=2)
    t = (rand((3, 2), 2) > 0).astype(np.float64)
    s = 1 / (1 + np.exp(-a))
    bce = -(t * np.log(s) + (1 - t) * np.log(1 - s)).mean()
    assert nn.BCEWithLogitsLoss()(cr.tensor(a), t).item() == pytest.approx(bce)
    assert gradcheck(lambda z: nn.BCEWithLogitsLoss(pos_weight=2.0)(z, t), a, order=2)
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")
    # PyTorch's first positional argument is the deprecated size_average flag.
    with pytest.raises(TypeError, match="reduction="):
        nn.MSELoss("sum")


# ------------------------------------------------------------------------ float32
FLOAT32_LAYERS = [
    (lambda: nn.Linear(6, 4, rng=0), (5, 6)),
    (lambda: nn.LayerNorm(6), (5, 6)),
    (lambda: nn.BatchNorm1d(6), (5, 6)),
    (lambda: nn.Dropout(0.3, rng=0), (5, 6)),
    (lambda: nn.Sequential(nn.Linear(6, 6, rng=0), nn.GELU(), nn.Flatten()), (5, 6)),
]


@pytest.mark.parametrize("make,shape", FLOAT32_LAYERS)
def test_layers_run_in_float32(make, shape):
    layer = make()
    x = cr.tensor(rand(shape, 0, np.float32), requires_grad=True)
    y = layer(x)
    assert y.dtype == np.float32
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    for p in layer.parameters():
        assert p.dtype == np.float32 and p.grad.dtype == np.float32
    layer.eval()
    assert layer(x).dtype == np.float32


def test_embedding_and_losses_float32():
    emb = nn.Embedding(4, 3, rng=0)
    out = emb(np.array([0, 3]))
    loss = nn.CrossEntropyLoss(label_smoothing=0.1)(out, np.array([1, 2]))
    assert loss.dtype == np.float32
    loss.backward()
    assert emb.weight.grad.dtype == np.float32
    assert nn.MSELoss()(out, np.zeros((2, 3), np.float32)).dtype == np.float32
    assert nn.BCEWithLogitsLoss()(out, np.ones((2, 3), np.float32)).dtype == np.float32


def test_cross_entropy_loss_module_ignores_its_ignore_index_only_when_present():
    rng = np.random.default_rng(40)
    x = rng.standard_normal((20, 4))
    y = rng.integers(0, 4, 20)
    loss = nn.CrossEntropyLoss()  # ignore_index=-100 by default
    np.testing.assert_allclose(loss(cr.tensor(x), y).data, cr.cross_entropy(x, y).data,
                               rtol=1e-14)
    y2 = y.copy()
    y2[[3, 7]] = -100
    keep = y2 != -100
    np.testing.assert_allclose(loss(cr.tensor(x), y2).data,
                               cr.cross_entropy(x[keep], y[keep]).data, rtol=1e-14)
    with pytest.raises(IndexError, match="0..3"):
        loss(cr.tensor(x), np.where(keep, y, 7))
