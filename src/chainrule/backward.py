"""The reverse pass: gradients from a root back to the leaves, one VJP rule per edge.

:func:`backward` visits recorded nodes (the output tensors of primitives) in decreasing
creation order, so every node's gradient is complete, all its consumers having run,
before its own rules run. It sums each rule's result over broadcast axes in one place
(:func:`unbroadcast`), guards rules whose local derivative can be infinite (strong
zeros), and writes leaf gradients into ``.grad`` at the end.
"""

from __future__ import annotations

import dis
import heapq
import types
import warnings
from time import perf_counter

import numpy as np

from . import graph
from .graph import TensorBase, new_tensor
from .hooks import run_post_accumulate_hooks, run_tensor_hooks
from .rules import REGISTRY


class GraphFreedError(RuntimeError):
    pass


def backward(root, grad=None, retain_graph=None, create_graph=False, inputs=None,
             retained=False):
    """Accumulate d(root)/d(leaf) into the ``.grad`` of every leaf that requires grad.

    The graph is freed afterwards unless ``retain_graph`` (default: ``create_graph``).
    With ``inputs`` given, return their gradients (a list, None where unconnected)
    instead of touching any ``.grad``; ``retained=True`` still fills the ``.grad`` of
    the tensors that called ``retain_grad()`` on the way to them (PyTorch's
    ``backward(inputs=...)`` and ``autograd.grad`` do; chainrule's transforms do not).

    Pending nodes wait in a heap keyed by creation number, except the newest one, which
    goes straight to the next iteration: along a chain of operations the heap and the
    node -> gradient map are never touched, only at fan-out and fan-in.
    """
    g0 = _seed(root, grad, create_graph)
    tracer = graph.trace_hook()
    if tracer is not None:
        tracer.backward(root, grad, retain_graph, create_graph, inputs)
    if retain_graph is None:
        retain_graph = create_graph
    wanted = _Wanted(inputs, retained) if inputs is not None else None
    if wanted is not None and retained and graph._any_watched:
        # (before the walk, which frees each node's inputs as it goes)
        wanted.toward = _toward_inputs(wanted, root)
    # The caller's own grad= array must never become (or be accumulated into as) a .grad.
    handed = {id(g0)} if grad is not None else set()
    leaf_grads = {}
    if root._prim is None:
        leaf_grads[root] = g0
    # Rules must not record unless the result is to be differentiated again; anomaly
    # mode checks each finished gradient (grad_hook), not the values inside the rules,
    # where a strong zero may rightly replace an intermediate 0 * inf.
    output_check, grad_hook = graph.anomaly_hooks()
    if output_check is not None:  # (set only while anomaly mode is on)
        graph.set_anomaly_hooks(None, grad_hook)
    profile = graph._profile_hook
    start = perf_counter() if profile is not None else 0.0
    with graph.set_grad_enabled(create_graph):
        try:
            _walk(root, g0, leaf_grads, wanted, handed, create_graph, retain_graph, grad_hook)
        finally:
            if output_check is not None:
                graph.set_anomaly_hooks(output_check, grad_hook)
    if profile is not None:  # (the whole pass, one event: chainrule.torch.profiler)
        profile("backward", perf_counter() - start)
    if not retain_graph:
        graph.count_freeing_pass()
    for leaf, g in leaf_grads.items():
        if leaf._hooks:
            g = run_tensor_hooks(leaf, g, create_graph)
        if wanted is None:
            _accumulate_leaf(leaf, g, create_graph, handed)
            if leaf._post_hooks:
                run_post_accumulate_hooks(leaf)
        elif leaf in wanted.index:
            wanted.results[wanted.index[leaf]] = _as_grad_tensor(g, leaf, create_graph, handed)
    if tracer is not None:
        tracer.backward_done()
    return None if wanted is None else wanted.results


def _walk(root, g, leaf_grads, wanted, handed, create_graph, retain_graph, grad_hook):
    """The loop of backward(): run every node's rules, newest node first."""
    heappop, heappush = heapq.heappop, heapq.heappush
    # Heap entries (-creation number, id, tensor): two tensor objects can stand for one
    # node (an in-place method moves a node to a new object while the write keeps the
    # old one as its input); the id breaks their tie, so tensors are never compared.
    grads, heap = {}, []
    # Read once: nothing is modified in place while rules run (they only record).
    last_modified = graph._last_modified
    watching = wanted is not None or graph._any_watched
    node = root if root._prim is not None else None
    while node is not None:
        args = node._args
        if args is None:
            raise _freed(node)
        if watching:
            stop, g = _watch(node, g, wanted, create_graph, handed)
            if stop:
                break
        if last_modified > node._seq:
            args = _inputs_as_read(node)
        prim = node._prim
        kw = node._kw
        rules = prim.vjps
        if create_graph:
            ans = node
            vals = args
        else:
            ans = node._data
            vals = node._vals
        # The next node to run when it is newer than everything in the heap, and its
        # gradient so far (kept out of `grads` until it must wait in the heap).
        nxt = nxt_g = None
        # How to call the rules: n arguments positionally, or (n = -1) with keywords (a
        # saved forward's among them) or through the strong-zero guard.
        zero = False
        if kw or prim._guarded_backward:
            zero = prim._strong_zero and (_has_zero(g) or _traced(g))
            if prim._saves and not create_graph:
                kw = {**kw, "saved": node._saved}
            n = -1 if kw or zero else len(vals)
        else:
            n = len(vals)
        if n == 1:
            # One input (tanh(x), x.sum()): the loop below without its per-argument
            # bookkeeping; along a chain of such nodes this is the whole backward pass.
            a = args[0]
            if a.requires_grad and not a._grad_off < node._seq <= a._grad_on:
                inline = prim._inline
                if inline is not None:
                    # A declared local derivative, applied here rather than through the
                    # rule v * d(...) it also makes: one Python call less per node.
                    d = inline[0]
                    gi = g if d is None else g * d(ans, vals[0])
                else:
                    rule = rules[0] if rules else None
                    if rule is None:
                        raise _no_rule(prim, 0)
                    gi = rule(g, ans, vals[0])
                    if not prim.elementwise:
                        # (_fit written out: a call per node measured on the MLP step)
                        try:
                            if gi.shape != a._data.shape:
                                gi = unbroadcast(gi, a._data.shape)
                        except AttributeError:
                            raise _not_an_array(prim, 0, gi) from None
                if grad_hook is not None:
                    grad_hook(gi, node, 0)
                if a._prim is None:
                    prev = leaf_grads.get(a)
                    leaf_grads[a] = gi if prev is None else prev + gi
                else:
                    prev = grads.get(a) if grads else None
                    if prev is not None:
                        grads[a] = prev + gi
                    elif heap and -heap[0][0] > a._seq:
                        grads[a] = gi
                        heappush(heap, (-a._seq, id(a), a))
                    else:
                        nxt, nxt_g = a, gi
        else:
            for i, a in enumerate(args):
                if not (isinstance(a, TensorBase) and a.requires_grad) \
                        or a._grad_off < node._seq <= a._grad_on:
                    continue
                try:
                    rule = rules[i]
                except IndexError:
                    rule = None
                if rule is None:
                    raise _no_rule(prim, i)
                if n == 2:
                    inline = prim._inline
                    if inline is not None:
                        d = inline[i]
                        gi = g if d is None else g * d(ans, vals[0], vals[1])
                    else:
                        gi = rule(g, ans, vals[0], vals[1])
                    # x * 1.5: the cotangent already has x's shape.
                    if not (prim.elementwise and type(vals[1 - i]) in _PYTHON_SCALARS):
                        try:  # (_fit written out, as above)
                            if gi.shape != a._data.shape:
                                gi = unbroadcast(gi, a._data.shape)
                        except AttributeError:
                            raise _not_an_array(prim, i, gi) from None
                else:
                    if zero:
                        gi = _strong_zero_vjp(prim, rule, g, ans, vals, kw)
                    else:
                        gi = rule(g, ans, *vals, **kw)
                    gi = _fit(gi, a._data.shape, prim, i)
                if grad_hook is not None:
                    grad_hook(gi, node, i)
                if a._prim is None:
                    prev = leaf_grads.get(a)
                    leaf_grads[a] = gi if prev is None else prev + gi
                elif a is nxt:
                    nxt_g = nxt_g + gi
                elif (prev := grads.get(a) if grads else None) is not None:
                    grads[a] = prev + gi
                elif nxt is None and not (heap and -heap[0][0] > a._seq):
                    nxt, nxt_g = a, gi
                else:
                    # Of the two, the newer runs next and the other waits in the heap.
                    if nxt is not None and a._seq > nxt._seq:
                        nxt, nxt_g, a, gi = a, gi, nxt, nxt_g
                    grads[a] = gi
                    heappush(heap, (-a._seq, id(a), a))
        if not retain_graph and not (prim._saves_nothing or (
                prim._saves_nothing is None and _saves_nothing(prim))):
            # Dropping the inputs frees the graph (and marks the node as freed).
            node._args = node._vals = None
            if prim._saves:
                node._saved = None
        if nxt is not None:
            node, g = nxt, nxt_g
        elif heap:
            node = heappop(heap)[2]
            g = grads.pop(node)
        else:
            node = None


_PYTHON_SCALARS = (float, int)


def _seed(root, grad, create_graph):
    """The root's cotangent: ones for a scalar root, else the given `grad`, checked."""
    if not root.requires_grad:
        raise RuntimeError(
            "backward() on a tensor that does not require grad: no input of the "
            "computation had requires_grad=True (or it ran under no_grad())."
        )
    if grad is None:
        if root._data.size != 1:
            raise RuntimeError(
                f"backward() on a tensor of shape {root.shape} needs a gradient argument: "
                f"pass grad= of the same shape, or reduce to a scalar first (e.g. .sum())."
            )
        g0 = np.empty(root._data.shape, root._data.dtype)
        g0.fill(1)  # (np.ones is a Python function, fill is not)
    else:
        g0 = grad._data if isinstance(grad, TensorBase) else np.asarray(grad)
        if g0.shape != root._data.shape:
            raise ValueError(
                f"backward(): gradient of shape {g0.shape} given for a tensor of shape "
                f"{root._data.shape}; they must match."
            )
        g0 = g0.astype(root._data.dtype, copy=False)
    if create_graph:
        g0 = graph.engine_cotangent(grad) if isinstance(grad, TensorBase) else new_tensor(g0)
    return g0


class _Wanted:
    """The tensors whose gradients backward(inputs=...) returns, and those results."""

    def __init__(self, inputs, retained):
        self.retained = retained
        self.index = {t: i for i, t in enumerate(inputs)}
        self.toward = frozenset()  # (see _toward_inputs)
        self.results = [None] * len(inputs)
        # When every wanted tensor is a recorded node, the pass can stop at the last of
        # them to be reached: nothing created before it can change their gradients.
        recorded = all(isinstance(t, TensorBase) and t._prim is not None for t in inputs)
        self.remaining = len(inputs) if recorded else None


def _toward_inputs(wanted, root):
    """The ids of the nodes of root's graph from which a wanted input is reached: the
    retained tensors whose gradients PyTorch computes in a pass that asks for inputs."""
    toward: set[int] = set()
    done: set[int] = set()
    stack = [(root, False)]
    while stack:
        t, expanded = stack.pop()
        if expanded:
            if t in wanted.index or (t._prim is not None and any(
                    id(a) in toward for a in t._args or () if isinstance(a, TensorBase))):
                toward.add(id(t))
            continue
        if id(t) in done:
            continue
        done.add(id(t))
        stack.append((t, True))
        if t._prim is not None:
            stack.extend((a, False) for a in t._args or ()
                         if isinstance(a, TensorBase) and a.requires_grad)
    return frozenset(toward)


def _watch(node, g, wanted, create_graph, handed):
    """Per-node work for inputs=, retain_grad() and tensor hooks: (whether the pass can
    stop here, the node's gradient after its hooks)."""
    if node._hooks:
        g = run_tensor_hooks(node, g, create_graph)
    if node._retain and (wanted is None or (
            wanted.retained and node not in wanted.index  # (inputs: the caller's)
            and id(node) in wanted.toward)):
        _accumulate_leaf(node, g, create_graph, handed)
    if wanted is None:
        return False, g
    if node in wanted.index:
        wanted.results[wanted.index[node]] = _as_grad_tensor(g, node, create_graph, handed)
        if wanted.remaining is not None:
            wanted.remaining -= 1
            return not wanted.remaining, g
    return False, g


def _fit(gi, shape, prim, i):
    """A rule's result for an input of `shape`: summed over the axes it was broadcast on."""
    try:
        mismatch = gi.shape != shape
    except AttributeError:
        raise _not_an_array(prim, i, gi) from None
    return unbroadcast(gi, shape) if mismatch else gi


def unbroadcast(g, shape):
    """Sum a gradient over the axes along which its input was broadcast to `shape`."""
    gshape = g.shape
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    if lead > 0 and gshape[lead:] == shape:
        # Only leading axes were added (a bias under a batch): one sum, no reshape.
        axis = 0 if lead == 1 else tuple(range(lead))
        if type(g) is np.ndarray:
            return _add_reduce(g, axis)  # ndarray.sum's own work, without its wrapper
        return g.sum(axis=axis)
    if lead < 0 or any(s != 1 and gs != s for s, gs in zip(shape, gshape[lead:])):
        # The rule returned something smaller than its input (e.g. a scalar): expand it.
        return _broadcast(g, shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and gshape[lead + i] != 1
    )
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    if lead:
        g = g.reshape(shape)
    return g


_add_reduce = np.add.reduce


def _broadcast(g, shape):
    if isinstance(g, TensorBase):
        return g.broadcast_to(shape)
    return np.broadcast_to(g, shape)


def _saves_nothing(prim):
    """Whether prim's backward needs none of its inputs' values: a view, a map linear in
    its input (reshape, transpose, sum, ...), an elementwise map with constant derivatives
    (add, subtract, negative). Such a node stays after a backward that frees the graph,
    as PyTorch's nodes without saved tensors do, so a later backward through it (a
    reshape of a parameter made once, outside the training loop) runs."""
    constant = prim.elementwise and prim.derivatives is not None and all(
        isinstance(d, (int, float)) for d in prim.derivatives)
    known = prim.__dict__["_saves_nothing"] = bool(not prim._saves and (
        prim._view or prim.linear or constant))
    return known


def _freed(node):
    return GraphFreedError(
        f"backward through the graph a second time: the graph of '{node._prim.name}' was "
        f"freed by the first backward(). Pass retain_graph=True to the first backward() "
        f"to keep it."
    )


def _inputs_as_read(node):
    """node's inputs as its operation read them. An input changed in place since then
    that became another node (x.add_(1), x[0] = v) is replaced by the tensor standing
    for what it was (graph.keep_history), in node._args and node._vals both; any other
    change since, or a change to node's own output (rules such as exp, tanh and softmax
    read it), raises."""
    seq, args = node._seq, node._args
    if graph.modified_since(node, seq) and _reads_answer(node._prim):
        raise _modified_error(node, node, "output")
    replaced = None
    for i, a in enumerate(args):
        if isinstance(a, TensorBase) and graph.modified_since(a, seq):
            holder = graph.recorded_as(a, seq)
            if holder is None or graph.modified_since(holder, seq):
                raise _modified_error(node, a)
            if replaced is None:
                replaced = list(args)
            replaced[i] = holder
    if replaced is not None:
        node._vals = tuple(b._data if isinstance(b, TensorBase) and b is not a else v
                           for b, a, v in zip(replaced, args, node._vals))
        node._args = args = tuple(replaced)
    return args


def _reads_answer(prim):
    """Whether prim's rules read its output (exp, tanh and softmax do; add, multiply and
    the views do not). Only then does an in-place change of that output (made under
    no_grad, or inside an autograd.Function's forward) spoil its gradient; PyTorch
    likewise refuses only operations that saved their output. Read off the rules'
    code: the answer argument (d(ans, ...) of a declared derivative, or the second
    argument of a rule g, ans, ...) is either loaded or not. Anything that cannot be
    read so (a saved forward, a partial, a callable object) counts as reading it."""
    known = prim._reads_answer  # (kept on the primitive: found once per set of rules)
    if known is None:
        known = prim._reads_answer = prim._saves or any(
            _rule_reads_answer(rule) for rule in prim.vjps)
    return known


def _rule_reads_answer(rule):
    if rule is None:
        return False
    derivative = getattr(rule, "derivative", None)  # (v * d(ans, ...), rules.defderivatives)
    if derivative is not None:
        return _loads_argument(derivative, 0)
    return _loads_argument(rule, 1)


def _loads_argument(fn, index):
    code = getattr(fn, "__code__", None)
    if code is None or code.co_argcount <= index or not isinstance(fn, types.FunctionType):
        return True
    name = code.co_varnames[index]
    if name in code.co_cellvars:  # (handed to an inner function)
        return True
    for ins in dis.get_instructions(code):
        if ins.opname.startswith("LOAD_FAST") and (
                ins.argval == name or (isinstance(ins.argval, tuple) and name in ins.argval)):
            return True
    return False


def _modified_error(node, a, what="input"):
    return RuntimeError(
        f"an {what} of '{node._prim.name}' (shape {a._data.shape}) was modified in "
        f"place after it was used (now at version {a._version}); its gradient "
        f"would be wrong. Modify a copy instead (x = x.clone()), or do the "
        f"in-place update after backward()."
    )


def _no_rule(prim, i):
    return NotImplementedError(
        f"'{prim.name}' has no gradient rule for its argument {i}; "
        f"detach that argument or use a differentiable operation."
    )


def _not_an_array(prim, i, gi):
    return TypeError(
        f"the gradient rule of '{prim.name}' for its argument {i} returned "
        f"{type(gi).__name__}, not an array; a rule returns the cotangent "
        f"of its argument (give None instead of a rule for an argument "
        f"that is never differentiated)"
    )


def _has_zero(g):
    # One C call (ndarray.all): the strong-zero path costs nothing unless some cotangent
    # is exactly zero.
    return not (g._data if isinstance(g, TensorBase) else g).all()


def _traced(x):
    """True for a tensor the installed tracer traces (cr.vmap): its values are one
    example's, so the strong-zero guard must be operations, not decisions."""
    tracer = graph.trace_hook()
    return tracer is not None and isinstance(x, TensorBase) and tracer.traced(x)


def _strong_zero_vjp(prim, rule, g, ans, vals, kw):
    """VJP of an elementwise rule whose local derivative can be infinite, with 0 * inf = 0.

    Where the cotangent is exactly zero and the rule's result is not finite, the result
    is exactly zero: that element's output did not influence the loss (e.g. it sits in
    the untaken branch of a where()), so it must contribute nothing. Finite results are
    left alone, derivatives included, so higher orders are unchanged wherever defined.
    NumPy's warnings inside the rule are silenced for the same reason; a non-finite
    gradient that survives is reported once, naming the primitive (in anomaly mode the
    gradient check raises instead).
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        gi = rule(g, ans, *vals, **kw)
    if _traced(gi) or _traced(g):
        # The guard as operations, replayed for every example (cr.vmap of a gradient).
        clean = REGISTRY["logical_and"](REGISTRY["logical_not"](REGISTRY["isfinite"](gi)),
                                        REGISTRY["equal"](g, 0))
        return REGISTRY["where"](clean, 0, gi)
    gd = gi._data if isinstance(gi, TensorBase) else gi
    bad = ~np.isfinite(gd)
    if not bad.any():
        return gi
    zero = np.asarray((g._data if isinstance(g, TensorBase) else g) == 0)
    clean = bad & zero
    if clean.any():
        if isinstance(gi, TensorBase):
            # Recorded, for higher orders; looked up by name as the engine sits below the
            # primitive modules.
            gi = REGISTRY["where"](clean, 0, gi)
        else:
            gi = np.where(clean, 0, gi)
    if graph.anomaly_hooks()[1] is None and (bad & ~zero).any():
        warnings.warn(
            f"'{prim.name}': the gradient is infinite or NaN where its local derivative is "
            f"(e.g. sqrt or log at 0); run under cr.detect_anomaly() to find the operation",
            RuntimeWarning,
            stacklevel=2,
        )
    return gi


def _as_grad_tensor(g, like, create_graph, handed):
    """Wrap a gradient for `like`, in like's dtype, never sharing a buffer already handed out.

    `handed` holds the ids of arrays given out in this backward pass (and the caller's own
    `grad=` array): a rule may pass one cotangent array to several inputs, and `.grad`
    buffers are later accumulated into in place.
    """
    if create_graph:
        if g._data.dtype != like._data.dtype:
            g = g.astype(like._data.dtype)
        elif id(g) in handed or (g._data.base is not None or not g._data.flags.writeable):
            # One cotangent tensor passed to two inputs (add's), or a view (a broadcast
            # cotangent): each leaf gets a tensor of its own, as .grad buffers may later
            # be accumulated into in place. A copy operation, so that higher orders and
            # traces (cr.vmap, cr.compile) still see through it.
            g = REGISTRY["copy"](g)
        handed.add(id(g))
        return g
    if type(g) is not np.ndarray:
        # (a rule that used a transform inside, as fixed_point's, can hand back a recorded
        # tensor at first order: its value is the gradient, nothing differentiates it)
        g = g._data if isinstance(g, TensorBase) else np.asarray(g)
    if g.dtype != like._data.dtype:
        g = g.astype(like._data.dtype)
    elif g.base is not None or id(g) in handed or not g.flags.writeable:
        # A view into a broadcast or another buffer, or an array someone else holds.
        g = g.copy()
    handed.add(id(g))
    return new_tensor(g)


def _accumulate_leaf(leaf, g, create_graph, handed):
    # Through `_grad`, behind the .grad property: the property's setter only tells a
    # tracer of gradients assigned by hand, which backward's are not.
    grad = leaf._grad
    if grad is None:
        if leaf._data.dtype.kind == "c":  # (made to require grad by assignment)
            from .tensor import _COMPLEX_LEAF

            raise TypeError(_COMPLEX_LEAF)
        leaf._grad = _as_grad_tensor(g, leaf, create_graph, handed)
    elif create_graph or grad.requires_grad:
        leaf._grad = grad + _as_grad_tensor(g, leaf, create_graph, handed)
    else:
        grad._data += g._data if isinstance(g, TensorBase) else g
