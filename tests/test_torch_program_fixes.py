"""PyTorch programs that ran differently under chainrule.torch: module registration,
Variable, optimizers with frozen parameters, normal, dot, grad_fn names, and dtype,
shape and aliasing details. Expected values were checked with PyTorch 2.13."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.torch as torch
from chainrule.torch import nn
from chainrule.torch.autograd import Variable


# ------------------------------------------------------- 1. modules in plain lists
def test_modules_and_parameters_in_plain_containers_are_not_registered():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fcs = []
            for i in range(2):
                fc = nn.Linear(1, 1)
                setattr(self, f"fc{i}", fc)
                self.fcs.append(fc)
            self.extra = [nn.Linear(1, 1)]
            self.by_name = {"a": nn.Linear(1, 1)}
            self.pair = (nn.Parameter(torch.zeros(1)),)
            self.blocks = nn.ModuleList([nn.Linear(1, 1)])

    net = Net()
    assert list(net.state_dict()) == ["fc0.weight", "fc0.bias", "fc1.weight", "fc1.bias",
                                      "blocks.0.weight", "blocks.0.bias"]
    assert len(list(net.parameters())) == 6
    assert list(net._modules) == ["fc0", "fc1", "blocks"]
    assert len(list(net.modules())) == 5
    # Still front-end parameters (PyTorch's methods), only not registered.
    assert net.extra[0].weight.numel() == 1


def test_builtin_layers_keep_their_parameters():
    # (Layers with several sublayers or weights per layer; counts from PyTorch.)
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    assert (len(lstm.state_dict()), sum(p.numel() for p in lstm.parameters())) == (16, 736)
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2)
    assert (len(enc.state_dict()), sum(p.numel() for p in enc.parameters())) == (24, 1200)
    mha = nn.MultiheadAttention(8, 2, kdim=4, vdim=4)
    assert (len(mha.state_dict()), sum(p.numel() for p in mha.parameters())) == (6, 224)


def test_chainrule_nn_still_collects_lists():
    class Net(cr.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [cr.nn.Linear(1, 1, rng=0)]

    assert list(Net().state_dict()) == ["layers.0.weight", "layers.0.bias"]


# ------------------------------------------------------------------- 2. Variable
def test_variable_is_a_new_leaf_sharing_storage():
    t = torch.zeros(3)
    v = Variable(t, requires_grad=True)
    assert v is not t and not t.requires_grad and v.requires_grad and v.is_leaf
    t.add_(1)  # (t is not a leaf requiring grad)
    assert v.tolist() == [1.0, 1.0, 1.0]
    (v * 2).sum().backward()
    assert v.grad.tolist() == [2.0, 2.0, 2.0] and t.grad is None
    w = torch.ones(2, requires_grad=True)
    y = Variable(w * 2)
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    assert type(Variable(nn.Parameter(torch.ones(2)))) is torch.Tensor
    assert isinstance(t, Variable)
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
        Variable([1.0, 2.0])
    with pytest.warns(UserWarning, match="volatile was removed"):
        Variable(t, volatile=True)


# ------------------------------------------------- 3. optimizers, frozen parameters
# After one step with the embedding frozen and one after unfreezing it (PyTorch 2.13).
_FROZEN_THEN_UNFROZEN = {
    "SGD": ([0.2159, 0.1275, 0.4159, 0.3275], [0.6668, -0.2497]),
    "Adam": ([0.2, 0.1, 0.4, 0.3], [0.6996, -0.3004]),
    "AdamW": ([0.1999, 0.0998, 0.3997, 0.2996], [0.6985, -0.2995]),
    "RMSprop": ([1.1, 1.2, 1.3, 1.4], [1.591, 0.591]),
    "Adagrad": ([0.2, 0.1, 0.4, 0.3], [0.6673, -0.3327]),
    "Adadelta": ([0.1003, 0.1997, 0.3003, 0.3997], [0.5006, -0.4994]),
    "Adamax": ([0.2, 0.1, 0.4, 0.3], [0.6953, -0.3047]),
    "NAdam": ([0.2056, 0.0944, 0.4056, 0.2944], [0.6804, -0.3196]),
    "RAdam": ([0.2159, 0.1275, 0.4159, 0.3275], [0.6712, -0.2432]),
    "LBFGS": ([0.1008, 0.2093, 0.3008, 0.4093], [1.3227, 0.7351]),
}


@pytest.mark.parametrize("name", sorted(_FROZEN_THEN_UNFROZEN))
def test_optimizers_take_frozen_parameters(name):
    emb = nn.Embedding.from_pretrained(torch.tensor([[0.1, 0.2], [0.3, 0.4]]), freeze=True)
    w = nn.Parameter(torch.tensor([0.5, -0.5]))
    opt = getattr(torch.optim, name)([emb.weight, w], lr=0.1)
    x = torch.tensor([0, 1])

    def closure():
        opt.zero_grad()
        loss = ((emb(x) * w).sum() - 1) ** 2
        loss.backward()
        return loss

    opt.step(closure)
    assert emb.weight.flatten().tolist() == pytest.approx([0.1, 0.2, 0.3, 0.4])
    emb.weight.requires_grad_(True)
    opt.step(closure)
    weights, ws = _FROZEN_THEN_UNFROZEN[name]
    assert emb.weight.flatten().tolist() == pytest.approx(weights, abs=1e-4)
    assert w.tolist() == pytest.approx(ws, abs=1e-4)


def test_optimizers_refuse_non_leaf_tensors():
    w = torch.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="can't optimize a non-leaf tensor"):
        torch.optim.Adam([w * 2])


def test_compiled_step_sees_a_parameter_unfrozen():
    def run(compiled):
        emb = nn.Embedding.from_pretrained(torch.arange(6.).reshape(3, 2) / 10, freeze=True)
        w = nn.Parameter(torch.tensor([0.3, -0.2]))
        opt = torch.optim.Adam([emb.weight, w], lr=0.1)
        x = torch.tensor([0, 2])

        def step():
            opt.zero_grad()
            loss = ((emb(x) @ w - 1) ** 2).mean()
            loss.backward()
            opt.step()
            return loss

        f = cr.compile(step) if compiled else step
        for i in range(4):
            if i == 2:
                emb.weight.requires_grad_(True)
            f()
        return emb.weight.detach().numpy().copy(), w.detach().numpy().copy()

    eager, compiled = run(False), run(True)
    assert not np.allclose(eager[0], np.arange(6.).reshape(3, 2) / 10)
    np.testing.assert_allclose(compiled[0], eager[0], rtol=1e-6)
    np.testing.assert_allclose(compiled[1], eager[1], rtol=1e-6)


# --------------------------------------------------------------------- 4. normal
def test_normal_overloads():
    m, s = torch.zeros(2, 3), torch.ones(2, 3)
    assert torch.normal(m).shape == (2, 3)  # (std 1 by default)
    assert torch.normal(mean=torch.zeros(3)).shape == (3,)
    assert torch.normal(m, 2.0).shape == torch.normal(1.0, s).shape == (2, 3)
    assert torch.normal(torch.zeros(3), torch.ones(2, 3)).shape == (2, 3)
    assert torch.normal(torch.tensor(0.0)).shape == ()
    assert torch.normal(1.0, 2.0, (4, 2)).shape == (4, 2)
    assert torch.normal(1.0, 2.0, size=(4,), dtype=torch.float64).dtype == torch.float64
    assert torch.normal(1.0, 2.0, (4,), requires_grad=True).requires_grad
    # The dtype is mean's when it is a tensor, else std's.
    assert torch.normal(torch.zeros(3), torch.ones(3, dtype=torch.float64)).dtype == torch.float32
    assert torch.normal(0.0, torch.ones(3, dtype=torch.float64)).dtype == torch.float64
    assert torch.normal(torch.tensor([1.0, 5.0]), 0.0).tolist() == [1.0, 5.0]
    assert torch.normal(torch.zeros(2), out=torch.empty(2)).shape == (2,)
    with pytest.raises(TypeError):
        torch.normal(1.0, 2.0)
    with pytest.raises(TypeError):
        torch.normal(torch.zeros(3), 1.0, (3,))
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0, but found std -1"):
        torch.normal(torch.zeros(3), -1.0)
    with pytest.raises(RuntimeError, match="normal expects all elements of std >= 0.0"):
        torch.normal(torch.zeros(3), -torch.ones(3))
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        torch.normal(torch.zeros(3, dtype=torch.int64))


# ------------------------------------------------------------------ 5. dot, vdot
@pytest.mark.parametrize("name", ["dot", "vdot"])
def test_dot_takes_vectors_only(name):
    dot = getattr(torch, name)
    v = torch.arange(3.0)
    assert dot(v, torch.ones(3)).item() == 3.0 and getattr(v, name)(torch.ones(3)).item() == 3.0
    assert dot(torch.arange(3), torch.arange(3)).dtype == torch.int64
    a = torch.ones(2, 2)
    with pytest.raises(RuntimeError, match="1D tensors expected, but got 2D and 2D tensors"):
        dot(a, a)
    with pytest.raises(RuntimeError, match="1D tensors expected, but got 2D and 2D tensors"):
        getattr(a, name)(a)
    with pytest.raises(RuntimeError, match="1D tensors expected, but got 0D and 0D tensors"):
        dot(torch.tensor(2.0), torch.tensor(3.0))
    with pytest.raises(RuntimeError, match="inconsistent tensor size"):
        dot(v, torch.ones(2))
    with pytest.raises(RuntimeError, match="same dtype, but found Float and Double"):
        dot(v, torch.ones(3, dtype=torch.float64))
    with pytest.raises(TypeError, match="must be Tensor, not float"):
        dot(v, 2.0)


# ------------------------------------------------------------------- 6. grad_fn
def test_grad_fn_names_and_classes():
    x = torch.rand(3, 4, requires_grad=True)
    m = x.mean()
    assert repr(m.grad_fn).startswith("<MeanBackward0 object at")
    assert "grad_fn=<MeanBackward0>" in repr(m)
    assert type(m.grad_fn).__name__ == "MeanBackward0" == m.grad_fn.name()
    assert m.grad_fn.next_functions[0][0].variable is x
    assert type(x.mean(0).grad_fn).__name__ == "MeanBackward1"
    assert type(torch.mean(x, dtype=torch.float64).grad_fn).__name__ == "MeanBackward0"
    assert type((x * 2).grad_fn).__name__ == "MulBackward0"
    assert type(x.sum().grad_fn).__name__ == "SumBackward0"
    assert type(x.sum(0).grad_fn).__name__ == "SumBackward1"
    assert type(x.var(0).grad_fn).__name__ == "VarBackward0"
    assert type(x.std().grad_fn).__name__ == "StdBackward0"
    assert type(torch.nn.functional.gelu(x).grad_fn).__name__ == "GeluBackward0"
    assert type((x * 2).grad_fn) is type((x * 3).grad_fn)
    m2 = x.mean(0)
    m2.add_(1)  # (an in-place change becomes the grad_fn)
    assert m2.grad_fn.name() == "AddBackward0"


# -------------------------------------------------------------- 7. fuzzer groups
def test_in_place_shifts():
    x = torch.tensor([1, 2, 3])
    y = x
    x <<= 1
    assert y.tolist() == [2, 4, 6] and x is y
    x >>= torch.tensor(1)
    assert y.tolist() == [1, 2, 3] and x is y


def test_max_min_dim_of_a_0d_tensor_has_array_indices():
    r = torch.max(torch.tensor(2.0), dim=0)
    assert np.asarray(r.indices) == 0 and r.indices.numpy().shape == ()
    assert torch.min(torch.tensor(2.0), 0).indices.item() == 0


def test_qr_mode_r_returns_empty_q():
    A = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    Q, R = torch.linalg.qr(A, mode="r")
    assert Q.shape == (0,) and Q.dtype == torch.float32
    np.testing.assert_allclose(R.numpy(), [[-5.9161, -7.4374], [0.0, 0.8281]], atol=1e-4)
    assert torch.linalg.qr(A).Q.shape == (3, 2)


def test_unique_consecutive_inverse_has_the_input_shape():
    x = torch.tensor([1, 1, 2, 2, 3]).reshape(1, 5)
    values, inverse = torch.unique_consecutive(x, return_inverse=True)
    assert values.tolist() == [1, 2, 3] and inverse.tolist() == [[0, 0, 1, 1, 2]]
    _, inverse, counts = torch.unique_consecutive(torch.tensor(3), return_inverse=True,
                                                  return_counts=True)
    assert inverse.shape == () and counts.tolist() == [1]
    _, inverse = torch.unique_consecutive(torch.tensor([[1, 2], [1, 2], [3, 4]]),
                                          return_inverse=True, dim=0)
    assert inverse.tolist() == [0, 0, 1]


def test_empty_dim_tuple():
    x = torch.tensor([[1.0, 0.0], [3.0, 4.0]])
    # all/any: dim=() reduces nothing; count_nonzero and norm: every dimension.
    assert x.all(dim=()).tolist() == [[True, False], [True, True]]
    assert torch.any(x, dim=(), keepdim=True).tolist() == [[True, False], [True, True]]
    assert torch.count_nonzero(x, dim=()).item() == 3
    assert x.norm(dim=()).item() == pytest.approx(5.0990, abs=1e-4)
    assert torch.norm(x, dim=(), keepdim=True).shape == (1, 1)
    assert torch.linalg.vector_norm(x, dim=()).shape == ()
    assert x.sum(dim=()).item() == 8.0
    assert torch.cumsum(torch.tensor(3.0), 0).shape == ()
    assert torch.tensor(3.0).cumsum(-1, dtype=torch.float64).shape == ()


def test_all_any_of_uint8_give_uint8():
    u = torch.tensor([3, 200], dtype=torch.uint8)
    assert torch.all(u).dtype == torch.uint8 and torch.all(u).item() == 1
    assert u.any(0, keepdim=True).dtype == torch.uint8
    assert torch.all(torch.tensor([1, 0])).dtype == torch.bool


def test_no_warnings_from_variable_without_volatile():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Variable(torch.zeros(1))


def test_results_on_0d_inputs_are_new_tensors():
    x = torch.tensor(5.0)
    torch.msort(x).add_(1)
    torch.median(x, dim=0).values.add_(1)
    torch.nanmedian(x, 0).values.add_(1)
    torch.cummax(x, 0).values.add_(1)
    torch.cummin(x, 0).values.add_(1)
    torch.logcumsumexp(x, 0).add_(1)
    torch.cumprod(x, 0).add_(1)
    assert x.item() == 5.0
    i = torch.tensor([1, 2])
    torch.nan_to_num(i).add_(1)
    assert i.tolist() == [1, 2]
    y = torch.tensor(2.0, requires_grad=True)
    torch.cummax(y * 3, 0).values.backward()
    assert y.grad.item() == 3.0


def test_module_list_holds_none_as_a_placeholder():
    nn = torch.nn
    layers = nn.ModuleList([nn.Linear(2, 2), None, nn.Identity()])
    layers.append(None)
    assert len(layers) == 4 and layers[1] is None and layers[3] is None
    assert list(layers.state_dict()) == ["0.weight", "0.bias"]
    assert len(list(layers.parameters())) == 2


def test_python_m_chainrule_torch_runs_a_module_or_code(tmp_path):
    import subprocess
    import sys

    (tmp_path / "probe.py").write_text(
        "import sys, torch\nprint(torch.__name__, torch.ones(2).sum().item(), sys.argv[1:])\n")
    for args in (["-m", "probe", "x"], ["-c", "import probe", "x"]):
        out = subprocess.run([sys.executable, "-m", "chainrule.torch", *args], cwd=tmp_path,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert out.stdout.startswith("chainrule.torch 2.0")



def test_functional_call_and_the_pytree_helpers_libraries_import():
    from chainrule.torch.func import functional_call
    from chainrule.torch.utils import _pytree as pytree

    model = torch.nn.Linear(2, 1)
    w = torch.ones(1, 2, requires_grad=True)
    out = functional_call(model, {"weight": w, "bias": torch.zeros(1)},
                          (torch.tensor([[1.0, 2.0]]),))
    assert out.item() == 3.0 and isinstance(model.weight, torch.nn.Parameter)
    out.sum().backward()
    assert w.grad.tolist() == [[1.0, 2.0]] and model.weight.grad is None

    leaves, spec = pytree.tree_flatten({"a": [1, 2], "b": (3,)})
    assert leaves == [1, 2, 3] and spec.num_leaves == 3
    assert pytree.tree_unflatten([x * 2 for x in leaves], spec) == {"a": [2, 4], "b": (6,)}
    assert pytree.tree_map(lambda a, b: a + b, {"x": (1, 2)}, {"x": (10, 20)}) == {"x": (11, 22)}
    assert pytree.tree_leaves([1, (2, 3)], is_leaf=lambda t: isinstance(t, tuple)) == [1, (2, 3)]


def test_loss_gradients_reach_soft_target_weights_ranking_targets_and_poisson_targets():
    # PyTorch differentiates these (they are compositions there); they were constants here
    import chainrule.torch as torch
    import chainrule.torch.nn.functional as F

    rng = np.random.default_rng(0)
    x = torch.tensor(rng.standard_normal((4, 3)))
    soft = torch.softmax(torch.tensor(rng.standard_normal((4, 3))), 1)
    w = torch.tensor(rng.uniform(0.5, 2.0, 3), requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda w: F.cross_entropy(x, soft, weight=w, label_smoothing=0.1), (w,))
    F.cross_entropy(x, soft, weight=w).backward()
    want = -(soft.numpy() * torch.log_softmax(x, 1).numpy()).sum(0) / 4
    np.testing.assert_allclose(w.grad.numpy(), want, rtol=1e-13)

    a, b = torch.tensor([0.3, -1.0, 2.0]), torch.tensor([0.1, 0.5, -0.4])
    y = torch.tensor([0.7, -0.7, -0.9], requires_grad=True)  # away from the hinge
    assert torch.autograd.gradcheck(lambda y: F.margin_ranking_loss(a, b, y, margin=0.5), (y,))
    F.margin_ranking_loss(a, b, y, margin=0.5, reduction="sum").backward()
    active = (-y.detach().numpy() * (a - b).numpy() + 0.5) > 0
    np.testing.assert_allclose(y.grad.numpy(), np.where(active, -(a - b).numpy(), 0.0))

    p = torch.tensor(rng.uniform(0.5, 3.0, 5))
    t = torch.tensor([0.5, 1.5, 2.0, 4.0, 6.0], requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda t: F.poisson_nll_loss(p, t, log_input=False, full=True), (t,))


def test_real_is_an_attribute_shuffles_copy_and_reductions_cast_first():
    import chainrule.torch as torch
    import chainrule.torch.nn as nn
    import chainrule.torch.nn.functional as F

    x = torch.randn(3, 4)
    assert x.real is x  # an attribute, the tensor itself (as PyTorch's)
    x4 = torch.randn(2, 3, 2, 2)
    for module in (nn.PixelShuffle(1), nn.PixelUnshuffle(1), nn.ChannelShuffle(1),
                   nn.ChannelShuffle(3)):
        out = module(x4)
        before = x4.clone()
        out.add_(1.0)  # a new tensor: the input keeps its values
        assert torch.equal(x4, before), module
    assert torch.equal(F.feature_alpha_dropout(torch.ones(9), 0.5, False), torch.ones(9))
    v = torch.tensor([1.7, float("nan"), -0.6, 0.9], dtype=torch.float32)
    # the input is cast before the sum: integers truncated one by one, then summed
    s = torch.nansum(torch.tensor([1.7, -0.6, 0.9]), dtype=torch.int32)
    assert s.dtype == torch.int32 and int(s) == 1
    wide = torch.nansum(v, dtype=torch.float64)
    assert wide.dtype == torch.float64
    assert float(wide) == float(np.float64(np.float32(1.7)) + np.float64(np.float32(-0.6))
                                + np.float64(np.float32(0.9)))


def test_layers_built_inside_layers_are_front_end_classes():
    # A loop `if isinstance(m, nn.Dropout): m.p = 0` must reach a Transformer's dropouts
    # (pytorch/examples' word_language_model switched dropout off this way).
    import chainrule.torch as torch
    import chainrule.torch.nn as nn

    t = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                       dim_feedforward=16)
    kinds = {type(m).__name__: isinstance(m, getattr(nn, type(m).__name__, ()))
             for m in t.modules()}
    assert all(kinds.values()), kinds
    assert sum(isinstance(m, nn.Dropout) for m in t.modules()) == 7
    assert sum(isinstance(m, nn.MultiheadAttention) for m in t.modules()) == 3
    for m in t.modules():
        if isinstance(m, nn.Dropout):
            m.p = 0.0
        if isinstance(m, nn.MultiheadAttention):
            m.dropout = 0.0
    x = torch.randn(5, 3, 8)
    t.train()
    a = t.encoder(x)
    t.eval()
    assert torch.equal(a, t.encoder(x))
    assert len(list(t.parameters())) == len(t.state_dict())
    from chainrule.torch.nn.modules.linear import NonDynamicallyQuantizableLinear
    assert isinstance(NonDynamicallyQuantizableLinear(3, 2), nn.Linear)


def test_multiprocessing_is_importable_and_sharing_memory_is_refused():
    import chainrule.torch as torch
    import chainrule.torch.multiprocessing as mp

    mp.set_sharing_strategy("file_system")
    assert mp.get_sharing_strategy() == "file_system"
    with pytest.raises(NotImplementedError, match="cannot be shared between processes"):
        torch.nn.Linear(2, 2).share_memory()


def test_sparse_products_use_the_nonzeros_and_agree_with_the_dense_product():
    import chainrule.torch as torch

    rng = np.random.default_rng(3)
    a = (rng.random((40, 30)) < 0.03) * rng.standard_normal((40, 30))
    d = torch.tensor(rng.standard_normal((30, 5)), requires_grad=True)
    made = (torch.tensor(a).to_sparse(),
            torch.sparse_coo_tensor(np.stack(np.nonzero(a)), a[np.nonzero(a)], (40, 30)))
    for s in made:
        assert s._coo is not None  # (the coordinates are kept: the sparse path runs)
        d.grad = None
        y = torch.spmm(s, d)
        (y * y).sum().backward()
        want = a @ d.detach().numpy()
        np.testing.assert_allclose(y.detach().numpy(), want, rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(d.grad.numpy(), a.T @ (2 * want), rtol=1e-13, atol=1e-14)
    assert torch.autograd.gradcheck(lambda d: torch.sparse.mm(made[0], d), (d,))
    s = made[0]
    s.mul_(2.0)  # a write: the coordinates' values are stale, the dense product is used
    np.testing.assert_allclose(torch.sparse.mm(s, d).detach().numpy(),
                               2 * a @ d.detach().numpy(), rtol=1e-13, atol=1e-14)
    w = torch.tensor(a, requires_grad=True).to_sparse()  # differentiated: dense, with grad
    torch.sparse.mm(w, d).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), np.ones((40, 5)) @ d.detach().numpy().T)


def test_names_torchdiffeq_and_llms_from_scratch_reach_for():
    import chainrule.torch as torch
    import chainrule.torch.nn as nn

    x = torch.arange(12.0).reshape(3, 4).requires_grad_()
    assert float(torch.as_strided(x, (), ())) == 0.0
    assert torch.as_strided(x, (2, 2), (1, 2), 1).tolist() == [[1.0, 3.0], [2.0, 4.0]]
    x.as_strided((3, 3), (1, 1)).sum().backward()  # overlapping windows: gradients add
    assert x.grad.tolist() == [[1, 2, 3, 2], [1, 0, 0, 0], [0, 0, 0, 0]]
    m = nn.Linear(4, 3)
    nn.init.constant_(m.bias, val=0.5)
    assert m.bias.tolist() == [0.5] * 3
    draws = []
    for _ in range(2):
        nn.init.normal_(m.weight, generator=torch.Generator().manual_seed(7))
        draws.append(m.weight.clone())
    assert torch.equal(*draws)
    assert nn.init._calculate_fan_in_and_fan_out(torch.empty(4, 3)) == (3, 4)
    with pytest.raises(torch._C._LinAlgError):
        torch.linalg.solve(torch.zeros(2, 2), torch.ones(2))

    class Scale(torch.autograd.Function):
        @staticmethod
        def forward(ctx, v):
            ctx.options = {"k": 2}
            return v * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    y = Scale.apply(torch.ones(2, requires_grad=True))
    assert y.grad_fn.options == {"k": 2} and type(y.grad_fn).__name__ == "ScaleBackward"

    def marked(f):
        f.marks = ["skip"]
        return f

    @torch.no_grad()
    @marked
    def g():
        """doc"""

    assert g.marks == ["skip"] and g.__wrapped__ is not None and g.__doc__ == "doc"


def test_distributed_sampler_shares_as_pytorch():
    from chainrule.torch.utils.data.distributed import DistributedSampler

    import chainrule.torch as torch
    from chainrule.torch.utils.data import TensorDataset

    ds = TensorDataset(torch.arange(10.0))
    shares = [list(DistributedSampler(ds, num_replicas=3, rank=r, shuffle=False))
              for r in range(3)]
    assert shares == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]  # PyTorch's (padded)
    assert [list(DistributedSampler(ds, 3, r, shuffle=False, drop_last=True))
            for r in range(3)] == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    shuffled = [DistributedSampler(ds, 3, r, seed=1) for r in range(3)]
    for s in shuffled:
        s.set_epoch(2)
    drawn = sorted(i for s in shuffled for i in s)
    assert set(drawn) == set(range(10)) and len(drawn) == 12
    with pytest.raises(RuntimeError, match="process group"):
        DistributedSampler(ds)


def test_custom_function_with_several_outputs():
    # torchdiffeq's odeint_event reroutes gradients through one
    import chainrule.torch as torch

    class Two(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * y, x + y, 7  # (a non-tensor output passes through)

        @staticmethod
        def backward(ctx, g_prod, g_sum, _):
            x, y = ctx.saved_tensors
            return g_prod * y + g_sum, g_prod * x + g_sum

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = torch.tensor([3.0, -1.0], requires_grad=True)
    p, s, seven = Two.apply(x, y)
    assert seven == 7
    (2 * p.sum() + 3 * s.sum()).backward()
    assert x.grad.tolist() == [2 * 3.0 + 3, 2 * -1.0 + 3]
    assert y.grad.tolist() == [2 * 1.0 + 3, 2 * 2.0 + 3]
    only = Two.apply(x, y)[1]  # one output used: the other's cotangent is zeros
    x.grad = None
    only.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    assert torch.autograd.gradcheck(lambda a, b: Two.apply(a, b)[0] + 2 * Two.apply(a, b)[1],
                                    (x.detach().double().requires_grad_(),
                                     y.detach().double().requires_grad_()))


def test_backward_takes_pytorchs_gradient_and_inputs_arguments():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    w = torch.tensor([3.0, 4.0], requires_grad=True)
    (x * 2).backward(gradient=torch.tensor([1.0, 0.5]))
    assert x.grad.tolist() == [2.0, 1.0]
    # inputs=: accumulated into those tensors' .grad only (PyTorch 2.13: x.grad [5, 5],
    # w.grad None)
    (x * w).sum().backward(inputs=[x])
    assert x.grad.tolist() == [5.0, 5.0] and w.grad is None
    # a non-leaf among the inputs gets its .grad too; the leaves behind it are untouched
    h = x * 3
    (h * h).sum().backward(inputs=h)
    assert h.grad.tolist() == [6.0, 12.0] and x.grad.tolist() == [5.0, 5.0]
    # torch.autograd.backward with inputs=, and a higher derivative through it
    v = torch.tensor([2.0], requires_grad=True)
    (g,) = torch.autograd.grad((v**3).sum(), v, create_graph=True)
    torch.autograd.backward(g, inputs=[v])
    assert v.grad.tolist() == [12.0]
    with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
        torch.autograd.backward(x * 2)
    with pytest.raises(RuntimeError, match="inputs= is an empty sequence"):
        (x * 2).sum().backward(inputs=[])
    with pytest.raises(RuntimeError, match="does not require grad"):
        (x * torch.ones(2)).sum().backward(inputs=[torch.ones(2)])
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
        torch.ones(2).mul(2).backward(torch.ones(2))
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).reshape(1, 2).backward(torch.ones(2))
    # into an existing .grad in place (a reference to it sees the sum), hooks run
    before = x.grad
    seen = []
    x.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.tolist()))
    (x * 3).sum().backward(inputs=[x])
    assert x.grad is before and before.tolist() == [8.0, 8.0] and seen == [[8.0, 8.0]]


def test_no_numpy_floating_point_warnings_from_pytorch_programs():
    # PyTorch prints nothing for log(0) or 0/0; chainrule's own namespace keeps NumPy's
    # warnings (at the user's line), and an "error" filter still raises. Run as a
    # program: warnings are dropped where they are shown, which pytest's capture bypasses.
    program = textwrap.dedent("""
        import warnings
        import numpy as np
        import chainrule as cr
        import chainrule.torch as torch
        x = torch.tensor([0.0, 1.0], requires_grad=True)
        y = torch.log(x).sum() + (x / torch.zeros(2)).sum() + torch.sqrt(x - 2).sum()
        y.backward()
        torch.exp(torch.tensor([1000.0]))
        torch.nn.functional.log_softmax(torch.tensor([[-np.inf, -np.inf]]), dim=1)
        print("grad", x.grad.tolist())
        cr.log(cr.tensor([0.0]))  # (chainrule's namespace: NumPy's warning)
        warnings.simplefilter("error")
        try:
            torch.log(torch.tensor([0.0]))
        except RuntimeWarning as e:
            print("raised:", e)
    """)
    run = subprocess.run([sys.executable, "-c", program],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "grad [nan, nan]" in run.stdout and "raised: divide by zero" in run.stdout
    shown = [line for line in run.stderr.splitlines() if "encountered" in line]
    assert len(shown) == 1 and "divide by zero encountered in log" in shown[0], run.stderr
    assert '<string>:12' in shown[0]  # the cr.log line


def test_load_reads_a_saved_file_whose_header_length_starts_with_the_pickle_byte(tmp_path):
    # A safetensors header 0x?80 bytes long starts the file with 0x80, as a pickle does;
    # the JSON header at byte 8 tells them apart. (The key's length sets the header's.)
    path = tmp_path / "state.pt"
    for n in range(1, 300):
        state = {"w" * n: torch.tensor(np.array([1.5, -2.0]))}
        torch.save(state, path)
        if path.read_bytes()[:1] == b"\x80":
            break
    assert path.read_bytes()[:1] == b"\x80"
    assert torch.load(path)["w" * n].tolist() == [1.5, -2.0]
    import pickle
    pickled = tmp_path / "pickled.pt"
    pickled.write_bytes(pickle.dumps({"a": 1}, protocol=5))
    with pytest.raises(Exception, match="this is a pickle file"):
        torch.load(pickled)


def test_version_is_the_followed_pytorch_release_and_compares_as_a_version():
    v = torch.__version__
    assert v.startswith("2.13.0+chainrule.") and v == torch.version.__version__
    assert v >= "1.10" and v >= "2.9" and v > "2.12.1" and v < "2.14" and v >= (2, 0)
    assert not v < "2.13" and v <= "2.13.0" and torch.version.cuda is None
    assert isinstance(v, str) and v.split("+")[0] == "2.13.0"


def test_an_optimizer_loads_state_saved_with_other_hyperparameters_and_takes_them():
    # (resuming: the optimizer is rebuilt with defaults, then loaded; PyTorch 2.13 gives
    # lr 0.1, momentum 0.9 and p = [0.71, 0.71] after the next step)
    p = torch.nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    p.sum().backward()
    opt.step()
    resumed = torch.optim.SGD([p], lr=0.5)
    resumed.load_state_dict(opt.state_dict())
    assert resumed.param_groups[0]["lr"] == 0.1 and resumed.param_groups[0]["momentum"] == 0.9
    resumed.step()
    np.testing.assert_allclose(p.detach().numpy(), [0.71, 0.71], rtol=1e-6)


def test_tensor_of_a_list_keeps_the_dtypes_of_numpy_scalars_and_tensors_in_it():
    # dtypes PyTorch 2.13 gives
    a = torch.tensor(np.array([[0.5, -1.0], [3.0, 1.5]]))
    cases = [([np.float64(1.0), 2.0], torch.float64), ([a[0, 0], a[1, 1]], torch.float64),
             ([np.float32(1.0), 2.0], torch.float32), ([np.int32(1), 2], torch.int64),
             ([np.int32(1), 2.5], torch.float32), ([a[0, 0], 2], torch.float64),
             ([[1, 2], [3, 4]], torch.int64), ([1.0, 2], torch.float32),
             ([True, 2], torch.int64), ([np.float16(1), 2.0], torch.float32),
             ([[np.float64(1.0), 2.0], [3.0, 4.0]], torch.float64),
             ([(1, 2.0), (3, 4)], torch.float32)]
    for data, dtype in cases:
        assert torch.tensor(data).dtype == dtype, (data, dtype)
    assert torch.tensor([a[0, 0], a[1, 1]]).tolist() == [0.5, 1.5]


def test_small_names_programs_reach_for():
    assert torch.arange(end=4).tolist() == [0, 1, 2, 3]
    assert torch.arange(2, 5).tolist() == [2, 3, 4] and torch.arange(3).dtype == torch.int64
    assert torch.compiler.is_compiling() is False

    class Constant(torch.optim.lr_scheduler._LRScheduler):  # PyTorch's former base name
        def get_lr(self):
            return [g["lr"] for g in self.optimizer.param_groups]

    p = torch.nn.Parameter(torch.ones(2))
    sched = Constant(torch.optim.SGD([p], lr=0.1))
    sched.step()
    assert sched.get_last_lr() == [0.1]
    x = torch.ones(2, requires_grad=True)
    (g,) = torch.autograd.grad((x * x).sum(), x, only_inputs=True, is_grads_batched=False)
    assert g.tolist() == [2.0, 2.0]
    # is_grads_batched: the rows of grad_outputs are separate vector-Jacobian products
    w = torch.tensor([[0.2, -0.1, 0.4], [0.5, 0.3, -0.2]], requires_grad=True)
    v = torch.tensor([0.3, -0.7, 1.2], requires_grad=True)
    y = torch.tanh(w @ v)
    jv, jw = torch.autograd.grad(y, (v, w), torch.eye(2), is_grads_batched=True)
    d = 1 - y.detach().numpy() ** 2
    assert np.allclose(jv.numpy(), d[:, None] * w.detach().numpy())  # the Jacobian's rows
    assert jw.shape == (2, 2, 3) and np.allclose(jw.numpy()[1, 1], d[1] * v.detach().numpy())
    assert np.allclose(jw.numpy()[1, 0], 0)
    (g,) = torch.autograd.grad((v ** 3).sum(), v, create_graph=True)
    (h,) = torch.autograd.grad(g, v, torch.eye(3), is_grads_batched=True)
    assert np.allclose(h.numpy(), np.diag(6 * v.detach().numpy()))  # the Hessian


def test_tensor_methods_take_pytorchs_keyword_names():
    x = torch.tensor(np.arange(6.0).reshape(2, 3))
    assert x.view(size=(3, 2)).shape == (3, 2) and x.reshape(shape=[-1]).shape == (6,)
    assert torch.ones(2, 3, 4).permute(dims=(2, 0, 1)).shape == (4, 2, 3)
    assert torch.ones(3).expand(size=(2, 3)).shape == (2, 3)
    assert x.repeat(repeats=(2, 1)).shape == (4, 3) and x.tile(dims=(2, 1)).shape == (4, 3)
    assert torch.tile(x, dims=(1, 2)).shape == (2, 6)
    assert x.flip(dims=(0,)).tolist() == [[3.0, 4.0, 5.0], [0.0, 1.0, 2.0]]
    assert [p.shape for p in x.split(split_size=2, dim=1)] == [(2, 2), (2, 1)]
    assert x.clone(memory_format=torch.contiguous_format).tolist() == x.tolist()
    s = x.float().softmax(dim=1, dtype=torch.float64)
    assert s.dtype == torch.float64
    e = np.exp(x.numpy())
    np.testing.assert_allclose(s.numpy(), e / e.sum(1, keepdims=True))
    assert x.float().log_softmax(1, torch.float64).dtype == torch.float64


def test_module_and_optimizer_arguments_of_recent_pytorch():
    m = torch.nn.Linear(3, 2)
    m.load_state_dict({"weight": torch.ones(2, 3), "bias": torch.zeros(2)}, assign=True)
    assert m.weight.sum().item() == 6.0 and isinstance(m.weight, torch.nn.Parameter)
    assert torch.nn.Linear(3, 2).half().weight.dtype == torch.float16
    assert torch.min(torch.zeros(2), other=torch.ones(2)).tolist() == [0.0, 0.0]
    assert torch.max(torch.zeros(2), other=torch.ones(2)).tolist() == [1.0, 1.0]
    # Adam(decoupled_weight_decay=True) is AdamW's update (PyTorch 2.13: [0.6751012216400697,
    # -1.6443686835605893] after three steps, as AdamW)
    runs = []
    for make in (lambda p: torch.optim.Adam([p], lr=0.1, weight_decay=0.1,
                                            decoupled_weight_decay=True),
                 lambda p: torch.optim.AdamW([p], lr=0.1, weight_decay=0.1)):
        p = torch.nn.Parameter(torch.tensor(np.array([1.0, -2.0])))
        opt = make(p)
        for _ in range(3):
            opt.zero_grad()
            (p * p).sum().backward()
            opt.step()
        runs.append(p.detach().numpy())
        assert opt.param_groups[0]["decoupled_weight_decay"] is True
    np.testing.assert_array_equal(runs[0], runs[1])
    np.testing.assert_allclose(runs[0], [0.6751012216400697, -1.6443686835605893], rtol=1e-14)


def test_reset_parameters_draws_a_new_layers_values():
    torch.manual_seed(0)
    layers = [torch.nn.Linear(16, 8), torch.nn.Conv2d(3, 4, 3), torch.nn.Bilinear(4, 5, 3),
              torch.nn.Embedding(10, 4, padding_idx=2), torch.nn.LSTM(4, 6),
              torch.nn.EmbeddingBag(10, 4, padding_idx=1)]
    for layer in layers:
        before = [p.detach().numpy().copy() for p in layer.parameters()]
        layer.reset_parameters()
        after = [p.detach().numpy() for p in layer.parameters()]
        assert all(not np.array_equal(a, b) for a, b in zip(before, after)), layer
    lin, conv = layers[0], layers[1]
    assert np.abs(lin.weight.detach().numpy()).max() <= 1 / 4  # U(+-1/sqrt(fan_in))
    assert np.abs(conv.bias.detach().numpy()).max() <= 1 / np.sqrt(27)
    assert layers[3].weight.detach().numpy()[2].tolist() == [0.0] * 4
    assert np.abs(layers[4].weight_hh_l0.detach().numpy()).max() <= 1 / np.sqrt(6)
    for norm in (torch.nn.LayerNorm(3), torch.nn.GroupNorm(1, 3), torch.nn.BatchNorm1d(3)):
        with torch.no_grad():
            norm.weight.mul_(3)
            norm.bias.add_(1)
        norm.reset_parameters()
        assert norm.weight.tolist() == [1.0] * 3 and norm.bias.tolist() == [0.0] * 3


# ------------------------------------------- keyword names, containers, saving, grads
def test_modules_and_linear_take_pytorchs_input_keyword():
    lin = nn.Linear(3, 2)
    x = torch.randn(4, 3)
    np.testing.assert_array_equal(lin(input=x).detach().numpy(), lin(x).detach().numpy())
    out = torch.nn.functional.linear(input=x, weight=lin.weight, bias=lin.bias)
    np.testing.assert_array_equal(out.detach().numpy(), lin(x).detach().numpy())
    seq = nn.Sequential(nn.ReLU(), nn.Flatten())
    assert tuple(seq(input=torch.ones(2, 3, 4)).shape) == (2, 12)
    bil = nn.Bilinear(2, 2, 1)
    assert tuple(bil(input1=torch.ones(1, 2), input2=torch.ones(1, 2)).shape) == (1, 1)
    assert nn.RMSNorm(3)(x=torch.ones(1, 3)).shape == (1, 3)  # (PyTorch names this x)
    lazy = nn.LazyConvTranspose1d(2, 3, stride=2)
    assert tuple(lazy(torch.ones(1, 4, 5), output_size=[12]).shape) == (1, 2, 12)


def test_l1_loss_weight_and_threshold_keywords():
    F = torch.nn.functional
    a, b = torch.tensor([1.0, -2.0, 3.0]), torch.tensor([0.0, 0.0, 0.0])
    w = torch.tensor([1.0, 0.5, 2.0])
    assert float(F.l1_loss(a, b, weight=w, reduction="sum")) == pytest.approx(8.0)
    # (PyTorch's weighted mean: over the weights' total, 8 / 3.5)
    assert float(F.l1_loss(a, b, weight=w)) == pytest.approx(8.0 / 3.5)
    assert float(F.mse_loss(a, b, weight=w)) == pytest.approx(21.0 / 3.5)
    t = torch.tensor([0.5, 2.0])
    F.threshold_(t, threshold=1.0, value=-1.0)
    np.testing.assert_array_equal(t.numpy(), [-1.0, 2.0])


def test_functional_call_and_parameters_set_directly_on_a_sequential():
    s = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Linear(2, 1)))
    zeros = {k: v * 0 for k, v in s.named_parameters()}
    out = torch.func.functional_call(s, zeros, (torch.ones(1, 2),))
    assert float(out) == 0.0
    assert float(s(torch.ones(1, 2)).abs()) > 0  # put back afterwards
    s.register_parameter("extra", nn.Parameter(torch.zeros(2)))
    assert [n for n, _ in s.named_parameters()] == ["extra", "0.weight", "0.bias",
                                                    "1.0.weight", "1.0.bias"]
    assert "extra" in s.state_dict()


def test_saved_parameters_and_tensors_requiring_grad_come_back_as_saved(tmp_path):
    m = nn.Linear(2, 2)
    frozen = nn.Parameter(torch.ones(2), requires_grad=False)
    path = tmp_path / "p.pt"
    torch.save({"p": m.weight, "q": torch.ones(2, requires_grad=True), "f": frozen,
                "plain": torch.ones(2)}, path)
    got = torch.load(path)
    assert type(got["p"]) is nn.Parameter and got["p"].requires_grad
    assert type(got["q"]) is torch.Tensor and got["q"].requires_grad and got["q"].is_leaf
    assert type(got["f"]) is nn.Parameter and not got["f"].requires_grad
    assert not got["plain"].requires_grad
    path2 = tmp_path / "named.pt"
    torch.save(dict(m.named_parameters()), path2)  # (a plain safetensors file)
    assert all(type(v) is nn.Parameter for v in torch.load(path2).values())
    torch.save(m.state_dict(), path2)
    assert not any(v.requires_grad for v in torch.load(path2).values())


def test_retain_grad_under_backward_inputs_and_materialized_grads():
    a = torch.ones(2, requires_grad=True)
    y = a * 2
    y.retain_grad()
    (y * 3).sum().backward(inputs=[a])
    np.testing.assert_array_equal(y.grad.numpy(), [3.0, 3.0])  # as PyTorch 2.13
    a2, c = torch.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    y2 = a2 * 2
    y2.retain_grad()
    g = torch.autograd.grad(y2.sum(), [a2, c], allow_unused=True, materialize_grads=True)
    np.testing.assert_array_equal(y2.grad.numpy(), [1.0, 1.0])  # (PyTorch 2.13 fills it)
    # ... but neither a retained tensor off the path to the inputs, nor an input twice:
    b = torch.ones(2, requires_grad=True)
    u, v = b * 2, b * 3
    u.retain_grad()
    v.retain_grad()
    w = (u * v).sum()
    torch.autograd.backward(w, inputs=[u])
    assert v.grad is None
    np.testing.assert_array_equal(u.grad.numpy(), [3.0, 3.0])
    assert not g[1].requires_grad and float(g[1].abs().sum()) == 0.0


def test_second_derivatives_through_linear_with_front_end_grad_outputs():
    # The gradient-penalty pattern: grad_outputs=ones_like(out), create_graph=True.
    torch.manual_seed(0)
    lin = nn.Linear(3, 2).double()
    x = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    out = torch.tanh(lin(x))
    (g,) = torch.autograd.grad(out, x, grad_outputs=torch.ones_like(out), create_graph=True)
    (g.pow(2).sum()).backward()
    w, b, xv = lin.weight.detach().numpy(), lin.bias.detach().numpy(), x.detach().numpy()

    def penalty(wv):
        t = np.tanh(xv @ wv.T + b)
        return (((1 - t ** 2) @ wv) ** 2).sum()

    eps, num = 1e-6, np.zeros_like(w)
    for idx in np.ndindex(w.shape):
        d = np.zeros_like(w)
        d[idx] = eps
        num[idx] = (penalty(w + d) - penalty(w - d)) / (2 * eps)
    np.testing.assert_allclose(lin.weight.grad.numpy(), num, rtol=1e-6, atol=1e-8)


def test_torch_func_results_require_grad_only_when_something_outside_does():
    v = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    g = torch.func.grad(lambda t: (t ** 2).sum())(v)
    assert type(g) is torch.Tensor and not g.requires_grad
    np.testing.assert_array_equal(g.numpy(), [2.0, -4.0, 1.0])  # (.numpy() works)
    for transform in (torch.func.jacrev, torch.func.jacfwd):
        assert not transform(lambda t: t ** 2)(v).requires_grad
    assert not torch.func.hessian(lambda t: (t ** 3).sum())(v).requires_grad
    # A closure over a tensor requiring grad, or an input requiring it: still recorded.
    w = torch.tensor([3.0, 4.0, 5.0], dtype=torch.float64, requires_grad=True)
    gw = torch.func.grad(lambda t: (t * w).sum())(v)
    assert gw.requires_grad
    gw.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 1.0, 1.0])
    x = v.clone().requires_grad_()
    gx = torch.func.grad(lambda t: (t ** 3).sum())(x)
    gx.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * v.numpy())
    # and nested transforms still differentiate through the inner one
    assert float(torch.func.grad(torch.func.grad(lambda t: t ** 3))(
        torch.tensor(2.0, dtype=torch.float64))) == pytest.approx(12.0)


def test_engine_grad_of_a_tensor_without_outside_dependence_is_not_recorded():
    g = cr.grad(lambda t: (t ** 2).sum())(cr.tensor([1.0, 2.0]))
    assert not g.requires_grad
    w = cr.tensor([3.0, 4.0], requires_grad=True)
    assert cr.grad(lambda t: (t * w).sum())(cr.tensor([1.0, 2.0])).requires_grad


def test_pytorch_keyword_names_of_less_common_calls():
    F = torch.nn.functional
    x = torch.tensor(np.array([[0.5, -1.0, 2.0], [3.0, -0.25, 1.5]]))
    v = torch.tensor(np.array([1.0, 2.0, 3.0]))
    assert float(v.dot(tensor=v)) == 14.0 and float(torch.dot(v, tensor=v)) == 14.0
    assert x.swapdims(dim0=0, dim1=1).shape == (3, 2) == x.swapaxes(axis0=0, axis1=1).shape
    assert torch.swapdims(x, dim0=0, dim1=1).shape == (3, 2)
    assert x.mm(mat2=x.T).shape == (2, 2)
    np.testing.assert_array_equal(x.true_divide(other=x).numpy(), np.ones((2, 3)))
    assert int(torch.searchsorted(sorted_sequence=v, input=torch.tensor([2.5]))) == 2
    assert torch.cdist(x, x, compute_mode="use_mm_for_euclid_dist").shape == (2, 2)
    assert tuple(x.new_zeros(size=(2, 2)).shape) == (2, 2)
    assert tuple(x.new_ones(size=(3,)).shape) == (3,)
    t = torch.empty(1000, dtype=torch.float64).uniform_(**{"from": 2.0, "to": 3.0})
    assert float(t.min()) >= 2.0 and float(t.max()) < 3.0
    r = torch.zeros(200, dtype=torch.int64).random_(**{"from": 0, "to": 3})
    assert set(np.unique(r.numpy())) <= {0, 1, 2}
    assert x.float(memory_format=torch.preserve_format).dtype == torch.float32
    assert x.double(memory_format=torch.preserve_format) is x
    np.testing.assert_array_equal(F.one_hot(input=torch.tensor([1, 0]), num_classes=3).numpy(),
                                  [[0, 1, 0], [1, 0, 0]])
    S = torch.eye(2, dtype=torch.float64) * 2
    assert float(torch.linalg.det(A=S)) == 4.0
    np.testing.assert_array_equal(torch.linalg.inv(A=S).numpy(), np.eye(2) / 2)
    assert float(torch.linalg.vector_norm(input=v)) == pytest.approx(14 ** 0.5)
    assert not x.is_pinned()


def test_module_optimizer_and_mode_names_programs_use():
    net = nn.Identity(54, unused_argument1=0.1)
    assert net(torch.ones(2)) is not None
    m = nn.Module()
    m.register_buffer(name="rb", tensor=torch.ones(2), persistent=True)
    assert "rb" in m.state_dict()
    bn = nn.Sequential(nn.BatchNorm1d(3))
    assert bn.get_buffer("0.running_mean") is bn[0].running_mean
    p, q = nn.Parameter(torch.ones(2)), nn.Parameter(torch.ones(2))
    opt = torch.optim.Adam([p], lr=0.1)
    opt.add_param_group(param_group={"params": [q], "lr": 0.01})
    assert opt.param_groups[1]["lr"] == 0.01
    q.grad = torch.full((2,), 5.0)
    torch.nn.utils.clip_grad_value_(parameters=[q], clip_value=1.0, foreach=None)
    np.testing.assert_array_equal(q.grad.numpy(), [1.0, 1.0])
    assert not torch.is_inference_mode_enabled()
    with torch.inference_mode():
        assert torch.is_inference_mode_enabled() and not torch.is_grad_enabled()
    assert not torch.is_inference_mode_enabled() and torch.is_grad_enabled()

    @torch.inference_mode
    def f():
        return torch.is_inference_mode_enabled()

    assert f() is True
    x = torch.ones(2, requires_grad=True)
    with torch.autograd.grad_mode.no_grad():
        assert not (x * 2).requires_grad
    g = torch.Generator().manual_seed(7)
    assert g.initial_seed() == 7

    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        @torch.autograd.function.once_differentiable
        def backward(ctx, grad):
            (a,) = ctx.saved_tensors
            return 2 * a * grad

    y = torch.tensor([3.0], requires_grad=True)
    Square.apply(y).sum().backward()
    assert float(y.grad) == 6.0


class _HandAdam(torch.optim.Optimizer):
    """An optimizer written the way PyTorch programs write their own."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                beta1, beta2 = group["betas"]
                state["step"] += 1
                state["exp_avg"].mul_(beta1).add_(p.grad, alpha=1 - beta1)
                state["exp_avg_sq"].mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)
                denom = state["exp_avg_sq"].sqrt().add_(group["eps"])
                t = state["step"]
                size = group["lr"] * (1 - beta2 ** t) ** 0.5 / (1 - beta1 ** t)
                p.addcdiv_(state["exp_avg"], denom, value=-size)


def test_an_optimizer_subclass_written_as_in_pytorch_runs_saves_and_loads():
    w0 = np.array([[0.5, -1.0], [2.0, 0.3]])
    w = nn.Parameter(torch.tensor(w0))
    opt = _HandAdam([w], lr=0.1)
    c = np.array([1.0, 2.0])
    for _ in range(5):
        opt.zero_grad()
        ((w @ torch.tensor(c) - 1) ** 2).sum().backward()
        opt.step()
    # The same five steps in NumPy.
    v, m, s = w0.copy(), np.zeros_like(w0), np.zeros_like(w0)
    for t in range(1, 6):
        g = 2 * np.outer(v @ c - 1, c)
        m = 0.9 * m + 0.1 * g
        s = 0.999 * s + 0.001 * g * g
        v = v - 0.1 * (1 - 0.999 ** t) ** 0.5 / (1 - 0.9 ** t) * m / (np.sqrt(s) + 1e-8)
    np.testing.assert_allclose(w.detach().numpy(), v, rtol=1e-13)
    assert w.requires_grad and w.is_leaf  # (the in-place updates under no_grad)
    saved = opt.state_dict()
    assert saved["state"][0]["step"] == 5 and type(saved["state"][0]["exp_avg"]) is torch.Tensor
    again = _HandAdam([w], lr=0.1)
    again.load_state_dict(saved)
    assert again.state[w]["step"] == 5
    np.testing.assert_array_equal(again.state[w]["exp_avg"].numpy(),
                                  opt.state[w]["exp_avg"].numpy())
    np.testing.assert_allclose(again.state[w]["exp_avg"].numpy(), m, rtol=1e-14)
    assert isinstance(torch.optim.Adam([w]), torch.optim.Optimizer)


def test_reading_a_builtin_optimizers_state_before_its_first_step():
    p = nn.Parameter(torch.ones(2))
    opt = torch.optim.Adam([p], lr=0.1)
    assert opt.state[p] == {}  # (PyTorch's state is a defaultdict)
    p.sum().backward()
    opt.step()
    assert set(opt.state[p]) == {"step", "exp_avg", "exp_avg_sq"}
    assert opt.state_dict()["state"][0]["exp_avg"].shape == (2,)


def test_checkpoint_recomputes_with_pytorchs_method_meanings():
    x = torch.tensor([1.0, 2.0, 4.0], dtype=torch.float64, requires_grad=True)
    out = torch.utils.checkpoint.checkpoint(lambda t: t.std() * t, x, use_reentrant=False)
    out.sum().backward()
    y = x.detach().clone().requires_grad_()
    (y.std() * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.grad.numpy(), rtol=1e-14)  # (unbiased std)
    z = torch.ones(2, 3, requires_grad=True)
    torch.utils.checkpoint.checkpoint(
        lambda t: t.new_zeros(t.size(0), 4).sum() + t.sum() * t.size(1), z,
        use_reentrant=True).backward()
    np.testing.assert_array_equal(z.grad.numpy(), np.full((2, 3), 3.0))


def test_custom_function_backward_and_tensor_hooks_see_front_end_tensors_under_create_graph():
    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            assert g.size(0) == 2  # (PyTorch's size(), not NumPy's attribute)
            return 3 * x ** 2 * g

    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    (gx,) = torch.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    gx.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 12.0])
    x2 = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    y = x2 ** 3
    y.register_hook(lambda g: g * g.size(0))
    (g2,) = torch.autograd.grad(y.sum(), x2, create_graph=True)
    np.testing.assert_array_equal(g2.detach().numpy(), [6.0, 24.0])


def test_parameter_made_from_a_tensor_shares_its_storage():
    t = torch.zeros(3)
    p = nn.Parameter(t)
    p.data.add_(1)
    np.testing.assert_array_equal(t.numpy(), [1.0, 1.0, 1.0])
    assert p.data_ptr() == t.data_ptr() and p.requires_grad and p.is_leaf


def test_vmap_of_grad_records_only_what_outside_can_differentiate():
    w = torch.randn(2, 3, dtype=torch.float64)
    xs = torch.randn(4, 3, dtype=torch.float64)
    per_example = torch.func.vmap(torch.func.grad(lambda w, x: torch.tanh(x @ w.T).sum()),
                                  in_dims=(None, 0))
    g = per_example(w, xs)
    assert tuple(g.shape) == (4, 2, 3) and not g.requires_grad
    for i in range(4):  # each example's gradient, by hand
        h = 1 - np.tanh(xs.numpy()[i] @ w.numpy().T) ** 2
        np.testing.assert_allclose(g.numpy()[i], np.outer(h, xs.numpy()[i]), rtol=1e-13)
    w2 = w.clone().requires_grad_()
    g2 = per_example(w2, xs)
    assert g2.requires_grad
    g2.sum().backward()
    assert w2.grad.shape == (2, 3)
    v = torch.randn(3, requires_grad=True)
    assert torch.func.vmap(lambda x: (x * v).sum())(torch.randn(4, 3)).requires_grad


def test_pytorch_module_paths_import(tmp_path):
    program = tmp_path / "imports.py"
    program.write_text(textwrap.dedent("""
        from torch.optim.swa_utils import AveragedModel
        from torch.optim.optimizer import Optimizer
        from torch.optim.adam import Adam
        from torch.nn.parameter import Parameter
        from torch.nn.modules.batchnorm import _BatchNorm
        from torch.nn.modules.loss import _Loss
        from torch.nn.modules.module import Module
        from torch.nn.modules.utils import _pair
        from torch.nn.common_types import _size_2_t
        from torch.distributions.normal import Normal
        from torch.distributions.multivariate_normal import MultivariateNormal
        from torch.nn.utils.clip_grad import clip_grad_norm_
        from torch.utils.hooks import RemovableHandle
        import torch.cuda.amp
        import torch
        assert isinstance(torch.nn.BatchNorm2d(3), _BatchNorm)
        assert isinstance(torch.nn.MSELoss(), _Loss) and Optimizer is torch.optim.Optimizer
        assert Adam is torch.optim.Adam and _pair(3) == (3, 3)
        assert Normal(0.0, 1.0).log_prob(torch.tensor(0.0)).item() < 0
        print("ok")
    """))
    out = subprocess.run([sys.executable, "-m", "chainrule.torch", str(program)],
                         capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_review_fixes_for_optimizers_saving_and_containers(tmp_path):
    # LBFGS is a torch.optim.Optimizer too
    p = nn.Parameter(torch.ones(2))
    assert isinstance(torch.optim.LBFGS([p]), torch.optim.Optimizer)

    # a subclass's own state may hold anything (a ragged list)
    class Hist(torch.optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": 0.1})

        @torch.no_grad()
        def step(self, closure=None):
            for q in self.param_groups[0]["params"]:
                self.state[q].setdefault("hist", []).append([1.0] * len(self.state[q].get(
                    "hist", [])))

    h = Hist([p])
    h.step()
    h.step()
    assert list(h.state_dict()["state"][0]) == ["hist"]

    # a subclass of a built-in optimizer with state of its own reloads and steps on
    class EmaAdam(torch.optim.Adam):
        @torch.no_grad()
        def step(self, closure=None):
            super().step()
            for q in self.param_groups[0]["params"]:
                self.state[q].setdefault("ema", q.detach().clone()).mul_(0.5).add_(q, alpha=0.5)

    w = nn.Parameter(torch.tensor([1.0, 2.0]))
    opt = EmaAdam([w], lr=0.1)
    (w ** 2).sum().backward()
    opt.step()
    v = nn.Parameter(torch.tensor([1.0, 2.0]))
    opt2 = EmaAdam([v], lr=0.1)
    opt2.load_state_dict(opt.state_dict())
    assert sorted(opt2.state[v]) == ["ema", "exp_avg", "exp_avg_sq", "step"]
    (v ** 2).sum().backward()
    opt2.step()
    np.testing.assert_allclose(v.detach().numpy(), [0.9, 1.9], rtol=1e-6)

    # one Parameter saved under two names comes back shared
    path = tmp_path / "tied.pt"
    torch.save({"a": w, "b": w}, path)
    r = torch.load(path)
    with torch.no_grad():
        r["a"].add_(10)
    np.testing.assert_allclose(r["b"].detach().numpy(), r["a"].detach().numpy())

    # containers list what was added to them in PyTorch's order
    ml = nn.ModuleList([nn.Linear(1, 1)])
    ml.head = nn.Linear(1, 2)
    assert [k for k, _ in ml.named_parameters()] == ["0.weight", "0.bias", "head.weight",
                                                     "head.bias"]
    pl = nn.ParameterList([nn.Parameter(torch.ones(1))])
    pl.register_parameter("x", nn.Parameter(torch.zeros(1)))
    assert [k for k, _ in pl.named_parameters()] == ["0", "x"]

    # inference_mode(False) inside an enabled block leaves it
    with torch.inference_mode():
        with torch.inference_mode(False):
            assert not torch.is_inference_mode_enabled() and torch.is_grad_enabled()
        assert torch.is_inference_mode_enabled()


def test_custom_vjp_rule_may_differentiate_with_chainrule_itself():
    import chainrule.numpy as cnp

    @cr.custom_vjp
    def f(x):
        return cnp.sin(x)

    f.defvjp(lambda x: (cnp.sin(x), (x,)),
             lambda res, g: (cr.vjp(cnp.sin, res[0])[1](g)[0],))
    assert cr.grad(f)(0.3) == pytest.approx(np.cos(0.3), rel=1e-15)
    assert cr.grad(cr.grad(f))(0.3) == pytest.approx(-np.sin(0.3), rel=1e-15)


def test_reduce_lr_on_plateau_state_has_pytorchs_keys():
    p = nn.Parameter(torch.ones(2))
    s = torch.optim.lr_scheduler.ReduceLROnPlateau(torch.optim.SGD([p], lr=0.1), mode="max")
    assert sorted(s.state_dict()) == [
        "_last_lr", "best", "cooldown", "cooldown_counter", "default_min_lr", "eps", "factor",
        "last_epoch", "min_lrs", "mode", "mode_worse", "num_bad_epochs", "patience",
        "threshold", "threshold_mode"]  # (PyTorch 2.13's)
    assert s.state_dict()["mode_worse"] == -float("inf") and s.state_dict()["default_min_lr"] == 0


def _finite_difference_gradient(f, x, h=1e-6):
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = h
        g.flat[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def test_autograd_functional_create_graph_records_the_results():
    # A Jacobian penalty (a contractive autoencoder's) trains through create_graph=True;
    # before, the results carried no graph and the penalty added no gradient, silently.
    from chainrule.torch.autograd.functional import hessian, hvp, jacobian, jvp, vjp

    x0 = np.array([0.5, -1.0, 2.0])

    def jac_np(a):  # d(tanh(a) * sum(a))/da
        return np.diag(1 - np.tanh(a) ** 2) * a.sum() + np.tanh(a)[:, None]

    x = torch.tensor(x0, requires_grad=True)
    J = jacobian(lambda a: a.tanh() * a.sum(), x, create_graph=True)
    assert J.requires_grad
    np.testing.assert_allclose(J.detach().numpy(), jac_np(x0), rtol=1e-14)
    (x.pow(2).sum() + J.pow(2).sum()).backward()
    want = 2 * x0 + _finite_difference_gradient(lambda a: (jac_np(a) ** 2).sum(), x0)
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-7)

    # hessian, vjp, jvp and hvp (its vector too) are recorded as well
    x.grad = None
    v = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)

    def f(a):
        return (a ** 4).sum() * a[0]

    H = hessian(f, x, create_graph=True)
    _, vj = vjp(lambda a: a.sin() * a.sum(), x, v, create_graph=True)
    _, jv = jvp(lambda a: a.sin() * a.sum(), x, v, create_graph=True)
    _, hv = hvp(f, x, v, create_graph=True)
    assert all(t.requires_grad for t in (H, vj, jv, hv))
    np.testing.assert_allclose(hv.detach().numpy(), H.detach().numpy() @ v.detach().numpy(),
                               rtol=1e-14)
    hv.sum().backward()
    # d/dv of sum(H v) = H^T 1; d/dx of sum(H(x) v) by finite differences of f's Hessian
    def hess_np(a):  # f = sum(a^4) a0
        h = np.diag(12 * a ** 2 * a[0])
        h[:, 0] += 4 * a ** 3
        h[0, :] += 4 * a ** 3
        return h

    np.testing.assert_allclose(H.detach().numpy(), hess_np(x0), rtol=1e-14)
    np.testing.assert_allclose(v.grad.numpy(), hess_np(x0).sum(axis=0), rtol=1e-14)
    vv = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(
        x.grad.numpy(), _finite_difference_gradient(lambda a: (hess_np(a) @ vv).sum(), x0),
        rtol=1e-7)

    # create_graph=False (the default) gives detached results
    assert not jacobian(lambda a: a.tanh(), x).requires_grad
    assert not hvp(f, x, v)[1].requires_grad


def test_autograd_functional_forward_mode_jacobian_of_several_inputs():
    from chainrule.torch.autograd.functional import jacobian

    a = torch.tensor([1.0, 2.0], dtype=torch.float64)
    b = torch.tensor([0.5, -1.0], dtype=torch.float64)
    ja, jb = jacobian(lambda a, b: a * b.exp(), (a, b), strategy="forward-mode",
                      vectorize=True)
    np.testing.assert_allclose(ja.numpy(), np.diag(np.exp([0.5, -1.0])), rtol=1e-15)
    np.testing.assert_allclose(jb.numpy(), np.diag([1.0, 2.0] * np.exp([0.5, -1.0])),
                               rtol=1e-15)


def test_optimizer_param_groups_have_pytorchs_switch_keys():
    # (PyTorch 2.13: every optimizer keeps foreach and differentiable; fused and
    # capturable only where its constructor takes them)
    extra = {"SGD": {"fused"}, "Adam": {"fused", "capturable"}, "AdamW": {"fused", "capturable"},
             "Adagrad": {"fused"}, "RMSprop": {"capturable"}, "Adadelta": {"capturable"},
             "Adamax": {"capturable"}, "NAdam": {"capturable"}, "RAdam": {"capturable"},
             "Rprop": {"capturable"}, "ASGD": {"capturable"}}
    for name, keys in extra.items():
        p = nn.Parameter(torch.ones(3))
        group = getattr(torch.optim, name)([p], lr=0.1).state_dict()["param_groups"][0]
        switches = {"foreach", "fused", "capturable", "differentiable"} & set(group)
        assert switches == {"foreach", "differentiable"} | keys, name
        opt = getattr(torch.optim, name)([nn.Parameter(torch.ones(3))], lr=0.1)
        assert switches <= set(opt.defaults), name  # (PyTorch's defaults hold them too)
    with pytest.raises(TypeError, match="fused"):
        torch.optim.NAdam([nn.Parameter(torch.ones(2))], fused=True)
    opt = torch.optim.Adam([nn.Parameter(torch.ones(2))], foreach=False, capturable=True)
    assert opt.param_groups[0]["foreach"] is False and opt.param_groups[0]["capturable"] is True


def test_autograd_functional_several_outputs_and_create_graph_under_no_grad():
    from chainrule.torch.autograd.functional import jacobian, jvp, vjp

    x = torch.tensor([0.5, -1.0], dtype=torch.float64, requires_grad=True)

    def f(a):
        return a.sin(), (a * a).sum()

    (s, q), g = vjp(f, x, (torch.ones(2, dtype=torch.float64),
                           torch.tensor(2.0, dtype=torch.float64)))
    np.testing.assert_allclose(s.numpy(), np.sin([0.5, -1.0]), rtol=1e-15)
    assert q.item() == pytest.approx(1.25)
    np.testing.assert_allclose(g.numpy(), np.cos([0.5, -1.0]) + 4 * np.array([0.5, -1.0]),
                               rtol=1e-15)
    _, (ts, tq) = jvp(f, x, torch.ones(2, dtype=torch.float64))
    np.testing.assert_allclose(ts.numpy(), np.cos([0.5, -1.0]), rtol=1e-15)
    assert tq.item() == pytest.approx(-1.0)
    with torch.no_grad():  # (PyTorch records with create_graph=True even here)
        J = jacobian(lambda a: a.sin() * a.sum(), x, True)
    assert J.requires_grad


def test_setitem_drops_the_sources_leading_size_one_dimensions():
    # PPO's `advantages[t] = delta + ...` with a (1,)-shaped value (PyTorch writes it)
    a = torch.zeros(4, dtype=torch.float64)
    a[1] = torch.tensor([2.5], dtype=torch.float64)
    m = torch.zeros(2, 3)
    m[0, 1] = torch.ones(1, 1) * 3
    m[1] = np.ones((1, 1, 3))
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    z = torch.zeros(3)
    z[2] = (x * 2).sum().reshape(1)
    z.sum().backward()
    assert a.tolist() == [0.0, 2.5, 0.0, 0.0]
    assert m.tolist() == [[0.0, 3.0, 0.0], [1.0, 1.0, 1.0]]
    assert x.grad.tolist() == [2.0, 2.0]


def test_autograd_functional_strict_raises_pytorchs_errors_on_structural_zeros():
    from chainrule.torch.autograd.functional import hessian, hvp, jacobian, jvp, vjp

    one, two = torch.ones(2), torch.ones(2)

    def indep(x, y):
        return x * 2

    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function is "
                                           "independent of input 1"):
        jacobian(indep, (one, two), strict=True)
    with pytest.raises(RuntimeError, match="Output 1 .* independent of input 1"):
        jacobian(lambda x, y: (x * y, x.sum()), (one, two), strict=True)
    for fn, extra in ((vjp, (one,)), (jvp, ((one, two),)), (hvp, ((one, two),))):
        f = indep if fn is not hvp else (lambda x, y: (x ** 2).sum())
        with pytest.raises(RuntimeError, match="The output of the user-provided function "
                                               "is independent of input 1"):
            fn(f, (one, two), *extra, strict=True)
    with pytest.raises(RuntimeError, match="does not require gradients"):
        jacobian(lambda x: torch.ones(2), one, strict=True)
    with pytest.raises(RuntimeError, match="jacobian of the user-provided function with "
                                           "respect to input 0 is independent"):
        hessian(lambda x: x.sum(), one, strict=True)  # linear: a structurally zero Hessian
    with pytest.raises(RuntimeError, match="Output 1 .* independent of input 1"):
        hessian(lambda x, y: (x ** 2 * y).sum(), (one, two), strict=True)  # d2/dy2 is 0
    # create_graph=True: a linear function's derivative is independent of the input
    with pytest.raises(RuntimeError, match="independent of input 0. This is not allowed in "
                                           "strict mode when create_graph=True"):
        vjp(lambda t: t * 2, one, one, strict=True, create_graph=True)
    with pytest.raises(RuntimeError, match="when create_graph=True"):
        jacobian(lambda t: t * 2, one, strict=True, create_graph=True)
    with pytest.raises(RuntimeError, match="While computing the hessian.*input 1"):
        hvp(lambda a, b: (a ** 2).sum() + b.sum(), (one, two), (one, two), strict=True)
    with pytest.raises(RuntimeError, match="`strict=True` and `vectorized=True`"):
        jacobian(lambda t: t * 2, one, strict=True, vectorize=True)
    with pytest.raises(RuntimeError, match="`strict=True` and `strategy=\"forward-mode\"`"):
        jacobian(lambda t: t * 2, one, strict=True, strategy="forward-mode")
    # a function that uses every input passes, and strict changes no result
    x = torch.tensor([0.5, -1.0])
    assert torch.allclose(hessian(lambda t: (t ** 3).sum(), x, strict=True),
                          hessian(lambda t: (t ** 3).sum(), x))
    assert vjp(lambda t: t.detach() * 2 + t, x, torch.ones(2), strict=True)[1].tolist() == [1, 1]


def test_complex_results_of_recorded_operations_are_refused_not_differentiated_wrongly():
    # (x * (1 + 2j)).abs() had gradient -1.34 where sqrt(5) sign(x) = 2.24 is right, and
    # .real of it cut the graph, silently dropping that term from a loss.
    x = torch.tensor([0.3, -0.7], dtype=torch.float64, requires_grad=True)
    for f in (lambda: (x * (1 + 2j)).abs().sum(), lambda: (x * 1j).exp().real.sum(),
              lambda: (x ** 2).sum() + (x * (1 + 2j)).real.sum()):
        with pytest.raises(TypeError, match="complex, and chainrule differentiates real "
                                            "values only"):
            f()
    with pytest.raises(TypeError, match="differentiates real values only"):
        cr.grad(lambda t: (t * (2 + 1j)).sum())(np.array([1.0]))
    # without a gradient to record, complex values are NumPy's as before
    with torch.no_grad():
        assert np.allclose((x * (1 + 2j)).abs().numpy(), np.sqrt(5) * np.abs([0.3, -0.7]))
    assert np.allclose((x.detach() * 1j).numpy(), [0.3j, -0.7j])


def test_complex_leaves_cannot_require_grad():
    # grad(sum |z|^2) at complex z came back conjugated ([2+4j, ...] where autograd and
    # JAX give 2 conj(z) = [2-4j, ...]) with no error: real rules on a complex input.
    z = np.array([1 + 2j, -0.5 + 0.3j])
    with pytest.raises(TypeError, match="argument 0 is complex"):
        cr.grad(lambda t: (cr.numpy.abs(t) ** 2).sum())(z)
    with pytest.raises(TypeError, match="a complex tensor cannot require grad"):
        torch.tensor(z, requires_grad=True)
    with pytest.raises(TypeError, match="a complex tensor cannot require grad"):
        cr.tensor(z).requires_grad_()
    t = torch.tensor(z)
    t.requires_grad = True  # (PyTorch's attribute form: refused when backward reaches it)
    with pytest.raises(TypeError, match="a complex tensor cannot require grad"):
        t.abs().sum().backward()


def test_chain_and_stack_datasets_default_convert_and_jit_annotations():
    import collections

    from chainrule.torch.utils.data import (
        ChainDataset,
        DataLoader,
        IterableDataset,
        StackDataset,
        TensorDataset,
        default_convert,
    )

    class Stream(IterableDataset):
        def __init__(self, items):
            self.items = items

        def __iter__(self):
            return iter(self.items)

        def __len__(self):
            return len(self.items)

    chained = ChainDataset([Stream([1, 2]), Stream([3])])
    assert list(chained) == [1, 2, 3] and len(chained) == 3
    a, b = TensorDataset(torch.arange(4.0)), TensorDataset(torch.arange(4) * 10)
    assert StackDataset(a, b)[1][1][0].item() == 10
    batches = list(DataLoader(StackDataset(x=a, y=b), batch_size=2))
    assert [t.tolist() for t in batches[1]["y"]] == [[20, 30]]
    with pytest.raises(ValueError, match="size mismatch"):
        StackDataset(a, TensorDataset(torch.arange(3)))
    # default_convert: arrays and NumPy scalars become tensors, tuples lists, the rest stays
    Pair = collections.namedtuple("Pair", "u v")
    converted = default_convert((np.float64(1.5), "s", 3))
    assert isinstance(converted, list) and isinstance(converted[0], torch.Tensor)
    assert converted[1:] == ["s", 3]
    pair = default_convert(Pair(np.zeros(1), 2))
    assert isinstance(pair, Pair) and isinstance(pair.u, torch.Tensor) and pair.v == 2
    samples = list(DataLoader([np.arange(2), np.arange(2) + 1], batch_size=None))
    assert all(isinstance(t, torch.Tensor) for t in samples) and samples[1].tolist() == [1, 2]
    assert torch.jit.annotate(int, 3) == 3 and torch.jit.Final is not None
    # a + b: streams chained, map-style datasets concatenated; StackDataset's batched read
    assert list(Stream([1]) + Stream([2, 3])) == [1, 2, 3]
    joined = a + TensorDataset(torch.arange(2.0))
    assert len(joined) == 6 and joined[5][0].item() == 1.0
    assert [s[1][0].item() for s in StackDataset(a, b).__getitems__([0, 2])] == [0, 20]


def test_an_output_changed_in_place_spoils_only_rules_that_read_it():
    # PyTorch refuses only operations that saved their output. multiply's rule reads
    # its inputs, so changing its output under no_grad (insightface's ArcFace margin,
    # entmax's `input -= max_val` inside an autograd.Function) keeps its gradient.
    w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = w * 2.0
    with torch.no_grad():
        x -= 1.0
    (x * x).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [4.0, 12.0, 20.0])  # PyTorch's values

    class Shift(torch.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            input -= input.max(dim=-1, keepdim=True)[0]
            out = input.exp()
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, g):
            (out,) = ctx.saved_tensors
            return g * out

    v = torch.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    Shift.apply(v * torch.tensor([[2.0, 1.0, 0.5]])).sum().backward()
    np.testing.assert_allclose(v.grad.numpy(), [[2.0, 1.0, 0.5 * np.exp(-0.5)]], rtol=1e-6)

    # exp's rule reads its output: the same change there is refused, naming it.
    u = torch.tensor([1.0, 2.0], requires_grad=True)
    e = u.exp()
    with torch.no_grad():
        e -= 1.0
    with pytest.raises(RuntimeError, match="an output of 'exp'.*modified in place"):
        e.sum().backward()


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc", "fix", "sign"])
def test_rounding_functions_require_grad_with_a_zero_gradient(name):
    # PyTorch keeps requires_grad through floor/ceil/round/trunc/sign and gives a zero
    # gradient, so a loss made only of them (a quantised count) backpropagates zeros.
    a = torch.tensor([1.5, -2.7, 0.5, np.inf], requires_grad=True)
    for out in (getattr(a, name)(), getattr(torch, name)(a)):
        assert out.requires_grad
        (g,) = torch.autograd.grad(out.sum(), a)
        np.testing.assert_array_equal(g.numpy(), np.zeros(4))  # exact, even at inf
    expected = {"floor": np.floor, "ceil": np.ceil, "round": np.round, "trunc": np.trunc,
                "fix": np.trunc, "sign": np.sign}[name](a.detach().numpy())
    np.testing.assert_array_equal(getattr(torch, name)(a).detach().numpy(), expected)
    with torch.no_grad():
        assert not getattr(a, name)().requires_grad


def test_legacy_index_forms_read_as_pytorch_reads_them():
    x = torch.arange(12.0).reshape(4, 3)
    # a short list holding sequences is a tuple of indices
    np.testing.assert_array_equal(x[[[0, 1], [1, 2]]].numpy(), [1.0, 5.0])
    np.testing.assert_array_equal(x[[[0, 1]]].numpy(), x.numpy()[[0, 1]])
    np.testing.assert_array_equal(x[[0, 2]].numpy(), x.numpy()[[0, 2]])  # ints: one index
    # a uint8 tensor is a mask, with PyTorch's deprecation warning
    with pytest.warns(UserWarning, match="uint8 is now deprecated"):
        rows = x[torch.tensor([1, 0, 1, 0], dtype=torch.uint8)]
    np.testing.assert_array_equal(rows.numpy(), x.numpy()[[0, 2]])
    z = torch.arange(4.0).requires_grad_()
    z[[[0, 2]]].sum().backward()
    np.testing.assert_array_equal(z.grad.numpy(), [1.0, 0.0, 1.0, 0.0])


def test_zero_d_tensors_take_dim_0_and_minus_1_as_pytorch_does():
    x = torch.tensor(2.5, requires_grad=True)
    F = torch.nn.functional
    outs = [torch.flip(x, [0]), x.flip(-1), x.squeeze(0), x.squeeze(-1), torch.movedim(x, 0, 0),
            x.transpose(0, -1), x.mT, torch.quantile(x, 0.5, dim=0)]
    for out in outs:
        assert tuple(out.shape) == () and out.item() == 2.5
    assert F.normalize(x, dim=0).item() == 1.0
    sum(outs).backward()
    assert x.grad.item() == len(outs)
    # std_mean(input, unbiased): PyTorch's positional bool
    std, mean = torch.std_mean(torch.arange(4.0), False)
    np.testing.assert_allclose([std.item(), mean.item()], [np.std(np.arange(4.0)), 1.5])
    # F.linear with a 1-d weight: one output feature, its axis dropped
    y = F.linear(torch.ones(2, 3), torch.tensor([1.0, 2.0, 3.0]), torch.tensor(0.5))
    np.testing.assert_array_equal(y.numpy(), [6.5, 6.5])


@pytest.mark.parametrize("name", ["median", "nanmedian"])
def test_median_of_everything_shares_its_gradient_among_ties(name):
    # PyTorch's median()/nanmedian() without dim: evenly among the elements equal to it
    x = torch.tensor([1.0, 1.0, 1.0, 0.0, 2.0], dtype=torch.float64, requires_grad=True)
    y = getattr(torch, name)(x)
    y.backward()
    assert y.item() == 1.0
    np.testing.assert_allclose(x.grad.numpy(), [1 / 3, 1 / 3, 1 / 3, 0, 0], rtol=1e-15)
    t = torch.tensor([0.1, 0.1, 0.1, 0.3], dtype=torch.float64)
    assert getattr(torch, name)(t).item() == 0.1  # exact, not a mean of the ties
    # exact also where a sum of the ties would overflow, and for infinite medians
    for values, dtype in (([1.0, np.inf, np.inf], np.float64), ([1e4] * 3 + [0.0], np.float16),
                          ([3e38, 3e38, 0.0], np.float32)):
        a = np.asarray(values, dtype=dtype)
        m = getattr(torch, name)(torch.tensor(a))
        assert m.item() == np.sort(a)[(len(a) - 1) // 2]
    # a NaN (or infinite) median: its whole gradient to one element (PyTorch shares it)
    n = torch.tensor([np.nan, np.nan, 1.0], dtype=torch.float64, requires_grad=True)
    getattr(torch, name)(n).backward()
    assert n.grad.numpy().sum() == 1.0 and (n.grad.numpy()[2] == 1.0) == (name == "nanmedian")


def test_logit_outside_zero_one_has_a_nan_gradient_as_its_value():
    x = torch.tensor([-0.5, 1.5, 0.3], dtype=torch.float64, requires_grad=True)
    y = torch.logit(x)
    y.sum().backward()
    assert np.isnan(y.detach().numpy()[:2]).all() and np.isnan(x.grad.numpy()[:2]).all()
    np.testing.assert_allclose(x.grad.numpy()[2], 1 / (0.3 * 0.7), rtol=1e-14)
    assert torch.logit(torch.tensor([0.2, 0.9])).dtype == torch.float32
    x.grad = None
    torch.logit(x, eps=0.1).sum().backward()  # clamped: zero gradient outside
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, 1 / (0.3 * 0.7)], rtol=1e-14)


def test_interpolate_takes_pytorchs_shortcuts_for_unchanged_and_doubled_axes():
    F = torch.nn.functional
    x = torch.arange(15.0).reshape(1, 1, 3, 5)
    # 2-D nearest: an exactly doubled axis halves the index, an unchanged one is copied
    y = F.interpolate(x, scale_factor=2.3, mode="nearest")  # (3, 5) -> (6, 11)
    np.testing.assert_array_equal(y[0, 0, :, 0].numpy(), [0, 0, 5, 5, 10, 10])
    np.testing.assert_array_equal(y[0, 0, 0].numpy(), np.floor(np.arange(11) / np.float32(2.3)))
    z = F.interpolate(x, scale_factor=(1.1, 2.3), mode="nearest")
    np.testing.assert_array_equal(z[0, 0, :, 0].numpy(), [0, 5, 10])
    # the linear modes copy an unchanged axis whatever scale_factor says
    b = F.interpolate(torch.arange(20.0).reshape(1, 1, 4, 5), scale_factor=1.1, mode="bilinear")
    np.testing.assert_array_equal(b[0, 0].numpy(), np.arange(20.0).reshape(4, 5))
    w = F.interpolate(torch.arange(5.0).reshape(1, 1, 5), scale_factor=1.158, mode="linear")
    np.testing.assert_array_equal(w[0, 0].numpy(), np.arange(5.0))
    # 1-D nearest has no shortcut (PyTorch's kernel applies the formula)
    n = F.interpolate(torch.arange(5.0).reshape(1, 1, 5), scale_factor=1.1, mode="nearest")
    np.testing.assert_array_equal(n[0, 0].numpy(), [0, 0, 1, 2, 3])


def test_margin_losses_pass_the_gradient_at_an_exact_tie_as_clamp_min():
    # PyTorch writes max(z, 0) in these losses as clamp_min, whose gradient at z = 0 is 1
    F = torch.nn.functional
    f64 = torch.float64
    x1 = torch.tensor([0.3, 0.7], dtype=f64, requires_grad=True)
    F.margin_ranking_loss(x1, torch.tensor([0.3, 0.2], dtype=f64), torch.ones(2, dtype=f64),
                          margin=0.0).backward()
    np.testing.assert_array_equal(x1.grad.numpy(), [-0.5, 0.0])
    x = torch.tensor([1.0, 0.2], dtype=f64, requires_grad=True)
    F.hinge_embedding_loss(x, torch.tensor([-1.0, -1.0], dtype=f64), margin=1.0).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [-0.5, -0.5])
    a = torch.tensor([[0.0, 1.0, 0.0]], dtype=f64, requires_grad=True)
    F.cosine_embedding_loss(a, torch.tensor([[1.0, 0.0, 0.0]], dtype=f64), torch.tensor([-1.0]),
                            margin=0.0).backward()
    np.testing.assert_allclose(a.grad.numpy(), [[1.0, 0.0, 0.0]], atol=1e-12)


def test_index_outputs_of_zero_d_inputs_are_front_end_tensors():
    x = torch.tensor(1.5)
    for idx in (torch.sort(x).indices, torch.argsort(x), x.topk(1).indices,
                x.kthvalue(1).indices, torch.cummax(x, 0).indices, torch.cummin(x, 0).indices):
        assert isinstance(idx, torch.Tensor) and idx.item() == 0


def test_grid_sample_border_coordinates_have_pytorchs_zero_derivative():
    # An identity affine grid with align_corners puts the edge pixels exactly on the
    # border, where PyTorch's clip counts the coordinate as outside (derivative 0).
    F = torch.nn.functional
    x = torch.arange(20, dtype=torch.float64).reshape(1, 1, 4, 5) ** 1.5
    th = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]], dtype=torch.float64,
                      requires_grad=True)
    grid = F.affine_grid(th, [1, 1, 4, 5], align_corners=True)
    F.grid_sample(x, grid, padding_mode="border", align_corners=True).sum().backward()
    np.testing.assert_allclose(th.grad.numpy(), [[[2.3081, 26.0363, 108.0449],
                                                 [16.6848, 13.7693, 386.0238]]], atol=1e-4)
    g = torch.tensor([[[[-2.0, 3.0]]]], dtype=torch.float64, requires_grad=True)
    F.grid_sample(torch.tensor([[[[2.0]]]], dtype=torch.float64), g, padding_mode="reflection",
                  align_corners=False).sum().backward()
    np.testing.assert_array_equal(g.grad.numpy(), [[[[0.0, 0.0]]]])


def test_torch_functions_read_numpys_keyword_names_as_pytorch_does():
    x = torch.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(torch.mean(x, axis=0).numpy(), [1.5, 2.5, 3.5])
    np.testing.assert_array_equal(torch.sum(x, axis=1, keepdims=True).numpy(), [[3.0], [12.0]])
    assert tuple(torch.stack([x, x], axis=1).shape) == (2, 2, 3)
    np.testing.assert_array_equal(torch.median(x, axis=0).values.numpy(), [0.0, 1.0, 2.0])
    with pytest.raises(TypeError, match="name the same argument"):
        torch.sum(x, axis=0, dim=1)


def test_stable_sort_keeps_ties_of_infinities_in_index_order():
    x = torch.tensor([np.inf, 1.0, np.inf, -np.inf, -np.inf] * 3)
    assert torch.sort(x, stable=True).indices.tolist() == [3, 4, 8, 9, 13, 14, 1, 6, 11,
                                                           0, 2, 5, 7, 10, 12]  # PyTorch's


def test_frexp_mantissa_carries_the_gradient_two_to_the_minus_exponent():
    x = torch.tensor([3.0, -0.3, 0.0, 1024.0], dtype=torch.float64, requires_grad=True)
    m, e = torch.frexp(x)
    np.testing.assert_array_equal(m.detach().numpy(), np.frexp(x.detach().numpy())[0])
    assert e.tolist() == [2, -1, 0, 11] and m.requires_grad
    m.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.25, 2.0, 1.0, 2.0**-11])
    inf = torch.tensor([np.inf, -np.inf, np.nan], requires_grad=True)
    np.testing.assert_array_equal(torch.frexp(inf)[0].detach().numpy(), [np.inf, -np.inf, np.nan])


def test_numpy_of_a_tensor_requiring_grad_is_given_while_grad_mode_is_off():
    # As in PyTorch: refused only with grad mode on; a Function's forward (run without
    # grad) may hand its input to NumPy, its backward giving the gradient.
    x = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="Can't call numpy"):
        x.numpy()
    with torch.no_grad():
        assert x.numpy().tolist() == [1.0, 1.0, 1.0]

    class Doubled(torch.autograd.Function):
        @staticmethod
        def forward(ctx, v):
            return torch.tensor(v.numpy() * 2)

        @staticmethod
        def backward(ctx, g):
            return g * 2

    Doubled.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(TypeError, match="traced"):
        torch.vmap(lambda v: torch.tensor(v.detach().numpy()))(torch.ones(2, 3))


def test_transformer_encoder_pads_with_zeros_where_pytorch_uses_nested_tensors():
    # Evaluation without gradients, batch_first, a key padding mask padding the ends:
    # PyTorch runs the layers on nested tensors and pads the output with zeros (then the
    # final norm), which mean-pooling over all positions sees. Elsewhere the ordinary path.
    rng = np.random.default_rng(0)
    torch.set_default_dtype(torch.float64)
    try:
        layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
        encoder = nn.TransformerEncoder(layer, 2)
        with pytest.warns(UserWarning, match="use_nested_tensor is False because encoder_layer"
                                            ".self_attn.batch_first was not True"):
            nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 1)
        x = torch.tensor(rng.standard_normal((2, 5, 8)))
        end_padded = torch.tensor([[False] * 5, [False] * 3 + [True] * 2])
        encoder.eval()
        with torch.no_grad():
            out = encoder(x, src_key_padding_mask=end_padded)
            gap = torch.tensor([[False] * 5, [True] + [False] * 4])
            gapped = encoder(x, src_key_padding_mask=gap)
        assert out[1, 3:].abs().sum().item() == 0.0
        recorded = encoder(x, src_key_padding_mask=end_padded)  # (grad enabled: no zeros)
        assert recorded[1, 3:].abs().sum().item() > 0
        np.testing.assert_allclose(recorded[:, :3].detach().numpy(), out[:, :3].numpy(),
                                   rtol=1e-13)
        assert gapped[1, 0].abs().sum().item() > 0  # (not left-aligned: no zeros)
        # The same decision per call under cr.compile, and per example under cr.vmap.
        import chainrule as cr

        for p in encoder.parameters():
            p.requires_grad_(False)
        compiled = cr.compile(lambda v, m: encoder(v, src_key_padding_mask=m))
        masks = [np.array([[0, 0, 1, 1, 1], [0] * 5], bool),
                 np.array([[0] * 5, [0, 1, 1, 1, 1]], bool),
                 np.array([[0] * 5, [1, 0, 0, 0, 0]], bool)]
        for m in masks:
            want = encoder(x, src_key_padding_mask=torch.tensor(m)).numpy()
            np.testing.assert_allclose(np.asarray(compiled(x.numpy(), m)), want, atol=1e-12)
        batched = cr.vmap(lambda v, m: encoder(v[None], src_key_padding_mask=m[None])[0])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # (attention one at a time)
            got = np.asarray(batched(x.numpy(), masks[1]))
        assert np.abs(got[1, 1:]).sum() == 0.0 and np.abs(got[0]).sum() > 0
    finally:
        torch.set_default_dtype(torch.float32)



def test_device_context_dynamo_hub_benchmark_amp_decorators_and_nnz(tmp_path, monkeypatch):
    # torch.device as a context manager (model skeletons on "meta")
    with torch.device("meta"):
        layer = nn.Linear(2, 3)
        assert str(torch.get_default_device()) == "meta"
    assert str(torch.get_default_device()) == "cpu" and layer.weight.shape == (3, 2)
    with pytest.raises(RuntimeError, match="computes on the CPU"):
        with torch.device("cuda"):
            pass
    assert str(torch.get_default_device()) == "cpu"
    # torch._dynamo next to torch.compile
    torch._dynamo.reset()
    torch._dynamo.config.suppress_errors = True
    assert torch._dynamo.config.cache_size_limit == 8
    with pytest.raises(AttributeError, match="no setting"):
        torch._dynamo.config.no_such_setting = 1
    with torch._dynamo.config.patch(cache_size_limit=3):
        assert torch._dynamo.config.cache_size_limit == 3
    assert torch._dynamo.config.cache_size_limit == 8
    from chainrule.torch.hub import _HASH  # (PyTorch's file-name hash rule)

    assert _HASH.search("model-v1.2-abc123.pth").group(1) == "abc123"
    f = torch._dynamo.disable(lambda v: v + 1)
    assert f(1) == 2 and torch._dynamo.optimize("inductor")(f)(2) == 3
    # torch.hub's directory, a local hubconf
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    assert torch.hub.get_dir() == str(tmp_path / "hub")
    (tmp_path / "hubconf.py").write_text("def tiny(n=2):\n    'A tiny model.'\n    return n * 3\n")
    assert torch.hub.load(str(tmp_path), "tiny", n=4, source="local") == 12
    assert torch.hub.list(str(tmp_path), source="local") == ["tiny"]
    with pytest.raises(NotImplementedError, match="local"):
        torch.hub.load("owner/repo", "tiny")
    # torch.utils.benchmark
    from chainrule.torch.utils import benchmark

    x = torch.ones(8, 8)
    timer = benchmark.Timer("x @ x", globals={"x": x}, label="mm", description="f32")
    once = timer.timeit(10)
    assert once.number_per_run == 10 and len(once.times) == 1 and once.mean > 0
    blocks = timer.blocked_autorange(min_run_time=0.01)
    assert sum(blocks.raw_times) >= 0.01 and blocks.median > 0
    assert "f32" in str(benchmark.Compare([once, blocks]))

    # amp.custom_fwd casts inside an enabled autocast region, only there
    class Product(torch.autograd.Function):
        @staticmethod
        @torch.amp.custom_fwd(device_type="cpu", cast_inputs=torch.float32)
        def forward(ctx, a):
            ctx.seen = (a.dtype, torch.is_autocast_enabled("cpu"))
            return a * 2

        @staticmethod
        @torch.amp.custom_bwd(device_type="cpu")
        def backward(ctx, g):
            return g * 2

    a = torch.ones(3, dtype=torch.float16, requires_grad=True)
    with torch.autocast("cpu", dtype=torch.float16):
        assert torch.is_autocast_enabled("cpu") and not torch.is_autocast_enabled()
        out = Product.apply(a)
    assert out.dtype == torch.float32
    out.sum().backward()
    assert a.grad.dtype == torch.float16 and a.grad.tolist() == [2.0, 2.0, 2.0]
    assert Product.apply(a).dtype == torch.float16
    # a sparse tensor's stored entries
    s = torch.sparse_coo_tensor(torch.tensor([[0, 1, 1], [2, 0, 2]]), torch.tensor([1.0, 2, 3]),
                                (2, 3))
    assert s._nnz() == 3


def test_named_pairs_are_torch_return_types_printed_as_pytorch_prints_them():
    x = torch.tensor([[1.0, 5.0], [3.0, 2.0]])
    pair = x.max(0)
    assert type(pair).__module__ == "torch.return_types" and type(pair).__name__ == "max"
    assert isinstance(pair, torch.return_types.max) and isinstance(pair, tuple)
    assert repr(pair) == ("torch.return_types.max(\nvalues=tensor([3., 5.]),\n"
                          "indices=tensor([1, 0]))")
    assert type(x.sort()).__name__ == "sort" and type(x.topk(1)).__name__ == "topk"
    assert type(x.min(1)).__name__ == "min" and x.min(1).indices.tolist() == [0, 1]
