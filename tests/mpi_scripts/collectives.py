"""Run under mpiexec by tests/test_distributed.py: collectives, broadcasts and sampling.

Each rank saves what it sent and what it got to OUT/rank<r>.npz; the test compares the
ranks' files. Usage: mpiexec -n 2 python collectives.py OUT
"""

import sys
from pathlib import Path

import numpy as np

from chainrule import distributed as dist
from chainrule import nn
from chainrule.data import ArrayDataset

SIZES = (1, 7, 1023, 40_001)  # odd sizes, including one past MPICH's small-message path
N_SAMPLES, BATCH, SEED = 103, 10, 5


def main(out):
    dist.init()
    r = dist.rank()
    saved = {"world_size": np.array(dist.world_size())}
    for dtype in (np.float32, np.float64):
        for size in SIZES:
            x = np.random.default_rng([r, size]).standard_normal(size).astype(dtype)
            for op in ("sum", "mean", "max", "min"):
                key = f"{np.dtype(dtype).name}_{size}_{op}"
                saved[f"in_{key}"] = x.copy()
                y = x.copy()
                returned = dist.all_reduce_(y, op)
                saved[f"out_{key}"] = y
                saved[f"same_object_{key}"] = np.array(returned is y)
    scalar = np.array(r + 1.5)
    saved["scalar_sum"] = dist.all_reduce_(scalar, "sum")
    ints = np.arange(5, dtype=np.int64) * (r + 1)
    saved["int_sum"] = dist.all_reduce_(ints, "sum")

    # Rank r builds its model from seed r; broadcasting makes every rank hold rank 0's.
    model = nn.Sequential(nn.Linear(5, 3, rng=r), nn.Tanh(), nn.BatchNorm1d(3),
                          nn.Linear(3, 2, dtype=np.float32, rng=10 + r))
    model[2].running_mean.data[...] = r
    dist.broadcast_parameters(model)
    for name, value in model.state_dict().items():
        saved[f"model_{name}"] = value

    # seed=None: rank 0 draws the seed and every rank must use it.
    saved["drawn_seed"] = np.array(dist.DistributedSampler(N_SAMPLES, BATCH).seed)
    sampler = dist.DistributedSampler(N_SAMPLES, BATCH, shuffle=True, seed=SEED)
    saved["steps"] = np.array(len(sampler))
    for epoch in (0, 1):
        saved[f"shard_{epoch}"] = sampler.indices(epoch)
        for step, part in enumerate(sampler):
            saved[f"part_{epoch}_{step}"] = part
    X = np.arange(N_SAMPLES * 2, dtype=np.float32).reshape(N_SAMPLES, 2)
    loader = dist.DistributedDataLoader(ArrayDataset(X, np.arange(N_SAMPLES)), BATCH,
                                        shuffle=True, seed=SEED)
    saved["loader_rows"] = np.concatenate([yb for _, yb in loader])
    np.savez(Path(out) / f"rank{r}.npz", **saved)


if __name__ == "__main__":
    main(sys.argv[1])
