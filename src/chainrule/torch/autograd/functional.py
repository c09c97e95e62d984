"""``torch.autograd.functional``: jacobian, hessian, vjp, jvp, hvp, vhp over chainrule's
transforms, with PyTorch's conventions: ``inputs`` a tensor or a tuple of tensors; a
Jacobian is a tensor for one input and one output, a tuple over inputs, or a tuple
(over outputs) of tuples (over inputs); results are front-end tensors.

``create_graph=False`` (the default): the results are computed from the inputs' values
and carry no graph, as PyTorch's are detached. ``create_graph=True``: they are recorded
functions of the inputs (and of ``v``), so a loss that uses them (a Jacobian or
Hessian penalty) differentiates through them. ``strict=True`` first runs the function
once more, recording, and raises PyTorch's errors when an output does not depend on an
input (or, for hessian, the gradient on an input does not depend on the inputs);
``vectorize`` and the strategies are accepted; ``strategy="forward-mode"`` computes the
Jacobian in forward mode.
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

from ... import forward_mode, jacobians, transforms
from ...graph import TensorBase, enable_grad, new_tensor
from ...pytree import tree_map
from ..func import _front_args
from ..tensor import front

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


def _inputs(inputs, create_graph):
    """(one input?, the arguments to differentiate at): the tensors themselves when the
    results must be recorded functions of them, else their values."""
    single = isinstance(inputs, TensorBase) or not isinstance(inputs, (tuple, list))
    items = (inputs,) if single else tuple(inputs)
    if create_graph:
        return single, [x if isinstance(x, TensorBase) else np.asarray(x) for x in items]
    return single, [np.asarray(x._data if isinstance(x, TensorBase) else x) for x in items]


def _result(a, create_graph):
    """A result as a front-end tensor: recorded (create_graph) or a fresh detached copy."""
    if create_graph and isinstance(a, TensorBase):
        return front(a)
    return front(new_tensor(np.array(a._data if isinstance(a, TensorBase) else a, copy=True)))


def _results(tree, create_graph):
    """_result over a tensor or a tuple/list of them (a function with several outputs)."""
    return tree_map(lambda a: _result(a, create_graph), tree)


def _values(tree):
    return tree_map(lambda a: np.asarray(a._data if isinstance(a, TensorBase) else a), tree)


def _recording_if_asked(fn):
    """With create_graph=True the results are recorded even inside no_grad(), as
    PyTorch's are."""
    at = list(inspect.signature(fn).parameters).index("create_graph")

    @functools.wraps(fn)
    def call(*args, **kwargs):
        create_graph = kwargs.get("create_graph", args[at] if len(args) > at else False)
        if create_graph:
            with enable_grad():
                return fn(*args, **kwargs)
        return fn(*args, **kwargs)

    return call


def _strict_check(func, args, what, create_graph=False):
    """PyTorch's strict mode: raise where the result would be a structural zero, found on
    one recorded call of func at the inputs' values. ``what`` is "jacobian" (names the
    output and the input), "hessian" (the gradient on an input independent of the inputs)
    or anything else (an output independent of an input). For hessian, the gradients
    are then checked as jacobian's outputs, as PyTorch's hessian is the jacobian of the
    gradient; "hvp" is the hessian's first check only. With create_graph=True the
    derivatives must depend on the inputs too (a linear function's do not)."""
    from ..autograd_core import grad

    values = [np.array(a._data if isinstance(a, TensorBase) else a, copy=True) for a in args]
    inputs = [front(new_tensor(v if v.dtype.kind in "fc" else v.astype(float))).requires_grad_()
              for v in values]
    with enable_grad():
        out = func(*inputs)
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        if what in ("hessian", "hvp"):
            grads = grad(outs[0], inputs, create_graph=True, allow_unused=True)
            for j, g in enumerate(grads):
                if g is None and what == "hvp":  # (hvp checks the output first, as vjp)
                    raise RuntimeError(
                        f"The output of the user-provided function is independent of "
                        f"input {j}. This is not allowed in strict mode.")
                if g is None or not g.requires_grad:
                    raise RuntimeError(
                        f"While computing the hessian, found that the jacobian of the "
                        f"user-provided function with respect to input {j} is independent "
                        f"of the input. This is not allowed in strict mode. You should "
                        f"ensure that your function is twice differentiable and that the "
                        f"jacobian depends on the inputs (this would be violated by a "
                        f"linear function for example).")
            if what == "hvp":
                return
            outs = list(grads)  # the Hessian is the Jacobian of the gradients
            what = "jacobian"
        for i, o in enumerate(outs):
            if not getattr(o, "requires_grad", False):
                raise RuntimeError(
                    f"Output {i} of the user-provided function does not require gradients. "
                    f"The outputs must be computed in a differentiable manner from the "
                    f"input when running in strict mode.")
        for i, o in enumerate(outs if what == "jacobian" else [sum(x.sum() for x in outs)]):
            grads = grad(o.sum(), inputs, retain_graph=True, allow_unused=True,
                         create_graph=create_graph)
            for j, g in enumerate(grads):
                if g is None:
                    who = f"Output {i}" if what == "jacobian" else "The output"
                    raise RuntimeError(
                        f"{who} of the user-provided function is independent of input {j}. "
                        f"This is not allowed in strict mode.")
                if create_graph and not g.requires_grad:
                    raise RuntimeError(
                        f"The jacobian of the user-provided function is independent of "
                        f"input {j}. This is not allowed in strict mode when "
                        f"create_graph=True.")


def _vectors(v, like, what):
    if v is None:
        if sum(int(np.size(x._data if isinstance(x, TensorBase) else x)) for x in like) != 1:
            raise RuntimeError(f"{what}: v can be omitted only for one input of one element")
        return [np.ones(np.shape(x._data if isinstance(x, TensorBase) else x)) for x in like]
    return list(v) if isinstance(v, (tuple, list)) else [v]


@_recording_if_asked
def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f"jacobian: strategy must be 'reverse-mode' or 'forward-mode', "
                         f"got {strategy!r}")
    if strict and vectorize:
        raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and "
                           "`vectorized=True` are not supported together. Please either set "
                           "`strict=False` or `vectorize=False`.")
    if strict and strategy == "forward-mode":
        raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and "
                           "`strategy=\"forward-mode\"` are not supported together (yet). "
                           "Please either set `strict=False` or `strategy=\"reverse-mode\"`.")
    single, args = _inputs(inputs, create_graph)
    if strict:
        _strict_check(func, args, "jacobian", create_graph)
    mode = "fwd" if strategy == "forward-mode" else "rev"
    jac = jacobians.jacobian(_front_args(func), argnum=tuple(range(len(args))),
                             mode=mode)(*args)

    def per_output(row):
        row = tuple(_result(j, create_graph) for j in row)
        return row[0] if single else row

    if isinstance(jac, list) or (jac and isinstance(jac[0], (tuple, list))):
        return tuple(per_output(row) for row in jac)  # several outputs
    return per_output(jac)


@_recording_if_asked
def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    single, args = _inputs(inputs, create_graph)
    if strict:
        _strict_check(func, args, "hessian")
    n = len(args)
    h = jacobians.hessian(_front_args(func), argnum=tuple(range(n)))(*args)
    blocks = tuple(tuple(_result(h[i][j], create_graph) for j in range(n)) for i in range(n))
    return blocks[0][0] if single else blocks


@_recording_if_asked
def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J): v defaults to 1 for a single-element output; a function
    with several outputs takes a tuple v, one per output."""
    single, args = _inputs(inputs, create_graph)
    if strict:
        _strict_check(func, args, "vjp", create_graph)
    out, pullback = transforms.vjp(_front_args(func), *args)
    if v is None:
        if isinstance(out, (tuple, list)) or np.size(
                out._data if isinstance(out, TensorBase) else out) != 1:
            raise RuntimeError("vjp: v can be omitted only for a function with one output "
                               "element")
        v = np.ones(np.shape(out._data if isinstance(out, TensorBase) else out))
    elif isinstance(out, (tuple, list)):
        v = type(out)(v)
    if not create_graph:
        v = _values(v)
    grads = tuple(_result(g, create_graph) for g in pullback(v))
    return _results(out, create_graph), grads[0] if single else grads


@_recording_if_asked
def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v): v defaults to 1 for a single-element input; for a function
    with several outputs both are tuples."""
    single, args = _inputs(inputs, create_graph)
    if strict:
        _strict_check(func, args, "jvp", create_graph)
    _, tangents = _inputs(tuple(_vectors(v, args, "jvp")), create_graph)
    out, tangent = forward_mode.jvp(_front_args(func), tuple(args), tuple(tangents))
    return _results(out, create_graph), _results(tangent, create_graph)


@_recording_if_asked
def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v) for a scalar func: forward mode over its gradient, without
    forming H."""
    single, args = _inputs(inputs, create_graph)
    if strict:
        _strict_check(func, args, "hvp")
    _, vs = _inputs(tuple(_vectors(v, args, "hvp")), create_graph)
    # (the value comes with the gradient: one forward pass, not a second one for it)
    both = transforms.value_and_grad(_front_args(func), argnums=tuple(range(len(args))))
    (out, _), (_, products) = forward_mode.jvp(both, tuple(args), tuple(vs))
    products = tuple(_result(p, create_graph) for p in products)
    return _result(out, create_graph), products[0] if single else products


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H): the same as hvp for a twice continuously differentiable
    func (its Hessian is symmetric)."""
    return hvp(func, inputs, v, create_graph, strict)
