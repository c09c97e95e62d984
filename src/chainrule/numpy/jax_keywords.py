"""JAX's keywords on NumPy's functions, for programs moved from ``jax.numpy``:
``descending=`` of ``sort``/``argsort``, and ``size=``/``fill_value=`` of ``nonzero``,
``argwhere`` and ``flatnonzero`` (results of a fixed size, which is how JAX code writes
them to run under vmap). Without those keywords each is NumPy's function. Written with
chainrule.numpy's operations, so they trace under cr.vmap and cr.compile."""

from __future__ import annotations

import numpy as np

from .. import graph
from . import dispatch as _dispatch
from . import reductions as _reductions

__all__ = ["argsort", "argwhere", "flatnonzero", "nonzero", "sort"]


def _cnp():
    from .. import numpy as cnp  # (this module is part of it)

    return cnp


def argsort(a, axis=-1, kind=None, order=None, *, stable=None, descending=False):
    """NumPy's argsort; with ``descending=True`` JAX's: largest first, equal elements in
    their original order (NaN, which sorts last ascending, comes first)."""
    if not descending:
        return _reductions.argsort(a, axis, kind, order, stable=stable)
    cnp = _cnp()
    if axis is None:
        a, axis = cnp.ravel(a), -1
    # The stable ascending order of the reversed array, reversed: the largest first, and
    # among equals the one first in `a` first; then positions mapped back to `a`'s.
    flipped = cnp.flip(a, axis)
    order_ = _reductions.argsort(flipped, axis, kind="stable")
    return (np.shape(graph.values(a))[axis] - 1) - cnp.flip(order_, axis)


def sort(a, axis=-1, kind=None, order=None, *, stable=None, descending=False):
    """NumPy's sort; with ``descending=True`` largest first (JAX's keyword)."""
    if not descending:
        return _reductions.sort(a, axis, kind, order, stable=stable)
    cnp = _cnp()
    if axis is None:
        a, axis = cnp.ravel(a), -1
    return cnp.flip(_reductions.sort(a, axis, kind, order, stable=stable), axis)


def nonzero(a, *, size=None, fill_value=None):
    """NumPy's nonzero; with ``size`` JAX's: each index array has exactly ``size``
    entries, the first nonzeros in order, padded with ``fill_value`` (0, or one value per
    dimension)."""
    if size is None:
        return np.nonzero(a)
    cnp = _cnp()
    shape = np.shape(graph.values(a))
    if not shape:
        raise ValueError("nonzero: a 0-d array has no nonzero indices; use atleast_1d")
    flat = cnp.ravel(a) != 0
    n = int(np.prod(shape))
    # Indices of the nonzeros first, in order (a stable sort of "is zero"), then the rest.
    first = _reductions.argsort(cnp.logical_not(flat), kind="stable")
    if size > n:
        first = cnp.concatenate([first, np.zeros(size - n, first.dtype
                                                 if hasattr(first, "dtype") else np.int64)])
    first = first[:size]
    valid = np.arange(size) < cnp.sum(flat)
    fills = fill_value if isinstance(fill_value, (tuple, list)) else (
        [0 if fill_value is None else fill_value] * len(shape))
    if len(fills) != len(shape):
        raise ValueError(f"nonzero: fill_value must be a scalar or hold one value per "
                         f"dimension ({len(shape)}), got {len(fills)}")
    coords, rest = [], first
    for d in reversed(shape):  # (row-major: the last dimension varies fastest)
        coords.append(rest % d)
        rest = rest // d
    return tuple(cnp.where(valid, c, f) for c, f in zip(reversed(coords), fills))


def flatnonzero(a, *, size=None, fill_value=None):
    """NumPy's flatnonzero; with ``size`` JAX's fixed-size result (see nonzero)."""
    if size is None:
        return np.flatnonzero(a)
    return nonzero(_cnp().ravel(a), size=size, fill_value=fill_value)[0]


def argwhere(a, *, size=None, fill_value=None):
    """NumPy's argwhere; with ``size`` JAX's (size, ndim) result (see nonzero)."""
    if size is None:
        return np.argwhere(a)
    cnp = _cnp()
    return cnp.stack(nonzero(cnp.atleast_1d(a), size=size, fill_value=fill_value), axis=-1)


# np.sort(t) / np.argsort(t) on a tensor come here too: one function per NumPy name.
_dispatch.FUNCTIONS[np.sort] = sort
_dispatch.FUNCTIONS[np.argsort] = argsort
