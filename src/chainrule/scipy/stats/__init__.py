"""scipy.stats's distributions, differentiable in every argument, with no SciPy at run time.

    from chainrule.scipy.stats import norm
    import chainrule.scipy.stats.multivariate_normal as mvn

Each distribution is a module of functions with SciPy's names and signatures
(``norm.logpdf(x, loc=0, scale=1)``, ``t.cdf(x, df, loc=0, scale=1)``, ...), composed of
chainrule's primitives: NumPy values in, NumPy values out; tensors in, recorded.
"""

from . import (
    bernoulli,
    beta,
    binom,
    cauchy,
    chi2,
    dirichlet,
    expon,
    gamma,
    geom,
    gumbel_l,
    gumbel_r,
    laplace,
    logistic,
    lognorm,
    multivariate_normal,
    nbinom,
    norm,
    pareto,
    poisson,
    t,
    uniform,
)

__all__ = [
    "bernoulli", "beta", "binom", "cauchy", "chi2", "dirichlet", "expon", "gamma", "geom",
    "gumbel_l", "gumbel_r", "laplace", "logistic", "lognorm", "multivariate_normal", "nbinom",
    "norm", "pareto", "poisson", "t", "uniform",
]
