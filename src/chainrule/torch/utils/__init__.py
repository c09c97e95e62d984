"""``torch.utils``: ``torch.utils.data`` (datasets and loaders over chainrule.data),
``torch.utils.checkpoint`` (cr.checkpoint) and ``torch.utils.benchmark`` (timing)."""

from . import benchmark, checkpoint, data

__all__ = ["benchmark", "checkpoint", "data"]
