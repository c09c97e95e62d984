"""The JAX front end (``python -m chainrule.jax``, chainrule.jax) and the functional index
updates behind ``x.at[...]`` (chainrule.index_updates)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import chainrule as cr
import chainrule.jax as jax
import chainrule.numpy as cnp
from chainrule.gradcheck import gradcheck
from chainrule.index_updates import at

jnp = jax.numpy


# ------------------------------------------------------------- index updates
def _ufunc_at(ufunc, x, index, values):
    out = x.copy()
    ufunc.at(out, index, values)
    return out


X = np.arange(1.0, 6.0)
REPEATED = np.array([1, 1, 3])


@pytest.mark.parametrize("method,ufunc", [("add", np.add), ("subtract", np.subtract),
                                          ("multiply", np.multiply), ("divide", np.divide),
                                          ("power", np.power), ("min", np.minimum),
                                          ("max", np.maximum)])
def test_updates_accumulate_once_per_occurrence_as_ufunc_at(method, ufunc):
    values = np.array([2.0, 0.5, 3.0])
    got = getattr(at(X)[REPEATED], method)(values)
    assert np.array_equal(got, _ufunc_at(ufunc, X, REPEATED, values))
    assert np.array_equal(X, np.arange(1.0, 6.0))  # a new array; x unchanged
    t = cr.tensor(X)
    assert np.array_equal(getattr(t.at[REPEATED], method)(values).data, got)


def test_set_keeps_the_last_of_repeated_positions_and_casts_to_the_dtype():
    assert np.array_equal(at(X)[REPEATED].set(np.array([7.0, 8.0, 9.0])),
                          [1.0, 8.0, 3.0, 9.0, 5.0])
    ints = at(np.arange(3))[0].set(2.7)
    assert ints.dtype == np.arange(3).dtype and ints[0] == 2
    m = np.zeros((3, 4))
    want = m.copy()
    want[1, :] = 1.0
    assert np.array_equal(at(m)[1, :].set(1.0), want)
    assert np.array_equal(at(m)[..., np.array([0, 0])].add(1.0)[:, 0], [2.0, 2.0, 2.0])


def test_out_of_bounds_updates_are_dropped_or_clipped_and_gets_clamped_or_filled():
    assert np.array_equal(at(X)[7].set(9.0), X)
    assert np.array_equal(at(X)[-7].add(9.0), X)
    assert np.array_equal(at(X)[-1].set(9.0), [1.0, 2.0, 3.0, 4.0, 9.0])
    assert np.array_equal(at(X)[np.array([0, 9, 0])].add(np.array([1.0, 5.0, 2.0])),
                          X + [3.0, 0, 0, 0, 0])
    assert np.array_equal(at(X)[7].set(9.0, mode="clip"), [1.0, 2.0, 3.0, 4.0, 9.0])
    m = np.zeros((3, 4))
    want = m.copy()
    want[0, 1] = 1.0
    assert np.array_equal(at(m)[np.array([0, 5]), 1].add(1.0), want)
    assert at(X)[7].get() == 5.0
    assert np.array_equal(at(X)[np.array([1, 7])].get(mode="fill", fill_value=-1.0),
                          [2.0, -1.0])
    assert np.isnan(at(X)[np.array([7])].get(mode="fill")[0])
    assert at(np.arange(5))[7].get(mode="fill") == np.iinfo(np.arange(5).dtype).min
    with pytest.raises(ValueError, match="mode"):
        at(X)[0].set(1.0, mode="wrap")


def test_apply_runs_once_per_occurrence():
    assert np.array_equal(at(X)[np.array([1, 1, 4])].apply(lambda v: 2 * v + 1),
                          [1.0, 11.0, 3.0, 4.0, 11.0])


@pytest.mark.parametrize("update", [
    lambda v: v.at[np.array([1, 1])].set(v[0] * 3.0),
    lambda v: v.at[np.array([1, 3])].add(v[4] ** 2),
    lambda v: v.at[np.array([1, 1, 2])].multiply(v[3]),
    lambda v: v.at[2].divide(v[4]),
    lambda v: v.at[np.array([2, 2])].power(1.5),
    lambda v: v.at[np.array([0, 3])].max(2.5),
    lambda v: v.at[np.array([1, 1])].apply(cnp.sin),
    lambda v: v.at[np.array([0, 9])].get(mode="fill", fill_value=2.0) * v[2],
    lambda v: v.at[np.array([0, 9])].add(v[1:3]),
], ids=["set", "add", "multiply", "divide", "power", "max", "apply", "get-fill", "add-oob"])
def test_index_updates_are_differentiable_to_second_order(update):
    assert gradcheck(update, X + 0.25, order=2)


def test_an_index_computed_inside_a_transform_or_mapped_by_vmap():
    x = np.array([1.0, 5.0, 3.0])
    g = cr.grad(lambda v: cnp.sum(v.at[cnp.argmax(v)].set(0.0) ** 2))(x)
    assert np.array_equal(g, [2.0, 0.0, 6.0])
    rows, idx = np.arange(12.0).reshape(3, 4), np.array([0, 2, 3])
    picked = np.arange(3), idx
    for method, args, want in [("set", (-1.0,), -1.0), ("add", (10.0,), rows[picked] + 10),
                               ("multiply", (3.0,), rows[picked] * 3)]:
        got = cr.vmap(lambda r, i, m=method, a=args: getattr(r.at[i], m)(*a))(rows, idx)
        expected = rows.copy()
        expected[picked] = want
        assert np.array_equal(got, expected), method
    assert np.array_equal(cr.vmap(lambda r, i: r.at[i].get())(rows, idx), rows[picked])
    # the written position gets no gradient from its old value; r[1] gets twice the rest
    grad = cr.grad(lambda r: cnp.sum(cr.vmap(lambda a, i: a.at[i].set(a[1] * 2))(r, idx)))(rows)
    expected = np.ones((3, 4))
    expected[picked] = 0.0
    expected[:, 1] += 2.0
    assert np.array_equal(grad, expected)


# -------------------------------------------------------------- the front end
def test_functions_give_arrays_with_jax_methods():
    x = jnp.arange(5.0)
    assert type(x) is jax.Array and type(x + 1) is jax.Array
    assert type(jnp.sum(x)) is jax.Array and jnp.sum(x).ndim == 0
    y = x.at[1].set(10.0).at[np.array([0, 0])].add(1.0)
    assert type(y) is jax.Array and np.array_equal(y, [2.0, 10.0, 2.0, 3.0, 4.0])
    assert np.array_equal(x, np.arange(5.0))
    assert y.block_until_ready() is y and str(y.device) == "cpu:0"
    assert isinstance(np.zeros(2), jax.Array) and isinstance(cr.tensor(1.0), jnp.ndarray)
    key = jax.random.PRNGKey(0)
    assert type(jax.random.normal(key, (2,))) is jax.Array
    g = jax.grad(lambda v: jnp.sum(v.at[0].multiply(3.0) ** 2))(x)
    assert type(g) is jax.Array and np.allclose(g, 2 * x * [9.0, 1, 1, 1, 1])
    out, f_vjp = jax.vjp(jnp.sin, x)
    (ct,) = f_vjp(jnp.ones(5))
    assert type(out) is jax.Array and type(ct) is jax.Array and np.allclose(ct, np.cos(x))
    assert type(jax.vmap(jnp.outer)(x[:2, None], x[:2, None])) is jax.Array


def test_jit_runs_the_function_and_takes_jax_keywords():
    calls = []

    @jax.jit
    def f(x):
        calls.append(1)
        return x * 2.0

    assert np.array_equal(f(np.arange(3.0)), [0.0, 2.0, 4.0]) and type(f(1.0)) is jax.Array
    assert len(calls) == 2  # eager: the body runs on every call

    @jax.jit(static_argnums=(1,), donate_argnums=0)
    def power(x, n):
        return x ** n

    assert np.array_equal(power(jnp.arange(3.0), 3), [0.0, 1.0, 8.0])
    with pytest.raises(NotImplementedError, match="compile"):
        f.lower(1.0)
    with pytest.raises(NotImplementedError, match="jaxpr"):
        jax.make_jaxpr(f)(1.0)


def test_config_devices_shapes_and_trees():
    jax.config.update("jax_enable_x64", True)
    assert jax.config.jax_enable_x64 is True and jax.config.read("jax_enable_x64") is True
    with pytest.raises(AttributeError):
        jax.config.update("enable_x64", True)
    assert jax.devices() == [jax.devices()[0]] and jax.default_backend() == "cpu"
    assert jax.device_count() == 1 and jax.process_index() == 0
    moved = jax.device_put({"a": np.ones(2)})
    assert type(moved["a"]) is jax.Array
    assert type(jax.device_get(moved)["a"]) is np.ndarray
    shape = jax.eval_shape(lambda a, b: a @ b, jax.ShapeDtypeStruct((3, 2), np.float32),
                           np.ones((2, 5), np.float32))
    assert shape == jax.ShapeDtypeStruct((3, 5), np.float32)
    params = {"w": jnp.ones((2, 2)), "b": [jnp.zeros(2)]}
    doubled = jax.tree.map(lambda p: p * 2 + 1, params)
    assert type(doubled["b"][0]) is jax.Array and np.array_equal(doubled["b"][0], [1.0, 1.0])
    assert len(jax.tree_util.tree_leaves(params)) == 2 and len(jax.tree.leaves(params)) == 2


# A JAX program as its users write it: imports, config, keys, jit, grad, vmap, .at,
# trees, scipy and example_libraries, each result checked below against NumPy.
_PROGRAM = '''
import json, sys
from functools import partial
import jax
import jax.numpy as jnp
from jax import grad, jit, vmap, random, value_and_grad
from jax.example_libraries import optimizers
from jax.scipy.special import logsumexp
import jax.scipy.stats
jax.config.update("jax_enable_x64", True)

key = random.PRNGKey(0)
k1, k2 = random.split(key)
X = random.normal(k1, (40, 3))
w_true = jnp.array([1.0, -2.0, 0.5])
y = X @ w_true + 0.01 * random.normal(k2, (40,))

def loss(w, X, y):
    return jnp.mean((X @ w - y) ** 2)

@jit
def step(w):
    return w - 0.2 * grad(loss)(w, X, y)

w = jnp.zeros(3)
for _ in range(300):
    w = step(w)
init, update, get_params = optimizers.adam(0.05)
state = init(jnp.zeros(3))
for i in range(300):
    state = update(i, grad(loss)(get_params(state), X, y), state)
per_example = vmap(grad(loss), in_axes=(None, 0, 0))(w, X[:, None, :], y[:, None])
counts = jnp.zeros(4).at[jnp.array([0, 2, 2, 3])].add(1.0)
val, g = value_and_grad(lambda v: logsumexp(v.at[1].set(v[0] ** 2)))(jnp.array([0.5, 9.0, -1.0]))
json.dump({"X": X.tolist(), "y": y.tolist(), "w": w.tolist(),
           "adam": get_params(state).tolist(), "per_example": per_example.tolist(),
           "counts": counts.tolist(), "val": float(val), "g": g.tolist(),
           "cdf": float(jax.scipy.stats.norm.cdf(0.0)), "type": type(w).__name__,
           "argv": sys.argv[1:]}, sys.stdout)
'''


def test_a_jax_program_runs_unchanged_under_python_m_chainrule_jax(tmp_path):
    program = tmp_path / "prog.py"
    program.write_text(_PROGRAM)
    done = subprocess.run([sys.executable, "-m", "chainrule.jax", str(program), "--n", "3"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    X, y = np.array(out["X"]), np.array(out["y"])
    best = np.linalg.lstsq(X, y, rcond=None)[0]
    assert np.allclose(out["w"], best, atol=1e-8) and np.allclose(out["adam"], best, atol=1e-3)
    residual = X @ np.array(out["w"]) - y
    assert np.allclose(out["per_example"], 2 * residual[:, None] * X, atol=1e-12)
    assert out["counts"] == [1.0, 0.0, 2.0, 1.0]
    v = np.array([0.5, 0.25, -1.0])
    assert np.isclose(out["val"], np.log(np.sum(np.exp(v))))
    soft = np.exp(v) / np.sum(np.exp(v))
    assert np.allclose(out["g"], [soft[0] + soft[1] * 2 * 0.5, 0.0, soft[2]])
    assert out["cdf"] == 0.5 and out["type"] == "Array" and out["argv"] == ["--n", "3"]


def test_a_missing_jax_module_names_itself(tmp_path):
    program = tmp_path / "prog.py"
    program.write_text("import jax.sharding\n")
    done = subprocess.run([sys.executable, "-m", "chainrule.jax", str(program)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "jax.sharding" in done.stderr and "coming-from-jax" in done.stderr


def test_jax_names_on_chainrule_itself_point_to_the_front_end():
    for name in ("jit", "tree_util", "device_put"):
        with pytest.raises(AttributeError, match="chainrule.jax"):
            getattr(cr, name)
    with pytest.raises(AttributeError, match="no attribute 'tanhh'$"):
        cr.tanhh  # noqa: B018
