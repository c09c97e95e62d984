"""The front-end Tensor's in-place methods (for tensors outside the graph) and its
``new_*`` constructors, kept apart from its operations (chainrule.torch.tensor)."""

from __future__ import annotations

import numpy as np

from .. import graph
from .. import primitives as P
from ..graph import TensorBase
from . import types as T
from .generators import draw


def wrapped_int(number, dtype):
    """A Python int as PyTorch reads it beside a narrow integer tensor: wrapped into the
    dtype (uint8 + -3 is uint8 + 253, u < -1 compares with 255), where NumPy 2 raises
    OverflowError. int64 and wider are left to overflow as in PyTorch."""
    if dtype.kind in "iu" and dtype.itemsize < 8:
        info = np.iinfo(dtype)
        if not info.min <= number <= info.max:
            return (number - int(info.min)) % (1 << 8 * dtype.itemsize) + info.min
    return number


def scaled(self, other, alpha):
    """``other * alpha`` for add/sub's alpha; a bool tensor added to a bool tensor stays
    bool (alpha read as a bool), as in PyTorch."""
    if alpha == 1:
        return other
    if self._data.dtype == np.bool_:
        if type(other) is bool:
            return other and bool(alpha)
        if getattr(getattr(other, "_data", None), "dtype", None) == np.bool_:
            return other * bool(alpha)
    # other in the dtype of the result first (an int tensor beside a 0-d float64 tensor
    # is scaled in float64, not in the default float32).
    from .tensor import result_dtype_of  # (tensor.py imports this module)
    dtype = result_dtype_of((self, other))
    if isinstance(other, TensorBase) and dtype is not None and other._data.dtype != dtype:
        other = P.astype(other, dtype=dtype)
    return other * alpha


def scalar_first(other, rest, alpha, name):
    """(other, alpha) from PyTorch's deprecated ``x.add_(alpha, other)`` form too (old
    tutorials' ``p.data.add_(-lr, p.grad.data)``)."""
    if not rest:
        return other, alpha
    if len(rest) != 1 or isinstance(other, TensorBase):
        raise TypeError(f"{name}: expected (other, *, alpha=1) or the deprecated "
                        f"(alpha, other)")
    return rest[0], other


def _check_castable(result, target):
    """PyTorch refuses an in-place result of a higher category than the tensor's
    (x.exp_() of an integer tensor); NumPy's assignment would truncate silently."""
    if isinstance(result, TensorBase):
        have, want = result._data.dtype, target._data.dtype
        # (Whole numbers computed in floating point, hardtanh_ of an integer tensor, are
        # the integers PyTorch computes there: only other values are refused.)
        values = result._data
        if T.CATEGORY[have.kind] > T.CATEGORY[want.kind] and not (
                have.kind == "f" and np.all(np.isfinite(values))
                and np.all(values == np.round(values))):
            raise RuntimeError(
                f"result type {T.SCALAR_NAMES.get(have, have.name)} can't be cast to the "
                f"desired output type {T.SCALAR_NAMES.get(want, want.name)}")


def same_dtype(name, self, source, what="source"):
    """PyTorch's index_add/index_copy/scatter/masked_scatter/lerp/index_put take a source
    tensor only in self's dtype; NumPy's assignment would cast it silently. Refused here:
    a source that would lose values (float64 into float32, float into int). A lossless
    widening (float32 into float64) is still taken, as chainrule's programs rely on it."""
    if isinstance(source, TensorBase) and not np.can_cast(source._data.dtype,
                                                           self._data.dtype, "safe"):
        have, want = (T.SCALAR_NAMES.get(t._data.dtype, t._data.dtype.name)
                      for t in (source, self))
        raise RuntimeError(f"{name}: expected {what} to have dtype {want} (self's), "
                           f"got {have}")


def refuse_float_operand(self, other):
    """An integer tensor's in-place arithmetic with a float operand (y //= 0.5): PyTorch
    refuses it by dtype, even where the values computed are whole numbers."""
    if self._data.dtype.kind in "iub":
        if isinstance(other, float):
            have = T.SCALAR_NAMES[np.dtype(T.get_default_dtype())]
        elif isinstance(other, TensorBase) and other._data.dtype.kind in "fc":
            have = T.SCALAR_NAMES.get(other._data.dtype, other._data.dtype.name)
        else:
            return
        raise RuntimeError(f"result type {have} can't be cast to the desired output type "
                           f"{T.SCALAR_NAMES.get(self._data.dtype, self._data.dtype.name)}")


def _replaces_whole(result, target):
    """True if `result` is a tensor `target` can become (same shape and dtype)."""
    return (isinstance(result, TensorBase) and result._data.shape == target._data.shape
            and result._data.dtype == target._data.dtype)


def _keep_values(t):
    """Operations recorded so far that read `t` will read a copy of its present values
    (graph.keep_history) after it changes in place."""
    holder = graph.new_tensor(t._data.copy())
    holder.__class__ = type(t)
    graph.keep_history(t, holder)


def _bounds(who, given, low, high):
    """PyTorch's ``from``/``to`` keywords (``**{"from": 0, "to": 3}``) over the
    positional bounds."""
    unknown = set(given) - {"from", "to"}
    if unknown:
        raise TypeError(f"{who}() got an unexpected keyword argument {sorted(unknown)[0]!r}")
    return given.get("from", low), given.get("to", high)


class WritesAndNewTensors:
    """Mixed into chainrule.torch.Tensor (which supplies ``_inplace``, ``copy_`` and
    ``_result_class``, the front-end Tensor)."""

    __slots__ = ()

    def _inplace(self, ufunc, other):
        """PyTorch's in-place arithmetic (``x.add_(y)``, ``x += y``): the result goes into
        x's own buffer also when x is in the graph, so every reference to x and every view
        of it sees it. (chainrule's Tensor computes a new tensor and rebinds the name
        there, which left ``h.add_(1)`` without effect.) Under cr.compile or cr.vmap the
        tracing keeps chainrule's way. A Python int or a 0-d tensor operand is read in
        x's dtype, as PyTorch (uint8 x.add_(-3) wraps)."""
        if type(other) is int:
            other = wrapped_int(other, self._data.dtype)
        elif (isinstance(other, TensorBase) and other._data.ndim == 0
              and other._data.dtype != self._data.dtype
              and T.CATEGORY[other._data.dtype.kind] <= T.CATEGORY[self._data.dtype.kind]):
            other = P.astype(other, dtype=self._data.dtype)
        if graph.trace_hook() is None and (
                (graph.is_grad_enabled()
                 and (self.requires_grad or getattr(other, "requires_grad", False)))
                or graph.is_traced(self) or graph.is_traced(other)):  # (dual tensors too)
            # (x.add_(x): the operand is what x was too)
            return self._replace(lambda t: ufunc(t, t if other is self else other),
                                 f"{ufunc.name}_")
        return super()._inplace(ufunc, other)

    def add_(self, other, *rest, alpha=1):
        other, alpha = scalar_first(other, rest, alpha, "add_")
        return self._inplace(P.add, scaled(self, other, alpha))

    def sub_(self, other, *rest, alpha=1):
        other, alpha = scalar_first(other, rest, alpha, "sub_")
        return self - other if self._data.dtype == np.bool_ or other is True or other is False \
            else self._inplace(P.subtract, scaled(self, other, alpha))

    def mul_(self, other):
        return self._inplace(P.multiply, other)

    def div_(self, other, *, rounding_mode=None):
        refuse_float_operand(self, other)
        if rounding_mode is not None:
            return self._replace(lambda t: t.div(other, rounding_mode=rounding_mode), "div_")
        return self._inplace(P.divide, other)

    def fill_(self, value):
        return self.copy_(value)

    def zero_(self):
        return self.copy_(0)

    def copy_(self, src, non_blocking=False):
        """Copy ``src`` (broadcast, cast to this tensor's dtype) into this tensor. In the
        graph, as in PyTorch, the old values get no gradient and ``src`` gets it."""
        if type(src) is int:
            src = wrapped_int(src, self._data.dtype)  # (fill_(-3) of uint8: 253)
        if (graph.is_grad_enabled() and graph.trace_hook() is None
                and not (self.requires_grad and self.is_leaf)
                and (graph.is_traced(self) or graph.is_traced(src))):
            self[...] = src  # (a recorded write)
            return self
        # (A parameter's own values, as nn.init's functions write them, are not recorded.)
        return super().copy_(src)

    def masked_fill_(self, mask, value):
        """Write ``value`` where ``mask`` is True, in place (recorded like ``x[mask] = v``)."""
        m = np.broadcast_to(np.asarray(mask._data if isinstance(mask, TensorBase) else mask),
                            self._data.shape)
        self[m] = value
        return self

    def _replace(self, compute, name):
        """self <- compute(self), in place (PyTorch's relu_, scatter_, add_, ...): the new
        values go into self's buffer, and when self is differentiated it becomes the
        operation's output. Operations that read self before keep reading what it was
        (graph.keep_history), as in PyTorch."""
        if (self.requires_grad and not graph.is_grad_enabled() and graph.trace_hook() is None
                and not self._tangent):
            # Under no_grad (an optimizer's step: p.addcdiv_(...)) nothing is recorded:
            # the values go into self's buffer and a parameter stays the leaf it was.
            result = compute(self)
            _check_castable(result, self)
            self._data[...] = result._data if isinstance(result, TensorBase) else result
            graph.mark_modified(self)
            return self
        if not (self.requires_grad or graph.is_traced(self)):
            result = compute(self)
            _check_castable(result, self)
            if not graph.is_traced(result) or graph.trace_hook() is not None:
                self[...] = result  # (a recorded write under cr.compile or cr.vmap)
                return self
            # A constant changed by a differentiated value (h = zeros(2); h.add_(y)):
            # the operation read self, whose buffer is about to change. A view writes
            # into its base below, and the operation reads a copy of the view's
            # values; otherwise the operation runs again on a copy of self (as for a
            # tensor in the graph), and self becomes its node.
            if self._view_of is not None:
                _keep_values(self)
                self[...] = result
                return self
        elif self.requires_grad and self.is_leaf and graph.is_grad_enabled():
            raise RuntimeError(f"{name}: in-place update of a leaf tensor that requires "
                               "grad; use the out-of-place form or torch.no_grad()")
        elif self._view_of is not None:
            # A view: the change is a recorded write into the tensor it views, whose
            # other views are made again from it (Tensor.__setitem__).
            result = compute(self)
            _check_castable(result, self)
            self[...] = result
            return self
        # The operation reads the node self was, under another name.
        current = graph.new_tensor(self._data.copy())
        current.__class__ = self._result_class
        graph.take_node(current, self)
        if graph.trace_hook() is not None:  # (cr.compile, cr.vmap: a recorded write)
            self[...] = compute(current)
            return self
        graph.keep_history(self, current)
        graph.mark_modified(self)  # (before the operation's node: it is self's new one)
        result = compute(current)
        _check_castable(result, self)
        if result is not current and _replaces_whole(result, self):
            # The whole tensor is replaced, so no write needs recording: self takes the
            # new values into its own buffer and becomes the operation's node. (A
            # recorded write of every element cost ~14x the operation on a 2 MB
            # activation.)
            self._data[...] = result._data
            graph.take_node(self, result)
            return self
        self[...] = result
        return self

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        return self._replace(lambda t: t.scatter(dim, index, src, value=value, reduce=reduce),
                             "scatter_")

    def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
        return self._replace(lambda t: t.scatter_reduce(dim, index, src, reduce,
                                                        include_self=include_self),
                             "scatter_reduce_")

    def lerp_(self, end, weight):
        same_dtype("lerp_", self, end, "end")
        return self._replace(lambda t: t.lerp(end, weight), "lerp_")

    def scatter_add_(self, dim, index, src):
        return self._replace(lambda t: t.scatter_add(dim, index, src), "scatter_add_")

    def index_add_(self, dim, index, source, *, alpha=1):
        return self._replace(lambda t: t.index_add(dim, index, source, alpha=alpha),
                             "index_add_")

    def masked_scatter_(self, mask, source):
        return self._replace(lambda t: t.masked_scatter(mask, source), "masked_scatter_")

    def index_reduce_(self, dim, index, source, reduce, *, include_self=True):
        return self._replace(lambda t: t.index_reduce(dim, index, source, reduce,
                                                      include_self=include_self),
                             "index_reduce_")

    def index_fill_(self, dim, index, value):
        return self._replace(lambda t: t.index_fill(dim, index, value), "index_fill_")

    def index_copy_(self, dim, index, source):
        return self._replace(lambda t: t.index_copy(dim, index, source), "index_copy_")

    def index_put_(self, indices, values, accumulate=False):
        return self._replace(lambda t: t.index_put(indices, values, accumulate), "index_put_")

    def clamp_(self, min=None, max=None):
        """Limit the values to [min, max] in place (recorded when x is in the graph)."""
        if graph.is_grad_enabled() and any(graph.is_traced(t) for t in (self, min, max)):
            return self._replace(lambda t: t.clamp(min, max), "clamp_")
        lo, hi = (b._data if isinstance(b, TensorBase) else b for b in (min, max))
        np.clip(self._data, lo, hi, out=self._data)
        graph.mark_modified(self)
        return self

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        return self.copy_(draw(generator).normal(mean, std, self._data.shape))

    def uniform_(self, a=0.0, b=1.0, *, generator=None, **bounds):
        """Uniform on [from, to): PyTorch's keywords are ``from`` and ``to`` (passed as
        ``**{"from": ..., "to": ...}``, ``from`` being a Python keyword), or positional."""
        a, b = _bounds("uniform_", bounds, a, b)
        return self.copy_(draw(generator).uniform(a, b, self._data.shape))

    def bernoulli_(self, p=0.5, *, generator=None):
        probs = p._data if isinstance(p, TensorBase) else p
        return self.copy_(draw(generator).random(self._data.shape) < probs)

    def random_(self, from_=0, to=None, *, generator=None, **bounds):
        """Integers drawn uniformly from [from_, to); ``random_(n)`` alone draws from [0, n)
        as in PyTorch; with neither, up to 2^mantissa bits for floats and the dtype's
        maximum + 1 for integers. ``**{"from": ...}`` is PyTorch's keyword form."""
        from_, to = _bounds("random_", bounds, from_, to)
        if to is None and from_ != 0:
            from_, to = 0, from_
        if to is None:
            kind = self._data.dtype
            to = (2 ** (np.finfo(kind).nmant + 1) if kind.kind == "f"
                  else int(np.iinfo(kind).max) + 1 if kind.kind in "iu" else 2)
        return self.copy_(draw(generator).integers(from_, to, self._data.shape))

    def exponential_(self, lambd=1.0, *, generator=None):
        return self.copy_(draw(generator).exponential(1.0 / lambd, self._data.shape))

    def geometric_(self, p, *, generator=None):
        return self.copy_(draw(generator).geometric(p, self._data.shape))

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        return self.copy_(draw(generator).lognormal(mean, std, self._data.shape))

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        return self.copy_(median + sigma * draw(generator).standard_cauchy(self._data.shape))

    def apply_(self, callable):
        """Replace each element x by callable(x), in place (outside a graph)."""
        flat = [callable(v) for v in self._data.reshape(-1).tolist()]
        return self.copy_(np.asarray(flat, dtype=self._data.dtype).reshape(self._data.shape))

    def fill_diagonal_(self, fill_value, wrap=False):
        """Write ``fill_value`` on the main diagonal (all dimensions equal, or a tall
        matrix, repeating every n + 1 rows with ``wrap``)."""
        on_diagonal = np.zeros(self._data.shape, bool)
        np.fill_diagonal(on_diagonal, True, wrap=wrap)
        self[on_diagonal] = fill_value  # (recorded: the other elements keep their gradient)
        return self

    # Shape changes in place rebind the array; a tensor in a graph keeps its node's
    # shape, so there the out-of-place form is the one to use.
    def _reshaped(self, new, name):
        if self.requires_grad or self._prim is not None or graph.is_traced(self):
            raise RuntimeError(f"{name}: changing the shape of a tensor in a graph in place "
                               f"is not supported; use the out-of-place form "
                               f"(x = x.{name[:-1]}(...))")
        self._data = new._data
        graph.mark_modified(self)
        return self

    def squeeze_(self, dim=None):
        return self._reshaped(self.squeeze(dim), "squeeze_")

    def unsqueeze_(self, dim):
        return self._reshaped(self.unsqueeze(dim), "unsqueeze_")

    def t_(self):
        return self._reshaped(self.t(), "t_")

    def transpose_(self, dim0, dim1):
        return self._reshaped(self.transpose(dim0, dim1), "transpose_")

    def detach_(self):
        """Make this tensor a leaf that needs no gradient (outside a graph's use of it)."""
        if self._prim is not None:
            self._prim = None
            self._args = self._vals = None
        self._history = None
        self.requires_grad = False
        return self

    # ------------------------------------------------------------ new tensors
    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        T.check_device(device, "new_tensor")
        # (an array, so that new_tensor(3) is the number 3, not three zeros)
        values = np.array(data._data if isinstance(data, TensorBase) else data)
        return self._result_class(values, dtype=dtype or self._data.dtype,
                                  requires_grad=requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        T.check_device(device, "new_full")
        data = np.full(T.shape_args((size,), "new_full"), fill_value, dtype or self._data.dtype)
        return self._result_class(data, dtype=data.dtype, requires_grad=requires_grad)

    def new_zeros(self, *args, size=None, dtype=None, device=None, requires_grad=False):
        size = T.shape_args(args if size is None else (size,), "new_zeros")
        return self.new_full(size, 0, dtype=dtype, device=device, requires_grad=requires_grad)

    new_empty = new_zeros

    def new_ones(self, *args, size=None, dtype=None, device=None, requires_grad=False):
        size = T.shape_args(args if size is None else (size,), "new_ones")
        return self.new_full(size, 1, dtype=dtype, device=device, requires_grad=requires_grad)


# In-place forms of the elementwise methods (PyTorch's ``x.exp_()``, ``x.clamp_min_(0)``,
# ...): the out-of-place method's result written into x (see WritesAndNewTensors._replace).
_IN_PLACE = """abs absolute acos asin atan ceil clamp_max clamp_min cos cosh exp exp2 expm1
floor frac lerp log log10 log1p log2 logit nan_to_num neg pow reciprocal relu round rsqrt
sigmoid sign sin sinh sqrt square tan tanh trunc addcmul addcdiv hypot atan2 fmod
remainder xlogy copysign acosh asinh atanh arccos arccosh arcsin arcsinh arctan arctan2
arctanh addbmm addmm addmv addr baddbmm bitwise_and bitwise_not bitwise_or bitwise_xor clip
cumprod cumsum deg2rad digamma divide eq erf erfc erfinv fix float_power floor_divide gcd ge
greater greater_equal gt heaviside i0 igamma lcm ldexp le less less_equal lgamma logical_and
logical_not logical_or logical_xor lt multiply mvlgamma ne negative nextafter not_equal
rad2deg renorm sgn sinc subtract tril triu true_divide""".split()


# (these refuse a float operand for an integer tensor, by dtype: refuse_float_operand)
_ARITHMETIC = {"floor_divide", "remainder", "fmod", "divide", "true_divide"}


def _in_place(name):
    def method(self, *args, **kwargs):
        if name in _ARITHMETIC and args:
            refuse_float_operand(self, args[0])
        def compute(t):  # (self among the arguments, x.mul_(x), stands for what x was)
            return getattr(t, name)(*[t if a is self else a for a in args],
                                    **{k: t if v is self else v for k, v in kwargs.items()})

        return self._replace(compute, name + "_")

    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"``x.{name}(...)`` written into x, in place."
    return method


for _name in _IN_PLACE:
    if not hasattr(WritesAndNewTensors, _name + "_"):
        setattr(WritesAndNewTensors, _name + "_", _in_place(_name))
