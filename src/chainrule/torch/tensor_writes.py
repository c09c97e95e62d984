"""The front-end Tensor's in-place methods (for tensors outside the graph) and its
``new_*`` constructors, kept apart from its operations (chainrule.torch.tensor)."""

from __future__ import annotations

import numpy as np

from .. import graph
from .. import primitives as P
from ..graph import TensorBase
from . import types as T
from .generators import draw


class WritesAndNewTensors:
    """Mixed into chainrule.torch.Tensor (which supplies ``_inplace``, ``copy_`` and
    ``_result_class``, the front-end Tensor)."""

    __slots__ = ()

    # ------------------------------------------------------ outside the graph
    def add_(self, other, *, alpha=1):
        return self._inplace(P.add, other if alpha == 1 else other * alpha)

    def sub_(self, other, *, alpha=1):
        return self._inplace(P.subtract, other if alpha == 1 else other * alpha)

    def mul_(self, other):
        return self._inplace(P.multiply, other)

    def div_(self, other):
        return self._inplace(P.divide, other)

    def fill_(self, value):
        return self.copy_(value)

    def masked_fill_(self, mask, value):
        """Write ``value`` where ``mask`` is True, in place (recorded like ``x[mask] = v``)."""
        m = np.broadcast_to(np.asarray(mask.data if isinstance(mask, TensorBase) else mask),
                            self.data.shape)
        self[m] = value
        return self

    def _replace(self, compute, name):
        """self <- compute(self), in place (PyTorch's scatter_, index_add_, ...): the new
        values are written into self's buffer, a recorded write when differentiated."""
        current = self
        if self.requires_grad or graph.is_traced(self):
            if self.is_leaf and graph.is_grad_enabled():
                raise RuntimeError(f"{name}: in-place update of a leaf tensor that requires "
                                   "grad; use the out-of-place form or torch.no_grad()")
            # The operation reads the current node under another name: the write below
            # makes `self` the write's output.
            current = graph.new_tensor(self.data.copy())
            current.__class__ = self._result_class
            graph.take_node(current, self)
        self[...] = compute(current)
        return self

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        return self._replace(lambda t: t.scatter(dim, index, src, value=value, reduce=reduce),
                             "scatter_")

    def scatter_add_(self, dim, index, src):
        return self._replace(lambda t: t.scatter_add(dim, index, src), "scatter_add_")

    def index_add_(self, dim, index, source, *, alpha=1):
        return self._replace(lambda t: t.index_add(dim, index, source, alpha=alpha),
                             "index_add_")

    def index_fill_(self, dim, index, value):
        return self._replace(lambda t: t.index_fill(dim, index, value), "index_fill_")

    def index_copy_(self, dim, index, source):
        return self._replace(lambda t: t.index_copy(dim, index, source), "index_copy_")

    def index_put_(self, indices, values, accumulate=False):
        return self._replace(lambda t: t.index_put(indices, values, accumulate), "index_put_")

    def clamp_(self, min=None, max=None):
        """Limit the values to [min, max] in place; outside the graph only (use clamp())."""
        if graph.is_grad_enabled() and self.requires_grad:
            raise RuntimeError("clamp_() on a tensor that requires grad is not recorded; use "
                               "x = x.clamp(min, max), or clamp_ under torch.no_grad()")
        np.clip(self.data, min, max, out=self.data)
        graph.mark_modified(self)
        return self

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        return self.copy_(draw(generator).normal(mean, std, self.data.shape))

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        return self.copy_(draw(generator).uniform(a, b, self.data.shape))

    # ------------------------------------------------------------ new tensors
    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        T.check_device(device, "new_tensor")
        return self._result_class(data, dtype=dtype or self.data.dtype,
                                  requires_grad=requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        T.check_device(device, "new_full")
        data = np.full(T.shape_args((size,), "new_full"), fill_value, dtype or self.data.dtype)
        return self._result_class(data, dtype=data.dtype, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return self.new_full(T.shape_args(size, "new_zeros"), 0, dtype=dtype, device=device,
                             requires_grad=requires_grad)

    new_empty = new_zeros

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return self.new_full(T.shape_args(size, "new_ones"), 1, dtype=dtype, device=device,
                             requires_grad=requires_grad)


# In-place forms of the elementwise methods (PyTorch's ``x.exp_()``, ``x.clamp_min_(0)``,
# ...): the out-of-place method's result written into x (see WritesAndNewTensors._replace).
_IN_PLACE = """abs absolute acos asin atan ceil clamp_max clamp_min cos cosh exp exp2 expm1
floor frac lerp log log10 log1p log2 logit nan_to_num neg pow reciprocal relu round rsqrt
sigmoid sign sin sinh sqrt square tan tanh trunc addcmul addcdiv hypot atan2 fmod
remainder xlogy copysign""".split()


def _in_place(name):
    def method(self, *args, **kwargs):
        return self._replace(lambda t: getattr(t, name)(*args, **kwargs), name + "_")

    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"``x.{name}(...)`` written into x, in place."
    return method


for _name in _IN_PLACE:
    if not hasattr(WritesAndNewTensors, _name + "_"):
        setattr(WritesAndNewTensors, _name + "_", _in_place(_name))
