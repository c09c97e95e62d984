"""Learning-rate schedules: set each parameter group's "lr" as a function of the step count.

Call ``scheduler.step()`` after ``optimizer.step()`` (once per epoch, or per batch for
OneCycleLR). Each schedule is a closed-form function of ``last_epoch``, so resuming
from ``state_dict()`` (JSON-able) gives exactly the learning rates of an
uninterrupted run. Construction sets the rate for step 0.
"""

from __future__ import annotations

import bisect
import math

from ..compiled import replayed


class LRScheduler:
    """Base class: ``get_lr()`` returns each group's rate at ``last_epoch``."""

    def __init__(self, optimizer, last_epoch=-1):
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(
                    f"{type(self).__name__}: resuming at last_epoch={last_epoch} needs "
                    f"'initial_lr' in parameter group {i}; load the optimizer's state dict first"
                )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._last_lr = []
        self.step()

    def get_lr(self):
        raise NotImplementedError

    @replayed  # (a step compiled by cr.compile makes this call again each time it runs)
    def step(self):
        """Advance one step and write the new rates into the optimizer's groups."""
        self.last_epoch += 1
        lrs = [float(lr) for lr in self.get_lr()]
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = lrs

    def get_last_lr(self):
        """The rates set by the last step()."""
        return list(self._last_lr)

    def state_dict(self):
        """Everything but the optimizer, as JSON-able values."""
        return {k: (list(v) if isinstance(v, tuple) else v)
                for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        unknown = set(state_dict) - set(vars(self))
        if unknown:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: unknown entries {sorted(unknown)}; "
                f"was this state saved from another scheduler?"
            )
        self.__dict__.update(state_dict)


class StepLR(LRScheduler):
    """lr = base_lr * gamma^floor(epoch / step_size)."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be >= 1, got {step_size}")
        self.step_size = int(step_size)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * self.gamma ** (self.last_epoch // self.step_size)
                for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """lr = base_lr * gamma^(number of milestones <= epoch)."""

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones = sorted(int(m) for m in milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        k = bisect.bisect_right(self.milestones, self.last_epoch)
        return [base * self.gamma**k for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """lr = base_lr * gamma^epoch."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        if T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be >= 1, got {T_max}")
        self.T_max = int(T_max)
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        c = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) * 0.5
        return [self.eta_min + (base - self.eta_min) * c for base in self.base_lrs]


def _anneal(strategy, start, end, pct):
    if strategy == "cos":
        return end + (start - end) * 0.5 * (math.cos(math.pi * pct) + 1)
    return start + (end - start) * pct


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
        if three_phase:
            self.phases = [
                {"end": up, "lr": ["initial_lr", "max_lr"], "m": ["max_m", "base_m"]},
                {"end": 2 * up, "lr": ["max_lr", "initial_lr"], "m": ["base_m", "max_m"]},
                {"end": self.total_steps - 1.0, "lr": ["initial_lr", "min_lr"],
                 "m": ["max_m", "max_m"]},
            ]
        else:
            self.phases = [
                {"end": up, "lr": ["initial_lr", "max_lr"], "m": ["max_m", "base_m"]},
                {"end": self.total_steps - 1.0, "lr": ["max_lr", "min_lr"],
                 "m": ["base_m", "max_m"]},
            ]
        groups = optimizer.param_groups
        max_lrs = _per_group(max_lr, len(groups), "max_lr")
        if cycle_momentum:
            if not all("momentum" in g or "betas" in g for g in groups):
                raise ValueError(
                    "OneCycleLR: cycle_momentum needs an optimizer with 'momentum' or 'betas' "
                    "(SGD, Adam, ...); pass cycle_momentum=False otherwise"
                )
            base_ms = _per_group(base_momentum, len(groups), "base_momentum")
            max_ms = _per_group(max_momentum, len(groups), "max_momentum")
        if last_epoch == -1:
            for i, group in enumerate(groups):
                group["initial_lr"] = max_lrs[i] / div_factor
                group["max_lr"] = max_lrs[i]
                group["min_lr"] = group["initial_lr"] / final_div_factor
                if cycle_momentum:
                    group["base_m"], group["max_m"] = base_ms[i], max_ms[i]
                    self._set_momentum(group, max_ms[i])
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _set_momentum(group, m):
        if "betas" in group:
            group["betas"] = [m, group["betas"][1]]
        else:
            group["momentum"] = m

    def get_lr(self):
        step = self.last_epoch
        if step >= self.total_steps:
            raise ValueError(
                f"OneCycleLR: stepped {step + 1} times but total_steps is {self.total_steps}; "
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
                        self._set_momentum(group, _anneal(self.anneal_strategy, m_from, m_to,
                                                          pct))
                    break
                start = phase["end"]
        return lrs


def _per_group(value, n, name):
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"OneCycleLR: {name} has {len(value)} entries for {n} groups")
        return [float(v) for v in value]
    return [float(value)] * n


class ReduceLROnPlateau:
    """Multiply the rate by ``factor`` once a metric has stopped improving for ``patience`` steps.

    ``step(metric)`` once per epoch. Improvement means beating the best value so far by
    ``threshold`` (relative: best * (1 -+ threshold), or absolute: best -+ threshold) in
    direction ``mode`` ("min" or "max"). After a reduction, ``cooldown`` steps pass
    before counting bad epochs again; rates never go below ``min_lr``, and changes
    smaller than ``eps`` are skipped.
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8):
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', not {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', not {threshold_mode!r}"
            )
        if not 0.0 < factor < 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must lie in (0, 1), got {factor}")
        self.optimizer = optimizer
        n = len(optimizer.param_groups)
        self.min_lrs = (list(min_lr) if isinstance(min_lr, (list, tuple))
                        else [float(min_lr)] * n)
        if len(self.min_lrs) != n:
            raise ValueError(f"ReduceLROnPlateau: min_lr has {len(self.min_lrs)} entries for "
                             f"{n} groups")
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.cooldown = cooldown
        self.eps = eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def _better(self, value):
        if self.mode == "min":
            bound = (self.best * (1 - self.threshold) if self.threshold_mode == "rel"
                     else self.best - self.threshold)
            return value < bound
        bound = (self.best * (1 + self.threshold) if self.threshold_mode == "rel"
                 else self.best + self.threshold)
        return value > bound

    def step(self, metric):
        value = float(metric)
        self.last_epoch += 1
        if self._better(value):
            self.best = value
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, floor in zip(self.optimizer.param_groups, self.min_lrs):
                new = max(group["lr"] * self.factor, floor)
                if group["lr"] - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        return list(self._last_lr)

    state_dict = LRScheduler.state_dict
    load_state_dict = LRScheduler.load_state_dict
