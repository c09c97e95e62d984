"""odeint: the solution of dy/dt = func(y, t, *args) at given times, with the adjoint
gradient in y0, t and args (scipy.integrate.odeint's interface, HIPS autograd's gradient).

The forward is the Dormand-Prince 5(4) pair (J. R. Dormand and P. J. Prince, "A family
of embedded Runge-Kutta formulae", J. Comput. Appl. Math. 6 (1980) 19-26) with the usual
error control (Hairer, Norsett & Wanner, "Solving ODEs I", II.4: the scaled RMS error
against atol + rtol |y|, step factor 0.9 err^(-1/5) within [0.2, 5]), stepping onto each
requested time. It is explicit: stiff problems take many steps (SciPy's LSODA switches to
BDF); ``mxstep`` bounds the steps per interval and exceeding it raises.

The gradient is the adjoint method (as autograd's, after Froehlich, Loos & Hasenauer,
arXiv:1711.08079, 2.4.2): from the last time to the first, the state, its cotangent a,
the time cotangent and the parameter cotangent are integrated backwards together,
da/dt = -a^T df/dy, d(args_bar)/dt = -a^T df/dargs, with each VJP of func taken by
chainrule itself; the output times get g_i . func(y_i, t_i). First-order reverse mode only:
a second derivative, or forward mode, raises rather than returning a wrong zero.
"""

from __future__ import annotations

import numpy as np

from .. import graph
from .. import statements as S
from ..domains import Example
from ..graph import is_tensor
from ..pytree import tree_flatten, tree_unflatten
from ..rules import Primitive, each_argument

# Dormand-Prince 5(4): nodes, stages, the fifth-order weights and (fifth - fourth) errors.
_C = (0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0)
_A = (
    (),
    (1 / 5,),
    (3 / 40, 9 / 40),
    (44 / 45, -56 / 15, 32 / 9),
    (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
    (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
    (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84),
)
_B = _A[6] + (0.0,)
_E = tuple(b - b4 for b, b4 in zip(_B, (5179 / 57600, 0.0, 7571 / 16695, 393 / 640,
                                        -92097 / 339200, 187 / 2100, 1 / 40)))
DEFAULT_TOLERANCE = 1.49012e-8  # odeint's rtol and atol
DEFAULT_MXSTEP = 5000


class _Solver:
    """Dormand-Prince steps of dy/dt = f(y, t), carrying the step size between intervals."""

    def __init__(self, f, rtol, atol, mxstep, h0, hmax, hmin):
        self.f, self.rtol, self.atol = f, rtol, atol
        self.mxstep, self.h, self.hmax, self.hmin = mxstep, h0, hmax, hmin

    def _first_step(self, y, t, dy, span):
        # Hairer, Norsett & Wanner's starting step: 1% of |y| / |y'| in the error norm.
        scale = self.atol + self.rtol * np.abs(y)
        d0, d1 = np.sqrt(np.mean((y / scale) ** 2)), np.sqrt(np.mean((dy / scale) ** 2))
        h = 1e-6 if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1
        return min(h, abs(span))

    def advance(self, y, t, t_end):
        """y at t_end, from y at t."""
        span = t_end - t
        if span == 0:
            return y
        direction = np.sign(span)
        dy = self.f(y, t)
        h = self.h or self._first_step(y, t, dy, span)
        for _ in range(self.mxstep):
            if self.hmax:
                h = min(h, self.hmax)
            last = h >= abs(t_end - t)
            step = (t_end - t) if last else direction * h
            k = [dy]
            for i in range(1, 7):
                yi = y + step * sum(a * kj for a, kj in zip(_A[i], k))
                k.append(self.f(yi, t + _C[i] * step))
            y_new = yi  # the seventh stage is at the fifth-order solution (FSAL)
            error = step * sum(e * kj for e, kj in zip(_E, k))
            scale = self.atol + self.rtol * np.maximum(np.abs(y), np.abs(y_new))
            err = np.sqrt(np.mean((error / scale) ** 2)) if y.size else 0.0
            if not np.isfinite(err):
                err = np.inf
            if err <= 1.0 or abs(step) <= self.hmin:
                t = t_end if last else t + step
                y, dy = y_new, k[6]
                factor = 5.0 if err == 0 else min(5.0, max(0.2, 0.9 * err ** -0.2))
                h = abs(step) * factor if not last else max(h, abs(step))
                if last:
                    self.h = h
                    return y
            else:
                h = abs(step) * max(0.2, 0.9 * err ** -0.2)
        raise RuntimeError(
            f"odeint: more than mxstep={self.mxstep} steps between t={t} and t={t_end}; the "
            f"problem may be stiff (this solver is explicit) or need a larger mxstep")


def _solve(f, y0, t, rtol, atol, mxstep, h0, hmax, hmin):
    """y at each time in t (rows), starting from y0 at t[0]."""
    solver = _Solver(f, rtol, atol, mxstep, h0, hmax, hmin)
    out = np.empty((len(t), y0.size))
    y = y0.astype(np.float64)
    for i, ti in enumerate(t):
        y = solver.advance(y, t[i - 1], ti) if i else y
        out[i] = y
    return out


def _numpy_func(func, treedef, leaves, tfirst):
    """func on NumPy values, refusing a closed-over tensor that would need a gradient."""
    args = tree_unflatten(treedef, leaves)

    def f(y, t):
        out = func(t, y, *args) if tfirst else func(y, t, *args)
        if is_tensor(out):
            if out.requires_grad:
                raise NotImplementedError(
                    "odeint: func uses a tensor that requires grad other than through args; "
                    "pass it in args=(...) so that its gradient is computed")
            out = out._data
        return np.asarray(out, dtype=np.float64).reshape(-1)

    return f


def _odeint_fwd(y0, t, *leaves, func, treedef, tfirst, rtol, atol, mxstep, h0, hmax, hmin):
    y0 = np.asarray(y0)
    dtype = np.result_type(y0, np.float16)
    t = np.asarray(t, dtype=np.float64)
    if t.ndim != 1:
        raise ValueError(f"odeint: t must be a 1-D sequence of times, got shape {t.shape}")
    f = _numpy_func(func, treedef, [np.asarray(v) for v in leaves], tfirst)
    out = _solve(f, y0.reshape(-1).astype(np.float64), t, rtol, atol, mxstep, h0, hmax, hmin)
    return out.astype(dtype, copy=False)


# ------------------------------------------------------------------------- adjoint
def _func_vjp(func, treedef, tfirst):
    """(y, t, leaves, cotangent) -> (y_bar, t_bar, [leaf_bar]) by chainrule's reverse mode."""

    def vjp(y, t, leaves, cotangent):
        with graph.enable_grad():
            ty = graph.new_tensor(y, True)
            tt = graph.new_tensor(np.asarray(t, np.float64), True)
            tl = [graph.new_tensor(np.asarray(v, np.float64), True) for v in leaves]
            args = tree_unflatten(treedef, tl)
            out = func(tt, ty, *args) if tfirst else func(ty, tt, *args)
            if not is_tensor(out):
                return np.zeros_like(y), 0.0, [np.zeros(np.shape(v)) for v in leaves]
            from ..backward import backward

            inputs = [ty, tt, *tl]
            total = (out.reshape(-1) * cotangent).sum()
            grads = backward(total, inputs=inputs) if total.requires_grad else [None] * len(
                inputs)
        values = [np.zeros(np.shape(x._data)) if gr is None else np.asarray(gr._data)
                  for x, gr in zip(inputs, grads)]
        return values[0].reshape(-1), float(values[1]), values[2:]

    return vjp


def _adjoint(g, ans, y0, t, leaves, func, treedef, tfirst, rtol, atol, mxstep, h0, hmax, hmin):
    """Cotangents of (y0, t, *leaves) for the output cotangent g (T, D)."""
    g = np.asarray(g, np.float64).reshape(len(t), -1)
    yt = np.asarray(ans, np.float64).reshape(len(t), -1)
    t = np.asarray(t, np.float64)
    leaves = [np.asarray(v, np.float64) for v in leaves]
    sizes = [v.size for v in leaves]
    d = yt.shape[1]
    f = _numpy_func(func, treedef, leaves, tfirst)
    vjp = _func_vjp(func, treedef, tfirst)

    def augmented(state, s):
        y, a = state[:d], state[d:2 * d]
        y_bar, t_bar, leaf_bars = vjp(y, s, leaves, -a)
        flat = [np.reshape(b, -1) for b in leaf_bars]
        return np.concatenate([f(y, s), y_bar, [t_bar], *flat])

    a = g[-1].copy()
    t0_bar = 0.0
    args_bar = np.zeros(sum(sizes))
    times_bar = np.zeros(len(t))
    for i in range(len(t) - 1, 0, -1):
        moved = float(f(yt[i], t[i]) @ g[i])  # moving t_i moves y(t_i) along f
        times_bar[i] = moved
        t0_bar -= moved
        state = np.concatenate([yt[i], a, [t0_bar], args_bar])
        state = _solve(augmented, state, np.array([t[i], t[i - 1]]), rtol, atol, mxstep, h0,
                       hmax, hmin)[1]
        a = state[d:2 * d] + g[i - 1]
        t0_bar = state[2 * d]
        args_bar = state[2 * d + 1:]
    times_bar[0] = t0_bar
    splits = np.split(args_bar, np.cumsum(sizes)[:-1]) if sizes else []
    return [a, times_bar, *[s.reshape(np.shape(v)) for s, v in zip(splits, leaves)]]


_CACHE = {}


def _odeint_vjp(i, g, ans, y0, t, *leaves, **kw):
    # One adjoint solve gives every argument's cotangent; backward asks for them one at
    # a time with the same g, so the last result is kept (the cache holds g and ans
    # themselves, so their ids cannot be reused while it does).
    if any(is_tensor(v) for v in (g, ans, y0, t, *leaves)):
        raise NotImplementedError(
            "odeint: only first-order reverse-mode gradients are implemented (its adjoint is "
            "a numerical solve, not recorded); a second derivative or forward mode through "
            "odeint is not supported")
    key = (id(g), id(ans))
    cached = _CACHE.get("last")
    if cached is None or cached[0] != key or cached[1] is not g or cached[2] is not ans:
        result = _adjoint(g, ans, y0, t, leaves, **kw)
        _CACHE["last"] = (key, g, ans, result)
    arg = (y0, t, *leaves)[i]
    dtype = np.result_type(arg) if np.result_type(arg).kind == "f" else np.float64
    return np.asarray(_CACHE["last"][3][i], dtype).reshape(np.shape(arg))


def _example(rng):
    def decay(y, t, k):
        return -k * y

    leaves, treedef = tree_flatten((rng.uniform(0.5, 1.5, 2),))
    return (rng.uniform(0.5, 1.5, 2), np.array([0.0, 0.5, 1.0]), *leaves), {
        "func": decay, "treedef": treedef, "tfirst": False, "rtol": 1e-10, "atol": 1e-10,
        "mxstep": DEFAULT_MXSTEP, "h0": 0.0, "hmax": 0.0, "hmin": 0.0}


# Not registered: the registry's contract (tests/test_transforms.py, explain) is a
# derivative of every order in both modes, and this one is first-order reverse mode. The
# Primitive records and differentiates like any other.
odeint_primitive = Primitive("odeint", _odeint_fwd)
odeint_primitive.domain = Example(_example)
odeint_primitive.statement = (
    S.Statement(
        forward="Y[i] = y(t_i) with dy/dt = func(y, t, *args), y(t_0) = y0 (Dormand-Prince 5(4))",
        vjp="the adjoint system integrated backwards: da/dt = -a^T df/dy, "
        "d(args_bar)/dt = -a^T df/dargs, with a jump g_i at each t_i; "
        "t_bar_i = g_i . func(y_i, t_i) (t_0 gets minus the rest); y0_bar = a(t_0)",
        latex_forward=r"\dot y = f(y, t, \theta), \quad Y_i = y(t_i)",
        latex_vjp=r"\dot a = -a^\top \partial_y f, \quad \dot{\bar\theta} = -a^\top "
        r"\partial_\theta f",
    )
)
odeint_primitive.defvjp(each_argument(_odeint_vjp))
