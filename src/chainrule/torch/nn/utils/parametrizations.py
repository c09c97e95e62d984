"""``torch.nn.utils.parametrizations``: chainrule.nn.parametrizations (weight_norm,
spectral_norm; ``orthogonal`` is not provided)."""

from chainrule.nn.parametrizations import *  # noqa: F403
from chainrule.nn.parametrizations import __all__  # noqa: F401
