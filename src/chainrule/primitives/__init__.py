"""Every primitive and composite operation, one module per kind.

elementwise: arithmetic, exp/log, trigonometry, comparisons, where, clip
reductions:  sum, max, min, prod, logsumexp, cumsum; mean, var, std
shape:       reshape, transpose, broadcast_to, indexing, concatenate, pad, flip
linalg:      matmul, dot, einsum
activations: sigmoid, softplus, relu, gelu, softmax, log_softmax
"""

from .activations import (
    elu,
    erf,
    gelu,
    leaky_relu,
    log_sigmoid,
    log_softmax,
    relu,
    sigmoid,
    softmax,
    softplus,
)
from .elementwise import (
    abs,
    add,
    astype,
    ceil,
    clip,
    copy,
    cos,
    divide,
    equal,
    exp,
    expm1,
    floor,
    greater,
    greater_equal,
    isfinite,
    isinf,
    isnan,
    less,
    less_equal,
    log,
    log1p,
    logical_and,
    logical_not,
    logical_or,
    maximum,
    minimum,
    multiply,
    negative,
    not_equal,
    power,
    round,
    sign,
    sin,
    sqrt,
    subtract,
    tan,
    tanh,
    where,
)
from .linalg import dot, einsum, matmul
from .layers import col2im, im2col, linear
from .reductions import (
    argmax,
    argmin,
    cumsum,
    logsumexp,
    max,
    mean,
    min,
    prod,
    std,
    sum,
    var,
)
from .shape import (
    as_index,
    broadcast_to,
    concatenate,
    expand_dims,
    flatten,
    flip,
    getitem,
    pad,
    reshape,
    split,
    squeeze,
    stack,
    swapaxes,
    take,
    take_along_axis,
    transpose,
    unsqueeze,
)


