"""Op database entries: chainrule.nn.jax (``jnn.name``, jax.nn's functions), against
NumPy references written from the definitions. Kinked functions draw their samples away
from the kinks."""

from __future__ import annotations

import math

import numpy as np

import chainrule.nn.jax as jnn
from chainrule.domains import Domain

from . import nn_references as N
from . import references as R
from .core import OpInfo, fixed, unary

SHAPES = [(), (0,), (1,), (4,), (2, 3), (1, 3, 1)]
_K = math.sqrt(2 / math.pi)


def _entry(name, op, samples, ref, **kw):
    return OpInfo(f"jnn.{name}", op, samples, ref, plain="numpy", list_inputs=False, **kw)


_REAL = Domain(-4.0, 4.0)


def _unary(name, ref, domain=_REAL):
    return _entry(name, getattr(jnn, name), unary(domain, shapes=SHAPES), ref)


def _away(*kinks, low=-4.0, high=4.0):
    return Domain(low, high, avoid=kinks, gap=0.05)


def _selu(x):
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    return scale * np.where(x > 0, x, alpha * np.expm1(x))


def _sparse_plus(x):
    return np.where(x <= -1, 0.0, np.where(x >= 1, x, (x + 1) ** 2 / 4))


def _standardize(x, axis):
    mean = x.mean(axis=axis, keepdims=True)
    return (x - mean) / np.sqrt(((x - mean) ** 2).mean(axis=axis, keepdims=True) + 1e-5)


def _masked_softmax(x, where):
    e = np.where(where, np.exp(x - x.max(axis=-1, keepdims=True)), 0.0)
    return e / e.sum(axis=-1, keepdims=True)


def _rows(rng):
    return rng.standard_normal((3, 4))


_MASK = np.array([[True, False, True, True], [True, True, True, True], [False, True, True, False]])


# Grouped heads (6 query heads over 2 key heads), a bias, a mask with one row masked
# throughout (uniform attention, as JAX), causal, local windows, sequence lengths.
_ATTENTION_MASK = np.random.default_rng(5).random((2, 1, 4, 5)) > 0.3
_ATTENTION_MASK[0, 0, 1] = False
_ATTENTION_CASES = [{}, {"bias": np.random.default_rng(6).standard_normal((2, 6, 4, 5))},
                    {"mask": _ATTENTION_MASK}, {"is_causal": True},
                    {"scale": 0.3, "local_window_size": (1, 0)}, {"local_window_size": 1},
                    {"query_seq_lengths": np.array([2, 4]),
                     "key_value_seq_lengths": np.array([3, 5])}]


def _attention_inputs(rng):
    return (rng.standard_normal((2, 4, 6, 3)), rng.standard_normal((2, 5, 2, 3)),
            rng.standard_normal((2, 5, 2, 3)))


def _attention(q, k, v, bias=None, mask=None, scale=None, is_causal=False,
               local_window_size=None, query_seq_lengths=None, key_value_seq_lengths=None):
    """Per batch, query head and query position: the weights over key positions written
    out, masked positions at JAX's -0.7 * max before the softmax."""
    b, t, n, h = q.shape
    s, g = k.shape[1], n // k.shape[2]
    out = np.zeros(q.shape)
    for bi, ni, ti in np.ndindex(b, n, t):
        logits = np.array([q[bi, ti, ni] @ k[bi, si, ni // g] for si in range(s)])
        logits = logits * (1 / math.sqrt(h) if scale is None else scale)
        if bias is not None:
            logits = logits + bias[bi, ni, ti]
        keep = np.ones(s, bool) if mask is None else mask[bi, 0, ti].copy()
        for si in range(s):
            if is_causal and si > ti:
                keep[si] = False
            if local_window_size is not None:
                left, right = ((local_window_size,) * 2 if np.ndim(local_window_size) == 0
                               else local_window_size)
                keep[si] &= ti - left <= si <= ti + right
            if key_value_seq_lengths is not None and si >= key_value_seq_lengths[bi]:
                keep[si] = False
            if query_seq_lengths is not None and ti >= query_seq_lengths[bi]:
                keep[si] = False
        logits = np.where(keep, logits, -0.7 * np.finfo(np.float64).max)
        w = np.exp(logits - logits.max())
        w /= w.sum()
        out[bi, ti, ni] = w @ v[bi, :, ni // g]
        if query_seq_lengths is not None and ti >= query_seq_lengths[bi]:
            out[bi, ti, ni] = 0.0
    return out


OPS = [
    _unary("relu", lambda x: np.maximum(x, 0), _away(0.0)),
    _unary("relu6", lambda x: np.clip(x, 0, 6), _away(0.0, 6.0, low=-2.0, high=8.0)),
    _unary("sigmoid", R.sigmoid),
    _unary("log_sigmoid", R.log_sigmoid),
    _unary("softplus", R.softplus),
    _unary("soft_sign", lambda x: x / (1 + np.abs(x)), _away(0.0)),
    _unary("silu", lambda x: x * R.sigmoid(x)),
    _unary("swish", lambda x: x * R.sigmoid(x)),
    _unary("mish", lambda x: x * np.tanh(np.log1p(np.exp(x)))),
    _unary("tanh", np.tanh, Domain(-3.0, 3.0)),
    _unary("identity", lambda x: x),
    _unary("leaky_relu", lambda x: np.where(x >= 0, x, 0.01 * x), _away(0.0)),
    _entry("leaky_relu (slope)", lambda x: jnn.leaky_relu(x, 0.3),
           unary(_away(0.0), shapes=SHAPES), lambda x: np.where(x >= 0, x, 0.3 * x)),
    _unary("hard_tanh", lambda x: np.clip(x, -1, 1), _away(-1.0, 1.0)),
    _unary("hard_sigmoid", lambda x: np.clip(x + 3, 0, 6) / 6, _away(-3.0, 3.0, low=-5, high=5)),
    _unary("hard_silu", lambda x: x * np.clip(x + 3, 0, 6) / 6, _away(-3.0, 3.0, low=-5, high=5)),
    _unary("hard_swish", lambda x: x * np.clip(x + 3, 0, 6) / 6, _away(-3.0, 3.0, low=-5, high=5)),
    _unary("elu", R.elu, _away(0.0)),
    _entry("celu", lambda x: jnn.celu(x, 1.5), unary(_away(0.0), shapes=SHAPES),
           lambda x: np.where(x > 0, x, 1.5 * np.expm1(x / 1.5))),
    _unary("selu", _selu, _away(0.0)),
    _unary("gelu", lambda x: R.gelu(x, "tanh")),
    _entry("gelu (exact)", lambda x: jnn.gelu(x, approximate=False),
           unary(Domain(-4.0, 4.0), shapes=SHAPES), N.gelu),
    _entry("glu", jnn.glu, fixed(lambda rng: ((rng.standard_normal((3, 4)),), {}),
                                 lambda rng: ((rng.standard_normal((4, 2)),), {"axis": 0})),
           lambda x, axis=-1: N.glu(x, axis)),
    _unary("squareplus", lambda x: (x + np.sqrt(x * x + 4)) / 2),
    _unary("sparse_plus", _sparse_plus, _away(-1.0, 1.0, low=-3, high=3)),
    _unary("sparse_sigmoid", lambda x: np.clip((x + 1) / 2, 0, 1),
           _away(-1.0, 1.0, low=-3, high=3)),
    # both of Maechler's branches: x below and above log 2
    _unary("log1mexp", lambda x: np.log(-np.expm1(-x)), Domain(0.05, 4.0)),
    _entry("softmax", jnn.softmax, fixed(lambda rng: ((_rows(rng),), {}),
                                         lambda rng: ((_rows(rng),), {"axis": 0})),
           lambda x, axis=-1: R.softmax(x, axis)),
    _entry("softmax (where)", lambda x: jnn.softmax(x, where=_MASK),
           fixed(lambda rng: ((_rows(rng),), {})), lambda x: _masked_softmax(x, _MASK)),
    _entry("log_softmax", jnn.log_softmax, fixed(lambda rng: ((_rows(rng),), {}),
                                                 lambda rng: ((_rows(rng),), {"axis": 0})),
           lambda x, axis=-1: R.log_softmax(x, axis)),
    _entry("logsumexp", jnn.logsumexp, fixed(lambda rng: ((_rows(rng),), {"axis": 1}),
                                             lambda rng: ((_rows(rng),), {})),
           lambda x, axis=None: R.logsumexp(x, axis)),
    _entry("logmeanexp", jnn.logmeanexp, fixed(lambda rng: ((_rows(rng),), {"axis": 1}),
                                               lambda rng: ((_rows(rng),), {})),
           lambda x, axis=None: R.logsumexp(x, axis) - np.log(x.size if axis is None
                                                               else x.shape[axis])),
    _entry("standardize", jnn.standardize, fixed(lambda rng: ((_rows(rng),), {}),
                                                 lambda rng: ((_rows(rng),), {"axis": 0})),
           lambda x, axis=-1: _standardize(x, axis)),
    _entry("one_hot", jnn.one_hot,
           fixed(lambda rng: ((np.array([0, 2, 5, -1]), 3), {}, ()),
                 lambda rng: ((np.array([[0, 1], [2, 0]]), 3), {"axis": 0}, ())),
           lambda x, n, axis=-1: np.moveaxis((x[..., None] == np.arange(n)).astype(float),
                                             -1, axis),
           differentiable=False),
    _entry("dot_product_attention", jnn.dot_product_attention,
           fixed(*[lambda rng, kw=kw: (_attention_inputs(rng), kw, (0, 1, 2))
                   for kw in _ATTENTION_CASES]),
           _attention),
]

