"""NumPy's array constructors on tensors: a list holding tensors is stacked differentiably."""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from ..graph import is_tensor
from .dispatch import as_dtype as _as_dtype
from .dispatch import numpy_function as _numpy_function


def _stack_nested(obj):
    if is_tensor(obj):
        return obj
    if isinstance(obj, (list, tuple)):
        return P.stack([_stack_nested(o) for o in obj])
    return np.asarray(obj)


@_numpy_function(np.array, sequences=("object",))
def array(object, dtype=None, *, copy=True, order="K", subok=False, ndmin=0, like=None):
    """An array; a nested list holding chainrule tensors is stacked differentiably."""
    r = P.copy(object) if is_tensor(object) else _stack_nested(object)
    if np.ndim(r) < ndmin:
        r = P.reshape(r, (1,) * (ndmin - np.ndim(r)) + np.shape(r))
    return _as_dtype(r, dtype)


@_numpy_function(np.asarray, sequences=("a",))
def asarray(a, dtype=None, order=None, *, device=None, copy=None, like=None):
    """`a` as an array: a tensor is returned as it is (converted to dtype if given)."""
    r = a if is_tensor(a) else _stack_nested(a)
    if dtype is not None and np.dtype(dtype) != r.data.dtype:
        r = P.astype(r, dtype=np.dtype(dtype))
    return r


@_numpy_function(np.asanyarray, sequences=("a",))
def asanyarray(a, dtype=None, order=None, *, device=None, copy=None, like=None):
    """Like asarray."""
    return asarray(a, dtype)


# NumPy's own, assigned last: these names are also parameters of the functions above.
dtype = np.dtype
shape = np.shape
nan = np.nan
indices = np.indices
