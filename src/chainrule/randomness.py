"""Which random generators a computation draws from, so it can be run again with the
same draws (cr.checkpoint's recomputation of a segment with dropout in it).

Every draw in chainrule goes through ``chainrule.nn.init.generator`` (the default
generator, or the one a layer was given), which tells :func:`noticed` of the generator
it hands out. While :func:`recording` is active, the first time a generator is handed
out its state is kept; :func:`replaying` puts those states back for a block and then
restores the states the generators had before it, so the rest of the program's random
stream is not disturbed.
"""

from __future__ import annotations

import contextlib
import copy

_recorders: list = []


def noticed(generator):
    """Called by nn.init.generator with the generator it is about to hand out."""
    if _recorders:
        states = _recorders[-1]
        if id(generator) not in states:
            states[id(generator)] = (generator, copy.deepcopy(generator.bit_generator.state))


@contextlib.contextmanager
def recording():
    """Yield a dict (id -> (generator, state before its first draw)) filled by the block."""
    states: dict = {}
    _recorders.append(states)
    try:
        yield states
    finally:
        _recorders.remove(states)
        if _recorders:  # an enclosing recording sees these generators too
            for key, value in states.items():
                _recorders[-1].setdefault(key, value)


@contextlib.contextmanager
def replaying(states):
    """Run the block with the generators at the recorded states; restore them after."""
    now = [(g, copy.deepcopy(g.bit_generator.state)) for g, _ in states.values()]
    for g, state in states.values():
        g.bit_generator.state = copy.deepcopy(state)
    try:
        yield
    finally:
        for g, state in now:
            g.bit_generator.state = state
