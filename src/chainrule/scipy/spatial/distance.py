"""scipy.spatial.distance's cdist, pdist and squareform, differentiable in the points.

    from chainrule.scipy.spatial.distance import cdist, pdist
    d = cdist(xa, xb, "euclidean")          # (m_a, m_b)

Metrics: euclidean, sqeuclidean, minkowski (p), cityblock, chebyshev, cosine,
correlation, seuclidean (V), mahalanobis (VI), braycurtis, canberra, or a callable
metric(u, v) applied to each pair. Each is computed from the pairwise differences
(m_a, m_b, n) directly, not as |u|^2 + |v|^2 - 2 u.v, which loses every digit of a small
distance between large points; the memory is m_a m_b n floats.

Gradients where a metric is not differentiable: at zero distance the euclidean family
(a square root of a square) gets the subgradient 0, as PyTorch's cdist does, instead of
NaN; |.| and max split ties as chainrule's abs and max do.
"""

from __future__ import annotations

import numpy as np

from ... import primitives as P
from ...graph import values as _values
from ...primitives.shape import scatter_add
from ...rules import composite

__all__ = ["cdist", "pdist", "squareform"]


def _safe_root(s, p=2.0):
    """s^(1/p) with the gradient at s = 0 taken as 0 (not inf): the untaken branch of the
    where sees 1, so no infinite derivative meets its zero cotangent."""
    positive = _values(s) > 0
    if positive.all():
        return P.sqrt(s) if p == 2 else s ** (1.0 / p)
    inner = P.where(positive, s, 1.0)
    root = P.sqrt(inner) if p == 2 else inner ** (1.0 / p)
    return P.where(positive, root, 0.0)


def _check_points(name, x):
    if np.ndim(_values(x)) != 2:
        raise ValueError(f"{name}: points must be a 2-D array (m, n), got shape "
                         f"{np.shape(_values(x))}")


def _centered(x):
    return x - P.mean(x, axis=-1, keepdims=True)


def _norms(x):
    return _safe_root(P.sum(x * x, axis=-1))


def _pairwise(u, v, metric, p=None, w=None, V=None, VI=None):
    """The metric between u[..., k, :] and v[..., k, :] (broadcast), reduced over the last axis."""
    if callable(metric):
        raise TypeError("a callable metric is applied pair by pair")
    if w is not None:
        raise NotImplementedError(f"{metric}: weights w are not supported")
    d = u - v
    if metric == "sqeuclidean":
        return P.sum(d * d, axis=-1)
    if metric == "euclidean":
        return _safe_root(P.sum(d * d, axis=-1))
    if metric == "minkowski":
        p = 2.0 if p is None else float(p)
        if p == np.inf:
            return P.max(P.abs(d), axis=-1)
        if p <= 0:
            raise ValueError(f"minkowski: p must be > 0, got {p}")
        return _safe_root(P.sum(P.abs(d) ** p, axis=-1), p) if p != 1 else P.sum(P.abs(d), -1)
    if metric == "cityblock":
        return P.sum(P.abs(d), axis=-1)
    if metric == "chebyshev":
        return P.max(P.abs(d), axis=-1)
    if metric == "seuclidean":
        if V is None:
            raise ValueError("seuclidean: pass the variances V (SciPy's default, the sample "
                             "variances of the stacked points, is computed by cdist/pdist)")
        return _safe_root(P.sum(d * d / V, axis=-1))
    if metric == "mahalanobis":
        if VI is None:
            raise ValueError("mahalanobis: pass VI, the inverse covariance")
        return _safe_root(P.sum(d * P.matmul(d, VI), axis=-1))
    if metric == "cosine":
        return 1 - P.sum(u * v, axis=-1) / (_norms(u) * _norms(v))
    if metric == "correlation":
        return _pairwise(_centered(u), _centered(v), "cosine")
    if metric == "braycurtis":
        return P.sum(P.abs(d), axis=-1) / P.sum(P.abs(u + v), axis=-1)
    if metric == "canberra":
        denominator = P.abs(u) + P.abs(v)
        zero = _values(denominator) == 0
        # 0/0 terms count as 0, as SciPy's.
        safe = P.where(zero, 1.0, denominator) if zero.any() else denominator
        return P.sum(P.where(zero, 0.0, P.abs(d) / safe) if zero.any() else P.abs(d) / safe,
                     axis=-1)
    raise ValueError(f"unknown metric {metric!r}")


def _default_variances(metric, points, kwargs):
    """SciPy's defaults from the points themselves (so they are differentiated too): V the
    sample variances, VI the inverse sample covariance of the stacked points."""
    if metric in ("seuclidean", "mahalanobis") and kwargs.get(
            "V" if metric == "seuclidean" else "VI") is None:
        stacked = P.concatenate(list(points), axis=0) if len(points) > 1 else points[0]
        centered = stacked - P.mean(stacked, axis=0, keepdims=True)
        m = np.shape(_values(stacked))[0]
        if metric == "seuclidean":
            kwargs["V"] = P.sum(centered * centered, axis=0) / (m - 1)
        else:
            n = np.shape(_values(stacked))[1]
            if m <= n:
                raise ValueError(
                    f"mahalanobis: {m} points in {n} dimensions have a singular covariance; "
                    f"at least {n + 1} are needed, or pass VI")
            covariance = P.matmul(P.swapaxes(centered, 0, 1), centered) / (m - 1)
            kwargs["VI"] = P.swapaxes(P.inv(covariance), 0, 1)
    return kwargs


@composite
def cdist(XA, XB, metric="euclidean", *, out=None, **kwargs):
    """Distances between each row of XA (m_a, n) and each row of XB (m_b, n): (m_a, m_b)."""
    _check_points("cdist", XA)
    _check_points("cdist", XB)
    if out is not None:
        raise NotImplementedError("cdist: out= is not supported (the result is returned)")
    if np.shape(_values(XA))[1] != np.shape(_values(XB))[1]:
        raise ValueError(f"cdist: XA and XB must have the same number of columns, got "
                         f"{np.shape(_values(XA))[1]} and {np.shape(_values(XB))[1]}")
    if callable(metric):
        ma, mb = np.shape(_values(XA))[0], np.shape(_values(XB))[0]
        rows = [P.stack([metric(XA[i], XB[j]) for j in range(mb)]) for i in range(ma)]
        return P.stack(rows) if rows else np.zeros((0, mb))
    kwargs = _default_variances(metric, (XA, XB), dict(kwargs))
    return _pairwise(P.expand_dims(XA, 1), P.expand_dims(XB, 0), metric, **kwargs)


@composite
def pdist(X, metric="euclidean", *, out=None, **kwargs):
    """Distances between the pairs of rows i < j of X (m, n), condensed: m (m - 1)/2 values
    in the order (0,1), (0,2), ..., (1,2), ... (SciPy's)."""
    _check_points("pdist", X)
    if out is not None:
        raise NotImplementedError("pdist: out= is not supported (the result is returned)")
    m = np.shape(_values(X))[0]
    i, j = np.triu_indices(m, k=1)
    if callable(metric):
        values = [metric(X[a], X[b]) for a, b in zip(i.tolist(), j.tolist())]
        return P.stack(values) if values else np.zeros(0)
    kwargs = _default_variances(metric, (X,), dict(kwargs))
    return _pairwise(P.take(X, i, axis=0), P.take(X, j, axis=0), metric, **kwargs)


@composite
def squareform(X, force="no", checks=True):
    """Condensed distances <-> the symmetric square matrix with a zero diagonal."""
    x = _values(X)
    if force not in ("no", "tomatrix", "tovector"):
        raise ValueError(f"squareform: force must be 'no', 'tomatrix' or 'tovector', not {force!r}")
    to_matrix = force == "tomatrix" or (force == "no" and x.ndim == 1)
    if to_matrix:
        if x.ndim != 1:
            raise ValueError("squareform: a condensed distance vector must be 1-D")
        m = int(np.ceil(np.sqrt(2 * x.size)))
        if m * (m - 1) // 2 != x.size:
            raise ValueError(f"squareform: {x.size} is not m (m - 1)/2 for any m")
        m = max(m, 1)
        i, j = np.triu_indices(m, k=1)
        upper = scatter_add(X, index=(i, j), shape=(m, m))
        return upper + P.swapaxes(upper, 0, 1)
    if x.ndim != 2 or x.shape[0] != x.shape[1]:
        raise ValueError(f"squareform: a distance matrix must be square, got shape {x.shape}")
    if checks and (np.any(np.diag(x) != 0) or not np.allclose(x, x.T)):
        raise ValueError("squareform: the distance matrix must be symmetric with a zero "
                         "diagonal (pass checks=False to skip this check)")
    i, j = np.triu_indices(x.shape[0], k=1)
    return P.getitem(X, (i, j))
