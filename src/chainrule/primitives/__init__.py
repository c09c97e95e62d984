"""Every primitive and composite operation, one module per kind.

elementwise: arithmetic, exp/log, trigonometry, comparisons, where, clip
reductions:  sum, max, min, prod, logsumexp, cumsum; mean, var, std
shape:       reshape, transpose, broadcast_to, indexing, concatenate, pad, flip
linalg:      matmul, dot, einsum
activations: sigmoid, softplus, relu, gelu, softmax, log_softmax
ufuncs:      inverse trig, hyperbolics, log2/log10/exp2, square, logaddexp, hypot, cumprod
decompositions: inv, det, slogdet, solve, cholesky, pinv, norm, diagonal, sort, kron
layers:      the fused affine map, im2col/col2im for convolution and pooling
losses:      softmax_nll, the fused softmax cross-entropy behind cr.cross_entropy
special:     gammaln, digamma, polygamma, gamma, beta, betaln, xlogy (scipy.special's names)
errorfunctions: erfc, erfcx, erfinv, erfcinv, ndtr, log_ndtr, ndtri
triangular:  solve_triangular (scipy.linalg's)
sylvester:   solve_sylvester, sqrtm (scipy.linalg's)
bessel:      j0, j1, jn, y0, y1, yn, iv, ive, i0, i1, i0e, i1e (scipy.special's)
convolve:    N-d convolution (scipy.signal's, with autograd's axes and dot_axes)
incomplete:  gammainc, gammaincc, betainc, differentiable in every argument (jets.py)
"""

from .activations import (
    elu,
    erf,
    gelu,
    leaky_relu,
    log_sigmoid,
    log_softmax,
    max_shift,
    relu,
    sigmoid,
    softmax,
    softplus,
)
from .bessel import i0, i0e, i1, i1e, iv, ive, j0, j1, jn, y0, y1, yn
from .convolve import convolve
from .decompositions import (
    cholesky,
    cross,
    det,
    diag,
    diagonal,
    inner,
    inv,
    kron,
    logabsdet,
    norm,
    outer,
    partition,
    pinv,
    sign_of_det,
    slogdet,
    solve,
    sort,
    tensordot,
    trace,
    tril,
    triu,
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
from .errorfunctions import erfc, erfcinv, erfcx, erfinv, log_ndtr, ndtr, ndtri
from .incomplete import betainc, gammainc, gammaincc
from .layers import col2im, im2col, linear
from .linalg import dot, einsum, matmul
from .losses import reduce_loss, softmax_nll
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
    normalize_axes,
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
from .special import (
    beta,
    betaln,
    digamma,
    gamma,
    gammaln,
    gammasgn,
    multigammaln,
    polygamma,
    psi,
    rgamma,
    xlog1py,
    xlogy,
)
from .sylvester import solve_sylvester, sqrtm
from .triangular import solve_triangular
from .ufuncs import (
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    argpartition,
    argsort,
    cbrt,
    cosh,
    cumprod,
    exp2,
    fmax,
    fmin,
    fmod,
    hypot,
    isclose,
    log2,
    log10,
    logaddexp,
    logaddexp2,
    logical_xor,
    mod,
    reciprocal,
    rint,
    signbit,
    sinc,
    sinh,
    square,
    trunc,
)
from .writes import write
