"""scipy.stats's distributions, differentiable in every argument, with no SciPy at run time.

    from chainrule.scipy.stats import norm
    import chainrule.scipy.stats.multivariate_normal as mvn

Each distribution is a module of functions with SciPy's names and signatures
(``norm.logpdf(x, loc=0, scale=1)``, ``t.cdf(x, df, loc=0, scale=1)``, ...), composed of
chainrule's primitives: NumPy values in, NumPy values out; tensors in, recorded.
"""

from . import beta, chi2, dirichlet, gamma, multivariate_normal, norm, poisson, t

__all__ = ["beta", "chi2", "dirichlet", "gamma", "multivariate_normal", "norm", "poisson", "t"]
