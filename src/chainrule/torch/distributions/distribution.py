"""The ``Distribution`` base class and the helpers the families share.

Shapes as in PyTorch: a draw has shape ``sample_shape + batch_shape + event_shape``;
``log_prob`` of such a value has shape ``sample_shape + batch_shape``. Parameters are
front-end tensors (numbers become tensors of the other parameters' dtype, or the
default dtype), so ``log_prob``, ``entropy``, ``rsample`` and the moments are
differentiable in them. Draws come from chainrule.torch's default generator
(``torch.manual_seed``), so runs are reproducible, but not PyTorch's numbers.
"""

from __future__ import annotations

import numpy as np

import chainrule.torch as torch

from ...graph import TensorBase
from ..generators import draw
from . import constraints

__all__ = ["Distribution", "broadcast_all"]


def _dtype(values):
    for v in values:
        if isinstance(v, TensorBase) and v.dtype.kind == "f":
            return v.dtype
    return torch.get_default_dtype()


def broadcast_all(*values):
    """The values as front-end tensors of one floating dtype, broadcast to one shape."""
    dtype = _dtype(values)
    tensors = [v if isinstance(v, TensorBase) and v.dtype.kind == "f"
               else torch.as_tensor(getattr(v, "_data", v), dtype=dtype) for v in values]
    return torch.broadcast_tensors(*tensors)


def tensor_like(array, like):
    """A front-end tensor holding `array` in `like`'s dtype (a draw: no gradient)."""
    return torch.as_tensor(np.asarray(array, dtype=like.dtype))


def rng():
    return draw(None)


def _shape_text(v):
    if isinstance(v, TensorBase) and v.ndim == 0:
        return f"{v.item():g}" if v.dtype.kind == "f" else str(v.item())
    return f"torch.Size({list(v.shape)})" if isinstance(v, TensorBase) else repr(v)


class Distribution:
    """A probability distribution over tensors (PyTorch's interface).

    ``validate_args`` (default: on, as in PyTorch, changed for all with
    ``Distribution.set_default_validate_args``) checks the parameters against
    ``arg_constraints`` when made and every value given to ``log_prob`` against
    ``support``, raising ValueError naming what is out of range.
    """

    has_rsample = False
    has_enumerate_support = False
    arg_constraints: dict = {}
    support = None
    _validate_default = True

    @staticmethod
    def set_default_validate_args(value):
        Distribution._validate_default = bool(value)

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape = torch.Size(tuple(batch_shape))
        self._event_shape = torch.Size(tuple(event_shape))
        self._validate_args = (Distribution._validate_default if validate_args is None
                               else bool(validate_args))
        if self._validate_args:
            for name, constraint in self.arg_constraints.items():
                if name not in self.__dict__:
                    continue  # (one of two parametrizations, e.g. probs or logits)
                value = self.__dict__[name]
                if not bool(np.all(constraint.check(value)._data)):
                    raise ValueError(
                        f"Expected parameter {name} ({type(value).__name__} of shape "
                        f"{tuple(value.shape)}) of distribution {self!r} to satisfy the "
                        f"constraint {constraint!r}, but found invalid values:\n{value}")

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return self._event_shape

    def _extended_shape(self, sample_shape=()):
        if isinstance(sample_shape, int):
            sample_shape = (sample_shape,)
        return torch.Size(tuple(sample_shape) + tuple(self._batch_shape)
                          + tuple(self._event_shape))

    def _validate_sample(self, value):
        if not self._validate_args or self.support is None:
            return
        if not isinstance(value, TensorBase):
            raise ValueError("The value argument to log_prob must be a Tensor")
        ok = self.support.check(value)._data
        if not bool(np.all(ok)):
            raise ValueError(
                f"Expected value argument ({type(value).__name__} of shape "
                f"{tuple(value.shape)}) to be within the support ({self.support!r}) of the "
                f"distribution {self!r}, but found invalid values:\n{value}")

    def sample(self, sample_shape=()):
        """A draw of shape sample_shape + batch_shape + event_shape, without gradient."""
        if not self.has_rsample:
            raise NotImplementedError(f"{type(self).__name__} does not implement sample")
        with torch.no_grad():
            return self.rsample(sample_shape).detach()

    def rsample(self, sample_shape=()):
        raise NotImplementedError(
            f"{type(self).__name__} has no reparameterized sampling (has_rsample is False); "
            f"use sample(), whose draws carry no gradient")

    def sample_n(self, n):
        return self.sample((n,))

    def log_prob(self, value):
        raise NotImplementedError

    def cdf(self, value):
        raise NotImplementedError(f"{type(self).__name__} has no cdf")

    def icdf(self, value):
        raise NotImplementedError(f"{type(self).__name__} has no icdf")

    def entropy(self):
        raise NotImplementedError(f"{type(self).__name__} has no entropy")

    def perplexity(self):
        return torch.exp(self.entropy())

    def enumerate_support(self, expand=True):
        raise NotImplementedError(f"{type(self).__name__} has no enumerable support")

    @property
    def mean(self):
        raise NotImplementedError(f"{type(self).__name__} has no mean")

    @property
    def mode(self):
        raise NotImplementedError(f"{type(self).__name__} has no mode")

    @property
    def variance(self):
        raise NotImplementedError(f"{type(self).__name__} has no variance")

    @property
    def stddev(self):
        return self.variance.sqrt()

    def expand(self, batch_shape, _instance=None):
        """The same distribution with its parameters broadcast to ``batch_shape``."""
        shape = torch.Size(tuple(batch_shape))
        params = {k: self.__dict__[k].expand(shape + self._param_event_shape(k))
                  for k in self.arg_constraints if k in self.__dict__}
        return type(self)(**params, validate_args=False)

    def _param_event_shape(self, name):
        return torch.Size(self.__dict__[name].shape[len(self._batch_shape):])

    def __repr__(self):
        params = ", ".join(f"{k}: {_shape_text(self.__dict__[k])}"
                           for k in self.arg_constraints if k in self.__dict__)
        return f"{type(self).__name__}({params})"


constraints = constraints  # (re-exported for the families)
