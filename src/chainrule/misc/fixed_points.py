"""fixed_point: x* = f(a)(x*) by iteration, differentiated by the implicit function
theorem rather than through the iterations (autograd's misc.fixed_points).

At a fixed point x* = f(a, x*), dx*/da = (I - d_x f)^-1 d_a f, so the VJP of a
cotangent g is w^T d_a f with w = g + (d_x f)^T w: itself a fixed point, found by the
same iteration. It is computed by fixed_point again, so its own derivative (second
order) follows the same rule.
"""

from __future__ import annotations

import numpy as np

from .. import statements as S
from ..domains import Example
from ..graph import is_tensor
from ..rules import primitive
from ..transforms import vjp
from .flatten import flatten


def fixed_point(f, a, x0, distance, tol):
    """Iterate x <- f(a)(x) from x0 until distance(x, x_prev) <= tol; differentiable in a.

    `a` is an array (or tensor); f(a) returns the map to iterate; distance(x, y)
    returns a number.
    """
    return _fixed_point(a, f=f, x0=x0, distance=distance, tol=tol)


def _iterate(a, f, x0, distance, tol):
    step = f(a)
    x, x_prev = step(x0), x0
    while distance(x, x_prev) > tol:
        x, x_prev = step(x), x
    return x


def _fixed_point_vjp(g, ans, a, f, x0, distance, tol):
    params, unflatten = flatten((a, ans, g))

    def reverse_step(params):
        a, x_star, x_star_bar = unflatten(params)
        _, vjp_x = vjp(lambda x: f(a)(x), x_star)
        return lambda w: vjp_x(w)[0] + x_star_bar

    w = _fixed_point(params, f=reverse_step, x0=np.zeros(np.shape(ans)), distance=distance,
                     tol=tol)
    _, vjp_a = vjp(lambda a: f(a)(ans), a)
    return vjp_a(w)[0]


def _forward(a, f, x0, distance, tol):
    return np.asarray(_value(_iterate(a, f, x0, distance, tol)))


def _value(x):
    return x._data if is_tensor(x) else x


def _newton_sqrt(a):
    return lambda x: 0.5 * (x + a / x)


def _distance(x, y):
    return np.max(np.abs(x - y))


_fixed_point = primitive(
    "fixed_point", _forward,
    doc="x* = f(a)(x*), by iteration; its derivative by the implicit function theorem.",
    domain=Example(lambda rng: ((rng.uniform(0.5, 3.0, 3),), dict(
        f=_newton_sqrt, x0=np.full(3, 2.0), distance=_distance, tol=1e-13))),
    statement=S.Statement(
        forward="x* = f(a)(x*), iterated from x0 until distance(x, x_prev) <= tol",
        vjp="a_bar = w^T d_a f(a, x*), where w = g + (d_x f)^T w (itself a fixed point)",
        latex_forward=r"x^\star = f(a, x^\star)",
        latex_vjp=r"\bar a = w^\top \partial_a f, \quad w = \bar x + (\partial_x f)^\top w",
    ),
).defvjp(_fixed_point_vjp)
