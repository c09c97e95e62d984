"""Random keep-masks (dropout's) and draws (rrelu's slopes, Gumbel noise), by operations.

The mask is drawn inside a primitive that takes the masked value as its argument, so a
traced function draws afresh where eager execution would: ``cr.compile``'s program draws
a new mask on every call (from the same generator, so the masks are those eager steps
would have drawn), and ``cr.vmap`` draws an independent mask for every example.
"""

from __future__ import annotations

import numpy as np

from .. import randomness
from .. import statements as S
from ..domains import Example
from ..graph import REGISTRY
from ..rules import nondifferentiable


def _generator(rng):
    # A Generator draws on; an int seed draws the same mask each call (a fresh
    # Generator from it); a function gives the Generator to use at the moment of drawing
    # (chainrule.nn.init's default, which manual_seed replaces).
    if isinstance(rng, np.random.Generator):
        randomness.noticed(rng)  # (cr.checkpoint's recomputation replays its draws)
        return rng
    if callable(rng):
        return rng()
    return np.random.default_rng(int(rng))


def _keep_mask(x, p, shape=None, rng=None):
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    return (_generator(rng).random(x.shape if shape is None else shape) >= p).astype(dtype)


def _random_draw(x, distribution, parameters=(), shape=None, rng=None):
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    draw = getattr(_generator(rng), distribution)
    return draw(*parameters, size=x.shape if shape is None else shape).astype(dtype)


def _draw_rule(prim, args, batched, kw):
    # A Generator (or the default one) draws one mask per example, independent ones,
    # at once for the batch. They are not the numbers a Python loop over the examples
    # would draw: cr.vmap also runs f on one example to trace it and on the last one as
    # a check, so the generator advances by n + 2 examples' draws, the batch's starting
    # one example in. An int seed draws the same mask for every example, as it does for
    # every call.
    x = args[0]
    shape = np.shape(x._data if hasattr(x, "_data") else x)
    n, example = shape[0], tuple(kw.get("shape") or shape[1:])
    rng = kw.get("rng")
    if isinstance(rng, (int, np.integer)):
        mask = prim(*args, **dict(kw, shape=(1,) + example))
        return REGISTRY["broadcast_to"](mask, (n,) + example)
    return prim(*args, **dict(kw, shape=(n,) + example))


keep_mask = nondifferentiable(
    "keep_mask", _keep_mask, batch=_draw_rule,
    domain=Example(lambda rng: ((rng.standard_normal((3, 4)), 0.5),
                                {"rng": np.random.default_rng(0)})),
    statement=S.step("1 with probability 1 - p, else 0, drawn independently for each "
                     "element of `shape` (x's by default), in x's floating dtype",
                     r"m \sim \operatorname{Bernoulli}(1 - p)"),
)
random_draw = nondifferentiable(
    "random_draw", _random_draw, batch=_draw_rule,
    domain=Example(lambda rng: ((rng.standard_normal((3, 4)), "uniform", (0.1, 0.3)),
                                {"rng": np.random.default_rng(0)})),
    statement=S.step("a draw from the Generator's `distribution` method with `parameters` "
                     "(uniform: low, high; exponential: none), one for each element of "
                     "`shape` (x's by default), in x's floating dtype",
                     r"u \sim D(\theta)"),
)


# Draw random numbers: cr.vmap checks such a function by its trace, not its values.
keep_mask.draws = random_draw.draws = True
