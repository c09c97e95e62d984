"""The op database's parts: what an entry says, the sample inputs, and the checks.

An :class:`OpInfo` describes one public function: how to call it, its NumPy or SciPy
reference (if there is one), the inputs to check it on, and which checks apply. One
parametrized test (tests/test_op_database.py) runs :func:`check_sample` over every
entry and sample:

* values: the function on tensors (and on plain arrays, where it is NumPy's name) equals
  the reference;
* gradients: ``gradcheck`` in reverse and forward mode, to second order, in float64;
* list inputs: the first differentiated argument passed as a list of tensors (NumPy's
  array_like) gives the same values and gradients;
* float32: float32 inputs give float32 values and float32 gradients;
* finiteness: no NaN or inf in the output or the gradient on the sample domain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import chainrule as cr
from chainrule.backward import backward
from chainrule.domains import Domain
from chainrule.gradcheck import gradcheck
from chainrule.graph import is_tensor

REAL = Domain()


@dataclass(frozen=True)
class Sample:
    """One call: positional args (float64 arrays where differentiated), keywords, and the
    indices of the differentiated arguments."""

    args: tuple
    kwargs: dict = field(default_factory=dict)
    diff: tuple = (0,)
    label: str = ""


@dataclass(frozen=True)
class OpInfo:
    """One public function and how to check it."""

    name: str  # as users write it: "cr.tanh", "cnp.sum", "sp.expit", "F.cross_entropy"
    op: Callable
    samples: Callable  # samples(rng) -> list of Sample
    ref: Callable | None = None  # the NumPy/SciPy reference on plain arrays
    # "numpy": op(plain arrays) must return the reference itself (chainrule.numpy and
    # friends run NumPy on plain values); "tensor": only tensors in, tensors out.
    plain: str = "tensor"
    differentiable: bool = True  # False: the output must carry no gradient
    orders: int = 2
    modes: tuple = ("rev", "fwd")
    float32: bool = True
    list_inputs: bool = True  # also pass the first differentiated argument as a list
    finite: bool = True  # outputs and gradients finite on the samples
    rtol: float = 1e-7  # value comparisons against the reference (float64)
    atol: float = 1e-10
    grad_atol: float = 1e-5
    grad_rtol: float = 1e-3
    eps: float = 1e-6
    # False: cr.compile and cr.vmap refuse the function by design (it turns values into
    # integers, such as LU pivots, that a trace could not recompute); tests/test_lu.py
    # checks the refusal instead of the replay.
    traces: bool = True


# --------------------------------------------------------------------- samples
SHAPES = [(), (0,), (1,), (4,), (2, 3), (1, 3, 1)]
BROADCAST = [((), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((0, 3), (3,)), ((3,), (3,))]


def _rng_draw(rng, domain, shape):
    return (domain or REAL).sample(rng, shape)


def unary(domain=None, shapes=SHAPES, **kwargs):
    """Samples of a one-argument function over `shapes`, values from `domain`."""

    def make(rng):
        return [
            Sample((_rng_draw(rng, domain, s),), dict(kwargs), (0,), f"shape {s}")
            for s in shapes
        ]

    return make


def binary(domains=(None, None), pairs=BROADCAST, diff=(0, 1), **kwargs):
    """Samples of a two-argument function over broadcasting shape pairs."""

    def make(rng):
        return [
            Sample(
                (_rng_draw(rng, domains[0], a), _rng_draw(rng, domains[1], b)),
                dict(kwargs),
                diff,
                f"shapes {a} {b}",
            )
            for a, b in pairs
        ]

    return make


def reducing(domain=None, shapes=((2, 3), (4,), ()), axes=(None, 0, -1, (0, 1)),
             keepdims=(False, True), empty=True, **kwargs):
    """Samples of a reduction over `axes` (those valid for each shape) and keepdims."""

    def make(rng):
        out = []
        all_shapes = list(shapes) + ([(2, 0)] if empty else [])
        for s in all_shapes:
            for axis in axes:
                if not _valid_axis(axis, len(s)):
                    continue
                for k in keepdims:
                    kw = {"axis": axis, **kwargs}
                    if k is not None:
                        kw["keepdims"] = k
                    out.append(
                        Sample((_rng_draw(rng, domain, s),), kw, (0,), f"shape {s} {kw}")
                    )
        return out

    return make


def _valid_axis(axis, ndim):
    # (A 0-d array takes only axis=None: NumPy's reductions differ on axis 0 there.)
    if axis is None:
        return True
    axes = axis if isinstance(axis, tuple) else (axis,)
    in_range = all(-ndim <= a < ndim for a in axes)
    return ndim > 0 and in_range and len({a % ndim for a in axes}) == len(axes)


def fixed(*samples):
    """Samples given outright: each a (args, kwargs[, diff]) tuple of arrays drawn by `rng`."""

    def make(rng):
        out = []
        for k, spec in enumerate(samples):
            made = spec(rng) if callable(spec) else spec
            args, kw, *rest = made
            out.append(Sample(tuple(args), dict(kw), tuple(rest[0]) if rest else (0,),
                              f"case {k}"))
        return out

    return make


# ---------------------------------------------------------------------- checks
def _call(op, sample, values, wrap):
    args = list(sample.args)
    for i, v in zip(sample.diff, values):
        args[i] = wrap(v)
    return op.op(*args, **sample.kwargs)


def _as_one_tensor(out):
    """A function's output as one tensor: tuples and lists are flattened and joined."""
    if is_tensor(out):
        return out
    if isinstance(out, (tuple, list)):
        parts = [o for o in out if is_tensor(o) and o.dtype.kind == "f"]
        return cr.concatenate([cr.reshape(o, (-1,)) for o in parts]) if parts else None
    return None


def _values(out):
    if is_tensor(out):
        return out.data
    if isinstance(out, (tuple, list)):
        values = [_values(o) for o in out]
        # A namedtuple (NumPy 2's SVDResult, ...) takes its fields as arguments.
        return type(out)(*values) if hasattr(out, "_fields") else type(out)(values)
    return out


def check_values(op, sample):
    if op.ref is None:
        return
    want = op.ref(*sample.args, **sample.kwargs)
    got = _values(_call(op, sample, [sample.args[i] for i in sample.diff], cr.tensor))
    _assert_close(got, want, op)
    if op.plain == "numpy":
        plain = op.op(*sample.args, **sample.kwargs)
        _assert_close(plain, want, op)
        assert not _holds_tensor(plain), f"{op.name} on plain arrays returned a tensor"


def _holds_tensor(out):
    if is_tensor(out):
        return True
    return isinstance(out, (tuple, list)) and any(_holds_tensor(o) for o in out)


def _assert_close(got, want, op):
    if isinstance(want, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(want), (got, want)
        for g, w in zip(got, want):
            _assert_close(g, w, op)
        return
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{op.name}: shape {got.shape}, NumPy's {want.shape}"
    if want.dtype.kind in "fc":
        np.testing.assert_allclose(got, want, rtol=op.rtol, atol=op.atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, want)


def check_gradients(op, sample):
    if not sample.diff:
        return
    arrays = [sample.args[i] for i in sample.diff]
    if not op.differentiable:
        out = _call(op, sample, arrays, _leaf)
        for o in out if isinstance(out, (tuple, list)) else (out,):
            assert not getattr(o, "requires_grad", False), (
                f"{op.name}: declared without gradient, but records")
        return

    def f(*xs):
        return _as_one_tensor(_call(op, sample, xs, lambda v: v))

    gradcheck(f, *arrays, order=op.orders, modes=op.modes, eps=op.eps,
              atol=op.grad_atol, rtol=op.grad_rtol)


def check_list_inputs(op, sample):
    """The first differentiated argument as a list of tensors (NumPy's array_like)."""
    if not (op.list_inputs and sample.diff):
        return
    first = sample.diff[0]
    x0 = sample.args[first]
    if np.ndim(x0) == 0 or np.shape(x0)[0] == 0:
        return
    rest = [sample.args[i] for i in sample.diff[1:]]

    def as_array(*xs):
        return _as_one_tensor(_call(op, sample, xs, lambda v: v))

    def as_list(x, *others):
        rows = [x[i] for i in range(x.shape[0])]
        return _as_one_tensor(_call(op, sample, (rows, *others), lambda v: v))

    tensors = [cr.tensor(a, requires_grad=True) for a in (x0, *rest)]
    want = as_array(*tensors)
    want_grads = backward(cr.sum(want * 1.0), inputs=tensors) if want.requires_grad else None
    tensors2 = [cr.tensor(a, requires_grad=True) for a in (x0, *rest)]
    got = as_list(*tensors2)
    np.testing.assert_allclose(got.data, want.data, rtol=1e-12, atol=1e-14)
    if want_grads is not None:
        assert got.requires_grad, f"{op.name}: a list of tensors dropped the graph"
        got_grads = backward(cr.sum(got * 1.0), inputs=tensors2)
        for g, w in zip(got_grads, want_grads):
            np.testing.assert_allclose(
                np.zeros_like(x0) if g is None else g.data,
                np.zeros_like(x0) if w is None else w.data, rtol=1e-12, atol=1e-14)


def check_float32(op, sample):
    if not (op.float32 and sample.diff):
        return
    tensors = [cr.tensor(sample.args[i].astype(np.float32), requires_grad=True)
               for i in sample.diff]
    args = list(sample.args)
    for i, t in zip(sample.diff, tensors):
        args[i] = t
    out = _as_one_tensor(op.op(*args, **sample.kwargs))
    if out is None or out.dtype.kind != "f":
        return
    assert out.dtype == np.float32, f"{op.name}: float32 in, {out.dtype} out"
    if out.requires_grad and out.size:
        grads = backward(cr.sum(out), inputs=tensors)
        for g in grads:
            assert g is None or g.dtype == np.float32, f"{op.name}: float32 gradient {g.dtype}"


def _leaf(v):
    """A tensor of v, requiring grad where it can (floating point; an integer operand of
    a bitwise operation cannot)."""
    return cr.tensor(v, requires_grad=np.asarray(v).dtype.kind in "fc")


def check_finite(op, sample):
    if not (op.finite and sample.diff):
        return
    tensors = [_leaf(sample.args[i]) for i in sample.diff]
    args = list(sample.args)
    for i, t in zip(sample.diff, tensors):
        args[i] = t
    out = _as_one_tensor(op.op(*args, **sample.kwargs))
    if out is None:
        return
    assert np.all(np.isfinite(out.data)), f"{op.name}: non-finite output on its domain"
    if out.requires_grad and out.size:
        for g in backward(cr.sum(out), inputs=tensors):
            assert g is None or np.all(np.isfinite(g.data)), f"{op.name}: non-finite gradient"


CHECKS = {
    "values": check_values,
    "gradients": check_gradients,
    "list inputs": check_list_inputs,
    "float32": check_float32,
    "finite": check_finite,
}


def check_sample(op, sample):
    """Every check of one entry on one sample; raises at the first that fails."""
    for check in CHECKS.values():
        check(op, sample)
