"""How a chainrule.torch tensor prints: PyTorch's layout, so a tutorial's output reads the
same under chainrule.

One width for every element, chosen from the whole tensor (or, above ``threshold``
elements, from the parts shown): integers and bools as they are; floats whose nonzero
finite values are all whole numbers as ``3.``; otherwise ``precision`` decimals, or
scientific notation when those values span more than a factor of 1000, exceed 1e8 or go
below 1e-4 (``sci_mode`` forces either). Rows wrap at ``linewidth``; above ``threshold``
elements only ``edgeitems`` at each end of every axis are shown, around ``...``.
``set_printoptions`` changes these options, not NumPy's.
"""

from __future__ import annotations

import math

import numpy as np

_DEFAULTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80,
             "sci_mode": None}
_PROFILES = {"default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
             "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
             "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80)}
options = dict(_DEFAULTS)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """``torch.set_printoptions``: a profile ('default', 'short', 'full') first, then the
    options given; ``sci_mode=None`` lets each tensor choose."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: profile must be 'default', 'short' or "
                             f"'full', got {profile!r}")
        options.update(_PROFILES[profile])
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            options[name] = value
    options["sci_mode"] = sci_mode


class _Formatter:
    """The element format of one tensor (PyTorch's rules, above)."""

    def __init__(self, shown: np.ndarray):
        self.floating = shown.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        p = options["precision"]
        if not self.floating:
            self.width = max((len(str(v)) for v in shown.ravel().tolist()), default=1)
            return
        values = shown.astype(np.float64).ravel()
        values = values[np.isfinite(values) & (values != 0)]
        if values.size == 0:
            return
        magnitudes = np.abs(values)
        lo, hi = magnitudes.min(), magnitudes.max()
        self.int_mode = bool(np.all(values == np.ceil(values)))
        forced = options["sci_mode"]
        self.sci_mode = (hi / lo > 1000 or hi > 1e8 or lo < 1e-4) if forced is None else forced
        if self.sci_mode:
            texts = [f"{v:.{p}e}" for v in values]
        elif self.int_mode:
            texts = [f"{v:.0f}." for v in values]
        else:
            texts = [f"{v:.{p}f}" for v in values]
        self.width = max(len(t) for t in texts)

    def __call__(self, value) -> str:
        p = options["precision"]
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:.{p}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{p}f}"
        return text.rjust(self.width)


def _summarized(a: np.ndarray) -> np.ndarray:
    """The elements that will be shown: ``edgeitems`` at each end of every long axis."""
    k = options["edgeitems"]
    if a.ndim == 0:
        return a
    if a.shape[0] > 2 * k:
        a = np.concatenate([a[:k], a[-k:]])
    if a.ndim == 1:
        return a
    return np.stack([_summarized(row) for row in a])


def _vector(a, indent, summarize, fmt) -> str:
    per_line = max(1, int((options["linewidth"] - indent) // (fmt.width + 2)))
    k = options["edgeitems"]
    values = a.tolist()
    if summarize and len(values) > 2 * k:
        items = [fmt(v) for v in values[:k]] + [" ..."] + [fmt(v) for v in values[-k:]]
    else:
        items = [fmt(v) for v in values]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(a, indent, summarize, fmt) -> str:
    if a.ndim == 0:
        return fmt(a.item())
    if a.ndim == 1:
        return _vector(a, indent, summarize, fmt)
    k = options["edgeitems"]
    if summarize and a.shape[0] > 2 * k:
        rows = ([_nested(a[i], indent + 1, summarize, fmt) for i in range(k)] + ["..."]
                + [_nested(a[i], indent + 1, summarize, fmt)
                   for i in range(a.shape[0] - k, a.shape[0])])
    else:
        rows = [_nested(row, indent + 1, summarize, fmt) for row in a]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def tensor_repr(values: np.ndarray, suffixes: list[str], prefix: str = "tensor(") -> str:
    """``prefix`` + the values + the suffixes (``dtype=...``, ``grad_fn=<...>``), each
    on a new line when it would pass ``linewidth``, + ``)``."""
    indent = len(prefix)
    if values.size == 0:
        body = "[]"
        if values.ndim != 1:
            suffixes = [f"size={tuple(values.shape)}"] + suffixes
    else:
        if values.dtype == np.float16:
            values = values.astype(np.float32)
        summarize = values.size > options["threshold"]
        fmt = _Formatter(_summarized(values) if summarize else values)
        body = _nested(values, indent, summarize, fmt)
    parts = [prefix, body]
    # (PyTorch's reckoning of the last line's length: the prefix counts when the values
    # fit on one line, and the figure runs two over the line's true length)
    text = prefix + body
    last = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last + len(suffix) + 2 > options["linewidth"]:
            parts.append(",\n" + " " * indent + suffix)
            last = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last += len(suffix) + 2
    return "".join(parts) + ")"
