"""Schedules made of schedules (SequentialLR, ChainedScheduler) and ReduceLROnPlateau."""

from __future__ import annotations

import bisect
import math

from ..compiled import replayed
from .scheduler import LRScheduler, check_optimizer, per_group


def _check_members(owner, schedulers, optimizer):
    if not schedulers:
        raise ValueError(f"{owner}: expected at least one scheduler")
    for i, scheduler in enumerate(schedulers):
        if isinstance(scheduler, ReduceLROnPlateau) or not isinstance(scheduler, LRScheduler):
            raise TypeError(
                f"{owner}: scheduler {i} is a {type(scheduler).__name__}; only schedules "
                f"stepped without arguments can be combined (not ReduceLROnPlateau)"
            )
        if scheduler.optimizer is not optimizer:
            raise ValueError(
                f"{owner}: scheduler {i} ({type(scheduler).__name__}) belongs to another "
                f"optimizer; all schedulers must share one"
            )


class _Composite(LRScheduler):
    """State dicts of a schedule holding others: their states nested under "_schedulers"."""

    def state_dict(self):
        state = {k: v for k, v in vars(self).items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        nested = state_dict.pop("_schedulers", [])
        if len(nested) != len(self._schedulers):
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: states of {len(nested)} schedulers for "
                f"{len(self._schedulers)}"
            )
        super().load_state_dict(state_dict)
        for scheduler, saved in zip(self._schedulers, nested):
            scheduler.load_state_dict(saved)


class SequentialLR(_Composite):
    """Run ``schedulers`` one after another, switching at the steps in ``milestones``.

    Scheduler i runs from milestone i-1 (restarted there at its own step 0, by its
    closed form where it has one) until milestone i; a warm-up then a decay is
    ``SequentialLR(opt, [LinearLR(...), CosineAnnealingLR(...)], milestones=[warmup])``.
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        check_optimizer(optimizer, "SequentialLR")
        schedulers = list(schedulers)
        _check_members("SequentialLR", schedulers, optimizer)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                f"SequentialLR: {len(schedulers)} schedulers need {len(schedulers) - 1} "
                f"milestones, got {len(milestones)}"
            )
        self._schedulers = schedulers
        self._milestones = [int(m) for m in milestones]
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        # The members' constructors each took a step: undo them, then start the first.
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        _undo_initial_steps(self)
        first = self._schedulers[bisect.bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    @replayed
    def step(self):
        self.last_epoch += 1
        i = bisect.bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[i]
        if i > 0 and self._milestones[i - 1] == self.last_epoch:
            scheduler._jump_to(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


def _undo_initial_steps(scheduler):
    for member in scheduler._schedulers:
        if hasattr(member, "_schedulers"):
            _undo_initial_steps(member)
        else:
            member.last_epoch -= 1


class ChainedScheduler(_Composite):
    """Step every scheduler in ``schedulers`` at once, each acting on the rate the last left.

    Chainable schedules compose: ``ChainedScheduler([ConstantLR(opt, 0.1, 2),
    ExponentialLR(opt, 0.9)])`` gives 0.1 lr, 0.09 lr, then lr 0.9^t.
    """

    def __init__(self, schedulers, optimizer=None):
        schedulers = list(schedulers)
        if optimizer is None:
            if not schedulers:
                raise ValueError("ChainedScheduler: expected at least one scheduler")
            optimizer = schedulers[0].optimizer
        check_optimizer(optimizer, "ChainedScheduler")
        _check_members("ChainedScheduler", schedulers, optimizer)
        self._schedulers = schedulers
        self.optimizer = optimizer
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    @replayed
    def step(self):
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]


class ReduceLROnPlateau(LRScheduler):
    """Multiply the rate by ``factor`` once a metric has stopped improving for ``patience`` steps.

    ``step(metric)`` once per epoch. Improvement means beating the best value so far by
    ``threshold`` (relative: best * (1 -+ threshold), or absolute: best -+ threshold) in
    direction ``mode`` ("min" or "max"). After a reduction, ``cooldown`` steps pass
    before counting bad epochs again; rates never go below ``min_lr``, and changes
    smaller than ``eps`` are skipped.
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8):
        check_optimizer(optimizer, "ReduceLROnPlateau")
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', not {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', not {threshold_mode!r}"
            )
        if not 0.0 < factor < 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must lie in (0, 1), got {factor}")
        self.optimizer = optimizer
        self.min_lrs = per_group(min_lr, len(optimizer.param_groups), "min_lr",
                                 "ReduceLROnPlateau")
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.cooldown = cooldown
        self.eps = eps
        # (kept as PyTorch keeps them, so that the state dicts have the same keys)
        self.default_min_lr = None if isinstance(min_lr, (list, tuple)) else min_lr
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.best = self.mode_worse
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

    @replayed
    def step(self, metrics):
        """Record this epoch's metric; reduce the rates after ``patience`` bad epochs."""
        value = float(metrics)
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
