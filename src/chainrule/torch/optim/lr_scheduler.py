"""``torch.optim.lr_scheduler``: chainrule.optim.lr_scheduler's schedules."""

from chainrule.optim.lr_scheduler import *  # noqa: F403
