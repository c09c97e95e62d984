"""Gradient-based optimizers over any pytree, in the manner of autograd's misc.optimizers.

``sgd``, ``rmsprop`` and ``adam`` take ``grad(x, i)`` (the gradient at x on iteration
i, a pytree of x's structure), a starting pytree ``x0``, an optional
``callback(x, i, g)`` called before each step, and the step's settings; they return
the final x in x0's structure. They run on the flattened vector with plain NumPy
(chainrule's own optimizers in ``chainrule.optim`` work on Parameters instead).
"""

from __future__ import annotations

import functools

import numpy as np

from ..graph import values as _values
from .flatten import flatten


def unflatten_optimizer(optimize):
    """An optimizer of flat vectors made into one of pytrees (lists, tuples, dicts)."""

    @functools.wraps(optimize)
    def on_trees(grad, x0, callback=None, *args, **kwargs):
        flat0, unflatten = flatten(x0)

        def flat_grad(x, i):
            return _values(flatten(grad(unflatten(x), i))[0])

        flat_callback = None
        if callback:
            def flat_callback(x, i, g):
                return callback(unflatten(x), i, unflatten(g))

        return unflatten(optimize(flat_grad, _values(flat0), flat_callback, *args, **kwargs))

    return on_trees


@unflatten_optimizer
def sgd(grad, x, callback=None, num_iters=200, step_size=0.1, mass=0.9):
    """Stochastic gradient descent with momentum: v <- mass v - (1 - mass) g; x <- x + step v."""
    velocity = np.zeros(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        if callback:
            callback(x, i, g)
        velocity = mass * velocity - (1.0 - mass) * g
        x = x + step_size * velocity
    return x


@unflatten_optimizer
def rmsprop(grad, x, callback=None, num_iters=100, step_size=0.1, gamma=0.9, eps=1e-8):
    """RMSprop: r <- gamma r + (1 - gamma) g^2; x <- x - step g / (sqrt(r) + eps), r0 = 1."""
    avg_sq_grad = np.ones(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        if callback:
            callback(x, i, g)
        avg_sq_grad = avg_sq_grad * gamma + g**2 * (1 - gamma)
        x = x - step_size * g / (np.sqrt(avg_sq_grad) + eps)
    return x


@unflatten_optimizer
def adam(grad, x, callback=None, num_iters=100, step_size=0.001, b1=0.9, b2=0.999, eps=1e-8):
    """Adam (Kingma and Ba): bias-corrected first and second moment estimates m, v;
    x <- x - step m_hat / (sqrt(v_hat) + eps)."""
    m = np.zeros(len(x))
    v = np.zeros(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        if callback:
            callback(x, i, g)
        m = (1 - b1) * g + b1 * m
        v = (1 - b2) * (g**2) + b2 * v
        mhat = m / (1 - b1 ** (i + 1))
        vhat = v / (1 - b2 ** (i + 1))
        x = x - step_size * mhat / (np.sqrt(vhat) + eps)
    return x
