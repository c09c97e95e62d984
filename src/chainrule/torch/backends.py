"""``torch.backends``: ``mps.is_available()`` and ``cuda.is_built()`` say False."""

from __future__ import annotations

from types import SimpleNamespace

__all__ = ["cuda", "mps"]

mps = SimpleNamespace(is_available=lambda: False, is_built=lambda: False)
cuda = SimpleNamespace(is_built=lambda: False)
