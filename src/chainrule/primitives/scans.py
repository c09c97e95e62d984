"""Running scans: cummax and cummin (values and indices), and a stable logcumsumexp.

cummax and cummin are gathers: NumPy finds, for each position, the index of the running
extreme, and the values are read there, so each cotangent goes to the element that
holds the running maximum (minimum). Ties go to the latest of the equal elements, and
a NaN, once seen, is carried along with its index (PyTorch's convention).

logcumsumexp is a primitive: y_i = log sum_{j <= i} e^(x_j), computed with
np.logaddexp.accumulate, which never overflows and keeps -inf (an all -inf prefix
gives -inf). Its derivative dy_i/dx_j = e^(x_j - y_i) for j <= i (a weight in [0, 1])
would overflow if formed as e^(x_j) e^(-y_i); the two linear maps built from it,

    push(t)_i = sum_{j <= i} t_j e^(x_j - y_i)   (the JVP),
    pull(g)_j = sum_{i >= j} g_i e^(x_j - y_i)   (the VJP, push's transpose),

are primitives of their own that sum in log space, splitting the positive and the
negative parts of t (or g), so no term is ever formed outside [0, max |t|]. Each one's
derivatives are the other one (docs/derivations.md, "logcumsumexp"), so one pair of
rules serves every order. Where y_i = -inf (only -inf so far) the weights are taken
as 0, as logsumexp's are for rows of -inf.
"""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING

import numpy as np

from .. import batching as B
from .. import statements as S
from ..domains import Example
from ..graph import is_tensor, new_tensor_as
from ..rules import composite, nondifferentiable, primitive
from .elementwise import astype
from .indexing import along_axis_rule, gather_along
from .shape import normalize_axes, reshape
from .ufuncs import cumprod

if TYPE_CHECKING:
    from numpy.typing import DTypeLike

    from ..api_types import Operand, ValuesIndices
    from ..tensor import Tensor


CummaxResult = collections.namedtuple("cummax", ["values", "indices"])
CumminResult = collections.namedtuple("cummin", ["values", "indices"])


# ----------------------------------------------------------- cummax, cummin
def _running_index_fwd(x, axis, largest=True):
    """For each position, the index of the running maximum (minimum) so far."""
    x = np.asarray(x)
    running = (np.maximum if largest else np.minimum).accumulate(x, axis=axis)
    # A new record where the element equals the running extreme (so ties move the index
    # forward) or is NaN; the index is the latest record so far.
    record = x == running
    if x.dtype.kind in "fc":
        record |= np.isnan(x)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    positions = np.arange(x.shape[axis]).reshape(shape)
    return np.maximum.accumulate(np.where(record, positions, 0), axis=axis).astype(np.int64)


# A primitive so that cr.vmap recomputes the indices for every example.
running_index = nondifferentiable(
    "running_extreme_index", _running_index_fwd,
    batch=B.softmax_rule,
    statement=S.step("index of the running maximum (largest) or minimum along axis; ties "
                     "and NaN move it forward", r"\arg\max_{j \le i} x_j"),
)


def _running_extreme(input, dim, largest, result, op):
    if np.ndim(input) == 0:
        zero = np.zeros((), np.int64)
        return result(reshape(input, ()), new_tensor_as(zero, input) if is_tensor(input)
                      else zero)
    dim = normalize_axes(dim, np.ndim(input), op)[0]
    idx = running_index(input, axis=dim, largest=largest)
    return result(gather_along(input, idx, axis=dim), idx)


@composite
def cummax(input: Operand, dim: int) -> ValuesIndices:
    """PyTorch's cummax: (running maximum along dim, index where it was attained)."""
    return _running_extreme(input, dim, True, CummaxResult, "cummax")


@composite
def cummin(input: Operand, dim: int) -> ValuesIndices:
    """PyTorch's cummin: (running minimum along dim, index where it was attained)."""
    return _running_extreme(input, dim, False, CumminResult, "cummin")


# ------------------------------------------------------------ logcumsumexp
def _lcse(x, axis):
    """log sum_{j <= i} e^(x_j) along axis, in NumPy."""
    x = np.asarray(x)
    if x.ndim == 0:
        return x.copy()
    return np.logaddexp.accumulate(x, axis=axis)


def _log_parts(t):
    """(log t where t > 0 else -inf, log -t where t < 0 else -inf)."""
    t = np.asarray(t)
    with np.errstate(divide="ignore"):
        return np.log(np.where(t > 0, t, 0)), np.log(np.where(t < 0, -t, 0))


def _push_fwd(t, x, y, axis):
    # sum_{j <= i} t_j e^(x_j - y_i) = e^(lcse(log t + x)_i - y_i), per sign of t.
    y = np.asarray(y)
    pos, neg = _log_parts(t)
    with np.errstate(invalid="ignore"):
        out = np.exp(_lcse(pos + x, axis) - y) - np.exp(_lcse(neg + x, axis) - y)
    return np.where(y == -np.inf, 0, out)


def _reverse_lcse(z, axis):
    z = np.asarray(z)
    if z.ndim == 0:
        return z.copy()
    return np.flip(np.logaddexp.accumulate(np.flip(z, axis), axis=axis), axis)


def _pull_fwd(g, x, y, axis):
    # sum_{i >= j} g_i e^(x_j - y_i) = e^(x_j + reverse_lcse(log g - y)_j), per sign of g;
    # terms with y_i = -inf carry weight 0 (they would be -inf - -inf).
    y = np.asarray(y)
    pos, neg = _log_parts(g)
    dead = y == -np.inf
    with np.errstate(invalid="ignore"):
        pos = np.where(dead, -np.inf, pos - y)
        neg = np.where(dead, -np.inf, neg - y)
        return np.exp(x + _reverse_lcse(pos, axis)) - np.exp(x + _reverse_lcse(neg, axis))


def _with_lcse(rng):
    t = rng.standard_normal((3, 4))
    x = rng.standard_normal((3, 4)) * 2
    return (t, x, _lcse(x, 1)), {"axis": 1}


def _checked_through_lcse(p, t, x, y, axis):
    # y must stay log-cum-sum-exp(x) while x moves: checked as a function of t and x.
    return p(t, x, logcumsumexp(x, axis=axis), axis=axis)


lcse_push = primitive(
    "logcumsumexp_push", _push_fwd,
    batch=along_axis_rule,
    domain=Example(_with_lcse, check_with=_checked_through_lcse),
    statement=S.Statement(
        forward="z_i = sum_{j <= i} t_j e^(x_j - y_i), y = logcumsumexp(x): "
        "logcumsumexp's JVP, summed in log space",
        vjp="t_bar = pull(h);  x_bar = t * pull(h);  y_bar = -h * z",
        latex_forward=r"z_i = \sum_{j \le i} t_j e^{x_j - y_i}",
        latex_vjp=r"\bar t = P^\top \bar z,\ \bar x = t \odot P^\top \bar z,\ "
        r"\bar y = -\bar z \odot z",
    ),
)
lcse_pull = primitive(
    "logcumsumexp_pull", _pull_fwd,
    batch=along_axis_rule,
    domain=Example(_with_lcse, check_with=_checked_through_lcse),
    statement=S.Statement(
        forward="w_j = sum_{i >= j} g_i e^(x_j - y_i), y = logcumsumexp(x): "
        "logcumsumexp's VJP, summed in log space",
        vjp="g_bar = push(h);  x_bar = h * w;  y_bar = -g * push(h)",
        latex_forward=r"w_j = \sum_{i \ge j} g_i e^{x_j - y_i}",
        latex_vjp=r"\bar g = P \bar w,\ \bar x = \bar w \odot w,\ "
        r"\bar y = -g \odot P \bar w",
    ),
)

lcse_push.defvjp(
    lambda h, ans, t, x, y, axis: lcse_pull(h, x, y, axis=axis),
    lambda h, ans, t, x, y, axis: t * lcse_pull(h, x, y, axis=axis),
    lambda h, ans, t, x, y, axis: -(h * ans),
).defjvp(
    lambda dt, ans, t, x, y, axis: lcse_push(dt, x, y, axis=axis),
    lambda dx, ans, t, x, y, axis: lcse_push(t * dx, x, y, axis=axis),
    lambda dy, ans, t, x, y, axis: -(ans * dy),
)
lcse_pull.defvjp(
    lambda h, ans, g, x, y, axis: lcse_push(h, x, y, axis=axis),
    lambda h, ans, g, x, y, axis: h * ans,
    lambda h, ans, g, x, y, axis: -(g * lcse_push(h, x, y, axis=axis)),
).defjvp(
    lambda dg, ans, g, x, y, axis: lcse_pull(dg, x, y, axis=axis),
    lambda dx, ans, g, x, y, axis: ans * dx,
    lambda dy, ans, g, x, y, axis: -lcse_pull(g * dy, x, y, axis=axis),
)

_logcumsumexp = primitive(
    "logcumsumexp", _lcse,
    batch=B.softmax_rule,
    domain=Example(lambda rng: ((rng.standard_normal((3, 4)) * 3,), {"axis": 1})),
    statement=S.Statement(
        forward="y_i = log sum_{j <= i} e^(x_j) along axis (np.logaddexp.accumulate: "
        "no overflow, -inf kept)",
        vjp="x_bar_j = sum_{i >= j} g_i e^(x_j - y_i), each weight in [0, 1], summed in "
        "log space (logcumsumexp_pull)",
        latex_forward=r"y_i = \log \sum_{j \le i} e^{x_j}",
        latex_vjp=r"\bar x_j = \sum_{i \ge j} \bar y_i\, e^{x_j - y_i}",
        jacobian="lower triangular along the axis: dy_i/dx_j = e^(x_j - y_i) for j <= i",
        latex_jacobian=r"\frac{\partial y_i}{\partial x_j} = [j \le i]\, e^{x_j - y_i}",
    ),
).defvjp(
    lambda g, ans, x, axis: lcse_pull(g, x, ans, axis=axis),
).defjvp(
    lambda t, ans, x, axis: lcse_push(t, x, ans, axis=axis),
)


@composite
def logcumsumexp(input: Operand, dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """PyTorch's logcumsumexp: log of the running sum of exponentials along dim, stable."""
    d = axis if dim is None else dim
    if d is None:
        raise TypeError("logcumsumexp: give the dimension to scan along (dim=...)")
    d = normalize_axes(d, np.ndim(input), "logcumsumexp")[0]
    if np.ndim(input) == 0:
        return reshape(input, ())  # log e^x = x
    return _logcumsumexp(input, axis=d)


@composite
def torch_cumprod(input: Operand, dim: int, *, dtype: DTypeLike = None) -> Tensor:
    """PyTorch's cumprod: the running product along dim (exact gradient with zeros)."""
    out = cumprod(input, axis=normalize_axes(dim, max(np.ndim(input), 1), "cumprod")[0])
    if np.ndim(input) == 0:
        out = reshape(out, ())
    return out if dtype is None else astype(out, np.dtype(dtype))
