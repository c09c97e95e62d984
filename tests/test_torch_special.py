"""chainrule.torch.special: PyTorch's names and argument order over chainrule.scipy.special."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as ss

import chainrule.torch as torch

X = np.linspace(0.2, 2.8, 8)
P = np.linspace(0.05, 0.95, 8)

UNARY = {
    "bessel_j0": ss.j0, "bessel_j1": ss.j1, "bessel_y0": ss.y0, "bessel_y1": ss.y1,
    "digamma": ss.digamma, "psi": ss.psi, "entr": ss.entr, "erf": ss.erf, "erfc": ss.erfc,
    "erfcx": ss.erfcx, "expit": ss.expit, "exp2": np.exp2, "expm1": np.expm1,
    "gammaln": ss.gammaln, "i0": ss.i0, "i0e": ss.i0e, "i1": ss.i1, "i1e": ss.i1e,
    "modified_bessel_i0": ss.i0, "modified_bessel_i1": ss.i1, "log1p": np.log1p,
    "log_ndtr": ss.log_ndtr, "ndtr": ss.ndtr, "sinc": np.sinc,
    "spherical_bessel_j0": lambda x: np.sin(x) / x,
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_functions_are_scipys_and_differentiable(name):
    x = torch.tensor(X, requires_grad=True)
    y = getattr(torch.special, name)(x)
    assert isinstance(y, torch.Tensor) and y.dtype == torch.float64
    np.testing.assert_allclose(y.detach().numpy(), UNARY[name](X), rtol=1e-12)
    y.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


def test_pytorchs_argument_order_and_keywords():
    s = torch.special
    t, p = torch.tensor(X), torch.tensor(P)
    np.testing.assert_allclose(s.polygamma(2, t).numpy(), ss.polygamma(2, X), rtol=1e-12)
    np.testing.assert_allclose(s.multigammaln(t + 2, 3).numpy(), ss.multigammaln(X + 2, 3),
                               rtol=1e-12)
    np.testing.assert_allclose(s.logit(p).numpy(), ss.logit(P), rtol=1e-12)
    clamped = np.clip(X / 4, 0.1, 0.9)
    np.testing.assert_allclose(s.logit(t / 4, eps=0.1).numpy(), ss.logit(clamped), rtol=1e-12)
    np.testing.assert_allclose(s.ndtri(p).numpy(), ss.ndtri(P), rtol=1e-12)
    np.testing.assert_allclose(s.erfinv(p - 0.5).numpy(), ss.erfinv(P - 0.5), rtol=1e-12)
    np.testing.assert_allclose(s.gammainc(t, p).numpy(), ss.gammainc(X, P), rtol=1e-12)
    np.testing.assert_allclose(s.gammaincc(t, p).numpy(), ss.gammaincc(X, P), rtol=1e-12)
    np.testing.assert_allclose(s.xlog1py(t, p).numpy(), ss.xlog1py(X, P), rtol=1e-12)
    np.testing.assert_allclose(s.xlogy(t, p).numpy(), ss.xlogy(X, P), rtol=1e-12)
    m = torch.tensor(X.reshape(2, 4))
    np.testing.assert_allclose(s.softmax(m, 1).numpy(), ss.softmax(X.reshape(2, 4), axis=1),
                               rtol=1e-12)
    np.testing.assert_allclose(s.log_softmax(m, dim=0).numpy(),
                               ss.log_softmax(X.reshape(2, 4), axis=0), rtol=1e-12)
    np.testing.assert_allclose(s.logsumexp(m, 1, keepdim=True).numpy(),
                               ss.logsumexp(X.reshape(2, 4), axis=1, keepdims=True), rtol=1e-12)
    assert s.round(torch.tensor([0.5, 1.5, 2.25])).tolist() == [0.0, 2.0, 2.0]


def test_integer_input_computes_in_the_default_float_dtype():
    out = torch.special.ndtr(torch.tensor([0, 1, 2]))
    assert out.dtype == torch.float32
    np.testing.assert_allclose(out.numpy(), ss.ndtr([0, 1, 2]), rtol=1e-6)
