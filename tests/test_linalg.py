"""chainrule.numpy.linalg and cr.linalg: NumPy's semantics, results, errors, and checks of
the decompositions' rules beyond the op database (tests/opdb/linalg.py).

Behaviour at repeated and zero eigenvalues and singular values: test_linalg_degenerate.py.
"""

from __future__ import annotations

import io

import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp

RNG = np.random.default_rng(7)


def _rand(*shape):
    return RNG.standard_normal(shape)


# --------------------------------------------------------------- namespaces
def test_cr_linalg_reexports_numpys_names_and_adds_pytorchs():
    for name in ["svd", "eigh", "eigvalsh", "qr", "lstsq", "pinv", "cond", "matrix_rank",
                 "svdvals", "inv", "det", "slogdet", "solve", "cholesky", "matrix_power",
                 "multi_dot"]:
        assert getattr(cr.linalg, name) is getattr(cnp.linalg, name), name
    assert callable(cr.linalg.matrix_exp) and callable(cr.linalg.solve_triangular)


def test_cr_linalg_norms_take_numpys_and_pytorchs_keywords():
    x = _rand(2, 3, 4)
    np.testing.assert_allclose(cr.linalg.vector_norm(x, 3, dim=(0, 2), keepdim=True),
                               np.linalg.vector_norm(x, ord=3, axis=(0, 2), keepdims=True))
    np.testing.assert_allclose(cr.linalg.vector_norm(x, axis=-1),
                               np.linalg.vector_norm(x, axis=-1))
    np.testing.assert_allclose(cr.linalg.matrix_norm(x, "nuc", dim=(0, 2)),
                               np.linalg.norm(x, "nuc", axis=(0, 2)))
    np.testing.assert_allclose(cr.linalg.matrix_norm(x, ord=2, keepdims=True),
                               np.linalg.matrix_norm(x, ord=2, keepdims=True))
    np.testing.assert_allclose(cr.linalg.norm(x, 1, dim=(1, 2), keepdim=True),
                               np.linalg.norm(x, 1, axis=(1, 2), keepdims=True))
    with pytest.raises(TypeError, match="axis or dim"):
        cr.linalg.norm(x, axis=0, dim=0)


def test_numpys_own_functions_dispatch_on_tensors_and_record():
    a = cr.tensor(_rand(4, 3), requires_grad=True)
    for out in (np.linalg.svd(a, full_matrices=False).S, np.linalg.svdvals(a),
                np.linalg.qr(a).R, np.linalg.norm(a, "nuc"), np.linalg.cond(a),
                np.linalg.eigvalsh(a.T @ a), np.linalg.lstsq(a, np.ones(4))[0]):
        assert out.requires_grad


def test_results_are_numpy2s_named_tuples():
    a = _rand(4, 3)
    t = cr.tensor(a)
    u, s, vh = cnp.linalg.svd(t, full_matrices=False)
    res = cnp.linalg.svd(t, full_matrices=False)
    assert (res.U is u or np.array_equal(res.U.data, u.data)) and res.S.shape == (3,)
    assert res.Vh.shape == (3, 3)
    w = cnp.linalg.eigh(t.T @ t)
    assert w.eigenvalues.shape == (3,) and w.eigenvectors.shape == (3, 3)
    q = cnp.linalg.qr(t)
    assert q.Q.shape == (4, 3) and q.R.shape == (3, 3)
    sd = cnp.linalg.slogdet(t.T @ t)
    assert sd.sign.data == 1 and np.isclose(sd.logabsdet.data, np.linalg.slogdet(a.T @ a)[1])
    # On plain arrays the functions are NumPy's, results included.
    assert type(cnp.linalg.svd(a)) is type(np.linalg.svd(a))


def test_every_linalg_function_has_an_op_database_entry():
    import inspect

    from opdb import OPS

    covered = {op.name.split(" ")[0] for op in OPS}
    missing = []
    for prefix, module in (("cnp.linalg", cnp.linalg), ("cr.linalg", cr.linalg)):
        for name in dir(module):
            obj = getattr(module, name)
            if name.startswith("_") or not callable(obj) or inspect.isclass(obj):
                continue
            # cr.linalg's NumPy names are cnp.linalg's functions: one entry serves both.
            same = getattr(cnp.linalg, name, None) is obj
            if f"{prefix}.{name}" not in covered and not (same and f"cnp.linalg.{name}" in covered):
                missing.append(f"{prefix}.{name}")
    assert not missing, missing


# ---------------------------------------------------------------------- svd
def test_svd_gradient_of_the_nuclear_and_spectral_norms():
    a = _rand(4, 3)
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(cr.grad(lambda x: cnp.linalg.norm(x, "nuc"))(a), u @ vh,
                               atol=1e-12)
    np.testing.assert_allclose(cr.grad(lambda x: cnp.linalg.norm(x, 2))(a),
                               np.outer(u[:, 0], vh[0]), atol=1e-12)
    np.testing.assert_allclose(cr.grad(lambda x: cnp.linalg.norm(x, -2))(a),
                               np.outer(u[:, -1], vh[-1]), atol=1e-12)


def test_svd_reconstruction_gradient_is_the_identity_map():
    # A = U diag(S) Vh, so d sum(G * U S Vh) / dA = G, through every factor's rule.
    g = _rand(3, 5)
    for full in (False, True):
        def f(x, full=full):
            u, s, vh = cnp.linalg.svd(x, full_matrices=full)
            k = s.shape[-1]
            return cnp.sum(g * ((u[:, :k] * s) @ vh[:k]))

        np.testing.assert_allclose(cr.grad(f)(_rand(3, 5)), g, atol=1e-10)


def test_svd_hermitian_matches_numpy_and_differentiates_through_eigh():
    b = _rand(3, 3)
    a = b + b.T
    got = cnp.linalg.svd(cr.tensor(a), hermitian=True)
    want = np.linalg.svd(a, hermitian=True)
    for x, y in zip(got, want):
        np.testing.assert_allclose(x.data, y, atol=1e-12)
    # The nuclear norm of a symmetric matrix is sum |w|: gradient V sign(w) V^T.
    w, v = np.linalg.eigh(a)
    grad = cr.grad(lambda x: cnp.sum(cnp.linalg.svd((x + x.T) / 2, compute_uv=False,
                                                    hermitian=True)))(a)
    np.testing.assert_allclose(grad, v @ np.diag(np.sign(w)) @ v.T, atol=1e-10)


def test_pinv_agrees_with_the_pseudo_inverse_built_from_svd():
    a = _rand(4, 3)

    def from_svd(x):
        u, s, vh = cnp.linalg.svd(x, full_matrices=False)
        return cnp.swapaxes(vh, -1, -2) @ (cnp.swapaxes(u, -1, -2) / s[:, None])

    w = _rand(3, 4)
    np.testing.assert_allclose(cnp.linalg.pinv(cr.tensor(a)).data, from_svd(cr.tensor(a)).data,
                               atol=1e-12)
    g1 = cr.grad(lambda x: cnp.sum(w * cnp.linalg.pinv(x)))(a)
    g2 = cr.grad(lambda x: cnp.sum(w * from_svd(x)))(a)
    np.testing.assert_allclose(g1, g2, atol=1e-10)
    h1 = cr.hvp(lambda x: cnp.sum(w * cnp.linalg.pinv(x)), a, w.T)
    h2 = cr.hvp(lambda x: cnp.sum(w * from_svd(x)), a, w.T)
    np.testing.assert_allclose(h1, h2, atol=1e-8)


def test_values_only_paths_skip_the_vectors_but_keep_tensors():
    a = cr.tensor(_rand(3, 3), requires_grad=True)
    with cr.no_grad():
        s = cnp.linalg.svdvals(a)
        w = cnp.linalg.eigvalsh(a)
    for out in (s, w):
        assert isinstance(out, cr.Tensor) and not out.requires_grad
    np.testing.assert_allclose(s.data, np.linalg.svd(a.data, compute_uv=False))
    assert cnp.linalg.svdvals(a).requires_grad


# --------------------------------------------------------------------- eigh
def test_eigh_gradient_is_symmetric_and_reads_the_matrix_as_symmetric():
    b = _rand(4, 4)
    a = b + b.T
    v0 = _rand(4)
    grad = cr.grad(lambda x: cnp.sum(cnp.linalg.eigh(x).eigenvectors[:, 0] * v0) ** 2)(a)
    np.testing.assert_allclose(grad, grad.T, atol=1e-12)
    # UPLO='U' reads the other triangle; the same symmetric matrix gives the same result.
    low = cnp.linalg.eigvalsh(cr.tensor(a))
    up = cnp.linalg.eigvalsh(cr.tensor(np.triu(a) + np.triu(a, 1).T * 0), UPLO="U")
    np.testing.assert_allclose(low.data, up.data, atol=1e-12)


def test_trace_of_a_function_matches_the_matrix_exponential():
    # d tr(exp(A)) / dA = exp(A) for symmetric A, the eigenvalue rule against expm.
    b = _rand(4, 4)
    a = (b + b.T) / 2
    grad = cr.grad(lambda x: cnp.sum(cnp.exp(cnp.linalg.eigvalsh(x))))(a)
    np.testing.assert_allclose(grad, cr.linalg.matrix_exp(a), rtol=1e-10)


# ----------------------------------------------------------------------- qr
def test_qr_modes_follow_numpy():
    a = _rand(2, 5, 3)
    t = cr.tensor(a, requires_grad=True)
    for mode in ("reduced", "complete"):
        q, r = cnp.linalg.qr(t, mode=mode)
        nq, nr = np.linalg.qr(a, mode=mode)
        np.testing.assert_allclose(q.data, nq, atol=1e-12)
        np.testing.assert_allclose(r.data, nr, atol=1e-12)
    np.testing.assert_allclose(cnp.linalg.qr(t, mode="r").data, np.linalg.qr(a, mode="r"),
                               atol=1e-12)
    with pytest.raises(TypeError, match="mode='raw'"):
        cnp.linalg.qr(t, mode="raw")
    h, tau = cnp.linalg.qr(cr.tensor(a), mode="raw")
    np.testing.assert_array_equal(h.data, np.linalg.qr(a, mode="raw")[0])
    with pytest.raises(ValueError, match="unrecognized mode 'economy'"):
        cnp.linalg.qr(t, mode="economy")


def test_qr_r_alone_is_differentiable():
    # ||R||_F = ||A||_F (Q has orthonormal columns), so the gradient of sum(R^2) is 2 A.
    a = _rand(5, 3)
    grad = cr.grad(lambda x: cnp.sum(cnp.linalg.qr(x, mode="r") ** 2))(a)
    np.testing.assert_allclose(grad, 2 * a, atol=1e-10)


# -------------------------------------------------------------------- lstsq
def test_lstsq_returns_numpys_residuals_rank_and_singular_values():
    for a_shape, b_shape in [((5, 3), (5,)), ((5, 3), (5, 2)), ((3, 5), (3,))]:
        a, b = _rand(*a_shape), _rand(*b_shape)
        got = cnp.linalg.lstsq(cr.tensor(a, requires_grad=True), cr.tensor(b))
        want = np.linalg.lstsq(a, b)
        np.testing.assert_allclose(got[0].data, want[0], atol=1e-12)
        assert got[1].shape == want[1].shape
        np.testing.assert_allclose(got[1].data, want[1], atol=1e-12)
        assert got[2] == want[2] and type(got[2]) is type(want[2])
        np.testing.assert_allclose(got[3].data, want[3], atol=1e-12)


def test_lstsq_solution_gradient_of_an_overdetermined_system():
    # x = (A^T A)^-1 A^T b for full column rank: the gradient in b is A (A^T A)^-1 w.
    a, b, w = _rand(6, 3), _rand(6), _rand(3)
    grad_b = cr.grad(lambda y: cnp.sum(w * cnp.linalg.lstsq(a, y)[0]), argnum=0)(b)
    np.testing.assert_allclose(grad_b, a @ np.linalg.solve(a.T @ a, w), atol=1e-12)
    cr.gradcheck(lambda x, y: cnp.linalg.lstsq(x, y)[1], a, b, order=2)


def test_lstsq_rank_deficient_uses_the_cutoff():
    a = np.outer(_rand(4), _rand(3)) + 1e-14 * _rand(4, 3)
    x, res, rank, s = cnp.linalg.lstsq(cr.tensor(a), np.ones(4), rcond=1e-10)
    assert rank == 1 and res.shape == (0,)
    np.testing.assert_allclose(x.data, np.linalg.lstsq(a, np.ones(4), rcond=1e-10)[0])


# --------------------------------------------------------- solve_triangular
def test_solve_triangular_reads_one_triangle_only():
    a = _rand(3, 3) + 3 * np.eye(3)
    b = _rand(3, 2)
    t = cr.tensor(a, requires_grad=True)
    x = cr.linalg.solve_triangular(t, b, lower=True)
    np.testing.assert_allclose(x.data, np.linalg.solve(np.tril(a), b), atol=1e-12)
    cnp.sum(x).backward()
    assert np.all(np.triu(t.grad, 1) == 0)
    t.grad = None
    cnp.sum(cr.linalg.solve_triangular(t, b, unit_diagonal=True)).backward()
    assert np.all(np.tril(t.grad) == 0)


def test_solve_triangular_errors_name_the_problem():
    a = np.triu(_rand(3, 3)) + 3 * np.eye(3)
    with pytest.raises(ValueError, match="trans must be"):
        cr.linalg.solve_triangular(a, np.ones(3), trans="X")
    with pytest.raises(ValueError, match="infs or NaNs"):
        cr.linalg.solve_triangular(a, np.array([1.0, np.nan, 0.0]))
    with pytest.raises(np.linalg.LinAlgError, match="singular"):
        cr.linalg.solve_triangular(np.triu(np.ones((3, 3))) - np.eye(3), np.ones(3))
    with pytest.raises(ValueError, match="disagree"):
        cr.linalg.solve_triangular(a, np.ones(3), lower=True, upper=True)
    with pytest.raises(ValueError, match="square"):
        cr.linalg.solve_triangular(cr.tensor(np.ones((2, 3))), np.ones(2))


# --------------------------------------------------------------------- expm
def test_matrix_exp_identities():
    a = _rand(2, 4, 4) * np.array([0.1, 6.0])[:, None, None]
    e, inv = cr.linalg.matrix_exp(a), cr.linalg.matrix_exp(-a)
    # exp(A) exp(-A) = I, up to rounding in the product of the two norms.
    scale = np.linalg.norm(e, axis=(-2, -1)) * np.linalg.norm(inv, axis=(-2, -1))
    err = np.abs(e @ inv - np.eye(4)).max(axis=(-2, -1))
    assert np.all(err < 1e-14 * scale), (err, scale)
    # Each matrix is scaled on its own: the batch equals the matrices one by one.
    for i in range(2):
        np.testing.assert_allclose(e[i], cr.linalg.matrix_exp(a[i]), rtol=1e-14, atol=0)
    d = np.diag([0.5, -1.0, 2.0])
    np.testing.assert_allclose(cr.linalg.matrix_exp(d), np.diag(np.exp([0.5, -1.0, 2.0])),
                               rtol=1e-14)
    f32 = cr.linalg.matrix_exp(a.astype(np.float32))
    assert f32.dtype == np.float32
    np.testing.assert_allclose(f32, e, rtol=1e-4, atol=1e-4)


def test_matrix_exp_gradient_of_a_commuting_direction():
    # For A = diag(d), d exp(A)[i, i] / dA[i, i] = exp(d_i).
    d = np.array([0.3, -0.7, 1.1])
    grad = cr.grad(lambda x: cnp.trace(cr.linalg.matrix_exp(x)))(np.diag(d))
    np.testing.assert_allclose(np.diag(grad), np.exp(d), rtol=1e-12)
    cr.gradcheck(cr.linalg.matrix_exp, _rand(2, 3, 3) * 2, order=2)


# -------------------------------------------------------- cond, rank, norms
def test_cond_of_a_singular_matrix_is_infinite_as_numpys():
    s = np.array([[1.0, 0.0], [3.0, 0.0]])
    for p in (None, 2, -2, "fro", 1, np.inf):
        got = cnp.linalg.cond(cr.tensor(s, requires_grad=True), p)
        np.testing.assert_array_equal(got.data, np.linalg.cond(s, p))
        assert np.isinf(got.data) or p == -2
    assert np.isinf(cnp.linalg.cond(cr.tensor(np.zeros((2, 2)))).data)


def test_matrix_rank_is_numpys_and_carries_no_gradient():
    a = np.outer(_rand(4), _rand(3))
    r = cnp.linalg.matrix_rank(cr.tensor(a, requires_grad=True))
    assert not r.requires_grad and int(r.data) == 1 == np.linalg.matrix_rank(a)


def test_norm_errors_are_numpys():
    t = cr.tensor(_rand(2, 3, 4))
    with pytest.raises(ValueError, match="improper number of dimensions"):
        cnp.linalg.norm(t, 2)
    with pytest.raises(ValueError, match="invalid norm order"):
        cnp.linalg.norm(t, 3, axis=(0, 1))


def test_eigh_uplo_is_checked():
    with pytest.raises(ValueError, match="UPLO"):
        cnp.linalg.eigh(cr.tensor(np.eye(2)), UPLO="X")


# ------------------------------------------------------------------ explain
@pytest.mark.parametrize("name", ["eigh", "svd"])
def test_explain_states_the_degenerate_behaviour(name):
    buf = io.StringIO()
    err = cr.explain(name, file=buf)
    assert "not determined" in buf.getvalue()
    assert err < 1e-7


def test_det_is_differentiable_at_singular_matrices():
    # d det / dA = adj(A)^T (Jacobi), finite where det(A) A^-T is 0 * inf
    def numeric(a, h=1e-6):
        out = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            e = np.zeros_like(a)
            e[i] = h
            out[i] = (np.linalg.det(a + e) - np.linalg.det(a - e)) / (2 * h)
        return out

    rank_one = np.array([[1.0, 2.0], [2.0, 4.0]])
    rank_two = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [5.0, 7.0, 9.0]])
    thin = np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0])
    regular = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]])
    np.testing.assert_allclose(cr.grad(cr.numpy.linalg.det)(rank_one), [[4, -2], [-2, 1]])
    for a in (rank_two, thin, regular):
        np.testing.assert_allclose(cr.grad(cr.numpy.linalg.det)(a), numeric(a), atol=1e-8)
    batch = np.stack([rank_two, regular, thin])
    np.testing.assert_allclose(cr.grad(lambda b: cr.numpy.sum(cr.numpy.linalg.det(b)))(batch),
                               [numeric(a) for a in batch], atol=1e-8)
    np.testing.assert_allclose(cr.jacfwd(cr.numpy.linalg.det)(rank_one), [[4, -2], [-2, 1]])
    # float32 kept, and exact for a small integer matrix
    g32 = cr.grad(cr.numpy.linalg.det)(regular.astype(np.float32))
    assert g32.dtype == np.float32
    np.testing.assert_array_equal(g32, np.round(numeric(regular)))


def test_pinv_and_lstsq_that_drop_nonzero_singular_values_differentiate_what_they_return():
    # a cutoff dropping nonzero singular values: the derivative of the truncated inverse
    # (the kept singular vectors turn toward the dropped ones), not the constant-rank rule
    rng = np.random.default_rng(3)
    a = rng.standard_normal((4, 4))
    w = rng.standard_normal((4, 4))

    def numeric(f, x, h=1e-6):
        out = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            e = np.zeros_like(x)
            e[i] = h
            out[i] = (f(x + e) - f(x - e)) / (2 * h)
        return out

    got = cr.grad(lambda m: cr.numpy.sum(cr.numpy.linalg.pinv(m, rcond=0.5) * w))(a)
    want = numeric(lambda m: np.sum(np.linalg.pinv(m, rcond=0.5) * w), a)
    np.testing.assert_allclose(got, want, atol=1e-7)
    np.testing.assert_allclose(cr.numpy.linalg.pinv(cr.tensor(a), rcond=0.5).data,
                               np.linalg.pinv(a, rcond=0.5), rtol=1e-12, atol=1e-14)
    r, b, v = rng.standard_normal((5, 3)), rng.standard_normal(5), rng.standard_normal(3)
    got = cr.grad(lambda m: cr.numpy.linalg.lstsq(m, b, rcond=0.5)[0] @ v)(r)
    want = numeric(lambda m: np.linalg.lstsq(m, b, rcond=0.5)[0] @ v, r)
    np.testing.assert_allclose(got, want, atol=1e-7)
    # a numerically rank-deficient matrix with the default cutoff keeps the exact rule
    low = rng.standard_normal((4, 2)) @ rng.standard_normal((2, 3))
    got = cr.grad(lambda m: cr.numpy.sum(cr.numpy.linalg.pinv(m) * w[:3]))(low)
    assert np.all(np.isfinite(got))


def test_norms_of_integer_tensors_are_float64_as_numpys():
    a = np.array([[1, 2], [3, 4]])
    for order in (None, 1, 2, np.inf, "fro", "nuc", -1):
        got = cr.numpy.linalg.norm(cr.tensor(a), ord=order)
        assert got.dtype == np.float64, order
        np.testing.assert_allclose(got.data, np.linalg.norm(a, ord=order))
    assert cr.numpy.linalg.vector_norm(cr.tensor(np.array([3, 4]))).data == 5.0
    assert cr.numpy.linalg.matrix_norm(cr.tensor(a)).dtype == np.float64


def test_pinv_with_repeated_kept_singular_values_keeps_the_constant_rank_rule():
    # the SVD's rule is not defined at a repeated singular value; the constant-rank rule
    # (exact as the dropped value goes to 0) is kept there: 1e-3 off for a dropped 1e-3
    a = np.diag([1.0, 1.0, 1e-3])
    w = np.arange(9.0).reshape(3, 3) / 9
    got = cr.grad(lambda m: cr.numpy.sum(cr.numpy.linalg.pinv(m, rcond=1e-2) * w))(a)
    h = 1e-6
    want = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        e = np.zeros_like(a)
        e[i] = h
        want[i] = (np.sum(np.linalg.pinv(a + e, rcond=1e-2) * w)
                   - np.sum(np.linalg.pinv(a - e, rcond=1e-2) * w)) / (2 * h)
    np.testing.assert_allclose(got, want, atol=2e-3)
