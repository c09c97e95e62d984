"""Forward mode: jvp and linearize, by pushing tangents through every operation as it runs.

Each forward-mode call opens a *level*; tensors carry one tangent per level
(``_tangent``, a dict), and a forward-mode hook (``graph.set_forward_hook``) pushes
tangents through every operation with the primitive's JVP rule as the operation runs.
Work done to compute level k's tangents is visible to the levels outside k (so
forward-over-forward works) but not to k itself.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import graph
from . import primitives as P
from .backward import backward, unbroadcast
from .graph import TensorBase, is_tensor, new_tensor
from .pytree import flatten_like, tree_flatten, tree_map, tree_unflatten
from .transforms import (
    _alias,
    _float_array,
    _is_nested,
    _is_traced,
    _split_aux,
    _value,
    running,
)

# Forward-mode levels, outermost first, and how many of them the hook serves right now
# (while level k's own tangent arithmetic runs, only levels 0..k-1 see it).
_levels: list[int] = []
_active = 0
_level_ids = itertools.count(1)


@contextlib.contextmanager
def _forward_level():
    """Open a forward-mode level: tangents tagged with it are pushed through every op."""
    global _active
    level = next(_level_ids)
    prev_active = _active
    _levels.append(level)
    _active = len(_levels)
    prev_hook = graph.set_forward_hook(_propagate)
    try:
        yield level
    finally:
        _levels.pop()
        _active = prev_active
        graph.set_forward_hook(prev_hook)


def _propagate(t, prim, args, vals, kw):
    """The forward-mode hook: give output `t` a tangent at every level an input has one."""
    global _active
    if t._data.dtype.kind not in "fc" or not prim.differentiable:
        return
    n = _active
    pending = None
    for i, a in enumerate(args):
        if isinstance(a, TensorBase):
            tans = a._tangent
            if tans:
                for k in range(n):
                    tan = tans.get(_levels[k])
                    if tan is not None:
                        if pending is None:
                            pending = {}
                        pending.setdefault(k, []).append((i, tan))
    if pending is None:
        return
    # Outer levels first, each stored at once: level k's rules read `ans` (= t), whose
    # tangents at the levels outside k must already be in place.
    out = {}
    t._tangent = out
    try:
        for k in sorted(pending):
            # Level k's tangent arithmetic is seen by the levels outside it only.
            _active = k
            graph.set_forward_hook(_propagate if k else None)
            out[_levels[k]] = _push_forward(prim, t, args, vals, kw, pending[k], k)
    finally:
        _active = n
        graph.set_forward_hook(_propagate)


def _push_forward(prim, t, args, vals, kw, items, k):
    """The tangent of `t` at one level: the sum of each tangent input's JVP rule."""
    traced = k > 0 or t.requires_grad or graph.trace_hook() is not None or any(
        is_tensor(tan) and tan.requires_grad for _, tan in items
    )
    if traced:
        # Tensors in, so the tangent arithmetic is recorded and seen by outer levels (and
        # by a tracer: cr.vmap of a jvp pushes each example's tangent).
        ans, argv = t, args
    else:
        ans, argv = t._data, vals
        items = [(i, tan._data if is_tensor(tan) else tan) for i, tan in items]
    rules = prim.jvps
    total = None
    for i, tan in items:
        try:
            rule = rules[i]
        except IndexError:
            rule = None
        if rule is None:
            c = _jvp_from_vjp(prim, i, tan, ans, argv, kw, traced)
        else:
            c = rule(tan, ans, *argv, **kw)
        total = c if total is None else total + c
    shape, dtype = t._data.shape, t._data.dtype
    if traced:
        if not is_tensor(total):
            total = new_tensor(np.asarray(total))
        if total._data.shape != shape:
            total = P.broadcast_to(total, shape)
        if total._data.dtype != dtype:
            total = P.astype(total, dtype=dtype)
        return total
    total = np.asarray(total)
    if total.shape != shape:
        total = np.broadcast_to(total, shape)
    return total.astype(dtype, copy=False)


def _jvp_from_vjp(prim, i, tan, ans, argv, kw, traced):
    """J t for a primitive with only a VJP rule: the transpose of the (linear) VJP.

    <vjp(g), t> is linear in g, so its gradient with respect to g is J t: one reverse
    pass over the rule, whatever the size of the input.
    """
    try:
        vrule = prim.vjps[i]
    except IndexError:
        vrule = None
    if vrule is None:
        raise NotImplementedError(
            f"forward mode: '{prim.name}' has neither a JVP nor a VJP rule for its "
            f"argument {i}; detach that argument or use a differentiable operation."
        )
    data = ans._data if is_tensor(ans) else np.asarray(ans)
    g = new_tensor(np.zeros_like(data), True)
    with graph.enable_grad():
        ct = vrule(g, ans, *argv, **kw)
        ct = unbroadcast(ct, np.shape(argv[i]))
        s = P.sum(ct * tan)
    if not (is_tensor(s) and s.requires_grad):
        return np.zeros_like(data)
    (res,) = backward(s, inputs=[g], create_graph=traced)
    if res is None:
        return np.zeros_like(data)
    return res if traced else res._data


def _attach_tangent(x, tan, level, who, i):
    """A fresh input tensor equal to `x`, carrying tangent `tan` at `level`."""
    a = _float_array(x, who, i)
    if is_tensor(x) and (x.requires_grad or x._tangent or _is_traced(x)):
        t = _alias(x)
    else:
        t = new_tensor(a)
    if is_tensor(tan):
        if tan._data.shape != a.shape:
            raise ValueError(f"{who}: tangent of shape {tan.shape} for a primal of shape {a.shape}")
        if tan._data.dtype != a.dtype:
            tan = P.astype(tan, dtype=a.dtype)
    else:
        tan = np.asarray(tan)
        if tan.shape != a.shape:
            raise ValueError(
                f"{who}: tangent of shape {tan.shape} for a primal of shape {a.shape}"
            )
        tan = tan.astype(a.dtype, copy=False)
    tans = dict(t._tangent) if t._tangent else {}
    tans[level] = tan
    t._tangent = tans
    return t


def _tangent_of(out, level, nested):
    """The tangent of output `out` at `level` (zeros if it does not depend on the inputs)."""
    if is_tensor(out):
        tans = out._tangent
        tan = tans.get(level) if tans else None
        if tan is not None:
            return tan if nested else (tan._data if is_tensor(tan) else tan)
        return np.zeros_like(out._data)
    return np.zeros_like(np.asarray(out, dtype=float))


def jvp(
    f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any],
    has_aux: bool = False,
) -> tuple[Any, ...]:
    """(f(*primals), J t): the Jacobian-vector product, by forward-mode differentiation.

    ``primals`` and ``tangents`` are tuples of the same structure; the tangent output
    has the structure of f's output. Costs about one evaluation of f plus its JVP rules.
    With ``has_aux=True`` f returns ``(output, aux)`` and jvp returns
    ``(output, J t, aux)``, as JAX's.
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp: primals and tangents must be tuples, e.g. jvp(f, (x,), (v,))")
    if has_aux:
        box = []

        def main(*args):
            out, aux = _split_aux(f(*args), "jvp")
            box.append(aux)
            return out

        out, tangent = jvp(main, primals, tangents)
        nested = _is_nested(primals, tangents)
        return out, tangent, (box[-1] if nested else tree_map(_value, box[-1]))
    p_leaves, p_def = tree_flatten(tuple(primals))
    try:  # (dicts by key: the tangents' key order need not be the primals')
        t_leaves = flatten_like(p_def, tuple(tangents), "jvp")
    except ValueError:
        raise ValueError("jvp: tangents must have the same structure as primals") from None
    if any(isinstance(t, (dict, list, tuple)) for t in t_leaves):
        raise ValueError("jvp: tangents must have the same structure as primals")
    nested = _is_nested(primals, tangents)
    with running(), _forward_level() as level:
        inputs = [_attach_tangent(x, t, level, "jvp", i) for i, (x, t) in
                  enumerate(zip(p_leaves, t_leaves))]
        out = f(*tree_unflatten(p_def, inputs))
    out_leaves, out_def = tree_flatten(out)
    tans = [_tangent_of(o, level, nested) for o in out_leaves]
    if nested:
        return out, tree_unflatten(out_def, tans)
    return tree_map(_value, out), tree_unflatten(out_def, [_value(t) for t in tans])


def linearize(f: Callable[..., Any], *primals: Any,
              has_aux: bool = False) -> tuple[Any, ...]:
    """(f(*primals), f_jvp) with f_jvp(*tangents) = J t: JAX's linearize. With
    ``has_aux=True`` f returns ``(output, aux)`` and linearize ``(output, f_jvp, aux)``.

    The forward pass runs now, once for the value; each call of f_jvp runs forward mode
    again (chainrule keeps no linearized program), so for many tangents at once
    cr.jacobian(..., mode="fwd") is cheaper.
    """
    value = f(*primals)
    if has_aux:
        value, aux = _split_aux(value, "linearize")

    def f_jvp(*tangents: Any) -> Any:
        if len(tangents) != len(primals):
            raise TypeError(
                f"linearize: f_jvp takes one tangent per primal ({len(primals)}), got "
                f"{len(tangents)}"
            )
        return jvp(f, primals, tangents, has_aux=has_aux)[1]

    if has_aux:
        return value, f_jvp, aux
    return value, f_jvp
