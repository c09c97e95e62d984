"""Recurrent layers: PyTorch's equations, names and shapes; gradients through time."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
from chainrule.primitives import recurrent as R

RNG = np.random.default_rng(0)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def reference_lstm(x, p, h, c, suffix="", layer=0, reverse=False):
    """PyTorch's LSTM equations, one step at a time, in NumPy."""
    w_ih, w_hh = p[f"weight_ih_l{layer}{suffix}"], p[f"weight_hh_l{layer}{suffix}"]
    b = p[f"bias_ih_l{layer}{suffix}"] + p[f"bias_hh_l{layer}{suffix}"]
    H = w_ih.shape[0] // 4
    out = np.empty(x.shape[:2] + (h.shape[-1],))
    for t in (range(len(x) - 1, -1, -1) if reverse else range(len(x))):
        z = x[t] @ w_ih.T + h @ w_hh.T + b
        i, f, g, o = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), \
            sigmoid(z[:, 3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        if f"weight_hr_l{layer}{suffix}" in p:  # (proj_size: h projected)
            h = h @ p[f"weight_hr_l{layer}{suffix}"].T
        out[t] = h
    return out, h, c


def reference_gru(x, p, h, suffix="", layer=0):
    w_ih, w_hh = p[f"weight_ih_l{layer}{suffix}"], p[f"weight_hh_l{layer}{suffix}"]
    b_ih, b_hh = p[f"bias_ih_l{layer}{suffix}"], p[f"bias_hh_l{layer}{suffix}"]
    H = w_hh.shape[1]
    out = np.empty(x.shape[:2] + (H,))
    for t in range(len(x)):
        gi, gh = x[t] @ w_ih.T + b_ih, h @ w_hh.T + b_hh
        r = sigmoid(gi[:, :H] + gh[:, :H])
        z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
        n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
        h = (1 - z) * n + z * h
        out[t] = h
    return out, h


def test_lstm_parameter_names_shapes_and_order_are_pytorchs():
    lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True, rng=0)
    want = []
    for layer, width in ((0, 3), (1, 10)):
        for sfx in ("", "_reverse"):
            want += [(f"weight_ih_l{layer}{sfx}", (20, width)),
                     (f"weight_hh_l{layer}{sfx}", (20, 5)),
                     (f"bias_ih_l{layer}{sfx}", (20,)), (f"bias_hh_l{layer}{sfx}", (20,))]
    assert [(k, v.shape) for k, v in lstm.state_dict().items()] == want
    assert all(v.dtype == np.float32 for v in lstm.state_dict().values())
    bound = 1 / np.sqrt(5)
    assert all(np.abs(v).max() <= bound for v in lstm.state_dict().values())
    assert [k for k in nn.GRU(3, 4, bias=False).state_dict()] == ["weight_ih_l0", "weight_hh_l0"]
    assert nn.GRU(3, 4).weight_ih_l0.shape == (12, 3)
    assert nn.RNN(3, 4).weight_hh_l0.shape == (4, 4)


def test_lstm_matches_the_equations_both_directions_and_layers():
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True, dtype=np.float64, rng=1)
    p = lstm.state_dict()
    x = RNG.standard_normal((5, 2, 3))
    h0 = RNG.standard_normal((4, 2, 4))
    c0 = RNG.standard_normal((4, 2, 4))
    out, (hn, cn) = lstm(cr.tensor(x), (cr.tensor(h0), cr.tensor(c0)))
    f0, hf, cf = reference_lstm(x, p, h0[0], c0[0])
    b0, hb, cb = reference_lstm(x, p, h0[1], c0[1], "_reverse", reverse=True)
    x1 = np.concatenate([f0, b0], axis=-1)
    f1, hf1, cf1 = reference_lstm(x1, p, h0[2], c0[2], layer=1)
    b1, hb1, cb1 = reference_lstm(x1, p, h0[3], c0[3], "_reverse", layer=1, reverse=True)
    np.testing.assert_allclose(out.data, np.concatenate([f1, b1], axis=-1), atol=1e-13)
    np.testing.assert_allclose(hn.data, np.stack([hf, hb, hf1, hb1]), atol=1e-13)
    np.testing.assert_allclose(cn.data, np.stack([cf, cb, cf1, cb1]), atol=1e-13)


def test_gru_matches_the_equations_batch_first_and_unbatched():
    gru = nn.GRU(3, 4, batch_first=True, dtype=np.float64, rng=2)
    x = RNG.standard_normal((2, 5, 3))  # (N, L, I)
    out, hn = gru(cr.tensor(x))
    want, h = reference_gru(x.transpose(1, 0, 2), gru.state_dict(), np.zeros((2, 4)))
    np.testing.assert_allclose(out.data, want.transpose(1, 0, 2), atol=1e-13)
    np.testing.assert_allclose(hn.data, h[None], atol=1e-13)
    single, h1 = gru(cr.tensor(x[0]))  # (L, I): no batch axis
    np.testing.assert_allclose(single.data, out.data[0], atol=1e-13)
    assert h1.shape == (1, 4)


def test_rnn_relu_and_cells_agree_with_one_step_of_the_layer():
    for cell_cls, layer_cls, kw in ((nn.LSTMCell, nn.LSTM, {}), (nn.GRUCell, nn.GRU, {}),
                                    (nn.RNNCell, nn.RNN, {"nonlinearity": "relu"})):
        cell = cell_cls(3, 4, dtype=np.float64, rng=3, **kw)
        layer = layer_cls(3, 4, dtype=np.float64, **kw)
        layer.load_state_dict({f"{k}_l0": v for k, v in cell.state_dict().items()})
        x = RNG.standard_normal((2, 3))
        step = cell(cr.tensor(x))
        out, _ = layer(cr.tensor(x[None]))
        h = step[0] if isinstance(step, tuple) else step
        np.testing.assert_allclose(h.data, out.data[0], atol=1e-14)
        unbatched = cell(cr.tensor(x[0]))
        h1 = unbatched[0] if isinstance(unbatched, tuple) else unbatched
        np.testing.assert_allclose(h1.data, h.data[0], atol=1e-14)


@pytest.mark.parametrize("prim, make", [
    (R.lstm_scan, R._lstm_example),
    (R.gru_scan, lambda rng: (R._sequence(rng, T=2, gates=3), {})),
    (R.rnn_scan, lambda rng: (R._sequence(rng, T=2, gates=1), {"nonlinearity": "tanh"})),
])
@pytest.mark.parametrize("reverse", [False, True])
def test_scan_primitives_gradcheck_to_second_order(prim, make, reverse):
    args, kw = make(np.random.default_rng(4))
    assert cr.gradcheck(lambda *a: prim(*a, reverse=reverse, **kw), *args, order=2)


def test_relu_rnn_first_order_gradient():
    args = R._sequence(np.random.default_rng(5), gates=1)
    assert cr.gradcheck(lambda *a: R.rnn_scan(*a, nonlinearity="relu"), *args, modes=("rev",))


def test_lstm_module_gradients_reach_states_and_every_parameter():
    lstm = nn.LSTM(2, 3, num_layers=2, dropout=0.0, dtype=np.float64, rng=6)
    x = cr.tensor(RNG.standard_normal((4, 2, 2)), requires_grad=True)
    h0 = cr.tensor(RNG.standard_normal((2, 2, 3)), requires_grad=True)
    c0 = cr.tensor(RNG.standard_normal((2, 2, 3)), requires_grad=True)
    out, (hn, cn) = lstm(x, (h0, c0))
    (out.sum() + (cn * cn).sum()).backward()
    assert all(p.grad is not None for p in lstm.parameters())
    assert x.grad is not None and h0.grad is not None and c0.grad is not None

    def f(xv, h, c):
        o, (hh, cc) = lstm(xv, (h, c))
        return o.sum() + (cc * cc).sum() + hh.sum()

    assert cr.gradcheck(f, x.data, h0.data, c0.data, modes=("rev",))


def test_float32_stays_float32_and_dropout_between_layers():
    lstm = nn.LSTM(3, 4, num_layers=2, dropout=0.5, rng=0)
    x = cr.tensor(RNG.standard_normal((3, 2, 3)).astype(np.float32), requires_grad=True)
    out, (hn, cn) = lstm(x)
    assert out.dtype == np.float32 and hn.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32 and lstm.weight_hh_l1.grad.dtype == np.float32
    lstm.eval()
    a, _ = lstm(x)
    b, _ = lstm(x)
    np.testing.assert_array_equal(a.data, b.data)


def test_recurrent_errors_name_the_argument():
    with pytest.raises(ValueError, match="only supported for LSTM"):
        nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.warns(UserWarning, match="num_layers=1"):
        nn.GRU(3, 4, dropout=0.2)
    lstm = nn.LSTM(3, 4)
    with pytest.raises(ValueError, match=r"input of shape"):
        lstm(cr.tensor(np.zeros((5, 2, 7), np.float32)))
    with pytest.raises(ValueError, match="h_0 must have shape"):
        lstm(cr.tensor(np.zeros((5, 2, 3), np.float32)),
             (np.zeros((1, 3, 4), np.float32), np.zeros((1, 2, 4), np.float32)))
    with pytest.raises(TypeError, match="tuple"):
        lstm(cr.tensor(np.zeros((5, 2, 3), np.float32)), np.zeros((1, 2, 4), np.float32))
    with pytest.raises(ValueError, match="empty"):
        lstm(cr.tensor(np.zeros((0, 2, 3), np.float32)))


def test_projected_lstm_matches_the_equations_and_pytorchs_layout():
    # proj_size: h_t = W_hr (o_t tanh c_t); weight_hh reads the projected h; the next
    # layer reads D * proj_size features
    lstm = nn.LSTM(4, 5, num_layers=2, bidirectional=True, proj_size=3, dtype=np.float64)
    shapes = {k: v.shape for k, v in lstm.state_dict().items()}
    assert list(shapes)[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                                "weight_hr_l0"]
    assert shapes["weight_hh_l0"] == (20, 3) and shapes["weight_hr_l0"] == (3, 5)
    assert shapes["weight_ih_l1"] == (20, 6)
    p = dict(lstm.state_dict())
    x = RNG.standard_normal((6, 2, 4))
    h0, c0 = RNG.standard_normal((4, 2, 3)), RNG.standard_normal((4, 2, 5))
    out, (h, c) = lstm(cr.tensor(x), (h0, c0))
    assert out.shape == (6, 2, 6) and h.shape == (4, 2, 3) and c.shape == (4, 2, 5)
    layer_in = x
    for layer in range(2):
        outs = []
        for d, suffix in enumerate(("", "_reverse")):
            k = 2 * layer + d
            o, hk, ck = reference_lstm(layer_in, p, h0[k], c0[k], suffix, layer, reverse=d == 1)
            outs.append(o)
            np.testing.assert_allclose(h.data[k], hk, rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(c.data[k], ck, rtol=1e-12, atol=1e-14)
        layer_in = np.concatenate(outs, axis=-1)
    np.testing.assert_allclose(out.data, layer_in, rtol=1e-12, atol=1e-14)
    small = nn.LSTM(2, 3, proj_size=2, dtype=np.float64)
    w = small.weight_hr_l0
    cr.gradcheck(lambda x, w: _with(small, "weight_hr_l0", w, x),
                 RNG.standard_normal((3, 1, 2)), w.data.copy(), order=2, modes=("rev",))
    with pytest.raises(ValueError, match="h_0 must have shape"):
        small(cr.tensor(np.zeros((3, 1, 2))), (np.zeros((1, 1, 3)), np.zeros((1, 1, 3))))


def _with(module, name, value, x):
    """module(x)[0] with parameter `name` replaced by `value` (a differentiated input)."""
    saved = getattr(module, name)
    object.__setattr__(module, name, value)
    try:
        return module(x)[0]
    finally:
        object.__setattr__(module, name, saved)
