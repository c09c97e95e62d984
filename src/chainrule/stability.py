"""Rewrites of unstable compositions, and the provenance that lets them see their producers.

``log`` looks at the operation that produced its argument and, where that operation
declares a stable form of its logarithm, computes that instead of the textbook
composition. The forms are declared where each producer is defined:

- log(softmax(x))       -> log_softmax(x)   (softmax's ``log_form``)
- log(sigmoid(x))       -> -softplus(-x)    (sigmoid's ``log_form``)
- log(1 - sigmoid(x))   -> -softplus(x)     (sigmoid's ``log1m_form``, through subtract)
- log(sum(exp(x)))      -> logsumexp(x)     (sum's ``log_form``, when its input came from exp)

The replacement is recorded on the graph like any operation, so gradients follow it.
Wherever the textbook value is finite the two agree to rounding (tests/test_stability.py
states the tolerance); where it overflows to -inf the rewrite gives the finite answer.
The producer is found on recorded tensors through their graph node, and on tensors that
are not recorded (no_grad, constants) through a small provenance link that only the
producers above keep (their ``provenance`` predicate).

This module sits beside the graph, below the primitives: they name its functions in
their declarations. Strong zeros, the other guardrail, are declared on each primitive
(``strong_zero=True``) and applied by chainrule.backward.
"""

from __future__ import annotations

import numpy as np

from . import graph
from .graph import TensorBase


def producer(x):
    """(primitive, args, kw) that computed tensor ``x``, or None when that is not known.

    Known for recorded outputs whose graph is not yet freed and for unrecorded outputs
    that kept provenance. None as well when ``x`` or one of those inputs was modified in
    place since: the producer's inputs then no longer describe ``x``.
    """
    if not isinstance(x, TensorBase):
        return None
    if x._prim is not None:
        args = x._args
        if args is None:  # freed by backward()
            return None
        prim, kw, clock = x._prim, x._kw, x._seq
    elif x._source is not None:
        prim, args, kw, clock = x._source
    else:
        return None
    if graph.modified_since(x, clock):
        return None
    for a in args:
        if isinstance(a, TensorBase):
            # A provenance stand-in watches its original through a weak reference.
            original = a if a._watch is None else a._watch()
            if original is not None and graph.modified_since(original, clock):
                return None
    return prim, args, kw


def made_by(x, prim):
    """Arguments and keywords of ``x``'s producer if that is ``prim``, else None."""
    if not isinstance(x, TensorBase):
        return None
    # The cheap test first: most tensors were not made by `prim` at all, and producer()
    # checks every input for in-place changes (cross_entropy asks on each call).
    made = x._prim if x._prim is not None else (x._source[0] if x._source is not None else None)
    if made is not prim:
        return None
    src = producer(x)
    if src is None or src[0] is not prim:
        return None
    return src[1], src[2]


def is_one(c, like):
    """True for a constant 1 that does not change the shape of ``1 - like``."""
    if isinstance(c, TensorBase):
        if c.requires_grad:
            return False
        c = c._data
    shape = np.shape(c)
    if shape and np.broadcast_shapes(shape, np.shape(like)) != np.shape(like):
        return False
    return bool(np.all(np.asarray(c) == 1))


# --------------------------------------------------------------------- log's rewrite
def stable_log(x):
    """log's rewrite: the stable form its argument's producer declares, or None."""
    # Every log() call passes here: reject anything else with two attribute reads.
    prim = getattr(x, "_prim", None)
    if prim is None:
        if getattr(x, "requires_grad", False):
            # A leaf that requires grad: its gradient must flow to it, not around it.
            return None
        source = getattr(x, "_source", None)
        if source is None:
            return None
        prim = source[0]
    if prim.log_form is None or x._retain:  # (retain_grad(): the user wants x's gradient)
        return None
    src = producer(x)
    if src is None:
        return None
    prim, args, kw = src
    return prim.log_form(*args, **kw)


def log_of_one_minus(a, b):
    """subtract's ``log_form``: log(1 - s) by s's producer's ``log1m_form``, when a is 1."""
    src = producer(b)
    if src is None or src[0].log1m_form is None or not is_one(a, b):
        return None
    prim, args, kw = src
    return prim.log1m_form(*args, **kw)


# ------------------------------------------------------------ provenance predicates
def always(args):
    """Keep provenance for every unrecorded output (softmax, sigmoid, exp)."""
    return True


def one_minus_known(args):
    """subtract's provenance: keep it for 1 - s when s's producer has a ``log1m_form``."""
    if len(args) != 2:
        return False
    b = args[1]
    if not isinstance(b, TensorBase):
        return False
    made = b._prim if b._prim is not None else (b._source[0] if b._source is not None else None)
    return made is not None and made.log1m_form is not None and is_one(args[0], b)
