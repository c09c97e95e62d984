"""chainrule.nn.jax: jax.nn's defaults and conventions where they differ from PyTorch's
(values and derivatives over many samples are in the op database, tests/opdb/jax_nn.py)."""

from __future__ import annotations

import numpy as np

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
