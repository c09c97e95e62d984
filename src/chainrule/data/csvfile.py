"""CSV files with a header row: numeric features and a label column of indices or names.

Every step is linear in the number of cells: the header is checked with dictionaries
(never ``list.count`` or ``list.index`` per column), the body is parsed by NumPy's C
parser straight from the file's bytes, and only a file with a problem is scanned in
Python, row by row up to the first bad field, to name its line and column.
``benchmarks/bench_csv.py`` measures a 100,000-column file.
"""

from __future__ import annotations

import collections
import csv
import io
import math
import os

import numpy as np

from .datasets import DataError, _labels_from, _preview, _read_bytes, as_float32

__all__ = ["load_csv"]

PathLike = str | os.PathLike[str]


def _parse_number(text: str) -> float | None:
    """Parse a CSV field the way numpy.loadtxt does, or return None if it is not a number."""
    text = text.strip()
    # Python's float() accepts digit separators ("1_000"); loadtxt does not.
    if "_" in text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _locate_problem(
    path: PathLike, text: str, delimiter: str, columns: list[str], target_index: int, names: bool
) -> DataError | None:
    """Scan a CSV row by row to name the line and column of its first bad value.

    ``names``: the labels are class names, so any non-empty label is fine.
    """
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    next(reader)  # the header, already validated
    target = columns[target_index]
    for row in reader:
        if not row:  # blank line; loadtxt skips these too
            continue
        line = reader.line_num
        if len(row) != len(columns):
            return DataError(
                f"{path}: line {line} has {len(row)} fields but the header has {len(columns)} "
                "columns; fix the row or the delimiter"
            )
        label = row[target_index]
        value = _parse_number(label)
        if names and not label.strip():
            return DataError(f"{path}: empty label in column {target!r}, line {line}")
        if not names and (value is None or not value.is_integer() or value < 0):
            return DataError(
                f"{path}: label {label!r} in column {target!r}, line {line}, is not an "
                "integer >= 0; labels must be class indices 0..K-1 or class names"
            )
        for index, field in enumerate(row):
            if index == target_index:
                continue
            value = _parse_number(field)
            name = columns[index]
            if not field.strip():
                return DataError(
                    f"{path}: empty value in column {name!r}, line {line}; fill in or drop "
                    "rows with missing data"
                )
            if value is None:
                return DataError(
                    f"{path}: non-numeric value {field!r} in column {name!r}, line {line}; "
                    "features must be numbers (encode categories as integers)"
                )
            if not math.isfinite(value):
                return DataError(
                    f"{path}: {field.strip()!r} (NaN or infinity) in column {name!r}, line "
                    f"{line}; features must be finite, impute or drop such rows"
                )
    return None


def _header(path: PathLike, text: str, target: str, delimiter: str) -> tuple[list[str], int]:
    """The column names and the target's index, after checking the header row."""
    end = text.find("\n")
    header = text if end < 0 else text[:end]
    if not header.strip():
        raise DataError(f"{path}: the first line is empty; it must be a header naming the columns")
    columns = [name.strip() for name in next(csv.reader([header], delimiter=delimiter))]
    if all(_parse_number(name) is not None for name in columns):
        raise DataError(
            f"{path}: the first line {header[:60]!r} looks like data, not a header; add a "
            f"header row naming the columns, with the labels column named {target!r}"
        )
    counts = collections.Counter(columns)
    duplicates = sorted(name for name, n in counts.items() if n > 1)
    if duplicates:
        raise DataError(f"{path}: duplicate column names {_preview(duplicates)}; rename them")
    if target not in counts:
        near = [name for name in columns if name.lower() == target.lower()]
        other = [d for d in ",;\t|" if d != delimiter and len(columns) == 1 and d in columns[0]]
        if near:
            hint = f"; did you mean target={near[0]!r}?"
        elif other:
            hint = f"; is the delimiter {other[0]!r}? pass delimiter={other[0]!r}"
        else:
            hint = "; pass target=<column name>"
        raise DataError(
            f"{path}: no target column {target!r}; found {len(columns)} columns: "
            f"{_preview(columns, 10)}{hint}"
        )
    if len(columns) < 2:
        raise DataError(f"{path}: only the target column {target!r}; there are no feature columns")
    if end < 0 or not text[end:].strip():
        raise DataError(f"{path}: has a header but no data rows")
    return columns, columns.index(target)


def _loadtxt(data: bytes, delimiter: str, **kwargs) -> np.ndarray:
    """NumPy's C parser over the body of ``data`` (the header row skipped)."""
    return np.loadtxt(
        io.BytesIO(data),
        delimiter=delimiter,
        skiprows=1,
        comments=None,
        quotechar='"',
        encoding="utf-8",
        ndmin=2,
        **kwargs,
    )


def _names_or_none(path, labels: np.ndarray, target: str) -> np.ndarray | None:
    """The stripped labels if they are class names, None if they are all numbers."""
    labels = np.char.strip(labels)
    numeric = {label: _parse_number(label) is not None for label in np.unique(labels).tolist()}
    if all(numeric.values()):
        return None
    if any(numeric.values()):
        number = next(label for label, is_number in numeric.items() if is_number)
        name = next(label for label, is_number in numeric.items() if not is_number)
        raise DataError(
            f"{path}: column {target!r} mixes numbers (e.g. {number!r}) and names (e.g. "
            f"{name!r}); labels must be all class indices 0..K-1 or all class names"
        )
    return labels


def load_csv(
    path: PathLike, target: str = "label", delimiter: str = ",", *, return_classes: bool = False
):
    """Load a CSV file with a header row into ``(X, y)`` (or ``(X, y, classes)``).

    The column named ``target`` holds the labels: integer class indices >= 0, or class
    names such as ``setosa``. Names are mapped to 0..K-1 in sorted order; that needs
    ``return_classes=True``, which returns ``(X, y, classes)`` with ``classes[k]`` the
    name of class k (None for integer labels). Every other column is a numeric feature
    (returned float32, in file order); ``y`` is int64. The file may be gzipped. Features
    must be finite numbers within float32's range; errors name the offending line and
    column.
    """
    data = _read_bytes(path)
    try:
        text = data.decode("utf-8-sig")  # -sig: drop the BOM that spreadsheet exports add
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc}); save the CSV as UTF-8") from exc
    columns, target_index = _header(path, text, target, delimiter)

    def problem(names: bool, exc: Exception | None = None) -> DataError:
        found = _locate_problem(path, text, delimiter, columns, target_index, names)
        detail = f": {exc}" if exc is not None else "; check the delimiter and quoting"
        return found or DataError(f"{path}: could not parse as numeric CSV{detail}")

    classes = None
    # Fast C parser first; only when it (or a check below) fails do we rescan in Python
    # to say exactly which line and column are at fault.
    try:
        table = _loadtxt(data, delimiter, dtype=np.float64)
    except ValueError as exc:
        try:
            labels = _loadtxt(data, delimiter, usecols=[target_index], dtype=str)[:, 0]
        except ValueError:
            raise problem(False, exc) from exc
        names = _names_or_none(path, labels, target)
        if names is None:  # the labels are numbers: the features are at fault
            raise problem(False, exc) from exc
        if not return_classes:
            raise DataError(
                f"{path}: label {str(names[0])!r} in column {target!r} (first data row) is a class "
                "name; pass return_classes=True to map names to 0..K-1 and get them back"
            ) from None
        others = [i for i in range(len(columns)) if i != target_index]
        try:
            features = _loadtxt(data, delimiter, usecols=others, dtype=np.float64)
        except ValueError as exc2:
            raise problem(True, exc2) from exc2
        if features.shape[0] != names.shape[0]:
            raise problem(True) from None
        if (names == "").any():
            raise problem(True) from None
        unique, y = np.unique(names, return_inverse=True)
        classes = unique.tolist()
        labels = y.astype(np.int64)
    else:
        if table.shape[1] != len(columns):
            raise problem(False)
        # A view where the target is the first or last column: no copy of the table.
        if target_index == len(columns) - 1:
            features = table[:, :-1]
        elif target_index == 0:
            features = table[:, 1:]
        else:
            features = np.delete(table, target_index, axis=1)
        raw = table[:, target_index]
        if not (np.all(raw >= 0) and np.all(raw == np.floor(raw))):
            raise problem(False)
        labels = _labels_from(raw, f"{path}: ")
    try:
        X = as_float32(features, f"{path}: features")
    except DataError as exc:  # NaN or infinity: find its line and column; else out of range
        if not np.isfinite(features).all():
            raise problem(classes is not None) from None
        raise exc from None
    return (X, labels, classes) if return_classes else (X, labels)
