"""``torch.accelerator``: reports that there is none (chainrule computes on the CPU).

Programs written for PyTorch 2.6 and later ask it which device to use
(``torch.accelerator.is_available()``, ``current_accelerator()``) and fall back to the
CPU when it says no; the calls that need a device raise PyTorch's error.
"""

from __future__ import annotations

__all__ = ["current_accelerator", "current_device_index", "device_count", "is_available",
           "set_device_index", "synchronize"]

_NONE = "Cannot access accelerator device when none is available."


def is_available():
    return False


def device_count():
    return 0


def current_accelerator(check_available=False):
    """None: there is no accelerator."""
    return None


def current_device_index():
    raise RuntimeError(_NONE)


def set_device_index(device):
    raise RuntimeError(_NONE)


def synchronize(device=None):
    raise RuntimeError(_NONE)
