"""Dataset files: the built-in digits, IDX (MNIST family) and NPZ, plus label helpers.

CSV files are read by :mod:`chainrule.data.csvfile`.

Every loader returns ``(X, y)`` with ``X`` float32 and ``y`` int64 class indices, and every
problem with an input raises :class:`DataError`, whose message names the file, the problem
and what to do about it.
"""

from __future__ import annotations

import functools
import gzip
import io
import math
import os
import re
import struct
import zipfile
import zlib
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "DataError",
    "Standardize",
    "as_float32",
    "check_labels",
    "check_npz_signature",
    "load_digits",
    "load_idx",
    "load_idx_dir",
    "load_npz",
    "one_hot",
]

PathLike = str | os.PathLike[str]

_GZIP_MAGIC = b"\x1f\x8b"
_IDX_IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions: (count, rows, cols)
_IDX_LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension: (count,)
_IDX_UBYTE = 0x08
_MAX_SHOWN = 5  # offending values / column names quoted in one error message


class DataError(ValueError):
    """A data file or array is missing, malformed or inconsistent."""


def _preview(items, limit: int = _MAX_SHOWN) -> str:
    """Render at most ``limit`` items for an error message, noting how many were left out."""
    # .tolist() turns NumPy scalars into plain Python ones, so they print as 3, not int64(3).
    items = np.asarray(items).tolist() if isinstance(items, np.ndarray) else list(items)
    shown = ", ".join(repr(item) for item in items[:limit])
    if len(items) > limit:
        shown += f", ... ({len(items)} in total)"
    return shown


def _require_file(path: PathLike) -> Path:
    """Return ``path`` as a Path, raising DataError unless it is an existing non-empty file."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: file not found; check the path (cwd is {Path.cwd()})")
    if path.is_dir():
        raise DataError(f"{path}: is a directory, expected a file")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: file is empty; re-create or re-download it")
    return path


def _read_bytes(path: PathLike) -> bytes:
    """Read a whole file, transparently gunzipping it when it starts with the gzip magic."""
    data = _require_file(path).read_bytes()
    # Detect compression by content, not by name: downloads are often renamed or
    # decompressed by browsers while keeping the ".gz" suffix.
    if data.startswith(_GZIP_MAGIC):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(
                f"{path}: corrupt or truncated gzip stream ({exc}); re-download the file"
            ) from exc
        if not data:
            raise DataError(f"{path}: gzip archive decompresses to an empty file")
    return data


def _labels_from(values: np.ndarray, context: str = "") -> np.ndarray:
    """Convert raw label values to int64, requiring whole numbers >= 0.

    ``context`` prefixes error messages, e.g. ``"data.npz: y: "``.
    """
    values = np.asarray(values)
    if values.dtype.kind not in "biuf":
        raise DataError(
            f"{context}labels must be numeric class indices, got dtype {values.dtype}; "
            "map class names to integers 0..K-1 first"
        )
    if values.dtype.kind == "f":
        bad = ~np.isfinite(values) | (values != np.floor(values))
        if bad.any():
            raise DataError(
                f"{context}labels must be integers, found {_preview(np.unique(values[bad]))} "
                f"(first at index {int(np.argmax(bad))}); labels are class indices 0..K-1"
            )
    negative = values < 0
    if negative.any():
        raise DataError(
            f"{context}labels must be >= 0, found {_preview(np.unique(values[negative]))} "
            f"(first at index {int(np.argmax(negative))}); labels are class indices 0..K-1"
        )
    return values.astype(np.int64)


def check_labels(y, num_classes: int | None = None) -> np.ndarray:
    """Validate class labels and return them as a 1-D int64 array.

    Labels must be whole numbers in ``0..num_classes-1``. Without ``num_classes`` the
    smallest label must be 0, which catches 1-based labelling (e.g. 1..10) that would
    otherwise silently create an empty class 0; pass ``num_classes`` explicitly when a
    subset legitimately lacks class 0. Raises :class:`DataError` naming the offending values.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        hint = "; for one-hot labels use y.argmax(axis=1)" if y.ndim == 2 else ""
        raise DataError(f"labels must be a 1-D array of class indices, got shape {y.shape}{hint}")
    labels = _labels_from(y)
    if num_classes is None:
        if labels.size and labels.min() != 0:
            raise DataError(
                f"labels must be class indices 0..K-1 but the smallest is {labels.min()} "
                f"(range {labels.min()}..{labels.max()}); if they are 1-based use y - 1, "
                "or pass num_classes if class 0 is legitimately absent"
            )
        return labels
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise DataError(f"num_classes must be an int, got {num_classes!r}")
    if num_classes < 1:
        raise DataError(f"num_classes must be >= 1, got {num_classes}")
    too_big = labels >= num_classes
    if too_big.any():
        raise DataError(
            f"labels must be in 0..{num_classes - 1} for num_classes={num_classes}, found "
            f"{_preview(np.unique(labels[too_big]))} (first at index {int(np.argmax(too_big))})"
        )
    return labels


def one_hot(y, num_classes: int, dtype=np.float32) -> np.ndarray:
    """Encode class indices ``y`` (shape ``(n,)``) as a ``(n, num_classes)`` one-hot matrix."""
    labels = check_labels(y, num_classes)
    out = np.zeros((labels.shape[0], num_classes), dtype=dtype)
    out[np.arange(labels.shape[0]), labels] = 1
    return out


# ---------------------------------------------------------------------------------------
# Built-in digits


@functools.lru_cache(maxsize=1)
def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """Parse the bundled digits file once; the arrays are read-only and shared."""
    resource = resources.files(__package__) / "digits.csv.gz"
    try:
        raw = gzip.decompress(resource.read_bytes())
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(
            f"built-in digits file {resource} is missing or corrupt ({exc}); reinstall chainrule"
        ) from exc
    # 65 integer columns and no header: 64 pixel counts (0..16) then the digit.
    table = np.loadtxt(io.BytesIO(raw), delimiter=",", dtype=np.int64, ndmin=2)
    if table.shape != (1797, 65):
        raise DataError(
            f"built-in digits file {resource} has shape {table.shape}, expected (1797, 65); "
            "reinstall chainrule"
        )
    X = table[:, :64].astype(np.float32)
    y = table[:, 64].copy()
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """Return the built-in 8x8 handwritten digits as ``(X, y)``.

    ``X`` is float32 of shape (1797, 64) holding pixel counts 0..16 (row-major 8x8
    images), ``y`` is int64 of shape (1797,) with digits 0..9. The data are the test set
    of the UCI "Optical Recognition of Handwritten Digits" data (Alpaydin & Kaynak, 1998,
    CC BY 4.0); see DIGITS.md next to this module. The file is parsed once per process;
    every call returns fresh copies, so callers may modify them freely.
    """
    X, y = _digits_arrays()
    return X.copy(), y.copy()


# ---------------------------------------------------------------------------------------
# IDX (MNIST, Fashion-MNIST, EMNIST)


def _describe_idx_magic(magic: int, expected: int) -> str:
    """Explain why an IDX magic number is not the expected one."""
    if magic >> 16:
        return "not an IDX file (IDX files start with two zero bytes)"
    if magic == _IDX_IMAGES_MAGIC and expected == _IDX_LABELS_MAGIC:
        return "this is an IDX images file; did you swap the images and labels paths?"
    if magic == _IDX_LABELS_MAGIC and expected == _IDX_IMAGES_MAGIC:
        return "this is an IDX labels file; did you swap the images and labels paths?"
    element_type, ndim = (magic >> 8) & 0xFF, magic & 0xFF
    if element_type != _IDX_UBYTE:
        return (
            f"element type 0x{element_type:02x} is not unsigned byte (0x08); "
            "only ubyte IDX files are supported"
        )
    return f"it has {ndim} dimensions, expected {expected & 0xFF}"


def _parse_idx(path: PathLike, expected_magic: int) -> np.ndarray:
    """Read one ubyte IDX file and return its payload shaped by the header."""
    data = _read_bytes(path)
    ndim = expected_magic & 0xFF
    header_len = 4 + 4 * ndim
    # Check the magic before the header length: the wrong kind of IDX file has a
    # different header length, and "wrong file" is the more useful diagnosis.
    magic = int.from_bytes(data[:4], "big") if len(data) >= 4 else None
    if magic is not None and magic != expected_magic:
        raise DataError(
            f"{path}: bad magic number 0x{magic:08x}, expected 0x{expected_magic:08x}: "
            f"{_describe_idx_magic(magic, expected_magic)}"
        )
    if len(data) < header_len:
        raise DataError(
            f"{path}: truncated IDX header ({len(data)} bytes, need {header_len}); "
            "re-download the file"
        )
    dims = struct.unpack(f">{ndim}I", data[4:header_len])
    if 0 in dims:
        raise DataError(
            f"{path}: header declares an empty dimension {dims}; the file holds no data"
        )
    expected_len = math.prod(dims)
    payload_len = len(data) - header_len
    if payload_len < expected_len:
        raise DataError(
            f"{path}: truncated payload: header declares shape {dims} = {expected_len} bytes "
            f"but only {payload_len} follow; re-download the file"
        )
    if payload_len > expected_len:
        raise DataError(
            f"{path}: {payload_len - expected_len} unexpected bytes after the {expected_len} "
            f"declared by the header (shape {dims}); the file is corrupt or not this IDX type"
        )
    return np.frombuffer(data, dtype=np.uint8, count=expected_len, offset=header_len).reshape(dims)


def load_idx(images_path: PathLike, labels_path: PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Load an IDX image/label file pair (MNIST, Fashion-MNIST, EMNIST), plain or gzipped.

    Returns ``X`` float32 of shape ``(n, rows * cols)`` with the raw pixel values 0..255
    (divide by 255 to scale to 0..1) and ``y`` int64 of shape ``(n,)``. Images are flattened
    row-major as stored; note that EMNIST stores its images transposed.
    """
    images = _parse_idx(images_path, _IDX_IMAGES_MAGIC)
    labels = _parse_idx(labels_path, _IDX_LABELS_MAGIC)
    if images.shape[0] != labels.shape[0]:
        raise DataError(
            f"{images_path} has {images.shape[0]} images but {labels_path} has "
            f"{labels.shape[0]} labels; the two files must come from the same split"
        )
    X = images.reshape(images.shape[0], -1).astype(np.float32)
    return X, labels.astype(np.int64)


_IDX_SPLITS = {"train": "train", "test": "t10k"}


def _find_idx_file(directory: Path, prefix: str, kind: str) -> Path:
    """Find the one file in ``directory`` named like ``<prefix>-<kind>-idx?-ubyte[.gz]``."""
    ndim = 3 if kind == "images" else 1
    # Accept the canonical names, the "train-images.idx3-ubyte" variant some mirrors use,
    # and dataset prefixes such as EMNIST's "emnist-digits-train-images-idx3-ubyte.gz".
    pattern = re.compile(rf"^(?:.+-)?{prefix}-{kind}[-.]idx{ndim}-ubyte(?:\.gz)?$")
    matches = sorted(p for p in directory.iterdir() if p.is_file() and pattern.match(p.name))
    canonical = f"{prefix}-{kind}-idx{ndim}-ubyte"
    if not matches:
        raise DataError(
            f"{directory}: no {canonical} or {canonical}.gz file found; found "
            f"{_preview(sorted(p.name for p in directory.iterdir()), 10) or 'an empty directory'}"
        )
    if len(matches) > 1:
        raise DataError(
            f"{directory}: several files match {canonical}: {_preview(p.name for p in matches)}; "
            "keep one or call load_idx with explicit paths"
        )
    return matches[0]


def load_idx_dir(directory: PathLike) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Load the train and test splits of an MNIST-style directory of IDX files.

    Looks for ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` (each optionally ``.gz``,
    optionally with a dataset prefix such as ``emnist-digits-``) and returns
    ``{"train": (X, y), "test": (X, y)}`` as :func:`load_idx` would.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError(f"{directory}: directory not found; pass the folder holding the IDX files")
    return {
        split: load_idx(
            _find_idx_file(directory, prefix, "images"),
            _find_idx_file(directory, prefix, "labels"),
        )
        for split, prefix in _IDX_SPLITS.items()
    }


# ---------------------------------------------------------------------------------------
# NPZ


def load_npz(path: PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Load ``(X, y)`` from a ``.npz`` archive holding arrays named exactly ``X`` and ``y``.

    ``X`` keeps its shape (``(n, features)``, or e.g. ``(n, C, H, W)`` for images) and is
    returned as float32; ``y`` must be ``(n,)`` integer labels >= 0, returned int64. Object
    arrays are refused: loading never unpickles.
    """
    path = _require_file(path)
    check_npz_signature(path, "np.savez(path, X=X, y=y)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = sorted(archive.files)
            missing = [key for key in ("X", "y") if key not in names]
            if missing:
                raise DataError(
                    f"{path}: missing array(s) {_preview(missing)}; found {_preview(names, 10)}; "
                    "save with np.savez(path, X=features, y=labels) (names are case-sensitive)"
                )
            X, y = archive["X"], archive["y"]
    except DataError:
        raise
    except (ValueError, OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
        # ValueError covers object arrays, which np.load refuses without allow_pickle.
        raise DataError(f"{path}: unreadable .npz archive ({exc})") from exc
    return _check_xy(path, X, y)


def check_npz_signature(path: Path, save_hint: str) -> None:
    """Refuse a file that is not a zip archive before NumPy tries (and fails) other formats.

    ``save_hint`` is how the user should have saved it, e.g. ``np.savez(path, X=X)``.
    """
    with path.open("rb") as f:
        head = f.read(6)
    if head.startswith(b"\x93NUMPY"):
        raise DataError(
            f"{path}: is a single-array .npy file, not an .npz archive; save with {save_hint}"
        )
    if not head.startswith(b"PK"):
        raise DataError(f"{path}: not an .npz archive (no zip signature); save with {save_hint}")


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def as_float32(X: np.ndarray, where: str) -> np.ndarray:
    """``X`` as float32, refusing NaN, infinity and finite values beyond float32's range.

    ``where`` prefixes error messages (e.g. ``"data.npz: X"``). Checked before the cast,
    so a value like 1e300 is named as too large rather than reported as infinity.
    """
    # Two reductions settle the common case without temporaries (NaN makes both fail);
    # only a failing array is searched for the first bad element.
    in_range = X.dtype.kind != "f" or not X.size or (
        -_FLOAT32_MAX <= X.min() and X.max() <= _FLOAT32_MAX
    )
    if not in_range:
        bad = ~np.isfinite(X)
        if bad.any():
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            raise DataError(
                f"{where} contains NaN or infinity (first at index {first}); features must "
                "be finite"
            )
        first = tuple(int(i) for i in np.argwhere(np.abs(X) > _FLOAT32_MAX)[0])
        raise DataError(
            f"{where}: value {X[first]:g} at index {first} is beyond float32's range "
            f"(about +-{_FLOAT32_MAX:.3g}), which chainrule trains in; rescale that "
            "feature (e.g. divide it by a constant or take its logarithm)"
        )
    return X.astype(np.float32)


def _check_xy(path: PathLike, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate loaded feature and label arrays and convert them to float32 / int64."""
    if X.dtype.kind not in "biuf":
        raise DataError(f"{path}: X has non-numeric dtype {X.dtype}; features must be numbers")
    if X.ndim < 2:
        raise DataError(f"{path}: X must have shape (n, features, ...), got {X.shape}")
    if y.ndim != 1:
        raise DataError(f"{path}: y must have shape (n,), got {y.shape}")
    if X.shape[0] != y.shape[0]:
        raise DataError(f"{path}: X has {X.shape[0]} rows but y has {y.shape[0]} labels")
    return as_float32(X, f"{path}: X"), _labels_from(y, f"{path}: y: ")


# ---------------------------------------------------------------------------------------
# Preprocessing


class Standardize:
    """Per-feature standardization ``(x - mean) / std`` that a checkpoint can carry.

    ``fit`` computes the mean and (population) standard deviation of each feature in
    float64; a feature with zero spread gets std 1 so it maps to 0 instead of NaN.
    ``state()`` / ``from_state()`` convert to and from a JSON-able dict.
    """

    def __init__(self) -> None:
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None

    def fit(self, X) -> Standardize:
        """Compute per-feature mean and std from ``X`` (n, features) and return self."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[0] == 0:
            raise DataError(f"Standardize.fit needs a non-empty (n, features) array, got {X.shape}")
        if not np.isfinite(X).all():
            raise DataError("Standardize.fit: X contains NaN or infinity; clean the data first")
        std = X.std(axis=0)
        self.mean = X.mean(axis=0)
        self.std = np.where(std == 0, 1.0, std)
        return self

    def _fitted(self, X) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return ``X`` as a float array plus mean/std, checking fit and feature count."""
        if self.mean is None or self.std is None:
            raise DataError("Standardize is not fitted; call fit(X) or from_state(state) first")
        X = np.asarray(X)
        if X.dtype.kind != "f":
            X = X.astype(np.float32)
        if X.ndim != 2 or X.shape[1] != self.mean.shape[0]:
            raise DataError(
                f"Standardize was fitted on {self.mean.shape[0]} features, got shape {X.shape}"
            )
        return X, self.mean, self.std

    def transform(self, X) -> np.ndarray:
        """Standardize ``X``; float inputs keep their dtype, others become float32."""
        X, mean, std = self._fitted(X)
        out: np.ndarray = ((X - mean) / std).astype(X.dtype, copy=False)
        return out

    def fit_transform(self, X) -> np.ndarray:
        """Fit on ``X`` and return it standardized."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Z) -> np.ndarray:
        """Map standardized values back to the original scale."""
        Z, mean, std = self._fitted(Z)
        out: np.ndarray = (Z * std + mean).astype(Z.dtype, copy=False)
        return out

    def state(self) -> dict[str, list[float]]:
        """Return the fitted parameters as a JSON-able dict (floats round-trip exactly)."""
        if self.mean is None or self.std is None:
            raise DataError("Standardize is not fitted; call fit(X) before state()")
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Standardize:
        """Rebuild a fitted Standardize from :meth:`state` output."""
        try:
            mean = np.asarray(state["mean"], dtype=np.float64)
            std = np.asarray(state["std"], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(
                f"Standardize state must be {{'mean': [...], 'std': [...]}}: {exc!r}"
            ) from exc
        if mean.ndim != 1 or mean.shape != std.shape:
            raise DataError(
                f"Standardize state has mean shape {mean.shape} and std shape {std.shape}; "
                "expected two lists of equal length"
            )
        if not (np.isfinite(mean).all() and np.isfinite(std).all() and (std > 0).all()):
            raise DataError("Standardize state needs finite means and finite positive stds")
        scaler = cls()
        scaler.mean, scaler.std = mean, std
        return scaler
