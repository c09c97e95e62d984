"""``torch.xpu``: reports that no Intel GPU is available (chainrule computes on the CPU)."""

from __future__ import annotations

__all__ = ["device_count", "is_available"]


def is_available():
    return False


def device_count():
    return 0
