"""``torch.utils``: ``torch.utils.data`` (datasets and loaders over chainrule.data)."""

from . import data

__all__ = ["data"]
