"""Function transforms: Hessian of a 325-dimensional function, Jacobians of log_softmax at
N = 1000 in both modes, and how the reverse-mode Jacobian's cost grows with output size.

    python benchmarks/bench_transforms.py

Each figure is the median of interleaved repetitions, printed beside a reference
measured in the same run: the closed-form NumPy result, and HIPS autograd's hessian
when that package happens to be importable (it is never a dependency).
"""

from __future__ import annotations

import os

# One BLAS thread (set before NumPy loads; no effect if it already has): after the large
# closed-form products, multithreaded OpenBLAS workers keep spinning and take the
# machine's cores from the next, interleaved, case, which inflated every time here 2-3x.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import chainrule as cr  # noqa: E402
import chainrule.numpy as cnp  # noqa: E402
from chainrule.scipy.special import logsumexp  # noqa: E402

try:
    from .common import interleaved, machine, verdict
except ImportError:  # run as a script
    from common import interleaved, machine, verdict

try:
    import autograd
    import autograd.numpy as anp
except ImportError:
    autograd = None

N_HESSIAN = 325
N_SOFTMAX = 1000


def hessian_problem(n=N_HESSIAN, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, n)) / np.sqrt(n)
    x = rng.standard_normal(n)

    def f(v):
        return logsumexp(cnp.tanh(A @ v)) + cnp.sum(v**2)

    def closed_form():
        # H = A^T (D1 (diag(s) - s s^T) D1 + diag(s * t'')) A + 2 I, u = tanh(A x).
        u = np.tanh(A @ x)
        s = np.exp(u - np.log(np.exp(u).sum()))
        d1 = 1 - u * u
        inner = (d1[:, None] * (np.diag(s) - np.outer(s, s))) * d1[None, :]
        inner[np.diag_indices(n)] += s * (-2 * u * d1)
        return A.T @ inner @ A + 2 * np.eye(n)

    return f, x, A, closed_form


def bench_hessian(repeats):
    f, x, A, closed_form = hessian_problem()
    h = cr.hessian(f)(x)
    h_fwd = cr.jacobian(cr.grad(f), mode="fwd")(x)
    err = max(np.abs(h - closed_form()).max(), np.abs(h_fwd - h).max())
    cases = {
        "closed form (NumPy)": closed_form,
        "cr.hessian (rev-over-rev)": lambda: cr.hessian(f)(x),
        "jacobian(grad, fwd)": lambda: cr.jacobian(cr.grad(f), mode="fwd")(x),
    }
    if autograd is not None:

        def af(v):
            u = anp.tanh(A @ v)
            m = anp.max(u)
            return m + anp.log(anp.sum(anp.exp(u - m))) + anp.sum(v**2)

        cases["autograd.hessian"] = lambda: autograd.hessian(af)(x)
    times = interleaved(cases, repeats=repeats, warmup=1)
    return times, err


def bench_log_softmax(repeats):
    x = np.random.default_rng(1).standard_normal(N_SOFTMAX)

    def closed_form():
        s = np.exp(x - np.log(np.exp(x).sum()))
        return np.eye(N_SOFTMAX) - s[None, :]

    expected = closed_form()
    err = max(
        np.abs(cr.jacobian(cr.log_softmax, mode=m)(x) - expected).max() for m in ("rev", "fwd")
    )
    times = interleaved(
        {
            "closed form (NumPy)": closed_form,
            "jacobian rev": lambda: cr.jacobian(cr.log_softmax, mode="rev")(x),
            "jacobian fwd": lambda: cr.jacobian(cr.log_softmax, mode="fwd")(x),
        },
        repeats=repeats,
        warmup=1,
    )
    return times, err


def bench_rev_scaling(repeats, sizes=(100, 200, 400, 800), n=64):
    """Rev-mode Jacobian of f: R^n -> R^m, f(x) = tanh(W x) + (W x)^2, for growing m.

    Linear growth means m reverse passes over one recorded graph: the Jacobian costs
    about m times one VJP (which itself handles an m-vector, so the VJP grows too).
    """
    rng = np.random.default_rng(2)
    x = rng.standard_normal(n)
    cases = {}
    for m in sizes:
        W = rng.standard_normal((m, n)) / np.sqrt(n)

        def f(v, W=W):
            z = W @ v
            return cnp.tanh(z) + z * z

        _, vjp_fn = cr.vjp(f, x)
        u = rng.standard_normal(m)
        cases[("jacobian", m)] = lambda f=f: cr.jacobian(f, mode="rev")(x)
        cases[("vjp", m)] = lambda vjp_fn=vjp_fn, u=u: vjp_fn(u)
    times = interleaved(cases, repeats=repeats, warmup=1)
    return {m: (times[("jacobian", m)], times[("vjp", m)]) for m in sizes}


def main(repeats=7):
    print(f"chainrule transforms benchmark on {machine()}\n")
    results = {}

    times, err = bench_hessian(repeats)
    print(f"Hessian of logsumexp(tanh(A x)) + sum(x^2), x in R^{N_HESSIAN} "
          f"(max |error| vs closed form {err:.1e})")
    ref = times["closed form (NumPy)"]
    for name, t in times.items():
        print(f"  {name:<28} {t * 1e3:9.2f} ms   {t / ref:7.1f}x closed form")
    if "autograd.hessian" in times:
        ratio = times["cr.hessian (rev-over-rev)"] / times["autograd.hessian"]
        print(f"  cr.hessian / autograd.hessian = {ratio:.2f}  target <= 0.5: "
              f"{verdict(ratio, 0.5)}")
    else:
        print("  (HIPS autograd not importable: no comparison in this run)")
    results["hessian_s"] = times

    times, err = bench_log_softmax(repeats)
    print(f"\nJacobian of log_softmax, N = {N_SOFTMAX} (max |error| vs seed 4b {err:.1e})")
    ref = times["closed form (NumPy)"]
    for name, t in times.items():
        target = f"  target < 1 s: {verdict(t, 1.0)}" if name != "closed form (NumPy)" else ""
        print(f"  {name:<28} {t * 1e3:9.2f} ms   {t / ref:7.1f}x closed form{target}")
    results["log_softmax_jacobian_s"] = times

    scaling = bench_rev_scaling(repeats)
    print("\nRev-mode Jacobian of tanh(W x) + (W x)^2, x in R^64, against output size m")
    worst = 0.0
    for m, (t, t_vjp) in scaling.items():
        ratio = t / (m * t_vjp)
        worst = max(worst, ratio)
        print(f"  m = {m:<5} {t * 1e3:9.2f} ms   one VJP {t_vjp * 1e6:6.1f} us   "
              f"jacobian / (m x VJP) = {ratio:.2f}")
    print(f"  cost is m reverse passes over one recorded graph (ratio <= 1.5 at every m): "
          f"{verdict(worst, 1.5)}")
    results["rev_scaling_s"] = {str(m): t for m, (t, _) in scaling.items()}
    return results


if __name__ == "__main__":
    main()
