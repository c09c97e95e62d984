"""More of ``torch.*``: pointwise math, comparisons, reductions, products with a bias,
linear algebra, special functions, joining and splitting, under PyTorch's names and
arguments (``dim``/``keepdim``, ``beta``/``alpha``), each over chainrule's operations
(``chainrule.numpy``, ``chainrule.scipy.special``, the primitives), so each is
differentiable where PyTorch's is. Results follow their operands' class, as in
:mod:`chainrule.torch.functions`.
"""

from __future__ import annotations

import builtins
import functools
import itertools

import numpy as np

from .. import graph
from .. import numpy as cnp
from .. import primitives as P
from ..graph import TensorBase, new_tensor
from ..graph import values as _values
from ..linalg import householder_product as _householder_product
from ..linalg import matrix_exp as _matrix_exp
from ..linalg import vector_norm
from ..primitives import lu_decomposition as _lu
from ..primitives import scans as _scans
from ..primitives import sorting as _sorting
from ..primitives import statistics as _statistics
from ..primitives.construction import diag_embed as _diag_embed
from ..primitives.construction import torch_meshgrid
from ..primitives.indexing import scatter_add
from ..primitives.pointwise import lerp as _lerp
from ..primitives.shape import flat_positions
from ..primitives.signal import torch_diff, torch_trapezoid
from ..scipy import special as _special
from . import return_types
from . import types as T
from .creation import linspace
from .functions import _unary as _torch_unary
from .functions import div as divide  # noqa: F401 (torch.divide is torch.div)
from .generators import draw
from .products import check_addmm, check_addmv, check_baddbmm, check_same
from .tensor import (
    Tensor,
    _keyword,
    clamped,
    floating,
    front,
    like,
    promoted,
    result_dtype_of,
    scalar_dims,
    with_value_at,
    zero_gradient,
)
from .tensor_writes import same_dtype, scalar_first, scaled


def _new(array):
    """A front-end tensor holding `array` (a result NumPy computed, no gradient)."""
    return front(new_tensor(np.asarray(array)))


def _like(x, out):
    """`out` (a tensor, or a tuple or list of them) in the class an operation on `x` gives."""
    if isinstance(out, tuple) and not hasattr(out, "_fields"):
        return tuple(_like(x, o) for o in out)
    if isinstance(out, list):
        return [_like(x, o) for o in out]
    if isinstance(out, TensorBase):
        return like(x, out)
    if isinstance(x, TensorBase) and isinstance(out, (np.ndarray, np.generic)):
        return _new(out)  # (a NumPy answer: integer and boolean functions)
    return out


# ------------------------------------------------------------------ pointwise
def _unary(name, op, doc, float_valued=True):
    fn = _torch_unary(op, doc, float_valued, name=name, wrap=_like)
    fn.__module__ = __name__
    return fn


def _binary(name, op, doc, float_valued=False):
    def fn(input, other):
        a, b = promoted(input, other)  # (PyTorch's result dtype, where NumPy's differs)
        if float_valued:
            a, b = floating(a), floating(b)
        return _like(input if isinstance(input, TensorBase) else other, op(a, b))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


tan = _unary("tan", cnp.tan, "Tangent of each element.")
sinh = _unary("sinh", cnp.sinh, "Hyperbolic sine of each element.")
cosh = _unary("cosh", cnp.cosh, "Hyperbolic cosine of each element.")
asin = arcsin = _unary("asin", cnp.arcsin, "Inverse sine of each element.")
acos = arccos = _unary("acos", cnp.arccos, "Inverse cosine of each element.")
atan = arctan = _unary("atan", cnp.arctan, "Inverse tangent of each element.")
asinh = arcsinh = _unary("asinh", cnp.arcsinh, "Inverse hyperbolic sine of each element.")
acosh = arccosh = _unary("acosh", cnp.arccosh, "Inverse hyperbolic cosine of each element.")
atanh = arctanh = _unary("atanh", cnp.arctanh, "Inverse hyperbolic tangent of each element.")
exp2 = _unary("exp2", cnp.exp2, "2 to the power of each element.")
log2 = _unary("log2", cnp.log2, "Base-2 logarithm of each element.")
log10 = _unary("log10", cnp.log10, "Base-10 logarithm of each element.")
deg2rad = _unary("deg2rad", cnp.deg2rad, "Degrees to radians.")
rad2deg = _unary("rad2deg", cnp.rad2deg, "Radians to degrees.")
sinc = _unary("sinc", cnp.sinc, "sin(pi x) / (pi x), 1 at 0 (the normalized sinc).")
i0 = _unary("i0", with_value_at(_special.i0, cnp.isinf, np.nan),  # (PyTorch: NaN at +-inf)
            "The modified Bessel function of the first kind, order 0.")
reciprocal = _unary("reciprocal", lambda x: 1 / x, "1 / x of each element.")
digamma = _unary("digamma", _special.digamma, "The logarithmic derivative of the gamma "
                 "function.")
lgamma = _unary("lgamma", with_value_at(_special.gammaln, cnp.isneginf, np.inf),
                "log |Gamma(x)| of each element.")
erfc = _unary("erfc", _special.erfc, "1 - erf(x), accurate where erf(x) is near 1.")
erfinv = _unary("erfinv", _special.erfinv, "The inverse of erf.")


def trunc(input):
    """Each element rounded toward zero; a zero gradient, as PyTorch's."""
    return _like(input, zero_gradient(input, cnp.trunc(input)))


fix = trunc
frac = _unary("frac", lambda x: x - cnp.trunc(x), "x - trunc(x): the fractional part, with "
              "x's sign.", float_valued=False)
signbit = _unary("signbit", cnp.signbit, "True where the sign bit is set (x < 0 or -0.0).",
                 float_valued=False)
isneginf = _unary("isneginf", cnp.isneginf, "True where an element is -inf.",
                  float_valued=False)
isposinf = _unary("isposinf", cnp.isposinf, "True where an element is +inf.",
                  float_valued=False)
isreal = _unary("isreal", cnp.isreal, "True everywhere for real tensors.", float_valued=False)
logical_not = _unary("logical_not", cnp.logical_not, "Elementwise not.", float_valued=False)
bitwise_not = _unary("bitwise_not", cnp.invert, "Bitwise not of integers (logical not of "
                     "bools).", float_valued=False)
sgn = _unary("sgn", Tensor.sign, "-1, 0 or 1: the sign of each element (real tensors).",
             float_valued=False)
negative = neg = _unary("neg", P.negative, "-x of each element.", float_valued=False)
positive = _unary("positive", lambda x: x, "x itself.", float_valued=False)

atan2 = arctan2 = _binary("atan2", cnp.arctan2, "The angle of the point (other, input): "
                          "atan(input / other) in the right quadrant.", float_valued=True)
hypot = _binary("hypot", cnp.hypot, "sqrt(input^2 + other^2) without overflow.")
logaddexp = _binary("logaddexp", cnp.logaddexp, "log(exp(input) + exp(other)), stably.",
                    float_valued=True)
logaddexp2 = _binary("logaddexp2", cnp.logaddexp2, "log2(2^input + 2^other), stably.",
                     float_valued=True)
copysign = _binary("copysign", cnp.copysign, "|input| with the sign of other.",
                   float_valued=True)
heaviside = _binary("heaviside", lambda x, v: P.astype(
    P.where(P.equal(x, 0), v, P.greater(x, 0)), dtype=np.result_type(x, v)),
    "0 below zero (and at NaN), 1 above, `values` at zero, in the inputs' dtype.")
# PyTorch's fmax/fmin give a tie's whole gradient to `input` (maximum/minimum split it),
# so they are selections: input where it wins or ties (or other is NaN), else other.
fmax = _binary("fmax", lambda a, b: P.where(P.logical_or(P.greater_equal(a, b), P.isnan(b)),
                                            a, b),
               "The larger of two elements, ignoring NaN (a tie's gradient goes to input).")
fmin = _binary("fmin", lambda a, b: P.where(P.logical_or(P.less_equal(a, b), P.isnan(b)),
                                            a, b),
               "The smaller of two elements, ignoring NaN (a tie's gradient goes to input).")
nextafter = _binary("nextafter", cnp.nextafter, "The next float after input toward other.")
gcd = _binary("gcd", cnp.gcd, "Greatest common divisor of integers.")
lcm = _binary("lcm", cnp.lcm, "Least common multiple of integers.")
bitwise_and = _binary("bitwise_and", cnp.bitwise_and, "Bitwise and of integers or bools.")
bitwise_or = _binary("bitwise_or", cnp.bitwise_or, "Bitwise or of integers or bools.")
bitwise_xor = _binary("bitwise_xor", cnp.bitwise_xor, "Bitwise xor of integers or bools.")
bitwise_left_shift = _binary("bitwise_left_shift", cnp.left_shift, "Integers shifted left.")
bitwise_right_shift = _binary("bitwise_right_shift", cnp.right_shift,
                              "Integers shifted right (arithmetically).")
logical_and = _binary("logical_and", cnp.logical_and, "Elementwise and.")
logical_or = _binary("logical_or", cnp.logical_or, "Elementwise or.")
logical_xor = _binary("logical_xor", cnp.logical_xor, "Elementwise xor.")
ge = greater_equal = _binary("ge", P.greater_equal, "input >= other.")
le = less_equal = _binary("le", P.less_equal, "input <= other.")
greater = _binary("greater", P.greater, "input > other.")
less = _binary("less", P.less, "input < other.")
not_equal = _binary("not_equal", P.not_equal, "input != other.")
multiply = mul = _binary("mul", P.multiply, "input * other.")
xlogy = _binary("xlogy", _special.xlogy, "input * log(other), 0 where input is 0.",
                float_valued=True)


def float_power(input, exponent):
    """input ** exponent in float64 (PyTorch's float_power)."""
    a = P.astype(input, dtype=np.float64) if isinstance(input, TensorBase) else np.float64(input)
    b = (P.astype(exponent, dtype=np.float64) if isinstance(exponent, TensorBase)
         else exponent)
    return _like(input if isinstance(input, TensorBase) else exponent, P.power(a, b))


def ldexp(input, other):
    """input * 2 ** other (other may be a float tensor, as in PyTorch)."""
    a, b = promoted(input, other)  # (a 0-d float64 input keeps float64 beside int other)
    return _like(input, floating(a) * P.power(2.0, floating(b)))


def frexp(input):
    """(mantissa, exponent): input = mantissa * 2 ** exponent, |mantissa| in [0.5, 1)."""
    x = _values(input)
    m, e = np.frexp(x)
    mantissa = _new(m)
    if getattr(input, "requires_grad", False) and graph.is_grad_enabled():
        # d mantissa / dx = 2^-e (PyTorch's gradient): m plus (x - x) 2^-e, which is 0,
        # where that is finite (not at inf, NaN, or a subnormal's 2^-e overflowing).
        with np.errstate(over="ignore"):
            scale = np.ldexp(np.ones_like(x), -e)
        ok = np.isfinite(x) & np.isfinite(scale)
        mantissa = P.where(ok, m + (input - P.stop_gradient(input)) * np.where(ok, scale, 0), m)
    return return_types.frexp(*_like(input, (mantissa, _new(e.astype(np.int32)))))


def add(input, other, *rest, alpha=1):
    """input + alpha * other (also the deprecated ``add(input, alpha, other)``)."""
    other, alpha = scalar_first(other, rest, alpha, "add")
    return _like(input, input + scaled(input, other, alpha))


def sub(input, other, *rest, alpha=1):
    """input - alpha * other (also the deprecated ``sub(input, alpha, other)``)."""
    other, alpha = scalar_first(other, rest, alpha, "sub")
    return _like(input, input - scaled(input, other, alpha))


subtract = sub


def true_divide(input, other):
    """input / other in floating point (torch.div: its dtype from both operands)."""
    from .functions import div
    return div(input, other)


def round(input, *, decimals=0):
    """Half to even, as PyTorch (and NumPy) round; a zero gradient, as PyTorch's."""
    return _like(input, zero_gradient(
        input, P.round(input, decimals) if decimals else P.round(input)))


def ceil(input):
    return _like(input, zero_gradient(input, P.ceil(input)))


def floor(input):
    return _like(input, zero_gradient(input, P.floor(input)))


# (clamp's gradient: 1 at the bound, as PyTorch's; maximum would split it between ties)
def clamp_min(input, min):
    return _like(input, clamped(input, min, None))


def clamp_max(input, max):
    return _like(input, clamped(input, None, max))


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN, +inf and -inf replaced (by 0 and the dtype's largest and smallest values)."""
    return _fresh(input, _like(input, cnp.nan_to_num(input, nan=nan, posinf=posinf,
                                                     neginf=neginf)))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _like(input, cnp.isclose(input, other, rtol=rtol, atol=atol, equal_nan=equal_nan))


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    return _like(elements, cnp.isin(elements, test_elements, assume_unique=assume_unique,
                                    invert=invert))


def lerp(input, end, weight):
    """input + weight * (end - input)."""
    same_dtype("lerp", input, end, "end")
    return _like(input, _lerp(input, end, weight))


def logit(input, eps=None):
    """log(p / (1 - p)); with eps, p clamped to [eps, 1 - eps] first."""
    p = floating(input)
    if eps is not None:
        return _like(input, _special.logit(P.clip(p, eps, 1 - eps)))
    # Outside [0, 1] the value is NaN, and so is PyTorch's gradient (log's rule alone
    # would continue 1/p there, a finite gradient for a NaN loss): p + NaN there, p + 0
    # elsewhere, whose derivative is 1 everywhere.
    outside = P.logical_or(P.less(p, 0), P.greater(p, 1))
    dt = _values(p).dtype
    return _like(input, _special.logit(
        p + P.where(outside, np.asarray(np.nan, dt), np.asarray(0, dt))))


def polygamma(n, input):
    """The n-th derivative of digamma."""
    return _like(input, _special.polygamma(n, floating(input)))


def mvlgamma(input, p):
    """The log of the multivariate gamma function of dimension p."""
    return _like(input, _special.multigammaln(floating(input), p))


def _value_first(tensor1, tensor2, rest, value, name):
    # The deprecated addcmul(input, value, tensor1, tensor2) form.
    if not rest:
        return tensor1, tensor2, value
    if len(rest) != 1 or isinstance(tensor1, TensorBase):
        raise TypeError(f"{name}: expected (tensor1, tensor2, *, value=1) or the deprecated "
                        f"(value, tensor1, tensor2)")
    return tensor2, rest[0], tensor1


def addcmul(input, tensor1, tensor2, *rest, value=1):
    """input + value * tensor1 * tensor2."""
    tensor1, tensor2, value = _value_first(tensor1, tensor2, rest, value, "addcmul")
    dtype = result_dtype_of((input, tensor1, tensor2))
    if dtype.kind in "iub":
        value = int(value)  # (PyTorch truncates the factor of integer tensors)
        # (in the three operands' dtype: bool * bool times a Python int would be int64)
        input, tensor1, tensor2 = promoted(input, tensor1, tensor2)
        product = tensor1 * tensor2
        return _like(input, input + (product if value == 1 else
                                     P.astype(product * value, dtype=dtype)))
    return _like(input, input + value * (tensor1 * tensor2))


def addcdiv(input, tensor1, tensor2, *rest, value=1):
    """input + value * tensor1 / tensor2."""
    tensor1, tensor2, value = _value_first(tensor1, tensor2, rest, value, "addcdiv")
    return _like(input, input + value * (tensor1 / tensor2))


# ------------------------------------------------------------------ reductions
def _named(name, result):
    """A (values, indices) pair as ``torch.return_types.<name>``; a single tensor (median
    without dim) as it is."""
    return return_types.returned(name, result) if isinstance(result, tuple) else result


def _fresh(input, result):
    """``result`` (or each tensor of a result tuple) copied where it shares ``input``'s
    buffer: on a 0-d or size-1 input NumPy's functions return a view (or the input), where
    PyTorch's results are new tensors that writes do not carry back to the input."""
    if isinstance(result, tuple):
        items = [_fresh(input, r) for r in result]
        return type(result)(*items) if hasattr(result, "_fields") else tuple(items)
    if (isinstance(input, TensorBase) and isinstance(result, TensorBase)
            and np.may_share_memory(result._data, input._data)):
        return P.copy(result)
    return result


def _dim(dim):
    return tuple(dim) if isinstance(dim, list) else dim


def amax(input, dim=(), keepdim=False):
    """The maximum over `dim` (all dimensions when empty); ties share the gradient."""
    return _like(input, P.max(input, axis=_dim(dim) if dim != () else None, keepdims=keepdim))


def amin(input, dim=(), keepdim=False):
    """The minimum over `dim` (all dimensions when empty); ties share the gradient."""
    return _like(input, P.min(input, axis=_dim(dim) if dim != () else None, keepdims=keepdim))


def aminmax(input, *, dim=None, keepdim=False):
    """(min, max) over `dim` (all elements when None)."""
    return return_types.aminmax(amin(input, () if dim is None else dim, keepdim),
                   amax(input, () if dim is None else dim, keepdim))


def all(input, dim=None, keepdim=False):
    return Tensor.all(input, dim, keepdim)


def any(input, dim=None, keepdim=False):
    return Tensor.any(input, dim, keepdim)


def count_nonzero(input, dim=None):
    everything = isinstance(dim, (tuple, list)) and not dim  # (dim=(): every dimension)
    out = cnp.count_nonzero(input, axis=None if everything else _dim(dim))
    if not isinstance(out, TensorBase):  # (NumPy 2.0 counts everything as a Python int)
        out = np.asarray(out, dtype=np.int64)
    return _like(input, out)


def _dim_in_range(dim, ndim):
    """`dim` made non-negative; IndexError (PyTorch's) where NumPy's modulo would pick
    another dimension. A 0-d tensor takes 0 and -1."""
    n = builtins.max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}]"
                         f", but got {dim})")
    return dim % n


def _empty_median(input, dim, keepdim, name):
    """median/nanmedian of an empty tensor, PyTorch's answers: without dim, NaN (the
    dtype's lowest value for integers, True for bool); with dim, empty results unless the
    reduced dimension itself has size 0 (IndexError)."""
    x = input._data
    if dim is None:
        fill = (np.nan if x.dtype.kind in "fc" else True if x.dtype.kind == "b"
                else np.iinfo(x.dtype).min)
        return _like(input, Tensor(np.array(fill, x.dtype), dtype=x.dtype))
    d = _dim_in_range(dim, x.ndim)
    if x.ndim and x.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    shape = x.shape[:d] + ((1,) if keepdim else ()) + x.shape[d + 1:]
    return getattr(return_types, name)(
        _like(input, Tensor(np.empty(shape, x.dtype), dtype=x.dtype)),
        _like(input, Tensor(np.empty(shape, np.int64), dtype=np.int64)))


def median(input, dim=None, keepdim=False):
    """PyTorch's median: the lower of the two middle values (no average); with dim,
    (values, indices)."""
    if np.size(input) == 0:
        return _empty_median(input, dim, keepdim, "median")
    return _named("median", _fresh(input, _like(input, _sorting.median(input, dim, keepdim))))


def nanmedian(input, dim=None, keepdim=False):
    if np.size(input) == 0:
        return _empty_median(input, dim, keepdim, "nanmedian")
    return _named("nanmedian", _fresh(input, _like(input, _sorting.nanmedian(input, dim,
                                                                             keepdim))))


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    if dim is not None and scalar_dims(input, (dim,)):
        dim = None  # (a 0-d input: its one element)
    out = _sorting.torch_quantile(input, q, dim, keepdim, interpolation=interpolation)
    return _like(input, P.astype(out, dtype=input._data.dtype))  # (midpoint: float64)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    return _like(input, _sorting.torch_nanquantile(input, q, dim, keepdim,
                                                   interpolation=interpolation))


# (dim=(): every dimension, as PyTorch's reductions read it)
def nansum(input, dim=None, keepdim=False, *, dtype=None):
    dim = None if dim == () else dim
    if dtype is None and input._data.dtype.kind in "bu":  # (as sum: int64, NumPy uint64)
        dtype = np.int64
    return _like(input, _statistics.torch_nansum(input, dim, keepdim, dtype=dtype))


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    dim = None if dim == () else dim
    return _like(input, _statistics.torch_nanmean(input, dim, keepdim, dtype=dtype))


def _correction(unbiased, correction):
    if unbiased is not None and correction is not None:
        raise TypeError("give unbiased or correction, not both")
    return (1 if unbiased is None or unbiased else 0) if correction is None else correction


def _unbiased_first(dim, unbiased):
    # PyTorch's other overload, std_mean(input, unbiased): a bool where dim stands
    return (None, dim) if isinstance(dim, (bool, np.bool_)) else (dim, unbiased)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(std, mean) over `dim`, std with Bessel's correction by default."""
    dim, unbiased = _unbiased_first(dim, unbiased)
    c = _correction(unbiased, correction)
    return (input.std(dim, correction=c, keepdim=keepdim), input.mean(dim, keepdim=keepdim))


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(var, mean) over `dim`, var with Bessel's correction by default."""
    dim, unbiased = _unbiased_first(dim, unbiased)
    c = _correction(unbiased, correction)
    return (input.var(dim, correction=c, keepdim=keepdim), input.mean(dim, keepdim=keepdim))


def cumprod(input, dim, *, dtype=None):
    return _fresh(input, _like(input, Tensor.cumprod(input, dim, dtype=dtype)))


def cummax(input, dim):
    return _named("cummax", _fresh(input, _like(input, _scans.cummax(input, dim))))


def cummin(input, dim):
    return _named("cummin", _fresh(input, _like(input, _scans.cummin(input, dim))))


def logcumsumexp(input, dim):
    return _fresh(input, _like(input, _scans.logcumsumexp(input, dim)))


def kthvalue(input, k, dim=-1, keepdim=False):
    return _named("kthvalue", _like(input, _sorting.kthvalue(input, k, dim, keepdim)))


def msort(input):
    """The input sorted along its first dimension (values only)."""
    return _fresh(input, _like(input, _sorting.sort(input, 0).values))


def dist(input, other, p=2):
    """The p-norm of input - other."""
    return (input - other).norm(p)


def trace(input):
    return _like(input, cnp.trace(input))


def diff(input, n=1, dim=-1, prepend=None, append=None):
    if input._data.dtype == np.bool_:  # (of bools: "differ", as PyTorch; NumPy's diff
        parts = [np.asarray(getattr(t, "_data", t)) for t in (prepend, input, append)
                 if t is not None]  # compares bools with not_equal, n times)
        out = np.diff(np.concatenate(parts, axis=dim), n=n, axis=dim)
        return _like(input, Tensor(out, dtype=np.bool_))
    out = torch_diff(input, n, dim, prepend, append)
    return _like(input, P.copy(out) if out is input else out)  # n=0: a copy, as PyTorch


def trapezoid(y, x=None, *, dx=None, dim=-1):
    return _like(y, torch_trapezoid(y, x, dx=dx, dim=dim))


trapz = trapezoid


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoid rule along `dim` (one element shorter)."""
    y = floating(y)
    n = y.shape[dim]
    lo = P.take(y, np.arange(n - 1), axis=dim)
    hi = P.take(y, np.arange(1, n), axis=dim)
    if x is not None:
        w = cnp.diff(x, axis=-1 if np.ndim(x) == 1 else dim)
        if np.ndim(x) == 1 and y.ndim > 1:
            shape = [1] * y.ndim
            shape[dim] = n - 1
            w = P.reshape(w, tuple(shape))
        area = (lo + hi) * w / 2
    else:
        area = (lo + hi) * (1.0 if dx is None else dx) / 2
    return _like(y, P.cumsum(area, axis=dim))


def cov(input, *, correction=1, fweights=None, aweights=None):
    return _like(input, _statistics.torch_cov(input, correction=correction, fweights=fweights,
                                              aweights=aweights))


def corrcoef(input):
    return _like(input, _statistics.torch_corrcoef(input))


def bincount(input, weights=None, minlength=0):
    out = cnp.bincount(input, weights=weights, minlength=minlength)
    # (weighted counts: in float weights' dtype, else float64; NumPy's are always float64)
    w = getattr(weights, "_data", None)
    if w is not None and w.dtype.kind == "f":
        out = P.astype(out, dtype=w.dtype)
    return _like(input, out)


def histc(input, bins=100, min=0, max=0):
    """Counts in `bins` equal bins over [min, max] (the data's range when both are 0);
    elements outside are left out. Not differentiable."""
    x = np.asarray(input._data if isinstance(input, TensorBase) else input)
    dt = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    lo, hi = (x.min(), x.max()) if min == 0 and max == 0 and x.size else (min, max)
    lo, hi = np.asarray(lo, dt)[()], np.asarray(hi, dt)[()]
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    # PyTorch's bin: floor((x - min) * bins / (max - min)) in the input's dtype, max itself
    # in the last bin (np.histogram compares with its edges instead, which puts values on
    # an edge such as 0.3 of 10 bins over [0, 1] into the other bin).
    inside = x[(x >= lo) & (x <= hi)].astype(dt, copy=False)
    pos = np.floor((inside - lo) * np.asarray(bins, dt) / (hi - lo)).astype(np.int64)
    pos[pos == bins] = bins - 1
    counts = np.bincount(pos, minlength=bins)[:bins]
    return _like(input, _new(counts.astype(x.dtype)))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The index of the bucket of `boundaries` (sorted, 1-D) each element falls in."""
    return _like(input, _sorting.searchsorted(boundaries, input, out_int32=out_int32,
                                              right=right))


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """Where each of ``input`` (PyTorch's keyword for the values) would go in
    ``sorted_sequence``."""
    return _like(sorted_sequence, _sorting.searchsorted(
        sorted_sequence, input, out_int32=out_int32, right=right, side=side, sorter=sorter))


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    return _like(input, _sorting.unique(input, sorted, return_inverse, return_counts, dim))


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Each run of equal consecutive values once (values along `dim` compared whole)."""
    x = np.asarray(input._data if isinstance(input, TensorBase) else input)
    if dim is None:
        x = x.reshape(-1)
        axis = 0
    else:
        axis = dim % x.ndim
    moved = np.moveaxis(x, axis, 0).reshape(x.shape[axis], -1)
    change = np.ones(len(moved), bool)
    change[1:] = (moved[1:] != moved[:-1]).any(axis=1)
    starts = np.flatnonzero(change)
    out = [_new(np.take(x, starts, axis=axis))]
    if return_inverse:
        inverse = (np.cumsum(change) - 1).astype(np.int64)
        # (without dim, PyTorch gives the inverse the input's shape, as unique does)
        out.append(_new(inverse.reshape(np.shape(input)) if dim is None else inverse))
    if return_counts:
        out.append(_new(np.diff(np.append(starts, len(moved))).astype(np.int64)))
    return _like(input, out[0] if len(out) == 1 else tuple(out))


def mode(input, dim=-1, keepdim=False):
    """(values, indices): the most frequent value along `dim` (the smallest among equally
    frequent ones) and the last index where it occurs."""
    x = np.asarray(input._data if isinstance(input, TensorBase) else input)
    d = _dim_in_range(dim, x.ndim)
    if x.ndim == 0:  # (the value itself, at index 0)
        return return_types.mode(_like(input, P.copy(input)),
                                 _like(input, Tensor(np.array(0), dtype=np.int64)))
    moved = np.moveaxis(x, d, -1)
    flat = moved.reshape(-1, moved.shape[-1]) if x.ndim else x.reshape(1, 1)
    values = np.empty(len(flat), x.dtype)
    indices = np.empty(len(flat), np.int64)
    for r, row in enumerate(flat):
        u, counts = np.unique(row, return_counts=True)
        v = u[np.argmax(counts)]
        values[r] = v
        # (np.unique counts the NaNs together; NaN == NaN is False)
        indices[r] = np.flatnonzero(row == v if v == v else row != row)[-1]
    shape = moved.shape[:-1]
    idx = indices.reshape(shape)
    gathered = P.take_along_axis(input, np.expand_dims(idx, d), d)  # (the gradient's path)
    vals = gathered if keepdim else P.squeeze(gathered, d)
    ind = _new(np.expand_dims(idx, d) if keepdim else idx)
    return return_types.mode(_like(input, vals), _like(input, ind))


# ------------------------------------------------------------------ products with a bias
def _scaled(beta, input, alpha, product):
    # (integer products: PyTorch truncates float factors to integers, 0.5 to 0)
    if product._data.dtype.kind in "iub":
        beta, alpha = int(beta), int(alpha)
    # beta = 0: input is ignored, as in PyTorch (its NaN and infinity do not propagate).
    term = product if alpha == 1 else alpha * product
    if beta == 0:
        return term
    return (input if beta == 1 else beta * input) + term


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2)."""
    check_addmm(input, mat1, mat2)
    return _like(mat1, _scaled(beta, input, alpha, P.matmul(mat1, mat2)))


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """beta * input + alpha * (mat @ vec)."""
    check_addmv(input, mat, vec)
    return _like(mat, _scaled(beta, input, alpha, P.matmul(mat, vec)))


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """beta * input + alpha * outer(vec1, vec2)."""
    outer = P.expand_dims(vec1, -1) * P.expand_dims(vec2, 0)
    return _like(vec1, _scaled(beta, input, alpha, outer))


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * (batch1 @ batch2), batch by batch."""
    check_baddbmm(input, batch1, batch2)
    return _like(batch1, _scaled(beta, input, alpha, P.matmul(batch1, batch2)))


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * the sum over the batch of batch1[b] @ batch2[b]."""
    check_addmm(input, batch1, batch2)
    return _like(batch1, _scaled(beta, input, alpha,
                                 P.sum(P.matmul(batch1, batch2), axis=0)))


def mv(input, vec):
    check_addmv(vec, input, vec)
    return _like(input, P.matmul(input, vec))


def dot(input, tensor):
    """The inner product of two 1-D tensors of one size and dtype (PyTorch's checks: no
    matrix product, no promotion)."""
    _check_vectors("dot", input, tensor, "tensor")
    return _like(input, P.dot(input, tensor))


def vdot(input, other):
    _check_vectors("vdot", input, other, "other")  # (real tensors: no conjugation to do)
    return _like(input, P.dot(input, other))


def _check_vectors(who, a, b, b_name):
    if not isinstance(b, TensorBase):
        raise TypeError(f"{who}(): argument '{b_name}' (position 2) must be Tensor, not "
                        f"{type(b).__name__}")
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape != b.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                           f"[{b.shape[0]}] to have the same number of elements, but got "
                           f"{a.shape[0]} and {b.shape[0]} elements")
    if a.dtype != b.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{T.SCALAR_NAMES[np.dtype(a.dtype)]} and "
                           f"{T.SCALAR_NAMES[np.dtype(b.dtype)]}")
    if a.dtype == np.bool_:
        raise NotImplementedError("\"dot\" not implemented for 'Bool'")


def inner(input, other):
    check_same("inner", input, other)
    return _like(input, cnp.inner(input, other))


def kron(input, other):
    return _like(input, cnp.kron(input, other))


def tensordot(a, b, dims=2):
    """Contract the last `dims` axes of a with the first of b, or the listed pairs."""
    check_same("inner", a, b)
    if isinstance(dims, (list, tuple)) and len(dims) == 2 and builtins.all(
            isinstance(d, (list, tuple)) for d in dims):
        dims = (list(dims[0]), list(dims[1]))
    return _like(a, cnp.tensordot(a, b, axes=dims))


def cross(input, other, dim=None):
    """The cross product along `dim` (of size 3); without dim, the first dimension of
    size 3 (PyTorch's deprecated default)."""
    if dim is None:
        dim = next(i for i, n in enumerate(input.shape) if n == 3)
    return _like(input, cnp.cross(input, other, axis=dim))


def chain_matmul(*matrices):
    return functools.reduce(P.matmul, matrices)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """Pairwise p-norm distances between the rows of x1 and x2 (batched over leading
    dimensions); the gradient at a zero distance is 0, as PyTorch's. ``compute_mode``
    is accepted: the distances are always the differences' norms (PyTorch's matrix-product
    form is faster on large inputs and less accurate)."""
    if compute_mode not in ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                            "donot_use_mm_for_euclid_dist"):
        raise ValueError(f"cdist: {compute_mode!r} is not a valid value for compute_mode")
    diff = P.expand_dims(x1, -2) - P.expand_dims(x2, -3)
    return _like(x1, vector_norm(diff, ord=p, axis=-1))


# ------------------------------------------------------------------ linear algebra
def det(input):
    return _like(input, cnp.linalg.det(input))


def logdet(input):
    """log(det(input)): NaN for a negative determinant, -inf for a singular matrix."""
    sign, logabs = cnp.linalg.slogdet(input)
    nan = np.asarray(np.nan, dtype=np.asarray(logabs._data if isinstance(logabs, TensorBase)
                                                     else logabs).dtype)
    return _like(input, P.where(P.less(sign, 0), nan, logabs))


def inverse(input):
    return _like(input, cnp.linalg.inv(input))


def pinverse(input, rcond=1e-15):
    return _like(input, cnp.linalg.pinv(input, rcond=rcond))


def cholesky(input, upper=False):
    L = cnp.linalg.cholesky(input)
    return _like(input, P.swapaxes(L, -1, -2) if upper else L)


def matrix_power(input, n):
    return _like(input, cnp.linalg.matrix_power(input, n))


def matrix_exp(input):
    return _like(input, _matrix_exp(input))


def geqrf(input):
    """LAPACK's compact QR: ``a`` holds R on and above its diagonal and the Householder
    vectors below it, ``tau`` their scales (NumPy's qr(mode="raw"), transposed back).
    Not differentiable: the results carry no gradient (PyTorch's require grad when the
    input does, and a backward through them raises)."""
    x = np.asarray(input._data if isinstance(input, TensorBase) else input)
    if x.ndim < 2:
        raise ValueError(f"geqrf: expected a matrix or a stack of matrices, got shape {x.shape}")
    h, tau = np.linalg.qr(x, mode="raw")
    return return_types.geqrf(
        _like(input, new_tensor(np.ascontiguousarray(np.swapaxes(h, -1, -2)))),
        _like(input, new_tensor(tau)))


def orgqr(input, tau):
    """``torch.orgqr``: ``torch.linalg.householder_product(input, tau)``."""
    return _like(input, _householder_product(input, tau))


def svd(input, some=True, compute_uv=True):
    """(U, S, V) with input = U diag(S) V^T (torch.svd: V, not torch.linalg.svd's Vh)."""
    U, S, Vh = cnp.linalg.svd(input, full_matrices=not some)
    V = P.swapaxes(Vh, -1, -2)
    if not compute_uv:  # (PyTorch gives zero-filled U and V then)
        U, V = U * 0, V * 0
    return return_types.svd(*_like(input, (U, S, V)))


# ------------------------------------------------------------------ shape, joining, splitting
def _seq(tensors):
    return list(tensors)


def hstack(tensors):
    return _like(tensors[0], cnp.hstack(_seq(tensors)))


def vstack(tensors):
    return _like(tensors[0], cnp.vstack(_seq(tensors)))


row_stack = vstack


def dstack(tensors):
    return _like(tensors[0], cnp.dstack(_seq(tensors)))


def column_stack(tensors):
    return _like(tensors[0], cnp.column_stack(_seq(tensors)))


def hsplit(input, indices_or_sections):
    return _like(input, tuple(cnp.hsplit(input, indices_or_sections)))


def vsplit(input, indices_or_sections):
    return _like(input, tuple(cnp.vsplit(input, indices_or_sections)))


def dsplit(input, indices_or_sections):
    return _like(input, tuple(cnp.dsplit(input, indices_or_sections)))


def tensor_split(input, indices_or_sections, dim=0):
    """Split into n parts as equal as possible, or at the given indices (NumPy's
    array_split)."""
    if isinstance(indices_or_sections, TensorBase):
        indices_or_sections = indices_or_sections._data.tolist()
    return _like(input, tuple(cnp.array_split(input, indices_or_sections, axis=dim)))


def atleast_1d(*tensors):
    out = cnp.atleast_1d(*tensors)
    return _like(tensors[0], tuple(out) if isinstance(out, list) else out)


def atleast_2d(*tensors):
    out = cnp.atleast_2d(*tensors)
    return _like(tensors[0], tuple(out) if isinstance(out, list) else out)


def atleast_3d(*tensors):
    out = cnp.atleast_3d(*tensors)
    return _like(tensors[0], tuple(out) if isinstance(out, list) else out)


def broadcast_to(input, size):
    return _like(input, P.broadcast_to(input, tuple(size)))


def broadcast_tensors(*tensors):
    shape = np.broadcast_shapes(*(np.shape(t) for t in tensors))
    return tuple(_like(t, P.broadcast_to(t, shape)) for t in tensors)


def broadcast_shapes(*shapes):
    return T.Size(np.broadcast_shapes(*(tuple(s) if isinstance(s, (list, tuple)) else (s,)
                                        for s in shapes)))


def moveaxis(input, source, destination):
    both = [*np.atleast_1d(source), *np.atleast_1d(destination)]
    if scalar_dims(input, both):
        return _like(input, P.reshape(input, ()))
    return _like(input, cnp.moveaxis(input, source, destination))


movedim = moveaxis


def swapaxes(input, axis0, axis1):
    return _like(input, P.swapaxes(input, axis0, axis1))


def swapdims(input, dim0, dim1):
    return _like(input, P.swapaxes(input, dim0, dim1))


def ravel(input):
    return _like(input, P.reshape(input, (-1,)))


def unflatten(input, dim, sizes):
    shape = list(input.shape)
    d = dim % len(shape)
    return _like(input, P.reshape(input, tuple(shape[:d]) + tuple(sizes) + tuple(shape[d + 1:])))


def select(input, dim, index):
    """input[..., index, ...] with `index` at dimension `dim` (that dimension removed)."""
    d = dim % input.ndim
    return _like(input, input[(slice(None),) * d + (index,)])


def take(input, index):
    """The elements at `index` of the flattened input."""
    return _like(input, cnp.take(input, index))


def take_along_dim(input, indices, dim=None):
    if dim is None:
        return _like(input, P.take_along_axis(P.reshape(input, (-1,)),
                                              np.reshape(np.asarray(
                                                  indices._data if isinstance(indices, TensorBase)
                                                  else indices), -1), 0))
    return _like(input, P.take_along_axis(input, indices, dim))


def tile(input, *dims, **kw):
    """``tile(input, dims)``; the method form also takes ``x.tile(2, 3)``."""
    dims = _keyword(dims, kw, "dims", "tile")
    if len(dims) == 1 and not isinstance(dims[0], (builtins.int, np.integer)):
        dims = tuple(dims[0])
    return _like(input, cnp.tile(input, tuple(dims)))


# rot90 and the flips copy in PyTorch (NumPy's give views of the input).
def rot90(input, k=1, dims=(0, 1)):
    return _like(input, P.copy(cnp.rot90(input, k, axes=tuple(dims))))


def fliplr(input):
    return _like(input, P.copy(cnp.fliplr(input)))


def flipud(input):
    return _like(input, P.copy(cnp.flipud(input)))


def diag(input, diagonal=0):
    """A 1-D input on the diagonal of a matrix; the diagonal of a 2-D input (a copy, as
    PyTorch's diag; torch.diagonal is the view)."""
    out = cnp.diag(input, diagonal)
    return _like(input, P.copy(out) if np.ndim(input) == 2 else out)


def diagflat(input, offset=0):
    return _like(input, cnp.diagflat(input, offset))


def diagonal(input, offset=0, dim1=0, dim2=1):
    return _like(input, cnp.diagonal(input, offset, dim1, dim2))


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    return _like(input, _diag_embed(input, offset, dim1, dim2))


def block_diag(*tensors):
    """The tensors (matrices, vectors as rows, numbers) on the diagonal of one matrix."""
    mats = [P.reshape(t, (1, -1)) if np.ndim(t) == 1 else
            (P.reshape(t, (1, 1)) if np.ndim(t) == 0 else t) for t in tensors]
    rows = builtins.sum(np.shape(m)[0] for m in mats)
    cols = builtins.sum(np.shape(m)[1] for m in mats)
    out, r, c = None, 0, 0
    for m in mats:
        h, w = np.shape(m)
        placed = P.pad(m, ((r, rows - r - h), (c, cols - c - w)))
        out = placed if out is None else out + placed
        r, c = r + h, c + w
    return _like(tensors[0], out)


def cartesian_prod(*tensors):
    """Every combination of one element from each 1-D tensor, as the rows of a matrix."""
    if len(tensors) == 1:
        return tensors[0]
    grids = cnp.meshgrid(*tensors, indexing="ij")
    return _like(tensors[0], P.stack([P.reshape(g, (-1,)) for g in grids], axis=1))


def combinations(input, r=2, with_replacement=False):
    """The length-r combinations of the elements of a 1-D tensor, as rows."""
    n = input.shape[0]
    pick = (itertools.combinations_with_replacement if with_replacement
            else itertools.combinations)(range(n), r)
    idx = np.array(list(pick), dtype=np.int64).reshape(-1, r)
    return _like(input, input[idx])


def vander(x, N=None, increasing=False):
    """Columns of powers of x (decreasing unless `increasing`)."""
    n = x.shape[0] if N is None else N
    powers = np.arange(n) if increasing else np.arange(n - 1, -1, -1)
    # (integers and bools in int64, as PyTorch's)
    dtype = np.int64 if x._data.dtype.kind in "biu" else x._data.dtype
    return _like(x, P.power(P.expand_dims(P.astype(x, dtype=dtype), -1), powers.astype(dtype)))


def logspace(start, end, steps, base=10.0, *, dtype=None, requires_grad=False):
    exponents = linspace(start, end, steps, dtype=dtype or T.get_default_dtype())
    out = _new(np.power(base, exponents._data).astype(exponents._data.dtype))
    return out.requires_grad_(requires_grad) if requires_grad else out


absolute = _unary("absolute", P.abs, "Absolute value of each element.", float_valued=False)
conj = real = resolve_conj = _unary("conj", lambda x: x, "x itself (real tensors).",
                                    float_valued=False)
igamma = _binary("igamma", _special.gammainc, "The regularized lower incomplete gamma "
                 "function P(input, other).", float_valued=True)


def angle(input):
    """The argument of each element: 0 for x >= 0, pi for x < 0 (NaN stays NaN)."""
    x = floating(input)
    dtype = x._data.dtype if isinstance(x, TensorBase) else np.asarray(x).dtype
    pi, zero = np.asarray(np.pi, dtype), np.asarray(0, dtype)  # (in x's dtype)
    return _like(input, P.where(P.isnan(x), x, P.where(P.less(x, 0), pi, zero)))


def clone(input, *, memory_format=None):
    return _like(input, P.copy(input))


def argwhere(input):
    """The indices of the nonzero elements, one row per element."""
    return _like(input, _new(np.argwhere(np.asarray(
        input._data if isinstance(input, TensorBase) else input))))


def nonzero(input, *, as_tuple=False):
    return input.nonzero(as_tuple=as_tuple)


def masked_select(input, mask):
    return input.masked_select(mask)


def index_add(input, dim, index, source, *, alpha=1):
    return input.index_add(dim, index, source, alpha=alpha)


def index_copy(input, dim, index, source):
    return input.index_copy(dim, index, source)


def index_fill(input, dim, index, value):
    return input.index_fill(dim, index, value)


def index_put(input, indices, values, accumulate=False):
    return input.index_put(indices, values, accumulate)


def meshgrid(*tensors, indexing=None):
    first = tensors[0][0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) \
        else tensors[0]
    return _like(first, tuple(torch_meshgrid(*tensors, indexing=indexing)))


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """Central differences inside, one-sided at the edges: one tensor per dimension in
    `dim` (all by default), as NumPy's gradient."""
    dims = list(range(input.ndim)) if dim is None else (
        [dim] if isinstance(dim, int) else list(dim))
    if isinstance(spacing, (int, float)):
        spacing = [spacing] * len(dims)
    out = cnp.gradient(floating(input), *spacing, axis=tuple(dims), edge_order=edge_order)
    return _like(input, tuple(out) if isinstance(out, (list, tuple)) else (out,))


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """PyTorch's scatter_reduce: each ``src[i][j]`` reduced into position ``index[i][j]``
    along ``dim`` (dim 0 shown) with "sum", "mean", "amax" or "amin", counting the input's
    own value unless ``include_self=False`` (positions no source reaches keep the input).
    amax/amin share a position's gradient evenly among its maxima, as PyTorch's."""
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise ValueError(f"scatter_reduce: reduce must be 'sum', 'prod', 'mean', 'amax' or "
                         f"'amin', got {reduce!r}")
    x = input._data if isinstance(input, TensorBase) else np.asarray(input)
    idx = np.asarray(index._data if isinstance(index, TensorBase) else index, dtype=np.int64)
    d = dim % x.ndim
    # Flat positions into x: one 1-d index array is NumPy's fast path for bincount and
    # ufunc.at (a tuple of coordinate arrays measured 10x slower in maximum.at).
    coords = list(np.indices(idx.shape, sparse=True))
    coords[d] = idx % x.shape[d]
    pos = flat_positions(tuple(coords), x.shape)
    counts = np.bincount(pos, minlength=x.size).reshape(x.shape)
    touched = counts > 0
    block = tuple(slice(0, n) for n in idx.shape)
    src_block = src[block] if isinstance(src, TensorBase) else np.asarray(src)[block]
    if reduce == "prod":
        return _like(input, _scatter_prod(input, x, pos, touched, src_block, include_self))
    if reduce in ("sum", "mean"):
        base = input if include_self else P.where(touched, 0, input)
        total = scatter_add(base, d, idx, src_block)
        if reduce == "sum":
            return _like(input, total)
        n = counts + (1 if include_self else 0)
        count = np.maximum(n, 1).astype(x.dtype)
        # (integers floor-divide and stay integers, as in PyTorch)
        mean = total // count if x.dtype.kind in "iu" else total / count
        return _like(input, P.where(n > 0, mean, input))
    best = np.maximum if reduce == "amax" else np.minimum
    # The identity of the reduction in x's dtype (an infinity cast to integers is garbage).
    if x.dtype.kind == "f":
        fill = -np.inf if reduce == "amax" else np.inf
    elif x.dtype.kind == "b":
        fill = reduce == "amin"
    else:
        fill = (np.iinfo(x.dtype).min if reduce == "amax" else np.iinfo(x.dtype).max)
    out = np.where(touched & (not include_self), fill, x).astype(x.dtype)
    s = np.asarray(src_block._data if isinstance(src_block, TensorBase) else src_block)
    best.at(out.reshape(-1), pos, s.reshape(-1))
    # Gradients through weights: each maximum of a position gets 1 / (its ties).
    hit_src = s == out.reshape(-1)[pos].reshape(s.shape)
    hit_in = (x == out) & (include_self | ~touched)
    ties = hit_in + np.bincount(pos[hit_src.reshape(-1)], minlength=x.size).reshape(x.shape)
    w_in = np.where(hit_in, 1.0 / np.maximum(ties, 1), 0.0).astype(x.dtype)
    w_src = np.where(hit_src, 1.0 / np.maximum(ties.reshape(-1)[pos], 1).reshape(s.shape),
                     0.0).astype(x.dtype)
    result = _new(out) if isinstance(input, TensorBase) else out
    if isinstance(input, TensorBase) and input.requires_grad:
        finite = P.where(P.isfinite(input), input, 0)
        result = result + (finite - finite.detach()) * w_in
    if isinstance(src_block, TensorBase) and src_block.requires_grad:
        finite = P.where(P.isfinite(src_block), src_block, 0)
        zeros = np.zeros(x.shape, x.dtype)
        result = result + scatter_add(zeros, d, idx, (finite - finite.detach()) * w_src)
    return _like(input, result)


def _scatter_prod(input, x, flat, touched, src_block, include_self):
    """scatter_reduce's "prod": each position's sources gathered into one row (padded with
    ones), multiplied along it with prod (differentiable to any order, zeros included),
    times the input's own value unless include_self=False."""
    counts = np.bincount(flat, minlength=x.size)
    order = np.argsort(flat, kind="stable")
    starts = np.cumsum(counts) - counts
    rank = np.arange(flat.size) - starts[flat[order]]
    rows = np.full((x.size, builtins.max(int(counts.max(initial=0)), 1)), flat.size, np.int64)
    rows[flat[order], rank] = order
    values = P.reshape(src_block, (-1,))
    padded = P.concatenate([values, np.ones(1, x.dtype)], axis=0)
    products = P.reshape(P.prod(P.getitem(padded, rows), axis=1), x.shape)
    reduced = input * products if include_self else products
    return P.where(touched, reduced, input)


def is_nonzero(input):
    if input.numel() != 1:
        raise RuntimeError("is_nonzero: a tensor of one element is needed, got "
                           f"{input.numel()} elements")
    return builtins.bool(input.item() != 0)


def is_complex(input):
    return np.iscomplexobj(input._data if isinstance(input, TensorBase) else input)


def resolve_neg(input):
    return input


def bernoulli(input, p=None, *, generator=None):
    """1 with probability input (or p), else 0, elementwise; the same dtype."""
    probs = np.asarray(input._data if isinstance(input, TensorBase) else input)
    if p is not None:
        probs = np.full(probs.shape, p, dtype=probs.dtype)
    u = draw(generator).random(probs.shape)
    return _like(input, _new((u < probs).astype(probs.dtype)))


def poisson(input, generator=None):
    rates = np.asarray(input._data if isinstance(input, TensorBase) else input)
    return _like(input, _new(draw(generator).poisson(rates).astype(rates.dtype)))


def renorm(input, p, dim, maxnorm):
    """Each slice along `dim` scaled down to p-norm at most `maxnorm`."""
    axes = tuple(i for i in range(input.ndim) if i != dim % input.ndim)
    norms = P.power(P.sum(P.power(P.abs(input), p), axis=axes, keepdims=True), 1.0 / p)
    scale = P.where(P.greater(norms, maxnorm), maxnorm / (norms + 1e-7), 1.0)
    return _like(input, input * scale)


def _index_values(x, what):
    """An index or mask argument as a NumPy array (refused while traced: positions read
    from a traced value would be the capture's)."""
    from ..tracing import concrete

    return concrete(x, what) if isinstance(x, TensorBase) else np.asarray(x)


def _write_where(input, mask, values):
    """input with `values` (broadcast to input) where the boolean array `mask` is True;
    differentiable in both; in input's dtype, as PyTorch's scatters (a bool input stays
    bool)."""
    if isinstance(values, TensorBase) and values._data.dtype != input._data.dtype:
        values = P.astype(values, dtype=input._data.dtype)
    return _like(input, P.where(mask, values, input))


def masked_scatter(input, mask, source):
    """input with the positions where `mask` is True filled, in order, by source's first
    elements (mask broadcast to input's shape)."""
    same_dtype("masked_scatter", input, source)
    m = np.broadcast_to(_index_values(mask, "masked_scatter's mask").astype(bool),
                        np.shape(input))
    n = int(m.sum())
    if n > int(np.size(source)):
        raise ValueError(f"masked_scatter: the mask selects {n} elements but source has only "
                         f"{int(np.size(source))}")
    order = np.clip(np.cumsum(m.reshape(-1)) - 1, 0, None).reshape(m.shape)
    gathered = P.getitem(P.reshape(source, (-1,)), order)
    return _write_where(input, m, gathered)


def select_scatter(input, src, dim, index):
    """input with ``input.select(dim, index)`` replaced by src."""
    d = dim % input.ndim
    n = input.shape[d]
    at = np.arange(n).reshape((-1,) + (1,) * (input.ndim - d - 1)) == index % n
    return _write_where(input, at, P.expand_dims(src, d))


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """input with ``input[..., start:end:step, ...]`` (at dim) replaced by src."""
    d = dim % input.ndim
    n = input.shape[d]
    positions = np.arange(n)[slice(start, end, step)]
    shape_src = np.shape(src)
    if shape_src[d] != len(positions):
        raise ValueError(f"slice_scatter: src has {shape_src[d]} entries along dim {dim}, "
                         f"the slice {len(positions)}")
    where = np.full(n, -1)
    where[positions] = np.arange(len(positions))
    at = (where >= 0).reshape((-1,) + (1,) * (input.ndim - d - 1))
    spread = P.take(src, np.maximum(where, 0), axis=d)  # src's entry for each position
    return _write_where(input, at, spread)


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """input with its ``diagonal(offset, dim1, dim2)`` replaced by src (whose last axis
    runs along the diagonal, as diagonal() returns it)."""
    d1, d2 = dim1 % input.ndim, dim2 % input.ndim
    n1, n2 = input.shape[d1], input.shape[d2]
    i = np.arange(n1)[:, None]
    j = np.arange(n2)[None, :]
    on = (j - i) == offset
    k = np.minimum(i, j)  # the position along the diagonal
    # src (..., K) placed on a (..., n1, n2) grid of those two axes, then moved back
    spread = P.take(src, np.where(on, k, 0).reshape(-1) % max(np.shape(src)[-1], 1), axis=-1)
    rest = tuple(np.shape(src)[:-1])
    spread = P.reshape(spread, rest + (n1, n2))
    spread = cnp.moveaxis(spread, (-2, -1), (d1, d2))
    mask = np.zeros(input.shape, bool)
    view = np.moveaxis(mask, (d1, d2), (-2, -1))
    view[...] = on
    return _write_where(input, mask, spread)


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """source's slices reduced into input's slices index[i] along dim with "prod",
    "mean", "amax" or "amin" (scatter_reduce along that axis)."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise ValueError(f"index_reduce: reduce must be 'prod', 'mean', 'amax' or 'amin', "
                         f"got {reduce!r}")
    idx = _index_values(index, "index_reduce's index").astype(np.int64)
    d = dim % input.ndim
    shape = [1] * np.ndim(source)
    shape[d] = -1
    full = np.broadcast_to(idx.reshape(shape), np.shape(source))
    return scatter_reduce(input, d, full, source, reduce, include_self=include_self)


def cholesky_solve(B, L, upper=False):
    """X with A X = B, A = L L^T (or U^T U with upper=True) given its Cholesky factor
    (scipy.linalg.cho_solve's two triangular solves)."""
    from ..scipy.linalg import cho_solve

    return _like(B, cho_solve((L, not upper), B))


def cholesky_inverse(L, upper=False):
    """(L L^T)^-1 (or (U^T U)^-1) from a Cholesky factor."""
    n = np.shape(L)[-1]
    eye = np.broadcast_to(np.eye(n, dtype=np.asarray(L._data).dtype), np.shape(L))
    return cholesky_solve(_like(L, _new(eye)), L, upper=upper)


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False):
    """The deprecated torch.triangular_solve: (X with op(A) X = b, a copy of A)."""
    from .linalg import solve_triangular

    a = P.swapaxes(A, -1, -2) if transpose else A
    x = solve_triangular(a, b, upper=upper != transpose, unitriangular=unitriangular)
    return return_types.triangular_solve(_like(b, x), clone(A))


def _range(start=0, end=None, step=1, *, dtype=None, requires_grad=False):
    """``torch.range`` (exported under that name by chainrule.torch; here it would hide
    the builtin): the deprecated torch.range: start, start + step, ... up to and including end, in
    the default float dtype."""
    if end is None:
        start, end = 0, start
    count = int(np.floor((end - start) / step)) + 1
    values = start + step * np.arange(builtins.max(count, 0))
    out = _new(values.astype(dtype or T.get_default_dtype()))
    return out.requires_grad_(requires_grad) if requires_grad else out


def lu(A, pivot=True, get_infos=False, out=None):
    """The deprecated torch.lu: (LU, pivots[, infos]) as torch.linalg.lu_factor."""
    from .linalg import lu_factor

    factored, pivots = lu_factor(A, pivot=pivot, out=out)
    if get_infos:
        return return_types._lu_with_info(factored, pivots,
                                          _new(np.zeros(np.shape(A)[:-2], np.int32)))
    return factored, pivots


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """(P, L, U) from lu_factor's (LU, pivots); differentiable in LU_data."""
    shape = np.shape(LU_data)
    m, n = shape[-2:]
    k = builtins.min(m, n)
    dtype = np.asarray(LU_data._data).dtype
    lower = upper = perm = None
    if unpack_data:
        lower = P.tril(P.getitem(LU_data, (Ellipsis, slice(None), slice(0, k))), -1) + np.eye(
            m, k, dtype=dtype)
        upper = P.triu(P.getitem(LU_data, (Ellipsis, slice(0, k), slice(None))))
    if unpack_pivots:
        order = _lu.perm_from_pivots(_lu.row_order(LU_pivots, "lu_unpack's pivots"), base=1,
                                     m=m)
        perm = _lu.permutation_matrix(order.astype(dtype), dtype)
    return return_types.lu_unpack(*(_like(LU_data, x) if x is not None else _new(np.empty(0))
                                    for x in (perm, lower, upper)))


# ------------------------------------------------------------------ older and other spellings
def ger(input, vec2):
    """The deprecated name of outer."""
    from .functions import outer

    return outer(input, vec2)


def qr(input, some=True):
    """The deprecated torch.qr: torch.linalg.qr with mode 'reduced' (some) or 'complete'."""
    from .linalg import qr as linalg_qr

    q, r = linalg_qr(input, mode="reduced" if some else "complete")
    return return_types.qr(q, r)


def slogdet(input):
    from .linalg import slogdet as linalg_slogdet

    return return_types.slogdet(*linalg_slogdet(input))


def lu_solve(b, LU_data, LU_pivots):
    """The deprecated torch.lu_solve: torch.linalg.lu_solve(LU, pivots, b)."""
    from .linalg import lu_solve as linalg_lu_solve

    return linalg_lu_solve(LU_data, LU_pivots, b)


def nuclear_norm(input, dim=None, keepdim=False):
    from .linalg import matrix_norm

    return matrix_norm(input, "nuc", dim=(-2, -1) if dim is None else dim, keepdim=keepdim)


def frobenius_norm(input, dim=(-2, -1), keepdim=False):
    return _like(input, vector_norm(input, 2, dim=dim, keepdim=keepdim))


def split_with_sizes(input, split_sizes, dim=0):
    from .functions import split

    return split(input, list(split_sizes), dim)


def narrow_copy(input, dim, start, length):
    from .functions import narrow

    return P.copy(narrow(input, dim, start, length))


def as_strided(input, size, stride, storage_offset=None):
    """The elements of ``input``'s storage at ``storage_offset + sum(i_k stride_k)`` for
    every index of ``size`` (overlaps allowed). A contiguous input's own elements only;
    the result is a copy (PyTorch's is a view: writes into it do not reach the input
    here), differentiable, repeated elements' gradients adding up."""
    size = tuple(int(n) for n in size)
    stride = tuple(int(k) for k in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape ({len(stride)} vs "
                           f"{len(size)})")
    if not input._data.flags.c_contiguous:
        raise NotImplementedError("as_strided: the input must be contiguous here; call "
                                  ".contiguous() first")
    first = input.storage_offset()
    offset = first if storage_offset is None else int(storage_offset)
    grids = np.meshgrid(*[np.arange(n) * k for n, k in zip(size, stride)], indexing="ij")
    positions = offset - first + (sum(grids) if grids else np.zeros((), np.int64))
    positions = np.asarray(positions, np.int64)
    if positions.size and (positions.min() < 0 or positions.max() >= input._data.size):
        raise NotImplementedError(
            f"as_strided: size {size}, stride {stride} and offset {offset} reach outside "
            f"the input's own {input._data.size} elements, which is not supported here")
    return _like(input, P.take(P.reshape(input, (-1,)), positions))


def unravel_index(indices, shape):
    """The coordinates (a tuple of int64 tensors) of flat ``indices`` in an array of
    ``shape``."""
    flat = np.asarray(indices._data if isinstance(indices, TensorBase) else indices)
    if flat.dtype.kind not in "iu":
        raise TypeError(f"unravel_index: expected integer indices, got {flat.dtype}")
    size = int(np.prod(shape))
    if flat.size and (flat.min() < -size or flat.max() >= size):
        raise RuntimeError(f"unravel_index: an index is out of bounds for shape {tuple(shape)}")
    coords = np.unravel_index(np.where(flat < 0, flat + size, flat), tuple(shape))
    return tuple(_new(c.astype(np.int64)) for c in coords)


def rsub(input, other, *, alpha=1):
    """other - alpha * input."""
    return _like(input, other - (input if alpha == 1 else alpha * input))


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    """A 0-d tensor of ``s`` in the default float dtype (even for an integer ``s``)."""
    T.check_device(device, "scalar_tensor")
    out = _new(np.asarray(s, T.dtype_of(dtype) if dtype is not None else T.get_default_dtype()))
    return out.requires_grad_(requires_grad) if requires_grad else out


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """``obj`` as a tensor, sharing memory with an array or tensor when no copy is needed
    (``copy=True`` always copies, ``copy=False`` refuses to); Python data is read as
    torch.tensor reads it (floats in the default dtype)."""
    from .creation import _array, as_tensor, tensor

    T.check_device(device, "asarray")
    if isinstance(obj, (TensorBase, np.ndarray)) and not copy:
        current = (obj._data if isinstance(obj, TensorBase) else obj).dtype
        if copy is False and dtype is not None and T.dtype_of(dtype) != current:
            raise ValueError("asarray: copy=False, but a dtype change needs a copy")
        out = as_tensor(obj, dtype=dtype)
    elif copy is False:
        raise ValueError("asarray: copy=False, but Python data needs a copy")
    else:
        out = tensor(_array(obj, dtype))
    return out.requires_grad_(True) if requires_grad else out


def _window(symmetric, window_length, periodic, dtype, who):
    n = int(window_length)
    if n < 0:
        raise RuntimeError(f"{who}: window_length must be non-negative, got {n}")
    dtype = T.dtype_of(dtype) if dtype is not None else T.get_default_dtype()
    if n <= 1:
        return _new(np.ones(n, dtype))
    # A periodic window of n points is the symmetric one of n + 1 without its last.
    values = symmetric(n + 1)[:-1] if periodic else symmetric(n)
    return _new(values.astype(dtype))


def hann_window(window_length, periodic=True, *, dtype=None, device=None,
                requires_grad=False):
    return _window(np.hanning, window_length, periodic, dtype, "hann_window")


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None,
                   device=None, requires_grad=False):
    def symmetric(m):
        return alpha - beta * np.cos(2 * np.pi * np.arange(m) / (m - 1))

    return _window(symmetric, window_length, periodic, dtype, "hamming_window")


def blackman_window(window_length, periodic=True, *, dtype=None, device=None,
                    requires_grad=False):
    return _window(np.blackman, window_length, periodic, dtype, "blackman_window")


def bartlett_window(window_length, periodic=True, *, dtype=None, device=None,
                    requires_grad=False):
    return _window(np.bartlett, window_length, periodic, dtype, "bartlett_window")


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, device=None,
                  requires_grad=False):
    return _window(lambda m: np.kaiser(m, beta), window_length, periodic, dtype,
                   "kaiser_window")


def histogram(input, bins, *, range=None, weight=None, density=False):
    """(hist, bin_edges) in input's dtype: NumPy's histogram (bins a count or the edges)."""
    values = np.asarray(input._data if isinstance(input, TensorBase) else input)
    edges = bins._data if isinstance(bins, TensorBase) else bins
    w = None if weight is None else np.asarray(
        weight._data if isinstance(weight, TensorBase) else weight)
    hist, bin_edges = np.histogram(values, edges, range=range, weights=w, density=density)
    return return_types.histogram(_new(hist.astype(values.dtype)),
                                  _new(bin_edges.astype(values.dtype)))


__all__ = [name for name, value in list(globals().items())
           if callable(value) and not name.startswith("_") and getattr(
               value, "__module__", None) == __name__
           and name not in {"Tensor", "like", "floating", "front", "new_tensor"}]
__all__.append("divide")
