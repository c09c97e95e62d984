"""NumPy's reductions: sum, mean, var, std, average, max/min, cumulative sums, sorting."""

from __future__ import annotations

import builtins
import warnings

import numpy as np

from .. import primitives as P
from ..graph import is_tensor as _is_tensor
from ..graph import values as _values
from ..primitives.reductions import count as _count
from ..tracing import traced as _traced
from . import compat
from .dispatch import as_dtype as _as_dtype
from .dispatch import no_out as _no_out
from .dispatch import numpy_function as _numpy_function


class _Unset:
    """The default of where=, initial=, correction= and mean= on the tensor path: the
    caller gave none (None means something to NumPy there: where=None masks everything
    out, initial=None is "no initial"). Never forwarded: on plain arrays NumPy's own
    function runs with the caller's keywords as given."""

    def __repr__(self):
        return "<no value>"


UNSET = _Unset()


# ------------------------------------------------------ where= and initial=
def mask(a, where):
    """NumPy's `where=` as a boolean mask of a's shape, or None for no mask (where=True,
    or not given). An array or a tensor (a traced one too: the mask is applied by
    recorded operations); it must broadcast to a's shape, as NumPy's reductions ask."""
    if where is UNSET or where is True:
        return None
    if where is None:  # (NumPy reads where=None as False: nothing selected)
        where = False
    kind = _values(where).dtype
    if not np.can_cast(kind, np.bool_):
        raise TypeError(f"Cannot cast array data from {kind!r} to dtype('bool') according "
                        f"to the rule 'safe'")
    shape, mshape = np.shape(a), np.shape(where)
    if len(mshape) > len(shape):
        raise ValueError("input operand has more dimensions than allowed by the axis remapping")
    if any(m not in (1, n) for m, n in zip(mshape[::-1], shape[::-1])):
        raise ValueError(f"operands could not be broadcast together with remapped shapes "
                         f"[original->remapped]: {shape} {mshape}")
    if _is_tensor(where):
        return P.broadcast_to(where, shape)
    return np.broadcast_to(np.asarray(where, dtype=np.bool_), shape)


def _initial(initial, dtype):
    """`initial` as a 0-d value of the result's dtype, or None when not given (NumPy's
    initial=None is "no initial" too). A tensor stays one: the result is differentiable
    in it."""
    if initial is UNSET or initial is None:
        return None
    if np.ndim(initial) != 0:
        raise ValueError("setting an array element with a sequence.")
    if _is_tensor(initial):
        return P.astype(initial, dtype)
    return np.asarray(initial).astype(dtype)


def _no_identity(name):
    return ValueError(f"reduction operation '{name}' does not have an identity, so to use "
                      f"a where mask one has to specify 'initial'")


def masked_sum(x, m, axis, keepdims, initial, fill=0, reduce=P.sum, join=P.add):
    """reduce(x) over `axis` with the entries outside mask `m` (None: none) replaced by
    `fill`, the reduction's identity (they get an exact zero gradient), then joined with
    `initial`. NumPy's sum, prod (fill 1) with where= and initial=."""
    if m is not None:
        x = P.where(m, x, fill)
    r = reduce(x, axis=axis, keepdims=keepdims)
    init = _initial(initial, _values(r).dtype)
    return r if init is None else join(r, init)


def _lowest(dtype, largest):
    """The identity of max (largest=False) or min (largest=True) in `dtype`."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return np.asarray(largest)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return np.asarray(info.max if largest else info.min, dtype)
    return np.asarray(np.inf if largest else -np.inf, dtype)


def masked_extreme(name, a, axis, keepdims, initial, where, largest, ignore_nan=False):
    """NumPy's max/min (and nanmax/nanmin: ignore_nan) with where= and initial=: the
    entries left out are replaced by the identity (+-inf, or the integer limit) and get
    an exact zero gradient; `initial` joins by maximum/minimum (fmax/fmin for the nan
    versions). A where mask needs initial, as in NumPy."""
    m = mask(a, where)
    dtype = _values(a).dtype
    init = _initial(initial, dtype)
    if m is not None and init is None:
        raise _no_identity(name)
    if ignore_nan and dtype.kind in "fc":
        number = P.logical_not(P.isnan(a))
        m = number if m is None else P.logical_and(m, number)
    fill = _lowest(dtype, largest)
    x = a if m is None else P.where(m, a, fill)
    if _count(np.shape(a), axis) == 0:
        # Nothing to reduce (NumPy: initial alone); the sum keeps the graph and the shape.
        r = P.where(True, fill, P.sum(x, axis=axis, keepdims=keepdims))
    else:
        r = (P.min if largest else P.max)(x, axis=axis, keepdims=keepdims)
    if init is None:
        return r
    if not ignore_nan:
        return (P.minimum if largest else P.maximum)(r, init)
    out = (P.fmin if largest else P.fmax)(r, init)
    if m is not None and np.isnan(_values(init)):
        # fmax(nothing, NaN) is NaN in NumPy, where the fill would stand for nothing.
        n = P.sum(P.astype(m, np.intp), axis=axis, keepdims=keepdims)
        out = P.where(P.equal(n, 0), init, out)
    return out


# ------------------------------------------------- mean, var, std with where=
def _float_work(a, dtype):
    """The dtype NumPy's mean and var compute in: dtype if given, float64 for integers
    and booleans, float32 for float16 (cast back at the end); and the result's dtype."""
    have = _values(a).dtype
    if dtype is not None:
        return np.dtype(dtype), np.dtype(dtype)
    if have.kind in "biu":
        return np.dtype(np.float64), np.dtype(np.float64)
    if have == np.float16:
        return np.dtype(np.float32), have
    return have, have


def _selected(m, axis, keepdims, work):
    """How many entries mask `m` selects over `axis` (recorded: cr.vmap recomputes it),
    in a float dtype, and whether its values can be read (not traced)."""
    real = work if work.kind == "f" else np.dtype(np.float64)
    n = P.sum(P.astype(m, real), axis=axis, keepdims=keepdims)
    return n, not _traced(n)


def _warn(message):
    # (Shown at the user's line: chainrule.warning_location.)
    warnings.warn(message, RuntimeWarning, stacklevel=2)


def _invalid_divide():
    # NumPy's own "invalid value encountered in divide" (0/0), under the caller's errstate.
    np.divide(np.zeros(1), np.zeros(1))


def masked_mean(a, m, axis, dtype, keepdims, empty_warning=None):
    """Mean of the entries selected by mask `m` over `axis`: their sum over their count,
    NaN where there are none (warning `empty_warning` then, and NumPy's invalid divide,
    when given). Unselected entries get an exact zero gradient."""
    work, result = _float_work(a, dtype)
    x = P.astype(a, work)
    total = P.sum(P.where(m, x, 0), axis=axis, keepdims=keepdims)
    n, readable = _selected(m, axis, keepdims, work)
    none = P.equal(n, 0)
    if empty_warning is not None and readable and np.any(_values(none)):
        _warn(empty_warning)
        _invalid_divide()
    out = P.where(none, np.asarray(np.nan, _values(total).dtype),
                  total / P.astype(P.maximum(n, 1), _values(total).dtype))
    return _as_dtype(out, None if result == _values(out).dtype else result)


def masked_var(a, m, axis, dtype, keepdims, ddof, mean=UNSET, nan_policy=False):
    """Variance of the entries selected by mask `m`: the sum of their squared deviations
    from their mean (or from `mean`, NumPy's mean= keyword) over (count - ddof).

    As NumPy's var: a divisor <= 0 warns "Degrees of freedom <= 0 for slice" and divides
    by 0 (NaN or inf). nan_policy (nanvar): NaN where the divisor is <= 0, no warning (as
    chainrule's nanvar). Unselected entries get an exact zero gradient."""
    work, result = _float_work(a, dtype)
    x = P.astype(a, work)
    n, readable = _selected(m, axis, True, work)
    if mean is UNSET:
        mu = P.sum(P.where(m, x, 0), axis=axis, keepdims=True) / P.astype(
            P.maximum(n, 1), _values(x).dtype)
    else:
        mu = mean
    d = P.where(m, x - mu, 0)
    total = P.sum(d * d, axis=axis, keepdims=keepdims)
    dof = P.astype(P.reshape(n, np.shape(total)) - ddof, _values(total).dtype)
    bad = P.less_equal(dof, 0)
    if nan_policy:
        out = P.where(bad, np.asarray(np.nan, _values(total).dtype),
                      total / P.where(bad, np.asarray(1, _values(dof).dtype), dof))
    else:
        if readable and np.any(_values(bad)):
            _warn("Degrees of freedom <= 0 for slice")
        out = total / P.maximum(dof, np.asarray(0, _values(dof).dtype))
    return _as_dtype(out, None if result == _values(out).dtype else result)


def masked_std(a, m, axis, dtype, keepdims, ddof, mean=UNSET, nan_policy=False):
    """sqrt of masked_var, with gradient 0 where the variance is 0 (as std)."""
    v = masked_var(a, m, axis, dtype, keepdims, ddof, mean, nan_policy)
    flat = P.equal(v, 0)
    return P.where(flat, 0, P.sqrt(P.where(flat, 1, v)))


def _everything(a):
    return np.broadcast_to(np.True_, np.shape(a))


def ddof_of(ddof, correction):
    """NumPy 2's correction= (the array API's name for ddof); both given is an error."""
    if correction is UNSET:
        return ddof
    if ddof != 0:
        raise ValueError("ddof and correction can't be provided simultaneously.")
    return correction


@_numpy_function(np.sum)
def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=UNSET, where=UNSET):
    """Sum of elements over `axis` (of those where `where`, plus `initial`)."""
    _no_out("sum", out)
    x = _as_dtype(a, dtype)
    if where is UNSET and initial is UNSET:  # (the common call: no masking steps)
        return _as_dtype(P.sum(x, axis=axis, keepdims=keepdims), dtype)
    return _as_dtype(masked_sum(x, mask(x, where), axis, keepdims, initial), dtype)


def _float_accumulator(a, dtype):
    """a cast to a floating dtype= first (NumPy's mean/var/std compute in it: float16
    data with dtype=float32 is averaged in float32); an integer dtype= casts the result."""
    if dtype is not None and np.dtype(dtype).kind in "fc":
        return _as_dtype(a, dtype)
    return a


@_numpy_function(np.mean)
def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=UNSET):
    """Arithmetic mean over `axis` (of the elements where `where`: NaN if none)."""
    _no_out("mean", out)
    a = _float_accumulator(a, dtype)
    m = mask(a, where)
    if m is not None:
        return masked_mean(a, m, axis, dtype, keepdims, "Mean of empty slice")
    return _as_dtype(P.mean(a, axis=axis, keepdims=keepdims), dtype)


@_numpy_function(np.prod)
def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=UNSET, where=UNSET):
    """Product of elements over `axis` (exact gradient with zeros), times `initial`."""
    _no_out("prod", out)
    x = _as_dtype(a, dtype)
    r = masked_sum(x, mask(x, where), axis, keepdims, initial, 1, P.prod, P.multiply)
    return _as_dtype(r, dtype)


@_numpy_function(np.max)
def max(a, axis=None, out=None, keepdims=False, initial=UNSET, where=UNSET):
    """Maximum over `axis`; tied maxima share the gradient. where= needs initial=."""
    _no_out("max", out)
    if initial is UNSET and where is UNSET:
        return P.max(a, axis=axis, keepdims=keepdims)
    return masked_extreme("maximum", a, axis, keepdims, initial, where, largest=False)


@_numpy_function(np.amax)
def amax(a, axis=None, out=None, keepdims=False, initial=UNSET, where=UNSET):
    """Maximum over `axis` (alias of max)."""
    return max(a, axis, out, keepdims, initial, where)


@_numpy_function(np.min)
def min(a, axis=None, out=None, keepdims=False, initial=UNSET, where=UNSET):
    """Minimum over `axis`; tied minima share the gradient. where= needs initial=."""
    _no_out("min", out)
    if initial is UNSET and where is UNSET:
        return P.min(a, axis=axis, keepdims=keepdims)
    return masked_extreme("minimum", a, axis, keepdims, initial, where, largest=True)


@_numpy_function(np.amin)
def amin(a, axis=None, out=None, keepdims=False, initial=UNSET, where=UNSET):
    """Minimum over `axis` (alias of min)."""
    return min(a, axis, out, keepdims, initial, where)


@_numpy_function(np.ptp)
def ptp(a, axis=None, out=None, keepdims=False):
    """Range max - min over `axis`."""
    _no_out("ptp", out)
    return P.max(a, axis=axis, keepdims=keepdims) - P.min(a, axis=axis, keepdims=keepdims)


@_numpy_function(np.var)
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=UNSET,
        mean=UNSET, correction=UNSET):
    """Variance: mean squared deviation (of the elements where `where`, from `mean` if
    given), over (n - ddof); correction= is ddof's array-API name."""
    _no_out("var", out)
    a = _float_accumulator(a, dtype)
    ddof = ddof_of(ddof, correction)
    m = mask(a, where)
    if m is None and mean is UNSET:
        return _as_dtype(P.var(a, axis=axis, keepdims=keepdims, ddof=ddof), dtype)
    return masked_var(a, _everything(a) if m is None else m, axis, dtype, keepdims, ddof, mean)


@_numpy_function(np.std)
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=UNSET,
        mean=UNSET, correction=UNSET):
    """Standard deviation: sqrt(var), with var's keywords."""
    _no_out("std", out)
    a = _float_accumulator(a, dtype)
    ddof = ddof_of(ddof, correction)
    m = mask(a, where)
    if m is None and mean is UNSET:
        return _as_dtype(P.std(a, axis=axis, keepdims=keepdims, ddof=ddof), dtype)
    return masked_std(a, _everything(a) if m is None else m, axis, dtype, keepdims, ddof, mean)


@_numpy_function(np.average)
def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """Weighted mean sum(w a) / sum(w) over `axis` (the plain mean without weights)."""
    if weights is None:
        avg = P.mean(a, axis=axis, keepdims=keepdims)
        if not returned:
            return avg
        count = np.size(a) // builtins.max(avg._data.size, 1)
        return avg, np.full(avg.shape, count, dtype=avg._data.dtype)
    w = weights
    if np.ndim(w) == 1 and np.ndim(a) > 1:
        if axis is None or isinstance(axis, tuple):
            raise TypeError("average: 1-D weights need an integer axis")
        view = [1] * np.ndim(a)
        view[axis] = np.shape(w)[0]
        w = P.reshape(w, tuple(view))
    norm = P.sum(P.broadcast_to(w, np.broadcast_shapes(np.shape(a), np.shape(w))),
                 axis=axis, keepdims=keepdims)
    avg = P.sum(a * w, axis=axis, keepdims=keepdims) / norm
    return (avg, norm) if returned else avg


@_numpy_function(np.cumsum)
def cumsum(a, axis=None, dtype=None, out=None):
    """Running sum along `axis` (of the flattened array when axis is None)."""
    _no_out("cumsum", out)
    return _as_dtype(P.cumsum(_as_dtype(a, dtype), axis=axis), dtype)


@_numpy_function(np.cumprod)
def cumprod(a, axis=None, dtype=None, out=None):
    """Running product along `axis` (of the flattened array when axis is None)."""
    _no_out("cumprod", out)
    return _as_dtype(P.cumprod(_as_dtype(a, dtype), axis=axis), dtype)


@_numpy_function(np.argmax)
def argmax(a, axis=None, out=None, *, keepdims=False):
    """Index of the maximum (no gradient)."""
    _no_out("argmax", out)
    return P.argmax(a, axis=axis, keepdims=keepdims)


@_numpy_function(np.argmin)
def argmin(a, axis=None, out=None, *, keepdims=False):
    """Index of the minimum (no gradient)."""
    _no_out("argmin", out)
    return P.argmin(a, axis=axis, keepdims=keepdims)


@_numpy_function(np.argsort)
def argsort(a, axis=-1, kind=None, order=None, *, stable=None):
    """The permutation that sorts `a` along `axis` (no gradient)."""
    return P.argsort(a, axis=axis, kind="stable" if stable else kind)


@_numpy_function(np.argpartition)
def argpartition(a, kth, axis=-1, kind="introselect", order=None):
    """The permutation that partitions `a` around its kth element (no gradient)."""
    return P.argpartition(a, kth, axis=axis)


@_numpy_function(np.sort)
def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    """Sorted copy; each element's gradient follows it to its sorted place."""
    return P.sort(a, axis=axis, kind="stable" if stable else kind)


@_numpy_function(np.partition)
def partition(a, kth, axis=-1, kind="introselect", order=None):
    """Partitioned copy: the kth elements in sorted position, gradient by gather."""
    return P.partition(a, kth, axis=axis)


def _with_initial(r, axis, initial):
    """r with `initial` (0 for sums, 1 for products) prepended along `axis`."""
    shape = list(np.shape(r))
    shape[axis] = 1
    start = np.full(shape, initial, dtype=r._data.dtype)
    return P.concatenate([start, r], axis=axis)


def _cumulative(name, running, initial, x, axis, dtype, out, include_initial):
    """The array API's cumulative_sum/prod: `running` (cumsum, cumprod) along `axis`,
    which may be left out for 1-D input, with `initial` prepended when asked."""
    _no_out(name, out)
    x = P.reshape(x, (1,)) if np.ndim(x) == 0 else x
    if axis is None:
        if np.ndim(x) > 1:
            raise ValueError(f"{name}: axis must be given for arrays of more than one dimension")
        axis = 0
    r = _as_dtype(running(_as_dtype(x, dtype), axis=axis), dtype)
    return _with_initial(r, axis, initial) if include_initial else r


@_numpy_function(compat.cumulative_sum)
def cumulative_sum(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
    """Running sum along `axis`, with a leading 0 when include_initial (array API)."""
    return _cumulative("cumulative_sum", P.cumsum, 0, x, axis, dtype, out, include_initial)


@_numpy_function(compat.cumulative_prod)
def cumulative_prod(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
    """Running product along `axis`, with a leading 1 when include_initial (array API)."""
    return _cumulative("cumulative_prod", P.cumprod, 1, x, axis, dtype, out, include_initial)
