"""Where a primitive's derivative can be checked: the inputs explain and the tests draw.

A primitive declares its domain once, at its definition (``domain=``), and every check
of its rule reads it from there: ``cr.explain``, the forward-mode test of every
registered primitive, and the op database of public functions.

* :class:`Domain`: uniform values in ``[low, high]``, pushed at least ``gap`` away from
  the points in ``avoid`` (the kinks, where finite differences straddle two pieces).
  An elementwise primitive gives one per argument (or one for all).
* :class:`Example`: for everything else, a function ``make(rng) -> (args, kw)`` that
  draws a valid input, and optionally ``check_with(prim, *args, **kw)``, the expression
  actually checked when the primitive is only meaningful inside one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Domain:
    """Uniform values in [low, high], kept at least `gap` away from each point in `avoid`."""

    low: float = -2.0
    high: float = 2.0
    avoid: tuple = ()
    gap: float = 0.0

    def sample(self, rng, shape):
        """Float64 values of `shape` drawn from this domain."""
        x = rng.uniform(self.low, self.high, size=shape)
        if self.gap:
            for k in self.avoid:
                near = np.abs(x - k) < self.gap
                x = np.where(near, k + np.where(x >= k, self.gap, -self.gap), x)
        return np.asarray(x, dtype=np.float64)


@dataclass(frozen=True)
class Example:
    """A valid input drawn by ``make(rng) -> (args, kw)``; ``check_with`` as explained above."""

    make: Callable
    check_with: Callable | None = None


REAL = Domain()
POSITIVE = Domain(0.2, 3.0)
AWAY_FROM_ZERO = Domain(-2.0, 2.0, avoid=(0.0,), gap=0.3)

# The shapes an elementwise example takes, by number of arguments: the second argument
# broadcasts against the first.
_SHAPES = {1: ((3, 4),), 2: ((3, 4), (4,))}


def example_inputs(prim, rng):
    """(args, kw, run) for checking `prim`: its declared example, or draws from its domains.

    ``run(*args, **kw)`` computes what is checked: the primitive itself, or the
    expression its Example names.
    """
    domain = prim.domain
    if isinstance(domain, Example):
        args, kw = domain.make(rng)
        if domain.check_with is None:
            return args, kw, prim
        return args, kw, lambda *a, **k: domain.check_with(prim, *a, **k)
    arity = len(prim.derivatives) if prim.derivatives is not None else 1
    domains = domain if isinstance(domain, tuple) else (domain or REAL,) * arity
    shapes = _SHAPES.get(arity, ((3, 4),) * arity)
    return tuple(d.sample(rng, s) for d, s in zip(domains, shapes)), {}, prim


def checked_function(prim, rng):
    """(f, arrays): what is checked for `prim`, as a function of its float64 arguments alone
    (the others, and the keywords, fixed at the drawn example), and their drawn values."""
    args, kw, run = example_inputs(prim, rng)
    diff = [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype == np.float64]

    def f(*values):
        full = list(args)
        for i, v in zip(diff, values):
            full[i] = v
        return run(*full, **kw)

    return f, [args[i] for i in diff]
