"""GELU as one elementwise primitive, for speed (the layers' F.gelu / nn.GELU).

    exact:  y = x Phi(x),  Phi(x) = (1 + erf(x / sqrt 2)) / 2
            y' = Phi(x) + x phi(x)
    tanh:   y = x (1 + t) / 2,  t = tanh(k (x + a x^3))
            y' = (1 + t) / 2 + x (1 - t^2) k (1 + 3 a x^2) / 2

with phi the standard normal density, k = sqrt(2 / pi), a = 0.044715. The composition
(primitives.activations.gelu) records five nodes (nine for tanh) and evaluates erf's own
derivative in backward; here the forward computes y and y' together, block by block in
cache, and keeps y' for the first-order VJP, which is then one product (timings in
docs/performance.md, "GELU fused"). The rule is written with chainrule operations for
the tensor path, so higher orders follow.
"""

from __future__ import annotations

import math

import numpy as np

from .. import batching as B
from .. import statements as S
from ..domains import Domain
from ..rules import primitive
from .activations import _erf_block, _erf_fwd, _erf_single_block, erf
from .elementwise import exp, tanh

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_K = math.sqrt(2 / math.pi)
_A = 0.044715


# Elements per pass of the forward. Each block's dozen or more array operations then
# work on scratch that stays in cache (docs/performance.md, "GELU fused").
_BLOCK = 65536


def _exact_block(x, y, d, u, e, scratch):
    """y = x Phi(x) and d = Phi(x) + x phi(x) for one block, in the composition's order
    and x's dtype (so equal to cr.gelu's bits), erf in float64 scratch as cr.erf does."""
    np.multiply(x, _SQRT_HALF, out=u)
    if u.dtype == np.float64:
        _erf_block(u, e, *scratch)
    elif u.dtype.itemsize <= 4:
        wide, out, t, work = scratch
        wide[...] = u
        _erf_single_block(wide, out, t, work)  # (clips wide in place)
        e[...] = out
    else:  # (long double: as cr.erf, through float64)
        e[...] = _erf_fwd(u)
    e += 1
    np.multiply(x, 0.5, out=y)
    y *= e
    e *= 0.5
    np.multiply(x, x, out=d)
    d *= -0.5
    np.exp(d, out=d)
    d *= _INV_SQRT_2PI
    d *= x
    d += e


def _tanh_block(x, y, d, t, s):
    """The tanh form for one block, in x's own dtype (so equal to cr.gelu's bits)."""
    np.multiply(_A, x, out=t)
    t *= x
    t *= x
    t += x
    t *= _K
    np.tanh(t, out=t)
    np.add(t, 1, out=s)
    np.multiply(x, 0.5, out=y)
    y *= s
    # y' = (1 + t) / 2 + x (1 - t^2) k (1 + 3 a x^2) / 2
    np.multiply(t, t, out=t)
    np.subtract(1, t, out=t)
    np.multiply(x, x, out=d)
    d *= 3 * _A
    d += 1
    d *= _K
    d *= x
    d *= t
    d += s
    d *= 0.5


def _gelu_fwd(x, approximate="none"):
    """(y, y'): the forward keeps the local derivative, so the first-order VJP is one
    product. Both are computed block by block in cache."""
    x = np.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    flat = x.reshape(-1).astype(dtype, copy=False)
    y, d = np.empty(flat.size, dtype), np.empty(flat.size, dtype)
    n = min(flat.size, _BLOCK)
    if approximate == "tanh":
        t, s = np.empty(n, dtype), np.empty(n, dtype)
        for lo in range(0, flat.size, _BLOCK):
            hi = min(lo + _BLOCK, flat.size)
            _tanh_block(flat[lo:hi], y[lo:hi], d[lo:hi], t[:hi - lo], s[:hi - lo])
    else:
        u, e = np.empty(n, dtype), np.empty(n, dtype)
        wide = [np.empty(n) for _ in range(3)] + [np.empty((2, n))]
        for lo in range(0, flat.size, _BLOCK):
            hi = min(lo + _BLOCK, flat.size)
            m = hi - lo
            _exact_block(flat[lo:hi], y[lo:hi], d[lo:hi], u[:m], e[:m],
                         [w[..., :m] for w in wide])
    return y.reshape(x.shape), d.reshape(x.shape)


def _gelu_vjp(g, ans, x, approximate="none", saved=None):
    if saved is not None and type(g) is np.ndarray:
        return np.multiply(g, saved, dtype=saved.dtype, casting="same_kind")
    if approximate == "tanh":
        t = tanh(_K * (x + _A * x * x * x))
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _K * (1 + 3 * _A * x * x))
    cdf = 0.5 * (1 + erf(x * _SQRT_HALF))
    return g * (cdf + x * (_INV_SQRT_2PI * exp(-0.5 * x * x)))


gelu = primitive(
    "fused_gelu", _gelu_fwd,
    saves=True,
    # A diagonal Jacobian: the VJP rule is also the JVP rule. (Not declared elementwise:
    # that flag promises a forward returning the output alone, and this one also saves.)
    symmetric=True,
    batch=B.elementwise_rule,
    domain=Domain(-4.0, 4.0),
    statement=S.unary(
        "x Phi(x), Phi the standard normal CDF (approximate='tanh': x (1 + tanh(sqrt(2/pi) "
        "(x + 0.044715 x^3))) / 2)",
        "(Phi(x) + x phi(x)), phi the standard normal density",
        r"x\,\Phi(x)",
        r"\left(\Phi(x) + x\,\varphi(x)\right)",
    ),
).defvjp(_gelu_vjp)
