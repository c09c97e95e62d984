"""``torch.func``: grad, vmap, jacrev, jacfwd, hessian, vjp, jvp (chainrule.transforms)."""

from __future__ import annotations

import functools

import numpy as np

from .. import jacobians as _jac
from .. import primitives as _P
from .. import transforms as _tr
from ..forward_mode import jvp as _jvp
from ..forward_mode import linearize as _linearize
from ..graph import new_tensor
from ..pytree import tree_map
from ..vectorize import vmap as _vmap
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
    without recording (nothing outside will differentiate it) comes from the engine."""

    @functools.wraps(transformed)
    def wrapped(*args, **kwargs):
        return tree_map(lambda t: front(t) if type(t) is _CrTensor else t,
                        transformed(*args, **kwargs))

    return wrapped


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


def vmap(func, in_dims=0, out_dims=0):
    """``func`` mapped over dimension ``in_dims`` of its arguments."""
    return _vmap(_front_args(func), in_axes=in_dims, out_axes=out_dims)


def jacrev(func, argnums=0):
    return _front_results(_jac.jacrev(_front_args(func), argnums=argnums))


def jacfwd(func, argnums=0):
    return _front_results(_jac.jacfwd(_front_args(func), argnums=argnums))


def hessian(func, argnums=0):
    return _front_results(_jac.hessian(_front_args(func), argnums=argnums))


def vjp(func, *primals, has_aux=False):
    """``(func(*primals), vjp_fn)``; ``vjp_fn(cotangent)`` returns one entry per primal."""
    return _tr.vjp(_front_args(func), *primals, has_aux=has_aux)


def jvp(func, primals, tangents):
    """``(func(*primals), J @ tangents)``."""
    return _jvp(_front_args(func), tuple(primals), tuple(tangents))


def linearize(func, *primals):
    """``(func(*primals), jvp_fn)`` with ``jvp_fn(*tangents)`` = J t (forward mode again on
    each call; chainrule keeps no linearized program)."""
    out, f_jvp = _linearize(_front_args(func), *primals)

    def tensors(tree):
        return tree_map(lambda t: front(new_tensor(np.asarray(t))) if isinstance(
            t, (np.ndarray, np.generic)) else front(t) if type(t) is _CrTensor else t, tree)

    return tensors(out), lambda *tangents: tensors(f_jvp(*tangents))


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
