"""``torch.func``: grad, vmap, jacrev, jacfwd, hessian, vjp, jvp (chainrule.transforms)."""

from __future__ import annotations

import functools

import numpy as np

from .. import graph
from .. import jacobians as _jac
from .. import primitives as _P
from .. import transforms as _tr
from .. import vectorize as _vectorize
from ..forward_mode import jvp as _jvp
from ..forward_mode import linearize as _linearize
from ..graph import TensorBase, new_tensor, new_tensor_as
from ..pytree import tree_map
from ..vectorize import vmap as _vmap
from .autograd_core import mapping
from .tensor import _CrTensor, front

__all__ = ["functional_call", "functionalize", "grad", "grad_and_value", "hessian", "jacfwd",
           "jacrev", "jvp", "linearize", "replace_all_batch_norm_modules_",
           "stack_module_state", "vjp", "vmap"]


def _as_front(x):
    """A front-end tensor with x's value on the graph (a recorded copy of a chainrule
    tensor, so the caller's own object keeps its class). NumPy values (cr.vmap checks
    one example by calling the function on plain values) become front-end tensors."""
    if type(x) is _CrTensor:
        return front(_P.copy(x))
    if isinstance(x, (np.ndarray, np.generic)):
        return front(new_tensor(np.asarray(x)))
    return x


def _front_args(func):
    """``func`` seeing its arguments as front-end tensors: the transforms hand it tensors
    of their own making (chainrule's class), on which PyTorch's methods would be NumPy's."""

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        return func(*tree_map(_as_front, args), **kwargs)

    return wrapped


def _front_results(transformed):
    """``transformed`` giving its results as front-end tensors: a gradient computed
    without recording (nothing outside will differentiate it) comes from the engine.
    At the outermost level, a result whose graph reaches only the transforms' own
    leaves (a Jacobian of a Jacobian, an aux output computed from the argument) is
    handed out unrecorded, as PyTorch's are: nothing outside can differentiate it."""

    @functools.wraps(transformed)
    def wrapped(*args, **kwargs):
        return tree_map(_result, transformed(*args, **kwargs))

    return wrapped


def _result(t):
    if type(t) is _CrTensor:
        t = front(t)
    if (isinstance(t, TensorBase) and t.requires_grad and not _tr.tracing()
            and graph.trace_hook() is None and not _tr.reaches_other_leaves([t])):
        return new_tensor_as(t._data, t)
    return t


def _tensors(tree):
    """Forward mode's NumPy results (a tangent computed without recording) as front-end
    tensors."""
    return tree_map(lambda t: front(new_tensor(np.asarray(t))) if isinstance(
        t, (np.ndarray, np.generic)) else _result(t), tree)


def grad(func, argnums=0, has_aux=False):
    """A function returning the gradient of scalar ``func`` in its ``argnums`` argument(s)."""
    return _front_results(_tr.grad(_front_args(func), argnums=argnums, has_aux=has_aux))


def grad_and_value(func, argnums=0, has_aux=False):
    """Like ``grad``, returning ``(gradient, value)`` (PyTorch's order)."""
    both = _front_results(_tr.value_and_grad(_front_args(func), argnums=argnums,
                                             has_aux=has_aux))

    def wrapped(*args, **kwargs):
        value, g = both(*args, **kwargs)
        if has_aux:
            value, aux = value
            return g, (value, aux)
        return g, value

    return wrapped


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """``func`` mapped over dimension ``in_dims`` of its positional arguments; keyword
    arguments are passed to every call unmapped (PyTorch's rule, where JAX maps them).
    ``randomness`` and ``chunk_size`` as torch.func's (chainrule.vectorize.vmap)."""
    mapped = _vmap(_front_args(func), in_axes=in_dims, out_axes=out_dims,
                   chunk_size=chunk_size, randomness=randomness)

    @functools.wraps(mapped)
    @mapping(randomness)  # (a Function's vmap rule, called in the batch's replay, is told)
    def wrapped(*args, **kwargs):
        if not kwargs:
            return mapped(*args)
        return _vmap(_front_args(functools.partial(func, **kwargs)), in_axes=in_dims,
                     out_axes=out_dims, chunk_size=chunk_size, randomness=randomness)(*args)

    return wrapped


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """The Jacobian by reverse mode. ``chunk_size`` (how many rows torch.func computes at
    once) changes nothing here: chainrule computes the rows one reverse pass each."""
    if chunk_size is not None and chunk_size <= 0:
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")
    return _front_results(_jac.jacrev(_front_args(func), argnums=argnums, has_aux=has_aux))


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """The Jacobian by forward mode, one pass per input element; ``randomness`` says
    what random draws in ``func`` do across those passes, as torch.func's vmap over
    them: "error" raises, "same" draws the first pass's numbers again, "different" new
    ones."""
    _vectorize.with_randomness(func, randomness)  # (checks the flag now, as PyTorch does)

    def jacobian_f(*args, **kwargs):
        drawn = _vectorize.with_randomness(func, randomness)  # (one per call: its draws)
        jac = _jac.jacfwd(_front_args(drawn), argnums=argnums, has_aux=has_aux)
        return _front_results(jac)(*args, **kwargs)

    return jacobian_f


def hessian(func, argnums=0):
    return _front_results(_jac.hessian(_front_args(func), argnums=argnums))


def vjp(func, *primals, has_aux=False):
    """``(func(*primals), vjp_fn)``; ``vjp_fn(cotangent)`` returns one entry per primal.
    As in PyTorch, outside other transforms the output (and aux) and ``vjp_fn``'s
    results are plain tensors unless they depend on tensors that require grad."""
    got = _tr.vjp(_front_args(func), *primals, has_aux=has_aux)
    out, pullback = got[0], got[1]

    @functools.wraps(pullback)
    def vjp_fn(*cotangents, **kwargs):
        return tree_map(_result, pullback(*cotangents, **kwargs))

    return (tree_map(_result, out), vjp_fn) + tuple(tree_map(_result, a) for a in got[2:])


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """``(func(*primals), J @ tangents)``; with ``has_aux=True`` func returns
    ``(output, aux)`` and jvp ``(output, J @ tangents, aux)``."""
    if has_aux:
        def split(*args):  # (PyTorch's error for a function not returning a pair)
            out = func(*args)
            if not (isinstance(out, tuple) and len(out) == 2):
                raise RuntimeError("jvp(f, primals, tangents): output of function f should "
                                   "be a tuple: (output, aux) if has_aux is True")
            return out

        return _tensors(_jvp(_front_args(split), tuple(primals), tuple(tangents),
                             has_aux=True))
    return _tensors(_jvp(_front_args(func), tuple(primals), tuple(tangents)))


def linearize(func, *primals):
    """``(func(*primals), jvp_fn)`` with ``jvp_fn(*tangents)`` = J t (forward mode again on
    each call; chainrule keeps no linearized program)."""
    out, f_jvp = _linearize(_front_args(func), *primals)
    return _tensors(out), lambda *tangents: _tensors(f_jvp(*tangents))


def functionalize(func, *, remove="mutations"):
    """``func`` itself: PyTorch's functionalize rewrites in-place operations for its
    compilers, and chainrule's eager results are already those of the rewritten program."""
    if remove not in ("mutations", "mutations_and_views"):
        raise ValueError(f"functionalize: remove must be 'mutations' or "
                         f"'mutations_and_views', got {remove!r}")
    return func


def stack_module_state(models):
    """``(params, buffers)``: each name's tensors of the given models (one class, all in
    train or all in eval mode) stacked along a new first dimension, as vmap over
    functional_call takes them; stacked parameters are new leaves requiring grad."""
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if len({m.training for m in models}) != 1:
        raise RuntimeError("stack_module_state: Expected all models to have the same "
                           "training/eval mode.")
    if len({type(m) for m in models}) != 1:
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")

    def stacked(name, tensors):
        grads = {bool(t.requires_grad) for t in tensors}
        if len(grads) != 1:
            raise RuntimeError(f"Expected {name} from each model to have the same "
                               f".requires_grad")
        out = front(new_tensor(np.stack([np.asarray(t._data) for t in tensors])))
        return out.requires_grad_() if grads.pop() else out

    params = [dict(m.named_parameters()) for m in models]
    buffers = [dict(m.named_buffers()) for m in models]
    return ({k: stacked(k, [p[k] for p in params]) for k in params[0]},
            {k: stacked(k, [b[k] for b in buffers]) for k in buffers[0]})


def replace_all_batch_norm_modules_(root):
    """Make every batch norm in ``root`` use the batch's statistics and keep none
    (running_mean and running_var None, track_running_stats False), in place, as vmap
    over a model with batch norm needs; returns ``root``."""
    from ..nn.normalization import _BatchNorm

    for module in root.modules():
        if isinstance(module, _BatchNorm):  # (SyncBatchNorm too)
            module.running_mean = None
            module.running_var = None
            module.num_batches_tracked = None
            module.track_running_stats = False
    return root


def functional_call(module, parameter_and_buffer_dicts, args=(), kwargs=None, *,
                    tie_weights=True, strict=False):
    """``module(*args, **kwargs)`` with some parameters and buffers replaced by the given
    tensors (named as in ``named_parameters()``; a dict or a tuple of dicts), put back
    afterwards: a model used as a function of its weights (torch.func's way). Weights
    shared between modules are one object, so replacing one name replaces it everywhere
    it is used (``tie_weights``)."""
    dicts = (parameter_and_buffer_dicts if isinstance(parameter_and_buffer_dicts, (tuple, list))
             else (parameter_and_buffer_dicts,))
    values = {}
    for d in dicts:
        for name in d:
            if name in values:
                raise ValueError(f"functional_call: {name!r} is given twice")
        values.update(d)
    if strict:
        names = {n for n, _ in module.named_parameters()} | {n for n, _ in module.named_buffers()}
        missing, unexpected = sorted(names - set(values)), sorted(set(values) - names)
        if missing or unexpected:
            raise RuntimeError(f"functional_call: missing {missing}, unexpected {unexpected}")
    originals = {}
    if tie_weights:  # every name of a replaced object's other uses gets the new value
        for name, p in (*module.named_parameters(remove_duplicate=False),
                        *module.named_buffers()):
            for given, value in list(values.items()):
                if given != name and _lookup(module, given) is p:
                    values.setdefault(name, value)
    try:
        for name, value in values.items():
            owner, leaf = _owner(module, name)
            originals[name] = vars(owner).get(leaf, _ABSENT)
            vars(owner)[leaf] = value
        return module(*(args if isinstance(args, tuple) else (args,)), **(kwargs or {}))
    finally:
        for name, old in originals.items():
            owner, leaf = _owner(module, name)
            if old is _ABSENT:
                vars(owner).pop(leaf, None)
            else:
                vars(owner)[leaf] = old


_ABSENT = object()


def _owner(module, name):
    path, _, leaf = name.rpartition(".")
    return module.get_submodule(path), leaf  # (a Sequential's children are named "0", "1")


def _lookup(module, name):
    owner, leaf = _owner(module, name)
    return getattr(owner, leaf, None)
