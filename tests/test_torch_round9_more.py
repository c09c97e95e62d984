"""PyTorch front end, round 9: RNN flat weights, torch.Size arithmetic, DataParallel on
the CPU, gradcheck with hooks, torch.func.vjp's plain results, the repr's suffix
wrapping, optimizers' float step counts, grid_sample's pixel coordinates, and the
RuntimeError of shape errors. Expectations come from PyTorch's documented rules or from
identities, computed here independently."""

import io
from fractions import Fraction

import numpy as np
import pytest

import chainrule.torch as torch
from chainrule.torch import nn
from chainrule.torch.func import grad_and_value, jvp, linearize, vjp


# ------------------------------------------------------------------ 1. flat weights
def test_rnn_flat_weights_names_follow_pytorchs_order():
    gru = nn.GRU(4, 3, 2)
    assert gru._flat_weights_names == [
        "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
        "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"]
    lstm = nn.LSTM(3, 4, 2, bidirectional=True, proj_size=2, bias=False)
    assert lstm._flat_weights_names == [
        "weight_ih_l0", "weight_hh_l0", "weight_hr_l0",
        "weight_ih_l0_reverse", "weight_hh_l0_reverse", "weight_hr_l0_reverse",
        "weight_ih_l1", "weight_hh_l1", "weight_hr_l1",
        "weight_ih_l1_reverse", "weight_hh_l1_reverse", "weight_hr_l1_reverse"]
    rnn = nn.RNN(2, 3)
    assert [p is q for p, q in zip(rnn._flat_weights, rnn.parameters())] == [True] * 4


def test_flat_weights_stay_current_and_serve_d2ls_xavier_init():
    m = nn.LSTM(3, 4)
    m.weight_ih_l0 = nn.Parameter(torch.zeros(16, 3))
    assert m._flat_weights[0] is m.weight_ih_l0
    m.load_state_dict({k: v + 1 for k, v in m.state_dict().items()})
    assert all(p is q for p, q in zip(m._flat_weights, m.parameters()))
    assert m._flat_weights[0].sum().item() == 48.0
    bias = m.bias_ih_l0.detach().clone()
    for name in m._flat_weights_names:  # d2l's xavier_init_weights
        if "weight" in name:
            nn.init.xavier_uniform_(m._parameters[name])
    bound = np.sqrt(6.0 / (3 + 16))
    w = m.weight_ih_l0.detach().numpy()
    assert np.all(np.abs(w) <= bound) and np.std(w) > 0
    assert torch.equal(m.bias_ih_l0, bias)  # (biases left alone)


# ------------------------------------------------------------------ 2. torch.Size
def test_size_slices_concatenations_and_repeats_are_sizes():
    x = torch.zeros(2, 3, 4)
    cases = {"x.shape[1:]": (x.shape[1:], (3, 4)), "x.shape[::-1]": (x.shape[::-1], (4, 3, 2)),
             "shape + (1,)": (x.shape + (1,), (2, 3, 4, 1)),
             "(1,) + shape": ((1,) + x.shape, (1, 2, 3, 4)),
             "shape * 2": (x.shape * 2, (2, 3, 4) * 2), "2 * shape": (2 * x.size(), (2, 3, 4) * 2),
             "size()[-2:]": (x.size()[-2:], (3, 4))}
    for what, (got, want) in cases.items():
        assert type(got) is torch.Size, what
        assert got == want, what
    s = x.shape[1:]
    assert repr(s) == "torch.Size([3, 4])" and s.numel() == 12
    assert type(x.shape[0]) is int
    assert torch.zeros(x.shape[:-1] + (5,)).shape == (2, 3, 5)
    with pytest.raises(TypeError, match="iterable of 'int'"):
        x.shape + (1.5,)
    with pytest.raises(TypeError):
        x.shape + [1]


# ------------------------------------------------------------------ 3. DataParallel
def test_data_parallel_ignores_device_ids_without_a_gpu():
    layer = nn.Linear(2, 1)
    for ids in ([torch.device("cpu")], [0], [0, 1], None, []):
        net = nn.DataParallel(layer, device_ids=ids, output_device=0 if ids else None)
        assert net.module is layer and net.device_ids == []
        x = torch.ones(3, 2)
        assert torch.equal(net(x), layer(x))


# ------------------------------------------------------------------ 4. gradcheck
def test_gradcheck_calls_the_function_with_grad_enabled():
    seen = []

    def f(x):
        seen.append((torch.is_grad_enabled(), x.requires_grad))
        y = x * 2
        y.register_hook(lambda g: g * 1)
        return y.sin()

    x = torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(f, (x,), check_undefined_grad=False)
    assert len(seen) > 2 and all(seen_ == (True, True) for seen_ in seen)
    assert torch.autograd.gradgradcheck(f, (x,))


def test_gradcheck_sees_a_hook_that_changes_the_gradient():
    def tripled(x):
        y = x * 2
        y.register_hook(lambda g: g * 3)  # the analytical gradient is 6, the true one 2
        return y

    x = torch.tensor([0.1, 0.2], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(tripled, (x,), raise_exception=False) is False


# ------------------------------------------------------------------ 5. torch.func
def test_vjp_results_are_plain_tensors_outside_other_transforms():
    a = torch.tensor([0.3, 0.5])
    out, vjp_fn = vjp(lambda a: a.tanh() * a, a)
    assert not out.requires_grad and out.grad_fn is None
    (g,) = vjp_fn(torch.ones(2))
    assert not g.requires_grad and g.grad_fn is None
    t = np.tanh(np.array([0.3, 0.5], np.float32))
    np.testing.assert_allclose(out.numpy(), t * [0.3, 0.5], rtol=1e-6)
    np.testing.assert_allclose(g.numpy(), t + (1 - t * t) * [0.3, 0.5], rtol=1e-6)
    out, vjp_fn, aux = vjp(lambda a: (a.sin(), a * 2), a, has_aux=True)
    assert not (out.requires_grad or aux.requires_grad or vjp_fn(torch.ones(2))[0].requires_grad)
    o, tangent = jvp(lambda a: a.sin(), (a,), (torch.ones(2),))
    assert not (o.requires_grad or tangent.requires_grad)
    o, jvp_fn = linearize(lambda a: a.sin(), a)
    assert not (o.requires_grad or jvp_fn(torch.ones(2)).requires_grad)
    g, v = grad_and_value(lambda a: a.sin().sum())(a)
    assert not (g.requires_grad or v.requires_grad)


def test_vjp_keeps_the_graph_to_tensors_that_require_grad():
    b = torch.tensor([0.3, 0.5], requires_grad=True)
    out, vjp_fn = vjp(lambda a: a * a, b)
    (g,) = vjp_fn(torch.ones(2))
    assert out.requires_grad and g.requires_grad
    g.sum().backward()  # d/db of 2b is 2
    np.testing.assert_allclose(b.grad.numpy(), [2.0, 2.0])

    def inner(a):  # vjp inside grad: its results stay on grad's graph
        out, fn = vjp(lambda a: a * a * a, a)
        return fn(torch.ones(2))[0].sum() + out.sum()

    a = torch.tensor([0.3, 0.5])
    np.testing.assert_allclose(torch.func.grad(inner)(a).numpy(),
                               6 * np.array([0.3, 0.5]) + 3 * np.array([0.3, 0.5]) ** 2,
                               rtol=1e-6)


# ------------------------------------------------------------------ 6. repr suffixes
def test_repr_wraps_a_suffix_that_would_pass_the_line_width():
    x = torch.arange(6.0).div(7).requires_grad_() * 2
    values = "tensor([0.0000, 0.2857, 0.5714, 0.8571, 1.1429, 1.4286]"
    # "tensor(" counts: the values line plus ", grad_fn=<MulBackward0>)" passes 80
    assert repr(x) == values + ",\n       grad_fn=<MulBackward0>)"
    y = torch.arange(3.0).div(7).requires_grad_() * 2
    assert repr(y) == "tensor([0.0000, 0.2857, 0.5714], grad_fn=<MulBackward0>)"
    z = torch.arange(8, dtype=torch.float64) / 3
    assert repr(z) == ("tensor([0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000, "
                       "2.3333],\n       dtype=torch.float64)")


# ------------------------------------------------------------------ 7. optimizer steps
_STEPPED = ("Adam", "AdamW", "RMSprop", "NAdam", "RAdam", "Adamax", "ASGD", "Adadelta",
            "Adagrad", "Rprop")


@pytest.mark.parametrize("default", [torch.float32, torch.float64])
def test_optimizer_step_is_a_float_tensor_of_the_scalar_dtype(default):
    before = torch.get_default_dtype()
    torch.set_default_dtype(default)
    try:
        for name in _STEPPED:
            p = nn.Parameter(torch.ones(2))
            opt = getattr(torch.optim, name)([p], lr=0.1)
            for _ in range(2):
                p.grad = torch.ones(2)
                opt.step()
            step = opt.state[p]["step"]
            assert torch.is_tensor(step) and step.dtype == default and step.shape == (), name
            assert step.item() == 2.0, name
            saved = opt.state_dict()["state"][0]["step"]
            assert saved.dtype == default and saved.item() == 2.0, name
            if name == "NAdam":
                assert opt.state[p]["mu_product"].dtype == default
    finally:
        torch.set_default_dtype(before)


def test_step_count_survives_save_load_and_keeps_counting():
    p = nn.Parameter(torch.ones(2))
    opt = torch.optim.Adam([p], lr=0.1)
    p.sum().backward()
    opt.step()
    assert repr(opt.state[p]["step"]) == "tensor(1.)"
    buf = io.BytesIO()
    torch.save(opt.state_dict(), buf)
    buf.seek(0)
    loaded = torch.load(buf)
    assert repr(loaded["state"][0]["step"]) == "tensor(1.)"
    q = nn.Parameter(torch.ones(2))
    again = torch.optim.Adam([q], lr=0.1)
    again.load_state_dict(loaded)
    q.grad = torch.ones(2)
    again.step()
    assert again.state[q]["step"].item() == 2.0
    again.state[q]["step"] = torch.tensor(5.0)  # (written back, counted on from there)
    again.step()
    assert again.state[q]["step"].item() == 6.0
    assert again.state[q]["step"].dtype == torch.float32


# ------------------------------------------------------------------ 8. grid_sample
F = torch.nn.functional


def _fma(a, b, c):
    """a * b + c rounded once (float64)."""
    return float(Fraction(a) * Fraction(b) + Fraction(c))


def test_grid_sample_pixel_coordinate_is_one_fused_multiply_add():
    # PyTorch's CPU rule: u = (g + 1) * (W / 2) - 0.5 rounded once; g = -0.58333... is
    # meant to land on pixel 2 and lands just below it, in the cell [1, 2)
    x = (torch.arange(12.0, dtype=torch.float64) ** 2).reshape(1, 1, 1, 12)
    g0 = -0.5833333333333334
    u = _fma(g0 + 1.0, 6.0, -0.5)
    assert u < 2.0
    grid = torch.tensor([[[[g0, 0.0]]]], dtype=torch.float64, requires_grad=True)
    out = F.grid_sample(x, grid, mode="bilinear", align_corners=False)
    out.sum().backward()
    f = u - 1.0
    assert out.item() == 1.0 * (1 - f) + 4.0 * f
    assert grid.grad[0, 0, 0, 0].item() == (4.0 - 1.0) * 6.0  # (the cell [1, 2)'s slope)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_grid_sample_reads_the_cell_of_the_once_rounded_coordinate(dtype):
    rng = np.random.default_rng(0)
    np_dtype = np.float64 if dtype == torch.float64 else np.float32
    for width in (5, 12, 17):
        pixels = np.arange(1, width - 1)
        g = np.concatenate([rng.uniform(-0.8, 0.8, 40), (2 * pixels + 1) / width - 1])
        g = g.astype(np_dtype)
        x = torch.zeros(1, 1, 1, width, dtype=dtype, requires_grad=True)
        grid = torch.zeros(1, 1, len(g), 2, dtype=dtype)
        grid[0, 0, :, 0] = torch.tensor(g)
        for k in range(len(g)):
            x.grad = None
            F.grid_sample(x, grid[:, :, k:k + 1], align_corners=False).sum().backward()
            a = Fraction(float(np_dtype(g[k]) + np_dtype(1)))
            exact = a * width / 2 - Fraction(1, 2)
            u = float(exact) if dtype == torch.float64 else float(np.float32(float(exact)))
            cell = int(np.floor(u))
            weights = x.grad[0, 0, 0].numpy()
            assert weights[cell + 1] == np_dtype(u - cell), (width, g[k])  # (y weight 1)
            assert np.count_nonzero(weights[:cell]) == 0


def _pytorch_linspace(n):
    """PyTorch's linspace(-1, 1, n) rule, value by value with exact fractions (float64)."""
    step = 2.0 / (n - 1)
    return [_fma(step, i, -1.0) if i < n // 2 else _fma(-step, n - 1 - i, 1.0)
            for i in range(n)]


def test_linspace_and_affine_grid_base_follow_pytorchs_rounding():
    for n in range(2, 80):
        want = _pytorch_linspace(n)
        assert torch.linspace(-1, 1, n, dtype=torch.float64).tolist() == want
        identity = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]], dtype=torch.float64)
        grid = F.affine_grid(identity, (1, 1, 1, n), align_corners=True)
        assert grid[0, 0, :, 0].tolist() == want
        grid = F.affine_grid(identity, (1, 1, 1, n), align_corners=False)
        assert grid[0, 0, :, 0].tolist() == [v * (n - 1) / n for v in want]
    # (np.linspace gives 0.33333333333333326 at n = 7; PyTorch's rule 0.33333333333333337)
    assert torch.linspace(-1, 1, 7, dtype=torch.float64)[4].item() == 1.0 - 2 * (2.0 / 6)


def test_affine_grid_sums_theta_products_left_to_right():
    rng = np.random.default_rng(1)
    theta = rng.standard_normal((2, 2, 3))
    grid = F.affine_grid(torch.tensor(theta), (2, 1, 5, 7), align_corners=False).numpy()
    xs = [v * 6 / 7 for v in _pytorch_linspace(7)]
    ys = [v * 4 / 5 for v in _pytorch_linspace(5)]
    for b in range(2):
        for i, y in enumerate(ys):
            for j, x in enumerate(xs):
                for k in range(2):
                    t = theta[b, k]
                    assert grid[b, i, j, k] == (x * t[0] + y * t[1]) + t[2]
    # the STN tutorial's identity start reproduces the image exactly
    image = (torch.arange(16.0, dtype=torch.float64).reshape(1, 1, 4, 4) ** 2) / 10
    eye = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]], dtype=torch.float64)
    assert torch.equal(F.grid_sample(image, F.affine_grid(eye, image.size(), align_corners=False),
                                     align_corners=False), image)


# ------------------------------------------------------------------ 9. shape errors
def _raises_both(thunk, match):
    with pytest.raises(RuntimeError, match=match) as caught:
        thunk()
    assert isinstance(caught.value, ValueError)  # (the engine's callers catch it too)


def test_shape_errors_are_runtime_errors_with_pytorchs_messages():
    _raises_both(lambda: nn.Linear(8, 3)(torch.ones(5, 4)),
                 r"mat1 and mat2 shapes cannot be multiplied \(5x4 and 8x3\)")
    _raises_both(lambda: nn.Linear(8, 3)(torch.ones(2, 5, 4)),
                 r"mat1 and mat2 shapes cannot be multiplied \(10x4 and 8x3\)")
    _raises_both(lambda: F.linear(torch.ones(5, 4), torch.ones(3, 8)),
                 r"\(5x4 and 8x3\)")
    _raises_both(lambda: torch.ones(2, 3) @ torch.ones(2, 3),
                 r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)")
    _raises_both(lambda: torch.matmul(torch.ones(2, 3), torch.ones(4, 2)), r"\(2x3 and 4x2\)")
    _raises_both(lambda: torch.ones(3).view(2, 2),
                 r"shape '\[2, 2\]' is invalid for input of size 3")
    _raises_both(lambda: torch.ones(6).reshape(-1, 4),
                 r"shape '\[-1, 4\]' is invalid for input of size 6")
    _raises_both(lambda: torch.ones(2, 3) + torch.ones(3, 2),
                 r"size of tensor a \(3\) must match the size of tensor b \(2\) at "
                 r"non-singleton dimension 1")
    _raises_both(lambda: torch.ones(4, 1, 3) * torch.ones(2, 2),
                 r"tensor a \(3\) must match the size of tensor b \(2\) at non-singleton "
                 r"dimension 2")
    _raises_both(lambda: torch.cat([torch.tensor(1.0), torch.tensor(2.0)]),
                 r"zero-dimensional tensor \(at position 0\) cannot be concatenated")
    _raises_both(lambda: torch.cat([torch.ones(2), torch.tensor(2.0)]),
                 r"zero-dimensional tensor \(at position 1\)")
    # (what fits still works)
    assert (torch.ones(4, 1, 3) * torch.ones(2, 1)).shape == (4, 2, 3)
    assert torch.ones(6).view(-1, 3).shape == (2, 3)


def test_format_spec_is_for_zero_dim_tensors_only():
    assert f"{torch.tensor(1.5):.2f}" == "1.50"
    assert f"{torch.tensor([1.5])}" == "tensor([1.5000])"
    with pytest.raises(TypeError, match="unsupported format string passed to Tensor.__format__"):
        f"{torch.tensor([1.5]):.2f}"
    with pytest.raises(TypeError, match="unsupported format string"):
        format(torch.ones(2), ">20")


def test_adagrad_fills_its_state_when_made():
    p = nn.Parameter(torch.ones(2))
    opt = torch.optim.Adagrad([p], lr=0.1, initial_accumulator_value=0.5)
    assert repr(opt.state[p]["step"]) == "tensor(0.)"
    assert torch.equal(opt.state[p]["sum"], torch.full((2,), 0.5))
    assert list(opt.state_dict()["state"]) == [0]
    p.grad = torch.ones(2)
    opt.step()
    assert opt.state[p]["step"].item() == 1.0
    assert torch.equal(opt.state[p]["sum"], torch.full((2,), 1.5))
    # p - lr * g / (sqrt(sum) + eps), the sum now 0.5 + 1
    np.testing.assert_allclose(p.detach().numpy(), 1 - 0.1 / (np.sqrt(1.5) + 1e-10), rtol=1e-6)


def test_sgd_state_has_no_step_and_loads_a_buffer_without_one():
    p = nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = torch.ones(2)
    opt.step()
    assert list(opt.state[p]) == ["momentum_buffer"] and "step" not in opt.state[p]
    saved = opt.state_dict()
    assert list(saved["state"][0]) == ["momentum_buffer"]
    q = nn.Parameter(torch.ones(2))
    again = torch.optim.SGD([q], lr=0.1, momentum=0.9)
    again.load_state_dict(saved)  # (PyTorch's form: the buffer alone)
    q.grad = torch.ones(2)
    again.step()  # buffer 0.9 * 1 + 1 = 1.9, not restarted at the gradient
    np.testing.assert_allclose(again.state[q]["momentum_buffer"].numpy(), [1.9, 1.9])
    np.testing.assert_allclose(q.detach().numpy(), [1 - 0.19, 1 - 0.19], rtol=1e-6)
