"""nn.init: the initializers PyTorch programs call."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.nn import functional as F
from chainrule.nn import init


# ------------------------------------------------- trunc_normal_, orthogonal_, eye_
def test_trunc_normal_stays_in_bounds_with_the_truncated_moments():
    from scipy import stats

    t = cr.tensor(np.zeros((200, 100), np.float32))
    nn.init.trunc_normal_(t, mean=1.0, std=2.0, a=0.0, b=3.0, rng=0)
    assert t.dtype == np.float32
    assert t.data.min() >= 0.0 and t.data.max() <= 3.0
    ref = stats.truncnorm((0.0 - 1.0) / 2.0, (3.0 - 1.0) / 2.0, loc=1.0, scale=2.0)
    assert abs(t.data.mean() - ref.mean()) < 0.02
    assert abs(t.data.std() - ref.std()) < 0.02
    # Far in the tail: no rejection loop, still inside the bounds.
    far = nn.init.trunc_normal_(cr.tensor(np.zeros(1000)), a=8.0, b=9.0, rng=1)
    assert far.data.min() >= 8.0 and far.data.max() <= 9.0
    with pytest.raises(ValueError, match="a < b"):
        nn.init.trunc_normal_(cr.tensor(np.zeros(3)), a=1.0, b=1.0)


@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (6, 2), (4, 2, 3)])
def test_orthogonal_makes_orthonormal_rows_or_columns(shape):
    t = nn.init.orthogonal_(cr.tensor(np.zeros(shape)), gain=2.0, rng=0)
    m = t.data.reshape(shape[0], -1) / 2.0
    if m.shape[0] <= m.shape[1]:
        np.testing.assert_allclose(m @ m.T, np.eye(m.shape[0]), atol=1e-12)
    else:
        np.testing.assert_allclose(m.T @ m, np.eye(m.shape[1]), atol=1e-12)
    with pytest.raises(ValueError, match="2 dimensions"):
        nn.init.orthogonal_(cr.tensor(np.zeros(3)))


def test_eye_fills_the_identity():
    np.testing.assert_array_equal(nn.init.eye_(cr.tensor(np.ones((2, 3)))).data, np.eye(2, 3))


# ------------------------------------- dropout streams: the default generator at call time
def _twice(module, *inputs):
    outs = []
    for _ in range(2):
        nn.init.manual_seed(3)
        out = module(*inputs)
        outs.append((out[0] if isinstance(out, tuple) else out).data.copy())
    return outs


@pytest.mark.parametrize("make", [
    lambda: nn.Dropout(0.5),
    lambda: nn.MultiheadAttention(8, 2, dropout=0.5, batch_first=True),
    lambda: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5, batch_first=True),
    lambda: nn.LSTM(8, 8, num_layers=2, dropout=0.5, batch_first=True),
], ids=["Dropout", "MultiheadAttention", "TransformerEncoderLayer", "LSTM"])
def test_reseeding_after_construction_makes_dropout_repeat(make):
    # PyTorch programs seed after building the model; the masks must follow that seed.
    module = make()
    x = cr.tensor(np.ones((2, 5, 8), np.float32))
    inputs = (x, x, x) if isinstance(module, nn.MultiheadAttention) else (x,)
    a, b = _twice(module, *inputs)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, module(*inputs)[0].data if isinstance(
        module, (nn.MultiheadAttention, nn.LSTM)) else module(*inputs).data)


def test_a_seeded_dropout_module_draws_one_stream():
    d = nn.Dropout(0.5, rng=7)
    x = cr.tensor(np.ones(64))
    first, second = d(x).data.copy(), d(x).data.copy()
    assert not np.array_equal(first, second)  # a stream, not the same mask each call
    again = nn.Dropout(0.5, rng=7)
    np.testing.assert_array_equal(again(x).data, first)


@pytest.mark.parametrize("groups", [1, 2])
def test_dirac_makes_a_convolution_pass_its_input_through(groups):
    weight = nn.Parameter(np.empty((4, 2, 3, 3)))
    init.dirac_(weight, groups=groups)
    x = np.random.default_rng(0).standard_normal((1, 2 * groups, 5, 5))
    y = F.conv2d(cr.tensor(x), weight, padding=1, groups=groups).data
    per_group = 4 // groups
    for g in range(groups):
        for d in range(min(per_group, 2)):
            np.testing.assert_allclose(y[0, g * per_group + d], x[0, g * 2 + d], atol=1e-15)
    with pytest.raises(ValueError, match="3-, 4- or 5-d"):
        init.dirac_(nn.Parameter(np.empty((3, 3))))


def test_sparse_zeroes_the_stated_fraction_of_each_column():
    weight = nn.Parameter(np.empty((10, 6)))
    init.sparse_(weight, 0.3, std=0.5, rng=0)
    assert ((weight.data == 0).sum(axis=0) == 3).all()
    assert 0.3 < weight.data[weight.data != 0].std() < 0.7


def test_layers_of_width_zero_are_made_with_pytorchs_warning():
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        layer = nn.Linear(0, 4, rng=0)
    assert layer.weight.shape == (4, 0) and np.array_equal(layer.bias.data, np.zeros(4))
    with pytest.warns(UserWarning, match="zero-element"):
        w = init.kaiming_normal_(np.empty((3, 0)))
    assert w.shape == (3, 0)
