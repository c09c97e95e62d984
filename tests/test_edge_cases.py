"""Edge cases of the fast paths: fused cross-entropy, list operands, views, matmul, SGD.

The first group pins fixes (each docstring says what went wrong). The rest checks the
fused cross-entropy against a plain NumPy reference across edge cases, its fast
branches against its general ones, list operands, view links, the matmul VJPs, the SGD
loop and explain's argument types.
"""

from __future__ import annotations

import copy
import importlib
import io
import pickle
import threading
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.primitives import losses as fused_losses

explain_mod = importlib.import_module("chainrule.explain")

pytestmark = [
    pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning"),
    pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning"),
    pytest.mark.filterwarnings("ignore:divide by zero encountered:RuntimeWarning"),
    pytest.mark.filterwarnings("ignore:underflow encountered:RuntimeWarning"),
]


# ------------------------------------------------------------------------------ fixes
def _second_order(f, x0):
    x = cr.tensor(x0, requires_grad=True)
    f(x).backward(create_graph=True)
    g = x.grad
    x.grad = None
    g.sum().backward()
    return np.asarray(x.grad.data)


@pytest.mark.parametrize("how", ["create_graph", "hessian", "jvp_of_grad"])
def test_list_exponent_works_beyond_first_order(how):
    """A list operand is an array for the rules of every order: backward with
    create_graph=True and forward mode read the node's arguments, not the forward's
    values, so the conversion must reach both (power's rule computes `p - 1`)."""
    x0 = np.array([1.5, 2.0])

    def with_list(x):
        return (x ** [2.0, 3.0]).sum()

    def with_array(x):
        return (x ** np.array([2.0, 3.0])).sum()

    if how == "create_graph":
        got, want = _second_order(with_list, x0), _second_order(with_array, x0)
    elif how == "hessian":
        got, want = cr.hessian(with_list)(x0), cr.hessian(with_array)(x0)
    else:
        got = cr.jvp(cr.grad(with_list), (x0,), (np.ones(2),))[1]
        want = cr.jvp(cr.grad(with_array), (x0,), (np.ones(2),))[1]
    np.testing.assert_allclose(got, want)


def test_tuple_operand_is_treated_like_a_list():
    """A tuple operand of an elementwise primitive is an array too: float32 stays
    float32 and `x ** (1, 2)` differentiates."""
    x = cr.tensor(np.array([1.5, 2.0], np.float32), requires_grad=True)
    assert (x + (1.0, 2.0)).dtype == np.float32
    (x ** (1, 2)).sum().backward()
    np.testing.assert_allclose(x.grad.data, [1.0, 4.0])


def test_inplace_write_through_detach_of_a_view_is_detected():
    """a[0].detach() shares a's buffer: a write through it is a write into `a`, so
    the detached alias keeps the view's link (without it, x.grad was silently wrong).
    (a.detach() and a.detach()[0] were detected before.)"""
    x = cr.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    a = x * 1.0
    y = (a * a).sum()
    with cr.no_grad():
        d = a[0].detach()
        d += 1
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_softmax_of_a_row_with_nan_is_nan():
    """A row with a NaN has a NaN softmax, as log_softmax and the fused cross-entropy
    give, not 'probabilities' above 1 (the row sum's NaN used to be replaced by 1)."""
    p = cr.softmax(cr.tensor(np.array([[np.nan, 0.0, 1.0], [0.0, 1.0, 2.0]])), axis=-1).data
    assert np.isnan(p[0]).all()


def test_float16_cross_entropy_far_target_is_finite():
    """In float16, r / e^{z_t} overflows once the target logit is about 11 below the
    max: the log1p form switches to log(s) - z_t closer to the max there, so a finite
    loss of 12-20 stays finite (it was inf; 12.000006 in float32)."""
    for gap in (12.0, 20.0):
        x = cr.tensor(np.array([[0.0, -gap]], np.float16), requires_grad=True)
        loss = cr.cross_entropy(x, np.array([1]))
        loss.backward()
        np.testing.assert_allclose(float(loss.data), gap, rtol=1e-2)
        np.testing.assert_allclose(x.grad.data.astype(float), [[1.0, -1.0]], atol=1e-3)


# ----------------------------------------------------- cross-entropy vs NumPy reference
def _reference(x, t, axis, smoothing, reduction):
    """Loss and gradient (seed 1) of cross-entropy, in float64 NumPy."""
    x = np.moveaxis(np.asarray(x, np.float64), axis, -1)
    k = x.shape[-1]
    m = x.max(-1, keepdims=True)
    logp = x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))
    onehot = np.eye(k)[t] if k else np.zeros(x.shape)
    target = (1 - smoothing) * onehot + smoothing / k
    loss = -(target * logp).sum(-1)
    grad = np.exp(logp) - target
    if reduction == "mean":
        n = loss.size
        loss = loss.mean() if n else np.nan
        grad = grad / max(n, 1)
    elif reduction == "sum":
        loss = loss.sum()
    return loss, np.moveaxis(grad, -1, axis)


_TOL = {np.float16: 2e-2, np.float32: 2e-5, np.float64: 1e-12}


def _layouts(x):
    yield "C", x
    yield "F", np.asfortranarray(x)
    if x.size:
        yield "strided", np.concatenate([x, x], -1)[..., ::2]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("n,k", [(0, 3), (1, 1), (3, 1), (3, 5), (16, 2), (40, 5), (20, 70)])
def test_cross_entropy_matches_numpy(dtype, n, k):
    rng = np.random.default_rng(n * 100 + k)
    # (float16 at a smaller scale: test_float16_cross_entropy_far_target_is_finite)
    x0 = (rng.standard_normal((n, k)) * (1 if dtype == np.float16 else 3)).astype(dtype)
    t = rng.integers(0, k, n)
    tol = _TOL[dtype]
    for _, x in _layouts(x0):
        for reduction in ("mean", "sum", "none"):
            for smoothing in (0.0, 0.1, 1.0):
                want, gwant = _reference(x, t, 1, smoothing, reduction)
                X = cr.tensor(x, requires_grad=True)
                loss = cr.cross_entropy(X, t, reduction=reduction, label_smoothing=smoothing)
                (loss.sum() if reduction == "none" else loss).backward()
                assert loss.dtype == dtype and X.grad.dtype == dtype
                np.testing.assert_allclose(loss.data, want, rtol=tol, atol=tol)
                np.testing.assert_allclose(X.grad.data, gwant, rtol=tol, atol=tol)


@pytest.mark.parametrize(
    "shape,axis", [((4, 3, 5), 1), ((4, 3, 5), -1), ((4, 3, 5), 0), ((8, 3, 7), 1), ((6, 20), 0)]
)
def test_cross_entropy_non_matrix_axes(shape, axis):
    rng = np.random.default_rng(7)
    x = rng.standard_normal(shape)
    t = rng.integers(0, shape[axis], np.delete(np.array(shape), axis % len(shape)))
    for reduction in ("mean", "sum", "none"):
        for smoothing in (0.0, 0.2):
            want, gwant = _reference(x, t, axis, smoothing, reduction)
            X = cr.tensor(x, requires_grad=True)
            loss = cr.cross_entropy(X, t, axis=axis, reduction=reduction, label_smoothing=smoothing)
            (loss.sum() if reduction == "none" else loss).backward()
            np.testing.assert_allclose(loss.data, want, rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(X.grad.data, gwant, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "dtype",
    [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64, np.intp],
)
def test_cross_entropy_target_dtypes_identical(dtype):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((20, 4))
    t = rng.integers(0, 4, 20)
    ref = cr.cross_entropy(cr.tensor(x), t, reduction="none").data
    got = cr.cross_entropy(cr.tensor(x), t.astype(dtype), reduction="none").data
    np.testing.assert_array_equal(got, ref)


def test_cross_entropy_fast_branches_are_bit_identical_to_general_ones():
    """The log1p-for-all branch (every target near) and the inline shift (finite maxima)
    give the same bits as the general branches, which a far target or a row of -inf
    forces for the whole batch."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((32, 6)) * 4
    t = rng.integers(0, 6, 32)
    far = x[:1].copy()
    far[0, t[0]] = far[0].max() - 60
    neginf = np.full((1, 6), -np.inf)
    for smoothing in (0.0, 0.1):
        base, pbase = fused_losses._softmax_nll_fwd(x, t, 1, smoothing)
        for extra in (far, neginf):
            loss, p = fused_losses._softmax_nll_fwd(
                np.concatenate([x, extra]), np.append(t, t[0]), 1, smoothing
            )
            np.testing.assert_array_equal(loss[:-1], base)
            np.testing.assert_array_equal(p[:-1], pbase)
        assert p.flags.c_contiguous and pbase.flags.c_contiguous


def test_cross_entropy_special_values():
    x = np.array(
        [
            [1.0, 2.0, 3.0],
            [-np.inf, -np.inf, -np.inf],
            [np.inf, 0.0, 1.0],
            [np.nan, 0.0, 1.0],
            [0.0, -np.inf, 1.0],
            [0.0, -1000.0, 1.0],
        ]
    )
    t = np.array([0, 1, 2, 1, 1, 1])
    X = cr.tensor(x, requires_grad=True)
    loss = cr.cross_entropy(X, t, reduction="none")
    loss.sum().backward()
    want0, g0 = _reference(x[:1], t[:1], 1, 0.0, "none")
    np.testing.assert_allclose(loss.data[0], want0[0], rtol=1e-15)
    np.testing.assert_allclose(X.grad.data[0], g0[0], rtol=1e-15)
    assert loss.data[1] == np.inf and loss.data[2] == np.inf and loss.data[4] == np.inf
    assert np.isnan(loss.data[3])
    np.testing.assert_array_equal(X.grad.data[1], [0.0, -1.0, 0.0])  # softmax 0 there
    assert not np.isnan(np.delete(X.grad.data, 3, 0)).any()
    # A target 1000 below the maximum: log(s) - z_t, exact.
    np.testing.assert_allclose(loss.data[5], 1001.0 + np.log1p(np.exp(-1.0)), rtol=1e-15)


def test_cross_entropy_empty_batch_and_single_class():
    for smoothing in (0.0, 0.3):
        for dtype in (np.float32, np.float64):
            X = cr.tensor(np.zeros((0, 3), dtype), requires_grad=True)
            mean = cr.cross_entropy(X, np.zeros(0, int), label_smoothing=smoothing)
            assert mean.dtype == dtype and np.isnan(mean.data)
            total = cr.cross_entropy(X, np.zeros(0, int), reduction="sum")
            assert total.data == 0 and total.dtype == dtype
            none = cr.cross_entropy(X, np.zeros(0, int), reduction="none")
            assert none.shape == (0,)
        X = cr.tensor(np.array([[5.0], [-3.0]]), requires_grad=True)
        loss = cr.cross_entropy(X, np.array([0, 0]), label_smoothing=smoothing)
        loss.backward()
        assert loss.data == 0.0
        np.testing.assert_allclose(X.grad.data, [[0.0], [0.0]], atol=1e-16)


def test_cross_entropy_ignore_index():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((20, 4))
    t = rng.integers(0, 4, 20)
    ti = t.copy()
    ti[[2, 7]] = -100
    keep = ti != -100
    X = cr.tensor(x, requires_grad=True)
    loss = cr.cross_entropy(X, ti, ignore_index=-100)
    loss.backward()
    want, gwant = _reference(x[keep], t[keep], 1, 0.0, "mean")
    np.testing.assert_allclose(loss.data, want, rtol=1e-13)
    np.testing.assert_allclose(X.grad.data[keep], gwant, rtol=1e-13, atol=1e-16)
    np.testing.assert_array_equal(X.grad.data[~keep], 0.0)
    # An ignore_index that no target uses takes the fused path: same as without it.
    np.testing.assert_array_equal(
        cr.cross_entropy(cr.tensor(x), t, ignore_index=-100).data,
        cr.cross_entropy(cr.tensor(x), t).data,
    )
    with pytest.raises(IndexError, match=r"0\.\.3; found \[7\]"):
        cr.cross_entropy(cr.tensor(x), np.where(t == 1, 7, t))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_second_order_matches_composed_form(reduction):
    """create_graph=True takes the saved=None rule; its Hessian-vector products match
    those of nll_loss(log_softmax(x)), an independent composition."""
    rng = np.random.default_rng(11)
    x0 = rng.standard_normal((6, 4))
    t = rng.integers(0, 4, 6)
    v = rng.standard_normal((6, 4))
    results = []
    for fused in (True, False):
        X = cr.tensor(x0, requires_grad=True)
        if fused:
            loss = cr.cross_entropy(X, t, reduction=reduction, label_smoothing=0.1)
        else:
            loss = cr.nll_loss(
                cr.log_softmax(X, axis=-1), t, reduction=reduction, label_smoothing=0.1
            )
        (loss.sum() if reduction == "none" else loss).backward(create_graph=True)
        g = X.grad
        X.grad = None
        (g * v).sum().backward()
        results.append((g.data, X.grad.data))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-10, atol=1e-14)


def test_columns_cache_is_private_read_only_and_thread_safe():
    rng = np.random.default_rng(0)
    cases = []
    for n in range(1, 90):
        x = rng.standard_normal((n, 5))
        t = rng.integers(0, 5, n)
        cases.append((x, t, _reference(x, t, 1, 0.0, "mean")))
    bad = []

    def work(seed):
        r = np.random.default_rng(seed)
        for _ in range(150):
            x, t, (want, gwant) = cases[r.integers(len(cases))]
            loss, saved = fused_losses._softmax_nll_fwd(x, t, 1, 0.0, "mean")
            g = fused_losses._softmax_nll_vjp(
                np.float64(1.0), loss, x, t, 1, 0.0, "mean", saved=saved
            )
            if not (np.isclose(loss, want) and np.allclose(g, gwant)):
                bad.append(len(t))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not bad
    for n in range(1, 90):  # the cached index arrays the threads used
        cols = fused_losses._columns(n)
        assert not cols.flags.writeable
        np.testing.assert_array_equal(cols, np.arange(n))
    x, t = cases[20][0], cases[20][1]
    X = cr.tensor(x, requires_grad=True)
    loss = cr.cross_entropy(X, t, reduction="none")
    loss.sum().backward()
    cols = fused_losses._columns(len(t))
    assert not np.shares_memory(loss.data, cols) and not np.shares_memory(X.grad.data, cols)


def test_softmax_input_warning_still_looks_at_the_producer():
    x = cr.tensor(np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]]), requires_grad=True)
    t = np.array([0, 2])
    with pytest.warns(UserWarning, match="came straight from softmax"):
        cr.cross_entropy(cr.softmax(x, axis=-1), t)
    with cr.no_grad(), pytest.warns(UserWarning, match="came straight from softmax"):
        cr.cross_entropy(cr.softmax(x, axis=-1), t)
    base = cr.tensor(x.data.copy())
    s = cr.softmax(base, axis=-1)
    base += 1  # the producer's input changed: no longer known to be softmax(base)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cr.cross_entropy(s, t)
        cr.cross_entropy(x, t)


# -------------------------------------------------------------------- list operands
def test_list_operands_of_elementwise_primitives():
    x = cr.tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    assert (x + [1.0, 2.0]).dtype == np.float32
    assert ([1.0, 2.0] - x).dtype == np.float32
    assert cr.maximum(x, [1.5, 1.5]).dtype == np.float32
    nested = cr.tensor(np.ones((2, 2), np.float32)) + [[1.0, 2.0], [3, 4]]
    assert nested.dtype == np.float32
    np.testing.assert_array_equal((x * [True, False]).data, [1.0, 0.0])
    (x ** [1, 2]).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 4.0])
    assert x.grad.dtype == np.float32
    ints = cr.tensor(np.array([1, 2]))
    assert (ints + [1, 2]).dtype == np.int64 and (ints + [0.5, 1.5]).dtype == np.float64
    with pytest.raises(ValueError, match="inhomogeneous"):
        x + [[1.0, 2.0], [3.0]]
    with pytest.raises(ValueError, match=r"^add: operands could not be broadcast"):
        x + []


def test_list_operands_of_other_primitives_are_untouched():
    m = cr.tensor(np.ones((2, 3), np.float32), requires_grad=True)
    assert cr.reshape(m, [3, 2]).shape == (3, 2)
    assert cr.transpose(m, [1, 0]).shape == (3, 2)
    assert cr.concatenate([m, m]).shape == (4, 3)
    assert cr.where([True, False], cr.tensor(np.ones(2, np.float32)), [5, 6]).dtype == np.float64


# --------------------------------------------------------------------------- views
@pytest.mark.parametrize(
    "view",
    [
        lambda a: a.reshape(6),
        lambda a: a.T,
        lambda a: a[0],
        lambda a: a[0:2].reshape(6)[1:].reshape(5, 1).T,
        lambda a: a.detach(),
        lambda a: a.detach()[0],
    ],
)
def test_inplace_write_through_views_is_detected_and_named(view):
    x = cr.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    a = x * 1.0
    y = (a * a).sum()
    with cr.no_grad():
        v = view(a)
        v += 1
    with pytest.raises(RuntimeError, match="an input of 'multiply'.*modified in place"):
        y.backward()


def test_a_write_into_a_reshape_that_copied_leaves_its_source_alone():
    # a.T.reshape(6) is a copy in NumPy: writing into it changes neither a nor its graph.
    x = cr.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    a = x * 1.0
    y = (a * a).sum()
    with cr.no_grad():
        v = a.T.reshape(6)
        v += 1
    assert v._view_of is None
    np.testing.assert_array_equal(a.data, np.arange(6.0).reshape(2, 3))
    y.backward()
    np.testing.assert_array_equal(x.grad.data, 2 * np.arange(6.0).reshape(2, 3))


def test_view_link_is_a_class_default_and_survives_copies():
    leaf = cr.tensor(np.arange(6.0))
    assert leaf._view_of is None and "_view_of" not in vars(leaf)
    v = leaf.reshape(2, 3)
    assert v._view_of is leaf
    assert copy.copy(v)._view_of is leaf
    for c in (copy.deepcopy(v), pickle.loads(pickle.dumps(v))):
        np.testing.assert_array_equal(c.data, v.data)
        assert c._view_of is not None
        with cr.no_grad():
            c += 1  # marks the copied base, never the original
    assert leaf._version == 0
    plain = pickle.loads(pickle.dumps(cr.tensor([1.0, 2.0])))
    assert plain._view_of is None


# ------------------------------------------------------------------ matmul, unbroadcast
@pytest.mark.parametrize(
    "sa,sb",
    [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)),
     ((0, 4), (4, 5))],
)
@pytest.mark.parametrize("da,db", [(np.float64, np.float64), (np.float32, np.float32),
                                   (np.float32, np.float64)])
@pytest.mark.parametrize("order", ["C", "F"])
def test_matmul_vjp_matches_numpy(sa, sb, da, db, order):
    rng = np.random.default_rng(1)
    a = np.asarray(rng.standard_normal(sa), da, order=order)
    b = np.asarray(rng.standard_normal(sb), db, order=order)
    A, B = cr.tensor(a, requires_grad=True), cr.tensor(b, requires_grad=True)
    y = A @ B
    w = rng.standard_normal(y.shape).astype(y.dtype)
    (y * w).sum().backward()
    a2 = a if a.ndim > 1 else a[None]
    b2 = b if b.ndim > 1 else b[:, None]
    w2 = w.reshape(np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2]) + (a2.shape[-2], b2.shape[-1]))
    ga = w2 @ np.swapaxes(b2, -1, -2).astype(y.dtype)
    gb = np.swapaxes(a2, -1, -2).astype(y.dtype) @ w2
    ga = ga.reshape((-1,) + a2.shape).sum(0) if ga.ndim > a2.ndim else ga
    gb = gb.reshape((-1,) + b2.shape).sum(0) if gb.ndim > b2.ndim else gb
    ga, gb = ga.reshape(a.shape), gb.reshape(b.shape)
    assert A.grad.dtype == da and B.grad.dtype == db
    tol = 1e-5 if np.float32 in (da, db) else 1e-12
    np.testing.assert_allclose(A.grad.data, ga, rtol=tol, atol=tol)
    np.testing.assert_allclose(B.grad.data, gb, rtol=tol, atol=tol)


def test_bias_gradients_sum_over_leading_axes():
    rng = np.random.default_rng(4)
    for dtype in (np.float16, np.float32, np.float64):
        b = cr.tensor(rng.standard_normal(4).astype(dtype), requires_grad=True)
        x = rng.standard_normal((2, 8, 4)).astype(dtype)
        w = rng.standard_normal((2, 8, 4)).astype(dtype)
        ((cr.tensor(x) + b) * w).sum().backward()
        assert b.grad.dtype == dtype
        np.testing.assert_array_equal(b.grad.data, np.add.reduce(w, axis=(0, 1)))


# ----------------------------------------------------------------------------- SGD
@pytest.mark.parametrize("pdt,gdt", [(np.float32, np.float32), (np.float16, np.float32),
                                     (np.float64, np.float32), (np.float32, np.float64)])
def test_sgd_plain_loop(pdt, gdt):
    rng = np.random.default_rng(6)
    p = cr.tensor(rng.standard_normal((3, 2)).astype(pdt), requires_grad=True)
    z = cr.tensor(np.ones((), pdt), requires_grad=True)
    q = cr.tensor(np.ones(2, pdt), requires_grad=True)
    opt = cr.optim.SGD([p, z, q], lr=0.1)
    for _ in range(3):
        g = rng.standard_normal((3, 2)).astype(gdt)
        want = p.data - (g * 0.1).astype(pdt)  # the product in p's dtype, as before
        zwant = z.data - np.asarray(np.asarray(2.0, gdt) * 0.1).astype(pdt)
        p.grad, z.grad, q.grad = cr.tensor(g), cr.tensor(np.asarray(2.0, gdt)), None
        before = p._version
        opt.step()
        np.testing.assert_array_equal(p.data, want)
        np.testing.assert_array_equal(z.data, zwant)
        assert p.data.dtype == pdt and p._version == before + 1
    np.testing.assert_array_equal(q.data, [1.0, 1.0])


# ------------------------------------------------------------------------- explain
def test_explain_accepts_primitives_and_tensors():
    x = cr.tensor([0.5, 1.0], requires_grad=True)
    buf = io.StringIO()
    assert cr.explain(cr.tanh, file=buf) == cr.explain("tanh", file=io.StringIO())
    assert cr.explain(cr.tanh(x), file=buf) is not None
    assert cr.explain(cr.equal, file=buf) is None
    assert explain_mod.explanation(cr.exp(x)) is explain_mod.explanation("exp")
    assert explain_mod.finite_difference_check(cr.exp).max_error < 1e-6
    with pytest.raises(TypeError, match="not made by a recorded operation"):
        cr.explain(x, file=buf)
    for other in (3, None, b"tanh", cr.cross_entropy):
        with pytest.raises(TypeError, match=f"got {type(other).__name__}"):
            cr.explain(other, file=buf)
    with pytest.raises(KeyError, match="did you mean"):
        cr.explain("tanhh", file=buf)


def test_a_list_of_tensors_as_an_operand_is_the_array_they_make():
    # NumPy's array_like: x * [y, y] is x * array([y, y]); y gets the gradient of both.
    x = cr.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = cr.tensor(3.0, requires_grad=True)
    (x * [y, y]).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 3.0])
    np.testing.assert_allclose(y.grad.data, 3.0)
    # Forward mode agrees: the tangent of x + [x, x] along 1 is 2 in each element.
    _, tangent = cr.jvp(lambda v: v + [v, v], (1.0,), (1.0,))
    np.testing.assert_allclose(tangent, [2.0, 2.0])
    # A list of tensors given where NumPy takes array_like, in every primitive.
    assert cr.grad(lambda v: cr.sum(cr.exp([v, 2 * v])))(0.5) == np.exp(0.5) + 2 * np.exp(1.0)
    # Tensors that need no gradient are just numbers there.
    c = cr.tensor(3.0)
    np.testing.assert_allclose((x * [c, c]).data, [3.0, 6.0])
    with pytest.raises(ValueError, match="different shapes"):
        x * [y, x]
