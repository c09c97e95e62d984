"""``torch.amp``: ``autocast`` and ``GradScaler``, as programs written for mixed precision
use them (also ``torch.autocast``, ``torch.cuda.amp``, ``torch.cpu.amp``).

chainrule computes in the dtype of the tensors it is given (float32 or float64; NumPy has
no bfloat16), so ``autocast`` leaves every operation in its own dtype: a region under it
computes what it would compute without it, more precisely than PyTorch's lower-precision
kernels. ``GradScaler`` is PyTorch's loss scaling, exactly: ``scale`` multiplies the loss,
``step`` unscales the gradients and skips the update when one is inf or NaN, ``update``
backs the scale off after such a step and grows it after ``growth_interval`` clean ones.
With ``enabled=False`` (the usual choice outside float16) each is a pass-through.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import warnings

import numpy as np

__all__ = ["GradScaler", "autocast", "custom_bwd", "custom_fwd", "get_autocast_dtype",
           "is_autocast_available", "is_autocast_enabled"]

_DEVICES = ("cpu", "cuda", "mps", "xpu")
# PyTorch's lower-precision dtype of each device's autocast, by name (types.py's objects)
_DEFAULT_DTYPES = {"cpu": "bfloat16", "cuda": "float16", "mps": "float16", "xpu": "bfloat16"}
# Per thread (as PyTorch's): device -> (enabled, dtype) of each open region, innermost last
_STATE = threading.local()


def _regions(device_type):
    regions = getattr(_STATE, "regions", None)
    if regions is None:
        regions = _STATE.regions = {d: [] for d in _DEVICES}
    return regions.get(device_type, [])


class autocast(contextlib.ContextDecorator):  # noqa: N801  (PyTorch's name)
    """Accepted and without effect on the computation (module docstring); also a decorator.
    Its state is kept, for ``is_autocast_enabled`` and ``custom_fwd``."""

    def __init__(self, device_type="cpu", dtype=None, enabled=True, cache_enabled=None):
        if device_type not in _DEVICES:
            raise ValueError(f"autocast: device_type must be one of {_DEVICES}, got "
                             f"{device_type!r}")
        self.device_type, self.fast_dtype, self.enabled = device_type, dtype, bool(enabled)

    def __enter__(self):
        dtype = self.fast_dtype if self.fast_dtype is not None else get_autocast_dtype(
            self.device_type)
        _regions(self.device_type).append((self.enabled, dtype))
        return self

    def __exit__(self, *exc):
        _regions(self.device_type).pop()
        return False


def is_autocast_available(device_type):
    return device_type in _DEVICES


def is_autocast_enabled(device_type=None):
    """Whether the innermost autocast region of the device (CUDA's, as in PyTorch, when
    none is named) is enabled."""
    regions = _regions("cuda" if device_type is None else device_type)
    return bool(regions) and regions[-1][0]


def get_autocast_dtype(device_type):
    regions = _regions(device_type)
    if regions:
        return regions[-1][1]
    from . import types

    return getattr(types, _DEFAULT_DTYPES.get(device_type, "float16"))


def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    """Decorator for an autograd.Function's forward, as PyTorch's: with ``cast_inputs``,
    inside an enabled autocast region of ``device_type`` the floating-point tensor
    arguments on that device (float64 excepted) are cast to it and forward runs with
    autocast off; elsewhere forward runs as it is. ``ctx`` keeps the region's state for
    custom_bwd."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def forward(*args, **kwargs):
        ctx = args[0]
        ctx._dtype = get_autocast_dtype(device_type)
        enabled = is_autocast_enabled(device_type)
        if cast_inputs is None or not enabled:
            ctx._fwd_used_autocast = enabled and cast_inputs is None
            return fwd(*args, **kwargs)
        ctx._fwd_used_autocast = False
        with autocast(device_type=device_type, enabled=False):
            return fwd(*_cast(args, device_type, cast_inputs),
                       **_cast(kwargs, device_type, cast_inputs))

    return forward


def custom_bwd(bwd=None, *, device_type):
    """Decorator for an autograd.Function's backward: it runs in the autocast state its
    forward ran in (see custom_fwd)."""
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def backward(*args, **kwargs):
        ctx = args[0]
        with autocast(device_type=device_type, enabled=getattr(ctx, "_fwd_used_autocast", False),
                      dtype=getattr(ctx, "_dtype", None)):
            return bwd(*args, **kwargs)

    return backward


def _cast(value, device_type, dtype):
    from .tensor import Tensor

    if isinstance(value, Tensor):
        eligible = (value.is_floating_point() and value.device.type == device_type
                    and str(value.dtype) != "torch.float64")
        return value.to(dtype) if eligible else value
    if isinstance(value, (str, bytes)):
        return value
    if isinstance(value, dict):
        return {k: _cast(v, device_type, dtype) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(v, device_type, dtype) for v in value)
    return value


class GradScaler:
    """Dynamic loss scaling (PyTorch's algorithm and defaults)."""

    def __init__(self, device="cuda", init_scale=2.0 ** 16, growth_factor=2.0,
                 backoff_factor=0.5, growth_interval=2000, enabled=True):
        if growth_factor <= 1.0:
            raise ValueError("GradScaler: growth_factor should be > 1")
        if not 0.0 < backoff_factor < 1.0:
            raise ValueError("GradScaler: backoff_factor should be < 1")
        self._enabled = bool(enabled)
        if self._enabled and str(device).split(":")[0] == "cuda":
            # PyTorch's behaviour without a GPU: a scaler made for CUDA turns itself off.
            warnings.warn("GradScaler is enabled, but CUDA is not available (chainrule runs "
                          "on the CPU). Disabling.", UserWarning, stacklevel=2)
            self._enabled = False
        self._scale = float(init_scale)
        self._growth_factor, self._backoff_factor = float(growth_factor), float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._growth_tracker = 0
        self._unscaled = {}  # id(optimizer) -> found an inf or NaN when unscaling

    def is_enabled(self):
        return self._enabled

    def get_scale(self):
        return self._scale if self._enabled else 1.0

    def scale(self, outputs):
        """outputs times the scale (a tensor, or each tensor of a list, tuple or dict)."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        if isinstance(outputs, dict):
            return {k: self.scale(v) for k, v in outputs.items()}
        return outputs * self._scale

    def _params(self, optimizer):
        for group in optimizer.param_groups:
            yield from group["params"]

    def unscale_(self, optimizer):
        """Divide the optimizer's gradients by the scale, once per step, noting infs."""
        if not self._enabled:
            return
        if id(optimizer) in self._unscaled:
            raise RuntimeError("unscale_() has already been called on this optimizer since "
                               "the last update()")
        inv = 1.0 / self._scale
        found = False
        for p in self._params(optimizer):
            if p.grad is None:
                continue
            g = p.grad._data
            g *= np.asarray(inv, g.dtype)
            found = found or not bool(np.isfinite(g).all())
        self._unscaled[id(optimizer)] = found

    def step(self, optimizer, *args, **kwargs):
        """optimizer.step() on the unscaled gradients, skipped if one was inf or NaN;
        returns what step returns (None when skipped)."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if id(optimizer) not in self._unscaled:
            self.unscale_(optimizer)
        if self._unscaled[id(optimizer)]:
            return None
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None):
        """Back the scale off after a step that found an inf or NaN, grow it after
        growth_interval clean steps (or set it to new_scale)."""
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = float(getattr(new_scale, "item", lambda: new_scale)())
        elif any(self._unscaled.values()):
            self._scale *= self._backoff_factor
            self._growth_tracker = 0
        else:
            self._growth_tracker += 1
            if self._growth_tracker == self._growth_interval:
                self._scale *= self._growth_factor
                self._growth_tracker = 0
        self._unscaled = {}

    def state_dict(self):
        if not self._enabled:
            return {}
        return {"scale": self._scale, "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor,
                "growth_interval": self._growth_interval, "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict):
        if not self._enabled:
            return
        self._scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])
