"""cr.vmap of indexing: every layout NumPy gives an index (basic, advanced, adjacent or
apart, integers among arrays, masks, new axes, Ellipsis), with the array and/or the
index varying per example, agrees with the loop over the examples, values and gradients
(the gradient runs the transpose, scatter_add / scatter_add_at, under vmap)."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp

RNG = np.random.default_rng(0)
XS = RNG.standard_normal((3, 4, 5, 6))

CONSTANT_INDICES = {
    "int": (1,),
    "slices": (slice(1, 3), slice(None, None, 2)),
    "array first": (np.array([0, 2, 2]),),
    "arrays adjacent": (np.array([0, 3]), np.array([1, 4])),
    "array after a slice": (slice(None), np.array([[0, 1], [4, 4]])),
    "arrays apart": (np.array([0, 1]), slice(None), np.array([2, 5])),
    "int apart from an array": (np.array([0, 1]), Ellipsis, 1),
    "int next to an array": (slice(1, 3), 2, np.array([0, 5, 1])),
    "new axis and ellipsis": (None, Ellipsis, np.array([1, 2])),
    "mask": (np.array([True, False, True, True]),),
    "mask after a slice": (slice(None), np.array([True, False, False, True, True])),
    "list": ([0, 3, 1],),
}


def _loop(f, *batches):
    outs = [f(*(cr.tensor(b[i]) for b in batches)) for i in range(len(batches[0]))]
    return np.stack([o.data for o in outs])


@pytest.mark.parametrize("name", list(CONSTANT_INDICES))
def test_vmap_of_indexing_by_a_constant_index(name):
    idx = CONSTANT_INDICES[name]
    f = lambda x: x[idx]  # noqa: E731
    np.testing.assert_array_equal(cr.vmap(f)(XS), _loop(f, XS))
    g = lambda x: cnp.sum(cnp.sin(x[idx]))  # noqa: E731
    np.testing.assert_allclose(cr.vmap(cr.grad(g))(XS), np.stack([cr.grad(g)(x) for x in XS]))


# An index computed from the example (so batched under vmap) in each position.
COMPUTED = {
    "first": lambda x, i: x[i],
    "after a slice": lambda x, i: x[:, i],
    "apart from another array": lambda x, i: x[i, :, np.array([0, 5, 2])],
    "with an int apart": lambda x, i: x[i, ..., 2],
    "with a constant array next to it": lambda x, i: x[1:3, np.array([1, 4, 0]), i],
}


@pytest.mark.parametrize("name", list(COMPUTED))
def test_vmap_of_indexing_by_an_index_computed_per_example(name):
    def f(x):
        i = cnp.mod(cnp.argsort(cnp.sum(x, axis=(0, 1)))[:3], 4)  # differs per example
        return COMPUTED[name](x, i)

    np.testing.assert_array_equal(cr.vmap(f)(XS), _loop(f, XS))
    g = lambda x: cnp.sum(cnp.tanh(f(x)) * 3.0)  # noqa: E731
    np.testing.assert_allclose(cr.vmap(cr.grad(g))(XS), np.stack([cr.grad(g)(x) for x in XS]))


def test_vmap_of_an_index_batched_into_an_unbatched_array():
    table = RNG.standard_normal((7, 3))
    ids = np.array([[0, 6], [3, 3], [5, 1]])
    f = lambda i: cr.tensor(table)[i, 1:]  # noqa: E731
    np.testing.assert_array_equal(cr.vmap(f)(ids), np.stack([table[i, 1:] for i in ids]))
    h = lambda i: cr.tensor(table.T)[:, i]  # noqa: E731
    np.testing.assert_array_equal(cr.vmap(h)(ids), np.stack([table.T[:, i] for i in ids]))


def test_vmap_of_per_example_gradients_of_a_loss_indexed_by_labels():
    w = RNG.standard_normal((5, 3))
    xs, ys = RNG.standard_normal((4, 5)), np.array([2, 0, 1, 2])

    def loss(w, x, y):
        logp = cr.log_softmax(x @ w)
        return -logp[y]

    got = cr.vmap(cr.grad(loss), in_axes=(None, 0, 0))(w, xs, ys)
    want = np.stack([cr.grad(loss)(w, x, y) for x, y in zip(xs, ys)])
    np.testing.assert_allclose(got, want, rtol=1e-12)
