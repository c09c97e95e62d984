"""Parity with PyTorch: each program in examples/torch_style/ run by both libraries.

Each program is loaded twice from its source: once as written (``import
chainrule.torch as torch``) and once with ``chainrule.torch`` rewritten to ``torch``
(so the two differ only in their import lines). Both build the program's model in
float64 from the same initial weights (chainrule's, copied into PyTorch's model by its
``state_dict`` with ``strict=True``, or tensor by tensor for makemore's hand-made
layers), with dropout off, and take 20 training steps through the program's own
``train_step`` on the same batches. Printed per program: the largest relative
difference of the 20 losses, |a - b| / |b| (goal <= 1e-10), and the time per step of
each library (one thread each, steps 2-20) with their ratio.

    python benchmarks/parity_torch.py                  # needs torch (not a dependency)
    python benchmarks/parity_torch.py --chainrule-only # the chainrule half alone
"""

from __future__ import annotations

import re
import sys
import time
import types
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "examples" / "torch_style"
STEPS = 20
GOAL = 1e-10


def load(name, real_torch):
    """examples/torch_style/NAME.py as a module, its chainrule.torch imports read as torch."""
    path = FOLDER / f"{name}.py"
    source = path.read_text()
    if real_torch:
        source = re.sub(r"\bchainrule\.torch\b", "torch", source)
    module = types.ModuleType(f"{name}_{'torch' if real_torch else 'chainrule'}")
    module.__file__ = str(path)
    sys.modules[module.__name__] = module  # (dataclasses and pickling look modules up)
    exec(compile(source, str(path), "exec"), module.__dict__)  # noqa: S102
    return module


def text_ids(chars=50_000):
    sys.path.insert(0, str(ROOT / "examples"))
    from text_corpus import encode, python_source_text

    return encode(python_source_text(chars))


# ---------------------------------------------------------------- the programs
def mnist_setup(lib, ex, weights):
    from chainrule.data import load_digits

    model = ex.Net(dropout=(0.0, 0.0)).double()
    if weights is not None:
        model.load_state_dict({k: lib.from_numpy(v.copy()) for k, v in weights.items()},
                              strict=True)
    optimizer = ex.make_optimizer(model)
    X, y = load_digits()
    images = ((X.reshape(-1, 1, 8, 8) / 16.0 - 0.3) / 0.4).astype(np.float64)
    rng = np.random.default_rng(0)
    batches = [rng.integers(0, len(y), 64) for _ in range(STEPS)]

    def step(i):
        idx = batches[i]
        return ex.train_step(model, optimizer, lib.from_numpy(images[idx]),
                             lib.from_numpy(y[idx].astype(np.int64)))

    return step, lambda: {k: np.array(v) for k, v in model.state_dict().items()}


def makemore_setup(lib, ex, weights):
    ids, chars = text_ids()
    C, layers, parameters = ex.build(len(chars))
    with lib.no_grad():
        if weights is not None:
            for p, w in zip(parameters, weights):
                p.copy_(lib.from_numpy(w.copy()))
    block = ex.block_size
    rng = np.random.default_rng(0)
    starts = [rng.integers(0, len(ids) - block - 1, 32) for _ in range(STEPS)]

    def step(i):
        rows = starts[i][:, None] + np.arange(block + 1)
        window = ids[rows]
        return ex.train_step(C, layers, parameters, lib.from_numpy(window[:, :-1]),
                             lib.from_numpy(window[:, -1]), 0.1)

    return step, lambda: [np.array(p.detach().numpy()) for p in parameters]


def gpt_setup(lib, ex, weights):
    ids, chars = text_ids()
    model = ex.GPTLanguageModel(len(chars), dropout=0.0).double()
    if weights is not None:
        model.load_state_dict({k: lib.from_numpy(v.copy()) for k, v in weights.items()},
                              strict=True)
    optimizer = ex.make_optimizer(model)
    block = ex.block_size
    rng = np.random.default_rng(0)
    starts = [rng.integers(0, len(ids) - block - 1, ex.batch_size) for _ in range(STEPS)]

    def step(i):
        rows = starts[i][:, None] + np.arange(block + 1)
        window = ids[rows]
        return ex.train_step(model, optimizer, lib.from_numpy(window[:, :-1].copy()),
                             lib.from_numpy(window[:, 1:].copy()))

    return step, lambda: {k: np.array(v) for k, v in model.state_dict().items()}


def lstm_setup(lib, ex, weights):
    ids, chars = text_ids()
    model = ex.RNNModel(len(chars), dropout=0.0).double()
    if weights is not None:
        model.load_state_dict({k: lib.from_numpy(v.copy()) for k, v in weights.items()},
                              strict=True)
    optimizer = lib.optim.SGD(model.parameters(), lr=20.0)
    source = ex.batchify(lib.from_numpy(ids[:ex.bptt * ex.batch_size * (STEPS + 1)]),
                         ex.batch_size)
    hidden = [model.init_hidden(ex.batch_size)]

    def step(i):  # (the hidden state carried across windows, as the program does)
        data, targets = ex.get_batch(source, i * ex.bptt)
        loss, hidden[0] = ex.train_step(model, optimizer, data, targets, hidden[0])
        return loss

    return step, lambda: {k: np.array(v) for k, v in model.state_dict().items()}


PROGRAMS = {"mnist_cnn": mnist_setup, "makemore_mlp": makemore_setup, "gpt": gpt_setup,
            "lstm_lm": lstm_setup}


def run(lib, name, real_torch, weights):
    """(losses, seconds per step, initial weights) of 20 steps of program `name`."""
    ex = load(name, real_torch)
    lib.manual_seed(0)
    lib.set_default_dtype(lib.float64)
    try:
        step, initial = PROGRAMS[name](lib, ex, weights)
        start_weights = initial()
        losses = [step(0)]  # (the first step is timed out: lazy imports, allocations)
        started = time.perf_counter()
        for i in range(1, STEPS):
            losses.append(step(i))
        seconds = (time.perf_counter() - started) / (STEPS - 1)
    finally:
        lib.set_default_dtype(lib.float32)
    return np.array(losses), seconds, start_weights


def main(argv):
    import chainrule as cr
    import chainrule.torch as crt

    cr.set_num_threads(1)
    try:
        import torch
    except ImportError:
        torch = None
    if torch is None and "--chainrule-only" not in argv:
        print("PyTorch is not installed: this script compares chainrule.torch with it. "
              "Install torch to run it, or pass --chainrule-only for chainrule's half.")
        return 0
    if torch is not None:
        torch.set_num_threads(1)
    print(f"{'program':14s} {'max rel loss diff':>18s} {'chainrule ms':>13s} "
          f"{'torch ms':>9s} {'ratio':>6s}")
    worst = 0.0
    for name in PROGRAMS:
        ours, t_ours, weights = run(crt, name, False, None)
        if torch is None:
            print(f"{name:14s} {'-':>18s} {1000 * t_ours:13.2f} {'-':>9s} {'-':>6s}   "
                  f"losses {ours[0]:.4f} -> {ours[-1]:.4f}")
            continue
        theirs, t_theirs, _ = run(torch, name, True, weights)
        diff = float(np.max(np.abs(ours - theirs) / np.abs(theirs)))
        worst = max(worst, diff)
        print(f"{name:14s} {diff:18.2e} {1000 * t_ours:13.2f} {1000 * t_theirs:9.2f} "
              f"{t_ours / t_theirs:6.2f}")
    if torch is not None:
        print(f"largest relative loss difference {worst:.2e} (goal <= {GOAL:.0e}): "
              f"{'met' if worst <= GOAL else 'NOT met'}")
        return 0 if worst <= GOAL else 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
