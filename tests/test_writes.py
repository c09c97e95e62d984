"""x[index] = v while differentiating: a recorded write (chainrule.primitives.writes)."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp
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


def test_a_use_recorded_before_the_write_differentiates_what_it_read():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1.0
    z = cr.tanh(y)  # tanh read y before the write: its gradient is at the old values
    y[0] = 0.0
    (z.sum() + y.sum()).backward()
    np.testing.assert_allclose(x.grad.data, 1 - np.tanh([1.0, 2.0]) ** 2 + [0.0, 1.0])


def test_a_change_without_a_record_of_the_old_values_is_refused_at_backward():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1.0
    z = cr.tanh(y)
    y._data[0] = 5.0  # behind the graph's back, as a NumPy view of the buffer would
    cr.graph.mark_modified(y)
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


# ------------------------------------------------ views made before a write, broadcast views
def test_a_view_made_before_a_write_into_a_constant_differentiates_through_it():
    # The view shows the written values (NumPy's buffer semantics), so its gradient must
    # come from them too: d/dw sum(v * v) = 2 w (PyTorch agrees).
    def f(w):
        y = cr.tensor(np.zeros((2, 3)))
        v = y[0]
        y[0, :2] = w
        return (v * v).sum()

    np.testing.assert_allclose(cr.grad(f)(np.array([1.0, 2.0])), [2.0, 4.0])


def test_a_view_made_before_a_write_into_a_recorded_tensor_is_made_again_from_it():
    x = cr.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    w = cr.tensor([7.0, 8.0], requires_grad=True)
    a = x * 1
    v = a[0]
    a[0, :2] = w
    np.testing.assert_array_equal(v.data, [7.0, 8.0, 2.0])
    (v * v).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [14.0, 16.0])
    np.testing.assert_array_equal(x.grad.data, [[0.0, 0.0, 4.0], [0.0, 0.0, 0.0]])


def test_a_differentiated_write_into_a_broadcast_view_is_refused_as_in_numpy():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = cr.tensor([7.0, 8.0, 9.0], requires_grad=True)
    b = (x * 1).broadcast_to((2, 3))
    with pytest.raises(ValueError, match="read-only"):
        b[0] = w
    with pytest.raises(ValueError, match="read-only"):
        np.broadcast_to(np.ones(3), (2, 3))[0] = 1.0  # NumPy's own refusal


def test_augmented_assignment_into_a_view_of_a_constant_reaches_the_buffer():
    # buf[:2] += w updates buf in place with or without a transform, and differentiates.
    def f(w):
        buf = cr.tensor(np.zeros(3))
        row = buf[:2]
        row += w
        return cnp.sum(buf * buf)

    w0 = np.array([1.0, 2.0])
    value, g = cr.value_and_grad(f)(w0)
    assert value == pytest.approx(5.0) == pytest.approx(float(f(cr.tensor(w0)).data))
    np.testing.assert_allclose(g, 2 * w0)
    assert gradcheck(f, w0, order=2)


def test_augmented_multiplication_of_a_constant_reads_its_old_values():
    def f(w):
        buf = cr.tensor(np.array([2.0, 3.0, 4.0]))
        buf *= w
        return cnp.sum(buf * buf)

    w0 = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(cr.grad(f)(w0), 2 * w0 * np.array([2.0, 3.0, 4.0]) ** 2)


def test_vmap_of_a_function_writing_a_constant_into_its_result():
    # Under cr.vmap the write is an operation of the trace, replayed for every example.
    def f(x):
        y = x * 1
        y[0] = 5.0
        y[1:] = y[1:] * 2
        return y

    xs = np.arange(9.0).reshape(3, 3)
    want = np.stack([f(cr.tensor(x)).data for x in xs])
    np.testing.assert_array_equal(cr.vmap(f)(xs), want)


def test_a_write_into_a_copying_reshape_changes_only_the_copy():
    x = cr.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    w = cr.tensor(10.0, requires_grad=True)
    y = x * 1
    z = y.T.reshape(-1)  # a copy in NumPy
    z[1] = w
    want = np.arange(6.0).reshape(2, 3).T.reshape(-1)
    want[1] = 10.0
    np.testing.assert_array_equal(y.data, np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(z.data, want)
    z.sum().backward()
    assert float(w.grad.data) == 1.0
    np.testing.assert_array_equal(x.grad.data.ravel(), [1.0, 1.0, 1.0, 0.0, 1.0, 1.0])


def test_views_survive_copies_and_pickling_without_their_links():
    import copy
    import pickle

    base = cr.tensor(np.zeros(4))
    v = base[1:]
    for c in (copy.deepcopy(base), pickle.loads(pickle.dumps(base))):
        assert list(c._views or ()) == []
    assert list(base._views) == [v]


def test_what_a_tensor_was_is_kept_only_until_a_backward_pass_frees_the_graph():
    w = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for step in range(5):
        h = w * 1.0
        h[0] = w[0] * step  # two writes per step into one tensor of the graph
        h[1] = w[1] * 2
        kept = h._history
        (h * h).sum().backward()
    assert len(kept) == 2
    h[2] = w[2]  # after a freeing pass, a new write starts the history afresh
    assert len(h._history) == 1
    assert w.grad.data.tolist() == [2 * sum(s * s for s in range(5)), 5 * 16.0, 5 * 6.0]
