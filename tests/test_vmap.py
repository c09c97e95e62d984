"""cr.vmap: a function of one example applied to a batch, checked against the Python loop."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from opdb import OPS

import chainrule as cr
import chainrule.numpy as cnp
from chainrule.gradcheck import gradcheck

# ------------------------------------------------------- every operation, batched
_RUNS = [(op, k) for op in OPS if op.differentiable and op.traces
         for k in range(len(op.samples(np.random.default_rng(0))))]


def _loop(f, batches, axes):
    outs = [f(*[b[i] if ax is not None else b for b, ax in zip(batches, axes)])
            for i in range(3)]
    return outs


@pytest.mark.parametrize("op, k", _RUNS, ids=[f"{op.name}-{k}" for op, k in _RUNS])
def test_every_operation_batched_equals_the_loop(op, k):
    sample = op.samples(np.random.default_rng(k))[k]
    rng = np.random.default_rng(100 + k)
    # A batch of 3 examples for each differentiated argument, the others fixed. The last
    # example repeats the first, so a result made from the first example's values alone
    # passes vmap's own check of the last example, and only the comparison of the middle
    # one with the loop below can catch it.
    batches, axes = [], []
    for i, a in enumerate(sample.args):
        if i in sample.diff:
            batches.append(np.stack([a + 0.01 * j * rng.standard_normal(np.shape(a))
                                     for j in (0, 1, 0)]))
            axes.append(0)
        else:
            batches.append(a)
            axes.append(None)

    def f(*args):
        out = op.op(*args, **sample.kwargs)
        return tuple(out) if isinstance(out, list) else out

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # primitives without a rule loop
        got = cr.vmap(f, in_axes=tuple(axes))(*batches)
    want = _loop(lambda *a: f(*[cr.tensor(x) if isinstance(x, np.ndarray) else x
                                for x in a]), batches, axes)
    if isinstance(got, tuple):
        for j, g in enumerate(got):
            np.testing.assert_allclose(g, np.stack([w[j].data for w in want]), rtol=1e-10,
                                       atol=1e-12)
    else:
        np.testing.assert_allclose(got, np.stack([w.data for w in want]), rtol=1e-10,
                                   atol=1e-12)


# --------------------------------------------------------- per-example gradients
def _mlp_loss(params, x, y):
    w1, b1, w2, b2 = params
    h = cnp.tanh(x @ w1 + b1)
    return cr.cross_entropy(h @ w2 + b2, y)


def _params(rng):
    return (rng.standard_normal((4, 5)) * 0.5, rng.standard_normal(5) * 0.1,
            rng.standard_normal((5, 3)) * 0.5, rng.standard_normal(3) * 0.1)


def test_vmap_of_grad_gives_per_example_gradients():
    rng = np.random.default_rng(0)
    params, x, y = _params(rng), rng.standard_normal((6, 4)), rng.integers(0, 3, 6)
    got = cr.vmap(cr.grad(_mlp_loss), in_axes=(None, 0, 0))(params, x, y)
    for i in range(6):
        want = cr.grad(_mlp_loss)(params, x[i], y[i])
        for g, w in zip(got, want):
            np.testing.assert_allclose(g[i], w, rtol=1e-12, atol=1e-14)
    # Their mean is the batch gradient.
    batch = cr.grad(lambda p: cr.cross_entropy(cnp.tanh(x @ p[0] + p[1]) @ p[2] + p[3], y))(
        params)
    for g, w in zip(got, batch):
        np.testing.assert_allclose(g.mean(0), w, rtol=1e-10, atol=1e-12)


def test_grad_of_vmap_and_higher_orders():
    rng = np.random.default_rng(1)
    xs = rng.standard_normal((4, 3))

    def total(w):
        return cnp.sum(cr.vmap(lambda x: cnp.sin(x @ w) ** 2)(xs))

    w = rng.standard_normal((3, 2))
    want = cr.grad(lambda w: cnp.sum(cnp.sin(xs @ w) ** 2))(w)
    np.testing.assert_allclose(cr.grad(total)(w), want, rtol=1e-12)
    assert gradcheck(lambda w: cr.vmap(lambda x: cnp.tanh(x * w).sum())(cr.tensor(xs)),
                     np.array([0.3, -0.5, 0.8]), order=2)


def test_nested_vmap_and_axes():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((5, 4))
    pairwise = cr.vmap(cr.vmap(lambda u, v: cnp.dot(u, v), in_axes=(None, 0)),
                       in_axes=(0, None))(a, b)
    np.testing.assert_allclose(pairwise, a @ b.T, rtol=1e-12)
    # in_axes other than 0, and out_axes.
    m = rng.standard_normal((4, 3))
    np.testing.assert_allclose(cr.vmap(cnp.sum, in_axes=1)(m), m.sum(0))
    np.testing.assert_allclose(cr.vmap(lambda r: r * 2, in_axes=1, out_axes=1)(m), m * 2)
    # A pytree argument with per-leaf axes; outputs as a tuple.
    out = cr.vmap(lambda d: (d["x"] + d["y"], d["x"]), in_axes=({"x": 0, "y": None},))(
        {"x": m, "y": np.ones(3)})
    np.testing.assert_allclose(out[0], m + 1)


def test_a_closure_over_a_differentiated_value():
    xs = np.array([1.0, 2.0, 3.0])

    def f(w):
        return cnp.sum(cr.vmap(lambda x: w * x ** 2)(xs))

    assert cr.grad(f)(0.5) == pytest.approx(np.sum(xs**2))


def test_value_dependent_control_flow_is_refused_naming_the_line():
    def f(x):
        if x.sum() > 0:  # the branch would be taken for the first example only
            return x
        return -x

    with pytest.raises(TypeError, match=r"bool\(\) on a tensor that is being traced.*"
                                         r"test_vmap.py"):
        cr.vmap(f)(np.array([[1.0], [-1.0]]))
    # Written with where, it batches.
    np.testing.assert_allclose(
        cr.vmap(lambda x: cr.where(x.sum() > 0, x, -x))(np.array([[1.0], [-1.0]])),
        [[1.0], [1.0]])


def test_reading_values_behind_the_engine_is_caught():
    def f(x):
        # A constant made from the values behind the engine's back: the first example's.
        return x * float(getattr(x, "_data", x).sum())

    with pytest.raises(ValueError, match="differs from the function evaluated on that"):
        cr.vmap(f)(np.array([[1.0, 2.0], [3.0, 4.0]]))


def test_an_array_made_from_a_traced_tensor_is_refused_naming_the_line():
    def f(x):
        out = np.zeros(2)
        out[:] = x  # converts x: one example's values for all
        return out

    with pytest.raises(TypeError, match=r"NumPy array made from a tensor that is being "
                                         r"traced \(by cr.vmap\), at .*test_vmap.py"):
        cr.vmap(f)(np.array([[1.0, 2.0], [3.0, 4.0]]))
    with pytest.raises(TypeError, match=r"NumPy array made from a tensor that is being "
                                         r"traced \(by cr.vmap\), at .*test_vmap.py"):
        cr.vmap(lambda x: np.asarray(x) * 2)(np.array([[1.0, 2.0], [3.0, 4.0]]))


def test_a_primitive_without_a_rule_is_computed_one_example_at_a_time():
    cube = cr.primitive("test_vmap_cube", lambda x: x ** 3, replace=True).defvjp(
        lambda g, ans, x: g * 3 * x * x)
    try:
        with pytest.warns(RuntimeWarning, match="test_vmap_cube.*no batching rule"):
            out = cr.vmap(cube)(np.array([1.0, 2.0]))
        np.testing.assert_array_equal(out, [1.0, 8.0])
    finally:
        del cr.REGISTRY["test_vmap_cube"]


def test_bad_axes_are_clear_errors():
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match="different sizes"):
        cr.vmap(lambda a, b: a + b)(x, np.ones((3, 3)))
    with pytest.raises(ValueError, match="maps no argument"):
        cr.vmap(lambda a: a, in_axes=None)(x)
    with pytest.raises(ValueError, match="out of range"):
        cr.vmap(lambda a: a, in_axes=2)(x)


def test_dropout_under_vmap_draws_one_mask_per_example():
    # A Generator draws the examples' masks in turn, as a loop over them would; an int
    # seed gives every example the same mask, as it gives every call.
    import chainrule.nn.functional as F

    x = np.ones((5, 40))
    drawing = np.random.default_rng(3)
    batched = np.asarray(cr.vmap(lambda v: F.dropout(v, 0.5, rng=drawing))(x))
    g = np.random.default_rng(3)
    g.random(40)  # (the trace of the first example draws once before the batch)
    looped = np.stack([(g.random(40) >= 0.5) * 2.0 for _ in range(5)])
    np.testing.assert_array_equal(batched, looped)
    seeded = np.asarray(cr.vmap(lambda v: F.dropout(v, 0.5, rng=7))(x))
    np.testing.assert_array_equal(seeded, np.broadcast_to(F.dropout(x[0], 0.5, rng=7), x.shape))


def test_vmap_of_a_random_function_still_refuses_values_read_outside_operations():
    import chainrule.nn.functional as F

    g = np.random.default_rng(0)
    x = np.arange(12.0).reshape(3, 4)
    with pytest.raises(ValueError, match="last example"):
        cr.vmap(lambda v: F.dropout(v, 0.5, rng=g) * float(np.asarray(v.data).sum()))(x)


def test_nested_vmap_computes_on_the_outer_examples_value_inside_the_inner_function():
    # An inner function computing on the outer function's argument (x * 2 below, which
    # touches none of the inner trace's values) belongs to the outer trace: it was
    # written down nowhere, its value example 0's for every example, and the last-example
    # check raised.
    xs = np.array([[1.0, 0.5], [-0.2, 0.3], [0.9, 0.1]])
    eye = np.eye(2)

    def f(x):
        return cr.vmap(lambda v: v * cnp.tanh(x * 2) + cnp.sum(x ** 2))(eye)

    got = np.asarray(cr.vmap(f)(xs))
    want = np.stack([eye * np.tanh(x * 2) + np.sum(x ** 2) for x in xs])
    assert np.allclose(got, want)
    # and its gradient through both maps
    g = cr.grad(lambda a: cnp.sum(cr.vmap(f)(a)))(xs)
    eps, num = 1e-6, np.zeros_like(xs)
    for i in np.ndindex(xs.shape):
        d = np.zeros_like(xs)
        d[i] = eps
        num[i] = (np.sum([eye * np.tanh((x + e) * 2) + np.sum((x + e) ** 2)
                          for x, e in zip(xs, d)])
                  - np.sum([eye * np.tanh((x - e) * 2) + np.sum((x - e) ** 2)
                            for x, e in zip(xs, d)])) / (2 * eps)
    assert np.allclose(g, num, atol=1e-6)


def test_vmap_of_linear_with_per_example_bias_of_any_rank_and_signed_logsumexp_weights():
    from chainrule import primitives as P
    from chainrule.scipy.special import logsumexp

    x, w = np.ones((3, 4)), np.arange(20.0).reshape(5, 4)
    for bias in (np.arange(3.0), np.arange(15.0).reshape(3, 5)):  # 0-d and (out,) per example
        got = np.asarray(cr.vmap(lambda xi, bi: P.linear(xi, w, bi))(x, bias))
        assert np.allclose(got, x @ w.T + (bias if bias.ndim == 2 else bias[:, None]))
    # signed weights decided per example, not from the first example's values
    a, b = np.array([1.0, 0.0]), np.array([[1.0, 1.0], [2.0, -1.0], [1.0, 1.0]])
    want = [np.log(np.sum(bi * np.exp(a))) for bi in b]
    assert np.allclose(np.asarray(cr.vmap(lambda bi: logsumexp(a, b=bi))(b)), want)
    compiled = cr.compile(lambda bi: logsumexp(a, b=bi))
    assert np.allclose([np.asarray(compiled(bi).data) for bi in b], want)
