"""PyTorch's ``out=`` argument for the ``torch.*`` functions: the result is computed as
usual, then written into ``out`` (resized when its shape differs, in ``out``'s dtype), and
``out`` is returned, as ``torch.matmul(a, b, out=c)`` returns ``c``. As in PyTorch, it is
refused when a gradient would flow (the write is outside the graph)."""

from __future__ import annotations

import functools
import inspect

import numpy as np

from .. import graph
from ..graph import TensorBase


def write_out(out, result, name):
    """``result`` written into ``out`` (a tensor, or a tuple of them for tuple results)."""
    if isinstance(out, (tuple, list)):
        results = tuple(result)
        if len(results) != len(out):
            raise TypeError(f"{name}(): out= has {len(out)} tensors for {len(results)} results")
        written = tuple(write_out(o, r, name) for o, r in zip(out, results))
        return type(result)(*written) if hasattr(result, "_fields") else written
    if not isinstance(out, TensorBase):
        raise TypeError(f"{name}(): out= must be a tensor, got {type(out).__name__}")
    value = result._data if isinstance(result, TensorBase) else np.asarray(result)
    if graph.is_grad_enabled() and (out.requires_grad or (
            isinstance(result, TensorBase) and result.requires_grad)):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support "
                           f"automatic differentiation, but one of the arguments requires "
                           f"grad.")
    if not np.can_cast(value.dtype, out._data.dtype, "same_kind"):
        raise RuntimeError(f"{name}(): result type {value.dtype} can't be cast to the "
                           f"desired output type {out._data.dtype}")
    if out._data.shape != value.shape:
        out._data = np.empty(value.shape, out._data.dtype)  # (PyTorch resizes out too)
    out._data[...] = value
    graph.mark_modified(out)
    return out


# PyTorch's argument parser reads NumPy's keyword names as its own in every torch.*
# function (torch.mean(x, axis=0, keepdims=True)); a function with a parameter of the
# NumPy name itself keeps it.
_NUMPY_NAMES = {"axis": "dim", "keepdims": "keepdim", "x": "input", "a": "input",
                "x1": "input", "x2": "other"}


def _aliases(fn):
    try:
        params = set(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return {}
    return {k: v for k, v in _NUMPY_NAMES.items() if v in params and k not in params}


def with_out(fn):
    """``fn`` taking ``out=`` (see the module doc) and NumPy's keyword names."""
    aliases = _aliases(fn)

    @functools.wraps(fn)
    def call(*args, out=None, **kwargs):
        if kwargs and aliases:
            for k in [k for k in kwargs if k in aliases]:
                if aliases[k] in kwargs:
                    raise TypeError(f"{fn.__name__}() got {k}= and {aliases[k]}=, which "
                                    f"name the same argument")
                kwargs[aliases[k]] = kwargs.pop(k)
        result = fn(*args, **kwargs)
        if out is None:
            return result
        return write_out(out, result, fn.__name__)

    return call
