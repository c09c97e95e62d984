"""Binary cross-entropy of probabilities, finite at exactly 0 and 1, as one elementwise primitive.

    bce(x, t) = -(t max(log x, -100) + (1 - t) max(log(1 - x), -100))

PyTorch's BCELoss clamps each log at -100 so that x = 0 or 1 gives a finite loss; this
primitive has the same values. As a composition (log, maximum, ...) the clamp would cut
the gradient to 0 wherever it is active, so at x = 0 with t = 1 the loss (100) would not
push x up at all. The derivative is declared instead as PyTorch's:

    d/dx = (x - t) / max(x (1 - x), 1e-12)      d/dt = max(log(1 - x), -100) - max(log x, -100)

which is the exact derivative of the unclamped loss wherever the clamp is inactive (every
x in [e^-100, 1 - e^-100]) and a large finite push (1e12 (x - t)) at the ends. Both are
written with chainrule operations, so second derivatives follow (and are exact in the
interior).
"""

from __future__ import annotations

import numpy as np

from .. import statements as S
from ..domains import Domain
from ..rules import elementwise
from .elementwise import log, log1p, maximum

_LOG_FLOOR = -100.0
_EPS = 1e-12


def _bce_fwd(x, t):
    x = np.asarray(x)
    # (Outside [0, 1] the logs are NaN; F.binary_cross_entropy refuses such input.)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.maximum(np.log(x), _LOG_FLOOR)
        b = np.maximum(np.log1p(-x), _LOG_FLOOR)
    return -(t * a + (1 - t) * b)


binary_cross_entropy = elementwise(
    "binary_cross_entropy", _bce_fwd,
    lambda ans, x, t: (x - t) / maximum(x * (1 - x), _EPS),
    lambda ans, x, t: maximum(log1p(-x), _LOG_FLOOR) - maximum(log(x), _LOG_FLOOR),
    domain=(Domain(0.05, 0.95), Domain(0.0, 1.0)),
    statement=S.binary(
        "-(t max(log x, -100) + (1 - t) max(log(1 - x), -100)), PyTorch's clamped BCE",
        "g (x - t) / max(x (1 - x), 1e-12)",
        "g (max(log(1 - x), -100) - max(log x, -100))",
        r"-\left(t \log x + (1 - t) \log(1 - x)\right)",
        r"\bar y\, \frac{x - t}{x (1 - x)}",
        r"\bar y \left(\log(1 - x) - \log x\right)",
    ),
)
