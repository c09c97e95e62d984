"""NumPy's shape functions: reshape, transpose, stacking and splitting, tile, pad, take,
insert/delete, block, meshgrid, put_along_axis."""

from __future__ import annotations

import builtins

import numpy as np

from .. import graph as _graph
from .. import primitives as P
from .dispatch import FUNCTIONS as _FUNCTIONS
from .dispatch import any_tensor as _any_tensor
from .dispatch import as_dtype as _as_dtype
from .dispatch import no_out as _no_out
from .dispatch import numpy_function as _numpy_function


def _fortran_only(a):
    flags = _graph.values(a).flags
    return flags.f_contiguous and not flags.c_contiguous


@_numpy_function(np.reshape)
def reshape(a, shape=None, order="C", *, copy=None):
    """The same values in a new shape, read and written in C order, or in Fortran order
    (``order="F"``: the first index fastest, which is the C-order reshape of the reversed
    axes, reversed back); ``order="A"`` is Fortran order for an array that is Fortran- and
    not C-contiguous in memory, as in NumPy."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if order == "A":
        order = "F" if _fortran_only(a) else "C"
    if order in ("C", None):
        return P.reshape(a, shape)
    if order != "F":
        raise ValueError(f"reshape: order must be one of 'C', 'F' or 'A', got {order!r}")
    return P.transpose(P.reshape(P.transpose(a, None), shape[::-1]), None)


@_numpy_function(np.ravel)
def ravel(a, order="C"):
    """The values as a 1-D array: C order, Fortran order (``order="F"``, or "A" for a
    Fortran-only array), or memory order (``order="K"``: the axes by decreasing stride,
    a negative stride read forwards, as NumPy's ravel does)."""
    if order == "K":
        strides = _graph.values(a).strides
        axes = sorted(range(len(strides)), key=lambda i: -abs(strides[i]))
        # (a broadcast axis, stride 0, has no memory order: NumPy keeps C order then)
        if axes != sorted(axes) and 0 not in strides:
            a = P.transpose(a, tuple(axes))
        order = "C"
    return reshape(a, -1, order)


@_numpy_function(np.transpose)
def transpose(a, axes=None):
    """Axes permuted (reversed by default)."""
    return P.transpose(a, None if axes is None else tuple(axes))


permute_dims = transpose


@_numpy_function(np.matrix_transpose)
def matrix_transpose(x):
    """Transpose of the last two axes."""
    return P.swapaxes(x, -1, -2)


@_numpy_function(np.moveaxis)
def moveaxis(a, source, destination):
    """Axes moved from `source` to `destination`, the others kept in order."""
    nd = np.ndim(a)
    src = P.normalize_axes(source, nd, "moveaxis")
    dst = P.normalize_axes(destination, nd, "moveaxis")
    if len(src) != len(dst):
        raise ValueError("moveaxis: source and destination must name the same number of axes")
    order = [n for n in range(nd) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return P.transpose(a, tuple(order))


@_numpy_function(np.rollaxis)
def rollaxis(a, axis, start=0):
    """Axis `axis` moved to position `start`."""
    nd = np.ndim(a)
    axis = P.normalize_axes(axis, nd, "rollaxis")[0]
    if start < 0:
        start += nd
    if axis < start:
        start -= 1
    if axis == start:
        return a
    axes = [i for i in range(nd) if i != axis]
    axes.insert(start, axis)
    return P.transpose(a, tuple(axes))


@_numpy_function(np.swapaxes)
def swapaxes(a, axis1, axis2):
    """Two axes exchanged."""
    return P.swapaxes(a, axis1, axis2)


@_numpy_function(np.squeeze)
def squeeze(a, axis=None):
    """Length-1 axes removed."""
    return P.squeeze(a, axis)


@_numpy_function(np.expand_dims)
def expand_dims(a, axis):
    """Length-1 axes inserted at `axis` (an int or a tuple)."""
    return P.reshape(a, np.expand_dims(np.empty(np.shape(a), dtype=bool), axis).shape)


@_numpy_function(np.broadcast_to)
def broadcast_to(array, shape, subok=False):
    """The array broadcast to `shape`; the gradient sums over the broadcast axes."""
    return P.broadcast_to(array, (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape))


@_numpy_function(np.broadcast_arrays)
def broadcast_arrays(*args, subok=False):
    """All arguments broadcast to their common shape."""
    target = np.broadcast_shapes(*[np.shape(a) for a in args])
    return tuple(P.broadcast_to(a, target) for a in args)


@_numpy_function(np.concatenate, sequences=("arrays",))
def concatenate(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """Arrays joined along an existing axis (flattened first when axis is None)."""
    _no_out("concatenate", out)
    return _as_dtype(P.concatenate(list(arrays), axis=axis), dtype)


concat = concatenate


@_numpy_function(np.stack, sequences=("arrays",))
def stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """Same-shaped arrays joined along a new axis."""
    _no_out("stack", out)
    return _as_dtype(P.stack(list(arrays), axis=axis), dtype)


@_numpy_function(np.atleast_1d)
def atleast_1d(*arys):
    """Each input with at least one axis."""
    out = [P.reshape(a, (1,)) if np.ndim(a) == 0 else a for a in arys]
    return out[0] if len(out) == 1 else tuple(out)


@_numpy_function(np.atleast_2d)
def atleast_2d(*arys):
    """Each input with at least two axes (a 1-D array becomes a row)."""
    out = [P.reshape(a, (1,) * (2 - np.ndim(a)) + np.shape(a)) if np.ndim(a) < 2 else a
           for a in arys]
    return out[0] if len(out) == 1 else tuple(out)


@_numpy_function(np.atleast_3d)
def atleast_3d(*arys):
    """Each input with at least three axes: (1, 1, 1), (1, n, 1), (m, n, 1)."""
    out = []
    for a in arys:
        s = np.shape(a)
        if len(s) == 0:
            a = P.reshape(a, (1, 1, 1))
        elif len(s) == 1:
            a = P.reshape(a, (1, s[0], 1))
        elif len(s) == 2:
            a = P.reshape(a, s + (1,))
        out.append(a)
    return out[0] if len(out) == 1 else tuple(out)


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


@_numpy_function(np.hstack, sequences=("tup",))
def hstack(tup, *, dtype=None, casting="same_kind"):
    """Arrays joined column-wise (along axis 1; along axis 0 for 1-D inputs)."""
    arrs = _as_tuple(atleast_1d(*tup))
    axis = 0 if arrs and np.ndim(arrs[0]) == 1 else 1
    return _as_dtype(P.concatenate(list(arrs), axis=axis), dtype)


@_numpy_function(np.vstack, sequences=("tup",))
def vstack(tup, *, dtype=None, casting="same_kind"):
    """Arrays joined row-wise (1-D inputs become rows)."""
    return _as_dtype(P.concatenate(list(_as_tuple(atleast_2d(*tup))), axis=0), dtype)


# NumPy deprecated row_stack in favour of vstack, which it runs.
row_stack = vstack


@_numpy_function(np.dstack, sequences=("tup",))
def dstack(tup):
    """Arrays joined along the third axis."""
    return P.concatenate(list(_as_tuple(atleast_3d(*tup))), axis=2)


@_numpy_function(np.column_stack, sequences=("tup",))
def column_stack(tup):
    """1-D arrays as columns (and 2-D arrays as they are) joined along axis 1."""
    cols = [P.reshape(a, (-1, 1)) if np.ndim(a) < 2 else a for a in tup]
    return P.concatenate(cols, axis=1)


def _pieces(x, boundaries, axis):
    nd = np.ndim(x)
    axis = P.normalize_axes(axis, nd, "split")[0]
    out = []
    lead = (slice(None),) * axis
    for lo, hi in zip(boundaries[:-1], boundaries[1:]):
        out.append(P.getitem(x, lead + (slice(int(lo), int(hi)),)))
    return out


def _split_points(n, indices_or_sections, exact):
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0:
            raise ValueError("split: number of sections must be larger than 0")
        if exact and n % k:
            raise ValueError("array split does not result in an equal division")
        base, extra = divmod(n, k)
        sizes = [base + 1] * extra + [base] * (k - extra)
        return np.concatenate([[0], np.cumsum(sizes)])
    idx = [builtins.min(builtins.max(int(i) if i >= 0 else int(i) + n, 0), n)
           for i in indices_or_sections]
    return [0] + idx + [n]


@_numpy_function(np.split)
def split(ary, indices_or_sections, axis=0):
    """Equal sections (or pieces between indices) along `axis`."""
    n = np.shape(ary)[axis]
    return _pieces(ary, _split_points(n, indices_or_sections, True), axis)


@_numpy_function(np.array_split)
def array_split(ary, indices_or_sections, axis=0):
    """Like split, but sections may differ in length by one."""
    n = np.shape(ary)[axis]
    return _pieces(ary, _split_points(n, indices_or_sections, False), axis)


@_numpy_function(np.hsplit)
def hsplit(ary, indices_or_sections):
    """Split along axis 1 (axis 0 for 1-D input)."""
    return split(ary, indices_or_sections, 1 if np.ndim(ary) > 1 else 0)


@_numpy_function(np.vsplit)
def vsplit(ary, indices_or_sections):
    """Split along axis 0 (input of at least 2 axes)."""
    if np.ndim(ary) < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return split(ary, indices_or_sections, 0)


@_numpy_function(np.dsplit)
def dsplit(ary, indices_or_sections):
    """Split along axis 2 (input of at least 3 axes)."""
    if np.ndim(ary) < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return split(ary, indices_or_sections, 2)


@_numpy_function(np.tile)
def tile(A, reps):
    """A repeated reps times along each axis."""
    return P.tile(A, reps)


@_numpy_function(np.repeat)
def repeat(a, repeats, axis=None):
    """Each element repeated `repeats` times along `axis` (of the flattened array if None)."""
    if axis is None:
        a = P.reshape(a, (-1,))
        axis = 0
    n = np.shape(a)[axis]
    return P.take(a, np.repeat(np.arange(n), repeats), axis=axis)


@_numpy_function(np.flip)
def flip(m, axis=None):
    """Order of elements reversed along `axis` (all axes if None)."""
    return P.flip(m, axis)


@_numpy_function(np.flipud)
def flipud(m):
    """Rows reversed (axis 0)."""
    return P.flip(m, 0)


@_numpy_function(np.fliplr)
def fliplr(m):
    """Columns reversed (axis 1)."""
    return P.flip(m, 1)


@_numpy_function(np.roll)
def roll(a, shift, axis=None):
    """Elements shifted cyclically by `shift` along `axis` (the flattened array if None)."""
    return P.roll(a, shift, axis)


@_numpy_function(np.rot90)
def rot90(m, k=1, axes=(0, 1)):
    """Rotation by 90 degrees k times in the plane of `axes`."""
    k %= 4
    a0, a1 = axes
    if k == 0:
        return m
    if k == 2:
        return P.flip(P.flip(m, a0), a1)
    perm = list(range(np.ndim(m)))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return P.transpose(P.flip(m, a1), tuple(perm))
    return P.flip(P.transpose(m, tuple(perm)), a1)


@_numpy_function(np.pad)
def pad(array, pad_width, mode="constant", **kwargs):
    """Padded array: modes constant, edge, reflect, symmetric, wrap, linear_ramp, mean."""
    return P.pad(array, pad_width, mode, **kwargs)


@_numpy_function(np.append)
def append(arr, values, axis=None):
    """values appended to arr (both flattened when axis is None)."""
    if axis is None:
        return P.concatenate([P.reshape(arr, (-1,)), P.reshape(values, (-1,))], axis=0)
    return P.concatenate([arr, values], axis=axis)


@_numpy_function(np.insert)
def insert(arr, obj, values, axis=None):
    """values inserted before the indices obj along axis (flattened when axis is None)."""
    return P.insert(arr, obj, values, axis)


@_numpy_function(np.delete)
def delete(arr, obj, axis=None):
    """arr without the entries obj along axis (flattened when axis is None)."""
    return P.delete(arr, obj, axis)


@_numpy_function(np.block, sequences=("arrays",))
def block(arrays):
    """Nested lists of arrays assembled into one (innermost lists along the last axis)."""
    return P.block(arrays)


@_numpy_function(np.meshgrid)
def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    """Coordinate arrays from 1-D vectors ('xy': the first two outputs vary along axes 1, 0)."""
    return P.meshgrid(*xi, indexing=indexing, sparse=sparse)


def put_along_axis(arr, indices, values, axis, *, inplace=True):
    """NumPy's put_along_axis: values written into arr at indices along axis, in place.

    A traced tensor cannot be written in place; pass inplace=False (JAX's keyword) to
    get the written copy instead, differentiable in arr and values (a position written
    twice keeps the last value, as NumPy's assignment does). Untraced tensors are
    written in place, as NumPy arrays are.
    """
    if not _any_tensor((arr, indices, values)):
        if inplace:
            return np.put_along_axis(arr, indices, values, axis)
        out = np.array(arr, copy=True)
        np.put_along_axis(out, indices, values, axis)
        return out
    values = _graph.array_like(values)
    if not inplace:
        return P.put_along_axis(arr, indices, values, axis)
    if _graph.is_traced(arr) or _graph.is_traced(values):
        raise TypeError(
            "put_along_axis: writes into arr in place, which a traced tensor cannot take; "
            "use cnp.put_along_axis(arr, indices, values, axis, inplace=False), which "
            "returns the written copy (differentiable)"
        )
    if not _graph.is_tensor(arr):
        raise TypeError("put_along_axis: arr must be an array or a tensor to write into")
    np.put_along_axis(arr._data, P.as_index(indices), _graph.array_like(values)._data
                      if _graph.is_tensor(values) else values, axis)
    _graph.mark_modified(arr)
    return None


_FUNCTIONS[np.put_along_axis] = put_along_axis


@_numpy_function(np.take)
def take(a, indices, axis=None, out=None, mode="raise"):
    """Elements at `indices` along `axis`; repeated indices accumulate gradient. mode
    'wrap' takes indices modulo the length, 'clip' clamps them into range (negative
    ones to 0), as NumPy's."""
    _no_out("take", out)
    if mode not in ("raise", "wrap", "clip"):
        raise ValueError(f"clipmode must be one of 'clip', 'raise', or 'wrap' (got {mode!r})")
    if mode != "raise":
        indices = _in_range(a, indices, axis, mode)
    return P.take(a, indices, axis=axis)


def _in_range(a, indices, axis, mode):
    """take's indices brought into range by `mode` ('wrap' or 'clip')."""
    shape = np.shape(a)
    if axis is None:
        n = int(np.prod(shape))
    elif -len(shape) <= axis < len(shape):
        n = shape[axis]
    else:
        return indices  # (P.take names the bad axis)
    # NumPy's conversion: an array is cast to intp "same_kind" (floats refused), a list
    # or a Python number converted as by np.asarray(..., dtype=intp)
    if isinstance(indices, (np.ndarray, np.generic)):
        indices = indices.astype(np.intp, casting="same_kind")
    elif not _graph.is_tensor(indices):
        indices = np.asarray(indices, dtype=np.intp)
    elif not np.can_cast(_graph.values(indices).dtype, np.intp, casting="same_kind"):
        raise TypeError(f"Cannot cast array data from {_graph.values(indices).dtype!r} to "
                        f"{np.dtype(np.intp)!r} according to the rule 'same_kind'")
    if n == 0:
        if np.size(indices):
            raise IndexError("cannot do a non-empty take from an empty axes.")
        return indices
    if mode == "wrap":
        return P.mod(indices, n) if _graph.is_tensor(indices) else np.mod(indices, n)
    return P.clip(indices, 0, n - 1) if _graph.is_tensor(indices) else np.clip(indices, 0, n - 1)


@_numpy_function(np.take_along_axis)
def take_along_axis(arr, indices, axis=-1):
    """Elements picked along `axis` by an index array of matching rank."""
    if axis is None:
        return P.take_along_axis(P.reshape(arr, (-1,)), indices, 0)
    return P.take_along_axis(arr, indices, axis)


@_numpy_function(np.copy)
def copy(a, order="K", subok=False):
    """A copy (its own buffer), differentiable."""
    return P.copy(a)
