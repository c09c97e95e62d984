"""``torch.special``: PyTorch's special functions over chainrule.scipy.special.

Arguments as PyTorch takes them (``polygamma(n, input)``, ``multigammaln(input, p)``,
``logit(input, eps=None)``, ``softmax(input, dim)``); integer input computes in the
default float dtype. Each is differentiable where chainrule's function is (the Bessel
functions in x, polygamma in x, not in n). Not provided: ``zeta``, the Airy and modified
Bessel K functions and the orthogonal polynomials.
"""

from __future__ import annotations

from .. import numpy as cnp
from ..scipy import special as _special
from .functions import erf, expm1, log1p, log_softmax, logsumexp, sigmoid, softmax
from .more_functions import (
    _binary,
    _unary,
    digamma,
    erfc,
    erfinv,
    exp2,
    i0,
    lgamma,
    logit,
    mvlgamma,
    polygamma,
    round,
    sinc,
    xlogy,
)

__all__ = [
    "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "digamma", "entr", "erf", "erfc",
    "erfcx", "erfinv", "exp2", "expit", "expm1", "gammainc", "gammaincc", "gammaln", "i0",
    "i0e", "i1", "i1e", "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp",
    "modified_bessel_i0", "modified_bessel_i1", "multigammaln", "ndtr", "ndtri",
    "polygamma", "psi", "round", "sinc", "softmax", "spherical_bessel_j0", "xlog1py",
    "xlogy",
]

psi = digamma
gammaln = lgamma
expit = sigmoid
multigammaln = mvlgamma
erfcx = _unary("erfcx", _special.erfcx, "exp(x^2) erfc(x), without overflow for large x.")
entr = _unary("entr", _special.entr, "-x log x (0 at 0, -inf for x < 0).")
ndtr = _unary("ndtr", _special.ndtr, "The standard normal CDF.")
ndtri = _unary("ndtri", _special.ndtri, "The inverse of the standard normal CDF.")
log_ndtr = _unary("log_ndtr", _special.log_ndtr, "log of the standard normal CDF, accurate "
                  "far into the left tail.")
i0e = _unary("i0e", _special.i0e, "exp(-|x|) I0(x).")
i1 = modified_bessel_i1 = _unary("i1", _special.i1, "The modified Bessel function of the "
                                 "first kind, order 1.")
i1e = _unary("i1e", _special.i1e, "exp(-|x|) I1(x).")
modified_bessel_i0 = i0
bessel_j0 = _unary("bessel_j0", _special.j0, "The Bessel function of the first kind, "
                   "order 0.")
bessel_j1 = _unary("bessel_j1", _special.j1, "The Bessel function of the first kind, "
                   "order 1.")
bessel_y0 = _unary("bessel_y0", _special.y0, "The Bessel function of the second kind, "
                   "order 0.")
bessel_y1 = _unary("bessel_y1", _special.y1, "The Bessel function of the second kind, "
                   "order 1.")
spherical_bessel_j0 = _unary("spherical_bessel_j0", lambda x: cnp.sinc(x / cnp.pi),
                             "sin(x) / x, 1 at 0.")
gammainc = _binary("gammainc", _special.gammainc, "The regularized lower incomplete gamma "
                   "function P(input, other).", float_valued=True)
gammaincc = _binary("gammaincc", _special.gammaincc, "The regularized upper incomplete "
                    "gamma function Q(input, other).", float_valued=True)
xlog1py = _binary("xlog1py", _special.xlog1py, "input * log1p(other), 0 where input is 0.",
                  float_valued=True)

