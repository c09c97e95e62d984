"""LBFGS and its strong-Wolfe line search: the textbook iteration, convergence, state, errors."""

import json

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim
from chainrule.optim.line_search import cubic_minimizer, strong_wolfe

RNG = np.random.default_rng(7)
A = RNG.standard_normal((12, 5))
B = RNG.standard_normal(12)


def pseudo_huber(x):
    """sum sqrt(1 + (A x - b)^2) + 0.1 |x|^2: smooth and strictly convex."""
    r = A @ x - B
    return (cr.sqrt(1 + r * r)).sum() + 0.1 * (x * x).sum()


def pseudo_huber_np(x):
    r = A @ x - B
    return np.sqrt(1 + r * r).sum() + 0.1 * x @ x, A.T @ (r / np.sqrt(1 + r * r)) + 0.2 * x


def closure_for(opt, x, f):
    def closure():
        opt.zero_grad()
        loss = f(x)
        loss.backward()
        return loss
    return closure


def lbfgs_reference(x, grad, lr, iterations, memory):
    """Fixed-step L-BFGS with the inverse Hessian built as a matrix (Nocedal & Wright eq. 7.19).

    H_0 = (s.y / y.y) I from the newest pair, then H <- (I - r s y^T) H (I - r y s^T) + r s s^T
    for the stored pairs from oldest to newest, r = 1 / y.s; d = -H g. The first step is
    lr min(1, 1/|g|_1) along -g, later ones lr along d.
    """
    n = len(x)
    _, g = grad(x)
    pairs = []
    for k in range(iterations):
        if k == 0:
            d, t = -g, min(1.0, 1.0 / np.abs(g).sum()) * lr
        else:
            H = (pairs[-1][0] @ pairs[-1][1]) / (pairs[-1][1] @ pairs[-1][1]) * np.eye(n)
            for s, y in pairs:
                r = 1.0 / (y @ s)
                H = (np.eye(n) - r * np.outer(s, y)) @ H @ (np.eye(n) - r * np.outer(y, s)) \
                    + r * np.outer(s, s)
            d, t = -H @ g, lr
        x_new = x + t * d
        _, g_new = grad(x_new)
        pairs = (pairs + [(x_new - x, g_new - g)])[-memory:]
        x, g = x_new, g_new
    return x


@pytest.mark.parametrize("lr,memory", [(1.0, 10), (0.5, 2)])
def test_fixed_step_iterates_are_the_textbook_bfgs_update(lr, memory):
    x = cr.tensor(np.zeros(5), requires_grad=True)
    opt = optim.LBFGS([x], lr=lr, max_iter=6, history_size=memory, tolerance_change=0,
                      tolerance_grad=0)
    opt.step(closure_for(opt, x, pseudo_huber))
    # The sixth iteration moves without evaluating: six moves in all.
    expected = lbfgs_reference(np.zeros(5), pseudo_huber_np, lr, 6, memory)
    np.testing.assert_allclose(x.data, expected, rtol=1e-12, atol=1e-14)
    state = opt.state_dict()["state"]["0"]
    assert int(state["n_iter"]) == 6 and int(state["func_evals"]) == 6
    assert state["old_dirs"].shape == (min(memory, 5), 5)  # pairs from moves 1..5


def test_strong_wolfe_solves_a_quadratic_in_a_few_iterations():
    rng = np.random.default_rng(1)
    M = rng.standard_normal((6, 6))
    Q = M @ M.T + 6 * np.eye(6)
    c = rng.standard_normal(6)
    x = cr.tensor(np.zeros(6), requires_grad=True)
    opt = optim.LBFGS([x], line_search_fn="strong_wolfe", max_iter=50, tolerance_grad=1e-12,
                      tolerance_change=1e-15)
    opt.step(closure_for(opt, x, lambda x: 0.5 * x @ (Q @ x) - c @ x))
    np.testing.assert_allclose(x.data, np.linalg.solve(Q, c), atol=1e-8)
    state = opt.state_dict()["state"]["0"]
    # Curvature pairs make it far faster than steepest descent (condition number ~ 5).
    assert state["n_iter"] <= 15 and state["func_evals"] <= state["n_iter"] + 3


def rosenbrock(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def test_strong_wolfe_minimizes_rosenbrock_like_scipy():
    scipy_optimize = pytest.importorskip("scipy.optimize")
    x = cr.tensor(np.array([-1.2, 1.0]), requires_grad=True)
    opt = optim.LBFGS([x], line_search_fn="strong_wolfe", max_iter=200, max_eval=400,
                      tolerance_grad=1e-10, tolerance_change=1e-14)
    first = opt.step(closure_for(opt, x, rosenbrock))
    assert first.item() == pytest.approx(24.2)  # step returns the loss it started from
    # SciPy given the exact gradient (with its finite differences, SciPy 1.17 stops 6e-6 away).
    ref = scipy_optimize.minimize(lambda v: float(rosenbrock(v)), [-1.2, 1.0], method="L-BFGS-B",
                                  jac=lambda v: np.asarray(cr.grad(rosenbrock)(v)), tol=1e-14)
    np.testing.assert_allclose(x.data, ref.x, atol=1e-6)
    np.testing.assert_allclose(x.data, [1.0, 1.0], atol=1e-8)
    assert opt.state_dict()["state"]["0"]["func_evals"] < 120


def test_the_line_search_returns_a_strong_wolfe_step():
    # phi(t) = f(x + t d) for Rosenbrock from (-1.2, 1) along the steepest descent.
    x0 = np.array([-1.2, 1.0])

    def f_and_g(x):
        fx = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
        gx = np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2),
                       200 * (x[1] - x[0] ** 2)])
        return fx, gx

    f0, g0 = f_and_g(x0)
    d = -g0
    for start in (1.0, 1e-4, 1e-2):  # too long, too short, about right
        f, g, t, evaluations = strong_wolfe(lambda t: f_and_g(x0 + t * d), start, d, f0, g0,
                                            g0 @ d)
        ft, gt = f_and_g(x0 + t * d)
        assert f == ft and np.array_equal(g, gt)
        assert ft <= f0 + 1e-4 * t * (g0 @ d)  # sufficient decrease
        assert abs(gt @ d) <= 0.9 * abs(g0 @ d)  # strong curvature
        assert 1 <= evaluations <= 25


def test_cubic_minimizer_is_exact_on_a_cubic_and_clipped_to_its_bounds():
    def f(x):
        return x**3 - 3 * x  # local minimum at 1

    def df(x):
        return 3 * x * x - 3

    assert cubic_minimizer(0.0, f(0.0), df(0.0), 2.0, f(2.0), df(2.0)) == pytest.approx(1.0)
    assert cubic_minimizer(2.0, f(2.0), df(2.0), 0.0, f(0.0), df(0.0)) == pytest.approx(1.0)
    assert cubic_minimizer(0.0, f(0.0), df(0.0), 2.0, f(2.0), df(2.0), bounds=(1.5, 3)) == 1.5
    # No local minimizer (here a line): the middle of the bounds.
    assert cubic_minimizer(0.0, 0.0, 1.0, 1.0, 1.0, 1.0, bounds=(2.0, 4.0)) in (2.0, 3.0, 4.0)


def test_stops_at_once_when_the_gradient_is_already_below_tolerance():
    x = cr.tensor(np.ones(2), requires_grad=True)
    opt = optim.LBFGS([x], tolerance_grad=1e-5)
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = ((x - 1) ** 2).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 0
    assert len(calls) == 1 and np.array_equal(x.data, np.ones(2))


def test_state_dict_resume_takes_the_same_steps():
    def make(x):
        return optim.LBFGS([x], lr=1, max_iter=3, history_size=4, line_search_fn="strong_wolfe")

    x = cr.tensor(np.zeros(5), requires_grad=True)
    opt = make(x)
    opt.step(closure_for(opt, x, pseudo_huber))
    saved = opt.state_dict()
    assert all(isinstance(v, np.ndarray) for v in saved["state"]["0"].values())
    y = cr.tensor(x.data.copy(), requires_grad=True)
    resumed = make(y)
    resumed.load_state_dict({"state": saved["state"],
                             "param_groups": json.loads(json.dumps(saved["param_groups"]))})
    for o, p in ((opt, x), (resumed, y)):
        o.step(closure_for(o, p, pseudo_huber))
    np.testing.assert_array_equal(x.data, y.data)
    with pytest.raises(ValueError, match=r"d has shape \(5,\), expected \(3,\)"):
        make(cr.tensor(np.zeros(3), requires_grad=True)).load_state_dict(saved)


def test_float32_parameters_are_stepped_in_float32_across_several_tensors():
    w = cr.tensor(np.zeros((2, 2), np.float32), requires_grad=True)
    b = cr.tensor(np.zeros(2, np.float32), requires_grad=True)
    target = np.array([[1.0, -2.0], [0.5, 3.0]], np.float32)
    opt = optim.LBFGS([w, b], line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = ((w - target) ** 2).sum() + ((b - 1) ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    assert w.data.dtype == np.float32 and b.data.dtype == np.float32
    np.testing.assert_allclose(w.data, target, atol=1e-5)
    np.testing.assert_allclose(b.data, 1.0, atol=1e-5)
    assert opt.state_dict()["state"]["0"]["d"].dtype == np.float32


def test_float16_parameters_keep_float32_vectors():
    x = cr.tensor(np.zeros(3, np.float16), requires_grad=True)
    opt = optim.LBFGS([x], line_search_fn="strong_wolfe")
    opt.step(closure_for(opt, x, lambda x: ((x - 0.5) ** 2).sum()))
    assert x.data.dtype == np.float16
    np.testing.assert_allclose(x.data, 0.5, atol=1e-3)
    state = opt.state_dict()["state"]["0"]
    assert state["d"].dtype == state["old_dirs"].dtype == np.float32


def test_errors_name_the_problem():
    x = cr.tensor(np.zeros(2), requires_grad=True)
    y = cr.tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(ValueError, match="line_search_fn must be None or 'strong_wolfe'"):
        optim.LBFGS([x], line_search_fn="backtracking")
    with pytest.raises(ValueError, match="single parameter group"):
        optim.LBFGS([{"params": [x]}, {"params": [y], "lr": 0.1}])
    with pytest.raises(ValueError, match="history_size must be an integer >= 1"):
        optim.LBFGS([x], history_size=0)
    opt = optim.LBFGS([x])
    with pytest.raises(TypeError, match="LBFGS.step needs a closure"):
        opt.step()
