"""Every primitive and composite operation, one module per kind.

elementwise: arithmetic, exp/log, trigonometry, comparisons, where, clip
reductions:  sum, max, min, prod, logsumexp, cumsum; mean, var, std
shape:       reshape, transpose, broadcast_to, indexing, concatenate, pad, flip
linalg:      matmul, dot, einsum
activations: sigmoid, softplus, relu, gelu, softmax, log_softmax
ufuncs:      inverse trig, hyperbolics, log2/log10/exp2, square, logaddexp, hypot, cumprod
decompositions: inv, det, slogdet, solve, cholesky, pinv, lstsq, diagonal, sort, kron
spectral:    eigh, svd (factors packed into one output: packing), eigvalsh, svdvals
factorizations: qr           triangular: solve_triangular (SciPy's semantics)
matrix_functions: expm       norms: norm, cond, matrix_rank
layers:      the fused affine map, im2col/col2im for convolution and pooling
losses:      softmax_nll, the fused softmax cross-entropy behind cr.cross_entropy
special:     gammaln, digamma, polygamma, gamma, beta, betaln, poch, xlogy (scipy.special's)
errorfunctions: erfc, erfcx, erfinv, erfcinv, ndtr, log_ndtr, ndtri
expint:      exp1, expi, expn, spence     zetafunctions: zeta (Riemann's and Hurwitz's)
elliptic:    ellipk, ellipkm1, ellipe (Carlson's R_F, R_G)
powertransforms: exprel, boxcox, boxcox1p, inv_boxcox, inv_boxcox1p (scipy.special's)
sylvester:   solve_sylvester, sqrtm (scipy.linalg's)
bessel:      j0, j1, jn, y0, y1, yn, iv, ive, i0, i1, i0e, i1e (scipy.special's)
convolve:    convolve_nd, N-d convolution (scipy.signal's, with autograd's axes, dot_axes)
incomplete:  gammainc, gammaincc, betainc, differentiable in every argument (jets.py)
ode:         odeint's primitive (chainrule.scipy.integrate)
indexing:    PyTorch's gather/scatter family, masked_fill/select, put_along_axis
sorting:     sort with indices, topk, kthvalue, medians, quantiles, searchsorted, unique
scans:       cummax, cummin, logcumsumexp
construction: roll, tile, repeat_interleave, one_hot, diag_embed, block, meshgrid,
             sliding windows, insert, delete
statistics:  nan-reductions, cov, corrcoef
signal:      diff, ediff1d, trapezoid, convolve, correlate, interp
pointwise:   clamp with tensor bounds, lerp, copysign, heaviside, stop_gradient
masks:       dropout's random keep-mask, drawn by an operation
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
from .construction import (
    block,
    delete,
    diag_embed,
    insert,
    meshgrid,
    one_hot,
    repeat_interleave,
    roll,
    sliding_window_view,
    tile,
    torch_meshgrid,
    torch_roll,
    torch_tril,
    torch_triu,
    unfold,
)
from .convolve import convolve_nd
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
    lstsq,
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
from .elliptic import ellipe, ellipk, ellipkm1
from .errorfunctions import erfc, erfcinv, erfcx, erfinv, log_ndtr, ndtr, ndtri
from .expint import exp1, expi, expn, spence
from .factorizations import qr, qr_factors
from .incomplete import betainc, gammainc, gammaincc
from .indexing import (
    gather,
    index_add,
    index_put,
    index_select,
    masked_fill,
    masked_select,
    put_along_axis,
    scatter,
    scatter_add,
)
from .layers import col2im, im2col, linear
from .linalg import dot, einsum, matmul
from .losses import checked_classes, class_indices, reduce_loss, softmax_nll
from .lu_decomposition import lu, lu_factors
from .masks import keep_mask
from .matrix_functions import expm
from .norms import cond, matrix_rank, norm
from .pointwise import clamp, clip_function, copysign, heaviside, lerp, stop_gradient
from .powertransforms import boxcox, boxcox1p, exprel, inv_boxcox, inv_boxcox1p
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
from .scans import cummax, cummin, logcumsumexp
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
from .signal import (
    convolve,
    correlate,
    diff,
    ediff1d,
    interp,
    torch_diff,
    torch_trapezoid,
    trapezoid,
)
from .sorting import kthvalue, numpy_median, quantile, topk
from .special import (
    beta,
    betaln,
    digamma,
    entr,
    gamma,
    gammaln,
    gammasgn,
    kl_div,
    multigammaln,
    poch,
    polygamma,
    psi,
    rel_entr,
    rgamma,
    xlog1py,
    xlogy,
)
from .spectral import eigh, eigh_factors, eigvalsh, svd, svd_factors, svdvals
from .statistics import (
    corrcoef,
    cov,
    nanargmax,
    nanargmin,
    nancumprod,
    nancumsum,
    nanmax,
    nanmean,
    nanmedian,
    nanmin,
    nanprod,
    nanquantile,
    nanstd,
    nansum,
    nanvar,
    torch_corrcoef,
    torch_cov,
    torch_nanmean,
    torch_nansum,
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
    bitwise_count,
    cbrt,
    cosh,
    cumprod,
    exp2,
    fmax,
    fmin,
    fmod,
    frexp_exponent,
    gcd,
    hypot,
    isclose,
    lcm,
    ldexp,
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
from .zetafunctions import zeta
