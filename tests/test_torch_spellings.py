"""chainrule.torch's other spellings: constants, PyTorch's promotion categories, legacy
typed tensors, torch.* forms of nn.functional functions, in-place function forms, older
names, windows; expected values worked out by hand from PyTorch's documentation."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule.torch as torch
import chainrule.torch.nn as nn
import chainrule.torch.nn.functional as F


def test_constants_and_promotion_categories():
    assert (torch.pi, torch.e, torch.inf) == (math.pi, math.e, math.inf)
    assert math.isnan(torch.nan) and torch.newaxis is None
    assert torch.ones(2).layout is torch.strided and repr(torch.strided) == "torch.strided"
    assert torch.promote_types(torch.int64, torch.float16) == torch.float16  # NumPy: f64
    assert torch.promote_types(torch.uint8, torch.int8) == torch.int16
    assert not torch.can_cast(torch.float32, torch.int32)
    assert torch.can_cast(torch.float64, torch.float16)
    assert torch.result_type(torch.ones(2, dtype=torch.int32), 2.5) == torch.float32
    assert torch.result_type(torch.ones(2), torch.tensor(1.0, dtype=torch.float64)) == \
        torch.float32
    assert torch.result_type(torch.tensor(1), 2) == torch.int64
    assert torch.is_signed(torch.ones(1)) and not torch.ones(1, dtype=torch.uint8).is_signed()


def test_legacy_typed_tensors():
    assert isinstance(torch.ones(2), torch.FloatTensor)
    assert not isinstance(torch.ones(2), torch.LongTensor)
    assert torch.LongTensor([1, 2]).dtype == torch.int64
    assert torch.FloatTensor(2, 3).shape == (2, 3)
    assert torch.ones(2).type(torch.DoubleTensor).dtype == torch.float64
    assert torch.ones(2).type("torch.LongTensor").dtype == torch.int64
    assert torch.typename(torch.ones(2)) == "torch.FloatTensor"


def test_functional_forms_and_aten_argument_orders():
    x = torch.randn(2, 3)
    np.testing.assert_allclose(torch.cosine_similarity(x, x).numpy(), [1, 1], rtol=1e-6)
    table = torch.eye(3)
    assert torch.embedding(table, torch.tensor([2, 0])).tolist() == [[0, 0, 1], [1, 0, 0]]
    # ATen's batch_norm: weight and bias before the running statistics
    y = torch.batch_norm(torch.tensor([[1.0], [3.0]]), torch.tensor([2.0]),
                         torch.tensor([1.0]), torch.zeros(1), torch.ones(1), False, 0.1, 0.0)
    assert y.tolist() == [[3.0], [7.0]]
    assert torch.dropout(x, 0.5, False) is x
    relu_in = torch.tensor([-1.0, 2.0])
    assert torch.relu_(relu_in) is relu_in and relu_in.tolist() == [0.0, 2.0]
    assert torch.exp_(torch.zeros(2)).tolist() == [1.0, 1.0]
    leaky = torch.tensor([-2.0, 1.0])
    F.leaky_relu_(leaky, 0.5)
    assert leaky.tolist() == [-1.0, 1.0]
    values, indices = F.max_pool2d_with_indices(torch.arange(16.0).reshape(1, 1, 4, 4), 2)
    assert type(indices) is torch.Tensor and indices.tolist() == [[[[5, 7], [13, 15]]]]


def test_older_names_and_method_forms():
    x = torch.arange(6.0).reshape(2, 3)
    assert x.median().item() == 2.0 and x.roll(1, 1).tolist() == [[2, 0, 1], [5, 3, 4]]
    assert x.kthvalue(2, 1).values.tolist() == [1.0, 4.0]
    assert x.mv(torch.ones(3)).tolist() == [3.0, 12.0]
    e = x.clone()
    e.eq_(torch.tensor([[0.0, 0.0, 2.0], [0.0, 4.0, 0.0]]))
    assert e.tolist() == [[1, 0, 1], [0, 1, 0]]
    assert x.clone().tril_().tolist() == [[0, 0, 0], [3, 4, 0]]
    assert x.clone().cumsum_(1).tolist() == [[0, 1, 3], [3, 7, 12]]
    assert torch.ger(torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0])).tolist() == \
        [[3, 4], [6, 8]]
    assert torch.rsub(torch.tensor([1.0]), 5.0, alpha=2).tolist() == [3.0]
    assert torch.scalar_tensor(3).dtype == torch.float32
    rows, cols = torch.unravel_index(torch.tensor([5, 7]), (2, 4))
    assert rows.tolist() == [1, 1] and cols.tolist() == [1, 3] and rows.dtype == torch.int64
    q, r = torch.qr(torch.eye(3)[:, :2])
    assert q.shape == (3, 2) and r.shape == (2, 2)
    assert [t.tolist() for t in torch.split_with_sizes(torch.arange(5), [2, 3])] == \
        [[0, 1], [2, 3, 4]]
    hist, edges = torch.histogram(torch.tensor([1.0, 2.0, 1.0]), bins=4, range=(0.0, 3.0))
    assert hist.tolist() == [0, 2, 1, 0] and edges.tolist() == [0, 0.75, 1.5, 2.25, 3]
    shared = np.ones(2)
    assert torch.asarray(shared).numpy() is shared and torch.asarray([1.0]).dtype == \
        torch.float32
    with pytest.raises(ValueError, match="copy=False"):
        torch.asarray([1.0], copy=False)
    with pytest.raises(RuntimeError, match="non-complex"):
        _ = x.imag


def test_windows_are_periodic_by_default():
    # periodic N = the symmetric window of N + 1 without its last point
    np.testing.assert_allclose(torch.hann_window(4).numpy(), [0, 0.5, 1, 0.5], atol=1e-7)
    np.testing.assert_allclose(torch.hann_window(5, periodic=False).numpy(),
                               [0, 0.5, 1, 0.5, 0], atol=1e-7)
    np.testing.assert_allclose(torch.hamming_window(3, periodic=False).numpy(),
                               [0.08, 1, 0.08], atol=1e-7)
    np.testing.assert_allclose(torch.bartlett_window(4).numpy(), [0, 0.5, 1, 0.5])
    assert torch.blackman_window(1).tolist() == [1.0] and torch.kaiser_window(0).numel() == 0


def test_tensor_put_resize_new_and_buffers():
    x = torch.arange(6.0).reshape(2, 3)
    y = x.clone()
    y.put_(torch.tensor([1, 1]), torch.tensor([1.0, 1.0]), accumulate=True)
    assert y.tolist() == [[0, 3, 2], [3, 4, 5]]
    z = x.clone().resize_(4)
    assert z.tolist() == [0, 1, 2, 3]
    assert x.new(2, 2).shape == (2, 2) and x.new([1, 2]).dtype == torch.float32

    class WithBuffers(nn.Module):
        def __init__(self):
            super().__init__()
            self.kept = nn.Buffer(torch.ones(2))
            self.scratch = nn.Buffer(torch.zeros(1), persistent=False)

    m = WithBuffers()
    assert list(m.state_dict()) == ["kept"]
    assert [name for name, _ in m.named_buffers()] == ["kept", "scratch"]


def test_lp_pool_fused_conv_bn_and_total_norm():
    x = torch.tensor([[[1.0, 2.0, 2.0, 1.0]]])
    # the 2-norm of each window of two: sqrt(1 + 4), sqrt(4 + 1)
    np.testing.assert_allclose(nn.LPPool1d(2, 2)(x).numpy(), [[[5 ** 0.5, 5 ** 0.5]]],
                               rtol=1e-6)
    conv, bn = nn.Conv2d(2, 3, 3).eval(), nn.BatchNorm2d(3).eval()
    bn.running_mean.copy_(torch.tensor([0.5, -1.0, 2.0]))
    bn.running_var.copy_(torch.tensor([0.5, 2.0, 1.5]))
    bn.weight.data.copy_(torch.tensor([1.5, -0.5, 2.0]))
    inputs = torch.randn(1, 2, 5, 5)
    fused = nn.utils.fuse_conv_bn_eval(conv, bn)
    np.testing.assert_allclose(fused(inputs).detach().numpy(),
                               bn(conv(inputs)).detach().numpy(), atol=1e-5)
    grads = [torch.tensor([3.0]), torch.tensor([4.0])]
    assert nn.utils.get_total_norm(grads).item() == 5.0


def test_pow_promotes_as_pytorch_and_a_zero_dim_tensor_formats_as_its_number():
    x = torch.linspace(-3, 3, 5)
    assert x.unsqueeze(-1).pow(torch.tensor([1, 2, 3])).dtype == torch.float32
    assert (torch.ones(2) ** torch.tensor(2)).dtype == torch.float32
    assert (torch.tensor([1, 2]) ** 2.0).dtype == torch.float32  # NumPy: float64
    assert (2.0 ** torch.tensor([1, 2])).dtype == torch.float32
    assert (torch.tensor([2, 3]) ** 2).dtype == torch.int64
    assert f"{torch.tensor(1.5) / 3}" == "0.5" and f"{torch.tensor(2.0):.2f}" == "2.00"
    assert str(torch.tensor(1.0)).startswith("tensor(")


def test_variable_grad_assignment_mask_collate_functional_and_out():
    from chainrule.torch.autograd import Variable
    from chainrule.torch.utils.data import default_collate

    v = Variable(torch.ones(3), requires_grad=True)
    assert v.requires_grad and v.is_leaf and isinstance(torch.ones(1), Variable)
    with pytest.raises(TypeError, match="Tensor or None"):
        v.grad = 0.0
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    assert type(mask) is torch.Tensor and mask.size(0) == 3
    assert mask.tolist()[0] == [0.0, -math.inf, -math.inf]
    assert default_collate([(1.0, "a"), (2.0, "b")])[1] == ("a", "b")
    import chainrule.torch.functional as TF

    assert TF.einsum("ij->j", torch.ones(2, 3)).tolist() == [2.0, 2.0, 2.0]
    c = torch.zeros(2, 2)
    assert torch.matmul(torch.ones(2, 2), torch.ones(2, 2), out=c) is c
    assert c.tolist() == [[2.0, 2.0], [2.0, 2.0]]
    grown = torch.empty(0)
    torch.add(torch.ones(3), 1, out=grown)
    assert grown.tolist() == [2.0, 2.0, 2.0]
    values, indices = torch.zeros(2), torch.zeros(2, dtype=torch.int64)
    torch.max(torch.tensor([[1.0, 3.0], [4.0, 2.0]]), 1, out=(values, indices))
    assert values.tolist() == [3.0, 4.0] and indices.tolist() == [1, 0]
    with pytest.raises(RuntimeError, match="automatic differentiation"):
        torch.mul(torch.ones(2, requires_grad=True), 2, out=torch.zeros(2))


def test_grad_fn_objects_walk_the_recorded_graph():
    a = torch.ones(2, requires_grad=True)
    y = (a * 2).sum()
    assert y.grad_fn.name() == "SumBackward0" and "grad_fn=<SumBackward0>" in repr(y)
    (mul, _), = y.grad_fn.next_functions
    assert mul.name() == "MulBackward0"
    (acc, _), (constant, _) = mul.next_functions  # PyTorch's: the 2 has no grad_fn
    assert acc.variable is a and constant is None
    assert a.grad_fn is None and torch.ones(1).grad_fn is None


def test_deprecated_scalar_first_forms_and_data_submodules(tmp_path):
    a, g = torch.ones(2), torch.full((2,), 2.0)
    b = a.clone()
    b.add_(-0.5, g)  # char_rnn_generation's p.data.add_(-learning_rate, p.grad.data)
    assert b.tolist() == [0.0, 0.0] and torch.add(a, -0.5, g).tolist() == [0.0, 0.0]
    assert a.clone().sub_(0.5, g).tolist() == [0.0, 0.0]
    assert a.clone().addcmul_(0.5, g, g).tolist() == [3.0, 3.0]
    assert a.clone().addcdiv_(0.5, g, g).tolist() == [1.5, 1.5]
    from chainrule.torch.utils.data._utils.collate import default_collate

    from chainrule.torch.utils.data import dataset, sampler

    assert dataset.IterableDataset is torch.utils.data.IterableDataset
    assert sampler.RandomSampler is torch.utils.data.RandomSampler and default_collate
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    torch.save(model.state_dict(), tmp_path / "p.pth")  # the module order comes back
    assert list(torch.load(tmp_path / "p.pth")) == ["0.weight", "0.bias", "2.weight",
                                                    "2.bias"]
