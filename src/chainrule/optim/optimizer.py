"""The Optimizer base class: parameter groups, per-parameter state, state dicts.

Subclasses implement ``_init_state(p, group)``, which allocates a parameter's state
arrays (once, on its first step), and ``_update(p, grad, state, group, scratch)``,
which changes ``p`` in place from the NumPy array ``grad``; ``scratch`` is an array
like ``p`` for intermediate results (not part of the state).

A state dict has two parts, so it can be saved with
``chainrule.io.save_checkpoint(path, arrays, meta)``:

* ``"state"``: ``{"<param index>": {"<name>": ndarray, ...}}``, arrays only (step
  counters are 0-d int64 arrays);
* ``"param_groups"``: a list of JSON-able dicts of hyperparameters, each with
  ``"params"``, the indices of its parameters.

Parameters are numbered in the order the groups list them.

Optimizers with an ``eps`` (Adam, AdamW, RMSprop, Adagrad) update float16 parameters in
float32: their state arrays are float32 and each step works on a float32 copy of the
parameter, rounded back once at the end. In float16 an ``eps`` of 1e-8 is 0 and squared
gradients below 6e-8 vanish, so Adam's first step would divide 0 by 0. SGD has no such
term and steps float16 parameters in float16.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from ..compiled import replayed
from ..graph import TensorBase, mark_modified, new_tensor_as, no_grad, trace_hook
from ..tensor import Tensor
from .hooks import HookMethods, with_hooks


class Optimizer(HookMethods):
    """Base class: holds ``param_groups`` (dicts with "params" and hyperparameters) and
    ``state`` (parameter -> dict of NumPy arrays)."""

    # Update float16 parameters in float32 (see the module notes).
    _float16_in_float32 = False
    # State entries without the parameter's shape (0-d counters; Adafactor's factored
    # row and column moments).
    _scalar_state = ("step",)

    def __init__(self, params: Iterable[Any], defaults: Mapping[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        # (PyTorch's: a subclass's step() may read self._state[p] for a parameter not seen
        # yet and fill the empty dict it gets)
        self._state: dict[Any, dict[str, Any]] = defaultdict(dict)
        self._scratch: dict[Any, Any] = {}
        if isinstance(params, TensorBase):
            raise TypeError(
                f"{type(self).__name__}: params must be an iterable of tensors or of dicts "
                f"(parameter groups), e.g. model.parameters(), not a single tensor"
            )
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------- groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a dict with "params" and any hyperparameters that differ from the defaults."""
        if not isinstance(param_group, dict) or "params" not in param_group:
            raise TypeError(f"{type(self).__name__}: a parameter group is a dict with 'params'")
        group = dict(param_group)
        params = group["params"]
        params = [params] if isinstance(params, TensorBase) else list(params)
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        for p in params:
            if not isinstance(p, TensorBase):
                raise TypeError(
                    f"{type(self).__name__} can only optimize tensors, got {type(p).__name__}"
                )
            # (A frozen parameter, requires_grad=False, is taken: it has no gradient, so
            # steps skip it until it is unfrozen, as in PyTorch.)
            if not p.is_leaf:
                raise ValueError(
                    f"{type(self).__name__}: can't optimize a non-leaf tensor (one of shape "
                    f"{p._data.shape} made by an operation); pass the leaf tensor with "
                    f"requires_grad=True it was computed from"
                )
            if p._data.dtype.kind != "f":
                raise TypeError(f"{type(self).__name__}: parameters must be floating point, "
                                f"got {p._data.dtype}")
            if id(p) in taken:
                raise ValueError(
                    f"{type(self).__name__}: a parameter of shape {p._data.shape} appears in "
                    f"more than one place; list each parameter once"
                )
            taken.add(id(p))
        group["params"] = params
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check_hyperparameters(group)
        self.param_groups.append(group)

    def _check_hyperparameters(self, group):
        name = type(self).__name__
        for key in ("lr", "weight_decay", "eps", "momentum"):
            value = group.get(key)
            if value is not None and not (value >= 0 and math.isfinite(value)):
                raise ValueError(f"{name}: {key} must be a finite number >= 0, got {value}")

    # -------------------------------------------------------------------- steps
    # (replayed: a step compiled by cr.compile makes these calls again each time it runs)
    @replayed
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop every parameter's gradient (or fill it with zeros)."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad._data[...] = 0

    @replayed
    @with_hooks
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; return ``closure()`` if given.

        ``closure`` re-evaluates the model and returns the loss (after backward()).
        """
        loss = None
        if closure is not None:
            loss = closure()
        tracer = trace_hook()
        if tracer is not None:  # (a compiled step captures again when a parameter is
            for group in self.param_groups:  # frozen or unfrozen: it gains or loses a grad)
                for p in group["params"]:
                    tracer.guard(p, "requires_grad")
        with no_grad():
            for group in self.param_groups:
                if not self._step_group_flat(group):
                    self._step_group(group)
        return loss

    def _step_group(self, group):
        """Update the group's parameters one by one (``_update`` per parameter)."""
        for p in group["params"]:
            if p.grad is None:
                continue
            if self._float16_in_float32 and p._data.dtype == np.float16:
                self._step_float16(p, group)
                continue
            grad = p.grad._data
            if grad.shape != p._data.shape:
                raise ValueError(
                    f"{type(self).__name__}: gradient of shape {grad.shape} for a "
                    f"parameter of shape {p._data.shape}"
                )
            state = self._state.get(p)
            if not state:  # (none yet, or an empty one a reader of state[p] left)
                state = self._state[p] = self._init_state(p, group)
            scratch = self._scratch.get(p)
            if (scratch is None or scratch.dtype != p._data.dtype
                    or scratch.shape != p._data.shape):
                # A new parameter, or its array was replaced: check the state fits.
                for name, value in state.items():
                    if name not in self._scalar_state and value.shape != p._data.shape:
                        raise ValueError(
                            f"{type(self).__name__}: a parameter now has shape "
                            f"{p._data.shape} but its optimizer state {name!r} has shape "
                            f"{value.shape}; a parameter replaced by one of another shape "
                            f"needs a new optimizer (or its state removed)"
                        )
                scratch = self._scratch[p] = np.empty_like(p._data)
            self._update(p, grad, state, group, scratch)

    @property
    def state(self) -> dict[Any, dict[str, Any]]:
        """parameter -> its state (a dict of NumPy arrays; a step counter among them)."""
        return self._state

    @state.setter
    def state(self, value: dict[Any, dict[str, Any]]) -> None:
        self._state = value

    def _step_float16(self, p, group):
        """One update of a float16 parameter, computed in float32 (see the module notes)."""
        grad = p.grad._data
        if grad.shape != p._data.shape:
            raise ValueError(
                f"{type(self).__name__}: gradient of shape {grad.shape} for a parameter of "
                f"shape {p._data.shape}"
            )
        work = _working(p)
        state = self._state.get(p)
        if not state:
            state = self._state[p] = self._init_state(work, group)
        scratch = np.empty_like(work._data)
        self._update(work, grad.astype(np.float32), state, group, scratch)
        p._data[...] = work._data
        mark_modified(p)

    def _step_group_flat(self, group):
        """Update the whole group at once when the optimizer can; return False otherwise."""
        return False

    def _init_state(self, p, group):
        raise NotImplementedError

    def _update(self, p, grad, state, group, scratch):
        raise NotImplementedError

    # --------------------------------------------------------------- state dicts
    @with_hooks
    def state_dict(self) -> dict[str, Any]:
        """{"state": arrays per parameter index, "param_groups": JSON-able hyperparameters}.

        The arrays are copies: later steps do not change a state dict already taken.
        """
        groups, index = self._saved_groups()
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if self._state.get(p):
                    state[str(index[id(p)])] = {k: np.array(v, copy=True)
                                                for k, v in self._state[p].items()}
        return {"state": state, "param_groups": groups}

    def _saved_groups(self):
        """The JSON-able hyperparameters of each group, and parameter id -> index."""
        index = {}
        groups = []
        for group in self.param_groups:
            saved = {k: _jsonable(v) for k, v in group.items() if k != "params"}
            saved["params"] = []
            for p in group["params"]:
                index[id(p)] = len(index)
                saved["params"].append(index[id(p)])
            groups.append(saved)
        return groups, index

    @with_hooks
    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore hyperparameters and state saved by :meth:`state_dict`.

        The parameter groups must have the same sizes, and every saved array the shape
        of its parameter; state is copied into fresh arrays of the parameter's dtype
        (float32 for a float16 parameter).
        """
        name = type(self).__name__
        saved_groups = state_dict["param_groups"]
        self._check_group_sizes(saved_groups)
        params = [p for g in self.param_groups for p in g["params"]]
        if type(self)._init_state is Optimizer._init_state:
            # A subclass with its own step() (PyTorch's way to write an optimizer): its
            # state is whatever that step stored, restored as saved.
            self._state = self._load_any_state(state_dict.get("state", {}), params)
            self._load_hyperparameters(saved_groups)
            return
        # A subclass of a built-in optimizer whose own step() keeps more state (an EMA
        # beside Adam's moments): those entries come back as saved.
        own_step = not type(self).step.__module__.startswith("chainrule.")
        new_state = {}
        for key, entry in state_dict.get("state", {}).items():
            i = int(key)
            if not 0 <= i < len(params):
                raise ValueError(f"{name}.load_state_dict: state for parameter {key}, but "
                                 f"the optimizer has {len(params)} parameters")
            p = params[i]
            k = next(j for j, g in enumerate(self.param_groups)
                     if any(q is p for q in g["params"]))
            # The state the saved hyperparameters call for (momentum's buffer when they
            # have momentum), since they replace this optimizer's below, as in PyTorch.
            group = {**self.param_groups[k],
                     **{h: v for h, v in saved_groups[k].items() if h != "params"}}
            expected = self._init_state(_working(p) if self._float16_in_float32 else p, group)
            extra = {k: v for k, v in entry.items() if k not in expected} if own_step else {}
            entry = {k: v for k, v in entry.items() if k not in extra}
            if set(entry) != set(expected):
                raise ValueError(
                    f"{name}.load_state_dict: parameter {i} has state {sorted(entry)}, "
                    f"expected {sorted(expected)} (was it saved from another optimizer or "
                    f"other settings?)"
                )
            for k, v in entry.items():
                v = np.asarray(v)
                if v.shape != expected[k].shape:
                    raise ValueError(
                        f"{name}.load_state_dict: state {k!r} of parameter {i} has shape "
                        f"{v.shape}, expected {expected[k].shape}"
                    )
                expected[k][...] = v
            if extra:
                expected.update(self._load_any_state({"0": extra}, [p])[p])
            new_state[p] = expected
        self._load_hyperparameters(saved_groups)
        self._state = defaultdict(dict, new_state)

    def _load_any_state(self, saved, params):
        """State a subclass's own step() wrote, as saved: each tensor or array copied into
        a tensor of its parameter's kind (float ones in the parameter's dtype), 0-d
        integer arrays as Python ints (a step counter), anything else as it is."""
        new_state: dict[Any, dict[str, Any]] = defaultdict(dict)
        for key, entry in saved.items():
            i = int(key)
            if not 0 <= i < len(params):
                raise ValueError(f"{type(self).__name__}.load_state_dict: state for parameter "
                                 f"{key}, but the optimizer has {len(params)} parameters")
            p = params[i]
            restored = {}
            for k, v in entry.items():
                if isinstance(v, (TensorBase, np.ndarray, np.generic)):
                    a = np.array(v._data if isinstance(v, TensorBase) else v, copy=True)
                    if a.ndim == 0 and a.dtype.kind in "iu" and not isinstance(v, TensorBase):
                        restored[k] = int(a)  # (a step counter saved as a number)
                        continue
                    if a.dtype.kind == "f" and a.shape == p._data.shape:
                        a = a.astype(p._data.dtype)
                    restored[k] = new_tensor_as(a, p)
                else:
                    restored[k] = v
            new_state[p] = restored
        return new_state

    def _check_group_sizes(self, saved_groups):
        """Refuse saved parameter groups whose sizes differ from this optimizer's."""
        sizes = [len(g["params"]) for g in self.param_groups]
        saved_sizes = [len(g["params"]) for g in saved_groups]
        if sizes != saved_sizes:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: the state dict has parameter groups "
                f"of sizes {saved_sizes}, this optimizer {sizes}; build the optimizer over the "
                f"same parameters in the same order"
            )

    def _load_hyperparameters(self, saved_groups):
        for group, saved in zip(self.param_groups, saved_groups):
            for k, v in saved.items():
                if k != "params":
                    group[k] = v

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(group):
                if k != "params":
                    lines.append(f"    {k}: {group[k]}")
        return "\n".join(lines) + "\n)"


def _working(p):
    """The tensor an update works on: ``p`` itself, or a float32 copy of a float16 ``p``."""
    if p._data.dtype == np.float16:
        return Tensor(p._data.astype(np.float32))
    return p


def has_float16(params) -> bool:
    """True if any parameter is float16 (Adam's flat path leaves those to _step_group)."""
    return any(p._data.dtype == np.float16 for p in params)


def _jsonable(value):
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
