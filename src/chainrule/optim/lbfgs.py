"""L-BFGS: a quasi-Newton method for full-batch problems, with PyTorch's closure API.

    def closure():
        opt.zero_grad()
        loss = f(x)
        loss.backward()
        return loss

    opt = chainrule.optim.LBFGS([x], line_search_fn="strong_wolfe")
    for _ in range(steps):
        opt.step(closure)

One ``step(closure)`` runs up to ``max_iter`` iterations (and ``max_eval`` evaluations
of the closure). Each iteration takes the direction d = -H g, where H approximates the
inverse Hessian from the last ``history_size`` pairs s = x_{k+1} - x_k, y = g_{k+1} - g_k
(Nocedal & Wright, *Numerical Optimization*, algorithm 7.4, the two-loop recursion,
with H_0 = (s.y / y.y) I from the newest pair), and moves either by a fixed step ``lr``
(the first iteration ever by min(1, 1/|g|_1) lr) or by a step found by the strong-Wolfe
line search (:mod:`chainrule.optim.line_search`). A pair is stored only if s.y > 1e-10,
which keeps H positive definite. The iteration, stopping rules and state are PyTorch's,
so the two take the same steps.

All parameters are handled as one flat vector (in their common dtype; float32 for
float16 parameters), so there is a single parameter group.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from ..compiled import replayed
from ..graph import enable_grad, mark_modified, no_grad
from .hooks import with_hooks
from .line_search import strong_wolfe
from .optimizer import Optimizer

# State kept between steps: counters, the last direction and step, the curvature pairs.
_SCALARS = ("func_evals", "n_iter", "t", "H_diag", "prev_loss")
_VECTORS = ("d", "prev_flat_grad")
_HISTORY = ("old_dirs", "old_stps", "ro")


class LBFGS(Optimizer):
    """Limited-memory BFGS (Liu & Nocedal, 1989), optionally with a strong-Wolfe line search.

    ``step(closure)`` requires the closure: it re-evaluates the loss, calls backward()
    and returns the loss; ``step`` returns the loss of its first evaluation. Stops an
    iteration loop when max |g| <= ``tolerance_grad``, when the step max |t d| or the
    change of the loss falls below ``tolerance_change``, or when g.d > -tolerance_change.
    """

    def __init__(self, params, lr=1.0, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(
                f"LBFGS: line_search_fn must be None or 'strong_wolfe', got {line_search_fn!r}"
            )
        for name, value in (("max_iter", max_iter), ("history_size", history_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"LBFGS: {name} must be an integer >= 1, got {value!r}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        if isinstance(max_eval, bool) or not isinstance(max_eval, int) or max_eval < 1:
            raise ValueError(f"LBFGS: max_eval must be an integer >= 1, got {max_eval!r}")
        for name, value in (("tolerance_grad", tolerance_grad),
                            ("tolerance_change", tolerance_change)):
            if not (value >= 0 and math.isfinite(value)):
                raise ValueError(f"LBFGS: {name} must be a finite number >= 0, got {value}")
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                                      tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change,
                                      history_size=history_size,
                                      line_search_fn=line_search_fn))

    def add_param_group(self, param_group):
        if self.param_groups:
            raise ValueError(
                "LBFGS optimizes all its parameters as one vector, so it has a single "
                "parameter group: pass every parameter when building it"
            )
        super().add_param_group(param_group)
        params = self.param_groups[0]["params"]
        self._params = params
        dtype = np.result_type(*(p._data.dtype for p in params))
        self._dtype = np.dtype(np.float32) if dtype == np.float16 else dtype
        self._size = sum(p._data.size for p in params)

    # ------------------------------------------------------------ the flat vector
    def _flat_grad(self):
        """Every parameter's gradient end to end (zeros where a parameter has none)."""
        parts = [np.zeros(p._data.size, self._dtype) if p.grad is None else p.grad._data.ravel()
                 for p in self._params]
        return np.concatenate(parts).astype(self._dtype, copy=False)

    def _move(self, t, d):
        """x <- x + t d, in each parameter's own dtype."""
        start = 0
        for p in self._params:
            n = p._data.size
            p._data += (t * d[start:start + n]).reshape(p._data.shape).astype(p._data.dtype)
            mark_modified(p)
            start += n

    def _restore(self, saved):
        for p, data in zip(self._params, saved):
            p._data[...] = data
            mark_modified(p)

    def _evaluate(self, closure):
        with enable_grad():
            loss = closure()
        return loss, float(loss)

    def _evaluate_along(self, closure, t, d):
        """(f(x + t d), its gradient), leaving the parameters at x."""
        saved = [p._data.copy() for p in self._params]
        self._move(t, d)
        _, value = self._evaluate(closure)
        grad = self._flat_grad()
        self._restore(saved)
        return value, grad

    # ------------------------------------------------------------------ the step
    @replayed  # (run again whole, closure included, by a step compiled with cr.compile)
    @with_hooks
    def step(self, closure=None):
        """Run up to ``max_iter`` L-BFGS iterations; return the loss first evaluated."""
        if closure is None:
            raise TypeError(
                "LBFGS.step needs a closure: a function that calls zero_grad(), computes "
                "the loss, calls loss.backward() and returns the loss, e.g. "
                "opt.step(closure)"
            )
        group = self.param_groups[0]
        lr = float(group["lr"])
        max_iter, max_eval = int(group["max_iter"]), int(group["max_eval"])
        tolerance_grad = float(group["tolerance_grad"])
        tolerance_change = float(group["tolerance_change"])
        history_size = int(group["history_size"])
        state = self._state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        first_loss, loss = self._evaluate(closure)
        evaluations = 1
        state["func_evals"] += 1
        g = self._flat_grad()
        if np.abs(g).max(initial=0.0) <= tolerance_grad:
            return first_loss
        d, t = state.get("d"), state.get("t")
        dirs, steps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        h_diag, prev_g, prev_loss = (state.get("H_diag"), state.get("prev_flat_grad"),
                                     state.get("prev_loss"))
        with no_grad():
            iterations = 0
            while iterations < max_iter:
                iterations += 1
                state["n_iter"] += 1
                if state["n_iter"] == 1:
                    d = -g
                    dirs, steps, ro = [], [], []
                    h_diag = 1.0
                else:
                    y = g - prev_g
                    s = d * t
                    ys = float(y @ s)
                    if ys > 1e-10:  # a pair with positive curvature: remember it
                        if len(dirs) == history_size:
                            del dirs[0], steps[0], ro[0]
                        dirs.append(y)
                        steps.append(s)
                        ro.append(1.0 / ys)
                        h_diag = ys / float(y @ y)
                    d = _two_loop(g, dirs, steps, ro, h_diag)
                prev_g = g.copy()
                prev_loss = loss
                t = min(1.0, 1.0 / float(np.abs(g).sum())) * lr if state["n_iter"] == 1 else lr
                gtd = float(g @ d)
                if gtd > -tolerance_change:  # not a descent direction (any more)
                    break
                used, converged = 0, False
                if group["line_search_fn"] == "strong_wolfe":
                    loss, g, t, used = strong_wolfe(
                        lambda step, d=d: self._evaluate_along(closure, step, d),
                        t, d, loss, g, gtd, max_ls=max_eval - evaluations)
                    self._move(t, d)
                    converged = np.abs(g).max() <= tolerance_grad
                else:
                    self._move(t, d)
                    if iterations != max_iter:  # the last move needs no evaluation
                        _, loss = self._evaluate(closure)
                        g = self._flat_grad()
                        converged = np.abs(g).max() <= tolerance_grad
                        used = 1
                evaluations += used
                state["func_evals"] += used
                if (iterations == max_iter or evaluations >= max_eval or converged
                        or np.abs(d * t).max() <= tolerance_change
                        or abs(loss - prev_loss) < tolerance_change):
                    break
        state.update(d=d, t=t, old_dirs=dirs, old_stps=steps, ro=ro, H_diag=h_diag,
                     prev_flat_grad=prev_g, prev_loss=prev_loss)
        return first_loss

    # --------------------------------------------------------------- state dicts
    def state_dict(self):
        """As for every optimizer; the state (under parameter 0) holds arrays only.

        ``old_dirs`` and ``old_stps`` are stacked into (pairs, n) arrays and ``ro`` into a
        (pairs,) array; counters are 0-d int64 and other scalars 0-d float64 arrays.
        """
        groups, _ = self._saved_groups()
        state = self._state.get(self._params[0])
        if not state:
            return {"state": {}, "param_groups": groups}
        entry = {}
        for name in _SCALARS:
            if state.get(name) is not None:
                kind = np.int64 if name in ("func_evals", "n_iter") else np.float64
                entry[name] = np.array(state[name], kind)
        for name in _VECTORS:
            if state.get(name) is not None:
                entry[name] = np.array(state[name], copy=True)
        if state.get("old_dirs") is not None:
            for name in ("old_dirs", "old_stps"):
                entry[name] = np.array(state[name], self._dtype).reshape(-1, self._size)
            entry["ro"] = np.array(state["ro"], np.float64)
        return {"state": {"0": entry}, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore what :meth:`state_dict` saved (same parameters, same sizes)."""
        self._check_group_sizes(state_dict["param_groups"])
        entries = state_dict.get("state", {})
        if set(entries) - {"0"}:
            raise ValueError(
                f"LBFGS.load_state_dict: state for parameters {sorted(entries)}, but LBFGS "
                f"keeps its state under parameter 0 (was it saved from another optimizer?)"
            )
        state = {}
        entry = entries.get("0", {})
        unknown = set(entry) - set(_SCALARS + _VECTORS + _HISTORY)
        if unknown:
            raise ValueError(f"LBFGS.load_state_dict: unknown state {sorted(unknown)}")
        for name in _SCALARS:
            if name in entry:
                value = np.asarray(entry[name])
                state[name] = int(value) if name in ("func_evals", "n_iter") else float(value)
        for name in _VECTORS:
            if name in entry:
                state[name] = self._vector(entry[name], name)
        if "old_dirs" in entry:
            pairs = [np.asarray(entry[name]) for name in _HISTORY]
            if (pairs[0].ndim != 2 or pairs[0].shape != pairs[1].shape
                    or pairs[0].shape[1] != self._size or pairs[2].shape != pairs[0].shape[:1]):
                raise ValueError(
                    f"LBFGS.load_state_dict: old_dirs, old_stps and ro have shapes "
                    f"{[a.shape for a in pairs]}, expected (k, {self._size}), "
                    f"(k, {self._size}) and (k,)"
                )
            state["old_dirs"] = [row.astype(self._dtype) for row in pairs[0]]
            state["old_stps"] = [row.astype(self._dtype) for row in pairs[1]]
            state["ro"] = [float(r) for r in pairs[2]]
        self._load_hyperparameters(state_dict["param_groups"])
        self._state = defaultdict(dict, {self._params[0]: state} if state else {})

    def _vector(self, value, name):
        value = np.asarray(value)
        if value.shape != (self._size,):
            raise ValueError(f"LBFGS.load_state_dict: {name} has shape {value.shape}, "
                             f"expected ({self._size},) for these parameters")
        return value.astype(self._dtype)


def _two_loop(g, dirs, steps, ro, h_diag):
    """-H g by the two-loop recursion over the stored pairs (y in ``dirs``, s in ``steps``).

    q = -g; for i from newest to oldest: a_i = rho_i s_i.q, q -= a_i y_i;
    r = h_diag q; for i from oldest to newest: b = rho_i y_i.r, r += (a_i - b) s_i.
    """
    q = -g
    alphas = [0.0] * len(dirs)
    for i in range(len(dirs) - 1, -1, -1):
        alphas[i] = float(steps[i] @ q) * ro[i]
        q -= alphas[i] * dirs[i]
    r = q * h_diag
    for i in range(len(dirs)):
        beta = float(dirs[i] @ r) * ro[i]
        r += (alphas[i] - beta) * steps[i]
    return r
