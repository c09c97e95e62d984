"""NumPy's ufunc methods (outer, reduce, accumulate, reduceat, at) on chainrule.numpy's ufuncs.

``cnp.add``, ``cnp.maximum``, ... are functions (dispatch.ufunc), not ``np.ufunc``
objects; :func:`attach` gives each one NumPy's methods and attributes, so that code
written for NumPy (``np.subtract.outer(x, y)``, ``np.maximum.accumulate(x)``,
``np.add.at(a, i, b)``) runs unchanged on ``cnp``. NumPy's own methods called on tensors
(``np.add.reduce(t)``, through Tensor.__array_ufunc__) run the same code.

With no chainrule tensor among the arguments each method is NumPy's own, called with the
arguments as given. On tensors it is a composition of chainrule's differentiable
operations:

- outer: the ufunc on ``a`` reshaped to ``a.shape + (1,) * b.ndim`` and ``b``;
- reduce / accumulate: the dedicated reduction where there is one (sum, prod, max,
  logsumexp, cumsum, cummax, ...), else a fold along the axis with the ufunc itself,
  as NumPy defines them (a Python loop, correct for every binary ufunc);
- reduceat: reduce over the slices between consecutive indices, concatenated;
- at: the new values written into ``a`` by item assignment (``a[...] = new``), which
  records, so the gradient reaches ``b`` and ``a``'s earlier values. add and subtract
  add into repeated positions at once (index_put with accumulate); the other ufuncs
  apply the entries in rounds of distinct positions, the k-th round taking each
  position's k-th entry: NumPy's unbuffered, one-entry-after-another order.

Before computing on tensors, each method (except outer) runs NumPy's own on zeros of
the same shapes and dtypes (a broadcast view where possible, no memory): NumPy's
checks raise NumPy's errors (axis out of range, an empty reduction without identity,
a where mask without initial, a reduceat index out of range, ...), and its result
gives the dtype and shape that the differentiable result is given.
"""

from __future__ import annotations

import math

import numpy as np

from .. import graph
from .. import primitives as P
from ..graph import is_tensor
from ..tracing import concrete
from . import dispatch, facts

_NO_VALUE = object()  # `initial` not given (None is a value NumPy accepts for object arrays)


# ------------------------------------------------------------------ helpers
def _operand(x):
    """A tensor or an ndarray: lists holding tensors are stacked on the graph."""
    if type(x) is list or type(x) is tuple:
        return graph.array_like(x)
    return x if is_tensor(x) else np.asarray(x)


def _zeros_like(x):
    """Zeros with x's shape and dtype, as a read-only broadcast view (no memory)."""
    v = x._data if is_tensor(x) else np.asarray(x)
    return np.broadcast_to(np.zeros((), v.dtype), v.shape)


def _values(x, what):
    """Plain values of a non-differentiable argument (indices, where masks)."""
    if is_tensor(x):
        return concrete(x, what)
    if type(x) is list or type(x) is tuple:
        return type(x)(_values(v, what) for v in x)
    return x


def _numpys(npfunc, method, *args, **kwargs):
    """NumPy's method on stand-in values: its errors, and a result to take dtype and shape
    from (zeros may divide by zero: nothing to warn about)."""
    with np.errstate(all="ignore"):
        return np.asarray(getattr(npfunc, method)(*args, **kwargs))


def _like(r, expected):
    """r given the dtype and shape of NumPy's result (a sum of bools is an int; keepdims)."""
    if r.dtype != expected.dtype:
        r = P.astype(r, expected.dtype)
    if np.shape(r) != expected.shape:
        r = P.reshape(r, expected.shape) if np.size(r) == expected.size else \
            P.broadcast_to(r, expected.shape)
    return r


def _to_front(x, axes):
    """x with `axes` moved to the front and merged into one: shape (n, *rest)."""
    rest = [i for i in range(np.ndim(x)) if i not in axes]
    shape = np.shape(x)
    n = math.prod(shape[i] for i in axes)
    if isinstance(x, np.ndarray):
        return np.transpose(x, (*axes, *rest)).reshape((n, *[shape[i] for i in rest]))
    x = P.transpose(x, (*axes, *rest)) if list(axes) + rest != list(range(len(shape))) else x
    return P.reshape(x, (n, *[shape[i] for i in rest]))


def _no_written_tensor(name, a, items):
    """NumPy's at writes into the ndarray `a`: a traced value cannot go there."""
    if not is_tensor(a) and dispatch.any_traced(items):
        raise TypeError(
            f"{name}.at: cannot write a value computed from traced chainrule tensors into a "
            f"NumPy array; make `a` a tensor (a = cr.tensor(a)) and write into it"
        )


# The reductions chainrule has for some ufuncs (faster than a fold, and with their own
# gradient rules: a product's with zeros, ties of a maximum sharing). `fill` replaces the
# elements a where mask leaves out: the identity, or "initial" for maximum/minimum, which
# NumPy lets take a mask only with an initial, and for which the initial is idempotent.
_REDUCE = {
    np.add: (P.sum, 0),
    np.multiply: (P.prod, 1),
    np.maximum: (P.max, "initial"),
    np.minimum: (P.min, "initial"),
    np.logaddexp: (P.logsumexp, None),  # (with a mask it folds rather than fill in -inf)
    np.logical_and: (facts.all, True),
    np.logical_or: (facts.any, False),
}
_ACCUMULATE = {
    np.add: P.cumsum,
    np.multiply: P.cumprod,
    np.maximum: lambda x, axis: P.cummax(x, axis).values,
    np.minimum: lambda x, axis: P.cummin(x, axis).values,
    np.logaddexp: lambda x, axis: P.logcumsumexp(x, axis),
}


# ------------------------------------------------------------------ on tensors
def _reduce(npfunc, impl, a, axis, dtype, keepdims, initial, where):
    kwargs = {} if initial is _NO_VALUE else {"initial": dispatch.plain_values(initial)}
    mask = None if where is True else np.asarray(_values(where, "reduce(where=)"))
    expected = _numpys(npfunc, "reduce", _zeros_like(a), axis=axis, dtype=dtype,
                       keepdims=keepdims, where=True if mask is None else mask, **kwargs)
    # NumPy computes in the result's dtype (a sum of int8 or bool in int64).
    x = a if a.dtype == expected.dtype else P.astype(a, expected.dtype)
    nd = np.ndim(x)
    # (NumPy reduces a 0-d array over any axis it is given: to itself.)
    axes = tuple(range(nd)) if axis is None or nd == 0 else P.normalize_axes(axis, nd, "reduce")
    if mask is not None:
        mask = np.broadcast_to(mask, np.shape(x))
    start = initial if initial is not _NO_VALUE else npfunc.identity
    n = math.prod(np.shape(x)[i] for i in axes)
    if n == 0:
        # Nothing to reduce: the start value, kept on the graph through an empty sum.
        return _like(P.add(P.sum(x, axis=axes, keepdims=True), start), expected)
    dedicated = _REDUCE.get(npfunc)
    if dedicated is not None and (mask is None or dedicated[1] is not None):
        reduction, fill = dedicated
        if mask is not None:
            x = P.where(mask, x, initial if fill == "initial" else fill)
        r = reduction(x, axis=axes, keepdims=True)
        if initial is not _NO_VALUE:
            r = impl(initial, r)
        return _like(r, expected)
    # Fold: NumPy's definition, start op x[0] op x[1] ..., along the merged axes. NumPy
    # starts from the identity when there is one (hypot.reduce([-3.]) is 3.0).
    xs = _to_front(x, axes)
    ms = None if mask is None else _to_front(mask, axes)
    r, first = (start, 0) if start is not None else (xs[0], 1)
    for i in range(first, n):
        y = impl(r, xs[i])
        r = y if ms is None else P.where(ms[i], y, r)
    return _like(r, expected)


def _accumulate(npfunc, impl, a, axis, dtype):
    expected = _numpys(npfunc, "accumulate", _zeros_like(a), axis=axis, dtype=dtype)
    x = a if a.dtype == expected.dtype else P.astype(a, expected.dtype)
    # NumPy takes axis=None (for 1-D input) and a tuple of one axis.
    ax = P.normalize_axes(0 if axis is None else axis, np.ndim(x), "accumulate")[0]
    if np.size(x) == 0:
        return _like(P.reshape(x, expected.shape), expected)
    running = _ACCUMULATE.get(npfunc)
    if running is not None:
        return _like(running(x, axis=ax), expected)
    # Fold, keeping every partial result: r_0 = x_0, r_i = r_(i-1) op x_i.
    xs = _to_front(x, (ax,))
    parts = [xs[0]]
    for i in range(1, np.shape(xs)[0]):
        parts.append(impl(parts[-1], xs[i]))
    r = P.stack(parts, axis=0)
    order = list(range(1, np.ndim(r)))
    order.insert(ax, 0)
    return _like(P.transpose(r, tuple(order)), expected)


def _reduceat(npfunc, impl, a, indices, axis, dtype):
    indices = _values(indices, "reduceat(indices)")
    expected = _numpys(npfunc, "reduceat", _zeros_like(a), indices, axis=axis, dtype=dtype)
    x = a if a.dtype == expected.dtype else P.astype(a, expected.dtype)
    ax = P.normalize_axes(axis, np.ndim(x), "reduceat")[0]
    starts = np.asarray(indices, dtype=np.intp).reshape(-1)
    n = np.shape(x)[ax]
    if starts.size == 0:
        return _like(P.take(x, starts, axis=ax), expected)
    ends = np.append(starts[1:], n)
    before = (slice(None),) * ax
    parts = []
    for i, j in zip(starts.tolist(), ends.tolist()):
        if i < j:  # a[i:j] reduced (as a 1-long slice kept along the axis)
            piece = P.getitem(x, (*before, slice(i, j)))
            parts.append(_reduce(npfunc, impl, piece, ax, None, True, _NO_VALUE, True))
        else:  # NumPy's rule: an index not below the next gives a[i] itself
            parts.append(P.getitem(x, (*before, slice(i, i + 1))))
    return _like(P.concatenate(parts, axis=ax), expected)


def occurrence(positions):
    """For each entry, how many earlier entries name the same position (0, 1, ...)."""
    order = np.argsort(positions, kind="stable")
    ranked = positions[order]
    count = np.arange(ranked.size)
    new = np.ones(ranked.size, bool)
    new[1:] = ranked[1:] != ranked[:-1]
    first = np.maximum.accumulate(np.where(new, count, 0))
    rank = np.empty(ranked.size, np.intp)
    rank[order] = count - first
    return rank


def _at(npfunc, impl, a, indices, b):
    indices = _values(indices, f"{npfunc.__name__}.at(indices)")
    # NumPy computes each step in the dtype of a op b and casts the result into a: a
    # Python number is weak (NEP 50), so it stays in a's dtype.
    step_dtype = a.dtype
    if b is not None:
        number = not is_tensor(b) and np.ndim(b) == 0
        step_dtype = np.result_type(a.dtype, b if number else _operand(b).dtype)
        b = np.asarray(b, step_dtype) if number else _operand(b)
    # NumPy's own at on zeros: its index, operand-count and casting errors.
    probe = np.zeros(np.shape(a), a.dtype)
    args = () if b is None else (_zeros_like(b),)
    with np.errstate(all="ignore"):
        npfunc.at(probe, indices, *args)
    positions = np.arange(np.size(a)).reshape(np.shape(a))[indices]
    flat = P.reshape(a, (-1,))
    pos = positions.reshape(-1)
    vals = None if b is None else P.reshape(P.broadcast_to(b, positions.shape), (-1,))
    if (npfunc is np.add or npfunc is np.subtract) and step_dtype == a.dtype:
        # Repeated positions add up: one accumulating scatter. (Not when each step is
        # rounded into a's dtype, as float steps into an int array: one at a time then.)
        assert vals is not None  # (NumPy's check above: binary ufuncs need b)
        step = vals if npfunc is np.add else P.negative(vals)
        new = P.index_put(flat, (pos,), step, accumulate=True)
    else:
        new = flat
        rank = occurrence(pos)
        for k in range(int(rank.max()) + 1 if rank.size else 0):
            entries = np.flatnonzero(rank == k)
            where = pos[entries]  # distinct positions
            old = P.take(new, where)
            value = impl(old) if vals is None else impl(old, P.take(vals, entries))
            new = P.index_put(new, (where,), value)
    a[...] = P.reshape(new, np.shape(a))


# ------------------------------------------------------------------ the methods
def attach(f, npfunc, impl):
    """Give `f` (the cnp function of NumPy ufunc `npfunc`, `impl` on tensors) NumPy's
    ufunc attributes and, where NumPy's ufunc has them, its methods."""
    name = npfunc.__name__
    f.nin, f.nout, f.nargs = npfunc.nin, npfunc.nout, npfunc.nargs
    f.identity, f.signature = npfunc.identity, npfunc.signature

    def method(fn):
        fn.__name__ = fn.__qualname__ = f"{name}.{fn.__name__}"
        fn.__doc__ = (f"numpy.{name}.{fn.__name__.split('.')[1]}; differentiable on chainrule "
                      f"tensors.")
        return fn

    @method
    def at(a, indices, b=None):
        if not is_tensor(a):
            _no_written_tensor(name, a, [b])
            if b is None:
                return npfunc.at(a, _values(indices, f"{name}.at(indices)"))
            return npfunc.at(a, _values(indices, f"{name}.at(indices)"),
                             dispatch.plain_values(b))
        _at(npfunc, impl, a, indices, b)

    f.at = at
    if npfunc.nin != 2:
        return f

    @method
    def outer(a, b, /, **kwargs):
        if not dispatch.any_tensor([a, b]):
            return npfunc.outer(a, b, **kwargs)
        a, b = _operand(a), _operand(b)
        if npfunc.signature is not None:  # (matmul: NumPy's error)
            npfunc.outer(_zeros_like(a), _zeros_like(b))
        return f(P.reshape(a, np.shape(a) + (1,) * np.ndim(b)), b, **kwargs)

    @method
    def reduce(a, axis=0, dtype=None, out=None, keepdims=False, initial=_NO_VALUE,
               where=True):
        if not dispatch.any_tensor([a, initial, where]):
            kwargs = {} if initial is _NO_VALUE else {"initial": initial}
            return npfunc.reduce(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                                 where=where, **kwargs)
        dispatch.no_out(f"{name}.reduce", out)
        return _reduce(npfunc, impl, _operand(a), axis, dtype, keepdims, initial, where)

    @method
    def accumulate(a, axis=0, dtype=None, out=None):
        if not dispatch.any_tensor([a]):
            return npfunc.accumulate(a, axis=axis, dtype=dtype, out=out)
        dispatch.no_out(f"{name}.accumulate", out)
        return _accumulate(npfunc, impl, _operand(a), axis, dtype)

    @method
    def reduceat(a, indices, axis=0, dtype=None, out=None):
        if not dispatch.any_tensor([a, indices]):
            return npfunc.reduceat(a, indices, axis=axis, dtype=dtype, out=out)
        dispatch.no_out(f"{name}.reduceat", out)
        return _reduceat(npfunc, impl, _operand(a), indices, axis, dtype)

    f.outer, f.reduce, f.accumulate, f.reduceat = outer, reduce, accumulate, reduceat
    return f

