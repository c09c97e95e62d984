"""Datasets in memory, seeded splits, and a mini-batch loader with reproducible shuffling."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any, Protocol, cast, runtime_checkable

import numpy as np

from .datasets import DataError

__all__ = ["ArrayDataset", "DataLoader", "Dataset", "Subset", "random_split"]


@runtime_checkable
class Dataset(Protocol):
    """Anything with a length and integer indexing; a sample is an array or a tuple of them."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> Any: ...


class ArrayDataset:
    """Parallel arrays (e.g. features and labels) indexed together along their first axis."""

    def __init__(self, *arrays) -> None:
        if not arrays:
            raise DataError("ArrayDataset needs at least one array, e.g. ArrayDataset(X, y)")
        self.arrays = tuple(np.asarray(a) for a in arrays)
        shapes = [a.shape for a in self.arrays]
        if any(len(shape) == 0 for shape in shapes):
            raise DataError(f"ArrayDataset arrays need a first (sample) axis, got shapes {shapes}")
        if len({shape[0] for shape in shapes}) != 1:
            raise DataError(
                f"ArrayDataset arrays must have the same length along axis 0, got shapes {shapes}"
            )

    def __len__(self) -> int:
        return int(self.arrays[0].shape[0])

    def __getitem__(self, index) -> tuple[np.ndarray, ...]:
        return tuple(a[index] for a in self.arrays)


class Subset:
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices) -> None:
        indices = np.asarray(indices, dtype=np.int64)
        if indices.ndim != 1:
            raise DataError(f"Subset indices must be 1-D, got shape {indices.shape}")
        n = len(dataset)
        if indices.size and (indices.min() < 0 or indices.max() >= n):
            raise DataError(f"Subset indices must lie in [0, {n}) for a dataset of length {n}")
        self.dataset = dataset
        self.indices = indices
        self._rows = indices  # what the loader reads (a subclass may show indices otherwise)

    def __len__(self) -> int:
        return int(self._rows.shape[0])

    def __getitem__(self, index):
        return self.dataset[self._rows[index]]


def _array_backing(dataset) -> tuple[tuple[np.ndarray, ...], np.ndarray | None] | None:
    """Return ``(arrays, indices)`` when ``dataset`` is (a Subset chain over) an ArrayDataset.

    ``indices`` maps dataset positions to rows of ``arrays`` (None for identity), which lets
    the loader gather a whole batch with one fancy index per array.
    """
    if isinstance(dataset, ArrayDataset):
        return dataset.arrays, None
    if isinstance(dataset, Subset):
        inner = _array_backing(dataset.dataset)
        if inner is not None:
            arrays, base = inner
            return arrays, dataset._rows if base is None else base[dataset._rows]
    return None


def _stack_samples(samples: list[Any]) -> tuple[np.ndarray, ...]:
    """Stack a list of samples (arrays or equal-length tuples of arrays) field by field."""
    if not isinstance(samples[0], (tuple, list)):
        return (np.stack([np.asarray(s) for s in samples]),)
    width = len(samples[0])
    if any(not isinstance(s, (tuple, list)) or len(s) != width for s in samples):
        raise DataError(f"dataset samples must all be tuples of {width} fields to batch them")
    return tuple(np.stack([np.asarray(s[k]) for s in samples]) for k in range(width))


class DataLoader:
    """Iterate over ``dataset`` in mini-batches, each a tuple of NumPy arrays.

    With ``shuffle=True`` the order of epoch ``e`` is a pure function of ``(seed, e)``:
    each ``iter(loader)`` uses the current :attr:`epoch` and then advances it by one, so
    successive epochs differ while the whole run is reproducible, and
    :meth:`set_epoch` restores the exact order when resuming from a checkpoint. With
    ``seed=None`` a fresh seed is drawn once and exposed as :attr:`seed` so it can be saved.

    Batches of an :class:`ArrayDataset` (or a :class:`Subset` of one) are gathered with
    one fancy index per array; other datasets are indexed per sample and stacked.
    ``len(loader)`` is the number of batches per epoch.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 32,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int | None = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise DataError(f"batch_size must be a positive int, got {batch_size!r}")
        if batch_size < 1:
            raise DataError(f"batch_size must be a positive int, got {batch_size}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        if seed is not None and seed < 0:
            raise DataError(f"seed must be a non-negative int or None, got {seed}")
        # A fresh SeedSequence's entropy is an int (the Sequence form is for given seeds).
        fresh = cast(int, np.random.SeedSequence().entropy) if seed is None else seed
        self.seed = int(fresh)
        self.epoch = 0
        self._backing = _array_backing(dataset)

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration produce the batches of epoch ``epoch`` (0-based)."""
        if epoch < 0:
            raise DataError(f"epoch must be >= 0, got {epoch}")
        self.epoch = int(epoch)

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self, epoch: int) -> np.ndarray:
        """Sample positions in the order epoch ``epoch`` visits them."""
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        # One independent stream per epoch, derived from (seed, epoch) alone: resuming at
        # epoch e does not need to replay the draws of epochs 0..e-1.
        seed_seq = np.random.SeedSequence(self.seed, spawn_key=(epoch,))
        return np.random.default_rng(seed_seq).permutation(n)

    def __iter__(self) -> Iterator[tuple[np.ndarray, ...]]:
        # Fix the order and advance the epoch now rather than lazily at the first batch,
        # so an iterator that is created but abandoned still counts as an epoch.
        order = self._order(self.epoch)
        self.epoch += 1
        return self._batches(order)

    def _batches(self, order: np.ndarray) -> Iterator[tuple[np.ndarray, ...]]:
        """Yield the batches for one epoch's sample order."""
        stop = len(self) * self.batch_size if self.drop_last else len(order)
        for start in range(0, stop, self.batch_size):
            idx = order[start : start + self.batch_size]
            if self._backing is not None:
                arrays, base = self._backing
                rows = idx if base is None else base[idx]
                yield tuple(a[rows] for a in arrays)
            else:
                yield _stack_samples([self.dataset[int(i)] for i in idx])


def _split_lengths(n: int, fractions_or_lengths: Sequence[float]) -> list[int]:
    """Turn split sizes given as lengths (summing to n) or fractions (summing to 1) into lengths."""
    sizes = list(fractions_or_lengths)
    if not sizes:
        raise DataError("random_split needs at least one length or fraction")
    if all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in sizes):
        if any(s < 0 for s in sizes) or sum(sizes) != n:
            raise DataError(f"split lengths {sizes} must be >= 0 and sum to the dataset size {n}")
        return [int(s) for s in sizes]
    if any(not 0 <= s <= 1 for s in sizes) or not math.isclose(sum(sizes), 1.0, abs_tol=1e-6):
        raise DataError(
            f"split fractions {sizes} must each lie in [0, 1] and sum to 1 "
            f"(or give integer lengths summing to {n})"
        )
    lengths = [math.floor(s * n) for s in sizes]
    # Hand out the rounding remainder one sample at a time, first split first.
    for k in range(n - sum(lengths)):
        lengths[k % len(lengths)] += 1
    return lengths


def random_split(dataset_or_n, fractions_or_lengths: Sequence[float], seed: int) -> list[Any]:
    """Split into disjoint random parts that together cover every sample exactly once.

    ``fractions_or_lengths`` is either integer lengths summing to the size, or fractions
    summing to 1 (e.g. ``[0.8, 0.2]``; the rounding remainder goes to the first parts).
    Given an int ``n``, returns int64 index arrays into ``range(n)``; given a dataset,
    returns :class:`Subset` views of it. The split is a pure function of ``seed``.
    """
    is_count = isinstance(dataset_or_n, (int, np.integer)) and not isinstance(dataset_or_n, bool)
    n = int(dataset_or_n) if is_count else len(dataset_or_n)
    if n < 0:
        raise DataError(f"cannot split a negative number of samples ({n})")
    lengths = _split_lengths(n, fractions_or_lengths)
    perm = np.random.default_rng(seed).permutation(n)
    parts = np.split(perm, np.cumsum(lengths)[:-1])
    if is_count:
        return parts
    return [Subset(dataset_or_n, part) for part in parts]
