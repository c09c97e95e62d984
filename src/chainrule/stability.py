"""Numerical stability guardrails: rewrites of unstable compositions, strong zeros, anomaly mode.

Importing this module (``import chainrule`` does) installs three things on the engine:

* **Rewrites.** ``log`` looks at the operation that produced its argument and computes
  the stable equivalent instead of the textbook composition:

  - log(softmax(x))   -> log_softmax(x)
  - log(sigmoid(x))   -> -softplus(-x)
  - log(1 - sigmoid(x)) -> -softplus(x)
  - log(sum(exp(x)))  -> logsumexp(x)

  The replacement is recorded on the graph like any operation, so gradients follow it.
  Wherever the textbook value is finite the two agree to rounding (the tests state the
  tolerance); where it overflows to -inf the rewrite gives the finite answer.
  The producer is found on recorded tensors through their graph node, and on tensors
  that are not recorded (no_grad, constants) through a small provenance link that only
  softmax, sigmoid and exp outputs (and a sum of exp, a 1 - sigmoid) keep.

* **Strong zeros.** Elementwise primitives whose local derivative can be infinite at a
  finite input (sqrt and log at 0, divide by 0, exp overflowing, ...) are marked
  ``strong_zero``: in backward, a cotangent that is exactly zero yields an exactly zero
  gradient there, so ``where(x > 0, sqrt(x), 0)`` has a finite gradient at x <= 0.

* **Anomaly mode.** ``with detect_anomaly():`` checks every operation's output and every
  gradient for NaN and Inf and raises ``FloatingPointError`` at the first one, naming the
  primitive, its inputs' shapes and value ranges, and the line of user code that made it.
"""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np

from . import graph
from . import primitives as P
from .graph import TensorBase

# ------------------------------------------------------------------ strong zeros
# Elementwise primitives whose derivative is infinite (or overflows) at some finite input.
# A primitive added later with that property sets ``strong_zero = True`` where it is
# defined, or is named here.
STRONG_ZERO = (
    "sqrt",
    "cbrt",
    "log",
    "log2",
    "log10",
    "log1p",
    "power",
    "float_power",
    "divide",
    "reciprocal",
    "exp",
    "exp2",
    "expm1",
    "sinh",
    "cosh",
    "tan",
    "arcsin",
    "arccos",
    "arctanh",
    "arccosh",
    "arctan2",
    "hypot",
)


def _mark_strong_zeros():
    for name in STRONG_ZERO:
        prim = graph.REGISTRY.get(name)
        if prim is not None:
            prim.strong_zero = True


# -------------------------------------------------------------------- producers
def producer(x):
    """(primitive, args, kw) that computed tensor ``x``, or None when that is not known.

    Known for recorded outputs whose graph is not yet freed and for unrecorded outputs
    that kept provenance. None as well when ``x`` or one of those inputs was modified in
    place since: the producer's inputs then no longer describe ``x``.
    """
    if not isinstance(x, TensorBase):
        return None
    if x._prim is not None:
        args = x._args
        if args is None:  # freed by backward()
            return None
        prim, kw, clock = x._prim, x._kw, x._seq
    elif x._source is not None:
        prim, args, kw, clock = x._source
    else:
        return None
    if graph.modified_since(x, clock):
        return None
    for a in args:
        if isinstance(a, TensorBase):
            # A provenance stand-in watches its original through a weak reference.
            original = a if a._watch is None else a._watch()
            if original is not None and graph.modified_since(original, clock):
                return None
    return prim, args, kw


def _made_by(x, prim):
    """Arguments and keywords of ``x``'s producer if that is ``prim``, else None."""
    if not isinstance(x, TensorBase):
        return None
    # The cheap test first: most tensors were not made by `prim` at all, and producer()
    # checks every input for in-place changes (cross_entropy asks on each call).
    made = x._prim if x._prim is not None else (x._source[0] if x._source is not None else None)
    if made is not prim:
        return None
    src = producer(x)
    if src is None or src[0] is not prim:
        return None
    return src[1], src[2]


def _is_one(c, like):
    """True for a constant 1 that does not change the shape of ``1 - like``."""
    if isinstance(c, TensorBase):
        if c.requires_grad:
            return False
        c = c.data
    shape = np.shape(c)
    if shape and np.broadcast_shapes(shape, np.shape(like)) != np.shape(like):
        return False
    return bool(np.all(np.asarray(c) == 1))


# --------------------------------------------------------------------- rewrites
def _rewrite_log(x):
    """The stable form of log(x) when x was made by softmax, sigmoid, 1 - sigmoid, sum(exp)."""
    # Every log() call passes here: reject anything else with two attribute reads.
    prim = getattr(x, "_prim", None)
    if prim is None:
        if getattr(x, "requires_grad", False):
            # A leaf that requires grad: its gradient must flow to it, not around it.
            return None
        source = getattr(x, "_source", None)
        if source is None:
            return None
        prim = source[0]
    if prim is not P.softmax and prim is not P.sigmoid and prim is not P.subtract and (
        prim is not P.sum
    ):
        return None
    if x._retain:
        return None  # the user asked for this tensor's own gradient
    src = producer(x)
    if src is None:
        return None
    prim, args, kw = src
    if prim is P.softmax:
        return P.log_softmax(*args, **kw)
    if prim is P.sigmoid:
        # log sigma(z) = -log(1 + e^-z) = -softplus(-z)
        return -P.softplus(-args[0])
    if prim is P.subtract and _is_one(args[0], args[1]):
        inner = _made_by(args[1], P.sigmoid)
        if inner is not None:
            # log(1 - sigma(z)) = log sigma(-z) = -softplus(z)
            return -P.softplus(inner[0][0])
        return None
    if prim is P.sum:
        inner = _made_by(args[0], P.exp)
        if inner is not None:
            return P.logsumexp(inner[0][0], *args[1:], **kw)
    return None


def _always(args):
    return True


def _sum_of_exp(args):
    return _made_by(args[0], P.exp) is not None


def _one_minus_sigmoid(args):
    return (
        len(args) == 2
        and _made_by(args[1], P.sigmoid) is not None
        and _is_one(args[0], args[1])
    )


def _install():
    _mark_strong_zeros()
    P.log.rewrite = _rewrite_log
    P.softmax.provenance = _always
    P.sigmoid.provenance = _always
    P.exp.provenance = _always
    P.sum.provenance = _sum_of_exp
    P.subtract.provenance = _one_minus_sigmoid


# ------------------------------------------------------------------ losses' check
def warn_if_probabilities(fn, x, expects):
    """Warn when ``x`` came straight from softmax but ``fn`` expects ``expects``.

    cross_entropy(softmax(x)) and nll_loss(softmax(x)) are finite, well-defined
    functions, so they are computed as written (a rewrite would change their values);
    they are almost always a slip, so say what was probably meant.
    """
    if _made_by(x, P.softmax) is None:
        return
    warnings.warn(
        f"{fn}: its input came straight from softmax, so it holds probabilities, but "
        f"{fn} expects {expects}; the result is computed as written. For the "
        f"cross-entropy pass the logits to cr.cross_entropy, or cr.log_softmax(logits) "
        f"to cr.nll_loss.",
        UserWarning,
        stacklevel=3,
    )


# ------------------------------------------------------------------ anomaly mode
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _user_frame():
    """'file:line in function' of the innermost caller outside the chainrule package."""
    f = sys._getframe(2)
    while f is not None and f.f_code.co_filename.startswith(_PACKAGE_DIR):
        f = f.f_back
    if f is None:
        return "<unknown>"
    return f"{f.f_code.co_filename}:{f.f_lineno} in {f.f_code.co_name}"


def _describe(v):
    """Shape, dtype and value range of an argument, for error messages."""
    if isinstance(v, TensorBase):
        v = v.data
    a = np.asarray(v)
    head = f"shape {a.shape} {a.dtype}"
    if a.dtype.kind not in "fiub" or a.size == 0:
        return head
    if a.dtype.kind == "b":
        return f"{head}, {int(a.sum())} of {a.size} true"
    finite = a[np.isfinite(a)] if a.dtype.kind == "f" else a
    parts = []
    if finite.size:
        parts.append(f"finite range [{finite.min():.6g}, {finite.max():.6g}]")
    if a.dtype.kind == "f":
        for label, count in (
            ("NaN", np.isnan(a).sum()),
            ("+inf", np.isposinf(a).sum()),
            ("-inf", np.isneginf(a).sum()),
        ):
            if count:
                parts.append(f"{count} {label}")
    return f"{head}, " + ", ".join(parts)


def _nonfinite_summary(a):
    kinds = []
    for label, count in (
        ("NaN", np.isnan(a).sum()),
        ("+inf", np.isposinf(a).sum()),
        ("-inf", np.isneginf(a).sum()),
    ):
        if count:
            kinds.append(f"{count} {label}")
    return " and ".join(kinds) + f" (of {a.size} elements)"


def _has_inf(v):
    if isinstance(v, TensorBase):
        v = v.data
    a = np.asarray(v)
    return a.dtype.kind in "fc" and bool(np.isinf(a).any())


def _has_nan(v):
    if isinstance(v, TensorBase):
        v = v.data
    a = np.asarray(v)
    return a.dtype.kind in "fc" and bool(np.isnan(a).any())


def _inputs(args):
    return "\n".join(f"  input {i}: {_describe(a)}" for i, a in enumerate(args))


def _check_output(t, prim, args):
    """Forward check: NaN anywhere, or an infinity that this operation created."""
    d = t.data
    if d.dtype.kind not in "fc" or np.isfinite(d).all():
        if t._prim is not None:
            t._origin = _user_frame()
        return
    # Infinities that were already in an input (a -inf mask) may pass through; NaN never.
    inf_in = any(_has_inf(a) for a in args)
    if inf_in and not np.isnan(d).any():
        if t._prim is not None:
            t._origin = _user_frame()
        return
    nan_in = [i for i, a in enumerate(args) if _has_nan(a)]
    if nan_in:
        # A NaN that arrived with an input (data, or a value computed before
        # detect_anomaly() was switched on) is not this operation's doing: say so.
        source = f"(input {nan_in[0]} already holds NaN)"
    else:
        source = "from its inputs" if inf_in else "from finite inputs"
    raise FloatingPointError(
        f"anomaly in the forward pass: '{prim.name}' produced {_nonfinite_summary(d)} "
        f"{source}\n"
        f"  created at {_user_frame()}\n{_inputs(args)}\n"
        f"  (an output of shape {d.shape} {d.dtype}; check those inputs' domain, or use "
        f"the stable form of the operation, e.g. log_softmax instead of log(softmax))"
    )


def _check_gradient(gi, node, i):
    """Backward check: the gradient for argument ``i`` of ``node`` must be finite."""
    d = gi.data if isinstance(gi, TensorBase) else np.asarray(gi)
    if d.dtype.kind not in "fc" or np.isfinite(d).all():
        return
    origin = node._origin or "<not recorded in anomaly mode>"
    raise FloatingPointError(
        f"anomaly in the backward pass: the gradient that '{node._prim.name}' sends to its "
        f"input {i} has {_nonfinite_summary(d)}\n"
        f"  created at {origin}\n{_inputs(node._args)}\n"
        f"  (the local derivative of '{node._prim.name}' is infinite or undefined at some "
        f"of those inputs; keep them inside its domain, or mask them with where())"
    )


class detect_anomaly:
    """Raise FloatingPointError at the first NaN or Inf in any forward output or gradient.

    ``with cr.detect_anomaly(): loss = f(x); loss.backward()`` checks every operation's
    output (NaN anywhere; an infinity only when none was already in its inputs, so -inf
    masks pass) and every gradient that backward computes. The error names the
    primitive, its inputs' shapes and value ranges, and the file:line of the user code
    that created the operation; that line is captured only while this mode is on.
    Also usable as a decorator.
    """

    def __init__(self):
        self._prev = None

    def __enter__(self):
        self._prev = (graph._anomaly_hook, graph._anomaly_grad_hook)
        graph._anomaly_hook = _check_output
        graph._anomaly_grad_hook = _check_gradient
        return self

    def __exit__(self, *exc):
        graph._anomaly_hook, graph._anomaly_grad_hook = self._prev
        return False

    def __call__(self, fn):
        def wrapped(*args, **kwargs):
            with detect_anomaly():
                return fn(*args, **kwargs)

        wrapped.__name__ = getattr(fn, "__name__", "wrapped")
        wrapped.__doc__ = getattr(fn, "__doc__", None)
        return wrapped


_install()
