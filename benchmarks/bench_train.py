"""The main job end to end: ``chainrule train`` with no options (30 epochs on the digits).

Runs the command exactly as a user would, in a fresh interpreter, and reports its test
accuracy, its own training time (results.json) and the wall time of the whole process
(start-up, data, training, evaluation, plots). When scikit-learn is importable, trains
its MLPClassifier with the same architecture, optimizer, learning rate, batch size and
epochs on the same standardized split, in the same run, as a reference.

    python benchmarks/bench_train.py [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

try:
    from .common import machine
except ImportError:  # run as a script
    from common import machine  # noqa: I001

from chainrule.cli import config as cfg
from chainrule.cli.inputs import prepare

try:  # optional reference, never a dependency
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
except ImportError:
    MLPClassifier = None

TARGET_ACCURACY = 0.97
TARGET_SECONDS = 60.0


def chainrule_run(out: Path) -> dict:
    """Run ``chainrule train`` with default options in a new process; return its results."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "chainrule", "train", "--quiet", "--out", str(out)],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"chainrule train failed ({proc.returncode}): {proc.stderr.strip()}")
    results = json.loads((out / "results.json").read_text())
    return {**results, "process_s": wall}


def sklearn_run(config: dict) -> dict:
    """MLPClassifier with the default run's architecture and schedule, on the same split."""
    prepared = prepare(config)
    X, y = prepared.splits["train"]
    X_test, y_test = prepared.splits["test"]
    model = MLPClassifier(
        hidden_layer_sizes=tuple(config["hidden"]),
        activation=config["activation"],
        solver="adam",
        alpha=0.0,  # no L2 penalty, like the default run
        batch_size=config["batch_size"],
        learning_rate_init=config["lr"],
        max_iter=config["epochs"],
        shuffle=True,
        random_state=config["seed"],
        tol=0.0,
        n_iter_no_change=config["epochs"] + 1,  # train every epoch, no early stop
    )
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    seconds = time.perf_counter() - t0
    return {"test_accuracy": float((model.predict(X_test) == y_test).mean()), "train_s": seconds}


def main(repeats: int = 3) -> dict:
    """Run the comparison, print it, and return the figures."""
    config = cfg.defaults()
    print(f"machine: {machine()}")
    print(
        f"default run: {config['model']} 64-{'-'.join(map(str, config['hidden']))}-10 "
        f"{config['activation']}, {config['optimizer']} lr {config['lr']:g}, batch "
        f"{config['batch_size']}, {config['epochs']} epochs, label smoothing "
        f"{config['label_smoothing']:g}, seed {config['seed']}"
    )
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeats):
            runs.append(chainrule_run(Path(tmp) / f"run{i}"))
    accuracy = runs[0]["test_accuracy"]
    assert all(r["test_accuracy"] == accuracy for r in runs), "the seeded run is not reproducible"
    train_s = float(np.median([r["wall_time_s"] for r in runs]))
    process_s = float(np.median([r["process_s"] for r in runs]))
    print(
        f"chainrule train: test accuracy {accuracy:.4f} ({runs[0]['test_samples']} samples), "
        f"training {train_s:.2f}s, whole process {process_s:.2f}s (median of {repeats})"
    )
    ok = accuracy >= TARGET_ACCURACY and process_s < TARGET_SECONDS
    print(
        f"target: >= {TARGET_ACCURACY:.0%} test accuracy in under {TARGET_SECONDS:.0f}s: "
        f"{'PASS' if ok else 'FAIL'}"
    )
    result = {"test_accuracy": accuracy, "train_s": train_s, "process_s": process_s}
    if MLPClassifier is None:
        print("scikit-learn is not installed: no MLPClassifier reference")
        return result
    reference = [sklearn_run(config) for _ in range(repeats)]
    ref_s = float(np.median([r["train_s"] for r in reference]))
    print(
        f"scikit-learn MLPClassifier (same layers, adam, lr, batch, epochs; no label "
        f"smoothing): test accuracy {reference[0]['test_accuracy']:.4f}, training "
        f"{ref_s:.2f}s; chainrule/sklearn training time ratio {train_s / ref_s:.2f}"
    )
    faster = train_s < ref_s and accuracy >= reference[0]["test_accuracy"]
    print(f"target: faster than scikit-learn at equal or better accuracy: "
          f"{'PASS' if faster else 'FAIL'}")
    result.update(sklearn_accuracy=reference[0]["test_accuracy"], sklearn_train_s=ref_s)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of each (median reported)")
    main(parser.parse_args().repeats)
