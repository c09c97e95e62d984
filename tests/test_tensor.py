"""The Tensor API: construction, array facts, leaving the graph, operators, indexing, in place."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

F32 = np.float32


# ------------------------------------------------------------------ construction
def test_tensor_copies_its_input():
    a = np.array([1.0, 2.0, 3.0])
    for make in (cr.tensor, cr.Tensor):
        t = make(a)
        a[0] = 100.0
        assert t.data[0] == 1.0
        a[0] = 1.0
    lst = [[1.0, 2.0], [3.0, 4.0]]
    t = cr.tensor(lst)
    lst[0][0] = 9.0
    assert t.data[0, 0] == 1.0
    u = cr.tensor(t)
    t.data[0, 0] = 7.0
    assert u.data[0, 0] == 1.0


@pytest.mark.parametrize(
    "data, dtype, expected",
    [
        ([1.0, 2.0], None, np.float64),
        (np.array([1.0], F32), None, np.float32),
        (np.float32(2.5), None, np.float32),
        (2.5, None, np.float64),
        ([1, 2], None, np.int64),
        ([True, False], None, np.bool_),
        ([1, 2], "float32", np.float32),
        (np.array([1.0], F32), np.float64, np.float64),
    ],
)
def test_tensor_dtype_follows_numpy_or_the_argument(data, dtype, expected):
    assert cr.tensor(data, dtype=dtype).dtype == expected
    assert cr.Tensor(data, dtype=dtype).dtype == expected


@pytest.mark.parametrize("data", [[1, 2], np.arange(3), [True, False], np.array(3)])
def test_requires_grad_on_integer_or_bool_data_is_a_clear_type_error(data):
    with pytest.raises(TypeError, match=r"only floating-point tensors can require grad.*dtype"):
        cr.tensor(data, requires_grad=True)
    with pytest.raises(TypeError, match="floating-point"):
        cr.Tensor(data, requires_grad=True)
    with pytest.raises(TypeError, match="floating-point"):
        cr.tensor(data).requires_grad_()


def test_ragged_input_gives_chainrules_error():
    with pytest.raises(TypeError, match="ragged"):
        cr.tensor([[1.0, 2.0], [3.0]])


# ----------------------------------------------------------------- array facts
def test_shape_dtype_ndim_size_and_transpose():
    x = cr.tensor(np.zeros((2, 3, 4), F32))
    assert x.shape == (2, 3, 4)
    assert x.dtype == np.float32
    assert x.ndim == 3
    assert x.size == 24
    assert x.T.shape == (4, 3, 2)
    m = cr.tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(m.T.data, np.arange(6.0).reshape(2, 3).T)
    assert cr.tensor(1.5).T.shape == ()
    assert len(m) == 2


def test_data_numpy_item_float():
    a = np.array([[1.5, 2.0]])
    x = cr.tensor(a, requires_grad=True)
    assert isinstance(x.data, np.ndarray)
    np.testing.assert_array_equal(x.data, a)
    assert x.numpy() is x.data
    assert cr.tensor([[2.5]]).item() == 2.5
    assert isinstance(cr.tensor([[2.5]]).item(), float)
    assert float(cr.tensor(np.float32(0.25))) == 0.25
    assert int(cr.tensor(3)) == 3
    with pytest.raises(ValueError, match=r"item\(\) needs a tensor with one element.*\(1, 2\)"):
        x.item()


def test_np_asarray_of_a_tensor_and_of_its_grad():
    x = cr.tensor(np.array([1.0, 2.0], F32), requires_grad=True)
    (x * x).sum().backward()
    g = np.asarray(x.grad)
    assert isinstance(g, np.ndarray)
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g, [2.0, 4.0])
    np.testing.assert_array_equal(np.asarray(x), [1.0, 2.0])
    assert np.asarray(x, dtype=np.float64).dtype == np.float64


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (1,), (3,), (2, 1, 3)])
def test_grad_has_the_shape_and_dtype_of_its_tensor(dtype, shape):
    x = cr.tensor(np.ones(shape, dtype), requires_grad=True)
    b = cr.tensor(np.ones((4, *shape), dtype), requires_grad=True)
    (cr.tanh(x * b) * 3.0).sum().backward()
    for t in (x, b):
        assert isinstance(t.grad, cr.Tensor)
        assert t.grad.shape == t.shape
        assert t.grad.dtype == dtype
        assert not t.grad.requires_grad


def test_grad_can_be_reset_to_none():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    (w * 3).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [3.0, 3.0])
    w.grad = None
    assert w.grad is None
    (w * 5).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [5.0, 5.0])


def test_detach_shares_data_and_leaves_the_graph():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad
    assert d.is_leaf
    assert d.data is y.data
    z = (d * x).sum()
    z.backward()
    # d is a constant: only the direct use of x contributes.
    np.testing.assert_array_equal(x.grad.data, y.data)


def test_astype_between_float_dtypes_is_differentiable():
    x = cr.tensor([1.5, 2.5], requires_grad=True)
    y = x.astype(np.float32)
    assert y.requires_grad and y.dtype == np.float32
    (y * 2).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])


@pytest.mark.parametrize("dtype", [np.int64, np.bool_])
def test_astype_to_int_or_bool_carries_no_gradient(dtype):
    x = cr.tensor([1.7, 2.2], requires_grad=True)
    y = x.astype(dtype)
    assert not y.requires_grad


def test_leaf_and_grad_fn():
    x = cr.tensor([1.0], requires_grad=True)
    assert x.is_leaf and x.grad_fn is None
    y = cr.exp(x)
    assert not y.is_leaf and y.grad_fn == "exp"


# ------------------------------------------------------------------- operators
def np_and_tensor(dtype=np.float64):
    rng = np.random.default_rng(3)
    a = rng.uniform(0.5, 2.0, size=(2, 3)).astype(dtype)
    return a, cr.tensor(a, requires_grad=True)


OPERATORS = {
    # name: (expression on a tensor x, same expression on the array a, d/dx elementwise)
    "2 * x": (lambda x: 2 * x, lambda a: 2 * a, lambda a: 2 + 0 * a),
    "x * 2": (lambda x: x * 2, lambda a: a * 2, lambda a: 2 + 0 * a),
    "x + 1.5": (lambda x: x + 1.5, lambda a: a + 1.5, lambda a: 1 + 0 * a),
    "1.5 + x": (lambda x: 1.5 + x, lambda a: 1.5 + a, lambda a: 1 + 0 * a),
    "x - 1": (lambda x: x - 1, lambda a: a - 1, lambda a: 1 + 0 * a),
    "1 - x": (lambda x: 1 - x, lambda a: 1 - a, lambda a: -1 + 0 * a),
    "x / 4": (lambda x: x / 4, lambda a: a / 4, lambda a: 0.25 + 0 * a),
    "4 / x": (lambda x: 4 / x, lambda a: 4 / a, lambda a: -4 / a**2),
    "x ** 2": (lambda x: x**2, lambda a: a**2, lambda a: 2 * a),
    "x ** 0.5": (lambda x: x**0.5, lambda a: a**0.5, lambda a: 0.5 / np.sqrt(a)),
    "2 ** x": (lambda x: 2**x, lambda a: 2**a, lambda a: np.log(2) * 2**a),
    "-x": (lambda x: -x, lambda a: -a, lambda a: -1 + 0 * a),
    "+x": (lambda x: +x, lambda a: +a, lambda a: 1 + 0 * a),
    "abs(-x)": (lambda x: abs(-x), lambda a: abs(-a), lambda a: 1 + 0 * a),
    "x * x": (lambda x: x * x, lambda a: a * a, lambda a: 2 * a),
    "x / x**3": (lambda x: x / x**3, lambda a: a / a**3, lambda a: -2 / a**3),
    # NumPy values on either side.
    "x / arr": (lambda x: x / ARR, lambda a: a / ARR, lambda a: 1 / ARR + 0 * a),
    "arr - x": (lambda x: ARR - x, lambda a: ARR - a, lambda a: -1 + 0 * a),
    "arr * x": (lambda x: ARR * x, lambda a: ARR * a, lambda a: ARR + 0 * a),
    "arr / x": (lambda x: ARR / x, lambda a: ARR / a, lambda a: -ARR / a**2),
    "x + row": (lambda x: x + ARR[0], lambda a: a + ARR[0], lambda a: 1 + 0 * a),
    "np.float64 * x": (lambda x: np.float64(3) * x, lambda a: 3 * a, lambda a: 3 + 0 * a),
    "x ** np.float64": (lambda x: x ** np.float64(3), lambda a: a**3, lambda a: 3 * a**2),
}
ARR = np.array([[1.0, 2.0, 4.0], [0.5, 8.0, 0.25]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_operators_with_tensors_arrays_and_scalars(name, dtype):
    tensor_expr, array_expr, derivative = OPERATORS[name]
    a, x = np_and_tensor(dtype)
    y = tensor_expr(x)
    assert isinstance(y, cr.Tensor)
    assert y.dtype == dtype, f"{name} turned {dtype.__name__} into {y.dtype}"
    a64 = a.astype(np.float64)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y.data, array_expr(a64), rtol=tol)
    y.sum().backward()
    assert x.grad.dtype == dtype
    np.testing.assert_allclose(x.grad.data, derivative(a64), rtol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matmul_operator_with_tensors_and_arrays(dtype):
    rng = np.random.default_rng(4)
    x = cr.tensor(rng.standard_normal((2, 3)).astype(dtype), requires_grad=True)
    w = cr.tensor(rng.standard_normal((3, 4)).astype(dtype), requires_grad=True)
    y = x @ w
    assert y.dtype == dtype
    np.testing.assert_allclose(y.data, x.data @ w.data, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, np.ones((2, 4)) @ w.data.T, rtol=1e-6)
    np.testing.assert_allclose(w.grad.data, x.data.T @ np.ones((2, 4)), rtol=1e-6)
    assert x.grad.dtype == w.grad.dtype == dtype
    m = rng.standard_normal((4, 2))
    left = m @ x
    right = x @ m[:3]
    assert isinstance(left, cr.Tensor) and isinstance(right, cr.Tensor)
    np.testing.assert_allclose(left.data, m @ x.data, rtol=1e-6)
    np.testing.assert_allclose(right.data, x.data @ m[:3], rtol=1e-6)


def test_operators_between_two_tensors_give_both_gradients():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = cr.tensor([3.0, 5.0], requires_grad=True)
    ((x * y) + (x / y) - (y**x)).sum().backward()
    np.testing.assert_allclose(x.grad.data, y.data + 1 / y.data - y.data**x.data * np.log(y.data))
    np.testing.assert_allclose(
        y.grad.data, x.data - x.data / y.data**2 - x.data * y.data ** (x.data - 1)
    )


@pytest.mark.parametrize(
    "op",
    [
        lambda x: x < 1.5,
        lambda x: x <= 1.5,
        lambda x: x > 1.5,
        lambda x: x >= 1.5,
        lambda x: x == 2.0,
        lambda x: x != 2.0,
        lambda x: 1.5 < x,
        lambda x: np.array([1.0, 2.0, 5.0]) < x,
        lambda x: x > cr.tensor([0.0, 3.0, 1.0]),
        lambda x: ~(x > 1.5),
        lambda x: (x > 1.5) & (x < 2.5),
        lambda x: (x < 1.5) | (x > 2.5),
    ],
)
def test_comparisons_return_non_differentiable_bool_tensors(op):
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    c = op(x)
    assert isinstance(c, cr.Tensor)
    assert c.dtype == np.bool_
    assert not c.requires_grad
    assert c.grad_fn is None
    np.testing.assert_array_equal(c.data, op(x.data))


# -------------------------------------------------------------------- indexing
@pytest.mark.parametrize(
    "index",
    [
        1,
        -1,
        (slice(None), 2),
        (slice(1, None), slice(None, None, -2)),
        (Ellipsis, 0),
        (None, 0),
        ([0, 0, 2],),
        ([2, 0, 2], [1, 1, 1]),
        (slice(None), [3, 3, 0]),
        np.array([[0, 1], [1, 1]]),
        np.array([True, False, True]),
    ],
)
def test_indexing_values_and_scatter_add_gradients(index):
    a = np.arange(12.0).reshape(3, 4)
    x = cr.tensor(a, requires_grad=True)
    y = x[index]
    np.testing.assert_array_equal(y.data, a[index])
    w = np.random.default_rng(5).standard_normal(y.shape)
    (y * w).sum().backward()
    expected = np.zeros_like(a)
    np.add.at(expected, index, w)
    np.testing.assert_allclose(x.grad.data, expected)


def test_indexing_with_tensor_indices():
    x = cr.tensor(np.arange(5.0), requires_grad=True)
    i = cr.tensor([4, 4, 1])
    y = x[i]
    np.testing.assert_array_equal(y.data, [4.0, 4.0, 1.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0, 1, 0, 0, 2])
    assert x[cr.tensor(2)].item() == 2.0


# -------------------------------------------------------------------- in place
def test_sgd_step_in_place_under_no_grad_on_a_leaf():
    w = cr.tensor([1.0, -2.0], requires_grad=True)
    buffer = w.data
    (w * w).sum().backward()
    lr = 0.1
    with cr.no_grad():
        w -= lr * w.grad
    assert w.data is buffer  # updated in place, same tensor
    np.testing.assert_allclose(w.data, [0.8, -1.6])
    assert w.requires_grad and w.is_leaf
    w.grad = None
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad.data, [1.6, -3.2])


def test_in_place_ops_under_no_grad_keep_float32():
    w = cr.tensor(np.array([1.0, 2.0], F32), requires_grad=True)
    with cr.no_grad():
        w -= np.float64(0.5) * cr.tensor(np.array([1.0, 1.0], F32))
        w *= 2.0
        w /= np.array([2.0, 4.0])
        w += 1
    assert w.dtype == np.float32
    np.testing.assert_allclose(w.data, [1.5, 1.75])


@pytest.mark.parametrize(
    "update",
    [
        lambda w: w.__isub__(0.1),
        lambda w: w.__iadd__(cr.tensor([1.0, 1.0])),
        lambda w: w.__imul__(2.0),
        lambda w: w.__itruediv__(2.0),
    ],
)
def test_in_place_on_a_leaf_that_requires_grad_outside_no_grad_is_an_error(update):
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"in-place update of a leaf.*cr\.no_grad\(\)"):
        update(w)
    np.testing.assert_array_equal(w.data, [1.0, 2.0])


def test_item_assignment_into_a_tensor_that_requires_grad_is_an_error():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="item assignment"):
        w[0] = 5.0
    with cr.no_grad():
        w[0] = 5.0
    np.testing.assert_array_equal(w.data, [5.0, 2.0])


def test_augmented_assignment_on_a_non_leaf_is_recorded_out_of_place():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    before = y
    y += x
    assert y is not before
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])


def test_tensors_pickle_and_copy_after_a_detach():
    # detach() groups the tensors over one buffer with weak references, which pickle
    # refused ("cannot pickle 'weakref.ReferenceType'"), so a model whose weights had been
    # detached once (for a norm, a pruning mask) could not be pickled.
    import copy
    import pickle

    import chainrule.torch as torch

    model = torch.nn.Linear(3, 2)
    model.weight.detach().norm()
    again = pickle.loads(pickle.dumps(model))
    assert type(again.weight).__name__ == "Parameter" and again.weight.requires_grad
    assert np.array_equal(again.weight.detach().numpy(), model.weight.detach().numpy())
    twin = copy.deepcopy(model)
    with torch.no_grad():
        twin.weight.add_(1.0)  # a copy has its own buffer: the original is unchanged
    assert np.allclose(twin.weight.detach().numpy(), model.weight.detach().numpy() + 1)
    t = cr.tensor(np.ones(3), requires_grad=True)
    t.detach()
    assert pickle.loads(pickle.dumps(t)).requires_grad
