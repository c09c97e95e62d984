"""Rewrites of unstable compositions, strong zeros under where(), masked softmax rows.

Tolerances: a rewritten value must equal the textbook NumPy evaluation, wherever that
is finite, within ``4 eps (1 + |value|)`` (eps of the dtype). The absolute part is the
error of the textbook evaluation itself: log(p) of a p with relative error eps has
absolute error eps, so the two can only agree that far (log(1 - sigmoid(x)) is the one
exception, stated at its test).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import rules
from chainrule.backward import backward
from chainrule.gradcheck import gradcheck

DTYPES = (np.float32, np.float64)
# A logit gap that overflows the textbook formula in each dtype (exp(gap) = inf).
GAPS = {np.float32: 100.0, np.float64: 1000.0}

# Under np.errstate(**RAISE) every overflow, invalid operation and division by zero
# raises. Underflow is left alone: exp(-1e4) = 0 is the correctly rounded result.
RAISE = dict(over="raise", invalid="raise", divide="raise", under="ignore")


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_sigmoid(x):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


def close(a, b, dtype, k=4.0):
    eps = np.finfo(dtype).eps
    return np.all(np.abs(np.asarray(a, np.float64) - b) <= k * eps * (1 + np.abs(b)))


# --------------------------------------------------------------- the textbook loss
@pytest.mark.parametrize("dtype", DTYPES)
def test_textbook_cross_entropy_is_finite_at_a_huge_gap(dtype):
    gap = GAPS[dtype]
    x0 = np.array([[0.0, gap, -gap, 1.0], [gap, 0.0, 0.5, -gap]], dtype)
    t0 = np.array([[0.1, 0.2, 0.3, 0.4], [0.0, 1.0, 0.0, 0.0]], dtype)
    # The naive NumPy evaluation is not finite here.
    with np.errstate(all="ignore"):
        naive = -(t0 * np.log(np_softmax(x0))).sum()
    assert not np.isfinite(naive)

    x = cr.tensor(x0, requires_grad=True)
    with np.errstate(**RAISE):
        loss = -(cr.tensor(t0) * cr.log(cr.softmax(x))).sum()
        loss.backward()
    assert loss.dtype == dtype and x.grad.dtype == dtype
    assert np.isfinite(loss.item()) and np.all(np.isfinite(x.grad.data))

    # Equal to the stable formulation, value and gradient (seed 4c/4d: softmax * sum t - t).
    xs = cr.tensor(x0, requires_grad=True)
    stable = cr.cross_entropy(xs, t0, reduction="sum")
    stable.backward()
    assert close(loss.item(), stable.item(), dtype)
    expected = np_softmax(x0.astype(np.float64)) * t0.sum(-1, keepdims=True) - t0
    np.testing.assert_allclose(x.grad.data, expected, atol=4 * np.finfo(dtype).eps)
    np.testing.assert_allclose(x.grad.data, xs.grad.data, atol=4 * np.finfo(dtype).eps)


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_softmax_rewrite_is_recorded_and_matches_where_finite(dtype):
    rng = np.random.default_rng(0)
    x0 = (rng.standard_normal((5, 7)) * 3).astype(dtype)
    x = cr.tensor(x0, requires_grad=True)
    y = cr.log(cr.softmax(x, axis=0))
    assert y.grad_fn == "log_softmax"
    assert y.dtype == dtype
    assert close(y.data, np.log(np_softmax(x0, axis=0)), dtype)
    np.testing.assert_array_equal(y.data, cr.log_softmax(x, axis=0).data)


def test_rewrites_follow_gradients_to_second_order():
    rng = np.random.default_rng(1)
    x0 = rng.standard_normal((3, 4))
    t0 = rng.dirichlet(np.ones(4), size=3)
    gradcheck(lambda x: -(t0 * cr.log(cr.softmax(x))).sum(), x0, order=2)
    gradcheck(lambda x: cr.log(cr.sigmoid(x)), x0, order=2)
    gradcheck(lambda x: cr.log(1 - cr.sigmoid(x)), x0, order=2)
    gradcheck(lambda x: cr.log(cr.sum(cr.exp(x), axis=1)), x0, order=2)
    gradcheck(lambda x: cr.log(cr.exp(x).sum(axis=0, keepdims=True)), x0, order=2)


# ------------------------------------------------------------------ the sigmoids
@pytest.mark.parametrize("dtype", DTYPES)
def test_log_sigmoid_rewrite(dtype):
    x0 = np.array([-1e4, -1000, -40, -1, 0, 1, 40, 1000, 1e4], dtype)
    with np.errstate(divide="ignore"):
        naive = np.log(np_sigmoid(x0))
    assert not np.all(np.isfinite(naive))  # log(0) at the negative end
    x = cr.tensor(x0, requires_grad=True)
    with np.errstate(**RAISE):
        y = cr.log(cr.sigmoid(x))
        y.sum().backward()
    assert y.dtype == dtype
    # log sigma(x) = -softplus(-x): -x exactly for very negative x.
    np.testing.assert_array_equal(y.data[:2], x0[:2])
    finite = np.isfinite(naive)
    assert close(y.data[finite], naive[finite], dtype)
    # d/dx log sigma(x) = sigma(-x)
    np.testing.assert_allclose(x.grad.data, np_sigmoid(-x0.astype(np.float64)), rtol=4e-7)


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_one_minus_sigmoid_rewrite(dtype):
    x0 = np.array([-1e4, -40, -1, 0, 1, 10, 40, 1000, 1e4], dtype)
    with np.errstate(divide="ignore"):
        naive = np.log(1 - np_sigmoid(x0))
    assert not np.all(np.isfinite(naive))
    x = cr.tensor(x0, requires_grad=True)
    with np.errstate(**RAISE):
        y = cr.log(1 - cr.sigmoid(x))
        y.sum().backward()
    np.testing.assert_array_equal(y.data[-2:], -x0[-2:])  # -softplus(x) = -x for huge x
    # The textbook 1 - sigma(x) has absolute error eps, i.e. relative error
    # eps / (1 - sigma(x)): the two agree within that, the textbook's own error.
    finite = np.isfinite(naive)
    q = 1 - np_sigmoid(x0[finite].astype(np.float64))
    eps = np.finfo(dtype).eps
    assert np.all(np.abs(y.data[finite] - naive[finite]) <= 4 * eps * (1 + 1 / q))
    np.testing.assert_allclose(x.grad.data, -np_sigmoid(x0.astype(np.float64)), rtol=4e-7)


def test_one_minus_sigmoid_rewrite_needs_exactly_one():
    x = cr.tensor([0.5, 2.0], requires_grad=True)
    # 2 - sigmoid(x) is not the pattern: computed as written.
    y = cr.log(2 - cr.sigmoid(x))
    assert y.grad_fn == "log"
    np.testing.assert_allclose(y.data, np.log(2 - np_sigmoid(x.data)))
    # A broadcasting 1 of a larger shape would change the result's shape: left alone.
    y = cr.log(np.ones((3, 2)) - cr.sigmoid(x))
    assert y.shape == (3, 2) and y.grad_fn == "log"


# -------------------------------------------------------------------- logsumexp
@pytest.mark.parametrize("dtype", DTYPES)
def test_log_sum_exp_rewrite(dtype):
    gap = GAPS[dtype]
    x0 = np.array([[gap, gap - 1, 0.0], [-gap, -gap - 2, -gap]], dtype)
    x = cr.tensor(x0, requires_grad=True)
    with np.errstate(over="ignore"):  # exp(x) itself overflows, as written
        y = cr.log(cr.sum(cr.exp(x), axis=1))
    assert y.grad_fn == "logsumexp"
    assert np.all(np.isfinite(y.data))
    x64 = x0.astype(np.float64)
    m = x64.max(1)
    expected = m + np.log(np.exp(x64 - m[:, None]).sum(1))
    np.testing.assert_allclose(y.data, expected, rtol=2 * np.finfo(dtype).eps)
    with np.errstate(**RAISE):
        y.sum().backward()
    # The gradient exp(x - lse) inherits the rounding of x - lse: relative error up to
    # about |lse| eps (the condition number of exp at that argument), plus a few
    # subnormal steps where the weight underflows (e^-100 in float32).
    info = np.finfo(dtype)
    exact = np_softmax(x64, axis=1)
    bound = 2 * info.eps * (1 + np.abs(expected)[:, None]) * exact + 8 * info.smallest_subnormal
    assert np.all(np.abs(x.grad.data - exact) <= bound)


def test_log_sum_exp_rewrite_matches_where_finite():
    rng = np.random.default_rng(2)
    x0 = rng.standard_normal((4, 6)) * 5
    x = cr.tensor(x0, requires_grad=True)
    for axis, keepdims in ((None, False), (0, False), (1, True), ((0, 1), True)):
        y = cr.log(cr.sum(cr.exp(x), axis=axis, keepdims=keepdims))
        naive = np.log(np.sum(np.exp(x0), axis=axis, keepdims=keepdims))
        assert y.shape == naive.shape
        assert close(y.data, naive, np.float64, k=8)


# ---------------------------------------------------------- not recorded: provenance
def test_rewrites_apply_under_no_grad_and_to_constants():
    x0 = np.array([[0.0, 1000.0, -1000.0]])
    x = cr.tensor(x0, requires_grad=True)
    with cr.no_grad():
        a = cr.log(cr.softmax(x))
        b = cr.log(cr.sigmoid(x))
        c = cr.log(1 - cr.sigmoid(x))
    d = cr.log(cr.softmax(cr.tensor(x0)))  # a constant: nothing requires grad
    for v in (a, b, c, d):
        assert np.all(np.isfinite(v.data)) and not v.requires_grad
    np.testing.assert_array_equal(a.data, [[-1000.0, 0.0, -2000.0]])
    np.testing.assert_array_equal(d.data, a.data)
    with np.errstate(over="ignore"), cr.no_grad():
        e = cr.log(cr.sum(cr.exp(x)))
    assert e.item() == 1000.0


def test_no_rewrite_after_an_in_place_change():
    x = cr.tensor([[0.0, 1.0, 2.0]])
    p = cr.softmax(x)
    x += 5.0  # p no longer describes softmax(x): the log must read p itself
    y = cr.log(p)
    np.testing.assert_allclose(y.data, np.log(np_softmax(np.array([[0.0, 1.0, 2.0]]))))
    q = cr.softmax(x)
    q *= 0.5
    np.testing.assert_allclose(cr.log(q).data, np.log(q.data))


def test_no_rewrite_once_backward_freed_the_graph():
    x = cr.tensor([0.0, 1.0], requires_grad=True)
    p = cr.softmax(x)
    p.sum().backward()
    y = cr.log(p)  # the node is freed: computed as written, still correct here
    np.testing.assert_allclose(y.data, np.log(np_softmax(x.data)))


def test_unrelated_outputs_keep_no_provenance():
    x = cr.tensor([1.0, 2.0])
    assert (x * 2)._source is None
    assert cr.sum(x)._source is None  # a sum keeps it only over an exp
    assert (3 - cr.sigmoid(x))._source is None
    assert cr.sum(cr.exp(x))._source is not None


@settings(max_examples=40, deadline=None)
@given(
    scale=st.sampled_from([1.0, 10.0, 100.0, 1e3, 1e4]),
    seed=st.integers(0, 2**16),
    dtype=st.sampled_from(DTYPES),
)
def test_textbook_formula_equals_cross_entropy_at_any_scale(scale, seed, dtype):
    rng = np.random.default_rng(seed)
    x0 = (rng.standard_normal((3, 5)) * scale).astype(dtype)
    t0 = rng.dirichlet(np.ones(5), size=3).astype(dtype)
    x1 = cr.tensor(x0, requires_grad=True)
    x2 = cr.tensor(x0, requires_grad=True)
    with np.errstate(**RAISE):
        a = -(cr.tensor(t0) * cr.log(cr.softmax(x1))).sum()
        b = cr.cross_entropy(x2, t0, reduction="sum")
        a.backward()
        b.backward()
    assert np.isfinite(a.item())
    np.testing.assert_allclose(a.item(), b.item(), rtol=8 * np.finfo(dtype).eps)
    np.testing.assert_allclose(x1.grad.data, x2.grad.data, atol=8 * np.finfo(dtype).eps)


# ------------------------------------------------------------ losses on probabilities
def test_losses_on_softmax_outputs_warn_and_compute_as_written():
    x = cr.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    p = cr.softmax(x)
    with pytest.warns(UserWarning, match="nll_loss: its input came straight from softmax"):
        v = cr.nll_loss(p, np.array([2]))
    np.testing.assert_allclose(v.item(), -p.data[0, 2])
    with pytest.warns(UserWarning, match="cross_entropy: its input came straight from"):
        w = cr.cross_entropy(p, np.array([2]))
    np.testing.assert_allclose(w.item(), -np.log(np_softmax(p.data))[0, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cr.cross_entropy(x, np.array([2]))
        cr.nll_loss(cr.log_softmax(x), np.array([2]))


# ------------------------------------------------------------------ strong zeros
# Elementwise primitives whose derivative is infinite (or overflows) at some finite input;
# each declares strong_zero=True where it is defined.
STRONG_ZERO = (
    "sqrt", "cbrt", "log", "log2", "log10", "log1p", "power", "divide", "reciprocal", "exp",
    "exp2", "expm1", "sinh", "cosh", "tan", "arcsin", "arccos", "arctanh", "arccosh",
    "arctan2", "hypot",
)


def test_every_listed_primitive_is_marked_strong_zero():
    for name in STRONG_ZERO:
        assert rules.REGISTRY[name].strong_zero, name
    assert not rules.REGISTRY["multiply"].strong_zero


def grad_of(f, x0):
    x = cr.tensor(x0, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not even a warning from the backward pass
        f(x).sum().backward()
    return x.grad.data


def test_where_sqrt_at_zero_and_below():
    x0 = np.array([-1.0, 0.0, 4.0])
    with np.errstate(invalid="ignore"):  # sqrt(-1) in the forward is NumPy's NaN
        g = grad_of(lambda x: cr.where(x > 0, cr.sqrt(x), 0), x0)
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.25])


def test_where_log_at_zero_probability():
    p0 = np.array([0.0, 0.25, 1.0])
    mask = p0 > 0
    with np.errstate(divide="ignore"):
        g = grad_of(lambda p: cr.where(mask, cr.log(p), 0), p0)
    np.testing.assert_array_equal(g, [0.0, 4.0, 1.0])


@pytest.mark.parametrize(
    "f, x0, expected",
    [
        (lambda x: cr.where(x != 0, 1 / x, 0), [0.0, 2.0], [0.0, -0.25]),
        (lambda x: cr.where(x > 0, x**0.5, 0), [0.0, 4.0], [0.0, 0.25]),
        (lambda x: cr.where(x < 100, cr.exp(x), 0), [1000.0, 0.0], [0.0, 1.0]),
        (lambda x: cr.where(x > -1, cr.log1p(x), 0), [-1.0, 0.0], [0.0, 1.0]),
        (lambda x: cr.where(x > 0, cr.sqrt(x), 0) * 3 + 1, [0.0, 1.0], [0.0, 1.5]),
    ],
)
def test_untaken_branch_contributes_exactly_zero(f, x0, expected):
    with np.errstate(all="ignore"):
        g = grad_of(f, np.array(x0))
    np.testing.assert_array_equal(g, expected)


def test_strong_zero_holds_at_second_order():
    x = cr.tensor([0.0, 4.0], requires_grad=True)
    y = cr.where(x > 0, cr.sqrt(x), 0).sum()
    (g,) = backward(y, create_graph=True, inputs=[x])
    np.testing.assert_array_equal(g.data, [0.0, 0.25])
    (h,) = backward(g.sum(), inputs=[x])
    # d2/dx2 sqrt(x) = -x^(-3/2) / 4
    np.testing.assert_allclose(h.data, [0.0, -1 / 32])


def test_strong_zero_keeps_finite_rules_exact():
    rng = np.random.default_rng(3)
    x0 = rng.uniform(0.5, 2.0, (2, 3))
    gradcheck(lambda x: cr.sqrt(x) * cr.log(x) / (x + 1) + x**1.5, x0, order=2)


def test_a_genuinely_infinite_gradient_is_reported_not_hidden():
    x = cr.tensor([0.0, 1.0], requires_grad=True)
    with pytest.warns(RuntimeWarning, match="divide by zero"):  # NumPy's own warning
        cr.sqrt(x).sum().backward()
    assert np.isinf(x.grad.data[0]) and x.grad.data[1] == 0.5
    # With a zero cotangent elsewhere the strong-zero path runs; it says so itself.
    x = cr.tensor([0.0, 1.0, 4.0], requires_grad=True)
    with pytest.warns(RuntimeWarning, match="'sqrt': the gradient is infinite or NaN"):
        (cr.sqrt(x) * np.array([1.0, 0.0, 1.0])).sum().backward()
    assert np.isinf(x.grad.data[0]) and x.grad.data[1] == 0 and x.grad.data[2] == 0.25


# -------------------------------------------------------------------- masked rows
@pytest.mark.parametrize("dtype", DTYPES)
def test_masked_logits(dtype):
    inf = np.inf
    x0 = np.array([[0.0, -inf, 2.0, -inf], [-inf, -inf, -inf, -inf]], dtype)
    with np.errstate(**RAISE):
        x = cr.tensor(x0, requires_grad=True)
        p = cr.softmax(x)
        w = np.array([[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]], dtype)
        (p * w).sum().backward()
        assert p.data[0, 1] == 0 and p.data[0, 3] == 0
        np.testing.assert_array_equal(p.data[1], 0)  # nothing is possible in that row
        assert x.grad.data[0, 1] == 0 and x.grad.data[0, 3] == 0
        np.testing.assert_array_equal(x.grad.data[1], 0)

        x = cr.tensor(x0, requires_grad=True)
        lse = cr.logsumexp(x, axis=1)
        lse.sum().backward()
        assert lse.data[1] == -inf
        np.testing.assert_array_equal(x.grad.data[1], 0)
        assert x.grad.data[0, 1] == 0 and x.grad.data[0, 3] == 0

        ls = cr.log_softmax(x)
        assert np.all(ls.data[1] == -inf) and ls.data[0, 1] == -inf
        assert not np.isnan(ls.data).any()


@pytest.mark.parametrize("dtype", DTYPES)
def test_plus_inf_logits_share_the_mass(dtype):
    x0 = np.array([[np.inf, 0.0, -np.inf, np.inf], [1.0, np.inf, 2.0, -np.inf]], dtype)
    x = cr.tensor(x0, requires_grad=True)
    with np.errstate(**RAISE):
        p = cr.softmax(x)
        ls = cr.log_softmax(x)
        loss = cr.cross_entropy(x, np.array([0, 1]), reduction="none")
        (p * np.arange(4, dtype=dtype)).sum().backward()
    np.testing.assert_array_equal(p.data, [[0.5, 0, 0, 0.5], [0, 1, 0, 0]])
    np.testing.assert_allclose(ls.data[0, [0, 3]], -np.log(2), rtol=1e-6)
    assert np.all(ls.data[0, [1, 2]] == -np.inf) and ls.data[1, 1] == 0
    np.testing.assert_allclose(loss.data, [np.log(2), 0], rtol=1e-6)
    assert np.isfinite(x.grad.data).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_with_masks_and_soft_targets(dtype):
    inf = np.inf
    x0 = np.array([[1.0, -inf, 3.0], [-inf, -inf, -inf], [1e4, -inf, -1e4]], dtype)
    t0 = np.array([[0.5, 0.0, 0.5], [0.0, 0.0, 0.0], [0.0, 0.0, 1.0]], dtype)
    x = cr.tensor(x0, requires_grad=True)
    with np.errstate(**RAISE):
        loss = cr.cross_entropy(x, t0, reduction="none")
        loss.sum().backward()
    # 0 log 0 = 0: masked classes with target 0 cost nothing; the padding row costs 0.
    assert loss.data[1] == 0
    assert np.isfinite(loss.data).all()
    np.testing.assert_allclose(loss.data[2], 2e4, rtol=1e-6)
    g = x.grad.data
    assert np.isfinite(g).all()
    assert g[0, 1] == 0 and np.all(g[1] == 0) and g[2, 1] == 0
    # softmax * sum(t) - t on the first row
    np.testing.assert_allclose(g[0], [np_softmax(np.array([1.0, 3.0]))[0] - 0.5, 0, -0.5 +
                                      np_softmax(np.array([1.0, 3.0]))[1]], rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_with_class_indices_and_masks(dtype):
    x0 = np.array([[1.0, -np.inf, 3.0], [1e4, 0.0, -1e4]], dtype)
    x = cr.tensor(x0, requires_grad=True)
    with np.errstate(**RAISE):
        loss = cr.cross_entropy(x, np.array([2, 2]), reduction="sum")
        loss.backward()
    assert np.isfinite(loss.item())
    assert x.grad.data[0, 1] == 0 and np.isfinite(x.grad.data).all()
    # A target that is masked out, or in a row with nothing possible: the loss is
    # -log 0 = +inf (not NaN), the gradient stays finite.
    x0 = np.array([[1.0, -np.inf, 3.0], [-np.inf, -np.inf, -np.inf]], dtype)
    x = cr.tensor(x0, requires_grad=True)
    with np.errstate(**RAISE):
        loss = cr.cross_entropy(x, np.array([1, 0]), reduction="none")
        loss.sum().backward()
    np.testing.assert_array_equal(loss.data, [np.inf, np.inf])
    assert np.isfinite(x.grad.data).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_label_smoothing_with_zero_targets_at_huge_gaps(dtype):
    x0 = np.array([[1e4, 0.0, -1e4]], dtype)
    t0 = np.array([[0.0, 0.0, 1.0]], dtype)
    x = cr.tensor(x0, requires_grad=True)
    with np.errstate(**RAISE):
        loss = cr.cross_entropy(x, t0, label_smoothing=0.1)
        loss.backward()
    ts = t0 * 0.9 + 0.1 / 3
    ls = x0.astype(np.float64) - 1e4  # log_softmax; the other terms underflow
    np.testing.assert_allclose(loss.item(), -(ts * ls).sum(), rtol=1e-6)
    np.testing.assert_allclose(x.grad.data, np_softmax(x0.astype(np.float64)) - ts, atol=1e-6)


# --------------------------------------------------- saturating activations at 1e4
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "name, f",
    [
        ("tanh", cr.tanh),
        ("sigmoid", cr.sigmoid),
        ("softplus", cr.softplus),
        ("log_sigmoid", cr.log_sigmoid),
        ("softmax", lambda x: cr.softmax(cr.stack([x, -x], axis=1))),
        ("log_softmax", lambda x: cr.log_softmax(cr.stack([x, -x], axis=1))),
        ("bce_t0", lambda x: cr.binary_cross_entropy_with_logits(x, x.data * 0, "none")),
        ("bce_t1", lambda x: cr.binary_cross_entropy_with_logits(x, x.data * 0 + 1, "none")),
    ],
)
def test_saturating_functions_raise_no_floating_point_error(name, f, dtype):
    x0 = np.array([-1e4, -1e3, -100, -40, -1, 0, 1, 40, 100, 1e3, 1e4], dtype)
    x = cr.tensor(x0, requires_grad=True)
    with warnings.catch_warnings(), np.errstate(**RAISE):
        warnings.simplefilter("error")
        y = f(x)
        y.backward(np.ones(y.shape, dtype))
        (g2,) = backward(
            backward(f(x).sum(), create_graph=True, inputs=[x])[0].sum(), inputs=[x]
        )
    assert y.dtype == dtype and x.grad.dtype == dtype
    assert np.isfinite(y.data).all(), name
    assert np.isfinite(x.grad.data).all(), name
    assert np.isfinite(g2.data).all(), name


# ------------------------------------------------- rewrites never cut a gradient path
def test_log_of_a_leaf_made_by_softmax_is_not_rewritten_around_the_leaf():
    with cr.no_grad():
        q = cr.softmax(cr.tensor(np.zeros(3)))
    q.requires_grad_()
    ((cr.log(q) * np.ones(3)).sum() + (q * q).sum()).backward()
    np.testing.assert_allclose(q.grad.data, 1 / q.data + 2 * q.data)


def test_log_of_a_tensor_that_retains_its_grad_keeps_that_grad():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    p = cr.softmax(x)
    p.retain_grad()
    (-cr.log(p)[0]).backward()
    np.testing.assert_allclose(p.grad.data, [-1 / p.data[0], 0.0, 0.0])


def test_provenance_under_no_grad_does_not_keep_a_chain_alive():
    import gc
    import weakref

    with cr.no_grad():
        x0 = cr.tensor(np.ones(1000))
        alive = weakref.ref(x0)
        x = x0
        for _ in range(50):
            x = cr.sigmoid(x)
        del x0
        gc.collect()
        assert alive() is None
        # ... and the rewrites still see one and two levels back.
        z = cr.tensor(np.array([-800.0, 0.0, 800.0]))
        np.testing.assert_allclose(cr.log(cr.sigmoid(z)).data, [-800.0, -np.log(2), 0.0])
        np.testing.assert_allclose(cr.log(1 - cr.sigmoid(z)).data, [0.0, -np.log(2), -800.0])


def test_logaddexp_weights_stay_exact_for_huge_arguments():
    # d/dx log(e^x + e^y) = sigmoid(x - y): exp(x - ans) lost ans's rounding, a multiple
    # of |x| eps, and gave weights 1 and 1 for two equal arguments of 1e30.
    import chainrule.numpy as cnp

    x = np.array([1e30, -1e30, 800.0, 3.0])
    for f in (cnp.logaddexp, cnp.logaddexp2):
        grads = cr.grad(lambda a, b, f=f: cr.sum(f(a, b)), argnums=(0, 1))(x, x.copy())
        for g in grads:
            np.testing.assert_array_equal(g, 0.5)
    gx = cr.grad(lambda a: cr.sum(cnp.logaddexp(a, np.zeros(2))))(np.array([40.0, -40.0]))
    np.testing.assert_allclose(gx, [1 / (1 + np.exp(-40.0)), 1 / (1 + np.exp(40.0))],
                               rtol=1e-15)


def test_erfc_and_ndtr_at_the_largest_floats():
    from chainrule.scipy import special

    x = np.array([-1e308, -1e154, 1e308, -np.inf, np.inf])
    np.testing.assert_array_equal(special.erfc(x), [2.0, 2.0, 0.0, 2.0, 0.0])
    np.testing.assert_array_equal(special.ndtr(x), [0.0, 0.0, 1.0, 0.0, 1.0])


def test_logsumexp_and_hypot_derivatives_at_their_limits():
    # a row holding +inf: logsumexp's gradient is softmax's limit there (1 at the +inf,
    # shared between several), not exp(x); finite rows keep exp(x - y)
    x = np.array([[1.0, -0.5, np.inf, -0.7], [np.inf, 0.0, np.inf, 2.0], [0.0, 1.0, 2.0, 3.0]])
    got = cr.grad(lambda a: cr.numpy.sum(cr.logsumexp(a, axis=1)))(x)
    np.testing.assert_array_equal(got[:2], [[0, 0, 1, 0], [0.5, 0, 0.5, 0]])
    np.testing.assert_allclose(got[2], np.exp(x[2]) / np.exp(x[2]).sum())
    # hypot at the origin: the zero subgradient, as the norm takes there
    np.testing.assert_array_equal(
        cr.grad(lambda v: cr.numpy.hypot(v[0], v[1]))(np.zeros(2)), [0.0, 0.0])
    np.testing.assert_allclose(
        cr.grad(lambda v: cr.numpy.hypot(v[0], v[1]))(np.array([3.0, 4.0])), [0.6, 0.8])


def test_power_derivative_in_the_exponent_follows_the_real_function():
    # d(x**y)/dy = y log x: 0 at x = 0 (relu(x)**p), NaN for x < 0 (no real derivative),
    # as PyTorch, JAX and autograd give it
    x = np.array([-2.0, 0.0, 3.0])
    got = cr.grad(lambda y: cr.numpy.sum(x ** y))(np.array([2.0, 2.0, 2.0]))
    assert np.isnan(got[0]) and got[1] == 0.0
    np.testing.assert_allclose(got[2], 9 * np.log(3.0))


def test_review_edge_cases_of_limits_under_transforms():
    # hypot's second derivative at the origin is 0 (the norm's); logsumexp's gradient with
    # a +inf example works under cr.vmap (no value-dependent step in the trace)
    np.testing.assert_array_equal(
        cr.hessian(lambda v: cr.numpy.hypot(v[0], v[1]))(np.zeros(2)), np.zeros((2, 2)))
    x = np.array([[1.0, -0.5, np.inf, -0.7], [0.0, 1.0, 2.0, 3.0]])
    got = cr.vmap(cr.grad(lambda r: cr.logsumexp(r, axis=0)))(x)
    np.testing.assert_allclose(got, [[0, 0, 1, 0], np.exp(x[1]) / np.exp(x[1]).sum()])
