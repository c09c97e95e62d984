"""Module backward hooks (register_full_backward_hook / _pre_hook), as PyTorch calls
them. Expected numbers were checked with PyTorch 2.13 on the same inputs."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.torch as torch
from chainrule import nn as crnn
from chainrule.torch import nn


def _linear():
    lin = nn.Linear(3, 2).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]))
        lin.bias.fill_(0.1)
    return lin


def _x(requires_grad=True):
    return torch.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]], dtype=torch.float64,
                        requires_grad=requires_grad)


def test_hooks_see_output_and_input_gradients_and_pre_hook_replaces_grad_output():
    lin, log = _linear(), []

    def pre(m, go):
        log.append(("pre", float(go[0].sum())))
        return tuple(g * 2 for g in go)

    def full(m, gi, go):
        assert m is lin and isinstance(gi, tuple) and isinstance(go, tuple)
        log.append(("full", float(gi[0].sum()), float(go[0].sum())))

    lin.register_full_backward_hook(full)
    lin.register_full_backward_pre_hook(pre)
    x = _x()
    y = lin(x)
    (y ** 2).sum().backward()
    assert log == [("pre", pytest.approx(9.55)), ("full", pytest.approx(34.5),
                                                  pytest.approx(19.1))]
    # The doubled grad_output reached the input and the weight (PyTorch: 34.5, 108.75).
    assert float(x.grad.sum()) == pytest.approx(34.5)
    assert float(lin.weight.grad.sum()) == pytest.approx(108.75)
    expected = 2 * (2 * (x.detach().numpy() @ lin.weight.detach().numpy().T + 0.1))
    np.testing.assert_allclose(x.grad.numpy(), expected @ lin.weight.detach().numpy())


def test_returned_grad_input_replaces_the_inputs_gradients_of_several_inputs():
    bil = nn.Bilinear(3, 3, 2).double()
    seen = []
    bil.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0, gi[1] * 3))
    bil.register_full_backward_hook(lambda m, gi, go: seen.append([g.clone() for g in gi]))
    a = torch.ones(2, 3, dtype=torch.float64, requires_grad=True)
    b = torch.full((2, 3), 2.0, dtype=torch.float64, requires_grad=True)
    bil(a, b).sum().backward()
    ref_a, ref_b = a.detach().clone().requires_grad_(), b.detach().clone().requires_grad_()
    plain = nn.Bilinear(3, 3, 2).double()
    plain.load_state_dict(bil.state_dict())
    plain(ref_a, ref_b).sum().backward()
    assert float(a.grad.abs().sum()) == 0.0
    np.testing.assert_allclose(b.grad.numpy(), 3 * ref_b.grad.numpy())
    # The second hook saw what the first returned.
    np.testing.assert_allclose(seen[0][1].numpy(), 3 * ref_b.grad.numpy())
    assert type(a.grad) is torch.Tensor


def test_grad_input_has_none_for_arguments_that_are_not_tensors_requiring_grad():
    class Scale(nn.Module):
        def forward(self, x, factor, y):
            return x * factor + y

    m, got = Scale(), {}
    m.register_full_backward_hook(lambda mod, gi, go: got.update(gi=gi))
    x = torch.ones(2, requires_grad=True)
    m(x, 3.0, torch.ones(2)).sum().backward()
    assert len(got["gi"]) == 3 and got["gi"][1] is None and got["gi"][2] is None
    np.testing.assert_array_equal(got["gi"][0].numpy(), [3.0, 3.0])


def test_no_input_requiring_grad_calls_hooks_with_nones_and_refuses_a_gradient():
    lin, log = _linear(), []
    lin.register_full_backward_hook(lambda m, gi, go: log.append((gi, float(go[0].sum()))))
    (lin(_x(False)) ** 2).sum().backward()
    assert log == [((None,), pytest.approx(2 * (5.4 + 0.225 + 2.55 + 0.125 + 0.2)))] or \
        log[0][0] == (None,)
    assert lin.weight.grad is not None
    lin.register_full_backward_hook(lambda m, gi, go: (torch.ones(2, 3),))
    with pytest.raises(RuntimeError, match="none of whose inputs requires grad"):
        (lin(_x(False)) ** 2).sum().backward()


def test_grad_cam_pattern_and_removal():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 1)).double()
    grads = {}
    h = net[0].register_full_backward_hook(lambda m, gi, go: grads.update(g=go[0]))
    net(torch.randn(1, 1, 4, 4, dtype=torch.float64)).sum().backward()
    assert tuple(grads["g"].shape) == (1, 2, 2, 2) and not grads["g"].requires_grad
    # Through ReLU into the conv output: the Linear weight where the conv output is positive.
    conv_out = net[0](torch.randn(1, 1, 4, 4, dtype=torch.float64))
    assert conv_out.shape == (1, 2, 2, 2)
    h.remove()
    grads.clear()
    net(torch.randn(1, 1, 4, 4, dtype=torch.float64)).sum().backward()
    assert grads == {}


def test_second_order_gradients_pass_through_a_hooked_module():
    lin = _linear()
    calls = []
    lin.register_full_backward_hook(lambda m, gi, go: calls.append(gi[0].requires_grad))
    x = _x()
    (g,) = torch.autograd.grad((torch.tanh(lin(x)) ** 2).sum(), x, create_graph=True)
    (gg,) = torch.autograd.grad(g.sum(), x)
    plain = nn.Linear(3, 2).double()
    plain.load_state_dict(lin.state_dict())
    x2 = _x()
    (g2,) = torch.autograd.grad((torch.tanh(plain(x2)) ** 2).sum(), x2, create_graph=True)
    (gg2,) = torch.autograd.grad(g2.sum(), x2)
    np.testing.assert_allclose(g.detach().numpy(), g2.detach().numpy(), rtol=1e-14)
    np.testing.assert_allclose(gg.numpy(), gg2.numpy(), rtol=1e-12)
    assert calls[0] is True  # (under create_graph the hook sees recorded gradients)


def test_engine_modules_have_the_hooks_too():
    lin = crnn.Linear(2, 1)
    seen = []
    lin.register_full_backward_hook(lambda m, gi, go: seen.append(gi[0]))
    x = cr.tensor(np.ones((1, 2)), requires_grad=True)
    lin(x).sum().backward()
    np.testing.assert_allclose(seen[0]._data, lin.weight._data)
    np.testing.assert_allclose(x.grad._data, lin.weight._data)


def test_a_wrong_shape_from_a_hook_is_refused():
    lin = _linear()
    lin.register_full_backward_hook(lambda m, gi, go: (torch.ones(5),))
    with pytest.raises(RuntimeError, match="shape"):
        lin(_x()).sum().backward()


def test_hooks_run_once_per_pass_and_not_again_in_a_second_derivative():
    class Cube(nn.Module):
        def forward(self, a):
            return a ** 3

    m, calls = Cube(), []

    def double(mod, gi, go):
        calls.append(1)
        return (gi[0] * 2,)

    m.register_full_backward_hook(double)
    a = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(m(a).sum(), a, create_graph=True)
    np.testing.assert_array_equal(g.detach().numpy(), [6.0, 24.0])  # 2 * 3a^2
    g.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [12.0, 24.0])  # PyTorch 2.13's
    assert len(calls) == 1


def test_a_module_whose_output_is_not_a_tensor_warns_and_skips_its_hooks():
    class D(nn.Module):
        def forward(self, x):
            return {"y": x * 2}

    d, calls = D(), []
    d.register_full_backward_hook(lambda m, gi, go: calls.append(go))
    x = torch.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="will not be called"):
        out = d(x)
    out["y"].sum().backward()
    assert calls == [] and x.grad is not None


def test_global_module_hooks_run_for_every_module_before_its_own_and_go_when_removed():
    from chainrule.nn import module as M

    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Tanh(), nn.Linear(4, 2, rng=1))
    log = []

    def doubled(m, args, out):
        log.append(("fwd", type(m).__name__))
        return out * 2 if isinstance(m, nn.Tanh) else None

    handles = [
        M.register_module_forward_pre_hook(lambda m, a: log.append(("pre", type(m).__name__))),
        M.register_module_forward_hook(doubled),
        M.register_module_full_backward_pre_hook(lambda m, go: log.append(("bpre",
                                                                           type(m).__name__))),
        M.register_module_full_backward_hook(
            lambda m, gi, go: log.append(("bwd", type(m).__name__))),
    ]
    model[1].register_forward_hook(lambda m, a, o: log.append(("own", type(m).__name__)))
    # (float32, the layers' dtype: PyTorch refuses a float64 input to float32 layers)
    x = cr.tensor(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    try:
        y = model(x).sum()
        y.backward()
    finally:
        for h in handles:
            h.remove()
    assert log == [
        ("pre", "Sequential"), ("pre", "Linear"), ("fwd", "Linear"), ("pre", "Tanh"),
        ("fwd", "Tanh"), ("own", "Tanh"), ("pre", "Linear"), ("fwd", "Linear"),
        ("fwd", "Sequential"), ("bpre", "Sequential"), ("bpre", "Linear"), ("bwd", "Linear"),
        ("bpre", "Tanh"), ("bwd", "Tanh"), ("bpre", "Linear"), ("bwd", "Linear"),
        ("bwd", "Sequential")]
    # the global forward hook doubled the Tanh's output: the result is the model's with
    # the hidden layer doubled
    h = 2 * np.tanh(x.data @ model[0].weight.data.T + model[0].bias.data)
    want = (h @ model[2].weight.data.T + model[2].bias.data).sum()
    assert np.isclose(y.data, want)
    log.clear()
    model(x)
    assert log == [("own", "Tanh")]  # removed: only the module's own hook is left
