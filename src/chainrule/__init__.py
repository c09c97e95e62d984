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
from .compiled import compile
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
from .scipy import special
from .tensor import Tensor, as_tensor, tensor
from .threads import get_num_threads, set_num_threads
from .transforms import elementwise_grad, grad, value_and_grad, vjp
from .vectorize import vmap

__version__ = "0.1.0"

permute = transpose
