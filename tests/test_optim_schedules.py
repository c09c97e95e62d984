"""Learning-rate schedules: each against its formula, chained, in sequence, resumed."""

import json
import math

import numpy as np
import pytest
from test_optim import lrs, make_opt

import chainrule as cr
from chainrule import optim
from chainrule.optim import lr_scheduler as sched


def approx(values):
    return pytest.approx(values, rel=1e-13, abs=1e-15)


def test_lambda_and_multiplicative():
    assert lrs(sched.LambdaLR(make_opt(), lambda e: 1 / (1 + e)), 4) == approx(
        [0.1 / (1 + e) for e in range(5)])
    # One function per group.
    opt = optim.SGD([{"params": [cr.tensor(np.ones(1), requires_grad=True)]},
                     {"params": [cr.tensor(np.ones(1), requires_grad=True)], "lr": 1.0}], lr=0.1)
    s = sched.LambdaLR(opt, [lambda e: 0.5**e, lambda e: e + 1])
    s.optimizer.step()
    s.step()
    assert s.get_last_lr() == approx([0.05, 2.0])
    # MultiplicativeLR: lr_t = lr_{t-1} * f(t).
    assert lrs(sched.MultiplicativeLR(make_opt(), lambda e: 1 / e), 3) == approx(
        [0.1, 0.1, 0.05, 0.05 / 3])
    with pytest.raises(ValueError, match="2 lr_lambdas for 1 parameter groups"):
        sched.LambdaLR(make_opt(), [math.exp, math.exp])
    with pytest.raises(TypeError, match="lr_lambda must be a function"):
        sched.MultiplicativeLR(make_opt(), 0.9)


def test_constant_linear_polynomial():
    assert lrs(sched.ConstantLR(make_opt(), factor=0.5, total_iters=3), 5) == approx(
        [0.05, 0.05, 0.05, 0.1, 0.1, 0.1])
    # lr = base (s + (e - s) min(t, T) / T)
    linear = lrs(sched.LinearLR(make_opt(), start_factor=0.25, end_factor=0.75, total_iters=4),
                 6)
    assert linear == approx([0.1 * (0.25 + 0.5 * min(t, 4) / 4) for t in range(7)])
    # lr = base (1 - min(t, T) / T)^p
    poly = lrs(sched.PolynomialLR(make_opt(), total_iters=4, power=2.0), 6)
    assert poly == approx([0.1 * (1 - min(t, 4) / 4) ** 2 for t in range(7)])
    with pytest.raises(ValueError, match="start_factor must lie in"):
        sched.LinearLR(make_opt(), start_factor=0)
    with pytest.raises(ValueError, match="factor must lie in"):
        sched.ConstantLR(make_opt(), factor=2)


def test_cosine_annealing_past_t_max_climbs_back_like_the_closed_form():
    rates = lrs(sched.CosineAnnealingLR(make_opt(), T_max=3, eta_min=0.01), 9)
    assert rates == approx([0.01 + 0.09 * (1 + math.cos(math.pi * t / 3)) / 2
                            for t in range(10)])


def test_cosine_annealing_warm_restarts():
    # T_0 = 2, T_mult = 2: periods of 2, 4, 8 steps starting at steps 0, 2, 6.
    rates = lrs(sched.CosineAnnealingWarmRestarts(make_opt(), T_0=2, T_mult=2, eta_min=0.01),
                13)
    starts = [(0, 2), (2, 4), (6, 8), (14, 16)]
    expected = []
    for t in range(14):
        start, period = max(p for p in starts if p[0] <= t)
        expected.append(0.01 + 0.09 * (1 + math.cos(math.pi * (t - start) / period)) / 2)
    assert rates == approx(expected)
    # A fractional epoch per batch (PyTorch's per-batch use) lands on the same curve.
    opt = make_opt()
    s = sched.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2, eta_min=0.01)
    for epoch in (0.5, 2.5, 7.25):
        s.step(epoch)
        start, period = max(p for p in starts if p[0] <= epoch)
        assert opt.param_groups[0]["lr"] == pytest.approx(
            0.01 + 0.09 * (1 + math.cos(math.pi * (epoch - start) / period)) / 2)
    with pytest.raises(ValueError, match="T_0 must be a positive integer"):
        sched.CosineAnnealingWarmRestarts(make_opt(), T_0=0)


def triangle(t, up, down):
    """The triangle wave of CyclicLR: 0 -> 1 over `up` steps, back to 0 over `down`."""
    x = t % (up + down)
    return x / up if x <= up else 1 - (x - up) / down


def test_cyclic_lr_modes_and_momentum():
    opt = make_opt()
    rates = lrs(sched.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=2,
                               step_size_down=3), 11)
    assert rates == approx([0.01 + 0.09 * triangle(t, 2, 3) for t in range(12)])
    # triangular2 halves the amplitude each cycle; exp_range scales by gamma^t.
    rates = lrs(sched.CyclicLR(make_opt(), 0.01, 0.1, step_size_up=2, mode="triangular2"), 9)
    assert rates == approx([0.01 + 0.09 * triangle(t, 2, 2) / 2 ** (t // 4) for t in range(10)])
    rates = lrs(sched.CyclicLR(make_opt(), 0.01, 0.1, step_size_up=2, mode="exp_range",
                               gamma=0.9), 9)
    assert rates == approx([0.01 + 0.09 * triangle(t, 2, 2) * 0.9**t for t in range(10)])
    # Momentum moves opposite to the rate, between max_momentum and base_momentum.
    opt = make_opt()
    s = sched.CyclicLR(opt, 0.01, 0.1, step_size_up=2, base_momentum=0.8, max_momentum=0.9)
    moms = [opt.param_groups[0]["momentum"]]
    for _ in range(4):
        opt.step()
        s.step()
        moms.append(opt.param_groups[0]["momentum"])
    assert moms == approx([0.9, 0.85, 0.8, 0.85, 0.9])
    # Adam-like optimizers cycle beta1.
    adam = optim.Adam([cr.tensor(np.ones(1), requires_grad=True)])
    sched.CyclicLR(adam, 0.01, 0.1, step_size_up=2).step()
    assert adam.param_groups[0]["betas"][0] == pytest.approx(0.85)
    assert adam.param_groups[0]["betas"][1] == 0.999
    with pytest.raises(ValueError, match="cycle_momentum needs"):
        sched.CyclicLR(optim.Adagrad([cr.tensor(np.ones(1), requires_grad=True)]), 0.1, 1.0)
    with pytest.raises(ValueError, match="mode must be"):
        sched.CyclicLR(make_opt(), 0.1, 1.0, mode="sawtooth")


def test_chained_schedules_compose():
    opt = make_opt(lr=1.0)
    chained = sched.ChainedScheduler([sched.ConstantLR(opt, factor=0.1, total_iters=2),
                                      sched.ExponentialLR(opt, gamma=0.9)])
    rates = lrs(chained, 4)
    assert rates == approx([0.1, 0.09, 0.81, 0.729, 0.6561])
    # Warm-up then a step decay, stepped together.
    opt = make_opt(lr=1.0)
    chained = sched.ChainedScheduler([sched.LinearLR(opt, start_factor=0.5, total_iters=2),
                                      sched.StepLR(opt, step_size=3, gamma=0.1)], optimizer=opt)
    assert lrs(chained, 5) == approx([0.5, 0.75, 1.0, 0.1, 0.1, 0.1])
    with pytest.raises(TypeError, match="not ReduceLROnPlateau"):
        sched.ChainedScheduler([sched.ReduceLROnPlateau(opt)])
    with pytest.raises(ValueError, match="belongs to another optimizer"):
        sched.ChainedScheduler([sched.StepLR(make_opt(), 2), sched.StepLR(opt, 2)])


def test_sequential_switches_at_milestones_restarting_each_schedule():
    opt = make_opt(lr=1.0)
    warmup = sched.LinearLR(opt, start_factor=0.25, total_iters=3)
    decay = sched.CosineAnnealingLR(opt, T_max=4)
    rates = lrs(sched.SequentialLR(opt, [warmup, decay], milestones=[3]), 8)
    expected = [0.25, 0.5, 0.75] + [(1 + math.cos(math.pi * t / 4)) / 2 for t in range(6)]
    assert rates == approx(expected)
    with pytest.raises(ValueError, match="2 schedulers need 1 milestones"):
        sched.SequentialLR(opt, [warmup, decay], milestones=[])


def resumable():
    """A two-group optimizer and every schedule over it that is stepped without a metric."""
    def build(kind, opt):
        return {
            "lambda": lambda: sched.LambdaLR(opt, lambda e: 0.9**e),
            "multiplicative": lambda: sched.MultiplicativeLR(opt, lambda e: 0.9),
            "constant": lambda: sched.ConstantLR(opt, 0.5, 4),
            "linear": lambda: sched.LinearLR(opt, 0.2, total_iters=6),
            "polynomial": lambda: sched.PolynomialLR(opt, 9, 1.5),
            "warm restarts": lambda: sched.CosineAnnealingWarmRestarts(opt, 3, 2),
            "cyclic": lambda: sched.CyclicLR(opt, 0.01, 0.1, 3, mode="triangular2"),
            "sequential": lambda: sched.SequentialLR(
                opt, [sched.LinearLR(opt, 0.1, total_iters=3),
                      sched.CosineAnnealingLR(opt, 6)], [3]),
            "chained": lambda: sched.ChainedScheduler(
                [sched.ConstantLR(opt, 0.5, 3), sched.ExponentialLR(opt, 0.9)]),
        }[kind]()
    return build


@pytest.mark.parametrize("kind", ["lambda", "multiplicative", "constant", "linear", "polynomial",
                                  "warm restarts", "cyclic", "sequential", "chained"])
def test_resuming_from_state_dicts_continues_the_same_rates(kind):
    build = resumable()
    opt = make_opt()
    s = build(kind, opt)
    lrs(s, 5)
    saved_opt, saved = opt.state_dict(), json.loads(json.dumps(s.state_dict()))
    rest = lrs(s, 6)
    opt2 = make_opt()
    s2 = build(kind, opt2)
    opt2.load_state_dict(saved_opt)
    s2.load_state_dict(saved)
    assert lrs(s2, 6) == rest


def test_a_rate_set_by_hand_is_kept_by_chainable_schedules():
    opt = make_opt(lr=1.0)
    s = sched.ExponentialLR(opt, gamma=0.5)
    opt.step()
    s.step()
    opt.param_groups[0]["lr"] = 10.0
    opt.step()
    s.step()
    assert s.get_last_lr() == [5.0]


def test_callable_objects_keep_their_state_functions_do_not():
    class Warmup:
        def __init__(self, steps):
            self.steps = steps

        def __call__(self, epoch):
            return min(1.0, (epoch + 1) / self.steps)

    s = sched.LambdaLR(make_opt(), [Warmup(4)])
    state = json.loads(json.dumps(s.state_dict()))
    assert state["lr_lambdas"] == [{"steps": 4}]
    other = sched.LambdaLR(make_opt(), [Warmup(10)])
    other.load_state_dict(state)
    assert other.lr_lambdas[0].steps == 4
    assert sched.LambdaLR(make_opt(), lambda e: 1.0).state_dict()["lr_lambdas"] == [None]
