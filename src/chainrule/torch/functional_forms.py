"""``torch.*`` forms of functions PyTorch also has in ``torch.nn.functional`` (``torch.conv2d``,
``torch.cosine_similarity``, ``torch.layer_norm``, ...) and the in-place function forms
(``torch.relu_(x)``, ``torch.exp_(x)``: ``x.relu_()``). The same functions as
chainrule.nn.functional's, with ATen's argument orders where they differ
(``torch.embedding(weight, indices)``, ``torch.batch_norm(input, weight, bias, ...)``,
``torch.dropout(input, p, train)``).
"""

from __future__ import annotations

from .nn import functional as F

# The same arguments as in torch.nn.functional.
_SAME = """conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d
cosine_similarity pairwise_distance pdist max_pool1d max_pool2d max_pool3d avg_pool1d
adaptive_avg_pool1d pixel_shuffle pixel_unshuffle channel_shuffle prelu selu celu rrelu
threshold hardshrink bilinear rms_norm layer_norm group_norm""".split()

# torch.name_(x, *args) is x.name_(*args) (front-end tensors' in-place methods).
_IN_PLACE_FUNCTIONS = """abs_ acos_ acosh_ arccos_ arccosh_ arcsin_ arcsinh_ arctan_ arctanh_
asin_ asinh_ atan_ atanh_ ceil_ clamp_ clamp_max_ clamp_min_ clip_ cos_ cosh_ deg2rad_
erf_ erfc_ exp2_ exp_ expm1_ fill_ fix_ floor_ frac_ gcd_ i0_ lcm_ ldexp_ log10_ log1p_
log2_ log_ logit_ nan_to_num_ neg_ negative_ rad2deg_ reciprocal_ relu_ round_ rsqrt_
sigmoid_ sin_ sinc_ sinh_ sqrt_ square_ tan_ tanh_ trunc_ xlogy_ zero_ index_put_
detach_ resize_as_""".split()


def _in_place_function(name):
    def form(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)

    form.__name__ = form.__qualname__ = name
    form.__doc__ = f"``input.{name}(...)``."
    return form


def dropout(input, p, train):
    """ATen's form: ``train`` is positional and required."""
    return F.dropout(input, p, train)


def alpha_dropout(input, p, train):
    return F.alpha_dropout(input, p, train)


def feature_alpha_dropout(input, p, train):
    return F.feature_alpha_dropout(input, p, train)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """ATen's order: the table first (``F.embedding`` takes the indices first)."""
    return F.embedding(indices, weight, None if padding_idx == -1 else padding_idx,
                       scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
               cudnn_enabled=True):
    """ATen's order (weight and bias before the running statistics)."""
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum,
                        eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats,
                  momentum, eps, cudnn_enabled=True):
    return F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                           momentum, eps)


def adaptive_max_pool1d(input, output_size):
    """ATen's form returns (values, indices)."""
    return F.adaptive_max_pool1d(input, output_size, return_indices=True)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False):
    return F.max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


globals().update({name: getattr(F, name) for name in _SAME})
globals().update({name: _in_place_function(name) for name in _IN_PLACE_FUNCTIONS})

__all__ = sorted([*_SAME, *_IN_PLACE_FUNCTIONS, "dropout", "alpha_dropout",
                  "feature_alpha_dropout", "embedding", "batch_norm", "instance_norm",
                  "adaptive_max_pool1d", "max_pool1d_with_indices"])
