"""``torch.manual_seed`` and ``torch.Generator`` over NumPy's random generators.

One default generator serves every draw that is not given its own: the front end's
``rand``/``randn``/``randint``/``randperm``/``multinomial``, chainrule.nn's weight
initialisation and dropout masks (chainrule.nn.init keeps it; ``manual_seed`` replaces
it). The numbers differ from PyTorch's for the same seed (another algorithm): programs
are reproducible, but not bit-identical to a PyTorch run.
"""

from __future__ import annotations

import numpy as np

from ..nn import init as _init


def manual_seed(seed):
    """Reseed the default generator (weights, dropout, sampling); return it."""
    _init.manual_seed(int(seed))
    return default_generator


def seed():
    """Reseed the default generator from fresh entropy; return the seed."""
    s = int(np.random.SeedSequence().entropy % (2**63))
    _init.manual_seed(s)
    return s


def initial_seed():
    return int(_init.generator().bit_generator.seed_seq.entropy)


class Generator:
    """``torch.Generator()``: an independent stream (``.manual_seed(s)`` returns it)."""

    def __init__(self, device="cpu"):
        self._seed = int(np.random.SeedSequence().entropy % (2**63))
        self._rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed):
        self._seed = int(seed)
        self._rng = np.random.default_rng(self._seed)
        return self

    def seed(self):
        """Reseed from fresh entropy; return the seed."""
        return self.manual_seed(int(np.random.SeedSequence().entropy % (2**63)))._seed

    def initial_seed(self):
        """The seed this generator was last seeded with."""
        return self._seed

    def get_state(self):
        return self._rng.bit_generator.state

    def set_state(self, state):
        self._rng.bit_generator.state = state
        return self


class _Default(Generator):
    """The default generator: chainrule.nn.init's, whichever that is at the moment."""

    def __init__(self):
        pass

    @property
    def _rng(self):
        return _init.generator()

    def manual_seed(self, seed):
        return manual_seed(seed)

    def seed(self):
        return seed()

    def initial_seed(self):
        return initial_seed()

    def set_state(self, state):
        _init.generator().bit_generator.state = state
        return self


default_generator = _Default()


def draw(generator=None):
    """The NumPy Generator to draw from: ``generator``'s, or the default one now."""
    if generator is None:
        return _init.generator()
    if isinstance(generator, Generator):
        return generator._rng
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
