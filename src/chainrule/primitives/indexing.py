"""Gathers and scatters by index: PyTorch's gather/scatter family, masks, NumPy's put_along_axis.

Every function here is a composition of the indexing primitives of ``shape`` (getitem
and its transpose, which adds values into zeros at an index) and ``where``, so their
gradients and forward-mode tangents, to every order, come from those rules.

Repeated indices. A *write* (``scatter``, ``index_put(accumulate=False)``,
``put_along_axis``) keeps the last value written to each position, in the C order of
the index array, as NumPy's assignment ``a[idx] = v`` does; PyTorch leaves the winner
unspecified. The winner is computed explicitly, so the result is deterministic and the
gradient agrees with it exactly: the winning value gets the cotangent of its position,
the values it overwrote get zero, and the input gets zero wherever anything was
written. An *accumulation* (``scatter_add``, ``index_add``,
``index_put(accumulate=True)``) adds every value, as ``np.add.at`` does, and each value
gets the cotangent of its position.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import statements as S
from ..api_types import tensor_function
from ..domains import Example
from ..graph import array_like, is_tensor, new_tensor
from ..graph import values as _values
from ..index_template import SLOT
from ..rules import composite, nondifferentiable, primitive
from ..tracing import traced
from .elementwise import astype, where
from .shape import (
    add_at,
    as_index,
    broadcast_to,
    getitem,
    normalize_axes,
    reshape,
    scatter_add_at,
    take,
    take_along_axis,
)
from .shape import scatter_add as _add_into_zeros  # getitem's transpose, not PyTorch's

if TYPE_CHECKING:
    from ..api_types import Operand
    from ..tensor import Tensor


# ------------------------------------------------- gathers by computed indices
# The indices of a sort, a median or an interpolation interval are computed from the
# values; they must be arguments of the gather (not constants baked into it), so that
# cr.vmap replays the computation of the indices for every example.
def _repeat_for(a, size):
    """An unbatched argument repeated for each of `size` examples, on a new axis 0."""
    shape = np.shape(a)
    return broadcast_to(reshape(a, (1,) + shape), (size,) + shape)


def along_axis_rule(prim, args, batched, kw):
    """Batching rule of a primitive whose arguments all have the example's rank and that
    works along kw["axis"] (gather_along, scatter_along, logcumsumexp's push and pull):
    every argument gets the batch axis, the axis moves past it (a shape gains it)."""
    size = next(np.shape(a)[0] for a, b in zip(args, batched) if b)
    args = [a if b else _repeat_for(a, size) for a, b in zip(args, batched)]
    kw = dict(kw, axis=int(kw["axis"]) % (np.ndim(args[0]) - 1) + 1)
    if "shape" in kw:
        kw["shape"] = (size,) + tuple(kw["shape"])
    return prim(*args, **kw)


def _scatter_along_fwd(g, index, axis, shape):
    g = np.asarray(g)
    out = np.zeros(shape, dtype=g.dtype)
    coords = list(np.indices(g.shape, sparse=True))
    for d, n in enumerate(shape):
        if n == 1 and g.shape[d] != 1:  # an axis take_along_axis broadcast
            coords[d] = np.zeros_like(coords[d])
    coords[axis] = np.broadcast_to(index, g.shape)
    add_at(out, tuple(coords), g)  # (repeated indices add up)
    return out


def _along_example(rng):
    return (rng.standard_normal((3, 4)), np.array([[3, 0, 0], [1, 2, 3], [0, 0, 1]])), {"axis": 1}


gather_along = primitive(
    "gather_along", lambda x, index, axis: np.take_along_axis(x, index, axis),
    linear=True, batch=along_axis_rule,
    domain=Example(_along_example),
    statement=S.Statement(
        forward="y = np.take_along_axis(x, index, axis), the index an argument (computed "
        "indices: sort orders, ranks, intervals)",
        vjp="x_bar = zeros with g added at index along axis (repeats add up)",
        latex_forward=r"y_{\dots k \dots} = x_{\dots \iota_k \dots}",
        latex_vjp=r"\bar x_{\dots i \dots} = \sum_{k : \iota_k = i} \bar y_{\dots k \dots}",
    ),
)
scatter_along = primitive(
    "scatter_along", _scatter_along_fwd,
    linear=True, batch=along_axis_rule,
    domain=Example(lambda rng: ((rng.standard_normal((3, 3)),
                                 np.array([[3, 0, 0], [1, 2, 3], [0, 0, 1]])),
                                {"axis": 1, "shape": (3, 4)})),
    statement=S.Statement(
        forward="y = zeros(shape) with v added at index along axis (gather_along's transpose)",
        vjp="v_bar = gather_along(g, index, axis)",
        latex_forward=r"y_{\dots i \dots} = \sum_{k : \iota_k = i} v_{\dots k \dots}",
        latex_vjp=r"\bar v_{\dots k \dots} = \bar y_{\dots \iota_k \dots}",
    ),
)
gather_along.defvjp(
    lambda g, ans, x, index, axis: scatter_along(g, index, axis=axis, shape=np.shape(x)))
scatter_along.defvjp(
    lambda g, ans, v, index, axis, shape: gather_along(g, index, axis=axis))


def _index_array(index, op, name="index"):
    """An integer index argument as an ndarray (tensors allowed: indices carry no
    gradient), or as the tensor it is while a tracer traces it (cr.vmap, cr.compile), so
    that the positions computed from it are operations replayed for every example or call."""
    if traced(index):
        values = index._data
    else:
        index = values = np.asarray(as_index(index))
    if values.dtype.kind not in "iu":
        raise TypeError(f"{op}: {name} must hold integers, got dtype {values.dtype}")
    return index


def _check_bounds(index, n, op, dim):
    # (A traced index is checked on the traced example's or call's values.)
    index = _values(index)
    if index.size and (index.min() < 0 or index.max() >= n):
        bad = index.min() if index.min() < 0 else index.max()
        raise IndexError(
            f"{op}: index {int(bad)} is out of bounds for dimension {dim} with size {n} "
            f"(indices must lie in [0, {n}))"
        )


# -------------------------------------------------------------- positions
def _positions_along(shape, index, dim, op):
    """Flat positions into an array of `shape` addressed by `index` along `dim` (PyTorch's
    gather/scatter rule: position k of index names element index[k] along dim and k's
    own coordinates along the other dims)."""
    nd = len(shape)
    if np.ndim(index) != max(nd, 1) and not (nd == 0 and np.ndim(index) == 0):
        raise ValueError(
            f"{op}: index must have as many dimensions as the input ({nd}), got "
            f"{np.ndim(index)} (shape {np.shape(index)})"
        )
    if nd == 0:
        _check_bounds(index, 1, op, 0)
        return np.zeros(np.shape(index), dtype=np.intp)
    for d in range(nd):
        if d != dim and np.shape(index)[d] > shape[d]:
            raise ValueError(
                f"{op}: index has size {np.shape(index)[d]} along dimension {d}, larger "
                f"than the input's {shape[d]} (shapes {np.shape(index)} and {shape})"
            )
    _check_bounds(index, shape[dim], op, dim)
    coords = list(np.indices(np.shape(index), sparse=True))
    coords[dim] = index
    if is_tensor(index):  # traced: the positions are operations on it
        return getitem(_flat_positions(shape), tuple(coords))
    return np.ravel_multi_index(tuple(np.broadcast_arrays(*coords)), shape)


def _flat_positions(shape):
    return np.arange(int(np.prod(shape)), dtype=np.intp).reshape(shape)


def _last_writes(positions):
    """Boolean mask over `positions` (flat positions, any shape): True at the last
    occurrence, in C order, of each position."""
    flat = positions.ravel()
    n = flat.size
    keep = np.zeros(n, dtype=bool)
    if n:
        # np.unique's first occurrence in the reversed array is the last one in flat.
        _, first_from_end = np.unique(flat[::-1], return_index=True)
        keep[n - 1 - first_from_end] = True
    return keep.reshape(positions.shape)


def _last_writes_rule(prim, args, batched, kw):
    # Each example's positions moved to a range of their own: then the last occurrence
    # over the whole batch, in C order, is the last within each example.
    pos = args[0]
    n = np.shape(_values(pos))[0]
    offsets = np.arange(n, dtype=np.int64).reshape((n,) + (1,) * (np.ndim(pos) - 1)) << 40
    return prim(pos + offsets)


last_writes = nondifferentiable(
    "last_writes", _last_writes, batch=_last_writes_rule,
    statement=S.step("true at the last occurrence, in C order, of each position",
                     r"[k = \max\{k' : p_{k'} = p_k\}]"),
)


def write(x, positions, values, accumulate):
    """`x` with `values` written (or, with `accumulate`, added) at flat `positions`.

    `values` has the shape of `positions` (broadcast by the caller). Writes keep the last
    value per position (module docstring); additions add them all. `positions` is an
    array, or a tensor computed from a traced index (then every step below is an
    operation on it, replayed for each example or call).
    """
    shape = np.shape(x)
    size = int(np.prod(shape))
    flat_values = reshape(values, (-1,))
    if is_tensor(positions):
        pos = reshape(positions, (-1,))
        added = scatter_add_at(
            flat_values if accumulate else where(reshape(last_writes(positions), (-1,)),
                                                 flat_values, 0),
            pos, index=(SLOT,), shape=(size,))
        if accumulate:
            return x + reshape(added, shape)
        hits = scatter_add_at(np.ones(np.shape(pos), np.int64), pos, index=(SLOT,),
                              shape=(size,))
        return where(reshape(hits > 0, shape), reshape(added, shape), x)
    pos = positions.ravel()
    if accumulate:
        added = _add_into_zeros(flat_values, index=pos, shape=(size,))
        return x + reshape(added, shape)
    winners = np.flatnonzero(_last_writes(positions))
    written = np.zeros(size, dtype=bool)
    written[pos] = True
    placed = _add_into_zeros(getitem(flat_values, winners), index=pos[winners], shape=(size,))
    return where(written.reshape(shape), reshape(placed, shape), x)


def _in_dtype_of(value, x):
    """A fill value in x's float dtype (a Python number stays one: NumPy keeps it weak)."""
    if is_tensor(value) or isinstance(value, (np.ndarray, np.generic)):
        dtype = _values(x).dtype
        if np.result_type(value).kind in "fc" and dtype.kind in "fc":
            return astype(value, dtype) if is_tensor(value) else np.asarray(value, dtype)
    return value


def _source_part(src, index_shape, op):
    """The leading block of `src` of the index's shape (PyTorch reads only that much)."""
    if np.ndim(src) != len(index_shape):
        raise ValueError(
            f"{op}: src must have as many dimensions as index ({len(index_shape)}), got "
            f"shape {np.shape(src)}"
        )
    if any(i > s for i, s in zip(index_shape, np.shape(src))):
        raise ValueError(
            f"{op}: index of shape {index_shape} is larger than src of shape {np.shape(src)}"
        )
    if tuple(index_shape) == np.shape(src):
        return src
    return getitem(src, tuple(slice(0, n) for n in index_shape))


# --------------------------------------------------- PyTorch's gather/scatter
@composite
def gather(input: Operand, dim: int, index: Operand, *, sparse_grad: bool = False) -> Tensor:
    """PyTorch's gather: `out[i][j] = input[index[i][j]][j]` for dim 0 (and so on).

    Linear: the gradient adds each cotangent into the position it was read from.
    """
    index = _index_array(index, "gather")
    shape = np.shape(input)
    dim = normalize_axes(dim, len(shape), "gather")[0]
    pos = _positions_along(shape, index, dim, "gather")
    return getitem(reshape(input, (-1,)), pos)


def _scatter_positions(input, dim, index, op):
    index = _index_array(index, op)
    shape = np.shape(input)
    dim = normalize_axes(dim, len(shape), op)[0]
    return _positions_along(shape, index, dim, op), index.shape


@composite
def scatter(
    input: Operand, dim: int, index: Operand, src: Operand | None = None, *,
    value: Operand | None = None, reduce: str | None = None,
) -> Tensor:
    """PyTorch's scatter: input with `input[index[i][j]][j] = src[i][j]` (dim 0), out of place.

    `src` may be a tensor (its leading block of index's shape is read) or a number
    (PyTorch's `value` overload). Repeated positions keep the last value (module
    docstring). reduce='add' is scatter_add; 'multiply' is not differentiable here.
    """
    if reduce is not None:
        if reduce == "add":
            return scatter_add(input, dim, index, src if value is None else value)
        raise NotImplementedError(
            f"scatter: reduce={reduce!r} is not supported; use reduce='add' (or "
            f"cr.scatter_add), or compute the product with cr.index_put"
        )
    if (src is None) == (value is None):
        raise TypeError("scatter: pass exactly one of src (a tensor or a number) and value")
    src = value if src is None else src
    pos, index_shape = _scatter_positions(input, dim, index, "scatter")
    if np.ndim(src) == 0 and not is_tensor(src):
        src = np.broadcast_to(np.asarray(src, dtype=_values(input).dtype), index_shape)
    else:
        src = _in_dtype_of(_source_part(src, index_shape, "scatter"), input)
    return write(input, pos, src, accumulate=False)


@composite
def scatter_add(input: Operand, dim: int, index: Operand, src: Operand) -> Tensor:
    """PyTorch's scatter_add: input with `src[i][j]` added at `input[index[i][j]][j]` (dim 0).

    Repeated positions accumulate (np.add.at); each src element gets the cotangent of the
    position it was added to. (Not the primitive behind getitem's gradient, which is
    chainrule.primitives.shape.scatter_add.)
    """
    pos, index_shape = _scatter_positions(input, dim, index, "scatter_add")
    src = _in_dtype_of(_source_part(src, index_shape, "scatter_add"), input)
    return write(input, pos, src, accumulate=True)


def _along_dim(input, dim, index, op):
    """Flat positions of the slices index[k] along `dim`, shaped like the selected block."""
    shape = np.shape(input)
    index = _index_array(index, op)
    if np.ndim(index) > 1:
        raise ValueError(f"{op}: index must be 1-D, got shape {np.shape(index)}")
    index = reshape(index, (-1,))
    if not shape:
        shape = (1,)
    dim = normalize_axes(dim, len(shape), op)[0]
    _check_bounds(index, shape[dim], op, dim)
    return take(_flat_positions(shape), index, axis=dim), dim


@composite
def index_add(
    input: Operand, dim: int, index: Operand, source: Operand, *, alpha: float = 1
) -> Tensor:
    """PyTorch's index_add: input with alpha * source[k] added to the slice index[k] along dim.

    Repeated indices accumulate.
    """
    pos, dim = _along_dim(input, dim, index, "index_add")
    if np.shape(source) != pos.shape and not (np.ndim(input) == 0 and np.size(source) == 1):
        raise ValueError(
            f"index_add: source must have shape {pos.shape} (the input's with dimension "
            f"{dim} of len(index)), got {np.shape(source)}"
        )
    source = _in_dtype_of(reshape(source, pos.shape), input)
    return write(input, pos, source if alpha == 1 else source * alpha, accumulate=True)


@composite
def index_select(input: Operand, dim: int, index: Operand) -> Tensor:
    """PyTorch's index_select: the slices index[k] along dim (repeats allowed)."""
    index = _index_array(index, "index_select")
    if np.ndim(index) > 1:
        raise ValueError(f"index_select: index must be 1-D, got shape {np.shape(index)}")
    if np.ndim(input) == 0:
        _check_bounds(index, 1, "index_select", 0)
        return reshape(input, (1,) * np.ndim(index))
    dim = normalize_axes(dim, np.ndim(input), "index_select")[0]
    _check_bounds(index, np.shape(input)[dim], "index_select", dim)
    return take(input, reshape(index, (-1,)), axis=dim)


@tensor_function
def index_put(
    input: Operand, indices: tuple[Operand, ...], values: Operand, accumulate: bool = False
) -> Tensor:
    """PyTorch's index_put: input with input[indices] = values (or += with accumulate).

    `indices` is a tuple of index arrays (integer or boolean), as in ``input[indices]``;
    `values` broadcasts to the shape of ``input[indices]``. Without accumulate, a
    position named twice keeps the last value (module docstring).
    """
    # (Not a composite: `indices` is a tuple of separate index arrays, never stacked.)
    if not isinstance(indices, (tuple, list)):
        raise TypeError("index_put: indices must be a tuple of index tensors")
    input, values = array_like(input), array_like(values)
    index = tuple(i if traced(i) else np.asarray(as_index(i)) for i in indices)
    try:
        pos = getitem(_flat_positions(np.shape(input)), index)
    except IndexError as e:
        raise IndexError(f"index_put: {e}") from None
    values = _in_dtype_of(values, input)
    if np.shape(values) != pos.shape:
        values = broadcast_to(values, pos.shape)
    return write(input, pos, values, accumulate=bool(accumulate))


@composite
def masked_fill(input: Operand, mask: Operand, value: Operand) -> Tensor:
    """PyTorch's masked_fill: `value` where `mask` (broadcast to input's shape), else input.

    The gradient reaches input where the mask is false and a tensor `value` where true.
    """
    # (The mask goes to where() as it is: a mask computed from traced values stays part
    # of the recorded computation.)
    dtype = _values(mask).dtype
    if dtype.kind != "b":
        raise TypeError(f"masked_fill: mask must be boolean, got dtype {dtype}")
    shape = np.shape(input)
    try:
        fits = np.broadcast_shapes(np.shape(mask), shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"masked_fill: mask of shape {np.shape(mask)} does not broadcast to the input's "
            f"shape {shape}"
        )
    if np.ndim(value) != 0:
        raise ValueError(
            f"masked_fill: value must be a number or a 0-d tensor, got shape {np.shape(value)}"
        )
    out = where(mask, _in_dtype_of(value, input), input)
    return out if np.shape(out) == shape else broadcast_to(out, shape)


@composite
def masked_select(input: Operand, mask: Operand) -> Tensor:
    """PyTorch's masked_select: the elements of input where mask is true, as a 1-D tensor.

    input and mask broadcast against each other first.
    """
    if not traced(mask):
        mask = np.asarray(as_index(mask))
    if _values(mask).dtype != bool:
        raise TypeError(f"masked_select: mask must be boolean, got dtype {_values(mask).dtype}")
    shape = np.broadcast_shapes(np.shape(mask), np.shape(input))
    if np.shape(input) != shape:
        input = broadcast_to(input, shape)
    if np.shape(mask) != shape:
        mask = broadcast_to(mask, shape)
    return getitem(input, mask)


# ------------------------------------------------------ NumPy's put_along_axis
@composite
def put_along_axis(arr, indices, values, axis):
    """NumPy's put_along_axis computed out of place: a copy of arr with values written at
    indices along axis (indices broadcast against arr's other axes, values against the
    selected positions; repeated positions keep the last value)."""
    indices = _index_array(indices, "put_along_axis", "indices")
    shape = np.shape(arr)
    if axis is None:
        if np.ndim(indices) != 1:
            raise ValueError("put_along_axis: with axis=None, indices must be 1-D")
        pos = take_along_axis(np.arange(int(np.prod(shape))), indices, 0)
    else:
        if np.ndim(indices) != len(shape):
            raise ValueError(
                f"put_along_axis: indices must have as many dimensions as arr ({len(shape)}), "
                f"got {np.ndim(indices)}"
            )
        axis = normalize_axes(axis, len(shape), "put_along_axis")[0]
        pos = take_along_axis(_flat_positions(shape), indices, axis)
    values = _in_dtype_of(values, arr)
    if np.shape(values) != pos.shape:
        values = broadcast_to(values, pos.shape)
    return write(arr, pos, values, accumulate=False)


# --------------------------------------------------------- PyTorch's nonzero
@tensor_function
def nonzero(input: Operand, *, as_tuple: bool = False) -> Any:
    """PyTorch's nonzero: the indices of the nonzero elements (no gradient).

    as_tuple=False: an int64 array of shape (count, ndim); as_tuple=True: one 1-D index
    array per dimension (a 0-d input counts as 1-D). Tensors in, tensors out.
    """
    data = _values(input)
    if as_tuple:
        out = tuple(i.astype(np.int64) for i in np.nonzero(np.atleast_1d(data)))
        return tuple(new_tensor(i) for i in out) if is_tensor(input) else out
    out = np.argwhere(data).astype(np.int64)
    return new_tensor(out) if is_tensor(input) else out
