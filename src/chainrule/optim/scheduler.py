"""The learning-rate scheduler base class: PyTorch's chainable schedules.

A schedule sets each parameter group's "lr" once per ``step()`` (call it after
``optimizer.step()``). As in PyTorch, most schedules are *chainable*: ``get_lr()``
computes the new rate from the group's current rate (StepLR multiplies it by gamma at
each step_size-th step, CosineAnnealingLR moves it along the cosine), so two schedules
stepped together (:class:`ChainedScheduler`) compose, and a rate changed by hand is
respected. Schedules with a closed form in ``last_epoch`` also have
``_get_closed_form_lr()``, which :class:`SequentialLR` uses when it switches schedules.

Resuming: a scheduler's ``state_dict()`` is JSON-able and holds ``last_epoch``; the
current rates live in the optimizer's ``param_groups``, so load both state dicts (the
optimizer's first) to continue exactly where a run stopped. Construction performs
step 0 and sets the rates for it.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Any

from ..compiled import replayed
from .optimizer import Optimizer


class LRScheduler:
    """Base class: ``get_lr()`` returns each group's rate for step ``last_epoch``."""

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        check_optimizer(optimizer, type(self).__name__)
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
        self._initial_step()

    def _initial_step(self):
        """Step 0 (or the step after ``last_epoch`` when resuming), in initial mode."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        raise NotImplementedError

    @replayed  # (a step compiled by cr.compile makes this call again each time it runs)
    def step(self) -> None:
        """Advance one step and write the new rates into the optimizer's groups."""
        self._step_count += 1
        self.last_epoch += 1
        self._set_lrs(self.get_lr())

    def _jump_to(self, epoch):
        """Set the rates of step ``epoch`` directly: the closed form where there is one."""
        self._step_count += 1
        self.last_epoch = epoch
        closed = getattr(self, "_get_closed_form_lr", None)
        self._set_lrs(closed() if closed is not None else self.get_lr())

    def _set_lrs(self, lrs):
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = float(lr)
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The rates set by the last step()."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer, as JSON-able values."""
        return {k: (list(v) if isinstance(v, tuple) else v)
                for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        unknown = set(state_dict) - set(vars(self))
        if unknown:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: unknown entries {sorted(unknown)}; "
                f"was this state saved from another scheduler?"
            )
        self.__dict__.update(state_dict)


def check_optimizer(optimizer, name):
    """Accept an Optimizer, or a wrapper exposing its ``param_groups`` (DistributedOptimizer)."""
    groups = getattr(optimizer, "param_groups", None)
    if not isinstance(optimizer, Optimizer) and not (
            isinstance(groups, list) and all(isinstance(g, dict) for g in groups)):
        raise TypeError(f"{name}: expected a chainrule optimizer, got {type(optimizer).__name__}")


def per_group(value, n, name, owner):
    """``value`` for each of ``n`` parameter groups: a list or tuple of n, or one number."""
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{owner}: {name} has {len(value)} entries for {n} parameter groups")
        return [float(v) for v in value]
    return [float(value)] * n


def callables_state(functions):
    """What a state dict keeps of user functions: the attributes of callable objects.

    Plain functions and lambdas are not saved (as in PyTorch): rebuild the scheduler with
    the same function before loading its state.
    """
    return [None if isinstance(fn, types.FunctionType) else dict(vars(fn)) for fn in functions]


def load_callables_state(functions, saved):
    for fn, attributes in zip(functions, saved):
        if attributes is not None:
            vars(fn).update(attributes)
