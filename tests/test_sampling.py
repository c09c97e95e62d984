"""Sampling: multinomial and categorical draw the right distributions; the logit filters."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.sampling import categorical, sample_logits, top_k_filter, top_p_filter

N = 40_000


def assert_frequencies(samples, probs):
    """Each category's frequency within 5 standard errors of its probability."""
    freq = np.bincount(np.ravel(samples), minlength=len(probs)) / np.size(samples)
    probs = np.asarray(probs) / np.sum(probs)
    bound = 5 * np.sqrt(probs * (1 - probs) / np.size(samples)) + 1e-12
    assert np.all(np.abs(freq - probs) <= bound), (freq, probs)


def test_multinomial_with_replacement_draws_the_weights():
    weights = np.array([1.0, 0.0, 6.0, 3.0], np.float32)  # not normalized
    draws = cr.multinomial(weights, N, replacement=True, generator=0)
    assert draws.dtype == np.int64 and draws.shape == (N,)
    assert_frequencies(draws.data, weights)
    rows = np.array([[0.5, 0.5, 0.0], [0.0, 0.1, 0.9]])
    draws = cr.multinomial(cr.tensor(rows), N, True, generator=1).data
    assert draws.shape == (2, N)
    for row, d in zip(rows, draws):
        assert_frequencies(d, row)


def test_multinomial_without_replacement_draws_in_sequential_order():
    p = np.array([0.1, 0.0, 0.6, 0.3])
    draws = np.array([cr.multinomial(p, 2, generator=seed).data for seed in range(4000)])
    assert (draws[:, 0] != draws[:, 1]).all() and (draws != 1).all()
    assert_frequencies(draws[:, 0], p)
    # The second draw is from the rest, renormalized: P(i) = sum_j p_j p_i / (1 - p_j).
    second = [sum(p[j] * p[i] / (1 - p[j]) for j in range(4) if j != i) for i in range(4)]
    assert_frequencies(draws[:, 1], second)
    # All categories: a permutation of each row.
    perm = cr.multinomial(np.ones((3, 5)), 5, generator=2).data
    assert (np.sort(perm, axis=1) == np.arange(5)).all()


def test_multinomial_is_reproducible_and_uses_the_default_generator():
    p = np.array([0.2, 0.3, 0.5])
    a = cr.multinomial(p, 10, True, generator=np.random.default_rng(5)).data
    b = cr.multinomial(p, 10, True, generator=5).data
    np.testing.assert_array_equal(a, b)
    cr.nn.init.manual_seed(3)
    c = cr.multinomial(p, 10, True).data
    cr.nn.init.manual_seed(3)
    np.testing.assert_array_equal(c, cr.multinomial(p, 10, True).data)


def test_multinomial_errors_name_the_problem():
    with pytest.raises(ValueError, match="NaN, infinity or a negative weight"):
        cr.multinomial(np.array([0.5, -0.1]), 1)
    with pytest.raises(ValueError, match="no positive weight"):
        cr.multinomial(np.array([[0.5, 0.5], [0.0, 0.0]]), 1)
    with pytest.raises(ValueError, match="cannot draw 3 samples without replacement from 2"):
        cr.multinomial(np.array([0.5, 0.5]), 3)
    with pytest.raises(ValueError, match="only 1 categories with positive weight"):
        cr.multinomial(np.array([0.5, 0.0, 0.0]), 2)
    with pytest.raises(ValueError, match="1-D or 2-D"):
        cr.multinomial(np.ones((2, 2, 2)), 1)
    with pytest.raises(ValueError, match="num_samples must be an integer >= 1"):
        cr.multinomial(np.ones(2), 0)
    with pytest.raises(TypeError, match="floating point"):
        cr.multinomial(np.ones(2, np.int64), 1)


def test_categorical_follows_the_softmax_along_an_axis():
    logits = np.log(np.array([[0.2, 0.7], [0.3, 0.2], [0.5, 0.1]]))  # categories on axis 0
    draws = categorical(logits, axis=0, shape=(N, 2), generator=0).data
    assert draws.shape == (N, 2) and draws.dtype == np.int64
    assert_frequencies(draws[:, 0], [0.2, 0.3, 0.5])
    assert_frequencies(draws[:, 1], [0.7, 0.2, 0.1])
    # -inf is an impossible category; huge logits do not overflow.
    draws = categorical(np.array([1e300, -np.inf, 1e300]), shape=(1000,), generator=1).data
    assert set(np.unique(draws)) == {0, 2}
    with pytest.raises(ValueError, match="no possible category"):
        categorical(np.array([-np.inf, -np.inf]))
    with pytest.raises(ValueError, match="must end with the batch shape"):
        categorical(np.zeros((2, 3)), shape=(4,))


def test_top_k_and_top_p_filters():
    logits = np.array([[1.0, 3.0, 2.0, 3.0], [0.0, 1.0, 2.0, 3.0]], np.float32)
    kept = top_k_filter(logits, 2)
    assert kept.dtype == np.float32
    np.testing.assert_array_equal(np.isfinite(kept), [[0, 1, 0, 1], [0, 0, 1, 1]])
    np.testing.assert_array_equal(top_k_filter(logits, 4), logits)
    probs = np.array([0.5, 0.25, 0.15, 0.1])
    for p, nucleus in ((0.4, 1), (0.7, 2), (0.8, 3), (0.95, 4), (1.0, 4)):
        kept = top_p_filter(np.log(probs)[::-1], p)  # any order of the categories
        assert np.isfinite(kept).sum() == nucleus
        assert np.isfinite(kept[::-1][:nucleus]).all()
    with pytest.raises(ValueError, match="p must lie in"):
        top_p_filter(logits, 0.0)


def test_sample_logits_temperature_and_filters():
    logits = np.log(np.array([[0.6, 0.3, 0.1]] * N))
    greedy = sample_logits(logits, temperature=0).data
    assert (greedy == 0).all()
    draws = sample_logits(logits, temperature=1.0, generator=0).data
    assert_frequencies(draws, [0.6, 0.3, 0.1])
    # Temperature T samples from p^(1/T), renormalized.
    draws = sample_logits(logits, temperature=0.5, generator=1).data
    assert_frequencies(draws, np.array([0.6, 0.3, 0.1]) ** 2)
    draws = sample_logits(logits, top_k=2, generator=2).data
    assert_frequencies(draws, [0.6 / 0.9, 0.3 / 0.9, 0.0])
    draws = sample_logits(logits, top_p=0.5, generator=3).data
    assert (draws == 0).all()
    with pytest.raises(ValueError, match="temperature must be >= 0"):
        sample_logits(logits, temperature=-1)
