"""``torch.cpu``: the one device chainrule computes on. The instruction-set queries report
what NumPy detected on this machine (its own kernels are chosen by the same flags)."""

from __future__ import annotations

import contextlib
from types import SimpleNamespace

import numpy as np

from .amp import autocast as _autocast

__all__ = ["amp", "current_device", "device_count", "is_available", "is_initialized",
           "set_device", "synchronize"]


def _cpu_autocast(enabled=True, dtype=None, cache_enabled=True):
    return _autocast("cpu", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


# torch.cpu.amp.autocast(...): torch.autocast("cpu", ...)
amp = SimpleNamespace(autocast=_cpu_autocast)


def is_available():
    return True


def is_initialized():
    return True


def device_count():
    return 1


def current_device():
    return "cpu"


def set_device(device):
    """Nothing to choose: there is one CPU device."""


def synchronize(device=None):
    """Nothing to wait for: every operation has finished when it returns."""


def stream(stream=None):
    return contextlib.nullcontext()


def _has(feature):
    features = getattr(np._core._multiarray_umath, "__cpu_features__", {})
    return bool(features.get(feature, False))


def _is_avx2_supported():
    return _has("AVX2")


def _is_avx512_supported():
    return _has("AVX512F")


def _is_avx512_bf16_supported():
    return _has("AVX512_BF16")


def _is_vnni_supported():
    return _has("AVX512_VNNI")


def _is_amx_tile_supported():
    return False


def _is_amx_fp16_supported():
    return False
