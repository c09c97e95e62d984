"""cr.custom_vjp and cr.custom_jvp: JAX's custom-derivative API, checked against analytic
derivatives, finite differences where the rule is the true derivative, and the cases the
API exists for (a NaN-free rule at a singular point, gradient clipping, implicit
differentiation of a solver)."""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp


@cr.custom_jvp
def log1pexp(x):
    return cnp.log(1.0 + cnp.exp(x))


@log1pexp.defjvp
def _log1pexp_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return log1pexp(x), t * (1.0 - 1.0 / (1.0 + cnp.exp(x)))


@cr.custom_jvp
def safe_norm(x):
    return cnp.sqrt(cnp.sum(x * x))


@safe_norm.defjvp
def _safe_norm_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    n = safe_norm(x)
    # the direction is taken as 0 at x = 0 (the derivative does not exist there)
    scale = cnp.where(n > 0, 1.0 / cnp.where(n > 0, n, 1.0), 0.0)
    return n, cnp.sum(x * t) * scale


def test_custom_jvp_gives_the_rule_in_both_modes_and_to_second_order():
    sig = 1 / (1 + np.exp(-3.0))
    assert cr.grad(log1pexp)(3.0) == pytest.approx(sig, rel=1e-15)
    assert cr.jvp(log1pexp, (3.0,), (2.0,))[1] == pytest.approx(2 * sig, rel=1e-15)
    assert cr.grad(cr.grad(log1pexp))(3.0) == pytest.approx(sig * (1 - sig), rel=1e-14)
    assert cr.hessian(log1pexp)(np.array(3.0)) == pytest.approx(sig * (1 - sig), rel=1e-14)
    # the naive derivative is exp(x) / (1 + exp(x)) = inf / inf at x = 800; the rule is 1
    with np.errstate(over="ignore"):
        assert cr.grad(log1pexp)(800.0) == 1.0
    cr.gradcheck(log1pexp, np.array([-2.0, 0.5, 3.0]), order=2)


def test_custom_jvp_removes_the_nan_at_a_singular_point():
    with np.errstate(divide="ignore", invalid="ignore"):
        assert np.isnan(cr.grad(lambda x: cnp.sqrt(cnp.sum(x * x)))(np.zeros(3))).all()
    np.testing.assert_array_equal(cr.grad(safe_norm)(np.zeros(3)), np.zeros(3))
    x = np.array([3.0, 4.0])
    np.testing.assert_allclose(cr.grad(safe_norm)(x), x / 5, rtol=1e-15)
    np.testing.assert_allclose(cr.jacfwd(safe_norm)(x), x / 5, rtol=1e-15)


def test_custom_jvp_defjvps_nondiff_argnums_and_vmap():
    @cr.custom_jvp
    def f(x, y):
        return cnp.sin(x) * y

    f.defjvps(lambda tx, ans, x, y: cnp.cos(x) * y * tx, lambda ty, ans, x, y: cnp.sin(x) * ty)
    gx, gy = cr.grad(f, argnums=(0, 1))(0.7, 2.0)
    assert gx == pytest.approx(np.cos(0.7) * 2.0) and gy == pytest.approx(np.sin(0.7))

    @cr.custom_jvp
    def power(n, x):
        return x ** n

    power = cr.custom_jvp(power.fun, nondiff_argnums=(0,))

    @power.defjvp
    def _power_jvp(n, primals, tangents):
        (x,), (t,) = primals, tangents
        return x ** n, n * x ** (n - 1) * t

    assert cr.grad(lambda x: power(3, x))(2.0) == 12.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (runs once per example)
        got = cr.vmap(cr.grad(log1pexp))(np.array([-1.0, 0.0, 2.0]))
    np.testing.assert_allclose(got, 1 / (1 + np.exp(-np.array([-1.0, 0.0, 2.0]))), rtol=1e-15)


@cr.custom_vjp
def clip_gradient(lo, hi, x):
    return x


def _clip_fwd(lo, hi, x):
    return x, (lo, hi)


def _clip_bwd(res, g):
    lo, hi = res
    return (None, None, cnp.clip(g, lo, hi))


clip_gradient.defvjp(_clip_fwd, _clip_bwd)


def test_custom_vjp_clips_the_gradient_and_leaves_the_value():
    f = lambda x: clip_gradient(-0.75, 0.75, cnp.sin(x)) * 3.0  # noqa: E731
    assert f(0.1) == pytest.approx(3 * np.sin(0.1))
    assert cr.grad(f)(0.1) == pytest.approx(0.75 * np.cos(0.1), rel=1e-15)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got = cr.vmap(cr.grad(f))(np.array([0.1, 2.0]))
    np.testing.assert_allclose(got, [0.75 * np.cos(0.1), 0.75 * np.cos(2.0)], rtol=1e-15)


def test_custom_vjp_residuals_second_order_pytrees_and_tensors():
    @cr.custom_vjp
    def f(x, y):
        return cnp.sin(x) * y

    def f_fwd(x, y):
        return f(x, y), (cnp.cos(x), cnp.sin(x), y)  # f_fwd calls f: the primal

    def f_bwd(res, g):
        cos_x, sin_x, y = res
        return cos_x * g * y, sin_x * g

    f.defvjp(f_fwd, f_bwd)
    gx, gy = cr.grad(f, argnums=(0, 1))(2.0, 3.0)
    assert gx == pytest.approx(np.cos(2.0) * 3.0) and gy == pytest.approx(np.sin(2.0))
    # residuals keep their graph: the second derivative goes through f_bwd and f_fwd
    assert cr.grad(cr.grad(f))(2.0, 3.0) == pytest.approx(-np.sin(2.0) * 3.0, rel=1e-14)
    cr.gradcheck(f, np.array([0.3, 1.2]), np.array([2.0, -1.0]), order=2, modes=("rev",))
    x = cr.tensor(2.0, requires_grad=True)
    f(x, 3.0).backward()
    assert float(x.grad) == pytest.approx(np.cos(2.0) * 3.0)

    @cr.custom_vjp
    def g(p):
        return {"s": p["a"] * p["b"], "d": p["a"] - p["b"]}

    g.defvjp(lambda p: (g(p), p),
             lambda p, ct: ({"a": ct["s"] * p["b"] + ct["d"], "b": ct["s"] * p["a"] - ct["d"]},))
    got = cr.grad(lambda p: g(p)["s"] * 2 + g(p)["d"] * 3)({"a": 2.0, "b": 5.0})
    assert got == {"a": 13.0, "b": 1.0}


def test_custom_vjp_implicit_differentiation_of_a_solver():
    @cr.custom_vjp
    def sqrt_newton(a, x0):
        x = x0
        for _ in range(60):
            x = 0.5 * (x + a / x)
        return x

    def fwd(a, x0):
        x = sqrt_newton(a, x0)
        return x, x

    def bwd(x, g):  # x^2 = a: dx/da = 1 / (2x), and x0 does not matter
        return g / (2.0 * x), None

    sqrt_newton.defvjp(fwd, bwd)
    assert cr.grad(sqrt_newton)(9.0, 1.0) == pytest.approx(1 / 6, rel=1e-15)
    assert cr.grad(sqrt_newton, argnums=1)(9.0, 1.0) == 0.0


def test_custom_vjp_nondiff_argnums_and_errors():
    @cr.custom_vjp
    def scale(k, x):
        return k * x

    scale = cr.custom_vjp(scale.fun, nondiff_argnums=(0,))
    scale.defvjp(lambda k, x: (k * x, None), lambda k, res, g: (k * g * 10,))
    assert cr.grad(lambda x: scale(2.0, x))(1.0) == 20.0  # the rule, not the true 2
    with pytest.raises(TypeError, match="forward-mode"):
        cr.jvp(lambda x: scale(2.0, x), (1.0,), (1.0,))

    @cr.custom_vjp
    def undefined(x):
        return x

    with pytest.raises(AttributeError, match="No VJP defined"):
        cr.grad(undefined)(1.0)

    @cr.custom_vjp
    def wrong(x, y):
        return x * y

    wrong.defvjp(lambda x, y: (x * y, None), lambda res, g: g)
    with pytest.raises(TypeError, match="one cotangent per differentiated argument"):
        cr.grad(wrong)(1.0, 2.0)
    assert wrong(2.0, 3.0) == 6.0  # undifferentiated: the function itself


def test_custom_vjp_under_vmap_takes_each_examples_residuals():
    # cr.vmap runs a custom_vjp operation (and its rule) once per example: each example's
    # backward must use the residuals of its own forward, not the first example's.
    x = np.array([[0.1, 0.2], [1.0, 2.0], [3.0, -1.0]])

    @cr.custom_vjp
    def k(a):
        return cnp.sin(a)

    k.defvjp(lambda a: (cnp.sin(a), cnp.cos(a)), lambda c, g: (g * c,))
    np.testing.assert_allclose(cr.grad(lambda a: cnp.sum(cr.vmap(k)(a)))(x), np.cos(x))
    s = 1.3
    np.testing.assert_allclose(cr.grad(lambda s: cnp.sum(cr.vmap(lambda a: k(a * s))(x)))(s),
                               np.sum(np.cos(x * s) * x))
    weights = np.array([[1.0], [2.0], [3.0]]) * np.ones_like(x)
    np.testing.assert_allclose(cr.vjp(cr.vmap(k), x)[1](weights)[0], weights * np.cos(x))
    jac = cr.jacrev(cr.vmap(k))(x)
    np.testing.assert_allclose(np.einsum("ijij->ij", jac), np.cos(x))

    @functools.partial(cr.custom_vjp, nondiff_argnums=(0,))
    def scaled(c, a):
        return c * cnp.exp(a)

    scaled.defvjp(lambda c, a: (scaled(c, a), cnp.exp(a)), lambda c, e, g: (c * e * g,))
    np.testing.assert_allclose(
        cr.grad(lambda a: cnp.sum(cr.vmap(lambda r: scaled(2.0, r))(a)))(x), 2 * np.exp(x))
