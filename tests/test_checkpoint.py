"""cr.checkpoint: a segment recomputed in backward gives the gradients it would have given."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp
from chainrule import nn
from chainrule.gradcheck import gradcheck


def _layers(n, width=8):
    return [nn.Linear(width, width) for _ in range(n)]


def _run(layers, h):
    for layer in layers:
        h = cr.tanh(layer(h))
    return h


def _grads(layers, make_output):
    for p in (q for layer in layers for q in layer.parameters()):
        p.grad = None
    make_output().sum().backward()
    return [p.grad.data.copy() for layer in layers for p in layer.parameters()]


def test_checkpointed_segments_give_the_same_gradients_to_closed_over_weights():
    layers = _layers(6)
    x = cr.tensor(np.random.default_rng(1).standard_normal((3, 8)).astype(np.float32))
    plain = _grads(layers, lambda: _run(layers, x))
    segments = [cr.checkpoint(lambda h, part=layers[k:k + 2]: _run(part, h))
                for k in range(0, 6, 2)]

    def checkpointed():
        h = x
        for seg in segments:
            h = seg(h)
        return h

    for got, want in zip(_grads(layers, checkpointed), plain):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_pytorch_style_call_and_weights_derived_inside_the_segment():
    w = cr.tensor(np.array([[0.5, -1.0], [2.0, 0.25]]), requires_grad=True)
    x = cr.tensor(np.array([[1.0, 2.0]]), requires_grad=True)
    y = cr.checkpoint(lambda v: cr.sin(v @ w.T), x)  # w.T is made inside the segment
    y.sum().backward()
    gw, gx = w.grad.data.copy(), x.grad.data.copy()
    w.grad = x.grad = None
    cr.sin(x @ w.T).sum().backward()
    np.testing.assert_allclose(gw, w.grad.data, rtol=1e-12)
    np.testing.assert_allclose(gx, x.grad.data, rtol=1e-12)


def test_every_order_and_mode_through_a_checkpoint():
    w = cr.tensor(np.array([0.7, 1.1]), requires_grad=True)
    assert gradcheck(lambda v: cr.checkpoint(lambda u: cr.sin(u * w) * u)(v),
                     np.array([0.3, -0.4]), order=2)
    assert gradcheck(lambda v: cr.checkpoint(lambda u, k: cr.tanh(u * k))(v, v * 2),
                     np.array([0.3, -0.4]), order=2)
    assert cr.grad(lambda s: cr.checkpoint(lambda u: u ** 3)(s))(2.0) == pytest.approx(12.0)


def test_the_segment_keeps_its_inputs_not_its_activations():
    big = np.random.default_rng(0).standard_normal((64, 64))
    x = cr.tensor(big, requires_grad=True)

    def segment(h):
        for _ in range(8):
            h = cr.tanh(h * 1.01)
        return h

    y = cr.checkpoint(segment)(x)
    # The node holds the input only: nothing else of this size is reachable from it.
    held = [v for v in y._vals if isinstance(v, np.ndarray) and v.size == big.size]
    assert len(held) == 1 and held[0] is x.data
    gc.collect()
    y.sum().backward()
    want = cr.grad(lambda v: segment(v).sum())(big)
    np.testing.assert_allclose(x.grad.data, want, rtol=1e-12)


def test_a_segment_returns_arrays():
    with pytest.raises(TypeError, match="must return arrays"):
        cr.checkpoint(lambda v: (v, "label"))(cr.tensor([1.0], requires_grad=True))


def test_a_segment_with_several_outputs_as_a_scan_step():
    from chainrule import lax

    def step(c, x):
        return c * x, c + x

    def loss(a, segment):
        carry, ys = lax.scan(segment, a, np.arange(1.0, 4.0))
        return carry + ys.sum()

    want = cr.grad(lambda a: loss(a, step))(2.0)
    got = cr.grad(lambda a: loss(a, cr.checkpoint(step)))(2.0)
    assert got == pytest.approx(want, rel=1e-15)
    x = np.array([0.3, -0.7])

    def mixed(v):
        out = cr.checkpoint(lambda y: {"t": cr.tanh(y), "c": (y ** 3).sum()})(v)
        return out["t"].sum() * out["c"]

    gradcheck(mixed, x, order=2)
    np.testing.assert_allclose(cr.grad(mixed)(x), cr.grad(
        lambda v: cr.tanh(v).sum() * (v ** 3).sum())(x), rtol=1e-14)


# ----------------------------------------- closed-over results, higher orders, writes
def test_a_segment_closing_over_a_recorded_result_leaves_the_outer_graph_whole():
    # W is made before the call by a recorded operation; the recomputation's backward
    # must stop at W, so the outer backward can still go on through it to w0.
    w0 = cr.tensor([1.0, 2.0], requires_grad=True)
    x = cr.tensor([3.0, 4.0], requires_grad=True)
    W = w0 * 2
    y = cr.checkpoint(lambda v: (v * W).sum())(x)
    y.backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])
    np.testing.assert_allclose(w0.grad.data, [6.0, 8.0])


def test_hessian_through_a_checkpoint_equals_the_plain_hessian():
    x0 = np.array([0.3, -0.2])

    def loss(w, ckpt):
        seg = lambda x: cnp.tanh(x * w)  # noqa: E731
        h = cr.checkpoint(seg)(cr.tensor(x0)) if ckpt else seg(cr.tensor(x0))
        return (h * h).sum()

    w = np.array([1.0, 2.0])
    np.testing.assert_allclose(cr.hessian(lambda v: loss(v, True))(w),
                               cr.hessian(lambda v: loss(v, False))(w), rtol=1e-10)


def test_forward_mode_sees_the_tangents_of_closed_over_tensors():
    x = cr.tensor(np.array([0.3, -0.4]))

    def f(w, ckpt):
        seg = lambda h: cnp.tanh(h * w)  # noqa: E731
        return cr.checkpoint(seg)(x) if ckpt else seg(x)

    w0, t0 = np.array([1.0, 2.0]), np.array([1.0, 1.0])
    want = cr.jvp(lambda w: f(w, False), (w0,), (t0,))[1]
    assert np.abs(want).min() > 0.2
    np.testing.assert_allclose(cr.jvp(lambda w: f(w, True), (w0,), (t0,))[1], want,
                               rtol=1e-12)
    np.testing.assert_allclose(cr.jacfwd(lambda w: f(w, True))(w0),
                               cr.jacfwd(lambda w: f(w, False))(w0), rtol=1e-12)


def test_a_segment_writing_into_its_input_differentiates_as_without_checkpoint():
    def seg(u):
        u[0] = 0.0
        return cnp.sum(u * u)

    for ckpt in (True, False):
        x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
        h = x * 1
        (cr.checkpoint(seg)(h) if ckpt else seg(h)).backward()
        np.testing.assert_allclose(x.grad.data, [0.0, 4.0, 6.0])
        np.testing.assert_array_equal(h.data, [0.0, 2.0, 3.0])  # the caller's tensor


def test_checkpoint_under_vmap_of_grad():
    f = lambda x: cnp.tanh(x * 2.0)  # noqa: E731
    xs = np.arange(6.0).reshape(3, 2) / 10
    with pytest.warns(RuntimeWarning, match="no batching rule"):
        got = cr.vmap(cr.grad(lambda x: cnp.sum(cr.checkpoint(f)(x))))(xs)
    np.testing.assert_allclose(got, 2 * (1 - np.tanh(xs * 2) ** 2))


def test_dropout_inside_a_checkpoint_draws_the_same_masks_when_recomputed():
    from chainrule import nn

    def run(checkpointed):
        nn.init.manual_seed(0)
        lin = nn.Linear(6, 6)
        drop = nn.Dropout(0.5)  # the default generator
        own = nn.Dropout(0.3, rng=np.random.default_rng(7))  # a generator of its own
        x = cr.tensor(np.random.default_rng(0).standard_normal((4, 6)))

        def segment(x):
            return cr.tanh(own(drop(lin(x))))

        nn.init.manual_seed(1)
        y = cr.checkpoint(segment, x) if checkpointed else segment(x)
        cr.sum(y * y).backward()
        # the stream after backward is where it would be without recomputation
        return y.data, lin.weight.grad.data, nn.init.generator().random()

    y1, g1, next1 = run(True)
    y2, g2, next2 = run(False)
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_allclose(g1, g2, rtol=1e-13)
    assert next1 == next2
