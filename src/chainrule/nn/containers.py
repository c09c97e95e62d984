"""Containers: ModuleList, Sequential, ModuleDict, ParameterList, ParameterDict.

Each registers what it holds under PyTorch's names ("0", "1", ... for lists, the keys
for dicts), so ``state_dict()`` keys match the equivalent PyTorch model.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from ..graph import TensorBase
from .module import Module, Parameter


def _module(owner, module):
    if not isinstance(module, Module):
        raise TypeError(f"{type(owner).__name__} holds Modules, got {type(module).__name__}")
    return module


def _key(owner, key):
    if not isinstance(key, str) or not key or "." in key:
        raise KeyError(
            f"{type(owner).__name__}: keys must be non-empty strings without '.', got {key!r}"
        )
    return key


def _parameter(owner, value):
    """A Parameter from a Parameter, a tensor or an array (as PyTorch wraps tensors)."""
    if isinstance(value, Parameter) or value is None:
        return value
    if isinstance(value, (TensorBase, np.ndarray)):
        return Parameter(value)
    raise TypeError(
        f"{type(owner).__name__} holds Parameters (or tensors, which it wraps), got "
        f"{type(value).__name__}"
    )


def _direct(owner, kind):
    """Parameters or modules set on a container as attributes (``register_parameter``):
    its parameters come before its items and such modules after them, as PyTorch lists
    a module's own parameters first and its children in the order they were added."""
    for name, value in vars(owner).items():
        if isinstance(value, kind):
            yield name, value


class _ListOf(Module):
    _holds_parameters = False
    """A list registered as "0", "1", ...; `_check` admits (or wraps) each item."""

    def __init__(self, items=()) -> None:
        super().__init__()
        self._items = []
        self.extend(items)

    def _check(self, item):
        raise NotImplementedError

    def _own(self):
        # (A parameter container's items are parameters, listed before ones added later.)
        first = () if self._holds_parameters else _direct(self, Parameter)
        yield from first
        for i, item in enumerate(self._items):
            if item is not None:
                yield str(i), item
        if self._holds_parameters:
            yield from _direct(self, Parameter)
        yield from _direct(self, Module)

    def append(self, item):
        self._items.append(self._check(item))
        return self

    def extend(self, items):
        for item in items:
            self.append(item)
        return self

    def insert(self, index, item):
        self._items.insert(index, self._check(item))

    def pop(self, index=-1):
        return self._items.pop(index)

    def __len__(self):
        return len(self._items)

    def __iter__(self):
        return iter(self._items)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(self._items[index])
        return self._items[index]

    def __setitem__(self, index, item):
        self._items[index] = self._check(item)

    def __delitem__(self, index):
        del self._items[index]

    def __iadd__(self, items):
        return self.extend(items)

    def __add__(self, other):
        return type(self)([*self._items, *other])


class _DictOf(Module):
    _holds_parameters = False
    """A dict registered under its keys (insertion order); `_check` admits each value."""

    def __init__(self, items=None) -> None:
        super().__init__()
        self._items = {}
        if items is not None:
            self.update(items)

    def _check(self, item):
        raise NotImplementedError

    def _own(self):
        yield from () if self._holds_parameters else _direct(self, Parameter)
        yield from ((k, v) for k, v in self._items.items() if v is not None)
        if self._holds_parameters:
            yield from _direct(self, Parameter)
        yield from _direct(self, Module)

    def __getitem__(self, key):
        return self._items[key]

    def __getattr__(self, name):
        # Entries are attributes too, as in PyTorch (`model.transformer.wte`).
        items = self.__dict__.get("_items")
        if items is not None and name in items:
            return items[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setitem__(self, key, item):
        self._items[_key(self, key)] = self._check(item)

    def __delitem__(self, key):
        del self._items[key]

    def __len__(self):
        return len(self._items)

    def __iter__(self):
        return iter(self._items)

    def __contains__(self, key):
        return key in self._items

    def keys(self):
        return self._items.keys()

    def values(self):
        return self._items.values()

    def items(self):
        return self._items.items()

    def get(self, key, default=None):
        return self._items.get(key, default)

    def pop(self, key):
        return self._items.pop(key)

    def clear(self):
        self._items.clear()

    def update(self, items):
        """Add (key, value) pairs from a mapping or an iterable of pairs."""
        pairs = items.items() if hasattr(items, "items") else items
        for key, item in pairs:
            self[key] = item


def _describe(pairs):
    return "\n".join(f"({k}): Parameter of shape {tuple(p.shape)} ({p.dtype})" for k, p in pairs)


class ModuleList(_ListOf):
    """A list of modules, registered as children "0", "1", ...; None holds a place (as in
    PyTorch, where a list of optional layers keeps its positions) and is no child."""

    def _check(self, item):
        return item if item is None else _module(self, item)

    def add_module(self, name, module):
        """Module ``name`` ("0", "1", ...): replaced, or appended when it is the next."""
        if not (isinstance(name, str) and name.isdigit() and int(name) <= len(self._items)):
            raise ValueError(f"ModuleList.add_module: chainrule's ModuleList names its "
                             f"modules by position ('0' to '{len(self._items)}'), got "
                             f"{name!r}; use a ModuleDict for named modules")
        if int(name) == len(self._items):
            self.append(module)
        else:
            self._items[int(name)] = self._check(module)

    register_module = add_module


class Sequential(ModuleList):
    """Modules applied one after another.

    Children are named "0", "1", ..., or by the keys of a single OrderedDict argument
    (``Sequential(OrderedDict(conv=..., relu=...))``), as in PyTorch.
    """

    def __init__(self, *modules) -> None:
        Module.__init__(self)
        self._items = []
        self._names = None
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            self._names = []
            for name, m in modules[0].items():
                self._items.append(_module(self, m))
                self._names.append(_key(self, name))
        else:
            self.extend(modules)

    def _own(self):
        yield from _direct(self, Parameter)
        names = self._names or [str(i) for i in range(len(self._items))]
        yield from zip(names, self._items)
        yield from _direct(self, Module)

    def add_module(self, name, module):
        """``module`` appended under ``name`` (replacing the module of that name), as in
        PyTorch, where a Sequential runs its registered modules in order."""
        _key(self, name)
        names = self._names if self._names is not None else [
            str(i) for i in range(len(self._items))]
        if name in names:
            self._items[names.index(name)] = _module(self, module)
        else:
            names.append(name)
            self._items.append(_module(self, module))
        self._names = names

    register_module = add_module

    def __setattr__(self, name, value):
        # seq.name = module registers it in the sequence (PyTorch's Sequential runs it).
        if isinstance(value, Module) and name not in vars(self):
            self.add_module(name, value)
        else:
            super().__setattr__(name, value)

    def __getattr__(self, name):
        # (Only after normal lookup failed: a module registered by name.)
        names = self.__dict__.get("_names")
        if names and name in names:
            return self.__dict__["_items"][names.index(name)]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def append(self, module):
        if self._names is not None:
            self._names.append(str(len(self._items)))
        self._items.append(_module(self, module))
        return self

    def insert(self, index, module):
        if self._names is not None:
            raise TypeError("Sequential built from an OrderedDict: insert needs a name; "
                            "rebuild it instead")
        super().insert(index, module)

    def pop(self, index=-1):
        if self._names is not None:
            self._names.pop(index)
        return self._items.pop(index)

    def __delitem__(self, index):
        if self._names is not None:
            del self._names[index]
        del self._items[index]

    def __getitem__(self, index):
        if isinstance(index, slice):
            if self._names is not None:
                return type(self)(OrderedDict(zip(self._names[index], self._items[index])))
            return type(self)(*self._items[index])
        return self._items[index]

    def __add__(self, other):
        return type(self)(*self._items, *other)

    def forward(self, input):
        for m in self._items:
            input = m(input)
        return input


class ModuleDict(_DictOf):
    """A dict of modules, registered as children under their keys (insertion order)."""

    def _check(self, item):
        return _module(self, item)

    def __setattr__(self, name, value):
        # In PyTorch a ModuleDict's entries are its child modules, so one attached as an
        # attribute or by add_module (torchvision's DenseNet blocks, ModuleDict subclasses
        # filled in __init__) is an entry, visited by items() in insertion order.
        items = vars(self).get("_items")
        if items is not None and name not in vars(self) and (
                isinstance(value, Module) or name in items):
            if value is None:  # (an entry set to None stays, as None: PyTorch's too)
                items[name] = None
            elif not isinstance(value, Module):
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module "
                                f"'{name}' (Module or None expected)")
            else:
                self[name] = value
        else:
            super().__setattr__(name, value)

    def __delattr__(self, name):
        items = vars(self).get("_items")
        if items is not None and name in items and name not in vars(self):
            del items[name]
        else:
            super().__delattr__(name)


class ParameterList(_ListOf):
    """A list of Parameters, registered as "0", "1", ...; tensors and arrays are wrapped."""

    _holds_parameters = True

    def _check(self, item):
        return _parameter(self, item)

    def extra_repr(self):
        return _describe(enumerate(self._items))


class ParameterDict(_DictOf):
    """A dict of Parameters, registered under their keys; tensors and arrays are wrapped."""

    _holds_parameters = True

    def _check(self, item):
        return _parameter(self, item)

    def extra_repr(self):
        return _describe(self._items.items())
