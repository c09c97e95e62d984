"""Data-parallel training over MPI (through mpi4py): the same model on every rank, each rank
training on its part of every global batch, gradients averaged before each step.

    from chainrule import distributed as dist
    dist.init()
    loader = dist.DistributedDataLoader(ArrayDataset(X, y), batch_size=128, shuffle=True, seed=0)
    opt = dist.DistributedOptimizer(optim.SGD(model.parameters(), lr=0.1))
    for xb, yb in loader:
        with dist.fail_together():           # an error on one rank stops every rank
            opt.zero_grad()
            if len(yb):                      # empty only in a last batch smaller than the world
                loss_fn(model(Tensor(xb)), yb).backward()
        opt.step(samples=len(yb))            # one Allreduce, then the update

Launch with ``mpiexec -n 4 python train.py`` (or ``srun``); run as a plain process the
world has one rank and every collective is the identity. See docs/distributed.md.
"""

from .parallel import DistributedOptimizer, broadcast_parameters
from .sampler import DistributedDataLoader, DistributedSampler
from .world import (
    MPI_INSTALL_HINT,
    DistributedError,
    abort,
    all_reduce_,
    broadcast_,
    broadcast_object,
    fail_together,
    init,
    is_initialized,
    mpi_available,
    raised_on_every_rank,
    rank,
    world_size,
)

__all__ = [
    "MPI_INSTALL_HINT",
    "DistributedDataLoader",
    "DistributedError",
    "DistributedOptimizer",
    "DistributedSampler",
    "abort",
    "all_reduce_",
    "broadcast_",
    "broadcast_object",
    "broadcast_parameters",
    "fail_together",
    "init",
    "is_initialized",
    "mpi_available",
    "raised_on_every_rank",
    "rank",
    "world_size",
]
