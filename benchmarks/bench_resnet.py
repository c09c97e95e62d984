"""ResNet-style CNN training step against PyTorch eager, one thread each (issue 16's target).

A CIFAR-sized residual network: a 3 -> 16 stem (Conv2d 3x3 + BatchNorm2d + ReLU), two
basic blocks of width 16 (Conv2d 3x3 + BatchNorm2d + ReLU + Conv2d 3x3 + BatchNorm2d,
added to the block's input, ReLU), a downsampling block 16 -> 32 (stride 2, its skip a
1x1 convolution + BatchNorm2d), AdaptiveAvgPool2d(1), Flatten, Linear 32 -> 10; batch
32 of 3 x 32 x 32 float32 images, cross-entropy, SGD with momentum. Both libraries start
from the same state_dict (loaded into PyTorch with strict=True) and see the same batch;
their first losses are compared before timing. The figure is the median of interleaved
steps, as a ratio measured in the same run. Without PyTorch, chainrule's time alone.

    python benchmarks/bench_resnet.py [repeats]      # target <= 1.2x PyTorch eager
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import chainrule as cr  # noqa: E402
import chainrule.nn as nn  # noqa: E402

try:
    from .blas_info import describe as blas
    from .common import interleaved, machine, verdict
    from .lm_steps import paired_steps, ratio_line
except ImportError:  # run as a script
    from blas_info import describe as blas
    from common import interleaved, machine, verdict
    from lm_steps import paired_steps, ratio_line

TARGET = 1.2
BATCH, CLASSES = 32, 10


def make_model(lib, rng=None):
    """The same network from either library's nn (chainrule's layers take rng=)."""
    kw = {} if rng is None else {"rng": rng}

    def conv(cin, cout, k=3, stride=1):
        return lib.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False, **kw)

    class Block(lib.Module):
        def __init__(self, cin, cout, stride=1):
            super().__init__()
            self.conv1, self.bn1 = conv(cin, cout, stride=stride), lib.BatchNorm2d(cout)
            self.conv2, self.bn2 = conv(cout, cout), lib.BatchNorm2d(cout)
            self.relu = lib.ReLU()
            self.down = (lib.Sequential(conv(cin, cout, 1, stride), lib.BatchNorm2d(cout))
                         if stride != 1 or cin != cout else None)

        def forward(self, x):
            h = self.relu(self.bn1(self.conv1(x)))
            h = self.bn2(self.conv2(h))
            return self.relu(h + (x if self.down is None else self.down(x)))

    return lib.Sequential(
        conv(3, 16), lib.BatchNorm2d(16), lib.ReLU(),
        Block(16, 16), Block(16, 16), Block(16, 32, stride=2),
        lib.AdaptiveAvgPool2d(1), lib.Flatten(), lib.Linear(32, CLASSES, **kw),
    )


def data():
    rng = np.random.default_rng(1)
    return (rng.standard_normal((BATCH, 3, 32, 32)).astype(np.float32),
            rng.integers(0, CLASSES, BATCH))


def chainrule_step(model, x, y):
    opt = cr.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        opt.zero_grad()
        loss = cr.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()
    return step


def main(repeats=15):
    cr.set_num_threads(1)
    x, y = data()
    model = make_model(nn, np.random.default_rng(0))
    print(f"ResNet-style step (stem + 3 basic blocks, 16-32 channels, 32x32 inputs, batch "
          f"{BATCH}, SGD momentum), float32, one thread ({machine()}; NumPy's BLAS: {blas()})")
    try:
        import torch
    except ImportError:
        t = interleaved({"chainrule": chainrule_step(model, x, y)}, repeats=repeats)
        print(f"  chainrule {t['chainrule'] * 1e3:.1f} ms per step (torch is not importable: "
              f"no ratio; target <= {TARGET}x PyTorch eager)")
        return {"chainrule_ms": t["chainrule"] * 1e3}
    torch.set_num_threads(1)
    steps = paired_steps(torch, model, make_model(torch.nn), x, y, CLASSES, "SGD", lr=0.01,
                         momentum=0.9)
    return ratio_line("ResNet-style", interleaved(steps, repeats=repeats), TARGET, verdict)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
