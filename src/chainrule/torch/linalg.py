"""``torch.linalg``: chainrule.linalg's functions, which take PyTorch's argument names
(``dim``/``keepdim``, ``upper``/``left``/``unitriangular``, ``rtol``) beside NumPy's and
SciPy's; on front-end tensors they return front-end tensors. Complex results
(``eig``, ``eigvals``) are out of scope, as everywhere in chainrule."""

import functools

import numpy as np

from chainrule import numpy as _cnp
from chainrule import primitives as _P
from chainrule.graph import TensorBase
from chainrule.graph import values as _values
from chainrule.linalg import (
    LinAlgError,
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
    multi_dot,
    norm,
    slogdet,
    solve_triangular,
    svd,
    svdvals,
)
from chainrule.linalg import lstsq as _lstsq
from chainrule.linalg import pinv as _pinv
from chainrule.linalg import qr as _qr
from chainrule.linalg import solve as _solve
from chainrule.linalg import vector_norm as _vector_norm
from chainrule.numpy.linalg import tensorinv as _tensorinv
from chainrule.numpy.linalg import tensorsolve as _tensorsolve

from . import products, return_types
from .tensor import Tensor
from .tensor import like as _like

__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eigh",
           "eigvalsh", "householder_product", "inv", "inv_ex", "lstsq", "lu", "lu_factor",
           "lu_solve", "matmul",
           "matrix_exp", "matrix_norm", "matrix_power",
           "matrix_rank", "multi_dot", "norm", "pinv", "qr", "slogdet", "solve", "solve_ex",
           "solve_triangular", "svd", "svdvals", "tensorinv", "tensorsolve", "vander",
           "vecdot", "vector_norm"]


def _ex(name, fn, failure):
    result_type = getattr(return_types, f"linalg_{name}")

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


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution of A X = B, as PyTorch's named tuple. Like PyTorch's
    default driver ('gelsy'), it leaves residuals and singular_values empty; 'gelsd' and
    'gelss' fill them."""
    shape_a, shape_b = np.shape(A), np.shape(B)
    if len(shape_a) > 2 or len(shape_b) > 2:
        return _batched_lstsq(A, B, rcond, driver)
    solution, residuals, rank, singular_values = _lstsq(A, B, rcond=rcond)
    if driver in (None, "gelsy"):
        residuals = Tensor.new_zeros(solution, (0,))
    if driver in (None, "gelsy", "gels"):  # (singular values from gelsd and gelss only)
        singular_values = Tensor.new_zeros(solution, (0,))
    rank = Tensor.new_tensor(solution, rank, dtype=np.int64)
    if driver == "gels":  # (PyTorch's 'gels' computes no rank either)
        rank = Tensor.new_zeros(solution, (0,), dtype=np.int64)
    return return_types.linalg_lstsq(solution, residuals, rank, singular_values)


def _batched_lstsq(A, B, rcond, driver):
    """lstsq of a batch (A (..., m, n), B (..., m, k), batch shapes broadcast): one
    problem per matrix, the results stacked with PyTorch's shapes (rank and, with
    'gelsd'/'gelss', residuals and singular values per matrix)."""
    shape_a, shape_b = np.shape(A), np.shape(B)
    if len(shape_a) < 2 or len(shape_b) < 2:
        raise RuntimeError(f"linalg.lstsq: batched A (..., m, n) needs B (..., m, k), got "
                           f"shapes {shape_a} and {shape_b}")
    batch = np.broadcast_shapes(shape_a[:-2], shape_b[:-2])
    a = Tensor.reshape(_P.broadcast_to(A, batch + shape_a[-2:]), (-1, *shape_a[-2:]))
    b = Tensor.reshape(_P.broadcast_to(B, batch + shape_b[-2:]), (-1, *shape_b[-2:]))
    parts = [_lstsq(a[i], b[i], rcond=rcond) for i in range(int(np.prod(batch, dtype=int)))]
    solution = _P.reshape(_P.stack([p[0] for p in parts]), batch + (shape_a[-1], shape_b[-1]))
    rank = np.array([p[2] for p in parts], np.int64).reshape(batch)
    if driver == "gels":  # (PyTorch's 'gels' computes no rank either)
        rank = np.zeros((0,), np.int64)
    singular_values = residuals = Tensor.new_zeros(A, (0,))
    if driver not in (None, "gelsy", "gels"):
        singular_values = _P.reshape(_P.stack([p[3] for p in parts]), batch + (-1,))
    if driver not in (None, "gelsy") and all(np.shape(p[1]) == (shape_b[-1],) for p in parts):
        residuals = _P.reshape(_P.stack([p[1] for p in parts]), batch + (shape_b[-1],))
    return return_types.linalg_lstsq(_like(A, solution), residuals,
                        Tensor.new_tensor(A, rank, dtype=np.int64), _like(A, singular_values))


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


def vander(x, N=None):
    """The Vandermonde matrix of x (..., n): (..., n, N) with columns x^0, x^1, ...,
    x^(N - 1) (increasing powers, unlike NumPy's vander), by repeated products as
    PyTorch's cumulative product makes them; N defaults to n."""
    n = np.shape(x)[-1] if np.ndim(x) else 1
    N = n if N is None else int(N)
    if N < 1:
        raise RuntimeError(f"linalg.vander: N must be greater than 1, got {N}")
    columns = [np.ones(np.shape(x), _values(x).dtype)]
    for _ in range(N - 1):
        columns.append(columns[-1] * x)
    return _like(x, _P.stack(columns, axis=-1))


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    """(solve(A, B), info): info 0 per matrix that solved, else LAPACK's code (the column
    of the first zero pivot), with NaN in that matrix's solution alone."""
    batch = tuple(np.shape(A)[:-2])
    try:
        return return_types.linalg_solve_ex(
            solve(A, B, left=left), Tensor.new_tensor(A, np.zeros(batch, np.int32),
                                                      dtype=np.int32))
    except LinAlgError:
        if check_errors:
            raise
    n = np.shape(A)[-1]
    flat = np.asarray(_values(A), np.float64).reshape(-1, n, n)
    codes = np.zeros(len(flat), np.int32)
    for i, m in enumerate(flat):
        try:
            np.linalg.inv(m)
        except LinAlgError:
            codes[i] = _zero_pivot(m)
    bad = (codes != 0).reshape(batch)
    eye = np.broadcast_to(np.eye(n, dtype=np.result_type(_values(A).dtype, np.float32)),
                          np.shape(A))
    fixed = _P.where(bad[..., None, None], eye, A)  # (the good matrices keep their gradient)
    x = solve(fixed, B, left=left)
    core = np.ndim(x) - len(batch)
    nan = np.asarray(np.nan, x._data.dtype)
    return return_types.linalg_solve_ex(
        _like(A, _P.where(bad.reshape(batch + (1,) * core), nan, x)),
        Tensor.new_tensor(A, codes.reshape(batch), dtype=np.int32))


def _cutoffs(A, atol, rtol, hermitian):
    """(singular values in decreasing order, the largest, PyTorch's cutoff): per matrix
    max(atol, rtol * s_max); rtol defaults to eps * max(m, n) of A's dtype, or to 0 when a
    positive atol is given."""
    a = _values(A)
    s = (np.sort(np.abs(np.linalg.eigvalsh(a)), axis=-1)[..., ::-1] if hermitian
         else np.linalg.svd(a, compute_uv=False))  # (svd's come in decreasing order)
    atol = 0.0 if atol is None else np.asarray(_values(atol), np.float64)
    if rtol is None:
        positive = np.any(np.asarray(atol) > 0)
        rtol = 0.0 if positive else np.finfo(a.dtype if a.dtype.kind == "f"
                                              else np.float64).eps * max(a.shape[-2:])
    rtol = np.asarray(_values(rtol), np.float64)
    smax = s[..., 0] if s.shape[-1] else np.zeros(s.shape[:-1])
    return s, smax, np.maximum(atol, rtol * smax)


def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """The pseudo-inverse, singular values at most max(atol, rtol * s_max) taken as zero
    (PyTorch's tolerances; ``rcond``, the older positional form, is rtol)."""
    if rcond is not None:
        if rtol is not None:
            raise TypeError("linalg.pinv: give rcond or rtol, not both")
        rtol = rcond
    if atol is None and rtol is None:
        return _pinv(A, hermitian=hermitian)
    _, smax, cut = _cutoffs(A, atol, rtol, hermitian)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(smax > 0, cut / np.where(smax > 0, smax, 1), np.inf)
    return _pinv(A, hermitian=hermitian, rtol=relative)


def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """The number of singular values above max(atol, rtol * s_max), as PyTorch counts
    (``tol``, the older form, is atol)."""
    if tol is not None:
        if atol is not None:
            raise TypeError("linalg.matrix_rank: give tol or atol, not both")
        atol = tol
    s, _, cut = _cutoffs(A, atol, rtol, hermitian)
    rank = np.count_nonzero(s > cut[..., None], axis=-1).astype(np.int64)
    return Tensor.new_tensor(A, rank, dtype=np.int64) if isinstance(A, TensorBase) else rank


def qr(A, mode="reduced"):
    """(Q, R) with A = Q R; ``mode='r'``: R alone computed, and Q an empty tensor, as
    PyTorch returns (NumPy's mode 'r' returns R by itself)."""
    if mode == "r":
        return return_types.linalg_qr(Tensor.new_zeros(A, (0,)), _qr(A, mode="r"))
    return return_types.linalg_qr(*_qr(A, mode=mode))


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
    return _like(input, products.matmul(input, other))


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
    return return_types.linalg_lu_factor(factored, tensor(pivots))


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
cholesky_ex = _ex("cholesky_ex", cholesky, _failing_minor)
inv_ex = _ex("inv_ex", inv, _zero_pivot)


def _named_as(name, fn):
    """``fn`` returning its tuple as ``torch.return_types.<name>``."""

    @functools.wraps(fn)
    def call(*args, **kwargs):
        return return_types.returned(name, fn(*args, **kwargs))

    return call


eigh = _named_as("linalg_eigh", eigh)
lu = _named_as("linalg_lu", lu)
slogdet = _named_as("linalg_slogdet", slogdet)
svd = _named_as("linalg_svd", svd)
