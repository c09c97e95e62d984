"""``minimize`` with the API and iterates of ``jax.scipy.optimize.minimize`` (BFGS).

JAX's BFGS is SciPy's algorithm with its own line search (Wright and Nocedal's
Algorithm 3.5 with the zoom of 3.6, as SciPy's ``line_search_wolfe2``, with JAX's start
step, interval and iteration limits). Here each step is written out as plain Python over
NumPy values, in the same order of choices as JAX's, so the iterates agree with JAX's
in float64 to rounding; gradients come from ``cr.value_and_grad``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np

from ..transforms import value_and_grad


class OptimizeResults(NamedTuple):
    """The result of minimize, with JAX's fields: the point `x`, `success` (converged and
    the line search did not fail), `status` (0 converged, 1 maxiter reached, 2 + the line
    search's status when it failed), `fun` and `jac` at x, the inverse-Hessian estimate
    `hess_inv`, the counts of function and gradient evaluations and of iterations."""
    x: np.ndarray
    success: bool
    status: int
    fun: Any
    jac: np.ndarray
    hess_inv: np.ndarray | None
    nfev: int
    njev: int
    nit: int


def minimize(fun: Callable[..., Any], x0: Any, args: tuple[Any, ...] = (), *, method: str,
             tol: float | None = None, options: Mapping[str, Any] | None = None,
             ) -> OptimizeResults:
    """Minimize ``fun(x, *args)`` over the 1-D array x from x0. ``method="BFGS"`` (the
    only method, as in JAX); `options`: ``maxiter`` (200 * x0.size), ``norm`` (of the
    gradient for the convergence test, inf), ``gtol`` (1e-5), ``line_search_maxiter``
    (10). `tol` is accepted and unused, as in JAX."""
    options = {} if options is None else dict(options)
    if not isinstance(args, tuple):
        raise TypeError("args argument to chainrule.scipy.optimize.minimize must be a tuple, "
                        f"got {args}")
    if method.lower() != "bfgs":
        raise ValueError(f"Method {method} not recognized")
    x = np.asarray(x0)
    if x.ndim != 1 or not np.issubdtype(x.dtype, np.floating):
        raise ValueError("minimize: x0 must be a 1-D array of floats (ravel a pytree of "
                         f"parameters with chainrule.flatten_util.ravel_pytree); got shape "
                         f"{x.shape}, dtype {x.dtype}")
    return _bfgs(lambda x: fun(x, *args), x, **options)


def _bfgs(fun: Callable[[np.ndarray], Any], x: np.ndarray, maxiter: int | None = None,
          norm: float = np.inf, gtol: float = 1e-5, line_search_maxiter: int = 10,
          ) -> OptimizeResults:
    maxiter = x.size * 200 if maxiter is None else maxiter
    f_and_g = value_and_grad(fun)
    f, g = f_and_g(x)
    H = np.eye(x.shape[0], dtype=x.dtype)
    # JAX's guess of the previous value, which makes the first trial step 1.01/|g|
    old_old_f = f + np.linalg.norm(g) / 2
    converged = bool(np.linalg.norm(g, ord=norm) < gtol)
    failed, k, nfev, ngev, ls_status = False, 0, 1, 1, 0
    while not converged and not failed and k < maxiter:
        p = -(H @ g)
        ls = _line_search(f_and_g, x, p, f, old_old_f, g, maxiter=line_search_maxiter)
        nfev, ngev, failed, ls_status = nfev + ls.nfev, ngev + ls.ngev, ls.failed, ls.status
        s = ls.a_k * p
        y = ls.g_k - g
        with np.errstate(divide="ignore", invalid="ignore"):
            rho = 1.0 / np.dot(y, s)
            w = np.eye(x.shape[0], dtype=H.dtype) - rho * np.outer(s, y)
            H_new = (w @ H) @ w.T + rho * np.outer(s, s)
        # A step without curvature information (y.s = 0) keeps the old estimate.
        if np.isfinite(rho):
            H = H_new
        x, old_old_f, f, g = x + s, f, ls.f_k, ls.g_k
        converged = bool(np.linalg.norm(g, ord=norm) < gtol)
        k += 1
    status = 0 if converged else 1 if k == maxiter else 2 + ls_status if failed else -1
    return OptimizeResults(x=x, success=converged and not failed, status=status, fun=f,
                           jac=g, hess_inv=H, nfev=nfev, njev=ngev, nit=k)


class _Step(NamedTuple):
    """A point on the line: step a, phi(a) = f(x + a p), its slope phi'(a), gradient g."""
    a: Any
    phi: Any
    dphi: Any
    g: Any


class _LineSearch(NamedTuple):
    failed: bool
    nfev: int
    ngev: int
    a_k: Any
    f_k: Any
    g_k: Any
    status: int


def _line_search(f_and_g: Callable[..., Any], xk: np.ndarray, pk: np.ndarray, phi0: Any,
                 old_old_f: Any, g0: np.ndarray, c1: float = 1e-4, c2: float = 0.9,
                 maxiter: int = 20) -> _LineSearch:
    """A step a along pk meeting the strong Wolfe conditions: phi(a) <= phi(0) +
    c1 a phi'(0) and |phi'(a)| <= c2 |phi'(0)|; trial steps double until one meets them or
    brackets one, which zoom then finds."""
    def at(a: Any) -> _Step:
        a = np.asarray(a, dtype=pk.dtype)
        phi, g = f_and_g(xk + a * pk)
        return _Step(a, phi, np.dot(g, pk), g)

    dphi0 = np.dot(g0, pk)
    with np.errstate(divide="ignore", invalid="ignore"):
        start = 1.01 * 2 * (phi0 - old_old_f) / dphi0
    # (JAX keeps a negative or NaN start as it is: only a start above 1 is cut to 1)
    start = 1.0 if start > 1 else start

    def sufficient_decrease_fails(a: Any, phi: Any) -> bool:
        return bool(phi > phi0 + c1 * a * dphi0)

    def curvature_holds(dphi: Any) -> bool:
        return bool(np.abs(dphi) <= -c2 * dphi0)

    prev = _Step(0.0, phi0, dphi0, g0)
    star = prev
    done = failed = False
    i, nfev = 1, 0
    while not done and i <= maxiter and not failed:
        trial = at(start if i == 1 else prev.a * 2.0)
        nfev += 1
        if sufficient_decrease_fails(trial.a, trial.phi) or (trial.phi >= prev.phi and i > 1):
            star, zoom_failed, n = _zoom(at, sufficient_decrease_fails, curvature_holds,
                                         prev, trial, g0)
            nfev, done, failed = nfev + n, True, zoom_failed
        elif curvature_holds(trial.dphi):
            star, done = trial, True
        elif trial.dphi >= 0.0:
            star, zoom_failed, n = _zoom(at, sufficient_decrease_fails, curvature_holds,
                                         trial, prev, g0)
            nfev, done, failed = nfev + n, True, zoom_failed
        i, prev = i + 1, trial
    status = 1 if failed else 3 if i > maxiter else 0
    a_k = np.asarray(star.a)
    if np.finfo(pk.dtype).bits != 64 and abs(a_k) < 1e-8:
        # (JAX's floor on the step below float64, where tiny steps stall the search)
        a_k = np.sign(a_k) * 1e-8
    return _LineSearch(failed or not done, nfev, nfev, a_k, star.phi, star.g, status)


def _zoom(at: Callable[[Any], _Step], sufficient_decrease_fails: Callable[..., Any],
          curvature_holds: Callable[..., Any], lo: _Step, hi: _Step, g0: np.ndarray,
          ) -> tuple[_Step, bool, int]:
    """(the step found, failed, evaluations): Algorithm 3.6 of Nocedal and Wright,
    narrowing [lo, hi] (a bracket whose lo has the lower value) with a cubic through lo,
    hi and the previous hi (rec), else a quadratic, else bisection."""
    rec_a, rec_phi = (lo.a + hi.a) / 2.0, (lo.phi + hi.phi) / 2.0
    # Until a step is accepted, JAX's result is step 1 with lo's value and g0.
    star = _Step(1.0, lo.phi, lo.dphi, g0)
    done = failed = False
    j = 0
    while not done and not failed:
        dalpha = hi.a - lo.a
        a, b = min(hi.a, lo.a), max(hi.a, lo.a)
        cchk, qchk = 0.2 * dalpha, 0.1 * dalpha
        # (a signed width, as JAX's: an interval given high-to-low stops after this step)
        failed = bool(dalpha <= (1e-10 if np.finfo(np.result_type(dalpha)).bits >= 64
                                 else 1e-5))
        cubic = _cubicmin(lo.a, lo.phi, lo.dphi, hi.a, hi.phi, rec_a, rec_phi)
        quad = _quadmin(lo.a, lo.phi, lo.dphi, hi.a, hi.phi)
        if j > 0 and a + cchk < cubic < b - cchk:
            a_j = cubic
        elif a + qchk < quad < b - qchk:
            a_j = quad
        else:
            a_j = (lo.a + hi.a) / 2.0
        trial = at(a_j)
        if sufficient_decrease_fails(trial.a, trial.phi) or trial.phi >= lo.phi:
            rec_a, rec_phi, hi = hi.a, hi.phi, trial
        elif curvature_holds(trial.dphi):
            star, done = trial, True
        else:
            if trial.dphi * (hi.a - lo.a) >= 0.0:
                hi = lo
            rec_a, rec_phi, lo = lo.a, lo.phi, trial
        j += 1
        failed = failed or j >= 30
    return star, failed, j


def _cubicmin(a: Any, fa: Any, fpa: Any, b: Any, fb: Any, c: Any, fc: Any) -> Any:
    """The minimizer of the cubic through (a, fa) with slope fpa, (b, fb) and (c, fc)
    (NaN when it has none)."""
    db, dc = b - a, c - a
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        denom = (db * dc) ** 2 * (db - dc)
        rb, rc = fb - fa - fpa * db, fc - fa - fpa * dc
        A = (dc ** 2 * rb - db ** 2 * rc) / denom
        B = (-dc ** 3 * rb + db ** 3 * rc) / denom
        return a + (-B + np.sqrt(B * B - 3.0 * A * fpa)) / (3.0 * A)


def _quadmin(a: Any, fa: Any, fpa: Any, b: Any, fb: Any) -> Any:
    """The minimizer of the parabola through (a, fa) with slope fpa and (b, fb)."""
    db = b - a
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        B = (fb - fa - fpa * db) / (db ** 2)
        return a - fpa / (2.0 * B)


__all__ = ["OptimizeResults", "minimize"]
