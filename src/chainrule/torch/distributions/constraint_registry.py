"""``biject_to`` and ``transform_to``: the transform from unconstrained reals onto a
constraint's set (``biject_to``: a bijection, for HMC-style reparametrization;
``transform_to``: any map onto the set, for optimization), PyTorch's registrations.

As in PyTorch, a registration is by the kind of constraint (GreaterThan, Interval, ...),
the later one winning: ``biject_to(constraints.positive)`` is
``ComposeTransform([ExpTransform(), AffineTransform(0.0, 1)])``, as PyTorch 2.13's.
"""

from __future__ import annotations

from . import constraints, transforms

__all__ = ["ConstraintRegistry", "biject_to", "transform_to"]


def _key(constraint):
    if isinstance(constraint, type):
        return constraint
    if isinstance(constraint, constraints.Constraint):
        return constraint.kind if type(constraint) is constraints.Constraint \
            else type(constraint)
    if callable(constraint):  # a factory such as constraints.greater_than
        return _FACTORY_KINDS.get(getattr(constraint, "__name__", None), constraint)
    raise TypeError(f"Expected constraint to be either a Constraint subclass or instance, "
                    f"but got {constraint}")


_FACTORY_KINDS = {"greater_than": "GreaterThan", "greater_than_eq": "GreaterThanEq",
                  "less_than": "LessThan", "interval": "Interval",
                  "half_open_interval": "HalfOpenInterval",
                  "independent": "IndependentConstraint", "cat": "_Cat", "stack": "_Stack",
                  "integer_interval": "IntegerInterval", "multinomial": "Multinomial"}


class ConstraintRegistry:
    """Constraints (by kind) to factories ``f(constraint) -> Transform``."""

    def __init__(self):
        self._registry = {}

    def register(self, constraint, factory=None):
        """``register(constraint, factory)``, or as a decorator ``@register(constraint)``."""
        if factory is None:
            return lambda factory: self.register(constraint, factory)
        self._registry[_key(constraint)] = factory
        return factory

    def __call__(self, constraint):
        for key in (type(constraint), getattr(constraint, "kind", None)):
            if key in self._registry:
                return self._registry[key](constraint)
        raise NotImplementedError(f"Cannot transform {type(constraint).__name__} constraints"
                                  f" ({constraint!r})")


biject_to = ConstraintRegistry()
transform_to = ConstraintRegistry()


@biject_to.register(constraints.real)
@transform_to.register(constraints.real)
def _transform_to_real(constraint):
    return transforms.identity_transform


@biject_to.register(constraints.independent)
def _biject_to_independent(constraint):
    return transforms.IndependentTransform(biject_to(constraint.base_constraint),
                                           constraint.reinterpreted_batch_ndims)


@transform_to.register(constraints.independent)
def _transform_to_independent(constraint):
    return transforms.IndependentTransform(transform_to(constraint.base_constraint),
                                           constraint.reinterpreted_batch_ndims)


@biject_to.register(constraints.greater_than)
@biject_to.register(constraints.greater_than_eq)
@transform_to.register(constraints.greater_than)
@transform_to.register(constraints.greater_than_eq)
def _transform_to_greater_than(constraint):  # (positive, nonnegative too, as PyTorch)
    return transforms.ComposeTransform(
        [transforms.ExpTransform(), transforms.AffineTransform(constraint.lower_bound, 1)])


@biject_to.register(constraints.less_than)
@transform_to.register(constraints.less_than)
def _transform_to_less_than(constraint):
    return transforms.ComposeTransform(
        [transforms.ExpTransform(), transforms.AffineTransform(constraint.upper_bound, -1)])


@biject_to.register(constraints.interval)
@biject_to.register(constraints.half_open_interval)
@transform_to.register(constraints.interval)
@transform_to.register(constraints.half_open_interval)
def _transform_to_interval(constraint):
    lower, upper = constraint.lower_bound, constraint.upper_bound
    if isinstance(lower, (int, float)) and lower == 0 and \
            isinstance(upper, (int, float)) and upper == 1:
        return transforms.SigmoidTransform()
    return transforms.ComposeTransform(
        [transforms.SigmoidTransform(), transforms.AffineTransform(lower, upper - lower)])


@biject_to.register(constraints.simplex)
def _biject_to_simplex(constraint):
    return transforms.StickBreakingTransform()


@transform_to.register(constraints.simplex)
def _transform_to_simplex(constraint):
    return transforms.SoftmaxTransform()


@transform_to.register(constraints.lower_cholesky)
def _transform_to_lower_cholesky(constraint):
    return transforms.LowerCholeskyTransform()


@transform_to.register(constraints.positive_definite)
@transform_to.register(constraints.positive_semidefinite)
def _transform_to_positive_definite(constraint):
    return transforms.PositiveDefiniteTransform()


@biject_to.register(constraints.corr_cholesky)
@transform_to.register(constraints.corr_cholesky)
def _transform_to_corr_cholesky(constraint):
    return transforms.CorrCholeskyTransform()


@biject_to.register(constraints.cat)
def _biject_to_cat(constraint):
    return transforms.CatTransform([biject_to(c) for c in constraint.cseq], constraint.dim,
                                   constraint.lengths)


@transform_to.register(constraints.cat)
def _transform_to_cat(constraint):
    return transforms.CatTransform([transform_to(c) for c in constraint.cseq], constraint.dim,
                                   constraint.lengths)


@biject_to.register(constraints.stack)
def _biject_to_stack(constraint):
    return transforms.StackTransform([biject_to(c) for c in constraint.cseq], constraint.dim)


@transform_to.register(constraints.stack)
def _transform_to_stack(constraint):
    return transforms.StackTransform([transform_to(c) for c in constraint.cseq],
                                     constraint.dim)
