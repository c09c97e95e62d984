"""``torch.nn.functional``: chainrule.nn.functional (PyTorch's names and arguments)."""

from chainrule.nn.functional import *  # noqa: F403
