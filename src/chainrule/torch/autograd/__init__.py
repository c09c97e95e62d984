"""``torch.autograd``: ``grad``, ``backward``, custom ``Function``s, ``gradcheck``, anomaly
detection (chainrule.torch.autograd_core) and ``autograd.functional``."""

import warnings

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
from . import forward_ad, function, functional, grad_mode, graph, profiler


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        from ..tensor import Tensor

        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """The pre-0.4 wrapper, now a tensor: ``Variable(t, requires_grad=True)`` is a new
    leaf sharing t's storage (``t.detach()``) that requires grad, t itself unchanged; and
    every tensor is an instance."""

    def __new__(cls, data, requires_grad=False, volatile=False):
        from ..tensor import Tensor

        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got "
                            f"{type(data).__name__}")
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with "
                          "torch.no_grad():` instead.", UserWarning, stacklevel=2)
        return data.detach().requires_grad_(requires_grad)


__all__ = ["Function", "GradcheckError", "backward", "detect_anomaly", "enable_grad",
           "forward_ad", "function", "functional", "grad", "grad_mode", "graph", "gradcheck",
           "gradgradcheck", "is_grad_enabled", "no_grad",
           "set_detect_anomaly", "set_grad_enabled", "Variable", "profiler"]
