"""``torch.nn.attention``: PyTorch's choice of kernels for
``F.scaled_dot_product_attention`` (``SDPBackend``, ``sdpa_kernel``) and, in
``flex_attention``, attention with a score function and a mask function.

chainrule has one attention kernel, the math one. ``sdpa_kernel`` keeps PyTorch's rule
for which selections can run on a CPU, so a program behaves as it does there: the math
backend runs everything, the flash backend everything but dropout, the others (CUDA-only)
nothing; with no runnable backend enabled the call raises PyTorch's error.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterator

__all__ = ["SDPBackend", "WARN_FOR_UNFUSED_KERNELS", "sdpa_kernel"]

WARN_FOR_UNFUSED_KERNELS = False


class SDPBackend(enum.IntEnum):
    """The attention kernels PyTorch can choose from (its values)."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


_ALL = frozenset(b for b in SDPBackend if b is not SDPBackend.ERROR)
_enabled: set[SDPBackend] = set(_ALL)


@contextlib.contextmanager
def sdpa_kernel(backends: list[SDPBackend] | SDPBackend,
                set_priority: bool = False) -> Iterator[dict]:
    """Within the block, only ``backends`` may run scaled dot-product attention; the
    previous selection comes back on exit. (``set_priority`` orders kernels PyTorch
    chooses between; with one kernel it changes nothing.)"""
    if not isinstance(backends, (list, SDPBackend)):
        raise AssertionError(
            f"Backend must be an instance of SDPBackend or a list of SDPBackend instances, "
            f"got {type(backends).__name__}"
        )
    chosen = [backends] if isinstance(backends, SDPBackend) else list(backends)
    for b in chosen:
        if not isinstance(b, SDPBackend):
            raise TypeError(f"sdpa_kernel: {b!r} is not an SDPBackend")
    previous = set(_enabled)
    _enabled.clear()
    _enabled.update(chosen)
    try:
        yield {}
    finally:
        _enabled.clear()
        _enabled.update(previous)


def enabled(backend: SDPBackend) -> bool:
    return backend in _enabled


def set_enabled(backend: SDPBackend, on: bool) -> None:
    (_enabled.add if on else _enabled.discard)(backend)


def check_runnable(dropout_p: float) -> None:
    """Raise PyTorch's error when the selected backends cannot run this call on a CPU."""
    if SDPBackend.MATH in _enabled:
        return
    if SDPBackend.FLASH_ATTENTION in _enabled:
        if dropout_p > 0:
            raise RuntimeError("No available kernel.  Aborting execution. (the flash "
                               "attention kernel, the only one enabled by sdpa_kernel, does "
                               "not take dropout; enable SDPBackend.MATH)")
        return
    raise RuntimeError(
        "No viable backend for scaled_dot_product_attention was found. This is likely due "
        "to turning off both the math kernel and the fused kernels. (On a CPU only "
        "SDPBackend.MATH and SDPBackend.FLASH_ATTENTION run.)"
    )
