"""Decompositions: svd and eigh forward against NumPy's own call, and their backward.

    python benchmarks/bench_linalg.py

Forward: ``cnp.linalg.svd`` / ``eigh`` on a tensor that requires grad (the decomposition,
its factors packed and sliced back out, the graph recorded) against ``np.linalg.svd`` /
``eigh`` on the same array. Backward: one reverse pass (retained graph) of a loss that
uses every factor, through the decomposition's rule, against that forward. Targets
(issue 15): forward within 1.2x of NumPy's call, backward within 3x of the forward.
All measured in one run, the cases interleaved. Each figure is the minimum over the
repetitions (the median is printed beside it): on a shared machine a LAPACK call of a
few milliseconds is often preempted, which only ever adds time, and then the median
measures the other processes (np.linalg.svd of a 128 x 128 matrix took 2.2 ms or 8-14 ms
from one call to the next on this project's 2-core machine at load 7).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # see benchmarks/engine.py
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import chainrule as cr  # noqa: E402
import chainrule.numpy as cnp  # noqa: E402

try:
    from .common import interleaved, machine, verdict
except ImportError:  # run as a script
    from common import interleaved, machine, verdict

FORWARD_TARGET = 1.2
BACKWARD_TARGET = 3.0

# (label, shape, decomposition)
CASES = [
    ("svd 128x128", (128, 128), "svd"),
    ("svd 256x64 (reduced)", (256, 64), "svd"),
    ("svd 16 x 32x32", (16, 32, 32), "svd"),
    ("eigh 128x128", (128, 128), "eigh"),
    ("eigh 16 x 32x32", (16, 32, 32), "eigh"),
]


def _problem(shape, kind, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    if kind == "eigh":
        a = (a + np.swapaxes(a, -1, -2)) / 2

        def numpy_call():
            return np.linalg.eigh(a)

        def ours(x):
            return cnp.linalg.eigh(x)
    else:
        def numpy_call():
            return np.linalg.svd(a, full_matrices=False)

        def ours(x):
            return cnp.linalg.svd(x, full_matrices=False)

    weights = [rng.standard_normal(f.shape) for f in numpy_call()]
    return a, numpy_call, ours, weights


def _loss(factors, weights):
    total = None
    for f, w in zip(factors, weights):
        term = cnp.sum(f * w)
        total = term if total is None else total + term
    return total


def bench_case(shape, kind, repeats):
    a, numpy_call, ours, weights = _problem(shape, kind)
    x = cr.tensor(a, requires_grad=True)
    loss = _loss(ours(x), weights)
    loss.backward(retain_graph=True)  # warm the graph; later calls accumulate into x.grad
    cases = {
        "numpy": numpy_call,
        "forward": lambda: ours(x),
        "backward": lambda: loss.backward(retain_graph=True),
    }
    fastest = interleaved(cases, repeats=repeats, warmup=2, statistic=np.min)
    median = interleaved(cases, repeats=repeats, warmup=0)
    return fastest, median


def main(repeats=20):
    print(f"chainrule linear algebra benchmark on {machine()}")
    print("(minimum over interleaved repetitions; median in brackets)\n")
    print(f"  {'case':<22} {'NumPy':>16} {'forward':>16} {'backward':>16}   "
          f"forward/NumPy (<= {FORWARD_TARGET})   backward/forward (<= {BACKWARD_TARGET})")
    results = {}
    for label, shape, kind in CASES:
        t, med = bench_case(shape, kind, repeats)
        fwd = t["forward"] / t["numpy"]
        bwd = t["backward"] / t["forward"]
        cells = " ".join(f"{t[k] * 1e3:6.2f} ({med[k] * 1e3:5.2f})ms"
                         for k in ("numpy", "forward", "backward"))
        print(f"  {label:<22} {cells}   {fwd:5.2f} {verdict(fwd, FORWARD_TARGET):<4}"
              f"                    {bwd:5.2f} {verdict(bwd, BACKWARD_TARGET)}")
        results[label] = {"min_s": t, "median_s": med, "forward_ratio": fwd,
                          "backward_ratio": bwd}
    return results


if __name__ == "__main__":
    main()
