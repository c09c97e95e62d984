"""Gradient clipping: by the joint norm of all gradients, or elementwise by value."""

from __future__ import annotations

import math

import numpy as np

from ..compiled import replayed
from ..graph import TensorBase


def _listed(parameters):
    # A list, not the generator model.parameters() gives: a step compiled by cr.compile
    # calls the clipping again on every run, with the same parameters.
    return [parameters] if isinstance(parameters, TensorBase) else list(parameters)


def _grads(parameters):
    return [p.grad._data for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients by one factor so that their joint norm is at most ``max_norm``.

    The joint norm is ||(||g_1||, ..., ||g_k||)|| in the ``norm_type`` norm (inf for the
    largest absolute entry); gradients are multiplied in place by
    min(1, max_norm / (norm + 1e-6)). Returns the norm before clipping, a Python float.
    Inside a step compiled by ``cr.compile`` the clipping is repeated on every call (the
    returned norm is the captured call's: a Python number is a constant of the capture).
    """
    return _clip_grad_norm(_listed(parameters), max_norm, norm_type, error_if_nonfinite)


@replayed
def _clip_grad_norm(parameters, max_norm, norm_type, error_if_nonfinite):
    grads = _grads(parameters)
    if not grads:
        return 0.0
    norm_type = float(norm_type)
    if norm_type == math.inf:
        total = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads)
    else:
        norms = [float(np.linalg.norm(g.ravel(), norm_type)) for g in grads]
        total = float(np.linalg.norm(np.asarray(norms), norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total gradient norm is {total}; some gradient holds NaN or "
            f"infinity (pass error_if_nonfinite=False to scale anyway)"
        )
    coef = max_norm / (total + 1e-6)
    if not coef >= 1.0:  # (a NaN norm scales every gradient by NaN, as PyTorch's clamp)
        for g in grads:
            g *= coef
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clip every gradient entry into [-clip_value, clip_value] in place (repeated on every
    call of a step compiled by ``cr.compile``); ``foreach`` (PyTorch's choice of kernel)
    changes nothing."""
    _clip_grad_value(_listed(parameters), clip_value)


@replayed
def _clip_grad_value(parameters, clip_value):
    c = float(clip_value)
    for g in _grads(parameters):
        np.clip(g, -c, c, out=g)
