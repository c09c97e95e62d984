"""Families with an event axis, and the combinators: MultivariateNormal,
LowRankMultivariateNormal, Dirichlet, LogisticNormal, LKJCholesky, Wishart, Independent,
MixtureSameFamily (PyTorch's parameters and formulas)."""

from __future__ import annotations

import math
import warnings

import numpy as np

import chainrule.torch as torch

from . import constraints
from .continuous import Beta, Chi2, Normal, _standard_gamma, dirichlet_mode
from .distribution import Distribution, _shape_text, broadcast_all, rng, tensor_like
from .transforms import StickBreakingTransform, TransformedDistribution

__all__ = ["Dirichlet", "Independent", "LKJCholesky", "LogisticNormal",
           "LowRankMultivariateNormal", "MixtureSameFamily", "MultivariateNormal", "Wishart"]


def _batch_mahalanobis(scale_tril, diff):
    """|L^-1 diff|^2 over the event axis, L lower triangular (batched, broadcast)."""
    batch = torch.broadcast_shapes(tuple(scale_tril.shape[:-2]), tuple(diff.shape[:-1]))
    k = diff.shape[-1]
    L = scale_tril.expand(batch + (k, k))
    z = torch.linalg.solve_triangular(L, diff.expand(batch + (k,)).unsqueeze(-1), upper=False)
    return (z.squeeze(-1) ** 2).sum(-1)


def _half_log_det(scale_tril):
    return torch.log(torch.diagonal(scale_tril, dim1=-2, dim2=-1)).sum(-1)


class MultivariateNormal(Distribution):
    """N(loc, Sigma), Sigma given as covariance_matrix, precision_matrix or scale_tril
    (its Cholesky factor, which the others are turned into)."""

    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None):
        given = [m is not None for m in (covariance_matrix, precision_matrix, scale_tril)]
        if sum(given) != 1:
            raise ValueError("MultivariateNormal: give exactly one of covariance_matrix, "
                             "precision_matrix or scale_tril")
        loc = torch.as_tensor(loc) if not isinstance(loc, torch.Tensor) else loc
        if loc.ndim < 1:
            raise ValueError("MultivariateNormal: loc must be at least one-dimensional")
        matrix = next(m for m in (covariance_matrix, precision_matrix, scale_tril)
                      if m is not None)
        matrix = matrix if isinstance(matrix, torch.Tensor) else torch.as_tensor(matrix)
        if matrix.ndim < 2:
            raise ValueError("MultivariateNormal: the matrix must be at least two-dimensional")
        batch = torch.broadcast_shapes(tuple(matrix.shape[:-2]), tuple(loc.shape[:-1]))
        k = loc.shape[-1]
        self.loc = loc.expand(batch + (k,))
        matrix = matrix.expand(batch + (k, k))
        if scale_tril is not None:
            self.scale_tril = matrix
            self._L = matrix
        elif covariance_matrix is not None:
            self.covariance_matrix = matrix
        else:
            self.precision_matrix = matrix
        super().__init__(batch, (k,), validate_args=validate_args)
        if covariance_matrix is not None:
            self._L = torch.linalg.cholesky(matrix)
        elif precision_matrix is not None:
            self._L = torch.linalg.cholesky(torch.linalg.inv(matrix))

    def __getattr__(self, name):
        if name == "scale_tril":
            return self._L
        if name == "covariance_matrix":
            return self._L @ self._L.transpose(-1, -2)
        if name == "precision_matrix":
            return torch.linalg.inv(self.covariance_matrix)
        raise AttributeError(name)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return (self._L ** 2).sum(-1).expand(tuple(self.batch_shape) + tuple(self.event_shape))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        eps = tensor_like(rng().standard_normal(shape), self.loc)
        return self.loc + (self._L @ eps.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value):
        self._validate_sample(value)
        k = self.event_shape[0]
        m = _batch_mahalanobis(self._L, value - self.loc)
        return -0.5 * (k * math.log(2 * math.pi) + m) - _half_log_det(self._L)

    def entropy(self):
        k = self.event_shape[0]
        h = 0.5 * k * (1.0 + math.log(2 * math.pi)) + _half_log_det(self._L)
        return h.expand(tuple(self.batch_shape)) if len(self.batch_shape) else h

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        k = self.event_shape[0]
        return MultivariateNormal(self.loc.expand(shape + (k,)),
                                  scale_tril=self._L.expand(shape + (k, k)),
                                  validate_args=False)


class Dirichlet(Distribution):
    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        c = concentration if isinstance(concentration, torch.Tensor) \
            else torch.as_tensor(concentration, dtype=torch.get_default_dtype())
        if c.ndim < 1:
            raise ValueError("Dirichlet: concentration must be at least one-dimensional")
        self.concentration = c
        super().__init__(c.shape[:-1], c.shape[-1:], validate_args=validate_args)

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        return dirichlet_mode(self.concentration)

    @property
    def variance(self):
        total = self.concentration.sum(-1, keepdim=True)
        return self.concentration * (total - self.concentration) / (total ** 2 * (total + 1))

    def rsample(self, sample_shape=()):
        g = _standard_gamma(self.concentration, self._extended_shape(sample_shape))
        x = g / g.sum(-1, keepdim=True)
        tiny = float(np.finfo(x.dtype).tiny)
        return torch.clamp(x, tiny, 1 - float(np.finfo(x.dtype).eps))

    def log_prob(self, value):
        self._validate_sample(value)
        c = self.concentration
        return (torch.xlogy(c - 1.0, value).sum(-1) + torch.lgamma(c.sum(-1))
                - torch.lgamma(c).sum(-1))

    def entropy(self):
        c = self.concentration
        k = c.shape[-1]
        total = c.sum(-1)
        return (torch.lgamma(c).sum(-1) - torch.lgamma(total) - (k - total) * torch.digamma(total)
                - ((c - 1.0) * torch.digamma(c)).sum(-1))


class Independent(Distribution):
    """`base_distribution` with its last `reinterpreted_batch_ndims` batch axes read as
    event axes: log_prob and entropy sum over them."""

    arg_constraints: dict = {}

    def __init__(self, base_distribution, reinterpreted_batch_ndims, validate_args=None):
        n = int(reinterpreted_batch_ndims)
        batch = tuple(base_distribution.batch_shape)
        if n > len(batch):
            raise ValueError(f"Independent: reinterpreted_batch_ndims={n} exceeds the base "
                             f"distribution's {len(batch)} batch dimensions")
        self.base_dist = base_distribution
        self.reinterpreted_batch_ndims = n
        cut = len(batch) - n
        super().__init__(batch[:cut], batch[cut:] + tuple(base_distribution.event_shape),
                         validate_args=False if validate_args is None else validate_args)

    has_rsample = property(lambda self: self.base_dist.has_rsample)
    has_enumerate_support = property(lambda self: False)
    support = property(lambda self: self.base_dist.support)
    mean = property(lambda self: self.base_dist.mean)
    mode = property(lambda self: self.base_dist.mode)
    variance = property(lambda self: self.base_dist.variance)

    def sample(self, sample_shape=()):
        return self.base_dist.sample(sample_shape)

    def rsample(self, sample_shape=()):
        return self.base_dist.rsample(sample_shape)

    def _sum(self, x):
        n = self.reinterpreted_batch_ndims
        return x.sum(tuple(range(-n, 0))) if n else x

    def log_prob(self, value):
        return self._sum(self.base_dist.log_prob(value))

    def entropy(self):
        return self._sum(self.base_dist.entropy())

    def __repr__(self):
        return f"Independent({self.base_dist!r}, {self.reinterpreted_batch_ndims})"


class MixtureSameFamily(Distribution):
    """A mixture: a Categorical over the last batch axis of `component_distribution`."""

    arg_constraints: dict = {}
    has_rsample = False

    def __init__(self, mixture_distribution, component_distribution, validate_args=None):
        from .discrete import Categorical

        if not isinstance(mixture_distribution, Categorical):
            raise ValueError("MixtureSameFamily: mixture_distribution must be a Categorical")
        cb = tuple(component_distribution.batch_shape)
        if not cb or cb[-1] != mixture_distribution._num_events:
            raise ValueError(
                f"MixtureSameFamily: the component distribution's last batch dimension "
                f"({cb[-1] if cb else None}) must be the number of mixture components "
                f"({mixture_distribution._num_events})")
        self._mixture_distribution = mixture_distribution
        self._component_distribution = component_distribution
        self._event_ndims = len(component_distribution.event_shape)
        super().__init__(cb[:-1], component_distribution.event_shape,
                         validate_args=False if validate_args is None else validate_args)

    mixture_distribution = property(lambda self: self._mixture_distribution)
    component_distribution = property(lambda self: self._component_distribution)
    support = property(lambda self: self._component_distribution.support)

    def _weights(self):
        p = self._mixture_distribution.probs
        return p.reshape(tuple(p.shape) + (1,) * self._event_ndims)

    @property
    def mean(self):
        return (self._weights() * self._component_distribution.mean).sum(
            -1 - self._event_ndims)

    @property
    def variance(self):
        w, axis = self._weights(), -1 - self._event_ndims
        mean = self.mean
        within = (w * self._component_distribution.variance).sum(axis)
        between = (w * (self._component_distribution.mean - mean.unsqueeze(axis)) ** 2).sum(axis)
        return within + between

    def log_prob(self, value):
        value = value.unsqueeze(-1 - self._event_ndims)
        lp = self._component_distribution.log_prob(value)
        mix = torch.log_softmax(self._mixture_distribution.logits, dim=-1)
        return torch.logsumexp(lp + mix, dim=-1)

    def cdf(self, value):
        value = value.unsqueeze(-1 - self._event_ndims)
        return (self._component_distribution.cdf(value) * self._mixture_distribution.probs).sum(-1)

    def sample(self, sample_shape=()):
        with torch.no_grad():
            index = self._mixture_distribution.sample(sample_shape)  # sample + batch
            draws = self._component_distribution.sample(sample_shape)  # ... + (K,) + event
            e = self._event_ndims
            idx = index.reshape(tuple(index.shape) + (1,) * (e + 1))
            idx = idx.expand(tuple(index.shape) + (1,) + tuple(draws.shape[len(index.shape) + 1:]))
            return draws.gather(len(index.shape), idx).squeeze(len(index.shape))


def _batch_capacitance_tril(W, D):
    """Cholesky factor of I + W^T D^-1 W."""
    m = W.shape[-1]
    K = (W.mT / D.unsqueeze(-2)) @ W
    return torch.linalg.cholesky(K + torch.eye(m, dtype=W.dtype))


def _batch_lowrank_logdet(W, D, capacitance_tril):
    """log |W W^T + D| = log |C| + log |D| (the matrix determinant lemma)."""
    return 2 * _half_log_det(capacitance_tril) + torch.log(D).sum(-1)


def _batch_lowrank_mahalanobis(W, D, x, capacitance_tril):
    """x^T (W W^T + D)^-1 x by the Woodbury identity."""
    Wt_Dinv = W.mT / D.unsqueeze(-2)
    Wt_Dinv_x = (Wt_Dinv @ x.unsqueeze(-1)).squeeze(-1)
    return (x ** 2 / D).sum(-1) - _batch_mahalanobis(capacitance_tril, Wt_Dinv_x)


class LowRankMultivariateNormal(Distribution):
    """N(loc, cov_factor cov_factor^T + diag(cov_diag)); log_prob and entropy through the
    small capacitance matrix I + W^T D^-1 W (Woodbury, determinant lemma)."""

    arg_constraints = {"loc": constraints.real_vector,
                       "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, cov_factor, cov_diag, validate_args=None):
        if loc.ndim < 1:
            raise ValueError("loc must be at least one-dimensional.")
        event_shape = tuple(loc.shape[-1:])
        if cov_factor.ndim < 2:
            raise ValueError("cov_factor must be at least two-dimensional, with optional "
                             "leading batch dimensions")
        if tuple(cov_factor.shape[-2:-1]) != event_shape:
            raise ValueError(f"cov_factor must be a batch of matrices with shape "
                             f"{event_shape[0]} x m")
        if tuple(cov_diag.shape[-1:]) != event_shape:
            raise ValueError(f"cov_diag must be a batch of vectors with shape {event_shape}")
        try:
            loc_, self.cov_factor, cov_diag_ = torch.broadcast_tensors(
                loc.unsqueeze(-1), cov_factor, cov_diag.unsqueeze(-1))
        except (RuntimeError, ValueError) as e:
            raise ValueError(f"Incompatible batch shapes: loc {tuple(loc.shape)}, cov_factor "
                             f"{tuple(cov_factor.shape)}, cov_diag {tuple(cov_diag.shape)}") \
                from e
        self.loc = loc_[..., 0]
        self.cov_diag = cov_diag_[..., 0]
        self._unbroadcasted_cov_factor = cov_factor
        self._unbroadcasted_cov_diag = cov_diag
        self._capacitance_tril = _batch_capacitance_tril(cov_factor, cov_diag)
        super().__init__(self.loc.shape[:-1], event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape) + tuple(self.event_shape)
        new = LowRankMultivariateNormal(
            self.loc.expand(shape), self.cov_factor.expand(shape + self.cov_factor.shape[-1:]),
            self.cov_diag.expand(shape), validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    def _full(self, x, matrix=False):
        shape = tuple(self.batch_shape) + tuple(self.event_shape)
        return x.expand(shape + (tuple(self.event_shape) if matrix else ()))

    @property
    def variance(self):
        return self._full((self._unbroadcasted_cov_factor ** 2).sum(-1)
                          + self._unbroadcasted_cov_diag)

    @property
    def scale_tril(self):
        n = self.event_shape[0]
        d_sqrt = torch.sqrt(self._unbroadcasted_cov_diag).unsqueeze(-1)
        dinvsqrt_w = self._unbroadcasted_cov_factor / d_sqrt
        K = dinvsqrt_w @ dinvsqrt_w.mT + torch.eye(n, dtype=d_sqrt.dtype)
        return self._full(d_sqrt * torch.linalg.cholesky(K), matrix=True)

    @property
    def covariance_matrix(self):
        W = self._unbroadcasted_cov_factor
        return self._full(W @ W.mT + torch.diag_embed(self._unbroadcasted_cov_diag),
                          matrix=True)

    @property
    def precision_matrix(self):
        Wt_Dinv = self._unbroadcasted_cov_factor.mT / self._unbroadcasted_cov_diag.unsqueeze(-2)
        A = torch.linalg.solve_triangular(self._capacitance_tril, Wt_Dinv, upper=False)
        return self._full(torch.diag_embed(self._unbroadcasted_cov_diag.reciprocal())
                          - A.mT @ A, matrix=True)

    def rsample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        w_shape = shape[:-1] + tuple(self.cov_factor.shape[-1:])
        eps_w = tensor_like(rng().standard_normal(w_shape), self.loc)
        eps_d = tensor_like(rng().standard_normal(shape), self.loc)
        return (self.loc + (self._unbroadcasted_cov_factor @ eps_w.unsqueeze(-1)).squeeze(-1)
                + torch.sqrt(self._unbroadcasted_cov_diag) * eps_d)

    def _log_det(self):
        return _batch_lowrank_logdet(self._unbroadcasted_cov_factor,
                                     self._unbroadcasted_cov_diag, self._capacitance_tril)

    def log_prob(self, value):
        self._validate_sample(value)
        m = _batch_lowrank_mahalanobis(self._unbroadcasted_cov_factor,
                                       self._unbroadcasted_cov_diag, value - self.loc,
                                       self._capacitance_tril)
        return -0.5 * (self.event_shape[0] * math.log(2 * math.pi) + self._log_det() + m)

    def entropy(self):
        h = 0.5 * (self.event_shape[0] * (1.0 + math.log(2 * math.pi)) + self._log_det())
        return h.expand(tuple(self.batch_shape)) if len(self.batch_shape) else h


class LogisticNormal(TransformedDistribution):
    """StickBreakingTransform of Normal(loc, scale): a distribution on the simplex with
    one more coordinate than loc."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        base = Normal(loc, scale, validate_args=validate_args)
        if not base.batch_shape:
            base = base.expand([1])
        self.loc, self.scale = base.loc, base.scale
        super().__init__(base, StickBreakingTransform(), validate_args=validate_args)

    def _param_event_shape(self, name):
        return torch.Size(self.__dict__[name].shape[-1:])


class LKJCholesky(Distribution):
    """The LKJ distribution of Cholesky factors L of dim x dim correlation matrices:
    density of L L^T proportional to det(L L^T)^(concentration - 1). Draws by the onion
    method (PyTorch's), without gradient."""

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim, concentration=1.0, validate_args=None):
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. "
                             f"Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        marginal_conc = self.concentration + 0.5 * (self.dim - 2)
        offset = torch.arange(self.dim - 1, dtype=self.concentration.dtype)
        offset = torch.cat([torch.zeros(1, dtype=offset.dtype), offset])
        self._beta = Beta(offset + 0.5, marginal_conc.unsqueeze(-1) - 0.5 * offset,
                          validate_args=False)
        super().__init__(self.concentration.shape, (dim, dim), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = LKJCholesky(self.dim, self.concentration.expand(tuple(batch_shape)),
                          validate_args=False)
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape=()):
        with torch.no_grad():
            y = self._beta.sample(sample_shape).numpy()[..., None]
        shape = tuple(self._extended_shape(sample_shape))
        u_normal = np.tril(rng().standard_normal(shape), -1)
        with np.errstate(invalid="ignore"):
            u_hypersphere = u_normal / np.linalg.norm(u_normal, axis=-1, keepdims=True)
        u_hypersphere[..., 0, :] = 0.0
        w = np.sqrt(y) * u_hypersphere
        tiny = float(np.finfo(y.dtype).tiny)
        diag = np.sqrt(np.maximum(1 - (w ** 2).sum(-1), tiny))
        w = w + diag[..., None] * np.eye(self.dim)
        return tensor_like(w, self.concentration)

    def log_prob(self, value):
        self._validate_sample(value)
        diag_elems = torch.diagonal(value, dim1=-1, dim2=-2)[..., 1:]
        order = torch.arange(2, self.dim + 1)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized = torch.sum(order * torch.log(diag_elems), dim=-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        normalize = (0.5 * dm1 * math.log(math.pi) + torch.mvlgamma(alpha - 0.5, dm1)
                     - torch.lgamma(alpha) * dm1)
        return unnormalized - normalize

    def __repr__(self):
        return f"LKJCholesky(concentration: {_shape_text(self.concentration)})"


def _mvdigamma(x, p):
    steps = torch.arange(p, dtype=x.dtype) / 2
    return torch.digamma(x.unsqueeze(-1) - steps.expand(tuple(x.shape) + (p,))).sum(-1)


class Wishart(Distribution):
    """The Wishart distribution of p x p positive-definite matrices with df degrees of
    freedom (df > p - 1) and scale given as covariance_matrix, precision_matrix or
    scale_tril. ``rsample`` is PyTorch's Bartlett decomposition (chi-square diagonal with
    implicit gradients in df, normal entries below it), redrawing singular draws up to
    ``max_try_correction`` times."""

    support = constraints.positive_definite
    has_rsample = True

    @property
    def arg_constraints(self):
        return {"covariance_matrix": constraints.positive_definite,
                "precision_matrix": constraints.positive_definite,
                "scale_tril": constraints.lower_cholesky,
                "df": constraints.greater_than(self.event_shape[-1] - 1)}

    def __init__(self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None):
        given = [m for m in (covariance_matrix, precision_matrix, scale_tril) if m is not None]
        if len(given) != 1:
            raise AssertionError("Exactly one of covariance_matrix or precision_matrix or "
                                 "scale_tril may be specified.")
        param = given[0]
        if param.ndim < 2:
            raise ValueError("scale_tril must be at least two-dimensional, with optional "
                             "leading batch dimensions")
        if isinstance(df, torch.Tensor):
            batch_shape = torch.broadcast_shapes(tuple(param.shape[:-2]), tuple(df.shape))
            self.df = df.expand(batch_shape)
        else:
            batch_shape = tuple(param.shape[:-2])
            self.df = torch.tensor(float(df), dtype=param.dtype)
        p = param.shape[-1]
        event_shape = tuple(param.shape[-2:])
        if bool((self.df <= p - 1).any()):
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = {p - 1}.")
        matrix = param.expand(tuple(batch_shape) + event_shape)
        if scale_tril is not None:
            self.scale_tril = matrix
        elif covariance_matrix is not None:
            self.covariance_matrix = matrix
        else:
            self.precision_matrix = matrix
        if bool((self.df < p).any()):
            warnings.warn("Low df values detected. Singular samples are highly likely to occur "
                          "for ndim - 1 < df < ndim.", stacklevel=2)
        super().__init__(batch_shape, event_shape, validate_args=validate_args)
        self._batch_dims = tuple(-(x + 1) for x in range(len(self._batch_shape)))
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = torch.linalg.cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = torch.linalg.cholesky(
                torch.linalg.inv(precision_matrix))
        steps = torch.arange(p, dtype=self._unbroadcasted_scale_tril.dtype)
        self._dist_chi2 = Chi2(self.df.unsqueeze(-1) - steps.expand(tuple(batch_shape) + (p,)),
                               validate_args=False)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape) + tuple(self.event_shape)
        new = Wishart(self.df.expand(tuple(batch_shape)),
                      scale_tril=self._unbroadcasted_scale_tril.expand(shape),
                      validate_args=False)
        new._validate_args = self._validate_args
        return new

    def __getattr__(self, name):  # (the parametrizations not given, from scale_tril)
        if name.startswith("_"):
            raise AttributeError(name)
        shape = tuple(self._batch_shape) + tuple(self._event_shape)
        L = self._unbroadcasted_scale_tril
        if name == "scale_tril":
            return L.expand(shape)
        if name == "covariance_matrix":
            return (L @ L.transpose(-2, -1)).expand(shape)
        if name == "precision_matrix":
            eye = torch.eye(self._event_shape[-1], dtype=L.dtype)
            return torch.cholesky_solve(eye, L).expand(shape)
        raise AttributeError(name)

    def _df_matrix(self, x):
        return x.reshape(tuple(self._batch_shape) + (1, 1))

    @property
    def mean(self):
        return self._df_matrix(self.df) * self.covariance_matrix

    @property
    def mode(self):
        factor = self.df - self.covariance_matrix.shape[-1] - 1
        factor = torch.where(factor <= 0, torch.full_like(factor, math.nan), factor)
        return self._df_matrix(factor) * self.covariance_matrix

    @property
    def variance(self):
        V = self.covariance_matrix
        diag_V = torch.diagonal(V, dim1=-2, dim2=-1)
        return self._df_matrix(self.df) * (V ** 2 + torch.einsum("...i,...j->...ij",
                                                                 diag_V, diag_V))

    def _bartlett_sampling(self, sample_shape=()):
        p = self._event_shape[-1]
        chi = torch.sqrt(self._dist_chi2.rsample(sample_shape))
        chi = torch.clamp(chi, min=float(np.finfo(chi.dtype).eps))
        shape = tuple(sample_shape) + tuple(self._batch_shape)
        below = np.zeros(shape + (p, p))
        rows, cols = np.tril_indices(p, -1)
        below[..., rows, cols] = rng().standard_normal(shape + (len(rows),))
        noise = torch.diag_embed(chi) + tensor_like(below, chi)
        chol = self._unbroadcasted_scale_tril @ noise
        return chol @ chol.transpose(-2, -1)

    def rsample(self, sample_shape=(), max_try_correction=None):
        if isinstance(sample_shape, int):
            sample_shape = (sample_shape,)
        sample_shape = tuple(sample_shape)
        max_try_correction = 10 if max_try_correction is None else max_try_correction
        sample = self._bartlett_sampling(sample_shape)

        def singular(x):
            bad = ~np.asarray(self.support.check(x).numpy(), bool)
            return bad.any(self._batch_dims) if self._batch_shape else bad

        bad = singular(sample)
        if bad.any():
            warnings.warn("Singular sample detected.", stacklevel=2)
            for _ in range(max_try_correction):
                new = self._bartlett_sampling(sample_shape)
                mask = torch.as_tensor(bad.reshape(bad.shape + (1,) * (sample.ndim - bad.ndim)))
                sample = torch.where(mask, new, sample)
                bad = singular(sample)
                if not bad.any():
                    break
        return sample

    def log_prob(self, value):
        self._validate_sample(value)
        nu, p = self.df, self._event_shape[-1]
        L = self._unbroadcasted_scale_tril
        half_log_det = torch.log(torch.diagonal(L, dim1=-2, dim2=-1)).sum(-1)
        return (-nu * (p * math.log(2) / 2 + half_log_det) - torch.mvlgamma(nu / 2, p)
                + (nu - p - 1) / 2 * torch.linalg.slogdet(value).logabsdet
                - torch.diagonal(torch.cholesky_solve(value, L), dim1=-2, dim2=-1).sum(-1) / 2)

    def entropy(self):
        nu, p = self.df, self._event_shape[-1]
        half_log_det = torch.log(torch.diagonal(self._unbroadcasted_scale_tril, dim1=-2,
                                                dim2=-1)).sum(-1)
        return ((p + 1) * (p * math.log(2) / 2 + half_log_det) + torch.mvlgamma(nu / 2, p)
                - (nu - p - 1) / 2 * _mvdigamma(nu / 2, p) + nu * p / 2)

    def __repr__(self):
        return f"Wishart(df: {_shape_text(self.df)})"
