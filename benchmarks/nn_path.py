"""The MLP step as users write it: nn.Sequential of nn.Linear/nn.Tanh, cr.cross_entropy,
optim.SGD or optim.Adam; against the same step hand-written in NumPy (and PyTorch's
nn/optim path when torch is installed), measured in the same run.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # see engine.py
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import chainrule as cr  # noqa: E402
from chainrule import nn, optim  # noqa: E402

try:  # noqa: E402
    from .common import interleaved, verdict
    from .engine import SIZES, mlp_numpy, torch
except ImportError:  # run as a script
    from common import interleaved, verdict  # noqa: I001
    from engine import SIZES, mlp_numpy, torch

LR = 0.01


def _data(batch, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((batch, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], batch)
    return X, y


def adam_numpy(batch, seed=0, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
    """Hand-written NumPy: forward, manual backward, Adam update in place."""
    rng = np.random.default_rng(seed)
    Ws = [rng.standard_normal((a, b)).astype(np.float32) * np.float32(a**-0.5)
          for a, b in zip(SIZES[:-1], SIZES[1:])]
    bs = [np.zeros(b, np.float32) for b in SIZES[1:]]
    params = Ws + bs
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    X, y = _data(batch, seed)
    rows = np.arange(batch)
    t = [0]

    def step():
        h1 = np.tanh(X @ Ws[0] + bs[0])
        h2 = np.tanh(h1 @ Ws[1] + bs[1])
        z = h2 @ Ws[2] + bs[2]
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        p[rows, y] -= 1
        p /= batch
        d2 = (p @ Ws[2].T) * (1 - h2 * h2)
        d1 = (d2 @ Ws[1].T) * (1 - h1 * h1)
        grads = [X.T @ d1, h1.T @ d2, h2.T @ p, d1.sum(0), d2.sum(0), p.sum(0)]
        t[0] += 1
        c1 = 1 - b1 ** t[0]
        c2 = 1 - b2 ** t[0]
        for w, g, mi, vi in zip(params, grads, m, v):
            mi *= b1
            mi += (1 - b1) * g
            vi *= b2
            vi += (1 - b2) * g * g
            w -= (lr / c1) * mi / (np.sqrt(vi / c2) + eps)

    return step


def mlp_nn(batch, optimizer="sgd", seed=0):
    """chainrule's user path: modules, cross_entropy, an optimizer."""
    layers = []
    for i, (a, b) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        layers.append(nn.Linear(a, b, rng=seed + i))
        if i < len(SIZES) - 2:
            layers.append(nn.Tanh())
    model = nn.Sequential(*layers)
    opt = (optim.SGD(model.parameters(), lr=LR) if optimizer == "sgd"
           else optim.Adam(model.parameters(), lr=1e-3))
    X, y = _data(batch, seed)

    def step():
        loss = cr.cross_entropy(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def mlp_torch_nn(batch, optimizer="sgd", seed=0):
    torch.manual_seed(seed)
    layers = []
    for i, (a, b) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(SIZES) - 2:
            layers.append(torch.nn.Tanh())
    model = torch.nn.Sequential(*layers)
    opt = (torch.optim.SGD(model.parameters(), lr=LR) if optimizer == "sgd"
           else torch.optim.Adam(model.parameters(), lr=1e-3))
    X, y = _data(batch, seed)
    X, y = torch.from_numpy(X), torch.from_numpy(y)

    def step():
        loss = torch.nn.functional.cross_entropy(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


TARGETS = {128: 1.10, 1024: 1.05}


def main(repeats=20):
    results = {}
    for optimizer in ("sgd", "adam"):
        for batch in (32, 128, 1024):
            ref = mlp_numpy(batch) if optimizer == "sgd" else adam_numpy(batch)
            cases = {"numpy": ref, "chainrule": mlp_nn(batch, optimizer)}
            if torch is not None:
                cases["torch"] = mlp_torch_nn(batch, optimizer)
            t = interleaved(cases, repeats=repeats)
            ratio = t["chainrule"] / t["numpy"]
            row = {**{f"{k}_s": v for k, v in t.items()}, "ratio": ratio}
            checks = []
            if optimizer == "sgd" and batch in TARGETS:
                checks.append(f"<= {TARGETS[batch]}x: {verdict(ratio, TARGETS[batch])}")
            extra = ""
            if "torch" in t:
                row["torch_ratio"] = t["torch"] / t["numpy"]
                extra = f", PyTorch nn {row['torch_ratio']:.3f}x"
                if optimizer == "sgd" and batch in (32, 128):
                    faster = t["chainrule"] < t["torch"]
                    checks.append(f"faster than PyTorch: {'PASS' if faster else 'FAIL'}")
            results[f"{optimizer}_b{batch}"] = row
            print(f"nn/optim MLP step ({optimizer}), batch {batch:4d}: {ratio:.3f}x hand-written "
                  f"NumPy ({t['chainrule'] * 1e3:.2f} ms vs {t['numpy'] * 1e3:.2f} ms{extra})"
                  + (f"  target {'; '.join(checks)}" if checks else ""))
    return results


if __name__ == "__main__":
    main()
