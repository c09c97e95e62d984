"""Distances and similarities: F.cosine_similarity, F.pairwise_distance, F.pdist, and the
CosineSimilarity and PairwiseDistance modules (PyTorch's eps conventions)."""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from ..rules import composite
from .arguments import axis, shape
from .module import Module

__all__ = ["cosine_similarity", "pairwise_distance", "pdist"]


def _norm(x, p, ax, keepdims=False):
    """The p-norm along `ax` (p > 0 or inf); 0-norm counts nonzeros (no gradient)."""
    if p == 2:
        return P.sqrt(P.sum(x * x, axis=ax, keepdims=keepdims))
    a = P.abs(x)
    if p == 1:
        return P.sum(a, axis=ax, keepdims=keepdims)
    if p == np.inf:
        return P.max(a, axis=ax, keepdims=keepdims)
    if p == 0:
        return P.sum(P.astype(P.not_equal(x, 0), a.dtype if hasattr(a, "dtype") else float),
                     axis=ax, keepdims=keepdims)
    if p < 0:
        raise ValueError(f"p-norm: p must be non-negative, got {p}")
    return P.sum(a**p, axis=ax, keepdims=keepdims) ** (1.0 / p)


@composite
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """x1 . x2 / (max(||x1||, eps) max(||x2||, eps)) along ``dim`` (inputs broadcast)."""
    s = np.broadcast_shapes(shape(x1), shape(x2))
    ax = axis(dim, len(s), "cosine_similarity")
    if shape(x1) != s:
        x1 = P.broadcast_to(x1, s)
    if shape(x2) != s:
        x2 = P.broadcast_to(x2, s)
    n1 = P.maximum(_norm(x1, 2, ax), eps)
    n2 = P.maximum(_norm(x2, 2, ax), eps)
    return P.sum(x1 * x2, axis=ax) / (n1 * n2)


@composite
def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p along the last axis (PyTorch adds eps to the difference)."""
    d = x1 - x2 + eps
    if not shape(d):
        d = P.reshape(d, (1,))
    return _norm(d, p, -1, keepdims=keepdim)


@composite
def pdist(input, p=2):
    """||x_i - x_j||_p for every pair i < j of the rows of an (N, M) input, in row order."""
    s = shape(input)
    if len(s) != 2:
        raise ValueError(f"pdist: input must be 2-d (N, M), got {s}")
    i, j = np.triu_indices(s[0], k=1)
    return _norm(P.getitem(input, i) - P.getitem(input, j), p, -1)


class CosineSimilarity(Module):
    """Cosine similarity along ``dim``."""

    def __init__(self, dim: int = 1, eps: float = 1e-08) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """p-norm distance between rows, with eps added to the difference."""

    def __init__(self, p: float = 2.0, eps: float = 1e-06, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
