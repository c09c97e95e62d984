"""Rprop and ASGD, as PyTorch defines them.

Notation as in :mod:`chainrule.optim.optimizers`: p parameter, g gradient (negated first
with ``maximize``), t the parameter's step count from 1, lr the learning rate. State
arrays are allocated on a parameter's first step and updated in place.
"""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer
from .optimizers import _counter, _gradient


class Rprop(Optimizer):
    """Resilient backpropagation (Riedmiller and Braun, 1993): each coordinate's step
    size grows by ``etas[1]`` while its gradient keeps its sign and shrinks by ``etas[0]``
    when the sign flips (that step is then skipped), within ``step_sizes``; the update is
    -sign(g) * step size, whatever the gradient's magnitude.
    State: ``prev`` (the last gradient followed), ``step_size``.
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 maximize=False):
        minus, plus = etas
        if not 0.0 < minus < 1.0 < plus:
            raise ValueError(f"Rprop: etas must satisfy 0 < etas[0] < 1 < etas[1], got "
                             f"{tuple(etas)}")
        super().__init__(params, dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes),
                                      maximize=bool(maximize)))

    def _init_state(self, p, group):
        return {"step": _counter(), "prev": np.zeros_like(p._data),
                "step_size": np.full_like(p._data, group["lr"])}

    def _update(self, p, grad, state, group, scratch):
        g = _gradient(p, grad, group, decay=False).copy()
        minus, plus = group["etas"]
        low, high = group["step_sizes"]
        state["step"] += 1
        prev, size = state["prev"], state["step_size"]
        np.multiply(g, prev, out=scratch)
        factor = np.where(scratch > 0, plus, np.where(scratch < 0, minus, 1.0))
        size *= factor.astype(size.dtype, copy=False)
        np.clip(size, low, high, out=size)
        g[scratch < 0] = 0  # a flipped sign: no step now, and no flip seen next time
        np.sign(g, out=scratch)
        scratch *= size
        p -= scratch
        prev[...] = g


class ASGD(Optimizer):
    """Averaged stochastic gradient descent (Polyak and Juditsky, 1992): SGD with the step
    size eta_t = lr / (1 + lambd lr t)^alpha and a decay p <- p (1 - lambd eta), while
    ``ax`` keeps the running average of the iterates from step t0 on.
    State: ``eta``, ``mu`` (the averaging weight), ``ax`` (the average). eta and mu are
    kept as scalars of PyTorch's scalar dtype (float64 beside float64 parameters, else
    float32), so the iterates agree with PyTorch's to the last bit.
    """

    _scalar_state = ("step", "eta", "mu")

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0, *,
                 maximize=False):
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0,
                                      weight_decay=weight_decay, maximize=bool(maximize)))

    def _init_state(self, p, group):
        scalar = _scalar_dtype(p)
        return {"step": _counter(), "eta": np.asarray(group["lr"], scalar),
                "mu": np.asarray(1.0, scalar), "ax": np.zeros_like(p._data)}

    def _update(self, p, grad, state, group, scratch):
        g = _gradient(p, grad, group)
        lr, lambd = float(group["lr"]), float(group["lambd"])
        state["step"] += 1
        step = int(state["step"])
        eta, mu = float(state["eta"]), float(state["mu"])
        p *= 1 - lambd * eta
        np.multiply(g, eta, out=scratch)
        p -= scratch
        ax = state["ax"]
        if mu != 1:
            np.subtract(p._data, ax, out=scratch)
            scratch *= mu
            ax += scratch
        else:
            ax[...] = p._data
        scalar = _scalar_dtype(p)
        state["eta"] = np.asarray(lr / (1 + lambd * lr * step) ** float(group["alpha"]), scalar)
        state["mu"] = np.asarray(1 / max(1, step - float(group["t0"])), scalar)


def _scalar_dtype(p):
    return np.float64 if p._data.dtype == np.float64 else np.float32
