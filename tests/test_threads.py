"""Tests for the BLAS thread policy: small products on one thread, large ones on the limit."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
from chainrule import threads

threadpoolctl = pytest.importorskip("threadpoolctl")


@pytest.fixture(autouse=True)
def idle_machine(monkeypatch):
    """Four cores, none of them busy: the load the policy sees does not depend on the
    machine the tests run on (test_busy_cores_are_left_to_their_processes sets its own)."""
    monkeypatch.setattr(threads, "_CORES", 4)
    monkeypatch.setattr(threads, "machine_busy", lambda: None)
    monkeypatch.setattr(threads, "_others", 0)
    monkeypatch.setattr(threads, "_seen", None)


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
    monkeypatch.setattr(threads, "current", 0)
    before = blas_threads()
    small, xs = layer(64, 128, 32)
    small(xs).sum().backward()  # products still run, with the BLAS's own count
    assert blas_threads() == before
    assert cr.get_num_threads() is None
    with pytest.raises(RuntimeError, match="pip install threadpoolctl"):
        cr.set_num_threads(1)


class Clock:
    """Stand-ins for time.monotonic and time.process_time, and /proc/stat's busy seconds."""

    def __init__(self):
        self.wall = self.own = self.machine = 100.0

    def advance(self, seconds, own_cores, other_cores):
        self.wall += seconds
        self.own += seconds * own_cores
        self.machine += seconds * (own_cores + other_cores)

    def monotonic(self):
        return self.wall

    def process_time(self):
        return self.own


def test_busy_cores_are_left_to_their_processes(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(threads, "time", clock)
    monkeypatch.setattr(threads, "machine_busy", lambda: clock.machine)
    large = 2**26
    with cr.set_num_threads(4):
        assert threads.threads_for(large) == 4  # the first look: nothing known yet
        clock.advance(0.3, own_cores=1, other_cores=1)
        assert threads.threads_for(large) == 3  # one core taken by another process
        clock.advance(0.1, own_cores=1, other_cores=4)
        assert threads.threads_for(large) == 3  # within LOAD_INTERVAL: no new look
        clock.advance(0.2, own_cores=1, other_cores=3.6)
        assert threads.threads_for(large) == 1  # this process's own work never counts
        clock.advance(0.3, own_cores=4, other_cores=0.4)
        assert threads.threads_for(large) == 4
        assert threads.threads_for(2**20) == 1


def test_others_busy_subtracts_the_process_own_time():
    assert threads.others_busy((0.0, 10.0, 1.0), (0.5, 11.5, 1.5)) == 2.0
    assert threads.others_busy((0.0, 10.0, 1.0), (1.0, 10.5, 2.0)) == 0.0  # tick rounding


def test_train_threads_flag_sets_the_limit(tmp_path):
    from chainrule.cli import main

    before = cr.get_num_threads()
    try:
        code = main(["train", "--threads", "1", "--epochs", "1", "--quiet",
                     "--out", str(tmp_path / "run")])
        assert code == 0 and cr.get_num_threads() == 1
    finally:
        cr.set_num_threads(before)
    assert main(["train", "--threads", "0", "--out", str(tmp_path / "bad")]) == 2
