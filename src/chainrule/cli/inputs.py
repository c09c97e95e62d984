"""Finding, loading, splitting and preprocessing the data a run trains or evaluates on.

``--data`` is ``digits`` (built in), a directory of MNIST-style IDX files (which brings
its own test split), a ``.csv`` with a label column, or a ``.npz`` with ``X`` and ``y``.
Every problem raises :class:`chainrule.data.DataError`, which the command line reports
as one ``error:`` line with exit status 2.
"""

from __future__ import annotations

import collections
import csv
import gzip
import hashlib
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data import (
    DataError,
    Standardize,
    check_labels,
    load_csv,
    load_digits,
    load_idx_dir,
    load_npz,
)
from ..data import random_split as split_indices

# Most classes a run accepts; more are almost surely IDs or codes rather than class indices.
MAX_CLASSES = 100_000


Source = dict[str, tuple[np.ndarray, np.ndarray]]


def _cli_hint(message: str) -> str:
    """The loader's advice about its Python arguments, as advice about the command line."""
    message = message.replace("target=<column name>", "--target NAME")
    message = re.sub(r"did you mean target=('[^']*')", r"did you mean --target \1", message)
    return re.sub(
        r"is the delimiter '(.)'\? pass delimiter='.'",
        r"the file seems to separate fields with '\1', but the command line reads "
        r"comma-separated files only: save it with commas",
        message,
    )


def load_source(data: str, target: str = "label") -> tuple[Source, list[str] | None]:
    """Load ``--data``: ``({"all": (X, y)}, class names)``, or train and test splits for IDX.

    Class names come from a CSV whose labels are names (mapped to 0..K-1 in sorted
    order); they are None for every other source.
    """
    if data == "digits":
        return {"all": load_digits()}, None
    path = Path(data)
    try:
        if not path.exists():
            raise DataError(
                f"{path}: no such file or directory; --data takes 'digits', a directory of "
                "IDX files, a .csv or a .npz file"
            )
        if path.is_dir():
            return load_idx_dir(path), None
        suffix = path.suffix.lower()
        if suffix == ".csv":
            try:
                X, y, classes = load_csv(path, target=target, return_classes=True)
            except DataError as exc:
                raise DataError(_cli_hint(str(exc))) from None
            return {"all": (X, y)}, classes
        if suffix == ".npz":
            return {"all": load_npz(path)}, None
    except PermissionError:
        raise DataError(f"{path}: permission denied; check the file's permissions") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from None
    raise DataError(
        f"{path}: unsupported file type {path.suffix or '(no suffix)'!r}; use a .csv (with "
        "--target), a .npz (arrays X and y) or a directory of IDX files, or train a "
        "character model on a text file with --model lstm or --model gpt"
    )


def csv_feature_names(data: str, target: str) -> list[str] | None:
    """The feature column names of a ``.csv`` ``--data`` (header order, target left out).

    None for every other kind of data. Called after the file has loaded, so its header is
    known to be valid.
    """
    path = Path(data)
    if data == "digits" or path.suffix.lower() != ".csv":
        return None
    with path.open("rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    opener = gzip.open if gzipped else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as f:
        header = next(csv.reader(f), [])
    return [name.strip() for name in header if name.strip() != target]


def column_order(columns: list[str], names: list[str], where: str) -> list[int]:
    """Indices into ``columns`` (a file's feature columns) that give the features ``names``.

    A model trained on a CSV takes its features in the training file's column order; an
    input file may order its columns differently, but must have exactly those columns.
    """
    counts = collections.Counter(columns)
    duplicates = sorted(c for c, n in counts.items() if n > 1)
    if duplicates:
        raise DataError(f"{where}: duplicate column names {_shown(duplicates)}")
    # Dictionaries, so matching 100,000 columns is linear, not quadratic.
    position = {c: i for i, c in enumerate(columns)}
    wanted = set(names)
    missing = [n for n in names if n not in position]
    unknown = [c for c in columns if c not in wanted]
    if missing or unknown:
        problems = []
        if missing:
            problems.append(f"missing {_shown(missing)}")
        if unknown:
            problems.append(f"unknown {_shown(unknown)}")
        raise DataError(
            f"{where}: columns do not match the model's features ({'; '.join(problems)}); "
            f"it was trained on the columns {_shown(names)} (any order)"
        )
    return [position[n] for n in names]


def _shown(names: list[str], limit: int = 8) -> str:
    """Quote up to ``limit`` column names for an error message."""
    quoted = ", ".join(repr(n) for n in names[:limit])
    return quoted + (f" and {len(names) - limit} more" if len(names) > limit else "")


def fingerprint(source: Source, classes: list[str] | None = None) -> str:
    """SHA-256 of the loaded arrays (and class names), so a resumed run can tell its data
    has not changed."""
    digest = hashlib.sha256()
    if classes is not None:
        digest.update("\0".join(classes).encode())
    for name in sorted(source):
        for array in source[name]:
            digest.update(f"{name}{array.dtype.str}{array.shape}".encode())
            digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def input_shape_for(model: str, sample_shape: tuple[int, ...], where: str) -> list[int]:
    """The per-sample shape a model consumes: ``[features]`` for mlp, ``[C, H, W]`` for cnn."""
    if model == "mlp":
        return [math.prod(sample_shape)]
    if len(sample_shape) == 3:
        return list(sample_shape)
    if len(sample_shape) == 2:
        return [1, *sample_shape]
    (features,) = sample_shape
    side = math.isqrt(features)
    if side * side != features:
        raise DataError(
            f"{where}: --model cnn needs square images, but samples have {features} features, "
            "which is not a square number (like 64 = 8x8 or 784 = 28x28); use --model mlp"
        )
    return [1, side, side]


def to_model_input(X: np.ndarray, preprocess: Standardize, shape: list[int], dtype) -> np.ndarray:
    """Standardize flattened samples and reshape them to ``(n, *shape)`` in ``dtype``."""
    flat = X.reshape(X.shape[0], -1)
    return preprocess.transform(flat).astype(dtype, copy=False).reshape(X.shape[0], *shape)


def check_features(X: np.ndarray, shape: list[int], where: str) -> None:
    """Refuse data whose samples do not have the number of features the model was built for."""
    expected = math.prod(shape)
    got = math.prod(X.shape[1:])
    if got != expected:
        shown = f" ({'x'.join(str(s) for s in shape)})" if len(shape) > 1 else ""
        raise DataError(
            f"{where}: samples have {got} features but the model takes {expected}{shown}; "
            "use data shaped like the data it was trained on"
        )


@dataclass
class Prepared:
    """Model-ready splits plus what a checkpoint must carry to preprocess new data."""

    splits: dict[str, tuple[np.ndarray, np.ndarray]]  # "train", "val", "test"
    input_shape: list[int]
    num_classes: int
    preprocess: Standardize
    fingerprint: str
    feature_names: list[str] | None = None  # a CSV's feature columns, in training order
    class_names: list[str] | None = None  # a CSV's label names; class k is class_names[k]


def load_splits(config: dict) -> tuple[Source, str, list[str] | None]:
    """Load ``config['data']`` and split it with ``config['seed']``.

    Returns the raw splits, the data's fingerprint and the class names (or None).

    The test split is ``test_fraction`` of the data (or the IDX test files); validation is
    ``val_fraction`` of the rest.
    """
    source, classes = load_source(config["data"], config["target"])
    where = config["data"]
    seed = config["seed"]
    if "all" in source:
        X, y = source["all"]
        test_fraction = config["test_fraction"]
        train_idx, test_idx = split_indices(len(y), [1 - test_fraction, test_fraction], seed)
        train, test = (X[train_idx], y[train_idx]), (X[test_idx], y[test_idx])
    else:
        train, test = source["train"], source["test"]
    val_fraction = config["val_fraction"]
    # A seed different from the test split's, so the two splits are not correlated.
    fit_idx, val_idx = split_indices(len(train[1]), [1 - val_fraction, val_fraction], seed + 1)
    splits = {
        "train": (train[0][fit_idx], train[1][fit_idx]),
        "val": (train[0][val_idx], train[1][val_idx]),
        "test": test,
    }
    for name, (_, labels) in splits.items():
        if len(labels) == 0:
            sizes = ", ".join(f"{k} {len(v[1])}" for k, v in splits.items())
            raise DataError(
                f"{where}: the {name} split is empty ({sizes} samples); use more data or "
                "larger --val-fraction/--test-fraction"
            )
    return splits, fingerprint(source, classes), classes


def prepare(config: dict) -> Prepared:
    """Load and split ``config['data']`` (see :func:`load_splits`), then standardize it.

    Standardization statistics come from the training split only, so nothing about
    validation or test data leaks into training.
    """
    splits, digest, classes = load_splits(config)
    where = config["data"]
    labels = np.concatenate([splits[name][1] for name in splits])
    if labels.min() != 0:
        raise DataError(
            f"{where}: labels run from {labels.min()} to {labels.max()}, but classes must be "
            "numbered 0..K-1; for 1-based labels subtract 1"
        )
    num_classes = int(labels.max()) + 1
    present = len(np.unique(labels))
    # Labels are class indices, so K = max + 1 output units: a stray huge label would
    # otherwise build an enormous output layer (or exhaust memory).
    if num_classes > min(len(labels), MAX_CLASSES) or num_classes > 10 * present:
        raise DataError(
            f"{where}: labels go up to {labels.max()}, which would make {num_classes} classes, "
            f"but there are {present} distinct labels in {len(labels)} samples; labels must "
            "be class indices 0..K-1, so remap them to 0..K-1 (e.g. with "
            "np.unique(y, return_inverse=True))"
        )
    check_labels(labels, num_classes)
    if num_classes < 2:
        raise DataError(f"{where}: all labels are 0; a classifier needs at least 2 classes")
    shape = input_shape_for(config["model"], splits["train"][0].shape[1:], where)
    preprocess = Standardize().fit(splits["train"][0].reshape(len(splits["train"][1]), -1))
    dtype = np.dtype(config["dtype"])
    ready = {
        name: (to_model_input(X, preprocess, shape, dtype), y) for name, (X, y) in splits.items()
    }
    names = csv_feature_names(config["data"], config["target"])
    return Prepared(ready, shape, num_classes, preprocess, digest, names, classes)


def load_for_eval(
    data: str, target: str, class_names: list[str] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Load data to evaluate on: all of it, or the test split of an IDX directory.

    Labels that are names are mapped to the model's classes ``class_names``.
    """
    source, classes = load_source(data, target)
    X, y = source["all"] if "all" in source else source["test"]
    if classes is None:
        if class_names is not None:
            raise DataError(
                f"{data}: labels are class indices, but the model was trained on class names "
                f"({_shown(class_names)}); use labels named like those"
            )
        return X, y
    if class_names is None:
        raise DataError(
            f"{data}: labels are class names ({_shown(classes)}), but the model was trained "
            "on class indices; use labels numbered like those"
        )
    index = {name: k for k, name in enumerate(class_names)}
    unknown = [name for name in classes if name not in index]
    if unknown:
        raise DataError(
            f"{data}: labels {_shown(unknown)} are not classes of the model, which knows "
            f"{_shown(class_names)}"
        )
    return X, np.array([index[name] for name in classes], dtype=np.int64)[y]
