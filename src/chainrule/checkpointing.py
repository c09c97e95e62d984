"""``cr.checkpoint``: recompute a segment during backward instead of storing it.

``checkpoint(f)(*args)`` computes ``f(*args)`` and keeps, for backward, only f's inputs
and the tensors requiring grad that f reads from outside (a layer's weights in a
closure): not the activations inside. When the backward pass reaches the segment, f
runs again, recorded, and the gradients of that recomputation are passed on.
Activation memory falls to the segments' inputs; the forward is computed twice, the
second time with the random generators f drew from put back where they were (dropout
draws the same masks; chainrule.randomness).

The segment is one operation of the graph (an unregistered primitive made per call),
so it works under every transform: ``loss.backward()``, ``cr.grad``,
``create_graph=True`` (the recomputation records too), and forward mode (its JVP is its
VJP transposed). The outside tensors are found by running f once with recording and
walking its graph down to the tensors made before the call, so nothing needs listing.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from . import graph, randomness
from .backward import backward
from .graph import TensorBase, is_tensor, new_tensor
from .pytree import tree_flatten, tree_unflatten
from .raveled import cut, joined
from .rules import REGISTRY, Primitive, each_argument


def _copy(t):
    return REGISTRY["copy"](t)


# What a segment may return besides tensors: arrays and numbers (a scan step's loss term
# computed from a constant is a NumPy scalar).
_ARRAYS = (np.ndarray, np.generic, float, int)


def checkpoint(f: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`f` recomputed in backward rather than stored: ``checkpoint(f)`` wraps it (JAX's
    ``jax.checkpoint``); ``checkpoint(f, *args)`` calls it at once (PyTorch's
    ``torch.utils.checkpoint.checkpoint``). f returns an array, or a tuple, list or dict
    of arrays."""
    if args or (kwargs and not kwargs.keys() <= _JAX_OPTIONS):
        return _checkpointed(f, args, kwargs)

    @functools.wraps(f)
    def wrapped(*a, **kw):
        return _checkpointed(f, a, kw)

    return wrapped


# jax.checkpoint's keywords (``functools.partial(checkpoint, policy=...)`` as a decorator):
# they make a wrapper, not a call. Every policy recomputes the whole segment here, and
# static arguments are Python values f receives as they are.
_JAX_OPTIONS = frozenset({"prevent_cse", "policy", "static_argnums", "concrete"})


def _checkpointed(f, args, kwargs):
    # The forward once, recorded only to find what it reads from outside; its graph is
    # dropped with `out`, so the activations do not outlive this call.
    # f runs on the arguments themselves, as it would without checkpoint (a write into
    # an argument lands in the caller's tensor, forward-mode tangents are pushed).
    # (Under cr.vmap or cr.compile it runs on stand-ins instead: the trace must hold
    # the segment once, as the one operation below.)
    start = graph._clock
    traced = graph.trace_hook() is not None
    args_seen = [new_tensor(a._data) if is_tensor(a) else a for a in args] if traced else args
    # The generators f draws from (dropout) are noted with their states, so that the
    # recomputation draws the same masks.
    with graph.enable_grad(), randomness.recording() as draws:
        out = f(*args_seen, **kwargs)
    returned, layout = out, None
    if not is_tensor(out) and not isinstance(out, np.ndarray):
        # Several outputs (a scan step's (carry, y), a dict): the segment computes them
        # raveled end to end in one array, cut back into their shapes afterwards.
        leaves, treedef = tree_flatten(out)
        if not leaves or not all(is_tensor(x) or isinstance(x, _ARRAYS) for x in leaves):
            raise TypeError(
                f"checkpoint: the function must return arrays (one, or a tuple, list or "
                f"dict of them), got {type(out).__name__}")
        layout = (treedef, [(np.shape(_values(x)), _values(x).dtype) for x in leaves])
        dtype = np.result_type(*(d for _, d in layout[1]))
        inner = f

        def f(*a, **k):
            return joined(tree_flatten(inner(*a, **k))[0], dtype)

        with graph.enable_grad():
            out = joined(leaves, dtype)
    if not traced and not (is_tensor(out) and out.requires_grad):
        return returned  # nothing recorded for reverse mode: no activations to spare
    value = out._data if is_tensor(out) else np.asarray(out)
    given = {id(a) for a in args_seen}
    outside = [t for t in _made_before(out, start) if id(t) not in given]
    del out
    n = len(args)
    asking = sum(1 for a in args if is_tensor(a) and a.requires_grad) + len(outside)
    state = {}

    def vjp(i, g, ans, *vals):
        # Backward asks once per argument that requires grad, with one cotangent: the
        # first question recomputes, the last one lets the gradients go.
        if state.get("g") is not g:
            with randomness.replaying(draws):
                grads = _recompute(f, vals[:n], outside, kwargs, g)
            state.update(g=g, left=asking, grads=grads)
        grads = state["grads"]
        state["left"] -= 1
        if state["left"] <= 0:
            state.clear()
        if grads[i] is None:
            zeros = np.zeros(np.shape(vals[i]), np.result_type(ans))
            return new_tensor(zeros) if is_tensor(g) else zeros
        return grads[i]

    first = [value]

    def forward(*arrays):
        # The value is known already; run again (a batch under cr.vmap), f computes it.
        if first:
            return first.pop()
        with graph.no_grad(), randomness.replaying(draws):
            again = f(*arrays[:n], **kwargs)
        return again._data if is_tensor(again) else np.asarray(again)

    name = getattr(f, "__name__", "function")
    segment = Primitive(f"checkpoint({name})", forward)
    segment.defvjp(each_argument(vjp))
    result = segment(*args, *outside)
    if layout is None:
        return result
    treedef, shapes = layout
    return tree_unflatten(treedef, cut(result, shapes))


def _values(x):
    return x._data if is_tensor(x) else x


def _made_before(out, start):
    """The tensors requiring grad that out's graph reaches across the segment's start:
    made before the call (the graph clock then), or leaves."""
    found, seen, stack = [], set(), [out] if is_tensor(out) else []
    while stack:
        t = stack.pop()
        if t._prim is None or t._seq <= start:
            if t.requires_grad and id(t) not in seen:
                seen.add(id(t))
                found.append(t)
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        stack.extend(a for a in t._args if isinstance(a, TensorBase) and a.requires_grad)
    return found


def _recompute(f, args, outside, kwargs, g):
    """f run again with recording, and the gradients of its output (cotangent g) with
    respect to its inputs and the outside tensors, in that order."""
    # Backward runs rules with recording on exactly when create_graph is asked for.
    create = graph.is_grad_enabled()
    with graph.enable_grad():
        leaves = [_leaf(a, create) for a in args]
        # The recomputation reads inputs that are fresh leaves or (under create_graph)
        # copies of the arguments: writing into them touches nothing outside.
        out = f(*[_writable(t, create) for t in leaves], **kwargs)
        if not (is_tensor(out) and out.requires_grad):
            return [None] * (len(args) + len(outside))
        wanted = [t for t in leaves if is_tensor(t)] + list(outside)
        with _stopping_at(wanted):
            grads = iter(backward(out, grad=g, inputs=wanted, create_graph=create))
            grads = [next(grads) if is_tensor(t) else None for t in leaves] + list(grads)
    return grads


@contextlib.contextmanager
def _stopping_at(tensors):
    """The tensors, recorded results among them, made leaves while the recomputation's
    backward runs: its walk ends there instead of going on into (and freeing) the graph
    they were made by. Their nodes are put back afterwards, so gradients recorded under
    create_graph, which refer to them, still lead on through them."""
    moved = []
    for t in {id(t): t for t in tensors if t._prim is not None}.values():
        holder = new_tensor(t._data)
        graph.take_node(holder, t)
        t._prim = None
        moved.append((t, holder))
    try:
        yield
    finally:
        for t, holder in moved:
            graph.take_node(t, holder)


def _writable(t, create):
    """An input f may write into: the fresh leaf behind a copy (a write into a leaf that
    requires grad is refused), or under create_graph a copy of the argument itself."""
    if not (is_tensor(t) and t.requires_grad) or (not create and t._prim is not None):
        return t
    return _copy(t)


def _leaf(a, create):
    """An input for the recomputation, requiring grad. Under create_graph: the argument
    itself, or (if it needs no gradient, as in forward mode) an operation of it, so that
    the gradients stay functions of it and of its tangents; otherwise a fresh tensor."""
    if is_tensor(a):
        if not create:
            return new_tensor(a._data, a._data.dtype.kind == "f")
        if a.requires_grad or a._data.dtype.kind != "f":
            return a
        t = a.reshape(a.shape)
        t.requires_grad = True
        return t
    if isinstance(a, np.ndarray) and a.dtype.kind == "f":
        return new_tensor(a, True)
    return a
