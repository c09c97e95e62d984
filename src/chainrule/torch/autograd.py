"""``torch.autograd``: ``grad`` and ``backward`` over chainrule's reverse pass."""

from __future__ import annotations

from .. import graph
from ..backward import backward as _backward
from ..graph import TensorBase
from .tensor import like

__all__ = ["backward", "grad"]


def _listed(x):
    return [x] if isinstance(x, TensorBase) else list(x)


def _root(outputs, grad_outputs):
    """One output and its seed: several outputs are summed, each weighted by its seed."""
    outputs = _listed(outputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    grad_outputs = _listed(grad_outputs) if grad_outputs is not None else grad_outputs
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"grad_outputs has {len(grad_outputs)} entries for "
                           f"{len(outputs)} outputs")
    if len(outputs) == 1:
        return outputs[0], grad_outputs[0]
    total = None
    for out, g in zip(outputs, grad_outputs):
        if g is None and out.data.size != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs; "
                               "pass grad_outputs")
        term = (out * g).sum() if g is not None else out.sum()
        total = term if total is None else total + term
    return total, None


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs`` (a tuple), leaving every
    ``.grad`` untouched. ``create_graph=True`` records them for higher derivatives."""
    single = isinstance(inputs, TensorBase)
    inputs = _listed(inputs)
    root, seed = _root(outputs, grad_outputs)
    with graph.enable_grad():
        grads = _backward(root, seed, retain_graph=retain_graph, create_graph=create_graph,
                          inputs=inputs)
    out = []
    for i, g in enumerate(grads):
        if g is None:
            if materialize_grads:
                g = inputs[i] * 0
            elif not allow_unused:
                raise RuntimeError(f"One of the differentiated Tensors (input {i}) appears to "
                                   f"not have been used in the graph. Set allow_unused=True "
                                   f"if this is the desired behavior.")
        out.append(like(inputs[i], g) if g is not None else None)
    return tuple(out) if not single or len(out) != 1 else (out[0],)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of ``tensors`` into the leaves' ``.grad``."""
    root, seed = _root(tensors, grad_tensors)
    if inputs is not None:
        raise TypeError("backward: inputs= is not supported; use torch.autograd.grad")
    _backward(root, seed, retain_graph=retain_graph, create_graph=create_graph)
