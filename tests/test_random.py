"""chainrule.random: JAX's functional random API (pure functions of keys), with NumPy's
Philox streams underneath: determinism, independence of split keys, the distributions'
moments on large samples, shapes, dtypes and errors."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import random as jr

N = 200_000


def test_keys_are_pure_and_split_keys_independent():
    key = jr.PRNGKey(42)
    assert key.dtype == np.uint32 and key.shape == (2,)
    np.testing.assert_array_equal(jr.PRNGKey(2**32 + 3), [1, 3])
    a, b = jr.split(key)
    np.testing.assert_array_equal(jr.normal(a, (5,)), jr.normal(a, (5,)))
    assert not np.array_equal(jr.normal(a, (5,)), jr.normal(b, (5,)))
    assert not np.array_equal(jr.normal(key, (5,)), jr.normal(a, (5,)))
    assert jr.split(key, (2, 3)).shape == (2, 3, 2)
    np.testing.assert_array_equal(jr.fold_in(key, 7), jr.fold_in(key, 7))
    assert not np.array_equal(jr.fold_in(key, 7), jr.fold_in(key, 8))
    # draws from many split keys are uncorrelated
    firsts = np.array([jr.normal(k) for k in jr.split(key, 2000)])
    assert abs(firsts.mean()) < 0.1 and abs(np.corrcoef(firsts[:-1], firsts[1:])[0, 1]) < 0.1


def test_distributions_have_their_moments():
    key = jr.PRNGKey(0)
    z = jr.normal(key, (N,))
    assert z.dtype == np.float64 and abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01
    assert jr.normal(key, (3,), dtype=np.float32).dtype == np.float32
    u = jr.uniform(key, (N,), minval=-2.0, maxval=4.0)
    assert u.min() >= -2 and u.max() < 4 and abs(u.mean() - 1.0) < 0.02
    t = jr.truncated_normal(key, -0.5, 1.0, (N,))
    assert t.min() > -0.5 and t.max() < 1.0
    assert abs(jr.bernoulli(key, 0.3, (N,)).mean() - 0.3) < 0.01
    r = jr.randint(key, (N,), 3, 7)
    assert set(np.unique(r)) == {3, 4, 5, 6}
    counts = np.bincount(jr.categorical(key, np.log(np.array([0.2, 0.5, 0.3])), shape=(N,)))
    np.testing.assert_allclose(counts / N, [0.2, 0.5, 0.3], atol=0.01)
    assert jr.categorical(key, np.zeros((4, 3))).shape == (4,)
    assert abs(jr.gamma(key, 3.0, (N,)).mean() - 3.0) < 0.03
    assert abs(jr.beta(key, 2.0, 5.0, (N,)).mean() - 2 / 7) < 0.01
    d = jr.dirichlet(key, np.array([1.0, 2.0, 3.0]), (N,))
    np.testing.assert_allclose(d.sum(axis=1), 1.0)
    np.testing.assert_allclose(d.mean(axis=0), [1 / 6, 2 / 6, 3 / 6], atol=0.01)
    cov = np.array([[2.0, 0.6], [0.6, 1.0]])
    m = jr.multivariate_normal(key, np.array([1.0, -1.0]), cov, (N,))
    np.testing.assert_allclose(np.cov(m.T), cov, atol=0.03)
    assert abs(jr.poisson(key, 4.0, (N,)).mean() - 4.0) < 0.03
    assert set(np.unique(jr.rademacher(key, (100,)))) == {-1, 1}
    for draw in (jr.gumbel, jr.exponential, jr.laplace, jr.logistic, jr.cauchy):
        assert draw(key, (2, 3)).shape == (2, 3)


def test_permutation_and_choice():
    key = jr.PRNGKey(1)
    assert sorted(jr.permutation(key, 10)) == list(range(10))
    x = np.arange(12).reshape(3, 4)
    p = jr.permutation(key, x, axis=1)
    np.testing.assert_array_equal(np.sort(p, axis=1), x)
    assert sorted(jr.choice(key, 5, (5,), replace=False)) == list(range(5))


def test_bad_keys_and_traced_keys_raise():
    with pytest.raises(TypeError, match="uint32 array of shape"):
        jr.normal(np.array([1, 2]))
    keys = jr.split(jr.PRNGKey(0), 3)
    with pytest.raises(TypeError, match="traced"):
        cr.vmap(lambda k: jr.normal(k, (2,)))(keys)
