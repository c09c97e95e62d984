"""Run chainrule's benchmark suite, print a table with PASS/FAIL per target, write results.json.

    python -m benchmarks            # from the repository root
    python benchmarks/run.py

Every figure is a median over interleaved repetitions, reported as a ratio to a
reference measured in the same run. PyTorch columns appear when torch is importable,
JAX columns (op by op, and jit-compiled) when jax is.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # see benchmarks/engine.py
os.environ.setdefault("OMP_NUM_THREADS", "1")

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "benchmarks"

from . import (  # noqa: E402
    bench_cnn,
    bench_linalg,
    bench_resnet,
    bench_threads,
    bench_train,
    bench_vmap,
    engine,
    nn_path,
    system,
)
from .common import machine, verdict  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def main(repeats=20):
    print(f"chainrule benchmarks on {machine()}, {os.cpu_count()} cores, "
          f"BLAS threads: {os.environ['OPENBLAS_NUM_THREADS']}\n")
    results = {"machine": machine()}
    results["engine"] = engine.main(repeats=repeats)
    print()
    results["nn_path"] = nn_path.main(repeats=repeats)
    print()
    results["train"] = bench_train.main(repeats=3)
    print()
    results["transforms"] = bench_vmap.main(repeats=10)
    print()
    results["linalg"] = bench_linalg.main(repeats=repeats)
    # These two start their own interpreters with the BLAS's default threads (the
    # pinned variables above removed): they measure thread counts.
    print()
    results["threads"] = bench_threads.main(repeats=3)
    print()
    results["cnn"] = bench_cnn.main(repeats=15)
    print()
    results["resnet"] = bench_resnet.main(repeats=15)

    imp = system.import_time()
    results["import_s"] = imp
    print(f"\nimport chainrule: {imp['chainrule'] * 1e3:.0f} ms (import numpy: "
          f"{imp['numpy'] * 1e3:.0f} ms)  target < 250 ms: {verdict(imp['chainrule'], 0.25)}")

    mem = system.memory_growth()
    results["peak_rss_mib"] = mem
    grow = mem[2000] / mem[200]
    print(f"peak RSS after 200 / 2000 MLP steps: {mem[200]:.0f} / {mem[2000]:.0f} MiB "
          f"(x{grow:.3f})  target no growth (<= 1.05): {verdict(grow, 1.05)}")

    torch_mib = system.torch_peak_rss()
    if torch_mib is not None:
        results["torch_peak_rss_mib"] = torch_mib
        print(f"peak RSS of the same 200 steps in PyTorch: {torch_mib:.0f} MiB "
              f"(chainrule {mem[200]:.0f} MiB)")

    path = os.path.join(HERE, "results.json")
    with open(path, "w") as f:
        json.dump(results, f, indent=2)
    print(f"\nwrote {path}")
    return results


if __name__ == "__main__":
    main()
