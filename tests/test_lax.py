"""chainrule.lax: JAX's control flow with JAX's results, differentiated through, and the
per-example selection under cr.vmap."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp
from chainrule import lax

RNG = np.random.default_rng(0)
W = RNG.standard_normal((3, 3)) * 0.5
XS = RNG.standard_normal((5, 3))


def _rnn_scan(w, xs):
    def step(h, x):
        h = cnp.tanh(w @ h + x)
        return h, cnp.sum(h * h)
    h, ys = lax.scan(step, cnp.zeros(3), xs)
    return cnp.sum(h) + cnp.sum(ys)


def _rnn_loop(w, xs):
    h, total = np.zeros(3), 0.0
    for x in xs:
        h = np.tanh(w @ h + x)
        total += np.sum(h * h)
    return np.sum(h) + total


def test_scan_matches_the_loop_and_is_differentiable_to_second_order():
    assert _rnn_scan(W, XS) == pytest.approx(_rnn_loop(W, XS), rel=1e-14)
    cr.gradcheck(_rnn_scan, W, XS, order=2)


def test_scan_reverse_length_pytrees_and_none_outputs():
    carry, ys = lax.scan(lambda c, x: (c + x, c), 0.0, np.arange(4.0), reverse=True)
    assert carry == 6.0
    np.testing.assert_array_equal(ys, [6.0, 5.0, 3.0, 0.0])  # ys in xs's order
    carry, ys = lax.scan(lambda c, _: (2 * c, c), 1.0, None, length=4)
    assert carry == 16.0 and np.array_equal(ys, [1.0, 2.0, 4.0, 8.0])
    carry, ys = lax.scan(lambda c, x: ({"n": c["n"] + x["a"].sum()}, None), {"n": 0.0},
                         {"a": np.ones((3, 2))})
    assert carry == {"n": 6.0} and ys is None
    out = lax.map(lambda x: {"twice": 2 * x["a"]}, {"a": np.arange(3.0)})
    np.testing.assert_array_equal(out["twice"], [0.0, 2.0, 4.0])


def test_scan_errors_name_the_problem():
    with pytest.raises(TypeError, match="carry of the structure"):
        lax.scan(lambda c, x: ((c, c), x), 0.0, np.ones(3))
    with pytest.raises(ValueError, match="disagree"):
        lax.scan(lambda c, x: (c, x), 0.0, (np.ones(3), np.ones(4)))
    with pytest.raises(TypeError, match="pair"):
        lax.scan(lambda c, x: c, 0.0, np.ones(3))


def test_fori_and_while_loops_with_gradients():
    assert lax.fori_loop(0, 5, lambda i, v: v + i, 0.0) == 10.0
    assert lax.while_loop(lambda v: v < 10, lambda v: 2 * v, 1.0) == 16.0
    # reverse mode through a while loop (JAX refuses it): x * 2^3 for x = 1.5
    assert cr.grad(lambda x: lax.while_loop(lambda v: v < 10, lambda v: 2 * v, x))(1.5) == 8.0
    g = cr.grad(lambda x: lax.fori_loop(0, 3, lambda i, v: cnp.sin(v) * (i + 1), x))(0.3)
    v0 = 0.3
    v1 = np.sin(v0)
    v2 = 2 * np.sin(v1)
    assert g == pytest.approx(3 * np.cos(v2) * 2 * np.cos(v1) * np.cos(v0), rel=1e-14)


def test_cond_and_switch_select_per_example_under_vmap():
    x = np.array([[1.0, 2.0], [-1.0, 3.0], [2.0, -5.0]])
    got = cr.vmap(lambda r: lax.cond(r[0] > 0, lambda v: 2 * v, lambda v: -v, r))(x)
    np.testing.assert_array_equal(got, np.where(x[:, :1] > 0, 2 * x, -x))
    branches = [lambda v: 0 * v, lambda v: 10 * v, lambda v: v + 100]
    y = np.array([[1.0, 2.0, 0.0], [3.0, 1.0, 0.0], [0.0, 0.0, 5.0]])
    got = cr.vmap(lambda r: lax.switch(cnp.argmax(r), branches, r))(y)
    want = np.stack([branches[int(np.argmax(r))](r) for r in y])
    np.testing.assert_array_equal(got, want)
    # per-example gradients through a branch
    g = cr.vmap(cr.grad(lambda r: lax.cond(r[0] > 0, lambda v: cnp.sum(v * v),
                                           lambda v: cnp.sum(v), r)))(x)
    np.testing.assert_array_equal(g, np.where(x[:, :1] > 0, 2 * x, 1.0))
    # outside vmap only the branch taken runs; the index is clamped as in JAX
    assert lax.switch(7, branches, 1.0) == 101.0 and lax.switch(-2, branches, 1.0) == 0.0
    assert lax.cond(False, lambda: 1 / 0, lambda: 3.0) == 3.0


def test_a_while_loop_cannot_depend_on_the_example_under_vmap():
    with pytest.raises(TypeError, match="while_loop: the condition"):
        cr.vmap(lambda x: lax.while_loop(lambda v: v[0] < 10, lambda v: 2 * v, x))(
            np.ones((2, 2)))


def test_dynamic_slices_clamp_as_jax_and_update_functionally():
    np.testing.assert_array_equal(lax.dynamic_slice(np.arange(10.0), (8,), (4,)),
                                  [6.0, 7.0, 8.0, 9.0])
    np.testing.assert_array_equal(
        lax.dynamic_slice_in_dim(np.arange(12.0).reshape(3, 4), 1, 2, axis=1),
        np.arange(12.0).reshape(3, 4)[:, 1:3])
    base = np.arange(12.0).reshape(3, 4)
    out = lax.dynamic_update_slice(base, np.full((2, 2), -1.0), (2, 3))
    want = base.copy()
    want[1:3, 2:4] = -1.0
    np.testing.assert_array_equal(out, want)
    assert base[2, 3] == 11.0  # the operand is unchanged
    grad_u, grad_base = cr.grad(
        lambda u, b: cnp.sum(lax.dynamic_update_slice(b, u * u, (1, 3)) ** 2),
        argnums=(0, 1))(np.ones((1, 2)), base)
    np.testing.assert_array_equal(grad_u, [[4.0, 4.0]])
    mask = np.ones_like(base, bool)
    mask[1, 2:4] = False
    np.testing.assert_array_equal(grad_base, np.where(mask, 2 * base, 0.0))


def test_small_helpers():
    np.testing.assert_array_equal(lax.clamp(0.0, np.array([-1.0, 0.5, 2.0]), 1.0), [0, 0.5, 1])
    np.testing.assert_array_equal(lax.select(np.array([True, False]), np.ones(2), np.zeros(2)),
                                  [1.0, 0.0])
    assert lax.rsqrt(4.0) == 0.5
    assert cr.grad(lambda x: lax.stop_gradient(x) * x)(3.0) == 3.0


def test_negative_start_indices_count_from_the_end_as_jax():
    x = np.arange(10.0, 13.0)
    np.testing.assert_array_equal(lax.dynamic_slice(x, (-1,), (2,)), [11.0, 12.0])
    np.testing.assert_array_equal(lax.dynamic_slice_in_dim(x, -1, 1), [12.0])
    np.testing.assert_array_equal(lax.dynamic_update_slice(x, np.zeros(2), (-2,)),
                                  [10.0, 0.0, 0.0])
    np.testing.assert_array_equal(lax.dynamic_slice(x, (-9,), (2,)), [10.0, 11.0])  # clamped


def test_loop_bodies_writing_in_place_change_neither_the_caller_nor_earlier_outputs():
    # JAX's `c += x` makes a new array; on NumPy arrays it writes in place. The loops
    # give each step its own copy, as immutable arrays would behave.
    init, xs = np.zeros(2), np.ones((3, 2))

    def body(c, x):
        c += x
        x *= 0.0
        return c, c

    carry, ys = lax.scan(body, init, xs)
    np.testing.assert_array_equal(ys, [[1, 1], [2, 2], [3, 3]])
    assert lax.scan(body, init, xs[:0])[0] is not init  # (0 steps: a carry of its own too)
    np.testing.assert_array_equal(carry, [3, 3])
    np.testing.assert_array_equal(init, [0, 0])
    np.testing.assert_array_equal(xs, np.ones((3, 2)))

    def add_one(i, v):
        v += 1.0
        return v

    start = np.zeros(2)
    np.testing.assert_array_equal(lax.fori_loop(0, 3, add_one, start), [3, 3])
    np.testing.assert_array_equal(lax.while_loop(lambda v: v[0] < 2, lambda v: add_one(0, v),
                                                 start), [2, 2])
    np.testing.assert_array_equal(start, [0, 0])


def test_a_checkpointed_scan_body_returning_numpy_scalars_and_jax_options():
    xs = np.linspace(0.0, 1.0, 12).reshape(4, 3)

    def run(w, wrap):
        body = wrap(lambda h, x: (cnp.tanh(h * w + x), cnp.sum(h ** 2)))
        h, ys = lax.scan(body, np.zeros(3), xs)  # (step 1's sum(h**2) is a NumPy scalar)
        return cnp.sum(h) + cnp.sum(ys)

    plain = cr.grad(run)(0.7, lambda f: f)
    assert cr.grad(run)(0.7, cr.checkpoint) == pytest.approx(plain, rel=1e-14)
    # jax.checkpoint's keywords make a wrapper (functools.partial(checkpoint, policy=...))
    wrap = functools.partial(cr.checkpoint, policy=None, prevent_cse=False)
    assert cr.grad(run)(0.7, wrap) == pytest.approx(plain, rel=1e-14)
