"""The batching rule (cr.vmap) of the convolution primitives conv, conv_transpose and
conv_weight_grad: a batch of convolutions computed as one.

A batch of inputs alone is more images (the batch axis folded into N). A batch of
kernels, biases or weight gradients (per-example gradients) puts the examples side by
side as channel groups: (B, N, C, *S) inputs become (N, B C, *S), (B, O, C/g, *k) kernels
(B O, C/g, *k), and the convolution runs with ``groups`` times B groups.
"""

from __future__ import annotations

import numpy as np

from ..graph import is_tensor
from .shape import broadcast_to, reshape, swapaxes


def _shape_of(a):
    return np.shape(a._data if is_tensor(a) else a)


def _batched_all(args, batched, size):
    """Every argument with the batch axis in front (the unbatched ones repeated)."""
    return [a if b else broadcast_to(reshape(a, (1,) + _shape_of(a)), (size,) + _shape_of(a))
            for a, b in zip(args, batched)]


def _channels_to_groups(a):
    """(B, N, C, *S) as (N, B C, *S): the batch's examples side by side as channel groups."""
    shape = _shape_of(a)
    return reshape(swapaxes(a, 0, 1), (shape[1], shape[0] * shape[2]) + tuple(shape[3:]))


def _groups_to_batch(a, size):
    """(N, B C, *S) back to (B, N, C, *S)."""
    shape = _shape_of(a)
    return swapaxes(reshape(a, (shape[0], size, shape[1] // size) + tuple(shape[2:])), 0, 1)


def conv_batch(prim, args, batched, kw):
    """A batch of convolutions as one: a batch of inputs only is more images; a batch of
    kernels (or of weight gradients: per-example gradients) makes each example its own
    group(s) of channels, ``groups`` times the batch size."""
    name, kw = prim.name, dict(kw)
    if name == "conv" and len(args) == 2:  # a constant bias arrives by keyword
        args, batched = (*args, kw.pop("b")), (*batched, False)
    size = next(_shape_of(a)[0] for a, b in zip(args, batched) if b)
    if name != "conv_weight_grad" and not any(batched[1:]):
        shape = _shape_of(args[0])
        flat = reshape(args[0], (shape[0] * shape[1],) + shape[2:])
        if name == "conv_transpose":
            kw["shape"] = (size * kw["shape"][0],) + tuple(kw["shape"][1:])
        out = prim(flat, *args[1:], **kw)
        return reshape(out, shape[:2] + _shape_of(out)[1:])
    more = {**kw, "groups": kw["groups"] * size}
    if name == "conv":
        (x, w), b = _batched_all(args[:2], batched[:2], size), args[2]
        if batched[2]:
            b = reshape(b, (-1,))
        elif np.ndim(b._data if is_tensor(b) else b):
            b = reshape(_batched_all([b], [False], size)[0], (-1,))
        w = reshape(w, (-1,) + _shape_of(w)[2:])
        return _groups_to_batch(prim(_channels_to_groups(x), w, b, **more), size)
    first, second = _batched_all(args, batched, size)
    if name == "conv_transpose":
        n, c = kw["shape"][:2]
        w = reshape(second, (-1,) + _shape_of(second)[2:])
        more["shape"] = (n, size * c) + tuple(kw["shape"][2:])
        return _groups_to_batch(prim(_channels_to_groups(first), w, **more), size)
    more["shape"] = (size * kw["shape"][0],) + tuple(kw["shape"][1:])
    out = prim(_channels_to_groups(first), _channels_to_groups(second), **more)
    return reshape(out, (size,) + tuple(kw["shape"]))
