"""numpy.random as a module of chainrule.numpy: ``import chainrule.numpy.random as npr``.

The generators, seeding and state are NumPy's own. The samplers are NumPy's, guarded:
a distribution parameter that is a traced tensor (one being differentiated) raises
instead of being read as plain numbers, since NumPy's sampler cannot carry a gradient
to it; write the sample as a differentiable function of a parameter-free draw instead
(the reparameterization ``mu + sigma * npr.standard_normal(shape)``). ``permutation``
and ``choice`` of a tensor pick its elements differentiably.
"""

from __future__ import annotations

import functools

import numpy.random as _npr
from numpy.random import (  # noqa: F401  (NumPy's own)
    MT19937,
    PCG64,
    PCG64DXSM,
    SFC64,
    BitGenerator,
    Generator,
    Philox,
    RandomState,
    SeedSequence,
    default_rng,
    get_state,
    seed,
    set_state,
)

from ..graph import is_tensor
from .dispatch import any_tensor, any_traced
from .dispatch import plain_values as _plain


def _sampler(fn):
    """NumPy's sampler `fn`, refusing traced tensors as parameters."""
    name = fn.__name__

    @functools.wraps(fn)
    def sample(*args, **kwargs):
        if any_tensor(args) or any_tensor(kwargs.values()):
            if any_traced(args) or any_traced(kwargs.values()):
                raise TypeError(
                    f"numpy.random.{name}: a parameter is a tensor being differentiated, "
                    f"and NumPy's sampler cannot pass a gradient to it; draw the noise "
                    f"without it and transform it (e.g. mu + sigma * "
                    f"npr.standard_normal(shape)), or pass x.detach()"
                )
            args = _plain(args)
            kwargs = {k: _plain(v) for k, v in kwargs.items()}
        return fn(*args, **kwargs)

    return sample


def permutation(x):
    """A random permutation of range(x) for an integer, or of x's first axis (a tensor's
    elements move with their gradients)."""
    if is_tensor(x):
        return x[_npr.permutation(x.shape[0])] if x.ndim else x
    return _npr.permutation(x)


def choice(a, size=None, replace=True, p=None):
    """Random elements of a 1-D array (or of range(a)); a tensor's chosen elements keep
    their gradients. The probabilities `p` are read as numbers (no gradient)."""
    if is_tensor(a):
        if any_traced([p]):
            raise TypeError("numpy.random.choice: p cannot carry a gradient; pass p.detach()")
        picks = _npr.choice(a.shape[0], size=size, replace=replace, p=_plain(p))
        return a[picks]
    return _npr.choice(a, size=size, replace=replace, p=_plain(p))


def shuffle(x):
    """Shuffle an ndarray or list in place (NumPy's own); tensors: use permutation(x)."""
    if is_tensor(x):
        raise TypeError(
            "numpy.random.shuffle: cannot shuffle a tensor in place; use "
            "x = npr.permutation(x), which keeps the gradient"
        )
    _npr.shuffle(x)


beta = _sampler(_npr.beta)
binomial = _sampler(_npr.binomial)
chisquare = _sampler(_npr.chisquare)
dirichlet = _sampler(_npr.dirichlet)
exponential = _sampler(_npr.exponential)
f = _sampler(_npr.f)
gamma = _sampler(_npr.gamma)
geometric = _sampler(_npr.geometric)
gumbel = _sampler(_npr.gumbel)
hypergeometric = _sampler(_npr.hypergeometric)
laplace = _sampler(_npr.laplace)
logistic = _sampler(_npr.logistic)
lognormal = _sampler(_npr.lognormal)
logseries = _sampler(_npr.logseries)
multinomial = _sampler(_npr.multinomial)
multivariate_normal = _sampler(_npr.multivariate_normal)
negative_binomial = _sampler(_npr.negative_binomial)
noncentral_chisquare = _sampler(_npr.noncentral_chisquare)
noncentral_f = _sampler(_npr.noncentral_f)
normal = _sampler(_npr.normal)
pareto = _sampler(_npr.pareto)
poisson = _sampler(_npr.poisson)
power = _sampler(_npr.power)
rand = _sampler(_npr.rand)
randint = _sampler(_npr.randint)
randn = _sampler(_npr.randn)
random = _sampler(_npr.random)
random_integers = _sampler(_npr.random_integers)
random_sample = _sampler(_npr.random_sample)
ranf = _sampler(_npr.ranf)
rayleigh = _sampler(_npr.rayleigh)
sample = _sampler(_npr.sample)
standard_cauchy = _sampler(_npr.standard_cauchy)
standard_exponential = _sampler(_npr.standard_exponential)
standard_gamma = _sampler(_npr.standard_gamma)
standard_normal = _sampler(_npr.standard_normal)
standard_t = _sampler(_npr.standard_t)
triangular = _sampler(_npr.triangular)
uniform = _sampler(_npr.uniform)
vonmises = _sampler(_npr.vonmises)
wald = _sampler(_npr.wald)
weibull = _sampler(_npr.weibull)
zipf = _sampler(_npr.zipf)
bytes = _sampler(_npr.bytes)
