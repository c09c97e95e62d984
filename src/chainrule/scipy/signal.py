"""scipy.signal's convolutions, differentiable in both inputs: convolve and correlate
(N-dimensional), convolve2d and correlate2d (with SciPy's boundary conditions), and
fftconvolve and oaconvolve (SciPy's ``axes``: the other axes broadcast).

    from chainrule.scipy.signal import convolve
    convolve(images, filters, mode="valid", axes=([2, 3], [2, 3]), dot_axes=([1], [0]))

SciPy's signature, with HIPS autograd's two extensions as keywords: ``axes`` (the pairs of
axes to convolve; all of them by default) and ``dot_axes`` (pairs of axes summed over, as
tensordot does). The result's axes are in1's other axes, in2's other axes, then the
convolved ones. ``method`` is accepted and ignored: the convolution is always direct (one
einsum over strided windows), never by FFT; so is fftconvolve's, whose results equal
SciPy's to rounding (closer to the exact sums than FFT's, which round at the scale of the
largest output).
"""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from ..graph import is_tensor
from ..numpy import broadcast_to, multiply, pad, reshape, stack, transpose
from ..rules import composite

__all__ = ["convolve", "convolve2d", "correlate", "correlate2d", "fftconvolve", "oaconvolve"]

_METHODS = ("auto", "direct", "fft")


def _check(mode, method):
    if not isinstance(mode, str):
        raise TypeError(
            f"convolve: mode must be 'full', 'valid' or 'same', got {mode!r}. (autograd's "
            f"convolve(A, B, axes, dot_axes) takes those by keyword here: "
            f"convolve(A, B, axes=..., dot_axes=..., mode=...))")
    if method not in _METHODS:
        raise ValueError(f"convolve: method must be 'auto', 'direct' or 'fft', not {method!r}")


def convolve(in1, in2, mode="full", method="auto", *, axes=None, dot_axes=None):
    """The N-d convolution of in1 and in2: y[n] = sum_k in1[k] in2[n - k] (see the module doc)."""
    _check(mode, method)
    return P.convolve_nd(in1, in2, mode=mode, axes=axes, dot_axes=dot_axes)


@composite
def correlate(in1, in2, mode="full", method="auto", *, axes=None, dot_axes=None):
    """The N-d cross-correlation: y[n] = sum_k in1[n + k] in2[k], i.e. convolve(in1, in2
    reversed along the correlated axes), as SciPy computes it for real inputs."""
    _check(mode, method)
    if axes is None:
        ndim = in2.ndim if is_tensor(in2) else np.ndim(in2)
        flipped = P.flip(in2, tuple(range(ndim))) if ndim else in2
    else:
        flipped = P.flip(in2, tuple(axes[1])) if len(axes[1]) else in2
    return P.convolve_nd(in1, flipped, mode=mode, axes=axes, dot_axes=dot_axes)


# SciPy's spellings of the boundary conditions, as np.pad's modes.
_BOUNDARIES = {"fill": "constant", "pad": "constant", "wrap": "wrap", "circular": "wrap",
               "symm": "symmetric", "symmetric": "symmetric"}


def _two_d(name, in1, in2, mode, boundary):
    for a in (in1, in2):
        if np.ndim(a) != 2:
            raise ValueError(f"{name}: inputs must both be 2-D arrays, got shapes "
                             f"{np.shape(in1)} and {np.shape(in2)}")
    if boundary not in _BOUNDARIES:
        raise ValueError(f"{name}: boundary must be 'fill', 'wrap' (or 'circular') or 'symm' "
                         f"(or 'symmetric'), not {boundary!r}")
    _check(mode, "auto")


def _bounded(in1, kernel, mode, boundary, fillvalue, before):
    """in1 extended past its edges by the boundary rule, as far as `mode` reads: 'full'
    k - 1 on both sides; 'same' `before(k)` in front and k - 1 - before(k) behind."""
    widths = [(k - 1, k - 1) if mode == "full" else (before(k), k - 1 - before(k))
              for k in kernel]
    extra = {"constant_values": fillvalue} if _BOUNDARIES[boundary] == "constant" else {}
    return pad(in1, widths, mode=_BOUNDARIES[boundary], **extra)


def convolve2d(in1, in2, mode="full", boundary="fill", fillvalue=0):
    """The 2-D convolution, SciPy's: the values past in1's edges given by ``boundary``
    ('fill' with ``fillvalue``, 'wrap' periodic, 'symm' mirrored with the edge repeated);
    'same' is centred as SciPy centres it ((k - 1) // 2 of the 'full' output dropped in
    front). 'valid' reads no boundary."""
    _two_d("convolve2d", in1, in2, mode, boundary)
    if mode == "valid" or (boundary == "fill" and not np.any(fillvalue)):
        return convolve(in1, in2, mode)
    padded = _bounded(in1, np.shape(in2), mode, boundary, fillvalue, lambda k: k // 2)
    return convolve(padded, in2, "valid")


def correlate2d(in1, in2, mode="full", boundary="fill", fillvalue=0):
    """The 2-D cross-correlation, SciPy's (boundary as convolve2d). For an even kernel
    'same' takes a different centre from correlate's: (k - 1) // 2 values of the boundary
    in front of in1, as SciPy's correlate2d does."""
    _two_d("correlate2d", in1, in2, mode, boundary)
    if mode == "valid" or mode == "full" and boundary == "fill" and not np.any(fillvalue):
        return correlate(in1, in2, mode)
    padded = _bounded(in1, np.shape(in2), mode, boundary, fillvalue, lambda k: (k - 1) // 2)
    return correlate(padded, in2, "valid")


def fftconvolve(in1, in2, mode="full", axes=None):
    """scipy.signal.fftconvolve: convolve along ``axes`` (all by default); along the other
    axes in1 and in2 broadcast (each pair of slices convolved on its own), and 'same'
    gives in1's shape on every axis, as SciPy does (a broadcast axis is cropped to its
    centre). Computed directly (the module doc)."""
    _check(mode, "auto")
    n1, n2 = np.ndim(in1), np.ndim(in2)
    if n1 != n2:
        raise ValueError(f"fftconvolve: in1 and in2 should have the same dimensionality, got "
                         f"{n1} and {n2}")
    if n1 == 0:
        return multiply(in1, in2)
    s1, s2 = np.shape(in1), np.shape(in2)
    conv = sorted({int(a) % n1 for a in np.atleast_1d(range(n1) if axes is None else axes)})
    # As in SciPy, an axis where either input has length 1 is broadcast, not convolved
    # (which differs only in 'valid' mode).
    conv = [a for a in conv if s1[a] != 1 and s2[a] != 1]
    batch = [a for a in range(n1) if a not in conv]
    for a in batch:
        if s1[a] != s2[a] and 1 not in (s1[a], s2[a]):
            raise ValueError(f"fftconvolve: incompatible shapes for in1 and in2: {s1} and {s2} "
                             f"(axis {a} is not convolved and its lengths do not broadcast)")
    if not batch:
        return convolve(in1, in2, mode)
    lead = tuple(max(s1[a], s2[a]) for a in batch)
    order = batch + conv
    a1 = reshape(broadcast_to(transpose(in1, order), lead + tuple(s1[a] for a in conv)),
                 (-1,) + tuple(s1[a] for a in conv))
    a2 = reshape(broadcast_to(transpose(in2, order), lead + tuple(s2[a] for a in conv)),
                 (-1,) + tuple(s2[a] for a in conv))
    out = stack([convolve(x, y, mode) for x, y in zip(a1, a2)])
    out = reshape(out, lead + out.shape[1:])
    if mode == "same":  # SciPy crops every axis to in1's length, the broadcast ones too
        out = out[tuple(slice((n - s1[a]) // 2, (n - s1[a]) // 2 + s1[a])
                        for a, n in zip(batch, lead))]
    return transpose(out, tuple(np.argsort(order)))


def oaconvolve(in1, in2, mode="full", axes=None):
    """scipy.signal.oaconvolve (overlap-add): the same values as fftconvolve."""
    return fftconvolve(in1, in2, mode, axes)
