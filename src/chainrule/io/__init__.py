"""Saving and loading arrays and training checkpoints as safetensors files.

Writes are atomic and loads never unpickle. All problems with a file raise
:class:`CheckpointError` (a ``ValueError``).
"""

from .checkpoint import (  # (checkpoint.__all__ is the one list of these names)
    CHECKPOINT_KEY,
    CheckpointError,
    CheckpointWriter,
    __all__,
    flatten_state,
    load,
    load_checkpoint,
    load_metadata,
    save,
    save_checkpoint,
    unflatten_state,
)
