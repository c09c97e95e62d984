"""``torch.optim``: chainrule.optim's optimizers, ``torch.optim.lr_scheduler`` and
``torch.optim.swa_utils``.

Each optimizer also takes PyTorch's implementation switches, ``foreach``, ``fused`` and
``capturable`` (ways of running the same update; chainrule has one, so they change
nothing and are kept in the parameter groups as PyTorch keeps them), and refuses
``differentiable=True``. Its ``state_dict()`` has PyTorch's form: parameter indices as
ints, tensors for the state, tuples where PyTorch has them (``betas``)."""

import importlib
from collections.abc import MutableMapping

import numpy as np

import chainrule.optim as _optim
from chainrule.optim import *  # noqa: F403
from chainrule.optim import (
    __all__,
    swa_utils,  # noqa: F401  (torch.optim.swa_utils)
)

from ...graph import TensorBase, new_tensor
from ..tensor import front
from ..types import get_default_dtype

# (`from . import lr_scheduler` would find chainrule.optim's module, which the star
# import above already bound to that name, and never load this package's own.)
lr_scheduler = importlib.import_module(".lr_scheduler", __name__)

_TUPLES = ("betas", "etas", "step_sizes")


def _pytorch_groups(saved):
    return [{k: tuple(v) if k in _TUPLES and isinstance(v, list) else v
             for k, v in g.items()} for g in saved["param_groups"]]


def _scalar_dtype():
    """PyTorch's dtype for an optimizer's 0-d state (the step count, NAdam's mu_product):
    float64 when that is the default dtype, else float32."""
    return np.float64 if get_default_dtype() == np.float64 else np.float32


def _is_counter(key, value):
    """Whether ``value`` is chainrule.optim's integer step count, which PyTorch keeps as a
    floating 0-d tensor (``tensor(1.)``)."""
    return (key == "step" and isinstance(value, np.ndarray) and value.ndim == 0
            and value.dtype.kind in "iu")


class _StateEntry(MutableMapping):
    """One parameter's optimizer state as PyTorch shows it: the optimizer's arrays read as
    tensors sharing their memory (``state[p]["momentum_buffer"].view(-1)``, ``.zero_()``
    write through), anything else as stored. A tensor put where the optimizer keeps an
    array is kept as that array (its memory), so the update goes on reading arrays."""

    __slots__ = ("_raw", "_hidden")

    def __init__(self, raw, hidden=()):
        self._raw = raw
        self._hidden = hidden  # (the engine's own entries PyTorch's optimizer lacks)

    def __getitem__(self, key):
        if key in self._hidden:
            raise KeyError(key)
        value = self._raw[key]
        if _is_counter(key, value) or (key == "mu_product" and isinstance(value, np.ndarray)
                                       and value.ndim == 0):
            # (a copy, in PyTorch's type: the count a float, both of its scalar dtype)
            return front(new_tensor(value.astype(_scalar_dtype())))
        return front(new_tensor(value)) if isinstance(value, np.ndarray) else value

    def __setitem__(self, key, value):
        held = self._raw.get(key)
        if isinstance(held, np.ndarray) and isinstance(value, TensorBase):
            value = value._data
            if _is_counter(key, held):  # (the update goes on counting in its own type)
                value = np.array(value, held.dtype)
        self._raw[key] = value

    def __delitem__(self, key):
        del self._raw[key]

    def __iter__(self):
        return (k for k in self._raw if k not in self._hidden)

    def __len__(self):
        return sum(1 for k in self._raw if k not in self._hidden)

    def __repr__(self):
        return repr(dict(self.items()))


class _State(MutableMapping):
    """``optimizer.state``: parameter -> _StateEntry, an empty one made on first read (a
    defaultdict, as PyTorch's)."""

    __slots__ = ("_raw", "_hidden")

    def __init__(self, raw, hidden=()):
        self._raw = raw
        self._hidden = hidden

    def __getitem__(self, p):
        entry = self._raw.get(p)
        if entry is None:
            entry = self._raw[p] = {}
        return _StateEntry(entry, self._hidden)

    def __setitem__(self, p, entry):
        self._raw[p] = dict(entry._raw if isinstance(entry, _StateEntry) else entry)

    def __delitem__(self, p):
        del self._raw[p]

    def __iter__(self):
        return iter(self._raw)

    def __len__(self):
        return len(self._raw)

    def __contains__(self, p):
        return p in self._raw

    def get(self, p, default=None):
        return self[p] if p in self._raw else default

    def __repr__(self):
        return repr({p: dict(self[p].items()) for p in self._raw})


class Optimizer(_optim.Optimizer):
    """``torch.optim.Optimizer``: the base class of every optimizer here, and of those a
    program writes itself as in PyTorch (``super().__init__(params, defaults)``, a
    ``step()`` that reads and fills ``self.state[p]``, a dict created on first use).
    ``state_dict()`` has PyTorch's form: parameter indices as ints, each state value a
    copy (tensors as tensors, numbers as numbers); ``load_state_dict`` restores it."""

    # State entries chainrule's update keeps and PyTorch's optimizer does not (SGD's step
    # count): left out of ``state`` and ``state_dict()``.
    _hidden_state: tuple[str, ...] = ()

    @property
    def state(self):
        """parameter -> its state, tensors where the update keeps arrays (_StateEntry)."""
        return _State(self._state, self._hidden_state)

    @state.setter
    def state(self, value):
        self._state = value._raw if isinstance(value, _State) else value

    def state_dict(self):
        groups, index = self._saved_groups()  # (the state below, as it is: any values)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                entry = self.state.get(p)
                if entry:
                    state[index[id(p)]] = {k: _copied(v) for k, v in entry.items()}
        return {"state": state, "param_groups": _pytorch_groups({"param_groups": groups})}


def _copied(v):
    if isinstance(v, np.ndarray):
        return front(new_tensor(v.copy()))
    if hasattr(v, "clone"):
        return v.detach().clone()
    return v


# PyTorch 2.13's optimizers differ in which of the switches they take (and keep in their
# parameter groups): every one has foreach and differentiable; these have the others.
_FUSED = {"SGD", "Adam", "AdamW", "Adagrad"}
_CAPTURABLE = {"Adam", "AdamW", "RMSprop", "Adadelta", "Adamax", "NAdam", "RAdam", "Rprop",
               "ASGD"}


def _with_pytorchs_switches(cls):
    switches = {"foreach": None, "differentiable": False}
    if cls.__name__ in _FUSED:
        switches["fused"] = None
    if cls.__name__ in _CAPTURABLE:
        switches["capturable"] = False

    class Optimizer(cls, globals()["Optimizer"]):
        # (SGD counts steps to start its momentum buffer at the first gradient; PyTorch's
        # SGD keeps no count, its buffer's presence says the same)
        _hidden_state = ("step",) if cls.__name__ == "SGD" else ()

        def __init__(self, params, *args, **kwargs):
            given = {k: kwargs.pop(k) for k in ("foreach", "fused", "capturable",
                                                "differentiable") if k in kwargs}
            for k in given:
                if k not in switches:
                    raise TypeError(f"{cls.__name__}.__init__() got an unexpected keyword "
                                    f"argument {k!r} (PyTorch's {cls.__name__} has no {k})")
            if given.get("differentiable"):
                raise NotImplementedError(
                    f"{cls.__name__}(differentiable=True): differentiating through the "
                    f"optimizer's update is not supported; write the update with "
                    f"chainrule operations to differentiate it")
            self._switches = {k: bool(given.get(k, default)) if k == "capturable"
                              else given.get(k, default) for k, default in switches.items()}
            super().__init__(params, *args, **kwargs)
            self.defaults.update(self._switches)  # (PyTorch's defaults hold them too)
            if cls.__name__ == "Adagrad":
                # (PyTorch's Adagrad fills its state when made: step 0 and the sums at
                # initial_accumulator_value; float16 parameters, updated through float32
                # copies, get theirs at the first step as before)
                for group in self.param_groups:
                    for p in group["params"]:
                        if p._data.dtype != np.float16 and not self._state.get(p):
                            self._state[p] = self._init_state(p, group)

        def add_param_group(self, param_group):
            # (every group has the switches, also one added later, as in PyTorch)
            super().add_param_group(param_group)
            for k, value in getattr(self, "_switches", {}).items():
                self.param_groups[-1].setdefault(k, value)

        def state_dict(self):
            saved = _optim.Optimizer.state_dict(self)  # (the engine's arrays, converted)
            # (PyTorch keeps the step count, and NAdam's mu_product, as 0-d tensors of
            # its scalar dtype: float32, or float64 when that is the default dtype)
            state = {int(i): {k: front(new_tensor(
                np.asarray(v, _scalar_dtype()) if k in ("step", "mu_product")
                else np.asarray(v))) for k, v in entry.items() if k not in self._hidden_state}
                for i, entry in saved["state"].items()}
            return {"state": state, "param_groups": _pytorch_groups(saved)}

        def load_state_dict(self, state_dict):
            if "step" in self._hidden_state:  # (a momentum buffer saved: past the first step)
                state = {i: dict(entry, step=np.ones((), np.int64))
                         if "momentum_buffer" in entry and "step" not in entry else entry
                         for i, entry in state_dict.get("state", {}).items()}
                state_dict = {**state_dict, "state": state}
            super().load_state_dict(state_dict)

    Optimizer.__name__ = Optimizer.__qualname__ = cls.__name__
    Optimizer.__doc__ = cls.__doc__
    Optimizer.__module__ = __name__
    return Optimizer


for _name in __all__:
    _cls = getattr(_optim, _name)
    if (isinstance(_cls, type) and issubclass(_cls, _optim.Optimizer)
            and _cls not in (_optim.Optimizer, _optim.LBFGS)):
        globals()[_name] = _with_pytorchs_switches(_cls)
del _name, _cls


class LBFGS(_optim.LBFGS, Optimizer):  # (an instance of torch.optim.Optimizer too)
    __doc__ = _optim.LBFGS.__doc__
    state_dict = _optim.LBFGS.state_dict  # (its own layout: one flat history)
