"""chainrule.scipy.integrate.odeint: SciPy's interface, and the adjoint gradient checked
against finite differences in y0, t and nested args (HIPS autograd's ode_net layout)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.integrate

import chainrule as cr
import chainrule.numpy as cnp
from chainrule.scipy.integrate import odeint


def _mlp(y, t, params):
    # autograd's ode_net: the derivative is a small network of y, with params a list of
    # (weights, bias) tuples passed as args=tuple((params,)).
    h = y
    for w, b in params[:-1]:
        h = cnp.tanh(cnp.dot(h, w) + b)
    w, b = params[-1]
    return cnp.dot(h, w) + b


def _params(rng):
    return [(rng.standard_normal((2, 3)) * 0.5, rng.standard_normal(3) * 0.1),
            (rng.standard_normal((3, 2)) * 0.5, rng.standard_normal(2) * 0.1)]


def test_values_match_scipy_within_the_tolerance():
    rng = np.random.default_rng(0)
    params = _params(rng)
    y0, t = np.array([1.0, -0.5]), np.linspace(0, 2, 6)
    got = odeint(_mlp, y0, t, tuple((params,)), rtol=1e-10, atol=1e-10)
    want = scipy.integrate.odeint(_mlp, y0, t, args=(params,), rtol=1e-12, atol=1e-12)
    assert got.shape == (6, 2)
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-9)


def test_gradient_reaches_y0_times_and_nested_parameters():
    rng = np.random.default_rng(1)
    params = _params(rng)
    y0, t = np.array([0.3, 0.8]), np.array([0.0, 0.7, 1.5])

    def loss(y0, t, w0, b0, w1, b1):
        ys = odeint(_mlp, y0, t, tuple(([(w0, b0), (w1, b1)],)), rtol=1e-11, atol=1e-11)
        return cnp.sum(ys * ys)

    leaves = [p for pair in params for p in pair]
    assert cr.gradcheck(loss, y0, t, *leaves, order=1, modes=("rev",), atol=1e-6)


def test_tfirst_and_full_output():
    y0, t = np.array([1.0]), np.array([0.0, 1.0])
    ys, info = odeint(lambda s, y: -2 * y, y0, t, tfirst=True, full_output=True)
    np.testing.assert_allclose(ys[-1], np.exp(-2.0), rtol=1e-7)
    assert info == {}
    g = cr.grad(lambda y: odeint(lambda y, s: -2 * y, y, t)[-1, 0])(y0)
    np.testing.assert_allclose(g, [np.exp(-2.0)], rtol=1e-7)


def test_a_closed_over_tensor_that_needs_a_gradient_is_refused():
    k = cr.tensor(0.5, requires_grad=True)
    with pytest.raises(NotImplementedError, match="pass it in args"):
        odeint(lambda y, t: -k * y, np.array([1.0]), np.array([0.0, 1.0]))


def test_second_order_raises_instead_of_returning_zero():
    t = np.array([0.0, 1.0])

    def f(a):
        return odeint(lambda y, s, a: -a * y, np.array([1.0]), t, args=(a,))[-1, 0]

    np.testing.assert_allclose(cr.grad(f)(0.5), -np.exp(-0.5), rtol=1e-7)
    with pytest.raises(NotImplementedError, match="first-order"):
        cr.grad(cr.grad(f))(0.5)


def test_stiff_problem_over_mxstep_raises():
    with pytest.raises(RuntimeError, match="mxstep"):
        odeint(lambda y, t: -1e6 * (y - np.cos(t)), np.array([0.0]), np.array([0.0, 10.0]),
               mxstep=50)
