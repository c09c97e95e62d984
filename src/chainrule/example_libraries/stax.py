"""Neural-network layers as ``(init_fun, apply_fun)`` pairs, with the API of
``jax.example_libraries.stax``.

``init_fun(rng, input_shape) -> (output_shape, params)`` draws a layer's parameters from a
chainrule.random key; ``apply_fun(params, inputs, **kwargs) -> outputs`` runs it
(``rng=key`` for Dropout). Combinators (``serial``, ``parallel``, ``FanOut``, ...) build
networks from layers. Images are NHWC and kernels HWIO, as in JAX's ``Conv``; convolutions
and pooling are chainrule.lax's conv_general_dilated, conv_transpose and reduce_window.

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

from .. import lax, lax_conv, random
from .. import numpy as cnp
from ..nn import jax as jnn
from ..nn.jax_initializers import glorot_normal, normal, ones, zeros

Layer = tuple[Callable[..., Any], Callable[..., Any]]
Initializer = Callable[..., Any]  # (key, shape, dtype=None) -> array


# ------------------------------------------------------------------ initializers
# jax.nn.initializers' (stax takes them from there, as JAX's does).
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
    """Convolution (cross-correlation, lax.conv_general_dilated) over any number of
    spatial axes; `dimension_numbers` gives the layouts of input, kernel and output
    (``("NHWC", "HWIO", "NHWC")`` for Conv); padding 'VALID', 'SAME', 'SAME_LOWER' or
    (low, high) pairs."""
    return _conv_layer(dimension_numbers, out_chan, filter_shape, strides, padding, W_init,
                       b_init, transposed=False)


Conv = functools.partial(GeneralConv, ("NHWC", "HWIO", "NHWC"))
Conv1D = functools.partial(GeneralConv, ("NHC", "HIO", "NHC"))


def GeneralConvTranspose(dimension_numbers: tuple[str, str, str], out_chan: int,
                         filter_shape: Sequence[int], strides: Sequence[int] | None = None,
                         padding: str | Sequence[tuple[int, int]] = "VALID",
                         W_init: Initializer | None = None,
                         b_init: Initializer = _TINY_NORMAL) -> Layer:
    """Transposed convolution (lax.conv_transpose): 'SAME' makes each spatial size the
    input's times the stride, 'VALID' adds max(kernel - stride, 0) to that."""
    return _conv_layer(dimension_numbers, out_chan, filter_shape, strides, padding, W_init,
                       b_init, transposed=True)


def _conv_layer(dimension_numbers: tuple[str, str, str], out_chan: int,
                filter_shape: Sequence[int], strides: Sequence[int] | None,
                padding: str | Sequence[tuple[int, int]], W_init: Initializer | None,
                b_init: Initializer, transposed: bool) -> Layer:
    """The (init_fun, apply_fun) pair of a convolution layer or of its transpose."""
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    one = (1,) * len(filter_shape)
    steps = tuple(strides or one)
    W_init = W_init or glorot_normal(rhs_spec.index("I"), rhs_spec.index("O"))

    def init_fun(rng: Any, input_shape: Sequence[int]) -> Any:
        kernel_shape = _kernel_shape(rhs_spec, filter_shape, out_chan,
                                     input_shape[lhs_spec.index("C")])
        output_shape = _conv_output_shape(dimension_numbers, input_shape, kernel_shape,
                                          steps, padding, transposed=transposed)
        k1, k2 = random.split(rng)
        W = W_init(k1, kernel_shape)
        b = b_init(k2, [out_chan if c == "C" else 1 for c in out_spec])
        return output_shape, (W, b)

    def apply_fun(params: Any, inputs: Any, **kwargs: Any) -> Any:
        W, b = params
        if transposed:
            return lax.conv_transpose(inputs, W, steps, padding,
                                      dimension_numbers=dimension_numbers) + b
        return lax.conv_general_dilated(inputs, W, steps, padding, one, one,
                                        dimension_numbers=dimension_numbers) + b

    return init_fun, apply_fun


ConvTranspose = functools.partial(GeneralConvTranspose, ("NHWC", "HWIO", "NHWC"))
Conv1DTranspose = functools.partial(GeneralConvTranspose, ("NHC", "HIO", "NHC"))


def _kernel_shape(rhs_spec: str, filter_shape: Sequence[int], out_chan: int,
                  in_chan: int) -> list[int]:
    spatial = iter(filter_shape)
    return [out_chan if c == "O" else in_chan if c == "I" else next(spatial)
            for c in rhs_spec]


def _conv_output_shape(dimension_numbers: tuple[str, str, str], input_shape: Sequence[int],
                       kernel_shape: Sequence[int], strides: Sequence[int],
                       padding: str | Sequence[tuple[int, int]],
                       transposed: bool) -> tuple[int, ...]:
    """The output shape of lax.conv_general_dilated (or lax.conv_transpose), by the
    arithmetic alone (the batch size may be -1, as JAX's stax allows)."""
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    spatial = [c for c in rhs_spec if c not in "OI"]
    sizes = [input_shape[lhs_spec.index(c)] for c in spatial]
    window = [kernel_shape[rhs_spec.index(c)] for c in spatial]
    if transposed:
        if isinstance(padding, str):
            pads = [lax_conv._conv_transpose_padding(k, s, padding.upper())
                    for k, s in zip(window, strides)]
        else:
            pads = [tuple(p) for p in padding]
        out = [(n - 1) * s + 1 + lo + hi - k + 1 if n else 0
               for n, (lo, hi), k, s in zip(sizes, pads, window, strides)]
    else:
        pads = _pairs(sizes, window, strides, padding)
        out = [max((n + lo + hi - k) // s + 1, 0)
               for n, (lo, hi), k, s in zip(sizes, pads, window, strides)]
    dims = {"N": input_shape[lhs_spec.index("N")], "C": kernel_shape[rhs_spec.index("O")],
            **dict(zip(spatial, out))}
    return tuple(dims[c] for c in out_spec)


def _pairs(in_shape: Sequence[int], window: Sequence[int], strides: Sequence[int],
           padding: str | Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """(low, high) padding per axis: lax.padtype_to_pads for a padding name, else the
    pairs given."""
    if isinstance(padding, str):
        return lax.padtype_to_pads(in_shape, window, strides, padding)
    return [(int(lo), int(hi)) for lo, hi in padding]


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
        """Reduces each window of the spatial axes (NHWC unless `spec` names the layout)
        by lax.reduce_window; padded cells count as init_val (AvgPool divides by the
        unpadded cells)."""
        window = tuple(window_shape)
        steps = tuple(strides or (1,) * len(window))

        def full_window(ndim: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
            batch_chan = (0, ndim - 1) if spec is None else (spec.index("N"), spec.index("C"))
            dims, step_of = iter(window), iter(steps)
            wins = tuple(1 if i in batch_chan else next(dims) for i in range(ndim))
            stps = tuple(1 if i in batch_chan else next(step_of) for i in range(ndim))
            return wins, stps

        def init_fun(rng: Any, input_shape: Sequence[int]) -> Any:
            wins, stps = full_window(len(input_shape))
            pads = _pairs(input_shape, wins, stps, padding)
            return tuple((n + lo + hi - k) // s + 1 for n, (lo, hi), k, s
                         in zip(input_shape, pads, wins, stps)), ()

        def apply_fun(params: Any, inputs: Any, **kwargs: Any) -> Any:
            wins, stps = full_window(np.ndim(inputs))
            out = lax.reduce_window(inputs, init_val, reducer, wins, stps, padding)
            if not average:
                return out
            # the number of input cells in each window (fewer at a padded edge)
            counts = lax.reduce_window(np.ones(np.shape(inputs)), 0.0, lax.add, wins, stps,
                                       padding)
            return out / counts.astype(np.result_type(inputs))

        return init_fun, apply_fun

    return PoolingLayer


MaxPool = _pooling_layer(lax.max, -np.inf)
SumPool = _pooling_layer(lax.add, 0.0)
AvgPool = _pooling_layer(lax.add, 0.0, average=True)


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
