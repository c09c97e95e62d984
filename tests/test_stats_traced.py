"""scipy.stats functions under cr.compile and cr.vmap: their support tests and branch
choices (values(z) < 0, centre or tail) are operations of the trace, made anew for every
call and every example, so a compiled function called on other values, or a vmapped one
over examples on both sides of a branch, gives each its eager result."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.scipy import stats

# The shape parameters each distribution needs, after its first argument.
PARAMETERS = {
    "bernoulli": (0.3,), "binom": (5, 0.4), "geom": (0.3,), "nbinom": (3, 0.4),
    "poisson": (2.5,), "beta": (2.0, 3.0), "chi2": (3.0,), "gamma": (2.5,),
    "lognorm": (0.7,), "pareto": (2.5,), "t": (4.0,), "cauchy": (), "expon": (),
    "gumbel_l": (), "gumbel_r": (), "laplace": (), "logistic": (), "norm": (),
    "uniform": (),
}
# First arguments covering the support's edges, both tails and the centre; reversed,
# every position changes side.
POINTS = np.array([-50.0, -2.0, -0.5, 0.0, 0.3, 0.5, 1.0, 1.5, 3.0, 12.0, 40.0])
INTEGERS = np.array([-1.0, 0.0, 1.0, 2.0, 2.5, 5.0, 6.0])
PROBABILITIES = np.array([-0.1, 0.0, 1e-12, 0.2, 0.5, 0.7, 1.0 - 1e-12, 1.0, 1.2])


def _cases():
    for name, parameters in PARAMETERS.items():
        module = getattr(stats, name)
        for fname in module.__all__:
            fn = getattr(module, fname)
            first = next(iter(inspect.signature(fn).parameters))
            if first in ("q",):
                points = PROBABILITIES
            elif first == "k":
                points = INTEGERS
            elif first == "x":
                points = POINTS
            else:  # (entropy and the like: no first argument to vary)
                continue
            yield pytest.param(fn, parameters, points, id=f"{name}.{fname}")


def _eager(fn, x, parameters):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(fn(x, *parameters))


@pytest.mark.parametrize(("fn", "parameters", "points"), list(_cases()))
def test_compiled_calls_on_other_values_give_their_eager_results(fn, parameters, points):
    compiled = cr.compile(lambda x: fn(x, *parameters))
    for x in (points, points[::-1].copy(), points[::-1] * 0.5):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = np.asarray(compiled(x))
        np.testing.assert_array_equal(got, _eager(fn, x, parameters))


@pytest.mark.parametrize(("fn", "parameters", "points"), list(_cases()))
def test_vmapped_examples_on_both_sides_of_a_branch(fn, parameters, points):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = np.asarray(cr.vmap(lambda x: fn(x, *parameters))(points))
    want = np.array([_eager(fn, x, parameters) for x in points])
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=0)


def test_a_compiled_gradient_follows_the_parameters_validity_and_the_tail():
    # The scale's validity (NaN where scale <= 0) and t's centre/tail switch, by call.
    def nll(x, scale):
        return -cr.numpy.sum(stats.t.logcdf(x, 3.0, 0.0, scale))

    grad = cr.compile(cr.grad(nll, argnums=(0, 1)))
    for x, scale in ((np.array([0.5, -20.0]), 1.0), (np.array([-20.0, 0.5]), 2.0),
                     (np.array([0.0, 1.0]), -1.0)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = grad(x, np.asarray(scale))
            want = cr.grad(nll, argnums=(0, 1))(x, np.asarray(scale))
        for g, w in zip(got, want):
            np.testing.assert_array_equal(np.asarray(g), w)
