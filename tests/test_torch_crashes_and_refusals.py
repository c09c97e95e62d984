"""chainrule.torch where it used to raise on valid input or accept what PyTorch refuses.
Every expected value and error below was checked with PyTorch 2.13 (CPU)."""

import math

import numpy as np
import pytest

import chainrule.torch as torch
import chainrule.torch.nn.functional as F


def values(t):
    return np.asarray(t._data).tolist()


# ------------------------------------------------------------- uint8 and Python ints
def test_uint8_arithmetic_wraps_negative_python_ints():
    u = torch.tensor([1, 2, 3], dtype=torch.uint8)
    assert values(u + -3) == [254, 255, 0] and (u + -3).dtype == torch.uint8
    assert values(-3 - u) == [252, 251, 250]
    assert values(u * -3) == [253, 250, 247]
    assert values(-3 // torch.tensor([3, 4, 2], dtype=torch.uint8)) == [84, 63, 126]
    assert values(u % -3) == [1, 2, 3]
    assert values(u & -3) == [1, 0, 1]
    assert values(torch.tensor([1, 2], dtype=torch.int8) + 200) == [-55, -54]
    assert values(u.add(-3, alpha=2)) == [251, 252, 253]
    assert values(torch.tensor([1, 2], dtype=torch.uint8).add_(-3)) == [254, 255]
    assert values(torch.tensor([1, 2], dtype=torch.uint8).add_(torch.tensor(-3))) == [254, 255]
    assert values(torch.tensor([1, 2], dtype=torch.uint8).fill_(-3)) == [253, 253]
    # true division is in float: no wrapping
    assert np.allclose(values(u / -3), [-1 / 3, -2 / 3, -1])


def test_uint8_comparisons_and_clamps_wrap_negative_python_ints():
    u = torch.tensor([1, 2, 3], dtype=torch.uint8)
    assert values(u > -1) == [False, False, False]
    assert values(u < -3) == [True, True, True]
    assert values(u == 257) == [True, False, False]
    assert values(torch.clamp_min(u, -3)) == [253, 253, 253]
    assert values(torch.clamp(u, -3, 5)) == [5, 5, 5]
    assert values(u.clamp(max=-1)) == [1, 2, 3]


def test_integer_powers_with_negative_exponent_tensors():
    assert values(torch.tensor([2, -1, 1, 3]) ** torch.tensor([-1, -1, -2, -2])) == [0, -1, 1, 0]
    assert values(torch.pow(torch.tensor([2, 3], dtype=torch.uint8), torch.tensor([-1, 2]))) \
        == [0, 9]
    assert values(2 ** torch.tensor([-1, 2])) == [0, 4]
    assert values(torch.tensor([True, False]) ** torch.tensor([-1, -1])) == [1, 0]
    with pytest.raises(RuntimeError, match="negative integer powers"):
        torch.tensor([2, 3]) ** -1


# ------------------------------------------------------------------ crashes
def test_median_of_empty():
    assert math.isnan(torch.median(torch.tensor([])).item())
    assert math.isnan(torch.nanmedian(torch.tensor([])).item())
    assert torch.median(torch.zeros(0, dtype=torch.int64)).item() == -9223372036854775808
    assert torch.median(torch.zeros(0, dtype=torch.uint8)).item() == 0
    v, i = torch.median(torch.zeros(3, 0), dim=0, keepdim=True)
    assert v.shape == (1, 0) and i.shape == (1, 0) and i.dtype == torch.int64
    with pytest.raises(IndexError, match="non-zero size"):
        torch.median(torch.zeros(3, 0), dim=1)


def test_mode():
    v, i = torch.mode(torch.tensor(2.5), dim=0)
    assert v.item() == 2.5 and i.item() == 0
    with pytest.raises(IndexError, match="Dimension out of range"):
        torch.mode(torch.zeros(2, 3), dim=2)
    with pytest.raises(IndexError, match="Dimension out of range"):
        torch.mode(torch.zeros(2, 3), dim=-3)
    # NaN rows: no crash (PyTorch's choice there depends on its sort's NaN order)
    torch.mode(torch.tensor([[float("nan"), 0.5, 3.0], [0.5, float("nan"), float("nan")]]))


def test_lstsq_named_result():
    A = torch.tensor([[2., 1.], [1., 3.], [0., 1.]])
    B = torch.tensor([[1.], [2.], [3.]])
    r = torch.linalg.lstsq(A, B)
    assert np.allclose(values(r.solution), [[-0.2], [1.0]], atol=1e-6)
    assert r.residuals.shape == (0,) and r.singular_values.shape == (0,) and r.rank.item() == 2
    r = torch.linalg.lstsq(A, B, driver="gelsd")
    assert np.allclose(values(r.residuals), [4.8], atol=1e-5)
    assert np.allclose(values(r.singular_values), [3.7190, 1.4728], atol=1e-4)


def test_nuclear_norm():
    A = torch.tensor([[1., 2.], [3., 4.]])
    assert abs(torch.norm(A, p="nuc").item() - 5.8310) < 1e-4
    assert abs(A.norm(p="nuc").item() - 5.8310) < 1e-4
    assert A.norm(p="nuc", keepdim=True).shape == (1, 1)


def test_scatter_multiply():
    x = torch.arange(6.).reshape(2, 3)
    idx = torch.tensor([[0, 1], [2, 2]])
    assert values(x.scatter(1, idx, 2.0, reduce="multiply")) == [[0., 2., 2.], [3., 4., 20.]]
    assert values(x.scatter(1, idx, torch.tensor([[3., 4.], [5., 6.]]), reduce="multiply")) \
        == [[0., 4., 2.], [3., 4., 150.]]
    assert values(x.clone().scatter_(1, idx, 2.0, reduce="multiply")) \
        == [[0., 2., 2.], [3., 4., 20.]]
    assert values(torch.tensor([5, 6]).scatter(0, torch.tensor([1]), 2.5, reduce="multiply")) \
        == [5, 12]
    b = torch.tensor([True, False]).scatter(0, torch.tensor([0]), 2.0, reduce="multiply")
    assert values(b) == [True, False] and b.dtype == torch.bool


def test_bool_sign_and_diff():
    b = torch.tensor([True, False, True])
    assert values(torch.sign(b)) == [True, False, True] and torch.sign(b).dtype == torch.bool
    assert values(torch.sgn(b)) == [True, False, True]
    assert values(b.clone().sign_()) == [True, False, True]
    assert values(torch.diff(b)) == [True, True]
    assert values(torch.diff(b, n=2)) == [False]
    assert values(torch.diff(b, prepend=b[:1], append=b[:2])) == [False, True, True, False, True]


def test_bool_add_with_alpha_stays_bool():
    b = torch.tensor([True, False, True])
    assert values(torch.add(b, b, alpha=2)) == [True, False, True]
    assert values(b.clone().add_(b, alpha=2)) == [True, False, True]


# ------------------------------------------------------------------ refusals
def test_negative_slice_step_refused():
    x = torch.arange(4.)
    for index in (slice(None, None, -1), (None, slice(None, None, -2))):
        with pytest.raises(ValueError, match="step must be greater than zero"):
            x[index]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1] = 0


def test_integer_masked_fill_overflow_refused():
    x, m = torch.tensor([1, 2]), torch.tensor([True, False])
    for value in (float("-inf"), float("nan"), 1e30, torch.tensor(float("inf"))):
        with pytest.raises(RuntimeError, match="without overflow"):
            x.masked_fill(m, value)
    with pytest.raises(RuntimeError, match="without overflow"):
        torch.tensor([1, 2], dtype=torch.uint8).masked_fill(m, 300)
    assert values(x.masked_fill(m, 2.7)) == [2, 2]
    assert values(torch.tensor([1, 2], dtype=torch.uint8).masked_fill(m, -3)) == [253, 2]


@pytest.mark.parametrize("op", ["//=", "%="])
def test_integer_augmented_division_by_float_refused(op):
    with pytest.raises(RuntimeError, match="Float can't be cast to the desired output type Long"):
        exec(f"y {op} 0.5", {"y": torch.tensor([3, 4])})


def test_integer_inplace_division_by_float_refused():
    for call in (lambda y: y.div_(torch.tensor([0.5, 1.]), rounding_mode="floor"),
                 lambda y: y.div_(0.5, rounding_mode="floor"),
                 lambda y: y.floor_divide_(0.5), lambda y: y.remainder_(0.5),
                 lambda y: y.fmod_(0.5)):
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
            call(torch.tensor([3, 4]))
    assert values(torch.tensor([3, 4]).div_(2, rounding_mode="floor")) == [1, 2]


def test_mixed_dtype_sources_refused():
    f, d, i = torch.zeros(3), torch.ones(2, dtype=torch.float64), torch.tensor([0, 2])
    calls = [lambda: f.index_add_(0, i, d), lambda: f.index_copy_(0, i, d),
             lambda: f.scatter_add_(0, i, d), lambda: f.scatter(0, i, d),
             lambda: f.masked_scatter_(torch.tensor([True, False, True]), d),
             lambda: f.lerp_(torch.ones(3, dtype=torch.float64), 0.5),
             lambda: f.lerp(torch.ones(3, dtype=torch.float64), 0.5),
             lambda: torch.zeros(3, dtype=torch.int64).index_add_(0, i, torch.ones(2))]
    for call in calls:
        with pytest.raises(RuntimeError):
            call()
    assert values(f.index_add(0, i, torch.ones(2))) == [1., 0., 1.]


def test_index_put_requires_matching_dtypes():
    z = torch.zeros(2, 3)
    for index, value in ((([0, 0], [1, 1]), torch.tensor([5, 6])),
                         ((torch.tensor([0]),), torch.tensor(5.0, dtype=torch.float64)),
                         ((slice(None), [0, 1]), torch.tensor([5, 6]))):
        with pytest.raises(RuntimeError, match="Index put requires the source and destination"):
            z[index] = value
    z[0] = torch.tensor([5, 6, 7])  # (basic indexing casts)
    z[torch.tensor([1])] = 5
    assert values(z) == [[5., 6., 7.], [5., 5., 5.]]


def test_bool_subtraction_refused():
    b, i, f = torch.tensor([True, False]), torch.tensor([1, 2]), torch.tensor([1., 2.])
    for call in (lambda: b - i, lambda: i - b, lambda: b - 1, lambda: 1 - b, lambda: f - b,
                 lambda: i - True, lambda: torch.rsub(b, 1), lambda: i.clone().sub_(True),
                 lambda: f - torch.tensor(True)):
        with pytest.raises(RuntimeError, match="with a bool tensor is not supported"):
            call()
    with pytest.raises(RuntimeError, match="with two bool tensors"):
        b - b
    assert values(b % 2) == [1, 0] and values(True % torch.tensor([2, 3])) == [1, 1]


def test_cross_entropy_needs_long_target():
    x, t = torch.randn(3, 4), torch.tensor([0, 1, 2])
    for loss in (F.cross_entropy, F.nll_loss):
        with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte"):
            loss(x, t.to(torch.int32))
        loss(x, t.to(torch.uint8))
