"""chainrule.torch's division family against PyTorch's documented semantics (NumPy as the
reference): div's rounding modes keep integers integer, floor_divide/remainder follow
Python's sign rules, fmod C's, and a float tensor meeting an integer tensor keeps its
float dtype."""

import numpy as np
import pytest

import chainrule.torch as torch

A_INT = np.array([-7, 7, 6, -6, 0])
A_FLOAT = np.array([-7.0, 7.5, 6.0, -6.5, 0.0], dtype=np.float32)


@pytest.mark.parametrize("a", [A_INT, A_FLOAT], ids=["int64", "float32"])
@pytest.mark.parametrize("b", [2, -4])
def test_div_rounding_modes(a, b):
    x = torch.tensor(a)
    floor = torch.div(x, b, rounding_mode="floor")
    trunc = x.div(b, rounding_mode="trunc")
    assert floor.dtype == trunc.dtype == a.dtype
    np.testing.assert_array_equal(floor.numpy(), np.floor_divide(a, b))
    expected_trunc = np.trunc(a / b).astype(a.dtype)
    np.testing.assert_array_equal(trunc.numpy(), expected_trunc)
    true = torch.div(x, b)
    assert true.dtype == np.float32
    np.testing.assert_allclose(true.numpy(), (a / b).astype(np.float32))


def test_div_rejects_unknown_rounding_mode():
    with pytest.raises(ValueError, match="rounding_mode"):
        torch.div(torch.tensor([1, 2]), 2, rounding_mode="round")


@pytest.mark.parametrize("b", [3, -3])
def test_remainder_and_fmod_signs(b):
    x = torch.tensor(A_INT)
    np.testing.assert_array_equal(torch.remainder(x, b).numpy(), np.mod(A_INT, b))
    np.testing.assert_array_equal(torch.fmod(x, b).numpy(), np.fmod(A_INT, b))
    np.testing.assert_array_equal(x.fmod(b).numpy(), np.fmod(A_INT, b))
    np.testing.assert_array_equal(torch.floor_divide(x, b).numpy(), A_INT // b)
    np.testing.assert_array_equal((5 % x[:2]).numpy(), np.mod(5, A_INT[:2]))
    np.testing.assert_array_equal((5 // x[:2]).numpy(), 5 // A_INT[:2])


def test_float_tensor_with_int_tensor_keeps_float32():
    f = torch.tensor([-7.0, 7.5])
    i = torch.tensor([2, -4])
    for out in (f // i, i // f, f % i, i % f, torch.div(f, i, rounding_mode="trunc")):
        assert out.dtype == np.float32
    np.testing.assert_array_equal((f // i).numpy(), np.floor_divide(f.numpy(), i.numpy()))
    np.testing.assert_array_equal((i % f).numpy(), np.mod(i.numpy(), f.numpy()))
    assert torch.fmod(i, 2.5).dtype == np.float32


def test_floor_divide_gradient_is_zero_and_remainder_passes_gradient():
    x = torch.tensor([-7.5, 7.5], requires_grad=True)
    (x % 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
