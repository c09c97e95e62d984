"""N-dimensional convolution (scipy.signal.convolve, with autograd's axes and dot_axes).

``convolve_nd(a, b, mode, axes, dot_axes)`` convolves ``a`` and ``b`` along the paired axes
``axes = (axes of a, axes of b)``, sums over the paired ``dot_axes`` (as tensordot
would), and keeps every other axis: the result's axes are a's other axes, then b's, then
the convolved ones. With the defaults (every axis convolved, none summed) it is SciPy's
convolve. Modes as SciPy: 'full' (size n_a + n_b - 1), 'valid' (|n_a - n_b| + 1, one
operand at least as large as the other along every convolved axis), 'same' (n_a, the
centre of 'full').

The forward is one einsum over a strided window view of the (padded) larger operand
(direct convolution, no FFT). The primitive is bilinear: its VJPs are convolutions of the
cotangent with the other operand flipped (full <-> valid; 'same' pads the cotangent back
to the full size), written with the primitive itself, so every order follows.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import statements as S
from ..domains import Example
from ..rules import primitive
from .shape import flip, pad, transpose

MODES = ("full", "valid", "same")


def normalize(shape_a, shape_b, mode, axes, dot_axes):
    """(mode, (conv axes of a, of b), (dot axes of a, of b)) as tuples of non-negative ints."""
    if mode not in MODES:
        raise ValueError(f"convolve: mode must be 'full', 'valid' or 'same', not {mode!r}")
    na, nb = len(shape_a), len(shape_b)
    if axes is None:
        if na != nb:
            raise ValueError(
                f"convolve: in1 and in2 must have the same number of dimensions (got {na} and "
                f"{nb}); pass axes=(axes of in1, axes of in2) to convolve some of them")
        axes = (tuple(range(na)), tuple(range(nb)))
    dot_axes = dot_axes if dot_axes is not None else ((), ())
    try:
        conv = tuple(tuple(int(ax) % n for ax in group) for group, n in zip(axes, (na, nb)))
        dot = tuple(tuple(int(ax) % n for ax in group) for group, n in zip(dot_axes, (na, nb)))
    except (TypeError, ZeroDivisionError):
        raise ValueError(f"convolve: axes and dot_axes must be pairs of axis lists, got "
                         f"{axes!r} and {dot_axes!r}") from None
    if len(conv) != 2 or len(dot) != 2 or len(conv[0]) != len(conv[1]) or (
            len(dot[0]) != len(dot[1])):
        raise ValueError("convolve: axes and dot_axes pair the axes of in1 with as many of in2")
    for i, (c, d) in enumerate(zip(conv, dot)):
        if len(set(c + d)) != len(c + d):
            raise ValueError(f"convolve: an axis of in{i + 1} appears twice in axes/dot_axes")
    for x, y in zip(*dot):
        if shape_a[x] != shape_b[y]:
            raise ValueError(f"convolve: dot axes {x} of in1 and {y} of in2 differ in length "
                             f"({shape_a[x]} and {shape_b[y]})")
    return mode, conv, dot


def _others(ndim, conv, dot):
    return tuple(i for i in range(ndim) if i not in conv and i not in dot)


def _letters(n, start=0):
    return list(range(start, start + n))


def _full_or_valid(a, b, mode, conv, dot):
    """The convolution with a at least as large as b along every convolved axis (valid),
    or any sizes (full): windows of the padded a against b flipped."""
    (ca, cb), (da, db) = conv, dot
    if mode == "full" and ca:
        widths = [(0, 0)] * a.ndim
        for x, y in zip(ca, cb):
            widths[x] = (b.shape[y] - 1,) * 2
        a = np.pad(a, widths)
    windows = sliding_window_view(a, [b.shape[y] for y in cb], axis=list(ca)) if ca else a
    b = np.flip(b, axis=cb) if cb else b
    # Sublists for einsum: a's axes 0..na-1, the window axes after them, b's own others.
    na = a.ndim
    win = _letters(len(ca), na)
    a_sub = _letters(na) + win
    b_sub = [None] * b.ndim
    for y, w in zip(cb, win):
        b_sub[y] = w
    for x, y in zip(da, db):
        b_sub[y] = x
    b_rest = _others(b.ndim, cb, db)
    for k, y in enumerate(b_rest):
        b_sub[y] = na + len(ca) + k
    out = [x for x in _others(na, ca, da)] + [b_sub[y] for y in b_rest] + list(ca)
    return np.einsum(windows, a_sub, b, b_sub, out)


def _convolve_fwd(a, b, mode="full", axes=None, dot_axes=None):
    a, b = np.asarray(a), np.asarray(b)
    mode, conv, dot = normalize(a.shape, b.shape, mode, axes, dot_axes)
    (ca, cb) = conv
    dtype = np.result_type(a, b)
    if mode == "valid":
        a_larger = all(a.shape[x] >= b.shape[y] for x, y in zip(ca, cb))
        b_larger = all(b.shape[y] >= a.shape[x] for x, y in zip(ca, cb))
        if not (a_larger or b_larger):
            raise ValueError("convolve: in 'valid' mode one input must be at least as large as "
                             "the other along every convolved axis")
        if not a_larger:
            out = _full_or_valid(b, a, "valid", conv[::-1], dot[::-1])
            ka, kb = len(_others(a.ndim, ca, dot[0])), len(_others(b.ndim, cb, dot[1]))
            order = list(range(kb, kb + ka)) + list(range(kb)) + list(range(ka + kb, out.ndim))
            return out.transpose(order).astype(dtype, copy=False)
        return _full_or_valid(a, b, "valid", conv, dot).astype(dtype, copy=False)
    out = _full_or_valid(a, b, "full", conv, dot)
    if mode == "same":
        first = out.ndim - len(ca)
        index = [slice(None)] * out.ndim
        for k, (x, y) in enumerate(zip(ca, cb)):
            start = (b.shape[y] - 1) // 2  # SciPy's centring: (n_full - n_a) // 2
            index[first + k] = slice(start, start + a.shape[x])
        out = out[tuple(index)]
    return out.astype(dtype, copy=False)


def _vjp(which, g, ans, a, b, mode="full", axes=None, dot_axes=None):
    """Cotangent of a (which=0) or b (which=1): the cotangent convolved with the other
    operand flipped, summed over the other operand's own axes, back in this one's order."""
    mode, conv, dot = normalize(np.shape(a), np.shape(b), mode, axes, dot_axes)
    shapes = (np.shape(a), np.shape(b))
    x, y = which, 1 - which
    other = (a, b)[y]
    ka = len(_others(len(shapes[0]), conv[0], dot[0]))
    kb = len(_others(len(shapes[1]), conv[1], dot[1]))
    g_conv = tuple(range(ka + kb, ka + kb + len(conv[0])))
    g_theirs = tuple(range(ka, ka + kb)) if which == 0 else tuple(range(ka))
    if mode == "same":
        widths = [(0, 0)] * len(np.shape(g))
        for ax, oy in zip(g_conv, conv[1]):
            left = (shapes[1][oy] - 1) // 2
            widths[ax] = (left, shapes[1][oy] - 1 - left)
        g = pad(g, widths) if g_conv else g
        new_mode = "valid"
    elif mode == "full":
        new_mode = "valid"
    else:
        larger = all(shapes[x][p] >= shapes[y][q] for p, q in zip(conv[x], conv[y]))
        new_mode = "full" if larger else "valid"
    theirs_other = _others(len(shapes[y]), conv[y], dot[y])
    result = convolve_nd(g, flip(other, conv[y]) if conv[y] else other, mode=new_mode,
                      axes=(g_conv, conv[y]), dot_axes=(g_theirs, theirs_other))
    # result axes: g's remaining (this operand's own others), the other's remaining axes
    # (its dot axes, in its axis order: this operand's dot axes paired with them), the
    # convolved axes.
    paired = tuple(dot[x][k] for k in np.argsort(dot[y], kind="stable"))
    order = _others(len(shapes[x]), conv[x], dot[x]) + paired + tuple(conv[x])
    return transpose(result, tuple(np.argsort(order)))


def _example(rng):
    return (rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 3, 2))), {
        "mode": "valid", "axes": ((1, 2), (1, 2)), "dot_axes": ((0,), (0,))}


convolve_nd = primitive(
    "convolve_nd", _convolve_fwd,
    multilinear=True,
    domain=Example(_example),
    statement=S.Statement(
        forward="y[n] = sum_k a[k] b[n - k] along the convolved axes (summed over dot_axes); "
        "mode full, valid or same as scipy.signal.convolve",
        vjp="a_bar = convolve(g, flip(b)) and b_bar = convolve(g, flip(a)) along the same "
        "axes, full <-> valid ('same' pads g to the full size first)",
        latex_forward=r"y_n = \sum_k a_k\, b_{n-k}",
        latex_vjp=r"\bar a = \bar y \star b, \quad \bar b = \bar y \star a",
    ),
).defvjp(
    lambda g, ans, a, b, **kw: _vjp(0, g, ans, a, b, **kw),
    lambda g, ans, a, b, **kw: _vjp(1, g, ans, a, b, **kw),
)
