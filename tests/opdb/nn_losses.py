"""Op database entries: the losses and distances of chainrule.nn.functional (``F.name``)."""

from __future__ import annotations

import numpy as np

import chainrule.nn.functional as F

from . import nn_references as N
from .core import OpInfo, fixed
from .references import log_softmax


def _entry(name, op, samples, ref=None, **kw):
    return OpInfo(f"F.{name}", op, samples, ref, list_inputs=False, **kw)


def _probs(rng, shape):
    p = rng.uniform(0.2, 1.0, shape)
    return p / p.sum(axis=1, keepdims=True)


W4 = np.array([0.5, 1.0, 2.0, 1.5])
Y = np.array([1, 0, 3, -100, 2])


def _classes(rng):
    return (rng.standard_normal((5, 4)), Y), {}, (0,)


CLASSIFICATION = [
    _entry("cross_entropy", F.cross_entropy, fixed(
        _classes,
        lambda rng: ((rng.standard_normal((5, 4)), Y), {"weight": W4, "label_smoothing": 0.2}),
        lambda rng: ((rng.standard_normal((5, 4)), Y), {"weight": W4, "reduction": "none"}),
        lambda rng: ((rng.standard_normal((2, 4, 3)), rng.integers(0, 4, (2, 3))),
                     {"reduction": "sum", "label_smoothing": 0.1}),
        # ignored targets through the fused primitive (no weight): mean over the others
        lambda rng: ((rng.standard_normal((5, 4)), Y), {"label_smoothing": 0.2}),
        lambda rng: ((rng.standard_normal((2, 4, 3)), np.array([[1, -100, 3], [0, 2, -100]])),
                     {}),
    ), N.cross_entropy),
    _entry("cross_entropy (probabilities)", F.cross_entropy, fixed(
        lambda rng: ((rng.standard_normal((3, 4)), _probs(rng, (3, 4))),
                     {"weight": W4, "label_smoothing": 0.3}, (0, 1)),
    ), N.cross_entropy_soft),
    _entry("nll_loss", F.nll_loss, fixed(
        lambda rng: ((log_softmax(rng.standard_normal((5, 4)), axis=1), Y), {"weight": W4}),
        lambda rng: ((log_softmax(rng.standard_normal((5, 4)), axis=1), Y),
                     {"reduction": "none"}),
    ), N.nll_loss),
    _entry("binary_cross_entropy", F.binary_cross_entropy, fixed(
        lambda rng: ((rng.uniform(0.05, 0.95, (3, 4)), rng.uniform(0, 1, (3, 4))),
                     {"weight": W4}, (0, 1)),
        lambda rng: ((rng.uniform(0.05, 0.95, (5,)), rng.uniform(0, 1, (5,))),
                     {"reduction": "none"}, (0, 1)),
    ), N.bce),
    _entry("binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits, fixed(
        lambda rng: ((rng.standard_normal((3, 4)), rng.uniform(0, 1, (3, 4))),
                     {"weight": W4, "pos_weight": W4 * 2}, (0, 1)),
    ), N.bce_logits),
    _entry("multilabel_soft_margin_loss", F.multilabel_soft_margin_loss, fixed(
        lambda rng: ((rng.standard_normal((3, 4)), (rng.random((3, 4)) > 0.5) * 1.0),
                     {"weight": W4}, (0,)),
    ), N.multilabel_soft_margin),
    _entry("multi_margin_loss", F.multi_margin_loss, fixed(
        lambda rng: ((rng.permutation(12).reshape(3, 4) * 0.3, np.array([1, 0, 3])),
                     {"weight": W4}, (0,)),
        lambda rng: ((rng.permutation(12).reshape(3, 4) * 0.3, np.array([1, 0, 3])),
                     {"p": 2, "margin": 0.5}, (0,)),
    ), N.multi_margin),
    _entry("multilabel_margin_loss", F.multilabel_margin_loss, fixed(
        lambda rng: ((rng.permutation(12).reshape(3, 4) * 0.3,
                      np.array([[3, 0, -1, 1], [1, -1, 0, 0], [2, 1, 0, 3]])), {}, (0,)),
    ), N.multilabel_margin),
    _entry("soft_margin_loss", F.soft_margin_loss, fixed(
        lambda rng: ((rng.standard_normal((3, 4)), np.sign(rng.standard_normal((3, 4)))), {},
                     (0,)),
    ), N.soft_margin),
]


def _apart(rng, shape, gap=0.3):
    """(x, y) whose differences stay at least `gap` away from 0 (the kink of |x - y|)."""
    y = rng.standard_normal(shape)
    d = rng.uniform(gap, 2.0, shape) * np.sign(rng.standard_normal(shape))
    return y + d, y


def _ctc_reference(lp, targets, il, tl, reduction="mean"):
    if targets.ndim == 1:  # concatenated: pad to (N, S)
        rows = np.split(targets, np.cumsum(tl)[:-1])
        targets = np.array([np.pad(r, (0, max(tl) - len(r))) for r in rows])
    loss = N.ctc(lp, targets, il, tl)
    return loss if reduction == "none" else (loss / np.maximum(tl, 1)).mean()


def _triplet_with_distance(a, pos, neg, margin=1.0, swap=False, reduction="mean",
                           distance_function=None):
    if distance_function is None:
        return N.triplet(a, pos, neg, margin, swap=swap, reduction=reduction)

    def cosine_distance(x, y):
        return 1 - (x * y).sum(-1) / np.maximum(
            np.linalg.norm(x, axis=-1) * np.linalg.norm(y, axis=-1), 1e-8)

    dp, dn = cosine_distance(a, pos), cosine_distance(a, neg)
    if swap:
        dn = np.minimum(dn, cosine_distance(pos, neg))
    return N.reduce(np.maximum(dp - dn + margin, 0), reduction)


REGRESSION = [
    _entry("l1_loss", F.l1_loss, fixed(lambda rng: (_apart(rng, (3, 4)), {}, (0, 1))),
           lambda x, y: np.abs(x - y).mean()),
    _entry("mse_loss", F.mse_loss, fixed(
        lambda rng: ((rng.standard_normal((3, 4)), rng.standard_normal((3, 4))),
                     {"reduction": "sum"}, (0, 1)),
    ), lambda x, y, reduction: ((x - y) ** 2).sum()),
    _entry("smooth_l1_loss", F.smooth_l1_loss, fixed(
        lambda rng: (_apart(rng, (3, 4)), {"beta": 0.5}, (0, 1)),
        lambda rng: (_apart(rng, (5,)), {"beta": 0.0, "reduction": "none"}, (0, 1)),
    ), lambda x, y, beta, reduction="mean": N.smooth_l1(x, y, beta, reduction)
        if beta else np.abs(x - y)),
    _entry("huber_loss", F.huber_loss,
           fixed(lambda rng: (_apart(rng, (3, 4)), {"delta": 0.7}, (0, 1))),
           lambda x, y, delta: N.huber(x, y, delta)),
    _entry("kl_div", F.kl_div, fixed(
        lambda rng: ((log_softmax(rng.standard_normal((3, 4)), axis=1), _probs(rng, (3, 4))),
                     {"reduction": "batchmean"}, (0, 1)),
        lambda rng: ((log_softmax(rng.standard_normal((3, 4)), axis=1),
                      np.log(_probs(rng, (3, 4)))), {"reduction": "sum", "log_target": True},
                     (0, 1)),
    ), N.kl_div),
    _entry("gaussian_nll_loss", F.gaussian_nll_loss, fixed(
        lambda rng: ((rng.standard_normal((3, 4)), rng.standard_normal((3, 4)),
                      rng.uniform(0.3, 2.0, (3, 4))), {"full": True}, (0, 1, 2)),
        lambda rng: ((rng.standard_normal((3, 4)), rng.standard_normal((3, 4)),
                      rng.uniform(0.3, 2.0, (3, 1))), {}, (0, 2)),
    ), N.gaussian_nll),
    _entry("poisson_nll_loss", F.poisson_nll_loss, fixed(
        lambda rng: ((rng.standard_normal((3, 4)), rng.poisson(2.0, (3, 4)) * 1.0), {}, (0,)),
        lambda rng: ((rng.uniform(0.5, 3.0, (3, 4)), rng.poisson(2.0, (3, 4)) * 1.0),
                     {"log_input": False, "full": True}, (0,)),
    ), N.poisson_nll),
    _entry("cosine_embedding_loss", F.cosine_embedding_loss, fixed(
        lambda rng: ((rng.standard_normal((4, 3)), rng.standard_normal((4, 3)),
                      np.array([1, -1, 1, -1])), {"margin": -1.0}, (0, 1)),
    ), N.cosine_embedding),
    _entry("margin_ranking_loss", F.margin_ranking_loss, fixed(
        lambda rng: ((*_apart(rng, (5,), 0.6), np.array([1.0, 1.0, -1.0, -1.0, 1.0])),
                     {"margin": 0.1}, (0, 1)),
    ), lambda a, b, y, margin: N.margin_ranking(a, b, y, margin)),
    _entry("hinge_embedding_loss", F.hinge_embedding_loss, fixed(
        lambda rng: ((rng.uniform(0.2, 0.8, (2, 3)) * np.array([1, -1, 1]),
                      np.array([[1, -1, -1], [-1, 1, 1]])), {}, (0,)),
    ), N.hinge_embedding),
    _entry("triplet_margin_loss", F.triplet_margin_loss, fixed(
        lambda rng: ((rng.standard_normal((4, 3)), rng.standard_normal((4, 3)),
                      rng.standard_normal((4, 3))), {"margin": 3.0}, (0, 1, 2)),
        lambda rng: ((rng.standard_normal((4, 3)), rng.standard_normal((4, 3)),
                      rng.standard_normal((4, 3))), {"margin": 3.0, "p": 3, "swap": True},
                     (0, 1, 2)),
    ), lambda a, pos, neg, margin, p=2, swap=False: N.triplet(a, pos, neg, margin, p, swap=swap)),
    _entry("triplet_margin_with_distance_loss", F.triplet_margin_with_distance_loss, fixed(
        lambda rng: ((rng.standard_normal((4, 3)), rng.standard_normal((4, 3)),
                      rng.standard_normal((4, 3))), {"margin": 3.0}, (0, 1, 2)),
        lambda rng: ((rng.standard_normal((4, 3)), rng.standard_normal((4, 3)),
                      rng.standard_normal((4, 3))),
                     {"margin": 2.0, "swap": True, "reduction": "none",
                      "distance_function": lambda x, y: 1 - F.cosine_similarity(x, y)},
                     (0, 1, 2)),
    ), _triplet_with_distance),
    _entry("ctc_loss", F.ctc_loss, fixed(
        lambda rng: ((log_softmax(rng.standard_normal((4, 2, 3)), axis=-1),
                      np.array([[1, 2], [2, 2]]), np.array([4, 4]), np.array([2, 1])),
                     {"reduction": "none"}, (0,)),
        lambda rng: ((log_softmax(rng.standard_normal((4, 2, 3)), axis=-1),
                      np.array([1, 2, 1, 1]), np.array([4, 3]), np.array([2, 2])), {}, (0,)),
    ), _ctc_reference),
]

DISTANCES = [
    _entry("cosine_similarity", F.cosine_similarity, fixed(
        lambda rng: ((rng.standard_normal((3, 4)), rng.standard_normal((3, 4))), {}, (0, 1)),
        lambda rng: ((rng.standard_normal((3, 4)), rng.standard_normal((4,))), {"dim": -1},
                     (0, 1)),
    ), N.cosine_similarity),
    _entry("pairwise_distance", F.pairwise_distance, fixed(
        lambda rng: ((rng.standard_normal((3, 4)), rng.standard_normal((3, 4))), {}, (0, 1)),
        lambda rng: ((rng.standard_normal((3, 4)), rng.standard_normal((3, 4))), {"p": 3.0},
                     (0, 1)),
    ), N.pairwise_distance),
    _entry("pdist", F.pdist, fixed(lambda rng: ((rng.standard_normal((4, 3)),), {})), N.pdist),
]

OPS = CLASSIFICATION + REGRESSION + DISTANCES
