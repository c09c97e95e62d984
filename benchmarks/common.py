"""Timing helpers: medians over interleaved repetitions, reported as ratios."""

from __future__ import annotations

import os
import platform
import time

import numpy as np

from chainrule import threads


def interleaved(cases, repeats=30, inner=1, warmup=3, statistic=np.median):
    """Seconds per call of each case (median by default), the cases run in turn so drift hits all.

    ``cases`` maps a name to a zero-argument callable. ``statistic`` summarises each
    case's repetitions (np.min: the call's own cost when other processes preempt some).
    """
    for fn in cases.values():
        for _ in range(warmup):
            fn()
    samples = {name: [] for name in cases}
    for _ in range(repeats):
        for name, fn in cases.items():
            t0 = time.perf_counter()
            for _ in range(inner):
                fn()
            samples[name].append((time.perf_counter() - t0) / inner)
    return {name: float(statistic(s)) for name, s in samples.items()}


def machine():
    """A one-line description of where a benchmark ran."""
    return (
        f"{platform.machine()} {platform.processor() or ''} Python {platform.python_version()} "
        f"NumPy {np.__version__}"
    ).replace("  ", " ")


def load():
    """The machine's 1-minute load average, as a condition of a measurement."""
    return f"load average {os.getloadavg()[0]:.2f}"


def _own_cpu():
    """CPU seconds of this process and of its children that have finished."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class others:
    """Cores that processes other than this benchmark (and its children) kept busy during
    a block: ``with others() as o: ...``, then ``o.cores``. 0 where /proc/stat is missing."""

    def __enter__(self):
        self._busy = threads.machine_busy
        self._start = (time.monotonic(), self._busy() or 0.0, _own_cpu())
        self.cores = 0.0
        return self

    def __exit__(self, *exc):
        end = (time.monotonic(), self._busy() or 0.0, _own_cpu())
        self.cores = threads.others_busy(self._start, end)


def verdict(ratio, target):
    return "PASS" if ratio <= target else "FAIL"
