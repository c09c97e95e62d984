"""Truncated Taylor series ("jets") in one variable, for derivatives through iterations.

The incomplete gamma and beta functions have no closed-form derivative in their shape
parameters; their series and continued fractions do. Running the same iteration on jets
(the truncated Taylor expansion in eps of every quantity, when a shape parameter is
a + eps) gives the value and the first K derivatives together, each converging with the
iteration (the approach of Boik & Robison-Cox, "Derivatives of the incomplete beta
function", J. Stat. Software 3 (1998), carried to any order).

A Jet holds float64 coefficients c_0 .. c_K along its first axis (c_k = f^(k)(a) / k!)
for an array of points; numbers and arrays mixed into the arithmetic are constants.
"""

from __future__ import annotations

import math

import numpy as np

from .special import _lgamma_positive, _polygamma_fwd


class Jet:
    """f(a + eps) = sum_k c[k] eps^k + O(eps^(K+1)), elementwise over c[k]'s shape."""

    __slots__ = ("c",)
    __array_ufunc__ = None  # array - jet: NumPy defers to Jet.__rsub__

    def __init__(self, c):
        self.c = c

    @classmethod
    def variable(cls, value, order, direction=1.0):
        """The jet of value + direction * eps."""
        c = np.zeros((order + 1, *np.shape(value)))
        c[0] = value
        if order:
            c[1] = direction
        return cls(c)

    @classmethod
    def constant(cls, value, order):
        c = np.zeros((order + 1, *np.shape(value)))
        c[0] = value
        return cls(c)

    # -- arithmetic (constants are numbers or arrays of the points' shape)
    def __add__(self, other):
        if isinstance(other, Jet):
            return Jet(self.c + other.c)
        c = self.c.copy()
        c[0] += other  # a constant moves the value only
        return Jet(c)

    __radd__ = __add__

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return (-self) + other

    def __neg__(self):
        return Jet(-self.c)

    def __mul__(self, other):
        if not isinstance(other, Jet):
            return Jet(self.c * other)  # a constant scales every coefficient
        p, q = self.c, other.c
        out = p[0] * q
        for j in range(1, len(p)):
            out[j:] += p[j] * q[: len(p) - j]
        return Jet(out)

    __rmul__ = __mul__

    def __truediv__(self, other):
        if not isinstance(other, Jet):
            return Jet(self.c / other)
        p, q = self.c, other.c
        out = np.empty_like(p)
        out[0] = p[0] / q[0]
        for k in range(1, len(p)):
            acc = p[k] - q[1] * out[k - 1]
            for j in range(2, k + 1):
                acc = acc - q[j] * out[k - j]
            out[k] = acc / q[0]
        return Jet(out)

    def __rtruediv__(self, other):
        return Jet.constant(np.broadcast_to(other, self.c.shape[1:]), len(self.c) - 1) / self

    # -- the points still iterating
    def __getitem__(self, index):
        return Jet(self.c[:, index])

    def __setitem__(self, index, value):
        self.c[:, index] = value.c

    def __len__(self):
        return self.c.shape[1]

    def copy(self):
        return Jet(self.c.copy())

    def guard(self, tiny):
        """Lentz's device: a leading coefficient too close to 0 is replaced by `tiny`."""
        c = self.c.copy()
        c[0] = np.where(np.abs(c[0]) < tiny, tiny, c[0])
        return Jet(c)

    def derivatives(self):
        """f, f', f'', ... at the points (rows), from the Taylor coefficients."""
        k = np.array([math.factorial(i) for i in range(self.c.shape[0])])
        return self.c * k.reshape((-1,) + (1,) * (self.c.ndim - 1))


def exp(p):
    """e^p: e_0 = exp(p_0), k e_k = sum_{j=1}^k j p_j e_{k-j}."""
    c = p.c
    out = np.empty_like(c)
    out[0] = np.exp(c[0])
    for k in range(1, c.shape[0]):
        out[k] = sum(j * c[j] * out[k - j] for j in range(1, k + 1)) / k
    return Jet(out)


def lgamma_shifted(a, direction, order):
    """The jet of log Gamma(a + direction * eps) for a > 0 (coefficients psi^(k-1)(a)/k!)."""
    c = np.zeros((order + 1, *np.shape(a)))
    c[0] = _lgamma_positive(np.asarray(a, np.float64).reshape(-1)).reshape(np.shape(a))
    for k in range(1, order + 1):
        c[k] = (np.asarray(_polygamma_fwd(k - 1, a)) * np.asarray(direction, np.float64) ** k
                / math.factorial(k))
    return Jet(c)


def converged(step, total, tol):
    """Every coefficient of the newest step below tol of the total so far (or of the
    total's leading coefficient, for derivative coefficients near zero)."""
    scale = np.maximum(np.abs(total.c), np.abs(total.c[:1]))
    return np.all(np.abs(step.c) <= tol * scale, axis=0)


def iterate(step, state, limit):
    """Run ``state, done = step(state, i)`` for i = 1, 2, ... until every point is done.

    ``state`` maps names to Jets or arrays over the points. Points that finish early keep
    iterating (the newest terms are then below rounding, so nothing changes) until at
    least half of the working set has finished; only then does the set shrink, which
    keeps the cost of indexing off the common case of points finishing together.
    Returns the final state of every point.
    """
    final = {k: v.copy() for k, v in state.items()}
    index = np.arange(len(next(iter(state.values()))))
    for i in range(1, limit + 1):
        state, done = step(state, i)
        if done.all() or i == limit:
            for k, v in state.items():
                final[k][index] = v
            break
        if 2 * done.sum() >= done.size:
            for k, v in state.items():
                final[k][index] = v
            keep = ~done
            index = index[keep]
            state = {k: v[keep] for k, v in state.items()}
    return final
