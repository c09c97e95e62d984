"""Graph behaviour: recording, accumulation, freeing, higher order, dtype, in-place checks,
memory, and the error messages a user sees."""

from __future__ import annotations

import itertools
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import graph, rules
from chainrule.backward import backward
from chainrule.gradcheck import gradcheck

SETTINGS_DAG = settings(max_examples=60, deadline=None, derandomize=True)

F32 = np.float32


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def graph_nodes(out):
    """Every recorded tensor in the graph that produced `out`."""
    nodes, seen, stack = [], set(), [out]
    while stack:
        t = stack.pop()
        if id(t) in seen or not graph.is_tensor(t) or t._prim is None:
            continue
        seen.add(id(t))
        nodes.append(t)
        stack.extend(t._args)
    return nodes


# -------------------------------------------------------------------- grad mode
def test_no_grad_records_nothing():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with cr.no_grad():
        assert not cr.is_grad_enabled()
        y = cr.tanh(x @ x) * 3 + cr.sum(x[[0, 0]])
    assert cr.is_grad_enabled()
    assert not y.requires_grad
    assert y._prim is None and y.grad_fn is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_enable_grad_inside_no_grad_and_set_grad_enabled_as_decorator():
    x = cr.tensor([1.0], requires_grad=True)
    with cr.no_grad():
        with cr.enable_grad():
            y = x * 2
        z = x * 2
    assert y.requires_grad and y.grad_fn == "multiply"
    assert not z.requires_grad

    @cr.set_grad_enabled(False)
    def f(t):
        return t * 3

    assert not f(x).requires_grad
    assert cr.is_grad_enabled()


def test_no_grad_is_restored_after_an_exception():
    with pytest.raises(ValueError), cr.no_grad():
        raise ValueError("inside")
    assert cr.is_grad_enabled()


# ------------------------------------------------------------------ accumulation
def test_a_tensor_used_several_times_accumulates_its_gradient():
    x = cr.tensor([1.5, -2.0], requires_grad=True)
    y = x * x + 3 * x + cr.sin(x) * x
    y.sum().backward()
    a = x.data
    np.testing.assert_allclose(x.grad.data, 2 * a + 3 + np.cos(a) * a + np.sin(a))


def test_gradients_accumulate_across_backward_calls():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    first = x.grad
    (3 * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * x.data + 3)
    assert x.grad is first  # accumulated in place into the same tensor
    x.grad = None
    (3 * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 3.0])


def test_two_leaves_never_share_a_gradient_buffer():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = cr.tensor([3.0, 4.0], requires_grad=True)
    ((x + y) * 2).sum().backward()
    (x * 10).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [12.0, 12.0])
    np.testing.assert_array_equal(y.grad.data, [2.0, 2.0])


def test_the_callers_gradient_array_is_never_modified():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    v = np.array([1.0, 1.0])
    (x + 0).backward(v)
    (x * 3).sum().backward()
    np.testing.assert_array_equal(v, [1.0, 1.0])
    np.testing.assert_array_equal(x.grad.data, [4.0, 4.0])


def test_a_shared_intermediate_gets_the_sum_of_its_consumers_gradients():
    x = cr.tensor([0.5, 1.0], requires_grad=True)
    h = cr.exp(x)
    (h * 2 + h * h).sum().backward()
    e = np.exp(x.data)
    np.testing.assert_allclose(x.grad.data, (2 + 2 * e) * e)


@pytest.mark.parametrize(
    "shape_x, shape_y",
    [((3, 4), (4,)), ((3, 1), (1, 4)), ((), (2, 3)), ((2, 1, 3), (4, 1)), ((1,), (5,))],
)
def test_broadcast_gradients_are_summed_back_to_each_input_shape(shape_x, shape_y):
    rng = np.random.default_rng(6)
    x = cr.tensor(rng.standard_normal(shape_x), requires_grad=True)
    y = cr.tensor(rng.standard_normal(shape_y), requires_grad=True)
    w = rng.standard_normal(np.broadcast_shapes(shape_x, shape_y))
    (x * y * w).sum().backward()
    assert x.grad.shape == shape_x and y.grad.shape == shape_y
    np.testing.assert_allclose(x.grad.data, sum_to(y.data * w, shape_x))
    np.testing.assert_allclose(y.grad.data, sum_to(x.data * w, shape_y))


def sum_to(a, shape):
    """Sum `a` over the leading axes it has beyond `shape` and the axes where `shape` has 1."""
    a = a.sum(axis=tuple(range(a.ndim - len(shape))))
    return a.sum(axis=tuple(i for i, s in enumerate(shape) if s == 1), keepdims=True)


# ---------------------------------------------------------------- depth, freeing
def test_a_chain_of_100000_operations_backpropagates():
    x = cr.tensor(0.5, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.00001
    y.backward()
    np.testing.assert_allclose(x.grad.item(), 1.00001**100_000, rtol=1e-9)
    # Dropping such a chain without backward must not overflow the stack either.
    y = x
    for _ in range(100_000):
        y = y + 1.0
    del y


def test_the_graph_is_freed_after_backward():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = (cr.tanh(x) * 2).sum()
    y.backward()
    with pytest.raises(cr.GraphFreedError, match="retain_graph=True"):
        y.backward()
    # Through a shared, already-freed part of the graph as well.
    h = cr.exp(x)
    h.sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        (h * 3).sum().backward()


def test_retain_graph_allows_a_second_backward():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = (cr.tanh(x) * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.data, 2 * 2 * (1 - np.tanh(x.data) ** 2))


def test_freed_nodes_release_their_inputs():
    x = cr.tensor(np.ones(3), requires_grad=True)
    y = cr.exp(x * 2)
    loss = y.sum()
    loss.backward()
    assert y._args is None and y._vals is None
    # A node whose backward reads no values (sum, as PyTorch's nodes without saved
    # tensors) stays; what it reaches is freed.
    assert loss._args is not None


def test_backward_again_through_nodes_that_need_no_values():
    # A reshape/transpose/add of a parameter made once, outside the loop, and used by
    # every step's loss: each backward runs through it again, as in PyTorch.
    w = cr.tensor(np.ones((2, 3)), requires_grad=True)
    wt = cr.transpose(w) + 1.0
    c = np.array([[1.0], [2.0], [3.0]])
    for _ in range(3):
        (wt * c).sum().backward()
    np.testing.assert_array_equal(w.grad.data, 3 * np.broadcast_to(c.T, (2, 3)))
    # concatenate and constant padding read only shapes (PyTorch's Cat/ConstantPad keep
    # no tensors either)
    w.grad = None
    joined = cr.numpy.pad(cr.numpy.concatenate([w, w - 1.0]), ((0, 1), (1, 0)))
    for _ in range(2):
        joined.sum().backward(retain_graph=False)
    np.testing.assert_array_equal(w.grad.data, np.full((2, 3), 4.0))
    # Through a node that needed its input's values, the second backward refuses.
    h = cr.exp(w) + 1.0
    h.sum().backward()
    with pytest.raises(cr.GraphFreedError, match="'exp'"):
        h.sum().backward()


# ---------------------------------------------------------------- higher order
def second_derivative(f, x, r):
    """(H r) for the scalar function f at x, through backward(create_graph=True)."""
    xt = cr.tensor(x, requires_grad=True)
    f(xt).backward(create_graph=True)
    g = xt.grad
    assert g.requires_grad
    xt.grad = None
    (g * r).sum().backward()
    return g.data, xt.grad.data


def test_grad_of_grad_tanh():
    rng = np.random.default_rng(7)
    x, r = rng.standard_normal(5), rng.standard_normal(5)
    g, hr = second_derivative(lambda t: cr.tanh(t).sum(), x, r)
    th = np.tanh(x)
    np.testing.assert_allclose(g, 1 - th**2, rtol=1e-12)
    np.testing.assert_allclose(hr, -2 * th * (1 - th**2) * r, rtol=1e-12)


def test_grad_of_grad_softmax():
    rng = np.random.default_rng(8)
    x, w, r = rng.standard_normal(5), rng.standard_normal(5), rng.standard_normal(5)
    g, hr = second_derivative(lambda t: (cr.softmax(t) * w).sum(), x, r)
    s = np_softmax(x)
    wbar = s @ w
    np.testing.assert_allclose(g, s * (w - wbar), rtol=1e-12)
    # d/dx_k [s_j (w_j - wbar)] = s_j (d_jk - s_k)(w_j - wbar) - s_j s_k (w_k - wbar)
    hessian = (np.diag(s) - np.outer(s, s)) * (w - wbar)[:, None] - np.outer(s, s * (w - wbar))
    np.testing.assert_allclose(hr, hessian @ r, rtol=1e-10, atol=1e-14)


def test_grad_of_grad_log_softmax():
    rng = np.random.default_rng(9)
    x, w, r = rng.standard_normal(5), rng.standard_normal(5), rng.standard_normal(5)
    g, hr = second_derivative(lambda t: (cr.log_softmax(t) * w).sum(), x, r)
    s = np_softmax(x)
    np.testing.assert_allclose(g, w - s * w.sum(), rtol=1e-12)
    hessian = -w.sum() * (np.diag(s) - np.outer(s, s))
    np.testing.assert_allclose(hr, hessian @ r, rtol=1e-10, atol=1e-14)


def test_grad_of_grad_matmul():
    rng = np.random.default_rng(10)
    a = cr.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    b = cr.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    w, r = rng.standard_normal((2, 4)), rng.standard_normal((2, 3))
    ((a @ b) * w).sum().backward(create_graph=True)
    ga = a.grad
    np.testing.assert_allclose(ga.data, w @ b.data.T, rtol=1e-12)
    a.grad = b.grad = None
    (ga * r).sum().backward()
    # sum(r * (w b^T)) is linear in b with gradient r^T w, and does not depend on a.
    np.testing.assert_allclose(b.grad.data, r.T @ w, rtol=1e-12)
    assert a.grad is None or np.all(a.grad.data == 0)


def test_grad_of_grad_power():
    rng = np.random.default_rng(11)
    x = cr.tensor(rng.uniform(0.5, 2.0, 4), requires_grad=True)
    p = cr.tensor(rng.uniform(-2.0, 3.0, 4), requires_grad=True)
    (x**p).sum().backward(create_graph=True)
    gx, gp = x.grad, p.grad
    a, q = x.data, p.data
    np.testing.assert_allclose(gx.data, q * a ** (q - 1), rtol=1e-12)
    np.testing.assert_allclose(gp.data, a**q * np.log(a), rtol=1e-12)
    rx, rp = rng.standard_normal(4), rng.standard_normal(4)
    x.grad = p.grad = None
    ((gx * rx).sum() + (gp * rp).sum()).backward()
    lg = np.log(a)
    dx = rx * q * (q - 1) * a ** (q - 2) + rp * (q * a ** (q - 1) * lg + a ** (q - 1))
    dp = rx * (a ** (q - 1) + q * a ** (q - 1) * lg) + rp * a**q * lg**2
    np.testing.assert_allclose(x.grad.data, dx, rtol=1e-12)
    np.testing.assert_allclose(p.grad.data, dp, rtol=1e-12)
    # A constant exponent: d2/dx2 x^3 = 6x.
    _, hr = second_derivative(lambda t: (t**3).sum(), a, np.ones(4))
    np.testing.assert_allclose(hr, 6 * a, rtol=1e-12)


def test_create_graph_gradient_of_a_scalar_product_through_third_order():
    x = cr.tensor(0.7, requires_grad=True)
    (g1,) = backward(cr.sin(x) * x, create_graph=True, inputs=[x])
    (g2,) = backward(g1, create_graph=True, inputs=[x])
    (g3,) = backward(g2, inputs=[x])
    a = 0.7
    np.testing.assert_allclose(g1.item(), np.cos(a) * a + np.sin(a), rtol=1e-12)
    np.testing.assert_allclose(g2.item(), -np.sin(a) * a + 2 * np.cos(a), rtol=1e-12)
    np.testing.assert_allclose(g3.item(), -np.cos(a) * a - 3 * np.sin(a), rtol=1e-12)


# ------------------------------------------------------------------------ dtype
def mlp_loss(dtype):
    rng = np.random.default_rng(12)
    X = rng.standard_normal((8, 5)).astype(dtype)
    labels = rng.integers(0, 3, size=8)
    w1 = cr.tensor(rng.standard_normal((5, 4)).astype(dtype) * 0.5, requires_grad=True)
    b1 = cr.tensor(np.zeros(4, dtype), requires_grad=True)
    w2 = cr.tensor(rng.standard_normal((4, 3)).astype(dtype) * 0.5, requires_grad=True)
    params = [w1, b1, w2]
    # Python floats and np.float64 constants on purpose: neither may upcast float32 work.
    h = cr.tanh(cr.tensor(X) @ w1 + b1) * np.float64(1.5) + 0.1
    h = cr.gelu(h) + cr.relu(h) * 0.5 + cr.sigmoid(h) / np.float64(3.0) - h**2 * 0.01
    logits = h @ w2 - np.float64(0.25) * cr.logsumexp(h, axis=1, keepdims=True)
    loss = cr.cross_entropy(logits, labels) + 1e-3 * (w1 * w1).sum() + cr.mse_loss(h, h * 0.9)
    loss = loss + np.mean(X) * cr.softmax(logits, axis=-1).max()
    return loss, params


def test_float32_stays_float32_end_to_end_through_an_mlp():
    loss, params = mlp_loss(np.float32)
    float_nodes = [n for n in graph_nodes(loss) if n.dtype.kind == "f"]
    assert len(float_nodes) > 20
    upcast = {n.grad_fn for n in float_nodes if n.dtype != np.float32}
    assert not upcast, f"operations that produced float64 from float32 inputs: {upcast}"
    loss.backward()
    for p in params:
        assert p.grad.dtype == np.float32
        assert np.all(np.isfinite(p.grad.data))


def test_float32_gradients_match_float64_ones():
    loss32, params32 = mlp_loss(np.float32)
    loss64, params64 = mlp_loss(np.float64)
    loss32.backward()
    loss64.backward()
    assert loss32.dtype == np.float32 and loss64.dtype == np.float64
    np.testing.assert_allclose(loss32.item(), loss64.item(), rtol=1e-5)
    for p32, p64 in zip(params32, params64, strict=True):
        assert p64.grad.dtype == np.float64
        np.testing.assert_allclose(p32.grad.data, p64.grad.data, rtol=2e-3, atol=1e-5)


def test_float32_second_order_stays_float32():
    x = cr.tensor(np.array([0.3, -0.8], F32), requires_grad=True)
    (cr.tanh(x) * np.float64(2.0)).sum().backward(create_graph=True)
    g = x.grad
    assert g.dtype == np.float32
    upcast = {n.grad_fn for n in graph_nodes(g) if n.dtype.kind == "f" and n.dtype != F32}
    assert not upcast
    x.grad = None
    g.sum().backward()
    assert x.grad.dtype == np.float32


# ------------------------------------------------------------- in-place checks
def test_in_place_change_of_a_leaf_used_in_the_graph_is_an_error():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    with cr.no_grad():
        w += 1
    with pytest.raises(RuntimeError, match=r"'multiply' .*modified in place"):
        loss.backward()


def test_in_place_change_of_a_non_leaf_used_in_the_graph_is_an_error():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    loss = cr.sin(h).sum()
    with cr.no_grad():
        h += 1
    with pytest.raises(RuntimeError, match=r"'sin' \(shape \(2,\)\) was modified in place"):
        loss.backward()


def test_in_place_change_after_backward_is_fine():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with cr.no_grad():
        w -= 0.25 * w.grad
    w.grad = None
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad.data, [1.0, 2.0])


def test_in_place_change_of_an_unrelated_tensor_is_fine():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    other = cr.tensor([5.0])
    loss = (w * w).sum()
    with cr.no_grad():
        other += 1
    loss.backward()
    np.testing.assert_allclose(w.grad.data, [2.0, 4.0])


def test_in_place_change_of_an_output_that_its_rule_reads_is_an_error():
    x = cr.tensor([0.5, 1.0], requires_grad=True)
    y = cr.exp(x)  # exp's VJP is g * ans: it needs y unchanged
    with cr.no_grad():
        y += 1
    with pytest.raises(RuntimeError, match="modified in place"):
        y.sum().backward()


def test_in_place_change_through_a_detached_alias_is_an_error():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    alias = w.detach()
    alias += 1  # modifies w's buffer, which multiply's rule reads
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


# ----------------------------------------------------------------------- memory
def test_training_steps_do_not_grow_memory():
    rng = np.random.default_rng(13)
    w = cr.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    x, y = rng.standard_normal((8, 4)), rng.standard_normal((8, 3))

    def step():
        loss = cr.mse_loss(cr.tanh(x @ w), y)
        loss.backward()
        with cr.no_grad():
            w.__isub__(0.01 * w.grad)
        w.grad = None

    tracemalloc.start()
    try:
        for _ in range(1_000):
            step()
        after_1000 = tracemalloc.get_traced_memory()[0]
        for _ in range(9_000):
            step()
        after_10000 = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    # A leaked graph would cost kilobytes per step (tens of MB here); the tolerance
    # covers interpreter free lists and caches, which are bounded.
    assert after_10000 - after_1000 < 256 * 1024, (after_1000, after_10000)


def test_log_softmax_backward_over_a_million_classes_uses_linear_memory():
    n = 1_000_000
    rng = np.random.default_rng(14)
    x = cr.tensor(rng.standard_normal(n), requires_grad=True)
    v = rng.standard_normal(n)
    tracemalloc.start()
    try:
        cr.log_softmax(x).backward(v)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # A dense Jacobian would be n * n * 8 bytes = 8 TB; O(n) is a few n * 8 byte arrays.
    assert peak < 200 * 2**20, f"peak {peak / 2**20:.0f} MiB"
    s = np_softmax(x.data)
    np.testing.assert_allclose(x.grad.data, v - s * v.sum(), atol=1e-12)


# ----------------------------------------------------------------------- errors
def test_matmul_shape_mismatch_names_the_operation_and_both_shapes():
    a = cr.tensor(np.ones((3, 4)), requires_grad=True)
    with pytest.raises(ValueError, match=r"matmul: shapes \(3, 4\) and \(5, 2\) are not aligned"):
        a @ cr.tensor(np.ones((5, 2)))
    with pytest.raises(ValueError, match=r"matmul: .*\(3, 4\).*\(5,\)"):
        a @ np.ones(5)


def test_backward_on_a_non_scalar_without_grad_says_so():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(2,\) needs a gradient argument"):
        (x * 2).backward()
    with pytest.raises(ValueError, match=r"gradient of shape \(3,\).*shape \(2,\)"):
        (x * 2).backward(np.ones(3))
    (x * 2).backward(np.array([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad.data, [2.0, 20.0])


_unique_names = (f"test_graph_no_rule_{i}" for i in itertools.count())


@pytest.fixture
def ruleless_primitive():
    """A test-only primitive with a forward and no VJP rule, removed again afterwards."""
    name = next(_unique_names)
    while name in rules.REGISTRY:
        name = next(_unique_names)
    p = rules.primitive(name, lambda x, y: x * y + 1)
    yield p
    del rules.REGISTRY[name]


def test_a_primitive_without_a_rule_names_the_primitive(ruleless_primitive):
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = ruleless_primitive(x, 3.0)
    assert y.requires_grad
    with pytest.raises(NotImplementedError, match=f"'{ruleless_primitive.name}' has no gradient"):
        y.sum().backward()


def test_a_primitive_with_a_rule_for_one_argument_only_names_the_other(ruleless_primitive):
    ruleless_primitive.defvjp(lambda g, ans, x, y: g * y)
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = cr.tensor([3.0, 4.0], requires_grad=True)
    ruleless_primitive(x, y.detach()).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 4.0])
    with pytest.raises(NotImplementedError, match="no gradient rule for its argument 1"):
        ruleless_primitive(x, y).sum().backward()


def test_broadcast_mismatch_names_the_operation_and_the_shapes():
    a = cr.tensor(np.ones((3, 4)), requires_grad=True)
    with pytest.raises(ValueError, match=r"add: .*\(3, ?4\).*\(5,\)"):
        a + cr.tensor(np.ones(5))
    with pytest.raises(ValueError, match=r"multiply: .*\(3, ?4\).*\(2, ?4\)"):
        np.ones((2, 4)) * a
    with pytest.raises(ValueError, match=r"where: .*shapes"):
        cr.where(np.ones(2, bool), a, 0.0)


def test_backward_on_a_tensor_that_does_not_require_grad_says_why():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (cr.tensor([1.0]) * 2).sum().backward()


# ------------------------------------------------------------------ views in place
@pytest.mark.parametrize(
    "make_view",
    [
        lambda a: a[0:2],
        lambda a: a.reshape(3, 1),
        lambda a: a.T,
        lambda a: a.flip(0),
    ],
    ids=["slice", "reshape", "transpose", "flip"],
)
def test_in_place_write_through_a_view_is_an_error(make_view):
    a = cr.tensor([1.0, 2.0, 3.0])
    w = cr.tensor([1.0, 1.0, 1.0], requires_grad=True)
    loss = (w * a).sum()
    v = make_view(a)
    with cr.no_grad():
        v += 10  # writes into a's buffer, which multiply's rule reads
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


def test_in_place_write_to_a_base_is_seen_through_its_view():
    a = cr.tensor([1.0, 2.0, 3.0])
    w = cr.tensor([1.0, 1.0], requires_grad=True)
    loss = (w * a[0:2]).sum()
    with cr.no_grad():
        a += 1
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


def test_in_place_write_to_an_advanced_index_copy_is_fine():
    a = cr.tensor([1.0, 2.0, 3.0])
    w = cr.tensor([1.0, 1.0, 1.0], requires_grad=True)
    loss = (w * a).sum()
    c = a[[0, 1]]  # a copy, not a view
    with cr.no_grad():
        c += 10
    loss.backward()
    np.testing.assert_array_equal(w.grad.data, [1.0, 2.0, 3.0])


def test_no_grad_works_as_a_bare_decorator_and_with_parentheses():
    @cr.no_grad
    def bare(x):
        return x * 2

    @cr.no_grad()
    def called(x):
        return x * 2

    x = cr.tensor([1.0], requires_grad=True)
    assert not bare(x).requires_grad
    assert not called(x).requires_grad
    assert (x * 2).requires_grad


def test_mT_needs_two_dimensions_and_swapaxes_checks_its_axes():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        _ = cr.tensor(3.0).mT
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        _ = cr.tensor([1.0, 2.0]).mT
    with pytest.raises(np.exceptions.AxisError):
        cr.swapaxes(cr.tensor([1.0, 2.0]), 0, 3)


@pytest.fixture
def saving_primitive():
    """A test-only primitive whose forward keeps a value for its first-order VJP."""
    name = next(_unique_names)
    while name in rules.REGISTRY:
        name = next(_unique_names)
    seen = []

    def fwd(x):
        c = np.cos(x)
        return np.sin(x), c

    def vjp(g, ans, x, saved=None):
        seen.append(saved)
        return g * (cr.cos(x) if saved is None else saved)

    p = rules.primitive(name, fwd, saves=True).defvjp(vjp)
    yield p, seen
    del rules.REGISTRY[name]


def test_a_saving_primitive_hands_its_saved_value_to_first_order_rules(saving_primitive):
    p, seen = saving_primitive
    x0 = np.array([0.3, -1.2, 2.0])
    x = cr.tensor(x0, requires_grad=True)
    y = p(x)
    assert isinstance(y, cr.Tensor)
    np.testing.assert_array_equal(y.data, np.sin(x0))
    y.sum().backward(retain_graph=True)
    np.testing.assert_array_equal(seen[-1], np.cos(x0))
    np.testing.assert_array_equal(x.grad.data, np.cos(x0))
    # a second pass through the retained graph sees the same saved value
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, 2 * np.cos(x0))
    assert y._saved is None  # released with the graph
    # on plain arrays the primitive is just its forward's output
    np.testing.assert_array_equal(p(x0), np.sin(x0))


def test_a_saving_primitive_recomputes_under_create_graph(saving_primitive):
    p, seen = saving_primitive
    x0 = np.array([0.3, -1.2, 2.0])
    x = cr.tensor(x0, requires_grad=True)
    y = p(x)
    (gx,) = backward(y.sum(), create_graph=True, inputs=[x])
    assert seen[-1] is None  # tensors in, so the rule is recorded for higher orders
    gx.sum().backward()
    np.testing.assert_allclose(gx.data, np.cos(x0), rtol=1e-12)
    np.testing.assert_allclose(x.grad.data, -np.sin(x0), rtol=1e-12)


def test_nothing_is_saved_when_nothing_is_recorded(saving_primitive):
    p, _ = saving_primitive
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with cr.no_grad():
        y = p(x)
    assert y._saved is None and y._prim is None
    assert p(cr.tensor([1.0, 2.0]))._saved is None


@SETTINGS_DAG
@given(program=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10 ** 6),
                                   st.integers(0, 10 ** 6)), min_size=1, max_size=25),
       outputs=st.integers(1, 3))
def test_random_graphs_backpropagate_like_finite_differences(program, outputs):
    # Random DAGs (shared intermediates, an input used twice by one op, fan-in and
    # fan-out, unused branches) exercise the order in which backward visits nodes.
    def f(a, b):
        nodes = [a, b]
        for op, i, j in program:
            u, v = nodes[i % len(nodes)], nodes[j % len(nodes)]
            nodes.append((u + v, u * v * 0.5, cr.tanh(u) - v, cr.sin(u * v))[op])
        out = nodes[-1]
        for extra in nodes[-outputs - 1:-1]:
            out = out + 0.25 * extra
        return out.sum()
    rng = np.random.default_rng(len(program))
    assert gradcheck(f, rng.uniform(-1, 1, 3), rng.uniform(-1, 1, 3), modes=("rev",))


@pytest.fixture
def user_primitive():
    """A primitive defined the way docs/api.md tells users to, removed afterwards."""
    made = []

    def make(name, fwd, **options):
        p = cr.primitive(name, fwd, **options)
        made.append(name)
        return p

    yield make
    for name in made:
        del rules.REGISTRY[name]


def test_user_defined_primitive_gives_every_order_and_forward_mode(user_primitive):
    softplus2 = user_primitive("test_user_softplus", lambda x: np.logaddexp(0, x)).defvjp(
        lambda g, ans, x: g * cr.sigmoid(x),
    )
    x0 = np.linspace(-3, 3, 7)
    assert gradcheck(softplus2, x0, order=2)  # reverse and forward mode (derived JVP)
    x = cr.tensor(x0, requires_grad=True)
    (softplus2(x) * np.arange(7.0)).sum().backward()
    np.testing.assert_allclose(x.grad.data, np.arange(7.0) / (1 + np.exp(-x0)), rtol=1e-14)
    # broadcasting is undone centrally
    scaled = user_primitive("test_user_scaled", lambda x, s: x * s).defvjp(
        lambda g, ans, x, s: g * s, lambda g, ans, x, s: g * x,
    )
    s = cr.tensor(np.array([2.0]), requires_grad=True)
    scaled(cr.tensor(x0), s).sum().backward()
    np.testing.assert_allclose(s.grad.data, [x0.sum()], rtol=1e-14)
    with pytest.raises(ValueError, match="already registered"):
        cr.primitive("test_user_softplus", np.exp)
    sign2 = cr.nondifferentiable("test_user_sign", np.sign)
    try:
        assert not sign2(cr.tensor(x0, requires_grad=True)).requires_grad
    finally:
        del rules.REGISTRY["test_user_sign"], rules.NONDIFFERENTIABLE["test_user_sign"]


def test_a_rule_that_returns_none_is_a_clear_error(user_primitive):
    f = user_primitive("test_rule_returns_none", lambda x, s: x * s).defvjp(
        lambda g, ans, x, s: g * s, lambda g, ans, x, s: None,
    )
    x = cr.tensor(np.ones(3), requires_grad=True)
    s = cr.tensor(2.0, requires_grad=True)
    with pytest.raises(TypeError, match="'test_rule_returns_none' for its argument 1 returned"):
        f(x, s).sum().backward()
    g = user_primitive("test_rule_missing", lambda x, s: x * s).defvjp(
        lambda g, ans, x, s: g * s, None,
    )
    g(x, 2.0).sum().backward()  # None as the rule: fine while that argument is constant
    with pytest.raises(NotImplementedError, match="no gradient rule for its argument 1"):
        g(x, cr.tensor(2.0, requires_grad=True)).sum().backward()


def test_backward_with_intermediate_inputs_stops_at_them(user_primitive):
    calls = []

    def counted(g, ans, x):
        calls.append(1)
        return g * 2

    double = user_primitive("test_counted_double", lambda x: x * 2).defvjp(counted)
    w = cr.tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    h = double(w)          # below the wanted tensor: its rule need not run
    z = cr.tanh(h) * h
    out = (z * z).sum()
    (gh, gz) = backward(out, inputs=[h, z], retain_graph=True)
    assert not calls
    t = np.tanh(h.data)
    zz = t * h.data
    np.testing.assert_allclose(gz.data, 2 * zz, rtol=1e-14)
    np.testing.assert_allclose(gh.data, 2 * zz * ((1 - t * t) * h.data + t), rtol=1e-13)
    # with a leaf among the wanted tensors the pass goes all the way down
    (gw,) = backward(out, inputs=[w])
    assert calls and np.allclose(gw.data, 2 * gh.data)


# --------------------------------------------------------- elementwise fast path
def _elementwise_primitives():
    return sorted(n for n, p in rules.REGISTRY.items() if p.elementwise)


def test_the_elementwise_flag_is_set_on_the_hot_maps():
    names = set(_elementwise_primitives())
    assert {"tanh", "exp", "sin", "add", "multiply", "divide", "sigmoid", "relu"} <= names
    # Shape-changing or multi-input-only maps must never carry it.
    assert not names & {"sum", "reshape", "matmul", "linear", "broadcast_to", "where"}


@pytest.mark.parametrize("name", _elementwise_primitives())
def test_an_elementwise_rule_returns_the_input_shape(name):
    # Backward trusts these rules' results to have the input's shape (no check, no
    # unbroadcast) when the output has it: one input, or a Python number as the other.
    p = rules.REGISTRY[name]
    x = np.linspace(0.2, 0.7, 12).reshape(3, 4)  # inside every domain (arccosh aside)
    if name == "arccosh":
        x = x + 1.5
    arities = {len(p.vjps)} if isinstance(p.vjps, tuple) else {1, 2}
    for arity in arities:
        for i in range(arity):
            vals = [x if j == i else 1.25 for j in range(arity)]
            ans = p.fwd(*vals)
            g = np.ones_like(ans)
            gi = p.vjps[i](g, ans, *vals)
            assert np.shape(gi) == x.shape, (name, i)
            # And through the engine, where the check is skipped, the gradient is x-shaped.
            t = cr.tensor(x, requires_grad=True)
            args = [t if j == i else 1.25 for j in range(arity)]
            p(*args).sum().backward()
            assert t.grad.shape == x.shape
            np.testing.assert_allclose(t.grad.data, gi)


def test_a_list_operand_is_an_array_in_the_tensors_dtype():
    x = cr.tensor(np.array([0.5, 1.5, 2.0], F32), requires_grad=True)
    y = (x + [1.0, 2.0, 3.0]) * [2, 2, 2] - [0.5, 0.5, 0.5]
    assert y.dtype == F32
    np.testing.assert_allclose(y.data, (x.data + [1, 2, 3]) * 2 - 0.5)
    (x ** [1, 2, 3]).sum().backward()  # power's rule gets the exponents as an array
    assert x.grad.dtype == F32
    np.testing.assert_allclose(x.grad.data, [1.0, 2 * 1.5, 3 * 2.0**2])
    # Lists keep their meaning where they are not operands (axes, shapes).
    assert cr.transpose(cr.tensor(np.ones((2, 3), F32)), [1, 0]).shape == (3, 2)


def test_a_forward_error_keeps_its_type_and_is_named():
    p = rules.Primitive("kept_type", lambda x: np.linalg.inv(x))
    with pytest.raises(np.linalg.LinAlgError, match=r"^kept_type: Singular matrix"):
        p(cr.tensor(np.zeros((2, 2)), requires_grad=True))
