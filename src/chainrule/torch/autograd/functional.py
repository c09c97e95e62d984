"""``torch.autograd.functional``: jacobian, hessian, vjp, jvp, hvp, vhp over chainrule's
transforms, with PyTorch's conventions: ``inputs`` a tensor or a tuple of tensors; a
Jacobian is a tensor for one input and one output, a tuple over inputs, or a tuple
(over outputs) of tuples (over inputs); results are front-end tensors.

``create_graph=False`` (the default): the results are computed from the inputs' values
and carry no graph, as PyTorch's are detached. ``create_graph=True``: they are recorded
functions of the inputs (and of ``v``), so a loss that uses them (a Jacobian or
Hessian penalty) differentiates through them. ``strict``, ``vectorize`` and the
strategies are accepted; ``strategy="forward-mode"`` computes the Jacobian in forward
mode.
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
    single, args = _inputs(inputs, create_graph)
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
    n = len(args)
    h = jacobians.hessian(_front_args(func), argnum=tuple(range(n)))(*args)
    blocks = tuple(tuple(_result(h[i][j], create_graph) for j in range(n)) for i in range(n))
    return blocks[0][0] if single else blocks


@_recording_if_asked
def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J): v defaults to 1 for a single-element output; a function
    with several outputs takes a tuple v, one per output."""
    single, args = _inputs(inputs, create_graph)
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
    _, tangents = _inputs(tuple(_vectors(v, args, "jvp")), create_graph)
    out, tangent = forward_mode.jvp(_front_args(func), tuple(args), tuple(tangents))
    return _results(out, create_graph), _results(tangent, create_graph)


@_recording_if_asked
def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v) for a scalar func: forward mode over its gradient, without
    forming H."""
    single, args = _inputs(inputs, create_graph)
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
