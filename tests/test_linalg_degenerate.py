"""Repeated and zero eigenvalues and singular values: what the decompositions' rules give.

The documented behaviour (docs/api.md, "Linear algebra"; chainrule.primitives.spectral):
at an exact tie the terms that divide by the zero gap are exactly 0. Quantities of the
spectrum alone (sums and functions of eigenvalues, norms of singular values) and of whole
eigenspaces keep exact gradients; everything stays finite in reverse and forward mode and
to second order; reconstructions are exact near a tie and finite at an exact one.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp

RNG = np.random.default_rng(11)
Q4, _ = np.linalg.qr(RNG.standard_normal((4, 4)))
G4 = RNG.standard_normal((4, 4))


def _with_spectrum(values, q=Q4):
    a = q @ np.diag(values) @ q.T
    return (a + a.T) / 2


# Exactly repeated (up to the rounding of Q diag(w) Q^T), the identity, and zero.
TIED = {
    "three equal of four": _with_spectrum([1.0, 1.0, 1.0, 3.0]),
    "two pairs": _with_spectrum([-2.0, -2.0, 0.5, 0.5]),
    "identity": np.eye(4),
    "zero": np.zeros((4, 4)),
}


def _finite(x):
    return np.all(np.isfinite(x))


def _eig(x):
    return cnp.linalg.eigh(x)


# ------------------------------------------------------------- eigenvalues
@pytest.mark.parametrize("name", sorted(TIED))
def test_functions_of_eigenvalues_keep_exact_gradients_at_ties(name):
    a = TIED[name]
    # Through eigh (with its eigenvector output present) and through eigvalsh.
    for values in (lambda x: _eig(x).eigenvalues, cnp.linalg.eigvalsh):
        g_sum = cr.grad(lambda x, v=values: cnp.sum(v(x)))(a)
        np.testing.assert_allclose(g_sum, np.eye(4), atol=1e-12)
        g_exp = cr.grad(lambda x, v=values: cnp.sum(cnp.exp(v(x))))(a)
        np.testing.assert_allclose(g_exp, cr.linalg.matrix_exp(a), atol=1e-12)
    # Forward mode: d tr(A) along E is tr(E), d tr(exp A) along E is <exp(A), sym E>.
    e = RNG.standard_normal((4, 4))
    _, t = cr.jvp(lambda x: cnp.sum(cnp.exp(_eig(x).eigenvalues)), (a,), (e,))
    np.testing.assert_allclose(t, np.sum(cr.linalg.matrix_exp(a) * (e + e.T) / 2), atol=1e-12)


@pytest.mark.parametrize("name", sorted(TIED))
def test_second_derivatives_stay_finite_at_ties(name):
    a = TIED[name]
    h = cr.hessian(lambda x: cnp.sum(cnp.exp(_eig(x).eigenvalues)))(a)
    assert _finite(h)
    hv = cr.hvp(lambda x: cnp.sum(_eig(x).eigenvalues ** 3), a, G4)
    assert _finite(hv)


def test_projector_onto_a_whole_eigenspace_keeps_its_exact_gradient():
    # P = V_B V_B^T over the repeated block is determined (V_B is not): its gradient at the
    # tie equals the limit from split eigenvalues.
    def f(x):
        v = _eig(x).eigenvectors[:, :3]
        return cnp.sum(G4 * (v @ v.T))

    at_tie = cr.grad(f)(TIED["three equal of four"])
    near = cr.grad(f)(_with_spectrum([1.0, 1.0 + 1e-7, 1.0 - 1e-7, 3.0]))
    assert _finite(at_tie)
    np.testing.assert_allclose(at_tie, near, atol=1e-6)


def test_reconstruction_is_exact_near_a_tie_and_finite_at_it():
    def recon(x):
        w, v = _eig(x)
        return cnp.sum(G4 * ((v * w) @ v.T))

    want = (G4 + G4.T) / 2  # the reconstruction is A itself
    near = cr.grad(recon)(_with_spectrum([1.0, 1.0 + 1e-6, 1.0 + 2e-6, 3.0]))
    np.testing.assert_allclose(near, want, atol=1e-8)
    at_tie = cr.grad(recon)(TIED["three equal of four"])
    assert _finite(at_tie)
    # What is dropped at the exact tie is the off-diagonal of the repeated block, in the
    # eigenbasis LAPACK returned; everything else is exact.
    v = np.linalg.eigh(TIED["three equal of four"])[1]
    diff = v.T @ (at_tie - want) @ v
    block = np.zeros((4, 4), bool)
    block[:3, :3] = ~np.eye(3, dtype=bool)
    np.testing.assert_allclose(diff[~block], 0, atol=1e-12)
    np.testing.assert_allclose(diff[block], -(v.T @ want @ v)[block], atol=1e-12)


def test_eigenvectors_of_a_repeated_eigenvalue_get_finite_gradients():
    # Undefined mathematically (documented); never NaN.
    for name, a in TIED.items():
        g = cr.grad(lambda x: cnp.sum(_eig(x).eigenvectors[:, 0] ** 3))(a)
        assert _finite(g), name
        _, t = cr.jvp(lambda x: _eig(x).eigenvectors, (a,), (G4,))
        assert _finite(t), name


# -------------------------------------------------------- singular values
def _with_singular_values(values, m=5, n=4):
    u, _ = np.linalg.qr(RNG.standard_normal((m, m)))
    v, _ = np.linalg.qr(RNG.standard_normal((n, n)))
    s = np.zeros((m, n))
    s[: len(values), : len(values)] = np.diag(values)
    return u @ s @ v.T


SVD_TIED = {
    "repeated": _with_singular_values([2.0, 2.0, 2.0, 0.5]),
    "repeated largest and a zero": _with_singular_values([3.0, 3.0, 1.0, 0.0]),
    "rank one": _with_singular_values([1.5, 0.0, 0.0, 0.0]),
    "zero": np.zeros((5, 4)),
    "square identity": np.eye(4),
}


def _svd(x, full=False):
    return cnp.linalg.svd(x, full_matrices=full)


@pytest.mark.parametrize("name", sorted(SVD_TIED))
@pytest.mark.parametrize("full", [False, True])
def test_functions_of_singular_values_keep_finite_gradients(name, full):
    a = SVD_TIED[name]
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    # Nuclear norm through svd's S (vectors present in the graph): U V^T, a subgradient
    # where some s = 0, the gradient where all are positive.
    g = cr.grad(lambda x: cnp.sum(_svd(x, full).S))(a)
    np.testing.assert_allclose(g, u @ vh, atol=1e-12)
    g2 = cr.grad(lambda x: cnp.sum(_svd(x, full).S ** 2))(a)
    np.testing.assert_allclose(g2, 2 * a, atol=1e-12)
    _, t = cr.jvp(lambda x: cnp.sum(_svd(x, full).S ** 2), (a,), (np.ones_like(a),))
    np.testing.assert_allclose(t, 2 * a.sum(), atol=1e-12)
    assert _finite(cr.hessian(lambda x: cnp.sum(_svd(x, full).S ** 2))(a))


def test_nuclear_norm_is_exact_at_repeated_positive_singular_values():
    a = SVD_TIED["repeated"]
    u, _, vh = np.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(cr.grad(lambda x: cnp.linalg.norm(x, "nuc"))(a), u @ vh,
                               atol=1e-12)


def test_spectral_norm_at_a_repeated_largest_value_takes_the_smallest_subgradient():
    # ||A||_2 at A = diag(2, 2, 1): the subgradients are the convex hull of u v^T over
    # the top pair; the shared one, (e1 e1^T + e2 e2^T) / 2, is the smallest.
    a = np.diag([2.0, 2.0, 1.0])
    np.testing.assert_allclose(cr.grad(lambda x: cnp.linalg.norm(x, 2))(a),
                               np.diag([0.5, 0.5, 0.0]), atol=1e-12)
    np.testing.assert_allclose(cr.grad(lambda x: cnp.linalg.cond(x))(np.eye(3)),
                               np.zeros((3, 3)), atol=1e-12)


@pytest.mark.parametrize("name", sorted(SVD_TIED))
def test_svd_reconstruction_stays_finite(name):
    a = SVD_TIED[name]
    g = RNG.standard_normal(a.shape)
    for full in (False, True):
        def recon(x, full=full):
            u, s, vh = _svd(x, full)
            k = s.shape[-1]
            return cnp.sum(g * ((u[:, :k] * s) @ vh[:k]))

        grad = cr.grad(recon)(a)
        assert _finite(grad)
        _, t = cr.jvp(recon, (a,), (g,))
        assert np.isfinite(t)


def test_svd_reconstruction_is_exact_near_repeated_values():
    a = _with_singular_values([2.0, 2.0 + 1e-6, 1.0, 0.5])
    g = RNG.standard_normal(a.shape)

    def recon(x):
        u, s, vh = _svd(x)
        return cnp.sum(g * ((u * s) @ vh))

    np.testing.assert_allclose(cr.grad(recon)(a), g, atol=1e-8)


def test_complement_of_a_full_svd_is_differentiated_without_rotating():
    # U_x U_x^T = I - U_k U_k^T does not depend on the basis of the complement: exact.
    a = RNG.standard_normal((5, 3))
    w = RNG.standard_normal((5, 5))

    def projector(x, full):
        u = _svd(x, full).U
        if full:
            ux = u[:, 3:]
            return cnp.sum(w * (ux @ ux.T))
        return cnp.sum(w * (np.eye(5) - u @ u.T))

    np.testing.assert_allclose(cr.grad(lambda x: projector(x, True))(a),
                               cr.grad(lambda x: projector(x, False))(a), atol=1e-12)


def _det_hessian(a):
    """d^2 det / dA_ij dA_kl written out: det is linear in each row and each column, so
    it is 0 when i = k or j = l, and otherwise the signed minor of A without rows i, k
    and columns j, l (Laplace's expansion twice)."""
    n = a.shape[0]
    h = np.zeros((n, n, n, n))
    for i, j, k, m in np.ndindex(n, n, n, n):
        if i == k or j == m:
            continue
        rows = [r for r in range(n) if r not in (i, k)]
        cols = [c for c in range(n) if c not in (j, m)]
        minor = np.linalg.det(a[np.ix_(rows, cols)]) if rows else 1.0
        h[i, j, k, m] = ((-1) ** (i + j + k + m) * np.sign(k - i) * np.sign(m - j)
                         * minor)
    return h


@pytest.mark.parametrize("a", [
    np.array([[1.0, 2.0], [2.0, 4.0]]),  # rank 1 of 2
    np.arange(1.0, 10.0).reshape(3, 3),  # rank 2 of 3
    np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0]),  # rank 1 of 3
    np.zeros((3, 3)),
    np.diag([2.0, 0.0, 0.0, 3.0]),  # two zero singular values of four
    np.random.default_rng(0).standard_normal((4, 4)),  # invertible
], ids=["rank1of2", "rank2of3", "rank1of3", "zero3", "rank2of4", "invertible4"])
def test_hessian_of_det_is_exact_at_singular_matrices(a):
    # The cofactor's derivative goes through the SVD, with no division by det (it was
    # (<G, C> C - C G^T C) / det A: NaN and inf at every singular matrix).
    want = _det_hessian(a)
    scale = max(1.0, np.max(np.abs(want)))
    for h in (cr.hessian(cnp.linalg.det)(a), cr.jacfwd(cr.grad(cnp.linalg.det))(a)):
        assert np.all(np.isfinite(h))
        assert np.max(np.abs(h - want)) <= 1e-13 * scale
