"""Arrays built from others: roll, tile, repeat_interleave, one_hot, diag_embed, block,
meshgrid, sliding windows (NumPy's sliding_window_view, PyTorch's unfold), insert, delete.

All but the sliding windows are compositions of slicing, gathers, reshapes and
concatenation, so their gradients come from those primitives. Where an output element
is a copy of an input element, its cotangent goes back to that element (added up when
one element is copied several times). The sliding window is a primitive because a
gather would index every window element separately: its transpose adds each window
position back with one slice per window offset.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .. import statements as S
from ..api_types import tensor_function
from ..domains import Example
from ..graph import is_tensor, new_tensor
from ..graph import values as _values
from ..rules import composite, primitive
from ..tracing import concrete
from .decompositions import tril, triu
from .elementwise import astype, copy, equal
from .shape import (
    as_index,
    broadcast_to,
    concatenate,
    expand_dims,
    getitem,
    normalize_axes,
    reshape,
    take,
    transpose,
)
from .shape import scatter_add as _add_into_zeros

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..api_types import Operand, Operands
    from ..tensor import Tensor


def _ints(x, op, name):
    x = np.asarray(as_index(x))
    if x.dtype.kind not in "iu":
        raise TypeError(f"{op}: {name} must hold integers, got dtype {x.dtype}")
    return x


# ------------------------------------------------------------------- roll, tile
def _roll_axis(x, shift, axis):
    n = np.shape(x)[axis]
    s = int(shift) % n if n else 0
    if s == 0:
        return x
    lead = (slice(None),) * axis
    # Two slices joined: basic indexing, whose gradient is a slice assignment.
    return concatenate([getitem(x, lead + (slice(n - s, None),)),
                        getitem(x, lead + (slice(0, n - s),))], axis=axis)


@composite
def roll(x, shift, axis=None):
    """NumPy's roll: elements shifted cyclically by `shift` along `axis` (flattened if None).

    shift and axis may be sequences (broadcast against each other)."""
    if axis is None:
        return reshape(roll(reshape(x, (-1,)), np.sum(shift), 0), np.shape(x))
    shifts, axes = np.broadcast_arrays(np.asarray(shift), np.asarray(axis))
    if shifts.ndim > 1:
        raise ValueError("roll: shift and axis must be integers or 1-D sequences")
    r = x
    for s, ax in zip(shifts.ravel(), axes.ravel()):
        r = _roll_axis(r, s, normalize_axes(int(ax), np.ndim(x), "roll")[0])
    # A shift by a multiple of the length still gives a new array (NumPy's and PyTorch's
    # roll never return their input: writing into the result must not change it).
    return copy(r) if r is x else r


@composite
def torch_roll(
    input: Operand, shifts: int | Sequence[int], dims: int | Sequence[int] | None = None
) -> Tensor:
    """PyTorch's roll: as NumPy's, but shifts and dims must have the same length."""
    if dims is not None and np.size(shifts) != np.size(dims):
        raise ValueError(
            f"roll: shifts and dims must have the same length, got {np.size(shifts)} and "
            f"{np.size(dims)}"
        )
    if dims is None and np.size(shifts) != 1:
        raise ValueError("roll: without dims, shifts must be a single integer")
    return roll(input, shifts, dims)


@composite
def tile(A: Operand, reps: int | Sequence[int]) -> Tensor:
    """NumPy's tile (PyTorch's tile(input, dims)): A repeated reps[i] times along axis i."""
    reps = (reps,) if np.ndim(reps) == 0 else tuple(reps)
    shape = np.shape(A)
    d = max(len(reps), len(shape))
    shape = (1,) * (d - len(shape)) + shape
    reps = (1,) * (d - len(reps)) + tuple(int(r) for r in reps)
    # (1, s0, 1, s1, ...) broadcast to (r0, s0, r1, s1, ...), then merged pairwise.
    x = reshape(A, tuple(v for s in shape for v in (1, s)))
    x = broadcast_to(x, tuple(v for r, s in zip(reps, shape) for v in (r, s)))
    out = reshape(x, tuple(r * s for r, s in zip(reps, shape)))
    # The merge can stay a read-only view of the broadcast (a repeat along a new leading
    # axis); NumPy's tile and PyTorch's repeat give an array of their own, written into
    # in place by programs (x.repeat(...).div_(255)).
    if not (out._data if is_tensor(out) else np.asarray(out)).flags.writeable:
        out = copy(out)
    return out


@composite
def repeat_interleave(
    input: Operand, repeats: int | Operand | None = None, dim: int | None = None, *,
    output_size: int | None = None,
) -> Tensor:
    """PyTorch's repeat_interleave: each element (slice along dim) repeated repeats times.

    repeats is an int or one count per element; dim=None flattens first. Called with
    only an integer tensor of counts, returns the indices repeat_interleave would read.
    """
    if repeats is None:
        counts = _ints(input, "repeat_interleave", "repeats")
        out = np.repeat(np.arange(counts.size), counts.reshape(-1)).astype(np.int64)
        return new_tensor(out) if is_tensor(input) else out
    if dim is None:
        input = reshape(input, (-1,))
        dim = 0
    dim = normalize_axes(dim, max(np.ndim(input), 1), "repeat_interleave")[0]
    if np.ndim(input) == 0:
        input = reshape(input, (1,))
    n = np.shape(input)[dim]
    counts = _ints(repeats, "repeat_interleave", "repeats").reshape(-1)
    if counts.size not in (1, n):
        raise ValueError(
            f"repeat_interleave: repeats must be one count or one per element along dim "
            f"({n}), got {counts.size}"
        )
    if (counts < 0).any():
        raise ValueError("repeat_interleave: repeats must be non-negative")
    index = np.repeat(np.arange(n), counts if counts.size == n else int(counts[0]))
    if output_size is not None and output_size != index.size:
        raise ValueError(
            f"repeat_interleave: output_size={output_size} but the repeats give {index.size}"
        )
    return take(input, index, axis=dim)


def _at_least_2d(input, op):
    if np.ndim(input) < 2:
        raise ValueError(f"{op}: input must have at least 2 dimensions, got shape "
                         f"{np.shape(input)}")


@composite
def torch_tril(input: Operand, diagonal: int = 0) -> Tensor:
    """PyTorch's tril: the lower triangle (j <= i + diagonal) of the last two dimensions."""
    _at_least_2d(input, "tril")
    return tril(input, diagonal)


@composite
def torch_triu(input: Operand, diagonal: int = 0) -> Tensor:
    """PyTorch's triu: the upper triangle (j >= i + diagonal) of the last two dimensions."""
    _at_least_2d(input, "triu")
    return triu(input, diagonal)


# --------------------------------------------------------- one_hot, diag_embed
@tensor_function
def one_hot(input: Operand, num_classes: int = -1) -> Tensor:
    """PyTorch's nn.functional.one_hot: int64 array of shape input.shape + (num_classes,).

    num_classes=-1 takes max + 1. Class values must lie in [0, num_classes).
    """
    # The checks read the values (a traced tensor's: the first example's or call's); the
    # result is a comparison, an operation on `input`, so a tracer replays it.
    labels = np.asarray(input._data if is_tensor(input) else input)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"one_hot: input must hold integers, got dtype {labels.dtype}")
    if num_classes == -1:
        if labels.size == 0:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor; pass it")
        if is_tensor(input):
            concrete(input, "one_hot's num_classes=-1 (the largest class + 1)")
        num_classes = int(labels.max()) + 1
    if labels.size and labels.min() < 0:
        raise ValueError("one_hot: class values must be non-negative")
    if labels.size and labels.max() >= num_classes:
        raise ValueError(
            f"one_hot: class value {int(labels.max())} is not smaller than num_classes="
            f"{num_classes}"
        )
    if not is_tensor(input):
        return (labels[..., None] == np.arange(num_classes)).astype(np.int64)
    return astype(equal(expand_dims(input, -1), np.arange(num_classes)), np.int64)


@composite
def diag_embed(input: Operand, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """PyTorch's diag_embed: the last dimension of input placed on the `offset` diagonal of
    the planes (dim1, dim2) of a new array with one more dimension."""
    shape = np.shape(input)
    if not shape:
        raise ValueError("diag_embed: input must have at least one dimension")
    nd = len(shape) + 1
    d1, d2 = normalize_axes((dim1, dim2), nd, "diag_embed", repeats_ok=True)
    if d1 == d2:
        raise ValueError(f"diag_embed: dim1 and dim2 must differ, both are {d1}")
    n = shape[-1]
    m = n + abs(offset)
    i = np.arange(n)
    rows, cols = (i, i + offset) if offset >= 0 else (i - offset, i)
    batch = shape[:-1]
    b = math.prod(batch)
    # (batch, n) scattered into (batch, m, m), then the two new axes moved into place.
    pos = (np.arange(b)[:, None] * m * m + rows * m + cols).reshape(batch + (n,))
    flat = _add_into_zeros(reshape(input, (-1,)), index=pos.reshape(-1), shape=(b * m * m,))
    out = reshape(flat, batch + (m, m))
    rest = iter(range(len(batch)))
    perm = tuple(len(batch) if k == d1 else len(batch) + 1 if k == d2 else next(rest)
                 for k in range(nd))
    return transpose(out, perm)


# ------------------------------------------------------------ block, meshgrid
def _block_depth(arrays, op="block"):
    if isinstance(arrays, tuple):
        raise TypeError(f"{op}: nested sequences must be lists, not tuples")
    if not isinstance(arrays, list):
        return 0, [np.ndim(arrays)]
    if not arrays:
        raise ValueError(f"{op}: lists cannot be empty")
    found = [_block_depth(a) for a in arrays]
    depths = {d for d, _ in found}
    if len(depths) != 1:
        raise ValueError(f"{op}: list depths are mismatched (found depths {sorted(depths)})")
    return depths.pop() + 1, [n for _, ns in found for n in ns]


def block(arrays):
    """NumPy's block: nested lists of arrays joined, the innermost along the last axis.

    Arrays get leading size-1 axes up to the nesting depth (or the deepest array)."""
    depth, ndims = _block_depth(arrays)
    ndim = max(depth, *ndims)

    def build(x, level):
        if level == depth:
            s = np.shape(x)
            return reshape(x, (1,) * (ndim - len(s)) + s)
        return concatenate([build(e, level + 1) for e in x], axis=level - depth)

    return build(arrays, 0)


def meshgrid(*xi, indexing="xy", sparse=False):
    """NumPy's meshgrid: coordinate arrays from 1-D vectors ('xy' swaps the first two axes).

    A tuple of arrays; with sparse=True they keep size-1 axes instead of broadcasting."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    nd = len(xi)
    out = []
    for i, x in enumerate(xi):
        shape = [1] * nd
        shape[i] = -1
        if indexing == "xy" and nd > 1 and i < 2:
            shape[i], shape[1 - i] = 1, -1
        out.append(reshape(x, tuple(shape)))
    if not sparse and out:
        full = np.broadcast_shapes(*[np.shape(o) for o in out])
        out = [broadcast_to(o, full) for o in out]
    return tuple(out)


def torch_meshgrid(
    *tensors: Operand | Operands, indexing: Literal["ij", "xy"] | None = None
) -> tuple[Any, ...]:
    """PyTorch's meshgrid: like NumPy's but 'ij' indexing by default; takes a list too."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    for k, t in enumerate(tensors):
        if np.ndim(t) > 1:
            raise ValueError(f"meshgrid: expected 0-D or 1-D tensors, argument {k} has shape "
                             f"{np.shape(t)}")
    return meshgrid(*tensors, indexing="ij" if indexing is None else indexing)


# ----------------------------------------------------------- sliding windows
def _window_axes(ndim, window_shape, axis, op="sliding_window_view"):
    window = (window_shape,) if np.ndim(window_shape) == 0 else tuple(window_shape)
    if axis is None:
        if len(window) != ndim:
            raise ValueError(
                f"{op}: window_shape needs one entry per axis ({ndim}) when axis is None, "
                f"got {len(window)}"
            )
        axes = tuple(range(ndim))
    else:
        axes = normalize_axes(axis, ndim, op, repeats_ok=True)
        if len(axes) != len(window):
            raise ValueError(f"{op}: window_shape and axis must have the same length")
    return tuple(int(w) for w in window), axes


def _windows_fwd(x, window_shape, axis):
    return np.lib.stride_tricks.sliding_window_view(x, window_shape, axis)


def _window_sum_fwd(g, shape, window_shape, axis):
    """The transpose of sliding_window_view: each window element added back in place."""
    g = np.asarray(g)
    out = np.zeros(shape, dtype=g.dtype)
    nd = len(shape)
    positions = g.shape[:nd]
    for offsets in np.ndindex(*window_shape):
        start = [0] * nd
        for a, o in zip(axis, offsets):
            start[a] += o
        out[tuple(slice(s, s + p) for s, p in zip(start, positions))] += g[(Ellipsis, *offsets)]
    return out


def _windows_rule(prim, args, batched, kw):
    """Windows of a batch: the example's axes move past the batch axis (and the shape of
    the window sum gains it); the window axes stay last."""
    x = args[0]
    kw = dict(kw, axis=tuple(int(a) + 1 for a in kw["axis"]))
    if "shape" in kw:
        kw["shape"] = (np.shape(x)[0],) + tuple(kw["shape"])
    return prim(x, **kw)


def _windows_example(rng):
    return (rng.standard_normal((4, 5)),), {"window_shape": (2, 3), "axis": (0, 1)}


windows = primitive(
    "sliding_window_view", _windows_fwd,
    view=True, linear=True, batch=_windows_rule,
    domain=Example(_windows_example),
    statement=S.Statement(
        forward="y[i, k] = x[i + k]: every window of window_shape along the axes, as new "
        "trailing axes (a strided view)",
        vjp="x_bar[j] = sum of g[i, k] over i + k = j (each window element added back)",
        latex_forward=r"y_{i,k} = x_{i+k}",
        latex_vjp=r"\bar x_j = \sum_{i + k = j} \bar y_{i,k}",
    ),
)
window_sum = primitive(
    "sliding_window_sum", _window_sum_fwd,
    linear=True, batch=_windows_rule,
    domain=Example(lambda rng: ((rng.standard_normal((3, 3, 2, 3)),),
                                {"shape": (4, 5), "window_shape": (2, 3), "axis": (0, 1)})),
    statement=S.Statement(
        forward="x[j] = sum of g[i, k] over i + k = j: sliding_window_view's transpose",
        vjp="g_bar = the sliding windows of the cotangent",
        latex_forward=r"x_j = \sum_{i + k = j} g_{i,k}",
        latex_vjp=r"\bar g_{i,k} = \bar x_{i+k}",
    ),
)
windows.defvjp(
    lambda g, ans, x, window_shape, axis: window_sum(
        g, shape=np.shape(x), window_shape=window_shape, axis=axis),
)
window_sum.defvjp(
    lambda g, ans, v, shape, window_shape, axis: windows(g, window_shape=window_shape,
                                                         axis=axis),
)


@composite
def sliding_window_view(x, window_shape, axis=None):
    """NumPy's sliding_window_view: all windows of window_shape along axis (all axes if None),
    the window positions first and the window's own axes last."""
    window, axes = _window_axes(np.ndim(x), window_shape, axis)
    shape = list(np.shape(x))
    for w, a in zip(window, axes):
        if w < 0 or w > shape[a]:
            raise ValueError(
                f"sliding_window_view: window size {w} does not fit axis {a} of size "
                f"{np.shape(x)[a]}"
            )
        shape[a] -= w - 1
    return windows(x, window_shape=window, axis=axes)


@composite
def unfold(input: Operand, dimension: int, size: int, step: int) -> Tensor:
    """PyTorch's Tensor.unfold: windows of `size` every `step` along dimension, as a new
    last dimension."""
    if step <= 0:
        raise ValueError(f"unfold: step must be positive, got {step}")
    if np.ndim(input) == 0:
        input = reshape(input, (1,))
    dim = normalize_axes(dimension, np.ndim(input), "unfold")[0]
    w = sliding_window_view(input, size, dim)
    if step == 1:
        return w
    return getitem(w, (slice(None),) * dim + (slice(None, None, step),))


# ------------------------------------------------------------- insert, delete
@composite
def insert(arr, obj, values, axis=None):
    """NumPy's insert: values placed before the indices obj along axis (flattened if None).

    NumPy itself decides the layout, run on element numbers; the result is a gather
    from arr and values, so both get gradients (a value broadcast to several places
    gets their sum)."""
    obj = as_index(obj)
    ids = np.arange(np.size(arr)).reshape(np.shape(arr))
    vshape = np.shape(values)
    vids = -1 - np.arange(math.prod(vshape)).reshape(vshape)
    src = np.insert(ids, obj, vids, axis=axis)
    dtype = _values(arr).dtype
    if is_tensor(values) and values.dtype != dtype:
        values = astype(values, dtype)
    elif not is_tensor(values):
        values = np.asarray(values).astype(dtype)
    flat = concatenate([reshape(arr, (-1,)), reshape(values, (-1,))])
    return getitem(flat, np.where(src >= 0, src, np.size(arr) - 1 - src))


@composite
def delete(arr, obj, axis=None):
    """NumPy's delete: arr without the entries obj along axis (flattened if None)."""
    ids = np.arange(np.size(arr)).reshape(np.shape(arr))
    return getitem(reshape(arr, (-1,)), np.delete(ids, as_index(obj), axis=axis))
