"""LU with partial pivoting (chainrule.primitives.lu_decomposition): what the op database
does not cover - transforms, singular matrices, large blocked factorizations."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sl

import chainrule as cr
import chainrule.scipy.linalg as la


def test_a_large_matrix_factors_as_lapack_does_through_the_blocked_path():
    a = np.random.default_rng(0).standard_normal((150, 130))  # > the 32-column blocks
    p, lower, upper = la.lu(a)
    sp_p, sp_l, sp_u = sl.lu(a)
    np.testing.assert_array_equal(p, sp_p)  # the same pivots
    np.testing.assert_allclose(lower, sp_l, atol=1e-12)
    np.testing.assert_allclose(upper, sp_u, atol=1e-11)


def test_a_singular_matrix_factors_with_a_zero_pivot_as_lapack():
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    lu, piv = la.lu_factor(a)
    with pytest.warns(sl.LinAlgWarning):
        sp_lu, sp_piv = sl.lu_factor(a)
    np.testing.assert_allclose(lu, sp_lu, atol=1e-15)
    np.testing.assert_array_equal(piv, sp_piv)
    assert lu[2, 2] == 0.0


def test_lu_follows_each_example_under_vmap_and_each_call_under_compile():
    rng = np.random.default_rng(1)
    stack = rng.standard_normal((3, 4, 4))

    def f(a):
        p, lower, upper = cr.linalg.lu(a)
        return cr.sum(upper * upper) + cr.sum(p @ lower)

    batched = cr.vmap(cr.grad(f))(stack)
    for k in range(3):
        np.testing.assert_allclose(np.asarray(batched)[k], cr.grad(f)(stack[k]), rtol=1e-12)
    compiled = cr.compile(lambda a: f(cr.tensor(a)))
    for k in range(3):  # different pivots each time
        assert compiled(stack[k]).item() == pytest.approx(f(stack[k]).item(), rel=1e-14)


def test_pivots_are_refused_under_compile_with_a_clear_error():
    compiled = cr.compile(lambda a: cr.linalg.lu_factor(cr.tensor(a) * 1.0).LU)
    with pytest.raises(TypeError, match="lu_factor's pivots computed from a value being "
                                        "traced"):
        compiled(np.eye(3))


def test_pivots_are_refused_under_vmap_too():
    with pytest.raises(TypeError, match="lu_factor's pivots computed from a value being "
                                        "traced"):
        cr.vmap(lambda a: cr.linalg.lu_factor(a).LU)(np.stack([np.eye(3)] * 2))
