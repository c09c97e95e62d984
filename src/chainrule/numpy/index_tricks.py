"""NumPy's r_ and c_ concatenation helpers, differentiable when they are given tensors.

``cnp.r_[x, 0.0, y]`` joins its items along an axis as ``np.r_`` does (slices become
ranges, scalars 1-element arrays, a leading string 'axis,ndmin,trans1d' sets where and
how); with no tensor among the items it is NumPy's own, returning an ndarray.
"""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from ..graph import array_like, holds_tensor, is_tensor


class _Concatenator:
    """Shared by r_ (axis 0) and c_ (axis -1, items at least 2-D, 1-D ones as columns)."""

    def __init__(self, numpy_own, axis, ndmin, trans1d):
        self._numpy_own = numpy_own
        self._defaults = (axis, ndmin, trans1d)

    def __getitem__(self, key):
        items = key if isinstance(key, tuple) else (key,)
        if not any(is_tensor(k) or holds_tensor(k) for k in items):
            return self._numpy_own[key]
        axis, ndmin, trans1d = self._defaults
        if items and isinstance(items[0], str):
            axis, ndmin, trans1d = _directive(items[0], ndmin, trans1d)
            items = items[1:]
        parts = [_item(k, ndmin, trans1d) for k in items]
        return P.concatenate(parts, axis=axis)

    def __len__(self):
        return 0


def _directive(text, ndmin, trans1d):
    if text in ("r", "c"):
        raise NotImplementedError(
            "r_/c_: the matrix directives 'r' and 'c' are not supported on chainrule tensors"
        )
    fields = [int(f) for f in text.split(",")]
    axis = fields[0]
    if len(fields) > 1:
        ndmin = fields[1]
    if len(fields) > 2:
        trans1d = fields[2]
    return axis, ndmin, trans1d


def _item(k, ndmin, trans1d):
    if isinstance(k, slice):
        return np.r_[k]  # a range of constants
    if isinstance(k, str):
        raise ValueError("r_/c_: a directive string may only come first")
    x = array_like(k)
    if not is_tensor(x):
        x = np.asarray(x)
    nd = np.ndim(x)
    if nd >= ndmin:
        return x
    x = P.reshape(x, (1,) * (ndmin - nd) + np.shape(x))
    if trans1d != -1:
        # NumPy's rule: the item's own axes move to position trans1d.
        k2 = ndmin - nd
        k1 = trans1d + k2 + 1 if trans1d < 0 else trans1d
        axes = list(range(ndmin))
        x = P.transpose(x, tuple(axes[:k1] + axes[k2:] + axes[k1:k2]))
    return x


r_ = _Concatenator(np.r_, 0, 1, -1)
c_ = _Concatenator(np.c_, -1, 2, 0)
