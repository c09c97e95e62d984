"""Module and Parameter: the containers every layer is built from.

A :class:`Module` finds its parameters and submodules by looking at its attributes:
a :class:`Parameter` or a :class:`Module` stored on ``self``, or inside a list, tuple
or dict stored on ``self``, is registered under the attribute's name (``"fc.weight"``,
``"blocks.0.weight"``, ``"heads.cls.bias"``). Buffers (state that is saved but not
trained, e.g. BatchNorm's running statistics) are declared with
:meth:`Module.register_buffer`.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

import numpy as np

from .. import graph
from ..compiled import replayed
from ..hooks import RemovableHandle, add_to
from ..tensor import Tensor
from .backward_hooks import call_with_backward_hooks, tensor_of

_M = TypeVar("_M", bound="Module")  # methods returning self keep the subclass
_REQUIRES_GRAD = graph.TensorBase.__dict__["requires_grad"]  # (the slot's own descriptor)


class Parameter(Tensor):
    """A tensor a Module trains: a leaf with ``requires_grad=True`` unless told otherwise.

    Operations on parameters return plain tensors; only the leaf itself is a Parameter.
    """

    __slots__ = ()
    _result_class = Tensor

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None) -> None:
        super().__init__(data, requires_grad=requires_grad, dtype=dtype)

    def __setattr__(self, name: str, value: Any) -> None:
        # A parameter frozen while a graph was built and unfrozen before its backward (a
        # critic frozen for a gradient penalty) gets no gradient from that graph: the
        # graph clock when it was last turned off and on (read in backward). Reads of
        # requires_grad stay the slot's own (every operation on a parameter reads it).
        if name == "requires_grad":
            try:
                was = _REQUIRES_GRAD.__get__(self, None)
            except AttributeError:  # (being made: no graph can hold it yet)
                was = value
            if was and not value:
                object.__setattr__(self, "_grad_off", graph._clock)
            elif value and not was:
                object.__setattr__(self, "_grad_on", graph._clock)
        object.__setattr__(self, name, value)

    def __getstate__(self):
        # A copy (copy.deepcopy of a model: a target network, an EMA) has the values and
        # requires_grad but not the gradient, as PyTorch's Parameter copies.
        attributes, slots = super().__getstate__()
        if attributes is not None and "_grad" in attributes:
            attributes = {k: v for k, v in attributes.items() if k != "_grad"} or None
        return attributes, {k: v for k, v in slots.items() if k != "_grad"}

    def __repr__(self) -> str:
        return "Parameter containing:\n" + str(super().__repr__())


def _check_name(module, name, who):
    if not isinstance(name, str) or not name or "." in name:
        raise KeyError(f"{who}: name {name!r} must be a non-empty string without '.'")
    if hasattr(type(module), name):
        raise KeyError(f"{who}: {name!r} is already an attribute of {type(module).__name__}")


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What load_state_dict(strict=False) did not match; prints as PyTorch's does."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (f"_IncompatibleKeys(missing_keys={self.missing_keys!r}, "
                f"unexpected_keys={self.unexpected_keys!r})")

    __str__ = __repr__


class StateDictError(ValueError, RuntimeError):  # (PyTorch raises RuntimeError)
    """A state dict does not fit a module: missing, unexpected or wrongly shaped keys."""


def float_dtype(dtype, what="parameters"):
    """``np.dtype(dtype)``, which must be a floating-point type; None is float32 (the
    layers' default; NumPy would read None as float64)."""
    dtype = np.dtype(np.float32 if dtype is None else dtype)
    if dtype.kind != "f":
        raise TypeError(f"{what} need a floating-point dtype, got {dtype}")
    return dtype


def _is_cpu(device):
    # A string, or a device object (chainrule.torch's, PyTorch's) whose str() names it.
    if not isinstance(device, str) and getattr(device, "type", None) != "cpu":
        return False
    name = str(device)
    return name == "cpu" or name.startswith("cpu:")


_NO_HOOKS: Mapping[int, Any] = MappingProxyType({})


# Hooks every module runs (PyTorch's torch.nn.modules.module.register_module_*_hook),
# before its own. _global_used turns on the hooked call path for every module once any
# was registered (a call without them stays two reads).
_GLOBAL_HOOKS: dict[str, dict[int, Any]] = {name: {} for name in (
    "_forward_pre_hooks", "_forward_pre_hooks_with_kwargs", "_forward_hooks",
    "_forward_hooks_with_kwargs", "_forward_hooks_always_called", "_backward_hooks",
    "_backward_pre_hooks")}
_global_used = False

# A hook table's flag tables (PyTorch's layout: the table holds the hooks themselves,
# and a flag is the hook's id in a side table), in the order _hooks gives the flags.
_FLAGS = {"_forward_pre_hooks": ("_forward_pre_hooks_with_kwargs",),
          "_forward_hooks": ("_forward_hooks_with_kwargs", "_forward_hooks_always_called"),
          "_backward_hooks": (), "_backward_pre_hooks": ()}


def _hooks(module, table_name):
    """(hook, *flags) of a kind: the global hooks, then the module's own."""
    out = []
    for owner in (_GLOBAL_HOOKS, None):
        def table(name, owner=owner):
            return owner[name] if owner is not None else getattr(module, name)
        flags = [table(name) for name in _FLAGS[table_name]]
        out.extend((hook, *(key in f for f in flags)) for key, hook in table(table_name).items())
    return out


def _register_global(table_name, hook, flags=()):
    global _global_used
    _global_used = True
    return add_to(_GLOBAL_HOOKS[table_name], hook, False,
                  [_GLOBAL_HOOKS[name] for name in _flag_tables(table_name, flags)])


def _flag_tables(table_name, flags):
    """The names of the flag tables of `table_name` whose flag is set in `flags`."""
    return [name for name, on in zip(_FLAGS[table_name], flags, strict=False) if on]


def register_module_forward_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """``hook(module, args)`` before the forward of every module (before each module's own
    pre-hooks); a returned value replaces the arguments, as a module's pre-hook."""
    handle: RemovableHandle = _register_global("_forward_pre_hooks", hook)
    return handle


def register_module_forward_hook(hook: Callable[..., Any], *, with_kwargs: bool = False,
                                 always_call: bool = False) -> RemovableHandle:
    """``hook(module, args, output)`` after the forward of every module (before each
    module's own forward hooks); a returned value replaces the output."""
    handle: RemovableHandle = _register_global("_forward_hooks", hook,
                                               (with_kwargs, always_call))
    return handle


def register_module_full_backward_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """``hook(module, grad_output)`` in every backward pass through every module."""
    handle: RemovableHandle = _register_global("_backward_pre_hooks", hook)
    return handle


def register_module_full_backward_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """``hook(module, grad_input, grad_output)`` in every backward pass through every
    module, once the gradients of its inputs are known."""
    handle: RemovableHandle = _register_global("_backward_hooks", hook)
    return handle


def register_module_backward_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """PyTorch's deprecated form, registered as register_module_full_backward_hook."""
    return register_module_full_backward_hook(hook)


def _register(module, table_name, hook, prepend, flags=()):
    """Add `hook` to the module's hook table `table_name` and its set flags to their
    tables (each made on first use); a handle that removes it from all of them."""
    tables = []
    for name in (table_name, *_flag_tables(table_name, flags)):
        table = vars(module).get(name)
        if table is None:
            table = OrderedDict()
            setattr(module, name, table)
        tables.append(table)
    vars(module)["_hooked"] = True
    return add_to(tables[0], hook, prepend, tables[1:])


class Module:
    """Base class of layers and models: override ``forward`` and call the module.

    Attributes that are Parameters, Modules, or lists/tuples/dicts of them are found
    automatically, in assignment order; ``state_dict()`` names them with dotted paths
    exactly as PyTorch does, so the weights are interchangeable.
    """

    # Class-level defaults keep subclasses working that do not call Module.__init__.
    training = True
    # Buffer name -> persistent (saved in state_dict); replaced per instance on first use.
    _buffers: Mapping[str, bool] = MappingProxyType({})
    # Hook id -> hook, made per instance by the first register_forward_(pre_)hook: a call
    # without hooks costs two attribute reads.
    _forward_pre_hooks: Mapping[int, Any] = _NO_HOOKS
    _forward_pre_hooks_with_kwargs: Mapping[int, bool] = _NO_HOOKS
    _forward_hooks: Mapping[int, Any] = _NO_HOOKS
    _forward_hooks_with_kwargs: Mapping[int, bool] = _NO_HOOKS
    _forward_hooks_always_called: Mapping[int, bool] = _NO_HOOKS
    _backward_hooks: Mapping[int, Any] = _NO_HOOKS
    _backward_pre_hooks: Mapping[int, Any] = _NO_HOOKS
    _hooked = False  # (set on the instance by its first hook of any kind)
    # Whether Parameters and Modules inside list, tuple and dict attributes are registered
    # (the PyTorch front end's Module registers only direct ones, as PyTorch does).
    _registers_collections = True

    def __init__(self):
        self.training = True
        self._buffers = {}

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        tracer = graph.trace_hook()
        if tracer is not None:  # (a compiled step captures again after train()/eval(),
            tracer.guard(self, "training")  # or when a parameter is replaced)
            tracer.guard_tensors(self)
        if self._hooked or _global_used:  # (two reads for a module that never had hooks)
            if (self._backward_hooks or self._backward_pre_hooks
                    or _GLOBAL_HOOKS["_backward_hooks"] or _GLOBAL_HOOKS["_backward_pre_hooks"]):
                return call_with_backward_hooks(self, self._call_forward_hooks, args, kwargs)
            if (self._forward_pre_hooks or self._forward_hooks
                    or _GLOBAL_HOOKS["_forward_pre_hooks"] or _GLOBAL_HOOKS["_forward_hooks"]):
                return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    def _call_forward_hooks(self, *args, **kwargs):
        return self._call_with_hooks(args, kwargs)

    # How backward hooks see gradients, and the class of a tensor passed through one
    # (the PyTorch front end's modules make front-end tensors).
    _hook_tensor = staticmethod(tensor_of)

    @staticmethod
    def _result_like(original: Any, passed: Any) -> Any:
        return passed

    # -------------------------------------------------------------------- hooks
    def register_forward_pre_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Call ``hook(module, args)`` before every forward; return a RemovableHandle.

        As in PyTorch: a hook returning None leaves the arguments alone; anything else
        replaces them (a non-tuple becomes a 1-tuple). With ``with_kwargs=True`` the hook
        is ``hook(module, args, kwargs)`` and returns None or a new ``(args, kwargs)``.
        ``prepend=True`` runs it before the hooks registered so far.
        """
        handle: RemovableHandle = _register(self, "_forward_pre_hooks", hook, prepend,
                                            (with_kwargs,))
        return handle

    def register_forward_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                              with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after every forward; return a RemovableHandle.

        A hook returning None keeps the output; anything else replaces it. With
        ``with_kwargs=True`` the hook is ``hook(module, args, kwargs, output)``;
        ``always_call=True`` runs it even when forward raised (the error then propagates).
        """
        handle: RemovableHandle = _register(self, "_forward_hooks", hook, prepend,
                                            (with_kwargs, always_call))
        return handle

    def register_full_backward_hook(self, hook: Callable[..., Any], *,
                                    prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, grad_input, grad_output)`` in every backward pass through
        this module, once the gradients of its inputs are known; return a handle.

        As in PyTorch: ``grad_input`` has one entry per positional argument (None for
        those that are not tensors requiring grad) and ``grad_output`` one per output;
        a hook returning a tuple replaces ``grad_input`` (see chainrule.nn.backward_hooks).
        """
        handle: RemovableHandle = _register(self, "_backward_hooks", hook, prepend)
        return handle

    def register_full_backward_pre_hook(self, hook: Callable[..., Any], *,
                                        prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, grad_output)`` in every backward pass through this module,
        before its inputs' gradients are computed; a returned tuple replaces
        ``grad_output``. Returns a handle."""
        handle: RemovableHandle = _register(self, "_backward_pre_hooks", hook, prepend)
        return handle

    def register_backward_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """PyTorch's deprecated form, registered as :meth:`register_full_backward_hook`
        (whose ``grad_input`` is the module's inputs' gradients; PyTorch's old form gave
        those of the inputs of the module's last operation)."""
        return self.register_full_backward_hook(hook)

    def _call_with_hooks(self, args, kwargs):
        for hook, with_kwargs in _hooks(self, "_forward_pre_hooks"):
            if with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(
                            f"forward pre-hook {hook!r} (with_kwargs=True) must return None "
                            f"or a tuple (args, kwargs), got {type(result).__name__}"
                        )
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        hooks = _hooks(self, "_forward_hooks")
        try:
            output = self.forward(*args, **kwargs)
        except BaseException:
            for hook, with_kwargs, always_call in hooks:
                if always_call:
                    try:
                        hook(self, args, kwargs, None) if with_kwargs else hook(self, args, None)
                    except Exception:  # the forward's error is the one to report
                        pass
            raise
        for hook, with_kwargs, _ in hooks:
            result = hook(self, args, kwargs, output) if with_kwargs else hook(self, args, output)
            if result is not None:
                output = result
        return output

    # ------------------------------------------------------------- registration
    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """Attach non-trainable state ``name`` (a Tensor, array or None).

        Persistent buffers appear in ``state_dict()`` next to the parameters.
        """
        buffers = vars(self).get("_buffers")
        if buffers is None:
            buffers = self._buffers = {}
        if tensor is not None and not isinstance(tensor, Tensor):
            tensor = Tensor(tensor)
        setattr(self, name, tensor)
        buffers[name] = bool(persistent)

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at dotted path ``target`` (``"bn.running_mean"``)."""
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if name not in module._buffers:
            raise AttributeError(f"get_buffer: {target!r} is not a buffer")
        buffer: Tensor = getattr(module, name)
        return buffer

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Attach Parameter ``param`` (or None) as attribute ``name``."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"register_parameter: {name!r} must be a Parameter or None, got "
                f"{type(param).__name__}; wrap the tensor with nn.Parameter(...)"
            )
        _check_name(self, name, "register_parameter")
        setattr(self, name, param)

    def add_module(self, name: str, module: Module | None) -> None:
        """Attach ``module`` (or None) as attribute ``name``: a child named ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(
                f"add_module: {name!r} must be a Module or None, got {type(module).__name__}"
            )
        _check_name(self, name, "add_module")
        setattr(self, name, module)

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The submodule at dotted path ``target`` ("" is the module itself)."""
        module = self
        if target == "":
            return module
        for part in target.split("."):
            children = dict(module.named_children())
            if part not in children:
                raise AttributeError(
                    f"get_submodule: {type(module).__name__} has no submodule {part!r} "
                    f"(looking up {target!r}); it has {sorted(children) or 'none'}"
                )
            module = children[part]
        return module

    def get_parameter(self, target: str) -> Parameter:
        """The Parameter at dotted path ``target`` (``"fc.weight"``)."""
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        own = dict(module._own())
        if not isinstance(own.get(name), Parameter):
            raise AttributeError(f"get_parameter: {target!r} is not a parameter")
        param: Parameter = own[name]
        return param

    def _own(self):
        """(name, value) of the Parameters and Modules held directly by this module."""
        for name, value in vars(self).items():
            if isinstance(value, (Parameter, Module)):
                yield name, value
            elif not self._registers_collections:
                continue
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, (Parameter, Module)):
                        yield f"{name}.{i}", item
            elif isinstance(value, dict):
                for key, item in value.items():
                    if isinstance(item, (Parameter, Module)):
                        yield f"{name}.{key}", item

    def _own_buffers(self, persistent_only=False):
        for name, persistent in self._buffers.items():
            value = getattr(self, name, None)
            if value is not None and (persistent or not persistent_only):
                yield name, value

    # ----------------------------------------------------------------- traversal
    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Direct submodules as (name, module), each module once."""
        seen = set()
        for name, value in self._own():
            if isinstance(value, Module) and id(value) not in seen:
                seen.add(id(value))
                yield name, value

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def named_modules(self, memo: set[Module] | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """This module and every submodule, depth first, as (dotted name, module).

        A module reachable along two paths is listed once (at its first name) unless
        ``remove_duplicate=False``; ``memo`` is a set of modules to skip (PyTorch's).
        """
        if memo is None:
            memo = set()
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, child in self._own():
            if isinstance(child, Module):
                yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name,
                                               remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Parameters as (dotted name, Parameter), each parameter once.

        A parameter shared by two modules (tied weights) is listed once, at its first
        name, unless ``remove_duplicate=False``.
        """
        seen = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        for mod_name, module in modules:
            for name, value in module._own():
                if isinstance(value, Parameter) and (not remove_duplicate or id(value) not in seen):
                    seen.add(id(value))
                    yield (f"{mod_name}.{name}" if mod_name else name), value

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "",
                      recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mod_name, module in modules:
            for name, value in module._own_buffers():
                yield (f"{mod_name}.{name}" if mod_name else name), value

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self: _M, fn: Callable[[Module], object]) -> _M:
        """Call ``fn(module)`` on every submodule (children first) and on self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------- modes
    def train(self: _M, mode: bool = True) -> _M:
        """Set training mode (Dropout drops, BatchNorm uses batch statistics) recursively."""
        for m in self.modules():
            m.training = bool(mode)
        return self

    def eval(self: _M) -> _M:
        """Set evaluation mode recursively: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self: _M, requires_grad: bool = True) -> _M:
        """Set ``requires_grad`` of every parameter (False freezes the module); return self."""
        for p in self.parameters():
            p.requires_grad = bool(requires_grad)
        return self

    @replayed  # (a step compiled by cr.compile clears the gradients again each call)
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient (drop it, or fill it with zeros)."""
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad._data[...] = 0

    # ------------------------------------------------------------------- dtype
    def to(self: _M, *args: Any, dtype: Any = None, device: Any = None,
           non_blocking: bool = False, memory_format: Any = None) -> _M:
        """Convert floating-point parameters and buffers to a dtype in place; return self.

        A ``memory_format`` (``torch.channels_last``) changes nothing: chainrule's
        operations compute the same in any layout.

        PyTorch's forms: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``,
        ``to(tensor)`` (its dtype), ``to(dtype=..., device=...)``. None and the device
        "cpu" change nothing (chainrule runs on the CPU): ``to(None)`` returns the module
        as it is. The Parameter objects stay the same (their arrays are replaced), so
        references held elsewhere remain valid; create optimizers after converting,
        since their state keeps the old dtype.
        """
        for a in (*args, device):
            if a is None or _is_cpu(a):
                continue
            if hasattr(a, "dtype") and not isinstance(a, (type, np.dtype)):
                a = a.dtype  # to(tensor) or to(ndarray): take its dtype
            if dtype is not None:
                raise TypeError(f"Module.to: two dtypes given ({dtype} and {a})")
            dtype = a
        if dtype is None:
            return self
        try:
            np.dtype(dtype)
        except TypeError as e:
            raise TypeError(
                f"Module.to: {dtype!r} is neither a dtype nor a device chainrule has; it "
                f"runs on the CPU (device 'cpu') with NumPy's floating dtypes"
            ) from e
        dtype = float_dtype(dtype, "Module.to: parameters")
        for p in self.parameters():
            if p._data.dtype != dtype:
                p._data = p._data.astype(dtype)
                if p.grad is not None:
                    p.grad = Tensor(p.grad._data, dtype=dtype)
        for b in self.buffers():
            if b._data.dtype.kind == "f" and b._data.dtype != dtype:
                b._data = b._data.astype(dtype)
        return self

    def float(self: _M) -> _M:
        return self.to(np.float32)

    def double(self: _M) -> _M:
        return self.to(np.float64)

    # -------------------------------------------------------------- state dict
    def _state_tensors(self, prefix="", out=None, path=()):
        """Name -> tensor of everything state_dict() saves: own parameters and buffers, then
        each child's. A module reachable under two names is saved under both."""
        out = {} if out is None else out
        if any(m is self for m in path):
            raise ValueError(
                f"state_dict: {type(self).__name__} contains itself (via '{prefix[:-1]}'); "
                f"keep references to parent modules out of attributes"
            )
        own = list(self._own())
        for name, value in own:
            if isinstance(value, Parameter):
                out[prefix + name] = value
        for name, value in self._own_buffers(persistent_only=True):
            out[prefix + name] = value
        for name, value in own:
            if isinstance(value, Module):
                value._state_tensors(f"{prefix}{name}.", out, path + (self,))
        return out

    def state_dict(self, *, prefix: str = "", keep_vars: bool = False) -> dict[str, Any]:
        """Name -> NumPy array (a copy) of every parameter and persistent buffer.

        Names are dotted attribute paths (``"0.weight"``, ``"bn.running_mean"``), the
        same as PyTorch uses, so ``chainrule.io.save(model.state_dict(), path)`` writes a
        file PyTorch loads into the equivalent model. A parameter shared by two modules
        (tied weights) appears under both names, as one array object (PyTorch's entries
        share storage too); loading such a dict keeps the tie. ``keep_vars=True`` gives
        the tensors themselves instead of copies.
        """
        out: dict[str, Any] = {}
        copies: dict[int, Any] = {}
        for name, t in self._state_tensors().items():
            if keep_vars:
                out[prefix + name] = t
                continue
            copy = copies.get(id(t))
            if copy is None:
                copy = copies[id(t)] = t._data.copy()
            out[prefix + name] = copy
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any],
                        strict: bool = True) -> IncompatibleKeys:
        """Copy values from ``state_dict`` into the parameters and buffers in place.

        Every problem is reported by name in one :class:`StateDictError`, and nothing
        is modified unless all values fit: shape mismatches always fail; with ``strict``
        missing and unexpected keys fail too. Returns (missing_keys, unexpected_keys).
        """
        targets = self._state_tensors()
        values = {}
        unexpected = []
        wrong = []
        for name, value in state_dict.items():
            if name not in targets:
                unexpected.append(name)
                continue
            array = np.asarray(value._data if isinstance(value, Tensor) else value)
            target = targets[name]._data
            if array.shape != target.shape:
                wrong.append(f"size mismatch for {name}: copying a param with shape "
                             f"{array.shape} from checkpoint, the shape in current model is "
                             f"{target.shape}.")
            elif not np.can_cast(array.dtype, target.dtype, casting="same_kind"):
                wrong.append(f"dtype mismatch for {name}: {array.dtype} cannot be stored in "
                             f"the model's {target.dtype}.")
            else:
                values[name] = array
        missing = [name for name in targets if name not in state_dict]
        problems = []
        if strict:  # (PyTorch's wording and order, which programs sometimes test for)
            if missing:
                problems.append("Missing key(s) in state_dict: "
                                + ", ".join(f'"{k}"' for k in missing) + ". ")
            if unexpected:
                problems.append("Unexpected key(s) in state_dict: "
                                + ", ".join(f'"{k}"' for k in unexpected) + ". ")
        problems += wrong
        if problems:
            raise StateDictError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(problems)
                + "\nBuild the model with the architecture the state dict was saved from"
                + (", or pass strict=False to load the matching keys only." if strict else ".")
            )
        for name, array in values.items():
            targets[name].copy_(array)
        return IncompatibleKeys(missing, unexpected)

    # -------------------------------------------------------------------- repr
    def extra_repr(self) -> str:
        """The text inside this module's parentheses in ``repr`` (its configuration)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        children = [f"({name}): " + repr(child).replace("\n", "\n  ")
                    for name, child in self.named_children()]
        if not children:
            return f"{type(self).__name__}({extra})"
        lines = (extra.split("\n") if extra else []) + children
        return type(self).__name__ + "(\n  " + "\n  ".join(lines) + "\n)"
