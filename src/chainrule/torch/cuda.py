"""``torch.cuda``: reports that no GPU is available (chainrule computes on the CPU)."""

from __future__ import annotations

from types import SimpleNamespace

from .amp import GradScaler, autocast
from .amp import custom_bwd as _custom_bwd
from .amp import custom_fwd as _custom_fwd

__all__ = ["amp", "device_count", "empty_cache", "is_available", "is_bf16_supported",
           "manual_seed", "manual_seed_all", "synchronize"]

# torch.cuda.amp: the same autocast and GradScaler as torch.amp (chainrule.torch.amp)
amp = SimpleNamespace(
    autocast=autocast, GradScaler=GradScaler,
    # (the older spelling, for CUDA: @torch.cuda.amp.custom_fwd(cast_inputs=...))
    custom_fwd=lambda fwd=None, *, cast_inputs=None: _custom_fwd(
        fwd, device_type="cuda", cast_inputs=cast_inputs),
    custom_bwd=lambda bwd=None: _custom_bwd(bwd, device_type="cuda"))


def is_available():
    return False


def device_count():
    return 0


def manual_seed(seed):
    """Nothing to seed (no GPU); ``torch.manual_seed`` seeds the CPU generator."""


manual_seed_all = manual_seed


def is_bf16_supported(including_emulation=True):
    return False


def synchronize(device=None):
    """Nothing to wait for (no GPU)."""


def empty_cache():
    """Nothing to free (no GPU memory)."""
