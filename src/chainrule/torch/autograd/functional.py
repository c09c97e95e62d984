"""``torch.autograd.functional``: jacobian, hessian, vjp, jvp, hvp, vhp over chainrule's
transforms, with PyTorch's conventions: ``inputs`` a tensor or a tuple of tensors; a
Jacobian is a tensor for one input and one output, a tuple over inputs, or a tuple
(over outputs) of tuples (over inputs); results are front-end tensors.
``create_graph``, ``strict``, ``vectorize`` and ``strategy`` are accepted; results are
computed from the inputs' values and carry no graph.
"""

from __future__ import annotations

import numpy as np

from ... import forward_mode, jacobians, transforms
from ...graph import TensorBase, new_tensor
from ..tensor import front

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


def _inputs(inputs):
    single = isinstance(inputs, TensorBase) or not isinstance(inputs, (tuple, list))
    items = (inputs,) if single else tuple(inputs)
    return single, [np.asarray(x._data if isinstance(x, TensorBase) else x) for x in items]


def _wrapped(func):
    """func called with front-end tensors, as PyTorch calls it."""
    def call(*tensors):
        return func(*(front(t) if isinstance(t, TensorBase) else t for t in tensors))
    return call


def _tensor(a):
    return front(new_tensor(np.array(a._data if isinstance(a, TensorBase) else a, copy=True)))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    single, arrays = _inputs(inputs)
    mode = "fwd" if strategy == "forward-mode" else "rev"
    out = _wrapped(func)(*(new_tensor(a) for a in arrays))
    several = isinstance(out, (tuple, list))
    n = len(arrays)
    if not several:
        jac = jacobians.jacobian(_wrapped(func), argnum=tuple(range(n)), mode=mode)(*arrays)
        jac = tuple(_tensor(j) for j in jac)
        return jac[0] if single else jac
    rows = []
    for k in range(len(out)):
        def component(*xs, k=k):
            return _wrapped(func)(*xs)[k]
        jac = jacobians.jacobian(component, argnum=tuple(range(n)), mode=mode)(*arrays)
        row = tuple(_tensor(j) for j in jac)
        rows.append(row[0] if single else row)
    return tuple(rows)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    single, arrays = _inputs(inputs)
    n = len(arrays)
    h = jacobians.hessian(_wrapped(func), argnum=tuple(range(n)))(*arrays)
    blocks = tuple(tuple(_tensor(h[i][j]) for j in range(n)) for i in range(n))
    return blocks[0][0] if single else blocks


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J): v defaults to 1 for a single-element output."""
    single, arrays = _inputs(inputs)
    out, pullback = transforms.vjp(_wrapped(func), *arrays)
    if v is None:
        if np.size(out) != 1:
            raise RuntimeError("vjp: v can be omitted only for a function with one output "
                               "element")
        v = np.ones_like(np.asarray(out))
    grads = pullback(np.asarray(v._data if isinstance(v, TensorBase) else v))
    grads = tuple(_tensor(g) for g in grads)
    return _tensor(out), grads[0] if single else grads


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v): v defaults to 1 for a single-element input."""
    single, arrays = _inputs(inputs)
    if v is None:
        if sum(a.size for a in arrays) != 1:
            raise RuntimeError("jvp: v can be omitted only for one input of one element")
        v = [np.ones_like(a) for a in arrays]
    _, tangents = _inputs(v)
    out, tangent = forward_mode.jvp(_wrapped(func), tuple(arrays), tuple(tangents))
    return _tensor(out), _tensor(tangent)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v) for a scalar func."""
    single, arrays = _inputs(inputs)
    _, vs = _inputs(v)
    out = _wrapped(func)(*(new_tensor(a) for a in arrays))
    n = len(arrays)
    h = jacobians.hessian(_wrapped(func), argnum=tuple(range(n)))(*arrays)
    products = []
    for i in range(n):
        total = 0
        for j in range(n):
            hij = np.asarray(h[i][j]).reshape(arrays[i].size, arrays[j].size)
            total = total + (hij @ vs[j].reshape(-1)).reshape(arrays[i].shape)
        products.append(_tensor(total))
    return _tensor(out), products[0] if single else tuple(products)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H): the same as hvp for a twice continuously differentiable
    func (its Hessian is symmetric)."""
    return hvp(func, inputs, v, create_graph, strict)
