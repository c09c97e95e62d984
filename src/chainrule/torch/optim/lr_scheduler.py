"""``torch.optim.lr_scheduler``: chainrule.optim.lr_scheduler's schedules."""

from chainrule.optim.lr_scheduler import *  # noqa: F403
from chainrule.optim.lr_scheduler import LRScheduler

# PyTorch's former name of the base class, which many hand-written schedules subclass.
_LRScheduler = LRScheduler
