"""NumPy references for functions NumPy itself does not have (softmax, gelu, losses, ...).

Each is the textbook formula in float64, written independently of chainrule's stable
forms; the samples stay where the textbook formula is accurate.
"""

from __future__ import annotations

import math

import numpy as np

_erf = np.vectorize(math.erf, otypes=[float])


def erf(x):
    return _erf(np.asarray(x, dtype=float))


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    return np.log(softmax(x, axis=axis))


def logsumexp(x, axis=None, keepdims=False):
    x = np.asarray(x)
    if x.size == 0:
        return np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def sigmoid(x):
    return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))


def softplus(x):
    return np.log1p(np.exp(x))


def relu(x):
    return np.maximum(x, 0)


def leaky_relu(x, negative_slope=0.01):
    return np.where(x > 0, x, negative_slope * x)


def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(x))


def gelu(x, approximate="none"):
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


def log_sigmoid(x):
    return np.log(sigmoid(x))


def flatten(x, start_dim=0, end_dim=-1):
    shape = np.shape(x)
    if not shape:
        return np.reshape(x, (1,))
    s, e = start_dim % len(shape), end_dim % len(shape)
    return np.reshape(x, shape[:s] + (-1,) + shape[e + 1 :])


def mse_loss(pred, target, reduction="mean"):
    d = (pred - target) ** 2
    return {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[reduction](d)


def nll_loss(log_probs, target, axis=-1, reduction="mean"):
    log_probs = np.moveaxis(log_probs, axis, -1)
    if np.asarray(target).dtype.kind in "iu":
        picked = np.take_along_axis(log_probs, np.expand_dims(target, -1), -1)[..., 0]
        loss = -picked
    else:
        loss = -(np.moveaxis(target, axis, -1) * log_probs).sum(-1)
    return {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[reduction](loss)


def cross_entropy(logits, target, axis=-1, reduction="mean"):
    return nll_loss(log_softmax(logits, axis=axis), target, axis=axis, reduction=reduction)


def binary_cross_entropy_with_logits(logits, target, reduction="mean"):
    p = sigmoid(logits)
    loss = -(target * np.log(p) + (1 - target) * np.log(1 - p))
    return {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[reduction](loss)
