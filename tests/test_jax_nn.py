"""chainrule.nn.jax: jax.nn's defaults and conventions where they differ from PyTorch's
(values and derivatives over many samples are in the op database, tests/opdb/jax_nn.py)."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
import chainrule.nn.jax as jnn


def test_jax_defaults_gelu_tanh_one_hot_floats_axis_names():
    x = np.linspace(-3, 3, 7)
    np.testing.assert_array_equal(jnn.gelu(x), F.gelu(x, approximate="tanh"))
    np.testing.assert_array_equal(jnn.gelu(x, approximate=False), F.gelu(x))
    hot = jnn.one_hot(np.array([2, 0, 7, -1]), 3)
    assert hot.dtype == np.float64
    np.testing.assert_array_equal(hot, [[0, 0, 1], [1, 0, 0], [0, 0, 0], [0, 0, 0]])
    assert jnn.one_hot(np.array([1]), 2, dtype=np.float32).dtype == np.float32
    np.testing.assert_allclose(jnn.softmax(np.eye(2), axis=0).sum(axis=0), [1.0, 1.0])


def test_float32_is_kept():
    x = np.linspace(-3, 3, 7, dtype=np.float32)
    for name in ("relu", "gelu", "hard_tanh", "leaky_relu", "sparse_plus", "squareplus",
                 "softplus", "silu", "standardize", "softmax", "log_softmax"):
        assert getattr(jnn, name)(x).dtype == np.float32, name


def test_derivatives_at_kinks_take_jaxs_branch():
    assert cr.grad(jnn.leaky_relu)(0.0) == 1.0
    assert cr.grad(jnn.hard_tanh)(1.0) == 1.0 and cr.grad(jnn.hard_tanh)(-1.0) == 1.0
    assert cr.grad(jnn.sparse_plus)(-1.0) == 0.0 and cr.grad(jnn.sparse_plus)(1.0) == 1.0


def test_masks_and_labels_are_each_examples_own_under_vmap():
    labels = np.array([0, 2, 1])
    np.testing.assert_array_equal(cr.vmap(lambda y: jnn.one_hot(y, 3))(labels), np.eye(3)[labels])
    x = np.array([[1.0, 2.0, 3.0], [3.0, 1.0, 0.0]])
    masks = np.array([[True, False, True], [False, True, True]])
    got = cr.vmap(lambda r, m: jnn.softmax(r, where=m))(x, masks)
    want = np.where(masks, np.exp(x), 0.0)
    np.testing.assert_allclose(got, want / want.sum(axis=1, keepdims=True), rtol=1e-15)
    means = cr.vmap(lambda r, m: jnn.logmeanexp(r, where=m))(x, masks)
    np.testing.assert_allclose(means, [np.log(np.mean(np.exp(r[m]))) for r, m in zip(x, masks)],
                               rtol=1e-14)


# ------------------------------------------------------------------ initializers
def test_initializers_have_jaxs_variances_by_fan_mode_and_distribution():
    from chainrule import random

    init = jnn.initializers
    key = random.PRNGKey(0)
    shape = (3, 3, 40, 60)  # a convolution kernel: receptive field 9
    fan_in, fan_out = 40 * 9, 60 * 9
    truncated = 2 / 0.87962566103423978  # two standard deviations of the truncated normal
    cases = [(init.glorot_normal(), 2 / (fan_in + fan_out), truncated),
             (init.glorot_uniform(), 2 / (fan_in + fan_out), np.sqrt(3.0)),
             (init.he_normal(), 2 / fan_in, truncated),
             (init.he_uniform(), 2 / fan_in, np.sqrt(3.0)),
             (init.lecun_normal(), 1 / fan_in, truncated),
             (init.lecun_uniform(), 1 / fan_in, np.sqrt(3.0)),
             (init.variance_scaling(3.0, "fan_out", "normal"), 3 / fan_out, None)]
    for make, variance, bound in cases:
        w = make(key, shape)
        assert w.shape == shape and w.dtype == np.float64
        assert abs(w.var() / variance - 1) < 0.05
        if bound is not None:  # truncated at 2 of its standard deviations; uniform at sqrt(3)
            assert np.abs(w).max() <= bound * np.sqrt(variance) * (1 + 1e-12)
    assert init.normal(0.5)(key, (4000,), np.float32).dtype == np.float32
    u = init.uniform(0.3)(key, (4000,))
    assert u.min() >= 0 and u.max() < 0.3
    assert np.array_equal(init.constant(2.5)(key, (2,)), [2.5, 2.5])
    assert np.array_equal(init.zeros(key, (2, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="mode"):
        init.variance_scaling(1.0, "fan", "normal")


@pytest.mark.parametrize("shape,axis", [((5, 3), -1), ((3, 5), -1), ((2, 3, 4), -1),
                                        ((4, 6), 0)])
def test_orthogonal_initializer_is_orthonormal_along_the_smaller_side(shape, axis):
    from chainrule import random

    w = jnn.initializers.orthogonal(scale=2.0, column_axis=axis)(random.PRNGKey(1), shape)
    m = np.moveaxis(w, axis, -1).reshape(-1, shape[axis]) / 2.0
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    assert np.allclose(gram, np.eye(len(gram)), atol=1e-12)
    k = jnn.initializers.delta_orthogonal()(random.PRNGKey(2), (3, 3, 4, 6))
    assert np.allclose(k[1, 1] @ k[1, 1].T, np.eye(4))
    assert np.isclose(np.abs(k).sum(), np.abs(k[1, 1]).sum())
