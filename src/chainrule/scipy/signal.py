"""scipy.signal's convolve and correlate, differentiable in both inputs, N-dimensional.

    from chainrule.scipy.signal import convolve
    convolve(images, filters, mode="valid", axes=([2, 3], [2, 3]), dot_axes=([1], [0]))

SciPy's signature, with HIPS autograd's two extensions as keywords: ``axes`` (the pairs of
axes to convolve; all of them by default) and ``dot_axes`` (pairs of axes summed over, as
tensordot does). The result's axes are in1's other axes, in2's other axes, then the
convolved ones. ``method`` is accepted and ignored: the convolution is always direct (one
einsum over strided windows), never by FFT.
"""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from ..graph import is_tensor
from ..rules import composite

__all__ = ["convolve", "correlate"]

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
