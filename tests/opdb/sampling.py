"""Op-database entries for chainrule.sampling's public names (cr.multinomial).

Sampling is random and not differentiable: each sample passes an int ``generator``
seed, so every call draws the same numbers, and the references below are per-row loops
over the same draws (the vectorized searches and sorts are what they check). The
distributions themselves are tested in tests/test_sampling.py.
"""

from __future__ import annotations

import numpy as np

import chainrule as cr

from .core import OpInfo, fixed


def multinomial_reference(probs, num_samples, replacement=False, *, generator):
    rng = np.random.default_rng(generator)
    rows = np.atleast_2d(np.asarray(probs, dtype=np.float64))
    if replacement:
        u = rng.random((rows.shape[0], num_samples))
        out = [np.searchsorted(np.cumsum(row) / row.sum(), u_row, side="right")
               for row, u_row in zip(rows, u)]
    else:
        with np.errstate(divide="ignore"):
            keys = np.log(rows) + rng.gumbel(size=rows.shape)
        out = [np.argsort(-key, kind="stable")[:num_samples] for key in keys]
    out = np.array(out, dtype=np.int64)
    return out if np.ndim(probs) == 2 else out[0]


def _weights(shape, zeros=()):
    def draw(rng):
        w = rng.uniform(0.0, 1.0, shape)
        for index in zeros:
            w[index] = 0.0
        return w
    return draw


OPS = [
    OpInfo("cr.multinomial", cr.multinomial, fixed(
        lambda rng: ((_weights((4,))(rng), 6, True), {"generator": 1}),
        lambda rng: ((_weights((3, 5), zeros=[(0, 1), (2, 4)])(rng), 7, True),
                     {"generator": 2}),
        lambda rng: ((_weights((4,), zeros=[1])(rng), 3), {"generator": 3}),
        lambda rng: ((_weights((3, 5), zeros=[(1, 0)])(rng), 4, False), {"generator": 4}),
        lambda rng: ((_weights((2, 1))(rng), 1), {"generator": 5}),
    ), multinomial_reference, differentiable=False, float32=False),
]
