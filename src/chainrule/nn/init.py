"""Parameter initializers, reproducible from a NumPy Generator or an integer seed.

Every function fills its tensor in place and returns it. ``rng`` is a
``numpy.random.Generator``, an int seed, or None for this module's default
generator (reseed it with :func:`manual_seed`). Values are drawn in float64 and
then stored in the tensor's dtype, so a seed gives the same numbers (up to
rounding) whatever the dtype.

Fan-in and fan-out of a weight of shape (out, in, *kernel) are
``in * prod(kernel)`` and ``out * prod(kernel)``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import randomness
from ..graph import TensorBase

_default_rng = np.random.default_rng()


def manual_seed(seed):
    """Reseed the generator used when an initializer (or a layer) gets ``rng=None``."""
    global _default_rng
    _default_rng = np.random.default_rng(seed)


def generator(rng=None):
    """A ``numpy.random.Generator`` from a Generator, an int seed or None (the default)."""
    if rng is None:
        randomness.noticed(_default_rng)
        return _default_rng
    if isinstance(rng, np.random.Generator):
        randomness.noticed(rng)
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"rng must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}"
    )


def _fill(tensor, values):
    if isinstance(tensor, TensorBase):
        tensor.copy_(np.asarray(values).astype(tensor._data.dtype))
    else:
        tensor[...] = values
    return tensor


def _shape(tensor):
    return tensor._data.shape if isinstance(tensor, TensorBase) else np.shape(tensor)


def calculate_gain(nonlinearity, param=None):
    """Recommended scale of the weights feeding ``nonlinearity``.

    linear/conv/sigmoid: 1; tanh: 5/3; relu: sqrt(2); selu: 3/4;
    leaky_relu with negative slope a (default 0.01): sqrt(2 / (1 + a^2)).
    """
    if nonlinearity in ("linear", "identity", "conv1d", "conv2d", "conv3d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain: negative slope {slope!r} is not a number")
        return math.sqrt(2.0 / (1 + slope**2))
    raise ValueError(
        f"calculate_gain: unknown nonlinearity {nonlinearity!r}; use one of linear, conv2d, "
        f"sigmoid, tanh, relu, leaky_relu, selu"
    )


def calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel)."""
    shape = _shape(tensor)
    if len(shape) < 2:
        raise ValueError(
            f"fan in and fan out need a tensor with at least 2 dimensions, got shape {shape}"
        )
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _fan(tensor, mode):
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    if mode == "fan_in":
        return fan_in
    if mode == "fan_out":
        return fan_out
    raise ValueError(f"mode must be 'fan_in' or 'fan_out', not {mode!r}")


def uniform_(tensor, a=0.0, b=1.0, rng=None):
    """Fill with draws from U(a, b)."""
    return _fill(tensor, generator(rng).uniform(a, b, _shape(tensor)))


def normal_(tensor, mean=0.0, std=1.0, rng=None):
    """Fill with draws from N(mean, std^2)."""
    return _fill(tensor, generator(rng).normal(mean, std, _shape(tensor)))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, rng=None):
    """Fill with draws from N(mean, std^2) truncated to [a, b] (a and b are values, not
    multiples of std, as in PyTorch): uniform draws mapped through the normal's inverse
    CDF between the bounds' probabilities, so no draw is rejected however narrow or far
    out the interval."""
    if not a < b:
        raise ValueError(f"trunc_normal_: the bounds need a < b, got a={a}, b={b}")
    from ..scipy.special import ndtr, ndtri  # (the special functions load on first use)

    lo, hi = ndtr(np.array([(a - mean) / std, (b - mean) / std]))
    u = generator(rng).uniform(lo, hi, _shape(tensor))
    return _fill(tensor, np.clip(mean + std * ndtri(u), a, b))


def orthogonal_(tensor, gain=1.0, rng=None):
    """Fill with a (semi-)orthogonal matrix, scaled by ``gain``: the Q of the QR
    decomposition of a standard normal matrix of shape (rows, prod(rest)), its columns'
    signs fixed by R's diagonal so that Q is uniformly distributed (as PyTorch does)."""
    shape = _shape(tensor)
    if len(shape) < 2:
        raise ValueError("orthogonal_: the tensor needs at least 2 dimensions, got "
                         f"shape {shape}")
    rows, cols = shape[0], int(np.prod(shape[1:]))
    flat = generator(rng).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(shape))


def eye_(tensor):
    """Fill a 2-d tensor with the identity (ones on the diagonal, zeros elsewhere)."""
    shape = _shape(tensor)
    if len(shape) != 2:
        raise ValueError(f"eye_: the tensor must be 2-d, got shape {shape}")
    return _fill(tensor, np.eye(*shape))


def dirac_(tensor, groups=1):
    """Fill a 3-, 4- or 5-d convolution weight (out, in, *kernel) with the Dirac delta: the
    convolution passes each of the first `in` channels of every group through unchanged."""
    shape = _shape(tensor)
    if len(shape) not in (3, 4, 5):
        raise ValueError(f"dirac_: the tensor must be 3-, 4- or 5-d, got shape {shape}")
    if shape[0] % groups:
        raise ValueError(f"dirac_: {shape[0]} output channels are not divisible by "
                         f"groups={groups}")
    out_per_group = shape[0] // groups
    values = np.zeros(shape)
    centre = tuple(k // 2 for k in shape[2:])
    for g in range(groups):
        for d in range(min(out_per_group, shape[1])):
            values[(g * out_per_group + d, d) + centre] = 1.0
    return _fill(tensor, values)


def sparse_(tensor, sparsity, std=0.01, rng=None):
    """A 2-d tensor from N(0, std), then in each column a fraction `sparsity` of its rows
    (rounded up) set to zero, the rows drawn at random."""
    shape = _shape(tensor)
    if len(shape) != 2:
        raise ValueError(f"sparse_: the tensor must be 2-d, got shape {shape}")
    rows, cols = shape
    r = generator(rng)
    values = r.normal(0.0, std, shape)
    zeros = int(np.ceil(sparsity * rows))
    for c in range(cols):
        values[r.permutation(rows)[:zeros], c] = 0.0
    return _fill(tensor, values)


def constant_(tensor, value):
    """Fill with ``value``."""
    return _fill(tensor, np.full(_shape(tensor), value))


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor, gain=1.0, rng=None):
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, rng)


def xavier_normal_(tensor, gain=1.0, rng=None):
    """Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), rng)


def _empty(tensor):
    """Whether `tensor` has no elements (its fan may be 0): then He's initializers leave it
    as it is, with PyTorch's warning, so a layer of width 0 can still be made."""
    if 0 in _shape(tensor):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return True
    return False


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    """He uniform: U(-b, b), b = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a)."""
    if _empty(tensor):
        return tensor
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / _fan(tensor, mode))
    return uniform_(tensor, -bound, bound, rng)


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    """He normal: N(0, std^2), std = gain / sqrt(fan), gain = calculate_gain(nonlinearity, a)."""
    if _empty(tensor):
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std, rng)


def default_init_(weight, bias=None, rng=None):
    """The default of Linear and Conv2d: weight and bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

    For the weight this is kaiming_uniform_ with a = sqrt(5) (gain sqrt(1/3)), which
    is the scheme PyTorch's layers use, so freshly made layers have matching statistics.
    """
    rng = generator(rng)
    kaiming_uniform_(weight, a=math.sqrt(5), rng=rng)
    if bias is not None:
        fan_in = _fan(weight, "fan_in")
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        uniform_(bias, -bound, bound, rng)
