"""Sparse tensors, stored dense: ``torch.sparse_coo_tensor``, ``x.to_sparse()``,
``torch.sparse.mm`` / ``torch.spmm`` give the values and gradients PyTorch's sparse
tensors give, in dense arrays (memory grows with the full shape: a 2,708-node graph's
adjacency is 29 MB in float32). ``is_sparse`` stays False, the truth about the storage.

The products are sparse all the same: a 2-D constant made by ``sparse_coo_tensor`` or
``to_sparse()`` with few nonzeros keeps their coordinates beside its values, and
``sparse.mm``/``spmm`` of it with a dense matrix gathers and adds only those (nonzeros x
columns work, against rows x inner x columns for the dense product: a graph network's
adjacency product ran 4x PyTorch's time dense). Writing into the tensor drops them.
"""

from __future__ import annotations

import numpy as np

from ..graph import TensorBase
from ..primitives.shape import scatter_add as _scatter_add
from ..primitives.sparse import gather_rows, scatter_rows
from ..tracing import traced
from . import types as T

# Above this fraction of nonzeros the dense product (BLAS) is faster than gathering.
_SPARSE_BELOW = 0.05

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
    return remember_coordinates(out)


def remember_coordinates(t):
    """Keep the nonzeros' coordinates of a sparse 2-D constant for the products below."""
    d = t._data
    if d.ndim == 2 and not t.requires_grad and not traced(t) and d.size:
        rows, cols = np.nonzero(d)
        if rows.size <= _SPARSE_BELOW * d.size:
            t._coo = (t._version, d, rows, cols, d[rows, cols])
    return t


def _coordinates(t):
    """(rows, cols, values) of t's nonzeros if still valid (t unchanged since)."""
    coo = getattr(t, "_coo", None) if isinstance(t, TensorBase) else None
    if coo is None or coo[0] != t._version or coo[1] is not t._data or t.requires_grad:
        return None
    return coo[2:]


def mm(mat1, mat2, reduce="sum"):
    """The matrix product, sparse times dense: over the nonzeros of a sparse mat1 (see the
    module docstring), else the dense product."""
    if reduce != "sum":
        raise NotImplementedError(f"torch.sparse.mm: reduce={reduce!r} is not supported")
    coo = _coordinates(mat1)
    if coo is None or not isinstance(mat2, TensorBase) or mat2.ndim != 2 \
            or mat1.shape[1] != mat2.shape[0]:
        return mat1 @ mat2
    from .tensor import front

    rows, cols, vals = coo
    dtype = np.result_type(vals, mat2._data)
    # out[r] += vals * mat2[c] for every nonzero (r, c): linear in mat2, so its gradient
    # is the same gather and add with rows and columns exchanged
    # (the row gather and its adjoint row scatter-sum of embeddings: sorted runs added by
    # reduceat, several times faster than np.add.at)
    terms = gather_rows(mat2, cols) * vals.astype(dtype)[:, None]
    return front(scatter_rows(terms, rows, rows=mat1.shape[0]))


def addmm(mat, mat1, mat2, *, beta=1.0, alpha=1.0):
    return beta * mat + alpha * (mat1 @ mat2)


def sum(input, dim=None, dtype=None):
    return input.sum() if dim is None else input.sum(dim)


def softmax(input, dim, *, dtype=None):
    return input.softmax(dim)


def log_softmax(input, dim, *, dtype=None):
    return input.log_softmax(dim)
