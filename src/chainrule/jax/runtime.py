"""The parts of JAX's top level that concern its runtime rather than mathematics: jit,
config, devices, debugging, shapes. chainrule computes eagerly on the CPU in NumPy, so
most of them have little to do; each says what it does here.
"""

from __future__ import annotations

import contextlib
import functools
from types import SimpleNamespace
from typing import Any

import numpy as np

from ..pytree import tree_map
from .arrays import from_jax, to_jax


class Device:
    """The one device chainrule computes on (``jax.devices()[0]``)."""

    id = 0
    platform = "cpu"
    device_kind = "cpu"
    process_index = 0
    client = None

    def __repr__(self) -> str:
        return "CpuDevice(id=0)"

    def __str__(self) -> str:
        return "cpu:0"


CPU = Device()


def devices(backend: Any = None) -> list[Device]:
    """[the CPU]: chainrule runs on NumPy, in this process."""
    return [CPU]


local_devices = devices


def device_count(backend: Any = None) -> int:
    return 1


local_device_count = device_count


def default_backend() -> str:
    return "cpu"


def process_index(backend: Any = None) -> int:
    return 0


def process_count(backend: Any = None) -> int:
    return 1


def device_put(x: Any, device: Any = None, *, src: Any = None, donate: bool = False,
               may_alias: Any = None) -> Any:
    """x as arrays (a pytree of them): everything already lives in host memory."""
    return to_jax(tree_map(np.asarray, from_jax(x)))


def device_get(x: Any) -> Any:
    """x's arrays as NumPy arrays (the host copy JAX would make)."""
    return tree_map(lambda a: np.asarray(a) if isinstance(a, np.ndarray) else a, from_jax(x))


def block_until_ready(x: Any) -> Any:
    """x: eager computation is finished when a function returns."""
    return x


class _Config:
    """``jax.config``: flags are accepted and kept (``update``, attribute reads).

    chainrule computes as JAX does with ``jax_enable_x64`` on (float64 by default)
    whatever the flag says; ``jax_debug_nans`` and ``jax_disable_jit`` are kept and
    change nothing (use ``cr.detect_anomaly()`` for NaN checks; there is no jit).
    """

    def __init__(self):
        self._flags = {"jax_enable_x64": False, "jax_debug_nans": False,
                       "jax_debug_infs": False, "jax_disable_jit": False,
                       "jax_platform_name": "cpu", "jax_platforms": "cpu",
                       "jax_default_matmul_precision": None, "jax_numpy_rank_promotion": "allow",
                       "jax_numpy_dtype_promotion": "standard", "jax_traceback_filtering": "auto"}

    def update(self, name: str, value: Any) -> None:
        if not isinstance(name, str) or not name.startswith("jax_"):
            raise AttributeError(f"jax.config.update: unrecognized config option {name!r}")
        self._flags[name] = value

    def read(self, name: str) -> Any:
        return self._flags[name]

    def __getattr__(self, name: str) -> Any:
        flags = self.__dict__.get("_flags", {})
        if name in flags:
            return flags[name]
        raise AttributeError(f"jax.config has no option {name!r}")

    def parse_flags_with_absl(self) -> None:
        """Nothing to parse."""

    def config_with_absl(self) -> None:
        """Nothing to parse."""


config = _Config()


def jit(fun: Any = None, *, in_shardings: Any = None, out_shardings: Any = None,
        static_argnums: Any = None, static_argnames: Any = None, donate_argnums: Any = None,
        donate_argnames: Any = None, keep_unused: bool = False, device: Any = None,
        backend: Any = None, inline: bool = False, abstracted_axes: Any = None,
        compiler_options: Any = None) -> Any:
    """``jax.jit``: the function itself, run eagerly on every call (its results as
    arrays). JAX's keywords are accepted: static arguments need no marking, and nothing
    is donated. Python side effects (print) run on every call, not once at tracing.
    ``.lower()`` and ``.trace()`` are not available."""
    if fun is None:  # @jit(static_argnums=...) / partial(jit, ...)
        return functools.partial(jit, static_argnums=static_argnums,
                                 static_argnames=static_argnames,
                                 donate_argnums=donate_argnums)

    @functools.wraps(fun)
    def jitted(*args: Any, **kwargs: Any) -> Any:
        return to_jax(fun(*args, **kwargs), numbers=True)

    def not_compiled(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "jax.jit(...).lower/.trace/.eval_shape: chainrule does not compile (it runs "
            "the function eagerly; there is no HLO). Call the function itself")

    jitted.lower = jitted.trace = not_compiled
    jitted.clear_cache = lambda: None
    return jitted


@contextlib.contextmanager
def disable_jit(disable: bool = True):
    """A context in which jit runs eagerly: here it always does."""
    yield


@contextlib.contextmanager
def ensure_compile_time_eval():
    """Values are always concrete here."""
    yield


@contextlib.contextmanager
def named_scope(name: str):
    """Names a scope in JAX's traces; nothing to name here."""
    yield


def named_call(fun: Any, *, name: str | None = None) -> Any:
    """fun itself (JAX names the call in its traces)."""
    return fun


def clear_caches() -> None:
    """No compilation caches to clear."""


def print_environment_info(return_string: bool = False) -> str | None:
    import platform

    import chainrule

    text = (f"chainrule (JAX front end): {getattr(chainrule, '__version__', '?')}\n"
            f"numpy: {np.__version__}\npython: {platform.python_version()}\n"
            f"devices: [CpuDevice(id=0)]\n")
    if return_string:
        return text
    print(text, end="")
    return None


class ShapeDtypeStruct:
    """A shape and a dtype standing for an array (``jax.eval_shape``'s results)."""

    def __init__(self, shape: Any, dtype: Any, *, sharding: Any = None, weak_type: bool = False):
        self.shape, self.dtype = tuple(shape), np.dtype(dtype)
        self.sharding, self.weak_type = sharding, weak_type

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    def __eq__(self, other: Any) -> bool:
        return (isinstance(other, ShapeDtypeStruct) and other.shape == self.shape
                and other.dtype == self.dtype)

    def __hash__(self) -> int:
        return hash((self.shape, self.dtype))

    def __repr__(self) -> str:
        return f"ShapeDtypeStruct(shape={self.shape}, dtype={self.dtype.name})"


def eval_shape(fun: Any, *args: Any, **kwargs: Any) -> Any:
    """The shapes and dtypes of fun's results, by calling it (on zeros for arguments
    given as ShapeDtypeStructs): chainrule has no abstract evaluation."""
    def concrete(a):
        if isinstance(a, ShapeDtypeStruct) or (hasattr(a, "shape") and hasattr(a, "dtype")
                                               and not isinstance(a, np.ndarray)
                                               and not hasattr(a, "_data")):
            return np.zeros(a.shape, a.dtype)
        return a

    out = fun(*tree_map(concrete, args), **tree_map(concrete, kwargs))
    return tree_map(lambda a: ShapeDtypeStruct(np.shape(a), np.asarray(a).dtype), out)


def pure_callback(callback: Any, result_shape_dtypes: Any, *args: Any,
                  vmap_method: Any = None, vectorized: Any = None, **kwargs: Any) -> Any:
    """callback(*args) on the arguments' values, cast to the declared dtypes."""
    from ..graph import values

    out = callback(*tree_map(lambda a: values(a, "pure_callback") if hasattr(a, "_data")
                             else a, args), **kwargs)
    return to_jax(tree_map(lambda a, s: np.asarray(a, s.dtype).reshape(s.shape), out,
                           result_shape_dtypes))


def make_jaxpr(fun: Any, *args: Any, **kwargs: Any) -> Any:
    """Not available: chainrule records operations as it runs, not as a jaxpr."""
    raise NotImplementedError(
        "jax.make_jaxpr: chainrule has no jaxprs (it runs eagerly); cr.explain "
        "describes the rules of the operations a function uses")


def _debug_print(fmt: str, *args: Any, ordered: bool = False, **kwargs: Any) -> None:
    from ..graph import TensorBase

    def shown(a):
        return a._data if isinstance(a, TensorBase) else a

    print(fmt.format(*tree_map(shown, args), **tree_map(shown, kwargs)))


def _debug_callback(callback: Any, *args: Any, ordered: bool = False, **kwargs: Any) -> None:
    from ..graph import TensorBase

    callback(*tree_map(lambda a: a._data if isinstance(a, TensorBase) else a, args),
             **kwargs)


debug = SimpleNamespace(print=_debug_print, callback=_debug_callback,
                        breakpoint=lambda *a, **k: breakpoint())
