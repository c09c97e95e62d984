"""Timing helpers: medians over interleaved repetitions, reported as ratios."""

from __future__ import annotations

import platform
import time

import numpy as np


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


def verdict(ratio, target):
    return "PASS" if ratio <= target else "FAIL"
