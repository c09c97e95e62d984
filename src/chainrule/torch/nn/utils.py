"""``torch.nn.utils``: gradient clipping and parameters as one vector (chainrule.nn.utils)."""

from chainrule.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    parameters_to_vector,
    vector_to_parameters,
)

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector",
           "vector_to_parameters"]
