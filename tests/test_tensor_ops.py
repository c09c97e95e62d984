"""The tensor operations of issue 15: the semantics the op database does not pin down.

Repeated indices, ties, NaN, extreme inputs, forward mode through stop_gradient, in-place
put_along_axis, NumPy's own functions dispatching on tensors, and the errors users see.
(Values and derivatives on ordinary inputs are checked by tests/opdb/tensor_ops.)
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp
from chainrule.backward import backward


def grads(out, *inputs):
    return [g.data for g in backward(cr.sum(out * 1.0), inputs=list(inputs))]


def leaf(x, dtype=np.float64):
    return cr.tensor(np.asarray(x, dtype=dtype), requires_grad=True)


# ------------------------------------------------------------ repeated indices
def test_scatter_keeps_the_last_write_and_its_gradient_agrees():
    x = leaf(np.zeros((2, 3)))
    src = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    index = np.array([[0, 0, 0], [0, 1, 0]])
    out = cr.scatter(x, 0, index, src)
    # Column 0 is written by src[0, 0] then src[1, 0]: the last one stays.
    np.testing.assert_array_equal(out.data, [[4.0, 2.0, 6.0], [0.0, 5.0, 0.0]])
    gx, gs = grads(out, x, src)
    np.testing.assert_array_equal(gx, [[0, 0, 0], [1, 0, 1]])  # written places get nothing
    np.testing.assert_array_equal(gs, [[0, 1, 0], [1, 1, 1]])  # overwritten values neither


def test_index_put_writes_last_and_accumulates_like_add_at():
    x = leaf(np.zeros(4))
    v = leaf([1.0, 2.0, 3.0])
    idx = (np.array([1, 3, 1]),)
    put = cr.index_put(x, idx, v)
    np.testing.assert_array_equal(put.data, [0.0, 3.0, 0.0, 2.0])
    np.testing.assert_array_equal(grads(put, v)[0], [0.0, 1.0, 1.0])
    acc = cr.index_put(x, idx, v, accumulate=True)
    want = np.zeros(4)
    np.add.at(want, idx, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(acc.data, want)
    np.testing.assert_array_equal(grads(acc, v)[0], [1.0, 1.0, 1.0])


def test_scatter_add_and_index_add_accumulate_repeats():
    x = leaf(np.zeros((2, 2)))
    out = cr.index_add(x, 1, np.array([0, 0, 1]), cr.tensor(np.ones((2, 3))), alpha=2.0)
    np.testing.assert_array_equal(out.data, [[4.0, 2.0], [4.0, 2.0]])
    out = cr.scatter_add(x, 0, np.array([[1, 1], [1, 0]]), cr.tensor(np.ones((2, 2))))
    np.testing.assert_array_equal(out.data, [[0.0, 1.0], [2.0, 1.0]])


def test_put_along_axis_in_place_and_out_of_place():
    a = np.zeros((2, 3))
    cnp.put_along_axis(a, np.array([[2], [0]]), 7.0, 1)  # NumPy's own, in place
    np.testing.assert_array_equal(a, [[0, 0, 7], [7, 0, 0]])
    copy = cnp.put_along_axis(a, np.array([[0], [0]]), 1.0, 1, inplace=False)
    np.testing.assert_array_equal(copy, [[1, 0, 7], [1, 0, 0]])
    assert a[0, 0] == 0
    t = cr.tensor(np.zeros(3))  # untraced: written in place, as an array is
    assert cnp.put_along_axis(t, np.array([1]), 5.0, 0) is None
    np.testing.assert_array_equal(t.data, [0, 5, 0])
    x = leaf(np.zeros(3))
    with pytest.raises(TypeError, match="inplace=False"):
        np.put_along_axis(x, np.array([1]), 5.0, 0)
    out = cnp.put_along_axis(x, np.array([1, 1]), leaf([2.0, 3.0]), 0, inplace=False)
    np.testing.assert_array_equal(out.data, [0, 3, 0])


# -------------------------------------------------------------- ties and NaN
def test_sort_ties_give_the_gradient_by_position_in_both_directions():
    x = leaf([2.0, 1.0, 2.0, 0.0])
    weights = np.array([1.0, 10.0, 100.0, 1000.0])
    up = cr.sort(x)
    np.testing.assert_array_equal(up.indices.data, [3, 1, 0, 2])
    (g,) = backward(cr.sum(up.values * weights), inputs=[x])
    np.testing.assert_array_equal(g.data, [100.0, 10.0, 1000.0, 1.0])
    down = cr.sort(x, descending=True)
    np.testing.assert_array_equal(down.indices.data, [0, 2, 1, 3])  # equal values keep order
    np.testing.assert_array_equal(cnp.sort(x).data, np.sort(x.data))


def test_nan_sorts_as_the_largest_value():
    x = cr.tensor([1.0, np.nan, -1.0])
    np.testing.assert_array_equal(cr.sort(x).indices.data, [2, 0, 1])
    np.testing.assert_array_equal(cr.sort(x, descending=True).indices.data, [1, 0, 2])
    np.testing.assert_array_equal(cr.topk(x, 1).indices.data, [1])
    assert np.isnan(cr.median(x).data) and cr.nanmedian(x).item() == -1.0


def test_topk_ties_take_the_lower_index_first():
    x = cr.tensor([1.0, 3.0, 3.0, 2.0])
    values, indices = cr.topk(x, 2)
    np.testing.assert_array_equal(indices.data, [1, 2])
    np.testing.assert_array_equal(cr.topk(x, 2, largest=False).indices.data, [0, 3])
    assert cr.kthvalue(x, 3).indices.item() == 1


def test_median_numpy_averages_the_middle_pytorch_takes_the_lower():
    x = leaf([4.0, 1.0, 3.0, 2.0])
    np.testing.assert_allclose(cnp.median(x).data, 2.5)
    np.testing.assert_array_equal(grads(cnp.median(x), x)[0], [0.0, 0.0, 0.5, 0.5])
    assert cr.median(x).item() == 2.0
    np.testing.assert_array_equal(grads(cr.median(x), x)[0], [0.0, 0.0, 0.0, 1.0])
    values, indices = cr.median(cr.tensor([[4.0, 1.0, 3.0, 2.0]]), 1)
    assert values.data.tolist() == [2.0] and indices.data.tolist() == [3]


def test_median_of_empty_slices_is_nan_as_in_numpy():
    for shape, axis in [((0,), None), ((2, 0), 1), ((0, 3), 0)]:
        with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
            want = np.median(np.zeros(shape), axis=axis)
        got = cnp.median(leaf(np.zeros(shape)), axis=axis)
        np.testing.assert_array_equal(got.data, want)


def test_quantile_propagates_nan_and_nanquantile_skips_it():
    x = np.array([[1.0, np.nan, 3.0], [1.0, 2.0, 4.0]])
    got = cnp.quantile(cr.tensor(x), 0.5, axis=1).data
    np.testing.assert_array_equal(got, np.quantile(x, 0.5, axis=1))
    np.testing.assert_allclose(cnp.nanquantile(cr.tensor(x), 0.5, axis=1).data,
                               np.nanquantile(x, 0.5, axis=1))
    t = leaf(x)
    (g,) = backward(cr.sum(cnp.nanmedian(t, axis=1)), inputs=[t])
    np.testing.assert_array_equal(g.data, [[0.5, 0.0, 0.5], [0.0, 1.0, 0.0]])


def test_all_nan_slices_give_nan_with_a_zero_gradient():
    x = leaf([[np.nan, np.nan], [1.0, 2.0]])
    for f in (cnp.nanmean, cnp.nanmax, cnp.nanmin, cnp.nanmedian, cnp.nanvar):
        with np.errstate(all="ignore"):
            out = f(x, axis=1)
        assert np.isnan(out.data[0]) and np.isfinite(out.data[1])
        (g,) = backward(cr.sum(cr.where(cr.isnan(out), 0.0, out)), inputs=[x])
        assert np.all(g.data[0] == 0) and np.all(np.isfinite(g.data))


def test_cummax_ties_move_to_the_latest_index_and_nan_is_carried():
    values, indices = cr.cummax(cr.tensor([1.0, 3.0, 3.0, 2.0, np.nan, 5.0]), 0)
    np.testing.assert_array_equal(indices.data, [0, 1, 2, 2, 4, 4])
    assert np.isnan(values.data[-1])
    x = leaf([3.0, 1.0, 2.0, 0.5])
    np.testing.assert_array_equal(grads(cr.cummin(x, 0).values, x)[0], [1, 2, 0, 1])


# ------------------------------------------------------------- extreme inputs
def test_logcumsumexp_is_stable_at_huge_and_minus_infinite_inputs():
    x = leaf([1000.0, 1000.0, -1000.0, 1e4])
    y = cr.logcumsumexp(x, 0)
    np.testing.assert_allclose(y.data, [1000.0, 1000.0 + np.log(2), 1000.0 + np.log(2), 1e4])
    (g,) = backward(cr.sum(y), inputs=[x])
    # d/dx0 = 1 + 2 e^(-log 2); x2 is 2000 below the running sum; x3 only reaches y3.
    np.testing.assert_allclose(g.data, [2.0, 1.0, 0.0, 1.0], rtol=1e-12)
    z = leaf([-np.inf, -np.inf, 0.0, -np.inf])
    y = cr.logcumsumexp(z, 0)
    np.testing.assert_array_equal(y.data, [-np.inf, -np.inf, 0.0, 0.0])
    h = cr.hessian(lambda v: cr.sum(cr.logcumsumexp(v, 0)))(z.data)
    assert np.all(np.isfinite(h))
    np.testing.assert_array_equal(grads(y, z)[0], [0.0, 0.0, 2.0, 0.0])


def test_logcumsumexp_keeps_float32_and_has_forward_mode():
    x = np.array([[0.5, -2.0, 30.0], [1.0, 1.0, 1.0]], dtype=np.float32)
    y = cr.logcumsumexp(cr.tensor(x), 1)
    assert y.dtype == np.float32
    x64 = x.astype(float)
    v = np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 0.0]])
    _, tangent = cr.jvp(lambda t: cr.logcumsumexp(t, 1), (x64,), (v,))
    jac = cr.jacobian(lambda t: cr.logcumsumexp(t, 1))(x64)
    np.testing.assert_allclose(tangent, np.einsum("ijkl,kl->ij", jac, v), rtol=1e-12)


def test_cumprod_gradient_is_exact_with_zeros():
    x = np.array([[2.0, 0.0, 3.0, 0.0], [0.0, 1.5, -1.0, 2.0]])
    assert cr.gradcheck(lambda t: cr.cumprod(t, 1), x, order=2)


def test_clamp_gives_the_gradient_to_whichever_value_is_returned():
    x = leaf([-2.0, 0.0, 2.0, 0.5])
    lo = leaf([-1.0, 0.0, -1.0, 1.0])
    hi = leaf([1.0, 1.0, 1.0, 0.0])  # last element: lo > hi, so the result is hi
    out = cr.clamp(x, lo, hi)
    np.testing.assert_array_equal(out.data, np.clip(x.data, lo.data, hi.data))
    gx, glo, ghi = grads(out, x, lo, hi)
    np.testing.assert_array_equal(gx, [0, 1, 0, 0])  # x = lo: the bound is included
    np.testing.assert_array_equal(glo, [1, 0, 0, 0])
    np.testing.assert_array_equal(ghi, [0, 0, 1, 1])
    assert cr.clip(x, min=lo).requires_grad


def test_lerp_reaches_end_exactly_at_weight_one():
    a, b = cr.tensor([1e16, -3.0]), cr.tensor([1.0, 7.0])
    np.testing.assert_array_equal(cr.lerp(a, b, 1.0).data, [1.0, 7.0])


def test_interp_derivative_at_a_sample_point_is_the_right_slope():
    xp, fp = np.array([0.0, 1.0, 3.0]), np.array([0.0, 2.0, 3.0])
    g = cr.grad(lambda x: cnp.interp(x, xp, fp))
    assert g(1.0) == 0.5 and g(0.5) == 2.0 and g(3.0) == 0.0 and g(-1.0) == 0.0


def test_heaviside_and_copysign_derivatives_at_zero():
    x2 = leaf([0.25, 0.75])
    out = cnp.heaviside(cr.tensor([0.0, 1.0]), x2)
    np.testing.assert_array_equal(grads(out, x2)[0], [1.0, 0.0])
    x = leaf([0.0, -2.0])
    np.testing.assert_array_equal(grads(cr.copysign(x, np.array([-1.0, -1.0])), x)[0],
                                  [0.0, 1.0])


# ---------------------------------------------------------------- stop_gradient
def test_stop_gradient_is_a_constant_in_reverse_and_forward_mode():
    f = lambda x: x * x - cr.stop_gradient(x) * x  # noqa: E731
    x = np.array([1.5, -2.0])
    np.testing.assert_allclose(cr.grad(lambda v: cr.sum(f(v)))(x), x)  # d/dx (x^2 - c x)
    _, tangent = cr.jvp(f, (x,), (np.ones(2),))
    np.testing.assert_allclose(tangent, x)
    _, zero = cr.jvp(cr.stop_gradient, (x,), (np.ones(2),))
    np.testing.assert_array_equal(zero, 0.0)
    tree = cr.stop_gradient({"w": cr.tensor(x, requires_grad=True), "n": 3})
    assert not tree["w"].requires_grad and tree["n"] == 3
    assert cr.stop_gradient(x) is x


# ------------------------------------------------------- NumPy's own functions
@pytest.mark.parametrize("call", [
    lambda t: np.median(t),
    lambda t: np.quantile(t, [0.2, 0.7]),
    lambda t: np.percentile(t, 30.0, axis=1),
    lambda t: np.nanmean(t, axis=0),
    lambda t: np.nanstd(t),
    lambda t: np.cov(t),
    lambda t: np.corrcoef(t),
    lambda t: np.pad(t, 2, mode="reflect"),
    lambda t: np.pad(t, 1, mode="linear_ramp", end_values=0.5),
    lambda t: np.trapezoid(t, axis=0),
    lambda t: np.convolve(t[0], t[1]),
    lambda t: np.correlate(t[0], t[1], "same"),
    lambda t: np.interp(np.array([0.1, 0.7]), np.array([0.0, 0.5, 1.0]), t[0]),
    lambda t: np.lib.stride_tricks.sliding_window_view(t, 2, axis=1),
    lambda t: np.block([[t, t]]),
    lambda t: np.meshgrid(t[0], t[1])[0],
    lambda t: np.insert(t, 1, 5.0, axis=1),
    lambda t: np.delete(t, 0, axis=1),
    lambda t: np.ediff1d(t),
    lambda t: np.copysign(t, -1.0),
    lambda t: np.heaviside(t, 0.5) * t,
    lambda t: np.roll(t, 1),
    lambda t: np.tile(t, 2),
])
def test_numpy_functions_on_tensors_dispatch_and_record(call):
    x = np.array([[0.3, -1.2, 2.0], [1.1, 0.4, -0.6]])
    t = leaf(x)
    out = call(t)
    assert isinstance(out, cr.Tensor) and out.requires_grad
    np.testing.assert_allclose(out.data, call(x), rtol=1e-12)
    (g,) = backward(cr.sum(out * 1.0), inputs=[t])
    assert g.shape == x.shape and np.all(np.isfinite(g.data))


def test_non_differentiable_results_on_tensors():
    t = leaf([3.0, 1.0, 3.0])
    values, counts = cnp.unique(t, return_counts=True)
    assert isinstance(values, cr.Tensor) and not values.requires_grad
    np.testing.assert_array_equal(counts.data, [1, 2])
    assert cr.searchsorted(cr.tensor([1.0, 2.0, 3.0]), t).data.tolist() == [2, 0, 2]
    assert cr.nonzero(cr.tensor([[0.0, 1.0], [2.0, 0.0]])).data.tolist() == [[0, 1], [1, 0]]
    assert cnp.nanargmax(cr.tensor([np.nan, 2.0, 1.0])).item() == 1
    np.testing.assert_array_equal(cr.one_hot(np.array([1, 0]), 3), [[0, 1, 0], [1, 0, 0]])


# --------------------------------------------------------------------- errors
@pytest.mark.parametrize("call, error, match", [
    (lambda x: cr.gather(x, 1, np.array([[0, 3]])), IndexError, "gather: index 3 is out of"),
    (lambda x: cr.gather(x, 0, np.array([0, 1])), ValueError, "as many dimensions"),
    (lambda x: cr.gather(x, 0, np.array([[0.5]])), TypeError, "must hold integers"),
    (lambda x: cr.masked_fill(x, np.ones((2, 3)), 0.0), TypeError, "mask must be boolean"),
    (lambda x: cr.masked_fill(x, np.ones(4, bool), 0.0), ValueError, "does not broadcast"),
    (lambda x: cr.index_add(x, 0, np.array([0]), cr.tensor(np.ones((2, 3)))), ValueError,
     "source must have shape"),
    (lambda x: cr.scatter(x, 0, np.array([[0]]), reduce="multiply"), NotImplementedError,
     "reduce='multiply'"),
    (lambda x: cr.topk(x, 4), ValueError, "k=4 out of range"),
    (lambda x: cr.kthvalue(x, 0), ValueError, "k=0 out of range"),
    (lambda x: cnp.quantile(x, 1.5), ValueError, r"range \[0, 1\]"),
    (lambda x: cnp.percentile(x, -1), ValueError, r"range \[0, 100\]"),
    (lambda x: cnp.quantile(x, 0.5, method="bogus"), ValueError, "method must be one of"),
    (lambda x: cnp.quantile(x, 0.5, weights=np.ones((2, 3))), NotImplementedError, "weights"),
    (lambda x: cr.quantile(x, 0.5, interpolation="hazen"), ValueError, "interpolation"),
    (lambda x: cr.repeat_interleave(x, np.array([1, 2]), 1), ValueError, "one per element"),
    (lambda x: cr.diag_embed(x, 0, 1, -2), ValueError, "must differ"),
    (lambda x: cr.tril(x[0]), ValueError, "at least 2 dimensions"),
    (lambda x: cr.one_hot(np.array([0, 3]), 3), ValueError, "not smaller than num_classes"),
    (lambda x: cr.one_hot(np.array([-1])), ValueError, "non-negative"),
    (lambda x: cnp.pad(x, 1, mode="maximum"), NotImplementedError, "'maximum'"),
    (lambda x: cnp.interp(x, np.array([0.0, 1.0]), np.array([1.0])), ValueError,
     "not of the same length"),
    (lambda x: cnp.convolve(x, x), ValueError, "must be 1-D"),
    (lambda x: cnp.diff(x[0, 0]), ValueError, "at least one dimensional"),
    (lambda x: cnp.lib.stride_tricks.sliding_window_view(x, 4, axis=1), ValueError,
     "does not fit"),
    (lambda x: cr.logcumsumexp(x), TypeError, "dim="),
])
def test_bad_arguments_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call(leaf(np.arange(6.0).reshape(2, 3)))


# ------------------------------------------------------------------------ vmap
# Sort orders, ranks, NaN masks and interpolation intervals are computed by primitives,
# so cr.vmap recomputes them for every example (examples here differ in all of them).
_VMAPPED = [
    lambda x: cr.sort(x, 0).values,
    lambda x: cr.topk(x, 2).values,
    lambda x: cr.median(x),
    lambda x: cr.cummax(x, 0).values,
    lambda x: cnp.sort(x),
    lambda x: cnp.median(x),
    lambda x: cnp.quantile(x, [0.3, 0.9], method="hazen"),
    lambda x: cnp.nanmean(cnp.where(x > 1.0, np.nan, x)),
    lambda x: cnp.nanmax(cnp.where(x > 1.0, np.nan, x)),
    lambda x: cnp.nanmedian(cnp.where(x > 1.0, np.nan, x)),
    lambda x: cnp.interp(x, np.array([-1.0, 0.0, 2.0]), np.array([1.0, -1.0, 0.5])),
    lambda x: cr.lerp(x, x * x, x),
    lambda x: cr.masked_fill(x, x > 0, 0.0),
    lambda x: cr.logcumsumexp(x, 0),
    lambda x: cr.clamp(x, cr.min(x) + 0.5, 1.0),
    lambda x: cr.unfold(x, 0, 2, 2) * cnp.lib.stride_tricks.sliding_window_view(x, 2)[::2],
]


@pytest.mark.parametrize("k", range(len(_VMAPPED)))
def test_vmap_recomputes_orders_masks_and_intervals_per_example(k):
    f = _VMAPPED[k]
    xs = np.random.default_rng(k).uniform(-2.0, 2.0, (4, 5))
    got = cr.vmap(f)(xs)
    want = np.stack([f(cr.tensor(x)).data for x in xs])
    np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)
    per_example = cr.vmap(cr.grad(lambda x: cnp.sum(cnp.nan_to_num(f(x)))))(xs)
    for x, g in zip(xs, per_example):
        np.testing.assert_allclose(g, cr.grad(lambda v: cnp.sum(cnp.nan_to_num(f(v))))(x),
                                   rtol=1e-12)


def test_a_large_einsum_is_contracted_through_products():
    from chainrule.primitives.linalg import _OPTIMIZE_ABOVE

    rng = np.random.default_rng(0)
    q, k = rng.standard_normal((2, 3, 64, 16)), rng.standard_normal((2, 3, 64, 16))
    assert 2 * 3 * 64 * 64 * 16 > _OPTIMIZE_ABOVE  # (NumPy's optimized contraction)
    np.testing.assert_allclose(cr.einsum("bhid,bhjd->bhij", q, k),
                               np.einsum("bhid,bhjd->bhij", q, k), rtol=1e-12, atol=1e-12)
    g = cr.grad(lambda q: cr.sum(cr.einsum("bhid,bhjd->bhij", q, k) ** 2))(q)
    scores = np.einsum("bhid,bhjd->bhij", q, k)
    np.testing.assert_allclose(g, 2 * np.einsum("bhij,bhjd->bhid", scores, k), rtol=1e-12)
