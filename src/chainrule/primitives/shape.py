"""Shape and indexing: reshape, transpose, broadcast, concatenate, pad, flip, indexing.

These move values without changing them, so each VJP moves the cotangent back:
reshape undoes a reshape, indexing scatters-adds, concatenate slices.
"""

from __future__ import annotations

import numpy as np

from ..graph import each_argument, is_tensor, primitive

# ------------------------------------------------------------ reshape family
reshape = primitive("reshape", lambda x, shape: np.reshape(x, shape), view=True)
reshape.defvjp(
    lambda g, ans, x, shape: g.reshape(np.shape(x)),
).defjvp(
    lambda t, ans, x, shape: reshape(t, shape),
)


def _inverse(axes):
    # Normalise negative axes first: argsort of (-1, 0, 1) would read it as the identity.
    n = len(axes)
    return tuple(int(i) for i in np.argsort([a % n for a in axes]))


transpose = primitive("transpose", lambda x, axes=None: np.transpose(x, axes), view=True)
transpose.defvjp(
    lambda g, ans, x, axes=None: transpose(g, None if axes is None else _inverse(axes)),
).defjvp(
    lambda t, ans, x, axes=None: transpose(t, axes),
)

def _broadcast_to_fwd(x, shape):
    if type(x) is not np.ndarray and isinstance(x, np.generic):
        x = np.asarray(x)
    if type(x) is np.ndarray and not x.ndim and type(shape) is tuple:
        # A scalar (the cotangent of every sum and mean) spread over a shape: a read-only
        # zero-stride view, built directly (np.broadcast_to costs ~8x more at this size).
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


# Broadcasting back is the graph's central unbroadcast: the rule passes g through.
broadcast_to = primitive("broadcast_to", _broadcast_to_fwd, view=True)
broadcast_to.defvjp(
    lambda g, ans, x, shape: g,
).defjvp(
    lambda t, ans, x, shape: broadcast_to(t, shape),
)

flip = primitive("flip", lambda x, axis=None: np.flip(x, axis), view=True)
flip.defvjp(
    lambda g, ans, x, axis=None: flip(g, axis),
).defjvp(
    lambda t, ans, x, axis=None: flip(t, axis),
)


def swapaxes(x, axis1, axis2):
    """Exchange two axes (a transpose)."""
    n = np.ndim(x)
    a = int(axis1) % n if -n <= axis1 < n else _axis_error(axis1, n)
    b = int(axis2) % n if -n <= axis2 < n else _axis_error(axis2, n)
    axes = list(range(n))
    axes[a], axes[b] = axes[b], axes[a]
    return transpose(x, tuple(axes))


def expand_dims(x, axis):
    """Insert size-1 axes at the positions `axis` (an int or a tuple; PyTorch: unsqueeze)."""
    shape = list(np.shape(x))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    n = len(shape) + len(axes)
    for a in sorted(int(a) % n if -n <= a < n else _axis_error(a, n) for a in axes):
        shape.insert(a, 1)
    return reshape(x, tuple(shape))


unsqueeze = expand_dims


def squeeze(x, axis=None):
    """Remove size-1 axes (all of them, or those named by `axis`)."""
    shape = np.shape(x)
    if axis is None:
        return reshape(x, tuple(s for s in shape if s != 1))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    n = len(shape)
    drop = {int(a) % n if -n <= a < n else _axis_error(a, n) for a in axes}
    for a in drop:
        if shape[a] != 1:
            raise ValueError(f"squeeze: axis {a} has size {shape[a]}, not 1 (shape {shape})")
    return reshape(x, tuple(s for i, s in enumerate(shape) if i not in drop))


def _axis_error(axis, ndim):
    raise np.exceptions.AxisError(int(axis), ndim)


def flatten(x, start_dim=0, end_dim=-1):
    """Merge the axes start_dim..end_dim into one (PyTorch's flatten)."""
    shape = np.shape(x)
    if not shape:
        return reshape(x, (1,))
    s, e = start_dim % len(shape), end_dim % len(shape)
    return reshape(x, shape[:s] + (-1,) + shape[e + 1 :])


# ------------------------------------------------------------------- indexing
def as_index(index):
    """Replace tensors inside an index by their arrays: indices carry no gradient."""
    if isinstance(index, tuple):
        return tuple(as_index(i) for i in index)
    if is_tensor(index):
        return index.data
    if isinstance(index, list) and any(is_tensor(i) for i in index):
        return [as_index(i) for i in index]
    return index


def _is_basic(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(
        i is None or i is Ellipsis or isinstance(i, (slice, int, np.integer)) for i in items
    )


def _scatter_add_fwd(g, index, shape):
    out = np.zeros(shape, dtype=np.result_type(g))
    if _is_basic(index):
        out[index] = g
    else:
        # add.at accumulates repeated indices; plain assignment would keep only one.
        np.add.at(out, index, g)
    return out


_getitem = primitive("getitem", lambda x, index: np.asarray(x)[index], view=True)
scatter_add = primitive("scatter_add", _scatter_add_fwd)
_getitem.defvjp(
    lambda g, ans, x, index: scatter_add(g, index=index, shape=np.shape(x)),
).defjvp(
    lambda t, ans, x, index: _getitem(t, index=index),
)
scatter_add.defvjp(
    lambda g, ans, v, index, shape: _getitem(g, index=index),
).defjvp(
    lambda t, ans, v, index, shape: scatter_add(t, index=index, shape=shape),
)


def getitem(x, idx):
    """``x[idx]`` with basic or advanced indexing; repeated indices accumulate gradient."""
    return _getitem(x, index=as_index(idx))


def take(x, indices, axis=None):
    """Elements of `x` at `indices` along `axis` (the flattened array when axis is None)."""
    indices = as_index(indices)
    if axis is None:
        return getitem(reshape(x, (-1,)), indices)
    axis = axis % np.ndim(x)
    return getitem(x, (slice(None),) * axis + (indices,))


def take_along_axis(x, indices, axis):
    """NumPy's take_along_axis, as fancy indexing so the gradient scatters back."""
    indices = np.asarray(as_index(indices))
    shape = np.shape(x)
    axis = axis % len(shape)
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


_concatenate = primitive("concatenate", lambda *xs, axis=0: np.concatenate(xs, axis=axis))
_concatenate.defvjp(each_argument(_concat_vjp)).defjvp(
    each_argument(
        lambda i, t, ans, *xs, axis=0: _concatenate(
            *[t if j == i else np.zeros_like(np.asarray(x)) for j, x in enumerate(xs)], axis=axis
        )
    )
)


def concatenate(arrays, axis=0):
    """Join a sequence of arrays along an existing axis."""
    arrays = list(arrays)
    if not arrays:
        raise ValueError("concatenate: need at least one array")
    if axis is None:
        return _concatenate(*[reshape(a, (-1,)) for a in arrays], axis=0)
    return _concatenate(*arrays, axis=axis)


def stack(arrays, axis=0):
    """Join a sequence of same-shaped arrays along a new axis."""
    arrays = list(arrays)
    if not arrays:
        raise ValueError("stack: need at least one array")
    shapes = {np.shape(a) for a in arrays}
    if len(shapes) > 1:
        raise ValueError(f"stack: all inputs must have the same shape, got {sorted(shapes)}")
    return concatenate([expand_dims(a, axis) for a in arrays], axis=axis)


def split(x, indices_or_sections, axis=0):
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


_pad = primitive(
    "pad",
    lambda x, pad_width, mode="constant", constant_values=0: np.pad(
        x, pad_width, mode=mode, constant_values=constant_values
    )
    if mode == "constant"
    else np.pad(x, pad_width, mode=mode),
)
_pad.defvjp(_pad_vjp).defjvp(
    lambda t, ans, x, pad_width, mode="constant", constant_values=0: _pad(
        t, pad_width=pad_width, mode=mode, constant_values=0
    ),
)


def pad(x, pad_width, mode="constant", constant_values=0):
    """Pad with a constant (differentiable) or NumPy's other modes (values only)."""
    return _pad(x, pad_width=pad_width, mode=mode, constant_values=constant_values)
