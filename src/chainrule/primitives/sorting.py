"""Sorting and selection: sort with indices, topk, kthvalue, medians, quantiles, unique.

Each differentiable result is a gather: the ``sort_order`` primitive computes the
permutation (always a stable sort's, so ties are broken the same way every time), and
the values are read with ``gather_along``; both are recorded, so ``cr.vmap`` sorts
every example. The gradient of a selected value goes to the element the
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
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .. import batching as B
from .. import statements as S
from ..api_types import tensor_function
from ..graph import is_tensor, new_tensor, new_tensor_as
from ..graph import values as _values
from ..rules import composite, nondifferentiable
from ..tracing import concrete
from .elementwise import (
    astype,
    ceil,
    equal,
    floor,
    greater,
    greater_equal,
    isfinite,
    isnan,
    less,
    logical_and,
    maximum,
    minimum,
    round,
    where,
)
from .indexing import gather_along
from .reductions import sum
from .shape import broadcast_to, getitem, normalize_axes, reshape, transpose
from .ufuncs import mod

if TYPE_CHECKING:
    from ..api_types import Interpolation, Operand, ValuesIndices
    from ..tensor import Tensor


def _named(name):
    return collections.namedtuple(name, ["values", "indices"])


SortResult = _named("sort")
TopkResult = _named("topk")
KthvalueResult = _named("kthvalue")
MedianResult = _named("median")
NanmedianResult = _named("nanmedian")


# ------------------------------------------------------------ the permutation
def _stable_argsort(x, axis):
    """np.argsort(x, axis, kind="stable"), computed by the faster quicksort when x has no
    two equal values (or NaN) along axis: only ties tell the two orders apart."""
    order = np.argsort(x, axis=axis)
    if x.dtype.kind != "f" or x.shape[axis] < 2:
        return np.argsort(x, axis=axis, kind="stable")
    ranked = np.take_along_axis(x, order, axis)
    # (NaN sorts last; two of them are a tie too. Neighbours are compared, not
    # subtracted: inf - inf is NaN, which would hide a tie of two infinities.)
    n = ranked.shape[axis]
    tied = np.take(ranked, range(1, n), axis=axis) == np.take(ranked, range(n - 1), axis=axis)
    if tied.any() or np.isnan(np.take(ranked, [-2], axis=axis)).any():
        return np.argsort(x, axis=axis, kind="stable")
    return order


def _order_fwd(x, axis=-1, descending=False):
    x = np.asarray(x)
    if not descending:
        return _stable_argsort(x, axis)
    # Reversing, sorting stably and reversing again orders ties by ascending index.
    n = x.shape[axis]
    return (n - 1) - np.flip(_stable_argsort(np.flip(x, axis), axis), axis)


# A primitive (not a NumPy call inside each function) so that the permutation is part
# of the recorded computation: cr.vmap recomputes it for every example.
sort_order = nondifferentiable(
    "sort_order", _order_fwd,
    batch=B.softmax_rule,
    statement=S.step("the stable sorting permutation along axis (NaN the largest; "
                     "descending keeps equal values in index order)",
                     r"\operatorname{argsort} x"),
)


def _dim(x, dim, op):
    return normalize_axes(dim, np.ndim(x), op)[0]


def _zero_index(like):
    zero = np.zeros((), np.int64)
    return new_tensor_as(zero, like) if is_tensor(like) else zero  # (a front end's class)


def _scalar_case(input, result):
    """sort/topk/kthvalue/median of a 0-d input: the value itself and index 0."""
    return result(reshape(input, ()), _zero_index(input))


def _squeeze(x, dim):
    shape = np.shape(x)
    return reshape(x, shape[:dim] + shape[dim + 1:])


def _int(x):
    """An index computed in floating point, as int64 (a tensor stays a tensor)."""
    return astype(x, np.int64) if is_tensor(x) else np.asarray(x).astype(np.int64)


# ---------------------------------------------------------------- PyTorch names
@composite
def sort(
    input: Operand, dim: int = -1, descending: bool = False, stable: bool = False
) -> ValuesIndices:
    """PyTorch's sort: (values, indices) along dim; always stable (ties keep their order)."""
    if np.ndim(input) == 0:
        return _scalar_case(input, SortResult)
    dim = _dim(input, dim, "sort")
    idx = sort_order(input, axis=dim, descending=descending)
    return SortResult(gather_along(input, idx, axis=dim), idx)


@tensor_function
def argsort(
    input: Operand, dim: int | None = -1, descending: bool = False, stable: bool = False
) -> Tensor:
    """PyTorch's argsort: the indices that sort input along dim (stable; no gradient)."""
    if np.ndim(input) == 0:
        return _zero_index(input)
    return sort_order(input, axis=_dim(input, dim, "argsort"), descending=descending)


@composite
def topk(
    input: Operand, k: int, dim: int = -1, largest: bool = True, sorted: bool = True
) -> ValuesIndices:
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
    idx = getitem(sort_order(input, axis=dim, descending=largest),
                  (slice(None),) * dim + (slice(0, k),))
    return TopkResult(gather_along(input, idx, axis=dim), idx)


def _at_rank(input, dim, rank, keepdim, result):
    """The value of sorted rank `rank` (int, one per slice, the dim kept as 1) and its index."""
    idx = gather_along(sort_order(input, axis=dim), rank, axis=dim)
    values = gather_along(input, idx, axis=dim)
    if not keepdim:
        values, idx = _squeeze(values, dim), _squeeze(idx, dim)
    return result(values, idx)


def _kept(shape, dim):
    return tuple(1 if d == dim else s for d, s in enumerate(shape))


@composite
def kthvalue(input: Operand, k: int, dim: int = -1, keepdim: bool = False) -> ValuesIndices:
    """PyTorch's kthvalue: the k-th smallest value along dim (k from 1) and its index."""
    if np.ndim(input) == 0:
        if k != 1:
            raise ValueError(f"kthvalue: k={k} out of range for a 0-d input")
        return _scalar_case(input, KthvalueResult)
    dim = _dim(input, dim, "kthvalue")
    n = np.shape(input)[dim]
    if not 1 <= k <= n:
        raise ValueError(f"kthvalue: k={k} out of range for dimension {dim} of size {n}")
    rank = np.full(_kept(np.shape(input), dim), k - 1)
    return _at_rank(input, dim, rank, keepdim, KthvalueResult)


def _nan_count(x, axis):
    """The number of NaN along axis (kept as size 1); 0 for data that cannot hold NaN."""
    if _values(x).dtype.kind not in "fc":
        return np.zeros(_kept(np.shape(x), axis), dtype=np.int64)
    return sum(isnan(x), axis=axis, keepdims=True)


def _lower_median_rank(x, dim, skip_nan):
    """Per slice: the rank of the lower median (of the non-NaN values with skip_nan; else
    that of the first NaN if there is one, so the result is NaN as in PyTorch)."""
    n = np.shape(x)[dim]
    nans = _nan_count(x, dim)
    if skip_nan:
        return _int(maximum(floor((n - 1 - nans) / 2), 0))
    return _int(where(greater(nans, 0), n - nans, (n - 1) // 2))


def _torch_median(input, dim, keepdim, skip_nan, result, op):
    if np.size(input) == 0:
        raise ValueError(f"{op}: the input is empty; a median needs at least one value")
    if dim is None:
        flat = reshape(input, (-1,))
        rank = _lower_median_rank(flat, 0, skip_nan)
        return _evenly_shared(flat, _at_rank(flat, 0, rank, False, result).values)
    if np.ndim(input) == 0:
        return _scalar_case(input, result)
    dim = _dim(input, dim, op)
    return _at_rank(input, dim, _lower_median_rank(input, dim, skip_nan), keepdim, result)


def _evenly_shared(flat, value):
    """``value`` (a median of the whole of ``flat``) with its gradient shared evenly by
    every element equal to it, as PyTorch's median and nanmedian without dim do. The
    value itself stays exact: it is ``value`` plus a term that is exactly 0 (each tied
    element minus the median, which it equals), whose derivative is 1/k at each of the
    k ties. An infinite or NaN median cannot be written so (inf - inf is NaN); its
    gradient goes to the one element ``value`` came from."""
    from .pointwise import stop_gradient  # (pointwise builds on this module's neighbours)

    if _values(flat).dtype.kind not in "fc":
        return value  # (integers and bools carry no gradient)
    v = stop_gradient(value)
    finite = isfinite(v)
    ties = equal(flat, v)
    # (with the median replaced by 0 where it is not finite, and a count of at least 1,
    # the branch not taken computes without invalid operations)
    offset = flat - where(finite, v, 0)
    count = maximum(sum(ties), 1)
    share = sum(where(ties, offset, 0)) / astype(count, _values(flat).dtype)
    return where(finite, v + share, value)


@composite
def median(input: Operand, dim: int | None = None, keepdim: bool = False) -> Any:
    """PyTorch's median: the lower of the two middle values for an even count (NaN if any
    value is NaN). Without dim, a 0-d value; with dim, (values, indices)."""
    return _torch_median(input, dim, keepdim, False, MedianResult, "median")


@composite
def nanmedian(input: Operand, dim: int | None = None, keepdim: bool = False) -> Any:
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
    """The order statistic NumPy's discrete methods pick (a float holding an integer)."""
    if method == "lower":
        return floor((n - 1) * q)
    if method == "higher":
        return ceil((n - 1) * q)
    if method == "nearest":
        return round((n - 1) * q)  # half to even, as np.around
    v = n * q - 1 - (0.5 if method == "closest_observation" else 0.0)
    prev = floor(v)
    at_boundary = equal(v, prev)
    if method == "closest_observation":
        # The nearest even order statistic (1-based) at g = 0.
        at_boundary = logical_and(at_boundary, equal(mod(prev, 2), 1))
    return maximum(where(at_boundary, prev, prev + 1), 0)


def _virtual_index(method, n, q):
    """NumPy's virtual index for the interpolating methods."""
    if method == "linear":
        return (n - 1) * q
    if method == "averaged_inverted_cdf":
        return n * q - 1
    if method == "midpoint":
        return 0.5 * (floor((n - 1) * q) + ceil((n - 1) * q))
    alpha, beta = _CONTINUOUS[method]
    return n * q + (alpha + q * (1 - alpha - beta)) - 1


def _lerp(a, b, t):
    """a + (b - a) t, as b - (b - a)(1 - t) for t >= 1/2 (NumPy's quantile does so)."""
    d = b - a
    return where(greater_equal(t, 0.5), b - d * (1 - t), a + d * t)


def _as_float(x):
    if np.result_type(_values(x)).kind not in "fc":
        return astype(x, np.float64) if is_tensor(x) else np.asarray(x, dtype=np.float64)
    return x


class _Slices:
    """The slices of `a` along the reduced axes, sorted, to read order statistics from.

    ``count`` is the number of values per slice (the non-NaN ones with skip_nan), an
    array or tensor of the kept shape; ``pick(rank)`` reads, differentiably, the element
    of sorted rank `rank` (integers of shape lead + kept shape) in each slice.
    """

    def __init__(self, a, axis, skip_nan, op):
        a = _as_float(a)
        self.shape = np.shape(a)
        nd = len(self.shape)
        self.axes = tuple(range(nd)) if axis is None else normalize_axes(axis, nd, op)
        kept = tuple(d for d in range(nd) if d not in self.axes)
        self.kept = tuple(self.shape[d] for d in kept)
        n = math.prod(self.shape[d] for d in self.axes)
        if n == 0:
            raise ValueError(f"{op}: cannot take it of an empty slice (input shape "
                             f"{self.shape})")
        rows = reshape(transpose(a, kept + self.axes) if nd else a, self.kept + (n,))
        self.ranked = gather_along(rows, sort_order(rows, axis=-1), axis=-1)
        self.count = np.full(self.kept, n)
        if skip_nan:
            # (In the data's float dtype: the quantile arithmetic must not upcast float32.)
            self.count = astype(n - sum(isnan(rows), axis=-1), _values(rows).dtype)
        self.skip_nan = skip_nan

    def pick(self, rank, lead=()):
        k = len(self.kept)
        rank = broadcast_to(_int(rank), lead + self.kept)
        # The lead (quantile) axes go last, so each slice is read along its last axis.
        q = math.prod(lead)
        rank = transpose(reshape(rank, (q,) + self.kept), tuple(range(1, k + 1)) + (0,))
        got = gather_along(self.ranked, rank, axis=-1)
        return reshape(transpose(got, (k,) + tuple(range(k))), lead + self.kept)

    def nan_where_undefined(self, out):
        """NaN where a slice holds NaN (without skip_nan) or only NaN (with it)."""
        if self.skip_nan:
            bad = equal(self.count, 0)
        else:
            bad = isnan(getitem(self.ranked, (Ellipsis, -1)))
        return where(bad, np.asarray(np.nan, _values(self.ranked).dtype), out)

    def keepdims(self, out, lead=()):
        return reshape(out, lead + tuple(1 if d in self.axes else s
                                         for d, s in enumerate(self.shape)))


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
    slices = _Slices(a, axis, skip_nan, op)
    lead = qv.shape
    # Quantile axes first, then the kept axes, as NumPy orders its result.
    q = reshape(q, lead + (1,) * len(slices.kept)) if is_tensor(q) else qv.reshape(
        lead + (1,) * len(slices.kept))
    n = slices.count
    last = maximum(n - 1, 0)
    if method in _DISCRETE:
        out = slices.pick(minimum(_discrete_index(method, n, q), last), lead)
    else:
        v = _virtual_index(method, n, q)
        prev = floor(v)
        inside = logical_and(greater_equal(v, 0), less(v, last))
        lo = where(inside, prev, where(less(v, 0), 0, last))
        hi = where(inside, prev + 1, lo)
        if method == "averaged_inverted_cdf":
            gamma = where(equal(v, prev), 0.5, 1.0)
        elif method == "midpoint":
            gamma = where(equal(v, prev), 0.0, 0.5)
        else:
            gamma = v - prev  # a tensor when q is one: the q-gradient flows through it
        out = _lerp(slices.pick(lo, lead), slices.pick(hi, lead), where(inside, gamma, 0.0))
    out = slices.nan_where_undefined(out)
    return slices.keepdims(out, lead) if keepdims else out


@composite
def numpy_median(a, axis=None, keepdims=False, skip_nan=False):
    """NumPy's median: the mean of the two middle values for an even count.

    NaN anywhere in a slice gives NaN, unless skip_nan (nanmedian). Each of the two
    middle values gets half the gradient (all of it for an odd count).
    """
    if np.size(a) == 0:
        # NumPy's median of empty slices: NaN of the reduced shape (NumPy also warns).
        return sum(_as_float(a), axis=axis, keepdims=keepdims) * np.nan
    slices = _Slices(a, axis, skip_nan, "median")
    n = slices.count
    lo = maximum(floor((n - 1) / 2), 0)
    out = (slices.pick(lo) + slices.pick(floor(n / 2))) * 0.5
    out = slices.nan_where_undefined(out)
    return slices.keepdims(out) if keepdims else out


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
def torch_quantile(
    input: Operand, q: float | Operand, dim: int | None = None, keepdim: bool = False, *,
    interpolation: Interpolation = "linear",
) -> Tensor:
    """PyTorch's quantile: NumPy's with dim, keepdim and five interpolation methods."""
    return _torch_quantile(input, q, dim, keepdim, interpolation, False, "quantile")


@composite
def torch_nanquantile(
    input: Operand, q: float | Operand, dim: int | None = None, keepdim: bool = False, *,
    interpolation: Interpolation = "linear",
) -> Tensor:
    """PyTorch's nanquantile: quantile ignoring NaN."""
    return _torch_quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")


# ------------------------------------------------------ searching and unique values
def _searchsorted_fwd(sorted_sequence, values, side="left", sorter=None):
    seq, vals = np.asarray(sorted_sequence), np.asarray(values)
    if seq.ndim <= 1:
        return np.searchsorted(seq, vals, side=side, sorter=sorter).astype(np.int64)
    if vals.ndim != seq.ndim or vals.shape[:-1] != seq.shape[:-1]:
        raise ValueError(
            f"searchsorted: an N-D sorted_sequence of shape {seq.shape} needs values "
            f"with the same leading dimensions, got shape {vals.shape}"
        )
    out = np.empty(vals.shape, dtype=np.int64)
    for row in np.ndindex(seq.shape[:-1]):
        out[row] = np.searchsorted(seq[row], vals[row], side=side,
                                   sorter=None if sorter is None else sorter[row])
    return out


def _searchsorted_rule(prim, args, batched, kw):
    # One 1-D sequence for every example: the batch of values is just more values.
    if not batched[0] and np.ndim(args[0]) <= 1 and kw.get("sorter") is None:
        return prim(*args, **kw)
    return B.one_at_a_time(prim, args, batched, kw)


_searchsorted = nondifferentiable(
    "searchsorted", _searchsorted_fwd,
    batch=_searchsorted_rule,
    statement=S.step("insertion points of values into sorted_sequence (left: the first "
                     "suitable place, right: the last)", r"\operatorname{searchsorted}"),
)


@tensor_function
def searchsorted(
    sorted_sequence: Operand, values: Operand, *, out_int32: bool = False, right: bool = False,
    side: Literal["left", "right"] | None = None, sorter: Operand | None = None,
) -> Tensor:
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
    perm = None if sorter is None else _values(sorter)
    out = _searchsorted(sorted_sequence, values, side=side, sorter=perm)
    return astype(out, np.int32) if out_int32 else out


@tensor_function
def unique(
    input: Operand, sorted: bool = True, return_inverse: bool = False,
    return_counts: bool = False, dim: int | None = None,
) -> Any:
    """PyTorch's unique: the distinct values (or slices along dim), sorted (no gradient).

    With return_inverse, also where each input element (slice) went, in the input's
    shape (dim=None) or as one index per slice; with return_counts, how often each occurs.
    """
    data = concrete(input, "unique")  # (its size depends on the values)
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
