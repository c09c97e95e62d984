"""Saving and loading arrays and training checkpoints as safetensors files.

Writes are atomic and loads never unpickle. All problems with a file raise
:class:`CheckpointError` (a ``ValueError``).
"""

from .checkpoint import (
    CHECKPOINT_KEY,
    CheckpointError,
    CheckpointWriter,
    flatten_state,
    load,
    load_checkpoint,
    load_metadata,
    save,
    save_checkpoint,
    unflatten_state,
)

__all__ = [
    "CHECKPOINT_KEY",
    "CheckpointError",
    "CheckpointWriter",
    "flatten_state",
    "load",
    "load_checkpoint",
    "load_metadata",
    "save",
    "save_checkpoint",
    "unflatten_state",
]
