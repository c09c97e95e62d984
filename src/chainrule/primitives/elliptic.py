"""The complete elliptic integrals ellipk, ellipkm1 and ellipe (scipy.special's names and
conventions: parameter m = k^2, defined for m <= 1).

Both come from Carlson's symmetric integrals, evaluated by the duplication theorem
(B. C. Carlson, "Numerical computation of real or complex elliptic integrals", Numer.
Algorithms 10 (1995); the closing Taylor series are DLMF 19.36.1-2):
  K(m) = R_F(0, 1 - m, 1),   E(m) = 2 R_G(0, 1 - m, 1),
and with y = 1 - m, 2 R_G(0, y, 1) = z R_F + (|x - z| |y - z| / 3) R_D with z chosen as the
middle argument (y for m >= 0, 1 for m < 0), so every term is positive: E keeps its
relative accuracy at m = 1 (where R_F - m R_D/3 would cancel two logarithms) and for
m -> -inf. R_F and R_D are homogeneous, so the arguments are first scaled to max 1; then
24 duplication steps leave deviations below 4^-10 and the series' error below 1e-30.
ellipkm1(p) = K(1 - p) takes p itself, so K keeps its accuracy as m -> 1.

Derivatives (A&S 17.3.10, 17.3.11): dK/dm = (E - (1 - m) K) / (2 m (1 - m)),
dE/dm = (E - K) / (2m). Both are 0/0 at m = 0 and cancel near it, so for |m| < 0.1 they
are the derivatives of the Maclaurin series K = pi/2 sum c_n m^n, E = pi/2 sum
c_n m^n / (1 - 2n), c_n = ((2n)! / (4^n n!^2))^2.
"""

from __future__ import annotations

import math

import numpy as np

from .. import statements as S
from ..domains import Domain
from ..rules import elementwise
from .elementwise import abs, less, where
from .special import as_result, float_inputs

# A small argument only catches up with the others as a square root per step (1e-300 takes
# nine), then deviations shrink fourfold per step: 24 steps leave them below 4^-10 even from
# the widest spread of doubles, and the closing series' error below 1e-30.
_STEPS = 24


def _scaled(*args):
    """The arguments over their largest (R_F and R_D are homogeneous), and that scale."""
    scale = np.maximum.reduce(args)
    return [a / scale for a in args], scale


def carlson_rf(x, y, z):
    """R_F(x, y, z) = 1/2 int_0^inf dt / sqrt((t+x)(t+y)(t+z)) for x, y, z >= 0, at most
    one of them 0 (float64 arrays of one shape)."""
    (x, y, z), scale = _scaled(x, y, z)
    for _ in range(_STEPS):
        # Each step rounds: an argument stops once its deviations are below 1e-3 (the
        # series' error is then below 1e-18), instead of gathering 24 steps' rounding.
        a = (x + y + z) / 3
        busy = np.maximum.reduce([np.abs(a - x), np.abs(a - y), np.abs(a - z)]) > 1e-3 * a
        sx, sy, sz = np.sqrt(x), np.sqrt(y), np.sqrt(z)
        lam = sx * sy + sy * sz + sz * sx
        x, y, z = (np.where(busy, (v + lam) / 4, v) for v in (x, y, z))
    a = (x + y + z) / 3
    dx, dy = 1 - x / a, 1 - y / a
    dz = -(dx + dy)
    e2 = dx * dy - dz * dz
    e3 = dx * dy * dz
    series = 1 - e2 / 10 + e3 / 14 + e2 * e2 / 24 - 3 * e2 * e3 / 44
    return series / np.sqrt(a) / np.sqrt(scale)


def carlson_rd(x, y, z):
    """R_D(x, y, z) = 3/2 int_0^inf dt / sqrt((t+x)(t+y)(t+z)^3) for x, y >= 0 (not both
    0), z > 0."""
    (x, y, z), scale = _scaled(x, y, z)
    total = np.zeros_like(x)
    weight = np.ones_like(x)
    for _ in range(_STEPS):
        a = (x + y + 3 * z) / 5
        busy = np.maximum.reduce([np.abs(a - x), np.abs(a - y), np.abs(a - z)]) > 1e-3 * a
        sx, sy, sz = np.sqrt(x), np.sqrt(y), np.sqrt(z)
        lam = sx * sy + sy * sz + sz * sx
        total = np.where(busy, total + weight / (sz * (z + lam)), total)
        weight = np.where(busy, weight / 4, weight)
        x, y, z = (np.where(busy, (v + lam) / 4, v) for v in (x, y, z))
    a = (x + y + 3 * z) / 5
    dx, dy = 1 - x / a, 1 - y / a
    dz = -(dx + dy) / 3
    xy = dx * dy
    e2 = xy - 6 * dz * dz
    e3 = (3 * xy - 8 * dz * dz) * dz
    e4 = 3 * (xy - dz * dz) * dz * dz
    e5 = xy * dz * dz * dz
    series = (1 - 3 * e2 / 14 + e3 / 6 + 9 * e2 * e2 / 88 - 3 * e4 / 22 - 9 * e2 * e3 / 52
              + 3 * e5 / 26)
    return (3 * total + weight * series / (a * np.sqrt(a))) / scale / np.sqrt(scale)


def _k_of_y(y):
    """K at y = 1 - m > 0 (finite)."""
    zeros = np.zeros_like(y)
    return carlson_rf(zeros, y, np.ones_like(y))


def _e_of_y(y):
    """E at y = 1 - m > 0 (finite), every term positive (see the module docstring)."""
    zeros, ones = np.zeros_like(y), np.ones_like(y)
    # 0 <= m < 1 (y <= 1): z = y, 2 R_G = y R_F(0, 1, y) + y (1 - y)/3 R_D(0, 1, y);
    # m < 0: z = 1, 2 R_G = R_F(0, y, 1) + (y - 1)/3 R_D(0, y, 1).
    below = y <= 1
    z = np.where(below, y, ones)
    other = np.where(below, ones, y)
    return z * carlson_rf(zeros, other, z) + z * np.abs(other - z) / 3 * carlson_rd(
        zeros, other, z)


def _complete(y, inner, at_zero, at_inf):
    """inner(y) for 0 < y < inf, with the edge values at y = 0 and y = inf; NaN for y < 0."""
    out = np.full(y.shape, np.nan)
    with np.errstate(all="ignore"):
        inside = (y > 0) & np.isfinite(y)
        out[inside] = inner(y[inside])
        out[y == 0] = at_zero
        out[y == np.inf] = at_inf
    return out


def _ellipk_fwd(m):
    """K(m) = int_0^(pi/2) dt / sqrt(1 - m sin^2 t): inf at m = 1, NaN above; measured max
    error 4.2 ulp on [-1e300, 1)."""
    (m,), dtype = float_inputs(m)
    return as_result(_complete(1 - m, _k_of_y, np.inf, 0.0), dtype)


def _ellipkm1_fwd(p):
    """K(1 - p), accurate as p -> 0 (m -> 1): inf at p = 0, NaN below; measured max error
    5.0 ulp on [1e-300, 1e300]."""
    (p,), dtype = float_inputs(p)
    return as_result(_complete(p, _k_of_y, np.inf, 0.0), dtype)


def _ellipe_fwd(m):
    """E(m) = int_0^(pi/2) sqrt(1 - m sin^2 t) dt: 1 at m = 1, NaN above; measured max
    error 4.3 ulp on [-1e300, 1)."""
    (m,), dtype = float_inputs(m)
    return as_result(_complete(1 - m, _e_of_y, 1.0, np.inf), dtype)


# ------------------------------------------------------------------- derivatives
_C = tuple((math.comb(2 * n, n) / 4**n) ** 2 for n in range(18))  # |m| < 0.1: 0.1^17/17
_K_SLOPE = tuple(math.pi / 2 * (n + 1) * _C[n + 1] for n in range(17))
_E_SLOPE = tuple(math.pi / 2 * (n + 1) * _C[n + 1] / (1 - 2 * (n + 1)) for n in range(17))
_SERIES_RADIUS = 0.1


def _polynomial(coefficients, u):
    out = coefficients[-1]
    for c in coefficients[-2::-1]:
        out = out * u + c
    return out


def _near_zero(m):
    """(near, m kept off 0 for the closed form, m kept small for the series)."""
    near = less(abs(m), _SERIES_RADIUS)
    return near, where(near, 0.5, m), where(near, m, 0.0)


def ellipk_slope(m):
    """dK/dm = (E - (1 - m) K) / (2 m (1 - m)); its series for |m| < 0.1."""
    near, far, small = _near_zero(m)
    closed = (ellipe(far) - (1 - far) * ellipk(far)) / (2 * far * (1 - far))
    return where(near, _polynomial(_K_SLOPE, small), closed)


def ellipe_slope(m):
    """dE/dm = (E - K) / (2m); its series for |m| < 0.1."""
    near, far, small = _near_zero(m)
    closed = (ellipe(far) - ellipk(far)) / (2 * far)
    return where(near, _polynomial(_E_SLOPE, small), closed)


ellipk = elementwise(
    "ellipk", _ellipk_fwd, lambda ans, m: ellipk_slope(m),
    domain=Domain(-3.0, 0.95),
    statement=S.unary("K(m) = int_0^(pi/2) (1 - m sin^2 t)^(-1/2) dt",
                      "(E(m) - (1 - m) K(m)) / (2 m (1 - m))", r"K(m)",
                      r"\frac{E(m) - (1 - m) K(m)}{2 m (1 - m)}"),
)

ellipe = elementwise(
    "ellipe", _ellipe_fwd, lambda ans, m: ellipe_slope(m),
    domain=Domain(-3.0, 0.95),
    statement=S.unary("E(m) = int_0^(pi/2) (1 - m sin^2 t)^(1/2) dt", "(E(m) - K(m)) / (2m)",
                      r"E(m)", r"\frac{E(m) - K(m)}{2m}"),
)

# d/dp K(1 - p) = -K'(1 - p).
ellipkm1 = elementwise(
    "ellipkm1", _ellipkm1_fwd, lambda ans, p: -ellipk_slope(1 - p),
    domain=Domain(0.05, 3.0),
    statement=S.unary("K(1 - p)", "(-K'(1 - p))", r"K(1 - p)", r"(-K'(1 - p))"),
)
