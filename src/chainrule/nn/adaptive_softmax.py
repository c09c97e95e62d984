"""AdaptiveLogSoftmaxWithLoss (Grave et al., 2017), with PyTorch's names and layout.

The classes are split by ``cutoffs`` into a shortlist [0, c_0) and clusters
[c_0, c_1), ..., [c_{k-1}, n_classes). The head scores the shortlist and one entry per
cluster; cluster i has its own two-layer tail (in -> in // div^(i+1) -> its size, no
biases). A class in cluster i has log-probability
log p(cluster i | x) + log p(class | cluster i, x), so a batch needs the head and only the
tails of clusters its targets fall in. Parameter names (``head.weight``,
``tail.0.0.weight``, ...) and shapes are PyTorch's, so state dicts load either way.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from .. import primitives as P
from ..tracing import concrete
from .arguments import shape
from .containers import ModuleList, Sequential
from .init import generator
from .layers import Linear
from .module import Module

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

# PyTorch's result type: the target's log-probability per example, and the mean loss.
_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class _InputError(ValueError, RuntimeError):
    """A bad input or target (PyTorch raises RuntimeError, chainrule ValueError: both
    catch it)."""


class AdaptiveLogSoftmaxWithLoss(Module):
    """Adaptive softmax: ``forward(input, target)`` gives ``(output, loss)`` with each
    target's log-probability and their negated mean; ``log_prob(input)`` the full
    (N, n_classes) log-probabilities; ``predict(input)`` the most probable class."""

    def __init__(self, in_features: int, n_classes: int, cutoffs: Any,
                 div_value: float = 4.0, head_bias: bool = False,
                 dtype: DTypeLike = np.float32, rng: Any = None) -> None:
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError("cutoffs should be a sequence of unique, positive integers "
                             "sorted in an increasing order, where each value is between 1 "
                             f"and n_classes-1 = {n_classes - 1}; got {cutoffs}")
        self.in_features = int(in_features)
        self.n_classes = int(n_classes)
        self.cutoffs = [int(c) for c in cutoffs] + [self.n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        gen = None if rng is None else generator(rng)
        self.head = Linear(self.in_features, self.head_size, bias=head_bias, dtype=dtype,
                           rng=gen)
        tails = []
        for i in range(self.n_clusters):
            hidden = int(self.in_features // (div_value ** (i + 1)))
            size = self.cutoffs[i + 1] - self.cutoffs[i]
            tails.append(Sequential(Linear(self.in_features, hidden, bias=False, dtype=dtype,
                                           rng=gen),
                                    Linear(hidden, size, bias=False, dtype=dtype, rng=gen)))
        self.tail = ModuleList(tails)

    def reset_parameters(self) -> None:
        """Draw every layer again as a new one's (from the global generator)."""
        self.head.reset_parameters()
        for tail in self.tail:
            for layer in tail:
                layer.reset_parameters()

    def forward(self, input, target):
        in_shape, target_shape = shape(input), shape(target)
        if len(target_shape) == 1:
            if len(in_shape) != 2:
                raise _InputError(f"AdaptiveLogSoftmaxWithLoss: a 1-d target needs a 2-d input "
                                  f"(batch, in_features), got input of shape {in_shape}")
            if in_shape[0] != target_shape[0]:
                raise _InputError("AdaptiveLogSoftmaxWithLoss: input and target should have the "
                                  f"same size in the batch dimension, got {in_shape[0]} and "
                                  f"{target_shape[0]}")
        elif len(target_shape) == 0:
            if len(in_shape) != 1:
                raise _InputError(f"AdaptiveLogSoftmaxWithLoss: a 0-d target needs a 1-d input "
                                  f"(in_features,), got input of shape {in_shape}")
            input = P.expand_dims(input, 0)
        else:
            raise _InputError("AdaptiveLogSoftmaxWithLoss: 0-d or 1-d target expected "
                              f"(multi-target not supported), got shape {target_shape}")
        t = np.asarray(concrete(target, "AdaptiveLogSoftmaxWithLoss's target")).reshape(-1)
        if not np.issubdtype(t.dtype, np.integer):
            raise TypeError(f"AdaptiveLogSoftmaxWithLoss: target must hold class indices "
                            f"(integers), got {t.dtype}")
        if t.size and (t.min() < 0 or t.max() >= self.n_classes):
            raise _InputError(f"Target values should be in [0, {self.n_classes - 1}], but "
                              f"values in range [{t.min()}, {t.max()}] were found")
        # The head's column for each row: its class in the shortlist, else its cluster's.
        cluster = np.searchsorted(np.asarray(self.cutoffs), t, side="right")
        column = np.where(cluster == 0, t, self.shortlist_size + cluster - 1)
        head = P.log_softmax(self.head(input), axis=1)
        output = P.take_along_axis(head, column[:, None], 1)[:, 0]
        # Each cluster's rows get log p(class | cluster) from their own tail, placed back
        # at their rows (rows of the shortlist add nothing).
        for i in range(self.n_clusters):
            rows = np.flatnonzero(cluster == i + 1)
            if rows.size == 0:
                continue
            local = P.log_softmax(self.tail[i](P.getitem(input, rows)), axis=1)
            picked = P.take_along_axis(local, (t[rows] - self.cutoffs[i])[:, None], 1)[:, 0]
            output = P.index_put(output, (rows,), picked, accumulate=True)
        loss = P.mean(-output)
        if len(target_shape) == 0:
            output = P.squeeze(output, 0)
        return _ASMoutput(output, loss)

    def _full_log_prob(self, input):
        head = P.log_softmax(self.head(input), axis=1)
        parts = [P.getitem(head, (slice(None), slice(0, self.shortlist_size)))]
        for i in range(self.n_clusters):
            local = P.log_softmax(self.tail[i](input), axis=1)
            parts.append(local + P.getitem(head, (slice(None),
                                                  slice(self.shortlist_size + i,
                                                        self.shortlist_size + i + 1))))
        return P.concatenate(parts, axis=1)

    def log_prob(self, input):
        """(N, n_classes) log-probabilities of every class ((n_classes,) for a 1-d input)."""
        batched = len(shape(input)) > 1
        out = self._full_log_prob(input if batched else P.expand_dims(input, 0))
        return out if batched else P.squeeze(out, 0)

    def predict(self, input):
        """The most probable class of each row (the argmax of log_prob)."""
        batched = len(shape(input)) > 1
        best = P.argmax(self._full_log_prob(input if batched else P.expand_dims(input, 0)),
                        axis=1)
        return best if batched else P.squeeze(best, 0)
