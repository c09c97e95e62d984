"""Run checkpoints: what ``chainrule train`` stores, and the checks before trusting a file.

A checkpoint is a safetensors file (see :mod:`chainrule.io`) whose JSON metadata
describes the run: its configuration, the model specification, the input
standardization, the data's fingerprint, feature and class names, and for
``last.safetensors`` the training position and history. A file may be corrupted or
hostile, so every field is checked for type and range, and the model specification
against the stored tensors' names and shapes, *before* anything is allocated from it:
a 100 KB file claiming ``hidden=[16000, 16000]`` is refused without building a 4 GB
model. Every problem is a :class:`chainrule.io.CheckpointError`.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .. import io as cr_io
from ..data import DataError, Standardize
from . import config as cfg
from .errors import UsageError
from .models import build_model, check_spec, parameter_shapes
from .rundir import LAST, METRIC_COLUMNS
from .text import Vocabulary
from .text_models import TEXT_MODELS

CHECKPOINT_FORMAT = "chainrule-run"
KINDS = ("last", "best")
# Metadata every checkpoint written by ``chainrule train`` carries.
REQUIRED_META = ("config", "model_spec", "preprocess", "epoch")
# ... and what last.safetensors adds, to resume from.
RESUME_META = ("step", "partial", "history", "best_epoch", "best_val_acc", "elapsed",
               "optimizer", "dropout_rng", "data_fingerprint")


def checkpoint_path(source: str) -> Path:
    """The checkpoint file of a run directory (its last.safetensors) or the file itself."""
    path = Path(source)
    if path.is_dir():
        path = path / LAST
        if not path.exists():
            raise UsageError(
                f"{source}: no {LAST} in this directory; pass a run directory "
                "written by 'chainrule train' or a .safetensors checkpoint"
            )
    elif not path.exists():
        raise UsageError(f"{source}: no such run directory or checkpoint file")
    return path


def model_state(arrays: dict) -> dict:
    """The model's state dict inside a checkpoint's flat arrays."""
    return {name[len("model/") :]: a for name, a in arrays.items() if name.startswith("model/")}


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _names(value, length: int, what: str) -> None:
    if value is None:
        return
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{what} must be a list of strings")
    if len(value) != length:
        raise ValueError(f"{what} has {len(value)} entries for {length}")


def _check_model(meta: dict, arrays: dict) -> None:
    """The specification, preprocessing and names agree with each other and the tensors."""
    spec = meta["model_spec"]
    check_spec(spec)
    try:
        expected = parameter_shapes(spec)
    except UsageError as exc:  # e.g. a cnn too deep for its input
        raise ValueError(str(exc)) from None
    stored = {name: a for name, a in model_state(arrays).items()}
    if set(stored) != set(expected):
        missing = sorted(set(expected) - set(stored))
        extra = sorted(set(stored) - set(expected))
        raise ValueError(
            f"the model specification and the stored tensors disagree (missing {missing[:4]}, "
            f"unexpected {extra[:4]})"
        )
    dtype = np.dtype(spec["dtype"])
    for name, shape in expected.items():
        if stored[name].shape != shape or stored[name].dtype != dtype:
            raise ValueError(
                f"tensor model/{name} is {stored[name].dtype} {stored[name].shape}, but the "
                f"model specification needs {dtype} {shape}"
            )
    preprocess = meta["preprocess"]
    if spec["model"] in TEXT_MODELS:
        if not isinstance(preprocess, dict) or "vocabulary" not in preprocess:
            raise ValueError("preprocess must be a table with 'vocabulary'")
        size = len(Vocabulary.from_state(preprocess["vocabulary"]))
        if size != spec["num_classes"]:
            raise ValueError(
                f"the vocabulary has {size} characters, the model {spec['num_classes']}"
            )
        return
    features = math.prod(spec["input_shape"])
    if not isinstance(preprocess, dict) or "standardize" not in preprocess:
        raise ValueError("preprocess must be a table with 'standardize'")
    try:
        scaler = Standardize.from_state(preprocess["standardize"])
    except DataError as exc:
        raise ValueError(str(exc)) from None
    if scaler.mean.shape != (features,):
        raise ValueError(
            f"the standardization has {scaler.mean.shape[0]} features, the model {features}"
        )
    _names(meta.get("feature_names"), features, "feature_names")
    _names(meta.get("class_names"), spec["num_classes"], "class_names")


def _check_resumable(meta: dict) -> None:
    """The training position and history of last.safetensors are well-formed."""
    missing = [key for key in RESUME_META if key not in meta]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    for key in ("step", "best_epoch"):
        if not _is_count(meta[key]):
            raise ValueError(f"{key} must be an integer >= 0, got {meta[key]!r}")
    for key in ("best_val_acc", "elapsed"):
        if not _is_number(meta[key]):
            raise ValueError(f"{key} must be a number, got {meta[key]!r}")
    partial = meta["partial"]
    # "skipped" (--on-nan skip) is absent from checkpoints written before it existed.
    if (
        not isinstance(partial, dict)
        or not {"loss_sum", "correct", "seen", "seconds"} <= set(partial)
        or not set(partial) <= {"loss_sum", "correct", "seen", "seconds", "skipped"}
        or not all(_is_number(v) for v in partial.values())
    ):
        raise ValueError(f"partial must hold loss_sum, correct, seen and seconds, got {partial!r}")
    history = meta["history"]
    if not isinstance(history, list) or len(history) != meta["epoch"]:
        raise ValueError(f"history must list one row per completed epoch ({meta['epoch']})")
    for row in history:
        if not isinstance(row, dict) or not all(_is_number(row.get(c)) for c in METRIC_COLUMNS):
            raise ValueError(f"history rows must hold {', '.join(METRIC_COLUMNS)}, got {row!r}")
    if not isinstance(meta["data_fingerprint"], str):
        raise ValueError("data_fingerprint must be a string")
    if not isinstance(meta["optimizer"], dict) or not isinstance(meta["dropout_rng"], dict):
        raise ValueError("optimizer and dropout_rng must be tables")


def read_checkpoint(path: Path, resumable: bool = False) -> tuple[dict, dict]:
    """Load and check ``(arrays, meta)`` of a run checkpoint; refuse other safetensors files.

    ``resumable``: also require (and check) the training state of last.safetensors.
    ``meta["config"]`` comes back validated and completed with defaults.
    """
    arrays, meta = cr_io.load_checkpoint(path)
    if meta.get("format") != CHECKPOINT_FORMAT:
        raise cr_io.CheckpointError(
            f"{path}: a chainrule checkpoint, but not one written by 'chainrule train' "
            "(no model specification in its metadata)"
        )
    missing = [key for key in REQUIRED_META if key not in meta]
    if missing:
        raise cr_io.CheckpointError(f"{path}: incomplete metadata, missing {', '.join(missing)}")
    try:
        if meta.get("kind") not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {meta.get('kind')!r}")
        if resumable and meta["kind"] != "last":
            raise ValueError(f"not a resumable checkpoint (kind {meta['kind']!r})")
        if not isinstance(meta["config"], dict):
            raise ValueError(f"config must be a table, got {type(meta['config']).__name__}")
        meta["config"] = cfg.from_saved(meta["config"], "config")
        if not _is_count(meta["epoch"]):
            raise ValueError(f"epoch must be an integer >= 0, got {meta['epoch']!r}")
        _check_model(meta, arrays)
        if resumable:
            _check_resumable(meta)
    except (ValueError, UsageError) as exc:
        raise cr_io.CheckpointError(f"{path}: invalid checkpoint metadata: {exc}") from None
    return arrays, meta


def check_finite(arrays: dict, path: Path) -> None:
    """Refuse a checkpoint whose weights hold NaN or infinity (nothing useful comes of it)."""
    bad = [name for name, a in model_state(arrays).items() if not np.isfinite(a).all()]
    if bad:
        raise cr_io.CheckpointError(
            f"{path}: the weights {', '.join(bad[:3])} hold NaN or infinity; use an earlier "
            "checkpoint of the run"
        )


def load_model(path: Path):
    """Rebuild the trained model, its preprocessing and metadata from a checkpoint file."""
    arrays, meta = read_checkpoint(path)
    check_finite(arrays, path)
    try:
        model, _ = build_model(meta["model_spec"])
        model.load_state_dict(model_state(arrays))
    except (KeyError, TypeError, ValueError) as exc:  # StateDictError included
        raise cr_io.CheckpointError(
            f"{path}: the saved model does not rebuild: {type(exc).__name__}: {exc}"
        ) from None
    if meta["model_spec"]["model"] in TEXT_MODELS:
        preprocess = Vocabulary.from_state(meta["preprocess"]["vocabulary"])
    else:
        preprocess = Standardize.from_state(meta["preprocess"]["standardize"])
    model.eval()
    return model, preprocess, meta
