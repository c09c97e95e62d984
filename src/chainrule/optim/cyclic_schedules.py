"""Cyclical schedules, stepped once per batch: CyclicLR and OneCycleLR (PyTorch's semantics).

Both are closed forms in the batch count ``last_epoch`` and can cycle the momentum
(SGD's ``momentum``, or beta1 of Adam-like optimizers) opposite to the rate.
"""

from __future__ import annotations

import math

from .scheduler import (
    LRScheduler,
    callables_state,
    check_optimizer,
    load_callables_state,
    per_group,
)


def _momentum_key(optimizer, name):
    """"betas" (cycle beta1) or "momentum", whichever the optimizer's groups have."""
    groups = optimizer.param_groups
    if not all("momentum" in g or "betas" in g for g in groups):
        raise ValueError(
            f"{name}: cycle_momentum needs an optimizer with 'momentum' or 'betas' (SGD, "
            f"RMSprop, Adam, ...); pass cycle_momentum=False otherwise"
        )
    return "betas" if "betas" in groups[0] else "momentum"


def _set_momentum(group, key, value):
    if key == "betas":
        group["betas"] = [value, *list(group["betas"])[1:]]
    else:
        group["momentum"] = value


class CyclicLR(LRScheduler):
    """Cyclical learning rates (Smith, 2017): the rate goes from base_lr to max_lr and back.

    A cycle is ``step_size_up`` steps up and ``step_size_down`` (default: as many) steps
    down. With cycle = floor(1 + k / size) and x the position in it, the rate is
    base_lr + (max_lr - base_lr) h(x) s, h the triangle (0 -> 1 -> 0) and s the
    amplitude scale: 1 ("triangular"), 1/2^(cycle-1) ("triangular2"), gamma^k
    ("exp_range"), or ``scale_fn`` of the cycle or of k (``scale_mode``). With
    ``cycle_momentum`` the momentum goes from max_momentum down to base_momentum and
    back, opposite to the rate.
    """

    def __init__(self, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None,
                 mode="triangular", gamma=1.0, scale_fn=None, scale_mode="cycle",
                 cycle_momentum=True, base_momentum=0.8, max_momentum=0.9, last_epoch=-1):
        check_optimizer(optimizer, "CyclicLR")
        n = len(optimizer.param_groups)
        base_lrs = per_group(base_lr, n, "base_lr", "CyclicLR")
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        self.max_lrs = per_group(max_lr, n, "max_lr", "CyclicLR")
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        if up <= 0 or down < 0:
            raise ValueError(f"CyclicLR: step_size_up must be > 0 and step_size_down >= 0, "
                             f"got {step_size_up} and {step_size_down}")
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        if scale_fn is None and mode not in ("triangular", "triangular2", "exp_range"):
            raise ValueError(f"CyclicLR: mode must be 'triangular', 'triangular2' or "
                             f"'exp_range' (or give scale_fn), got {mode!r}")
        if scale_mode not in ("cycle", "iterations"):
            raise ValueError(f"CyclicLR: scale_mode must be 'cycle' or 'iterations', got "
                             f"{scale_mode!r}")
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode if scale_fn is not None else (
            "iterations" if mode == "exp_range" else "cycle")
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.momentum_key = _momentum_key(optimizer, "CyclicLR")
            self.base_momentums = per_group(base_momentum, n, "base_momentum", "CyclicLR")
            self.max_momentums = per_group(max_momentum, n, "max_momentum", "CyclicLR")
            if last_epoch == -1:
                for group, low, high in zip(optimizer.param_groups, self.base_momentums,
                                            self.max_momentums):
                    _set_momentum(group, self.momentum_key, high)
                    group["max_momentum"], group["base_momentum"] = high, low
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def scale_fn(self, x):
        """The amplitude scale at x (the cycle number, or the step count)."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma**x

    def get_lr(self):
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        height = x / self.step_ratio if x <= self.step_ratio else (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [base + (top - base) * height * scale
               for base, top in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for group, low, high in zip(self.optimizer.param_groups, self.base_momentums,
                                        self.max_momentums):
                _set_momentum(group, self.momentum_key, high - (high - low) * height * scale)
        return lrs

    def state_dict(self):
        state = super().state_dict()
        state["_scale_fn_custom"] = callables_state([self._scale_fn_custom])[0] \
            if self._scale_fn_custom is not None else None
        return state

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        saved = state_dict.pop("_scale_fn_custom", None)
        super().load_state_dict(state_dict)
        if self._scale_fn_custom is not None:
            load_callables_state([self._scale_fn_custom], [saved])


def _anneal(strategy, start, end, pct):
    if strategy == "cos":
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
    return (end - start) * pct + start


class OneCycleLR(LRScheduler):
    """The one-cycle policy (Smith & Topin, 2017), stepped once per batch.

    The rate rises from max_lr / div_factor to max_lr over the first pct_start of the
    ``total_steps``, then falls to max_lr / (div_factor * final_div_factor); with
    ``three_phase`` it first falls back to the initial rate and only then to the
    minimum. With ``cycle_momentum`` the momentum (SGD's momentum, or Adam's beta1)
    moves the opposite way, between max_momentum and base_momentum. Annealing is
    cosine ("cos") or linear ("linear").
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start=0.3, anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85,
                 max_momentum=0.95, div_factor=25.0, final_div_factor=1e4, three_phase=False,
                 last_epoch=-1):
        check_optimizer(optimizer, "OneCycleLR")
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("OneCycleLR: give total_steps, or epochs and steps_per_epoch")
            total_steps = epochs * steps_per_epoch
        if total_steps < 2:
            raise ValueError(f"OneCycleLR: total_steps must be >= 2, got {total_steps}")
        if not 0.0 < pct_start < 1.0:
            raise ValueError(f"OneCycleLR: pct_start must lie in (0, 1), got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', not {anneal_strategy!r}"
            )
        self.total_steps = int(total_steps)
        self.anneal_strategy = anneal_strategy
        self.cycle_momentum = cycle_momentum
        up = float(pct_start * self.total_steps) - 1
        last = self.total_steps - 1.0
        if three_phase:
            self.phases = [
                {"end": up, "lr": ["initial_lr", "max_lr"], "m": ["max_momentum", "base_momentum"]},
                {"end": 2 * up, "lr": ["max_lr", "initial_lr"],
                 "m": ["base_momentum", "max_momentum"]},
                {"end": last, "lr": ["initial_lr", "min_lr"],
                 "m": ["max_momentum", "max_momentum"]},
            ]
        else:
            self.phases = [
                {"end": up, "lr": ["initial_lr", "max_lr"], "m": ["max_momentum", "base_momentum"]},
                {"end": last, "lr": ["max_lr", "min_lr"], "m": ["base_momentum", "max_momentum"]},
            ]
        groups = optimizer.param_groups
        max_lrs = per_group(max_lr, len(groups), "max_lr", "OneCycleLR")
        if cycle_momentum:
            self.momentum_key = _momentum_key(optimizer, "OneCycleLR")
            base_ms = per_group(base_momentum, len(groups), "base_momentum", "OneCycleLR")
            max_ms = per_group(max_momentum, len(groups), "max_momentum", "OneCycleLR")
        if last_epoch == -1:
            for i, group in enumerate(groups):
                group["initial_lr"] = max_lrs[i] / div_factor
                group["max_lr"] = max_lrs[i]
                group["min_lr"] = group["initial_lr"] / final_div_factor
                if cycle_momentum:
                    group["base_momentum"], group["max_momentum"] = base_ms[i], max_ms[i]
                    _set_momentum(group, self.momentum_key, max_ms[i])
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(
                f"OneCycleLR: stepped {step} times but total_steps is {self.total_steps}; "
                f"make total_steps cover every batch of every epoch"
            )
        lrs = []
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, phase in enumerate(self.phases):
                if step <= phase["end"] or i == len(self.phases) - 1:
                    pct = (step - start) / (phase["end"] - start)
                    lr_from, lr_to = (group[k] for k in phase["lr"])
                    lrs.append(_anneal(self.anneal_strategy, lr_from, lr_to, pct))
                    if self.cycle_momentum:
                        m_from, m_to = (group[k] for k in phase["m"])
                        _set_momentum(group, self.momentum_key,
                                      _anneal(self.anneal_strategy, m_from, m_to, pct))
                    break
                start = phase["end"]
        return lrs
