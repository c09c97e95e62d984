"""Module features: containers, hooks, traversal, weight tying, nn.utils."""

from collections import OrderedDict

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn


def _x(shape=(2, 4), seed=0):
    return cr.tensor(np.random.default_rng(seed).standard_normal(shape))


# ---------------------------------------------------------------------- containers
def test_module_dict_registers_children_under_their_keys():
    d = nn.ModuleDict({"enc": nn.Linear(4, 3, rng=0), "dec": nn.Linear(3, 2, rng=1)})
    d["act"] = nn.Tanh()
    assert list(d.keys()) == ["enc", "dec", "act"] and len(d) == 3 and "dec" in d
    assert list(d.state_dict()) == ["enc.weight", "enc.bias", "dec.weight", "dec.bias"]
    del d["act"]
    assert [n for n, _ in d.named_children()] == ["enc", "dec"]
    with pytest.raises(TypeError, match="holds Modules"):
        d["bad"] = 3
    with pytest.raises(KeyError, match="without '.'"):
        d["a.b"] = nn.Tanh()


def test_parameter_list_and_dict_wrap_tensors_and_name_like_pytorch():
    pl = nn.ParameterList([np.ones(2), cr.tensor([1.0, 2.0, 3.0])])
    pl.append(nn.Parameter(np.zeros(1)))
    assert all(isinstance(p, nn.Parameter) for p in pl)
    assert list(pl.state_dict()) == ["0", "1", "2"]
    pd = nn.ParameterDict({"scale": np.ones(3)})
    pd["shift"] = np.zeros(3)
    assert list(pd.state_dict()) == ["scale", "shift"]

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.ps = pl
            self.pd = pd

    assert [n for n, _ in M().named_parameters()] == ["ps.0", "ps.1", "ps.2", "pd.scale",
                                                     "pd.shift"]
    with pytest.raises(TypeError, match="Parameters"):
        pl.append("nope")


def test_sequential_from_ordered_dict_names_its_children():
    seq = nn.Sequential(OrderedDict(fc=nn.Linear(4, 3, rng=0), act=nn.ReLU()))
    assert list(seq.state_dict()) == ["fc.weight", "fc.bias"]
    assert seq(_x()).shape == (2, 3)
    head = seq[:1]
    assert list(head.state_dict()) == ["fc.weight", "fc.bias"]
    seq.append(nn.Linear(3, 1, rng=2))
    assert list(seq.state_dict())[-2:] == ["2.weight", "2.bias"]


def test_module_list_delete_pop_and_add():
    ml = nn.ModuleList([nn.Tanh(), nn.ReLU()]) + [nn.SiLU()]
    assert len(ml) == 3
    del ml[0]
    assert isinstance(ml.pop(), nn.SiLU) and len(ml) == 1


# --------------------------------------------------------------------------- hooks
def test_forward_hooks_see_and_replace_inputs_and_outputs_and_are_removable():
    lin = nn.Linear(4, 3, rng=0)
    seen = []
    h1 = lin.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
    h2 = lin.register_forward_hook(lambda m, args, out: seen.append(out.shape))
    x = _x()
    with cr.no_grad():
        want = (x.data * 2) @ lin.weight.data.T + lin.bias.data
    np.testing.assert_allclose(lin(x).data, want)
    assert seen == [(2, 3)]
    h3 = lin.register_forward_hook(lambda m, args, out: out * 0)
    assert np.all(lin(x).data == 0)
    for h in (h1, h2, h3):
        h.remove()
    with cr.no_grad():
        np.testing.assert_allclose(lin(x).data, x.data @ lin.weight.data.T + lin.bias.data)
    assert seen == [(2, 3), (2, 3)]


def test_hooks_with_kwargs_prepend_and_context_manager():
    calls = []

    class Scale(nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    m = Scale()
    m.register_forward_hook(lambda mod, a, out: calls.append("second"))
    m.register_forward_hook(lambda mod, a, out: calls.append("first"), prepend=True)
    with m.register_forward_pre_hook(lambda mod, a, kw: (a, {"factor": 3.0}), with_kwargs=True):
        assert float(m(cr.tensor(2.0))) == 6.0
    assert float(m(cr.tensor(2.0))) == 2.0
    assert calls == ["first", "second"] * 2


def test_always_call_hook_runs_when_forward_raises():
    class Boom(nn.Module):
        def forward(self, x):
            raise RuntimeError("boom")

    ran = []
    m = Boom()
    m.register_forward_hook(lambda mod, a, out: ran.append(out), always_call=True)
    with pytest.raises(RuntimeError, match="boom"):
        m(1)
    assert ran == [None]


def test_hook_gradients_flow_through_replaced_output():
    lin = nn.Linear(3, 1, rng=0)
    lin.register_forward_hook(lambda m, a, out: out * 3)
    lin(_x((2, 3))).sum().backward()
    np.testing.assert_allclose(lin.bias.grad.data, [6.0])


# ----------------------------------------------------------------------- traversal
def test_named_modules_children_apply_and_get_submodule():
    inner = nn.Linear(2, 2, rng=0)
    net = nn.Sequential(inner, nn.Sequential(nn.ReLU(), inner))
    assert [n for n, _ in net.named_modules()] == ["", "0", "1", "1.0"]
    assert [n for n, _ in net.named_modules(remove_duplicate=False)] == [
        "", "0", "1", "1.0", "1.1"]
    assert net.get_submodule("1.0").__class__ is nn.ReLU
    with pytest.raises(AttributeError, match="no submodule"):
        net.get_submodule("1.7")
    assert net.get_parameter("0.weight") is inner.weight
    visited = []
    net.apply(lambda m: visited.append(type(m).__name__))
    # As in PyTorch, apply visits a module shared by two parents once per parent.
    assert visited == ["Linear", "ReLU", "Linear", "Sequential", "Sequential"]
    assert len(list(net.children())) == 2 and len(list(net.modules())) == 4


def test_requires_grad_and_zero_grad():
    net = nn.Linear(3, 2, rng=0)
    net(_x((4, 3))).sum().backward()
    net.zero_grad(set_to_none=False)
    assert np.all(net.weight.grad.data == 0)
    net.zero_grad()
    assert net.weight.grad is None
    net.requires_grad_(False)
    assert not net(_x((4, 3))).requires_grad


def test_register_parameter_and_add_module():
    m = nn.Module()
    m.register_parameter("w", nn.Parameter(np.ones(2)))
    m.add_module("fc", nn.Linear(2, 1, rng=0))
    assert list(m.state_dict()) == ["w", "fc.weight", "fc.bias"]
    with pytest.raises(TypeError, match="nn.Parameter"):
        m.register_parameter("v", cr.tensor([1.0]))
    with pytest.raises(KeyError):
        m.add_module("train", nn.ReLU())


# -------------------------------------------------------------------- weight tying
class TiedLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(5, 3, rng=0)
        self.head = nn.Linear(3, 5, bias=False, rng=1)
        self.head.weight = self.emb.weight

    def forward(self, idx):
        return self.head(self.emb(idx))


def test_tied_weights_listed_once_saved_under_both_names_and_loaded_tied():
    m = TiedLM()
    assert len(list(m.parameters())) == 1
    sd = m.state_dict()
    assert list(sd) == ["emb.weight", "head.weight"] and sd["emb.weight"] is sd["head.weight"]
    other = TiedLM()
    other.load_state_dict(sd)
    assert other.head.weight is other.emb.weight
    np.testing.assert_array_equal(other.emb.weight.data, m.emb.weight.data)
    # One gradient, the sum of both uses.
    other(np.array([1, 2])).sum().backward()
    assert other.emb.weight.grad is other.head.weight.grad


# --------------------------------------------------------------------------- utils
def test_parameters_to_vector_is_differentiable_and_vector_to_parameters_copies():
    net = nn.Linear(3, 2, rng=0)
    vec = nn.utils.parameters_to_vector(net.parameters())
    assert vec.shape == (8,)
    (vec * vec).sum().backward()
    np.testing.assert_allclose(net.weight.grad.data, 2 * net.weight.data)
    nn.utils.vector_to_parameters(np.arange(8.0), net.parameters())
    np.testing.assert_array_equal(net.bias.data, [6.0, 7.0])
    with pytest.raises(ValueError, match="8"):
        nn.utils.vector_to_parameters(np.arange(7.0), net.parameters())
    assert nn.utils.clip_grad_norm_ is cr.optim.clip_grad_norm_


def test_tied_weights_are_written_once_by_io_and_come_back_tied(tmp_path):
    safetensors = pytest.importorskip("safetensors.numpy")
    from chainrule import io

    m = TiedLM()
    path = tmp_path / "tied.safetensors"
    io.save(m.state_dict(), path)
    stored = safetensors.load_file(str(path))
    assert list(stored) == ["emb.weight"]  # the tensor is in the file once
    loaded = io.load(path)
    assert list(loaded) == ["emb.weight", "head.weight"]
    assert loaded["head.weight"] is loaded["emb.weight"]
    other = TiedLM()
    other.load_state_dict(loaded)
    assert other.head.weight is other.emb.weight
    np.testing.assert_array_equal(other.head.weight.data, m.emb.weight.data)
    # Distinct arrays with equal values are two tensors, not a tie.
    io.save({"a": np.ones(2), "b": np.ones(2)}, path)
    assert list(safetensors.load_file(str(path))) == ["a", "b"]
    with pytest.raises(io.CheckpointError, match="reserved"):
        io.save({"a": np.ones(2)}, path, metadata={"chainrule.tied": "{}"})


def test_weight_norm_reparameterizes_and_differentiates():
    import chainrule as cr

    layer = nn.utils.weight_norm(nn.Linear(3, 4, rng=0, dtype=np.float64))
    assert sorted(layer.state_dict()) == ["bias", "weight_g", "weight_v"]
    assert layer.weight_g.shape == (4, 1)
    x = np.random.default_rng(1).standard_normal((2, 3))

    def f(g, v):
        layer.weight_g.data[...] = g
        layer.weight_v.data[...] = v
        return layer(cr.tensor(x))

    v0 = layer.weight_v.data.copy()
    want = (layer.weight_g.data * v0 / np.linalg.norm(v0, axis=1, keepdims=True)) @ x.T
    np.testing.assert_allclose(layer(cr.tensor(x)).data - layer.bias.data, want.T, rtol=1e-12)
    y = layer(cr.tensor(x))
    y.sum().backward()
    assert layer.weight_g.grad is not None and layer.weight_v.grad.shape == (4, 3)
    nn.utils.remove_weight_norm(layer)
    assert sorted(layer.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(layer(cr.tensor(x)).data, y.data, rtol=1e-12)


def test_spectral_norm_divides_by_the_largest_singular_value():
    import chainrule as cr

    layer = nn.utils.spectral_norm(nn.Linear(6, 5, rng=0, dtype=np.float64), rng=1)
    assert sorted(layer.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    x = cr.tensor(np.ones((2, 6)))
    for _ in range(30):  # power iteration, one step per forward in training mode
        layer(x)
    top = np.linalg.svd(layer.weight.data, compute_uv=False)[0]
    assert top == pytest.approx(1.0, rel=1e-6)
    u = layer.weight_u.data.copy()
    layer.eval()
    layer(x)
    np.testing.assert_array_equal(layer.weight_u.data, u)  # no iteration in eval mode
    layer.train()
    out = layer(x)
    out.sum().backward()
    assert layer.weight_orig.grad.shape == (5, 6)
    nn.utils.remove_spectral_norm(layer)
    assert sorted(layer.state_dict()) == ["bias", "weight"]


def test_spectral_norm_backward_sees_the_vectors_its_forward_used():
    # Two forwards (a discriminator on real, then fake data) before one backward: the
    # second forward's power iteration must not change the first one's gradient.
    import chainrule as cr

    def layer():
        lin = nn.utils.spectral_norm(nn.Linear(3, 2, rng=0, dtype=np.float64), rng=1)
        lin.weight_orig.data[...] = [[1.0, 2.0, 0.0], [0.0, 1.0, -1.0]]
        lin.weight_u.data[...] = [1.0, 0.0]
        lin.weight_v.data[...] = [0.0, 1.0, 0.0]
        return lin

    x = cr.tensor(np.ones((1, 3)))
    once = layer()
    once(x).sum().backward()
    twice = layer()
    first = twice(x).sum()
    twice(x).sum()
    first.backward()
    np.testing.assert_allclose(twice.weight_orig.grad.numpy(), once.weight_orig.grad.numpy(),
                               rtol=1e-14)
    # (PyTorch 2.13 on the same numbers: [[0.2005, -0.0143, 0.4152], [0.3293, 0.2434, 0.4152]])
    np.testing.assert_allclose(once.weight_orig.grad.numpy(),
                               [[0.2005, -0.0143, 0.4152], [0.3293, 0.2434, 0.4152]], atol=1e-4)


def test_dict_containers_give_their_entries_as_attributes():
    # nanoGPT's `self.transformer.wte.weight = self.lm_head.weight` reads an entry so
    blocks = nn.ModuleDict({"wte": nn.Embedding(5, 3), "ln_f": nn.LayerNorm(3)})
    head = nn.Linear(3, 5, bias=False)
    blocks.wte.weight = head.weight
    assert blocks.wte is blocks["wte"] and blocks["wte"].weight is head.weight
    params = nn.ParameterDict({"scale": nn.Parameter(np.ones(2))})
    assert params.scale is params["scale"]
    with pytest.raises(AttributeError, match="'ModuleDict' object has no attribute 'lm_head'"):
        getattr(blocks, "lm_head")  # noqa: B009  (the attribute access is the test)


def test_sync_batch_norm_is_batch_norm_over_any_rank_in_one_process():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 2, 2, 3, 2, 2))
    sbn = nn.SyncBatchNorm(2, momentum=0.3, dtype=np.float64)
    sbn.weight._data[...] = [1.5, -0.5]
    y = sbn(cr.tensor(x))
    axes = (0, 2, 3, 4, 5)
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    want = (x - mean) / np.sqrt(var + 1e-5) * np.array([1.5, -0.5]).reshape(1, 2, 1, 1, 1, 1)
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-12, atol=1e-12)
    m = x.size // 2
    np.testing.assert_allclose(sbn.running_var.numpy(),
                               0.7 + 0.3 * x.var(axis=axes) * m / (m - 1), rtol=1e-12)
    assert int(sbn.num_batches_tracked.numpy()) == 1

    def f(inp, w, b):
        return cr.sum(cr.sin(nn.functional.batch_norm(inp, None, None, w, b, training=True)))

    assert cr.gradcheck(f, x[:, :, :, :2, :1, :1], np.array([1.5, -0.5]), np.array([0.1, 0.2]),
                        order=2)
    with pytest.raises(ValueError, match="at least 2D"):
        sbn(cr.tensor(np.ones(2)))


def test_convert_sync_batchnorm_keeps_parameters_buffers_and_modes():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4),
                          nn.Sequential(nn.BatchNorm2d(4, affine=False)))
    model[1].weight.requires_grad_(False)
    model.eval()
    before = {k: np.array(v) for k, v in model.state_dict().items()}
    weight, mean = model[1].weight, model[2][0].running_mean
    out = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert out is model
    assert type(out[1]) is nn.SyncBatchNorm and type(out[2][0]) is nn.SyncBatchNorm
    assert out[1].weight is weight and not out[1].weight.requires_grad
    assert out[2][0].running_mean is mean and out[2][0].weight is None
    assert not out[1].training
    after = out.state_dict()
    assert sorted(after) == sorted(before)
    for k, v in before.items():
        np.testing.assert_array_equal(np.asarray(after[k]), v)
    single = nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm1d(2, dtype=np.float64))
    assert isinstance(single, nn.SyncBatchNorm) and single.weight.numpy().dtype == np.float64


def test_sync_batch_norm_refuses_a_world_of_several_ranks(monkeypatch):
    import chainrule.distributed as dist

    monkeypatch.setattr(dist, "is_initialized", lambda: True)
    monkeypatch.setattr(dist, "world_size", lambda: 4)
    sbn = nn.SyncBatchNorm(2)
    x = cr.tensor(np.ones((3, 2), np.float32))
    with pytest.raises(NotImplementedError, match="4 ranks"):
        sbn(x)
    sbn.eval()
    assert sbn(x).shape == (3, 2)  # (evaluation uses the running statistics: no sync)


def test_norm_layers_take_bias_false():
    for layer in (nn.BatchNorm2d(3, bias=False), nn.InstanceNorm1d(3, affine=True, bias=False),
                  nn.GroupNorm(1, 3, bias=False), nn.SyncBatchNorm(3, bias=False)):
        assert layer.bias is None and layer.weight is not None
        assert "bias" not in layer.state_dict()
        assert "bias=False" in repr(layer)
    # (RMSNorm has no bias, and its repr has none, as PyTorch's)
    assert repr(nn.RMSNorm(3)) == "RMSNorm((3,), eps=None, elementwise_affine=True)"
    bn = nn.BatchNorm1d(3, bias=False)
    bn.weight._data[...] = 2.0
    bn.reset_parameters()
    np.testing.assert_array_equal(bn.weight.numpy(), np.ones(3))


# ------------------------------------------------------------------ adaptive softmax
def test_adaptive_log_softmax_is_a_distribution_and_its_loss_its_targets_log_probability():
    asm = nn.AdaptiveLogSoftmaxWithLoss(12, 20, [4, 9, 15], div_value=2.0, head_bias=True,
                                        dtype=np.float64, rng=0)
    assert list(asm.state_dict()) == [
        "head.weight", "head.bias", "tail.0.0.weight", "tail.0.1.weight", "tail.1.0.weight",
        "tail.1.1.weight", "tail.2.0.weight", "tail.2.1.weight"]
    # head: 4 shortlist classes + 3 clusters; tail i: 12 -> 12 // 2^(i+1) -> cluster size
    assert asm.head.weight.shape == (7, 12)
    assert [tuple(t[1].weight.shape) for t in asm.tail] == [(5, 6), (6, 3), (5, 1)]
    x = _x((9, 12), seed=3)
    y = np.array([0, 3, 4, 8, 9, 14, 15, 19, 2])  # every cluster, both ends of each
    full = asm.log_prob(x)
    assert full.shape == (9, 20) and np.allclose(np.exp(full.data).sum(1), 1.0)
    out, loss = asm(x, y)
    assert np.allclose(out.data, full.data[np.arange(9), y], atol=1e-14)
    assert np.isclose(loss.data, -out.data.mean())
    assert np.array_equal(asm.predict(x).data, full.data.argmax(1))
    # The gradient of the loss (head plus only the targets' tails) equals the gradient of
    # the same number taken from the full distribution.
    params = list(asm.parameters())
    asm(x, y).loss.backward()
    got = [np.array(p.grad.data) for p in params]
    asm.zero_grad()
    (-asm.log_prob(x)[np.arange(9), y].mean()).backward()
    for a, p in zip(got, params):
        assert np.allclose(a, p.grad.data, atol=1e-14)
    # one example: a 0-d target with a 1-d input gives a 0-d output
    one = asm(x[0], np.array(y[0]))
    assert one.output.shape == () and np.isclose(one.output.data, out.data[0])


def test_adaptive_log_softmax_gradients_to_second_order_and_only_used_tails():
    # The second tail's hidden width is 6 // 16 = 0: made, with PyTorch's warning.
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        asm = nn.AdaptiveLogSoftmaxWithLoss(6, 10, [3, 6], dtype=np.float64, rng=1)
    assert asm.tail[1][0].weight.shape == (0, 6)
    y = np.array([1, 4, 2])  # no class of the second cluster
    assert cr.gradcheck(lambda x: asm(x, y).output, _x((3, 6)).data, order=2)
    x = _x((3, 6))
    asm(x, y).loss.backward()
    assert asm.tail[1][0].weight.grad is None and asm.tail[0][0].weight.grad is not None


def test_adaptive_log_softmax_refuses_bad_cutoffs_and_targets():
    for cutoffs in ([5, 3], [0, 3], [20], [4, 4], []):
        with pytest.raises(ValueError, match="cutoffs should be"):
            nn.AdaptiveLogSoftmaxWithLoss(8, 20, cutoffs)
    asm = nn.AdaptiveLogSoftmaxWithLoss(8, 20, [5], rng=0)
    with pytest.raises(ValueError, match=r"Target values should be in \[0, 19\].*\[0, 25\]"):
        asm(_x((3, 8)), np.array([0, 25, 3]))
    with pytest.raises(ValueError, match="same size in the batch"):
        asm(_x((3, 8)), np.array([0, 1]))
    with pytest.raises(ValueError, match="0-d or 1-d target"):
        asm(_x((3, 8)), np.zeros((3, 1), int))


def test_module_dict_subclass_filled_by_add_module_or_attribute_holds_entries():
    # torchvision's DenseNet: a ModuleDict subclass adds its layers with add_module and
    # iterates self.items() in forward; each is an entry, in the order added.
    class Block(nn.ModuleDict):
        def __init__(self):
            super().__init__()
            self.add_module("l1", nn.Linear(3, 3))
            self.l2 = nn.Linear(3, 3)

        def forward(self, x):
            for _, layer in self.items():
                x = layer(x)
            return x

    b = Block()
    assert list(b.keys()) == ["l1", "l2"] and len(b) == 2 and b.l2 is b["l2"]
    assert list(b.state_dict()) == ["l1.weight", "l1.bias", "l2.weight", "l2.bias"]
    x = np.ones((1, 3))
    expected = b["l2"](b["l1"](x)).data
    np.testing.assert_array_equal(b(x).data, expected)
    del b.l1
    assert list(b.keys()) == ["l2"]


def test_module_dict_entry_set_to_none_or_a_non_module_as_pytorch():
    class Block(nn.ModuleDict):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 2)
            self.b = nn.Linear(2, 2)

    b = Block()
    b.b = None  # the entry stays, holding None, and drops out of the parameters
    assert list(b.keys()) == ["a", "b"] and b["b"] is None
    assert list(b.state_dict()) == ["a.weight", "a.bias"]
    with pytest.raises(TypeError, match="cannot assign 'int' as child module 'a'"):
        b.a = 5
    b.scale = 3  # a new plain attribute is an attribute
    assert b.scale == 3 and "scale" not in b
