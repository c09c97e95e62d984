"""Lazy layers (LazyLinear, LazyConv*, LazyConvTranspose*, LazyBatchNorm*,
LazyInstanceNorm*): sizes read from the first input."""

from __future__ import annotations

import numpy as np
import pytest

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


@pytest.mark.parametrize("lazy, full, x_shape, weight_shape", [
    (lambda: nn.LazyConv2d(4, 3), nn.Conv2d, (2, 3, 5, 5), (4, 3, 3, 3)),
    (lambda: nn.LazyConv1d(4, 3, groups=2), nn.Conv1d, (6, 7), (4, 3, 3)),  # unbatched
    (lambda: nn.LazyConv3d(2, 2), nn.Conv3d, (1, 3, 3, 3, 3), (2, 3, 2, 2, 2)),
    (lambda: nn.LazyConvTranspose2d(4, 2, stride=2), nn.ConvTranspose2d, (1, 3, 4, 4),
     (3, 4, 2, 2)),
    (lambda: nn.LazyConvTranspose1d(2, 3), nn.ConvTranspose1d, (2, 5, 4), (5, 2, 3)),
])
def test_lazy_convolutions_size_themselves_and_become_the_layer(lazy, full, x_shape,
                                                                 weight_shape):
    layer = lazy()
    weight = layer.weight
    opt = cr.optim.SGD(layer.parameters(), lr=0.1)  # made before the first call
    x = cr.tensor(np.random.default_rng(0).standard_normal(x_shape))
    y = layer(x)
    assert type(layer) is full and layer.weight is weight and weight.shape == weight_shape
    bound = 1 / np.sqrt(np.prod(weight_shape[1:]))  # PyTorch's default initialization
    assert np.abs(weight.data).max() <= bound
    # the same as the ordinary layer with these parameters
    np.testing.assert_allclose(y.data, full.forward(layer, x).data)
    y.sum().backward()
    before = weight.data.copy()
    opt.step()
    assert not np.array_equal(weight.data, before)


def test_lazy_norms_read_the_channels():
    bn = nn.LazyBatchNorm1d()
    bn(cr.tensor(np.random.default_rng(1).standard_normal((5, 7))))
    assert type(bn) is nn.BatchNorm1d and bn.num_features == 7
    assert bn.running_var.shape == (7,) and bn.weight.data.tolist() == [1.0] * 7
    inorm = nn.LazyInstanceNorm2d(affine=True)
    inorm(cr.tensor(np.ones((3, 4, 4))))  # unbatched (C, H, W)
    assert type(inorm) is nn.InstanceNorm2d and inorm.weight.shape == (3,)
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.LazyConv2d(4, 3, groups=2)(cr.tensor(np.ones((1, 3, 5, 5))))
