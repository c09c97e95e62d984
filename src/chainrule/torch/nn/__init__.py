"""``torch.nn``: chainrule.nn's layers, losses and containers under PyTorch's names.

The layers are chainrule.nn's own (one implementation); :class:`Module`,
:class:`Parameter` and the containers are the front end's (see
:mod:`chainrule.torch.nn.modules`), so parameters have PyTorch's tensor methods and a
model given a front-end tensor returns one.
"""

from chainrule.nn import *  # noqa: F403 (the layers, one implementation)
from chainrule.nn import __all__ as _layer_names

from . import functional, init, utils
from .modules import (
    Module,
    ModuleDict,
    ModuleList,
    Parameter,
    ParameterDict,
    ParameterList,
    Sequential,
)

__all__ = sorted(set(_layer_names))
