"""Continuous relaxations of discrete draws (the Concrete / Gumbel-softmax distributions):
LogitRelaxedBernoulli, RelaxedBernoulli, ExpRelaxedCategorical, RelaxedOneHotCategorical,
PyTorch's formulas. Their draws are reparameterized (``rsample``)."""

from __future__ import annotations

import numpy as np

import chainrule.torch as torch
import chainrule.torch.nn.functional as F

from . import constraints
from .discrete import _probs_logits, _ProbsOrLogits
from .distribution import Distribution, broadcast_all, rng, tensor_like
from .transforms import ExpTransform, SigmoidTransform, TransformedDistribution

__all__ = ["ExpRelaxedCategorical", "LogitRelaxedBernoulli", "RelaxedBernoulli",
           "RelaxedOneHotCategorical"]


def _uniform(shape, like, low):
    u = rng().random(shape)
    return tensor_like(np.clip(u, low, 1 - np.finfo(like.dtype).eps), like)


class LogitRelaxedBernoulli(_ProbsOrLogits, Distribution):
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        p, lg = _probs_logits(probs, logits, type(self).__name__, binary=True)
        self.temperature, p, lg = broadcast_all(temperature, p, lg)
        self._hold(p, lg, probs is not None)
        super().__init__(self._p.shape, validate_args=validate_args)


    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        u = _uniform(shape, self._logits, float(np.finfo(self._logits.dtype).eps))
        return (self._logits + torch.log(u) - torch.log1p(-u)) / self.temperature

    def log_prob(self, value):
        self._validate_sample(value)
        diff = self._logits - value * self.temperature
        return torch.log(self.temperature) + diff - 2 * F.softplus(diff)


class RelaxedBernoulli(TransformedDistribution):
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base = LogitRelaxedBernoulli(temperature, probs, logits, validate_args)
        super().__init__(base, SigmoidTransform(), validate_args=validate_args)

    temperature = property(lambda self: self.base_dist.temperature)
    probs = property(lambda self: self.base_dist.probs)
    logits = property(lambda self: self.base_dist.logits)
    support = constraints.unit_interval


class ExpRelaxedCategorical(_ProbsOrLogits, Distribution):
    """The log of a RelaxedOneHotCategorical draw (event shape (K,))."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        p, lg = _probs_logits(probs, logits, type(self).__name__, binary=False)
        (self.temperature,) = broadcast_all(temperature)
        self._hold(p, lg, probs is not None)
        super().__init__(p.shape[:-1], p.shape[-1:], validate_args=validate_args)


    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        u = _uniform(shape, self._logits, float(np.finfo(self._logits.dtype).tiny))
        gumbels = -torch.log(-torch.log(u))
        scores = (self._logits + gumbels) / self.temperature
        return scores - torch.logsumexp(scores, dim=-1, keepdim=True)

    def log_prob(self, value):
        k = self.event_shape[0]
        self._validate_sample(value)
        log_scale = (torch.lgamma(torch.full_like(self.temperature, float(k)))
                     - torch.log(self.temperature) * (-(k - 1)))
        score = self._logits - value * self.temperature
        score = (score - torch.logsumexp(score, dim=-1, keepdim=True)).sum(-1)
        return score + log_scale


class RelaxedOneHotCategorical(TransformedDistribution):
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base = ExpRelaxedCategorical(temperature, probs, logits, validate_args)
        super().__init__(base, ExpTransform(), validate_args=validate_args)

    temperature = property(lambda self: self.base_dist.temperature)
    probs = property(lambda self: self.base_dist.probs)
    logits = property(lambda self: self.base_dist.logits)
    support = constraints.simplex
