"""``torch.autograd``: ``grad``, ``backward``, custom ``Function``s, ``gradcheck`` and
anomaly detection, over chainrule's reverse pass."""

from __future__ import annotations

import functools
import threading
import weakref
from collections import namedtuple

import numpy as np

from .. import forward_mode as _forward_mode
from .. import graph
from .. import primitives as P
from ..anomaly import detect_anomaly as _detect_anomaly
from ..backward import _accumulate_leaf as accumulate_leaf
from ..backward import backward as _backward
from ..gradcheck import GradcheckError
from ..gradcheck import gradcheck as _gradcheck
from ..graph import TensorBase, new_tensor
from ..hooks import run_post_accumulate_hooks
from ..rules import Primitive, each_argument
from .tensor import _CrTensor, front, like

__all__ = ["Function", "GradcheckError", "backward", "detect_anomaly", "grad", "gradcheck",
           "gradgradcheck", "set_detect_anomaly"]


def _listed(x):
    return [x] if isinstance(x, TensorBase) else list(x)


def _root(outputs, grad_outputs):
    """One output and its seed: several outputs are summed, each weighted by its seed."""
    outputs = _listed(outputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    grad_outputs = _listed(grad_outputs) if grad_outputs is not None else grad_outputs
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"grad_outputs has {len(grad_outputs)} entries for "
                           f"{len(outputs)} outputs")
    if len(outputs) == 1:
        return outputs[0], grad_outputs[0]
    total = None
    for out, g in zip(outputs, grad_outputs):
        if g is None and out._data.size != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs; "
                               "pass grad_outputs")
        term = (out * g).sum() if g is not None else out.sum()
        total = term if total is None else total + term
    return total, None


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False,
         materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs`` (a tuple), leaving every
    ``.grad`` untouched. ``create_graph=True`` records them for higher derivatives.
    ``only_inputs`` is PyTorch's deprecated no-op. ``is_grads_batched=True``: the first
    dimension of every grad_output indexes separate vector-Jacobian products, and each
    gradient has that dimension too (one backward pass per row here, where PyTorch
    vmaps them)."""
    if is_grads_batched:
        return _batched_grads(outputs, inputs, grad_outputs, retain_graph, create_graph,
                              allow_unused, materialize_grads)
    single = isinstance(inputs, TensorBase)
    inputs = _listed(inputs)
    if not create_graph and _forward_mode._levels:
        # Inside a forward AD level (forward over reverse): the gradient carries its
        # tangent, which only a recorded backward pass computes; the values are kept,
        # the recording dropped, as PyTorch's results are.
        grads = _grads(outputs, inputs, grad_outputs, bool(retain_graph), True, True)
        grads = [g if g is None else _detached_with_tangent(g) for g in grads]
    else:
        grads = _grads(outputs, inputs, grad_outputs, retain_graph, create_graph, True)
    out = []
    for i, g in enumerate(grads):
        if g is None:
            if materialize_grads:  # (zeros not recorded, as PyTorch's zeros_like)
                g = new_tensor(np.zeros_like(inputs[i]._data))
            elif not allow_unused:
                raise RuntimeError(f"One of the differentiated Tensors (input {i}) appears to "
                                   f"not have been used in the graph. Set allow_unused=True "
                                   f"if this is the desired behavior.")
        out.append(like(inputs[i], g) if g is not None else None)
    return tuple(out) if not single or len(out) != 1 else (out[0],)


def _batched_grads(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                   materialize_grads):
    if grad_outputs is None:
        raise RuntimeError("torch.autograd.grad: is_grads_batched=True needs grad_outputs, "
                           "with the batch of vectors on their first dimension")
    rows_of = _listed(grad_outputs)
    sizes = {int(np.shape(g._data if isinstance(g, TensorBase) else g)[0]) for g in rows_of
             if g is not None}
    if len(sizes) != 1:
        raise RuntimeError(f"torch.autograd.grad: with is_grads_batched=True every "
                           f"grad_output needs the same first dimension, got {sorted(sizes)}")
    n = sizes.pop()
    rows = [grad(outputs, inputs, [None if g is None else g[k] for g in rows_of],
                 retain_graph=True if k < n - 1 else retain_graph, create_graph=create_graph,
                 allow_unused=allow_unused, materialize_grads=materialize_grads)
            for k in range(n)]
    out = []
    for i, x in enumerate(_listed(inputs)):
        column = [r[i] for r in rows]
        if all(g is None for g in column):
            out.append(None)
            continue
        column = [new_tensor(np.zeros_like(x._data)) if g is None else g for g in column]
        out.append(like(x, P.stack(column)))
    return tuple(out)


def _detached_with_tangent(g):
    out = new_tensor(g._data)
    if g._tangent:
        out._tangent = {level: new_tensor(t._data) if isinstance(t, TensorBase) else t
                        for level, t in g._tangent.items()}
    return out


def _grads(outputs, inputs, grad_outputs, retain_graph, create_graph, retained):
    root, seed = _root(outputs, grad_outputs)
    with graph.enable_grad():
        return _backward(root, seed, retain_graph=retain_graph, create_graph=create_graph,
                         inputs=inputs, retained=retained)


def _check_output(out, g):
    """PyTorch's errors for backward from one output: it must be recorded, a scalar
    unless a gradient is given, and a given gradient must have its shape."""
    if not out.requires_grad:
        raise RuntimeError("element 0 of tensors does not require grad and does not have "
                           "a grad_fn")
    if g is None and out._data.size != 1:
        raise RuntimeError(
            f"grad can be implicitly created only for scalar outputs: this tensor has "
            f"shape {tuple(out._data.shape)}; pass gradient= of that shape, or reduce it to "
            f"a scalar first (e.g. .sum())"
        )
    shape = None if g is None else np.shape(g._data if isinstance(g, TensorBase) else g)
    if shape is not None and shape != out._data.shape:
        raise RuntimeError(f"Mismatch in shape: the gradient has shape {tuple(shape)} and "
                           f"the output shape {tuple(out._data.shape)}")


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of ``tensors`` into the leaves' ``.grad``; with
    ``inputs``, into those tensors' ``.grad`` only (leaves or not), as PyTorch does:
    added in place into an existing ``.grad``, post-accumulate hooks run."""
    if isinstance(tensors, TensorBase):
        _check_output(tensors, grad_tensors[0] if isinstance(grad_tensors, (list, tuple))
                      and len(grad_tensors) == 1 else grad_tensors)
    if inputs is None:
        root, seed = _root(tensors, grad_tensors)
        _backward(root, seed, retain_graph=retain_graph, create_graph=create_graph)
        return
    inputs = _listed(inputs)
    if not inputs:
        raise RuntimeError("backward: inputs= is an empty sequence; leave it out to "
                           "accumulate into every leaf")
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grads = _grads(tensors, inputs, grad_tensors, retain_graph, create_graph, True)
    for t, g in zip(inputs, grads):
        if g is None:
            continue  # (not reached from the outputs: its .grad stays as it is)
        accumulate_leaf(t, g, create_graph, set())
        if t._post_hooks:
            run_post_accumulate_hooks(t)


# ------------------------------------------------------------------ custom functions
class FunctionCtx:
    """The ``ctx`` a Function's forward fills and its backward reads."""

    def __init__(self, args):
        self.saved_tensors = ()
        self.needs_input_grad = tuple(isinstance(a, TensorBase) and a.requires_grad
                                      for a in args)
        self._grads = {}  # (output, cotangent) -> the gradients backward gave for them

    def save_for_backward(self, *tensors):
        self.saved_tensors = tensors

    def save_for_forward(self, *tensors):
        """Tensors the Function's ``jvp`` reads as ``ctx.saved_tensors`` (PyTorch's)."""
        self._saved_for_forward = tensors

    def mark_non_differentiable(self, *tensors):
        pass  # (outputs are never differentiable through anything but backward here)

    def mark_dirty(self, *tensors):
        pass

    def set_materialize_grads(self, value):
        pass  # (a single output's cotangent is always an array)


class Function:
    """PyTorch's custom autograd function: subclass with static ``forward(ctx, *args)``
    and ``backward(ctx, *grad_outputs)`` (or ``forward(*args)`` with
    ``setup_context(ctx, inputs, output)``), call ``MyFunction.apply(*args)``.

    The forward runs without recording; one operation stands for it in the graph, whose
    derivative is the class's backward (given a front-end tensor, returning one gradient,
    or None, per argument of forward). With ``create_graph=True`` backward itself is
    recorded, so a backward written with differentiable operations has derivatives too.
    A tuple of outputs works too: backward receives one cotangent per output (zeros for
    those that get none, as PyTorch materializes them).
    """

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        # One operation per tensor output; its rule calls backward with that output's
        # cotangent and zeros for the others (backward is linear in them, so with several
        # outputs the gradients of all of them add up to PyTorch's single call's).
        prim = Primitive(f"{cls.__name__}.apply", _function_forward)
        prim.defvjp(each_argument(_function_vjp))
        # A compiled step replays a backward rule on each call's values; this one calls
        # the class's backward, which reads what forward saved on ctx at capture.
        prim.not_compiled = (f"{cls.__name__} (a torch.autograd.Function) cannot be "
                             f"replayed: its backward reads what forward saved on ctx in "
                             f"the call captured. Run the step without cr.compile")
        if getattr(cls, "jvp", None) is not None:
            # (forward mode through the class's own jvp; without one it is derived from
            # backward)
            prim.defjvp(each_argument(_function_jvp))
        # Under torch.func.vmap: the class's vmap staticmethod, or apply per example (see
        # _function_batch); never the traced example's ctx for the whole batch.
        prim.batch = _function_batch
        cls._primitive = prim

    setup_context = None

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("define forward(ctx, *args) as a staticmethod")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("define backward(ctx, *grad_outputs) as a staticmethod")

    @classmethod
    def apply(cls, *args):
        ctx = FunctionCtx(args)
        ctx._function = cls
        # (Traced by torch.func.vmap with a vmap rule of its own: forward runs untraced on
        # the traced example, free to read its values with NumPy; the replay calls the
        # rule for the batch, see _function_batch.)
        untraced = cls._batched_by_its_rule(args) and graph.trace_hook() is not None
        prev = graph.set_trace_hook(None) if untraced else None
        try:
            with graph.no_grad():
                out = cls._forward(ctx, args)
        finally:
            if untraced:
                graph.set_trace_hook(prev)
        if isinstance(out, tuple):
            return cls._apply_several(ctx, args, out)
        if not isinstance(out, TensorBase):
            raise TypeError(f"{cls.__name__}.forward must return a tensor or a tuple, got "
                            f"{type(out).__name__}")
        if not (graph.is_grad_enabled() and any(ctx.needs_input_grad)
                or cls._tangents_through_jvp(args) or cls._batched_by_its_rule(args)):
            return out
        ctx._outputs = [out._data]
        result = like(out, cls._primitive(*args, out, _ctx=ctx, _k=0))
        ctx._recorded = [weakref.ref(result)]
        return result

    @classmethod
    def _forward(cls, ctx, args):
        if cls.setup_context is not None:  # (PyTorch 2's form: forward without ctx)
            out = cls.forward(*args)
            cls.setup_context(ctx, args, out)
            return out
        return cls.forward(ctx, *args)

    @classmethod
    def _tangents_through_jvp(cls, args):
        """Whether an input carries a forward-mode tangent for the class's own jvp (the
        recorded operation's JVP rule calls it); without a jvp the tangent comes from
        differentiating forward's own operations."""
        return getattr(cls, "jvp", None) is not None and any(
            isinstance(a, TensorBase) and a._tangent for a in args)

    @classmethod
    def _batched_by_its_rule(cls, args):
        """Whether the call is inside torch.func.vmap and the class has its own ``vmap``
        staticmethod: then the operation is recorded even with nothing to differentiate,
        so that vmap's replay batches it by that rule (_function_batch) rather than by
        forward's own operations, which may read values outside chainrule's (NumPy on
        ``x.numpy()``, the reason for writing such a rule)."""
        return (in_vmap() and getattr(cls, "vmap", None) is not None
                and not getattr(cls, "generate_vmap_rule", False)
                and any(isinstance(a, TensorBase) for a in args))

    @classmethod
    def _apply_several(cls, ctx, args, outs):
        """A tuple of outputs: each tensor among them one recorded operation (see
        __init_subclass__); other values as forward returned them."""
        if not (graph.is_grad_enabled() and any(ctx.needs_input_grad)
                or cls._tangents_through_jvp(args) or cls._batched_by_its_rule(args)):
            return outs
        ctx._outputs = [o._data if isinstance(o, TensorBase) else None for o in outs]
        results = tuple(
            like(o, cls._primitive(*args, o, _ctx=ctx, _k=k))
            if isinstance(o, TensorBase) and o._data.dtype.kind in "fc" else o
            for k, o in enumerate(outs))
        ctx._recorded = [weakref.ref(r) if r is not o else None for r, o in zip(results, outs)]
        return results


# The recorded operation takes forward's output as its last argument and returns it: its
# value is what forward computed, and where forward's operations were traced (cr.vmap,
# cr.compile) it is their result for every example and call, not the first one's.
def _function_forward(*arrays, _ctx, _k):
    return arrays[-1]


def _front_copy(t):
    return front(P.copy(t)) if type(t) is _CrTensor else t


_VMAP = threading.local()  # (.randomness: of each torch.func.vmap running, innermost last)


def in_vmap():
    return bool(getattr(_VMAP, "randomness", None))


def mapping(randomness):
    """A decorator: the function (a torch.func.vmap'ed call: its trace, its batch's replay
    and check) runs marked as inside a vmap of that ``randomness`` (a Function's vmap
    rule is told it)."""

    def decorate(func):
        @functools.wraps(func)
        def body(*args, **kwargs):
            if not hasattr(_VMAP, "randomness"):
                _VMAP.randomness = []
            _VMAP.randomness.append(randomness)
            try:
                return func(*args, **kwargs)
            finally:
                _VMAP.randomness.pop()

        return body

    return decorate


# torch.func.vmap's ``info`` argument to a Function's vmap staticmethod.
VmapInfo = namedtuple("VmapInfo", ["batch_size", "randomness"])


def _function_batch(prim, args, batched, kw):
    """The batching rule of a Function's recorded operation (torch.func.vmap, and
    grad/jacrev around it). vmap traced one example, so the operation's ctx holds that
    example's saved tensors; a backward reading them would give every example the first
    one's gradient (an unbatched input's the first example's times the batch size). So
    each batch calls the class again, as PyTorch does: its ``vmap`` staticmethod,
    ``vmap(info, in_dims, *args) -> (output, out_dims)``, with the batched arguments (the
    batch on dimension 0: in_dims 0 for those, None for the others); with
    ``generate_vmap_rule = True``, or neither (which PyTorch refuses), ``apply`` on each
    example in turn, each with its own ctx. Each call records its own operation, so
    gradients through the result are the class's backward of the right tensors."""
    ctx, k = kw["_ctx"], kw["_k"]
    cls = ctx._function
    *inputs, forward_output = args
    flags = batched[:-1]
    if not any(flags):  # (forward read batched values from elsewhere: its traced output)
        return forward_output
    recorded = any(isinstance(a, TensorBase) for a in args)
    size = next(np.shape(graph.values(a))[0] for a, b in zip(inputs, flags) if b)
    rule = getattr(cls, "vmap", None)
    if rule is not None and not getattr(cls, "generate_vmap_rule", False):
        randomness = _VMAP.randomness[-1] if in_vmap() else "error"
        result = rule(VmapInfo(size, randomness), tuple(0 if b else None for b in flags),
                      *[_front_arg(a) for a in inputs])
        if not isinstance(result, tuple) or len(result) != 2:
            raise RuntimeError(f"Expected the vmap staticmethod to have two returns, an "
                               f"output and out_dims with pytree structure compatible with "
                               f"the output. Got a {type(result).__name__} instead")
        out, dims = result
        out = out[k] if isinstance(out, (tuple, list)) else out
        dim = dims[k] if isinstance(dims, (tuple, list)) else dims
        out = _front_arg(out)
        if dim is None:  # (the same for every example)
            out = P.broadcast_to(P.expand_dims(out, 0), (size, *np.shape(out._data)))
        elif dim % out.ndim != 0:
            order = [d for d in range(out.ndim) if d != dim % out.ndim]
            out = P.transpose(out, (dim % out.ndim, *order))
    else:
        getitem = graph.REGISTRY["getitem"]
        examples = []
        for i in range(size):
            one = cls.apply(*[_front_arg(getitem(a, i)) if b else _front_arg(a)
                              for a, b in zip(inputs, flags)])
            examples.append(one[k] if isinstance(one, tuple) else one)
        out = P.stack(examples)
    return out if recorded else graph.values(out)


def _front_arg(a):
    """An argument for the class's own code: a front-end tensor for arrays and tensors."""
    if isinstance(a, np.ndarray):
        return front(new_tensor(a))
    return _front_copy(a) if isinstance(a, TensorBase) else a


def _function_vjp(i, g, ans, *args, _ctx, _k):
    """Input i's gradient through output _k: backward called once per output and
    cotangent, its results handed out argument by argument (none to the last argument,
    forward's own output)."""
    *args, _ = args
    if i == len(args):
        return np.zeros(np.shape(ans))
    key = (_k, id(g))
    cache = _ctx._grads
    if cache.get("key") != key:
        tensor_g = isinstance(g, TensorBase)
        grads_in = []
        for j, o in enumerate(_ctx._outputs):
            if j == _k:
                # (Under create_graph the cotangent is recorded, often the engine's own
                # tensor, whose methods are NumPy's: backward sees a front-end copy.)
                grads_in.append(_front_copy(g) if tensor_g else front(new_tensor(g)))
            elif o is None:
                grads_in.append(None)
            else:
                grads_in.append(front(new_tensor(np.zeros_like(o))))
        saved = _ctx.saved_tensors
        if tensor_g:  # (create_graph: saved outputs are the recorded ones, see below)
            _ctx.saved_tensors = _recorded_outputs(_ctx, saved, args)
        try:
            grads = _ctx._function.backward(_ctx, *grads_in)
        finally:
            _ctx.saved_tensors = saved
        grads = grads if isinstance(grads, tuple) else (grads,)
        if len(grads) < len(args):
            raise RuntimeError(f"{_ctx._function.__name__}.backward returned {len(grads)} "
                               f"gradients for {len(args)} inputs of forward")
        cache.update(key=key, g=g, grads=grads)  # (g kept alive: its id stays its own)
    gi = cache["grads"][i]
    shape = np.shape(args[i]._data if isinstance(args[i], TensorBase) else args[i])
    if gi is None:
        return np.zeros(shape)
    if isinstance(g, TensorBase):
        return graph.engine_cotangent(gi)
    return gi._data if isinstance(gi, TensorBase) else np.asarray(gi)


def _recorded_outputs(ctx, saved, args):
    """The saved tensors with each of forward's own outputs replaced by the recorded output
    that stands for it. Forward ran without recording, so a saved output (tanh's y in
    g * (1 - y * y)) is a constant there; a gradient that is itself differentiated must
    see it as the Function's output, as PyTorch's saved outputs are, or every derivative
    through it is lost (a second derivative of 0). The recorded outputs are held weakly
    (the operation's node holds ctx); one the program dropped (MyCube.apply(x)[0] keeps
    only the first) is recorded again from the same inputs, the same operation."""
    outputs = {id(raw): k for k, raw in enumerate(ctx._outputs) if raw is not None}
    # (an input forward returned as it is stays the input, as in PyTorch)
    inputs = {id(a) for a in args if isinstance(a, TensorBase)}
    if not any(isinstance(s, TensorBase) and id(s._data) in outputs and id(s) not in inputs
               for s in saved):
        return saved
    refs = getattr(ctx, "_recorded", ())
    swapped = []
    for s in saved:
        k = outputs.get(id(s._data)) if isinstance(s, TensorBase) else None
        if k is None or id(s) in inputs:
            swapped.append(s)
            continue
        found = refs[k]() if k < len(refs) and refs[k] is not None else None
        if found is None:
            found = front(ctx._function._primitive(*args, s, _ctx=ctx, _k=k))
        swapped.append(found)
    return tuple(swapped)


def _function_jvp(i, t, ans, *args, _ctx, _k):
    """Output _k's tangent from input i's: the class's jvp(ctx, *tangents) with t at i
    and zeros at the other tensor inputs (jvp is linear in them, so the engine's sum
    over inputs is PyTorch's single call), ctx.saved_tensors being save_for_forward's.
    (The last argument, forward's own output, carries no tangent through the class.)"""
    *args, _ = args
    if i == len(args):
        return np.zeros_like(graph.values(ans))
    tangents = []
    for j, a in enumerate(args):
        if j == i:
            tangents.append(_front_copy(t) if isinstance(t, TensorBase)
                            else front(new_tensor(t)))
        elif isinstance(a, (TensorBase, np.ndarray)):  # (a tensor input, or its values)
            tangents.append(front(new_tensor(np.zeros_like(graph.values(a)))))
        else:
            tangents.append(None)  # (a number: PyTorch passes None)
    saved = _ctx.saved_tensors
    _ctx.saved_tensors = getattr(_ctx, "_saved_for_forward", saved)
    try:
        out = _ctx._function.jvp(_ctx, *tangents)
    finally:
        _ctx.saved_tensors = saved
    out = out[_k] if isinstance(out, tuple) else out
    if out is None:
        return np.zeros_like(ans)
    if isinstance(t, TensorBase):
        return graph.engine_cotangent(out)
    return out._data if isinstance(out, TensorBase) else np.asarray(out)


# ------------------------------------------------------------------ checks, anomaly mode
def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              **ignored):
    """PyTorch's gradcheck: reverse-mode gradients of ``func`` at ``inputs`` (a tensor or
    a tuple; float64 as PyTorch asks) against central finite differences. True, or
    GradcheckError (False with ``raise_exception=False``)."""
    return _check(func, inputs, 1, eps, atol, rtol, raise_exception)


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, **ignored):
    """The same check of the second derivatives."""
    return _check(func, inputs, 2, eps, atol, rtol, raise_exception)


def _check(func, inputs, order, eps, atol, rtol, raise_exception):
    inputs = (inputs,) if isinstance(inputs, TensorBase) else tuple(inputs)
    arrays = [a._data if isinstance(a, TensorBase) else a for a in inputs]
    wanted = [isinstance(a, TensorBase) and a.requires_grad for a in inputs]

    def argument(t, wants_grad):
        # PyTorch calls func with grad mode on and the inputs requiring grad also for the
        # finite differences, so func may register hooks or call backward inside; the
        # checker's evaluations at shifted points get such leaves too.
        if wants_grad and isinstance(t, TensorBase) and not t.requires_grad:
            return front(new_tensor(t._data)).requires_grad_()
        return front(t) if isinstance(t, TensorBase) else t

    def outputs(*tensors):
        # Every output element, as one vector: the checker weighs them at random, so a
        # wrong gradient of any one of them shows (a plain sum could hide it).
        with graph.enable_grad():
            out = func(*(argument(t, w) for t, w in zip(tensors, wanted)))
        outs = [o for o in (out if isinstance(out, (tuple, list)) else (out,))
                if isinstance(o, TensorBase)]
        return outs[0] if len(outs) == 1 else P.concatenate([P.reshape(o, (-1,))
                                                              for o in outs])

    try:
        return _gradcheck(outputs, *arrays, eps=eps, atol=atol, rtol=rtol, order=order,
                          modes=("rev",))
    except GradcheckError:
        if raise_exception:
            raise
        return False


class detect_anomaly(_detect_anomaly):
    """Anomaly mode (chainrule.detect_anomaly): ``check_nan`` is accepted and always on.
    Stricter than PyTorch's: a NaN in a forward output raises too, at the operation that
    made it (PyTorch checks the gradients only)."""

    def __init__(self, check_nan=True):
        super().__init__()


class set_detect_anomaly:
    """Anomaly mode on or off: at once when called, back when used as a context manager
    and left."""

    def __init__(self, mode, check_nan=True):
        self._prev = graph.anomaly_hooks()
        self._mode = _detect_anomaly() if mode else None
        if mode:
            self._mode.__enter__()
        else:
            graph.set_anomaly_hooks(None, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        graph.set_anomaly_hooks(*self._prev)
        return False
