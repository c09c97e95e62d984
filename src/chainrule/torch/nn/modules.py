"""``torch.nn.Module`` and ``torch.nn.Parameter``: chainrule.nn's, with front-end tensors.

chainrule.nn's layers make ``chainrule.nn.Parameter`` objects (NumPy's methods). A
front-end :class:`Module` *adopts* the parameters and buffers of everything assigned
to it, and those its ``named_parameters()`` yields: each object is re-classed in place
as a front-end :class:`Parameter` (or Tensor): the same object, array, gradient and
identity (optimizers and tied weights are unaffected), only with PyTorch's methods
(``p.numel()``, ``p.size()``, ``p.dim()``). The containers (Sequential, ModuleList,
...) are front-end modules too, so ``nn.Sequential(nn.Linear(2, 3))`` adopts its layers.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import MutableMapping

import numpy as np

from ... import nn as _nn
from ... import primitives as P
from ...graph import TensorBase, new_tensor
from .. import types as T
from ..creation import _array
from ..tensor import Tensor, _CrTensor, front, like
from . import state_dicts

__all__ = ["Buffer", "Module", "ModuleDict", "ModuleList", "Parameter", "ParameterDict",
           "ParameterList", "Sequential", "adopt"]


class Parameter(Tensor, _nn.Parameter):
    """A front-end tensor a Module trains (``requires_grad=True`` unless told otherwise).

    Operations on it return front-end tensors (not Parameters). The dtype of ``data``
    is kept; Python floats give the default dtype (float32). Made from a tensor, it
    shares that tensor's storage, as in PyTorch.
    """

    __slots__ = ()
    _result_class = Tensor

    def __init__(self, data=None, requires_grad=True):
        arr = _array([] if data is None else data, None)
        _CrTensor.__init__(self, arr, requires_grad=requires_grad, dtype=arr.dtype)
        if isinstance(data, TensorBase) and self._prim is None:
            # As in PyTorch, a Parameter made from a tensor shares its storage:
            # writes through either are seen by both.
            self._data = data._data

    def __repr__(self):
        return "Parameter containing:\n" + Tensor.__repr__(self)


# chainrule.nn's layer classes -> their front-end classes (filled by chainrule.torch.nn).
FRONT_END_CLASSES: dict[type, type] = {}


def _adopt_module(module):
    """A chainrule.nn layer made inside another layer (a Transformer's Linear, Dropout,
    LayerNorm, ModuleList) re-classed as the front end's, so that ``isinstance(m,
    torch.nn.Linear)`` holds for it as in PyTorch; its own sublayers first. A layer that
    keeps sublayers in a plain list or dict stays chainrule.nn's (the front end's Module
    would stop registering them)."""
    for child in list(_nn.Module.children(module)):
        if not isinstance(child, Module):
            _adopt_module(child)
    front_class = FRONT_END_CLASSES.get(type(module))
    if front_class is None:
        return
    if front_class not in _CONTAINERS:  # (containers keep their items themselves)
        for v in vars(module).values():
            items = (v.values() if isinstance(v, dict)
                     else v if isinstance(v, (list, tuple)) else ())
            if any(isinstance(i, (_nn.Module, _nn.Parameter)) for i in items):
                return
    module.__class__ = front_class


def adopt(value):
    """Re-class chainrule.nn Parameters, buffers and layers under ``value`` as front-end
    ones."""
    if isinstance(value, _nn.Parameter):
        if type(value) is _nn.Parameter:
            value.__class__ = Parameter
    elif isinstance(value, _nn.Module):
        if not isinstance(value, Module):
            _adopt_module(value)
        else:
            for child in list(_nn.Module.children(value)):
                if not isinstance(child, Module):
                    _adopt_module(child)
        for p in _nn.Module.parameters(value):
            adopt(p)
        for b in _nn.Module.buffers(value):
            front(b)
    elif type(value) is _CrTensor:  # a buffer or plain tensor kept on a module
        front(value)
    elif isinstance(value, (list, tuple)):
        for v in value:
            adopt(v)
    elif isinstance(value, dict):
        for v in value.values():
            adopt(v)
    return value


class Buffer(Tensor):
    """``nn.Buffer(data, persistent=True)``: assigned to a module's attribute, it is
    registered as a buffer (``module.x = nn.Buffer(t)`` is ``register_buffer('x', t)``)."""

    __slots__ = ()

    def __init__(self, data=None, *, persistent=True):
        arr = _array([] if data is None else data, None)
        _CrTensor.__init__(self, arr, dtype=arr.dtype)
        self.persistent = persistent


class _Members(MutableMapping):
    """PyTorch's ``module._modules`` / ``module._parameters``: the direct submodules or
    parameters by name, read from and written to the module's attributes."""

    def __init__(self, module, kind):
        self._module, self._kind = module, kind

    def _items(self):
        return [(n, v) for n, v in self._module._own() if isinstance(v, self._kind)]

    def __getitem__(self, name):
        for n, v in self._items():
            if n == name:
                return v
        raise KeyError(name)

    def __setitem__(self, name, value):
        setattr(self._module, name, value)

    def __delitem__(self, name):
        self[name]  # (KeyError when absent)
        delattr(self._module, name)

    def __iter__(self):
        return iter([n for n, _ in self._items()])

    def __len__(self):
        return len(self._items())

    def __repr__(self):
        return repr(OrderedDict(self._items()))


class Module(_nn.Module):
    """chainrule.nn.Module whose parameters and buffers are front-end tensors.

    As in PyTorch, only attributes that are themselves a Module or Parameter (containers
    included) are registered: layers kept in a plain list, tuple or dict are not trained.
    """

    _registers_collections = False

    @staticmethod
    def _hook_tensor(g):
        # (A recorded cotangent is the engine's own object: the hook sees a copy of it
        # in the front end's class, never the object re-classed.)
        return front(P.copy(g) if isinstance(g, TensorBase) else new_tensor(g))

    @staticmethod
    def _result_like(original, passed):
        return like(original, passed)

    def __setattr__(self, name, value):
        if isinstance(value, Buffer):
            persistent = value.persistent
            del value.persistent
            value.__class__ = Tensor
            self.register_buffer(name, value, persistent)
            return
        super().__setattr__(name, adopt(value))

    def to(self, *args, dtype=None, device=None, non_blocking=False, memory_format=None):
        """Convert floating-point parameters and buffers to ``dtype``; devices: "cpu" only;
        a ``memory_format`` (torch.channels_last) changes nothing."""
        T.check_memory_format(memory_format, "Module.to")
        rest = []
        for a in (*args, device):
            if T.is_device(a):
                T.check_device(a, "Module.to")
            elif a is not None:
                rest.append(a)
        return super().to(*rest, dtype=dtype)

    def cpu(self):
        return self

    def to_empty(self, *, device, recurse=True):
        """PyTorch's move to ``device`` with values left unspecified (after building a
        model on the meta device): the CPU's tensors keep their values, which a program
        then initializes or loads."""
        T.check_device(device, "Module.to_empty")
        return self

    def half(self):
        """Floating-point parameters and buffers in float16 (the update of an optimizer
        over them runs in float32, chainrule.optim)."""
        return self.to(np.float16)

    def type(self, dst_type):
        """Every floating-point parameter and buffer as ``dst_type``."""
        return self.to(dst_type)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy the values into the parameters and buffers (``assign=True``, which in
        PyTorch makes the loaded tensors the parameters, copies here too: the values
        and the parameters' classes come out the same). Module by module through
        ``_load_from_state_dict`` and the load hooks when the model overrides or hooks
        them (torch/nn/state_dicts.py); all or nothing either way."""
        state_dict = state_dicts.with_legacy_keys(self, state_dict)
        if state_dicts.takes_part(self, Module):
            return state_dicts.load(self, state_dict, strict, Module)
        return super().load_state_dict(state_dict, strict=strict)

    # PyTorch's per-module steps of state_dict() / load_state_dict(), for overrides.
    _version = 1

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        state_dicts.load_own(self, Module, state_dict, prefix, local_metadata, strict,
                             missing_keys, unexpected_keys, error_msgs)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        state_dicts.save_own(self, Module, destination, prefix, keep_vars)

    def get_extra_state(self):
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should "
                           "never be called: override get_extra_state to save extra state")

    def set_extra_state(self, state):
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should "
                           "never be called: override set_extra_state to load extra state")

    def register_load_state_dict_pre_hook(self, hook):
        """``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` before this module's tensors load; a handle."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def _register_load_state_dict_pre_hook(self, hook, with_module=False):
        if with_module:
            def call(*args, _hook=hook):
                return _hook(self, *args)
        else:
            call = hook
        return state_dicts.register(self, state_dicts.PRE_LOAD, call)

    def register_load_state_dict_post_hook(self, hook):
        """``hook(module, incompatible_keys)`` after this module and its children loaded
        (it may edit the key lists in place); a handle."""
        return state_dicts.register(self, state_dicts.POST_LOAD, hook)

    def register_state_dict_pre_hook(self, hook):
        """``hook(module, prefix, keep_vars)`` before this module saves; a handle."""
        return state_dicts.register(self, state_dicts.PRE_SAVE, hook)

    def register_state_dict_post_hook(self, hook):
        """``hook(module, state_dict, prefix, local_metadata)`` after this module and its
        children saved (editing the dict in place; it must return None); a handle."""
        def call(*args, _hook=hook):
            return _hook(*args)
        call._from_public_api = True
        return state_dicts.register(self, state_dicts.POST_SAVE, call)

    def _register_state_dict_hook(self, hook):
        """The older form: a hook returning a dict replaces the state dict."""
        return state_dicts.register(self, state_dicts.POST_SAVE, hook)

    def share_memory(self):
        """Refused: parameters cannot be shared between processes (Tensor.share_memory_)."""
        for p in self.parameters():
            p.share_memory_()
        return self

    def cuda(self, device=None):
        T.check_device("cuda", "Module.cuda")

    @property
    def _modules(self):
        return _Members(self, _nn.Module)

    @property
    def _parameters(self):
        return _Members(self, _nn.Parameter)

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """PyTorch's: name -> tensor sharing the parameter's or buffer's storage, cut
        from the graph (``keep_vars=True``: the tensors themselves). Tied weights give
        two entries over one buffer; ``{k: v.clone() ...}`` or ``copy.deepcopy`` copies."""
        if state_dicts.takes_part(self, Module):
            if destination is None:
                destination = OrderedDict()
                destination._metadata = OrderedDict()
            return state_dicts.save(self, destination, prefix, keep_vars, Module)
        state = OrderedDict(super().state_dict(prefix=prefix, keep_vars=True))
        if not keep_vars:
            state = OrderedDict((k, front(new_tensor(v._data))) for k, v in state.items())
        if destination is not None:
            destination.update(state)
            return destination
        state._metadata = state_dicts.metadata(self, prefix)
        return state

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        for name, p in super().named_parameters(prefix, recurse, remove_duplicate):
            yield name, adopt(p)


class Sequential(Module, _nn.Sequential):
    __doc__ = _nn.Sequential.__doc__


class ModuleList(Module, _nn.ModuleList):
    __doc__ = _nn.ModuleList.__doc__


class ModuleDict(Module, _nn.ModuleDict):
    __doc__ = _nn.ModuleDict.__doc__


class ParameterList(Module, _nn.ParameterList):
    __doc__ = _nn.ParameterList.__doc__


class ParameterDict(Module, _nn.ParameterDict):
    __doc__ = _nn.ParameterDict.__doc__


_CONTAINERS = (Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict)
FRONT_END_CLASSES.update({_nn.Sequential: Sequential, _nn.ModuleList: ModuleList,
                          _nn.ModuleDict: ModuleDict, _nn.ParameterList: ParameterList,
                          _nn.ParameterDict: ParameterDict})
