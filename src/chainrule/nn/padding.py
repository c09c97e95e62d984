"""PyTorch's F.pad and the tuple arguments of the convolution family (ints or n-tuples).

F.pad's ``pad`` lists (before, after) pairs starting from the LAST axis:
``(left, right, top, bottom, front, back)``. Its modes are NumPy's np.pad modes under
other names: 'reflect' is np.pad's 'reflect' (the edge not repeated), 'replicate' is
'edge', 'circular' is 'wrap'; 'constant' fills with ``value``. A composite of the pad
primitive (constant) and of gathers (the others), so gradients of every order come from
theirs: a copied element's cotangent adds back onto its source.
"""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from .arguments import data, shape
from .module import Module

__all__ = [
    "CircularPad1d",
    "CircularPad2d",
    "CircularPad3d",
    "ConstantPad1d",
    "ConstantPad2d",
    "ConstantPad3d",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReflectionPad3d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "ReplicationPad3d",
    "ZeroPad1d",
    "ZeroPad2d",
    "ZeroPad3d",
    "pad",
]

_NUMPY_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}
MODES = ("constant",) + tuple(_NUMPY_MODE)


def ntuple(value, n, fn, name, minimum=None):
    """``value`` as an n-tuple of ints (an int is repeated n times)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        out = (int(value),) * n
    else:
        try:
            out = tuple(value)
        except TypeError:
            out = ()
        if len(out) != n or not all(isinstance(v, (int, np.integer))
                                    and not isinstance(v, bool) for v in out):
            raise ValueError(f"{fn}: {name} must be an int or a tuple of {n} ints, "
                             f"got {value!r}")
        out = tuple(int(v) for v in out)
    if minimum is not None and any(v < minimum for v in out):
        raise ValueError(f"{fn}: {name} must be at least {minimum}, got {value!r}")
    return out


def pad(input, pad, mode="constant", value=None):
    """PyTorch's F.pad: ``pad`` = (before, after) pairs of the last axes, the last axis first.

    mode: 'constant' (``value``, default 0; negative pads crop), 'reflect' (mirror
    without repeating the edge, pad < size), 'replicate' (repeat the edge), 'circular'
    (wrap around, pad <= size).
    """
    if mode not in MODES:
        raise ValueError(f"pad: mode must be one of {MODES}, got {mode!r}")
    if value is not None and mode != "constant":
        raise ValueError(f"pad: value is only read by mode='constant', not {mode!r}")
    try:
        pairs = [int(p) for p in pad]
    except (TypeError, ValueError):
        raise TypeError(f"pad: pad must be a tuple of ints, got {pad!r}") from None
    s = shape(input)
    if len(pairs) % 2 or len(pairs) // 2 > len(s):
        raise ValueError(f"pad: pad must have an even length of at most 2 x the input's "
                         f"{len(s)} dims, got {tuple(pad)}")
    k = len(pairs) // 2
    widths = [(0, 0)] * (len(s) - k) + [(pairs[2 * i], pairs[2 * i + 1])
                                         for i in reversed(range(k))]
    if mode != "constant":
        _check_modal(mode, s, widths)
    x = input
    # Negative widths crop first; then the non-negative rest is padded.
    if any(b < 0 or a < 0 for b, a in widths):
        x = P.getitem(x, tuple(slice(-min(b, 0), n + min(a, 0)) for (b, a), n in zip(widths, s)))
        widths = [(max(b, 0), max(a, 0)) for b, a in widths]
        if any(n <= 0 for n in shape(x)):
            raise ValueError(f"pad: negative padding {tuple(pad)} leaves nothing of an "
                             f"input of shape {s}")
    if not any(b or a for b, a in widths):
        return P.copy(x)  # a new tensor, as PyTorch's pad gives, whatever the widths
    if mode == "constant":
        fill = 0 if value is None else value
        # A Python float fill keeps a float32 input float32 (np.pad casts it).
        return P.pad(x, tuple(widths), mode="constant",
                     constant_values=np.asarray(fill, data(x).dtype)[()]
                     if data(x).dtype.kind == "f" else fill)
    return P.pad(x, tuple(widths), mode=_NUMPY_MODE[mode])


def _check_modal(mode, s, widths):
    moved = [(d, w, n) for d, (w, n) in enumerate(zip(widths, s)) if w != (0, 0)]
    for d, (b, a), n in moved:
        if mode == "reflect" and max(b, a) >= n:
            raise ValueError(f"pad: reflect padding ({b}, {a}) of dim {d} must be less than "
                             f"its size {n}")
        if mode == "circular" and max(b, a) > n:
            raise ValueError(f"pad: circular padding ({b}, {a}) of dim {d} must be at most "
                             f"its size {n} (it wraps around once)")
        if n == 0:
            raise ValueError(f"pad: mode {mode!r} cannot pad dim {d} of size 0")


# ------------------------------------------------------------------------ modules
class _Pad(Module):
    """F.pad of the last ``_n`` axes in one mode; padding an int (every side) or a tuple
    of 2 ``_n`` ints (before, after) starting from the last axis."""

    _n, _mode = 2, "constant"

    def __init__(self, padding: int | tuple[int, ...], value: float = None) -> None:
        super().__init__()
        self.padding = ntuple(padding, 2 * self._n, type(self).__name__, "padding")
        self.value = None if value is None else float(value)

    def forward(self, input):
        return pad(input, self.padding, self._mode, self.value)

    def extra_repr(self):
        return f"{self.padding}" + ("" if self.value is None else f", value={self.value}")


class ZeroPad1d(_Pad):
    """Pads the last axis with zeros."""

    _n, _mode = 1, "constant"


class ZeroPad2d(_Pad):
    """Pads the last 2 axes with zeros."""

    _n, _mode = 2, "constant"


class ZeroPad3d(_Pad):
    """Pads the last 3 axes with zeros."""

    _n, _mode = 3, "constant"


class ReflectionPad1d(_Pad):
    """Pads the last axis with the mirror image (np.pad 'reflect')."""

    _n, _mode = 1, "reflect"


class ReflectionPad2d(_Pad):
    """Pads the last 2 axes with the mirror image (np.pad 'reflect')."""

    _n, _mode = 2, "reflect"


class ReflectionPad3d(_Pad):
    """Pads the last 3 axes with the mirror image (np.pad 'reflect')."""

    _n, _mode = 3, "reflect"


class ReplicationPad1d(_Pad):
    """Pads the last axis with copies of the edge (np.pad 'edge')."""

    _n, _mode = 1, "replicate"


class ReplicationPad2d(_Pad):
    """Pads the last 2 axes with copies of the edge (np.pad 'edge')."""

    _n, _mode = 2, "replicate"


class ReplicationPad3d(_Pad):
    """Pads the last 3 axes with copies of the edge (np.pad 'edge')."""

    _n, _mode = 3, "replicate"


class CircularPad1d(_Pad):
    """Pads the last axis with the other end (np.pad 'wrap')."""

    _n, _mode = 1, "circular"


class CircularPad2d(_Pad):
    """Pads the last 2 axes with the other end (np.pad 'wrap')."""

    _n, _mode = 2, "circular"


class CircularPad3d(_Pad):
    """Pads the last 3 axes with the other end (np.pad 'wrap')."""

    _n, _mode = 3, "circular"


class ConstantPad1d(_Pad):
    """Pads the last axis with ``value``."""

    _n = 1

    def __init__(self, padding: int | tuple[int, ...], value: float) -> None:
        super().__init__(padding, value)


class ConstantPad2d(_Pad):
    """Pads the last 2 axes with ``value``."""

    _n = 2

    def __init__(self, padding: int | tuple[int, ...], value: float) -> None:
        super().__init__(padding, value)


class ConstantPad3d(_Pad):
    """Pads the last 3 axes with ``value``."""

    _n = 3

    def __init__(self, padding: int | tuple[int, ...], value: float) -> None:
        super().__init__(padding, value)
