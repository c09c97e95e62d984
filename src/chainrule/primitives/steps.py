"""Step functions of NumPy's namespace with no gradient: floor_divide, nextafter, spacing,
and angle of real numbers (0 or pi). Each output is piecewise constant in its inputs."""

from __future__ import annotations

import numpy as np

from .. import statements as S
from ..rules import nondifferentiable

# (elementwise: cr.vmap applies them to a whole batch at once)
floor_divide = nondifferentiable(
    "floor_divide", np.floor_divide, elementwise=True,
    statement=S.step("floor(a / b)", r"\lfloor a / b \rfloor"),
)
nextafter = nondifferentiable(
    "nextafter", np.nextafter, elementwise=True,
    statement=S.step(
        "the next floating-point number after a toward b", r"\operatorname{next}(a, b)"
    ),
)
spacing = nondifferentiable(
    "spacing", np.spacing, elementwise=True,
    statement=S.step("distance from x to the next floating-point number", r"\epsilon(x)"),
)
angle = nondifferentiable(
    "angle", lambda x, deg=False: np.angle(x, deg=deg),
    statement=S.step("argument of a real number: 0 for x >= 0, pi for x < 0", r"\arg x"),
)
