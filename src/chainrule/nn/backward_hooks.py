"""Module backward hooks: ``register_full_backward_hook`` and ``..._pre_hook``.

A module call with backward hooks routes its tensor inputs and outputs through identity
operations whose derivative rules call the hooks, as PyTorch does:

- the outputs' rule runs first in the backward pass: it hands the cotangents of the
  tensor outputs to the pre-hooks (each may replace them) and keeps them;
- the inputs' rule runs once the gradients of all tensor inputs are known: it hands
  them, with the kept output cotangents, to the hooks (each may replace them).

A hook sees every input's (or output's) gradient at once, so several tensors pass
through one operation: they are raveled and joined into one array, and the identity's
cotangent is split back (a copy of inputs and outputs per call, only for modules that
have backward hooks). A module none of whose inputs requires grad calls its hooks from
the outputs' rule with ``grad_input`` all None, as PyTorch does.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import graph
from ..graph import TensorBase, new_tensor
from ..raveled import cut, joined
from ..rules import Primitive, each_argument


def _joined(tensors):
    """One array holding ``tensors`` raveled end to end (one tensor: itself)."""
    if len(tensors) == 1:
        return tensors[0]
    return joined(tensors, np.result_type(*(t._data.dtype for t in tensors)))


def _split(whole, like):
    """``whole`` (an array or tensor) cut back into pieces shaped and typed as ``like``."""
    if len(like) == 1:
        return [whole]
    return cut(whole, [(t._data.shape, t._data.dtype) for t in like])


def _join_grads(grads, like, g):
    """Replacement gradients (tensors, arrays or None) joined as the cotangent ``g``
    of the identity was: tensors under create_graph, arrays otherwise."""
    recorded = isinstance(g, TensorBase)
    parts = []
    for gi, t in zip(grads, like):
        if gi is None:
            gi = np.zeros_like(t._data)
        if isinstance(gi, TensorBase):
            gi = graph.engine_cotangent(gi) if recorded else gi._data
        else:
            gi = np.asarray(gi, dtype=t._data.dtype)
        if np.shape(gi) != t._data.shape:
            raise RuntimeError(f"backward hook returned a gradient of shape {np.shape(gi)} "
                               f"for a tensor of shape {t._data.shape}")
        parts.append(gi)
    if len(parts) == 1:
        return parts[0]
    return joined(parts, g._data.dtype if recorded else g.dtype)


def _through(tensors, rule, name):
    """``tensors`` passed through one identity whose cotangent goes through ``rule``."""
    # (a copy: an in-place operation inside the module must not write into its input)
    op = Primitive(name, lambda a: a.copy())
    op.defvjp(each_argument(lambda i, g, ans, a: rule(g)))
    out = op(_joined(tensors))
    return _split(out, tensors)


def _tuple(result, n, who):
    if not isinstance(result, (tuple, list)) or len(result) != n:
        raise RuntimeError(f"{who} must return None or a tuple of {n} gradients, got "
                           f"{result!r:.80}")
    return tuple(result)


def call_with_backward_hooks(module, call, args, kwargs):
    """``call(*args, **kwargs)`` (the module's forward, with its forward hooks) with the
    module's backward hooks attached to its tensor inputs and outputs."""
    if not graph.is_grad_enabled():
        return call(*args, **kwargs)
    from .module import _hooks

    hooks = [h for (h,) in _hooks(module, "_backward_hooks")]  # (every module's, then its own)
    pre_hooks = [h for (h,) in _hooks(module, "_backward_pre_hooks")]
    wrap = module._hook_tensor
    n_in = len(args)
    in_index = [i for i, a in enumerate(args) if isinstance(a, TensorBase) and a.requires_grad]
    state: dict[str, Any] = {}

    def grad_tuple(parts, index, n):
        out: list[Any] = [None] * n
        for i, p in zip(index, parts):
            out[i] = wrap(p)
        return tuple(out)

    if in_index:
        inputs = [args[i] for i in in_index]

        def input_rule(g):
            # The hooks run once per backward pass through the module's outputs: a pass
            # that reaches the inputs without them (a second derivative through the
            # first's recorded graph, an output that is not a tensor) passes g on.
            if "grad_output" not in state:
                return g
            grad_output = state.pop("grad_output")
            grads = grad_tuple(_split(g, inputs), in_index, n_in)
            for hook in hooks:
                result = hook(module, grads, grad_output)
                if result is not None:
                    grads = _tuple(result, n_in, f"backward hook {hook!r}")
            return _join_grads([grads[i] for i in in_index], inputs, g)

        passed = _through(inputs, input_rule, f"{type(module).__name__}.backward_hook")
        args = list(args)
        for i, t in zip(in_index, passed):
            args[i] = module._result_like(args[i], t)
        args = tuple(args)

    output = call(*args, **kwargs)
    several = isinstance(output, (tuple, list))
    outs = list(output) if several else [output]
    out_index = [i for i, o in enumerate(outs) if isinstance(o, TensorBase) and o.requires_grad]
    if not out_index:
        if not isinstance(output, TensorBase) and not several:
            warnings.warn(f"{type(module).__name__}'s output is a {type(output).__name__}, "
                          "not a tensor or a tuple of tensors: its backward hooks will not "
                          "be called (as in PyTorch)", UserWarning, stacklevel=3)
        return output
    outputs = [outs[i] for i in out_index]

    def output_rule(g):
        grads = grad_tuple(_split(g, outputs), out_index, len(outs))
        for hook in pre_hooks:
            result = hook(module, grads)
            if result is not None:
                grads = _tuple(result, len(outs), f"backward pre-hook {hook!r}")
        if in_index:
            state["grad_output"] = grads
        else:
            nothing = (None,) * n_in
            for hook in hooks:
                result = hook(module, nothing, grads)
                if result is not None and any(r is not None for r in result):
                    raise RuntimeError(
                        f"backward hook {hook!r} of {type(module).__name__}, none of whose "
                        "inputs requires grad, must return None or only Nones")
        return _join_grads([grads[i] for i in out_index], outputs, g)

    passed = _through(outputs, output_rule, f"{type(module).__name__}.backward_pre_hook")
    for i, t in zip(out_index, passed):
        outs[i] = module._result_like(outs[i], t)
    if not several:
        return outs[0]
    if isinstance(output, list) or type(output) is tuple:
        return type(output)(outs)
    return type(output)(*outs)  # (a named tuple)


def tensor_of(array_or_tensor):
    """A hook's view of a gradient: arrays (first-order backward) become tensors."""
    if isinstance(array_or_tensor, TensorBase):
        return array_or_tensor
    return new_tensor(array_or_tensor)
