"""Neural-network layers as ``(init_fun, apply_fun)`` pairs, with the API of
``jax.example_libraries.stax``.

``init_fun(rng, input_shape) -> (output_shape, params)`` draws a layer's parameters from a
chainrule.random key; ``apply_fun(params, inputs, **kwargs) -> outputs`` runs it
(``rng=key`` for Dropout). Combinators (``serial``, ``parallel``, ``FanOut``, ...) build
networks from layers. Images are NHWC and kernels HWIO, as in JAX's ``Conv``.

chainrule.random draws from NumPy's Philox streams, so the initial parameters differ
from JAX's for the same key (the distributions are the same: truncated-normal Glorot
weights, normal(1e-2) biases); given the same params, apply_fun gives JAX's outputs.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import numpy as cnp
from .. import random
from ..nn import functional as F
from ..nn import jax as jnn

Layer = tuple[Callable[..., Any], Callable[..., Any]]
Initializer = Callable[..., Any]  # (key, shape, dtype=None) -> array


# ------------------------------------------------------------------ initializers
# JAX's jax.nn.initializers spellings: (key, shape, dtype) -> array.
def glorot_normal(in_axis: int = -2, out_axis: int = -1, dtype: Any = None) -> Callable[..., Any]:
    """Glorot (Xavier) normal: truncated to 2 standard deviations, with variance
    2 / (fan_in + fan_out) (jax.nn.initializers.glorot_normal)."""
    def init(key: Any, shape: Sequence[int], dtype: Any = dtype) -> Any:
        shape = tuple(shape)
        receptive = math.prod(shape) / (shape[in_axis] * shape[out_axis])
        fan_avg = (shape[in_axis] + shape[out_axis]) * receptive / 2
        # 0.8796... is the standard deviation of a unit normal truncated to [-2, 2]
        stddev = math.sqrt(1.0 / fan_avg) / 0.87962566103423978
        return random.truncated_normal(key, -2.0, 2.0, shape, dtype) * stddev
    return init


def normal(stddev: float = 1e-2, dtype: Any = None) -> Callable[..., Any]:
    """Normal with standard deviation `stddev`."""
    def init(key: Any, shape: Sequence[int], dtype: Any = dtype) -> Any:
        return random.normal(key, tuple(shape), dtype) * stddev
    return init


def zeros(key: Any, shape: Sequence[int], dtype: Any = None) -> Any:
    return np.zeros(tuple(shape), dtype or np.float64)


def ones(key: Any, shape: Sequence[int], dtype: Any = None) -> Any:
    return np.ones(tuple(shape), dtype or np.float64)


glorot = glorot_normal
randn = normal

# The default initializers, made once (JAX's defaults: Glorot weights, normal(1e-2)
# biases, normal(1e-6) convolution biases).
_GLOROT_NORMAL = glorot_normal()
_NORMAL = normal()
_TINY_NORMAL = normal(1e-6)


# ------------------------------------------------------------------ layers
def Dense(out_dim: int, W_init: Initializer = _GLOROT_NORMAL, b_init: Initializer = _NORMAL,
          ) -> Layer:
    """Fully connected: inputs @ W + b over the last axis."""
    def init_fun(rng: Any, input_shape: Sequence[int]) -> Any:
        k1, k2 = random.split(rng)
        W, b = W_init(k1, (input_shape[-1], out_dim)), b_init(k2, (out_dim,))
        return tuple(input_shape[:-1]) + (out_dim,), (W, b)

    def apply_fun(params: Any, inputs: Any, **kwargs: Any) -> Any:
        W, b = params
        return cnp.dot(inputs, W) + b

    return init_fun, apply_fun


def GeneralConv(dimension_numbers: tuple[str, str, str], out_chan: int,
                filter_shape: Sequence[int], strides: Sequence[int] | None = None,
                padding: str | Sequence[tuple[int, int]] = "VALID",
                W_init: Initializer | None = None, b_init: Initializer = _TINY_NORMAL,
                ) -> Layer:
    """Convolution (cross-correlation, as lax.conv_general_dilated) with two spatial axes;
    `dimension_numbers` gives the layouts of input, kernel and output
    (``("NHWC", "HWIO", "NHWC")`` for Conv); padding 'VALID', 'SAME' or (low, high) pairs."""
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    if len(filter_shape) != 2:
        raise NotImplementedError("stax.GeneralConv: chainrule's convolution has two "
                                  f"spatial axes; got filter_shape {tuple(filter_shape)}")
    strides = tuple(strides or (1, 1))
    W_init = W_init or glorot_normal(rhs_spec.index("I"), rhs_spec.index("O"))

    def init_fun(rng: Any, input_shape: Sequence[int]) -> Any:
        spatial = iter(filter_shape)
        kernel_shape = [out_chan if c == "O" else input_shape[lhs_spec.index("C")]
                        if c == "I" else next(spatial) for c in rhs_spec]
        in_hw = [input_shape[lhs_spec.index(c)] for c in "HW"]
        pads = _pads(in_hw, filter_shape, strides, padding)
        out_hw = [(n + lo + hi - k) // s + 1
                  for n, (lo, hi), k, s in zip(in_hw, pads, filter_shape, strides)]
        sizes = {"N": input_shape[lhs_spec.index("N")], "C": out_chan,
                 "H": out_hw[0], "W": out_hw[1]}
        k1, k2 = random.split(rng)
        W = W_init(k1, kernel_shape)
        b = b_init(k2, [out_chan if c == "C" else 1 for c in out_spec])
        return tuple(sizes[c] for c in out_spec), (W, b)

    def apply_fun(params: Any, inputs: Any, **kwargs: Any) -> Any:
        W, b = params
        # To chainrule's NCHW/OIHW convolution, with the (possibly uneven) padding applied
        # to the input first.
        x = cnp.transpose(inputs, [lhs_spec.index(c) for c in "NCHW"])
        w = cnp.transpose(W, [rhs_spec.index(c) for c in "OIHW"])
        pads = _pads(np.shape(x)[2:], np.shape(w)[2:], strides, padding)
        if any(lo or hi for lo, hi in pads):
            x = cnp.pad(x, [(0, 0), (0, 0), *pads])
        y = F.conv2d(x, w, stride=strides)
        return cnp.transpose(y, ["NCHW".index(c) for c in out_spec]) + b

    return init_fun, apply_fun


Conv = functools.partial(GeneralConv, ("NHWC", "HWIO", "NHWC"))


def _pads(in_shape: Sequence[int], window: Sequence[int], strides: Sequence[int],
          padding: str | Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """(low, high) padding per axis: 'SAME' gives ceil(n / stride) outputs, the odd cell
    of padding at the high end (XLA's rule); 'VALID' none."""
    if not isinstance(padding, str):
        return [tuple(p) for p in padding]  # type: ignore[misc]
    if padding.upper() == "VALID":
        return [(0, 0)] * len(in_shape)
    if padding.upper() != "SAME":
        raise ValueError(f"Unknown padding type: {padding}.")
    pads = []
    for n, k, s in zip(in_shape, window, strides):
        total = max((-(-n // s) - 1) * s + k - n, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def BatchNorm(axis: int | Sequence[int] = (0, 1, 2), epsilon: float = 1e-5,
              center: bool = True, scale: bool = True, beta_init: Initializer = zeros,
              gamma_init: Initializer = ones) -> Layer:
    """Normalizes over `axis` with the batch's statistics (no running averages), then
    gamma * z + beta with gamma, beta over the other axes."""
    axes = (int(axis),) if isinstance(axis, (int, np.integer)) else tuple(axis)

    def init_fun(rng: Any, input_shape: Sequence[int]) -> Any:
        shape = tuple(d for i, d in enumerate(input_shape) if i not in axes)
        k1, k2 = random.split(rng)
        beta = beta_init(k1, shape) if center else ()
        gamma = gamma_init(k2, shape) if scale else ()
        return tuple(input_shape), (beta, gamma)

    def apply_fun(params: Any, x: Any, **kwargs: Any) -> Any:
        beta, gamma = params
        # beta and gamma laid along the axes that are not normalized
        expand = tuple(None if i in axes else slice(None) for i in range(np.ndim(x)))
        z = jnn.standardize(x, axis, epsilon=epsilon)
        if center and scale:
            return gamma[expand] * z + beta[expand]
        if center:
            return z + beta[expand]
        if scale:
            return gamma[expand] * z
        return z

    return init_fun, apply_fun


def elementwise(fun: Callable[..., Any], **fun_kwargs: Any) -> Layer:
    """A layer without parameters applying `fun` to its input."""
    def init_fun(rng: Any, input_shape: Sequence[int]) -> Any:
        return input_shape, ()

    def apply_fun(params: Any, inputs: Any, **kwargs: Any) -> Any:
        return fun(inputs, **fun_kwargs)

    return init_fun, apply_fun


Tanh = elementwise(cnp.tanh)
Relu = elementwise(jnn.relu)
Exp = elementwise(cnp.exp)
LogSoftmax = elementwise(jnn.log_softmax, axis=-1)
Softmax = elementwise(jnn.softmax, axis=-1)
Softplus = elementwise(jnn.softplus)
Sigmoid = elementwise(jnn.sigmoid)
Elu = elementwise(jnn.elu)
LeakyRelu = elementwise(jnn.leaky_relu)
Selu = elementwise(jnn.selu)
Gelu = elementwise(jnn.gelu)


def _pooling_layer(reducer: Callable[[Any, Any], Any], init_val: float,
                   average: bool = False) -> Callable[..., Layer]:
    def PoolingLayer(window_shape: Sequence[int], strides: Sequence[int] | None = None,
                     padding: str = "VALID", spec: str | None = None) -> Layer:
        """Reduces each window of the spatial axes (NHWC unless `spec` names the layout);
        padded cells count as init_val (AvgPool divides by the unpadded cells)."""
        window = tuple(window_shape)
        steps = tuple(strides or (1,) * len(window))

        def spatial_axes(ndim: int) -> list[int]:
            batch_chan = (0, ndim - 1) if spec is None else (spec.index("N"), spec.index("C"))
            return [i for i in range(ndim) if i not in batch_chan]

        def init_fun(rng: Any, input_shape: Sequence[int]) -> Any:
            axes = spatial_axes(len(input_shape))
            pads = _pads([input_shape[a] for a in axes], window, steps, padding)
            out = list(input_shape)
            for a, (lo, hi), k, s in zip(axes, pads, window, steps):
                out[a] = (input_shape[a] + lo + hi - k) // s + 1
            return tuple(out), ()

        def apply_fun(params: Any, inputs: Any, **kwargs: Any) -> Any:
            axes = spatial_axes(np.ndim(inputs))
            out = _reduce_window(inputs, axes, window, steps, padding, reducer, init_val)
            if not average:
                return out
            # the number of input cells in each window (fewer at a padded edge)
            counts = _reduce_window(np.ones(np.shape(inputs)), axes, window, steps, padding,
                                    np.add, 0.0)
            return out / counts.astype(np.result_type(inputs))

        return init_fun, apply_fun

    return PoolingLayer


def _reduce_window(x: Any, axes: list[int], window: tuple[int, ...], strides: tuple[int, ...],
                   padding: str, reducer: Callable[[Any, Any], Any], init_val: float) -> Any:
    """reducer over every window: the window's cells taken as strided slices, one per
    offset, and folded together (differentiable, as each step is)."""
    shape = np.shape(x)
    pads = _pads([shape[a] for a in axes], window, strides, padding)
    full = [(0, 0)] * len(shape)
    for a, p in zip(axes, pads):
        full[a] = p
    if any(lo or hi for lo, hi in pads):
        x = cnp.pad(x, full, constant_values=init_val)
    padded = np.shape(x)
    out_sizes = [(padded[a] - k) // s + 1 for a, k, s in zip(axes, window, strides)]
    result = None
    for offset in np.ndindex(*window):
        index: list[Any] = [slice(None)] * len(shape)
        for a, o, n, s in zip(axes, offset, out_sizes, strides):
            index[a] = slice(o, o + (n - 1) * s + 1, s)
        part = x[tuple(index)]
        result = part if result is None else reducer(result, part)
    return result


MaxPool = _pooling_layer(cnp.maximum, -np.inf)
SumPool = _pooling_layer(cnp.add, 0.0)
AvgPool = _pooling_layer(cnp.add, 0.0, average=True)


def _flatten_init(rng: Any, input_shape: Sequence[int]) -> Any:
    return (input_shape[0], math.prod(input_shape[1:])), ()


def _flatten_apply(params: Any, inputs: Any, **kwargs: Any) -> Any:
    return cnp.reshape(inputs, (np.shape(inputs)[0], -1))


Flatten: Layer = (_flatten_init, _flatten_apply)
"""Everything but the leading (batch) axis raveled into one."""


def _identity_init(rng: Any, input_shape: Sequence[int]) -> Any:
    return input_shape, ()


Identity: Layer = (_identity_init, lambda params, inputs, **kwargs: inputs)


def FanOut(num: int) -> Layer:
    """The input given to `num` parallel branches (a list of `num` copies)."""
    return (lambda rng, input_shape: ([input_shape] * num, ()),
            lambda params, inputs, **kwargs: [inputs] * num)


def _fan_in_sum_init(rng: Any, input_shape: Sequence[Any]) -> Any:
    return input_shape[0], ()


FanInSum: Layer = (_fan_in_sum_init, lambda params, inputs, **kwargs: sum(inputs))
"""The sum of the branches' outputs."""


def FanInConcat(axis: int = -1) -> Layer:
    """The branches' outputs concatenated along `axis`."""
    def init_fun(rng: Any, input_shape: Sequence[Any]) -> Any:
        ax = axis % len(input_shape[0])
        size = sum(shape[ax] for shape in input_shape)
        first = tuple(input_shape[0])
        return first[:ax] + (size,) + first[ax + 1:], ()

    def apply_fun(params: Any, inputs: Any, **kwargs: Any) -> Any:
        return cnp.concatenate(inputs, axis)

    return init_fun, apply_fun


def Dropout(rate: float, mode: str = "train") -> Layer:
    """Keeps each input with probability `rate` (JAX's stax: `rate` is the keep rate),
    scaled by 1/rate; the identity when mode is not 'train'. apply_fun needs ``rng=``."""
    def init_fun(rng: Any, input_shape: Sequence[int]) -> Any:
        return input_shape, ()

    def apply_fun(params: Any, inputs: Any, **kwargs: Any) -> Any:
        rng = kwargs.get("rng", None)
        if rng is None:
            raise ValueError("Dropout layer requires apply_fun to be called with a PRNG key "
                             "argument. That is, instead of `apply_fun(params, inputs)`, call "
                             "it like `apply_fun(params, inputs, rng=key)` where `key` is a "
                             "chainrule.random key (e.g. from `random.PRNGKey`).")
        if mode != "train":
            return inputs
        keep = random.bernoulli(rng, rate, np.shape(inputs))
        return cnp.where(keep, inputs / rate, 0)

    return init_fun, apply_fun


# ------------------------------------------------------------------ combinators
def serial(*layers: Layer) -> Layer:
    """Layers one after another; params is the list of theirs. A key given to apply_fun
    as ``rng=`` is split, one per layer."""
    nlayers = len(layers)
    init_funs, apply_funs = zip(*layers) if layers else ((), ())

    def init_fun(rng: Any, input_shape: Any) -> Any:
        params = []
        for init in init_funs:
            rng, layer_rng = random.split(rng)
            input_shape, param = init(layer_rng, input_shape)
            params.append(param)
        return input_shape, params

    def apply_fun(params: Any, inputs: Any, **kwargs: Any) -> Any:
        rng = kwargs.pop("rng", None)
        rngs = random.split(rng, nlayers) if rng is not None else (None,) * nlayers
        for fun, param, key in zip(apply_funs, params, rngs):
            inputs = fun(param, inputs, rng=key, **kwargs)
        return inputs

    return init_fun, apply_fun


def parallel(*layers: Layer) -> Layer:
    """Layers side by side, the k-th on the k-th of a sequence of inputs (after FanOut);
    the outputs are a list."""
    nlayers = len(layers)
    init_funs, apply_funs = zip(*layers) if layers else ((), ())

    def init_fun(rng: Any, input_shape: Any) -> Any:
        rngs = random.split(rng, nlayers)
        shapes, params = zip(*[init(key, shape) for init, key, shape
                               in zip(init_funs, rngs, input_shape)])
        return shapes, params

    def apply_fun(params: Any, inputs: Any, **kwargs: Any) -> Any:
        rng = kwargs.pop("rng", None)
        rngs = random.split(rng, nlayers) if rng is not None else (None,) * nlayers
        return [f(p, x, rng=key, **kwargs) for f, p, x, key in
                zip(apply_funs, params, inputs, rngs)]

    return init_fun, apply_fun


def shape_dependent(make_layer: Callable[[Any], Layer]) -> Layer:
    """A layer built from the input shape when init_fun is called (and apply_fun's
    input's shape when it runs)."""
    def init_fun(rng: Any, input_shape: Any) -> Any:
        return make_layer(input_shape)[0](rng, input_shape)

    def apply_fun(params: Any, inputs: Any, **kwargs: Any) -> Any:
        return make_layer(np.shape(inputs))[1](params, inputs, **kwargs)

    return init_fun, apply_fun
