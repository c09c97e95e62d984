"""SGD, Adam, AdamW, RMSprop, Adagrad: in-place updates on preallocated NumPy state.

Notation: p parameter, g gradient, t the parameter's step count (from 1), lr the
learning rate, lambda the weight decay. Hyperparameters are read as Python floats, so
a float32 parameter is updated in float32 arithmetic. State arrays are allocated on a
parameter's first step and updated in place; intermediate results go to a scratch
array, so a step without weight decay allocates nothing per parameter. With
``maximize`` an optimizer climbs the objective: g is negated before anything else.
"""

from __future__ import annotations

import math

import numpy as np

from ..graph import mark_modified
from .optimizer import Optimizer, has_float16


def _counter():
    return np.zeros((), np.int64)


class _FlatState:
    """Adam's moments for a whole parameter group, in flat buffers.

    ``m`` and ``v`` hold every parameter's first and second moments end to end; each
    parameter's ``exp_avg`` / ``exp_avg_sq`` state entries are views into them, so state
    dicts, checkpoints and the per-parameter path see the same numbers. ``g`` receives
    the gradients and ``s`` is scratch. One step is then a dozen NumPy calls over the
    group instead of a dozen per parameter (measured in docs/performance.md).
    """

    __slots__ = ("params", "states", "orders", "m", "v", "g", "s", "s_views")

    def __init__(self, params, states, dtype):
        sizes = [p._data.size for p in params]
        n = sum(sizes)
        self.params = list(params)
        self.states = states
        # Each parameter's part of a buffer is laid out in the parameter's own memory
        # order (row- or column-major), so every update combines arrays of one order.
        self.orders = [_order(p._data) for p in params]
        self.m = np.zeros(n, dtype)
        self.v = np.zeros(n, dtype)
        self.g = np.empty(n, dtype)
        self.s = np.empty(n, dtype)
        self.s_views = []
        start = 0
        for p, size, state, order in zip(params, sizes, states, self.orders):
            shape = p._data.shape
            part = slice(start, start + size)
            m = self.m[part].reshape(shape, order=order)
            v = self.v[part].reshape(shape, order=order)
            m[...] = state["exp_avg"]
            v[...] = state["exp_avg_sq"]
            state["exp_avg"], state["exp_avg_sq"] = m, v
            self.s_views.append(self.s[part].reshape(shape, order=order))
            start += size

    def current(self, params, state):
        """True while the group, its parameters' shapes and their state are what we built."""
        if len(params) != len(self.params):
            return False
        for p, q, st, view, order in zip(params, self.params, self.states, self.s_views,
                                         self.orders):
            if (p is not q or state.get(p) is not st or p._data.shape != view.shape
                    or p._data.dtype != view.dtype or st["exp_avg"].base is not self.m
                    or _order(p._data) != order):
                return False
        return True


def _order(a):
    """'F' for an array stored column-major (and not also row-major), else 'C'."""
    return "F" if a.flags.f_contiguous and not a.flags.c_contiguous else "C"


def _decayed(p, grad, weight_decay):
    """g + lambda p: L2 regularization folded into the gradient."""
    return grad + weight_decay * p._data if weight_decay else grad


def _gradient(p, grad, group, decay=True):
    """The gradient an update follows: -g with ``maximize``, then + lambda p (L2) if ``decay``.

    The sign comes first, as in PyTorch, so the weight decay still pulls towards 0 when
    maximizing.
    """
    if group["maximize"]:
        grad = -grad
    return _decayed(p, grad, float(group["weight_decay"])) if decay else grad


def _after_decay(p, grad, group, decoupled):
    """The gradient to follow once weight decay is applied.

    Decoupled (AdamW, NAdamW, RAdamW): p <- p (1 - lr lambda) now, and g as it is;
    otherwise L2: g + lambda p.
    """
    weight_decay = float(group["weight_decay"])
    if decoupled and weight_decay:
        p *= 1.0 - float(group["lr"]) * weight_decay
    return _gradient(p, grad, group, decay=not decoupled)


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, dampening, Nesterov momentum, weight decay.

    d = g + lambda p (g negated first with ``maximize``);
    b_1 = d,  b_t = mu b_{t-1} + (1 - dampening) d;
    d <- d + mu b_t (Nesterov) or d <- b_t (plain momentum);  p <- p - lr d.
    """

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False, *, maximize=False):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: nesterov momentum needs momentum > 0 and dampening = 0")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=bool(maximize)))

    def _init_state(self, p, group):
        if not group["momentum"]:
            return {}
        return {"step": _counter(), "momentum_buffer": np.zeros_like(p._data)}

    def _step_group_flat(self, group):
        # Plain SGD (no momentum, no weight decay), the common case: p -= lr g for the
        # whole group in one tight loop, with the same two NumPy calls per parameter as
        # _update.
        if group["momentum"] or group["weight_decay"]:
            return False
        params = group["params"]
        for p in params:
            g = p.grad
            if g is not None and g._data.shape != p._data.shape:
                return False  # the per-parameter path reports it
        # Maximizing steps up the gradient: the same multiply, a negative rate.
        lr = -float(group["lr"]) if group["maximize"] else float(group["lr"])
        state, scratches = self._state, self._scratch
        for p in params:
            g = p.grad
            if g is None:
                continue
            data = p._data
            if p not in state:
                state[p] = {}
            scratch = scratches.get(p)
            if scratch is None or scratch.dtype != data.dtype or scratch.shape != data.shape:
                scratch = scratches[p] = np.empty_like(data)
            np.multiply(g._data, lr, scratch)  # (out= given positionally: parsed faster)
            data -= scratch
            mark_modified(p)
        return True

    def _update(self, p, grad, state, group, scratch):
        d = _gradient(p, grad, group)
        mu = float(group["momentum"])
        if mu:
            if "momentum_buffer" not in state:  # momentum switched on after the first step
                state.update(self._init_state(p, group))
            buf = state["momentum_buffer"]
            state["step"] += 1
            if state["step"] == 1:
                buf[...] = d
            else:
                buf *= mu
                dampening = float(group["dampening"])
                if dampening:
                    np.multiply(d, 1.0 - dampening, out=scratch)
                    buf += scratch
                else:
                    buf += d
            if group["nesterov"]:
                np.multiply(buf, mu, out=scratch)
                scratch += d
                d = scratch
            else:
                d = buf
        np.multiply(d, float(group["lr"]), out=scratch)
        p -= scratch


def _adam_moments(m, v, g, scratch, b1, b2):
    """m <- b1 m + (1 - b1) g and v <- b2 v + (1 - b2) g^2, in place."""
    m *= b1
    np.multiply(g, 1.0 - b1, out=scratch)
    m += scratch
    v *= b2
    np.multiply(g, g, out=scratch)
    scratch *= 1.0 - b2
    v += scratch


def _adam_update(m, v, out, t, lr, eps, b1, b2):
    """out <- lr m_hat / (sqrt(v_hat) + eps), the step to subtract at step t.

    The bias corrections are moved into two scalars (one pass over the parameters
    fewer): with c2 = sqrt(1 - b2^t) it is lr c2 / (1 - b1^t) * m / (sqrt(v) + eps c2).
    """
    c2 = math.sqrt(1.0 - b2**t)
    np.sqrt(v, out=out)
    out += eps * c2
    np.divide(m, out, out=out)
    out *= lr * c2 / (1.0 - b1**t)


class Adam(Optimizer):
    """Adam with bias correction (Kingma & Ba, 2015); weight decay as L2 in the gradient.

    m_t = b1 m_{t-1} + (1 - b1) g;  v_t = b2 v_{t-1} + (1 - b2) g^2;
    p <- p - lr / (1 - b1^t) * m_t / (sqrt(v_t) / sqrt(1 - b2^t) + eps),
    i.e. lr * m_hat / (sqrt(v_hat) + eps) with m_hat, v_hat the bias-corrected moments
    (computed with the corrections folded into scalars; equal up to rounding).
    ``amsgrad`` uses the running maximum of v_t in the denominator.
    """

    _float16_in_float32 = True

    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, *, maximize=False, decoupled_weight_decay=None):
        # decoupled_weight_decay=True is AdamW's update (PyTorch's switch for it)
        if decoupled_weight_decay is not None:
            self._decoupled = bool(decoupled_weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=bool(maximize),
                                      decoupled_weight_decay=self._decoupled))

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        b1, b2 = group["betas"]
        if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
            raise ValueError(f"{type(self).__name__}: betas must lie in [0, 1), got {(b1, b2)}")

    def _init_state(self, p, group):
        state = {"step": _counter(), "exp_avg": np.zeros_like(p._data),
                 "exp_avg_sq": np.zeros_like(p._data)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = np.zeros_like(p._data)
        return state

    def _flat(self, group):
        """The group's _FlatState, (re)built when needed; None when it cannot be used."""
        params = group["params"]
        flats = self.__dict__.setdefault("_flats", {})
        flat = flats.get(id(group))
        if flat is not None and flat.current(params, self._state):
            return flat
        dtype = params[0]._data.dtype
        if any(p._data.dtype != dtype for p in params):
            return None
        states = [self._state.get(p) or None for p in params]  # ({}: a reader's, none yet)
        if any(st is not None and st["exp_avg"].shape != p._data.shape
               for p, st in zip(params, states)):
            return None  # a resized parameter: the per-parameter path reports it
        if any(st is None for st in states):
            if any(st is not None for st in states):
                return None  # some parameters have stepped without the others
            states = [self._init_state(p, group) for p in params]
            for p, st in zip(params, states):
                self._state[p] = st
        flat = flats[id(group)] = _FlatState(params, states, dtype)
        return flat

    def _step_group_flat(self, group):
        # Flat path: every parameter has a gradient of its shape, one dtype, equal step
        # counts, no amsgrad. Elementwise, so the numbers are those of the per-parameter
        # path to the last bit (tests/test_optim.py compares them).
        params = group["params"]
        if group["amsgrad"] or len(params) < 2 or has_float16(params):
            return False
        for p in params:
            g = p.grad
            if g is None or g._data.shape != p._data.shape:
                return False
        flat = self._flat(group)
        if flat is None:
            return False
        grads = [p.grad._data.ravel(order) for p, order in zip(params, flat.orders)]
        counters = [st["step"] for st in flat.states]
        t = int(counters[0]) + 1
        for c in counters:
            if int(c) + 1 != t:
                return False
        lr, eps = float(group["lr"]), float(group["eps"])
        b1, b2 = (float(b) for b in group["betas"])
        weight_decay = float(group["weight_decay"])
        g, s, m, v = flat.g, flat.s, flat.m, flat.v
        np.concatenate(grads, out=g)
        if group["maximize"]:
            np.negative(g, out=g)
        if weight_decay:
            if self._decoupled:
                for p in params:
                    p._data *= 1.0 - lr * weight_decay
            else:
                np.concatenate([p._data.ravel(o) for p, o in zip(params, flat.orders)], out=s)
                s *= weight_decay
                g += s
        for c in counters:
            c += 1
        _adam_moments(m, v, g, s, b1, b2)
        _adam_update(m, v, s, t, lr, eps, b1, b2)
        for p, update in zip(params, flat.s_views):
            np.subtract(p._data, update, out=p._data)
            mark_modified(p)
        return True

    def _update(self, p, grad, state, group, scratch):
        lr, eps = float(group["lr"]), float(group["eps"])
        b1, b2 = (float(b) for b in group["betas"])
        g = _after_decay(p, grad, group, self._decoupled)
        state["step"] += 1
        t = int(state["step"])
        m, v = state["exp_avg"], state["exp_avg_sq"]
        _adam_moments(m, v, g, scratch, b1, b2)
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        _adam_update(m, v, scratch, t, lr, eps, b1, b2)
        p -= scratch


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    p <- p (1 - lr lambda) first, then the Adam step on the plain gradient g, so the
    decay is not rescaled by the adaptive denominator.
    """

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize, decoupled_weight_decay=True)


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a running root mean square of recent gradients.

    s_t = a s_{t-1} + (1 - a) g^2;  r = sqrt(s_t) + eps, or with ``centered``
    r = sqrt(s_t - gbar_t^2) + eps with gbar_t = a gbar_{t-1} + (1 - a) g;
    p <- p - lr g / r, or with momentum mu: b_t = mu b_{t-1} + g / r, p <- p - lr b_t.
    """

    _float16_in_float32 = True

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False, *, maximize=False):
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"RMSprop: alpha must lie in [0, 1], got {alpha}")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered,
                                      maximize=bool(maximize)))

    def _init_state(self, p, group):
        state = {"step": _counter(), "square_avg": np.zeros_like(p._data)}
        if group["momentum"]:
            state["momentum_buffer"] = np.zeros_like(p._data)
        if group["centered"]:
            state["grad_avg"] = np.zeros_like(p._data)
        return state

    def _update(self, p, grad, state, group, scratch):
        g = _gradient(p, grad, group)
        alpha = float(group["alpha"])
        state["step"] += 1
        sq = state["square_avg"]
        sq *= alpha
        np.multiply(g, g, out=scratch)
        scratch *= 1.0 - alpha
        sq += scratch
        if group["centered"]:
            ga = state["grad_avg"]
            ga *= alpha
            np.multiply(g, 1.0 - alpha, out=scratch)
            ga += scratch
            np.multiply(ga, ga, out=scratch)
            np.subtract(sq, scratch, out=scratch)
            np.sqrt(scratch, out=scratch)
        else:
            np.sqrt(sq, out=scratch)
        scratch += float(group["eps"])
        np.divide(g, scratch, out=scratch)
        mu = float(group["momentum"])
        if mu:
            if "momentum_buffer" not in state:  # momentum switched on after the first step
                state["momentum_buffer"] = np.zeros_like(p._data)
            buf = state["momentum_buffer"]
            buf *= mu
            buf += scratch
            np.multiply(buf, float(group["lr"]), out=scratch)
        else:
            scratch *= float(group["lr"])
        p -= scratch


class Adagrad(Optimizer):
    """Adagrad: per-coordinate steps shrinking with the accumulated squared gradients.

    G_t = G_{t-1} + g^2 (G_0 = initial_accumulator_value);
    p <- p - lr_t g / (sqrt(G_t) + eps) with lr_t = lr / (1 + (t - 1) lr_decay).
    """

    _float16_in_float32 = True

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, *, maximize=False):
        if lr_decay < 0 or initial_accumulator_value < 0:
            raise ValueError("Adagrad: lr_decay and initial_accumulator_value must be >= 0")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps, maximize=bool(maximize)))

    def _init_state(self, p, group):
        return {"step": _counter(),
                "sum": np.full_like(p._data, float(group["initial_accumulator_value"]))}

    def _update(self, p, grad, state, group, scratch):
        g = _gradient(p, grad, group)
        state["step"] += 1
        t = int(state["step"])
        lr = float(group["lr"]) / (1.0 + (t - 1) * float(group["lr_decay"]))
        acc = state["sum"]
        np.multiply(g, g, out=scratch)
        acc += scratch
        np.sqrt(acc, out=scratch)
        scratch += float(group["eps"])
        np.divide(g, scratch, out=scratch)
        scratch *= lr
        p -= scratch
