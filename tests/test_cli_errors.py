"""Bad input to the ``chainrule`` command: one ``error:`` line, the right exit status, no lost work.

Usage and data errors exit with 2 before anything is trained or written; a failed run
(a non-finite loss) exits with 1 and leaves its last good checkpoint loadable.
"""

from __future__ import annotations

import contextlib
import io
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from chainrule.cli import main
from chainrule.data import load_digits
from chainrule.io import load_checkpoint, save, save_checkpoint


def run_cli(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def assert_one_error_line(stderr: str, *fragments: str) -> None:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    magic = 0x0800 | array.ndim if magic is None else magic
    return struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def idx_dir(tmp: Path, images_magic: int | None = None, drop_bytes: int = 0) -> Path:
    """A small MNIST-style directory, optionally with a wrong magic or a truncated file."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(40, 4, 4), dtype=np.uint8)
    labels = rng.integers(0, 3, size=40, dtype=np.uint8)
    data = tmp / "idx"
    data.mkdir()
    train = idx_bytes(images[:30], images_magic)
    (data / "train-images-idx3-ubyte").write_bytes(train[: len(train) - drop_bytes])
    (data / "train-labels-idx1-ubyte").write_bytes(idx_bytes(labels[:30]))
    (data / "t10k-images-idx3-ubyte").write_bytes(idx_bytes(images[30:]))
    (data / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(labels[30:]))
    return data


def npz(tmp: Path, X, y, name="data.npz") -> Path:
    np.savez(tmp / name, X=X, y=y)
    return tmp / name


def write(tmp: Path, name: str, text: str) -> Path:
    (tmp / name).write_text(text)
    return tmp / name


RNG = np.random.default_rng(0)
TABULAR = RNG.normal(size=(60, 13))
BEYOND_FLOAT32 = np.where(np.arange(13) == 0, 1e300, TABULAR)  # finite, too big for float32

# (id, argv builder taking tmp_path, fragments expected in the error line)
USAGE_CASES = [
    ("missing-path", lambda t: ["--data", t / "nope.csv"], ["nope.csv", "no such file"]),
    ("unsupported-suffix", lambda t: ["--data", write(t, "d.txt", "1,2\n")], ["unsupported"]),
    ("idx-empty-dir", lambda t: ["--data", (t / "e").mkdir() or t / "e"], ["train-images"]),
    ("idx-bad-magic", lambda t: ["--data", idx_dir(t, images_magic=0x0801)], ["magic"]),
    ("idx-truncated", lambda t: ["--data", idx_dir(t, drop_bytes=5)], ["truncated"]),
    (
        "csv-non-numeric",
        lambda t: ["--data", write(t, "d.csv", "a,b,label\n1,x,0\n2,3,1\n")],
        ["non-numeric", "'x'"],
    ),
    (
        "csv-missing-target",
        lambda t: ["--data", write(t, "d.csv", "a,b,label\n1,2,0\n2,3,1\n"), "--target", "y"],
        ["'y'", "--target"],
    ),
    (
        "labels-one-based",
        lambda t: ["--data", npz(t, TABULAR, np.arange(60) % 3 + 1)],
        ["0..K-1", "from 1 to 3", "subtract 1"],
    ),
    (
        "labels-huge",
        lambda t: ["--data", npz(t, TABULAR[:50], np.array([0] * 49 + [10**9]))],
        ["1000000000", "remap", "0..K-1"],
    ),
    (
        "labels-sparse",
        lambda t: ["--data", npz(t, TABULAR, np.arange(60) % 2 * 40)],
        ["41 classes", "2 distinct labels", "remap"],
    ),
    (
        "labels-fractional",
        lambda t: ["--data", npz(t, TABULAR, np.arange(60) % 3 + 0.5)],
        ["integers"],
    ),
    (
        "labels-negative",
        lambda t: ["--data", npz(t, TABULAR, np.arange(60) % 3 - 1)],
        [">= 0"],
    ),
    (
        "cnn-on-tabular",
        lambda t: ["--data", npz(t, TABULAR, np.arange(60) % 3), "--model", "cnn"],
        ["cnn", "13 features", "square"],
    ),
    (
        "cnn-too-deep",
        lambda t: ["--model", "cnn", "--channels", "8,8,8,8"],
        ["--model cnn", "4 conv blocks"],
    ),
    ("unknown-model", lambda t: ["--model", "rnn"], ["--model", "rnn"]),
    ("unknown-activation", lambda t: ["--activation", "swish"], ["--activation", "swish"]),
    ("unknown-flag", lambda t: ["--learning-rate", "1"], ["--learning-rate"]),
    ("bad-hidden", lambda t: ["--hidden", "12,x"], ["--hidden", "12,x"]),
    ("zero-hidden", lambda t: ["--hidden", "0"], ["--hidden", "positive"]),
    ("negative-lr", lambda t: ["--lr", "-1"], ["--lr must be > 0"]),
    ("nan-lr", lambda t: ["--lr", "nan"], ["--lr must be finite"]),
    ("zero-epochs", lambda t: ["--epochs", "0"], ["--epochs must be >= 1"]),
    ("val-fraction-one", lambda t: ["--val-fraction", "1"], ["--val-fraction must be"]),
    ("name-nested", lambda t: ["--name", "a/b"], ["--name 'a/b'", "--out DIR"]),
    ("name-escapes", lambda t: ["--name", "../../x"], ["--name '../../x'", "'..'"]),
    ("name-backslash", lambda t: ["--name", "a\\b"], ["--name", "'\\'"]),
    (
        "config-missing",
        lambda t: ["--config", t / "run.toml"],
        ["run.toml", "not found"],
    ),
    (
        "config-not-toml",
        lambda t: ["--config", write(t, "run.toml", "epochs = = 3\n")],
        ["run.toml", "invalid TOML"],
    ),
    (
        "config-unknown-key",
        lambda t: ["--config", write(t, "run.toml", "epoch = 3\n")],
        ["run.toml", "unknown option 'epoch'"],
    ),
    (
        "config-wrong-type",
        lambda t: ["--config", write(t, "run.toml", 'epochs = "many"\n')],
        ["run.toml", "epochs must be a number"],
    ),
    (
        "target-with-digits",
        lambda t: ["--target", "y"],
        ["--target names the label column of a .csv", "built-in digits", "drop --target"],
    ),
    (
        "target-with-npz",
        lambda t: ["--data", npz(t, TABULAR, np.arange(60) % 3), "--target", "y"],
        ["--target", "data.npz", "no columns"],
    ),
    ("hidden-huge", lambda t: ["--hidden", "100000000"], ["parameters", "GiB", "--hidden"]),
    (
        "npz-beyond-float32",
        lambda t: ["--data", npz(t, BEYOND_FLOAT32, np.arange(60) % 3)],
        ["value 1e+300 at index (0, 0) is beyond float32's range", "rescale"],
    ),
    ("on-nan-unknown", lambda t: ["--on-nan", "ignore"], ["--on-nan", "'ignore'"]),
    (
        "config-bad-choice",
        lambda t: ["--config", write(t, "run.toml", 'optimizer = "lbfgs"\n')],
        ["optimizer must be one of adam, adamw, sgd"],
    ),
]


@pytest.mark.parametrize(
    "make_args, fragments", [c[1:] for c in USAGE_CASES], ids=[c[0] for c in USAGE_CASES]
)
def test_bad_usage_or_data_exits_2_with_one_error_line(tmp_path, make_args, fragments):
    out = tmp_path / "run"
    # The case's own arguments come last, so they win over these defaults.
    code, stdout, stderr = run_cli("train", "--out", out, "--epochs", 1, *make_args(tmp_path))
    assert code == 2
    assert_one_error_line(stderr, *fragments)
    assert stdout == ""
    assert not out.exists()  # nothing is written before the input has been checked


def test_run_name_cannot_leave_the_runs_directory(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    code, stdout, stderr = run_cli("train", "--name", "../../escaped", "--epochs", 1, "--quiet")
    assert code == 2
    assert_one_error_line(stderr, "--name", "'..'")
    assert stdout == ""
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["work"]


def test_existing_output_directory_is_refused_without_overwrite(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    code, stdout, stderr = run_cli("train", "--out", out, "--epochs", 1)
    assert code == 2
    assert_one_error_line(stderr, str(out), "--overwrite")
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_overwrite_refused_by_a_later_check_keeps_the_previous_run(tmp_path):
    out = tmp_path / "run"
    code, _, stderr = run_cli("train", "--out", out, "--epochs", 1, "--hidden", 8, "--quiet")
    assert code == 0, stderr
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    # Four conv blocks halve 8x8 digits below 1x1: refused while building the model.
    code, _, stderr = run_cli(
        "train", "--out", out, "--overwrite", "--model", "cnn", "--channels", "8,8,8,8"
    )
    assert code == 2
    assert_one_error_line(stderr, "--model cnn", "4 conv blocks")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("errors") / "run"
    code, _, stderr = run_cli("train", "--out", out, "--epochs", 2, "--hidden", 16, "--quiet")
    assert code == 0, stderr
    return out


def test_resume_needs_a_run_directory(tmp_path):
    code, _, stderr = run_cli("train", "--resume", tmp_path / "no-run")
    assert code == 2
    assert_one_error_line(stderr, "no such run directory")
    code, _, stderr = run_cli("train", "--resume", tmp_path)
    assert code == 2
    assert_one_error_line(stderr, "last.safetensors")


def test_resume_refuses_changed_options_and_fewer_epochs(finished_run):
    code, _, stderr = run_cli("train", "--resume", finished_run, "--lr", 0.1)
    assert code == 2
    assert_one_error_line(stderr, "--resume", "--lr")
    code, _, stderr = run_cli("train", "--resume", finished_run, "--epochs", 1)
    assert code == 2
    assert_one_error_line(stderr, "already trained 2 epochs")


def test_resume_refuses_changed_data(tmp_path):
    X, y = load_digits()
    data = npz(tmp_path, X[:300], y[:300])
    out = tmp_path / "run"
    code, _, stderr = run_cli("train", "--data", data, "--out", out, "--epochs", 1, "--quiet")
    assert code == 0, stderr
    npz(tmp_path, X[300:600], y[300:600])
    code, _, stderr = run_cli("train", "--resume", out, "--epochs", 2)
    assert code == 2
    assert_one_error_line(stderr, "data changed")


def test_eval_without_data_refuses_changed_data(tmp_path):
    X, y = load_digits()
    data = tmp_path / "digits.csv"
    header = ",".join([f"px{i}" for i in range(64)] + ["label"])
    rows = [",".join([*(str(int(v)) for v in x), str(t)]) for x, t in zip(X, y)]
    data.write_text(header + "\n" + "\n".join(rows[:300]) + "\n")
    out = tmp_path / "run"
    code, _, stderr = run_cli("train", "--data", data, "--out", out, "--epochs", 1, "--quiet")
    assert code == 0, stderr
    with data.open("a") as f:  # more rows: the rebuilt "test split" would be other samples
        f.write("\n".join(rows[300:400]) + "\n")
    code, stdout, stderr = run_cli("eval", out)
    assert code == 2
    assert_one_error_line(stderr, "digits.csv", "data changed", "pass --data")
    assert stdout == ""


def test_non_finite_loss_stops_with_status_1_and_keeps_a_good_checkpoint(tmp_path):
    out = tmp_path / "run"
    # An absurd step size overflows the float32 weights within a few steps.
    code, _, stderr = run_cli(
        "train", "--optimizer", "sgd", "--lr", 1e38, "--out", out, "--epochs", 2, "--quiet"
    )
    assert code == 1
    assert_one_error_line(stderr, "loss became", "epoch 1, step", "smaller learning rate", "--lr")
    arrays, meta = load_checkpoint(out / "last.safetensors")
    assert meta["epoch"] == 0
    assert all(np.isfinite(a).all() for a in arrays.values())


def saved(path: Path, arrays: dict, meta: dict | None = None) -> Path:
    if meta is None:
        save(arrays, path)
    else:
        save_checkpoint(path, arrays, meta)
    return path


def reshaped_copy(tmp: Path, run: Path) -> Path:
    """The run's checkpoint with its first weight matrix cut in half."""
    arrays, meta = load_checkpoint(run / "last.safetensors")
    arrays["model/0.weight"] = arrays["model/0.weight"][:8]
    return saved(tmp / "cut.safetensors", arrays, meta)


EVAL_CASES = [
    ("missing", lambda t, run: ["eval", t / "nothing"], ["no such run directory or checkpoint"]),
    (
        "not-safetensors",
        lambda t, run: ["eval", write(t, "w.safetensors", "hello world, not weights")],
        ["w.safetensors"],
    ),
    (
        "wrong-feature-count",
        lambda t, run: ["eval", run, "--data", npz(t, TABULAR, np.arange(60) % 3)],
        ["13 features", "64"],
    ),
    (
        "labels-beyond-classes",
        lambda t, run: ["eval", run, "--data", npz(t, RNG.normal(size=(20, 64)), np.arange(20))],
        ["19", "10 classes"],
    ),
    (
        "predict-wrong-features",
        lambda t, run: ["predict", run, npz(t, TABULAR, np.arange(60) % 3)],
        ["13 features"],
    ),
    (
        "predict-no-X",
        lambda t, run: ["predict", run, (np.savez(t / "z.npz", Y=TABULAR), t / "z.npz")[1]],
        ["no array named 'X'"],
    ),
    (
        "predict-npz-not-zip",
        lambda t, run: ["predict", run, write(t, "in.npz", "not an archive\n")],
        ["in.npz", "not an .npz archive (no zip signature)", "np.savez"],
    ),
    (
        "predict-npy-as-npz",
        lambda t, run: [
            "predict",
            run,
            (np.save(t / "a.npy", TABULAR), (t / "a.npy").rename(t / "a.npz"))[1],
        ],
        ["a.npz", "single-array .npy"],
    ),
    (
        "predict-non-numeric-csv",
        lambda t, run: ["predict", run, write(t, "in.csv", "a,b\n1,2\n3,oops\n")],
        ["line 3", "'oops'"],
    ),
    (
        "plain-safetensors",
        lambda t, run: ["eval", saved(t / "plain.safetensors", {"w": np.zeros(3)})],
        ["plain safetensors"],
    ),
    (
        "weights-do-not-fit",
        lambda t, run: ["predict", reshaped_copy(t, run), npz(t, TABULAR, np.arange(60) % 3)],
        ["invalid checkpoint metadata", "model/0.weight is float32 (8, 64)", "(16, 64)"],
    ),
    ("explain-unknown", lambda t, run: ["explain", "tanhh"], ["'tanhh'", "tanh"]),
    (
        "eval-target-digits",
        lambda t, run: ["eval", run, "--target", "y"],
        ["--target", "'digits'", "drop --target"],
    ),
    (
        "predict-beyond-float32",
        lambda t, run: ["predict", run, write(t, "big.csv", "a,b\n1,2\n3,1e300\n")],
        ["big.csv", "1e+300", "beyond float32's range"],
    ),
]


@pytest.mark.parametrize(
    "make_args, fragments", [c[1:] for c in EVAL_CASES], ids=[c[0] for c in EVAL_CASES]
)
def test_bad_eval_predict_explain_input_exits_2(tmp_path, finished_run, make_args, fragments):
    code, stdout, stderr = run_cli(*make_args(tmp_path, finished_run))
    assert code == 2
    assert_one_error_line(stderr, *fragments)
    assert stdout == ""


def test_console_entry_point_prints_no_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "chainrule", "train", "--data", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert_one_error_line(result.stderr, "missing", "no such file")


def test_semicolon_csv_hint_names_no_option_the_cli_lacks(tmp_path):
    data = write(tmp_path, "d.csv", "a;b;label\n1;2;0\n3;4;1\n")
    code, _, stderr = run_cli("train", "--data", data, "--out", tmp_path / "run")
    assert code == 2
    assert_one_error_line(stderr, "separate fields with ';'", "comma-separated files only")
    assert "delimiter=" not in stderr and "--delimiter" not in stderr


def test_ctrl_c_while_the_package_imports_is_one_line(tmp_path):
    # The console script's module catches a KeyboardInterrupt raised by chainrule's own
    # imports (here a stand-in package that raises it as the keys would).
    fake = tmp_path / "chainrule"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise KeyboardInterrupt\n")
    launcher = Path(__file__).resolve().parents[1] / "src"
    env = {"PYTHONPATH": f"{tmp_path}:{launcher}", "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-c", "import sys, _chainrule_cli; sys.exit(_chainrule_cli.main())"],
        capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 130
    assert done.stderr == "error: interrupted\n"
