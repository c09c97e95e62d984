"""Function transforms: grad, value_and_grad, vjp, jvp, jacobian, hessian, hvp, elementwise_grad.

Each transform takes a function of arrays and returns a function of arrays. Arguments
may be NumPy arrays, Python or NumPy scalars, or nested tuples, lists and dicts of
them (pytrees); gradients come back in the structure of the argument they belong to.

Transforms compose to any order because a transform called *inside* another one (or
on chainrule tensors) works on tensors: it records what it computes and returns
tensors, so the outer transform can differentiate through it. Only the outermost
transform converts its results back to NumPy.

Reverse mode is :func:`chainrule.backward.backward` (with ``create_graph=True`` when the
result must itself be differentiable). Forward mode is real: each forward-mode call
opens a *level*; tensors carry one tangent per level (``_tangent``, a dict), and a
forward-mode hook (``graph.set_forward_hook``) pushes tangents through every operation
with the primitive's JVP rule as the operation runs. Work done to compute level k's
tangents is visible to the levels outside k (so forward-over-forward works) but not to k
itself.
"""

from __future__ import annotations

import contextlib
import functools
import itertools

import numpy as np

from . import graph
from . import primitives as P
from .backward import backward, unbroadcast
from .graph import TensorBase, is_tensor, new_tensor
from .pytree import tree_flatten, tree_map, tree_unflatten

# Number of transforms currently running: inside one, transforms return tensors.
_depth = 0
# Forward-mode levels, outermost first, and how many of them the hook serves right now
# (while level k's own tangent arithmetic runs, only levels 0..k-1 see it).
_levels: list[int] = []
_active = 0
_level_ids = itertools.count(1)


# ----------------------------------------------------------------- plumbing
def tracing():
    """True while a transform (grad, jvp, jacobian, vmap, ...) is running."""
    return _depth > 0


@contextlib.contextmanager
def running():
    """Mark a transform as running and record operations even under no_grad()."""
    global _depth
    _depth += 1
    try:
        with graph.enable_grad():
            yield
    finally:
        _depth -= 1


def _is_nested(*trees):
    """True when results must stay tensors: inside a transform or given tensors."""
    if _depth:
        return True
    return any(is_tensor(x) for tree in trees for x in tree_flatten(tree)[0])


def _float_array(x, who, i):
    a = x.data if is_tensor(x) else np.asarray(x)
    if a.dtype.kind not in "fc":
        raise TypeError(
            f"{who}: argument {i} has dtype {a.dtype}; derivatives need floating-point "
            f"inputs. Pass floats (e.g. 3.0, or x.astype(float))."
        )
    return a


def _alias(x):
    """A new graph node equal to tensor `x` (a view), so each input is its own node."""
    return P.reshape(x, x.data.shape)


def _lift(x, who, i):
    """Turn one input leaf into a tensor that requires grad."""
    a = _float_array(x, who, i)
    if not is_tensor(x):
        return new_tensor(a, True)
    if x.requires_grad:
        return _alias(x)
    if _is_traced(x):
        # Made by an operation, so that a tracer (cr.vmap) sees where it came from; not
        # recorded (x needs no gradient), so it is a leaf that now requires one.
        t = _alias(x)
        t.requires_grad = True
        return t
    t = new_tensor(a, True)
    if x._tangent:
        t._tangent = dict(x._tangent)
    return t


def _is_traced(x):
    tracer = graph.trace_hook()
    return tracer is not None and tracer.traced(x)


def _value(x):
    """A transform's result handed back to the caller at the outermost level."""
    if is_tensor(x):
        d = x.data
        return d[()] if d.ndim == 0 else d
    return x


def _like_input(g, x):
    """Gradient array `g` in the kind of value the input `x` was (float, scalar, array)."""
    if isinstance(x, np.generic):  # before float: np.float64 is a float
        return g[()]
    if isinstance(x, (bool, int, float)):
        return float(g)
    return g


def _output_tensor(out, who):
    if is_tensor(out):
        return out
    if isinstance(out, (tuple, list, dict)):
        raise TypeError(
            f"{who}: the function must return one array, got a {type(out).__name__}; "
            f"differentiate each output separately."
        )
    return new_tensor(np.asarray(out))


def _argnums(argnum, nargs, who):
    nums = argnum if isinstance(argnum, tuple) else (argnum,)
    for a in nums:
        if not -nargs <= a < nargs:
            raise IndexError(f"{who}: argnum {a} is out of range for {nargs} arguments")
    return tuple(a % nargs for a in nums)


def _lift_args(args, nums, who):
    """Replace args[i] for i in nums by lifted pytrees; return (new args, leaves per arg)."""
    args = list(args)
    lifted = []
    for i in nums:
        leaves, treedef = tree_flatten(args[i])
        new = [_lift(x, who, i) for x in leaves]
        args[i] = tree_unflatten(treedef, new)
        lifted.append((new, leaves, treedef))
    return args, lifted


def _pack_grads(grads, lifted, nested):
    """Cut the flat gradient list into the structure of each differentiated argument."""
    out = []
    k = 0
    for new, leaves, treedef in lifted:
        parts = []
        for t, x in zip(new, leaves):
            g = grads[k]
            k += 1
            if nested:
                parts.append(g if g is not None else new_tensor(np.zeros_like(t.data)))
            else:
                g = np.zeros_like(t.data) if g is None else g.data
                parts.append(_like_input(g, x))
        out.append(tree_unflatten(treedef, parts))
    return out


def _reverse(out, inputs, grad, nested):
    """Gradients of `out` (cotangent `grad`) with respect to `inputs`; None if unconnected."""
    if not out.requires_grad:
        return [None] * len(inputs)
    return backward(out, grad=grad, inputs=inputs, retain_graph=True, create_graph=nested)


# ------------------------------------------------------------- reverse mode
def value_and_grad(f, argnum=0):
    """f(*args) and its gradient with respect to args[argnum] (a tuple of them if argnum is).

    f must return a scalar. The gradient has the structure and dtype of the argument.
    """

    @functools.wraps(f)
    def value_and_grad_f(*args, **kwargs):
        nums = _argnums(argnum, len(args), "grad")
        nested = _is_nested(args, kwargs)
        with running():
            new_args, lifted = _lift_args(args, nums, "grad")
            out = _output_tensor(f(*new_args, **kwargs), "grad")
            if out.data.size != 1:
                raise TypeError(
                    f"grad: the function must return a scalar, got shape {out.shape}; use "
                    f"jacobian() for vector outputs or elementwise_grad() for elementwise ones."
                )
            inputs = [t for new, _, _ in lifted for t in new]
            grads = _reverse(out, inputs, None, nested)
        packed = _pack_grads(grads, lifted, nested)
        result = tuple(packed) if isinstance(argnum, tuple) else packed[0]
        return (out if nested else _value(out)), result

    return value_and_grad_f


def grad(f, argnum=0):
    """The gradient of scalar-valued f with respect to args[argnum]: d f / d x."""
    vg = value_and_grad(f, argnum)

    @functools.wraps(f)
    def grad_f(*args, **kwargs):
        return vg(*args, **kwargs)[1]

    return grad_f


def elementwise_grad(f, argnum=0):
    """The gradient of sum(f(x)): for f acting elementwise, f'(x) at every element."""

    def summed(*args, **kwargs):
        out = f(*args, **kwargs)
        return P.sum(out) if is_tensor(out) else np.sum(out)

    return functools.wraps(f)(grad(summed, argnum))


def vjp(f, *primals):
    """(f(*primals), vjp_fn) with vjp_fn(ct) = ct^T J: cotangents of every primal.

    `ct` has the structure of f's output; vjp_fn returns a tuple with one entry per
    primal, each in that primal's structure. vjp_fn may be called many times: the
    forward pass is recorded once.
    """
    nested = _is_nested(primals)
    with running():
        new_args, lifted = _lift_args(primals, tuple(range(len(primals))), "vjp")
        out = f(*new_args)
    out_leaves, out_def = tree_flatten(out)
    out_tensors = [_output_tensor(o, "vjp") for o in out_leaves]
    inputs = [t for new, _, _ in lifted for t in new]

    def vjp_fn(cotangent):
        ct_leaves, ct_def = tree_flatten(cotangent)
        if len(ct_leaves) != len(out_tensors):
            raise ValueError(
                f"vjp: the cotangent has {len(ct_leaves)} arrays but the function returned "
                f"{len(out_tensors)}; pass one cotangent per output, in the same structure."
            )
        inner = nested or _is_nested(cotangent)
        total = [None] * len(inputs)
        with running():
            for o, ct in zip(out_tensors, ct_leaves):
                if np.shape(ct) != o.shape:
                    raise ValueError(
                        f"vjp: cotangent of shape {np.shape(ct)} for an output of shape {o.shape}"
                    )
                for k, g in enumerate(_reverse(o, inputs, ct, inner)):
                    if g is not None:
                        total[k] = g if total[k] is None else total[k] + g
        return tuple(_pack_grads(total, lifted, inner))

    return (out if nested else tree_map(_value, out)), vjp_fn


# ------------------------------------------------------------- forward mode
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
    if t.data.dtype.kind not in "fc" or not prim.differentiable:
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
    traced = k > 0 or t.requires_grad or any(
        is_tensor(tan) and tan.requires_grad for _, tan in items
    )
    if traced:
        # Tensors in, so the tangent arithmetic is recorded and seen by outer levels.
        ans, argv = t, args
    else:
        ans, argv = t.data, vals
        items = [(i, tan.data if is_tensor(tan) else tan) for i, tan in items]
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
    shape, dtype = t.data.shape, t.data.dtype
    if traced:
        if not is_tensor(total):
            total = new_tensor(np.asarray(total))
        if total.data.shape != shape:
            total = P.broadcast_to(total, shape)
        if total.data.dtype != dtype:
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
    data = ans.data if is_tensor(ans) else np.asarray(ans)
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
    return res if traced else res.data


def _attach_tangent(x, tan, level, who, i):
    """A fresh input tensor equal to `x`, carrying tangent `tan` at `level`."""
    a = _float_array(x, who, i)
    if is_tensor(x) and (x.requires_grad or x._tangent or _is_traced(x)):
        t = _alias(x)
    else:
        t = new_tensor(a)
    if is_tensor(tan):
        if tan.data.shape != a.shape:
            raise ValueError(f"{who}: tangent of shape {tan.shape} for a primal of shape {a.shape}")
        if tan.data.dtype != a.dtype:
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
            return tan if nested else (tan.data if is_tensor(tan) else tan)
        return np.zeros_like(out.data)
    return np.zeros_like(np.asarray(out, dtype=float))


def jvp(f, primals, tangents):
    """(f(*primals), J t): the Jacobian-vector product, by forward-mode differentiation.

    ``primals`` and ``tangents`` are tuples of the same structure; the tangent output
    has the structure of f's output. Costs about one evaluation of f plus its JVP rules.
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp: primals and tangents must be tuples, e.g. jvp(f, (x,), (v,))")
    p_leaves, p_def = tree_flatten(tuple(primals))
    t_leaves, t_def = tree_flatten(tuple(tangents))
    if p_def != t_def:
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


# ------------------------------------------------------------------ Jacobians
def jacobian(f, argnum=0, mode="rev"):
    """The Jacobian d f(x)_i / d x_j, of shape f(x).shape + x.shape.

    mode="rev" records f once and runs one reverse pass per output element over the
    retained graph; mode="fwd" runs one forward-mode pass per input element. Pick
    "rev" when the output is smaller than the input, "fwd" otherwise. With a tuple
    argnum, returns a tuple of Jacobians. An argument that is a nested tuple/list/dict
    of arrays gets the same structure of Jacobians, one per leaf.
    """
    if mode not in ("rev", "fwd"):
        raise ValueError(f"jacobian: mode must be 'rev' or 'fwd', not {mode!r}")

    @functools.wraps(f)
    def jacobian_f(*args, **kwargs):
        nums = _argnums(argnum, len(args), "jacobian")
        if any(isinstance(args[i], (tuple, list, dict)) for i in nums):
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


def _jacobian_of_trees(f, args, kwargs, nums, mode):
    """Jacobians with respect to pytree arguments: one of every leaf, in its structure.

    The leaves become separate arguments of a flattened function, so both modes run
    exactly as for arrays (reverse mode records f once for all leaves).
    """
    flat, layout = [], []  # layout[k]: (treedef or None, positions of arg k in flat)
    for k, a in enumerate(args):
        if k in nums and isinstance(a, (tuple, list, dict)):
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
        m = out.data.size
        rows = [[] for _ in inputs]
        for j in range(m):
            e = np.zeros(m, dtype=out.data.dtype)
            e[j] = 1
            grads = _reverse(out, inputs, e.reshape(out.shape), nested)
            for k, (x, g) in enumerate(zip(inputs, grads)):
                if g is None:
                    g = np.zeros_like(x.data)
                rows[k].append(g if nested else g.data)
    jacs = []
    for x, r in zip(inputs, rows):
        shape = out.shape + x.shape
        if nested:
            jacs.append(P.reshape(P.stack(r), shape) if r else new_tensor(np.zeros(shape)))
        else:
            jacs.append(np.stack(r).reshape(shape) if r else np.zeros(shape, x.data.dtype))
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


def hessian(f, argnum=0):
    """The Hessian d^2 f / dx_i dx_j of scalar f, of shape x.shape + x.shape.

    Reverse-over-reverse: f and its gradient are recorded once, then each row is one
    reverse pass over the recorded gradient graph. Forward-over-reverse would repeat
    the forward and backward passes of f for every column; with chainrule's per-op
    cost the reused graph is the faster of the two (see benchmarks/bench_transforms.py).
    """
    return jacobian(grad(f, argnum), argnum, mode="rev")


def hvp(f, x, v):
    """The Hessian-vector product (d^2 f / dx^2) v, without forming the Hessian.

    Forward-over-reverse: the directional derivative of grad f along v, one forward
    pass and one reverse pass with tangents, whatever the size of x.
    """
    return jvp(grad(f), (x,), (v,))[1]
