"""``torch.functional``: the functions PyTorch defines in that file, which are
``torch.*``'s own (``import torch.functional as F`` then ``F.einsum``, ``F.split``, ...);
those chainrule.torch has."""

from __future__ import annotations

import chainrule.torch as _torch

_NAMES = ("atleast_1d atleast_2d atleast_3d broadcast_shapes broadcast_tensors "
          "cartesian_prod block_diag cdist chain_matmul einsum lu norm meshgrid split "
          "tensordot unique unique_consecutive unravel_index").split()

__all__ = [name for name in _NAMES if hasattr(_torch, name)]
globals().update({name: getattr(_torch, name) for name in __all__})
