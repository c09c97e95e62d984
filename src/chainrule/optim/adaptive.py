"""Adadelta, Adamax, NAdam, RAdam: more adaptive per-coordinate methods, as PyTorch defines them.

Notation as in :mod:`chainrule.optim.optimizers`: p parameter, g gradient (negated first
with ``maximize``, then + lambda p for L2 weight decay), t the parameter's step count
from 1, lr the learning rate. State arrays are allocated on a parameter's first step and
updated in place; float16 parameters are stepped in float32 with float32 state.
"""

from __future__ import annotations

import math

import numpy as np

from .optimizer import Optimizer
from .optimizers import _adam_moments, _after_decay, _counter, _gradient


def _check_betas(name, betas):
    b1, b2 = betas
    if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
        raise ValueError(f"{name}: betas must lie in [0, 1), got {tuple(betas)}")


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012): steps scaled by the ratio of running RMS of updates and gradients.

    v_t = rho v_{t-1} + (1 - rho) g^2;
    delta = sqrt(u_{t-1} + eps) / sqrt(v_t + eps) * g;
    u_t = rho u_{t-1} + (1 - rho) delta^2;   p <- p - lr delta.
    State: ``square_avg`` (v), ``acc_delta`` (u).
    """

    _float16_in_float32 = True

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, *,
                 maximize=False):
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Adadelta: rho must lie in [0, 1], got {rho}")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=bool(maximize)))

    def _init_state(self, p, group):
        return {"step": _counter(), "square_avg": np.zeros_like(p._data),
                "acc_delta": np.zeros_like(p._data)}

    def _update(self, p, grad, state, group, scratch):
        g = _gradient(p, grad, group)
        rho, eps = float(group["rho"]), float(group["eps"])
        state["step"] += 1
        v, u = state["square_avg"], state["acc_delta"]
        v *= rho
        np.multiply(g, g, out=scratch)
        scratch *= 1.0 - rho
        v += scratch
        delta = u + eps
        np.sqrt(delta, out=delta)
        np.add(v, eps, out=scratch)
        np.sqrt(scratch, out=scratch)
        delta /= scratch
        delta *= g
        u *= rho
        np.multiply(delta, delta, out=scratch)
        scratch *= 1.0 - rho
        u += scratch
        delta *= float(group["lr"])
        p -= delta


class Adamax(Optimizer):
    """Adamax (Kingma & Ba, 2015, section 7.1): Adam with an infinity-norm second moment.

    m_t = b1 m_{t-1} + (1 - b1) g;   u_t = max(b2 u_{t-1}, |g| + eps);
    p <- p - lr / (1 - b1^t) * m_t / u_t.
    State: ``exp_avg`` (m), ``exp_inf`` (u).
    """

    _float16_in_float32 = True

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, *,
                 maximize=False):
        _check_betas("Adamax", betas)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, maximize=bool(maximize)))

    def _init_state(self, p, group):
        return {"step": _counter(), "exp_avg": np.zeros_like(p._data),
                "exp_inf": np.zeros_like(p._data)}

    def _update(self, p, grad, state, group, scratch):
        g = _gradient(p, grad, group)
        b1, b2 = (float(b) for b in group["betas"])
        state["step"] += 1
        t = int(state["step"])
        m, u = state["exp_avg"], state["exp_inf"]
        m *= b1
        np.multiply(g, 1.0 - b1, out=scratch)
        m += scratch
        u *= b2
        np.abs(g, out=scratch)
        scratch += float(group["eps"])
        np.maximum(u, scratch, out=u)
        np.divide(m, u, out=scratch)
        scratch *= float(group["lr"]) / (1.0 - b1**t)
        p -= scratch


class NAdam(Optimizer):
    """NAdam (Dozat, 2016): Adam with Nesterov momentum and a momentum schedule.

    mu_t = b1 (1 - 0.96^(t psi) / 2) with psi = ``momentum_decay``;
    m_t, v_t as in Adam;  d = sqrt(v_t / (1 - b2^t)) + eps;
    p <- p - lr [(1 - mu_t) / (1 - prod_{i<=t} mu_i) g
                 + mu_{t+1} / (1 - prod_{i<=t+1} mu_i) m_t] / d.
    ``decoupled_weight_decay``: p <- p (1 - lr lambda) first instead of L2 in g (NAdamW).
    State: ``mu_product`` (prod_{i<=t} mu_i, float64 whatever the parameter's dtype),
    ``exp_avg``, ``exp_avg_sq``.
    """

    _float16_in_float32 = True
    _scalar_state = ("step", "mu_product")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, maximize=False):
        _check_betas("NAdam", betas)
        if not (momentum_decay >= 0 and math.isfinite(momentum_decay)):
            raise ValueError(f"NAdam: momentum_decay must be a finite number >= 0, got "
                             f"{momentum_decay}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, momentum_decay=momentum_decay,
                                      decoupled_weight_decay=bool(decoupled_weight_decay),
                                      maximize=bool(maximize)))

    def _init_state(self, p, group):
        return {"step": _counter(), "mu_product": np.ones((), np.float64),
                "exp_avg": np.zeros_like(p._data), "exp_avg_sq": np.zeros_like(p._data)}

    def _update(self, p, grad, state, group, scratch):
        lr, eps = float(group["lr"]), float(group["eps"])
        b1, b2 = (float(b) for b in group["betas"])
        psi = float(group["momentum_decay"])
        g = _after_decay(p, grad, group, group["decoupled_weight_decay"])
        state["step"] += 1
        t = int(state["step"])
        mu = b1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        state["mu_product"] *= mu
        product = float(state["mu_product"])
        m, v = state["exp_avg"], state["exp_avg_sq"]
        _adam_moments(m, v, g, scratch, b1, b2)
        denom = v * (1.0 / (1.0 - b2**t))
        np.sqrt(denom, out=denom)
        denom += eps
        np.divide(g, denom, out=scratch)
        scratch *= lr * (1.0 - mu) / (1.0 - product)
        p -= scratch
        np.divide(m, denom, out=scratch)
        scratch *= lr * mu_next / (1.0 - product * mu_next)
        p -= scratch


class RAdam(Optimizer):
    """RAdam (Liu et al., 2020): Adam with its adaptive step on once its variance is finite.

    m_t, v_t as in Adam;  m_hat = m_t / (1 - b1^t);
    rho_inf = 2 / (1 - b2) - 1,  rho_t = rho_inf - 2 t b2^t / (1 - b2^t);
    if rho_t > 5:  r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t)),
                   p <- p - lr m_hat r_t sqrt(1 - b2^t) / (sqrt(v_t) + eps);
    else:          p <- p - lr m_hat  (momentum SGD while the variance estimate is unreliable).
    ``decoupled_weight_decay``: p <- p (1 - lr lambda) first instead of L2 in g.
    """

    _float16_in_float32 = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 decoupled_weight_decay=False, *, maximize=False):
        _check_betas("RAdam", betas)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay,
                                      decoupled_weight_decay=bool(decoupled_weight_decay),
                                      maximize=bool(maximize)))

    def _init_state(self, p, group):
        return {"step": _counter(), "exp_avg": np.zeros_like(p._data),
                "exp_avg_sq": np.zeros_like(p._data)}

    def _update(self, p, grad, state, group, scratch):
        lr, eps = float(group["lr"]), float(group["eps"])
        b1, b2 = (float(b) for b in group["betas"])
        g = _after_decay(p, grad, group, group["decoupled_weight_decay"])
        state["step"] += 1
        t = int(state["step"])
        m, v = state["exp_avg"], state["exp_avg_sq"]
        _adam_moments(m, v, g, scratch, b1, b2)
        correction1, correction2 = 1.0 - b1**t, 1.0 - b2**t
        rho_inf = 2.0 / (1.0 - b2) - 1.0
        rho_t = rho_inf - 2.0 * t * b2**t / correction2
        if rho_t > 5.0:
            rect = math.sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf
                             / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
            np.sqrt(v, out=scratch)
            scratch += eps
            np.divide(m, scratch, out=scratch)
            scratch *= lr * rect * math.sqrt(correction2) / correction1
        else:
            np.multiply(m, lr / correction1, out=scratch)
        p -= scratch


def _rms(a):
    return float(np.linalg.norm(a.ravel())) / math.sqrt(max(a.size, 1))


def _lerp(x, end, w):
    """x <- x + w (end - x) in place, in PyTorch's two forms (from x below w = 1/2, from
    end above), so a weight of 1 gives end exactly."""
    if w < 0.5:
        x += w * (end - x)
    else:
        x[...] = end - (end - x) * (1.0 - w)


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern, 2018) as PyTorch defines it: the second moment of a
    parameter with two or more dimensions kept as the means of g^2 over its rows and over
    its columns (the last two dimensions), a step relative to the parameter's RMS, and an
    update whose RMS is clipped to ``d``.

    1 - beta2_t = t^beta2_decay;  rho_t = min(lr, 1/sqrt(t));  alpha_t = max(eps2, RMS(p)) rho_t;
    p <- p (1 - lr lambda);
    matrix: r <- r + (1 - beta2_t)(mean_last(g^2) - r), c likewise over the rows,
            v = r c / max(mean(r), eps1);   vector: v <- v + (1 - beta2_t)(g^2 - v);
    u = g / sqrt(max(v, eps1^2));  p <- p - alpha_t u / max(1, RMS(u) / d).
    ``eps = (eps1, eps2)``; eps1 None is the dtype's machine epsilon.
    State: ``step``, and ``row_var`` (..., m, 1) and ``col_var`` (..., 1, n) for a matrix
    or ``variance`` for a vector, as PyTorch's.
    """

    _float16_in_float32 = True
    _scalar_state = ("step", "row_var", "col_var")

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                 weight_decay=0.0, *, maximize=False):
        super().__init__(params, dict(lr=lr, beta2_decay=beta2_decay, eps=tuple(eps), d=d,
                                      weight_decay=weight_decay, maximize=bool(maximize)))

    def _check_hyperparameters(self, group):
        lr, eps = group["lr"], tuple(group["eps"])
        if not lr >= 0.0:
            raise ValueError(f"Adafactor: lr must be >= 0, got {lr}")
        if not group["beta2_decay"] <= 0.0:
            raise ValueError(f"Adafactor: beta2_decay must be <= 0, got {group['beta2_decay']}")
        if len(eps) != 2 or (eps[0] is not None and not eps[0] >= 0.0) or not eps[1] >= 0.0:
            raise ValueError(f"Adafactor: eps must be two values >= 0 (eps1 may be None), "
                             f"got {eps}")
        if not group["d"] >= 1.0:
            raise ValueError(f"Adafactor: the clipping threshold d must be >= 1, got "
                             f"{group['d']}")
        if not group["weight_decay"] >= 0.0:
            raise ValueError(f"Adafactor: weight_decay must be >= 0, got "
                             f"{group['weight_decay']}")

    def _init_state(self, p, group):
        shape = p._data.shape
        if len(shape) > 1:
            return {"step": _counter(),
                    "row_var": np.zeros((*shape[:-1], 1), p._data.dtype),
                    "col_var": np.zeros((*shape[:-2], 1, shape[-1]), p._data.dtype)}
        return {"step": _counter(), "variance": np.zeros_like(p._data)}

    def _update(self, p, grad, state, group, scratch):
        g = -grad if group["maximize"] else grad
        lr, wd = float(group["lr"]), float(group["weight_decay"])
        eps1, eps2 = group["eps"]
        eps1 = float(np.finfo(p._data.dtype).eps if eps1 is None else eps1)
        state["step"] += 1
        t = float(state["step"])
        rate = t ** float(group["beta2_decay"])  # 1 - beta2_t
        data = p._data
        # (RMS(p) before the decay, as PyTorch reads it)
        alpha = max(float(eps2), _rms(data)) * min(lr, 1.0 / math.sqrt(t))
        if wd:
            p *= 1.0 - lr * wd
        np.multiply(g, g, out=scratch)
        if data.ndim > 1:
            r, c = state["row_var"], state["col_var"]
            _lerp(r, scratch.mean(axis=-1, keepdims=True), rate)
            _lerp(c, scratch.mean(axis=-2, keepdims=True), rate)
            v = r @ c
            v /= np.maximum(r.mean(axis=-2, keepdims=True), eps1)
        else:
            _lerp(state["variance"], scratch, rate)
            v = state["variance"].copy()
        np.maximum(v, eps1 * eps1, out=v)
        np.sqrt(v, out=v)
        np.divide(g, v, out=scratch)
        scratch *= alpha / max(1.0, _rms(scratch) / float(group["d"]))
        p -= scratch
