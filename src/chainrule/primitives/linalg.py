"""Products: matmul (NumPy semantics for 1-D, 2-D and batched operands), dot, einsum."""

from __future__ import annotations

import string

import numpy as np

from .. import batching as B
from .. import statements as S
from ..domains import Example
from ..rules import composite, each_argument, primitive
from .shape import expand_dims, reshape, squeeze, swapaxes


def _matmul_fwd(a, b):
    try:
        return np.matmul(a, b)
    except ValueError:
        if np.ndim(a) == 0 or np.ndim(b) == 0:
            raise ValueError(
                f"matmul: operands must be at least 1-D, got shapes {np.shape(a)} and "
                f"{np.shape(b)}; use * for scalar multiplication"
            ) from None
        sa, sb = np.shape(a), np.shape(b)
        k = sb[-2] if len(sb) > 1 else sb[0]
        if sa[-1] != k:
            raise ValueError(
                f"matmul: shapes {sa} and {sb} are not aligned ({sa[-1]} != {k})"
            ) from None
        raise ValueError(
            f"matmul: shapes {sa} and {sb} have batch dimensions {sa[:-2]} and {sb[:-2]} "
            f"that do not broadcast together"
        ) from None


def _matmul_vjp_a(g, ans, a, b):
    if type(b) is np.ndarray and b.ndim == 2 and type(g) is np.ndarray and g.ndim == 2:
        return np.matmul(g, b.T)  # first order, matrices: G B^T without the wrappers
    if np.ndim(b) == 1:
        if np.ndim(a) == 1:
            return g * b
        return expand_dims(g, -1) * b
    if np.ndim(a) == 1:
        return squeeze(b @ expand_dims(g, -1), -1)
    return g @ swapaxes(b, -1, -2)


def _matmul_vjp_b(g, ans, a, b):
    if type(a) is np.ndarray and a.ndim == 2 and type(g) is np.ndarray and g.ndim == 2:
        return np.matmul(a.T, g)  # first order, matrices: A^T G
    if np.ndim(a) == 1:
        if np.ndim(b) == 1:
            return g * a
        return expand_dims(a, -1) * expand_dims(g, -2)
    if np.ndim(b) == 1:
        return squeeze(swapaxes(a, -1, -2) @ expand_dims(g, -1), -1)
    return swapaxes(a, -1, -2) @ g


# d(A B) = dA B + A dB; the VJPs are G B^T and A^T G, summed over broadcast batch axes.
matmul = primitive(
    "matmul", _matmul_fwd,
    multilinear=True,
    batch=B.matmul_rule,
    domain=Example(lambda rng: ((rng.standard_normal((3, 4)), rng.standard_normal((4, 2))), {})),
    statement=S.Statement(
        forward="Y = A B (NumPy's matmul: vectors, matrices, batches)",
        vjp="A_bar = G B^T;  B_bar = A^T G  (summed over broadcast batch axes)",
        latex_forward="Y = AB",
        latex_vjp=r"\bar A = \bar Y B^\top, \quad \bar B = A^\top \bar Y",
    ),
).defvjp(_matmul_vjp_a, _matmul_vjp_b)


@composite
def dot(a, b):
    """NumPy's dot: scalar product for 0-d, matmul for 1-D and 2-D, tensordot beyond."""
    na, nb = np.ndim(a), np.ndim(b)
    if na == 0 or nb == 0:
        return a * b
    if na <= 2 and nb <= 2:
        return matmul(a, b)
    # dot(a, b)[i.., k.., m] = sum_j a[i.., j] * b[k.., j, m]
    la = string.ascii_lowercase[: na - 1]
    lb = string.ascii_lowercase[na - 1 : na - 1 + nb]
    j = "z"
    if nb == 1:
        return einsum(f"{la}{j},{j}->{la}", a, b)
    return einsum(f"{la}{j},{lb[:-2]}{j}{lb[-1]}->{la}{lb[:-2]}{lb[-1]}", a, b)


# ------------------------------------------------------------------- einsum
def _explicit(subscripts, shapes):
    """Rewrite einsum subscripts with '->' and without '...' (letters stand in for it)."""
    subs = subscripts.replace(" ", "")
    ins, out = subs.split("->") if "->" in subs else (subs, None)
    terms = ins.split(",")
    if len(terms) != len(shapes):
        raise ValueError(
            f"einsum: {len(terms)} operand subscripts in {subscripts!r} but "
            f"{len(shapes)} operands"
        )
    spare = [c for c in string.ascii_letters if c not in subs]
    widths = [len(s) - (len(t) - 3) for t, s in zip(terms, shapes) if "..." in t]
    ell = "".join(spare[: max(widths, default=0)])
    terms = [
        t.replace("...", ell[len(ell) - (len(s) - (len(t) - 3)) :]) if "..." in t else t
        for t, s in zip(terms, shapes)
    ]
    if out is None:
        counts = {}
        for t in terms:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in ell))
    else:
        out = out.replace("...", ell)
    return terms, out


def _einsum_vjp(i, g, ans, *ops, subscripts):
    terms, out = subscripts
    mine = terms[i]
    if len(set(mine)) != len(mine):
        raise NotImplementedError(
            f"einsum: no gradient for an operand with a repeated index ({mine!r}); "
            f"take the diagonal first with cr.diagonal or index it explicitly"
        )
    others = [t for j, t in enumerate(terms) if j != i]
    reach = set(out).union(*others) if others else set(out)
    kept = "".join(c for c in mine if c in reach)
    rest = [op for j, op in enumerate(ops) if j != i]
    grad = _einsum(g, *rest, subscripts=([out, *others], kept))
    if kept == mine:
        return grad
    # Indices summed away inside this operand alone: broadcast the gradient over them.
    shape = np.shape(ops[i])
    grad = reshape(grad, tuple(shape[k] if c in reach else 1 for k, c in enumerate(mine)))
    return grad * np.ones(shape, dtype=np.result_type(grad))


_einsum = primitive(
    "einsum",
    lambda *ops, subscripts: np.einsum(",".join(subscripts[0]) + "->" + subscripts[1], *ops),
    multilinear=True,
    batch=B.einsum_rule,
    domain=Example(
        lambda rng: (
            (rng.standard_normal((3, 4)), rng.standard_normal((4, 2))),
            {"subscripts": (["ij", "jk"], "ik")},
        )
    ),
    statement=S.Statement(
        forward="Einstein summation of the operands",
        vjp="each operand's x_bar = einsum of g with the other operands, onto its indices",
        latex_forward=r"Y_{ik} = \sum_j A_{ij} B_{jk}",
        latex_vjp=r"\bar A_{ij} = \sum_k \bar Y_{ik} B_{jk}",
    ),
).defvjp(each_argument(_einsum_vjp))


@composite
def einsum(subscripts, *operands):
    """Einstein summation (NumPy's einsum), differentiable in every operand."""
    return _einsum(*operands, subscripts=_explicit(subscripts, [np.shape(o) for o in operands]))
