"""Backward-pass edge cases: Python-number arguments, empty axes, gradient buffers handed
to several leaves, rules declared twice."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp
from chainrule import rules


def test_division_by_a_python_zero_in_the_untaken_branch_of_where():
    # The divisor is a Python 0.0: its local derivative 1/0 is an infinity (as NumPy's
    # would be), which the zero cotangent of the untaken branch makes an exact zero.
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        cr.where(x > 5, x / 0.0, x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0])


@pytest.mark.parametrize("zero", [0, 0.0, -0.0])
def test_the_derivative_of_division_by_a_python_zero_is_numpys_infinity(zero):
    x = cr.tensor(np.array([1.0, -1.0], np.float32), requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        (x / zero).sum().backward()
        want = np.float32(1.0) / np.array(zero, np.float32)
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.data, [want, want])


@pytest.mark.parametrize("fn", ["mean", "var", "std"])
def test_reductions_over_an_empty_axis_have_an_empty_gradient(fn):
    x = cr.tensor(np.zeros((0, 3)), requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = getattr(cnp, fn)(x, axis=0)
        assert np.isnan(y.data).all()  # NumPy's value
        y.sum().backward()
    assert x.grad.shape == (0, 3)


def test_create_graph_gives_each_leaf_a_gradient_of_its_own():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    b = cr.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward(create_graph=True)
    assert a.grad is not b.grad
    assert not np.shares_memory(a.grad.data, b.grad.data)
    (a + b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [2.0, 2.0])
    np.testing.assert_array_equal(b.grad.data, [2.0, 2.0])


def test_create_graph_gradients_stay_differentiable():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    (x * x + x).sum().backward(create_graph=True)
    g = x.grad  # 2x + 1, a node of the graph
    assert g.requires_grad
    x.grad = None
    (g * g).sum().backward()
    np.testing.assert_array_equal(x.grad.data, 4 * (2 * np.array([1.0, 2.0]) + 1))


def test_defvjp_after_a_declared_derivative_replaces_it_in_both_modes():
    # An unregistered primitive (the registry stays clean).
    sq = rules.Primitive("square_declared_twice", np.square).defderivatives(
        lambda ans, x: 2 * x
    )
    assert cr.grad(lambda x: sq(x))(1.0) == 2.0
    sq.defvjp(lambda g, ans, x: g * 3 * x)
    assert cr.grad(lambda x: sq(x))(1.0) == 3.0
    assert cr.jvp(sq, (1.0,), (1.0,))[1] == 3.0


@pytest.mark.parametrize("create_graph", [False, True])
def test_an_ignored_row_with_nan_logits_gets_a_zero_gradient_on_both_paths(create_graph):
    from chainrule.nn import functional as F

    z = cr.tensor(np.array([[np.nan, 1.0], [0.5, 0.2]]), requires_grad=True)
    loss = F.cross_entropy(z, np.array([-100, 1]))
    assert np.isfinite(loss.data)
    loss.backward(create_graph=create_graph)
    np.testing.assert_array_equal(z.grad.data[0], [0.0, 0.0])
    p = np.exp([0.5, 0.2]) / np.exp([0.5, 0.2]).sum()
    np.testing.assert_allclose(z.grad.data[1], p - [0.0, 1.0])
    _, tangent = cr.jvp(lambda v: F.cross_entropy(v, np.array([-100, 1])),
                        (z.data,), (np.ones((2, 2)),))
    assert np.isfinite(tangent)
