"""``torch.nn.utils.parametrize``: chainrule.nn.parametrize."""

from chainrule.nn.parametrize import *  # noqa: F403
from chainrule.nn.parametrize import __all__  # noqa: F401
