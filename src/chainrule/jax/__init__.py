"""JAX's package layout over chainrule, so a program written for JAX runs unchanged:

    python -m chainrule.jax program.py [ARGS...]

``jax`` resolves to this module: the transformations (``grad``, ``value_and_grad``,
``vjp``, ``jvp``, ``jacfwd``, ``jacrev``, ``hessian``, ``vmap``, ``linearize``,
``checkpoint``/``remat``, ``custom_jvp``, ``custom_vjp``), ``jit`` (the function run
eagerly), ``config``, the device and debugging functions, ``Array``. ``jax.numpy``,
``jax.random``, ``jax.lax``, ``jax.nn``, ``jax.scipy``, ``jax.tree_util``/``jax.tree``,
``jax.flatten_util`` and ``jax.example_libraries`` resolve to chainrule's modules of the
same role, whose arrays come back as :class:`Array` (a NumPy array with ``.at[...]``,
``.block_until_ready()``, ``.device``). Inside Python, ``chainrule.jax.install()``
before the program's imports does the same. What differs from JAX: docs/coming-from-jax.md.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from types import ModuleType, SimpleNamespace
from typing import Any

import numpy as np

from .. import transforms as _transforms  # noqa: F401  (chainrule's own, loaded first)
from ..aliasing import PackageAlias
from .arrays import Array, WrappedModule, from_jax, submodule, to_jax, wrap
from .runtime import (
    ShapeDtypeStruct,
    block_until_ready,
    clear_caches,
    config,
    debug,
    default_backend,
    device_count,
    device_get,
    device_put,
    devices,
    disable_jit,
    ensure_compile_time_eval,
    eval_shape,
    jit,
    local_device_count,
    local_devices,
    make_jaxpr,
    named_call,
    named_scope,
    print_environment_info,
    process_count,
    process_index,
    pure_callback,
)

__all__ = [
    "Array", "ShapeDtypeStruct", "block_until_ready", "checkpoint", "clear_caches", "config",
    "custom_jvp", "custom_vjp", "debug", "default_backend", "device_count", "device_get",
    "device_put", "devices", "disable_jit", "ensure_compile_time_eval", "eval_shape", "grad",
    "hessian", "install", "jacfwd", "jacobian", "jacrev", "jit", "jvp", "linearize",
    "local_device_count", "local_devices", "make_jaxpr", "named_call", "named_scope",
    "print_environment_info", "process_count", "process_index", "pure_callback", "remat",
    "run", "stop_gradient", "value_and_grad", "vjp", "vmap",
]


def _transform(name: str) -> Any:
    """chainrule's transformation `name`, taking and giving the front end's arrays: the
    function it returns is wrapped too (and so are functions it returns in a tuple, as
    vjp's and linearize's)."""
    import chainrule

    real = getattr(chainrule, name)

    def transformed(*args: Any, **kwargs: Any) -> Any:
        out = real(*from_jax(args), **from_jax(kwargs))
        if callable(out):
            return wrap(out)
        return _functions_wrapped(to_jax(out, numbers=True))

    transformed.__name__ = transformed.__qualname__ = name
    transformed.__doc__ = real.__doc__
    transformed.__wrapped__ = real  # type: ignore[attr-defined]
    return transformed


def _functions_wrapped(value: Any) -> Any:
    if type(value) is tuple:
        return tuple(wrap(v) if callable(v) and not isinstance(v, type) else v for v in value)
    return value


grad = _transform("grad")
value_and_grad = _transform("value_and_grad")
vjp = _transform("vjp")
jvp = _transform("jvp")
jacfwd = _transform("jacfwd")
jacrev = _transform("jacrev")
jacobian = jacrev
hessian = _transform("hessian")
vmap = _transform("vmap")
linearize = _transform("linearize")
checkpoint = _transform("checkpoint")
remat = checkpoint
stop_gradient = wrap(importlib.import_module("chainrule").stop_gradient)


def __getattr__(name: str) -> Any:
    # custom_jvp / custom_vjp are chainrule's own classes (decorators with defjvp /
    # defvjp); looked up lazily to keep import order simple.
    if name in ("custom_jvp", "custom_vjp"):
        import chainrule

        return getattr(chainrule, name)
    raise AttributeError(f"module 'jax' (chainrule.jax) has no attribute {name!r}; see "
                         "docs/coming-from-jax.md for what the JAX front end provides")


# ------------------------------------------------------------------- submodules
def _odeint(func: Any, y0: Any, t: Any, *args: Any, rtol: float = 1.4e-8,
            atol: float = 1.4e-8, mxstep: Any = np.inf, hmax: Any = np.inf) -> Any:
    """jax.experimental.ode.odeint: func(y, t, *args), differentiable in y0, t and args
    (chainrule.scipy.integrate.odeint, whose solver's steps differ from JAX's
    Dormand-Prince: results agree to the tolerances, not to the last digit)."""
    from ..scipy.integrate import odeint

    steps = 0 if not np.isfinite(mxstep) else int(mxstep)
    return to_jax(odeint(func, *from_jax((y0, t)), args=from_jax(args), rtol=rtol,
                         atol=atol, mxstep=steps, hmax=0.0 if not np.isfinite(hmax) else hmax))


@contextlib.contextmanager
def _enable_x64(new_val: bool = True):
    """chainrule computes in float64 by default already."""
    yield


_TREE_NAMES = {"map": "tree_map", "leaves": "tree_leaves", "structure": "tree_structure",
               "flatten": "tree_flatten", "unflatten": "tree_unflatten",
               "reduce": "tree_reduce", "all": "tree_all", "transpose": "tree_transpose",
               "map_with_path": "tree_map_with_path",
               "leaves_with_path": "tree_leaves_with_path",
               "flatten_with_path": "tree_flatten_with_path"}


def _tree_extra() -> dict:
    from .. import pytree

    return {short: wrap(getattr(pytree, long)) for short, long in _TREE_NAMES.items()}


def _dtypes() -> dict:
    return {"canonicalize_dtype": lambda dtype, allow_extended_dtype=False: np.dtype(dtype),
            "float0": np.dtype([("float0", np.void, 0)]), "issubdtype": np.issubdtype,
            "result_type": np.result_type, "finfo": np.finfo, "iinfo": np.iinfo}


numpy = submodule(f"{__name__}.numpy", "chainrule.numpy", {"ndarray": Array})
random = submodule(f"{__name__}.random", "chainrule.random")
lax = submodule(f"{__name__}.lax", "chainrule.lax", numbers=True)
nn = submodule(f"{__name__}.nn", "chainrule.nn.jax")
scipy = submodule(f"{__name__}.scipy", "chainrule.scipy")
tree_util = submodule(f"{__name__}.tree_util", "chainrule.pytree")
tree = submodule(f"{__name__}.tree", "chainrule.pytree", _tree_extra())
flatten_util = submodule(f"{__name__}.flatten_util", "chainrule.flatten_util")
example_libraries = submodule(f"{__name__}.example_libraries", "chainrule.example_libraries")
typing = submodule(f"{__name__}.typing", "typing",
                   {"Array": Array, "ArrayLike": Any, "DTypeLike": Any})
dtypes = submodule(f"{__name__}.dtypes", "numpy", _dtypes())
experimental = submodule(f"{__name__}.experimental", "chainrule.example_libraries",
                         {"enable_x64": _enable_x64})
experimental.ode = submodule(f"{__name__}.experimental.ode", "chainrule.scipy.integrate",
                             {"odeint": _odeint})
errors = SimpleNamespace(ConcretizationTypeError=TypeError, TracerArrayConversionError=TypeError,
                         TracerBoolConversionError=TypeError,
                         TracerIntegerConversionError=TypeError,
                         UnexpectedTracerError=RuntimeError)
sys.modules[f"{__name__}.errors"] = ModuleType(f"{__name__}.errors")
sys.modules[f"{__name__}.errors"].__dict__.update(vars(errors))


def _ensure(real: str) -> None:
    """Register the wrapped module `real` (chainrule.jax.a.b...) by walking down from the
    nearest registered parent: ``import jax.scipy.stats`` needs it in sys.modules."""
    parts = real.split(".")
    for k in range(len(parts) - 1, 2, -1):
        parent = sys.modules.get(".".join(parts[:k]))
        if isinstance(parent, WrappedModule):
            for name in parts[k:]:
                parent = getattr(parent, name, None)
                if not isinstance(parent, ModuleType):
                    return
            return


class _JaxAlias(PackageAlias):
    def find_spec(self, name, path=None, target=None):
        real = self.real_name(name)
        if real is not None and real not in sys.modules:
            _ensure(real)
        return super().find_spec(name, path, target)


_ALIAS = _JaxAlias({"jax": __name__},
                   "running a JAX program on chainrule; see docs/coming-from-jax.md")


def install() -> None:
    """Make ``import jax`` (and ``jax.*``) give chainrule's modules from now on."""
    _ALIAS.install()


def run(argv: list[str]) -> int:
    """``python -m chainrule.jax program.py args...`` (see PackageAlias.run)."""
    return _ALIAS.run(argv, "chainrule.jax", __doc__)
