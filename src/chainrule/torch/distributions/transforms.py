"""``torch.distributions.transforms`` and ``TransformedDistribution``.

A transform is a differentiable map ``y = t(x)`` with its inverse ``t.inv`` and
``log_abs_det_jacobian(x, y)``; a TransformedDistribution pushes a base distribution
through a list of them: draws are transformed draws, and
``log_prob(y) = base.log_prob(x) - sum log|det J|`` along the inverse path. With
``cache_size=1`` a transform remembers its last (x, y), so the log-density of its own
draw does not go through the inverse (as in PyTorch: ``tanh`` then ``atanh`` loses the
draw's precision near +-1).
"""

from __future__ import annotations

import math

import numpy as np

import chainrule.torch as torch
import chainrule.torch.nn.functional as F

from . import constraints
from .distribution import Distribution

__all__ = ["AbsTransform", "AffineTransform", "ComposeTransform", "ExpTransform",
           "PowerTransform", "SigmoidTransform", "SoftmaxTransform", "SoftplusTransform",
           "TanhTransform", "Transform", "TransformedDistribution"]


def _sum_rightmost(x, dims):
    return x.sum(tuple(range(-dims, 0))) if dims > 0 else x


class Transform:
    """y = self(x); ``inv``; ``log_abs_det_jacobian(x, y)`` per element (event_dim 0) or
    per event."""

    bijective = False
    domain = constraints.real
    codomain = constraints.real
    sign = 1

    def __init__(self, cache_size=0):
        if cache_size not in (0, 1):
            raise ValueError("cache_size must be 0 or 1")
        self._cache_size = cache_size
        self._cached = None

    @property
    def event_dim(self):
        return self.domain.event_dim

    @property
    def inv(self):
        return _InverseTransform(self)

    def __call__(self, x):
        if self._cache_size and self._cached is not None and self._cached[0] is x:
            return self._cached[1]
        y = self._call(x)
        if self._cache_size:
            self._cached = (x, y)
        return y

    def _inv_call(self, y):
        if self._cache_size and self._cached is not None and self._cached[1] is y:
            return self._cached[0]
        x = self._inverse(y)
        if self._cache_size:
            self._cached = (x, y)
        return x

    def _call(self, x):
        raise NotImplementedError

    def _inverse(self, y):
        raise NotImplementedError(f"{type(self).__name__} has no inverse")

    def log_abs_det_jacobian(self, x, y):
        raise NotImplementedError(f"{type(self).__name__} has no log |det J|")

    def forward_shape(self, shape):
        return shape

    def inverse_shape(self, shape):
        return shape

    def __repr__(self):
        return f"{type(self).__name__}()"


class _InverseTransform(Transform):
    def __init__(self, transform):
        super().__init__(0)
        self._inv = transform
        self.bijective = transform.bijective
        self.domain, self.codomain = transform.codomain, transform.domain
        self.sign = transform.sign

    @property
    def inv(self):
        return self._inv

    def __call__(self, x):
        return self._inv._inv_call(x)

    def _inv_call(self, y):
        return self._inv(y)

    def log_abs_det_jacobian(self, x, y):
        return -self._inv.log_abs_det_jacobian(y, x)

    def __repr__(self):
        return f"{self._inv!r}.inv"


class ComposeTransform(Transform):
    """parts[-1] o ... o parts[0]."""

    def __init__(self, parts, cache_size=0):
        super().__init__(cache_size)
        self.parts = list(parts)
        self.bijective = all(p.bijective for p in self.parts)
        if self.parts:
            self.domain, self.codomain = self.parts[0].domain, self.parts[-1].codomain
        self.sign = math.prod(p.sign for p in self.parts)

    @property
    def event_dim(self):
        return max([p.event_dim for p in self.parts], default=0)

    @property
    def inv(self):
        return ComposeTransform([p.inv for p in reversed(self.parts)])

    def _call(self, x):
        for p in self.parts:
            x = p(x)
        return x

    def _inverse(self, y):
        for p in reversed(self.parts):
            y = p.inv(y)
        return y

    def log_abs_det_jacobian(self, x, y):
        if not self.parts:
            return torch.zeros_like(x)
        total = 0
        dim = self.event_dim
        for p in self.parts:
            y_p = p(x)
            total = total + _sum_rightmost(p.log_abs_det_jacobian(x, y_p), dim - p.event_dim)
            x = y_p
        return total


class ExpTransform(Transform):
    bijective = True
    codomain = constraints.positive

    def _call(self, x):
        return torch.exp(x)

    def _inverse(self, y):
        return torch.log(y)

    def log_abs_det_jacobian(self, x, y):
        return x


class PowerTransform(Transform):
    bijective = True
    domain = constraints.positive
    codomain = constraints.positive

    def __init__(self, exponent, cache_size=0):
        super().__init__(cache_size)
        self.exponent = exponent

    def _call(self, x):
        return x ** self.exponent

    def _inverse(self, y):
        return y ** (1 / self.exponent)

    def log_abs_det_jacobian(self, x, y):
        return torch.log(torch.abs(self.exponent * y / x))


class SigmoidTransform(Transform):
    bijective = True
    codomain = constraints.unit_interval

    def _call(self, x):
        return torch.sigmoid(x)

    def _inverse(self, y):
        eps = float(np.finfo(y.dtype).eps)
        y = torch.clamp(y, eps, 1 - eps)
        return torch.log(y) - torch.log1p(-y)

    def log_abs_det_jacobian(self, x, y):
        return -F.softplus(-x) - F.softplus(x)


class TanhTransform(Transform):
    bijective = True
    codomain = constraints.interval(-1.0, 1.0)

    def _call(self, x):
        return torch.tanh(x)

    def _inverse(self, y):
        return torch.atanh(y)

    def log_abs_det_jacobian(self, x, y):
        # log(1 - tanh(x)^2) written without the cancellation near |x| large
        return 2.0 * (math.log(2.0) - x - F.softplus(-2.0 * x))


class SoftplusTransform(Transform):
    bijective = True
    codomain = constraints.positive

    def _call(self, x):
        return F.softplus(x)

    def _inverse(self, y):
        return y + torch.log(-torch.expm1(-y))

    def log_abs_det_jacobian(self, x, y):
        return -F.softplus(-x)


class AbsTransform(Transform):
    codomain = constraints.nonnegative

    def _call(self, x):
        return torch.abs(x)

    def _inverse(self, y):
        return y


class AffineTransform(Transform):
    """y = loc + scale * x, elementwise over the last `event_dim` axes."""

    bijective = True

    def __init__(self, loc, scale, event_dim=0, cache_size=0):
        super().__init__(cache_size)
        self.loc, self.scale, self._event_dim = loc, scale, event_dim

    @property
    def event_dim(self):
        return self._event_dim

    @property
    def sign(self):
        return int(np.sign(float(getattr(self.scale, "_data", self.scale)))) \
            if np.ndim(getattr(self.scale, "_data", self.scale)) == 0 else 1

    def _call(self, x):
        return self.loc + self.scale * x

    def _inverse(self, y):
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x, y):
        scale = self.scale if isinstance(self.scale, torch.Tensor) \
            else torch.as_tensor(self.scale, dtype=x.dtype)
        result = torch.log(torch.abs(scale)).expand(tuple(x.shape)) if scale.ndim <= x.ndim \
            else torch.log(torch.abs(scale))
        return _sum_rightmost(result, self._event_dim)


class SoftmaxTransform(Transform):
    """x -> softmax(x) over the last axis (not bijective: no log |det J|)."""

    codomain = constraints.simplex

    @property
    def event_dim(self):
        return 1

    def _call(self, x):
        return torch.softmax(x, -1)

    def _inverse(self, y):
        return torch.log(y)


class TransformedDistribution(Distribution):
    """`base_distribution` pushed through `transforms` (one or a list), in order."""

    arg_constraints: dict = {}

    def __init__(self, base_distribution, transforms, validate_args=None):
        self.transforms = [transforms] if isinstance(transforms, Transform) else list(transforms)
        for t in self.transforms:
            if not isinstance(t, Transform):
                raise ValueError(f"TransformedDistribution: transforms must be Transforms, "
                                 f"got {type(t).__name__}")
        self.base_dist = base_distribution
        base_event = len(base_distribution.event_shape)
        event_dim = max([base_event] + [t.event_dim for t in self.transforms])
        shape = tuple(base_distribution.batch_shape) + tuple(base_distribution.event_shape)
        cut = len(shape) - event_dim
        super().__init__(shape[:cut], shape[cut:],
                         validate_args=False if validate_args is None else validate_args)

    has_rsample = property(lambda self: self.base_dist.has_rsample)

    @property
    def support(self):
        return self.transforms[-1].codomain if self.transforms else self.base_dist.support

    def sample(self, sample_shape=()):
        with torch.no_grad():
            x = self.base_dist.sample(sample_shape)
            for t in self.transforms:
                x = t(x)
            return x

    def rsample(self, sample_shape=()):
        x = self.base_dist.rsample(sample_shape)
        for t in self.transforms:
            x = t(x)
        return x

    def log_prob(self, value):
        event_dim = len(self.event_shape)
        lp = 0.0
        y = value
        for t in reversed(self.transforms):
            x = t.inv(y)
            lp = lp - _sum_rightmost(t.log_abs_det_jacobian(x, y), event_dim - t.event_dim)
            y = x
        return lp + _sum_rightmost(self.base_dist.log_prob(y),
                                   event_dim - len(self.base_dist.event_shape))

    def _monotone(self):
        sign = 1
        for t in self.transforms:
            if not t.bijective or t.event_dim:
                raise NotImplementedError("cdf/icdf need monotone elementwise transforms")
            sign *= t.sign
        return sign

    def cdf(self, value):
        sign = self._monotone()
        for t in reversed(self.transforms):
            value = t.inv(value)
        c = self.base_dist.cdf(value)
        return c if sign == 1 else 1 - c

    def icdf(self, value):
        sign = self._monotone()
        x = self.base_dist.icdf(value if sign == 1 else 1 - value)
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self):
        return f"TransformedDistribution({self.base_dist!r}, {self.transforms!r})"
