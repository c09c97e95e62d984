"""Writing into a tensor, as a recorded operation: ``x[index] = v``.

``write(x, v, index=...)`` is the array x with v written at index, out of place: NumPy's
``out = x.copy(); out[index] = v``. ``Tensor.__setitem__`` records it whenever a
gradient or a tangent is involved (see docs/api.md, "Writing into tensors").

Where an index repeats, NumPy's last write wins, and so does the gradient: the cotangent
at a written position goes to the element of v that was written last there, and to
nothing else; positions that were not written pass theirs to x.
"""

from __future__ import annotations

import numpy as np

from .. import batching as B
from .. import statements as S
from ..domains import Example
from ..rules import primitive
from .elementwise import where
from .shape import getitem


def _write_fwd(x, v, index):
    out = np.array(x, copy=True)
    out[index] = v
    return out


def _written(shape, index):
    """Boolean mask of the positions `index` writes in an array of `shape`."""
    mask = np.zeros(shape, dtype=bool)
    mask[index] = True
    return mask


def _last_writes(shape, index):
    """Boolean mask over ``out[index]``'s elements: True for the write that wins (last)."""
    picked_shape = np.empty(shape, dtype=np.bool_)[index].shape
    ids = np.arange(int(np.prod(picked_shape)), dtype=np.intp).reshape(picked_shape)
    winner = np.full(shape, -1, dtype=np.intp)
    winner[index] = ids
    return winner[index] == ids


def _write_vjp_x(g, ans, x, v, index):
    return where(_written(np.shape(ans), index), 0, g)


def _write_vjp_v(g, ans, x, v, index):
    # g at the written positions, in the order of out[index]; the engine then sums it
    # over the axes along which v was broadcast.
    return where(_last_writes(np.shape(ans), index), getitem(g, index), 0)


def _write_jvp(i, t, ans, x, v, index):
    # Linear in x and v together: the other argument's tangent is zero.
    if i == 0:
        return write(t, np.zeros(np.shape(v), np.result_type(ans)), index=index)
    return write(np.zeros(np.shape(ans), np.result_type(ans)), t, index=index)


def _example(rng):
    x = rng.standard_normal((3, 4))
    v = rng.standard_normal(2)
    return (x, v), {"index": (np.array([0, 2]), slice(1, 3))}


write = primitive(
    "write", _write_fwd,
    batch=B.write_rule,
    domain=Example(_example),
    statement=S.Statement(
        forward="y = x with v written at index (x[index] = v, out of place; where an index "
        "repeats, the last write wins)",
        vjp="x_bar = g where nothing was written, 0 where something was;  v_bar = g at the "
        "positions each element of v was (last) written to, summed over v's broadcast axes",
        latex_forward=r"y_i = \begin{cases} v_{\kappa(i)} & i \in \iota \\ x_i & \text{else} "
        r"\end{cases}",
        latex_vjp=r"\bar x = [i \notin \iota]\,\bar y, \quad \bar v_k = \sum_{i : \kappa(i) = k}"
        r" \bar y_i",
    ),
).defvjp(_write_vjp_x, _write_vjp_v)
write.defjvp(lambda t, ans, x, v, index: _write_jvp(0, t, ans, x, v, index),
             lambda t, ans, x, v, index: _write_jvp(1, t, ans, x, v, index))
