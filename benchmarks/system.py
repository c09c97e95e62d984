"""Import time and memory stability, each measured in fresh subprocesses."""

from __future__ import annotations

import statistics
import subprocess
import sys
import textwrap

IMPORT_SNIPPET = (
    "import time; t = time.perf_counter(); import {mod}; print(time.perf_counter() - t)"
)

STEPS_SNIPPET = textwrap.dedent(
    """
    {peak}
    import numpy as np
    import chainrule as cr
    rng = np.random.default_rng(0)
    sizes = (784, 256, 256, 10)
    Ws = [cr.tensor(rng.standard_normal((a, b)).astype(np.float32) * 0.05, requires_grad=True)
          for a, b in zip(sizes[:-1], sizes[1:])]
    X = rng.standard_normal((128, 784)).astype(np.float32)
    y = rng.integers(0, 10, 128)
    for _ in range({steps}):
        h = cr.tanh(X @ Ws[0])
        h = cr.tanh(h @ Ws[1])
        loss = cr.cross_entropy(h @ Ws[2], y)
        for w in Ws:
            w.grad = None
        loss.backward()
        with cr.no_grad():
            for w in Ws:
                w -= 0.01 * w.grad
    print(peak_kib())
    """
)


TORCH_STEPS_SNIPPET = textwrap.dedent(
    """
    {peak}
    import numpy as np
    import torch
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    sizes = (784, 256, 256, 10)
    Ws = [torch.tensor(rng.standard_normal((a, b)).astype(np.float32) * 0.05,
                       requires_grad=True) for a, b in zip(sizes[:-1], sizes[1:])]
    X = torch.tensor(rng.standard_normal((128, 784)).astype(np.float32))
    y = torch.tensor(rng.integers(0, 10, 128))
    for _ in range({steps}):
        h = torch.tanh(X @ Ws[0])
        h = torch.tanh(h @ Ws[1])
        loss = torch.nn.functional.cross_entropy(h @ Ws[2], y)
        for w in Ws:
            w.grad = None
        loss.backward()
        with torch.no_grad():
            for w in Ws:
                w -= 0.01 * w.grad
    print(peak_kib())
    """
)


# Peak resident memory of this process from /proc (VmHWM belongs to the address space,
# which exec replaces; ru_maxrss on Linux carries the parent's peak over fork + exec).
PEAK = (
    "def peak_kib():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    "            return float(line.split()[1])\n"
)


def _run(code):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def import_time(repeats=7):
    """Median wall time of `import chainrule` and of `import numpy`, in fresh interpreters."""
    times = {"numpy": [], "chainrule": []}
    for _ in range(repeats):
        for mod in times:
            times[mod].append(_run(IMPORT_SNIPPET.format(mod=mod)))
    return {mod: statistics.median(t) for mod, t in times.items()}


def memory_growth(short=200, long=2000):
    """Peak RSS (MiB) after `short` and `long` MLP training steps, in fresh processes."""
    kib = {n: _run(STEPS_SNIPPET.format(steps=n, peak=PEAK)) for n in (short, long)}
    return {n: v / 1024 for n, v in kib.items()}


def torch_peak_rss(steps=200):
    """Peak RSS (MiB) of the same MLP loop in PyTorch, or None without torch."""
    try:
        return _run(TORCH_STEPS_SNIPPET.format(steps=steps, peak=PEAK)) / 1024
    except subprocess.CalledProcessError:
        return None
