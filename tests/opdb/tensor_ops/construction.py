"""Op database entries: triangles, roll, tile, repeat_interleave, one_hot, diag_embed, block,
meshgrid, sliding windows, pad modes, clip with tensor bounds, insert, delete,
stop_gradient."""

from __future__ import annotations

import numpy as np

import chainrule as cr
import chainrule.numpy as cnp

from ..core import OpInfo, fixed
from . import refs as R


def _with(shape, *args, **kw):
    return lambda rng: ((rng.standard_normal(shape), *args), kw)


def _pair(sa, sb, **kw):
    return lambda rng: ((rng.standard_normal(sa), rng.standard_normal(sb)), kw, (0, 1))


TRIANGLES = fixed(_with((3, 4)), _with((3, 4), 1), _with((2, 3, 3), -1), _with((1, 1)),
                  _with((0, 2)))

_PAD_CASES = [
    ("edge", {}), ("reflect", {}), ("symmetric", {}), ("wrap", {}),
    ("reflect", {"reflect_type": "odd"}), ("symmetric", {"reflect_type": "odd"}),
    ("linear_ramp", {"end_values": ((1.5, -0.5), (0.25, 2.0))}), ("mean", {}),
    ("mean", {"stat_length": 2}), ("constant", {"constant_values": ((1.0, 2.0), (-1.0, 0.5))}),
]


def _pad_samples(rng):
    specs = [_with((3, 4), ((2, 1), (0, 3)), mode, **kw) for mode, kw in _PAD_CASES]
    specs += [_with((3,), 4, "reflect"), _with((2,), 3, "wrap"), _with((), 0, "edge")]
    return fixed(*specs)(rng)


def _pad_value(rng):
    # A 0-d tensor fill value gets the padding's cotangent.
    return fixed(lambda r: ((r.standard_normal((2, 3)), ((1, 0), (2, 1)),
                             r.standard_normal(())), {}, (0, 2)))(rng)


def _bounds(rng):
    x = rng.uniform(-2, 2, (3, 4))
    lo = rng.uniform(-1.0, -0.2, (4,))
    hi = rng.uniform(0.2, 1.0, (3, 1))
    # Keep x away from the bounds (kinks) for finite differences.
    x = np.where(np.abs(x - lo) < 0.05, lo - 0.1, x)
    x = np.where(np.abs(x - hi) < 0.05, hi + 0.1, x)
    return x, lo, hi


def _clamp_samples(rng):
    return fixed(
        lambda r: (_bounds(r), {}, (0, 1, 2)),
        lambda r: ((_bounds(r)[0], _bounds(r)[1], None), {}, (0, 1)),  # only a lower bound
        lambda r: ((_bounds(r)[0], None, np.array(0.5)), {}, (0, 2)),
        lambda r: ((_bounds(r)[0], np.array(0.9), np.array(-0.9)), {}, (0, 1, 2)),  # min > max
    )(rng)


def _np_clip_ref(x, lo=None, hi=None):
    return np.clip(x, lo, hi)


def _repeat_samples(rng):
    return fixed(
        _with((2, 3), 2), _with((2, 3), np.array([1, 0, 3]), 1), _with((2, 3), 3, 0),
        _with((), 2), _with((3,), np.array([2, 2, 1]), 0),
    )(rng)


def _repeat_ref(x, repeats, dim=None):
    if dim is None:
        x = x.reshape(-1)
        dim = 0
    return np.repeat(x, repeats, axis=dim)


def _windows_samples(rng):
    return fixed(_with((5,), 3), _with((4, 5), (2, 3)), _with((4, 5), 2, 1),
                 _with((3, 6), (2, 2), (1, 1)), _with((4, 3), 0, 0))(rng)


def _unfold_samples(rng):
    return fixed(_with((7,), 0, 3, 2), _with((3, 6), 1, 2, 1), _with((5, 2), 0, 2, 3),
                 _with((4, 3), -1, 3, 1))(rng)


def _block_samples(rng):
    return fixed(
        lambda r: ((r.standard_normal((2, 2)), r.standard_normal((2, 3)),
                    r.standard_normal((1, 5))), {}, (0, 1, 2)),
        lambda r: ((r.standard_normal(2), r.standard_normal(3), r.standard_normal(())), {},
                   (0, 1, 2)),
    )(rng)


def _block_op(a, b, c):
    if np.ndim(c) == 0:
        return cnp.block([a, b, c])
    return cnp.block([[a, b], [c]])


def _block_ref(a, b, c):
    if np.ndim(c) == 0:
        return np.block([a, b, c])
    return np.block([[a, b], [c]])


def _mesh_samples(rng):
    return fixed(
        lambda r: ((r.standard_normal(3), r.standard_normal(2)), {}, (0, 1)),
        lambda r: ((r.standard_normal(3), r.standard_normal(2)), {"indexing": "ij"}, (0, 1)),
        lambda r: ((r.standard_normal(2), r.standard_normal(4)), {"sparse": True}, (0, 1)),
    )(rng)


def _three_mesh(rng):
    return fixed(lambda r: ((r.standard_normal(2), r.standard_normal(3),
                             r.standard_normal(())), {}, (0, 1, 2)))(rng)


def _insert_samples(rng):
    return fixed(
        lambda r: ((r.standard_normal((2, 3)), 1, r.standard_normal(2)), {"axis": 1}, (0, 2)),
        lambda r: ((r.standard_normal((2, 3)), [0, 2, 2], r.standard_normal(3)), {}, (0, 2)),
        lambda r: ((r.standard_normal((2, 3)), 1, r.standard_normal(())), {"axis": 0},
                   (0, 2)),
        lambda r: ((r.standard_normal(4), slice(1, 3), r.standard_normal(2)), {}, (0, 2)),
        lambda r: ((r.standard_normal((3, 2)), [1], r.standard_normal((1, 2))), {"axis": 0},
                   (0, 2)),
    )(rng)


def _delete_samples(rng):
    return fixed(_with((3, 4), 1, 0), _with((3, 4), [0, 2], 1), _with((3, 4), [1, 5]),
                 _with((5,), slice(None, None, 2)), _with((2, 3), np.array([True, False, True]),
                                                          axis=1))(rng)


def _one_hot_samples(rng):
    return fixed(
        lambda r: ((np.array([0, 2, 1, 2]),), {}, ()),
        lambda r: ((np.array([[1], [0]]), 4), {}, ()),
        lambda r: ((np.zeros(0, int), 3), {}, ()),
    )(rng)


def _diag_embed_samples(rng):
    return fixed(_with((3,)), _with((2, 3), 1), _with((2, 3), -2, 0, 2),
                 _with((2, 2, 2), 0, 1, 0), _with((0,)))(rng)


OPS = [
    OpInfo("cr.tril", cr.tril, TRIANGLES, np.tril),
    OpInfo("cr.triu", cr.triu, TRIANGLES, np.triu),
    OpInfo("cnp.tril", cnp.tril, fixed(_with((4,)), _with((2, 3, 4), 1)), np.tril,
           plain="numpy"),
    OpInfo("cnp.triu", cnp.triu, fixed(_with((4,)), _with((2, 3, 4), -1)), np.triu,
           plain="numpy"),
    OpInfo("cr.roll", cr.roll, fixed(_with((3, 4), 1), _with((3, 4), (1, -5), (0, 1)),
                                     _with((3, 4), 2, -1), _with((0, 3), 1, 0), _with((), 3)),
           lambda x, s, d=None: np.roll(x, s, d)),
    OpInfo("cnp.roll", cnp.roll, fixed(_with((3, 4), 5), _with((3, 4), (1, 1), (0, 0)),
                                       _with((2, 3), [-1, 2], [1, 0])), np.roll, plain="numpy"),
    OpInfo("cr.tile", cr.tile, fixed(_with((2, 3), (2, 1)), _with((3,), (2, 1, 2)),
                                     _with((), (3,)), _with((2, 0), (2, 2))), np.tile),
    OpInfo("cnp.tile", cnp.tile, fixed(_with((2, 3), 2), _with((2,), (0, 2))), np.tile,
           plain="numpy"),
    OpInfo("cr.repeat_interleave", cr.repeat_interleave, _repeat_samples, _repeat_ref),
    OpInfo("cr.one_hot", cr.one_hot, _one_hot_samples,
           lambda t, n=-1: np.eye(t.max() + 1 if n == -1 else n, dtype=np.int64)[t],
           differentiable=False, list_inputs=False),
    OpInfo("cr.diag_embed", cr.diag_embed, _diag_embed_samples, R.diag_embed),
    OpInfo("cnp.block", _block_op, _block_samples, _block_ref, plain="numpy",
           list_inputs=False),
    OpInfo("cnp.meshgrid", cnp.meshgrid, _mesh_samples, np.meshgrid, plain="numpy"),
    OpInfo("cnp.meshgrid (three)", cnp.meshgrid, _three_mesh, np.meshgrid, plain="numpy",
           list_inputs=False),
    OpInfo("cr.meshgrid", cr.meshgrid, fixed(_pair(3, 2), _pair(3, 2, indexing="xy")),
           lambda a, b, indexing="ij": np.meshgrid(a, b, indexing=indexing), list_inputs=False),
    OpInfo("cnp.lib.stride_tricks.sliding_window_view",
           cnp.lib.stride_tricks.sliding_window_view, _windows_samples,
           np.lib.stride_tricks.sliding_window_view, plain="numpy"),
    OpInfo("cr.unfold", cr.unfold, _unfold_samples, R.unfold),
    OpInfo("cr.pad (modes)", cr.pad, _pad_samples, np.pad),
    OpInfo("cnp.pad (modes)", cnp.pad, _pad_samples, np.pad, plain="numpy"),
    OpInfo("cr.pad (tensor fill value)", lambda x, w, c: cr.pad(x, w, constant_values=c),
           _pad_value, lambda x, w, c: np.pad(x, w, constant_values=c), list_inputs=False),
    OpInfo("cr.clamp (tensor bounds)", cr.clamp, _clamp_samples, _np_clip_ref),
    OpInfo("cr.clip (tensor bounds)", cr.clip, _clamp_samples, _np_clip_ref),
    OpInfo("cnp.clip (tensor bounds)", cnp.clip, _clamp_samples, np.clip, plain="numpy"),
    OpInfo("cnp.insert", cnp.insert, _insert_samples, np.insert, plain="numpy",
           list_inputs=False),
    OpInfo("cnp.delete", cnp.delete, _delete_samples, np.delete, plain="numpy"),
    OpInfo("cr.stop_gradient", cr.stop_gradient, fixed(_with((2, 3)), _with(())),
           lambda x: x, differentiable=False, list_inputs=False),
]
