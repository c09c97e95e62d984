"""Sparse tensors, stored dense: ``torch.sparse_coo_tensor``, ``x.to_sparse()``,
``torch.sparse.mm`` / ``torch.spmm`` give the values and gradients PyTorch's sparse
tensors give, in dense arrays (memory grows with the full shape: a 2,708-node graph's
adjacency is 29 MB in float32). ``is_sparse`` stays False, the truth about the storage.
"""

from __future__ import annotations

import numpy as np

from ..graph import TensorBase
from ..primitives.shape import scatter_add as _scatter_add
from . import types as T

__all__ = ["mm", "sum", "softmax", "log_softmax", "addmm"]


def coo_tensor(indices, values, size=None, *, dtype=None, device=None, requires_grad=False,
               check_invariants=None, is_coalesced=None):
    """A dense tensor with ``values`` summed in at the columns of ``indices`` (ndim x nnz);
    differentiable in ``values``. ``size`` defaults to the smallest that holds them."""
    from .creation import _array, tensor
    from .tensor import front

    T.check_device(device, "sparse_coo_tensor")
    idx = np.asarray(indices._data if isinstance(indices, TensorBase) else indices)
    if idx.ndim != 2:
        raise ValueError(f"sparse_coo_tensor: indices must be (ndim, nnz), got shape "
                         f"{idx.shape}")
    idx = idx.astype(np.int64)
    if not isinstance(values, TensorBase):
        values = tensor(_array(values, dtype))
    elif dtype is not None:
        values = values.to(dtype)
    dense_dims = values.ndim - 1
    if size is None:
        size = tuple(int(m) + 1 for m in idx.max(axis=1)) + tuple(values.shape[1:]) \
            if idx.shape[1] else (0,) * idx.shape[0] + tuple(values.shape[1:])
    size = tuple(int(s) for s in size)
    if len(size) != idx.shape[0] + dense_dims:
        raise ValueError(f"sparse_coo_tensor: size {size} does not match indices of "
                         f"{idx.shape[0]} dims and values of shape {tuple(values.shape)}")
    for d in range(idx.shape[0]):
        if idx.shape[1] and (idx[d].min() < 0 or idx[d].max() >= size[d]):
            raise ValueError(f"sparse_coo_tensor: an index in dimension {d} is out of "
                             f"range for size {size[d]}")
    # Repeated coordinates add up, as coalescing does.
    out = front(_scatter_add(values, index=tuple(idx), shape=size))
    if requires_grad:  # (PyTorch's: a leaf of its own)
        out = out.detach().requires_grad_(True)
    return out


def mm(mat1, mat2, reduce="sum"):
    """The matrix product (sparse times dense in PyTorch; dense here)."""
    if reduce != "sum":
        raise NotImplementedError(f"torch.sparse.mm: reduce={reduce!r} is not supported")
    return mat1 @ mat2


def addmm(mat, mat1, mat2, *, beta=1.0, alpha=1.0):
    return beta * mat + alpha * (mat1 @ mat2)


def sum(input, dim=None, dtype=None):
    return input.sum() if dim is None else input.sum(dim)


def softmax(input, dim, *, dtype=None):
    return input.softmax(dim)


def log_softmax(input, dim, *, dtype=None):
    return input.log_softmax(dim)
