"""Discrete families: Bernoulli, Categorical, OneHotCategorical (and its straight-through
variant), Binomial, Multinomial, NegativeBinomial, Poisson, Geometric, with PyTorch's
parameters (``probs`` or ``logits``) and formulas.

Draws carry no gradient (``has_rsample`` is False): the score-function estimator
(``log_prob(sample) * reward``) or a relaxation (``F.gumbel_softmax``) gives one;
OneHotCategoricalStraightThrough's ``rsample`` passes the gradient of ``probs`` through
its one-hot draw, as PyTorch's.
"""

from __future__ import annotations

import math

import numpy as np

import chainrule.torch as torch
import chainrule.torch.nn.functional as F

from . import constraints
from .distribution import Distribution, _shape_text, broadcast_all, rng, tensor_like

__all__ = ["Bernoulli", "Binomial", "Categorical", "Geometric", "Multinomial",
           "NegativeBinomial", "OneHotCategorical", "OneHotCategoricalStraightThrough",
           "Poisson"]


def _clamp_probs(p):
    eps = float(np.finfo(p.dtype).eps)
    return torch.clamp(p, eps, 1 - eps)


def _probs_logits(probs, logits, name, binary):
    """(probs, logits) from exactly one of them; the other computed, as PyTorch."""
    if (probs is None) == (logits is None):
        raise ValueError(f"{name}: give either probs or logits, not both and not neither")
    if probs is not None:
        (p,) = broadcast_all(probs)
        if binary:
            c = _clamp_probs(p)
            return p, torch.log(c) - torch.log1p(-c)
        p = p / p.sum(-1, keepdim=True)
        return p, torch.log(_clamp_probs(p))
    (lg,) = broadcast_all(logits)
    if binary:
        return torch.sigmoid(lg), lg
    lg = lg - torch.logsumexp(lg, dim=-1, keepdim=True)
    return torch.softmax(lg, -1), lg


class _ProbsOrLogits:
    """Parametrized by probs or by logits: the one given is what the argument checks
    read (Distribution reads parameters from __dict__), both are there as properties."""

    probs = property(lambda self: self._p)
    logits = property(lambda self: self._logits)

    def _hold(self, p, lg, probs_given):
        if probs_given:
            self.__dict__["probs"] = p
        else:
            self.__dict__["logits"] = lg
        self._p, self._logits = p, lg


class Bernoulli(_ProbsOrLogits, Distribution):
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        p, lg = _probs_logits(probs, logits, "Bernoulli", binary=True)
        self._hold(p, lg, probs is not None)
        super().__init__(p.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self._p

    @property
    def mode(self):
        m = (self._p >= 0.5).to(self._p.dtype)
        return torch.where(self._p == 0.5, m * float("nan"), m)

    @property
    def variance(self):
        return self._p * (1 - self._p)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        p = np.broadcast_to(self._p.detach().numpy(), shape)
        return tensor_like(rng().random(shape) < p, self._p)

    def log_prob(self, value):
        self._validate_sample(value)
        logits, value = broadcast_all(self._logits, value)
        return -F.binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self):
        return F.binary_cross_entropy_with_logits(self._logits, self._p, reduction="none")

    def enumerate_support(self, expand=True):
        values = torch.arange(2, dtype=self._p.dtype).reshape((-1,) + (1,) * len(self.batch_shape))
        return values.expand((2,) + tuple(self.batch_shape)) if expand else values


class Categorical(_ProbsOrLogits, Distribution):
    """A distribution over 0 .. K-1, K the size of the last axis of probs or logits."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        p, lg = _probs_logits(probs, logits, type(self).__name__, binary=False)
        if p.ndim < 1:
            raise ValueError(f"{type(self).__name__}: probs or logits must have at least one "
                             f"dimension (the categories)")
        self._hold(p, lg, probs is not None)
        self._num_events = p.shape[-1]
        super().__init__(p.shape[:-1], validate_args=validate_args)

    param_shape = property(lambda self: self._p.shape)

    @property
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def mean(self):
        return torch.full(tuple(self.batch_shape), float("nan"), dtype=self._p.dtype)

    @property
    def mode(self):
        return self._p.argmax(-1)

    @property
    def variance(self):
        return self.mean

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        cdf = np.cumsum(self._p.detach().numpy(), axis=-1)
        u = rng().random(shape)[..., None] * cdf[..., -1:]
        index = np.minimum((cdf < u).sum(-1), self._num_events - 1)
        return torch.as_tensor(index.astype(np.int64))

    def log_prob(self, value):
        self._validate_sample(value)
        value = torch.as_tensor(getattr(value, "_data", value)).long()
        batch = torch.broadcast_shapes(tuple(value.shape), tuple(self.batch_shape))
        logits = self._logits.expand(batch + (self._num_events,))
        index = value.expand(batch).unsqueeze(-1)
        return logits.gather(-1, index).squeeze(-1)

    def entropy(self):
        floor = float(np.finfo(self._logits.dtype).min)
        return -(torch.clamp(self._logits, min=floor) * self._p).sum(-1)

    def enumerate_support(self, expand=True):
        values = torch.arange(self._num_events).reshape(
            (-1,) + (1,) * len(self.batch_shape))
        return values.expand((self._num_events,) + tuple(self.batch_shape)) if expand \
            else values

    def _param_event_shape(self, name):
        return torch.Size((self._num_events,))


class OneHotCategorical(Categorical):
    """Categorical's draws as one-hot vectors (event shape (K,))."""

    has_enumerate_support = True
    support = constraints.Constraint(
        "OneHot()", lambda v: ((v == 0) | (v == 1)).all(-1) & (v.sum(-1) == 1), event_dim=1)

    def __init__(self, probs=None, logits=None, validate_args=None):
        super().__init__(probs, logits, validate_args)
        self._event_shape = torch.Size((self._num_events,))

    @property
    def mean(self):
        return self._p

    @property
    def mode(self):
        return F.one_hot(self._p.argmax(-1), self._num_events).to(self._p.dtype)

    @property
    def variance(self):
        return self._p * (1 - self._p)

    def sample(self, sample_shape=()):
        index = Categorical.sample(self, sample_shape)  # (shape without the event axis)
        return F.one_hot(index, self._num_events).to(self._p.dtype)

    def _extended_shape(self, sample_shape=()):
        if isinstance(sample_shape, int):
            sample_shape = (sample_shape,)
        return torch.Size(tuple(sample_shape) + tuple(self._batch_shape))

    def log_prob(self, value):
        self._validate_sample(value)
        return (value * self._logits).sum(-1)

    def enumerate_support(self, expand=True):
        eye = torch.eye(self._num_events, dtype=self._p.dtype)
        values = eye.reshape((self._num_events,) + (1,) * len(self.batch_shape)
                             + (self._num_events,))
        return values.expand((self._num_events,) + tuple(self.batch_shape)
                             + (self._num_events,)) if expand else values


class Binomial(_ProbsOrLogits, Distribution):
    arg_constraints = {"total_count": constraints.nonnegative_integer,
                       "probs": constraints.unit_interval, "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        p, lg = _probs_logits(probs, logits, "Binomial", binary=True)
        self.total_count, p, lg = broadcast_all(total_count, p, lg)
        self.total_count = self.total_count.to(p.dtype)
        self._hold(p, lg, probs is not None)
        super().__init__(p.shape, validate_args=validate_args)

    @property
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self._p

    @property
    def mode(self):
        return torch.clamp(torch.floor((self.total_count + 1) * self._p), max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self._p * (1 - self._p)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        n = np.broadcast_to(self.total_count.detach().numpy(), shape).astype(np.int64)
        p = np.broadcast_to(self._p.detach().numpy(), shape)
        return tensor_like(rng().binomial(n, p), self._p)

    def log_prob(self, value):
        self._validate_sample(value)
        return self._log_prob(value)

    def _log_prob(self, value):
        n, lg = self.total_count, self._logits
        return (torch.lgamma(n + 1) - torch.lgamma(value + 1) - torch.lgamma(n - value + 1)
                + value * lg - n * F.softplus(lg))

    def entropy(self):
        n = int(self.total_count.max().item())
        if not bool((self.total_count == n).all()):
            raise NotImplementedError("Binomial.entropy: every total_count must be the same")
        values = torch.arange(n + 1, dtype=self._p.dtype).reshape(
            (-1,) + (1,) * len(self.batch_shape))
        lp = self._log_prob(values)
        return -(torch.exp(lp) * lp).sum(0)

    def enumerate_support(self, expand=True):
        n = int(self.total_count.max().item())
        values = torch.arange(n + 1, dtype=self._p.dtype).reshape(
            (-1,) + (1,) * len(self.batch_shape))
        return values.expand((n + 1,) + tuple(self.batch_shape)) if expand else values


class Poisson(Distribution):
    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return torch.floor(self.rate)

    @property
    def variance(self):
        return self.rate

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        return tensor_like(rng().poisson(np.broadcast_to(self.rate.detach().numpy(), shape)),
                           self.rate)

    def log_prob(self, value):
        self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return torch.xlogy(value, rate) - rate - torch.lgamma(value + 1)


class Geometric(_ProbsOrLogits, Distribution):
    """The number of failures before the first success, success probability probs."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None):
        p, lg = _probs_logits(probs, logits, "Geometric", binary=True)
        self._hold(p, lg, probs is not None)
        super().__init__(p.shape, validate_args=validate_args)

    @property
    def mean(self):
        return 1.0 / self._p - 1.0

    @property
    def mode(self):
        return torch.zeros_like(self._p)

    @property
    def variance(self):
        return (1.0 / self._p - 1.0) / self._p

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        p = np.broadcast_to(self._p.detach().numpy(), shape)
        return tensor_like(rng().geometric(p) - 1, self._p)

    def log_prob(self, value):
        self._validate_sample(value)
        value, p = broadcast_all(value, self._p)
        q = torch.where((p == 1) & (value == 0), torch.zeros_like(p), p)
        return value * torch.log1p(-q) + torch.log(p)

    def entropy(self):
        return F.binary_cross_entropy_with_logits(self._logits, self._p, reduction="none") \
            / self._p


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """OneHotCategorical whose ``rsample`` is the one-hot draw plus ``probs - probs.detach()``
    (the straight-through estimator: the forward value is the draw, the gradient that of
    probs)."""

    has_rsample = True

    def rsample(self, sample_shape=()):
        samples = self.sample(sample_shape)
        return samples + (self._p - self._p.detach())


class NegativeBinomial(_ProbsOrLogits, Distribution):
    """The number of successes (probability probs each) before total_count failures;
    total_count may be any nonnegative real."""

    arg_constraints = {"total_count": constraints.greater_than_eq(0),
                       "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        p, lg = _probs_logits(probs, logits, "NegativeBinomial", binary=True)
        self.total_count, p, lg = broadcast_all(total_count, p, lg)
        self.total_count = self.total_count.to(p.dtype)
        self._hold(p, lg, probs is not None)
        super().__init__(p.shape, validate_args=validate_args)

    param_shape = property(lambda self: self._p.shape)

    @property
    def mean(self):
        return self.total_count * torch.exp(self._logits)

    @property
    def mode(self):
        return torch.clamp(torch.floor((self.total_count - 1) * torch.exp(self._logits)),
                           min=0.0)

    @property
    def variance(self):
        return self.mean / torch.sigmoid(-self._logits)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with torch.no_grad():
            # a Gamma(total_count, exp(-logits)) rate, then a Poisson count (PyTorch's way)
            k = np.broadcast_to(self.total_count.detach().numpy(), shape)
            scale = np.broadcast_to(np.exp(self._logits.detach().numpy()), shape)
            rate = rng().standard_gamma(k) * scale
            return tensor_like(rng().poisson(rate), self._p)

    def log_prob(self, value):
        self._validate_sample(value)
        n, lg = self.total_count, self._logits
        unnormalized = n * F.logsigmoid(-lg) + value * F.logsigmoid(lg)
        normalization = -torch.lgamma(n + value) + torch.lgamma(1.0 + value) + torch.lgamma(n)
        normalization = normalization.masked_fill(n + value == 0.0, 0.0)
        return unnormalized - normalization


class Multinomial(Distribution):
    """Counts of total_count draws from a Categorical(probs or logits), event shape (K,).
    total_count must be an int (PyTorch's: "inhomogeneous total_count is not supported");
    log_prob reads the count from the value, so any total works there."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        self._binomial = Binomial(total_count=total_count, probs=self.probs)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args=validate_args)

    probs = property(lambda self: self._categorical.probs)
    logits = property(lambda self: self._categorical.logits)
    param_shape = property(lambda self: self._categorical.param_shape)

    @property
    def support(self):
        return constraints.multinomial(self.total_count)

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def expand(self, batch_shape, _instance=None):
        k = self.event_shape[0]
        return Multinomial(self.total_count,
                           logits=self.logits.expand(tuple(batch_shape) + (k,)),
                           validate_args=False)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        p = np.broadcast_to(self.probs.detach().numpy().astype(np.float64), shape)
        p = p / p.sum(-1, keepdims=True)
        return tensor_like(rng().multinomial(self.total_count, p), self.probs)

    def entropy(self):
        n = torch.tensor(float(self.total_count), dtype=self.probs.dtype)
        term1 = n * self._categorical.entropy() - torch.lgamma(n + 1)
        support = self._binomial.enumerate_support(expand=False)[1:]
        binomial_probs = torch.exp(self._binomial.log_prob(support))
        weights = torch.lgamma(support + 1)
        return term1 + (binomial_probs * weights).sum((0, -1))

    def log_prob(self, value):
        self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_factorial_n = torch.lgamma(value.sum(-1) + 1)
        log_factorial_xs = torch.lgamma(value + 1).sum(-1)
        logits = torch.where((value == 0) & (logits == -math.inf), torch.zeros_like(logits),
                             logits)
        return log_factorial_n - log_factorial_xs + (logits * value).sum(-1)

    def __repr__(self):
        return f"Multinomial(probs: {_shape_text(self.probs)})"
