"""Op database entries: the operations ``chainrule`` exports (``cr.tanh``, ``cr.sum``, ...)."""

from __future__ import annotations

import numpy as np

import chainrule as cr
from chainrule import primitives as P
from chainrule.domains import Domain

from . import references as R
from .core import OpInfo, binary, fixed, reducing, unary

NONNEG = Domain(0.2, 2.0)
KINKED = Domain(-2.0, 2.0, avoid=(0.0,), gap=0.05)


def _domain(prim):
    return prim.domain if isinstance(prim.domain, Domain) else None


def _unary_entry(name, ref, domain=None, **kw):
    fn = getattr(cr, name)
    prim = fn if isinstance(fn, cr.Primitive) else None
    return OpInfo(f"cr.{name}", fn, unary(domain or (_domain(prim) if prim else None)), ref,
                  plain="numpy", **kw)


UNARY = [
    _unary_entry("abs", np.abs),
    _unary_entry("cos", np.cos),
    _unary_entry("erf", R.erf, rtol=1e-14),
    _unary_entry("exp", np.exp),
    _unary_entry("expm1", np.expm1),
    _unary_entry("log", np.log),
    _unary_entry("log1p", np.log1p),
    _unary_entry("negative", np.negative),
    _unary_entry("sigmoid", R.sigmoid),
    _unary_entry("sin", np.sin),
    _unary_entry("softplus", R.softplus),
    _unary_entry("sqrt", np.sqrt),
    _unary_entry("tan", np.tan),
    _unary_entry("tanh", np.tanh),
    _unary_entry("relu", R.relu),
    _unary_entry("elu", R.elu, KINKED),
    _unary_entry("gelu", R.gelu, Domain(-4.0, 4.0)),
    _unary_entry("leaky_relu", R.leaky_relu, KINKED),
    _unary_entry("log_sigmoid", R.log_sigmoid, Domain(-6.0, 6.0)),
    OpInfo("cr.gelu (tanh)", lambda x: cr.gelu(x, approximate="tanh"), unary(Domain(-4, 4)),
           lambda x: R.gelu(x, "tanh"), plain="numpy"),
]


def _binary_entry(name, ref, domains=(None, None), **kw):
    fn = getattr(cr, name)
    return OpInfo(f"cr.{name}", fn, binary(domains), ref, plain="numpy", **kw)


BINARY = [
    _binary_entry("add", np.add),
    _binary_entry("subtract", np.subtract),
    _binary_entry("multiply", np.multiply),
    _binary_entry("divide", np.divide, P.divide.domain),
    _binary_entry("power", np.power, P.power.domain),
    _binary_entry("maximum", np.maximum),
    _binary_entry("minimum", np.minimum),
    OpInfo("cr.where", cr.where, fixed(
        lambda rng: ((rng.random((2, 3)) > 0.5, rng.standard_normal((2, 3)),
                      rng.standard_normal(3)), {}, (1, 2)),
        lambda rng: ((np.array(True), rng.standard_normal(()), rng.standard_normal(4)), {},
                     (1, 2)),
    ), np.where, plain="numpy"),
    OpInfo("cr.clip", lambda x: cr.clip(x, -0.5, 0.8),
           unary(Domain(-2.0, 2.0, avoid=(-0.5, 0.8), gap=0.05)),
           lambda x: np.clip(x, -0.5, 0.8), plain="numpy"),
    OpInfo("cr.clamp", lambda x: cr.clamp(x, None, 0.8),
           unary(Domain(-2.0, 2.0, avoid=(0.8,), gap=0.05)),
           lambda x: np.minimum(x, 0.8), plain="numpy"),
]


def _reduction(name, ref, domain=None, **sample_kw):
    return OpInfo(f"cr.{name}", getattr(cr, name), reducing(domain, **sample_kw), ref,
                  plain="numpy")


def _spread(rng, shape):
    # Values with a clear spread (std's sqrt is kinked at 0): a permutation of a ramp.
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) * 0.5 + rng.uniform(-0.1, 0.1, shape))


def _moments(name, ref, ddof):
    def samples(rng):
        out = []
        for shape, axis in [((3, 4), None), ((3, 4), 0), ((3, 4), -1), ((2, 3, 2), (0, 2)),
                            ((5,), 0)]:
            for keepdims in (False, True):
                x = _spread(rng, shape)
                out.append(((x,), {"axis": axis, "keepdims": keepdims, "ddof": ddof}))
        return out

    def make(rng):
        return fixed(*samples(rng))(rng)

    return OpInfo(f"cr.{name} (ddof={ddof})", getattr(cr, name), make, ref, plain="numpy")


REDUCTIONS = [
    _reduction("sum", np.sum),
    _reduction("mean", np.mean, empty=False),
    _reduction("max", np.max, empty=False),
    _reduction("min", np.min, empty=False),
    _reduction("prod", np.prod, Domain(0.5, 1.5)),
    _reduction("logsumexp", R.logsumexp, empty=False),
    _moments("var", np.var, 0),
    _moments("var", np.var, 1),
    _moments("std", np.std, 0),
    _moments("std", np.std, 1),
    OpInfo("cr.cumsum", cr.cumsum, reducing(axes=(None, 0, -1), keepdims=(None,)), np.cumsum,
           plain="numpy"),
    OpInfo("cr.softmax", cr.softmax, reducing(axes=(0, -1), keepdims=(None,), empty=False),
           R.softmax, plain="numpy"),
    OpInfo("cr.log_softmax", cr.log_softmax,
           reducing(axes=(0, -1), keepdims=(None,), empty=False), R.log_softmax,
           plain="numpy"),
]


def _shaped(*shapes):
    return fixed(*[lambda rng, s=s: ((rng.standard_normal(s),), {}) for s in shapes])


def _with(shape, **kw):
    return lambda rng: ((rng.standard_normal(shape),), kw)


SHAPE = [
    OpInfo("cr.reshape", lambda x: cr.reshape(x, (-1,)), _shaped((2, 3), (1,), ()),
           lambda x: np.reshape(x, (-1,)), plain="numpy"),
    OpInfo("cr.reshape (shape)", lambda x: cr.reshape(x, (3, 2)), _shaped((2, 3), (6,)),
           lambda x: np.reshape(x, (3, 2)), plain="numpy"),
    OpInfo("cr.transpose", cr.transpose, fixed(_with((2, 3)), _with((2, 3, 4), axes=(2, 0, 1)),
                                               _with(())),
           np.transpose, plain="numpy"),
    OpInfo("cr.permute", cr.permute, fixed(_with((2, 3, 4), axes=(1, 2, 0))), np.transpose,
           plain="numpy"),
    OpInfo("cr.swapaxes", lambda x: cr.swapaxes(x, 0, -1), _shaped((2, 3), (2, 3, 4)),
           lambda x: np.swapaxes(x, 0, -1), plain="numpy"),
    OpInfo("cr.broadcast_to", lambda x: cr.broadcast_to(x, (2, 3)), _shaped((3,), (1, 3), ()),
           lambda x: np.broadcast_to(x, (2, 3)), plain="numpy"),
    OpInfo("cr.squeeze", cr.squeeze, _shaped((1, 3, 1), (2,), ()), np.squeeze, plain="numpy"),
    OpInfo("cr.expand_dims", lambda x: cr.expand_dims(x, 1), _shaped((2, 3), (4,)),
           lambda x: np.expand_dims(x, 1), plain="numpy"),
    OpInfo("cr.unsqueeze", lambda x: cr.unsqueeze(x, 0), _shaped((2, 3), ()),
           lambda x: np.expand_dims(x, 0), plain="numpy"),
    OpInfo("cr.flatten", cr.flatten,
           fixed(_with((2, 3, 2)), _with((2, 3, 2), start_dim=1), _with(())),
           R.flatten, plain="numpy"),
    OpInfo("cr.flip", cr.flip, fixed(_with((2, 3)), _with((2, 3), axis=1)), np.flip,
           plain="numpy"),
    OpInfo("cr.concatenate", lambda a, b, axis=0: cr.concatenate([a, b], axis=axis), fixed(
        lambda rng: ((rng.standard_normal((2, 3)), rng.standard_normal((1, 3))), {}, (0, 1)),
        lambda rng: ((rng.standard_normal((2, 3)), rng.standard_normal((2, 2))), {"axis": 1},
                     (0, 1)),
        lambda rng: ((rng.standard_normal((2, 3)), rng.standard_normal(4)), {"axis": None},
                     (0, 1)),
    ), lambda a, b, axis=0: np.concatenate([a, b], axis=axis), plain="numpy",
        list_inputs=False),
    OpInfo("cr.stack", lambda a, b, axis=0: cr.stack([a, b], axis=axis), fixed(
        lambda rng: ((rng.standard_normal((2, 3)), rng.standard_normal((2, 3))), {}, (0, 1)),
        lambda rng: ((rng.standard_normal(()), rng.standard_normal(())), {"axis": -1},
                     (0, 1)),
    ), lambda a, b, axis=0: np.stack([a, b], axis=axis), plain="numpy", list_inputs=False),
    OpInfo("cr.split", lambda x: cr.split(x, 2, axis=1), _shaped((3, 4)),
           lambda x: np.split(x, 2, axis=1), plain="numpy"),
    OpInfo("cr.pad", lambda x: cr.pad(x, ((1, 0), (0, 2))), _shaped((2, 3)),
           lambda x: np.pad(x, ((1, 0), (0, 2))), plain="numpy"),
    OpInfo("cr.take", lambda x: cr.take(x, np.array([0, 2, 2]), axis=-1), _shaped((2, 3), (3,)),
           lambda x: np.take(x, np.array([0, 2, 2]), axis=-1), plain="numpy"),
    OpInfo("cr.take_along_axis",
           lambda x: cr.take_along_axis(x, np.array([[0, 2], [1, 1]]), 1), _shaped((2, 3)),
           lambda x: np.take_along_axis(x, np.array([[0, 2], [1, 1]]), 1), plain="numpy"),
    OpInfo("cr.getitem", lambda x: cr.getitem(x, (slice(0, 2), np.array([0, 2, 2]))),
           _shaped((3, 4)), lambda x: x[0:2, np.array([0, 2, 2])], plain="numpy"),
]

LINALG = [
    OpInfo("cr.matmul", cr.matmul, binary(pairs=[((2, 3), (3, 4)), ((3,), (3,)), ((3,), (3, 2)),
                                                 ((2, 2, 3), (3,)), ((2, 1, 2, 3), (4, 3, 2))]),
           np.matmul, plain="numpy"),
    OpInfo("cr.dot", cr.dot, binary(pairs=[((), (3,)), ((2, 3), (3,)), ((2, 3), (3, 2)),
                                           ((2, 2, 3), (2, 3, 2))]), np.dot, plain="numpy"),
    OpInfo("cr.einsum", lambda a, b: cr.einsum("ij,jk->ik", a, b),
           binary(pairs=[((2, 3), (3, 4))]), lambda a, b: np.einsum("ij,jk->ik", a, b),
           plain="numpy"),
    OpInfo("cr.einsum (batch, ellipsis)", lambda a, b: cr.einsum("...ij,...jk", a, b),
           binary(pairs=[((2, 2, 3), (3, 2))]), lambda a, b: np.einsum("...ij,...jk", a, b),
           plain="numpy"),
]


def _logits_and_classes(rng):
    x = rng.standard_normal((4, 3))
    return (x, np.array([0, 2, 1, 2])), {}, (0,)


def _soft_targets(rng):
    x = rng.standard_normal((4, 3))
    t = rng.dirichlet(np.ones(3), 4)
    return (x, t), {}, (0, 1)


def _nchw_classes(rng):
    x = rng.standard_normal((2, 3, 2))
    return (x, rng.integers(0, 3, (2, 2))), {"axis": 1}, (0,)


LOSSES = [
    OpInfo("cr.cross_entropy", cr.cross_entropy,
           fixed(_logits_and_classes, _soft_targets, _nchw_classes), R.cross_entropy,
           list_inputs=False),
    OpInfo("cr.cross_entropy (reduction, smoothing)",
           lambda x, t: cr.cross_entropy(x, t, reduction="none", label_smoothing=0.1),
           fixed(_logits_and_classes), None, list_inputs=False),
    OpInfo("cr.nll_loss", cr.nll_loss, fixed(
        lambda rng: ((R.log_softmax(rng.standard_normal((4, 3))), np.array([0, 2, 1, 2])),
                     {}, (0,)),
        lambda rng: ((R.log_softmax(rng.standard_normal((4, 3))),
                      rng.dirichlet(np.ones(3), 4)), {"reduction": "sum"}, (0, 1)),
    ), R.nll_loss, list_inputs=False),
    OpInfo("cr.mse_loss", cr.mse_loss, binary(pairs=[((2, 3), (2, 3)), ((4,), (4,))]),
           R.mse_loss),
    OpInfo("cr.binary_cross_entropy_with_logits", cr.binary_cross_entropy_with_logits, fixed(
        lambda rng: ((rng.standard_normal((2, 3)), rng.uniform(0, 1, (2, 3))), {}, (0, 1)),
    ), R.binary_cross_entropy_with_logits),
]


def _step(name, ref, make=None, arity=1):
    samples = make or (unary() if arity == 1 else binary())
    return OpInfo(f"cr.{name}", getattr(cr, name), samples, ref, plain="numpy",
                  differentiable=False)


NO_GRADIENT = [
    _step("argmax", np.argmax, reducing(axes=(None, 0, -1), keepdims=(False,), empty=False)),
    _step("argmin", np.argmin, reducing(axes=(None, 0, -1), keepdims=(False,), empty=False)),
    _step("ceil", np.ceil),
    _step("floor", np.floor),
    _step("sign", np.sign),
    _step("isfinite", np.isfinite),
    _step("isinf", np.isinf),
    _step("isnan", np.isnan),
    _step("equal", np.equal, arity=2),
    _step("not_equal", np.not_equal, arity=2),
    _step("greater", np.greater, arity=2),
    _step("greater_equal", np.greater_equal, arity=2),
    _step("less", np.less, arity=2),
    _step("less_equal", np.less_equal, arity=2),
]

OPS = UNARY + BINARY + REDUCTIONS + SHAPE + LINALG + LOSSES + NO_GRADIENT
