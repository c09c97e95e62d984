"""Reading and checking the arguments of nn functions: arrays behind tensors, reductions, dims.

Shared by the functional forms and the layers so that every function names its bad
argument the same way.
"""

from __future__ import annotations

import functools
import inspect
import warnings

import numpy as np

from ..graph import is_tensor

REDUCTIONS = ("mean", "sum", "none")


def data(x):
    """The NumPy array behind a tensor, or ``np.asarray(x)``."""
    return x._data if is_tensor(x) else np.asarray(x)


def shape(x):
    return x._data.shape if is_tensor(x) else np.shape(x)


_HALF = np.dtype(np.float16)


def in_float32(fn, *operands):
    """``fn(*operands)``, computed in float32 and rounded once where it would be float16
    (every float operand float16; None operands allowed): PyTorch's CPU kernels for
    softmax and the normalizations accumulate reduced precision in float32, where float16
    throughout loses several units in the last place (hundreds in a layer norm)."""
    dtypes = [data(x).dtype for x in operands if x is not None and not isinstance(x, float)]
    if _HALF not in dtypes or any(d.kind == "f" and d != _HALF for d in dtypes):
        return fn(*operands)
    from .. import primitives as P

    wide = [P.astype(x, dtype=np.float32) if x is not None and not isinstance(x, float)
            and data(x).dtype == np.float16 else x for x in operands]
    out = fn(*wide)
    with np.errstate(over="ignore"):  # (beyond float16's range: inf, as PyTorch's, unwarned)
        return P.astype(out, dtype=np.float16)


def float_dtype_of(x):
    """x's dtype when floating, else float64 (the dtype constants made for x should have)."""
    d = data(x).dtype
    return d if d.kind == "f" else np.dtype(np.float64)


def check_reduction(fn, reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"{fn}: reduction must be one of {REDUCTIONS}, not {reduction!r}")
    return reduction


def legacy_reduction(fn, size_average, reduce, reduction):
    """PyTorch's deprecated size_average/reduce flags, mapped to a reduction as it does."""
    if size_average is None and reduce is None:
        return check_reduction(fn, reduction)
    for name, flag in (("size_average", size_average), ("reduce", reduce)):
        if flag is not None and not isinstance(flag, (bool, np.bool_)):
            raise TypeError(
                f"{fn}: {name} (a deprecated flag, the first positional arguments as in "
                f"PyTorch) must be a bool, got {flag!r}; pass reduction={flag!r} by keyword"
            )
    warnings.warn(f"{fn}: size_average and reduce are deprecated; use reduction=",
                  DeprecationWarning, stacklevel=3)
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def axis(dim, ndim, fn, name="dim"):
    """``dim`` as a non-negative axis of an ``ndim``-dimensional input."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{fn}: {name} must be an int, got {dim!r}")
    lo = -max(ndim, 1)
    if not lo <= dim < max(ndim, 1):
        raise IndexError(f"{fn}: {name}={dim} is out of range for a {ndim}-d input")
    return int(dim) % max(ndim, 1)


def implicit_softmax_dim(fn, ndim):
    """PyTorch's legacy choice when softmax-like functions get dim=None (with its warning)."""
    warnings.warn(f"{fn}: implicit dimension choice is deprecated; pass dim=",
                  UserWarning, stacklevel=4)
    return 0 if ndim in (0, 1, 3) else 1


def positive_int(value, fn, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{fn}: {name} must be a positive int, got {value!r}")
    return int(value)


def probability(value, fn, name="p"):
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{fn}: {name} must be in [0, 1], got {value}")
    return float(value)


def honours_inplace(fn=None, *, unchanged=None):
    """PyTorch's ``inplace=True`` for a function with an ``inplace`` argument: on a
    chainrule.torch tensor the result is written into the input and the input returned (a
    recorded write when differentiated; refused on a leaf that requires grad, as in
    PyTorch). chainrule's own tensors keep NumPy's way, a new tensor with the input
    unchanged, as do plain arrays. ``unchanged(arguments)`` says when the function is the
    identity (dropout in eval mode): then the input is returned, written or not."""
    if fn is None:
        return functools.partial(honours_inplace, unchanged=unchanged)
    signature = inspect.signature(fn)
    position = list(signature.parameters).index("inplace")

    @functools.wraps(fn)
    def call(*args, **kw):
        inplace = kw["inplace"] if "inplace" in kw else (
            len(args) > position and args[position])
        if not inplace:
            return fn(*args, **kw)
        arguments = dict(signature.bind(*args, **kw).arguments)
        target = arguments.pop("input")
        arguments["inplace"] = False
        if not hasattr(target, "_replace"):  # not a chainrule.torch tensor
            return fn(target, **arguments)
        if unchanged is not None and unchanged(arguments):
            return target
        return target._replace(lambda t: fn(t, **arguments), f"{fn.__name__}(inplace=True)")

    return call
