"""``torch.func``: grad, vmap, jacrev, jacfwd, hessian, vjp, jvp (chainrule.transforms)."""

from __future__ import annotations

from .. import jacobians as _jac
from .. import transforms as _tr
from ..forward_mode import jvp as _jvp
from ..vectorize import vmap as _vmap

__all__ = ["grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp", "vjp", "vmap"]


def grad(func, argnums=0, has_aux=False):
    """A function returning the gradient of scalar ``func`` in its ``argnums`` argument(s)."""
    return _tr.grad(func, argnums=argnums, has_aux=has_aux)


def grad_and_value(func, argnums=0, has_aux=False):
    """Like ``grad``, returning ``(gradient, value)`` (PyTorch's order)."""
    both = _tr.value_and_grad(func, argnums=argnums, has_aux=has_aux)

    def wrapped(*args, **kwargs):
        value, g = both(*args, **kwargs)
        if has_aux:
            value, aux = value
            return g, (value, aux)
        return g, value

    return wrapped


def vmap(func, in_dims=0, out_dims=0):
    """``func`` mapped over dimension ``in_dims`` of its arguments."""
    return _vmap(func, in_axes=in_dims, out_axes=out_dims)


def jacrev(func, argnums=0):
    return _jac.jacrev(func, argnums=argnums)


def jacfwd(func, argnums=0):
    return _jac.jacfwd(func, argnums=argnums)


def hessian(func, argnums=0):
    return _jac.hessian(func, argnums=argnums)


def vjp(func, *primals, has_aux=False):
    """``(func(*primals), vjp_fn)``; ``vjp_fn(cotangent)`` returns one entry per primal."""
    return _tr.vjp(func, *primals, has_aux=has_aux)


def jvp(func, primals, tangents):
    """``(func(*primals), J @ tangents)``."""
    return _jvp(func, tuple(primals), tuple(tangents))
