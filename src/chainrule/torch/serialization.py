"""``torch.save`` / ``torch.load`` as safetensors files (through chainrule.io); never pickle.

A ``state_dict`` (names to tensors or arrays) is written as a plain safetensors file,
which PyTorch reads with ``safetensors.torch.load_file``. Any other object made of dicts,
lists, tuples, numbers, strings and tensors (an optimizer's state_dict, a checkpoint
dict) is written as a chainrule.io checkpoint: the tensors as safetensors entries, the
rest as JSON in the header. Loading parses numbers and JSON only: a file written by
PyTorch's own ``torch.save`` (a pickle) is refused with an error saying so.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping

import numpy as np

from .. import io as _io
from ..graph import TensorBase
from . import types as T
from .creation import from_numpy

__all__ = ["add_safe_globals", "clear_safe_globals", "get_safe_globals", "load",
           "safe_globals", "save"]

_OBJECT_KEY = "chainrule.torch.object"
_ORDER_KEY = "chainrule.torch.order"
_GRAD_KEY = "chainrule.torch.requires_grad"


def _grad_kind(t):
    """How a saved tensor comes back, as PyTorch's torch.load gives it: a Parameter as a
    Parameter (its requires_grad kept), a tensor requiring grad as a leaf requiring grad;
    None for everything else."""
    from .nn.modules import Parameter
    if isinstance(t, Parameter):
        return "parameter" if t.requires_grad else "frozen parameter"
    if isinstance(t, TensorBase) and t.requires_grad:
        return "requires_grad"
    return None


def _restored(array, kind):
    from .nn.modules import Parameter
    # (a Parameter over the loaded array itself: names saved for one tied Parameter
    # come back sharing it, as from PyTorch's torch.load)
    if kind == "parameter":
        return Parameter(from_numpy(array))
    if kind == "frozen parameter":
        return Parameter(from_numpy(array), requires_grad=False)
    t = from_numpy(array)
    if kind == "requires_grad" and array.dtype.kind in "fc":
        t.requires_grad_(True)
    return t


def _is_path(f):
    return isinstance(f, (str, os.PathLike))


def _check_file(f, who, method):
    if not _is_path(f) and not callable(getattr(f, method, None)):
        raise TypeError(f"torch.{who}: give a file path (str or pathlib.Path) or a binary "
                        f"file object with .{method}(), got {type(f).__name__}")


def _is_array(v):
    return isinstance(v, (TensorBase, np.ndarray, np.generic))


def _encode(obj, arrays, where):
    """A JSON-able skeleton of ``obj``; its tensors go to ``arrays`` under their path."""
    if _is_array(obj):
        arrays[where] = np.asarray(obj)
        kind = _grad_kind(obj)
        if kind is not None:
            return {"tensor": where, "kind": kind}
        # A NumPy array comes back as one, as PyTorch's torch.load gives it back.
        return {"tensor" if isinstance(obj, TensorBase) else "array": where}
    if isinstance(obj, Mapping):
        return {"dict": [[k, _encode(v, arrays, f"{where}/{k}")] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        kind = "list" if isinstance(obj, list) else "tuple"
        return {kind: [_encode(v, arrays, f"{where}/{i}") for i, v in enumerate(obj)]}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"value": obj}
    if isinstance(obj, T.dtype):  # (a model config's dtype: saved by name)
        return {"dtype": obj.dtype.name}
    if hasattr(obj, "state_dict") and hasattr(obj, "load_state_dict"):
        raise TypeError(
            f"torch.save: cannot save a whole {type(obj).__name__} object (at {where}): "
            f"PyTorch pickles it, and chainrule.torch never pickles (loading a pickle can "
            f"run code). Save its state instead, torch.save(model.state_dict(), path), and "
            f"load it into a model you build: model.load_state_dict(torch.load(path))")
    raise TypeError(f"torch.save: cannot save {type(obj).__name__} at {where}: "
                    f"chainrule.torch saves dicts, lists, tuples, numbers, strings, dtypes "
                    f"and tensors (no pickle)")


def _decode(node, arrays):
    if "kind" in node:
        return _restored(arrays[node["tensor"]], node["kind"])
    (kind, body), = node.items()
    if kind == "tensor":
        return from_numpy(arrays[body])
    if kind == "array":
        return arrays[body]
    if kind == "dict":
        return {k: _decode(v, arrays) for k, v in body}
    if kind in ("list", "tuple"):
        items = [_decode(v, arrays) for v in body]
        return items if kind == "list" else tuple(items)
    if kind == "dtype":
        if body not in _DTYPE_NAMES:  # (metadata is never trusted)
            raise _io.CheckpointError(f"torch.load: unknown dtype {body!r} in the file")
        return T.torch_dtype(np.dtype(body))
    return body


_DTYPE_NAMES = frozenset(["float16", "float32", "float64", "int8", "int16", "int32", "int64",
                          "uint8", "uint16", "uint32", "uint64", "bool", "complex64",
                          "complex128"])


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True):
    """Write ``obj`` to ``f`` (a path, written atomically, or a binary file object such as
    ``open(path, 'wb')`` or ``io.BytesIO()``) as safetensors: a state_dict loads in
    PyTorch."""
    _check_file(f, "save", "write")
    if not _is_path(f):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "object.safetensors")
            save(obj, path)
            with open(path, "rb") as fh:
                f.write(fh.read())
        return
    if isinstance(obj, Mapping) and all(isinstance(k, str) and _is_array(v)
                                        for k, v in obj.items()):
        # The names' order kept for torch.load (safetensors sorts its header; PyTorch's
        # load gives the state_dict's own order back).
        meta = {_ORDER_KEY: json.dumps(list(obj))}
        kinds = {k: _grad_kind(v) for k, v in obj.items() if _grad_kind(v) is not None}
        if kinds:
            meta[_GRAD_KEY] = json.dumps(kinds)
        _io.save(obj, f, metadata=meta)
        return
    arrays = {}
    skeleton = _encode(obj, arrays, "obj")
    _io.save_checkpoint(f, arrays, {_OBJECT_KEY: skeleton})


def _refuse_pickle(path):
    # A safetensors file starts with its header's length (8 bytes, little-endian) and
    # the header itself, a JSON object: "{" at byte 8. Only what is not one is looked at
    # as PyTorch's (a zip archive, or a bare pickle from protocol 2 on: 0x80, then the
    # protocol). A header length whose low byte is 0x80 starts with 0x80 too.
    with open(path, "rb") as fh:
        head = fh.read(9)
    if len(head) == 9 and head[8:9] == b"{":
        return
    if head[:4] == b"PK\x03\x04" or (head[:1] == b"\x80" and head[1:2] in b"\x02\x03\x04\x05"):
        raise _io.CheckpointError(
            f"{path}: this is a pickle file (what PyTorch's torch.save writes). "
            f"chainrule.torch.load reads safetensors files only and never unpickles, since "
            f"unpickling can run code stored in the file. Convert it once where PyTorch is "
            f"installed: from safetensors.torch import save_file; "
            f"save_file(torch.load(path, weights_only=True), 'model.safetensors')")


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Read what :func:`save` wrote (or any safetensors file; a path or a binary file
    object) as front-end tensors. ``weights_only`` and ``map_location`` change nothing:
    nothing is ever unpickled, and everything is on the CPU."""
    _check_file(f, "load", "read")
    if not _is_path(f):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "object.safetensors")
            with open(path, "wb") as fh:
                fh.write(f.read())
            return load(path)
    path = f
    if os.path.isfile(path):
        _refuse_pickle(path)
    if _io.CHECKPOINT_KEY in _io.load_metadata(path):
        arrays, meta = _io.load_checkpoint(path)
        flat = _io.flatten_state(arrays)
        if _OBJECT_KEY in meta:
            return _decode(meta[_OBJECT_KEY], flat)
        return {k: from_numpy(v) for k, v in flat.items()}
    arrays = _io.load(path)
    meta = _io.load_metadata(path)
    order = meta.get(_ORDER_KEY)
    names = json.loads(order) if order else list(arrays)
    if sorted(names) != sorted(arrays):  # (a file edited elsewhere: its own order)
        names = list(arrays)
    kinds = _grad_kinds(meta.get(_GRAD_KEY))
    return {k: _restored(arrays[k], kinds.get(k)) for k in names}


def _grad_kinds(text):
    """The saved tensors' kinds (see _grad_kind), from metadata that is never trusted:
    anything but a JSON object of known kinds is ignored."""
    try:
        kinds = json.loads(text) if text else {}
    except ValueError:
        return {}
    if not isinstance(kinds, dict):
        return {}
    known = ("parameter", "frozen parameter", "requires_grad")
    return {k: v for k, v in kinds.items() if v in known}


# PyTorch's allow-list of classes its weights_only unpickler may build. chainrule.torch
# never unpickles, so the list changes nothing; programs that fill it still run.
_SAFE_GLOBALS: list = []


def add_safe_globals(safe_globals):
    """Accepted for PyTorch programs; nothing is unpickled, so nothing changes."""
    _SAFE_GLOBALS.extend(safe_globals)


def get_safe_globals():
    return list(_SAFE_GLOBALS)


def clear_safe_globals():
    _SAFE_GLOBALS.clear()


@contextlib.contextmanager
def safe_globals(safe_globals):
    """Context manager form of add_safe_globals (changes nothing here)."""
    before = len(_SAFE_GLOBALS)
    _SAFE_GLOBALS.extend(safe_globals)
    try:
        yield
    finally:
        del _SAFE_GLOBALS[before:]
