"""``cr.vmap``: a function of one example, applied to a batch of them at once.

``vmap(f)(xs)`` is ``stack([f(x) for x in xs])`` computed without the loop: f runs once,
traced (chainrule.tracing), on the first example, and the trace is replayed on the
whole batch with each primitive's batching rule (chainrule.batching). Nested inside
``grad`` it differentiates; ``vmap(grad(loss), in_axes=(None, 0))(w, xs)`` gives
per-example gradients.

A trace runs the Python of f once, so f's control flow must not depend on the values
of its inputs: turning a traced value into a Python bool or number raises while
tracing, naming the line. As a last guard against a value read behind the engine's
back (``x.data``, a NumPy call on ``np.asarray(x)``), the result for the last example is
compared with f evaluated on that example directly; a mismatch raises.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from . import batching, graph, transforms
from . import primitives as P
from . import randomness as randomness_mod
from .graph import is_tensor, new_tensor, new_tensor_as
from .graph import values as _values
from .pytree import tree_flatten, tree_unflatten
from .tracing import Tracer, Var, tracing


def vmap(f: Callable[..., Any], in_axes: Any = 0, out_axes: Any = 0, *,
         axis_size: int | None = None, chunk_size: int | None = None,
         randomness: str = "different") -> Callable[..., Any]:
    """f mapped over axis `in_axes` of its arguments; results stacked along `out_axes`.

    ``in_axes`` is an int (every argument), None (not mapped), or a tuple with one entry
    per argument (an int, None, or a pytree of them matching that argument). Arguments
    not mapped are the same for every example; keyword arguments are mapped over their
    axis 0 (JAX's rule). ``out_axes`` is an int, None, or a pytree prefix of the output
    (a tuple for a tuple output, a dict for a dict, ...); None returns an output that
    does not depend on the mapped axis as it is, unstacked (an error for one that does).
    ``axis_size`` gives the batch size when no argument is mapped (and must agree with
    the mapped ones otherwise). A batch of size 0 gives outputs with an axis of size 0
    (f runs once on zeros of one example's shape, to learn its outputs' shapes).

    torch.func.vmap's keywords: ``chunk_size`` maps that many examples at a time (the
    same results, for less memory); ``randomness`` says what random draws inside f do:
    "different" (each example its own; the default here), "same" (one draw shared by
    every example) or "error" (raise at a draw, torch.func's default).
    """
    _check_vmap_options(chunk_size, randomness)

    def call(args, kwargs):
        return f(*args, **kwargs)

    @functools.wraps(f)
    def batched_f(*args, **kwargs):
        leaves, treedef = tree_flatten((tuple(args), kwargs))
        axes = _leaf_axes(in_axes, args) + [0] * len(tree_flatten(kwargs)[0])
        if len(axes) != len(leaves):
            raise ValueError(
                f"vmap: in_axes {in_axes!r} does not match the structure of the arguments"
            )
        moved, size = [], None
        for x, ax in zip(leaves, axes):
            if ax is None:
                moved.append(x)
                continue
            n = np.ndim(x)
            if not -n <= ax < n:
                raise ValueError(f"vmap: in_axes {ax} is out of range for an argument of "
                                 f"shape {np.shape(x)}")
            x = _moveaxis(x, ax, 0)
            if size is None:
                size = np.shape(x)[0]
            elif np.shape(x)[0] != size:
                raise ValueError(f"vmap: mapped axes have different sizes ({size} and "
                                 f"{np.shape(x)[0]})")
            moved.append(x)
        if axis_size is not None:
            if size is not None and size != axis_size:
                raise ValueError(f"vmap: axis_size {axis_size} but the mapped axes have size "
                                 f"{size}")
            size = int(axis_size)
        if size is None:
            raise ValueError("vmap: in_axes maps no argument; give at least one int axis, "
                             "or axis_size")
        mapped = [ax is not None for ax in axes]
        if size == 0:
            results, out_def = _empty_batch(call, moved, mapped, treedef, randomness)
        else:
            results, out_def = _in_chunks(call, moved, mapped, treedef, size, chunk_size,
                                          randomness, leaves)
        skeleton = tree_unflatten(out_def, list(range(len(results))))
        outs = []
        for (o, batched), ax in zip(results, _subtree_axes(out_axes, skeleton, out_axes,
                                                           skeleton, "out_axes")):
            if ax is None:
                if batched:
                    raise ValueError("vmap: out_axes is None for an output that depends on "
                                     "the mapped axis; give it an int axis")
                outs.append(o)
            else:
                outs.append(_moveaxis(_batch_of(o, batched, size), 0, ax))
        return tree_unflatten(out_def, [_result(o, args) for o in outs])

    return batched_f


def _check_vmap_options(chunk_size, randomness):
    if chunk_size is not None and chunk_size <= 0:
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got "
                         f"{chunk_size})")
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', "
                           f"or 'same'. Got {randomness}")


def _mapped_once(f, moved, mapped, treedef, size, randomness, leaves):
    """One batch: [(output, batched)] for each output leaf, and the output's treedef."""
    with randomness_mod.recording() as draws:
        trace, out_def = _trace(f, moved, mapped, treedef, 0)
    if draws and randomness == "error":
        raise RuntimeError(_RANDOM_IN_ERROR_MODE)
    results = batching.run(trace, [x for x, m in zip(moved, mapped) if m],
                           [True] * sum(mapped), same_draws=randomness == "same")
    # (With randomness "same" the check draws what the trace drew: numbers drawn outside
    # the draw primitives, torch.randn's, are then the trace's constants, shared as asked.)
    with randomness_mod.replaying(draws) if randomness == "same" else contextlib.nullcontext():
        if size > 1 and any(getattr(op.prim, "draws", False) for op in trace.ops):
            # (Random draws differ between runs: compare the last example's trace instead.)
            _check_same_trace(f, moved, mapped, treedef, trace, size)
        elif size > 1:
            outs = [_batch_of(v, b, size) for v, b in results]
            _check_last_example(f, moved, mapped, treedef, outs, size)
    if not _differentiable_from_outside(trace, leaves):
        results = [(_unrecorded(o), b) for o, b in results]
    return results, out_def


def _in_chunks(f, moved, mapped, treedef, size, chunk_size, randomness, leaves):
    """_mapped_once over the batch, `chunk_size` examples at a time (torch.func's
    chunk_size), the chunks' outputs joined along the batch axis. With randomness
    "same", every chunk draws what the first drew (the generators' states put back)."""
    if chunk_size is None or chunk_size >= size:
        return _mapped_once(f, moved, mapped, treedef, size, randomness, leaves)
    bounds = [(s, min(s + chunk_size, size)) for s in range(0, size, chunk_size)]
    parts, first_draws = [], None
    for start, stop in bounds:
        chunk = [x[start:stop] if m else x for x, m in zip(moved, mapped)]
        if first_draws is None:
            with randomness_mod.recording() as first_draws:
                parts.append(_mapped_once(f, chunk, mapped, treedef, stop - start,
                                          randomness, leaves))
        else:
            with (randomness_mod.replaying(first_draws) if randomness == "same"
                  else contextlib.nullcontext()):
                parts.append(_mapped_once(f, chunk, mapped, treedef, stop - start,
                                          randomness, leaves))
    joined = []
    for k in range(len(parts[0][0])):
        outs = [results[k] for results, _ in parts]
        if not any(batched for _, batched in outs):
            joined.append(outs[0])  # (the same for every example: any chunk's)
            continue
        batches = [_batch_of(o, b, stop - start) for (o, b), (start, stop) in zip(outs, bounds)]
        if any(is_tensor(x) for x in batches):
            joined.append((P.concatenate(batches, axis=0), True))
        else:
            joined.append((np.concatenate([np.asarray(x) for x in batches], axis=0), True))
    return joined, parts[0][1]


def _empty_batch(f, moved, mapped, treedef, randomness):
    """A batch of 0 examples: f runs once on one example of zeros, only for its outputs'
    shapes and dtypes (JAX traces it abstractly); each output has 0 examples."""
    def zeros(x):  # (of the argument's kind: a front end's tensors give its own)
        z = np.zeros((1,) + np.shape(_values(x))[1:], _values(x).dtype)
        return new_tensor_as(z, x) if is_tensor(x) else z

    one = [zeros(x) if m else x for x, m in zip(moved, mapped)]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results, out_def = _mapped_once(f, one, mapped, treedef, 1, randomness, [])
    # (An output that does not depend on the examples stays as it is: _batch_of repeats
    # it 0 times, or out_axes=None returns it.)
    return [((new_tensor_as(o._data[:0], o) if is_tensor(o) else np.asarray(o)[:0]), True)
            if b else (o, False) for o, b in results], out_def


_RANDOM_IN_ERROR_MODE = (
    "vmap: called random operation while in randomness error mode. Please either use the "
    "'same' or 'different' randomness flags on vmap or perform the randomness operation "
    "out of vmap")


def with_randomness(f: Callable[..., Any], randomness: str) -> Callable[..., Any]:
    """f for a transform that calls it several times (torch.func.jacfwd: one forward pass
    per input element): "different" as it is, "same" drawing on every call what the
    first call drew, "error" raising at a draw (every draw goes through a generator
    chainrule.randomness notices). Make one per transformed call."""
    _check_vmap_options(None, randomness)
    if randomness == "different":
        return f
    first: list[Any] = []

    @functools.wraps(f)
    def drawn(*args, **kwargs):
        if first:  # ("same", after the first call)
            with randomness_mod.replaying(first[0]):
                return f(*args, **kwargs)
        with randomness_mod.recording() as draws:
            out = f(*args, **kwargs)
        if draws and randomness == "error":
            raise RuntimeError(_RANDOM_IN_ERROR_MODE)
        if randomness == "same":
            first.append(draws)
        return out

    return drawn


def _trace(f, leaves, mapped, treedef, index):
    """Run f on example `index` of the mapped leaves with a tracer; (trace, output tree)."""
    tracer = Tracer()
    with transforms.running(), tracing(tracer):
        example = []
        for x, m in zip(leaves, mapped):
            if m:
                t = new_tensor(np.asarray(_values(x)[index]))
                tracer.input(t)
                example.append(t)
            else:
                example.append(x)
        out = f(*tree_unflatten(treedef, example))
    out_leaves, out_def = tree_flatten(out)
    tracer.trace.outputs = [tracer.output(o) for o in out_leaves]
    return tracer.trace, out_def


_DIFFERENT_EXAMPLE = (
    "vmap: the batched result for the last example differs from the function evaluated on "
    "that example alone: the function reads its inputs' values outside chainrule's "
    "operations (x.data, np.asarray(x), or a value turned into a NumPy constant), so the "
    "trace of the first example does not describe the others. Use chainrule.numpy / cr "
    "operations on the inputs, or loop over the examples in Python"
)


def _check_same_trace(f, leaves, mapped, treedef, trace, size):
    """The last example's trace must be the first's: the same operations on the same
    variables with equal constants (for functions that draw random numbers, whose values
    differ from one run to the next)."""
    last, _ = _trace(f, leaves, mapped, treedef, size - 1)
    same = len(last.ops) == len(trace.ops) and _same(last.outputs, trace.outputs) and all(
        a.prim is b.prim and a.out == b.out and _same(a.args, b.args) and _same(a.kw, b.kw)
        for a, b in zip(last.ops, trace.ops))
    if not same:
        raise ValueError(_DIFFERENT_EXAMPLE)


def _same(a, b):
    """Equal traced arguments: Vars and objects by identity, arrays and numbers by value."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, Var):
        return a == b
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, slice):
        return _same((a.start, a.stop, a.step), (b.start, b.stop, b.step))
    if is_tensor(a):
        return _same(a._data, b._data)
    if isinstance(a, (np.ndarray, np.generic)):
        return a.shape == b.shape and a.dtype == b.dtype and bool(
            np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (int, float, complex, str, bytes, np.dtype)):
        return a == b or (a != a and b != b)
    return False  # (other objects: the same object only)


def _check_last_example(f, leaves, mapped, treedef, outs, size):
    # The example as tensors, as the traced call saw its arguments (so tensor-only
    # methods such as x.at[...] work in both).
    example = [new_tensor(np.asarray(_values(x)[size - 1])) if m else x
               for x, m in zip(leaves, mapped)]
    with transforms.running():
        direct = f(*tree_unflatten(treedef, example))
    for got, want in zip(outs, tree_flatten(direct)[0]):
        got, want = np.asarray(_values(got)[size - 1]), np.asarray(_values(want))
        if got.shape != want.shape or not _close(got, want):
            raise ValueError(_DIFFERENT_EXAMPLE)


def _close(got, want):
    """Equal up to the rounding of a different summation order (batched products)."""
    if got.dtype.kind not in "fc" or want.dtype.kind not in "fc":
        return np.array_equal(got, want)
    tol = 1e-4 if np.float32 in (got.dtype, want.dtype) else 1e-9
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(got - want)
        # The usual case in two passes: every difference small (a NaN or infinity
        # anywhere makes the maximum NaN or infinite and takes the careful path below).
        if not err.size:
            return True
        worst = float(np.max(err))
        if worst <= tol:
            return True
    finite = np.isfinite(want)
    if not np.array_equal(finite, np.isfinite(got)):
        return False
    return not err.size or float(np.max(err, where=finite, initial=0)) <= tol * (
        1 + float(np.max(np.abs(want), where=finite, initial=0)))


def _batch_of(value, batched, size):
    """An output of the replay as a batch: outputs that do not depend on the mapped
    arguments are the same for every example, repeated."""
    if batched:
        return value
    shape = np.shape(_values(value))
    if is_tensor(value):
        return P.broadcast_to(P.reshape(value, (1,) + shape), (size,) + shape)
    return np.broadcast_to(np.asarray(value), (size,) + shape)


def _differentiable_from_outside(trace, leaves):
    """Whether a batched result may be differentiated by its caller: inside another
    transform or tracer, or when an argument or a tensor the function read from its
    closure requires grad. (A gradient taken inside f, vmap(grad(f)), is recorded
    against leaves of grad's own making; with nothing outside to reach, the result is
    returned unrecorded, as PyTorch's torch.func.vmap gives it.)"""
    if transforms._depth or graph.trace_hook() is not None:
        return True
    if any(is_tensor(x) and x.requires_grad for x in leaves):
        return True
    constants = [a for op in trace.ops for a in (*op.args, *op.kw.values())
                 if is_tensor(a) and a.requires_grad]
    return transforms.reaches_other_leaves(constants)


def _unrecorded(o):
    return new_tensor_as(o._data, o) if is_tensor(o) and o.requires_grad else o


def _result(o, args):
    # Plain arrays in, plain arrays out (as every transform); tensors inside transforms.
    if is_tensor(o) and not transforms._is_nested(args):
        return o._data
    return o


def _moveaxis(x, source, destination):
    if source == destination or source % max(np.ndim(x), 1) == destination % max(np.ndim(x), 1):
        return x
    if is_tensor(x):
        n = np.ndim(x)
        order = [i for i in range(n) if i != source % n]
        order.insert(destination % n, source % n)
        return P.transpose(x, tuple(order))
    return np.moveaxis(np.asarray(x), source, destination)


def _leaf_axes(in_axes, args):
    """One axis (or None) per leaf of the arguments."""
    if in_axes is None or isinstance(in_axes, int):
        return [in_axes] * len(tree_flatten(tuple(args))[0])
    if not isinstance(in_axes, (tuple, list)) or len(in_axes) != len(args):
        raise ValueError(
            f"vmap: in_axes must be an int, None, or a tuple with one entry per argument "
            f"({len(args)}), got {in_axes!r}"
        )
    out = []
    for ax, a in zip(in_axes, args):
        out.extend(_subtree_axes(ax, a, ax, a))
    return out


def _subtree_axes(ax, a, whole_ax, whole_arg, which="in_axes"):
    """The axes of a's leaves from ax, a prefix of a's structure (JAX's rule): an int or
    None covers a whole subtree; a None subtree of a has no leaves to map. (`which`
    names the option in errors: in_axes for an argument, out_axes for the output.)"""
    if ax is None or isinstance(ax, int):
        return [ax] * len(tree_flatten(a)[0])
    if isinstance(ax, dict) and isinstance(a, dict) and set(ax) == set(a):
        return [x for k in a for x in _subtree_axes(ax[k], a[k], whole_ax, whole_arg, which)]
    if (isinstance(ax, (tuple, list)) and isinstance(a, (tuple, list))
            and len(ax) == len(a)):
        return [x for sub, b in zip(ax, a)
                for x in _subtree_axes(sub, b, whole_ax, whole_arg, which)]
    what = "argument" if which == "in_axes" else "the output"
    where = "" if ax is whole_ax else f": {ax!r} stands where {what} has {a!r}"
    raise ValueError(f"vmap: {which} {whole_ax!r} does not match {what} {whole_arg!r}{where}")
