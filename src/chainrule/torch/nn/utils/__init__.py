"""``torch.nn.utils``: gradient clipping, parameters as one vector, weight and spectral
normalization (chainrule.nn.utils), ``rnn`` and ``prune``."""

import warnings

import numpy as np

from chainrule.graph import TensorBase
from chainrule.nn.utils import clip_grad_norm_ as _clip_grad_norm
from chainrule.nn.utils import (
    clip_grad_value_,
    parameters_to_vector,
    remove_spectral_norm,
    remove_weight_norm,
    spectral_norm,
    vector_to_parameters,
    weight_norm,
)

from . import parametrizations, parametrize, prune, rnn

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_",
           "fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
           "fuse_linear_bn_weights", "get_total_norm", "parameters_to_vector",
           "parametrizations", "parametrize", "prune",
           "remove_spectral_norm", "remove_weight_norm", "rnn", "skip_init",
           "spectral_norm", "vector_to_parameters", "weight_norm"]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """PyTorch's ``clip_grad_norm_``: as chainrule.nn.utils.clip_grad_norm_, but the norm
    before clipping comes back as a 0-d tensor of the gradients' dtype (``.item()``).
    ``foreach`` (a CUDA kernel choice) changes nothing here."""
    from ... import tensor  # (chainrule.torch's tensor; imported late: it imports nn)

    params = [parameters] if isinstance(parameters, TensorBase) else list(parameters)
    total = _clip_grad_norm(params, max_norm, norm_type, error_if_nonfinite)
    grads = [p.grad for p in params if p.grad is not None]
    dtype = grads[0]._data.dtype if grads else np.float32
    return tensor(np.asarray(total, dtype=dtype))


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                   foreach=None):
    """The deprecated name of clip_grad_norm_ (PyTorch warns)."""
    warnings.warn("torch.nn.utils.clip_grad_norm is now deprecated in favor of "
                  "torch.nn.utils.clip_grad_norm_", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def _tensors(tensors):
    return [tensors] if isinstance(tensors, TensorBase) else list(tensors)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The norm of the tensors taken as one vector (the norm of their norms), a 0-d
    tensor; ``inf`` gives the largest absolute value."""
    from ... import tensor

    arrays = [np.asarray(t._data if isinstance(t, TensorBase) else t) for t in
              _tensors(tensors)]
    if not arrays:
        return tensor(0.0)
    p = float(norm_type)
    norms = [np.linalg.norm(a.ravel(), p) for a in arrays]
    total = np.linalg.norm(np.asarray(norms, np.float64), p)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {p} for gradients from `parameters` is "
                           "non-finite, so it cannot be clipped. To disable this error and "
                           "scale the gradients by the non-finite norm anyway, set "
                           "`error_if_nonfinite=False`")
    return tensor(np.asarray(total, dtype=arrays[0].dtype))


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients by max_norm / (total_norm + 1e-6) when that is below 1 (the
    second half of clip_grad_norm_, given the norm get_total_norm computed)."""
    total = float(total_norm._data if isinstance(total_norm, TensorBase) else total_norm)
    coef = min(float(max_norm) / (total + 1e-6), 1.0)
    for p in _tensors(parameters):
        if p.grad is not None:
            p.grad._data *= np.asarray(coef, p.grad._data.dtype)


def skip_init(module_cls, *args, **kwargs):
    """The module, built (PyTorch leaves its parameters uninitialized; here they hold the
    usual initialization, which the caller overwrites)."""
    kwargs.pop("device", None)
    return module_cls(*args, **kwargs)


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, transpose=False):
    """The weight and bias of one convolution doing conv then eval-mode batch norm."""
    from ... import nn, tensor

    def arr(t):
        return None if t is None else np.asarray(t._data if isinstance(t, TensorBase) else t)

    w, rm, rv = arr(conv_w), arr(bn_rm), arr(bn_rv)
    b = np.zeros_like(rm) if conv_b is None else arr(conv_b)
    gamma = np.ones_like(rm) if bn_w is None else arr(bn_w)
    beta = np.zeros_like(rm) if bn_b is None else arr(bn_b)
    scale = gamma / np.sqrt(rv + bn_eps)
    shape = [1] * w.ndim
    shape[1 if transpose else 0] = -1
    new_w = (w * scale.reshape(shape)).astype(w.dtype)
    new_b = ((b - rm) * scale + beta).astype(w.dtype)
    return nn.Parameter(tensor(new_w), conv_w.requires_grad), nn.Parameter(
        tensor(new_b), conv_w.requires_grad)


def fuse_conv_bn_eval(conv, bn, transpose=False):
    """A copy of ``conv`` (eval mode) computing conv then ``bn`` with running statistics."""
    import copy

    if conv.training or bn.training:
        raise RuntimeError("fuse_conv_bn_eval: only for modules in eval mode (call .eval())")
    fused = copy.deepcopy(conv)
    fused.weight, fused.bias = fuse_conv_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight,
        bn.bias, transpose)
    return fused


def fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    """The weight and bias of one linear layer doing linear then eval-mode batch norm."""
    return fuse_conv_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b)


def fuse_linear_bn_eval(linear, bn):
    """A copy of ``linear`` (eval mode) computing linear then ``bn``."""
    return fuse_conv_bn_eval(linear, bn)
