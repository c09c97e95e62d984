"""PyTorch's ``torch.nn.utils.parametrizations``: weight and spectral normalization as
parametrizations (chainrule.nn.parametrize), with PyTorch's state-dict names
(``parametrizations.weight.original0`` = g, ``original1`` = v;
``parametrizations.weight.original`` with buffers ``parametrizations.weight.0._u``,
``_v``). The older hook-based ``weight_norm`` / ``spectral_norm`` are in chainrule.nn.utils.
"""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from ..graph import no_grad
from ..tensor import Tensor
from .init import generator
from .module import Module
from .parametrize import register_parametrization
from .utils import _norm_except

__all__ = ["spectral_norm", "weight_norm"]


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
