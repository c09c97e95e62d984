"""Tests for chainrule.optim: update equations, convergence, groups, state dicts, schedules."""

import json
import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
from chainrule import optim
from chainrule.optim import lr_scheduler as sched

P0 = np.array([1.0, -2.0, 0.5])
G1 = np.array([0.5, 0.25, -1.0])
G2 = np.array([-0.3, 0.75, 2.0])


def run_steps(make, grads, p0=P0):
    """Apply the optimizer to one float64 parameter with the given gradient sequence."""
    p = cr.tensor(p0, requires_grad=True)
    opt = make([p])
    history = []
    for g in grads:
        p.grad = cr.tensor(g)
        opt.step()
        history.append(p.data.copy())
    return history, opt, p


# ------------------------------------------------------------- update equations
def test_sgd_plain_and_weight_decay():
    (p1,), _, _ = run_steps(lambda ps: optim.SGD(ps, lr=0.1), [G1])
    assert np.allclose(p1, [0.95, -2.025, 0.6], rtol=0, atol=1e-15)
    (p1,), _, _ = run_steps(lambda ps: optim.SGD(ps, lr=0.1, weight_decay=0.2), [G1])
    assert np.allclose(p1, P0 - 0.1 * (G1 + 0.2 * P0), rtol=0, atol=1e-15)


def test_sgd_momentum_dampening_and_nesterov():
    lr, mu = 0.1, 0.9
    # Momentum: b1 = g1, b2 = mu g1 + g2.
    (p1, p2), _, _ = run_steps(lambda ps: optim.SGD(ps, lr=lr, momentum=mu), [G1, G2])
    assert np.allclose(p1, P0 - lr * G1)
    assert np.allclose(p2, p1 - lr * (mu * G1 + G2))
    # Dampening scales the new gradient from the second step on: b2 = mu g1 + 0.5 g2.
    (p1, p2), _, _ = run_steps(
        lambda ps: optim.SGD(ps, lr=lr, momentum=mu, dampening=0.5), [G1, G2])
    assert np.allclose(p1, P0 - lr * G1)
    assert np.allclose(p2, p1 - lr * (mu * G1 + 0.5 * G2))
    # Nesterov: the step is g_t + mu b_t.
    (p1, p2), _, _ = run_steps(
        lambda ps: optim.SGD(ps, lr=lr, momentum=mu, nesterov=True), [G1, G2])
    b1 = G1
    b2 = mu * b1 + G2
    assert np.allclose(p1, P0 - lr * (G1 + mu * b1))
    assert np.allclose(p2, p1 - lr * (G2 + mu * b2))
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD([cr.tensor([1.0], requires_grad=True)], momentum=0.0, nesterov=True)


def adam_reference(p0, grads, lr, b1, b2, eps, l2=0.0, decoupled=0.0, amsgrad=False):
    """Kingma & Ba's algorithm with bias-corrected moments, written out in float64."""
    p, m, v, vmax = p0.copy(), 0.0, 0.0, 0.0
    out = []
    for t, g in enumerate(grads, start=1):
        p = p * (1 - lr * decoupled)
        g = g + l2 * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = np.maximum(vmax, v)
        m_hat = m / (1 - b1**t)
        v_hat = (vmax if amsgrad else v) / (1 - b2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(p)
    return out


def test_adam_bias_corrected_update():
    hist, opt, _ = run_steps(lambda ps: optim.Adam(ps, lr=0.01), [G1, G2])
    ref = adam_reference(P0, [G1, G2], 0.01, 0.9, 0.999, 1e-8)
    assert np.allclose(hist, ref, rtol=0, atol=1e-14)
    # Bias correction: the first step is lr * sign(g) whatever the gradient's scale.
    for scale in (1e-3, 1.0, 1e3):
        (p1,), _, _ = run_steps(lambda ps: optim.Adam(ps, lr=0.01), [G1 * scale])
        assert np.allclose(P0 - p1, 0.01 * np.sign(G1), rtol=1e-4)
    state = opt.state_dict()["state"]["0"]
    assert int(state["step"]) == 2
    assert np.allclose(state["exp_avg"], 0.9 * 0.1 * G1 + 0.1 * G2)
    assert np.allclose(state["exp_avg_sq"], 0.999 * 0.001 * G1**2 + 0.001 * G2**2)


def test_adam_l2_amsgrad_and_adamw_decoupled_decay():
    grads = [G1, G2, 0.1 * G1]
    hist, _, _ = run_steps(lambda ps: optim.Adam(ps, lr=0.01, weight_decay=0.1), grads)
    assert np.allclose(hist, adam_reference(P0, grads, 0.01, 0.9, 0.999, 1e-8, l2=0.1),
                       rtol=0, atol=1e-14)
    # A short second-moment memory, so v falls after the large gradients and the
    # running maximum matters.
    hist, _, _ = run_steps(lambda ps: optim.Adam(ps, lr=0.01, betas=(0.9, 0.5), amsgrad=True),
                           grads)
    ams = adam_reference(P0, grads, 0.01, 0.9, 0.5, 1e-8, amsgrad=True)
    assert np.allclose(hist, ams, rtol=0, atol=1e-14)
    assert not np.allclose(ams[-1], adam_reference(P0, grads, 0.01, 0.9, 0.5, 1e-8)[-1])
    hist, _, _ = run_steps(lambda ps: optim.AdamW(ps, lr=0.01, weight_decay=0.1), grads)
    ref = adam_reference(P0, grads, 0.01, 0.9, 0.999, 1e-8, decoupled=0.1)
    assert np.allclose(hist, ref, rtol=0, atol=1e-14)
    # Decoupled: with a zero gradient the parameter just shrinks by (1 - lr lambda).
    (p1,), _, _ = run_steps(lambda ps: optim.AdamW(ps, lr=0.01, weight_decay=0.1),
                            [np.zeros(3)])
    assert np.allclose(p1, P0 * (1 - 0.01 * 0.1), rtol=0, atol=1e-15)
    # Coupled L2 goes through the adaptive denominator instead: a step of ~lr per entry.
    (p1,), _, _ = run_steps(lambda ps: optim.Adam(ps, lr=0.01, weight_decay=0.1),
                            [np.zeros(3)])
    assert np.allclose(P0 - p1, 0.01 * np.sign(P0), rtol=1e-5)


def test_rmsprop_plain_centered_momentum():
    lr, a, eps = 0.01, 0.99, 1e-8
    (p1, p2), _, _ = run_steps(lambda ps: optim.RMSprop(ps, lr=lr), [G1, G2])
    s1 = (1 - a) * G1**2
    s2 = a * s1 + (1 - a) * G2**2
    assert np.allclose(p1, P0 - lr * G1 / (np.sqrt(s1) + eps), rtol=0, atol=1e-14)
    assert np.allclose(p2, p1 - lr * G2 / (np.sqrt(s2) + eps), rtol=0, atol=1e-14)
    (p1, p2), _, _ = run_steps(
        lambda ps: optim.RMSprop(ps, lr=lr, centered=True, momentum=0.5), [G1, G2])
    ga1 = (1 - a) * G1
    ga2 = a * ga1 + (1 - a) * G2
    b1 = G1 / (np.sqrt(s1 - ga1**2) + eps)
    b2 = 0.5 * b1 + G2 / (np.sqrt(s2 - ga2**2) + eps)
    assert np.allclose(p1, P0 - lr * b1, rtol=0, atol=1e-14)
    assert np.allclose(p2, p1 - lr * b2, rtol=0, atol=1e-14)


def test_adagrad_accumulator_and_lr_decay():
    lr, eps = 0.1, 1e-10
    (p1, p2), _, _ = run_steps(
        lambda ps: optim.Adagrad(ps, lr=lr, lr_decay=0.5, initial_accumulator_value=0.2),
        [G1, G2])
    acc1 = 0.2 + G1**2
    acc2 = acc1 + G2**2
    assert np.allclose(p1, P0 - lr * G1 / (np.sqrt(acc1) + eps), rtol=0, atol=1e-14)
    assert np.allclose(p2, p1 - lr / 1.5 * G2 / (np.sqrt(acc2) + eps), rtol=0, atol=1e-14)


# ----------------------------------------------------------------- convergence
def rosenbrock(p):
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


ROSENBROCK = [
    ("SGD momentum", lambda ps: optim.SGD(ps, lr=1e-3, momentum=0.9), 2000, 1e-3),
    ("SGD nesterov", lambda ps: optim.SGD(ps, lr=1e-3, momentum=0.9, nesterov=True), 2000,
     1e-3),
    ("Adam", lambda ps: optim.Adam(ps, lr=0.05), 2000, 1e-4),
    ("AdamW", lambda ps: optim.AdamW(ps, lr=0.05, weight_decay=1e-6), 2000, 1e-3),
    ("RMSprop", lambda ps: optim.RMSprop(ps, lr=5e-4, momentum=0.9, centered=True), 2000, 1e-3),
    ("Adagrad", lambda ps: optim.Adagrad(ps, lr=1.5), 6000, 2e-2),
]


@pytest.mark.parametrize("name,make,steps,tol", ROSENBROCK, ids=[r[0] for r in ROSENBROCK])
def test_minimizes_rosenbrock(name, make, steps, tol):
    p = cr.tensor(np.array([-1.5, 2.0]), requires_grad=True)
    opt = make([p])
    start = rosenbrock(p).item()
    for _ in range(steps):
        opt.zero_grad()
        rosenbrock(p).backward()
        opt.step()
    assert rosenbrock(p).item() < 1e-3 * start
    assert np.allclose(p.data, [1.0, 1.0], atol=tol)


LEAST_SQUARES = [
    ("SGD", lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), 2e-3),
    ("Adam", lambda ps: optim.Adam(ps, lr=0.05), 2e-3),
    ("AdamW", lambda ps: optim.AdamW(ps, lr=0.05, weight_decay=0.0), 2e-3),
    ("RMSprop", lambda ps: optim.RMSprop(ps, lr=3e-3), 2e-3),
    ("Adagrad", lambda ps: optim.Adagrad(ps, lr=0.5), 2e-3),
    # Adadelta's unit-free steps keep circling the minimum at about this distance.
    ("Adadelta", lambda ps: optim.Adadelta(ps, lr=1.0), 3e-2),
    ("Adamax", lambda ps: optim.Adamax(ps, lr=0.05), 2e-3),
    ("NAdam", lambda ps: optim.NAdam(ps, lr=0.05), 2e-3),
    ("RAdam", lambda ps: optim.RAdam(ps, lr=0.05), 2e-3),
]


@pytest.mark.parametrize("name,make,tol", LEAST_SQUARES, ids=[r[0] for r in LEAST_SQUARES])
def test_minimizes_least_squares(name, make, tol):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((40, 5))
    b = A @ rng.standard_normal(5) + 0.1 * rng.standard_normal(40)
    best = np.linalg.lstsq(A, b, rcond=None)[0]
    x = cr.tensor(np.zeros(5), requires_grad=True)
    opt = make([x])
    for _ in range(1000):
        opt.zero_grad()
        r = A @ x - b
        ((r * r).mean()).backward()
        opt.step()
    assert np.allclose(x.data, best, atol=tol)


# ------------------------------------------------------------------------ groups
def test_param_groups_have_their_own_hyperparameters():
    a = cr.tensor(np.ones(2), requires_grad=True)
    b = cr.tensor(np.ones(2), requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5, "weight_decay": 1.0}], lr=0.1)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[1]["weight_decay"] == 1.0
    a.grad, b.grad = cr.tensor([1.0, 1.0]), cr.tensor([1.0, 1.0])
    opt.step()
    assert np.allclose(a.data, 0.9) and np.allclose(b.data, 1 - 0.5 * (1 + 1))
    c = cr.tensor(np.ones(1), requires_grad=True)
    opt.add_param_group({"params": c, "lr": 0.01})
    assert opt.param_groups[2]["momentum"] == 0.0
    with pytest.raises(ValueError, match="more than one place"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="leaf tensor with requires_grad=True"):
        optim.Adam([a * 2])
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(ValueError, match="lr must be"):
        optim.SGD([c], lr=-1)
    with pytest.raises(ValueError, match="betas"):
        optim.Adam([c], betas=(0.9, 1.0))


def test_zero_grad_skips_missing_grads_and_keeps_float32():
    model = nn.Linear(3, 2, rng=0)
    opt = optim.Adam(model.parameters(), lr=0.01)
    x = np.ones((4, 3), np.float32)
    model(x).sum().backward()
    model.bias.grad = None
    bias_before = model.bias.data.copy()
    opt.step()
    assert np.array_equal(model.bias.data, bias_before)
    assert model.weight.dtype == np.float32
    assert all(v.dtype == np.float32 for k, v in opt.state[model.weight].items() if k != "step")
    opt.zero_grad(set_to_none=False)
    assert np.all(model.weight.grad.data == 0)
    opt.zero_grad()
    assert model.weight.grad is None


def test_step_marks_parameters_modified_and_runs_closure():
    w = cr.tensor(np.ones(2), requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    loss = (w * w).sum()
    w.grad = cr.tensor(np.ones(2))
    opt.step()
    # The graph saw the old w; backward through it now would give a stale gradient.
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()

    def closure():
        opt.zero_grad()
        out = (w * w).sum()
        out.backward()
        return out

    assert opt.step(closure).item() == pytest.approx(2 * 0.9**2)


# ------------------------------------------------------------------- state dicts
def train(model, opt, steps, seed):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        x = rng.standard_normal((8, 4)).astype(np.float32)
        y = rng.integers(0, 3, 8)
        opt.zero_grad()
        nn.CrossEntropyLoss()(model(x), y).backward()
        opt.step()


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True),
    lambda ps: optim.AdamW(ps, lr=0.01),
    lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
    lambda ps: optim.Adagrad(ps, lr=0.1),
])
def test_state_dict_resume_is_bit_exact(make):
    def model():
        return nn.Sequential(nn.Linear(4, 5, rng=0), nn.Tanh(), nn.Linear(5, 3, rng=1))

    ref = model()
    ref_opt = make(ref.parameters())
    train(ref, ref_opt, 3, seed=0)
    saved_model, saved_opt = ref.state_dict(), ref_opt.state_dict()
    json.dumps(saved_opt["param_groups"])  # the hyperparameters are plain JSON
    assert all(isinstance(v, np.ndarray) for s in saved_opt["state"].values() for v in s.values())
    train(ref, ref_opt, 3, seed=1)

    resumed = model()
    resumed.load_state_dict(saved_model)
    opt = make(resumed.parameters())
    opt.load_state_dict({"state": saved_opt["state"],
                         "param_groups": json.loads(json.dumps(saved_opt["param_groups"]))})
    train(resumed, opt, 3, seed=1)
    for (name, a), b in zip(ref.named_parameters(), resumed.parameters()):
        assert a.data.tobytes() == b.data.tobytes(), name


def test_load_state_dict_errors():
    w = cr.tensor(np.ones(2), requires_grad=True)
    v = cr.tensor(np.ones(3), requires_grad=True)
    sgd = optim.SGD([w, v], lr=0.1, momentum=0.9)
    w.grad, v.grad = cr.tensor(np.ones(2)), cr.tensor(np.ones(3))
    sgd.step()
    adam = optim.Adam([w, v])
    with pytest.raises(ValueError, match=r"parameter 0 has state \['momentum_buffer', 'step'\]"):
        adam.load_state_dict(sgd.state_dict())
    with pytest.raises(ValueError, match=r"groups of sizes \[2\], this optimizer \[1\]"):
        optim.SGD([w], momentum=0.9).load_state_dict(sgd.state_dict())
    swapped = optim.SGD([v, w], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"shape \(2,\), expected \(3,\)"):
        swapped.load_state_dict(sgd.state_dict())


# -------------------------------------------------------------------- schedules
def make_opt(lr=0.1, momentum=0.9):
    return optim.SGD([cr.tensor(np.ones(1), requires_grad=True)], lr=lr, momentum=momentum)


def lrs(scheduler, n):
    out = [scheduler.get_last_lr()[0]]
    for _ in range(n):
        scheduler.optimizer.step()
        scheduler.step()
        out.append(scheduler.get_last_lr()[0])
    return out


def test_step_multistep_exponential_cosine():
    assert lrs(sched.StepLR(make_opt(), step_size=2, gamma=0.5), 5) == pytest.approx(
        [0.1, 0.1, 0.05, 0.05, 0.025, 0.025])
    assert lrs(sched.MultiStepLR(make_opt(), [1, 3], gamma=0.1), 4) == pytest.approx(
        [0.1, 0.01, 0.01, 0.001, 0.001])
    assert lrs(sched.ExponentialLR(make_opt(), gamma=0.5), 3) == pytest.approx(
        [0.1, 0.05, 0.025, 0.0125])
    cos = lrs(sched.CosineAnnealingLR(make_opt(), T_max=4, eta_min=0.02), 4)
    assert cos == pytest.approx([0.1, 0.02 + 0.08 * (1 + math.cos(math.pi / 4)) / 2, 0.06,
                                 0.02 + 0.08 * (1 + math.cos(3 * math.pi / 4)) / 2, 0.02])
    opt = make_opt()
    sched.StepLR(opt, 1, gamma=0.5).step()
    assert opt.param_groups[0]["lr"] == 0.05 and opt.param_groups[0]["initial_lr"] == 0.1


def test_one_cycle_lr_and_momentum():
    opt = make_opt()
    s = sched.OneCycleLR(opt, max_lr=1.0, total_steps=11, pct_start=0.3, div_factor=10,
                         final_div_factor=100, anneal_strategy="linear")
    rates, moms = [opt.param_groups[0]["lr"]], [opt.param_groups[0]["momentum"]]
    for _ in range(10):
        opt.step()
        s.step()
        rates.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["momentum"])
    # Up from 0.1 to 1.0 over steps 0..2.3, down to 0.001 at step 10.
    assert rates[0] == pytest.approx(0.1) and rates[-1] == pytest.approx(0.001)
    assert rates[1] == pytest.approx(0.1 + 0.9 / 2.3)
    assert rates[2] == pytest.approx(0.1 + 0.9 * 2 / 2.3)
    assert rates[3] == pytest.approx(1.0 + (0.001 - 1.0) * (3 - 2.3) / (10 - 2.3))
    assert np.argmax(rates) == 3 and rates == sorted(rates[:4]) + sorted(rates[4:])[::-1]
    assert moms[0] == pytest.approx(0.95) and moms[-1] == pytest.approx(0.95)
    assert moms[3] == pytest.approx(0.85 + 0.1 * (3 - 2.3) / (10 - 2.3)) == min(moms)
    s.step()  # step total_steps itself is allowed (as in PyTorch); one more is not
    with pytest.raises(ValueError, match="total_steps is 11"):
        s.step()
    adam = optim.Adam([cr.tensor(np.ones(1), requires_grad=True)])
    sched.OneCycleLR(adam, max_lr=0.01, epochs=2, steps_per_epoch=5)
    assert adam.param_groups[0]["betas"][0] == 0.95
    assert adam.param_groups[0]["lr"] == pytest.approx(0.01 / 25)
    three = sched.OneCycleLR(make_opt(), max_lr=1.0, total_steps=21, three_phase=True,
                             cycle_momentum=False)
    rates = lrs(three, 20)

    def cos(start, end, pct):
        return end + (start - end) * (1 + math.cos(math.pi * pct)) / 2

    # Phases end at steps 5.3 (0.04 -> 1), 10.6 (1 -> 0.04) and 20 (0.04 -> 4e-6).
    assert rates[5] == pytest.approx(cos(0.04, 1.0, 5 / 5.3))
    assert rates[10] == pytest.approx(cos(1.0, 0.04, (10 - 5.3) / 5.3))
    assert rates[11] == pytest.approx(cos(0.04, 4e-6, (11 - 10.6) / (20 - 10.6)))
    assert rates[20] == pytest.approx(4e-6)
    with pytest.raises(ValueError, match="cycle_momentum"):
        sched.OneCycleLR(optim.Adagrad([cr.tensor([1.0], requires_grad=True)]), max_lr=0.1,
                         total_steps=10)


def test_reduce_lr_on_plateau():
    opt = make_opt(lr=1.0)
    s = sched.ReduceLROnPlateau(opt, factor=0.5, patience=1, cooldown=1, min_lr=0.2)
    seen = []
    for metric in [5, 4, 4, 4, 4, 4, 4, 4, 4, 3]:
        s.step(metric)
        seen.append(opt.param_groups[0]["lr"])
    # Bad epochs 4,4 (> patience 1) -> halve; cooldown 1; then again; never below 0.2.
    assert seen == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25]
    s.step(4)
    s.step(4)
    assert opt.param_groups[0]["lr"] == 0.2
    up = sched.ReduceLROnPlateau(make_opt(lr=1.0), mode="max", patience=0)
    up.step(1.0)
    up.step(2.0)
    assert up.get_last_lr() == [1.0]
    up.step(2.0)
    assert up.get_last_lr() == [pytest.approx(0.1)]


@pytest.mark.parametrize("make", [
    lambda o: sched.StepLR(o, 3, gamma=0.7),
    lambda o: sched.MultiStepLR(o, [2, 4]),
    lambda o: sched.ExponentialLR(o, 0.9),
    lambda o: sched.CosineAnnealingLR(o, 5),
    lambda o: sched.OneCycleLR(o, max_lr=0.5, total_steps=10),
])
def test_scheduler_state_dict_resume(make):
    opt = make_opt()
    s = make(opt)
    lrs(s, 4)
    saved_opt, saved = opt.state_dict(), json.loads(json.dumps(s.state_dict()))
    rest = lrs(s, 4)
    opt2 = make_opt()
    opt2.load_state_dict(saved_opt)
    s2 = make(opt2)
    s2.load_state_dict(saved)
    assert lrs(s2, 4) == rest
    with pytest.raises(ValueError, match="unknown entries"):
        s2.load_state_dict({"bogus": 1})


def test_plateau_state_dict_is_json():
    s = sched.ReduceLROnPlateau(make_opt(), patience=0)
    s.step(1.0)
    s.step(2.0)
    s2 = sched.ReduceLROnPlateau(make_opt(), patience=0)
    s2.load_state_dict(json.loads(json.dumps(s.state_dict())))
    assert s2.best == 1.0 and s2.num_bad_epochs == 0 and s2.last_epoch == 2


# --------------------------------------------------------------------- clipping
def test_clip_grad_norm_and_value():
    a = cr.tensor(np.zeros(2), requires_grad=True)
    b = cr.tensor(np.zeros(3, np.float32), requires_grad=True)
    c = cr.tensor(np.zeros(1), requires_grad=True)  # no gradient: ignored
    a.grad, b.grad = cr.tensor([3.0, 4.0]), cr.tensor(np.array([0, 0, 12], np.float32))
    total = optim.clip_grad_norm_([a, b, c], max_norm=6.5)
    assert total == pytest.approx(13.0)
    assert np.allclose(a.grad.data, [1.5, 2.0], rtol=1e-6)
    assert b.grad.dtype == np.float32 and np.allclose(b.grad.data, [0, 0, 6], rtol=1e-6)
    assert optim.clip_grad_norm_([a, b], max_norm=100) == pytest.approx(6.5, rel=1e-6)
    assert np.allclose(a.grad.data, [1.5, 2.0], rtol=1e-6)  # under the limit: untouched
    assert optim.clip_grad_norm_(a, 1.0, norm_type=math.inf) == pytest.approx(2.0)
    assert np.allclose(a.grad.data, [0.75, 1.0], rtol=1e-5)
    a.grad = cr.tensor([np.nan, 1.0])
    with pytest.raises(RuntimeError, match="NaN or infinity"):
        optim.clip_grad_norm_([a], 1.0, error_if_nonfinite=True)
    # Without the error, a NaN norm makes every gradient NaN, as PyTorch's clamp does
    # (programs that skip a step on NaN gradients look at them after clipping).
    b.grad = cr.tensor(np.array([3, 4, 0], np.float32))
    assert math.isnan(optim.clip_grad_norm_([a, b], 1.0))
    assert np.isnan(a.grad.data).all() and np.isnan(b.grad.data).all()
    b.grad = cr.tensor(np.array([-3, 0.5, 9], np.float32))
    optim.clip_grad_value_([b], 1.0)
    assert np.array_equal(b.grad.data, np.array([-1, 0.5, 1], np.float32))


# --------------------------------------------------- Adam's flat (whole-group) path
def _adam_pair(make, seed=3, dtype=np.float32):
    """Two copies of three parameters: one optimizer over all (the flat path), and one
    optimizer per parameter (the per-parameter path)."""
    rng = np.random.default_rng(seed)
    shapes = [(4, 3), (3,), (2, 2, 2)]
    init = [rng.standard_normal(s).astype(dtype) for s in shapes]
    init[0] = np.asfortranarray(init[0])  # a column-major parameter (any layout works)
    together = [cr.tensor(a, requires_grad=True) for a in init]
    alone = [cr.tensor(a, requires_grad=True) for a in init]
    return rng, together, make(together), alone, [make([p]) for p in alone]


def _give_grads(rng, *param_lists, skip=None):
    for i, ps in enumerate(zip(*param_lists)):
        g = rng.standard_normal(ps[0].shape).astype(ps[0].data.dtype)
        for p in ps:
            p.grad = None if i == skip else cr.tensor(g.copy())


@pytest.mark.parametrize("make", [
    lambda ps: optim.Adam(ps, lr=0.01),
    lambda ps: optim.Adam(ps, lr=0.01, weight_decay=0.1, betas=(0.8, 0.99)),
    lambda ps: optim.AdamW(ps, lr=0.01, weight_decay=0.1),
])
def test_adam_over_a_group_equals_adam_per_parameter_to_the_bit(make):
    rng, together, opt, alone, opts = _adam_pair(make)
    for step in range(6):
        # step 3 leaves one gradient out: that step (and, with unequal step counts, the
        # later ones) runs per parameter, and must still agree
        _give_grads(rng, together, alone, skip=1 if step == 3 else None)
        opt.step()
        for o in opts:
            o.step()
        for a, b in zip(together, alone):
            np.testing.assert_array_equal(a.data, b.data)
            assert a.data.dtype == np.float32
        if step == 0:  # the group's moments live in one flat buffer
            bases = {opt.state[p]["exp_avg"].base.ctypes.data for p in together}
            assert len(bases) == 1
            assert opt.state[together[0]]["exp_avg"].flags.f_contiguous
            assert together[0].data.flags.f_contiguous
    for a, b, o in zip(together, alone, opts):
        for k, v in o.state[b].items():
            np.testing.assert_array_equal(opt.state[a][k], v)


def test_adam_over_a_group_resumes_bit_exactly_from_a_state_dict():
    make = lambda ps: optim.Adam(ps, lr=0.01, weight_decay=0.01)  # noqa: E731
    rng, together, opt, alone, _ = _adam_pair(make)
    for _ in range(3):
        _give_grads(rng, together)
        opt.step()
    saved = opt.state_dict()
    copy = [cr.tensor(p.data.copy(), requires_grad=True) for p in together]
    resumed = make(copy)
    resumed.load_state_dict(json.loads(json.dumps({"param_groups": saved["param_groups"]}))
                            | {"state": saved["state"]})
    for _ in range(3):
        _give_grads(rng, together, copy)
        opt.step()
        resumed.step()
    for a, b in zip(together, copy):
        np.testing.assert_array_equal(a.data, b.data)
    # a state dict taken earlier is a copy, unchanged by later steps
    assert int(saved["state"]["0"]["step"]) == 3


def test_adam_over_a_group_marks_its_parameters_modified():
    ps = [cr.tensor(np.ones(3), requires_grad=True), cr.tensor(np.ones(2), requires_grad=True)]
    opt = optim.Adam(ps, lr=0.1)
    y = (ps[0] * ps[0]).sum() + (ps[1] * ps[1]).sum()
    for p in ps:
        p.grad = cr.tensor(np.ones(p.shape))
    opt.step()
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


@pytest.mark.parametrize("make", [lambda ps: optim.Adam(ps, lr=0.1),
                                  lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9)])
def test_a_parameter_resized_between_steps_is_a_clear_error(make):
    # One optimizer over both parameters (Adam's flat path) and the per-parameter path
    # must agree: the old state does not fit, so neither may broadcast it.
    a = cr.tensor(np.ones(3), requires_grad=True)
    b = cr.tensor(np.ones((2, 2)), requires_grad=True)
    opt = make([a, b])
    a.grad, b.grad = cr.tensor(np.ones(3)), cr.tensor(np.ones((2, 2)))
    opt.step()
    a.data = np.zeros((2, 3))
    a.grad, b.grad = cr.tensor(np.full((2, 3), 2.0)), cr.tensor(np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"shape \(2, 3\) but its optimizer state"):
        opt.step()


@pytest.mark.parametrize("make", [lambda ps: optim.Adam(ps, lr=0.1),
                                  lambda ps: optim.Adagrad(ps, lr=0.1)])
def test_a_resized_zero_dimensional_parameter_is_a_clear_error_before_any_update(make):
    a = cr.tensor(np.ones(()), requires_grad=True)
    opt = make([a])
    a.grad = cr.tensor(np.ones(()))
    opt.step()
    before = {k: np.array(v, copy=True) for k, v in opt.state[a].items()}
    a.data = np.zeros(3)
    a.grad = cr.tensor(np.ones(3))
    with pytest.raises(ValueError, match=r"shape \(3,\) but its optimizer state"):
        opt.step()
    for k, v in opt.state[a].items():  # nothing half-updated
        np.testing.assert_array_equal(v, before[k])


# ---------------------------------------------------------------------------------------
# float16 parameters are updated in float32


@pytest.mark.parametrize("make", [
    lambda ps: optim.Adam(ps, lr=1e-3),
    lambda ps: optim.AdamW(ps, lr=1e-3),
    lambda ps: optim.RMSprop(ps, lr=1e-3),
    lambda ps: optim.Adagrad(ps, lr=1e-3),
], ids=["adam", "adamw", "rmsprop", "adagrad"])
def test_float16_parameters_step_like_float32_rounded_once(make):
    rng = np.random.default_rng(0)
    w16 = rng.standard_normal((4, 3)).astype(np.float16)
    g16 = (rng.standard_normal((4, 3)) * 1e-3).astype(np.float16)
    g16[0] = 0  # a zero gradient: 0 / (0 + eps) with eps = 1e-8, which is 0 in float16
    b16 = np.zeros(3, np.float16)
    half = [cr.tensor(w16, requires_grad=True), cr.tensor(b16, requires_grad=True)]
    full = [cr.tensor(w16.astype(np.float32), requires_grad=True),
            cr.tensor(b16.astype(np.float32), requires_grad=True)]
    opts = make(half), make(full)
    for _ in range(3):
        for ps, opt in zip((half, full), opts):
            ps[0].grad = cr.tensor(g16.astype(ps[0].data.dtype))
            ps[1].grad = cr.tensor(np.zeros(3, ps[1].data.dtype))
            opt.step()
            # float32 reference: the float16 run keeps float32 state but float16 weights.
            if ps is full:
                for p in ps:
                    p.data[...] = p.data.astype(np.float16)
    for p16, p32 in zip(half, full):
        assert p16.data.dtype == np.float16
        assert np.isfinite(p16.data).all()
        np.testing.assert_array_equal(p16.data, p32.data.astype(np.float16))
    states = [v for v in opts[0].state[half[0]].values() if v.dtype.kind == "f"]
    assert all(v.dtype == np.float32 for v in states)


def test_float16_state_dict_round_trips_in_float32():
    p = cr.tensor(np.ones(3, np.float16), requires_grad=True)
    opt = optim.Adam([p], lr=1e-2)
    p.grad = cr.tensor(np.full(3, 1e-4, np.float16))
    opt.step()
    state = opt.state_dict()
    assert state["state"]["0"]["exp_avg_sq"].dtype == np.float32
    assert state["state"]["0"]["exp_avg_sq"][0] > 0  # (1e-4)^2 underflows in float16
    q = cr.tensor(p.data.copy(), requires_grad=True)
    other = optim.Adam([q], lr=1e-2)
    other.load_state_dict(state)
    for opt_, t in ((opt, p), (other, q)):
        t.grad = cr.tensor(np.full(3, 1e-4, np.float16))
        opt_.step()
    np.testing.assert_array_equal(p.data, q.data)


def _quadratic_steps(opt_factory, steps=6):
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((3, 4))
    X = rng.standard_normal((8, 3))
    w = cr.tensor(w0.copy(), requires_grad=True)
    opt = opt_factory([w])
    for _ in range(steps):
        opt.zero_grad()
        loss = cr.sum(cr.sin(X @ w)) + 0.1 * cr.sum(w * w)
        loss.backward()
        opt.step()
    return w0, X, w, opt


def test_rprop_follows_the_sign_rule():
    lr, (minus, plus), (low, high) = 0.05, (0.3, 1.5), (1e-3, 0.2)
    w0, X, w, opt = _quadratic_steps(lambda p: optim.Rprop(p, lr=lr, etas=(minus, plus),
                                                           step_sizes=(low, high)))
    ref, prev, size = w0.copy(), np.zeros_like(w0), np.full_like(w0, lr)
    for _ in range(6):
        g = X.T @ np.cos(X @ ref) + 0.2 * ref
        same = g * prev
        size = np.clip(size * np.where(same > 0, plus, np.where(same < 0, minus, 1.0)), low, high)
        g = np.where(same < 0, 0.0, g)
        ref = ref - np.sign(g) * size
        prev = g
    np.testing.assert_allclose(w.data, ref, rtol=1e-12, atol=1e-12)
    again = optim.Rprop([cr.tensor(w.data.copy(), requires_grad=True)])
    again.load_state_dict(opt.state_dict())
    assert again.state_dict()["state"]["0"]["step_size"].tolist() == size.tolist()


def test_asgd_steps_and_averages():
    lr, lambd, alpha, t0, wd = 0.1, 1e-2, 0.75, 2, 0.01
    w0, X, w, opt = _quadratic_steps(lambda p: optim.ASGD(p, lr=lr, lambd=lambd, alpha=alpha,
                                                          t0=t0, weight_decay=wd))
    ref, ax, eta, mu = w0.copy(), np.zeros_like(w0), lr, 1.0  # (float64 parameters)
    for step in range(1, 7):
        g = X.T @ np.cos(X @ ref) + 0.2 * ref + wd * ref
        ref = ref * (1 - lambd * float(eta)) - float(eta) * g
        ax = ax + (ref - ax) * float(mu) if mu != 1 else ref.copy()
        eta = lr / (1 + lambd * lr * step) ** alpha
        mu = 1 / max(1, step - t0)
    np.testing.assert_allclose(w.data, ref, rtol=1e-12)
    np.testing.assert_allclose(opt.state[w]["ax"], ax, rtol=1e-12)
