"""Function transforms, reverse mode: grad, value_and_grad, vjp, elementwise_grad; shared plumbing.

Each transform takes a function of arrays and returns a function of arrays. Arguments
may be NumPy arrays, Python or NumPy scalars, or nested tuples, lists and dicts of
them (pytrees); gradients come back in the structure of the argument they belong to.

Transforms compose to any order because a transform called *inside* another one (or
on chainrule tensors) works on tensors: it records what it computes and returns
tensors, so the outer transform can differentiate through it. Only the outermost
transform converts its results back to NumPy.

Reverse mode is :func:`chainrule.backward.backward` (with ``create_graph=True`` when the
result must itself be differentiable). Forward mode is in chainrule.forward_mode,
Jacobians and Hessians in chainrule.jacobians, vmap in chainrule.vectorize.

Names follow HIPS autograd (``argnum``) and JAX (``argnums``, ``has_aux``); both work.
"""

from __future__ import annotations

import contextlib
import functools
import weakref
from collections.abc import Callable
from typing import Any, Literal, ParamSpec, TypeAlias, overload

import numpy as np

from . import graph
from . import primitives as P
from .backward import backward
from .graph import TensorBase, is_tensor, new_tensor
from .pytree import flatten_like, tree_flatten, tree_map, tree_unflatten

# Number of transforms currently running: inside one, transforms return tensors.
_depth = 0

# The public signatures (here and in forward_mode, jacobians): a transform of f keeps
# f's parameters (Params). What comes back is typed Any: an array, a Python or NumPy
# scalar, a tensor (inside another transform) or a pytree of them, following the
# arguments' structure.
Params = ParamSpec("Params")
Argnum: TypeAlias = int | tuple[int, ...]


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


# The leaves transforms made for the arguments they differentiate, while those leaves
# live (id -> weak reference, dropped when the leaf goes): cr.vmap tells a gradient
# taken inside it from one it may hand outside by whether its graph reaches other
# leaves.
owned_leaves: dict[int, weakref.ref[Any]] = {}


def _own(t):
    key = id(t)
    owned_leaves[key] = weakref.ref(t, lambda _, key=key: owned_leaves.pop(key, None))


def is_owned_leaf(t):
    """Whether leaf `t` was made by a transform for an argument it differentiates."""
    ref = owned_leaves.get(id(t))
    return ref is not None and ref() is t


def _float_array(x, who, i):
    a = x._data if is_tensor(x) else np.asarray(x)
    if a.dtype.kind == "c":
        raise TypeError(f"{who}: argument {i} is complex; chainrule differentiates real "
                        f"values only. Pass the real and imaginary parts as two real arrays "
                        f"(z = a + 1j b becomes a and b)")
    if a.dtype.kind != "f":
        raise TypeError(
            f"{who}: argument {i} has dtype {a.dtype}; derivatives need floating-point "
            f"inputs. Pass floats (e.g. 3.0, or x.astype(float))."
        )
    return a


def _alias(x):
    """A new graph node equal to tensor `x` (a view), so each input is its own node."""
    return P.reshape(x, x._data.shape)


def _lift(x, who, i):
    """Turn one input leaf into a tensor that requires grad."""
    a = _float_array(x, who, i)
    if not is_tensor(x):
        t = new_tensor(a, True)
        _own(t)
        return t
    if x.requires_grad:
        return _alias(x)
    if _is_traced(x):
        # Made by an operation, so that a tracer (cr.vmap) sees where it came from; not
        # recorded (x needs no gradient), so it is a leaf that now requires one.
        t = _alias(x)
        t.requires_grad = True
        return t
    t = new_tensor(a, True)
    _own(t)
    if x._tangent:
        t._tangent = dict(x._tangent)
    return t


def _is_traced(x):
    tracer = graph.trace_hook()
    return tracer is not None and tracer.traced(x)


def _value(x):
    """A transform's result handed back to the caller at the outermost level."""
    if is_tensor(x):
        d = x._data
        return d[()] if d.ndim == 0 else d
    return x


def _like_input(g, x):
    """Gradient array `g` in the kind of value the input `x` was (float, scalar, array)."""
    if isinstance(x, np.generic):  # before float: np.float64 is a float
        return g[()]
    if isinstance(x, (bool, int, float)):
        # A NumPy scalar (np.float64 is a float) rather than a Python float, as HIPS
        # autograd gives: programs call .round(), .item() or .shape on it.
        return np.float64(g)
    return g


def _output_tensor(out, who):
    if is_tensor(out):
        return out
    if isinstance(out, (tuple, list, dict)):
        raise _NotOneArray(
            f"{who}: the function must return one array, got a {type(out).__name__}; "
            f"differentiate each output separately."
        )
    return new_tensor(np.asarray(out))


def which_args(argnum, argnums, who):
    """The argument selection of a transform: autograd's `argnum` or JAX's `argnums` (a
    list counts as the tuple it holds, as both libraries take it)."""
    if argnums is not None:
        if argnum != 0:
            raise TypeError(f"{who}: give argnum or argnums, not both")
        argnum = argnums
    return tuple(argnum) if isinstance(argnum, list) else argnum


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
                parts.append(g if g is not None else new_tensor(np.zeros_like(t._data)))
            else:
                g = np.zeros_like(t._data) if g is None else g._data
                parts.append(_like_input(g, x))
        out.append(tree_unflatten(treedef, parts))
    return out


def _differentiated_later(out):
    """Whether a gradient of `out` may itself be differentiated: inside another
    transform, under a tracer, or when `out` depends on a tensor requiring grad other
    than the transforms' own leaves (a closure over a model's parameters, an argument
    that requires grad). Otherwise the gradient is computed without recording and comes
    back as a tensor that does not require grad, as PyTorch's torch.func.grad gives it."""
    if _depth > 1 or graph.trace_hook() is not None:
        return True
    return reaches_other_leaves([out])


def reaches_other_leaves(tensors):
    """Whether the graphs of `tensors` reach a leaf requiring grad that no transform
    made for itself (see owned_leaves)."""
    seen, stack = set(), list(tensors)
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if t._prim is None:
            if not is_owned_leaf(t):
                return True
            continue
        if t._args is None:  # (a graph freed by an earlier backward: assume the worst)
            return True
        stack.extend(a for a in t._args if isinstance(a, TensorBase) and a.requires_grad)
    return False


def _reverse(out, inputs, grad, nested):
    """Gradients of `out` (cotangent `grad`) with respect to `inputs`; None if unconnected."""
    if not out.requires_grad:
        return [None] * len(inputs)
    return backward(out, grad=grad, inputs=inputs, retain_graph=True, create_graph=nested)


# ------------------------------------------------------------- reverse mode
def value_and_grad(
    f: Callable[Params, Any],
    argnum: Argnum = 0,
    *,
    argnums: Argnum | None = None,
    has_aux: bool = False,
) -> Callable[Params, tuple[Any, Any]]:
    """f(*args) and its gradient with respect to args[argnum] (a tuple of them if argnum is).

    f must return a scalar; with ``has_aux=True`` it returns ``(scalar, aux)`` and the
    result is ``((value, aux), grad)``, aux passed through untouched (JAX's convention).
    The gradient has the structure and dtype of the argument. ``argnums`` is JAX's name
    for ``argnum``.
    """
    argnum = which_args(argnum, argnums, "grad")

    @functools.wraps(f)
    def value_and_grad_f(*args: Params.args, **kwargs: Params.kwargs) -> tuple[Any, Any]:
        nums = _argnums(argnum, len(args), "grad")
        nested = _is_nested(args, kwargs)
        with running():
            new_args, lifted = _lift_args(args, nums, "grad")
            result = f(*new_args, **kwargs)
            aux = None
            if has_aux:
                result, aux = _split_aux(result, "grad")
            out = _output_tensor(result, "grad")
            if out._data.size != 1:
                raise _NotScalar(
                    f"grad: the function must return a scalar, got shape {out.shape}; use "
                    f"jacobian() for vector outputs or elementwise_grad() for elementwise ones."
                )
            inputs = [t for new, _, _ in lifted for t in new]
            grads = _reverse(out, inputs, None, nested and _differentiated_later(out))
        packed = _pack_grads(grads, lifted, nested)
        result = tuple(packed) if isinstance(argnum, tuple) else packed[0]
        value = out if nested else _value(out)
        if has_aux:
            return (value, aux if nested else tree_map(_value, aux)), result
        return value, result

    return value_and_grad_f


def grad(
    f: Callable[Params, Any],
    argnum: Argnum = 0,
    *,
    argnums: Argnum | None = None,
    has_aux: bool = False,
) -> Callable[Params, Any]:
    """The gradient of scalar-valued f with respect to args[argnum]: d f / d x.

    With ``has_aux=True``, f returns ``(scalar, aux)`` and grad returns ``(grad, aux)``.
    """
    vg = value_and_grad(f, argnum, argnums=argnums, has_aux=has_aux)

    @functools.wraps(f)
    def grad_f(*args: Params.args, **kwargs: Params.kwargs) -> Any:
        value, g = vg(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return grad_f


class _NotScalar(TypeError):
    """grad of a function whose output is not a scalar (hessian then takes the Jacobian
    of the Jacobian)."""


class _NotOneArray(TypeError):
    """A transform wanting one array got a tuple, list or dict (hessian then takes the
    Jacobian of the Jacobian, which keeps the output's structure: JAX's tuple of
    Hessians)."""


def _split_aux(result, who):
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise TypeError(
            f"{who}(..., has_aux=True): the function must return a pair (output, aux), "
            f"got {type(result).__name__}"
        )
    return result[0], result[1]


def elementwise_grad(
    f: Callable[Params, Any], argnum: Argnum = 0, *, argnums: Argnum | None = None
) -> Callable[Params, Any]:
    """The gradient of sum(f(x)): for f acting elementwise, f'(x) at every element."""

    def summed(*args, **kwargs):
        out = f(*args, **kwargs)
        return P.sum(out) if is_tensor(out) else np.sum(out)

    return functools.wraps(f)(grad(summed, argnum, argnums=argnums))


@overload
def vjp(
    f: Callable[..., Any], *primals: Any, has_aux: Literal[False] = False
) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]: ...
@overload
def vjp(
    f: Callable[..., Any], *primals: Any, has_aux: Literal[True]
) -> tuple[Any, Callable[[Any], tuple[Any, ...]], Any]: ...
def vjp(f: Callable[..., Any], *primals: Any, has_aux: bool = False) -> tuple[Any, ...]:
    """(f(*primals), vjp_fn) with vjp_fn(ct) = ct^T J: cotangents of every primal.

    `ct` has the structure of f's output; vjp_fn returns a tuple with one entry per
    primal, each in that primal's structure. vjp_fn may be called many times: the
    forward pass is recorded once. With ``has_aux=True``, f returns ``(output, aux)``
    and vjp returns ``(output, vjp_fn, aux)``.
    """
    nested = _is_nested(primals)
    with running():
        new_args, lifted = _lift_args(primals, tuple(range(len(primals))), "vjp")
        out = f(*new_args)
        if has_aux:
            out, aux = _split_aux(out, "vjp")
    out_leaves, out_def = tree_flatten(out)
    out_tensors = [_output_tensor(o, "vjp") for o in out_leaves]
    inputs = [t for new, _, _ in lifted for t in new]

    def vjp_fn(cotangent: Any) -> tuple[Any, ...]:
        try:  # (dicts by key: the cotangent's key order need not be the output's)
            ct_leaves = flatten_like(out_def, cotangent, "vjp")
        except ValueError:
            ct_leaves = tree_flatten(cotangent)[0]
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

    value = out if nested else tree_map(_value, out)
    if has_aux:
        return value, vjp_fn, (aux if nested else tree_map(_value, aux))
    return value, vjp_fn
