"""Functional optimizers on pytrees, with the API of ``jax.example_libraries.optimizers``.

Each optimizer returns ``Optimizer(init_fn, update_fn, params_fn)``::

    opt_init, opt_update, get_params = optimizers.adam(1e-3)
    state = opt_init(params)
    state = opt_update(step, grads, state)   # step: 0, 1, 2, ...
    params = get_params(state)

An optimizer is written for one array (``init(x0) -> state``, ``update(i, g, state) ->
state``, ``get_params(state) -> x``) and the ``optimizer`` decorator runs it leaf by
leaf over a tree, as JAX's does, so the numbers are JAX's for the same inputs. The
arithmetic is chainrule.numpy's, so an update step may itself be differentiated.
"""

from __future__ import annotations

import functools
from collections import namedtuple
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from .. import numpy as cnp
from ..pytree import (
    flatten_like,
    register_pytree_node,
    tree_flatten,
    tree_leaves,
    tree_map,
    tree_unflatten,
)

Schedule = Callable[[int], Any]
# What an optimizer for one array is made of: (init, update, get_params).
_Maker = tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]

Optimizer = namedtuple("Optimizer", ["init_fn", "update_fn", "params_fn"])


class OptimizerState(NamedTuple):
    """An optimizer's state over a tree: the flattened per-leaf states, the parameters'
    structure and each leaf state's structure. A pytree whose children are the packed
    states, so it can be a ``lax.scan`` carry."""
    packed_state: list[Any]
    tree_def: Any
    subtree_defs: tuple[Any, ...]


register_pytree_node(
    OptimizerState,
    lambda s: ((s.packed_state,), (s.tree_def, s.subtree_defs)),
    lambda aux, children: OptimizerState(children[0], *aux),
)


# ------------------------------------------------------------------ schedules
def constant(step_size: float) -> Schedule:
    """The same step size at every step."""
    return lambda i: step_size


def exponential_decay(step_size: float, decay_steps: float, decay_rate: float) -> Schedule:
    """step_size * decay_rate ** (i / decay_steps)."""
    return lambda i: step_size * decay_rate ** (i / decay_steps)


def inverse_time_decay(step_size: float, decay_steps: float, decay_rate: float,
                       staircase: bool = False) -> Schedule:
    """step_size / (1 + decay_rate * i / decay_steps), the quotient floored if
    `staircase`."""
    if staircase:
        return lambda i: step_size / (1 + decay_rate * np.floor(i / decay_steps))
    return lambda i: step_size / (1 + decay_rate * i / decay_steps)


def polynomial_decay(step_size: float, decay_steps: int, final_step_size: float,
                     power: float = 1.0) -> Schedule:
    """From step_size to final_step_size over decay_steps steps along
    (1 - i / decay_steps) ** power, then final_step_size."""
    def schedule(i: int) -> Any:
        fraction_left = (1 - min(i, decay_steps) / decay_steps) ** power
        return fraction_left * (step_size - final_step_size) + final_step_size
    return schedule


def piecewise_constant(boundaries: Any, values: Any) -> Schedule:
    """values[k] for steps i with k boundaries below i (i > boundary, strictly)."""
    boundaries, values = np.asarray(boundaries), np.asarray(values)
    if not boundaries.ndim == values.ndim == 1:
        raise ValueError("boundaries and values must be sequences")
    if not boundaries.shape[0] == values.shape[0] - 1:
        raise ValueError("One more value than boundary is required")
    return lambda i: values[np.sum(i > boundaries)]


def make_schedule(scalar_or_schedule: float | Schedule) -> Schedule:
    """A schedule as it is, or a number as a constant schedule."""
    if callable(scalar_or_schedule):
        return scalar_or_schedule
    if np.ndim(scalar_or_schedule) == 0:
        return constant(scalar_or_schedule)
    raise TypeError(type(scalar_or_schedule))


# ------------------------------------------------------------------ the tree lifting
def optimizer(opt_maker: Callable[..., _Maker],
              ) -> Callable[..., Optimizer]:
    """Decorator: an optimizer written for one array becomes one over pytrees."""

    @functools.wraps(opt_maker)
    def tree_opt_maker(*args: Any, **kwargs: Any) -> Optimizer:
        init, update, get_params = opt_maker(*args, **kwargs)

        @functools.wraps(init)
        def tree_init(x0_tree: Any) -> OptimizerState:
            x0_flat, tree = tree_flatten(x0_tree)
            packed, subtrees = _flatten_each([init(x0) for x0 in x0_flat])
            return OptimizerState(packed, tree, subtrees)

        @functools.wraps(update)
        def tree_update(i: int, grad_tree: Any, opt_state: OptimizerState) -> OptimizerState:
            packed, tree, subtrees = opt_state
            grad_flat = _grads_like(tree, grad_tree)
            states = [tree_unflatten(d, s) for d, s in zip(subtrees, packed)]
            new_packed, new_subtrees = _flatten_each(
                [update(i, g, s) for g, s in zip(grad_flat, states)])
            for old, new in zip(subtrees, new_subtrees):
                if old != new:
                    raise TypeError("optimizer update function produced an output structure "
                                    "that did not match its input structure: input "
                                    f"{old} and output {new}.")
            return OptimizerState(new_packed, tree, subtrees)

        @functools.wraps(get_params)
        def tree_get_params(opt_state: OptimizerState) -> Any:
            packed, tree, subtrees = opt_state
            states = [tree_unflatten(d, s) for d, s in zip(subtrees, packed)]
            return tree_unflatten(tree, [get_params(s) for s in states])

        return Optimizer(tree_init, tree_update, tree_get_params)

    return tree_opt_maker


def _flatten_each(states: list[Any]) -> tuple[list[Any], tuple[Any, ...]]:
    flat = [tree_flatten(s) for s in states]
    return [leaves for leaves, _ in flat], tuple(d for _, d in flat)


def _grads_like(tree: Any, grad_tree: Any) -> list[Any]:
    """The gradient leaves in the parameters' order (dicts paired by key, so gradients
    built with their keys in another order still match)."""
    try:
        grads = flatten_like(tree, grad_tree, "optimizer update")
    except ValueError:
        grads = None
    if grads is None or any(tree_flatten(g)[1] is not None for g in grads):
        raise TypeError("optimizer update function was passed a gradient tree that did not "
                        "match the parameter tree structure with which it was initialized: "
                        f"parameter tree {tree} and grad tree {tree_flatten(grad_tree)[1]}.")
    return grads


# ------------------------------------------------------------------ optimizers
@optimizer
def sgd(step_size: float | Schedule) -> _Maker:
    """Stochastic gradient descent: x - step_size(i) * g."""
    step_size = make_schedule(step_size)

    def update(i: int, g: Any, x: Any) -> Any:
        return x - step_size(i) * g

    return (lambda x0: x0), update, (lambda x: x)


@optimizer
def momentum(step_size: float | Schedule, mass: float) -> _Maker:
    """Heavy ball: v = mass * v + g; x - step_size(i) * v."""
    step_size = make_schedule(step_size)

    def init(x0: Any) -> Any:
        return x0, cnp.zeros_like(x0)

    def update(i: int, g: Any, state: Any) -> Any:
        x, velocity = state
        velocity = mass * velocity + g
        return x - step_size(i) * velocity, velocity

    return init, update, lambda state: state[0]


@optimizer
def nesterov(step_size: float | Schedule, mass: float) -> _Maker:
    """Nesterov's accelerated gradient: v = mass * v + g; x - step_size(i) * (mass * v + g)."""
    step_size = make_schedule(step_size)

    def init(x0: Any) -> Any:
        return x0, cnp.zeros_like(x0)

    def update(i: int, g: Any, state: Any) -> Any:
        x, velocity = state
        velocity = mass * velocity + g
        return x - step_size(i) * (mass * velocity + g), velocity

    return init, update, lambda state: state[0]


@optimizer
def adagrad(step_size: float | Schedule, momentum: float = 0.9,
            ) -> _Maker:
    """Adagrad with momentum: the gradient scaled by 1/sqrt(sum of squared gradients)
    (0 where that sum is 0), averaged with weight `momentum`."""
    step_size = make_schedule(step_size)

    def init(x0: Any) -> Any:
        return x0, cnp.zeros_like(x0), cnp.zeros_like(x0)

    def update(i: int, g: Any, state: Any) -> Any:
        x, g_sq, m = state
        g_sq = g_sq + cnp.square(g)
        scale = cnp.where(g_sq > 0, 1.0 / cnp.sqrt(cnp.where(g_sq > 0, g_sq, 1.0)), 0.0)
        m = (1.0 - momentum) * (g * scale) + momentum * m
        return x - step_size(i) * m, g_sq, m

    return init, update, lambda state: state[0]


@optimizer
def rmsprop(step_size: float | Schedule, gamma: float = 0.9, eps: float = 1e-8,
            ) -> _Maker:
    """RMSProp: a = gamma * a + (1 - gamma) * g**2; x - step_size(i) * g / sqrt(a + eps)."""
    step_size = make_schedule(step_size)

    def init(x0: Any) -> Any:
        return x0, cnp.zeros_like(x0)

    def update(i: int, g: Any, state: Any) -> Any:
        x, avg_sq_grad = state
        avg_sq_grad = avg_sq_grad * gamma + cnp.square(g) * (1.0 - gamma)
        return x - step_size(i) * g / cnp.sqrt(avg_sq_grad + eps), avg_sq_grad

    return init, update, lambda state: state[0]


@optimizer
def rmsprop_momentum(step_size: float | Schedule, gamma: float = 0.9, eps: float = 1e-8,
                     momentum: float = 0.9) -> _Maker:
    """RMSProp whose scaled steps are accumulated with weight `momentum`."""
    step_size = make_schedule(step_size)

    def init(x0: Any) -> Any:
        return x0, cnp.zeros_like(x0), cnp.zeros_like(x0)

    def update(i: int, g: Any, state: Any) -> Any:
        x, avg_sq_grad, mom = state
        avg_sq_grad = avg_sq_grad * gamma + cnp.square(g) * (1.0 - gamma)
        mom = momentum * mom + step_size(i) * g / cnp.sqrt(avg_sq_grad + eps)
        return x - mom, avg_sq_grad, mom

    return init, update, lambda state: state[0]


@optimizer
def adam(step_size: float | Schedule, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
         ) -> _Maker:
    """Adam (Kingma and Ba): bias-corrected moment estimates m^, v^;
    x - step_size(i) * m^ / (sqrt(v^) + eps)."""
    step_size = make_schedule(step_size)

    def init(x0: Any) -> Any:
        return x0, cnp.zeros_like(x0), cnp.zeros_like(x0)

    def update(i: int, g: Any, state: Any) -> Any:
        x, m, v = state
        m = (1 - b1) * g + b1 * m
        v = (1 - b2) * cnp.square(g) + b2 * v
        # The corrections in the moments' dtype, so float32 parameters stay float32.
        m_hat = m / (1 - np.asarray(b1, _dtype(m)) ** (i + 1))
        v_hat = v / (1 - np.asarray(b2, _dtype(m)) ** (i + 1))
        return x - step_size(i) * m_hat / (cnp.sqrt(v_hat) + eps), m, v

    return init, update, lambda state: state[0]


@optimizer
def adamax(step_size: float | Schedule, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
           ) -> _Maker:
    """AdaMax: Adam with the infinity norm, u = max(b2 * u, |g|)."""
    step_size = make_schedule(step_size)

    def init(x0: Any) -> Any:
        return x0, cnp.zeros_like(x0), cnp.zeros_like(x0)

    def update(i: int, g: Any, state: Any) -> Any:
        x, m, u = state
        m = (1 - b1) * g + b1 * m
        u = cnp.maximum(b2 * u, cnp.abs(g))
        return x - (step_size(i) / (1 - b1 ** (i + 1))) * m / (u + eps), m, u

    return init, update, lambda state: state[0]


@optimizer
def sm3(step_size: float | Schedule, momentum: float = 0.9,
        ) -> _Maker:
    """SM3 (Anil et al.): Adagrad whose accumulator is kept as one vector per axis (its
    maxima over the other axes), the per-entry sum read as the minimum of the covers."""
    step_size = make_schedule(step_size)

    def init(x0: Any) -> Any:
        shape = np.shape(x0)
        x0 = cnp.atleast_1d(x0)
        vs = [cnp.zeros(n, dtype=_dtype(x0)) for n in np.shape(x0)]
        return x0, cnp.zeros_like(x0), vs, shape

    def update(i: int, g: Any, state: Any) -> Any:
        x, m, vs, shape = state
        ndim = np.ndim(g)
        covers = [cnp.reshape(v, _along(ndim, k, np.shape(v)[0])) for k, v in enumerate(vs)]
        accum = functools.reduce(cnp.minimum, covers) + cnp.square(g)
        scale = cnp.where(accum > 0, 1.0 / cnp.sqrt(cnp.where(accum > 0, accum, 1.0)), 0.0)
        m = (1.0 - momentum) * (g * scale) + momentum * m
        x = x - step_size(i) * m
        n = np.ndim(x)
        vs = [cnp.max(accum, axis=tuple(a for a in range(n) if a != k)) for k in range(n)]
        return x, m, vs, shape

    def get_params(state: Any) -> Any:
        x, _, _, shape = state
        return cnp.reshape(x, tuple(shape))

    return init, update, get_params


def _along(ndim: int, axis: int, size: int) -> tuple[int, ...]:
    """The shape that lays a vector of `size` along `axis` of an ndim-array (ndim 0: the
    vector as it is, as JAX's indexing leaves it)."""
    if ndim == 0:
        return (size,)
    return tuple(size if a == axis else 1 for a in range(ndim))


def _dtype(x: Any) -> Any:
    return x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype


# ------------------------------------------------------------------ utilities
def l2_norm(tree: Any) -> Any:
    """The Euclidean norm of all the leaves together."""
    leaves = tree_leaves(tree)
    return cnp.sqrt(sum(cnp.vdot(x, x) for x in leaves))


def clip_grads(grad_tree: Any, max_norm: float) -> Any:
    """The gradients scaled down together so their l2_norm is at most `max_norm`."""
    norm = l2_norm(grad_tree)
    return tree_map(lambda g: cnp.where(norm < max_norm, g, g * (max_norm / norm)), grad_tree)


class JoinPoint:
    """Marks where a parameter leaf's own state tree starts, in unpack_optimizer_state's
    output (a leaf of the parameters' structure)."""

    def __init__(self, subtree: Any) -> None:
        self.subtree = subtree

    def __iter__(self) -> Any:
        # (a leaf to the pytree functions, but `x, m, v = jp` reads the state as JAX's does)
        return iter(self.subtree)


def unpack_optimizer_state(opt_state: OptimizerState) -> Any:
    """The state as the parameters' tree with a JoinPoint (each leaf's state) at every
    leaf: plain Python values, to pickle or inspect."""
    packed, tree, subtrees = opt_state
    states = [tree_unflatten(d, s) for d, s in zip(subtrees, packed)]
    return tree_unflatten(tree, [JoinPoint(s) for s in states])


def pack_optimizer_state(marked_pytree: Any) -> OptimizerState:
    """The inverse of unpack_optimizer_state."""
    joins, tree = tree_flatten(marked_pytree, is_leaf=lambda x: isinstance(x, JoinPoint))
    if not all(isinstance(j, JoinPoint) for j in joins):
        raise TypeError("pack_optimizer_state: every leaf must be a JoinPoint, as "
                        "unpack_optimizer_state gives them")
    packed, subtrees = _flatten_each([j.subtree for j in joins])
    return OptimizerState(packed, tree, subtrees)
