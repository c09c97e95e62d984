"""Splitting every global mini-batch across ranks: a sampler of indices and a loader of arrays."""

from __future__ import annotations

import numpy as np

from ..data import ArrayDataset, DataError, DataLoader, Subset
from . import world


class DistributedSampler:
    """This rank's part of every global batch of a seeded epoch order, as index arrays.

    Epoch ``e`` visits exactly the batches that ``DataLoader(dataset, batch_size, shuffle,
    drop_last, seed)`` visits in its epoch ``e``; each of these global batches is cut into
    ``world_size`` contiguous parts whose sizes differ by at most one, and rank ``r``
    takes part ``r``. So the ranks' parts of a batch are disjoint and together form the
    batch, their union over an epoch is the whole epoch, and every rank runs
    ``len(sampler)`` steps. Training N ranks on the parts with gradients averaged
    (weighted by part size) is 1-process training on the global batches.

    A part is empty only in a last batch with fewer samples than ranks. ``seed=None``
    draws a seed on rank 0 and shares it (a collective: every rank must construct the
    sampler then); with ``rank``/``world_size`` given explicitly, pass a seed.
    Iterating uses :attr:`epoch` and advances it, like the DataLoader.
    """

    def __init__(self, dataset_or_n, batch_size, shuffle=False, seed=None, drop_last=False,
                 rank=None, world_size=None):
        n = dataset_or_n if isinstance(dataset_or_n, (int, np.integer)) else len(dataset_or_n)
        explicit = rank is not None or world_size is not None
        self.rank = world.rank() if rank is None else int(rank)
        self.world_size = world.world_size() if world_size is None else int(world_size)
        if self.world_size < 1 or not 0 <= self.rank < self.world_size:
            raise DataError(
                f"DistributedSampler: rank {self.rank} is not in a world of size "
                f"{self.world_size}"
            )
        if seed is None:
            if explicit:
                raise DataError(
                    "DistributedSampler: with an explicit rank or world_size, pass a seed so "
                    "that all ranks shuffle alike"
                )
            seed = world.broadcast_object(int(np.random.SeedSequence().entropy) % 2**63)
        # The global batches come from a DataLoader over the positions themselves, so they
        # are by construction the ones a 1-process DataLoader with this seed produces.
        self._global = DataLoader(ArrayDataset(np.arange(int(n))), batch_size=batch_size,
                                  shuffle=shuffle, drop_last=drop_last, seed=seed)
        self.seed = self._global.seed
        self.batch_size = self._global.batch_size
        self.epoch = 0

    def set_epoch(self, epoch):
        """Make the next iteration produce the parts of epoch ``epoch`` (0-based)."""
        if epoch < 0:
            raise DataError(f"epoch must be >= 0, got {epoch}")
        self.epoch = int(epoch)

    def __len__(self):
        """Steps per epoch: the number of global batches (the same on every rank)."""
        return len(self._global)

    def _parts(self, epoch):
        self._global.set_epoch(epoch)
        for (batch,) in self._global:
            yield np.array_split(batch, self.world_size)[self.rank]

    def __iter__(self):
        epoch = self.epoch
        self.epoch += 1
        return self._parts(epoch)

    def indices(self, epoch=None):
        """This rank's whole shard of epoch ``epoch`` (default: the next), in visiting order."""
        parts = list(self._parts(self.epoch if epoch is None else int(epoch)))
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)


class DistributedDataLoader:
    """A DataLoader whose every batch is this rank's part of the global batch.

    Same arguments and behaviour as :class:`chainrule.data.DataLoader` (``batch_size`` is
    the global batch, split across ranks by a :class:`DistributedSampler`; ``set_epoch``,
    ``len`` and the epoch counter work alike). A rank's part is empty (zero rows) only in
    a last batch smaller than the world: skip the forward pass there and step with
    ``samples=0``.
    """

    def __init__(self, dataset, batch_size=32, shuffle=False, drop_last=False, seed=None):
        self.dataset = dataset
        self.sampler = DistributedSampler(dataset, batch_size, shuffle=shuffle, seed=seed,
                                          drop_last=drop_last)
        self.batch_size = self.sampler.batch_size
        self.seed = self.sampler.seed

    @property
    def epoch(self):
        return self.sampler.epoch

    def set_epoch(self, epoch):
        """Make the next iteration produce this rank's batches of epoch ``epoch``."""
        self.sampler.set_epoch(epoch)

    def __len__(self):
        return len(self.sampler)

    def __iter__(self):
        for idx in self.sampler:
            yield self._gather(idx)

    def _gather(self, idx):
        """The samples at ``idx`` as a tuple of arrays (zero rows for an empty part)."""
        # A DataLoader over the part gathers with one fancy index per array when the
        # dataset is array-backed and stacks samples otherwise; an empty part takes the
        # shapes and dtypes from sample 0.
        take = idx if len(idx) else np.zeros(1, np.int64)
        batch = next(iter(DataLoader(Subset(self.dataset, take), batch_size=len(take), seed=0)))
        return batch if len(idx) else tuple(a[:0] for a in batch)
