"""``cr.custom_vjp`` and ``cr.custom_jvp``: JAX's way of giving a Python function its own
derivative rule, for programs ported from JAX (a numerically safe rule, gradient
clipping, implicit differentiation of a solver).

    @cr.custom_vjp
    def f(x, y): ...
    f.defvjp(f_fwd, f_bwd)     # f_fwd(x, y) -> (out, residuals); f_bwd(res, g) -> (gx, gy)

    @cr.custom_jvp
    def g(x): ...
    @g.defjvp
    def g_jvp(primals, tangents): ...   # -> (primal_out, tangent_out)

Called on plain values (nothing differentiated, nothing traced) the function itself runs,
as in JAX. Otherwise each output leaf becomes one operation of the graph, made per call
(as ``cr.checkpoint``'s segment is), whose rules call the user's:

* custom_vjp: the forward runs ``f_fwd`` with recording on, so residuals computed from
  the inputs keep their graph, and ``f_bwd`` written in chainrule operations can be
  differentiated again (``grad`` of ``grad``). ``f_bwd`` returns one cotangent per
  positional argument (a pytree like it, or None for zero). Forward mode raises, as JAX's
  does: use custom_jvp.
* custom_jvp: forward mode calls the rule. Reverse mode needs no rule of its own: the
  tangent output is linear in the tangents, so the cotangent of each input is the
  gradient of <g, tangent_out> with respect to that input's tangent, one reverse pass
  through the JVP rule. This needs the rule written in chainrule operations (it is then
  differentiable to any order); JAX instead transposes the rule's linear part. A rule
  whose tangent output left the graph (np.asarray or float on a tangent) is refused.
  While the rule is evaluated for that pass, custom_jvp functions it calls (f(x) for
  its own output, f(t) for a linear f) run the function itself, as in JAX's linear part.

With several differentiated inputs, forward mode calls the JVP rule once per input (the
others' tangents zero), and reverse mode calls ``f_bwd`` once per output leaf (the
others' cotangents zero): both rules are linear in what they push, so the sums are the
joint result. ``nondiff_argnums`` are passed through unchanged and never differentiated
(to ``f_bwd`` first, as in JAX). Under ``cr.vmap`` the operations run once per example.

The rule gives cotangents for the arguments only, so a tensor the function reads other
than through them gets no gradient through it. Under ``Tensor.backward()`` a closure over
a leaf requiring grad, or such a tensor given through ``nondiff_argnums``, is refused as
JAX refuses it (_refuse_closure); inside transforms it is not checked. Pass what is
differentiated as an argument.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import graph, transforms
from .backward import backward
from .graph import is_tensor, new_tensor
from .graph import values as _data
from .pytree import flatten_like, tree_flatten, tree_unflatten
from .rules import Primitive, each_argument
from .tracing import traced

__all__ = ["custom_jvp", "custom_vjp"]

# > 0 while a custom_jvp rule is evaluated to be transposed (_transposed). A custom_jvp
# function called inside it then runs the function itself, recorded as ordinary
# operations, as JAX drops custom rules in the linear part it transposes. Otherwise the
# call would be a new custom node whose VJP transposes the rule again, and the backward
# pass through the rule would never end (a linear f whose rule is f(t), or a rule using
# its own output, (1 - f(x)**2) * t, under grad of grad). Global, as grad mode is.
_LINEAR_PART = [0]


class _Custom:
    """What custom_vjp and custom_jvp share: the wrapped function, its nondiff_argnums,
    and the split of a call's arguments into differentiated leaves and the rest."""

    kind = ""

    def __init__(self, fun: Callable[..., Any], nondiff_argnums: Sequence[int] = ()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(int(i) for i in nondiff_argnums)

    def __get__(self, obj, objtype=None):  # a method: bind like a function
        return self if obj is None else functools.partial(self, obj)

    def _name(self):
        return getattr(self.fun, "__name__", "function")

    def _positional(self, args, kwargs):
        """The call's arguments by position (JAX's resolve_kwargs): keywords bound to
        f's parameters by its signature, defaults filled in; a keyword that has no
        position (a **kwargs parameter, a keyword-only one) is refused, as by JAX.
        The rules and nondiff_argnums count positions only."""
        if not kwargs:
            return args
        refused = (f"The input arguments to the {self.kind}-decorated function "
                   f"{self._name()} could not be resolved to positional-only arguments.")
        try:
            bound = inspect.signature(self.fun).bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{refused} Binding failed with the error:\n{e}") from None
        bound.apply_defaults()
        if bound.kwargs:
            raise TypeError(f"{refused} Keyword-only parameters cannot be given by "
                            f"position: {sorted(bound.kwargs)}")
        return bound.args

    def _split(self, args):
        """(nondiff args by position, the other arguments' leaves and their treedef)."""
        n = len(args)
        for i in self.nondiff_argnums:
            if not -n <= i < n:
                raise ValueError(f"{self.kind} {self._name()}: nondiff_argnums {i} is out of "
                                 f"range for {n} arguments")
        fixed = {i % n for i in self.nondiff_argnums}
        diff = [a for i, a in enumerate(args) if i not in fixed]
        leaves, treedef = tree_flatten(diff)
        return fixed, leaves, treedef

    @staticmethod
    def _rejoin(args, fixed, treedef, leaves):
        """The positional arguments with the differentiated ones rebuilt from `leaves`."""
        diff = iter(tree_unflatten(treedef, leaves))
        return [a if i in fixed else next(diff) for i, a in enumerate(args)]

    def _recompute(self, args, fixed, treedef, leaves, active, k):
        def forward(*arrays):
            # another batch of the same call (cr.vmap): the function itself computes it
            new = list(leaves)
            for j, a in zip(active, arrays):
                new[j] = a
            return _data(tree_flatten(self.fun(*self._rejoin(args, fixed, treedef, new)))[0][k])
        return forward

    @staticmethod
    def _active(leaf):
        return is_tensor(leaf) and (leaf.requires_grad or bool(leaf._tangent) or traced(leaf))


class custom_vjp(_Custom):  # noqa: N801  (JAX's name)
    """A function with its own reverse-mode rule (module docstring)."""

    kind = "custom_vjp"

    def __init__(self, fun: Callable[..., Any], nondiff_argnums: Sequence[int] = ()):
        super().__init__(fun, nondiff_argnums)
        self.fwd: Callable[..., Any] | None = None
        self.bwd: Callable[..., Any] | None = None
        self._in_fwd = 0

    def defvjp(self, fwd: Callable[..., Any], bwd: Callable[..., Any],
               symbolic_zeros: bool = False) -> None:
        """fwd(*args) -> (out, residuals); bwd(*nondiff_args, residuals, g) -> one
        cotangent per differentiated positional argument."""
        if symbolic_zeros:
            raise NotImplementedError("custom_vjp: symbolic_zeros=True is not supported")
        self.fwd, self.bwd = fwd, bwd

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.fwd is None or self.bwd is None:
            raise AttributeError(f"No VJP defined for custom_vjp function {self._name()} "
                                 f"using defvjp.")
        args = self._positional(args, kwargs)
        if self._in_fwd:
            # f_fwd calling f itself (the usual way to write it): the primal function
            return self.fun(*args)
        fixed, leaves, treedef = self._split(args)
        active = [k for k, leaf in enumerate(leaves) if self._active(leaf)]
        if not active or not (graph.is_grad_enabled() or any(traced(leaves[k]) for k in active)):
            return self.fun(*args)
        if any(leaves[k]._tangent for k in active):
            raise TypeError(
                f"can't apply forward-mode autodiff (jvp) to a custom_vjp function: "
                f"{self._name()} has a VJP rule only; give it a JVP rule with cr.custom_jvp"
            )
        self._in_fwd += 1
        try:
            with graph.enable_grad():
                out, residuals = self.fwd(*args)
        finally:
            self._in_fwd -= 1
        out_leaves, out_def = tree_flatten(out)
        nondiff = [args[i] for i in sorted(fixed)]
        _refuse_closure(self, out_leaves, [leaves[k] for k in active], nondiff)
        n_diff = len(args) - len(fixed)
        diff_defs = [tree_flatten(a)[1] for i, a in enumerate(args) if i not in fixed]

        recorded = [leaves[k] for k in active]

        def residuals_at(vals):
            """fwd's residuals at the inputs `vals`: the saved ones for the recorded call,
            fwd run again for another example of it (cr.vmap runs this operation, and so
            its rule, once per example)."""
            if all(v is t or v is t._data for v, t in zip(vals, recorded)):
                return residuals
            new = list(leaves)
            for j, v in zip(active, vals):
                new[j] = v
            self._in_fwd += 1
            try:
                return self.fwd(*self._rejoin(args, fixed, treedef, new))[1]
            finally:
                self._in_fwd -= 1

        def cotangents(g_leaves, vals):
            """bwd's cotangents for the active leaves, given the output cotangents."""
            cts = self.bwd(*nondiff, residuals_at(vals), tree_unflatten(out_def, g_leaves))
            if not isinstance(cts, (tuple, list)) or len(cts) != n_diff:
                raise TypeError(
                    f"custom_vjp {self._name()}: the bwd rule must return a tuple with one "
                    f"cotangent per differentiated argument ({n_diff}), got "
                    f"{type(cts).__name__}" + (f" of {len(cts)}" if isinstance(cts, (tuple, list))
                                               else "")
                )
            flat = []
            for ct, d, a in zip(cts, diff_defs, (a for i, a in enumerate(args)
                                                 if i not in fixed)):
                n = len(tree_flatten(a)[0])
                flat.extend([None] * n if ct is None else _matching(ct, d, self._name()))
            for ct, leaf in zip(flat, leaves):
                # JAX raises here too: the engine would otherwise sum a broadcast cotangent
                # over its extra axes (or stretch a scalar) without a word
                if ct is not None and np.shape(_data(ct)) != np.shape(_data(leaf)):
                    raise ValueError(
                        f"custom_vjp {self._name()}: the bwd rule returned a cotangent of "
                        f"shape {np.shape(_data(ct))} for an argument of shape "
                        f"{np.shape(_data(leaf))}; each cotangent must have its argument's "
                        f"shape"
                    )
            return [flat[k] for k in active]

        results = []
        for k, value in enumerate(out_leaves):
            results.append(_operation(
                f"custom_vjp({self._name()})", value, leaves, active,
                vjp=_vjp_of_leaf(k, out_leaves, cotangents),
                recompute=self._recompute(args, fixed, treedef, leaves, active, k),
            ))
        return tree_unflatten(out_def, results)

class custom_jvp(_Custom):  # noqa: N801  (JAX's name)
    """A function with its own forward-mode rule (module docstring)."""

    kind = "custom_jvp"

    def __init__(self, fun: Callable[..., Any], nondiff_argnums: Sequence[int] = ()):
        super().__init__(fun, nondiff_argnums)
        self.jvp: Callable[..., Any] | None = None

    def defjvp(self, jvp: Callable[..., Any], symbolic_zeros: bool = False) -> Callable[..., Any]:
        """jvp(*nondiff_args, primals, tangents) -> (primal_out, tangent_out); returns
        jvp, so that it also serves as a decorator."""
        if symbolic_zeros:
            raise NotImplementedError("custom_jvp: symbolic_zeros=True is not supported")
        self.jvp = jvp
        return jvp

    def defjvps(self, *jvps: Callable[..., Any] | None) -> None:
        """One rule per argument: ``rule(t, primal_out, *primals)``, the i-th given,
        is argument i's contribution to the tangent output for its tangent t (None: it
        contributes nothing)."""
        def jvp(*given):
            primals, tangents = given[-2], given[-1]
            out = self.fun(*given[:-2], *primals)
            total = None
            for rule, t in zip(jvps, tangents):
                if rule is not None:
                    c = rule(t, out, *primals)
                    total = c if total is None else total + c
            return out, (0.0 * out if total is None else total)
        self.jvp = jvp

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.jvp is None:
            raise AttributeError(f"No JVP defined for custom_jvp function {self._name()} "
                                 f"using defjvp.")
        args = self._positional(args, kwargs)
        if _LINEAR_PART[0]:
            return self.fun(*args)
        fixed, leaves, treedef = self._split(args)
        active = [k for k, leaf in enumerate(leaves) if self._active(leaf)]
        if not active:
            return self.fun(*args)
        if transforms.tracing():  # (not checked there: no need to record it)
            with graph.no_grad():
                out = self.fun(*args)
        else:
            # Recorded (where grad mode is on) only to see what it reads: the results
            # are the new operations below.
            out = self.fun(*args)
        out_leaves, out_def = tree_flatten(out)
        nondiff = [args[i] for i in sorted(fixed)]
        _refuse_closure(self, out_leaves, [leaves[k] for k in active], nondiff)

        def tangent_out(primal_leaves, tangent_leaves):
            """The rule's tangent output leaves, for tangents given at the active leaves
            (zeros at the others)."""
            tans = [np.zeros_like(_data(leaf), dtype=_float(leaf)) for leaf in primal_leaves]
            for j, t in zip(active, tangent_leaves):
                tans[j] = t
            prim = tree_unflatten(treedef, primal_leaves)
            tan = tree_unflatten(treedef, tans)
            pair = self.jvp(*nondiff, tuple(prim), tuple(tan))
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise TypeError(f"custom_jvp {self._name()}: the JVP rule must return a pair "
                                f"(primal_out, tangent_out), got {type(pair).__name__}")
            return tree_flatten(pair[1])[0]

        def full(vals):
            new = list(leaves)
            for j, v in zip(active, vals):
                new[j] = v
            return new

        results = []
        for k, value in enumerate(out_leaves):
            def jvp_rule(i, tan, ans, *vals, k=k):
                zeros = [np.zeros_like(_data(v), dtype=_float(v)) for v in vals]
                zeros[i] = tan
                return tangent_out(full(vals), zeros)[k]

            def vjp_rule(i, g, ans, *vals, k=k):
                return _transposed(lambda ts: tangent_out(full(vals), ts)[k], vals, g, i,
                                   self._name())

            results.append(_operation(
                f"custom_jvp({self._name()})", value, leaves, active,
                vjp=vjp_rule, jvp=jvp_rule,
                recompute=self._recompute(args, fixed, treedef, leaves, active, k),
            ))
        return tree_unflatten(out_def, results)



# ---------------------------------------------------------------------------- helpers

def _refuse_closure(custom, outputs, inputs, fixed=()):
    """Raise when the recorded outputs depend on a leaf requiring grad that is not
    reached through `inputs` (the call's differentiated arguments) and that the
    arguments were not computed from: a closed-over parameter, or one given through
    nondiff_argnums (`fixed`), whose gradient the custom node would drop.

    Only outside transforms (a Tensor.backward() program): under cr.grad and the
    others, a closed-over tensor may be a constant of the transform, and leaves the
    function's own cr.grad calls made are inside it. A leaf the arguments were computed
    from is not refused: the stability layer reads it in place of the argument
    (log(sigmoid(z)) as log_sigmoid(z)), and its gradient reaches it through the
    argument anyway."""
    if transforms.tracing():
        return
    stop = {id(t) for t in inputs}
    nondiff = {id(t) for t in tree_flatten(list(fixed))[0] if is_tensor(t)}
    ancestors: set[int] | None = None
    seen: set[int] = set()
    stack = [o for o in outputs if is_tensor(o)]
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if id(t) in nondiff and (t.requires_grad or t._prim is not None):
            raise ValueError(
                f"{custom.kind} {custom._name()}: an argument in nondiff_argnums is a "
                f"tensor being differentiated (shape {np.shape(t._data)}); its gradient "
                f"would be silently zero. As in JAX, give it as an ordinary argument (its "
                f"cotangent from the rule, None for none), or detach it"
            )
        if id(t) in stop:
            continue
        if t._prim is None:
            if t.requires_grad:
                if ancestors is None:
                    ancestors = _graph_of(inputs)
                if id(t) in ancestors:
                    continue
                raise ValueError(
                    f"{custom.kind} {custom._name()}: the function reads a tensor requiring "
                    f"grad (shape {np.shape(t._data)}) that is not one of its arguments (a "
                    f"closure, such as a layer's parameter). Its gradient would be silently "
                    f"zero, since the custom rule gives cotangents for the arguments only; "
                    f"pass it as an argument (and return its cotangent from the rule)"
                )
            continue
        stack.extend(a for a in (t._args or ()) if is_tensor(a))


def _graph_of(tensors):
    """The ids of `tensors` and of every tensor their recorded graph reaches."""
    found: set[int] = set()
    stack = list(tensors)
    while stack:
        t = stack.pop()
        if id(t) in found:
            continue
        found.add(id(t))
        if t._prim is not None:
            stack.extend(a for a in t._args if is_tensor(a))
    return found


def _operation(name, value, leaves, active, vjp, recompute, jvp=None):
    """One output leaf as a recorded operation of the active input leaves."""
    first = [_data(value)]

    def forward(*arrays):
        if first:
            return first.pop()
        with graph.no_grad():
            return recompute(*arrays)

    op = Primitive(name, forward)
    op.defvjp(each_argument(vjp))
    if jvp is not None:
        op.defjvp(each_argument(jvp))
    return op(*[leaves[k] for k in active])


def _vjp_of_leaf(k, out_leaves, cotangents):
    """The VJP rule of output leaf k: bwd with g at leaf k and zeros elsewhere, computed
    once per backward pass and handed out argument by argument."""
    state: dict[str, Any] = {}

    def vjp(i, g, ans, *vals):
        seen = state.get("vals", ())
        if (state.get("g") is not g or len(seen) != len(vals)
                or not all(a is b for a, b in zip(seen, vals))):
            g_leaves = [g if j == k else np.zeros_like(_data(o), dtype=_float(o))
                        for j, o in enumerate(out_leaves)]
            state.update(g=g, vals=vals, cts=cotangents(g_leaves, vals))
        ct = state["cts"][i]
        if ct is None:
            zeros = np.zeros(np.shape(_data(vals[i])), _float(vals[i]))
            return new_tensor(zeros) if is_tensor(g) else zeros
        if is_tensor(ct) and not is_tensor(g):
            # A first-order pass wants values: a bwd rule that differentiates with
            # chainrule itself (cr.vjp of the residuals, JAX's implicit-function
            # pattern) returns tensors recorded against the residuals.
            return ct._data
        return ct
    return vjp


def _transposed(linear, vals, g, i, name):
    """The cotangent of input i of the linear map ts -> linear(ts) (tangents shaped like
    vals), at output cotangent g: the gradient of <g, linear(ts)> in ts_i."""
    create = graph.is_grad_enabled()
    ts = [new_tensor(np.zeros_like(_data(v), dtype=_float(v)), True) for v in vals]
    _LINEAR_PART[0] += 1
    try:
        with graph.enable_grad():
            out = linear(ts)
            s = (out * g).sum() if is_tensor(out) else None
    finally:
        _LINEAR_PART[0] -= 1
    if s is None or not (is_tensor(s) and s.requires_grad):
        _refuse_if_detached(linear, vals, name)
        return np.zeros_like(_data(vals[i]), dtype=_float(vals[i]))
    grads = backward(s, inputs=[ts[i]], create_graph=create)
    got = grads[0]
    if got is None:
        return np.zeros_like(_data(vals[i]), dtype=_float(vals[i]))
    return got if create else got._data


def _refuse_if_detached(linear, vals, name):
    """The tangent output did not depend on the tangents through recorded operations.
    A linear map that truly ignores them is zero everywhere; a rule that converted them
    to NumPy (np.asarray(t), float(t)) is not, and its transpose would be a silent zero
    (inside cr.grad the conversion is refused already; under Tensor.backward() it is not):
    evaluate the rule at tangents of ones and refuse unless it is zero there."""
    ones = [new_tensor(np.ones_like(_data(v), dtype=_float(v))) for v in vals]
    _LINEAR_PART[0] += 1
    try:
        with graph.no_grad():
            out = linear(ones)
    finally:
        _LINEAR_PART[0] -= 1
    if np.any(_data(out) != 0):
        raise TypeError(
            f"custom_jvp {name}: reverse mode differentiates the JVP rule's tangent output "
            f"with respect to the tangents, but the output does not depend on them through "
            f"chainrule operations (it left the graph, e.g. through np.asarray or float on a "
            f"tangent). Write the rule's tangent computation with chainrule operations "
            f"(chainrule.numpy, Tensor operators)"
        )


def _matching(ct, treedef, name):
    try:  # (dicts by key, in whatever order the bwd rule built them)
        leaves = flatten_like(treedef, ct, f"custom_vjp {name}")
        if not any(isinstance(x, (dict, list, tuple)) for x in leaves):
            return leaves
    except ValueError:
        pass
    raise TypeError(f"custom_vjp {name}: a cotangent from the bwd rule has the structure "
                    f"{tree_flatten(ct)[1]}, its argument {treedef}")


def _float(x):
    dtype = _data(x).dtype
    return dtype if dtype.kind in "fc" else np.dtype(np.float64)
