"""Tracing: a function run once on example inputs, written down as a list of primitive calls.

While a :class:`Tracer` is installed (graph.set_trace_hook), every operation whose
arguments include a traced value is written down, whether or not it is recorded for
backward: comparisons, operations under ``no_grad``, and the rules that a nested
backward pass runs. The result, a :class:`Trace`, is a straight-line program over
variables (the inputs and every traced result) and constants (everything else: arrays
and numbers as they were when traced, tensors as the tensors they are). ``cr.vmap``
replays it with batching rules (chainrule.batching).

A trace is only as general as the Python that produced it: a branch taken on a traced
value's number would be baked in. Turning a traced value into a Python number (bool,
float, int, item) therefore raises while tracing, naming the line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import graph
from .graph import TensorBase


@dataclass
class Op:
    """One traced call: prim(*args, **kw) -> out. Each argument is a Var or a constant."""

    prim: object
    args: tuple
    kw: dict
    out: Var


@dataclass(frozen=True)
class Var:
    """A traced value: an input, or the result of a traced call."""

    index: int


@dataclass
class Trace:
    inputs: list = field(default_factory=list)  # Vars, in the order given to the tracer
    ops: list = field(default_factory=list)
    outputs: list = field(default_factory=list)  # Vars or constants


class Tracer:
    """The trace hook: collects the calls made on traced values (see the module docstring)."""

    # Nonzero while an effect a compiled step repeats as a whole runs (Optimizer.step):
    # its in-place updates stay plain writes (chainrule.compiled.Capture).
    in_effect = 0
    # The tracer that was installed when this one was (a vmap inside a vmap or inside
    # cr.compile): calls that touch none of this trace's values but some of its values
    # are its to write down, and its traced values are traced here too.
    outer = None
    # Who traces, and what one traced value stands for, for error messages.
    who = "cr.vmap"
    instead = ("the Python value of one example would decide the branch for all of them. "
               "Write the choice with cr.where(condition, a, b), or loop over the examples "
               "in Python")

    def __init__(self):
        self.trace = Trace()
        self._vars = {}  # id(tensor) -> Var
        self._alive = []  # the traced tensors, so their ids stay theirs while tracing

    def input(self, t):
        """Make tensor `t` a traced input."""
        v = self._new(t)
        self.trace.inputs.append(v)
        return v

    def traced(self, t):
        return id(t) in self._vars or (self.outer is not None and self.outer.traced(t))

    def var(self, t):
        """The Var of traced tensor `t`, or None."""
        return self._vars.get(id(t))

    def _new(self, t):
        v = Var(len(self._alive))
        self._vars[id(t)] = v
        self._alive.append(t)
        return v

    def _ref(self, a):
        # A tensor that is not traced stays a tensor: it may be part of a derivative
        # computed around the trace (a closure over a parameter inside cr.grad).
        if isinstance(a, TensorBase):
            v = self._vars.get(id(a))
            return v if v is not None else a
        return a

    def record(self, t, prim, args, kw):
        """graph's trace hook: write down prim(*args, **kw) -> t if it touches a traced value."""
        refs = tuple(self._ref(a) for a in args)
        kws = {k: self._ref(v) for k, v in kw.items()}
        if not any(isinstance(r, Var) for r in (*refs, *kws.values())):
            # (x * 2 inside an inner vmap, x the outer one's: the outer trace's call)
            if self.outer is not None:
                self.outer.record(t, prim, args, kw)
            return
        self.trace.ops.append(Op(prim, refs, kws, self._new(t)))

    def alias(self, dst, src):
        """Tensor object `dst` now stands for the value `src` was (graph.take_node)."""
        v = self._vars.get(id(src))
        if v is not None:
            self._vars[id(dst)] = v
            self._alive.append(dst)
        else:
            self._vars.pop(id(dst), None)

    def backward(self, root, grad, retain_graph, create_graph, inputs):
        """Told of every backward pass while installed (cr.compile writes them down)."""

    def backward_done(self):
        """Told when that backward pass has finished."""

    def modified(self, t):
        """Told of every in-place modification while installed (cr.compile checks them)."""

    def grad_assigned(self, t, value):
        """Told of every assignment to a tensor's .grad while installed."""

    def rebound(self, t):
        """Told when an in-place operator on traced tensor `t` (``t -= u``) is computed out
        of place: the name is bound to the result, the object `t` keeps its values."""

    def created(self, t):
        """Told of every tensor made by hand (``cr.tensor``, ``Tensor(...)``) while installed."""

    def guard_tensors(self, module):
        """Told of a module whose tensors (parameters, buffers) the function reads: a
        compiled step captures again when one of them is replaced by another object."""

    def guard(self, obj, attribute):
        """Told of an attribute the traced function's behaviour depends on (a module's
        ``training`` flag); cr.compile captures again when it changes."""

    def output(self, value):
        """The trace's record of an output: its Var, or the constant it is."""
        if isinstance(value, TensorBase):
            return self._ref(value)
        return value


class tracing:
    """Context manager: install `tracer` (and record operations) while the block runs."""

    def __init__(self, tracer):
        self.tracer = tracer

    def __enter__(self):
        self._prev = graph.set_trace_hook(self.tracer)
        if self._prev is not self.tracer:
            self.tracer.outer = self._prev
        return self.tracer

    def __exit__(self, *exc):
        graph.set_trace_hook(self._prev)
        return False


def traced(x):
    """True when `x` is a tensor the installed tracer (cr.vmap, cr.compile) traces: its
    values are one example's or call's, so nothing may be decided on them."""
    tracer = graph.trace_hook()
    return tracer is not None and isinstance(x, TensorBase) and tracer.traced(x)


def concrete(t, what):
    """The values of tensor `t`, refused (naming `what` and the user's line) when `t` is
    being traced: its values are the traced example's or call's, and a result computed
    from them would be a constant of the trace, wrong for every other example or call."""
    if traced(t):
        from .anomaly import user_frame

        raise TypeError(
            f"{what} computed from a value being traced (by cr.vmap or cr.compile), at "
            f"{user_frame(3)}: this operation reads the values themselves, which differ "
            f"for every example or call. Compute it with chainrule operations on tensors "
            f"(or, under cr.vmap, loop over the examples in Python)"
        )
    return t._data if isinstance(t, TensorBase) else np.asarray(t)
