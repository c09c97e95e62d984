"""Every differentiable primitive's VJP against central finite differences, to second order.

Shapes are drawn by hypothesis (0-d arrays and size-1 axes included, broadcasting
between arguments), values by a seeded generator inside each primitive's valid
domain and away from its kinks. ``gradcheck(order=2)`` also checks the gradient of
the gradient, i.e. the rules recorded under ``create_graph=True``.

`COVERED` maps each primitive name to the test that checks it, and
`test_every_engine_primitive_has_a_gradient_check` fails when a primitive is
registered by an engine module without one.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pytest
from conftest import MAX_SIDE, SETTINGS, axes, broadcastable, normalized, seeds, shapes, values
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainrule as cr
from chainrule import graph, rules
from chainrule import primitives as P
from chainrule.domains import Domain
from chainrule.gradcheck import gradcheck
from chainrule.primitives import activations, elementwise, linalg, reductions
from chainrule.primitives import shape as shape_ops

F32 = np.float32

# ------------------------------------------------------------------ bookkeeping
COVERED: dict[str, object] = {}


def covers(*names):
    """Record that the decorated test checks the gradients of the named primitives."""

    def mark(test):
        for name in names:
            COVERED.setdefault(name, test)
        return test

    return mark


def recorded(out):
    """Names of the primitives in the graph that produced `out`."""
    names, seen, stack = set(), set(), [out]
    while stack:
        t = stack.pop()
        if id(t) in seen or not graph.is_tensor(t) or t._prim is None:
            continue
        seen.add(id(t))
        names.add(t._prim.name)
        stack.extend(t._args)
    return names


def check(f, *inputs, uses=(), order=2):
    """gradcheck `f` at `inputs`, after confirming its graph records the primitives `uses`."""
    args = [
        cr.tensor(x, requires_grad=True) if np.asarray(x).dtype.kind == "f" else x for x in inputs
    ]
    missing = set(uses) - recorded(f(*args))
    assert not missing, f"the graph of this check does not use {sorted(missing)}"
    assert gradcheck(f, *inputs, order=order)


# --------------------------------------------------------------- elementwise, unary
class Case(NamedTuple):
    fn: object
    uses: tuple
    low: float = -2.0
    high: float = 2.0
    gap: float = 0.0  # distance kept from the kinks in `avoid`
    avoid: tuple = (0.0,)


def declared(prim, fn=None):
    """A Case over the domain the primitive declares at its definition (chainrule.domains)."""
    d = prim.domain if isinstance(prim.domain, Domain) else Domain()
    return Case(fn or prim, (prim.name,), d.low, d.high, d.gap, d.avoid or (0.0,))


UNARY = {
    "negative": declared(P.negative),
    "neg operator": declared(P.negative, lambda x: -x),
    "exp": declared(P.exp),
    "log": declared(P.log),
    "log1p": declared(P.log1p),
    "expm1": declared(P.expm1),
    "sqrt": declared(P.sqrt),
    "abs": declared(P.abs),
    "sin": declared(P.sin),
    "cos": declared(P.cos),
    "tan": declared(P.tan),
    "tanh": declared(P.tanh),
    "sigmoid": declared(P.sigmoid),
    "relu": declared(P.relu),
    "leaky_relu": Case(cr.leaky_relu, ("where",), gap=0.05),
    "leaky_relu 0.2": Case(lambda x: cr.leaky_relu(x, 0.2), ("where",), gap=0.05),
    "elu": Case(cr.elu, ("where", "expm1"), gap=0.05),
    "elu 0.5": Case(lambda x: cr.elu(x, alpha=0.5), ("where", "expm1"), gap=0.05),
    "gelu": Case(cr.gelu, ("erf",), -4.0, 4.0),
    "gelu tanh": Case(lambda x: cr.gelu(x, approximate="tanh"), ("tanh",), -4.0, 4.0),
    "softplus": declared(P.softplus),
    "log_sigmoid": Case(cr.log_sigmoid, ("softplus",), -6.0, 6.0),
    "erf": declared(P.erf),
    "square": Case(lambda x: x**2, ("power",)),
    "cube": Case(lambda x: x**3, ("power",)),
    "power 0": Case(lambda x: x**0, ("power",)),
    "power 0.5": Case(lambda x: x**0.5, ("power",), 0.2, 3.0),
    "power -1.5": Case(lambda x: x**-1.5, ("power",), 0.3, 3.0),
    "rpow": Case(lambda x: 2.0**x, ("power",)),
    "clip": Case(lambda x: cr.clip(x, -0.5, 0.8), ("clip",), gap=0.05, avoid=(-0.5, 0.8)),
    "clip below": Case(lambda x: cr.clip(x, -0.5, None), ("clip",), gap=0.05, avoid=(-0.5,)),
    "clip above": Case(lambda x: cr.clip(x, None, 0.8), ("clip",), gap=0.05, avoid=(0.8,)),
    "clip unbounded": Case(lambda x: cr.clip(x, None, None), ("clip",)),
    "astype": Case(lambda x: P.astype(x, dtype=np.float64) * x, ("astype",)),
    "copy": Case(lambda x: P.copy(x) * x, ("copy",)),
    "clone": Case(lambda x: x.clone() * x, ("copy",)),
}


@covers(*{name for case in UNARY.values() for name in case.uses})
@pytest.mark.parametrize("name", sorted(UNARY))
@SETTINGS
@given(shape=shapes(), seed=seeds)
def test_unary_gradients(name, shape, seed):
    case = UNARY[name]
    x = values(seed, shape, case.low, case.high, case.gap, case.avoid)
    check(case.fn, x, uses=case.uses)


def test_astype_gradient_comes_back_in_the_input_dtype():
    # float32 rounding defeats finite differences, so this conversion is checked exactly.
    x = cr.tensor([0.1, 0.2, 0.3], requires_grad=True)
    y = x.astype(np.float32)
    assert y.dtype == np.float32
    (y * np.float32(3)).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0, 3.0])
    w = cr.tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    (w.astype(np.float64) ** 2).sum().backward()
    assert w.grad.dtype == np.float32
    np.testing.assert_array_equal(w.grad.data, np.array([2.0, 4.0], np.float32))


# -------------------------------------------------------------- elementwise, binary
BINARY = {
    "add": (cr.add, ("add",), {}, {}),
    "add operator": (lambda x, y: x + y, ("add",), {}, {}),
    "subtract": (cr.subtract, ("subtract",), {}, {}),
    "subtract operator": (lambda x, y: x - y, ("subtract",), {}, {}),
    "multiply": (cr.multiply, ("multiply",), {}, {}),
    "divide": (cr.divide, ("divide",), {}, {"gap": 0.5}),
    "divide operator": (lambda x, y: x / y, ("divide",), {}, {"gap": 0.5}),
    "power": (cr.power, ("power",), {"low": 0.3, "high": 2.5}, {}),
    "power operator": (lambda x, y: x**y, ("power",), {"low": 0.3, "high": 2.5}, {}),
    # Independent continuous draws: ties (the kink of maximum/minimum) have probability 0.
    "maximum": (cr.maximum, ("maximum",), {}, {}),
    "minimum": (cr.minimum, ("minimum",), {}, {}),
}


@covers(*{name for _, uses, _, _ in BINARY.values() for name in uses})
@pytest.mark.parametrize("name", sorted(BINARY))
@SETTINGS
@given(shapes_=broadcastable(2), seed=seeds)
def test_binary_broadcasting_gradients(name, shapes_, seed):
    fn, uses, x_domain, y_domain = BINARY[name]
    x = values(seed, shapes_[0], **x_domain)
    y = values(seed + 1, shapes_[1], **y_domain)
    check(fn, x, y, uses=uses)


@covers("where")
@SETTINGS
@given(shapes_=broadcastable(3), seed=seeds)
def test_where_gradients(shapes_, seed):
    cond = np.random.default_rng(seed).random(shapes_[0]) < 0.5
    x = values(seed + 1, shapes_[1])
    y = values(seed + 2, shapes_[2])
    check(lambda a, b: cr.where(cond, a, b), x, y, uses=("where",))
    check(lambda a, b: cr.where(cr.tensor(cond), a, b), x, y, uses=("where",))


@covers("clip")
@SETTINGS
@given(shapes_=broadcastable(3), seed=seeds)
def test_clip_with_array_bounds(shapes_, seed):
    lo = values(seed + 1, shapes_[1], -1.0, -0.2)
    hi = values(seed + 2, shapes_[2], 0.2, 1.0)
    x = values(seed, np.broadcast_shapes(*shapes_))
    # Push x away from both bounds so the finite differences do not straddle them.
    for bound in (lo, hi):
        near = np.abs(x - bound) < 0.05
        x = np.where(near, bound + np.where(x >= bound, 0.05, -0.05), x)
    check(lambda a: cr.clip(a, lo, hi), x, uses=("clip",))


def test_maximum_and_minimum_split_ties_evenly():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = cr.tensor([1.0, 5.0, 3.0], requires_grad=True)
    (cr.maximum(x, y) + 2 * cr.minimum(x, y)).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.5, 2.0, 1.5])
    np.testing.assert_array_equal(y.grad.data, [1.5, 1.0, 1.5])


def test_kink_subgradients():
    x = cr.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    (cr.relu(x) + cr.abs(x)).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [-1.0, 0.0, 2.0])
    x = cr.tensor([-1.0, 0.0, 0.5, 1.0, 2.0], requires_grad=True)
    cr.clip(x, 0.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0, 1.0, 1.0, 0.0])


def test_power_derivative_is_zero_for_exponent_zero_at_zero():
    x = cr.tensor([0.0, 2.0], requires_grad=True)
    # The untaken branch of the rule evaluates 0 ** -1; only its warning is silenced.
    with np.errstate(divide="ignore", invalid="ignore"):
        (x**0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])


# -------------------------------------------------------------------- reductions
REDUCTIONS = {
    "sum": (cr.sum, ("sum",), {}),
    "mean": (cr.mean, ("sum",), {}),
    "prod": (cr.prod, ("prod",), {"low": 0.5, "high": 1.5}),
    "logsumexp": (cr.logsumexp, ("logsumexp",), {}),
    "max": (cr.max, ("max",), {}),
    "min": (cr.min, ("min",), {}),
    "var": (cr.var, ("sum",), {}),
    "var ddof=1": (lambda x, **kw: cr.var(x, ddof=1, **kw), ("sum",), {}),
    "std": (cr.std, ("sqrt",), {}),
    "std ddof=1": (lambda x, **kw: cr.std(x, ddof=1, **kw), ("sqrt",), {}),
    "sum method": (lambda x, **kw: x.sum(**kw), ("sum",), {}),
    "mean method": (lambda x, **kw: x.mean(**kw), ("sum",), {}),
}


@covers(*{name for _, uses, _ in REDUCTIONS.values() for name in uses})
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@SETTINGS
@given(data=st.data(), shape=shapes(), seed=seeds, keepdims=st.booleans())
def test_reduction_gradients(name, data, shape, seed, keepdims):
    fn, uses, domain = REDUCTIONS[name]
    axis = data.draw(axes(len(shape)), label="axis")
    n = int(np.prod([shape[a] for a in normalized(axis, len(shape))]))
    if name.startswith("var ddof") or name.startswith("std"):
        # ddof=1 needs two values; std also needs a nonzero spread (sqrt has a kink at 0).
        assume(n >= 2)
    x = values(seed, shape, **domain)
    f = lambda a: fn(a, axis=axis, keepdims=keepdims)
    expected_shape = np.sum(x, axis=axis, keepdims=keepdims).shape
    assert f(cr.tensor(x)).shape == expected_shape
    check(f, x, uses=uses)


def test_max_and_min_share_the_gradient_between_ties():
    x = cr.tensor([[1.0, 3.0, 3.0], [2.0, 1.0, 2.0], [4.0, 4.0, 4.0]], requires_grad=True)
    ((cr.max(x, axis=1) * np.array([1.0, 10.0, 3.0])).sum() + 100 * cr.min(x)).backward()
    expected = [[50.0, 0.5, 0.5], [5.0, 50.0, 5.0], [1.0, 1.0, 1.0]]
    np.testing.assert_allclose(x.grad.data, expected)


@covers("prod")
@pytest.mark.parametrize(
    "x",
    [[1.5, 0.0, 2.0, -3.0], [1.5, 0.0, 0.0, -3.0], [0.0, 0.0, 0.0, 2.0], [0.0, 0.0, 0.0, 0.0]],
    ids=["one zero", "two zeros", "three zeros", "all zeros"],
)
def test_prod_gradient_is_exact_at_zeros(x):
    x = np.array(x)
    check(cr.prod, x, uses=("prod",))
    check(lambda a: cr.prod(a.reshape(2, 2), axis=-1), x)
    check(lambda a: cr.prod(a.reshape(2, 2), axis=0, keepdims=True), x)
    t = cr.tensor(x, requires_grad=True)
    cr.prod(t).backward()
    others = [np.prod(np.delete(x, i)) for i in range(x.size)]
    np.testing.assert_array_equal(t.grad.data, others)


def test_logsumexp_and_log_softmax_ignore_minus_infinity():
    x = np.array([[0.5, -np.inf, 1.0], [-np.inf, -np.inf, -np.inf]])
    t = cr.tensor(x, requires_grad=True)
    cr.logsumexp(t, axis=1).sum().backward()
    e = np.exp(0.5) + np.exp(1.0)
    np.testing.assert_allclose(t.grad.data, [[np.exp(0.5) / e, 0, np.exp(1.0) / e], [0, 0, 0]])
    t = cr.tensor(x[:1], requires_grad=True)
    w = np.array([[1.0, 0.0, 2.0]])
    # The weight 0 on the -inf entry is applied with where, as a mask would be.
    (cr.where(np.isfinite(x[:1]), cr.log_softmax(t, axis=1), 0) * w).sum().backward()
    assert np.all(np.isfinite(t.grad.data))
    assert t.grad.data[0, 1] == 0


@covers("cumsum")
@SETTINGS
@given(data=st.data(), shape=shapes(), seed=seeds)
def test_cumsum_gradients(data, shape, seed):
    ndim = len(shape)
    axis = data.draw(st.none() | st.integers(-ndim, ndim - 1) if ndim else st.none())
    check(lambda a: cr.cumsum(a, axis=axis), values(seed, shape), uses=("cumsum",))


@covers("softmax", "log_softmax")
@pytest.mark.parametrize("fn", [cr.softmax, cr.log_softmax], ids=["softmax", "log_softmax"])
@SETTINGS
@given(data=st.data(), shape=shapes(min_dims=1), seed=seeds)
def test_softmax_family_gradients(fn, data, shape, seed):
    ndim = len(shape)
    axis = data.draw(st.integers(-ndim, ndim - 1), label="axis")
    check(lambda a: fn(a, axis=axis), values(seed, shape, -3.0, 3.0), uses=(fn.name,))


# ------------------------------------------------------------------------ linalg
@covers("matmul")
@SETTINGS
@given(
    shapes_=hnp.mutually_broadcastable_shapes(
        signature="(m?,n),(n,p?)->(m?,p?)", max_dims=2, max_side=MAX_SIDE
    ).map(lambda b: b.input_shapes),
    seed=seeds,
)
def test_matmul_gradients(shapes_, seed):
    a, b = values(seed, shapes_[0]), values(seed + 1, shapes_[1])
    np.testing.assert_allclose((cr.tensor(a) @ cr.tensor(b)).data, a @ b)
    check(lambda x, y: x @ y, a, b, uses=("matmul",))
    check(cr.matmul, a, b, uses=("matmul",))


@pytest.mark.parametrize(
    "shape_a, shape_b",
    [
        ((3,), (3,)),
        ((2, 3), (3,)),
        ((3,), (3, 2)),
        ((2, 3), (3, 4)),
        ((2, 1, 2, 3), (4, 3, 2)),
        ((3,), (2, 3, 2)),
        ((2, 2, 3), (3,)),
    ],
)
def test_matmul_numpy_semantics(shape_a, shape_b):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    out = cr.tensor(a) @ cr.tensor(b)
    assert out.shape == np.matmul(a, b).shape
    np.testing.assert_allclose(out.data, np.matmul(a, b))
    check(lambda x, y: x @ y, a, b, uses=("matmul",))


@covers("matmul", "einsum")
@pytest.mark.parametrize(
    "shape_a, shape_b",
    [
        ((), (3,)),
        ((2, 3), ()),
        ((3,), (3,)),
        ((2, 3), (3,)),
        ((3,), (3, 2)),
        ((2, 3), (3, 2)),
        ((2, 2, 3), (3,)),
        ((2, 2, 3), (3, 2)),
        ((2, 3), (2, 3, 2)),
        ((3,), (2, 3, 2)),
        ((2, 2, 3), (2, 3, 2)),
    ],
)
def test_dot_gradients(shape_a, shape_b):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    np.testing.assert_allclose(cr.dot(cr.tensor(a), cr.tensor(b)).data, np.dot(a, b))
    check(cr.dot, a, b)


EINSUMS = [
    ("ij,jk->ik", (2, 3), (3, 4)),
    ("ij,jk", (2, 3), (3, 4)),
    ("i,i->", (3,), (3,)),
    ("i,j->ij", (3,), (2,)),
    ("ij,j->i", (2, 3), (3,)),
    ("bij,bjk->bik", (2, 2, 3), (2, 3, 2)),
    ("...ij,...jk->...ik", (2, 2, 3), (3, 2)),
    ("ij,ik", (2, 3), (2, 2)),
    ("ij->", (2, 3), None),
    ("ij->j", (2, 3), None),
    ("ij->ji", (2, 3), None),
    ("ijk,ik->j", (2, 3, 2), (2, 2)),
    ("ij,ij->i", (2, 3), (1, 3)),
]


@covers("einsum")
@pytest.mark.parametrize("subscripts, shape_a, shape_b", EINSUMS)
def test_einsum_gradients(subscripts, shape_a, shape_b):
    rng = np.random.default_rng(2)
    ops = [rng.standard_normal(s) for s in (shape_a, shape_b) if s is not None]
    got = cr.einsum(subscripts, *[cr.tensor(o) for o in ops])
    np.testing.assert_allclose(got.data, np.einsum(subscripts, *ops))
    check(lambda *xs: cr.einsum(subscripts, *xs), *ops, uses=("einsum",))


@pytest.mark.parametrize("subscripts", ["ii->i", "ii", "iij->j", "iij->ij", "ii,ij->j"])
def test_einsum_repeated_index_differentiates_onto_the_diagonal(subscripts):
    rng = np.random.default_rng(3)
    shapes = {"ii->i": [(3, 3)], "ii": [(3, 3)], "iij->j": [(3, 3, 2)],
              "iij->ij": [(3, 3, 2)], "ii,ij->j": [(3, 3), (3, 2)]}[subscripts]
    ops = [rng.standard_normal(s) for s in shapes]
    got = cr.einsum(subscripts, *[cr.tensor(o) for o in ops])
    np.testing.assert_allclose(got.data, np.einsum(subscripts, *ops))
    check(lambda *xs: cr.einsum(subscripts, *xs), *ops, uses=("einsum",))


def test_einsum_sublist_form_matches_numpy():
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    got = cr.einsum(cr.tensor(a), [0, 1], cr.tensor(b), [1, 2], [0, 2])
    np.testing.assert_allclose(got.data, np.einsum(a, [0, 1], b, [1, 2], [0, 2]))
    check(lambda a, b: cr.einsum(a, [0, 1], b, [1, 2]), a, b, uses=("einsum",))
    c = rng.standard_normal((2, 3, 3))
    check(lambda c: cr.einsum(c, [Ellipsis, 0, 0]), c, uses=("einsum",))


# ------------------------------------------------------------------------- shape
@covers("reshape")
@SETTINGS
@given(shape=shapes(), seed=seeds, how=st.sampled_from(["flat", "reversed", "extra 1", "-1"]))
def test_reshape_gradients(shape, seed, how):
    size = int(np.prod(shape))
    target = {
        "flat": (size,),
        "reversed": shape[::-1],
        "extra 1": (1, *shape, 1),
        "-1": (-1, shape[-1]) if shape else (-1,),
    }[how]
    x = values(seed, shape)
    check(lambda a: cr.reshape(a, target), x, uses=("reshape",))
    check(lambda a: a.reshape(target), x, uses=("reshape",))
    check(lambda a: cr.flatten(a), x, uses=("reshape",))


@covers("transpose")
@SETTINGS
@given(data=st.data(), shape=shapes(), seed=seeds)
def test_transpose_and_swapaxes_gradients(data, shape, seed):
    ndim = len(shape)
    perm = data.draw(st.permutations(range(ndim)), label="axes")
    # NumPy also takes negative axes, e.g. (-1, 0, 1).
    negative = data.draw(st.lists(st.booleans(), min_size=ndim, max_size=ndim), label="negative")
    perm = tuple(a - ndim if neg else a for a, neg in zip(perm, negative))
    x = values(seed, shape)
    np.testing.assert_array_equal(cr.transpose(cr.tensor(x), perm).data, np.transpose(x, perm))
    check(lambda a: cr.transpose(a, perm), x, uses=("transpose",))
    check(lambda a: cr.transpose(a), x)
    check(lambda a: a.T, x)
    if ndim:
        i = data.draw(st.integers(-ndim, ndim - 1), label="axis1")
        j = data.draw(st.integers(-ndim, ndim - 1), label="axis2")
        check(lambda a: cr.swapaxes(a, i, j), x, uses=("transpose",))
        np.testing.assert_array_equal(cr.swapaxes(cr.tensor(x), i, j).data, np.swapaxes(x, i, j))


@covers("broadcast_to")
@SETTINGS
@given(data=st.data(), target=shapes(), seed=seeds)
def test_broadcast_to_gradients(data, target, seed):
    shape = data.draw(hnp.broadcastable_shapes(target, min_side=1, max_side=3), label="shape")
    assume(np.broadcast_shapes(shape, target) == target)
    check(lambda a: cr.broadcast_to(a, target), values(seed, shape), uses=("broadcast_to",))


@covers("reshape")
@SETTINGS
@given(data=st.data(), shape=shapes(max_dims=4), seed=seeds)
def test_squeeze_and_expand_dims_gradients(data, shape, seed):
    ndim = len(shape)
    ones = [i for i, s in enumerate(shape) if s == 1]
    axis = data.draw(st.none() | st.sampled_from(ones) if ones else st.none(), label="axis")
    new = data.draw(st.integers(-ndim - 1, ndim), label="new axis")
    x = values(seed, shape)
    assert cr.squeeze(cr.tensor(x), axis).shape == np.squeeze(x, axis).shape
    assert cr.expand_dims(cr.tensor(x), new).shape == np.expand_dims(x, new).shape
    check(lambda a: cr.squeeze(a, axis), x, uses=("reshape",))
    check(lambda a: cr.expand_dims(a, new), x, uses=("reshape",))
    check(lambda a: cr.unsqueeze(a, new), x)


@covers("concatenate")
@SETTINGS
@given(data=st.data(), shape=shapes(min_dims=1), seed=seeds)
def test_concatenate_gradients(data, shape, seed):
    ndim = len(shape)
    axis = data.draw(st.integers(-ndim, ndim - 1), label="axis")
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3), label="sizes")
    pieces = []
    for k, n in enumerate(sizes):
        s = list(shape)
        s[axis] = n
        pieces.append(values(seed + k, tuple(s)))
    got = cr.concatenate([cr.tensor(p) for p in pieces], axis=axis)
    np.testing.assert_array_equal(got.data, np.concatenate(pieces, axis=axis))
    check(lambda *xs: cr.concatenate(xs, axis=axis), *pieces, uses=("concatenate",))
    # A constant (NumPy) piece among the tensors gets no gradient and breaks nothing.
    check(lambda x: cr.concatenate([pieces[0], x], axis=axis), pieces[-1])
    check(lambda *xs: cr.concatenate(xs, axis=None), *pieces)


@covers("concatenate")
@SETTINGS
@given(data=st.data(), shape=shapes(), seed=seeds, n=st.integers(1, 3))
def test_stack_gradients(data, shape, seed, n):
    ndim = len(shape)
    axis = data.draw(st.integers(-ndim - 1, ndim), label="axis")
    pieces = [values(seed + k, shape) for k in range(n)]
    got = cr.stack([cr.tensor(p) for p in pieces], axis=axis)
    np.testing.assert_array_equal(got.data, np.stack(pieces, axis=axis))
    check(lambda *xs: cr.stack(xs, axis=axis), *pieces, uses=("concatenate",))


@covers("getitem")
@SETTINGS
@given(data=st.data(), shape=shapes(min_dims=1), seed=seeds)
def test_split_gradients(data, shape, seed):
    ndim = len(shape)
    axis = data.draw(st.integers(-ndim, ndim - 1), label="axis")
    n = shape[axis]
    sections = data.draw(
        st.sampled_from([d for d in range(1, n + 1) if n % d == 0])
        | st.lists(st.integers(0, n), max_size=3).map(sorted),
        label="sections",
    )
    x = values(seed, shape)
    pieces = cr.split(cr.tensor(x), sections, axis=axis)
    for got, want in zip(pieces, np.split(x, sections, axis=axis), strict=True):
        np.testing.assert_array_equal(got.data, want)
    # Reversing the pieces makes a wrong slice in any VJP visible.
    f = lambda a: cr.concatenate(cr.split(a, sections, axis=axis)[::-1], axis=axis)
    check(f, x, uses=("getitem",))


@covers("pad")
@SETTINGS
@given(data=st.data(), shape=shapes(), seed=seeds)
def test_pad_gradients(data, shape, seed):
    ndim = len(shape)
    per_axis = st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, 2)), min_size=ndim, max_size=ndim
    )
    # NumPy reads an empty pad_width as a float array and refuses it, so 0-d uses an int.
    width = data.draw(st.integers(0, 2) | per_axis.map(tuple) if ndim else st.integers(0, 2))
    x = values(seed, shape)
    np.testing.assert_array_equal(cr.pad(cr.tensor(x), width).data, np.pad(x, width))
    check(lambda a: cr.pad(a, width), x, uses=("pad",))
    check(lambda a: cr.pad(a, width, constant_values=1.5), x, uses=("pad",))


@covers("pad_copies", "fold_padding")
@SETTINGS
@given(data=st.data(), shape=shapes(), seed=seeds,
       mode=st.sampled_from(["reflect", "symmetric", "edge", "wrap"]))
def test_pad_copying_modes_gradients(data, shape, seed, mode):
    # np.pad's copying modes are pad_copies, whose VJP (fold_padding) adds each padded
    # position back onto the element it copies; second order runs pad_copies again.
    assume(len(shape) > 0 and all(n > 0 for n in shape))
    width = tuple(data.draw(st.tuples(st.integers(0, 3), st.integers(0, 3)))
                  for _ in shape)
    x = values(seed, shape)
    np.testing.assert_array_equal(cr.pad(cr.tensor(x), width, mode=mode).data,
                                  np.pad(x, width, mode=mode))
    check(lambda a: cr.pad(a, width, mode=mode), x, uses=("pad_copies",))


def test_pad_other_modes_give_values_and_gradients():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = cr.pad(x, 2, mode="reflect")
    np.testing.assert_array_equal(y.data, np.pad(x.data, 2, mode="reflect"))
    y.sum().backward()
    # reflect by 2 copies x[2] and x[1] to the left, x[1] and x[0] to the right.
    np.testing.assert_array_equal(x.grad.data, [2.0, 3.0, 2.0])


@covers("flip")
@SETTINGS
@given(data=st.data(), shape=shapes(), seed=seeds)
def test_flip_gradients(data, shape, seed):
    axis = data.draw(axes(len(shape)), label="axis")
    x = values(seed, shape)
    np.testing.assert_array_equal(cr.flip(cr.tensor(x), axis).data, np.flip(x, axis))
    check(lambda a: cr.flip(a, axis), x, uses=("flip",))


@covers("getitem")
@SETTINGS
@given(data=st.data(), shape=shapes(min_dims=1), seed=seeds)
def test_take_gradients(data, shape, seed):
    ndim = len(shape)
    axis = data.draw(st.none() | st.integers(-ndim, ndim - 1), label="axis")
    n = int(np.prod(shape)) if axis is None else shape[axis]
    idx = data.draw(
        hnp.arrays(np.intp, shapes(max_dims=2, max_side=4), elements=st.integers(-n, n - 1))
    )
    x = values(seed, shape)
    np.testing.assert_array_equal(
        cr.take(cr.tensor(x), idx, axis=axis).data, np.take(x, idx, axis=axis)
    )
    check(lambda a: cr.take(a, idx, axis=axis), x, uses=("getitem",))


@covers("getitem")
@SETTINGS
@given(data=st.data(), shape=shapes(min_dims=1), seed=seeds)
def test_take_along_axis_gradients(data, shape, seed):
    ndim = len(shape)
    axis = data.draw(st.integers(-ndim, ndim - 1), label="axis")
    idx_shape = list(shape)
    idx_shape[axis] = data.draw(st.integers(1, 4), label="picks")
    idx = np.random.default_rng(seed).integers(0, shape[axis], size=idx_shape)
    x = values(seed, shape)
    want = np.take_along_axis(x, idx, axis=axis)
    np.testing.assert_array_equal(cr.take_along_axis(cr.tensor(x), idx, axis).data, want)
    check(lambda a: cr.take_along_axis(a, idx, axis), x, uses=("getitem",))


@covers("getitem", "scatter_add")
@SETTINGS
@given(data=st.data(), shape=shapes(), seed=seeds)
def test_basic_indexing_gradients(data, shape, seed):
    index = data.draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    x = values(seed, shape)
    np.testing.assert_array_equal(cr.tensor(x)[index].data, x[index])
    # The second-order check differentiates scatter_add, getitem's VJP.
    check(lambda a: a[index], x, uses=("getitem",))


@covers("getitem", "scatter_add")
@SETTINGS
@given(data=st.data(), shape=shapes(min_dims=1), seed=seeds)
def test_advanced_indexing_gradients(data, shape, seed):
    index = data.draw(hnp.integer_array_indices(shape, result_shape=shapes(max_dims=2, max_side=4)))
    x = values(seed, shape)
    np.testing.assert_array_equal(cr.tensor(x)[index].data, x[index])
    check(lambda a: a[index], x, uses=("getitem",))
    # Tensors as indices are read as their arrays.
    check(lambda a: a[tuple(cr.tensor(i) for i in index)], x)
    mask = np.random.default_rng(seed).random(shape) < 0.5
    check(lambda a: a[mask], x)
    check(lambda a: a[..., index[-1]], x)


@covers("getitem_at", "scatter_add_at")
@SETTINGS
@given(data=st.data(), shape=shapes(min_dims=1), seed=seeds)
def test_indexing_by_argument_arrays_gradients(data, shape, seed):
    # getitem_at: the index's arrays are arguments (what getitem records while a tracer
    # runs); the second-order check differentiates scatter_add_at, its VJP.
    from chainrule.index_template import split

    index = data.draw(hnp.integer_array_indices(shape, result_shape=shapes(max_dims=2, max_side=4)))
    items = (slice(None),) + index[1:] if len(index) > 1 and data.draw(st.booleans()) else index
    template, arrays = split(items)
    x = values(seed, shape)
    at = lambda a: shape_ops.getitem_at(a, *arrays, index=template)  # noqa: E731
    np.testing.assert_array_equal(at(cr.tensor(x)).data, x[items])
    check(at, x, uses=("getitem_at",))
    v = values(seed + 1, x[items].shape)
    back = lambda a: shape_ops.scatter_add_at(a, *arrays, index=template, shape=shape)  # noqa: E731
    expected = np.zeros(shape)
    np.add.at(expected, items, v)
    np.testing.assert_array_equal(back(cr.tensor(v)).data, expected)
    check(back, v, uses=("scatter_add_at",))


def test_repeated_indices_accumulate_gradient():
    x = cr.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    (x[[0, 2, 0, 0], [1, 3, 1, 2]] * np.array([1.0, 2.0, 3.0, 4.0])).sum().backward()
    expected = np.zeros((3, 4))
    expected[0, 1] = 1 + 3
    expected[2, 3] = 2
    expected[0, 2] = 4
    np.testing.assert_array_equal(x.grad.data, expected)
    x.grad = None
    x[[1, 1, 1]].sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.outer([0, 3, 0], np.ones(4)))


@covers("scatter_add")
@SETTINGS
@given(data=st.data(), shape=shapes(min_dims=1), seed=seeds)
def test_scatter_add_gradients(data, shape, seed):
    index = data.draw(
        hnp.integer_array_indices(shape, result_shape=shapes(max_dims=2, max_side=4))
        | hnp.basic_indices(shape)
    )
    v = values(seed, np.zeros(shape)[index].shape)
    scatter = lambda a: shape_ops.scatter_add(a, index=index, shape=shape)
    expected = np.zeros(shape)
    np.add.at(expected, index, v)
    np.testing.assert_array_equal(scatter(cr.tensor(v)).data, expected)
    check(scatter, v, uses=("scatter_add",))


# --------------------------------------------------------------------- float32
def _recording(rule, name, seen):
    def recorded_rule(*args, **kw):
        out = rule(*args, **kw)
        seen.append((name, np.result_type(out)))
        return out

    return recorded_rule


@pytest.fixture
def rule_dtypes():
    """The (primitive, dtype) of every cotangent a VJP rule returns while the test runs."""
    seen, saved = [], {}
    for name, p in rules.REGISTRY.items():
        # Backward applies declared derivatives in place of the rules they make (the
        # same product, g * d): off here, so that every cotangent passes a rule.
        saved[name] = p.vjps, p._inline
        p._inline = None
        if isinstance(p.vjps, rules.each_argument):
            p.vjps = rules.each_argument(_recording(p.vjps.rule, name, seen))
        else:
            p.vjps = tuple(None if r is None else _recording(r, name, seen) for r in p.vjps)
    yield seen
    for name, (vjps, inline) in saved.items():
        rules.REGISTRY[name].vjps = vjps
        rules.REGISTRY[name]._inline = inline


FLOAT32_CASES = {
    **{f"unary {n}": c.fn for n, c in UNARY.items() if "astype" not in c.uses},
    **{f"binary {n}": (lambda x, f=f: f(x, x[0] * 0.5 + 1)) for n, (f, *_) in BINARY.items()},
    **{f"reduce {n}": (lambda x, f=f: f(x, axis=-1)) for n, (f, *_) in REDUCTIONS.items()},
    "where": lambda x: cr.where(x.data > 1, x, x * 2),
    "clip arrays": lambda x: cr.clip(x, np.full(3, 0.5), np.full(3, 1.2)),
    "np.float64 constants": lambda x: np.float64(2) * x + x * np.float64(3) - np.float64(1) / x,
    "float64 array constant": lambda x: x * np.array([1.0, 2.0, 3.0]) + np.ones((2, 3)),
    "cumsum": lambda x: cr.cumsum(x, axis=0),
    "softmax": cr.softmax,
    "log_softmax": cr.log_softmax,
    "matmul": lambda x: x @ x.T,
    "dot with float64 array": lambda x: cr.dot(x, np.ones(3)),
    "einsum": lambda x: cr.einsum("ij,kj->ik", x, x),
    "getitem": lambda x: x[[0, 0], 1:],
    "pad": lambda x: cr.pad(x, 1),
    "concatenate": lambda x: cr.concatenate([x, x * 2], axis=-1),
    "take_along_axis": lambda x: cr.take_along_axis(x, np.array([[0], [2]]), 1),
    "transpose": lambda x: x.T * x.T,
    "prod with a zero": lambda x: cr.prod(x * np.array([0.0, 1.0, 1.0]), axis=1),
}


def float_nodes(out):
    """(primitive, dtype) of every floating-point node in the graph of `out`."""
    return {(n, t.dtype) for n, t in _nodes(out) if t.dtype.kind == "f"}


def _nodes(out):
    found, seen, stack = [], set(), [out]
    while stack:
        t = stack.pop()
        if id(t) in seen or not graph.is_tensor(t) or t._prim is None:
            continue
        seen.add(id(t))
        found.append((t._prim.name, t))
        stack.extend(t._args)
    return found


@pytest.mark.parametrize("name", sorted(FLOAT32_CASES))
def test_float32_stays_float32_forward_backward_and_second_order(name, rule_dtypes):
    f = FLOAT32_CASES[name]
    x = cr.tensor(np.random.default_rng(0).uniform(0.3, 1.5, (2, 3)).astype(F32), True)
    y = f(x)
    assert y.dtype == np.float32
    assert {d for _, d in float_nodes(y)} == {np.dtype(F32)}, float_nodes(y)
    y.sum().backward(retain_graph=True)
    assert x.grad.dtype == np.float32
    # First order: every cotangent the rules computed (not just the leaf's) is float32.
    upcast = {n for n, d in rule_dtypes if d.kind == "f" and d != F32}
    assert not upcast, f"VJP rules of {upcast} returned float64 cotangents"
    x.grad = None
    y.sum().backward(create_graph=True)
    assert x.grad.dtype == np.float32
    if x.grad.requires_grad:
        assert {d for _, d in float_nodes(x.grad)} <= {np.dtype(F32)}, float_nodes(x.grad)


# ------------------------------------------------------------ non-differentiable
NONDIFF_CASES = {
    "greater": lambda x: x > 0.1,
    "greater_equal": lambda x: x >= 0.1,
    "less": lambda x: x < 0.1,
    "less_equal": lambda x: x <= 0.1,
    "equal": lambda x: x == x,
    "not_equal": lambda x: x != 0.1,
    "logical_and": lambda x: P.logical_and(x > 0, x < 1),
    "logical_or": lambda x: P.logical_or(x > 0, x < -1),
    "logical_not": lambda x: P.logical_not(x > 0),
    "bitwise_and": lambda x: (x > 0) & (x < 1),
    "bitwise_or": lambda x: (x > 0) | (x.astype(np.int64) == 2),
    "bitwise_xor": lambda x: x.astype(np.int64) ^ 3,
    "invert": lambda x: ~x.astype(np.int64),
    "left_shift": lambda x: x.astype(np.int64) << 2,
    "right_shift": lambda x: 16 >> (x > 0).astype(np.int64),
    "sign": cr.sign,
    "floor": cr.floor,
    "ceil": cr.ceil,
    "round": P.round,
    "isfinite": cr.isfinite,
    "isnan": cr.isnan,
    "isinf": cr.isinf,
    "argmax": lambda x: cr.argmax(x, axis=-1),
    "argmin": lambda x: x.argmin(),
    "astype_discrete": lambda x: x.astype(np.int64),
}


@pytest.mark.parametrize("name", sorted(NONDIFF_CASES))
def test_nondifferentiable_outputs_carry_no_gradient(name):
    x = cr.tensor(np.array([[-1.5, 0.25], [0.7, 2.2]]), requires_grad=True)
    out = NONDIFF_CASES[name](x)
    assert not out.requires_grad
    assert out._prim is None
    # Used as a constant inside a differentiable expression, it passes no gradient.
    (x * cr.sum(out.astype(np.float64))).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full((2, 2), out.data.sum(), dtype=float))


def test_bit_operators_are_numpys():
    # Bit by bit on integers (logical on bools), as NumPy's operators; floats refused.
    a, b = np.array([5, -3, 6, 0]), np.array([3, 1, -1, 7])
    x, y = cr.tensor(a), cr.tensor(b)
    for got, want in [(x & y, a & b), (x | 8, a | 8), (3 ^ x, 3 ^ a), (~x, ~a),
                      (x << 2, a << 2), (x >> 1, a >> 1), (1 << cr.tensor(b % 4), 1 << b % 4)]:
        assert got.data.dtype == want.dtype
        np.testing.assert_array_equal(got.data, want)
    m = cr.tensor(np.array([True, False]))
    np.testing.assert_array_equal((~m & m).data, [False, False])
    z = cr.tensor(a.copy())
    z &= 6
    np.testing.assert_array_equal(z.data, a & 6)
    # every augmented operator on a view of a constant writes its base, as in NumPy
    for op in ("+=", "-=", "*=", "/=", "**=", "//=", "%=", "<<=", ">>=", "&=", "|=", "^="):
        floats = op in ("/=", "**=")
        base = (np.arange(1.0, 7.0) if floats else np.arange(1, 7)).reshape(2, 3)
        want, t = base.copy(), cr.tensor(base.copy())
        exec(f"v = t[:, 1:]\nv {op} 2\nv = t.T[0]\nv {op} 3", {"t": t})
        exec(f"v = want[:, 1:]\nv {op} 2\nv = want.T[0]\nv {op} 3", {"want": want})
        np.testing.assert_array_equal(t.data, want, err_msg=op)
    with pytest.raises(TypeError):
        cr.tensor([1.5]) & 1


# --------------------------------------------------------------------- coverage
ENGINE_MODULES = (elementwise, reductions, shape_ops, linalg, activations)


def engine_primitives():
    """Names of the primitives that the engine modules define (or import from each other)."""
    return {
        p.name for m in ENGINE_MODULES for p in vars(m).values() if isinstance(p, rules.Primitive)
    }


def test_every_engine_primitive_has_a_gradient_check():
    names = engine_primitives()
    assert names <= set(rules.REGISTRY)
    differentiable = {n for n in names if rules.REGISTRY[n].differentiable}
    missing = differentiable - set(COVERED)
    assert not missing, f"primitives without a gradient check in test_primitives.py: {missing}"
    unchecked = (names - differentiable) - set(NONDIFF_CASES)
    assert not unchecked, f"non-differentiable primitives without a test: {unchecked}"
    # Every primitive importable from chainrule today is among them.
    for name in ["add", "matmul", "getitem", "softmax", "log_softmax", "cumsum", "pad", "erf"]:
        assert name in differentiable


@SETTINGS
@given(
    rows=st.lists(st.integers(1, 40), min_size=1, max_size=3),
    k=st.integers(1, 70),
    dtype=st.sampled_from([np.float32, np.float64]),
    keepdims=st.booleans(),
    seed=seeds,
)
def test_short_row_reductions_agree_with_numpy(rows, k, dtype, keepdims, seed):
    # reductions.reduce_last reduces short last axes through a transposed copy; max and
    # min must be exact, sums equal to rounding (a different summation order).
    x = np.random.default_rng(seed).standard_normal((*rows, k)).astype(dtype)
    if x.size > 3:
        x.flat[3] = np.nan if seed % 3 == 0 else x.flat[3]
    for axis in (-1, x.ndim - 1):
        for ufunc, ref in ((np.maximum, np.max), (np.minimum, np.min)):
            got = reductions.reduce_last(ufunc, x, axis, keepdims)
            np.testing.assert_array_equal(got, ref(x, axis=axis, keepdims=keepdims))
        got = reductions.reduce_last(np.add, x, axis, keepdims)
        want = np.sum(x, axis=axis, keepdims=keepdims)
        assert got.shape == want.shape and got.dtype == want.dtype
        bound = k * np.finfo(dtype).eps * np.abs(x).sum(axis=axis, keepdims=keepdims)
        ok = (np.abs(got - want) <= bound) | (np.isnan(got) & np.isnan(want))
        assert ok.all(), (got, want)
    # the public reductions go through it and keep NumPy's values and shapes
    np.testing.assert_array_equal(cr.max(cr.tensor(x), axis=-1).data, np.max(x, axis=-1))
    np.testing.assert_array_equal(cr.sum(cr.tensor(x), axis=-1).data,
                                  reductions.reduce_last(np.add, x, -1, keepdims=False))
    # a non-contiguous input takes NumPy's own path
    t = x.swapaxes(0, -1)
    np.testing.assert_array_equal(reductions.reduce_last(np.maximum, t, -1),
                                  t.max(-1, keepdims=True))


def test_add_at_by_flat_positions_matches_numpy_add_at(monkeypatch):
    from chainrule.primitives import shape as shape_module
    from chainrule.primitives.shape import add_at

    monkeypatch.setattr(shape_module, "_FLAT_FROM", 0)  # (the flat path for small ones too)

    rng = np.random.default_rng(5)
    shape = (6, 3, 2)
    g_rows = rng.standard_normal((4, 5, 3, 2))
    rows = np.array([[0, -1, 5, 0, 2], [1, 1, 1, -6, 3], [5, 5, 0, 0, 0], [2, 3, 4, -2, -1]])
    flat_coords = (np.array([0, -1, 0, 5]), np.array([[1], [2]]), np.array([0, 1, -1, 0]))
    g_coords = rng.standard_normal((2, 4))
    cases = [
        (rows, g_rows),
        ((rows,), g_rows),
        (flat_coords, g_coords),
        (np.array(4), rng.standard_normal((3, 2))),
        ((np.array([0, 0, 1]), slice(None), np.array([1, 1, 0])), rng.standard_normal((3, 3))),
        (np.array([True, False, True, False, False, True]), rng.standard_normal((3, 3, 2))),
    ]
    for index, g in cases:
        want = np.zeros(shape)
        np.add.at(want, index, g)
        got = np.zeros(shape)
        add_at(got, index, g)
        np.testing.assert_allclose(got, want, rtol=1e-15, atol=0)

    with pytest.raises(IndexError):
        add_at(np.zeros(shape), np.array([0, 6]), rng.standard_normal((2, 3, 2)))
