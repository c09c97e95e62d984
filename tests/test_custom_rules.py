"""cr.custom_vjp / cr.custom_jvp across chainrule's transforms, beside the API tests of
tests/test_custom_derivatives.py: every transform a ported JAX program reaches them
through (grad, value_and_grad, vjp, jacrev, jacfwd, hessian, hvp, vmap, Tensor.backward),
against analytic derivatives and finite differences, and the errors JAX raises."""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp


@pytest.fixture(autouse=True)
def _per_example_vmap_is_expected():
    # cr.vmap runs a custom rule once per example and says so with a RuntimeWarning
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"cr\.vmap: .custom_", category=RuntimeWarning)
        yield


# ------------------------------------------------------------------ custom_vjp

@cr.custom_vjp
def softplus_v(x):
    """log(1 + e^x), whose bwd keeps sigmoid(x) as residual (so grad of grad works)."""
    return cnp.logaddexp(0.0, x)


def _softplus_fwd(x):
    return softplus_v(x), cr.sigmoid(x)


def _softplus_bwd(s, g):
    return (g * s,)


softplus_v.defvjp(_softplus_fwd, _softplus_bwd)


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


X = np.array([-1.5, 0.0, 0.4, 2.0])


def test_custom_vjp_in_every_reverse_transform():
    s = _sig(X)
    loss = lambda x: cnp.sum(softplus_v(x))  # noqa: E731
    np.testing.assert_allclose(cr.grad(loss)(X), s, rtol=1e-15)
    value, g = cr.value_and_grad(loss)(X)
    assert value == pytest.approx(np.logaddexp(0.0, X).sum(), rel=1e-15)
    np.testing.assert_allclose(g, s, rtol=1e-15)
    out, pullback = cr.vjp(softplus_v, X)
    np.testing.assert_allclose(out, np.logaddexp(0.0, X), rtol=1e-15)
    (ct,) = pullback(np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_allclose(ct, s * [1, 2, 3, 4], rtol=1e-15)
    np.testing.assert_allclose(cr.jacrev(softplus_v)(X), np.diag(s), rtol=1e-15)
    # second order through f_bwd: the residual sigmoid(x) kept its graph
    np.testing.assert_allclose(cr.hessian(loss)(X), np.diag(s * (1 - s)), rtol=1e-14)
    np.testing.assert_allclose(cr.grad(cr.grad(softplus_v))(0.4), _sig(0.4) * (1 - _sig(0.4)),
                               rtol=1e-14)
    assert cr.gradcheck(softplus_v, X, order=2, modes=("rev",))


def test_custom_vjp_under_vmap_and_eager_backward():
    np.testing.assert_allclose(cr.vmap(softplus_v)(X), np.logaddexp(0.0, X), rtol=1e-15)
    np.testing.assert_allclose(cr.vmap(cr.grad(softplus_v))(X), _sig(X), rtol=1e-15)
    batch = np.stack([X, -X])
    np.testing.assert_allclose(cr.vmap(cr.grad(lambda r: cnp.sum(softplus_v(r))))(batch),
                               _sig(batch), rtol=1e-15)

    x = cr.tensor(X, requires_grad=True)
    (softplus_v(x) * 2.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * _sig(X), rtol=1e-15)
    # backward(create_graph=True) then a second backward: the rule's own graph
    x = cr.tensor(0.4, requires_grad=True)
    (g,) = cr.torch.autograd.grad(softplus_v(x), x, create_graph=True)
    g.backward()
    assert float(x.grad) == pytest.approx(_sig(0.4) * (1 - _sig(0.4)), rel=1e-14)


def test_custom_vjp_value_comes_from_f_when_undifferentiated_and_from_fwd_otherwise():
    calls = []

    @cr.custom_vjp
    def f(x):
        calls.append("f")
        return x + 100.0

    def fwd(x):
        calls.append("fwd")
        return x + 1.0, None

    f.defvjp(fwd, lambda _, g: (g * 5.0,))
    assert f(1.0) == 101.0 and calls == ["f"]            # JAX: the primal function
    calls.clear()
    assert cr.value_and_grad(f)(1.0) == (2.0, 5.0)       # JAX: fwd's output, bwd's rule
    assert calls == ["fwd"]
    with cr.no_grad():                                   # nothing recorded: f itself
        assert float(f(cr.tensor(1.0, requires_grad=True))) == 101.0


@pytest.mark.parametrize("transform", ["jvp", "jacfwd", "hvp"])
def test_forward_mode_of_custom_vjp_is_refused_naming_the_function(transform):
    run = {
        "jvp": lambda: cr.jvp(softplus_v, (X,), (X,)),
        "jacfwd": lambda: cr.jacfwd(softplus_v)(X),
        "hvp": lambda: cr.hvp(lambda x: cnp.sum(softplus_v(x)), X, X),  # forward-over-reverse
    }[transform]
    with pytest.raises(TypeError, match=r"custom_vjp.*softplus_v.*cr\.custom_jvp"):
        run()


def test_clip_gradient_clips_only_the_backward():
    @cr.custom_vjp
    def clip_gradient(x, lo, hi):
        return x

    clip_gradient.defvjp(lambda x, lo, hi: (x, (lo, hi)),
                         lambda r, g: (cnp.clip(g, r[0], r[1]), None, None))
    w = np.array([0.5, -2.0, 3.0])
    loss = lambda w: cnp.sum(clip_gradient(w * w, -1.0, 2.0))  # noqa: E731
    assert loss(w) == pytest.approx(np.sum(w * w))
    # d/dw sum(w^2) = 2w flows through clip(1, -1, 2) = 1 at the clipped node: 2w * 1
    np.testing.assert_allclose(cr.grad(loss)(w), 2 * w, rtol=1e-15)
    loss3 = lambda w: cnp.sum(3.0 * clip_gradient(w, -1.0, 2.0))  # noqa: E731
    np.testing.assert_allclose(cr.grad(loss3)(w), [2.0, 2.0, 2.0])  # 3 clipped to 2


# Implicit differentiation of a fixed point z = tanh(a z + b) (elementwise, |a| < 1):
# the forward iterates on stopped inputs (nothing recorded, no gradient through the
# loop), the backward solves the linearised equation dz = (1 - z^2) (a dz + z da + db):
# with s = 1 - z^2 and u = g / (1 - a s), the cotangents are da = sum(u s z), db = u s.
# (The loop uses chainrule.numpy, as a JAX solver uses jax.numpy, so cr.vmap can trace
# it; a loop over raw NumPy arrays would work under cr.grad but not under cr.vmap.)
@cr.custom_vjp
def fixed_point(n_iter, a, b):
    a_, b_ = cr.stop_gradient(a), cr.stop_gradient(b)
    z = cnp.zeros_like(b_)
    for _ in range(n_iter):
        z = cnp.tanh(a_ * z + b_)
    return z


def _fixed_point_fwd(n_iter, a, b):
    z = fixed_point(n_iter, a, b)
    return z, (a, z)


def _fixed_point_bwd(n_iter, res, g):
    a, z = res
    s = 1.0 - z * z
    u = g / (1.0 - a * s)
    return cnp.sum(u * s * z), u * s


fixed_point = cr.custom_vjp(fixed_point.fun, nondiff_argnums=(0,))
fixed_point.defvjp(_fixed_point_fwd, _fixed_point_bwd)


def test_fixed_point_solver_differentiated_implicitly():
    a, b = 0.6, np.array([-0.8, 0.1, 1.3])
    z = fixed_point(200, a, b)
    np.testing.assert_allclose(z, np.tanh(a * z + b), atol=1e-15)
    s = 1 - z * z
    ga, gb = cr.grad(lambda a, b: cnp.sum(fixed_point(200, a, b)), argnums=(0, 1))(a, b)
    np.testing.assert_allclose(gb, s / (1 - a * s), rtol=1e-12)
    assert ga == pytest.approx(np.sum(s * z / (1 - a * s)), rel=1e-12)
    # against finite differences of the solver itself (n_iter is not differentiated)
    assert cr.gradcheck(lambda a, b: fixed_point(200, a, b), np.array(a), b, modes=("rev",))
    # per example under vmap, b batched and a shared
    bs = np.array([[0.2, -0.4, 0.9], [1.1, 0.0, -0.3]])
    got = cr.vmap(cr.grad(lambda b: cnp.sum(fixed_point(200, a, b))))(bs)
    zs = np.stack([fixed_point(200, a, row) for row in bs])
    np.testing.assert_allclose(got, (1 - zs**2) / (1 - a * (1 - zs**2)), rtol=1e-12)


def test_custom_vjp_pytrees_in_and_out_with_none_for_a_whole_argument():
    @cr.custom_vjp
    def polar(p, scale):
        r, th = p
        return {"x": scale * r * cnp.cos(th), "y": scale * r * cnp.sin(th)}

    def fwd(p, scale):
        return polar(p, scale), (p, scale)

    def bwd(res, ct):
        (r, th), scale = res
        gr = scale * (ct["x"] * cnp.cos(th) + ct["y"] * cnp.sin(th))
        gth = scale * r * (-ct["x"] * cnp.sin(th) + ct["y"] * cnp.cos(th))
        return [gr, gth], None            # a list like the argument; None: scale's is zero

    polar.defvjp(fwd, bwd)
    r, th = 2.0, 0.3
    got = cr.grad(lambda p: polar(p, 1.5)["x"] + 3 * polar(p, 1.5)["y"])([r, th])
    assert isinstance(got, list)
    np.testing.assert_allclose(
        got, [1.5 * (np.cos(th) + 3 * np.sin(th)), 1.5 * r * (-np.sin(th) + 3 * np.cos(th))],
        rtol=1e-15)
    assert cr.grad(lambda s: polar([r, th], s)["x"])(1.5) == 0.0   # the rule says so


def test_custom_vjp_errors_name_the_function_and_the_problem():
    @cr.custom_vjp
    def double(x):
        return 2 * x

    double.defvjp(lambda x: (2 * x, None), lambda _, g: (cnp.sum(g),))   # a scalar for (3,)
    with pytest.raises(ValueError, match=r"double: .* shape \(\) for an argument of shape \(3,\)"):
        cr.grad(lambda x: cnp.sum(double(x)))(np.ones(3))
    double.defvjp(lambda x: (2 * x, None), lambda _, g: 2 * g)          # not a tuple
    with pytest.raises(TypeError, match=r"double: the bwd rule must return a tuple"):
        cr.grad(lambda x: cnp.sum(double(x)))(np.ones(3))

    @cr.custom_vjp
    def pair(d):
        return d["a"] * d["b"]

    pair.defvjp(lambda d: (pair(d), d), lambda d, g: ((g * d["b"], g * d["a"]),))
    with pytest.raises(TypeError, match=r"pair: a cotangent from the bwd rule has the structure"):
        cr.grad(pair)({"a": 2.0, "b": 3.0})

    bad = cr.custom_vjp(lambda k, x: k * x, nondiff_argnums=(5,))
    bad.defvjp(lambda k, x: (k * x, None), lambda k, _, g: (g,))
    with pytest.raises(ValueError, match="nondiff_argnums 5 is out of range for 2 arguments"):
        cr.grad(lambda x: bad(2.0, x))(1.0)


# ------------------------------------------------------------------ custom_jvp

@cr.custom_jvp
def sinc(x):
    """sin(x)/x, 1 at 0: the quotient's naive derivative is NaN there."""
    safe = cnp.where(x == 0, 1.0, x)
    return cnp.where(x == 0, 1.0, cnp.sin(safe) / safe)


@sinc.defjvp
def _sinc_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    safe = cnp.where(x == 0, 1.0, x)
    # (x cos x - sin x) / x^2, whose limit at 0 is 0; written there as -x/3 (its Taylor
    # term), which is 0 but has the slope sinc''(0) = -1/3 for the second derivative
    d = cnp.where(x == 0, -x / 3.0, (safe * cnp.cos(safe) - cnp.sin(safe)) / (safe * safe))
    return sinc(x), d * t


def _dsinc(x):
    return (x * np.cos(x) - np.sin(x)) / x**2


def test_sinc_rule_in_both_modes_with_no_nan_at_zero():
    xs = np.array([0.0, 0.5, -2.0, 3.0])
    expect = np.concatenate([[0.0], _dsinc(xs[1:])])
    with np.errstate(divide="ignore", invalid="ignore"):
        naive = cr.grad(lambda x: cnp.sin(x) / x)(0.0)
    assert np.isnan(naive)                              # what the rule exists for
    np.testing.assert_allclose(cr.elementwise_grad(sinc)(xs), expect, rtol=1e-14, atol=0)
    np.testing.assert_allclose(cr.jacfwd(sinc)(xs), np.diag(expect), rtol=1e-14, atol=0)
    np.testing.assert_allclose(cr.jacrev(sinc)(xs), np.diag(expect), rtol=1e-14, atol=0)
    np.testing.assert_allclose(cr.vmap(cr.grad(sinc))(xs), expect, rtol=1e-14, atol=0)
    np.testing.assert_allclose(cr.jvp(sinc, (xs,), (np.full(4, 2.0),))[1], 2 * expect,
                               rtol=1e-14)
    # second order by differentiating the rule: sinc''(0) = -1/3
    assert cr.grad(cr.grad(sinc))(0.0) == pytest.approx(-1 / 3, rel=1e-12)
    assert cr.gradcheck(sinc, xs[1:], order=2)


@cr.custom_jvp
def row_norm(x):
    """The Euclidean norm of each row, with the gradient 0 (not NaN) at a zero row."""
    return cnp.sqrt(cnp.sum(x * x, axis=-1))


@row_norm.defjvp
def _row_norm_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    n = row_norm(x)
    inv = cnp.where(n > 0, 1.0 / cnp.where(n > 0, n, 1.0), 0.0)
    return n, cnp.sum(x * t, axis=-1) * inv


def test_row_norm_rule_gradients_hessian_and_eager_backward():
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    with np.errstate(divide="ignore", invalid="ignore"):
        assert np.isnan(cr.grad(lambda x: cnp.sum(cnp.sqrt(cnp.sum(x * x, axis=-1))))(x)).any()
    g = cr.grad(lambda x: cnp.sum(row_norm(x)))(x)
    np.testing.assert_allclose(g[0], [0.6, 0.8], rtol=1e-15)
    np.testing.assert_array_equal(g[1], [0.0, 0.0])
    # Hessian of |v| at v: (I - u u^T) / |v|, u = v / |v|
    v = np.array([3.0, 4.0, 12.0])
    u = v / 13.0
    np.testing.assert_allclose(cr.hessian(row_norm)(v), (np.eye(3) - np.outer(u, u)) / 13.0,
                               rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(cr.hvp(row_norm, v, np.ones(3)),
                               (np.eye(3) - np.outer(u, u)).sum(1) / 13.0, rtol=1e-13)
    t = cr.tensor(x, requires_grad=True)
    row_norm(t).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), [[0.6, 0.8], [0.0, 0.0]], rtol=1e-15, atol=0)


def test_custom_jvp_nondiff_argnums_pytrees_and_defjvps():
    def scaled_power(n, p):
        return p["w"] * p["x"] ** n

    f = cr.custom_jvp(scaled_power, nondiff_argnums=(0,))

    @f.defjvp
    def _(n, primals, tangents):
        (p,), (t,) = primals, tangents
        out = f(n, p)
        return out, t["w"] * p["x"] ** n + p["w"] * n * p["x"] ** (n - 1) * t["x"]

    p = {"w": 2.0, "x": 1.5}
    g = cr.grad(lambda p: f(3, p))(p)
    assert g["w"] == pytest.approx(1.5**3) and g["x"] == pytest.approx(2 * 3 * 1.5**2)
    _, tan = cr.jvp(lambda p: f(3, p), (p,), ({"w": 1.0, "x": 0.0},))
    assert tan == pytest.approx(1.5**3)

    @cr.custom_jvp
    def h(x, y):
        return x * cnp.exp(y)

    h.defjvps(lambda tx, ans, x, y: tx * cnp.exp(y), None)   # y's contribution left out
    assert cr.grad(h, argnums=(0, 1))(2.0, 0.5) == (pytest.approx(np.exp(0.5)), 0.0)
    assert cr.jvp(h, (2.0, 0.5), (1.0, 1.0))[1] == pytest.approx(np.exp(0.5))


def test_a_custom_jvp_rule_that_is_zero_gives_a_zero_gradient():
    @cr.custom_jvp
    def rounded(x):
        return cnp.round(x)

    rounded.defjvp(lambda p, t: (rounded(p[0]), cnp.zeros_like(t[0])))  # no graph, and zero
    np.testing.assert_array_equal(cr.grad(lambda x: cnp.sum(rounded(x)))(X), np.zeros(4))
    x = cr.tensor(X, requires_grad=True)
    (rounded(x) + x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(4))


def test_custom_jvp_errors():
    @cr.custom_jvp
    def numpy_rule(x):
        return cnp.sin(x)

    @numpy_rule.defjvp
    def _(primals, tangents):   # leaves chainrule: reverse mode cannot transpose it
        (x,), (t,) = primals, tangents
        return cnp.sin(x), np.cos(np.asarray(x)) * np.asarray(t)

    # forward mode only needs values: it works
    assert cr.jvp(numpy_rule, (0.5,), (2.0,))[1] == pytest.approx(2 * np.cos(0.5))
    # cr.grad refuses the conversion at the rule's line
    with pytest.raises(TypeError, match="NumPy array made from a tensor that is being differ"):
        cr.grad(numpy_rule)(0.5)
    # eager backward has no such guard; the rule's detached output is refused, not zeroed
    x = cr.tensor(0.5, requires_grad=True)
    with pytest.raises(TypeError, match=r"custom_jvp _?numpy_rule: reverse mode .* chainrule "
                                        r"operations"):
        numpy_rule(x).backward()

    @cr.custom_jvp
    def single(x):
        return x

    single.defjvp(lambda p, t: t[0])
    with pytest.raises(TypeError, match=r"single: the JVP rule must return a pair"):
        cr.jvp(single, (1.0,), (1.0,))

    @cr.custom_jvp
    def no_rule(x):
        return x

    with pytest.raises(AttributeError, match="No JVP defined for custom_jvp function no_rule"):
        cr.grad(no_rule)(1.0)
    with pytest.raises(AttributeError, match="No JVP defined"):
        no_rule(3.0)                   # as in JAX, even undifferentiated


def test_rules_that_call_their_own_function_transpose_without_recursing():
    # a rule using its own output, as JAX's examples do: (1 - f(x)^2) t for tanh
    @cr.custom_jvp
    def tanh_r(x):
        return cnp.tanh(x)

    tanh_r.defjvp(lambda p, t: (tanh_r(p[0]), (1.0 - tanh_r(p[0]) ** 2) * t[0]))
    th = np.tanh(X)
    np.testing.assert_allclose(cr.elementwise_grad(tanh_r)(X), 1 - th**2, rtol=1e-15)
    np.testing.assert_allclose(cr.vmap(cr.grad(cr.grad(tanh_r)))(X), -2 * th * (1 - th**2),
                               rtol=1e-14)
    np.testing.assert_allclose(cr.hessian(lambda x: cnp.sum(tanh_r(x)))(X),
                               np.diag(-2 * th * (1 - th**2)), rtol=1e-14, atol=1e-17)

    # a linear function whose rule is the function applied to the tangent
    @cr.custom_jvp
    def running_sum(x):
        return cnp.cumsum(x)

    running_sum.defjvp(lambda p, t: (running_sum(p[0]), running_sum(t[0])))
    v = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(cr.jacrev(running_sum)(v), np.tril(np.ones((3, 3))))
    # d/dx sum(cumsum(x) * x) = cumsum(x) + (reversed cumsum of x)
    np.testing.assert_allclose(cr.grad(lambda x: cnp.sum(running_sum(x) * x))(v), [7.0, 8.0, 9.0])


def test_differentiating_a_closed_over_tensor_is_refused_as_in_jax():
    # The custom rule gives cotangents for the arguments only: a parameter the function
    # reads from its closure would get a silent zero gradient. JAX raises; so does chainrule.
    w = cr.tensor(2.0, requires_grad=True)
    x = cr.tensor(3.0, requires_grad=True)

    @cr.custom_vjp
    def scale_v(x):
        return x * w

    scale_v.defvjp(lambda x: (scale_v(x), None), lambda _, g: (g * w,))

    @cr.custom_jvp
    def scale_j(x):
        return x * w

    scale_j.defjvp(lambda p, t: (scale_j(p[0]), t[0] * w))
    for f, kind in ((scale_v, "custom_vjp"), (scale_j, "custom_jvp")):
        with pytest.raises(ValueError, match=rf"{kind} scale_.: the function reads a tensor "
                                             r"requiring grad .* not one of its arguments"):
            f(x).backward()
        assert w.grad is None and x.grad is None

    # not refused: a leaf the argument was computed from, which the stability layer
    # reads in place of the argument (log(sigmoid(z)) is log_sigmoid(z)); its gradient
    # arrives through the argument
    @cr.custom_vjp
    def safe_log(p):
        return cnp.log(p)

    safe_log.defvjp(lambda p: (safe_log(p), p), lambda p, g: (g / p,))
    z = cr.tensor(np.array([0.5, -1.0]), requires_grad=True)
    cnp.sum(safe_log(cr.sigmoid(z * 2.0))).backward()
    s = 1 / (1 + np.exp(-np.array([1.0, -2.0])))
    np.testing.assert_allclose(z.grad.data, 2 * (1 - s), rtol=1e-15)

    # nor, under a transform, a parameter the transform does not differentiate, or the
    # leaves the function's own cr.grad calls make (a Newton solver)
    @cr.custom_vjp
    def sqrt_solve(a):
        r = cnp.ones_like(a)
        for _ in range(30):
            d = cr.grad(lambda r: cnp.sum(r * r - a))(r)
            r = r - (r * r - a) / d
        return r

    sqrt_solve.defvjp(lambda a: (sqrt_solve(a), sqrt_solve(a)), lambda r, g: (g / (2 * r),))
    np.testing.assert_allclose(cr.grad(lambda a: cnp.sum(sqrt_solve(a)))(np.array([4.0, 9.0])),
                               [0.25, 1 / 6], rtol=1e-12)
    assert cr.grad(lambda v: cnp.sum(scale_v(v)))(np.ones(2)).tolist() == [2.0, 2.0]
    # a closure over a tensor not requiring grad, and under no_grad, are fine too
    c = cr.tensor(5.0)

    @cr.custom_vjp
    def by_c(x):
        return x * c

    by_c.defvjp(lambda x: (by_c(x), None), lambda _, g: (g * c,))
    by_c(x).backward()
    assert float(x.grad) == 5.0
    with cr.no_grad():
        assert float(scale_v(x)) == 6.0
    # a tensor being differentiated given through nondiff_argnums: refused too (JAX
    # refuses tracers there), naming nondiff_argnums
    @functools.partial(cr.custom_vjp, nondiff_argnums=(0,))
    def scale_nd(a, x):
        return a * x

    scale_nd.defvjp(lambda a, x: (scale_nd(a, x), None), lambda a, _, g: (g * a,))
    with pytest.raises(ValueError, match="an argument in nondiff_argnums is a tensor being"):
        scale_nd(w * 1.0, x).backward()
    x.grad = None
    scale_nd(2.0, x).backward()
    assert float(x.grad) == 2.0
    # the argument form works: its cotangent comes from the rule
    @cr.custom_vjp
    def scale2(x, w):
        return x * w

    scale2.defvjp(lambda x, w: (scale2(x, w), (x, w)), lambda r, g: (g * r[1], g * r[0]))
    x.grad = None
    scale2(x, w).backward()
    assert (float(x.grad), float(w.grad)) == (2.0, 3.0)
