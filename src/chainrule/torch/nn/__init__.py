"""``torch.nn``: chainrule.nn's layers, losses and containers under PyTorch's names.

The layers are chainrule.nn's own (one implementation); :class:`Module`,
:class:`Parameter` and the containers are the front end's (see
:mod:`chainrule.torch.nn.modules`), so parameters have PyTorch's tensor methods and a
model given a front-end tensor returns one.
"""

from importlib import import_module as _import_module

from chainrule.nn import *  # noqa: F403 (the layers, one implementation)
from chainrule.nn import __all__ as _layer_names

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

# The front end's own submodules (PyTorch's return types: clip_grad_norm_ gives a
# tensor). `from . import utils` would find the star import's chainrule.nn.utils bound
# here already and never import them.
functional = _import_module(".functional", __name__)
init = _import_module(".init", __name__)
utils = _import_module(".utils", __name__)
