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

from . import linalg, nn, optim, primitives
from .anomaly import detect_anomaly
from .backward import GraphFreedError
from .checkpointing import checkpoint
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
    clip,
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
from .rules import NONDIFFERENTIABLE, REGISTRY, Primitive, elementwise, nondifferentiable, primitive
from .tensor import Tensor, as_tensor, tensor
from .transforms import elementwise_grad, grad, value_and_grad, vjp
from .vectorize import vmap

__version__ = "0.1.0"

permute = transpose
clamp = clip

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
    "as_tensor",
    "binary_cross_entropy_with_logits",
    "broadcast_to",
    "ceil",
    "checkpoint",
    "clamp",
    "clip",
    "concatenate",
    "cos",
    "cross_entropy",
    "cumsum",
    "detect_anomaly",
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
    "gelu",
    "getitem",
    "grad",
    "gradcheck",
    "greater",
    "greater_equal",
    "hessian",
    "hvp",
    "is_grad_enabled",
    "isfinite",
    "isinf",
    "isnan",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jvp",
    "leaky_relu",
    "less",
    "less_equal",
    "linearize",
    "log",
    "log1p",
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mse_loss",
    "multiply",
    "negative",
    "nll_loss",
    "no_grad",
    "nondifferentiable",
    "not_equal",
    "pad",
    "permute",
    "power",
    "primitive",
    "prod",
    "relu",
    "reshape",
    "set_grad_enabled",
    "sigmoid",
    "sign",
    "sin",
    "softmax",
    "softplus",
    "split",
    "sqrt",
    "squeeze",
    "stack",
    "std",
    "subtract",
    "sum",
    "swapaxes",
    "take",
    "take_along_axis",
    "tan",
    "tanh",
    "tensor",
    "transpose",
    "unsqueeze",
    "value_and_grad",
    "var",
    "vjp",
    "vmap",
    "where",
]

# Submodules imported on first attribute access (PEP 562), so `import chainrule` costs
# the same as before they were reachable as `cr.data` etc.
_LAZY_SUBMODULES = ("data", "distributed", "io", "scipy")

if _typing.TYPE_CHECKING:
    # Type checkers see the real modules, and no __getattr__: a module-level __getattr__
    # would make every misspelt attribute (cr.tanhh) type-check.
    from . import data, distributed, io, scipy
else:

    def __getattr__(name):
        if name in _LAZY_SUBMODULES:
            # import_module binds the submodule as a package attribute: later lookups
            # of `cr.data` find it directly and never come back here.
            return _importlib.import_module(f".{name}", __name__)
        raise AttributeError(f"module 'chainrule' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_SUBMODULES))
