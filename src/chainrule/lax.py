"""``chainrule.lax``: JAX's ``jax.lax`` for programs ported from JAX (``from chainrule
import lax``): structured control flow (here), convolutions (lax_conv), reductions,
windows, scans and sorts (lax_reductions), shape operations, slices and ``dot_general``
(lax_shapes) and the elementwise operations (lax_elementwise), all built on chainrule's
differentiable operations.

chainrule records operations as they run, so a loop needs no special form to be
differentiated: ``scan``, ``fori_loop``, ``while_loop`` and ``map`` are Python loops
with JAX's signatures and results, and gradients, forward mode and ``cr.vmap`` go through
their bodies as through any other code. Unlike JAX, reverse mode works through
``while_loop`` and through ``fori_loop`` with bounds computed at run time.

Under ``cr.vmap`` (or ``cr.compile``) a branch may depend on the example: ``cond`` and
``switch`` then run every branch and select each example's result, as JAX does when it
batches them. A ``while_loop`` whose condition depends on the example cannot be traced
once for all examples and raises, naming the line; a ``fori_loop`` or ``scan`` with a
fixed count is fine.

Loop indices are Python ints (JAX passes int32 arrays): ``x[i]`` and ``i * dt`` behave
the same, and an int keeps a float32 array float32 as JAX's weakly typed index does.
"""

from __future__ import annotations

import builtins
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import graph
from . import numpy as cnp
from .graph import is_tensor
from .graph import values as _values
from .lax_conv import *  # noqa: F403
from .lax_conv import __all__ as _conv_names
from .lax_elementwise import *  # noqa: F403
from .lax_elementwise import __all__ as _elementwise_names
from .lax_reductions import *  # noqa: F403
from .lax_reductions import __all__ as _reduction_names
from .lax_shapes import *  # noqa: F403
from .lax_shapes import __all__ as _shape_names
from .primitives.pointwise import stop_gradient
from .pytree import tree_flatten, tree_map, tree_unflatten
from .tracing import traced

# (the star imports bring lax's max, min, abs, round, pow, slice, ...: this module's
# own code spells Python's as builtins.*)
__all__ = ["clamp", "cond", "dynamic_slice", "dynamic_slice_in_dim", "dynamic_update_index_in_dim",
           "dynamic_update_slice", "dynamic_update_slice_in_dim", "fori_loop", "map", "rsqrt",
           "scan", "select", "stop_gradient", "switch", "while_loop",
           *_conv_names, *_elementwise_names, *_reduction_names, *_shape_names]


# ------------------------------------------------------------------------------ loops

def scan(f: Callable[..., Any], init: Any, xs: Any = None, length: int | None = None,
         reverse: bool = False, unroll: int | bool = 1, **unused: Any) -> tuple[Any, Any]:
    """``carry, y = f(carry, x)`` over the leading axis of ``xs`` (a pytree; None with
    ``length`` for no inputs); returns the last carry and the ``y``s stacked along a new
    leading axis (in ``xs``'s order, also with ``reverse=True``). ``unroll`` changes
    nothing here (every step runs as Python)."""
    leaves, treedef = tree_flatten(xs)
    lengths = {int(np.shape(_values(leaf))[0]) if np.ndim(_values(leaf)) else None
               for leaf in leaves}
    if None in lengths:
        raise ValueError("scan: every leaf of xs needs a leading axis to scan over, got a "
                         "0-d value")
    if length is not None:
        lengths.add(int(length))
    if len(lengths) != 1:
        raise ValueError(
            f"scan: the leading axes of xs and length disagree: {sorted(lengths)}"
            if lengths else "scan: pass xs or length"
        )
    n = lengths.pop()
    carry_def = tree_flatten(init)[1]
    # The body works on a carry of its own (init copied once); a y that shares memory with
    # the carry it returns is copied, so that the next step writing into the carry in
    # place leaves the stacked ys alone.
    carry, ys = tree_map(_own, init), []
    if n == 0:
        return carry, _no_steps(f, init, leaves, treedef, carry_def)
    for i in (range(n - 1, -1, -1) if reverse else range(n)):
        x = tree_unflatten(treedef, [_own(leaf[i]) for leaf in leaves])
        out = f(carry, x)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise TypeError(f"scan: f must return a pair (carry, y), got {type(out).__name__}")
        carry, y = out
        if tree_flatten(carry)[1] != carry_def:
            raise TypeError(
                f"scan: f must return a carry of the structure it takes: got "
                f"{_structure(carry)} for {_structure(init)}"
            )
        ys.append(_unshared(y, carry))
    if reverse:
        ys.reverse()
    return carry, _stacked(ys, f"scan over {n} steps")


def _own(value):
    """A NumPy array copied, anything else as it is. JAX's arrays are immutable and its
    loop bodies are written so (``c += x`` makes a new array); here a carry or slice that
    is a NumPy array would be written in place, changing the caller's init and xs (and
    see _unshared for the ys). Tensors are not copied: an in-place operation on one is
    recorded, or refused."""
    return value.copy() if type(value) is np.ndarray else value


def _unshared(y, carry):
    """y with each NumPy leaf that may share memory with a NumPy leaf of carry copied."""
    held = [c for c in tree_flatten(carry)[0] if type(c) is np.ndarray]
    if not held:
        return y
    return tree_map(lambda v: v.copy() if type(v) is np.ndarray and any(
        np.may_share_memory(v, c) for c in held) else v, y)


def _no_steps(f, init, leaves, treedef, carry_def):
    """The ys of a scan over 0 steps: empty, shaped as f's y. f runs once, on the
    initial carry and zeros of one step's x, only to learn y's structure, shapes and
    dtypes (JAX traces it abstractly); nothing it computes is kept or recorded."""
    x = tree_unflatten(treedef, [np.zeros(np.shape(_values(leaf))[1:], _values(leaf).dtype)
                                 for leaf in leaves])
    with graph.no_grad(), np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = f(init, x)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(f"scan: f must return a pair (carry, y), got {type(out).__name__}")
    if tree_flatten(out[0])[1] != carry_def:
        raise TypeError(f"scan: f must return a carry of the structure it takes: got "
                        f"{_structure(out[0])} for {_structure(init)}")
    y_leaves, y_def = tree_flatten(out[1])
    return tree_unflatten(y_def, [np.zeros((0,) + np.shape(_values(y)), _values(y).dtype)
                                  for y in y_leaves])


def map(f: Callable[..., Any], xs: Any, *, batch_size: int | None = None) -> Any:  # noqa: A001
    """``f`` applied to each slice of ``xs`` along its leading axis, the results stacked
    (JAX's ``lax.map``; ``batch_size`` changes nothing here)."""
    return scan(lambda carry, x: (carry, f(x)), (), xs)[1]


def fori_loop(lower: Any, upper: Any, body_fun: Callable[..., Any], init_val: Any, *,
              unroll: int | bool | None = None) -> Any:
    """``val = body_fun(i, val)`` for i in range(lower, upper); returns val."""
    lo, hi = (_index(b, "fori_loop", name) for b, name in ((lower, "lower"), (upper, "upper")))
    val = tree_map(_own, init_val)
    for i in range(lo, hi):
        val = body_fun(i, val)
    return val


def while_loop(cond_fun: Callable[..., Any], body_fun: Callable[..., Any], init_val: Any) -> Any:
    """``val = body_fun(val)`` while ``cond_fun(val)``; returns val. (Reverse mode goes
    through it, which JAX's does not.)"""
    val = tree_map(_own, init_val)
    while _decide(cond_fun(val), "while_loop"):
        val = body_fun(val)
    return val


# --------------------------------------------------------------------------- branches

def cond(pred: Any, true_fun: Callable[..., Any], false_fun: Callable[..., Any], *operands: Any,
         **unused: Any) -> Any:
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)``. With ``pred``
    traced by ``cr.vmap``, both run and each example takes its branch's result."""
    if np.ndim(_values(pred)) != 0:
        raise TypeError(f"cond: pred must be a scalar, got shape {np.shape(_values(pred))}")
    if traced(pred):
        return _select_each([pred], [true_fun(*operands), false_fun(*operands)], "cond")
    return true_fun(*operands) if bool(_values(pred)) else false_fun(*operands)


def switch(index: Any, branches: Sequence[Callable[..., Any]], *operands: Any,
           **unused: Any) -> Any:
    """``branches[index](*operands)``, the index clamped to the branches (as JAX does).
    With ``index`` traced by ``cr.vmap``, every branch runs and each example takes its
    own."""
    branches = list(branches)
    if not branches:
        raise ValueError("switch: branches must not be empty")
    if np.ndim(_values(index)) != 0:
        raise TypeError(f"switch: index must be a scalar, got shape {np.shape(_values(index))}")
    if traced(index):
        k = cnp.clip(index, 0, len(branches) - 1)
        picks = [k == j for j in range(len(branches) - 1)]
        return _select_each(picks, [b(*operands) for b in branches], "switch")
    k = builtins.min(builtins.max(int(_values(index)), 0), len(branches) - 1)
    return branches[k](*operands)


def _select_each(picks, results, op):
    """results[j] where picks[j] (the first that holds), else the last result; leaf by
    leaf over results of one structure."""
    flat = [tree_flatten(r) for r in results]
    if any(d != flat[0][1] for _, d in flat):
        raise TypeError(f"{op}: the branches must return the same structure, got "
                        + ", ".join(_structure(r) for r in results))
    leaves = []
    for per_leaf in zip(*(lv for lv, _ in flat)):
        out = per_leaf[-1]
        for pick, leaf in zip(reversed(picks), reversed(per_leaf[:-1])):
            out = cnp.where(pick, leaf, out)
        leaves.append(out)
    return tree_unflatten(flat[0][1], leaves)


# ------------------------------------------------------------------ slices and helpers

def dynamic_slice(operand: Any, start_indices: Sequence[Any], slice_sizes: Sequence[int]) -> Any:
    """``operand[start:start + size]`` along every axis, a negative start counted from the
    end and each start clamped so that the slice fits (JAX's rules)."""
    starts = _starts(operand, start_indices, slice_sizes, "dynamic_slice")
    return operand[tuple(builtins.slice(s, s + int(n)) for s, n in zip(starts, slice_sizes))]


def dynamic_slice_in_dim(operand: Any, start_index: Any, slice_size: int, axis: int = 0) -> Any:
    """dynamic_slice along one axis."""
    shape = np.shape(_values(operand))
    axis = axis % len(shape)
    starts = [0] * len(shape)
    sizes = list(shape)
    starts[axis], sizes[axis] = start_index, slice_size
    return dynamic_slice(operand, starts, sizes)


def dynamic_update_slice(operand: Any, update: Any, start_indices: Sequence[Any]) -> Any:
    """A copy of ``operand`` with ``update`` written at ``start_indices`` (clamped so that
    it fits), differentiable in both: JAX's functional update."""
    shape = np.shape(_values(operand))
    sizes = np.shape(_values(update))
    if len(sizes) != len(shape):
        raise ValueError(f"dynamic_update_slice: update has {len(sizes)} axes, operand "
                         f"{len(shape)}")
    starts = _starts(operand, start_indices, sizes, "dynamic_update_slice")
    widths = [(s, n - s - k) for s, n, k in zip(starts, shape, sizes)]
    inside = np.zeros(shape, bool)
    inside[tuple(builtins.slice(s, s + k) for s, k in zip(starts, sizes))] = True
    return cnp.where(inside, cnp.pad(update, widths), operand)


def dynamic_update_slice_in_dim(operand: Any, update: Any, start_index: Any, axis: int) -> Any:
    """dynamic_update_slice along one axis (the others start at 0)."""
    ndim = len(np.shape(_values(operand)))
    starts: list[Any] = [0] * ndim
    starts[axis % ndim] = start_index
    return dynamic_update_slice(operand, update, starts)


def dynamic_update_index_in_dim(operand: Any, update: Any, index: Any, axis: int) -> Any:
    """operand with the slice at ``index`` along axis replaced by update (given with or
    without that axis)."""
    ndim = len(np.shape(_values(operand)))
    axis = axis % ndim
    if len(np.shape(_values(update))) == ndim - 1:
        update = cnp.expand_dims(update, axis)
    return dynamic_update_slice_in_dim(operand, update, index, axis)


def select(pred: Any, on_true: Any, on_false: Any) -> Any:
    """Elementwise ``on_true`` where pred, else ``on_false`` (JAX's lax.select)."""
    return cnp.where(pred, on_true, on_false)


def clamp(min: Any, x: Any, max: Any) -> Any:  # noqa: A002  (JAX's argument names)
    """x clipped to [min, max] (note JAX's argument order)."""
    return cnp.clip(x, min, max)


def rsqrt(x: Any) -> Any:
    """1 / sqrt(x)."""
    return 1.0 / cnp.sqrt(x)


# ---------------------------------------------------------------------------- helpers

def _structure(tree):
    leaves, _ = tree_flatten(tree)
    shapes = ", ".join(str(np.shape(_values(leaf))) for leaf in leaves)
    return f"{type(tree).__name__} of {len(leaves)} leaves ({shapes})"


def _stacked(ys, what):
    flat = [tree_flatten(y) for y in ys]
    if not flat:
        raise ValueError(f"{what}: nothing to stack (a scan of length 0)")
    treedef = flat[0][1]
    if any(d != treedef for _, d in flat):
        raise TypeError(f"{what}: f returned outputs y of different structures")
    columns = zip(*(leaves for leaves, _ in flat))
    return tree_unflatten(treedef, [cnp.stack(list(c)) for c in columns])


def _index(b, op, name):
    if is_tensor(b) and traced(b):
        raise TypeError(
            f"{op}: {name} is computed from a value being traced by cr.vmap or cr.compile; "
            f"the number of iterations must be the same for every example or call"
        )
    v = _values(b)
    if np.ndim(v) != 0 or v.dtype.kind not in "iub":
        raise TypeError(f"{op}: {name} must be an integer, got {v!r}")
    return int(v)


def _decide(c, op):
    if traced(c):
        raise TypeError(
            f"{op}: the condition is computed from a value being traced by cr.vmap or "
            f"cr.compile, so the number of iterations could differ between examples or "
            f"calls; loop over the examples in Python, or use fori_loop/scan with a fixed "
            f"count and select with lax.select inside"
        )
    v = _values(c)
    if np.ndim(v) != 0:
        raise TypeError(f"{op}: the condition must be a scalar boolean, got shape {v.shape}")
    return bool(v)


def _starts(operand, start_indices, sizes, op):
    shape = np.shape(_values(operand))
    if len(start_indices) != len(shape) or len(sizes) != len(shape):
        raise ValueError(f"{op}: give one start index and size per axis of the operand "
                         f"(shape {shape}); got {len(start_indices)} and {len(sizes)}")
    starts = []
    for axis, (s, k, n) in enumerate(zip(start_indices, sizes, shape)):
        if not 0 <= int(k) <= n:
            raise ValueError(f"{op}: size {k} along axis {axis} does not fit the operand's "
                             f"{n}")
        start = _index(s, op, f"start index {axis}")
        if start < 0:  # (counted from the end, as JAX's allow_negative_indices)
            start += n
        starts.append(builtins.min(builtins.max(start, 0), n - int(k)))
    return starts
