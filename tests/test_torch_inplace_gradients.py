"""chainrule.torch: in-place changes as PyTorch programs make them, their gradients and
what they reach (an element is a view; contiguous() of a transpose is a copy).

A constant changed in place by a differentiated value (a loss accumulated into a zeros
tensor, a buffer filled by copy_), and a tensor in the graph overwritten by fill_,
zero_ or copy_. The expected gradients are PyTorch 2.13's, worked out by hand below.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule.torch as torch


def leaf(values):
    return torch.tensor(values, dtype=torch.float64, requires_grad=True)


def grad_of(x):
    return x.grad.numpy()


@pytest.mark.parametrize("update", [
    lambda h, y: h.add_(y),
    lambda h, y: h.__iadd__(y),
    lambda h, y: h.sub_(-y),
])
def test_a_constant_accumulates_a_differentiated_value(update):
    y = leaf([1.0, 2.0])
    h = torch.zeros(2, dtype=torch.float64)
    update(h, y)
    assert h.requires_grad and not h.is_leaf
    h.sum().backward()
    np.testing.assert_array_equal(grad_of(y), [1.0, 1.0])


def test_a_loss_total_accumulated_twice():
    y = leaf([1.0, 2.0])
    total = torch.zeros((), dtype=torch.float64)
    total += (y * y).sum()
    total += y.sum()
    total.backward()
    np.testing.assert_array_equal(grad_of(y), [3.0, 5.0])  # 2y + 1


def test_readers_before_the_change_see_the_old_values():
    x = leaf([1.0, 2.0])
    h = torch.ones(2, dtype=torch.float64)
    z = h * x          # reads h = 1
    h.mul_(x)          # h = x
    h.mul_(x)          # h = x^2
    (z.sum() + h.sum()).backward()
    np.testing.assert_array_equal(grad_of(x), [1 + 2 * 1.0, 1 + 2 * 2.0])
    np.testing.assert_array_equal(h.detach().numpy(), [1.0, 4.0])


def test_in_place_through_a_view_of_a_constant():
    x = leaf([1.0, 2.0])
    h = torch.zeros(2, 2, dtype=torch.float64)
    h[0].add_(x)
    h[:, 1] += x       # h = [[x0, x1 + x0], [0, x1]]
    (h * h).sum().backward()
    np.testing.assert_array_equal(grad_of(x), [2 * 1 + 2 * 3, 2 * 3 + 2 * 2])


def test_fill_and_zero_cut_the_old_values_gradient():
    x = leaf([1.0, 2.0])
    h = x * 3
    h.fill_(0.5)
    h.mul_(x)
    h.sum().backward()
    np.testing.assert_array_equal(grad_of(x), [0.5, 0.5])

    x = leaf([1.0, 2.0])
    h = x * 1
    h.zero_()
    h.add_(x)
    h.sum().backward()
    np.testing.assert_array_equal(grad_of(x), [1.0, 1.0])

    x = leaf([1.0, 2.0])
    h = x.clone()
    h.fill_(3.0)
    assert h.requires_grad
    h.sum().backward()
    np.testing.assert_array_equal(grad_of(x), [0.0, 0.0])


def test_copy_into_the_graph_and_from_it():
    x = leaf([1.0, 2.0])
    h = x * 2
    h.copy_(x * 3)
    (h * x).sum().backward()
    np.testing.assert_array_equal(grad_of(x), [6.0, 12.0])  # d(3x . x) = 6x

    x = leaf([1.0, 2.0])
    buf = torch.zeros(2, dtype=torch.float64)
    buf.copy_(x)
    (buf * torch.tensor([3.0, 4.0], dtype=torch.float64) + x).sum().backward()
    np.testing.assert_array_equal(grad_of(x), [4.0, 5.0])

    x = leaf([1.0, 2.0])
    h = torch.zeros(2, 2, dtype=torch.float64)
    h[0].copy_(x)
    (h.sum() + x.sum()).backward()
    np.testing.assert_array_equal(grad_of(x), [2.0, 2.0])


def test_copy_broadcasts_and_casts_to_the_destination():
    x = leaf([1.0, 2.0])
    buf = torch.zeros(3, 2)  # float32
    buf.copy_(x)
    assert buf.dtype == torch.float32 and buf.requires_grad
    buf.sum().backward()
    np.testing.assert_array_equal(grad_of(x), [3.0, 3.0])


def test_clamp_in_place_with_a_differentiated_bound():
    lo = leaf([0.5, 0.5, 0.5])
    h = torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64)
    h.clamp_(min=lo)
    (h.sum() + lo.sum()).backward()
    np.testing.assert_array_equal(grad_of(lo), [2.0, 1.0, 1.0])


def test_a_parameter_written_by_its_initializer_stays_a_leaf():
    w = torch.nn.Parameter(torch.zeros(3))
    w.uniform_(-1, 1)
    assert w.is_leaf and w.requires_grad and np.all(np.abs(w.detach().numpy()) <= 1)


def test_an_element_is_a_view_of_the_tensor():
    x = torch.arange(6.0).reshape(2, 3)
    x[1, 2].add_(10)
    x[0][1].zero_()
    x[torch.tensor(0), torch.tensor(0)].fill_(-1)
    np.testing.assert_array_equal(x.numpy(), [[-1, 0, 2], [3, 4, 15]])
    v = x[1, 0]
    x.add_(100)
    assert v.shape == () and v.item() == 103.0
    w = torch.arange(3.0)
    w[torch.tensor(2)].mul_(5)
    np.testing.assert_array_equal(w.numpy(), [0, 1, 10])

    p = leaf([[1.0, 2.0], [3.0, 4.0]])
    h = p * 1
    h[0, 1].mul_(5)
    h.sum().backward()
    np.testing.assert_array_equal(grad_of(p), [[1, 5], [1, 1]])


def test_contiguous_copies_a_transposed_tensor():
    x = torch.arange(6.0).reshape(2, 3)
    assert x.is_contiguous() and x.contiguous() is x
    t = x.t()
    assert not t.is_contiguous()
    y = t.contiguous()
    assert y.is_contiguous() and y.shape == (3, 2)
    y.mul_(-1)
    np.testing.assert_array_equal(x.numpy(), np.arange(6.0).reshape(2, 3))
    p = leaf(np.ones((2, 3)))
    (p.t().contiguous() * torch.arange(6.0, dtype=torch.float64).reshape(3, 2)).sum().backward()
    np.testing.assert_array_equal(grad_of(p), [[0, 2, 4], [1, 3, 5]])


def test_integer_cumprod_multiplies_in_int64_and_dtype_casts_first():
    np.testing.assert_array_equal(
        torch.cumprod(torch.tensor([200, 100, 50], dtype=torch.uint8), 0).numpy(),
        [200, 20000, 1000000])
    assert torch.cumprod(torch.tensor([200000, 100000], dtype=torch.int32), 0).tolist() == [
        200000, 20000000000]
    assert torch.cumprod(torch.tensor([1.7, 2.6, -1.5]), 0, dtype=torch.int64).tolist() == [
        1, 2, -2]
    x = torch.tensor([0.1, 3.3, 7.7])
    np.testing.assert_array_equal(torch.cumprod(x, 0, dtype=torch.float64).numpy(),
                                  np.cumprod(x.numpy().astype(np.float64)))


def test_logical_not_of_numbers_is_a_bool_tensor():
    x = torch.tensor([0, 1, 2])
    assert x.logical_not().tolist() == [True, False, False]
    assert torch.tensor([0.0, 1.0]).logical_not().tolist() == [True, False]
    y = x.clone()
    y.logical_not_()
    assert y.tolist() == [1, 0, 0] and y.dtype == torch.int64


def test_fill_diagonal_cuts_only_the_diagonal():
    x = leaf(np.arange(12.0))
    h = x.reshape(3, 4).clone()
    h.fill_diagonal_(5)
    (h * torch.arange(12.0, dtype=torch.float64).reshape(3, 4)).sum().backward()
    np.testing.assert_array_equal(grad_of(x), [0, 1, 2, 3, 4, 0, 6, 7, 8, 9, 0, 11])
    np.testing.assert_array_equal(h.detach().numpy().diagonal(), [5, 5, 5])
    a = torch.zeros(5, 3)
    a.fill_diagonal_(1, wrap=True)
    np.testing.assert_array_equal(a.numpy()[[0, 1, 2, 4], [0, 1, 2, 0]], [1, 1, 1, 1])
    assert a.sum().item() == 4


def test_a_tensor_updated_in_place_by_itself():
    for update, want in [(lambda h: h.add_(h), [6.0, 6.0]),        # h = 6x
                         (lambda h: h.__iadd__(h), [6.0, 6.0]),
                         (lambda h: h.mul_(h), [18.0, 36.0]),      # h = 9x^2
                         (lambda h: h.atan2_(h), [0.0, 0.0])]:     # h = pi/4
        x = leaf([1.0, 2.0])
        h = x * 3
        update(h)
        h.sum().backward()
        np.testing.assert_allclose(grad_of(x), want, rtol=1e-15)

