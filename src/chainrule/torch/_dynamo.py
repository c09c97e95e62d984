"""``torch._dynamo``: what programs written around ``torch.compile`` call on its tracer.

``torch.compile`` returns its argument here (chainrule.torch.compiler), so no code ever
runs under Dynamo: ``reset`` has nothing to clear, ``disable``/``optimize``/``run``/
``allow_in_graph`` give back the function, the shape markings change nothing, and
``config`` holds Dynamo's settings with PyTorch's defaults (a setting it does not have
is refused, as PyTorch refuses it).
"""

from __future__ import annotations

import contextlib

from .compiler import disable, is_compiling, reset

__all__ = ["allow_in_graph", "config", "disable", "is_compiling", "mark_dynamic", "mark_static",
           "maybe_mark_dynamic", "optimize", "reset", "run"]


class _Config:
    """Dynamo's settings programs set (suppress_errors, cache_size_limit, ...)."""

    _DEFAULTS = {
        "suppress_errors": False, "verbose": False, "cache_size_limit": 8,
        "recompile_limit": 8, "accumulated_cache_size_limit": 256,
        "accumulated_recompile_limit": 256, "capture_scalar_outputs": False,
        "capture_dynamic_output_shape_ops": False, "automatic_dynamic_shapes": True,
        "assume_static_by_default": True, "specialize_int": False, "optimize_ddp": True,
        "inline_inbuilt_nn_modules": True, "guard_nn_modules": False,
        "force_parameter_static_shapes": True, "error_on_recompile": False,
        "replay_record_enabled": False, "rewrite_assert_with_torch_assert": True,
    }

    def __init__(self):
        object.__setattr__(self, "_values", dict(self._DEFAULTS))

    def __getattr__(self, name):
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"torch._dynamo.config has no setting {name!r}") from None

    def __setattr__(self, name, value):
        if name not in self._values:
            raise AttributeError(f"torch._dynamo.config has no setting {name!r}")
        self._values[name] = value

    def __dir__(self):
        return sorted(self._values)

    def patch(self, changes=None, **kwargs):
        """``with config.patch(suppress_errors=True):`` (also a decorator): the settings
        changed inside, restored after."""
        return _Patch(self, {**(changes or {}), **kwargs})


class _Patch(contextlib.ContextDecorator):
    def __init__(self, config, changes):
        for name in changes:
            getattr(config, name)  # (an unknown setting is refused)
        self.config, self.changes = config, changes

    def __enter__(self):
        self.saved = {name: getattr(self.config, name) for name in self.changes}
        for name, value in self.changes.items():
            setattr(self.config, name, value)
        return self

    def __exit__(self, *exc):
        for name, value in self.saved.items():
            setattr(self.config, name, value)
        return False


config = _Config()


def _returns_function(fn=None, *args, **kwargs):
    if fn is None or not callable(fn):
        return lambda f: f
    return fn


def optimize(*args, **kwargs):
    """``torch._dynamo.optimize(backend)(fn)``: fn (nothing is compiled here)."""
    return lambda fn: fn


run = allow_in_graph = _returns_function


def mark_dynamic(t, index, *, min=None, max=None):  # noqa: A002 (PyTorch's names)
    """Nothing to mark: shapes are not specialised by a compiler here."""


def maybe_mark_dynamic(t, index):
    """As mark_dynamic."""


def mark_static(t, index=None):
    """As mark_dynamic."""
