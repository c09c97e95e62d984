"""Flattening nested containers of arrays into one vector and back (autograd's
misc.flatten, JAX's ravel_pytree).

``flatten(value)`` returns ``(vector, unflatten)``: the leaves of any nesting of tuples,
lists and dicts (dict keys in sorted order, as autograd and JAX order them), raveled
and joined; ``unflatten(vector)`` rebuilds the structure with the leaves' shapes. Both
directions are differentiable: leaves that are tensors give a tensor vector on the
graph, and a tensor vector gives tensor leaves (slices of it), so ``flatten`` may be
used inside ``cr.grad`` and ``unflatten`` inside a loss.
"""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from ..graph import is_tensor


def flatten(value):
    """(vector, unflatten): the leaves of `value` joined into one 1-D array."""
    leaves, rebuild = _split(value)
    shapes = [np.shape(leaf) for leaf in leaves]
    if any(is_tensor(leaf) for leaf in leaves):
        vector = P.concatenate([P.reshape(leaf, (-1,)) for leaf in leaves], axis=0)
    elif leaves:
        vector = np.concatenate([np.ravel(leaf) for leaf in leaves])
    else:
        vector = np.array([])
    sizes = [int(np.prod(s)) for s in shapes]
    ends = np.cumsum([0, *sizes])

    def unflatten(vector):
        """The structure of the flattened value, with its leaves read from `vector`."""
        if np.shape(vector) != (int(ends[-1]),):
            raise ValueError(
                f"unflatten: expected a vector of length {int(ends[-1])}, got shape "
                f"{np.shape(vector)}"
            )
        parts = [_reshape(vector[ends[k]:ends[k + 1]], shapes[k]) for k in range(len(shapes))]
        return rebuild(iter(parts))

    return vector, unflatten


ravel_pytree = flatten


def flatten_func(func, example):
    """(flat_func, unflatten, flat_example): func taking and returning containers like
    `example`, seen as a function of one vector."""
    flat_example, unflatten = flatten(example)

    def flat_func(vector, *args):
        return flatten(func(unflatten(vector), *args))[0]

    return flat_func, unflatten, flat_example


def _reshape(part, shape):
    if is_tensor(part):
        return P.reshape(part, shape)
    return np.reshape(part, shape)


def _split(value):
    """(leaves, rebuild): rebuild(iterator of new leaves) makes the structure again."""
    if isinstance(value, (list, tuple)):
        pieces = [_split(v) for v in value]
        leaves = [leaf for ls, _ in pieces for leaf in ls]
        kind = type(value)

        def rebuild(it):
            items = [r(it) for _, r in pieces]
            if kind is list:
                return items
            return kind(*items) if hasattr(kind, "_fields") else kind(items)

        return leaves, rebuild
    if isinstance(value, dict):
        keys = sorted(value)
        pieces = [_split(value[k]) for k in keys]
        leaves = [leaf for ls, _ in pieces for leaf in ls]
        return leaves, lambda it: {k: r(it) for k, (_, r) in zip(keys, pieces)}
    return [value], lambda it: next(it)
