"""Working buffers that the convolution kernels keep from one call to the next.

A training step calls each kernel with the same shapes every step. A fresh array of a
few megabytes (a padded input, a chunk's window matrix) comes from new pages, which the
operating system hands out zeroed, one fault per page, on first touch: in the
ResNet-style benchmark step that cost more than building the windows themselves
(docs/performance.md, "Scratch buffers"). So a kernel asks here for its working arrays
by what they hold and their shape, and gets the array of its previous call back.

A scratch buffer never leaves the kernel that asked for it: nothing returned to the
caller or kept in the graph may be (or view) one. Each thread has its own buffers, the
most recently used kept up to _LIMIT bytes in all (an array above a quarter of that
is made fresh each time).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

_LIMIT = 64 << 20
_local = threading.local()


def _pool() -> OrderedDict:
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = OrderedDict()
    return pool


def buffer(tag: tuple, shape: tuple[int, ...], dtype, fill=None) -> np.ndarray:
    """An array of ``shape`` and ``dtype`` for the use that ``tag`` names.

    With ``fill`` None its values are whatever the last user left (write before reading).
    With a fill value, the array was made full of it, and only what earlier users of the
    same tag and shape wrote differs: a tag must name exactly which elements its users
    write (a padded input's interior, for example), so that the rest keeps the fill.
    """
    dtype = np.dtype(dtype)
    key = (tag, tuple(shape), dtype.str, None if fill is None else float(fill))
    pool = _pool()
    buf = pool.pop(key, None)
    if buf is None:
        buf = np.empty(shape, dtype) if fill is None else np.full(shape, fill, dtype)
        if buf.nbytes > _LIMIT // 4:  # (kept, it would push out everything else)
            return buf
        total = buf.nbytes + sum(b.nbytes for b in pool.values())
        while pool and total > _LIMIT:
            total -= pool.popitem(last=False)[1].nbytes
    pool[key] = buf
    return buf


def release() -> None:
    """Drop this thread's buffers (their memory returns to the allocator)."""
    _pool().clear()
