"""The seed's worked results (questions 2c, 3a, 4a-4d), checked against chainrule.

Each test states the seed's formula in NumPy and compares it with what chainrule's
backward pass computes.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.gradcheck import gradcheck

N = 6


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.fixture
def rng():
    return np.random.default_rng(20)


def test_3a_tanh_derivative_is_one_minus_tanh_squared(rng):
    x = cr.tensor(rng.uniform(-3, 3, size=N), requires_grad=True)
    cr.tanh(x).sum().backward()
    t = np.tanh(x.data)
    np.testing.assert_allclose(x.grad.data, 1 - t**2, rtol=1e-14)
    # The same from the quotient rule on (e^x - e^-x) / (e^x + e^-x), recorded op by op.
    z = cr.tensor(x.data, requires_grad=True)
    ((cr.exp(z) - cr.exp(-z)) / (cr.exp(z) + cr.exp(-z))).sum().backward()
    np.testing.assert_allclose(z.grad.data, 1 - t**2, rtol=1e-12)


@pytest.mark.parametrize("c", [-1000.0, -3.5, 0.0, 2.0, 1000.0])
def test_4a_softmax_is_unchanged_by_adding_a_constant(rng, c):
    x = rng.standard_normal((3, N))
    np.testing.assert_allclose(
        cr.softmax(cr.tensor(x + c)).data, cr.softmax(cr.tensor(x)).data, rtol=1e-12, atol=1e-15
    )
    np.testing.assert_allclose(cr.softmax(cr.tensor(x)).data, np_softmax(x), rtol=1e-14)
    # Also for inputs whose exponentials overflow (or all underflow) without the shift.
    big = np.array([1000.0, 1001.0, 0.0]) + c
    np.testing.assert_allclose(
        cr.softmax(cr.tensor(big)).data, np_softmax(np.array([0.0, 1.0, -1000.0])), rtol=1e-14
    )


def log_softmax_jacobian(x):
    """The full Jacobian of log_softmax at x, built row by row with backward."""
    rows = []
    for i in range(x.size):
        xt = cr.tensor(x, requires_grad=True)
        cr.log_softmax(xt)[i].backward()
        rows.append(xt.grad.data)
    return np.stack(rows)


def test_4b_log_softmax_jacobian(rng):
    x = rng.standard_normal(N)
    sigma = np_softmax(x)
    # 1 - sigma_i on the diagonal, -sigma_j off it: the identity minus sigma in every row.
    expected = np.eye(N) - np.tile(sigma, (N, 1))
    assert np.allclose(np.diag(expected), 1 - sigma)
    np.testing.assert_allclose(log_softmax_jacobian(x), expected, rtol=1e-12, atol=1e-15)


def test_4c_vjp_without_the_jacobian(rng):
    x, v = rng.standard_normal(N), rng.standard_normal(N)
    sigma = np_softmax(x)
    xt = cr.tensor(x, requires_grad=True)
    cr.log_softmax(xt).backward(v)
    np.testing.assert_allclose(xt.grad.data, v - sigma * v.sum(), rtol=1e-12, atol=1e-15)
    # The same as v times the 4b Jacobian.
    np.testing.assert_allclose(xt.grad.data, v @ log_softmax_jacobian(x), rtol=1e-12, atol=1e-15)


def test_4c_vjp_along_an_axis_of_a_batch(rng):
    x, v = rng.standard_normal((4, N, 3)), rng.standard_normal((4, N, 3))
    sigma = np_softmax(x, axis=1)
    xt = cr.tensor(x, requires_grad=True)
    cr.log_softmax(xt, axis=1).backward(v)
    expected = v - sigma * v.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(xt.grad.data, expected, rtol=1e-12, atol=1e-15)


def test_4d_nll_on_log_softmax_outputs_has_gradient_minus_t(rng):
    t = rng.dirichlet(np.ones(N))
    z = cr.tensor(cr.log_softmax(cr.tensor(rng.standard_normal(N))).data, requires_grad=True)
    (-(t * z).sum()).backward()
    np.testing.assert_array_equal(z.grad.data, -t)
    # nll_loss is that loss.
    z.grad = None
    cr.nll_loss(z, t).backward()
    np.testing.assert_allclose(z.grad.data, -t, rtol=1e-15)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_gradient_with_soft_targets(rng, reduction):
    batch = 5
    x = rng.standard_normal((batch, N))
    # Rows that do not sum to 1 too: the seed only asks t in [0, 1].
    t = rng.uniform(0, 1, size=(batch, N))
    t[0] /= t[0].sum()
    xt = cr.tensor(x, requires_grad=True)
    cr.cross_entropy(xt, t, reduction=reduction).backward()
    expected = np_softmax(x) * t.sum(axis=1, keepdims=True) - t
    if reduction == "mean":
        expected /= batch
    np.testing.assert_allclose(xt.grad.data, expected, rtol=1e-12, atol=1e-15)


def test_cross_entropy_gradient_with_class_indices(rng):
    x = rng.standard_normal((4, N))
    labels = np.array([0, 5, 2, 2])
    xt = cr.tensor(x, requires_grad=True)
    cr.cross_entropy(xt, labels).backward()
    expected = (np_softmax(x) - np.eye(N)[labels]) / 4
    np.testing.assert_allclose(xt.grad.data, expected, rtol=1e-12, atol=1e-15)


def test_2c_gradient_of_minus_sum_t_log_z(rng):
    z = cr.tensor(rng.uniform(0.05, 1, size=N), requires_grad=True)
    t = rng.uniform(0, 1, size=N)
    (-(t * cr.log(z)).sum()).backward()
    np.testing.assert_allclose(z.grad.data, -t / z.data, rtol=1e-14)
    assert gradcheck(lambda a: -(t * cr.log(a)).sum(), z.data, order=2)


def test_2d_the_log_softmax_route_never_divides_by_a_probability():
    # A probability that underflows to 0: -t/z would be -inf (2d). Through log_softmax the
    # gradient is softmax(x) - t, finite.
    x = cr.tensor([0.0, -800.0, 5.0], requires_grad=True)
    t = np.array([0.2, 0.5, 0.3])
    assert cr.softmax(x).data[1] == 0.0
    loss = cr.cross_entropy(x, t)
    loss.backward()
    assert np.isfinite(loss.item())
    np.testing.assert_allclose(x.grad.data, np_softmax(x.data) - t, atol=1e-15)


def test_the_seed_results_hold_to_second_order(rng):
    x = rng.standard_normal((2, N))
    t = rng.dirichlet(np.ones(N), size=2)
    assert gradcheck(cr.tanh, x, order=2)
    assert gradcheck(lambda a: cr.log_softmax(a, axis=-1), x, order=2)
    assert gradcheck(lambda a: cr.cross_entropy(a, t), x, order=2)


def test_the_jacobian_is_never_formed_for_large_n():
    # 4c computes the VJP in O(N): an N x N Jacobian here would be 8 * 200_000**2 bytes.
    n = 200_000
    x = cr.tensor(np.linspace(-3, 3, n), requires_grad=True)
    v = np.cos(np.arange(n))
    cr.log_softmax(x).backward(v)
    sigma = np_softmax(x.data)
    np.testing.assert_allclose(x.grad.data, v - sigma * v.sum(), atol=1e-12)
