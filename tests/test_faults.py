"""Fault injection: concurrent runs, SIGKILL at random moments, a full disk, corrupt files.

What docs/cli.md promises after a crash is checked here against real ``chainrule``
processes. CI runs a few rounds of each; more on demand:

    CHAINRULE_FAULT_ROUNDS=50 python -m pytest tests/test_faults.py

Random moments come from seeded generators, so a failing round can be replayed (its
seed is in the assertion message). A full disk is simulated with RLIMIT_FSIZE, which
needs no root: a write past the limit fails with EFBIG (Python ignores SIGXFSZ).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from chainrule.cli import main
from chainrule.cli.checkpoints import read_checkpoint
from chainrule.cli.config import tomllib
from chainrule.cli.rundir import RUN_FILES, RunDirLock
from chainrule.data import load_digits
from chainrule.io import load
from chainrule.io.atomic import is_temporary

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and rlimits")

ROUNDS = int(os.environ.get("CHAINRULE_FAULT_ROUNDS", "3"))
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chainrule(*argv) -> list[str]:
    return [sys.executable, "-m", "chainrule", *(str(a) for a in argv)]


def run_cli(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def file_size_limit(limit: int):
    """A preexec_fn that caps the size of every file the child writes."""
    import resource

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def temporaries(directory: Path) -> list[str]:
    return sorted(
        p.name for p in directory.iterdir() if any(is_temporary(p.name, f) for f in RUN_FILES)
    )


def assert_run_files_whole(run_dir: Path) -> None:
    """Every run file present parses completely: no file is ever half-written."""
    for name in RUN_FILES:
        path = run_dir / name
        if not path.exists():
            continue
        if name.endswith(".safetensors"):
            read_checkpoint(path, resumable=name == "last.safetensors")
        elif name == "config.toml":
            tomllib.loads(path.read_text())
        elif name == "results.json":
            json.loads(path.read_text())
        elif name == "metrics.csv":
            lines = path.read_text().splitlines()
            assert lines[0].startswith("epoch,") and all(len(x.split(",")) == 7 for x in lines)
        else:
            assert path.read_bytes().startswith(PNG_SIGNATURE)


# ---------------------------------------------------------------------------------------
# Two runs, one directory


# Each process imports everything, then waits for a line on stdin and calls the command's
# main: writing both lines at once starts the two commands within microseconds of each
# other, which is what makes a check-then-create race show (without the lock, both runs
# succeeded in about 1 round in 5 this way, 1 in 10 started plainly).
SYNCHRONIZED = (
    "import sys; from chainrule.cli import main; import chainrule.cli.train; "
    "sys.stdin.readline(); sys.exit(main(sys.argv[1:]))"
)


def test_two_runs_started_together_on_one_directory_exactly_one_wins(tmp_path):
    for round_ in range(4 * ROUNDS):
        out = tmp_path / f"same-{round_}"
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", SYNCHRONIZED, "train", "--out", str(out), "--epochs", "2",
                 "--hidden", "8", "--seed", str(seed), "--quiet"],  # fmt: skip
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for seed in (0, 1)
        ]
        for proc in procs:
            proc.stdin.write("go\n")
        for proc in procs:
            proc.stdin.flush()
        results = [(*p.communicate(timeout=120), p.returncode) for p in procs]
        results = [(code, out_, err) for out_, err, code in results]
        codes = sorted(code for code, _, _ in results)
        assert codes == [0, 2], f"round {round_}: {results}"
        winner = next(seed for seed, (code, _, _) in enumerate(results) if code == 0)
        _, _, stderr = next(r for r in results if r[0] == 2)
        assert len(stderr.splitlines()) == 1 and stderr.startswith(f"error: {out}: "), stderr
        assert (
            "another 'chainrule train' is writing to this run directory" in stderr
            or "already exists and is not empty" in stderr
        ), stderr
        # Everything in the directory is the winner's.
        assert tomllib.loads((out / "config.toml").read_text())["seed"] == winner
        for name in ("last.safetensors", "best.safetensors"):
            _, meta = read_checkpoint(out / name)
            assert meta["config"]["seed"] == winner
        assert json.loads((out / "results.json").read_text())["epochs"] == 2


def test_a_locked_run_directory_refuses_resume_and_overwrite(tmp_path):
    out = tmp_path / "run"
    code, _, stderr = run_cli("train", "--out", out, "--epochs", 1, "--hidden", 8, "--quiet")
    assert code == 0, stderr
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    lock = RunDirLock(out)  # as a run in progress holds it
    try:
        for argv in (("--resume", out, "--epochs", 2), ("--out", out, "--overwrite")):
            code, _, stderr = run_cli("train", *argv, "--quiet")
            assert code == 2
            assert "another 'chainrule train' is writing to this run directory" in stderr
    finally:
        lock.release()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


# ---------------------------------------------------------------------------------------
# SIGKILL


KILLED_RUN = ("--epochs", 40, "--hidden", 32, "--dropout", 0.1, "--scheduler", "cosine")


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("whole") / "run"
    code, _, stderr = run_cli("train", "--out", out, *KILLED_RUN, "--quiet")
    assert code == 0, stderr
    return load(out / "last.safetensors")


def test_sigkill_at_random_moments_leaves_whole_files_and_resumes_to_the_same_bits(
    tmp_path, uninterrupted
):
    rng = random.Random(18)
    for round_ in range(ROUNDS):
        delay = rng.uniform(0.0, 0.8)
        out = tmp_path / f"killed-{round_}"
        proc = subprocess.Popen(
            chainrule("train", "--out", out, *KILLED_RUN),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        # The first line is printed once the initial checkpoint is on disk.
        assert proc.stdout.readline().startswith("mlp 64-32-10 tanh dropout 0.1 on digits")
        try:
            proc.wait(timeout=delay)  # the random moment (or the run's natural end)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=60)
        proc.stdout.close()
        where = f"round {round_}, killed {delay:.3f} s after start-up"
        assert_run_files_whole(out)
        code, _, stderr = run_cli("train", "--resume", out, "--quiet")
        assert code == 0, f"{where}: {stderr}"
        assert temporaries(out) == [], where  # a killed write's temporary is cleared
        resumed = load(out / "last.safetensors")
        assert resumed.keys() == uninterrupted.keys()
        for key in uninterrupted:
            assert resumed[key].tobytes() == uninterrupted[key].tobytes(), f"{where}: {key}"


# ---------------------------------------------------------------------------------------
# A full disk


def test_predict_out_on_a_full_disk_keeps_the_previous_file(tmp_path):
    out = tmp_path / "run"
    code, _, stderr = run_cli("train", "--out", out, "--epochs", 1, "--hidden", 8, "--quiet")
    assert code == 0, stderr
    X, _ = load_digits()
    np.savez(tmp_path / "inputs.npz", X=X)
    predictions = tmp_path / "predictions.csv"
    predictions.write_text("earlier predictions\n")
    result = subprocess.run(
        chainrule("predict", out, tmp_path / "inputs.npz", "--out", predictions),
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=file_size_limit(16_000),  # the CSV is about 100 KB
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith(f"error: {predictions}: cannot write predictions: File too")
    assert len(result.stderr.splitlines()) == 1
    assert predictions.read_text() == "earlier predictions\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inputs.npz", "predictions.csv", "run"]


def test_training_on_a_full_disk_names_the_file_and_the_intact_checkpoint(tmp_path):
    out = tmp_path / "run"
    options = ("--hidden", 8, "--quiet")
    code, _, stderr = run_cli("train", "--out", out, "--epochs", 1, *options)
    assert code == 0, stderr
    last = out / "last.safetensors"
    # config.toml and metrics.csv fit under the limit; a checkpoint (about 14 KB) does not.
    result = subprocess.run(
        chainrule("train", "--resume", out, "--epochs", 3, "--quiet"),
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=file_size_limit(4_000),
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [
        f"error: {last}: cannot write: File too large; {last} (from epoch 1) is intact, the "
        f"last finite checkpoint and the one --resume continues from; free space (or fix "
        f"permissions) and resume with: chainrule train --resume {out}"
    ]
    _, meta = read_checkpoint(last, resumable=True)
    assert meta["epoch"] == 1
    assert temporaries(out) == []  # the failed write's temporary was removed
    assert_run_files_whole(out)
    code, _, stderr = run_cli("train", "--resume", out, "--epochs", 3, "--quiet")
    assert code == 0, stderr


# ---------------------------------------------------------------------------------------
# Corrupt and hostile checkpoint files


def test_corrupted_checkpoints_give_one_error_line_never_a_crash(tmp_path):
    out = tmp_path / "run"
    code, _, stderr = run_cli("train", "--out", out, "--epochs", 1, "--hidden", 8, "--quiet")
    assert code == 0, stderr
    good = (out / "last.safetensors").read_bytes()
    header_end = 8 + int.from_bytes(good[:8], "little")
    rng = np.random.default_rng(18)
    for case in range(10 * ROUNDS):
        data = bytearray(good)
        kind = ("truncate", "flip-header", "flip-length", "flip-payload")[case % 4]
        if kind == "truncate":
            data = data[: int(rng.integers(0, len(good)))]
        elif kind == "flip-header":
            data[int(rng.integers(8, header_end))] ^= 1 << int(rng.integers(0, 8))
        elif kind == "flip-length":
            data[int(rng.integers(0, 8))] ^= 1 << int(rng.integers(0, 8))
        else:
            data[int(rng.integers(header_end, len(good)))] ^= 1 << int(rng.integers(0, 8))
        bad = tmp_path / f"bad-{case}.safetensors"
        bad.write_bytes(bytes(data))
        started = time.perf_counter()
        code, stdout, stderr = run_cli("eval", bad)
        assert time.perf_counter() - started < 10
        if code == 0:  # a flipped bit among the weights is still a (different) model
            assert kind in ("flip-payload", "flip-header"), (case, kind)
            continue
        assert code == 2, (case, kind, stderr)
        # Usually about the file; a flipped letter in the saved --data path makes a valid
        # checkpoint of a run on other data, and the error is then about that data.
        assert len(stderr.splitlines()) == 1 and stderr.startswith("error: "), stderr
        assert "internal error" not in stderr and "Traceback" not in stderr


def test_eval_of_a_device_stops_at_once():
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    result = subprocess.run(
        chainrule("eval", "/dev/zero"), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr == (
        "error: /dev/zero: not a regular file (a device, pipe or socket); pass a .safetensors "
        "file\n"
    )
