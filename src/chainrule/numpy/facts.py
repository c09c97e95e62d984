"""NumPy's value facts (count_nonzero, any, searchsorted, ...) on values being traced.

Called on tensors outside a trace these run NumPy on the values (dispatch.VALUE_FACTS):
they have no gradient, and the answer is about the numbers at hand. While a tracer
(cr.vmap, cr.compile) traces an argument, those numbers are one example's or one call's,
so the answer must be computed by operations the tracer writes down; the functions
here do that. A fact with no such version (nonzero's data-dependent shape, allclose's
Python bool) is refused by dispatch, naming it.
"""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from ..primitives.sorting import _searchsorted


def count_nonzero(a, axis=None, *, keepdims=False):
    return P.sum(P.astype(P.not_equal(a, 0), np.intp), axis=axis, keepdims=keepdims)


def any(a, axis=None, out=None, keepdims=False, *, where=None):
    _plain("any", out, where)
    return P.greater(count_nonzero(a, axis=axis, keepdims=keepdims), 0)


def all(a, axis=None, out=None, keepdims=False, *, where=None):
    _plain("all", out, where)
    zeros = P.sum(P.astype(P.equal(a, 0), np.intp), axis=axis, keepdims=keepdims)
    return P.equal(zeros, 0)


def isposinf(x, out=None):
    _plain("isposinf", out)
    return P.logical_and(P.isinf(x), P.greater(x, 0))


def isneginf(x, out=None):
    _plain("isneginf", out)
    return P.logical_and(P.isinf(x), P.less(x, 0))


def searchsorted(a, v, side="left", sorter=None):
    if np.ndim(a) != 1:
        raise ValueError("searchsorted: the sorted array must be 1-D")
    if sorter is not None:
        a = P.take(a, sorter)
    return P.astype(_searchsorted(a, v, side=side), np.intp)


def digitize(x, bins, right=False):
    # NumPy's digitize is searchsorted on increasing bins: side 'left' for right=True.
    b = np.asarray(bins._data if hasattr(bins, "_data") else bins)
    if b.ndim != 1:
        raise ValueError("digitize: bins must be 1-D")
    if b.size > 1 and b[0] > b[-1]:
        n = b.size
        return P.subtract(n, searchsorted(P.flip(bins, 0), x, side="left" if right else "right"))
    return searchsorted(bins, x, side="left" if right else "right")


def _plain(name, out=None, where=None):
    if out is not None or where is not None:
        raise TypeError(f"numpy.{name}: out= and where= are not supported on traced tensors")


TRACED = {
    np.count_nonzero: count_nonzero,
    np.any: any,
    np.all: all,
    np.isposinf: isposinf,
    np.isneginf: isneginf,
    np.searchsorted: searchsorted,
    np.digitize: digitize,
}
