"""NumPy's elementwise functions that are not ufuncs: clip, where, select, rounding, sinc,
angle, real_if_close, astype; copysign, heaviside."""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from ..graph import is_tensor, new_tensor
from ..primitives import steps as _steps
from ..tracing import concrete
from .dispatch import no_out as _no_out
from .dispatch import numpy_function as _numpy_function
from .dispatch import ufunc as _ufunc
from .ufuncs import _real_only


@_numpy_function(np.sinc)
def sinc(x):
    """sin(pi x) / (pi x), 1 at 0."""
    return P.sinc(x)


@_numpy_function(np.round)
def round(a, decimals=0, out=None):
    """Round to `decimals` places (no gradient)."""
    _no_out("round", out)
    return P.round(a, decimals=decimals)


@_numpy_function(np.around)
def around(a, decimals=0, out=None):
    """Round to `decimals` places (no gradient)."""
    return round(a, decimals, out)


@_numpy_function(np.fix)
def fix(x, out=None):
    """Round toward zero (no gradient)."""
    _no_out("fix", out)
    return P.trunc(x)


@_numpy_function(np.real)
def real(val):
    """The real part: the value itself for real input."""
    return _real_only(val)


@_numpy_function(np.imag)
def imag(val):
    """The imaginary part: zeros (a constant) for real input."""
    return new_tensor(np.zeros_like(_real_only(val)._data))


@_numpy_function(np.nan_to_num)
def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """NaN and infinities replaced by numbers; the gradient passes where x is finite."""
    dtype = x._data.dtype
    if dtype.kind != "f":
        return x
    big = np.finfo(dtype).max
    top = np.asarray(big if posinf is None else posinf, dtype)
    bottom = np.asarray(-big if neginf is None else neginf, dtype)
    # The fill chosen by operations on x (not computed from its values), so that a
    # tracer (cr.vmap, cr.compile) replays it for every example or call.
    fill = P.where(P.isnan(x), np.asarray(nan, dtype), P.where(P.greater(x, 0), top, bottom))
    return P.where(P.isfinite(x), x, fill)


@_numpy_function(np.isclose)
def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise |a - b| <= atol + rtol |b| (no gradient)."""
    return P.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


@_numpy_function(np.clip)
def clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None):
    """Values limited to [a_min, a_max]; the gradient flows to whichever value is returned.

    Inside the bounds (bounds included) it flows to `a`; outside, to the bound (numbers
    or tensors); everything goes to a_max where a_min > a_max.
    """
    _no_out("clip", out)
    lo = a_min if min is None else min
    hi = a_max if max is None else max
    if lo is None and hi is None:
        return P.clip(a, None, None)
    return P.clamp(a, lo, hi)


copysign = _ufunc(np.copysign, P.copysign)
heaviside = _ufunc(np.heaviside, P.heaviside)


@_numpy_function(np.where)
def where(condition, x=None, y=None):
    """x where condition holds, else y; with the condition alone, its nonzero indices."""
    if x is None and y is None:
        return np.nonzero(concrete(condition, "where(condition)") if is_tensor(condition)
                          else condition)
    return P.where(condition, x, y)


@_numpy_function(np.select, sequences=("condlist", "choicelist"))
def select(condlist, choicelist, default=0):
    """choicelist[i] where condlist[i] is the first true condition, else default."""
    if len(condlist) != len(choicelist):
        raise ValueError("select: condlist and choicelist must have the same length")
    r = default
    for cond, choice in reversed(list(zip(condlist, choicelist))):
        r = P.where(cond, choice, r)
    target = np.broadcast_shapes(*[np.shape(c) for c in [*condlist, *choicelist]])
    return P.broadcast_to(r, target) if np.shape(r) != target else r


# --------------------------------------------- more of NumPy's elementwise names
@_numpy_function(np.angle)
def angle(z, deg=False):
    """The argument of real numbers: 0 or pi (180 with deg=True); no gradient."""
    return _steps.angle(_real_only(z), deg=deg)


@_numpy_function(np.real_if_close)
def real_if_close(a, tol=100):
    """Real input is returned as it is."""
    return _real_only(a)


@_numpy_function(np.astype)
def astype(x, dtype, /, *, copy=True, device=None):
    """x converted to `dtype`; the gradient is converted back."""
    return P.astype(x, dtype=np.dtype(dtype))
