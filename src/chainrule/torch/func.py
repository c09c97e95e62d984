"""``torch.func``: grad, vmap, jacrev, jacfwd, hessian, vjp, jvp (chainrule.transforms)."""

from __future__ import annotations

import functools

import numpy as np

from .. import jacobians as _jac
from .. import primitives as _P
from .. import transforms as _tr
from ..forward_mode import jvp as _jvp
from ..graph import new_tensor
from ..pytree import tree_map
from ..vectorize import vmap as _vmap
from .tensor import _CrTensor, front

__all__ = ["functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp",
           "vjp", "vmap"]


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
