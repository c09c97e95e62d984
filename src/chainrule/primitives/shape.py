"""Shape and indexing: reshape, transpose, broadcast, concatenate, pad, flip, indexing.

These move values without changing them: each is linear, so its JVP is the primitive
itself applied to the tangent (``linear=True``), and each VJP moves the cotangent back:
reshape undoes a reshape, indexing scatter-adds, concatenate slices.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import batching as B
from .. import graph
from .. import index_template as IT
from .. import statements as S
from ..api_types import tensor_function
from ..domains import Example
from ..graph import is_tensor
from ..rules import composite, each_argument, primitive
from ..tracing import concrete

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..api_types import Axis, Operand, Operands
    from ..tensor import Tensor



def _normal(*shapes, **kw):
    """An example input: standard normal arrays of the given shapes, and keywords."""
    return Example(lambda rng: (tuple(rng.standard_normal(s) for s in shapes), kw))


# ------------------------------------------------------------------ axes
def normalize_axes(axis, ndim, op, repeats_ok=False):
    """`axis` (an int or a sequence of ints, negative counting from the end) as a tuple
    of non-negative ints in the given order; NumPy's AxisError for one out of range."""
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    out = []
    n = max(ndim, 1)  # a 0-d array accepts axis 0 and -1, as NumPy's sums do
    for a in axis:
        if not -n <= a < n:
            raise np.exceptions.AxisError(int(a), ndim)
        out.append(int(a) % n)
    if not repeats_ok and len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {tuple(axis)}")
    return tuple(out)


# ------------------------------------------------------------ reshape family
reshape = primitive(
    "reshape", lambda x, shape: np.reshape(x, shape),
    view=True, linear=True, batch=B.reshape_rule,
    domain=_normal((3, 4), shape=(4, 3)),
    statement=S.Statement(
        forward="y = x with a new shape (same values, same order)",
        vjp="x_bar = g reshaped to x's shape",
        latex_forward=r"y = \operatorname{reshape}(x)",
        latex_vjp=r"\bar x = \operatorname{reshape}^{-1}(\bar y)",
        jacobian="a permutation-free identity: J = I",
        latex_jacobian="J = I",
    ),
).defvjp(lambda g, ans, x, shape: g.reshape(np.shape(x)))


def _inverse(axes):
    # Normalise negative axes first: argsort of (-1, 0, 1) would read it as the identity.
    n = len(axes)
    return tuple(int(i) for i in np.argsort([a % n for a in axes]))


transpose = primitive(
    "transpose", lambda x, axes=None: np.transpose(x, axes),
    view=True, linear=True, batch=B.transpose_rule,
    domain=_normal((3, 4, 2), axes=(2, 0, 1)),
    statement=S.Statement(
        forward="y = x with its axes permuted",
        vjp="x_bar = g with the inverse permutation",
        latex_forward=r"y = x^{\pi}",
        latex_vjp=r"\bar x = \bar y^{\pi^{-1}}",
        jacobian="a permutation matrix",
        latex_jacobian=r"J = P_\pi",
    ),
).defvjp(
    lambda g, ans, x, axes=None: transpose(g, None if axes is None else _inverse(axes)),
)


def _broadcast_to_fwd(x, shape):
    if type(x) is not np.ndarray and isinstance(x, np.generic):
        x = np.asarray(x)
    if type(x) is np.ndarray and not x.ndim and type(shape) is tuple:
        # A scalar (the cotangent of every sum and mean) spread over a shape: a read-only
        # zero-stride view, built directly (cheaper than np.broadcast_to at this size).
        # A bad shape (negative or not integers) gets np.broadcast_to's own error
        # (np.ndarray reads a -1 as 1, hence the comparison).
        try:
            out = np.ndarray(shape, x.dtype, x, 0, (0,) * len(shape))
        except (TypeError, ValueError):
            return np.broadcast_to(x, shape)
        if out.shape != shape:
            return np.broadcast_to(x, shape)
        out.flags.writeable = False
        return out
    return np.broadcast_to(x, shape)


# Broadcasting back is the backward pass's central unbroadcast: the rule passes g through.
broadcast_to = primitive(
    "broadcast_to", _broadcast_to_fwd,
    view=True, linear=True, batch=B.broadcast_rule,
    domain=_normal((1, 4), shape=(3, 4)),
    statement=S.Statement(
        forward="y = x repeated along broadcast axes",
        vjp="x_bar = g summed over the broadcast axes (done centrally by the backward pass)",
        latex_forward=r"y = x \otimes \mathbf{1}",
        latex_vjp=r"\bar x = \sum_{\text{broadcast axes}} \bar y",
    ),
).defvjp(lambda g, ans, x, shape: g)

flip = primitive(
    "flip", lambda x, axis=None: np.flip(x, axis),
    view=True, linear=True, batch=B.flip_rule,
    domain=_normal((3, 4), axis=1),
    statement=S.Statement(
        forward="y = x reversed along axis",
        vjp="x_bar = g reversed along the same axis",
        latex_forward=r"y_i = x_{n-1-i}",
        latex_vjp=r"\bar x_i = \bar y_{n-1-i}",
    ),
).defvjp(lambda g, ans, x, axis=None: flip(g, axis))


@composite
def swapaxes(x: Operand, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes (a transpose)."""
    n = np.ndim(x)
    a, b = normalize_axes((axis1, axis2), n, "swapaxes", repeats_ok=True)
    axes = list(range(n))
    axes[a], axes[b] = axes[b], axes[a]
    return transpose(x, tuple(axes))


@composite
def expand_dims(x: Operand, axis: int | tuple[int, ...]) -> Tensor:
    """Insert size-1 axes at the positions `axis` (an int or a tuple; PyTorch: unsqueeze)."""
    shape = list(np.shape(x))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    for a in sorted(normalize_axes(axes, len(shape) + len(axes), "expand_dims")):
        shape.insert(a, 1)
    return reshape(x, tuple(shape))


unsqueeze = expand_dims


@composite
def squeeze(x: Operand, axis: Axis = None) -> Tensor:
    """Remove size-1 axes (all of them, or those named by `axis`)."""
    shape = np.shape(x)
    if axis is None:
        return reshape(x, tuple(s for s in shape if s != 1))
    drop = normalize_axes(axis, len(shape), "squeeze", repeats_ok=True)
    for a in drop:
        if shape[a] != 1:
            raise ValueError(f"squeeze: axis {a} has size {shape[a]}, not 1 (shape {shape})")
    return reshape(x, tuple(s for i, s in enumerate(shape) if i not in drop))


@composite
def flatten(x: Operand, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge the axes start_dim..end_dim into one (PyTorch's flatten)."""
    shape = np.shape(x)
    if not shape:
        return reshape(x, (1,))
    s, e = start_dim % len(shape), end_dim % len(shape)
    return reshape(x, shape[:s] + (-1,) + shape[e + 1 :])


# ------------------------------------------------------------------- indexing
def as_index(index):
    """Replace tensors inside an index by their arrays: indices carry no gradient.

    An index computed from values being traced (cr.vmap, cr.compile) has no one array:
    getitem passes such an index as arguments (getitem_at); elsewhere it is refused."""
    if isinstance(index, tuple):
        return tuple(as_index(i) for i in index)
    if is_tensor(index):
        return concrete(index, "an index")
    if isinstance(index, list) and any(is_tensor(i) for i in index):
        return [as_index(i) for i in index]
    return index


def _is_basic(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(
        i is None or i is Ellipsis or isinstance(i, (slice, int, np.integer)) for i in items
    )


def flat_positions(index, shape):
    """The flat positions (into a C-ordered array of ``shape``) an advanced index
    addresses, in the order of x[index]'s elements, or None when the index is not one
    of the two common forms: an integer array along the first axis (rows: embeddings,
    x[idx]), or integer arrays for every axis. Negative indices count from the end; an
    index out of range raises IndexError, as indexing does."""
    items = index if isinstance(index, tuple) else (index,)
    arrays = [np.asarray(i) for i in items]
    if not all(a.dtype.kind in "iu" for a in arrays) or not shape:
        return None
    if len(arrays) == 1:
        rows = arrays[0]
        if rows.size and (rows.min() < -shape[0] or rows.max() >= shape[0]):
            raise IndexError(f"index {rows.min() if rows.min() < 0 else rows.max()} is out "
                             f"of bounds for axis 0 with size {shape[0]}")
        size = math.prod(shape[1:])
        return ((rows % shape[0]).reshape(rows.shape + (1,)) * size
                + np.arange(size)).reshape(-1)
    if len(arrays) == len(shape):
        arrays = [np.where(a < 0, a + n, a) if a.dtype.kind == "i" else a
                  for a, n in zip(arrays, shape)]
        return np.ravel_multi_index(np.broadcast_arrays(*arrays), shape).reshape(-1)
    return None


# Below this many added elements np.add.at's own indexing is as fast as building flat
# positions first (which also costs 8 bytes per element): docs/performance.md,
# "Scatter-adds by flat positions".
_FLAT_FROM = 1024


def add_at(out, index, g):
    """np.add.at(out, index, g) for a C-contiguous ``out``: repeated positions add up.
    Through flat positions where the index allows and the scatter is not small (one 1-d
    index array is NumPy's fast path: 3-5x faster than add.at over rows or a tuple of
    coordinate arrays)."""
    g = np.asarray(g)
    pos = flat_positions(index, out.shape) if g.size >= _FLAT_FROM else None
    if pos is not None and pos.size == g.size:
        np.add.at(out.reshape(-1), pos, g.reshape(-1))
    else:
        np.add.at(out, index, g)


def _scatter_add_fwd(g, index, shape):
    out = np.zeros(shape, dtype=np.result_type(g))
    if _is_basic(index):
        out[index] = g
    else:
        # add.at accumulates repeated indices; plain assignment would keep only one.
        add_at(out, index, g)
    return out


_INDEX = (slice(0, 2), np.array([0, 2, 2]))

_getitem = primitive(
    "getitem", lambda x, index: np.asarray(x)[index],
    view=True, linear=True, batch=B.getitem_rule,
    domain=_normal((3, 4), index=_INDEX),
    statement=S.Statement(
        forward="y = x[index], basic or advanced indexing",
        vjp="x_bar = zeros of x's shape with g scatter-added at index (repeated indices "
        "accumulate)",
        latex_forward=r"y_k = x_{\iota(k)}",
        latex_vjp=r"\bar x_i = \sum_{k : \iota(k) = i} \bar y_k",
    ),
).defvjp(lambda g, ans, x, index: scatter_add(g, index=index, shape=np.shape(x)))

scatter_add = primitive(
    "scatter_add", _scatter_add_fwd,
    linear=True, batch=B.scatter_rule,
    domain=_normal((2, 3), index=_INDEX, shape=(3, 4)),
    statement=S.Statement(
        forward="y = zeros(shape) with v added at index (the transpose of getitem)",
        vjp="v_bar = g[index]",
        latex_forward=r"y_i = \sum_{k : \iota(k) = i} v_k",
        latex_vjp=r"\bar v_k = \bar y_{\iota(k)}",
    ),
).defvjp(lambda g, ans, v, index, shape: _getitem(g, index=index))


# Indexing by arrays that are arguments (chainrule.index_template): while a function is
# traced (cr.vmap, cr.compile), an index computed from traced values must be read again
# for every example or call, not baked into the operation as the first one's.
getitem_at = primitive(
    "getitem_at", lambda x, *arrays, index: np.asarray(x)[IT.fill(index, arrays)],
    linear=True, batch=B.getitem_rule,
    domain=Example(lambda rng: ((rng.standard_normal((3, 4)), np.array([2, 0, 2])),
                                {"index": (slice(0, 2), IT.SLOT)})),
    statement=S.Statement(
        forward="y = x[index] with the index's arrays given as arguments",
        vjp="x_bar = zeros of x's shape with g scatter-added at index (repeated indices "
        "accumulate)",
        latex_forward=r"y_k = x_{\iota(k)}",
        latex_vjp=r"\bar x_i = \sum_{k : \iota(k) = i} \bar y_k",
    ),
)
scatter_add_at = primitive(
    "scatter_add_at",
    lambda v, *arrays, index, shape: _scatter_add_fwd(v, IT.fill(index, arrays), shape),
    linear=True, batch=B.scatter_rule,
    domain=Example(lambda rng: ((rng.standard_normal((2, 3)), np.array([2, 0, 2])),
                                {"index": (slice(0, 2), IT.SLOT), "shape": (3, 4)})),
    statement=S.Statement(
        forward="y = zeros(shape) with v added at index, the index's arrays arguments "
        "(getitem_at's transpose)",
        vjp="v_bar = g[index]",
        latex_forward=r"y_i = \sum_{k : \iota(k) = i} v_k",
        latex_vjp=r"\bar v_k = \bar y_{\iota(k)}",
    ),
)
getitem_at.defvjp(
    lambda g, ans, x, *arrays, index: scatter_add_at(g, *arrays, index=index, shape=np.shape(x)))
scatter_add_at.defvjp(
    lambda g, ans, v, *arrays, index, shape: getitem_at(g, *arrays, index=index))


def _holds_tensor(idx):
    if is_tensor(idx):
        return True
    if isinstance(idx, (tuple, list)):
        return any(_holds_tensor(i) for i in idx)
    return False


@tensor_function
def getitem(x: Operand, idx: Any) -> Tensor:
    """``x[idx]`` with basic or advanced indexing; repeated indices accumulate gradient."""
    if graph.trace_hook() is not None and _holds_tensor(idx):
        items = idx if isinstance(idx, tuple) else (idx,)
        template, arrays = IT.split(items)
        return getitem_at(x, *arrays, index=template)
    return _getitem(x, index=as_index(idx))


@composite
def take(x: Operand, indices: Operand, axis: int | None = None) -> Tensor:
    """Elements of `x` at `indices` along `axis` (the flattened array when axis is None)."""
    if axis is None:
        return getitem(reshape(x, (-1,)), indices)
    axis = normalize_axes(axis, np.ndim(x), "take")[0]
    return getitem(x, (slice(None),) * axis + (indices,))


@composite
def take_along_axis(x: Operand, indices: Operand, axis: int | None) -> Tensor:
    """NumPy's take_along_axis, as fancy indexing so the gradient scatters back."""
    if not is_tensor(indices):
        indices = np.asarray(indices)
    shape = np.shape(x)
    axis = normalize_axes(axis, len(shape), "take_along_axis")[0]
    idx = []
    for d, n in enumerate(shape):
        if d == axis:
            idx.append(indices)
        else:
            view = [1] * len(shape)
            view[d] = n
            idx.append(np.arange(n).reshape(view))
    return getitem(x, tuple(idx))


# ------------------------------------------------------ joining and splitting
def _concat_vjp(i, g, ans, *xs, axis=0):
    start = 0
    for x in xs[:i]:
        start += np.shape(x)[axis]
    sl = [slice(None)] * np.ndim(g)
    sl[axis] = slice(start, start + np.shape(xs[i])[axis])
    return getitem(g, tuple(sl))


def _concat_jvp(i, t, ans, *xs, axis=0):
    # Linear in all the inputs together: the others' tangents are zero.
    zeros = [np.zeros(np.shape(x), np.result_type(ans)) for x in xs]
    return _concatenate(*[t if j == i else z for j, z in enumerate(zeros)], axis=axis)


_concatenate = primitive(
    "concatenate", lambda *xs, axis=0: np.concatenate(xs, axis=axis),
    batch=B.concatenate_rule,
    domain=Example(
        lambda rng: ((rng.standard_normal((2, 3)), rng.standard_normal((1, 3))), {"axis": 0})
    ),
    statement=S.Statement(
        forward="y = the inputs joined along axis",
        vjp="each input's x_bar = its slice of g",
        latex_forward=r"y = [x^{(1)}; x^{(2)}; \dots]",
        latex_vjp=r"\bar x^{(k)} = \bar y_{\text{slice } k}",
    ),
).defvjp(each_argument(_concat_vjp)).defjvp(each_argument(_concat_jvp))


def concatenate(arrays: Operands, axis: int | None = 0) -> Any:
    """Join a sequence of arrays along an existing axis."""
    arrays = list(arrays)
    if not arrays:
        raise ValueError("concatenate: need at least one array")
    if axis is None:
        return _concatenate(*[reshape(a, (-1,)) for a in arrays], axis=0)
    return _concatenate(*arrays, axis=axis)


def stack(arrays: Operands, axis: int = 0) -> Any:
    """Join a sequence of same-shaped arrays along a new axis."""
    arrays = list(arrays)
    if not arrays:
        raise ValueError("stack: need at least one array")
    shapes = {np.shape(a) for a in arrays}
    if len(shapes) > 1:
        raise ValueError(f"stack: all inputs must have the same shape, got {sorted(shapes)}")
    return concatenate([expand_dims(a, axis) for a in arrays], axis=axis)


@composite
def split(x: Operand, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
    """Split into pieces along `axis` (NumPy's semantics); each piece is a slice of `x`."""
    n = np.shape(x)[axis]
    out = []
    start = 0
    for piece in np.split(np.arange(n), indices_or_sections):
        sl = [slice(None)] * np.ndim(x)
        sl[axis] = slice(start, start + piece.size)
        out.append(getitem(x, tuple(sl)))
        start += piece.size
    return out


# ---------------------------------------------------------------------- pad
def _pad_vjp(g, ans, x, pad_width, mode="constant", constant_values=0):
    if mode != "constant":
        raise NotImplementedError(f"pad: only mode='constant' is differentiable, not {mode!r}")
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (np.ndim(x), 2))
    sl = tuple(slice(int(b), int(b) + n) for (b, _), n in zip(widths, np.shape(x)))
    return getitem(g, sl)


def _pad_fwd(x, pad_width, mode="constant", constant_values=0):
    if mode == "constant":
        return np.pad(x, pad_width, mode=mode, constant_values=constant_values)
    return np.pad(x, pad_width, mode=mode)


# Affine, not linear (the fill value is a constant): the tangent is padded with zeros.
_pad = primitive(
    "pad", _pad_fwd,
    batch=B.pad_rule,
    domain=_normal((3, 4), pad_width=((1, 0), (0, 2))),
    statement=S.Statement(
        forward="y = x surrounded by a constant (pad_width per axis)",
        vjp="x_bar = the interior slice of g",
        latex_forward=r"y = \operatorname{pad}(x)",
        latex_vjp=r"\bar x = \bar y_{\text{interior}}",
    ),
).defvjp(_pad_vjp).defjvp(
    lambda t, ans, x, pad_width, mode="constant", constant_values=0: _pad(
        t, pad_width=pad_width, mode=mode, constant_values=0
    ),
)
# Their rules read only their inputs' shapes: backward may keep their nodes for a later
# backward, as PyTorch keeps CatBackward and ConstantPadBackward (backward._saves_nothing).
_concatenate._saves_nothing = _pad._saves_nothing = True


# Modes that copy existing values (np.pad of the element numbers gives which ones), and
# modes that are affine maps along each axis (padding the identity matrix gives the map).
_GATHER_PAD_MODES = ("edge", "reflect", "symmetric", "wrap")
_AFFINE_PAD_MODES = ("linear_ramp", "mean")


def _fold_padding_fwd(g, shape, pad_width, mode):
    """The adjoint of np.pad(x, pad_width, mode) for the copying modes: every padded
    position's value added back onto the element it copies. Axis by axis (the copies of
    each axis are an index map of its own, np.pad of arange): the interior slice, then
    one slice add per border position, of which there are pad-width many."""
    out = np.asarray(g)
    for d, (n, (before, after)) in enumerate(zip(shape, pad_width)):
        if not before and not after:
            continue
        source = np.pad(np.arange(n), (before, after), mode=mode)
        lead = (slice(None),) * d
        folded = out[lead + (slice(before, before + n),)].copy()  # (C order, as g)
        for j in (*range(before), *range(before + n, before + n + after)):
            folded[lead + (int(source[j]),)] += out[lead + (j,)]
        out = folded
    return out if out is not g else out.copy()


def _copies_batch(prim, args, batched, kw):
    """pad_copies / fold_padding on a batch: an unpadded leading axis."""
    width = ((0, 0),) + tuple(kw["pad_width"])
    if "shape" in kw:
        size = np.shape(args[0]._data if is_tensor(args[0]) else args[0])[0]
        return prim(args[0], shape=(size,) + tuple(kw["shape"]), pad_width=width,
                    mode=kw["mode"])
    return prim(args[0], pad_width=width, mode=kw["mode"])


# np.pad's copying modes (edge, reflect, symmetric, wrap) as a pair of adjoint linear
# maps, each the other's derivative, as conv and conv_transpose are: the forward is
# np.pad itself and the gradient a fold of the border back onto the interior, where a
# gather by index arrays over every axis scattered the whole array back (a reflection
# padding's backward took 5 ms for 64 x 64 x 64, now a fraction of that).
pad_copies = primitive(
    "pad_copies", lambda x, pad_width, mode: np.pad(x, pad_width, mode=mode),
    linear=True, batch=_copies_batch,
    domain=_normal((3, 4), pad_width=((1, 2), (2, 1)), mode="reflect"),
    statement=S.Statement(
        forward="y = x padded with copies of its own elements (mode edge, reflect, "
        "symmetric or wrap)",
        vjp="x_bar = g with each padded position added back onto the element it copies",
        latex_forward=r"y = \operatorname{pad}(x)",
        latex_vjp=r"\bar x = \operatorname{pad}^\top \bar y",
    ),
)
fold_padding = primitive(
    "fold_padding", _fold_padding_fwd,
    linear=True, batch=_copies_batch,
    domain=_normal((5, 7), shape=(3, 4), pad_width=((1, 1), (2, 1)), mode="reflect"),
    statement=S.Statement(
        forward="y = g with its padded positions added back onto the elements they copy "
        "(the adjoint of pad_copies)",
        vjp="g_bar = pad_copies(y_bar)",
        latex_forward=r"y = \operatorname{pad}^\top g",
        latex_vjp=r"\bar g = \operatorname{pad}(\bar y)",
    ),
)
pad_copies.defvjp(lambda g, ans, x, pad_width, mode: fold_padding(
    g, shape=np.shape(x), pad_width=pad_width, mode=mode))
fold_padding.defvjp(lambda g, ans, x, shape, pad_width, mode: pad_copies(
    g, pad_width=pad_width, mode=mode))


def _pad_axis_map(n, widths, mode, kwargs):
    """(M, c): NumPy's padding of a vector v of length n along one axis is M v + c."""
    kw = dict(kwargs)
    zeros = np.pad(np.zeros(n), tuple(widths), mode=mode, **kw)
    if mode == "linear_ramp":
        kw["end_values"] = 0
    return np.pad(np.eye(n), (tuple(widths), (0, 0)), mode=mode, **kw), zeros


def _per_axis(kwargs, nd):
    """np.pad's per-axis keyword arguments (stat_length, end_values) split by axis."""
    out = [dict(kwargs) for _ in range(nd)]
    for key in ("stat_length", "end_values"):
        if kwargs.get(key) is not None:
            pairs = np.broadcast_to(np.asarray(kwargs[key]), (nd, 2))
            for d in range(nd):
                out[d][key] = tuple(pairs[d].tolist())
    return out


@composite
def pad(x: Operand, pad_width: Any, mode: str = "constant", **kwargs: Any) -> Tensor:
    """NumPy's pad, differentiable in every linear mode.

    'constant' (with constant_values, a number or a 0-d tensor, which then gets the sum
    of the padding's cotangent), 'edge', 'reflect', 'symmetric', 'wrap' (copies of
    existing elements: their gradient adds back), 'reflect'/'symmetric' with
    reflect_type='odd', 'linear_ramp' and 'mean' (affine maps along each axis, applied
    axis after axis as NumPy does). 'maximum', 'minimum', 'median' and 'empty' are not
    supported on tensors.
    """
    shape = np.shape(x)
    nd = len(shape)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (nd, 2))
    if (widths < 0).any():
        raise ValueError(f"pad: pad_width must be non-negative, got {np.asarray(pad_width)}")
    if mode == "constant":
        value = kwargs.pop("constant_values", 0)
        if kwargs:
            raise TypeError(f"pad: unsupported keyword arguments for mode 'constant': "
                            f"{sorted(kwargs)}")
        # (pad_width as given: NumPy reads an empty array of widths, for 0-d x, as floats.)
        if not is_tensor(value) and np.ndim(value) == 0:
            return _pad(x, pad_width=pad_width, mode=mode, constant_values=value)
        if not is_tensor(value):
            # Values per axis: padding is affine, pad(x, c) = pad(x, 0) + pad(zeros, c).
            fill = np.pad(np.zeros(shape), pad_width, constant_values=value)
            return _pad(x, pad_width=pad_width, mode=mode, constant_values=0) + fill
        if np.ndim(value) != 0:
            raise ValueError("pad: a tensor constant_values must be 0-d (one fill value)")
        ring = np.pad(np.zeros(shape, dtype=bool), pad_width, constant_values=True)
        return _pad(x, pad_width=pad_width, mode=mode, constant_values=0) + value * ring
    if mode in _GATHER_PAD_MODES and kwargs.get("reflect_type", "even") == "even":
        if nd == 0 or any(n == 0 for n in shape):  # (np.pad refuses these)
            index = [np.pad(np.arange(n), tuple(w), mode=mode, **kwargs)
                     for n, w in zip(shape, widths)]
            return getitem(x, np.ix_(*index))
        return pad_copies(x, pad_width=tuple(tuple(int(v) for v in w) for w in widths),
                          mode=mode)
    if mode not in _GATHER_PAD_MODES + _AFFINE_PAD_MODES:
        raise NotImplementedError(
            f"pad: mode {mode!r} is not differentiable in chainrule; use 'constant', "
            f"{', '.join(map(repr, _GATHER_PAD_MODES + _AFFINE_PAD_MODES))}"
        )
    out = x
    for d, kw in enumerate(_per_axis(kwargs, nd)):
        if not widths[d].any():
            continue
        m, c = _pad_axis_map(shape[d], widths[d], mode, kw)
        moved = swapaxes(out, d, -1) @ np.ascontiguousarray(m.T) + c
        out = swapaxes(moved, d, -1)
    return out
