"""Index templates: an index whose arrays are arguments of the operation, not constants.

``x[i]`` with ``i`` computed from traced values (``x[argmax(x)]`` under ``cr.vmap``, a
training step's labels under ``cr.compile``) must read ``i`` afresh for every example or
call; baked into the operation's keywords it would be the first one's. getitem_at and
scatter_add_at (chainrule.primitives.shape) take the index arrays as positional
arguments and the rest of the index as a template, with :data:`SLOT` where each array
goes.
"""

from __future__ import annotations

import numpy as np

from .graph import TensorBase


class _Slot:
    """The marker of an array's place in an index template (a singleton)."""

    __slots__ = ()

    def __repr__(self):
        return "SLOT"

    def __reduce__(self):
        return "SLOT"  # pickles as this module's attribute: the one SLOT


SLOT = _Slot()


def is_index_array(e):
    """An item of an index that NumPy reads as an array (advanced indexing)."""
    return isinstance(e, (np.ndarray, TensorBase, list))


def fill(template, arrays):
    """The index with the template's SLOTs replaced by `arrays`, in order."""
    it = iter(arrays)
    return tuple(next(it) if e is SLOT else e for e in template)


def split(items):
    """(template with a SLOT for each array item, the arrays)."""
    template, arrays = [], []
    for e in items:
        if is_index_array(e):
            template.append(SLOT)
            arrays.append(e)
        else:
            template.append(e)
    return tuple(template), arrays
