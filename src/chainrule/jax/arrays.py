"""The JAX front end's arrays, and the wrapping that gives them out.

Outside transforms chainrule's functions return NumPy arrays; JAX programs call methods
NumPy's arrays lack: ``x.at[i].set(v)``, ``x.block_until_ready()``, ``x.device``. So
the front end views every array a function returns as :class:`Array`, an ndarray
subclass with those methods (NumPy's operations keep the subclass: ``x + 1`` is an
Array too), and gives chainrule's functions plain ndarrays back. Inside transforms the
values are chainrule tensors, which have ``at`` themselves.

:func:`wrapped` makes the front end's modules: chainrule's module of the same role
(``jax.numpy`` is ``chainrule.numpy``), each function's results viewed as Arrays.
"""

from __future__ import annotations

import functools
import importlib
import sys
import types
from types import ModuleType
from typing import Any

import numpy as np

from .. import index_updates
from ..graph import TensorBase


class _ArrayType(type):
    # isinstance(x, jax.Array) holds for the front end's arrays, NumPy's and, inside
    # transforms, chainrule's tensors (as it holds for JAX's tracers).
    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, (np.ndarray, TensorBase))


class Array(np.ndarray, metaclass=_ArrayType):
    """A NumPy array with JAX's array methods (``jax.Array``, ``jnp.ndarray``)."""

    @property
    def at(self) -> _At:
        """``x.at[i].set(v)``, ``.add(v)``, ``.get()``, ...: new arrays (index_updates)."""
        return _At(self.view(np.ndarray))

    def block_until_ready(self) -> Array:
        """The array itself: chainrule computes eagerly, so it is ready."""
        return self

    def copy_to_host_async(self) -> None:
        """Nothing to do: the array is in host memory."""

    @property
    def device(self) -> Any:
        from .runtime import CPU

        return CPU

    def devices(self) -> set:
        from .runtime import CPU

        return {CPU}

    def __repr__(self) -> str:
        # NumPy's repr with JAX's name and the dtype always shown: Array([0., 1.], dtype=float64)
        body = np.array_repr(self.view(np.ndarray))[len("array("):-1]
        body = body.split(", dtype=")[0]
        return f"Array({body}, dtype={self.dtype.name})"


class _At:
    """``Array.at``: chainrule's index updates, their results viewed as Arrays."""

    __slots__ = ("helper",)

    def __init__(self, array: np.ndarray):
        self.helper = index_updates.IndexUpdateHelper(array)

    def __getitem__(self, index: Any) -> _AtRef:
        return _AtRef(self.helper[from_jax(index)])


class _AtRef:
    __slots__ = ("ref",)

    def __init__(self, ref: index_updates.IndexUpdateRef):
        self.ref = ref

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.ref, name)
        return lambda *args, **kwargs: to_jax(method(*from_jax(args), **kwargs))


def to_jax(value: Any, numbers: bool = False) -> Any:
    """Arrays and NumPy scalars in a result (any pytree of them) viewed as Arrays; with
    ``numbers``, Python numbers too (what jit and the transformations return is arrays)."""
    if type(value) is np.ndarray:
        return value.view(Array)
    if isinstance(value, np.generic) or (numbers and type(value) in (bool, int, float)):
        return np.asarray(value).view(Array)
    if type(value) in (tuple, list):
        return type(value)(to_jax(v, numbers) for v in value)
    if type(value) is dict:
        return {k: to_jax(v, numbers) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple
        return type(value)(*(to_jax(v, numbers) for v in value))
    return value


def from_jax(value: Any) -> Any:
    """Arrays in arguments given to chainrule as plain ndarrays (views, not copies), and
    the program's own functions given as functions that see Arrays (a lax.scan body, the
    function a transformation calls with plain arrays)."""
    kind = type(value)
    if kind is Array:
        return value.view(np.ndarray)
    if kind is tuple or kind is list:
        return kind([from_jax(v) for v in value])
    if kind is dict:
        return {k: from_jax(v) for k, v in value.items()}
    if kind in _CONVERTED:  # (a function)
        return _seeing_arrays(value)
    return value


_CONVERTED = {Array, tuple, list, dict, types.FunctionType, types.MethodType,
              functools.partial}


def _arguments(args: tuple) -> tuple:
    """from_jax(args), with the common case (no Array, container or function among them)
    found by one pass over their types: this runs on every call of a wrapped function."""
    for a in args:
        if type(a) in _CONVERTED:
            return from_jax(args)
    return args


def _seeing_arrays(fn: Any) -> Any:
    if getattr(fn, "_sees_arrays", False):
        return fn

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        return from_jax(fn(*to_jax(args), **to_jax(kwargs)))

    call._sees_arrays = True  # type: ignore[attr-defined]
    return call


def wrap(fn: Any, numbers: bool = False) -> Any:
    """``fn`` with its arguments given as ndarrays and its results viewed as Arrays (with
    ``numbers``, Python numbers too); NumPy-ufunc-like attributes (``jnp.add.at``,
    ``.reduce``, ...) wrapped as well."""

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        return to_jax(fn(*_arguments(args), **(from_jax(kwargs) if kwargs else kwargs)),
                      numbers)

    for name, attr in vars(fn).items() if hasattr(fn, "__dict__") else ():
        if callable(attr) and not isinstance(attr, type) and not name.startswith("_"):
            setattr(call, name, wrap(attr, numbers))
    return call


_MISSING = object()


class WrappedModule(ModuleType):
    """A JAX module name over a chainrule module: its functions wrapped (``wrap``), its
    classes and constants as they are, its submodules wrapped in turn. ``extra`` holds
    names of the front end's own that take precedence; with ``numbers`` the functions'
    Python-number results become arrays too (lax's functions return arrays only)."""

    def __init__(self, name: str, real: str, extra: dict | None = None,
                 numbers: bool = False):
        super().__init__(name)
        self.__real = real
        self.__extra = dict(extra or {})
        self.__numbers = numbers
        self.__path__: list[str] = []  # (a package: `import jax.numpy.linalg` works)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__") and name not in ("__all__",):
            raise AttributeError(name)
        extra = self.__dict__.get(f"_{WrappedModule.__name__}__extra", {})
        if name in extra:
            value = extra[name]
        else:
            real = importlib.import_module(self.__real)
            if name == "__all__":
                return list(getattr(real, "__all__", [n for n in dir(real)
                                                       if not n.startswith("_")]))
            try:
                value = getattr(real, name)
            except AttributeError:
                value = _submodule_of(self.__real, name) or _MISSING
            if value is _MISSING:
                raise AttributeError(
                    f"module {self.__name__!r} has no attribute {name!r}: chainrule's "
                    f"{self.__real} has no {name!r} (see docs/coming-from-jax.md)") from None
            if isinstance(value, ModuleType):
                value = submodule(f"{self.__name__}.{name}", value.__name__)
            elif callable(value) and not isinstance(value, type):
                value = wrap(value, self.__numbers)
        setattr(self, name, value)  # (looked up once)
        return value

    def __dir__(self) -> list[str]:
        real = importlib.import_module(self.__real)
        return sorted(set(dir(real)) | set(self.__extra))


def _submodule_of(real: str, name: str) -> ModuleType | None:
    """chainrule's submodule `real.name` where the package does not import it itself
    (chainrule.example_libraries.optimizers), or None."""
    try:
        return importlib.import_module(f"{real}.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"{real}.{name}":
            raise
        return None


def submodule(name: str, real: str, extra: dict | None = None,
              numbers: bool = False) -> WrappedModule:
    """The wrapped module registered as ``name`` (made once)."""
    module = sys.modules.get(name)
    if not isinstance(module, WrappedModule):
        module = WrappedModule(name, real, extra, numbers)
        sys.modules[name] = module
    return module
