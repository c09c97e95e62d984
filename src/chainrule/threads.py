"""How many threads NumPy's BLAS may use for a matrix product chainrule computes.

    cr.set_num_threads(1)            # at most one thread from now on
    with cr.set_num_threads(2):      # at most two inside the block, then as before
        ...
    cr.get_num_threads()             # the current limit

The rule: a product of fewer than ``PARALLEL_WORK`` multiply-adds (m k n for an
(m, k) x (k, n) product) runs on one thread; a larger one on every core that other
processes left idle, up to the limit. A BLAS thread that waits for a sibling the
operating system has not scheduled stalls the product for milliseconds: small products
gain little from a second thread even on an idle machine, and on cores that other
processes keep busy a threaded product of any size can take ten times as long as on
one thread. Which cores are busy is read from /proc/stat (the machine's busy time less
this process's own) at most every ``LOAD_INTERVAL`` seconds; elsewhere than on Linux
every core counts as free. docs/performance.md has the measurements behind the rule.

chainrule sets the count through threadpoolctl before each product of ``linear``
(forward and VJPs) and of the convolution kernels, and only when it changes; other
products (``matmul``, ``einsum``) and NumPy code outside chainrule run with the count
set last. Without threadpoolctl installed (it comes with ``chainrule[train]``) the
policy is off: the BLAS keeps its own thread count (OPENBLAS_NUM_THREADS and the like)
and ``set_num_threads`` raises.
"""

from __future__ import annotations

import os
import time

try:
    from threadpoolctl import ThreadpoolController
except ImportError:  # optional: without it the BLAS keeps its own thread count
    ThreadpoolController = None

# Products of at least this many multiply-adds (m k n) get every allowed thread: about
# 0.3-0.6 ms of single-threaded float32 work on the machines measured, long enough that
# a scheduling stall on a loaded machine costs less than the second thread saves.
PARALLEL_WORK = 2**25
# Seconds between two looks at how busy the machine is: /proc/stat counts in ticks of
# 10 ms, so shorter windows are too coarse to tell a busy core from an idle one.
LOAD_INTERVAL = 0.25

try:
    _TICK = 1.0 / os.sysconf("SC_CLK_TCK")
    _CORES = len(os.sched_getaffinity(0))
except (AttributeError, ValueError, OSError):  # not Linux
    _TICK, _CORES = None, os.cpu_count() or 1

_libraries = None  # threadpoolctl's controllers of the loaded BLAS libraries, once looked up
_original = 1  # their thread count when first looked up, before chainrule set any
_limit = None  # most threads a product may use; None until the BLAS has been asked
# The count chainrule last set (0: none yet). Products on the hot path (matmul, linear)
# read it to skip calling use_for when one thread is set and the product is small:
# ``if work >= threads.PARALLEL_WORK or threads.current != 1: threads.use_for(work)``.
current = 0
_others = 0  # cores other processes kept busy over the last interval
_seen = None  # (monotonic time, the machine's busy CPU seconds, this process's) at the last look


def _blas():
    global _libraries, _original
    if _libraries is None:
        if ThreadpoolController is None:
            _libraries = ()
        else:
            _libraries = tuple(ThreadpoolController().select(user_api="blas").lib_controllers)
            counts = [lib.num_threads for lib in _libraries]
            _original = max([n for n in counts if n] or [1])
    return _libraries


def _default_limit():
    """The BLAS's own thread count before chainrule changed it (its environment variables)."""
    _blas()
    return _original


def _set(n):
    global current, _limit
    if _limit is None:
        _limit = _default_limit()
    if n is None:
        n = _limit
    for lib in _blas():
        lib.set_num_threads(n)
    current = n


def machine_busy():
    """CPU seconds every process on the machine has been busy since boot, or None."""
    if _TICK is None:
        return None
    try:
        with open("/proc/stat", "rb") as f:
            fields = f.readline().split()
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[1:9])
    return (user + nice + system + irq + softirq + steal) * _TICK


def others_busy(then, now):
    """Cores other processes kept busy between two looks (time, machine busy, own CPU)."""
    return max(0.0, (now[1] - then[1]) - (now[2] - then[2])) / (now[0] - then[0])


def _parallel():
    """Threads for a large product: the limit, less the cores other processes keep busy."""
    global _seen, _others
    t = time.monotonic()
    if _seen is None or t - _seen[0] >= LOAD_INTERVAL:
        busy = machine_busy()
        if busy is not None:
            now = (t, busy, time.process_time())
            if _seen is not None:
                _others = int(others_busy(_seen, now) + 0.5)  # a core busy half the time or more
            _seen = now
    limit = _default_limit() if _limit is None else _limit
    return max(1, min(limit, _CORES - _others))


def use_for(work):
    """Set the BLAS thread count for a product of ``work`` multiply-adds (m k n)."""
    n = 1 if work < PARALLEL_WORK else _parallel()
    if n != current:
        _set(n)


def threads_for(work):
    """The thread count the policy gives a product of ``work`` multiply-adds now."""
    return 1 if work < PARALLEL_WORK else _parallel()


def get_num_threads() -> int | None:
    """The most BLAS threads chainrule lets a product use (None without threadpoolctl)."""
    if not _blas():
        return None
    return _default_limit() if _limit is None else _limit


class set_num_threads:
    """Let chainrule's matrix products use at most ``n`` BLAS threads (None: the BLAS's
    own default); as a context manager, only inside the block."""

    def __init__(self, n):
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
            raise ValueError(f"set_num_threads: n must be a positive int or None, got {n!r}")
        if not _blas():
            raise RuntimeError(
                "set_num_threads needs threadpoolctl to reach NumPy's BLAS: pip install "
                "threadpoolctl (it comes with chainrule[train]), or set OPENBLAS_NUM_THREADS "
                "before starting Python"
            )
        global _limit
        self._saved = (_limit, current)
        _limit = _default_limit() if n is None else n
        # Applied at once, so that products chainrule does not size (and NumPy code run
        # between chainrule calls) also stay within the limit.
        _set(min(current, _limit) if current else _limit)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        global _limit
        limit, previous = self._saved
        # Back to the count from before the block (the BLAS's own, if chainrule had not
        # set one yet).
        _set(previous or _default_limit())
        _limit = limit
