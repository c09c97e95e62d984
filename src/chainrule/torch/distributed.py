"""``torch.distributed``: present so programs that import it run in one process (nanoGPT
imports ``init_process_group`` and only calls it under ``torchrun``). chainrule's
scale-out is ``chainrule.distributed`` (MPI through mpi4py, docs/distributed.md); PyTorch's
process groups are not provided: ``init_process_group`` says so, and the collectives,
like PyTorch's before a group exists, raise PyTorch's ValueError."""

from __future__ import annotations

import enum

__all__ = ["ReduceOp", "all_gather", "all_reduce", "barrier", "broadcast",
           "destroy_process_group", "get_rank", "get_world_size", "init_process_group",
           "is_available", "is_initialized"]


class ReduceOp(enum.Enum):
    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"


def is_available():
    return True


def is_initialized():
    return False


def init_process_group(backend=None, *args, **kwargs):
    raise NotImplementedError(
        "torch.distributed.init_process_group: chainrule.torch runs in one process; for "
        "data-parallel training over MPI use chainrule.distributed (docs/distributed.md)")


def _no_group(name):
    def call(*args, **kwargs):
        raise ValueError(f"torch.distributed.{name}: Default process group has not been "
                           f"initialized, please make sure to call init_process_group.")

    call.__name__ = name
    return call


get_rank = _no_group("get_rank")
get_world_size = _no_group("get_world_size")
barrier = _no_group("barrier")
all_reduce = _no_group("all_reduce")
all_gather = _no_group("all_gather")
broadcast = _no_group("broadcast")
destroy_process_group = _no_group("destroy_process_group")
