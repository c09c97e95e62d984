"""Making tensors with PyTorch's names, arguments and dtype defaults.

Python floats make the default dtype (float32 unless ``set_default_dtype``), Python
ints int64, bools bool. A NumPy array or a tensor keeps its dtype (``torch.tensor`` of a
float64 array is float64, as in PyTorch). ``device`` accepts "cpu" only.
"""

from __future__ import annotations

import builtins

import numpy as np

from .. import graph
from ..graph import TensorBase
from . import types as T
from .generators import draw
from .tensor import Tensor, front
from .types import shape_args as _shape_args

__all__ = [
    "arange", "as_tensor", "empty", "empty_like", "eye", "from_numpy", "full", "full_like",
    "linspace", "normal", "ones", "ones_like", "rand", "rand_like", "randint",
    "randint_like", "randn", "randn_like", "randperm", "tensor", "zeros", "zeros_like",
]


def _inferred(arr):
    """PyTorch's dtype for values given as Python numbers (NumPy made them 64-bit)."""
    kind = arr.dtype.kind
    if kind == "f":
        return T.get_default_dtype()
    if kind in "iu":
        return np.dtype(np.int64)
    if kind == "c":
        return np.dtype(np.complex64) if T.get_default_dtype() == T.float32 else arr.dtype
    return arr.dtype


def _array(data, dtype):
    """``data`` as an ndarray: in ``dtype`` if given, else in PyTorch's inferred dtype."""
    if isinstance(data, TensorBase):
        data = data._data
    if isinstance(data, (np.ndarray, np.generic)):
        arr = np.asarray(data)
    else:
        arr = np.array(data)
        if arr.dtype == object:
            raise TypeError("torch.tensor: cannot make a tensor from a ragged or non-numeric "
                            "sequence; give a rectangular list of numbers")
        if dtype is None:
            dtype = (_sequence_dtype(data, _inferred(arr)) if isinstance(data, (list, tuple))
                     else _inferred(arr))
    return arr if dtype is None else arr.astype(T.dtype_of(dtype), copy=False)


_PYTHON_NUMBERS = frozenset((bool, int, float, complex))


def _sequence_dtype(data, plain):
    """PyTorch's dtype for a nested sequence: each element's own (a NumPy scalar or
    array, or a tensor, keeps its dtype; Python numbers count in their kind's default
    dtype, `plain` for all of them), combined by PyTorch's promotion. [np.float64(1),
    2.0] is float64, a list of float64 0-d tensors float64."""
    dtype = None
    kinds = set()  # the Python number types met
    levels = [data]
    while levels:
        level = levels.pop()
        types = set(map(type, level))  # (at C speed: most lists hold only floats or ints)
        kinds |= types & _PYTHON_NUMBERS
        if types <= _PYTHON_NUMBERS:
            continue
        for item in level:
            if type(item) in _PYTHON_NUMBERS:
                continue
            if isinstance(item, (list, tuple)):
                levels.append(item)
                continue
            if isinstance(item, TensorBase):
                d = item._data.dtype
            elif isinstance(item, (np.ndarray, np.generic)):
                d = item.dtype
                if d.kind in "iu" and item.ndim == 0:
                    d = np.dtype(np.int64)  # (as PyTorch reads NumPy integer scalars)
            else:
                kinds.add(type(item))
                continue
            dtype = d if dtype is None else T.promote_dtypes(dtype, d)
    if dtype is None:
        return plain
    for kind in kinds:
        dtype = T.promote_dtypes(dtype, _inferred(np.asarray(kind(0))))
    return dtype


def _made(arr, requires_grad, device, who):
    T.check_device(device, who)
    return Tensor(arr, requires_grad=requires_grad, dtype=arr.dtype)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (dtype inferred as PyTorch does)."""
    return _made(_array(data, dtype), requires_grad, device, "tensor")


def as_tensor(data, dtype=None, device=None):
    """``data`` as a tensor, sharing memory with a NumPy array or tensor of that dtype."""
    T.check_device(device, "as_tensor")
    if isinstance(data, Tensor) and (dtype is None or T.dtype_of(dtype) == data.dtype):
        return data
    return from_numpy(_array(data, dtype))


def from_numpy(ndarray):
    """A tensor sharing ``ndarray``'s memory and dtype (writes show in both)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(ndarray).__name__})")
    return front(graph.new_tensor(ndarray))


def _filled(size, value, dtype, device, requires_grad, who):
    shape = _shape_args(size, who)
    if dtype is None:
        dtype = _inferred(np.asarray(value))
    return _made(np.full(shape, value, dtype=T.dtype_of(dtype)), requires_grad, device, who)


def zeros(*size, dtype=None, device=None, requires_grad=False, **kw):
    return _filled(_sized(size, kw, "zeros"), 0.0, dtype, device, requires_grad, "zeros")


def ones(*size, dtype=None, device=None, requires_grad=False, **kw):
    return _filled(_sized(size, kw, "ones"), 1.0, dtype, device, requires_grad, "ones")


def empty(*size, dtype=None, device=None, requires_grad=False, **kw):
    """A tensor of ``size`` (filled with zeros here: never uninitialised memory)."""
    return _filled(_sized(size, kw, "empty"), 0.0, dtype, device, requires_grad, "empty")


def _sized(size, kw, who):
    """The shape given positionally or as PyTorch's ``size=`` keyword."""
    if "size" in kw:
        if size:
            raise TypeError(f"{who}: the shape is given twice (positionally and as size=)")
        size = (kw.pop("size"),)
    if kw:
        raise TypeError(f"{who}() got an unexpected keyword argument {next(iter(kw))!r}")
    return size


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    return _filled((size,) if isinstance(size, int) else tuple(size), fill_value, dtype,
                   device, requires_grad, "full")


def _like(x, dtype):
    return T.dtype_of(dtype) if dtype is not None else np.dtype(x.dtype)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, layout=None,
               memory_format=None):
    T.check_memory_format(memory_format, "zeros_like")
    return _filled(input.shape, 0, _like(input, dtype), device, requires_grad, "zeros_like")


def ones_like(input, *, dtype=None, device=None, requires_grad=False, layout=None,
              memory_format=None):
    T.check_memory_format(memory_format, "ones_like")
    return _filled(input.shape, 1, _like(input, dtype), device, requires_grad, "ones_like")


empty_like = zeros_like


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False,
              layout=None, memory_format=None):
    T.check_memory_format(memory_format, "full_like")
    return _filled(input.shape, fill_value, _like(input, dtype), device, requires_grad,
                   "full_like")


def arange(start=None, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Values from ``start`` up to (not including) ``end``; int64 when all are ints.
    ``arange(n)``, ``arange(end=n)`` and ``arange(start, end, step)``, as PyTorch."""
    if start is None and end is None:
        raise TypeError("arange() missing required argument 'end'")
    if end is None:
        start, end = 0, start
    elif start is None:
        start = 0
    # (0-d tensors as bounds count as the numbers they hold: arange(n_tensor) is int64)
    start, end, step = (v.item() if isinstance(v, TensorBase) else v for v in (start, end, step))
    values = np.arange(start, end, step)
    if dtype is None:
        ints = all(isinstance(v, (builtins.int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else T.get_default_dtype()
    return _made(values.astype(T.dtype_of(dtype)), requires_grad, device, "arange")


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """``steps`` values from ``start`` to ``end``; floating ones rounded as PyTorch's CPU
    linspace rounds them (see _pytorch_linspace)."""
    dtype = np.dtype(T.dtype_of(dtype or T.get_default_dtype()))
    if dtype.kind == "f" and dtype.itemsize >= 4 and int(steps) > 1:
        values = _pytorch_linspace(start, end, int(steps), dtype)
    else:
        values = np.linspace(start, end, steps).astype(dtype)
    return _made(values, requires_grad, device, "linspace")


def _two_product(a, b):
    """p, e with p = fl(a * b) and a * b = p + e exactly (Dekker's splitting; float64)."""
    p = a * b

    def split(x):
        c = x * 134217729.0  # (2**27 + 1)
        hi = c - (c - x)
        return hi, x - hi

    ah, al = split(a)
    bh, bl = split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _pytorch_linspace(start, end, n, dtype):
    """PyTorch 2.13's CPU linspace in float32 or float64: step = (end - start) / (n - 1)
    rounded in the dtype; the first n // 2 values are start + step * i and the others
    end - step * (n - 1 - i), each one fused multiply-add (rounded once). The exact
    value of that multiply-add is carried as a float64 sum with its rounding errors
    (two-product, two-sum) and rounded at the end; float32 is computed in float64, where
    its products are exact, and rounded once. (np.linspace rounds differently: one ulp
    off in places, as -0.33333333333333326 for PyTorch's -0.33333333333333337.)"""
    kind = dtype.type
    first, last = kind(start), kind(end)
    step = (last - first) / kind(n - 1)
    i = np.arange(n, dtype=np.float64)
    low = i < n // 2
    factor = np.where(low, float(step), -float(step))
    count = np.where(low, i, (n - 1) - i)
    base = np.where(low, float(first), float(last))
    if dtype == np.float32:
        return (factor * count + base).astype(np.float32)  # (product exact; one rounding)
    p, e = _two_product(factor, count)
    s = base + p
    back = s - base
    t = (base - (s - back)) + (p - back)  # base + p = s + t exactly
    with np.errstate(invalid="ignore"):
        return s + (t + e)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    values = np.eye(n, m)
    return _made(values.astype(T.dtype_of(dtype or T.get_default_dtype())), requires_grad,
                 device, "eye")


# ------------------------------------------------------------------- random
def _random(size, dtype, device, requires_grad, who, sample):
    shape = _shape_args(size, who)
    dtype = T.dtype_of(dtype or T.get_default_dtype())
    return _made(sample(shape).astype(dtype), requires_grad, device, who)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, **kw):
    """Uniform samples in [0, 1)."""
    return _random(_sized(size, kw, "rand"), dtype, device, requires_grad, "rand",
                   draw(generator).random)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, **kw):
    """Standard normal samples."""
    return _random(_sized(size, kw, "randn"), dtype, device, requires_grad, "randn",
                   draw(generator).standard_normal)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, layout=None,
              memory_format=None):
    T.check_memory_format(memory_format, "rand_like")
    return rand(input.shape, dtype=_like(input, dtype), device=device,
                requires_grad=requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, layout=None,
               memory_format=None):
    T.check_memory_format(memory_format, "randn_like")
    return randn(input.shape, dtype=_like(input, dtype), device=device,
                 requires_grad=requires_grad)


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False):
    """Normal samples, PyTorch's overloads: ``normal(mean, std, size)`` of numbers (with
    ``dtype``, ``device``, ``requires_grad``), or elementwise where ``mean`` or ``std`` is
    a floating tensor (``std`` 1 by default; the shapes broadcast; the dtype is mean's
    when it is a tensor, else std's). The samples need no gradient (as PyTorch's carry
    none)."""
    tensors = [a for a in (mean, std) if isinstance(a, TensorBase)]
    if not tensors:
        if size is None:
            raise TypeError("normal(mean, std): numbers need a size, normal(mean, std, "
                            "size); or give mean or std as a tensor")
        _check_std(std)
        return _random(size, dtype, device, requires_grad, "normal",
                       lambda shape: draw(generator).normal(mean, std, shape))
    if size is not None or dtype is not None or requires_grad:
        raise TypeError("normal: size, dtype and requires_grad are for a number mean and "
                        "std; with a tensor the result has its shape and dtype")
    T.check_device(device, "normal")
    dtype = tensors[0].dtype
    for t in tensors:
        if t.dtype.kind != "f":
            raise NotImplementedError(f'"normal_kernel_cpu" not implemented for '
                                      f"'{T.SCALAR_NAMES[t.dtype]}'")
    _check_std(std)
    m, s = (a._data if isinstance(a, TensorBase) else a for a in (mean, std))
    shape = np.broadcast_shapes(np.shape(m), np.shape(s))
    return Tensor(draw(generator).normal(m, s, shape).astype(dtype), dtype=dtype)


def _check_std(std):
    if isinstance(std, TensorBase):
        if np.any(std._data < 0):
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False):
    """Integers uniform in [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=...)
        low, high = 0, low
    if size is None or high is None:
        raise TypeError("randint: give randint(high, size) or randint(low, high, size), "
                        "size a tuple")
    values = draw(generator).integers(low, high, size=_shape_args((size,), "randint"))
    return _made(values.astype(T.dtype_of(dtype or np.int64)), requires_grad, device,
                 "randint")


def randint_like(input, low=0, high=None, *, dtype=None, device=None, layout=None,
                 memory_format=None):
    T.check_memory_format(memory_format, "randint_like")
    return randint(low, high, input.shape, dtype=_like(input, dtype), device=device)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0 .. n-1."""
    values = draw(generator).permutation(n)
    return _made(values.astype(T.dtype_of(dtype or np.int64)), requires_grad, device,
                 "randperm")


def tril_indices(row, col, offset=0, *, dtype=None, device=None):
    """The (2, N) row and column indices of the lower triangle of a row x col matrix
    (diagonal ``offset``), in row-major order."""
    values = np.stack(np.tril_indices(row, offset, col))
    return _made(values.astype(T.dtype_of(dtype or np.int64)), False, device, "tril_indices")


def triu_indices(row, col, offset=0, *, dtype=None, device=None):
    """The (2, N) row and column indices of the upper triangle of a row x col matrix
    (diagonal ``offset``), in row-major order."""
    values = np.stack(np.triu_indices(row, offset, col))
    return _made(values.astype(T.dtype_of(dtype or np.int64)), False, device, "triu_indices")

