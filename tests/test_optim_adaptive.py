"""Adadelta, Adamax, NAdam, RAdam, Adafactor and maximize: each against its paper's update
in NumPy."""

import json
import math

import numpy as np
import pytest
from test_optim import G1, G2, P0, run_steps

import chainrule as cr
import chainrule.nn as nn
from chainrule import optim

G3 = np.array([0.05, -1.5, 0.4])
GRADS = [G1, G2, G3, 0.1 * G1, -G2, G3, G1, G2]  # 8 steps: RAdam's rectification starts at 6


def adadelta_reference(p, grads, lr=1.0, rho=0.9, eps=1e-6, l2=0.0):
    """Zeiler (2012), algorithm 1, with a learning rate and L2 decay as PyTorch documents."""
    v = u = np.zeros_like(p)
    out = []
    for g in grads:
        g = g + l2 * p
        v = rho * v + (1 - rho) * g**2
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta**2
        p = p - lr * delta
        out.append(p)
    return out


def adamax_reference(p, grads, lr=2e-3, b1=0.9, b2=0.999, eps=1e-8, l2=0.0):
    """Kingma & Ba (2015), algorithm 2 (AdaMax), eps inside the max as PyTorch documents."""
    m = u = np.zeros_like(p)
    out = []
    for t, g in enumerate(grads, start=1):
        g = g + l2 * p
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g) + eps)
        p = p - lr / (1 - b1**t) * m / u
        out.append(p)
    return out


def nadam_reference(p, grads, lr=2e-3, b1=0.9, b2=0.999, eps=1e-8, psi=4e-3, l2=0.0,
                    decoupled=False):
    """Dozat (2016) with the momentum schedule mu_t = b1 (1 - 0.96^(t psi) / 2)."""
    mus = [b1 * (1 - 0.5 * 0.96 ** (t * psi)) for t in range(1, len(grads) + 2)]
    m = v = np.zeros_like(p)
    out = []
    for t, g in enumerate(grads, start=1):
        if decoupled:
            p = p * (1 - lr * l2)
        else:
            g = g + l2 * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = (mus[t] * m / (1 - np.prod(mus[:t + 1]))
                 + (1 - mus[t - 1]) * g / (1 - np.prod(mus[:t])))
        v_hat = v / (1 - b2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(p)
    return out


def radam_reference(p, grads, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, l2=0.0, decoupled=False):
    """Liu et al. (2020), algorithm 2: rectified adaptive steps once rho_t > 5."""
    rho_inf = 2 / (1 - b2) - 1
    m = v = np.zeros_like(p)
    out = []
    for t, g in enumerate(grads, start=1):
        if decoupled:
            p = p * (1 - lr * l2)
        else:
            g = g + l2 * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1**t)
        rho = rho_inf - 2 * t * b2**t / (1 - b2**t)
        if rho > 5:
            r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
            p = p - lr * r * m_hat * math.sqrt(1 - b2**t) / (np.sqrt(v) + eps)
        else:
            p = p - lr * m_hat
        out.append(p)
    return out


CASES = [
    ("Adadelta", lambda ps: optim.Adadelta(ps), adadelta_reference, {}),
    ("Adadelta decay", lambda ps: optim.Adadelta(ps, lr=0.5, rho=0.8, eps=1e-4,
                                                 weight_decay=0.1),
     adadelta_reference, dict(lr=0.5, rho=0.8, eps=1e-4, l2=0.1)),
    ("Adamax", lambda ps: optim.Adamax(ps), adamax_reference, {}),
    ("Adamax decay", lambda ps: optim.Adamax(ps, lr=0.01, betas=(0.8, 0.9), weight_decay=0.1),
     adamax_reference, dict(lr=0.01, b1=0.8, b2=0.9, l2=0.1)),
    ("NAdam", lambda ps: optim.NAdam(ps), nadam_reference, {}),
    ("NAdam decay", lambda ps: optim.NAdam(ps, lr=0.01, momentum_decay=0.1, weight_decay=0.1),
     nadam_reference, dict(lr=0.01, psi=0.1, l2=0.1)),
    ("NAdamW", lambda ps: optim.NAdam(ps, lr=0.01, weight_decay=0.1, decoupled_weight_decay=True),
     nadam_reference, dict(lr=0.01, l2=0.1, decoupled=True)),
    ("RAdam", lambda ps: optim.RAdam(ps), radam_reference, {}),
    ("RAdam short memory", lambda ps: optim.RAdam(ps, lr=0.01, betas=(0.5, 0.8),
                                                  weight_decay=0.1),
     radam_reference, dict(lr=0.01, b1=0.5, b2=0.8, l2=0.1)),
    ("RAdamW", lambda ps: optim.RAdam(ps, lr=0.01, betas=(0.5, 0.8), weight_decay=0.1,
                                      decoupled_weight_decay=True),
     radam_reference, dict(lr=0.01, b1=0.5, b2=0.8, l2=0.1, decoupled=True)),
]


@pytest.mark.parametrize("name,make,reference,kwargs", CASES, ids=[c[0] for c in CASES])
def test_steps_follow_the_published_update(name, make, reference, kwargs):
    history, _, _ = run_steps(make, GRADS)
    expected = reference(P0, GRADS, **kwargs)
    np.testing.assert_allclose(history, expected, rtol=1e-13, atol=1e-15)


def test_radam_switches_to_adaptive_steps_when_the_variance_is_tractable():
    # With b2 = 0.999, rho_t first exceeds 5 at t = 6: before that the step is lr * m_hat,
    # the same size whatever the gradient's scale ratio between coordinates.
    history, _, _ = run_steps(lambda ps: optim.RAdam(ps, lr=0.01), [G1] * 7)
    steps = np.diff(np.vstack([P0, *history]), axis=0)
    np.testing.assert_allclose(steps[:5], -0.01 * np.tile(G1, (5, 1)), rtol=1e-12)
    assert not np.allclose(steps[5], -0.01 * G1)  # adaptive from t = 6: ~ lr sign(g)


def test_nadam_keeps_the_momentum_product_in_its_state():
    _, opt, _ = run_steps(lambda ps: optim.NAdam(ps, momentum_decay=0.1), [G1, G2])
    state = opt.state_dict()["state"]["0"]
    mus = [0.9 * (1 - 0.5 * 0.96 ** (t * 0.1)) for t in (1, 2)]
    assert float(state["mu_product"]) == pytest.approx(mus[0] * mus[1], rel=1e-15)
    assert state["mu_product"].dtype == np.float64 and int(state["step"]) == 2


MAXIMIZING = [
    lambda ps, **k: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, **k),
    lambda ps, **k: optim.SGD(ps, lr=0.1, **k),  # the flat path
    lambda ps, **k: optim.Adam(ps, lr=0.1, **k),
    lambda ps, **k: optim.AdamW(ps, lr=0.1, **k),
    lambda ps, **k: optim.RMSprop(ps, lr=0.1, centered=True, **k),
    lambda ps, **k: optim.Adagrad(ps, lr=0.1, **k),
    lambda ps, **k: optim.Adadelta(ps, **k),
    lambda ps, **k: optim.Adamax(ps, **k),
    lambda ps, **k: optim.NAdam(ps, **k),
    lambda ps, **k: optim.RAdam(ps, **k),
]


@pytest.mark.parametrize("make", MAXIMIZING)
def test_maximize_is_minimizing_the_negated_gradient(make):
    up, _, _ = run_steps(lambda ps: make(ps, maximize=True), GRADS)
    down, _, _ = run_steps(make, [-g for g in GRADS])
    np.testing.assert_array_equal(up, down)


def test_maximize_keeps_weight_decay_pulling_towards_zero():
    # PyTorch's order: g -> -g, then + lambda p. With a zero gradient the parameter shrinks.
    (p1,), _, _ = run_steps(lambda ps: optim.SGD(ps, lr=0.1, weight_decay=0.5, maximize=True),
                            [np.zeros(3)])
    np.testing.assert_allclose(p1, P0 * (1 - 0.1 * 0.5), rtol=1e-15)
    # And over a group with several parameters (Adam's flat path), the same as alone.
    a = [cr.tensor(P0, requires_grad=True), cr.tensor(2 * P0, requires_grad=True)]
    opt = optim.Adam(a, lr=0.1, weight_decay=0.2, maximize=True)
    for p in a:
        p.grad = cr.tensor(G1)
    opt.step()
    alone, _, _ = run_steps(lambda ps: optim.Adam(ps, lr=0.1, weight_decay=0.2, maximize=True),
                            [G1], p0=2 * P0)
    np.testing.assert_array_equal(a[1].data, alone[0])


def _train(model, opt, steps, seed):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        x = rng.standard_normal((8, 4)).astype(np.float32)
        opt.zero_grad()
        nn.CrossEntropyLoss()(model(x), rng.integers(0, 3, 8)).backward()
        opt.step()


@pytest.mark.parametrize("make", [
    lambda ps: optim.Adadelta(ps, weight_decay=0.01),
    lambda ps: optim.Adamax(ps, lr=0.01),
    lambda ps: optim.NAdam(ps, lr=0.01, decoupled_weight_decay=True, weight_decay=0.1),
    lambda ps: optim.RAdam(ps, lr=0.01),
    lambda ps: optim.Adafactor(ps, lr=0.01, weight_decay=0.1),
], ids=["Adadelta", "Adamax", "NAdam", "RAdam", "Adafactor"])
def test_state_dict_resume_is_bit_exact_and_float32_stays_float32(make):
    def model():
        return nn.Sequential(nn.Linear(4, 5, rng=0), nn.Tanh(), nn.Linear(5, 3, rng=1))

    ref = model()
    ref_opt = make(ref.parameters())
    _train(ref, ref_opt, 7, seed=0)
    saved_model, saved_opt = ref.state_dict(), ref_opt.state_dict()
    assert all(v.dtype in (np.float32, np.int64, np.float64)
               for s in saved_opt["state"].values() for v in s.values())
    _train(ref, ref_opt, 3, seed=1)
    resumed = model()
    resumed.load_state_dict(saved_model)
    opt = make(resumed.parameters())
    opt.load_state_dict({"state": saved_opt["state"],
                         "param_groups": json.loads(json.dumps(saved_opt["param_groups"]))})
    _train(resumed, opt, 3, seed=1)
    for a, b in zip(ref.parameters(), resumed.parameters()):
        assert a.data.dtype == np.float32
        assert a.data.tobytes() == b.data.tobytes()


@pytest.mark.parametrize("make", [
    lambda ps: optim.Adadelta(ps, lr=0.1),
    lambda ps: optim.Adamax(ps, lr=1e-3),
    lambda ps: optim.NAdam(ps, lr=1e-3),
    lambda ps: optim.RAdam(ps, lr=1e-3),
    lambda ps: optim.Adafactor(ps, lr=1e-3),
], ids=["Adadelta", "Adamax", "NAdam", "RAdam", "Adafactor"])
def test_float16_parameters_keep_float32_state(make):
    w = cr.tensor(np.ones(3, np.float16), requires_grad=True)
    ref = cr.tensor(np.ones(3, np.float32), requires_grad=True)
    opts = make([w]), make([ref])
    for _ in range(8):
        for p, opt in zip((w, ref), opts):
            p.grad = cr.tensor(np.full(3, 1e-4, p.data.dtype))  # 1e-8 underflows in float16
            opt.step()
        ref.data[...] = ref.data.astype(np.float16)
    assert w.data.dtype == np.float16 and np.isfinite(w.data).all()
    np.testing.assert_array_equal(w.data, ref.data.astype(np.float16))
    floats = [v for v in opts[0].state[w].values() if v.dtype.kind == "f" and v.ndim]
    assert floats and all(v.dtype == np.float32 for v in floats)


def test_bad_hyperparameters_are_named():
    p = [cr.tensor(np.ones(2), requires_grad=True)]
    with pytest.raises(ValueError, match="Adadelta: rho must lie in"):
        optim.Adadelta(p, rho=1.5)
    with pytest.raises(ValueError, match="Adamax: betas"):
        optim.Adamax(p, betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="NAdam: momentum_decay"):
        optim.NAdam(p, momentum_decay=-1)
    with pytest.raises(ValueError, match="RAdam: betas"):
        optim.RAdam(p, betas=(0.9, -0.1))
    with pytest.raises(ValueError, match="eps must be"):
        optim.NAdam(p, eps=-1.0)
    with pytest.raises(TypeError, match="positional arguments"):
        optim.Adamax(p, 2e-3, (0.9, 0.999), 1e-8, 0.0, True)  # maximize is keyword-only


def test_sgd_momentum_switched_on_after_the_first_step_starts_a_buffer():
    p = cr.tensor(P0, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    p.grad = cr.tensor(G1)
    opt.step()
    opt.param_groups[0]["momentum"] = 0.9  # e.g. a cyclical schedule turning it on
    p.grad = cr.tensor(G2)
    opt.step()
    np.testing.assert_allclose(p.data, P0 - 0.1 * G1 - 0.1 * G2, rtol=1e-15)
    assert set(opt.state[p]) == {"step", "momentum_buffer"}


def adafactor_reference(p, grads, lr=1e-2, decay=-0.8, eps1=None, eps2=1e-3, d=1.0, wd=0.0):
    """Shazeer & Stern (2018), algorithm 4 as PyTorch documents it: factored second moments
    (row and column means of g^2) for a matrix, relative step size, update clipping."""
    eps1 = np.finfo(p.dtype).eps if eps1 is None else eps1
    r, c, v = np.zeros((*p.shape[:1], 1)), np.zeros((1, *p.shape[1:])), np.zeros_like(p)
    out = []
    for t, g in enumerate(grads, start=1):
        w = t ** decay
        alpha = max(eps2, np.sqrt(np.mean(p**2))) * min(lr, 1 / np.sqrt(t))
        p = p * (1 - lr * wd)
        if p.ndim == 2:
            r = (1 - w) * r + w * np.mean(g**2, axis=1, keepdims=True)
            c = (1 - w) * c + w * np.mean(g**2, axis=0, keepdims=True)
            vhat = r @ c / max(np.mean(r), eps1)
        else:
            v = (1 - w) * v + w * g**2
            vhat = v
        u = g / np.sqrt(np.maximum(vhat, eps1**2))
        p = p - alpha / max(1.0, np.sqrt(np.mean(u**2)) / d) * u
        out.append(p)
    return out


@pytest.mark.parametrize("kwargs", [{}, dict(lr=0.05, wd=0.1, d=2.0),
                                    dict(decay=-0.5, eps1=1e-20, eps2=1e-2)])
@pytest.mark.parametrize("shape", [(3, 4), (5,)])
def test_adafactor_follows_the_published_update(shape, kwargs):
    rng = np.random.default_rng(7)
    p0 = rng.standard_normal(shape)
    grads = [rng.standard_normal(shape) * s for s in (1.0, 0.1, 3.0, 1.0, 0.5, 2.0, 1.0, 0.2)]
    names = dict(lr="lr", wd="weight_decay", d="d", decay="beta2_decay")
    options = {names[k]: v for k, v in kwargs.items() if k in names}
    if "eps1" in kwargs:
        options["eps"] = (kwargs["eps1"], kwargs["eps2"])
    w = cr.tensor(p0.copy(), requires_grad=True)
    opt = optim.Adafactor([w], **options)
    expected = adafactor_reference(p0, grads, **kwargs)
    for g, want in zip(grads, expected):
        w.grad = cr.tensor(g)
        opt.step()
        np.testing.assert_allclose(w.data, want, rtol=1e-13, atol=1e-15)
    state = opt.state[w]
    assert set(state) == ({"step", "row_var", "col_var"} if len(shape) == 2
                          else {"step", "variance"})
    with pytest.raises(ValueError, match="clipping threshold"):
        optim.Adafactor([w], d=0.5)
