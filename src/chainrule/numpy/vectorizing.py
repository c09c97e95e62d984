"""NumPy's vectorize over tensors, differentiable.

NumPy's own vectorize calls the Python function once per element on NumPy scalars, so
under a transform it converts the tensors to arrays and the gradient is lost. Given
tensors, chainrule's runs the function once on all the elements through cr.vmap (a
batching trace), and where the function branches on a value (``if t > 0:``), which a
batching trace cannot follow, element by element on 0-d tensors, as NumPy does.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .. import primitives as P
from ..graph import is_tensor
from ..vectorize import vmap


class vectorize:
    """``numpy.vectorize(pyfunc, otypes=None, doc=None, excluded=None, cache=False,
    signature=None)``: NumPy's own when no argument is a tensor; with tensors, the
    results are tensors carrying the gradient (``signature`` is not supported there)."""

    def __init__(self, pyfunc: Any = None, otypes: Any = None, doc: str | None = None,
                 excluded: Any = None, cache: bool = False, signature: str | None = None):
        self._options = dict(otypes=otypes, doc=doc, excluded=excluded, cache=cache,
                             signature=signature)
        self.pyfunc = pyfunc
        self.excluded = set(excluded or ())
        self.signature = signature
        if pyfunc is not None:
            self._numpy = np.vectorize(pyfunc, **self._options)
            functools.update_wrapper(self, pyfunc, updated=())
            if doc is not None:
                self.__doc__ = doc

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.pyfunc is None:  # @cnp.vectorize(otypes=...) used as a decorator
            return vectorize(args[0], **self._options)
        mapped = [i for i in range(len(args)) if i not in self.excluded]
        names = [k for k in kwargs if k not in self.excluded]
        if not any(is_tensor(args[i]) for i in mapped) and not any(
                is_tensor(kwargs[k]) for k in names):
            return self._numpy(*args, **kwargs)
        if self.signature is not None:
            raise NotImplementedError(
                "cnp.vectorize: signature= with tensor arguments is not supported; map the "
                "core dimensions with cr.vmap(pyfunc, in_axes=...) instead")
        values = [args[i] for i in mapped] + [kwargs[k] for k in names]
        shape = np.broadcast_shapes(*(np.shape(v) for v in values))
        size = int(np.prod(shape))
        if size == 0:
            raise ValueError("cnp.vectorize: the arguments have no elements, so there is "
                             "nothing to call the function on")
        flat = [P.reshape(P.broadcast_to(v, shape), (size,)) if is_tensor(v)
                else np.broadcast_to(v, shape).reshape(size) for v in values]

        def call(*elements):
            a = list(args)
            for i, e in zip(mapped, elements):
                a[i] = e
            kw = dict(kwargs, **dict(zip(names, elements[len(mapped):])))
            return self.pyfunc(*a, **kw)

        try:
            out = vmap(call)(*flat)
        except TypeError:
            # A branch on the value (refused by the batching trace): one call per
            # element, as NumPy's vectorize makes.
            results = [call(*(f[j] for f in flat)) for j in range(size)]
            if isinstance(results[0], tuple):
                out = tuple(P.stack(list(r)) for r in zip(*results))
            else:
                out = P.stack(results)
        if isinstance(out, tuple):
            return tuple(P.reshape(o, shape) for o in out)
        return P.reshape(out, shape)
