"""NumPy references for chainrule.nn.functional: the textbook formulas in float64, written
independently of chainrule (and of its stable forms); PyTorch's definitions where they
choose (eps placements, reductions, clamps)."""

from __future__ import annotations

import itertools
import math

import numpy as np

from .references import erf, log_softmax, sigmoid, softmax


def reduce(loss, reduction, denominator=None):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / denominator if denominator is not None else loss.mean()


# ------------------------------------------------------------------ activations
def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(np.minimum(x, 0)) - 1))


def selu(x):
    return 1.0507009873554804934193349852946 * elu(x, 1.6732632423543772848170429916717)


def celu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(np.minimum(x, 0) / alpha) - 1))


def softplus(x, beta=1.0, threshold=20.0):
    return np.where(beta * x > threshold, x, np.log1p(np.exp(beta * x)) / beta)


def gelu(x):
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


ACTIVATIONS = {
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "elu": elu,
    "selu": selu,
    "celu": lambda x: celu(x, 1.5),
    "silu": lambda x: x * sigmoid(x),
    "mish": lambda x: x * np.tanh(np.log1p(np.exp(x))),
    "gelu": gelu,
    "hardtanh": lambda x: np.clip(x, -1, 1),
    "hardsigmoid": lambda x: np.clip(x + 3, 0, 6) / 6,
    "hardswish": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "hardshrink": lambda x: np.where(np.abs(x) > 0.5, x, 0),
    "softshrink": lambda x: np.sign(x) * np.maximum(np.abs(x) - 0.5, 0),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "tanhshrink": lambda x: x - np.tanh(x),
    "logsigmoid": lambda x: -np.log1p(np.exp(-x)),
    "sigmoid": sigmoid,
    "tanh": np.tanh,
    "softplus": lambda x: softplus(x, 2.0, 3.0),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "threshold": lambda x: np.where(x > 0.3, x, -1.5),
    "rrelu": lambda x: np.where(x > 0, x, x * (1 / 8 + 1 / 3) / 2),
}


def glu(x, dim=-1):
    a, b = np.split(x, 2, axis=dim)
    return a * sigmoid(b)


def prelu(x, w):
    w = w.reshape((-1,) + (1,) * (x.ndim - 2)) if w.size > 1 else w.reshape(())
    return np.where(x > 0, x, w * x)


def softmin(x, dim):
    return softmax(-x, axis=dim)


# ----------------------------------------------------------------- normalization
def standardize(x, axes, eps):
    mu = x.mean(axis=axes, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
    return (x - mu) / np.sqrt(var + eps)


def layer_norm(x, shape, w=None, b=None, eps=1e-5):
    y = standardize(x, tuple(range(x.ndim - len(shape), x.ndim)), eps)
    return y * (1 if w is None else w) + (0 if b is None else b)


def rms_norm(x, shape, w=None, eps=1e-6):
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    return x / np.sqrt((x * x).mean(axis=axes, keepdims=True) + eps) * (1 if w is None else w)


def _channel(v, ndim):
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def batch_norm(x, w, b, eps=1e-5):
    y = standardize(x, (0,) + tuple(range(2, x.ndim)), eps)
    return y * _channel(w, x.ndim) + _channel(b, x.ndim)


def batch_norm_eval(x, mean, var, w, b, eps=1e-5):
    y = (x - _channel(mean, x.ndim)) / np.sqrt(_channel(var, x.ndim) + eps)
    return y * _channel(w, x.ndim) + _channel(b, x.ndim)


def instance_norm(x, w, b, eps=1e-5):
    y = standardize(x, tuple(range(2, x.ndim)), eps)
    return y * _channel(w, x.ndim) + _channel(b, x.ndim)


def group_norm(x, groups, w, b, eps=1e-5):
    n = x.shape[0]
    y = standardize(x.reshape(n, groups, -1), (2,), eps).reshape(x.shape)
    return y * _channel(w, x.ndim) + _channel(b, x.ndim)


def local_response_norm(x, size, alpha=1e-4, beta=0.75, k=1.0):
    pad = [(0, 0)] * x.ndim
    pad[1] = (size // 2, (size - 1) // 2)
    sq = np.pad(x * x, pad)
    window = sum(sq[:, i:i + x.shape[1]] for i in range(size))
    return x / (k + alpha / size * window) ** beta


def normalize(x, p=2.0, dim=1, eps=1e-12):
    norm = (np.abs(x) ** p).sum(axis=dim, keepdims=True) ** (1 / p)
    return x / np.maximum(norm, eps)


# ------------------------------------------------------------------------ layers
def linear(x, w, b=None):
    return x @ w.T + (0 if b is None else b)


def bilinear(x1, x2, w, b):
    return np.einsum("ni,oij,nj->no", x1, w, x2) + b


def attention(q, k, v, bias=0.0, scale=None):
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    return softmax(q @ np.swapaxes(k, -1, -2) * scale + bias, axis=-1) @ v


def channel_shuffle(x, g):
    n, c = x.shape[:2]
    order = np.arange(c).reshape(g, c // g).T.reshape(-1)
    return x[:, order]


def pixel_shuffle(x, r):
    n, c, h, w = x.shape
    y = x.reshape(n, c // (r * r), r, r, h, w).transpose(0, 1, 4, 2, 5, 3)
    return y.reshape(n, c // (r * r), h * r, w * r)


def pixel_unshuffle(x, r):
    n, c, h, w = x.shape
    y = x.reshape(n, c, h // r, r, w // r, r).transpose(0, 1, 3, 5, 2, 4)
    return y.reshape(n, c * r * r, h // r, w // r)


def conv2d(x, w, b, padding=0):
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    out = np.zeros((n, o, h - kh + 1, wd - kw + 1))
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            out[:, :, i, j] = np.einsum("ncij,ocij->no", x[:, :, i:i + kh, j:j + kw], w)
    return out + b.reshape(1, -1, 1, 1)


def pool2d(x, k, reduce_fn):
    n, c, h, w = x.shape
    return reduce_fn(x.reshape(n, c, h // k, k, w // k, k), axis=(3, 5))


# ------------------------------------------------------------------------ losses
def cross_entropy(x, y, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    logp = log_softmax(x, axis=1)
    c = x.shape[1]
    w = np.ones(c) if weight is None else weight
    valid = y != ignore_index
    t = np.where(valid, y, 0)
    picked = np.take_along_axis(logp, np.expand_dims(t, 1), 1).squeeze(1)
    sample_w = np.where(valid, w[t], 0)
    wshape = (1, c) + (1,) * (x.ndim - 2)
    smooth = -(logp * w.reshape(wshape)).sum(1) * valid
    loss = (1 - label_smoothing) * (-picked * sample_w) + label_smoothing / c * smooth
    return reduce(loss, reduction, sample_w.sum())


def cross_entropy_soft(x, t, weight=None, reduction="mean", label_smoothing=0.0):
    c = x.shape[1]
    t = t * (1 - label_smoothing) + label_smoothing / c
    w = np.ones(c) if weight is None else weight
    return reduce(-(t * w * log_softmax(x, axis=1)).sum(1), reduction)


def nll_loss(x, y, weight=None, ignore_index=-100, reduction="mean"):
    w = np.ones(x.shape[1]) if weight is None else weight
    valid = y != ignore_index
    t = np.where(valid, y, 0)
    picked = np.take_along_axis(x, np.expand_dims(t, 1), 1).squeeze(1)
    sample_w = np.where(valid, w[t], 0)
    return reduce(-picked * sample_w, reduction, sample_w.sum())


def bce(p, t, weight=None, reduction="mean"):
    loss = -(t * np.maximum(np.log(p), -100) + (1 - t) * np.maximum(np.log(1 - p), -100))
    return reduce(loss * (1 if weight is None else weight), reduction)


def bce_logits(x, t, weight=None, pos_weight=None, reduction="mean"):
    s = sigmoid(x)
    pw = 1 if pos_weight is None else pos_weight
    loss = -(pw * t * np.log(s) + (1 - t) * np.log(1 - s))
    return reduce(loss * (1 if weight is None else weight), reduction)


def smooth_l1(x, y, beta=1.0, reduction="mean"):
    d = np.abs(x - y)
    return reduce(np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta), reduction)


def huber(x, y, delta=1.0, reduction="mean"):
    d = np.abs(x - y)
    return reduce(np.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta)), reduction)


def kl_div(x, t, reduction="mean", log_target=False):
    if log_target:
        loss = np.exp(t) * (t - x)
    else:
        loss = np.where(t > 0, t * (np.log(np.where(t > 0, t, 1)) - x), 0)
    if reduction == "batchmean":
        return loss.sum() / x.shape[0]
    return reduce(loss, reduction)


def gaussian_nll(x, y, var, full=False, eps=1e-6, reduction="mean"):
    v = np.maximum(var, eps)
    loss = 0.5 * (np.log(v) + (x - y) ** 2 / v) + (0.5 * math.log(2 * math.pi) if full else 0)
    return reduce(loss, reduction)


def poisson_nll(x, y, log_input=True, full=False, eps=1e-8, reduction="mean"):
    loss = np.exp(x) - y * x if log_input else x - y * np.log(x + eps)
    if full:
        safe = np.where(y > 1, y, 1)
        stirling = safe * np.log(safe) - safe + 0.5 * np.log(2 * np.pi * safe)
        loss = loss + np.where(y > 1, stirling, 0)
    return reduce(loss, reduction)


def cosine_similarity(a, b, dim=1, eps=1e-8):
    na = np.maximum(np.sqrt((a * a).sum(dim)), eps)
    nb = np.maximum(np.sqrt((b * b).sum(dim)), eps)
    return (a * b).sum(dim) / (na * nb)


def pairwise_distance(a, b, p=2.0, eps=1e-6):
    return (np.abs(a - b + eps) ** p).sum(-1) ** (1 / p)


def pdist(x, p=2.0):
    i, j = np.triu_indices(len(x), 1)
    return (np.abs(x[i] - x[j]) ** p).sum(-1) ** (1 / p)


def cosine_embedding(a, b, y, margin=0.0, reduction="mean"):
    cos = (a * b).sum(1) / np.sqrt(((a * a).sum(1) + 1e-12) * ((b * b).sum(1) + 1e-12))
    return reduce(np.where(y == 1, 1 - cos, np.maximum(cos - margin, 0)), reduction)


def margin_ranking(a, b, y, margin=0.0, reduction="mean"):
    return reduce(np.maximum(-y * (a - b) + margin, 0), reduction)


def hinge_embedding(x, y, margin=1.0, reduction="mean"):
    return reduce(np.where(y == 1, x, np.maximum(margin - x, 0)), reduction)


def triplet(a, p, n, margin=1.0, norm=2.0, eps=1e-6, swap=False, reduction="mean"):
    dp, dn = pairwise_distance(a, p, norm, eps), pairwise_distance(a, n, norm, eps)
    if swap:
        dn = np.minimum(dn, pairwise_distance(p, n, norm, eps))
    return reduce(np.maximum(dp - dn + margin, 0), reduction)


def multilabel_soft_margin(x, t, weight=None, reduction="mean"):
    loss = -(t * np.log(sigmoid(x)) + (1 - t) * np.log(sigmoid(-x)))
    loss = loss * (1 if weight is None else weight)
    return reduce(loss.mean(-1), reduction)


def multi_margin(x, y, p=1, margin=1.0, weight=None, reduction="mean"):
    n, c = x.shape
    out = np.zeros(n)
    for i in range(n):
        for j in range(c):
            if j != y[i]:
                h = max(0.0, margin - x[i, y[i]] + x[i, j]) ** p
                out[i] += h * (1 if weight is None else weight[y[i]])
    return reduce(out / c, reduction)


def multilabel_margin(x, t, reduction="mean"):
    n, c = x.shape
    out = np.zeros(n)
    for i in range(n):
        labels = []
        for k in t[i]:
            if k < 0:
                break
            labels.append(k)
        for j in labels:
            for k in range(c):
                if k not in labels:
                    out[i] += max(0.0, 1 - (x[i, j] - x[i, k]))
    return reduce(out / c, reduction)


def soft_margin(x, y, reduction="mean"):
    return reduce(np.log1p(np.exp(-y * x)), reduction)


def ctc(log_probs, targets, input_lengths, target_lengths, blank=0):
    """-log of the summed probability of every path that collapses to the target (brute force)."""
    T, N, C = log_probs.shape
    out = np.zeros(N)
    for n in range(N):
        want = tuple(targets[n][: target_lengths[n]])
        total = 0.0
        for path in itertools.product(range(C), repeat=int(input_lengths[n])):
            collapsed = [k for i, k in enumerate(path)
                         if k != blank and (i == 0 or k != path[i - 1])]
            if tuple(collapsed) == want:
                total += math.exp(sum(log_probs[t, n, k] for t, k in enumerate(path)))
        out[n] = -math.log(total) if total > 0 else math.inf
    return out
