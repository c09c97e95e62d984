"""NumPy's gradient (finite differences of sampled values) and unwrap (phase unwrapping),
differentiable in the sampled values: both are linear in them (unwrap away from its jumps).
"""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from ..graph import is_tensor
from ..graph import values as _values
from .dispatch import numpy_function as _numpy_function


def _along(f, axis, start, stop=None):
    index = [slice(None)] * np.ndim(f)
    index[axis] = slice(start, stop)
    return f[tuple(index)]


def _at(f, axis, k):
    index = [slice(None)] * np.ndim(f)
    index[axis] = slice(k, k + 1 if k != -1 else None)
    return f[tuple(index)]


def _on_axis(c, axis, ndim):
    """A 1-D coefficient array shaped to broadcast along `axis`."""
    shape = [1] * ndim
    shape[axis] = np.shape(c)[0]
    return P.reshape(c, tuple(shape)) if is_tensor(c) else np.reshape(c, shape)


def _uniform(f, axis, h, edge_order):
    interior = (_along(f, axis, 2) - _along(f, axis, 0, -2)) / (2.0 * h)
    if edge_order == 1:
        first = (_at(f, axis, 1) - _at(f, axis, 0)) / h
        last = (_at(f, axis, -1) - _at(f, axis, -2)) / h
    else:
        first = -(1.5 * _at(f, axis, 0) - 2.0 * _at(f, axis, 1) + 0.5 * _at(f, axis, 2)) / h
        last = (0.5 * _at(f, axis, -3) - 2.0 * _at(f, axis, -2) + 1.5 * _at(f, axis, -1)) / h
    return P.concatenate([first, interior, last], axis=axis)


def _nonuniform(f, axis, x, edge_order):
    nd = np.ndim(f)
    dx = x[1:] - x[:-1]
    dx1, dx2 = dx[:-1], dx[1:]
    a = -dx2 / (dx1 * (dx1 + dx2))
    b = (dx2 - dx1) / (dx1 * dx2)
    c = dx1 / (dx2 * (dx1 + dx2))
    interior = (_on_axis(a, axis, nd) * _along(f, axis, 0, -2)
                + _on_axis(b, axis, nd) * _along(f, axis, 1, -1)
                + _on_axis(c, axis, nd) * _along(f, axis, 2))
    if edge_order == 1:
        first = (_at(f, axis, 1) - _at(f, axis, 0)) / dx[0]
        last = (_at(f, axis, -1) - _at(f, axis, -2)) / dx[-1]
    else:
        d1, d2 = dx[0], dx[1]
        first = (-(2.0 * d1 + d2) / (d1 * (d1 + d2)) * _at(f, axis, 0)
                 + (d1 + d2) / (d1 * d2) * _at(f, axis, 1)
                 - d1 / (d2 * (d1 + d2)) * _at(f, axis, 2))
        d1, d2 = dx[-2], dx[-1]
        last = (d2 / (d1 * (d1 + d2)) * _at(f, axis, -3)
                - (d2 + d1) / (d1 * d2) * _at(f, axis, -2)
                + (2.0 * d2 + d1) / (d2 * (d1 + d2)) * _at(f, axis, -1))
    return P.concatenate([first, interior, last], axis=axis)


@_numpy_function(np.gradient)
def gradient(f, *varargs, axis=None, edge_order=1):
    """Second-order central differences inside, first- or second-order one-sided ones at
    the ends (NumPy's gradient): spacing a scalar per axis or the sample coordinates."""
    nd = np.ndim(f)
    axes = tuple(range(nd)) if axis is None else P.normalize_axes(axis, nd, "gradient")
    if len(varargs) == 0:
        spacings = [1.0] * len(axes)
    elif len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        spacings = [varargs[0]] * len(axes)
    elif len(varargs) == len(axes):
        spacings = list(varargs)
    else:
        raise TypeError("gradient: invalid number of arguments (one spacing per axis)")
    if edge_order not in (1, 2):
        raise ValueError("gradient: 'edge_order' greater than 2 not supported")
    if _values(f).dtype.kind in "iub":
        f = P.astype(f, dtype=np.dtype(np.float64))
    out = []
    for ax, h in zip(axes, spacings):
        n = np.shape(f)[ax]
        if n < edge_order + 1:
            raise ValueError(
                "Shape of array too small to calculate a numerical gradient, at least "
                "(edge_order + 1) elements are required."
            )
        if np.ndim(h) == 0:
            out.append(_uniform(f, ax, h, edge_order))
            continue
        if np.ndim(h) != 1 or np.shape(h)[0] != n:
            raise ValueError("gradient: when 1d, distances must match the length of the "
                             "corresponding dimension")
        steps = np.diff(_values(h))
        if not is_tensor(h) and np.all(steps == steps[0]):
            out.append(_uniform(f, ax, steps[0], edge_order))  # as NumPy, for equal steps
        else:
            out.append(_nonuniform(f, ax, h, edge_order))
    return out[0] if len(axes) == 1 else tuple(out)


@_numpy_function(np.unwrap)
def unwrap(p, discont=None, axis=-1, *, period=2 * np.pi):
    """p plus the multiples of `period` NumPy's unwrap adds to remove jumps: the
    correction is piecewise constant, so the derivative is the identity away from them."""
    values = _values(p)
    correction = np.unwrap(values, discont=discont, axis=axis, period=period) - values
    return p + correction
