"""``torch.autograd.function``: ``Function``, its ``ctx`` and ``once_differentiable``."""

import functools

from ...graph import no_grad
from ..autograd_core import Function, FunctionCtx

__all__ = ["Function", "FunctionCtx", "once_differentiable"]


def once_differentiable(backward):
    """A Function's backward run without recording: its gradients are computed once and
    carry no graph of their own (a second derivative through them is zero), as
    PyTorch's decorator makes them."""

    @functools.wraps(backward)
    def wrapped(ctx, *grad_outputs):
        with no_grad():
            return backward(ctx, *grad_outputs)

    return wrapped
