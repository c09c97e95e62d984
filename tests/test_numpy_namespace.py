"""chainrule.numpy: NumPy's values on plain arrays, checked derivatives on tensors, protocols.

Every case below is run three ways: on plain arrays it must return exactly what NumPy
returns; on tensors its value must match NumPy's and its VJP and JVP must match
central finite differences to second order (gradcheck, float64); and NumPy's own
function called on tensors must dispatch to it (Tensor.__array_function__ /
__array_ufunc__) and record.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp
from chainrule import rules
from chainrule.backward import backward
from chainrule.numpy import dispatch
from chainrule.scipy import special

UNARY_SHAPES = [(), (2,), (3, 2), (1, 2)]
BINARY_SHAPES = [
    ((), ()),
    ((2,), (2,)),
    ((3, 2), (2,)),
    ((3, 1), (1, 2)),
    ((), (3, 2)),
    ((1, 2), (3, 1)),
]


def _values(rng, shape, domain):
    lo, hi = domain
    x = rng.uniform(lo, hi, size=shape)
    return np.asarray(x, dtype=np.float64)


def _signed(lo, hi):
    """Magnitudes in [lo, hi] with random signs: away from a kink or pole at 0."""

    def draw(rng, shape):
        return rng.uniform(lo, hi, size=shape) * rng.choice([-1.0, 1.0], size=shape)

    return draw


def case(name, fn, shapes, domain=(-2.0, 2.0), protocol=True, atol=1e-5):
    return pytest.param(fn, shapes, domain, protocol, atol, id=name)


def unary(name, domain=(-2.0, 2.0)):
    return case(name, lambda m, x: getattr(m, name)(x), [(s,) for s in UNARY_SHAPES], domain)


def binary(name, domain=(-2.0, 2.0)):
    return case(name, lambda m, x, y: getattr(m, name)(x, y), BINARY_SHAPES, domain)


POS = (0.3, 2.5)
UNIT = (-0.9, 0.9)
AWAY = _signed(0.3, 2.0)


def _reduce(m, x, name, axis):
    return getattr(m, name)(x, axis=axis)


def reduction(name, axis):
    return case(f"{name}-axis{axis}", functools.partial(_reduce, name=name, axis=axis), [((3, 2),)])


def _norm(m, x, ord):
    return m.linalg.norm(x, ord)


def norm(ord, shape):
    return case(f"norm{shape}-{ord}", functools.partial(_norm, ord=ord), [(shape,)], AWAY)


def _rot90(m, x, k):
    return m.rot90(x, k)


def _pad(m, x, mode):
    return m.pad(x, ((1, 2), (2, 1)), mode=mode)


CASES = [
    # ufuncs
    *[
        unary(n)
        for n in [
            "negative",
            "positive",
            "exp",
            "exp2",
            "expm1",
            "sin",
            "cos",
            "tan",
            "arctan",
            "sinh",
            "cosh",
            "tanh",
            "arcsinh",
            "square",
            "deg2rad",
            "radians",
            "rad2deg",
            "degrees",
            "conjugate",
            "conj",
            "sinc",
            "real",
            "imag",
            "nan_to_num",
        ]
    ],
    *[unary(n, POS) for n in ["log", "log2", "log10", "sqrt"]],
    unary("log1p", (-0.5, 2.0)),
    *[unary(n, UNIT) for n in ["arcsin", "arccos", "arctanh"]],
    unary("arccosh", (1.3, 3.0)),
    *[unary(n, AWAY) for n in ["reciprocal", "cbrt", "absolute", "abs", "fabs"]],
    *[
        binary(n)
        for n in [
            "add",
            "subtract",
            "multiply",
            "maximum",
            "minimum",
            "fmax",
            "fmin",
            "logaddexp",
            "logaddexp2",
            "hypot",
            "arctan2",
        ]
    ],
    *[binary(n, AWAY) for n in ["divide", "true_divide"]],
    binary("power", POS),
    *[binary(n, (0.6, 2.2)) for n in ["mod", "remainder", "fmod"]],
    case(
        "matmul",
        lambda m, a, b: m.matmul(a, b),
        [((3, 2), (2, 4)), ((2,), (2, 3)), ((2, 3, 2), (2,))],
    ),
    # reductions
    *[
        reduction(n, ax)
        for n in ["sum", "mean", "prod", "max", "amax", "min", "amin", "ptp", "var", "std"]
        for ax in (None, 0, -1)
    ],
    case("sum-keepdims", lambda m, x: m.sum(x, axis=1, keepdims=True), [((3, 2),)]),
    case("var-ddof", lambda m, x: m.var(x, axis=0, ddof=1), [((3, 2),)]),
    case("std-ddof", lambda m, x: m.std(x, ddof=1), [((3, 2),)]),
    case("sum-0d", lambda m, x: m.sum(x), [((),)]),
    *[reduction(n, ax) for n in ["cumsum", "cumprod"] for ax in (None, 0, 1)],
    case("average", lambda m, x, w: m.average(x, axis=0, weights=w), [((3, 2), (3,))], POS),
    case("average-full", lambda m, x, w: m.average(x, weights=w), [((3, 2), (3, 2))], POS),
    case("trace", lambda m, x: m.trace(x), [((3, 3),), ((3, 2),)]),
    case("trace-offset", lambda m, x: m.trace(x, 1, 1, 2), [((2, 3, 3),)]),
    # linear algebra
    case(
        "dot",
        lambda m, a, b: m.dot(a, b),
        [((2,), (2,)), ((3, 2), (2,)), ((3, 2), (2, 4)), ((), (3,))],
    ),
    case("dot-3d", lambda m, a, b: m.dot(a, b), [((2, 3, 2), (2, 2))]),
    case("vdot", lambda m, a, b: m.vdot(a, b), [((3, 2), (3, 2))]),
    case("tensordot", lambda m, a, b: m.tensordot(a, b, axes=1), [((3, 2), (2, 4))]),
    case(
        "tensordot-pairs",
        lambda m, a, b: m.tensordot(a, b, axes=([0, 1], [1, 0])),
        [((3, 2), (2, 3))],
    ),
    case("einsum", lambda m, a, b: m.einsum("ij,jk->ik", a, b), [((3, 2), (2, 4))]),
    case("outer", lambda m, a, b: m.outer(a, b), [((3,), (2,)), ((2, 2), (3,))]),
    case("inner", lambda m, a, b: m.inner(a, b), [((3, 2), (4, 2)), ((2,), (2,))]),
    case("kron", lambda m, a, b: m.kron(a, b), [((2, 2), (3, 2)), ((2,), (3,)), ((2,), (2, 2))]),
    case("cross", lambda m, a, b: m.cross(a, b), [((3,), (3,)), ((2, 3), (3,))]),
    case("cross-axis", lambda m, a, b: m.cross(a, b, axis=0), [((3, 2), (3, 2))]),
    case("diag", lambda m, v: m.diag(v), [((3,),), ((3, 3),)]),
    case("diag-k", lambda m, v: m.diag(v, 1), [((2,),), ((3, 4),)]),
    case("diag-negk", lambda m, v: m.diag(v, -1), [((2,),)]),
    case("diagonal", lambda m, a: m.diagonal(a), [((3, 2),), ((2, 3, 3),)]),
    case("diagonal-offset", lambda m, a: m.diagonal(a, -1, 1, 2), [((2, 3, 3),)]),
    case("triu", lambda m, a: m.triu(a), [((3, 3),), ((2, 3, 2),)]),
    case("tril-k", lambda m, a: m.tril(a, -1), [((3, 4),)]),
    case("triu-k", lambda m, a: m.triu(a, 1), [((3, 4),)]),
    # numpy.linalg
    *[norm(o, (3,)) for o in [None, 1, 2, 3, np.inf, -np.inf]],
    *[norm(o, (3, 2)) for o in [None, "fro", 1, -1, np.inf, -np.inf]],
    case("norm-axis", lambda m, x: m.linalg.norm(x, axis=1, keepdims=True), [((3, 2),)]),
    case("norm-axes", lambda m, x: m.linalg.norm(x, 1, axis=(2, 0)), [((2, 3, 2),)], AWAY),
    case("inv", lambda m, a: m.linalg.inv(a + 3 * np.eye(3)), [((3, 3),), ((2, 3, 3),)]),
    case("det", lambda m, a: m.linalg.det(a + 3 * np.eye(3)), [((3, 3),), ((2, 3, 3),)]),
    case("slogdet", lambda m, a: m.linalg.slogdet(a - 3 * np.eye(2))[1], [((2, 2),), ((2, 2, 2),)]),
    case(
        "solve",
        lambda m, a, b: m.linalg.solve(a + 3 * np.eye(3), b),
        [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3,)), ((2, 3, 3), (2, 3, 1))],
    ),
    case(
        "cholesky",
        lambda m, a: m.linalg.cholesky(m.matmul(a, m.swapaxes(a, -1, -2)) + np.eye(3)),
        [((3, 3),), ((2, 3, 3),)],
    ),
    case(
        "cholesky-upper",
        lambda m, a: m.linalg.cholesky(m.matmul(a, a.T) + np.eye(2), upper=True),
        [((2, 2),)],
    ),
    case("pinv", lambda m, a: m.linalg.pinv(a), [((3, 2),), ((2, 3),), ((2, 3, 2),)]),
    case("matrix_power", lambda m, a: m.linalg.matrix_power(a, 3), [((2, 2),)]),
    case(
        "matrix_power-neg", lambda m, a: m.linalg.matrix_power(a + 3 * np.eye(2), -2), [((2, 2),)]
    ),
    case("multi_dot", lambda m, a, b, c: m.linalg.multi_dot([a, b, c]), [((2,), (2, 3), (3, 2))]),
    case("linalg.trace", lambda m, a: m.linalg.trace(a), [((2, 3, 3),)]),
    case("linalg.diagonal", lambda m, a: m.linalg.diagonal(a, offset=1), [((2, 3, 3),)]),
    case("linalg.outer", lambda m, a, b: m.linalg.outer(a, b), [((2,), (3,))]),
    case("linalg.matrix_transpose", lambda m, a: m.linalg.matrix_transpose(a), [((2, 3, 2),)]),
    # shape
    case("reshape", lambda m, x: m.reshape(x, (2, 3)), [((3, 2),)]),
    case("reshape-int", lambda m, x: m.reshape(x, -1), [((3, 2),)]),
    case("ravel", lambda m, x: m.ravel(x), [((3, 2),), ((),)]),
    case("transpose", lambda m, x: m.transpose(x), [((3, 2),), ((2, 3, 2),)]),
    case("transpose-axes", lambda m, x: m.transpose(x, (1, 2, 0)), [((2, 3, 2),)]),
    case("permute_dims", lambda m, x: m.permute_dims(x, (1, 0)), [((3, 2),)]),
    case("matrix_transpose", lambda m, x: m.matrix_transpose(x), [((2, 3, 2),)]),
    case("moveaxis", lambda m, x: m.moveaxis(x, 0, -1), [((2, 3, 2),)]),
    case("moveaxis-tuple", lambda m, x: m.moveaxis(x, (0, 1), (2, 0)), [((2, 3, 1),)]),
    case("rollaxis", lambda m, x: m.rollaxis(x, 2), [((2, 3, 2),)]),
    case("swapaxes", lambda m, x: m.swapaxes(x, 0, 2), [((2, 3, 2),)]),
    case("squeeze", lambda m, x: m.squeeze(x), [((1, 2),), ((3, 1),)]),
    case("expand_dims", lambda m, x: m.expand_dims(x, (0, 2)), [((3, 2),)]),
    case("broadcast_to", lambda m, x: m.broadcast_to(x, (3, 2)), [((1, 2),), ((),)]),
    case(
        "broadcast_arrays",
        lambda m, x, y: m.broadcast_arrays(x, y)[0] * 2 + m.broadcast_arrays(x, y)[1],
        [((3, 1), (1, 2))],
    ),
    case("concatenate", lambda m, x, y: m.concatenate([x, y]), [((3, 2), (1, 2))]),
    case("concatenate-none", lambda m, x, y: m.concatenate([x, y], axis=None), [((3, 2), (2,))]),
    case("concat", lambda m, x, y: m.concat((x, y), axis=1), [((3, 2), (3, 1))]),
    case("stack", lambda m, x, y: m.stack([x, y], axis=1), [((3, 2), (3, 2)), ((2,), (2,))]),
    case("stack-0d", lambda m, x, y: m.stack([x, y]), [((), ())]),
    case("hstack", lambda m, x, y: m.hstack([x, y]), [((3, 2), (3, 1)), ((2,), (3,))]),
    case("vstack", lambda m, x, y: m.vstack([x, y]), [((3, 2), (1, 2)), ((2,), (2,))]),
    case("row_stack", lambda m, x, y: m.row_stack([x, y]), [((2,), (2,))], protocol=False),
    case("dstack", lambda m, x, y: m.dstack([x, y]), [((3, 2), (3, 2)), ((2,), (2,))]),
    case("column_stack", lambda m, x, y: m.column_stack([x, y]), [((3,), (3, 2))]),
    case("split", lambda m, x: m.split(x, 3)[1], [((3, 2),)]),
    case("split-indices", lambda m, x: m.split(x, [1], axis=1)[1], [((3, 2),)]),
    case("array_split", lambda m, x: m.array_split(x, 2)[0], [((3, 2),)]),
    case("hsplit", lambda m, x: m.hsplit(x, 2)[1], [((3, 2),)]),
    case("vsplit", lambda m, x: m.vsplit(x, [2])[0], [((3, 2),)]),
    case("dsplit", lambda m, x: m.dsplit(x, 2)[0], [((1, 2, 2),)]),
    case("tile", lambda m, x: m.tile(x, (2, 1, 2)), [((3, 2),), ((),)]),
    case("tile-int", lambda m, x: m.tile(x, 2), [((2,),)]),
    case("repeat", lambda m, x: m.repeat(x, 2), [((3, 2),)]),
    case("repeat-axis", lambda m, x: m.repeat(x, [1, 3], axis=1), [((3, 2),)]),
    case("flip", lambda m, x: m.flip(x), [((3, 2),)]),
    case("flip-axis", lambda m, x: m.flip(x, 1), [((3, 2),)]),
    case("flipud", lambda m, x: m.flipud(x), [((3, 2),)]),
    case("fliplr", lambda m, x: m.fliplr(x), [((3, 2),)]),
    case("roll", lambda m, x: m.roll(x, 1), [((3, 2),)]),
    case("roll-axes", lambda m, x: m.roll(x, (1, -1), axis=(0, 1)), [((3, 2),)]),
    *[case(f"rot90-{k}", functools.partial(_rot90, k=k), [((3, 2),)]) for k in (1, 2, 3, 4)],
    case("rot90-axes", lambda m, x: m.rot90(x, 1, axes=(2, 0)), [((2, 3, 2),)]),
    case("pad", lambda m, x: m.pad(x, ((1, 0), (2, 1))), [((3, 2),)]),
    case("pad-value", lambda m, x: m.pad(x, 1, constant_values=2.0), [((2,),)]),
    *[
        case(f"pad-{mode}", functools.partial(_pad, mode=mode), [((3, 2),)])
        for mode in ("edge", "reflect", "symmetric", "wrap")
    ],
    case("atleast_1d", lambda m, x: m.atleast_1d(x), [((),)]),
    case("atleast_2d", lambda m, x: m.atleast_2d(x), [((),), ((2,),)]),
    case("atleast_3d", lambda m, x: m.atleast_3d(x), [((),), ((2,),), ((3, 2),)]),
    case(
        "atleast_2d-many",
        lambda m, x, y: m.atleast_2d(x, y)[0] + m.atleast_2d(x, y)[1],
        [((2,), (1, 2))],
    ),
    case("append", lambda m, x, y: m.append(x, y), [((3, 2), (2,))]),
    case("append-axis", lambda m, x, y: m.append(x, y, axis=0), [((3, 2), (1, 2))]),
    case("diff", lambda m, x: m.diff(x), [((3, 2),), ((4,),)]),
    case("diff-n2", lambda m, x: m.diff(x, n=2, axis=0), [((4, 2),)]),
    case("diff-prepend", lambda m, x: m.diff(x, prepend=0.5, append=x[:, :1]), [((3, 2),)]),
    case("copy", lambda m, x: m.copy(x), [((3, 2),)]),
    # selection
    case("take", lambda m, x: m.take(x, [0, 2, 2]), [((3, 2),)]),
    case("take-axis", lambda m, x: m.take(x, np.array([[1, 0], [1, 1]]), axis=0), [((3, 2),)]),
    case(
        "take_along_axis",
        lambda m, x: m.take_along_axis(x, np.array([[1], [0], [1]]), axis=1),
        [((3, 2),)],
    ),
    case("where", lambda m, x, y: m.where(np.array([True, False]), x, y), BINARY_SHAPES[1:]),
    case("where-traced-condition", lambda m, x: m.where(x > 0, x, 2 * x), [((3, 2),)], AWAY),
    case("clip", lambda m, x: m.clip(x, -1.0, 1.0), [((3, 2),)], _signed(0.2, 1.6)),
    case("clip-arrays", lambda m, x, lo: m.clip(x, lo, 1.0), [((3, 2), (2,))], AWAY),
    pytest.param(
        *case("clip-min-kw", lambda m, x: m.clip(x, min=0.5), [((3, 2),)], AWAY).values,
        id="clip-min-kw",
        marks=pytest.mark.skipif(
            np.lib.NumpyVersion(np.__version__) < "2.1.0",
            reason="NumPy 2.0's own clip has no min=/max= keywords to compare with",
        ),
    ),
    case("select", lambda m, x, y: m.select([x > 0, y > 0], [x, y], 0.5), [((3, 2), (3, 2))], AWAY),
    case("sort", lambda m, x: m.sort(x), [((3, 2),), ((4,),)]),
    case("sort-axis", lambda m, x: m.sort(x, axis=0), [((3, 2),)]),
    case("sort-none", lambda m, x: m.sort(x, axis=None), [((3, 2),)]),
    case("partition", lambda m, x: m.partition(x, 2), [((5,),)]),
    case("partition-axis", lambda m, x: m.partition(x, 1, axis=0), [((3, 2),)]),
    case(
        "array-of-tensors",
        lambda m, x, y: m.array([x, y, [1.0, 2.0]]),
        [((2,), (2,))],
        protocol=False,
    ),
    case("array-ndmin", lambda m, x: m.array(x, ndmin=2), [((2,),)], protocol=False),
    case(
        "asarray-list",
        lambda m, x, y: m.asarray([[x[0], y[1]], [y[0], x[1]]]),
        [((2,), (2,))],
        protocol=False,
    ),
]

NONDIFFERENTIABLE = [
    ("sign", lambda m, x: m.sign(x)),
    ("floor", lambda m, x: m.floor(x)),
    ("ceil", lambda m, x: m.ceil(x)),
    ("trunc", lambda m, x: m.trunc(x)),
    ("fix", lambda m, x: m.fix(x)),
    ("rint", lambda m, x: m.rint(x)),
    ("round", lambda m, x: m.round(x, 1)),
    ("around", lambda m, x: m.around(x)),
    ("signbit", lambda m, x: m.signbit(x)),
    ("isfinite", lambda m, x: m.isfinite(x)),
    ("isnan", lambda m, x: m.isnan(x)),
    ("isinf", lambda m, x: m.isinf(x)),
    ("greater", lambda m, x: m.greater(x, 0.1)),
    ("greater_equal", lambda m, x: m.greater_equal(x, 0.1)),
    ("less", lambda m, x: m.less(x, 0.1)),
    ("less_equal", lambda m, x: m.less_equal(x, 0.1)),
    ("equal", lambda m, x: m.equal(x, x)),
    ("not_equal", lambda m, x: m.not_equal(x, 0.1)),
    ("logical_and", lambda m, x: m.logical_and(x > 0, x < 1)),
    ("logical_or", lambda m, x: m.logical_or(x > 0, x < -1)),
    ("logical_not", lambda m, x: m.logical_not(x > 0)),
    ("logical_xor", lambda m, x: m.logical_xor(x > 0, x < 1)),
    ("isclose", lambda m, x: m.isclose(x, 0.1)),
    ("argmax", lambda m, x: m.argmax(x, axis=0)),
    ("argmin", lambda m, x: m.argmin(x)),
    ("argsort", lambda m, x: m.argsort(x, axis=0)),
    ("argpartition", lambda m, x: m.argpartition(x, 1, axis=0)),
]


def _inputs(shapes, domain, seed):
    rng = np.random.default_rng(seed)
    if callable(domain):
        return [np.asarray(domain(rng, s), dtype=np.float64) for s in shapes]
    return [_values(rng, s, domain) for s in shapes]


def _same(a, b):
    """Exactly NumPy's result: same type, dtype, shape and values (NaNs equal)."""
    if isinstance(b, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
        return
    assert type(a) is type(b), (type(a), type(b))
    np.testing.assert_array_equal(a, b)
    assert np.asarray(a).dtype == np.asarray(b).dtype


@pytest.mark.filterwarnings("ignore:`row_stack` alias is deprecated:DeprecationWarning")
@pytest.mark.parametrize("fn, shapes_list, domain, protocol, atol", CASES)
def test_namespace_function(fn, shapes_list, domain, protocol, atol):
    for k, shapes in enumerate(shapes_list):
        arrays = _inputs(shapes, domain, seed=k)
        expected = fn(np, *arrays)
        # 1. Plain arrays: NumPy's own result.
        _same(fn(cnp, *arrays), expected)
        # 2. Tensors: NumPy's values, recorded.
        tensors = [cr.tensor(a, requires_grad=True) for a in arrays]
        out = fn(cnp, *tensors)
        assert isinstance(out, cr.Tensor)
        np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
        assert out.data.dtype == np.asarray(expected).dtype
        # 3. NumPy's function on tensors dispatches to chainrule and records.
        if protocol:
            via_numpy = fn(np, *tensors)
            assert isinstance(via_numpy, cr.Tensor)
            np.testing.assert_allclose(via_numpy.data, expected, rtol=1e-12, atol=1e-12)
        # 4. VJP and JVP against finite differences, to second order.
        cr.gradcheck(lambda *ts: fn(cnp, *ts), *arrays, order=2, modes=("rev", "fwd"), atol=atol)


@pytest.mark.parametrize("name, fn", NONDIFFERENTIABLE, ids=[n for n, _ in NONDIFFERENTIABLE])
def test_nondifferentiable_functions(name, fn):
    x = np.array([[0.25, -1.5], [2.0, 0.1], [-0.7, 0.6]])
    _same(fn(cnp, x), fn(np, x))
    t = cr.tensor(x, requires_grad=True)
    out = fn(cnp, t)
    np.testing.assert_array_equal(out.data, fn(np, x))
    assert not out.requires_grad
    np.testing.assert_array_equal(fn(np, t).data, fn(np, x))


def test_nondifferentiable_primitives_are_declared_in_one_list():
    for name in [
        "sign",
        "floor",
        "ceil",
        "trunc",
        "rint",
        "argmax",
        "argsort",
        "argpartition",
        "greater",
        "equal",
        "isclose",
        "logical_xor",
        "signbit",
        "sign_of_det",
    ]:
        assert name in rules.NONDIFFERENTIABLE
    for name in ["exp", "arcsin", "sinc", "inv", "cholesky", "logaddexp"]:
        assert name not in rules.NONDIFFERENTIABLE


def test_aliases_are_the_same_functions():
    assert cnp.asin is cnp.arcsin and cnp.acosh is cnp.arccosh and cnp.atan2 is cnp.arctan2
    assert cnp.pow is cnp.power and cnp.true_divide is cnp.divide and cnp.remainder is cnp.mod
    assert cnp.concat is cnp.concatenate and cnp.abs is cnp.absolute


def test_creation_and_constants_are_numpys():
    assert cnp.zeros is np.zeros and cnp.eye is np.eye and cnp.pi == np.pi
    assert cnp.newaxis is None and cnp.s_ is np.s_
    _same(cnp.arange(5), np.arange(5))
    _same(cnp.arange(0.5, 3.0, 0.5), np.arange(0.5, 3.0, 0.5))
    _same(cnp.r_[np.arange(2), 5, 0:2], np.r_[np.arange(2), 5, 0:2])
    _same(cnp.c_[np.arange(2), np.arange(2)], np.c_[np.arange(2), np.arange(2)])
    _same(cnp.linspace(0, 1, 5), np.linspace(0, 1, 5))
    _same(cnp.eye(3, k=1), np.eye(3, k=1))
    _same(cnp.full((2, 2), 3.0), np.full((2, 2), 3.0))
    _same(cnp.zeros_like(np.ones(3)), np.zeros(3))
    t = cr.tensor([1.0, 2.0], requires_grad=True)
    # Shape facts run on the values and are plain NumPy.
    assert np.shape(t) == (2,) and np.ndim(t) == 1 and np.size(t) == 2
    assert np.allclose(t, [1.0, 2.0]) and np.array_equal(t, [1.0, 2.0])
    _same(np.nonzero(t), (np.array([0, 1]),))
    # *_like of a tensor: a constant tensor (its values do not enter).
    z = np.zeros_like(t)
    assert isinstance(z, cr.Tensor) and not z.requires_grad
    _same(z.data, np.zeros(2))


def test_plain_scalars_pass_through():
    _same(cnp.exp(1.0), np.exp(1.0))
    _same(cnp.sum([1, 2, 3]), np.sum([1, 2, 3]))
    _same(cnp.maximum(2, 3), np.maximum(2, 3))
    _same(cnp.where([True, False], 1, 2), np.where([True, False], 1, 2))
    _same(cnp.where(np.array([0, 3])), np.where(np.array([0, 3])))


def test_numpy_ufuncs_on_tensors_record():
    t = cr.tensor([0.5, -1.0], requires_grad=True)
    y = np.tanh(t)
    assert isinstance(y, cr.Tensor) and y.grad_fn == "tanh"
    np.sum(y * y, axis=0).backward()
    np.testing.assert_allclose(t.grad.data, 2 * np.tanh(t.data) * (1 - np.tanh(t.data) ** 2))


def test_ndarray_on_the_left_defers_to_the_tensor():
    t = cr.tensor([1.0, 2.0], requires_grad=True)
    a = np.array([10.0, 20.0])
    for out, dt in [(a - t, -1.0), (a * t, a), (a / t, -a / t.data**2), (np.float64(3) + t, 1.0)]:
        assert isinstance(out, cr.Tensor)
        (g,) = backward(out.sum(), inputs=[t])
        np.testing.assert_allclose(g.data, np.broadcast_to(dt, (2,)))


def test_ufunc_methods_reduce_and_accumulate():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    t = cr.tensor(x, requires_grad=True)
    np.testing.assert_allclose(np.add.reduce(t).data, np.add.reduce(x))
    np.testing.assert_allclose(np.multiply.reduce(t, axis=1).data, np.multiply.reduce(x, axis=1))
    np.testing.assert_allclose(np.maximum.reduce(t, axis=None).data, 4.0)
    np.testing.assert_allclose(np.add.accumulate(t).data, np.add.accumulate(x))
    cr.gradcheck(lambda t: np.multiply.accumulate(t, axis=1), x, order=2)
    np.testing.assert_allclose(np.subtract.outer(t, t).data, np.subtract.outer(x, x))


def test_unsupported_numpy_function_on_traced_tensor_names_it():
    t = cr.tensor([3.0, 1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="numpy.fft has no derivative rule"):
        np.fft.fft(t)
    with pytest.raises(TypeError, match="numpy.polyfit has no derivative rule"):
        np.polyfit(t, t, 1)
    # gcd is an operation (of integers): NumPy's own refusal of floats.
    with pytest.raises(TypeError, match="'gcd'"):
        np.gcd(t, t)
    # Inside forward mode too: a tangent makes a tensor traced.
    with pytest.raises(TypeError, match="numpy.fft has no derivative rule"):
        cr.jvp(lambda x: np.fft.fft(x), (np.ones(3),), (np.ones(3),))
    # Untraced tensors simply run on their values.
    np.testing.assert_allclose(np.fft.fft(cr.tensor([3.0, 1.0, 2.0])), np.fft.fft([3, 1, 2.0]))


def test_out_and_inplace_on_traced_values_raise():
    t = cr.tensor([1.0, 2.0], requires_grad=True)
    a = np.zeros(2)
    with pytest.raises(TypeError, match="out="):
        cnp.exp(t, out=a)
    with pytest.raises(TypeError, match="out="):
        cnp.sum(t, out=a)
    with pytest.raises(TypeError, match="out="):
        a += t
    a += cr.tensor([1.0, 2.0])  # untraced: NumPy writes into a
    np.testing.assert_array_equal(a, [1.0, 2.0])
    with pytest.raises(TypeError, match="where"):
        cnp.exp(t, where=np.array([True, False]))


def test_array_of_tensors_stacks_differentiably():
    def f(x):
        m = cnp.array([[x[0], 2.0], [x[1] * x[0], x[1]]])
        return cnp.linalg.det(m)

    x = np.array([1.5, -0.5])
    # det = x0 * x1 - 2 * x1 * x0 = -x0 x1
    np.testing.assert_allclose(cr.grad(f)(x), [-x[1], -x[0]])
    t = cr.tensor(x)
    assert cnp.asarray(t) is t


def test_dtype_arguments_and_float32():
    x = np.array([1.0, 2.0], dtype=np.float32)
    t = cr.tensor(x, requires_grad=True)
    assert cnp.exp(t).dtype == np.float32
    assert cnp.sum(t, dtype=np.float64).dtype == np.float64
    assert cnp.linalg.norm(t).dtype == np.float32
    g = cr.grad(lambda v: cnp.sum(cnp.sin(v) * cnp.pi))(x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, np.pi * np.cos(x), rtol=1e-6)


def test_norm_gradient_at_zero_is_zero_not_nan():
    assert np.array_equal(cr.grad(lambda v: cnp.linalg.norm(v))(np.zeros(3)), np.zeros(3))
    assert np.array_equal(cr.grad(lambda v: cnp.linalg.norm(v, 3))(np.zeros(3)), np.zeros(3))


def test_sort_gradient_follows_elements():
    x = np.array([3.0, 1.0, 2.0])
    g = cr.grad(lambda v: cnp.sum(cnp.sort(v) * np.array([1.0, 10.0, 100.0])))(x)
    np.testing.assert_array_equal(g, [100.0, 1.0, 10.0])


def test_cumprod_gradient_with_zeros():
    x = np.array([2.0, 0.0, 3.0, 0.0, 5.0])
    cr.gradcheck(lambda t: cnp.cumprod(t), x, order=2)


def test_sinc_derivatives_at_zero():
    d2 = cr.grad(cr.grad(cnp.sinc))(0.0)
    np.testing.assert_allclose(d2, -(np.pi**2) / 3)
    assert cr.grad(cnp.sinc)(0.0) == 0.0


def test_pad_unsupported_mode_is_named():
    with pytest.raises(NotImplementedError, match="'maximum'"):
        cnp.pad(cr.tensor(np.ones(3), requires_grad=True), 1, mode="maximum")


def test_dispatch_tables_cover_the_namespace():
    # Every NumPy-named function of chainrule.numpy is reachable from NumPy's own function.
    for name in ["sum", "concatenate", "pad", "sort", "diff", "kron", "trace", "average"]:
        assert dispatch.FUNCTIONS[getattr(np, name)] is getattr(cnp, name)
    for name in ["exp", "arctan2", "logaddexp", "matmul", "floor"]:
        assert dispatch.UFUNCS[getattr(np, name)] is getattr(cnp, name)
    assert dispatch.FUNCTIONS[np.linalg.inv] is cnp.linalg.inv


# ----------------------------------------------------------------- scipy.special
SPECIAL = [
    ("logsumexp", lambda x: special.logsumexp(x)),
    ("logsumexp-axis", lambda x: special.logsumexp(x, axis=1, keepdims=True)),
    ("logsumexp-b", lambda x: special.logsumexp(x, axis=0, b=np.array([[1.0], [0.0], [2.0]]))),
    ("expit", special.expit),
    ("log_expit", special.log_expit),
    ("softmax", lambda x: special.softmax(x)),
    ("softmax-axis", lambda x: special.softmax(x, axis=0)),
    ("log_softmax", lambda x: special.log_softmax(x, axis=-1)),
    ("erf", special.erf),
]


@pytest.mark.parametrize("name, fn", SPECIAL, ids=[n for n, _ in SPECIAL])
def test_scipy_special(name, fn):
    x = np.random.default_rng(3).uniform(-2, 2, size=(3, 2))
    out = fn(x)
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(fn(cr.tensor(x)).data, out)
    cr.gradcheck(fn, x, order=2)


def test_scipy_special_values():
    x = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, -np.inf]])
    np.testing.assert_allclose(
        special.logsumexp(x, axis=1), [np.log(np.exp([1, 2, 3]).sum()), 1000 + np.log(2)]
    )
    np.testing.assert_allclose(special.softmax(x[1]), [0.5, 0.5, 0.0])
    np.testing.assert_allclose(special.expit(np.array([-800.0, 0.0, 800.0])), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(special.logit(special.expit(np.array([-3.0, 0.5]))), [-3.0, 0.5])
    cr.gradcheck(special.logit, np.array([0.2, 0.7]), order=2)
    # weights of both signs, as SciPy's: a sum of 0 has log -inf (sign 0), a negative
    # one NaN unless return_sign
    with np.errstate(divide="ignore"):
        assert special.logsumexp(np.ones(2), b=np.array([1.0, -1.0])) == -np.inf
    assert np.isnan(special.logsumexp(np.ones(2), b=np.array([1.0, -2.0])))
    value, sign = special.logsumexp(np.ones(2), b=np.array([1.0, -2.0]), return_sign=True)
    assert np.isclose(value, 1.0) and sign == -1


def test_float32_gradcheck_notes_the_upcast():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cr.gradcheck(cnp.tanh, np.ones(2, dtype=np.float32))
    assert any("float64" in str(w.message) for w in caught)


@pytest.mark.parametrize("name", ["matvec", "vecmat", "cumulative_sum", "cumulative_prod",
                                  "unstack"])
def test_equivalents_for_older_numpy_agree_with_numpy(name):
    # chainrule.numpy.compat stands in for NumPy functions newer than the NumPy floor;
    # where the installed NumPy has the function, both must give the same values.
    from chainrule.numpy import compat
    if not hasattr(np, name):
        pytest.skip(f"this NumPy has no {name}")
    ours = getattr(compat, "_" + name)
    rng = np.random.default_rng(0)
    a, b, m = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 4)), rng.normal(size=(4, 3))
    cases = {"matvec": [((a, b), {})],
             "vecmat": [((b, m), {}), ((b[:, None], np.swapaxes(a, -1, -2)), {})],
             "cumulative_sum": [((a,), {"axis": 1, "include_initial": True}),
                                ((b[0],), {})],
             "cumulative_prod": [((a,), {"axis": -1, "include_initial": True})],
             "unstack": [((a,), {"axis": 2}), ((a,), {})]}[name]
    for args, kw in cases:
        want, got = getattr(np, name)(*args, **kw), ours(*args, **kw)
        if name == "unstack":
            assert len(got) == len(want)
            for g, w in zip(got, want):
                np.testing.assert_array_equal(g, w)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-13)


def test_fortran_order_reshape_and_ravel_are_differentiable():
    x = np.arange(6.0).reshape(2, 3)
    w = np.arange(6.0)
    for f, ref in ((lambda t: cnp.reshape(t, (3, 2), order="F"), x.reshape(3, 2, order="F")),
                   (lambda t: cnp.ravel(t, order="F"), x.ravel(order="F")),
                   (lambda t: t.reshape(3, 2, order="F"), x.reshape(3, 2, order="F")),
                   (lambda t: t.flatten("F"), x.flatten("F")),
                   (lambda t: cnp.reshape(t, (-1, 2), order="F"), x.reshape(-1, 2, order="F"))):
        assert np.array_equal(np.asarray(f(cr.tensor(x)).data), ref)
        # the gradient of sum(w * f(x).ravel()) puts each weight back where its value came from
        g = cr.grad(lambda t, f=f: cnp.sum(cnp.ravel(f(t)) * w))(x)
        want = np.zeros(6)
        want[np.ravel(ref).astype(int)] = w
        assert np.array_equal(g, want.reshape(2, 3))
    with pytest.raises(ValueError, match="order must be one of"):
        cnp.reshape(cr.tensor(x), (3, 2), order="X")


def test_ndarray_methods_on_tensors_being_differentiated():
    m = np.array([[0.5, -1.2, 2.0], [0.3, 1.1, -0.4], [-2.0, 0.7, 0.9]])
    cases = [
        (lambda t: cnp.sum(t.ravel()[t.ravel().argsort()[:2]]), lambda a: np.isin(a, [-2.0, -1.2])),
        (lambda t: cnp.sum(t.ravel()[t.ravel().argpartition(1)[:2]]),
         lambda a: np.isin(a, [-2.0, -1.2])),
        (lambda t: cnp.sum(t[(t > 0).nonzero()]), lambda a: a > 0),
        (lambda t: t.trace() * 2.0, lambda a: 2 * np.eye(3)),
        (lambda t: cnp.sum(t.diagonal(1)), lambda a: np.eye(3, k=1)),
    ]
    for f, want in cases:
        assert np.array_equal(cr.grad(f)(m), np.asarray(want(m), float))
    assert np.allclose(cr.grad(lambda t: cnp.sum(t.repeat(2, axis=0) ** 2))(m), 4 * m)
    assert np.allclose(cr.grad(lambda t: cnp.sum(t.round(1) * t))(m), np.round(m, 1))  # (a step)
    assert np.allclose(cr.grad(lambda t: cnp.sum(t.cumprod(axis=1)))(m),
                       cr.grad(lambda t: cnp.sum(cnp.cumprod(t, axis=1)))(m))
    assert np.array_equal(cr.tensor(np.array([1.0, 3.0])).searchsorted(2.0).data, 1)


def test_sums_and_products_accumulate_in_numpys_dtype():
    # dtype= is the accumulator: each element is cast first (0.6 + 0.7 summed as int32 is
    # 0, not int32(1.3) = 1); bool and small integers widen to 64 bits in running products.
    x = np.array([0.6, 0.7, -0.4, 1.9])
    for f in ("sum", "prod", "cumsum", "cumprod", "cumulative_sum", "cumulative_prod"):
        got = getattr(cnp, f)(cr.tensor(x), dtype=np.int32)
        # (NumPy before 2.1 has no cumulative_*: on 1-D input they are cumsum/cumprod)
        want = getattr(np, f, getattr(np, f.replace("ulative_", "")))(x, dtype=np.int32)
        assert got.dtype == want.dtype, f
        np.testing.assert_array_equal(got.data, want, err_msg=f)
    got = cnp.trace(cr.tensor(x.reshape(2, 2)), dtype=np.int32)
    assert got.dtype == np.int32 and got.data == np.trace(x.reshape(2, 2), dtype=np.int32)
    for a in (np.array([100, 100, 100, 3], np.uint8), np.array([100, 100, 100, 3], np.int8),
              np.array([True, False, True])):
        for f in ("cumprod", "nancumprod", "cumulative_prod"):
            got = getattr(cnp, f)(cr.tensor(a))
            want = getattr(np, f, np.cumprod)(a)
            assert got.dtype == want.dtype, (f, a.dtype)
            np.testing.assert_array_equal(got.data, want)
    # and float32 stays float32, differentiably
    x32 = cr.tensor(np.array([1.5, 2.0, -3.0], np.float32))
    assert cnp.cumprod(x32).dtype == np.float32
    np.testing.assert_allclose(cr.grad(lambda v: cnp.sum(cnp.cumprod(v, dtype=np.float64)))(
        np.array([1.5, 2.0, -3.0])), [1 + 2 - 6, 1.5 - 4.5, 3.0])


def test_ravel_and_reshape_orders_a_and_k_follow_memory_as_numpy():
    fortran = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    strided = np.arange(24.0).reshape(2, 3, 4).transpose(2, 0, 1)[:, ::-1]
    for a in (fortran, strided, np.arange(6.0).reshape(2, 3).T):
        for order in "CFAK":
            np.testing.assert_array_equal(cnp.ravel(cr.tensor(a), order).data,
                                          np.ravel(a, order), err_msg=order)
        for order in "CFA":
            np.testing.assert_array_equal(cnp.reshape(cr.tensor(a), (-1, 2), order=order).data,
                                          np.reshape(a, (-1, 2), order=order), err_msg=order)
    # the gradient follows the order read: d sum(w * ravel(a, "A")) / da = w put back
    w = np.arange(1.0, 7.0)
    g = cr.grad(lambda a: cnp.sum(w * cnp.ravel(a, "A")))(fortran)
    np.testing.assert_array_equal(np.ravel(g, "F"), w)
    with pytest.raises(ValueError, match="order"):
        cnp.reshape(cr.tensor(fortran), (3, 2), order="K")


def test_modf_frexp_and_nanvar_at_special_values_are_numpys():
    x = np.array([np.inf, -np.inf, -0.0, 2.5, -2.0, -2.5, 3.0])
    for got, want in zip(cnp.modf(cr.tensor(x)), np.modf(x), strict=True):
        np.testing.assert_array_equal(got.data, want)
        np.testing.assert_array_equal(np.signbit(got.data), np.signbit(want))
    # d frac / dx = 1 (0 at +-inf, where the fraction is the constant 0)
    np.testing.assert_array_equal(cr.grad(lambda v: cnp.sum(cnp.modf(v)[0]))(x),
                                  [0, 0, 1, 1, 1, 1, 1])
    for dtype in (np.int8, np.int64, np.bool_):
        a = np.array([3, 0], dtype)
        assert [t.dtype for t in cnp.modf(cr.tensor(a))] == [r.dtype for r in np.modf(a)]
    s = np.array([1e-310, 5e-324, 3.0, -1e308, 0.0])
    mantissa, exponent = cnp.frexp(cr.tensor(s))
    np.testing.assert_array_equal(mantissa.data, np.frexp(s)[0])
    np.testing.assert_array_equal(exponent, np.frexp(s)[1])
    # an inf among the values makes the deviations NaN, as in NumPy; NaNs drop out
    with np.errstate(invalid="ignore"):
        for data in ([1.0, np.inf, np.nan], [1.0, np.nan, 3.0]):
            np.testing.assert_array_equal(cnp.nanvar(cr.tensor(np.array(data))).data,
                                          np.nanvar(data))


@pytest.mark.parametrize("name", ["fabs", "deg2rad", "rad2deg", "conjugate", "sqrt", "exp",
                                  "floor", "negative", "absolute", "sign", "square",
                                  "reciprocal", "cbrt"])
@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint8, np.int16, np.int64,
                                   np.float16, np.float32, np.float64])
def test_ufuncs_on_tensors_take_numpys_loop_dtype(name, dtype):
    # integers and bools compute in the dtype of the loop NumPy runs (fabs of int64 in
    # float64, deg2rad of uint8 in float16, conj of bool in int8), with its values
    x = np.array([0, 1, 3, 7], dtype=dtype)
    with np.errstate(all="ignore"):
        try:
            want = getattr(np, name)(x)
        except TypeError:  # (no loop for this dtype: chainrule raises too)
            with pytest.raises(TypeError):
                getattr(cnp, name)(cr.tensor(x))
            return
        got = getattr(cnp, name)(cr.tensor(x))
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got.data, want)


def test_ufunc_loops_with_python_numbers_and_dtype():
    i8 = np.array([1, 2], np.int8)
    assert cnp.ldexp(2, cr.tensor(i8)).dtype == np.ldexp(2, i8).dtype == np.float16
    assert cnp.float_power(3.0, cr.tensor(np.ones(2, np.float32))).dtype == np.float64
    got = cnp.spacing(cr.tensor(np.array([1.0])), dtype=np.float32)
    np.testing.assert_array_equal(got.data, np.spacing(np.array([1.0]), dtype=np.float32))
    # (a float64 array constant still takes a float32 tensor's dtype, as documented)
    assert cnp.add(cr.tensor(np.ones(2, np.float32)), np.ones(2)).dtype == np.float32


def test_review_edge_cases_of_orders_and_accumulator_dtypes():
    # ravel(order='K') of a broadcast view keeps C order (a stride-0 axis has no memory
    # order); mean/var with a float dtype= average in it; nan-reductions with an integer
    # dtype= replace NaN before casting
    b = cnp.broadcast_to(cr.tensor(np.arange(3.0)), (2, 3))
    np.testing.assert_array_equal(cnp.ravel(b, "K").data, [0, 1, 2, 0, 1, 2])
    f16 = np.array([300.0, 300.0, 2.0], np.float16)
    for f in ("mean", "var", "std"):
        got = getattr(cnp, f)(cr.tensor(f16), dtype=np.float32)
        np.testing.assert_array_equal(got.data, getattr(np, f)(f16, dtype=np.float32))
    f32 = np.array([1.5, np.nan, 2.5, -3.5], np.float32)
    for f in ("nansum", "nanprod", "nancumsum", "nancumprod"):
        got = getattr(cnp, f)(cr.tensor(f32), dtype=np.int16)
        want = getattr(np, f)(f32, dtype=np.int16)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got.data, want)


def test_jax_keywords_descending_and_fixed_sizes():
    # jax.numpy's descending= (stable: equal elements keep their order; NaN first) and
    # size=/fill_value= (fixed-size results, also under vmap).
    a = np.array([3.0, 1.0, 3.0, np.nan, 2.0, 1.0])
    assert cnp.argsort(a, descending=True).tolist() == [3, 0, 2, 4, 1, 5]
    np.testing.assert_array_equal(cnp.sort(a, descending=True), [np.nan, 3, 3, 2, 1, 1])
    b = np.array([[5, 1, 5], [2, 2, 9]])
    assert cnp.argsort(b, axis=0, descending=True).tolist() == [[0, 1, 1], [1, 0, 0]]
    assert cnp.argsort(b, axis=None, descending=True).tolist() == [5, 0, 2, 3, 4, 1]
    m = np.array([[0, 2, 0], [1, 0, 3]])
    rows, cols = cnp.nonzero(m, size=5, fill_value=-1)
    assert rows.tolist() == [0, 1, 1, -1, -1] and cols.tolist() == [1, 0, 2, -1, -1]
    assert [t.tolist() for t in cnp.nonzero(m, size=2, fill_value=(7, 8))] == [[0, 1], [1, 0]]
    assert cnp.argwhere(m, size=2).tolist() == [[0, 1], [1, 0]]
    assert cnp.flatnonzero(m, size=4).tolist() == [1, 3, 5, 0]
    assert [t.tolist() for t in cnp.nonzero(m)] == [[0, 1, 1], [1, 0, 2]]
    rows = cr.vmap(lambda r: cnp.nonzero(r, size=2)[0])(np.array([[0.0, 1, 2], [3, 0, 0]]))
    np.testing.assert_array_equal(rows, [[1, 2], [0, 0]])
    t = cr.tensor(np.array([1.0, 3.0, 2.0]), requires_grad=True)
    cnp.sum(cnp.sort(t, descending=True) * np.array([1.0, 10.0, 100.0])).backward()
    np.testing.assert_array_equal(t.grad.data, [100.0, 1.0, 10.0])


def test_integer_ufuncs_on_a_narrow_tensor_and_a_wider_array_compute_in_numpys_dtype():
    t = cr.tensor(np.array([1, 3], np.int8))
    wide = np.array([10, 300], np.int16)
    for f in (np.left_shift, np.bitwise_or, np.add, np.multiply, np.gcd, np.lcm):
        got, want = f(t, wide), f(np.array([1, 3], np.int8), wide)
        assert got.dtype == want.dtype and np.asarray(got).tolist() == want.tolist(), f
    # (floating work keeps chainrule's rule: constants take the tensor's dtype)
    assert np.add(cr.tensor(np.array([1.5], np.float32)), np.array([2], np.int64)).dtype \
        == np.float32


def test_array_api_unique_functions_keep_each_nan_and_the_input_shape():
    x = np.array([[2.0, 1.0, 2.0], [np.nan, 1.0, np.nan]])
    for arg in (x, cr.tensor(x)):
        res = cnp.unique_all(arg)
        assert type(res).__name__ == "UniqueAllResult"
        want = np.unique_all(x)
        for field in want._fields:
            assert np.array_equal(np.asarray(getattr(res, field)), getattr(want, field),
                                  equal_nan=True), field
        assert np.asarray(cnp.unique_inverse(arg).inverse_indices).shape == x.shape
        assert np.asarray(cnp.unique_counts(arg).counts).tolist() == [2, 2, 1, 1]
        assert np.asarray(cnp.unique_values(arg)).size == 4
