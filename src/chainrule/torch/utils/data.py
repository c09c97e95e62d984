"""``torch.utils.data``: Dataset, TensorDataset, DataLoader and random_split.

Built on :mod:`chainrule.data`: a :class:`TensorDataset` is a
``chainrule.data.ArrayDataset`` over its tensors' arrays (shared, not copied), so the
loader gathers a batch with one fancy index per tensor; other datasets are indexed per
sample and stacked, as PyTorch's default collation does. Batches are front-end tensors.
Shuffling draws its seed from ``generator`` (or the default generator, which
``torch.manual_seed`` reseeds) when the loader is made.
"""

from __future__ import annotations

import numpy as np

from ... import data as _data
from ..creation import from_numpy
from ..generators import draw

__all__ = ["DataLoader", "Dataset", "Subset", "TensorDataset", "random_split"]

Subset = _data.Subset


class Dataset:
    """Base class of map-style datasets: define ``__getitem__`` and ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")


class TensorDataset(_data.ArrayDataset):
    """Samples are the i-th rows of each tensor (all the same length along dim 0)."""

    def __init__(self, *tensors):
        super().__init__(*(np.asarray(t) for t in tensors))
        self.tensors = tuple(from_numpy(a) for a in self.arrays)

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)


class DataLoader:
    """Mini-batches of ``dataset`` as tuples of front-end tensors (PyTorch's defaults:
    ``batch_size=1``, no shuffling). ``num_workers`` and ``pin_memory`` are accepted and
    change nothing (one process); ``collate_fn`` and ``sampler`` are refused."""

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False,
                 generator=None, **kwargs):
        for name, value in (("sampler", sampler), ("batch_sampler", batch_sampler),
                            ("collate_fn", collate_fn)):
            if value is not None:
                raise TypeError(f"DataLoader: {name}= is not supported by chainrule.torch; "
                                f"batches are stacked samples, shuffled with shuffle=True")
        seed = int(draw(generator).integers(2**63 - 1)) if shuffle else 0
        self.dataset = dataset
        self.batch_size = batch_size
        self._loader = _data.DataLoader(dataset, batch_size=batch_size, shuffle=shuffle,
                                        drop_last=drop_last, seed=seed)

    def __len__(self):
        return len(self._loader)

    def __iter__(self):
        for batch in self._loader:
            tensors = [from_numpy(np.ascontiguousarray(a)) for a in batch]
            yield tensors[0] if len(tensors) == 1 and not self._tuples() else tensors

    def _tuples(self):
        """Whether samples are tuples (batches then are lists of tensors, as in PyTorch)."""
        if isinstance(self.dataset, _data.ArrayDataset):
            return True
        return isinstance(self.dataset[0], (tuple, list))


def random_split(dataset, lengths, generator=None):
    """Subsets of ``dataset`` of the given lengths (or fractions summing to 1), drawn
    without overlap in an order from ``generator`` (or the default generator)."""
    n = len(dataset)
    lengths = list(lengths)
    if all(isinstance(v, float) for v in lengths) and abs(sum(lengths) - 1) < 1e-9:
        counts = [int(np.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):  # (the remainder round-robin, as PyTorch does)
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise ValueError(f"random_split: the lengths {lengths} do not add up to the "
                         f"dataset's length {n}")
    order = draw(generator).permutation(n)
    bounds = np.cumsum(lengths)
    return [_data.Subset(dataset, order[end - k:end]) for k, end in zip(lengths, bounds)]

