"""NumPy's differences, integration, convolution and interpolation: diff, ediff1d,
trapezoid, convolve, correlate, interp."""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from ..primitives.signal import _NO_VALUE
from .dispatch import numpy_function as _numpy_function


@_numpy_function(np.diff)
def diff(a, n=1, axis=-1, prepend=_NO_VALUE, append=_NO_VALUE):
    """n-th discrete difference a[i+1] - a[i] along `axis`."""
    return P.diff(a, n, axis, prepend, append)


@_numpy_function(np.ediff1d)
def ediff1d(ary, to_end=None, to_begin=None):
    """Differences of the flattened array, with to_begin and to_end around them."""
    return P.ediff1d(ary, to_end, to_begin)


@_numpy_function(np.trapezoid)
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integral of y along axis by the trapezoidal rule (sample points x, or spacing dx)."""
    return P.trapezoid(y, x, dx, axis)


@_numpy_function(np.convolve)
def convolve(a, v, mode="full"):
    """Discrete linear convolution of two 1-D arrays ('full', 'same' or 'valid')."""
    return P.convolve(a, v, mode)


@_numpy_function(np.correlate)
def correlate(a, v, mode="valid"):
    """Cross-correlation of two 1-D real arrays: c_k = sum_n a[n + k] v[n]."""
    return P.correlate(a, v, mode)


@_numpy_function(np.interp)
def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolation of (xp, fp) at x; differentiable in x, xp, fp, left,
    right (right-sided in x at the sample points)."""
    return P.interp(x, xp, fp, left, right, period)
