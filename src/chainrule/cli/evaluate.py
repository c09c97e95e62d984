"""``chainrule eval`` and ``chainrule predict``: using a trained checkpoint on data.

A checkpoint written by ``chainrule train`` carries the model specification and the
input standardization in its metadata, so the ``.safetensors`` file alone rebuilds the
model and preprocesses new inputs exactly as in training.
"""

from __future__ import annotations

import csv
import io
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ..data import DataError, Standardize, as_float32, check_npz_signature
from ..io.atomic import atomic_write
from . import inputs
from .checkpoints import checkpoint_path, load_model
from .config import is_csv
from .errors import UsageError, WriteFailed
from .generate import run_text_eval
from .models import describe
from .plots import loss_label
from .scoring import log_softmax, logits_of, scores
from .text_models import TEXT_MODELS

# ---------------------------------------------------------------------------------------
# Metrics


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """``M[i, j]`` = number of samples of true class i predicted as class j."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


def precision_recall(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-class precision M[k,k] / sum_i M[i,k] and recall M[k,k] / sum_j M[k,j].

    A class never predicted (or never present) gets NaN precision (or recall): the ratio
    is undefined, and reporting 0 would claim a measurement that was not made.
    """
    hits = np.diag(matrix).astype(np.float64)
    predicted = matrix.sum(axis=0)
    actual = matrix.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(predicted > 0, hits / predicted, np.nan)
        recall = np.where(actual > 0, hits / actual, np.nan)
    return precision, recall


def loss_line(loss: float, cross_entropy: float, label_smoothing: float) -> str:
    """The losses eval prints, saying which is which: the training criterion (what
    ``chainrule train`` reports, smoothing included) and the plain cross-entropy."""
    if not label_smoothing:
        return f"loss {loss:.4f} (cross-entropy, the training criterion)"
    return (
        f"loss {loss:.4f} (the training criterion: {loss_label(label_smoothing)}); "
        f"plain cross-entropy {cross_entropy:.4f}"
    )


def report(
    matrix: np.ndarray, accuracy: float, losses: str, class_names: list[str] | None = None
) -> str:
    """The text eval prints: accuracy, losses, per-class precision/recall, confusion matrix."""
    precision, recall = precision_recall(matrix)
    support = matrix.sum(axis=1)
    hits, total = int(np.trace(matrix)), int(matrix.sum())
    names = class_names or [str(k) for k in range(matrix.shape[0])]
    pad = max(5, *(len(n) for n in names))
    lines = [
        f"accuracy {accuracy:.4f} ({hits}/{total})  {losses}",
        "",
        f"{'class':>{pad}}  {'precision':>9}  {'recall':>6}  {'support':>7}",
    ]
    for k in range(matrix.shape[0]):
        p = "-" if np.isnan(precision[k]) else f"{precision[k]:.4f}"
        r = "-" if np.isnan(recall[k]) else f"{recall[k]:.4f}"
        lines.append(f"{names[k]:>{pad}}  {p:>9}  {r:>6}  {support[k]:>7}")
    lines += ["", "confusion matrix (rows: true class, columns: predicted class)"]
    if class_names is not None:
        lines.append("classes: " + ", ".join(f"{k} {name}" for k, name in enumerate(names)))
    width = max(len(str(int(matrix.max(initial=0)))), len(str(matrix.shape[0] - 1)))
    header = " " * (width + 2) + " ".join(f"{k:>{width}}" for k in range(matrix.shape[0]))
    lines.append(header)
    for k, row in enumerate(matrix):
        lines.append(f"{k:>{width}}: " + " ".join(f"{v:>{width}}" for v in row))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# Commands


def _prepare(X: np.ndarray, preprocess: Standardize, spec: dict, where: str) -> np.ndarray:
    inputs.check_features(X, spec["input_shape"], where)
    return inputs.to_model_input(X, preprocess, spec["input_shape"], np.dtype(spec["dtype"]))


def run_eval(source: str, data: str | None, target: str | None, batch_size: int) -> int:
    """Print accuracy, per-class precision/recall and the confusion matrix."""
    if batch_size < 1:
        raise UsageError(f"--batch-size must be >= 1, got {batch_size}")
    path = checkpoint_path(source)
    model, preprocess, meta = load_model(path)
    spec = meta["model_spec"]
    config = meta["config"]
    if spec["model"] in TEXT_MODELS:
        if target is not None:
            raise UsageError("--target names a label column; a character model has none")
        return run_text_eval(source, data, batch_size)
    class_names = meta.get("class_names")
    if target is not None and not is_csv(data or config["data"]):
        raise UsageError(
            f"--target names the label column of a .csv file, but the data is "
            f"{data or config['data']!r}, which has no columns; drop --target"
        )
    if data is None:
        # The run's own test split, reproduced from its saved config and seed: only valid
        # while the data is the data the run was trained on.
        splits, digest, _ = inputs.load_splits(config)
        if digest != meta.get("data_fingerprint", digest):
            raise DataError(
                f"{config['data']}: the data changed since this run was trained (different "
                "contents), so its test split cannot be rebuilt; pass --data to evaluate on "
                "other data"
            )
        X_raw, y = splits["test"]
        where = f"{config['data']} (test split of the run)"
        X = _prepare(X_raw, preprocess, spec, where)
    else:
        target = target or config["target"]
        X_raw, y = inputs.load_for_eval(data, target, class_names)
        columns = inputs.csv_feature_names(data, target)
        if columns is not None and meta.get("feature_names") is not None:
            X_raw = X_raw[:, inputs.column_order(columns, meta["feature_names"], data)]
        X = _prepare(X_raw, preprocess, spec, data)
        where = data
    num_classes = spec["num_classes"]
    if y.size and y.max() >= num_classes:
        raise DataError(
            f"{where}: labels go up to {int(y.max())} but the model has {num_classes} classes"
        )
    smoothing = config["label_smoothing"]
    loss, accuracy, predictions = scores(model, X, y, batch_size, smoothing)
    cross_entropy = scores(model, X, y, batch_size)[0] if smoothing else loss
    print(f"model {describe(spec)} from {path} (epoch {meta['epoch']})")
    print(f"data {where}: {len(y)} samples")
    matrix = confusion_matrix(y, predictions, num_classes)
    print(report(matrix, accuracy, loss_line(loss, cross_entropy, smoothing), class_names))
    return 0


def _read_csv_features(path: Path, target: str, names: list[str] | None) -> np.ndarray:
    """Numeric rows of a CSV, with an optional header; a ``target`` column is dropped.

    With a header and the feature ``names`` the model was trained on, columns are taken
    by name in training order; otherwise by position.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason}); save the CSV as UTF-8") from None
    rows = [row for row in csv.reader(io.StringIO(text)) if row and any(c.strip() for c in row)]
    if not rows:
        raise DataError(f"{path}: no rows; the CSV is empty")
    header = None
    try:
        [float(c) for c in rows[0]]
    except ValueError:
        header, rows = [c.strip() for c in rows[0]], rows[1:]
    width = len(header) if header is not None else len(rows[0])
    if header is None:
        keep = list(range(width))
    else:
        features = [i for i, name in enumerate(header) if name != target]
        keep = features
        if names is not None:
            order = inputs.column_order([header[i] for i in features], names, str(path))
            keep = [features[j] for j in order]
    values = []
    for number, row in enumerate(rows, start=2 if header is not None else 1):
        if len(row) != width:
            raise DataError(f"{path}: line {number} has {len(row)} fields, expected {width}")
        try:
            values.append([float(row[i]) for i in keep])
        except ValueError:
            bad = next(row[i] for i in keep if not _is_float(row[i]))
            raise DataError(
                f"{path}: line {number}: non-numeric value {bad.strip()!r}; features must be "
                "numbers"
            ) from None
    if not values:
        raise DataError(f"{path}: only a header, no data rows")
    return as_float32(np.asarray(values, dtype=np.float64), str(path))


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_features(path_text: str, target: str, names: list[str] | None = None) -> np.ndarray:
    """Load the inputs to predict: an .npz with an ``X`` array, or a numeric .csv.

    ``names``: the CSV feature columns the model was trained on, if it was trained on a CSV.
    """
    path = Path(path_text)
    if not path.is_file():
        raise DataError(f"{path}: no such file; predict takes an .npz (array X) or a .csv")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return _read_csv_features(path, target, names)
        if suffix == ".npz":
            check_npz_signature(path, "np.savez(path, X=features)")
            with np.load(path, allow_pickle=False) as archive:
                if "X" not in archive.files:
                    raise DataError(
                        f"{path}: no array named 'X' (found {', '.join(sorted(archive.files))}); "
                        "save the inputs with np.savez(path, X=features)"
                    )
                X = archive["X"]
        else:
            raise DataError(f"{path}: unsupported file type {suffix!r}; use .npz or .csv")
    except PermissionError:
        raise DataError(f"{path}: permission denied") from None
    except (ValueError, OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"{path}: unreadable: {exc}") from None
    if X.dtype.kind not in "biuf" or X.ndim < 2:
        raise DataError(
            f"{path}: X must be a numeric (n, features...) array, got {X.dtype} {X.shape}"
        )
    return as_float32(X, f"{path}: X")


def run_predict(source: str, input_path: str, out: str | None, batch_size: int) -> int:
    """Write one CSV row per input: the predicted class and every class probability."""
    if batch_size < 1:
        raise UsageError(f"--batch-size must be >= 1, got {batch_size}")
    path = checkpoint_path(source)
    model, preprocess, meta = load_model(path)
    spec = meta["model_spec"]
    if spec["model"] in TEXT_MODELS:
        raise UsageError(
            f"{path}: a character model; predict is for classifiers. Generate text with: "
            f"chainrule sample {source}"
        )
    X = _prepare(
        read_features(input_path, meta["config"].get("target", "label"), meta.get("feature_names")),
        preprocess,
        spec,
        input_path,
    )
    probabilities = np.exp(log_softmax(logits_of(model, X, batch_size).astype(np.float64)))
    names = meta.get("class_names")
    text = predictions_csv(probabilities, names)
    if out is None:
        sys.stdout.write(text)
        return 0
    try:
        atomic_write(out, text)
    except OSError as exc:
        # Atomic: whatever was at --out before is still there, whole.
        raise WriteFailed(
            f"{exc.filename or out}: cannot write predictions: {exc.strerror or exc}; "
            "the file was left as it was"
        ) from None
    print(f"wrote {len(probabilities)} predictions to {out}", file=sys.stderr)
    return 0


def predictions_csv(probabilities: np.ndarray, class_names: list[str] | None) -> str:
    """One row per input: the predicted class (its name, if the classes have names) and
    the probability of every class, in columns p0, p1, ... or p_<name>."""
    k = probabilities.shape[1]
    names = class_names or [str(c) for c in range(k)]
    columns = [f"p_{n}" for n in names] if class_names else [f"p{c}" for c in range(k)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")  # quotes names holding commas
    writer.writerow(["class", *columns])
    for row in probabilities:
        writer.writerow([names[int(row.argmax())], *(f"{p:.6g}" for p in row)])
    return buffer.getvalue()
