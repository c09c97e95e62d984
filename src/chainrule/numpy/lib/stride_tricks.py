"""numpy.lib.stride_tricks.sliding_window_view, differentiable on tensors."""

from __future__ import annotations

import numpy as np

from ... import primitives as P
from ..dispatch import numpy_function as _numpy_function


@_numpy_function(np.lib.stride_tricks.sliding_window_view)
def sliding_window_view(x, window_shape, axis=None, *, subok=False, writeable=False):
    """Every window of window_shape along axis (all axes if None), window axes last.

    On tensors the result is a read-only view whose gradient adds each window element
    back into its place (writeable=True is not supported there)."""
    if writeable:
        raise ValueError("sliding_window_view: writeable=True is not supported on tensors")
    return P.sliding_window_view(x, window_shape, axis)
