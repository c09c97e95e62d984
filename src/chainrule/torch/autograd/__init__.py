"""``torch.autograd``: ``grad``, ``backward``, custom ``Function``s, ``gradcheck``, anomaly
detection (chainrule.torch.autograd_core) and ``autograd.functional``."""

from ...graph import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from ..autograd_core import (
    Function,
    GradcheckError,
    backward,
    detect_anomaly,
    grad,
    gradcheck,
    gradgradcheck,
    set_detect_anomaly,
)
from . import functional, profiler


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        from ..tensor import Tensor

        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """The pre-0.4 wrapper, now a tensor: ``Variable(t, requires_grad=True)`` is ``t``
    requiring grad (a leaf; a tensor made by an operation is detached first), and every
    tensor is an instance."""

    def __new__(cls, data, requires_grad=False, volatile=False):
        from ..creation import as_tensor

        t = data if getattr(data, "is_leaf", False) else as_tensor(data).detach()
        return t.requires_grad_(True) if requires_grad else t

__all__ = ["Function", "GradcheckError", "backward", "detect_anomaly", "enable_grad",
           "functional", "grad", "gradcheck", "gradgradcheck", "is_grad_enabled", "no_grad",
           "set_detect_anomaly", "set_grad_enabled", "Variable", "profiler"]
