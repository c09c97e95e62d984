"""Pixel and channel shuffles: rearrangements between channels and space, or of the
channels (linear, so their gradients are the inverse rearrangement)."""

from __future__ import annotations

from .. import primitives as P
from ..rules import composite
from .arguments import positive_int, shape
from .module import Module

__all__ = ["channel_shuffle", "pixel_shuffle", "pixel_unshuffle"]


@composite
def pixel_shuffle(input, upscale_factor):
    """(*, C r^2, H, W) -> (*, C, H r, W r): each group of r^2 channels becomes an r x r block."""
    r = positive_int(upscale_factor, "pixel_shuffle", "upscale_factor")
    s = shape(input)
    if len(s) < 3 or s[-3] % (r * r):
        raise ValueError(f"pixel_shuffle: input (*, C, H, W) with C divisible by "
                         f"upscale_factor^2 = {r * r} expected, got {s}")
    lead, (c, h, w) = s[:-3], s[-3:]
    k = len(lead)
    if r == 1:  # (a new tensor, as PyTorch's: never the input itself)
        return P.copy(input)
    x = P.reshape(input, lead + (c // (r * r), r, r, h, w))
    x = P.transpose(x, tuple(range(k)) + (k, k + 3, k + 1, k + 4, k + 2))
    return P.reshape(x, lead + (c // (r * r), h * r, w * r))


@composite
def pixel_unshuffle(input, downscale_factor):
    """(*, C, H r, W r) -> (*, C r^2, H, W): the inverse of pixel_shuffle."""
    r = positive_int(downscale_factor, "pixel_unshuffle", "downscale_factor")
    s = shape(input)
    if len(s) < 3 or s[-2] % r or s[-1] % r:
        raise ValueError(f"pixel_unshuffle: input (*, C, H, W) with H and W divisible by "
                         f"downscale_factor = {r} expected, got {s}")
    lead, (c, h, w) = s[:-3], s[-3:]
    k = len(lead)
    if r == 1:
        return P.copy(input)
    x = P.reshape(input, lead + (c, h // r, r, w // r, r))
    x = P.transpose(x, tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3))
    return P.reshape(x, lead + (c * r * r, h // r, w // r))


@composite
def channel_shuffle(input, groups):
    """(N, C, *) with the channels of ``groups`` groups interleaved (ShuffleNet): channel
    g * (C / groups) + i moves to i * groups + g."""
    g = positive_int(groups, "channel_shuffle", "groups")
    s = shape(input)
    if len(s) < 3 or s[1] % g:
        raise ValueError(f"channel_shuffle: input (N, C, *) with C divisible by groups = {g} "
                         f"expected, got {s}")
    x = P.reshape(input, (s[0], g, s[1] // g) + s[2:])
    out = P.reshape(P.swapaxes(x, 1, 2), s)
    # With one group, or one channel per group, nothing moves and the reshape is a view
    # of the input; PyTorch's result never shares its memory.
    return P.copy(out) if g == 1 or s[1] == g else out


class ChannelShuffle(Module):
    """The channels of ``groups`` groups interleaved (see :func:`channel_shuffle`)."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = positive_int(groups, "ChannelShuffle", "groups")

    def forward(self, input):
        return channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"


class PixelShuffle(Module):
    """(*, C r^2, H, W) -> (*, C, H r, W r)."""

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = positive_int(upscale_factor, "PixelShuffle", "upscale_factor")

    def forward(self, input):
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(*, C, H r, W r) -> (*, C r^2, H, W)."""

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = positive_int(downscale_factor, "PixelUnshuffle",
                                             "downscale_factor")

    def forward(self, input):
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"
