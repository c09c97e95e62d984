"""Data parallelism: the same parameters on every rank, gradients averaged before each step."""

from __future__ import annotations

import numpy as np

from ..graph import no_grad
from ..tensor import Tensor
from . import world
from .world import DistributedError, fail_together


def _broadcast_named(named, root, what):
    """Overwrite each (name, tensor) with rank ``root``'s values, after checking that every
    rank holds the same names, shapes and dtypes (else all ranks raise, naming the first
    difference)."""
    signature = [(name, f"shape {t.data.shape} {t.data.dtype}") for name, t in named]
    expected = [tuple(entry) for entry in world.broadcast_object(signature, root)]
    with fail_together():
        if signature != expected:
            me = world.rank()
            diff = next(
                (f"{name}: {mine} on rank {me}, {theirs} on rank {root}"
                 for (name, mine), (_, theirs) in zip(signature, expected) if mine != theirs),
                f"{len(signature)} tensors on rank {me}, {len(expected)} on rank {root}",
            )
            raise DistributedError(
                f"{what}: rank {me} holds other tensors than rank {root} ({diff}); build the "
                f"same model on every rank"
            )
    for _, t in named:
        buffer = np.ascontiguousarray(t.data)
        world.broadcast_(buffer, root)
        if buffer is not t.data:
            t.data[...] = buffer


def broadcast_parameters(module, root=0):
    """Copy rank ``root``'s parameters and buffers into ``module`` on every rank.

    Call it once after building the model (and after loading a checkpoint on one rank
    only) so that all ranks start from identical weights.
    """
    named = list(module.named_parameters()) + list(module.named_buffers())
    _broadcast_named(named, root, f"broadcast_parameters({type(module).__name__})")
    return module


class DistributedOptimizer:
    """Wrap an optimizer so that each ``step()`` first averages the gradients over all ranks.

    The gradients of all parameters of one dtype are packed into one flat buffer with one
    MPI Allreduce per step (not one per tensor); the buffer also carries each rank's
    weight w_r and whether it has each parameter's gradient, so that

        g <- sum_r w_r g_r / sum_r w_r,   w_r = ``samples`` on rank r (default 1).

    With ``samples`` = the rank's batch size this is the gradient of the mean loss over
    the global batch, even when the parts differ in size. A rank with ``samples=0``, or
    without some parameter's gradient, contributes zeros; a parameter with no gradient on
    any rank keeps ``grad=None``. Every rank then takes the same step, so the parameters
    stay identical across ranks (they are broadcast from rank 0 on construction).

    The wrapper passes ``param_groups``, ``state``, ``zero_grad`` and the state dicts
    through, so learning-rate schedulers and checkpoints use it like the optimizer itself.
    """

    def __init__(self, optimizer, broadcast=True):
        self.optimizer = optimizer
        self._buffers = {}
        if broadcast:
            named = [(f"parameter {i}", p) for i, p in enumerate(self._params())]
            _broadcast_named(named, 0, f"DistributedOptimizer({type(optimizer).__name__})")

    @property
    def param_groups(self):
        return self.optimizer.param_groups

    @property
    def state(self):
        return self.optimizer.state

    def _params(self):
        return [p for group in self.optimizer.param_groups for p in group["params"]]

    def zero_grad(self, set_to_none=True):
        self.optimizer.zero_grad(set_to_none)

    def state_dict(self):
        return self.optimizer.state_dict()

    def load_state_dict(self, state_dict):
        self.optimizer.load_state_dict(state_dict)

    def synchronize(self, samples=None):
        """Average every gradient over the ranks in place (one Allreduce per dtype)."""
        weight = 1 if samples is None else samples
        if weight < 0:
            raise ValueError(f"DistributedOptimizer: samples must be >= 0, got {samples}")
        if world.world_size() == 1:
            return
        by_dtype = {}
        for p in self._params():
            by_dtype.setdefault(p.data.dtype, []).append(p)
        with no_grad():
            for dtype, params in by_dtype.items():
                self._reduce(dtype, params, weight)

    def _reduce(self, dtype, params, weight):
        sizes = [p.data.size for p in params]
        total = sum(sizes)
        # Layout: the gradients, then one presence count per parameter, then the weight.
        n = total + len(params) + 1
        flat = self._buffers.get(dtype)
        if flat is None or flat.size != n:
            flat = self._buffers[dtype] = np.empty(n, dtype)
        flat[:] = 0
        # A gradient that does not fit its parameter fails on this rank alone; fail_together
        # makes every rank raise it instead of leaving the others in the Allreduce.
        with fail_together():
            if weight:
                self._pack(flat, params, sizes, total)
                if weight != 1:
                    flat[:total] *= dtype.type(weight)
                flat[-1] = weight
        world.all_reduce_(flat, "sum")
        weights = flat[-1]
        if not weights > 0:
            raise DistributedError(
                "DistributedOptimizer.step: the total weight over all ranks is "
                f"{weights}; at least one rank must step with samples > 0"
            )
        if weights != 1:
            flat[:total] /= weights
        offset = 0
        for i, (p, size) in enumerate(zip(params, sizes)):
            mean = flat[offset : offset + size].reshape(p.data.shape)
            offset += size
            if not flat[total + i]:
                p.grad = None
            elif p.grad is None:
                p.grad = Tensor(mean)
            else:
                p.grad.data[...] = mean

    @staticmethod
    def _pack(flat, params, sizes, total):
        offset = 0
        for i, (p, size) in enumerate(zip(params, sizes)):
            if p.grad is not None:
                if p.grad.data.shape != p.data.shape:
                    raise ValueError(
                        f"DistributedOptimizer: gradient of shape {p.grad.data.shape} for a "
                        f"parameter of shape {p.data.shape}"
                    )
                flat[offset : offset + size].reshape(p.data.shape)[...] = p.grad.data
                flat[total + i] = 1
            offset += size

    def step(self, closure=None, samples=None):
        """Average the gradients over ranks, then take the wrapped optimizer's step.

        ``samples`` weighs this rank's gradients (its batch size, when the loss is a mean
        over the batch); ``closure`` is called first, as in ``Optimizer.step``.
        """
        loss = None if closure is None else closure()
        self.synchronize(samples)
        self.optimizer.step()
        return loss

    def __repr__(self):
        return f"DistributedOptimizer({self.optimizer!r})"
