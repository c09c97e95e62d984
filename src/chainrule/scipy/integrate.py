"""scipy.integrate.odeint, differentiable in y0, t and args by the adjoint method.

    from chainrule.scipy.integrate import odeint
    ys = odeint(func, y0, t, args=(params,), rtol=1e-8)

SciPy's signature: func(y, t, *args) (or func(t, y, *args) with tfirst=True) returns
dy/dt; the result has one row per time in t. args may hold arrays, tensors and nested
lists/tuples/dicts of them (autograd's ``tuple((params,))`` works); gradients reach every
tensor there, and y0 and t. A tensor that func uses without receiving it through args
raises, since its gradient would be lost.

Differences from SciPy (chainrule.primitives.ode): the integrator is the explicit
Dormand-Prince 5(4) method, not LSODA, so values agree to the tolerances (rtol, atol:
SciPy's defaults 1.49012e-8) rather than to the last digit, and stiff problems are slow;
mxstep (default 5000 per output interval) raises when exceeded instead of printing a
warning; Dfun, col_deriv, ml, mu, tcrit, ixpr, mxhnil, mxordn, mxords and printmessg are
accepted and ignored; full_output=True returns (ys, {}) without LSODA's report.
Gradients are first-order reverse mode (grad, vjp, backward); a second derivative or
forward mode through odeint raises.
"""

from __future__ import annotations

import numpy as np

from ..graph import is_tensor
from ..primitives.ode import DEFAULT_MXSTEP, DEFAULT_TOLERANCE, odeint_primitive
from ..pytree import tree_flatten

__all__ = ["odeint"]


def odeint(func, y0, t, args=(), Dfun=None, col_deriv=0, full_output=0, ml=None, mu=None,
           rtol=None, atol=None, tcrit=None, h0=0.0, hmax=0.0, hmin=0.0, ixpr=0, mxstep=0,
           mxhnil=0, mxordn=12, mxords=5, printmessg=0, tfirst=False):
    """Integrate dy/dt = func(y, t, *args) from y0 at t[0]; one row per time in t."""
    if not isinstance(args, tuple):
        args = (args,)
    shape = np.shape(y0._data if is_tensor(y0) else y0)
    if len(shape) > 1:
        raise ValueError(f"odeint: y0 must be a number or a 1-D array, got shape {shape}")
    leaves, treedef = tree_flatten(args)
    out = odeint_primitive(
        y0, t, *leaves, func=func, treedef=treedef, tfirst=bool(tfirst),
        rtol=DEFAULT_TOLERANCE if rtol is None else float(rtol),
        atol=DEFAULT_TOLERANCE if atol is None else float(atol),
        mxstep=int(mxstep) or DEFAULT_MXSTEP, h0=float(h0), hmax=float(hmax), hmin=float(hmin))
    return (out, {}) if full_output else out
