"""``torch.optim``: chainrule.optim's optimizers, and ``torch.optim.lr_scheduler``."""

from chainrule.optim import *  # noqa: F403
from chainrule.optim import __all__

from . import lr_scheduler
