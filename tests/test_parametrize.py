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


# ------------------------------------------------------------------------ orthogonal
def _sine_linear(n, k):
    lin = nn.Linear(k, n, dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(np.sin(np.arange(n * k, dtype=float)).reshape(n, k)))
    return lin


def _positive_qr(a):
    q, r = np.linalg.qr(a)
    return q * np.sign(np.diag(r))


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
def test_orthogonal_starts_at_the_orthogonalized_weight_and_stays_orthogonal(orthogonal_map):
    from chainrule.torch.nn.utils.parametrizations import orthogonal

    lin = _sine_linear(4, 4)
    w0 = lin.weight.detach().numpy().copy()
    orthogonal(lin, orthogonal_map=orthogonal_map)
    assert sorted(lin.state_dict()) == ["bias", "parametrizations.weight.0.base",
                                        "parametrizations.weight.original"]
    np.testing.assert_allclose(lin.parametrizations.weight.original.detach().numpy(),
                               -np.eye(4))
    np.testing.assert_allclose(lin.weight.detach().numpy(), _positive_qr(w0), atol=1e-14)
    x = torch.tensor(np.linspace(-1, 1, 12).reshape(3, 4))
    opt = torch.optim.SGD(lin.parameters(), lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        (lin(x) ** 3).sum().backward()
        opt.step()
    w = lin.weight.detach().numpy()
    np.testing.assert_allclose(w.T @ w, np.eye(4), atol=1e-12)
    assert not np.allclose(w, _positive_qr(w0))  # (it moved)

    # the gradient of the original is the loss's, by central differences
    original = lin.parametrizations.weight.original
    opt.zero_grad()
    (lin(x) ** 3).sum().backward()
    grad = original.grad.numpy().copy()
    base = original.detach().numpy().copy()
    for i, j in [(1, 0), (3, 1), (2, 1)]:  # (below the diagonal: what the maps read)
        values = []
        for step in (1e-6, -1e-6):
            with torch.no_grad():
                original.copy_(torch.tensor(base))
                original[i, j] += step
            values.append((lin(x) ** 3).sum().item())
        assert grad[i, j] == pytest.approx((values[0] - values[1]) / 2e-6, rel=1e-5, abs=1e-7)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5)])
def test_orthogonal_non_square_has_orthonormal_columns_or_rows(shape):
    from chainrule.torch.nn.utils.parametrizations import orthogonal

    lin = orthogonal(_sine_linear(*shape))
    w = lin.weight.detach().numpy()
    gram = w.T @ w if shape[0] > shape[1] else w @ w.T
    np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-12)
    # assigning an orthonormal value sets the weight to it
    q = _positive_qr(np.cos(np.arange(15.0)).reshape(max(shape), min(shape)))
    value = q if shape[0] > shape[1] else q.T
    lin.weight = torch.tensor(value)
    np.testing.assert_allclose(lin.weight.detach().numpy(), value, atol=1e-12)


def test_orthogonal_without_trivialization():
    from chainrule.torch.nn.utils.parametrizations import orthogonal

    lin = _sine_linear(4, 4)
    w0 = lin.weight.detach().numpy().copy()
    orthogonal(lin, orthogonal_map="householder", use_trivialization=False)
    assert sorted(lin.state_dict()) == ["bias", "parametrizations.weight.original"]
    np.testing.assert_allclose(lin.weight.detach().numpy(), _positive_qr(w0), atol=1e-13)
    # matrix_exp cannot invert: the original is the weight as it was (PyTorch's rule)
    lin2 = _sine_linear(4, 4)
    orthogonal(lin2, orthogonal_map="matrix_exp", use_trivialization=False)
    np.testing.assert_array_equal(lin2.parametrizations.weight.original.detach().numpy(), w0)
    w = lin2.weight.detach().numpy()
    np.testing.assert_allclose(w.T @ w, np.eye(4), atol=1e-12)
    with pytest.raises(ValueError, match="orthogonal_map"):
        orthogonal(_sine_linear(2, 2), orthogonal_map="qr")
    with pytest.raises(ValueError, match="matrix"):
        orthogonal(nn.LayerNorm(3))
