"""How many threads NumPy's BLAS may use for each matrix product chainrule computes.

    cr.set_num_threads(1)            # at most one thread from now on
    with cr.set_num_threads(2):      # at most two inside the block, then as before
        ...
    cr.get_num_threads()             # the current limit

The rule: a product of fewer than ``PARALLEL_WORK`` multiply-adds (m k n for an
(m, k) x (k, n) product) runs on one thread; a larger one on every thread the limit
allows. Small products gain little from a second thread on an idle machine and can
stall for milliseconds on a busy one, where a BLAS thread waits for a sibling the
operating system has not scheduled; large products are long enough to hide such a
stall and run up to twice as fast on two cores. docs/performance.md has the
measurements behind the threshold.

chainrule sets the count before each product through threadpoolctl, and only when it
changes. Without threadpoolctl installed (it comes with ``chainrule[train]``) the
policy is off: the BLAS keeps its own thread count (OPENBLAS_NUM_THREADS and the like)
and ``set_num_threads`` raises. Products computed by NumPy code outside chainrule run
with whatever count chainrule set last.
"""

from __future__ import annotations

try:
    from threadpoolctl import ThreadpoolController
except ImportError:  # optional: without it the BLAS keeps its own thread count
    ThreadpoolController = None

# Products of at least this many multiply-adds (m k n) get every allowed thread: about
# 0.3-0.6 ms of single-threaded float32 work on the machines measured, long enough that
# a scheduling stall on a loaded machine costs less than the second thread saves.
PARALLEL_WORK = 2**25

_libraries = None  # threadpoolctl's controllers of the loaded BLAS libraries, once looked up
_original = 1  # their thread count when first looked up, before chainrule set any
_limit = None  # most threads a product may use; None until the BLAS has been asked
_current = 0  # the count chainrule last set (0: none yet)


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
    global _current, _limit
    if _limit is None:
        _limit = _default_limit()
    if n is None:
        n = _limit
    for lib in _blas():
        lib.set_num_threads(n)
    _current = n


def use_for(work):
    """Set the BLAS thread count for a product of ``work`` multiply-adds (m k n)."""
    n = 1 if work < PARALLEL_WORK else _limit
    if n != _current:
        _set(n)


def threads_for(work):
    """The thread count the policy gives a product of ``work`` multiply-adds."""
    if work < PARALLEL_WORK:
        return 1
    return _default_limit() if _limit is None else _limit


def get_num_threads():
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
        self._saved = (_limit, _current)
        _limit = _default_limit() if n is None else n
        # Applied at once, so that products chainrule does not size (and NumPy code run
        # between chainrule calls) also stay within the limit.
        _set(min(_current, _limit) if _current else _limit)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        global _limit
        limit, previous = self._saved
        # Back to the count from before the block (the BLAS's own, if chainrule had not
        # set one yet).
        _set(previous or _default_limit())
        _limit = limit
