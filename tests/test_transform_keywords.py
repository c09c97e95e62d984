"""Keywords and edge cases of the function transforms that JAX and torch.func programs
use: cr.vmap's out_axes pytrees / None, axis_size, empty batches, keyword arguments,
chunk_size and randomness; has_aux of jacrev / jacfwd / linearize / torch.func.jvp;
hessian of a tuple-valued function; lax.scan over 0 steps; custom_vjp / custom_jvp
called with keyword arguments. Expected values are closed forms or JAX's / PyTorch's
results (checked against JAX 0.10 and PyTorch 2.13)."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp
import chainrule.torch as torch
import chainrule.torch.func as tf
from chainrule import lax

X = np.arange(12.0).reshape(4, 3)
x3 = np.array([0.3, -0.7, 1.2])


# ------------------------------------------------------------------------ vmap: out_axes
def test_vmap_out_axes_pytree_prefix_of_a_dict_and_nested_tuple():
    out = cr.vmap(lambda a: {"o": a, "p": (a * 2, cnp.sum(a))},
                  out_axes={"o": 1, "p": (0, 0)})(X)
    assert set(out) == {"o", "p"} and isinstance(out["p"], tuple)
    np.testing.assert_array_equal(out["o"], X.T)
    np.testing.assert_array_equal(out["p"][0], X * 2)
    np.testing.assert_array_equal(out["p"][1], X.sum(1))
    # a prefix: one int for a whole subtree
    out = cr.vmap(lambda a: (a, (a, a * 3)), out_axes=(0, 1))(X)
    assert out[0].shape == (4, 3) and out[1][0].shape == (3, 4)
    np.testing.assert_array_equal(out[1][1], (X * 3).T)


def test_vmap_out_axes_not_matching_the_output_raises():
    # JAX's rule: out_axes is a prefix of the output's structure, not a flat list
    with pytest.raises(ValueError, match="out_axes"):
        cr.vmap(lambda a: (a, (a, a)), out_axes=(0, 1, 0))(X)
    with pytest.raises(ValueError, match="out_axes"):
        cr.vmap(lambda a: {"o": a}, out_axes={"q": 0})(X)


def test_vmap_out_axes_none_returns_an_unmapped_output_once():
    a, ones = cr.vmap(lambda r: (r * 2, cnp.ones(2) * 5.0), out_axes=(0, None))(X)
    np.testing.assert_array_equal(a, X * 2)
    np.testing.assert_array_equal(ones, [5.0, 5.0])
    # out_axes=None for everything, the output not depending on the examples
    np.testing.assert_array_equal(cr.vmap(lambda r: cnp.ones(3), out_axes=None)(X), np.ones(3))


def test_vmap_out_axes_none_for_a_mapped_output_raises():
    with pytest.raises(ValueError, match="out_axes is None"):
        cr.vmap(lambda r: (r, r * 2), out_axes=(0, None))(X)


# ----------------------------------------------------------------------- vmap: axis_size
def test_vmap_axis_size_with_nothing_mapped_repeats_the_result():
    out = cr.vmap(lambda a: a * 2, in_axes=None, axis_size=2)(X[1])
    np.testing.assert_array_equal(out, np.stack([X[1] * 2] * 2))
    out = cr.vmap(lambda a, b: a + b, in_axes=(0, None), axis_size=4)(X, 1.0)
    np.testing.assert_array_equal(out, X + 1.0)


def test_vmap_axis_size_must_agree_and_is_needed_without_a_mapped_argument():
    with pytest.raises(ValueError, match="axis_size"):
        cr.vmap(lambda a: a, axis_size=3)(X)
    with pytest.raises(ValueError, match="maps no argument"):
        cr.vmap(lambda a: a * 2, in_axes=None)(X[0])


# ---------------------------------------------------------------------- vmap: empty batch
def test_vmap_over_an_empty_batch_gives_empty_outputs_of_the_right_shape():
    out = cr.vmap(cnp.sin)(np.zeros((0, 3)))
    assert out.shape == (0, 3) and out.dtype == np.float64
    a, s, c = cr.vmap(lambda r: (r[:2], cnp.sum(r), cnp.ones(5)))(np.zeros((0, 3), np.float32))
    assert a.shape == (0, 2) and a.dtype == np.float32
    assert s.shape == (0,) and c.shape == (0, 5)
    assert cr.vmap(lambda r: r * 2, out_axes=1)(np.zeros((0, 3))).shape == (3, 0)
    # an output not depending on the examples, with out_axes=None: as it is
    _, c = cr.vmap(lambda r: (r, cnp.ones(2)), out_axes=(0, None))(np.zeros((0, 3)))
    np.testing.assert_array_equal(c, np.ones(2))


def test_vmap_over_an_empty_batch_in_the_torch_front_end_keeps_tensors():
    out = tf.vmap(torch.sin)(torch.zeros(0, 3))
    assert isinstance(out, torch.Tensor) and tuple(out.shape) == (0, 3)


# ------------------------------------------------------------------- vmap: keyword args
def test_cr_vmap_maps_keyword_arguments_over_axis_0_as_jax():
    b = np.arange(4.0)[:, None] * np.ones((4, 3))
    out = cr.vmap(lambda a, scale=None: a * scale)(X, scale=b)
    np.testing.assert_array_equal(out, X * b)
    with pytest.raises(ValueError, match="different sizes"):
        cr.vmap(lambda a, scale=None: a * scale)(X, scale=np.ones((2, 3)))


def test_torch_func_vmap_passes_keyword_arguments_unmapped_as_pytorch():
    x = torch.ones(3, 2, dtype=torch.float64)
    out = tf.vmap(lambda a, b=None: a * b)(x, b=torch.tensor([2.0, 3.0], dtype=torch.float64))
    np.testing.assert_array_equal(out.numpy(), [[2.0, 3.0]] * 3)
    # a (3, 2) keyword argument is the same whole tensor for every example: (3, 3, 2)
    assert tuple(tf.vmap(lambda a, b=None: a * b)(x, b=torch.ones(3, 2)).shape) == (3, 3, 2)


# --------------------------------------------------------------------- vmap: chunk_size
@pytest.mark.parametrize("chunk", [1, 3, 4, 10])
def test_vmap_chunk_size_gives_the_unchunked_result(chunk):
    def f(r, w):
        return cnp.tanh(r * w) @ np.array([1.0, -2.0, 0.5]), r[0] * 0.0 + w

    whole = cr.vmap(f, in_axes=(0, None))(X, 0.3)
    part = cr.vmap(f, in_axes=(0, None), chunk_size=chunk)(X, 0.3)
    for got, want in zip(part, whole):
        np.testing.assert_allclose(got, want, rtol=1e-15)
    # differentiable through the chunks: d/dw sum(tanh(X w) @ c)
    c = np.array([1.0, -2.0, 0.5])
    g = cr.grad(lambda w: cnp.sum(cr.vmap(lambda r: cnp.tanh(r * w) @ c,
                                          chunk_size=chunk)(X)))(0.3)
    np.testing.assert_allclose(g, np.sum((1 - np.tanh(X * 0.3) ** 2) * X * c), rtol=1e-12)


def test_vmap_chunk_size_with_an_unmapped_output_and_out_axes():
    out, const = cr.vmap(lambda r: (r * 2, cnp.ones(2)), out_axes=(1, None),
                         chunk_size=3)(X)
    np.testing.assert_array_equal(out, (X * 2).T)
    np.testing.assert_array_equal(const, np.ones(2))


@pytest.mark.parametrize("bad", [0, -1])
def test_vmap_chunk_size_must_be_positive(bad):
    with pytest.raises(ValueError, match="chunk_size should be None or greater than 0"):
        tf.vmap(torch.sin, chunk_size=bad)
    with pytest.raises(ValueError, match="chunk_size"):
        cr.vmap(cnp.sin, chunk_size=bad)


# --------------------------------------------------------------------- vmap: randomness
def _dropout(a):
    return torch.nn.functional.dropout(a, 0.5)


def test_torch_func_vmap_raises_at_a_random_draw_by_default():
    x = torch.ones(4, 6, dtype=torch.float64)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        tf.vmap(_dropout)(x)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        tf.vmap(lambda a: a + torch.randn(6, dtype=torch.float64))(x)
    np.testing.assert_allclose(tf.vmap(torch.sin)(x).numpy(), np.sin(np.ones((4, 6))))
    with pytest.raises(RuntimeError, match="Only allowed values for randomness"):
        tf.vmap(torch.sin, randomness="foo")


@pytest.mark.parametrize("chunk", [None, 2])
def test_torch_func_vmap_randomness_same_and_different(chunk):
    torch.manual_seed(0)
    x = torch.ones(6, 40, dtype=torch.float64)
    same = tf.vmap(_dropout, randomness="same", chunk_size=chunk)(x).numpy()
    assert len({tuple(r) for r in same}) == 1 and set(np.unique(same)) == {0.0, 2.0}
    diff = tf.vmap(_dropout, randomness="different", chunk_size=chunk)(x).numpy()
    assert len({tuple(r) for r in diff}) == 6 and set(np.unique(diff)) == {0.0, 2.0}
    # numbers drawn outside the mask operations, shared with "same"
    noisy = tf.vmap(lambda a: a + torch.randn(40, dtype=torch.float64), randomness="same",
                    chunk_size=chunk)(x).numpy()
    np.testing.assert_array_equal(noisy, np.broadcast_to(noisy[0], noisy.shape))
    assert np.std(noisy[0]) > 0.1


# ---------------------------------------------------------------- jacobians with has_aux
def test_jacrev_and_jacfwd_has_aux():
    f = lambda a: (cnp.sin(a), {"twice": a * 2})  # noqa: E731
    for jac in (cr.jacrev, cr.jacfwd):
        j, aux = jac(f, has_aux=True)(x3)
        np.testing.assert_allclose(j, np.diag(np.cos(x3)), rtol=1e-15)
        np.testing.assert_array_equal(aux["twice"], x3 * 2)


def test_torch_func_jacrev_jacfwd_has_aux_chunk_size_and_unrecorded_aux():
    x = torch.tensor([0.5, -1.0], dtype=torch.float64)
    f = lambda a: (a.sin() * a[0], a * 2)  # noqa: E731
    # d(sin(a_i) a_0)/da_j = cos(a_i) a_0 [i = j] + sin(a_i) [j = 0]
    want = np.diag(np.cos(x.numpy())) * 0.5
    want[:, 0] += np.sin(x.numpy())
    for j, aux in (tf.jacrev(f, has_aux=True, chunk_size=1)(x), tf.jacfwd(f, has_aux=True)(x)):
        np.testing.assert_allclose(j.numpy(), want, rtol=1e-15)
        assert isinstance(aux, torch.Tensor) and not aux.requires_grad
        np.testing.assert_array_equal(aux.numpy(), [1.0, -2.0])
    with pytest.raises(ValueError, match="chunk_size"):
        tf.jacrev(torch.sin, chunk_size=0)(x)


def test_torch_func_jacfwd_randomness():
    x = torch.ones(6, dtype=torch.float64)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        tf.jacfwd(_dropout)(x)
    torch.manual_seed(1)
    same = tf.jacfwd(_dropout, randomness="same")(x).numpy()
    # one mask for every column: a diagonal of 0s and 2s (PyTorch's values)
    np.testing.assert_array_equal(same, np.diag(np.diag(same)))
    assert set(np.diag(same)) <= {0.0, 2.0}
    torch.manual_seed(1)
    j = tf.jacfwd(_dropout, randomness="different")(torch.ones(40, dtype=torch.float64)).numpy()
    np.testing.assert_array_equal(j, np.diag(np.diag(j)))
    assert set(np.diag(j)) == {0.0, 2.0}


def test_hessian_of_a_tuple_valued_function_is_the_tuple_of_hessians():
    h = cr.hessian(lambda a: (cnp.sum(a ** 3), a[0] * a[1]))(x3)
    assert isinstance(h, tuple) and len(h) == 2
    np.testing.assert_allclose(h[0], np.diag(6 * x3), rtol=1e-14)
    np.testing.assert_array_equal(h[1], [[0, 1, 0], [1, 0, 0], [0, 0, 0]])
    d = cr.hessian(lambda a: {"c": cnp.sum(cnp.sin(a))})(x3)
    np.testing.assert_allclose(d["c"], np.diag(-np.sin(x3)), rtol=1e-14)
    th = tf.hessian(lambda a: (a.pow(3).sum(), a[0] * a[1]))(torch.ones(3, dtype=torch.float64))
    np.testing.assert_allclose(th[0].numpy(), 6 * np.eye(3))
    assert not th[0].requires_grad


# ------------------------------------------------------------ forward mode with has_aux
def test_linearize_has_aux():
    out, f_jvp, aux = cr.linearize(lambda a: (cnp.sin(a), a * 2), x3, has_aux=True)
    np.testing.assert_allclose(out, np.sin(x3), rtol=1e-15)
    np.testing.assert_array_equal(aux, x3 * 2)
    v = np.array([1.0, 0.5, -2.0])
    np.testing.assert_allclose(f_jvp(v), np.cos(x3) * v, rtol=1e-15)
    with pytest.raises(TypeError, match="pair"):
        cr.linearize(cnp.sin, x3, has_aux=True)


def test_torch_func_jvp_has_aux():
    x = torch.tensor([0.5, -1.0], dtype=torch.float64)
    v = torch.tensor([1.0, 3.0], dtype=torch.float64)
    out, tangent, aux = tf.jvp(lambda a: (a.sin(), {"k": a * 2}), (x,), (v,), has_aux=True)
    assert isinstance(tangent, torch.Tensor)
    np.testing.assert_allclose(out.numpy(), np.sin(x.numpy()), rtol=1e-15)
    np.testing.assert_allclose(tangent.numpy(), np.cos(x.numpy()) * v.numpy(), rtol=1e-15)
    np.testing.assert_array_equal(aux["k"].numpy(), [1.0, -2.0])
    _, t2 = tf.jvp(torch.sin, (x,), (v,))
    assert isinstance(t2, torch.Tensor)
    with pytest.raises(RuntimeError, match="should be a tuple"):
        tf.jvp(torch.sin, (x,), (v,), has_aux=True)


# ------------------------------------------------------------------ lax.scan over 0 steps
def test_scan_over_zero_steps_returns_the_carry_and_empty_outputs():
    carry, ys = lax.scan(lambda c, v: (c + v, c), 0.0, np.zeros(0))
    assert carry == 0.0 and ys.shape == (0,) and ys.dtype == np.float64
    carry, ys = lax.scan(lambda c, v: (c + cnp.sum(v), {"a": c * np.ones(2), "b": v > 0}),
                         1.5, np.zeros((0, 3)), reverse=True)
    assert carry == 1.5
    assert ys["a"].shape == (0, 2) and ys["b"].shape == (0, 3) and ys["b"].dtype == bool
    carry, ys = lax.scan(lambda c, _: (c, (c, c[0])), np.ones(2), None, length=0)
    np.testing.assert_array_equal(carry, np.ones(2))
    assert ys[0].shape == (0, 2) and ys[1].shape == (0,)
    assert lax.map(lambda r: cnp.sum(r), np.zeros((0, 3))).shape == (0,)
    # the carry passes through: its gradient is one
    g = cr.grad(lambda a: cnp.sum(lax.scan(lambda c, v: (c * v, c), a, np.zeros((0, 3)))[0]))
    np.testing.assert_array_equal(g(x3), np.ones(3))


def test_scan_over_zero_steps_still_checks_the_body():
    with pytest.raises(TypeError, match="pair"):
        lax.scan(lambda c, v: c, 0.0, np.zeros(0))
    with pytest.raises(TypeError, match="structure"):
        lax.scan(lambda c, v: ((c, c), c), 0.0, np.zeros(0))


# ------------------------------------------------- custom rules called with keywords
def _custom_pair():
    @cr.custom_vjp
    def k(a, b=2.0):
        return a * b

    k.defvjp(lambda a, b=2.0: (a * b, (a, b)), lambda r, g: (g * r[1] * 10.0, g * r[0]))

    @cr.custom_jvp
    def j(a, b=2.0):
        return a * b

    @j.defjvp
    def j_jvp(primals, tangents):
        (a, b), (ta, tb) = primals, tangents
        return a * b, ta * b * 10.0 + a * tb

    return k, j


def test_custom_vjp_and_custom_jvp_take_keyword_arguments_by_position():
    k, j = _custom_pair()
    # the custom rules are used (their factor 10 on d/da shows): d/da k(a, b=a) = 10 a + a
    assert cr.grad(lambda a: k(a, b=a))(2.0) == pytest.approx(22.0)
    assert cr.grad(lambda a: j(a, b=a))(2.0) == pytest.approx(22.0)
    assert cr.grad(lambda a: k(a=a, b=a))(2.0) == pytest.approx(22.0)
    # a default filled in: d/da k(a) = 10 * 2
    assert cr.grad(lambda a: k(a=a))(3.0) == pytest.approx(20.0)
    assert cr.jvp(lambda a: j(a=a, b=3.0), (1.0,), (1.0,))[1] == pytest.approx(30.0)
    assert k(2.0, b=4.0) == 8.0


def test_custom_vjp_keywords_that_do_not_resolve_to_positions_raise():
    @cr.custom_vjp
    def f(a, *, scale=1.0):
        return a * scale

    f.defvjp(lambda a, *, scale=1.0: (a * scale, scale), lambda s, g: (g * s,))
    with pytest.raises(TypeError, match="could not be resolved to positional-only"):
        f(2.0, scale=3.0)
    with pytest.raises(TypeError, match=r"(?s)custom_vjp-decorated function f .*nope"):
        f(2.0, nope=1.0)


def test_custom_jvp_nondiff_argnums_given_by_keyword():
    @partial(cr.custom_jvp, nondiff_argnums=(1,))
    def f(a, k):
        return cnp.sin(a) * k

    @f.defjvp
    def f_jvp(k, primals, tangents):
        return f(primals[0], k), cnp.cos(primals[0]) * k * tangents[0] * 3.0

    assert cr.grad(lambda a: f(a, k=2.0))(0.5) == pytest.approx(np.cos(0.5) * 6.0)
