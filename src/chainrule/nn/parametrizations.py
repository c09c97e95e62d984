"""PyTorch's ``torch.nn.utils.parametrizations``: weight and spectral normalization and
orthogonal matrices as parametrizations (chainrule.nn.parametrize), with PyTorch's
state-dict names
(``parametrizations.weight.original0`` = g, ``original1`` = v;
``parametrizations.weight.original`` with buffers ``parametrizations.weight.0._u``,
``_v``; for ``orthogonal`` the buffer ``parametrizations.weight.0.base``). The older
hook-based ``weight_norm`` / ``spectral_norm`` are in chainrule.nn.utils.
"""

from __future__ import annotations

import numpy as np

from .. import linalg
from .. import primitives as P
from ..graph import TensorBase, no_grad
from ..tensor import Tensor
from .init import generator
from .module import Module
from .parametrize import register_parametrization
from .utils import _norm_except

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


class _WeightNorm(Module):
    """weight = g * v / ||v||, the norm over every dimension but ``dim`` (None: all)."""

    def __init__(self, dim=0):
        super().__init__()
        self.dim = dim

    def forward(self, weight_g, weight_v):
        return weight_v * (weight_g / _norm_except(weight_v, self.dim))

    def right_inverse(self, weight):
        return _norm_except(weight, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """Reparametrize ``module.<name>`` as g * v / ||v|| (Salimans and Kingma, 2016):
    ``parametrizations.<name>.original0`` is g, ``original1`` is v. ``dim=None`` takes
    one norm over the whole tensor."""
    # (PyTorch's dim=-1 means the whole tensor too, not the last dimension.)
    return register_parametrization(module, name, _WeightNorm(None if dim in (None, -1)
                                                              else dim))


class _SpectralNorm(Module):
    """weight / sigma, sigma its largest singular value estimated by power iteration
    (``n_power_iterations`` steps per forward in training mode)."""

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12, rng=None):
        super().__init__()
        ndim = np.ndim(weight._data)
        if n_power_iterations <= 0:
            raise ValueError(f"spectral_norm: n_power_iterations must be positive, got "
                             f"{n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        self.n_power_iterations = n_power_iterations
        if ndim > 1:
            mat = self._matrix(weight._data)
            draw = generator(rng)
            u = self._normalize(draw.standard_normal(mat.shape[0]).astype(mat.dtype))
            v = self._normalize(draw.standard_normal(mat.shape[1]).astype(mat.dtype))
            self.register_buffer("_u", Tensor(u))
            self.register_buffer("_v", Tensor(v))
            self._power_method(mat, 15)

    def _matrix(self, w):
        if self.dim != 0:
            order = (self.dim,) + tuple(i for i in range(np.ndim(w)) if i != self.dim)
            w = P.transpose(w, order) if not isinstance(w, np.ndarray) else w.transpose(order)
        return P.reshape(w, (np.shape(w)[0], -1)) if not isinstance(w, np.ndarray) else \
            w.reshape(w.shape[0], -1)

    def _normalize(self, a):
        return a / max(float(np.linalg.norm(a)), self.eps)

    def _power_method(self, mat, iterations):
        u, v = self._u._data, self._v._data
        for _ in range(iterations):
            u[...] = self._normalize(mat @ v)
            v[...] = self._normalize(mat.T @ u)

    def forward(self, weight):
        if np.ndim(weight._data) == 1:
            norm = P.sqrt(P.sum(weight * weight))
            return weight / P.maximum(norm, self.eps)
        mat = self._matrix(weight)
        if self.training:
            with no_grad():
                self._power_method(np.asarray(mat._data), self.n_power_iterations)
        u, v = self._u._data.copy(), self._v._data.copy()
        # sigma = u . W v with u and v held fixed: its gradient in W is u v^T.
        sigma = P.sum(u * P.matmul(mat, v))
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None, *,
                  rng=None):
    """Divide ``module.<name>`` by its spectral norm (Miyato et al., 2018), as a
    parametrization; ``dim`` defaults to 1 for transposed convolutions, else 0; u and v
    start from random unit vectors (``rng``, or the default generator) refined by 15 power
    iterations."""
    weight = getattr(module, name)
    if dim is None:
        dim = 1 if type(module).__name__.startswith("ConvTranspose") else 0
    return register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps, rng))


# ---------------------------------------------------------------------- orthogonal
_MAPS = ("matrix_exp", "cayley", "householder")


def _orthonormalized(q):
    """The Q of q = QR with R's diagonal made non-negative (unique for full rank)."""
    qq, r = np.linalg.qr(q)
    signs = np.sign(np.diagonal(r, axis1=-2, axis2=-1)).copy()
    signs[signs == 0] = 1
    return qq * signs[..., None, :]


class _Orthogonal(Module):
    """A matrix (or a stack) with orthonormal columns (or rows, when wider than tall),
    as a function of an unconstrained one: exp(A) or the Cayley transform of the
    skew-symmetric A made from its lower triangle, or a product of Householder
    reflections of its strict lower part. With ``use_trivialization`` (the default) the
    result is ``base @ Q``, ``base`` the initial weight made orthogonal and the
    parameter starting at -I, where Q = I (PyTorch's "dynamic trivialization")."""

    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        self.shape = tuple(np.shape(weight._data))
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        n, k = np.shape(X._data)[-2:]
        transposed = n < k
        if transposed:
            X = P.swapaxes(X, -1, -2)
            n, k = k, n
        if self.orthogonal_map in ("matrix_exp", "cayley"):
            X = P.tril(X)
            if n != k:
                X = P.concatenate([X, np.zeros(np.shape(X._data)[:-2] + (n, n - k),
                                               X._data.dtype)], axis=-1)
            A = X - P.swapaxes(X, -1, -2)
            if self.orthogonal_map == "matrix_exp":
                Q = linalg.matrix_exp(A)
            else:
                eye = np.eye(n, dtype=X._data.dtype)
                Q = linalg.solve(eye - 0.5 * A, eye + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = P.tril(X, -1)
            tau = 2.0 / (1.0 + P.sum(A * A, axis=-2))
            Q = linalg.householder_product(A, tau)
            # (PyTorch multiplies by the diagonal truncated to an integer: -1 after
            # right_inverse, and not differentiated)
            Q = Q * np.trunc(np.diagonal(X._data, axis1=-2, axis2=-1))[..., None, :]
        if "base" in self._buffers:
            Q = P.matmul(self.base, Q)
        return P.swapaxes(Q, -1, -2) if transposed else Q

    def right_inverse(self, Q):
        q = np.array(Q._data if isinstance(Q, TensorBase) else Q)
        if q.shape != self.shape:
            raise ValueError(f"orthogonal: expected a matrix or batch of matrices of shape "
                             f"{self.shape}, got {q.shape}")
        n, k = q.shape[-2:]
        transpose = n < k
        if transpose:
            q = np.swapaxes(q, -1, -2)
            n, k = k, n
        if "base" not in self._buffers:
            if self.orthogonal_map != "householder":
                raise NotImplementedError(
                    "orthogonal: assigning to the matrix exponential or the Cayley "
                    "parametrization needs use_trivialization=True")
            h, tau = np.linalg.qr(q, mode="raw")
            a = np.swapaxes(h, -1, -2).copy()
            diag = np.sign(np.diagonal(a, axis1=-2, axis2=-1))
            diag = np.where(tau == 0, -diag, diag)
            idx = np.arange(min(n, k))
            a[..., idx, idx] = diag
            return Tensor(np.swapaxes(a, -1, -2) if transpose else a)
        if n == k:
            eps = 10.0 * n * np.finfo(q.dtype).eps
            if not np.allclose(np.swapaxes(q, -1, -2) @ q, np.eye(k), rtol=1e-5, atol=eps):
                q = _orthonormalized(q)
        else:  # completed to a square orthogonal matrix with random columns
            fill = generator(None).standard_normal(q.shape[:-2] + (n, n - k)).astype(q.dtype)
            q = _orthonormalized(np.concatenate([q, fill], axis=-1))
        self.base = Tensor(q)
        neg_eye = np.zeros(self.shape, q.dtype)
        idx = np.arange(min(self.shape[-2:]))
        neg_eye[..., idx, idx] = -1.0
        return Tensor(neg_eye)


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Constrain ``module.<name>`` (a matrix or a stack of them) to orthonormal columns,
    or rows when it is wider than tall. ``orthogonal_map``: "matrix_exp" (the default
    for square matrices), "cayley", or "householder" (the default otherwise).
    ``parametrizations.<name>.original`` is the unconstrained tensor; with
    ``use_trivialization`` (the default) the buffer ``parametrizations.<name>.0.base``
    holds the initial weight made orthogonal (by QR; a non-square one completed with
    random columns first, from the default generator)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, TensorBase):
        raise ValueError(f"orthogonal: module {type(module).__name__} has no parameter or "
                         f"buffer named {name!r}")
    if np.ndim(weight._data) < 2:
        raise ValueError(f"orthogonal: expected a matrix or batch of matrices, got a tensor "
                         f"of {np.ndim(weight._data)} dimensions")
    if orthogonal_map is None:
        n, k = np.shape(weight._data)[-2:]
        orthogonal_map = "matrix_exp" if n == k else "householder"
    if orthogonal_map not in _MAPS:
        raise ValueError(f'orthogonal_map has to be one of "matrix_exp", "cayley", '
                         f'"householder", got {orthogonal_map!r}')
    return register_parametrization(
        module, name, _Orthogonal(weight, orthogonal_map,
                                  use_trivialization=use_trivialization), unsafe=True)
