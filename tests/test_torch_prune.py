"""torch.nn.utils.prune on the PyTorch front end: masks worked out by hand, PyTorch's
parameter / buffer / state-dict layout, training through the mask, remove(), and the
errors PyTorch raises. (Parity with PyTorch 2.13 itself was measured outside the repo.)"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import chainrule.torch as torch
import chainrule.torch.nn as nn
from chainrule.torch.nn.utils import prune


def linear(weight, bias=None):
    weight = np.asarray(weight, np.float64)
    m = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None, dtype=torch.float64)
    with torch.no_grad():
        m.weight.copy_(torch.tensor(weight))
        if bias is not None:
            m.bias.copy_(torch.tensor(np.asarray(bias, np.float64)))
    return m


W = [[0.5, -0.1, 2.0],
     [-3.0, 0.2, 0.05],
     [1.0, -0.7, 0.3]]


def mask(m, name="weight"):
    return getattr(m, name + "_mask").detach().numpy()


def test_l1_unstructured_removes_the_smallest_magnitudes_count_and_fraction():
    m = prune.l1_unstructured(linear(W), "weight", amount=3)
    # |w| smallest three: 0.05, 0.1, 0.2
    np.testing.assert_array_equal(mask(m), [[1, 0, 1], [1, 0, 0], [1, 1, 1]])
    m = prune.l1_unstructured(linear(W), "weight", amount=0.5)  # round(4.5) = 4 (even)
    np.testing.assert_array_equal(mask(m), [[1, 0, 1], [1, 0, 0], [1, 1, 0]])
    assert mask(m).dtype == np.float64
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.asarray(W) * mask(m))


def test_layout_is_pytorchs():
    m = prune.l1_unstructured(linear(W, [1.0, 2.0, 3.0]), "weight", amount=2)
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight_orig"]
    assert [n for n, _ in m.named_buffers()] == ["weight_mask"]
    assert list(m.state_dict()) == ["bias", "weight_orig", "weight_mask"]
    assert not isinstance(m.weight, nn.Parameter)
    assert isinstance(m.weight_orig, nn.Parameter)
    np.testing.assert_array_equal(m.state_dict()["weight_orig"].detach().numpy(), W)
    hooks = list(m._forward_pre_hooks.values())
    assert len(hooks) == 1 and isinstance(hooks[0], prune.L1Unstructured)
    assert hooks[0]._tensor_name == "weight"


def test_ln_structured_norms_along_a_dim():
    w = np.array([[3.0, 0.0, -1.0, 1.0],     # row norms: L1 5, L2 sqrt(11), inf 3
                  [2.0, 2.0, 0.0, 0.5],      # L1 4.5, L2 sqrt(8.25), inf 2
                  [0.1, 0.1, -4.0, 0.1]])    # L1 4.3, L2 sqrt(16.03), inf 4
    for n, keep in [(1, [1, 1, 0]), (2, [1, 0, 1]), (float("inf"), [1, 0, 1])]:
        m = prune.ln_structured(linear(w), "weight", amount=1, n=n, dim=0)
        np.testing.assert_array_equal(mask(m), np.repeat(np.array(keep)[:, None], 4, 1))
    # columns (dim=1, also as -1): L1 norms 5.1, 2.1, 5.0, 1.6 -> two smallest go
    for dim in (1, -1):
        m = prune.ln_structured(linear(w), "weight", amount=0.5, n=1, dim=dim)
        np.testing.assert_array_equal(mask(m), np.tile([1.0, 0.0, 1.0, 0.0], (3, 1)))


def test_repeated_pruning_composes_in_a_container():
    m = linear(W)
    prune.ln_structured(m, "weight", amount=1, n=1, dim=0)   # row 2 (L1 2.0) goes
    prune.l1_unstructured(m, "weight", amount=2)              # among the 6 left: 0.05, 0.1
    np.testing.assert_array_equal(mask(m), [[1, 0, 1], [1, 1, 0], [0, 0, 0]])
    (method,) = list(m._forward_pre_hooks.values())
    assert isinstance(method, prune.PruningContainer) and len(method) == 2
    assert [type(x).__name__ for x in method] == ["LnStructured", "L1Unstructured"]
    # a third, structured along columns: the zeroed row is not counted again
    prune.ln_structured(m, "weight", amount=1, n=1, dim=1)    # column L1: 3.5, 0.3, 2.0
    np.testing.assert_array_equal(mask(m), [[1, 0, 1], [1, 0, 0], [0, 0, 0]])
    assert len(method) == 3 and len(m._forward_pre_hooks) == 1


def test_importance_scores_choose_instead_of_the_weight():
    scores = torch.tensor(np.arange(9.0).reshape(3, 3)[::-1].copy())  # rows 6.., 3.., 0..
    m = prune.l1_unstructured(linear(W), "weight", amount=2, importance_scores=scores)
    np.testing.assert_array_equal(mask(m), [[1, 1, 1], [1, 1, 1], [0, 0, 1]])
    np.testing.assert_array_equal(m.weight_orig.detach().numpy(), W)  # (only the mask)


def test_ties_follow_pytorchs_cpu_topk():
    # PyTorch 2.13's topk(zeros(20), 10, largest=False) gives indices 10..19 (nth_element),
    # not the first ten; with k * 64 <= n (partial_sort) it gives 0, 1, 2.
    m = prune.l1_unstructured(linear(np.zeros((4, 5))), "weight", amount=10)
    np.testing.assert_array_equal(mask(m).reshape(-1), [1] * 10 + [0] * 10)
    m = prune.l1_unstructured(linear(np.zeros((10, 20))), "weight", amount=3)
    np.testing.assert_array_equal(np.flatnonzero(mask(m).reshape(-1) == 0), [0, 1, 2])


def test_global_unstructured_across_modules():
    a = linear([[0.1, 5.0], [0.4, -0.2]])
    b = linear([[0.3, -0.05, 7.0]])
    prune.global_unstructured([(a, "weight"), (b, "weight")],
                              pruning_method=prune.L1Unstructured, amount=3)
    np.testing.assert_array_equal(mask(a), [[0, 1], [1, 0]])    # 0.05, 0.1, 0.2 overall
    np.testing.assert_array_equal(mask(b), [[1, 0, 1]])
    # again: only the unpruned entries compete (0.3, 0.4 the smallest now)
    prune.global_unstructured([(a, "weight"), (b, "weight")],
                              pruning_method=prune.L1Unstructured, amount=0.4)
    np.testing.assert_array_equal(mask(a), [[0, 1], [0, 0]])
    np.testing.assert_array_equal(mask(b), [[0, 0, 1]])
    with pytest.raises(TypeError, match="unstructured"):
        prune.global_unstructured([(a, "weight")], pruning_method=prune.LnStructured,
                                  amount=1, n=1)


def test_custom_mask_and_identity():
    m = prune.custom_from_mask(linear(W, [1.0, 2.0, 3.0]), "bias",
                               mask=torch.tensor([0.0, 1.0, 0.0]))
    np.testing.assert_array_equal(m.bias.detach().numpy(), [0.0, 2.0, 0.0])
    prune.identity(m, "weight")
    np.testing.assert_array_equal(mask(m), np.ones((3, 3)))
    assert list(m.state_dict()) == ["bias_orig", "weight_orig", "bias_mask", "weight_mask"]


def test_training_updates_weight_orig_and_pruned_entries_stay_zero():
    torch.manual_seed(0)
    m = prune.l1_unstructured(linear(W, [0.0, 0.0, 0.0]), "weight", amount=4)
    keep = mask(m).copy()
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    x = torch.tensor(np.random.default_rng(0).standard_normal((5, 3)))
    before = m.weight_orig.detach().numpy().copy()
    for _ in range(3):
        opt.zero_grad()
        m(x).pow(2).sum().backward()
        # the gradient reaches weight_orig through mask * orig: zero where pruned
        g = m.weight_orig.grad.detach().numpy()
        assert np.all(g[keep == 0] == 0) and np.any(g[keep == 1] != 0)
        opt.step()
    after = m.weight_orig.detach().numpy()
    assert not np.allclose(after[keep == 1], before[keep == 1])
    np.testing.assert_array_equal(after[keep == 0], before[keep == 0])
    m(x)  # (the pre-hook recomputes weight from the trained orig)
    np.testing.assert_array_equal(m.weight.detach().numpy(), after * keep)
    np.testing.assert_array_equal(mask(m), keep)


def test_remove_makes_pruning_permanent():
    m = prune.l1_unstructured(linear(W, [1.0, 2.0, 3.0]), "weight", amount=3)
    orig = m.weight_orig
    assert prune.is_pruned(m)
    prune.remove(m, "weight")
    assert m.weight is orig and isinstance(m.weight, nn.Parameter)  # the same Parameter
    np.testing.assert_array_equal(m.weight.detach().numpy(), [[0.5, 0, 2.0], [-3.0, 0, 0], W[2]])
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight"]
    assert list(m.named_buffers()) == [] and list(m.state_dict()) == ["bias", "weight"]
    assert not hasattr(m, "weight_orig") and not hasattr(m, "weight_mask")
    assert len(m._forward_pre_hooks) == 0 and not prune.is_pruned(m)
    with pytest.raises(ValueError, match="has to be pruned before pruning can be removed"):
        prune.remove(m, "weight")


def test_is_pruned_looks_at_submodules():
    net = nn.Sequential(linear(W), nn.ReLU(), linear(W))
    assert not prune.is_pruned(net)
    prune.random_unstructured(net[2], "weight", amount=2)
    assert prune.is_pruned(net) and not prune.is_pruned(net[0])
    assert int((net[2].weight_mask.detach().numpy() == 0).sum()) == 2


def test_random_structured_prunes_whole_channels():
    torch.manual_seed(3)
    m = prune.random_structured(linear(np.ones((5, 4))), "weight", amount=2, dim=0)
    rows = mask(m).sum(axis=1)
    assert sorted(rows.tolist()) == [0, 0, 4, 4, 4]


def test_state_dict_round_trip_between_pruned_models():
    a = prune.l1_unstructured(linear(W), "weight", amount=3)
    b = prune.identity(linear(np.zeros((3, 3))), "weight")
    b.load_state_dict(a.state_dict())
    b(torch.zeros(1, 3, dtype=torch.float64))
    np.testing.assert_array_equal(b.weight.detach().numpy(), a.weight.detach().numpy())


@pytest.mark.parametrize("amount, error, text", [
    (1.5, ValueError, "should either be a float in the range"),
    (-1, ValueError, "should either be a float in the range"),
    (10, ValueError, "should be smaller than the number of parameters to prune=9"),
    ("half", TypeError, "Invalid type for amount"),
])
def test_amount_out_of_range(amount, error, text):
    m = linear(W)
    with pytest.raises(error, match=text):
        prune.l1_unstructured(m, "weight", amount=amount)
    # nothing changed: still a plain parameter
    assert [n for n, _ in m.named_parameters()] == ["weight"] and not prune.is_pruned(m)


def test_other_errors():
    with pytest.raises(AttributeError, match="no attribute 'nothere'"):
        prune.l1_unstructured(linear(W), "nothere", amount=1)
    with pytest.raises(ValueError, match="multidimensional"):
        prune.ln_structured(linear(W, [1.0, 2.0, 3.0]), "bias", amount=1, n=2, dim=0)
    m = linear(W)
    with pytest.raises(IndexError, match="Invalid index 2"):
        prune.ln_structured(m, "weight", amount=1, n=2, dim=2)
    assert [n for n, _ in m.named_parameters()] == ["weight"]  # rolled back
    with pytest.raises(AssertionError, match="same shape"):
        prune.l1_unstructured(linear(W), "weight", amount=1,
                              importance_scores=torch.ones(2, 2))


def test_pytorch_import_path(tmp_path):
    program = tmp_path / "prog.py"
    program.write_text("import torch.nn.utils.prune as prune\n"
                       "from torch.nn.utils import prune as p2\n"
                       "import torch\n"
                       "m = prune.l1_unstructured(torch.nn.Linear(4, 2), 'weight', 0.5)\n"
                       "print(prune is p2, int(m.weight_mask.sum()))\n")
    out = subprocess.run([sys.executable, "-m", "chainrule.torch", str(program)],
                         capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "4"]
