"""chainrule.scipy: every public function has an op-database entry (tests/opdb), the
import forms autograd programs use work, and SciPy is not imported at run time."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from opdb import OPS

import chainrule as cr
import chainrule.scipy.signal
import chainrule.scipy.stats.multivariate_normal as mvn
from chainrule.scipy import integrate, linalg, signal, special, stats
from chainrule.scipy.spatial import distance
from chainrule.scipy.stats import norm

# Public callables that are not differentiable operations on arrays (rvs draws samples),
# and odeint, checked in tests/test_scipy_integrate.py (tests/opdb/scipy_namespace.py says
# why it is not in the op database).
NOT_OPERATIONS = {"sp.stats.dirichlet.rvs", "sp.integrate.odeint"}


def _public():
    modules = {"sp.special": special, "sp.signal": signal, "sp.linalg": linalg,
               "sp.integrate": integrate, "sp.spatial.distance": distance}
    for name in stats.__all__:
        modules[f"sp.stats.{name}"] = getattr(stats, name)
    return sorted(f"{prefix}.{name}" for prefix, module in modules.items()
                  for name in module.__all__)


def test_every_public_scipy_function_has_an_op_database_entry():
    covered = {op.name.split(" ")[0] for op in OPS}
    public = [name for name in _public() if name not in NOT_OPERATIONS]
    missing = [name for name in public if name not in covered]
    print(f"chainrule.scipy: {len(public) - len(missing)} of {len(public)} public functions "
          f"in the op database")
    assert not missing, f"chainrule.scipy functions without an op-database entry: {missing}"


def test_cr_special_is_the_scipy_special_namespace():
    assert cr.special is special
    assert cr.special.gammaln is special.gammaln
    assert chainrule.scipy.signal.convolve is signal.convolve
    assert mvn.logpdf is stats.multivariate_normal.logpdf
    assert norm.logpdf is stats.norm.logpdf


def test_scipy_is_not_imported_at_run_time():
    code = ("import sys, numpy as np, chainrule as cr, chainrule.scipy.stats, "
            "chainrule.scipy.signal, chainrule.scipy.linalg, chainrule.scipy.integrate, "
            "chainrule.scipy.spatial; cr.special.gammaln(np.arange(1.0, 4.0)); "
            "print('scipy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_no_derivative_in_an_integer_order_is_a_clear_error():
    for f, name in ((special.polygamma, "n"), (special.jn, "n"), (special.iv, "v")):
        with pytest.raises(NotImplementedError, match=f"order {name}"):
            cr.grad(lambda n, f=f: cr.sum(f(n, np.array([1.5, 2.5]))))(np.array(1.0))
    with pytest.raises(NotImplementedError, match="discrete count"):
        cr.grad(lambda k: cr.sum(stats.poisson.logpmf(k, 2.0)))(np.array([1.0, 2.0]))


def test_invalid_parameters_give_scipy_nans_and_their_gradient_is_finite_elsewhere():
    scale = cr.tensor(np.array([1.0, -1.0, 2.0]), requires_grad=True)
    out = norm.logpdf(0.5, 0.0, scale)
    assert np.isnan(out.data[1]) and np.isfinite(out.data[[0, 2]]).all()
    cr.sum(cr.where(np.isfinite(out.data), out, 0.0)).backward()
    assert np.isfinite(scale.grad.data).all() and scale.grad.data[1] == 0


def test_autograd_gmm_likelihood_runs_and_matches_scipy():
    # The mixture log-likelihood of autograd's examples/gmm.py with chainrule's names.
    import scipy.stats

    rng = np.random.default_rng(0)
    data = rng.standard_normal((20, 2))
    means = rng.standard_normal((3, 2))
    covs = [np.eye(2) * (k + 1) for k in range(3)]
    log_props = np.log(np.full(3, 1 / 3))

    def log_likelihood(means):
        lls = [log_props[k] + mvn.logpdf(data, means[k], covs[k]) for k in range(3)]
        return cr.sum(special.logsumexp(cr.stack(lls), axis=0))

    want = np.sum(np.log(sum(np.exp(log_props[k]) * scipy.stats.multivariate_normal.pdf(
        data, means[k], covs[k]) for k in range(3))))
    np.testing.assert_allclose(log_likelihood(means), want, rtol=1e-12)
    assert cr.gradcheck(log_likelihood, means, modes=("rev",))
