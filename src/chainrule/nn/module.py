"""Module and Parameter: the containers every layer is built from.

A :class:`Module` finds its parameters and submodules by looking at its attributes:
a :class:`Parameter` or a :class:`Module` stored on ``self``, or inside a list, tuple
or dict stored on ``self``, is registered under the attribute's name (``"fc.weight"``,
``"blocks.0.weight"``, ``"heads.cls.bias"``). Buffers (state that is saved but not
trained, e.g. BatchNorm's running statistics) are declared with
:meth:`Module.register_buffer`.
"""

from __future__ import annotations

from collections import namedtuple
from types import MappingProxyType

import numpy as np

from ..tensor import Tensor


class Parameter(Tensor):
    """A tensor a Module trains: a leaf with ``requires_grad=True`` unless told otherwise.

    Operations on parameters return plain tensors; only the leaf itself is a Parameter.
    """

    __slots__ = ()
    _result_class = Tensor

    def __init__(self, data, requires_grad=True, dtype=None):
        super().__init__(data, requires_grad=requires_grad, dtype=dtype)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class StateDictError(ValueError):
    """A state dict does not fit a module: missing, unexpected or wrongly shaped keys."""


def float_dtype(dtype, what="parameters"):
    """``np.dtype(dtype)``, which must be a floating-point type."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"{what} need a floating-point dtype, got {dtype}")
    return dtype


def _is_cpu(device):
    name = str(device)
    return isinstance(device, str) and (name == "cpu" or name.startswith("cpu:"))


class Module:
    """Base class of layers and models: override ``forward`` and call the module.

    Attributes that are Parameters, Modules, or lists/tuples/dicts of them are found
    automatically, in assignment order; ``state_dict()`` names them with dotted paths
    exactly as PyTorch does, so the weights are interchangeable.
    """

    # Class-level defaults keep subclasses working that do not call Module.__init__.
    training = True
    # Buffer name -> persistent (saved in state_dict); replaced per instance on first use.
    _buffers = MappingProxyType({})

    def __init__(self):
        self.training = True
        self._buffers = {}

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------- registration
    def register_buffer(self, name, value, persistent=True):
        """Attach non-trainable state ``name`` (a Tensor, array or None).

        Persistent buffers appear in ``state_dict()`` next to the parameters.
        """
        if "_buffers" not in vars(self):
            self._buffers = {}
        if value is not None and not isinstance(value, Tensor):
            value = Tensor(value)
        setattr(self, name, value)
        self._buffers[name] = bool(persistent)

    def _own(self):
        """(name, value) of the Parameters and Modules held directly by this module."""
        for name, value in vars(self).items():
            if isinstance(value, (Parameter, Module)):
                yield name, value
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
    def named_children(self):
        """Direct submodules as (name, module), each module once."""
        seen = set()
        for name, value in self._own():
            if isinstance(value, Module) and id(value) not in seen:
                seen.add(id(value))
                yield name, value

    def children(self):
        for _, m in self.named_children():
            yield m

    def named_modules(self, prefix="", _seen=None):
        """This module and every submodule, depth first, as (dotted name, module)."""
        seen = set() if _seen is None else _seen
        if id(self) in seen:
            return
        seen.add(id(self))
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name, seen)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_parameters(self, prefix="", recurse=True):
        """Parameters as (dotted name, Parameter), each parameter once."""
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_name, module in modules:
            for name, value in module._own():
                if isinstance(value, Parameter) and id(value) not in seen:
                    seen.add(id(value))
                    yield (f"{mod_name}.{name}" if mod_name else name), value

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True):
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_name, module in modules:
            for name, value in module._own_buffers():
                yield (f"{mod_name}.{name}" if mod_name else name), value

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn):
        """Call ``fn(module)`` on every submodule (children first) and on self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------- modes
    def train(self, mode=True):
        """Set training mode (Dropout drops, BatchNorm uses batch statistics) recursively."""
        for m in self.modules():
            m.training = bool(mode)
        return self

    def eval(self):
        """Set evaluation mode recursively: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad = bool(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Clear every parameter's gradient (drop it, or fill it with zeros)."""
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.data[...] = 0

    # ------------------------------------------------------------------- dtype
    def to(self, *args, dtype=None, device=None, non_blocking=False):
        """Convert floating-point parameters and buffers to a dtype in place; return self.

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
            if p.data.dtype != dtype:
                p.data = p.data.astype(dtype)
                if p.grad is not None:
                    p.grad = Tensor(p.grad.data, dtype=dtype)
        for b in self.buffers():
            if b.data.dtype.kind == "f" and b.data.dtype != dtype:
                b.data = b.data.astype(dtype)
        return self

    def float(self):
        return self.to(np.float32)

    def double(self):
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

    def state_dict(self):
        """Name -> NumPy array (a copy) of every parameter and persistent buffer.

        Names are dotted attribute paths (``"0.weight"``, ``"bn.running_mean"``), the
        same as PyTorch uses, so ``chainrule.io.save(model.state_dict(), path)`` writes a
        file PyTorch loads into the equivalent model.
        """
        return {name: t.data.copy() for name, t in self._state_tensors().items()}

    def load_state_dict(self, state_dict, strict=True):
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
            array = np.asarray(value.data if isinstance(value, Tensor) else value)
            target = targets[name].data
            if array.shape != target.shape:
                wrong.append(f"{name}: shape {array.shape} in the state dict, {target.shape} in "
                             f"the model")
            elif not np.can_cast(array.dtype, target.dtype, casting="same_kind"):
                wrong.append(f"{name}: dtype {array.dtype} cannot be stored in {target.dtype}")
            else:
                values[name] = array
        missing = [name for name in targets if name not in state_dict]
        problems = list(wrong)
        if strict:
            if missing:
                problems.append("missing keys: " + ", ".join(missing))
            if unexpected:
                problems.append("unexpected keys: " + ", ".join(unexpected))
        if problems:
            raise StateDictError(
                f"load_state_dict into {type(self).__name__}: " + "; ".join(problems)
                + ". Build the model with the architecture the state dict was saved from"
                + (", or pass strict=False to load the matching keys only." if strict else ".")
            )
        for name, array in values.items():
            targets[name].copy_(array)
        return IncompatibleKeys(missing, unexpected)

    # -------------------------------------------------------------------- repr
    def extra_repr(self):
        """The text inside this module's parentheses in ``repr`` (its configuration)."""
        return ""

    def __repr__(self):
        extra = self.extra_repr()
        children = [f"({name}): " + repr(child).replace("\n", "\n  ")
                    for name, child in self.named_children()]
        if not children:
            return f"{type(self).__name__}({extra})"
        lines = (extra.split("\n") if extra else []) + children
        return type(self).__name__ + "(\n  " + "\n  ".join(lines) + "\n)"
