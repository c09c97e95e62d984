"""``torch.autograd.grad_mode``: the grad-mode context managers under their module path."""

from ...graph import enable_grad, no_grad, set_grad_enabled
from ..functions import inference_mode

__all__ = ["enable_grad", "inference_mode", "no_grad", "set_grad_enabled"]
