"""``torch.nn.utils``: gradient clipping, parameters as one vector, weight and spectral
normalization (chainrule.nn.utils), and ``rnn``."""

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

from . import rnn

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector",
           "remove_spectral_norm", "remove_weight_norm", "rnn", "spectral_norm",
           "vector_to_parameters", "weight_norm"]


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
