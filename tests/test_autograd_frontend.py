"""``python -m chainrule.autograd``: a program written for HIPS autograd runs unchanged."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

_PROGRAM = '''
import json, sys
import autograd.numpy as np
import autograd.numpy.random as npr
from autograd import grad, value_and_grad, elementwise_grad, jacobian, hessian
from autograd.extend import primitive, defvjp
from autograd.misc import flatten
from autograd.misc.optimizers import adam
from autograd.scipy.special import logsumexp
from autograd.scipy.stats import norm
from autograd.test_util import check_grads
from autograd.tracer import getval, isbox

@primitive
def cube(x):
    return x ** 3

defvjp(cube, lambda ans, x: lambda g: 3 * g * x ** 2)

def loss(params, X, y):
    logits = np.dot(X, params["W"]) + params["b"]
    return -np.sum(logits[np.arange(len(y)), y] - logsumexp(logits, axis=1))

rs = npr.RandomState(0)
X, y = rs.randn(20, 3), rs.randint(0, 2, 20)
params = {"W": 0.1 * rs.randn(3, 2), "b": np.zeros(2)}
flat, unflatten = flatten(params)
trained = adam(lambda p, i: grad(loss)(p, X, y), params, step_size=0.1, num_iters=50)
check_grads(loss, modes=["rev"], order=1)(params, X, y)
seen = []
def f(x):
    seen.append(isbox(x) and not isbox(getval(x)))
    return np.sum(np.tanh(x) * cube(x)) + np.sum(norm.logpdf(x, 0.5, 2.0))
x0 = np.array([0.3, -1.2])
json.dump({"argv": sys.argv[1:], "loss0": float(loss(params, X, y)),
           "loss1": float(loss(trained, X, y)), "nflat": int(flat.size),
           "grad": grad(f)(x0).tolist(), "ew": elementwise_grad(np.tanh)(x0).tolist(),
           "hess": hessian(f)(x0).tolist(), "jac": jacobian(np.sin)(x0).tolist(),
           "vg": value_and_grad(f)(x0)[0], "boxes": seen[0]}, sys.stdout)
'''


def test_an_autograd_program_runs_unchanged_under_python_m_chainrule_autograd(tmp_path):
    program = tmp_path / "prog.py"
    program.write_text(_PROGRAM)
    done = subprocess.run([sys.executable, "-m", "chainrule.autograd", str(program), "--x", "1"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["argv"] == ["--x", "1"] and out["nflat"] == 8 and out["boxes"]
    assert out["loss1"] < out["loss0"] - 1.0  # Adam trained the classifier
    x = np.array([0.3, -1.2])
    sech2 = 1 - np.tanh(x) ** 2
    # f = sum(tanh(x) x^3) + sum(norm.logpdf(x, 0.5, 2)): derivatives by hand
    want_grad = sech2 * x ** 3 + 3 * np.tanh(x) * x ** 2 - (x - 0.5) / 4.0
    np.testing.assert_allclose(out["grad"], want_grad, rtol=1e-12)
    np.testing.assert_allclose(out["ew"], sech2, rtol=1e-14)
    d2 = (-2 * np.tanh(x) * sech2 * x ** 3 + 6 * sech2 * x ** 2 + 6 * np.tanh(x) * x - 0.25)
    np.testing.assert_allclose(out["hess"], np.diag(d2), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(out["jac"], np.diag(np.cos(x)), rtol=1e-14)
    want_value = np.sum(np.tanh(x) * x ** 3) + np.sum(
        -0.5 * ((x - 0.5) / 2) ** 2 - np.log(2.0) - 0.5 * np.log(2 * np.pi))
    assert out["vg"] == want_value or abs(out["vg"] - want_value) < 1e-13


def test_a_module_chainrule_lacks_is_named(tmp_path):
    (tmp_path / "p.py").write_text("import autograd.numpy.numpy_boxes\n")
    done = subprocess.run([sys.executable, "-m", "chainrule.autograd", str(tmp_path / "p.py")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "chainrule has no 'chainrule.numpy.numpy_boxes'" in done.stderr
    done = subprocess.run([sys.executable, "-m", "chainrule.autograd", "-c",
                           "from autograd import holomorphic_grad as h; h(abs)(1.0)"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "real values only" in done.stderr


def test_import_autograd_then_attribute_access_and_fft():
    code = ("import autograd, autograd.numpy.fft as F; "
            "print(autograd.numpy.sum(autograd.numpy.ones(3)), F.rfft([1.0, 2.0]).shape, "
            "autograd.grad(lambda x: autograd.numpy.sum(x ** 2))(autograd.numpy.ones(2)))")
    done = subprocess.run([sys.executable, "-m", "chainrule.autograd", "-c", code],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3.0", "(2,)", "[2.", "2.]"]


@pytest.fixture
def forget_test_primitives():
    # Primitives a test declares leave the registry afterwards (other tests walk it).
    from chainrule import rules

    before = set(rules.REGISTRY)
    yield
    for name in set(rules.REGISTRY) - before:
        del rules.REGISTRY[name]


def test_autograd_operators_signatures_and_check_grads_strictness(forget_test_primitives):
    import warnings

    import chainrule.autograd as ag
    from chainrule.autograd import core, extend, test_util

    f = lambda a, b, c, d: a + np.sin(b) + np.cos(d) * c  # noqa: E731
    args = (0.5, -0.3, 0.2, -1.1)
    # A list argnum is the tuple it holds.
    got = ag.grad(f, argnum=[3, 1])(*args)
    np.testing.assert_allclose(got, (-np.sin(-1.1) * 0.2, np.cos(-0.3)), rtol=1e-15)
    # autograd.core's unary make_vjp(fun, x) -> (vjp, ans) and make_jvp(fun, x)(v).
    vjp, ans = core.make_vjp(lambda x: np.sin(x) * 2.0, 0.5)
    assert ans == np.sin(0.5) * 2.0 and vjp(1.0) == 2.0 * np.cos(0.5)
    assert core.make_jvp(lambda x: x ** 3, 2.0)(1.0)[1] == 12.0
    # tensor_jacobian_product contracts the output's leading axes with a smaller tensor.
    rs = np.random.RandomState(0)
    a, v = rs.randn(5, 4, 3), rs.randn(5, 4)
    fun = lambda x: np.roll(np.sin(x), 1)  # noqa: E731
    want = np.tensordot(v, ag.jacobian(fun)(a), axes=2)
    np.testing.assert_allclose(ag.tensor_jacobian_product(fun)(a, v), want, rtol=1e-14)
    # check_grads: a VJP wrong by 1e-4 relative fails (autograd's 1e-6 tolerances), a
    # constant function passes with a warning.
    @extend.primitive
    def double(x):
        return x * 2.0

    extend.defvjp(double, lambda ans, x: lambda g: g * 2.0002)
    with pytest.raises(AssertionError):
        test_util.check_grads(double, modes=["rev"], order=1)(1.0)
    with pytest.warns(UserWarning, match="independent of the input"):
        assert test_util.check_grads(lambda x: np.ones(3))(np.ones(2))
    # (but one that drops its derivative is caught by finite differences, as in autograd)
    from chainrule.autograd.tracer import getval

    with pytest.warns(UserWarning), pytest.raises(AssertionError, match="finite differences"):
        test_util.check_grads(lambda x: ag.numpy.sin(getval(x)))(np.array([0.3, 1.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert test_util.check_grads(np.sin)(np.array([0.3, 1.0]))
    import chainrule.numpy as cnp

    assert cnp.__version__ == np.__version__
