"""``torch.cat``, ``torch.max``, ``torch.softmax``, ...: PyTorch's functions and arguments.

Each function calls the front-end Tensor method of the same meaning (so ``torch.max(x,
1)`` and ``x.max(1)`` are one code path) or a chainrule primitive directly. Results
follow their operands' class: a chainrule tensor given here gives a chainrule tensor.
"""

from __future__ import annotations

import builtins
import functools

import numpy as np

from .. import graph
from .. import primitives as P
from ..graph import TensorBase
from ..nn.arguments import in_float32
from ..primitives import construction as C
from ..primitives import indexing as I
from ..primitives import sorting as S
from ..sampling import multinomial as _multinomial
from . import products
from . import types as T
from .generators import draw
from .tensor import Tensor, clamped, floating, like, promoted, result_dtype_of, scalar_dims

__all__ = [
    "abs", "allclose", "argmax", "argmin", "argsort", "bmm", "cat", "chunk", "clamp", "clip",
    "concat", "concatenate", "cos", "cumsum", "div", "einsum", "enable_grad", "eq", "equal", "erf",
    "exp", "expm1", "flatten", "flip", "floor_divide", "fmod", "gather", "gt", "index_select",
    "inference_mode", "is_inference_mode_enabled",
    "is_grad_enabled", "is_floating_point", "is_tensor", "isfinite", "isinf", "isnan", "log",
    "log1p", "log_softmax", "logsumexp", "lt", "masked_fill", "matmul", "max", "maximum",
    "mean", "min", "minimum", "mm", "multinomial", "narrow", "ne", "no_grad", "norm", "numel",
    "outer", "permute", "pow", "prod", "relu", "remainder", "repeat_interleave", "reshape", "roll",
    "rsqrt", "scatter", "scatter_add", "set_grad_enabled", "sigmoid", "sign", "sin",
    "softmax", "sort", "split", "sqrt", "square", "squeeze", "stack", "std", "sum", "t",
    "tanh", "topk", "transpose", "tril", "triu", "unbind", "unsqueeze", "var", "where",
]

no_grad = graph.no_grad
enable_grad = graph.enable_grad
set_grad_enabled = graph.set_grad_enabled
is_grad_enabled = graph.is_grad_enabled


class inference_mode:
    """No recording inside the block, as ``no_grad`` (chainrule has no separate tensor
    kind for it); ``is_inference_mode_enabled()`` tells whether one is active. A context
    manager or a decorator (``@torch.inference_mode`` with or without parentheses);
    ``inference_mode(False)`` leaves grad mode as it is."""

    _active = 0  # (how many enabled blocks are open)

    def __new__(cls, mode=True):
        if callable(mode):  # @torch.inference_mode without parentheses
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode=True):
        self.mode = bool(mode)
        self._grad = None
        self._outer = 0

    def __enter__(self):
        # inference_mode(False) inside an enabled block leaves it for its own block, and
        # records again there, as PyTorch's does; outside one it changes nothing.
        self._outer = inference_mode._active
        if self.mode:
            self._grad = graph.no_grad()
            inference_mode._active += 1
        else:
            self._grad = graph.set_grad_enabled(bool(self._outer) or graph.is_grad_enabled())
            inference_mode._active = 0
        self._grad.__enter__()
        return self

    def __exit__(self, *exc):
        inference_mode._active = self._outer
        return self._grad.__exit__(*exc)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with inference_mode(self.mode):
                return fn(*args, **kwargs)

        return wrapped

    def clone(self):
        return inference_mode(self.mode)


def is_inference_mode_enabled():
    return inference_mode._active > 0


def is_tensor(obj):
    return isinstance(obj, TensorBase)


def is_floating_point(input):
    return T.is_floating_point(input)


def numel(input):
    return int(np.prod(input.shape))


# ------------------------------------------------------------- joining, shape
def cat(tensors, dim=0, *, axis=None):
    tensors = list(tensors)
    for k, t in enumerate(tensors):
        if np.ndim(t) == 0:
            raise T.ShapeError(f"zero-dimensional tensor (at position {k}) cannot be "
                               f"concatenated")
    if any(np.ndim(t) > 1 for t in tensors):  # PyTorch skips 1-D empty tensors (legacy)
        tensors = [t for t in tensors if np.shape(t) != (0,)]
    return P.concatenate(promoted(*tensors), axis=dim if axis is None else axis)


concat = concatenate = cat


def stack(tensors, dim=0):
    return P.stack(promoted(*tensors), axis=dim)


def where(condition, input=None, other=None):
    if input is None and other is None:
        return tuple(like(condition, i) for i in I.nonzero(condition, as_tuple=True))
    return P.where(condition, *promoted(input, other))


def tril(input, diagonal=0):
    return C.torch_tril(input, diagonal)


def triu(input, diagonal=0):
    return C.torch_triu(input, diagonal)


def reshape(input, shape):
    return Tensor.reshape(input, shape)


def transpose(input, dim0, dim1):
    return P.swapaxes(input, dim0, dim1)


def t(input):
    return Tensor.t(input)


def permute(input, dims):
    return P.transpose(input, tuple(dims))


def flatten(input, start_dim=0, end_dim=-1):
    return P.flatten(input, start_dim, end_dim)


def squeeze(input, dim=None):
    return Tensor.squeeze(input, dim)


def unsqueeze(input, dim):
    return P.expand_dims(input, dim)


def split(tensor, split_size_or_sections, dim=0):
    return Tensor.split(tensor, split_size_or_sections, dim)


def chunk(input, chunks, dim=0):
    return Tensor.chunk(input, chunks, dim)


def unbind(input, dim=0):
    return Tensor.unbind(input, dim)


def narrow(input, dim, start, length):
    return Tensor.narrow(input, dim, start, length)


def flip(input, dims):
    # PyTorch's flip copies (NumPy's, which chainrule's is, gives a view): writing into the
    # result must leave the input as it was.
    if scalar_dims(input, dims):
        return P.copy(input)
    return P.copy(P.flip(input, tuple(dims)))


def roll(input, shifts, dims=None):
    return C.torch_roll(input, shifts, dims)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    return C.repeat_interleave(input, repeats, dim, output_size=output_size)


# ----------------------------------------------------------------- reductions
def sum(input, dim=None, keepdim=False, *, dtype=None):
    return Tensor.sum(input, dim, keepdim, dtype=dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    return Tensor.mean(input, dim, keepdim, dtype=dtype)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    return Tensor.prod(input, dim, keepdim, dtype=dtype)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return Tensor.std(input, dim, unbiased, keepdim, correction=correction)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return Tensor.var(input, dim, unbiased, keepdim, correction=correction)


def max(input, dim=None, keepdim=False, *, other=None):
    """``max(x)`` the largest value, ``max(x, dim)`` (values, indices), ``max(x, y)``
    (or ``other=y``) the elementwise maximum."""
    return Tensor.max(input, dim, keepdim, other=other)


def min(input, dim=None, keepdim=False, *, other=None):
    return Tensor.min(input, dim, keepdim, other=other)


def argmax(input, dim=None, keepdim=False):
    return Tensor.argmax(input, dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    return Tensor.argmin(input, dim, keepdim)


def logsumexp(input, dim, keepdim=False):
    return Tensor.logsumexp(input, dim, keepdim)


def cumsum(input, dim, *, dtype=None):
    return Tensor.cumsum(input, dim, dtype=dtype)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    return Tensor.norm(input, p, dim, keepdim, dtype=dtype)


def topk(input, k, dim=-1, largest=True, sorted=True):
    return Tensor.topk(input, k, dim, largest, sorted)


def sort(input, dim=-1, descending=False, stable=False):
    return Tensor.sort(input, dim, descending, stable)


def argsort(input, dim=-1, descending=False, stable=False):
    return S.argsort(input, dim=dim, descending=descending, stable=stable)


# ------------------------------------------------------------------ pointwise
def _unary(prim, doc, float_valued=False, name=None, wrap=None):
    """``torch.<name>(input)``; a float-valued one computes integer input in the default
    float dtype, as PyTorch does (NumPy would give float64). `prim` may be any function
    of one tensor (`name` then names it); `wrap(input, result)` post-processes."""
    name = name or prim.name

    def fn(input):
        result = prim(floating(input) if float_valued else input)
        return result if wrap is None else wrap(input, result)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


exp = _unary(P.exp, "e to the power of each element.", float_valued=True)
log = _unary(P.log, "Natural logarithm of each element.", float_valued=True)
log1p = _unary(P.log1p, "log(1 + x), accurate for small x.", float_valued=True)
expm1 = _unary(P.expm1, "exp(x) - 1, accurate for small x.", float_valued=True)
tanh = _unary(P.tanh, "Hyperbolic tangent of each element.", float_valued=True)
sigmoid = _unary(P.sigmoid, "1 / (1 + exp(-x)) of each element.", float_valued=True)
relu = _unary(P.relu, "max(x, 0) of each element.")
sqrt = _unary(P.sqrt, "Square root of each element.", float_valued=True)
abs = _unary(P.abs, "Absolute value of each element.")
sin = _unary(P.sin, "Sine of each element.", float_valued=True)
cos = _unary(P.cos, "Cosine of each element.", float_valued=True)
sign = _unary(Tensor.sign, "-1, 0 or 1: the sign of each element (0 for NaN).", name="sign")
erf = _unary(P.erf, "The error function of each element.", float_valued=True)
isnan = _unary(P.isnan, "True where an element is NaN.")
isinf = _unary(P.isinf, "True where an element is infinite.")
isfinite = _unary(P.isfinite, "True where an element is finite.")


def rsqrt(input):
    return 1.0 / P.sqrt(floating(input))


def square(input):
    return Tensor.square(input)


def pow(input, exponent):
    """input ** exponent with PyTorch's promotion (either may be a number)."""
    if isinstance(input, Tensor) or isinstance(exponent, Tensor):
        return input ** exponent
    return P.power(input, exponent)


def div(input, other, *, rounding_mode=None):
    """PyTorch's div: ``input / other`` (true division, float result), or rounded.

    ``rounding_mode="floor"``: floor(a / b), Python's ``//``; ``"trunc"``: the quotient
    rounded toward zero (C's integer division). Both keep integer inputs integer.
    """
    if rounding_mode is None:
        return input / other
    if rounding_mode == "floor":
        return input // other
    if rounding_mode == "trunc":
        if result_dtype_of((input, other)).kind == "f":  # (trunc(inf / 2) is inf; // NaN)
            return P.trunc(input / other)
        q = input // other
        # floor and trunc differ by one where the quotient is negative and inexact.
        inexact = (q < 0) & (q * other != input)
        return P.where(inexact, q + 1, q)
    raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}")


def floor_divide(input, other):
    """floor(input / other), integer inputs staying integer (Python's ``//``)."""
    return input // other


def remainder(input, other):
    """input - floor(input / other) * other: the sign of ``other`` (Python's ``%``)."""
    return input % other


def fmod(input, other):
    """C's fmod: input - trunc(input / other) * other, the sign of ``input``."""
    return input.fmod(other) if isinstance(input, Tensor) else P.fmod(input, other)


def maximum(input, other):
    return P.maximum(*promoted(input, other))


def minimum(input, other):
    return P.minimum(*promoted(input, other))


def clamp(input, min=None, max=None):
    return clamped(input, min, max)


clip = clamp


def eq(input, other):
    return P.equal(input, other)


def ne(input, other):
    return P.not_equal(input, other)


def lt(input, other):
    return P.less(input, other)


def gt(input, other):
    return P.greater(input, other)


def equal(input, other):
    """True when both have the same shape and elements (a Python bool)."""
    a, b = np.asarray(input), np.asarray(other)
    return a.shape == b.shape and builtins.bool((a == b).all())


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return builtins.bool(np.allclose(np.asarray(input), np.asarray(other), rtol, atol,
                                     equal_nan))


def softmax(input, dim, dtype=None):
    x = input if dtype is None else input.astype(T.dtype_of(dtype))
    return in_float32(lambda t: P.softmax(t, axis=dim), x)  # (float16: float32 inside)


def log_softmax(input, dim, dtype=None):
    x = input if dtype is None else input.astype(T.dtype_of(dtype))
    return in_float32(lambda t: P.log_softmax(t, axis=dim), x)


# ---------------------------------------------------------------- products
# (operands of different dtypes refused, as PyTorch's kernels refuse them: see .products)
matmul, mm, bmm = products.matmul, products.mm, products.bmm


def outer(input, vec2):
    return P.multiply(P.expand_dims(input, 1), vec2)


def einsum(equation, *operands):
    if isinstance(equation, str) and len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])  # (einsum("ij,jk", [a, b]); not the sublist form)
    if _einsum_sums((equation, *operands)):
        # (bools summed over are counted, in int64, as PyTorch's are; the sublist form
        # einsum(x, [0, 1], [1]) passes the first operand as `equation`)
        equation, *operands = [
            P.astype(x, dtype=np.int64) if isinstance(x, TensorBase) and x._data.dtype == np.bool_
            else x for x in (equation, *operands)]
    return P.einsum(equation, *operands)


def _einsum_sums(args):
    """Whether an einsum (its equation string and operands, or the sublist form's
    operands and index lists) sums over some index."""
    if isinstance(args[0], str):
        inputs, arrow, output = args[0].replace(" ", "").partition("->")
        indices = [c for c in inputs if c.isalpha()]
    else:
        # (operand, indices, operand, indices, ..., [output indices])
        indices = [i for sub in args[1::2] for i in sub]
        arrow, output = len(args) % 2, args[-1]
    kept = set(output) if arrow else {i for i in indices if indices.count(i) == 1}
    return bool(set(indices) - kept)


# ------------------------------------------------------------------ indexing
def gather(input, dim, index, *, sparse_grad=False):
    return I.gather(input, dim, index)  # (sparse_grad: the same values, a dense gradient)


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    return Tensor.scatter(input, dim, index, src, value=value, reduce=reduce)


def scatter_add(input, dim, index, src):
    return Tensor.scatter_add(input, dim, index, src)


def index_select(input, dim, index):
    return I.index_select(input, dim, index)


def masked_fill(input, mask, value):
    return Tensor.masked_fill(input, mask, value)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Category indices drawn from each row's weights (int64)."""
    rng = None if generator is None else draw(generator)
    return like(input, _multinomial(input, num_samples, replacement, generator=rng))
