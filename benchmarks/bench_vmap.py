"""Per-example gradients with cr.vmap, and activation memory with cr.checkpoint.

    python -m benchmarks.bench_vmap

1. Per-example gradients of a 784-256-10 tanh MLP with cross-entropy at batch 128:
   ``vmap(grad(loss), in_axes=(None, 0, 0))`` against one batched backward of the same
   loss (target: within 3x), and against a Python loop of per-example grads.
2. A 32-layer MLP (width 256, batch 64) trained with its forward cut into 8 checkpointed
   segments of 4 layers, against the plain forward: the memory the graph holds between
   forward and backward (tracemalloc: NumPy allocates through it) and step time
   (targets: at least 4x less activation memory, at most 1.4x the time).
"""

from __future__ import annotations

import os
import tracemalloc

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import chainrule as cr  # noqa: E402
import chainrule.numpy as cnp  # noqa: E402

try:
    from .common import interleaved, machine, verdict
except ImportError:  # run as a script
    from common import interleaved, machine, verdict  # noqa: I001

SIZES = (784, 256, 10)


def _mlp(rng):
    return [rng.standard_normal((784, 256)).astype(np.float32) * np.float32(784**-0.5),
            np.zeros(256, np.float32),
            rng.standard_normal((256, 10)).astype(np.float32) * np.float32(256**-0.5),
            np.zeros(10, np.float32)]


def _loss(params, x, y):
    w1, b1, w2, b2 = params
    return cr.cross_entropy(cnp.tanh(x @ w1 + b1) @ w2 + b2, y)


def per_example(batch=128, repeats=10):
    rng = np.random.default_rng(0)
    params = _mlp(rng)
    x = rng.standard_normal((batch, 784)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    per_example_grads = cr.vmap(cr.grad(_loss), in_axes=(None, 0, 0))
    batched_grad = cr.grad(_loss)

    def loop():
        return [cr.grad(_loss)(params, x[i], y[i]) for i in range(batch)]

    # The least any method can take: writing the per-example gradients once, into memory
    # that is already mapped (a fresh result also pays the page faults).
    out = np.empty(batch * sum(int(np.size(p)) for p in params), np.float32)
    t = interleaved({"batched backward": lambda: batched_grad(params, x, y),
                     "vmap(grad)": lambda: per_example_grads(params, x, y),
                     "NumPy by hand": _per_example_numpy(params, x, y),
                     "writing the output": lambda: out.fill(1.0)},
                    repeats=repeats)
    t_loop = interleaved({"loop": loop}, repeats=2, warmup=1)["loop"]
    ratio = t["vmap(grad)"] / t["batched backward"]
    floor = t["NumPy by hand"] / t["batched backward"]
    write = t["writing the output"] / t["batched backward"]
    print(f"per-example gradients, 784-256-10 MLP, batch {batch}: vmap(grad) "
          f"{t['vmap(grad)'] * 1e3:.1f} ms = {ratio:.2f}x one batched backward "
          f"({t['batched backward'] * 1e3:.1f} ms)  target <= 3x: {verdict(ratio, 3.0)}; "
          f"the same per-example gradients by hand in NumPy {floor:.1f}x (vmap "
          f"{t['vmap(grad)'] / t['NumPy by hand']:.2f}x of that); writing the "
          f"{out.nbytes / 2**20:.0f} MiB of gradients alone {write:.1f}x; Python loop "
          f"{t_loop / t['batched backward']:.0f}x")
    return {"ratio": ratio, "numpy_by_hand_ratio": floor, "write_ratio": write,
            "loop_ratio": t_loop / t["batched backward"],
            **{k + "_s": v for k, v in t.items()}}


def _per_example_numpy(params, x, y):
    """The per-example gradients written by hand: the floor (they are 128 x 784 x 256
    numbers for the first layer alone, a write no batching avoids)."""
    w1, b1, w2, b2 = params
    rows = np.arange(len(x))

    def run():
        h = np.tanh(x @ w1 + b1)
        z = h @ w2 + b2
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        p[rows, y] -= 1  # per example: no division by the batch size
        d = (p @ w2.T) * (1 - h * h)
        return (x[:, :, None] * d[:, None, :], d, h[:, :, None] * p[:, None, :], p)

    return run


def _deep(rng, depth, width):
    return [cr.tensor(rng.standard_normal((width, width)).astype(np.float32)
                      * np.float32(width**-0.5), requires_grad=True) for _ in range(depth)]


def _forward(weights, x, segment):
    def block(h, ws):
        for w in ws:
            h = cr.tanh(h @ w)
        return h

    h = x
    if segment:
        for k in range(0, len(weights), segment):
            h = cr.checkpoint(lambda v, ws=weights[k:k + segment]: block(v, ws))(h)
    else:
        h = block(h, weights)
    return (h * h).sum()


def _step(weights, x, segment):
    loss = _forward(weights, x, segment)
    for w in weights:
        w.grad = None
    loss.backward()


def _held_after_forward(weights, x, segment):
    """Bytes the graph holds between the forward and the backward pass (tracemalloc sees
    NumPy's allocations): the activations kept for backward."""
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    loss = _forward(weights, x, segment)
    held = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    del loss
    return held


def checkpointed(depth=32, width=256, batch=64, segment=4, repeats=10):
    rng = np.random.default_rng(1)
    weights = _deep(rng, depth, width)
    x = rng.standard_normal((batch, width)).astype(np.float32)
    plain = lambda: _step(weights, x, 0)  # noqa: E731
    ckpt = lambda: _step(weights, x, segment)  # noqa: E731
    plain()
    grads = [w.grad.data.copy() for w in weights]
    ckpt()
    same = max(float(np.abs(w.grad.data - g).max()) for w, g in zip(weights, grads))
    mem_plain = _held_after_forward(weights, x, 0)
    mem_ckpt = _held_after_forward(weights, x, segment)
    t = interleaved({"plain": plain, "checkpointed": ckpt}, repeats=repeats)
    mem_ratio = mem_plain / mem_ckpt
    time_ratio = t["checkpointed"] / t["plain"]
    print(f"{depth}-layer MLP (width {width}, batch {batch}), {depth // segment} checkpointed "
          f"segments: activation memory {mem_plain / 2**20:.1f} -> {mem_ckpt / 2**20:.1f} MiB "
          f"({mem_ratio:.1f}x less; target >= 4x: {'PASS' if mem_ratio >= 4 else 'FAIL'}), "
          f"step {time_ratio:.2f}x (target <= 1.4x: {verdict(time_ratio, 1.4)}); "
          f"largest gradient difference {same:.1e}")
    return {"memory_ratio": mem_ratio, "time_ratio": time_ratio, "max_grad_diff": same}


def main(repeats=10):
    return {"per_example": per_example(repeats=repeats),
            "checkpoint": checkpointed(repeats=repeats)}


if __name__ == "__main__":
    print(f"machine: {machine()}")
    main()
