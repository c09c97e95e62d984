"""Every public function, checked through one op database (tests/opdb).

For each entry and each of its samples: values against NumPy/SciPy, gradients in
reverse and forward mode to second order (float64), the same with a list of tensors
where NumPy takes array_like, float32 kept, and finite results on the domain.
"""

from __future__ import annotations

import numpy as np
import pytest
from opdb import OPS, check_sample

_RUNS = [(op, k) for op in OPS for k in range(len(op.samples(np.random.default_rng(0))))]


@pytest.mark.parametrize(
    "op, k", _RUNS, ids=[f"{op.name}-{k}" for op, k in _RUNS]
)
def test_op(op, k):
    # Each sample is drawn again from a generator seeded by the entry's name and index,
    # so a failure reproduces on its own.
    rng = np.random.default_rng(k)
    sample = op.samples(rng)[k]
    check_sample(op, sample)


# ------------------------------------------------------------------ coverage
# Public callables that are not operations on arrays: constructors, transforms, modes,
# declarations, tools.
NOT_OPERATIONS = {
    "cr": {
        "tensor", "as_tensor", "grad", "value_and_grad", "vjp", "jvp", "jacobian", "hessian",
        "hvp", "elementwise_grad", "gradcheck", "explain", "primitive", "elementwise",
        "nondifferentiable", "no_grad", "enable_grad", "set_grad_enabled",
        "is_grad_enabled", "detect_anomaly", "vmap", "jacfwd", "jacrev", "linearize",
        "checkpoint", "compile", "get_num_threads", "set_num_threads",
    },
}


def _public_operations():
    """(namespace prefix, name) of every public operation the op database must cover."""
    import inspect

    import chainrule as cr
    import chainrule.nn.jax as jnn

    out = []
    for prefix, module, names in (("cr", cr, dir(cr)), ("jnn", jnn, jnn.__all__)):
        skip = NOT_OPERATIONS.get(prefix, set())
        for name in sorted(names):
            obj = getattr(module, name)
            if name.startswith("_") or name in skip or not callable(obj):
                continue
            if inspect.isclass(obj) or inspect.ismodule(obj):
                continue
            out.append(f"{prefix}.{name}")
    return out


def test_every_public_operation_has_an_entry():
    covered = {op.name.split(" ")[0] for op in OPS}
    public = _public_operations()
    missing = [name for name in public if name not in covered]
    print(f"op database: {len(public) - len(missing)} of {len(public)} public operations "
          f"covered, {len(OPS)} entries, {len(_RUNS)} samples")
    assert not missing, f"public operations without an op-database entry: {missing}"


# ----------------------------------------------------------- it can fail
def _entry(name):
    return next(op for op in OPS if op.name == name)


def _runs_fail(op):
    """True when checking `op` on its samples raises somewhere."""
    rng = np.random.default_rng(0)
    for sample in op.samples(rng):
        try:
            check_sample(op, sample)
        except AssertionError:
            return True
    return False


@pytest.mark.parametrize("which", ["derivative", "forward mode only", "second order only"])
def test_a_wrong_rule_is_caught(which):
    from chainrule import primitives as P

    sin = P.sin
    saved = sin.vjps, sin.jvps, sin._inline, sin.derivatives
    try:
        if which == "derivative":
            # cos(x) * 1.01: one percent off, everywhere.
            sin.defderivatives(lambda ans, x: P.cos(x) * 1.01)
        elif which == "forward mode only":
            sin.jvps = (lambda t, ans, x: t * P.cos(x) * 1.01,)
        else:
            # Right values, but the rule is not differentiable again correctly: its own
            # derivative treats cos(x) as a constant.
            sin._inline = None
            sin.vjps = (lambda g, ans, x: g * _constant(P.cos(x)),)
        assert _runs_fail(_entry("cr.sin"))
    finally:
        sin.vjps, sin.jvps, sin._inline, sin.derivatives = saved
    assert not _runs_fail(_entry("cr.sin"))


def _constant(v):
    return v.detach() if hasattr(v, "detach") else v
