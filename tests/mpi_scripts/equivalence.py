"""Run under mpiexec by tests/test_distributed.py: N-rank training against 1-process training.

For each case (dtype, optimizer, global batch) every rank trains the same digits MLP
twice from the same weights: data-parallel (its part of each global batch, gradients
averaged by DistributedOptimizer) and alone (the whole global batch, plain optimizer).
After every step it records the largest relative difference between the two, and
whether all ranks hold bit-identical parameters. Results go to OUT/rank<r>.npz.
Usage: mpiexec -n 2 python equivalence.py OUT
"""

import hashlib
import sys
from pathlib import Path

import numpy as np

from chainrule import distributed as dist
from chainrule import nn, optim
from chainrule.data import ArrayDataset, DataLoader, load_digits
from chainrule.tensor import Tensor

STEPS = 8
# dtype, optimizer, global batch. 37 splits into parts of 19 and 18 and leaves a last batch of
# 21 (1797 = 48 * 37 + 21); 898 leaves a last batch of 1 sample, so one rank's part is empty.
CASES = (
    ("float32", "sgd", 64),
    ("float32", "adam", 37),
    ("float64", "sgd", 37),
    ("float64", "adam", 64),
    ("float64", "sgd", 898),
)


def make_optimizer(name, params):
    if name == "sgd":
        return optim.SGD(params, lr=0.1, momentum=0.9)
    return optim.Adam(params, lr=1e-2)


def flat(model):
    return np.concatenate([p.data.ravel() for p in model.parameters()])


def train_case(dtype, opt_name, batch, X, y):
    seed = 7
    model = nn.Sequential(nn.Linear(64, 32, dtype=dtype, rng=seed), nn.Tanh(),
                          nn.Linear(32, 10, dtype=dtype, rng=seed + 1))
    alone = nn.Sequential(nn.Linear(64, 32, dtype=dtype, rng=seed), nn.Tanh(),
                          nn.Linear(32, 10, dtype=dtype, rng=seed + 1))
    parallel_opt = dist.DistributedOptimizer(make_optimizer(opt_name, model.parameters()))
    alone_opt = make_optimizer(opt_name, alone.parameters())
    loss_fn = nn.CrossEntropyLoss()
    data = ArrayDataset(X.astype(dtype), y)
    parts = dist.DistributedDataLoader(data, batch, shuffle=True, seed=seed)
    whole = DataLoader(data, batch, shuffle=True, seed=seed)
    rel, identical, empty = [], [], 0
    # Two epochs' worth of batch streams, so that a partial last batch is included.
    stream = zip(list(parts) + list(parts), list(whole) + list(whole))
    for step, ((xb, yb), (xw, yw)) in enumerate(stream):
        if step == STEPS and batch == 64:
            break
        with dist.fail_together():
            parallel_opt.zero_grad()
            if len(yb):  # an empty part has no loss; its rank steps with weight 0
                loss = loss_fn(model(Tensor(xb)), yb)
                loss.backward()
        parallel_opt.step(samples=len(yb))
        empty += len(yb) == 0
        loss = loss_fn(alone(Tensor(xw)), yw)
        alone_opt.zero_grad()
        loss.backward()
        alone_opt.step()
        a, b = flat(model), flat(alone)
        rel.append(float(np.max(np.abs(a - b)) / np.max(np.abs(b))))
        digest = hashlib.sha256(a.tobytes()).hexdigest()
        identical.append(dist.broadcast_object(digest) == digest)
    return np.array(rel), np.array(identical), flat(model), flat(alone), empty


def main(out):
    dist.init()
    X, y = load_digits()
    X = X / np.float32(16)
    saved = {}
    for dtype, opt_name, batch in CASES:
        key = f"{dtype}_{opt_name}_{batch}"
        rel, identical, params, reference, empty = train_case(dtype, opt_name, batch, X, y)
        saved.update({f"rel_{key}": rel, f"identical_{key}": identical, f"params_{key}": params,
                      f"reference_{key}": reference, f"empty_{key}": np.array(empty)})
    np.savez(Path(out) / f"rank{dist.rank()}.npz", **saved)


if __name__ == "__main__":
    main(sys.argv[1])
