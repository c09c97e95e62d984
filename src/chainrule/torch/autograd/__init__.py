"""``torch.autograd``: ``grad``, ``backward``, custom ``Function``s, ``gradcheck``, anomaly
detection (chainrule.torch.autograd_core) and ``autograd.functional``."""

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
from . import functional

__all__ = ["Function", "GradcheckError", "backward", "detect_anomaly", "functional", "grad",
           "gradcheck", "gradgradcheck", "set_detect_anomaly"]
