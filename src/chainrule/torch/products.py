"""PyTorch's matrix products refuse operands of different dtypes.

``torch.mm``, ``matmul`` (``@``), ``bmm``, ``mv``, ``dot``, ``addmm``, ``addmv``,
``baddbmm``, ``addbmm``, ``inner``, ``tensordot`` and ``F.linear`` (so ``nn.Linear``) raise
RuntimeError when a float32 tensor meets a float64 one (or any two dtypes differ), where
NumPy, and chainrule's engine, promote. Elementwise operations promote in PyTorch too, and
keep doing so here. (A chainrule tensor, the engine's class, among the operands keeps the
engine's promotion: its operations are NumPy's wherever it goes.) The checks below raise
PyTorch's own messages (each kernel words its own: ``mm`` names C++ types, ``bmm`` scalar
types, ...), so a program's error handling and its author's search for the message find
what they would under PyTorch.
"""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from ..graph import TensorBase
from . import types as T

__all__ = ["bmm", "check_addmm", "check_addmv", "check_baddbmm", "check_linear",
           "check_matmul", "check_same", "matmul", "mm"]

# The C++ type names PyTorch's mm prints ("float != double").
_CPP_NAMES = {np.dtype(np.float16): "c10::Half", np.dtype(np.float32): "float",
              np.dtype(np.float64): "double", np.dtype(np.int8): "signed char",
              np.dtype(np.int16): "short int", np.dtype(np.int32): "int",
              np.dtype(np.int64): "long int", np.dtype(np.uint8): "unsigned char",
              np.dtype(np.bool_): "bool", np.dtype(np.complex64): "c10::complex<float>",
              np.dtype(np.complex128): "c10::complex<double>"}
_COMPLEX_NAMES = {np.dtype(np.complex64): "ComplexFloat",
                  np.dtype(np.complex128): "ComplexDouble"}


def _dtype(t):
    return t._data.dtype if isinstance(t, TensorBase) else None


def _scalar_name(d):
    return T.SCALAR_NAMES.get(d) or _COMPLEX_NAMES.get(d, d.name)


def _cpp_name(d):
    return _CPP_NAMES.get(d, d.name)


def _differ(*tensors):
    """Whether the tensors among ``tensors`` (None and non-tensors skipped) have more than
    one dtype, all of them the front end's. A chainrule tensor among them (the engine's
    class, given to a front-end function) keeps the engine's NumPy promotion, as its
    other operations do."""
    present = [t for t in tensors if isinstance(t, TensorBase)]
    if len({t._data.dtype for t in present}) < 2:
        return False
    from .tensor import Tensor  # (tensor.py imports this module)

    return all(isinstance(t, Tensor) for t in present)


def _mm_message(a, b):
    return (f"expected m1 and m2 to have the same dtype, but got: {_cpp_name(_dtype(a))} != "
            f"{_cpp_name(_dtype(b))}")


def _bmm_message(a, b):
    return (f"expected scalar type {_scalar_name(_dtype(a))} but found "
            f"{_scalar_name(_dtype(b))}")


def check_same(kind, a, b):
    """``a`` and ``b`` (the operands of one product, in order) of one dtype, else PyTorch's
    error of that ``kind`` of kernel: "mm", "bmm", "dot" or "inner" (inner, tensordot)."""
    if not _differ(a, b):
        return
    if kind == "mm":
        raise RuntimeError(_mm_message(a, b))
    if kind == "bmm":
        raise RuntimeError(_bmm_message(a, b))
    if kind == "dot":
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{_scalar_name(_dtype(a))} and {_scalar_name(_dtype(b))}")
    raise RuntimeError("both inputs should have same dtype")


def check_addmv(input, mat, vec):
    """addmv's check of its three operands (mv's input is the vector itself)."""
    if _differ(input, mat, vec):
        names = ", ".join(_scalar_name(_dtype(t)) for t in (input, mat))
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {names}, "
                           f"and {_scalar_name(_dtype(vec))}")


def check_addmm(input, mat1, mat2):
    """addmm's checks, in PyTorch's order: self (the added term) against mat2, then mat1
    against mat2."""
    for name, t in (("self", input), ("mat1", mat1)):
        if _differ(t, mat2):
            raise RuntimeError(f"{name} and mat2 must have the same dtype, but got "
                               f"{_scalar_name(_dtype(t))} and {_scalar_name(_dtype(mat2))}")


def check_baddbmm(input, batch1, batch2):
    if _differ(input, batch1):
        raise RuntimeError(f"Input dtypes must be the same, got: input "
                           f"{_cpp_name(_dtype(input))}, batch1: {_cpp_name(_dtype(batch1))}, "
                           f"batch2: {_cpp_name(_dtype(batch2))}")
    check_same("bmm", batch1, batch2)


def check_matmul(a, b):
    """matmul's check: the kernel its operands' dimensions choose reports (PyTorch's
    matmul folds to dot, mv, mm or bmm)."""
    if not _differ(a, b):
        return
    na, nb = np.ndim(a._data), np.ndim(b._data)
    if na == 0 or nb == 0:
        return  # (matmul refuses 0-d operands whatever their dtypes; the engine says so)
    if na == 1 and nb == 1:
        check_same("dot", a, b)
    elif nb == 1:  # (a matrix, or a stack folded into one, times a vector: mv)
        check_addmv(b, a, b)
    elif nb == 2:  # (a vector or a stack of matrices folded into one matrix: mm)
        check_same("mm", a, b)
    else:
        check_same("bmm", a, b)


def matmul_error(error, a, b):
    """``error`` (the engine's ValueError for operands that do not fit) as PyTorch's
    RuntimeError, a ShapeError (a ValueError too): its "mat1 and mat2" message for two
    matrices, the engine's message otherwise."""
    if isinstance(error, T.ShapeError):
        return error
    sa = np.shape(a._data if isinstance(a, TensorBase) else a)
    sb = np.shape(b._data if isinstance(b, TensorBase) else b)
    if len(sa) == 2 and len(sb) == 2 and sa[1] != sb[0]:
        return T.ShapeError(T.matmul_mismatch(sa, sb))
    return T.ShapeError(*error.args)


def linear_error(error, input, weight):
    """F.linear's shape error as PyTorch reports it: input folded to a matrix times
    weight.T ("mat1 and mat2 shapes cannot be multiplied (5x4 and 8x3)")."""
    if isinstance(error, T.ShapeError):
        return error
    si = np.shape(input._data if isinstance(input, TensorBase) else input)
    sw = np.shape(weight._data if isinstance(weight, TensorBase) else weight)
    if len(si) >= 1 and len(sw) == 2 and si[-1] != sw[1]:
        rows = int(np.prod(si[:-1])) if len(si) > 1 else 1
        return T.ShapeError(T.matmul_mismatch((rows, si[-1]), (sw[1], sw[0])))
    return error


def check_linear(input, weight, bias=None):
    """F.linear's check: addmm(bias, input, weight.T) with a bias, matmul without."""
    if bias is not None and np.ndim(weight._data) == 2 and isinstance(bias, TensorBase):
        check_addmm(bias, input, weight)
    elif isinstance(input, TensorBase) and isinstance(weight, TensorBase):
        check_matmul(input, weight)  # (weight.T: the same dimensions and dtype)


# ------------------------------------------------------------------ the products
def matmul(input, other):
    if isinstance(input, TensorBase) and isinstance(other, TensorBase):
        check_matmul(input, other)
    try:
        return P.matmul(input, other)
    except ValueError as e:
        raise matmul_error(e, input, other) from None


def mm(input, mat2):
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"mm: both arguments must be matrices, got shapes "
                           f"{tuple(input.shape)} and {tuple(mat2.shape)}")
    check_same("mm", input, mat2)
    return P.matmul(input, mat2)


def bmm(input, mat2):
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError(f"bmm: both arguments must be 3-D (batches of matrices), got "
                           f"shapes {tuple(input.shape)} and {tuple(mat2.shape)}")
    check_same("bmm", input, mat2)
    return P.matmul(input, mat2)
