"""Op database entries: PyTorch's gather/scatter family, masks, NumPy's put_along_axis."""

from __future__ import annotations

import numpy as np

import chainrule as cr
import chainrule.numpy as cnp

from ..core import OpInfo, fixed
from . import refs as R

# Indices with repeats along dim (positions written twice keep the last value).
_IDX = np.array([[0, 2, 2], [1, 0, 2]])


def _x(shape):
    return lambda rng: rng.standard_normal(shape)


def _gather_samples(rng):
    return fixed(
        lambda r: ((r.standard_normal((3, 4)), 0, np.array([[0, 2, 1, 1], [2, 2, 0, 1]])), {}),
        lambda r: ((r.standard_normal((3, 4)), 1, _IDX), {}),  # index smaller than input
        lambda r: ((r.standard_normal((3, 4)), -1, np.zeros((3, 0), int)), {}),  # empty
        lambda r: ((r.standard_normal((1, 3, 1)), 1, np.array([[[2], [0]]])), {}),
        lambda r: ((r.standard_normal(()), 0, np.array(0)), {}),  # 0-d
    )(rng)


def _scatter_samples(rng):
    return fixed(
        lambda r: ((r.standard_normal((3, 4)), 1, _IDX, r.standard_normal((2, 3))), {}, (0, 3)),
        lambda r: ((r.standard_normal((3, 4)), 0, np.array([[2, 2, 0, 2]]),
                    r.standard_normal((2, 5))), {}, (0, 3)),  # src larger than index
        lambda r: ((r.standard_normal((2, 3)), -1, np.zeros((2, 0), int),
                    r.standard_normal((2, 2))), {}, (0, 3)),
        lambda r: ((r.standard_normal((4,)), 0, np.array([3, 3, 1]), r.standard_normal(3)), {},
                   (0, 3)),
    )(rng)


def _value_samples(rng):
    return fixed(
        lambda r: ((r.standard_normal((3, 4)), 1, _IDX, 1.5), {}, (0,)),
    )(rng)


def _index_add_samples(rng):
    return fixed(
        lambda r: ((r.standard_normal((3, 4)), 0, np.array([2, 0, 2]),
                    r.standard_normal((3, 4))), {}, (0, 3)),
        lambda r: ((r.standard_normal((3, 4)), 1, np.array([1, 1]), r.standard_normal((3, 2))),
                   {"alpha": -0.5}, (0, 3)),
        lambda r: ((r.standard_normal((2, 3)), 1, np.zeros(0, int), r.standard_normal((2, 0))),
                   {}, (0, 3)),
    )(rng)


def _index_select_samples(rng):
    return fixed(
        lambda r: ((r.standard_normal((3, 4)), 1, np.array([3, 0, 3])), {}),
        lambda r: ((r.standard_normal((3, 4)), 0, np.zeros(0, int)), {}),
        lambda r: ((r.standard_normal((1, 2)), 0, np.array([0, 0])), {}),
    )(rng)


def _index_put_samples(rng):
    rows, cols = np.array([0, 2, 0]), np.array([1, 3, 1])  # position (0, 1) twice
    mask = np.array([True, False, True])
    return fixed(
        lambda r: ((r.standard_normal((3, 4)), (rows, cols), r.standard_normal(3)), {}, (0, 2)),
        lambda r: ((r.standard_normal((3, 4)), (rows, cols), r.standard_normal(3)),
                   {"accumulate": True}, (0, 2)),
        lambda r: ((r.standard_normal((3, 4)), (mask,), r.standard_normal(4)), {}, (0, 2)),
        lambda r: ((r.standard_normal((3, 4)), (np.array([1, 1]),), r.standard_normal(())),
                   {"accumulate": True}, (0, 2)),
        lambda r: ((r.standard_normal((3, 4)), (np.array([1, 1]),), r.standard_normal((2, 4))),
                   {}, (0, 2)),
    )(rng)


def _mask(shape, seed=0):
    return np.random.default_rng(seed).random(shape) > 0.4


def _masked_fill_samples(rng):
    return fixed(
        lambda r: ((r.standard_normal((3, 4)), _mask((3, 4)), -1.5), {}, (0,)),
        lambda r: ((r.standard_normal((3, 4)), _mask((4,)), r.standard_normal(())), {}, (0, 2)),
        lambda r: ((r.standard_normal(()), np.array(True), 2.0), {}, (0,)),
        lambda r: ((r.standard_normal((0, 3)), _mask((3,)), 2.0), {}, (0,)),
    )(rng)


def _masked_select_samples(rng):
    return fixed(
        lambda r: ((r.standard_normal((3, 4)), _mask((3, 4))), {}),
        lambda r: ((r.standard_normal((4,)), _mask((3, 4))), {}),  # input broadcast
        lambda r: ((r.standard_normal((2, 3)), np.zeros((2, 3), bool)), {}),
    )(rng)


def _put_along_axis_samples(rng):
    return fixed(
        lambda r: ((r.standard_normal((3, 4)), np.array([[0, 0], [3, 1], [2, 2]]),
                    r.standard_normal((3, 2)), 1), {}, (0, 2)),
        lambda r: ((r.standard_normal((3, 4)), np.array([[1, 0, 2, 1]]), r.standard_normal(()),
                    0), {}, (0, 2)),
        lambda r: ((r.standard_normal(5), np.array([4, 0, 4]), r.standard_normal(3), None), {},
                   (0, 2)),
    )(rng)


def _put_ref(arr, indices, values, axis):
    out = arr.copy()
    np.put_along_axis(out, indices, values, axis)
    return out


def _nonzero_samples(rng):
    return fixed(
        lambda r: ((np.where(r.random((3, 4)) > 0.5, r.standard_normal((3, 4)), 0.0),), {}),
        lambda r: ((np.array(1.5),), {}),
        lambda r: ((np.zeros((2, 0)),), {}),
        lambda r: ((np.array([0.0, 2.0, 0.0, -1.0]),), {"as_tuple": True}),
    )(rng)


def _nonzero_ref(x, as_tuple=False):
    if as_tuple:
        return tuple(np.nonzero(np.atleast_1d(x)))
    return np.argwhere(x)


OPS = [
    OpInfo("cr.gather", cr.gather, _gather_samples, R.gather),
    OpInfo("cr.scatter", cr.scatter, _scatter_samples, R.scatter, list_inputs=False),
    OpInfo("cr.scatter (value)", cr.scatter, _value_samples, R.scatter),
    OpInfo("cr.scatter_add", cr.scatter_add, _scatter_samples,
           lambda x, d, i, s: R.scatter(x, d, i, s, add=True), list_inputs=False),
    OpInfo("cr.index_add", cr.index_add, _index_add_samples,
           lambda x, d, i, s, alpha=1.0: R.index_add(x, d, i, s, alpha), list_inputs=False),
    OpInfo("cr.index_select", cr.index_select, _index_select_samples,
           lambda x, d, i: np.take(x, i, axis=d)),
    OpInfo("cr.index_put", cr.index_put, _index_put_samples, R.index_put, list_inputs=False),
    OpInfo("cr.masked_fill", cr.masked_fill, _masked_fill_samples,
           lambda x, m, v: np.where(m, v, x), list_inputs=False),
    OpInfo("cr.masked_select", cr.masked_select, _masked_select_samples,
           lambda x, m: np.broadcast_to(x, np.broadcast_shapes(x.shape, m.shape))[
               np.broadcast_to(m, np.broadcast_shapes(x.shape, m.shape))]),
    OpInfo("cnp.put_along_axis (inplace=False)",
           lambda a, i, v, ax: cnp.put_along_axis(a, i, v, ax, inplace=False),
           _put_along_axis_samples, _put_ref, plain="numpy", list_inputs=False),
    OpInfo("cr.nonzero", cr.nonzero, _nonzero_samples, _nonzero_ref, differentiable=False,
           list_inputs=False),
]
