"""autograd's way of defining a derivative, over chainrule's primitives.

    @primitive
    def logsumexp(x):
        m = np.max(x)
        return m + np.log(np.sum(np.exp(x - m)))

    def logsumexp_vjp(ans, x):
        return lambda g: g * np.exp(x - ans)

    defvjp(logsumexp, logsumexp_vjp)

``primitive(f)`` turns a NumPy function into a chainrule primitive (``cr.primitive``)
that records when given tensors; ``defvjp(f, *vjp_makers)`` declares, per positional
argument, ``vjp_maker(ans, *args, **kwargs)`` returning ``g -> cotangent``;
``defjvp(f, *jvp_makers)`` declares ``jvp_maker(g, ans, *args, **kwargs)`` returning the
output tangent. As in autograd, a rule sees NumPy arrays in a first-order pass and
tensors when its own derivative is taken (write it with chainrule.numpy to serve
every order). Without a JVP, forward mode derives one from the VJP.
"""

from __future__ import annotations

import functools

from .. import statements as S
from ..rules import REGISTRY, Primitive, each_argument
from ..rules import primitive as _declare


def primitive(f):
    """Decorator: `f` (NumPy in, one array out) as a primitive whose rules defvjp gives."""
    name = f"{f.__module__}.{f.__qualname__}"
    # Re-running a definition (a notebook cell) replaces the earlier primitive.
    prim = _declare(name, f, doc=f.__doc__, replace=name in REGISTRY, statement=S.Statement(
        forward=f"{f.__qualname__}(...), a function declared with chainrule.misc.primitive",
        vjp="the rules given to defvjp (forward mode: defjvp, or derived from the VJPs)",
        latex_forward=rf"\operatorname{{{f.__name__}}}(\ldots)",
        latex_vjp=r"\text{as declared by defvjp}",
    ))

    @functools.wraps(f)
    def call(*args, **kwargs):
        return prim(*args, **kwargs)

    call.primitive = prim
    return call


def notrace_primitive(f):
    """Decorator: `f` runs on the values of its arguments; its output carries no gradient."""

    @functools.wraps(f)
    def call(*args, **kwargs):
        return f(*[_value(a) for a in args], **{k: _value(v) for k, v in kwargs.items()})

    return call


def _value(a):
    return a._data if hasattr(a, "requires_grad") else a


def _primitive_of(f):
    prim = getattr(f, "primitive", f)
    if not isinstance(prim, Primitive):
        raise TypeError(
            f"{getattr(f, '__name__', f)!r} is not a primitive; decorate it with "
            f"@primitive (chainrule.misc.primitive) first"
        )
    return prim


def _vjp_rule(maker):
    if maker is None:
        return None

    def rule(g, ans, *args, **kwargs):
        return maker(ans, *args, **kwargs)(g)

    return rule


def _jvp_rule(maker):
    if maker is None:
        return None

    def rule(t, ans, *args, **kwargs):
        return maker(t, ans, *args, **kwargs)

    return rule


def _by_argnum(makers, argnums):
    argnums = tuple(range(len(makers))) if argnums is None else tuple(argnums)
    if len(argnums) != len(makers):
        raise ValueError("defvjp/defjvp: one rule per entry of argnums")
    table = [None] * (max(argnums, default=-1) + 1)
    for k, m in zip(argnums, makers):
        table[k] = m
    return table


def defvjp(f, *vjp_makers, argnums=None):
    """Declare f's VJPs: vjp_maker(ans, *args, **kwargs) -> (g -> cotangent of that arg)."""
    prim = _primitive_of(f)
    prim.defvjp(*[_vjp_rule(m) for m in _by_argnum(vjp_makers, argnums)])
    return f


def defvjp_argnum(f, vjp_maker):
    """Declare f's VJPs by one maker vjp_maker(argnum, ans, args, kwargs) -> (g -> cotangent)."""
    prim = _primitive_of(f)

    def rule(i, g, ans, *args, **kwargs):
        return vjp_maker(i, ans, args, kwargs)(g)

    prim.defvjp(each_argument(rule))
    return f


def defjvp(f, *jvp_makers, argnums=None):
    """Declare f's JVPs: jvp_maker(g, ans, *args, **kwargs) -> tangent of the output."""
    prim = _primitive_of(f)
    prim.defjvp(*[_jvp_rule(m) for m in _by_argnum(jvp_makers, argnums)])
    return f


def def_linear(f):
    """Declare f linear in each argument (the others held): the JVP in an argument is f
    with the tangent in its place. The VJPs are declared with defvjp, as in autograd."""
    prim = _primitive_of(f)

    def rule(i, t, ans, *args, **kwargs):
        return prim(*args[:i], t, *args[i + 1 :], **kwargs)

    prim.defjvp(each_argument(rule))
    return f
