"""Shared hypothesis strategies and settings for the engine's tests.

Shapes come from hypothesis (so 0-d arrays and size-1 axes are drawn); values come
from a NumPy generator seeded by a drawn integer, which keeps them continuous (no
accidental ties at a kink) and reproducible.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

# Deterministic examples (seeded, not drawn from the clock), no per-example deadline:
# second-order gradient checks take a few milliseconds each on a loaded machine.
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

MAX_SIDE = 3
MAX_DIMS = 3


def shapes(min_dims=0, max_dims=MAX_DIMS, min_side=1, max_side=MAX_SIDE):
    """Array shapes, including 0-d and axes of length 1."""
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def broadcastable(num_shapes, min_dims=0, max_dims=MAX_DIMS):
    """Tuples of `num_shapes` shapes that broadcast together (NumPy's rules)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims, max_side=MAX_SIDE
    ).map(lambda b: b.input_shapes)


seeds = st.integers(min_value=0, max_value=2**32 - 1)


def values(seed, shape, low=-2.0, high=2.0, gap=0.0, avoid=(0.0,)):
    """Uniform float64 values in [low, high], kept at least `gap` away from `avoid`.

    The gap keeps finite differences from straddling a kink (relu at 0, clip at its
    bounds): a point within `gap` of a kink is pushed out to exactly `gap` away.
    """
    x = np.random.default_rng(seed).uniform(low, high, size=shape)
    if gap:
        for k in avoid:
            near = np.abs(x - k) < gap
            x = np.where(near, k + np.where(x >= k, gap, -gap), x)
    return np.asarray(x, dtype=np.float64)


@st.composite
def axes(draw, ndim, allow_none=True):
    """A reduction `axis` for an array of rank `ndim`: None, an int (maybe negative) or a tuple."""
    options = []
    if allow_none:
        options.append(st.none())
    if ndim:
        options.append(st.integers(-ndim, ndim - 1))
    options.append(
        st.lists(st.integers(0, max(ndim - 1, 0)), unique=True, max_size=ndim).flatmap(
            lambda picked: st.tuples(*[st.sampled_from([a, a - ndim]) for a in picked])
        )
    )
    return draw(st.one_of(*options))


def normalized(axis, ndim):
    """`axis` as a tuple of non-negative ints (None meaning every axis)."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    return tuple(sorted(a % ndim for a in axis))
