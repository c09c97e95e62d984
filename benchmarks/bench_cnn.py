"""The MNIST-style convolutional training step against PyTorch eager, and its memory.

Model (PyTorch's MNIST example without dropout): Conv2d 1->32 3x3, ReLU, Conv2d
32->64 3x3, ReLU, MaxPool2d 2, Flatten, Linear 9216->128, ReLU, Linear 128->10;
cross-entropy, Adam, batch 64 of 28 x 28 images. One step is zero_grad, forward, loss,
backward and the optimizer's update.

Each configuration runs in a fresh interpreter: chainrule and PyTorch both limited to
the same number of threads (``cr.set_num_threads``, ``torch.set_num_threads``), timed
in turn (medians of interleaved repetitions), on the quiet machine and with one
CPU-bound process running beside it. "composition" is the same step with convolution
and pooling written as im2col -> matmul and a max over the window matrix (how
chainrule computed them before the conv2d and max_pool2d primitives), as a reference
for what those bought. Memory: the peak resident set of a fresh process over 20
steps, minus its size before the first step (model, optimizer and data in place).

    python benchmarks/bench_cnn.py [--repeats N] [--threads 1,2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

try:
    from .bench_threads import PINNED, busy
    from .common import machine, verdict
except ImportError:  # run as a script
    from bench_threads import PINNED, busy
    from common import machine, verdict

TARGETS = {1: 1.0, 2: 1.1}

SETUP = """
import json, sys, time
import numpy as np
import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule import primitives as P

THREADS = {threads}
cr.set_num_threads(THREADS)
rng = np.random.default_rng(0)
x = rng.standard_normal((64, 1, 28, 28)).astype(np.float32)
y = rng.integers(0, 10, 64)


def composition_conv(x, w, b):
    # The former functional.conv2d: windows, one matmul, bias, transpose.
    n = x.shape[0]
    cols = P.im2col(x, kernel_size=(3, 3), stride=(1, 1), padding=(0, 0), dilation=(1, 1))
    oh, ow = cols.shape[4:]
    out = P.reshape(P.matmul(P.reshape(w, (w.shape[0], -1)), P.reshape(cols, (-1, n * oh * ow))),
                    (w.shape[0], n, oh, ow)) + P.reshape(b, (-1, 1, 1, 1))
    return P.transpose(out, (1, 0, 2, 3))


def composition_pool(x):
    # The former functional.max_pool2d: a max over the window matrix.
    cols = P.im2col(x, kernel_size=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1),
                    pad_value=-np.inf)
    c, kh, kw, n, oh, ow = cols.shape
    return P.transpose(P.max(P.reshape(cols, (c, kh * kw, n, oh, ow)), axis=1), (1, 0, 2, 3))


class Composition(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.m = model

    def forward(self, x):
        c1, c2, l1, l2 = self.m[0], self.m[2], self.m[6], self.m[8]
        h = F.relu(composition_conv(x, c1.weight, c1.bias))
        h = composition_pool(F.relu(composition_conv(h, c2.weight, c2.bias)))
        return l2(F.relu(l1(P.reshape(h, (h.shape[0], -1)))))


def chainrule_model():
    r = np.random.default_rng(1)
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, rng=r), nn.ReLU(), nn.Conv2d(32, 64, 3, rng=r), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(9216, 128, rng=r), nn.ReLU(),
        nn.Linear(128, 10, rng=r),
    )


def training_step(model, opt, loss_fn, x, y):
    # The same lines for both libraries: their APIs agree here.
    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def chainrule_step(model):
    opt = cr.optim.Adam(model.parameters(), lr=1e-3)
    return training_step(model, opt, nn.CrossEntropyLoss(), x, y)


def torch_step(model):
    import torch
    torch.set_num_threads(THREADS)
    tm = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(9216, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10),
    )
    with torch.no_grad():
        for p, q in zip(tm.parameters(), model.parameters()):
            p.copy_(torch.from_numpy(q.data))
    opt = torch.optim.Adam(tm.parameters(), lr=1e-3)
    return training_step(tm, opt, torch.nn.CrossEntropyLoss(), torch.from_numpy(x),
                         torch.from_numpy(y))


def gemm_floor():
    # The step's matrix products alone, whole-batch, in the layouts chainrule uses.
    f32 = np.float32
    def pair(m, k, n):
        return rng.standard_normal((m, k)).astype(f32), rng.standard_normal((k, n)).astype(f32)
    products = [
        pair(32, 9, 64 * 26 * 26), pair(32, 64 * 26 * 26, 9),  # conv1 forward, weights
        pair(64, 288, 64 * 24 * 24), pair(64, 64 * 24 * 24, 288),  # conv2 forward, weights
        pair(288, 64, 64 * 24 * 24),  # conv2 input
        pair(64, 9216, 128), pair(128, 64, 9216), pair(64, 128, 9216),  # linear 9216 -> 128
        pair(64, 128, 10), pair(10, 64, 128), pair(64, 10, 128),  # linear 128 -> 10
    ]
    sizes = [a.shape[0] * a.shape[1] * b.shape[1] for a, b in products]

    def step():
        for (a, b), work in zip(products, sizes):
            cr.threads.use_for(work)
            a @ b
    return step


def peak_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return float(line.split()[1])


def rss_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return float(line.split()[1])
"""

TIMING = SETUP + """
model = chainrule_model()
cases = {{"chainrule": chainrule_step(model),
          "composition": chainrule_step(Composition(chainrule_model())),
          "GEMM floor": gemm_floor()}}
try:
    cases["torch"] = torch_step(chainrule_model())
except ImportError:
    pass
losses = {{k: float(f().item()) for k, f in cases.items() if k != "GEMM floor"}}
for f in cases.values():
    f()
samples = {{k: [] for k in cases}}
import chainrule.threads as threads
look = lambda: (time.monotonic(), threads.machine_busy() or 0.0, time.process_time())
start = look()
for _ in range({repeats}):
    for k, f in cases.items():
        t0 = time.perf_counter()
        f()
        samples[k].append(time.perf_counter() - t0)
others = threads.others_busy(start, look())  # cores used by other processes meanwhile
print(json.dumps({{"losses": losses, "others": others,
                  **{{k: float(np.median(v)) for k, v in samples.items()}}}}))
"""

MEMORY = SETUP + """
contender = {contender!r}
if contender == "torch":
    step = torch_step(chainrule_model())
elif contender == "composition":
    step = chainrule_step(Composition(chainrule_model()))
else:
    step = chainrule_step(chainrule_model())
before = rss_kib()
for _ in range(20):
    step()
print(json.dumps({{"before_mib": before / 1024, "peak_mib": peak_kib() / 1024}}))
"""


def _run(code):
    env = {k: v for k, v in os.environ.items() if k not in PINNED}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark subprocess failed: {proc.stderr.strip()[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def blas_kernels():
    """The CPU kernels NumPy's OpenBLAS chose (threadpoolctl's "architecture"), if known."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown"
    blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
    return ", ".join(str(i.get("architecture")) for i in blas) or "unknown"


def step_times(threads, repeats):
    t = _run(TIMING.format(threads=threads, repeats=repeats))
    # The contenders start from the same weights and data: their first losses agree.
    first = list(t["losses"].values())
    assert all(abs(v - first[0]) <= 1e-4 * abs(first[0]) for v in first), t["losses"]
    return t


def memory(contender):
    r = _run(MEMORY.format(threads=1, contender=contender))
    return {**r, "step_mib": r["peak_mib"] - r["before_mib"]}


def main(repeats=15, thread_counts=(1, 2)):
    print(f"machine: {machine()}, {os.cpu_count()} cores, BLAS kernels {blas_kernels()}")
    print("MNIST-style step (conv 1->32->64 3x3, max-pool 2, linear 9216->128->10, Adam, "
          "batch 64), chainrule against PyTorch eager with the same thread count:")
    results = {}
    have_torch = True
    for threads in thread_counts:
        for mode in ("quiet", "one busy process"):
            if mode == "quiet":
                t = step_times(threads, repeats)
            else:
                with busy(1):
                    t = step_times(threads, repeats)
            results[f"{threads} threads, {mode}"] = t
            line = (f"  {threads} thread{'s' if threads > 1 else ''}, {mode} (other processes "
                    f"used {t['others']:.1f} cores): chainrule "
                    f"{t['chainrule'] * 1e3:.1f} ms (composition {t['composition'] * 1e3:.1f} ms, "
                    f"its matrix products alone {t['GEMM floor'] * 1e3:.1f} ms)")
            if "torch" in t:
                ratio = t["chainrule"] / t["torch"]
                line += (f", PyTorch {t['torch'] * 1e3:.1f} ms: {ratio:.2f}x PyTorch (products "
                         f"alone {t['GEMM floor'] / t['torch']:.2f}x)  target "
                         f"<= {TARGETS[threads]}: {verdict(ratio, TARGETS[threads])}")
            else:
                have_torch = False
            print(line)
    contenders = ["chainrule", "composition"] + (["torch"] if have_torch else [])
    mem = {c: memory(c) for c in contenders}
    results["memory"] = mem
    print("  memory per step (peak RSS over 20 steps minus RSS before the first, 1 thread): "
          + ", ".join(f"{c} {m['step_mib']:.0f} MiB (peak {m['peak_mib']:.0f})"
                      for c, m in mem.items()))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed steps of each contender")
    parser.add_argument("--threads", default="1,2", help="thread counts to compare")
    args = parser.parse_args()
    main(args.repeats, tuple(int(t) for t in args.threads.split(",")))
