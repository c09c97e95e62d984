"""x[index] = v while differentiating: a recorded write (chainrule.primitives.writes)."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.gradcheck import gradcheck


def test_writing_into_a_constant_buffer_passes_the_gradient_to_the_value():
    # Found by porting programs: v's gradient used to be silently 0.
    v = cr.tensor([1.0, 2.0], requires_grad=True)
    y = cr.tensor(np.zeros((2, 3)))
    y[0, :2] = v
    assert y.requires_grad and y.grad_fn == "write"
    (y * np.arange(6.0).reshape(2, 3)).sum().backward()
    np.testing.assert_array_equal(v.grad.data, [0.0, 1.0])
    np.testing.assert_array_equal(y.data, [[1.0, 2.0, 0.0], [0.0, 0.0, 0.0]])


def _overwrite(x, v):
    y = x * 1.0
    y[np.array([0, 2]), 1:] = v  # v broadcasts over the written block
    return y


def test_write_gradients_in_both_modes_to_second_order():
    rng = np.random.default_rng(0)
    x, v = rng.standard_normal((3, 3)), rng.standard_normal(2)
    assert gradcheck(lambda a, b: _overwrite(a, b) ** 2, x, v, order=2)
    assert gradcheck(lambda a, b: _overwrite(a, b) ** 2, x, v[:1], order=2)


def test_forward_mode_pushes_tangents_through_writes():
    # The tangent used to ignore the write.
    def f(x):
        y = x * 1.0
        y[np.array([0, 2])] = x[:2] * 3.0
        return y

    x = np.array([1.0, 2.0, 3.0])
    _, tangent = cr.jvp(f, (x,), (np.ones(3),))
    np.testing.assert_array_equal(tangent, [3.0, 1.0, 3.0])
    np.testing.assert_array_equal(cr.jacobian(f, mode="fwd")(x), cr.jacobian(f)(x))


def test_repeated_indices_the_last_write_wins_and_so_does_the_gradient():
    v = cr.tensor([1.0, 2.0, 5.0], requires_grad=True)
    y = cr.tensor(np.zeros(3))
    y[np.array([1, 1, 2])] = v
    np.testing.assert_array_equal(y.data, [0.0, 2.0, 5.0])  # NumPy's result
    (y * np.array([10.0, 20.0, 30.0])).sum().backward()
    np.testing.assert_array_equal(v.grad.data, [0.0, 20.0, 30.0])
    assert gradcheck(lambda a: _repeat(a), np.array([0.5, -1.0, 2.0]), order=2)


def _repeat(a):
    y = cr.tensor(np.zeros(3))
    y[np.array([1, 1, 2])] = a
    return y * y


def test_a_write_through_a_view_reaches_the_viewed_tensor_and_its_gradient():
    def g(x):
        y = cr.tensor(np.zeros((2, 3)))
        row = y[0]  # a view, as in NumPy
        row[1] = x
        return (y * y).sum() + row.sum()  # row sees the write too

    assert cr.grad(g)(3.0) == pytest.approx(2 * 3.0 + 1.0)
    assert gradcheck(lambda x: _through_transpose(x), np.array([0.3, -0.7]), order=2)


def _through_transpose(x):
    y = cr.tensor(np.arange(6.0).reshape(2, 3)) * 1.0
    y.T[1] = x  # writes column 1 of y
    return (y * y).sum(axis=0)


def test_plain_writes_stay_plain():
    y = cr.tensor(np.zeros(3))
    y[1] = 4.0
    assert not y.requires_grad and y.grad_fn is None
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    with cr.no_grad():
        w[0] = 5.0
    assert w.is_leaf and w.data[0] == 5.0


def test_a_leaf_that_requires_grad_cannot_be_written_while_recording():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"leaf tensor that requires grad.*clone"):
        w[0] = cr.tensor(3.0, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w[0] = 3.0


def test_a_use_recorded_before_the_write_is_refused_at_backward():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1.0
    z = cr.tanh(y)  # tanh's rule reads y's old values
    y[0] = 0.0
    with pytest.raises(RuntimeError, match="modified in place after it was used"):
        (z.sum() + y.sum()).backward()


def test_the_written_tensor_keeps_its_previous_history():
    x = cr.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = cr.tanh(x)
    y[1] = 7.0
    y.sum().backward()
    expected = 1 - np.tanh(x.data) ** 2
    expected[1] = 0.0
    np.testing.assert_allclose(x.grad.data, expected)
