"""``jax.nn.initializers``: functions making ``init(key, shape, dtype=None)``, with JAX's
names, defaults and scalings, drawn from chainrule.random's streams (the same
distributions as JAX's, not the same numbers). float64 unless a dtype is given.

``variance_scaling`` is the family most are members of: the variance ``scale / n`` with
``n`` the fan in, the fan out or their mean (each the axis's length times the receptive
field, the product of the other axes), drawn as a normal truncated to two standard
deviations (and widened by its lost spread, 1 / 0.8796), a normal, or a uniform of that
variance.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import random

__all__ = [
    "constant", "delta_orthogonal", "glorot_normal", "glorot_uniform", "he_normal",
    "he_uniform", "kaiming_normal", "kaiming_uniform", "lecun_normal", "lecun_uniform",
    "normal", "ones", "orthogonal", "truncated_normal", "uniform", "variance_scaling",
    "xavier_normal", "xavier_uniform", "zeros",
]

Initializer = Callable[..., Any]  # (key, shape, dtype=None) -> array

# The standard deviation of a unit normal truncated to [-2, 2].
_TRUNCATED_STDDEV = 0.87962566103423978


def _dtype(dtype: Any) -> np.dtype:
    return np.dtype(np.float64 if dtype is None else dtype)


def zeros(key: Any, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
    return np.zeros(tuple(shape), _dtype(dtype))


def ones(key: Any, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
    return np.ones(tuple(shape), _dtype(dtype))


def constant(value: Any, dtype: Any = None) -> Initializer:
    def init(key: Any, shape: Sequence[int], dtype: Any = dtype) -> np.ndarray:
        return np.full(tuple(shape), value, _dtype(dtype))
    return init


def normal(stddev: float = 1e-2, dtype: Any = None) -> Initializer:
    """Normal with standard deviation ``stddev``."""
    def init(key: Any, shape: Sequence[int], dtype: Any = dtype) -> np.ndarray:
        d = _dtype(dtype)
        return (random.normal(key, tuple(shape), d) * stddev).astype(d)
    return init


def uniform(scale: float = 1e-2, dtype: Any = None) -> Initializer:
    """Uniform on [0, scale)."""
    def init(key: Any, shape: Sequence[int], dtype: Any = dtype) -> np.ndarray:
        d = _dtype(dtype)
        return (random.uniform(key, tuple(shape), d) * scale).astype(d)
    return init


def truncated_normal(stddev: float = 1e-2, dtype: Any = None, lower: float = -2.0,
                     upper: float = 2.0) -> Initializer:
    """``stddev`` times a unit normal truncated to [lower, upper]."""
    def init(key: Any, shape: Sequence[int], dtype: Any = dtype) -> np.ndarray:
        d = _dtype(dtype)
        return (random.truncated_normal(key, lower, upper, tuple(shape), d) * stddev).astype(d)
    return init


def _fans(shape: tuple[int, ...], in_axis: Any, out_axis: Any, batch_axis: Any):
    def axes(a):
        return tuple(x % len(shape) for x in ((a,) if np.ndim(a) == 0 else a))

    ins, outs, batch = axes(in_axis), axes(out_axis), axes(batch_axis)
    size = math.prod(shape[k] for k in range(len(shape)) if k not in batch)
    fan_in_axes = math.prod(shape[k] for k in ins)
    fan_out_axes = math.prod(shape[k] for k in outs)
    receptive = size / (fan_in_axes * fan_out_axes)
    return fan_in_axes * receptive, fan_out_axes * receptive


def variance_scaling(scale: float, mode: str, distribution: str, in_axis: Any = -2,
                     out_axis: Any = -1, batch_axis: Any = (), dtype: Any = None) -> Initializer:
    """Variance ``scale / n`` with ``n`` by ``mode`` ("fan_in", "fan_out", "fan_avg",
    "fan_geo_avg") from ``distribution`` ("truncated_normal", "normal", "uniform")."""
    if mode not in ("fan_in", "fan_out", "fan_avg", "fan_geo_avg"):
        raise ValueError(f"variance_scaling: mode must be 'fan_in', 'fan_out', 'fan_avg' or "
                         f"'fan_geo_avg', not {mode!r}")
    if distribution not in ("truncated_normal", "normal", "uniform"):
        raise ValueError(f"variance_scaling: distribution must be 'truncated_normal', "
                         f"'normal' or 'uniform', not {distribution!r}")

    def init(key: Any, shape: Sequence[int], dtype: Any = dtype) -> np.ndarray:
        shape, d = tuple(shape), _dtype(dtype)
        if len(shape) < 2:
            raise ValueError(f"variance_scaling: a shape of at least two axes is needed to "
                             f"find fan in and fan out, got {shape}")
        fan_in, fan_out = _fans(shape, in_axis, out_axis, batch_axis)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2,
             "fan_geo_avg": math.sqrt(fan_in * fan_out)}[mode]
        variance = scale / n
        if distribution == "truncated_normal":
            draw = (random.truncated_normal(key, -2.0, 2.0, shape, d)
                    * (math.sqrt(variance) / _TRUNCATED_STDDEV))
        elif distribution == "normal":
            draw = random.normal(key, shape, d) * math.sqrt(variance)
        else:
            draw = random.uniform(key, shape, d, -1.0, 1.0) * math.sqrt(3 * variance)
        return np.asarray(draw).astype(d)
    return init


def glorot_normal(in_axis: Any = -2, out_axis: Any = -1, batch_axis: Any = (),
                  dtype: Any = None) -> Initializer:
    return variance_scaling(1.0, "fan_avg", "truncated_normal", in_axis, out_axis,
                            batch_axis, dtype)


def glorot_uniform(in_axis: Any = -2, out_axis: Any = -1, batch_axis: Any = (),
                   dtype: Any = None) -> Initializer:
    return variance_scaling(1.0, "fan_avg", "uniform", in_axis, out_axis, batch_axis, dtype)


def lecun_normal(in_axis: Any = -2, out_axis: Any = -1, batch_axis: Any = (),
                 dtype: Any = None) -> Initializer:
    return variance_scaling(1.0, "fan_in", "truncated_normal", in_axis, out_axis,
                            batch_axis, dtype)


def lecun_uniform(in_axis: Any = -2, out_axis: Any = -1, batch_axis: Any = (),
                  dtype: Any = None) -> Initializer:
    return variance_scaling(1.0, "fan_in", "uniform", in_axis, out_axis, batch_axis, dtype)


def he_normal(in_axis: Any = -2, out_axis: Any = -1, batch_axis: Any = (),
              dtype: Any = None) -> Initializer:
    return variance_scaling(2.0, "fan_in", "truncated_normal", in_axis, out_axis,
                            batch_axis, dtype)


def he_uniform(in_axis: Any = -2, out_axis: Any = -1, batch_axis: Any = (),
               dtype: Any = None) -> Initializer:
    return variance_scaling(2.0, "fan_in", "uniform", in_axis, out_axis, batch_axis, dtype)


xavier_normal, xavier_uniform = glorot_normal, glorot_uniform
kaiming_normal, kaiming_uniform = he_normal, he_uniform


def orthogonal(scale: float = 1.0, column_axis: int = -1, dtype: Any = None) -> Initializer:
    """A matrix with orthonormal rows or columns (whichever are fewer), times ``scale``:
    the Q of a normal matrix's QR with R's diagonal made positive (the other axes are
    flattened into rows)."""
    def init(key: Any, shape: Sequence[int], dtype: Any = dtype) -> np.ndarray:
        shape, d = tuple(shape), _dtype(dtype)
        if len(shape) < 2:
            raise ValueError(f"orthogonal: a shape of at least two axes is needed, got {shape}")
        cols = shape[column_axis]
        rows = math.prod(shape) // cols
        a = random.normal(key, (max(rows, cols), min(rows, cols)), np.float64)
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        q = q.reshape(tuple(s for k, s in enumerate(shape) if k != column_axis % len(shape))
                      + (cols,))
        return (scale * np.moveaxis(q, -1, column_axis)).astype(d)
    return init


def delta_orthogonal(scale: float = 1.0, column_axis: int = -1, dtype: Any = None) -> Initializer:
    """For a convolution kernel (spatial..., in, out) of 3 to 5 axes: zero except an
    orthogonal matrix at the spatial centre (so the layer starts as an isometry)."""
    def init(key: Any, shape: Sequence[int], dtype: Any = dtype) -> np.ndarray:
        shape, d = tuple(shape), _dtype(dtype)
        if len(shape) not in (3, 4, 5):
            raise ValueError(f"delta_orthogonal: a kernel of 3, 4 or 5 axes is needed, got "
                             f"{shape}")
        if shape[-2] > shape[-1]:
            raise ValueError(f"delta_orthogonal: in channels {shape[-2]} exceed out channels "
                             f"{shape[-1]}")
        out = np.zeros(shape, d)
        centre = tuple(s // 2 for s in shape[:-2])
        out[centre] = orthogonal(scale, column_axis, d)(key, shape[-2:], d)
        return out
    return init
