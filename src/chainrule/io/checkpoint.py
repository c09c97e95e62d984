"""Safetensors files: atomic saves, pickle-free loads, and training checkpoints with JSON metadata.

Tensor names in the file are the state-dict keys, so PyTorch (``safetensors.torch``) and
other frameworks can read what chainrule writes. The ``safetensors`` package (in the
``train`` extra) is imported only when arrays are actually saved or loaded.
"""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_write

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

PathLike = str | os.PathLike[str]

CHECKPOINT_KEY = "chainrule.checkpoint"
"""Metadata key under which :func:`save_checkpoint` stores its JSON-encoded ``meta``."""

SEP = "/"

TIED_KEY = "chainrule.tied"
"""Metadata key listing names saved once for several (tied weights): {alias: saved name}."""

# Safetensors dtype codes that NumPy can represent, and the NumPy dtypes that map to them.
_NUMPY_CODES = {
    "BOOL": np.bool_,
    "U8": np.uint8,
    "I8": np.int8,
    "U16": np.uint16,
    "I16": np.int16,
    "U32": np.uint32,
    "I32": np.int32,
    "U64": np.uint64,
    "I64": np.int64,
    "F16": np.float16,
    "F32": np.float32,
    "F64": np.float64,
    "C64": np.complex64,
}
# Compared via little-endian type strings ("<f4", "|b1"), so byte order does not matter.
_SAVABLE = frozenset(np.dtype(t).newbyteorder("<").str for t in _NUMPY_CODES.values())

# Leading bytes of formats people commonly mistake for safetensors. Only consulted once
# the framing is known to be wrong: a valid header length may start with any byte.
_FOREIGN_FORMATS = (
    (
        (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05"),
        "a Python pickle (e.g. torch.save or pickle.dump); chainrule never unpickles",
    ),
    (b"PK\x03\x04", "a zip archive (a PyTorch .pt/.pth or NumPy .npz file)"),
    (b"\x93NUMPY", "a NumPy .npy file"),
    (b"\x1f\x8b", "a gzip file"),
)


class CheckpointError(ValueError):
    """A checkpoint file is missing, truncated, corrupted or not safetensors, or cannot be saved."""


def _safetensors():
    """Import the safetensors package, explaining how to install it if it is absent."""
    try:
        import safetensors
        import safetensors.numpy
    except ImportError as exc:
        raise ImportError(
            "chainrule.io needs the safetensors package: pip install 'chainrule[train]'"
        ) from exc
    return safetensors


# ---------------------------------------------------------------------------------------
# Nested state <-> flat tensor names


def flatten_state(tree: Mapping[str, Any], sep: str = SEP) -> dict[str, Any]:
    """Flatten nested mappings into one level, joining keys with ``sep``.

    ``{"model": {"0.weight": w}, "optim": {"state": {"0": {"exp_avg": m}}}}`` becomes
    ``{"model/0.weight": w, "optim/state/0/exp_avg": m}``. Only mappings are descended
    into; every other value (arrays, lists of numbers, ...) is a leaf. A flat dict comes
    back unchanged. Keys must be strings; empty sub-mappings disappear.
    """
    flat: dict[str, Any] = {}

    def walk(prefix: str, node: Mapping[str, Any]) -> None:
        for key, value in node.items():
            if not isinstance(key, str):
                where = f"under {prefix!r}" if prefix else "at the top level"
                raise CheckpointError(
                    f"state key {key!r} {where} is not a string; convert it with str(key)"
                )
            name = f"{prefix}{sep}{key}" if prefix else key
            if isinstance(value, Mapping):
                walk(name, value)
            elif name in flat:
                raise CheckpointError(f"two entries flatten to the same name {name!r}")
            else:
                flat[name] = value

    walk("", tree)
    return flat


def unflatten_state(flat: Mapping[str, Any], sep: str = SEP) -> dict[str, Any]:
    """Invert :func:`flatten_state`: split every name on ``sep`` into nested dicts."""
    tree: dict[str, Any] = {}
    for name, value in flat.items():
        *parents, leaf = name.split(sep)
        node = tree
        for depth, part in enumerate(parents):
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                prefix = sep.join(parents[: depth + 1])
                raise CheckpointError(f"{name!r} conflicts with the entry {prefix!r}")
        if leaf in node:
            raise CheckpointError(f"{name!r} is both an entry and a prefix of other entries")
        node[leaf] = value
    return tree


# ---------------------------------------------------------------------------------------
# Header checks

# safetensors' own limit on the JSON header; checked before the header is read, so a
# hostile length costs nothing (a 129 MB header used to cost 1.6 GB before refusal).
MAX_HEADER_BYTES = 100_000_000
# NumPy 1.x allows 32 dimensions (2.x: 64); no checkpoint tensor needs more.
MAX_DIMS = 32
_MAX_BYTES = np.iinfo(np.intp).max


def _framing_error(path: Path, data: bytes, problem: str) -> CheckpointError:
    """Build the error for a file whose framing is wrong, recognizing common other formats."""
    for magic, description in _FOREIGN_FORMATS:
        if data.startswith(magic):
            return CheckpointError(f"{path}: not a safetensors file: it looks like {description}")
    return CheckpointError(f"{path}: {problem}")


def _is_count(value) -> bool:
    """A JSON integer >= 0 (not a bool, not a float)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_entry(path: Path, name: str, info, payload_len: int) -> None:
    """Refuse a tensor entry whose dtype, shape or offsets a loader should not trust."""
    ok = isinstance(info, dict)
    if ok:
        dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        ok = (
            isinstance(dtype, str)
            and isinstance(shape, list)
            and all(_is_count(d) for d in shape)
            and isinstance(offsets, list)
            and len(offsets) == 2
            and all(_is_count(o) for o in offsets)
            and offsets[0] <= offsets[1]
        )
    if not ok:
        raise CheckpointError(f"{path}: corrupted header entry for tensor {name!r}: {info!r}")
    if dtype not in _NUMPY_CODES:
        raise CheckpointError(
            f"{path}: tensor {name!r} has dtype {dtype}, which NumPy cannot represent; "
            "convert it to float32 in the framework that wrote the file"
        )
    if len(shape) > MAX_DIMS:
        raise CheckpointError(
            f"{path}: tensor {name!r} has {len(shape)} dimensions; at most {MAX_DIMS} are "
            "supported (corrupted or hostile header)"
        )
    itemsize = np.dtype(_NUMPY_CODES[dtype]).itemsize
    # Zero-length dimensions do not make a shape like [0, 2**62] allocatable by NumPy.
    if math.prod(d for d in shape if d) * itemsize > _MAX_BYTES:
        raise CheckpointError(
            f"{path}: tensor {name!r} has shape {shape}, too large for any array "
            "(corrupted or hostile header)"
        )
    begin, end = offsets
    if end > payload_len:
        raise CheckpointError(
            f"{path}: truncated: tensor {name!r} needs bytes {begin}..{end} of the data "
            f"section but only {payload_len} are present"
        )
    if end - begin != math.prod(shape) * itemsize:
        raise CheckpointError(
            f"{path}: tensor {name!r} of shape {shape} and dtype {dtype} takes "
            f"{math.prod(shape) * itemsize} bytes, but its data offsets span {end - begin}"
        )


def _parse_header(path: Path, head: bytes, raw: bytes, payload_len: int) -> dict[str, Any]:
    """Parse and check the JSON header ``raw``; ``head`` is the file's first bytes."""
    if not raw.startswith(b"{"):
        raise _framing_error(path, head, "corrupted header (does not start with '{')")
    try:
        header = json.loads(raw)  # starts with "{", so a successful parse is a dict
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path}: corrupted header (not valid JSON: {exc})") from exc
    except RecursionError:
        raise CheckpointError(f"{path}: corrupted header (JSON nested too deeply)") from None

    metadata = header.get("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise CheckpointError(f"{path}: corrupted header (__metadata__ must map str to str)")
    for name, info in header.items():
        if name != "__metadata__":
            _check_entry(path, name, info, payload_len)
    return dict(header)


def _read(path: PathLike, payload: bool) -> tuple[Path, dict[str, Any], bytes | None]:
    """Check and parse a safetensors file's header; with ``payload``, also read the file.

    Safetensors files are: an 8-byte little-endian header length N, N bytes of JSON, then
    the raw tensor bytes. The length is checked against the file's size and
    :data:`MAX_HEADER_BYTES` before anything else is read, and every tensor entry against
    the data section, so neither a hostile header nor a device like /dev/zero makes the
    loader read or allocate without bound. Returns ``(path, header, file bytes or None)``.
    """
    path = Path(path)
    try:
        f = path.open("rb")
    except FileNotFoundError as exc:
        raise CheckpointError(f"{path}: no such checkpoint file") from exc
    except IsADirectoryError as exc:
        raise CheckpointError(f"{path}: is a directory, expected a .safetensors file") from exc
    except PermissionError as exc:
        raise CheckpointError(f"{path}: permission denied; check the file's permissions") from exc
    with f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise CheckpointError(
                f"{path}: not a regular file (a device, pipe or socket); pass a .safetensors file"
            )
        size = info.st_size
        head = f.read(8)
        if len(head) < 8:
            raise _framing_error(
                path, head, f"only {len(head)} bytes, too short for a safetensors file (truncated?)"
            )
        header_len = int.from_bytes(head, "little")
        if header_len > size - 8:
            raise _framing_error(
                path,
                head,
                f"header length field says {header_len} bytes but only {size - 8} follow: "
                "truncated, or not a safetensors file",
            )
        if header_len > MAX_HEADER_BYTES:
            raise CheckpointError(
                f"{path}: header of {header_len} bytes is larger than the {MAX_HEADER_BYTES} "
                "bytes safetensors allows; corrupted or not a checkpoint"
            )
        header = _parse_header(path, head, f.read(header_len), size - 8 - header_len)
        if not payload:
            return path, header, None
        f.seek(0)
        return path, header, f.read()


# ---------------------------------------------------------------------------------------
# Plain safetensors files


def _to_array(name: str, value, path: Path) -> np.ndarray:
    """Convert one state value to a C-contiguous little-endian array safetensors accepts."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{path}: cannot convert {name!r} to an array: {exc}") from exc
    if array.dtype.newbyteorder("<").str not in _SAVABLE:
        supported = ", ".join(sorted(np.dtype(t).name for t in _NUMPY_CODES.values()))
        raise CheckpointError(
            f"{path}: cannot save {name!r}: dtype {array.dtype} is not supported "
            f"(supported: {supported})"
        )
    # safetensors reads raw memory, so hand it a contiguous little-endian buffer.
    # (np.ascontiguousarray would promote 0-d arrays to 1-d, hence the explicit copy.)
    array = array.astype(array.dtype.newbyteorder("<"), copy=False)
    if not array.flags.c_contiguous:
        array = array.copy(order="C")
    return array


def _write_file(path: Path, data: bytes) -> None:
    """Atomically replace ``path`` with ``data`` (see :mod:`chainrule.io.atomic`)."""
    directory = path.parent
    if not directory.is_dir():
        raise CheckpointError(f"{path}: directory {directory} does not exist; create it first")
    atomic_write(path, data)


def save(
    state_dict: Mapping[str, Any], path: PathLike, metadata: Mapping[str, str] | None = None
) -> None:
    """Atomically write ``state_dict`` to ``path`` as a safetensors file.

    Values are anything ``np.asarray`` accepts (chainrule Tensors included); nested
    mappings are flattened with :func:`flatten_state`. Tensor names are the keys, so the
    file loads directly in PyTorch. ``metadata`` (str -> str) goes into the file header.
    One array object under several names (tied weights in a ``state_dict``) is written
    once and its other names listed under :data:`TIED_KEY`; :func:`load` gives them back
    (in PyTorch, ``safetensors.torch.load_model`` restores such ties, as it does for the
    files PyTorch's own ``save_model`` writes).
    The previous file at ``path``, if any, survives intact unless the write succeeds.
    """
    path = Path(path)
    _write_file(path, _encode(state_dict, path, metadata))


def _encode(state_dict, path: Path, metadata) -> bytes:
    """The bytes of a safetensors file holding ``state_dict`` (see :func:`save`)."""
    if metadata is not None and not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise CheckpointError(
            f"{path}: metadata must map str to str; encode other values, e.g. with json.dumps"
        )
    if metadata and TIED_KEY in metadata:
        raise CheckpointError(f"{path}: metadata key {TIED_KEY!r} is reserved for tied weights")
    arrays, tied = _untied(flatten_state(state_dict), path)
    if tied:
        metadata = {**(metadata or {}), TIED_KEY: json.dumps(tied)}
    safetensors = _safetensors()
    try:
        data: bytes = safetensors.numpy.save(arrays, metadata=dict(metadata) if metadata else None)
        return data
    except safetensors.SafetensorError as exc:
        raise CheckpointError(f"{path}: safetensors could not serialize the state: {exc}") from exc


def _untied(flat: Mapping[str, Any], path: Path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """(arrays to write, {alias: saved name}): a value stored under several names (a tied
    weight in a state_dict is one array object under each of its names) is written once."""
    arrays: dict[str, np.ndarray] = {}
    tied: dict[str, str] = {}
    first: dict[int, str] = {}
    for name, value in flat.items():
        # One buffer under two names: the same array, or tensors over the same array
        # (a front end's state_dict gives one tensor per name, sharing the storage).
        buffer = getattr(value, "_data", value)
        shared = isinstance(buffer, np.ndarray)
        if shared and id(buffer) in first:
            tied[name] = first[id(buffer)]
            continue
        if shared:
            first[id(buffer)] = name
        arrays[name] = _to_array(name, value, path)
    return arrays, tied


def _retie(path: Path, arrays: dict[str, np.ndarray], metadata: Mapping[str, str]) -> None:
    """Put back, as the same array, every name that was saved once for several."""
    if TIED_KEY not in metadata:
        return
    try:
        tied = json.loads(metadata[TIED_KEY])
        ok = isinstance(tied, dict) and all(
            isinstance(a, str) and isinstance(t, str) and t in arrays and a not in arrays
            for a, t in tied.items())
    except ValueError:
        ok = False
    if not ok:
        raise CheckpointError(f"{path}: corrupted {TIED_KEY!r} metadata (the tied names)")
    for alias, target in tied.items():
        arrays[alias] = arrays[target]


def _load(path: PathLike) -> tuple[Path, dict[str, np.ndarray], dict[str, str]]:
    """Read a safetensors file once, returning its path, arrays and metadata."""
    path, header, data = _read(path, payload=True)
    metadata = header.get("__metadata__", {})
    safetensors = _safetensors()
    try:
        loaded = safetensors.numpy.load(data)
    except (safetensors.SafetensorError, ValueError, TypeError, OverflowError) as exc:
        raise CheckpointError(f"{path}: corrupted safetensors file: {exc}") from exc
    # Current safetensors hands out a fresh writable buffer per tensor; older releases
    # return read-only views of immutable bytes, which callers could not update in place.
    # In the header's order (safetensors hands the tensors back in a hash map's order,
    # which changes from one process to the next).
    arrays = {
        name: loaded[name] if loaded[name].flags.writeable else loaded[name].copy()
        for name in header if name != "__metadata__"
    }
    _retie(path, arrays, metadata)
    return path, arrays, metadata


def load(path: PathLike) -> dict[str, np.ndarray]:
    """Read every tensor of a safetensors file as a writable NumPy array (a private copy).

    Only raw numbers and a JSON header are parsed, so loading never executes code.
    """
    return _load(path)[1]


def load_metadata(path: PathLike) -> dict[str, str]:
    """Return the str -> str metadata stored in a safetensors header ({} if none)."""
    path, header, _ = _read(path, payload=False)
    return dict(header.get("__metadata__", {}))


# ---------------------------------------------------------------------------------------
# Training checkpoints


def save_checkpoint(path: PathLike, arrays: Mapping[str, Any], meta: Mapping[str, Any]) -> None:
    """Atomically save a training checkpoint: arrays plus JSON-serializable ``meta``.

    ``arrays`` may be nested (e.g. ``{"model": ..., "optim": ...}``) and is flattened with
    "/" (see :func:`flatten_state`). ``meta`` carries everything else - epoch/step,
    scheduler state, RNG state (``rng.bit_generator.state``), run config, preprocessing
    state - and is stored JSON-encoded under the header key :data:`CHECKPOINT_KEY`.
    JSON turns tuples into lists and non-string dict keys into strings.
    """
    path = Path(path)
    _write_file(path, _encode_checkpoint(path, arrays, meta))


def _encode_checkpoint(path: Path, arrays: Mapping[str, Any], meta: Mapping[str, Any]) -> bytes:
    if not isinstance(meta, Mapping):
        raise CheckpointError(f"{path}: meta must be a dict, got {type(meta).__name__}")
    try:
        encoded = json.dumps(meta)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{path}: meta is not JSON-serializable: {exc}") from exc
    return _encode(arrays, path, {CHECKPOINT_KEY: encoded})


class CheckpointWriter:
    """Writes checkpoints from a background thread, so training does not wait for the disk.

    :meth:`submit` serializes the checkpoint at once (a snapshot: later changes to the
    arrays do not reach the file) and queues the atomic write; the writes happen one at a
    time in submission order, each exactly as :func:`save_checkpoint` does it (temporary
    file, fsync, rename, directory fsync), so a killed process leaves the previous
    complete file. :meth:`wait` blocks until every queued write is on disk and raises the
    first write error, if any; a later :meth:`submit` raises it too. Use as a context
    manager (waits on exit) or call :meth:`wait` before relying on the files.
    """

    def __init__(self):
        # Import the serializer now: a missing package fails before training starts, and
        # the import is not paid inside the first (timed) checkpoint write.
        _safetensors()
        self._pool = None
        self._pending = []
        self._submitted = 0  # writes queued so far, numbered in order
        self._failed = []  # numbers of the writes that failed (kept by the writer thread)
        self._reported = 0  # failures of writes numbered below this have been raised

    def submit(self, path: PathLike, arrays: Mapping[str, Any], meta: Mapping[str, Any]) -> None:
        """Serialize now and queue the write of ``path``; raise an earlier write's error."""
        self._collect(block=False)
        path = Path(path)
        data = _encode_checkpoint(path, arrays, meta)
        self._queue(self._write, path, data, self._submitted, number=self._submitted)
        self._submitted += 1

    def then(self, fn) -> None:
        """Call ``fn()`` in the writer thread once every checkpoint submitted so far is on
        disk (not at all if one of them failed, unless that failure was already raised):
        e.g. to report an epoch only when it is saved."""
        self._queue(self._after, fn, self._reported, self._submitted)

    def _queue(self, task, *args, number=-1) -> None:
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(1, thread_name_prefix="chainrule-checkpoint")
        self._pending.append((self._pool.submit(task, *args), number))

    def _write(self, path: Path, data: bytes, number: int) -> None:
        try:
            _write_file(path, data)
        except BaseException:
            self._failed.append(number)
            raise

    def _after(self, fn, start: int, end: int) -> None:
        if not any(start <= number < end for number in self._failed):
            fn()

    def wait(self) -> None:
        """Block until every submitted checkpoint is written; raise the first failure."""
        self._collect(block=True)

    def _collect(self, block: bool) -> None:
        error = None
        still = []
        for future, number in self._pending:
            if not block and not future.done():
                still.append((future, number))
                continue
            exc = future.exception()
            if exc is not None:
                error = error or exc
                self._reported = max(self._reported, number + 1)
        self._pending = still
        if error is not None:
            raise error

    def close(self) -> None:
        """Wait for the queued writes, then stop the thread."""
        try:
            self.wait()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def load_checkpoint(path: PathLike) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Load a checkpoint written by :func:`save_checkpoint` as ``(arrays, meta)``.

    ``arrays`` is flat (names like ``"model/0.weight"``); use :func:`unflatten_state` to
    get the nesting back.
    """
    path, arrays, metadata = _load(path)
    if CHECKPOINT_KEY not in metadata:
        raise CheckpointError(
            f"{path}: no chainrule checkpoint metadata (header key {CHECKPOINT_KEY!r}); it is "
            "a plain safetensors file: read its arrays with chainrule.io.load"
        )
    try:
        meta = json.loads(metadata[CHECKPOINT_KEY])
    except json.JSONDecodeError as exc:
        raise CheckpointError(
            f"{path}: corrupted checkpoint metadata (invalid JSON: {exc})"
        ) from exc
    except RecursionError:
        raise CheckpointError(
            f"{path}: corrupted checkpoint metadata (JSON nested too deeply)"
        ) from None
    if not isinstance(meta, dict):
        raise CheckpointError(f"{path}: corrupted checkpoint metadata (not a JSON object)")
    return arrays, meta
