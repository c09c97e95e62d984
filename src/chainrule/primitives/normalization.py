"""The standardization behind every normalization layer, as one primitive.

standardize(x, axis, eps, center=True):
    y = (x - mean(x)) / sqrt(var(x) + eps)   over `axis` (biased variance)
    y = x / sqrt(mean(x^2) + eps)            with center=False (RMS normalization)

LayerNorm, BatchNorm (training), InstanceNorm, GroupNorm and RMSNorm are this primitive
followed by an affine map. As a composition (mean, subtract, square, mean, add, sqrt,
divide) it costs seven nodes and seven temporaries in backward; as one node its VJP is
three NumPy passes, with s = 1 / sqrt(var + eps) saved by the forward:

    x_bar = s (g - mean(g) - y mean(g y))      (center=False: s (g - y mean(g y)))

The Jacobian s (I - 1 1^T / n - y y^T / n) is symmetric, so the same rule serves forward
mode. The rule is written with chainrule's operations (mean, products): under
create_graph=True it records and gives the second derivative (docs/derivations.md,
section 10).
"""

from __future__ import annotations

import numpy as np

from .. import batching as B
from .. import statements as S
from ..domains import Example
from ..rules import primitive
from .elementwise import sqrt
from .reductions import mean


def _standardize_fwd(x, axis, eps, center=True):
    x = np.asarray(x)
    if center:
        d = x - x.mean(axis, keepdims=True)
    else:
        d = x.copy()
    var = np.mean(np.square(d), axis, keepdims=True)
    var += eps
    inv = np.sqrt(var, out=var)
    np.divide(1, inv, out=inv)
    d *= inv
    return d, inv


def _inverse_scale(x, axis, eps, center):
    """1 / sqrt(var + eps) (or of mean(x^2) + eps), differentiably, for the rule's tensor path."""
    d = x - mean(x, axis=axis, keepdims=True) if center else x
    return 1 / sqrt(mean(d * d, axis=axis, keepdims=True) + eps)


def _standardize_vjp(g, ans, x, axis, eps, center=True, saved=None):
    inv = saved if saved is not None else _inverse_scale(x, axis, eps, center)
    if type(g) is np.ndarray and saved is not None:  # first order: three NumPy passes
        gy = g * ans
        proj = gy.mean(axis, keepdims=True)
        out = ans * proj
        np.subtract(g, out, out=out)
        if center:
            out -= g.mean(axis, keepdims=True)
        out *= inv
        return out
    out = g - ans * mean(g * ans, axis=axis, keepdims=True)
    if center:
        out = out - mean(g, axis=axis, keepdims=True)
    return out * inv


def _example(rng):
    return (rng.standard_normal((3, 5)),), {"axis": (1,), "eps": 1e-5}


standardize = primitive(
    "standardize", _standardize_fwd,
    saves=True,
    symmetric=True,
    # vmap: the normalized axes move past the batch axis, as softmax's axis does.
    batch=B.softmax_rule,
    domain=Example(_example),
    statement=S.Statement(
        forward="y = (x - mean x) / sqrt(var x + eps) over the given axes (center=False: "
        "y = x / sqrt(mean x^2 + eps)); the core of every normalization layer",
        vjp="x_bar = s (g - mean g - y mean(g y)) with s = 1 / sqrt(var x + eps) "
        "(center=False: s (g - y mean(g y)))",
        latex_forward=r"y = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}",
        latex_vjp=r"\bar x = s\left(\bar y - \overline{\bar y} - y\, \overline{\bar y y}\right)",
        jacobian="J = s (I - 1 1^T / n - y y^T / n): symmetric, so the VJP rule is also the "
        "JVP rule",
        latex_jacobian=r"J = s\left(I - \tfrac1n \mathbf 1 \mathbf 1^\top"
        r" - \tfrac1n y y^\top\right)",
    ),
).defvjp(_standardize_vjp)
