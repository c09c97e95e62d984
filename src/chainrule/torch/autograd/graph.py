"""``torch.autograd.graph``: the context managers programs wrap around training steps.

chainrule keeps every value its rules need as the NumPy array the forward made, on the
CPU, and has no hooks on how those values are saved: ``save_on_cpu`` (moving saved
values to the CPU, where they already are) and ``disable_saved_tensors_hooks`` (there
are none to disable) change nothing, which is what they do on a CPU-only PyTorch with no
such hooks. ``saved_tensors_hooks`` with a program's own pack and unpack functions would
change what backward sees (a compressed or counted copy), so it is refused rather than
silently not applied.
"""

from __future__ import annotations

import contextlib
from typing import Any

__all__ = ["disable_saved_tensors_hooks", "save_on_cpu", "saved_tensors_hooks"]


class saved_tensors_hooks:  # noqa: N801  (PyTorch's name)
    """Refused: chainrule's backward reads the arrays its forward kept, with no hook."""

    def __init__(self, pack_hook: Any, unpack_hook: Any) -> None:
        raise NotImplementedError(
            "torch.autograd.graph.saved_tensors_hooks: chainrule keeps the values backward "
            "needs as the arrays the forward made and calls no pack/unpack hooks; to trade "
            "memory for time use torch.utils.checkpoint, which chainrule supports")


class save_on_cpu(contextlib.nullcontext):  # noqa: N801
    """Saved values stay where they are: chainrule's are on the CPU already."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        super().__init__()


class disable_saved_tensors_hooks(contextlib.nullcontext):  # noqa: N801
    """Nothing to disable: chainrule has no saved-tensor hooks."""

    def __init__(self, error_message: str = "") -> None:
        super().__init__()
