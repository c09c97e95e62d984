"""Engine overhead: a 784-256-256-10 tanh MLP step and a chain of small elementwise ops.

Both are timed beside hand-written NumPy doing the same work, in the same run.

    python benchmarks/engine.py
"""

from __future__ import annotations

import os
import time

# One BLAS thread for every contender (see docs/performance.md): on a shared 2-core
# machine, multi-threaded OpenBLAS next to other busy processes stalls for tens of
# milliseconds per product, which makes ratios meaningless. Override to measure threads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import chainrule as cr  # noqa: E402

try:  # optional comparison, never a dependency
    import torch

    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
except ImportError:
    torch = None

# JAX, also optional: one XLA thread like the BLAS, and float64 allowed so that the
# chain runs in the dtype NumPy and chainrule use (JAX defaults to float32).
os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)
try:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
except ImportError:
    jax = None

try:
    from .common import interleaved, machine, verdict
except ImportError:  # run as a script
    from common import interleaved, machine, verdict  # noqa: I001

SIZES = (784, 256, 256, 10)


def mlp_numpy(batch, seed=0):
    """One SGD step of the MLP written by hand: forward, manual backward, in-place update."""
    rng = np.random.default_rng(seed)
    Ws = [rng.standard_normal((a, b)).astype(np.float32) * np.float32(a**-0.5)
          for a, b in zip(SIZES[:-1], SIZES[1:])]
    bs = [np.zeros(b, np.float32) for b in SIZES[1:]]
    X = rng.standard_normal((batch, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], batch)
    lr = np.float32(0.01)
    rows = np.arange(batch)

    def step():
        h1 = np.tanh(X @ Ws[0] + bs[0])
        h2 = np.tanh(h1 @ Ws[1] + bs[1])
        z = h2 @ Ws[2] + bs[2]
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        p = e / e.sum(axis=1, keepdims=True)
        # d(mean NLL)/dz = (softmax - onehot) / batch
        p[rows, y] -= 1
        p /= batch
        gW2 = h2.T @ p
        gb2 = p.sum(0)
        d2 = (p @ Ws[2].T) * (1 - h2 * h2)
        gW1 = h1.T @ d2
        gb1 = d2.sum(0)
        d1 = (d2 @ Ws[1].T) * (1 - h1 * h1)
        gW0 = X.T @ d1
        gb0 = d1.sum(0)
        for W, g in ((Ws[0], gW0), (Ws[1], gW1), (Ws[2], gW2)):
            W -= lr * g
        for b, g in ((bs[0], gb0), (bs[1], gb1), (bs[2], gb2)):
            b -= lr * g

    return step


def mlp_products(batch, seed=0):
    """The floor under every MLP step: only its eight matrix products (three forward,
    five backward), with hand-written NumPy's shapes and layouts, on fixed operands."""
    rng = np.random.default_rng(seed)
    Ws = [rng.standard_normal((a, b)).astype(np.float32) * np.float32(a**-0.5)
          for a, b in zip(SIZES[:-1], SIZES[1:])]
    X = rng.standard_normal((batch, SIZES[0])).astype(np.float32)
    h1 = np.tanh(X @ Ws[0])
    h2 = np.tanh(h1 @ Ws[1])
    p = rng.standard_normal((batch, SIZES[-1])).astype(np.float32)
    d2 = (p @ Ws[2].T) * (1 - h2 * h2)

    def step():
        X @ Ws[0], h1 @ Ws[1], h2 @ Ws[2]
        h2.T @ p, p @ Ws[2].T, h1.T @ d2, d2 @ Ws[1].T, X.T @ d2

    return step


def mlp_chainrule(batch, seed=0):
    """The same step through the engine: tensors, log_softmax cross-entropy, backward."""
    rng = np.random.default_rng(seed)
    Ws = [cr.tensor(rng.standard_normal((a, b)).astype(np.float32) * np.float32(a**-0.5),
                    requires_grad=True) for a, b in zip(SIZES[:-1], SIZES[1:])]
    bs = [cr.tensor(np.zeros(b, np.float32), requires_grad=True) for b in SIZES[1:]]
    X = rng.standard_normal((batch, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], batch)
    params = Ws + bs
    lr = 0.01

    def step():
        h = cr.tanh(X @ Ws[0] + bs[0])
        h = cr.tanh(h @ Ws[1] + bs[1])
        loss = cr.cross_entropy(h @ Ws[2] + bs[2], y)
        for p in params:
            p.grad = None
        loss.backward()
        with cr.no_grad():
            for p in params:
                p -= lr * p.grad

    return step


def mlp_compiled(batch, seed=0):
    """The same step captured by cr.compile (optim.SGD: a compiled step repeats its update,
    where a hand-written in-place update would be refused); (step, capture seconds)."""
    rng = np.random.default_rng(seed)
    Ws = [cr.tensor(rng.standard_normal((a, b)).astype(np.float32) * np.float32(a**-0.5),
                    requires_grad=True) for a, b in zip(SIZES[:-1], SIZES[1:])]
    bs = [cr.tensor(np.zeros(b, np.float32), requires_grad=True) for b in SIZES[1:]]
    X = rng.standard_normal((batch, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], batch)
    opt = cr.optim.SGD(Ws + bs, lr=0.01)

    def step(X, y):
        opt.zero_grad()
        h = cr.tanh(X @ Ws[0] + bs[0])
        h = cr.tanh(h @ Ws[1] + bs[1])
        loss = cr.cross_entropy(h @ Ws[2] + bs[2], y)
        loss.backward()
        opt.step()

    compiled = cr.compile(step)
    t0 = time.perf_counter()
    compiled(X, y)
    return (lambda: compiled(X, y)), time.perf_counter() - t0


def mlp_torch(batch, seed=0):
    """The same step in PyTorch eager (float32, CPU), for comparison when torch is installed."""
    rng = np.random.default_rng(seed)
    Ws = [torch.tensor(rng.standard_normal((a, b)).astype(np.float32) * np.float32(a**-0.5),
                       requires_grad=True) for a, b in zip(SIZES[:-1], SIZES[1:])]
    bs = [torch.zeros(b, requires_grad=True) for b in SIZES[1:]]
    X = torch.tensor(rng.standard_normal((batch, SIZES[0])).astype(np.float32))
    y = torch.tensor(rng.integers(0, SIZES[-1], batch))
    params = Ws + bs

    def step():
        h = torch.tanh(X @ Ws[0] + bs[0])
        h = torch.tanh(h @ Ws[1] + bs[1])
        loss = torch.nn.functional.cross_entropy(h @ Ws[2] + bs[2], y)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= 0.01 * p.grad

    return step


CHAIN = 200

# Each contender has its own copy of the chain's loop, on purpose: one loop shared by
# all (called with np.tanh, cr.tanh, ...) made chainrule's ratio 5.3x instead of 4.9x,
# because the interpreter's call sites then see a different type on every other run
# and keep re-specializing.


def chain_numpy(seed=0):
    x = np.random.default_rng(seed).standard_normal(16)

    def run():
        y = x
        for _ in range(CHAIN // 4):
            y = np.tanh(y)
            y = y * 1.5
            y = y + 0.25
            y = np.sin(y)
        return y

    return run


def chain_chainrule(seed=0):
    x = cr.tensor(np.random.default_rng(seed).standard_normal(16), requires_grad=True)

    def run():
        y = x
        for _ in range(CHAIN // 4):
            y = cr.tanh(y)
            y = y * 1.5
            y = y + 0.25
            y = cr.sin(y)
        x.grad = None
        y.sum().backward()

    return run


def chain_compiled(seed=0):
    """chain_chainrule's run captured by cr.compile (the program replays generated code,
    not the loop); (run, capture seconds)."""
    compiled = cr.compile(chain_chainrule(seed))
    t0 = time.perf_counter()
    compiled()
    return compiled, time.perf_counter() - t0


def chain_torch(seed=0):
    x = torch.tensor(np.random.default_rng(seed).standard_normal(16), requires_grad=True)

    def run():
        y = x
        for _ in range(CHAIN // 4):
            y = torch.tanh(y)
            y = y * 1.5
            y = y + 0.25
            y = torch.sin(y)
        x.grad = None
        y.sum().backward()

    return run


def chain_jax(seed=0, jit=False):
    """The chain's gradient with jax.grad: op by op as written (eager), or compiled by jit."""
    x = jnp.asarray(np.random.default_rng(seed).standard_normal(16))

    def f(x):
        y = x
        for _ in range(CHAIN // 4):
            y = jnp.tanh(y)
            y = y * 1.5
            y = y + 0.25
            y = jnp.sin(y)
        return y.sum()

    grad = jax.jit(jax.grad(f)) if jit else jax.grad(f)

    def run():
        grad(x).block_until_ready()

    return run


def mlp_jax(batch, seed=0, jit=False):
    """The MLP step in JAX: jax.grad of the loss and a functional SGD update."""
    rng = np.random.default_rng(seed)
    Ws = [jnp.asarray(rng.standard_normal((a, b)).astype(np.float32) * np.float32(a**-0.5))
          for a, b in zip(SIZES[:-1], SIZES[1:])]
    bs = [jnp.zeros(b, jnp.float32) for b in SIZES[1:]]
    X = jnp.asarray(rng.standard_normal((batch, SIZES[0])).astype(np.float32))
    y = jnp.asarray(rng.integers(0, SIZES[-1], batch))
    rows = jnp.arange(batch)

    def loss(params):
        W0, W1, W2, b0, b1, b2 = params
        h = jnp.tanh(X @ W0 + b0)
        h = jnp.tanh(h @ W1 + b1)
        logp = jax.nn.log_softmax(h @ W2 + b2)
        return -logp[rows, y].mean()

    grad = jax.grad(loss)

    def update(params):
        return [p - 0.01 * g for p, g in zip(params, grad(params))]

    update = jax.jit(update) if jit else update
    state = [Ws + bs]

    def step():
        state[0] = update(state[0])
        jax.block_until_ready(state[0])

    return step


def _jax_ratios(numpy_case, eager, jitted, repeats, t):
    """JAX's times, measured in a group of their own against the same NumPy reference.

    JAX's eager mode runs hundreds of times longer than the others and leaves the
    caches cold for whatever runs next; interleaved with chainrule it would slow the
    NumPy reference and flatter chainrule's ratio. Its times are rescaled to the main
    group's NumPy time, so every ratio printed is against the reference it was measured
    beside.
    """
    tj = interleaved({"numpy": numpy_case, "jax": eager, "jax_jit": jitted}, repeats=repeats)
    scale = t["numpy"] / tj["numpy"]
    return {"jax": tj["jax"] * scale, "jax_jit": tj["jax_jit"] * scale}


def _others(t, digits):
    """The optional contenders' ratios to NumPy, for the end of a result line."""
    names = {"torch": "PyTorch eager", "jax": "JAX eager", "jax_jit": "JAX jit"}
    return "".join(f", {label} {t[k] / t['numpy']:.{digits}f}x" for k, label in names.items()
                   if k in t)


def main(repeats=20):
    print(f"machine: {machine()}")
    results = {}
    compiled, capture = chain_compiled()
    cases = {"numpy": chain_numpy(), "chainrule": chain_chainrule(), "compiled": compiled}
    if torch is not None:
        cases["torch"] = chain_torch()
    t = interleaved(cases, repeats=repeats)
    if jax is not None:
        t.update(_jax_ratios(chain_numpy(), chain_jax(), chain_jax(jit=True), repeats, t))
    results["per_op"] = {f"{k}_s": v for k, v in t.items()}
    ratio = results["per_op"]["ratio"] = t["chainrule"] / t["numpy"]
    extra = _others(t, 2).replace(", ", "; ", 1)
    print(f"chain of {CHAIN} elementwise ops on 16 elements, forward+backward vs NumPy forward: "
          f"{ratio:.2f}x  ({t['chainrule'] / CHAIN * 1e6:.2f} us/op vs "
          f"{t['numpy'] / CHAIN * 1e6:.2f} us/op{extra})  target <= 6x (engine issue): "
          f"{verdict(ratio, 6)}; <= 5x (performance issue): {verdict(ratio, 5)}")
    ratio = results["per_op"]["compiled_ratio"] = t["compiled"] / t["numpy"]
    results["per_op"]["capture_s"] = capture
    print(f"the same chain through cr.compile: {ratio:.2f}x the NumPy forward "
          f"({t['compiled'] / CHAIN * 1e6:.2f} us/op; captured in {capture * 1e3:.0f} ms)  "
          f"target <= 1.5x: {verdict(ratio, 1.5)}")
    for batch in (32, 128, 1024):
        compiled, capture = mlp_compiled(batch)
        cases = {"numpy": mlp_numpy(batch), "chainrule": mlp_chainrule(batch),
                 "compiled": compiled, "products": mlp_products(batch)}
        if torch is not None:
            cases["torch"] = mlp_torch(batch)
        t = interleaved(cases, repeats=repeats)
        if jax is not None:
            t.update(_jax_ratios(mlp_numpy(batch), mlp_jax(batch), mlp_jax(batch, jit=True),
                                 repeats, t))
        ratio = t["chainrule"] / t["numpy"]
        results[f"mlp_b{batch}"] = {**{f"{k}_s": v for k, v in t.items()}, "ratio": ratio}
        target = "  target <= 1.15x: " + verdict(ratio, 1.15) if batch == 128 else ""
        extra = _others(t, 3)
        print(f"MLP 784-256-256-10 step, batch {batch:4d}: {ratio:.3f}x hand-written NumPy "
              f"({t['chainrule'] * 1e3:.2f} ms vs {t['numpy'] * 1e3:.2f} ms{extra}){target}")
        compiled_ratio = t["compiled"] / t["numpy"]
        results[f"mlp_b{batch}"].update(compiled_ratio=compiled_ratio, capture_s=capture)
        target = ("  target <= 0.85x: " + verdict(compiled_ratio, 0.85)
                  + ("; faster than JAX jit: " + verdict(t["compiled"] / t["jax_jit"], 1.0)
                     if "jax_jit" in t else "")) if batch == 128 else ""
        print(f"  through cr.compile: {compiled_ratio:.3f}x ({t['compiled'] * 1e3:.2f} ms; "
              f"captured in {capture * 1e3:.0f} ms){target}")
        floor = results[f"mlp_b{batch}"]["products_ratio"] = t["products"] / t["numpy"]
        print(f"  its eight matrix products alone (the floor of any step): {floor:.3f}x "
              f"({t['products'] * 1e3:.2f} ms)")
    return results


if __name__ == "__main__":
    main()
