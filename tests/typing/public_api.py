"""chainrule's public API used as users use it, for the type checker (.ci/run: mypy).

In the spirit of NumPy's and typeshed's typing tests: every line here must type-check
under mypy --strict (pyproject.toml [tool.mypy]), `assert_type` pins what the checker
infers, and each line ending in `# type: ignore[code]` must be rejected with that
error code: warn_unused_ignores turns an accepted one into a failure. The file also
runs (tests/test_packaging.py), so it stays real code; the lines that must be rejected
sit in functions it never calls.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

import chainrule as cr
import chainrule.numpy as cnp
from chainrule import nn, optim
from chainrule.gradcheck import GradcheckError, compare
from chainrule.pytree import tree_flatten, tree_map, tree_unflatten

if sys.version_info >= (3, 11):
    from typing import assert_type
else:
    from typing_extensions import assert_type


# ------------------------------------------------------------ the transforms
def loss(w: npt.NDArray[np.float64], x: npt.NDArray[np.float64], scale: float = 1.0) -> Any:
    return cnp.sum(cnp.tanh(x @ w) ** 2) * scale


w = np.linspace(-1.0, 1.0, 6).reshape(3, 2)
x = np.linspace(0.0, 1.0, 12).reshape(4, 3)

# A transform keeps the function's parameters: names, types, defaults (the misuses
# below are rejected).
dloss = cr.grad(loss)
g = dloss(w, x)
g_scaled = dloss(w, x, scale=2.0)
assert np.allclose(g_scaled, 2.0 * g)

value, g2 = cr.value_and_grad(loss, argnum=(0, 1))(w, x)
assert_type(cr.value_and_grad(loss)(w, x), tuple[Any, Any])
assert isinstance(g2, tuple) and len(g2) == 2

j_rev = cr.jacobian(cnp.tanh)(np.array([0.1, 0.2]))
j_fwd = cr.jacobian(cnp.tanh, mode="fwd")(np.array([0.1, 0.2]))
assert np.allclose(j_rev, j_fwd)


def f(v: npt.NDArray[np.float64]) -> Any:
    return cnp.sum(cnp.sin(v) * v)


h = cr.hessian(f)(np.array([0.3, -0.4]))
hv = cr.hvp(f, np.array([0.3, -0.4]), np.array([1.0, 0.0]))
assert np.allclose(h[:, 0], hv)
out, tangent = cr.jvp(f, (np.array([0.3, -0.4]),), (np.array([1.0, 0.0]),))
out, vjp_fn = cr.vjp(f, np.array([0.3, -0.4]))
assert_type(vjp_fn, Callable[[Any], tuple[Any, ...]])
(cotangent,) = vjp_fn(1.0)
out, vjp_fn, aux = cr.vjp(lambda v: (cr.sin(v), "aux"), np.array([0.3]), has_aux=True)
assert aux == "aux"


def loss_and_norm(w: npt.NDArray[np.float64]) -> tuple[Any, Any]:
    return cr.sum(cr.tanh(w) ** 2), np.linalg.norm(w)


g_aux, norm = cr.grad(loss_and_norm, has_aux=True)(w)
assert np.isclose(norm, np.linalg.norm(w))
assert np.allclose(cr.jacrev(f)(np.array([0.3, -0.4])), cr.jacfwd(f)(np.array([0.3, -0.4])))
value, f_jvp = cr.linearize(f, np.array([0.3, -0.4]))
assert np.isclose(f_jvp(np.array([1.0, 0.0])), tangent)
per_example = cr.vmap(cr.grad(loss), in_axes=(None, 0))(w, x[:, None, :])
assert per_example.shape == (4, 3, 2)
assert np.allclose(cr.elementwise_grad(cnp.tanh)(np.zeros(3)), 1.0)

# Pytrees: structures in, the same structures out.
params = {"w": w, "b": np.zeros(2)}
leaves, treedef = tree_flatten(params)
assert_type(leaves, list[Any])
rebuilt = tree_unflatten(treedef, [leaf * 2 for leaf in leaves])
doubled = tree_map(lambda a: a * 2, params)
assert np.array_equal(rebuilt["w"], doubled["w"])

# ------------------------------------------------------------ checking rules
ok = cr.gradcheck(lambda t: cr.tanh(t).sum(), np.array([0.1, 0.2]), order=2, modes=("rev",))
assert_type(ok, bool)
gap = compare(lambda t: cr.tanh(t).sum(), np.array([0.1, 0.2]))
assert_type(gap.max_error, float)
assert gap.max_error < 1e-6


def _rejected_by_the_checker() -> None:
    """Misuses the annotations catch; never called (each would raise at run time)."""
    cr.gradcheck(lambda t: t, np.ones(2), order=3)  # type: ignore[arg-type]
    cr.gradcheck(lambda t: t, np.ones(2), modes=("reverse",))  # type: ignore[arg-type]
    cr.jacobian(f, mode="forward")  # type: ignore[arg-type]
    cr.grad(f, argnums=[0, 1])  # type: ignore[arg-type]
    _, _ = cr.vjp(f, np.ones(2), has_aux=True)  # type: ignore[misc]
    dloss(w)  # type: ignore[call-arg]
    dloss(w, x, scale="two")  # type: ignore[arg-type]
    cr.jvp(f, np.ones(2), np.ones(2))  # type: ignore[arg-type]
    cr.data.load_digit()  # type: ignore[attr-defined]
    cr.no_such_operation  # type: ignore[attr-defined]  # noqa: B018


# ------------------------------------------------ the package's other names
t = cr.tensor([1.0, 2.0], requires_grad=True)
with cr.no_grad():
    assert not (t * 2.0).requires_grad
with cr.detect_anomaly():
    cr.tanh(t).sum().backward()
assert isinstance(t, cr.Tensor)

model = nn.Sequential(nn.Linear(3, 2, rng=0), nn.Tanh())
opt = optim.SGD(model.parameters(), lr=0.1)

# Layers' constructors are annotated with PyTorch's parameter names and types.
layers = nn.ModuleList([
    nn.Conv2d(1, 4, kernel_size=3, padding="same", bias=False),
    nn.LSTM(4, 8, num_layers=2, batch_first=True, dropout=0.1, rng=0),
    nn.TransformerEncoderLayer(8, nhead=2, dim_feedforward=16, activation="gelu", rng=0),
    nn.CrossEntropyLoss(label_smoothing=0.1, ignore_index=-1, reduction="sum"),
    nn.LayerNorm((4, 8), eps=1e-6, dtype=np.float64),
    nn.AdaptiveAvgPool2d((None, 2)),
])
assert len(layers) == 6


def _rejected_layer_calls() -> None:  # never called: each line must be rejected
    nn.Linear(3, "2")  # type: ignore[arg-type]
    nn.CrossEntropyLoss(reduction="avg")  # type: ignore[arg-type]
    nn.LSTM(4, 8, batch_frist=True)  # type: ignore[call-arg]
    nn.GELU(approximate="fast")  # type: ignore[arg-type]


# nn.Module's methods (annotated in nn/module.py): the self-returning ones keep the subclass.
assert_type(model.train(), nn.Sequential)
assert_type(model.eval().to(np.float32), nn.Sequential)
model_params: list[nn.Parameter] = list(model.parameters())
named: list[tuple[str, nn.Parameter]] = list(model.named_parameters())
assert len(model_params) == len(named) == 2
sd = model.state_dict()
assert_type(sd, dict[str, Any])
model.load_state_dict(sd)
model.zero_grad()
handle = model.register_forward_hook(lambda module, args, output: None)
handle.remove()
assert_type(model.get_submodule("0"), nn.Module)

# The lazily imported submodules are modules to the checker as at run time.
X, y = cr.data.load_digits()
assert callable(cr.io.save) and callable(cr.distributed.init)
assert callable(cr.scipy.special.erf)

try:
    cr.gradcheck(lambda t: t * t * t, np.array([1.0]), atol=0.0, rtol=0.0, eps=0.5)
except GradcheckError:
    pass
else:
    raise AssertionError("a large eps gives a finite difference off by eps^2 = 0.25")


# ------------------------------------------------------------ operations
# A Tensor in gives a Tensor (or the tuple the operation is annotated with); NumPy in
# gives NumPy, which the checker leaves as Any. Keywords are checked by name and type.
v = cr.tensor(np.linspace(-1.0, 1.0, 6).reshape(2, 3), requires_grad=True)
assert_type(cr.tanh(v), cr.Tensor)
assert_type(cr.add(2.0, v), cr.Tensor)
assert_type(cr.sum(v, axis=1), cr.Tensor)
assert_type(cr.tanh(np.ones(3)), Any)
assert_type(cr.mean(v, axis=(0, 1), keepdims=True), cr.Tensor)
assert_type(cr.var(v, axis=0, ddof=1), cr.Tensor)
assert_type(cr.cross_entropy(v, np.array([0, 2]), label_smoothing=0.1), cr.Tensor)
assert_type(cr.sort(v, dim=1).values, cr.Tensor)
assert_type(cr.topk(v, 2).indices, cr.Tensor)
assert_type(cr.split(v, 3, axis=1), list[cr.Tensor])
assert_type(cr.argsort(v, descending=True), cr.Tensor)
assert_type(cr.gather(v, 1, np.array([[0], [2]])), cr.Tensor)
assert_type(cr.stop_gradient(v), cr.Tensor)
assert_type(cr.gelu(v, approximate="tanh"), cr.Tensor)
cr.mean(cr.gelu(v) * cr.clamp(v, min=0.0)).backward()
assert v.grad is not None and v.grad.shape == (2, 3)


def _rejected_operation_calls() -> None:  # never called: each line must be rejected
    cr.mean(v, axis="rows")  # type: ignore[call-overload]
    cr.cross_entropy(v, np.array([0, 2]), reduction="avg")  # type: ignore[call-overload]
    cr.gelu(v, approximate="fast")  # type: ignore[call-overload]
    cr.sort(v, dim=1).vals  # type: ignore[attr-defined]  # noqa: B018
    cr.topk(v, k=2.5)  # type: ignore[call-overload]


# ------------------------------------------------------------ Tensor's methods
t = cr.tensor(np.ones((2, 3)), requires_grad=True)
assert_type(t, cr.Tensor)
assert_type(t.shape, tuple[int, ...])
assert_type(t.ndim, int)
assert_type(t.dtype, np.dtype[Any])
assert_type(t.sum(axis=0, keepdims=True), cr.Tensor)
assert_type(t.mean(axis=(0, 1)).exp(), cr.Tensor)
assert_type((t * 2.0 + t) @ t.T, cr.Tensor)
assert_type(1.0 - t / 3, cr.Tensor)
assert_type(t.reshape(3, 2).transpose(1, 0)[0], cr.Tensor)
assert_type(t.detach().numpy(), np.ndarray[Any, Any])
assert_type(float(t.sum()), float)
assert_type(cr.as_tensor([1.0, 2.0], dtype=np.float32), cr.Tensor)
t.sum().backward()
assert t.grad is not None


def _rejected_tensor_calls() -> None:  # never called: each line must be rejected
    t.sum(axis="rows")  # type: ignore[arg-type]
    t.backward(create_graph="yes")  # type: ignore[arg-type]


# ------------------------------------------------------- optimizers and schedules
adam = optim.Adam(model.parameters(), lr=1e-3)
schedule = optim.lr_scheduler.StepLR(adam, step_size=10)
adam.zero_grad(set_to_none=True)
assert_type(adam.step(), Any)
schedule.step()
assert_type(schedule.get_last_lr(), list[float])
assert_type(adam.state_dict(), dict[str, Any])
adam.load_state_dict(adam.state_dict())
assert_type(adam.param_groups, list[dict[str, Any]])


def _rejected_optimizer_calls() -> None:  # never called: each line must be rejected
    adam.zero_grad(set_to_none="no")  # type: ignore[arg-type]
