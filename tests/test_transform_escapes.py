"""Ways a value could leave a transform without its gradient or batch, as programs
ported from JAX and autograd write them: each is refused naming the line, or carried.

(NumPy's vectorize and Python's % and // on tensors are carried; a tensor written into
a NumPy buffer, NumPy's own functions and values that decide a result's size are
refused under grad and vmap.)
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp

X = np.array([0.5, 1.0, 2.0])
BATCH = np.stack([X, X + 1.0, X])  # first and last examples equal, the middle not


def test_writing_into_a_numpy_buffer_is_refused_and_a_tensor_buffer_works():
    def into_numpy(x):
        out = np.zeros((2, 3))
        out[0] = x ** 2
        return cnp.sum(out)

    with pytest.raises(TypeError, match=r"NumPy array made from a tensor that is being "
                                         r"differentiated, at .*test_transform_escapes.py"):
        cr.grad(into_numpy)(X)
    with pytest.raises(TypeError, match="being differentiated"):
        cr.grad(lambda x: cnp.sum(x.numpy()))(X)

    def into_tensor(x):
        out = cnp.zeros_like(cnp.stack([x, x]))
        out[0] = x ** 2
        out[1] = cnp.sin(x)
        return cnp.sum(out)

    np.testing.assert_allclose(cr.grad(into_tensor)(X), 2 * X + np.cos(X), rtol=1e-15)
    # Outside a transform an array is still made freely.
    np.testing.assert_array_equal(np.asarray(cr.tensor(X, requires_grad=True)), X)


def test_numpy_functions_without_a_rule_are_refused_under_vmap():
    with pytest.raises(TypeError, match="numpy.rfft has no derivative rule"):
        cr.vmap(lambda x: cnp.sum(cnp.abs(cnp.fft.rfft(x)) ** 2))(BATCH)
    for f in (lambda x: cnp.unique(x).sum(), lambda x: cnp.extract(x > 1, x).sum(),
              lambda x: cnp.compress(x > 1, x).sum()):
        with pytest.raises(TypeError, match="computed from a value being traced"):
            cr.vmap(f)(BATCH)
    values_decide = {
        "numpy.lexsort": lambda x: x[cnp.lexsort((x,))[0]],
        "choose's index array": lambda x: cnp.sum(cnp.choose((x > 0).astype(int), [x, -x])),
        r"where\(condition\)": lambda x: cnp.sum(x[cnp.where(x > 1)]),
        "trim_zeros": lambda x: cnp.trim_zeros(cnp.maximum(x - 1, 0.0))[0],
        "arange's bounds": lambda x: cnp.sum(cnp.arange(0.0, cnp.max(x) * 2)),
    }
    for what, f in values_decide.items():
        with pytest.raises(TypeError, match=what + " computed from a value being traced"):
            cr.vmap(f)(BATCH)
        cr.grad(f)(X)  # (under grad the values are the caller's: no refusal)
    # A condition that does not depend on the example still batches.
    np.testing.assert_array_equal(
        cr.vmap(lambda x: cnp.compress(np.array([True, False, True]), x).sum())(BATCH),
        [2.5, 4.5, 2.5])


def test_vectorize_carries_the_gradient():
    np.testing.assert_array_equal(
        cr.grad(lambda x: cnp.sum(cnp.vectorize(lambda t: t ** 2)(x)))(X), 2 * X)

    def ramp(t):  # a branch on the value: called element by element, as NumPy does
        return t if t > 1 else 0.0 * t

    np.testing.assert_array_equal(cr.grad(lambda x: cnp.sum(cnp.vectorize(ramp)(x)))(X),
                                  [0.0, 0.0, 1.0])
    scaled = cnp.vectorize(lambda a, b: a * b, excluded={1})
    np.testing.assert_array_equal(
        cr.grad(lambda x: cnp.sum(scaled(x.reshape(3, 1), 3.0)))(X), [3.0, 3.0, 3.0])
    np.testing.assert_array_equal(cr.vmap(lambda x: cnp.vectorize(lambda t: t * t)(x).sum())(
        BATCH), (BATCH ** 2).sum(1))
    # Without tensors it is NumPy's own.
    assert cnp.vectorize(lambda a, b: a * b)(np.arange(3.0), 2.0).tolist() == [0.0, 2.0, 4.0]
    with pytest.raises(NotImplementedError, match="signature"):
        cr.grad(lambda x: cnp.sum(cnp.vectorize(np.sum, signature="(n)->()")(x)))(X)


def test_remainder_and_floor_division_operators():
    t = cr.tensor(np.array([5.5, -3.2, 7.0]))
    np.testing.assert_allclose((t % 2).data, np.mod([5.5, -3.2, 7.0], 2))
    np.testing.assert_array_equal((t // 2).data, [2.0, -2.0, 3.0])
    assert (7.0 // cr.tensor(2.0)).item() == 3.0 and (7.0 % cr.tensor(3.0)).item() == 1.0
    q, r = divmod(t, 2)
    np.testing.assert_allclose((q * 2 + r).data, t.data, rtol=1e-15)
    # d(x mod 2)/dx = 1; floor division carries no gradient.
    np.testing.assert_array_equal(cr.grad(lambda x: cnp.sum(x % 2.0))(X), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(cr.grad(lambda x: cnp.sum((x // 1.0) * x))(X),
                                  np.floor(X))


def test_per_example_gradients_through_max_pooling():
    import warnings

    import chainrule.nn.functional as F

    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 1, 3, 3))

    def loss(w, x):
        y = F.max_pool2d(cr.relu(F.conv2d(x[None], w)), 2)
        return cnp.sum(y * y)

    images = rng.standard_normal((3, 1, 8, 8))
    images[2] = images[0]  # the middle example's maxima lie elsewhere
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # batched, not one example at a time
        got = cr.vmap(cr.grad(loss), in_axes=(None, 0))(w, images)
    want = np.stack([cr.grad(loss)(w, x) for x in images])
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)


def test_jacobians_and_hessians_as_jax_gives_them():
    f = lambda x: cnp.tanh(x) * cnp.sum(x ** 2)  # noqa: E731  (array-valued)
    h = cr.hessian(f)(X)
    assert h.shape == (3, 3, 3)
    np.testing.assert_allclose(h, cr.jacfwd(cr.jacrev(f))(X), rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(h[0], cr.hessian(lambda x: f(x)[0])(X), rtol=1e-14, atol=1e-14)
    # has_aux: (result, aux), aux as plain values.
    g = lambda x: (cnp.sin(x), {"s": cnp.sum(x)})  # noqa: E731
    for transform in (cr.jacfwd, cr.jacrev):
        jac, aux = transform(g, has_aux=True)(X)
        np.testing.assert_allclose(jac, np.diag(np.cos(X)), rtol=1e-15)
        assert aux == {"s": 3.5}
    out, tangent, aux = cr.jvp(g, (X,), (np.ones(3),), has_aux=True)
    np.testing.assert_allclose(tangent, np.cos(X), rtol=1e-15)
    assert aux == {"s": 3.5}
    hess, aux = cr.hessian(lambda x: (cnp.sum(x ** 3), cnp.sum(x)), has_aux=True)(X)
    np.testing.assert_allclose(hess, np.diag(6 * X), rtol=1e-15)
    assert aux == 3.5
    # Structured outputs: the output's structure outside, the arguments' inside.
    jac = cr.jacfwd(lambda x, y: {"a": x * y, "b": cnp.sum(x)}, argnums=(0, 1))(X, 2.0)
    np.testing.assert_allclose(jac["a"][0], 2 * np.eye(3))
    np.testing.assert_allclose(jac["a"][1], X)
    np.testing.assert_allclose(jac["b"][0], np.ones(3))
    rev = cr.jacrev(lambda x: (cnp.sin(x), x[0] * x[1]))(X)
    np.testing.assert_allclose(rev[0], np.diag(np.cos(X)), rtol=1e-15)
    np.testing.assert_allclose(rev[1], [1.0, 0.5, 0.0])
