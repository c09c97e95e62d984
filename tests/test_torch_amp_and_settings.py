"""chainrule.torch's amp (autocast, GradScaler) and process settings (torch.compile, matmul
precision, determinism, print options, default device)."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule.torch as torch


def _step_losses(scaler, poison_at=2, steps=6):
    rng = np.random.default_rng(0)
    w = torch.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    x = torch.tensor(rng.standard_normal((5, 3)))
    opt = torch.optim.SGD([w], lr=0.01)
    scales, weights = [], []
    for i in range(steps):
        opt.zero_grad()
        loss = ((x @ w) ** 2).mean()
        if i == poison_at:
            loss = loss * float("inf")
        with np.errstate(invalid="ignore"):
            scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        scales.append(scaler.get_scale())
        weights.append(w.detach().numpy().copy())
    return scales, weights


def test_grad_scaler_skips_a_step_with_inf_gradients_and_adapts_the_scale():
    scales, weights = _step_losses(torch.amp.GradScaler("cpu", init_scale=1024.0,
                                                        growth_interval=2))
    assert scales == [1024.0, 2048.0, 1024.0, 1024.0, 2048.0, 2048.0]
    np.testing.assert_array_equal(weights[2], weights[1])  # the poisoned step was skipped
    # the updates themselves are those of unscaled gradients: as without a scaler
    plain_scales, plain = _step_losses(torch.cuda.amp.GradScaler(enabled=False),
                                       poison_at=-1, steps=2)
    assert plain_scales == [1.0, 1.0]
    np.testing.assert_allclose(weights[1], plain[1], rtol=1e-12)


def test_grad_scaler_state_round_trips_and_refuses_a_second_unscale():
    scaler = torch.amp.GradScaler("cpu", init_scale=8.0, growth_interval=3)
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.1)
    scaler.scale((w * w).sum()).backward()
    scaler.unscale_(opt)
    np.testing.assert_allclose(w.grad.numpy(), [2.0, 4.0])
    with pytest.raises(RuntimeError, match="already been called"):
        scaler.unscale_(opt)
    scaler.step(opt)
    scaler.update()
    other = torch.amp.GradScaler("cpu")
    other.load_state_dict(scaler.state_dict())
    assert other.get_scale() == 8.0 and other.state_dict() == scaler.state_dict()


def test_a_grad_scaler_made_for_cuda_turns_itself_off_as_in_pytorch():
    with pytest.warns(UserWarning, match="CUDA is not available"):
        scaler = torch.cuda.amp.GradScaler()
    assert not scaler.is_enabled() and scaler.get_scale() == 1.0
    with pytest.warns(UserWarning):
        assert not torch.amp.GradScaler(enabled=True).is_enabled()


def test_autocast_and_compile_leave_results_unchanged():
    model = torch.nn.Linear(3, 2)
    x = torch.randn(4, 3)
    plain = model(x).detach().numpy()
    assert torch.compile(model) is model
    with torch.autocast(device_type="cpu", dtype=torch.float16):
        inside = model(x)
    assert inside.dtype == torch.float32
    np.testing.assert_array_equal(inside.detach().numpy(), plain)

    @torch.compile(mode="reduce-overhead")
    def double(t):
        return t * 2

    assert double(torch.ones(2)).tolist() == [2.0, 2.0]
    with pytest.raises(ValueError, match="device_type"):
        torch.autocast(device_type="tpu")


def test_settings_are_checked_and_reported():
    torch.set_float32_matmul_precision("high")
    assert torch.get_float32_matmul_precision() == "high"
    torch.set_float32_matmul_precision("highest")
    with pytest.raises(RuntimeError, match="'highest', 'high' or 'medium'"):
        torch.set_float32_matmul_precision("low")
    torch.use_deterministic_algorithms(True)
    assert torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(False)
    assert str(torch.get_default_device()) == "cpu"
    torch.set_default_device("cpu")
    with pytest.raises(RuntimeError, match="computes on the CPU"):
        torch.set_default_device("cuda")
    try:
        torch.set_printoptions(precision=2)
        assert "3.14" in repr(torch.tensor([3.14159])) and "3.142" not in repr(
            torch.tensor([3.14159]))
    finally:
        torch.set_printoptions(profile="default")


def test_jit_returns_what_it_is_given_and_refuses_archives():
    @torch.jit.script
    def scaled(x):
        return x * 3

    assert scaled(torch.ones(2)).tolist() == [3.0, 3.0]
    layer = torch.nn.Linear(2, 2)
    assert torch.jit.trace(layer, torch.ones(1, 2)) is layer
    assert torch.jit.ignore(scaled) is scaled and not torch.jit.is_scripting()
    with pytest.raises(NotImplementedError, match="state_dict with torch.save"):
        torch.jit.save(layer, "model.pt")


def test_memory_formats_are_accepted_and_change_nothing():
    x = torch.randn(2, 3, 5, 5)
    conv = torch.nn.Conv2d(3, 4, 3)
    plain = conv(x).detach().numpy()
    assert conv.to(memory_format=torch.channels_last) is conv
    y = conv(x.to(memory_format=torch.channels_last).contiguous(
        memory_format=torch.channels_last))
    np.testing.assert_array_equal(y.detach().numpy(), plain)
    assert x.is_contiguous(memory_format=torch.channels_last)
    assert repr(torch.channels_last) == "torch.channels_last"
    with pytest.raises(TypeError, match="torch.memory_format"):
        x.to(memory_format="nhwc")


def test_utils_checkpoint_gives_the_gradients_of_the_plain_run_dropout_included():
    from chainrule.torch.utils.checkpoint import checkpoint, checkpoint_sequential

    def run(mode):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Dropout(0.5),
                                    torch.nn.Linear(8, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
        x = torch.randn(5, 4)
        torch.manual_seed(1)
        if mode == "plain":
            y = model(x)
        elif mode == "checkpoint":
            y = checkpoint(model, x, use_reentrant=False)
        else:
            y = checkpoint_sequential(model, 3, x, use_reentrant=False)
        (y ** 2).sum().backward()
        return y.detach().numpy(), [p.grad.numpy() for p in model.parameters()]

    y0, g0 = run("plain")
    for mode in ("checkpoint", "sequential"):
        y, g = run(mode)
        np.testing.assert_array_equal(y, y0)
        for a, b in zip(g, g0):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_rng_state_round_trips_and_fork_rng_restores_it():
    torch.manual_seed(3)
    state = torch.get_rng_state()
    first = torch.rand(4).numpy()
    torch.set_rng_state(state)
    np.testing.assert_array_equal(torch.rand(4).numpy(), first)
    torch.set_rng_state(state)
    with torch.random.fork_rng():
        torch.rand(10)
    np.testing.assert_array_equal(torch.rand(4).numpy(), first)


def test_testing_assert_close_uses_pytorchs_tolerances():
    torch.testing.assert_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 2e-6]))
    with pytest.raises(AssertionError, match="Mismatched elements: 1 / 2"):
        torch.testing.assert_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.001]))
    with pytest.raises(AssertionError, match="'dtype' do not match"):
        torch.testing.assert_close(torch.tensor([1.0]), torch.tensor([1.0], dtype=torch.float64))
    torch.testing.assert_close({"a": [torch.tensor(1)]}, {"a": [torch.tensor(1)]})
    with pytest.raises(AssertionError):
        torch.testing.assert_close(torch.tensor([1, 2]), torch.tensor([1, 3]))
    torch.testing.assert_close(torch.tensor([1.0, float("nan")]),
                               torch.tensor([1.0, float("nan")]), equal_nan=True)


def test_cpu_and_xpu_device_modules():
    import chainrule.torch as torch

    assert torch.cpu.is_available() and torch.cpu.device_count() == 1
    assert torch.cpu.current_device() == "cpu" and torch.cpu.synchronize() is None
    features = np._core._multiarray_umath.__cpu_features__
    assert torch.cpu._is_avx2_supported() == bool(features.get("AVX2"))
    with torch.cpu.amp.autocast():
        assert (torch.ones(2) * 2).dtype == torch.float32
    assert not torch.xpu.is_available() and torch.xpu.device_count() == 0
