"""PyTorch's convolutions, pooling layers and fold/unfold raise RuntimeError for an input
whose shape does not fit (a kernel larger than the padded input, the wrong number of
channels or dimensions, padding over half the kernel); chainrule's engine (chainrule.nn,
its primitives) raises ValueError for the same inputs, naming what is wrong. The front end
keeps the engine's messages and raises :class:`ShapeError`, a subclass of both, so a
program's ``except RuntimeError`` catches it as PyTorch's, and ``except ValueError`` (the
engine's own callers) still does; the pattern of chainrule.nn's StateDictError."""

from __future__ import annotations

import functools
import re

from ..types import ShapeError  # (defined there: the tensor's own operators raise it too)

__all__ = ["SHAPE_CHECKED_LAYERS", "ShapeError", "runtime_shape_errors"]




def runtime_shape_errors(fn):
    """``fn`` (a convolution or pooling function, or such a layer's forward) raising
    :class:`ShapeError` where it raised ValueError: the same message and traceback."""

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ShapeError:
            raise
        except ValueError as e:
            raise ShapeError(*e.args).with_traceback(e.__traceback__) from None

    return call


# The layer classes (chainrule.nn's names) whose forward is one of those functions.
SHAPE_CHECKED_LAYERS = re.compile(
    r"(Lazy)?Conv(Transpose)?[123]d|(Adaptive)?(Avg|Max|LP|FractionalMax)Pool[123]d"
    r"|MaxUnpool[123]d|Fold|Unfold")
