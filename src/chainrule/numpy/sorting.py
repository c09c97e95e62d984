"""NumPy's order statistics and unique values: median, quantile, percentile, unique and
the array API's unique_all, unique_counts, unique_inverse, unique_values.

(sort, argsort and partition are in chainrule.numpy.reductions.)
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .. import primitives as P
from ..graph import is_tensor, new_tensor
from ..tracing import concrete
from .dispatch import no_out as _no_out
from .dispatch import numpy_function as _numpy_function


def _no_weights(name, weights):
    if weights is not None:
        raise NotImplementedError(
            f"{name}: weights= is not supported on chainrule tensors (NumPy allows them "
            f"only with method='inverted_cdf')"
        )


@_numpy_function(np.median)
def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """Median along axis: the mean of the two middle values for an even count (NaN if any
    value is NaN); each middle value gets half the gradient."""
    _no_out("median", out)
    return P.numpy_median(a, axis=axis, keepdims=keepdims)


@_numpy_function(np.quantile)
def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
             keepdims=False, *, weights=None):
    """q-th quantiles (q in [0, 1]) along axis, by any of NumPy's methods; differentiable in
    a and, for the interpolating methods, in q."""
    _no_out("quantile", out)
    _no_weights("quantile", weights)
    return P.quantile(a, q, axis=axis, method=method, keepdims=keepdims)


@_numpy_function(np.percentile)
def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False, *, weights=None):
    """q-th percentiles (q in [0, 100]) along axis: quantile(a, q / 100)."""
    _no_out("percentile", out)
    _no_weights("percentile", weights)
    return P.quantile(a, _percent(q, "percentile"), axis=axis, method=method,
                      keepdims=keepdims, op="percentile")


def _percent(q, name):
    qv = np.asarray(q._data if is_tensor(q) else q, dtype=float)
    if qv.size and not (np.all(qv >= 0) and np.all(qv <= 100)):
        raise ValueError(f"{name}: percentiles must be in the range [0, 100], got {qv}")
    return q / 100 if is_tensor(q) else np.true_divide(q, 100)


@_numpy_function(np.unique)
def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *,
           equal_nan=True, sorted=True):
    """The sorted distinct values (NumPy's unique, with its optional outputs); no gradient."""
    res = np.unique(concrete(ar, "unique") if is_tensor(ar) else ar, return_index=return_index,
                    return_inverse=return_inverse, return_counts=return_counts, axis=axis,
                    equal_nan=equal_nan)
    if isinstance(res, tuple):
        return tuple(new_tensor(np.asarray(r)) for r in res)
    return new_tensor(np.asarray(res))





class UniqueAllResult(NamedTuple):
    values: Any
    indices: Any
    inverse_indices: Any
    counts: Any


class UniqueCountsResult(NamedTuple):
    values: Any
    counts: Any


class UniqueInverseResult(NamedTuple):
    values: Any
    inverse_indices: Any


# The array API's forms of unique (NumPy 2): each NaN distinct, the inverse in x's shape.
@_numpy_function(np.unique_all)
def unique_all(x):
    """The distinct values, the first index of each, the inverse (x's shape), the counts."""
    values, indices, inverse, counts = unique(x, return_index=True, return_inverse=True,
                                              return_counts=True, equal_nan=False)
    return UniqueAllResult(values, indices, P.reshape(inverse, np.shape(x)), counts)


@_numpy_function(np.unique_counts)
def unique_counts(x):
    """The distinct values and how often each occurs."""
    return UniqueCountsResult(*unique(x, return_counts=True, equal_nan=False))


@_numpy_function(np.unique_inverse)
def unique_inverse(x):
    """The distinct values and, in x's shape, the position of each element among them."""
    values, inverse = unique(x, return_inverse=True, equal_nan=False)
    return UniqueInverseResult(values, P.reshape(inverse, np.shape(x)))


@_numpy_function(np.unique_values)
def unique_values(x):
    """The distinct values, sorted."""
    return unique(x, equal_nan=False)
