"""JAX's functional index updates, ``x.at[index].set(v)`` and the rest, on tensors (the
``at`` property) and on NumPy arrays (``at(x)[index]``, used by the JAX front end's arrays).

Each returns a new array or tensor, ``x`` unchanged, with JAX's semantics:

* ``set``: repeated positions keep the last value written; ``add``, ``subtract``,
  ``multiply``, ``divide``, ``power``, ``min``, ``max`` and ``apply`` accumulate, one
  step per occurrence (NumPy's ``ufunc.at``: ``x.at[[1, 1]].add(1)`` adds 2,
  ``.divide(2)`` divides by 4);
* the values are cast to ``x``'s dtype (a float into an int array truncates);
* out-of-bounds indices: updates drop them (``mode="drop"``, JAX's default, also
  ``"fill"`` and ``"promise_in_bounds"``), or clamp them with ``mode="clip"``; ``get``
  clamps them by default (as JAX's indexing does), or gives ``fill_value`` (NaN for
  floats) for them with ``mode="fill"``. Negative indices count from the end, as always.
  An index that is itself traced (mapped over by vmap, or an argument of a compiled
  function) is taken as in bounds, must be integers (one per leading axis), and its
  ``multiply``, ``divide``, ``power``, ``min``, ``max`` and ``apply`` read a repeated
  position once.

On tensors every update is recorded (ufunc.at's and index writes' rules), so gradients
flow to ``x`` and to the values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .graph import is_tensor
from .graph import values as _values
from .tracing import traced

_MODES = (None, "promise_in_bounds", "clip", "drop", "fill")


class IndexUpdateHelper:
    """``x.at``: indexed by ``[index]``, gives the reference whose methods make the copy."""

    __slots__ = ("array",)

    def __init__(self, array: Any):
        self.array = array

    def __getitem__(self, index: Any) -> IndexUpdateRef:
        return IndexUpdateRef(self.array, index)

    def __repr__(self) -> str:
        return f"_IndexUpdateHelper({self.array!r})"


def at(array: Any) -> IndexUpdateHelper:
    """The ``.at`` of ``array`` (a NumPy array or a tensor)."""
    return IndexUpdateHelper(array)


class IndexUpdateRef:
    """``x.at[index]``: ``get`` and the updates (the module doc)."""

    __slots__ = ("array", "index")

    def __init__(self, array: Any, index: Any):
        self.array, self.index = array, index

    def __repr__(self) -> str:
        return f"_IndexUpdateRef({self.array!r}, {self.index!r})"

    def get(self, *, indices_are_sorted: bool = False, unique_indices: bool = False,
            mode: str | None = None, fill_value: Any = None) -> Any:
        """x[index], out-of-bounds indices clamped (or, with mode="fill", fill_value)."""
        x = self.array
        fill = _check_mode(mode, "get") == "fill"
        index, inside = _normalized(np.shape(x), self.index, clip=not fill)
        if inside:
            return x[index]
        flat = _flat(x)
        pos = _positions(np.shape(x), index)
        taken = flat[np.where(pos < 0, 0, pos)]
        if fill_value is None:
            dtype = np.dtype(x.dtype)
            fill_value = (np.nan if dtype.kind in "fc" else
                          np.iinfo(dtype).min if dtype.kind == "i" else
                          np.iinfo(dtype).max if dtype.kind == "u" else True)
        from . import numpy as cnp

        return cnp.where(pos < 0, np.asarray(fill_value).astype(x.dtype), taken)

    def set(self, values: Any, *, indices_are_sorted: bool = False,
            unique_indices: bool = False, mode: str | None = None) -> Any:
        """A copy of x with x[index] = values (the last of repeated positions wins)."""
        return self._update(None, values, mode)

    def add(self, values: Any, **kw: Any) -> Any:
        """A copy of x with values added at index (repeated positions add up)."""
        return self._update("add", values, kw.get("mode"))

    def subtract(self, values: Any, **kw: Any) -> Any:
        """A copy of x with values subtracted at index (repeated positions each subtract)."""
        return self._update("subtract", values, kw.get("mode"))

    def multiply(self, values: Any, **kw: Any) -> Any:
        """A copy of x multiplied by values at index (once per occurrence)."""
        return self._update("multiply", values, kw.get("mode"))

    def mul(self, values: Any, **kw: Any) -> Any:
        """JAX's older name of multiply."""
        return self.multiply(values, **kw)

    def divide(self, values: Any, **kw: Any) -> Any:
        """A copy of x divided by values at index (once per occurrence)."""
        return self._update("divide", values, kw.get("mode"))

    def power(self, values: Any, **kw: Any) -> Any:
        """A copy of x raised to values at index (once per occurrence)."""
        return self._update("power", values, kw.get("mode"))

    def min(self, values: Any, **kw: Any) -> Any:  # noqa: A003  (JAX's name)
        """A copy of x with x[index] = minimum(x[index], values)."""
        return self._update("minimum", values, kw.get("mode"))

    def max(self, values: Any, **kw: Any) -> Any:  # noqa: A003  (JAX's name)
        """A copy of x with x[index] = maximum(x[index], values)."""
        return self._update("maximum", values, kw.get("mode"))

    def apply(self, func: Any, **kw: Any) -> Any:
        """A copy of x with func applied at index (once per occurrence)."""
        return self._update(func, None, kw.get("mode"))

    def _update(self, op: Any, values: Any, mode: str | None) -> Any:
        from . import numpy as cnp

        x = self.array
        parts = self.index if isinstance(self.index, tuple) else (self.index,)
        if _traced(parts):
            return _traced_update(x, parts, op, values)
        clip = _check_mode(mode, "update") == "clip"
        index, inside = _normalized(np.shape(x), self.index, clip=clip)
        if not inside:
            pos = _positions(np.shape(x), index)
            keep = (pos >= 0).reshape(-1)
            index = (pos.reshape(-1)[keep],)
            if values is not None:
                values = cnp.reshape(cnp.broadcast_to(values, pos.shape), (-1,))[keep]
            out = cnp.reshape(cnp.copy(x), (-1,))
        else:
            out = cnp.copy(x)
        if values is not None:
            values = _cast(values, np.dtype(x.dtype))
        if op is None:
            out[index] = values
        elif isinstance(op, str):
            getattr(cnp, op).at(out, index, values)
        else:
            _apply_each(out, index, op)
        return cnp.reshape(out, np.shape(x)) if not inside else out


def _traced(parts):
    return any(is_tensor(c) and traced(c) for c in parts)


def _traced_update(x, parts, op, values):
    """The update at an index being traced, as index writes the trace records: integer
    indices only, one per leading axis, taken as in bounds; set and add exact for repeated
    positions (the last wins; all add up), the others reading each position once."""
    from . import numpy as cnp
    from . import primitives as P

    if any(c is None or c is Ellipsis or isinstance(c, slice) for c in parts):
        raise NotImplementedError(
            "x.at[...]: with an index that vmap maps over (or cr.compile traces), only "
            "integer indices, one per leading axis, are supported; move the indexed axes "
            "first or index with cnp.take / cnp.where")
    if values is not None:
        values = _cast(values, np.dtype(x.dtype))
    if op is None:
        return P.index_put(x, parts, values)
    if op in ("add", "subtract"):
        return P.index_put(x, parts, values if op == "add" else cnp.negative(values),
                           accumulate=True)
    old = x[parts]
    new = op(old) if values is None else getattr(cnp, op)(old, values)
    return P.index_put(x, parts, new)


def _check_mode(mode, what):
    if mode not in _MODES:
        raise ValueError(f"at[...].{what}: mode must be one of 'promise_in_bounds', 'clip', "
                         f"'drop', 'fill' or None, got {mode!r}")
    return mode


def _cast(values, dtype):
    if is_tensor(values):
        return values if values.dtype == dtype else values.astype(dtype)
    return np.asarray(values).astype(dtype, copy=False)


def _flat(x):
    from . import numpy as cnp

    return cnp.reshape(x, (-1,))


def _apply_each(out, index, func):
    """out[index] = func(out[index]), once per occurrence of each position."""
    from . import numpy as cnp
    from .numpy.ufunc_methods import occurrence

    pos = np.arange(out.size).reshape(np.shape(out))[index].reshape(-1)
    flat = cnp.reshape(out, (-1,))
    rank = occurrence(pos)
    for k in range(int(rank.max()) + 1 if rank.size else 0):
        where = pos[rank == k]
        flat[where] = func(flat[where])
    out[...] = cnp.reshape(flat, np.shape(out))


def _normalized(shape, index, clip):
    """(index with tensors read as arrays and boolean masks as their nonzero positions,
    Ellipsis expanded; whether every integer in it is in bounds). With clip, the
    integers are clamped into bounds first (so always inside)."""
    parts = index if isinstance(index, tuple) else (index,)
    if _traced(parts):
        # An index that differs per example (vmap) or per call (cr.compile) cannot be
        # checked here: it is taken as in bounds (see _traced_update).
        return index, True
    comps: list[Any] = []
    for c in parts:
        if is_tensor(c) or isinstance(c, (list, np.ndarray)):
            c = np.asarray(_values(c))
            if c.dtype == bool:
                comps.extend(np.nonzero(c) if c.ndim else [c])
                continue
        comps.append(c)
    consuming = sum(1 for c in comps if c is not None and c is not Ellipsis)
    if any(c is Ellipsis for c in comps):
        k = comps.index(Ellipsis)
        comps[k:k + 1] = [slice(None)] * (len(shape) - consuming)
    inside, axis, out = True, 0, []
    for c in comps:
        if c is None or isinstance(c, slice) or (isinstance(c, np.ndarray) and c.dtype == bool):
            out.append(c)
            axis += 0 if c is None else (c.ndim if isinstance(c, np.ndarray) else 1)
            continue
        a = np.asarray(c)
        if a.dtype.kind not in "iu":
            raise IndexError(f"at[...]: indices must be integers, slices, None, Ellipsis or "
                             f"boolean masks, got {a.dtype} ({c!r})")
        if axis >= len(shape):
            raise IndexError(f"at[...]: too many indices for an array of shape {shape}")
        n = shape[axis]
        if clip:
            a = np.clip(np.where(a < 0, a + n, a), 0, max(n - 1, 0))
        else:
            inside = inside and bool(np.all((a >= -n) & (a < n)))
        out.append(int(a) if a.ndim == 0 else a)
        axis += 1
    return tuple(out), inside


def _positions(shape, index):
    """Flat positions of x[index] in x, -1 where an integer of the index is out of bounds
    (read from a copy of the position grid one longer on those axes, its last entry -1)."""
    grown, axis, fixed = list(shape), 0, []
    for c in index:
        if c is None or isinstance(c, slice):
            fixed.append(c)
            axis += c is not None
            continue
        n = shape[axis]
        a = np.asarray(c)
        a = np.where(a < 0, a + n, a)
        a = np.where((a < 0) | (a >= n), n, a)
        grown[axis] = n + 1
        fixed.append(a)
        axis += 1
    grid = np.full(grown, -1, np.intp)
    grid[tuple(slice(0, n) for n in shape)] = np.arange(int(np.prod(shape))).reshape(shape)
    return grid[tuple(fixed)]
