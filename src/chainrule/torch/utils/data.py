"""``torch.utils.data``: datasets, samplers, DataLoader, default_collate, random_split.

Built on :mod:`chainrule.data`: a :class:`TensorDataset` is a
``chainrule.data.ArrayDataset`` over its tensors' arrays (shared, not copied), so the
loader gathers a batch with one fancy index per tensor; other datasets are indexed per
sample and collated as PyTorch's ``default_collate`` does (tensors, arrays and numbers
stacked; dicts, tuples and lists collated field by field; strings listed), or by the
given ``collate_fn``. Batches are front-end tensors. Shuffling draws from ``generator``
(or the default generator, which ``torch.manual_seed`` reseeds).
"""

from __future__ import annotations

import bisect
import collections.abc
import itertools

import numpy as np

from ... import data as _data
from ..creation import from_numpy
from ..generators import draw
from ..tensor import Tensor

__all__ = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset",
           "DistributedSampler", "IterableDataset", "RandomSampler", "Sampler",
           "SequentialSampler", "StackDataset", "Subset", "SubsetRandomSampler",
           "TensorDataset", "WeightedRandomSampler", "default_collate", "default_convert",
           "get_worker_info", "random_split"]


class Subset(_data.Subset):
    """PyTorch's Subset: ``indices`` stays the sequence it was given (``random_split``
    gives a list of Python ints), so ``a.indices + b.indices`` joins two lists."""

    def __init__(self, dataset, indices) -> None:
        super().__init__(dataset, indices)
        self.indices = indices


class Dataset:
    """Base class of map-style datasets: define ``__getitem__`` and ``__len__``;
    ``a + b`` is their ConcatDataset, as PyTorch's."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class TensorDataset(_data.ArrayDataset):
    """Samples are the i-th rows of each tensor (all the same length along dim 0)."""

    def __init__(self, *tensors):
        super().__init__(*(np.asarray(t) for t in tensors))
        self.tensors = tuple(from_numpy(a) for a in self.arrays)

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    __add__ = Dataset.__add__


class IterableDataset(Dataset):
    """Base class of datasets that are streams: define ``__iter__``; ``a + b`` streams
    one after the other (ChainDataset), as PyTorch's."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __add__(self, other):
        return ChainDataset([self, other])


class ConcatDataset(Dataset):
    """The samples of several datasets, one after another."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self):
        return self.cumulative_sizes[-1] if self.cumulative_sizes else 0

    def __getitem__(self, index):
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for a dataset of {len(self)}")
        k = bisect.bisect_right(self.cumulative_sizes, index)
        return self.datasets[k][index - (self.cumulative_sizes[k - 1] if k else 0)]


class ChainDataset(IterableDataset):
    """Several iterable datasets streamed one after another."""

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError("ChainDataset only supports IterableDataset, got "
                                f"{type(d).__name__}")
            yield from d

    def __len__(self):
        return sum(len(d) for d in self.datasets)


class StackDataset(Dataset):
    """Datasets of one length side by side: sample i is the tuple (or, given by keyword,
    the dict) of their samples i."""

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise ValueError("StackDataset: supported either tuple-like (positional) or "
                             "dict-like (keyword) input, but both were given")
        parts = list(args) or list(kwargs.values())
        if not parts:
            raise ValueError("StackDataset: at least one dataset should be passed")
        lengths = {len(d) for d in parts}
        if len(lengths) != 1:
            raise ValueError("StackDataset: size mismatch between datasets, got lengths "
                             f"{[len(d) for d in parts]}")
        self._length = lengths.pop()
        self.datasets = args if args else kwargs

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __getitems__(self, indices):
        """The samples at ``indices``, a list (PyTorch's batched read)."""
        return [self[i] for i in indices]

    def __len__(self):
        return self._length


# ------------------------------------------------------------------ samplers
class Sampler:
    """Base class of index orders: define ``__iter__`` (and ``__len__``)."""

    def __init__(self, data_source=None):
        pass


class SequentialSampler(Sampler):
    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A new random order each pass (with ``replacement``, independent draws).

    The indices are drawn as they are consumed, a block at a time, so programs that ask
    for an endless stream (``num_samples=int(1e10)``) get one. As in PyTorch, a pass
    without a ``generator`` takes one seed from the default generator when it starts and
    draws from its own stream after that.
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source, self.replacement = data_source, replacement
        self._num_samples, self.generator = num_samples, generator
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        rng = draw(self.generator)
        if self.generator is None:
            rng = np.random.default_rng(int(rng.integers(2**63)))
        return self._indices(len(self.data_source), rng)

    def _indices(self, n, rng):
        left = self.num_samples
        while left > 0:
            block = (rng.integers(0, n, min(left, 4096)) if self.replacement
                     else rng.permutation(n)[:left])
            left -= len(block)
            yield from block.tolist()

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a new random order each pass."""

    def __init__(self, indices, generator=None):
        self.indices, self.generator = list(indices), generator

    def __iter__(self):
        order = draw(self.generator).permutation(len(self.indices))
        return iter([self.indices[i] for i in order])

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights``."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        w = np.asarray(weights._data if hasattr(weights, "_data") else weights, np.float64)
        if w.ndim != 1 or (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
            raise ValueError("WeightedRandomSampler: weights must be a 1-D sequence of "
                             "finite non-negative numbers, not all zero")
        if not replacement and num_samples > np.count_nonzero(w):
            raise ValueError("WeightedRandomSampler: without replacement, num_samples "
                             "cannot exceed the number of nonzero weights")
        self.weights, self.num_samples = w, int(num_samples)
        self.replacement, self.generator = replacement, generator

    def __iter__(self):
        rng = draw(self.generator)
        picks = rng.choice(len(self.weights), self.num_samples, replace=self.replacement,
                           p=self.weights / self.weights.sum())
        return iter(picks.astype(np.int64).tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of ``batch_size`` indices from ``sampler`` (the last one shorter unless
    ``drop_last``)."""

    def __init__(self, sampler, batch_size, drop_last):
        self.sampler, self.batch_size, self.drop_last = sampler, int(batch_size), drop_last

    def __iter__(self):
        batch = []
        for i in self.sampler:
            batch.append(int(i))
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


# ------------------------------------------------------------------ collation
def default_collate(batch):
    """PyTorch's default collation: a list of samples into one batch."""
    first = batch[0]
    if isinstance(first, Tensor) or (hasattr(first, "_data") and isinstance(
            getattr(first, "_data", None), np.ndarray)):
        return from_numpy(np.stack([np.asarray(b._data) for b in batch]))
    if isinstance(first, (np.ndarray, np.generic)):
        return from_numpy(np.stack([np.asarray(b) for b in batch]))
    if isinstance(first, bool):
        return from_numpy(np.array(batch, dtype=np.bool_))
    if isinstance(first, int):
        return from_numpy(np.array(batch, dtype=np.int64))
    if isinstance(first, float):
        return from_numpy(np.array(batch, dtype=np.float64))
    if isinstance(first, (str, bytes)):
        return batch  # (as given: a tuple when it comes from zipping samples, as PyTorch)
    if isinstance(first, collections.abc.Mapping):
        return {key: default_collate([b[key] for b in batch]) for key in first}
    if isinstance(first, tuple) and hasattr(first, "_fields"):  # a named tuple
        return type(first)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(first, collections.abc.Sequence):
        if len({len(b) for b in batch}) != 1:
            raise RuntimeError("default_collate: each element in the list of batch should "
                               "be of equal size")
        return [default_collate(s) for s in zip(*batch)]
    raise TypeError(f"default_collate: batches must contain tensors, arrays, numbers, "
                    f"dicts or lists; found {type(first).__name__}")


def default_convert(data):
    """PyTorch's conversion of one sample without batching (the collation of
    ``batch_size=None``): NumPy arrays and scalars become tensors, dicts, named tuples and
    sequences are converted entry by entry (a tuple becomes a list, as PyTorch's), and
    everything else (tensors, Python numbers, strings) is kept."""
    if isinstance(data, np.ndarray) and data.dtype.kind not in "USO":
        return from_numpy(data)
    if isinstance(data, np.generic) and not isinstance(data, (np.str_, np.bytes_)):
        return from_numpy(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        try:
            return type(data)({k: default_convert(v) for k, v in data.items()})
        except TypeError:
            return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # a named tuple
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def get_worker_info():
    """None: the loader runs in the calling process (no worker processes)."""
    return None


class DataLoader:
    """Mini-batches of ``dataset`` (PyTorch's defaults: ``batch_size=1``, no shuffling).
    ``sampler``, ``batch_sampler``, ``collate_fn`` and iterable datasets work as in
    PyTorch; ``num_workers``, ``pin_memory``, ``prefetch_factor`` and the other worker
    options are accepted and change nothing (one process)."""

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False,
                 timeout=0, worker_init_fn=None, generator=None, **kwargs):
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None
                                          or drop_last):
            raise ValueError("DataLoader: batch_sampler option is mutually exclusive with "
                             "batch_size, shuffle, sampler, and drop_last")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.generator = generator
        self.collate_fn = collate_fn
        self._iterable = isinstance(dataset, IterableDataset)
        self._loader = None
        if (sampler is None and batch_sampler is None and collate_fn is None
                and batch_size is not None and isinstance(dataset, _data.ArrayDataset)):
            # Tensors in rows: the whole batch in one fancy index per tensor.
            seed = int(draw(generator).integers(2**63 - 1)) if shuffle else 0
            self._loader = _data.DataLoader(dataset, batch_size=batch_size, shuffle=shuffle,
                                            drop_last=drop_last, seed=seed)
            return
        if self._iterable:
            if sampler is not None or batch_sampler is not None or shuffle:
                raise ValueError("DataLoader: an IterableDataset takes no sampler, "
                                 "batch_sampler or shuffle")
            return
        if sampler is None:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        self.sampler = sampler
        if batch_sampler is None and batch_size is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_sampler = batch_sampler

    def __len__(self):
        if self._loader is not None:
            return len(self._loader)
        if self._iterable:
            n = len(self.dataset)
            return n if self.batch_size is None else (
                n // self.batch_size if self.drop_last else -(-n // self.batch_size))
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def __iter__(self):
        if self._loader is not None:
            for batch in self._loader:
                tensors = [from_numpy(np.ascontiguousarray(a)) for a in batch]
                yield tensors[0] if len(tensors) == 1 and not self._tuples() else tensors
            return
        collate = self.collate_fn or default_collate
        if self._iterable:
            if self.batch_size is None:
                for sample in self.dataset:
                    yield (self.collate_fn or default_convert)(sample)
                return
            batch = []
            for sample in self.dataset:
                batch.append(sample)
                if len(batch) == self.batch_size:
                    yield collate(batch)
                    batch = []
            if batch and not self.drop_last:
                yield collate(batch)
            return
        if self.batch_sampler is None:  # batch_size=None: samples one by one
            for i in self.sampler:
                sample = self.dataset[i]
                yield (self.collate_fn or default_convert)(sample)
            return
        for indices in self.batch_sampler:
            yield collate([self.dataset[i] for i in indices])

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
    return [Subset(dataset, order[end - k:end].tolist()) for k, end in zip(lengths, bounds)]



def _register_submodules():
    # PyTorch's file paths (torch.utils.data.dataset.IterableDataset,
    # torch.utils.data.sampler.Sampler, torch.utils.data._utils.collate.default_collate).
    import sys
    from types import ModuleType

    layout = {
        "dataset": ("Dataset", "IterableDataset", "TensorDataset", "ConcatDataset",
                    "ChainDataset", "StackDataset", "Subset", "random_split"),
        "sampler": ("Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
                    "WeightedRandomSampler", "BatchSampler"),
        "dataloader": ("DataLoader", "default_collate", "default_convert", "get_worker_info"),
        "_utils.collate": ("default_collate", "default_convert"),
    }
    here = sys.modules[__name__]
    for path, names in layout.items():
        parent = here
        for i, part in enumerate(path.split(".")):
            full = f"{__name__}.{'.'.join(path.split('.')[:i + 1])}"
            module = sys.modules.get(full)
            if module is None:
                module = sys.modules[full] = ModuleType(full)
                setattr(parent, part, module)
            parent = module
        for name in names:
            setattr(parent, name, getattr(here, name))


_register_submodules()


class DistributedSampler(Sampler):
    """The share of one of ``num_replicas`` processes (``rank``) of a data set, each pass
    the same permutation on every process (seeded by ``seed + epoch``; ``set_epoch``
    before each pass), padded by repeating indices so that every share has the same
    length, or cut short with ``drop_last``. chainrule's own scale-out is MPI
    (chainrule.distributed); with no process group, give ``num_replicas`` and ``rank``."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None or rank is None:
            raise RuntimeError("Default process group has not been initialized, please make "
                               "sure to call init_process_group (or pass num_replicas and "
                               "rank; chainrule's scale-out is chainrule.distributed)")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, int(num_replicas), int(rank)
        self.shuffle, self.seed, self.drop_last, self.epoch = shuffle, int(seed), drop_last, 0
        n = len(dataset)
        if drop_last and n % self.num_replicas:
            self.num_samples = n // self.num_replicas
        else:
            self.num_samples = -(-n // self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def __iter__(self):
        n = len(self.dataset)
        order = (np.random.default_rng(self.seed + self.epoch).permutation(n) if self.shuffle
                 else np.arange(n))
        if self.drop_last:
            order = order[: self.total_size]
        elif self.total_size > n:
            order = np.resize(order, self.total_size)  # (repeats from the start)
        return iter(order[self.rank : self.total_size : self.num_replicas].tolist())

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        self.epoch = int(epoch)


def _distributed_module():
    # torch.utils.data.distributed (a module of PyTorch's that programs import from)
    import sys
    from types import ModuleType

    module = ModuleType(f"{__name__}.distributed")
    module.DistributedSampler = DistributedSampler
    module.__all__ = ["DistributedSampler"]
    sys.modules[module.__name__] = module
    return module


distributed = _distributed_module()
