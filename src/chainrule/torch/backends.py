"""``torch.backends``: ``mps.is_available()`` and ``cuda.is_built()`` say False; the
``cudnn`` and ``cuda.matmul`` flags programs set (``deterministic``, ``benchmark``,
``allow_tf32``) are accepted and unused."""

from __future__ import annotations

import sys
from types import ModuleType, SimpleNamespace

__all__ = ["cuda", "cudnn", "mps"]


def _submodule(name, **attributes):
    # A module registered under its full name, so `import torch.backends.cudnn as cudnn`
    # (chainrule.torch.backends.cudnn) finds it.
    module = ModuleType(f"{__name__}.{name}")
    module.__dict__.update(attributes)
    sys.modules[module.__name__] = module
    return module


mps = _submodule("mps", is_available=lambda: False, is_built=lambda: False)
cuda = _submodule("cuda", is_built=lambda: False,
                  matmul=SimpleNamespace(allow_tf32=False,
                                         allow_fp16_reduced_precision_reduction=True,
                                         allow_bf16_reduced_precision_reduction=True))
cudnn = _submodule("cudnn", is_available=lambda: False, enabled=False, deterministic=False,
                   benchmark=False, allow_tf32=True)
