"""Sorting and selection: sort with indices, topk, kthvalue, medians, quantiles, unique.

Each differentiable result is a gather: NumPy computes the permutation (always a
stable sort, so ties are broken the same way every time), and the values are read
with ``take_along_axis``. The gradient of a selected value goes to the element the
sort put in that place; at a tie (several equal inputs) that is the one the stable
sort places first (for descending order, the one with the lower index, as PyTorch's
stable sort does). NaN sorts as the largest value: last in ascending order, first in
descending order.

PyTorch's names (``sort``, ``topk``, ``kthvalue``, ``median``, ``nanmedian``,
``searchsorted``, ``unique``) take ``dim`` and return ``(values, indices)`` where
PyTorch does; NumPy's quantile family is ``quantile`` (all of NumPy's methods) and
``median`` for NumPy is ``numpy_median`` (the mean of the two middle values for an
even count, where PyTorch's median returns the lower one).
"""

from __future__ import annotations

import collections
import math

import numpy as np

from ..graph import is_tensor, new_tensor
from ..rules import composite
from .elementwise import astype, where
from .shape import getitem, normalize_axes, reshape, take_along_axis, transpose


def _values(x):
    return x.data if is_tensor(x) else np.asarray(x)


def _named(name):
    return collections.namedtuple(name, ["values", "indices"])


SortResult = _named("sort")
TopkResult = _named("topk")
KthvalueResult = _named("kthvalue")
MedianResult = _named("median")
NanmedianResult = _named("nanmedian")


def _indices_out(idx, like):
    """int64 indices, as a tensor when the input was one (indices carry no gradient)."""
    idx = np.asarray(idx, dtype=np.int64)
    return new_tensor(idx) if is_tensor(like) else idx


def order(v, axis, descending=False):
    """The stable sorting permutation of array `v` along `axis` (NaN the largest)."""
    if not descending:
        return np.argsort(v, axis=axis, kind="stable")
    # Reversing, sorting stably and reversing again orders ties by ascending index.
    n = v.shape[axis]
    return (n - 1) - np.flip(np.argsort(np.flip(v, axis), axis=axis, kind="stable"), axis)


def _dim(x, dim, op):
    return normalize_axes(dim, np.ndim(x), op)[0]


def _scalar_case(input, result):
    """sort/topk/kthvalue/median of a 0-d input: the value itself and index 0."""
    return result(reshape(input, ()), _indices_out(np.zeros((), np.int64), input))


# ---------------------------------------------------------------- PyTorch names
@composite
def sort(input, dim=-1, descending=False, stable=False):
    """PyTorch's sort: (values, indices) along dim; always stable (ties keep their order)."""
    if np.ndim(input) == 0:
        return _scalar_case(input, SortResult)
    dim = _dim(input, dim, "sort")
    idx = order(_values(input), dim, descending)
    return SortResult(take_along_axis(input, idx, dim), _indices_out(idx, input))


def argsort(input, dim=-1, descending=False, stable=False):
    """PyTorch's argsort: the indices that sort input along dim (stable; no gradient)."""
    data = _values(input)
    if data.ndim == 0:
        return _indices_out(np.zeros((), np.int64), input)
    return _indices_out(order(data, _dim(input, dim, "argsort"), descending), input)


@composite
def topk(input, k, dim=-1, largest=True, sorted=True):
    """PyTorch's topk: the k largest (or smallest) values along dim and their indices.

    Returned in sorted order (also with sorted=False, which allows any order); among
    equal values the lower index comes first.
    """
    if np.ndim(input) == 0:
        if k not in (0, 1):
            raise ValueError(f"topk: k={k} out of range for a 0-d input")
        return _scalar_case(input, TopkResult)
    dim = _dim(input, dim, "topk")
    n = np.shape(input)[dim]
    if not 0 <= k <= n:
        raise ValueError(f"topk: k={k} out of range for dimension {dim} of size {n}")
    idx = np.take(order(_values(input), dim, descending=largest), np.arange(k), axis=dim)
    return TopkResult(take_along_axis(input, idx, dim), _indices_out(idx, input))


def _rank_along(input, dim, rank, keepdim, result):
    """The value of rank `rank` (an int array, one per slice) along dim, with its index."""
    data = _values(input)
    idx = np.take_along_axis(order(data, dim), np.expand_dims(rank, dim), dim)
    values = take_along_axis(input, idx, dim)
    if not keepdim:
        values = reshape(values, np.shape(values)[:dim] + np.shape(values)[dim + 1:])
        idx = np.squeeze(idx, dim)
    return result(values, _indices_out(idx, input))


@composite
def kthvalue(input, k, dim=-1, keepdim=False):
    """PyTorch's kthvalue: the k-th smallest value along dim (k from 1) and its index."""
    if np.ndim(input) == 0:
        if k != 1:
            raise ValueError(f"kthvalue: k={k} out of range for a 0-d input")
        return _scalar_case(input, KthvalueResult)
    dim = _dim(input, dim, "kthvalue")
    n = np.shape(input)[dim]
    if not 1 <= k <= n:
        raise ValueError(f"kthvalue: k={k} out of range for dimension {dim} of size {n}")
    rank = np.full(np.delete(np.shape(input), dim), k - 1)
    return _rank_along(input, dim, rank, keepdim, KthvalueResult)


def _lower_median_rank(data, dim, skip_nan):
    """Per slice: the rank of the lower median (of the non-NaN values with skip_nan; else
    that of the first NaN if there is one, so the result is NaN as in PyTorch)."""
    n = data.shape[dim]
    nans = np.isnan(data).sum(axis=dim) if data.dtype.kind == "f" else np.zeros(
        np.delete(data.shape, dim), dtype=np.intp)
    valid = n - nans
    if skip_nan:
        return np.maximum((valid - 1) // 2, 0)
    return np.where(nans > 0, valid, (n - 1) // 2)


def _torch_median(input, dim, keepdim, skip_nan, result, op):
    if np.size(input) == 0:
        raise ValueError(f"{op}: the input is empty; a median needs at least one value")
    if dim is None:
        flat = reshape(input, (-1,))
        rank = _lower_median_rank(_values(flat), 0, skip_nan)
        return _rank_along(flat, 0, rank, False, result).values
    if np.ndim(input) == 0:
        return _scalar_case(input, result)
    dim = _dim(input, dim, op)
    rank = _lower_median_rank(_values(input), dim, skip_nan)
    return _rank_along(input, dim, rank, keepdim, result)


@composite
def median(input, dim=None, keepdim=False):
    """PyTorch's median: the lower of the two middle values for an even count (NaN if any
    value is NaN). Without dim, a 0-d value; with dim, (values, indices)."""
    return _torch_median(input, dim, keepdim, False, MedianResult, "median")


@composite
def nanmedian(input, dim=None, keepdim=False):
    """PyTorch's nanmedian: median ignoring NaN (NaN only for an all-NaN slice)."""
    return _torch_median(input, dim, keepdim, True, NanmedianResult, "nanmedian")


# ------------------------------------------------------------- NumPy quantiles
# Hyndman and Fan's continuous methods: the virtual index is
# n q + alpha + q (1 - alpha - beta) - 1, interpolated linearly.
_CONTINUOUS = {
    "interpolated_inverted_cdf": (0.0, 1.0),
    "hazen": (0.5, 0.5),
    "weibull": (0.0, 0.0),
    "linear": (1.0, 1.0),
    "median_unbiased": (1 / 3.0, 1 / 3.0),
    "normal_unbiased": (3 / 8.0, 3 / 8.0),
}
_DISCRETE = ("inverted_cdf", "closest_observation", "lower", "higher", "nearest")
METHODS = (*_DISCRETE[:2], "averaged_inverted_cdf", *_CONTINUOUS, "lower", "higher",
           "midpoint", "nearest")


def _discrete_index(method, n, q):
    """The order statistic NumPy's discrete methods pick (an int array)."""
    if method == "lower":
        return np.floor((n - 1) * q)
    if method == "higher":
        return np.ceil((n - 1) * q)
    if method == "nearest":
        return np.around((n - 1) * q)
    v = n * q - 1 - (0.5 if method == "closest_observation" else 0.0)
    prev = np.floor(v)
    at_boundary = v == prev
    if method == "closest_observation":
        # The nearest even order statistic (1-based) at g = 0.
        at_boundary &= prev % 2 == 1
    return np.maximum(np.where(at_boundary, prev, prev + 1), 0)


def _virtual_index(method, n, q):
    """NumPy's virtual index for the interpolating methods (works on tensors too)."""
    if method == "linear":
        return (n - 1) * q
    if method == "averaged_inverted_cdf":
        return n * q - 1
    if method == "midpoint":
        qv = _values(q)
        return 0.5 * (np.floor((n - 1) * qv) + np.ceil((n - 1) * qv))
    alpha, beta = _CONTINUOUS[method]
    return n * q + (alpha + q * (1 - alpha - beta)) - 1


def _lerp(a, b, t):
    """a + (b - a) t, as b - (b - a)(1 - t) for t >= 1/2 (NumPy's quantile does so)."""
    d = b - a
    big = np.asarray(_values(t) >= 0.5)
    return where(big, b - d * (1 - t), a + d * t)


def _as_float(x):
    if np.result_type(_values(x)).kind not in "fc":
        return astype(x, np.float64) if is_tensor(x) else np.asarray(x, dtype=np.float64)
    return x


def _order_statistics(a, axis, skip_nan, op):
    """Slices of `a` along the reduced axes, ready to read order statistics from.

    Returns (pick, data_sorted, count, kept_shape, axes): pick(rank) reads the element
    of sorted rank `rank` (an int array broadcasting against the kept shape) in each
    slice, differentiably; count is the number of values (non-NaN ones with skip_nan).
    """
    a = _as_float(a)
    shape = np.shape(a)
    nd = len(shape)
    axes = tuple(range(nd)) if axis is None else normalize_axes(axis, nd, op)
    kept = tuple(d for d in range(nd) if d not in axes)
    kept_shape = tuple(shape[d] for d in kept)
    n = math.prod(shape[d] for d in axes)
    if n == 0:
        raise ValueError(f"{op}: cannot take it of an empty slice (input shape {shape})")
    rows = reshape(transpose(a, kept + axes) if nd else a, kept_shape + (n,))
    data = _values(rows)
    perm = order(data, -1)
    ranked = np.take_along_axis(data, perm, -1)
    count = np.full(kept_shape, n)
    if skip_nan:
        count = count - np.isnan(data).sum(-1)
    # Flat position in `rows` of the element of rank k in slice r: r n + perm[r, k].
    base = np.arange(math.prod(kept_shape), dtype=np.intp).reshape(kept_shape) * n
    positions = (perm.reshape(-1, n) + base.reshape(-1, 1)).reshape(-1)
    flat = reshape(rows, (-1,))

    def pick(rank):
        return getitem(flat, positions[base + rank])

    return pick, ranked, count, kept_shape, axes


def _nan_slices(out, ranked, count, skip_nan):
    """NaN where a slice holds NaN (without skip_nan) or only NaN (with it)."""
    if ranked.dtype.kind != "f":
        return out
    bad = count == 0 if skip_nan else np.isnan(ranked[..., -1])
    if bad.any():
        out = where(bad, np.asarray(np.nan, ranked.dtype), out)
    return out


def _keepdims(out, shape, axes, lead=()):
    return reshape(out, lead + tuple(1 if d in axes else s for d, s in enumerate(shape)))


@composite
def quantile(a, q, axis=None, method="linear", keepdims=False, skip_nan=False, op="quantile"):
    """NumPy's quantile (q in [0, 1]) over `axis` with any of NumPy's methods.

    The result has shape q.shape + the kept axes. skip_nan ignores NaN (nanquantile);
    otherwise a slice holding NaN gives NaN. Differentiable in `a` (the gradient goes
    to the one or two order statistics used, split by the interpolation weight) and,
    for the interpolating methods, in `q`.
    """
    if method not in METHODS:
        raise ValueError(f"{op}: method must be one of {', '.join(METHODS)}; got {method!r}")
    qv = np.asarray(_values(q), dtype=float)
    if qv.ndim > 2:
        raise ValueError(f"{op}: q must be a scalar or 1-D, got shape {qv.shape}")
    if qv.size and not (np.all(qv >= 0) and np.all(qv <= 1)):
        raise ValueError(f"{op}: quantiles must be in the range [0, 1], got {qv}")
    pick, ranked, count, kept_shape, axes = _order_statistics(a, axis, skip_nan, op)
    # Quantile axes first, then the kept axes, as NumPy orders its result.
    lead = (1,) * len(kept_shape)
    q = reshape(q, qv.shape + lead) if is_tensor(q) else qv.reshape(qv.shape + lead)
    qv = qv.reshape(qv.shape + lead)
    last = np.maximum(count - 1, 0)
    if method in _DISCRETE:
        out = pick(np.minimum(_discrete_index(method, count, qv), last).astype(np.intp))
    else:
        v = _virtual_index(method, count, q)
        vv = np.asarray(_values(v), dtype=float)
        prev = np.floor(vv)
        inside = (vv >= 0) & (vv < last)
        lo = np.where(inside, prev, np.where(vv < 0, 0, last)).astype(np.intp)
        hi = np.where(inside, prev + 1, lo).astype(np.intp)
        if method == "averaged_inverted_cdf":
            gamma = np.where(vv == prev, 0.5, 1.0)
        elif method == "midpoint":
            gamma = np.where(vv % 1 == 0, 0.0, 0.5)
        else:
            gamma = v - prev  # a tensor when q is one: the q-gradient flows through it
        out = _lerp(pick(lo), pick(hi), where(inside, gamma, 0.0))
    out = _nan_slices(out, ranked, count, skip_nan)
    if keepdims:
        out = _keepdims(out, np.shape(a), axes, qv.shape[: qv.ndim - len(lead)])
    return out


@composite
def numpy_median(a, axis=None, keepdims=False, skip_nan=False):
    """NumPy's median: the mean of the two middle values for an even count.

    NaN anywhere in a slice gives NaN, unless skip_nan (nanmedian). Each of the two
    middle values gets half the gradient (all of it for an odd count).
    """
    pick, ranked, count, kept_shape, axes = _order_statistics(a, axis, skip_nan, "median")
    lo = np.maximum((count - 1) // 2, 0)
    out = (pick(lo) + pick(count // 2 - (count == 0))) * 0.5
    out = _nan_slices(out, ranked, count, skip_nan)
    return _keepdims(out, np.shape(a), axes) if keepdims else out


_TORCH_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _torch_quantile(input, q, dim, keepdim, interpolation, skip_nan, op):
    if interpolation not in _TORCH_METHODS:
        raise ValueError(f"{op}: interpolation must be one of {', '.join(_TORCH_METHODS)}, "
                         f"got {interpolation!r}")
    if np.ndim(q) > 1:
        raise ValueError(f"{op}: q must be a scalar or 1-D, got shape {np.shape(q)}")
    return quantile(input, q, axis=dim, method=interpolation, keepdims=keepdim,
                    skip_nan=skip_nan, op=op)


@composite
def torch_quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """PyTorch's quantile: NumPy's with dim, keepdim and five interpolation methods."""
    return _torch_quantile(input, q, dim, keepdim, interpolation, False, "quantile")


@composite
def torch_nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """PyTorch's nanquantile: quantile ignoring NaN."""
    return _torch_quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")


# ------------------------------------------------------ searching and unique values
def searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """PyTorch's searchsorted: insertion points of values into sorted_sequence (no gradient).

    A 1-D sequence serves every value; an N-D one is searched row by row, its leading
    dimensions matching those of values. side='left' (the default, right=False) gives
    the first suitable place, 'right' the last.
    """
    if side is None:
        side = "right" if right else "left"
    elif side not in ("left", "right") or (right and side == "left"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right' (and agree with "
                         f"right={right}), got {side!r}")
    seq, vals = _values(sorted_sequence), _values(values)
    perm = None if sorter is None else _values(sorter)
    if seq.ndim <= 1:
        out = np.searchsorted(seq, vals, side=side, sorter=perm)
    else:
        if vals.ndim != seq.ndim or vals.shape[:-1] != seq.shape[:-1]:
            raise ValueError(
                f"searchsorted: an N-D sorted_sequence of shape {seq.shape} needs values "
                f"with the same leading dimensions, got shape {vals.shape}"
            )
        out = np.empty(vals.shape, dtype=np.intp)
        for row in np.ndindex(seq.shape[:-1]):
            out[row] = np.searchsorted(seq[row], vals[row], side=side,
                                       sorter=None if perm is None else perm[row])
    out = np.asarray(out, dtype=np.int32 if out_int32 else np.int64)
    traced = is_tensor(sorted_sequence) or is_tensor(values)
    return new_tensor(out) if traced else out


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """PyTorch's unique: the distinct values (or slices along dim), sorted (no gradient).

    With return_inverse, also where each input element (slice) went, in the input's
    shape (dim=None) or as one index per slice; with return_counts, how often each occurs.
    """
    data = _values(input)
    axis = None if dim is None else _dim(data, dim, "unique")
    res = np.unique(data, return_inverse=True, return_counts=True, axis=axis)
    vals, inverse, counts = res
    inverse = inverse.reshape(data.shape if axis is None else (-1,))
    wrap = (lambda v: new_tensor(np.asarray(v))) if is_tensor(input) else np.asarray
    out = [wrap(vals)]
    if return_inverse:
        out.append(wrap(inverse.astype(np.int64)))
    if return_counts:
        out.append(wrap(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)
