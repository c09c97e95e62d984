"""``torch.utils.checkpoint``: a segment's activations recomputed in backward instead of
stored, through ``cr.checkpoint`` (chainrule.checkpointing).

The segment is run again during backward with the default generator put back where it
was, so dropout draws the same masks (PyTorch's ``preserve_rng_state=True``). The
function returns a tensor, or a tuple, list or dict of tensors.
"""

from __future__ import annotations

from ...checkpointing import checkpoint as _checkpoint
from ..func import _front_args

__all__ = ["checkpoint", "checkpoint_sequential"]


def checkpoint(function, *args, use_reentrant=None, context_fn=None,
               determinism_check="default", debug=False, preserve_rng_state=True, **kwargs):
    """function(*args, **kwargs), its intermediate values recomputed in backward."""
    if not preserve_rng_state:
        raise NotImplementedError("checkpoint: preserve_rng_state=False is not supported (the "
                                  "recomputation always replays the same random draws)")
    # (The recomputation in backward hands the function chainrule's own tensors, on which
    # PyTorch's method names, t.std() or t.size(0), would mean NumPy's: it sees
    # front-end tensors, as the first call did.)
    return _checkpoint(_front_args(function), *args, **kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run the modules (a Sequential or a list) in `segments` chunks, each but the last
    checkpointed."""
    functions = list(functions.children()) if hasattr(functions, "children") else list(
        functions)
    size = -(-len(functions) // segments) if segments > 0 else len(functions)

    def run(chunk):
        def forward(x):
            for f in chunk:
                x = f(x)
            return x
        return forward

    chunks = [functions[i:i + size] for i in range(0, len(functions), size)]
    for chunk in chunks[:-1]:
        input = checkpoint(run(chunk), input, **kwargs)
    return run(chunks[-1])(input) if chunks else input
