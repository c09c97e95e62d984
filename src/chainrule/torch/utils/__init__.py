"""``torch.utils``: ``torch.utils.data`` (datasets and loaders over chainrule.data) and
``torch.utils.checkpoint`` (cr.checkpoint)."""

from . import checkpoint, data

__all__ = ["checkpoint", "data"]
