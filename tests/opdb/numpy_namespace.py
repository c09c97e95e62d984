"""Op database entries: ``chainrule.numpy`` (``cnp.*``), each checked against NumPy's
function of the same name (run on the same float64 arrays)."""

from __future__ import annotations

import numpy as np

import chainrule.numpy as cnp
from chainrule import primitives as P
from chainrule.domains import Domain
from chainrule.numpy import compat

from .core import SHAPES, OpInfo, binary, fixed, reducing, unary

KINKED = Domain(-2.0, 2.0, avoid=(0.0,), gap=0.1)
POSITIVE = Domain(0.3, 2.0)
UNIT = Domain(-0.8, 0.8)
AWAY = Domain(-2.0, 2.0, avoid=(0.0,), gap=0.3)
OFF_INTEGERS = Domain(-2.9, 2.9, avoid=(-2, -1, 0, 1, 2), gap=0.1)


def _np(name, samples, **kw):
    """cnp.name checked against np.name (or its equivalent on a NumPy older than it)."""
    ref = getattr(np, name, None) or getattr(compat, name)
    return OpInfo(f"cnp.{name}", getattr(cnp, name), samples, ref,
                  plain="numpy", **kw)


def _call(name, samples, fn, ref, **kw):
    """cnp.name through a call with fixed options (fn on cnp, ref on NumPy)."""
    return OpInfo(f"cnp.{name}", fn, samples, ref, plain="numpy", **kw)


def _shaped(*shapes, domain=None, **kw):
    dom = domain or Domain()
    return fixed(*[lambda rng, s=s: ((dom.sample(rng, s),), dict(kw)) for s in shapes])


def _pair(rng, a, b, lo=0.5, hi=2.0):
    return rng.uniform(lo, hi, a), rng.uniform(lo, hi, b)


# ------------------------------------------------------------------ elementwise
UNARY_DOMAINS = {
    "abs": KINKED, "absolute": KINKED, "fabs": KINKED, "acos": UNIT, "arccos": UNIT,
    "asin": UNIT, "arcsin": UNIT, "acosh": Domain(1.5, 3.0), "arccosh": Domain(1.5, 3.0),
    "asinh": None, "arcsinh": None, "atan": None, "arctan": None, "atanh": UNIT,
    "arctanh": UNIT, "cbrt": AWAY, "cos": None, "cosh": None, "deg2rad": None,
    "degrees": None, "exp": None, "exp2": None, "expm1": None, "log": POSITIVE,
    "log10": POSITIVE, "log1p": Domain(-0.7, 2.0), "log2": POSITIVE, "negative": None,
    "positive": None, "rad2deg": None, "radians": None, "reciprocal": AWAY, "sin": None,
    "sinc": None, "sinh": None, "sqrt": POSITIVE, "square": None, "tan": Domain(-1.2, 1.2),
    "tanh": None, "conj": None, "conjugate": None, "real": None, "real_if_close": None,
    "nan_to_num": None, "copy": None, "ascontiguousarray": None, "asfortranarray": None,
    "asarray_chkfinite": None, "require": None, "asarray": None, "asanyarray": None,
    "array": None,
}
UNARY = [_np(name, unary(dom)) for name, dom in UNARY_DOMAINS.items()]

_BINARY_DOMAINS = {
    "add": None, "subtract": None, "multiply": None, "divide": P.divide.domain,
    "true_divide": P.divide.domain, "power": P.power.domain, "pow": P.power.domain,
    "hypot": P.hypot.domain, "arctan2": P.arctan2.domain,
    "atan2": P.arctan2.domain, "logaddexp": None, "logaddexp2": None,
}
BINARY = [_np(name, binary(dom or (None, None))) for name, dom in _BINARY_DOMAINS.items()]


def _distinct(rng):
    x = rng.standard_normal((2, 3))
    return (x, x + rng.choice([-1.0, 1.0], (2, 3)) * rng.uniform(0.2, 1.0, (2, 3))), {}, (0, 1)


def _mod_pair(rng):
    y = rng.uniform(1.1, 1.9, (3, 4))
    return ((rng.integers(-2, 3, (3, 4)) + rng.uniform(0.2, 0.8, (3, 4))) * y, y), {}, (0, 1)


# float_power computes in float64 whatever its input (NumPy's definition).
BINARY += [_np("float_power", binary(P.power.domain), float32=False)]
BINARY += [_np(name, fixed(_distinct)) for name in ("maximum", "minimum", "fmax", "fmin")]
BINARY += [_np(name, fixed(_mod_pair)) for name in ("mod", "remainder", "fmod")]
BINARY += [
    _np("ldexp", fixed(lambda rng: ((rng.standard_normal((2, 3)), rng.integers(-3, 4, 3)),
                                    {}, (0,)))),
    _np("divmod", fixed(_mod_pair)),
    _np("modf", unary(OFF_INTEGERS)),
    _np("frexp", unary(AWAY)),
]

NO_GRADIENT_UNARY = ["ceil", "floor", "rint", "trunc", "fix", "sign", "signbit", "isfinite",
                     "isinf", "isnan", "round", "around", "angle", "spacing", "logical_not"]
NO_GRADIENT_BINARY = ["equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
                      "logical_and", "logical_or", "logical_xor", "nextafter", "isclose"]
def _integer_pair(rng):
    return (rng.integers(-40, 60, (2, 3)), rng.integers(1, 7, 3)), {}, (0, 1)


def _integers(rng):
    return (rng.integers(-40, 60, (2, 3)),), {}


def _with_zeros(shape):
    def make(rng):
        x = rng.standard_normal(shape)
        return (np.where(rng.uniform(size=shape) < 0.4, 0.0, x),), {}

    return make


INTEGER_BINARY = ["bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift",
                  "bitwise_left_shift", "bitwise_right_shift", "gcd", "lcm"]
INTEGER_UNARY = ["invert", "bitwise_not", "bitwise_invert", "bitwise_count"]
NO_GRADIENT = (
    [_np(name, fixed(_integer_pair), differentiable=False, float32=False, list_inputs=False)
     for name in INTEGER_BINARY]
    + [_np(name, fixed(_integers), differentiable=False, float32=False, list_inputs=False)
       for name in INTEGER_UNARY]
    # (indices of nonzeros: their number depends on the values, so no vmap of them)
    + [_np(name, fixed(_with_zeros((7,)), _with_zeros((3, 4))), differentiable=False,
           traces=False, list_inputs=False) for name in ("nonzero", "argwhere", "flatnonzero")]
    + [_np(name, unary(OFF_INTEGERS), differentiable=False) for name in NO_GRADIENT_UNARY]
    + [_np(name, binary(), differentiable=False) for name in NO_GRADIENT_BINARY]
    + [_np("floor_divide", fixed(_mod_pair), differentiable=False)]
    + [_np(name, reducing(axes=(None, 0, -1), keepdims=(None,), empty=False),
           differentiable=False) for name in ("argmax", "argmin")]
    + [_np("argsort", _shaped((4,), (2, 3)), differentiable=False),
       _call("argpartition", _shaped((5,), (2, 5)), lambda x: cnp.argpartition(x, 2),
             lambda x: np.partition(x, 2).shape and np.argpartition(x, 2),
             differentiable=False),
       _np("imag", unary(), differentiable=False)]
)


# ------------------------------------------------------------------ reductions
def _spread(rng, shape):
    n = int(np.prod(shape))
    return rng.permutation(n).reshape(shape) * 0.5 + rng.uniform(-0.1, 0.1, shape)


def _moments(name, ddof):
    def make(rng):
        cases = []
        for shape, axis in [((3, 4), None), ((3, 4), 0), ((2, 3, 2), (0, 2)), ((5,), -1)]:
            for keepdims in (False, True):
                cases.append(((_spread(rng, shape),),
                              {"axis": axis, "keepdims": keepdims, "ddof": ddof}))
        return fixed(*cases)(rng)

    return _np(name, make)


def _distinct_values(shape):
    return fixed(lambda rng: ((_spread(rng, shape),), {}),
                 lambda rng: ((_spread(rng, shape),), {"axis": 0}),
                 lambda rng: ((_spread(rng, shape),), {"axis": -1, "keepdims": True}))


REDUCTIONS = [
    _np("sum", reducing()),
    _np("mean", reducing(empty=False)),
    _np("prod", reducing(Domain(0.5, 1.5))),
    _np("max", _distinct_values((3, 4))),
    _np("amax", _distinct_values((3, 4))),
    _np("min", _distinct_values((3, 4))),
    _np("amin", _distinct_values((3, 4))),
    _np("ptp", _distinct_values((3, 4))),
    _moments("var", 0), _moments("var", 1), _moments("std", 0), _moments("std", 1),
    _np("average", fixed(
        lambda rng: ((rng.standard_normal((2, 3)),), {}),
        lambda rng: ((rng.standard_normal((2, 3)),), {"axis": 1,
                                                       "weights": rng.uniform(0.5, 1, 3)}),
        lambda rng: ((rng.standard_normal((2, 3)), 0, rng.uniform(0.5, 1, (2, 3))), {},
                     (0, 2)),
    )),
    _np("cumsum", reducing(axes=(None, 0, -1), keepdims=(None,))),
    _np("cumprod", reducing(Domain(0.5, 1.5), axes=(None, 0, -1), keepdims=(None,))),
    _np("cumulative_sum", fixed(
        lambda rng: ((rng.standard_normal(4),), {}),
        lambda rng: ((rng.standard_normal((2, 3)),), {"axis": 1, "include_initial": True}),
    )),
    _np("cumulative_prod", fixed(
        lambda rng: ((rng.uniform(0.5, 1.5, 4),), {"include_initial": True}),
        lambda rng: ((rng.uniform(0.5, 1.5, (2, 3)),), {"axis": 0}),
    )),
    _np("sort", fixed(lambda rng: ((_spread(rng, (3, 4)),), {}),
                      lambda rng: ((_spread(rng, (3, 4)),), {"axis": 0}))),
    _call("partition", fixed(lambda rng: ((_spread(rng, (2, 5)),), {})),
          lambda x: cnp.partition(x, 2), lambda x: np.partition(x, 2)),
]


# ------------------------------------------------------------------------ shape
_ENDS = np.array([0.0, 0.0, 1.0, 1.0, 1.0, 0.0])


def _with(shape, *args, **kw):
    return lambda rng: ((rng.standard_normal(shape), *args), kw)


def _two(a, b, **kw):
    return lambda rng: ((rng.standard_normal(a), rng.standard_normal(b)), kw, (0, 1))


def _seq(name, *cases, **kw):
    """A function of a sequence of arrays (concatenate, stack, ...), checked on two."""
    return OpInfo(f"cnp.{name}", lambda a, b, **k: getattr(cnp, name)([a, b], **k),
                  fixed(*cases), lambda a, b, **k: getattr(np, name)([a, b], **k),
                  plain="numpy", list_inputs=False, **kw)


SHAPE = [
    _np("reshape", fixed(_with((2, 3), (3, 2)), _with((2, 3), -1), _with((), (1, 1)))),
    _np("ravel", _shaped((2, 3), (), (0, 2))),
    _np("transpose", fixed(_with((2, 3)), _with((2, 3, 4), (2, 0, 1)))),
    _np("permute_dims", fixed(_with((2, 3, 4), (1, 2, 0)))),
    _np("matrix_transpose", _shaped((2, 3), (2, 3, 4))),
    _np("moveaxis", fixed(_with((2, 3, 4), 0, -1), _with((2, 3, 4), (0, 1), (2, 0)))),
    _np("rollaxis", fixed(_with((2, 3, 4), 2), _with((2, 3, 4), 0, 2))),
    _np("swapaxes", fixed(_with((2, 3, 4), 0, 2))),
    _np("squeeze", fixed(_with((1, 3, 1)), _with((1, 3, 1), 0))),
    _np("expand_dims", fixed(_with((2, 3), 1), _with((2, 3), (0, 3)))),
    _np("broadcast_to", fixed(_with((3,), (2, 3)), _with((), (2,)))),
    _np("broadcast_arrays", fixed(_two((3,), (2, 1)))),
    _seq("concatenate", _two((2, 3), (1, 3)), _two((2, 3), (2, 2), axis=1)),
    _seq("concat", _two((2, 3), (1, 3))),
    _seq("stack", _two((2, 3), (2, 3)), _two((), (), axis=-1)),
    _seq("hstack", _two((2, 3), (2, 1)), _two((3,), (2,))),
    _seq("vstack", _two((2, 3), (1, 3)), _two((3,), (3,))),
    _seq("row_stack", _two((2, 3), (1, 3))) if hasattr(np, "row_stack") else None,
    _seq("dstack", _two((2, 3), (2, 3))),
    _seq("column_stack", _two((3,), (3, 2))),
    _np("append", fixed(_two((2, 3), (4,)), _two((2, 3), (1, 3), axis=0))),
    _call("split", _shaped((4, 3)), lambda x: cnp.split(x, 2), lambda x: np.split(x, 2)),
    _call("array_split", _shaped((5, 2)), lambda x: cnp.array_split(x, 3),
          lambda x: np.array_split(x, 3)),
    _call("hsplit", _shaped((2, 4)), lambda x: cnp.hsplit(x, 2), lambda x: np.hsplit(x, 2)),
    _call("vsplit", _shaped((4, 2)), lambda x: cnp.vsplit(x, [1]),
          lambda x: np.vsplit(x, [1])),
    _call("dsplit", _shaped((2, 2, 4)), lambda x: cnp.dsplit(x, 2),
          lambda x: np.dsplit(x, 2)),
    _np("atleast_1d", _shaped((), (3,))),
    _np("atleast_2d", _shaped((), (3,), (2, 3))),
    _np("atleast_3d", _shaped((), (3,), (2, 3))),
    _np("flip", fixed(_with((2, 3)), _with((2, 3), 1))),
    _np("fliplr", _shaped((2, 3))),
    _np("flipud", _shaped((2, 3))),
    _np("rot90", fixed(_with((2, 3)), _with((2, 3), 3))),
    _np("roll", fixed(_with((2, 3), 1), _with((2, 3), -1, 1))),
    _np("repeat", fixed(_with((2, 3), 2), _with((2, 3), [1, 0, 2], 1))),
    _np("tile", fixed(_with((2, 3), 2), _with((3,), (2, 1)))),
    _np("pad", fixed(_with((2, 3), ((1, 0), (0, 2))), _with((3,), 1))),
    _np("take", fixed(_with((2, 3), np.array([0, 2, 2]), -1), _with((4,), [1, 3]))),
    _np("take_along_axis", fixed(_with((2, 3), np.array([[0, 2], [1, 1]]), 1))),
    _np("diff", fixed(_with((4,)), _with((3, 4), 2, 0))),
    _np("astype", fixed(_with((2, 3), np.float64)), float32=False),  # asks for float64
    _call("choose", fixed(lambda rng: ((rng.standard_normal((3, 3)),), {})),
          lambda c: cnp.choose(np.array([0, 2, 1]), c),
          lambda c: np.choose(np.array([0, 2, 1]), c)),
    _call("compress", _shaped((3, 4)), lambda x: cnp.compress([1, 0, 1], x, axis=0),
          lambda x: np.compress([1, 0, 1], x, axis=0)),
    # (A condition computed from the traced values selects a different number of
    # elements per example or call: refused under cr.vmap and cr.compile.)
    _call("extract", _shaped((3, 4)), lambda x: cnp.extract(x > 0, x),
          lambda x: np.extract(x > 0, x), list_inputs=False, traces=False),
    _np("resize", fixed(_with((2, 3), (3, 4)), _with((3,), 2))),
    # The zeros at the ends stay zeros when the samples are perturbed: x times a mask.
    # (Its size comes from the values: cr.vmap and cr.compile refuse it.)
    _call("trim_zeros", _shaped((6,)), lambda x: cnp.trim_zeros(x * _ENDS),
          lambda x: np.trim_zeros(x * _ENDS), list_inputs=False, traces=False),
    _np("unstack", fixed(_with((2, 3)), _with((2, 3), axis=1))),
    _np("diagflat", fixed(_with((2, 2)), _with((3,), 1))),
    _np("diag", fixed(_with((3,)), _with((3, 3), -1))),
    _np("diagonal", fixed(_with((3, 3)), _with((2, 3, 3), 0, 1, 2))),
    _np("tril", fixed(_with((3, 3)), _with((3, 4), 1))),
    _np("triu", fixed(_with((3, 3)), _with((3, 4), -1))),
    _call("apply_along_axis", _shaped((3, 4)),
          lambda x: cnp.apply_along_axis(lambda v: v * cnp.sum(v), 1, x),
          lambda x: np.apply_along_axis(lambda v: v * np.sum(v), 1, x)),
    _call("apply_over_axes", _shaped((2, 3, 2)),
          lambda x: cnp.apply_over_axes(cnp.sum, x, [0, 2]),
          lambda x: np.apply_over_axes(np.sum, x, [0, 2])),
    _np("where", fixed(lambda rng: ((rng.random((2, 3)) > 0.5, rng.standard_normal((2, 3)),
                                     rng.standard_normal(3)), {}, (1, 2)))),
    _call("select", fixed(_two((3,), (3,))),
          lambda a, b: cnp.select([a > 0, b > 0], [a, b], 0.5),
          lambda a, b: np.select([a > 0, b > 0], [a, b], 0.5), list_inputs=False),
    _call("clip", unary(Domain(-2.0, 2.0, avoid=(-0.5, 0.8), gap=0.05)),
          lambda x: cnp.clip(x, -0.5, 0.8), lambda x: np.clip(x, -0.5, 0.8)),
]
SHAPE = [op for op in SHAPE if op is not None]


# --------------------------------------------------------------------- products
PRODUCTS = [
    _np("matmul", binary(pairs=[((2, 3), (3, 4)), ((3,), (3,)), ((2, 2, 3), (3,))])),
    _np("dot", binary(pairs=[((), (3,)), ((2, 3), (3,)), ((2, 3), (3, 2))])),
    _np("vdot", binary(pairs=[((2, 3), (6,))])),
    _np("inner", binary(pairs=[((3,), (3,)), ((2, 3), (4, 3))])),
    _np("outer", binary(pairs=[((3,), (2,)), ((2, 2), (3,))])),
    _np("kron", binary(pairs=[((2,), (3,)), ((2, 2), (1, 3))])),
    _np("cross", binary(pairs=[((3,), (3,)), ((2, 3), (3,))])),
    _np("tensordot", binary(pairs=[((2, 3, 4), (3, 4, 2))])),
    _call("tensordot", binary(pairs=[((2, 3), (3, 4))]),
          lambda a, b: cnp.tensordot(a, b, axes=1), lambda a, b: np.tensordot(a, b, axes=1)),
    _np("trace", fixed(_with((3, 3)), _with((2, 3, 3), 0, 1, 2))),
    _np("vecdot", binary(pairs=[((2, 3), (3,)), ((4,), (4,))])),
    _np("matvec", binary(pairs=[((2, 3, 4), (4,))])),
    _np("vecmat", binary(pairs=[((3,), (2, 3, 4))])),
    _call("einsum", binary(pairs=[((2, 3), (3, 4))]),
          lambda a, b: cnp.einsum("ij,jk->ik", a, b), lambda a, b: np.einsum("ij,jk->ik", a, b)),
    _call("einsum (repeated index)", _shaped((3, 3), (2, 2)),
          lambda a: cnp.einsum("ii->i", a), lambda a: np.einsum("ii->i", a)),
    _call("einsum (trace)", _shaped((3, 3)), lambda a: cnp.einsum("ii", a),
          lambda a: np.einsum("ii", a)),
    _call("einsum (sublists)", binary(pairs=[((2, 3), (3, 4))]),
          lambda a, b: cnp.einsum(a, [0, 1], b, [1, 2], [0, 2]),
          lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [0, 2])),
]


# --------------------------------------------------------------------- creation
def _scalar(lo=-1.0, hi=1.0):
    return lambda rng: ((np.array(rng.uniform(lo, hi)),), {})


CREATION = [
    _call("full", fixed(_scalar()), lambda v: cnp.full((2, 3), v),
          lambda v: np.full((2, 3), v), list_inputs=False),
    # The fill takes the float64 dtype of the array it is like, as in NumPy.
    _call("full_like", fixed(_scalar()), lambda v: cnp.full_like(np.ones(3), v),
          lambda v: np.full_like(np.ones(3), v), list_inputs=False, float32=False),
    _np("zeros_like", unary(), differentiable=False),
    _np("ones_like", unary(), differentiable=False),
    _call("empty_like", unary(), lambda x: cnp.empty_like(x).shape and cnp.zeros_like(x),
          None, differentiable=False),
    _np("linspace", fixed(lambda rng: ((rng.standard_normal(2), rng.standard_normal(2)),
                                       {"num": 4}, (0, 1)),
                          lambda rng: ((np.array(0.5), np.array(2.0)),
                                       {"num": 5, "endpoint": False}, (0, 1)),
                          lambda rng: ((rng.standard_normal(3), 1.0),
                                       {"num": 3, "axis": 1}, (0,)))),
    _np("logspace", fixed(lambda rng: ((np.array(0.2), np.array(1.5)), {"num": 4}, (0, 1)),
                          lambda rng: ((np.array(0.2), 1.0, 3, True, np.array(2.5)), {},
                                       (0, 4)))),
    _np("geomspace", fixed(lambda rng: ((np.array(0.5), np.array(4.0)), {"num": 4}, (0, 1)),
                           lambda rng: ((np.array(-0.5), np.array(-4.0)), {"num": 3},
                                        (0, 1)))),
    # NumPy's arange is float64 here even for float32 start and step. (The count comes
    # from the values of start and step: cr.vmap and cr.compile refuse them as tensors.)
    _np("arange", fixed(lambda rng: ((np.array(0.25), 3.0, np.array(0.5)), {}, (0, 2))),
        float32=False, traces=False),
]


# ------------------------------------------------------------- calculus, polynomials
def _coords(rng, n):
    return np.cumsum(rng.uniform(0.5, 1.5, n))


OTHERS = [
    _np("gradient", fixed(_with((5,)), _with((3, 4), 0.5), _with((3, 4), axis=1,
                                                                 edge_order=2))),
    _call("gradient", fixed(lambda rng: ((rng.standard_normal((3, 5)), _coords(rng, 5)),
                                         {"axis": 1, "edge_order": 2}, (0, 1))),
          cnp.gradient, np.gradient, list_inputs=False),
    _np("unwrap", fixed(lambda rng: ((np.cumsum(rng.uniform(0.5, 2.0, 8)) % (2 * np.pi),),
                                     {}))),
    _np("polyval", fixed(_two((4,), (3,)), _two((1,), ()))),
    _np("polyadd", fixed(_two((4,), (2,)))),
    _np("polysub", fixed(_two((2,), (3,)))),
    _np("polymul", fixed(_two((3,), (2,)))),
    _np("polydiv", fixed(lambda rng: ((rng.standard_normal(4), rng.uniform(1, 2, 2)), {},
                                      (0, 1)))),
    _np("polyder", fixed(_with((4,)), _with((4,), 2))),
    _np("polyint", fixed(_with((3,)), _with((3,), 2, [1.0, 2.0]))),
    _np("poly", _shaped((3,))),
    _np("vander", fixed(_with((3,)), _with((4,), 3, True))),
]

OPS = UNARY + BINARY + NO_GRADIENT + REDUCTIONS + SHAPE + PRODUCTS + CREATION + OTHERS
_ = SHAPES
