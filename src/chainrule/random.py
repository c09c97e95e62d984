"""``chainrule.random``: JAX's functional random numbers (``jax.random``'s names and
signatures), for programs ported from JAX.

A key is a pair of uint32 words, as JAX's raw keys are; every draw is a pure function of
its key (the same key, the same numbers), and ``split``/``fold_in`` derive new keys.
Underneath, a key seeds NumPy's counter-based Philox generator through a SeedSequence,
so the streams are NumPy's, not JAX's threefry: a ported program draws different
numbers with the same seeds (its statistics are the same). The default float dtype is
NumPy's float64 (JAX's is float32 unless x64 is enabled).

Draws are constants to every transform (their values do not depend on differentiated
inputs: the parameters ``minval``, ``p``, ``logits`` ... are read as values). A key must
be concrete: under ``cr.vmap``, split the keys before the call and loop over them, or
draw the whole batch at once with a leading shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .graph import values as _values
from .tracing import concrete, traced

__all__ = ["PRNGKey", "bernoulli", "beta", "bits", "categorical", "cauchy", "choice",
           "dirichlet", "exponential", "fold_in", "gamma", "gumbel", "key", "key_data",
           "laplace", "logistic", "multivariate_normal", "normal", "permutation", "poisson",
           "rademacher", "randint", "split", "truncated_normal", "uniform"]

_WORDS = np.uint32


def PRNGKey(seed: int) -> np.ndarray:  # noqa: N802  (JAX's name)
    """A key from an integer seed: its low and high 32 bits (JAX's layout)."""
    s = int(seed)
    return np.array([(s >> 32) & 0xFFFFFFFF, s & 0xFFFFFFFF], dtype=_WORDS)


key = PRNGKey


def key_data(keys: Any) -> np.ndarray:
    """The uint32 words of a key (keys here are raw already)."""
    return _key(keys, "key_data", batch=True)


def _key(k, op, batch=False):
    if traced(k):
        concrete(k, f"random.{op}: a key")
    a = np.asarray(_values(k))
    if a.dtype != _WORDS or a.shape[-1:] != (2,) or (a.ndim != 1 and not batch):
        raise TypeError(f"random.{op}: a key is a uint32 array of shape (2,) (from "
                        f"PRNGKey(seed) or split), got {a.dtype} {a.shape}")
    return a


def _derived(k, *tags):
    """Two new words from a key and tags: SeedSequence's hash of them all."""
    words = [int(w) for w in k] + [int(t) & 0xFFFFFFFF for t in tags]
    return np.random.SeedSequence(words).generate_state(2, dtype=np.uint32)


def split(key: Any, num: int | Sequence[int] = 2) -> np.ndarray:
    """``num`` new keys (shape (num, 2), or num's shape + (2,))."""
    k = _key(key, "split")
    shape = (int(num),) if np.ndim(num) == 0 else tuple(int(n) for n in num)
    n = int(np.prod(shape))
    out = np.stack([_derived(k, 0x5EED, i) for i in range(n)]) if n else np.empty((0, 2),
                                                                                  _WORDS)
    return out.reshape(shape + (2,))


def fold_in(key: Any, data: int) -> np.ndarray:
    """A new key from ``key`` and an integer (a step count, an example's index)."""
    return _derived(_key(key, "fold_in"), 0xF01D, int(_values(data)))


def _gen(key, op):
    return np.random.Generator(np.random.Philox(np.random.SeedSequence(
        [int(w) for w in _key(key, op)])))


def _shape(shape):
    if shape is None:
        return None
    return (int(shape),) if np.ndim(shape) == 0 else tuple(int(s) for s in shape)


def _float(dtype):
    dtype = np.dtype(float if dtype is None else dtype)
    if dtype.kind != "f":
        raise TypeError(f"random: dtype must be a float dtype, got {dtype}")
    return dtype


def _param(x):
    return np.asarray(_values(x), dtype=float)


def bits(key: Any, shape: Sequence[int] = (), dtype: Any = np.uint32) -> np.ndarray:
    """Uniform random bits of an unsigned integer dtype."""
    dtype = np.dtype(dtype)
    return _gen(key, "bits").integers(0, np.iinfo(dtype).max, size=_shape(shape),
                                      dtype=dtype, endpoint=True)


def uniform(key: Any, shape: Sequence[int] = (), dtype: Any = None, minval: Any = 0.0,
            maxval: Any = 1.0) -> np.ndarray:
    """Uniform on [minval, maxval)."""
    dtype = _float(dtype)
    u = _gen(key, "uniform").random(_shape(shape))
    lo, hi = _param(minval), _param(maxval)
    return np.asarray(lo + (hi - lo) * u).astype(dtype)


def normal(key: Any, shape: Sequence[int] = (), dtype: Any = None) -> np.ndarray:
    """Standard normal."""
    return np.asarray(_gen(key, "normal").standard_normal(_shape(shape))).astype(_float(dtype))


def truncated_normal(key: Any, lower: Any, upper: Any, shape: Sequence[int] | None = None,
                     dtype: Any = None) -> np.ndarray:
    """Standard normal restricted to (lower, upper), by inverting its CDF."""
    from .scipy.special import ndtr, ndtri

    lo, hi = _param(lower), _param(upper)
    shape = np.broadcast_shapes(lo.shape, hi.shape) if shape is None else _shape(shape)
    u = _gen(key, "truncated_normal").random(shape)
    a, b = np.asarray(_values(ndtr(lo))), np.asarray(_values(ndtr(hi)))
    z = np.asarray(_values(ndtri(a + u * (b - a))))
    # (rounding at the ends: the result stays inside the open interval, as JAX's does)
    return np.clip(z, np.nextafter(lo, np.inf), np.nextafter(hi, -np.inf)).astype(_float(dtype))


def randint(key: Any, shape: Sequence[int], minval: Any, maxval: Any,
            dtype: Any = np.int64) -> np.ndarray:
    """Integers uniform on [minval, maxval)."""
    return _gen(key, "randint").integers(np.asarray(_values(minval)),
                                         np.asarray(_values(maxval)), size=_shape(shape),
                                         dtype=np.dtype(dtype))


def bernoulli(key: Any, p: Any = 0.5, shape: Sequence[int] | None = None) -> np.ndarray:
    """Booleans, True with probability p."""
    p = _param(p)
    shape = p.shape if shape is None else _shape(shape)
    return _gen(key, "bernoulli").random(shape) < p


def rademacher(key: Any, shape: Sequence[int], dtype: Any = np.int64) -> np.ndarray:
    """-1 or +1 with equal probability."""
    return (2 * _gen(key, "rademacher").integers(0, 2, size=_shape(shape)) - 1).astype(dtype)


def categorical(key: Any, logits: Any, axis: int = -1,
                shape: Sequence[int] | None = None) -> np.ndarray:
    """Class indices drawn with probabilities softmax(logits) along ``axis`` (by the
    Gumbel-max trick, as JAX)."""
    z = _param(logits)
    axis = axis % z.ndim
    batch = z.shape[:axis] + z.shape[axis + 1:]
    shape = batch if shape is None else _shape(shape)
    moved = np.moveaxis(z, axis, -1)
    g = _gen(key, "categorical").gumbel(size=shape + moved.shape[-1:])
    return np.argmax(moved + g, axis=-1)


def choice(key: Any, a: Any, shape: Sequence[int] = (), replace: bool = True,
           p: Any = None, axis: int = 0) -> np.ndarray:
    """Elements of ``a`` (or of arange(a) for an int) drawn along ``axis``."""
    arr = np.asarray(_values(a))
    probs = None if p is None else _param(p)
    return _gen(key, "choice").choice(arr if arr.ndim else int(arr), size=_shape(shape),
                                      replace=replace, p=probs, axis=axis)


def permutation(key: Any, x: Any, axis: int = 0, independent: bool = False) -> np.ndarray:
    """A shuffled copy of ``x`` along ``axis`` (of arange(x) for an int); ``independent``
    shuffles each slice on its own."""
    arr = np.asarray(_values(x))
    gen = _gen(key, "permutation")
    if arr.ndim == 0:
        return gen.permutation(int(arr))
    if independent:
        return gen.permuted(arr, axis=axis)
    return gen.permutation(arr, axis=axis)


def gumbel(key: Any, shape: Sequence[int] = (), dtype: Any = None) -> np.ndarray:
    return _gen(key, "gumbel").gumbel(size=_shape(shape)).astype(_float(dtype))


def exponential(key: Any, shape: Sequence[int] = (), dtype: Any = None) -> np.ndarray:
    return _gen(key, "exponential").standard_exponential(_shape(shape)).astype(_float(dtype))


def laplace(key: Any, shape: Sequence[int] = (), dtype: Any = None) -> np.ndarray:
    return _gen(key, "laplace").laplace(size=_shape(shape)).astype(_float(dtype))


def logistic(key: Any, shape: Sequence[int] = (), dtype: Any = None) -> np.ndarray:
    return _gen(key, "logistic").logistic(size=_shape(shape)).astype(_float(dtype))


def cauchy(key: Any, shape: Sequence[int] = (), dtype: Any = None) -> np.ndarray:
    return _gen(key, "cauchy").standard_cauchy(_shape(shape)).astype(_float(dtype))


def gamma(key: Any, a: Any, shape: Sequence[int] | None = None, dtype: Any = None) -> np.ndarray:
    a = _param(a)
    shape = a.shape if shape is None else _shape(shape)
    return _gen(key, "gamma").standard_gamma(a, size=shape).astype(_float(dtype))


def beta(key: Any, a: Any, b: Any, shape: Sequence[int] | None = None,
         dtype: Any = None) -> np.ndarray:
    a, b = _param(a), _param(b)
    shape = np.broadcast_shapes(a.shape, b.shape) if shape is None else _shape(shape)
    return _gen(key, "beta").beta(a, b, size=shape).astype(_float(dtype))


def dirichlet(key: Any, alpha: Any, shape: Sequence[int] | None = None,
              dtype: Any = None) -> np.ndarray:
    alpha = _param(alpha)
    shape = alpha.shape[:-1] if shape is None else _shape(shape)
    g = _gen(key, "dirichlet").standard_gamma(alpha, size=shape + alpha.shape[-1:])
    return (g / g.sum(axis=-1, keepdims=True)).astype(_float(dtype))


def poisson(key: Any, lam: Any, shape: Sequence[int] | None = None,
            dtype: Any = np.int64) -> np.ndarray:
    lam = _param(lam)
    shape = lam.shape if shape is None else _shape(shape)
    return _gen(key, "poisson").poisson(lam, size=shape).astype(dtype)


def multivariate_normal(key: Any, mean: Any, cov: Any, shape: Sequence[int] | None = None,
                        dtype: Any = None, method: str = "cholesky") -> np.ndarray:
    """Normal with ``mean`` (..., n) and covariance ``cov`` (..., n, n)."""
    mean, cov = _param(mean), _param(cov)
    batch = np.broadcast_shapes(mean.shape[:-1], cov.shape[:-2])
    shape = batch if shape is None else _shape(shape)
    if method == "cholesky":
        factor = np.linalg.cholesky(cov)
    elif method in ("eigh", "svd"):
        w, v = np.linalg.eigh(cov)
        factor = v * np.sqrt(np.maximum(w, 0))[..., None, :]
    else:
        raise ValueError(f"multivariate_normal: method must be 'cholesky', 'eigh' or 'svd', "
                         f"got {method!r}")
    z = _gen(key, "multivariate_normal").standard_normal(shape + mean.shape[-1:])
    return (mean + np.einsum("...ij,...j->...i", factor, z)).astype(_float(dtype))
