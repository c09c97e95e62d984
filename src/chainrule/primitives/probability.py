"""Binary cross-entropy of probabilities, finite at exactly 0 and 1, as one elementwise primitive.

    bce(x, t) = -(t max(log x, -100) + (1 - t) max(log(1 - x), -100))

PyTorch's BCELoss clamps each log at -100 so that x = 0 or 1 gives a finite loss; this
primitive has the same values. Its derivative is the exact derivative of that clamped
loss:

    d/dx = (x - t) / (x (1 - x))       while neither log is clamped
         = -t / x                       at x = 1, where log(1 - x) is clamped
         = (1 - t) / (1 - x)            at x <= e^-100, where log x is clamped
    d/dt = max(log(1 - x), -100) - max(log x, -100)

PyTorch declares (x - t) / max(x (1 - x), 1e-12) instead: a push of 1e12 (x - t) at the
ends, and less than the exact derivative wherever x (1 - x) < 1e-12. In a real program x
is a sigmoid or softmax output that reached 0 or 1 by rounding; chainrule's sigmoid
derivative is exact there (e^-|z|, not the rounded y (1 - y) = 0), so the push times it
gave gradients up to 4e4 per element for logits z in (16.6, 27.6) in float32, where the
true derivative of the loss in z is at most 1, and a siamese network trained with BCELoss
did not learn. The denominator x (1 - x) is kept at least the dtype's smallest normal
number, so the derivative stays finite in float32 for x down to e^-100. The rule is
written with chainrule operations, so second derivatives follow.
"""

from __future__ import annotations

import numpy as np

from .. import statements as S
from ..domains import Domain
from ..rules import elementwise, nondifferentiable
from .elementwise import equal, less_equal, log, log1p, maximum, where

_LOG_FLOOR = -100.0
_X_FLOOR = float(np.exp(_LOG_FLOOR))  # log x is clamped at and below this


def _bce_fwd(x, t):
    x = np.asarray(x)
    # (Outside [0, 1] the logs are NaN; F.binary_cross_entropy refuses such input, by
    # checked_probabilities below where it is traced.)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.maximum(np.log(x), _LOG_FLOOR)
        b = np.maximum(np.log1p(-x), _LOG_FLOOR)
    return -(t * a + (1 - t) * b)


def _bce_dx(ans, x, t):
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.dtype(np.float64)
    tiny = np.finfo(dtype).tiny  # keeps 1 / (x (1 - x)) finite in float32 down to e^-100
    interior = (x - t) / maximum(x * (1 - x), tiny)
    # A clamped log is a constant: only the other term of the loss has a derivative.
    # (1 - e^-100 rounds to 1 in every float type, so log(1 - x) is clamped at x = 1.)
    right_clamped = -t / maximum(x, tiny)
    left_clamped = (1 - t) / maximum(1 - x, tiny)
    return where(equal(x, 1), right_clamped, where(less_equal(x, _X_FLOOR), left_clamped, interior))


binary_cross_entropy = elementwise(
    "binary_cross_entropy", _bce_fwd,
    _bce_dx,
    lambda ans, x, t: maximum(log1p(-x), _LOG_FLOOR) - maximum(log(x), _LOG_FLOOR),
    domain=(Domain(0.05, 0.95), Domain(0.0, 1.0)),
    statement=S.binary(
        "-(t max(log x, -100) + (1 - t) max(log(1 - x), -100)), PyTorch's clamped BCE",
        "g (x - t) / (x (1 - x)); where a log is clamped, only the other term's derivative",
        "g (max(log(1 - x), -100) - max(log x, -100))",
        r"-\left(t \log x + (1 - t) \log(1 - x)\right)",
        r"\bar y\, \frac{x - t}{x (1 - x)}",
        r"\bar y \left(\log(1 - x) - \log x\right)",
    ),
)


def check_probabilities(x):
    """Refuse probabilities outside [0, 1] (binary_cross_entropy's input)."""
    x = np.asarray(x)
    if x.size and (x.min() < 0 or x.max() > 1):
        raise ValueError("binary_cross_entropy: input must hold probabilities in [0, 1]; for "
                         "logits use binary_cross_entropy_with_logits")


def _checked_zeros(x):
    check_probabilities(x)
    return np.zeros_like(x)


# The check as an operation, zeros of x's shape to add to the loss: where the input is
# traced (cr.compile, cr.vmap) every call and every batch is checked, not only the one
# traced. Untraced input is checked directly (no operation to record on each step).
checked_probabilities = nondifferentiable(
    "checked_probabilities", _checked_zeros, elementwise=True,
    statement=S.step("0, refusing x outside [0, 1]", "0"),
)
