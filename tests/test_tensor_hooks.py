"""Tensor hooks (register_hook, register_post_accumulate_grad_hook, retains_grad) with
PyTorch's meanings; expected values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.torch as torch


def test_a_hook_sees_the_total_gradient_and_its_result_flows_downstream():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    seen = []
    handle = x.register_hook(lambda g: seen.append(g.clone()) or g * 2)
    y = x * x
    y.register_hook(lambda g: g + 1)
    y.retain_grad()
    # dz/dy = w + 1 = (2, 11, 101); y's hook adds 1 -> (3, 12, 102), also y.grad
    z = (y * torch.tensor([1.0, 10.0, 100.0])).sum() + y.sum()
    z.backward()
    assert y.grad.tolist() == [3.0, 12.0, 102.0] and y.retains_grad and not x.retains_grad
    # x's hook gets 2x * (3, 12, 102) = (6, 48, 612) and doubles it into x.grad
    assert seen[0].tolist() == [6.0, 48.0, 612.0] and type(seen[0]) is torch.Tensor
    assert x.grad.tolist() == [12.0, 96.0, 1224.0]
    handle.remove()
    x.grad = None
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0, 6.0] and len(seen) == 1


def test_hooks_on_chainrule_tensors_and_under_create_graph():
    x = cr.tensor(np.array([0.5, -1.0]), requires_grad=True)
    x.register_hook(lambda g: g * x)  # recorded when differentiated again
    y = (x ** 3).sum()
    y.backward(create_graph=True)
    # d/dx of x^3 is 3x^2, times x by the hook: 3x^3
    np.testing.assert_allclose(x.grad.data, 3 * x.data ** 3)
    first = x.grad
    x.grad = None
    first.sum().backward()
    # d/dx of sum(3x^3) is 9x^2, times x by the hook again
    np.testing.assert_allclose(x.grad.data, 9 * x.data ** 3)


def test_post_accumulate_hook_and_errors():
    w = torch.ones(3, requires_grad=True)
    after = []
    w.register_post_accumulate_grad_hook(lambda p: after.append(p.grad.sum().item()))
    (w * 2).sum().backward()
    (w * 2).sum().backward()
    assert after == [6.0, 12.0]
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        torch.ones(2).register_hook(lambda g: g)
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(lambda p: None)
    v = torch.ones(2, requires_grad=True)
    v.register_hook(lambda g: g.sum())
    with pytest.raises(RuntimeError, match="shape"):
        (v * 3).sum().backward()


def test_a_hook_is_refused_under_compile_not_skipped():
    layer = cr.nn.Linear(2, 1)
    layer.weight.register_hook(lambda g: g * 0)

    def step(x):
        layer.weight.grad = None
        loss = layer(x).sum()
        loss.backward()
        return loss

    x = np.ones((3, 2), np.float32)
    step(x)
    assert np.all(layer.weight.grad.data == 0)
    with pytest.raises(TypeError, match="cannot repeat"):
        cr.compile(step)(x)
