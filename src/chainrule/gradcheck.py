"""Check derivative rules against central finite differences, in float64.

``gradcheck(f, *inputs)`` compares the reverse-mode gradient of a random projection
w . f(x) with its finite-difference estimate, element by element for small inputs
and along random directions for large ones. ``order=2`` also checks the gradient of
that gradient (the rules recorded with ``create_graph=True``).

Forward mode ("fwd") compares the Jacobian-vector product J u, every output element
of it, with (f(x + eps u) - f(x - eps u)) / (2 eps); ``order=2`` compares the JVP of
the JVP, D^2 f[u, w], with central differences of the analytic J w.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from . import graph
from .backward import backward
from .forward_mode import jvp
from .tensor import Tensor

if TYPE_CHECKING:  # numpy.typing is not otherwise imported with chainrule
    from numpy.typing import ArrayLike


class GradcheckError(AssertionError):
    """A derivative rule disagrees with finite differences."""


_ELEMENTWISE_LIMIT = 64  # inputs up to this size are checked element by element
_DIRECTIONS = 4  # random directions for larger inputs


def _as_float64(inputs):
    arrays = []
    for i, x in enumerate(inputs):
        a = np.asarray(x._data if isinstance(x, graph.TensorBase) else x)
        if a.dtype.kind == "f" and a.dtype != np.float64:
            warnings.warn(
                f"gradcheck: argument {i} is {a.dtype}; checking it in float64",
                stacklevel=3,
            )
        arrays.append(a.astype(np.float64) if a.dtype.kind == "f" else a)
    return arrays


def _scalar_fn(f, arrays, weights, order):
    """The function whose gradient is checked: w . f(x), or for order 2, r . grad(w . f)."""
    diff = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]

    def evaluate(values, need_graph):
        args = [
            Tensor(v, requires_grad=need_graph and i in diff) if i in diff else v
            for i, v in enumerate(values)
        ]
        if need_graph:
            # As a transform: a transform f calls on arrays (cr.grad(lambda y: x * y)(2.0),
            # closing over the argument checked) is then nested, so its result stays on
            # the argument's graph; at the outermost level it would be a plain array.
            from .transforms import running

            with running():
                out = f(*args)
        else:
            out = f(*args)
        if not isinstance(out, graph.TensorBase):
            raise TypeError(f"gradcheck: f must return a tensor, got {type(out).__name__}")
        w = weights.get("w")
        if w is None:
            w = weights["rng"].standard_normal(out.shape)
            weights["w"] = w
        s = (out * w).sum()
        if order == 1:
            return s, args
        if not s.requires_grad:
            return s * 0, args
        tensors = [args[i] for i in diff]
        grads = backward(s, create_graph=True, inputs=tensors)
        total = None
        for k, (t, g) in enumerate(zip(tensors, grads)):
            if g is None:
                continue
            r = weights.setdefault(("r", k), weights["rng"].standard_normal(t.shape))
            term = (g * r).sum()
            total = term if total is None else total + term
        if total is None:
            total = (out * 0).sum()
        return total, args

    return evaluate, diff


def gradcheck(
    f: Callable[..., Tensor],
    *inputs: ArrayLike | Tensor,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    order: Literal[1, 2] = 1,
    modes: Sequence[Literal["rev", "fwd"]] = ("rev", "fwd"),
    seed: int = 0,
) -> bool:
    """Raise GradcheckError unless f's derivatives match finite differences; else True.

    ``f`` maps tensors to a tensor. Floating inputs are differentiated (in float64);
    other inputs are passed through unchanged. ``order`` is 1 or 2. ``modes`` names the
    differentiation modes to check: "rev" (VJP) and "fwd" (JVP).
    """
    if order not in (1, 2):
        raise ValueError(f"gradcheck: order must be 1 or 2, got {order}")
    arrays = _as_float64(inputs)
    rng = np.random.default_rng(seed)
    for mode in modes:
        if mode == "rev":
            for o in range(1, order + 1):
                _check_rev(f, arrays, eps, atol, rtol, o, rng)
        elif mode == "fwd":
            for o in range(1, order + 1):
                _check_fwd(f, arrays, eps, atol, rtol, o, rng)
        else:
            raise ValueError(f"gradcheck: unknown mode {mode!r}; use 'rev' or 'fwd'")
    return True


def _directions(x, rng):
    """(element index, unit vector) for each element of a small input; (None, random
    direction) a few times for a large one."""
    if x.size <= _ELEMENTWISE_LIMIT:
        for idx in np.ndindex(x.shape):
            u = np.zeros(x.shape)
            u[idx] = 1.0
            yield idx, u
    else:
        for _ in range(_DIRECTIONS):
            yield None, rng.standard_normal(x.shape)


def _rev_comparisons(f, arrays, eps, order, rng):
    """For each differentiated argument i: (i, [(where, analytic, finite difference), ...]).

    The analytic value is the reverse-mode gradient of the weighted output projected on
    a direction (a unit vector per element for small inputs, random ones for large),
    the finite difference is the central difference of the same projection.
    """
    weights = {"rng": rng}
    evaluate, diff = _scalar_fn(f, arrays, weights, order)
    s, args = evaluate(arrays, need_graph=True)
    tensors = [args[i] for i in diff]
    if s.requires_grad:
        analytic = backward(s, inputs=tensors)
    else:
        analytic = [None] * len(tensors)

    def value(values):
        with graph.set_grad_enabled(order == 2):
            out, _ = evaluate(values, need_graph=order == 2)
        return float(out._data)

    for k, i in enumerate(diff):
        a = np.zeros(arrays[i].shape) if analytic[k] is None else np.asarray(analytic[k]._data)
        x = arrays[i]
        rows = []
        for idx, u in _directions(x, rng):
            plus = [v if j != i else x + eps * u for j, v in enumerate(arrays)]
            minus = [v if j != i else x - eps * u for j, v in enumerate(arrays)]
            numeric = (value(plus) - value(minus)) / (2 * eps)
            rows.append((idx, float(np.sum(a * u)), numeric))
        yield i, rows


@dataclass(frozen=True)
class Comparison:
    """How far a reverse-mode gradient is from central finite differences."""

    max_error: float  # max |analytic - finite difference| over every direction checked
    scale: float  # max |finite difference|, to read the error against
    entries: int  # how many directions (input elements, for small inputs) were checked


def compare(
    f: Callable[..., Tensor], *inputs: ArrayLike | Tensor, eps: float = 1e-6, seed: int = 0
) -> Comparison:
    """The largest gap between f's first-order VJP and central differences (float64).

    Every floating input is differentiated, as in :func:`gradcheck`; used by
    ``cr.explain`` to print how well a rule checks out.
    """
    arrays = _as_float64(inputs)
    worst, scale, entries = 0.0, 0.0, 0
    for _, rows in _rev_comparisons(f, arrays, eps, 1, np.random.default_rng(seed)):
        for _, got, numeric in rows:
            worst = max(worst, abs(got - numeric))
            scale = max(scale, abs(numeric))
            entries += 1
    return Comparison(worst, scale, entries)


def _check_rev(f, arrays, eps, atol, rtol, order, rng):
    for i, rows in _rev_comparisons(f, arrays, eps, order, rng):
        worst = None
        for idx, got, numeric in rows:
            err = abs(got - numeric) - (atol + rtol * abs(numeric))
            if not np.isfinite(err):
                # NaN would compare False against everything and hide later failures.
                err = np.inf
            if worst is None or err > worst[0]:
                worst = (err, idx, got, numeric)
        if worst is not None and (worst[0] > 0 or not np.isfinite(worst[2])):
            _, idx, got, numeric = worst
            x = arrays[i]
            where = f"element {idx}" if idx is not None else "a random direction"
            what = "gradient" if order == 1 else "second derivative (gradient of the gradient)"
            raise GradcheckError(
                f"gradcheck: {what} of argument {i} (shape {x.shape}) is wrong at {where}: "
                f"analytic {got!r}, finite differences {numeric!r} "
                f"(atol={atol}, rtol={rtol}, eps={eps})"
                + ("; check inputs lie inside the function's domain"
                   if not (np.isfinite(got) and np.isfinite(numeric)) else "")
            )


def _check_fwd(f, arrays, eps, atol, rtol, order, rng):
    diff = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]
    for i in diff:
        x = arrays[i]

        def f_i(xi, i=i):
            args = [xi if j == i else (Tensor(v) if j in diff else v) for j, v in enumerate(arrays)]
            out = f(*args)
            if not isinstance(out, graph.TensorBase):
                raise TypeError(f"gradcheck: f must return a tensor, got {type(out).__name__}")
            return out

        if order == 1:
            derivative = f_i
        else:
            w = rng.standard_normal(x.shape)

            def derivative(xi, f_i=f_i, w=w):
                # The analytic JVP along w; its own JVP along u is D^2 f[u, w].
                return jvp(f_i, (xi,), (w,))[1]

        def value(xi, derivative=derivative):
            out = derivative(xi if order == 2 else Tensor(xi))
            return np.asarray(out._data if isinstance(out, graph.TensorBase) else out)

        worst = None
        for idx, u in _directions(x, rng):
            got = np.asarray(jvp(derivative, (x,), (u,))[1], dtype=np.float64)
            numeric = (value(x + eps * u) - value(x - eps * u)) / (2 * eps)
            got = np.broadcast_to(got, numeric.shape)
            err = np.abs(got - numeric) - (atol + rtol * np.abs(numeric))
            err = np.where(np.isfinite(err), err, np.inf)
            if err.size == 0:
                continue
            k = np.unravel_index(int(np.argmax(err)), err.shape)
            if worst is None or err[k] > worst[0]:
                worst = (err[k], idx, k, got[k], numeric[k])
        if worst is not None and worst[0] > 0:
            _, idx, k, got, numeric = worst
            where = f"input element {idx}" if idx is not None else "a random input direction"
            what = "JVP" if order == 1 else "second-order JVP (JVP of the JVP)"
            raise GradcheckError(
                f"gradcheck: forward-mode {what} of argument {i} (shape {x.shape}) is wrong "
                f"along {where}, output element {tuple(int(j) for j in k)}: analytic "
                f"{float(got)!r}, finite differences {float(numeric)!r} "
                f"(atol={atol}, rtol={rtol}, eps={eps})"
            )
