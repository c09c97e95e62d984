"""Normalization: the functions (batch_norm, layer_norm, group_norm, instance_norm,
rms_norm, normalize) and the layers (BatchNorm1d/2d/3d, LayerNorm, GroupNorm,
InstanceNorm1d/2d/3d, RMSNorm), with PyTorch's arguments, buffers and parameter names.

Each normalizes with the fused ``standardize`` primitive (primitives/normalization.py)
and then applies its affine map; channels are axis 1 as in PyTorch.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from .. import primitives as P
from ..graph import no_grad
from ..primitives.normalization import standardize
from ..rules import composite
from .arguments import axis, data, in_float32, shape
from .module import Module, Parameter, float_dtype

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import DTypeLike


__all__ = ["batch_norm", "group_norm", "instance_norm", "layer_norm", "normalize", "rms_norm"]


def _channel_shape(ndim, c):
    return (1, c) + (1,) * (ndim - 2)


def _affine(y, weight, bias, bshape):
    """y * weight + bias, the per-channel parameters reshaped to `bshape`."""
    if weight is not None:
        y = y * (P.reshape(weight, bshape) if bshape is not None else weight)
    if bias is not None:
        y = y + (P.reshape(bias, bshape) if bshape is not None else bias)
    return y


# ----------------------------------------------------------------- layer / rms norm
def _as_shape(normalized_shape):
    if isinstance(normalized_shape, (int, np.integer)):
        return (int(normalized_shape),)
    return tuple(int(n) for n in normalized_shape)


def _trailing_axes(fn, x, normalized_shape):
    normalized_shape = _as_shape(normalized_shape)
    s = shape(x)
    k = len(normalized_shape)
    if k == 0 or tuple(s[len(s) - k:]) != normalized_shape or len(s) < k:
        raise ValueError(
            f"{fn}: input of shape {s} does not end in normalized_shape {normalized_shape}"
        )
    return tuple(range(len(s) - k, len(s)))


@composite
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """(x - mean) / sqrt(var + eps) * weight + bias over the trailing ``normalized_shape``
    axes (mean and biased variance per sample)."""
    axes = _trailing_axes("layer_norm", input, normalized_shape)
    return in_float32(lambda x, w, b: _affine(standardize(x, axis=axes, eps=float(eps)), w, b,
                                              None), input, weight, bias)


@composite
def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x^2) + eps) * weight over the trailing ``normalized_shape`` axes.

    eps=None uses the machine epsilon of the input's dtype, as PyTorch does.
    """
    axes = _trailing_axes("rms_norm", input, normalized_shape)
    if eps is None:
        eps = float(np.finfo(data(input).dtype).eps)
    return _affine(standardize(input, axis=axes, eps=float(eps), center=False), weight, None,
                   None)


# ----------------------------------------------------------------------- batch norm
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5, num_batches_tracked=None):
    """Normalize each channel (axis 1) of (N, C, *) input over the batch and the other axes.

    Training (or no running statistics): the batch's mean and biased variance normalize,
    and the running statistics (when given) move towards the batch's, running =
    (1 - momentum) running + momentum batch, with the unbiased variance m / (m - 1) var
    (m values per channel); momentum=None averages all batches so far (it needs
    ``num_batches_tracked``, a chainrule addition the layers pass). Evaluation: the
    running statistics normalize.
    """
    s = shape(input)
    if len(s) < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C, ...), got {s}")
    c = s[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and shape(t) != (c,):
            raise ValueError(f"batch_norm: {name} must have shape ({c},) for input {s}, "
                             f"got {shape(t)}")
    bshape = _channel_shape(len(s), c)
    axes = (0,) + tuple(range(2, len(s)))
    if training or running_mean is None or running_var is None:
        m = int(np.prod([s[a] for a in axes]))
        if training and m < 2:
            raise ValueError(
                f"batch_norm: training needs more than one value per channel, got input of "
                f"shape {s}; use a larger batch or call eval()"
            )
        if training and running_mean is not None:
            if momentum is None and num_batches_tracked is None:
                raise ValueError("batch_norm: momentum=None (a plain average) needs "
                                 "num_batches_tracked")
            _update_running(running_mean, running_var, num_batches_tracked, input, axes,
                            momentum)
        y = standardize(input, axis=axes, eps=float(eps))
    else:
        y = (input - P.reshape(running_mean, bshape)) / P.sqrt(P.reshape(running_var, bshape)
                                                              + eps)
    return _affine(y, weight, bias, bshape)


def _update_running(running_mean, running_var, num_batches_tracked, input, axes, momentum):
    """running = (1 - momentum) running + momentum batch (unbiased variance), in place."""
    x = data(input)
    m = int(np.prod([x.shape[a] for a in axes]))
    with no_grad():
        if num_batches_tracked is not None:
            num_batches_tracked += 1
        if momentum is None:
            momentum = 1.0 / int(data(num_batches_tracked))
        dtype = running_mean._data.dtype
        mom = np.asarray(momentum, dtype=dtype)
        mean = x.mean(axis=axes)
        var = x.var(axis=axes) * (m / (m - 1))
        running_mean.copy_((1 - mom) * running_mean._data + mom * mean.astype(dtype))
        running_var.copy_((1 - mom) * running_var._data + mom * var.astype(dtype))


# -------------------------------------------------------------------- instance norm
def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalize each channel of each sample of (N, C, *) input over its spatial axes.

    With ``use_input_stats`` the per-instance statistics normalize, and running
    statistics (when given) move towards their mean over the batch (unbiased variances,
    as PyTorch); otherwise the running statistics normalize.
    """
    s = shape(input)
    if len(s) < 3:
        raise ValueError(f"instance_norm: expected input of shape (N, C, *spatial), got {s}")
    c = s[1]
    bshape = _channel_shape(len(s), c)
    axes = tuple(range(2, len(s)))
    if use_input_stats:
        if int(np.prod(s[2:])) < 2 and s[0] * c:
            raise ValueError(
                f"instance_norm: expected more than one spatial value per channel, got "
                f"input of shape {s}"
            )
        if running_mean is not None and running_var is not None:
            x = data(input)
            m = int(np.prod(s[2:]))
            with no_grad():
                dtype = running_mean._data.dtype
                mom = np.asarray(momentum, dtype=dtype)
                mean = x.mean(axis=axes).mean(axis=0)
                var = (x.var(axis=axes) * (m / (m - 1))).mean(axis=0)
                running_mean.copy_((1 - mom) * running_mean._data + mom * mean.astype(dtype))
                running_var.copy_((1 - mom) * running_var._data + mom * var.astype(dtype))
        y = standardize(input, axis=axes, eps=float(eps))
    else:
        if running_mean is None or running_var is None:
            raise ValueError("instance_norm: use_input_stats=False needs running_mean and "
                             "running_var")
        y = (input - P.reshape(running_mean, bshape)) / P.sqrt(P.reshape(running_var, bshape)
                                                              + eps)
    return _affine(y, weight, bias, bshape)


# ----------------------------------------------------------------------- group norm
def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Split the channels (axis 1) of (N, C, *) input into ``num_groups`` groups and
    normalize each group of each sample over its channels and spatial axes."""
    s = shape(input)
    if len(s) < 2:
        raise ValueError(f"group_norm: expected input of shape (N, C, ...), got {s}")
    n, c = s[0], s[1]
    if num_groups < 1 or c % num_groups:
        raise ValueError(f"group_norm: num_groups={num_groups} must divide the {c} channels")
    grouped = P.reshape(input, (n, num_groups, -1)) if n * c else input
    y = standardize(grouped, axis=(2,), eps=float(eps)) if n * c else grouped
    y = P.reshape(y, s)
    return _affine(y, weight, bias, _channel_shape(len(s), c))


@composite
def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Each channel divided by (k + alpha * the mean of x^2 over ``size`` neighbouring
    channels)^beta, the window centred as PyTorch's (size // 2 before, (size - 1) // 2
    after, zeros beyond the edges); input (N, C, *)."""
    s = shape(input)
    if len(s) < 3:
        raise ValueError(f"local_response_norm: expected input of shape (N, C, *) with at "
                         f"least one spatial axis, got {s}")
    c = s[1]
    sq = input * input
    before, after = size // 2, (size - 1) // 2
    padded = P.pad(sq, ((0, 0), (before, after)) + ((0, 0),) * (len(s) - 2))
    window = None
    for i in range(size):
        part = padded[:, i:i + c]
        window = part if window is None else window + part
    return input / (k + (alpha / size) * window) ** beta


# -------------------------------------------------------------------------- normalize
@composite
def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """x / max(||x||_p, eps) along ``dim``: unit vectors, and x / eps near zero."""
    if out is not None:
        raise TypeError("normalize: out= is not supported; use the returned tensor")
    s = shape(input)
    if not s and dim in (0, -1):  # (a 0-d input as one element along dim, as PyTorch)
        return P.reshape(normalize(P.reshape(input, (1,)), p, 0, eps), ())
    ax = axis(dim, len(s), "normalize")
    if not s:
        raise ValueError("normalize: needs at least a 1-d input")
    a = P.abs(input)
    if p == 2:
        norm = P.sqrt(P.sum(input * input, axis=ax, keepdims=True))
    elif p == 1:
        norm = P.sum(a, axis=ax, keepdims=True)
    elif p == np.inf:
        norm = P.max(a, axis=ax, keepdims=True)
    elif p > 0:
        norm = P.sum(a**p, axis=ax, keepdims=True) ** (1.0 / p)
    else:
        raise ValueError(f"normalize: p must be positive (or inf), got {p}")
    return input / P.maximum(norm, eps)


# ------------------------------------------------------------------------- layers
def _reset_affine(layer):
    """reset_parameters of a normalization layer: the affine weight back to ones, the
    bias to zeros."""
    if layer.weight is not None:
        layer.weight._data[...] = 1
    if getattr(layer, "bias", None) is not None:
        layer.bias._data[...] = 0


class LayerNorm(Module):
    """Normalize over the trailing ``normalized_shape`` axes, then scale and shift.

    y = (x - mean) / sqrt(var + eps) * weight + bias; weight starts at 1, bias at 0.
    """

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-05,
        elementwise_affine: bool = True,
        bias: bool = True,
        dtype: DTypeLike = np.float32,
    ) -> None:
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        dtype = float_dtype(dtype)
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype))
            self.bias = Parameter(np.zeros(self.normalized_shape, dtype)) if bias else None
        else:
            self.weight = self.bias = None

    def forward(self, input):
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    reset_parameters = _reset_affine

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class RMSNorm(Module):
    """x / sqrt(mean(x^2) + eps) * weight over the trailing ``normalized_shape`` axes.

    weight starts at 1; eps=None uses the input dtype's machine epsilon.
    """

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float | None = None,
        elementwise_affine: bool = True,
        dtype: DTypeLike = np.float32,
    ) -> None:
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.weight = (Parameter(np.ones(self.normalized_shape, float_dtype(dtype)))
                       if elementwise_affine else None)

    def forward(self, x):  # (PyTorch names this one x)
        return rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class _NormBase(Module):
    """Per-channel affine parameters and running statistics, PyTorch's names and defaults."""

    # The state-dict format's version, as PyTorch's (2: with num_batches_tracked); the
    # PyTorch front end reads it to load older checkpoints (torch/nn/state_dicts.py).
    _version = 2

    def __init__(
        self,
        num_features: int,
        eps: float,
        momentum: float | None,
        affine: bool,
        track_running_stats: bool,
        dtype: DTypeLike,
        bias: bool = True,
    ) -> None:
        super().__init__()
        dtype = float_dtype(dtype)
        self.num_features = int(num_features)
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(np.ones(self.num_features, dtype))
            self.bias = Parameter(np.zeros(self.num_features, dtype)) if bias else None
        else:
            self.weight = self.bias = None
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(self.num_features, dtype))
            self.register_buffer("running_var", np.ones(self.num_features, dtype))
            self.register_buffer("num_batches_tracked", np.zeros((), np.int64))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.copy_(np.ones_like(self.running_var._data))
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            _reset_affine(self)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    """Batch normalization of (N, C, *) input; the subclasses fix the number of axes."""

    dims: tuple[int, ...] = ()  # accepted input ranks
    expects = ""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-05,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype: DTypeLike = np.float32,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, dtype,
                         bias)

    def _check_input(self, s):
        if len(s) not in self.dims or s[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}({self.num_features}): expected input of shape "
                f"{self.expects.format(c=self.num_features)}, got {s}"
            )

    def forward(self, input):
        self._check_input(shape(input))
        tracking = self.training and self.track_running_stats
        return batch_norm(
            input, self.running_mean, self.running_var, self.weight, self.bias,
            training=self.training or not self.track_running_stats,
            momentum=self.momentum, eps=self.eps,
            num_batches_tracked=self.num_batches_tracked if tracking else None,
        )


class BatchNorm1d(_BatchNorm):
    """Per-channel batch normalization of (N, C) or (N, C, L) input.

    Training normalizes with the batch's statistics and updates the buffers
    ``running_mean``, ``running_var`` (unbiased) and ``num_batches_tracked``; eval mode
    normalizes with the running statistics. weight starts at 1, bias at 0.
    """

    dims = (2, 3)
    expects = "(N, {c}) or (N, {c}, L)"


class BatchNorm2d(_BatchNorm):
    """Per-channel batch normalization of (N, C, H, W) input (see BatchNorm1d)."""

    dims = (4,)
    expects = "(N, {c}, H, W)"


class BatchNorm3d(_BatchNorm):
    """Per-channel batch normalization of (N, C, D, H, W) input (see BatchNorm1d)."""

    dims = (5,)
    expects = "(N, {c}, D, H, W)"


class SyncBatchNorm(_BatchNorm):
    """Batch normalization of (N, C, *) input of any rank from 2 up.

    In PyTorch its batch statistics are taken over the batches of every process of a
    data-parallel group (on GPUs). chainrule's front end runs in one process, where
    PyTorch's layer is BatchNorm over the local batch, and so is this one. Under
    ``chainrule.distributed`` with several ranks, training refuses rather than
    normalize each rank's part of the batch alone: use BatchNorm (per-rank statistics)
    or GroupNorm. ``SyncBatchNorm.convert_sync_batchnorm(model)`` swaps every
    BatchNorm1d/2d/3d of a model for one, keeping parameters, buffers and modes.
    """

    expects = "(N, {c}, *)"

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-05,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        process_group: object = None,
        dtype: DTypeLike = np.float32,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, dtype,
                         bias=bias)
        self.process_group = process_group

    def _check_input(self, s):
        if len(s) < 2:
            raise ValueError(f"SyncBatchNorm: expected at least 2D input (got {len(s)}D input)")
        if s[1] == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")
        if s[1] != self.num_features:
            raise ValueError(f"SyncBatchNorm({self.num_features}): expected input of shape "
                             f"(N, {self.num_features}, *), got {s}")
        if self.training:
            from .. import distributed

            if distributed.is_initialized() and distributed.world_size() > 1:
                raise NotImplementedError(
                    f"SyncBatchNorm: statistics over the {distributed.world_size()} ranks "
                    f"of chainrule.distributed are not computed; use BatchNorm (each "
                    f"rank's own batch) or GroupNorm")

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with every BatchNorm1d/2d/3d inside it (or itself) replaced by a
        SyncBatchNorm holding the same parameters, buffers, requires_grad and mode."""
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            weight = module.weight
            out = cls(module.num_features, module.eps, module.momentum, module.affine,
                      module.track_running_stats, process_group,
                      dtype=(weight if weight is not None else module.running_mean)._data.dtype
                      if module.affine or module.track_running_stats else None)
            if module.affine:
                out.weight = module.weight
                out.bias = module.bias
            out.running_mean = module.running_mean
            out.running_var = module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
            if hasattr(module, "qconfig"):
                out.qconfig = module.qconfig
        for name, child in module.named_children():
            setattr(out, name, cls.convert_sync_batchnorm(child, process_group))
        return out


class _InstanceNorm(_NormBase):
    """Instance normalization; unbatched (C, *spatial) input is accepted as PyTorch does."""

    spatial = 0

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-05,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        dtype: DTypeLike = np.float32,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, dtype,
                         bias)

    def forward(self, input):
        s = shape(input)
        k = self.spatial
        if len(s) not in (k + 1, k + 2):
            raise ValueError(
                f"{type(self).__name__}: expected a {k + 1}-d (unbatched) or {k + 2}-d input, "
                f"got shape {s}"
            )
        unbatched = len(s) == k + 1
        if unbatched:
            input = P.expand_dims(input, 0)
        c = shape(input)[1]
        if c != self.num_features:
            if self.affine or self.track_running_stats:
                # (PyTorch raises for affine; with running statistics it fails later on
                # their shapes.)
                raise ValueError(
                    f"{type(self).__name__}({self.num_features}): input has {c} channels "
                    f"(axis {0 if unbatched else 1}), got shape {s}"
                )
            warnings.warn(
                f"{type(self).__name__}({self.num_features}) got {c} channels; with "
                f"affine=False and no running statistics num_features is not used",
                UserWarning, stacklevel=2,
            )
        # As PyTorch: momentum=None means 0 here, and num_batches_tracked stays put.
        y = instance_norm(
            input, self.running_mean, self.running_var, self.weight, self.bias,
            use_input_stats=self.training or not self.track_running_stats,
            momentum=0.0 if self.momentum is None else self.momentum, eps=self.eps,
        )
        return P.squeeze(y, 0) if unbatched else y


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization of (N, C, L) or (C, L) input; no affine, no running stats by
    default (PyTorch's)."""

    spatial = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization of (N, C, H, W) or (C, H, W) input."""

    spatial = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization of (N, C, D, H, W) or (C, D, H, W) input."""

    spatial = 3


class GroupNorm(Module):
    """Group normalization: ``num_groups`` groups of the ``num_channels`` channels, each
    normalized per sample; per-channel weight (ones) and bias (zeros) when affine."""

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-05,
        affine: bool = True,
        dtype: DTypeLike = np.float32,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if num_groups < 1 or num_channels % num_groups:
            raise ValueError(
                f"GroupNorm: num_groups={num_groups} must divide num_channels={num_channels}"
            )
        self.num_groups = int(num_groups)
        self.num_channels = int(num_channels)
        self.eps = eps
        self.affine = affine
        dtype = float_dtype(dtype)
        if affine:
            self.weight = Parameter(np.ones(self.num_channels, dtype))
            self.bias = Parameter(np.zeros(self.num_channels, dtype)) if bias else None
        else:
            self.weight = self.bias = None

    reset_parameters = _reset_affine

    def forward(self, input):
        s = shape(input)
        if len(s) < 2 or s[1] != self.num_channels:
            raise ValueError(
                f"GroupNorm({self.num_groups}, {self.num_channels}): expected input of shape "
                f"(N, {self.num_channels}, ...), got {s}"
            )
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class LocalResponseNorm(Module):
    """Local response normalization across channels (AlexNet's): see
    :func:`local_response_norm`."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75,
                 k: float = 1.0) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = int(size), alpha, beta, k

    def forward(self, input):
        return local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
