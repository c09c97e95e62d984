"""``nn.utils``: parameters as one flat vector, the gradient clipping of chainrule.optim,
and weight and spectral normalization of a layer's weight.

    vec = nn.utils.parameters_to_vector(model.parameters())   # differentiable
    nn.utils.vector_to_parameters(vec, model.parameters())    # copies values back
    layer = nn.utils.spectral_norm(nn.Linear(20, 40))          # weight / sigma_max

and, as ``nn.utils.rnn``, packed sequences for the recurrent layers (chainrule.nn.packed).
"""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from ..graph import TensorBase, no_grad
from ..optim.utils import clip_grad_norm_, clip_grad_value_
from . import packed as rnn
from .init import generator
from .module import Parameter

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector",
           "remove_spectral_norm", "remove_weight_norm", "rnn", "spectral_norm",
           "vector_to_parameters", "weight_norm"]


def _listed(parameters, fn):
    if isinstance(parameters, TensorBase):
        raise TypeError(f"{fn}: expected an iterable of parameters, got one tensor; wrap it "
                        f"in a list")
    return list(parameters)


def parameters_to_vector(parameters):
    """All parameters flattened and concatenated into one 1-d tensor (on the graph)."""
    params = _listed(parameters, "parameters_to_vector")
    if not params:
        raise ValueError("parameters_to_vector: no parameters given")
    return P.concatenate([P.reshape(p, (-1,)) for p in params])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-d ``vec`` into the parameters, in place.

    PyTorch makes each parameter a view of ``vec``; chainrule copies the values (the
    parameters keep their own buffers, so optimizers holding them stay valid).
    """
    params = _listed(parameters, "vector_to_parameters")
    v = np.asarray(vec._data if isinstance(vec, TensorBase) else vec)
    if v.ndim != 1:
        raise TypeError(f"vector_to_parameters: expected a 1-d vector, got shape {v.shape}")
    total = sum(p._data.size for p in params)
    if v.size != total:
        raise ValueError(f"vector_to_parameters: the vector has {v.size} elements, the "
                         f"parameters {total}")
    start = 0
    for p in params:
        n = p._data.size
        p.copy_(v[start:start + n].reshape(p._data.shape))
        start += n


# ------------------------------------------------------------------ weight normalization
def _norm_except(v, dim):
    """The 2-norm of v over every axis but ``dim`` (None: over all), kept as size-1 axes."""
    if dim is None:
        return P.sqrt(P.sum(v * v))
    d = dim % v.ndim
    axes = tuple(i for i in range(v.ndim) if i != d)
    return P.sqrt(P.sum(v * v, axis=axes, keepdims=True)) if axes else P.abs(v)


class _WeightNorm:
    def __init__(self, name, dim):
        self.name, self.dim = name, dim

    def compute(self, module):
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return v * (g / _norm_except(v, self.dim))

    def __call__(self, module, args):
        setattr(module, self.name, self.compute(module))


def weight_norm(module, name="weight", dim=0):
    """Reparameterize ``module.<name>`` as g * v / ||v|| (Salimans and Kingma, 2016): the
    parameters become ``<name>_g`` (the norm over every dimension but ``dim``) and
    ``<name>_v`` (the direction), PyTorch's names; the weight is recomputed before
    each forward. ``dim=None`` uses one norm for the whole tensor."""
    weight = getattr(module, name)
    if not isinstance(weight, Parameter):
        raise TypeError(f"weight_norm: {type(module).__name__}.{name} is not a Parameter")
    fn = _WeightNorm(name, dim)
    delattr(module, name)
    with no_grad():
        g = _norm_except(weight, dim)
    module.register_parameter(name + "_g", Parameter(np.array(g._data, copy=True)))
    module.register_parameter(name + "_v", Parameter(np.array(weight._data, copy=True)))
    setattr(module, name, fn.compute(module))
    handle = module.register_forward_pre_hook(fn)
    module._weight_norm = (fn, handle)
    return module


def remove_weight_norm(module, name="weight"):
    """Undo weight_norm: ``<name>`` a Parameter again, holding the current g * v / ||v||."""
    fn, handle = getattr(module, "_weight_norm", (None, None))
    if fn is None or fn.name != name:
        raise ValueError(f"weight_norm of {name!r} not found in {type(module).__name__}")
    with no_grad():
        weight = fn.compute(module)
    handle.remove()
    del module._weight_norm
    delattr(module, name + "_g")
    delattr(module, name + "_v")
    delattr(module, name)
    module.register_parameter(name, Parameter(np.array(weight._data, copy=True)))
    return module


# ---------------------------------------------------------------- spectral normalization
class _SpectralNorm:
    def __init__(self, name, n_power_iterations, dim, eps):
        self.name, self.n, self.dim, self.eps = name, n_power_iterations, dim, eps

    def matrix(self, weight):
        w = weight
        if self.dim != 0:
            order = (self.dim,) + tuple(i for i in range(np.ndim(w)) if i != self.dim)
            w = P.transpose(w, order)
        return P.reshape(w, (np.shape(w)[0], -1))

    def _normalize(self, a):
        return a / max(float(np.linalg.norm(a)), self.eps)

    def compute(self, module, power_iteration):
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        mat = self.matrix(weight)
        if power_iteration:
            m = np.asarray(mat._data)
            uu, vv = u._data, v._data
            for _ in range(self.n):
                vv[...] = self._normalize(m.T @ uu)
                uu[...] = self._normalize(m @ vv)
        # sigma = u^T W v with u and v held fixed: its gradient in W is u v^T. Both are
        # copies: the next forward's power iteration writes the buffers in place, and
        # this forward's backward must see the vectors it used (two forwards, then one
        # backward: a GAN's discriminator on real and fake batches).
        sigma = P.sum(u._data.copy() * P.matmul(mat, v._data.copy()))
        return weight / sigma

    def __call__(self, module, args):
        setattr(module, self.name, self.compute(module, module.training))


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None, *,
                  rng=None):
    """Divide ``module.<name>`` by its largest singular value (Miyato et al., 2018), found
    by ``n_power_iterations`` steps of power iteration per forward in training mode. The
    parameter becomes ``<name>_orig``, with buffers ``<name>_u`` and ``<name>_v`` (PyTorch's
    names; u and v start from random unit vectors drawn from ``rng``, or the default
    generator). ``dim``: the output dimension (0, or 1 for transposed convolutions)."""
    weight = getattr(module, name)
    if not isinstance(weight, Parameter):
        raise TypeError(f"spectral_norm: {type(module).__name__}.{name} is not a Parameter")
    if n_power_iterations < 0:
        raise ValueError(f"spectral_norm: n_power_iterations must be >= 0, got "
                         f"{n_power_iterations}")
    if dim is None:
        dim = 1 if type(module).__name__.startswith("ConvTranspose") else 0
    fn = _SpectralNorm(name, n_power_iterations, dim, eps)
    m = np.asarray(fn.matrix(weight._data))
    draw = generator(rng)
    u = fn._normalize(draw.standard_normal(m.shape[0]).astype(m.dtype))
    v = fn._normalize(draw.standard_normal(m.shape[1]).astype(m.dtype))
    delattr(module, name)
    module.register_parameter(name + "_orig", weight)
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    setattr(module, name, weight.detach())
    handle = module.register_forward_pre_hook(fn)
    module._spectral_norm = (fn, handle)
    return module


def remove_spectral_norm(module, name="weight"):
    """Undo spectral_norm: ``<name>`` a Parameter again, holding the normalized weight."""
    fn, handle = getattr(module, "_spectral_norm", (None, None))
    if fn is None or fn.name != name:
        raise ValueError(f"spectral_norm of {name!r} not found in {type(module).__name__}")
    with no_grad():
        weight = fn.compute(module, False)
    handle.remove()
    del module._spectral_norm
    for suffix in ("_orig", "_u", "_v"):
        delattr(module, name + suffix)
    module._buffers.pop(name + "_u", None)
    module._buffers.pop(name + "_v", None)
    delattr(module, name)
    module.register_parameter(name, Parameter(np.array(weight._data, copy=True)))
    return module
