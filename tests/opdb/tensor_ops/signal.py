"""Op database entries: diff, ediff1d, trapezoid, convolve, correlate, interp, lerp,
copysign, heaviside."""

from __future__ import annotations

import numpy as np

import chainrule as cr
import chainrule.numpy as cnp

from ..core import OpInfo, fixed
from ..engine import KINKED


def _with(shape, *args, **kw):
    return lambda rng: ((rng.standard_normal(shape), *args), kw)


def _diff_samples(rng):
    return fixed(
        _with((3, 4)), _with((3, 4), 2, 0), _with((5,), 0),
        lambda r: ((r.standard_normal((3, 2)), 1, -1, 0.5, r.standard_normal((3, 1))), {},
                   (0, 4)),
        lambda r: ((r.standard_normal(4),), {"prepend": r.standard_normal(2)}, (0,)),
        _with((2, 3), 4),  # n larger than the axis: an empty result
    )(rng)


def _torch_diff_ref(x, n=1, dim=-1, prepend=None, append=None):
    kw = {}
    if prepend is not None:
        kw["prepend"] = prepend
    if append is not None:
        kw["append"] = append
    return np.diff(x, n, dim, **kw)


def _ediff_samples(rng):
    return fixed(
        _with((3, 2)),
        lambda r: ((r.standard_normal(4), r.standard_normal(2), r.standard_normal(())), {},
                   (0, 1, 2)),
        _with((1,)),
    )(rng)


def _trapezoid_samples(rng):
    return fixed(
        _with((3, 5)),
        lambda r: ((r.standard_normal((3, 5)), np.sort(r.uniform(0, 3, 5))), {}, (0, 1)),
        lambda r: ((r.standard_normal((3, 4)), np.sort(r.uniform(0, 3, (3, 4)), axis=0)),
                   {"axis": 0}, (0, 1)),
        lambda r: ((r.standard_normal((2, 4)), None, 0.5), {}, (0,)),
        _with((1,)),
    )(rng)


def _torch_trapezoid_samples(rng):
    return fixed(
        _with((3, 5)),
        lambda r: ((r.standard_normal((3, 5)), np.sort(r.uniform(0, 3, 5))), {}, (0, 1)),
        _with((4, 3), dx=0.25, dim=0),
    )(rng)


def _torch_trapezoid_ref(y, x=None, *, dx=None, dim=-1):
    return np.trapezoid(y, x, 1.0 if dx is None else dx, dim)


def _conv_samples(rng):
    specs = []
    for n, m in [(5, 3), (3, 5), (4, 4), (1, 3), (6, 1)]:
        for mode in ("full", "same", "valid"):
            specs.append(lambda r, n=n, m=m, mode=mode: ((r.standard_normal(n),
                                                         r.standard_normal(m), mode), {}, (0, 1)))
    return fixed(*specs)(rng)


def _interp_samples(rng):
    xp = np.array([-1.0, -0.2, 0.5, 1.5])

    def inside(r, shape):
        # Query points away from the sample points (kinks), inside and outside the range.
        x = r.uniform(-2.0, 2.5, shape)
        for k in xp:
            x = np.where(np.abs(x - k) < 0.05, k + 0.1, x)
        return x

    return fixed(
        lambda r: ((inside(r, (3, 4)), xp, r.standard_normal(4)), {}, (0, 1, 2)),
        lambda r: ((inside(r, 5), xp, r.standard_normal(4), -3.0, 2.0), {}, (0, 2)),
        lambda r: ((inside(r, ()), xp, r.standard_normal(4)), {}, (0, 1, 2)),
        lambda r: ((inside(r, 4), xp, r.standard_normal(4), r.standard_normal(()),
                    r.standard_normal(())), {}, (0, 2, 3, 4)),
        lambda r: ((np.array([0.3, 2.2, -0.7]), np.array([0.1, 1.1, 1.7, 2.4]),
                    r.standard_normal(4)), {"period": 2.5}, (0, 1, 2)),
    )(rng)


def _lerp_samples(rng):
    return fixed(
        lambda r: ((r.standard_normal((3, 4)), r.standard_normal((3, 4)), 0.3), {}, (0, 1)),
        lambda r: ((r.standard_normal((3, 4)), r.standard_normal(4), r.uniform(-1, 2, (3, 1))),
                   {}, (0, 1, 2)),
        lambda r: ((r.standard_normal(()), r.standard_normal(()), r.standard_normal(())), {},
                   (0, 1, 2)),
        lambda r: ((r.standard_normal(3), r.standard_normal(3), 0.75), {}, (0, 1)),
    )(rng)


def _heaviside_samples(rng):
    return fixed(
        lambda r: ((KINKED.sample(r, (3, 4)), r.standard_normal(4)), {}, (0, 1)),
        # At x1 = 0 the value is x2: the gradient reaches x2 there (x1 not differentiated).
        lambda r: ((np.array([[-1.0, 0.0, 2.0], [0.0, 0.0, -3.0]]), r.standard_normal(3)), {},
                   (1,)),
    )(rng)


def _copysign_samples(rng):
    return fixed(
        lambda r: ((KINKED.sample(r, (3, 4)), KINKED.sample(r, (4,))), {}, (0, 1)),
        lambda r: ((KINKED.sample(r, ()), np.array([-0.0, 0.0, -2.0])), {}, (0,)),
    )(rng)


OPS = [
    OpInfo("cnp.diff", cnp.diff, _diff_samples, np.diff, plain="numpy"),
    OpInfo("cr.diff", cr.diff, fixed(
        _with((3, 4)), _with((3, 4), 2, 0),
        lambda r: ((r.standard_normal((3, 2)), 1, -1, r.standard_normal((3, 1)), None), {},
                   (0, 3)),
    ), _torch_diff_ref),
    OpInfo("cnp.ediff1d", cnp.ediff1d, _ediff_samples, np.ediff1d, plain="numpy"),
    OpInfo("cnp.trapezoid", cnp.trapezoid, _trapezoid_samples, np.trapezoid, plain="numpy"),
    OpInfo("cr.trapezoid", cr.trapezoid, _torch_trapezoid_samples, _torch_trapezoid_ref),
    OpInfo("cnp.convolve", cnp.convolve, _conv_samples, np.convolve, plain="numpy"),
    OpInfo("cnp.correlate", cnp.correlate, _conv_samples, np.correlate, plain="numpy"),
    OpInfo("cnp.interp", cnp.interp, _interp_samples, np.interp, plain="numpy",
           list_inputs=False),
    OpInfo("cr.lerp", cr.lerp, _lerp_samples, lambda a, b, w: a + w * (b - a)),
    OpInfo("cnp.copysign", cnp.copysign, _copysign_samples, np.copysign, plain="numpy"),
    OpInfo("cr.copysign", cr.copysign, _copysign_samples, np.copysign, plain="numpy"),
    OpInfo("cnp.heaviside", cnp.heaviside, _heaviside_samples, np.heaviside, plain="numpy"),
    OpInfo("cr.heaviside", cr.heaviside, _heaviside_samples, np.heaviside, plain="numpy"),
]

# trapz, NumPy's older name, while the installed NumPy has it (removed in NumPy 2.4).
if hasattr(np, "trapz"):
    OPS.append(OpInfo("cnp.trapz", cnp.trapz, _trapezoid_samples, np.trapezoid, plain="numpy"))
