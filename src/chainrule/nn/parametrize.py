"""Parametrizations (PyTorch's ``torch.nn.utils.parametrize``): a module's tensor computed
from others by modules, on every access.

``register_parametrization(module, "weight", p)`` moves the parameter to
``module.parametrizations.weight.original`` and makes ``module.weight`` a property
computing ``p(original)``; further parametrizations of the same tensor chain after it.
A parametrization with ``right_inverse`` sets the original from a value (at registration
from the current weight, and on ``module.weight = value``); a ``right_inverse`` returning
several tensors gives originals ``original0``, ``original1``, ... State-dict names are
PyTorch's (``parametrizations.weight.original``, ``parametrizations.weight.0._u``), so a
parametrized model's checkpoint loads into PyTorch's, and back.
"""

from __future__ import annotations

import contextlib

import numpy as np

from ..graph import TensorBase, no_grad
from ..tensor import Tensor
from .containers import ModuleDict, ModuleList
from .module import Parameter

__all__ = ["ParametrizationList", "cached", "is_parametrized", "register_parametrization",
           "remove_parametrizations", "type_before_parametrizations"]

_cache: dict | None = None  # (id(module), name) -> value, inside `with cached():`


@contextlib.contextmanager
def cached():
    """Within the block, each parametrized tensor is computed once and reused."""
    global _cache
    outer = _cache
    if outer is None:
        _cache = {}
    try:
        yield
    finally:
        if outer is None:
            _cache = None


def _array(value):
    return np.asarray(value._data if isinstance(value, TensorBase) else value)


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor (applied in order) and its original(s)."""

    def __init__(self, modules, original, unsafe=False):
        super().__init__(modules)
        self.unsafe = unsafe
        new = original
        with no_grad():
            for m in reversed(list(self)):
                if hasattr(m, "right_inverse"):
                    try:
                        new = m.right_inverse(new)
                    except NotImplementedError:
                        pass  # (as PyTorch: a right_inverse that cannot is the identity here)
        self.is_tensor = isinstance(new, TensorBase)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if not unsafe and _array(new).dtype != original._data.dtype:
                raise ValueError(f"register_parametrization: right_inverse changed the dtype "
                                 f"from {original._data.dtype} to {_array(new).dtype}")
            original._data = np.array(_array(new), copy=True)  # (the same object kept)
            self._keep("original", original, original)
        else:
            for i, value in enumerate(new):
                if not isinstance(value, TensorBase):
                    raise ValueError(f"register_parametrization: right_inverse returned "
                                     f"a {type(value).__name__} at position {i}; tensors only")
                self._keep(f"original{i}", Parameter(np.array(_array(value), copy=True),
                                                     requires_grad=original.requires_grad)
                           if isinstance(original, Parameter)
                           else Tensor(np.array(_array(value), copy=True)), original)

    def _own(self):
        # The original parameter(s), then the parametrizations "0", "1", ...
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield name, value
        yield from super()._own()

    def _keep(self, name, value, original):
        if isinstance(original, Parameter):
            self.register_parameter(name, value)
        else:
            self.register_buffer(name, value)

    def originals(self):
        if self.is_tensor:
            return (self.original,)
        return tuple(getattr(self, f"original{i}") for i in range(self.ntensors))

    def forward(self):
        modules = list(self)
        x = modules[0](*self.originals())
        for m in modules[1:]:
            x = m(x)
        return x

    def right_inverse(self, value):
        """Set the original(s) so that forward() gives ``value``."""
        with no_grad():
            for m in reversed(list(self)):
                if not hasattr(m, "right_inverse"):
                    raise RuntimeError(f"parametrization {type(m).__name__} has no "
                                       "right_inverse: the parametrized tensor cannot be set")
                value = m.right_inverse(value)
            values = (value,) if self.is_tensor else tuple(value)
            for original, v in zip(self.originals(), values):
                original._data[...] = _array(v)


def _property(name):
    def get(module):
        key = (id(module), name)
        if _cache is not None and key in _cache:
            return _cache[key]
        value = module.parametrizations[name]()
        if _cache is not None:
            _cache[key] = value
        return value

    def set_(module, value):
        module.parametrizations[name].right_inverse(value)

    return property(get, set_)


def is_parametrized(module, tensor_name=None):
    """Whether ``module`` has parametrizations (of ``tensor_name`` when given)."""
    parametrizations = vars(module).get("parametrizations")
    if not isinstance(parametrizations, ModuleDict):
        return False
    return len(parametrizations) > 0 if tensor_name is None else tensor_name in \
        parametrizations


def type_before_parametrizations(module):
    """The module's class before parametrizations replaced it with a subclass."""
    return vars(type(module)).get("_class_before_parametrizations", type(module))


def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    """Make ``module.<tensor_name>`` be ``parametrization(original)`` (see the module doc)."""
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        plist = module.parametrizations[tensor_name]
        if not unsafe:
            current = getattr(module, tensor_name)
            new = parametrization(current)
            if np.shape(_array(new)) != np.shape(_array(current)):
                raise ValueError(f"register_parametrization: the new parametrization changes "
                                 f"the shape of {tensor_name} from {np.shape(_array(current))} "
                                 f"to {np.shape(_array(new))}")
        plist.append(parametrization)
        return module
    original = vars(module).get(tensor_name)
    if not isinstance(original, TensorBase):
        raise ValueError(f"register_parametrization: module '{type(module).__name__}' has no "
                         f"parameter or buffer named '{tensor_name}'")
    persistent = module._buffers.get(tensor_name)
    plist = ParametrizationList([parametrization], original, unsafe=unsafe)
    delattr(module, tensor_name)
    if persistent is not None:
        module._buffers.pop(tensor_name)
    if not is_parametrized(module):
        # A subclass of the module's class per module, holding the properties.
        cls = type(module)
        module.__class__ = type(f"Parametrized{cls.__name__}", (cls,),
                                {"_class_before_parametrizations": cls})
        module.parametrizations = ModuleDict()
    module.parametrizations[tensor_name] = plist
    setattr(type(module), tensor_name, _property(tensor_name))
    module.parametrizations = module.parametrizations  # (a front end adopts new tensors)
    return module


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    """Undo the parametrizations of ``tensor_name``: it becomes a parameter (or buffer)
    again, holding the parametrized value (``leave_parametrized``) or the original."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"remove_parametrizations: module {type(module).__name__} has no "
                         f"parametrization on {tensor_name}")
    plist = module.parametrizations[tensor_name]
    if plist.is_tensor:
        original = plist.original
        if leave_parametrized:
            with no_grad():
                value = getattr(module, tensor_name)
            original._data = np.array(_array(value), copy=True)
    else:
        if not leave_parametrized:
            raise ValueError("remove_parametrizations: leave_parametrized=False needs a "
                             "single original tensor")
        with no_grad():
            value = getattr(module, tensor_name)
        first = plist.original0
        original = (Parameter(np.array(_array(value), copy=True),
                              requires_grad=first.requires_grad)
                    if isinstance(first, Parameter) else Tensor(np.array(_array(value))))
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    if isinstance(original, Parameter):
        module.register_parameter(tensor_name, original)
    else:
        module.register_buffer(tensor_name, original)
    if not is_parametrized(module):
        del module.parametrizations
        module.__class__ = type_before_parametrizations(module)
    return module
