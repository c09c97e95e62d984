"""``explain(name)``: a primitive's derivative in words and LaTeX, checked on the spot.

Each primitive carries its statement (chainrule.statements) and its domain
(chainrule.domains), declared where it is defined. ``explain("log_softmax")`` prints the
statement and checks the primitive's VJP rule against central finite differences on an
input drawn from its domain, reporting the largest error: the same finite-difference
code as ``cr.gradcheck`` (chainrule.gradcheck.compare).
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

import numpy as np

from . import graph, rules
from .domains import checked_function
from .gradcheck import compare


def _primitive_name(name):
    """The registry name for ``name``: a name, a primitive, or a tensor a primitive made."""
    if isinstance(name, str):
        return name
    if isinstance(name, rules.Primitive):
        return name.name
    if isinstance(name, graph.TensorBase):
        if name._prim is None:
            raise TypeError(
                "explain: this tensor was not made by a recorded operation (a leaf, a "
                "result computed without grad, or the output of an operation without a "
                "gradient such as a comparison); pass a primitive or its name, e.g. "
                "cr.explain('tanh')"
            )
        return name._prim.name
    raise TypeError(
        f"explain: expected a primitive's name (e.g. 'tanh'), a primitive (cr.tanh) or a "
        f"tensor made by one, got {type(name).__name__}"
    )


def _primitive(name):
    name = _primitive_name(name)
    prim = rules.REGISTRY.get(name)
    if prim is None:
        close = sorted(n for n in rules.REGISTRY if name[:3] in n)
        hint = f"; did you mean {', '.join(close[:5])}?" if close else ""
        raise KeyError(f"explain: no primitive named {name!r}{hint}")
    return prim


def explanation(name):
    """The Statement of registered primitive ``name`` (KeyError naming close names).

    ``name`` may also be a primitive (``cr.tanh``) or a tensor recorded by one.
    """
    prim = _primitive(name)
    if prim.statement is None:
        raise KeyError(
            f"explain: primitive {prim.name!r} states no derivative; declare it with "
            f"statement= where the primitive is defined (chainrule.statements)"
        )
    return prim.statement


def finite_difference_check(name, seed=0, eps=1e-6):
    """Compare ``name``'s VJP with central differences on an input from its domain.

    Returns a :class:`chainrule.gradcheck.Comparison`, or None for a primitive that is
    declared non-differentiable.
    """
    prim = _primitive(name)
    if not prim.differentiable:
        return None
    f, arrays = checked_function(prim, np.random.default_rng(seed))
    return compare(f, *arrays, eps=eps, seed=seed)


def explain(name: Any, seed: int = 0, file: TextIO | None = None) -> float | None:
    """Print primitive ``name``'s derivative and check its VJP; return the max error.

    ``name`` is a primitive's name (``"tanh"``), the primitive (``cr.tanh``), or a tensor
    a recorded primitive made (its producer is explained).

    Prints the forward definition, the VJP and (where it teaches something) the
    Jacobian's structure, in plain text and LaTeX, then the largest difference between
    the VJP rule and central finite differences on a random float64 input. Returns
    that error, or None for a non-differentiable primitive.
    """
    out = file or sys.stdout
    name = _primitive_name(name)
    exp = explanation(name)
    lines = [
        f"{name}",
        f"  forward   {exp.forward}",
        f"  VJP       {exp.vjp}",
    ]
    if exp.jacobian:
        lines.append(f"  Jacobian  {exp.jacobian}")
    lines.append(f"  LaTeX     forward: {exp.latex_forward}")
    lines.append(f"            VJP: {exp.latex_vjp}")
    if exp.latex_jacobian:
        lines.append(f"            Jacobian: {exp.latex_jacobian}")
    check = finite_difference_check(name, seed=seed)
    if check is None:
        lines.append("  check     none: no gradient to check")
        result = None
    else:
        lines.append(
            f"  check     VJP vs central finite differences on a random float64 input "
            f"(seed {seed}, {check.entries} entries): max |error| = {check.max_error:.2e} "
            f"(largest derivative {check.scale:.2e})"
        )
        result = check.max_error
    print("\n".join(lines), file=out)
    return result
