"""PyTorch's module paths that programs import by name, for objects chainrule.torch
keeps elsewhere: ``from torch.optim.optimizer import Optimizer``, ``from
torch.nn.modules.batchnorm import _BatchNorm``, ``from torch.distributions.normal
import Normal``, ``import torch.cuda.amp``.

Each path is a small module registered in ``sys.modules`` under chainrule.torch's name
(and so under ``torch.`` when chainrule.torch.aliasing runs a program) holding the
objects PyTorch's module of that name is imported for; it is also set as an attribute
of its parent. :func:`register_all` runs once, from chainrule.torch's ``__init__``.
"""

from __future__ import annotations

import collections
import itertools
import sys
from types import ModuleType
from typing import Any, TypeVar

_ROOT = "chainrule.torch"


def _register(path: str, attributes: dict[str, Any]) -> ModuleType:
    name = f"{_ROOT}.{path}"
    module = sys.modules.get(name)
    if module is None:
        module = ModuleType(name, f"PyTorch's torch.{path} (names kept elsewhere in "
                                  f"chainrule.torch; see chainrule.torch.module_paths).")
        sys.modules[name] = module
    module.__dict__.update(attributes)
    module.__all__ = sorted(k for k in module.__dict__ if not k.startswith("__"))
    parent, _, leaf = name.rpartition(".")
    if not hasattr(sys.modules[parent], leaf):
        setattr(sys.modules[parent], leaf, module)
    return module


def _ntuple(n, name):
    def parse(x):
        if isinstance(x, collections.abc.Iterable) and not isinstance(x, str):
            return tuple(x)
        return tuple(itertools.repeat(x, n))

    parse.__name__ = name
    return parse


_T = TypeVar("_T")
# torch.nn.common_types: the annotations layer code imports.
_COMMON_TYPES = {
    "_scalar_or_tuple_any_t": _T | tuple[_T, ...],
    "_scalar_or_tuple_1_t": _T | tuple[_T],
    "_scalar_or_tuple_2_t": _T | tuple[_T, _T],
    "_scalar_or_tuple_3_t": _T | tuple[_T, _T, _T],
    "_size_any_t": int | tuple[int, ...],
    "_size_1_t": int | tuple[int],
    "_size_2_t": int | tuple[int, int],
    "_size_3_t": int | tuple[int, int, int],
    "_ratio_any_t": float | tuple[float, ...],
    "_ratio_2_t": float | tuple[float, float],
    "_ratio_3_t": float | tuple[float, float, float],
}


def _snake(name):
    out = []
    for i, c in enumerate(name):
        if c.isupper() and i and (not name[i - 1].isupper() or
                                  (i + 1 < len(name) and name[i + 1].islower())):
            out.append("_")
        out.append(c.lower())
    return "".join(out)


def register_all() -> None:
    import chainrule.optim.swa_utils as swa_utils
    from chainrule.graph import TensorBase
    from chainrule.hooks import RemovableHandle
    from chainrule.nn import conv as _conv
    from chainrule.nn import loss as _loss
    from chainrule.nn import normalization as _norm
    from chainrule.nn import pooling as _pool

    from . import distributions, nn, optim
    from .func import functional_call
    from .nn import utils as nn_utils

    sys.modules.setdefault(f"{_ROOT}.optim.swa_utils", swa_utils)
    from chainrule.optim import hooks as optim_hooks

    _register("optim.optimizer", {
        "Optimizer": optim.Optimizer, "required": object(),
        "register_optimizer_step_pre_hook": optim_hooks.register_optimizer_step_pre_hook,
        "register_optimizer_step_post_hook": optim_hooks.register_optimizer_step_post_hook})
    for module, names in {"adam": ("Adam",), "adamw": ("AdamW",), "sgd": ("SGD",),
                          "rmsprop": ("RMSprop",), "adagrad": ("Adagrad",),
                          "adamax": ("Adamax",), "adadelta": ("Adadelta",),
                          "nadam": ("NAdam",), "radam": ("RAdam",), "asgd": ("ASGD",),
                          "rprop": ("Rprop",), "lbfgs": ("LBFGS",)}.items():
        _register(f"optim.{module}", {n: getattr(optim, n) for n in names})
    from .cuda import amp as cuda_amp

    _register("cuda.amp", vars(cuda_amp))
    _register("nn.parameter", {"Parameter": nn.Parameter, "Buffer": nn.Buffer})
    _register("nn.common_types", dict(_COMMON_TYPES))
    _register("nn.utils.clip_grad", {n: getattr(nn_utils, n) for n in (
        "clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "clip_grads_with_norm_",
        "get_total_norm")})
    _register("nn.utils.weight_norm", {"weight_norm": nn_utils.weight_norm,
                                       "remove_weight_norm": nn_utils.remove_weight_norm})
    _register("nn.utils.spectral_norm", {"spectral_norm": nn_utils.spectral_norm,
                                         "remove_spectral_norm": nn_utils.remove_spectral_norm})
    _register("nn.utils.stateless", {"functional_call": functional_call})
    _register("nn.utils.convert_parameters", {
        "parameters_to_vector": nn_utils.parameters_to_vector,
        "vector_to_parameters": nn_utils.vector_to_parameters})
    _register("utils.hooks", {"RemovableHandle": RemovableHandle})
    _register("overrides", {"has_torch_function": lambda *args: False,
                            "has_torch_function_unary": lambda *args: False,
                            "has_torch_function_variadic": lambda *args: False,
                            "is_tensor_like": lambda obj: isinstance(obj, TensorBase)})
    # torch.nn.modules.<file>: the layers, and the private bases programs test against
    # (isinstance(m, _BatchNorm) to leave normalisation weights out of weight decay).
    layers = {n: getattr(nn, n) for n in nn.__all__ if isinstance(getattr(nn, n), type)}
    from chainrule.nn import module as _module

    _register("nn.modules.module", {"Module": nn.Module, **{
        name: getattr(_module, name) for name in (
            "register_module_forward_pre_hook", "register_module_forward_hook",
            "register_module_full_backward_pre_hook", "register_module_full_backward_hook",
            "register_module_backward_hook")}})
    _register("nn.modules.container", {n: layers[n] for n in (
        "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict")})
    _register("nn.modules.linear", {n: layers[n] for n in ("Linear", "Bilinear", "Identity",
                                                           "LazyLinear")})
    _register("nn.modules.conv", {"_ConvNd": _conv._ConvNd, **{
        n: c for n, c in layers.items() if n.startswith(("Conv", "LazyConv"))}})
    _register("nn.modules.batchnorm", {"_NormBase": _norm._NormBase,
                                       "_BatchNorm": _norm._BatchNorm, **{
        n: c for n, c in layers.items() if "BatchNorm" in n}})
    _register("nn.modules.instancenorm", {"_InstanceNorm": _norm._InstanceNorm, **{
        n: c for n, c in layers.items() if "InstanceNorm" in n}})
    _register("nn.modules.normalization", {n: layers[n] for n in (
        "LayerNorm", "GroupNorm", "LocalResponseNorm", "RMSNorm") if n in layers})
    _register("nn.modules.loss", {"_Loss": _loss._Loss, "_WeightedLoss": _loss._WeightedLoss,
                                  **{n: c for n, c in layers.items() if n.endswith("Loss")}})
    _register("nn.modules.pooling", {"_MaxPoolNd": _pool._MaxPool, **{
        n: c for n, c in layers.items() if "Pool" in n}})
    _register("nn.modules.dropout", {n: c for n, c in layers.items() if "Dropout" in n})
    _register("nn.modules.activation", {n: c for n, c in layers.items() if n in (
        "ReLU", "ReLU6", "LeakyReLU", "PReLU", "RReLU", "ELU", "SELU", "CELU", "GELU", "SiLU",
        "Mish", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Softmin", "Softmax2d",
        "Softplus", "Softsign", "Softshrink", "Hardshrink", "Hardtanh", "Hardsigmoid",
        "Hardswish", "LogSigmoid", "Tanhshrink", "Threshold", "GLU", "MultiheadAttention")})
    _register("nn.modules.sparse", {n: layers[n] for n in ("Embedding", "EmbeddingBag")})
    _register("nn.modules.rnn", {n: c for n, c in layers.items() if n.startswith(
        ("RNN", "LSTM", "GRU"))})
    _register("nn.modules.transformer", {n: c for n, c in layers.items() if
                                         n.startswith("Transformer")})
    _register("nn.modules.utils", {"_single": _ntuple(1, "_single"),
                                   "_pair": _ntuple(2, "_pair"),
                                   "_triple": _ntuple(3, "_triple"),
                                   "_quadruple": _ntuple(4, "_quadruple"),
                                   "_ntuple": _ntuple})
    # torch.distributions.<snake_case of each class>
    for cls_name in distributions.__all__:
        cls = getattr(distributions, cls_name)
        if isinstance(cls, type) and not cls_name.endswith("Transform"):
            _register(f"distributions.{_snake(cls_name)}", {cls_name: cls})
    _register("distributions.relaxed_categorical", {
        "RelaxedOneHotCategorical": distributions.RelaxedOneHotCategorical})
    _register("distributions.studentT", {"StudentT": distributions.StudentT})
    # (PyTorch's file names that are not the class names in snake case)
    _register("distributions.lowrank_multivariate_normal", {
        "LowRankMultivariateNormal": distributions.LowRankMultivariateNormal})
    _register("distributions.fishersnedecor", {"FisherSnedecor": distributions.FisherSnedecor})
    _register("distributions.one_hot_categorical", {
        "OneHotCategorical": distributions.OneHotCategorical,
        "OneHotCategoricalStraightThrough": distributions.OneHotCategoricalStraightThrough})
    from .distributions.distribution import broadcast_all
    _register("distributions.utils", {"broadcast_all": broadcast_all})
