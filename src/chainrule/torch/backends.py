"""``torch.backends``: ``mps.is_available()`` and ``cuda.is_built()`` say False; the
``cudnn`` and ``cuda.matmul`` flags programs set (``deterministic``, ``benchmark``,
``allow_tf32``) are accepted and unused. ``cuda``'s attention-kernel switches
(``enable_math_sdp``, ``flash_sdp_enabled``, ``sdp_kernel``, ...) are
``torch.nn.attention.sdpa_kernel``'s selection, as in PyTorch."""

from __future__ import annotations

import sys
from types import ModuleType, SimpleNamespace

from .nn import attention as _attention

__all__ = ["cuda", "cudnn", "mps"]


def _submodule(name, **attributes):
    # A module registered under its full name, so `import torch.backends.cudnn as cudnn`
    # (chainrule.torch.backends.cudnn) finds it.
    module = ModuleType(f"{__name__}.{name}")
    module.__dict__.update(attributes)
    sys.modules[module.__name__] = module
    return module


mps = _submodule("mps", is_available=lambda: False, is_built=lambda: False)
def _switches(backend):
    return (lambda on: _attention.set_enabled(backend, bool(on)),
            lambda: _attention.enabled(backend))


_B = _attention.SDPBackend
enable_math_sdp, math_sdp_enabled = _switches(_B.MATH)
enable_flash_sdp, flash_sdp_enabled = _switches(_B.FLASH_ATTENTION)
enable_mem_efficient_sdp, mem_efficient_sdp_enabled = _switches(_B.EFFICIENT_ATTENTION)
enable_cudnn_sdp, cudnn_sdp_enabled = _switches(_B.CUDNN_ATTENTION)


def sdp_kernel(enable_flash=True, enable_math=True, enable_mem_efficient=True,
               enable_cudnn=True):
    """The deprecated form of ``torch.nn.attention.sdpa_kernel``, by flags."""
    chosen = [b for b, on in ((_B.FLASH_ATTENTION, enable_flash), (_B.MATH, enable_math),
                              (_B.EFFICIENT_ATTENTION, enable_mem_efficient),
                              (_B.CUDNN_ATTENTION, enable_cudnn)) if on]
    return _attention.sdpa_kernel(chosen)


cuda = _submodule("cuda", is_built=lambda: False,
                  enable_math_sdp=enable_math_sdp, math_sdp_enabled=math_sdp_enabled,
                  enable_flash_sdp=enable_flash_sdp, flash_sdp_enabled=flash_sdp_enabled,
                  enable_mem_efficient_sdp=enable_mem_efficient_sdp,
                  mem_efficient_sdp_enabled=mem_efficient_sdp_enabled,
                  enable_cudnn_sdp=enable_cudnn_sdp, cudnn_sdp_enabled=cudnn_sdp_enabled,
                  sdp_kernel=sdp_kernel,
                  matmul=SimpleNamespace(allow_tf32=False,
                                         allow_fp16_reduced_precision_reduction=True,
                                         allow_bf16_reduced_precision_reduction=True))
cudnn = _submodule("cudnn", is_available=lambda: False, enabled=False, deterministic=False,
                   benchmark=False, allow_tf32=True)
