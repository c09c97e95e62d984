"""NumPy's order statistics and unique values: median, quantile, percentile, unique.

(sort, argsort and partition are in chainrule.numpy.reductions.)
"""

from __future__ import annotations

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



