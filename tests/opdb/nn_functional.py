"""Op database entries: every public function of chainrule.nn.functional (``F.name``).

PyTorch's functions take tensors, not lists, so the list-input check is off here. Kinked
functions draw their samples away from the kinks; random functions (dropout, rrelu,
gumbel_softmax) take an int seed, which gives the same mask on every call.
"""

from __future__ import annotations

import numpy as np

import chainrule.nn.functional as F
from chainrule.domains import Domain

from . import nn_losses
from . import nn_references as N
from . import references as R
from .core import OpInfo, fixed, unary
from .references import log_softmax, softmax

SHAPES = [(), (0,), (1,), (4,), (2, 3), (1, 3, 1)]


def _entry(name, op, samples, ref=None, **kw):
    return OpInfo(f"F.{name}", op, samples, ref, list_inputs=False, **kw)


def _activation(name, op, domain, ref=None):
    return _entry(name, op, unary(domain, shapes=SHAPES), ref or N.ACTIVATIONS[name])


def _away(*kinks, low=-4.0, high=4.0):
    return Domain(low, high, avoid=kinks, gap=0.05)


ACTIVATIONS = [
    _activation("relu", F.relu, _away(0.0)),
    _activation("relu6", F.relu6, _away(0.0, 6.0, low=-2.0, high=8.0)),
    _activation("elu", F.elu, _away(0.0)),
    _activation("selu", F.selu, _away(0.0)),
    _activation("celu", lambda x: F.celu(x, 1.5), _away(0.0)),
    _activation("silu", F.silu, Domain(-4.0, 4.0)),
    _activation("mish", F.mish, Domain(-4.0, 4.0)),
    _activation("gelu", F.gelu, Domain(-4.0, 4.0)),
    _entry("gelu (tanh)", lambda x: F.gelu(x, approximate="tanh"),
           unary(Domain(-4.0, 4.0), shapes=SHAPES), lambda x: R.gelu(x, "tanh")),
    _activation("hardtanh", F.hardtanh, _away(-1.0, 1.0)),
    _activation("hardsigmoid", F.hardsigmoid, _away(-3.0, 3.0, low=-5.0, high=5.0)),
    _activation("hardswish", F.hardswish, _away(-3.0, 3.0, low=-5.0, high=5.0)),
    _activation("hardshrink", F.hardshrink, _away(-0.5, 0.5)),
    _activation("softshrink", F.softshrink, _away(-0.5, 0.5)),
    _activation("softsign", F.softsign, _away(0.0)),
    _activation("tanhshrink", F.tanhshrink, Domain(-3.0, 3.0)),
    _activation("logsigmoid", F.logsigmoid, Domain(-6.0, 6.0)),
    _activation("sigmoid", F.sigmoid, Domain(-6.0, 6.0)),
    _activation("tanh", F.tanh, Domain(-3.0, 3.0)),
    _activation("softplus", lambda x: F.softplus(x, beta=2.0, threshold=3.0), _away(1.5)),
    _activation("leaky_relu", lambda x: F.leaky_relu(x, 0.2), _away(0.0)),
    _activation("threshold", lambda x: F.threshold(x, 0.3, -1.5), _away(0.3)),
    _activation("rrelu", F.rrelu, _away(0.0)),
    _entry("rrelu (training)", lambda x: F.rrelu(x, training=True, rng=3),
           unary(_away(0.0), shapes=[(2, 3)])),
    _entry("glu", F.glu, fixed(lambda rng: ((rng.standard_normal((3, 4)),), {}),
                               lambda rng: ((rng.standard_normal((4, 2)),), {"dim": 0})),
           N.glu),
    _entry("prelu", F.prelu, fixed(
        lambda rng: ((_away(0.0).sample(rng, (2, 3, 2)), rng.uniform(0.1, 0.5, 3)), {}, (0, 1)),
        lambda rng: ((_away(0.0).sample(rng, (4,)), np.array([0.25])), {}, (0, 1)),
    ), N.prelu),
    _entry("softmax", F.softmax, fixed(
        lambda rng: ((rng.standard_normal((3, 4)),), {"dim": 1}),
        lambda rng: ((rng.standard_normal((2, 3, 2)),), {"dim": 0}),
    ), lambda x, dim: softmax(x, axis=dim)),
    _entry("softmin", F.softmin, fixed(lambda rng: ((rng.standard_normal((3, 4)),), {"dim": -1})),
           N.softmin),
    _entry("log_softmax", F.log_softmax,
           fixed(lambda rng: ((rng.standard_normal((3, 4)),), {"dim": 1})),
           lambda x, dim: log_softmax(x, axis=dim)),
    # (hard=True is a straight-through estimator, not a derivative: tests/test_nn_functional.py)
    _entry("gumbel_softmax", lambda x: F.gumbel_softmax(x, tau=0.7, rng=5),
           fixed(lambda rng: ((rng.standard_normal((3, 4)),), {}))),
]


def _norm_input(rng, shape):
    return rng.standard_normal(shape) * 1.5 + 0.3


NORMALIZATION = [
    _entry("layer_norm", F.layer_norm, fixed(
        lambda rng: ((_norm_input(rng, (3, 4)), (4,), rng.standard_normal(4),
                      rng.standard_normal(4)), {}, (0, 2, 3)),
        lambda rng: ((_norm_input(rng, (2, 3, 2)), (3, 2)), {"eps": 1e-3}),
    ), N.layer_norm),
    _entry("rms_norm", F.rms_norm, fixed(
        lambda rng: ((_norm_input(rng, (3, 4)), (4,), rng.standard_normal(4)), {"eps": 1e-6},
                     (0, 2)),
    ), N.rms_norm),
    _entry("batch_norm", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
           fixed(lambda rng: ((_norm_input(rng, (4, 3)), rng.standard_normal(3),
                               rng.standard_normal(3)), {}, (0, 1, 2)),
                 lambda rng: ((_norm_input(rng, (2, 2, 3, 2)), rng.standard_normal(2),
                               rng.standard_normal(2)), {}, (0, 1, 2))),
           N.batch_norm),
    _entry("batch_norm (running statistics)",
           lambda x, m, v, w, b: F.batch_norm(x, m, v, w, b, training=False),
           fixed(lambda rng: ((_norm_input(rng, (4, 3, 2)), rng.standard_normal(3),
                               rng.uniform(0.5, 2, 3), rng.standard_normal(3),
                               rng.standard_normal(3)), {}, (0, 3, 4))),
           N.batch_norm_eval),
    _entry("instance_norm", lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
           fixed(lambda rng: ((_norm_input(rng, (2, 3, 4)), rng.standard_normal(3),
                               rng.standard_normal(3)), {}, (0, 1, 2))),
           N.instance_norm),
    _entry("group_norm", F.group_norm,
           fixed(lambda rng: ((_norm_input(rng, (2, 4, 3)), 2, rng.standard_normal(4),
                               rng.standard_normal(4)), {}, (0, 2, 3))),
           N.group_norm),
    _entry("local_response_norm", F.local_response_norm, fixed(
        lambda rng: ((rng.standard_normal((2, 5, 3)), 3), {"alpha": 0.3, "beta": 0.8, "k": 1.5}),
        lambda rng: ((rng.standard_normal((1, 4, 2, 2)), 2), {}),
    ), N.local_response_norm),
    _entry("normalize", F.normalize, fixed(
        lambda rng: ((_norm_input(rng, (3, 4)),), {}),
        lambda rng: ((_norm_input(rng, (2, 3)),), {"p": 3.0, "dim": 0}),
    ), N.normalize),
]


def _keep_half(rng, shape):
    return rng.standard_normal(shape)


RANDOM = [
    _entry(name, lambda x, _f=fn: _f(x, 0.3, True, rng=7), unary(shapes=shapes))
    for name, fn, shapes in (
        ("dropout", F.dropout, [(2, 3), (4,)]),
        ("dropout1d", F.dropout1d, [(2, 3, 4)]),
        ("dropout2d", F.dropout2d, [(2, 3, 2, 2)]),
        ("dropout3d", F.dropout3d, [(2, 2, 2, 2, 2)]),
        ("alpha_dropout", F.alpha_dropout, [(2, 3)]),
        ("feature_alpha_dropout", F.feature_alpha_dropout, [(2, 3, 2)]),
    )
] + [
    _entry("dropout (eval)", lambda x: F.dropout(x, 0.5, training=False), unary(shapes=SHAPES),
           lambda x: x),
]

LAYERS = [
    _entry("linear", F.linear, fixed(
        lambda rng: ((rng.standard_normal((3, 4)), rng.standard_normal((2, 4)),
                      rng.standard_normal(2)), {}, (0, 1, 2)),
        lambda rng: ((rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4))), {}, (0, 1)),
    ), N.linear),
    _entry("bilinear", F.bilinear, fixed(
        lambda rng: ((rng.standard_normal((3, 2)), rng.standard_normal((3, 4)),
                      rng.standard_normal((2, 2, 4)), rng.standard_normal(2)), {}, (0, 1, 2, 3)),
    ), N.bilinear),
    _entry("embedding", F.embedding, fixed(
        lambda rng: ((np.array([[0, 2], [2, 3]]), rng.standard_normal((4, 3))), {}, (1,)),
        # (padding_idx withholds a gradient by design: tests/test_nn_functional.py)
    ), lambda i, w: w[i]),
    _entry("embedding_bag", F.embedding_bag, fixed(
        lambda rng: ((np.array([0, 2, 2, 3, 1]), rng.standard_normal((4, 3)), np.array([0, 2])),
                     {"mode": "sum"}, (1,)),
        lambda rng: ((np.array([[0, 2], [3, 3]]), rng.standard_normal((4, 3))), {"mode": "mean"},
                     (1,)),
        lambda rng: ((np.array([0, 2, 3, 1]), rng.standard_normal((4, 3)), np.array([0, 1])),
                     {"mode": "max"}, (1,)),
    )),
    _entry("one_hot", F.one_hot, fixed(lambda rng: ((np.array([0, 2, 1]),), {"num_classes": 4},
                                                    ())),
           lambda t, num_classes: np.eye(num_classes, dtype=np.int64)[t], differentiable=False),
    _entry("scaled_dot_product_attention", F.scaled_dot_product_attention, fixed(
        lambda rng: ((rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4)),
                      rng.standard_normal((2, 5, 3))), {}, (0, 1, 2)),
        lambda rng: ((rng.standard_normal((1, 2, 4, 3)), rng.standard_normal((1, 2, 4, 3)),
                      rng.standard_normal((1, 2, 4, 2))), {"is_causal": True, "scale": 0.7},
                     (0, 1, 2)),
    ), lambda q, k, v, is_causal=False, scale=None: N.attention(
        q, k, v, np.where(np.tril(np.ones((q.shape[-2], k.shape[-2]), bool)), 0, -np.inf)
        if is_causal else 0.0, scale)),
    _entry("channel_shuffle", F.channel_shuffle, fixed(
        lambda rng: ((rng.standard_normal((2, 6, 2, 3)), 3), {}),
        lambda rng: ((rng.standard_normal((1, 4, 5)), 2), {})), N.channel_shuffle),
    _entry("pixel_shuffle", F.pixel_shuffle,
           fixed(lambda rng: ((rng.standard_normal((1, 8, 2, 3)), 2), {})), N.pixel_shuffle),
    _entry("pixel_unshuffle", F.pixel_unshuffle,
           fixed(lambda rng: ((rng.standard_normal((1, 2, 4, 6)), 2), {})), N.pixel_unshuffle),
    _entry("conv2d", F.conv2d, fixed(
        lambda rng: ((rng.standard_normal((2, 2, 4, 4)), rng.standard_normal((3, 2, 3, 3)),
                      rng.standard_normal(3)), {"padding": 1}, (0, 1, 2)),
    ), N.conv2d),
    _entry("max_pool2d", lambda x: F.max_pool2d(x, 2),
           fixed(lambda rng: ((rng.permutation(32).reshape(1, 2, 4, 4) * 0.1,), {})),
           lambda x: N.pool2d(x, 2, np.max)),
    _entry("avg_pool2d", lambda x: F.avg_pool2d(x, 2),
           fixed(lambda rng: ((rng.standard_normal((1, 2, 4, 4)),), {})),
           lambda x: N.pool2d(x, 2, np.mean)),
]

OPS = ACTIVATIONS + NORMALIZATION + RANDOM + LAYERS + nn_losses.OPS
