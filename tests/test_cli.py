"""End-to-end tests of the ``chainrule`` command: train, resume, Ctrl-C, eval, predict, explain.

Most runs call ``main([...])`` in-process on the built-in digits with few epochs; the
Ctrl-C test and the fresh-process resume use ``python -m chainrule`` in a subprocess.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from chainrule.cli import main
from chainrule.cli import run as run_module
from chainrule.cli.config import tomllib
from chainrule.data import DataLoader, load_digits
from chainrule.io import load, load_checkpoint, save_checkpoint

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RUN_FILES = [
    "config.toml",
    "metrics.csv",
    "last.safetensors",
    "best.safetensors",
    "results.json",
    "loss.png",
    "accuracy.png",
    "confusion_matrix.png",
]


def run_cli(*argv) -> tuple[int, str, str]:
    """Call main in-process, returning (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def train(out: Path, *extra) -> str:
    code, stdout, stderr = run_cli("train", "--out", out, *extra)
    assert code == 0, stderr
    assert stderr == ""
    return stdout


def same_bits(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        a[k].dtype == b[k].dtype and a[k].tobytes() == b[k].tobytes() for k in a
    )


def metrics_without_time(path: Path) -> list[dict]:
    with path.open() as f:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(f)]


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> tuple[Path, str]:
    """A 3-epoch default run (every other option at its default)."""
    out = tmp_path_factory.mktemp("cli") / "run"
    return out, train(out, "--epochs", 3)


# ---------------------------------------------------------------------------------------
# train


def test_default_run_prints_progress_and_writes_every_file(run):
    out, stdout = run
    lines = stdout.splitlines()
    assert lines[0].startswith("mlp 64-128-128-10 tanh on digits (train 1295, val 143, test 359)")
    assert lines[0].endswith("adam lr 0.001, batch 32, label smoothing 0.1")
    epoch_lines = [line for line in lines if line.startswith("epoch ")]
    assert [line.split()[1] for line in epoch_lines] == ["1/3", "2/3", "3/3"]
    assert all("train loss" in line and "val loss" in line for line in epoch_lines)
    assert lines[-2].startswith("test accuracy ")
    assert lines[-1] == f"run directory: {out}"
    assert sorted(p.name for p in out.iterdir()) == sorted(RUN_FILES)


def test_results_and_metrics_agree(run):
    out, stdout = run
    results = json.loads((out / "results.json").read_text())
    assert results["epochs"] == 3
    assert results["test_samples"] == 359
    assert results["test_accuracy"] > 0.9  # three epochs of the default network
    assert f"test accuracy {results['test_accuracy']:.4f}" in stdout
    assert results["chainrule_version"]
    assert results["wall_time_s"] > 0
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    val = [float(r["val_acc"]) for r in rows]
    assert results["best_val_accuracy"] == max(val)
    assert results["best_epoch"] == val.index(max(val)) + 1
    # The training loss falls over the first epochs on this easy problem.
    assert float(rows[2]["train_loss"]) < float(rows[0]["train_loss"])


def test_config_toml_is_the_resolved_config_without_the_run_directory(run):
    out, _ = run
    config = tomllib.loads((out / "config.toml").read_text())
    assert config["epochs"] == 3
    assert config["hidden"] == [128, 128]
    assert config["activation"] == "tanh"
    assert config["optimizer"] == "adam"
    assert config["data"] == "digits"
    assert config["label_smoothing"] == 0.1
    assert config["on_nan"] == "stop"
    assert "out" not in config  # so that rerunning the file starts a new run
    assert "target" not in config  # the digits have no label column to name
    _, meta = load_checkpoint(out / "last.safetensors")
    assert meta["config"] == {**config, "out": str(out), "target": "label"}


def test_checkpoints_carry_model_preprocessing_and_training_state(run):
    out, _ = run
    arrays, meta = load_checkpoint(out / "last.safetensors")
    assert meta["epoch"] == 3 and meta["step"] == 0
    assert meta["model_spec"]["hidden"] == [128, 128]
    assert meta["model_spec"]["input_shape"] == [64]
    assert len(meta["preprocess"]["standardize"]["mean"]) == 64
    assert meta["dropout_rng"]["bit_generator"] == "PCG64"
    assert arrays["model/0.weight"].shape == (128, 64)
    assert arrays["model/0.weight"].dtype == np.float32
    assert any(name.startswith("optimizer/") for name in arrays)
    best_arrays, best = load_checkpoint(out / "best.safetensors")
    results = json.loads((out / "results.json").read_text())
    assert best["epoch"] == results["best_epoch"]
    assert not any(name.startswith("optimizer/") for name in best_arrays)


def test_plots_are_real_pngs(run):
    out, _ = run
    for name in ("loss.png", "accuracy.png", "confusion_matrix.png"):
        data = (out / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE), name
        width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
        assert width >= 300 and height >= 300, name
        pixels = imread(out / name)
        # Curves, text and cells: many distinct colours, not a blank canvas.
        assert len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)) > 50, name


def test_default_run_directory_is_timestamped_under_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, stdout, stderr = run_cli("train", "--epochs", 1, "--quiet", "--hidden", 16)
    assert code == 0, stderr
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert run_dir.name.endswith("-digits-mlp")
    assert stdout.splitlines()[-1] == f"run directory: {Path('runs') / run_dir.name}"
    # --quiet: no per-epoch lines, only the result and where it went.
    assert len(stdout.splitlines()) == 2


def test_config_file_with_command_line_precedence(tmp_path):
    (tmp_path / "run.toml").write_text(
        'epochs = 1\nlr = 0.01\nhidden = [32]\nactivation = "relu"\nout = "from-config"\n'
    )
    train(tmp_path / "cli-out", "--config", tmp_path / "run.toml", "--lr", 0.02, "--quiet")
    config = tomllib.loads((tmp_path / "cli-out" / "config.toml").read_text())
    assert (config["epochs"], config["hidden"], config["activation"]) == (1, [32], "relu")
    assert config["lr"] == 0.02  # the command line wins over the file
    assert not (tmp_path / "from-config").exists()


def test_rerunning_a_runs_config_toml_starts_a_new_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    train(Path("first"), "--epochs", 1, "--hidden", 8, "--quiet")
    before = sorted(p.name for p in (tmp_path / "first").iterdir())
    code, stdout, stderr = run_cli("train", "--config", "first/config.toml", "--quiet")
    assert code == 0, stderr
    assert sorted(p.name for p in (tmp_path / "first").iterdir()) == before
    (rerun,) = (tmp_path / "runs").iterdir()
    assert rerun.name.endswith("-digits-mlp")
    assert json.loads((rerun / "results.json").read_text())["epochs"] == 1
    assert sorted(p.name for p in rerun.iterdir()) == sorted(RUN_FILES)


def test_overwrite_replaces_run_files_and_keeps_others(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "results.json").write_text("stale")
    train(out, "--epochs", 1, "--quiet", "--hidden", 8, "--overwrite")
    assert (out / "notes.txt").read_text() == "mine"
    assert json.loads((out / "results.json").read_text())["epochs"] == 1


def test_cnn_float64_relu_adamw_cosine(tmp_path):
    out = tmp_path / "run"
    stdout = train(
        out, "--model", "cnn", "--channels", "4,8", "--hidden", 16, "--activation", "relu",
        "--optimizer", "adamw", "--weight-decay", 0.01, "--scheduler", "cosine",
        "--lr", 0.01, "--dtype", "float64", "--epochs", 2, "--label-smoothing", 0.1,
    )  # fmt: skip
    assert stdout.startswith("cnn 1x8x8 conv[4,8] fc 32-16-10 relu")
    arrays, meta = load_checkpoint(out / "last.safetensors")
    assert arrays["model/0.weight"].shape == (4, 1, 3, 3)
    assert arrays["model/0.weight"].dtype == np.float64
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert float(rows[1]["lr"]) < float(rows[0]["lr"])  # the cosine schedule decays
    assert json.loads((out / "results.json").read_text())["test_accuracy"] > 0.5


def test_sgd_with_step_schedule_trains(tmp_path):
    out = tmp_path / "run"
    train(out, "--optimizer", "sgd", "--lr", 0.05, "--scheduler", "step", "--step-size", 1,
          "--step-gamma", 0.5, "--epochs", 2, "--quiet")  # fmt: skip
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert [float(r["lr"]) for r in rows] == [0.05, 0.025]
    assert json.loads((out / "results.json").read_text())["test_accuracy"] > 0.8


# ---------------------------------------------------------------------------------------
# Other data sources


def write_idx(path: Path, array: np.ndarray) -> None:
    magic = 0x0800 | array.ndim
    header = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_idx_directory_with_its_own_test_split(tmp_path):
    X, y = load_digits()
    images = (X * 15).astype(np.uint8).reshape(-1, 8, 8)
    data = tmp_path / "mnist"
    data.mkdir()
    write_idx(data / "train-images-idx3-ubyte", images[:300])
    write_idx(data / "train-labels-idx1-ubyte", y[:300])
    write_idx(data / "t10k-images-idx3-ubyte", images[300:400])
    write_idx(data / "t10k-labels-idx1-ubyte", y[300:400])
    stdout = train(tmp_path / "run", "--data", data, "--model", "cnn", "--channels", 4,
                   "--hidden", 16, "--epochs", 1)  # fmt: skip
    assert "(train 270, val 30, test 100)" in stdout
    assert json.loads((tmp_path / "run" / "results.json").read_text())["test_samples"] == 100


def test_csv_with_named_target_column(tmp_path):
    X, y = load_digits()
    path = tmp_path / "digits.csv"
    header = ",".join([f"px{i}" for i in range(64)] + ["digit"])
    rows = [",".join([*(str(int(v)) for v in x), str(t)]) for x, t in zip(X[:500], y[:500])]
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    stdout = train(tmp_path / "run", "--data", path, "--target", "digit", "--epochs", 1,
                   "--hidden", 32)  # fmt: skip
    assert "mlp 64-32-10 tanh on " in stdout and "(train 360, val 40, test 100)" in stdout


# ---------------------------------------------------------------------------------------
# Resume and Ctrl-C


def test_resume_gives_the_same_bits_as_an_uninterrupted_run(tmp_path):
    options = ("--hidden", "32,32", "--dropout", 0.2, "--scheduler", "step", "--step-size", 1,
               "--quiet")  # fmt: skip
    train(tmp_path / "whole", "--epochs", 3, *options)
    train(tmp_path / "split", "--epochs", 1, *options)
    code, stdout, stderr = run_cli("train", "--resume", tmp_path / "split", "--epochs", 3)
    assert code == 0, stderr
    assert stdout.startswith(f"resuming {tmp_path / 'split'} from epoch 1 to 3 epochs")
    whole = load(tmp_path / "whole" / "last.safetensors")
    split = load(tmp_path / "split" / "last.safetensors")
    assert same_bits(whole, split)  # model, optimizer moments and scheduler alike
    assert metrics_without_time(tmp_path / "whole" / "metrics.csv") == metrics_without_time(
        tmp_path / "split" / "metrics.csv"
    )
    assert tomllib.loads((tmp_path / "split" / "config.toml").read_text())["epochs"] == 3


class InterruptingLoader(DataLoader):
    """A DataLoader that delivers a real SIGINT while producing one chosen batch."""

    at = (1, 5)  # (epoch, batch index)

    def _batches(self, order):
        epoch = self.epoch - 1  # __iter__ has already advanced it
        for index, batch in enumerate(super()._batches(order)):
            if (epoch, index) == self.at:
                signal.raise_signal(signal.SIGINT)
            yield batch


def test_interrupt_inside_an_epoch_resumes_from_that_step_exactly(tmp_path, monkeypatch):
    options = ("--hidden", 32, "--dropout", 0.3, "--scheduler", "cosine", "--quiet")
    train(tmp_path / "whole", "--epochs", 3, *options)
    with monkeypatch.context() as patch:
        patch.setattr(run_module, "DataLoader", InterruptingLoader)
        code, _, stderr = run_cli("train", "--out", tmp_path / "cut", "--epochs", 3, *options)
    assert code == 130
    assert stderr.startswith("interrupted at epoch 2, step 5;")
    _, meta = load_checkpoint(tmp_path / "cut" / "last.safetensors")
    assert (meta["epoch"], meta["step"]) == (1, 5)
    code, _, stderr = run_cli("train", "--resume", tmp_path / "cut")
    assert code == 0, stderr
    assert same_bits(
        load(tmp_path / "whole" / "last.safetensors"), load(tmp_path / "cut" / "last.safetensors")
    )
    assert metrics_without_time(tmp_path / "whole" / "metrics.csv") == metrics_without_time(
        tmp_path / "cut" / "metrics.csv"
    )


def test_a_failed_checkpoint_write_is_reported_not_claimed(tmp_path, monkeypatch):
    # Checkpoints are written in the background; when the one an interrupt (or a
    # diverging loss) points to cannot be written, the user must see that failure, not
    # "saved ... resume with".
    import chainrule.io.checkpoint as checkpoint

    real_write = checkpoint._write_file

    class FailingLoader(InterruptingLoader):
        at = (0, 5)

        def _batches(self, order):
            for index, batch in enumerate(super()._batches(order)):
                if index == 5:
                    monkeypatch.setattr(checkpoint, "_write_file", failing_write)
                yield batch

    def failing_write(path, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(run_module, "DataLoader", FailingLoader)
    code, _, stderr = run_cli("train", "--out", tmp_path / "run", "--epochs", 2,
                              "--hidden", 16, "--quiet")
    monkeypatch.setattr(checkpoint, "_write_file", real_write)
    assert code == 1, stderr
    last = tmp_path / "run" / "last.safetensors"
    assert stderr.startswith(f"error: {last}: cannot write: No space left on device; ")
    # The message names the checkpoint that is still intact, not the one that failed.
    assert f"{last} (from epoch 0) is intact" in stderr
    assert "interrupted" not in stderr and "saved" not in stderr
    _, meta = load_checkpoint(last)
    assert (meta["epoch"], meta["step"]) == (0, 0)  # the last write that did succeed


def chainrule(*argv) -> list[str]:
    """The command line that runs ``chainrule`` in a fresh interpreter."""
    return [sys.executable, "-m", "chainrule", *(str(a) for a in argv)]


def read_line(proc: subprocess.Popen, deadline: float) -> str:
    """The next line of the child's stdout, failing once ``deadline`` has passed."""
    remaining = deadline - time.monotonic()
    ready, _, _ = select.select([proc.stdout], [], [], max(remaining, 0))
    if not ready:
        proc.kill()
        pytest.fail("the training process printed nothing before the deadline")
    return proc.stdout.readline()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_saves_a_checkpoint_and_a_fresh_process_resumes_exactly(tmp_path):
    run_dir = tmp_path / "run"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        chainrule("train", "--epochs", 1000, "--hidden", 32, "--dropout", 0.1, "--out", run_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 60
    while not (line := read_line(proc, deadline)).startswith("epoch "):
        assert line, "the process ended before its first epoch line"
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert f"resume with: chainrule train --resume {run_dir}" in stderr
    arrays, meta = load_checkpoint(run_dir / "last.safetensors")
    stopped = meta["epoch"]
    assert 1 <= stopped < 1000

    # Finish the interrupted epoch (and one more) in a fresh process ...
    target = stopped + 2
    resumed = subprocess.run(
        chainrule("train", "--resume", run_dir, "--epochs", target, "--quiet"),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    # ... and compare with the same run never interrupted.
    train(tmp_path / "whole", "--epochs", target, "--hidden", 32, "--dropout", 0.1, "--quiet")
    assert same_bits(
        load(tmp_path / "whole" / "last.safetensors"), load(run_dir / "last.safetensors")
    )


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigkill_leaves_the_last_completed_checkpoint_resumable(tmp_path):
    run_dir = tmp_path / "run"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        chainrule("train", "--epochs", 1000, "--hidden", 32, "--out", run_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 60
    while not (line := read_line(proc, deadline)).startswith("epoch "):
        assert line, "the process ended before its first epoch line"
    printed = int(line.split()[1].split("/")[0])
    proc.kill()
    proc.wait(timeout=60)
    _, meta = load_checkpoint(run_dir / "last.safetensors")
    # The epoch line is printed after its checkpoint is in place.
    assert meta["epoch"] >= printed
    code, _, stderr = run_cli(
        "train", "--resume", run_dir, "--epochs", meta["epoch"] + 1, "--quiet"
    )
    assert code == 0, stderr


# ---------------------------------------------------------------------------------------
# eval, predict, explain


def test_eval_on_the_run_reproduces_the_test_accuracy(run):
    out, _ = run
    code, stdout, stderr = run_cli("eval", out)
    assert code == 0, stderr
    results = json.loads((out / "results.json").read_text())
    assert f"accuracy {results['test_accuracy']:.4f}" in stdout
    # The loss train reports (smoothing included), said to be that, and the plain one.
    assert (
        f"loss {results['test_loss']:.4f} (the training criterion: cross-entropy loss, label "
        f"smoothing 0.1); plain cross-entropy {results['test_cross_entropy']:.4f}"
    ) in stdout
    assert results["test_cross_entropy"] < results["test_loss"]
    assert "precision" in stdout and "recall" in stdout
    assert "confusion matrix" in stdout
    matrix_rows = [
        line for line in stdout.splitlines() if line[:2].strip().isdigit() and ": " in line
    ]
    matrix = np.array([[int(v) for v in line.split(":")[1].split()] for line in matrix_rows])
    assert matrix.shape == (10, 10) and matrix.sum() == results["test_samples"]
    assert np.trace(matrix) == round(results["test_accuracy"] * results["test_samples"])


def test_eval_on_the_run_uses_the_checkpoints_preprocessing(run, tmp_path):
    out, _ = run
    arrays, meta = load_checkpoint(out / "last.safetensors")
    # A huge saved std maps every input to about 0: the model then barely tells digits apart.
    standardize = meta["preprocess"]["standardize"]
    standardize["std"] = [s * 1e6 for s in standardize["std"]]
    save_checkpoint(tmp_path / "blurred.safetensors", arrays, meta)
    code, stdout, stderr = run_cli("eval", tmp_path / "blurred.safetensors")
    assert code == 0, stderr
    assert "(test split of the run): 359 samples" in stdout
    assert float(stdout.split("accuracy ")[1].split()[0]) < 0.5


def test_eval_checkpoint_file_on_other_data(run, tmp_path):
    out, _ = run
    X, y = load_digits()
    np.savez(tmp_path / "some.npz", X=X[:200], y=y[:200])
    code, stdout, stderr = run_cli(
        "eval", out / "best.safetensors", "--data", tmp_path / "some.npz"
    )
    assert code == 0, stderr
    assert "200 samples" in stdout
    assert float(stdout.split("accuracy ")[1].split()[0]) > 0.8


def test_predict_from_the_checkpoint_file_alone(run, tmp_path):
    out, _ = run
    alone = tmp_path / "model.safetensors"
    shutil.copy(out / "last.safetensors", alone)
    X, y = load_digits()
    np.savez(tmp_path / "inputs.npz", X=X[:50])
    code, _, stderr = run_cli(
        "predict", alone, tmp_path / "inputs.npz", "--out", tmp_path / "p.csv"
    )
    assert code == 0, stderr
    rows = list(csv.reader((tmp_path / "p.csv").open()))
    assert rows[0] == ["class"] + [f"p{k}" for k in range(10)]
    table = np.array(rows[1:], dtype=float)
    assert table.shape == (50, 11)
    np.testing.assert_allclose(table[:, 1:].sum(axis=1), 1, atol=1e-4)
    assert np.array_equal(table[:, 0], table[:, 1:].argmax(axis=1))
    assert (table[:, 0] == y[:50]).mean() > 0.8

    # A CSV with a header: the run's target column is ignored; results go to stdout.
    header = ",".join(["label"] + [f"f{i}" for i in range(64)])
    lines = [",".join([str(t), *(str(v) for v in x)]) for x, t in zip(X[:50], y[:50])]
    (tmp_path / "inputs.csv").write_text(header + "\n" + "\n".join(lines) + "\n")
    code, stdout, stderr = run_cli("predict", out, tmp_path / "inputs.csv")
    assert code == 0, stderr
    from_csv = np.array(list(csv.reader(io.StringIO(stdout)))[1:], dtype=float)
    np.testing.assert_allclose(from_csv, table, atol=1e-6)


def write_csv(path: Path, columns: list[str], table: np.ndarray) -> Path:
    lines = [",".join(columns)] + [",".join(str(v) for v in row) for row in table]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_model_trained_on_a_csv_takes_columns_by_name(tmp_path):
    X, y = load_digits()
    names = [f"px{i}" for i in range(64)]
    table = np.column_stack([X[:400].astype(int), y[:400]])
    data = write_csv(tmp_path / "train.csv", [*names, "digit"], table)
    out = tmp_path / "run"
    train(out, "--data", data, "--target", "digit", "--epochs", 1, "--hidden", 16, "--quiet")
    _, meta = load_checkpoint(out / "last.safetensors")
    assert meta["feature_names"] == names

    # The same samples with the columns reversed (target in the middle) and without target.
    order = list(range(64))[::-1]
    shuffled = [*[names[i] for i in order[:32]], "digit", *[names[i] for i in order[32:]]]
    columns = np.column_stack([table[:, order[:32]], table[:, 64], table[:, order[32:]]])
    reordered = write_csv(tmp_path / "reordered.csv", shuffled, columns)
    code, in_order, stderr = run_cli("predict", out, data)
    assert code == 0, stderr
    code, by_name, stderr = run_cli("predict", out, reordered)
    assert code == 0, stderr
    assert by_name == in_order
    no_target = write_csv(tmp_path / "nt.csv", [names[i] for i in order], table[:, order])
    assert run_cli("predict", out, no_target)[1] == in_order
    code, evaluated, stderr = run_cli("eval", out, "--data", reordered)
    assert code == 0, stderr
    assert evaluated.splitlines()[2:] == run_cli("eval", out, "--data", data)[1].splitlines()[2:]

    # Columns that are not the training features: refused, naming them.
    wrong = write_csv(tmp_path / "wrong.csv", [*names[1:], "extra"], table[:, :64])
    code, stdout, stderr = run_cli("predict", out, wrong)
    assert code == 2 and stdout == ""
    assert "missing 'px0'" in stderr and "unknown 'extra'" in stderr
    # Without a header the columns are taken by position.
    positional = write_csv(tmp_path / "positional.csv", names, table[:, :64])
    positional.write_text(positional.read_text().split("\n", 1)[1])
    assert run_cli("predict", out, positional)[1] == in_order


@pytest.mark.parametrize(
    ("name", "primitives"),
    [
        ("cross_entropy", "softmax_nll"),
        ("mean", "divide, sum"),
        ("gelu", "add, erf, multiply"),
        ("avg_pool2d", "divide, im2col, reshape, sum, transpose"),
    ],
)
def test_explain_names_the_primitives_a_composite_records(name, primitives):
    code, stdout, stderr = run_cli("explain", name)
    assert code == 2 and stdout == ""
    assert stderr.startswith(f"error: {name!r} is not a primitive but a composition: ")
    assert f"records {primitives} (seen by running it" in stderr
    assert f"'chainrule explain {primitives.split(',')[0]}'" in stderr


def test_explain_lists_operations_and_shows_one():
    code, stdout, _ = run_cli("explain")
    assert code == 0
    listed = {line.split()[0] for line in stdout.splitlines()[2:]}
    assert {"tanh", "log_softmax", "matmul"} <= listed
    code, stdout, _ = run_cli("explain", "log_softmax")
    assert code == 0
    assert "1 - sigma_i on the diagonal" in stdout  # the seed's Jacobian (4b)
    error = float(stdout.split("max |error| = ")[1].split()[0])
    assert error < 1e-6


def test_help_and_version_exit_zero():
    code, stdout, _ = run_cli("--version")
    assert code == 0 and stdout.startswith("chainrule ")
    code, stdout, _ = run_cli("train", "--help")
    assert code == 0 and "--val-fraction" in stdout and "--resume" in stdout
    assert "OPENBLAS_NUM_THREADS" in " ".join(stdout.split())  # what bit-identical assumes


# ---------------------------------------------------------------------------------------
# NaN and infinity


def test_a_step_that_overflows_the_weights_stops_the_run_and_nothing_is_labelled_good(
    tmp_path,
):
    out = tmp_path / "run"
    code, _, stderr = run_cli("train", "--out", out, "--epochs", 3, "--batch-size", 100000,
                              "--optimizer", "sgd", "--lr", 1e300, "--quiet")  # fmt: skip
    assert code == 1
    assert len(stderr.splitlines()) == 1 and stderr.startswith("error: the weights "), stderr
    assert "became NaN or infinite at epoch 1, step 1 (lr 1e+300)" in stderr
    assert f"{out / 'last.safetensors'} (from epoch 0) is intact, the last finite" in stderr
    assert "good" not in stderr
    arrays, meta = load_checkpoint(out / "last.safetensors")
    assert (meta["epoch"], meta["step"]) == (0, 0)
    assert all(np.isfinite(a).all() for a in arrays.values())
    assert not (out / "best.safetensors").exists()  # no epoch ended, none was "best"
    assert run_cli("eval", out)[0] == 0  # the intact checkpoint still evaluates


class NanLoader(DataLoader):
    """Turns the inputs of batch 3 of the first epoch into NaN."""

    def _batches(self, order):
        epoch = self.epoch - 1
        for index, (xb, yb) in enumerate(super()._batches(order)):
            yield (np.full_like(xb, np.nan) if (epoch, index) == (0, 3) else xb), yb


def test_on_nan_stop_names_the_step_and_on_nan_skip_drops_the_batch(tmp_path, monkeypatch):
    monkeypatch.setattr(run_module, "DataLoader", NanLoader)
    options = ("--epochs", 2, "--hidden", 16)
    code, _, stderr = run_cli("train", "--out", tmp_path / "stop", *options, "--quiet")
    assert code == 1
    assert stderr.startswith("error: the loss became nan at epoch 1, step 4 (lr 0.001)")
    assert "or --on-nan skip to skip such batches" in stderr
    code, stdout, stderr = run_cli("train", "--out", tmp_path / "skip", *options, "--on-nan",
                                   "skip")  # fmt: skip
    assert code == 0, stderr
    epochs = [line for line in stdout.splitlines() if line.startswith("epoch ")]
    assert epochs[0].endswith("skipped 1 batches") and "skipped" not in epochs[1]
    results = json.loads((tmp_path / "skip" / "results.json").read_text())
    assert results["skipped_batches"] == 1
    arrays, meta = load_checkpoint(tmp_path / "skip" / "last.safetensors")
    assert meta["config"]["on_nan"] == "skip"
    assert all(np.isfinite(a).all() for a in arrays.values())


def test_loss_plot_axis_names_the_label_smoothing(tmp_path, monkeypatch):
    from chainrule.cli import plots

    labels = []
    real = plots._curves
    monkeypatch.setattr(plots, "_curves", lambda h, key, ylabel, *rest: (
        labels.append(ylabel), real(h, key, ylabel, *rest)))
    train(tmp_path / "run", "--epochs", 1, "--hidden", 8, "--quiet", "--label-smoothing", 0.2)
    assert labels == ["cross-entropy loss, label smoothing 0.2", "accuracy"]


# ---------------------------------------------------------------------------------------
# Class names


def test_csv_class_names_are_mapped_saved_and_printed(tmp_path):
    X, y = load_digits()
    names = np.array(["zero", "one", "two"])
    keep = y < 3
    header = ",".join([f"px{i}" for i in range(64)] + ["digit"])
    rows = [",".join([*(str(int(v)) for v in x), names[t]]) for x, t in zip(X[keep], y[keep])]
    data = tmp_path / "named.csv"
    data.write_text(header + "\n" + "\n".join(rows) + "\n")
    out = tmp_path / "run"
    train(out, "--data", data, "--target", "digit", "--epochs", 2, "--hidden", 16, "--quiet")
    _, meta = load_checkpoint(out / "last.safetensors")
    assert meta["class_names"] == ["one", "two", "zero"]  # sorted; class k is the k-th
    code, stdout, stderr = run_cli("predict", out, data)
    assert code == 0, stderr
    table = list(csv.reader(io.StringIO(stdout)))
    assert table[0] == ["class", "p_one", "p_two", "p_zero"]
    predicted = [row[0] for row in table[1:]]
    assert (np.array(predicted) == names[y[keep]]).mean() > 0.8
    code, stdout, stderr = run_cli("eval", out, "--data", data)
    assert code == 0, stderr
    assert "classes: 0 one, 1 two, 2 zero" in stdout
    assert any(line.split()[:1] == ["zero"] for line in stdout.splitlines())


# ---------------------------------------------------------------------------------------
# Ctrl-C while the command's modules load


def test_ctrl_c_while_the_commands_are_imported_prints_one_line(monkeypatch):
    class Interrupting:
        def find_spec(self, name, path=None, target=None):
            if name == "chainrule.cli.train":
                raise KeyboardInterrupt
            return None

    monkeypatch.delitem(sys.modules, "chainrule.cli.train")
    monkeypatch.setattr(sys, "meta_path", [Interrupting(), *sys.meta_path])
    code, stdout, stderr = run_cli("train", "--epochs", 1)
    assert code == 130
    assert stderr == "error: interrupted\n" and stdout == ""
