"""``torch.distributions``: probability distributions with PyTorch's interface.

``log_prob``, ``entropy``, ``cdf``, the moments and ``rsample`` are differentiable in
the parameters (reparameterized draws for the location-scale families, implicit ones for
Gamma, Beta, Chi2, StudentT and Dirichlet); ``sample`` draws without gradient from
chainrule.torch's default generator. ``kl_divergence`` has PyTorch's closed forms.
``TransformedDistribution`` pushes a distribution through the transforms of
``transforms`` (exp, affine, sigmoid, tanh, softplus, power, abs, softmax, composed and
inverted). Not provided: ``biject_to``/``transform_to``, the stick-breaking and
correlation transforms, ``LowRankMultivariateNormal``, Wishart, von Mises, and the rest
of PyTorch's less common families.
"""

from . import constraints, kl, relaxed, transforms
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
from .relaxed import RelaxedBernoulli, RelaxedOneHotCategorical
from .transforms import (
    AbsTransform,
    AffineTransform,
    ComposeTransform,
    ExpTransform,
    PowerTransform,
    SigmoidTransform,
    SoftmaxTransform,
    SoftplusTransform,
    TanhTransform,
    Transform,
    TransformedDistribution,
)

__all__ = [
    "AbsTransform", "AffineTransform", "Bernoulli", "Beta", "Binomial", "Categorical",
    "Cauchy", "Chi2", "ComposeTransform", "Dirichlet", "Distribution",
    "ExpTransform", "Exponential", "Gamma", "Geometric", "HalfNormal", "Independent",
    "Laplace", "LogNormal", "MixtureSameFamily",
    "MultivariateNormal", "Normal", "OneHotCategorical", "Poisson", "PowerTransform",
    "RelaxedBernoulli", "RelaxedOneHotCategorical", "SigmoidTransform", "SoftmaxTransform",
    "SoftplusTransform", "StudentT", "TanhTransform", "Transform",
    "TransformedDistribution", "Uniform", "constraints", "kl", "kl_divergence",
    "register_kl", "relaxed", "transforms",
]
