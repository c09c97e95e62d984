"""Jacobians and Hessians: jacobian (jacrev / jacfwd), hessian, hvp."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from . import primitives as P
from .forward_mode import _attach_tangent, _forward_level, _tangent_of, jvp
from .graph import is_tensor, new_tensor
from .pytree import is_tree_node, tree_flatten, tree_map, tree_unflatten
from .transforms import (
    Argnum,
    Params,
    _argnums,
    _differentiated_later,
    _float_array,
    _is_nested,
    _lift_args,
    _like_input,
    _NotOneArray,
    _NotScalar,
    _output_tensor,
    _reverse,
    _split_aux,
    _value,
    grad,
    running,
    which_args,
)


def jacobian(
    f: Callable[Params, Any],
    argnum: Argnum = 0,
    mode: Literal["rev", "fwd"] = "rev",
    *,
    argnums: Argnum | None = None,
    has_aux: bool = False,
) -> Callable[Params, Any]:
    """The Jacobian d f(x)_i / d x_j, of shape f(x).shape + x.shape.

    mode="rev" records f once and runs one reverse pass per output element over the
    retained graph; mode="fwd" runs one forward-mode pass per input element. Pick
    "rev" when the output is smaller than the input, "fwd" otherwise. With a tuple
    argnum, returns a tuple of Jacobians. An argument that is a nested tuple/list/dict
    of arrays gets the same structure of Jacobians, one per leaf; so does an output
    (the output's structure outside, the arguments' inside, as in JAX). With
    ``has_aux=True`` f returns ``(output, aux)`` and the result is ``(jacobian, aux)``.
    """
    if mode not in ("rev", "fwd"):
        raise ValueError(f"jacobian: mode must be 'rev' or 'fwd', not {mode!r}")
    argnum = which_args(argnum, argnums, "jacobian")
    if has_aux:
        return _returning_aux(
            lambda main: jacobian(main, argnum, mode), f, "jacobian")

    @functools.wraps(f)
    def jacobian_f(*args: Params.args, **kwargs: Params.kwargs) -> Any:
        flat_f, out_layout = _raveled_output(f)
        jac = _jacobian(flat_f, args, kwargs)
        return jac if not out_layout else _split_output(jac, *out_layout)

    def _jacobian(f, args, kwargs):
        nums = _argnums(argnum, len(args), "jacobian")
        if any(_is_tree(args[i]) for i in nums):
            jacs = _jacobian_of_trees(f, args, kwargs, nums, mode)
            return tuple(jacs) if isinstance(argnum, tuple) else jacs[0]
        nested = _is_nested(args, kwargs)
        if mode == "rev":
            jacs = _jacobian_rev(f, args, kwargs, nums, nested)
        else:
            jacs = _jacobian_fwd(f, args, kwargs, nums, nested)
        if not nested:
            jacs = [_like_input(j, args[i]) if np.ndim(j) == 0 else j for j, i in zip(jacs, nums)]
        return tuple(jacs) if isinstance(argnum, tuple) else jacs[0]

    return jacobian_f


def _returning_aux(transform: Any, f: Any, who: str) -> Callable[..., Any]:
    """transform(f) for an f returning (output, aux): the transformed function returns
    (its result, aux), aux as f's last call gave it (plain values at the outermost level)."""

    @functools.wraps(f)
    def with_aux(*args, **kwargs):
        box = []

        def main(*a, **k):
            out, aux = _split_aux(f(*a, **k), who)
            box.append(aux)
            return out

        result = transform(main)(*args, **kwargs)
        aux = box[-1]
        return result, (aux if _is_nested(args, kwargs) else tree_map(_value, aux))

    return with_aux


def _raveled_output(f):
    """(g, layout): g is f with a tuple/list/dict output raveled into one vector, and
    layout, filled when g runs, holds the output's structure and leaf shapes (empty for
    an array output, which g returns as it is)."""
    layout = []

    def raveled(*args, **kwargs):
        out = f(*args, **kwargs)
        if not _is_tree(out):
            return out
        leaves, treedef = tree_flatten(out)
        layout[:] = [treedef, [np.shape(x) for x in leaves]]
        return P.concatenate([P.reshape(x, (-1,)) for x in leaves])

    return raveled, layout


def _split_output(jac, treedef, shapes):
    """The Jacobian of a raveled output cut back into the output's structure: for each
    output leaf, the Jacobians (in the arguments' structure) of that leaf."""
    starts = np.cumsum([0] + [int(np.prod(s)) for s in shapes])

    def part(k):
        def cut(j):
            rest = np.shape(j)[1:]
            piece = j[starts[k]:starts[k + 1]]
            return (P.reshape(piece, shapes[k] + rest) if is_tensor(piece)
                    else np.reshape(piece, shapes[k] + rest))
        return tree_map(cut, jac)

    return tree_unflatten(treedef, [part(k) for k in range(len(shapes))])


def _jacobian_of_trees(f, args, kwargs, nums, mode):
    """Jacobians with respect to pytree arguments: one of every leaf, in its structure.

    The leaves become separate arguments of a flattened function, so both modes run
    exactly as for arrays (reverse mode records f once for all leaves).
    """
    flat, layout = [], []  # layout[k]: (treedef or None, positions of arg k in flat)
    for k, a in enumerate(args):
        if k in nums and _is_tree(a):
            leaves, treedef = tree_flatten(a)
            layout.append((treedef, range(len(flat), len(flat) + len(leaves))))
            flat.extend(leaves)
        else:
            layout.append((None, range(len(flat), len(flat) + 1)))
            flat.append(a)

    def flat_f(*leaves, **kw):
        rebuilt = [
            leaves[pos[0]] if treedef is None else tree_unflatten(treedef, [leaves[p] for p in pos])
            for treedef, pos in layout
        ]
        return f(*rebuilt, **kw)

    wanted = tuple(p for i in nums for p in layout[i][1])
    jacs = dict(zip(wanted, jacobian(flat_f, wanted, mode)(*flat, **kwargs))) if wanted else {}
    out = []
    for i in nums:
        treedef, pos = layout[i]
        parts = [jacs[p] for p in pos]
        out.append(parts[0] if treedef is None else tree_unflatten(treedef, parts))
    return out


def _jacobian_rev(f, args, kwargs, nums, nested):
    with running():
        new_args, lifted = _lift_args(args, nums, "jacobian")
        out = _output_tensor(f(*new_args, **kwargs), "jacobian")
        inputs = [new[0] for new, _, _ in lifted]
        recorded = nested and _differentiated_later(out)
        m = out._data.size
        rows = [[] for _ in inputs]
        for j in range(m):
            e = np.zeros(m, dtype=out._data.dtype)
            e[j] = 1
            grads = _reverse(out, inputs, e.reshape(out.shape), recorded)
            for k, (x, g) in enumerate(zip(inputs, grads)):
                if g is None:
                    rows[k].append(np.zeros_like(x._data))
                else:
                    rows[k].append(g if nested else g._data)
    jacs = []
    for x, r in zip(inputs, rows):
        shape = out.shape + x.shape
        if nested:
            jacs.append(P.reshape(P.stack(r), shape) if r else new_tensor(np.zeros(shape)))
        else:
            jacs.append(np.stack(r).reshape(shape) if r else np.zeros(shape, x._data.dtype))
    return jacs


def _jacobian_fwd(f, args, kwargs, nums, nested):
    jacs = []
    for i in nums:
        x = args[i]
        a = _float_array(x, "jacobian", i)
        cols = []
        out_shape = None
        for j in range(a.size):
            e = np.zeros(a.size, dtype=a.dtype)
            e[j] = 1
            with running(), _forward_level() as level:
                new_args = list(args)
                new_args[i] = _attach_tangent(x, e.reshape(a.shape), level, "jacobian", i)
                out = f(*new_args, **kwargs)
            out = _output_tensor(out, "jacobian")
            out_shape = out.shape
            cols.append(_tangent_of(out, level, nested))
        if not cols:  # an empty input: evaluate once for the output shape
            out_shape = np.shape(f(*args, **kwargs))
        shape = out_shape + a.shape
        if nested:
            cols = [c if is_tensor(c) else new_tensor(np.asarray(c)) for c in cols]
            jac = P.reshape(P.stack(cols, axis=-1), shape) if cols else new_tensor(np.zeros(shape))
        else:
            jac = np.stack(cols, axis=-1).reshape(shape) if cols else np.zeros(shape, a.dtype)
        jacs.append(jac)
    return jacs


def jacrev(f: Callable[Params, Any], argnums: Argnum = 0, *,
           has_aux: bool = False) -> Callable[Params, Any]:
    """JAX's name: the Jacobian by reverse mode, one pass per output element."""
    return jacobian(f, argnums=argnums, mode="rev", has_aux=has_aux)


def jacfwd(f: Callable[Params, Any], argnums: Argnum = 0, *,
           has_aux: bool = False) -> Callable[Params, Any]:
    """JAX's name: the Jacobian by forward mode, one pass per input element."""
    return jacobian(f, argnums=argnums, mode="fwd", has_aux=has_aux)


def hessian(
    f: Callable[Params, Any], argnum: Argnum = 0, *, argnums: Argnum | None = None,
    has_aux: bool = False,
) -> Callable[Params, Any]:
    """The Hessian d^2 f / dx_i dx_j of scalar f, of shape x.shape + x.shape; of an
    array-valued f, f(x).shape + x.shape + x.shape (JAX's jacfwd(jacrev(f))), and of a
    tuple-, list- or dict-valued f, one such Hessian per output in its structure. With
    ``has_aux=True`` f returns ``(output, aux)`` and the result is ``(hessian, aux)``.

    Reverse-over-reverse: f and its gradient are recorded once, then each row is one
    reverse pass over the recorded gradient graph. Forward-over-reverse would repeat
    the forward and backward passes of f for every column; with chainrule's per-op
    cost the reused graph is the faster of the two (see benchmarks/bench_transforms.py).
    """
    argnum = which_args(argnum, argnums, "hessian")
    if has_aux:
        return _returning_aux(lambda main: hessian(main, argnum), f, "hessian")
    seen: dict[str, tuple[int, ...]] = {}

    def noting_shape(*args: Any, **kwargs: Any) -> Any:
        out = f(*args, **kwargs)
        shape = getattr(out, "shape", None)  # (a tuple or dict output has none)
        if shape is not None:
            seen["shape"] = tuple(shape)
        return out

    plain = jacobian(grad(noting_shape, argnum), argnum, mode="rev")
    of_arrays = jacobian(jacobian(f, argnum, mode="rev"), argnum, mode="fwd")

    @functools.wraps(f)
    def hessian_f(*args: Params.args, **kwargs: Params.kwargs) -> Any:
        nums = _argnums(argnum, len(args), "hessian")
        if isinstance(argnum, tuple) or any(_is_tree(args[i])
                                            for i in nums):
            return _hessian_of_trees(f, args, kwargs, nums, isinstance(argnum, tuple))
        try:
            h = plain(*args, **kwargs)
        except (_NotScalar, _NotOneArray):
            return of_arrays(*args, **kwargs)
        # grad takes an output of one element of any shape, (1,) or (1, 1): the Hessian
        # keeps that shape in front, as of any array-valued f (JAX's and autograd's).
        shape = seen.pop("shape", ())
        return P.reshape(h, shape + tuple(np.shape(h))) if shape else h

    return hessian_f


def _hessian_of_trees(f, args, kwargs, nums, several):
    """The Hessian over several arguments or pytree arguments, as JAX gives it: h[i][j]
    is the block d^2 f / dx_i dx_j, nested first in the structure of x_i, then in that
    of x_j (a tuple over the arguments for a tuple of argnums).

    Every leaf becomes an argument of a flat function; the Jacobian of its gradient,
    all leaves' gradients raveled into one vector, is taken by reverse mode in one go
    and cut into the blocks.
    """
    flat, layout = [], []  # layout[k] for k in nums: (treedef or None, positions in flat)
    for i in nums:
        if _is_tree(args[i]):
            leaves, treedef = tree_flatten(args[i])
            layout.append((treedef, list(range(len(flat), len(flat) + len(leaves)))))
            flat.extend(leaves)
        else:
            layout.append((None, [len(flat)]))
            flat.append(args[i])

    def rebuilt(leaves):
        new_args = list(args)
        for i, (treedef, pos) in zip(nums, layout):
            new_args[i] = (leaves[pos[0]] if treedef is None
                           else tree_unflatten(treedef, [leaves[p] for p in pos]))
        return new_args

    every = tuple(range(len(flat)))
    gradient = grad(lambda *leaves: f(*rebuilt(leaves), **kwargs), every)

    def raveled_gradient(*leaves):
        return P.concatenate([P.reshape(g, (-1,)) for g in gradient(*leaves)])

    shapes = [np.shape(_float_array(x, "hessian", k)) for k, x in enumerate(flat)]
    columns = jacobian(raveled_gradient, every, mode="rev")(*flat)
    starts = np.cumsum([0] + [int(np.prod(s)) for s in shapes])
    block = [[columns[j][starts[i]:starts[i + 1]].reshape(shapes[i] + shapes[j])
              for j in every] for i in every]

    def nest(make):  # one entry per selected argument, in its structure
        parts = [make(pos) if treedef is None else
                 tree_unflatten(treedef, [make([p]) for p in pos])
                 for treedef, pos in layout]
        return tuple(parts) if several else parts[0]

    return nest(lambda rows: nest(lambda cols: block[rows[0]][cols[0]]))


def hvp(f: Callable[[Any], Any], x: Any, v: Any) -> Any:
    """The Hessian-vector product (d^2 f / dx^2) v, without forming the Hessian.

    Forward-over-reverse: the directional derivative of grad f along v, one forward
    pass and one reverse pass with tangents, whatever the size of x.
    """
    return jvp(grad(f), (x,), (v,))[1]


def _is_tree(x):
    """A pytree node holding leaves (tuple, list, dict, a registered class), not None."""
    return x is not None and is_tree_node(type(x))
