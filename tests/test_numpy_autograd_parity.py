"""chainrule.numpy holds every name autograd.numpy exports (NumPy's namespace), and none
of NumPy's own functions silently drops a traced tensor's graph."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp
import chainrule.numpy.random as npr

# NumPy names that issue 15 (other tensor operations) brings; everything else NumPy
# exports at the top level that autograd.numpy re-exports is here.
ELSEWHERE = {
    "block", "convolve", "copysign", "corrcoef", "correlate", "cov", "delete", "ediff1d",
    "heaviside", "insert", "interp", "median", "percentile", "put_along_axis", "quantile",
    "trapezoid", "unique", "unique_all", "unique_counts", "unique_inverse", "unique_values",
}
# Not re-exported by autograd.numpy either: submodules and internals.
NOT_AUTOGRAD = {"False_", "True_", "ScalarType", "char", "core", "ctypeslib", "dtypes",
                "emath", "exceptions", "f2py", "lib", "little_endian", "ma", "polynomial",
                "rec", "strings", "testing", "typing", "test"}


def test_every_numpy_name_autograd_reexports_is_here():
    missing = [n for n in dir(np) if not n.startswith("_") and not hasattr(cnp, n)
               and n not in ELSEWHERE and n not in NOT_AUTOGRAD
               and not n.startswith("nan")]
    assert missing == []


def test_full_of_a_tensor_keeps_the_graph():
    assert cr.grad(lambda x: cnp.sum(cnp.full((3,), x) * x))(2.0) == 12.0
    assert cr.grad(lambda x: cnp.sum(cnp.full_like(np.ones(3), x) * x))(2.0) == 12.0
    assert cr.grad(lambda x: cnp.sum(np.full_like(x, 2.0) * x))(np.ones(2)).tolist() == [2, 2]
    _, t = cr.jvp(lambda x: cnp.sum(cnp.full((3,), x) * x), (2.0,), (1.0,))
    assert t == 12.0


def test_like_functions_of_tensors_are_constant_tensors():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    for f in (cnp.zeros_like, cnp.ones_like, cnp.empty_like, np.zeros_like):
        r = f(x)
        assert isinstance(r, cr.Tensor) and not r.requires_grad and r.shape == (2,)
    assert cnp.full_like(x, 7.0).data.tolist() == [7.0, 7.0]


@pytest.mark.parametrize("endpoint", [True, False])
def test_linspace_with_tensor_endpoints_matches_numpy_and_differentiates(endpoint):
    a, b = np.array([0.0, 1.0]), np.array([2.0, -1.0])
    got = cnp.linspace(cr.tensor(a), cr.tensor(b), 5, endpoint=endpoint, axis=1)
    np.testing.assert_allclose(got.data, np.linspace(a, b, 5, endpoint=endpoint, axis=1),
                               rtol=1e-15)
    cr.gradcheck(lambda a, b: cnp.linspace(a, b, 4, endpoint=endpoint), a, b, order=2,
                 modes=("rev", "fwd"))


def test_logspace_geomspace_arange_with_tensors():
    np.testing.assert_allclose(cnp.logspace(cr.tensor(0.0), 2.0, 4).data,
                               np.logspace(0.0, 2.0, 4))
    np.testing.assert_allclose(cnp.geomspace(cr.tensor(1.0), 8.0, 4).data,
                               np.geomspace(1.0, 8.0, 4), rtol=1e-14)
    np.testing.assert_allclose(cnp.arange(cr.tensor(0.5), 3.0, 0.5).data,
                               np.arange(0.5, 3.0, 0.5))
    cr.gradcheck(lambda a: cnp.geomspace(a, 8.0, 4), np.array(2.0), order=2)
    cr.gradcheck(lambda a, s: cnp.arange(a, 3.0, s), np.array(0.5), np.array(0.4), order=2)


def test_r_and_c_of_tensors_differentiate():
    assert cr.grad(lambda x: cnp.sum(cnp.r_[x, x] * x))(2.0) == 8.0
    a, b = np.arange(3.0), np.arange(3.0) + 10
    got = cnp.c_[cr.tensor(a), cr.tensor(b)]
    np.testing.assert_array_equal(got.data, np.c_[a, b])
    np.testing.assert_array_equal(cnp.r_["0,2", cr.tensor(a), b].data, np.r_["0,2", a, b])
    cr.gradcheck(lambda a: cnp.r_[a, 0.0, a[:2]], a, order=2, modes=("rev", "fwd"))


def test_random_is_a_module_and_refuses_traced_parameters():
    assert npr.seed is np.random.seed
    npr.seed(0)
    first = npr.randn(3)
    npr.seed(0)
    np.testing.assert_array_equal(np.random.randn(3), first)
    x = cr.tensor(1.0, requires_grad=True)
    with pytest.raises(TypeError, match="numpy.random.normal: a parameter is a tensor"):
        npr.normal(x, 1.0)
    assert npr.normal(cr.tensor(1.0), 1.0, size=2).shape == (2,)
    with pytest.raises(TypeError, match="permutation"):
        npr.shuffle(x)


def test_errstate_and_seterr_are_numpys():
    assert cnp.errstate is np.errstate and cnp.seterr is np.seterr
    with cnp.errstate(divide="raise"), pytest.raises(FloatingPointError):
        cnp.log(cr.tensor(0.0))


def test_numpy_functions_without_a_rule_refuse_traced_tensors():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="numpy.histogram has no derivative rule"):
        cnp.histogram(x)
    assert cnp.isin(x, [2.0]).tolist() == [False, True]  # a predicate: on the values
    assert cnp.any(x > 1) and not cnp.all(x > 1)


def test_norm_of_a_list_differentiates():
    g = cr.grad(lambda x: cnp.linalg.norm([x, 2 * x]))(1.0)
    assert g == pytest.approx(np.sqrt(5.0))
