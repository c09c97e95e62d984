"""Optimizers and learning-rate schedules against PyTorch, in float64 (run when torch imports).

    python parity/optim.py

Each optimizer configuration takes the same 12 steps from the same parameters in both
libraries on the same smooth loss (gradients computed by each library); each schedule
runs 40 steps on a two-group optimizer. Prints the largest relative difference of
parameters (optimizers) or learning rates (schedules) per case, and a verdict against
1e-10. Not part of the test suite: PyTorch is no dependency of chainrule.
"""

from __future__ import annotations

import math
import sys

import numpy as np

try:
    import torch
except ImportError:
    print("parity/optim.py: PyTorch is not importable; nothing to compare")
    sys.exit(0)

import chainrule as cr
from chainrule import optim
from chainrule.optim import lr_scheduler as sched

torch.set_default_dtype(torch.float64)
GOAL = 1e-10

SHAPES = [(3, 4), (4,), (2, 2, 3)]


def start_values(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=s) for s in SHAPES], [rng.normal(size=s) for s in SHAPES]


def loss_cr(params, targets):
    total = 0
    for p, t in zip(params, targets):
        total = total + cr.sum(cr.log(1 + (p - t) ** 2)) + 0.1 * cr.sum(p**4)
    return total


def loss_torch(params, targets):
    total = 0
    for p, t in zip(params, targets):
        total = total + torch.sum(torch.log(1 + (p - torch.from_numpy(t)) ** 2)) \
            + 0.1 * torch.sum(p**4)
    return total


def relative(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def run_optimizer(name, kwargs, steps=12, closure=False):
    values, targets = start_values()
    ours = [cr.tensor(v.copy(), requires_grad=True) for v in values]
    theirs = [torch.tensor(v.copy(), requires_grad=True) for v in values]
    opt_c = getattr(optim, name)(ours, **kwargs)
    opt_t = getattr(torch.optim, name)(theirs, **kwargs)

    sign = -1.0 if kwargs.get("maximize") else 1.0  # maximize climbs -loss

    def closure_c():
        opt_c.zero_grad()
        loss = sign * loss_cr(ours, targets)
        loss.backward()
        return loss

    def closure_t():
        opt_t.zero_grad()
        loss = sign * loss_torch(theirs, targets)
        loss.backward()
        return loss

    worst = 0.0
    for _ in range(steps):
        if closure:
            opt_c.step(closure_c)
            opt_t.step(closure_t)
        else:
            closure_c()
            opt_c.step()
            closure_t()
            opt_t.step()
        for a, b in zip(ours, theirs):
            worst = max(worst, relative(a.data, b.detach().numpy()))
    return worst


OPTIMIZERS = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, maximize=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, maximize=True)),
    ("AdamW", dict(lr=0.01, amsgrad=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, maximize=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.1, maximize=True)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, maximize=True)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.01, momentum_decay=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict()),
    ("RAdam", dict(lr=0.01, betas=(0.5, 0.8), weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, betas=(0.5, 0.8), weight_decay=0.1, decoupled_weight_decay=True)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2), maximize=True)),
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.1, lambd=1e-2, alpha=0.6, t0=3, weight_decay=0.01)),
    ("Adafactor", dict()),
    ("Adafactor", dict(lr=0.05, beta2_decay=-0.5, eps=(1e-20, 1e-2), d=2.0, weight_decay=0.1,
                       maximize=True)),
]
LBFGS_CASES = [
    dict(lr=0.5, max_iter=5, history_size=3),
    dict(lr=1, max_iter=20, history_size=10),
    dict(max_iter=20, history_size=10, line_search_fn="strong_wolfe"),
    dict(max_iter=7, history_size=2, line_search_fn="strong_wolfe", tolerance_change=1e-12),
]


def schedule_lrs(make, lib, steps=40):
    if lib == "torch":
        params = [torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)]
        opt = torch.optim.SGD([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.3}],
                              lr=0.1, momentum=0.9)
        module = torch.optim.lr_scheduler
    else:
        params = [cr.tensor(np.zeros(1), requires_grad=True) for _ in range(2)]
        opt = optim.SGD([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.3}],
                        lr=0.1, momentum=0.9)
        module = sched
    scheduler = make(module, opt)
    seen = [[g["lr"], g.get("momentum", 0.0)] for g in opt.param_groups]
    for i in range(steps):
        opt.step()
        if isinstance(scheduler, module.ReduceLROnPlateau):
            scheduler.step(1.0 / (1 + i // 7))
        else:
            scheduler.step()
        seen += [[g["lr"], g.get("momentum", 0.0)] for g in opt.param_groups]
    return np.array(seen, dtype=np.float64)


SCHEDULES = {
    "StepLR": lambda m, o: m.StepLR(o, 4, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, [3, 7, 7, 20], gamma=0.5),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, 0.9),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=9, eta_min=0.01),
    "LambdaLR": lambda m, o: m.LambdaLR(o, [lambda e: 0.9**e, lambda e: 1 / (1 + e)]),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.95),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=6),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=5),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=12, power=2.0),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=0.001),
    "CyclicLR triangular2": lambda m, o: m.CyclicLR(o, 0.01, [0.1, 0.5], step_size_up=3,
                                                     step_size_down=5, mode="triangular2"),
    "CyclicLR exp_range": lambda m, o: m.CyclicLR(o, 0.01, 0.2, step_size_up=4,
                                                   mode="exp_range", gamma=0.97),
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, max_lr=[1.0, 2.0], total_steps=41),
    "OneCycleLR three_phase linear": lambda m, o: m.OneCycleLR(
        o, max_lr=1.0, total_steps=45, three_phase=True, anneal_strategy="linear"),
    "ReduceLROnPlateau": lambda m, o: m.ReduceLROnPlateau(o, factor=0.5, patience=2,
                                                         cooldown=1, min_lr=[0.01, 0.05]),
    "SequentialLR": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=5),
            m.CosineAnnealingLR(o, T_max=10), m.ExponentialLR(o, 0.9)], milestones=[5, 15]),
    "ChainedScheduler": lambda m, o: m.ChainedScheduler(
        [m.ConstantLR(o, factor=0.1, total_iters=3), m.ExponentialLR(o, gamma=0.9),
         m.StepLR(o, 5, 0.5)]),
}


def _args(kwargs):
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())


def main():
    print(f"chainrule {cr.__version__} against PyTorch {torch.__version__}, float64")
    failures = 0
    rows = [(f"{n}({_args(k)})", run_optimizer(n, k)) for n, k in OPTIMIZERS]
    rows += [(f"LBFGS({_args(k)}), 4 steps", run_optimizer("LBFGS", k, steps=4, closure=True))
             for k in LBFGS_CASES]
    rows += [(f"{n} (lr, momentum)",
              relative(schedule_lrs(make, "cr"), schedule_lrs(make, "torch")))
             for n, make in SCHEDULES.items()]
    width = max(len(r[0]) for r in rows)
    for label, diff in rows:
        ok = diff <= GOAL and math.isfinite(diff)
        failures += not ok
        print(f"{label:<{width}}  {diff:.2e}  {'PASS' if ok else 'FAIL'}")
    print(f"{len(rows) - failures}/{len(rows)} within {GOAL:g}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
