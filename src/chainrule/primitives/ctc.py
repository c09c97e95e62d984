"""Connectionist temporal classification: the negative log-likelihood of label sequences.

    ctc_nll(log_probs, ext=..., skip=..., input_lengths=..., target_lengths=...) -> (N,)

log_probs is (T, N, C). Each target is extended with blanks, l' = (b, l_1, b, l_2, ...,
b), of length 2 S + 1; ``ext`` holds l' per sample (N, L) and ``skip[n, s]`` says whether
a path may jump from state s - 2 to s (l'_s not blank and not equal to l'_(s-2)). The
forward variables, in log space (Graves et al., 2006), for t < T_n:

    alpha_t(s) = lp_t(l'_s) + logsumexp(alpha_(t-1)(s), alpha_(t-1)(s-1), [alpha_(t-1)(s-2)])
    nll = -logsumexp(alpha_(T_n-1)(2 S_n), alpha_(T_n-1)(2 S_n - 1))

and the backward variables beta likewise from the end. The gradient is the occupancy of
each label: d nll / d lp_t(c) = -exp(nll) sum_{s: l'_s = c} exp(alpha_t(s) + beta_t(s) -
lp_t(l'_s)), 0 for t >= T_n. Every step is vectorized over the batch and the states
(NumPy calls per time step, none per sample). Both passes run in the forward, which
keeps the (T, N, C) gradient for the first-order VJP.

This is the gradient with respect to log_probs itself. PyTorch's ctc_loss returns that
plus exp(log_probs), which changes nothing after a log_softmax (the two agree on the
logits) but is not the derivative with respect to log_probs; see docs/api.md.

Higher orders and forward mode differentiate the alpha recursion unrolled into chainrule
operations (``unrolled``).
"""

from __future__ import annotations

import numpy as np

from .. import statements as S
from .. import transforms
from ..domains import Example
from ..rules import primitive
from .elementwise import where
from .reductions import logsumexp
from .shape import concatenate, getitem, stack

_NEG = -np.inf


def _logaddexp3(a, b, c):
    m = np.maximum(np.maximum(a, b), c)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):
        return m + np.log(np.exp(a - m) + np.exp(b - m) + np.exp(c - m))


def _shift(x, k, fill=_NEG):
    """x moved k states to the right (k > 0) or left (k < 0) along axis 1, filled with -inf."""
    out = np.full_like(x, fill)
    if k > 0:
        out[:, k:] = x[:, :-k]
    else:
        out[:, :k] = x[:, -k:]
    return out


def _states(lp, ext, target_lengths):
    T, N, _ = lp.shape
    lpe = lp[:, np.arange(N)[:, None], ext]  # (T, N, L): log-probability of each state
    valid = np.arange(ext.shape[1])[None, :] < (2 * target_lengths + 1)[:, None]
    return lpe, valid


def _ctc_fwd(log_probs, ext, skip, input_lengths, target_lengths):
    lp = np.asarray(log_probs)
    T, N, C = lp.shape
    L = ext.shape[1]
    lpe, valid = _states(lp, ext, target_lengths)
    rows = np.arange(N)
    alpha = np.full((T, N, L), _NEG, lp.dtype)
    a = np.full((N, L), _NEG, lp.dtype)
    a[:, 0] = lpe[0, :, 0]
    if L > 1:
        a[:, 1] = lpe[0, :, 1]
    a = np.where(valid & (input_lengths > 0)[:, None], a, _NEG)
    alpha[0] = a
    for t in range(1, T):
        new = _logaddexp3(a, _shift(a, 1), np.where(skip, _shift(a, 2), _NEG)) + lpe[t]
        new = np.where(valid, new, _NEG)
        a = np.where((t < input_lengths)[:, None], new, a)
        alpha[t] = a
    end = 2 * target_lengths
    last = np.logaddexp(a[rows, end], np.where(end > 0, a[rows, np.maximum(end - 1, 0)], _NEG))
    nll = -last
    grad = _gradient(lp, lpe, alpha, ext, skip, valid, input_lengths, target_lengths, nll)
    return nll, {"grad": grad}


def _gradient(lp, lpe, alpha, ext, skip, valid, input_lengths, target_lengths, nll):
    """d nll / d log_probs, (T, N, C): the beta recursion, then occupancies per label."""
    T, N, C = lp.shape
    L = ext.shape[1]
    rows = np.arange(N)
    end = 2 * target_lengths
    b = np.full((N, L), _NEG, lp.dtype)
    # skip[s + 2]: a path may jump from s to s + 2.
    skip_ahead = _shift(skip, -2, False)
    grad = np.zeros_like(lp)
    feasible = np.isfinite(nll)
    scale = np.where(feasible, nll, 0)
    has_label = end > 0
    for t in range(T - 1, -1, -1):
        start = np.full((N, L), _NEG, lp.dtype)  # beta at each sample's last step
        start[rows, end] = lpe[t, rows, end]
        start[rows[has_label], end[has_label] - 1] = lpe[t, rows[has_label], end[has_label] - 1]
        step = _logaddexp3(b, _shift(b, -1), np.where(skip_ahead, _shift(b, -2), _NEG)) + lpe[t]
        b = np.where((t == input_lengths - 1)[:, None], start,
                     np.where((t < input_lengths - 1)[:, None], np.where(valid, step, _NEG), _NEG))
        occupancy = alpha[t] + b - lpe[t]  # log of the paths through (t, s)
        m = occupancy.max(axis=1, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        e = np.exp(occupancy - m) * np.exp(m + scale[:, None])  # / p = * exp(nll)
        e[~feasible] = 0
        g = grad[t]
        for s in range(L):
            g[rows, ext[:, s]] -= e[:, s]
    return grad


def _ctc_vjp(g, ans, log_probs, ext, skip, input_lengths, target_lengths, saved=None):
    if saved is not None and type(g) is np.ndarray:
        return saved["grad"] * g[None, :, None]
    _, vjp_fn = transforms.vjp(
        lambda lp: unrolled(lp, ext, skip, input_lengths, target_lengths), log_probs)
    return vjp_fn(g)[0]


def unrolled(log_probs, ext, skip, input_lengths, target_lengths):
    """The alpha recursion in chainrule operations (differentiable to every order)."""
    T, N = np.shape(log_probs)[:2]
    L = ext.shape[1]
    rows = np.arange(N)
    lpe = getitem(log_probs, (slice(None), rows[:, None], ext))
    valid = np.arange(L)[None, :] < (2 * target_lengths + 1)[:, None]
    first = np.zeros((N, L), bool)
    first[:, : min(L, 2)] = True
    a = where(first & valid & (input_lengths > 0)[:, None], getitem(lpe, 0), _NEG)
    pad1 = np.full((N, 1), _NEG)
    pad2 = np.full((N, 2), _NEG)
    for t in range(1, T):
        s1 = concatenate([pad1, getitem(a, (slice(None), slice(0, L - 1)))], axis=1)
        s2 = concatenate([pad2, getitem(a, (slice(None), slice(0, max(L - 2, 0))))], axis=1) \
            if L > 2 else np.full((N, L), _NEG)
        new = logsumexp(stack([a, s1, where(skip, s2, _NEG)]), axis=0) + getitem(lpe, t)
        a = where(valid & (t < input_lengths)[:, None], new,
                  where((t < input_lengths)[:, None], _NEG, a))
    end = 2 * target_lengths
    tail = getitem(a, (rows, np.maximum(end - 1, 0)))
    ends = stack([getitem(a, (rows, end)), where(end > 0, tail, _NEG)])
    return -logsumexp(ends, axis=0)


def _example(rng):
    lp = rng.standard_normal((5, 2, 4))
    lp = lp - np.log(np.exp(lp).sum(-1, keepdims=True))
    targets = np.array([[1, 1], [2, 3]])
    lengths = np.array([2, 1])
    ext, skip = extend(targets, lengths, blank=0)
    return (lp,), {"ext": ext, "skip": skip, "input_lengths": np.array([5, 4]),
                   "target_lengths": lengths}


def extend(targets, target_lengths, blank):
    """(ext, skip): the blank-interleaved targets (N, 2 S + 1) and the allowed s-2 -> s jumps."""
    N, S = targets.shape
    L = 2 * S + 1
    ext = np.full((N, L), blank, np.intp)
    ext[:, 1::2] = targets
    ext[np.arange(L)[None, :] >= (2 * target_lengths + 1)[:, None]] = blank
    skip = np.zeros((N, L), bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    return ext, skip


ctc_nll = primitive(
    "ctc_nll", _ctc_fwd,
    saves=True,
    domain=Example(_example),
    statement=S.Statement(
        forward="nll_n = -log sum over the alignments of target n of prod_t p_t(path_t): "
        "the CTC loss by the alpha recursion in log space",
        vjp="lp_bar[t, n, c] = -g_n exp(nll_n) sum_{s: l'_s = c} exp(alpha_t(s) + beta_t(s) "
        "- lp_t(c)): the expected number of times label c is emitted at t, negated",
        latex_forward=r"\mathrm{nll} = -\log \sum_{\pi \in \mathcal B^{-1}(l)} \prod_t "
        r"y^t_{\pi_t}",
        latex_vjp=r"\bar{lp}_{t,c} = -\bar y\, \frac{1}{p(l|x)} \sum_{s: l'_s = c} "
        r"\frac{\alpha_t(s) \beta_t(s)}{y^t_c}",
    ),
).defvjp(_ctc_vjp)
