"""A line search satisfying the strong Wolfe conditions, for :class:`chainrule.optim.LBFGS`.

Along a direction d from x with value f and slope gtd = g.d < 0, a step t is accepted when

    f(x + t d) <= f + c1 t gtd                    (sufficient decrease)
    |g(x + t d).d| <= c2 |gtd|                    (curvature, strong form)

Nocedal & Wright, *Numerical Optimization* (2nd ed.), algorithms 3.5 and 3.6: first a
bracket [t_lo, t_hi] that must hold such a step is found by extrapolating, then it is
shrunk by cubic interpolation ("zoom"). The trial points, safeguards and stopping rules
are PyTorch's (after Torch7's ``lswolfe``), so LBFGS takes the steps PyTorch's takes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def cubic_minimizer(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimizer of the cubic through (x1, f1, slope g1) and (x2, f2, slope g2), clipped.

    Nocedal & Wright eq. 3.59, with x2 the larger point:
    d1 = g1 + g2 - 3 (f1 - f2) / (x1 - x2),  d2 = sqrt(d1^2 - g1 g2),
    x = x2 - (x2 - x1) (g2 + d2 - d1) / (g2 - g1 + 2 d2).
    The result is clipped to ``bounds`` (default: the interval between the points); a
    cubic without a local minimizer (d1^2 < g1 g2, or a straight line) gives the middle
    of the bounds.
    """
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    if x1 > x2:  # the formula takes x2 as the larger point; d1 is symmetric
        x1, f1, g1, x2, f2, g2 = x2, f2, g2, x1, f1, g1
    d1 = g1 + g2 - 3.0 * (f1 - f2) / (x1 - x2)
    square = d1 * d1 - g1 * g2
    if square < 0:
        return (lo + hi) / 2.0
    d2 = math.sqrt(square)
    denominator = g2 - g1 + 2.0 * d2
    if denominator == 0:  # the points lie on a line: no curvature to go by
        return (lo + hi) / 2.0
    x = x2 - (x2 - x1) * ((g2 + d2 - d1) / denominator)
    return min(max(x, lo), hi)


@dataclass
class _Point:
    """A trial step t with the value f, gradient g and slope gtd = g.d there."""

    t: float
    f: float
    g: np.ndarray
    gtd: float


def strong_wolfe(evaluate, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                 max_ls=25):
    """Find a step along ``d`` satisfying the strong Wolfe conditions, starting from ``t``.

    ``evaluate(t)`` returns (f(x + t d), gradient there) and leaves x unchanged. ``f``,
    ``g`` and ``gtd`` describe x itself. At most ``max_ls`` evaluations beyond the first;
    stops early when the bracket is shorter than ``tolerance_change`` (scaled by the
    largest entry of d). Returns ``(f_new, g_new, t, evaluations)`` for the best step
    found.
    """
    scale = float(np.abs(d).max())
    start = _Point(0.0, f, g, gtd)

    def at(step):
        value, grad = evaluate(step)
        return _Point(step, float(value), grad, float(grad @ d))

    def sufficient_decrease(p):
        return p.f <= f + c1 * p.t * gtd

    def curvature(p):
        return abs(p.gtd) <= -c2 * gtd

    # Bracketing: extrapolate until a step overshoots (higher value or upward slope) or
    # satisfies both conditions.
    new = at(t)
    evaluations, iterations = 1, 0
    previous = start
    done = False
    bracket = None
    while iterations < max_ls:
        if not sufficient_decrease(new) or (iterations > 1 and new.f >= previous.f):
            bracket = [previous, new]
            break
        if curvature(new):
            bracket, done = [new], True
            break
        if new.gtd >= 0:
            bracket = [previous, new]
            break
        step = cubic_minimizer(previous.t, previous.f, previous.gtd, new.t, new.f, new.gtd,
                               bounds=(new.t + 0.01 * (new.t - previous.t), new.t * 10))
        previous = new
        new = at(step)
        evaluations += 1
        iterations += 1
    if bracket is None:  # out of evaluations while still extrapolating
        bracket = [start, new]

    # Zoom: shrink the bracket, keeping at index `low` its end with the lower value.
    stalled = False
    low, high = (0, 1) if bracket[0].f <= bracket[-1].f else (1, 0)
    while not done and iterations < max_ls:
        a, b = bracket
        if abs(b.t - a.t) * scale < tolerance_change:
            break
        step = cubic_minimizer(a.t, a.f, a.gtd, b.t, b.f, b.gtd)
        # Safeguard: a step within 10% of the bracket's length from an end makes little
        # progress; after two such steps in a row (or one outside the bracket) move it
        # to 10% from the nearer end.
        left, right = min(a.t, b.t), max(a.t, b.t)
        margin = 0.1 * (right - left)
        if min(right - step, step - left) < margin:
            if stalled or step >= right or step <= left:
                step = right - margin if abs(step - right) < abs(step - left) else left + margin
                stalled = False
            else:
                stalled = True
        else:
            stalled = False
        new = at(step)
        evaluations += 1
        iterations += 1
        if not sufficient_decrease(new) or new.f >= bracket[low].f:
            bracket[high] = new
            low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
        else:
            if curvature(new):
                done = True
            elif new.gtd * (bracket[high].t - bracket[low].t) >= 0:
                bracket[high] = bracket[low]
            bracket[low] = new
    best = bracket[low]
    return best.f, best.g, best.t, evaluations
