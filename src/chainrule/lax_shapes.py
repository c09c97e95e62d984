"""``chainrule.lax``'s shape operations, slices, padding, constants and ``dot_general``,
with JAX's names, argument names and conventions, built on chainrule.numpy's
differentiable operations."""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import numpy as cnp
from .graph import values as _values

__all__ = [
    "batch_matmul", "broadcast", "broadcast_in_dim", "broadcast_shapes", "broadcast_to_rank",
    "broadcasted_iota", "collapse", "concatenate", "convert_element_type", "dot",
    "dot_general", "dynamic_index_in_dim", "expand_dims", "full", "full_like", "index_in_dim",
    "iota", "pad", "reshape", "rev", "slice", "slice_in_dim", "split", "squeeze", "stack",
    "tile", "transpose", "unstack",
]


def _shape(x: Any) -> tuple[int, ...]:
    return tuple(np.shape(_values(x)))


def _dtype(x: Any) -> np.dtype:
    return np.asarray(_values(x)).dtype


def _axis(a: int, ndim: int, op: str) -> int:
    a = int(a)
    if ndim == 0 or not -ndim <= a < ndim:
        raise ValueError(f"{op}: axis {a} is out of range for an array of {ndim} axes")
    return a % ndim


# ------------------------------------------------------------------- shapes
def broadcast(operand: Any, sizes: Sequence[int], *, out_sharding: Any = None) -> Any:
    """operand with new leading axes of the given sizes."""
    return cnp.broadcast_to(operand, tuple(int(s) for s in sizes) + _shape(operand))


def broadcast_in_dim(operand: Any, shape: Sequence[int], broadcast_dimensions: Sequence[int],
                     *, out_sharding: Any = None) -> Any:
    """operand broadcast to ``shape``, its axis i laid along ``broadcast_dimensions[i]``
    (each of size 1 or of the target's size)."""
    shape = tuple(int(s) for s in shape)
    src = _shape(operand)
    dims = tuple(int(d) for d in broadcast_dimensions)
    if len(dims) != len(src) or len(set(dims)) != len(dims) or \
            any(not 0 <= d < len(shape) for d in dims) or list(dims) != sorted(dims):
        raise ValueError(f"broadcast_in_dim: broadcast_dimensions {dims} must give, in "
                         f"increasing order, one distinct axis of the target {shape} for "
                         f"each axis of the operand {src}")
    for n, d in zip(src, dims):
        if n not in (1, shape[d]):
            raise ValueError(f"broadcast_in_dim: operand axis of size {n} cannot broadcast "
                             f"to {shape[d]} (axis {d} of {shape})")
    placed = [1] * len(shape)
    for n, d in zip(src, dims):
        placed[d] = n
    return cnp.broadcast_to(cnp.reshape(operand, tuple(placed)), shape)


def reshape(operand: Any, new_sizes: Sequence[int], dimensions: Sequence[int] | None = None,
            *, out_sharding: Any = None) -> Any:
    """operand in row-major order (after transposing by ``dimensions``, if given) laid out
    as ``new_sizes``."""
    if dimensions is not None:
        operand = cnp.transpose(operand, tuple(int(d) for d in dimensions))
    new_sizes = tuple(int(s) for s in new_sizes)
    if math.prod(new_sizes) != math.prod(_shape(operand)):
        raise TypeError(f"reshape: cannot reshape {_shape(operand)} to {new_sizes}")
    return cnp.reshape(operand, new_sizes)


def transpose(operand: Any, permutation: Sequence[int]) -> Any:
    """operand's axes in the order of ``permutation``."""
    perm = tuple(int(p) for p in permutation)
    if sorted(perm) != list(builtins.range(len(_shape(operand)))):
        raise ValueError(f"transpose: permutation {perm} is not a permutation of the "
                         f"operand's {len(_shape(operand))} axes")
    return cnp.transpose(operand, perm)


def squeeze(array: Any, dimensions: Sequence[int]) -> Any:
    """array without the given axes (each of size 1)."""
    shape = _shape(array)
    dims = tuple(_axis(d, len(shape), "squeeze") for d in dimensions)
    for d in dims:
        if shape[d] != 1:
            raise ValueError(f"squeeze: axis {d} has size {shape[d]}, not 1")
    return cnp.reshape(array, tuple(n for i, n in enumerate(shape) if i not in dims))


def expand_dims(array: Any, dimensions: Sequence[int]) -> Any:
    """array with new axes of size 1 at ``dimensions`` (positions in the result)."""
    shape = _shape(array)
    ndim = len(shape) + len(dimensions)
    dims = sorted(_axis(d, ndim, "expand_dims") for d in dimensions)
    if len(set(dims)) != len(dims):
        raise ValueError(f"expand_dims: repeated dimensions {tuple(dimensions)}")
    out, rest = [], iter(shape)
    for i in builtins.range(ndim):
        out.append(1 if i in dims else next(rest))
    return cnp.reshape(array, tuple(out))


def collapse(operand: Any, start_dimension: int, stop_dimension: int | None = None) -> Any:
    """operand with axes [start_dimension, stop_dimension) merged into one."""
    shape = _shape(operand)
    lo = start_dimension % len(shape) if shape else 0
    hi = len(shape) if stop_dimension is None else (
        stop_dimension if stop_dimension >= 0 else stop_dimension + len(shape))
    if not 0 <= lo <= hi <= len(shape):
        raise ValueError(f"collapse: dimensions [{start_dimension}, {stop_dimension}) are "
                         f"not a range of the operand's {len(shape)} axes")
    merged = (math.prod(shape[lo:hi]),)
    return cnp.reshape(operand, shape[:lo] + merged + shape[hi:])


def concatenate(operands: Sequence[Any], dimension: int) -> Any:
    """operands joined along ``dimension`` (of equal rank)."""
    operands = list(operands)
    if not operands:
        raise ValueError("concatenate: give at least one operand")
    return cnp.concatenate(operands, axis=int(dimension))


def split(operand: Any, sizes: Sequence[int], axis: int = 0) -> list[Any]:
    """operand cut along axis into consecutive pieces of the given sizes (summing to the
    axis's size)."""
    shape = _shape(operand)
    axis = _axis(axis, len(shape), "split")
    sizes = [int(k) for k in sizes]
    if sum(sizes) != shape[axis] or any(k < 0 for k in sizes):
        raise ValueError(f"split: sizes {tuple(sizes)} must be non-negative and sum to the "
                         f"size {shape[axis]} of axis {axis}")
    starts = np.cumsum([0, *sizes])
    return [_take(operand, axis, int(a), int(b)) for a, b in zip(starts[:-1], starts[1:])]


def stack(operands: Sequence[Any], axis: int = 0) -> Any:
    """operands (of one shape) stacked along a new axis."""
    return cnp.stack(list(operands), axis=int(axis))


def unstack(x: Any, axis: int = 0) -> tuple[Any, ...]:
    """The slices of x along axis, as a tuple."""
    shape = _shape(x)
    axis = _axis(axis, len(shape), "unstack")
    return tuple(cnp.squeeze(_take(x, axis, i, i + 1), axis)
                 for i in builtins.range(shape[axis]))


def tile(operand: Any, reps: Sequence[int]) -> Any:
    """operand repeated reps[i] times along axis i (one rep per axis)."""
    reps = tuple(int(r) for r in reps)
    if len(reps) != len(_shape(operand)):
        raise ValueError(f"tile: reps {reps} needs one entry per axis of {_shape(operand)}")
    return cnp.tile(operand, reps)


def broadcast_to_rank(x: Any, rank: int) -> Any:
    """x with leading axes of size 1 added up to ``rank`` axes."""
    shape = _shape(x)
    if len(shape) >= int(rank):
        return x
    return cnp.reshape(x, (1,) * (int(rank) - len(shape)) + shape)


def broadcast_shapes(*shapes: Sequence[int]) -> tuple[int, ...]:
    """The shape the given shapes broadcast to (NumPy's rule)."""
    return tuple(int(n) for n in np.broadcast_shapes(*(tuple(s) for s in shapes)))


def rev(operand: Any, dimensions: Sequence[int]) -> Any:
    """operand reversed along each of ``dimensions``."""
    dims = tuple(int(d) for d in dimensions)
    return cnp.flip(operand, axis=dims) if dims else operand


# ------------------------------------------------------------------ padding
def _dilate_zeros(x: Any, axis: int, interior: int) -> Any:
    """x with ``interior`` zeros between neighbours along axis."""
    shape = _shape(x)
    n = shape[axis]
    if interior == 0 or n <= 1:
        return x
    gap = shape[:axis + 1] + (interior,) + shape[axis + 1:]
    z = cnp.zeros(gap, _dtype(x))
    both = cnp.concatenate([cnp.expand_dims(x, axis + 1), z], axis=axis + 1)
    flat = cnp.reshape(both, shape[:axis] + (n * (interior + 1),) + shape[axis + 1:])
    return _take(flat, axis, 0, (n - 1) * (interior + 1) + 1)


def _take(x: Any, axis: int, start: int, stop: int, step: int = 1) -> Any:
    index: list[Any] = [builtins.slice(None)] * len(_shape(x))
    index[axis] = builtins.slice(start, stop, step)
    return x[tuple(index)]


def _pad_zeros(x: Any, config: Sequence[tuple[int, int, int]]) -> Any:
    for axis, (lo, hi, interior) in enumerate(config):
        x = _dilate_zeros(x, axis, interior)
        n = _shape(x)[axis]
        # negative low/high crop
        x = _take(x, axis, builtins.max(-lo, 0), n - builtins.max(-hi, 0))
        if lo > 0 or hi > 0:
            widths = [(0, 0)] * len(config)
            widths[axis] = (builtins.max(lo, 0), builtins.max(hi, 0))
            x = cnp.pad(x, widths)
    return x


def pad(operand: Any, padding_value: Any, padding_config: Sequence[Sequence[int]]) -> Any:
    """operand padded with ``padding_value``: per axis ``(low, high, interior)`` cells
    before, after and between the elements; a negative low or high crops instead.
    Differentiable in operand and in padding_value."""
    shape = _shape(operand)
    if len(padding_config) != len(shape) or any(len(c) != 3 for c in padding_config):
        raise ValueError(f"pad: padding_config needs one (low, high, interior) triple per "
                         f"axis of the operand {shape}, got {padding_config}")
    config = [(int(lo), int(hi), int(i)) for lo, hi, i in padding_config]
    if any(c[2] < 0 for c in config):
        raise ValueError(f"pad: interior padding must be >= 0, got {padding_config}")
    for n, (lo, hi, i) in zip(shape, config):
        if lo + hi + (builtins.max(n - 1, 0) * (i + 1) + builtins.min(n, 1)) < 0:
            raise ValueError(f"pad: padding_config {padding_config} crops more than the "
                             f"operand {shape} holds")
    if np.ndim(_values(padding_value)) != 0:
        raise TypeError("pad: padding_value must be a scalar")
    inside = _pad_zeros(np.ones(shape, bool), config)
    return cnp.where(inside, _pad_zeros(operand, config),
                     cnp.asarray(padding_value).astype(_dtype(operand)))


# ------------------------------------------------------------------- slices
def slice(operand: Any, start_indices: Sequence[int], limit_indices: Sequence[int],  # noqa: A001
          strides: Sequence[int] | None = None) -> Any:
    """operand[start:limit:stride] along every axis (static bounds)."""
    shape = _shape(operand)
    steps = strides if strides is not None else (1,) * len(shape)
    if not len(start_indices) == len(limit_indices) == len(steps) == len(shape):
        raise ValueError(f"slice: give one start, limit (and stride) per axis of {shape}")
    for s, e, n in zip(start_indices, limit_indices, shape):
        if not 0 <= int(s) <= int(e) <= n:
            raise ValueError(f"slice: bounds [{s}, {e}) do not fit an axis of size {n} "
                             f"(lax.slice takes no negative indices)")
    return operand[tuple(builtins.slice(int(s), int(e), int(t))
                         for s, e, t in zip(start_indices, limit_indices, steps))]


def slice_in_dim(operand: Any, start_index: int | None, limit_index: int | None,
                 stride: int = 1, axis: int = 0) -> Any:
    """lax.slice along one axis; None bounds mean the ends, negative ones count from the
    end."""
    shape = _shape(operand)
    axis = _axis(axis, len(shape), "slice_in_dim")
    n = shape[axis]
    start = 0 if start_index is None else int(start_index)
    limit = n if limit_index is None else int(limit_index)
    start, limit = (start + n if start < 0 else start), (limit + n if limit < 0 else limit)
    starts, limits, strides = [0] * len(shape), list(shape), [1] * len(shape)
    starts[axis], limits[axis], strides[axis] = start, limit, int(stride)
    return slice(operand, starts, limits, strides)


def index_in_dim(operand: Any, index: int, axis: int = 0, keepdims: bool = True) -> Any:
    """The slice at ``index`` along axis (negative from the end), kept as an axis of size
    1 unless keepdims=False."""
    shape = _shape(operand)
    axis = _axis(axis, len(shape), "index_in_dim")
    i = int(index) + (shape[axis] if int(index) < 0 else 0)
    if not 0 <= i < shape[axis]:
        raise IndexError(f"index_in_dim: index {index} is out of bounds for axis {axis} of "
                         f"size {shape[axis]}")
    out = slice_in_dim(operand, i, i + 1, 1, axis)
    return out if keepdims else cnp.squeeze(out, axis)


def dynamic_index_in_dim(operand: Any, index: Any, axis: int = 0,
                         keepdims: bool = True) -> Any:
    """index_in_dim at a computed index (clamped into range, as dynamic_slice does)."""
    from .lax import dynamic_slice_in_dim
    shape = _shape(operand)
    axis = _axis(axis, len(shape), "dynamic_index_in_dim")
    out = dynamic_slice_in_dim(operand, index, 1, axis)
    return out if keepdims else cnp.squeeze(out, axis)


# --------------------------------------------------------------- constants
def full(shape: Sequence[int] | int, fill_value: Any, dtype: Any = None, *,
         sharding: Any = None) -> Any:
    """An array of ``shape`` filled with ``fill_value`` (in ``dtype``, else fill_value's)."""
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if np.ndim(_values(fill_value)) != 0:
        raise TypeError("full: fill_value must be a scalar")
    value = cnp.asarray(fill_value)
    if dtype is not None:
        value = value.astype(np.dtype(dtype))
    return cnp.broadcast_to(value, shape)


def full_like(x: Any, fill_value: Any, dtype: Any = None, shape: Any = None, *,
              sharding: Any = None) -> Any:
    """full with x's shape and dtype unless given."""
    return full(_shape(x) if shape is None else shape, fill_value,
                _dtype(x) if dtype is None else dtype)


def iota(dtype: Any, size: int, *, sharding: Any = None) -> Any:
    """0, 1, ..., size - 1 in ``dtype``."""
    return np.arange(int(size), dtype=np.dtype(dtype))


def broadcasted_iota(dtype: Any, shape: Sequence[int], dimension: int, *,
                     sharding: Any = None) -> Any:
    """An array of ``shape`` holding each element's index along ``dimension``."""
    shape = tuple(int(s) for s in shape)
    d = _axis(dimension, len(shape), "broadcasted_iota")
    along = np.arange(shape[d], dtype=np.dtype(dtype)).reshape(
        tuple(n if i == d else 1 for i, n in enumerate(shape)))
    return np.broadcast_to(along, shape).copy()


def convert_element_type(operand: Any, new_dtype: Any) -> Any:
    """operand in ``new_dtype``. As XLA converts: floats to integers round toward zero and
    saturate at the integer type's range (NaN gives 0), complex to real keeps the real
    part, anything to bool tests for nonzero. Differentiable between inexact types."""
    new = np.dtype(new_dtype)
    old = _dtype(operand)
    x = operand
    if old.kind == "c" and new.kind != "c":
        x = cnp.real(x)
        old = np.dtype(old.char.lower()) if old.char in "FDG" else np.dtype(np.float64)
    if new.kind == "b":
        return cnp.not_equal(x, 0)
    if old.kind == "f" and new.kind in "iu":
        info = np.iinfo(new)
        # (the bounds as floats of x's type: the largest int64 rounds up to 2**63, so
        # the saturated value is set explicitly)
        t = cnp.trunc(cnp.where(cnp.isnan(x), 0, x))
        big, small = cnp.greater_equal(t, float(info.max)), cnp.less_equal(t, float(info.min))
        safe = cnp.asarray(cnp.where(cnp.logical_or(big, small), 0, t)).astype(new)
        return cnp.where(big, new.type(info.max), cnp.where(small, new.type(info.min), safe))
    return cnp.asarray(x).astype(new)


# ---------------------------------------------------------------- products
def dot_general(lhs: Any, rhs: Any, dimension_numbers: Any, precision: Any = None,
                preferred_element_type: Any = None, *, out_sharding: Any = None) -> Any:
    """The general tensor contraction: ``dimension_numbers = ((lhs_contracting,
    rhs_contracting), (lhs_batch, rhs_batch))``; the result's axes are the batch axes,
    then lhs's free axes, then rhs's (each in order). ``precision`` is accepted and
    ignored (NumPy computes in the operands' precision)."""
    (lc, rc), (lb, rb) = dimension_numbers
    lc, rc, lb, rb = (tuple(int(a) for a in d) for d in (lc, rc, lb, rb))
    ls, rs = _shape(lhs), _shape(rhs)
    if len(lc) != len(rc) or len(lb) != len(rb):
        raise TypeError(f"dot_general: contracting {lc} / {rc} and batch {lb} / {rb} "
                        f"dimensions must pair up")
    for a, b, kind in [*((a, b, "contracting") for a, b in zip(lc, rc)),
                       *((a, b, "batch") for a, b in zip(lb, rb))]:
        if ls[a] != rs[b]:
            raise TypeError(f"dot_general: {kind} dimensions of different sizes: lhs axis "
                            f"{a} ({ls[a]}) and rhs axis {b} ({rs[b]})")
    letters = iter("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    left = [next(letters) for _ in ls]
    right = [next(letters) for _ in rs]
    for a, b in zip((*lc, *lb), (*rc, *rb)):
        right[b] = left[a]
    out = [left[a] for a in lb]
    out += [left[i] for i in builtins.range(len(ls)) if i not in lc and i not in lb]
    out += [right[i] for i in builtins.range(len(rs)) if i not in rc and i not in rb]
    y = cnp.einsum(f"{''.join(left)},{''.join(right)}->{''.join(out)}", lhs, rhs)
    if preferred_element_type is not None:
        y = cnp.asarray(y).astype(np.dtype(preferred_element_type))
    return y


def dot(lhs: Any, rhs: Any, precision: Any = None, preferred_element_type: Any = None, *,
        out_sharding: Any = None) -> Any:
    """The vector/matrix product of 1-d or 2-d operands (lhs's last axis with rhs's
    first)."""
    ls, rs = _shape(lhs), _shape(rhs)
    if not (1 <= len(ls) <= 2 and 1 <= len(rs) <= 2):
        raise TypeError(f"dot: takes 1-d or 2-d operands, got {ls} and {rs}; use "
                        f"dot_general")
    return dot_general(lhs, rhs, (((len(ls) - 1,), (0,)), ((), ())), precision,
                       preferred_element_type)


def batch_matmul(lhs: Any, rhs: Any, precision: Any = None) -> Any:
    """Matrix products over leading batch axes (equal rank >= 2, equal batch sizes)."""
    ls, rs = _shape(lhs), _shape(rhs)
    if len(ls) < 2 or len(ls) != len(rs) or ls[:-2] != rs[:-2]:
        raise ValueError(f"batch_matmul: operands need equal rank >= 2 and equal batch "
                         f"axes, got {ls} and {rs}")
    return cnp.matmul(lhs, rhs)
