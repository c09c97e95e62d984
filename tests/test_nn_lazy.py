"""nn.LazyLinear: in_features read from the first input."""

from __future__ import annotations

import numpy as np

import chainrule as cr
from chainrule import nn, optim


def test_lazy_linear_sizes_itself_on_the_first_call_and_becomes_a_linear():
    layer = nn.LazyLinear(3, rng=0)
    assert layer.weight.shape == (3, 0)
    opt = optim.SGD(layer.parameters(), lr=0.1)  # made before the weights have a size
    x = np.random.default_rng(1).standard_normal((4, 5)).astype(np.float32)
    loss = cr.sum(layer(x) ** 2)
    assert type(layer) is nn.Linear and layer.in_features == 5
    assert layer.weight.shape == (3, 5) and layer.weight.dtype == np.float32
    bound = 1 / np.sqrt(5)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound
    before = layer.weight.data.copy()
    loss.backward()
    opt.step()
    assert not np.array_equal(layer.weight.data, before)  # the optimizer updated them
    same = nn.Linear(5, 3, rng=0)  # the same draws as a Linear made with that size
    np.testing.assert_array_equal(before, same.weight.data)
