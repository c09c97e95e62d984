"""Tests for Conv2d, MaxPool2d, AvgPool2d and the im2col/col2im primitives behind them."""

import itertools

import numpy as np
import pytest
from conftest import SETTINGS
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule.gradcheck import gradcheck
from chainrule.primitives import col2im, im2col, layers


def rand(shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def distinct(shape, seed=0):
    """Values with no ties (so max-pooling is differentiable at them), spaced 0.1 apart."""
    n = int(np.prod(shape))
    return np.random.default_rng(seed).permutation(n).reshape(shape) / 10.0 - n / 20.0


def conv_reference(x, w, b, stride, padding, dilation, groups):
    """The convolution sum written out one output pixel at a time."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, o, oh, ow))
    og = o // groups
    for ni, oi, y, xx in itertools.product(range(n), range(o), range(oh), range(ow)):
        g = oi // og
        total = 0.0 if b is None else b[oi]
        for ci, i, j in itertools.product(range(cg), range(kh), range(kw)):
            total += w[oi, ci, i, j] * xp[ni, g * cg + ci, y * sh + i * dh, xx * sw + j * dw]
        out[ni, oi, y, xx] = total
    return out


def pool_reference(x, k, s, p, d, reduce, pad_value):
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = k, s, p, d
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value)
    oh = (x.shape[2] + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (x.shape[3] + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros(x.shape[:2] + (oh, ow))
    for y, xx in itertools.product(range(oh), range(ow)):
        win = xp[:, :, y * sh : y * sh + dh * (kh - 1) + 1 : dh,
                 xx * sw : xx * sw + dw * (kw - 1) + 1 : dw]
        out[:, :, y, xx] = reduce(win.reshape(x.shape[:2] + (-1,)), axis=-1)
    return out


CONV_CASES = [
    dict(stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1),
    dict(stride=(2, 2), padding=(0, 0), dilation=(1, 1), groups=1),
    dict(stride=(1, 1), padding=(1, 1), dilation=(1, 1), groups=1),
    dict(stride=(1, 1), padding=(0, 0), dilation=(2, 2), groups=1),
    dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=1),
    dict(stride=(1, 2), padding=(1, 0), dilation=(1, 1), groups=2),
]


@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_conv2d_matches_direct_sum_and_gradcheck(case):
    groups = case["groups"]
    x = rand((2, 4, 5, 6), 0)
    w = rand((4, 4 // groups, 2, 3), 1)
    b = rand(4, 2)
    got = F.conv2d(cr.tensor(x), w, b, **case).data
    assert np.allclose(got, conv_reference(x, w, b, **case))
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, **case), x, w, b, order=2)


@st.composite
def conv_geometry(draw):
    groups = draw(st.sampled_from([1, 2]))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    reach = [d * (k - 1) + 1 - 2 * p for k, d, p in zip(kernel, dilation, padding)]
    h, w = (draw(st.integers(max(r, 1), max(r, 1) + 3)) for r in reach)
    shape = (draw(st.integers(1, 2)), groups * draw(st.integers(1, 2)), h, w)
    return shape, kernel, dict(stride=stride, padding=padding, dilation=dilation, groups=groups)


@SETTINGS
@given(conv_geometry(), st.integers(0, 2**32 - 1))
def test_conv2d_any_geometry_matches_direct_sum(geometry, seed):
    shape, kernel, case = geometry
    out_ch = case["groups"] * 2
    x = rand(shape, seed)
    w = rand((out_ch, shape[1] // case["groups"]) + kernel, seed + 1)
    b = rand(out_ch, seed + 2)
    got = F.conv2d(cr.tensor(x), w, b, **case)
    assert got.shape[2:] == F.output_size(shape[2:], kernel, case["stride"], case["padding"],
                                          case["dilation"])
    assert np.allclose(got.data, conv_reference(x, w, b, **case))
    # The window extraction and its scatter-back are each other's transpose.
    geo = dict(kernel_size=kernel, **{k: case[k] for k in ("stride", "padding", "dilation")})
    cols = im2col(x, **geo)
    y = rand(cols.shape, seed + 3)
    assert np.isclose(np.sum(cols * y), np.sum(x * col2im(y, shape=shape, **geo)))


def test_conv2d_without_bias_unbatched_and_string_padding():
    x, w = rand((3, 5, 5), 0), rand((2, 3, 3, 3), 1)
    same = F.conv2d(cr.tensor(x), w, padding="same")
    assert same.shape == (2, 5, 5)
    ref = conv_reference(x[None], w, None, (1, 1), (1, 1), (1, 1), 1)[0]
    assert np.allclose(same.data, ref)
    assert F.conv2d(cr.tensor(x), w, padding="valid").shape == (2, 3, 3)
    dilated = F.conv2d(cr.tensor(x), w, padding="same", dilation=2)
    assert dilated.shape == (2, 5, 5)
    with pytest.raises(ValueError, match="needs stride 1"):
        F.conv2d(cr.tensor(x), w, padding="same", stride=2)


def test_conv2d_errors_name_the_shapes():
    x = cr.tensor(rand((1, 3, 4, 4)))
    with pytest.raises(ValueError, match=r"input has 3 channels but the weight \(2, 2, 3, 3\)"):
        F.conv2d(x, rand((2, 2, 3, 3)))
    with pytest.raises(ValueError, match="smaller than the kernel's reach 5"):
        F.conv2d(x, rand((2, 3, 3, 3)), dilation=2)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        F.conv2d(cr.tensor(rand((3, 4))), rand((2, 3, 3, 3)))
    with pytest.raises(ValueError, match="groups=2"):
        nn.Conv2d(3, 4, 3, groups=2)


def test_im2col_col2im_are_adjoint_and_gradchecked():
    geo = dict(kernel_size=(2, 3), stride=(2, 1), padding=(1, 1), dilation=(1, 2))
    x = rand((2, 3, 5, 6), 0)
    cols = im2col(x, **geo)
    y = rand(cols.shape, 1)
    back = col2im(y, shape=x.shape, **geo)
    # <im2col(x), y> == <x, col2im(y)>: each is the other's transpose.
    assert np.isclose(np.sum(cols * y), np.sum(x * back))
    assert gradcheck(lambda t: im2col(t, **geo), x, order=2)
    assert gradcheck(lambda t: col2im(t, shape=x.shape, **geo), y, order=2)


@pytest.mark.parametrize("k,s,p,d", [
    ((2, 2), (2, 2), (0, 0), (1, 1)),
    ((3, 3), (2, 2), (1, 1), (1, 1)),
    ((2, 3), (1, 2), (1, 0), (1, 1)),
    ((2, 2), (1, 1), (0, 0), (2, 2)),
])
def test_max_pool2d_matches_reference_and_gradcheck(k, s, p, d):
    x = distinct((2, 3, 5, 6))
    got = F.max_pool2d(cr.tensor(x), k, s, p, d).data
    assert np.array_equal(got, pool_reference(x, k, s, p, d, np.max, -np.inf))
    assert gradcheck(lambda t: F.max_pool2d(t, k, s, p, d), x, order=2)


def test_max_pool2d_routes_gradient_to_the_maximum_pytorchs_index_among_ties():
    x = cr.tensor(np.array([[[[1.0, 3.0], [2.0, 0.0]]]]), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    assert np.array_equal(x.grad.data, [[[[0, 1], [0, 0]]]])
    # Equal maxima: the whole gradient to the first in scan order, the element
    # return_indices names (PyTorch's rule), also where windows overlap.
    tie = cr.tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    out, idx = F.max_pool2d(tie, 2, return_indices=True)
    out.sum().backward()
    assert idx.data.item() == 0 and np.array_equal(tie.grad.data, [[[[1, 0], [0, 0]]]])
    row = cr.tensor(np.array([[[1.0, 1.0, 0.0, 1.0]]]), requires_grad=True)
    F.max_pool1d(row, 2, 1).sum().backward()
    assert np.array_equal(row.grad.data, [[[1, 1, 0, 1]]])  # PyTorch's values
    nan = cr.tensor(np.array([[[[np.nan, 1.0], [np.nan, 2.0]]]]), requires_grad=True)
    out, idx = F.max_pool2d(nan, 2, return_indices=True)
    out.sum().backward()  # a NaN window: its last NaN, as PyTorch's scan keeps
    assert idx.data.item() == 2 and np.array_equal(nan.grad.data, [[[[0, 0], [1, 0]]]])
    # a window whose real cells are all -inf: the first real cell, never the padding
    edge = cr.tensor(np.array([[[-np.inf, 1.0, -np.inf]]]), requires_grad=True)
    out, idx = F.max_pool1d(edge, 2, 1, padding=1, return_indices=True)
    out.sum().backward()
    assert idx.data.tolist() == [[[0, 1, 1, 2]]] and edge.grad.data.tolist() == [[[1, 2, 1]]]
    # adaptive pooling: the first maximum, or the last NaN
    a = cr.tensor(np.array([[[np.nan, 1.0, np.nan, 0.0]]]), requires_grad=True)
    out, idx = F.adaptive_max_pool1d(a, 1, return_indices=True)
    out.sum().backward()
    assert idx.data.item() == 2 and a.grad.data.tolist() == [[[0, 0, 1, 0]]]


@pytest.mark.parametrize("k,s,p", [((2, 2), (2, 2), (0, 0)), ((3, 3), (2, 2), (1, 1)),
                                   ((3, 2), (1, 1), (1, 0))])
def test_avg_pool2d_matches_reference_and_gradcheck(k, s, p):
    x = rand((2, 3, 5, 6), 0)
    got = F.avg_pool2d(cr.tensor(x), k, s, p).data
    assert np.allclose(got, pool_reference(x, k, s, p, (1, 1), np.mean, 0.0))
    assert gradcheck(lambda t: F.avg_pool2d(t, k, s, p), x, order=2)
    # Without the padding in the count: the mean of the real pixels only.
    exclusive = F.avg_pool2d(cr.tensor(x), k, s, p, count_include_pad=False).data
    nan_padded = pool_reference(x, k, s, p, (1, 1), np.nanmean, np.nan)
    assert np.allclose(exclusive, nan_padded)
    assert gradcheck(lambda t: F.avg_pool2d(t, k, s, p, count_include_pad=False), x, order=2)


def test_pool_errors():
    with pytest.raises(ValueError, match="at most half the kernel"):
        F.max_pool2d(cr.tensor(rand((1, 1, 4, 4))), 2, padding=2)


def test_conv_modules_shapes_init_repr_and_gradcheck():
    conv = nn.Conv2d(2, 4, 3, stride=2, padding=1, rng=0)
    assert conv.weight.shape == (4, 2, 3, 3) and conv.bias.shape == (4,)
    bound = 1 / np.sqrt(2 * 9)
    assert np.abs(conv.weight.data).max() <= bound and np.abs(conv.bias.data).max() <= bound
    assert repr(conv) == "Conv2d(2, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))"
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1)"
    conv.double()
    assert gradcheck(conv, rand((1, 2, 5, 5)), order=2)
    grouped = nn.Conv2d(4, 6, (2, 1), groups=2, bias=False, dtype=np.float64, rng=0)
    assert grouped.weight.shape == (6, 2, 2, 1) and grouped.bias is None
    assert gradcheck(grouped, rand((2, 4, 3, 3)), order=2)
    assert gradcheck(nn.AvgPool2d(2, 1), rand((1, 2, 3, 3)), order=2)
    assert gradcheck(nn.MaxPool2d(2, 1), distinct((1, 2, 3, 3)), order=2)


def test_small_cnn_runs_in_float32():
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, rng=0), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 8, 3, padding=1, groups=2, rng=1), nn.Tanh(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(8 * 2 * 2, 10, rng=2),
    )
    x = cr.tensor(rand((5, 1, 8, 8), 0, np.float32), requires_grad=True)
    out = model(x)
    assert out.shape == (5, 10) and out.dtype == np.float32
    nn.CrossEntropyLoss()(out, np.arange(5)).backward()
    assert x.grad.dtype == np.float32
    for name, p in model.named_parameters():
        assert p.grad.dtype == np.float32 and p.grad.shape == p.shape, name
        assert np.any(p.grad.data != 0), name


# ------------------------------------------- the conv2d and max_pool2d primitives
GEOMETRIES = [
    dict(stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1),
    dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2),
]


@pytest.mark.parametrize("case", GEOMETRIES, ids=str)
def test_conv2d_in_several_column_chunks_matches_the_direct_sum(case, monkeypatch):
    # Two images per chunk of the window matrix, five images: chunks of 2, 2 and 1.
    x, w, b = rand((5, 4, 6, 7), 0), rand((4, 4 // case["groups"], 2, 3), 1), rand(4, 2)
    per_image = 4 * 2 * 3 * np.prod(F.output_size((6, 7), (2, 3), case["stride"],
                                                  case["padding"], case["dilation"])) * 8
    monkeypatch.setattr(layers, "_CHUNK_BYTES", int(2 * per_image))
    xt = cr.tensor(x, requires_grad=True)
    out = F.conv2d(xt, w, b, **case)
    assert np.allclose(out.data, conv_reference(x, w, b, **case))
    g = rand(out.shape, 3)
    out.backward(g)
    # The input gradient is the transposed convolution: <g, conv(e, w)> for each unit e.
    assert np.allclose(np.sum(xt.grad.data * x), np.sum(g * conv_reference(x, w, None, **case)))
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, **case), x, w, b, order=2)


@pytest.mark.parametrize("case", GEOMETRIES, ids=str)
def test_conv2d_backward_primitives_gradcheck_to_second_order(case):
    x, w = rand((2, 4, 5, 6), 0), rand((4, 4 // case["groups"], 2, 3), 1)
    g = rand(layers.conv2d(x, w, 0, **case).shape, 2)
    assert gradcheck(lambda g, w: layers.conv2d_input_grad(g, w, shape=x.shape, **case),
                     g, w, order=2)
    assert gradcheck(lambda x, g: layers.conv2d_weight_grad(x, g, shape=w.shape, **case),
                     x, g, order=2)


def test_conv2d_keeps_float32_in_every_rule():
    x = cr.tensor(rand((3, 2, 6, 6), 0, np.float32), requires_grad=True)
    conv = nn.Conv2d(2, 4, 3, padding=1, rng=0)
    out = conv(x)
    assert out.dtype == np.float32
    out.backward(rand(out.shape, 1, np.float32))
    for t in (x, conv.weight, conv.bias):
        assert t.grad.dtype == np.float32


@pytest.mark.parametrize("k,s,p,d", [((2, 2), (2, 2), (0, 0), (1, 1)),
                                     ((3, 3), (1, 1), (1, 1), (1, 1))])
def test_max_pool2d_scatter_and_gather_are_adjoint_and_gradchecked(k, s, p, d):
    geo = dict(kernel_size=k, stride=s, padding=p, dilation=d)
    x = distinct((2, 3, 5, 6))
    y = layers.max_pool2d(x, **geo)
    g, t = rand(y.shape, 1), rand(x.shape, 2)
    scattered = layers.max_pool2d_scatter(g, x, y, **geo)
    gathered = layers.max_pool2d_gather(t, x, y, **geo)
    assert np.isclose(np.sum(scattered * t), np.sum(g * gathered))
    assert gradcheck(lambda g: layers.max_pool2d_scatter(g, x, y, **geo), g, order=2)
    assert gradcheck(lambda t: layers.max_pool2d_gather(t, x, y, **geo), t, order=2)


def test_max_pool2d_float32_nan_and_ties_after_relu():
    x = np.maximum(rand((2, 3, 4, 4), 0, np.float32), 0)  # whole windows of zeros: ties
    x[0, 0, 0, 0] = np.nan
    xt = cr.tensor(x, requires_grad=True)
    out = F.max_pool2d(xt, 2)
    assert out.dtype == np.float32 and np.isnan(out.data[0, 0, 0, 0])
    expected = pool_reference(x.astype(np.float64), (2, 2), (2, 2), (0, 0), (1, 1), np.max,
                              -np.inf)
    assert np.array_equal(out.data, expected.astype(np.float32), equal_nan=True)
    with np.errstate(all="raise"):
        out.sum().backward()
    grad = xt.grad.data
    assert grad.dtype == np.float32
    # Every window passes on exactly its cotangent of 1 to one element: the first of
    # equal maxima, or the NaN of the window holding one.
    sums = grad.reshape(2, 3, 2, 2, 2, 2).sum(axis=(3, 5))
    assert np.array_equal(sums, np.ones_like(sums)) and set(np.unique(grad)) <= {0, 1}
    assert grad[0, 0, 0, 0] == 1


def test_reused_scratch_buffers_keep_every_call_exact(monkeypatch):
    # The kernels keep their padded inputs, window matrices and placed cotangents from one
    # call to the next (primitives/scratch.py). Alternate calls whose buffers have the same
    # shapes but different contents and borders: a 6 x 6 input padded by 1 and a 4 x 4
    # input padded by 2 both make an 8 x 8 grid; batches of 3 and 5 at two images per
    # chunk leave a partial last chunk in the transposed convolution's placed buffer.
    monkeypatch.setattr(layers, "_CHUNK_BYTES", 2 * 2 * 9 * 36 * 8)
    w = rand((3, 2, 3, 3), 1)
    cases = [(rand((3, 2, 6, 6), 2), 1), (rand((5, 2, 4, 4), 3), 2), (rand((5, 2, 6, 6), 4), 1)]
    for _ in range(2):
        for x, p in cases:
            geo = dict(stride=(1, 1), padding=(p, p), dilation=(1, 1), groups=1)
            xt = cr.tensor(x, requires_grad=True)
            wt = cr.tensor(w, requires_grad=True)
            out = F.conv2d(xt, wt, None, **geo)
            assert np.allclose(out.data, conv_reference(x, w, None, **geo), atol=1e-12)
            g = rand(out.shape, 5)
            out.backward(g)
            # <g, conv(x, w)> is linear in each of x and w: both gradients are checked
            # through the same identity, against the direct sum.
            ref = np.sum(g * conv_reference(x, w, None, **geo))
            assert np.isclose(np.sum(xt.grad.data * x), ref, rtol=1e-12)
            assert np.isclose(np.sum(wt.grad.data * w), ref, rtol=1e-12)


def test_scratch_buffers_stay_within_their_limit_and_per_thread():
    import threading

    from chainrule.primitives import scratch

    scratch.release()
    a = scratch.buffer(("t",), (4, 4), np.float32)
    assert scratch.buffer(("t",), (4, 4), np.float32) is a
    assert scratch.buffer(("t",), (4, 4), np.float64) is not a
    filled = scratch.buffer(("f",), (3,), np.float64, 0.0)
    assert np.array_equal(filled, np.zeros(3))
    big = scratch.buffer(("big",), (scratch._LIMIT // 4 // 8 + 1,), np.float64)
    assert scratch.buffer(("big",), big.shape, np.float64) is not big  # not kept
    many = [scratch.buffer(("m", i), (scratch._LIMIT // 16 // 8,), np.float64)
            for i in range(40)]
    pool = scratch._pool()
    assert sum(b.nbytes for b in pool.values()) <= scratch._LIMIT
    assert any(b is many[-1] for b in pool.values())
    seen = []
    thread = threading.Thread(target=lambda: seen.append(scratch.buffer(("t",), (4, 4),
                                                                         np.float32)))
    thread.start()
    thread.join()
    assert seen[0] is not a and seen[0].shape == (4, 4)
    scratch.release()
    assert not scratch._pool()
