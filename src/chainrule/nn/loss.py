"""Loss modules over chainrule's loss functions, with PyTorch's argument conventions.

As in PyTorch, classes sit on axis 1 of the input ((N, C) or (N, C, d1, ...)), or on
axis 0 of a single unbatched (C,) input.
"""

from __future__ import annotations

import numpy as np

from ..graph import is_tensor
from ..losses import binary_cross_entropy_with_logits, cross_entropy, mse_loss, nll_loss
from ..tracing import traced
from .module import Module


def _class_axis(x):
    return 1 if len(np.shape(x.data if is_tensor(x) else x)) >= 2 else 0


def _ignored(target, ignore_index):
    """``ignore_index`` if some integer target equals it, else None (nothing to ignore)."""
    if ignore_index is None:
        return None
    if traced(target):  # (its values are one call's or example's: keep the mask)
        return ignore_index
    t = np.asarray(target.data if is_tensor(target) else target)
    if t.dtype.kind not in "iu" or not (t == ignore_index).any():
        return None
    return ignore_index


class _Loss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"reduction must be 'mean', 'sum' or 'none', not {reduction!r}")
        self.reduction = reduction

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class CrossEntropyLoss(_Loss):
    """Cross-entropy of logits against class indices or class probabilities.

    loss_n = -sum_c t_nc log_softmax(x_n)_c, with t one-hot for class indices and
    smoothed to (1 - label_smoothing) t + label_smoothing / C when asked. Targets equal
    to ``ignore_index`` contribute nothing and are left out of the mean.
    """

    def __init__(self, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return cross_entropy(
            input, target, axis=_class_axis(input), reduction=self.reduction,
            label_smoothing=self.label_smoothing,
            ignore_index=self.ignore_index,
        )


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities: loss_n = -x_n[target_n]."""

    def __init__(self, ignore_index=-100, reduction="mean"):
        super().__init__(reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return nll_loss(input, target, axis=_class_axis(input), reduction=self.reduction,
                        ignore_index=_ignored(target, self.ignore_index))


class MSELoss(_Loss):
    """Mean (or sum) of squared differences (x - y)^2."""

    def forward(self, input, target):
        return mse_loss(input, target, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits: (1 - t) x + softplus(-x), never log(0).

    ``pos_weight`` multiplies the positive term (per class when an array).
    """

    def __init__(self, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        self.pos_weight = pos_weight

    def forward(self, input, target):
        return binary_cross_entropy_with_logits(input, target, reduction=self.reduction,
                                                pos_weight=self.pos_weight)
