"""The BLAS thread policy (chainrule.threads) on an idle and on a busy machine.

Every figure comes from fresh interpreters started without OPENBLAS_NUM_THREADS,
OMP_NUM_THREADS or MKL_NUM_THREADS, so the BLAS starts with its own default (every
core), as it does for a user:

* ``chainrule train`` with default options, whole process, on the idle machine and with
  one CPU-bound process per core running beside it (busy); target: busy <= 1.5x idle.
  Beside it, the same ratio for a CPU-bound single-threaded Python loop: what the
  machine itself does to one thread when every core is shared.
* a 784-2048-2048-10 MLP SGD step at batch 1024 on the idle machine, under the policy,
  with one thread (``cr.set_num_threads(1)``), and with every product on every thread
  (the policy's threshold set to 0); target: the policy keeps the threaded speed-up
  (within 10% of every-product-threaded).
* ``--sizes``: the measurements behind the threshold: one float32 product of each size
  with one and with two threads, each followed by ~50 us of small NumPy calls as in a
  training step, idle and busy.
* ``--off``: also ``chainrule train`` with the policy switched off (threshold 0: the
  BLAS's default threads for every product), idle and busy.

    python benchmarks/bench_threads.py [--repeats N] [--sizes] [--off]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager

try:
    from .common import load, machine, others
except ImportError:  # run as a script
    from common import load, machine, others

HOG = "while True: pass"
PINNED = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

TRAIN = """
import sys
import chainrule.threads as t
t.PARALLEL_WORK = {work}
from chainrule.cli import main
sys.exit(main(["train", "--quiet", "--out", {out!r}]))
"""

FLOOR = """
import time
t = time.perf_counter()
s = 0
for i in range(4_000_000):
    s += i * i
print(time.perf_counter() - t)
"""

MLP = """
import json, time
import numpy as np
import chainrule as cr
import chainrule.nn as nn
import chainrule.threads as t

rng = np.random.default_rng(0)
X = rng.standard_normal((1024, 784)).astype(np.float32)
y = rng.integers(0, 10, 1024)
model = nn.Sequential(nn.Linear(784, 2048, rng=0), nn.Tanh(), nn.Linear(2048, 2048, rng=1),
                      nn.Tanh(), nn.Linear(2048, 10, rng=2))
opt = cr.optim.SGD(model.parameters(), lr=1e-3)

def step():
    opt.zero_grad()
    cr.cross_entropy(model(X), y).backward()
    opt.step()

policy = t.PARALLEL_WORK
def policy_on():
    t.PARALLEL_WORK = policy
    step()
def one_thread():
    with cr.set_num_threads(1):
        step()
def all_products_threaded():
    t.PARALLEL_WORK = 0
    step()
    t.PARALLEL_WORK = policy

cases = {{"policy": policy_on, "one thread": one_thread,
         "every product threaded": all_products_threaded}}
for fn in cases.values():
    fn()
samples = {{name: [] for name in cases}}
for _ in range({repeats}):
    for name, fn in cases.items():
        t0 = time.perf_counter()
        fn()
        samples[name].append(time.perf_counter() - t0)
print(json.dumps({{"threads": cr.get_num_threads(),
                  **{{k: float(np.median(v)) for k, v in samples.items()}}}}))
"""

SIZES = """
import json, time
import numpy as np
import threadpoolctl

lib = threadpoolctl.ThreadpoolController().select(user_api="blas").lib_controllers[0]
rng = np.random.default_rng(0)
small = rng.standard_normal((32, 32)).astype(np.float32)

def gap():  # ~50 us of small NumPy calls between products, as in a training step
    a = small
    for _ in range(20):
        a = np.tanh(a) * 0.5 + small

out = {{}}
for e in {exponents}:
    n = round(2 ** (e / 3))
    a = rng.standard_normal((n, n)).astype(np.float32)
    reps = max(5, int(2e9 / n ** 3))
    samples = {{1: [], 2: []}}
    for threads in (1, 2):
        lib.set_num_threads(threads)
        a @ a
    for _ in range(5):
        for threads in (1, 2):
            lib.set_num_threads(threads)
            t0 = time.perf_counter()
            for _ in range(reps):
                a @ a
                gap()
            samples[threads].append((time.perf_counter() - t0) / reps)
    out[e] = [float(np.median(samples[1])), float(np.median(samples[2]))]
print(json.dumps(out))
"""


def _env():
    env = {k: v for k, v in os.environ.items() if k not in PINNED}
    return env


def _python(code, timeout=600):
    """Run ``code`` in a fresh interpreter with the BLAS's default threads; (seconds, stdout)."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=_env(), timeout=timeout)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"benchmark subprocess failed: {proc.stderr.strip()[-2000:]}")
    return seconds, proc.stdout


@contextmanager
def busy(n=None):
    """One CPU-bound process per core (or ``n``) for the duration of the block."""
    hogs = [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(n or os.cpu_count())]
    try:
        time.sleep(0.5)
        yield
    finally:
        for p in hogs:
            p.kill()
        for p in hogs:
            p.wait()


def _train(work):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run")
        seconds, _ = _python(TRAIN.format(work=work, out=out))
        with open(os.path.join(out, "results.json")) as f:
            return seconds, json.load(f)["wall_time_s"]


def train_idle_busy(repeats=3, off=False):
    """Median whole-process and training seconds of the default run, idle and busy."""
    from chainrule.threads import PARALLEL_WORK

    variants = {"policy": PARALLEL_WORK}
    if off:
        variants["policy off"] = 0
    runs = {f"{v} {m}": [] for v in variants for m in ("idle", "busy")}
    floor = {"idle": [], "busy": []}
    with others() as quiet:
        for _ in range(repeats):
            for name, work in variants.items():
                runs[f"{name} idle"].append(_train(work))
            floor["idle"].append(float(_python(FLOOR)[1]))
    for _ in range(repeats):
        with busy():
            for name, work in variants.items():
                runs[f"{name} busy"].append(_train(work))
            floor["busy"].append(float(_python(FLOOR)[1]))
    result = {name: {"process_s": statistics.median(r[0] for r in v),
                     "train_s": statistics.median(r[1] for r in v)} for name, v in runs.items()}
    result["floor"] = {m: statistics.median(v) for m, v in floor.items()}
    result["others_idle"] = quiet.cores
    return result


def mlp_2048(repeats=5):
    with others() as o:
        _, out = _python(MLP.format(repeats=repeats))
    return {**json.loads(out.strip().splitlines()[-1]), "others": o.cores}


def sizes(exponents=(18, 21, 23, 24, 25, 26, 27, 28, 30), busy_too=True):
    """Seconds per (product + gap) with one and two threads, per log2(multiply-adds)."""
    result = {"idle": json.loads(_python(SIZES.format(exponents=list(exponents)))[1])}
    if busy_too:
        with busy():
            result["busy"] = json.loads(_python(SIZES.format(exponents=list(exponents)))[1])
    return result


def main(repeats=3, with_sizes=False, off=False):
    print(f"machine: {machine()}, {os.cpu_count()} cores, {load()}; fresh interpreters with "
          f"the BLAS's default threads; busy = {os.cpu_count()} CPU-bound processes beside it")
    results = {}
    train = train_idle_busy(repeats, off)
    results["train"] = train
    for variant in ("policy", "policy off"):
        if f"{variant} idle" not in train:
            continue
        idle, hot = train[f"{variant} idle"], train[f"{variant} busy"]
        ratio = hot["process_s"] / idle["process_s"]
        print(f"chainrule train ({variant}), whole process: idle (other processes used "
              f"{train['others_idle']:.1f} cores) {idle['process_s']:.2f} s "
              f"(training {idle['train_s']:.2f} s), busy {hot['process_s']:.2f} s (training "
              f"{hot['train_s']:.2f} s): {ratio:.2f}x idle"
              + (f"  target <= 1.5x: {'PASS' if ratio <= 1.5 else 'FAIL'}"
                 if variant == "policy" else ""))
    floor = train["floor"]
    print(f"  the machine itself: a single-threaded Python loop takes "
          f"{floor['busy'] / floor['idle']:.2f}x its idle time when busy ({floor['idle']:.2f} s "
          f"-> {floor['busy']:.2f} s)")
    results["train_busy_over_idle"] = (train["policy busy"]["process_s"]
                                       / train["policy idle"]["process_s"])

    mlp = mlp_2048()
    results["mlp_2048"] = mlp
    speedup = mlp["one thread"] / mlp["policy"]
    keep = mlp["policy"] / mlp["every product threaded"]
    print(f"MLP 784-2048-2048-10 SGD step, batch 1024, idle (other processes used "
          f"{mlp['others']:.1f} cores), limit {mlp['threads']} threads: "
          f"policy {mlp['policy'] * 1e3:.0f} ms, one thread {mlp['one thread'] * 1e3:.0f} ms "
          f"({speedup:.2f}x speed-up), every product threaded "
          f"{mlp['every product threaded'] * 1e3:.0f} ms; policy/every-product-threaded "
          f"{keep:.2f}  target <= 1.10: {'PASS' if keep <= 1.10 else 'FAIL'}")

    if with_sizes:
        table = sizes()
        results["sizes"] = table
        print("one float32 product + ~50 us of small NumPy calls, one vs two threads "
              "(1T/2T > 1: two threads faster):")
        for e in table["idle"]:
            cells = []
            for mode in table:
                one, two = table[mode][e]
                cells.append(f"{mode} {one * 1e6:8.0f} / {two * 1e6:8.0f} us = {one / two:4.2f}")
            print(f"  2^{e} multiply-adds: " + "; ".join(cells))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of each (median reported)")
    parser.add_argument("--sizes", action="store_true", help="also time products by size")
    parser.add_argument("--off", action="store_true", help="also train with the policy off")
    args = parser.parse_args()
    main(args.repeats, args.sizes, args.off)
