"""Dropout in its forms: elementwise, whole channels (1d/2d/3d), alpha dropout for SELU
networks; the functions and the layers, with PyTorch's arguments.

Masks come from ``rng``: a Generator (a fresh mask per call, as a training loop wants),
None (chainrule.nn.init's default generator), or an int seed, which gives the same mask
on every call (the layers keep a Generator made from their seed for this reason). A mask
is drawn by an operation on the input (primitives.masks.keep_mask), so a compiled step
draws a fresh one each call and cr.vmap one per example; it carries no gradient, so the
gradient is the mask times the incoming gradient, to every order. ``inplace=True`` writes
the result into a chainrule.torch tensor in training, as PyTorch does (arguments.
honours_inplace); in eval mode the input itself is returned either way.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..primitives.masks import keep_mask
from .arguments import data, honours_inplace, probability, shape
from .init import generator
from .module import Module

__all__ = ["alpha_dropout", "dropout", "dropout1d", "dropout2d", "dropout3d",
           "feature_alpha_dropout"]

# -SELU's alpha * scale: the value a dropped unit takes in alpha dropout.
_ALPHA = 1.7580993408473766


def _keep(x, p, rng, mask_shape):
    """A 0/1 mask of x's dtype, each entry 1 with probability 1 - p, broadcastable to x."""
    if rng is None:
        rng = generator  # (the default generator at the moment the mask is drawn)
    elif not isinstance(rng, np.random.Generator):
        generator(rng)  # (refuses what is neither a Generator nor an int seed)
    return keep_mask(x, p, shape=mask_shape, rng=rng)


@honours_inplace(unchanged=lambda a: not a.get("training", True) or a.get("p", 0.5) == 0)
def dropout(input, p=0.5, training=True, inplace=False, rng=None):
    """Zero each element with probability p and scale the rest by 1 / (1 - p); the identity
    when not training."""
    p = probability(p, "dropout")
    if not training or p == 0.0:
        return input
    s = shape(input)
    if p == 1.0:
        return input * np.zeros(s, data(input).dtype)
    keep = _keep(input, p, rng, s) * (1.0 / (1.0 - p))
    return input * keep


def _feature_dropout(fn, input, p, training, rng, spatial):
    """Zero whole channels: the mask has shape (N, C, 1, ...) over `spatial` trailing axes."""
    s = shape(input)
    if len(s) not in (spatial + 1, spatial + 2):
        raise ValueError(
            f"{fn}: expected a {spatial + 1}-d (unbatched) or {spatial + 2}-d input, got "
            f"shape {s}"
        )
    return _channels_dropped(fn, input, p, training, rng, len(s) - spatial)


def _channels_dropped(fn, input, p, training, rng, lead):
    """Dropout with one draw per index of the first `lead` axes, shared along the rest."""
    p = probability(p, fn)
    if not training or p == 0.0:
        return input
    s = shape(input)
    mask_shape = s[:lead] + (1,) * (len(s) - lead)
    if p == 1.0:
        return input * np.zeros(mask_shape, data(input).dtype)
    keep = _keep(input, p, rng, mask_shape) * (1.0 / (1.0 - p))
    return input * keep


def _deprecated_rank(fn, s, expected, behaviour):
    warnings.warn(
        f"{fn}: received a {len(s)}-d input (expected {expected}); as PyTorch does, "
        f"{behaviour}. This is deprecated in PyTorch; use dropout for element-wise dropout",
        UserWarning, stacklevel=3,
    )


@honours_inplace(unchanged=lambda a: not a.get("training", True) or a.get("p", 0.5) == 0)
def dropout1d(input, p=0.5, training=True, inplace=False, rng=None):
    """Zero whole channels of (N, C, L) or (C, L) input with probability p; scale the rest."""
    return _feature_dropout("dropout1d", input, p, training, rng, 1)


@honours_inplace(unchanged=lambda a: not a.get("training", True) or a.get("p", 0.5) == 0)
def dropout2d(input, p=0.5, training=True, inplace=False, rng=None):
    """Zero whole channels of (N, C, H, W) or (C, H, W) input with probability p.

    As in PyTorch, a 3-d input is taken as (N, C, L) with a warning (channel-wise 1-d
    dropout), not as an unbatched image, and any other input of at least 2 dimensions
    gets one draw per (N, C) pair with a warning (so a 2-d (N, C) input is dropped
    element by element).
    """
    s = shape(input)
    if len(s) == 3:
        warnings.warn(
            "dropout2d: received a 3-d input; assuming (N, C, L) and dropping 1-d channels "
            "(use dropout1d for that, or pass a 4-d batch of images)", UserWarning,
            stacklevel=2,
        )
    elif len(s) < 2:
        raise ValueError(f"dropout2d: needs at least 2 dimensions (N, C, ...), got shape {s}")
    elif len(s) != 4:
        _deprecated_rank("dropout2d", s, "3-d or 4-d", "one draw per (N, C) pair")
    return _channels_dropped("dropout2d", input, p, training, rng, 2)


@honours_inplace(unchanged=lambda a: not a.get("training", True) or a.get("p", 0.5) == 0)
def dropout3d(input, p=0.5, training=True, inplace=False, rng=None):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability p.

    Any other rank, as in PyTorch, is taken as unbatched with a warning: one draw per
    index of the first axis (a 1-d input is dropped element by element)."""
    s = shape(input)
    if len(s) not in (4, 5):
        if len(s) < 1:
            raise ValueError("dropout3d: needs at least 1 dimension, got a 0-d input")
        _deprecated_rank("dropout3d", s, "4-d or 5-d", "it is taken as unbatched (C, ...)")
    return _channels_dropped("dropout3d", input, p, training, rng, 2 if len(s) == 5 else 1)


def _alpha(fn, input, p, training, rng, mask_shape):
    p = probability(p, fn)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * np.zeros(shape(input), data(input).dtype)
    keep = _keep(input, p, rng, mask_shape)
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    # Kept units: a x + alpha a p; dropped ones: the SELU saturation value, shifted and
    # scaled alike, so the mean and variance of a SELU layer's output are preserved.
    shift = (keep - 1) * (_ALPHA * a) + _ALPHA * a * p
    return input * (keep * a) + shift


@honours_inplace(unchanged=lambda a: not a.get("training", True) or a.get("p", 0.5) == 0)
def alpha_dropout(input, p=0.5, training=False, inplace=False, rng=None):
    """Dropout for SELU networks: dropped units take SELU's negative saturation value and
    the result is rescaled so that mean and variance are kept (Klambauer et al., 2017)."""
    return _alpha("alpha_dropout", input, p, training, rng, shape(input))


@honours_inplace(unchanged=lambda a: not a.get("training", True) or a.get("p", 0.5) == 0)
def feature_alpha_dropout(input, p=0.5, training=False, inplace=False, rng=None):
    """Alpha dropout of whole channels of (N, C, *) input."""
    s = shape(input)
    if training and p > 0 and len(s) < 2:  # (outside training PyTorch returns any input)
        raise ValueError(f"feature_alpha_dropout: expected (N, C, ...) input, got {s}")
    return _alpha("feature_alpha_dropout", input, p, training, rng,
                  s[:2] + (1,) * (len(s) - 2))


class _DropoutBase(Module):
    fn: Callable[..., Any]  # the dropout function, set by each subclass

    def __init__(
        self,
        p: float = 0.5,
        inplace: bool = False,
        rng: int | np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        self.p = probability(p, type(self).__name__)
        self.inplace = inplace
        # None: the default generator at each call (so a later manual_seed governs the
        # masks, as in PyTorch); a seed or Generator: one stream for this module.
        self.rng = None if rng is None else generator(rng)

    def forward(self, input):
        return type(self).fn(input, self.p, self.training, inplace=self.inplace, rng=self.rng)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutBase):
    """In training, zero each element with probability p and scale the rest by 1/(1-p).

    The identity in eval mode. Masks come from ``rng`` (a Generator or seed; kept by
    the layer, so a seeded layer gives the same masks on every run).
    """

    fn = staticmethod(dropout)


class Dropout1d(_DropoutBase):
    """Zero whole channels of (N, C, L) or (C, L) input in training."""

    fn = staticmethod(dropout1d)


class Dropout2d(_DropoutBase):
    """Zero whole channels of (N, C, H, W) or (C, H, W) input in training."""

    fn = staticmethod(dropout2d)


class Dropout3d(_DropoutBase):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input in training."""

    fn = staticmethod(dropout3d)


class AlphaDropout(_DropoutBase):
    """Alpha dropout (for SELU networks) in training; the identity in eval mode."""

    fn = staticmethod(alpha_dropout)


class FeatureAlphaDropout(_DropoutBase):
    """Alpha dropout of whole channels in training."""

    fn = staticmethod(feature_alpha_dropout)
