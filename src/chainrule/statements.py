"""What a primitive's derivative says, in words and in LaTeX: read by ``cr.explain``.

Each primitive carries its :class:`Statement` (``statement=`` at its definition): the
forward definition, the vector-Jacobian product (how the output's cotangent g becomes
each input's), and, where that is the teaching point, the Jacobian's structure. The
helpers below write the common shapes of statement (an elementwise map, a binary map,
a reduction, a step function) from their few varying parts.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Statement:
    """A derivative stated as plain text and LaTeX."""

    forward: str
    vjp: str
    latex_forward: str
    latex_vjp: str
    jacobian: str = ""
    latex_jacobian: str = ""


DIAGONAL = "diagonal: dy_i/dx_j = 0 for i != j (elementwise), so the VJP is a product"
LATEX_DIAGONAL = r"\frac{\partial y_i}{\partial x_j} = 0 \quad (i \neq j)"


def unary(text, dtext, latex, dlatex):
    """An elementwise y = f(x) with derivative f'(x): VJP x_bar = g f'(x)."""
    return Statement(
        forward=f"y = {text}, elementwise",
        vjp=f"x_bar = g * {dtext}",
        latex_forward=f"y = {latex}",
        latex_vjp=rf"\bar x = \bar y \odot {dlatex}",
        jacobian=DIAGONAL,
        latex_jacobian=LATEX_DIAGONAL,
    )


def binary(text, vjp_a, vjp_b, latex, latex_a, latex_b):
    """An elementwise y = f(a, b) with broadcasting; rules return cotangents in y's shape."""
    return Statement(
        forward=f"y = {text}, elementwise with broadcasting",
        vjp=f"a_bar = {vjp_a};  b_bar = {vjp_b}  (summed over broadcast axes)",
        latex_forward=f"y = {latex}",
        latex_vjp=rf"\bar a = {latex_a}, \quad \bar b = {latex_b}",
        jacobian=DIAGONAL + " in each argument",
        latex_jacobian=LATEX_DIAGONAL,
    )


def step(text, latex):
    """A primitive whose output is piecewise constant (or not real-valued): no gradient."""
    return Statement(
        forward=text,
        vjp="none: the output is piecewise constant (or an index or a boolean), so no "
        "gradient flows through it; it is declared non-differentiable",
        latex_forward=latex,
        latex_vjp=r"\text{no gradient}",
    )


def reduction(text, vjp, latex, latex_vjp):
    """A reduction over the given axes; g is broadcast back over them."""
    return Statement(
        forward=f"{text}, over the given axes",
        vjp=f"{vjp}  (g broadcast back over the reduced axes)",
        latex_forward=latex,
        latex_vjp=latex_vjp,
    )
