"""Row gathers and their adjoint, the row scatter-sum: embeddings and bags of embeddings.

    gather_rows(w, indices)            y[k] = w[indices[k]]          (..., D) from (V, D)
    scatter_rows(g, indices, rows=V)   y[r] = sum_{k: indices[k] = r} g[k]

Each is linear and the other's adjoint, so each one's VJP and JVP are written with the
other (or itself), to every order. They exist beside getitem / scatter_add for speed:
NumPy's ``np.add.at`` (scatter_add's accumulation) measured 5-8x slower than sorting the
indices once and summing runs of equal ones with ``np.add.reduceat`` (2,048 rows of 128
floats into 96 or 50,000 rows; docs/performance.md).
"""

from __future__ import annotations

import numpy as np

from .. import batching as B
from .. import statements as S
from ..domains import Example
from ..graph import is_tensor
from ..rules import primitive


def _gather_fwd(w, indices):
    return np.take(np.asarray(w), indices, axis=0)


def _scatter_fwd(g, indices, rows):
    g = np.asarray(g)
    idx = np.asarray(indices)
    d = g.shape[idx.ndim:]
    flat = g.reshape((idx.size,) + d)
    idx = idx.reshape(-1)
    out = np.zeros((rows,) + d, dtype=g.dtype)
    if idx.size == 0:
        return out
    order = np.argsort(idx, kind="stable")
    sorted_idx = idx[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_idx[1:] != sorted_idx[:-1])))
    out[sorted_idx[starts]] = np.add.reduceat(flat[order], starts, axis=0)
    return out


def _example_gather(rng):
    return (rng.standard_normal((4, 3)),), {"indices": np.array([[0, 2], [2, 3]])}


def _example_scatter(rng):
    return (rng.standard_normal((2, 2, 3)),), {"indices": np.array([[0, 2], [2, 3]]), "rows": 4}


gather_rows = primitive(
    "gather_rows", _gather_fwd,
    linear=True,
    domain=Example(_example_gather),
    statement=S.Statement(
        forward="y[k] = w[indices[k]]: rows of a (V, ...) table at integer indices (an "
        "embedding lookup)",
        vjp="w_bar = scatter_rows(g, indices, V): each row's cotangents summed, repeated "
        "indices accumulating",
        latex_forward=r"y_k = w_{\iota(k)}",
        latex_vjp=r"\bar w_r = \sum_{k:\iota(k) = r} \bar y_k",
    ),
)

scatter_rows = primitive(
    "scatter_rows", _scatter_fwd,
    linear=True,
    domain=Example(_example_scatter),
    statement=S.Statement(
        forward="y[r] = sum of the rows g[k] with indices[k] = r (the adjoint of gather_rows; "
        "also a segment sum)",
        vjp="g_bar = gather_rows(ybar, indices)",
        latex_forward=r"y_r = \sum_{k:\iota(k) = r} g_k",
        latex_vjp=r"\bar g_k = \bar y_{\iota(k)}",
    ),
).defvjp(lambda g, ans, v, indices, rows: _with_indices(gather_rows, g, indices))
gather_rows.defvjp(
    lambda g, ans, w, indices: _with_indices(scatter_rows, g, indices, rows=np.shape(w)[0]))


def _with_indices(prim, x, indices, **kw):
    # Indices are a keyword (a constant) when they are an array, and an argument when
    # they are a tensor: computed, or traced by cr.compile or cr.vmap, whose calls or
    # examples each read their own (nn.functional.embedding passes them so).
    if is_tensor(indices):
        return prim(x, indices, **kw)
    return prim(x, indices=indices, **kw)


def _gather_rule(prim, args, batched, kw):
    # Only the indices batched: a lookup of every example's indices at once, the batch
    # axis leading the result as it leads the indices.
    if len(args) == 2 and not batched[0]:
        return prim(*args, **kw)
    return B.one_at_a_time(prim, args, batched, kw)


gather_rows.batch = _gather_rule
