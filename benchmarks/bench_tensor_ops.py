"""Tensor operations: chainrule's forward against NumPy's own call, and backward against forward.

    python benchmarks/bench_tensor_ops.py

For each operation on a moderate array (10^5 elements, or 10^3-sample signals): the
forward on a tensor that requires grad (recording included) over NumPy's function on
the array, and forward + backward over the forward alone. Measured in one run,
interleaved; the ratios are what to read, absolute times on a shared machine are noise.
"""

from __future__ import annotations

import numpy as np

import chainrule as cr
import chainrule.numpy as cnp

try:
    from .common import interleaved, machine
except ImportError:  # run as a script
    from common import interleaved, machine


def _cases():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((100, 1000))
    index = rng.integers(0, 1000, (100, 1000))
    nans = np.where(rng.random(x.shape) < 0.1, np.nan, x)
    signal, kernel = rng.standard_normal(1000), rng.standard_normal(31)
    xp = np.sort(rng.uniform(-3, 3, 1000))
    yield "sort", lambda a: cnp.sort(a, axis=1), lambda a: np.sort(a, axis=1), x
    yield "median", lambda a: cnp.median(a, axis=1), lambda a: np.median(a, axis=1), x
    yield ("quantile", lambda a: cnp.quantile(a, [0.1, 0.9], axis=1),
           lambda a: np.quantile(a, [0.1, 0.9], axis=1), x)
    yield "nanmean", lambda a: cnp.nanmean(a, axis=1), lambda a: np.nanmean(a, axis=1), nans
    yield ("logcumsumexp", lambda a: cr.logcumsumexp(a, 1),
           lambda a: np.logaddexp.accumulate(a, axis=1), x)
    yield ("gather", lambda a: cr.gather(a, 1, index),
           lambda a: np.take_along_axis(a, index, 1), x)

    def np_scatter_add(a):
        out = a.copy()
        np.add.at(out, (np.arange(100)[:, None], index), a)
        return out

    yield "scatter_add", lambda a: cr.scatter_add(a, 1, index, a), np_scatter_add, x
    # (Summed over each window: the view alone costs nothing to compare.)
    yield ("window sums", lambda a: cnp.lib.stride_tricks.sliding_window_view(a, 5, 1).sum(-1),
           lambda a: np.lib.stride_tricks.sliding_window_view(a, 5, 1).sum(-1), x)
    yield "pad reflect", lambda a: cnp.pad(a, 3, "reflect"), lambda a: np.pad(a, 3, "reflect"), x
    yield "convolve", lambda a: cnp.convolve(a, kernel), lambda a: np.convolve(a, kernel), signal
    fp = np.sin(xp)
    yield ("interp", lambda a: cnp.interp(a, xp, fp), lambda a: np.interp(a, xp, fp),
           rng.uniform(-3, 3, 10000))


def main():
    print(f"tensor operations, {machine()}")
    print(f"{'operation':16s} {'forward / NumPy':>16s} {'fwd+bwd / fwd':>14s}")
    for name, op, reference, data in _cases():
        t = cr.tensor(data, requires_grad=True)

        def forward(op=op, t=t):
            return op(t)

        def both(op=op, t=t):
            t.grad = None
            cr.sum(op(t) * 1.0).backward()

        times = interleaved({"numpy": lambda r=reference, d=data: r(d), "forward": forward,
                             "both": both}, repeats=15)
        print(f"{name:16s} {times['forward'] / times['numpy']:16.2f} "
              f"{times['both'] / times['forward']:14.2f}")


if __name__ == "__main__":
    main()
