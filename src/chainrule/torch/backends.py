"""``torch.backends``: ``mps.is_available()`` and ``cuda.is_built()`` say False; the
``cudnn`` and ``cuda.matmul`` flags programs set (``deterministic``, ``benchmark``,
``allow_tf32``) are accepted and unused."""

from __future__ import annotations

from types import SimpleNamespace

__all__ = ["cuda", "cudnn", "mps"]

mps = SimpleNamespace(is_available=lambda: False, is_built=lambda: False)
cuda = SimpleNamespace(is_built=lambda: False,
                       matmul=SimpleNamespace(allow_tf32=False,
                                              allow_fp16_reduced_precision_reduction=True,
                                              allow_bf16_reduced_precision_reduction=True))
cudnn = SimpleNamespace(is_available=lambda: False, enabled=False, deterministic=False,
                        benchmark=False, allow_tf32=True)
