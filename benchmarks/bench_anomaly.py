"""Cost of the stability layer: anomaly mode on vs off, and the guards that are always on.

    python benchmarks/bench_anomaly.py

Anomaly mode checks every output and gradient and records the user's file:line for
each operation, so it is meant to be slow; what matters is that with it off the engine
pays only a None check per operation. Measured in one run, interleaved:

1. a chain of 200 small elementwise ops (forward + backward), where per-operation
   overhead dominates, and a 784-256-256-10 MLP training step (batch 128), where the
   array work dominates: anomaly mode off vs on;
2. the always-on guards, each against the engine with that guard switched off in
   process: the rewrite check on every log() call, and the strong-zero check in the
   backward pass of primitives whose derivative can be infinite (sqrt, divide, log).
"""

from __future__ import annotations

import numpy as np

import chainrule as cr
from chainrule import primitives as P

try:
    from .common import interleaved, machine
    from .engine import CHAIN, chain_chainrule, mlp_chainrule
except ImportError:  # run as a script
    from common import interleaved, machine  # noqa: I001
    from engine import CHAIN, chain_chainrule, mlp_chainrule

def _with_anomaly(run):
    def run_checked():
        with cr.detect_anomaly():
            run()

    return run_checked


def chain(anomaly):
    """The engine benchmark's 200-op chain (forward + backward)."""
    run = chain_chainrule()
    return _with_anomaly(run) if anomaly else run


def mlp(anomaly, batch=128):
    """The engine benchmark's 784-256-256-10 MLP SGD step."""
    step = mlp_chainrule(batch)
    return _with_anomaly(step) if anomaly else step


def logs():
    x = cr.tensor(np.random.default_rng(0).uniform(0.5, 2.0, 16), requires_grad=True)

    def run():
        y = x
        for _ in range(CHAIN):
            y = cr.log(y + 2.0)
        return y

    return run


def singular_chain():
    x = cr.tensor(np.random.default_rng(0).uniform(0.5, 2.0, 16), requires_grad=True)

    def run():
        y = x
        for _ in range(CHAIN // 4):
            y = cr.sqrt(y)
            y = y / 1.5
            y = cr.log(y + 2.0)
            y = y + 0.5
        x.grad = None
        y.sum().backward()

    return run


def without(attr, prims, fn):
    """Run fn with ``attr`` of each primitive switched off, then restore it."""

    def run():
        saved = [getattr(p, attr) for p in prims]
        for p in prims:
            setattr(p, attr, None if attr == "rewrite" else False)
        try:
            fn()
        finally:
            for p, v in zip(prims, saved):
                setattr(p, attr, v)

    return run


def main(repeats=20):
    print(f"machine: {machine()}")
    results = {}
    t = interleaved({"off": chain(False), "on": chain(True)}, repeats=repeats)
    results["chain"] = t["on"] / t["off"]
    print(f"chain of {CHAIN} small ops, forward+backward: anomaly mode on / off = "
          f"{results['chain']:.2f}x ({t['off'] / CHAIN * 1e6:.2f} -> "
          f"{t['on'] / CHAIN * 1e6:.2f} us/op)")
    t = interleaved({"off": mlp(False), "on": mlp(True)}, repeats=repeats)
    results["mlp"] = t["on"] / t["off"]
    print(f"MLP 784-256-256-10 step, batch 128: anomaly mode on / off = "
          f"{results['mlp']:.2f}x ({t['off'] * 1e3:.2f} -> {t['on'] * 1e3:.2f} ms)")

    run = logs()
    t = interleaved({"guarded": run, "bare": without("rewrite", [P.log], run)},
                    repeats=repeats)
    results["log_rewrite_check"] = t["guarded"] / t["bare"]
    print(f"{CHAIN} log() calls with the rewrite check / without: "
          f"{results['log_rewrite_check']:.3f}x "
          f"({(t['guarded'] - t['bare']) / CHAIN * 1e6:+.2f} us per call)")

    run = singular_chain()
    prims = [P.sqrt, P.divide, P.log]
    t = interleaved({"guarded": run, "bare": without("strong_zero", prims, run)},
                    repeats=repeats)
    results["strong_zero"] = t["guarded"] / t["bare"]
    print(f"sqrt/divide/log chain, forward+backward, strong zeros on / off: "
          f"{results['strong_zero']:.3f}x")
    return results


if __name__ == "__main__":
    main()
