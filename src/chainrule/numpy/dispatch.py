"""How NumPy's own functions reach chainrule: the tables behind Tensor.__array_ufunc__
and Tensor.__array_function__.

Each function of :mod:`chainrule.numpy` registers itself here under the NumPy function
it mirrors, so ``np.tanh(t)`` and ``np.sum(t, axis=0)`` on a tensor run the chainrule
version and record. A NumPy function with no chainrule version raises on a traced
tensor (one that requires grad or carries a forward-mode tangent), naming the function,
rather than return a value with a silently missing gradient; on untraced tensors it
runs on the values. ``VALUES_ONLY`` lists the functions whose results are facts about
the values (shapes, booleans, indices, constants): they always run on the values.
"""

from __future__ import annotations

import builtins
import inspect

import numpy as np

from .. import graph
from .. import primitives as P
from ..graph import TensorBase, is_tensor
from ..pytree import tree_flatten
from ..tracing import concrete, traced
from . import facts

# numpy function -> chainrule.numpy function, and numpy ufunc -> chainrule.numpy function.
FUNCTIONS = {}
UFUNCS = {}

# Facts about shapes, dtypes and layout, the same for every value: NumPy's own, always.
SHAPE_FACTS = frozenset(
    [
        np.shape,
        np.ndim,
        np.size,
        np.result_type,
        np.iscomplexobj,
        np.isrealobj,
        np.isfortran,
        np.iscomplex,
        np.isreal,
        np.isnat,
        np.diag_indices_from,
        np.tril_indices_from,
        np.triu_indices_from,
        np.can_cast,
        np.array2string,
        np.array_repr,
        np.array_str,
        np.may_share_memory,
        np.shares_memory,
        np.min_scalar_type,
        np.save,
    ]
)
# Facts about the values (booleans, counts, positions): NumPy's own on the values, except
# on values a tracer traces (cr.vmap, cr.compile), where chainrule.numpy.facts computes
# them with recorded operations, or they are refused.
VALUE_FACTS = frozenset(
    [
        np.allclose,
        np.array_equal,
        np.array_equiv,
        np.any,
        np.all,
        np.nonzero,
        np.flatnonzero,
        np.argwhere,
        np.count_nonzero,
        np.searchsorted,
        np.isposinf,
        np.isneginf,
        np.isin,
        np.digitize,
        np.lexsort,
    ]
)
VALUES_ONLY = SHAPE_FACTS | VALUE_FACTS

def any_tensor(items):
    """True if a chainrule tensor is among `items` or inside a list/tuple among them."""
    for a in items:
        if isinstance(a, TensorBase):
            return True
        kind = type(a)
        if (kind is list or kind is tuple) and any_tensor(a):
            return True
    return False


def numpy_function(npfunc, sequences=()):
    """Decorator: run NumPy's `npfunc` unless a chainrule tensor is among the arguments.

    The decorated function is NumPy's version for tensors; it is registered so that
    ``npfunc`` called on a tensor dispatches to it. Its arguments are NumPy's
    array_like: a list or tuple holding tensors arrives as one tensor, stacked on the
    graph (graph.array_like), except the parameters named in `sequences`, which take a
    sequence of arrays by design (concatenate's `arrays`).
    """

    def wrap(impl):
        params = list(inspect.signature(impl).parameters)
        keep = {params.index(n) for n in sequences if n in params}

        def f(*args, **kwargs):
            if any_tensor(args) or (kwargs and any_tensor(kwargs.values())):
                # Lists and tuples are NumPy's array_like (graph.array_like); the checks
                # are written out: every cnp call on tensors passes here.
                for a in args:
                    if type(a) is list or type(a) is tuple:
                        args = tuple(a if i in keep else graph.array_like(a)
                                     for i, a in enumerate(args))
                        break
                for v in kwargs.values():
                    if type(v) is list or type(v) is tuple:
                        kwargs = {k: v if k in sequences else graph.array_like(v)
                                  for k, v in kwargs.items()}
                        break
                return impl(*args, **kwargs)
            return npfunc(*args, **kwargs)

        f.__name__ = f.__qualname__ = impl.__name__
        f.__doc__ = impl.__doc__
        f.__wrapped__ = impl  # inspect.signature shows the NumPy-style signature
        f.__module__ = impl.__module__
        FUNCTIONS[npfunc] = f
        return f

    return wrap


def no_out(name, out):
    if out is not None:
        raise TypeError(
            f"{name}: out= cannot hold a result computed from chainrule tensors; "
            f"use the returned value instead"
        )


def as_dtype(r, dtype):
    """r cast to dtype (None: unchanged). Sums and products take their input through it
    (NumPy accumulates in dtype: a float array summed with dtype=int adds truncated
    values)."""
    return r if dtype is None else P.astype(r, dtype=np.dtype(dtype))


_WORKING_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
# Ufuncs whose NumPy loops take float32 arguments in float64 (float_power computes in
# double precision at least).
_LOOPS_ABOVE_FLOAT32 = frozenset([np.float_power])


def _in_loop_dtypes(npfunc, args, dtype):
    """The tensor arguments cast to the dtypes of the loop NumPy would run, and that loop's
    (first) result dtype (fabs and
    deg2rad of integers compute in float64 and float16, conj of bools in int8, ldexp of
    int8 exponents in float16, spacing(dtype=float32) in float32). Constants count as
    Python numbers of their kind (weak, as chainrule's promotion takes them)."""
    # Integer work (no floating tensor among the arguments) takes an integer array at its
    # own dtype, as NumPy does: weak, it would wrap around in the tensor's narrower one
    # (left_shift(int8 tensor, [10, 10]) gave 0s).
    integer_work = not builtins.any(isinstance(a, TensorBase) and a._data.dtype.kind in "fc"
                                    for a in args)

    def kind(a):
        if isinstance(a, TensorBase):
            return a._data.dtype
        d = np.asarray(a).dtype
        if integer_work and d.kind in "iu" and np.ndim(a) > 0:
            return d
        return bool if d.kind == "b" else int if d.kind in "iu" else complex \
            if d.kind == "c" else float
    given = {} if dtype is None else {
        "signature": (None,) * npfunc.nin + (np.dtype(dtype),) * npfunc.nout}
    try:
        loop = npfunc.resolve_dtypes((*map(kind, args), *(None,) * npfunc.nout), **given)
    except (TypeError, ValueError):  # (no such loop: the operation says what is wrong)
        return args, None
    cast = [P.astype(a, d) if isinstance(a, TensorBase) and a._data.dtype != d else a
            for a, d in zip(args, loop)]
    return cast, loop[npfunc.nin]


def ufunc(npfunc, impl):
    """NumPy's ufunc `npfunc` on plain values; `impl` (a primitive or composition) on tensors.

    The function has the ufunc's methods (outer, reduce, accumulate, reduceat, at) and
    attributes (nin, nout, nargs, identity, signature): chainrule.numpy.ufunc_methods.
    """
    from .ufunc_methods import attach  # (it uses this module's helpers)

    name = npfunc.__name__

    def f(*args, out=None, dtype=None, where=True, **kwargs):
        if not any_tensor(args):
            if out is not None:
                kwargs["out"] = out
            if dtype is not None:
                kwargs["dtype"] = dtype
            if where is not True:
                kwargs["where"] = where
            return npfunc(*args, **kwargs)
        if out is not None:
            no_out(name, out)
        if where is not True or kwargs:
            bad = (["where"] if where is not True else []) + sorted(kwargs)
            raise TypeError(f"{name}: {', '.join(bad)} not supported on chainrule tensors")
        for a in args:
            if type(a) is list or type(a) is tuple:
                args = [graph.array_like(a) for a in args]
                break
        if dtype is not None or npfunc in _LOOPS_ABOVE_FLOAT32 or any(
                isinstance(a, TensorBase) and a._data.dtype not in _WORKING_FLOATS
                for a in args):
            args, result = _in_loop_dtypes(npfunc, args, dtype)
            r = impl(*args)
            # (a Python number beside a tensor: NumPy's loop may be narrower than
            # chainrule's result, as for ldexp(2, int8 tensor), float16)
            if result is not None and npfunc.nout == 1 and np.dtype(
                    r._data.dtype if isinstance(r, TensorBase) else np.result_type(r)) != result:
                r = P.astype(r, result)
        else:
            r = impl(*args)
        return r if dtype is None else as_dtype(r, dtype)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"numpy.{name}; differentiable on chainrule tensors."
    UFUNCS[npfunc] = f
    return attach(f, npfunc, impl)


# --------------------------------------------------------------- the protocols
def any_traced(items):
    """True if a tensor being differentiated or vmapped is among `items` or inside a
    list/tuple among them (NumPy's own function on its values would drop the gradient,
    or give every example the first one's result)."""
    tracer = graph.trace_hook()
    for a in items:
        if graph.is_traced(a) or (tracer is not None and isinstance(a, TensorBase)
                                  and tracer.traced(a)):
            return True
        if type(a) in (list, tuple) and any_traced(a):
            return True
    return False


def plain_values(x):
    """`x` with every tensor (also inside lists and tuples) replaced by its values."""
    if is_tensor(x):
        return x._data
    if type(x) in (list, tuple):
        return type(x)(plain_values(a) for a in x)
    return x


def _unsupported(name):
    return TypeError(
        f"numpy.{name} has no derivative rule in chainrule and was called on a tensor "
        f"being differentiated or vmapped; use a function of chainrule.numpy, or call it "
        f"on x.detach() if no gradient should flow through it (under cr.vmap, loop over "
        f"the examples in Python instead: a detached example stands for all of them)"
    )


def array_function(func, types, args, kwargs):
    """Tensor.__array_function__: NumPy function `func` called with tensor arguments."""
    if func in SHAPE_FACTS and len(args) == 1 and not kwargs:
        # np.shape(t), np.ndim(t): asked by rules on every call, so kept short.
        a = args[0]
        return func(a._data if is_tensor(a) else a)
    impl = FUNCTIONS.get(func)
    if impl is not None:
        return impl(*args, **kwargs)
    if func in VALUE_FACTS and (_in_trace(args) or _in_trace(kwargs.values())):
        impl = facts.TRACED.get(func)
        if impl is None:
            name = getattr(func, "__name__", repr(func))
            leaves = tree_flatten((args, list(kwargs.values())))[0]
            concrete(next(a for a in leaves if traced(a)), f"numpy.{name}")
        return impl(*args, **kwargs)
    if func in VALUES_ONLY or not (any_traced(args) or any_traced(kwargs.values())):
        return func(*plain_values(args), **{k: plain_values(v) for k, v in kwargs.items()})
    raise _unsupported(getattr(func, "__name__", repr(func)))


def _in_trace(items):
    """True if a value traced by cr.vmap or cr.compile is among `items` or inside a
    list/tuple among them (np.lexsort((keys,)))."""
    if graph.trace_hook() is None:
        return False
    return builtins.any(traced(a) or (type(a) in (list, tuple) and _in_trace(a))
                        for a in items)


def array_ufunc(uf, method, inputs, kwargs):
    """Tensor.__array_ufunc__: `uf.method(*inputs, **kwargs)` with tensor inputs."""
    traced = any_traced(inputs)
    out = kwargs.get("out")
    if out is not None and not traced:
        # e.g. `array += untraced_tensor`: NumPy writes into `out`, nothing to record.
        return getattr(uf, method)(*plain_values(inputs),
                                   **{k: plain_values(v) for k, v in kwargs.items()})
    if out is not None:
        raise TypeError(
            f"numpy.{uf.__name__}: cannot write a traced result into out= (an in-place "
            f"update such as `a += x` with an ndarray a); write `a = a + x` instead"
        )
    f = UFUNCS.get(uf)
    if f is not None:
        # np.add(t, 1), or np.add.reduce(t) / np.subtract.outer(t, t) / np.add.at(t, i, 1):
        # the methods chainrule.numpy's ufunc has (ufunc_methods), NumPy's where it has them.
        run = f if method == "__call__" else getattr(f, method, None)
        if run is not None:
            return run(*inputs, **kwargs)
    if not traced:
        return getattr(uf, method)(*plain_values(inputs), **kwargs)
    raise _unsupported(uf.__name__ if method == "__call__" else f"{uf.__name__}.{method}")
