"""Run checkpoints from corrupted or hostile files: checked before anything is built.

Every case starts from a real checkpoint of a short run, changes its metadata or tensors
the way a corrupted or hand-crafted file would, and expects ``eval``/``--resume`` to
answer with one ``error:`` line and exit status 2 (a ``CheckpointError``), quickly and
without allocating what the metadata claims.
"""

from __future__ import annotations

import contextlib
import io
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from chainrule.cli import main
from chainrule.cli.checkpoints import read_checkpoint
from chainrule.cli.models import build_model, parameter_shapes
from chainrule.io import CheckpointError, load_checkpoint, save_checkpoint


def run_cli(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ckpt") / "run"
    code, _, stderr = run_cli("train", "--out", out, "--epochs", 1, "--hidden", "16,16", "--quiet")
    assert code == 0, stderr
    return out


def tampered(run_dir: Path, tmp: Path, change) -> Path:
    """A copy of the run with last.safetensors changed by ``change(arrays, meta)``."""
    arrays, meta = load_checkpoint(run_dir / "last.safetensors")
    change(arrays, meta)
    copy = tmp / "copy"
    copy.mkdir()
    save_checkpoint(copy / "last.safetensors", arrays, meta)
    return copy


def set_meta(key, value):
    def change(arrays, meta):
        meta[key] = value

    return change


def drop_meta(key):
    def change(arrays, meta):
        del meta[key]

    return change


def set_spec(key, value):
    def change(arrays, meta):
        meta["model_spec"][key] = value

    return change


def nan_weights(arrays, meta):
    arrays["model/0.weight"][0, 0] = np.nan


HOSTILE = [
    ("config-not-a-table", set_meta("config", [1, 2]), "config must be a table"),
    ("config-bad-value", set_meta("config", {"lr": "fast"}), "lr must be a number"),
    ("epoch-a-string", set_meta("epoch", "3"), "epoch must be an integer"),
    ("epoch-negative", set_meta("epoch", -1), "epoch must be an integer >= 0"),
    ("kind-unknown", set_meta("kind", "weird"), "kind must be one of last, best"),
    ("spec-not-a-table", set_meta("model_spec", "mlp"), "model_spec must be a table"),
    ("spec-model", set_spec("model", "rnn"), "model must be one of mlp, cnn, lstm, gpt"),
    ("spec-activation", set_spec("activation", "exec"), "activation 'exec'"),
    ("spec-dtype", set_spec("dtype", "object"), "dtype must be one of"),
    ("spec-classes", set_spec("num_classes", 1), "num_classes must be an integer >= 2"),
    ("spec-hidden-text", set_spec("hidden", "16"), "hidden must be a list"),
    # A 100 KB file claiming a 16000 x 16000 layer: refused by shape, never built.
    ("spec-huge-hidden", set_spec("hidden", [16000, 16000]), "needs float32 (16000, 64)"),
    ("preprocess-short", lambda a, m: m["preprocess"]["standardize"].update(mean=[0.0] * 3,
                                                                            std=[1.0] * 3),
     "standardization has 3 features, the model 64"),
    ("feature-names", set_meta("feature_names", ["a"]), "feature_names has 1 entries for 64"),
    ("class-names", set_meta("class_names", [1, 2]), "class_names must be a list of strings"),
    ("tensor-missing", lambda a, m: a.pop("model/2.bias"), "missing ['2.bias']"),
    ("tensor-dtype", lambda a, m: a.update({"model/0.bias": a["model/0.bias"].astype(np.float64)}),
     "model/0.bias is float64"),
    ("nan-weights", nan_weights, "hold NaN or infinity"),
]


@pytest.mark.parametrize(
    ("change", "fragment"), [c[1:] for c in HOSTILE], ids=[c[0] for c in HOSTILE]
)
def test_eval_refuses_hostile_metadata_with_one_line(run_dir, tmp_path, change, fragment):
    copy = tampered(run_dir, tmp_path, change)
    tracemalloc.start()
    try:
        code, stdout, stderr = run_cli("eval", copy)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert code == 2, stderr
    assert stdout == ""
    assert len(stderr.splitlines()) == 1 and stderr.startswith("error: "), stderr
    assert str(copy / "last.safetensors") in stderr and fragment in stderr, stderr
    assert peak < 50_000_000  # nothing sized by the metadata was allocated


RESUME_HOSTILE = [
    ("config-not-a-table", set_meta("config", "x"), "config must be a table"),
    ("epoch-a-string", set_meta("epoch", "1"), "epoch must be an integer"),
    ("fingerprint-missing", drop_meta("data_fingerprint"), "missing data_fingerprint"),
    ("step-float", set_meta("step", 1.5), "step must be an integer"),
    ("history-short", set_meta("history", []), "one row per completed epoch"),
    ("history-row", set_meta("history", [{"epoch": "one"}]), "history rows must hold"),
    ("partial", set_meta("partial", {"seen": "x"}), "partial must hold"),
    ("optimizer-not-a-table", set_meta("optimizer", 7), "optimizer and dropout_rng"),
    ("optimizer-skeleton", set_meta("optimizer", {"dict": [["state", "array"]]}),
     "training state does not restore"),
    ("optimizer-missing-array", set_meta("optimizer", {"array": "nope", "scalar": False}),
     "missing array 'nope'"),
    ("rng-state", set_meta("dropout_rng", {"bit_generator": "Nope"}),
     "training state does not restore"),
    ("best-kind", set_meta("kind", "best"), "not a resumable checkpoint"),
]


@pytest.mark.parametrize(
    ("change", "fragment"), [c[1:] for c in RESUME_HOSTILE], ids=[c[0] for c in RESUME_HOSTILE]
)
def test_resume_refuses_hostile_metadata_with_one_line(run_dir, tmp_path, change, fragment):
    copy = tampered(run_dir, tmp_path, change)
    code, stdout, stderr = run_cli("train", "--resume", copy, "--epochs", 2)
    assert code == 2, stderr
    assert len(stderr.splitlines()) == 1 and stderr.startswith("error: "), stderr
    assert fragment in stderr, stderr


def test_a_tiny_checkpoint_claiming_a_huge_model_is_refused_fast(run_dir, tmp_path):
    copy = tampered(run_dir, tmp_path, set_spec("hidden", [16000, 16000]))
    assert (copy / "last.safetensors").stat().st_size < 200_000
    start = time.perf_counter()
    with pytest.raises(CheckpointError, match="specification needs float32"):
        read_checkpoint(copy / "last.safetensors")
    assert time.perf_counter() - start < 1.0  # building it took 10-13 s and 4 GB


@pytest.mark.parametrize(
    "spec",
    [
        {"model": "mlp", "input_shape": [64], "hidden": [32, 16], "activation": "tanh",
         "dropout": 0.2, "num_classes": 10, "dtype": "float32"},
        {"model": "cnn", "input_shape": [1, 8, 8], "hidden": [16], "channels": [4, 8],
         "activation": "relu", "dropout": 0.0, "num_classes": 3, "dtype": "float64"},
    ],
    ids=["mlp-dropout", "cnn"],
)
def test_parameter_shapes_match_the_built_model(spec):
    model, _ = build_model(spec)
    built = {name: array.shape for name, array in model.state_dict().items()}
    assert parameter_shapes(spec) == built
