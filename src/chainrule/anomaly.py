"""Anomaly mode: find the operation, and the line of user code, that first made a NaN or Inf.

``with detect_anomaly():`` installs two checks on the engine (graph.set_anomaly_hooks):
every operation's output is checked for NaN and Inf as it is computed, and every
gradient as the backward pass computes it. The first bad value raises
``FloatingPointError`` naming the primitive, its inputs' shapes and value ranges, and
the file:line of the user code that created the operation; that line is captured only
while the mode is on.
"""

from __future__ import annotations

import os
import sys

import numpy as np

from . import graph
from .graph import TensorBase

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def user_frame(depth=2):
    """'file:line in function' of the innermost caller outside the chainrule package."""
    f = sys._getframe(depth)
    while f is not None and f.f_code.co_filename.startswith(_PACKAGE_DIR):
        f = f.f_back
    if f is None:
        return "<unknown>"
    return f"{f.f_code.co_filename}:{f.f_lineno} in {f.f_code.co_name}"


def _describe(v):
    """Shape, dtype and value range of an argument, for error messages."""
    if isinstance(v, TensorBase):
        v = v._data
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
        v = v._data
    a = np.asarray(v)
    return a.dtype.kind in "fc" and bool(np.isinf(a).any())


def _has_nan(v):
    if isinstance(v, TensorBase):
        v = v._data
    a = np.asarray(v)
    return a.dtype.kind in "fc" and bool(np.isnan(a).any())


def _inputs(args):
    return "\n".join(f"  input {i}: {_describe(a)}" for i, a in enumerate(args))


def _check_output(t, prim, args):
    """Forward check: NaN anywhere, or an infinity that this operation created."""
    d = t._data
    if d.dtype.kind not in "fc" or np.isfinite(d).all():
        if t._prim is not None:
            t._origin = user_frame()
        return
    # Infinities that were already in an input (a -inf mask) may pass through; NaN never.
    inf_in = any(_has_inf(a) for a in args)
    if inf_in and not np.isnan(d).any():
        if t._prim is not None:
            t._origin = user_frame()
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
        f"  created at {user_frame()}\n{_inputs(args)}\n"
        f"  (an output of shape {d.shape} {d.dtype}; check those inputs' domain, or use "
        f"the stable form of the operation, e.g. log_softmax instead of log(softmax))"
    )


def _check_gradient(gi, node, i):
    """Backward check: the gradient for argument ``i`` of ``node`` must be finite."""
    d = gi._data if isinstance(gi, TensorBase) else np.asarray(gi)
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
        self._prev = graph.set_anomaly_hooks(_check_output, _check_gradient)
        return self

    def __exit__(self, *exc):
        graph.set_anomaly_hooks(*self._prev)
        return False

    def __call__(self, fn):
        def wrapped(*args, **kwargs):
            with detect_anomaly():
                return fn(*args, **kwargs)

        wrapped.__name__ = getattr(fn, "__name__", "wrapped")
        wrapped.__doc__ = getattr(fn, "__doc__", None)
        return wrapped

