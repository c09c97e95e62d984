"""chainrule: NumPy-native automatic differentiation, stable by construction.

    import chainrule as cr
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    cr.tanh(x).sum().backward()
    x.grad          # 1 - tanh(x)**2
"""

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
