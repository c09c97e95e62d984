"""chainrule: NumPy-native automatic differentiation, stable by construction.

    import chainrule as cr
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    cr.tanh(x).sum().backward()
    x.grad          # 1 - tanh(x)**2

The layers that pull in more than NumPy or take time to set up (``chainrule.data``,
``chainrule.io``, ``chainrule.distributed``, ``chainrule.scipy``) are attributes of the
package imported on first use: ``cr.data.load_digits()`` works after ``import chainrule``
without making that import slower.
"""

import importlib as _importlib
import typing as _typing

from . import linalg, nn, optim, primitives, sampling, warning_location
from .anomaly import detect_anomaly
from .backward import GraphFreedError
from .checkpointing import checkpoint
from .compiled import compile
from .custom_derivatives import custom_jvp, custom_vjp
from .explain import explain
from .forward_mode import jvp, linearize
from .gradcheck import gradcheck
from .graph import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .jacobians import hessian, hvp, jacfwd, jacobian, jacrev
from .losses import binary_cross_entropy_with_logits, cross_entropy, mse_loss, nll_loss
from .primitives import (
    abs,
    add,
    argmax,
    argmin,
    broadcast_to,
    ceil,
    concatenate,
    cos,
    cumsum,
    divide,
    dot,
    einsum,
    elu,
    equal,
    erf,
    exp,
    expand_dims,
    expm1,
    flatten,
    flip,
    floor,
    gelu,
    getitem,
    greater,
    greater_equal,
    isfinite,
    isinf,
    isnan,
    leaky_relu,
    less,
    less_equal,
    log,
    log1p,
    log_sigmoid,
    log_softmax,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    multiply,
    negative,
    not_equal,
    pad,
    power,
    prod,
    relu,
    reshape,
    sigmoid,
    sign,
    sin,
    softmax,
    softplus,
    split,
    sqrt,
    squeeze,
    stack,
    std,
    subtract,
    sum,
    swapaxes,
    take,
    take_along_axis,
    tan,
    tanh,
    transpose,
    unsqueeze,
    var,
    where,
)
from .primitives.construction import (
    diag_embed,
    one_hot,
    repeat_interleave,
    tile,
    unfold,
)
from .primitives.construction import torch_meshgrid as meshgrid
from .primitives.construction import torch_roll as roll
from .primitives.construction import torch_tril as tril
from .primitives.construction import torch_triu as triu
from .primitives.indexing import (
    gather,
    index_add,
    index_put,
    index_select,
    masked_fill,
    masked_select,
    nonzero,
    scatter,
    scatter_add,
)
from .primitives.pointwise import clamp, copysign, heaviside, lerp, stop_gradient
from .primitives.pointwise import clip_function as clip
from .primitives.scans import cummax, cummin, logcumsumexp
from .primitives.scans import torch_cumprod as cumprod
from .primitives.signal import torch_diff as diff
from .primitives.signal import torch_trapezoid as trapezoid
from .primitives.sorting import (
    argsort,
    kthvalue,
    median,
    nanmedian,
    searchsorted,
    sort,
    topk,
    unique,
)
from .primitives.sorting import torch_nanquantile as nanquantile
from .primitives.sorting import torch_quantile as quantile
from .primitives.statistics import torch_corrcoef as corrcoef
from .primitives.statistics import torch_cov as cov
from .primitives.statistics import torch_nanmean as nanmean
from .primitives.statistics import torch_nansum as nansum
from .rules import NONDIFFERENTIABLE, REGISTRY, Primitive, elementwise, nondifferentiable, primitive
from .sampling import multinomial
from .tensor import Tensor, as_tensor, tensor
from .threads import get_num_threads, set_num_threads
from .transforms import elementwise_grad, grad, value_and_grad, vjp
from .vectorize import vmap

__version__ = "0.1.0"

permute = transpose
# The public names, for `from chainrule import *` and for type checkers, which (under
# mypy --strict) see an imported name as exported only when it is listed here.
# tests/test_packaging.py checks that the list and the names defined above agree.
__all__ = [
    "GraphFreedError",
    "NONDIFFERENTIABLE",
    "Primitive",
    "REGISTRY",
    "Tensor",
    "abs",
    "add",
    "argmax",
    "argmin",
    "argsort",
    "as_tensor",
    "binary_cross_entropy_with_logits",
    "broadcast_to",
    "ceil",
    "checkpoint",
    "clamp",
    "clip",
    "compile",
    "concatenate",
    "copysign",
    "corrcoef",
    "cos",
    "cov",
    "cross_entropy",
    "cummax",
    "cummin",
    "cumprod",
    "cumsum",
    "custom_jvp",
    "custom_vjp",
    "detect_anomaly",
    "diag_embed",
    "diff",
    "divide",
    "dot",
    "einsum",
    "elementwise",
    "elementwise_grad",
    "elu",
    "enable_grad",
    "equal",
    "erf",
    "exp",
    "expand_dims",
    "explain",
    "expm1",
    "flatten",
    "flip",
    "floor",
    "gather",
    "gelu",
    "get_num_threads",
    "getitem",
    "grad",
    "gradcheck",
    "greater",
    "greater_equal",
    "heaviside",
    "hessian",
    "hvp",
    "index_add",
    "index_put",
    "index_select",
    "is_grad_enabled",
    "isfinite",
    "isinf",
    "isnan",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jvp",
    "kthvalue",
    "leaky_relu",
    "lerp",
    "less",
    "less_equal",
    "linearize",
    "log",
    "log1p",
    "log_sigmoid",
    "log_softmax",
    "logcumsumexp",
    "logsumexp",
    "masked_fill",
    "masked_select",
    "matmul",
    "max",
    "maximum",
    "mean",
    "median",
    "meshgrid",
    "min",
    "minimum",
    "mse_loss",
    "multinomial",
    "multiply",
    "nanmean",
    "nanmedian",
    "nanquantile",
    "nansum",
    "negative",
    "nll_loss",
    "no_grad",
    "nondifferentiable",
    "nonzero",
    "not_equal",
    "one_hot",
    "pad",
    "permute",
    "power",
    "primitive",
    "prod",
    "quantile",
    "relu",
    "repeat_interleave",
    "reshape",
    "roll",
    "scatter",
    "scatter_add",
    "searchsorted",
    "set_grad_enabled",
    "set_num_threads",
    "sigmoid",
    "sign",
    "sin",
    "softmax",
    "softplus",
    "sort",
    "split",
    "sqrt",
    "squeeze",
    "stack",
    "std",
    "stop_gradient",
    "subtract",
    "sum",
    "swapaxes",
    "take",
    "take_along_axis",
    "tan",
    "tanh",
    "tensor",
    "tile",
    "topk",
    "transpose",
    "trapezoid",
    "tril",
    "triu",
    "unfold",
    "unique",
    "unsqueeze",
    "value_and_grad",
    "var",
    "vjp",
    "vmap",
    "where",
]

# Submodules imported on first attribute access (PEP 562), so `import chainrule` costs
# the same as before they were reachable as `cr.data` etc.
_LAZY_SUBMODULES = ("data", "distributed", "io", "lax", "random", "scipy", "special",
                    "torch")
# cr.special is chainrule.scipy.special (issues 13 and 15).
_LAZY_PATHS = {"special": "scipy.special"}
# JAX's top-level names that chainrule itself lacks (chainrule.jax has them).
_JAX_ONLY = frozenset({
    "Array", "ShapeDtypeStruct", "block_until_ready", "config", "debug", "default_backend",
    "device_count", "device_get", "device_put", "devices", "disable_jit", "eval_shape",
    "jit", "local_devices", "make_jaxpr", "pmap", "remat", "tree", "tree_util"})

if _typing.TYPE_CHECKING:
    # Type checkers see the real modules, and no __getattr__: a module-level __getattr__
    # would make every misspelt attribute (cr.tanhh) type-check.
    from . import data, distributed, io, lax, random, scipy, torch
    from .scipy import special
else:

    def __getattr__(name):
        if name in _LAZY_SUBMODULES:
            # import_module binds the submodule as a package attribute: later lookups
            # of `cr.data` find it directly and never come back here.
            return _importlib.import_module(f".{_LAZY_PATHS.get(name, name)}", __name__)
        if name in _JAX_ONLY:
            # (a JAX program whose `import jax` became `import chainrule as jax`)
            raise AttributeError(
                f"module 'chainrule' has no attribute {name!r}: it is JAX's. Run the "
                f"program with `python -m chainrule.jax program.py` (or `import "
                f"chainrule.jax as jax`), which has jax.{name}; chainrule's own pytree "
                f"functions are in chainrule.pytree (docs/coming-from-jax.md)")
        raise AttributeError(f"module 'chainrule' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_SUBMODULES))

warning_location.install()
