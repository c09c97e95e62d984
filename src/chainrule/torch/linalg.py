"""``torch.linalg``: chainrule.linalg's functions, which take PyTorch's argument names
(``dim``/``keepdim``, ``upper``/``left``/``unitriangular``, ``rtol``) beside NumPy's and
SciPy's; on front-end tensors they return front-end tensors. Complex results
(``eig``, ``eigvals``) are out of scope, as everywhere in chainrule."""

from chainrule.linalg import (
    LinAlgError,
    cholesky,
    cond,
    det,
    diagonal,
    eigh,
    eigvalsh,
    inv,
    lstsq,
    matrix_exp,
    matrix_norm,
    matrix_power,
    matrix_rank,
    multi_dot,
    norm,
    pinv,
    qr,
    slogdet,
    solve,
    solve_triangular,
    svd,
    svdvals,
    vector_norm,
)

__all__ = ["LinAlgError", "cholesky", "cond", "det", "diagonal", "eigh", "eigvalsh", "inv",
           "lstsq", "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot",
           "norm", "pinv", "qr", "slogdet", "solve", "solve_triangular", "svd", "svdvals",
           "vector_norm"]
