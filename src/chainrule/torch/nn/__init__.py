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
    Buffer,
    Module,
    ModuleDict,
    ModuleList,
    Parameter,
    ParameterDict,
    ParameterList,
    Sequential,
)

__all__ = sorted(set(_layer_names))


# PyTorch's own names whose front-end classes are written out in .modules.
_WRITTEN = {"Buffer", "Module", "ModuleDict", "ModuleList", "Parameter", "ParameterDict",
            "ParameterList", "Sequential"}


def _front_end_layer(layer):
    """chainrule.nn's ``layer`` class as a front-end module: the same class (one
    implementation; isinstance of the chainrule class holds) whose parameters and buffers
    are front-end tensors from construction, so ``nn.Linear(3, 2).weight.numel()`` and
    ``.data.add_(...)`` work on a layer made on its own, outside any model."""
    return type(layer.__name__, (Module, layer),
                {"__doc__": layer.__doc__, "__module__": __name__,
                 "__qualname__": layer.__name__})


def _front_end_layers():
    from chainrule import nn as _nn

    made = {}
    for name in _layer_names:
        layer = getattr(_nn, name)
        if isinstance(layer, type) and issubclass(layer, _nn.Module) and name not in _WRITTEN:
            made[name] = _front_end_layer(layer)
    for cls in made.values():  # (a lazy layer becomes the front end's own class)
        if "_becomes" in vars(cls) or any("_becomes" in vars(b) for b in cls.__mro__[2:]):
            target = cls._becomes
            if target.__name__ in made:
                cls._becomes = made[target.__name__]
    return made


globals().update(_front_end_layers())

# The front end's own submodules (PyTorch's return types: clip_grad_norm_ gives a
# tensor). `from . import utils` would find the star import's chainrule.nn.utils bound
# here already and never import them.
functional = _import_module(".functional", __name__)
init = _import_module(".init", __name__)
parallel = _import_module(".parallel", __name__)
DataParallel = parallel.DataParallel
utils = _import_module(".utils", __name__)
