"""chainrule.torch: each PyTorch-semantics method against PyTorch's documented behaviour.

Expected values are worked out by hand from PyTorch's documentation (PyTorch is not a
test dependency). The traps that differ silently between NumPy and PyTorch come first.
"""

from __future__ import annotations

import math
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
import chainrule.torch as torch
import chainrule.torch.nn as nn
import chainrule.torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]


def _m():
    return torch.tensor([[1.0, 2.0], [3.0, 4.0]])


def _v():
    return torch.tensor([1.0, 2.0, 3.0, 4.0])


def _vals(x):
    """Values of a tensor, a tuple or list of tensors, or a number, as nested lists."""
    if isinstance(x, (tuple, list)):
        return [_vals(v) for v in x]
    if isinstance(x, cr.Tensor):
        return x.data.tolist()
    return x


# (what, expression, expected): the expression's value compared with the expected one.
TRAPS = [
    ("out.max(1) on a batch of 2 gives (values, indices)",
     lambda: torch.tensor([[1.0, 5.0], [7.0, 3.0]]).max(1), [[5.0, 7.0], [1, 0]]),
    ("_, pred = out.max(1) unpacks the indices",
     lambda: torch.tensor([[1.0, 5.0], [7.0, 3.0]]).max(1)[1], [1, 0]),
    ("transpose(0, 1) swaps the axes of a square matrix", lambda: _m().transpose(0, 1),
     [[1.0, 3.0], [2.0, 4.0]]),
    ("std() divides by n - 1", lambda: _v().std(), math.sqrt(5 / 3)),
    ("var() divides by n - 1", lambda: _v().var(), 5 / 3),
    ("std(unbiased=False) divides by n", lambda: _v().std(unbiased=False), math.sqrt(1.25)),
    ("var(correction=0) divides by n", lambda: _v().var(correction=0), 1.25),
    ("split(2) makes pieces of 2 (the last smaller)",
     lambda: torch.arange(5).split(2), [[0, 1], [2, 3], [4]]),
    ("split([1, 4]) makes pieces of those sizes",
     lambda: torch.arange(5).split([1, 4]), [[0], [1, 2, 3, 4]]),
    ("chunk(2) makes 2 pieces of ceil(5 / 2)",
     lambda: torch.arange(5).chunk(2), [[0, 1, 2], [3, 4]]),
    ("repeat tiles", lambda: torch.tensor([1, 2]).repeat(2), [1, 2, 1, 2]),
    ("repeat adds leading dimensions", lambda: torch.tensor([1, 2]).repeat(2, 1),
     [[1, 2], [1, 2]]),
    ("repeat_interleave repeats elements", lambda: torch.tensor([1, 2]).repeat_interleave(2),
     [1, 1, 2, 2]),
    ("view(-1) flattens", lambda: _m().view(-1), [1.0, 2.0, 3.0, 4.0]),
    ("size() is the shape", lambda: torch.zeros(2, 3).size(), [2, 3]),
]

METHODS = [
    ("size(dim)", lambda: torch.zeros(2, 3).size(1), 3),
    ("size(-1)", lambda: torch.zeros(2, 3).size(-1), 3),
    ("dim()", lambda: torch.zeros(2, 3).dim(), 2),
    ("numel()", lambda: torch.zeros(2, 3).numel(), 6),
    ("nelement()", lambda: torch.zeros(2, 3).nelement(), 6),
    ("view(2, -1)", lambda: _v().view(2, -1), [[1.0, 2.0], [3.0, 4.0]]),
    ("reshape((-1, 1))", lambda: torch.arange(2).reshape((-1, 1)), [[0], [1]]),
    ("transpose(1, 2) shape", lambda: torch.zeros(2, 3, 4).transpose(1, 2).size(), [2, 4, 3]),
    ("transpose(-2, -1)", lambda: _m().transpose(-2, -1), [[1.0, 3.0], [2.0, 4.0]]),
    ("t()", lambda: _m().t(), [[1.0, 3.0], [2.0, 4.0]]),
    ("T", lambda: _m().T, [[1.0, 3.0], [2.0, 4.0]]),
    ("mT", lambda: torch.arange(4).view(1, 2, 2).mT, [[[0, 2], [1, 3]]]),
    ("permute(2, 0, 1) shape", lambda: torch.zeros(2, 3, 4).permute(2, 0, 1).size(), [4, 2, 3]),
    ("max() is the largest value", lambda: _m().max(), 4.0),
    ("max(dim=0, keepdim=True)", lambda: _m().max(dim=0, keepdim=True), [[[3.0, 4.0]], [[1, 1]]]),
    ("min(1)", lambda: _m().min(1), [[1.0, 3.0], [0, 0]]),
    ("max(other) is elementwise", lambda: _m().max(torch.full((2, 2), 2.5)),
     [[2.5, 2.5], [3.0, 4.0]]),
    ("sum(dim=0)", lambda: _m().sum(dim=0), [4.0, 6.0]),
    ("sum(1, keepdim=True)", lambda: _m().sum(1, keepdim=True), [[3.0], [7.0]]),
    ("sum(dim=(0, 1))", lambda: _m().sum(dim=(0, 1)), 10.0),
    ("mean(dim=1)", lambda: _m().mean(dim=1), [1.5, 3.5]),
    ("std(dim=1)", lambda: _m().std(dim=1), [math.sqrt(0.5)] * 2),
    ("argmax(dim=1)", lambda: torch.tensor([[1.0, 5.0], [7.0, 3.0]]).argmax(dim=1), [1, 0]),
    ("argmax()", lambda: torch.tensor([[1.0, 5.0], [7.0, 3.0]]).argmax(), 2),
    ("softmax(dim=0)", lambda: torch.zeros(2, 1).softmax(dim=0), [[0.5], [0.5]]),
    ("log_softmax(0)", lambda: torch.zeros(2).log_softmax(0), [-math.log(2)] * 2),
    ("masked_fill", lambda: _m().masked_fill(torch.tensor([[True, False], [False, True]]), 0.0),
     [[0.0, 2.0], [3.0, 0.0]]),
    ("narrow(0, 1, 1)", lambda: _m().narrow(0, 1, 1), [[3.0, 4.0]]),
    ("narrow(1, 0, 1)", lambda: _m().narrow(1, 0, 1), [[1.0], [3.0]]),
    ("unsqueeze(0) shape", lambda: _v().unsqueeze(0).size(), [1, 4]),
    ("unsqueeze(-1) shape", lambda: _v().unsqueeze(-1).size(), [4, 1]),
    ("squeeze(1) leaves a dimension not of size 1", lambda: _m().squeeze(1).size(), [2, 2]),
    ("squeeze() drops every size-1 dimension",
     lambda: torch.zeros(1, 2, 1).squeeze().size(), [2]),
    ("expand(3, -1)", lambda: torch.tensor([[1, 2]]).expand(3, -1), [[1, 2]] * 3),
    ("expand adds leading dims", lambda: torch.tensor([1, 2]).expand(2, 1, 2).size(), [2, 1, 2]),
    ("flatten(1) shape", lambda: torch.zeros(2, 3, 4).flatten(1).size(), [2, 12]),
    ("flatten(0, 1) shape", lambda: torch.zeros(2, 3, 4).flatten(0, 1).size(), [6, 4]),
    ("unbind(1)", lambda: _m().unbind(1), [[1.0, 3.0], [2.0, 4.0]]),
    ("topk(2)", lambda: torch.tensor([1.0, 3.0, 2.0]).topk(2), [[3.0, 2.0], [1, 2]]),
    ("sort(descending=True)", lambda: torch.tensor([1.0, 3.0, 2.0]).sort(descending=True),
     [[3.0, 2.0, 1.0], [1, 2, 0]]),
    ("gather(1, index)", lambda: _m().gather(1, torch.tensor([[1], [0]])), [[2.0], [3.0]]),
    ("any(dim=1)", lambda: torch.tensor([[True, False], [False, False]]).any(dim=1),
     [True, False]),
    ("norm()", lambda: torch.tensor([3.0, 4.0]).norm(), 5.0),
    ("cumsum(dim=0)", lambda: torch.tensor([1, 2, 3]).cumsum(dim=0), [1, 3, 6]),
    ("add(other, alpha=2)", lambda: torch.tensor([1.0]).add(torch.tensor([3.0]), alpha=2), [7.0]),
    ("div(rounding_mode='floor')", lambda: torch.tensor([-7.0, 7.0]).div(2, rounding_mode="floor"),
     [-4.0, 3.0]),
    ("tril()", lambda: _m().tril(), [[1.0, 0.0], [3.0, 4.0]]),
    ("triu(1)", lambda: _m().triu(1), [[0.0, 2.0], [0.0, 0.0]]),
    ("cumprod(1)", lambda: _m().cumprod(1), [[1.0, 2.0], [3.0, 12.0]]),
    ("round() to even", lambda: torch.tensor([0.5, 1.5, 2.6]).round(), [0.0, 2.0, 3.0]),
    ("clamp_min(2.5)", lambda: _m().clamp_min(2.5), [[2.5, 2.5], [3.0, 4.0]]),
    ("clamp_max(2.5)", lambda: _m().clamp_max(2.5), [[1.0, 2.0], [2.5, 2.5]]),
    ("// floors", lambda: torch.tensor([7, -7]) // 2, [3, -4]),
    ("% takes the divisor's sign", lambda: torch.tensor([7.0, -7.0]) % 3, [1.0, 2.0]),
    ("int // keeps int64", lambda: str((torch.tensor([7]) // 2).dtype), "torch.int64"),
    ("item()", lambda: torch.tensor([2.5]).item(), 2.5),
    ("tolist()", lambda: torch.tensor([[1, 2]]).tolist(), [[1, 2]]),
    ("new_zeros keeps the dtype", lambda: str(torch.zeros(1, dtype=torch.float64).new_zeros(2, 3)
                                              .dtype), "torch.float64"),
    ("new_ones shape", lambda: _v().new_ones((2,)), [1.0, 1.0]),
    ("new_tensor takes self's dtype", lambda: str(_v().new_tensor([1, 2]).dtype), "torch.float32"),
    ("new_full", lambda: torch.zeros(1, dtype=torch.int64).new_full((2,), 7), [7, 7]),
    ("float()", lambda: str(torch.tensor([1]).float().dtype), "torch.float32"),
    ("double()", lambda: str(torch.tensor([1]).double().dtype), "torch.float64"),
    ("long()", lambda: torch.tensor([1.7, -1.7]).long(), [1, -1]),
    ("int()", lambda: str(torch.tensor([1.0]).int().dtype), "torch.int32"),
    ("bool()", lambda: torch.tensor([0.0, 2.0]).bool(), [False, True]),
    ("type()", lambda: torch.tensor([1.0]).type(), "torch.FloatTensor"),
    ("to(torch.float64)", lambda: str(_v().to(torch.float64).dtype), "torch.float64"),
    ("to('cpu', torch.int64)", lambda: _v().to("cpu", torch.int64), [1, 2, 3, 4]),
    ("to(other) takes its dtype", lambda: str(_v().to(torch.zeros(1, dtype=torch.float64)).dtype),
     "torch.float64"),
]


@pytest.mark.parametrize("what, expression, expected", TRAPS + METHODS,
                         ids=[row[0] for row in TRAPS + METHODS])
def test_a_method_does_what_pytorch_documents(what, expression, expected):
    got = _vals(expression())
    if isinstance(expected, str):
        assert got == expected
    else:
        _compare(got, expected)


def _compare(got, expected):
    """Numbers compared to rtol 1e-6; ragged lists (pieces of a split) piece by piece."""
    try:
        want = np.array(expected, dtype=float)
    except ValueError:  # ragged
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            _compare(g, e)
        return
    np.testing.assert_allclose(np.array(got, dtype=float), want, rtol=1e-6)


@pytest.mark.parametrize("expression, dtype", [
    (lambda i, f: i * 0.5, "float32"),
    (lambda i, f: 0.5 + i, "float32"),
    (lambda i, f: i / 2, "float32"),
    (lambda i, f: 2 / (i + 1), "float32"),
    (lambda i, f: i / (i + 1), "float32"),
    (lambda i, f: i - f, "float32"),
    (lambda i, f: f * i, "float32"),
    (lambda i, f: f.double() * i, "float64"),
    (lambda i, f: i * 2, "int64"),
    (lambda i, f: i + i, "int64"),
    (lambda i, f: (i > 1) * 1.5, "float32"),
    (lambda i, f: torch.exp(i), "float32"),
    (lambda i, f: i.sqrt(), "float32"),
    (lambda i, f: i.tanh(), "float32"),
    (lambda i, f: torch.rsqrt(i + 1), "float32"),
    (lambda i, f: torch.abs(i), "int64"),
    (lambda i, f: i.relu(), "int64"),
    (lambda i, f: torch.exp(f.double()), "float64"),
])
def test_integer_tensors_promote_as_in_pytorch(expression, dtype):
    """NumPy makes int64 * 0.5 and int64 / int64 float64; PyTorch the default float32."""
    assert str(expression(torch.arange(4), torch.ones(4)).dtype) == "torch." + dtype


def test_operations_keep_the_front_end_class_and_float32():
    x = torch.randn(3, 4)
    for out in (x + 1.5, x * x, x.exp(), x.sum(dim=0), x[0], x.transpose(0, 1), x.std(),
                torch.cat([x, x]), torch.stack([x, x], dim=1), x.max(1).indices, F.relu(x),
                x.detach(), x.clone(), torch.where(x > 0, x, 0.0), torch.tanh(x)):
        assert type(out) is torch.Tensor
        assert out.dtype in (torch.float32, torch.int64, torch.bool)


@pytest.mark.parametrize("make, dtype", [
    (lambda: torch.tensor([1.0, 2.0]), "float32"),
    (lambda: torch.tensor([1, 2]), "int64"),
    (lambda: torch.tensor([True]), "bool"),
    (lambda: torch.tensor(np.array([1.0])), "float64"),
    (lambda: torch.tensor([1, 2], dtype=torch.float64), "float64"),
    (lambda: torch.Tensor([1, 2]), "float32"),
    (lambda: torch.zeros(2, 3), "float32"),
    (lambda: torch.ones((2,)), "float32"),
    (lambda: torch.empty(2), "float32"),
    (lambda: torch.arange(5), "int64"),
    (lambda: torch.arange(0, 1, 0.5), "float32"),
    (lambda: torch.linspace(0, 1, 3), "float32"),
    (lambda: torch.eye(2), "float32"),
    (lambda: torch.full((2,), 7), "int64"),
    (lambda: torch.full((2,), 1.5), "float32"),
    (lambda: torch.rand(2), "float32"),
    (lambda: torch.randn(2, 2), "float32"),
    (lambda: torch.randint(0, 10, (3,)), "int64"),
    (lambda: torch.randint(10, (3,)), "int64"),
    (lambda: torch.randperm(4), "int64"),
    (lambda: torch.zeros_like(torch.tensor([1, 2])), "int64"),
    (lambda: torch.ones_like(torch.zeros(2), dtype=torch.float64), "float64"),
    (lambda: torch.from_numpy(np.zeros(2, np.float64)), "float64"),
    (lambda: nn.Parameter(torch.zeros(2)), "float32"),
])
def test_a_factory_makes_pytorchs_default_dtype(make, dtype):
    t = make()
    assert type(t) in (torch.Tensor, nn.Parameter)
    assert str(t.dtype) == "torch." + dtype


def test_factory_values_and_shapes():
    assert torch.zeros((2, 3)).size() == (2, 3)
    assert torch.arange(1, 7, 2).tolist() == [1, 3, 5]
    np.testing.assert_allclose(torch.linspace(0, 1, 5).numpy(), [0, 0.25, 0.5, 0.75, 1])
    r = torch.randint(3, 6, (100,))
    assert r.min().item() >= 3 and r.max().item() <= 5
    assert sorted(torch.randperm(5).tolist()) == [0, 1, 2, 3, 4]
    a = np.zeros(3, np.float32)
    torch.from_numpy(a)[1] = 5.0  # from_numpy shares memory
    assert a[1] == 5.0


def test_set_default_dtype_changes_what_floats_make():
    torch.set_default_dtype(torch.float64)
    try:
        assert torch.tensor([1.0]).dtype == torch.float64
        assert torch.zeros(2).dtype == torch.float64
        # layers too, as PyTorch's (dtype=None or left out: the default dtype)
        assert nn.Linear(3, 2).weight.dtype == torch.float64
        assert nn.Conv2d(1, 2, 3, dtype=None).bias.dtype == torch.float64
    finally:
        torch.set_default_dtype(torch.float32)
    assert torch.get_default_dtype() == torch.float32


def test_manual_seed_seeds_random_tensors_weights_dropout_and_sampling():
    def draws():
        torch.manual_seed(7)
        w = nn.Linear(3, 2).weight.detach().numpy().copy()
        mask = F.dropout(torch.ones(20), 0.5, training=True).numpy().copy()
        m = torch.multinomial(torch.tensor([0.2, 0.3, 0.5]), 5, replacement=True).tolist()
        return torch.randn(4).tolist(), torch.rand(2).tolist(), w, mask, m
    first, second = draws(), draws()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    g = torch.Generator().manual_seed(3)
    h = torch.Generator().manual_seed(3)
    assert torch.randn(3, generator=g).tolist() == torch.randn(3, generator=h).tolist()


def test_devices_cpu_works_and_cuda_is_refused_clearly():
    assert torch.device("cpu") == "cpu" and str(torch.device("cpu")) == "cpu"
    assert torch.zeros(1, device="cpu").device == torch.device("cpu")
    assert _v().to("cpu").cpu() is not None
    assert torch.cuda.is_available() is False and torch.backends.mps.is_available() is False
    torch.backends.cudnn.deterministic = True  # (a flag programs set; nothing to do here)
    for call in (lambda: torch.zeros(2, device="cuda"), lambda: _v().to("cuda"),
                 lambda: _v().cuda(), lambda: torch.tensor([1.0], device=torch.device("mps"))):
        with pytest.raises(RuntimeError, match="runs on the CPU"):
            call()


def test_numpy_detach_clone_requires_grad_and_contiguous():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        x.numpy()
    d = x.detach()
    assert type(d) is torch.Tensor and not d.requires_grad and d.numpy() is d.data.numpy()
    c = x.clone()
    assert type(c) is torch.Tensor and c.requires_grad
    y = torch.zeros(2).requires_grad_()
    assert y.requires_grad
    assert x.contiguous() is x and x.is_contiguous()


def test_gradients_flow_and_are_front_end_tensors():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x.max(0).values * 2 + x.std()).backward()
    assert type(x.grad) is torch.Tensor
    # d/dx max = one-hot at index 2; d/dx std = (x - mean) / ((n - 1) std), std = 1
    np.testing.assert_allclose(x.grad.numpy(), [-0.5, 0.0, 2.5], rtol=1e-6)


GRADCHECKED = [
    ("max(1).values", lambda v: torch.Tensor.max(v, 1).values),
    ("min(0, keepdim=True).values", lambda v: torch.Tensor.min(v, 0, True).values),
    ("std(0)", lambda v: torch.Tensor.std(v, 0)),
    ("var()", lambda v: torch.Tensor.var(v)),
    ("norm(dim=1)", lambda v: torch.Tensor.norm(v, dim=1)),
    ("split(3, 1)[1]", lambda v: torch.Tensor.split(v, 3, 1)[1]),
    ("chunk(2)[0]", lambda v: torch.Tensor.chunk(v, 2)[0]),
    ("repeat(2, 1)", lambda v: torch.Tensor.repeat(v, 2, 1)),
    ("expand(2, 3, -1)", lambda v: torch.Tensor.expand(v, 2, 3, -1)),
    ("narrow(1, 1, 2)", lambda v: torch.Tensor.narrow(v, 1, 1, 2)),
    ("transpose(0, 1)", lambda v: torch.Tensor.transpose(v, 0, 1)),
    ("view(-1)", lambda v: torch.Tensor.view(v, -1)),
    ("masked_fill", lambda v: torch.Tensor.masked_fill(v, v > 0, 0.5)),
    ("sum(dim=1, keepdim=True)", lambda v: torch.Tensor.sum(v, dim=1, keepdim=True)),
    ("softmax(dim=0)", lambda v: torch.Tensor.softmax(v, dim=0)),
]


@pytest.mark.parametrize("what, f", GRADCHECKED, ids=[row[0] for row in GRADCHECKED])
def test_a_methods_derivatives_match_finite_differences_to_second_order(what, f):
    x = np.random.default_rng(0).normal(size=(3, 4))
    assert cr.gradcheck(f, x, order=2)


def test_in_place_methods_record_or_refuse():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * 1
    y.masked_fill_(torch.tensor([[True, False], [False, True]]), 0.0)
    y.sum().backward()
    assert y.tolist() == [[0.0, 2.0], [3.0, 0.0]]
    assert x.grad.tolist() == [[0.0, 1.0], [1.0, 0.0]]
    with pytest.raises(RuntimeError, match="clamp"):
        x.clamp_(0, 1)
    w = torch.zeros(3, requires_grad=True)
    with torch.no_grad():
        w.add_(torch.ones(3), alpha=2).mul_(3).clamp_(max=5.0)
    assert w.tolist() == [5.0, 5.0, 5.0] and w.requires_grad


def test_max_dim_sends_the_gradient_to_the_index_it_returns():
    x = torch.tensor([[2.0, 2.0]], requires_grad=True)
    values, idx = x.max(1)
    values.sum().backward()
    assert idx.tolist() == [0]
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 0.0]])


def test_numpy_keywords_keep_numpys_meaning_for_chainrules_own_code():
    x = torch.tensor([[1.0, 2.0], [3.0, 5.0]])
    np.testing.assert_allclose(x.var(axis=0).numpy(), [1.0, 2.25])
    np.testing.assert_allclose(x.sum(axis=1, keepdims=True).numpy(), [[3.0], [8.0]])
    np.testing.assert_allclose(x.max(axis=0).numpy(), [3.0, 5.0])
    assert x.transpose((1, 0)).tolist() == [[1.0, 3.0], [2.0, 5.0]]
    # A layer that calls x.var(axis=...) computes the same on either class.
    bn_cr, bn_t = cr.nn.BatchNorm1d(2), nn.BatchNorm1d(2)
    expected = bn_cr(cr.tensor(x.numpy())).data
    np.testing.assert_allclose(bn_t(x).detach().numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(bn_t.running_var.data, bn_cr.running_var.data, rtol=1e-6)


# ------------------------------------------------------------- mixing classes
def test_mixing_follows_the_most_derived_class():
    t, c = torch.tensor([1.0]), cr.tensor([2.0])
    p = cr.nn.Parameter([3.0])
    assert type(t + c) is torch.Tensor and type(c * t) is torch.Tensor
    assert type(p * t) is torch.Tensor
    assert type(c + p) is cr.Tensor and type(cr.tanh(c)) is cr.Tensor


def test_a_model_adopts_its_parameters_and_returns_front_end_tensors():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(3, 4), nn.Tanh())
            self.head = nn.Linear(4, 2)

        def forward(self, x):
            return self.head(self.body(x))

    net = Net()
    params = list(net.parameters())
    assert all(type(p) is nn.Parameter for p in params)
    assert sum(p.numel() for p in params) == 3 * 4 + 4 + 4 * 2 + 2
    assert net.head.weight.size() == (2, 4) and net.head.weight.dim() == 2
    ids = [id(p) for p in params]
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    assert [id(p) for g in opt.param_groups for p in g["params"]] == ids
    out = net(torch.randn(5, 3))
    assert type(out) is torch.Tensor and out.dtype == torch.float32
    F.cross_entropy(out, torch.tensor([0, 1, 0, 1, 1])).backward()
    assert type(net.head.weight.grad) is torch.Tensor
    seq = nn.Sequential(nn.Linear(2, 2))
    assert all(type(p) is nn.Parameter for p in seq.parameters())
    # A chainrule.nn model given a front-end tensor also returns one.
    assert type(cr.nn.Linear(3, 2)(torch.zeros(1, 3))) is torch.Tensor


# ------------------------------------------------------------------ functions
def test_functions_take_pytorchs_argument_names():
    m = _m()
    assert torch.max(m, 1).indices.tolist() == [1, 1]
    assert torch.max(m).item() == 4.0
    assert torch.sum(m, dim=1, keepdim=True).size() == (2, 1)
    assert torch.mean(m, dim=0).tolist() == [2.0, 3.0]
    assert torch.argmax(m, dim=0).tolist() == [1, 1]
    assert torch.cat([m, m], dim=1).size() == (2, 4)
    assert torch.stack([m, m]).size() == (2, 2, 2)
    assert torch.tril(torch.ones(3, 3)).tolist() == [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    assert torch.triu(torch.ones(2, 2), diagonal=1).tolist() == [[0, 1], [0, 0]]
    assert torch.topk(torch.tensor([1.0, 3.0, 2.0]), 1).indices.tolist() == [1]
    np.testing.assert_allclose(torch.softmax(torch.zeros(4), dim=0).numpy(), [0.25] * 4)
    np.testing.assert_allclose(torch.log_softmax(torch.zeros(2), dim=-1).numpy(),
                               [-math.log(2)] * 2)
    assert torch.matmul(m, m).tolist() == [[7, 10], [15, 22]]
    assert torch.bmm(m.view(1, 2, 2), m.view(1, 2, 2)).size() == (1, 2, 2)
    assert torch.einsum("ij,jk->ik", m, m).tolist() == [[7, 10], [15, 22]]
    assert torch.clamp(m, min=2, max=3).tolist() == [[2, 2], [3, 3]]
    assert torch.gather(m, 1, torch.tensor([[0], [1]])).tolist() == [[1.0], [4.0]]
    assert torch.scatter(torch.zeros(3), 0, torch.tensor([1]), torch.tensor([5.0])).tolist() \
        == [0, 5, 0]
    assert torch.where(m > 2, m, torch.zeros_like(m)).tolist() == [[0, 0], [3, 4]]
    assert torch.multinomial(torch.tensor([0.0, 1.0]), 3, replacement=True).tolist() == [1] * 3
    assert torch.is_tensor(m) and not torch.is_tensor([1])
    assert torch.numel(m) == 4 and torch.equal(m, m.clone())
    assert torch.allclose(torch.exp(torch.log(m)), m)


def test_grad_modes():
    x = torch.ones(2, requires_grad=True)
    with torch.no_grad():
        assert not (x * 2).requires_grad
    with torch.inference_mode():
        assert not (x * 2).requires_grad
    with torch.set_grad_enabled(False):
        with torch.enable_grad():
            assert (x * 2).requires_grad
    assert torch.is_grad_enabled()


def test_autograd_grad_leaves_dot_grad_alone_and_goes_to_second_order():
    x = torch.tensor([2.0], requires_grad=True)
    y = x**3
    (g,) = torch.autograd.grad(y, x, create_graph=True)
    assert g.tolist() == [12.0] and x.grad is None and type(g) is torch.Tensor
    (h,) = torch.autograd.grad(g, x)
    assert h.tolist() == [12.0]  # 6 x
    z = torch.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused"):
        torch.autograd.grad((x * 2).sum(), [x, z])
    assert torch.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)[1] is None


def test_func_transforms():
    x = torch.tensor([1.0, 2.0])
    np.testing.assert_allclose(torch.func.grad(lambda v: (v**2).sum())(x).data, [2.0, 4.0])
    np.testing.assert_allclose(torch.func.vmap(lambda v: v.sum())(torch.ones(3, 2)).data,
                               [2.0] * 3)
    # Inside a transform the arguments are front-end tensors too (PyTorch's max(dim)).
    rows = torch.func.vmap(lambda v: v.max(0).values)(torch.tensor([[1.0, 5.0], [7.0, 1.0]]))
    assert rows.tolist() == [5.0, 7.0]
    np.testing.assert_allclose(torch.func.jacrev(lambda v: v * 3)(x).data, 3 * np.eye(2))
    np.testing.assert_allclose(torch.func.jacfwd(lambda v: v * 3)(x).data, 3 * np.eye(2))
    np.testing.assert_allclose(torch.func.hessian(lambda v: (v**3).sum())(x).data,
                               np.diag([6.0, 12.0]))
    g, value = torch.func.grad_and_value(lambda v: (v**2).sum())(x)
    assert float(value) == 5.0 and g.tolist() == [2.0, 4.0]


# ----------------------------------------------------------------- save, load
def test_save_and_load_a_state_dict_as_safetensors(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))
    path = tmp_path / "model.pt"
    torch.save(model.state_dict(), path)
    assert cr.io.load(path).keys() == model.state_dict().keys()  # a plain safetensors file
    other = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))
    loaded = torch.load(path)
    assert all(type(v) is torch.Tensor for v in loaded.values())
    other.load_state_dict(loaded)
    x = torch.randn(4, 3)
    np.testing.assert_array_equal(model(x).detach().numpy(), other(x).detach().numpy())


def test_state_dicts_move_between_front_end_and_chainrule_models_and_keep_ties(tmp_path):
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(5, 3)
            self.head = nn.Linear(3, 5, bias=False)
            self.head.weight = self.emb.weight

    front_model = Tied()
    plain = cr.nn.Sequential(cr.nn.Linear(3, 2))
    plain.load_state_dict(nn.Sequential(nn.Linear(3, 2)).state_dict())
    nn.Sequential(nn.Linear(3, 2)).load_state_dict(plain.state_dict())
    torch.save(front_model.state_dict(), tmp_path / "tied.pt")
    back = Tied()
    back.load_state_dict(torch.load(tmp_path / "tied.pt"))
    assert back.head.weight is back.emb.weight
    np.testing.assert_array_equal(back.emb.weight.data, front_model.emb.weight.data)
    # Written once, its second name listed as tied (chainrule.io's format).
    assert "head.weight" in cr.io.load_metadata(tmp_path / "tied.pt")["chainrule.tied"]


def test_save_and_load_nested_objects(tmp_path):
    model = nn.Linear(2, 2)
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    F.mse_loss(model(torch.ones(1, 2)), torch.zeros(1, 2)).backward()
    opt.step()
    obj = {"model": model.state_dict(), "optimizer": opt.state_dict(), "step": 3,
           "pair": (1, "a")}
    torch.save(obj, tmp_path / "ckpt.pt")
    back = torch.load(tmp_path / "ckpt.pt")
    assert back["step"] == 3 and back["pair"] == (1, "a")
    np.testing.assert_array_equal(back["model"]["weight"].numpy(), model.weight.data)
    restored = torch.optim.Adam(nn.Linear(2, 2).parameters(), lr=0.1)
    restored.load_state_dict(back["optimizer"])


def test_load_refuses_a_pickle_file_saying_so(tmp_path):
    path = tmp_path / "model.pt"
    path.write_bytes(pickle.dumps({"w": [1.0]}, protocol=4))
    with pytest.raises(ValueError, match="pickle file.*never unpickles"):
        torch.load(path)
    zipped = tmp_path / "zipped.pt"
    zipped.write_bytes(b"PK\x03\x04" + b"\0" * 40)
    with pytest.raises(ValueError, match="pickle file"):
        torch.load(zipped)


# ---------------------------------------------------------------------- data
def test_tensor_dataset_loader_and_random_split():
    x, y = torch.arange(10).float().view(10, 1), torch.arange(10)
    ds = torch.utils.data.TensorDataset(x, y)
    assert len(ds) == 10 and ds[3][1].item() == 3
    batches = list(torch.utils.data.DataLoader(ds, batch_size=4))
    assert [b[0].size(0) for b in batches] == [4, 4, 2]
    assert type(batches[0][0]) is torch.Tensor and batches[0][1].dtype == torch.int64

    def order():
        torch.manual_seed(1)
        loader = torch.utils.data.DataLoader(ds, batch_size=5, shuffle=True)
        return [b[1].tolist() for b in loader]
    first = order()
    assert first == order() and sorted(sum(first, [])) == list(range(10))
    a, b = torch.utils.data.random_split(ds, [0.7, 0.3])
    assert (len(a), len(b)) == (7, 3)
    assert sorted([a[i][1].item() for i in range(7)] + [b[i][1].item() for i in range(3)]) \
        == list(range(10))
    # PyTorch's Subset keeps its indices as given; random_split's are lists of ints.
    assert type(a.indices) is list and all(type(i) is int for i in a.indices)
    assert sorted(a.indices + b.indices) == list(range(10))
    assert [a[i][1].item() for i in range(7)] == a.indices
    assert [int(s[1]) for s in torch.utils.data.Subset(ds, [4, 2])] == [4, 2]
    assert len(torch.utils.data.DataLoader(a, batch_size=3)) == 3


def test_a_dataset_subclass_is_batched_by_stacking():
    class Squares(torch.utils.data.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return torch.tensor([float(i)]), i * i

    (x, y), *_ = torch.utils.data.DataLoader(Squares(), batch_size=3)
    assert x.size() == (3, 1) and y.tolist() == [0, 1, 4]


# ----------------------------------------------------------------- packaging
def test_import_chainrule_does_not_import_chainrule_torch():
    done = subprocess.run(
        [sys.executable, "-c", "import sys, chainrule as cr; a = 'chainrule.torch' in "
         "sys.modules; t = cr.torch; print(a, t.__name__, 'torch' in dir(cr))"],
        capture_output=True, text=True)
    assert done.stdout.split() == ["False", "chainrule.torch", "True"], done.stderr


def test_every_public_name_of_chainrule_torch_is_on_its_reference_page():
    text = (ROOT / "docs" / "reference" / "torch.md").read_text()
    missing = [name for name in torch.__all__ if f"`{name}`" not in text
               and f"torch.{name}" not in text]
    assert not missing, f"add these to docs/reference/torch.md: {missing}"


# ------------------------------------------- in-place index methods, linalg, triangles
def test_in_place_index_methods_write_and_differentiate():
    w = torch.tensor(np.arange(12.0).reshape(3, 4) / 10, requires_grad=True)
    y = w * 1
    out = y.scatter_add_(1, torch.tensor([[0, 0], [1, 1], [2, 3]]), torch.ones(3, 2))
    assert out is y
    y.index_add_(0, torch.tensor([0, 0]), torch.ones(2, 4), alpha=2)
    y.index_fill_(1, torch.tensor([3]), 0.0)
    added = np.array([[6.0, 4, 4, 0], [0, 2, 0, 0], [0, 0, 1, 1]])
    want = w.detach().numpy() + added
    want[:, 3] = 0
    np.testing.assert_allclose(y.detach().numpy(), want)
    (y * y).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * want)
    with pytest.raises(RuntimeError, match="leaf"):
        w.scatter_(1, torch.tensor([[0]]), 1.0)
    z = torch.zeros(3, 4).scatter_(1, torch.tensor([[0], [1], [2]]), 1.0)
    np.testing.assert_array_equal(z.numpy(), np.eye(3, 4))


def test_index_fill_and_index_copy_follow_pytorch():
    v = torch.tensor(2.0, requires_grad=True)
    z = torch.zeros(2, 3).index_fill(1, torch.tensor([0, 2]), v)
    np.testing.assert_array_equal(z.detach().numpy(), [[2, 0, 2], [2, 0, 2]])
    z.sum().backward()
    assert float(v.grad) == 4.0
    c = torch.arange(6.0).view(2, 3).index_copy(1, torch.tensor([2, 0]),
                                               torch.tensor([[10.0, 20.0], [30.0, 40.0]]))
    np.testing.assert_array_equal(c.numpy(), [[20, 1, 10], [40, 4, 30]])
    with pytest.raises(IndexError, match="1-d"):
        torch.zeros(2, 3).index_fill(1, torch.tensor([[0]]), 1.0)


def test_tril_and_triu_indices_are_numpys_in_row_major_order():
    t = torch.tril_indices(3, 4, -1)
    assert t.dtype == torch.int64 and t.shape == (2, 3)
    np.testing.assert_array_equal(t.numpy(), np.stack(np.tril_indices(3, -1, 4)))
    np.testing.assert_array_equal(torch.triu_indices(2, 3, 1).numpy(), [[0, 0, 1], [1, 2, 2]])


def test_torch_linalg_takes_pytorchs_arguments_and_keeps_the_front_end_class():
    a = torch.tensor([[3.0, 1.0], [1.0, 2.0]], requires_grad=True)
    n = torch.linalg.norm(a, dim=1, keepdim=True)
    assert isinstance(n, torch.Tensor) and n.shape == (2, 1)
    ev = torch.linalg.eigh(a)
    np.testing.assert_allclose(ev.eigenvalues.detach().numpy(),
                               np.linalg.eigvalsh(a.detach().numpy()))
    x = torch.linalg.solve_triangular(torch.tensor([[2.0, 1.0], [0.0, 4.0]]),
                                      torch.tensor([[4.0], [8.0]]), upper=True)
    np.testing.assert_allclose(x.numpy(), [[1.0], [2.0]])
    torch.linalg.det(a).backward()
    np.testing.assert_allclose(a.grad.numpy(), np.linalg.inv(a.detach().numpy()).T * 5.0)


def test_clip_grad_norm_returns_the_norm_as_a_tensor_as_pytorch_does():
    # torch.nn.utils was chainrule.nn.utils (shadowed by the star import of the layers),
    # whose clip_grad_norm_ returns a Python float: `norm.item()` failed.
    assert torch.nn.utils.__name__ == "chainrule.torch.nn.utils"
    model = torch.nn.Linear(3, 2)
    model(torch.ones(4, 3)).sum().backward()
    want = math.sqrt(sum(float((p.grad.data.astype(np.float64) ** 2).sum())
                         for p in model.parameters()))
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    assert isinstance(norm, torch.Tensor) and norm.dim() == 0 and norm.dtype == torch.float32
    assert norm.item() == pytest.approx(want, rel=1e-6)
    clipped = math.sqrt(sum(float((p.grad.data.astype(np.float64) ** 2).sum())
                            for p in model.parameters()))
    assert clipped == pytest.approx(1.0, rel=1e-5)


def test_in_place_elementwise_methods_write_and_differentiate():
    # x.<op>_() is x.<op>() written into x; backward through such a write used to crash
    # when two tensor objects of one node met in backward's heap (the tie compared them).
    rng = np.random.default_rng(0)
    x0, y0 = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)) + 0.2
    for name, args, f in [
        ("lerp", (torch.tensor(y0), 0.3), lambda z: z + 0.3 * (y0 - z)),
        ("exp", (), np.exp), ("clamp_min", (0.1,), lambda z: np.maximum(z, 0.1)),
        ("addcmul", (torch.tensor(y0), torch.tensor(y0)), lambda z: z + y0 * y0),
        ("pow", (2,), lambda z: z**2),
    ]:
        w = torch.tensor(x0, requires_grad=True)
        z = w * 1.5
        assert getattr(z, name + "_")(*args) is z
        np.testing.assert_allclose(z.detach().numpy(), f(x0 * 1.5), rtol=1e-12)
        (z * z).sum().backward()
        eps = 1e-6
        numeric = (np.sum(f((x0 + eps) * 1.5) ** 2 - f((x0 - eps) * 1.5) ** 2) / (2 * eps))
        assert np.sum(w.grad.numpy()) == pytest.approx(numeric, rel=1e-5)


def test_method_forms_of_the_wider_namespace():
    x = torch.tensor(np.arange(12.0).reshape(3, 4) - 5)
    np.testing.assert_array_equal(x.tile((2, 1)).numpy(), np.tile(x.numpy(), (2, 1)))
    np.testing.assert_array_equal(x.rot90().numpy(), np.rot90(x.numpy()))
    assert x.t().stride() == (1, 4)
    assert x.trace().item() == np.trace(x.numpy())
    np.testing.assert_allclose(x.atan2(x + 1).numpy(), np.arctan2(x.numpy(), x.numpy() + 1))


# ------------------------------------------------------- custom autograd functions
class _Legendre3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 0.5 * (5 * x**3 - 3 * x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * x**2 - 1)


class _Reverse(torch.autograd.Function):  # PyTorch 2's form: setup_context
    @staticmethod
    def forward(x, alpha):
        return x * 1.0

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.alpha = inputs[1]

    @staticmethod
    def backward(ctx, g):
        return -ctx.alpha * g, None


def test_custom_function_uses_its_backward_at_every_order():
    x0 = np.array([0.3, -1.2, 2.0])
    x = torch.tensor(x0, requires_grad=True)
    y = _Legendre3.apply(x)
    assert isinstance(y, torch.Tensor)
    np.testing.assert_allclose(y.detach().numpy(), 0.5 * (5 * x0**3 - 3 * x0))
    (g,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 1.5 * (5 * x0**2 - 1))
    (h,) = torch.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), 15 * x0)
    assert torch.autograd.gradcheck(_Legendre3.apply, (torch.tensor(x0, requires_grad=True),))
    assert torch.autograd.gradgradcheck(_Legendre3.apply, (torch.tensor(x0, requires_grad=True),))


def test_custom_function_with_setup_context_and_a_non_tensor_argument():
    x = torch.tensor([1.0, -2.0], requires_grad=True)
    (_Reverse.apply(x * 3, 0.5) ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), -0.5 * 2 * 3 * x.detach().numpy() * 3)
    with torch.no_grad():  # not recorded: the forward's own result
        assert not _Reverse.apply(x, 0.5).requires_grad


def test_a_wrong_custom_backward_fails_gradcheck():
    class Wrong(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, g):
            return g  # should be 2 x g

    x = torch.tensor([0.5, 1.5], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False) is False
    with pytest.raises(torch.autograd.GradcheckError):
        torch.autograd.gradcheck(Wrong.apply, (x,))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # (0 / 0, on purpose)
def test_set_detect_anomaly_switches_anomaly_mode():
    x = torch.tensor([1.0, 0.0], requires_grad=True)
    with torch.autograd.set_detect_anomaly(True):
        with pytest.raises(FloatingPointError):
            (x / x).sum().backward()
    (x * 2).sum().backward()  # off again


# ------------------------------------------------------- torch.utils.data
def test_data_loader_collates_dicts_strings_and_numbers_as_pytorch():
    from chainrule.torch.utils.data import DataLoader, Dataset

    class Samples(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return {"x": torch.tensor([float(i), 2.0 * i]), "y": i % 3, "name": f"s{i}",
                    "w": 0.5 * i}

    batches = list(DataLoader(Samples(), batch_size=2))
    assert len(batches) == 3
    first = batches[0]
    assert first["x"].tolist() == [[0.0, 0.0], [1.0, 2.0]]
    assert first["y"].tolist() == [0, 1] and first["y"].dtype == torch.int64
    assert first["name"] == ["s0", "s1"] and first["w"].dtype == torch.float64
    assert batches[-1]["y"].tolist() == [1]


def test_data_loader_takes_collate_fn_samplers_and_iterable_datasets():
    from chainrule.torch.utils.data import (
        BatchSampler,
        ConcatDataset,
        DataLoader,
        IterableDataset,
        SequentialSampler,
        SubsetRandomSampler,
        TensorDataset,
        WeightedRandomSampler,
    )

    def pad(batch):
        width = max(len(s) for s in batch)
        return torch.stack([torch.cat([s, torch.zeros(width - len(s), dtype=torch.long)])
                            for s in batch])

    seqs = [torch.arange(n + 1) for n in range(4)]
    assert [b.tolist() for b in DataLoader(seqs, batch_size=2, collate_fn=pad)] == [
        [[0, 0], [0, 1]], [[0, 1, 2, 0], [0, 1, 2, 3]]]
    both = ConcatDataset([TensorDataset(torch.arange(3.0)),
                          TensorDataset(torch.arange(10.0, 12.0))])
    assert len(both) == 5 and both[4][0].item() == 11.0
    assert [b[0].tolist() for b in DataLoader(both, batch_size=4)] == [[0, 1, 2, 10], [11]]

    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(5))

    assert [b.tolist() for b in DataLoader(Stream(), batch_size=2)] == [[0, 1], [2, 3], [4]]
    assert list(BatchSampler(SequentialSampler(range(7)), 3, drop_last=True)) == [
        [0, 1, 2], [3, 4, 5]]
    torch.manual_seed(0)
    drawn = list(WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 200))
    assert set(drawn) == {1, 3} and 100 < drawn.count(3) < 190
    loader = DataLoader(TensorDataset(torch.arange(10)), batch_size=4,
                        sampler=SubsetRandomSampler([1, 3, 5, 7, 9]))
    got = [b[0].tolist() for b in loader]
    assert sorted(sum(got, [])) == [1, 3, 5, 7, 9] and [len(g) for g in got] == [4, 1]
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(both, sampler=SequentialSampler(both), shuffle=True)


def test_transformer_has_pytorchs_structure_and_mask():
    model = torch.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2,
                                 num_decoder_layers=1, dim_feedforward=16, dropout=0.0,
                                 batch_first=True)
    keys = set(model.state_dict())
    assert {"encoder.layers.1.self_attn.in_proj_weight", "encoder.norm.weight",
            "decoder.layers.0.multihead_attn.out_proj.bias", "decoder.norm.bias"} <= keys
    assert not any(k.startswith("decoder.layers.1") for k in keys)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(3)
    np.testing.assert_array_equal(mask.numpy(), [[0, -np.inf, -np.inf], [0, 0, -np.inf],
                                                 [0, 0, 0]])
    src, tgt = torch.randn(2, 5, 8), torch.randn(2, 3, 8)
    out = model(src, tgt, tgt_mask=mask)
    assert tuple(out.shape) == (2, 3, 8)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    # a causal mask: the first target position does not depend on the later ones
    tgt2 = tgt.clone()
    tgt2[:, 2] += 1.0
    np.testing.assert_allclose(model(src, tgt2, tgt_mask=mask)[:, 0].detach().numpy(),
                               out[:, 0].detach().numpy(), rtol=1e-5, atol=1e-6)


def test_pad_sequence_pads_and_differentiates():
    from chainrule.torch.nn.utils.rnn import pad_sequence, unpad_sequence

    seqs = [torch.tensor(np.arange(n * 2.0).reshape(n, 2), requires_grad=True)
            for n in (2, 3, 1)]
    p = pad_sequence(seqs, batch_first=True, padding_value=-1.0)
    assert tuple(p.shape) == (3, 3, 2)
    np.testing.assert_array_equal(p[2].detach().numpy(), [[0, 1], [-1, -1], [-1, -1]])
    assert tuple(pad_sequence(seqs).shape) == (3, 3, 2)
    left = pad_sequence(seqs, batch_first=True, padding_side="left")
    np.testing.assert_array_equal(left[2, 2].detach().numpy(), [0, 1])
    (p * p).sum().backward()
    np.testing.assert_allclose(seqs[1].grad.numpy(), 2 * seqs[1].detach().numpy())
    back = unpad_sequence(p, [2, 3, 1], batch_first=True)
    np.testing.assert_array_equal(back[0].detach().numpy(), seqs[0].detach().numpy())
    with pytest.raises(ValueError, match="decreasing order"):  # (PyTorch's default)
        torch.nn.utils.rnn.pack_padded_sequence(p, [2, 3, 1], batch_first=True)


def test_linalg_cross_vecdot_matmul():
    a = torch.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    b = torch.tensor(np.ones((2, 3)))
    np.testing.assert_array_equal(torch.linalg.cross(a, b).detach().numpy(),
                                  np.cross(np.arange(6.0).reshape(2, 3), np.ones((2, 3))))
    np.testing.assert_array_equal(torch.linalg.vecdot(a, b).detach().numpy(), [3.0, 12.0])
    torch.linalg.matmul(a, b.T).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.full((2, 3), 2.0))


def test_in_place_fills_and_shape_changes():
    torch.manual_seed(0)
    x = torch.zeros(200, 50)
    assert set(np.unique(x.bernoulli_(0.25).numpy())) <= {0.0, 1.0}
    assert 0.2 < float(x.mean()) < 0.3
    r = x.random_(2, 5).numpy()
    assert r.min() >= 2 and r.max() <= 4 and r.dtype == np.float32
    assert float(x.exponential_(2.0).mean()) == pytest.approx(0.5, rel=0.1)
    y = torch.zeros(3, 3)
    assert y.fill_diagonal_(2.0).numpy().tolist() == (2 * np.eye(3)).tolist()
    z = torch.ones(1, 3)
    assert tuple(z.squeeze_().shape) == (3,) and tuple(z.unsqueeze_(1).shape) == (3, 1)
    assert tuple(z.t_().shape) == (1, 3)
    w = torch.ones(2, requires_grad=True)
    h = w * 2
    assert h.detach_() is h and not h.requires_grad and h.grad_fn is None
    with pytest.raises(RuntimeError, match="out-of-place form"):
        (w * 3).unsqueeze_(0)


def test_autograd_functional_follows_pytorchs_conventions():
    from chainrule.torch.autograd.functional import hessian, hvp, jacobian, jvp, vjp

    x0 = np.array([0.3, -0.5, 1.1])
    y0 = np.arange(6.0).reshape(2, 3) / 5
    x, y = torch.tensor(x0), torch.tensor(y0)
    jac = jacobian(lambda a: (a**3).sin(), x)
    assert isinstance(jac, torch.Tensor)
    np.testing.assert_allclose(jac.numpy(), np.diag(np.cos(x0**3) * 3 * x0**2))
    ja, jb = jacobian(lambda a, b: (a * b).sum(1), (x, y))
    assert tuple(ja.shape) == (2, 3) and tuple(jb.shape) == (2, 2, 3)
    np.testing.assert_allclose(ja.numpy(), y0)
    (j_sin, j_sum) = jacobian(lambda a: (a.sin(), a.cos().sum()), x)
    np.testing.assert_allclose(j_sum.numpy(), -np.sin(x0))
    np.testing.assert_allclose(hessian(lambda a: (a**3).sum(), x).numpy(), np.diag(6 * x0))
    h = hessian(lambda a, b: (a * a).sum() * b.sum(), (x, y))
    assert len(h) == 2 and tuple(h[0][1].shape) == (3, 2, 3)
    out, g = vjp(lambda a: (a**2).sum(), x)
    np.testing.assert_allclose(g.numpy(), 2 * x0)
    out, t = jvp(lambda a: a**2, x, torch.ones(3, dtype=torch.float64))
    np.testing.assert_allclose(t.numpy(), 2 * x0)
    out, hv = hvp(lambda a: (a**3).sum(), x, torch.ones(3, dtype=torch.float64))
    np.testing.assert_allclose(hv.numpy(), 6 * x0)


def test_gradcheck_weighs_every_output_element():
    # A backward that swaps the elements' gradients passes a check of the sum of the
    # outputs (all ones go in, all ones come out); weighing the outputs catches it.
    class Swapped(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            return g.flip(0)

    x = torch.tensor([0.5, 1.5], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(Swapped.apply, (x,), raise_exception=False) is False


def test_data_is_a_tensor_sharing_the_buffer_outside_the_graph():
    # PyTorch's `.data`: the idioms of hand-written training loops and weight init.
    layer = nn.Linear(3, 2)
    x = torch.randn(4, 3)
    out = layer(x)
    out.pow(2).sum().backward()
    w0 = layer.weight.detach().clone()
    for p in layer.parameters():
        p.data.add_(-0.1 * p.grad)  # allowed on a leaf requiring grad: unrecorded
    np.testing.assert_allclose(layer.weight.numpy(force=True),
                               (w0 - 0.1 * layer.weight.grad).numpy(), rtol=1e-6)
    d = layer.weight.data
    assert type(d) is torch.Tensor and not d.requires_grad and d.grad_fn is None
    assert d.numpy() is layer.weight.numpy(force=True)  # the same buffer
    # out.data.max(1)[1]: PyTorch's max over a dimension (values, indices)
    assert torch.equal(out.data.max(1)[1], out.detach().argmax(1))
    layer.bias.data.zero_()
    assert torch.equal(layer.bias.detach(), torch.zeros(2))
    layer.weight.grad.data.clamp_(-0.01, 0.01)
    assert float(layer.weight.grad.abs().max()) <= 0.01
    layer.weight.data = torch.ones(5, 3)  # replaced, shape and all
    assert layer.weight.shape == (5, 3) and layer.weight.requires_grad


def test_a_layer_made_on_its_own_has_front_end_parameters():
    layer = nn.Linear(3, 2)
    assert isinstance(layer, cr.nn.Linear) and type(layer).__name__ == "Linear"
    assert isinstance(layer.weight, nn.Parameter) and layer.weight.numel() == 6
    bn = nn.BatchNorm1d(3)
    assert type(bn.running_mean) is torch.Tensor and bn.running_mean.numel() == 3
    lazy = nn.LazyLinear(4)
    lazy(torch.randn(2, 5))
    assert type(lazy) is nn.Linear and lazy.weight.size() == (4, 5)


def test_accelerator_says_none_and_data_parallel_is_the_module_on_the_cpu():
    assert not torch.accelerator.is_available() and torch.accelerator.device_count() == 0
    assert torch.accelerator.current_accelerator() is None
    with pytest.raises(RuntimeError, match="none is available"):
        torch.accelerator.current_device_index()
    layer = nn.Linear(2, 3)
    wrapped = nn.DataParallel(layer)
    x = torch.randn(4, 2)
    assert wrapped.module is layer and torch.equal(wrapped(x), layer(x))
    assert list(wrapped.state_dict()) == ["module.weight", "module.bias"]
    assert nn.DataParallel(layer, device_ids=[0]).device_ids == []  # (no GPU: ignored)
    with pytest.raises(RuntimeError, match="chainrule.distributed"):
        nn.parallel.DistributedDataParallel(layer)


_PYTORCH_PROGRAM = '''
import sys
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.backends.cudnn as cudnn
from torch.utils.data import DataLoader, TensorDataset

cudnn.benchmark = True
torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
x = torch.randn(64, 3)
y = x @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.3
fc = nn.Linear(3, 1).to(device)
losses = []
for epoch in range(30):
    for xb, yb in DataLoader(TensorDataset(x, y), batch_size=16):
        fc.zero_grad()
        loss = F.smooth_l1_loss(fc(xb), yb)
        loss.backward()
        for param in fc.parameters():
            param.data.add_(-0.1 * param.grad)
    losses.append(loss.item())
print(sys.argv[1:], type(fc.weight).__module__, losses[0] > 10 * losses[-1])
'''


def test_a_pytorch_program_runs_unchanged_under_python_m_chainrule_torch(tmp_path):
    program = tmp_path / "train.py"
    program.write_text(_PYTORCH_PROGRAM)
    done = subprocess.run([sys.executable, "-m", "chainrule.torch", str(program), "--lr", "1"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["['--lr',", "'1']", "chainrule.torch.nn.modules", "True"]
    (tmp_path / "tb.py").write_text("import torch.utils.tensorboard\n")
    done = subprocess.run([sys.executable, "-m", "chainrule.torch", str(tmp_path / "tb.py")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and \
        "chainrule.torch has no 'chainrule.torch.utils.tensorboard'" in done.stderr


def test_a_zero_dim_tensor_promotes_like_a_number():
    # PyTorch's rule (NumPy widens instead): a 0-d tensor of the same or a lower kind
    # takes the dimensioned tensor's dtype.
    x = torch.ones(3)
    half = torch.tensor(0.5, dtype=torch.float64)
    assert (x * half).dtype == torch.float32 and (half + x).dtype == torch.float32
    assert torch.maximum(x, half).dtype == torch.float32
    assert torch.where(x > 0, x, half).dtype == torch.float32
    i = torch.ones(3, dtype=torch.int32)
    assert (i + torch.tensor(5)).dtype == torch.int32
    assert (i * torch.tensor(2.5, dtype=torch.float64)).dtype == torch.float64  # higher kind
    assert (torch.ones(2, dtype=torch.bool) + torch.tensor(3)).dtype == torch.int64
    assert (torch.ones(2, 2, dtype=torch.float64) * torch.tensor(2.0)).dtype == torch.float64


def test_layers_take_pytorchs_device_and_dtype_arguments():
    class Layer(nn.Linear):  # mnist_forward_forward's subclass passes them positionally
        def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
            super().__init__(in_features, out_features, bias, device, dtype)

    assert Layer(3, 2).weight.dtype == torch.float32
    assert nn.LSTM(3, 4, device="cpu").weight_ih_l0.dtype == torch.float32
    assert nn.BatchNorm2d(3, device=torch.device("cpu")).running_mean.dtype == torch.float32
    with pytest.raises(RuntimeError, match="CPU"):
        nn.Embedding(3, 2, device="cuda")


def test_sequential_add_module_and_named_attributes_run_in_order():
    from collections import OrderedDict

    seq = nn.Sequential()
    seq.add_module("0", nn.Linear(2, 3))
    seq.add_module("act", nn.ReLU())
    seq.last = nn.Linear(3, 1)  # a module set as an attribute joins the sequence
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "last.weight", "last.bias"]
    assert seq(torch.ones(4, 2)).shape == (4, 1) and isinstance(seq.act, nn.ReLU)
    named = nn.Sequential(OrderedDict(conv=nn.Conv2d(1, 1, 1)))
    assert isinstance(named.conv, nn.Conv2d)


def test_creation_takes_size_keyword_and_repeat_gives_a_writable_copy():
    assert torch.zeros(size=(2, 3)).shape == (2, 3) and torch.empty(size=(2,)).shape == (2,)
    assert torch.randn(size=(3,)).shape == (3,)
    r = torch.randint(5, size=(50,))
    assert r.shape == (50,) and 0 <= int(r.min()) and int(r.max()) < 5
    assert torch.randint(2, 5, size=(40,)).min().item() >= 2
    with pytest.raises(TypeError, match="twice"):
        torch.zeros(2, size=(2,))
    style = torch.ones(3, 2, 2).repeat(2, 1, 1, 1)  # fast_neural_style's normalize_batch
    style.div_(2.0)
    assert style.shape == (2, 3, 2, 2) and style.sum().item() == 12.0
    assert torch.ones(2).tile(2).tolist() == [1.0] * 4 and not torch.ones(1).is_xpu


def test_save_and_load_through_file_objects_and_whole_modules_refused(tmp_path):
    import io

    model = nn.Linear(2, 2)
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    assert sorted(torch.load(buffer, weights_only=True)) == ["bias", "weight"]
    with open(tmp_path / "ck.pt", "wb") as f:
        torch.save({"epoch": 3, "w": torch.ones(2)}, f)
    with open(tmp_path / "ck.pt", "rb") as f:
        back = torch.load(f)
    assert back["epoch"] == 3 and back["w"].tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match="state_dict"):
        torch.save(model, tmp_path / "m.pt")
    with torch.serialization.safe_globals([nn.Linear]):
        pass


def test_state_dict_tensors_share_storage_and_nn_modules_paths_exist():
    import copy

    model = nn.Sequential(nn.Linear(2, 2))
    state = model.state_dict()
    kept = copy.deepcopy(state)
    with torch.no_grad():
        model[0].weight.add_(1.0)
    assert torch.equal(state["0.weight"], model[0].weight)  # shared, as in PyTorch
    assert not torch.equal(kept["0.weight"], model[0].weight)
    from chainrule.torch.nn.modules.batchnorm import _BatchNorm
    from chainrule.torch.nn.modules.utils import _pair

    assert isinstance(nn.BatchNorm2d(2), _BatchNorm) and _pair(3) == (3, 3)
    assert nn.modules.rnn.LSTM is nn.LSTM and nn.modules.loss._Loss is not None


def test_sparse_tensors_stored_dense():
    idx = torch.tensor([[0, 1, 1, 1], [2, 0, 2, 2]])
    values = torch.tensor([3.0, 4.0, 5.0, 1.0], requires_grad=True)
    s = torch.sparse_coo_tensor(idx, values, (2, 3))
    assert s.tolist() == [[0, 0, 3], [4, 0, 6]]  # repeated coordinates add
    torch.sparse.mm(s, torch.ones(3, 2)).sum().backward()
    assert values.grad.tolist() == [2.0, 2.0, 2.0, 2.0]
    assert s.to_sparse() is s and s.indices().tolist() == [[0, 1, 1], [2, 0, 2]]
    with pytest.raises(NotImplementedError, match="ONNX"):
        torch.onnx.export(nn.Linear(1, 1), torch.ones(1, 1), "m.onnx")


def test_a_saved_numpy_array_loads_as_one():
    import io

    buffer = io.BytesIO()
    torch.save({"data": np.arange(3.0), "w": torch.ones(1), "step": 2}, buffer)
    buffer.seek(0)
    back = torch.load(buffer)
    assert type(back["data"]) is np.ndarray and type(back["w"]) is torch.Tensor


def test_tensors_print_in_pytorchs_layout():
    # The expected strings are PyTorch 2.13's output for the same tensors.
    cases = [
        (torch.tensor([1.5, 2.0]), "tensor([1.5000, 2.0000])"),
        (torch.tensor([1.0, 2.0, 3.0]), "tensor([1., 2., 3.])"),
        (torch.tensor(3.14159), "tensor(3.1416)"),
        (torch.tensor([1, 10, -100]), "tensor([   1,   10, -100])"),
        (torch.tensor([True, False]), "tensor([ True, False])"),
        (torch.tensor([1e-5, 1.0]), "tensor([1.0000e-05, 1.0000e+00])"),
        (torch.tensor([1e9, 1.0]), "tensor([1.0000e+09, 1.0000e+00])"),
        (torch.tensor([float("inf"), float("nan"), 1.5]), "tensor([   inf,    nan, 1.5000])"),
        (torch.tensor([[-1.5, 2.25], [0.0, 1.0]]),
         "tensor([[-1.5000,  2.2500],\n        [ 0.0000,  1.0000]])"),
        (torch.zeros(0), "tensor([])"),
        (torch.zeros(0, 3), "tensor([], size=(0, 3))"),
        (torch.tensor([1, 2], dtype=torch.int32), "tensor([1, 2], dtype=torch.int32)"),
        (torch.tensor([1.0, 2.0], requires_grad=True), "tensor([1., 2.], requires_grad=True)"),
        (torch.arange(2000)[:4] * 0 + torch.tensor([0.1, 0.25, 1000.0, 1.0]),
         "tensor([1.0000e-01, 2.5000e-01, 1.0000e+03, 1.0000e+00])"),
    ]
    for t, want in cases:
        assert repr(t) == want and str(t) == want
    assert repr(torch.arange(30)) == (
        "tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n"
        "        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29])")
    assert repr(torch.arange(2000)) == "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"
    assert repr(torch.nn.Parameter(torch.tensor([1.0, 2.0]))) == (
        "Parameter containing:\ntensor([1., 2.], requires_grad=True)")
    numpy_options = np.get_printoptions()
    try:
        torch.set_printoptions(precision=2)
        assert repr(torch.tensor([1.23456, 2.5])) == "tensor([1.23, 2.50])"
        torch.set_printoptions(sci_mode=False)
        assert repr(torch.tensor([1e-6, 1.0])) == "tensor([0.00, 1.00])"
        torch.set_printoptions(profile="default", threshold=5, edgeitems=1)
        assert repr(torch.arange(10.0)) == "tensor([0.,  ..., 9.])"
        assert np.get_printoptions() == numpy_options  # NumPy's own options untouched
    finally:
        torch.set_printoptions(profile="default")


def test_inplace_activations_and_dropout_write_into_their_input():
    x = torch.tensor([-1.0, 2.0, -3.0])
    for layer, want in [(torch.nn.ReLU(inplace=True), [0, 2, 0]),
                        (torch.nn.LeakyReLU(0.1, inplace=True), [-0.1, 2, -0.3]),
                        (torch.nn.Hardtanh(-0.5, 0.5, inplace=True), [-0.5, 0.5, -0.5]),
                        (torch.nn.ReLU6(inplace=True), [0, 2, 0])]:
        y = x * 1
        assert layer(y) is y
        np.testing.assert_allclose(y.numpy(), want, rtol=1e-6)
    y = x * 1
    assert torch.nn.functional.leaky_relu(y, 0.1, True) is y  # inplace given by position
    np.testing.assert_allclose(y.numpy(), [-0.1, 2, -0.3], rtol=1e-6)
    assert x.tolist() == [-1.0, 2.0, -3.0]

    # Inside a graph: the tensor becomes the activation's output, gradients as out of place.
    w = torch.tensor([-1.0, 2.0, -3.0], requires_grad=True)
    h = w * 2
    torch.nn.ReLU(inplace=True)(h)
    assert h.tolist() == [0.0, 4.0, 0.0] and h.grad_fn.name() == "ReluBackward0"
    (h * torch.tensor([1.0, 3.0, 5.0])).sum().backward()
    assert w.grad.tolist() == [0.0, 6.0, 0.0]
    with pytest.raises(RuntimeError, match="leaf"):
        torch.nn.ReLU(inplace=True)(w)

    # A view of the written tensor sees the new values (one storage, as in PyTorch).
    base = torch.tensor([[-1.0, 1.0], [2.0, -2.0]])
    row = base[1]
    torch.nn.functional.relu(row, inplace=True)
    assert base.tolist() == [[-1.0, 1.0], [2.0, 0.0]]

    drop = torch.nn.Dropout(0.5, inplace=True)
    z = torch.ones(1000)
    assert drop(z) is z and set(z.unique().tolist()) == {0.0, 2.0}
    drop.eval()
    z = torch.ones(4, requires_grad=True)
    assert drop(z) is z and z.tolist() == [1.0] * 4

    # chainrule's own tensors keep NumPy's way: a new tensor, the input unchanged.
    own = cr.tensor(np.array([-1.0, 2.0]))
    out = cr.nn.functional.relu(own, inplace=True)
    assert out is not own and own.data.tolist() == [-1.0, 2.0] and out.data.tolist() == [0, 2]


def test_in_place_arithmetic_on_a_tensor_in_the_graph_changes_that_tensor():
    w = torch.ones(3, requires_grad=True)
    h = w * 2
    assert h.add_(1) is h and h.tolist() == [3.0, 3.0, 3.0]
    h2 = w * 2
    alias = h2
    h2 += 1
    assert alias is h2 and alias.tolist() == [3.0, 3.0, 3.0]
    h3 = w * 2
    h3.mul_(torch.tensor([1.0, 0.0, 1.0])).div_(2).sub_(0.5)
    h4 = w * 2
    view = h4[1:]
    h4.mul_(3).clamp_(0, 5)
    assert view.tolist() == [5.0, 5.0] and h3.tolist() == [0.5, -0.5, 0.5]
    (h + h2 + h3 + h4).sum().backward()
    assert w.grad.tolist() == [5.0, 4.0, 5.0]  # h4's clamp cuts its gradient (6 > 5)
    # An operation that read the tensor before the change differentiates what it read.
    w.grad = None
    h = w * 2
    y = h * 3
    h.mul_(5)
    (y + h).sum().backward()
    assert w.grad.tolist() == [16.0, 16.0, 16.0]  # 3 * 2 + 5 * 2, as PyTorch
    # In-place changes through views, PyTorch's idioms; gradients as PyTorch 2.13 gives.
    cases = {
        "y[:, 0] += 1": (lambda y: y.__setitem__((slice(None), 0), y[:, 0] + 1),
                         [[12.0, 16.0], [28.0, 32.0]]),
        "y[0].mul_(3)": (lambda y: y[0].mul_(3), [[72.0, 144.0], [24.0, 32.0]]),
        "y[1] *= x[0]": (None, [[8.0, 10.0], [2.0, 4.0]]),
        "y /= y.sum(1)": (None, None),
    }
    for name, (change, want) in cases.items():
        x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        y = x * 2
        if name == "y[1] *= x[0]":
            y[1] *= x[0]
            out = y
        elif name == "y /= y.sum(1)":
            y /= y.sum(1, keepdim=True)
            out = y * y
        else:
            change(y)
            out = y * y
        out.sum().backward()
        if want is not None:
            assert x.grad.tolist() == want, name
        else:
            xd = np.array([[1.0, 2.0], [3.0, 4.0]])
            s = xd.sum(1, keepdims=True)
            # d/dx sum((x / s)^2) = 2 (x / s) / s - 2 sum((x / s)^2 / s) per row
            r = xd / s
            want = 2 * r / s - (2 * r * r / s).sum(1, keepdims=True)
            np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-6)
    with pytest.raises(RuntimeError, match="leaf"):
        w.add_(1)


def test_functions_that_copy_in_pytorch_never_return_their_input():
    import chainrule.torch.nn.functional as F

    a = torch.zeros(2, 3)
    makers = {
        "roll by the length": lambda: torch.roll(a, 3, 1),
        "roll of a size-1 dim": lambda: torch.roll(torch.zeros(2, 1), 1, 1),
        "rot90 k=0": lambda: torch.rot90(a, 0), "rot90 k=4": lambda: torch.rot90(a, 4),
        "rot90 k=1": lambda: torch.rot90(a, 1), "flip": lambda: torch.flip(a, [1]),
        "flip no dims": lambda: a.flip([]), "fliplr": lambda: torch.fliplr(a),
        "pad by nothing": lambda: F.pad(a, (0, 0)),
        "interpolate to its size": lambda: F.interpolate(a[None], size=3)[0],
        "adaptive pool to its size": lambda: F.adaptive_avg_pool1d(a[None], 3)[0],
        "diff n=0": lambda: torch.diff(a, n=0),
    }
    for name, make in makers.items():
        r = make()
        r[(0,) * r.dim()] = 5.0
        assert a.abs().sum().item() == 0, name
    mask = torch.ones(3, 3, dtype=torch.bool)
    assert torch.tril(mask).dtype == torch.bool and mask.triu(1).dtype == torch.bool
    assert cr.tril(np.ones((2, 2), bool)).dtype == np.bool_
    x = torch.zeros(2)
    assert x.float() is x and x.double() is not x  # PyTorch's: no copy when nothing changes


def test_set_grad_enabled_called_as_a_function_takes_effect_at_once():
    w = torch.ones(2, requires_grad=True)
    try:
        torch.set_grad_enabled(False)
        assert not torch.is_grad_enabled() and not (w * 2).requires_grad
    finally:
        torch.set_grad_enabled(True)
    assert (w * 2).requires_grad
    with torch.set_grad_enabled(False):
        assert not (w * 2).requires_grad
    assert torch.is_grad_enabled()

    @torch.set_grad_enabled(False)
    def recorded():
        return (w * 2).requires_grad

    assert torch.is_grad_enabled() and not recorded() and torch.is_grad_enabled()
    torch.no_grad()  # made, not entered: no effect (as PyTorch)
    assert torch.is_grad_enabled()
    torch.autograd.set_grad_enabled(False)
    assert not torch.autograd.is_grad_enabled()
    torch.autograd.set_grad_enabled(True)


def test_the_diagonal_is_a_view_and_random_takes_one_bound():
    m = torch.zeros(3, 3)
    m.diagonal().fill_(1)
    m.diagonal().add_(0.5)
    assert m.tolist() == [[1.5, 0, 0], [0, 1.5, 0], [0, 0, 1.5]]
    m2 = torch.zeros(2, 3)
    torch.diagonal(m2, 1)[:] = torch.tensor([7.0, 8.0])
    assert m2.tolist() == [[0, 7, 0], [0, 0, 8]]
    w = torch.ones(3, requires_grad=True)
    a = torch.zeros(3, 3) + w[:, None]
    a.diagonal().mul_(2)  # through the graph: PyTorch 2.13 gives 12 per element
    (a * a).sum().backward()
    assert w.grad.tolist() == [12.0, 12.0, 12.0]
    x = torch.zeros(2000).random_(10)
    assert x.min().item() == 0 and x.max().item() == 9
    assert set(torch.zeros(200).random_(3, 5).tolist()) == {3.0, 4.0}


def test_pytorch_module_and_optimizer_internals_programs_read():
    m = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    assert list(m._modules) == ["0", "1", "2"] and list(m[0]._parameters) == ["weight", "bias"]
    m._modules["1"] = torch.nn.Tanh()
    assert isinstance(m[1], torch.nn.Tanh)
    from collections import OrderedDict
    assert type(m.state_dict()) is OrderedDict
    assert repr(m.load_state_dict(m.state_dict())) == "<All keys matched successfully>"
    partial = {k: v for k, v in m.state_dict().items() if k != "0.bias"}
    assert repr(m.load_state_dict(partial, strict=False)) == \
        "_IncompatibleKeys(missing_keys=['0.bias'], unexpected_keys=[])"
    with pytest.raises(RuntimeError):
        m.load_state_dict({"x": torch.zeros(1)})
    lstm = torch.nn.LSTM(4, 5, batch_first=True)
    out, _ = lstm(torch.zeros(2, 3, 4), [torch.zeros(1, 2, 5), torch.zeros(1, 2, 5)])
    assert out.shape == (2, 3, 5)
    h, _ = torch.nn.LSTMCell(3, 4)(torch.zeros(2, 3), [torch.zeros(2, 4), torch.zeros(2, 4)])
    assert h.shape == (2, 4)

    w = torch.nn.Parameter(torch.ones(3))
    opt = torch.optim.AdamW([w], lr=1e-3, betas=(0.9, 0.95), fused=True, foreach=False)
    assert opt.param_groups[0]["fused"] is True and opt.param_groups[0]["foreach"] is False
    (w * w).sum().backward()
    opt.step()
    sd = opt.state_dict()
    assert list(sd["state"]) == [0] and isinstance(sd["state"][0]["exp_avg"], torch.Tensor)
    assert sd["state"][0]["step"].dtype == torch.float32 and sd["state"][0]["step"].item() == 1
    assert sd["param_groups"][0]["betas"] == (0.9, 0.95)
    opt.load_state_dict(sd)
    with pytest.raises(NotImplementedError, match="differentiable"):
        torch.optim.SGD([w], lr=0.1, differentiable=True)


def test_torch_distributed_imports_and_says_what_it_is():
    import chainrule.torch.distributed as dist

    assert dist.is_available() and not dist.is_initialized()
    with pytest.raises(NotImplementedError, match="chainrule.distributed"):
        dist.init_process_group("gloo")
    with pytest.raises(ValueError, match="not been initialized"):
        dist.get_rank()


def test_function_forms_promote_as_pytorch():
    c = torch.tensor([True, False])
    i, f = torch.tensor([1, 2]), torch.tensor([0.5, 1.5])
    i32, d0 = torch.tensor([1, 2], dtype=torch.int32), torch.tensor(2.0, dtype=torch.float64)
    float32 = [torch.where(c, 2.0, 3), torch.where(c, i, 0.5), torch.where(c, i, f),
               torch.maximum(i, f), torch.minimum(i, f), torch.max(i, f), torch.fmax(i, f),
               torch.mul(f, i), torch.mul(f, d0), torch.atan2(f, d0), torch.cat([f, i32]),
               torch.stack([i, f]), torch.clamp(i, 0.5), torch.clamp_min(i, 0.5),
               torch.where(c, f, d0), torch.hypot(f, d0)]
    assert [r.dtype for r in float32] == [torch.float32] * len(float32)
    assert torch.cat([i, i32]).dtype == torch.int64 and torch.clamp(i, max=1).dtype == torch.int64
    filled = i.masked_fill(c, 2.5)
    assert filled.dtype == torch.int64 and filled.tolist() == [2, 2]
    x = torch.tensor([0.0, 1.0, 2.0], requires_grad=True)
    torch.clamp_min(x, 1.0).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0]  # 1 at the bound, as PyTorch's clamp


def test_sums_and_products_of_integers_are_int64_or_the_dtype_asked_for():
    i32 = torch.tensor([1, 2, 3], dtype=torch.int32)
    u8 = torch.tensor([200, 100], dtype=torch.uint8)
    assert i32.sum(dtype=torch.int32).dtype == torch.int32
    assert [t.dtype for t in (u8.sum(), i32.sum(), i32.prod(), i32.cumprod(0),
                              torch.cumsum(u8, 0), torch.tensor([True, True]).cumprod(0))] \
        == [torch.int64] * 6
    assert u8.sum().item() == 300
    assert torch.tensor([1.5, 2.5]).cumsum(0, dtype=torch.float64).dtype == torch.float64


def test_an_integer_beside_an_advanced_index_is_applied_first_as_pytorch():
    x = torch.arange(60.0).reshape(4, 3, 5)
    assert x[0, :, [1, 2]].shape == (3, 2)  # NumPy: (2, 3)
    assert x[0, :, [1, 2]].tolist() == [[1.0, 2.0], [6.0, 7.0], [11.0, 12.0]]
    assert x[[0, 1], :, 2].shape == (2, 3) and x[0, ..., torch.tensor([1, 2])].shape == (3, 2)
    assert x[:, 0, [1, 2]].shape == (4, 2)


def test_pytorchs_keywords_and_refusals_in_reductions_norms_and_division():
    x = torch.tensor([[1.0, -2.0], [3.0, 4.0]])
    assert x.clip(min=-1, max=2).tolist() == [[1.0, -1.0], [2.0, 2.0]]
    assert x.clone().clamp_(torch.zeros(2, 2), torch.ones(2, 2)).tolist() == [[1, 0], [1, 1]]
    assert [t.tolist() for t in torch.std_mean(x, dim=0, unbiased=False)] == [[1, 3], [2, 1]]
    assert [t.tolist() for t in torch.var_mean(x, 0, True)] == [[2, 18], [2, 1]]
    assert torch.norm(x, dtype=torch.float64).dtype == torch.float64
    assert torch.linalg.vector_norm(x, dtype=torch.float64).dtype == torch.float64
    assert torch.gather(x, 1, torch.tensor([[0], [1]]), sparse_grad=False).tolist() == [[1], [4]]
    b = torch.tensor([[1.0, 0.0], [4.0, 1.0]])
    a = torch.tensor([[2.0, 1.0], [1.0, 3.0]])
    np.testing.assert_allclose((torch.linalg.solve(a, b, left=False) @ a).numpy(), b.numpy(),
                               atol=1e-6)
    i = torch.tensor([5, 7])
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        i // 0
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        i % torch.tensor([1, 0])
    with pytest.raises(RuntimeError, match="can't be cast"):
        i.clone().exp_()
    with pytest.raises(RuntimeError, match="exceeds dimension size"):
        x.narrow(1, 1, 3)
    s = torch.tensor(3.0)
    assert s.mean(0).item() == 3.0 and s.max(0).indices.item() == 0 and s.logsumexp(0).item() == 3
    assert x.new_tensor(3).tolist() == 3.0 and torch.arange(torch.tensor(4)).dtype == torch.int64


def test_more_pytorch_forms_from_the_differential_comparison():
    import chainrule.torch.nn.functional as F

    assert F.hardtanh_(torch.tensor([-3, 0, 5])).tolist() == [-1, 0, 1]  # stays integer
    x = torch.tensor([[1.5, -2.0], [3.0, 4.0]])
    assert x.clone().div_(2, rounding_mode="floor").tolist() == [[0.0, -1.0], [1.0, 2.0]]
    assert x[:1].squeeze((0, 1)).shape == (2,)
    assert torch.cat([x, torch.zeros(0)]).shape == (2, 2)
    a = torch.tensor([[4.0, 2.0], [2.0, 3.0]])
    L, info = torch.linalg.cholesky_ex(a)
    assert info.item() == 0 and torch.allclose(L @ L.T, a)
    L, info = torch.linalg.cholesky_ex(torch.tensor([[1.0, 2.0], [2.0, 1.0]]))
    assert info.item() == 2 and L.isnan().all()  # (LAPACK: the failing minor, order 2)
    with pytest.raises(torch.linalg.LinAlgError):
        torch.linalg.cholesky_ex(torch.tensor([[1.0, 2.0], [2.0, 1.0]]), check_errors=True)
    assert torch.allclose(torch.linalg.inv_ex(a).inverse @ a, torch.eye(2))


def test_dtypes_are_pytorchs_objects_that_numpy_also_takes():
    import copy
    import pickle

    x = torch.ones(2, dtype=torch.float64)
    assert x.dtype is torch.float64 and isinstance(x.dtype, torch.dtype)
    assert str(x.dtype) == repr(x.dtype) == "torch.float64"
    # PyTorch's attributes (a buffer EMA guarded by b.dtype.is_floating_point)
    facts = {d: (d.is_floating_point, d.is_complex, d.is_signed, d.itemsize)
             for d in (torch.float16, torch.int64, torch.uint8, torch.bool, torch.complex64)}
    assert facts == {torch.float16: (True, False, True, 2), torch.int64: (False, False, True, 8),
                     torch.uint8: (False, False, False, 1), torch.bool: (False, False, False, 1),
                     torch.complex64: (False, True, True, 8)}
    assert torch.complex128.to_real() is torch.float64
    assert torch.float32.to_complex() is torch.complex64
    with pytest.raises(RuntimeError, match="to_complex"):
        torch.int64.to_complex()
    # equal to, hashed as, and read by NumPy as the NumPy dtype
    assert torch.float32 == np.float32 and np.dtype("float32") == torch.float32
    assert torch.float32 != torch.float64 and torch.float32 != "float32"
    assert not (torch.float64 == float or torch.int64 == int or torch.bool == bool)  # noqa: E721
    assert torch.bfloat16.is_floating_point and torch.bfloat16.itemsize == 2
    assert {np.dtype(np.int64): "i"}[torch.int64] == "i" and torch.int64 in {np.dtype("int64")}
    assert np.zeros(3, torch.float16).dtype == np.float16
    assert np.arange(3).astype(torch.float32).dtype == np.float32
    assert np.issubdtype(torch.int32, np.integer) and torch.float32.kind == "f"
    # one object per dtype, kept by copies and pickles
    assert copy.deepcopy({"d": torch.int16})["d"] is torch.int16
    assert pickle.loads(pickle.dumps(torch.uint16)) is torch.uint16
    # everything that answers with a dtype answers with these objects
    assert torch.get_default_dtype() is torch.float32
    assert torch.promote_types(torch.int32, torch.float32) is torch.float32
    assert torch.result_type(torch.tensor([1]), 1.5) is torch.float32
    assert nn.Linear(2, 2).weight.dtype is torch.float32
    assert torch.zeros(2, dtype=torch.uint16).dtype is torch.uint16
    with pytest.raises(TypeError, match="only float32 and float64.*torch.int64"):
        torch.set_default_dtype(torch.int64)


def test_a_copied_parameter_has_no_gradient_and_a_result_may_be_asked_to_require_grad():
    import copy

    m = nn.Linear(2, 1)
    m(torch.ones(1, 2)).sum().backward()
    twin = copy.deepcopy(m)
    # PyTorch's Parameter copy: values and requires_grad, not the gradient (a target
    # network copied after a backward would otherwise step with the original's)
    assert twin.weight.grad is None and twin.weight.requires_grad
    np.testing.assert_array_equal(twin.weight.detach().numpy(), m.weight.detach().numpy())
    frozen = copy.deepcopy(nn.Parameter(torch.ones(2), requires_grad=False))
    assert not frozen.requires_grad and frozen.grad is None
    leaf = torch.ones(2, requires_grad=True)
    (leaf * 3).sum().backward()
    assert copy.deepcopy(leaf).grad.tolist() == [3.0, 3.0]  # (a plain tensor keeps it)
    # WGAN-GP's interpolates.requires_grad_(True) on a result: nothing to change
    x = torch.ones(2, requires_grad=True) * 2
    assert x.requires_grad_(True) is x
    with pytest.raises(RuntimeError, match="detach"):
        x.requires_grad_(False)


def test_a_parameter_frozen_while_the_graph_was_built_gets_no_gradient_from_it():
    # WGAN-GP: the critic is frozen while the penalty's graph is built (create_graph),
    # unfrozen before backward(); PyTorch fixes the flag when the graph is built.
    torch.manual_seed(0)
    for layer in (nn.Linear(2, 3), nn.LayerNorm(2), nn.Conv1d(1, 2, 1)):
        v = torch.tensor([[0.5, -0.3], [0.2, 0.9]], requires_grad=True)
        for p in layer.parameters():
            p.requires_grad = False
        inp = v * 2.0
        if isinstance(layer, nn.Conv1d):
            inp = inp.unsqueeze(1)
        out = torch.tanh(layer(inp)).sum()
        g = torch.autograd.grad(out, inp, create_graph=True)[0]
        penalty = (g.norm(2, dim=-1) - 1).pow(2).mean() + out
        for p in layer.parameters():
            p.requires_grad = True
        penalty.backward()
        assert all(p.grad is None for p in layer.parameters()), layer
        assert v.grad is not None and torch.isfinite(v.grad).all()
        # a graph built after unfreezing does reach them
        torch.tanh(layer(inp.detach())).sum().backward()
        assert all(p.grad is not None for p in layer.parameters()), layer


def test_optimizer_state_holds_tensors_that_share_the_updates_memory():
    p = nn.Parameter(torch.tensor([[1.0, -2.0], [0.5, 3.0]], dtype=torch.float64))
    for opt, key in ((torch.optim.SGD([p], lr=0.1, momentum=0.9), "momentum_buffer"),
                     (torch.optim.Adam([p], lr=0.1), "exp_avg"),
                     (torch.optim.RMSprop([p], lr=0.1), "square_avg"),
                     (torch.optim.Adagrad([p], lr=0.1), "sum")):
        p.grad = None
        (p ** 2).sum().backward()
        opt.step()
        buf = opt.state[p][key]
        # DARTS reads torch.cat([state[v]["momentum_buffer"].view(-1) ...]) in a bare except
        assert isinstance(buf, torch.Tensor) and buf.view(-1).size(0) == 4
        assert torch.cat([buf.view(-1), buf.view(-1)]).numel() == 8
        assert set(opt.state[p]) == set(opt.state_dict()["state"][0])
        # in-place writes reach the optimizer (a task-boundary reset of the moments)
        opt.state[p][key].zero_()
        assert float(opt.state[p][key].abs().sum()) == 0.0
        before = p.detach().clone()
        opt.step()  # (momentum/moments from zero: the step uses what was written)
        assert not torch.equal(before, p.detach())
    # a program's own optimizer keeps whatever it stores, as stored
    q = nn.Parameter(torch.ones(2))

    class Averaging(torch.optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": 0.1})

        @torch.no_grad()
        def step(self):
            for group in self.param_groups:
                for r in group["params"]:
                    state = self.state[r]
                    if not state:
                        state["ema"] = r.detach().clone()
                    state["ema"].mul_(0.5).add_(r, alpha=0.5)

    opt = Averaging([q])
    opt.step()
    ema = opt.state[q]["ema"]
    opt.step()
    assert opt.state[q]["ema"] is ema and len(opt.state) == 1 and q in opt.state


def test_a_checkpoint_without_num_batches_tracked_loads_as_in_pytorch():
    # A converted or filtered checkpoint (a plain dict: no _metadata, so no version)
    # lacks BatchNorm's num_batches_tracked; PyTorch keeps the layer's own value. A
    # state dict whose metadata says version 2 must have it.
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2))
    model[1].num_batches_tracked.fill_(7)
    saved = model.state_dict()
    assert saved._metadata["1"] == {"version": 2}
    plain = {k: v.clone() for k, v in saved.items() if "num_batches" not in k}
    plain["1.running_mean"] = torch.tensor([1.0, 2.0])
    assert not model.load_state_dict(plain).missing_keys
    assert model[1].running_mean.tolist() == [1.0, 2.0]
    assert int(model[1].num_batches_tracked) == 7
    del saved["1.num_batches_tracked"]
    with pytest.raises(RuntimeError, match='Missing key.*"1.num_batches_tracked"'):
        model.load_state_dict(saved)
    saved._metadata["1"]["version"] = 1
    model.load_state_dict(saved)


def test_state_dicts_follow_pytorchs_per_module_protocol_when_a_model_uses_it():
    import collections

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.head = nn.Linear(2, 1)
            self.bn = nn.BatchNorm1d(1)
            self.scales = nn.ParameterList([nn.Parameter(torch.ones(2))])

        def _load_from_state_dict(self, state_dict, prefix, *args):
            # timm / torchvision style: a checkpoint's legacy names renamed on load
            for k in list(state_dict):
                if k.startswith(prefix + "fc."):
                    state_dict[k.replace(prefix + "fc.", prefix + "head.")] = state_dict.pop(k)
            super()._load_from_state_dict(state_dict, prefix, *args)

    plain = Net()
    plain.__class__ = type("Plain", (nn.Module,), {})  # the same modules, no override
    reference = {k: v.clone() for k, v in plain.state_dict().items()}
    model = Net()
    # the walk saves the same names and values as the one-pass state_dict
    walked = model.state_dict()
    assert list(walked) == list(reference)
    assert walked._metadata[""] == {"version": 1} and "bn" in walked._metadata
    legacy = collections.OrderedDict(
        (k.replace("head.", "fc."), torch.full_like(v, 3.0)) for k, v in reference.items())
    result = model.load_state_dict(legacy)
    assert not result.missing_keys and not result.unexpected_keys
    assert model.head.weight.tolist() == [[3.0, 3.0]] and model.scales[0].tolist() == [3.0, 3.0]
    # errors are PyTorch's lists, and nothing is copied when there is one
    bad = dict(legacy, **{"bn.weight": torch.ones(3), "extra.w": torch.ones(1)})
    bad.pop("head.bias", None), bad.pop("fc.bias")
    with pytest.raises(RuntimeError) as error:
        Net().load_state_dict(bad)
    text = str(error.value)
    assert '"head.bias"' in text and '"extra.w"' in text and "size mismatch for bn.weight" in text
    fresh = Net()
    before = fresh.head.weight.tolist()
    with pytest.raises(RuntimeError):
        fresh.load_state_dict(bad)
    assert fresh.head.weight.tolist() == before
    # hooks: pre (with the module), post editing the missing keys, state-dict hooks
    calls = []
    m = nn.Linear(2, 2)
    m.register_load_state_dict_pre_hook(lambda mod, sd, prefix, *rest: calls.append(
        ("pre", mod is m, prefix, sorted(sd))))
    m.register_load_state_dict_post_hook(lambda mod, keys: keys.missing_keys.clear())
    m.register_state_dict_pre_hook(lambda mod, prefix, keep_vars: calls.append("save"))
    m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: [sd.pop("bias")] and None)
    assert list(m.state_dict()) == ["weight"] and calls[-1] == "save"
    m.load_state_dict({"weight": torch.zeros(2, 2)})  # bias missing, forgiven by the hook
    assert calls[-1] == ("pre", True, "", ["weight"]) and float(m.weight.abs().sum()) == 0
    replace = nn.Linear(1, 1)
    replace._register_state_dict_hook(lambda mod, sd, prefix, meta: {"only": 1})
    assert replace.state_dict() == {"only": 1}


def test_hook_tables_hold_the_hooks_as_pytorchs_do():
    # code that scans module._forward_pre_hooks (torch.nn.utils.prune, hook inspectors)
    m = nn.Linear(2, 2)

    def pre(module, args):
        return None

    def post(module, args, kwargs, out):
        return None

    h1 = m.register_forward_pre_hook(pre)
    h2 = m.register_forward_hook(post, with_kwargs=True, always_call=True)
    h3 = m.register_full_backward_hook(lambda *a: None)
    assert list(m._forward_pre_hooks.values()) == [pre]
    assert list(m._forward_hooks.values()) == [post]
    assert h2.id in m._forward_hooks_with_kwargs and h2.id in m._forward_hooks_always_called
    assert h1.id not in m._forward_pre_hooks_with_kwargs and len(m._backward_hooks) == 1
    m(torch.ones(1, 2, requires_grad=True)).sum().backward()
    for h in (h1, h2, h3):
        h.remove()
    assert not (m._forward_hooks or m._forward_hooks_with_kwargs or m._forward_pre_hooks
                or m._backward_hooks)


def test_torch_save_keeps_dtypes_by_name_and_refuses_unknown_ones(tmp_path):
    import json

    import chainrule.io as cio

    path = tmp_path / "config.safetensors"
    torch.save({"dtype": torch.float16, "w": torch.ones(2), "kinds": [torch.int64]}, path)
    back = torch.load(path)
    assert back["dtype"] is torch.float16 and back["kinds"] == [torch.int64]
    # a file naming something that is not a dtype is refused, never looked up
    arrays, meta = cio.load_checkpoint(path)
    skeleton = meta["chainrule.torch.object"]
    assert {"dtype": "float16"} in [v for _, v in skeleton["dict"]]
    bad = json.loads(json.dumps(skeleton).replace('"float16"', '"__import__"'))
    cio.save_checkpoint(tmp_path / "bad.safetensors", arrays, {"chainrule.torch.object": bad})
    with pytest.raises(cio.CheckpointError, match="unknown dtype"):
        torch.load(tmp_path / "bad.safetensors")


def test_a_parameter_toggled_off_and_on_after_the_graph_was_built_keeps_its_gradient():
    lin = nn.Linear(2, 1)
    loss = lin(torch.ones(3, 2)).sum()
    lin.weight.requires_grad_(False)
    lin.weight.requires_grad_(True)
    loss.backward()  # (the graph recorded it as trainable, as PyTorch keeps it)
    assert lin.weight.grad.tolist() == [[3.0, 3.0]]
    lin.weight.grad = None
    loss = lin(torch.ones(3, 2)).sum()
    lin.weight.requires_grad = False
    loss.backward()
    assert lin.weight.grad is None
