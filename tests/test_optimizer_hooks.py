"""Optimizer hooks: step, state-dict and load hooks with PyTorch's signatures and order."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.torch as torch
from chainrule.optim.hooks import (
    register_optimizer_step_post_hook,
    register_optimizer_step_pre_hook,
)


def _param():
    p = cr.tensor(np.array([1.0, 2.0]), requires_grad=True)
    (p * p).sum().backward()
    return p


def test_step_hooks_order_arguments_and_removal():
    p = _param()
    opt = cr.optim.SGD([p], lr=0.1)
    log = []
    h = opt.register_step_pre_hook(lambda o, a, k: log.append(("pre", o is opt, a[0] is opt)))
    opt.register_step_post_hook(lambda o, a, k: log.append(("post", len(a), k)))
    g1 = register_optimizer_step_pre_hook(lambda o, a, k: log.append("global pre"))
    g2 = register_optimizer_step_post_hook(lambda o, a, k: log.append("global post"))
    try:
        opt.step()
    finally:
        g1.remove()
        g2.remove()
    assert log == ["global pre", ("pre", True, True), ("post", 1, {}), "global post"]
    np.testing.assert_allclose(p.numpy(), [0.8, 1.6])
    h.remove()
    log.clear()
    opt.step()
    assert log == [("post", 1, {})]


def test_step_pre_hook_replaces_the_arguments_and_checks_its_result():
    p = _param()
    opt = cr.optim.SGD([p], lr=0.1)
    opt.register_step_pre_hook(lambda o, a, k: (a, {"closure": lambda: 7.0}))
    assert opt.step() == 7.0
    opt2 = cr.optim.SGD([_param()], lr=0.1)
    opt2.register_step_pre_hook(lambda o, a, k: 3)
    with pytest.raises(RuntimeError, match="pair"):
        opt2.step()


def test_state_dict_and_load_hooks():
    p = _param()
    opt = cr.optim.Adam([p], lr=0.1)
    opt.step()
    log = []
    opt.register_state_dict_pre_hook(lambda o: log.append("pre"))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    opt.register_state_dict_post_hook(lambda o, sd: log.append(("first", "extra" in sd)),
                                      prepend=True)
    sd = opt.state_dict()
    assert sd["extra"] == 1 and log == ["pre", ("first", False)]
    log.clear()

    def drop_extra(o, saved):
        log.append(sorted(saved))
        return {k: v for k, v in saved.items() if k != "extra"}

    opt.register_load_state_dict_pre_hook(drop_extra)
    opt.register_load_state_dict_post_hook(lambda o: log.append("loaded"))
    opt.load_state_dict(sd)  # (without the pre-hook the unknown key "extra" is refused)
    assert log == [["extra", "param_groups", "state"], "loaded"]
    assert "extra" in sd  # the caller's dict is not changed


def test_a_subclass_runs_the_hooks_once_around_its_own_step():
    log = []

    class Logged(cr.optim.SGD):
        def step(self, closure=None):
            log.append("step")
            return super().step(closure)

    p = _param()
    cr.optim.SGD([_param()], lr=0.1).step()
    opt = Logged([p], lr=0.1)
    opt.register_step_post_hook(lambda o, a, k: log.append("post"))
    opt.step()
    assert log == ["step", "post"]


def test_front_end_hooks_and_module_path():
    from chainrule.torch.optim.optimizer import register_optimizer_step_pre_hook as reg

    assert reg is register_optimizer_step_pre_hook
    w = torch.nn.Parameter(torch.ones(3, dtype=torch.float64))

    class Plain(torch.optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": 0.5})

        @torch.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for q in group["params"]:
                    q.add_(q.grad, alpha=-group["lr"])

    opt = Plain([w])
    seen = []
    opt.register_step_pre_hook(lambda o, a, k: seen.append(type(o).__name__))
    opt.register_state_dict_post_hook(lambda o, sd: seen.append(sorted(sd)))
    (w * w).sum().backward()
    opt.step()
    opt.state_dict()
    assert seen == ["Plain", ["param_groups", "state"]]
    np.testing.assert_allclose(w.detach().numpy(), [0.0, 0.0, 0.0])
    # the front end's built-in optimizers convert the engine's state dict: the post-hook
    # sees (and runs once on) PyTorch's form
    adam = torch.optim.Adam([w], lr=0.1)
    (w * w).sum().backward()
    adam.step()
    forms = []
    adam.register_state_dict_post_hook(lambda o, sd: forms.append(list(sd["state"])))
    adam.state_dict()
    assert forms == [[0]]


def test_lbfgs_step_hooks():
    x = cr.tensor(np.array([3.0]), requires_grad=True)
    opt = cr.optim.LBFGS([x], max_iter=5)
    calls = []
    opt.register_step_post_hook(lambda o, a, k: calls.append(o is opt))

    def closure():
        opt.zero_grad()
        loss = ((x - 1.0) ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    assert calls == [True]
    np.testing.assert_allclose(x.numpy(), [1.0], atol=1e-6)


def test_hooks_are_not_copied_or_pickled_and_keyword_loading_works():
    import copy
    import pickle

    p = _param()
    opt = cr.optim.SGD([p], lr=0.1)
    calls = []
    opt.register_step_pre_hook(lambda o, a, k: calls.append(o))
    twin = copy.deepcopy(opt)
    twin.step()
    assert calls == []  # (as PyTorch: a copy has no hooks)
    assert pickle.loads(pickle.dumps(opt)).param_groups[0]["lr"] == 0.1
    # a copy made inside a hook still runs hooks of its own
    copies = []
    opt.register_step_post_hook(lambda o, a, k: copies.append(copy.deepcopy(o)))
    opt.step()
    seen = []
    copies[0].register_step_pre_hook(lambda o, a, k: seen.append(1))
    copies[0].step()
    assert seen == [1]
    loaded = []
    opt.register_load_state_dict_post_hook(lambda o: loaded.append(1))
    opt.load_state_dict(state_dict=opt.state_dict())
    assert loaded == [1]


def test_a_subclass_may_name_its_step_function_anything():
    class Aliased(cr.optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": 0.5})

        def _update(self, closure=None):
            for group in self.param_groups:
                for q in group["params"]:
                    q.data -= group["lr"] * q.grad.data

        step = _update

    p = _param()
    opt = Aliased([p])
    ran = []
    opt.register_step_post_hook(lambda o, a, k: ran.append(1))
    opt.step()
    assert ran == [1]
    np.testing.assert_allclose(p.numpy(), [0.0, 0.0])


def test_added_parameter_groups_get_pytorchs_switches():
    opt = torch.optim.Adam([torch.nn.Parameter(torch.ones(2))], foreach=False)
    opt.add_param_group({"params": [torch.nn.Parameter(torch.ones(3))], "lr": 0.5})
    first, added = opt.param_groups
    for k in ("foreach", "fused", "capturable", "differentiable"):
        assert added[k] == first[k], k
