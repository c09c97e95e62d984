"""Reference implementations of PyTorch's semantics, written as plain loops over NumPy
arrays (independent of chainrule's vectorised versions)."""

from __future__ import annotations

import numpy as np


def gather(x, dim, index):
    if x.ndim == 0:  # a 0-d input: index 0 reads the value
        return x.copy()
    out = np.empty(index.shape, dtype=x.dtype)
    for pos in np.ndindex(*index.shape):
        src = list(pos)
        src[dim] = index[pos]
        out[pos] = x[tuple(src)]
    return out


def scatter(x, dim, index, src, add=False):
    out = x.copy()
    for pos in np.ndindex(*index.shape):  # C order: the last write wins
        dst = list(pos)
        dst[dim] = index[pos]
        value = src[pos] if np.ndim(src) else src
        if add:
            out[tuple(dst)] += value
        else:
            out[tuple(dst)] = value
    return out


def index_add(x, dim, index, source, alpha=1.0):
    out = x.copy()
    lead = (slice(None),) * dim
    for k, i in enumerate(index):
        out[lead + (i,)] += alpha * source[lead + (k,)]
    return out


def index_put(x, indices, values, accumulate=False):
    out = x.copy()
    target = np.arange(x.size).reshape(x.shape)[indices]
    values = np.broadcast_to(values, target.shape)
    flat = out.reshape(-1)
    for pos in np.ndindex(*target.shape):
        if accumulate:
            flat[target[pos]] += values[pos]
        else:
            flat[target[pos]] = values[pos]
    return out


def sort_indices(x, dim, descending=False):
    """Stable order along dim, ties by increasing index in both directions."""
    moved = np.moveaxis(x, dim, -1)
    out = np.empty(moved.shape, dtype=np.int64)
    for pos in np.ndindex(*moved.shape[:-1]):
        row = list(moved[pos])
        keys = sorted(range(len(row)), key=lambda i: (-row[i] if descending else row[i], i))
        out[pos] = keys
    return np.moveaxis(out, -1, dim)


def take(x, idx, dim):
    return np.take_along_axis(x, idx, dim)


def running_extreme(x, dim, better):
    if x.size == 0:
        return x.copy(), np.zeros(x.shape, np.int64)
    moved = np.moveaxis(x, dim, -1)
    values = np.empty_like(moved)
    indices = np.empty(moved.shape, dtype=np.int64)
    for pos in np.ndindex(*moved.shape[:-1]):
        best, at = moved[pos][0], 0
        for i, v in enumerate(moved[pos]):
            if better(v, best) or v == best:
                best, at = v, i
            values[pos + (i,)] = best
            indices[pos + (i,)] = at
    return np.moveaxis(values, -1, dim), np.moveaxis(indices, -1, dim)


def diag_embed(x, offset=0, dim1=-2, dim2=-1):
    n = x.shape[-1]
    m = n + abs(offset)
    out = np.zeros(x.shape[:-1] + (m, m))
    for i in range(n):
        r, c = (i, i + offset) if offset >= 0 else (i - offset, i)
        out[..., r, c] = x[..., i]
    nd = out.ndim
    d1, d2 = dim1 % nd, dim2 % nd
    rest = [k for k in range(nd) if k not in (d1, d2)]
    order = [None] * nd
    for k, src in zip(rest, range(nd - 2)):
        order[k] = src
    order[d1], order[d2] = nd - 2, nd - 1
    return np.transpose(out, order)


def unfold(x, dim, size, step):
    dim %= x.ndim
    n = x.shape[dim]
    windows = [np.take(x, np.arange(s, s + size), axis=dim) for s in range(0, n - size + 1, step)]
    stacked = np.stack(windows, axis=dim)  # (..., windows, size along dim+1 ...)
    return np.moveaxis(stacked, dim + 1, -1)
