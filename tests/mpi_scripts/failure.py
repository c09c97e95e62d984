"""Run under mpiexec by tests/test_distributed.py: one rank fails, every rank must stop alike.

Modes: "exception" (rank 1 raises at step 3 of a training loop), "nan" (rank 1 reads a
sample holding NaN, and the finite-loss check fails), "mismatch" (rank 1 builds a
different model than rank 0) and "pickle" (rank 1 raises an exception that cannot be
pickled). Each rank prints "rank <r> stopped: <type>: <message>" and exits with status 3.
Mode "outside" raises on rank 1 outside fail_together: rank 1 prints "rank 1 aborting:
<message>" and aborts every rank with status 4.
Usage: mpiexec -n 2 python failure.py MODE
"""

import math
import sys
import time

import numpy as np

from chainrule import distributed as dist
from chainrule import nn, optim
from chainrule.data import ArrayDataset
from chainrule.tensor import Tensor


class Unpicklable(Exception):
    def __init__(self, lock):
        super().__init__("cannot send this one as it is")
        self.lock = lock

    def __reduce__(self):
        raise TypeError("not picklable")


def train(mode):
    r = dist.rank()
    hidden = 8 + (r if mode == "mismatch" else 0)
    model = nn.Sequential(nn.Linear(4, hidden, rng=0), nn.Tanh(), nn.Linear(hidden, 3, rng=1))
    opt = dist.DistributedOptimizer(optim.SGD(model.parameters(), lr=0.1))
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 4)).astype(np.float32)
    y = rng.integers(0, 3, 64)
    if mode == "nan":
        X[40, 2] = np.nan  # in rank 1's part (40..47) of the third global batch of 16
    loader = dist.DistributedDataLoader(ArrayDataset(X, y), batch_size=16)
    loss_fn = nn.CrossEntropyLoss()
    for step, (xb, yb) in enumerate(loader):
        if mode == "outside" and r == 1 and step == 2:
            raise RuntimeError("lost the data on rank 1")
        with dist.fail_together():
            if mode == "exception" and r == 1 and step == 3:
                raise ValueError(f"bad record in shard {r} at step {step}")
            if mode == "pickle" and r == 1 and step == 1:
                raise Unpicklable(object())
            loss = loss_fn(model(Tensor(xb)), yb)
            if not math.isfinite(float(loss.data)):
                raise FloatingPointError(f"loss became {float(loss.data)} at step {step}")
            opt.zero_grad()
            loss.backward()
        opt.step(samples=len(yb))
    sys.stdout.write(f"rank {r} finished\n")


def main(mode):
    dist.init()
    try:
        train(mode)
    except Exception as exc:
        # One write per line: mpiexec interleaves the ranks' output write by write.
        if not dist.raised_on_every_rank(exc):
            sys.stdout.write(f"rank {dist.rank()} aborting: {exc}\n")
            sys.stdout.flush()
            # mpiexec forwards output asynchronously and drops what it holds when the
            # abort kills the job: give it the line first (the test reads it; once in a
            # full-suite run on a loaded machine it was lost).
            time.sleep(0.5)
            dist.abort(4)
        sys.stdout.write(f"rank {dist.rank()} stopped: {type(exc).__name__}: {exc}\n")
        sys.stdout.flush()
        sys.exit(3)


if __name__ == "__main__":
    main(sys.argv[1])
