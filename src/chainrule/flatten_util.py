"""``ravel_pytree`` (jax.flatten_util): a pytree's leaves as one 1-D array, and back.

Optimizers and solvers written for one vector (``scipy.optimize.minimize``, a
Gauss-Newton step, an ODE state) take a model's parameter tree through this. Both
directions are made of differentiable operations, so ``cr.grad`` passes through a loss
of ``unravel(flat)`` and through ``ravel_pytree(params)[0]``.

The leaves come in chainrule.pytree's order (a dict's in insertion order; JAX sorts the
keys), and registered nodes are flattened like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import primitives as P
from .graph import is_tensor
from .pytree import tree_flatten, tree_unflatten


def ravel_pytree(pytree: Any) -> tuple[Any, Callable[[Any], Any]]:
    """``(flat, unravel)``: the leaves raveled and joined in tree order, in the dtype they
    promote to (JAX's rule: floats decide over integers, ``int64`` with ``float32`` gives
    ``float32``); ``unravel(flat)`` rebuilds the tree, each leaf in its own dtype and shape."""
    leaves, treedef = tree_flatten(pytree)
    flat, unravel_list = _ravel_list(leaves)
    return flat, lambda flat: tree_unflatten(treedef, unravel_list(flat))


def _ravel_list(leaves: list[Any]) -> tuple[Any, Callable[[Any], list[Any]]]:
    if not leaves:
        # JAX's empty vector is float32 (even with x64), and unravel gives the bare tree.
        return np.array([], np.float32), lambda flat: []
    dtypes = [_dtype(x) for x in leaves]
    shapes = [np.shape(x) for x in leaves]
    to_dtype = _promoted(dtypes)
    flat = _concatenate([_ravel(x, to_dtype) for x in leaves])
    ends = np.cumsum([int(np.prod(s)) for s in shapes])
    # With one dtype the unravel function takes any dtype (JAX's "dtype-polymorphic"
    # unravel: a float32 copy of a float64 vector gives float32 leaves); with several it
    # must get the promoted dtype back, to know what each leaf is cast from.
    single = all(d == to_dtype for d in dtypes)

    def unravel(flat: Any) -> list[Any]:
        if np.shape(flat) != (int(ends[-1]),):
            raise ValueError(f"The unravel function expected an array of shape "
                             f"({int(ends[-1])},), got shape {np.shape(flat)}.")
        if not single and _dtype(flat) != to_dtype:
            raise TypeError(f"unravel function given array of dtype {_dtype(flat)}, but "
                            f"expected dtype {to_dtype}")
        starts = [0, *ends[:-1]]
        parts = [flat[int(a):int(b)].reshape(shape) for a, b, shape in zip(starts, ends, shapes)]
        return parts if single else [_cast(p, d) for p, d in zip(parts, dtypes)]

    return flat, unravel


def _dtype(x: Any) -> np.dtype:
    # Python scalars take NumPy's default dtypes (float64, int64, bool), as JAX's x64 mode.
    return np.dtype(x.dtype) if hasattr(x, "dtype") else np.asarray(x).dtype


def _promoted(dtypes: list[np.dtype]) -> np.dtype:
    """JAX's promotion of the leaves' dtypes: where NumPy widens an integer beside a float
    (int64 and float32 to float64), JAX keeps the float's width."""
    inexact = [d for d in dtypes if np.issubdtype(d, np.inexact)]
    return np.result_type(*(inexact or dtypes))


def _ravel(x: Any, dtype: np.dtype) -> Any:
    if is_tensor(x):
        flat = P.reshape(x, (-1,))
        return flat if flat.dtype == dtype else flat.astype(dtype)
    return np.ravel(np.asarray(x)).astype(dtype, copy=False)


def _concatenate(parts: list[Any]) -> Any:
    if any(is_tensor(p) for p in parts):
        return P.concatenate(parts, axis=0)
    return np.concatenate(parts)


def _cast(part: Any, dtype: np.dtype) -> Any:
    return part if part.dtype == dtype else part.astype(dtype)
