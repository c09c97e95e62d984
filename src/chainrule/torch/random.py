"""``torch.random``: the default generator's seed and state (chainrule.torch.generators),
and ``fork_rng``. A state is the NumPy bit generator's state (a dict), opaque as
PyTorch's ByteTensor is: give back to ``set_rng_state`` what ``get_rng_state`` returned."""

from __future__ import annotations

import contextlib
import copy

from ..nn import init as _init
from .generators import initial_seed, manual_seed, seed

__all__ = ["fork_rng", "get_rng_state", "initial_seed", "manual_seed", "seed",
           "set_rng_state"]


def get_rng_state():
    return copy.deepcopy(_init.generator().bit_generator.state)


def set_rng_state(new_state):
    _init.generator().bit_generator.state = copy.deepcopy(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type="cuda"):
    """The default generator's state put back when the block ends."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
