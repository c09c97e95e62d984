"""``torch.multiprocessing``: Python's multiprocessing under PyTorch's name (``Process``,
``Queue``, ``Pool``, ``set_start_method``, ``spawn``), for programs that set a start
method or spawn workers. Tensors are not shared between processes: ``share_memory_()``
and ``Module.share_memory()`` raise (a Hogwild-style program would otherwise train a
copy in each process and leave the parent's model untouched)."""

from __future__ import annotations

import multiprocessing as _mp
from multiprocessing import (  # noqa: F401  (re-exported under PyTorch's name)
    Array,
    Barrier,
    Condition,
    Event,
    JoinableQueue,
    Lock,
    Manager,
    Pipe,
    Pool,
    Process,
    Queue,
    RLock,
    Semaphore,
    SimpleQueue,
    Value,
    cpu_count,
    current_process,
    get_all_start_methods,
    get_context,
    get_start_method,
    set_start_method,
)

__all__ = ["Process", "Queue", "Pool", "get_context", "get_start_method",
           "set_start_method", "spawn", "get_sharing_strategy", "set_sharing_strategy",
           "get_all_sharing_strategies"]

_strategy = "file_descriptor"


def get_all_sharing_strategies():
    return {"file_descriptor", "file_system"}


def get_sharing_strategy():
    return _strategy


def set_sharing_strategy(new_strategy):
    """Accepted and unused (no tensors cross processes)."""
    global _strategy
    if new_strategy not in get_all_sharing_strategies():
        raise ValueError(f"invalid sharing strategy {new_strategy!r}")
    _strategy = new_strategy


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Run ``fn(i, *args)`` in ``nprocs`` new processes (i = 0 .. nprocs - 1) and, with
    ``join``, wait for them; a process that fails raises here."""
    ctx = _mp.get_context(start_method)
    procs = [ctx.Process(target=fn, args=(i, *args), daemon=daemon) for i in range(nprocs)]
    for p in procs:
        p.start()
    if not join:
        return procs
    for p in procs:
        p.join()
    failed = [i for i, p in enumerate(procs) if p.exitcode != 0]
    if failed:
        raise RuntimeError(f"process {failed[0]} terminated with exit code "
                           f"{procs[failed[0]].exitcode}")
    return None
