"""chainrule.torch's wider namespace (chainrule/torch/more_functions.py): PyTorch's
arguments and semantics, checked against NumPy references and finite differences.
(Parity with PyTorch itself: /tmp-style scripts run where torch is installed; these run
everywhere.)"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.torch as torch

rng = np.random.default_rng(0)
X = rng.standard_normal((4, 5))
Y = rng.standard_normal((4, 5)) + 0.1
M = rng.standard_normal((3, 3)) + 3 * np.eye(3)
V = rng.standard_normal(3)


def t(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


# The names real PyTorch programs call most, present under torch.* (each checked below or
# by the parity run recorded in the closing note of the front-end work).
NAMES = """add sub mul neg clone all any ceil floor round ge le tan sinh cosh asin acos atan
atan2 hypot exp2 log2 log10 logaddexp lerp addcmul addcdiv addmm addmv addr baddbmm addbmm
amax amin aminmax median nanmedian quantile nansum nanmean cumprod cummax cummin
logcumsumexp kthvalue diff trapezoid cov corrcoef cdist det logdet inverse pinverse
cholesky matrix_power matrix_exp svd hstack vstack dstack column_stack hsplit vsplit
tensor_split atleast_1d atleast_2d broadcast_to broadcast_tensors moveaxis movedim
swapaxes ravel unflatten select take take_along_dim tile rot90 fliplr flipud diag
diagflat diagonal diag_embed block_diag cartesian_prod combinations vander logspace
meshgrid nonzero masked_select index_add index_fill argwhere gradient digamma lgamma erfc
erfinv polygamma logit xlogy i0 sinc deg2rad isclose isin nan_to_num bincount bucketize
searchsorted unique unique_consecutive mode count_nonzero dist trace inner kron tensordot
cross chain_matmul mv dot fmax fmin copysign heaviside frac trunc sgn signbit""".split()


def test_the_common_names_are_there():
    assert [n for n in NAMES if not hasattr(torch, n)] == []
    x = torch.zeros(2, 3)
    for method in ("amax", "amin", "addmm", "addcmul", "diag", "diagonal", "lerp",
                   "nanmean", "select", "unfold", "unique"):
        assert callable(getattr(x, method)), method


@pytest.mark.parametrize("name, fn, want", [
    ("atan2", lambda: torch.atan2(t(X), t(Y)), np.arctan2(X, Y)),
    ("hypot", lambda: torch.hypot(t(X), t(Y)), np.hypot(X, Y)),
    ("logaddexp", lambda: torch.logaddexp(t(X), t(Y)), np.logaddexp(X, Y)),
    ("add alpha", lambda: torch.add(t(X), t(Y), alpha=2.5), X + 2.5 * Y),
    ("sub alpha", lambda: torch.sub(t(X), t(Y), alpha=0.5), X - 0.5 * Y),
    ("addcmul", lambda: torch.addcmul(t(X), t(Y), t(X), value=0.5), X + 0.5 * Y * X),
    ("addmm beta 0 ignores nan", lambda: torch.addmm(t(np.full((4, 4), np.nan)), t(X), t(Y).t(),
                                                     beta=0, alpha=2), 2 * X @ Y.T),
    ("addr", lambda: torch.addr(t(M), t(V), t(V), beta=2, alpha=0.5),
     2 * M + 0.5 * np.outer(V, V)),
    ("amax dims", lambda: torch.amax(t(X), dim=(0, 1), keepdim=True), X.max(keepdims=True)),
    ("amin", lambda: torch.amin(t(X), 1), X.min(1)),
    ("median lower middle", lambda: torch.median(t(X)), np.sort(X.ravel())[(X.size - 1) // 2]),
    ("cumprod", lambda: torch.cumprod(t(X), dim=1), np.cumprod(X, 1)),
    ("cumulative_trapezoid", lambda: torch.cumulative_trapezoid(t(X), dim=1),
     np.cumsum((X[:, 1:] + X[:, :-1]) / 2, axis=1)),
    ("cdist", lambda: torch.cdist(t(X), t(Y)),
     np.sqrt(((X[:, None, :] - Y[None, :, :]) ** 2).sum(-1))),
    ("cdist p=1", lambda: torch.cdist(t(X), t(Y), p=1), np.abs(X[:, None] - Y[None]).sum(-1)),
    ("logdet", lambda: torch.logdet(t(M @ M.T)), np.linalg.slogdet(M @ M.T)[1]),
    ("logdet negative", lambda: torch.logdet(t(-np.eye(3))), np.nan),
    ("cholesky upper", lambda: torch.cholesky(t(M @ M.T), upper=True),
     np.linalg.cholesky(M @ M.T).T),
    ("svd V", lambda: torch.svd(t(X)).V, np.linalg.svd(X, full_matrices=False)[2].T),
    ("tensor_split", lambda: torch.tensor_split(t(X), 3, dim=1)[2], X[:, 4:]),
    ("select", lambda: torch.select(t(X), 1, -1), X[:, -1]),
    ("take", lambda: torch.take(t(X), torch.tensor([0, 7, 19])), X.ravel()[[0, 7, 19]]),
    ("take_along_dim", lambda: torch.take_along_dim(t(X), torch.tensor([[0], [2], [1], [4]]), 1),
     np.take_along_axis(X, np.array([[0], [2], [1], [4]]), 1)),
    ("rot90", lambda: torch.rot90(t(X), 1, (0, 1)), np.rot90(X)),
    ("diag", lambda: torch.diag(t(V), 1), np.diag(V, 1)),
    ("diagonal", lambda: torch.diagonal(t(M), 1), np.diagonal(M, 1)),
    ("block_diag", lambda: torch.block_diag(t(M), t(V)),
     np.block([[M, np.zeros((3, 3))], [np.zeros((1, 3)), V[None]]])),
    ("cartesian_prod", lambda: torch.cartesian_prod(t(V), t(V[:2])),
     np.array([[a, b] for a in V for b in V[:2]])),
    ("combinations", lambda: torch.combinations(t(V)), np.array([[V[0], V[1]], [V[0], V[2]],
                                                                   [V[1], V[2]]])),
    ("vander", lambda: torch.vander(t(V), 4), np.vander(V, 4)),
    ("unflatten", lambda: torch.unflatten(t(X), 1, (1, 5)), X.reshape(4, 1, 5)),
    ("cross", lambda: torch.cross(t(M), t(M[::-1]), dim=1), np.cross(M, M[::-1], axis=1)),
    ("tensordot", lambda: torch.tensordot(t(X), t(Y), dims=([1], [1])), X @ Y.T),
    ("renorm", lambda: torch.renorm(t(X), 2, 0, 1.0),
     X * np.minimum(1, 1.0 / (np.linalg.norm(X, axis=1, keepdims=True) + 1e-7))),
    ("frac", lambda: torch.frac(t(X * 3)), X * 3 - np.trunc(X * 3)),
    ("logit eps", lambda: torch.logit(t(np.array([0.0, 0.5, 1.0])), eps=0.25),
     np.log(np.array([0.25, 0.5, 0.75]) / (1 - np.array([0.25, 0.5, 0.75])))),
])
def test_values_follow_pytorch_semantics(name, fn, want):
    got = fn()
    got = got.detach().numpy() if hasattr(got, "detach") else np.asarray(got)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, equal_nan=True)


def test_results_are_front_end_tensors():
    x = t(X)
    for out in (torch.gcd(torch.tensor([4, 6]), torch.tensor([6, 9])), torch.any(x > 0),
                torch.bincount(torch.tensor([0, 1, 1])), torch.atan2(x, x), torch.amax(x)):
        assert isinstance(out, torch.Tensor)
    assert torch.gcd(torch.tensor([4, 6]), torch.tensor([6, 9])).tolist() == [2, 3]


def test_aggregates_with_pytorch_return_types():
    x = t(X)
    lo, hi = torch.aminmax(x, dim=0)
    np.testing.assert_array_equal(lo.numpy(), X.min(0))
    np.testing.assert_array_equal(hi.numpy(), X.max(0))
    s, m = torch.std_mean(x, dim=1)
    np.testing.assert_allclose(s.numpy(), X.std(1, ddof=1))
    np.testing.assert_allclose(m.numpy(), X.mean(1))
    values, counts = torch.unique_consecutive(torch.tensor([1, 1, 2, 2, 3, 1, 1]),
                                              return_counts=True)
    assert values.tolist() == [1, 2, 3, 1] and counts.tolist() == [2, 2, 1, 2]
    mode = torch.mode(torch.tensor([[1.0, 2.0, 2.0, 3.0], [4.0, 4.0, 5.0, 5.0]]), dim=1)
    assert mode.values.tolist() == [2.0, 4.0] and mode.indices.tolist() == [2, 1]


@pytest.mark.parametrize("fn", [
    lambda a, b: torch.atan2(a, b + 3), lambda a, b: torch.hypot(a, b),
    lambda a, b: torch.logaddexp(a, b), lambda a, b: torch.lerp(a, b, 0.3),
    lambda a, b: torch.addcdiv(a, a, b + 3, value=2), lambda a, b: torch.amax(a * b, dim=1),
    lambda a, b: torch.cdist(a, b), lambda a, b: torch.cumprod(a, dim=1),
    lambda a, b: torch.logcumsumexp(a, dim=0), lambda a, b: torch.addmm(b[:, :4], a, b.T[:, :4]),
    lambda a, b: torch.baddbmm(a[None, :, :4], a[None], b.T[None, :, :4], beta=0.5),
    lambda a, b: torch.block_diag(a, b), lambda a, b: torch.renorm(a, 2, 0, 1.0),
    lambda a, b: torch.xlogy(a * a, b * b + 1), lambda a, b: torch.sinh(a) * torch.cosh(b),
], ids=lambda f: "")
def test_gradients_to_second_order(fn):
    a = rng.standard_normal((4, 5))
    b = rng.standard_normal((4, 5))
    assert cr.gradcheck(fn, a, b, order=2,
                        modes=("rev",))


def test_cdist_gradient_at_zero_distance_is_zero():
    x = t(X, grad=True)
    torch.cdist(x, x.detach()).sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_values_and_gradients(include_self):
    src0 = np.array([[1.0, 2.0], [1.0, -1.0], [3.0, 0.5]])
    inp0 = np.array([[0.5, 0.5], [2.0, 2.0]])
    index = torch.tensor([[0, 1], [0, 1], [1, 1]])
    for reduce in ("sum", "mean", "amax", "amin"):
        src, inp = t(src0, grad=True), t(inp0, grad=True)
        out = inp.scatter_reduce(0, index, src, reduce, include_self=include_self)
        want = inp0.copy()
        for col in range(2):
            for row in range(2):
                vals = [src0[i, col] for i in range(3) if index.numpy()[i, col] == row]
                if not vals:
                    continue
                pool = vals + ([inp0[row, col]] if include_self else [])
                want[row, col] = {"sum": np.sum, "mean": np.mean, "amax": np.max,
                                  "amin": np.min}[reduce](pool)
        np.testing.assert_allclose(out.detach().numpy(), want, err_msg=reduce)
        out.sum().backward()
        if reduce == "amax":  # column 0, row 0: the two sources tie (1.0, 1.0) and share
            assert src.grad.numpy()[0, 0] == src.grad.numpy()[1, 0] == (
                pytest.approx(1 / 3) if include_self and inp0[0, 0] == 1.0 else 0.5)
    for reduce in ("sum", "mean"):
        assert cr.gradcheck(
            lambda a, b, reduce=reduce: torch.scatter_reduce(
                a, 0, index, b, reduce, include_self=include_self).sum(),
            inp0, src0 * 1.3, order=2, modes=("rev",))
    with pytest.raises(ValueError, match="'sum', 'prod', 'mean', 'amax' or 'amin'"):
        t(inp0).scatter_reduce(0, index, t(src0), "max")


@pytest.mark.parametrize("name", ["fmax", "fmin"])
def test_fmax_fmin_give_a_ties_gradient_to_input_and_skip_nan(name):
    # PyTorch's rule: input gets the gradient where it wins or ties, or where other is
    # NaN; other only where it strictly wins or input alone is NaN.
    nan = np.nan
    a = torch.tensor([1.0, 2.0, nan, 3.0, nan, 5.0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([1.0, 1.0, 2.0, nan, nan, 7.0], dtype=torch.float64, requires_grad=True)
    y = getattr(torch, name)(a, b)
    y.backward(torch.arange(1.0, 7.0, dtype=torch.float64))
    expected = np.fmax(a.detach().numpy(), b.detach().numpy()) if name == "fmax" else \
        np.fmin(a.detach().numpy(), b.detach().numpy())
    np.testing.assert_array_equal(y.detach().numpy(), expected)
    wins = [1, 1, 0, 1, 1, 0] if name == "fmax" else [1, 0, 0, 1, 1, 1]
    np.testing.assert_array_equal(a.grad.numpy(), np.arange(1.0, 7.0) * wins)
    np.testing.assert_array_equal(b.grad.numpy(), np.arange(1.0, 7.0) * (1 - np.array(wins)))
