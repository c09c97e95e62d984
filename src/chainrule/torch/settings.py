"""Process settings PyTorch programs make in their first lines: ``torch.compile``,
``set_float32_matmul_precision``, ``use_deterministic_algorithms``, ``set_printoptions``,
the default device. Each is accepted, checked like PyTorch's, and reports back what was
set; none changes chainrule's numbers (its CPU computations are deterministic and in the
tensors' own precision).
"""

from __future__ import annotations

from .printing import set_printoptions
from .types import device as _device

__all__ = ["are_deterministic_algorithms_enabled", "compile", "get_default_device",
           "get_float32_matmul_precision", "set_default_device",
           "set_float32_matmul_precision", "set_printoptions", "use_deterministic_algorithms"]

_state = {"matmul_precision": "highest", "deterministic": False}


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None,  # noqa: A001
            options=None, disable=False):
    """``torch.compile``: returns the module or function itself, run eagerly as before
    (the same results; chainrule.compile captures whole training steps instead: see
    docs/api.md, "compile"). Also a decorator, with or without arguments."""
    if model is None:
        return lambda fn: fn
    return model


def set_float32_matmul_precision(precision):
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"set_float32_matmul_precision: precision must be 'highest', "
                           f"'high' or 'medium', got {precision!r}")
    _state["matmul_precision"] = precision


def get_float32_matmul_precision():
    return _state["matmul_precision"]


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Recorded; chainrule's computations are deterministic either way."""
    _state["deterministic"] = bool(mode)


def are_deterministic_algorithms_enabled():
    return _state["deterministic"]


def get_default_device():
    return _state.get("device") or _device("cpu")


def set_default_device(device):
    """The CPU, or 'meta' (model skeletons built under ``with torch.device("meta"):``,
    whose tensors have values here, as on the CPU); any other device is refused."""
    if device is not None and _device(device).type not in ("cpu", "meta"):
        raise RuntimeError(f"set_default_device: chainrule computes on the CPU, not on "
                           f"{device!r}")
    _state["device"] = None if device is None else _device(device)
