"""torch.autograd.forward_ad (dual tensors) and torch.func's model-ensembling helpers
(stack_module_state, linearize, functionalize, replace_all_batch_norm_modules_)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule.torch as torch
import chainrule.torch.autograd.forward_ad as fwAD
from chainrule.torch.func import (
    functional_call,
    functionalize,
    linearize,
    replace_all_batch_norm_modules_,
    stack_module_state,
    vmap,
)

X = np.array([0.3, -0.7, 1.2])
V = np.array([1.0, 2.0, -0.5])
W = np.array([[0.2, -0.1, 0.4], [0.5, 0.3, -0.2]])


def _jvp_by_differences(f, x, v, eps=1e-6):
    return (f(x + eps * v) - f(x - eps * v)) / (2 * eps)


def test_dual_tensors_carry_the_directional_derivative():
    def f(x):
        return np.sum(np.exp(np.tanh(W @ x))) + np.mean(x ** 3)

    with fwAD.dual_level():
        d = fwAD.make_dual(torch.tensor(X), torch.tensor(V))
        y = torch.tanh(torch.tensor(W) @ d).exp().sum() + (d ** 3).mean()
        primal, tangent = fwAD.unpack_dual(y)
        assert np.isclose(primal.item(), f(X))
        assert np.isclose(tangent.item(), _jvp_by_differences(f, X, V), rtol=1e-8)
        unrelated = fwAD.unpack_dual(torch.tensor(W))
        assert unrelated.tangent is None
    # after the level closes, nothing carries a tangent, and making one needs a level
    assert fwAD.unpack_dual(y).tangent is None
    with pytest.raises(RuntimeError, match="first enter a forward AD level"):
        fwAD.make_dual(torch.tensor(X), torch.tensor(V))


def test_reverse_mode_over_a_dual_tensors_tangent():
    x = torch.tensor(X, requires_grad=True)
    with fwAD.dual_level():
        jvp = fwAD.unpack_dual((torch.sin(fwAD.make_dual(x, torch.tensor(V))) * x).sum()).tangent
    jvp.backward()
    # the tangent is sum(v cos(x) x) (the second factor is x itself, not the dual
    # tensor), whose gradient is v (cos x - x sin x)
    assert np.allclose(x.grad.numpy(), V * (np.cos(X) - X * np.sin(X)))


def test_levels_nest_and_close_in_order():
    outer = fwAD.enter_dual_level()
    inner = fwAD.enter_dual_level()
    assert (outer, inner) == (0, 1)
    with pytest.raises(RuntimeError, match="innermost open level is 1"):
        fwAD.exit_dual_level(level=0)
    fwAD.exit_dual_level(level=1)
    fwAD.exit_dual_level()
    with pytest.raises(RuntimeError, match="no forward AD level is open"):
        fwAD.exit_dual_level()


def _ensemble(k):
    models = []
    for j in range(k):
        m = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(),
                                torch.nn.Linear(4, 2)).double()
        with torch.no_grad():
            for i, p in enumerate(m.parameters()):
                p.copy_(torch.tensor(np.linspace(-1, 1, p.numel()).reshape(p.shape)
                                     * (0.3 + 0.1 * j + 0.05 * i)))
        models.append(m)
    return models


def test_an_ensemble_runs_as_one_vmapped_functional_call_with_stacked_weights():
    models = _ensemble(3)
    params, buffers = stack_module_state(models)
    assert [tuple(p.shape) for p in params.values()] == [(3, 4, 3), (3, 4), (3, 2, 4), (3, 2)]
    assert all(p.requires_grad and p.is_leaf for p in params.values()) and buffers == {}
    x = torch.tensor(np.linspace(-1, 1, 6).reshape(2, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # linear has a batching rule for stacked weights
        out = vmap(lambda p, b, x: functional_call(models[0], (p, b), (x,)),
                   in_dims=(0, 0, None))(params, buffers, x)
    want = np.stack([m(x).detach().numpy() for m in models])
    assert np.allclose(out.detach().numpy(), want)
    out.sum().backward()
    for j, m in enumerate(models):
        m.zero_grad()
        m(x).sum().backward()
        assert np.allclose(params["0.weight"].grad.numpy()[j], m[0].weight.grad.numpy())
    with pytest.raises(RuntimeError, match="same class"):
        stack_module_state([models[0], torch.nn.Linear(3, 4)])
    models[1].eval()
    with pytest.raises(RuntimeError, match="same training/eval mode"):
        stack_module_state(models)


def test_linearize_functionalize_and_batch_norm_replacement():
    x = torch.tensor(np.linspace(-1, 1, 6))
    y, jvp_fn = linearize(torch.sin, x)
    assert np.allclose(jvp_fn(torch.ones_like(x)).numpy(), np.cos(x.numpy()))
    assert np.allclose(functionalize(torch.sin)(x).numpy(), np.sin(x.numpy()))
    net = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.BatchNorm1d(3))
    assert replace_all_batch_norm_modules_(net) is net
    bn = net[1]
    assert bn.running_mean is None and bn.running_var is None and not bn.track_running_stats
    out = net(torch.randn(4, 3))  # normalized by the batch's own statistics
    assert np.allclose(out.detach().numpy().mean(0), bn.bias.detach().numpy(), atol=1e-5)


def test_autograd_graph_context_managers_and_the_meta_device():
    from chainrule.torch.autograd.graph import (
        disable_saved_tensors_hooks,
        save_on_cpu,
        saved_tensors_hooks,
    )

    x = torch.ones(3, requires_grad=True)
    with save_on_cpu(pin_memory=True), disable_saved_tensors_hooks("no hooks here"):
        (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(NotImplementedError, match="no pack/unpack hooks"):
        saved_tensors_hooks(lambda t: t, lambda t: t)
    # a 'meta' skeleton for functional_call (the ensembling tutorial's) is a CPU module
    skeleton = torch.nn.Linear(3, 2).to("meta")
    w, b = torch.ones(2, 3), torch.zeros(2)
    out = functional_call(skeleton, {"weight": w, "bias": b}, (torch.ones(1, 3),))
    assert out.tolist() == [[3.0, 3.0]]
    assert torch.empty(2, device="meta").shape == (2,)


def test_in_place_methods_on_dual_tensors_carry_the_tangent():
    # e.mul_(3) left a dual tensor unchanged (no error); e.sin_() raised as if e were a
    # leaf requiring grad.
    with fwAD.dual_level():
        e = fwAD.make_dual(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 0.5, -1.0]))
        e.mul_(3)
        primal, tangent = fwAD.unpack_dual(e)
        assert primal.tolist() == [3.0, 6.0, 9.0] and tangent.tolist() == [3.0, 1.5, -3.0]
        f = fwAD.make_dual(torch.tensor([0.3, 0.6], dtype=torch.float64),
                           torch.tensor([1.0, 2.0], dtype=torch.float64))
        f.sin_()
        assert np.allclose(fwAD.unpack_dual(f).tangent.numpy(), np.cos([0.3, 0.6]) * [1, 2])
        g = torch.tensor([1.0, 2.0])
        g.add_(fwAD.make_dual(torch.tensor([0.5, 0.5]), torch.tensor([1.0, -1.0])))
        assert fwAD.unpack_dual(g).tangent.tolist() == [1.0, -1.0]


def test_forward_over_reverse_gradient_carries_its_tangent():
    x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, torch.tensor([1.0, 0.0, -1.0], dtype=torch.float64))
        (g,) = torch.autograd.grad((d ** 3).sum(), x)
        assert g.tolist() == [3.0, 12.0, 27.0] and not g.requires_grad
        tangent = fwAD.unpack_dual(g).tangent  # the Hessian times v: 6 x v
        assert tangent.tolist() == [6.0, 0.0, -18.0] and not tangent.requires_grad


def test_batch_norm_replacement_reaches_sync_batch_norm():
    net = torch.nn.Sequential(torch.nn.SyncBatchNorm(3))
    replace_all_batch_norm_modules_(net)
    assert net[0].running_mean is None and not net[0].track_running_stats


def test_front_end_tensors_keep_pytorchs_methods_over_numpys():
    a = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert a.diagonal(dim1=0, dim2=1).tolist() == [1.0, 4.0]
    assert a.trace().item() == 5.0 and a.take(torch.tensor([0, 3])).tolist() == [1.0, 4.0]
    assert not any(hasattr(a, n) for n in ("ptp", "searchsorted", "argpartition", "conjugate"))
    z = torch.zeros(3, 3)
    z.diagonal().add_(1.0)  # a view, written through
    assert z.tolist() == np.eye(3).tolist()


def test_a_meta_skeleton_is_made_real_with_to_empty():
    model = torch.nn.Linear(3, 2).to("meta").to_empty(device="cpu")
    model.load_state_dict({"weight": torch.ones(2, 3), "bias": torch.zeros(2)})
    assert model(torch.ones(1, 3)).tolist() == [[3.0, 3.0]]
    with pytest.raises(RuntimeError, match="not available"):
        model.to_empty(device="cuda")


def test_a_functions_own_jvp_gives_its_forward_mode_with_save_for_forward():
    fwad = fwAD

    class Scaled(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, beta):
            ctx.save_for_backward(x)
            ctx.save_for_forward(x)
            ctx.beta = beta
            return torch.nn.functional.softplus(x * beta) / beta

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * torch.sigmoid(x * ctx.beta), None

        @staticmethod
        def jvp(ctx, x_t, beta_t):  # (3x backward's on purpose: the jvp is what runs)
            (x,) = ctx.saved_tensors
            assert beta_t is None  # (a number's tangent, as PyTorch passes it)
            return 3.0 * x_t * torch.sigmoid(x * ctx.beta)

    class Pair(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_forward(x, y)
            return x.round(), x * y

        @staticmethod
        def backward(ctx, g1, g2):
            return g1, g2

        @staticmethod
        def jvp(ctx, xt, yt):
            x, y = ctx.saved_tensors
            return xt, xt * y + x * yt

    x = torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64)
    v = torch.tensor([1.0, 0.5, -2.0], dtype=torch.float64)
    y = torch.tensor([1.5, 2.0, -1.0], dtype=torch.float64)
    with fwad.dual_level():
        out = Scaled.apply(fwad.make_dual(x, v), 2.0)
        np.testing.assert_allclose(fwad.unpack_dual(out).tangent.numpy(),
                                   3 * v.numpy() / (1 + np.exp(-2 * x.numpy())))
        a, b = Pair.apply(fwad.make_dual(x, v), y)  # (y's tangent: zeros)
        np.testing.assert_allclose(fwad.unpack_dual(a).tangent.numpy(), v.numpy())
        np.testing.assert_allclose(fwad.unpack_dual(b).tangent.numpy(), (v * y).numpy())
    xr = x.clone().requires_grad_()
    Scaled.apply(xr, 2.0).sum().backward()  # (reverse mode still runs backward)
    np.testing.assert_allclose(xr.grad.numpy(), 1 / (1 + np.exp(-2 * x.numpy())))


def test_a_functions_saved_output_is_differentiated_in_second_derivatives():
    # PyTorch's saved outputs are the Function's outputs: differentiating a gradient
    # through them goes through the Function again. Computed without recording, they
    # were constants (a second derivative of 0, a gradient penalty 40% off).
    class TanhSavingOutput(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.tanh()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * (1 - y * y)

    class Cube(torch.autograd.Function):  # (the torch.func tutorial's: saves output 2)
        @staticmethod
        def forward(x):
            return x ** 3, 3 * x ** 2

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0], output[1])

        @staticmethod
        def backward(ctx, g, g_dx):
            x, dx = ctx.saved_tensors
            return g * dx + g_dx * 6 * x

    x = torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64)
    t = np.tanh(x.numpy())
    hessian = torch.autograd.functional.hessian(lambda v: TanhSavingOutput.apply(v).sum(), x)
    np.testing.assert_allclose(np.diag(hessian.numpy()), -2 * t * (1 - t * t), rtol=1e-14)
    xr = x.clone().requires_grad_()
    (g,) = torch.autograd.grad(TanhSavingOutput.apply(xr).sum(), xr, create_graph=True)
    (g * g).sum().backward()
    np.testing.assert_allclose(xr.grad.numpy(), -4 * t * (1 - t * t) ** 2, rtol=1e-14)
    second = torch.func.grad(torch.func.grad(lambda v: Cube.apply(v)[0]))
    assert second(torch.tensor(0.7, dtype=torch.float64)).item() == pytest.approx(4.2, 1e-15)

    class Identity(torch.autograd.Function):  # (returns its input: a saved input stays one)
        @staticmethod
        def forward(ctx, v):
            ctx.save_for_backward(v)
            return v

        @staticmethod
        def backward(ctx, g):
            (v,) = ctx.saved_tensors
            return g * v * v

    xr = torch.tensor([0.3, 0.7], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(Identity.apply(xr).sum(), xr, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), xr)
    np.testing.assert_allclose(h.numpy(), [0.6, 1.4], rtol=1e-15)


def test_a_function_under_vmap_and_compile():
    # Its value is forward's result for every example (vmap) and call; a compiled step,
    # which would replay the backward on the captured call's ctx, refuses it.
    import chainrule as cr

    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    xs = torch.tensor([[1.0, 2.0], [3.0, -4.0]], dtype=torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (one example at a time)
        np.testing.assert_array_equal(torch.vmap(Square.apply)(xs).numpy(), xs.numpy() ** 2)
        grads = torch.vmap(torch.func.grad(lambda v: Square.apply(v).sum()))(xs)
    np.testing.assert_array_equal(grads.numpy(), 2 * xs.numpy())
    w = torch.ones(2, requires_grad=True)

    def step(x):
        w.grad = None
        loss = Square.apply(w * x).sum()
        loss.backward()
        return loss

    with pytest.raises(ValueError, match="Square .a torch.autograd.Function. cannot be replayed"):
        cr.compile(step)(np.array([1.0, 2.0]))
