"""chainrule.torch against PyTorch 2.13, ninth round: mixed-dtype matrix products refused,
``torch.return_types`` for every function of several results, float16 reductions and
normalizations computed in float32, pooling/convolution shape errors as RuntimeError, and
``autograd.Function`` under ``torch.func.vmap`` (its ``vmap`` staticmethod and
``generate_vmap_rule``). Expected values come from NumPy or from identities."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule.torch as torch
import chainrule.torch.nn.functional as F
from chainrule.torch import nn


# ------------------------------------------------------------ 2. torch.return_types
def _check_named(result, name, fields):
    """``result`` is ``torch.return_types.<name>`` with ``fields``: a tuple that unpacks and
    indexes, each field the element at its position, printed one field per line."""
    assert type(result).__module__ == "torch.return_types"
    assert type(result).__name__ == name
    assert isinstance(result, getattr(torch.return_types, name))
    assert isinstance(result, tuple) and len(result) == len(fields)
    assert result._fields == tuple(fields)
    for k, field in enumerate(fields):
        assert getattr(result, field) is result[k]
    unpacked = tuple(result)
    assert all(a is b for a, b in zip(unpacked, result))
    text = repr(result)
    assert text.startswith(f"torch.return_types.{name}(\n{fields[0]}=")
    assert all(f"\n{field}=" in text for field in fields) and text.endswith(")")


X = np.array([[3.0, 1.0, 2.0], [0.5, 4.0, 1.0]])
SPD = np.array([[4.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 2.0]])
RHS = np.array([[1.0], [2.0], [3.0]])


def test_values_and_indices_pairs_are_named_as_pytorchs():
    x = torch.tensor(X)
    for result, name in [(torch.median(x, 1), "median"), (x.median(1), "median"),
                         (torch.nanmedian(x, 1), "nanmedian"),
                         (torch.kthvalue(x, 2, 1), "kthvalue"), (x.kthvalue(2), "kthvalue"),
                         (torch.cummax(x, 1), "cummax"), (x.cummin(1), "cummin")]:
        _check_named(result, name, ("values", "indices"))
    # the values themselves: NumPy's lower median / second smallest / running extremes
    assert torch.median(x, 1).values.tolist() == [2.0, 1.0]
    assert torch.median(x, 1).indices.tolist() == [2, 2]
    assert torch.kthvalue(x, 2, 1).values.tolist() == np.sort(X, 1)[:, 1].tolist()
    assert torch.cummax(x, 1).values.tolist() == np.maximum.accumulate(X, 1).tolist()
    assert torch.cummin(x, 1).indices.tolist() == [[0, 1, 1], [0, 0, 0]]
    # without dim, median is one tensor, as in PyTorch
    assert isinstance(torch.median(x), torch.Tensor) and float(torch.median(x)) == 1.0


def test_aminmax_frexp_histogram_are_named_as_pytorchs():
    x = torch.tensor(X)
    mm = torch.aminmax(x)
    _check_named(mm, "aminmax", ("min", "max"))
    assert (float(mm.min), float(mm.max)) == (0.5, 4.0)
    _check_named(x.aminmax(dim=1), "aminmax", ("min", "max"))
    fr = torch.frexp(x)
    _check_named(fr, "frexp", ("mantissa", "exponent"))
    m, e = np.frexp(X)
    np.testing.assert_array_equal(fr.mantissa.numpy(), m)
    np.testing.assert_array_equal(fr.exponent.numpy(), e)
    _check_named(x.frexp(), "frexp", ("mantissa", "exponent"))
    h = torch.histogram(x.flatten(), 3)
    _check_named(h, "histogram", ("hist", "bin_edges"))
    hist, edges = np.histogram(X.ravel(), 3)
    np.testing.assert_array_equal(h.hist.numpy(), hist)
    np.testing.assert_allclose(h.bin_edges.numpy(), edges)
    _check_named(x.flatten().histogram(3), "histogram", ("hist", "bin_edges"))


def test_decompositions_are_named_as_pytorchs():
    a, b = torch.tensor(SPD), torch.tensor(RHS)
    cases = [
        (torch.slogdet(a), "slogdet", ("sign", "logabsdet")),
        (a.slogdet(), "slogdet", ("sign", "logabsdet")),
        (torch.linalg.slogdet(a), "linalg_slogdet", ("sign", "logabsdet")),
        (torch.linalg.eigh(a), "linalg_eigh", ("eigenvalues", "eigenvectors")),
        (torch.linalg.qr(a), "linalg_qr", ("Q", "R")),
        (torch.linalg.qr(a, mode="r"), "linalg_qr", ("Q", "R")),
        (torch.qr(a), "qr", ("Q", "R")),
        (torch.linalg.svd(a), "linalg_svd", ("U", "S", "Vh")),
        (torch.svd(a), "svd", ("U", "S", "V")),
        (a.svd(), "svd", ("U", "S", "V")),
        (torch.linalg.lu(a), "linalg_lu", ("P", "L", "U")),
        (torch.linalg.lu_factor(a), "linalg_lu_factor", ("LU", "pivots")),
        (torch.lu_unpack(*torch.linalg.lu_factor(a)), "lu_unpack", ("P", "L", "U")),
        (torch.lu(a, get_infos=True), "_lu_with_info", ("LU", "pivots", "info")),
        (torch.linalg.inv_ex(a), "linalg_inv_ex", ("inverse", "info")),
        (torch.linalg.cholesky_ex(a), "linalg_cholesky_ex", ("L", "info")),
        (torch.linalg.solve_ex(a, b), "linalg_solve_ex", ("result", "info")),
        (torch.geqrf(a), "geqrf", ("a", "tau")),
        (torch.triangular_solve(b, torch.triu(a)), "triangular_solve",
         ("solution", "cloned_coefficient")),
        (torch.linalg.lstsq(a, b), "linalg_lstsq",
         ("solution", "residuals", "rank", "singular_values")),
    ]
    for result, name, fields in cases:
        _check_named(result, name, fields)
    # the fields hold what their names say (identities, NumPy's answers)
    sign, logabsdet = torch.linalg.slogdet(a)
    assert float(sign) * np.exp(float(logabsdet)) == pytest.approx(np.linalg.det(SPD))
    w, v = torch.linalg.eigh(a)
    np.testing.assert_allclose(v.numpy() @ np.diag(w.numpy()) @ v.numpy().T, SPD, atol=1e-12)
    u, s, vt = torch.svd(a)
    np.testing.assert_allclose(u.numpy() @ np.diag(s.numpy()) @ vt.numpy().T, SPD,
                               atol=1e-12)
    p, lower, upper = torch.linalg.lu(a)
    np.testing.assert_allclose(p.numpy() @ lower.numpy() @ upper.numpy(), SPD, atol=1e-12)
    np.testing.assert_allclose(torch.linalg.inv_ex(a).inverse.numpy(), np.linalg.inv(SPD),
                               atol=1e-12)
    assert torch.linalg.cholesky_ex(a).info.tolist() == 0
    np.testing.assert_allclose(torch.linalg.solve_ex(a, b).result.numpy(),
                               np.linalg.solve(SPD, RHS), atol=1e-12)
    # a failing matrix still reports through the named field
    bad = torch.linalg.cholesky_ex(torch.tensor([[1.0, 2.0], [2.0, 1.0]]))
    _check_named(bad, "linalg_cholesky_ex", ("L", "info"))
    assert int(bad.info) == 2


# ------------------------------------------------------------ 1. mixed-dtype products
def _raises(fn, message):
    with pytest.raises(RuntimeError) as info:
        fn()
    assert str(info.value) == message


def test_matrix_products_refuse_float32_with_float64_with_pytorchs_messages():
    a, b = torch.ones(2, 2), torch.ones(2, 2, dtype=torch.float64)
    v32, v64 = torch.ones(2), torch.ones(2, dtype=torch.float64)
    a3, b3 = torch.ones(1, 2, 2), torch.ones(1, 2, 2, dtype=torch.float64)
    mm = "expected m1 and m2 to have the same dtype, but got: "
    for fn, message in [
        (lambda: torch.mm(a, b), mm + "float != double"),
        (lambda: torch.mm(b, a), mm + "double != float"),
        (lambda: a.mm(b), mm + "float != double"),
        (lambda: a @ b, mm + "float != double"),
        (lambda: torch.matmul(b, a), mm + "double != float"),
        (lambda: a.matmul(b), mm + "float != double"),
        (lambda: torch.linalg.matmul(a, b), mm + "float != double"),
        (lambda: v32 @ b, mm + "float != double"),  # (a vector times a matrix: mm)
        (lambda: a3 @ b, mm + "float != double"),  # (a stack folded into one matrix)
        (lambda: torch.mm(a, torch.ones(2, 2, dtype=torch.int64)), mm + "float != long int"),
        (lambda: torch.bmm(a3, b3), "expected scalar type Float but found Double"),
        (lambda: b3.bmm(a3), "expected scalar type Double but found Float"),
        (lambda: a3 @ b3, "expected scalar type Float but found Double"),
        (lambda: a @ b3, "expected scalar type Float but found Double"),
        (lambda: torch.mv(a, v64),
         "addmv input tensors must have the same dtype, but got Double, Float, and Double"),
        (lambda: a.mv(v64),
         "addmv input tensors must have the same dtype, but got Double, Float, and Double"),
        (lambda: b @ v32,
         "addmv input tensors must have the same dtype, but got Float, Double, and Float"),
        (lambda: v32 @ v64,
         "dot : expected both vectors to have same dtype, but found Float and Double"),
        (lambda: torch.dot(v64, v32),
         "dot : expected both vectors to have same dtype, but found Double and Float"),
        (lambda: torch.addmm(b, a, a),
         "self and mat2 must have the same dtype, but got Double and Float"),
        (lambda: torch.addmm(a, b, a),
         "mat1 and mat2 must have the same dtype, but got Double and Float"),
        (lambda: a.addmm(a, b),
         "self and mat2 must have the same dtype, but got Float and Double"),
        (lambda: torch.addmv(v32, a, v64),
         "addmv input tensors must have the same dtype, but got Float, Float, and Double"),
        (lambda: torch.baddbmm(b3, a3, a3),
         "Input dtypes must be the same, got: input double, batch1: float, batch2: float"),
        (lambda: torch.baddbmm(a3, a3, b3), "expected scalar type Float but found Double"),
        (lambda: torch.addbmm(a, a3, b3),
         "self and mat2 must have the same dtype, but got Float and Double"),
        (lambda: torch.inner(v32, v64), "both inputs should have same dtype"),
        (lambda: torch.tensordot(a, b, dims=1), "both inputs should have same dtype"),
    ]:
        _raises(fn, message)


def test_linear_refuses_a_float64_input_to_float32_weights():
    x64 = torch.ones(3, 2, dtype=torch.float64)
    w, bias = torch.ones(5, 2), torch.ones(5)
    mat = "mat1 and mat2 must have the same dtype, but got Double and Float"
    _raises(lambda: F.linear(x64, w, bias), mat)
    _raises(lambda: F.linear(x64, w),
            "expected m1 and m2 to have the same dtype, but got: double != float")
    _raises(lambda: F.linear(torch.ones(3, 2), w, bias.double()),
            "self and mat2 must have the same dtype, but got Double and Float")
    # the layer: PyTorch's most common report of this mistake
    layer = nn.Linear(2, 5)
    _raises(lambda: layer(x64), mat)
    _raises(lambda: layer(torch.ones(4, 3, 2, dtype=torch.float64)), mat)
    _raises(lambda: nn.Linear(2, 5, bias=False)(x64),
            "expected m1 and m2 to have the same dtype, but got: double != float")
    _raises(lambda: nn.Sequential(nn.Linear(2, 3), nn.ReLU())(x64), mat)
    # one dtype throughout works, and equals x W^T + b
    x = np.arange(6.0).reshape(3, 2)
    out = layer(torch.tensor(x, dtype=torch.float32))
    want = x @ layer.weight.detach().numpy().T + layer.bias.detach().numpy()
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-5, atol=1e-5)
    assert out.dtype == torch.float32
    layer64 = nn.Linear(2, 5, dtype=torch.float64)
    assert layer64(x64).dtype == torch.float64


def test_elementwise_operations_and_same_dtype_products_still_work():
    a, b = torch.ones(2, 2), torch.ones(2, 2, dtype=torch.float64)
    assert (a + b).dtype == torch.float64 and (a * b).dtype == torch.float64
    assert (a * 2.0).dtype == torch.float32
    assert (a * torch.tensor(2.0, dtype=torch.float64)).dtype == torch.float32  # (0-d)
    assert torch.outer(torch.ones(2), torch.ones(2, dtype=torch.float64)).dtype == torch.float64
    for dtype, kind in [(torch.float64, float), (torch.int64, int), (torch.float32, float)]:
        m = torch.tensor([[1, 2], [3, 4]], dtype=dtype)
        product = m @ m
        assert product.dtype == dtype
        assert product.tolist() == [[kind(7), kind(10)], [kind(15), kind(22)]]
    assert torch.bmm(b.unsqueeze(0), b.unsqueeze(0)).dtype == torch.float64
    assert float(torch.dot(torch.ones(3), torch.ones(3))) == 3.0
    # a gradient through a same-dtype product is unaffected
    w = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    (w @ w).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), np.ones((2, 2)) @ np.array([[1.0, 2], [3, 4]]).T
                               + np.array([[1.0, 2], [3, 4]]).T @ np.ones((2, 2)))


# ------------------------------------------------------------ 4. shape errors: RuntimeError
def test_pooling_and_convolution_shape_errors_are_runtime_errors():
    x, x1, x3 = torch.ones(1, 1, 3, 3), torch.ones(1, 1, 3), torch.ones(1, 1, 3, 3, 3)
    for fn in [
        lambda: F.max_pool2d(x, 5),  # (PyTorch: "Output size is too small")
        lambda: F.max_pool2d(x, 5, return_indices=True),
        lambda: F.max_pool2d_with_indices(x, 5),
        lambda: F.max_pool2d(x, 2, dilation=3),
        lambda: F.max_pool2d(x, 2, padding=2),  # (padding over half the kernel)
        lambda: F.max_pool1d(x1, 5), lambda: F.max_pool3d(x3, 5),
        lambda: F.avg_pool1d(x1, 5), lambda: F.avg_pool2d(x, 5), lambda: F.avg_pool3d(x3, 5),
        lambda: F.lp_pool1d(x1, 2, 5), lambda: F.lp_pool2d(x, 2, 5),
        lambda: F.adaptive_avg_pool2d(torch.ones(1, 1, 0, 3), 2),
        lambda: F.conv1d(x1, torch.ones(1, 1, 5)), lambda: F.conv2d(x, torch.ones(1, 1, 5, 5)),
        lambda: F.conv3d(x3, torch.ones(1, 1, 5, 5, 5)),
        lambda: F.conv2d(x, torch.ones(1, 1, 7, 7), padding=1),
        lambda: F.conv2d(x, torch.ones(1, 2, 2, 2)),  # (channels)
        lambda: F.conv2d(torch.ones(3), torch.ones(1, 1, 2, 2)),  # (dimensions)
        lambda: F.conv_transpose2d(x, torch.ones(2, 1, 2, 2)),
        lambda: F.unfold(x, 5),
        lambda: nn.MaxPool2d(5)(x), lambda: nn.AvgPool2d(5)(x), lambda: nn.Conv2d(1, 1, 5)(x),
        lambda: nn.Conv1d(1, 1, 5)(x1), lambda: nn.MaxPool1d(5)(x1),
        lambda: nn.Sequential(nn.Conv2d(1, 2, 2), nn.MaxPool2d(3))(x),
        lambda: nn.Unfold(5)(x),
    ]:
        with pytest.raises(RuntimeError) as info:
            fn()
        # still the engine's ValueError, with its message naming what is wrong
        assert isinstance(info.value, ValueError) and str(info.value)
    with pytest.raises(RuntimeError, match="smaller than the kernel's reach 5"):
        F.max_pool2d(x, 5)
    with pytest.raises(RuntimeError, match="input has 1 channels"):
        nn.Conv2d(2, 1, 2)(x)
    # shapes that fit compute as before: a 3x3 input, kernel 2, stride 1 -> 2x2 maxima
    v = torch.tensor(np.arange(9.0).reshape(1, 1, 3, 3))
    assert F.max_pool2d(v, 2, stride=1).tolist() == [[[[4.0, 5.0], [7.0, 8.0]]]]
    assert nn.AvgPool2d(3)(v).tolist() == [[[[4.0]]]]


# ------------------------------------------------------------ 3. float16 in float32 inside
def _ulps(got, exact):
    """How many float16 spacings (at the correctly rounded value) ``got`` is from the float64
    ``exact`` rounded to float16."""
    rounded = exact.astype(np.float16)
    spacing = np.spacing(np.abs(rounded)).astype(np.float64)
    return np.max(np.abs(np.asarray(got, np.float64) - rounded.astype(np.float64)) / spacing)


def _half_rows():
    rng = np.random.default_rng(0)
    x16 = (rng.standard_normal((8, 1000)) * 3 + 1).astype(np.float16)
    return x16, x16.astype(np.float64)  # (the exact values of the float16 input)


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _log_softmax(z):
    m = z.max(-1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(-1, keepdims=True))


def test_float16_softmax_and_log_softmax_round_once_from_float32():
    x16, x = _half_rows()
    t = torch.tensor(x16)
    for out, exact in [(F.softmax(t, -1), _softmax(x)), (torch.softmax(t, -1), _softmax(x)),
                       (t.softmax(-1), _softmax(x)), (nn.Softmax(-1)(t), _softmax(x)),
                       (F.softmin(t, -1), _softmax(-x)),
                       (F.log_softmax(t, -1), _log_softmax(x)),
                       (t.log_softmax(-1), _log_softmax(x)),
                       (nn.LogSoftmax(-1)(t), _log_softmax(x))]:
        assert out.dtype == torch.float16
        assert _ulps(out.numpy(), exact) <= 1  # (float16 throughout: 6 ulps in softmax)


def test_float16_layer_norm_rounds_once_from_float32():
    x16, x = _half_rows()
    mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    exact = (x - mu) / np.sqrt(var + 1e-5)
    t = torch.tensor(x16)
    out = F.layer_norm(t, (1000,))
    assert out.dtype == torch.float16
    assert _ulps(out.numpy(), exact) <= 1  # (float16 throughout: about 300 ulps)
    layer = nn.LayerNorm(1000, dtype=torch.float16)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(np.linspace(0.5, 2, 1000), dtype=torch.float16))
        layer.bias.fill_(0.25)
    w = np.linspace(0.5, 2, 1000).astype(np.float16).astype(np.float64)
    out = layer(t)
    assert out.dtype == torch.float16 and layer.weight.dtype == torch.float16
    assert _ulps(out.detach().numpy(), exact * w + 0.25) <= 1
    # the gradient flows back in the input's dtype
    t.requires_grad_()
    F.layer_norm(t, (1000,)).pow(2).sum().backward()
    assert t.grad.dtype == torch.float16 and np.isfinite(t.grad.numpy()).all()


def test_float16_sum_and_mean_round_once_from_float32():
    x16, x = _half_rows()
    t = torch.tensor(x16)
    for out, exact in [(t.sum(-1), x.sum(-1)), (torch.sum(t, 1), x.sum(1)),
                       (t.mean(-1), x.mean(-1)), (torch.mean(t, 1), x.mean(1)),
                       (t.mean(0, keepdim=True), x.mean(0, keepdims=True))]:
        assert out.dtype == torch.float16
        assert _ulps(out.numpy(), exact) <= 1
    # a mean whose sum would overflow float16 (max 65504): PyTorch's accumulates in float32
    big16 = np.random.default_rng(1).uniform(0, 10, 100_000).astype(np.float16)
    big = torch.tensor(big16)
    mean = big.mean()
    assert mean.dtype == torch.float16 and np.isfinite(float(mean))
    assert _ulps(mean.numpy(), np.asarray(big16.astype(np.float64).mean())) <= 1
    assert float(torch.mean(big)) == float(mean)
    # ... while the sum itself is out of float16's range, as PyTorch's is
    assert np.isinf(float(big.sum()))


# ------------------------------------------------------------ 5. Function under vmap
def _scaled_square(rule):
    """x * x * y as a Function: with ``generate_vmap_rule`` (rule "generate") or its own
    ``vmap`` staticmethod (rule "own", which logs its calls)."""
    calls = []

    class ScaledSquare(torch.autograd.Function):
        generate_vmap_rule = rule == "generate"

        @staticmethod
        def forward(x, y):
            return x * x * y

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * 2 * x * y, g * x * x

        if rule == "own":
            @staticmethod
            def vmap(info, in_dims, x, y):
                calls.append((info.batch_size, info.randomness, in_dims))
                xd, yd = in_dims
                x = x.movedim(xd, 0) if xd is not None else x.unsqueeze(0)
                y = y.movedim(yd, 0) if yd is not None else y.unsqueeze(0)
                return ScaledSquare.apply(x, y), 0

    return ScaledSquare, calls


XS = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
YS = np.array([2.0, 3.0, 4.0])


@pytest.mark.parametrize("rule", ["generate", "own"])
def test_function_gradients_through_vmap_reach_unbatched_inputs(rule):
    fn, calls = _scaled_square(rule)
    x, y = torch.tensor(XS), torch.tensor(YS)
    vmap, grad = torch.func.vmap, torch.func.grad
    mapped = vmap(fn.apply, in_dims=(0, None))
    np.testing.assert_allclose(mapped(x, y).numpy(), XS * XS * YS)
    # d/dy sum_b x_b^2 y = sum over the batch of x_b^2 (the first example's twice before)
    gx, gy = grad(lambda a, b: mapped(a, b).sum(), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx.numpy(), 2 * XS * YS)
    np.testing.assert_allclose(gy.numpy(), (XS * XS).sum(0))
    np.testing.assert_allclose(grad(lambda b: mapped(x, b).sum())(y).numpy(),
                               (XS * XS).sum(0))
    # y mapped and x shared: d/dx sum_b x^2 y_b = 2 x sum_b y_b
    ys = torch.tensor(np.stack([YS, 2 * YS]))
    gx = grad(lambda a: vmap(fn.apply, in_dims=(None, 0))(a, ys).sum())(x[0])
    np.testing.assert_allclose(gx.numpy(), 2 * XS[0] * 3 * YS)
    # per-example gradients, and backward through a vmapped call
    per = vmap(grad(lambda a, b: fn.apply(a, b).sum(), argnums=(0, 1)), in_dims=(0, None))(x, y)
    np.testing.assert_allclose(per[0].numpy(), 2 * XS * YS)
    np.testing.assert_allclose(per[1].numpy(), XS * XS)
    a, b = x.clone().requires_grad_(), y.clone().requires_grad_()
    ga, gb = torch.autograd.grad(mapped(a, b).pow(2).sum(), (a, b))
    out = XS * XS * YS
    np.testing.assert_allclose(ga.numpy(), 2 * out * 2 * XS * YS)
    np.testing.assert_allclose(gb.numpy(), (2 * out * XS * XS).sum(0))
    jac = torch.func.jacrev(lambda b: mapped(x, b))(y)
    want = np.zeros((2, 3, 3))
    for i in range(2):
        want[i] = np.diag(XS[i] ** 2)
    np.testing.assert_allclose(jac.numpy(), want)
    if rule == "own":  # (the class's rule ran, told the batch and where it is)
        assert calls and calls[0] == (2, "error", (0, None))


def test_function_with_a_vmap_rule_may_compute_forward_with_numpy():
    class NumpySin(torch.autograd.Function):
        @staticmethod
        def forward(x):
            return torch.tensor(np.sin(x.detach().numpy()), dtype=x.dtype)

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * torch.cos(x)

        @staticmethod
        def vmap(info, in_dims, x):
            return NumpySin.apply(x), in_dims[0]

    vmap, grad = torch.func.vmap, torch.func.grad
    x = torch.tensor(XS / 10)
    np.testing.assert_allclose(vmap(NumpySin.apply)(x).numpy(), np.sin(XS / 10))
    np.testing.assert_allclose(vmap(NumpySin.apply, in_dims=1)(x).numpy(), np.sin(XS / 10).T)
    np.testing.assert_allclose(vmap(vmap(NumpySin.apply))(x).numpy(), np.sin(XS / 10))
    np.testing.assert_allclose(grad(lambda z: vmap(NumpySin.apply)(z).sum())(x).numpy(),
                               np.cos(XS / 10))
    np.testing.assert_allclose(vmap(grad(lambda z: NumpySin.apply(z).sum()))(x).numpy(),
                               np.cos(XS / 10))
    randomness = []

    class Logged(NumpySin):
        @staticmethod
        def vmap(info, in_dims, x):
            randomness.append(info.randomness)
            return Logged.apply(x), in_dims[0]

    vmap(Logged.apply, randomness="different")(x)
    assert randomness == ["different"]


def test_function_of_two_outputs_under_vmap_and_a_malformed_rule():
    class SumAndProduct(torch.autograd.Function):
        generate_vmap_rule = True

        @staticmethod
        def forward(x, y):
            return x * y, x + y

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx, g_product, g_sum):
            x, y = ctx.saved_tensors
            return g_product * y + g_sum, g_product * x + g_sum

    x, y = torch.tensor(XS), torch.tensor(YS)
    mapped = torch.func.vmap(SumAndProduct.apply, in_dims=(0, None))
    gy = torch.func.grad(lambda b: mapped(x, b)[0].pow(2).sum())(y)
    np.testing.assert_allclose(gy.numpy(), (2 * XS * YS * XS).sum(0))
    gy = torch.func.grad(lambda b: (mapped(x, b)[0] + mapped(x, b)[1]).sum())(y)
    np.testing.assert_allclose(gy.numpy(), (XS + 1).sum(0))

    class NoDims(torch.autograd.Function):
        @staticmethod
        def forward(x):
            return x * 2

        @staticmethod
        def setup_context(ctx, inputs, output):
            pass

        @staticmethod
        def backward(ctx, g):
            return g * 2

        @staticmethod
        def vmap(info, in_dims, x):
            return x * 2  # (no out_dims)

    with pytest.raises(RuntimeError, match="two returns, an output and out_dims"):
        torch.func.vmap(NoDims.apply)(x)
