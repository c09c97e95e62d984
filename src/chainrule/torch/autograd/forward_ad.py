"""``torch.autograd.forward_ad``: dual tensors over chainrule's forward mode.

Inside ``with dual_level():`` a tensor made by ``make_dual(x, t)`` carries the tangent t,
and every operation on it pushes the tangent on with its primitive's JVP rule (the
levels of chainrule.forward_mode); ``unpack_dual(y)`` gives ``(primal, tangent)``, the
tangent None where y does not depend on a dual tensor. Leaving the level ends the
tangents made in it, as PyTorch's does. Reverse mode sees the primal as usual: a dual
tensor made from a tensor that requires grad is that tensor's value on the graph.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from ... import forward_mode as _fm
from ... import primitives as P
from ...graph import TensorBase, new_tensor
from ..tensor import front

__all__ = ["UnpackedDualTensor", "dual_level", "enter_dual_level", "exit_dual_level",
           "make_dual", "unpack_dual"]

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])

# The open levels, innermost last: (forward_mode's level id, its context manager).
_open: list[tuple[int, Any]] = []


def enter_dual_level() -> int:
    """Open a new level (PyTorch's index of it, 0 for the outermost)."""
    cm = _fm._forward_level()
    level = cm.__enter__()
    _open.append((level, cm))
    return len(_open) - 1


def exit_dual_level(*, level: int | None = None) -> None:
    """Close the innermost level (``level``, when given, must be it)."""
    if not _open:
        raise RuntimeError("exit_dual_level: no forward AD level is open")
    if level is not None and level != len(_open) - 1:
        raise RuntimeError(f"exit_dual_level: trying to exit level {level}, but the "
                           f"innermost open level is {len(_open) - 1}; levels close in the "
                           f"reverse order of opening")
    _, cm = _open.pop()
    cm.__exit__(None, None, None)


class dual_level:  # noqa: N801  (PyTorch's name)
    """Context manager: a forward AD level for the block (``with fwAD.dual_level():``)."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc: Any) -> None:
        exit_dual_level()


def _level_id(level):
    """forward_mode's id of PyTorch's level index (the innermost for None); None when
    that level is not open."""
    index = len(_open) - 1 if level is None else level
    if not 0 <= index < len(_open):
        return None
    return _open[index][0]


def make_dual(tensor: Any, tangent: Any, *, level: int | None = None) -> Any:
    """``tensor`` carrying ``tangent`` (same shape) at the level (the innermost)."""
    lv = _level_id(level)
    if lv is None:
        raise RuntimeError("make_dual: to make a dual tensor, first enter a forward AD level "
                           "(with torch.autograd.forward_ad.dual_level(): ...)")
    if not isinstance(tensor, TensorBase) or not np.issubdtype(tensor._data.dtype,
                                                               np.floating):
        raise ValueError("make_dual: the primal must be a floating-point tensor, got "
                         f"{getattr(tensor, 'dtype', type(tensor).__name__)}")
    return front(_fm._attach_tangent(tensor, tangent, lv, "make_dual", 0))


def unpack_dual(tensor: Any, *, level: int | None = None) -> UnpackedDualTensor:
    """``(primal, tangent)`` of ``tensor`` at the level (the innermost); the tangent is
    None when it has none there (and when no level is open)."""
    lv = _level_id(level)
    tangents = getattr(tensor, "_tangent", None)
    tan = tangents.get(lv) if (tangents and lv is not None) else None
    if tan is None:
        return UnpackedDualTensor(tensor, None)
    # The primal: the same value on the reverse-mode graph, without this level's tangent.
    primal = front(P.copy(tensor))
    if primal._tangent:
        primal._tangent = {k: v for k, v in primal._tangent.items() if k != lv} or None
    tan = tan if isinstance(tan, TensorBase) else new_tensor(np.asarray(tan))
    return UnpackedDualTensor(primal, front(tan))
