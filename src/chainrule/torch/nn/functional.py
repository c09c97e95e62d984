"""``torch.nn.functional``: chainrule.nn.functional (PyTorch's names and arguments), plus
the in-place activation forms (``F.relu_(x)``), the ``*_with_indices`` pooling forms and
the deprecated ``upsample_bilinear`` / ``upsample_nearest``."""

import functools

import numpy as np

from chainrule import nn as _nn
from chainrule import primitives as P
from chainrule.nn.functional import *  # noqa: F403
from chainrule.nn.functional import (
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    celu,
    elu,
    fractional_max_pool2d,
    fractional_max_pool3d,
    interpolate,
    leaky_relu,
    max_pool1d,
    max_pool2d,
    max_pool3d,
    relu,
    rrelu,
    selu,
)

from ..products import check_linear as _check_linear
from ..products import linear_error as _linear_error
from ..tensor import floating
from ..types import SCALAR_NAMES
from . import attention as _attention
from .shape_errors import runtime_shape_errors as _runtime_shape_errors

_engine = _nn.functional


def _float_valued(fn):
    """`fn` of an integer tensor in the default float dtype (float32, NumPy's float64)."""
    @functools.wraps(fn)
    def form(input, *args, **kwargs):
        return fn(floating(input), *args, **kwargs)
    return form


def _dtype_kept(fn):
    """`fn` whose result keeps an integer input's dtype (PyTorch's clipping activations
    keep int64; the float bounds would make NumPy's result float64)."""
    @functools.wraps(fn)
    def form(input, *args, **kwargs):
        out, dtype = fn(input, *args, **kwargs), input._data.dtype
        return P.astype(out, dtype=dtype) if dtype.kind in "iu" else out
    return form


def _nan_kept(fn):
    """`fn` with NaN passed through, as PyTorch's shrink functions do (the comparisons
    with lambd are False for NaN, which would give 0)."""
    @functools.wraps(fn)
    def form(input, *args, **kwargs):
        out = fn(input, *args, **kwargs)
        if input._data.dtype.kind != "f":
            return out
        return P.where(P.isnan(input), input, out)
    return form


def _long_target(fn):
    """`fn` whose class-index target must be int64 or uint8, as PyTorch's (an int32 target
    is a bug there, often a dataset's labels; chainrule's loss would take it)."""
    @functools.wraps(fn)
    def form(input, target, *args, **kwargs):
        dtype = getattr(getattr(target, "_data", None), "dtype", None)
        if dtype is not None and dtype.kind in "iu" and dtype not in (np.int64, np.uint8):
            raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                               f"{SCALAR_NAMES.get(dtype, dtype.name)}")
        return fn(input, target, *args, **kwargs)
    return form


def linear(input, weight, bias=None):
    """y = x W^T + b (chainrule.nn.functional.linear), with PyTorch's check: input, weight
    and bias of one dtype (a float64 input meeting float32 weights is refused, as
    PyTorch's matrix product kernels refuse it; the engine would promote)."""
    _check_linear(input, weight, bias)
    try:
        return _engine.linear(input, weight, bias)
    except ValueError as e:  # (PyTorch's RuntimeError and message for shapes that clash)
        raise _linear_error(e, input, weight) from None


cross_entropy = _long_target(_engine.cross_entropy)
nll_loss = _long_target(_engine.nll_loss)
sigmoid = _float_valued(_engine.sigmoid)
tanh = _float_valued(_engine.tanh)
tanhshrink = _float_valued(_engine.tanhshrink)
hardtanh = _dtype_kept(_engine.hardtanh)
relu6 = _dtype_kept(_engine.relu6)
threshold = _threshold = _dtype_kept(_engine.threshold)  # (_threshold: for threshold_)
hardshrink = _nan_kept(_engine.hardshrink)
softshrink = _nan_kept(_engine.softshrink)


# Shape errors as RuntimeError (PyTorch's class) as well as ValueError (the engine's):
# see .shape_errors.
conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d = (
    _runtime_shape_errors(f) for f in (_engine.conv1d, _engine.conv2d, _engine.conv3d,
                                      _engine.conv_transpose1d, _engine.conv_transpose2d,
                                      _engine.conv_transpose3d))
max_pool1d, max_pool2d, max_pool3d, avg_pool1d, avg_pool2d, avg_pool3d = (
    _runtime_shape_errors(f) for f in (max_pool1d, max_pool2d, max_pool3d, _engine.avg_pool1d,
                                      _engine.avg_pool2d, _engine.avg_pool3d))
lp_pool1d, lp_pool2d, lp_pool3d, max_unpool1d, max_unpool2d, fold, unfold = (
    _runtime_shape_errors(f) for f in (_engine.lp_pool1d, _engine.lp_pool2d, _engine.lp_pool3d,
                                      _engine.max_unpool1d, _engine.max_unpool2d,
                                      _engine.fold, _engine.unfold))
(adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d, adaptive_max_pool1d,
 adaptive_max_pool2d, adaptive_max_pool3d, fractional_max_pool2d, fractional_max_pool3d) = (
    _runtime_shape_errors(f) for f in (
        _engine.adaptive_avg_pool1d, _engine.adaptive_avg_pool2d, _engine.adaptive_avg_pool3d,
        adaptive_max_pool1d, adaptive_max_pool2d, _engine.adaptive_max_pool3d,
        fractional_max_pool2d, fractional_max_pool3d))


def _written_into(input, compute, name):
    """``input`` with ``compute(input)`` written into it (PyTorch's in-place forms)."""
    if hasattr(input, "_replace"):  # a front-end tensor
        return input._replace(compute, name)
    input[...] = compute(input)
    return input


def relu_(input):
    return _written_into(input, relu, "relu_")


def elu_(input, alpha=1.0):
    return _written_into(input, lambda t: elu(t, alpha), "elu_")


def celu_(input, alpha=1.0):
    return _written_into(input, lambda t: celu(t, alpha), "celu_")


def selu_(input):
    return _written_into(input, selu, "selu_")


def leaky_relu_(input, negative_slope=0.01):
    return _written_into(input, lambda t: leaky_relu(t, negative_slope), "leaky_relu_")


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return _written_into(input, lambda t: hardtanh(t, min_val, max_val), "hardtanh_")


def threshold_(input, threshold, value):
    return _written_into(input, lambda t: _threshold(t, threshold, value), "threshold_")


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return _written_into(input, lambda t: rrelu(t, lower, upper, training), "rrelu_")


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool2d(input, output_size, True)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=True, _random_samples=None):
    return fractional_max_pool2d(input, kernel_size, output_size, output_ratio, True,
                                 _random_samples)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=True, _random_samples=None):
    return fractional_max_pool3d(input, kernel_size, output_size, output_ratio, True,
                                 _random_samples)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated in PyTorch: interpolate(mode='nearest')."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated in PyTorch: interpolate(mode='bilinear', align_corners=True)."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


@functools.wraps(_engine.scaled_dot_product_attention)
def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False, **kwargs):
    # (refused as PyTorch refuses it on a CPU when sdpa_kernel enabled no runnable kernel)
    _attention.check_runnable(dropout_p)
    return _engine.scaled_dot_product_attention(query, key, value, attn_mask, dropout_p,
                                                is_causal, scale, enable_gqa, **kwargs)
