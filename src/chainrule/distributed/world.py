"""The MPI world: joining it, rank and size, in-place reductions and broadcasts, failing together.

Every function works in a plain single process too: there the world has one rank and
the collectives return their input unchanged. Under ``mpiexec`` (or Slurm's ``srun``)
the world is MPI's, reached through mpi4py, which is imported the first time the world
is needed (by :func:`init` or any function here), so importing chainrule never starts MPI.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import pickle
import sys

import numpy as np

MPI_INSTALL_HINT = "pip install 'chainrule[mpi]'"

# Launcher variables that say this process is one of several ranks (MPICH/Hydra and
# Slurm's PMI, Open MPI, a task of an srun job step).
_LAUNCHER_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "SLURM_STEP_NUM_TASKS")

_OPS = ("sum", "mean", "max", "min")


class DistributedError(RuntimeError):
    """A problem with the MPI world, or another rank's failure seen from this rank."""


class _World:
    """The process-wide MPI state: mpi4py's MPI module and the communicator (None: one rank)."""

    MPI = None
    comm = None
    initialized = False


def mpi_available() -> bool:
    """Whether mpi4py can be imported (without importing it, which would start MPI)."""
    return importlib.util.find_spec("mpi4py") is not None


def _launched_as_one_of_many() -> bool:
    for name in _LAUNCHER_SIZE_VARIABLES:
        try:
            if int(os.environ.get(name, "1")) > 1:
                return True
        except ValueError:
            continue
    return False


def init(comm=None) -> None:
    """Join the MPI world (idempotent); a single process without MPI is a world of one.

    ``comm`` is an mpi4py communicator to use instead of ``MPI.COMM_WORLD`` (e.g. one
    made with ``Split``). Without mpi4py, a process started by an MPI launcher as one of
    several ranks raises ImportError saying how to install it, because training on as if
    alone would silently give N independent runs.
    """
    if _World.initialized:
        if comm is not None and comm is not _World.comm:
            raise DistributedError(
                "distributed.init: already initialized with another communicator; call "
                "init(comm) once, before any other chainrule.distributed function"
            )
        return
    if not mpi_available():
        if comm is not None or _launched_as_one_of_many():
            raise ImportError(
                "chainrule.distributed: this process was started as one of several MPI ranks "
                f"but mpi4py is not installed; install it with: {MPI_INSTALL_HINT}"
            )
        _World.initialized = True
        return
    # Imported here, not at module level: importing mpi4py.MPI initializes MPI, which a
    # user of chainrule who never trains in parallel should not pay for or see.
    MPI = importlib.import_module("mpi4py.MPI")
    _World.MPI = MPI
    _World.comm = MPI.COMM_WORLD if comm is None else comm
    _World.initialized = True


def is_initialized() -> bool:
    """Whether :func:`init` has run (explicitly, or on the first use of the world)."""
    return _World.initialized


def _comm():
    """The communicator, or None when the world is one process (collectives are identities)."""
    init()
    comm = _World.comm
    return comm if comm is not None and comm.Get_size() > 1 else None


def rank() -> int:
    """This process's rank, 0 .. world_size() - 1."""
    init()
    return 0 if _World.comm is None else _World.comm.Get_rank()


def world_size() -> int:
    """The number of processes training together."""
    init()
    return 1 if _World.comm is None else _World.comm.Get_size()


def _check_buffer(array, what):
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{what}: needs a NumPy array (in place), got {type(array).__name__}")
    if not array.flags.c_contiguous or not array.flags.writeable:
        raise ValueError(
            f"{what}: the array of shape {array.shape} must be C-contiguous and writeable to be "
            f"reduced in place; pass np.ascontiguousarray(a) and copy the result back"
        )
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{what}: cannot reduce dtype {array.dtype}; use a numeric array")


def all_reduce_(array, op="mean"):
    """Replace ``array`` on every rank by the elementwise reduction over ranks; return it.

    ``op`` is "sum" (sum_r a_r), "mean" (sum_r a_r / N, floating-point arrays only),
    "max" or "min". The array is sent as a raw buffer (one MPI Allreduce, no pickling);
    it must be C-contiguous, writeable and have the same shape and dtype on every rank.
    """
    if op not in _OPS:
        raise ValueError(f"all_reduce_: op must be one of {', '.join(_OPS)}, not {op!r}")
    _check_buffer(array, "all_reduce_")
    if op == "mean" and array.dtype.kind != "f":
        raise TypeError(
            f"all_reduce_: op='mean' needs a floating-point array, got {array.dtype}; "
            "use op='sum' and divide"
        )
    comm = _comm()
    if comm is None:
        return array
    MPI = _World.MPI
    mpi_op = {"sum": MPI.SUM, "mean": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN}[op]
    comm.Allreduce(MPI.IN_PLACE, array, op=mpi_op)
    if op == "mean":
        array /= comm.Get_size()
    return array


def broadcast_(array, root=0):
    """Overwrite ``array`` on every rank with rank ``root``'s values (a raw-buffer Bcast)."""
    _check_buffer(array, "broadcast_")
    comm = _comm()
    if comm is not None:
        comm.Bcast(array, root=root)
    return array


def broadcast_object(obj, root=0):
    """Rank ``root``'s ``obj`` on every rank (pickled: for small metadata, not arrays)."""
    comm = _comm()
    return obj if comm is None else comm.bcast(obj, root=root)


def _portable(error):
    """``error`` itself if it survives pickling, else a DistributedError with its text."""
    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:
        return DistributedError(f"{type(error).__name__}: {error}")


@contextlib.contextmanager
def fail_together():
    """If any rank raises inside the block, every rank raises that error on leaving it.

    Every rank ends the block with one small Allreduce (which ranks failed), whether its
    own work succeeded or not, so a rank that fails cannot leave the others waiting in
    a later collective. The lowest failing rank's exception is broadcast: that rank
    re-raises its own, the others raise a copy of it (same type, same message), caused
    by a DistributedError naming the rank. An exception that cannot be pickled becomes a
    DistributedError("<type>: <message>") on every rank, the failing one included.
    The block itself must not run collectives that a failing rank could skip (put
    forward and backward inside, the optimizer step after it).
    """
    comm = _comm()
    if comm is None:
        yield
        return
    error = None
    try:
        yield
    except BaseException as exc:  # a Ctrl-C on one rank must stop every rank too
        error = exc
    me, size = comm.Get_rank(), comm.Get_size()
    first = np.array([me if error is not None else size], dtype=np.int64)
    comm.Allreduce(_World.MPI.IN_PLACE, first, op=_World.MPI.MIN)
    failed = int(first[0])
    if failed == size:
        return
    if me != failed:
        copy = pickle.loads(comm.bcast(None, root=failed))
        _mark_shared(copy)
        raise copy from DistributedError(f"raised on rank {failed} of {size}")
    sent = _portable(error)
    comm.bcast(pickle.dumps(sent), root=failed)
    _mark_shared(sent)
    if sent is error:
        raise error
    raise sent from error


def _mark_shared(error):
    # An attribute rather than a registry: the mark lives and dies with the exception.
    with contextlib.suppress(AttributeError):
        error._chainrule_every_rank = True


def raised_on_every_rank(error) -> bool:
    """Whether ``error`` stops every rank alike: raised by :func:`fail_together` (or while
    handling such an error), or the world has one rank. Other errors leave the other
    ranks running, to be stopped with :func:`abort`."""
    while error is not None:
        if getattr(error, "_chainrule_every_rank", False):
            return True
        error = error.__context__
    return world_size() == 1


def abort(status=1):
    """End every rank now with exit status ``status`` (MPI_Abort): the last resort for an
    error on one rank outside :func:`fail_together`, which would leave the others waiting."""
    comm = _comm()
    if comm is None:
        raise SystemExit(status)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    comm.Abort(status)
    # MPICH's MPI_Abort can return to the caller while the launcher tears the job down;
    # this rank must not go on running meanwhile.
    os._exit(status)
