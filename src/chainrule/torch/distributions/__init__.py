"""``torch.distributions``: probability distributions with PyTorch's interface.

``log_prob``, ``entropy``, ``cdf``, the moments and ``rsample`` are differentiable in
the parameters (reparameterized draws for the location-scale families, implicit ones for
Gamma, Beta, Chi2, StudentT and Dirichlet); ``sample`` draws without gradient from
chainrule.torch's default generator. ``kl_divergence`` has PyTorch's closed forms.
Not provided: transforms and ``TransformedDistribution`` (LogNormal and HalfNormal are
written directly), the relaxed distributions, ``LowRankMultivariateNormal``, Wishart,
von Mises, and the rest of PyTorch's less common families.
"""

from . import constraints, kl
from .continuous import (
    Beta,
    Cauchy,
    Chi2,
    Exponential,
    Gamma,
    HalfNormal,
    Laplace,
    LogNormal,
    Normal,
    StudentT,
    Uniform,
)
from .discrete import Bernoulli, Binomial, Categorical, Geometric, OneHotCategorical, Poisson
from .distribution import Distribution
from .kl import kl_divergence, register_kl
from .multivariate import Dirichlet, Independent, MixtureSameFamily, MultivariateNormal

__all__ = [
    "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2", "Dirichlet",
    "Distribution", "Exponential", "Gamma", "Geometric", "HalfNormal", "Independent",
    "Laplace", "LogNormal", "MixtureSameFamily", "MultivariateNormal", "Normal",
    "OneHotCategorical", "Poisson", "StudentT", "Uniform", "constraints", "kl",
    "kl_divergence", "register_kl",
]
