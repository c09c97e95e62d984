"""Scaled dot-product attention as one primitive.

    attention(q, k, v, bias, scale=..., keep=None):
        s = scale q k^T + bias          (..., L, S)
        p = softmax(s) along S          (a row of only -inf gives p = 0)
        y = (p * keep) v                (keep: a dropout mask already divided by 1 - p_drop)

As a composition (matmul, multiply, add, softmax, multiply, matmul) it costs six nodes
and keeps four (..., L, S) arrays for backward; fused it keeps p alone. The VJP, with
p_d = p * keep:

    v_bar = p_d^T g;   t = (g v^T) * keep;   s_bar = p (t - sum_S(t p))
    q_bar = scale s_bar k;   k_bar = scale s_bar^T q;   bias_bar = s_bar

(the softmax VJP inside). A fully masked row has p = 0, so its s_bar, and the gradient
reaching q, k and the mask from it, is exactly zero. Batch axes broadcast as in matmul
(grouped-query attention passes k and v with a size-1 group axis).

The rules are written with chainrule operations: in a first-order backward they run as
NumPy on the saved p (the shared s_bar computed once per node), and with tensors they
record, which gives every higher order.
"""

from __future__ import annotations

import numpy as np

from .. import statements as S
from ..domains import Example
from ..rules import primitive
from .activations import softmax
from .linalg import matmul
from .reductions import sum as _sum
from .shape import swapaxes


def _scores(q, k, bias, scale):
    return matmul(q, swapaxes(k, -1, -2)) * scale + bias


def _attention_fwd(q, k, v, bias, scale=1.0, keep=None):
    q, k, v = np.asarray(q), np.asarray(k), np.asarray(v)
    s = np.matmul(q, np.swapaxes(k, -1, -2))
    s *= scale
    s = s + bias  # (bias may broadcast s to a larger shape)
    p = softmax(s, axis=-1)
    pd = p if keep is None else p * keep
    return np.matmul(pd, v), {"p": p}


def _probabilities(q, k, bias, scale, saved):
    return saved["p"] if saved is not None else softmax(_scores(q, k, bias, scale), axis=-1)


def _score_cotangent(g, q, k, v, bias, scale, keep, saved):
    """s_bar = p (t - sum_S(t p)), t = (g v^T) * keep; kept on the node in a first-order pass."""
    if saved is not None:
        hit = saved.get("ds")
        if hit is not None and hit[0] is g:
            return hit[1]
    p = _probabilities(q, k, bias, scale, saved)
    t = matmul(g, swapaxes(v, -1, -2))
    if keep is not None:
        t = t * keep
    ds = p * (t - _sum(t * p, axis=-1, keepdims=True))
    if saved is not None:
        saved["ds"] = (g, ds)
    return ds


def _vjp_q(g, ans, q, k, v, bias, scale=1.0, keep=None, saved=None):
    ds = _score_cotangent(g, q, k, v, bias, scale, keep, saved)
    return matmul(ds, k) * scale


def _vjp_k(g, ans, q, k, v, bias, scale=1.0, keep=None, saved=None):
    ds = _score_cotangent(g, q, k, v, bias, scale, keep, saved)
    return matmul(swapaxes(ds, -1, -2), q) * scale


def _vjp_v(g, ans, q, k, v, bias, scale=1.0, keep=None, saved=None):
    p = _probabilities(q, k, bias, scale, saved)
    pd = p if keep is None else p * keep
    return matmul(swapaxes(pd, -1, -2), g)


def _vjp_bias(g, ans, q, k, v, bias, scale=1.0, keep=None, saved=None):
    return _score_cotangent(g, q, k, v, bias, scale, keep, saved)


def _example(rng):
    q, k, v = (rng.standard_normal((2, 3, 4)) for _ in range(3))
    return (q, k, v, rng.standard_normal((3, 3)) * 0.5), {"scale": 0.5}


attention = primitive(
    "attention", _attention_fwd,
    saves=True,
    domain=Example(_example),
    statement=S.Statement(
        forward="y = softmax(scale q k^T + bias) v along the keys (a row of only -inf gives "
        "weights 0, so y = 0 there), optionally times a dropout mask before v",
        vjp="v_bar = p^T g; s_bar = p (g v^T - sum(g v^T p)); q_bar = scale s_bar k; "
        "k_bar = scale s_bar^T q; bias_bar = s_bar",
        latex_forward=r"y = \operatorname{softmax}\!\left(s\, q k^\top + b\right) v",
        latex_vjp=r"\bar s = p \odot \left(\bar y v^\top - \textstyle\sum_j (\bar y v^\top)_j "
        r"p_j\right),\quad \bar q = s\,\bar s k,\quad \bar k = s\,\bar s^\top q",
    ),
).defvjp(_vjp_q, _vjp_k, _vjp_v, _vjp_bias)
