"""``torch.distributions.constraints``: the sets parameters and values must lie in.

Each constraint's ``check(value)`` is a boolean tensor (per event for the event-shaped
ones); distributions use them to validate their arguments (``validate_args``) and values.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Constraint", "boolean", "cat", "corr_cholesky", "greater_than", "greater_than_eq",
           "half_open_interval", "independent", "integer_interval", "interval", "less_than",
           "lower_cholesky", "lower_triangular", "multinomial", "nonnegative",
           "nonnegative_integer", "positive", "positive_definite", "positive_integer",
           "positive_semidefinite", "real", "real_vector", "simplex", "square", "stack",
           "symmetric", "unit_interval"]


def _values(x):
    return np.asarray(getattr(x, "_data", x))


class Constraint:
    """A set: ``check(value)`` says which values (or events) lie in it."""

    is_discrete = False
    event_dim = 0

    def __init__(self, name, test, is_discrete=False, event_dim=0, kind=None, **params):
        self.name, self._test = name, test
        self.is_discrete, self.event_dim = is_discrete, event_dim
        # what the set is (``kind`` and its parameters as attributes), for biject_to
        self.kind = kind if kind is not None else name.split("(")[0]
        self.__dict__.update(params)

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
                         event_dim=1, base_constraint=real, reinterpreted_batch_ndims=1)
boolean = Constraint("Boolean()", lambda v: (v == 0) | (v == 1), is_discrete=True)
positive = Constraint("GreaterThan(lower_bound=0.0)", lambda v: v > 0, lower_bound=0.0)
nonnegative = Constraint("GreaterThanEq(lower_bound=0.0)", lambda v: v >= 0, lower_bound=0.0)
unit_interval = Constraint("Interval(lower_bound=0.0, upper_bound=1.0)",
                           lambda v: (v >= 0) & (v <= 1), lower_bound=0.0, upper_bound=1.0)
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
    return Constraint(f"GreaterThan(lower_bound={lower_bound})",
                      lambda v: v > _bound(lower_bound), lower_bound=lower_bound)


def greater_than_eq(lower_bound):
    return Constraint(f"GreaterThanEq(lower_bound={lower_bound})",
                      lambda v: v >= _bound(lower_bound), lower_bound=lower_bound)


def less_than(upper_bound):
    return Constraint(f"LessThan(upper_bound={upper_bound})",
                      lambda v: v < _bound(upper_bound), upper_bound=upper_bound)


def _bound(b):
    return _values(b)


def interval(lower_bound, upper_bound):
    return Constraint(f"Interval(lower_bound={lower_bound}, upper_bound={upper_bound})",
                      lambda v: (v >= _bound(lower_bound)) & (v <= _bound(upper_bound)),
                      lower_bound=lower_bound, upper_bound=upper_bound)


def half_open_interval(lower_bound, upper_bound):
    return Constraint(f"HalfOpenInterval(lower_bound={lower_bound}, upper_bound={upper_bound})",
                      lambda v: (v >= _bound(lower_bound)) & (v < _bound(upper_bound)),
                      lower_bound=lower_bound, upper_bound=upper_bound)


def integer_interval(lower_bound, upper_bound):
    return Constraint(
        f"IntegerInterval(lower_bound={lower_bound}, upper_bound={upper_bound})",
        lambda v: _integral(v) & (v >= _bound(lower_bound)) & (v <= _bound(upper_bound)),
        is_discrete=True, lower_bound=lower_bound, upper_bound=upper_bound)


def independent(base_constraint, reinterpreted_batch_ndims):
    """`base_constraint` over the last `reinterpreted_batch_ndims` axes as one event."""
    n = int(reinterpreted_batch_ndims)

    def test(v):
        ok = np.asarray(base_constraint._test(v))
        return ok.all(tuple(range(-n, 0))) if n else ok

    return Constraint(f"IndependentConstraint({base_constraint!r}, {n})", test,
                      is_discrete=base_constraint.is_discrete,
                      event_dim=base_constraint.event_dim + n, kind="IndependentConstraint",
                      base_constraint=base_constraint, reinterpreted_batch_ndims=n)


def multinomial(upper_bound):
    """Vectors of nonnegative integers summing to at most `upper_bound` (PyTorch's test)."""
    return Constraint("Multinomial()", lambda v: (v >= 0).all(-1) & (v.sum(-1) <= upper_bound),
                      is_discrete=True, event_dim=1, upper_bound=upper_bound)


def _lower_triangular(v):
    return (np.tril(v) == v).all((-2, -1))


def _corr_cholesky(v):
    tol = np.finfo(v.dtype).eps * v.shape[-1] * 10 if v.dtype.kind == "f" else 0
    unit_rows = (np.abs(np.linalg.norm(v, axis=-1) - 1) <= tol).all(-1)
    return lower_cholesky._test(v) & unit_rows


lower_triangular = Constraint("LowerTriangular()", _lower_triangular, event_dim=2)
corr_cholesky = Constraint("CorrCholesky()", _corr_cholesky, event_dim=2)
square = Constraint("Square()", lambda v: np.full(v.shape[:-2], v.shape[-2] == v.shape[-1]),
                    event_dim=2)
symmetric = Constraint("Symmetric()", lambda v: (v.shape[-2] == v.shape[-1]) & _symmetric(v),
                       event_dim=2)


def _psd(v):
    ok = _symmetric(v)
    with np.errstate(invalid="ignore"):
        eig = np.linalg.eigvalsh(np.where(ok[..., None, None], v, np.eye(v.shape[-1])))
    return ok & (eig >= 0).all(-1)


positive_semidefinite = Constraint("PositiveSemidefinite()", _psd, event_dim=2)


def cat(cseq, dim=0, lengths=None):
    """Each constraint of `cseq` on its slice of `dim` (lengths[i] long), as torch.cat."""
    cseq = list(cseq)
    lengths = [1] * len(cseq) if lengths is None else list(lengths)

    def test(v):
        parts, start = [], 0
        for c, n in zip(cseq, lengths):
            parts.append(np.asarray(c._test(np.take(v, range(start, start + n), axis=dim))))
            start += n
        return np.concatenate(parts, axis=dim)

    return Constraint(f"_Cat({cseq!r}, dim={dim})", test,
                      event_dim=max(c.event_dim for c in cseq), kind="_Cat", cseq=cseq,
                      dim=dim, lengths=lengths)


def stack(cseq, dim=0):
    """Each constraint of `cseq` on its index of `dim`, as torch.stack."""
    cseq = list(cseq)

    def test(v):
        return np.stack([np.asarray(c._test(np.take(v, i, axis=dim)))
                         for i, c in enumerate(cseq)], axis=dim)

    return Constraint(f"_Stack({cseq!r}, dim={dim})", test,
                      event_dim=max(c.event_dim for c in cseq), kind="_Stack", cseq=cseq,
                      dim=dim)
