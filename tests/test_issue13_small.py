"""Regression tests for issue 13's smaller silent bugs (each failed before its fix)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
import chainrule.numpy as cnp


def test_elu_derivative_at_zero_is_alpha():
    for alpha in (1.0, 0.5, 2.0):
        assert cr.grad(lambda x, a=alpha: cr.elu(x, alpha=a))(0.0) == alpha


def test_elu_derivative_far_left_is_exponential_not_zero():
    g = cr.grad(cr.elu)(-40.0)
    np.testing.assert_allclose(g, np.exp(-40.0), rtol=1e-14)
    assert cr.grad(cr.grad(cr.elu))(-40.0) == pytest.approx(np.exp(-40.0), rel=1e-14)


def test_expm1_derivative_far_left_is_exponential_not_zero():
    x = np.array([-37.5, -50.0, -700.0])
    g = cr.elementwise_grad(cr.expm1)(x)
    np.testing.assert_allclose(g, np.exp(x), rtol=1e-14)
    assert np.all(g > 0)


def test_gradient_of_std_and_var_of_a_constant_is_zero():
    for f in (cr.std, cr.var, lambda x: cr.std(x, ddof=1), lambda x: cr.std(x, axis=0)):
        g = cr.grad(lambda x, f=f: cr.sum(f(x)))(np.full((3, 2), 1.5))
        np.testing.assert_array_equal(g, np.zeros((3, 2)))
    h = cr.hessian(lambda x: cr.std(x))(np.ones(3))
    assert np.all(np.isfinite(h))


def test_std_gradient_away_from_constant_is_unchanged():
    x = np.array([1.0, 2.0, 4.0])
    g = cr.grad(cr.std)(x)
    np.testing.assert_allclose(g, (x - x.mean()) / (x.size * x.std()), rtol=1e-13)


@pytest.mark.parametrize("fn", ["var", "std"])
@pytest.mark.parametrize("values", [[1.0, 2.0], [1.0, 1.0]])
@pytest.mark.parametrize("ddof", [2, 3])
def test_var_std_with_ddof_at_least_n_match_numpy(fn, values, ddof):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = getattr(np, fn)(np.array(values), ddof=ddof)
        got = getattr(cr, fn)(cr.tensor(values), ddof=ddof).data
    np.testing.assert_array_equal(got, want)  # NaN or inf, never -0.0


def test_matrix_power_zero_returns_a_tensor():
    a = cr.tensor(np.arange(4.0).reshape(2, 2), requires_grad=True)
    r = cnp.linalg.matrix_power(a, 0)
    assert isinstance(r, cr.Tensor)
    np.testing.assert_array_equal(r.data, np.eye(2))
    g = cr.grad(lambda a: cnp.sum(cnp.linalg.matrix_power(a, 0) * a))(np.ones((2, 2)))
    np.testing.assert_array_equal(g, np.eye(2))


def test_functional_cross_entropy_takes_classes_from_axis_1():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 3))  # (N, C, L) with C == L
    t = rng.integers(0, 3, (2, 3))
    want = -np.mean(np.take_along_axis(
        x - np.log(np.exp(x).sum(axis=1, keepdims=True)), t[:, None], 1))
    np.testing.assert_allclose(F.cross_entropy(cr.tensor(x), t).data, want, rtol=1e-13)
    np.testing.assert_allclose(nn.CrossEntropyLoss()(cr.tensor(x), t).data, want, rtol=1e-13)
    # cr.cross_entropy keeps its documented axis=-1 convention.
    other = -np.mean(np.take_along_axis(
        x - np.log(np.exp(x).sum(axis=-1, keepdims=True)), t[..., None], -1))
    np.testing.assert_allclose(cr.cross_entropy(cr.tensor(x), t).data, other, rtol=1e-13)


def test_functional_nll_loss_takes_classes_from_axis_1():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 3))
    t = rng.integers(0, 3, (2, 3))
    want = -np.mean(np.take_along_axis(x, t[:, None], 1))
    np.testing.assert_allclose(F.nll_loss(cr.tensor(x), t).data, want, rtol=1e-13)
    ignored = F.nll_loss(cr.tensor(x), np.where(t == 0, -100, t)).data
    keep = t != 0
    np.testing.assert_allclose(
        ignored, -np.take_along_axis(x, t[:, None], 1)[:, 0][keep].mean(), rtol=1e-13)


def test_functional_cross_entropy_unbatched_input_uses_axis_0():
    x = np.array([0.1, 2.0, -1.0])
    want = -(x[1] - np.log(np.exp(x).sum()))
    np.testing.assert_allclose(F.cross_entropy(cr.tensor(x), np.array(1)).data, want)


def test_module_to_none_keeps_the_dtype():
    m = nn.Linear(2, 3).float()
    assert m.to(None) is m
    assert m.weight.dtype == np.float32
    m.to("cpu")
    assert m.weight.dtype == np.float32
    m.to("cpu", np.float64)
    assert m.weight.dtype == np.float64
    m.to(cr.tensor(np.ones(1, np.float32)))
    assert m.weight.dtype == np.float32
    m.to(dtype=np.float64, device=None)
    assert m.weight.dtype == np.float64
    with pytest.raises(TypeError, match="cuda"):
        m.to("cuda")


def test_module_to_takes_a_device_object_naming_the_cpu():
    class Device:  # what torch.device("cpu") and chainrule.torch.device("cpu") look like
        type = "cpu"

        def __str__(self):
            return "cpu"

    m = nn.Linear(2, 3).float()
    assert m.to(Device()) is m and m.weight.dtype == np.float32
    m.to(Device(), np.float64)
    assert m.weight.dtype == np.float64
    Device.type = "cuda"
    with pytest.raises(TypeError, match="device"):
        m.to(Device())
