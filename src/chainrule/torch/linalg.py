"""``torch.linalg``: chainrule.linalg's functions, which take PyTorch's argument names
(``dim``/``keepdim``, ``upper``/``left``/``unitriangular``, ``rtol``) beside NumPy's and
SciPy's; on front-end tensors they return front-end tensors. Complex results
(``eig``, ``eigvals``) are out of scope, as everywhere in chainrule."""

import functools
from collections import namedtuple

import numpy as np

from chainrule import numpy as _cnp
from chainrule import primitives as _P
from chainrule.linalg import (
    LinAlgError,
    LUFactorResult,
    cholesky,
    cond,
    det,
    diagonal,
    eigh,
    eigvalsh,
    householder_product,
    inv,
    lu,
    lu_solve,
    matrix_exp,
    matrix_norm,
    matrix_power,
    matrix_rank,
    multi_dot,
    norm,
    pinv,
    slogdet,
    solve_triangular,
    svd,
    svdvals,
)
from chainrule.linalg import lstsq as _lstsq
from chainrule.linalg import qr as _qr
from chainrule.linalg import solve as _solve
from chainrule.linalg import vector_norm as _vector_norm
from chainrule.numpy.linalg import QRResult as _QRResult
from chainrule.numpy.linalg import tensorinv as _tensorinv
from chainrule.numpy.linalg import tensorsolve as _tensorsolve

from .tensor import Tensor
from .tensor import like as _like

__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eigh",
           "eigvalsh", "householder_product", "inv", "inv_ex", "lstsq", "lu", "lu_factor",
           "lu_solve", "matmul",
           "matrix_exp", "matrix_norm", "matrix_power",
           "matrix_rank", "multi_dot", "norm", "pinv", "qr", "slogdet", "solve",
           "solve_triangular", "svd", "svdvals", "tensorinv", "tensorsolve", "vecdot",
           "vector_norm"]


def _ex(name, fn, fields, failure):
    result_type = namedtuple(name, fields)

    def call(A, *, check_errors=False, out=None, **kwargs):
        """fn(A) and ``info``, one per matrix: 0 where it succeeded, otherwise LAPACK's
        code (``failure``) and a result of NaN for that matrix alone, so a program can
        test ``info`` and retry (add jitter) where it failed."""
        shape = tuple(A.shape)
        try:
            value, info = fn(A, **kwargs), np.zeros(shape[:-2], np.int32)
        except LinAlgError:
            if check_errors:
                raise
            flat = Tensor.reshape(A, (-1, *shape[-2:]))
            pieces, codes = [], []
            for m in flat:
                try:
                    pieces.append(fn(m, **kwargs))
                    codes.append(0)
                except LinAlgError:
                    pieces.append(Tensor.new_full(m, shape[-2:], float("nan")))
                    codes.append(failure(np.asarray(m._data, dtype=np.float64)))
            value = Tensor.reshape(_P.stack(pieces), shape)
            info = np.array(codes, np.int32).reshape(shape[:-2])
        return result_type(value, Tensor.new_tensor(A, info, dtype=np.int32))

    call.__name__ = name
    return call


def _failing_minor(a):
    """LAPACK potrf's info: the order of the first leading minor that is not positive
    definite."""
    for k in range(1, a.shape[-1] + 1):
        try:
            np.linalg.cholesky(a[:k, :k])
        except LinAlgError:
            return k
    return a.shape[-1]


def _zero_pivot(a):
    """LAPACK getrf's info: the (1-based) column of the first exactly zero pivot of the
    LU factorisation with partial pivoting."""
    u = a.copy()
    for j in range(u.shape[0]):
        p = j + int(np.argmax(np.abs(u[j:, j])))
        if u[p, j] == 0:
            return j + 1
        u[[j, p]] = u[[p, j]]
        u[j + 1:, j:] -= np.outer(u[j + 1:, j] / u[j, j], u[j, j:])
    return u.shape[0]


_LstsqResult = namedtuple("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution of A X = B, as PyTorch's named tuple. Like PyTorch's
    default driver ('gelsy'), it leaves residuals and singular_values empty; 'gelsd' and
    'gelss' fill them."""
    solution, residuals, rank, singular_values = _lstsq(A, B, rcond=rcond)
    if driver in (None, "gelsy"):
        residuals = singular_values = Tensor.new_zeros(solution, (0,))
    return _LstsqResult(solution, residuals,
                        Tensor.new_tensor(solution, rank, dtype=np.int64), singular_values)


def solve(A, B, *, left=True, out=None):
    """X with A X = B, or X A = B with ``left=False``.

    B is a batch of vectors when it is 1-d or has exactly A's shape without its last
    dimension (PyTorch's rule: a (3, 3) B beside a (3, 3, 3) A is three vectors, where
    NumPy would read one matrix broadcast over the batch)."""
    shape_a, shape_b = np.shape(A), np.shape(B)
    if len(shape_b) == 1 or (len(shape_b) == len(shape_a) - 1 and shape_b == shape_a[:-1]):
        if not left:  # (as PyTorch: vectors are columns, which X A = B cannot take)
            raise RuntimeError(
                f"linalg.solve: Incompatible shapes of A and B for the equation XA = B "
                f"({shape_a[-2]}x{shape_a[-1]} and {shape_b[-1]}x1); with left=False, B "
                f"must be a matrix (..., k, n): write B.unsqueeze(-2) for a row vector")
        return _like(A, _P.squeeze(_solve(A, _P.expand_dims(B, -1)), -1))
    if left:
        return _solve(A, B)
    return _swap(_solve(_swap(A), _swap(B)))


def qr(A, mode="reduced"):
    """(Q, R) with A = Q R; ``mode='r'``: R alone computed, and Q an empty tensor, as
    PyTorch returns (NumPy's mode 'r' returns R by itself)."""
    if mode == "r":
        return _QRResult(Tensor.new_zeros(A, (0,)), _qr(A, mode="r"))
    return _qr(A, mode=mode)


def _swap(x):
    return Tensor.transpose(x, -2, -1)


def vector_norm(x=None, ord=2, dim=None, keepdim=False, *, dtype=None, out=None, input=None):
    """(sum |x|^ord)^(1/ord) over ``dim`` (all elements by default), in ``dtype`` if given
    (PyTorch takes the tensor as ``x=`` or ``input=``)."""
    x = _one_of(x, input, "vector_norm", "x", "input")
    x = x if dtype is None else Tensor.to(x, dtype)
    if isinstance(dim, (tuple, list)) and not dim:
        dim = None  # (dim=(): every dimension, as PyTorch's reductions read it)
    return _vector_norm(x, ord, dim=dim, keepdim=keepdim)


def cross(input, other, *, dim=-1):
    """The cross product of 3-vectors along `dim` (broadcasting the rest)."""
    return _like(input, _cnp.cross(input, other, axis=dim))


def matmul(input, other):
    return _like(input, _P.matmul(input, other))


def vecdot(x, y, *, dim=-1):
    """The dot product of the vectors along `dim` (real tensors: no conjugation)."""
    return _like(x, _P.sum(x * y, axis=dim))


def lu_factor(A, *, pivot=True, out=None):
    """(LU, pivots): chainrule.linalg.lu_factor with the pivots as an int32 tensor."""
    from chainrule.linalg import lu_factor as _lu_factor

    from .creation import tensor

    if out is not None:
        raise TypeError("lu_factor: out= is not supported; assign the result")
    factored, pivots = _lu_factor(A, pivot=pivot)
    return LUFactorResult(factored, tensor(pivots))


def tensorinv(A, ind=2, *, out=None):
    """The inverse of A read as a matrix (its first `ind` dims against the rest)."""
    if out is not None:
        raise TypeError("tensorinv: out= is not supported; assign the result")
    return _like(A, _tensorinv(A, ind))


def tensorsolve(A, B, dims=None, *, out=None):
    """X with tensordot(A, X, X.ndim) = B (`dims` of A moved to the end first)."""
    if out is not None:
        raise TypeError("tensorsolve: out= is not supported; assign the result")
    return _like(A, _tensorsolve(A, B, dims))


def _one_of(a, b, who, name_a, name_b):
    if (a is None) == (b is None):
        raise TypeError(f"linalg.{who}(): give the tensor once, as {name_a}= or {name_b}=")
    return a if b is None else b


def _takes_A(fn):
    """``fn`` also taking its matrix argument as ``A=`` or ``input=`` (PyTorch's keyword
    names, which differ from function to function; NumPy's is ``a``)."""

    @functools.wraps(fn)
    def call(*args, **kwargs):
        for name in ("A", "input"):
            if name in kwargs:
                if args:
                    raise TypeError(f"linalg.{fn.__name__}() got multiple values for the "
                                    f"matrix argument ({name}=)")
                args = (kwargs.pop(name),)
        return fn(*args, **kwargs)

    return call


(cholesky, cond, det, eigh, eigvalsh, inv, lu, matrix_exp, matrix_norm, matrix_power,
 matrix_rank, norm, pinv, slogdet, svd, svdvals) = (
    _takes_A(f) for f in (cholesky, cond, det, eigh, eigvalsh, inv, lu, matrix_exp,
                          matrix_norm, matrix_power, matrix_rank, norm, pinv, slogdet, svd,
                          svdvals))
cholesky_ex = _ex("cholesky_ex", cholesky, ("L", "info"), _failing_minor)
inv_ex = _ex("inv_ex", inv, ("inverse", "info"), _zero_pivot)
