"""Function transforms: grad, value_and_grad, vjp, jvp, jacobian, hessian, hvp, elementwise_grad.

Results are compared with closed forms where there is one and with each other (jacobian
of grad = hessian, hvp = hessian @ v, rev = fwd) elsewhere; composition is checked to
third order and across modes.
"""

from __future__ import annotations

import collections

import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp
from chainrule import forward_mode, graph, rules, transforms
from chainrule.domains import checked_function
from chainrule.scipy.special import logsumexp

RNG = np.random.default_rng(0)
A = RNG.standard_normal((4, 3))
X = RNG.standard_normal(3)


def f_smooth(x):
    """logsumexp(tanh(A x)) + sum(x^2): the benchmark's function, small."""
    return logsumexp(cnp.tanh(A @ x)) + cnp.sum(x**2)


def hessian_smooth(x):
    # f = lse(u) + |x|^2, u = tanh(Ax): H = A^T (diag(t') (diag(s) - s s^T) diag(t') +
    # diag(s * t'')) A + 2 I, with s = softmax(u), t' = 1 - u^2, t'' = -2 u t'.
    u = np.tanh(A @ x)
    s = np.exp(u - np.log(np.exp(u).sum()))
    d1 = 1 - u**2
    d2 = -2 * u * d1
    inner = np.diag(d1) @ (np.diag(s) - np.outer(s, s)) @ np.diag(d1) + np.diag(s * d2)
    return A.T @ inner @ A + 2 * np.eye(len(x))


# --------------------------------------------------------------------- grad
def test_grad_matches_closed_form():
    g = cr.grad(lambda x: cnp.sum(cnp.tanh(x) ** 2))(X)
    np.testing.assert_allclose(g, 2 * np.tanh(X) * (1 - np.tanh(X) ** 2))
    assert isinstance(g, np.ndarray) and g.dtype == np.float64


def test_grad_argnum_tuple_and_value_and_grad():
    f = lambda a, b, c: cnp.sum(a * b) + c  # noqa: E731
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    ga, gb = cr.grad(f, argnum=(0, 1))(a, b, 5.0)
    np.testing.assert_array_equal(ga, b)
    np.testing.assert_array_equal(gb, a)
    value, (gc,) = cr.value_and_grad(f, argnum=(2,))(a, b, 5.0)
    assert value == 16.0 and gc == 1.0 and isinstance(gc, float)
    assert cr.grad(f, argnum=-1)(a, b, 5.0) == 1.0


def test_grad_keeps_the_kind_and_dtype_of_each_input():
    assert isinstance(cr.grad(lambda x: x**3)(2.0), float)
    # a NumPy scalar, as HIPS autograd's: .round(), .item() and .shape work on it
    assert type(cr.grad(lambda x: x**3)(2.0)) is np.float64
    g32 = cr.grad(lambda x: cnp.sum(x * x))(np.ones(3, dtype=np.float32))
    assert g32.dtype == np.float32
    g = cr.grad(lambda x: x * x)(np.float64(3.0))
    assert isinstance(g, np.float64) and g == 6.0


def test_grad_over_pytrees():
    Point = collections.namedtuple("Point", "x y")

    def f(params):
        w, (b, c) = params["w"], params["bc"]
        return cnp.sum(w * w) + b * c[0] + params["p"].x * params["p"].y

    params = {"w": np.array([1.0, -2.0]), "bc": (3.0, [np.array(4.0)]), "p": Point(2.0, 5.0)}
    g = cr.grad(f)(params)
    assert set(g) == {"w", "bc", "p"}
    np.testing.assert_array_equal(g["w"], [2.0, -4.0])
    assert isinstance(g["bc"], tuple) and isinstance(g["bc"][1], list)
    assert g["bc"][0] == 4.0 and g["bc"][1][0] == 3.0
    assert isinstance(g["p"], Point) and g["p"] == Point(5.0, 2.0)


def test_none_in_a_pytree_is_an_empty_subtree_as_in_jax():
    # A parameter dict with an absent bias: the gradient keeps the None, vmap's in_axes
    # may name it or cover it with a prefix, and outputs may hold None.
    params = {"w": np.array([1.0, -2.0]), "b": None}
    g = cr.grad(lambda p: cnp.sum(p["w"] ** 2))(params)
    assert g["b"] is None
    np.testing.assert_array_equal(g["w"], [2.0, -4.0])
    assert cr.pytree.tree_flatten({"a": None, "b": 1.0})[0] == [1.0]
    x = np.arange(6.0).reshape(3, 2)
    for axes in ((None, 0), ({"w": None, "b": None}, 0), ({"w": None, "b": 0}, 0)):
        got = cr.vmap(lambda p, x: p["w"] * x, in_axes=axes)(params, x)
        np.testing.assert_array_equal(got, params["w"] * x)
    with pytest.raises(ValueError, match="does not match argument"):
        cr.vmap(lambda p, x: x, in_axes=((0, 0, 0), 0))((np.ones(2), None), x)
    value, aux = cr.vmap(lambda r: (r * 2, None))(x)
    assert aux is None and np.array_equal(value, 2 * x)
    (val, aux), grad = cr.value_and_grad(lambda v: (cnp.sum(v), None), has_aux=True)(x)
    assert aux is None and val == 15.0 and np.array_equal(grad, np.ones_like(x))
    jac, none = cr.jacobian(lambda v: (2 * v, None))(np.ones(2))
    assert none is None and np.array_equal(jac, 2 * np.eye(2))


def test_pytree_helpers_take_jaxs_arguments():
    from chainrule import pytree

    params = {"w": np.ones(2), "b": None, "layers": [np.zeros(3)]}
    grads = cr.grad(lambda p: cnp.sum(p["w"] ** 2) + cnp.sum(cnp.sin(p["layers"][0])))(params)
    stepped = pytree.tree_map(lambda p, g: p - 0.5 * g, params, grads)
    np.testing.assert_array_equal(stepped["w"], [0.0, 0.0])
    np.testing.assert_array_equal(stepped["layers"][0], [-0.5, -0.5, -0.5])
    assert stepped["b"] is None
    # the first tree is a prefix of the others: a leaf there takes a whole subtree
    assert pytree.tree_map(lambda a, b: (a, b), [1, 2], [(3, 4), 5]) == [(1, (3, 4)), (2, 5)]
    with pytest.raises(ValueError, match="structure"):
        pytree.tree_map(lambda a, b: a + b, {"x": 1}, {"x": 10, "z": 1})
    assert pytree.tree_leaves([1, (2, None), {"b": 3}]) == [1, 2, 3]
    assert pytree.tree_leaves([1, (2, 3)], is_leaf=lambda n: isinstance(n, tuple)) == [1, (2, 3)]
    assert pytree.tree_structure([1, (2, None)]) == pytree.tree_structure([5, (6, None)])
    assert pytree.tree_structure([1, (2, None)]) != pytree.tree_structure([5, (6, 7)])
    assert pytree.tree_reduce(lambda a, b: a + b, [1, (2, 3)]) == 6
    assert pytree.tree_reduce(lambda a, b: a + b, [], 0) == 0


def test_grad_of_unconnected_argument_is_zero():
    g = cr.grad(lambda x, y: cnp.sum(x), argnum=1)(np.ones(2), np.ones(3))
    np.testing.assert_array_equal(g, np.zeros(3))
    assert cr.grad(lambda x: 3.0)(1.0) == 0.0


def test_grad_errors_name_the_problem():
    with pytest.raises(TypeError, match="scalar"):
        cr.grad(lambda x: x * 2)(np.ones(3))
    with pytest.raises(TypeError, match="int64"):
        cr.grad(lambda x: x * 2)(np.array(3))
    with pytest.raises(IndexError, match="argnum 2"):
        cr.grad(lambda x: x, argnum=2)(1.0)


def test_grad_works_under_no_grad():
    with cr.no_grad():
        np.testing.assert_allclose(cr.grad(lambda x: cnp.sin(x))(0.5), np.cos(0.5))


def test_elementwise_grad():
    x = np.linspace(-2, 2, 5)
    np.testing.assert_allclose(cr.elementwise_grad(cnp.tanh)(x), 1 - np.tanh(x) ** 2)


# --------------------------------------------------------------- composition
def test_grad_of_grad_to_third_order():
    d3 = cr.grad(cr.grad(cr.grad(cnp.sin)))
    np.testing.assert_allclose(d3(0.3), -np.cos(0.3))
    d2 = cr.grad(cr.grad(lambda x: x * cnp.exp(x)))
    np.testing.assert_allclose(d2(0.7), (0.7 + 2) * np.exp(0.7))


def test_grad_of_function_that_calls_grad_with_a_closure():
    def outer(w):
        inner = cr.grad(lambda x: cnp.sum(w * x**2))(np.array([1.0, 2.0]))  # = 2 w x
        return cnp.sum(inner * inner)  # = 4 w^2 (1 + 4)

    np.testing.assert_allclose(cr.grad(outer)(1.5), 8 * 1.5 * 5)


def test_jacobian_of_grad_equals_hessian_and_closed_form():
    h = cr.hessian(f_smooth)(X)
    assert h.shape == (3, 3)
    np.testing.assert_allclose(h, hessian_smooth(X), atol=1e-12)
    np.testing.assert_allclose(cr.jacobian(cr.grad(f_smooth))(X), h, atol=1e-12)
    np.testing.assert_allclose(cr.jacobian(cr.grad(f_smooth), mode="fwd")(X), h, atol=1e-12)


def test_hvp_equals_hessian_times_v():
    v = RNG.standard_normal(3)
    np.testing.assert_allclose(cr.hvp(f_smooth, X, v), hessian_smooth(X) @ v, atol=1e-12)


def test_hessian_of_quadratic_form_and_of_matrix_input():
    M = RNG.standard_normal((3, 3))
    np.testing.assert_allclose(cr.hessian(lambda x: x @ M @ x)(X), M + M.T, atol=1e-12)
    h = cr.hessian(lambda W: cnp.sum(W**3))(np.ones((2, 2)) * 2.0)
    assert h.shape == (2, 2, 2, 2)
    np.testing.assert_allclose(h.reshape(4, 4), np.diag(np.full(4, 12.0)))


def test_hessian_of_function_that_calls_hessian():
    # tr(H_g(x)) for g = sum(x^4) is 12 sum(x^2); its gradient is 24 x.
    def lap(x):
        return cnp.trace(cr.hessian(lambda y: cnp.sum(y**4))(x))

    np.testing.assert_allclose(cr.grad(lap)(X), 24 * X, atol=1e-12)


# ------------------------------------------------------------- forward mode
def test_jvp_matches_jacobian_times_tangent():
    f = lambda x: cnp.tanh(A @ x) * cnp.sum(x)  # noqa: E731
    v = RNG.standard_normal(3)
    out, t = cr.jvp(f, (X,), (v,))
    np.testing.assert_allclose(out, f(X))
    np.testing.assert_allclose(t, cr.jacobian(f)(X) @ v, atol=1e-12)


def test_jvp_with_several_primals_and_pytree_output():
    def f(x, y):
        return {"s": cnp.sum(x * y), "p": (x * 2, y)}

    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    vx, vy = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    out, t = cr.jvp(f, (x, y), (vx, vy))
    assert t["s"] == 3.0 + 2.0
    np.testing.assert_array_equal(t["p"][0], 2 * vx)
    np.testing.assert_array_equal(t["p"][1], vy)
    np.testing.assert_array_equal(out["p"][0], 2 * x)


def test_jvp_of_constant_output_is_zero_and_shapes_are_checked():
    out, t = cr.jvp(lambda x: cnp.ones(2), (np.ones(3),), (np.ones(3),))
    np.testing.assert_array_equal(t, np.zeros(2))
    with pytest.raises(ValueError, match="tangent of shape"):
        cr.jvp(cnp.sin, (np.ones(3),), (np.ones(2),))
    with pytest.raises(TypeError, match="tuples"):
        cr.jvp(cnp.sin, np.ones(3), np.ones(3))


def test_forward_over_forward_to_third_order():
    def d(f):
        return lambda x: cr.jvp(f, (x,), (1.0,))[1]

    np.testing.assert_allclose(d(d(d(cnp.sin)))(0.4), -np.cos(0.4))
    np.testing.assert_allclose(d(d(lambda x: x**3))(2.0), 12.0)


def test_reverse_over_forward_and_forward_over_reverse():
    # grad of a JVP: d/dx [f'(x) v] = f''(x) v; JVP of a grad: the same.
    f = lambda x: cnp.sum(cnp.exp(x) * x)  # noqa: E731
    v = np.array([0.5, -1.0])
    x = np.array([0.2, 0.3])
    second = (x + 2) * np.exp(x) * v
    np.testing.assert_allclose(cr.grad(lambda y: cr.jvp(f, (y,), (v,))[1])(x), second)
    np.testing.assert_allclose(cr.jvp(cr.grad(f), (x,), (v,))[1], second)


def test_nested_derivatives_do_not_confuse_their_perturbations():
    # d/dx [x * d/dy (x + y)] = d/dx [x * 1] = 1: the inner derivative must not pick up
    # the outer perturbation of x (it would give 2).
    def f_fwd(x):
        return x * cr.jvp(lambda y: x + y, (1.0,), (1.0,))[1]

    def f_rev(x):
        return x * cr.grad(lambda y: x + y)(1.0)

    assert cr.jvp(f_fwd, (1.0,), (1.0,))[1] == 1.0
    assert cr.grad(f_rev)(1.0) == 1.0
    assert cr.grad(f_fwd)(1.0) == 1.0
    assert cr.jvp(f_rev, (1.0,), (1.0,))[1] == 1.0


def test_tangent_that_depends_on_the_differentiated_variable():
    # The JVP of s -> sin(s w) at s = 1 along the tangent w is w^2 cos(w); its derivative
    # in w is 2 w cos(w) - w^2 sin(w).
    g = cr.grad(lambda w: cr.jvp(lambda s: cnp.sin(s * w), (1.0,), (w,))[1])(0.8)
    np.testing.assert_allclose(g, 2 * 0.8 * np.cos(0.8) - 0.8**2 * np.sin(0.8))


@pytest.mark.parametrize("name", sorted(rules.REGISTRY))
def test_every_primitive_forward_mode_matches_finite_differences(name):
    # Forward mode is real: each registered primitive's JVP rule, and the JVP of that
    # rule (second order), against central differences on an input from its declared domain.
    prim = rules.REGISTRY[name]
    if not prim.differentiable:
        pytest.skip("declared non-differentiable")
    f, arrays = checked_function(prim, np.random.default_rng(1))
    assert cr.gradcheck(f, *arrays, order=2, modes=("fwd",))


def test_jvp_derived_from_vjp_when_a_primitive_has_no_jvp_rule():
    # An unregistered primitive with a VJP rule only: forward mode transposes the VJP.
    cube = rules.Primitive("cube_vjp_only", lambda x: x**3).defvjp(
        lambda g, ans, x: g * 3 * x * x,
    )
    x = np.array([0.5, -2.0])
    v = np.array([1.0, 3.0])
    np.testing.assert_allclose(cr.jvp(cube, (x,), (v,))[1], 3 * x**2 * v)
    np.testing.assert_allclose(cr.jacobian(cube, mode="fwd")(x), np.diag(3 * x**2))
    # ... and stays differentiable (the transposed VJP is recorded).
    np.testing.assert_allclose(cr.hvp(lambda y: cnp.sum(cube(y)), x, v), 6 * x * v)
    nothing = rules.Primitive("no_rules", lambda x: x * 2)
    with pytest.raises(NotImplementedError, match="no_rules"):
        cr.jvp(nothing, (x,), (v,))


# ----------------------------------------------------------------- Jacobians
def test_jacobian_shape_is_output_shape_plus_input_shape():
    W = RNG.standard_normal((4, 2, 3))

    def f(x):  # (2, 3) -> (4, 2)
        return cnp.sum(W * cnp.sin(x), axis=-1)

    x = RNG.standard_normal((2, 3))
    expected = np.zeros((4, 2, 2, 3))
    for i in range(2):
        expected[:, i, i, :] = W[:, i, :] * np.cos(x[i])
    for mode in ("rev", "fwd"):
        j = cr.jacobian(f, mode=mode)(x)
        assert j.shape == (4, 2, 2, 3)
        np.testing.assert_allclose(j, expected, atol=1e-12)


def test_jacobian_of_log_softmax_is_the_seeds_matrix():
    # Seed 4b: d log softmax_i / d x_j = delta_ij - softmax_j.
    x = RNG.standard_normal(50)
    s = np.exp(x - np.log(np.exp(x).sum()))
    expected = np.eye(50) - s[None, :]
    for mode in ("rev", "fwd"):
        np.testing.assert_allclose(cr.jacobian(cr.log_softmax, mode=mode)(x), expected, atol=1e-13)


def test_rev_jacobian_evaluates_f_once_and_fwd_once_per_input_element():
    calls = []

    def f(x):
        calls.append(1)
        return cnp.tanh(x) * 2

    cr.jacobian(f, mode="rev")(np.ones(5))
    assert len(calls) == 1
    calls.clear()
    cr.jacobian(f, mode="fwd")(np.ones(5))
    assert len(calls) == 5


def test_jacobian_argnum_tuple_scalars_and_unconnected_inputs():
    f = lambda x, y: cnp.stack([x * y, x + 0 * y])  # noqa: E731
    jx, jy = cr.jacobian(f, argnum=(0, 1))(2.0, 3.0)
    np.testing.assert_array_equal(jx, [3.0, 1.0])
    np.testing.assert_array_equal(jy, [2.0, 0.0])
    for mode in ("rev", "fwd"):
        j = cr.jacobian(lambda x, y: x * 2, argnum=1, mode=mode)(np.ones(2), np.ones(3))
        np.testing.assert_array_equal(j, np.zeros((2, 3)))
        assert isinstance(cr.jacobian(lambda x: x * x, mode=mode)(3.0), float)
    with pytest.raises(ValueError, match="mode"):
        cr.jacobian(cnp.sin, mode="forward")


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_jacobian_of_pytree_arguments_has_their_structure(mode):
    rng = np.random.default_rng(41)
    params = {"w": rng.standard_normal((3, 2)), "b": [rng.standard_normal(3), 0.5]}
    x = rng.standard_normal(2)

    def f(p, x):
        return cnp.tanh(p["w"] @ x + p["b"][0]) * p["b"][1]

    jp, jx = cr.jacobian(f, argnum=(0, 1), mode=mode)(params, x)
    assert set(jp) == {"w", "b"} and isinstance(jp["b"], list)
    assert jp["w"].shape == (3, 3, 2) and jp["b"][0].shape == (3, 3) and jx.shape == (3, 2)
    # each leaf's Jacobian is the Jacobian with the other leaves held fixed
    w_only = cr.jacobian(lambda w: f({"w": w, "b": params["b"]}, x))(params["w"])
    np.testing.assert_allclose(jp["w"], w_only, rtol=1e-12)
    s = np.tanh(params["w"] @ x + params["b"][0])
    np.testing.assert_allclose(jp["b"][0], np.diag((1 - s * s) * 0.5), rtol=1e-12)
    np.testing.assert_allclose(jp["b"][1], s, rtol=1e-12)
    np.testing.assert_allclose(jx, cr.jacobian(lambda x: f(params, x))(x), rtol=1e-12)
    alone = cr.jacobian(f, mode=mode)(params, x)  # an int argnum: the structure alone
    np.testing.assert_allclose(alone["w"], jp["w"], rtol=1e-12)
    # nested in another transform: sum of d f / d b0 = sum 0.5 (1 - s^2), whose
    # gradient in x is -(s (1 - s^2)) W
    hx = cr.grad(lambda x: cnp.sum(cr.jacobian(f, mode=mode)(params, x)["b"][0]))(x)
    np.testing.assert_allclose(hx, -(s * (1 - s * s)) @ params["w"], rtol=1e-10)


# -------------------------------------------------------------------- vjp
def test_vjp_matches_transposed_jacobian_and_can_be_reused():
    f = lambda x, y: cnp.tanh(A @ x) * y  # noqa: E731
    y = RNG.standard_normal(4)
    out, vjp_fn = cr.vjp(f, X, y)
    np.testing.assert_allclose(out, f(X, y))
    jx, jy = cr.jacobian(f, argnum=(0, 1))(X, y)
    for _ in range(2):
        u = RNG.standard_normal(4)
        gx, gy = vjp_fn(u)
        np.testing.assert_allclose(gx, u @ jx, atol=1e-12)
        np.testing.assert_allclose(gy, u @ jy, atol=1e-12)


def test_vjp_with_pytree_output_and_checks():
    out, vjp_fn = cr.vjp(lambda x: (x * 2, {"s": cnp.sum(x)}), np.ones(2))
    (g,) = vjp_fn((np.array([1.0, 2.0]), {"s": 10.0}))
    np.testing.assert_array_equal(g, [12.0, 14.0])
    with pytest.raises(ValueError, match="cotangent"):
        vjp_fn((np.ones(2),))
    with pytest.raises(ValueError, match="cotangent of shape"):
        vjp_fn((np.ones(3), {"s": 1.0}))


def test_vjp_inside_grad_is_differentiable():
    # grad_x <vjp_f(u), u> for f = x^3 elementwise is d/dx sum(3 x^2 u^2) = 6 x u^2.
    u = np.array([1.0, 2.0])

    def g(x):
        _, vjp_fn = cr.vjp(lambda y: y**3, x)
        return cnp.sum(vjp_fn(u)[0] * u)

    x = np.array([0.5, -1.0])
    np.testing.assert_allclose(cr.grad(g)(x), 6 * x * u**2)


def test_tensor_inputs_give_tensor_results_that_record():
    x = cr.tensor([0.3, 0.4], requires_grad=True)
    g = cr.grad(lambda y: cnp.sum(cnp.sin(y)))(x)
    assert isinstance(g, cr.Tensor) and g.requires_grad
    cnp.sum(g).backward()  # d/dx sum(cos x) = -sin x
    np.testing.assert_allclose(x.grad.data, -np.sin([0.3, 0.4]))


def test_transforms_leave_no_forward_hook_behind():
    cr.jvp(cnp.sin, (1.0,), (1.0,))
    cr.hvp(f_smooth, X, X)
    with pytest.raises(ZeroDivisionError):
        cr.jvp(lambda x: 1 / 0, (1.0,), (1.0,))
    assert graph.forward_hook() is None
    assert transforms._depth == 0 and forward_mode._levels == [] and forward_mode._active == 0


def test_a_python_number_from_a_differentiated_tensor_is_refused_inside_transforms():
    # float(t) used to return a number and quietly lose the gradient through it.
    def f(x):
        return float(cnp.sin(x)) * x

    with pytest.raises(TypeError, match=r"float\(\) on a tensor that is being differentiated"):
        cr.grad(f)(1.0)
    for convert in (lambda t: t.item(), lambda t: int(t), lambda t: t.tolist()):
        with pytest.raises(TypeError, match="being differentiated, at .*test_transforms.py"):
            cr.grad(lambda x, c=convert: x * c(x * 2))(1.0)
    with pytest.raises(TypeError, match="being differentiated"):
        cr.jvp(lambda x: x * float(x), (1.0,), (1.0,))
    # Control flow on comparisons keeps working, and so do constants.
    assert cr.grad(lambda x: x * 2 if x > 0 else -x)(1.0) == 2.0
    assert cr.grad(lambda x: x * float(cr.tensor(3.0)))(1.0) == 3.0
    # Outside transforms, float() and item() behave as in PyTorch.
    t = cr.tensor(2.0, requires_grad=True) * 3
    assert float(t) == 6.0 and t.item() == 6.0


def test_jax_names_argnums_has_aux_jacfwd_jacrev_linearize():
    f = lambda a, b: cnp.sum(cnp.sin(a) * b)  # noqa: E731
    a, b = np.array([0.3, 0.7]), np.array([2.0, -1.0])
    ga, gb = cr.grad(f, argnums=(0, 1))(a, b)
    np.testing.assert_allclose(ga, np.cos(a) * b)
    np.testing.assert_allclose(gb, np.sin(a))
    with pytest.raises(TypeError, match="argnum or argnums"):
        cr.grad(f, 1, argnums=0)
    # has_aux: the second output rides along, untouched.
    g, aux = cr.grad(lambda x: (cnp.sum(x ** 2), {"norm": cnp.sqrt(cnp.sum(x ** 2))}),
                     has_aux=True)(a)
    np.testing.assert_allclose(g, 2 * a)
    np.testing.assert_allclose(aux["norm"], np.linalg.norm(a))
    (value, aux), g = cr.value_and_grad(lambda x: (cnp.sum(x), x * 2), has_aux=True)(a)
    assert value == pytest.approx(a.sum()) and np.allclose(aux, a * 2)
    out, pullback, aux = cr.vjp(lambda x: (x ** 2, "tag"), a, has_aux=True)
    assert aux == "tag" and np.allclose(pullback(np.ones(2))[0], 2 * a)
    with pytest.raises(TypeError, match="has_aux=True.*pair"):
        cr.grad(lambda x: cnp.sum(x), has_aux=True)(a)
    # jacfwd / jacrev agree with jacobian.
    h = lambda x: cnp.tanh(x) * x[::-1]  # noqa: E731
    np.testing.assert_allclose(cr.jacfwd(h)(a), cr.jacobian(h)(a))
    np.testing.assert_allclose(cr.jacrev(h)(a), cr.jacobian(h)(a))
    # linearize: the value now, the JVP on demand.
    value, f_jvp = cr.linearize(h, a)
    np.testing.assert_allclose(value, h(a))
    np.testing.assert_allclose(f_jvp(np.array([1.0, 0.0])), cr.jacobian(h)(a)[:, 0])


# ------------------------------------------------ hessian over pytrees and tuple argnums
def test_hessian_of_a_pytree_argument_is_nested_twice_in_its_structure():
    h = cr.hessian(lambda d: cnp.sum(d["a"] ** 3) + cnp.sum(d["a"] * d["b"]))(
        {"a": np.array([1.0, 2.0]), "b": np.array([3.0, 4.0])})
    np.testing.assert_allclose(h["a"]["a"], np.diag([6.0, 12.0]))
    np.testing.assert_allclose(h["a"]["b"], np.eye(2))
    np.testing.assert_allclose(h["b"]["b"], np.zeros((2, 2)))


def test_hessian_with_a_tuple_of_argnums_gives_every_block():
    f = lambda x, y: cnp.sum(x * x * y)  # noqa: E731
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    h = cr.hessian(f, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(h[0][0], np.diag(2 * y))
    np.testing.assert_allclose(h[0][1], np.diag(2 * x))
    np.testing.assert_allclose(h[1][0], np.diag(2 * x))
    np.testing.assert_allclose(h[1][1], np.zeros((2, 2)))


def test_hessian_over_pytrees_and_argnums_agrees_with_the_flat_hessian():
    def f(d, y):
        return cnp.sum(d["a"] ** 2 * y) + cnp.sum(d["b"][0] * d["a"][0] * y ** 3)

    d = {"a": np.array([1.0, 2.0]), "b": (np.array([0.5, 1.5]),)}
    y = np.array([3.0, -1.0])
    h = cr.hessian(f, argnums=(0, 1))(d, y)
    flat = cr.hessian(lambda v: f({"a": v[:2], "b": (v[2:4],)}, v[4:]))(
        np.concatenate([d["a"], d["b"][0], y]))
    np.testing.assert_allclose(h[0]["a"][0]["a"], flat[0:2, 0:2])
    np.testing.assert_allclose(h[0]["a"][1], flat[0:2, 4:6])
    np.testing.assert_allclose(h[0]["b"][0][0]["a"], flat[2:4, 0:2])
    np.testing.assert_allclose(h[1][0]["b"][0], flat[4:6, 2:4])
    np.testing.assert_allclose(h[1][1], flat[4:, 4:])


def test_hessian_of_a_pytree_inside_grad():
    def trace_of_hessian(s):
        h = cr.hessian(lambda d: cnp.sum(d["a"] ** 3 * s))({"a": np.array([1.0, 2.0])})
        return cnp.trace(h["a"]["a"])

    assert cr.grad(trace_of_hessian)(2.0) == pytest.approx(18.0)


def test_dict_cotangents_and_tangents_pair_with_outputs_by_key():
    # A cotangent dict with the output's keys in another order (tree_map over sorted
    # keys builds one) is matched by key, never by position.
    p = {"w": np.array([1.0, 2.0]), "b": np.array([3.0, 4.0])}

    def f(t):
        return {"w": t["w"] * 2.0, "b": t["b"] * 3.0}

    _, pullback = cr.vjp(f, p)
    (got,) = pullback({"b": np.array([1.0, 1.0]), "w": np.array([0.0, 0.0])})
    np.testing.assert_array_equal(got["w"], [0.0, 0.0])
    np.testing.assert_array_equal(got["b"], [3.0, 3.0])
    _, tangent = cr.jvp(lambda t: t["w"] * 2.0 + t["b"] * 10.0, (p,),
                        ({"b": np.array([1.0, 0.0]), "w": np.array([0.0, 1.0])},))
    np.testing.assert_array_equal(tangent, [10.0, 2.0])
    with pytest.raises(ValueError, match="structure"):
        cr.jvp(lambda t: t["w"], (p,), ({"b": np.ones(2), "x": np.ones(2)},))

    @cr.custom_vjp
    def k(t):
        return t["u"] * 2.0 + t["v"] * 3.0

    k.defvjp(lambda t: (k(t), None), lambda _, g: ({"v": 3.0 * g, "u": 2.0 * g},))
    got = cr.grad(lambda t: k(t))({"v": 1.0, "u": 1.0})
    assert got == {"v": 3.0, "u": 2.0}


def test_a_transform_on_arrays_gives_arrays_even_when_its_function_reads_parameters():
    # Plain arrays in, plain arrays out: a closure over a tensor that requires grad (a
    # model's parameter) does not make the result a tensor holding a graph.
    w = cr.tensor(np.array([1.5, -0.5]), requires_grad=True)
    g = cr.grad(lambda x: cnp.sum(cnp.tanh(w * x)))(np.array([0.3, 0.2]))
    assert type(g) is np.ndarray
    value, g = cr.value_and_grad(lambda x: cnp.sum(w * x * x))(np.array([1.0, 2.0]))
    assert type(g) is np.ndarray and not isinstance(value, cr.Tensor)


def test_a_transform_nested_in_a_checked_function_stays_on_the_outer_graph():
    # d/dx [x * d/dy (x y)] = 2x: gradcheck and check_grads evaluate f as a transform, so
    # the inner grad, given a number, is nested and its result x stays on x's graph.
    from chainrule.misc import check_grads

    def f(x):
        return x * cr.grad(lambda y: x * y)(2.0)

    cr.gradcheck(f, np.array(1.5))
    check_grads(f, modes=["rev"], order=2)(1.5)
    x = cr.tensor(np.array(1.5), requires_grad=True)
    (x * cr.grad(lambda y: x * y)(cr.tensor(np.array(2.0)))).backward()  # (given a tensor)
    assert float(x.grad) == 3.0



def test_hessian_of_a_one_element_array_output_keeps_its_shape_in_front():
    # grad accepts an output of one element of any shape; the Hessian is f(x).shape +
    # x.shape + x.shape all the same (JAX's and autograd's (1, n, n)).
    x = np.array([1.0, 2.0])
    want = np.diag(6 * x)
    for out_shape in [(1,), (1, 1)]:
        h = cr.hessian(lambda v, s=out_shape: cnp.reshape(cnp.sum(v ** 3), s))(x)
        assert h.shape == out_shape + (2, 2)
        assert np.allclose(h.reshape(2, 2), want)
    assert cr.hessian(lambda v: cnp.sum(v ** 3))(x).shape == (2, 2)
