"""``torch.save`` / ``torch.load`` as safetensors files (through chainrule.io); never pickle.

A ``state_dict`` (names to tensors or arrays) is written as a plain safetensors file,
which PyTorch reads with ``safetensors.torch.load_file``. Any other object made of dicts,
lists, tuples, numbers, strings and tensors (an optimizer's state_dict, a checkpoint
dict) is written as a chainrule.io checkpoint: the tensors as safetensors entries, the
rest as JSON in the header. Loading parses numbers and JSON only: a file written by
PyTorch's own ``torch.save`` (a pickle) is refused with an error saying so.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np

from .. import io as _io
from ..graph import TensorBase
from .creation import from_numpy

__all__ = ["load", "save"]

_OBJECT_KEY = "chainrule.torch.object"


def _path(f, who):
    if not isinstance(f, (str, os.PathLike)):
        raise TypeError(f"torch.{who}: give a file path (str or pathlib.Path), got "
                        f"{type(f).__name__}; chainrule.torch reads and writes safetensors "
                        f"files by name")
    return f


def _is_array(v):
    return isinstance(v, (TensorBase, np.ndarray, np.generic))


def _encode(obj, arrays, where):
    """A JSON-able skeleton of ``obj``; its tensors go to ``arrays`` under their path."""
    if _is_array(obj):
        arrays[where] = np.asarray(obj)
        return {"tensor": where}
    if isinstance(obj, Mapping):
        return {"dict": [[k, _encode(v, arrays, f"{where}/{k}")] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        kind = "list" if isinstance(obj, list) else "tuple"
        return {kind: [_encode(v, arrays, f"{where}/{i}") for i, v in enumerate(obj)]}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"value": obj}
    raise TypeError(f"torch.save: cannot save {type(obj).__name__} at {where}: "
                    f"chainrule.torch saves dicts, lists, tuples, numbers, strings and "
                    f"tensors (no pickle)")


def _decode(node, arrays):
    (kind, body), = node.items()
    if kind == "tensor":
        return from_numpy(arrays[body])
    if kind == "dict":
        return {k: _decode(v, arrays) for k, v in body}
    if kind in ("list", "tuple"):
        items = [_decode(v, arrays) for v in body]
        return items if kind == "list" else tuple(items)
    return body


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True):
    """Write ``obj`` to the file ``f`` as safetensors (a state_dict loads in PyTorch)."""
    f = _path(f, "save")
    if isinstance(obj, Mapping) and all(isinstance(k, str) and _is_array(v)
                                        for k, v in obj.items()):
        _io.save(obj, f)
        return
    arrays = {}
    skeleton = _encode(obj, arrays, "obj")
    _io.save_checkpoint(f, arrays, {_OBJECT_KEY: skeleton})


def _refuse_pickle(path):
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head[:1] == b"\x80" or head == b"PK\x03\x04":
        raise _io.CheckpointError(
            f"{path}: this is a pickle file (what PyTorch's torch.save writes). "
            f"chainrule.torch.load reads safetensors files only and never unpickles, since "
            f"unpickling can run code stored in the file. Convert it once where PyTorch is "
            f"installed: from safetensors.torch import save_file; "
            f"save_file(torch.load(path, weights_only=True), 'model.safetensors')")


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None):
    """Read what :func:`save` wrote (or any safetensors file) as front-end tensors."""
    path = _path(f, "load")
    if os.path.isfile(path):
        _refuse_pickle(path)
    if _io.CHECKPOINT_KEY in _io.load_metadata(path):
        arrays, meta = _io.load_checkpoint(path)
        flat = _io.flatten_state(arrays)
        if _OBJECT_KEY in meta:
            return _decode(meta[_OBJECT_KEY], flat)
        return {k: from_numpy(v) for k, v in flat.items()}
    return {k: from_numpy(v) for k, v in _io.load(path).items()}
