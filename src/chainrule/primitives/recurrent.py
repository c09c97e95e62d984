"""Recurrent layers as one primitive per layer and direction: a whole sequence per node.

    lstm_scan(x, w_ih, b_ih, h0, c0, w_hh, b_hh)  -> (2, T, B, H): every h_t and c_t
    gru_scan(x, w_ih, b_ih, h0, w_hh, b_hh)       -> (T, B, H): every h_t
    rnn_scan(x, w_ih, b_ih, h0, w_hh, b_hh)       -> (T, B, H), nonlinearity tanh or relu

x is (T, B, I), the weights have PyTorch's shapes and gate order (LSTM: i, f, g, o; GRU:
r, z, n); ``reverse=True`` runs from t = T - 1 down to 0 (the backward direction of a
bidirectional layer). The equations are PyTorch's (docs/api.md, "Recurrent layers").

Why one node per sequence: written with one recorded operation per step and gate, an
LSTM step is ~25 nodes and a 64-step, 2-layer language-model step ~3,000 of them, each
with Python bookkeeping and a temporary in backward. Here the forward is the input
projection for all steps (one product), then per step one (B, H) x (H, 4H) product and
about ten NumPy calls in place; the backward through time is per step one (B, 4H) x
(4H, H) product and about seven NumPy calls (everything that does not depend on the
recurrence is computed for the whole sequence at once, before the loop), then three
products for the weight and input gradients. No Python work per element.

Memory kept for backward, per layer and direction, per step and batch row (floats of the
input's dtype): LSTM I + 6H (the input, the four gate activations, h and c), GRU I + 5H
(input, r, z, n, the hidden part of n's pre-activation, h), RNN I + H. A 1,000-step LSTM
layer with I = H = 256 at batch 32 in float32 holds 188 MiB after its forward pass (plus
its 31 MiB input; tracemalloc), and its backward peaks at 440 MiB in all, the (T, B, 4H)
gate cotangents (125 MiB) among it.

Rules: the first-order VJP (NumPy arrays, the forward's activations saved) runs the loop
above once per node and hands each argument its part (the loop's result is kept on the
node between the argument rules of one backward call). For higher orders and forward mode
the rules receive tensors: they differentiate the same equations unrolled into chainrule
operations (``unrolled``), which records, so every order follows from the primitives
underneath.
"""

from __future__ import annotations

import numpy as np

from .. import statements as S
from .. import transforms
from ..domains import Example
from ..rules import primitive
from .activations import relu, sigmoid
from .elementwise import tanh
from .layers import linear
from .shape import getitem, stack


# ------------------------------------------------------------------------ helpers
def _order(T, reverse):
    return range(T - 1, -1, -1) if reverse else range(T)


def _project(x, w_ih, bias):
    """x W_ih^T + bias for every step at once, one product: (T, B, I) -> (T, B, G), new."""
    T, B, _ = x.shape
    out = np.matmul(x.reshape(T * B, -1), w_ih.T).reshape(T, B, -1)
    out += bias
    return out


def _previous(hs, h0, reverse):
    """h_{t-1} for every t in the direction of the recurrence: (T, B, H)."""
    prev = np.empty_like(hs)
    if reverse:
        prev[:-1] = hs[1:]
        prev[-1] = h0
    else:
        prev[1:] = hs[:-1]
        prev[0] = h0
    return prev


def _recurrent_weight_grad(d, hs, h0, reverse):
    """sum_t d_t^T h_(t-1): the steps after the first against the outputs shifted by one
    (contiguous views, no copy), plus the first step against h0."""
    first, later, earlier = (-1, slice(0, -1), slice(1, None)) if reverse else \
        (0, slice(1, None), slice(0, -1))
    out = _weight_grad(d[later], hs[earlier]) if len(d) > 1 else 0
    return out + np.matmul(d[first].T, np.broadcast_to(h0, hs.shape[1:]))


def _input_grad(d, w_ih):
    """d W_ih for every step: (T, B, G) x (G, I) as one 2-d product (NumPy's 3-d x 2-d
    matmul loops over T: 1.4x slower at T = 64, B = 32, G = 1024)."""
    T, B, G = d.shape
    return np.matmul(d.reshape(T * B, G), w_ih).reshape(T, B, -1)


def _weight_grad(d, inputs):
    """sum_t d_t^T inputs_t: (T, B, G), (T, B, K) -> (G, K), one product."""
    G, K = d.shape[-1], inputs.shape[-1]
    return np.matmul(d.reshape(-1, G).T, inputs.reshape(-1, K))


def _bias(dtype, *biases):
    """The sum of the biases (arrays or the 0 of a layer without them) in `dtype`."""
    return sum(np.asarray(b, dtype) for b in biases)


def _dtype(*arrays):
    return np.result_type(*[a for a in arrays if isinstance(a, np.ndarray)])


def _cached(saved, g, compute):
    """The full backward of a node, computed once per cotangent g and kept on the node.

    backward() calls a primitive's rules one argument after another with the same g;
    the loop through time gives every argument's cotangent at once.
    """
    hit = saved.get("grads")
    if hit is not None and hit[0] is g:
        return hit[1]
    grads = compute()
    saved["grads"] = (g, grads)
    return grads


# --------------------------------------------------------------------------- LSTM
def _lstm_gate_constants(H, dtype):
    # sigmoid(z) = tanh(z / 2) / 2 + 1/2: one tanh over all four gates, scaled per gate.
    s = np.full(4 * H, 0.5, dtype)
    s[2 * H : 3 * H] = 1
    b = np.full(4 * H, 0.5, dtype)
    b[2 * H : 3 * H] = 0
    return s, b


def _lstm_fwd(x, w_ih, b_ih, h0, c0, w_hh, b_hh, reverse=False):
    x, w_ih, w_hh = np.asarray(x), np.asarray(w_ih), np.asarray(w_hh)
    T, B, _ = x.shape
    H = w_hh.shape[1]
    dtype = _dtype(x, w_ih, w_hh)
    s, b = _lstm_gate_constants(H, dtype)
    # Pre-activations already scaled by s (folded into the small weights and biases),
    # then the activations, in place.
    acts = _project(x, w_ih * s[:, None], _bias(dtype, b_ih, b_hh) * s)
    w_scaled = (w_hh * s[:, None]).T  # (H, 4H)
    out = np.empty((2, T, B, H), dtype)
    hs, cs = out
    h = np.broadcast_to(np.asarray(h0, dtype), (B, H))
    c = np.broadcast_to(np.asarray(c0, dtype), (B, H))
    buf = np.empty((B, 4 * H), dtype)
    ig = np.empty((B, H), dtype)
    for t in _order(T, reverse):
        a = acts[t]
        np.matmul(h, w_scaled, out=buf)
        a += buf
        np.tanh(a, out=a)
        a *= s
        a += b
        ct, ht = cs[t], hs[t]
        np.multiply(a[:, H : 2 * H], c, out=ct)
        np.multiply(a[:, :H], a[:, 2 * H : 3 * H], out=ig)
        ct += ig
        np.tanh(ct, out=ht)
        ht *= a[:, 3 * H :]
        h, c = ht, ct
    return out, {"acts": acts}


def _lstm_backward(g, ans, x, w_ih, b_ih, h0, c0, w_hh, b_hh, reverse=False, acts=None):
    """Every cotangent of lstm_scan, NumPy, first order.

    Per step, on (B, H) buffers that stay in cache (a pass over whole-sequence arrays
    instead allocates and streams several (T, B, 4H) temporaries, which measured slower):
    dh_t = gh_t + W_hh^T dz_(t+1); dc_t = gc_t + f_(t+1) dc_(t+1) + dh_t o_t (1 - tanh^2 c_t);
    dz_t = a'(z_t) * [dc g, dc c_(t-1), dc i, dh tanh c_t] for the gates (i, f, g, o).
    """
    gh, gc = g[0], g[1]
    hs, cs = ans[0], ans[1]
    T, B, H = hs.shape
    dtype = hs.dtype
    s, b = _lstm_gate_constants(H, dtype)
    s2 = (s * s).reshape(4, H)
    b4 = b.reshape(4, H)
    acts4 = acts.reshape(T, B, 4, H)
    c0 = np.broadcast_to(c0, (B, H))
    dgates = np.empty((T, B, 4, H), dtype)
    dh = np.zeros((B, H), dtype)
    dc = np.zeros((B, H), dtype)
    tc = np.empty((B, H), dtype)
    tmp = np.empty((B, H), dtype)
    local = np.empty((B, 4, H), dtype)
    w_hh = np.ascontiguousarray(w_hh)
    for t in _order(T, not reverse):
        a = acts4[t]
        i, f, gg, o = a[:, 0], a[:, 1], a[:, 2], a[:, 3]
        c_prev = c0 if t == (T - 1 if reverse else 0) else cs[t + 1 if reverse else t - 1]
        dh += gh[t]
        np.tanh(cs[t], out=tc)
        np.multiply(tc, tc, out=tmp)
        np.subtract(1, tmp, out=tmp)
        tmp *= o
        tmp *= dh
        dc += tmp
        dc += gc[t]
        # The gates' local derivatives: a = s tanh(s z) + b has da/dz = s^2 - (a - b)^2.
        np.subtract(a, b4, out=local)
        np.square(local, out=local)
        np.subtract(s2, local, out=local)
        dgt = dgates[t]
        np.multiply(dc, gg, out=dgt[:, 0])
        np.multiply(dc, c_prev, out=dgt[:, 1])
        np.multiply(dc, i, out=dgt[:, 2])
        np.multiply(dh, tc, out=dgt[:, 3])
        dgt *= local
        dc *= f
        np.matmul(dgt.reshape(B, 4 * H), w_hh, out=dh)
    dgates = dgates.reshape(T, B, 4 * H)
    db = dgates.sum(axis=(0, 1))
    return {
        0: _input_grad(dgates, w_ih),
        1: _weight_grad(dgates, x),
        2: db,
        3: dh,
        4: dc,
        5: _recurrent_weight_grad(dgates, hs, h0, reverse),
        6: db,
    }


def _lstm_step(x_t, h, c, w_ih, b_ih, w_hh, b_hh):
    """One LSTM step in chainrule operations (the rules' differentiable form)."""
    z = linear(x_t, w_ih, b_ih) + linear(h, w_hh, b_hh)
    H = np.shape(h)[-1]
    i = sigmoid(getitem(z, (Ellipsis, slice(0, H))))
    f = sigmoid(getitem(z, (Ellipsis, slice(H, 2 * H))))
    gg = tanh(getitem(z, (Ellipsis, slice(2 * H, 3 * H))))
    o = sigmoid(getitem(z, (Ellipsis, slice(3 * H, 4 * H))))
    c = f * c + i * gg
    return o * tanh(c), c


def _lstm_unrolled(x, w_ih, b_ih, h0, c0, w_hh, b_hh, reverse=False):
    T, B = np.shape(x)[:2]
    H = np.shape(w_hh)[1]
    h = h0 if np.shape(h0) == (B, H) else h0 + np.zeros((B, H), _dtype(np.asarray(0.0)))
    c = c0
    hs, cs = [None] * T, [None] * T
    for t in _order(T, reverse):
        h, c = _lstm_step(getitem(x, t), h, c, w_ih, b_ih, w_hh, b_hh)
        hs[t], cs[t] = h, c
    return stack([stack(hs), stack(cs)])


# ---------------------------------------------------------------------------- GRU
def _gru_fwd(x, w_ih, b_ih, h0, w_hh, b_hh, reverse=False):
    x, w_ih, w_hh = np.asarray(x), np.asarray(w_ih), np.asarray(w_hh)
    T, B, _ = x.shape
    H = w_hh.shape[1]
    dtype = _dtype(x, w_ih, w_hh)
    acts = _project(x, w_ih, _bias(dtype, b_ih))  # (T, B, 3H): pre-activations, then r, z, n
    hn_all = np.empty((T, B, H), dtype)  # W_hn h + b_hn, the part of n that r scales
    out = np.empty((T, B, H), dtype)
    w_t = w_hh.T
    h = np.broadcast_to(np.asarray(h0, dtype), (B, H))
    buf = np.empty((B, 3 * H), dtype)
    for t in _order(T, reverse):
        a = acts[t]
        np.matmul(h, w_t, out=buf)
        buf += b_hh
        rz = a[:, : 2 * H]
        rz += buf[:, : 2 * H]
        rz *= 0.5
        np.tanh(rz, out=rz)
        rz *= 0.5
        rz += 0.5
        hn_all[t] = buf[:, 2 * H :]
        n = a[:, 2 * H :]
        buf[:, 2 * H :] *= a[:, :H]
        n += buf[:, 2 * H :]
        np.tanh(n, out=n)
        ht = out[t]
        np.subtract(h, n, out=ht)  # h' = n + z (h - n)
        ht *= a[:, H : 2 * H]
        ht += n
        h = ht
    return out, {"acts": acts, "hn": hn_all}


def _gru_backward(g, ans, x, w_ih, b_ih, h0, w_hh, b_hh, reverse=False, acts=None, hn=None):
    T, B, H = ans.shape
    dtype = ans.dtype
    r, z, n = (acts[..., k * H : (k + 1) * H] for k in range(3))
    h_prev = _previous(ans, np.broadcast_to(h0, (B, H)), reverse)
    # Per unit of dh_t: dz_pre = dh (h_prev - n) z (1 - z); dn_pre = dh (1 - z)(1 - n^2).
    per_z = (h_prev - n) * z * (1 - z)
    per_n = (1 - z) * (1 - n * n)
    r_local = hn * r * (1 - r)  # dr_pre = dn_pre * hn * r (1 - r)
    dgx = np.empty((T, B, 3, H), dtype)  # cotangents of x W_ih^T + b_ih
    dgh = np.empty((T, B, 3, H), dtype)  # cotangents of h W_hh^T + b_hh
    dh = np.zeros((B, H), dtype)
    for t in _order(T, not reverse):
        dh += g[t]
        gx, gh = dgx[t], dgh[t]
        np.multiply(dh, per_n[t], out=gx[:, 2])  # dn_pre
        np.multiply(gx[:, 2], r_local[t], out=gx[:, 0])  # dr_pre
        np.multiply(dh, per_z[t], out=gx[:, 1])  # dz_pre
        gh[:, :2] = gx[:, :2]
        np.multiply(gx[:, 2], r[t], out=gh[:, 2])  # d(W_hn h + b_hn) = dn_pre r
        dh *= z[t]
        dh += np.matmul(gh.reshape(B, 3 * H), w_hh)
    dgx = dgx.reshape(T, B, 3 * H)
    dgh = dgh.reshape(T, B, 3 * H)
    return {
        0: _input_grad(dgx, w_ih),
        1: _weight_grad(dgx, x),
        2: dgx.sum(axis=(0, 1)),
        3: dh,
        4: _weight_grad(dgh, h_prev),
        5: dgh.sum(axis=(0, 1)),
    }


def _gru_unrolled(x, w_ih, b_ih, h0, w_hh, b_hh, reverse=False):
    T, B = np.shape(x)[:2]
    H = np.shape(w_hh)[1]
    h = h0
    hs = [None] * T
    for t in _order(T, reverse):
        gx = linear(getitem(x, t), w_ih, b_ih)
        gh = linear(h if np.shape(h) == (B, H) else h + np.zeros((B, H)), w_hh, b_hh)
        r = sigmoid(getitem(gx, (Ellipsis, slice(0, H))) + getitem(gh, (Ellipsis, slice(0, H))))
        z = sigmoid(getitem(gx, (Ellipsis, slice(H, 2 * H)))
                    + getitem(gh, (Ellipsis, slice(H, 2 * H))))
        n = tanh(getitem(gx, (Ellipsis, slice(2 * H, 3 * H)))
                 + r * getitem(gh, (Ellipsis, slice(2 * H, 3 * H))))
        h = n + z * (h - n)
        hs[t] = h
    return stack(hs)


# ---------------------------------------------------------------------------- RNN
def _rnn_fwd(x, w_ih, b_ih, h0, w_hh, b_hh, nonlinearity="tanh", reverse=False):
    x, w_ih, w_hh = np.asarray(x), np.asarray(w_ih), np.asarray(w_hh)
    T, B, _ = x.shape
    H = w_hh.shape[1]
    dtype = _dtype(x, w_ih, w_hh)
    out = _project(x, w_ih, _bias(dtype, b_ih, b_hh))
    w_t = w_hh.T
    h = np.broadcast_to(np.asarray(h0, dtype), (B, H))
    buf = np.empty((B, H), dtype)
    for t in _order(T, reverse):
        ht = out[t]
        np.matmul(h, w_t, out=buf)
        ht += buf
        if nonlinearity == "tanh":
            np.tanh(ht, out=ht)
        else:
            np.maximum(ht, 0, out=ht)
        h = ht
    return out, {}


def _rnn_backward(g, ans, x, w_ih, b_ih, h0, w_hh, b_hh, nonlinearity="tanh", reverse=False):
    T, B, H = ans.shape
    local = 1 - ans * ans if nonlinearity == "tanh" else (ans > 0).astype(ans.dtype)
    d = np.empty((T, B, H), ans.dtype)
    dh = np.zeros((B, H), ans.dtype)
    for t in _order(T, not reverse):
        dh += g[t]
        np.multiply(dh, local[t], out=d[t])
        np.matmul(d[t], w_hh, out=dh)
    db = d.sum(axis=(0, 1))
    return {0: _input_grad(d, w_ih), 1: _weight_grad(d, x), 2: db, 3: dh,
            4: _recurrent_weight_grad(d, ans, h0, reverse), 5: db}


def _rnn_unrolled(x, w_ih, b_ih, h0, w_hh, b_hh, nonlinearity="tanh", reverse=False):
    act = tanh if nonlinearity == "tanh" else relu
    T, B = np.shape(x)[:2]
    H = np.shape(w_hh)[1]
    h = h0 if np.shape(h0) == (B, H) else h0 + np.zeros((B, H))
    hs = [None] * T
    for t in _order(T, reverse):
        h = act(linear(getitem(x, t), w_ih, b_ih) + linear(h, w_hh, b_hh))
        hs[t] = h
    return stack(hs)


# ------------------------------------------------------------------- declarations
def _rules(nargs, backward, unrolled):
    """One VJP rule per argument: the NumPy backward through time, run once per node and
    cotangent (first order), or the VJP of the unrolled form (tensors: higher orders and
    forward mode, where the rule itself is recorded)."""

    def rule(i, g, ans, *args, saved=None, **kw):
        if saved is not None and type(g) is np.ndarray:
            grads = _cached(saved, g, lambda: backward(
                g, ans, *[np.asarray(a) for a in args], **kw,
                **{k: v for k, v in saved.items() if k != "grads"}))
            return grads[i]
        _, vjp_fn = transforms.vjp(lambda *a: unrolled(*a, **kw), *args)
        return vjp_fn(g)[i]

    return [lambda g, ans, *a, _i=i, **kw: rule(_i, g, ans, *a, **kw) for i in range(nargs)]


def _sequence(rng, T=3, B=2, I=3, H=2, gates=4):
    x = rng.standard_normal((T, B, I))
    w_ih = rng.standard_normal((gates * H, I)) * 0.5
    w_hh = rng.standard_normal((gates * H, H)) * 0.5
    b_ih, b_hh = rng.standard_normal(gates * H) * 0.5, rng.standard_normal(gates * H) * 0.5
    h0 = rng.standard_normal((B, H)) * 0.5
    return x, w_ih, b_ih, h0, w_hh, b_hh


def _lstm_example(rng):
    x, w_ih, b_ih, h0, w_hh, b_hh = _sequence(rng)
    return (x, w_ih, b_ih, h0, rng.standard_normal(h0.shape) * 0.5, w_hh, b_hh), {}


lstm_scan = primitive(
    "lstm_scan", _lstm_fwd,
    saves=True,
    domain=Example(_lstm_example),
    statement=S.Statement(
        forward="an LSTM layer over a whole sequence: z_t = W_ih x_t + b_ih + W_hh h_(t-1) + "
        "b_hh; i, f, o = sigmoid, g = tanh of its four parts; c_t = f c_(t-1) + i g; "
        "h_t = o tanh(c_t); the output stacks every h_t and c_t",
        vjp="backpropagation through time: dc_t = gc_t + dh_t o (1 - tanh^2 c_t) + f_(t+1) "
        "dc_(t+1), dh_t = gh_t + W_hh^T dz_(t+1); the weight gradients sum dz_t x_t^T "
        "and dz_t h_(t-1)^T over t",
        latex_forward=r"c_t = f_t \odot c_{t-1} + i_t \odot g_t,\quad h_t = o_t \odot "
        r"	anh c_t",
        latex_vjp=r"ar W_{hh} = 	extstyle\sum_t ar z_t h_{t-1}^	op,\quad ar h_{t-1} "
        r"\mathrel{+}= W_{hh}^	op ar z_t",
    ),
).defvjp(*_rules(7, _lstm_backward, _lstm_unrolled))

gru_scan = primitive(
    "gru_scan", _gru_fwd,
    saves=True,
    domain=Example(lambda rng: (_sequence(rng, gates=3), {})),
    statement=S.Statement(
        forward="a GRU layer over a whole sequence: r, z = sigmoid(W_i x_t + b_i + W_h "
        "h_(t-1) + b_h) parts; n = tanh(W_in x_t + b_in + r (W_hn h_(t-1) + b_hn)); "
        "h_t = (1 - z) n + z h_(t-1)",
        vjp="backpropagation through time: dh_(t-1) = z dh_t + W_hh^T [dr, dz, r dn] "
        "(pre-activations); the weight gradients sum over t",
        latex_forward=r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}",
        latex_vjp=r"ar h_{t-1} = z_t \odot ar h_t + W_{hh}^	op ar a_t",
    ),
).defvjp(*_rules(6, _gru_backward, _gru_unrolled))

rnn_scan = primitive(
    "rnn_scan", _rnn_fwd,
    saves=True,
    domain=Example(lambda rng: (_sequence(rng, gates=1), {"nonlinearity": "tanh"})),
    statement=S.Statement(
        forward="an Elman RNN layer over a whole sequence: h_t = act(W_ih x_t + b_ih + "
        "W_hh h_(t-1) + b_hh), act = tanh or relu",
        vjp="backpropagation through time: d_t = act'(.) (g_t + W_hh^T d_(t+1)); the "
        "weight gradients sum d_t x_t^T and d_t h_(t-1)^T over t",
        latex_forward=r"h_t = \phi(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})",
        latex_vjp=r"ar h_{t-1} = W_{hh}^\top (\phi' \odot ar h_t)",
    ),
).defvjp(*_rules(6, _rnn_backward, _rnn_unrolled))
