"""Data loading: built-in digits, IDX/CSV/NPZ readers, in-memory datasets and mini-batching.

All problems with input data raise :class:`DataError` (a ``ValueError``).
"""

from .csvfile import load_csv
from .datasets import (
    DataError,
    Standardize,
    as_float32,
    check_labels,
    check_npz_signature,
    load_digits,
    load_idx,
    load_idx_dir,
    load_npz,
    one_hot,
)
from .loader import ArrayDataset, DataLoader, Dataset, Subset, random_split

__all__ = [
    "ArrayDataset",
    "DataError",
    "DataLoader",
    "Dataset",
    "Standardize",
    "Subset",
    "as_float32",
    "check_labels",
    "check_npz_signature",
    "load_csv",
    "load_digits",
    "load_idx",
    "load_idx_dir",
    "load_npz",
    "one_hot",
    "random_split",
]
