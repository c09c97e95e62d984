"""``nn.utils``: parameters as one flat vector, and the gradient clipping of chainrule.optim.

    vec = nn.utils.parameters_to_vector(model.parameters())   # differentiable
    nn.utils.vector_to_parameters(vec, model.parameters())    # copies values back
"""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from ..graph import TensorBase
from ..optim.utils import clip_grad_norm_, clip_grad_value_

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector",
           "vector_to_parameters"]


def _listed(parameters, fn):
    if isinstance(parameters, TensorBase):
        raise TypeError(f"{fn}: expected an iterable of parameters, got one tensor; wrap it "
                        f"in a list")
    return list(parameters)


def parameters_to_vector(parameters):
    """All parameters flattened and concatenated into one 1-d tensor (on the graph)."""
    params = _listed(parameters, "parameters_to_vector")
    if not params:
        raise ValueError("parameters_to_vector: no parameters given")
    return P.concatenate([P.reshape(p, (-1,)) for p in params])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-d ``vec`` into the parameters, in place.

    PyTorch makes each parameter a view of ``vec``; chainrule copies the values (the
    parameters keep their own buffers, so optimizers holding them stay valid).
    """
    params = _listed(parameters, "vector_to_parameters")
    v = np.asarray(vec.data if isinstance(vec, TensorBase) else vec)
    if v.ndim != 1:
        raise TypeError(f"vector_to_parameters: expected a 1-d vector, got shape {v.shape}")
    total = sum(p.data.size for p in params)
    if v.size != total:
        raise ValueError(f"vector_to_parameters: the vector has {v.size} elements, the "
                         f"parameters {total}")
    start = 0
    for p in params:
        n = p.data.size
        p.copy_(v[start:start + n].reshape(p.data.shape))
        start += n
