"""chainrule.lax beyond control flow: convolutions, windowed reductions, reductions,
products, scans, sorts, shape operations and elementwise operations with jax.lax's
meanings, checked against NumPy written from the definitions (tests/opdb/lax_ops.py's
references) and known identities, and through grad, jvp, vmap and hessian."""

from __future__ import annotations

import math

import numpy as np
import pytest
from opdb.lax_ops import conv_general_ref, reduce_window_ref

import chainrule as cr
import chainrule.numpy as cnp
from chainrule import lax, random
from chainrule.example_libraries import stax

RNG = np.random.default_rng(0)


def _n(*shape):
    return RNG.standard_normal(shape)


# ------------------------------------------------------------------ convolutions
@pytest.mark.parametrize("ls, rs, kw", [
    ((2, 3, 7), (4, 3, 3), {"window_strides": (2,), "padding": "SAME"}),
    ((2, 3, 8), (4, 3, 2), {"window_strides": (3,), "padding": "SAME_LOWER",
                            "rhs_dilation": (2,)}),
    ((1, 2, 6, 5), (3, 2, 3, 2), {"window_strides": (1, 2), "padding": [(1, 2), (0, -1)],
                                  "rhs_dilation": (2, 1)}),
    ((2, 5, 4, 3), (2, 3, 3, 2), {"window_strides": (2, 1), "padding": "SAME",
                                  "dimension_numbers": ("NHWC", "HWIO", "NHWC")}),
    ((1, 4, 3, 4), (6, 2, 2, 2), {"window_strides": (2, 1), "padding": [(1, 1), (1, 0)],
                                  "lhs_dilation": (2, 3), "feature_group_count": 2}),
    ((1, 2, 3, 4, 3), (2, 2, 2, 2, 2), {"window_strides": (1, 1, 2), "padding": "VALID"}),
    ((6, 2, 3, 3), (6, 2, 2, 2), {"window_strides": (1, 1), "padding": "VALID",
                                  "batch_group_count": 3}),
    ((4, 3, 2, 2), (2, 2, 3, 2), {"window_strides": (1, 1), "padding": "SAME",
                                  "dimension_numbers": ("HWNC", "OIHW", "CNHW")}),
])
def test_conv_general_dilated_matches_the_definition(ls, rs, kw):
    x, w = _n(*ls), _n(*rs)
    got = lax.conv_general_dilated(x, w, **kw)
    np.testing.assert_allclose(got, conv_general_ref(x, w, **kw), rtol=1e-12, atol=1e-12)


def test_conv_layout_strings_and_dimension_numbers_agree():
    x, w = _n(2, 5, 6, 3), _n(3, 2, 3, 4)
    specs = ("NHWC", "HWIO", "NHWC")
    dn = lax.conv_dimension_numbers(x.shape, w.shape, specs)
    assert dn == lax.ConvDimensionNumbers((0, 3, 1, 2), (3, 2, 0, 1), (0, 3, 1, 2))
    a = lax.conv_general_dilated(x, w, (1, 2), "SAME", dimension_numbers=specs)
    b = lax.conv_general_dilated(x, w, (1, 2), "SAME", dimension_numbers=dn)
    # the same convolution in NCHW / OIHW, transposed back
    c = lax.conv_general_dilated(x.transpose(0, 3, 1, 2), w.transpose(3, 2, 0, 1), (1, 2),
                                 "SAME").transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a, c, rtol=1e-13, atol=1e-13)
    assert lax.conv_dimension_numbers((1, 2, 3), (1, 2, 3), None) == \
        lax.ConvDimensionNumbers((0, 1, 2), (0, 1, 2), (0, 1, 2))


def test_padtype_to_pads_puts_the_odd_cell_high_for_same_and_low_for_same_lower():
    # n = 5, window 4, stride 2: 3 outputs, (3 - 1) * 2 + 4 - 5 = 3 cells of padding
    assert lax.padtype_to_pads((5,), (4,), (2,), "SAME") == [(1, 2)]
    assert lax.padtype_to_pads((5,), (4,), (2,), "SAME_LOWER") == [(2, 1)]
    assert lax.padtype_to_pads((5, 7), (4, 1), (2, 3), "VALID") == [(0, 0), (0, 0)]
    assert lax.padtype_to_pads((8,), (1,), (4,), "same") == [(0, 0)]
    with pytest.raises(RuntimeError, match="SAME_LOWER"):
        lax.padtype_to_pads((5,), (3,), (1,), "FULL")


def test_conv_transpose_with_transpose_kernel_is_the_gradient_of_the_forward_conv():
    # The VJP of x -> conv(x, W, stride 2, SAME) in x is conv_transpose of the cotangent
    # with the same kernel, transpose_kernel=True (input sizes a multiple of the stride).
    x, w = _n(2, 6, 8, 3), _n(3, 3, 3, 4)
    specs = ("NHWC", "HWIO", "NHWC")

    def fwd(x):
        return lax.conv_general_dilated(x, w, (2, 2), "SAME", dimension_numbers=specs)

    y, vjp = cr.vjp(fwd, x)
    g = _n(*y.shape)
    (want,) = vjp(g)
    got = lax.conv_transpose(g, w, (2, 2), "SAME", dimension_numbers=specs,
                             transpose_kernel=True)
    np.testing.assert_allclose(got, want.data, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("padding, k, s, want", [
    ("SAME", 3, 2, 10), ("VALID", 3, 2, 11), ("VALID", 2, 3, 15), ("SAME", 4, 1, 5)])
def test_conv_transpose_output_sizes_follow_keras(padding, k, s, want):
    # SAME: in * stride; VALID: in * stride + max(k - stride, 0)
    x, w = _n(1, 5, 2), _n(k, 2, 3)
    assert lax.conv_transpose(x, w, (s,), padding).shape == (1, want, 3)


def test_patches_times_the_flattened_kernel_is_the_convolution():
    x, w = _n(2, 5, 6, 3), _n(4, 3, 2, 3)  # NHWC input, OIHW kernel
    specs = ("NHWC", "OIHW", "NHWC")
    patches = lax.conv_general_dilated_patches(x, (2, 3), (2, 1), "SAME",
                                               rhs_dilation=(1, 2), dimension_numbers=specs)
    assert patches.shape == (2, 3, 6, 3 * 6)
    want = lax.conv_general_dilated(x, w, (2, 1), "SAME", rhs_dilation=(1, 2),
                                    dimension_numbers=specs)
    np.testing.assert_allclose(patches @ w.reshape(4, -1).T, want, rtol=1e-12, atol=1e-12)


def test_conv_wrappers_are_conv_general_dilated():
    x, w = _n(1, 2, 5, 4), _n(3, 2, 2, 3)
    np.testing.assert_array_equal(lax.conv(x, w, (2, 1), "SAME"),
                                  lax.conv_general_dilated(x, w, (2, 1), "SAME"))
    np.testing.assert_array_equal(
        lax.conv_with_general_padding(x, w, (1, 1), [(1, 0), (0, 2)], (2, 1), (1, 2)),
        lax.conv_general_dilated(x, w, (1, 1), [(1, 0), (0, 2)], (2, 1), (1, 2)))


def test_conv_hessian_is_twice_the_gram_matrix_of_the_linear_map():
    w = _n(2, 1, 2, 2)

    def conv(x):
        return lax.conv_general_dilated(x, w, (1, 1), [(1, 0), (0, 1)])

    shape = (1, 1, 3, 3)
    basis = np.eye(9).reshape(9, *shape)
    a = np.stack([np.ravel(conv(b)) for b in basis], axis=1)  # the map as a matrix
    h = cr.hessian(lambda x: cnp.sum(conv(x) ** 2))(np.zeros(shape))
    np.testing.assert_allclose(np.reshape(h, (9, 9)), 2 * a.T @ a, rtol=1e-12, atol=1e-12)


def test_conv_batched_and_forward_mode():
    x, w = _n(3, 2, 2, 5, 4), _n(3, 2, 2, 2)  # a batch of 3 lhs

    def f(x):
        return lax.conv_general_dilated(x, w, (1, 2), "SAME", rhs_dilation=(2, 1))

    batched = cr.vmap(f)(x)
    np.testing.assert_allclose(batched, np.stack([f(xi) for xi in x]), rtol=1e-13)
    t = _n(2, 2, 5, 4)
    _, tangent = cr.jvp(f, (x[0],), (t,))
    np.testing.assert_allclose(tangent, f(t), rtol=1e-12, atol=1e-12)  # linear in x


def test_conv_refuses_what_it_cannot_do_naming_the_argument():
    x, w = _n(1, 2, 5), _n(3, 2, 2)
    with pytest.raises(ValueError, match="lhs_dilation"):
        lax.conv_general_dilated(x, w, (1,), "SAME", lhs_dilation=(2,))
    with pytest.raises(ValueError, match="feature_group_count"):
        lax.conv_general_dilated(x, _n(3, 3, 2), (1,), "VALID")
    with pytest.raises(ValueError, match="window_strides"):
        lax.conv_general_dilated(x, w, (1, 1), "VALID")
    with pytest.raises(ValueError, match="at most one"):
        lax.conv_general_dilated(_n(2, 2, 5), _n(2, 1, 2), (1,), "VALID",
                                 feature_group_count=2, batch_group_count=2)
    with pytest.raises(TypeError, match="exactly once"):
        lax.conv_general_dilated(_n(1, 5, 2), _n(2, 2, 3), (1,), "VALID",
                                 dimension_numbers=("NHC", "HIC", "NHC"))


# ----------------------------------------------------------- windowed reductions
@pytest.mark.parametrize("init, op, reducer", [
    (-np.inf, lax.max, max), (np.inf, cnp.minimum, min), (0.0, lax.add, sum),
    (1.0, np.multiply, math.prod), (0.0, lambda a, b: a + b, sum)])
def test_reduce_window_matches_the_definition(init, op, reducer):
    x = _n(2, 5, 4)
    kw = {"window_dimensions": (1, 3, 2), "window_strides": (1, 2, 1),
          "padding": [(0, 0), (1, 2), (0, 1)], "base_dilation": (1, 1, 2),
          "window_dilation": (1, 2, 1)}
    got = lax.reduce_window(x, init, op, **kw)
    np.testing.assert_allclose(got, reduce_window_ref(x, init, reducer, **kw), rtol=1e-12)


def test_max_pool_gradient_goes_to_each_windows_maximum():
    x = RNG.permutation(16).reshape(4, 4).astype(float)
    g = cr.grad(lambda x: cnp.sum(lax.reduce_window(x, -np.inf, lax.max, (2, 2), (2, 2),
                                                    "VALID")))(x)
    want = np.zeros((4, 4))
    for i in range(0, 4, 2):
        for j in range(0, 4, 2):
            block = x[i:i + 2, j:j + 2]
            a, b = np.unravel_index(np.argmax(block), (2, 2))
            want[i + a, j + b] = 1
    np.testing.assert_array_equal(g, want)


def test_a_tie_in_a_max_window_sends_the_gradient_to_the_first_cell():
    x = np.array([1.0, 3.0, 3.0, 2.0])
    g = cr.grad(lambda x: cnp.sum(lax.reduce_window(x, -np.inf, lax.max, (2,), (1,),
                                                    "VALID")))(x)
    # windows [1, 3], [3, 3], [3, 2]: the maximum at index 1, 1 (the first of the tie), 2
    np.testing.assert_array_equal(g, [0.0, 2.0, 1.0, 0.0])
    _, t = cr.jvp(lambda x: lax.reduce_window(x, np.inf, lax.min, (2,), (1,), "VALID"),
                  (np.array([2.0, 2.0, 1.0]),), (np.array([10.0, 20.0, 30.0]),))
    np.testing.assert_array_equal(t, [10.0, 30.0])


def test_reduce_window_over_a_pair_of_operands_and_with_a_non_identity_init():
    x, y = _n(4, 3), _n(4, 3)
    s, p = lax.reduce_window((x, y), (0.0, 1.0), lambda a, b: (a[0] + b[0], a[1] * b[1]),
                             (2, 1), (1, 1), "VALID")
    np.testing.assert_allclose(s, x[:-1] + x[1:], rtol=1e-14)
    np.testing.assert_allclose(p, y[:-1] * y[1:], rtol=1e-14)
    # the init value takes part once per window
    out = lax.reduce_window(x, 10.0, lax.add, (2, 1), (1, 1), "VALID")
    np.testing.assert_allclose(out, 10 + x[:-1] + x[1:], rtol=1e-14)


# --------------------------------------------------------------- reductions
def test_reductions_and_their_empty_results():
    x = _n(2, 3, 4)
    np.testing.assert_allclose(lax.reduce_sum(x, (0, 2)), x.sum(axis=(0, 2)), rtol=1e-14)
    np.testing.assert_allclose(lax.reduce_prod(x, (1,)), x.prod(axis=1), rtol=1e-14)
    np.testing.assert_array_equal(lax.reduce_max(x, (2,)), x.max(axis=2))
    np.testing.assert_array_equal(lax.reduce_min(x, (0, 1, 2)), x.min())
    np.testing.assert_array_equal(lax.reduce_max(np.zeros((2, 0)), (1,)), [-np.inf] * 2)
    np.testing.assert_array_equal(lax.reduce_min(np.zeros((0, 3), np.int32), (0,)),
                                  [np.iinfo(np.int32).max] * 3)
    np.testing.assert_array_equal(lax.reduce_sum(np.zeros((0,)), (0,)), 0.0)
    ints = RNG.integers(-20, 20, (3, 5))
    np.testing.assert_array_equal(lax.reduce_and(ints, (1,)), np.bitwise_and.reduce(ints, 1))
    np.testing.assert_array_equal(lax.reduce_xor(ints > 0, (0,)),
                                  np.logical_xor.reduce(ints > 0, 0))
    # a general computation (here the sum of squares' root: associative and commutative)
    hyp = lax.reduce(x, 0.0, lambda a, b: cnp.sqrt(a * a + b * b), (1,))
    np.testing.assert_allclose(hyp, np.sqrt((x ** 2).sum(axis=1)), rtol=1e-13)


def test_argmax_and_argmin_take_the_first_extreme_and_nan_counts():
    x = np.array([[1.0, 3, 3, 0], [np.nan, 2, np.nan, 9]])
    np.testing.assert_array_equal(lax.argmax(x, 1, np.int32), [1, 0])
    assert lax.argmax(x, 1, np.int32).dtype == np.int32
    np.testing.assert_array_equal(lax.argmin(x, 1, np.int64), [3, 0])
    np.testing.assert_array_equal(lax.argmin(np.array([[2, 1], [1, 1]]), 0, np.int8), [1, 0])


# --------------------------------------------------------------- products
def test_dot_general_orders_batch_then_lhs_free_then_rhs_free():
    a, b = _n(2, 3, 5, 4), _n(4, 6, 2, 3)
    out = lax.dot_general(a, b, (((3, 1), (0, 3)), ((0,), (2,))))
    assert out.shape == (2, 5, 6)
    np.testing.assert_allclose(out, np.einsum("bcfk,kgbc->bfg", a, b), rtol=1e-13)
    np.testing.assert_allclose(lax.dot(a[0, 0], b[:, 0, 0, 0]), a[0, 0] @ b[:, 0, 0, 0])
    np.testing.assert_allclose(lax.batch_matmul(_n(2, 3, 4) * 0 + 1, np.ones((2, 4, 2))),
                               np.full((2, 3, 2), 4.0))
    assert lax.dot(np.ones(3, np.int32), np.ones(3, np.int32),
                   preferred_element_type=np.float32).dtype == np.float32
    with pytest.raises(TypeError, match="contracting"):
        lax.dot_general(a, b, (((1,), (1,)), ((), ())))
    with pytest.raises(TypeError, match="1-d or 2-d"):
        lax.dot(a, b)


# --------------------------------------------------------------- scans
def _matmul_pairs(a, b):
    return cnp.matmul(a, b)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 8, 9])
def test_associative_scan_equals_the_sequential_scan_for_a_non_commutative_fn(n):
    mats = _n(n, 2, 2)
    got = lax.associative_scan(_matmul_pairs, mats)
    want, acc = [], None
    for m in mats:
        acc = m if acc is None else acc @ m
        want.append(acc)
    np.testing.assert_allclose(got, np.reshape(want, (n, 2, 2)), rtol=1e-12, atol=1e-12)
    # reverse: the same on the reversed sequence, reversed back
    got_r = lax.associative_scan(_matmul_pairs, mats, reverse=True)
    want_r = lax.associative_scan(_matmul_pairs, mats[::-1])[::-1] if n else mats
    np.testing.assert_allclose(got_r, want_r, rtol=1e-12, atol=1e-12)


def test_associative_scan_over_a_pytree_along_an_axis_with_gradients():
    def scan(a, b):
        out = lax.associative_scan(lambda p, q: {"a": p["a"] * q["a"],
                                                 "b": p["b"] * q["a"] + q["b"]},
                                   {"a": a, "b": b}, axis=1)
        return cnp.sum(cnp.sin(out["b"])) + cnp.sum(out["a"])

    a, b = _n(2, 6), _n(2, 6)

    def loop(a, b):
        pa, pb, total = a[:, 0], b[:, 0], np.sin(b[:, 0]).sum() + a[:, 0].sum()
        for i in range(1, 6):
            pa, pb = pa * a[:, i], pb * a[:, i] + b[:, i]
            total += np.sin(pb).sum() + pa.sum()
        return total

    assert scan(a, b) == pytest.approx(loop(a, b), rel=1e-13)
    cr.gradcheck(scan, a, b, order=2)


def test_cumulative_reductions_forward_and_reverse():
    x = _n(3, 5)
    np.testing.assert_allclose(lax.cumsum(x, 1, reverse=True),
                               np.cumsum(x[:, ::-1], 1)[:, ::-1], rtol=1e-13)
    np.testing.assert_allclose(lax.cumprod(x), np.cumprod(x, 0), rtol=1e-13)
    np.testing.assert_array_equal(lax.cummax(x, 1), np.maximum.accumulate(x, 1))
    np.testing.assert_array_equal(lax.cummin(x, 0, reverse=True),
                                  np.minimum.accumulate(x[::-1], 0)[::-1])
    big = np.array([1000.0, 1000.0, 0.0, 1001.0])  # exp overflows; the result does not
    np.testing.assert_allclose(lax.cumlogsumexp(big),
                               np.logaddexp.accumulate(big), rtol=1e-15)
    assert lax.cumsum(np.arange(4, dtype=np.int32)).dtype == np.int32


def test_cummax_gradient_goes_to_the_running_maximum():
    x = np.array([1.0, 3.0, 2.0, 5.0, 4.0])
    g = cr.grad(lambda x: cnp.sum(lax.cummax(x) * np.arange(1.0, 6.0)))(x)
    # positions 0..4 hold x0, x1, x1, x3, x3
    np.testing.assert_array_equal(g, [1.0, 2 + 3, 0.0, 4 + 5, 0.0])


# --------------------------------------------------------------- sorts
def test_sort_puts_nan_last_and_negative_zero_first():
    x = np.array([0.0, np.nan, -0.0, -1.0, 0.0, -0.0])
    out = lax.sort(x)
    np.testing.assert_array_equal(out[:5], [-1.0, -0.0, -0.0, 0.0, 0.0])
    np.testing.assert_array_equal(np.signbit(out[:5]), [True, True, True, False, False])
    assert np.isnan(out[5])


def test_sort_of_operands_by_several_keys_and_its_gradient():
    k1 = np.array([1, 0, 1, 0, 1])
    k2 = np.array([2.0, 5.0, 1.0, 5.0, 1.0])
    v = _n(5)
    a, b, c = lax.sort((k1, k2, v), num_keys=2)
    order = np.lexsort((k2, k1))  # k1 first, then k2; stable
    np.testing.assert_array_equal(a, k1[order])
    np.testing.assert_array_equal(b, k2[order])
    np.testing.assert_array_equal(c, v[order])
    # the gradient of a sort is the permutation
    w = np.arange(1.0, 6.0)
    g = cr.grad(lambda v: cnp.sum(lax.sort((k1, v), num_keys=1)[1] * w))(v)
    np.testing.assert_array_equal(g[np.argsort(k1, kind="stable")], w)
    keys, vals = lax.sort_key_val(np.array([[3.0, 1.0, 2.0]]), np.array([[0, 1, 2]]))
    np.testing.assert_array_equal(keys, [[1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(vals, [[1, 2, 0]])


def test_top_k_descending_ties_by_lower_index_with_int32_indices():
    x = np.array([[1.0, 3, 3, 0, 3], [5, 4, 5, 5, -1]])
    values, idx = lax.top_k(x, 3)
    np.testing.assert_array_equal(values, [[3, 3, 3], [5, 5, 5]])
    np.testing.assert_array_equal(idx, [[1, 2, 4], [0, 2, 3]])
    assert idx.dtype == np.int32
    assert lax.top_k(x, 0)[0].shape == (2, 0)
    v2, i2 = lax.top_k(np.array([3, -2, 7, 3], np.int32), 2)
    np.testing.assert_array_equal(v2, [7, 3])
    np.testing.assert_array_equal(i2, [2, 0])
    batched = cr.vmap(lambda r: lax.top_k(r, 2)[0])(x)
    np.testing.assert_array_equal(batched, [[3, 3], [5, 5]])
    with pytest.raises(ValueError, match="k=6"):
        lax.top_k(x, 6)


# --------------------------------------------------------------- shapes
def test_pad_with_interior_and_negative_edges_and_its_gradient_in_the_value():
    x = np.array([[1.0, 2.0, 3.0]])
    out = lax.pad(x, -1.0, [(1, 0, 0), (-1, 2, 1)])
    # interior: 1 -1 2 -1 3; low -1 crops the first; high 2 adds two
    np.testing.assert_array_equal(out, [[-1, -1, -1, -1, -1, -1], [-1, 2, -1, 3, -1, -1]])
    g = cr.grad(lambda v: cnp.sum(lax.pad(x, v, [(1, 0, 0), (-1, 2, 1)])))(0.5)
    assert g == 10.0  # the 12 cells less the two of x kept
    with pytest.raises(ValueError, match="interior"):
        lax.pad(x, 0.0, [(0, 0, 0), (0, 0, -1)])


def test_shape_operations_with_jax_names_and_errors():
    x = _n(2, 3, 4)
    np.testing.assert_array_equal(lax.broadcast_in_dim(_n(3, 1) * 0 + 2, (2, 3, 4), (1, 2)),
                                  np.full((2, 3, 4), 2.0))
    with pytest.raises(ValueError, match="broadcast"):
        lax.broadcast_in_dim(_n(3), (2, 4), (1,))
    np.testing.assert_array_equal(lax.reshape(x, (4, 6), (2, 0, 1)),
                                  x.transpose(2, 0, 1).reshape(4, 6))
    np.testing.assert_array_equal(lax.collapse(x, 0, 2), x.reshape(6, 4))
    np.testing.assert_array_equal(lax.rev(x, (1,)), x[:, ::-1])
    np.testing.assert_array_equal(lax.slice(x, (0, 1, 0), (2, 3, 4), (1, 1, 3)),
                                  x[:, 1:3, ::3])
    with pytest.raises(ValueError, match="negative"):
        lax.slice(x, (0, -1, 0), (2, 3, 4))
    np.testing.assert_array_equal(lax.slice_in_dim(x, -2, None, axis=2), x[:, :, -2:])
    np.testing.assert_array_equal(lax.index_in_dim(x, 1, 1), x[:, 1:2])
    np.testing.assert_array_equal(lax.dynamic_index_in_dim(x, -1, 2, keepdims=False),
                                  x[:, :, -1])
    np.testing.assert_array_equal(lax.squeeze(_n(1, 3, 1) * 0, (0, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="size 3"):
        lax.squeeze(x, (1,))
    assert lax.expand_dims(x, (0, 4)).shape == (1, 2, 3, 4, 1)
    assert lax.broadcast(x, (5,)).shape == (5, 2, 3, 4)
    np.testing.assert_array_equal(lax.concatenate([x, x], 2), np.concatenate([x, x], 2))
    assert lax.full((2,), 3, np.int8).dtype == np.int8
    assert lax.full_like(x, 1).dtype == x.dtype
    np.testing.assert_array_equal(lax.iota(np.int16, 4), np.arange(4, dtype=np.int16))
    np.testing.assert_array_equal(lax.broadcasted_iota(np.int32, (2, 3), 0),
                                  [[0, 0, 0], [1, 1, 1]])
    u = lax.dynamic_update_slice_in_dim(np.zeros((2, 5)), np.ones((2, 2)), 4, 1)
    np.testing.assert_array_equal(u, [[0, 0, 0, 1, 1]] * 2)  # the start clamped to 3
    u = lax.dynamic_update_index_in_dim(np.zeros((3, 2)), np.ones(2), 1, 0)
    np.testing.assert_array_equal(u, [[0, 0], [1, 1], [0, 0]])


def test_convert_element_type_rounds_toward_zero_and_saturates():
    x = np.array([1.7, -1.7, 2.5, np.nan, 1e20, -1e20, 300.0, -300.0])
    np.testing.assert_array_equal(lax.convert_element_type(x, np.int8),
                                  np.array([1, -1, 2, 0, 127, -128, 127, -128], np.int8))
    np.testing.assert_array_equal(lax.convert_element_type(x[:3], np.uint8), [1, 0, 2])
    np.testing.assert_array_equal(lax.convert_element_type(np.array([0.0, -2.0]), bool),
                                  [False, True])
    np.testing.assert_array_equal(lax.convert_element_type(np.array([1 + 2j]), np.float64),
                                  [1.0])
    assert lax.convert_element_type(1e30, np.int64) == np.iinfo(np.int64).max
    g = cr.grad(lambda v: cnp.sum(lax.convert_element_type(v, np.float32) * 2.0))(x[:3])
    np.testing.assert_array_equal(g, [2.0, 2.0, 2.0])


# --------------------------------------------------------------- elementwise
def test_integer_division_and_remainder_follow_c():
    a = np.array([7, -7, 7, -7], np.int32)
    b = np.array([2, 2, -2, -2], np.int32)
    np.testing.assert_array_equal(lax.div(a, b), [3, -3, -3, 3])
    np.testing.assert_array_equal(lax.rem(a, b), [1, -1, 1, -1])
    np.testing.assert_allclose(lax.rem(np.array([-3.5, 3.5]), 2.0), [-1.5, 1.5])
    np.testing.assert_allclose(lax.div(np.array([7.0]), np.array([2.0])), [3.5])


def test_round_breaks_ties_away_from_zero_by_default():
    x = np.array([0.5, -0.5, 1.5, 2.5, -2.5, 0.49999999999999994, 2.4])
    np.testing.assert_array_equal(lax.round(x), [1, -1, 2, 3, -3, 0, 2])
    np.testing.assert_array_equal(lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN),
                                  [0, -0, 2, 2, -2, 0, 2])
    np.testing.assert_array_equal(lax.round(x, 1), np.rint(x))


def test_shifts_and_bit_counts():
    x = np.array([-8, 8, -1, 5], np.int32)
    s = np.array([1, 3, 31, 32], np.int32)
    np.testing.assert_array_equal(lax.shift_left(x, s), [-16, 64, -2 ** 31, 0])
    np.testing.assert_array_equal(lax.shift_right_arithmetic(x, s), [-4, 1, -1, 0])
    np.testing.assert_array_equal(lax.shift_right_logical(x, s),
                                  [(2 ** 32 - 8) >> 1, 1, 1, 0])
    np.testing.assert_array_equal(lax.population_count(x), [29, 1, 32, 2])
    np.testing.assert_array_equal(lax.clz(np.array([0, 1, -1, 256], np.int32)),
                                  [32, 31, 0, 23])
    np.testing.assert_array_equal(lax.shift_right_arithmetic(np.array([0x80], np.uint8), 7),
                                  [0xFF])


def test_select_n_and_comparisons():
    cases = [np.full(4, float(k)) for k in range(3)]
    np.testing.assert_array_equal(lax.select_n(np.array([2, 0, 1, 2]), *cases), [2, 0, 1, 2])
    np.testing.assert_array_equal(lax.select_n(np.array([True, False]), np.zeros(2),
                                               np.ones(2)), [1, 0])
    with pytest.raises(ValueError, match="two cases"):
        lax.select_n(np.array([True]), *[np.zeros(1)] * 3)
    a, b = np.array([1.0, 2.0, np.nan]), np.array([1.0, 3.0, np.nan])
    np.testing.assert_array_equal(lax.eq(a, b), [True, False, False])
    np.testing.assert_array_equal(lax.ne(a, b), [False, True, True])
    np.testing.assert_array_equal(lax.lt(a, b) | lax.ge(a, b), [True, True, False])


def test_elementwise_aliases_are_differentiable():
    x = np.array([0.3, 0.7, 1.4])
    for name, d in [("logistic", lambda v: np.exp(-v) / (1 + np.exp(-v)) ** 2),
                    ("lgamma", None), ("erf_inv", None), ("cbrt", lambda v: v ** (-2 / 3) / 3),
                    ("exp2", lambda v: np.log(2) * 2 ** v),
                    ("atan2", None)]:
        fn = getattr(lax, name)
        if name == "atan2":
            cr.gradcheck(lambda a, b, fn=fn: fn(a, b), x, x[::-1] + 0.1, order=2)
            continue
        arg = x * 0.5 if name == "erf_inv" else x
        cr.gradcheck(fn, arg, order=2)
        if d is not None:
            np.testing.assert_allclose(cr.grad(lambda v, fn=fn: cnp.sum(fn(v)))(arg), d(arg),
                                       rtol=1e-12)
    assert lax.integer_pow(np.array([2.0]), -2)[0] == 0.25
    with pytest.raises(TypeError, match="Python int"):
        lax.integer_pow(x, 1.5)


# --------------------------------------------------------------- stax on lax
def test_stax_layers_run_on_lax_with_shapes_from_init():
    key = random.PRNGKey(0)
    x = _n(2, 7, 5, 3)
    for layer in [stax.Conv(4, (3, 2), (2, 1), "SAME"), stax.ConvTranspose(2, (3, 3), (2, 2)),
                  stax.GeneralConv(("NCHW", "OIHW", "NHWC"), 3, (2, 3), (1, 2), "SAME"),
                  stax.MaxPool((2, 2), (2, 1), "SAME"), stax.AvgPool((3, 2), padding="SAME"),
                  stax.SumPool((2, 2))]:
        init, apply = layer
        shape, params = init(key, x.shape)
        assert apply(params, x).shape == tuple(shape)
    init, apply = stax.Conv1D(4, (3,), padding="SAME")
    shape, (w, b) = init(key, (2, 6, 3))
    y = apply((w, b), x[:, :6, 0, :])
    assert y.shape == shape == (2, 6, 4)
    want = lax.conv_general_dilated(x[:, :6, 0, :], w, (1,), "SAME",
                                    dimension_numbers=("NHC", "HIO", "NHC")) + b
    np.testing.assert_array_equal(y, want)
    # AvgPool divides by the unpadded cells at the edges
    init, apply = stax.AvgPool((2,), padding="SAME")
    np.testing.assert_allclose(apply((), np.array([[1.0], [3.0], [5.0]])[None]),
                               [[[2.0], [4.0], [5.0]]])


def test_split_unstack_and_the_special_functions_under_lax_names():
    x = _n(2, 6)
    parts = lax.split(x, (1, 3, 0, 2), axis=1)
    assert isinstance(parts, list) and [p.shape for p in parts] == [(2, 1), (2, 3), (2, 0),
                                                                    (2, 2)]
    np.testing.assert_array_equal(np.concatenate(parts, 1), x)
    with pytest.raises(ValueError, match="sum to"):
        lax.split(x, (2, 2), axis=1)
    rows = lax.unstack(x)
    assert isinstance(rows, tuple) and len(rows) == 2
    np.testing.assert_array_equal(rows[1], x[1])
    assert lax.broadcast_shapes((2, 1), (1, 3)) == (2, 3)
    v = np.array([0.5, 1.0, 2.0])
    # P + Q = 1; i0e(0) = 1; I_x(1, 1) = x
    np.testing.assert_allclose(lax.igamma(2.0, v) + lax.igammac(2.0, v), 1.0, rtol=1e-14)
    assert lax.bessel_i0e(np.array([0.0]))[0] == 1.0
    np.testing.assert_allclose(lax.betainc(1.0, 1.0, v / 4), v / 4, rtol=1e-14)
    # polygamma(0, x) is digamma
    np.testing.assert_allclose(lax.polygamma(0.0, v), lax.digamma(v), rtol=1e-13)
