"""The views of a tensor: which outputs share their input's buffer, and the live views
of each tensor, so that a differentiated write into a tensor can make its views again
from the written value (chainrule.tensor.Tensor.__setitem__)."""

from __future__ import annotations

import weakref

import numpy as np


def link_view(base, view):
    """Note `view` among the live views of `base`, weakly: a differentiated write into
    base makes each of them again from the written tensor (Tensor.__setitem__)."""
    views = base._views
    if views is None:
        views = base._views = _Views()
    views.add(view)


class _Views:
    """The live views of a tensor, by weak reference keyed by id (tensors compare
    elementwise, so a WeakSet cannot hold them). References to dead views are dropped
    when the table doubles. A copied or unpickled tensor starts with none; a view
    written into links itself again (Tensor.__setitem__)."""

    __slots__ = ("_refs", "_limit")

    def __init__(self):
        self._refs = {}
        self._limit = 64

    def add(self, view, ref=weakref.ref):
        refs = self._refs
        refs[id(view)] = ref(view)  # (an id reused after a view died replaces its entry)
        if len(refs) > self._limit:
            self._refs = refs = {k: r for k, r in refs.items() if r() is not None}
            self._limit = max(64, 2 * len(refs))

    def __iter__(self):
        return iter([v for v in (r() for r in list(self._refs.values())) if v is not None])

    def __reduce__(self):
        return (_Views, ())

    def __deepcopy__(self, memo):
        return _Views()


def same_buffer(out, x):
    """True if `out` views x's memory; a reshape that had to copy (y.T.reshape(-1)) has a
    base of its own. NumPy points a plain view at the owning array; views made by
    as_strided (sliding windows) have another base, so their bounds are compared."""
    base = getattr(x, "base", None)
    return out.base is (x if base is None else base) or np.may_share_memory(out, x)
