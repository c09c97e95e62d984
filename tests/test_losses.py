"""Losses: values against direct NumPy formulas, gradients against finite differences,
stability at extreme logits, and the errors for bad targets."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.backward import backward
from chainrule.gradcheck import gradcheck

BATCH, CLASSES = 5, 4


def np_log_softmax(x, axis=-1):
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def reduce(per_sample, reduction):
    return {"mean": per_sample.mean(), "sum": per_sample.sum(), "none": per_sample}[reduction]


@pytest.fixture
def rng():
    return np.random.default_rng(30)


@pytest.fixture
def logits(rng):
    return rng.standard_normal((BATCH, CLASSES)) * 2


@pytest.fixture
def labels():
    return np.array([0, 3, 1, 1, 2])


@pytest.fixture
def soft(rng):
    return rng.dirichlet(np.ones(CLASSES), size=BATCH)


REDUCTIONS = ["mean", "sum", "none"]


# ---------------------------------------------------------------- cross-entropy
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_class_indices(logits, labels, reduction):
    got = cr.cross_entropy(cr.tensor(logits), labels, reduction=reduction)
    per_sample = -np_log_softmax(logits)[np.arange(BATCH), labels]
    np.testing.assert_allclose(got.data, reduce(per_sample, reduction), rtol=1e-12)
    assert got.shape == np.shape(reduce(per_sample, reduction))
    assert gradcheck(lambda x: cr.cross_entropy(x, labels, reduction=reduction), logits, order=2)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_soft_targets(logits, soft, reduction):
    got = cr.cross_entropy(cr.tensor(logits), soft, reduction=reduction)
    per_sample = -(soft * np_log_softmax(logits)).sum(axis=1)
    np.testing.assert_allclose(got.data, reduce(per_sample, reduction), rtol=1e-12)
    assert gradcheck(lambda x: cr.cross_entropy(x, soft, reduction=reduction), logits, order=2)
    # The targets are differentiable too (e.g. distillation against a learned teacher).
    assert gradcheck(lambda t: cr.cross_entropy(cr.tensor(logits), t, reduction=reduction), soft)


def test_cross_entropy_indices_and_one_hot_targets_agree(logits, labels):
    xi = cr.tensor(logits, requires_grad=True)
    xs = cr.tensor(logits, requires_grad=True)
    li = cr.cross_entropy(xi, labels)
    ls = cr.cross_entropy(xs, np.eye(CLASSES)[labels])
    np.testing.assert_allclose(li.data, ls.data, rtol=1e-12)
    li.backward()
    ls.backward()
    np.testing.assert_allclose(xi.grad.data, xs.grad.data, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 1.0])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_label_smoothing(logits, labels, soft, smoothing, reduction):
    logp = np_log_softmax(logits)
    # Smoothing mixes the target with the uniform distribution over the classes.
    smoothed = (1 - smoothing) * np.eye(CLASSES)[labels] + smoothing / CLASSES
    got = cr.cross_entropy(
        cr.tensor(logits), labels, reduction=reduction, label_smoothing=smoothing
    )
    expected = reduce(-(smoothed * logp).sum(axis=1), reduction)
    np.testing.assert_allclose(got.data, expected, rtol=1e-12)
    smoothed_soft = (1 - smoothing) * soft + smoothing / CLASSES
    got = cr.cross_entropy(cr.tensor(logits), soft, reduction=reduction, label_smoothing=smoothing)
    expected = reduce(-(smoothed_soft * logp).sum(axis=1), reduction)
    np.testing.assert_allclose(got.data, expected, rtol=1e-12)
    f = lambda x: cr.cross_entropy(x, labels, reduction=reduction, label_smoothing=smoothing)
    assert gradcheck(f, logits, order=2)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_ignore_index(logits, reduction):
    labels = np.array([0, -100, 1, -100, 2])
    keep = labels != -100
    got = cr.cross_entropy(cr.tensor(logits), labels, reduction=reduction, ignore_index=-100)
    per_sample = np.zeros(BATCH)
    per_sample[keep] = -np_log_softmax(logits)[np.arange(BATCH)[keep], labels[keep]]
    # The mean is over the samples that count, not over the batch.
    expected = {
        "mean": per_sample.sum() / keep.sum(),
        "sum": per_sample.sum(),
        "none": per_sample,
    }[reduction]
    np.testing.assert_allclose(got.data, expected, rtol=1e-12)
    x = cr.tensor(logits, requires_grad=True)
    cr.cross_entropy(x, labels, reduction=reduction, ignore_index=-100).sum().backward()
    np.testing.assert_array_equal(x.grad.data[~keep], 0.0)
    f = lambda x: cr.cross_entropy(x, labels, reduction=reduction, ignore_index=-100)
    assert gradcheck(f, logits, order=2)


def test_cross_entropy_ignore_index_inside_the_class_range(logits):
    labels = np.array([0, 3, 1, 3, 2])
    got = cr.cross_entropy(cr.tensor(logits), labels, ignore_index=3)
    keep = labels != 3
    expected = -np_log_softmax(logits)[np.arange(BATCH)[keep], labels[keep]].mean()
    np.testing.assert_allclose(got.item(), expected, rtol=1e-12)


def test_cross_entropy_ignore_index_with_label_smoothing(logits):
    labels = np.array([0, -1, 1, 1, 2])
    keep = labels != -1
    got = cr.cross_entropy(cr.tensor(logits), labels, ignore_index=-1, label_smoothing=0.2)
    logp = np_log_softmax(logits)[keep]
    smoothed = 0.8 * np.eye(CLASSES)[labels[keep]] + 0.2 / CLASSES
    np.testing.assert_allclose(got.item(), -(smoothed * logp).sum(axis=1).mean(), rtol=1e-12)


def test_cross_entropy_over_a_class_axis_that_is_not_last(rng):
    x = rng.standard_normal((2, CLASSES, 3))
    labels = rng.integers(0, CLASSES, size=(2, 3))
    got = cr.cross_entropy(cr.tensor(x), labels, axis=1, reduction="none")
    logp = np_log_softmax(x, axis=1)
    expected = -np.take_along_axis(logp, labels[:, None, :], axis=1)[:, 0, :]
    np.testing.assert_allclose(got.data, expected, rtol=1e-12)
    assert gradcheck(lambda a: cr.cross_entropy(a, labels, axis=1), x, order=2)
    soft = rng.dirichlet(np.ones(CLASSES), size=(2, 3)).transpose(0, 2, 1)
    got = cr.cross_entropy(cr.tensor(x), soft, axis=1, reduction="none")
    np.testing.assert_allclose(got.data, -(soft * logp).sum(axis=1), rtol=1e-12)


def test_cross_entropy_targets_may_be_tensors(logits, labels, soft):
    a = cr.cross_entropy(cr.tensor(logits), cr.tensor(labels))
    b = cr.cross_entropy(cr.tensor(logits), labels)
    np.testing.assert_allclose(a.data, b.data, rtol=1e-15)
    a = cr.cross_entropy(cr.tensor(logits), cr.tensor(soft))
    b = cr.cross_entropy(cr.tensor(logits), soft)
    np.testing.assert_allclose(a.data, b.data, rtol=1e-15)


def test_cross_entropy_is_finite_for_extreme_logits():
    x = cr.tensor([[1000.0, -1000.0, 0.0], [-1e4, -1e4, -1e4]], requires_grad=True)
    loss = cr.cross_entropy(x, np.array([1, 2]), reduction="sum")
    np.testing.assert_allclose(loss.item(), 2000.0 + np.log(3), rtol=1e-12)
    loss.backward()
    np.testing.assert_allclose(x.grad.data, [[1.0, -1.0, 0.0], [1 / 3, 1 / 3, -2 / 3]], atol=1e-15)


def test_cross_entropy_keeps_float32(labels):
    x = cr.tensor(np.ones((BATCH, CLASSES), np.float32), requires_grad=True)
    for target in (labels, np.full((BATCH, CLASSES), 0.25)):
        loss = cr.cross_entropy(x, target, label_smoothing=0.1)
        assert loss.dtype == np.float32
        loss.backward()
        assert x.grad.dtype == np.float32
        x.grad = None


@pytest.mark.parametrize(
    "loss",
    [
        cr.cross_entropy,
        cr.nll_loss,
        cr.mse_loss,
        cr.binary_cross_entropy_with_logits,
        lambda x, t: cr.binary_cross_entropy_with_logits(x, t, pos_weight=[2.0, 1.0, 0.5]),
    ],
)
def test_losses_take_list_targets_and_keep_float32(loss):
    x = cr.tensor(np.full((2, 3), 0.5, np.float32), requires_grad=True)
    target = [[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]
    got = loss(x, target)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got.item(), loss(cr.tensor(x.data), np.array(target)).item())
    got.backward()
    assert x.grad.dtype == np.float32


# --------------------------------------------------------------------- NLL loss
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_with_indices_and_soft_targets(logits, labels, soft, reduction):
    logp = np_log_softmax(logits)
    got = cr.nll_loss(cr.tensor(logp), labels, reduction=reduction)
    np.testing.assert_allclose(
        got.data, reduce(-logp[np.arange(BATCH), labels], reduction), rtol=1e-12
    )
    got = cr.nll_loss(cr.tensor(logp), soft, reduction=reduction)
    np.testing.assert_allclose(got.data, reduce(-(soft * logp).sum(axis=1), reduction), rtol=1e-12)
    assert gradcheck(lambda z: cr.nll_loss(z, labels, reduction=reduction), logp, order=2)
    assert gradcheck(lambda z: cr.nll_loss(z, soft, reduction=reduction), logp, order=2)
    assert gradcheck(lambda z: cr.nll_loss(z, labels, ignore_index=1), logp, order=2)


def test_nll_loss_ignores_minus_infinity_where_the_target_is_zero():
    z = cr.tensor([[0.0, -np.inf, np.log(0.5)]], requires_grad=True)
    t = np.array([[0.5, 0.0, 0.5]])
    loss = cr.nll_loss(z, t)
    np.testing.assert_allclose(loss.item(), -0.5 * np.log(0.5))
    loss.backward()
    np.testing.assert_array_equal(z.grad.data, [[-0.5, 0.0, -0.5]])


# -------------------------------------------------------------------------- MSE
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss(rng, reduction):
    pred, target = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    got = cr.mse_loss(cr.tensor(pred), target, reduction=reduction)
    np.testing.assert_allclose(got.data, reduce((pred - target) ** 2, reduction), rtol=1e-12)
    assert gradcheck(lambda p: cr.mse_loss(p, target, reduction=reduction), pred, order=2)
    assert gradcheck(lambda p, t: cr.mse_loss(p, t, reduction=reduction), pred, target, order=2)
    x = cr.tensor(pred, requires_grad=True)
    cr.mse_loss(x, target).backward()
    np.testing.assert_allclose(x.grad.data, 2 * (pred - target) / pred.size, rtol=1e-12)


# ----------------------------------------------------- binary cross-entropy (logits)
def naive_bce(x, t, pos_weight=1.0):
    s = 1 / (1 + np.exp(-x))
    return -(pos_weight * t * np.log(s) + (1 - t) * np.log(1 - s))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_matches_the_naive_formula_where_it_is_finite(rng, reduction):
    x = rng.uniform(-8, 8, size=(4, 3))
    t = rng.uniform(0, 1, size=(4, 3))
    t[0] = [0.0, 1.0, 0.0]
    got = cr.binary_cross_entropy_with_logits(cr.tensor(x), t, reduction=reduction)
    np.testing.assert_allclose(got.data, reduce(naive_bce(x, t), reduction), rtol=1e-10)
    f = lambda a: cr.binary_cross_entropy_with_logits(a, t, reduction=reduction)
    assert gradcheck(f, x, order=2)
    xt = cr.tensor(x, requires_grad=True)
    cr.binary_cross_entropy_with_logits(xt, t, reduction="sum").backward()
    np.testing.assert_allclose(xt.grad.data, 1 / (1 + np.exp(-x)) - t, rtol=1e-10, atol=1e-15)


def test_bce_with_logits_pos_weight(rng):
    x = rng.uniform(-5, 5, size=(3, 2))
    t = rng.uniform(0, 1, size=(3, 2))
    w = np.array([2.0, 0.5])
    got = cr.binary_cross_entropy_with_logits(cr.tensor(x), t, reduction="none", pos_weight=w)
    np.testing.assert_allclose(got.data, naive_bce(x, t, w), rtol=1e-10)
    f = lambda a: cr.binary_cross_entropy_with_logits(a, t, pos_weight=w)
    assert gradcheck(f, x, order=2)


def test_bce_with_logits_is_stable_at_1000():
    x = cr.tensor([1000.0, -1000.0, 1000.0, -1000.0, 0.0], requires_grad=True)
    t = np.array([1.0, 0.0, 0.0, 1.0, 0.5])
    loss = cr.binary_cross_entropy_with_logits(x, t, reduction="none")
    np.testing.assert_allclose(loss.data, [0.0, 0.0, 1000.0, 1000.0, np.log(2)], atol=1e-300)
    loss.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 1.0, -1.0, 0.0])
    # A float32 logit of 1000 too.
    x32 = cr.tensor(np.array([1000.0, -1000.0], np.float32), requires_grad=True)
    loss = cr.binary_cross_entropy_with_logits(x32, np.array([0.0, 0.0]), reduction="sum")
    assert loss.dtype == np.float32
    np.testing.assert_allclose(loss.item(), 1000.0)
    loss.backward()
    np.testing.assert_array_equal(x32.grad.data, np.array([1.0, 0.0], np.float32))


# ----------------------------------------------------------------------- errors
def test_class_indices_of_the_wrong_shape_are_a_clear_error(logits):
    for loss in (cr.cross_entropy, cr.nll_loss):
        with pytest.raises(ValueError, match=r"targets must have shape \(5,\).*got \(4,\)"):
            loss(cr.tensor(logits), np.array([0, 1, 2, 3]))
        with pytest.raises(ValueError, match=r"shape \(5,\).*got \(5, 1\)"):
            loss(cr.tensor(logits), np.zeros((5, 1), dtype=int))


def test_soft_targets_of_the_wrong_shape_are_a_clear_error(logits):
    for loss in (cr.cross_entropy, cr.nll_loss):
        with pytest.raises(
            ValueError, match=r"soft targets must have the shape .*\(5, 4\).*\(5, 3\)"
        ):
            loss(cr.tensor(logits), np.full((5, 3), 1 / 3))
        # Float labels are read as probabilities; the message says how to pass indices.
        with pytest.raises(ValueError, match=r"integer targets are class indices of shape \(5,\)"):
            loss(cr.tensor(logits), np.array([0.0, 1.0, 2.0, 3.0, 0.0]))


@pytest.mark.parametrize("bad", [4, -1, 7])
def test_class_indices_out_of_range_are_a_clear_error(logits, bad):
    labels = np.array([0, 1, bad, 2, 3])
    for loss, kw in [
        (cr.cross_entropy, {}),
        (cr.cross_entropy, {"label_smoothing": 0.1}),
        (cr.cross_entropy, {"ignore_index": -100}),
        (cr.nll_loss, {}),
    ]:
        message = rf"indices must be in 0\.\.3( \(or ignore_index=-100\))?; found \[{bad}\]"
        with pytest.raises(IndexError, match=message):
            loss(cr.tensor(logits), labels, **kw)


def test_bad_reduction_or_smoothing_or_shapes_are_clear_errors(logits, labels):
    with pytest.raises(ValueError, match="cross_entropy: reduction must be one of"):
        cr.cross_entropy(cr.tensor(logits), labels, reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        cr.cross_entropy(cr.tensor(logits), labels, label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"mse_loss: pred shape \(5, 4\) and target shape"):
        cr.mse_loss(cr.tensor(logits), logits[:, :2])
    with pytest.raises(ValueError, match=r"binary_cross_entropy_with_logits: logits shape"):
        cr.binary_cross_entropy_with_logits(cr.tensor(logits), logits[0])
    with pytest.raises(ValueError, match="nll_loss: log_probs must have a class axis"):
        cr.nll_loss(cr.tensor(1.0), np.array(0))


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("shape, axis", [((40, 7), 1), ((40, 7), -1), ((3, 6, 20), 1),
                                         ((20, 3, 6), -1), ((6,), 0)])
def test_fused_cross_entropy_saved_softmax_gives_the_recomputed_gradient(shape, axis, smoothing):
    # First-order backward uses the softmax the forward kept; create_graph=True recomputes
    # it with differentiable operations. Both must give softmax(x) - t (times 1/batch).
    rng = np.random.default_rng(31)
    x0 = rng.standard_normal(shape) * 3
    ax = axis % len(shape)
    k = shape[ax]
    target = rng.integers(0, k, shape[:ax] + shape[ax + 1:])
    x1 = cr.tensor(x0, requires_grad=True)
    cr.cross_entropy(x1, target, axis=axis, label_smoothing=smoothing).backward()
    x2 = cr.tensor(x0, requires_grad=True)
    loss = cr.cross_entropy(x2, target, axis=axis, label_smoothing=smoothing)
    (g2,) = backward(loss, create_graph=True, inputs=[x2])
    t = np.eye(k)[target]
    t = np.moveaxis(t, -1, ax) * (1 - smoothing) + smoothing / k
    p = np.exp(np_log_softmax(x0, axis=ax))
    expected = (p - t) / max(target.size, 1)
    np.testing.assert_allclose(x1.grad.data, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(g2.data, expected, rtol=1e-12, atol=1e-15)
    values = -(t * np_log_softmax(x0, axis=ax)).sum(axis=ax).mean()
    np.testing.assert_allclose(loss.data, values, rtol=1e-12)


def test_fused_cross_entropy_with_masked_classes_and_an_impossible_target():
    # -inf logits are masks: a masked non-target class gets probability and gradient 0;
    # a masked target makes that sample's loss +inf.
    x0 = np.tile(np.array([[1.0, -np.inf, 0.5, 2.0]]), (20, 1))
    x = cr.tensor(x0, requires_grad=True)
    loss = cr.cross_entropy(x, np.zeros(20, dtype=int), reduction="none")
    assert np.isfinite(loss.data).all()
    loss.sum().backward()
    assert (x.grad.data[:, 1] == 0).all() and np.isfinite(x.grad.data).all()
    bad = cr.cross_entropy(cr.tensor(x0), np.ones(20, dtype=int), reduction="none")
    assert np.isposinf(bad.data).all()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_fused_cross_entropy_to_second_order_in_both_modes(reduction, smoothing):
    # The fused primitive carries the reduction itself: check its VJP (first order with
    # the saved softmax, second order recomputed) and its JVP against finite differences.
    rng = np.random.default_rng(32)
    x = rng.standard_normal((20, 5))
    target = rng.integers(0, 5, 20)
    gradcheck(lambda t: cr.cross_entropy(t, target, reduction=reduction,
                                         label_smoothing=smoothing), x, order=2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_batches_of_few_classes_agree_with_single_rows(dtype, smoothing):
    # Batches of >= 16 rows with <= 64 classes take a transposed layout; each sample's
    # loss and gradient must match the same sample computed alone (general layout),
    # at extreme gaps, ties and masked classes too.
    rng = np.random.default_rng(33)
    x0 = (rng.standard_normal((48, 6)) * rng.choice([1, 30, 1e3], (48, 1))).astype(dtype)
    x0[5] = 2.0
    x0[7, 1:] = -np.inf
    x0[9, 2] = -np.inf
    target = rng.integers(0, 6, 48)
    target[9] = 2  # an impossible target: loss +inf
    x = cr.tensor(x0, requires_grad=True)
    loss = cr.cross_entropy(x, target, reduction="none", label_smoothing=smoothing)
    with np.errstate(invalid="ignore"):
        loss.sum().backward()
    for r in range(48):
        xr = cr.tensor(x0[r:r + 1], requires_grad=True)
        lr = cr.cross_entropy(xr, target[r:r + 1], reduction="none", label_smoothing=smoothing)
        np.testing.assert_allclose(loss.data[r], lr.data[0], rtol=4 * np.finfo(dtype).eps)
        if np.isfinite(lr.data[0]):
            lr.sum().backward()
            np.testing.assert_allclose(x.grad.data[r], xr.grad.data[0],
                                       rtol=4 * np.finfo(dtype).eps, atol=1e-30)


def test_cross_entropy_of_an_empty_batch_is_nan_like_the_composition():
    x = cr.tensor(np.zeros((0, 10)), requires_grad=True)
    t = np.zeros(0, dtype=int)
    fused = cr.cross_entropy(x, t)
    with np.errstate(invalid="ignore"):  # the composition divides 0 by 0
        composed = cr.nll_loss(cr.log_softmax(x, axis=-1), t)
    assert np.isnan(fused.data) and np.isnan(composed.data)
    assert cr.cross_entropy(x, t, reduction="sum").data == 0
    fused.backward()
    assert x.grad.shape == (0, 10)


def test_an_empty_batch_is_nan_whether_or_not_an_ignore_index_is_given():
    x = cr.tensor(np.zeros((0, 10)))
    t = np.zeros(0, dtype=np.int64)
    assert np.isnan(cr.cross_entropy(x, t).data)
    assert np.isnan(cr.cross_entropy(x, t, ignore_index=-100).data)
