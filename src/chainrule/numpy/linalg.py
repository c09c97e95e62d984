"""numpy.linalg's names over chainrule's differentiable linear algebra.

As in :mod:`chainrule.numpy`: NumPy itself runs on plain values; on chainrule tensors
the differentiable versions run and record. Matrix functions act on the last two axes.
"""

from __future__ import annotations

import typing as _typing

import numpy as np
from numpy.linalg import LinAlgError  # noqa: F401  (re-exported as NumPy's own)

from .. import graph as _graph
from .. import primitives as P
from ..primitives.spectral import _differentiated
from . import dispatch

_numpy_function = dispatch.numpy_function


# NumPy 2's result types, holding tensors: fields by name or unpacking by position.
class SVDResult(_typing.NamedTuple):
    U: _typing.Any
    S: _typing.Any
    Vh: _typing.Any


class EighResult(_typing.NamedTuple):
    eigenvalues: _typing.Any
    eigenvectors: _typing.Any


class QRResult(_typing.NamedTuple):
    Q: _typing.Any
    R: _typing.Any


class SlogdetResult(_typing.NamedTuple):
    sign: _typing.Any
    logabsdet: _typing.Any


@_numpy_function(np.linalg.norm)
def norm(x, ord=None, axis=None, keepdims=False):
    """Vector norms over one axis, matrix norms ('fro', 'nuc', 1, -1, 2, -2, inf, -inf) over two.

    The gradient at x = 0 is 0 (a subgradient) rather than NaN; ord 2, -2 and 'nuc' are
    functions of the singular values (a repeated extreme one shares the gradient).
    """
    return P.norm(_inexact(x), ord, axis, keepdims)


def _inexact(x):
    """x as NumPy's norms read it: integers and bools as float64."""
    return x if _graph.values(x).dtype.kind in "fc" else P.astype(x, np.float64)


@_numpy_function(np.linalg.matrix_norm)
def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    """The matrix norm of each matrix in the stack (the last two axes)."""
    return P.norm(_inexact(x), ord, (-2, -1), keepdims)


@_numpy_function(np.linalg.vector_norm)
def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """The vector norm over `axis` (None: all entries; a tuple: those axes together)."""
    x = _inexact(x)
    shape = np.shape(x)
    nd = len(shape)
    if axis is None:
        flat, over = P.reshape(x, (-1,)), tuple(range(nd))
    elif isinstance(axis, tuple):
        over = P.normalize_axes(axis, nd, "vector_norm")
        rest = tuple(i for i in range(nd) if i not in over)
        size = int(np.prod([shape[i] for i in over], dtype=int))
        flat = P.reshape(P.transpose(x, over + rest), (size, *[shape[i] for i in rest]))
    else:
        return P.norm(x, ord, int(axis), keepdims)
    out = P.norm(flat, ord, 0)
    if keepdims:
        out = P.reshape(out, tuple(1 if i in over else n for i, n in enumerate(shape)))
    return out


@_numpy_function(np.linalg.inv)
def inv(a):
    """Matrix inverse; d(A^-1) = -A^-1 dA A^-1."""
    return P.inv(a)


@_numpy_function(np.linalg.det)
def det(a):
    """Determinant; d det(A) = det(A) tr(A^-1 dA)."""
    return P.det(a)


@_numpy_function(np.linalg.slogdet)
def slogdet(a):
    """(sign, log|det(A)|); the log-determinant is differentiable, the sign is not."""
    return SlogdetResult(*P.slogdet(a))


@_numpy_function(np.linalg.solve)
def solve(a, b):
    """x with A x = b (b a vector if 1-D, else a stack of matrices, as NumPy 2 reads it)."""
    return P.solve(a, b)


@_numpy_function(np.linalg.cholesky)
def cholesky(a, /, *, upper=False):
    """Lower-triangular L with A = L L^T (upper=True: L^T); A is treated as symmetric."""
    lower = P.cholesky(a)
    return P.swapaxes(lower, -1, -2) if upper else lower


@_numpy_function(np.linalg.pinv)
def pinv(a, rcond=None, hermitian=False, *, rtol=None):
    """Moore-Penrose pseudo-inverse; its derivative holds where the rank is constant.

    Singular values at most rcond * s_max (or rtol * s_max; default max(M, N) * eps) count
    as zero. rtol=None here stands for NumPy's "not given".
    """
    if rcond is not None and rtol is not None:
        raise ValueError("pinv: give rcond or rtol, not both (rcond is the older name)")
    cutoff = rtol if rtol is not None else rcond
    if cutoff is not None and _cuts_nonzero(a, cutoff):
        return _truncated_pinv(a, cutoff, hermitian)
    return P.pinv(a, rcond=rcond, hermitian=hermitian, rtol=rtol)


def _cuts_nonzero(a, cutoff):
    """Whether the cutoff (relative to s_max) drops a singular value that is not zero to
    rounding (above max(M, N) eps s_max): pinv's rule, valid for a constant rank with
    the dropped values zero, would then miss how the kept singular vectors turn toward
    the dropped ones."""
    if not _graph.is_traced(a):
        return False
    values = np.asarray(_graph.values(a), np.float64)
    if values.size == 0:
        return False
    s = np.linalg.svd(values, compute_uv=False)
    top = s[..., :1]
    noise = np.finfo(np.float64).eps * max(values.shape[-2:]) * top
    kept = s > np.asarray(cutoff)[..., None] * top
    if not np.any(~kept & (s > noise)):
        return False
    # The SVD's rule needs the kept singular values distinct (their vectors are not
    # determined otherwise): with a repeated one the constant-rank rule stays.
    gaps = -np.diff(s, axis=-1)
    return not np.any(kept[..., 1:] & (gaps <= 1e-8 * top))


def _truncated_pinv(a, cutoff, hermitian):
    """V diag(1/s) U^T over the singular values above cutoff * s_max (NumPy's pinv),
    differentiated through the SVD: the derivative of the truncated inverse."""
    u, s, vh = svd(a, full_matrices=False, hermitian=hermitian)
    sv = _graph.values(s)
    keep = sv > np.asarray(cutoff)[..., None] * sv[..., :1]
    inverse = P.where(keep, 1 / P.where(keep, s, 1), 0)
    return P.matmul(P.swapaxes(vh, -1, -2) * P.expand_dims(inverse, -2),
                    P.swapaxes(u, -1, -2))


# ------------------------------------------------------------ decompositions
@_numpy_function(np.linalg.svd)
def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """A = U diag(S) Vh: SVDResult(U, S, Vh), or S alone (compute_uv=False).

    Differentiable in every factor (chainrule.primitives.spectral): where singular values
    repeat or vanish, the undetermined singular vectors do not move, so quantities of S
    alone keep exact gradients; the vectors' own gradients are undefined there.
    hermitian=True decomposes through eigh, as NumPy does.
    """
    if hermitian:
        return _hermitian_svd(a, compute_uv)
    if not compute_uv:
        return P.svdvals(a)
    u, s, vh = P.svd_factors(P.svd(a, full_matrices=full_matrices), np.shape(a), full_matrices)
    return SVDResult(u, s, vh)


def _hermitian_svd(a, compute_uv):
    # NumPy's construction: s = |w| sorted descending, U the eigenvectors in that order,
    # Vh = (U * sign(w))^T.
    if not compute_uv:
        w = P.abs(P.eigvalsh(a))
        return P.flip(P.sort(w, axis=-1), -1)
    w, v = eigh(a)
    order = np.flip(np.argsort(np.abs(w._data), axis=-1), -1)
    sign = np.take_along_axis(np.sign(w._data), order, axis=-1)
    s = P.take_along_axis(P.abs(w), order, -1)
    u = P.take_along_axis(v, order[..., None, :], -1)
    return SVDResult(u, s, P.swapaxes(u * sign[..., None, :], -1, -2))


@_numpy_function(np.linalg.svdvals)
def svdvals(x, /):
    """Singular values, descending (svd's S)."""
    return P.svdvals(x)


def _check_uplo(UPLO):
    if not isinstance(UPLO, str) or UPLO.upper() not in ("L", "U"):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return UPLO.upper()


@_numpy_function(np.linalg.eigh)
def eigh(a, UPLO="L"):
    """A = V diag(w) V^T for symmetric A: EighResult(eigenvalues ascending, eigenvectors).

    Only the UPLO triangle of A is read; the gradient is symmetric (A is treated as
    symmetric). At repeated eigenvalues the eigenvectors of the repeated block do not
    move: sums and functions of the eigenvalues keep exact gradients, the vectors' own
    gradients are undefined there.
    """
    packed = P.eigh(a, UPLO=_check_uplo(UPLO))
    return EighResult(*P.eigh_factors(packed, np.shape(a)[-1]))


@_numpy_function(np.linalg.eigvalsh)
def eigvalsh(a, UPLO="L"):
    """Eigenvalues of a symmetric matrix, ascending (eigh's w)."""
    return P.eigvalsh(a, UPLO=_check_uplo(UPLO))


_QR_MODES = ("reduced", "complete", "r", "raw")


@_numpy_function(np.linalg.qr)
def qr(a, mode="reduced"):
    """A = Q R: QRResult(Q, R) ('reduced', 'complete'), or R alone ('r').

    Differentiable when the first min(M, N) columns of A are independent; mode='raw'
    (Householder reflectors) has no derivative.
    """
    if mode not in _QR_MODES:
        raise ValueError(f"qr: unrecognized mode {mode!r}; use one of {_QR_MODES}")
    if mode == "raw":
        if _differentiated(a):
            raise TypeError("qr: mode='raw' (Householder reflectors) has no derivative; use "
                            "mode='reduced' or 'complete', or pass a.detach()")
        return tuple(_graph.new_tensor(o) for o in np.linalg.qr(a._data, mode=mode))
    full = "complete" if mode == "complete" else "reduced"
    q, r = P.qr_factors(P.qr(a, mode=full), np.shape(a), full)
    return r if mode == "r" else QRResult(q, r)


@_numpy_function(np.linalg.lstsq)
def lstsq(a, b, rcond=None):
    """(x, residuals, rank, s): the minimum-norm least-squares solution of a x = b.

    x and the residuals (the squared norm of each column of b - a x, when rank = N < M;
    otherwise empty) are differentiable in a and b, s in a; rank is an int. Singular
    values at most rcond * s_max count as zero (default: eps * max(M, N)).
    """
    if np.ndim(a) != 2 or np.ndim(b) not in (1, 2):
        raise LinAlgError(f"lstsq: a must be 2-D and b 1-D or 2-D, got shapes "
                          f"{np.shape(a)} and {np.shape(b)}")
    m, n = np.shape(a)
    eps = np.finfo(np.float64).eps
    cut = eps * max(m, n) if rcond is None else (eps if rcond < 0 else rcond)
    if _cuts_nonzero(a, cut):  # (see pinv)
        x = P.matmul(_truncated_pinv(a, cut, False), b)
    else:
        x = P.lstsq(a, b, rcond=rcond)
    s = P.svdvals(a)
    values = s._data if _graph.is_tensor(s) else np.asarray(s)
    rank = np.int32(np.count_nonzero(values > cut * values[0]) if values.size else 0)
    if rank == n and m > n:
        r = b - P.matmul(a, x)
        residuals = P.sum(r * r, axis=0)
        if np.ndim(b) == 1:
            residuals = P.reshape(residuals, (1,))
    else:
        residuals = _graph.new_tensor(np.array([], dtype=x._data.dtype))
    return x, residuals, rank, s


@_numpy_function(np.linalg.cond)
def cond(x, p=None):
    """Condition number: s_max / s_min (p None or 2; -2 the inverse), else
    norm(x, p) * norm(inv(x), p); infinite for a singular matrix."""
    return P.cond(x, p)


@_numpy_function(np.linalg.matrix_rank)
def matrix_rank(A, tol=None, hermitian=False, *, rtol=None):
    """Number of singular values above tol (default s_max * max(M, N) * eps); no gradient."""
    tol, rtol = (v._data if _graph.is_tensor(v) else v for v in (tol, rtol))
    return P.matrix_rank(A, tol=tol, hermitian=hermitian, rtol=rtol)


@_numpy_function(np.linalg.matrix_power)
def matrix_power(a, n):
    """A^n by repeated squaring (n < 0 inverts first)."""
    if n < 0:
        a, n = P.inv(a), -n
    if n == 0:
        # The identity, as a tensor on the graph whose derivative in a is exactly zero.
        eye = np.broadcast_to(np.eye(np.shape(a)[-1], dtype=a._data.dtype), np.shape(a))
        return P.where(np.zeros(np.shape(a), dtype=bool), a, eye)
    result = None
    power = a
    while n:
        if n & 1:
            result = power if result is None else P.matmul(result, power)
        n >>= 1
        if n:
            power = P.matmul(power, power)
    return result


@_numpy_function(np.linalg.multi_dot, sequences=("arrays",))
def multi_dot(arrays, *, out=None):
    """Product of a chain of matrices (1-D ends are vectors), left to right."""
    if out is not None:
        raise TypeError("multi_dot: out= cannot hold a result computed from chainrule tensors")
    arrays = list(arrays)
    result = arrays[0]
    for m in arrays[1:]:
        result = P.dot(result, m)
    return result


@_numpy_function(np.linalg.tensorinv)
def tensorinv(a, ind=2):
    """The inverse of a read as a matrix: its first `ind` axes against the rest."""
    shape = np.shape(a)
    if ind <= 0:
        raise ValueError("tensorinv: ind must be a positive integer")
    rows = int(np.prod(shape[:ind]))
    cols = int(np.prod(shape[ind:]))
    if rows != cols:
        raise LinAlgError(f"tensorinv: the first {ind} axes of a (size {rows}) and the rest "
                          f"(size {cols}) must have the same size")
    inverse = P.inv(P.reshape(a, (rows, cols)))
    return P.reshape(inverse, tuple(shape[ind:]) + tuple(shape[:ind]))


@_numpy_function(np.linalg.tensorsolve)
def tensorsolve(a, b, axes=None):
    """x with tensordot(a, x, x.ndim) = b: a read as a matrix, b's axes against the rest
    (``axes`` moved to the end of a first)."""
    if axes is not None:
        order = [k for k in range(np.ndim(a)) if k not in [ax % np.ndim(a) for ax in axes]]
        a = P.transpose(a, tuple(order) + tuple(ax % np.ndim(a) for ax in axes))
    shape = np.shape(a)
    x_shape = shape[np.ndim(b):]
    rows = int(np.prod(np.shape(b)))
    cols = int(np.prod(x_shape))
    if rows != cols:
        raise LinAlgError(f"tensorsolve: b has {rows} elements, the solution {cols}: a must "
                          f"read as a square matrix")
    x = P.solve(P.reshape(a, (rows, cols)), P.reshape(b, (rows, 1)))
    return P.reshape(x, x_shape)


@_numpy_function(np.linalg.matrix_transpose)
def matrix_transpose(x):
    """Transpose of the last two axes."""
    return P.swapaxes(x, -1, -2)


@_numpy_function(np.linalg.trace)
def trace(x, /, *, offset=0, dtype=None):
    """Trace of each matrix in the stack (the last two axes)."""
    r = P.trace(x, offset, -2, -1)
    return r if dtype is None else P.astype(r, dtype=np.dtype(dtype))


@_numpy_function(np.linalg.diagonal)
def diagonal(x, /, *, offset=0):
    """Diagonal of each matrix in the stack (the last two axes)."""
    return P.diagonal(x, offset, -2, -1)


@_numpy_function(np.linalg.outer)
def outer(x1, x2, /):
    """Outer product of two vectors."""
    return P.outer(x1, x2)
