"""Parametrizations (torch.nn.utils.parametrize / parametrizations): PyTorch's names,
state-dict keys and semantics; expected values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule.torch as torch
import chainrule.torch.nn as nn
from chainrule.torch.nn.utils import parametrize
from chainrule.torch.nn.utils.parametrizations import spectral_norm, weight_norm

W = (np.arange(12.0).reshape(3, 4) / 7 - 0.6).astype(np.float32)


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)


def _linear(rows, cols):
    layer = nn.Linear(cols, rows)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(W[:rows, :cols]))
        layer.bias.zero_()
    return layer


def test_a_registered_parametrization_computes_the_weight_and_routes_its_gradient():
    layer = _linear(3, 3)
    parametrize.register_parametrization(layer, "weight", Symmetric())
    assert type(layer).__name__ == "ParametrizedLinear"
    assert parametrize.type_before_parametrizations(layer) is nn.Linear
    assert list(layer.state_dict()) == ["bias", "parametrizations.weight.original"]
    w = layer.weight.detach().numpy()
    np.testing.assert_array_equal(w, np.triu(W[:3, :3]) + np.triu(W[:3, :3], 1).T)
    x = torch.tensor(np.linspace(-1, 1, 12).reshape(4, 3).astype(np.float32))
    layer(x).pow(2).sum().backward()
    g = (2 * (x.numpy() @ w.T)).T @ x.numpy()  # d/dW of sum((x W^T)^2)
    expected = np.triu(g) + np.triu(g.T, 1)  # an upper entry also stands below
    np.testing.assert_allclose(layer.parametrizations.weight.original.grad.numpy(), expected,
                               rtol=1e-5)
    assert [p.shape for p in layer.parameters()] == [(3,), (3, 3)]
    parametrize.remove_parametrizations(layer, "weight")
    assert type(layer) is nn.Linear and list(layer.state_dict()) == ["bias", "weight"]
    np.testing.assert_array_equal(layer.weight.detach().numpy(), w)


def test_weight_norm_keeps_the_weight_and_splits_norm_and_direction():
    layer = _linear(3, 4)
    weight_norm(layer)
    keys = list(layer.state_dict())
    assert keys == ["bias", "parametrizations.weight.original0",
                    "parametrizations.weight.original1"]
    g = layer.parametrizations.weight.original0.detach().numpy()
    np.testing.assert_allclose(g.ravel(), np.linalg.norm(W, axis=1), rtol=1e-6)
    np.testing.assert_allclose(layer.weight.detach().numpy(), W, rtol=1e-6)
    layer.weight = torch.tensor(2 * W)  # through right_inverse
    np.testing.assert_allclose(layer.weight.detach().numpy(), 2 * W, rtol=1e-6)
    with parametrize.cached():
        assert layer.weight is layer.weight


def test_spectral_norm_divides_by_the_largest_singular_value():
    layer = _linear(3, 4)
    spectral_norm(layer)
    assert list(layer.state_dict()) == ["bias", "parametrizations.weight.original",
                                        "parametrizations.weight.0._u",
                                        "parametrizations.weight.0._v"]
    for _ in range(20):
        layer(torch.ones(1, 4))  # training mode: power iterations
    layer.eval()
    assert np.linalg.svd(layer.weight.detach().numpy(), compute_uv=False)[0] == \
        pytest.approx(1.0, rel=1e-4)


def test_a_missing_tensor_and_an_unparametrized_removal_are_refused():
    layer = _linear(2, 2)
    with pytest.raises(ValueError, match="no parameter or buffer named 'kernel'"):
        parametrize.register_parametrization(layer, "kernel", Symmetric())
    with pytest.raises(ValueError, match="no parametrization"):
        parametrize.remove_parametrizations(layer, "weight")
