"""More pointwise maps: clip/clamp with tensor bounds, lerp, copysign, heaviside; stop_gradient.

clip with tensor bounds and lerp are compositions (where and arithmetic); copysign and
heaviside are elementwise primitives declared by their local derivatives; stop_gradient
is the identity declared non-differentiable, so neither reverse nor forward mode sees
through it (JAX's lax.stop_gradient).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import statements as S
from ..api_types import tensor_function
from ..domains import Domain, Example
from ..graph import is_tensor
from ..pytree import tree_flatten, tree_unflatten
from ..rules import composite, elementwise, nondifferentiable
from .elementwise import abs, clip, equal, greater, less, sign, where
from .ufuncs import signbit

if TYPE_CHECKING:
    from ..api_types import Operand
    from ..tensor import Tensor



# -------------------------------------------------------------------- clip
def _is_bound_tensor(b):
    return is_tensor(b) or (isinstance(b, (list, tuple)) and any(is_tensor(e) for e in b))


@composite
def clamp(input: Operand, min: Operand | None = None, max: Operand | None = None) -> Tensor:
    """PyTorch's clamp (NumPy's clip): min(max(input, min), max), bounds numbers or tensors.

    The gradient goes to whichever value is returned: input where min <= input <= max
    (bounds included), min where input < min, max where input > max, and max everywhere
    if min > max (the result is then max, as in NumPy and PyTorch).
    """
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    if not (_is_bound_tensor(min) or _is_bound_tensor(max)):
        return clip(input, min, max)
    r = input
    if min is not None:
        r = where(less(r, min), min, r)
    if max is not None:
        r = where(greater(r, max), max, r)
    return r


@tensor_function
def clip_function(
    x: Operand, a_min: Operand | None = None, a_max: Operand | None = None, *,
    min: Operand | None = None, max: Operand | None = None,
) -> Tensor:
    """clip(x, a_min, a_max) (also with min=/max= keywords): clamp under NumPy's name.

    With neither bound, a copy of x (as NumPy's clip)."""
    lo = a_min if min is None else min
    hi = a_max if max is None else max
    if lo is None and hi is None:
        return clip(x, None, None)
    return clamp(x, lo, hi)


# -------------------------------------------------------------------- lerp
@composite
def lerp(input: Operand, end: Operand, weight: Operand) -> Tensor:
    """PyTorch's lerp: input + weight (end - input), differentiable in all three.

    Computed as end - (end - input)(1 - weight) where |weight| >= 1/2, as PyTorch does,
    so weight = 1 gives end exactly.
    """
    d = end - input
    return where(less(abs(weight), 0.5), input + weight * d, end - d * (1 - weight))


# ------------------------------------------------------- copysign, heaviside
def _copysign_dx(ans, x, y):
    # |x| with y's sign: d/dx = sign(x) * (+-1 by y's sign bit); 0 at x = 0, as PyTorch.
    s = sign(x)
    return where(signbit(y), -s, s)


copysign = elementwise(
    "copysign", np.copysign, _copysign_dx, 0,
    domain=(Domain(-2.0, 2.0, avoid=(0.0,), gap=0.2), Domain(-2.0, 2.0, avoid=(0.0,), gap=0.2)),
    statement=S.binary(
        "|a| with the sign of b", "g * sign(a) * (the sign of b: -1 if b's sign bit is set, "
        "else 1); 0 at a = 0", "0 (piecewise constant in b)", r"\operatorname{copysign}(a, b)",
        r"\bar y \operatorname{sign}(a)\operatorname{sign}(b)", "0",
    ),
)


_STEPS = np.array([-1.5, 0.0, 0.7, 0.0])


def _heaviside_dx2(ans, x1, x2):
    return equal(x1, 0)


heaviside = elementwise(
    "heaviside", np.heaviside, 0, _heaviside_dx2,
    # The jump at a = 0 is where b matters: a is held there and only b is perturbed.
    domain=Example(lambda rng: ((_STEPS, rng.standard_normal(4)), {}),
                   check_with=lambda p, a, b: p(_STEPS, b)),
    statement=S.binary(
        "0 for a < 0, b for a = 0, 1 for a > 0", "0 (a step: the jump at a = 0 has no "
        "derivative)", "g where a = 0, else 0", r"H(a, b)", "0", r"\bar y\,[a = 0]",
    ),
)


# ---------------------------------------------------------------- stop_gradient
_stop = nondifferentiable(
    "stop_gradient", lambda x: np.array(x, copy=True),
    elementwise=True,
    statement=S.Statement(
        forward="y = x (a copy)",
        vjp="none: the result is a constant to every transform, in reverse and forward "
        "mode alike (JAX's lax.stop_gradient)",
        latex_forward="y = x",
        latex_vjp=r"\bar x = 0",
    ),
)


@tensor_function
def stop_gradient(x: Operand) -> Tensor:
    """JAX's stop_gradient: x as a constant (zero derivative in reverse and forward mode).

    Takes an array, a tensor or a pytree of them (nested tuples, lists, dicts); NumPy
    values come back unchanged.
    """
    leaves, treedef = tree_flatten(x)
    return tree_unflatten(treedef, [_stop(v) if is_tensor(v) else v for v in leaves])
