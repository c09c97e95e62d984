"""chainrule.torch: masked/select/slice/diagonal scatter, index_reduce, the Cholesky and
triangular solves and torch.range, against NumPy written out by hand."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule.torch as torch
from chainrule.gradcheck import gradcheck

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4))


def test_masked_scatter_fills_the_masked_positions_in_order():
    mask = np.array([[True, False, True, False], [False, False, True, True],
                     [True, False, False, False]])
    source = np.arange(20.0).reshape(4, 5)
    out = torch.tensor(X).masked_scatter(torch.tensor(mask), torch.tensor(source))
    expected = X.copy()
    expected[mask] = source.reshape(-1)[:mask.sum()]
    np.testing.assert_array_equal(out.numpy(), expected)
    with pytest.raises(ValueError, match="selects 12 elements but source has only 4"):
        torch.tensor(X).masked_scatter(torch.tensor(np.ones((3, 4), bool)), torch.ones(4))
    gradcheck(lambda a, s: torch.masked_scatter(a, torch.tensor(mask), s), X, source)


def test_select_slice_and_diagonal_scatter_replace_what_they_name():
    src = RNG.standard_normal(3)
    expected = X.copy()
    expected[:, -1] = src
    np.testing.assert_array_equal(torch.select_scatter(torch.tensor(X), torch.tensor(src), 1,
                                                       -1).numpy(), expected)
    block = RNG.standard_normal((3, 2))
    expected = X.copy()
    expected[:, 0:4:2] = block
    np.testing.assert_array_equal(torch.slice_scatter(torch.tensor(X), torch.tensor(block), 1,
                                                      0, 4, 2).numpy(), expected)
    diag = RNG.standard_normal(3)
    expected = X.copy()
    expected[np.arange(3), np.arange(3) + 1] = diag
    np.testing.assert_array_equal(torch.diagonal_scatter(torch.tensor(X), torch.tensor(diag),
                                                         1).numpy(), expected)
    gradcheck(lambda a, s: torch.slice_scatter(a, s, 1, 0, 4, 2), X, block)
    gradcheck(lambda a, s: torch.diagonal_scatter(a, s, -1), X, RNG.standard_normal(2))


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce_reduces_source_slices_into_the_indexed_ones(reduce, include_self):
    index = np.array([0, 2, 0, 1])
    source = RNG.standard_normal((3, 4))
    out = torch.tensor(X).index_reduce(1, torch.tensor(index), torch.tensor(source), reduce,
                                       include_self=include_self)
    expected = X.copy()
    fn = {"prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}[reduce]
    for j in range(4):
        cols = [source[:, i] for i in range(4) if index[i] == j]
        if cols:
            stacked = np.stack(([X[:, j]] if include_self else []) + cols, axis=1)
            expected[:, j] = fn(stacked, axis=1)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-14)
    with pytest.raises(ValueError, match="'prod', 'mean', 'amax' or 'amin'"):
        torch.tensor(X).index_reduce(1, torch.tensor(index), torch.tensor(source), "sum")


def test_scatter_reduce_prod_is_differentiable_with_zeros_among_the_factors():
    index = np.array([[0, 1, 0, 3, 1], [2, 2, 2, 0, 1], [1, 1, 0, 1, 1]])
    source = RNG.standard_normal((3, 5))
    source[1, 2] = source[2, 0] = source[2, 3] = 0.0  # (one and two zeros in a product)
    for include_self in (True, False):
        out = torch.scatter_reduce(torch.tensor(X), 1, torch.tensor(index),
                                   torch.tensor(source), "prod", include_self=include_self)
        expected = X.copy()
        for i in range(3):
            for j in range(4):
                picked = source[i][index[i] == j]
                if picked.size:
                    expected[i, j] = (X[i, j] if include_self else 1.0) * picked.prod()
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-14)
        gradcheck(lambda a, s, inc=include_self: torch.scatter_reduce(
            a, 1, torch.tensor(index), s, "prod", include_self=inc), X, source, order=2)


def test_cholesky_and_triangular_solves():
    a = RNG.standard_normal((3, 3))
    spd = a @ a.T + 3 * np.eye(3)
    lower = np.linalg.cholesky(spd)
    b = RNG.standard_normal((3, 2))
    np.testing.assert_allclose(torch.cholesky_solve(torch.tensor(b), torch.tensor(lower)).numpy(),
                               np.linalg.solve(spd, b), rtol=1e-12)
    np.testing.assert_allclose(
        torch.cholesky_solve(torch.tensor(b), torch.tensor(lower.T.copy()), upper=True).numpy(),
        np.linalg.solve(spd, b), rtol=1e-12)
    np.testing.assert_allclose(torch.cholesky_inverse(torch.tensor(lower)).numpy(),
                               np.linalg.inv(spd), rtol=1e-12)
    upper = np.triu(a) + 3 * np.eye(3)
    x, copy = torch.triangular_solve(torch.tensor(b), torch.tensor(upper))
    np.testing.assert_allclose(x.numpy(), np.linalg.solve(upper, b), rtol=1e-12)
    np.testing.assert_array_equal(copy.numpy(), upper)
    xt, _ = torch.triangular_solve(torch.tensor(b), torch.tensor(upper), transpose=True)
    np.testing.assert_allclose(xt.numpy(), np.linalg.solve(upper.T, b), rtol=1e-12)
    # the gradient reaches only the triangle the solve reads
    lt = torch.tensor(lower, requires_grad=True)
    torch.cholesky_solve(torch.tensor(b), lt).sum().backward()
    assert not np.triu(lt.grad.numpy(), 1).any()


def test_range_includes_its_end_in_the_default_float_dtype():
    r = torch.range(0, 1, 0.25)
    assert r.dtype == torch.float32 and r.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert torch.range(1, 4).tolist() == [1.0, 2.0, 3.0, 4.0]


def test_linalg_solve_reads_a_batch_of_vectors_as_pytorch_does():
    # B with exactly A's batch shape and one more length is a batch of vectors (NumPy
    # would read a (3, 3) B as one matrix broadcast over the batch of three).
    a = RNG.standard_normal((3, 3, 3)) + 3 * np.eye(3)
    b = RNG.standard_normal((3, 3))
    x = torch.linalg.solve(torch.tensor(a), torch.tensor(b))
    assert tuple(x.shape) == (3, 3)
    np.testing.assert_allclose(x.numpy(), [np.linalg.solve(m, v) for m, v in zip(a, b)],
                               rtol=1e-12)
    # a 1-d B against a batch: one vector per matrix
    one = torch.linalg.solve(torch.tensor(a), torch.tensor(b[0]))
    np.testing.assert_allclose(one.numpy(), [np.linalg.solve(m, b[0]) for m in a], rtol=1e-12)
    gradcheck(lambda m, v: torch.linalg.solve(m, v), a, b)
    with pytest.raises(RuntimeError, match="XA = B"):
        torch.linalg.solve(torch.tensor(a), torch.tensor(b), left=False)


def test_cholesky_ex_and_inv_ex_report_lapack_info_per_matrix():
    eye = np.eye(2)
    batch = torch.tensor(np.stack([eye, [[1.0, 2.0], [2.0, 1.0]], [[4.0, 0.0], [0.0, 9.0]]]),
                         requires_grad=True)
    L, info = torch.linalg.cholesky_ex(batch)
    np.testing.assert_array_equal(info.numpy(), [0, 2, 0])  # order of the failing minor
    assert info.dtype == torch.int32
    np.testing.assert_array_equal(L[2].detach().numpy(), [[2.0, 0.0], [0.0, 3.0]])
    assert np.isnan(L[1].detach().numpy()).all()
    L[2].sum().backward()  # the matrices that factor keep their gradients
    assert np.isfinite(batch.grad.numpy()[2]).all() and batch.grad.numpy()[2].any()
    singular = torch.tensor([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    assert torch.linalg.inv_ex(singular).info.item() == 3  # the first zero pivot's column
    assert tuple(torch.linalg.inv_ex(torch.tensor(np.stack([eye] * 3))).info.shape) == (3,)


def test_vander_solve_ex_batched_lstsq_and_pytorchs_tolerances():
    x = torch.tensor([[2.0, -1.0, 0.0]], requires_grad=True)
    v = torch.linalg.vander(x, N=4)
    np.testing.assert_array_equal(v.detach().numpy(), np.vander([2.0, -1.0, 0.0], 4,
                                                                increasing=True)[None])
    gradcheck(lambda t: torch.linalg.vander(t, N=4), x.detach().numpy())
    # solve_ex: info per matrix, NaN only where the matrix is singular
    a = np.stack([np.eye(3), [[1.0, 2, 3], [2, 4, 6], [1, 0, 1]], np.diag([2.0, 3, 4])])
    b = RNG.standard_normal((3, 3))
    result, info = torch.linalg.solve_ex(torch.tensor(a), torch.tensor(b))
    assert info.dtype == torch.int32 and info.tolist() == [0, 3, 0]
    np.testing.assert_allclose(result.numpy()[2], b[2] / [2.0, 3, 4], rtol=1e-14)
    assert np.isnan(result.numpy()[1]).all()
    # batched lstsq: one least-squares problem per matrix
    A, B = RNG.standard_normal((2, 5, 3)), RNG.standard_normal((2, 5, 2))
    sol = torch.linalg.lstsq(torch.tensor(A), torch.tensor(B)).solution
    np.testing.assert_allclose(sol.numpy(), [np.linalg.lstsq(p, q, rcond=None)[0]
                                             for p, q in zip(A, B)], rtol=1e-12)
    # tolerances: singular values at most max(atol, rtol * s_max) count as zero
    m = torch.tensor(np.diag([1.0, 1e-3, 1e-9]))
    assert torch.linalg.matrix_rank(m).item() == 3  # eps * 3 * s_max: 1e-9 is above it
    assert torch.linalg.matrix_rank(m, atol=1e-2).item() == 1
    assert torch.linalg.matrix_rank(m, rtol=1e-5).item() == 2
    np.testing.assert_allclose(torch.linalg.pinv(m, atol=1e-2).numpy(), np.diag([1.0, 0, 0]))
