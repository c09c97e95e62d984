"""Op database entries: sorting and selection, quantiles, running extrema, logcumsumexp,
searchsorted, unique."""

from __future__ import annotations

import numpy as np

import chainrule as cr
import chainrule.numpy as cnp
from chainrule.primitives.sorting import METHODS

from ..core import OpInfo, fixed
from . import refs as R


def _tuple(fn):
    """fn with its named tuple (values, indices) as a plain tuple, for the op database's
    checks, which rebuild results by their type."""

    def call(*args, **kw):
        out = fn(*args, **kw)
        return tuple(out) if isinstance(out, tuple) else out

    call.__name__ = fn.__name__
    return call


def _with(shape, *args, **kw):
    return lambda rng: ((rng.standard_normal(shape), *args), kw)


def _sort_ref(x, dim=-1, descending=False, stable=False):
    if x.ndim == 0:
        return x.copy(), np.array(0)
    idx = R.sort_indices(x, dim, descending)
    return R.take(x, idx, dim), idx


def _topk_ref(x, k, dim=-1, largest=True, sorted=True):
    if x.ndim == 0:
        return x.copy(), np.array(0)
    idx = np.take(R.sort_indices(x, dim, largest), np.arange(k), axis=dim)
    return R.take(x, idx, dim), idx


def _kth_ref(x, k, dim=-1, keepdim=False):
    if x.ndim == 0:
        return x.copy(), np.array(0)
    idx = np.take(R.sort_indices(x, dim), [k - 1], axis=dim)
    values = R.take(x, idx, dim)
    if not keepdim:
        values, idx = np.squeeze(values, dim), np.squeeze(idx, dim)
    return values, idx


def _lower_median_ref(x, dim=None, keepdim=False):
    if dim is None:
        return np.sort(x.ravel())[(x.size - 1) // 2]
    if x.ndim == 0:
        return x.copy(), np.array(0)
    n = x.shape[dim]
    return _kth_ref(x, (n - 1) // 2 + 1, dim, keepdim)


SORT_SAMPLES = fixed(
    _with((3, 4)), _with((3, 4), 0), _with((3, 4), -1, True), _with((1, 3, 1), 1),
    _with((0, 3)), _with(()), _with((5,), 0, True, True),
)

TOPK_SAMPLES = fixed(
    _with((3, 4), 2), _with((3, 4), 3, 0), _with((3, 4), 2, 1, False), _with((4,), 0),
    _with((2, 5), 5, -1, True, False), _with((), 1),
)

KTH_SAMPLES = fixed(
    _with((3, 4), 2), _with((3, 4), 3, 0, True), _with((5,), 1), _with((1, 3), 1, 0),
    _with((), 1),
)

MEDIAN_SAMPLES = fixed(
    _with((3, 4)), _with((3, 4), 1), _with((3, 4), 0, True), _with((4,), 0), _with((5,)),
    _with(()), _with((2, 1), -1),
)


def _quantile_samples(rng):
    specs = []
    for k, method in enumerate(METHODS):
        q = [0.3, np.array([0.0, 0.55, 1.0]), np.array([[0.1, 0.9]])][k % 3]
        axis = [None, 0, -1, (0, 1)][k % 4]
        specs.append(_with((3, 5), q, axis, method=method, keepdims=bool(k % 2)))
    specs += [_with((4,), 0.25), _with((), 0.5), _with((1, 3, 2), [0.2, 0.8], 1)]
    return fixed(*specs)(rng)


def _q_grad_samples(rng):
    # Differentiated in q too, at virtual indices away from the integers (the kinks).
    return fixed(
        lambda r: ((r.standard_normal((3, 5)), np.array([0.13, 0.71]), 1), {}, (0, 1)),
        lambda r: ((r.standard_normal(6), np.array(0.37), None), {"method": "hazen"}, (0, 1)),
        lambda r: ((r.standard_normal((4, 3)), np.array([0.21, 0.64]), 0),
                   {"method": "median_unbiased"}, (0, 1)),
    )(rng)


def _percentile_samples(rng):
    return fixed(
        _with((3, 5), 30.0), _with((3, 5), np.array([5.0, 50.0, 100.0]), 1),
        _with((4,), 75.0, None, method="nearest"), _with((2, 3), 40.0, 0, keepdims=True),
    )(rng)


def _np_median_samples(rng):
    return fixed(
        _with((3, 4)), _with((3, 4), 0), _with((3, 4), 1, keepdims=True), _with((5,)),
        _with(()), _with((2, 3, 2), (0, 2)),
    )(rng)


def _torch_quantile_samples(rng):
    return fixed(
        _with((3, 5), 0.3), _with((3, 5), np.array([0.1, 0.5]), 1),
        _with((3, 5), 0.3, 0, True, interpolation="midpoint"),
        _with((4,), np.array([0.2, 0.8]), interpolation="nearest"),
        _with((2, 4), 0.4, -1, interpolation="lower"),
        _with((2, 4), 0.4, -1, interpolation="higher"),
    )(rng)


def _nan_rows(rng):
    x = rng.standard_normal((3, 5))
    x[0, 1] = x[2, 0] = x[2, 4] = np.nan
    return x


def _nanquantile_samples(rng):
    return fixed(
        lambda r: ((_nan_rows(r), 0.3), {"dim": 1}),
        lambda r: ((_nan_rows(r), np.array([0.2, 0.9])), {"dim": -1, "keepdim": True}),
    )(rng)


def _torch_nanquantile_ref(x, q, dim=None, keepdim=False, interpolation="linear"):
    return np.nanquantile(x, q, axis=dim, method=interpolation, keepdims=keepdim)


def _nanmedian_samples(rng):
    return fixed(
        lambda r: ((_nan_rows(r),), {}),
        lambda r: ((_nan_rows(r), 1), {}),
        lambda r: ((_nan_rows(r), 0, True), {}),
    )(rng)


def _nanmedian_ref(x, dim=None, keepdim=False):
    if dim is None:
        v = np.sort(x[~np.isnan(x)])
        return v[(v.size - 1) // 2]
    moved = np.moveaxis(x, dim, -1)
    values = np.empty(moved.shape[:-1])
    indices = np.empty(moved.shape[:-1], dtype=np.int64)
    for pos in np.ndindex(*moved.shape[:-1]):
        row = moved[pos]
        ok = sorted((i for i in range(row.size) if not np.isnan(row[i])),
                    key=lambda i: (row[i], i))
        indices[pos] = ok[(len(ok) - 1) // 2]
        values[pos] = row[indices[pos]]
    if keepdim:
        values, indices = np.expand_dims(values, dim), np.expand_dims(indices, dim)
    return values, indices


def _cumulative(name, better):
    def ref(x, dim):
        if x.ndim == 0:
            return x.copy(), np.array(0)
        return R.running_extreme(x, dim, better)

    # (Ties, where the latest index wins, are in tests/test_tensor_ops.py: finite
    # differences cannot check a derivative there.)
    samples = fixed(_with((3, 4), 1), _with((3, 4), 0), _with((5,), -1), _with((), 0),
                    _with((2, 0), 1))

    return OpInfo(f"cr.{name}", _tuple(getattr(cr, name)), samples, ref)


def _zeros_in(rng):
    x = rng.standard_normal((3, 4))
    x[0, 1] = x[2, 1] = x[2, 3] = 0.0
    return x


def _cumprod_samples(rng):
    return fixed(
        _with((3, 4), 1), _with((3, 4), 0), lambda r: ((_zeros_in(r), 1), {}),
        lambda r: ((_zeros_in(r), 0), {}), _with((), 0), _with((0, 2), 1),
    )(rng)


def _lcse_samples(rng):
    return fixed(
        lambda r: ((r.standard_normal((3, 4)) * 3, 1), {}),
        lambda r: ((r.standard_normal((3, 4)), 0), {}),
        lambda r: ((r.standard_normal(5) * 10, -1), {}),
        _with((), 0), _with((2, 0), 1),
    )(rng)


def _lcse_ref(x, dim):
    if x.ndim == 0:
        return x.copy()
    return np.log(np.cumsum(np.exp(x), axis=dim))


def _searchsorted_samples(rng):
    return fixed(
        lambda r: ((np.sort(r.standard_normal(6)), r.standard_normal((2, 3))), {}),
        lambda r: ((np.array([0.0, 1.0, 1.0, 2.0]), np.array([1.0, -1.0, 2.5])),
                   {"right": True}),
        lambda r: ((np.sort(r.standard_normal((2, 5)), axis=1), r.standard_normal((2, 3))),
                   {"side": "right"}),
        lambda r: ((np.array([3.0, 1.0, 2.0]), np.array([2.5])),
                   {"sorter": np.array([1, 2, 0]), "out_int32": True}),
    )(rng)


def _searchsorted_ref(seq, values, *, out_int32=False, right=False, side=None, sorter=None):
    side = side or ("right" if right else "left")
    if seq.ndim == 1:
        out = np.searchsorted(seq, values, side=side, sorter=sorter)
    else:
        out = np.stack([np.searchsorted(s, v, side=side) for s, v in zip(seq, values)])
    return out.astype(np.int32 if out_int32 else np.int64)


def _unique_samples(rng):
    x = np.array([[2.0, 1.0, 2.0], [0.5, 1.0, 0.5]])
    return fixed(
        lambda r: ((x,), {}),
        lambda r: ((x,), {"return_inverse": True, "return_counts": True}),
        lambda r: ((np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 3.0]]),),
                   {"dim": 0, "return_inverse": True}),
        lambda r: ((np.zeros(0),), {"return_counts": True}),
    )(rng)


def _unique_ref(x, sorted=True, return_inverse=False, return_counts=False, dim=None):
    vals, inverse, counts = np.unique(x, return_inverse=True, return_counts=True, axis=dim)
    out = [vals]
    if return_inverse:
        out.append(inverse.reshape(x.shape if dim is None else (-1,)))
    if return_counts:
        out.append(counts)
    return out[0] if len(out) == 1 else tuple(out)


def _np_unique_samples(rng):
    x = np.array([[2.0, 1.0, 2.0], [0.5, 1.0, 0.5]])
    return fixed(
        lambda r: ((x,), {}),
        lambda r: ((x,), {"return_index": True, "return_inverse": True, "return_counts": True}),
        lambda r: ((x,), {"axis": 1}),
    )(rng)


OPS = [
    OpInfo("cr.sort", _tuple(cr.sort), SORT_SAMPLES, _sort_ref),
    OpInfo("cr.argsort", cr.argsort, SORT_SAMPLES, lambda *a: _sort_ref(*a)[1],
           differentiable=False, list_inputs=False),
    OpInfo("cnp.sort", cnp.sort, fixed(_with((3, 4)), _with((3, 4), 0), _with((3, 4), None),
                                      _with((0, 2)), _with((4,), -1, kind="stable")),
           np.sort, plain="numpy"),
    OpInfo("cnp.partition", cnp.partition, fixed(_with((6,), 2), _with((3, 4), [0, 3], 1),
                                                _with((4, 3), 1, 0), _with((2, 3), 4, None)),
           lambda a, kth, axis=-1: np.take_along_axis(
               np.ravel(a) if axis is None else a,
               np.argpartition(a, kth, axis=axis), -1 if axis is None else axis),
           plain="numpy"),
    OpInfo("cr.topk", _tuple(cr.topk), TOPK_SAMPLES, _topk_ref),
    OpInfo("cr.kthvalue", _tuple(cr.kthvalue), KTH_SAMPLES, _kth_ref),
    OpInfo("cr.median", _tuple(cr.median), MEDIAN_SAMPLES, _lower_median_ref),
    OpInfo("cr.nanmedian", _tuple(cr.nanmedian), _nanmedian_samples, _nanmedian_ref),
    OpInfo("cr.quantile", cr.quantile, _torch_quantile_samples,
           lambda x, q, dim=None, keepdim=False, interpolation="linear": np.quantile(
               x, q, axis=dim, method=interpolation, keepdims=keepdim)),
    OpInfo("cr.nanquantile", cr.nanquantile, _nanquantile_samples, _torch_nanquantile_ref),
    OpInfo("cnp.median", cnp.median, _np_median_samples, np.median, plain="numpy"),
    OpInfo("cnp.quantile", cnp.quantile, _quantile_samples, np.quantile, plain="numpy"),
    OpInfo("cnp.quantile (q differentiated)", cnp.quantile, _q_grad_samples, np.quantile,
           plain="numpy", list_inputs=False),
    OpInfo("cnp.percentile", cnp.percentile, _percentile_samples, np.percentile,
           plain="numpy"),
    _cumulative("cummax", lambda v, best: v > best),
    _cumulative("cummin", lambda v, best: v < best),
    OpInfo("cr.cumprod", cr.cumprod, _cumprod_samples,
           lambda x, dim: np.cumprod(x, axis=dim) if x.ndim else x.copy()),
    OpInfo("cnp.cumprod", cnp.cumprod, fixed(lambda r: ((_zeros_in(r),), {}),
                                            lambda r: ((_zeros_in(r), 1), {})),
           np.cumprod, plain="numpy"),
    OpInfo("cr.logcumsumexp", cr.logcumsumexp, _lcse_samples, _lcse_ref),
    OpInfo("cr.searchsorted", cr.searchsorted, _searchsorted_samples, _searchsorted_ref,
           differentiable=False, list_inputs=False),
    OpInfo("cr.unique", cr.unique, _unique_samples, _unique_ref, differentiable=False,
           list_inputs=False),
    OpInfo("cnp.unique", cnp.unique, _np_unique_samples, np.unique, plain="numpy",
           differentiable=False, list_inputs=False),
    *[OpInfo(f"cnp.{name}", getattr(cnp, name),
             fixed(lambda r: ((np.array([[2.0, 1.0, 2.0], [0.5, 1.0, 0.5]]),), {}),
                   lambda r: ((np.array([3, 1, 3, 0]),), {})),
             getattr(np, name), plain="numpy", differentiable=False, list_inputs=False)
      for name in ("unique_all", "unique_counts", "unique_inverse", "unique_values")],
]
