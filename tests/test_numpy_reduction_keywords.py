"""NumPy's reduction keywords on chainrule tensors: where=, initial=, correction=, mean=,
and take's mode='wrap'/'clip'.

Values, dtypes and shapes must be NumPy's own (over int, negative, None and tuple axes,
keepdims, broadcasting masks, all-False masks, float32 inputs); gradients must match
central finite differences of NumPy's function in float64 and be exactly zero at the
entries a mask leaves out; NumPy's errors are reproduced.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp

SHAPE = (2, 3, 4)
AXES = [None, 0, -1, 1, (0, 2), (-1, -3)]


def _data(dtype=np.float64, seed=0, shape=SHAPE):
    # Values far apart (no ties at a max), away from 0 (prod), of both signs.
    rng = np.random.default_rng(seed)
    x = rng.permutation(np.prod(shape)).reshape(shape) * 0.25 + 0.3
    return (x * rng.choice([-1.0, 1.0], size=shape)).astype(dtype)


def _masks():
    rng = np.random.default_rng(1)
    full = rng.random(SHAPE) > 0.4
    full[0, 0, 0] = False  # (some entry always left out: the zero-gradient checks)
    partial = np.array([True, False, True, True])  # broadcasts over the last axis
    column = np.array([[True], [False], [True]])  # (3, 1): over the middle axes
    empty_row = full.copy()
    empty_row[1] = False  # a slice with nothing selected along axes 1 and 2
    return {
        "full": full,
        "last-axis": partial,
        "column": column,
        "empty-slice": empty_row,
        "all-false": np.zeros(SHAPE, dtype=bool),
        "scalar-true": np.True_,
    }


MASKS = _masks()


def _numpy(name, a, kw):
    """NumPy's result, its RuntimeWarnings silenced (checked separately)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return getattr(np, name)(a, **kw)


def _ours(name, a, kw):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        r = getattr(cnp, name)(cr.tensor(a), **kw)
    assert isinstance(r, cr.Tensor)
    return r.data


def _same(name, a, **kw):
    want = np.asarray(_numpy(name, a, kw))
    got = np.asarray(_ours(name, a, kw))
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    tol = 1e-5 if want.dtype in (np.float32, np.float16) else 1e-12
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol, equal_nan=True)
    return want


def _fd_check(name, a, mask=None, **kw):
    """Gradient of sum(w * f(a)) against central differences of NumPy's f; exactly 0 at
    the entries `mask` leaves out. Returns the gradient."""
    a = np.asarray(a, dtype=np.float64)
    out = np.asarray(_numpy(name, a, kw))
    rng = np.random.default_rng(7)
    w = rng.uniform(0.5, 1.5, size=out.shape)
    w = np.where(np.isfinite(out), w, 0.0)  # (NaN for empty slices: no derivative there)

    def loss_np(x):
        r = np.asarray(_numpy(name, x, kw))
        return float(np.sum(np.where(w != 0, r, 0.0) * w))

    def loss(t):
        return cnp.sum(getattr(cnp, name)(t, **kw) * w)

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        g = np.asarray(cr.grad(loss)(a))
    h = 1e-6
    fd = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        up, down = a.copy(), a.copy()
        up[i] += h
        down[i] -= h
        fd[i] = (loss_np(up) - loss_np(down)) / (2 * h)
    assert g.shape == a.shape
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-6)
    if mask is not None:
        out_of_mask = ~np.broadcast_to(mask, a.shape)
        assert np.all(g[out_of_mask] == 0.0)
    return g


# ------------------------------------------------------------------ values
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("mask", list(MASKS), ids=list(MASKS))
@pytest.mark.parametrize("name", ["sum", "prod", "mean", "var", "std", "nansum", "nanprod",
                                  "nanmean", "nanvar", "nanstd"])
def test_where_values(name, mask, axis, keepdims):
    a = _data()
    if name.startswith("nan"):
        a[0, 1, 2] = a[1, 2, 3] = np.nan
    _same(name, a, axis=axis, keepdims=keepdims, where=MASKS[mask])


@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("mask", list(MASKS), ids=list(MASKS))
@pytest.mark.parametrize("name", ["max", "min", "amax", "amin", "nanmax", "nanmin"])
def test_where_with_initial_values(name, mask, axis, keepdims):
    a = _data()
    if name.startswith("nan"):
        a[0, 1, 2] = np.nan
    r = _same(name, a, axis=axis, keepdims=keepdims, where=MASKS[mask], initial=0.5)
    if mask == "all-false":
        assert np.all(r == 0.5)


@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("initial", [2.5, -100.0, 100.0])
@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "amax", "amin", "nansum",
                                  "nanprod", "nanmax", "nanmin"])
def test_initial_values(name, initial, axis):
    a = _data()
    if name.startswith("nan"):
        a[1, 0, 0] = np.nan
    _same(name, a, axis=axis, initial=initial)
    _same(name, a, axis=axis, initial=initial, keepdims=True)


@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "mean", "var", "std",
                                  "nansum", "nanmean", "nanvar", "nanmax", "nanmin"])
@pytest.mark.parametrize("axis", [None, 1, (0, 2)])
def test_float32_is_kept(name, axis):
    a = _data(np.float32)
    kw = {"where": MASKS["full"], "axis": axis}
    if name in ("max", "min", "nanmax", "nanmin"):
        kw["initial"] = 0.25
    want = _same(name, a, **kw)
    assert want.dtype == np.float32


def test_integer_and_boolean_inputs():
    a = np.arange(24).reshape(SHAPE) - 11
    m = MASKS["full"]
    for name in ("sum", "prod", "mean", "var", "std", "nanmean", "nanvar"):
        _same(name, a, axis=1, where=m)
    for name in ("max", "min", "nanmax", "nanmin"):
        assert _same(name, a, axis=(0, 1), where=m, initial=3).dtype == a.dtype
    # NumPy casts initial to the result's dtype (10.5 -> 10 for integers)
    assert _same("max", a, initial=100.5) == 100
    assert _same("sum", a > 0, where=m, initial=2).dtype == np.int64
    assert _same("max", a > 0, axis=0, where=m, initial=False).dtype == np.bool_


def test_dtype_keyword_combines_as_in_numpy():
    a = _data()
    m = MASKS["last-axis"]
    # sum/prod accumulate in dtype: the input is cast first (truncated to integers here)
    r = _same("sum", a, axis=0, dtype=np.int64, where=m, initial=2.5)
    assert r.dtype == np.int64
    _same("prod", a, axis=-1, dtype=np.float32, where=m, initial=2)
    _same("sum", a, axis=(0, 1), dtype=np.float32, where=m, keepdims=True)
    _same("mean", a, axis=1, dtype=np.float32, where=m)
    _same("var", a, axis=1, dtype=np.float32, where=m)
    _same("mean", np.arange(24).reshape(SHAPE), axis=2, dtype=np.float32, where=m)
    _same("nansum", a, axis=2, dtype=np.float32, where=m)
    _same("mean", a.astype(np.float16), axis=2, where=m)


@pytest.mark.parametrize("name", ["var", "std", "nanvar", "nanstd"])
@pytest.mark.parametrize("axis", [None, 0, -1, (1, 2)])
def test_correction_ddof_and_mean(name, axis):
    a = _data()
    m = MASKS["full"]
    _same(name, a, axis=axis, correction=1)
    _same(name, a, axis=axis, correction=1.5, where=m, keepdims=True)
    _same(name, a, axis=axis, ddof=1, where=m)
    # degrees of freedom <= 0 (NumPy: inf or NaN for var, NaN for nanvar)
    _same(name, a, axis=axis, ddof=5, where=MASKS["column"])
    _same(name, a, axis=axis, correction=0, ddof=0)
    # mean= (NumPy 2): the deviations are taken from the given mean
    mu = np.mean(a, axis=axis, keepdims=True) + 0.25
    _same(name, a, axis=axis, mean=mu)
    _same(name, a, axis=axis, mean=mu, where=m, correction=1)


# --------------------------------------------------------------- gradients
@pytest.mark.parametrize("mask", ["full", "last-axis", "column", "empty-slice"])
@pytest.mark.parametrize("axis", [None, 1, -1, (0, 2)])
@pytest.mark.parametrize("name", ["sum", "prod", "mean", "var", "std", "nansum", "nanprod",
                                  "nanmean", "nanvar", "nanstd"])
def test_where_gradients(name, axis, mask):
    a = _data()
    _fd_check(name, a, MASKS[mask], axis=axis, where=MASKS[mask])


@pytest.mark.parametrize("mask", ["full", "last-axis", "empty-slice"])
@pytest.mark.parametrize("axis", [None, 0, -1, (1, 2)])
@pytest.mark.parametrize("name", ["max", "min", "amax", "amin", "nanmax", "nanmin"])
def test_where_with_initial_gradients(name, axis, mask):
    a = _data()
    g = _fd_check(name, a, MASKS[mask], axis=axis, where=MASKS[mask], initial=0.1)
    # only the selected elements that beat initial receive a gradient
    assert np.count_nonzero(g) > 0


@pytest.mark.parametrize("axis", [None, 1, (0, 2)])
@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "nansum", "nanprod", "nanmax",
                                  "nanmin"])
def test_initial_gradients(name, axis):
    a = _data()
    # initial between the values: some slices are decided by it (zero gradient there)
    g = _fd_check(name, a, axis=axis, initial=0.4)
    if name in ("max", "nanmax") and axis is None:
        assert np.count_nonzero(g) == 1


@pytest.mark.parametrize("name", ["var", "std", "nanvar", "nanstd"])
def test_correction_and_mean_gradients(name):
    a = _data()
    m = MASKS["full"]
    _fd_check(name, a, axis=1, correction=1)
    _fd_check(name, a, m, axis=(0, 2), correction=1, where=m, keepdims=True)
    mu = np.mean(a, axis=-1, keepdims=True)
    _fd_check(name, a, axis=-1, mean=mu)


def test_gradient_flows_into_mean_and_initial_tensors():
    a = _data()
    mu0 = np.mean(a, axis=0, keepdims=True) - 0.5

    def f(mu):
        return cnp.sum(cnp.var(cr.tensor(a), axis=0, mean=mu))

    g = np.asarray(cr.grad(f)(mu0))
    # d/dmu sum((a - mu)^2) / n = -2 * mean(a - mu)
    np.testing.assert_allclose(g, -2 * np.mean(a - mu0, axis=0, keepdims=True), rtol=1e-12)
    g = cr.grad(lambda v: cnp.max(cr.tensor(a), initial=v))(100.0)
    assert float(g) == 1.0
    g = cr.grad(lambda v: cnp.sum(cr.tensor(a), where=MASKS["full"], initial=v))(3.0)
    assert float(g) == 1.0


def test_nan_entries_get_zero_gradient_with_where():
    a = _data()
    a[0, 1, 2] = np.nan
    m = MASKS["last-axis"]
    assert m[2]  # the NaN is selected by the mask, and still left out
    for name in ("nansum", "nanprod", "nanmean", "nanvar", "nanstd"):
        g = np.asarray(cr.grad(lambda t, n=name: cnp.sum(getattr(cnp, n)(t, axis=2, where=m)))(a))
        assert g[0, 1, 2] == 0.0 and np.all(np.isfinite(g))
        assert np.all(g[..., ~m] == 0.0)
    for name in ("nanmax", "nanmin"):
        g = np.asarray(cr.grad(
            lambda t, n=name: cnp.sum(getattr(cnp, n)(t, axis=2, where=m, initial=0.0)))(a))
        assert g[0, 1, 2] == 0.0


def test_all_false_mask_gives_zero_gradient():
    a = _data()
    none = MASKS["all-false"]
    for name in ("sum", "prod", "mean", "var", "std", "nanmean", "nanvar"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            g = np.asarray(cr.grad(
                lambda t, n=name: cnp.sum(cnp.nan_to_num(getattr(cnp, n)(t, where=none))))(a))
        assert np.all(g == 0.0), name
    g = np.asarray(cr.grad(lambda t: cnp.max(t, where=none, initial=-1.0))(a))
    assert np.all(g == 0.0)


def test_numpy_functions_dispatch_with_keywords():
    a = _data()
    m = MASKS["full"]
    t = cr.tensor(a, requires_grad=True)
    r = np.sum(t, axis=1, where=m, initial=1.0)
    assert isinstance(r, cr.Tensor)
    np.testing.assert_allclose(r.data, np.sum(a, axis=1, where=m, initial=1.0))
    r.backward(np.ones(r.shape))
    np.testing.assert_array_equal(t.grad, m.astype(float))
    r = np.max(t, axis=2, where=m, initial=0.0)
    np.testing.assert_allclose(r.data, np.max(a, axis=2, where=m, initial=0.0))
    r = np.var(t, axis=-1, where=MASKS["last-axis"], correction=1)
    assert isinstance(r, cr.Tensor)


def test_plain_arrays_still_run_numpy():
    a = _data()
    m = MASKS["full"]
    for name, kw in [("sum", {"where": m, "initial": 1}), ("max", {"initial": 0.5}),
                     ("var", {"correction": 1, "where": m})]:
        r = getattr(cnp, name)(a, **kw)
        assert type(r) is not cr.Tensor
        np.testing.assert_array_equal(r, getattr(np, name)(a, **kw))
    # NumPy's own reading of None: where=None selects nothing, initial=None is no initial
    assert cnp.sum(cr.tensor(a), where=None).data == np.sum(a, where=None) == 0
    assert cnp.sum(cr.tensor(a), initial=None).data == pytest.approx(np.sum(a))


def test_where_mask_under_vmap():
    xs = _data(seed=3)

    def f(x):
        return cnp.mean(x, axis=-1, where=x > 0) + cnp.sum(x, where=x < 0, initial=1.0)

    got = cr.vmap(f)(xs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = np.stack([np.mean(x, axis=-1, where=x > 0) + np.sum(x, where=x < 0, initial=1.0)
                         for x in xs])
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12, equal_nan=True)


# ------------------------------------------------------------------ errors
def _numpy_error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return info.type, str(info.value)


@pytest.mark.parametrize("name", ["max", "min", "amax", "amin", "nanmax", "nanmin"])
@pytest.mark.parametrize("where", [MASKS["full"], np.True_, None])
def test_where_without_initial_raises_as_numpy(name, where):
    a = _data()
    kind, message = _numpy_error(lambda: getattr(np, name)(a, where=where))
    with pytest.raises(kind) as info:
        getattr(cnp, name)(cr.tensor(a), where=where)
    assert str(info.value) == message
    with pytest.raises(kind):
        getattr(cnp, name)(cr.tensor(a), where=where, initial=None)
    # where=True (the literal) is no mask, as in NumPy
    _same(name, a, where=True)


@pytest.mark.parametrize("name", ["var", "std", "nanvar", "nanstd"])
def test_ddof_and_correction_together_raise(name):
    a = _data()
    kind, message = _numpy_error(lambda: getattr(np, name)(a, ddof=1, correction=1))
    assert kind is ValueError
    with pytest.raises(ValueError) as info:
        getattr(cnp, name)(cr.tensor(a), ddof=1, correction=1)
    assert str(info.value) == message
    with pytest.raises(ValueError, match="simultaneously"):
        getattr(cnp, name)(cr.tensor(a), ddof=1, correction=0)


def test_bad_masks_and_initials_raise_as_numpy():
    a = _data()
    t = cr.tensor(a)
    for where in (np.ones(SHAPE, dtype=int), np.ones(SHAPE)):
        kind, message = _numpy_error(lambda w=where: np.sum(a, where=w))
        with pytest.raises(kind) as info:
            cnp.sum(t, where=where)
        assert str(info.value) == message
    for where in (np.ones((5, 2, 3, 4), dtype=bool), np.ones((3,), dtype=bool)):
        kind, _ = _numpy_error(lambda w=where: np.mean(a, where=w))
        with pytest.raises(kind):
            cnp.mean(t, where=where)
    kind, message = _numpy_error(lambda: np.sum(a, initial=np.ones(2)))
    with pytest.raises(kind, match="sequence"):
        cnp.sum(t, initial=np.ones(2))


def test_empty_slices_warn_as_numpy():
    a = _data()
    t = cr.tensor(a)
    none = MASKS["all-false"]
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning, match="Mean of empty slice"):
        r = cnp.mean(t, where=none)
    assert np.isnan(r.data)
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning,
                                                  match="Degrees of freedom <= 0 for slice"):
        r = cnp.var(t, axis=0, where=MASKS["column"], ddof=1)
    assert np.isnan(r.data[1]).all() and np.isfinite(r.data[0]).all()
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning, match="Degrees of freedom"):
        cnp.std(t, where=MASKS["full"], correction=100)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cnp.mean(t, where=MASKS["full"], axis=1)  # nothing empty: no warning
        cnp.var(t, where=MASKS["last-axis"], axis=2, correction=1)
    # the empty reduction with initial gives initial, as NumPy
    e = np.zeros((0, 3))
    _same("max", e, axis=0, initial=3.0)
    _same("min", e, axis=0, initial=3.0, where=np.ones(3, dtype=bool))
    _same("sum", e, axis=0, initial=3.0)


# ------------------------------------------------------------- take modes
@pytest.mark.parametrize("mode", ["wrap", "clip"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_take_modes_values(mode, axis):
    a = _data()
    idx = np.array([[5, -1], [-7, 2], [30, 0]])
    _same("take", a, indices=idx, axis=axis, mode=mode)
    _same("take", a, indices=-13, axis=axis, mode=mode)
    _same("take", a.astype(np.float32), indices=[4, 4, -5], axis=axis, mode=mode)


@pytest.mark.parametrize("mode", ["wrap", "clip"])
@pytest.mark.parametrize("axis", [None, 0, -1])
def test_take_modes_gradients(mode, axis):
    a = _data()
    idx = np.array([7, -1, 30, 3, -9, 0, 31, 40])
    g = _fd_check("take", a, indices=idx, axis=axis, mode=mode)
    # repeated positions accumulate (wrap: 7 and -1 on an axis of 4 both land on 3;
    # 7 and 31 on the 24 flattened; clip: 30 and 40 on the last)
    weights = np.zeros_like(a)
    n = a.size if axis is None else a.shape[axis]
    where = np.mod(idx, n) if mode == "wrap" else np.clip(idx, 0, n - 1)
    counts = np.bincount(where, minlength=n)
    assert counts.max() > 1
    g1 = np.asarray(cr.grad(lambda t: cnp.sum(cnp.take(t, idx, axis=axis, mode=mode)))(a))
    if axis is None:
        weights.ravel()[:] = counts
    else:
        shape = [1] * a.ndim
        shape[axis] = n
        weights[...] = counts.reshape(shape)
    np.testing.assert_array_equal(g1, weights)
    assert g.shape == a.shape


def test_take_mode_errors():
    a = _data()
    t = cr.tensor(a)
    kind, message = _numpy_error(lambda: np.take(a, [1], mode="bad"))
    with pytest.raises(kind) as info:
        cnp.take(t, [1], mode="bad")
    assert str(info.value) == message
    e = np.zeros((0, 2))
    kind, message = _numpy_error(lambda: np.take(e, [1], axis=0, mode="wrap"))
    with pytest.raises(kind) as info:
        cnp.take(cr.tensor(e), [1], axis=0, mode="wrap")
    assert str(info.value) == message
    _same("take", e, indices=[], axis=0, mode="clip")
    kind, message = _numpy_error(lambda: np.take(a, np.array([1.5]), mode="clip"))
    with pytest.raises(kind) as info:
        cnp.take(t, np.array([1.5]), mode="clip")
    # (the casting rule NumPy names differs between its versions: 'safe' in 2.0)
    assert str(info.value).split(" according")[0] == message.split(" according")[0]
    # a list is converted as NumPy converts it (1.5 -> 1), booleans are 0 and 1
    _same("take", a, indices=[1.5, 30.0], mode="clip")
    _same("take", a, indices=np.array([True, False]), axis=1, mode="wrap")
    _same("take", a, indices=np.uint64(7), axis=2, mode="wrap")
    with pytest.raises(IndexError):  # mode='raise' still raises for out-of-range indices
        cnp.take(t, [30])
