"""``torch.distributions.constraints``: the sets parameters and values must lie in.

Each constraint's ``check(value)`` is a boolean tensor (per event for the event-shaped
ones); distributions use them to validate their arguments (``validate_args``) and values.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Constraint", "boolean", "greater_than", "greater_than_eq", "half_open_interval",
           "integer_interval", "interval", "less_than", "lower_cholesky", "nonnegative",
           "nonnegative_integer", "positive", "positive_definite", "positive_integer",
           "real", "real_vector", "simplex", "unit_interval"]


def _values(x):
    return np.asarray(getattr(x, "_data", x))


class Constraint:
    """A set: ``check(value)`` says which values (or events) lie in it."""

    is_discrete = False
    event_dim = 0

    def __init__(self, name, test, is_discrete=False, event_dim=0):
        self.name, self._test = name, test
        self.is_discrete, self.event_dim = is_discrete, event_dim

    def check(self, value):
        from .. import tensor

        with np.errstate(invalid="ignore"):
            return tensor(np.asarray(self._test(_values(value))))

    def __repr__(self):
        return self.name


def _integral(v):
    return v == np.floor(v)


real = Constraint("Real()", lambda v: v == v)
real_vector = Constraint("IndependentConstraint(Real(), 1)", lambda v: (v == v).all(-1),
                         event_dim=1)
boolean = Constraint("Boolean()", lambda v: (v == 0) | (v == 1), is_discrete=True)
positive = Constraint("GreaterThan(lower_bound=0.0)", lambda v: v > 0)
nonnegative = Constraint("GreaterThanEq(lower_bound=0.0)", lambda v: v >= 0)
unit_interval = Constraint("Interval(lower_bound=0.0, upper_bound=1.0)",
                           lambda v: (v >= 0) & (v <= 1))
nonnegative_integer = Constraint("IntegerGreaterThan(lower_bound=0)",
                                 lambda v: _integral(v) & (v >= 0), is_discrete=True)
positive_integer = Constraint("IntegerGreaterThan(lower_bound=1)",
                              lambda v: _integral(v) & (v >= 1), is_discrete=True)
simplex = Constraint("Simplex()", lambda v: (v >= 0).all(-1) & (np.abs(v.sum(-1) - 1) < 1e-6),
                     event_dim=1)


def _symmetric(v):
    return np.isclose(v, np.swapaxes(v, -1, -2), atol=1e-6).all((-2, -1))


def _positive_definite(v):
    ok = _symmetric(v)
    with np.errstate(invalid="ignore"):
        eig = np.linalg.eigvalsh(np.where(ok[..., None, None], v, np.eye(v.shape[-1])))
    return ok & (eig > 0).all(-1)


positive_definite = Constraint("PositiveDefinite()", _positive_definite, event_dim=2)
lower_cholesky = Constraint(
    "LowerCholesky()",
    lambda v: (np.triu(v, 1) == 0).all((-2, -1)) & (np.diagonal(v, 0, -2, -1) > 0).all(-1),
    event_dim=2)


def greater_than(lower_bound):
    return Constraint(f"GreaterThan(lower_bound={lower_bound})", lambda v: v > lower_bound)


def greater_than_eq(lower_bound):
    return Constraint(f"GreaterThanEq(lower_bound={lower_bound})", lambda v: v >= lower_bound)


def less_than(upper_bound):
    return Constraint(f"LessThan(upper_bound={upper_bound})", lambda v: v < upper_bound)


def _bound(b):
    return _values(b)


def interval(lower_bound, upper_bound):
    return Constraint(f"Interval(lower_bound={lower_bound}, upper_bound={upper_bound})",
                      lambda v: (v >= _bound(lower_bound)) & (v <= _bound(upper_bound)))


def half_open_interval(lower_bound, upper_bound):
    return Constraint(f"HalfOpenInterval(lower_bound={lower_bound}, upper_bound={upper_bound})",
                      lambda v: (v >= _bound(lower_bound)) & (v < _bound(upper_bound)))


def integer_interval(lower_bound, upper_bound):
    return Constraint(
        f"IntegerInterval(lower_bound={lower_bound}, upper_bound={upper_bound})",
        lambda v: _integral(v) & (v >= _bound(lower_bound)) & (v <= _bound(upper_bound)),
        is_discrete=True)
