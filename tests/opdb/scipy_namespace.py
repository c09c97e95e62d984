"""Op database entries: ``chainrule.scipy`` (special, stats, signal, linalg, integrate,
spatial.distance), each checked against SciPy itself."""

from __future__ import annotations

import numpy as np
import scipy.special as ss

from chainrule.domains import Domain
from chainrule.scipy import special as sp

from .core import OpInfo, binary, fixed, reducing, unary

POSITIVE = Domain(0.3, 6.0)
UNIT = Domain(0.05, 0.95)


def _special(name, domain=None, ref=None, rtol=1e-12, **kw):
    return OpInfo(f"sp.special.{name}", getattr(sp, name), unary(domain),
                  ref or getattr(ss, name), plain="numpy", rtol=rtol, **kw)


def _special2(name, domains, ref=None, rtol=1e-12, **kw):
    return OpInfo(f"sp.special.{name}", getattr(sp, name), binary(domains),
                  ref or getattr(ss, name), plain="numpy", rtol=rtol, **kw)


def _with_order(name, orders, domain, rtol=1e-12):
    """A function of (integer order, x): the order fixed per entry, x differentiated."""
    def make(rng):
        out = []
        for n in orders:
            for shape in [(), (0,), (1,), (4,), (2, 3)]:
                out.append(((n, domain.sample(rng, shape)), {}, (1,)))
        out.append(((np.array([[orders[0]], [orders[-1]]]), domain.sample(rng, (3,))), {},
                    (1,)))
        return fixed(*out)(rng)

    return OpInfo(f"sp.special.{name}", getattr(sp, name), make, getattr(ss, name),
                  plain="numpy", rtol=rtol)


SPECIAL = [
    _special("gammaln", POSITIVE),
    _special("gammaln", Domain(-3.9, -0.1, avoid=(-3, -2, -1), gap=0.1)),
    _special("digamma", POSITIVE),
    _special("psi", Domain(-2.9, -0.1, avoid=(-2, -1), gap=0.1)),
    _special("gamma", Domain(0.3, 5.0)),
    _special("gamma", Domain(-2.9, -0.1, avoid=(-2, -1), gap=0.1)),
    _special("rgamma", Domain(-2.5, 5.0)),
    _special("gammasgn", Domain(-3.9, 3.0, avoid=(-3, -2, -1, 0), gap=0.1),
             differentiable=False),
    _with_order("polygamma", (0, 1, 3), Domain(0.3, 5.0)),
    OpInfo("sp.special.multigammaln", lambda a: sp.multigammaln(a, 3), unary(Domain(1.2, 5.0)),
           lambda a: ss.multigammaln(a, 3), plain="numpy", rtol=1e-12),
    _special2("beta", (POSITIVE, POSITIVE)),
    _special2("betaln", (POSITIVE, POSITIVE)),
    _special2("betaln", (Domain(12.0, 40.0), Domain(0.3, 3.0))),
    _special2("xlogy", (Domain(-2.0, 2.0), POSITIVE)),
    _special2("xlog1py", (Domain(-2.0, 2.0), Domain(-0.7, 3.0))),
    _special("erf", Domain(-3.0, 3.0)),
    _special("erfc", Domain(-3.0, 5.0)),
    _special("erfcx", Domain(-2.0, 8.0)),
    _special("erfinv", Domain(-0.95, 0.95)),
    _special("erfcinv", Domain(0.05, 1.95)),
    _special("ndtr", Domain(-6.0, 6.0)),
    _special("log_ndtr", Domain(-10.0, 5.0)),
    _special("ndtri", Domain(0.02, 0.98)),
    _special("expit", Domain(-6.0, 6.0)),
    _special("log_expit", Domain(-6.0, 6.0)),
    _special("logit", UNIT),
    # (SciPy 1.17 gives a 0-d input with keepdims=True the shape (1,); NumPy's reductions,
    # and chainrule, keep ().)
    OpInfo("sp.special.logsumexp", sp.logsumexp,
           reducing(shapes=((2, 3), (4,)), axes=(None, 0, -1), empty=False), ss.logsumexp,
           plain="numpy"),
    OpInfo("sp.special.logsumexp (b)", lambda a, b: sp.logsumexp(a, axis=-1, b=b),
           binary((None, Domain(0.2, 2.0)), pairs=[((2, 3), (3,)), ((4,), (4,))]),
           lambda a, b: ss.logsumexp(a, axis=-1, b=b), plain="numpy"),
    OpInfo("sp.special.softmax", sp.softmax, reducing(axes=(None, 0, -1), keepdims=(None,),
                                                      empty=False), ss.softmax, plain="numpy"),
    OpInfo("sp.special.log_softmax", sp.log_softmax,
           reducing(axes=(None, 0, -1), keepdims=(None,), empty=False), ss.log_softmax,
           plain="numpy"),
]

OPS = SPECIAL
