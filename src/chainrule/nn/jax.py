"""``jax.nn``'s functions with JAX's names, arguments and defaults, for programs ported
from JAX: ``import chainrule.nn.jax as jnn`` where they had ``import jax.nn as jnn``.

They take NumPy arrays or tensors and are built from chainrule's operations (the same
stable forms: ``softplus`` never overflows, ``log_softmax`` is not ``log(softmax)``), so
every transform goes through them. Where JAX's defaults differ from PyTorch's (the names
in ``chainrule.nn.functional``), these follow JAX: ``gelu`` is the tanh approximation
unless ``approximate=False``, activations take ``axis`` rather than ``dim``, and
``one_hot`` returns floats. At a kink the derivative is JAX's choice where it is a
choice of branch (``leaky_relu`` 1 at 0, ``hard_tanh`` 1 at +-1); ``sparse_sigmoid`` at
+-1 gives 1/2 (JAX splits a tie of its clip and gives 1/4). ``initializers`` is
``jax.nn.initializers`` (chainrule.nn.jax_initializers), drawing from chainrule.random's
keys; ``dot_product_attention`` takes JAX's (B, T, N, H) layout.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import primitives as P
from ..graph import values as _values
from ..scipy.special import logsumexp as _logsumexp
from . import functional as F
from . import jax_initializers as initializers  # noqa: F401  (jax.nn.initializers)

__all__ = ["celu", "dot_product_attention", "elu", "gelu", "glu", "hard_sigmoid",
           "hard_silu", "hard_swish", "hard_tanh", "identity", "leaky_relu", "log1mexp",
           "log_sigmoid", "log_softmax",
           "logmeanexp", "logsumexp", "mish", "one_hot", "relu", "relu6", "selu", "sigmoid",
           "silu", "soft_sign", "softmax", "softplus", "sparse_plus", "sparse_sigmoid",
           "squareplus", "standardize", "swish", "tanh"]


def relu(x):
    return F.relu(x)


def relu6(x):
    return F.relu6(x)


def sigmoid(x):
    return F.sigmoid(x)


def log_sigmoid(x):
    return F.logsigmoid(x)


def softplus(x):
    """log(1 + e^x), without overflow."""
    return P.softplus(x)


def soft_sign(x):
    return F.softsign(x)


def silu(x):
    """x sigmoid(x) (also ``swish``)."""
    return F.silu(x)


swish = silu


def mish(x):
    return F.mish(x)


def tanh(x):
    return P.tanh(x)


def identity(x):
    return x


def leaky_relu(x, negative_slope=0.01):
    """x for x >= 0, else negative_slope x (derivative 1 at 0, JAX's choice)."""
    return P.where(x >= 0, x, x * negative_slope)


def hard_tanh(x):
    """x clipped to [-1, 1] (derivative 1 at the ends, JAX's choice; PyTorch's is 0)."""
    return P.where(x > 1.0, 1.0, P.where(x < -1.0, -1.0, x))


def hard_sigmoid(x):
    """relu6(x + 3) / 6."""
    return F.hardsigmoid(x)


def hard_silu(x):
    """x hard_sigmoid(x) (also ``hard_swish``)."""
    return F.hardswish(x)


hard_swish = hard_silu


def elu(x, alpha=1.0):
    return F.elu(x, alpha)


def celu(x, alpha=1.0):
    return F.celu(x, alpha)


def selu(x):
    return F.selu(x)


def gelu(x, approximate=True):
    """x Phi(x); JAX's default is the tanh approximation (PyTorch's is exact)."""
    return F.gelu(x, approximate="tanh" if approximate else "none")


def glu(x, axis=-1):
    """a sigmoid(b), with x split in two halves a, b along ``axis``."""
    return F.glu(x, dim=axis)


def squareplus(x, b=4.0):
    """(x + sqrt(x^2 + b)) / 2, a smooth relu."""
    return (x + P.sqrt(x * x + b)) * 0.5


def sparse_plus(x):
    """0 for x <= -1, (x + 1)^2 / 4 between, x for x >= 1: continuously differentiable."""
    middle = (x + 1.0) * (x + 1.0) * 0.25
    return P.where(x <= -1.0, 0.0, P.where(x >= 1.0, x, middle))


def sparse_sigmoid(x):
    """The derivative of sparse_plus: (x + 1) / 2 clipped to [0, 1]."""
    return P.clip((x + 1.0) * 0.5, 0.0, 1.0)


def log1mexp(x):
    """log(1 - e^-x) for x > 0, accurate at both ends (log1p(-e^-x) for x > log 2,
    log(-expm1(-x)) below: Maechler's switch)."""
    return P.where(x > math.log(2.0), P.log1p(-P.exp(-x)), P.log(-P.expm1(-x)))


def softmax(x, axis=-1, where=None):
    """e^x / sum(e^x) along ``axis``; with ``where``, only those entries take part and
    the others are 0."""
    if where is None:
        return P.softmax(x, axis=axis)
    kept = P.where(where, x, -np.inf)
    return P.where(where, P.softmax(kept, axis=axis), 0.0)


def log_softmax(x, axis=-1, where=None):
    """x - logsumexp(x) along ``axis``; with ``where``, the others are -inf."""
    if where is None:
        return P.log_softmax(x, axis=axis)
    kept = P.where(where, x, -np.inf)
    return P.where(where, P.log_softmax(kept, axis=axis), -np.inf)


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False, where=None):
    """jax.nn.logsumexp is jax.scipy.special.logsumexp (chainrule.scipy.special's)."""
    if where is not None:
        a = P.where(where, a, -np.inf)
    return _logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)


def logmeanexp(x, axis=None, where=None, keepdims=False):
    """log(mean(e^x)) along ``axis``, stably (over the entries ``where`` holds)."""
    shape = np.shape(_values(x))
    if where is not None:
        # counted by an operation: under cr.vmap each example has its own mask
        ones = P.where(where, 1.0, 0.0) * np.ones(shape)
        count = P.sum(ones, axis=axis, keepdims=keepdims)
    else:
        count = int(np.prod([shape[i] for i in _axes(axis, len(shape))]))
    return logsumexp(x, axis=axis, keepdims=keepdims, where=where) - P.log(count)


def standardize(x, axis=-1, mean=None, variance=None, epsilon=1e-5, where=None):
    """(x - mean) / sqrt(variance + epsilon), the moments over ``axis`` unless given. The
    variance is the mean squared deviation (JAX subtracts the squared mean from the mean
    square, which cancels for data far from zero)."""
    if where is not None:
        raise NotImplementedError("standardize: where= is not supported; mask with "
                                  "cnp.where and pass mean and variance")
    if mean is None:
        mean = P.mean(x, axis=axis, keepdims=True)
    if variance is None:
        d = x - mean
        variance = P.mean(d * d, axis=axis, keepdims=True)
    return (x - mean) / P.sqrt(variance + epsilon)


def one_hot(x, num_classes, *, dtype=np.float64, axis=-1) -> Any:
    """1.0 where the class is x, along a new axis of ``num_classes`` entries; an index
    outside [0, num_classes) gives a row of zeros (JAX's rule). Floats by default,
    float64 (NumPy's default; JAX's is float32). Computed by operations, so that under
    cr.vmap every example's labels are its own."""
    if _values(x).dtype.kind not in "iub":
        raise TypeError(f"one_hot: x must hold integers, got dtype {_values(x).dtype}")
    hot = P.astype(P.equal(P.expand_dims(x, -1), np.arange(int(num_classes))), dtype)
    ndim = np.ndim(_values(hot))
    axis = axis % ndim
    if axis == ndim - 1:
        return hot
    order = list(range(ndim - 1))
    order.insert(axis, ndim - 1)
    return P.transpose(hot, tuple(order))


def _axes(axis, ndim):
    if axis is None:
        return range(ndim)
    return [a % ndim for a in ((axis,) if isinstance(axis, int) else axis)]



def dot_product_attention(query, key, value, bias=None, mask=None, *, scale=None,
                          is_causal=False, query_seq_lengths=None, key_value_seq_lengths=None,
                          local_window_size=None, implementation=None):
    """jax.nn.dot_product_attention: softmax(scale q k^T + bias) v per head, in JAX's layout:
    query (B, T, N, H), key and value (B, S, K, H) with K dividing N (grouped heads share
    a key head), or all three without B. ``mask`` (True: attend), ``is_causal``, the
    sequence lengths and ``local_window_size`` ((left, right) or one int) all mask; a
    masked logit is -0.7 times the dtype's largest value, as in JAX, so a row with every
    position masked attends uniformly rather than giving NaN. ``scale`` defaults to
    1/sqrt(H); ``implementation`` is accepted ("xla" or None). The outputs at positions
    past ``query_seq_lengths`` are 0, as JAX's."""
    from .. import numpy as cnp

    if implementation not in (None, "xla"):
        raise ValueError(f"dot_product_attention: implementation {implementation!r} is not "
                         "available here; use None or 'xla'")
    unbatched = np.ndim(query) == 3
    if unbatched:
        query, key, value = (cnp.expand_dims(a, 0) for a in (query, key, value))
        bias = None if bias is None else cnp.expand_dims(bias, 0)
        mask = None if mask is None else cnp.expand_dims(mask, 0)
    if np.ndim(query) != 4 or np.ndim(key) != 4 or np.shape(key) != np.shape(value):
        raise ValueError(f"dot_product_attention: query (B, T, N, H) and key, value "
                         f"(B, S, K, H) expected, got {np.shape(query)}, {np.shape(key)}, "
                         f"{np.shape(value)}")
    b, t, n, h = np.shape(query)
    s, k = np.shape(key)[1], np.shape(key)[2]
    if n % k:
        raise ValueError(f"dot_product_attention: {n} query heads are not a multiple of "
                         f"{k} key heads")
    if n != k:
        key, value = cnp.repeat(key, n // k, axis=2), cnp.repeat(value, n // k, axis=2)
    logits = cnp.einsum("btnh,bsnh->bnts", query, key) * (
        1 / math.sqrt(h) if scale is None else scale)
    if bias is not None:
        logits = logits + bias
    keep = np.ones((1, 1, t, s), bool)
    rows, cols = np.arange(t)[:, None], np.arange(s)[None, :]
    if is_causal:
        keep = keep & (cols <= rows)
    if local_window_size is not None:
        left, right = ((local_window_size, local_window_size)
                       if np.ndim(local_window_size) == 0 else local_window_size)
        keep = keep & (cols >= rows - left) & (cols <= rows + right)
    if query_seq_lengths is not None:
        keep = keep & (rows < np.reshape(query_seq_lengths, (-1, 1, 1, 1)))
    if key_value_seq_lengths is not None:
        keep = keep & (cols < np.reshape(key_value_seq_lengths, (-1, 1, 1, 1)))
    if mask is not None:
        keep = cnp.logical_and(mask, keep)
    dtype = np.result_type(logits.dtype, np.float32)
    logits = cnp.where(keep, logits, -0.7 * np.finfo(dtype).max)
    out = cnp.einsum("bnts,bsnh->btnh", softmax(logits, axis=-1), value)
    if query_seq_lengths is not None:  # (JAX gives 0 at the padded queries)
        valid = np.arange(t)[None, :] < np.reshape(query_seq_lengths, (-1, 1))
        out = cnp.where(valid[:, :, None, None], out, 0.0)
    return out[0] if unbatched else out
