"""Stochastic weight averaging and exponential moving averages of a model's weights:
``AveragedModel``, its averaging functions, ``SWALR`` and ``update_bn`` (PyTorch's
``torch.optim.swa_utils``, the same formulas).

    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.999))
    ...
    optimizer.step()
    ema.update_parameters(model)      # after each step
"""

from __future__ import annotations

import copy
import itertools
import math

import numpy as np

from ..graph import no_grad
from ..nn.module import Module
from ..nn.normalization import _BatchNorm
from .scheduler import LRScheduler

__all__ = ["SWALR", "AveragedModel", "get_ema_avg_fn", "get_ema_multi_avg_fn",
           "get_swa_avg_fn", "get_swa_multi_avg_fn", "update_bn"]


def get_ema_multi_avg_fn(decay=0.999):
    """In place over lists of arrays: ema <- ema + (1 - decay) (current - ema); integer
    arrays (BatchNorm's num_batches_tracked, with use_buffers) get ema decay + current
    (1 - decay) truncated to their dtype, as PyTorch's do."""
    def ema_update(ema_params, current_params, num_averaged):
        for e, c in zip(ema_params, current_params):
            if e.dtype.kind in "fc":
                e += (1 - decay) * (c - e)
            else:
                e[...] = (e * decay + c * (1 - decay)).astype(e.dtype)
    return ema_update


def get_swa_multi_avg_fn():
    """In place over lists of arrays: avg <- avg + (current - avg) / (n + 1) (truncated
    to the dtype of an integer array, as PyTorch's)."""
    def swa_update(averaged_params, current_params, num_averaged):
        for a, c in zip(averaged_params, current_params):
            if a.dtype.kind in "fc":
                a += (c - a) / (num_averaged + 1)
            else:
                a[...] = (a + (c - a) / (num_averaged + 1)).astype(a.dtype)
    return swa_update


def get_ema_avg_fn(decay=0.999):
    return lambda ema, current, num_averaged: decay * ema + (1 - decay) * current


def get_swa_avg_fn():
    return lambda averaged, current, num_averaged: averaged + (current - averaged) / (
        num_averaged + 1)


class AveragedModel(Module):
    """A copy of `model` whose weights are the average (SWA, by default) or the moving
    average (with ``multi_avg_fn=get_ema_multi_avg_fn(decay)``) of the model's weights at
    each ``update_parameters(model)``. Buffers follow the model's unless ``use_buffers``,
    which averages them too."""

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None,
                 use_buffers=False) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise ValueError("AveragedModel: give avg_fn or multi_avg_fn, not both")
        self.module = copy.deepcopy(model)
        self.avg_fn, self.multi_avg_fn, self.use_buffers = avg_fn, multi_avg_fn, use_buffers
        self.register_buffer("n_averaged", np.array(0, dtype=np.int64))

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _pairs(self, model):
        if self.use_buffers:
            return zip(itertools.chain(self.module.parameters(), self.module.buffers()),
                       itertools.chain(model.parameters(), model.buffers()))
        return zip(self.module.parameters(), model.parameters())

    def update_parameters(self, model):
        """Fold the model's current weights into the average."""
        n = int(self.n_averaged._data)
        mine, theirs = [], []
        for averaged, current in self._pairs(model):
            mine.append(averaged._data)
            theirs.append(current._data.astype(averaged._data.dtype, copy=False))
        if n == 0:
            for a, c in zip(mine, theirs):
                a[...] = c
        elif self.avg_fn is not None:
            for a, c in zip(mine, theirs):
                a[...] = self.avg_fn(a, c, n)
        else:
            # One call per dtype, as PyTorch groups them (an integer buffer's own call).
            groups = {}
            for a, c in zip(mine, theirs):
                group = groups.setdefault(a.dtype, ([], []))
                group[0].append(a)
                group[1].append(c)
            fn = self.multi_avg_fn or get_swa_multi_avg_fn()
            for group_mine, group_theirs in groups.values():
                fn(group_mine, group_theirs, n)
        if not self.use_buffers:
            # The buffers (BatchNorm's statistics) follow the model's.
            for b_mine, b_model in zip(self.module.buffers(), model.buffers()):
                b_mine._data[...] = b_model._data
        self.n_averaged._data[...] = n + 1


@no_grad()
def update_bn(loader, model, device=None):
    """Recompute the BatchNorm running statistics of `model` over the data in `loader`
    (batches, or (input, ...) tuples whose first item is the input), as cumulative
    averages, then restore each layer's momentum and the model's mode."""
    layers = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    if not layers:
        return
    momenta = {}
    for m in layers:
        m.reset_running_stats()
        momenta[m] = m.momentum
        m.momentum = None
    was_training = model.training
    model.train()
    for batch in loader:
        if isinstance(batch, (list, tuple)):
            batch = batch[0]
        model(batch)
    for m in layers:
        m.momentum = momenta[m]
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's rate to ``swa_lr`` over ``anneal_epochs`` steps ("cos" or
    "linear"), then hold it."""

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos",
                 last_epoch=-1) -> None:
        lrs = list(swa_lr) if isinstance(swa_lr, (list, tuple)) else [swa_lr] * len(
            optimizer.param_groups)
        if len(lrs) != len(optimizer.param_groups):
            raise ValueError(f"SWALR: {len(lrs)} swa_lr values for "
                             f"{len(optimizer.param_groups)} parameter groups")
        for group, lr in zip(optimizer.param_groups, lrs):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"SWALR: anneal_strategy must be 'cos' or 'linear', got "
                             f"{anneal_strategy!r}")
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"SWALR: anneal_epochs must be a non-negative int, got "
                             f"{anneal_epochs!r}")
        self.anneal_strategy, self.anneal_epochs = anneal_strategy, anneal_epochs
        super().__init__(optimizer, last_epoch)

    def _anneal(self, t):
        return (1 - math.cos(math.pi * t)) / 2 if self.anneal_strategy == "cos" else t

    @staticmethod
    def _initial(lr, swa_lr, alpha):
        return swa_lr if alpha == 1 else (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_alpha = self._anneal(max(0.0, min(1.0, (step - 1) / max(1, self.anneal_epochs))))
        prev = [self._initial(g["lr"], g["swa_lr"], prev_alpha)
                for g in self.optimizer.param_groups]
        alpha = self._anneal(max(0.0, min(1.0, step / max(1, self.anneal_epochs))))
        return [g["swa_lr"] * alpha + lr * (1 - alpha)
                for g, lr in zip(self.optimizer.param_groups, prev)]
