"""The convolution family beyond Conv2d: what the op database does not check (modules and
their parameters, padding modes, adjointness, hand-computed values, indices, errors)."""

import warnings

import numpy as np
import pytest
from opdb import conv_references as R

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule.gradcheck import gradcheck

RNG = np.random.default_rng(0)


def rand(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


# ------------------------------------------------------------------- convolutions
@pytest.mark.parametrize("cls, n", [(nn.Conv1d, 1), (nn.Conv2d, 2), (nn.Conv3d, 3)])
def test_conv_modules_layout_init_and_reference(cls, n):
    conv = cls(4, 6, 3, stride=1, padding=1, groups=2, rng=0)
    assert conv.weight.shape == (6, 2) + (3,) * n and conv.bias.shape == (6,)
    assert conv.weight.dtype == np.float32
    bound = 1 / np.sqrt(2 * 3**n)  # fan_in = in / groups * prod(kernel)
    assert np.abs(conv.weight.data).max() <= bound
    assert sorted(conv.state_dict()) == ["bias", "weight"]
    x = rand(2, 4, *(4,) * n, dtype=np.float32)
    out = conv(cr.tensor(x))
    assert out.dtype == np.float32 and out.shape == (2, 6) + (4,) * n
    want = R.conv(x.astype(np.float64), conv.weight.data.astype(np.float64),
                  conv.bias.data.astype(np.float64), 1, 1, 1, 2)
    assert np.allclose(out.data, want, atol=1e-5)


@pytest.mark.parametrize("mode, np_mode", [("reflect", "reflect"), ("replicate", "edge"),
                                            ("circular", "wrap")])
def test_padding_modes_pad_as_numpy_then_convolve(mode, np_mode):
    conv = nn.Conv2d(2, 3, (3, 2), padding=(2, 1), padding_mode=mode, dtype=np.float64,
                     rng=0)
    x = rand(1, 2, 4, 5)
    padded = np.pad(x, ((0, 0), (0, 0), (2, 2), (1, 1)), mode=np_mode)
    assert np.allclose(conv(cr.tensor(x)).data,
                       R.conv(padded, conv.weight.data, conv.bias.data))
    assert "padding_mode=" + mode in repr(conv)
    assert gradcheck(conv, x, order=2)
    # 'same' with an even kernel: the extra row/column after, as F.pad would put it.
    same = nn.Conv1d(1, 1, 4, padding="same", padding_mode=mode, dtype=np.float64, rng=0)
    s = rand(1, 1, 6)
    want = R.conv(np.pad(s, ((0, 0), (0, 0), (1, 2)), mode=np_mode), same.weight.data,
                  same.bias.data)
    assert np.allclose(same(cr.tensor(s)).data, want)


def test_same_padding_with_an_odd_total_pads_after():
    x, w = rand(1, 1, 6), rand(1, 1, 4)
    got = F.conv1d(cr.tensor(x), w, padding="same").data
    assert got.shape == (1, 1, 6)
    assert np.allclose(got, R.conv(np.pad(x, ((0, 0), (0, 0), (1, 2))), w))


@pytest.mark.parametrize("n, stride, padding, out_pad, dil, groups", [
    (1, 2, 1, 1, 1, 1), (2, (2, 3), (0, 1), (1, 2), (1, 2), 2), (3, 1, 0, 0, 1, 1)])
def test_conv_transpose_is_the_adjoint_of_conv(n, stride, padding, out_pad, dil, groups):
    x = rand(2, 4, *(3,) * n)
    w = rand(4, 6 // groups, *(2,) * n)
    y = F.conv_transpose1d if n == 1 else F.conv_transpose2d if n == 2 else F.conv_transpose3d
    out = y(cr.tensor(x), w, None, stride, padding, out_pad, groups, dil).data
    assert np.allclose(out, R.conv_transpose(x, w, None, stride, padding, out_pad, groups, dil))
    # <conv_transpose(x, w), z> == <x, conv(z, w)>: the transpose of the convolution.
    z = rand(*out.shape)
    conv = F.conv1d if n == 1 else F.conv2d if n == 2 else F.conv3d
    back = conv(cr.tensor(z), w, None, stride, padding, dil, groups).data
    assert np.isclose(np.sum(out * z), np.sum(x * back))


def test_conv_transpose_module_layout_output_size_and_errors():
    up = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, groups=2, rng=0)
    assert up.weight.shape == (4, 3, 3, 3) and up.bias.shape == (6,)
    assert np.abs(up.weight.data).max() <= 1 / np.sqrt(3 * 9)  # fan_in from weight.shape[1]
    x = cr.tensor(rand(1, 4, 5, 5, dtype=np.float32))
    assert up(x).shape == (1, 6, 9, 9)
    assert up(x, output_size=(10, 9)).shape == (1, 6, 10, 9)
    assert up(x, output_size=(1, 6, 10, 10)).shape == (1, 6, 10, 10)
    with pytest.raises(ValueError, match="output_size"):
        up(x, output_size=(12, 9))
    with pytest.raises(ValueError, match="output_padding"):
        F.conv_transpose2d(x, up.weight, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="padding_mode='zeros'"):
        nn.ConvTranspose1d(2, 2, 3, padding_mode="reflect")
    assert nn.ConvTranspose1d(2, 3, 2, dtype=np.float64, rng=0)(
        cr.tensor(rand(2, 4))).shape == (3, 5)


def test_conv_errors_name_the_argument():
    x = cr.tensor(rand(1, 2, 8))
    with pytest.raises(ValueError, match="needs stride 1"):
        F.conv1d(x, rand(3, 2, 3), stride=2, padding="same")
    with pytest.raises(ValueError, match="padding must be"):
        F.conv1d(x, rand(3, 2, 3), padding="full")
    with pytest.raises(ValueError, match="stride must be"):
        F.conv1d(x, rand(3, 2, 3), stride=(1, 1))
    with pytest.raises(ValueError, match=r"\(N, C, L\)"):
        F.conv1d(cr.tensor(rand(8)), rand(3, 2, 3))
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv1d(2, 3, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="device"):
        nn.Conv3d(2, 3, 3, device="cuda")


# ----------------------------------------------------------------------- pooling
def test_ceil_mode_matches_pytorchs_rule_and_hand_values():
    x = cr.tensor(np.array([[[1.0, 2, 3, 4, 5]]]))
    # The last window holds 5 alone (its count 1: it ends past the input, not the padding).
    assert np.allclose(F.avg_pool1d(x, 2, ceil_mode=True).data, [[[1.5, 3.5, 5.0]]])
    assert np.allclose(F.max_pool1d(x, 2, ceil_mode=True).data, [[[2.0, 4.0, 5.0]]])
    # With padding 1: windows [-1, 1), [1, 3), [3, 5), [5, 7)? The last starts in the
    # right padding and is dropped, as PyTorch does.
    assert F.avg_pool1d(x, 2, padding=1, ceil_mode=True).shape == (1, 1, 3)
    for length in range(3, 9):
        for k, s, p in [(2, 2, 0), (3, 2, 1), (3, 3, 1), (2, 3, 1)]:
            got = F.max_pool1d(cr.tensor(rand(1, 1, length)), k, s, p, ceil_mode=True)
            assert got.shape[-1] == R.pool_size(length, k, s, p, 1, True), (length, k, s, p)


def test_avg_pool_divisor_override_and_count_include_pad():
    x = rand(1, 1, 4, 4)
    got = F.avg_pool2d(cr.tensor(x), 2, divisor_override=3).data
    assert np.allclose(got, x.reshape(1, 1, 2, 2, 2, 2).sum(axis=(3, 5)) / 3)
    pool = nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False)
    assert np.allclose(pool(cr.tensor(x)).data, R.avg_pool(x, 3, 2, 1, True, False))


def test_max_pool_return_indices_are_flat_positions_of_the_maximum():
    x = rand(2, 3, 5, 6)
    out, idx = F.max_pool2d(cr.tensor(x), 3, 2, 1, ceil_mode=True, return_indices=True)
    assert idx.dtype == np.int64 and idx.shape == out.shape
    flat = x.reshape(2, 3, -1)
    picked = np.take_along_axis(flat, idx.data.reshape(2, 3, -1), 2).reshape(out.shape)
    assert np.array_equal(picked, out.data)
    assert np.array_equal(out.data, R.max_pool(x, 3, 2, 1, 1, True))
    pool = nn.MaxPool1d(2, return_indices=True)
    vals, where = pool(cr.tensor(np.array([[3.0, 1, 2, 5, 4]])))  # unbatched (C, L)
    assert np.array_equal(where.data, [[0, 3]]) and np.array_equal(vals.data, [[3.0, 5.0]])


def test_adaptive_windows_are_pytorchs():
    # L = 5 into 3: [0, 2), [1, 4), [3, 5).
    x = np.array([[[1.0, 2, 3, 4, 5]]])
    assert np.allclose(F.adaptive_avg_pool1d(cr.tensor(x), 3).data, [[[1.5, 3.0, 4.5]]])
    out, idx = F.adaptive_max_pool1d(cr.tensor(x), 3, return_indices=True)
    assert np.allclose(out.data, [[[2.0, 4.0, 5.0]]]) and np.array_equal(idx.data, [[[1, 3, 4]]])
    x2 = rand(2, 3, 7, 5)
    for size in [(3, 2), 4, (None, 3), (9, 6)]:
        assert np.allclose(nn.AdaptiveAvgPool2d(size)(cr.tensor(x2)).data,
                           R.adaptive_avg_pool(x2, size))
        out, idx = nn.AdaptiveMaxPool2d(size, return_indices=True)(cr.tensor(x2))
        assert np.allclose(out.data, R.adaptive_max_pool(x2, size))
        picked = np.take_along_axis(x2.reshape(2, 3, -1), idx.data.reshape(2, 3, -1), 2)
        assert np.array_equal(picked.reshape(out.shape), out.data)
    assert nn.AdaptiveAvgPool2d(1)(cr.tensor(x2.astype(np.float32))).dtype == np.float32


def test_pool_errors():
    x = cr.tensor(rand(1, 1, 6))
    with pytest.raises(ValueError, match="output_size"):
        F.adaptive_avg_pool1d(x, 0)
    with pytest.raises(ValueError, match="output_size"):
        F.adaptive_max_pool2d(cr.tensor(rand(1, 1, 4, 4)), (2, 2, 2))
    with pytest.raises(ValueError, match="at most half"):
        F.avg_pool1d(x, 2, padding=2)
    with pytest.raises(ValueError, match="divisor_override"):
        F.avg_pool2d(cr.tensor(rand(1, 1, 4, 4)), 2, divisor_override=0)


# ---------------------------------------------------------------------------- pad
@pytest.mark.parametrize("mode, np_mode", [("reflect", "reflect"), ("replicate", "edge"),
                                            ("circular", "wrap")])
def test_pad_modes_are_numpys(mode, np_mode):
    x = rand(2, 3, 4, 5)
    got = F.pad(cr.tensor(x), (1, 2, 3, 0), mode=mode).data
    assert np.array_equal(got, np.pad(x, ((0, 0), (0, 0), (3, 0), (1, 2)), mode=np_mode))


def test_pad_constant_negative_float32_and_errors():
    x = rand(2, 3, 4, dtype=np.float32)
    got = F.pad(cr.tensor(x), (1, -1, -1, 2), value=0.5)
    assert got.dtype == np.float32
    want = np.pad(x[:, 1:, :-1], ((0, 0), (0, 2), (1, 0)), constant_values=0.5)
    assert np.array_equal(got.data, want)
    with pytest.raises(ValueError, match="less than its size"):
        F.pad(cr.tensor(x), (4, 0), mode="reflect")
    with pytest.raises(ValueError, match="at most its size"):
        F.pad(cr.tensor(x), (5, 0), mode="circular")
    with pytest.raises(ValueError, match="mode must be"):
        F.pad(cr.tensor(x), (1, 1), mode="symmetric")
    with pytest.raises(ValueError, match="even length"):
        F.pad(cr.tensor(x), (1, 1, 1))


# -------------------------------------------------------------------- interpolate
def test_interpolate_hand_values():
    x = cr.tensor(np.array([[[0.0, 1.0]]]))
    assert np.allclose(F.interpolate(x, size=3, mode="linear", align_corners=True).data,
                       [[[0.0, 0.5, 1.0]]])
    assert np.allclose(F.interpolate(x, scale_factor=2, mode="linear",
                                     align_corners=False).data, [[[0.0, 0.25, 0.75, 1.0]]])
    assert np.allclose(F.interpolate(x, scale_factor=2).data, [[[0.0, 0.0, 1.0, 1.0]]])
    assert np.allclose(F.interpolate(x, size=3).data, [[[0.0, 0.0, 1.0]]])  # floor(d 2/3)
    assert np.allclose(F.interpolate(x, size=3, mode="nearest-exact").data, [[[0.0, 1.0, 1.0]]])
    img = rand(1, 2, 3, 4, dtype=np.float32)
    up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)(cr.tensor(img))
    assert up.dtype == np.float32 and up.shape == (1, 2, 6, 8)
    assert np.allclose(up.data, R.interpolate(img.astype(np.float64), None, 2, "bilinear",
                                              False), atol=1e-6)
    old = nn.UpsamplingBilinear2d(size=(5, 7))(cr.tensor(img))
    assert np.allclose(old.data, R.interpolate(img.astype(np.float64), (5, 7), None,
                                               "bilinear", True), atol=1e-6)


def test_interpolate_errors():
    x = cr.tensor(rand(1, 1, 4, 4))
    with pytest.raises(ValueError, match="exactly one"):
        F.interpolate(x, size=2, scale_factor=2)
    with pytest.raises(ValueError, match="align_corners"):
        F.interpolate(x, size=2, align_corners=True)
    with pytest.raises(ValueError, match="4-D"):
        F.interpolate(cr.tensor(rand(1, 1, 4)), size=2, mode="bilinear")
    with pytest.raises(ValueError, match="mode must be"):
        F.interpolate(x, size=2, mode="lanczos")
    with pytest.raises(ValueError, match="4-D"):
        F.interpolate(cr.tensor(rand(1, 1, 4)), size=2, mode="bicubic")
    with pytest.raises(ValueError, match="anti-alias option is only supported for bilinear"):
        F.interpolate(x, size=2, mode="nearest", antialias=True)


# ---------------------------------------------------------------- unfold and fold
def test_fold_of_unfold_counts_the_windows_and_they_are_adjoint():
    x = rand(2, 3, 5, 6)
    geo = {"kernel_size": (2, 3), "dilation": (1, 2), "padding": 1, "stride": (2, 1)}
    cols = nn.Unfold(**geo)(cr.tensor(x)).data
    assert np.allclose(cols, R.unfold(x, **geo))
    back = nn.Fold((5, 6), **geo)(cr.tensor(cols)).data
    count = F.fold(F.unfold(cr.tensor(np.ones_like(x)), **geo), (5, 6), **geo).data
    assert np.allclose(back, x * count)
    y = rand(*cols.shape)
    assert np.isclose(np.sum(cols * y), np.sum(x * F.fold(cr.tensor(y), (5, 6), **geo).data))
    with pytest.raises(ValueError, match="windows"):
        F.fold(cr.tensor(rand(1, 18, 5)), (5, 6), **geo)


# -------------------------------------------------------- affine_grid, grid_sample
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_identity_grid_reproduces_the_input(align_corners, mode):
    x = rand(2, 3, 4, 5)
    theta = np.tile(np.array([[1.0, 0, 0], [0, 1.0, 0]]), (2, 1, 1))
    grid = F.affine_grid(cr.tensor(theta), (2, 3, 4, 5), align_corners=align_corners)
    assert np.allclose(grid.data, R.affine_grid(theta, (2, 3, 4, 5), align_corners))
    out = F.grid_sample(cr.tensor(x), grid, mode=mode, align_corners=align_corners)
    assert np.allclose(out.data, x)


def test_grid_sample_padding_modes_and_the_default_warning():
    x = rand(1, 2, 3, 4)
    grid = RNG.uniform(-2.5, 2.5, (1, 5, 6, 2))
    for pm in ("zeros", "border", "reflection"):
        for ac in (False, True):
            got = F.grid_sample(cr.tensor(x), cr.tensor(grid), padding_mode=pm,
                                align_corners=ac).data
            assert np.allclose(got, R.grid_sample(x, grid, "bilinear", pm, ac)), (pm, ac)
    with pytest.warns(UserWarning, match="align_corners"):
        F.grid_sample(cr.tensor(x), cr.tensor(grid))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.affine_grid(cr.tensor(rand(1, 2, 3)), (1, 1, 2, 2), align_corners=False)
    with pytest.raises(ValueError, match="bicubic"):
        F.grid_sample(cr.tensor(x), cr.tensor(grid), mode="trilinear", align_corners=False)


def test_spatial_transformer_trains_in_float32():
    x = cr.tensor(rand(2, 1, 5, 5, dtype=np.float32))
    theta = cr.tensor(np.tile(np.array([[0.9, 0.1, 0.05], [-0.1, 0.8, 0.0]], np.float32),
                              (2, 1, 1)), requires_grad=True)
    grid = F.affine_grid(theta, (2, 1, 4, 4), align_corners=False)
    out = F.grid_sample(x, grid, padding_mode="border", align_corners=False)
    assert grid.dtype == np.float32 and out.dtype == np.float32
    out.sum().backward()
    assert theta.grad.dtype == np.float32 and np.all(np.isfinite(theta.grad.data))


# ---------------------------------------------------------------- under cr.compile
def test_compiled_layers_replay_new_values_and_index_reads_are_refused():
    w = rand(3, 2, 2, 2)

    def f(x):
        h = F.pad(F.conv2d(x, w, padding="same"), (1, 1, 2, 0), mode="reflect")
        return (F.interpolate(h, scale_factor=1.5, mode="bilinear", align_corners=False).sum()
                + F.max_pool2d(x, 2, ceil_mode=True).sum()
                + F.adaptive_max_pool2d(x, (3, 2)).sum()
                + F.avg_pool2d(x, 3, 2, 1, True, False).sum()
                + F.conv_transpose1d(F.adaptive_avg_pool1d(x[:, :, 0], 3), w[:2, :, 0]).sum())

    compiled = cr.compile(f)
    for _ in range(3):  # each call's own values, not the captured call's
        x = rand(1, 2, 4, 5)
        assert np.isclose(compiled(x).data, f(cr.tensor(x)).data)
    for pm in ("zeros", "border", "reflection"):
        def sample(x, g, pm=pm):
            return F.grid_sample(x, g, padding_mode=pm, align_corners=False)

        compiled = cr.compile(sample)
        for _ in range(3):  # each call's grid decides which pixels are read
            x, grid = rand(1, 2, 4, 5), RNG.uniform(-1.5, 1.5, (1, 2, 3, 2))
            assert np.allclose(compiled(x, grid).data, sample(cr.tensor(x), grid).data)
    with pytest.raises(TypeError, match="indices"):
        cr.compile(lambda x: F.max_pool1d(x, 2, return_indices=True)[0])(rand(1, 2, 6))


# -------------------------------------------------------------------- under cr.vmap
def _value(v):
    return np.asarray(getattr(v, "data", v))


def test_vmap_batches_convolutions_in_one_call_including_per_example_gradients():
    xs, ws, bs = rand(4, 2, 4, 6), rand(4, 6, 2, 2), rand(4, 6)
    kw = {"stride": 2, "padding": 1, "groups": 2}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no example-by-example fallback
        both = cr.vmap(lambda x, w, b: F.conv1d(x, w, b, **kw))(xs, ws, bs)
        inputs = cr.vmap(lambda x: F.conv1d(x, ws[0], None, **kw))(xs)

        def loss(w, x):
            return (F.conv_transpose1d(F.conv1d(x, w, padding=1), w, stride=2) ** 2).sum()

        w, xs5 = rand(3, 2, 3), rand(5, 1, 2, 6)
        per_example = cr.vmap(cr.grad(loss), in_axes=(None, 0))(w, xs5)
    loop = [F.conv1d(cr.tensor(x), w_, b, **kw).data for x, w_, b in zip(xs, ws, bs)]
    assert np.allclose(_value(both), np.stack(loop))
    assert np.allclose(_value(inputs), np.stack(
        [F.conv1d(cr.tensor(x), ws[0], None, **kw).data for x in xs]))
    assert np.allclose(_value(per_example), np.stack([_value(cr.grad(loss)(w, x)) for x in xs5]))


def test_padding_modules_are_f_pad():
    x = rand(1, 2, 3, 4, 5)
    for kind, mode in (("Reflection", "reflect"), ("Replication", "replicate"),
                       ("Circular", "circular"), ("Zero", "constant")):
        for n in (1, 2, 3):
            module = getattr(nn, f"{kind}Pad{n}d")((1, 2) * n)
            want = R.pad(x, (1, 2) * n, mode)
            assert np.array_equal(module(cr.tensor(x)).data, want), (kind, n)
    assert np.array_equal(nn.ConstantPad2d(1, -1.5)(cr.tensor(x)).data,
                          R.pad(x, (1,) * 4, "constant", -1.5))
    assert repr(nn.ReflectionPad2d(1)) == "ReflectionPad2d((1, 1, 1, 1))"
    with pytest.raises(ValueError, match="padding"):
        nn.ZeroPad2d((1, 2, 3))


# ------------------------------------------------------------- fractional max pooling
def test_fractional_windows_are_grahams_and_samples_are_width_then_height():
    # 2-d: the first sample places the width's windows, the second the height's.
    x = np.arange(7 * 9, dtype=np.float64).reshape(1, 1, 7, 9)  # increasing: max at the end
    u = np.array([[[0.75, 0.25]]])
    y, idx = F.fractional_max_pool2d(x, 2, output_size=(3, 4), return_indices=True,
                                     _random_samples=u)
    # height: a = (7 - 2) / 2 = 2.5, u = 0.25: 0, int(3.125) - int(0.625) = 3, then 5;
    # width: a = 7 / 3, u = 0.75: int(1.75) - 1 = 0, int(4.08) - 1 = 3, int(6.42) - 1 = 5,
    # then 7. Each window's maximum is its last element (+1 on both axes).
    rows, cols = np.array([0, 3, 5]) + 1, np.array([0, 3, 5, 7]) + 1
    want = rows[:, None] * 9 + cols
    assert np.array_equal(np.asarray(idx)[0, 0], want)
    assert np.array_equal(np.asarray(y.data if hasattr(y, "data") else y)[0, 0], want)


def test_fractional_gradient_goes_to_the_first_maximum_and_a_nan_wins():
    x = cr.tensor(np.zeros((1, 1, 4, 4)), requires_grad=True)
    u = np.full((1, 1, 2), 0.5)
    F.fractional_max_pool2d(x, 2, output_size=2, _random_samples=u).sum().backward()
    grad = np.zeros((4, 4))
    grad[::2, ::2] = 1  # each window's top-left element, not a quarter to each tie
    assert np.array_equal(x.grad[0, 0], grad)
    row = np.array([[[[1.0, np.nan, 2.0, np.nan]]]])
    y, idx = F.fractional_max_pool2d(row, (1, 4), output_size=1, return_indices=True,
                                     _random_samples=np.zeros((1, 1, 2)))
    assert np.isnan(np.asarray(y)).all() and int(np.asarray(idx).ravel()[0]) == 3  # the last


def test_fractional_windows_of_float32_use_float32_arithmetic():
    # a = 97 / 36 and u = 0.9999 round differently in float32: the windows follow the dtype.
    x = rand(1, 1, 100, 100)
    u = np.array([[[0.3333, 0.9999]]])
    for dtype in (np.float32, np.float64):
        _, idx = F.fractional_max_pool2d(x.astype(dtype), 3, output_size=(37, 41),
                                         return_indices=True, _random_samples=u)
        a = dtype(97) / dtype(36)
        i = np.arange(36, dtype=dtype)
        starts = ((i + dtype(0.9999)) * a).astype(int) - int(dtype(0.9999) * a)
        rows = np.asarray(idx)[0, 0, :, 0] // 100
        window = rows[:-1, None] - starts[:, None]
        assert ((window >= 0) & (window < 3)).all()


def test_fractional_modules_draw_windows_and_refuse_bad_arguments():
    pool = nn.FractionalMaxPool2d(3, output_ratio=(0.5, 0.75), rng=0)
    x = cr.tensor(rand(2, 3, 12, 8))
    a, b = pool(x), pool(x)
    assert a.shape == (2, 3, 6, 6) and not np.array_equal(a.data, b.data)  # fresh windows
    assert pool.kernel_size == (3, 3) and pool.output_ratio == (0.5, 0.75)
    fixed_windows = nn.FractionalMaxPool2d(2, output_size=4, _random_samples=RNG.random((2, 3, 2)))
    assert np.array_equal(fixed_windows(x).data, fixed_windows(x).data)
    assert list(fixed_windows.state_dict()) == ["_random_samples"]  # a buffer, as PyTorch's
    assert nn.FractionalMaxPool3d(2, output_size=2)(rand(1, 5, 5, 5)).shape == (1, 2, 2, 2)
    with pytest.raises(ValueError, match="either an output size"):
        nn.FractionalMaxPool2d(2)
    with pytest.raises(ValueError, match="only one of"):
        nn.FractionalMaxPool2d(2, output_size=3, output_ratio=0.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.FractionalMaxPool2d(2, output_ratio=1.5)
    with pytest.raises(ValueError, match="pool height 5 too large"):
        F.fractional_max_pool2d(rand(1, 1, 9, 9), 5, output_size=(8, 3))
    with pytest.raises(ValueError, match="less than"):  # 3-d: the last window ends inside
        F.fractional_max_pool3d(rand(1, 1, 6, 6, 6), 2, output_size=5)
    with pytest.raises(ValueError, match="_random_samples must have shape"):
        F.fractional_max_pool2d(rand(2, 3, 8, 8), 2, output_size=4,
                                _random_samples=RNG.random((1, 3, 2)))
    with pytest.raises(TypeError, match="fractional_max_pool2d's windows"):
        cr.compile(lambda x: F.fractional_max_pool2d(x, 2, output_size=3))(rand(1, 2, 6, 6))


def test_nearest_grid_sample_gives_the_grid_a_zero_gradient():
    # PyTorch's nearest mode: the grid's gradient is zeros (asked for, it is not "unused")
    x = cr.tensor(rand(1, 1, 4, 4), requires_grad=True)
    theta = cr.tensor(np.array([[[0.9, 0.1, 0.05], [-0.1, 0.8, 0.0]]]), requires_grad=True)
    grid = F.affine_grid(theta, (1, 1, 4, 4), align_corners=False)
    out = F.grid_sample(x, grid, mode="nearest", align_corners=False)
    out.sum().backward()
    np.testing.assert_array_equal(theta.grad.data, np.zeros((1, 2, 3)))
    assert x.grad.data.sum() == 16.0
    np.testing.assert_array_equal(out.data, R.grid_sample(x.data, grid.data, "nearest",
                                                          "zeros", False))
