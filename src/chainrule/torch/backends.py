"""``torch.backends``: ``mps.is_available()`` and ``cuda.is_built()`` say False; the
``cudnn`` flags programs set (``deterministic``, ``benchmark``) are accepted and unused."""

from __future__ import annotations

from types import SimpleNamespace

__all__ = ["cuda", "cudnn", "mps"]

mps = SimpleNamespace(is_available=lambda: False, is_built=lambda: False)
cuda = SimpleNamespace(is_built=lambda: False)
cudnn = SimpleNamespace(is_available=lambda: False, enabled=False, deterministic=False,
                        benchmark=False)
