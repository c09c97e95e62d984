"""Result dtypes and NaN/inf values of chainrule.torch checked against PyTorch 2.13 (the
expected values are PyTorch's, as literals)."""

import operator

import numpy as np
import pytest

import chainrule.torch as torch
import chainrule.torch.nn.functional as F

nan, inf = float("nan"), float("inf")


def same(got, dtype, values):
    assert got._data.dtype == np.dtype(dtype)
    np.testing.assert_allclose(got._data.astype(np.float64), values, rtol=1e-4, equal_nan=True)


def test_float_valued_of_integers_is_float32():
    x = torch.tensor([[-1, 1, 4], [1, -3, 2]])
    same(torch.logsumexp(x, 1), np.float32, [4.0550, 2.3182])
    same(x.logsumexp(dim=1), np.float32, [4.0550, 2.3182])
    i = torch.tensor([-2, 0, 3])
    same(F.sigmoid(i), np.float32, [0.1192, 0.5, 0.9526])
    same(F.tanh(i), np.float32, [-0.9640, 0.0, 0.9951])
    same(F.tanhshrink(i), np.float32, [-1.0360, 0.0, 2.0049])
    same(torch.gradient(torch.tensor([-2, 0, 4, 4, -3]))[0], np.float32,
         [2.0, 3.0, 2.0, -3.5, -7.0])


def test_clipping_activations_keep_integers():
    i = torch.tensor([-2, 0, 3])
    same(F.relu6(i), np.int64, [0, 0, 3])
    same(F.hardtanh(i), np.int64, [-1, 0, 1])
    same(F.threshold(torch.tensor([5, 1, -2]), 0.5, -1.0), np.int64, [5, 1, -1])


def test_method_forms_promote_as_functions():
    xi, yf = torch.tensor([1, -2]), torch.tensor([0.5, -3.0])
    same(xi.maximum(yf), np.float32, [1.0, -2.0])
    same(xi.where(xi > 0, 1.0), np.float32, [1.0, 1.0])
    f = torch.tensor([[0.5, 1.5], [2.0, 3.0]])
    same(f.masked_fill(torch.tensor([True, False]), torch.tensor(3)), np.float32,
         [[3.0, 1.5], [3.0, 3.0]])


def test_weighted_bincount_and_midpoint_quantile_dtypes():
    same(torch.bincount(torch.tensor([0, 3, 3, 1]), weights=torch.tensor([0.5, 1.0, 2.0, 3.0])),
         np.float32, [0.5, 3.0, 0.0, 3.0])
    same(torch.bincount(torch.tensor([0, 3]), weights=torch.tensor([2, 1])), np.float64,
         [2.0, 0.0, 0.0, 1.0])
    q = torch.quantile(torch.tensor([[1.0, 2.0, 3.0, 4.0]]), torch.tensor([0.1, 0.9]), dim=1,
                       interpolation="midpoint")
    same(q, np.float32, [[1.5], [3.5]])


def test_integer_products_truncate_float_factors():
    a, b = torch.tensor([[4, 1], [-5, 0]]), torch.tensor([[-5, 4], [-1, -2]])
    same(torch.addmm(a, a, b, beta=0.5, alpha=2), np.int64, [[-42, 28], [50, -40]])
    same(torch.addmm(a, a, b, beta=1, alpha=1.5), np.int64, [[-17, 15], [20, -20]])
    same(torch.baddbmm(a[None], a[None], b[None], beta=0.5, alpha=2), np.int64,
         [[[-42, 28], [50, -40]]])
    same(torch.addcmul(torch.tensor([1, 1, -4]), torch.tensor([4, -1, -2]),
                       torch.tensor([3, 3, 4]), value=0.5), np.int64, [1, 1, -4])


def test_integer_mean_reductions_floor_divide():
    xs = torch.tensor([4, -5, -1, 0])
    idx, src = torch.tensor([0, 0, 1]), torch.tensor([-5, -2, 3])
    same(xs.scatter_reduce(0, idx, src, reduce="mean"), np.int64, [-1, -1, -1, 0])
    same(xs.scatter_reduce(0, idx, src, reduce="mean", include_self=False), np.int64,
         [-4, 3, -1, 0])
    same(xs.index_reduce(0, idx, src, "mean"), np.int64, [-1, -1, -1, 0])
    same(torch.tensor([0, 0, 0]).scatter_reduce(0, torch.tensor([0, 0, 0]),
                                                torch.tensor([-5, 0, 0]), reduce="mean"),
         np.int64, [-2, 0, 0])


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8])
@pytest.mark.parametrize("reduce", ["amin", "amax"])
def test_integer_scatter_amin_amax_without_self_start_from_the_sources(dtype, reduce):
    # include_self=False starts a reached position from the reduction's identity; in an
    # integer dtype that is the dtype's extreme, not an infinity cast to garbage.
    xs = torch.tensor([[5, 6, 7]]).to(dtype)
    out = xs.scatter_reduce(1, torch.tensor([[0, 2, 2]]), torch.tensor([[1, 9, 3]]).to(dtype),
                            reduce=reduce, include_self=False)
    same(out, dtype, [[1, 6, 3 if reduce == "amin" else 9]])
    flags = torch.tensor([[True, False, True]])
    same(flags.scatter_reduce(1, torch.tensor([[0, 1]]), torch.tensor([[False, True]]),
                              reduce=reduce, include_self=False), np.bool_,
         [[False, True, True]])


@pytest.mark.parametrize("op", [operator.and_, operator.or_, operator.xor, operator.lshift,
                                operator.rshift])
def test_bitwise_with_a_zero_dim_tensor_keeps_the_dimensioned_dtype(op):
    x32 = torch.tensor([[4, 3, 1]], dtype=torch.int32)
    u8 = torch.tensor([[3, 5, 2]], dtype=torch.uint8)
    assert op(x32, torch.tensor(1)).dtype == torch.int32
    assert op(torch.tensor(3), u8).dtype == torch.uint8


def test_bool_and_uint8_result_dtypes():
    b = torch.tensor([True, False, True])
    u = torch.tensor([9, 6, 0], dtype=torch.uint8)
    same(torch.heaviside(b, b), np.bool_, [1, 0, 1])
    same(torch.heaviside(u, u), np.uint8, [1, 1, 0])
    same(torch.heaviside(torch.tensor([-5, 0, 4]), torch.tensor([-5, 0, 4])), np.int64, [0, 0, 1])
    same(torch.square(b), np.int64, [1, 0, 1])
    same(b ** 2, np.int64, [1, 0, 1])
    same(b ** True, np.bool_, [1, 0, 1])
    x = torch.tensor([[True, False], [True, True]])
    same(torch.einsum(x, [0, 1], [1]), np.int64, [2, 1])
    same(torch.einsum("ij->j", x), np.int64, [2, 1])
    same(torch.einsum("ii", x), np.int64, 2)
    same(torch.einsum(x, [0, 0]), np.int64, 2)
    same(torch.einsum("ij->ji", x), np.bool_, [[1, 1], [0, 1]])  # (nothing summed: bool)
    same(torch.einsum("ii->i", x), np.bool_, [1, 1])
    same(torch.einsum(x, [0, 1]), np.bool_, [[1, 0], [1, 1]])
    same(torch.vander(b), np.int64, [[1, 1, 1], [0, 0, 1], [1, 1, 1]])
    same(torch.nansum(u), np.int64, 15)
    same(torch.nansum(b), np.int64, 2)
    same(b.index_add(0, torch.tensor([0, 0]), b[:2], alpha=2), np.bool_, [1, 0, 1])
    same(torch.select_scatter(x, x[0] * 2, 0, 1), np.bool_, [[1, 0], [1, 0]])
    same(torch.slice_scatter(x, x[:, :1] + 1, 1, 0, 1), np.bool_, [[1, 0], [1, 1]])
    same(torch.diagonal_scatter(x, x[0] + 1), np.bool_, [[1, 0], [1, 1]])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_and_inf_values():
    same(torch.sign(torch.tensor([nan, -inf, 0.0, -0.0])), np.float32, [0, -1, 0, 0])
    same(torch.sgn(torch.tensor([nan, 1.0])), np.float32, [0, 1])
    same(torch.tensor([nan, 2.0]).sign(), np.float32, [0, 1])
    same(F.softshrink(torch.tensor([nan, 0.2, -3.0])), np.float32, [nan, 0, -2.5])
    same(F.hardshrink(torch.tensor([nan, 0.2, -3.0])), np.float32, [nan, 0, -3])
    same(torch.hardshrink(torch.tensor([nan])), np.float32, [nan])
    same(torch.clamp_min(torch.tensor([inf, 0.0, 3.0, nan]), torch.tensor([nan, nan, inf, -2.5])),
         np.float32, [nan, nan, inf, nan])
    same(torch.clamp_max(torch.tensor([0.0, -2.5]), torch.tensor([nan, 0.0])), np.float32,
         [nan, -2.5])
    same(torch.clamp(torch.tensor([1.0, 2.0]), torch.tensor([nan, 0.0]), torch.tensor([3.0, nan])),
         np.float32, [nan, nan])
    same(torch.clamp(torch.tensor([1.0, 2.0]), min=nan), np.float32, [nan, nan])
    same(torch.lgamma(torch.tensor([-inf, inf, nan, -2.5], dtype=torch.float64)), np.float64,
         [inf, inf, nan, -5.6244e-02])
    same(torch.i0(torch.tensor([inf, -inf, nan, 1e30])), np.float32, [nan, nan, nan, inf])
    same(torch.angle(torch.tensor([inf, -inf, nan, -2.5, 0.0, -0.0])), np.float32,
         [0, np.pi, nan, np.pi, 0, 0])
    same(torch.remainder(torch.tensor([0.0, 3.0, inf, 0.5, -1.0, 3.0]),
                         torch.tensor([inf, inf, -inf, -inf, inf, -inf])),
         np.float32, [0, 3, nan, -inf, inf, -inf])
    same(torch.remainder(torch.tensor([5.0, -5.0, 5.5]), 3), np.float32, [2, 1, 2.5])
    same(torch.div(torch.tensor([inf, -inf, 1e30, 2.0]), torch.tensor([2.0, 0.5, -2.5, 0.0]),
                   rounding_mode="trunc"), np.float32, [inf, -inf, -4e29, inf])
    same(torch.div(torch.tensor([7, -7]), 2, rounding_mode="trunc"), np.int64, [3, -3])


def test_remainder_gradient():
    a = torch.tensor([1.0, -2.5], requires_grad=True)
    (a % torch.tensor(2.0)).sum().backward()
    same(a.grad, np.float32, [1.0, 1.0])


def test_true_divide_alpha_and_ldexp_take_their_dtype_from_both_operands():
    # A 0-d float64 tensor beside an int64 tensor gives float64 (PyTorch's promotion),
    # in torch.true_divide, add/sub with alpha and ldexp as in the operators.
    i, a = torch.tensor([3, 4]), torch.tensor(2.0, dtype=torch.float64)
    same(torch.true_divide(i, a), np.float64, [1.5, 2.0])
    same(torch.sub(a, i, alpha=-0.5), np.float64, [3.5, 4.0])
    same(torch.add(i, a, alpha=2), np.float64, [7.0, 8.0])
    same(torch.ldexp(a, i), np.float64, [16.0, 32.0])
    same(torch.true_divide(i, 2), np.float32, [1.5, 2.0])
    # bool + bool with alpha: alpha read as a bool, the result stays bool
    same(torch.add(torch.tensor([True, False]), True, alpha=2), np.bool_, [True, True])


def test_histc_bins_values_as_pytorch_does():
    # floor((x - min) * bins / (max - min)) in the input's dtype, max in the last bin:
    # 0.3 of ten bins over [0, 1] is in bin 2 (np.histogram's edges put it in bin 3).
    x = torch.tensor([0.1, 0.2, 0.3, 0.7, 1.0, 1.5, -0.1], dtype=torch.float64)
    same(torch.histc(x, bins=10, min=0, max=1), np.float64, [0, 1, 1, 1, 0, 0, 0, 1, 0, 1])
    constant = torch.histc(torch.full((5,), 3.0), bins=100)  # over [2, 4]: bin 50
    assert constant._data.dtype == np.float32 and constant._data[50] == 5
    assert constant._data.sum() == 5


def test_addcmul_of_integers_and_bools_keeps_the_operands_dtype():
    a = torch.tensor([1, 2, 3], dtype=torch.int32)
    b = torch.tensor([True, False, True])
    same(torch.addcmul(a, b, b, value=2), np.int32, [3, 2, 5])
    same(torch.addcmul(a.to(torch.uint8), b, b), np.uint8, [2, 2, 4])
    same(torch.addcmul(a, a, a, value=-3), np.int32, [-2, -10, -24])
