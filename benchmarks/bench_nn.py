"""Neural-network layer: DataLoader throughput and a small CNN's forward+backward on digits.

Each chainrule figure is printed beside the same work written in NumPy only,
measured in the same run (medians over interleaved repetitions):

* one shuffled epoch of mini-batches, digits (1,438 x 64 float32) and an MNIST-sized
  array (60,000 x 784 uint8), against a permutation plus one fancy index per batch;
* one Adam training step of the 64-64-10 tanh MLP (Module, Linear, CrossEntropyLoss,
  optim.Adam against forward, backward and update by hand);
* one Conv2d layer, forward + backward (im2col + matmul against the same by hand);
* a small CNN (conv-relu-pool x 2, linear, cross-entropy) on 8x8 digits, forward +
  backward, against a hand-written NumPy forward and backward pass whose gradients
  are first checked against chainrule's.

    python benchmarks/bench_nn.py
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import chainrule as cr
import chainrule.nn as nn
from chainrule.data import ArrayDataset, DataLoader, load_digits

try:
    from .common import interleaved, machine
except ImportError:  # run as a script
    from common import interleaved, machine

BATCH = 64


# ----------------------------------------------------------------------- data loading
def loader_cases(X, y, batch=BATCH):
    loader = DataLoader(ArrayDataset(X, y), batch_size=batch, shuffle=True, seed=0)
    rng = np.random.default_rng(0)

    def chainrule_epoch():
        for _batch in loader:
            pass

    def numpy_epoch():
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch):
            idx = order[start : start + batch]
            _batch = X[idx], y[idx]

    return {"numpy": numpy_epoch, "chainrule": chainrule_epoch}


# --------------------------------------------------------------- NumPy convolution
def np_windows(x, k, stride=1, pad=0):
    """(N, C, H, W) -> (C, k, k, N, OH, OW): every k x k window, one column per position."""
    if pad:
        x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]
    return np.ascontiguousarray(win.transpose(1, 4, 5, 0, 2, 3))


def np_unwindows(cols, shape, k, stride=1, pad=0):
    """Add every window's entries back onto the (N, C, H, W) pixels they came from."""
    n, c, h, w = shape
    oh, ow = cols.shape[4:]
    out = np.zeros((c, n, h + 2 * pad, w + 2 * pad), cols.dtype)
    for i in range(k):
        for j in range(k):
            out[:, :, i : i + stride * (oh - 1) + 1 : stride,
                j : j + stride * (ow - 1) + 1 : stride] += cols[:, i, j]
    return out[:, :, pad : pad + h, pad : pad + w].transpose(1, 0, 2, 3)


def np_conv(x, W, b):
    """Stride-1 'same' convolution: (out, C k k) kernels times the window matrix."""
    n, _, h, w = x.shape
    cols = np_windows(x, W.shape[-1], pad=W.shape[-1] // 2)
    z = W.reshape(W.shape[0], -1) @ cols.reshape(-1, n * h * w) + b[:, None]
    return cols, z.reshape(-1, n, h, w).transpose(1, 0, 2, 3)


def np_conv_backward(g, x, cols, W, input_grad=True):
    """Gradients of W, b (and x) from the output cotangent g (N, O, H, W)."""
    gz = g.transpose(1, 0, 2, 3).reshape(W.shape[0], -1)
    gW = (gz @ cols.reshape(-1, gz.shape[1]).T).reshape(W.shape)
    if not input_grad:
        return gW, gz.sum(1), None
    gcols = (W.reshape(W.shape[0], -1).T @ gz).reshape(cols.shape)
    return gW, gz.sum(1), np_unwindows(gcols, x.shape, W.shape[-1], pad=W.shape[-1] // 2)


def conv_layer_cases(cin=16, cout=32, size=8, batch=BATCH, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, cin, size, size)).astype(np.float32)
    g = rng.standard_normal((batch, cout, size, size)).astype(np.float32)
    conv = nn.Conv2d(cin, cout, 3, padding=1, rng=0)
    W, b = conv.weight.data.copy(), conv.bias.data.copy()

    def numpy_step():
        cols, out = np_conv(x, W, b)
        np_conv_backward(g, x, cols, W)

    xt = cr.tensor(x, requires_grad=True)

    def chainrule_step():
        conv.zero_grad()
        xt.grad = None
        conv(xt).backward(g)

    return {"numpy": numpy_step, "chainrule": chainrule_step}


# ------------------------------------------------------------------------ small CNN
def make_cnn(seed=0):
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 2 * 2, 10, rng=rng),
    )


def np_pool(a):
    """2 x 2 max-pooling, stride 2, as a max over each window."""
    cols = np_windows(a, 2, stride=2)
    c, _, _, n, oh, ow = cols.shape
    cols = cols.reshape(c, 4, n, oh, ow)
    return cols, cols.max(axis=1)


def np_pool_backward(g, cols, pooled, shape):
    # Equal maxima share the gradient, as chainrule's max does.
    hit = cols == pooled[:, None]
    share = hit / hit.sum(axis=1, keepdims=True, dtype=g.dtype)
    gcols = share * g.transpose(1, 0, 2, 3)[:, None]
    return np_unwindows(gcols.reshape(cols.shape[:1] + (2, 2) + cols.shape[2:]), shape, 2, 2)


def np_cnn_grads(params, x, y):
    """Loss and parameter gradients of the CNN, forward and backward by hand."""
    W1, b1, W2, b2, W3, b3 = params
    n = x.shape[0]
    cols1, z1 = np_conv(x, W1, b1)
    a1 = np.maximum(z1, 0)
    w1, p1 = np_pool(a1)
    p1 = p1.transpose(1, 0, 2, 3)
    cols2, z2 = np_conv(p1, W2, b2)
    a2 = np.maximum(z2, 0)
    w2, p2 = np_pool(a2)
    f = p2.transpose(1, 0, 2, 3).reshape(n, -1)
    logits = f @ W3.T + b3
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    s = e.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    loss = float(np.mean(np.log(s[:, 0]) - shifted[rows, y]))
    g = e / s
    g[rows, y] -= 1
    g /= n
    gW3, gb3, gf = g.T @ f, g.sum(0), g @ W3
    gz2 = np_pool_backward(gf.reshape(n, *p2.shape[:1], *p2.shape[2:]), w2, p2, a2.shape)
    gz2 = gz2 * (z2 > 0)
    gW2, gb2, gp1 = np_conv_backward(gz2, p1, cols2, W2)
    gz1 = np_pool_backward(gp1, w1, p1.transpose(1, 0, 2, 3), a1.shape) * (z1 > 0)
    gW1, gb1, _ = np_conv_backward(gz1, x, cols1, W1, input_grad=False)
    return loss, [gW1, gb1, gW2, gb2, gW3, gb3]


def cnn_cases(batch=BATCH):
    X, y = load_digits()
    x = (X[:batch] / 16).reshape(batch, 1, 8, 8).astype(np.float32)
    yb = y[:batch]
    model = make_cnn()
    loss_fn = nn.CrossEntropyLoss()
    params = [p.data.copy() for p in model.parameters()]

    def chainrule_step():
        model.zero_grad()
        loss = loss_fn(model(x), yb)
        loss.backward()
        return loss

    # The hand-written pass must compute what chainrule computes before it is timed.
    loss = chainrule_step()
    np_loss, np_grads = np_cnn_grads(params, x, yb)
    assert np.isclose(loss.item(), np_loss, rtol=1e-5)
    for p, g in zip(model.parameters(), np_grads):
        assert g.dtype == np.float32 and np.allclose(p.grad.data, g, rtol=1e-4, atol=1e-6)
    return {"numpy": lambda: np_cnn_grads(params, x, yb), "chainrule": chainrule_step}


# ------------------------------------------------------------- MLP training step
class NumpyAdam:
    """Adam on a list of arrays, the same update chainrule.optim.Adam makes."""

    def __init__(self, params, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
        self.params, self.lr, self.b1, self.b2, self.eps = params, lr, b1, b2, eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads):
        self.t += 1
        step = self.lr / (1 - self.b1**self.t)
        root = np.sqrt(1 - self.b2**self.t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m *= self.b1
            m += (1 - self.b1) * g
            v *= self.b2
            v += (1 - self.b2) * g * g
            p -= step * m / (np.sqrt(v) / root + self.eps)


def mlp_cases(batch=32):
    """One Adam step of the 64-64-10 tanh MLP on a batch of standardized digits."""
    X, y = load_digits()
    X = ((X - X.mean(0)) / (X.std(0) + 1)).astype(np.float32)[:batch]
    y = y[:batch]
    model = nn.Sequential(nn.Linear(64, 64, rng=0), nn.Tanh(), nn.Linear(64, 10, rng=1))
    params = [p.data.copy() for p in model.parameters()]
    opt = cr.optim.Adam(model.parameters(), lr=1e-3)
    np_opt = NumpyAdam(params)
    loss_fn = nn.CrossEntropyLoss()
    rows = np.arange(batch)

    def chainrule_step():
        opt.zero_grad()
        loss_fn(model(X), y).backward()
        opt.step()

    def numpy_step():
        W1, b1, W2, b2 = params
        h = np.tanh(X @ W1.T + b1)
        z = h @ W2.T + b2
        e = np.exp(z - z.max(axis=1, keepdims=True))
        g = e / e.sum(axis=1, keepdims=True)
        g[rows, y] -= 1
        g /= batch
        gh = (g @ W2) * (1 - h * h)
        np_opt.step([gh.T @ X, gh.sum(0), g.T @ h, g.sum(0)])

    return {"numpy": numpy_step, "chainrule": chainrule_step}


def main(repeats=20):
    print(f"machine: {machine()}")
    results = {}
    X, y = load_digits()
    big_X = np.random.default_rng(0).integers(0, 256, (60000, 784), dtype=np.uint8)
    big_y = np.random.default_rng(1).integers(0, 10, 60000)
    for name, (data, labels) in {"digits 1797x64 f32": (X, y),
                                 "MNIST-sized 60000x784 u8": (big_X, big_y)}.items():
        t = interleaved(loader_cases(data, labels), repeats=repeats if len(data) < 10000 else 5)
        ratio = t["chainrule"] / t["numpy"]
        rate = len(data) / t["chainrule"]
        results[f"loader {name}"] = {**t, "ratio": ratio, "samples_per_s": rate}
        print(f"DataLoader epoch, {name}, batch {BATCH}, shuffled: {ratio:.2f}x NumPy "
              f"({rate / 1e6:.2f} M samples/s; {t['chainrule'] * 1e3:.2f} ms vs "
              f"{t['numpy'] * 1e3:.2f} ms)")
    for label, cases in (
        ("MLP 64-64-10 tanh, Adam step (nn + optim), batch 32", mlp_cases()),
        (f"Conv2d 16->32 3x3 pad 1 on {BATCH}x16x8x8, forward+backward", conv_layer_cases()),
        (f"CNN conv8-pool-conv16-pool-linear on {BATCH} digits, forward+backward", cnn_cases()),
    ):
        t = interleaved(cases, repeats=repeats)
        ratio = t["chainrule"] / t["numpy"]
        results[label] = {**t, "ratio": ratio}
        print(f"{label}: {ratio:.2f}x NumPy ({t['chainrule'] * 1e3:.2f} ms vs "
              f"{t['numpy'] * 1e3:.2f} ms)")
    return results


if __name__ == "__main__":
    main()
