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
    signature = [(name, f"shape {t._data.shape} {t._data.dtype}") for name, t in named]
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
        buffer = np.ascontiguousarray(t._data)
        world.broadcast_(buffer, root)
        if buffer is not t._data:
            t._data[...] = buffer


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
    stay identical across ranks (rank 0's are broadcast on construction, unless
    ``broadcast=False`` because every rank already holds the same values).

    The wrapper passes ``param_groups``, ``state``, ``zero_grad`` and the state dicts
    through, so learning-rate schedulers and checkpoints use it like the optimizer itself.
    """

    def __init__(self, optimizer, broadcast=True):
        self.optimizer = optimizer
        self._buffers = {}  # dtype -> (layout key, flat buffer, per-parameter views)
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
            by_dtype.setdefault(p._data.dtype, []).append(p)
        with no_grad():
            for dtype, params in by_dtype.items():
                self._reduce(dtype, params, weight)

    def _bucket(self, dtype, params):
        """The flat buffer of ``dtype`` and each parameter's view of it, made once.

        Layout: every gradient, then one presence count per parameter, then the weight.
        """
        key = [(id(p), p._data.shape) for p in params]
        cached = self._buffers.get(dtype)
        if cached is None or cached[0] != key:
            sizes = [p._data.size for p in params]
            flat = np.empty(sum(sizes) + len(params) + 1, dtype)
            bounds = np.cumsum([0, *sizes])
            views = [flat[a:b].reshape(p._data.shape)
                     for a, b, p in zip(bounds, bounds[1:], params)]
            cached = self._buffers[dtype] = (key, flat, views)
        return cached[1], cached[2]

    def _reduce(self, dtype, params, weight):
        flat, views = self._bucket(dtype, params)
        present = flat[-1 - len(params) : -1]
        w = dtype.type(weight)
        # A gradient that does not fit its parameter fails on this rank alone; fail_together
        # makes every rank raise it instead of leaving the others in the Allreduce.
        with fail_together():
            for i, (p, view) in enumerate(zip(params, views)):
                has = bool(weight) and p.grad is not None
                if not has:
                    view[...] = 0
                elif p.grad._data.shape != p._data.shape:
                    raise ValueError(
                        f"DistributedOptimizer: gradient of shape {p.grad._data.shape} for a "
                        f"parameter of shape {p._data.shape}"
                    )
                elif weight == 1:
                    np.copyto(view, p.grad._data)
                else:
                    np.multiply(p.grad._data, w, out=view)
                present[i] = has
            flat[-1] = w
        world.all_reduce_(flat, "sum")
        total = flat[-1]
        if not total > 0:
            raise DistributedError(
                f"DistributedOptimizer.step: the total weight over all ranks is {total}; at "
                f"least one rank must step with samples > 0"
            )
        for p, view, count in zip(params, views, present):
            if not count:
                p.grad = None
                continue
            if p.grad is None:
                p.grad = Tensor(view)
                view = p.grad._data
            np.divide(view, total, out=p.grad._data)

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
