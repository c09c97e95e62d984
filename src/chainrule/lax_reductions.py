"""``chainrule.lax``'s reductions, windowed reductions, scans and sorts: ``reduce``,
``reduce_sum/max/min/prod/and/or/xor``, ``argmax``/``argmin``, ``reduce_window``,
``associative_scan``, ``cumsum/cumprod/cummax/cummin/cumlogsumexp``, ``sort``,
``sort_key_val`` and ``top_k``, with JAX's signatures.

A ``computation`` that lax's (or chainrule.numpy's, NumPy's, ``operator``'s) add, mul,
max, min, and or names is reduced by chainrule.numpy's reduction; any other binary
function is folded pairwise, as XLA may (it must be associative and commutative, as
JAX requires). Windows are strided slices folded together. Sorts compute the order from
the values and gather every operand by it, so gradients flow to the values gathered.
"""

from __future__ import annotations

import builtins
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import lax_elementwise as E
from . import numpy as cnp
from .graph import values as _values
from .lax_conv import padtype_to_pads
from .lax_shapes import _take, pad
from .pytree import tree_flatten, tree_unflatten

__all__ = [
    "argmax", "argmin", "associative_scan", "cumlogsumexp", "cummax", "cummin", "cumprod",
    "cumsum", "reduce", "reduce_and", "reduce_max", "reduce_min", "reduce_or", "reduce_prod",
    "reduce_sum", "reduce_window", "reduce_xor", "sort", "sort_key_val", "top_k",
]


def _shape(x: Any) -> tuple[int, ...]:
    return tuple(np.shape(_values(x)))


def _dtype(x: Any) -> np.dtype:
    return np.asarray(_values(x)).dtype


_KNOWN: dict[Any, str] = {}
for _fn, _name in [
    (E.add, "add"), (cnp.add, "add"), (np.add, "add"), (operator.add, "add"),
    (E.mul, "mul"), (cnp.multiply, "mul"), (np.multiply, "mul"), (operator.mul, "mul"),
    (E.max, "max"), (cnp.maximum, "max"), (np.maximum, "max"),
    (E.min, "min"), (cnp.minimum, "min"), (np.minimum, "min"),
    (E.bitwise_and, "and"), (cnp.logical_and, "and"), (np.logical_and, "and"),
    (E.bitwise_or, "or"), (cnp.logical_or, "or"), (np.logical_or, "or"),
]:
    _KNOWN[_fn] = _name


def _monoid(computation: Any, dtype: np.dtype) -> str | None:
    """The name of a known reduction computation (seen through functools.wraps wrappers,
    such as chainrule.jax's), or None."""
    name, fn = None, computation
    for _ in range(8):
        try:
            name = _KNOWN.get(fn)
        except TypeError:  # unhashable
            return None
        if name is not None or not hasattr(fn, "__wrapped__"):
            break
        fn = fn.__wrapped__
    if name in ("and", "or") and dtype.kind != "b":
        return None  # bitwise on integers: folded as a general function
    return name


def _identity(name: str, dtype: np.dtype) -> Any:
    if name == "add":
        return 0
    if name == "mul":
        return 1
    if name in ("and", "or"):
        return name == "and"
    if dtype.kind == "f":
        return -np.inf if name == "max" else np.inf
    if dtype.kind == "b":
        return name == "min"
    info = np.iinfo(dtype)
    return info.min if name == "max" else info.max


def _is_identity(init: Any, name: str, dtype: np.dtype) -> bool:
    v = _values(init)
    if np.ndim(v) != 0:
        return False
    try:
        return bool(np.asarray(v) == _identity(name, dtype))
    except TypeError:
        return False


_BINARY = {"add": cnp.add, "mul": cnp.multiply, "max": cnp.maximum, "min": cnp.minimum,
           "and": cnp.logical_and, "or": cnp.logical_or}
_REDUCE = {"add": cnp.sum, "mul": cnp.prod, "max": cnp.max, "min": cnp.min,
           "and": cnp.all, "or": cnp.any}


# ------------------------------------------------------------------- reduce
def _fold_axis(xs: list[Any], axis: int, combine: Callable[..., Any]) -> list[Any]:
    """The operands reduced along axis pairwise (log depth), keeping the axis (size 1)."""
    n = _shape(xs[0])[axis]
    while n > 1:
        even = n // 2 * 2
        merged = combine([_take(x, axis, 0, even, 2) for x in xs],
                         [_take(x, axis, 1, even, 2) for x in xs])
        if n % 2:
            merged = [cnp.concatenate([m, _take(x, axis, n - 1, n)], axis=axis)
                      for m, x in zip(merged, xs)]
        xs, n = merged, _shape(merged[0])[axis]
    return xs


def reduce(operands: Any, init_values: Any, computation: Callable[..., Any],
           dimensions: Sequence[int]) -> Any:
    """``computation`` folded over ``dimensions`` of ``operands`` (an array or a pytree of
    arrays of one shape, with matching ``init_values``), as jax.lax.reduce."""
    flat, tree = tree_flatten(operands)
    inits, init_tree = tree_flatten(init_values)
    if len(flat) != len(inits) or not flat:
        raise ValueError("reduce: operands and init_values must have the same structure")
    shape = _shape(flat[0])
    if any(_shape(x) != shape for x in flat):
        raise ValueError("reduce: the operands must have one shape")
    dims = sorted({int(d) % len(shape) if shape else int(d) for d in dimensions})
    if any(not 0 <= d < len(shape) for d in dims):
        raise ValueError(f"reduce: dimensions {tuple(dimensions)} out of range for {shape}")
    out_shape = tuple(n for i, n in enumerate(shape) if i not in dims)
    single = len(flat) == 1 and not isinstance(operands, (tuple, list))
    name = _monoid(computation, _dtype(flat[0])) if single else None
    if name is not None:
        x, init = flat[0], inits[0]
        if any(shape[d] == 0 for d in dims):
            return cnp.full(out_shape, _values(init), _dtype(x))
        result = _REDUCE[name](x, axis=tuple(dims)) if dims else x
        if not _is_identity(init, name, _dtype(x)):
            result = _BINARY[name](init, result)
        return cnp.asarray(result).astype(_dtype(x))

    def combine(a: list[Any], b: list[Any]) -> list[Any]:
        if single:
            return [computation(a[0], b[0])]
        out, _ = tree_flatten(computation(tree_unflatten(tree, a), tree_unflatten(tree, b)))
        return list(out)

    if any(shape[d] == 0 for d in dims):
        return tree_unflatten(tree, [cnp.full(out_shape, _values(i), _dtype(x))
                                     for i, x in zip(inits, flat)])
    xs = list(flat)
    for d in dims:
        xs = _fold_axis(xs, d, combine)
    xs = [cnp.reshape(x, out_shape) for x in xs]
    xs = combine([cnp.broadcast_to(cnp.asarray(i).astype(_dtype(x)), out_shape)
                  for i, x in zip(inits, xs)], xs)
    return xs[0] if single else tree_unflatten(tree, xs)


def _reducer(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def reduction(operand: Any, axes: Sequence[int]) -> Any:
        dtype = _dtype(operand)
        if name in ("and", "or") and dtype.kind != "b":
            bitwise = E.bitwise_and if name == "and" else E.bitwise_or
            return reduce(operand, np.asarray(-1 if name == "and" else 0, dtype), bitwise,
                          axes)
        return reduce(operand, np.asarray(_identity(name, dtype), dtype), fn, axes)
    return reduction


reduce_sum = _reducer("add", E.add)
reduce_sum.__doc__ = "The sum over ``axes``."
reduce_prod = _reducer("mul", E.mul)
reduce_prod.__doc__ = "The product over ``axes``."
reduce_max = _reducer("max", E.max)
reduce_max.__doc__ = "The maximum over ``axes`` (-inf, or the least integer, if empty)."
reduce_min = _reducer("min", E.min)
reduce_min.__doc__ = "The minimum over ``axes`` (inf, or the greatest integer, if empty)."
reduce_and = _reducer("and", E.bitwise_and)
reduce_and.__doc__ = "Logical (bitwise, for integers) and over ``axes``."
reduce_or = _reducer("or", E.bitwise_or)
reduce_or.__doc__ = "Logical (bitwise, for integers) or over ``axes``."


def reduce_xor(operand: Any, axes: Sequence[int]) -> Any:
    """Logical (bitwise, for integers) exclusive or over ``axes``."""
    dtype = _dtype(operand)
    return reduce(operand, np.asarray(0, dtype), E.bitwise_xor, axes)


def argmax(operand: Any, axis: int, index_dtype: Any) -> Any:
    """The index of the greatest element along axis (the first, if several; a NaN counts
    as greatest), in ``index_dtype``."""
    return cnp.asarray(cnp.argmax(operand, axis=int(axis))).astype(np.dtype(index_dtype))


def argmin(operand: Any, axis: int, index_dtype: Any) -> Any:
    """The index of the least element along axis (the first, if several; a NaN counts as
    least), in ``index_dtype``."""
    return cnp.asarray(cnp.argmin(operand, axis=int(axis))).astype(np.dtype(index_dtype))


# ------------------------------------------------------------- reduce_window
def _tuple(v: Any, n: int, name: str, default: int = 1) -> tuple[int, ...]:
    if v is None:
        return (default,) * n
    out = tuple(int(a) for a in v)
    if len(out) != n:
        raise ValueError(f"reduce_window: {name} needs one value per axis of the operand "
                         f"({n}), got {tuple(v)}")
    return out


def reduce_window(operand: Any, init_value: Any, computation: Callable[..., Any],
                  window_dimensions: Sequence[int], window_strides: Sequence[int],
                  padding: Any, base_dilation: Sequence[int] | None = None,
                  window_dilation: Sequence[int] | None = None) -> Any:
    """``computation`` over every window of the operand (an array or a pytree of arrays
    with matching init values), as jax.lax.reduce_window: one window size, stride and
    dilation per axis; padding 'SAME', 'SAME_LOWER', 'VALID' or (low, high) pairs, the
    padded cells (and the holes of ``base_dilation``) holding ``init_value``."""
    flat, tree = tree_flatten(operand)
    inits, _ = tree_flatten(init_value)
    if len(flat) != len(inits) or not flat:
        raise ValueError("reduce_window: operand and init_value must have the same "
                         "structure")
    shape = _shape(flat[0])
    nd = len(shape)
    window = _tuple(window_dimensions, nd, "window_dimensions")
    strides = _tuple(window_strides, nd, "window_strides")
    base = _tuple(base_dilation, nd, "base_dilation")
    wdil = _tuple(window_dilation, nd, "window_dilation")
    if min((*window, *strides, *base, *wdil), default=1) < 1:
        raise ValueError("reduce_window: window sizes, strides and dilations must be "
                         "positive")
    dilated = [(n - 1) * b + 1 if n else 0 for n, b in zip(shape, base)]
    extent = [(k - 1) * d + 1 for k, d in zip(window, wdil)]
    if isinstance(padding, str):
        pads = padtype_to_pads(dilated, extent, strides, padding)
    else:
        pads = [(int(lo), int(hi)) for lo, hi in padding]
        if len(pads) != nd:
            raise ValueError(f"reduce_window: padding needs {nd} (low, high) pairs, got "
                             f"{padding!r}")
    single = len(flat) == 1 and not isinstance(operand, (tuple, list))
    name = _monoid(computation, _dtype(flat[0])) if single else None
    config = [(lo, hi, b - 1) for (lo, hi), b in zip(pads, base)]
    xs = [pad(x, cnp.asarray(i).astype(_dtype(x)), config)
          if any(v for c in config for v in c) else x for x, i in zip(flat, inits)]
    padded = _shape(xs[0])
    out = [(m - e) // s + 1 if m >= e else 0 for m, e, s in zip(padded, extent, strides)]
    if 0 in out or 0 in padded:
        return tree_unflatten(tree, [cnp.zeros(tuple(out), _dtype(x)) for x in flat])

    def combine(a: list[Any], b: list[Any]) -> list[Any]:
        if name is not None:
            return [_BINARY[name](a[0], b[0])]
        if single:
            return [computation(a[0], b[0])]
        res, _ = tree_flatten(computation(tree_unflatten(tree, a), tree_unflatten(tree, b)))
        return list(res)

    result: list[Any] | None = None
    slices = [tuple(builtins.slice(o * d, o * d + (m - 1) * s + 1, s)
                    for o, d, m, s in zip(offset, wdil, out, strides))
              for offset in np.ndindex(*window)]
    pooled = _by_max_pool(xs[0], name, inits[0], window, strides, wdil, base, out) \
        if single and name in ("max", "min") else None
    if pooled is not None:
        result = [pooled]
    elif name in ("max", "min") and len(slices) > 1:
        # The window's cells side by side and the first extreme taken (in the window's
        # row-major order), so that a tie sends the whole gradient to one cell, as
        # XLA's select-and-scatter does.
        cells = cnp.stack([xs[0][index] for index in slices], axis=0)
        pick = cnp.argmax(cells, axis=0) if name == "max" else cnp.argmin(cells, axis=0)
        result = [cnp.squeeze(cnp.take_along_axis(cells, cnp.expand_dims(pick, 0), axis=0),
                              0)]
    else:
        for index in slices:
            part = [x[index] for x in xs]
            result = part if result is None else combine(result, part)
    assert result is not None
    if name is None or not _is_identity(inits[0], name, _dtype(flat[0])):
        result = combine([cnp.broadcast_to(cnp.asarray(i).astype(_dtype(x)), tuple(out))
                          for i, x in zip(inits, flat)], result)
    return result[0] if single else tree_unflatten(tree, result)


def _by_max_pool(x: Any, name: str, init: Any, window: Sequence[int], strides: Sequence[int],
                 wdil: Sequence[int], base: Sequence[int], out: Sequence[int]) -> Any:
    """A max/min window over 1 to 3 axes of a float array (x already padded with the
    neutral init) as chainrule's max-pooling primitive, the other axes laid along its
    batch axis; None where it does not apply. Its gradient goes to each window's first
    maximum, as XLA's select-and-scatter's."""
    if _dtype(x).kind != "f" or any(b != 1 for b in base) or \
            not _is_identity(init, name, _dtype(x)):
        return None
    nd = len(window)
    spatial = [a for a in range(nd) if window[a] != 1 or strides[a] != 1 or wdil[a] != 1]
    if not 1 <= len(spatial) <= 3:
        return None
    from .nn import functional as F  # (chainrule.nn imports much; only when pooling)

    others = [a for a in range(nd) if a not in spatial]
    shape = _shape(x)
    y = cnp.transpose(x, (*others, *spatial))
    y = cnp.reshape(y, (-1, 1, *(shape[a] for a in spatial)))
    pool = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}[len(spatial)]
    kw = {"kernel_size": tuple(window[a] for a in spatial),
          "stride": tuple(strides[a] for a in spatial),
          "dilation": tuple(wdil[a] for a in spatial)}
    y = cnp.negative(pool(cnp.negative(y), **kw)) if name == "min" else pool(y, **kw)
    y = cnp.reshape(y, (*(out[a] for a in others), *(out[a] for a in spatial)))
    return cnp.transpose(y, tuple(int(a) for a in np.argsort([*others, *spatial])))


# ------------------------------------------------------------------- scans
def _interleave(a: Any, b: Any, axis: int) -> Any:
    """a[0], b[0], a[1], b[1], ... along axis (a as long as b or one longer)."""
    na, nb = _shape(a)[axis], _shape(b)[axis]
    pairs = cnp.stack([_take(a, axis, 0, nb), b], axis=axis + 1)
    s = _shape(pairs)
    merged = cnp.reshape(pairs, s[:axis] + (2 * nb,) + s[axis + 2:])
    if na > nb:
        merged = cnp.concatenate([merged, _take(a, axis, nb, na)], axis=axis)
    return merged


def associative_scan(fn: Callable[..., Any], elems: Any, reverse: bool = False,
                     axis: int = 0) -> Any:
    """The inclusive prefix scan of ``elems`` (a pytree of arrays, scanned along ``axis``)
    under the associative ``fn``, by JAX's parallel-prefix recursion: fn is called on
    whole arrays of pairs (log depth), and the result equals the sequential scan."""
    flat, tree = tree_flatten(elems)
    if not flat:
        return elems
    ndim = len(_shape(flat[0]))
    axis = int(axis) % ndim if ndim else 0
    n = _shape(flat[0])[axis]
    if any(_shape(x)[axis] != n for x in flat[1:]):
        raise ValueError(f"associative_scan: the inputs must have one length along axis "
                         f"{axis}, got {[_shape(x) for x in flat]}")
    if reverse:
        flat = [cnp.flip(x, axis) for x in flat]

    def combine(a: list[Any], b: list[Any]) -> list[Any]:
        c, _ = tree_flatten(fn(tree_unflatten(tree, a), tree_unflatten(tree, b)))
        return list(c)

    def scan(xs: list[Any]) -> list[Any]:
        m = _shape(xs[0])[axis]
        if m < 2:
            return xs
        reduced = combine([_take(x, axis, 0, m - 1, 2) for x in xs],
                          [_take(x, axis, 1, m, 2) for x in xs])
        odd = scan(reduced)
        if m % 2 == 0:
            even = combine([_take(e, axis, 0, _shape(e)[axis] - 1) for e in odd],
                           [_take(x, axis, 2, m, 2) for x in xs])
        else:
            even = combine(odd, [_take(x, axis, 2, m, 2) for x in xs])
        even = [cnp.concatenate([_take(x, axis, 0, 1), e], axis=axis)
                for x, e in zip(xs, even)]
        return [_interleave(e, o, axis) for e, o in zip(even, odd)]

    out = scan(list(flat))
    if reverse:
        out = [cnp.flip(x, axis) for x in out]
    return tree_unflatten(tree, out)


def _cumulative(x: Any, axis: int, reverse: bool, run: Callable[..., Any]) -> Any:
    ndim = len(_shape(x))
    if ndim == 0:
        raise ValueError("cumulative reductions need an array of at least one axis")
    axis = int(axis) % ndim
    if reverse:
        return cnp.flip(run(cnp.flip(x, axis), axis), axis)
    return run(x, axis)


def cumsum(operand: Any, axis: int = 0, reverse: bool = False) -> Any:
    """The running sum along axis (from the end with reverse=True)."""
    return _cumulative(operand, axis, reverse,
                       lambda x, a: cnp.asarray(cnp.cumsum(x, axis=a)).astype(_dtype(x)))


def cumprod(operand: Any, axis: int = 0, reverse: bool = False) -> Any:
    """The running product along axis."""
    return _cumulative(operand, axis, reverse,
                       lambda x, a: cnp.asarray(cnp.cumprod(x, axis=a)).astype(_dtype(x)))


def cummax(operand: Any, axis: int = 0, reverse: bool = False) -> Any:
    """The running maximum along axis."""
    return _cumulative(operand, axis, reverse,
                       lambda x, a: associative_scan(cnp.maximum, x, axis=a))


def cummin(operand: Any, axis: int = 0, reverse: bool = False) -> Any:
    """The running minimum along axis."""
    return _cumulative(operand, axis, reverse,
                       lambda x, a: associative_scan(cnp.minimum, x, axis=a))


def cumlogsumexp(operand: Any, axis: int = 0, reverse: bool = False) -> Any:
    """log(cumsum(exp(operand))) along axis, computed stably."""
    return _cumulative(operand, axis, reverse,
                       lambda x, a: associative_scan(cnp.logaddexp, x, axis=a))


# ------------------------------------------------------------------- sorts
def _order(keys: list[Any], axis: int) -> Any:
    """The stable lexicographic order of keys along axis (keys[0] most significant):
    NaNs last, -0.0 before 0.0, as XLA's total order."""
    idx = None
    for key in reversed(keys):
        passes = [key]
        if _dtype(key).kind == "f":
            # zeros: negative ones first (a stable pass that only moves -0.0 before 0.0)
            passes = [cnp.where(cnp.equal(key, 0), cnp.where(cnp.signbit(key), -1.0, 1.0),
                                0.0), key]
        for k in passes:
            if idx is not None:
                k = cnp.take_along_axis(k, idx, axis=axis)
            step = cnp.argsort(k, axis=axis, kind="stable")
            idx = step if idx is None else cnp.take_along_axis(idx, step, axis=axis)
    return idx


def sort(operand: Any, dimension: int = -1, is_stable: bool = True,
         num_keys: int = 1) -> Any:
    """operand sorted ascending along ``dimension``; a sequence of operands (of one shape)
    is sorted together by its first ``num_keys`` (lexicographically), returned as a
    tuple. Always stable (is_stable=False is allowed to be stable)."""
    multiple = isinstance(operand, (tuple, list))
    ops = list(operand) if multiple else [operand]
    if not ops:
        return ()
    shape = _shape(ops[0])
    if any(_shape(x) != shape for x in ops):
        raise TypeError(f"sort: the operands must have one shape, got "
                        f"{[_shape(x) for x in ops]}")
    if not 1 <= int(num_keys) <= len(ops):
        raise ValueError(f"sort: num_keys={num_keys} must be between 1 and the number of "
                         f"operands ({len(ops)})")
    if not shape:
        return tuple(ops) if multiple else operand
    axis = int(dimension) % len(shape)
    idx = _order(ops[:int(num_keys)], axis)
    out = [cnp.take_along_axis(x, idx, axis=axis) for x in ops]
    return tuple(out) if multiple else out[0]


def sort_key_val(keys: Any, values: Any, dimension: int = -1,
                 is_stable: bool = True) -> tuple[Any, Any]:
    """keys sorted along ``dimension``, values permuted alike."""
    k, v = sort((keys, values), dimension, is_stable, 1)
    return k, v


def top_k(operand: Any, k: int, **unused: Any) -> tuple[Any, Any]:
    """The k greatest entries along the last axis, in descending order, and their int32
    indices; ties keep the lower index first, NaN counts as greatest."""
    shape = _shape(operand)
    if not shape:
        raise ValueError("top_k: operand must have at least one axis")
    k = int(k)
    if not 0 <= k <= shape[-1]:
        raise ValueError(f"top_k: k={k} must be between 0 and the last axis's size "
                         f"{shape[-1]}")
    n = shape[-1]
    # ascending order of the reversed axis, read backwards: descending, equal values in
    # increasing index order
    flipped = _order([cnp.flip(operand, -1)], len(shape) - 1)
    idx = (n - 1) - cnp.flip(flipped, -1)
    idx = idx[..., :k]
    values = cnp.take_along_axis(operand, idx, axis=-1)
    return values, cnp.asarray(idx).astype(np.int32)
