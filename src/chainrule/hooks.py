"""Hooks: the handle every ``register_*_hook`` returns, and hooks on tensors' gradients.

``t.register_hook(hook)`` calls ``hook(grad)`` during each backward pass with the
gradient of t (the total over every use of t, a tensor of t's class); a returned tensor
replaces it for everything downstream: the tensors t was computed from, and t's own
``.grad`` when t is a leaf or retains its gradient. ``register_post_accumulate_grad_hook``
calls ``hook(t)`` on a leaf after its ``.grad`` was accumulated. (PyTorch's meanings.)
"""

from __future__ import annotations

import itertools

import numpy as np

from . import graph
from .graph import TensorBase


class RemovableHandle:
    """What ``register_forward_hook`` and friends return: ``handle.remove()`` unregisters
    the hook (also as a context manager: the hook lives for the ``with`` block)."""

    _ids = itertools.count()

    def __init__(self, table, *extra):
        self.id = next(RemovableHandle._ids)
        self._table = table
        self._extra = extra  # (tables of the hook's flags, keyed by the same id)

    def remove(self) -> None:
        self._table.pop(self.id, None)
        for table in self._extra:
            table.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False


def add_to(table, entry, prepend=False, extra=()):
    """Put `entry` in the ordered hook table `table` (last, or first with `prepend`), and
    its id in the `extra` tables (its flags); the handle that removes it from all."""
    handle = RemovableHandle(table, *extra)
    for flags in extra:
        flags[handle.id] = True
    if prepend:
        items = list(table.items())
        table.clear()
        table[handle.id] = entry
        table.update(items)
    else:
        table[handle.id] = entry
    return handle


def add_tensor_hook(t, hook, table, what):
    """Register `hook` in tensor t's hook table `table` ("_hooks" or "_post_hooks")."""
    if not callable(hook):
        raise TypeError(f"{what}: the hook must be callable, got {type(hook).__name__}")
    if not t.requires_grad:
        raise RuntimeError(f"{what}: cannot register a hook on a tensor that doesn't "
                           "require gradient")
    if table == "_post_hooks" and t._prim is not None:
        raise RuntimeError(f"{what}: post accumulate grad hooks cannot be registered on "
                           "non-leaf tensors")
    hooks = t.__dict__.get(table)
    if hooks is None:
        hooks = {}
        setattr(t, table, hooks)
    graph.mark_watched()
    return add_to(hooks, hook)


def _refuse_under_trace():
    if graph.trace_hook() is not None:
        raise TypeError(
            "a tensor hook runs Python code on gradient values, which cr.compile and "
            "cr.vmap cannot repeat; remove the hook (handle.remove()) or run eagerly"
        )


def run_tensor_hooks(t, g, create_graph):
    """The gradient `g` of tensor `t` after t's hooks (each may return a replacement)."""
    _refuse_under_trace()
    for hook in list(t._hooks.values()):
        if create_graph:
            value = g
            kind = type(t)._result_class or type(t)
            if type(g) is not kind:  # (a front end's tensor sees its own methods)
                from .primitives import copy

                value = copy(g)
                value.__class__ = kind
        else:
            value = graph.new_tensor(g)
            value.__class__ = type(t)._result_class or type(t)
        result = hook(value)
        if result is None:
            continue
        if create_graph:
            new = graph.engine_cotangent(result)
        else:
            new = result._data if isinstance(result, TensorBase) else np.asarray(result)
        if np.shape(new) != np.shape(g):
            raise RuntimeError(
                f"a tensor hook returned a gradient of shape {np.shape(new)} for a tensor "
                f"of shape {np.shape(g)}; it must return None or a gradient of that shape"
            )
        g = new
    return g


def run_post_accumulate_hooks(leaf):
    _refuse_under_trace()
    for hook in list(leaf._post_hooks.values()):
        hook(leaf)
