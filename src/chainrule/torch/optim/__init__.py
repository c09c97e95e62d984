"""``torch.optim``: chainrule.optim's optimizers, ``torch.optim.lr_scheduler`` and
``torch.optim.swa_utils``."""

from chainrule.optim import *  # noqa: F403
from chainrule.optim import (
    __all__,
    swa_utils,  # noqa: F401  (torch.optim.swa_utils)
)

from . import lr_scheduler
