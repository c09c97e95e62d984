"""chainrule.torch against PyTorch 2.13, ninth round: mixed-dtype matrix products refused,
``torch.return_types`` for every function of several results, float16 reductions and
normalizations computed in float32, pooling/convolution shape errors as RuntimeError, and
``autograd.Function`` under ``torch.func.vmap`` (its ``vmap`` staticmethod and
``generate_vmap_rule``). Expected values come from NumPy or from identities."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule.torch as torch
import chainrule.torch.nn.functional as F
from chainrule.torch import nn


# ------------------------------------------------------------ 2. torch.return_types
def _check_named(result, name, fields):
    """``result`` is ``torch.return_types.<name>`` with ``fields``: a tuple that unpacks and
    indexes, each field the element at its position, printed one field per line."""
    assert type(result).__module__ == "torch.return_types"
    assert type(result).__name__ == name
    assert isinstance(result, getattr(torch.return_types, name))
    assert isinstance(result, tuple) and len(result) == len(fields)
    assert result._fields == tuple(fields)
    for k, field in enumerate(fields):
        assert getattr(result, field) is result[k]
    unpacked = tuple(result)
    assert all(a is b for a, b in zip(unpacked, result))
    text = repr(result)
    assert text.startswith(f"torch.return_types.{name}(\n{fields[0]}=")
    assert all(f"\n{field}=" in text for field in fields) and text.endswith(")")


X = np.array([[3.0, 1.0, 2.0], [0.5, 4.0, 1.0]])
SPD = np.array([[4.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 2.0]])
RHS = np.array([[1.0], [2.0], [3.0]])


def test_values_and_indices_pairs_are_named_as_pytorchs():
    x = torch.tensor(X)
    for result, name in [(torch.median(x, 1), "median"), (x.median(1), "median"),
                         (torch.nanmedian(x, 1), "nanmedian"),
                         (torch.kthvalue(x, 2, 1), "kthvalue"), (x.kthvalue(2), "kthvalue"),
                         (torch.cummax(x, 1), "cummax"), (x.cummin(1), "cummin")]:
        _check_named(result, name, ("values", "indices"))
    # the values themselves: NumPy's lower median / second smallest / running extremes
    assert torch.median(x, 1).values.tolist() == [2.0, 1.0]
    assert torch.median(x, 1).indices.tolist() == [2, 2]
    assert torch.kthvalue(x, 2, 1).values.tolist() == np.sort(X, 1)[:, 1].tolist()
    assert torch.cummax(x, 1).values.tolist() == np.maximum.accumulate(X, 1).tolist()
    assert torch.cummin(x, 1).indices.tolist() == [[0, 1, 1], [0, 0, 0]]
    # without dim, median is one tensor, as in PyTorch
    assert isinstance(torch.median(x), torch.Tensor) and float(torch.median(x)) == 1.0


def test_aminmax_frexp_histogram_are_named_as_pytorchs():
    x = torch.tensor(X)
    mm = torch.aminmax(x)
    _check_named(mm, "aminmax", ("min", "max"))
    assert (float(mm.min), float(mm.max)) == (0.5, 4.0)
    _check_named(x.aminmax(dim=1), "aminmax", ("min", "max"))
    fr = torch.frexp(x)
    _check_named(fr, "frexp", ("mantissa", "exponent"))
    m, e = np.frexp(X)
    np.testing.assert_array_equal(fr.mantissa.numpy(), m)
    np.testing.assert_array_equal(fr.exponent.numpy(), e)
    _check_named(x.frexp(), "frexp", ("mantissa", "exponent"))
    h = torch.histogram(x.flatten(), 3)
    _check_named(h, "histogram", ("hist", "bin_edges"))
    hist, edges = np.histogram(X.ravel(), 3)
    np.testing.assert_array_equal(h.hist.numpy(), hist)
    np.testing.assert_allclose(h.bin_edges.numpy(), edges)
    _check_named(x.flatten().histogram(3), "histogram", ("hist", "bin_edges"))


def test_decompositions_are_named_as_pytorchs():
    a, b = torch.tensor(SPD), torch.tensor(RHS)
    cases = [
        (torch.slogdet(a), "slogdet", ("sign", "logabsdet")),
        (a.slogdet(), "slogdet", ("sign", "logabsdet")),
        (torch.linalg.slogdet(a), "linalg_slogdet", ("sign", "logabsdet")),
        (torch.linalg.eigh(a), "linalg_eigh", ("eigenvalues", "eigenvectors")),
        (torch.linalg.qr(a), "linalg_qr", ("Q", "R")),
        (torch.linalg.qr(a, mode="r"), "linalg_qr", ("Q", "R")),
        (torch.qr(a), "qr", ("Q", "R")),
        (torch.linalg.svd(a), "linalg_svd", ("U", "S", "Vh")),
        (torch.svd(a), "svd", ("U", "S", "V")),
        (a.svd(), "svd", ("U", "S", "V")),
        (torch.linalg.lu(a), "linalg_lu", ("P", "L", "U")),
        (torch.linalg.lu_factor(a), "linalg_lu_factor", ("LU", "pivots")),
        (torch.lu_unpack(*torch.linalg.lu_factor(a)), "lu_unpack", ("P", "L", "U")),
        (torch.lu(a, get_infos=True), "_lu_with_info", ("LU", "pivots", "info")),
        (torch.linalg.inv_ex(a), "linalg_inv_ex", ("inverse", "info")),
        (torch.linalg.cholesky_ex(a), "linalg_cholesky_ex", ("L", "info")),
        (torch.linalg.solve_ex(a, b), "linalg_solve_ex", ("result", "info")),
        (torch.geqrf(a), "geqrf", ("a", "tau")),
        (torch.triangular_solve(b, torch.triu(a)), "triangular_solve",
         ("solution", "cloned_coefficient")),
        (torch.linalg.lstsq(a, b), "linalg_lstsq",
         ("solution", "residuals", "rank", "singular_values")),
    ]
    for result, name, fields in cases:
        _check_named(result, name, fields)
    # the fields hold what their names say (identities, NumPy's answers)
    sign, logabsdet = torch.linalg.slogdet(a)
    assert float(sign) * np.exp(float(logabsdet)) == pytest.approx(np.linalg.det(SPD))
    w, v = torch.linalg.eigh(a)
    np.testing.assert_allclose(v.numpy() @ np.diag(w.numpy()) @ v.numpy().T, SPD, atol=1e-12)
    u, s, vt = torch.svd(a)
    np.testing.assert_allclose(u.numpy() @ np.diag(s.numpy()) @ vt.numpy().T, SPD,
                               atol=1e-12)
    p, lower, upper = torch.linalg.lu(a)
    np.testing.assert_allclose(p.numpy() @ lower.numpy() @ upper.numpy(), SPD, atol=1e-12)
    np.testing.assert_allclose(torch.linalg.inv_ex(a).inverse.numpy(), np.linalg.inv(SPD),
                               atol=1e-12)
    assert torch.linalg.cholesky_ex(a).info.tolist() == 0
    np.testing.assert_allclose(torch.linalg.solve_ex(a, b).result.numpy(),
                               np.linalg.solve(SPD, RHS), atol=1e-12)
    # a failing matrix still reports through the named field
    bad = torch.linalg.cholesky_ex(torch.tensor([[1.0, 2.0], [2.0, 1.0]]))
    _check_named(bad, "linalg_cholesky_ex", ("L", "info"))
    assert int(bad.info) == 2
