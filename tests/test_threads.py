"""Tests for the BLAS thread policy: small products on one thread, large ones on the limit."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
from chainrule import threads

threadpoolctl = pytest.importorskip("threadpoolctl")


def blas_threads():
    """The thread count NumPy's BLAS is set to right now, as threadpoolctl reads it."""
    return max(lib["num_threads"] for lib in threadpoolctl.threadpool_info()
               if lib["user_api"] == "blas")


def layer(n_in, n_out, batch, seed=0):
    x = np.random.default_rng(seed).standard_normal((batch, n_in)).astype(np.float32)
    return nn.Linear(n_in, n_out, rng=seed), cr.tensor(x, requires_grad=True)


def test_small_product_runs_on_one_thread_and_large_one_on_the_limit():
    small, xs = layer(64, 128, 32)  # 32 x 64 x 128 = 0.26 M multiply-adds
    large, xl = layer(512, 256, 256)  # 256 x 512 x 256 = 2^25
    assert threads.threads_for(32 * 64 * 128) == 1
    with cr.set_num_threads(2):
        assert threads.threads_for(256 * 512 * 256) == 2
        small(xs)
        assert blas_threads() == 1
        large(xl)
        assert blas_threads() == 2
        small(xs)
        assert blas_threads() == 1


def test_backward_products_follow_their_own_size():
    large, xl = layer(512, 256, 256)
    small, xs = layer(64, 128, 32)
    with cr.set_num_threads(2):
        out = large(xl).sum()
        small(xs)  # the last forward product is small: the BLAS is on one thread
        assert blas_threads() == 1
        out.backward()
        assert blas_threads() == 2
        assert xl.grad.shape == xl.shape and large.weight.grad.dtype == np.float32


def test_limit_caps_large_products_and_context_restores_it():
    large, xl = layer(512, 256, 256)
    with cr.set_num_threads(2):
        large(xl)
        with cr.set_num_threads(1):
            assert cr.get_num_threads() == 1 and blas_threads() == 1
            large(xl)
            assert blas_threads() == 1
        assert cr.get_num_threads() == 2
        assert blas_threads() == 2  # what it was before the inner block


def test_set_num_threads_as_a_call_stays_in_force():
    before = cr.get_num_threads()
    try:
        cr.set_num_threads(1)
        assert cr.get_num_threads() == 1 and blas_threads() == 1
    finally:
        cr.set_num_threads(before)
    assert cr.get_num_threads() == before


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_set_num_threads_rejects_what_is_not_a_positive_int(bad):
    with pytest.raises(ValueError, match="positive int"):
        cr.set_num_threads(bad)


def test_without_threadpoolctl_the_policy_is_off_and_says_so(monkeypatch):
    monkeypatch.setattr(threads, "_libraries", ())
    monkeypatch.setattr(threads, "_limit", None)
    monkeypatch.setattr(threads, "_current", 0)
    before = blas_threads()
    small, xs = layer(64, 128, 32)
    small(xs).sum().backward()  # products still run, with the BLAS's own count
    assert blas_threads() == before
    assert cr.get_num_threads() is None
    with pytest.raises(RuntimeError, match="pip install threadpoolctl"):
        cr.set_num_threads(1)
