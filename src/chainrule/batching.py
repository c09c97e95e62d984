"""Batching rules: a primitive applied to a batch of inputs at once, for ``cr.vmap``.

A rule ``rule(prim, args, batched, kw)`` gets the primitive's arguments, some of which
carry a batch of examples on axis 0 (``batched[i]`` is True for those; the others are
the same for every example), and returns the batch of results, again on axis 0. Rules
are written with chainrule's primitives, so they run as NumPy on arrays and are
recorded on tensors (vmap inside grad). A primitive declares its rule (``batch=``);
elementwise primitives need none (:func:`elementwise_rule`), and a primitive with
neither is applied one example at a time (:func:`one_at_a_time`), correct but slow.
"""

from __future__ import annotations

import inspect
import os
import sys
import warnings

import numpy as np

from .graph import REGISTRY, TensorBase
from .index_template import SLOT, is_index_array
from .index_template import split as split_index
from .tracing import Var


def _prim(name):
    # Looked up when a rule runs: this module sits below the primitive modules.
    return REGISTRY[name]


def _shape(a):
    return a._data.shape if isinstance(a, TensorBase) else np.shape(a)


def _dtype(a):
    return a._data.dtype if isinstance(a, TensorBase) else np.asarray(a).dtype


def _size(args, batched):
    return next(_shape(a)[0] for a, b in zip(args, batched) if b)


def _lift(a, rank):
    """A batched value (B, *ex) with singleton axes after the batch axis to rank 1 + rank."""
    shape = _shape(a)
    missing = rank + 1 - len(shape)
    if missing <= 0:
        return a
    return _prim("reshape")(a, (shape[0],) + (1,) * missing + tuple(shape[1:]))


def _to_batch(a, size):
    """An unbatched value repeated for each of `size` examples, on a new axis 0."""
    shape = _shape(a)
    return _prim("broadcast_to")(_prim("reshape")(a, (1,) + tuple(shape)), (size,) + tuple(shape))


def example_rank(a, batched):
    return len(_shape(a)) - (1 if batched else 0)


# ------------------------------------------------------------------ generic rules
def elementwise_rule(prim, args, batched, kw):
    """Elementwise maps broadcast: batched arguments get singleton axes so that the batch
    axis stays in front of every example axis of the result."""
    rank = max(example_rank(a, b) for a, b in zip(args, batched))
    args = [_lift(a, rank) if b else a for a, b in zip(args, batched)]
    return prim(*args, **kw)


def _user_stacklevel():
    """warnings.warn's stacklevel, for its caller, of the innermost frame outside
    chainrule: the user's line, however many of chainrule's frames (vmap's chunks, a
    rule falling back to one_at_a_time, a transform around vmap) lie in between."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    return level


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def one_at_a_time(prim, args, batched, kw):
    """The primitive on each example in turn, stacked: for primitives without a rule."""
    if prim.name not in _warned:
        _warned.add(prim.name)
        warnings.warn(
            f"cr.vmap: '{prim.name}' has no batching rule, so it runs once per example "
            f"(correct, but a Python loop)",
            RuntimeWarning,
            stacklevel=_user_stacklevel(),
        )
    size = _size(args, batched)
    getitem = _prim("getitem")
    results = []
    for i in range(size):
        results.append(prim(*[getitem(a, i) if b else a for a, b in zip(args, batched)], **kw))
    return _prim("concatenate")(*[_prim("reshape")(r, (1,) + _shape(r)) for r in results],
                                axis=0)


_warned = set()


def _shift(axis, rank):
    """An example axis (or tuple of them, or None: all) as an axis of the batched array.

    (A 0-d example has no axis to reduce: NumPy's axis 0 there leaves it as it is.)
    """
    if axis is None or (rank == 0 and not isinstance(axis, (tuple, list))):
        return tuple(range(1, rank + 1))
    if isinstance(axis, (tuple, list)):
        return tuple(a for x in axis for a in _as_tuple(_shift(x, rank)))
    return int(axis) % rank + 1


def _as_tuple(a):
    return a if isinstance(a, tuple) else (a,)


def _first_only(rule):
    """A rule for a primitive batched only in its first argument; others are parameters."""

    def checked(prim, args, batched, kw):
        if any(batched[1:]):
            return one_at_a_time(prim, args, batched, kw)
        return rule(prim, args, kw)

    return checked


@_first_only
def flip_rule(prim, args, kw):
    rank = example_rank(args[0], True)
    return prim(args[0], axis=_shift(kw.get("axis"), rank))


def sum_rule(prim, args, batched, kw):
    """A reduction (sum, max, prod, ...): its axis (None: all) moves past the batch axis."""
    if any(batched[1:]) or len(args) > 1:
        return one_at_a_time(prim, args, batched, kw)
    rank = example_rank(args[0], True)
    kw = dict(kw)
    kw["axis"] = _shift(kw.get("axis"), rank)
    return prim(args[0], **kw)


@_first_only
def softmax_rule(prim, args, kw):
    rank = example_rank(args[0], True)
    kw = dict(kw)
    kw["axis"] = _shift(kw.get("axis", -1), rank)
    return prim(*args, **kw)


@_first_only
def cumulative_rule(prim, args, kw):
    """cumsum: axis None runs over the flattened example."""
    x = args[0]
    if kw.get("axis") is None:
        x = _prim("reshape")(x, (_shape(x)[0], -1))
        return prim(x, axis=1)
    return prim(x, axis=_shift(kw["axis"], example_rank(x, True)))


@_first_only
def sorting_rule(prim, args, kw):
    """argsort, argpartition: along axis (-1 unless given), or over the flattened
    example for axis None."""
    x = args[0]
    kw = dict(kw)
    if "axis" in kw and kw["axis"] is None:
        kw["axis"] = 1
        return prim(_prim("reshape")(x, (_shape(x)[0], -1)), *args[1:], **kw)
    kw["axis"] = _shift(kw.get("axis", -1), example_rank(x, True))
    return prim(x, *args[1:], **kw)


def arg_rule(prim, args, batched, kw):
    """argmax/argmin: axis None picks over the flattened example."""
    x = args[0]
    kw = dict(kw)
    if kw.get("axis") is None:
        x = _prim("reshape")(x, (_shape(x)[0], -1))
        out = prim(x, axis=1, keepdims=False)
        if kw.get("keepdims"):
            out = _prim("reshape")(out, (_shape(out)[0],) + (1,) * (len(_shape(args[0])) - 1))
        return out
    kw["axis"] = _shift(kw["axis"], example_rank(x, True))
    return prim(x, **kw)


@_first_only
def reshape_rule(prim, args, kw):
    x, shape = args[0], args[1] if len(args) > 1 else kw.pop("shape")
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return prim(x, (_shape(x)[0],) + shape, **{k: v for k, v in kw.items() if k != "shape"})


@_first_only
def transpose_rule(prim, args, kw):
    x = args[0]
    axes = args[1] if len(args) > 1 else kw.get("axes")
    rank = example_rank(x, True)
    if axes is None:
        axes = tuple(reversed(range(rank)))
    return prim(x, (0,) + tuple(int(a) % rank + 1 for a in axes))


def broadcast_rule(prim, args, batched, kw):
    x = args[0]
    shape = args[1] if len(args) > 1 else kw["shape"]
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    x = _lift(x, len(shape))
    return prim(x, (_shape(x)[0],) + shape)


def _batched_index(index):
    """`index` (a basic getitem index for one example, or an advanced one whose array
    items are adjacent and first) for the batched array, or None when prepending the
    batch axis would move the example's axes (see getitem_rule for those)."""
    items = index if isinstance(index, tuple) else (index,)
    if any(is_index_array(e) for e in items):
        adv, adjacent, _ = _layout(items, 0)
        if not adjacent or adv[0] != 0:
            return None
    return (slice(None),) + tuple(items)


def _layout(items, rank):
    """How NumPy lays out ``x[items]`` (an index holding an array) for an example of
    `rank` axes: (positions of the advanced items, whether they are adjacent, the number
    of result axes in front of their broadcast block when they are).

    With an array in the index, integers are advanced indices too; the block of
    broadcast index axes takes the place of the first advanced item when the advanced
    items are adjacent in the index, and goes in front otherwise."""
    adv = [i for i, e in enumerate(items) if is_index_array(e)
           or (isinstance(e, (int, np.integer)) and not isinstance(e, bool))]
    if adv[-1] - adv[0] + 1 != len(adv):
        return adv, False, 0
    consumed = sum(1 for e in items if e is not None and e is not Ellipsis)
    front = 0
    for e in items[: adv[0]]:
        front += rank - consumed if e is Ellipsis else 1  # a slice or a new axis
    return adv, True, front


def _index_items(index, arrays, arrays_batched):
    """The items of a getitem index (a template's SLOTs filled), which of them are
    batched arrays, and None where the index holds boolean arrays (masks: unbatched
    ones become their integer positions; a batch of masks selects different sizes)."""
    items = list(index) if isinstance(index, tuple) else [index]
    flags = iter(arrays_batched)
    filled, batched = [], []
    fill_from = iter(arrays)
    for e in items:
        b = False
        if e is SLOT:
            e, b = next(fill_from), next(flags)
        values = e._data if isinstance(e, TensorBase) else e
        if is_index_array(e) and np.asarray(values).dtype == bool:
            if b or np.ndim(values) == 0:
                return None, None
            for part in np.nonzero(values):
                filled.append(part)
                batched.append(False)
            continue
        filled.append(e)
        batched.append(b)
    return filled, batched


def _advanced(items, batched, x_batched, size, rank):
    """The batched form of an index holding arrays: the items for the batched array,
    and the axis permutation that takes NumPy's layout of the result to (batch axis,
    one example's layout)."""
    adv, adjacent, front = _layout(items, rank)
    nb = max(len(_shape(e)) - (1 if b else 0) for e, b in zip(items, batched)
             if is_index_array(e))
    # A batched index array (B, *s) gets singleton axes after B, so that its example
    # axes broadcast against the other arrays (right-aligned, nb axes in all).
    new = [_prim("reshape")(e, _shape(e)[:1] + (1,) * (nb + 1 - len(_shape(e)))
                            + tuple(_shape(e)[1:])) if b else e
           for e, b in zip(items, batched)]
    want = front if adjacent else 0
    if x_batched:
        # The batch axis indexed by arange(B), one more advanced index in front: NumPy
        # puts the block (B, *broadcast) first, the example's other axes after it.
        new = [np.arange(size).reshape((size,) + (1,) * nb)] + new

        def permutation(ndim):
            rest = list(range(1 + nb, ndim))
            return [0] + rest[:want] + list(range(1, 1 + nb)) + rest[want:]
    else:
        # Only the index is batched: its block (B, *broadcast) sits where one example's
        # block would; B moves to the front.
        def permutation(ndim):
            return [want] + [i for i in range(ndim) if i != want]
    return new, permutation


def _permuted(x, perm):
    if perm == list(range(len(perm))):
        return x
    return _prim("transpose")(x, tuple(perm))


def _mask_error():
    return ValueError(
        "cr.vmap: indexing by a boolean mask that differs per example (x[mask], "
        "masked_select) selects a different number of elements in each, which no batch "
        "holds. Keep the shape: cr.where(mask, x, 0) (then sum or mean), or loop over the "
        "examples in Python"
    )


def getitem_rule(prim, args, batched, kw):
    """x[index] for a batch. A basic index keeps the batch axis in front of its items;
    an index holding arrays (constant ones, or getitem_at's computed and perhaps batched
    ones) indexes the batch axis with arange(B) as one more advanced index, and the
    result is transposed to one example's layout."""
    x, x_batched = args[0], batched[0]
    items, flags = _index_items(kw["index"], args[1:], batched[1:])
    if items is None:
        raise _mask_error()
    if not any(is_index_array(e) for e in items):
        return _prim("getitem")(x, index=(slice(None),) + tuple(items))
    rank = example_rank(x, x_batched)
    new, permutation = _advanced(items, flags, x_batched, _size(args, batched), rank)
    template, arrays = split_index(new)
    out = _prim("getitem_at")(x, *arrays, index=template)
    return _permuted(out, permutation(len(_shape(out))))


def scatter_rule(prim, args, batched, kw):
    """The transpose of getitem (its VJP) for a batch: the cotangent put back in NumPy's
    layout of the batched indexing, then added into a batch of zero arrays."""
    v = args[0]
    size = _size(args, batched)
    shape = (size,) + tuple(kw["shape"])
    if not batched[0]:
        v = _to_batch(v, size)
    items, flags = _index_items(kw["index"], args[1:], batched[1:])
    if items is None:
        raise _mask_error()
    if not any(is_index_array(e) for e in items):
        return _prim("scatter_add")(v, index=(slice(None),) + tuple(items), shape=shape)
    new, permutation = _advanced(items, flags, True, size, len(shape) - 1)
    perm = permutation(len(_shape(v)))
    inverse = [0] * len(perm)
    for i, p in enumerate(perm):
        inverse[p] = i
    template, arrays = split_index(new)
    return _prim("scatter_add_at")(_permuted(v, inverse), *arrays, index=template, shape=shape)


def concatenate_rule(prim, args, batched, kw):
    size = _size(args, batched)
    parts = [a if b else _to_batch(a, size) for a, b in zip(args, batched)]
    rank = example_rank(parts[0], True)
    return prim(*parts, axis=_shift(kw.get("axis", 0), rank))


def pad_rule(prim, args, batched, kw):
    if any(batched[1:]):
        return one_at_a_time(prim, args, batched, kw)
    x = args[0]
    rank = example_rank(x, True)
    widths = np.broadcast_to(np.asarray(kw["pad_width"], dtype=int), (rank, 2))
    kw = dict(kw, pad_width=((0, 0),) + tuple(tuple(int(v) for v in w) for w in widths))
    return prim(x, **kw)


def matmul_rule(prim, args, batched, kw):
    """matmul with a batch axis in front. Vectors become matrices (a row on the left, a
    column on the right) so that no batch axis is read as one of theirs, and the axis
    they add is removed from the result; batched arguments then get singleton axes so
    that their batch axis lines up in front of the other's stacking axes."""
    a, b = args
    reshape = _prim("reshape")
    drop = []
    if example_rank(a, batched[0]) == 1:
        shape = _shape(a)
        a = reshape(a, shape[:-1] + (1, shape[-1]))
        drop.append(-2)
    if example_rank(b, batched[1]) == 1:
        b = reshape(b, _shape(b) + (1,))
        drop.append(-1)
    rank = max(example_rank(a, batched[0]), example_rank(b, batched[1]))
    a = _lift(a, rank) if batched[0] else a
    b = _lift(b, rank) if batched[1] else b
    out = prim(a, b)
    if drop:
        shape = _shape(out)
        n = len(shape)
        out = reshape(out, tuple(s for i, s in enumerate(shape) if i - n not in drop))
    return out


def einsum_rule(prim, args, batched, kw):
    terms, out = kw["subscripts"]
    used = set("".join(terms) + out)
    letter = next(c for c in "zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA"
                  if c not in used)
    terms = [letter + t if b else t for t, b in zip(terms, batched)]
    return prim(*args, subscripts=(terms, letter + out))


def linear_rule(prim, args, batched, kw):
    """The affine layer: a batch of inputs is just more rows. Batched weights (an
    ensemble's stacked parameters, per-example weights) are one stacked product:
    x (B, ..., in) or (..., in) times W^T (B, in, out), lined up so that the weights'
    batch axis meets x's, plus the bias on the output's last axis."""
    if not any(batched[1:]):
        return prim(*args, **kw)
    x, w = args[:2]
    b, b_batched = (args[2], batched[2]) if len(args) > 2 else (None, False)
    if example_rank(w, batched[1]) != 2 or (b is not None and example_rank(b, b_batched) > 1):
        return one_at_a_time(prim, args, batched, kw)  # (a vector of weights: rare)
    reshape, matmul = _prim("reshape"), _prim("matmul")
    rank_x = example_rank(x, batched[0])
    if not (batched[0] or batched[1]):  # only the bias differs between examples
        y = prim(x, w, np.zeros((), np.result_type(_dtype(x), _dtype(w))), **kw)
        example = tuple(_shape(b)[1:])
        return y + reshape(b, (_shape(b)[0],) + (1,) * (len(_shape(y)) - len(example))
                           + example)
    if batched[1]:
        size, out_f, in_f = _shape(w)
        wt = _prim("transpose")(w, (0, 2, 1))
        # (B, 1, ..., 1, in, out): one singleton per leading axis of x's example
        wt = reshape(wt, (size,) + (1,) * max(rank_x - 2, 0) + (in_f, out_f))
    else:
        size, wt = _size(args, batched), _prim("transpose")(w, (1, 0))
    if rank_x == 1 and batched[0]:  # (B, in) rows, one per example: (B, 1, in)
        y = matmul(reshape(x, (size, 1, _shape(x)[-1])), wt)
        y = reshape(y, (size, _shape(y)[-1]))
    else:
        y = matmul(x, wt)
    if b_batched:  # (an example's bias is (out,) or 0-d: lined up with y's last axis)
        example = tuple(_shape(b)[1:])
        y = y + reshape(b, (size,) + (1,) * (len(_shape(y)) - 1 - len(example)) + example)
    elif b is not None:
        y = y + b
    return y


def images_rule(prim, args, batched, kw):
    """Operations on a stack of images (N, C, H, W) whose arguments are all such stacks
    (max pooling and its scatter and gather): the batch axis folded into N, each
    unbatched argument repeated for every example."""
    size = _size(args, batched)
    full = [a if b else _to_batch(a, size) for a, b in zip(args, batched)]
    out = prim(*[_prim("reshape")(a, (-1,) + tuple(_shape(a)[2:])) for a in full], **kw)
    shape = _shape(out)
    return _prim("reshape")(out, (size, shape[0] // size) + tuple(shape[1:]))


def matrix_rule(prim, args, batched, kw):
    """numpy.linalg functions of one stack of matrices broadcast over leading axes."""
    if any(batched[1:]):
        return one_at_a_time(prim, args, batched, kw)
    return prim(*args, **kw)


def write_rule(prim, args, batched, kw):
    """x[index] = v for a batch: the unbatched side repeated, the index past the batch."""
    index = _batched_index(kw["index"])
    if index is None:
        return one_at_a_time(prim, args, batched, kw)
    # A constant v (y[0] = 5.0) arrives by keyword (see _keywords).
    x, v = args if len(args) == 2 else (args[0], kw["v"])
    batched = (batched[0], batched[1] if len(batched) == 2 else False)
    size = _size(args, batched)
    if not batched[0]:
        x = _to_batch(x, size)
    if batched[1]:
        picked = len(np.empty(_shape(x)[1:], dtype=bool)[kw["index"]].shape)
        v = _lift(v, picked)
    return prim(x, v, index=index)


def _shape_dtype(a):
    return a._data.dtype if isinstance(a, TensorBase) else np.asarray(a).dtype


def softmax_nll_rule(prim, args, batched, kw):
    """The fused cross-entropy on a batch of (logits, targets): per-sample losses, then
    each example's own mean or sum."""
    x, target = args
    size = _size(args, batched)
    if not batched[0]:
        x = _to_batch(x, size)
    if not batched[1]:
        target = _to_batch(target, size)
    rank = example_rank(x, True)
    kw = dict(kw)
    reduction = kw.pop("reduction", "none")
    loss = prim(x, target, **dict(kw, axis=_shift(kw["axis"], rank), reduction="none"))
    if reduction == "none" or len(_shape(loss)) == 1:
        return loss
    axes = tuple(range(1, len(_shape(loss))))
    total = _prim("sum")(loss, axis=axes)
    if reduction == "sum":
        return total
    if kw.get("ignore_index") is None:
        return total / int(np.prod(_shape(loss)[1:]))
    # Each example's mean is over its targets not ignored (at least 1).
    kept = _prim("sum")(_prim("not_equal")(target, kw["ignore_index"]), axis=axes)
    return total / _prim("astype")(_prim("maximum")(kept, 1), _shape_dtype(loss))


def rule_of(prim):
    """The batching rule of `prim`: declared, elementwise, or one example at a time."""
    rule = prim.batch
    if rule is not None:
        return rule
    if prim.elementwise:
        return elementwise_rule
    return one_at_a_time


# ----------------------------------------------------------------------- replay
def run(trace, inputs, batched, same_draws=False):
    """Replay `trace` (chainrule.tracing) on `inputs`, of which those flagged in `batched`
    hold a batch of examples on axis 0. Returns (value, batched) for each output. With
    `same_draws` (torch.func.vmap's randomness="same"), an operation drawing random
    numbers draws one example's and gives it to every example."""
    env = dict(zip(trace.inputs, zip(inputs, batched)))

    def look(a):
        return env[a] if isinstance(a, Var) else (a, False)

    for op in trace.ops:
        args, flags = zip(*[look(a) for a in op.args]) if op.args else ((), ())
        kw = {k: look(v) for k, v in op.kw.items()}
        args, flags = list(args), list(flags)
        if any(b for _, b in kw.values()):
            out = _loop_with_keywords(op.prim, args, flags, kw)
        else:
            kw = {k: v for k, (v, _) in kw.items()}
            if not any(flags):
                out, flag = op.prim(*args, **kw), False
                env[op.out] = (out, flag)
                continue
            args, flags, kw = _keywords(op.prim, args, flags, kw)
            if same_draws and getattr(op.prim, "draws", False):
                out, flag = _one_draw(op.prim, args, flags, kw), False
                env[op.out] = (out, flag)
                continue
            out = rule_of(op.prim)(op.prim, tuple(args), tuple(flags), kw)
        env[op.out] = (out, True)
    return [look(v) for v in trace.outputs]


def _one_draw(prim, args, flags, kw):
    """A random draw (chainrule.primitives.masks: its arguments give only the dtype and
    the example's shape) made once, for one example."""
    example = [_prim("getitem")(a, 0) if b else a for a, b in zip(args, flags)]
    return prim(*example, **kw)


def _loop_with_keywords(prim, args, flags, kw):
    size = next(_shape(v)[0] for v, b in (*zip(args, flags), *kw.values()) if b)
    getitem = _prim("getitem")
    results = [
        prim(*[getitem(a, i) if b else a for a, b in zip(args, flags)],
             **{k: getitem(v, i) if b else v for k, (v, b) in kw.items()})
        for i in range(size)
    ]
    return _prim("concatenate")(*[_prim("reshape")(r, (1,) + _shape(r)) for r in results],
                                axis=0)


def _keywords(prim, args, flags, kw):
    """Trailing unbatched parameters (an axis, a shape) passed by keyword, so that rules
    find them by name however they were passed."""
    names = None if prim.elementwise else _parameters(prim)
    if names is None:
        return args, flags, kw
    while len(args) > 1 and not flags[-1] and not _is_array(args[-1]):
        i = len(args) - 1
        if i >= len(names) or names[i] is None or names[i] in kw:
            break
        kw = {names[i]: args.pop(), **kw}
        flags.pop()
    return args, flags, kw


def _is_array(a):
    return isinstance(a, (TensorBase, np.ndarray))


_signatures = {}


def _parameters(prim):
    """The names of prim's forward's positional parameters (None when it has none to read)."""
    if prim not in _signatures:
        try:
            params = inspect.signature(prim.fwd).parameters.values()
            names = [p.name if p.kind == p.POSITIONAL_OR_KEYWORD else None for p in params
                     if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        except (TypeError, ValueError):
            names = None
        _signatures[prim] = names
    return _signatures[prim]
