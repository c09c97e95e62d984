"""Triangular solves: solve_triangular, SciPy's semantics (lower, trans, unit_diagonal).

``solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False)`` solves
``op(T) x = b`` where T is the triangle of ``a`` that is read (the lower or upper one, with
ones on the diagonal when ``unit_diagonal``) and op is the identity or the transpose.
Like scipy.linalg.solve_triangular it reads only that triangle, takes ``b`` as a vector
when it is 1-D and as a stack of (M, K) matrices otherwise, and broadcasts the leading
(batch) axes of ``a`` and ``b``.

The forward is NumPy's LU solve of the triangle (NumPy has no triangular solver, and
chainrule needs no SciPy at run time): the same solution, at LU's cost.
"""

from __future__ import annotations

import numpy as np

from .. import batching as B
from .. import statements as S
from ..domains import Example
from ..graph import is_tensor
from ..rules import composite, primitive
from .elementwise import where
from .shape import expand_dims, reshape, squeeze, swapaxes

_TRANS = {0: 0, "N": 0, "n": 0, 1: 1, "T": 1, "t": 1, 2: 1, "C": 1, "c": 1}


def normalize_trans(trans):
    """SciPy's trans argument (0/'N', 1/'T', 2/'C') as 0 or 1 (real matrices: C is T)."""
    try:
        return _TRANS[trans]
    except (KeyError, TypeError):
        raise ValueError(
            f"solve_triangular: trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}"
        ) from None


def _read_mask(n, lower, unit_diagonal):
    """The entries of an (n, n) matrix that the solve reads."""
    k = -1 if unit_diagonal else 0
    return np.tri(n, k=k, dtype=bool) if lower else ~np.tri(n, k=-1 - k, dtype=bool)


def triangle(a, lower, unit_diagonal):
    """The triangular matrix T that solve_triangular reads from `a` (array or tensor)."""
    n = np.shape(a)[-1]
    t = where(_read_mask(n, lower, unit_diagonal), a, 0)
    return where(np.eye(n, dtype=bool), 1, t) if unit_diagonal else t


def _fwd(a, b, lower=False, trans=0, unit_diagonal=False):
    a = np.asarray(a)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"solve_triangular: a must be a square matrix (..., M, M), got "
                         f"shape {a.shape}")
    t = triangle(a, lower, unit_diagonal)
    if trans:
        t = np.swapaxes(t, -1, -2)
    try:
        return np.linalg.solve(t, b)
    except np.linalg.LinAlgError:
        raise np.linalg.LinAlgError(
            "solve_triangular: singular matrix (a zero on the diagonal of the triangle read)"
        ) from None


def _op(x, trans):
    return swapaxes(x, -1, -2) if trans else x


def _vjp_a(g, ans, a, b, lower=False, trans=0, unit_diagonal=False):
    # op(T) X = B: B_bar = op(T)^-T G and op(T)_bar = -B_bar X^T, kept on the triangle read.
    gb = solve_triangular_matrix(a, g, lower, 1 - trans, unit_diagonal)
    gt = -(gb @ swapaxes(ans, -1, -2))
    n = np.shape(a)[-1]
    return where(_read_mask(n, lower, unit_diagonal), _op(gt, trans), 0)


def _vjp_b(g, ans, a, b, lower=False, trans=0, unit_diagonal=False):
    return solve_triangular_matrix(a, g, lower, 1 - trans, unit_diagonal)


def _jvp_a(t, ans, a, b, lower=False, trans=0, unit_diagonal=False):
    # dX = -op(T)^-1 op(dT) X, dT the tangent on the triangle read (its diagonal is fixed
    # when unit_diagonal).
    n = np.shape(a)[-1]
    dt = where(_read_mask(n, lower, unit_diagonal), t, 0)
    return -solve_triangular_matrix(a, _op(dt, trans) @ ans, lower, trans, unit_diagonal)


def _jvp_b(t, ans, a, b, lower=False, trans=0, unit_diagonal=False):
    return solve_triangular_matrix(a, t, lower, trans, unit_diagonal)


def _example(rng):
    a = np.triu(rng.standard_normal((3, 3))) + 3 * np.eye(3)
    return (a, rng.standard_normal((3, 2))), {"lower": False, "trans": 1}


def _batch_rule(prim, args, batched, kw):
    # np.linalg.solve broadcasts leading axes: a batched argument gets singleton axes
    # after its batch axis so that the batch axes of a and b line up (cr.vmap).
    ranks = [B.example_rank(x, b) for x, b in zip(args, batched)]
    lifted = []
    for x, b, r in zip(args, batched, ranks):
        shape = np.shape(x._data if is_tensor(x) else x)
        if b and r < max(ranks):
            x = reshape(x, shape[:1] + (1,) * (max(ranks) - r) + shape[1:])
        lifted.append(x)
    return prim(*lifted, **kw)


_solve_triangular = primitive(
    "solve_triangular", _fwd,
    batch=_batch_rule,
    domain=Example(_example),
    statement=S.Statement(
        forward="X = op(T)^-1 B, T the triangle of A read (lower or upper; unit diagonal if "
        "asked), op = identity or transpose (trans)",
        vjp="B_bar = op(T)^-T G;  A_bar = -(B_bar X^T, transposed back when trans) on the "
        "triangle read, 0 elsewhere (and on the diagonal when unit_diagonal)",
        latex_forward=r"X = \operatorname{op}(T)^{-1} B",
        latex_vjp=r"\bar B = \operatorname{op}(T)^{-\top} \bar X, \quad "
        r"\bar T = \operatorname{tri}\left(\operatorname{op}(-\bar B X^\top)\right)",
    ),
).defvjp(_vjp_a, _vjp_b).defjvp(_jvp_a, _jvp_b)


def solve_triangular_matrix(a, b, lower=False, trans=0, unit_diagonal=False):
    """The primitive on a stack of right-hand-side matrices b (..., M, K); trans 0 or 1."""
    return _solve_triangular(a, b, lower=lower, trans=trans, unit_diagonal=unit_diagonal)


@composite
def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False):
    """x with op(T) x = b, T the lower or upper triangle of a (SciPy's semantics and defaults).

    b is a vector when 1-D, else a stack of (M, K) matrices; trans is 0/'N', 1/'T' or
    2/'C'. Differentiable in a (its triangle read) and b.
    """
    trans = normalize_trans(trans)
    lower, unit_diagonal = bool(lower), bool(unit_diagonal)
    if np.ndim(b) == 1:
        x = solve_triangular_matrix(a, expand_dims(b, -1), lower, trans, unit_diagonal)
        return squeeze(x, -1)
    return solve_triangular_matrix(a, b, lower, trans, unit_diagonal)
