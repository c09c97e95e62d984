"""autograd's differential operators that chainrule's transforms do not already provide
under the same name, built on them (cr.grad, cr.vjp, cr.jvp, cr.gradcheck).

Each takes ``(fun, argnum=0)`` and returns a function of fun's arguments, as autograd's
do: ``make_vjp(fun)(x)`` is ``(vjp, ans)``, ``hessian_vector_product(fun)(x, v)`` is
H v, ``check_grads(fun, modes=["fwd", "rev"], order=2)(*args)`` checks derivatives
against finite differences.
"""

from __future__ import annotations

import functools
import inspect
import warnings

import numpy as np

from .. import primitives as P
from ..forward_mode import jvp
from ..gradcheck import GradcheckError, gradcheck
from ..graph import is_tensor
from ..jacobians import jacobian
from ..tensor import Tensor, as_tensor
from ..transforms import grad, vjp
from .flatten import flatten


def _unary(fun, argnum, args, kwargs):
    """(x, unary_fun): fun as a function of args[argnum] (a tuple of them for a tuple)."""
    if isinstance(argnum, int):
        x = args[argnum]

        def unary_fun(x):
            return fun(*args[:argnum], x, *args[argnum + 1 :], **kwargs)
    else:
        x = tuple(args[i] for i in argnum)

        def unary_fun(x):
            new = list(args)
            for i, v in zip(argnum, x):
                new[i] = v
            return fun(*new, **kwargs)

    return x, unary_fun


def make_vjp(fun, argnum=0):
    """make_vjp(fun)(*args) -> (vjp, ans): vjp(g) is g^T J with respect to args[argnum]."""

    @functools.wraps(fun)
    def made(*args, **kwargs):
        x, f = _unary(fun, argnum, args, kwargs)
        ans, vjp_all = vjp(f, x)
        return (lambda g: vjp_all(g)[0]), ans

    return made


def make_jvp(fun, argnum=0):
    """make_jvp(fun)(*args) -> jvp, with jvp(v) = (ans, J v) along args[argnum]."""

    @functools.wraps(fun)
    def made(*args, **kwargs):
        x, f = _unary(fun, argnum, args, kwargs)
        return lambda v: jvp(f, (x,), (v,))

    return made


def tensor_jacobian_product(fun, argnum=0):
    """tensor_jacobian_product(fun)(*args, v): the Jacobian with respect to args[argnum],
    contracted on the left with v over v's axes (tensordot(v, J, ndim(v))). A v of the
    output's shape gives the vector-Jacobian product, in one reverse pass; a v of fewer
    axes (the output's leading ones) leaves the others, one pass per element of them."""

    def contracted(*args, **kwargs):
        *args, v = args
        return P.tensordot(v, fun(*args, **kwargs), axes=np.ndim(v))

    product = jacobian(contracted, argnum)
    return functools.wraps(fun)(product)


vector_jacobian_product = tensor_jacobian_product


def hessian_vector_product(fun, argnum=0):
    """hessian_vector_product(fun)(*args, v): (d^2 fun / dx^2) v for x = args[argnum],
    by forward-over-reverse differentiation (the Hessian is never formed)."""

    @functools.wraps(fun)
    def product(*args, **kwargs):
        *args, v = args
        x, f = _unary(fun, argnum, tuple(args), kwargs)
        return jvp(grad(f), (x,), (v,))[1]

    return product


hessian_tensor_product = hessian_vector_product


def make_hvp(fun, argnum=0):
    """make_hvp(fun)(*args) -> (hvp, grad): hvp(v) is H v at args, grad the gradient there."""

    @functools.wraps(fun)
    def made(*args, **kwargs):
        x, f = _unary(fun, argnum, args, kwargs)
        g, grad_vjp = vjp(grad(f), x)
        return (lambda v: grad_vjp(v)[0]), g

    return made


def make_ggnvp(f, g=lambda x: 0.5 * P.sum(x**2, axis=-1), f_argnum=0):
    """make_ggnvp(f, g)(*args) -> ggnvp: the generalized Gauss-Newton product
    v -> J_f^T H_g J_f v, for the loss g(f(x)) (g defaults to half the squared norm)."""

    @functools.wraps(f)
    def made(*args, **kwargs):
        x, fx = _unary(f, f_argnum, args, kwargs)
        ans, f_vjp = vjp(fx, x)
        hvp_g = hessian_vector_product(g)

        def ggnvp(v):
            jv = jvp(fx, (x,), (v,))[1]
            return f_vjp(hvp_g(ans, jv))[0]

        return ggnvp

    return made


def deriv(fun, argnum=0):
    """The derivative of fun along the argument's own direction: the JVP with tangent 1."""

    @functools.wraps(fun)
    def derivative(*args, **kwargs):
        x, f = _unary(fun, argnum, args, kwargs)
        return jvp(f, (x,), (np.ones_like(np.asarray(_value(x), dtype=float)),))[1]

    return derivative


def _value(x):
    return x._data if is_tensor(x) else x


def grad_and_aux(fun, argnum=0):
    """For fun returning (value, aux): (gradient of value, aux)."""

    @functools.wraps(fun)
    def both(*args, **kwargs):
        x, f = _unary(fun, argnum, args, kwargs)
        box = {}

        def value_only(x):
            value, aux = f(x)
            box["aux"] = aux
            return value

        g = grad(value_only)(x)
        return g, box["aux"]

    return both


def grad_named(fun, argname):
    """The gradient with respect to the argument named `argname`."""
    names = list(inspect.signature(fun).parameters)
    return grad(fun, names.index(argname))


def multigrad_dict(fun):
    """The gradients with respect to every argument, as a dict by parameter name."""
    sig = inspect.signature(fun)

    @functools.wraps(fun)
    def grads(*args, **kwargs):
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        names = list(bound.arguments)
        values = [bound.arguments[n] for n in names]
        gs = grad(lambda *vs: fun(**dict(zip(names, vs))), tuple(range(len(names))))(*values)
        return dict(zip(names, gs))

    return grads


def check_grads(fun, argnum=0, modes=None, order=2):
    """check_grads(fun, modes=["fwd", "rev"], order=2)(*args): raise unless fun's
    derivatives with respect to args[argnum] match finite differences, to `order`.

    Arguments and outputs may be nested tuples, lists and dicts (flattened). Orders
    above 2 check the derivative functions themselves, recursively, as autograd does.
    """
    modes = ["fwd", "rev"] if modes is None else list(modes)
    if not all(m in ("fwd", "rev") for m in modes):
        raise ValueError(f"check_grads: modes must be among 'fwd' and 'rev', got {modes}")

    def check(*args, **kwargs):
        x, f = _unary(fun, argnum, args, kwargs)
        flat_x, unflatten = flatten(x)

        def flat_f(v):
            return flatten(f(unflatten(v)))[0]

        x0 = np.asarray(_value(flat_x), dtype=np.float64)
        if not _depends(flat_f, x0):
            # Its derivative is 0 then, as autograd's is: checked against finite
            # differences (a function that drops the derivative, getval(x), fails).
            warnings.warn("check_grads: the output seems independent of the input",
                          stacklevel=2)
            _check_constant(flat_f, x0)
            return True
        _check(flat_f, x0, modes, order)
        return True

    return check


# autograd's own tolerances (its test_util: |analytic - numeric| < 1e-6, or relative to
# their sum): its users' tests rely on check_grads catching a VJP off by 1e-5 relative.
_ATOL, _RTOL = 1e-6, 2e-6


def _depends(f, x):
    """Whether f's output at x is recorded from x (a constant function's is not)."""
    out = f(Tensor(x, requires_grad=True))
    return is_tensor(out) and out.requires_grad


def _check_constant(f, x, eps=1e-6):
    """Raise unless central differences of f at x are 0 (to the tolerances), in a few
    random directions: the derivative a function with an unrecorded output has."""
    rng = np.random.default_rng(0)
    for _ in range(3):
        v = rng.standard_normal(x.shape)
        plus = np.asarray(_value(f(x + eps * v)), dtype=np.float64)
        minus = np.asarray(_value(f(x - eps * v)), dtype=np.float64)
        numeric = (plus - minus) / (2 * eps)
        if np.any(np.abs(numeric) > _ATOL):
            raise GradcheckError(
                f"check_grads: the output is not recorded from the input (its derivative is "
                f"0), but finite differences give up to {np.max(np.abs(numeric))!r}: the "
                f"function drops its derivative (getval, np.asarray of a traced value?)")


def _check(f, x, modes, order):
    gradcheck(f, x, order=min(order, 2), modes=tuple(modes), atol=_ATOL, rtol=_RTOL)
    if order <= 2:
        return
    rng = np.random.default_rng(0)
    out = np.asarray(_value(f(x)))
    if "fwd" in modes:
        v = rng.standard_normal(x.shape)
        _check(lambda x: _as_tensor(jvp(f, (x,), (v,))[1]), x, modes, order - 1)
    if "rev" in modes:
        u = rng.standard_normal(out.shape)
        _check(lambda x: _as_tensor(vjp(f, x)[1](u)[0]), x, modes, order - 1)


def _as_tensor(v):
    # A derivative evaluated at untraced values (gradcheck's finite differences) is
    # plain NumPy; gradcheck reads every output as a tensor.
    return v if is_tensor(v) else as_tensor(v)
