"""Products: matmul (NumPy semantics for 1-D, 2-D and batched operands), dot, einsum."""

from __future__ import annotations

import math
import string
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import batching as B
from .. import statements as S
from .. import threads
from ..domains import Example
from ..rules import composite, each_argument, primitive
from .shape import expand_dims, reshape, squeeze, swapaxes

if TYPE_CHECKING:
    from ..api_types import Operand
    from ..tensor import Tensor



def _matmul_fwd(a, b):
    # The BLAS thread policy (chainrule.threads) by multiply-adds: every element of a
    # meets a column of b. (Inline attribute reads: this runs for every product.)
    try:
        work = a.size * (b.shape[-1] if b.ndim > 1 else 1)
    except AttributeError:  # a Python number or list: np.matmul raises or converts
        work = np.size(a) * (np.shape(b)[-1] if np.ndim(b) > 1 else 1)
    if work >= threads.PARALLEL_WORK or threads.current != 1:
        threads.use_for(work)
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
        work = g.size * b.shape[0]
        if work >= threads.PARALLEL_WORK or threads.current != 1:
            threads.use_for(work)
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
        work = g.size * a.shape[0]
        if work >= threads.PARALLEL_WORK or threads.current != 1:
            threads.use_for(work)
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
def dot(a: Operand, b: Operand) -> Tensor:
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
    shape = np.shape(ops[i])
    size = dict(zip(mine, shape))
    distinct = "".join(dict.fromkeys(mine))  # 'iij' -> 'ij'
    others = [t for j, t in enumerate(terms) if j != i]
    reach = set(out).union(*others) if others else set(out)
    kept = "".join(c for c in distinct if c in reach)
    rest = [op for j, op in enumerate(ops) if j != i]
    grad = _einsum(g, *rest, subscripts=([out, *others], kept))
    if kept != distinct:
        # Indices summed away inside this operand alone: broadcast the gradient over them.
        grad = reshape(grad, tuple(size[c] if c in reach else 1 for c in distinct))
        grad = grad * np.ones(tuple(size[c] for c in distinct), dtype=np.result_type(grad))
    if distinct == mine:
        return grad
    return _onto_diagonals(grad, distinct, mine, size, terms, out)


def _onto_diagonals(grad, distinct, mine, size, terms, out):
    """A gradient over the distinct indices of a term with a repeated index ('ii', 'iij'),
    placed on its diagonals: x_bar[i, i', j] = grad[i, j] delta(i, i'). Written as an
    einsum with identity matrices, so it is linear in grad and serves every order."""
    used = set(out).union(*terms)
    fresh = iter(c for c in string.ascii_letters if c not in used)
    target, deltas, seen = [], [], set()
    for c in mine:
        if c in seen:
            f = next(fresh)
            target.append(f)
            deltas.append(c + f)
        else:
            seen.add(c)
            target.append(c)
    dtype = np.result_type(grad)
    eyes = [np.eye(size[d[0]], dtype=dtype) for d in deltas]
    return _einsum(grad, *eyes, subscripts=([distinct, *deltas], "".join(target)))


# NumPy's einsum loops over every index combination in C unless asked to optimize, when
# it plans pairwise contractions through tensordot (BLAS) at ~20-40 us of planning per
# call. Attention scores 'bhid,bhjd->bhij' of (8, 4, 256, 16) float32: 20 ms plain, 1.5
# ms optimized; a (3, 4) by (4, 5) product: 3.5 us plain, 25 us optimized. So optimize
# when the plain loop would run over more index combinations than this.
_OPTIMIZE_ABOVE = 100_000


def _einsum_fwd(*ops, subscripts):
    terms, out = subscripts
    spec = ",".join(terms) + "->" + out
    if len(ops) > 1:
        sizes = {c: n for term, op in zip(terms, ops) for c, n in zip(term, np.shape(op))}
        if math.prod(sizes.values()) > _OPTIMIZE_ABOVE:
            return np.einsum(spec, *ops, optimize=True)
    return np.einsum(spec, *ops)


_einsum = primitive(
    "einsum",
    _einsum_fwd,
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
def einsum(subscripts: str, *operands: Operand) -> Any:
    """Einstein summation (NumPy's einsum), differentiable in every operand.

    Subscripts as a string ('ij,jk->ik', 'ii->i', '...ij,...jk') or NumPy's sublist
    form: einsum(a, [0, 1], b, [1, 2], [0, 2]).
    """
    if not isinstance(subscripts, str):
        subscripts, operands = _from_sublists(subscripts, *operands)
    return _einsum(*operands, subscripts=_explicit(subscripts, [np.shape(o) for o in operands]))


def _from_sublists(*args):
    """NumPy's sublist form (op, [0, 1], op, [1, 2], [0, 2]) as a subscript string and operands."""
    pairs = len(args) // 2
    operands = args[0 : 2 * pairs : 2]
    sublists = list(args[1 : 2 * pairs : 2])
    output = args[-1] if len(args) % 2 else None

    def letters(sub):
        text = ""
        for k in sub:
            if k is Ellipsis:
                text += "..."
            elif isinstance(k, (int, np.integer)) and 0 <= k < 52:
                text += string.ascii_letters[k]
            else:
                raise ValueError(
                    f"einsum: sublist entries must be integers in [0, 52) or Ellipsis, got {k!r}"
                )
        return text

    subscripts = ",".join(letters(s) for s in sublists)
    if output is not None:
        subscripts += "->" + letters(output)
    return subscripts, operands
