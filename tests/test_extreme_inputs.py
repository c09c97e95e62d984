"""Values and gradients at extreme inputs against mpmath at 50 significant digits.

Inputs: logit gaps of 10, 100, 1e3 and 1e4, ties, -inf masks (some and all of a row),
+-inf for the elementwise functions, probabilities down to 1e-30, in float32 and
float64. Every result must be finite wherever the exact one is, and within the bound
stated per operation, in ulps (units in the last place of the exact value rounded to
the dtype; an exact value that underflows has a subnormal ulp). The bounds follow
from the algorithms:

- sigmoid, softplus, log_sigmoid, tanh: 4 ulps (a few roundings around one exp/log1p).
- their derivatives: sigmoid' = sigmoid(x) sigmoid(-x) and softplus' = sigmoid, 8 ulps;
  tanh' = 1 - tanh^2 is formed from the rounded tanh, so 4 ulps *of 1* (absolute).
- softmax: 4 + n + |x_i - max x| ulps. x_i - max x is rounded once, which exp turns
  into a relative error of |x_i - max x| u (the condition number of exp); the row sum
  of n terms adds n. Where the shift is exact (integer logits here) that is 4 + n.
- log_softmax: 4 + n ulps: z_i - log1p(rest) subtracts a non-negative from a
  non-positive number, so nothing cancels, and log1p keeps the top class's tiny value.
- logsumexp: 4 + n ulps of |max x| + log(sum): max + log1p(rest) can cancel when max < 0,
  and then only absolute accuracy relative to those terms is possible.
- cross-entropy gradients (softmax - t): each entry within the softmax bound of itself
  plus 2 ulps of sum(t) (absolute), for the cancellation in p_t - t where p_t ~ t.
- binary cross-entropy with logits: value 8 ulps (a sum of two non-negative softplus
  terms); gradient t sigmoid(-x) - (1 - t) sigmoid(x) within 8 ulps of each term.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

import chainrule as cr

mp.mp.dps = 50

DTYPES = (np.float32, np.float64)
GAPS = (10.0, 100.0, 1e3, 1e4)
INF = float("inf")
RAISE = dict(over="raise", invalid="raise", divide="raise", under="ignore")


# ------------------------------------------------------------------ helpers
def mpf(v):
    return mp.mpf(float(v))  # exact: every float32/float64 is a binary fraction


def ulp(exact, dtype):
    """The spacing of the dtype at the exact value (a subnormal step near 0)."""
    with np.errstate(over="ignore"):
        r = np.abs(np.asarray(float(exact), dtype=dtype))
    return mp.mpf(float(np.spacing(r)))


def assert_ulps(got, exact, dtype, bound, what):
    """Each got[i] within bound[i] ulps of exact[i] (mpf); infinities must match."""
    got = np.asarray(got)
    assert got.dtype == dtype, f"{what}: dtype {got.dtype}"
    bound = np.broadcast_to(np.asarray(bound, dtype=float), got.shape)
    flat_exact = list(np.asarray(exact, dtype=object).ravel())
    for g, e, b, idx in zip(got.ravel(), flat_exact, bound.ravel(), np.ndindex(got.shape)):
        if mp.isinf(e):
            assert g == float(e), f"{what}{idx}: got {g}, exact {e}"
            continue
        assert np.isfinite(g), f"{what}{idx}: got {g}, exact {mp.nstr(e, 20)}"
        err = abs(mpf(g) - e) / ulp(e, dtype)
        assert err <= b, (
            f"{what}{idx}: got {g!r}, exact {mp.nstr(e, 20)}: {float(err):.3g} ulps > {b:.3g}"
        )


def exact_parts(row):
    """(m, L) with logsumexp(row) = m + L, m = max, L = log1p(sum of the rest) >= 0.

    Kept apart because 50 digits of m + L are not enough to subtract x_i from: at a gap
    of 100, log_softmax of the top class is -1.5e-43, digit 45 of logsumexp = 100.000...
    """
    finite = [mpf(v) for v in row if v != -INF]
    if not finite:
        return None
    m = max(finite)
    others = list(finite)
    others.remove(m)  # one top term, e^0 = 1, is log1p's 1
    return m, mp.log1p(mp.fsum(mp.exp(v - m) for v in others))


def exact_lse(row):
    parts = exact_parts(row)
    return mp.mpf("-inf") if parts is None else parts[0] + parts[1]


def exact_log_softmax(row):
    parts = exact_parts(row)
    if parts is None:
        return [mp.mpf("-inf")] * len(row)
    m, big_l = parts
    return [mp.mpf("-inf") if v == -INF else (mpf(v) - m) - big_l for v in row]


def exact_softmax(row):
    return [mp.exp(v) for v in exact_log_softmax(row)]


def softplus_mp(v):
    if v == INF:
        return mp.mpf("inf")
    if v == -INF:
        return mp.mpf(0)
    return mp.log1p(mp.exp(mpf(v)))


def sigmoid_mp(v):
    if v == INF:
        return mp.mpf(1)
    if v == -INF:
        return mp.mpf(0)
    return 1 / (1 + mp.exp(-mpf(v)))


def logit_rows(gap, dtype):
    """Rows of 5 logits at this gap: integers, fractions, ties, masks, an all -inf row."""
    g = float(gap)
    rows = [
        [0.0, -g, g, 1.0, -1.0],
        [0.3, -g + 0.7, g * 0.37, -1.1, 2.5],
        [g, g, 0.0, -g, g - 1.0],
        [-INF, g, 0.0, -INF, -g],
        [-INF, -g, -INF, 0.5, -INF],
        [-INF, -INF, -INF, -INF, -INF],
        [-g, -g - 69.0775527898, -g, -g - 3.0, -2 * g],  # p ~ 1e-30 in one class
    ]
    return np.array(rows, dtype=dtype)


def rows_cases():
    return [(gap, dtype) for gap in GAPS for dtype in DTYPES]


# ----------------------------------------------------------- softmax family
@pytest.mark.parametrize("gap, dtype", rows_cases())
def test_softmax_log_softmax_logsumexp(gap, dtype):
    x0 = logit_rows(gap, dtype)
    n = x0.shape[1]
    rng = np.random.default_rng(0)
    w = rng.standard_normal(x0.shape).astype(dtype)
    with np.errstate(**RAISE):
        x = cr.tensor(x0, requires_grad=True)
        p = cr.softmax(x)
        ls = cr.log_softmax(x)
        lse = cr.logsumexp(x, axis=1)
        (lse * w[:, 0]).sum().backward()
    for r, row in enumerate(x0):
        exact_p = exact_softmax(row)
        lse_r = exact_lse(row)
        finite = [v for v in row if v != -INF]
        m = max(finite) if finite else 0.0
        shift = np.array([0.0 if v == -INF else abs(float(mpf(v) - mpf(m))) for v in row])
        assert_ulps(p.data[r], exact_p, dtype, 4 + n + shift, f"softmax gap={gap} row{r}")
        exact_ls = exact_log_softmax(row)
        assert_ulps(ls.data[r], exact_ls, dtype, 4 + n, f"log_softmax gap={gap} row{r}")
        if mp.isinf(lse_r):
            assert lse.data[r] == -INF
            np.testing.assert_array_equal(x.grad.data[r], 0)
            continue
        # logsumexp: absolute, in ulps of |max| + log(sum).
        scale = abs(mpf(m)) + abs(lse_r - mpf(m))
        err = abs(mpf(lse.data[r]) - lse_r) / ulp(scale, dtype)
        assert err <= 4 + n, f"logsumexp gap={gap} row{r}: {float(err)} ulps"
        # d logsumexp / dx = softmax: the rounding of x - lse, |x_i| + |lse| in the bound.
        bound = 4 + n + np.abs(np.where(np.isinf(row), 0, row)) + float(abs(lse_r))
        exact_g = [mpf(w[r, 0]) * e for e in exact_p]
        assert_ulps(x.grad.data[r], exact_g, dtype, bound, f"logsumexp grad gap={gap} row{r}")


@pytest.mark.parametrize("gap, dtype", rows_cases())
def test_cross_entropy_with_class_indices(gap, dtype):
    x0 = logit_rows(gap, dtype)[[0, 1, 2, 3, 4, 6]]
    target = np.array([2, 4, 1, 1, 3, 1])  # row 6's target has probability ~1e-30
    n = x0.shape[1]
    with np.errstate(**RAISE):
        x = cr.tensor(x0, requires_grad=True)
        loss = cr.cross_entropy(x, target, reduction="none")
        loss.sum().backward()
    for r, row in enumerate(x0):
        exact_loss = -exact_log_softmax(row)[target[r]]
        # L - (x_t - m) adds two non-negative terms: relative accuracy, 5 + n ulps.
        assert_ulps(loss.data[r], [exact_loss], dtype, 5 + n, f"cross_entropy gap={gap} row{r}")
        m = max(v for v in row if v != -INF)
        exact_g = [pi - (1 if j == target[r] else 0) for j, pi in enumerate(exact_softmax(row))]
        shift = np.array([0.0 if v == -INF else abs(float(mpf(v) - mpf(m))) for v in row])
        got = x.grad.data[r]
        for j in range(n):
            tol = (4 + n + shift[j]) * ulp(exact_g[j], dtype) + 2 * ulp(1, dtype)
            assert abs(mpf(got[j]) - exact_g[j]) <= tol, (gap, r, j, got[j], exact_g[j])


@pytest.mark.parametrize("gap, dtype", rows_cases())
def test_cross_entropy_with_soft_targets_and_tiny_probabilities(gap, dtype):
    x0 = logit_rows(gap, dtype)
    n = x0.shape[1]
    t0 = np.array(
        [
            [0.5, 0.0, 0.5, 0.0, 0.0],
            [1e-30, 0.25, 0.75 - 1e-30, 0.0, 0.0],
            [0.2, 0.2, 0.2, 0.2, 0.2],
            [0.0, 1.0, 0.0, 0.0, 0.0],  # masked classes have target 0: 0 log 0 = 0
            [0.0, 0.5, 0.0, 0.5, 0.0],
            [0.0, 0.0, 0.0, 0.0, 0.0],  # all masked, nothing expected: loss 0
            [0.5, 0.5, 0.0, 0.0, 0.0],  # half the mass on a class of probability 1e-30
        ],
        dtype,
    )
    with np.errstate(**RAISE):
        x = cr.tensor(x0, requires_grad=True)
        loss = cr.cross_entropy(x, t0, reduction="none")
        loss.sum().backward()
    for r, row in enumerate(x0):
        ls_r = exact_log_softmax(row)
        terms = [-mpf(t) * v for t, v in zip(t0[r], ls_r) if t != 0]
        exact_loss = mp.fsum(terms) if terms else mp.mpf(0)
        # A sum of non-negative terms t_j (-log_softmax_j), each within 4 + n ulps, plus
        # a rounding per product and per addition: relative accuracy, 6 + 2n ulps.
        assert_ulps(loss.data[r], [exact_loss], dtype, 6 + 2 * n, f"soft ce gap={gap} row{r}")
        finite = [v for v in row if v != -INF]
        m = max(finite) if finite else 0.0
        exact_g = [pi * mpf(t0[r].sum()) - mpf(t) for pi, t in zip(exact_softmax(row), t0[r])]
        shift = np.array([0.0 if v == -INF else abs(float(mpf(v) - mpf(m))) for v in row])
        gr = x.grad.data[r]
        assert np.isfinite(gr).all()
        for j in range(n):
            tol = (4 + n + shift[j]) * ulp(exact_g[j], dtype) + 2 * ulp(1, dtype)
            assert abs(mpf(gr[j]) - exact_g[j]) <= tol, (gap, r, j, gr[j], exact_g[j])


@pytest.mark.parametrize("dtype", DTYPES)
def test_nll_loss_on_log_probabilities_down_to_1e_30(dtype):
    p0 = np.array([[1e-30, 1 - 1e-30], [0.5, 0.5], [1e-30, 1e-30]], dtype)
    with np.errstate(**RAISE):
        logp = cr.tensor(np.log(p0), requires_grad=True)
        loss = cr.nll_loss(logp, np.array([0, 1, 1]), reduction="none")
        loss.sum().backward()
    exact = [-mp.log(mpf(p0[0, 0])), -mp.log(mpf(p0[1, 1])), -mp.log(mpf(p0[2, 1]))]
    # np.log rounds once (1 ulp of its own) before the loss negates it exactly.
    assert_ulps(loss.data, exact, dtype, 2, "nll_loss")
    np.testing.assert_array_equal(logp.grad.data, [[-1, 0], [0, -1], [0, -1]])


# ------------------------------------------------------- elementwise functions
POINTS = [-INF, -1e4, -1e3, -100.0, -40.0, -17.0, -1.0, -1e-30, 0.0, 1e-30, 1.0, 17.0, 40.0,
          100.0, 1e3, 1e4, INF]


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_softplus_log_sigmoid(dtype):
    x0 = np.array(POINTS, dtype)
    pts = list(x0)
    with np.errstate(**RAISE):
        for name, f, ref, dref in (
            ("sigmoid", cr.sigmoid, sigmoid_mp, lambda v: sigmoid_mp(v) * sigmoid_mp(-v)),
            ("softplus", cr.softplus, softplus_mp, sigmoid_mp),
            ("log_sigmoid", cr.log_sigmoid, lambda v: -softplus_mp(-v), lambda v: sigmoid_mp(-v)),
        ):
            x = cr.tensor(x0, requires_grad=True)
            y = f(x)
            y.sum().backward()
            assert_ulps(y.data, [ref(v) for v in pts], dtype, 4, name)
            assert_ulps(x.grad.data, [dref(v) for v in pts], dtype, 8, f"{name}'")


@pytest.mark.parametrize("dtype", DTYPES)
def test_tanh_and_its_derivative(dtype):
    x0 = np.array(POINTS, dtype)
    with np.errstate(**RAISE):
        x = cr.tensor(x0, requires_grad=True)
        y = cr.tanh(x)
        y.sum().backward()
    exact = [mp.mpf(float(np.sign(v))) if np.isinf(v) else mp.tanh(mpf(v)) for v in x0]
    assert_ulps(y.data, exact, dtype, 4, "tanh")
    # 1 - y^2 from the rounded y: absolute error within 4 ulps of 1.
    d_exact = [mp.mpf(0) if np.isinf(v) else mp.sech(mpf(v)) ** 2 for v in x0]
    for g, e in zip(x.grad.data, d_exact):
        assert np.isfinite(g) and abs(mpf(g) - e) <= 4 * ulp(1, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_cross_entropy_with_logits(dtype):
    xs = [v for v in POINTS if np.isfinite(v)]
    ts = [0.0, 1.0, 0.5, 1e-30, 1 - 2.0**-20]
    x0 = np.array([[v] * len(ts) for v in xs], dtype)
    t0 = np.array([ts] * len(xs), dtype)
    with np.errstate(**RAISE):
        x = cr.tensor(x0, requires_grad=True)
        loss = cr.binary_cross_entropy_with_logits(x, t0, reduction="none")
        loss.sum().backward()
    for idx in np.ndindex(x0.shape):
        v, t = x0[idx], mpf(t0[idx])
        pos, neg = t * softplus_mp(-v), (1 - t) * softplus_mp(v)
        exact = pos + neg
        assert_ulps(loss.data[idx], [exact], dtype, 8, f"bce{idx}")
        dpos, dneg = -t * sigmoid_mp(-v), (1 - t) * sigmoid_mp(v)
        tol = 8 * (ulp(dpos, dtype) + ulp(dneg, dtype)) + 2 * ulp(dpos + dneg, dtype)
        assert abs(mpf(x.grad.data[idx]) - (dpos + dneg)) <= tol, (idx, x.grad.data[idx])


def test_tanh_gradient_keeps_its_relative_accuracy_on_saturated_units():
    # g * (1 - y*y) from the rounded float32 y: the subtraction is exact near 1, so the
    # result stays within ~1e-4 of g * (1 - y^2) even where 1 - y^2 is ~1e-7 (|x| ~ 8);
    # rounding g*y first (g - g*y*y) would lose up to all of it there.
    rng = np.random.default_rng(5)
    x0 = (rng.uniform(3, 9, 2000) * rng.choice([-1, 1], 2000)).astype(np.float32)
    g0 = rng.uniform(0.5, 2, 2000).astype(np.float32)
    x = cr.tensor(x0, requires_grad=True)
    cr.tanh(x).backward(g0)
    y = np.tanh(x0)
    with mp.workdps(40):
        for g, yv, got in zip(g0, y, x.grad.data):
            exact = mpf(float(g)) * (1 - mpf(float(yv)) ** 2)
            if exact:
                assert abs(mpf(float(got)) - exact) <= 2e-4 * exact, (g, yv, got)
