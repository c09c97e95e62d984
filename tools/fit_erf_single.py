"""Fit the rational function behind erf's float32 path (primitives/activations.py).

    erf(x) ~ x P(x^2) / Q(x^2) on [0, 4],  deg P = deg Q = 7,  Q(0) = 1

Run `python tools/fit_erf_single.py` (needs mpmath, in the test extra) to print the
coefficient table `_ERF_SINGLE_PQ` and the largest relative error on a fine grid.

The fit is linear least squares on P(t) - f(t) Q(t) = 0, divided by f(t) Q_prev(t) so
that each residual approximates the relative error of the previous iterate
(Sanathanan and Koerner's iteration); after a few rounds each point's weight is
multiplied by its error (Lawson's iteration), which moves the least-squares fit towards
the minimax one. Working in u = t / 16 keeps the Vandermonde columns comparable.
"""

from __future__ import annotations

import mpmath
import numpy as np

CLIP = 4.0
DEGREE = 7
NODES = 3000
ROUNDS, PLAIN_ROUNDS = 60, 10


def erf_over_x(x: np.ndarray) -> np.ndarray:
    return np.array([float(mpmath.erf(mpmath.mpf(v)) / mpmath.mpf(v)) for v in x])


def fit() -> tuple[np.ndarray, np.ndarray]:
    """P and Q's coefficients in t = x^2, lowest power first."""
    k = np.arange(NODES)
    x = np.concatenate([[1e-6], CLIP / 2 * (1 - np.cos(np.pi * (k + 0.5) / NODES))])
    f = erf_over_x(x)
    u = x * x / CLIP**2
    powers = np.vander(u, DEGREE + 1, increasing=True)
    q = np.ones_like(u)
    weight = np.ones_like(u)
    for round_ in range(ROUNDS):
        scale = np.sqrt(weight) / (q * f)
        a = np.hstack([powers, -f[:, None] * powers[:, 1:]]) * scale[:, None]
        sol = np.linalg.lstsq(a, f * scale, rcond=None)[0]
        p_u, q_u = sol[: DEGREE + 1], np.concatenate([[1.0], sol[DEGREE + 1:]])
        q = powers @ q_u
        err = np.abs((powers @ p_u) / q / f - 1)
        if round_ >= PLAIN_ROUNDS:
            weight = weight * err
            weight /= weight.sum()
    to_t = float(CLIP) ** (-2 * np.arange(DEGREE + 1))
    return p_u * to_t, q_u * to_t


def main() -> None:
    p, q = fit()
    x = np.linspace(1e-3, CLIP, 20001)
    approx = np.polyval(p[::-1], x * x) / np.polyval(q[::-1], x * x)
    exact = erf_over_x(x)
    worst = np.max(np.abs(approx / exact - 1))
    print(f"max relative error on 20001 points of [0, {CLIP}]: {worst:.2g}")
    print("_ERF_SINGLE_PQ = np.array([")
    for a, b in zip(p[::-1], q[::-1]):
        print(f"    ({float(a)!r}, {float(b)!r}),")
    print("]).reshape(-1, 2, 1)")


if __name__ == "__main__":
    mpmath.mp.dps = 40
    main()
