"""HIPS autograd's package layout over chainrule, so a program written for autograd runs
unchanged:

    python -m chainrule.autograd program.py [ARGS...]

``autograd`` resolves to this module (autograd's top-level names: ``grad``,
``elementwise_grad``, ``value_and_grad``, ``jacobian``, ``hessian``, ``make_vjp``, ...),
``autograd.numpy`` and ``autograd.numpy.random``/``linalg``/``fft`` to
:mod:`chainrule.numpy`'s, ``autograd.scipy.*`` to :mod:`chainrule.scipy`'s,
``autograd.misc.*`` to :mod:`chainrule.misc`'s, and ``autograd.extend``,
``autograd.core``, ``autograd.test_util``, ``autograd.builtins``, ``autograd.tracer`` and
``autograd.differential_operators`` to the modules registered below. Inside Python,
``chainrule.autograd.install()`` before the program's imports does the same. What
differs from autograd is listed in docs/api.md, "Coming from autograd".
"""

from __future__ import annotations

import sys
from types import ModuleType

from .. import misc, numpy  # noqa: F401  (autograd.numpy, autograd.misc after `import autograd`)
from ..aliasing import PackageAlias
from ..graph import TensorBase
from ..misc import (
    check_grads,
    checkpoint,
    def_linear,
    defjvp,
    defvjp,
    defvjp_argnum,
    deriv,
    dict,
    elementwise_grad,
    grad,
    grad_and_aux,
    grad_named,
    hessian,
    hessian_tensor_product,
    hessian_vector_product,
    isinstance,
    jacobian,
    list,
    make_ggnvp,
    make_hvp,
    make_jvp,
    make_vjp,
    multigrad_dict,
    notrace_primitive,
    primitive,
    tensor_jacobian_product,
    tuple,
    type,
    value_and_grad,
    vector_jacobian_product,
)

__all__ = ["checkpoint", "deriv", "dict", "elementwise_grad", "grad", "grad_and_aux",
           "grad_named", "hessian", "hessian_tensor_product", "hessian_vector_product",
           "holomorphic_grad", "install", "isinstance", "jacobian", "list", "make_ggnvp",
           "make_hvp", "make_jvp", "make_vjp", "multigrad_dict", "primitive", "run",
           "tensor_jacobian_product", "tuple", "type", "value_and_grad",
           "vector_jacobian_product"]


def holomorphic_grad(fun, argnum=0):
    """autograd's gradient of a holomorphic function of complex input: chainrule
    differentiates real values only, so this refuses when called."""
    raise NotImplementedError(
        "holomorphic_grad: chainrule differentiates real values only (complex dtypes are "
        "out of scope); write the function of the real and imaginary parts as two real "
        "arguments and use grad")


Box = TensorBase  # (what autograd wraps a differentiated value in: a chainrule tensor here)


def getval(x):
    """The value inside a differentiated one, cut from the graph (a NumPy array)."""
    return x._data if isinstance(x, TensorBase) else x


def isbox(x):
    """Whether x is a differentiated value (a chainrule tensor)."""
    return isinstance(x, TensorBase)


def _register(name, attributes):
    module = ModuleType(f"{__name__}.{name}")
    module.__dict__.update(attributes)
    sys.modules[module.__name__] = module
    globals()[name] = module


_DEFINING = {"primitive": primitive, "defvjp": defvjp, "defvjp_argnum": defvjp_argnum,
             "defjvp": defjvp, "def_linear": def_linear, "notrace_primitive": notrace_primitive,
             "Box": Box}
_OPERATORS = {n: globals()[n] for n in __all__
              if n not in ("install", "run", "dict", "isinstance", "list", "tuple", "type")}
_register("extend", _DEFINING)


def _core_make_vjp(fun, x):
    """autograd.core.make_vjp(fun, x) -> (vjp, ans): the unary form under the
    differential operators (autograd.make_vjp(fun)(x) is the same pair)."""
    return make_vjp(fun)(x)


def _core_make_jvp(fun, x):
    """autograd.core.make_jvp(fun, x) -> jvp, with jvp(v) = (ans, J v)."""
    return make_jvp(fun)(x)


_register("core", {**_DEFINING, "make_vjp": _core_make_vjp, "make_jvp": _core_make_jvp})
_register("tracer", {"primitive": primitive, "notrace_primitive": notrace_primitive,
                     "Box": Box, "getval": getval, "isbox": isbox})
_register("differential_operators", _OPERATORS)
_register("test_util", {"check_grads": check_grads})
_register("builtins", {"dict": dict, "isinstance": isinstance, "list": list, "tuple": tuple,
                       "type": type})

_ALIAS = PackageAlias(
    {"autograd": __name__, "autograd.numpy": "chainrule.numpy",
     "autograd.numpy.fft": "numpy.fft",  # (NumPy's own, as chainrule.numpy.fft is: no rules)
     "autograd.scipy": "chainrule.scipy", "autograd.misc": "chainrule.misc"},
    "running an autograd program on chainrule; see docs/api.md, \"Coming from autograd\"")


def install():
    """Make ``import autograd`` (and ``autograd.*``) give chainrule's modules from now on."""
    _ALIAS.install()


def run(argv):
    """``python -m chainrule.autograd program.py args...`` (see PackageAlias.run)."""
    return _ALIAS.run(argv, "chainrule.autograd", __doc__)
