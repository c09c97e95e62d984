"""``torch.nn``: chainrule.nn's layers, losses and containers under PyTorch's names.

The layers are chainrule.nn's own (one implementation); :class:`Module`,
:class:`Parameter` and the containers are the front end's (see
:mod:`chainrule.torch.nn.modules`), so parameters have PyTorch's tensor methods and a
model given a front-end tensor returns one.
"""

import inspect as _inspect
from importlib import import_module as _import_module

from chainrule.graph import TensorBase as _TensorBase
from chainrule.nn import *  # noqa: F403 (the layers, one implementation)
from chainrule.nn import Linear as _EngineLinear
from chainrule.nn import RNNBase as _EngineRNNBase
from chainrule.nn import __all__ as _layer_names

from .. import types as _T
from ..products import check_linear as _check_linear
from ..products import linear_error as _linear_error
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
from .shape_errors import SHAPE_CHECKED_LAYERS as _SHAPE_CHECKED_LAYERS
from .shape_errors import runtime_shape_errors as _runtime_shape_errors

__all__ = sorted(set(_layer_names))


# PyTorch's own names whose front-end classes are written out in .modules.
_WRITTEN = {"Buffer", "Module", "ModuleDict", "ModuleList", "Parameter", "ParameterDict",
            "ParameterList", "Sequential"}


def _pytorch_arguments(layer):
    """An __init__ taking PyTorch's arguments for chainrule.nn's ``layer``: ``device``
    (the CPU only) where PyTorch has it, before ``dtype``, positionally too; ``dtype``
    None or left out is the default dtype (``torch.set_default_dtype``), as PyTorch's
    layers take it. None when the layer takes no dtype."""
    names = list(_inspect.signature(layer.__init__).parameters)[1:]
    if "dtype" not in names:
        return None
    at = names.index("dtype")
    takes_device = "device" in names

    def __init__(self, *args, **kwargs):
        args = list(args)
        if not takes_device:
            if len(args) > at:  # PyTorch's positional order: ..., device, dtype
                _T.check_device(args.pop(at), layer.__name__)
            _T.check_device(kwargs.pop("device", None), layer.__name__)
        if len(args) <= at and kwargs.get("dtype") is None:
            kwargs["dtype"] = _T.get_default_dtype()
        elif len(args) > at and args[at] is None:
            args[at] = _T.get_default_dtype()
        if "dtype" in kwargs:
            kwargs["dtype"] = _T.dtype_of(kwargs["dtype"])
        layer.__init__(self, *args, **kwargs)

    __init__.__doc__ = layer.__init__.__doc__
    return __init__


def _flat_weights_names(self):
    """PyTorch's ``_flat_weights_names``: the parameter names layer by layer, each layer's
    forward direction and then its ``_reverse`` one, in the order weight_ih, weight_hh,
    bias_ih, bias_hh (with bias), weight_hr (with proj_size)."""
    names = []
    for layer in range(self.num_layers):
        for suffix in ("", "_reverse")[: 2 if self.bidirectional else 1]:
            kinds = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if self.bias else [])
            kinds += ["weight_hr"] if self.proj_size else []
            names += [f"{kind}_l{layer}{suffix}" for kind in kinds]
    return names


def _flat_weights(self):
    """PyTorch's ``_flat_weights``: the parameters named by ``_flat_weights_names``, read
    when asked, so a parameter assigned or loaded since is the one listed."""
    return [getattr(self, name, None) for name in self._flat_weights_names]


def _front_end_layer(layer):
    """chainrule.nn's ``layer`` class as a front-end module: the same class (one
    implementation; isinstance of the chainrule class holds) whose parameters and buffers
    are front-end tensors from construction, so ``nn.Linear(3, 2).weight.numel()`` and
    ``.data.add_(...)`` work on a layer made on its own, outside any model; it takes
    PyTorch's ``device`` and ``dtype`` arguments (see _pytorch_arguments)."""
    namespace = {"__doc__": layer.__doc__, "__module__": __name__,
                 "__qualname__": layer.__name__}
    if "_version" in dir(layer):  # (the state-dict format's version: BatchNorm's 2)
        namespace["_version"] = layer._version
    init = _pytorch_arguments(layer)
    if init is not None:
        namespace["__init__"] = init
    if issubclass(layer, _EngineLinear):
        def forward(self, input):  # (PyTorch's F.linear check of the dtypes, then the layer)
            weight = getattr(self, "weight", None)
            if isinstance(weight, _TensorBase) and weight._data.size:  # (LazyLinear: once made)
                _check_linear(input, weight, self.bias)
            try:
                return layer.forward(self, input)
            except ValueError as e:  # (PyTorch's RuntimeError, "mat1 and mat2 shapes ...")
                raise _linear_error(e, input, self.weight) from None

        namespace["forward"] = forward
    if _SHAPE_CHECKED_LAYERS.fullmatch(layer.__name__):  # (RuntimeError as PyTorch's)
        namespace["forward"] = _runtime_shape_errors(layer.forward)
    if issubclass(layer, _EngineRNNBase):
        namespace["_flat_weights_names"] = property(_flat_weights_names)
        namespace["_flat_weights"] = property(_flat_weights)
    if "generate_square_subsequent_mask" in vars(layer):  # (Transformer's; a front-end one)
        def mask(sz, device=None, dtype=None):
            from ..tensor import front

            _T.check_device(device, "generate_square_subsequent_mask")
            return front(layer.generate_square_subsequent_mask(
                sz, None, _T.dtype_of(dtype) if dtype is not None else _T.get_default_dtype()))

        namespace["generate_square_subsequent_mask"] = staticmethod(mask)
    return type(layer.__name__, (Module, layer), namespace)


def _front_end_layers():
    from chainrule import nn as _nn

    made = {}
    for name in _layer_names:
        layer = getattr(_nn, name)
        if isinstance(layer, type) and issubclass(layer, _nn.Module) and name not in _WRITTEN:
            made[name] = _front_end_layer(layer)
    for cls in made.values():  # (a lazy layer becomes the front end's own class)
        if hasattr(cls, "_becomes") and cls._becomes.__name__ in made:
            cls._becomes = made[cls._becomes.__name__]
    from .modules import FRONT_END_CLASSES

    FRONT_END_CLASSES.update({getattr(_nn, name): cls for name, cls in made.items()})
    return made


globals().update(_front_end_layers())

# torch.nn.modules.<file> paths (torch.nn.modules.rnn.LSTM, ...loss._Loss).
_import_module(".layout", __name__).register(globals(), _import_module(".modules", __name__))

# The front end's own submodules (PyTorch's return types: clip_grad_norm_ gives a
# tensor). `from . import utils` would find the star import's chainrule.nn.utils bound
# here already and never import them.
functional = _import_module(".functional", __name__)
init = _import_module(".init", __name__)
parallel = _import_module(".parallel", __name__)
DataParallel = parallel.DataParallel
utils = _import_module(".utils", __name__)
