"""Optimizer hooks, with PyTorch's signatures and order.

- ``register_step_pre_hook(hook)``: ``hook(optimizer, args, kwargs)`` before each
  ``step()`` (``args`` includes the optimizer, as PyTorch passes it); returning a pair
  ``(args, kwargs)`` replaces the call's arguments. ``register_step_post_hook(hook)``:
  ``hook(optimizer, args, kwargs)`` after it. The module functions
  ``register_optimizer_step_pre_hook`` / ``_post_hook`` register hooks for every
  optimizer: global pre-hooks run before an optimizer's own, global post-hooks after.
- ``register_state_dict_pre_hook(hook)``: ``hook(optimizer)`` before ``state_dict()``;
  ``register_state_dict_post_hook(hook)``: ``hook(optimizer, state_dict)``, whose
  return value (if not None) is the state dict returned.
- ``register_load_state_dict_pre_hook(hook)``: ``hook(optimizer, state_dict)``, whose
  return value (if not None) is loaded instead; ``register_load_state_dict_post_hook``:
  ``hook(optimizer)`` after loading.

Every register function returns a RemovableHandle; the state-dict ones take
``prepend=True`` to run first. The hooks run once per outermost call: an override
that calls the base method (``super().step()``, or the front end's ``state_dict`` that
converts the engine's) does not run them a second time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from ..hooks import RemovableHandle, add_to

_F = TypeVar("_F", bound=Callable[..., Any])

_GLOBAL_PRE: dict[int, Callable] = {}
_GLOBAL_POST: dict[int, Callable] = {}


def register_optimizer_step_pre_hook(hook: Callable) -> RemovableHandle:
    """Call ``hook(optimizer, args, kwargs)`` before every optimizer's step()."""
    return _add(_GLOBAL_PRE, hook)


def register_optimizer_step_post_hook(hook: Callable) -> RemovableHandle:
    """Call ``hook(optimizer, args, kwargs)`` after every optimizer's step()."""
    return _add(_GLOBAL_POST, hook)


def _add(table: dict, hook: Callable, prepend: bool = False) -> RemovableHandle:
    if not callable(hook):
        raise TypeError(f"a hook must be callable, got {type(hook).__name__}")
    return add_to(table, hook, prepend)


def _table(optimizer, name: str) -> dict:
    tables = optimizer.__dict__.setdefault("_hook_tables", {})
    return tables.setdefault(name, {})


def _hooks(optimizer, name: str):
    return list(optimizer.__dict__.get("_hook_tables", {}).get(name, {}).values())


def _run_step(func, self, args, kwargs):
    args = (self,) + tuple(args)
    for hook in list(_GLOBAL_PRE.values()) + _hooks(self, "step_pre"):
        result = hook(self, args, kwargs)
        if result is not None:
            if not (isinstance(result, tuple) and len(result) == 2):
                raise RuntimeError(
                    f"a step pre-hook must return None or a pair (args, kwargs), got "
                    f"{result!r}")
            args, kwargs = result
    out = func(*args, **kwargs)
    for hook in _hooks(self, "step_post") + list(_GLOBAL_POST.values()):
        hook(self, args, kwargs)
    return out


def _run_state_dict(func, self, args, kwargs):
    for hook in _hooks(self, "state_dict_pre"):
        hook(self)
    state_dict = func(self, *args, **kwargs)
    for hook in _hooks(self, "state_dict_post"):
        result = hook(self, state_dict)
        if result is not None:
            state_dict = result
    return state_dict


def _run_load_state_dict(func, self, args, kwargs):
    kwargs = dict(kwargs)
    state_dict, *rest = args if args else (kwargs.pop("state_dict"),)
    state_dict = dict(state_dict)  # (hooks may edit it; the caller's dict stays as it was)
    for hook in _hooks(self, "load_state_dict_pre"):
        result = hook(self, state_dict)
        if result is not None:
            state_dict = result
    out = func(self, state_dict, *rest, **kwargs)
    for hook in _hooks(self, "load_state_dict_post"):
        hook(self)
    return out


_RUNNERS = {"step": _run_step, "state_dict": _run_state_dict,
            "load_state_dict": _run_load_state_dict}


def with_hooks(method: _F, name: str | None = None) -> _F:
    """``method``, an optimizer's ``name`` (step, state_dict or load_state_dict; by
    default the function's own name), running its hooks around the outermost call."""
    if getattr(method, "_runs_hooks", False):
        return method
    name = name or method.__name__
    run = _RUNNERS[name]
    busy = "_in_" + name

    @functools.wraps(method)
    def call(self, *args: Any, **kwargs: Any):
        state = self.__dict__
        if state.get(busy) or "_hook_tables" not in state and not (
                name == "step" and (_GLOBAL_PRE or _GLOBAL_POST)):
            return method(self, *args, **kwargs)
        state[busy] = True
        try:
            return run(method, self, args, kwargs)
        finally:
            state[busy] = False

    call._runs_hooks = True  # type: ignore[attr-defined]
    return cast(_F, call)


class HookMethods:
    """The register methods every optimizer has (mixed into Optimizer); subclasses'
    own step/state_dict/load_state_dict are wrapped to run the hooks."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in _RUNNERS:
            method = cls.__dict__.get(name)
            if callable(method):  # (`step = _update` too: keyed by the attribute's name)
                setattr(cls, name, with_hooks(method, name))

    def __getstate__(self):
        # As PyTorch's: hooks are not copied or pickled with the optimizer (a copy made
        # inside a hook would otherwise also carry the running hook's flag).
        return {k: v for k, v in self.__dict__.items()
                if k != "_hook_tables" and not k.startswith("_in_")}

    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(optimizer, args, kwargs)`` before each step(); a returned
        ``(args, kwargs)`` pair replaces the call's arguments."""
        return _add(_table(self, "step_pre"), hook)

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(optimizer, args, kwargs)`` after each step()."""
        return _add(_table(self, "step_post"), hook)

    def register_state_dict_pre_hook(self, hook: Callable,
                                     prepend: bool = False) -> RemovableHandle:
        """Call ``hook(optimizer)`` before state_dict()."""
        return _add(_table(self, "state_dict_pre"), hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable,
                                      prepend: bool = False) -> RemovableHandle:
        """Call ``hook(optimizer, state_dict)`` after state_dict(); a returned dict is
        returned instead."""
        return _add(_table(self, "state_dict_post"), hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable,
                                          prepend: bool = False) -> RemovableHandle:
        """Call ``hook(optimizer, state_dict)`` before loading; a returned dict is loaded
        instead."""
        return _add(_table(self, "load_state_dict_pre"), hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable,
                                           prepend: bool = False) -> RemovableHandle:
        """Call ``hook(optimizer)`` after load_state_dict()."""
        return _add(_table(self, "load_state_dict_post"), hook, prepend)
