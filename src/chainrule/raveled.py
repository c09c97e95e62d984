"""Several arrays as one: raveled end to end, and cut back into their shapes.

An operation made per call that must see several tensors at once (a checkpointed
segment with several outputs, a module's backward hooks over several inputs) takes
them joined into one array, and its result or cotangent is cut back afterwards.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .graph import is_tensor


def joined(leaves, dtype):
    """The leaves raveled end to end in one 1-D array of `dtype`: a recorded tensor if
    any leaf is a tensor, else a NumPy array."""
    if not any(is_tensor(x) for x in leaves):
        return np.concatenate([np.ravel(x).astype(dtype, copy=False) for x in leaves])
    from . import primitives as P  # (chainrule.primitives imports what imports this)

    return P.concatenate([P.reshape(x, (-1,)).astype(dtype) if is_tensor(x) else
                          np.ravel(x).astype(dtype, copy=False) for x in leaves])


def cut(whole, layout):
    """`whole` (an array or tensor) cut into pieces of the (shape, dtype) in `layout`."""
    parts: list[Any] = []
    start = 0
    for shape, dtype in layout:
        size = int(np.prod(shape))
        part = whole[start:start + size].reshape(shape)
        parts.append(part if part.dtype == dtype else part.astype(dtype))
        start += size
    return parts
