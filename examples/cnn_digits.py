"""A convolutional network with BatchNorm2d and Dropout on the built-in 8x8 digits.

    python examples/cnn_digits.py

Two blocks of 3x3 convolutions (32 and 64 channels, same padding), each followed by
BatchNorm2d and ReLU, a 2x2 max-pool (8x8 -> 4x4), Dropout(0.25), a hidden Linear layer
of 128 units with ReLU and Dropout(0.5), and a Linear layer to the 10 classes, written
as a PyTorch user writes it. The 1,797 digits (``chainrule.data.load_digits``) are
split with a fixed seed into 80% training and 20% test; pixels are scaled to [0, 1] and
each training batch is shifted by up to one pixel (a random translation, padding with
zeros). Adam (lr 2e-3), batch 64, a OneCycle schedule over 40 epochs, then the test
accuracy in evaluation mode (running BatchNorm statistics, no dropout).

Measured (Python 3.11.7, NumPy 2.4.6, one run on a shared 2-core machine, 2026-12-05):
40 epochs in 10 s; test accuracy 99.16% (3 of 359 wrong); final training loss 0.0391.
The program prints these lines at the end.
"""

from __future__ import annotations

import sys
import time

import numpy as np

import chainrule as cr
import chainrule.nn as nn
from chainrule import optim
from chainrule.data import load_digits, random_split


class DigitsCNN(nn.Module):
    def __init__(self, rng=0):
        super().__init__()
        rng = np.random.default_rng(rng)
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1, rng=rng), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 64, 3, padding=1, rng=rng), nn.BatchNorm2d(64), nn.ReLU(),
            nn.MaxPool2d(2), nn.Dropout(0.25, rng=rng),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(64 * 4 * 4, 128, rng=rng), nn.ReLU(),
            nn.Dropout(0.5, rng=rng), nn.Linear(128, 10, rng=rng),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def shift(images, rng, most=1):
    """Each image moved by up to ``most`` pixels in x and y, zeros shifted in."""
    n, _, h, w = images.shape
    padded = np.pad(images, ((0, 0), (0, 0), (most, most), (most, most)))
    dy, dx = rng.integers(0, 2 * most + 1, (2, n))
    rows = dy[:, None] + np.arange(h)
    cols = dx[:, None] + np.arange(w)
    return padded[np.arange(n)[:, None, None], 0, rows[:, :, None], cols[:, None, :]][:, None]


def accuracy(model, X, y, batch=500):
    model.eval()
    with cr.no_grad():
        hits = sum(int((model(X[i:i + batch]).data.argmax(axis=1) == y[i:i + batch]).sum())
                   for i in range(0, len(y), batch))
    model.train()
    return hits / len(y)


def main(epochs=40, batch=64, lr=2e-3, seed=0, log=True):
    X, y = load_digits()
    X = (X / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    train_idx, test_idx = random_split(len(y), [0.8, 0.2], seed=seed)
    X_train, y_train, X_test, y_test = X[train_idx], y[train_idx], X[test_idx], y[test_idx]
    model = DigitsCNN(rng=seed)
    opt = optim.Adam(model.parameters(), lr=lr)
    steps_per_epoch = -(-len(y_train) // batch)
    schedule = optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, epochs=epochs,
                                             steps_per_epoch=steps_per_epoch)
    rng = np.random.default_rng(seed)
    losses = []
    started = time.perf_counter()
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(y_train))
        total = 0.0
        for i in range(0, len(order), batch):
            idx = order[i:i + batch]
            loss = cr.cross_entropy(model(shift(X_train[idx], rng)), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            schedule.step()
            total += float(loss) * len(idx)
        losses.append(total / len(y_train))
        if log and (epoch % 5 == 0 or epoch == 1):
            print(f"epoch {epoch:3d}  train loss {losses[-1]:.4f}", flush=True)
    seconds = time.perf_counter() - started
    test = accuracy(model, X_test, y_test)
    errors = round((1 - test) * len(y_test))
    print(f"{epochs} epochs in {seconds:.0f} s; test accuracy {100 * test:.2f}% "
          f"({errors} of {len(y_test)} wrong); final train loss {losses[-1]:.4f}")
    return {"losses": losses, "test_accuracy": test}


if __name__ == "__main__":
    main(**({"epochs": int(sys.argv[1])} if len(sys.argv) > 1 else {}))
