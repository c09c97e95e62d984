"""``torch.*`` constants, dtype rules, questions about tensors and modes, and the legacy
typed-tensor classes (``torch.FloatTensor``, ``torch.LongTensor``, ...).

Type promotion follows PyTorch's categories (bool < integer < floating < complex): a
higher category wins whatever the widths (``promote_types(int64, float16)`` is float16,
where NumPy gives float64), Python numbers count only by category, and 0-d tensors
yield to dimensioned tensors of their category.
"""

from __future__ import annotations

import builtins
import math
import warnings

import numpy as np

from .. import graph
from ..graph import TensorBase
from . import types as T
from .creation import _array, from_numpy, tensor
from .tensor import result_dtype_of

pi = math.pi
e = math.e
inf = math.inf
nan = math.nan
newaxis = None



class layout:
    """A tensor's memory layout: chainrule's are all ``torch.strided`` (dense)."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"


strided = layout("strided")


def _category(dtype):
    return T.CATEGORY[np.dtype(dtype).kind]


def promote_types(type1, type2):
    """The dtype two dtypes combine to, by PyTorch's rule (the higher category wins)."""
    return T.torch_dtype(T.promote_dtypes(T.dtype_of(type1), T.dtype_of(type2)))


def can_cast(from_, to):
    """Whether PyTorch casts ``from_`` to ``to`` implicitly: never to a lower category."""
    return _category(T.dtype_of(from_)) <= _category(T.dtype_of(to))


def result_type(tensor1, tensor2):
    """The dtype an operation on the two gives: dimensioned tensors first, then 0-d
    tensors of a higher category, then Python numbers of a higher category still (in
    the default dtype of their category)."""
    return T.torch_dtype(result_dtype_of((tensor1, tensor2)))


def is_signed(input):
    """Whether the tensor's dtype holds negative numbers (not bool or uint8)."""
    return input._data.dtype.kind in "ifc"


def is_same_size(input, other):
    return input.shape == other.shape


def get_device(input):
    """-1: the tensor is on the CPU (PyTorch's answer for CPU tensors)."""
    return -1


def is_inference(input):
    return False


def is_conj(input):
    return False


def is_neg(input):
    return False


def typename(obj):
    """'torch.FloatTensor' for a float32 tensor, else the object's type name."""
    if isinstance(obj, TensorBase) and hasattr(obj, "type"):
        return obj.type()
    return type(obj).__name__ if type(obj).__module__ == "builtins" else (
        f"{type(obj).__module__}.{type(obj).__qualname__}")


def is_anomaly_enabled():
    """Whether anomaly mode (torch.autograd.detect_anomaly) is on."""
    return graph.anomaly_hooks()[0] is not None


_warn_always = False


def set_warn_always(b):
    global _warn_always
    _warn_always = builtins.bool(b)


def is_warn_always_enabled():
    return _warn_always


def set_flush_denormal(mode):
    """False: flushing denormals is not supported (NumPy has no switch for it)."""
    return False


def get_num_interop_threads():
    """1: chainrule runs operations one after another (no inter-op thread pool)."""
    return 1


def set_num_interop_threads(num):
    if builtins.int(num) < 1:
        raise RuntimeError(f"set_num_interop_threads: expected a positive number, got {num}")


# ------------------------------------------------------------- legacy typed tensors
class _TypedTensorClass(type):
    """``torch.FloatTensor`` and friends: ``isinstance(x, torch.FloatTensor)`` asks for a
    float32 tensor; calling one makes a tensor of its dtype, from data or a shape."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, TensorBase) and obj._data.dtype == cls.dtype

    def __call__(cls, *args, device=None):
        T.check_device(device, cls.__name__)
        if not args:
            return tensor(np.empty(0, cls.dtype))
        if builtins.all(isinstance(a, (builtins.int, np.integer)) for a in args) or (
                len(args) == 1 and isinstance(args[0], T.Size)):
            shape = tuple(args[0]) if isinstance(args[0], T.Size) else args
            return from_numpy(np.zeros(shape, cls.dtype))  # (PyTorch's: uninitialized)
        if len(args) != 1:
            raise TypeError(f"{cls.__name__}(): give one sequence of data or a shape")
        return tensor(_array(args[0], cls.dtype))

    def __repr__(cls):
        return f"<class 'torch.{cls.__name__}'>"


def _typed(name, dtype):
    return _TypedTensorClass(name, (), {"dtype": np.dtype(dtype), "__module__": "torch"})


FloatTensor = _typed("FloatTensor", np.float32)
DoubleTensor = _typed("DoubleTensor", np.float64)
HalfTensor = _typed("HalfTensor", np.float16)
LongTensor = _typed("LongTensor", np.int64)
IntTensor = _typed("IntTensor", np.int32)
ShortTensor = _typed("ShortTensor", np.int16)
CharTensor = _typed("CharTensor", np.int8)
ByteTensor = _typed("ByteTensor", np.uint8)
BoolTensor = _typed("BoolTensor", np.bool_)

TYPED = {cls.__name__: cls for cls in (FloatTensor, DoubleTensor, HalfTensor, LongTensor,
                                       IntTensor, ShortTensor, CharTensor, ByteTensor,
                                       BoolTensor)}


def typed_dtype(t):
    """The dtype a legacy type names: a class above or its name ('torch.LongTensor')."""
    if isinstance(t, _TypedTensorClass):
        return t.dtype
    if isinstance(t, str) and t.startswith("torch.") and t[6:] in TYPED:
        return TYPED[t[6:]].dtype
    return None


def set_default_tensor_type(t):
    """The legacy form of set_default_dtype: ``torch.DoubleTensor`` (or its name)."""
    dtype = typed_dtype(t)
    if dtype is None or dtype.kind != "f":
        raise TypeError(f"set_default_tensor_type: expected a floating tensor type such as "
                        f"torch.DoubleTensor, got {t!r}")
    warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1; use "
                  "torch.set_default_dtype()", UserWarning, stacklevel=2)
    T.set_default_dtype(dtype)


__all__ = ["BoolTensor", "ByteTensor", "CharTensor", "DoubleTensor", "FloatTensor",
           "HalfTensor", "IntTensor", "LongTensor", "ShortTensor", "can_cast", "e",
           "get_device", "get_num_interop_threads", "inf", "is_anomaly_enabled", "is_conj",
           "is_inference", "is_neg", "is_same_size", "is_signed", "is_warn_always_enabled",
           "layout", "nan", "newaxis", "pi", "promote_types", "result_type",
           "set_default_tensor_type", "set_flush_denormal", "set_num_interop_threads",
           "set_warn_always", "strided", "typename"]
