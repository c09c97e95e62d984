"""``cr.compile``: a training step captured once and replayed as a flat program of NumPy calls.

``step = cr.compile(step)`` on a function that does what a training loop does
(``opt.zero_grad()``, a forward pass, a loss, ``loss.backward()``, ``opt.step()``), or on
a plain function of arrays: the first call for given argument shapes and dtypes runs the
function eagerly under a :class:`Capture` (a tracer, chainrule.tracing) that writes down

* every operation on the arguments or on the parameters (tensors requiring grad that
  the function reads), as the primitive and its arguments;
* each ``backward()`` of a captured value;
* each call of a replayed effect (an optimizer's ``step`` and ``zero_grad``, a learning
  rate schedule's ``step``, gradient clipping: functions decorated with :func:`replayed`).

The capture also notes the attributes the step's behaviour hangs on (each module's
``training`` flag, read when the module is called): a later call whose noted attributes
have changed (``model.eval()``) captures again, and each captured version is kept.

Later calls with arguments of the same shapes and dtypes run the program: each
operation's NumPy forward on arrays, the backward pass as the same rules in the same
order as the engine's (so gradients are bit for bit those of eager execution), the
parameters' gradients written into their ``.grad``, and the effects called again. No
tensor is created per operation and nothing is recorded. New shapes or dtypes capture
again.

Array arguments are the program's inputs, read as tensors: a float64 array given to a
step whose parameters are float32 computes in float64, as a float64 tensor would (an
eager call reads a bare array as a constant, which takes the parameters' dtype). Give
arrays in the parameters' dtype (``x.astype(np.float32)``) for eager's results.

The capture refuses what it could not replay truthfully: Python control flow on a
captured value (``bool``, ``float``, ``item()``: the branch would be fixed), an in-place
change of a tensor outside the captured operations and the effects (BatchNorm's running
statistics, a parameter updated by hand rather than by an optimizer), a backward pass
with ``create_graph`` or ``inputs``, and a gradient that would flow into a tensor made
outside the function that is not a leaf.
"""

from __future__ import annotations

import builtins
import functools
import warnings
import weakref
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np

from . import graph, transforms
from .backward import _has_zero, _strong_zero_vjp, unbroadcast
from .compiled_calls import NAME, CallWriter, Symbol, plain_number, render, symbolic
from .graph import TensorBase, is_tensor, new_tensor
from .pytree import tree_flatten, tree_unflatten
from .tracing import Tracer, Var, tracing

_F = TypeVar("_F", bound=Callable[..., Any])
Result = TypeVar("Result")


def replayed(method: _F) -> _F:
    """Decorator for a method whose effect a compiled step repeats (Optimizer.step).

    Called while a step is captured, the call is written down, then made; a compiled
    step makes it again each time it runs.
    """

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        capture = graph.trace_hook()
        if isinstance(capture, Capture) and not capture.in_effect:
            capture.effect(method, self, args, kwargs)
            capture.in_effect += 1
            try:
                return method(self, *args, **kwargs)
            finally:
                capture.in_effect -= 1
                capture.effect_done()
        return method(self, *args, **kwargs)

    return cast(_F, call)


_UPDATED_BY_HAND = (
    "cr.compile: a parameter is updated inside the step other than by an optimizer (p -= "
    "lr * p.grad, p.data -= ...): a compiled step would not repeat it. Update it with an "
    "optimizer from chainrule.optim (its step() is repeated), or run the step eagerly"
)


class Capture(Tracer):
    """A tracer that also writes down backward passes and replayed effects (the module doc)."""

    who = "cr.compile"
    instead = ("the values of the call being captured would decide the branch for every "
               "later call. Write the choice with cr.where(condition, a, b), or leave this "
               "function uncompiled")

    def __init__(self):
        super().__init__()
        self.steps = []  # ("op", Op) / ("backward", Var) / ("effect", method, self, args, kw)
        self.params = {}  # Var -> the tensor requiring grad it stands for
        self.recorded = set()  # Vars whose value the graph recorded (requires grad)
        self.shapes = {}  # Var of an operation's result -> its arguments' shapes
        self.in_effect = 0
        self.in_backward = 0
        self.guards = {}  # (id(obj), attribute) -> (obj, attribute, value when captured)
        self.held = {}  # (id(module), name) -> (module, name, the tensor it held)
        # Tensors the function reads that need no gradient (buffers such as BatchNorm's
        # running statistics, constants made outside): read afresh on every call like
        # parameters, so what is computed from them alone is computed again too (it was
        # the capture's values, stale once a buffer changed).
        self.constants = {}  # Var -> tensor
        self.outputting = False
        # Leaves the function makes itself. Eagerly each call makes new ones, whose .grad
        # starts empty; the program reuses the captured objects, so it empties their .grad
        # at the start of every call (`fresh`). A leaf made from a traced value
        # (cr.tensor(x) of an argument) is computed by the program (`leaves`); one made
        # from constants is read like a parameter.
        self.made = {}  # id(tensor) -> weak reference, for tensors made while capturing
        self.fresh = set()  # Vars of leaves made inside the function
        self.leaves = {}  # Var -> leaf made from a traced value (its gradient is written)
        # Each parameter's values when the step first read it, or after the last effect:
        # a change outside the operations and the effects (p.data -= ...) is refused.
        self.snapshots = {}  # id(parameter) -> (parameter, its values then)

    def _ref(self, a):
        if isinstance(a, TensorBase) and id(a) not in self._vars and a.requires_grad:
            # A tensor requiring grad that the function reads: a parameter. It becomes an
            # input of the program, read afresh (p.data) each time the program runs.
            if a._prim is not None:
                raise ValueError(
                    "cr.compile: the function reads a differentiated tensor made outside "
                    "it by a recorded operation (not a leaf); its gradient would flow into "
                    "a graph the compiled step does not hold. Make it inside the function, "
                    "or detach it"
                )
            v = self._new(a)
            self.params[v] = a
            self.snapshots[id(a)] = (a, a._data.copy())
            made = self.made.get(id(a))
            if made is not None and made() is a:
                self.fresh.add(v)
        elif (isinstance(a, TensorBase) and id(a) not in self._vars and not self.in_effect
              and not self.outputting):
            self.constants[self._new(a)] = a
        return super()._ref(a)

    def output(self, value):
        # A tensor returned as it is (a parameter's .grad, a buffer) is returned as that
        # object after each call, not as its values at the start of the call.
        self.outputting = True
        try:
            return super().output(value)
        finally:
            self.outputting = False

    def guard_tensors(self, module):
        for name, value in vars(module).items():
            if isinstance(value, TensorBase):
                self.held.setdefault((id(module), name), (module, name, value))

    def created(self, t):
        self.made[id(t)] = weakref.ref(t)

    def alias(self, dst, src):
        super().alias(dst, src)
        v = self._vars.get(id(dst))
        if v is not None and dst.requires_grad and dst._prim is None:
            self.leaves[v] = dst
            self.fresh.add(v)

    def record(self, t, prim, args, kw):
        if self.in_effect:
            return
        refusal = getattr(prim, "not_compiled", None)
        if refusal is not None:
            raise ValueError(f"cr.compile: {refusal}")
        n = len(self.trace.ops)
        super().record(t, prim, args, kw)
        if len(self.trace.ops) > n:
            op = self.trace.ops[-1]
            self.steps.append(("op", op))
            self.shapes[op.out] = [np.shape(a._data if isinstance(a, TensorBase) else a)
                                   for a in args]
            if t.requires_grad:
                self.recorded.add(op.out)

    def backward(self, root, grad, retain_graph, create_graph, inputs):
        self.in_backward += 1
        v = self.var(root)
        if v is None or create_graph:
            return  # (with create_graph the rules' operations are captured themselves)
        if inputs is not None or grad is not None:
            raise ValueError(
                "cr.compile: only loss.backward() is replayed (no grad=, create_graph= or "
                "inputs=); differentiate with cr.grad inside the function for the rest"
            )
        self.steps.append(("backward", v))

    def backward_done(self):
        self.in_backward -= 1

    def effect(self, method, obj, args, kwargs):
        self.check_parameters()
        self.steps.append(("effect", method, obj, args, kwargs))

    def effect_done(self):
        self.snapshots = {k: (p, p._data.copy()) for k, (p, _) in self.snapshots.items()}

    def check_parameters(self):
        """Refuse a parameter changed since it was read other than by an effect."""
        for p, then in self.snapshots.values():
            if p._data.shape != then.shape or not np.array_equal(p._data, then, equal_nan=True):
                raise ValueError(_UPDATED_BY_HAND)

    def rebound(self, t):
        # (`p.detach() -= ...` and PyTorch's `p.data.add_(...)` write into p eagerly.)
        leaf = t.__dict__.get("_detached_leaf", t)
        if id(leaf) in self.snapshots and not self.in_effect:
            raise ValueError(_UPDATED_BY_HAND)

    def grad_assigned(self, t, value):
        if self.in_effect or self.in_backward:
            return
        if value is not None:
            raise ValueError(
                "cr.compile: a gradient is assigned by hand inside the function; a compiled "
                "step would not repeat it. Let backward() set it"
            )
        # `p.grad = None` by hand (a loop's own zero_grad): repeated each step.
        self.steps.append(("effect", _set_grad_none, t, (), {}))

    def guard(self, obj, attribute):
        key = (id(obj), attribute)
        if key not in self.guards:
            self.guards[key] = (obj, attribute, getattr(obj, attribute))

    def modified(self, t):
        if self.in_effect or id(t) in self._vars:
            return
        raise ValueError(
            "cr.compile: a tensor was modified in place inside the function, outside "
            "chainrule's operations and the optimizer (BatchNorm's running statistics, "
            "a hand-written update): a compiled step would not repeat it. Run this "
            "function eagerly"
        )


def compile(fn: Callable[..., Result]) -> Callable[..., Result]:  # noqa: A001  (PyTorch's name)
    """`fn` captured on its first call per argument shapes and dtypes, then replayed.

    Also a decorator. Arguments are arrays (or tensors, read as their values), numbers
    and other fixed values; the result is what fn returns, with tensors as tensors
    holding the replayed values. See the module docstring for what is captured.
    Dropout's masks are drawn afresh on every call (the ones eager calls would draw),
    and ``model.train()`` / ``model.eval()`` after a capture make the next call capture
    again for the new mode.
    """
    programs = {}  # argument signature -> the programs captured for it

    @functools.wraps(fn)
    def compiled(*args):
        if any(map(_seen_from_outside, args)):
            # Differentiated or traced from outside (cr.grad(compiled), cr.vmap(...),
            # forward mode): a replay computes values only, so the outer transform would
            # see constants (a zero gradient, one example's values). fn runs as written,
            # which the outer transform records.
            return fn(*args)
        key = tuple(map(_signature, args))
        versions = programs.setdefault(key, [])
        for program in versions:
            if program.holds():
                return program.run(args)
        program, result = _capture(fn, args)
        versions.append(program)
        return result

    compiled.programs = programs
    return compiled


def _seen_from_outside(a):
    if not is_tensor(a):
        return False
    tracer = graph.trace_hook()
    return graph.is_traced(a) or (tracer is not None and tracer.traced(a))


def _signature(a):
    if is_tensor(a):
        return ("array", a._data.shape, a._data.dtype.str)
    if isinstance(a, np.ndarray):
        return ("array", a.shape, a.dtype.str)
    return ("value", type(a), a if isinstance(a, (int, float, str, bool, type(None))) else id(a))


def _capture(fn, args):
    capture = Capture()
    inputs = []
    for a in args:
        if is_tensor(a) or isinstance(a, np.ndarray):
            t = new_tensor(a._data if is_tensor(a) else np.asarray(a))
            capture.input(t)
            inputs.append(t)
        else:
            inputs.append(a)
    # As inside any transform: cr.grad and friends within fn return tensors and record
    # their rules as operations, which the capture then sees.
    with transforms.running(), tracing(capture):
        result = fn(*inputs)
    capture.check_parameters()
    leaves, rebuild = _flatten(result)
    outputs = [capture.output(o) for o in leaves]
    return Program(capture, outputs, rebuild, [is_tensor(a) or isinstance(a, np.ndarray)
                                               for a in args]), result


def _flatten(result):
    """The result's leaves (pytrees of any depth: tuples, lists, dicts, None), and how
    to build the same structure from the replayed values."""
    leaves, treedef = tree_flatten(result)
    return leaves, functools.partial(tree_unflatten, treedef)


class Program:
    """A captured step, written out as one Python function of straight-line NumPy calls.

    Each operation becomes ``v7 = f7(v3, c2)`` (f7 the primitive's NumPy forward, c2 a
    constant), each backward pass the rules in the engine's order with every
    accumulation spelled out (``g3 = g3 + t``), each effect a call; variables are
    deleted after their last use. Generating the code once takes the interpreter's
    per-operation bookkeeping out of every later step.

    Small results that never leave the program are written into buffers it owns
    (chainrule.compiled_calls.render). Each run takes a set of them for itself, so a
    step run again before it returns (from another thread) gets a set of its own.
    """

    def __init__(self, capture, outputs, rebuild, is_array):
        self.params = list(capture.params.items())
        self.param_tensors = [p for _, p in self.params]
        self.guards = list(capture.guards.values())
        self.held = list(capture.held.values())
        # The program is written for the shapes and dtypes of what it reads (its typed
        # constants and reused buffers depend on them): p.data replaced by a float64 or
        # reshaped array makes the next call capture again.
        self.layouts = [(t, t._data.shape, t._data.dtype)
                        for t in (*capture.params.values(), *capture.constants.values())]
        self.rebuild = rebuild
        self.is_array = is_array
        writer = _Writer(capture, outputs)
        self.source = writer.source()
        self.buffers = writer.buffers  # [(shape, dtype)] of the program's own buffers
        self.free = []  # buffer sets not in use by a run
        writer.values.clear()  # (the writer and its call writer form a cycle: free now)
        namespace = dict(writer.constants)
        code = builtins.compile(self.source, "<cr.compile program>", "exec")
        exec(code, namespace)  # noqa: S102  (the program this module just wrote)
        self.fn = namespace["step"]

    def holds(self):
        """Whether the attributes noted at capture still have their values then, and the
        tensors read their shapes and dtypes."""
        # (loops rather than all() over generators: this runs before every step)
        for obj, name, value in self.guards:
            if getattr(obj, name) != value:
                return False
        for module, name, t in self.held:
            if vars(module).get(name) is not t:
                return False
        for t, shape, dtype in self.layouts:
            if t._data.shape != shape or t._data.dtype != dtype:
                return False
        return True

    def run(self, args):
        arrays = [a._data if is_tensor(a) else a for a, arr in zip(args, self.is_array) if arr]
        free = self.free
        buffers = free.pop() if free else [np.empty(s, d) for s, d in self.buffers]
        try:
            values = self.fn(arrays, self.param_tensors, buffers)
        finally:
            free.append(buffers)
        return self.rebuild(values)


class _Writer:
    """Writes a captured step as Python source (see Program).

    Elementwise ufunc calls (forwards, and the local derivatives of elementwise rules)
    are written through chainrule.compiled_calls, which gives them typed constants and
    reuses dead buffers. To know shapes and dtypes it keeps, for every variable of the
    program, the value it had on the capture's inputs (`values`): the captured tensors'
    values for the forward, and for the backward the rules run once more on those.
    Where that is unknown the code checks at run time, as the engine does.
    """

    def __init__(self, capture, outputs):
        self.capture = capture
        self.outputs = outputs
        self.constants = {"ndarray": np.ndarray, "asarray": np.asarray,
                          "unbroadcast": unbroadcast, "has_zero": _has_zero,
                          "guarded": _strong_zero_vjp, "write_grad": _write_grad,
                          "new_tensor": new_tensor}
        self.lines = []
        self.values = {f"v{i}": t._data for i, t in enumerate(capture._alive)
                       if isinstance(t, TensorBase)}
        self.calls = CallWriter(self.lines, self.values, self.const, self.constants)
        self.count = 0
        # Cotangents not written yet: name -> (base, s), the cotangent being base * s for
        # a Python number s. A chain of rules that each multiply by a number (x * 1.5,
        # x / 4) multiplies once by their product, when something else reads it.
        self.scaled = {}

    def const(self, value, prefix="c"):
        name = f"{prefix}{len(self.constants)}"
        self.constants[name] = value
        return name

    def fresh(self, letter):
        self.count += 1
        return f"{letter}{self.count}"

    def ref(self, a):
        if isinstance(a, Var):
            return f"v{a.index}"
        if isinstance(a, TensorBase):
            return self.const(a) + "._data"  # a constant tensor: its values when run
        if a is None or type(a) in (bool, int, str) or (type(a) is float and np.isfinite(a)):
            return repr(a)  # (a NumPy scalar, nan or inf does not spell itself back)
        return self.const(a)

    def value(self, a):
        """`a`'s value on the capture's inputs (None when unknown)."""
        if isinstance(a, Var):
            return self.values.get(f"v{a.index}")
        if isinstance(a, TensorBase):
            return a._data
        return a

    def kwargs(self, kw):
        return "".join(f", {k}={self.ref(v)}" for k, v in kw.items())

    def source(self):
        cap = self.capture
        out = self.lines
        out.append("def step(arguments, params, buffers):")
        for i, v in enumerate(v for v in cap.trace.inputs):
            out.append(f"    v{v.index} = arguments[{i}]")
        for i, (v, _) in enumerate(cap.params.items()):
            out.append(f"    v{v.index} = params[{i}]._data")
        for v, t in cap.constants.items():
            out.append(f"    v{v.index} = {self.const(t, 'k')}._data")
        for v, p in (*cap.params.items(), *cap.leaves.items()):
            if v in cap.fresh:
                out.append(f"    {self.const(p, 'p')}.grad = None")
        ops = []
        for step in cap.steps:
            if step[0] == "op":
                ops.append(step[1])
                self.forward(step[1])
            elif step[0] == "backward":
                self.backward(step[1], ops)
            else:
                _, method, obj, a, k = step
                out.append(f"    {self.const(method, 'm')}({self.const(obj, 'o')}, "
                           f"*{self.const(a)}, **{self.const(k)})")
        results = ", ".join(self.result(o) for o in self.outputs)
        out.append(f"    return [{results}]")
        # Names whose shape is the same on every run: the arguments (the program is
        # chosen by their shapes), parameters and constants (held to theirs). render
        # extends this through ufunc calls; a value made by any other line (a forward
        # such as x[x > 0], a rule) may change shape from run to run.
        fixed = {f"v{v.index}" for v in (*cap.trace.inputs, *cap.params, *cap.constants)}
        lines, taken, self.buffers = render(out, self.values, fixed)
        if self.buffers:
            names = "".join(f"b{i}, " for i in range(len(self.buffers)))
            lines.insert(1, f"    {names}= buffers")
        return "\n".join(_with_deletions(lines, taken, self.values)) + "\n"

    def result(self, o):
        """How the program returns output `o`: a value it computed as a new tensor; a
        parameter's gradient as that parameter's .grad when the step ends (the one this
        call wrote, not the capture's); any other tensor as the object itself."""
        if isinstance(o, Var):
            return f"new_tensor({self.ref(o)})"
        if isinstance(o, TensorBase):
            for p in (*self.capture.params.values(), *self.capture.leaves.values()):
                if p.grad is o:
                    return f"{self.const(p, 'p')}.grad"
            return self.const(o)
        return self.ref(o)

    def forward(self, op):
        if self.ufunc_forward(op):
            return
        f = self.const(op.prim.fwd, "f")
        args = ", ".join(self.ref(a) for a in op.args)
        target = f"v{op.out.index}"
        if op.prim._saves:
            target += f", s{op.out.index}"
        self.lines.append(f"    {target} = {f}({args}{self.kwargs(op.kw)})")
        self.lines.append(f"    if type(v{op.out.index}) is not ndarray: "
                          f"v{op.out.index} = asarray(v{op.out.index})")

    def ufunc_forward(self, op):
        """An elementwise ufunc's forward as a Call, where its result is an array."""
        fwd, held = op.prim.fwd, self.values.get(f"v{op.out.index}")
        if (not isinstance(fwd, np.ufunc) or fwd.nout != 1 or fwd.signature is not None
                or op.kw or op.prim._saves or type(held) is not np.ndarray or held.ndim == 0):
            return False
        args = []
        for a in op.args:
            if isinstance(a, Var) and f"v{a.index}" in self.values:
                args.append(f"v{a.index}")
            elif plain_number(a) or isinstance(a, np.generic):
                args.append(a)
            else:
                return False
        with np.errstate(all="ignore"):
            value = fwd(*[self.values[a] if isinstance(a, str) else a for a in args])
        if type(value) is not np.ndarray or value.shape != held.shape or value.dtype != held.dtype:
            return False
        self.calls.call(f"v{op.out.index}", fwd, args)
        return True

    def backward(self, root, ops):
        """The engine's backward pass (backward.py) over the captured operations: nodes
        in decreasing creation order, each input's rule called as the engine calls it,
        contributions summed in the same order."""
        cap, out = self.capture, self.lines
        g = self.fresh("g")
        out.append(f"    {g} = asarray(v{root.index}).copy()")
        out.append(f"    {g}.fill(1)")
        held = self.value(root)
        self.values[g] = None if held is None else np.ones_like(np.asarray(held))
        cot = {root: g}  # Var -> the name holding its cotangent so far
        params = {**cap.params, **cap.leaves}  # the leaves whose gradients are written
        for op in reversed(ops):
            if op.out not in cot or op.out not in cap.recorded:
                continue
            g = cot.pop(op.out)
            for i, a in enumerate(op.args):
                if not (isinstance(a, Var) and (a in cap.recorded or a in params)):
                    continue
                t = self.fit(self.contribution(op, i, g), tuple(cap.shapes[op.out][i]))
                if a in cot:
                    cot[a] = self.accumulate(cot[a], t)
                else:
                    cot[a] = t
        out.append("    handed = set()")
        for v, p in params.items():
            if v in cot:
                out.append(f"    write_grad({self.const(p, 'p')}, {self.written(cot[v])}, "
                           f"handed)")

    def contribution(self, op, i, g):
        """The name of op's rule for argument i applied to cotangent `g` (lines appended)."""
        prim, ans, out = op.prim, f"v{op.out.index}", self.lines
        vals = [self.ref(a) for a in op.args]
        kw = dict(op.kw)
        keywords = self.kwargs(kw) + (f", saved=s{op.out.index}" if prim._saves else "")
        if (not keywords and not prim._strong_zero and prim._inline is not None
                and len(vals) <= 2):
            d = prim._inline[i]
            if d is None:
                return g  # the cotangent passes through
            written = self.derivative_call(op, d, g)
            if written is not None:
                return written
        g = self.written(g)
        t = self.fresh("t")
        if not keywords and prim._inline is not None and len(vals) <= 2:
            d = self.const(prim._inline[i], "d")
            call = f"{g} * {d}({ans}, {', '.join(vals)})"
        else:
            call = f"{self.const(prim.vjps[i], 'r')}({g}, {ans}, {', '.join(vals)}{keywords})"
        if prim._strong_zero:
            rule = self.const(prim.vjps[i], "r")
            pr = self.const(prim, "p")
            out.append(f"    if has_zero({g}): {t} = guarded({pr}, {rule}, {g}, {ans}, "
                       f"[{', '.join(vals)}], {{{_dict(kw, self)}}})")
            out.append(f"    else: {t} = {call}")
        else:
            out.append(f"    {t} = {call}")
        self.values[t] = self.evaluate(prim.vjps[i], g, op)
        return t

    def written(self, name):
        """`name` with its deferred factor applied (the multiply appended now), so that
        code that is not a product with it can read it."""
        if name in self.scaled:
            base, scale = self.scaled.pop(name)
            self.calls.call(name, np.multiply, [base, scale])
        return name

    def _scaled(self, base, scale):
        t = self.fresh("t")
        self.scaled[t] = (base, scale)
        with np.errstate(all="ignore"):
            self.values[t] = self.values[base] * scale
        return t

    def derivative_call(self, op, d, g):
        """g * d(ans, *args) written out as ufunc calls (compiled_calls), or None.

        A factor that is a Python number is not multiplied in here but deferred (see
        `scaled`): the program then multiplies the product of a run of such factors
        once, reassociating the products, which changes a result by at most one
        rounding per factor deferred (docs/performance.md, "Compiled steps")."""
        gv = self.values.get(g)
        if gv is None:
            return None
        base, scale = self.scaled.get(g, (g, None))
        def variable(a):
            return Symbol(self.values[f"v{a.index}"], f"v{a.index}") if isinstance(a, Var) else a

        if any(isinstance(a, TensorBase) or (isinstance(a, Var) and f"v{a.index}" not in
                                             self.values) for a in (op.out, *op.args)):
            return None
        try:
            factor = symbolic(d, variable(op.out), [variable(a) for a in op.args])
        except Exception:  # noqa: BLE001  (Unsupported, or anything a Symbol cannot do)
            return None
        if plain_number(factor) and type(gv) is np.ndarray and gv.dtype.kind == "f":
            return self._scaled(base, factor if scale is None else scale * factor)
        if isinstance(factor, Symbol):
            factor = self.calls.symbol(factor)
        elif not (plain_number(factor) or isinstance(factor, np.generic)):
            return None
        product = self.calls.call(self.fresh("t"), np.multiply, [base, factor])
        return product if scale is None else self._scaled(product, scale)

    def evaluate(self, rule, g, op):
        """The rule's result on the capture's values (its shape and dtype), or None."""
        gv = self.values.get(g)
        args = [self.value(a) for a in op.args]
        if gv is None or any(a is None for a in args):
            return None
        if op.prim._saves:
            # Without what the forward kept, such a rule recomputes it (a whole recurrent
            # layer's forward for the LSTM): too dear for a shape and a dtype.
            return None
        kw = {k: self.value(v) for k, v in op.kw.items()}
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return rule(gv, self.value(op.out), *args, **kw)
        except Exception:  # noqa: BLE001  (unknown: the program checks at run time)
            return None

    def fit(self, t, shape):
        """`t` summed to `shape` where it was broadcast (the engine's unbroadcast)."""
        held = self.values.get(t)
        if type(held) is np.ndarray:
            if held.shape == shape:
                return t
            t = self.written(t)
            fitted = self.fresh("t")
            self.lines.append(f"    {fitted} = unbroadcast({t}, {self.const(shape)})")
            self.values[fitted] = unbroadcast(held, shape)
            return fitted
        # Unknown until run: checked there, under a name of its own (t may be a cotangent
        # passed through to several arguments, which the others still read as it is).
        t = self.written(t)
        fitted = self.fresh("t")
        self.lines.append(f"    {fitted} = {t}")
        self.lines.append(f"    if {fitted}.shape != {self.const(shape)}: "
                          f"{fitted} = unbroadcast({fitted}, {self.const(shape)})")
        self.values[fitted] = None
        return fitted

    def accumulate(self, total, t):
        total, t = self.written(total), self.written(t)
        a, b = self.values.get(total), self.values.get(t)
        if a is not None and b is not None:
            return self.calls.call(self.fresh("g"), np.add, [total, t])
        g = self.fresh("g")
        self.lines.append(f"    {g} = {total} + {t}")
        self.values[g] = None
        return g


def _dict(kw, writer):
    return ", ".join(f"{k!r}: {writer.ref(v)}" for k, v in kw.items())


# Arrays smaller than this are not deleted after their last use while together they
# stay under _KEPT_BYTES: a `del` costs about as much as a ufunc call spends on 16
# numbers, and holding them frees nothing worth having (docs/performance.md, "Compiled
# steps").
_SMALL_BYTES = 1024
_KEPT_BYTES = 1 << 20


def _with_deletions(lines, taken=(), values=None):
    """The function's lines with ``del`` after each variable's last use, so the step
    holds intermediate arrays no longer than the engine would, except:

    * a name whose buffer a call took over (`taken`: name -> the call's target) frees
      nothing when deleted: it goes with the last name holding that buffer;
    * small arrays (`values`: name -> its value at capture), up to _KEPT_BYTES in all,
      are left to the end of the step.
    """
    values = values or {}
    names = [set(NAME.findall(line)) for line in lines]
    dying = {}
    for k, found in enumerate(names):
        for n in found:
            dying[n] = k
    last = {}  # line -> the names to delete after it
    kept, small = 0, set()
    for n, k in dying.items():
        held = values.get(n)
        if n in taken:
            continue
        if type(held) is np.ndarray and held.nbytes < _SMALL_BYTES and kept < _KEPT_BYTES:
            kept += held.nbytes
            small.add(n)
            continue
        last.setdefault(k, []).append(n)
    for n in taken:
        owner = n
        while owner in taken:
            owner = taken[owner]
        if owner not in small:
            last.setdefault(dying[owner], []).append(n)
    result = []
    for k, line in enumerate(lines):
        result.append(line)
        if k == 0 or line.lstrip().startswith(("return", "if ", "else")):
            continue
        if k in last:
            result.append("    del " + ", ".join(sorted(last[k])))
    return result


def _set_grad_none(t):
    t.grad = None


def _write_grad(p, g, handed):
    """p.grad as backward leaves it: a fresh array (copied where it is shared), or added
    into an existing gradient."""
    if type(g) is not np.ndarray:
        g = np.asarray(g)
    if p.grad is None:
        if g.dtype != p._data.dtype:
            g = g.astype(p._data.dtype)
        elif g.base is not None or id(g) in handed or not g.flags.writeable:
            g = g.copy()
        handed.add(id(g))
        p.grad = new_tensor(g)
    else:
        p.grad._data += g
