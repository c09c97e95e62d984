"""cr.compile: a captured step replayed gives exactly what eager execution gives."""

from __future__ import annotations

import re
import sys
import warnings

import numpy as np
import pytest
from opdb import OPS

import chainrule as cr
import chainrule.numpy as cnp
from chainrule import nn, optim
from chainrule.nn import functional as F


def _data(n=32, features=8, classes=3, seed=1):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, features)).astype(np.float32),
            rng.integers(0, classes, n))


def _train(compiled, make_optimizer, steps=5, x=None, y=None):
    nn.init.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 3))
    opt = make_optimizer(model.parameters())

    def step(xb, yb):
        opt.zero_grad()
        loss = cr.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        return loss

    if compiled:
        step = cr.compile(step)
    if x is None:
        x, y = _data()
    losses = [step(x, y).item() for _ in range(steps)]
    return losses, [p.data.copy() for p in model.parameters()], step


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: optim.Adam(ps, lr=1e-2),
    lambda ps: optim.AdamW(ps, lr=1e-2, weight_decay=0.1),
    lambda ps: optim.RMSprop(ps, lr=1e-2),
], ids=["sgd momentum", "adam", "adamw", "rmsprop"])
def test_a_compiled_training_step_is_bit_identical_to_eager(make):
    eager_losses, eager_params, _ = _train(False, make)
    losses, params, step = _train(True, make)
    assert losses == eager_losses
    for p, q in zip(params, eager_params):
        np.testing.assert_array_equal(p, q)
    assert len(step.programs) == 1  # captured once, replayed four times


def test_new_shapes_capture_again():
    x, y = _data(32)
    _, _, step = _train(True, lambda ps: optim.SGD(ps, lr=0.1), steps=2, x=x, y=y)
    step(x[:7], y[:7])
    step(x[:7], y[:7])
    step(x.astype(np.float64), y)
    assert len(step.programs) == 3


def test_a_schedule_and_a_returned_tuple_are_replayed():
    nn.init.manual_seed(0)
    model = nn.Linear(8, 3)
    opt = optim.SGD(model.parameters(), lr=0.5)
    schedule = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)

    @cr.compile
    def step(xb, yb):
        opt.zero_grad()
        logits = model(xb)
        loss = cr.cross_entropy(logits, yb)
        loss.backward()
        opt.step()
        schedule.step()
        return loss, logits

    x, y = _data()
    for _ in range(3):
        loss, logits = step(x, y)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.5 * 0.5**3)
    assert logits.shape == (32, 3) and loss.shape == ()


def test_gradients_taken_inside_with_grad_and_functions_of_arrays():
    w = np.array([0.3, -1.2, 0.7])

    def f(x):
        return cr.grad(lambda v: cnp.sum(cnp.tanh(v * x) ** 2))(w)

    fc = cr.compile(f)
    for x in (np.array([1.0, 2.0, 3.0]), np.array([-0.5, 0.1, 2.0])):
        fc(x)
        # cr.grad inside a compiled function runs its rules as recorded operations (as
        # under create_graph), which here are the same NumPy calls as eager first order.
        np.testing.assert_array_equal(fc(x).data, f(x))


def test_python_control_flow_on_a_captured_value_is_refused():
    @cr.compile
    def f(x):
        return x * 2 if cnp.sum(x) > 0 else -x

    with pytest.raises(TypeError, match=r"being traced \(by cr.compile\).*test_compile.py"):
        f(np.ones(3))


def test_in_place_changes_outside_the_step_are_refused():
    running = cr.tensor(np.zeros(3))

    @cr.compile
    def f(x):
        with cr.no_grad():
            running.copy_(running.data + 1)  # a hand-written running statistic
        return x * 2

    with pytest.raises(ValueError, match="modified in place inside the function"):
        f(np.ones(3))


def test_only_a_plain_backward_is_replayed():
    w = cr.tensor(np.ones(3), requires_grad=True)

    @cr.compile
    def f(x):
        loss = cnp.sum(w * x)
        loss.backward(retain_graph=True, grad=np.array(2.0))
        return loss

    with pytest.raises(ValueError, match="only loss.backward"):
        f(np.ones(3))


# --------------------------------------- every operation, through a compiled step
_RUNS = [(op, k) for op in OPS if op.differentiable and op.traces
         for k in range(len(op.samples(np.random.default_rng(0))))]


def _training_step(op, sample):
    """(leaves, step): the op's differentiated arguments as leaves (the parameters a
    compiled step reads), and a step of them shifted by its array arguments that runs
    the op, backward of the sum of squares, and returns the op's output."""
    leaves = [cr.tensor(sample.args[i], requires_grad=True) for i in sample.diff]

    def value_and_grads(*arrays):
        # The op's arguments: the differentiated ones are the leaves (as parameters the
        # compiled step reads), shifted by the step's array arguments.
        args = list(sample.args)
        for i, leaf, a in zip(sample.diff, leaves, arrays):
            args[i] = leaf + a
        out = op.op(*args, **sample.kwargs)
        out = cr.concatenate([cr.reshape(o, (-1,)) for o in out]) if isinstance(
            out, (tuple, list)) else out
        for leaf in leaves:
            leaf.grad = None
        loss = cnp.sum(out * out)
        if loss.requires_grad:
            loss.backward()
        return out

    return leaves, value_and_grads


@pytest.mark.parametrize("op, k", _RUNS, ids=[f"{op.name}-{k}" for op, k in _RUNS])
def test_every_operation_compiled_equals_eager(op, k):
    sample = op.samples(np.random.default_rng(k))[k]
    leaves, value_and_grads = _training_step(op, sample)

    shifts = [np.zeros_like(sample.args[i]) for i in sample.diff]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        eager = value_and_grads(*shifts)
        eager_grads = [None if t.grad is None else t.grad.data.copy() for t in leaves]
        compiled = cr.compile(value_and_grads)
        compiled(*shifts)  # captured
        replayed = compiled(*shifts)  # replayed
    np.testing.assert_array_equal(replayed.data, eager.data)
    for t, g in zip(leaves, eager_grads):
        if g is None:
            assert t.grad is None
        elif op.name in _SELECTS_WHEN_TRACED:
            np.testing.assert_allclose(t.grad.data, g, rtol=4e-16, atol=0)
        else:
            np.testing.assert_array_equal(t.grad.data, g)


_FIRST_RUNS = [op for op, k in _RUNS if k == 0]


@pytest.mark.parametrize("op", _FIRST_RUNS, ids=[op.name for op in _FIRST_RUNS])
def test_every_operation_replayed_on_other_values_equals_eager(op):
    # Captured at the sample, replayed at shifted values: nothing the capture computed
    # from the first call's values (a branch, a mask, an exponent) may stand for the next.
    sample = op.samples(np.random.default_rng(0))[0]
    leaves, value_and_grads = _training_step(op, sample)

    rng = np.random.default_rng(1)
    shifts = [(0.07 * rng.standard_normal(np.shape(sample.args[i]))).astype(
        np.asarray(sample.args[i]).dtype) for i in sample.diff]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        compiled = cr.compile(value_and_grads)
        compiled(*[np.zeros_like(s) for s in shifts])  # captured
        try:
            eager = value_and_grads(*[cr.tensor(s) for s in shifts]).data.copy()
        except ValueError as refused:  # (shifted outside the domain: a replay refuses too)
            with pytest.raises(ValueError, match=re.escape(str(refused))):
                compiled(*shifts)
            return
        eager_grads = [None if t.grad is None else t.grad.data.copy() for t in leaves]
        replayed = compiled(*shifts).data
    np.testing.assert_allclose(replayed, eager, rtol=1e-13, atol=0)
    for t, g in zip(leaves, eager_grads):
        if g is None:
            assert t.grad is None
        else:
            np.testing.assert_allclose(t.grad.data, g, rtol=1e-11, atol=1e-300)


# Distribution functions whose branch masks are all true here: eager skips the select,
# a trace must keep it (the next call's values may need it), and the select's rule sums
# the cotangent in another order (one rounding; eager with the select agrees bit for bit).
_SELECTS_WHEN_TRACED = {"sp.stats.t.logcdf", "sp.stats.t.logsf"}


def test_compiled_dropout_draws_the_masks_eager_steps_draw():
    # The mask is drawn by an operation (primitives.masks.keep_mask): the program draws a
    # fresh one each call, from the same generator, so the outputs are eager's bit for bit.
    from chainrule import nn

    def make():
        return nn.Sequential(nn.Linear(4, 64, rng=0), nn.Dropout(0.5, rng=1))

    x = np.ones((2, 4))
    model, twin = make(), make()
    step = cr.compile(lambda x: model(x))
    outs = [step(x).data.copy() for _ in range(4)]
    assert not np.array_equal(outs[1], outs[2])
    for out in outs:
        np.testing.assert_array_equal(out, twin(cr.tensor(x)).data)


def test_compiled_step_captures_again_after_train_and_eval():
    from chainrule import nn

    model = nn.Sequential(nn.Linear(4, 8, rng=0), nn.Dropout(0.5))
    step = cr.compile(lambda x: model(x))
    x = np.ones((2, 4))
    step(x)
    model.eval()
    np.testing.assert_array_equal(step(x).data, model(cr.tensor(x)).data)
    model.train()
    assert (np.asarray(step(x).data) == 0).any()  # dropping again
    model.eval()
    np.testing.assert_array_equal(step(x).data, model(cr.tensor(x)).data)
    assert len(step.programs[next(iter(step.programs))]) == 2  # one per mode, kept


def test_compiled_step_with_a_recorded_write_into_a_fresh_buffer():
    # buf[:2] = w * x is a recorded operation (a differentiated write), not a change
    # outside the operations: the capture replays it.
    w = cr.tensor(np.array([1.0, 2.0]), requires_grad=True)

    def step(x):
        w.grad = None
        buf = cr.tensor(np.zeros(3))
        buf[:2] = w * x
        loss = cnp.sum(buf * buf)
        loss.backward()
        return loss

    s = cr.compile(step)
    for x in (np.array([1.0, 1.0]), np.array([2.0, 3.0])):
        s(x)
        np.testing.assert_allclose(w.grad.data, 2 * (w.data * x) * x)


def test_embedding_lookups_read_each_calls_indices():
    # The indices are an argument of the lookup (gather_rows), not a constant of the
    # capture; the padding row's cut gradient (detach) is an operation too.
    emb = nn.Embedding(6, 3, padding_idx=0, rng=0)

    def loss(i):
        emb.weight.grad = None
        out = (emb(i) ** 2).sum()
        out.backward()
        return out

    step = cr.compile(loss)
    for i in (np.array([[0, 1], [2, 3]]), np.array([[5, 5], [0, 2]]), np.array([[4, 0], [1, 1]])):
        value = step(i).data
        grad = emb.weight.grad.data.copy()
        emb.weight.grad = None
        want = (emb(cr.tensor(i)) ** 2).sum()
        want.backward()
        assert value.tobytes() == want.data.tobytes()
        assert grad.tobytes() == emb.weight.grad.data.tobytes()


def test_detach_of_a_traced_value_is_an_operation():
    step = cr.compile(lambda x: x.detach() * x)
    for x in (np.array([1.0, 2.0]), np.array([3.0, -1.0])):
        np.testing.assert_array_equal(step(x).data, x * x)


def test_frexp_ldexp_and_modf_follow_each_calls_values():
    # frexp's exponent and modf's corrections are operations on x, not constants of the
    # capture (the exponent of the first call used to scale every later call).
    def f(x):
        m, e = cnp.frexp(x)
        frac, whole = cnp.modf(x * 0.75)
        return cnp.sum(m * e) + cnp.sum(frac * whole) + cnp.sum(cnp.ldexp(x, e))

    grad = cr.compile(cr.grad(f))
    value = cr.compile(f)
    for x in (np.array([1.0, 8.0, -3.0]), np.array([100.0, 0.3, -4.0]),
              np.array([-2.0, np.inf, 5e-300])):
        with np.errstate(invalid="ignore", over="ignore"):
            np.testing.assert_array_equal(np.asarray(grad(x)), cr.grad(f)(x))
            np.testing.assert_array_equal(np.asarray(value(x)), np.asarray(f(cr.tensor(x))))
    frac = cr.compile(lambda x: cnp.modf(x)[0])
    frac(np.array([1.5, 2.5]))
    got = np.asarray(frac(np.array([-2.0, np.inf, -np.inf])))
    np.testing.assert_array_equal(np.signbit(got), [True, False, True])
    np.testing.assert_array_equal(got, 0.0)
    # and under vmap, each example its own
    xs = np.array([[1.5, -2.5], [3.25, 0.5], [-6.0, 1e-310]])
    np.testing.assert_array_equal(cr.vmap(cr.grad(f))(xs), [cr.grad(f)(x) for x in xs])


_VALUE_MASKED = {
    "relu6": lambda x, y: F.relu6(x),
    "hardtanh": lambda x, y: F.hardtanh(x, -0.5, 0.5),
    "hardsigmoid": lambda x, y: F.hardsigmoid(x * 4),
    "hardswish": lambda x, y: F.hardswish(x * 4),
    "hardshrink": lambda x, y: F.hardshrink(x),
    "softshrink": lambda x, y: F.softshrink(x),
    "threshold": lambda x, y: F.threshold(x, 0.1, -2.0),
    "multi_margin_loss": lambda x, y: F.multi_margin_loss(x, y, weight=np.arange(1.0, 5.0)),
    "cross_entropy ignore_index": lambda x, y: F.cross_entropy(x, y, ignore_index=2),
    "cosine_embedding_loss": lambda x, y: F.cosine_embedding_loss(
        x, x[::-1] + 1, cnp.where(y > 1, 1.0, -1.0)),
    "poisson_nll_loss full": lambda x, y: F.poisson_nll_loss(x, 3.0 * y[:, None], full=True),
    "huber_loss": lambda x, y: F.huber_loss(x, 0.5 * y[:, None], reduction="none", delta=0.7),
    "smooth_l1_loss": lambda x, y: F.smooth_l1_loss(x, 0.5 * y[:, None], reduction="none",
                                                    beta=0.7),
    "kl_div zero targets": lambda x, y: F.kl_div(
        x, (y[:, None] == cnp.arange(4)) * 1.0, reduction="none"),
}


@pytest.mark.parametrize("name", list(_VALUE_MASKED))
def test_masks_and_targets_are_computed_for_every_call(name):
    # Masks built from the input's or the target's values are comparisons, not NumPy
    # constants of the capture: a call with other values gets its own.
    f = _VALUE_MASKED[name]
    w = cr.tensor(np.linspace(-1.0, 1.0, 4), requires_grad=True)

    def step(x, y):
        w.grad = None
        out = cnp.sum(f(x * w, y))
        out.backward()
        return out

    compiled = cr.compile(step)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x, y = rng.normal(size=(5, 4)) * 2, rng.integers(0, 4, size=5)
        got, got_grad = compiled(x, y).data, w.grad.data.copy()
        want = step(cr.tensor(x), cr.tensor(y))
        assert got.tobytes() == want.data.tobytes()
        assert got_grad.tobytes() == w.grad.data.tobytes()


def test_rrelu_draws_fresh_slopes_each_compiled_call():
    step = cr.compile(lambda x: F.rrelu(x, training=True, rng=np.random.default_rng(1)))
    eager = np.random.default_rng(1)
    x = -np.ones(6)
    a = step(x).data.copy()
    b = step(x).data.copy()
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(a, -eager.uniform(1 / 8, 1 / 3, 6))


def test_attention_masks_and_dropout_are_each_calls():
    # A key-padding mask given as an argument is read on every call; attention dropout
    # draws a fresh mask on every call (the weights' composition: the fused primitive's
    # mask is a constant), from the generator eager calls use.
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0,
                                       batch_first=True, dtype=np.float64, rng=0)
    step = cr.compile(lambda x, m: layer(x, src_key_padding_mask=m))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 8))
    for m in (np.zeros((2, 5), bool), np.array([[0, 0, 0, 1, 1], [0, 1, 1, 1, 1]], bool)):
        want = layer(cr.tensor(x), src_key_padding_mask=m).data
        assert step(x, m).data.tobytes() == want.tobytes()
    dropping = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.5,
                                          batch_first=True, dtype=np.float64, rng=0)
    twin = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.5,
                                      batch_first=True, dtype=np.float64, rng=0)
    dropping.self_attn.rng = np.random.default_rng(5)
    twin.self_attn.rng = np.random.default_rng(5)
    for layer_ in (dropping, twin):
        for module in layer_.modules():
            if isinstance(module, nn.Dropout):
                module.p = 0.0  # (only the attention weights' dropout left)
    step = cr.compile(lambda x: dropping(x))
    outs = [step(x).data.copy() for _ in range(3)]
    assert not np.allclose(outs[1], outs[2])
    for out in outs:
        np.testing.assert_allclose(out, twin(cr.tensor(x)).data, rtol=1e-12, atol=1e-12)


def test_gumbel_softmax_draws_fresh_noise_each_compiled_call():
    step = cr.compile(lambda x: F.gumbel_softmax(x, hard=True, rng=np.random.default_rng(2)))
    x = np.zeros((4, 6))
    samples = [step(x).data.copy() for _ in range(3)]
    assert all((s.sum(axis=1) == 1).all() for s in samples)
    assert not np.array_equal(samples[1], samples[2])


def test_a_step_returning_a_gradient_returns_this_calls_gradient_tensor():
    def run(compiled):
        nn.init.manual_seed(0)
        m = nn.Linear(3, 2)
        opt = optim.SGD(m.parameters(), lr=0.1)

        def step(x):
            opt.zero_grad()
            loss = (m(x) ** 2).sum()
            loss.backward()
            opt.step()
            return loss, m.weight.grad

        f = cr.compile(step) if compiled else step
        out = [f(np.full((4, 3), k, np.float32)) for k in (1.0, 2.0, 3.0)]
        return out, m

    eager, _ = run(False)
    compiled, m = run(True)
    for (le, ge), (lc, gc) in zip(eager, compiled):
        assert type(gc) is type(ge)
        assert le.item() == lc.item()
        np.testing.assert_array_equal(gc.data, ge.data)
    assert compiled[-1][1] is m.weight.grad


@pytest.mark.parametrize("loss", [
    lambda z, t: F.cross_entropy(z, t),
    lambda z, t: F.nll_loss(z, t),
    lambda z, t: F.cross_entropy(z, t, weight=np.ones(3)),
    lambda z, t: cr.cross_entropy(z, t),
], ids=["F.cross_entropy", "F.nll_loss", "weighted", "cr.cross_entropy"])
def test_every_call_checks_its_class_indices(loss):
    # Checked at capture only, a later -1 would silently read the last class.
    z = np.random.default_rng(0).standard_normal((2, 3))
    step = cr.compile(loss)
    assert step(z, np.array([0, 1])).item() == loss(cr.tensor(z), np.array([0, 1])).item()
    for bad in ([-1, 1], [3, 1]):
        with pytest.raises(IndexError, match="target class indices must be in 0..2"):
            loss(cr.tensor(z), np.array(bad))
        with pytest.raises(IndexError, match="target class indices must be in 0..2"):
            step(z, np.array(bad))
    assert len(step.programs) == 1


def test_attention_dropout_draws_each_call_when_only_the_mask_is_an_argument():
    rng = np.random.default_rng(0)
    q, k, v = (cr.tensor(rng.standard_normal((1, 4, 3))) for _ in range(3))

    def attend(m):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=m, dropout_p=0.5)

    step = cr.compile(attend)
    outs = [step(np.zeros((4, 4))).data.copy() for _ in range(3)]
    assert not np.array_equal(outs[1], outs[2])
    batch = cr.vmap(attend)(np.zeros((3, 4, 4)))  # one draw per example
    assert batch.shape == (3, 1, 4, 3) and not np.array_equal(batch[0], batch[1])


def test_a_leaf_made_inside_from_an_argument_follows_each_call():
    # cr.tensor(W, requires_grad=True) of an argument is a function of that argument at
    # every call (it was frozen at the capture's values), and its .grad is this call's
    # gradient (it was the capture's, never written again).
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((6, 5)), np.array([0, 2, 1, 0, 1, 2])

    def step(W):
        Wt = cr.tensor(W, requires_grad=True)
        loss = cr.cross_entropy(cr.tanh(cr.tensor(x) @ Wt), y)
        loss.backward()
        return loss, Wt.grad

    compiled = cr.compile(step)
    for _ in range(3):
        W = rng.standard_normal((5, 3))
        want, got = step(W), compiled(W)
        np.testing.assert_array_equal(got[0].data, want[0].data)
        np.testing.assert_array_equal(got[1].data, want[1].data)


def test_a_leaf_made_inside_from_constants_starts_each_call_without_a_gradient():
    # Eagerly each call makes a new leaf whose .grad starts empty; the program reuses the
    # captured one and must not add this call's gradient to the previous call's.
    def step(x):
        w = cr.tensor(np.ones(3), requires_grad=True)
        loss = cr.sum(cr.tanh(w * x))
        loss.backward()
        return loss, w.grad

    compiled = cr.compile(step)
    for k in range(3):
        x = np.arange(3.0) + k
        want, got = step(x), compiled(x)
        np.testing.assert_array_equal(got[0].data, want[0].data)
        np.testing.assert_array_equal(got[1].data, want[1].data)


def test_a_copy_of_a_traced_value_is_traced_under_vmap():
    xs = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(cr.vmap(lambda w: cr.tensor(w) * 2)(xs), xs * 2)
    np.testing.assert_array_equal(
        cr.vmap(lambda w: cr.tensor(w, dtype=np.float32) + 1)(xs), (xs + 1).astype(np.float32))


def _mlp_and_batches():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 5)).astype(np.float32)
    y = rng.integers(0, 3, 16)
    model = nn.Sequential(nn.Linear(5, 8, rng=0), nn.Tanh(), nn.Linear(8, 3, rng=1))
    return model, [(x[:8], y[:8]), (x[8:], y[8:])] * 2


@pytest.mark.parametrize("clip", ["norm", "value"])
def test_gradient_clipping_is_repeated_by_a_compiled_step(clip):
    # The clipping scales .grad in place: a compiled step must clip each call's gradients
    # (it used to leave them unclipped after the capture).
    def train(compiled):
        model, batches = _mlp_and_batches()
        opt = optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)

        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            if clip == "norm":
                nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            else:
                nn.utils.clip_grad_value_(model.parameters(), 0.05)
            opt.step()
            return loss

        run = cr.compile(step) if compiled else step
        losses = [float(run(x, y).data) for x, y in batches]
        return losses, [p.data.copy() for p in model.parameters()]

    results = [train(False), train(True)]
    (eager_losses, eager_params), (losses, params) = results
    assert losses == eager_losses
    for a, b in zip(params, eager_params):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("update", ["operator", "data", "detached"])
def test_a_parameter_updated_by_hand_is_refused(update):
    # Eagerly `p -= lr * p.grad` under no_grad updates the parameter; in a capture the
    # operator rebinds the name and p.data -= ... is invisible, so the compiled step
    # would silently never train. Both are refused.
    model, batches = _mlp_and_batches()
    params = list(model.parameters())

    def step(x, y):
        for p in params:
            p.grad = None
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        with cr.no_grad():
            for p in params:
                if update == "operator":
                    p -= 0.1 * p.grad
                elif update == "data":
                    p.data -= 0.1 * p.grad.data
                elif update == "detached":  # eagerly a write into p's buffer
                    d = p.detach()
                    d -= 0.1 * p.grad

        return loss

    with pytest.raises(ValueError, match="updated inside the step other than by an optimizer"):
        cr.compile(step)(*batches[0])


def test_pytorch_style_update_through_data_is_refused_not_lost():
    # chainrule.torch's p.data is a tensor sharing p's buffer: `p.data.add_(...)` trains
    # eagerly, so a compiled step that dropped the write would silently never train.
    import chainrule.torch as torch

    model = torch.nn.Linear(3, 2)
    x = torch.randn(4, 3)

    def step(x):
        model.zero_grad()
        loss = model(x).pow(2).sum()
        loss.backward()
        for p in model.parameters():
            p.data.add_(-0.1 * p.grad)
        return loss

    before = model.weight.detach().clone()
    step(x)
    assert not torch.equal(model.weight, before)
    with pytest.raises(ValueError, match="updated inside the step other than by an optimizer"):
        cr.compile(step)(x)


def test_module_zero_grad_filling_zeros_is_repeated_by_a_compiled_step():
    # model.zero_grad(set_to_none=False) zeroes .grad in place: a compiled step must do
    # so on every call, or each call's gradients pile onto the previous ones.
    def train(compiled):
        model, batches = _mlp_and_batches()
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

        def step(x, y):
            model.zero_grad(set_to_none=False)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss

        run = cr.compile(step) if compiled else step
        return [float(run(x, y).data) for x, y in batches], [p.data.copy() for p in
                                                            model.parameters()]

    (eager_losses, eager_params), (losses, params) = train(False), train(True)
    assert losses == eager_losses
    for a, b in zip(params, eager_params):
        np.testing.assert_array_equal(a, b)


def test_a_compiled_step_reads_buffers_and_parameters_as_they_are_at_each_call():
    # BatchNorm in eval mode computes from its running statistics alone (no traced value
    # in sqrt(running_var + eps)): that part was computed once, at the capture, and a
    # later load_state_dict changed nothing. A parameter replaced by a new object was
    # never read again.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 5)).astype(np.float32)

    def model(seed):
        m = nn.Sequential(nn.Linear(5, 8, rng=seed), nn.BatchNorm1d(8), nn.ReLU(),
                          nn.Linear(8, 3, rng=seed + 1))
        m.train()
        m(x)
        m(x * 2)  # running statistics of its own
        return m.eval()

    m, other = model(0), model(5)

    def infer(x):
        with cr.no_grad():
            return cr.softmax(m(x), axis=1)

    compiled = cr.compile(infer)
    compiled(x)
    m.load_state_dict(other.state_dict())
    np.testing.assert_array_equal(compiled(x).data, infer(x).data)
    m[0].weight = nn.Parameter(cr.tensor(np.ones((8, 5), np.float32)))
    np.testing.assert_array_equal(compiled(x).data, infer(x).data)
    assert len(compiled.programs[next(iter(compiled.programs))]) == 2  # captured again


# ------------------------------------ elementwise calls: typed constants, dead buffers
def _chain_step(compiled):
    w = cr.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4), requires_grad=True)
    opt = optim.SGD([w], lr=0.1)

    def step(x):
        opt.zero_grad()
        y = w + x
        for _ in range(3):
            y = cr.sin(cr.tanh(y) * 1.5 + 0.25)
        y = cr.maximum(y, 0.1) - cr.exp(-y)  # (maximum's derivative is called as it is)
        loss = cnp.sum(y * y)
        loss.backward()
        opt.step()
        return y

    step = cr.compile(step) if compiled else step
    xs = [np.random.default_rng(k).standard_normal((3, 4)).astype(np.float32) for k in range(4)]
    return [step(x).data.copy() for x in xs] + [w.data.copy()], step


def test_elementwise_calls_write_into_dead_buffers_with_typed_constants():
    eager, _ = _chain_step(False)
    replayed, step = _chain_step(True)
    for a, b in zip(replayed, eager):
        assert a.dtype == np.float32
        # the three `* 1.5` of each backward pass are one multiplication by 3.375 (see
        # test_numbers_multiplying_a_cotangent_are_multiplied_once): a few float32
        # roundings apart after four SGD steps (measured: 4 ulp on one entry)
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    (program,) = next(iter(step.programs.values()))
    src = program.source
    # tanh writes into its argument's buffer (sin's is kept: cos of it is its derivative);
    # so do the derivatives' calls
    assert re.search(r"= u_tanh\((\w+), \1\)", src)
    assert not re.search(r"= u_sin\((\w+), \1\)", src)
    assert re.search(r"= u_subtract\((\w+), (\w+), \2\)", src)  # 1 - y*y
    assert re.search(r"= u_multiply\((\w+), (\w+), \1\)", src)  # the cotangent times it
    # y*y is written as np.square(y) (the same product, one argument less to dispatch)
    assert re.search(r"= u_square\((\w+), \1\)", src) and "u_multiply(v3, v3" not in src
    # 1.5 and 0.25 are float32 constants the program reads, not Python numbers in its text
    assert "1.5" not in src and "0.25" not in src
    # maximum's derivative uses np.where, not a ufunc: it is called as it is
    assert re.search(r"= \w+ \* d\d+\(v\d+, v\d+, 0\.1\)", src)


def test_a_buffer_another_name_can_see_is_never_written_into():
    # y is read through a view (reshape) after exp(y): exp must not write into y's buffer.
    w = cr.tensor(np.linspace(0.1, 1, 6).reshape(2, 3), requires_grad=True)

    def f(x):
        w.grad = None
        y = w * x
        v = cr.reshape(y, (-1,))
        z = cr.exp(y)
        loss = cnp.sum(v * cr.reshape(z, (-1,)))
        loss.backward()
        return loss

    compiled = cr.compile(f)
    for k in range(3):
        x = np.full((2, 3), 1.0 + k)
        expected, g = f(x).item(), w.grad.data.copy()
        assert compiled(x).item() == expected
        np.testing.assert_array_equal(w.grad.data, g)


def test_small_internal_results_go_to_the_programs_own_buffers_and_never_escape():
    w = cr.tensor(np.linspace(-1, 1, 8), requires_grad=True)

    def f(x):
        w.grad = None
        a = cr.tanh(w * 1.5 + x)     # internal: into the program's own buffers
        b = cr.sin(a) * 2.0
        out = b + 1.0                # returned: must not live in a reused buffer
        cnp.sum(out * a).backward()  # the gradient is handed out as w.grad
        return out, a

    compiled = cr.compile(f)
    (program,) = (compiled(np.zeros(8)), next(iter(compiled.programs.values())))[1]
    assert program.buffers and re.search(r"= u_\w+\([^)]*\bb\d+\)", program.source)
    results, grads = [], []
    for k in range(4):
        x = np.full(8, 0.1 * k)
        expected, ea = f(x)
        g = w.grad.data.copy()
        out, a = compiled(x)
        np.testing.assert_array_equal(out.data, expected.data)
        np.testing.assert_array_equal(a.data, ea.data)
        np.testing.assert_array_equal(w.grad.data, g)
        results.append((out, out.data.copy(), a, a.data.copy()))
        grads.append((w.grad, g))
    # later calls wrote nothing into what earlier calls returned
    for out, values, a, a_values in results:
        np.testing.assert_array_equal(out.data, values)
        np.testing.assert_array_equal(a.data, a_values)
    for grad, values in grads:
        np.testing.assert_array_equal(grad.data, values)


def test_results_whose_length_depends_on_the_data_never_go_to_buffers_sized_at_capture():
    def f(x):
        x = cr.tensor(x)
        y = x[x > 0]  # as many as there are positive entries
        a = cr.cos(y)
        return cnp.sum(a * 2.0 + a * 3.0)

    compiled = cr.compile(f)
    for x in ([1.0, 2.0, 3.0, 4.0, -1.0], [1.0, -2.0, -3.0, -4.0, -1.0],
              [-1.0, 2.0, 3.0, 4.0, 5.0], [1.0, 2.0, 3.0, 4.0, -1.0]):
        x = np.array(x)
        assert compiled(x).item() == f(x).item()


def test_results_nested_in_containers_are_replayed_too():
    # (a tensor inside a list inside the result was the capture's, on every call)
    def f(x):
        x = cr.tensor(x)
        return x * 2.0, [x * 3.0], {"s": cnp.sum(x), "none": None}

    compiled = cr.compile(f)
    for k in range(3):
        x = np.full(2, float(k))
        a, (b,), d = compiled(x)
        assert a.data.tolist() == [2.0 * k] * 2 and b.data.tolist() == [3.0 * k] * 2
        assert d["s"].item() == 2.0 * k and d["none"] is None


def test_a_step_run_from_several_threads_at_once_gives_each_its_own_buffers():
    import threading

    def f(x):
        y = x
        for _ in range(40):
            y = cr.sin(y) * cr.cos(y) + 0.5
        return cnp.sum(y * y)

    compiled = cr.compile(f)
    inputs = [np.linspace(-1, 1, 64) * (k + 1) for k in range(6)]
    expected = [f(x).item() for x in inputs]
    compiled(inputs[0])
    assert next(iter(compiled.programs.values()))[0].buffers
    got = {}

    def run(k):
        for _ in range(30):
            got.setdefault(k, set()).add(compiled(inputs[k]).item())

    threads = [threading.Thread(target=run, args=(k,)) for k in range(6)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, in the middle of runs
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert all(got[k] == {expected[k]} for k in range(6))


def test_a_parameter_given_another_dtype_or_shape_makes_the_step_capture_again():
    w = cr.tensor(np.linspace(-1, 1, 4, dtype=np.float32), requires_grad=True)
    opt = optim.SGD([w], lr=0.1)

    def step(x):
        opt.zero_grad()
        loss = cnp.sum(cr.tanh(w * 0.1 + x) * 0.3)  # (not exact in float32)
        loss.backward()
        opt.step()
        return loss

    compiled = cr.compile(step)
    x = np.ones(4, np.float32)
    compiled(x)
    w.data = w.data.astype(np.float64)  # (as a model converted to float64 would)
    start = w.data.copy()
    eager = step(x).item()
    eager_w = w.data.copy()
    w.data = start.copy()
    assert compiled(x).item() == eager
    assert w.data.dtype == np.float64
    np.testing.assert_array_equal(w.data, eager_w)
    assert len(next(iter(compiled.programs.values()))) == 2


def test_numbers_multiplying_a_cotangent_are_multiplied_once():
    # A run of rules that multiply the cotangent by a Python number (y * 1.5, y / 4)
    # is written as one multiplication by their product, placed where something other
    # than a product reads the cotangent; the result is eager's within a rounding per
    # factor.
    def f(x):
        t = cr.tensor(x, requires_grad=True)
        y = t
        for _ in range(4):
            y = cr.tanh(y * 1.5) * 0.25
        (y + 0.5 * t).sum().backward()  # (the add reads the cotangent: it is written there)
        return t.grad

    x = np.random.default_rng(0).standard_normal(32)
    compiled = cr.compile(f)
    compiled(x)
    got, want = compiled(x).data, f(x).data
    assert np.all(np.abs(got - want) <= 8 * np.spacing(np.abs(want)))
    (program,) = next(iter(compiled.programs.values()))
    backward = program.source.split(".fill(1)")[1]
    multiplies_by_number = re.findall(r"= u_multiply\(\w+, c\d+", backward)
    # eager's backward makes nine (1.5 and 0.25 four times each, and 0.5): the program
    # makes the one for 0.5 and one for the product of the eight
    assert len(multiplies_by_number) == 2, program.source


def test_a_compiled_function_differentiated_or_mapped_from_outside_runs_as_written():
    # cr.grad(cr.compile(f)) gave a zero gradient (the replay computes values only, which
    # the outer transform saw as constants), and cr.vmap(cr.compile(f)) raised.
    f = cr.compile(lambda x: cnp.sum(cnp.sin(x) * 2))
    x = np.arange(3.0)
    np.testing.assert_allclose(cr.grad(f)(x), 2 * np.cos(x))
    g = cr.compile(lambda x: cnp.sin(x) * 2)
    xs = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(np.asarray(cr.vmap(g)(xs)), 2 * np.sin(xs))
    np.testing.assert_allclose(cr.jvp(g, (x,), (np.ones(3),))[1], 2 * np.cos(x))
    np.testing.assert_allclose(np.asarray(g(x).data), 2 * np.sin(x))  # and still compiled
    assert len(g.programs) == 1
