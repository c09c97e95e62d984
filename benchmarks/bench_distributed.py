"""Data-parallel training over MPI: steps per second on 1 and 2 ranks, and what Allreduce costs.

Trains the 784-256-256-10 ReLU MLP (float32, SGD with momentum, global batch 128 on
synthetic MNIST-shaped data) with chainrule.distributed, once under ``mpiexec -n 1`` and
once under ``mpiexec -n 2``, in the same run. Per rank and step it times the local work
(forward + backward), DistributedOptimizer.synchronize (pack the gradients into one flat
buffer, one Allreduce, unpack) and the update; it also times the Allreduce of a buffer
of that size alone, and the alternative the optimizer avoids: one Allreduce per tensor.
Each rank uses one BLAS thread, so the two runs use one and two cores.

    python benchmarks/bench_distributed.py [--steps N] [--batch B] [--ranks 1 2]

Needs mpi4py and an mpiexec (pip install 'chainrule[mpi]').
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import numpy as np

from chainrule import distributed as dist
from chainrule import nn, optim
from chainrule.data import ArrayDataset
from chainrule.tensor import Tensor

SIZES = (784, 256, 256, 10)
SAMPLES = 8192


def worker(steps, batch):
    """One rank's measurements; rank 0 prints them as one JSON line."""
    dist.init()
    rng = np.random.default_rng(0)
    X = rng.random((SAMPLES, SIZES[0]), dtype=np.float32)
    y = rng.integers(0, SIZES[-1], SAMPLES)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        layers.append(nn.Linear(n_in, n_out, rng=i))
        if i < len(SIZES) - 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers)
    opt = dist.DistributedOptimizer(optim.SGD(model.parameters(), lr=0.01, momentum=0.9))
    loader = dist.DistributedDataLoader(ArrayDataset(X, y), batch, shuffle=True, seed=0,
                                        drop_last=True)
    loss_fn = nn.CrossEntropyLoss()
    times = {"step": [], "local": [], "synchronize": [], "update": []}
    warmup = 10

    def batches():
        while True:
            yield from loader

    for step, (xb, yb) in zip(range(warmup + steps), batches()):
        t0 = time.perf_counter()
        with dist.fail_together():
            loss = loss_fn(model(Tensor(xb)), yb)
            opt.zero_grad()
            loss.backward()
        t1 = time.perf_counter()
        opt.synchronize(samples=len(yb))
        t2 = time.perf_counter()
        opt.optimizer.step()
        t3 = time.perf_counter()
        if step >= warmup:
            for key, seconds in (("step", t3 - t0), ("local", t1 - t0),
                                 ("synchronize", t2 - t1), ("update", t3 - t2)):
                times[key].append(seconds)

    params = list(model.parameters())
    n = sum(p.data.size for p in params)
    flat = np.zeros(n + len(params) + 1, np.float32)
    tensors = [np.zeros_like(p.data) for p in params]
    allreduce, per_tensor = [], []
    for _ in range(warmup + steps):
        dist.all_reduce_(np.zeros(1, np.float32))  # line the ranks up before timing
        t0 = time.perf_counter()
        dist.all_reduce_(flat, "sum")
        t1 = time.perf_counter()
        for t in tensors:
            dist.all_reduce_(t, "sum")
        t2 = time.perf_counter()
        allreduce.append(t1 - t0)
        per_tensor.append(t2 - t1)

    # The slowest rank sets the pace: report the per-step maximum over ranks of each median.
    medians = {k: float(np.median(v)) for k, v in times.items()}
    medians["allreduce_alone"] = float(np.median(allreduce[warmup:]))
    medians["allreduce_per_tensor"] = float(np.median(per_tensor[warmup:]))
    keys = sorted(medians)
    worst = dist.all_reduce_(np.array([medians[k] for k in keys]), "max")
    if dist.rank() == 0:
        result = dict(zip(keys, worst.tolist()))
        result.update(ranks=dist.world_size(), batch=batch, parameters=n, tensors=len(params))
        print(json.dumps(result), flush=True)


def mpiexec():
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = Path(folder) / "mpiexec"
        if candidate.exists():
            return str(candidate)
    return "mpiexec"


def launch(ranks, steps, batch):
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    command = [mpiexec(), "-n", str(ranks), sys.executable, os.path.abspath(__file__),
               "--worker", "--steps", str(steps), "--batch", str(batch)]
    out = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(steps=200, batch=128, ranks=(1, 2)):
    results = {r: launch(r, steps, batch) for r in ranks}
    first = results[ranks[0]]
    print(f"MLP {'-'.join(map(str, SIZES))} ({first['parameters']:,} parameters in "
          f"{first['tensors']} tensors), float32, SGD momentum, global batch {batch}, "
          f"median of {steps} steps, slowest rank")
    print(f"{'ranks':>5} {'steps/s':>8} {'speed-up':>8} {'local ms':>9} {'sync ms':>8} "
          f"{'sync %':>7} {'Allreduce ms':>13} {'Allreduce %':>12} {'per-tensor ms':>14}")
    for r, res in results.items():
        step = res["step"]
        print(f"{r:>5} {1 / step:>8.1f} {first['step'] / step:>8.2f} {res['local'] * 1e3:>9.2f} "
              f"{res['synchronize'] * 1e3:>8.3f} {100 * res['synchronize'] / step:>6.1f}% "
              f"{res['allreduce_alone'] * 1e3:>13.3f} {100 * res['allreduce_alone'] / step:>11.1f}%"
              f" {res['allreduce_per_tensor'] * 1e3:>14.3f}")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.steps, args.batch)
    else:
        main(args.steps, args.batch, tuple(args.ranks))
