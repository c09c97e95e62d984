"""``torch._C``: PyTorch's compiled core is not here; the names programs reach into it for
are: ``_LinAlgError`` (what ``torch.linalg.LinAlgError`` is, which solvers catch)."""

from .linalg import LinAlgError as _LinAlgError

__all__ = ["_LinAlgError"]
