"""chainrule.misc: autograd's utilities (flatten, optimizers, check_grads, differential
operators, defining derivatives, fixed points, containers, graph printing)."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp
from chainrule import misc, rules
from chainrule.gradcheck import GradcheckError
from chainrule.misc import optimizers


@pytest.fixture(autouse=True)
def _forget_test_primitives():
    # Primitives these tests declare leave the registry afterwards (other tests walk it).
    before = set(rules.REGISTRY)
    yield
    for name in set(rules.REGISTRY) - before:
        del rules.REGISTRY[name]


# ------------------------------------------------------------------- flatten
def test_flatten_orders_dict_keys_and_round_trips():
    tree = {"b": [np.ones(2), 3.0], "a": (np.arange(4.0).reshape(2, 2),)}
    v, unflatten = misc.flatten(tree)
    np.testing.assert_array_equal(v, [0, 1, 2, 3, 1, 1, 3])
    back = unflatten(v)
    assert list(back) == ["a", "b"] and isinstance(back["a"], tuple)
    np.testing.assert_array_equal(back["a"][0], tree["a"][0])
    assert back["b"][1].shape == ()
    assert misc.ravel_pytree is misc.flatten


def test_flatten_inside_grad_and_unflatten_inside_a_loss():
    g = cr.grad(lambda x: cnp.sum(misc.flatten([x, {"k": 2 * x}])[0] ** 2))(np.ones(2))
    np.testing.assert_allclose(g, 10 * np.ones(2))
    _, unflatten = misc.flatten({"w": np.zeros((2, 2)), "b": np.zeros(2)})

    def loss(v):
        p = unflatten(v)
        return cnp.sum(p["w"] ** 2) + cnp.sum(3 * p["b"])

    g = cr.grad(loss)(np.arange(6.0))
    np.testing.assert_allclose(g, [3, 3, 4, 6, 8, 10])  # b first (sorted keys), then w


def test_flatten_keeps_namedtuples_and_rejects_a_wrong_length():
    Point = collections.namedtuple("Point", "x y")
    v, unflatten = misc.flatten(Point(np.ones(1), np.zeros(2)))
    assert isinstance(unflatten(v), Point)
    with pytest.raises(ValueError, match="length 3"):
        unflatten(np.zeros(4))


def test_flatten_func():
    f, unflatten, x0 = misc.flatten_func(lambda p: {"y": p["x"] * 2}, {"x": np.ones(3)})
    np.testing.assert_array_equal(f(x0), 2 * np.ones(3))


# ---------------------------------------------------------------- optimizers
@pytest.mark.parametrize("opt, kw", [(optimizers.adam, {"step_size": 0.1, "num_iters": 500}),
                                     (optimizers.sgd, {"step_size": 0.1, "num_iters": 500}),
                                     (optimizers.rmsprop, {"step_size": 0.01,
                                                           "num_iters": 1000})])
def test_pytree_optimizers_minimise_and_call_back(opt, kw):
    target = {"w": np.array([1.0, -2.0]), "b": (np.array(0.5),)}

    def objective(p, i):
        return (cnp.sum((p["w"] - target["w"]) ** 2)
                + cnp.sum((p["b"][0] - target["b"][0]) ** 2))

    seen = []
    x = opt(cr.grad(objective), {"w": np.zeros(2), "b": (np.array(0.0),)},
            callback=lambda x, i, g: seen.append((i, set(x), set(g))), **kw)
    np.testing.assert_allclose(x["w"], target["w"], atol=2e-2)
    np.testing.assert_allclose(x["b"][0], target["b"][0], atol=2e-2)
    assert seen[0] == (0, {"w", "b"}, {"w", "b"}) and len(seen) == kw["num_iters"]


# -------------------------------------------------------------- check_grads
def test_check_grads_passes_right_rules_and_catches_wrong_ones():
    assert misc.check_grads(lambda x: cnp.tanh(x) * x, modes=["fwd", "rev"], order=2)(
        np.array([0.3, -0.5]))
    assert misc.check_grads(lambda x: cnp.sum(cnp.sin(x)), order=3)(np.array([0.3, 0.5]))
    assert misc.check_grads(lambda a, b: a * b, argnum=1)(np.array(2.0), np.array(3.0))

    @misc.primitive
    def wrong_square(x):
        return x**2

    misc.defvjp(wrong_square, lambda ans, x: lambda g: g * 3 * x)
    with pytest.raises(GradcheckError):
        misc.check_grads(wrong_square, modes=["rev"], order=1)(np.array([0.5, 1.5]))


def test_check_grads_takes_pytrees():
    def f(p):
        return {"out": p["a"] * cnp.sin(p["b"])}

    assert misc.check_grads(f, order=2)({"a": np.array([1.0, 2.0]), "b": np.array(0.3)})


# -------------------------------------------------------- differential operators
def test_hessian_vector_product_and_make_hvp():
    f = lambda x: cnp.sum(x**3) + x[0] * x[1]  # noqa: E731
    x, v = np.array([1.0, 2.0]), np.array([1.0, -1.0])
    h = np.array([[6.0, 1.0], [1.0, 12.0]])
    np.testing.assert_allclose(misc.hessian_vector_product(f)(x, v), h @ v)
    hvp, g = misc.make_hvp(f)(x)
    np.testing.assert_allclose(hvp(v), h @ v)
    np.testing.assert_allclose(g, 3 * x**2 + x[::-1])


def test_make_vjp_make_jvp_and_products():
    f = lambda x, y: cnp.sin(x) * y  # noqa: E731
    x, y = np.array([0.1, 0.2]), np.array([2.0, 3.0])
    vjp, ans = misc.make_vjp(f)(x, y)
    np.testing.assert_allclose(ans, np.sin(x) * y)
    np.testing.assert_allclose(vjp(np.ones(2)), np.cos(x) * y)
    out, t = misc.make_jvp(f, 1)(x, y)(np.ones(2))
    np.testing.assert_allclose(t, np.sin(x))
    np.testing.assert_allclose(misc.vector_jacobian_product(f)(x, y, np.ones(2)), np.cos(x) * y)
    np.testing.assert_allclose(misc.deriv(cnp.sin)(0.3), np.cos(0.3))


def test_grad_and_aux_named_and_multigrad_dict():
    g, aux = misc.grad_and_aux(lambda x: (x**2, "aux"))(3.0)
    assert g == 6.0 and aux == "aux"
    assert misc.grad_named(lambda x, y: x * y**2, "y")(2.0, 3.0) == 12.0
    gs = misc.multigrad_dict(lambda x, y=2.0: x * y)(3.0)
    assert gs == {"x": 2.0, "y": 3.0}


def test_make_ggnvp_is_the_gauss_newton_product():
    a = np.array([[1.0, 2.0], [0.5, -1.0], [0.0, 3.0]])
    f = lambda x: cnp.dot(a, x)  # noqa: E731
    ggnvp = misc.make_ggnvp(f)(np.array([0.1, 0.2]))
    v = np.array([1.0, -2.0])
    np.testing.assert_allclose(ggnvp(v), a.T @ a @ v)


# --------------------------------------------------------- defining derivatives
def test_primitive_defvjp_defjvp_every_order():
    @misc.primitive
    def logsumexp(x):
        m = np.max(x)
        return m + np.log(np.sum(np.exp(x - m)))

    misc.defvjp(logsumexp, lambda ans, x: lambda g: g * cnp.exp(x - ans))
    x = np.array([1.0, 2.0, 3.0])
    assert logsumexp(x) == pytest.approx(np.log(np.sum(np.exp(x))))
    misc.check_grads(logsumexp, modes=["rev"], order=2)(x)
    misc.check_grads(logsumexp, modes=["fwd"], order=1)(x)  # JVP derived from the VJP
    misc.defjvp(logsumexp, lambda g, ans, x: cnp.sum(g * cnp.exp(x - ans)))
    misc.check_grads(logsumexp, modes=["fwd", "rev"], order=2)(x)


def test_defvjp_with_argnums_and_none():
    @misc.primitive
    def scale(x, k):
        return x * k

    misc.defvjp(scale, lambda ans, x, k: lambda g: g * k, argnums=(0,))
    assert cr.grad(scale)(2.0, 3.0) == 3.0
    with pytest.raises(TypeError, match="not a primitive"):
        misc.defvjp(lambda x: x, None)


def test_def_linear_gives_the_jvp():
    @misc.primitive
    def double(x):
        return 2 * x

    misc.defvjp(double, lambda ans, x: lambda g: 2 * g)
    misc.def_linear(double)
    _, t = cr.jvp(double, (np.ones(2),), (np.array([1.0, 3.0]),))
    np.testing.assert_allclose(t, [2.0, 6.0])


# --------------------------------------------------------------- fixed points
def _newton_sqrt(a, guess=10.0):
    return misc.fixed_point(lambda a: lambda x: 0.5 * (x + a / x), a, guess,
                            lambda x, y: cnp.abs(x - y), 1e-10)


def test_fixed_point_gradient_is_the_implicit_one_to_second_order():
    assert _newton_sqrt(2.0) == pytest.approx(np.sqrt(2.0), rel=1e-14)
    assert cr.grad(_newton_sqrt)(2.0) == pytest.approx(0.5 / np.sqrt(2.0), rel=1e-12)
    assert cr.grad(cr.grad(_newton_sqrt))(2.0) == pytest.approx(-0.25 * 2.0**-1.5, rel=1e-9)


# ---------------------------------------------------------- container types
def test_functions_that_build_and_index_containers_differentiate():
    def f(x):
        t = misc.tuple((x, 2 * x))
        d = misc.dict(a=t[0], b=misc.list([t[1], x**2]))
        assert misc.isinstance(d["b"], misc.list)
        return d["a"] * d["b"][0] + d["b"][1]

    assert cr.grad(f)(3.0) == 18.0  # f = 2 x^2 + x^2
    out, vjp = cr.vjp(lambda x: (x, {"sq": x**2}), 3.0)
    assert vjp((1.0, {"sq": 1.0}))[0] == 7.0
    g = cr.grad(lambda p: p["w"][0] * p["w"][1])({"w": (2.0, 5.0)})
    assert g == {"w": (5.0, 2.0)}


# ------------------------------------------------------------ graph drawing
def test_graph_text_and_dot():
    def fun(x):
        y = cnp.sin(x + x)
        return (y + y) / 2

    text = str(misc.graph_of(fun, 1.23))
    assert text.splitlines() == [
        "A = 1.23",
        "B = add(A, A) = 2.46",
        f"C = sin(B) = {np.sin(2.46):.6f}",
        f"D = add(C, C) = {2 * np.sin(2.46):.6f}",
        f"E = divide(D, 2) = {np.sin(2.46):.6f}",
    ]
    dot = misc.to_dot(lambda x: (cnp.sin(x) + cnp.exp(x) - 0.5) * cnp.sin(x), 1.0)
    assert dot.startswith("digraph G {") and dot.endswith("}")
    assert 'A [label="input"' in dot and "-> output" in dot
    assert dot.count("shape=box") == 6  # sin, exp, add, subtract, sin, multiply
    grad_graph = misc.graph_of(cr.grad(fun), 1.0)
    assert "cos" in str(grad_graph)


def test_fixed_point_of_a_map_that_takes_a_gradient_differentiates_in_its_parameter():
    # A bilevel problem: w*(a) minimises inner(., a) by gradient steps; d sum(w*^2) / da.
    # The fixed point's derivative rule runs transforms inside the outer gradient's
    # backward pass; their recorded result is the gradient (it raised before).
    from chainrule.misc.fixed_points import fixed_point

    def inner(w, a):
        return cnp.sum((w - a) ** 2) + 0.5 * cnp.sum(w ** 4)

    def step(a):
        return lambda w: w - 0.1 * cr.grad(inner)(w, a)

    def outer(a):
        w = fixed_point(step, a, np.zeros(2), lambda x, y: cnp.max(cnp.abs(x - y)), 1e-13)
        return cnp.sum(w ** 2)

    a0 = np.array([0.5, -1.0])
    got = cr.grad(outer)(a0)
    h = 1e-6
    want = [(outer(a0 + h * e) - outer(a0 - h * e)) / (2 * h) for e in np.eye(2)]
    assert type(got) is np.ndarray and np.allclose(got, want, atol=1e-7)
