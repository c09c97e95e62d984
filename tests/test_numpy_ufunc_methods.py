"""NumPy's ufunc methods on chainrule.numpy's ufuncs: cnp.add.outer, .reduce, .accumulate,
.reduceat, .at (chainrule/numpy/ufunc_methods.py).

On plain arrays each method must return exactly what NumPy's returns. On tensors its
values, dtype and shape must be NumPy's, it must raise what NumPy raises, and its
gradient must match central finite differences (float64). NumPy's own methods called on
tensors (Tensor.__array_ufunc__) must run the same implementation.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp

BINARY = ["add", "subtract", "multiply", "divide", "maximum", "minimum", "fmax", "fmin",
          "logaddexp", "logaddexp2", "hypot", "power", "arctan2", "logical_and",
          "logical_or"]
UNARY = ["negative", "square", "exp", "sqrt", "sin"]
NO_GRADIENT = {"logical_and", "logical_or"}


def _x(shape, seed=0, dtype=np.float64):
    # In [0.5, 1.5]: inside every domain (power, divide), no ties for maximum.
    return np.random.default_rng(seed).uniform(0.5, 1.5, shape).astype(dtype)


def _same(got, expected):
    """Plain path: exactly NumPy's result (type, dtype, values)."""
    assert type(got) is type(expected), (type(got), type(expected))
    np.testing.assert_array_equal(got, expected)
    assert np.asarray(got).dtype == np.asarray(expected).dtype


def _close(got, expected):
    """Tensor path: a tensor with NumPy's shape, dtype and values."""
    assert isinstance(got, cr.Tensor), type(got)
    expected = np.asarray(expected)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    tol = 1e-5 if expected.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got.data, expected, rtol=tol, atol=tol)


def _check(call, name, x, *rest, wide=None):
    """call(ufunc, x, *rest) on NumPy's ufunc and cnp's, on arrays and on tensors: the same
    result, or the same error. ``wide(ufunc, x)``, where given, computes the tensors'
    expected values (see _through_long_double)."""
    try:
        expected = call(getattr(np, name), x, *rest)
    except Exception as e:  # NumPy refuses: chainrule must refuse alike, on both paths
        for arg in (x, cr.tensor(x)):
            with pytest.raises(type(e)) as info:
                call(getattr(cnp, name), arg, *rest)
            assert str(info.value) == str(e)
        return None
    _same(call(getattr(cnp, name), x, *rest), expected)
    if wide is not None:
        expected = np.asarray(wide(getattr(np, name), x)).astype(np.asarray(expected).dtype)
    _close(call(getattr(cnp, name), cr.tensor(x), *rest), expected)
    # NumPy's own ufunc on a tensor: Tensor.__array_ufunc__ runs the same code.
    _close(call(getattr(np, name), cr.tensor(x), *rest), expected)
    return expected


def _through_long_double(method, *args, **kw):
    """``ufunc.method(x, *args, **kw)`` computed in long double, then compared in NumPy's
    result dtype: on machines with AVX-512 NumPy (2.3, 2.4) reduces power and arctan2 along
    a contiguous axis with vector loops that fold the wrong elements (power.reduce of
    [1.5, 1.1, 2.0] gives 1.5 ** 2.0); its long double loops fold as documented, as the
    tensors' reductions do. (Plain arrays still get NumPy's own result.)"""
    kw = {k: v for k, v in kw.items() if k != "dtype"}
    return lambda u, x: getattr(u, method)(np.asarray(x, np.longdouble), *args, **kw)


def _on_tensors(fn, arrays):
    # (the values the gradient is of: on plain arrays NumPy's own method runs, whose
    # reductions can differ, see _through_long_double)
    out = fn(*(cr.tensor(a) for a in arrays))
    return out.data if isinstance(out, cr.Tensor) else np.asarray(out)


def _fd_check(fn, *arrays, eps=1e-6):
    """cr.grad of sum(w * fn(*arrays)) against central finite differences, per element."""
    w = np.random.default_rng(7).uniform(0.5, 1.5, np.shape(fn(*arrays)))

    def scalar(*xs):
        return cnp.sum(w * fn(*xs))

    grads = cr.grad(scalar, argnums=tuple(range(len(arrays))))(*arrays)
    for k, (x, g) in enumerate(zip(arrays, grads)):
        assert np.shape(g) == np.shape(x)
        fd = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            up, down = [a.copy() for a in arrays], [a.copy() for a in arrays]
            up[k][i] += eps
            down[k][i] -= eps
            rise = np.sum(w * _on_tensors(fn, up)) - np.sum(w * _on_tensors(fn, down))
            fd[i] = rise / (2 * eps)
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-7)


# -------------------------------------------------------------------- reduce
MASK = np.array([True, False, True, True])
REDUCE = [
    ((3, 4), {}),
    ((3, 4), {"axis": 1}),
    ((3, 4), {"axis": -1}),
    ((3, 4), {"axis": None}),
    ((2, 3, 4), {"axis": (0, 2)}),
    ((2, 3, 4), {"axis": (-1, 0), "keepdims": True}),
    ((3, 4), {"axis": 1, "keepdims": True}),
    ((3, 4), {"axis": None, "keepdims": True}),
    ((3, 4), {"axis": 0, "initial": 0.75}),
    ((3, 4), {"axis": 1, "where": MASK, "initial": 1.25}),
    ((3, 4), {"axis": 1, "where": MASK}),
    ((3, 4), {"axis": None, "where": MASK, "initial": 0.75}),
    ((3, 4), {"axis": 0, "dtype": np.float32}),
    ((), {}),
    ((), {"axis": None}),
    ((0, 3), {"axis": 0}),
    ((0, 3), {"axis": 0, "initial": 0.5}),
    ((3, 0), {"axis": 0}),
    ((0,), {"axis": 0, "where": np.zeros(0, bool), "initial": 2.0}),
]


@pytest.mark.parametrize("shape, kw", REDUCE, ids=lambda v: str(v))
@pytest.mark.parametrize("name", BINARY)
def test_reduce(name, shape, kw):
    expected = _check(lambda u, x: u.reduce(x, **kw), name, _x(shape),
                      wide=_through_long_double("reduce", **kw))
    differentiable = name not in NO_GRADIENT and kw.get("dtype") is None
    if expected is not None and differentiable and np.size(expected) and np.size(_x(shape)):
        _fd_check(lambda x: getattr(cnp, name).reduce(x, **kw), _x(shape))


def test_reduce_keeps_float32_and_counts_booleans_in_int():
    x = _x((3, 4), dtype=np.float32)
    for name in ["add", "multiply", "maximum", "logaddexp", "hypot", "subtract"]:
        _close(getattr(cnp, name).reduce(cr.tensor(x), axis=1), getattr(np, name).reduce(x, axis=1))
    b = np.array([[True, False, True], [True, True, True]])
    _close(cnp.add.reduce(cr.tensor(b), axis=1), np.add.reduce(b, axis=1))  # int64 counts
    _close(cnp.logical_and.reduce(cr.tensor(x > 1.0)), np.logical_and.reduce(x > 1.0))


def test_reduce_starts_from_the_identity_as_numpy():
    # NumPy folds from the identity when the ufunc has one: hypot.reduce([-3.]) is 3.0.
    for name, x in [("hypot", np.array([-3.0])), ("add", np.array([-0.0]))]:
        got = getattr(cnp, name).reduce(cr.tensor(x))
        expected = getattr(np, name).reduce(x)
        _close(got, expected)
        assert np.signbit(got.data) == np.signbit(expected)


def test_reduce_with_a_tensor_initial_is_differentiable():
    x = _x((3,))
    g = cr.grad(lambda i: cnp.maximum.reduce(x, initial=i))(np.float64(2.0))
    assert g == 1.0  # 2.0 is above every element: the result is the initial
    g = cr.grad(lambda i: cnp.subtract.reduce(x, initial=i))(np.float64(2.0))
    assert g == 1.0


# ---------------------------------------------------------------- accumulate
ACCUMULATE = [
    ((3, 4), {}),
    ((3, 4), {"axis": 1}),
    ((3, 4), {"axis": -1}),
    ((3, 4), {"axis": (1,)}),
    ((4,), {"axis": None}),
    ((3, 4), {"axis": None}),
    ((3, 4), {"axis": 0, "dtype": np.float32}),
    ((0, 3), {"axis": 0}),
    ((3, 0), {"axis": 0}),
    ((), {}),
    ((3, 4), {"axis": 2}),
]


@pytest.mark.parametrize("shape, kw", ACCUMULATE, ids=lambda v: str(v))
@pytest.mark.parametrize("name", BINARY)
def test_accumulate(name, shape, kw):
    expected = _check(lambda u, x: u.accumulate(x, **kw), name, _x(shape))
    if expected is not None and name not in NO_GRADIENT and np.size(expected):
        if kw.get("dtype") is None:
            _fd_check(lambda x: getattr(cnp, name).accumulate(x, **kw), _x(shape))


def test_accumulate_keeps_float32():
    x = _x((2, 5), dtype=np.float32)
    for name in ["add", "multiply", "maximum", "minimum", "logaddexp", "power", "fmax"]:
        _close(getattr(cnp, name).accumulate(cr.tensor(x), axis=1),
               getattr(np, name).accumulate(x, axis=1))


# ------------------------------------------------------------------ reduceat
REDUCEAT = [
    ((8,), [0, 4, 1, 5], {}),
    ((8,), [0, 3, 3, 7], {}),
    ((8,), [5], {}),
    ((8,), [], {}),
    ((3, 6), [0, 2, 5], {"axis": 1}),
    ((3, 6), [4, 1], {"axis": -1}),
    ((6, 2), [0, 3], {"axis": 0, "dtype": np.float32}),
    ((8,), [8], {}),
    ((8,), [-1], {}),
    ((), [0], {}),
]


@pytest.mark.parametrize("shape, indices, kw", REDUCEAT, ids=lambda v: str(v))
@pytest.mark.parametrize("name", BINARY)
def test_reduceat(name, shape, indices, kw):
    expected = _check(lambda u, x: u.reduceat(x, indices, **kw), name, _x(shape),
                      wide=_through_long_double("reduceat", indices, **kw))
    if expected is not None and name not in NO_GRADIENT and np.size(expected):
        if kw.get("dtype") is None:
            _fd_check(lambda x: getattr(cnp, name).reduceat(x, indices, **kw), _x(shape))


# --------------------------------------------------------------------- outer
OUTER = [((3,), (2,)), ((2, 2), (3,)), ((), (3,)), ((2,), ()), ((0,), (2,))]


@pytest.mark.parametrize("shapes", OUTER, ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_outer(name, shapes):
    a, b = _x(shapes[0], 1), _x(shapes[1], 2)
    expected = _check(lambda u, x, y: u.outer(x, y), name, a, b)
    _close(getattr(cnp, name).outer(a, cr.tensor(b)), expected)  # a tensor on the right only
    if name not in NO_GRADIENT and np.size(expected):
        _fd_check(lambda x, y: getattr(cnp, name).outer(x, y), a, b)


def test_outer_pairwise_differences_in_a_kernel():
    # The GP-kernel idiom that motivated the methods: exp(-(x_i - x_j)^2 / 2).
    x = _x((4,))

    def kernel_sum(x):
        return cnp.sum(cnp.exp(-0.5 * cnp.subtract.outer(x, x) ** 2) * weights)

    weights = np.arange(16.0).reshape(4, 4)
    expected = np.sum(np.exp(-0.5 * np.subtract.outer(x, x) ** 2) * weights)
    np.testing.assert_allclose(kernel_sum(x), expected, rtol=1e-14)
    _fd_check(lambda x: cnp.subtract.outer(x, x), x)
    _fd_check(kernel_sum, x)


def test_outer_keyword_arguments_and_matmul():
    a, b = _x((3,)), _x((2,))
    _close(cnp.multiply.outer(cr.tensor(a), b, dtype=np.float32),
           np.multiply.outer(a, b, dtype=np.float32))
    for arg in (a, cr.tensor(a)):
        with pytest.raises(TypeError, match="non-trivial signature"):
            cnp.matmul.outer(arg, a)


# ------------------------------------------------------------------------ at
AT_INDICES = [
    ([0, 0, 2, 0], lambda rng: rng.uniform(0.5, 1.5, 4)),
    (np.array([[1, 1], [4, 1]]), lambda rng: rng.uniform(0.5, 1.5, (2, 2))),
    ([3, 3, 3], lambda rng: 1.25),
    (slice(1, 4), lambda rng: rng.uniform(0.5, 1.5, 3)),
    (2, lambda rng: 0.75),
]


@pytest.mark.parametrize("case", range(len(AT_INDICES)))
@pytest.mark.parametrize("name", BINARY)
def test_at_binary(name, case):
    indices, draw = AT_INDICES[case]
    a0, b = _x((5,)), draw(np.random.default_rng(case))
    expected = a0.copy()
    getattr(np, name).at(expected, indices, b)
    # Plain arrays: NumPy's own, in place, returning None.
    plain = a0.copy()
    assert getattr(cnp, name).at(plain, indices, b) is None
    _same(plain, expected)
    # Tensors, through cnp and through NumPy's own ufunc: written into the tensor.
    for u in (getattr(cnp, name), getattr(np, name)):
        t = cr.tensor(a0.copy())
        assert u.at(t, indices, b if np.ndim(b) == 0 else cr.tensor(b)) is None
        _close(t, expected)

    if name in NO_GRADIENT:
        return

    def f(a, b):
        a = a * 1.0  # (a leaf requiring grad cannot be written into, as in PyTorch)
        getattr(cnp, name).at(a, indices, b)
        return a

    _fd_check(f, a0, np.asarray(b, dtype=np.float64))


def test_at_on_several_axes_with_repeated_entries():
    a0 = _x((3, 4))
    rows, cols = np.array([0, 0, 2, 0, 1]), np.array([1, 1, 3, 1, 0])
    b = _x((5,), 3)
    for name in ["add", "subtract", "multiply", "power", "maximum", "hypot", "arctan2"]:
        expected = a0.copy()
        getattr(np, name).at(expected, (rows, cols), b)
        t = cr.tensor(a0.copy())
        getattr(cnp, name).at(t, (rows, cols), cr.tensor(b))
        _close(t, expected)

        def f(a, b, name=name):
            a = a * 1.0
            getattr(cnp, name).at(a, (rows, cols), b)
            return a

        _fd_check(f, a0, b)


@pytest.mark.parametrize("name", UNARY)
def test_at_unary(name):
    a0 = _x((4,))
    expected = a0.copy()
    getattr(np, name).at(expected, [1, 1, 3])
    plain = a0.copy()
    getattr(cnp, name).at(plain, [1, 1, 3])
    _same(plain, expected)
    t = cr.tensor(a0.copy())
    getattr(cnp, name).at(t, [1, 1, 3])
    _close(t, expected)

    def f(a):
        a = a * 1.0
        getattr(cnp, name).at(a, [1, 1, 3])
        return a

    _fd_check(f, a0)
    assert not hasattr(getattr(cnp, name), "reduce")  # as NumPy's: binary ufuncs only


def test_at_keeps_the_dtype_and_refuses_what_numpy_refuses():
    a = cr.tensor(_x((3,), dtype=np.float32))
    cnp.add.at(a, [0, 0], np.float64(1.0))
    assert a.dtype == np.float32
    # Float steps into an int array: each step is rounded into it (not the sum of the steps).
    expected = np.arange(3)
    np.add.at(expected, [0, 0, 1], [-0.5, 0.7, -0.5])
    assert expected.tolist() == [0, 0, 2]
    for name in ["add", "subtract"]:
        expected = np.arange(3)
        getattr(np, name).at(expected, [0, 0, 1], [-0.5, 0.7, -0.5])
        t = cr.tensor(np.arange(3))
        getattr(cnp, name).at(t, [0, 0, 1], np.array([-0.5, 0.7, -0.5]))
        _close(t, expected)
    for arg in (np.ones(3), cr.tensor(np.ones(3))):
        with pytest.raises(IndexError):
            cnp.multiply.at(arg, [3], 2.0)
        with pytest.raises(ValueError, match="second operand"):
            cnp.multiply.at(arg, [0])
        with pytest.raises(ValueError, match="second operand"):
            cnp.exp.at(arg, [0], 1.0)


def test_at_writing_a_traced_value_into_an_ndarray_is_refused():
    def f(b):
        a = np.zeros(3)
        cnp.add.at(a, [0, 0], b)
        return cnp.sum(a)

    with pytest.raises(TypeError, match="into a NumPy array"):
        cr.grad(f)(np.ones(2))
    a = np.zeros(3)
    cnp.add.at(a, [0, 0], cr.tensor([1.0, 2.0]))  # untraced: NumPy writes the values
    np.testing.assert_array_equal(a, [3.0, 0.0, 0.0])


# --------------------------------------------------------- attributes, out=, errors
@pytest.mark.parametrize("name", BINARY + UNARY + ["divmod", "matmul", "greater"])
def test_attributes_are_numpys(name):
    f, u = getattr(cnp, name), getattr(np, name)
    assert f.__name__ == u.__name__
    assert (f.nin, f.nout, f.nargs, f.signature) == (u.nin, u.nout, u.nargs, u.signature)
    assert f.identity == u.identity or (f.identity is None and u.identity is None)
    methods = ["at"] + (["outer", "reduce", "accumulate", "reduceat"] if u.nin == 2 else [])
    for m in methods:
        assert getattr(f, m).__name__ == f"{name}.{m}"


def test_out_is_refused_on_tensors_and_numpys_on_arrays():
    x = _x((2, 3))
    t = cr.tensor(x, requires_grad=True)
    with pytest.raises(TypeError, match="out="):
        cnp.add.reduce(t, out=np.zeros(3))
    with pytest.raises(TypeError, match="out="):
        cnp.maximum.accumulate(t, out=np.zeros((2, 3)))
    with pytest.raises(TypeError, match="out="):
        cnp.add.reduceat(t, [0], out=np.zeros((1, 3)))
    out = np.zeros(3)
    assert cnp.add.reduce(x, out=out) is out
    np.testing.assert_array_equal(out, np.add.reduce(x))


def test_multiple_output_ufuncs_raise_numpys_errors_on_tensors():
    x = _x((4,))
    for method, args in [("reduce", ()), ("accumulate", ()), ("reduceat", ([0, 2],))]:
        with pytest.raises(ValueError) as mine:
            getattr(cnp.divmod, method)(cr.tensor(x), *args)
        with pytest.raises(ValueError) as numpys:
            getattr(np.divmod, method)(x, *args)
        assert str(mine.value) == str(numpys.value)
    q, r = cnp.divmod.outer(cr.tensor(x), x)
    eq, er = np.divmod.outer(x, x)
    _close(q, eq)
    _close(r, er)


def test_numpys_methods_on_traced_tensors_record():
    x = _x((3, 4))
    # cr.grad passes a tensor: np.maximum.accumulate dispatches (Tensor.__array_ufunc__).
    _fd_check(lambda x: np.maximum.accumulate(x, axis=1), x)
    _fd_check(lambda x: np.logaddexp.reduce(x, axis=None), x)
    # sum_ijk (t_ij - t_0k): each t_ij appears 4 times with +, each t_0k 12 times with -.
    g = cr.grad(lambda t: cnp.sum(np.subtract.outer(t, t[0])))(x)
    np.testing.assert_array_equal(g, [[-8.0] * 4, [4.0] * 4, [4.0] * 4])

    def f(a0, b):
        a = a0 * 1.0
        np.add.at(a, [0, 0], b)
        return a

    _fd_check(f, x, _x((2, 4), 5))
