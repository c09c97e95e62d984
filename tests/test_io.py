"""Tests for chainrule.io: safetensors round trips, atomic writes, checkpoints, bad files."""

import errno
import json
import os
import pickle
import tracemalloc

import numpy as np
import pytest
import safetensors.numpy

import chainrule.io as cr_io
from chainrule.io import (
    CHECKPOINT_KEY,
    CheckpointError,
    flatten_state,
    load,
    load_checkpoint,
    load_metadata,
    save,
    save_checkpoint,
    unflatten_state,
)
from chainrule.io.atomic import atomic_file, atomic_write, remove_stale_temporaries

DTYPES = [np.float32, np.float64, np.int64, np.bool_, np.uint8]


def sample(dtype, shape=(3, 4), seed=0):
    """Values that exercise the whole range of ``dtype`` (incl. NaN/inf/-0.0 for floats)."""
    rng = np.random.default_rng(seed)
    if dtype == np.bool_:
        return rng.integers(0, 2, size=shape).astype(bool)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    out = rng.normal(size=shape).astype(dtype)
    out.flat[:4] = [np.nan, np.inf, -0.0, np.finfo(dtype).tiny]
    return out


def bits_equal(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


class FakeTensor:
    """Stands in for a chainrule Tensor: anything implementing __array__ can be saved."""

    def __init__(self, data):
        self.data = data

    def __array__(self, dtype=None, copy=None):
        return self.data


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_round_trip_bit_exact(tmp_path, dtype):
    state = {"w": sample(dtype), "scalar": sample(dtype, shape=()), "empty": sample(dtype, (0, 2))}
    path = tmp_path / "m.safetensors"
    save(state, path)
    out = load(path)
    assert set(out) == set(state)
    for name, value in state.items():
        assert bits_equal(out[name], value), name
    assert out["scalar"].shape == ()


def test_loaded_arrays_are_writable_copies(tmp_path):
    path = tmp_path / "m.safetensors"
    save({"a": np.arange(4.0)}, path)
    first = load(path)
    first["a"][:] = -1  # must not raise, must not leak into a second load
    assert load(path)["a"].tolist() == [0, 1, 2, 3]


def test_read_only_arrays_from_safetensors_are_copied(tmp_path, monkeypatch):
    path = tmp_path / "m.safetensors"
    save({"a": np.arange(4.0)}, path)
    real_load = safetensors.numpy.load

    def read_only_load(data):
        arrays = real_load(data)
        for array in arrays.values():
            array.flags.writeable = False
        return arrays

    monkeypatch.setattr(safetensors.numpy, "load", read_only_load)
    out = load(path)
    out["a"][0] = 9.0
    assert out["a"].tolist() == [9, 1, 2, 3]


def test_non_contiguous_big_endian_and_array_likes(tmp_path):
    base = np.arange(24, dtype=np.float64).reshape(4, 6)
    state = {
        "transposed": base.T,
        "strided": base[::2, ::3],
        "big_endian": base.astype(">f8"),
        "tensor": FakeTensor(base[1]),
        "list": [1, 2, 3],
        "py_float": 2.5,
    }
    path = tmp_path / "m.safetensors"
    save(state, path)
    out = load(path)
    np.testing.assert_array_equal(out["transposed"], base.T)
    np.testing.assert_array_equal(out["strided"], base[::2, ::3])
    assert out["big_endian"].dtype == np.float64
    np.testing.assert_array_equal(out["big_endian"], base)
    np.testing.assert_array_equal(out["tensor"], base[1])
    assert out["list"].tolist() == [1, 2, 3] and out["py_float"].shape == ()


def test_file_is_standard_safetensors(tmp_path):
    """Names equal the keys, so other safetensors readers (e.g. PyTorch) see the same state."""
    path = tmp_path / "m.safetensors"
    w = sample(np.float32)
    save({"model/0.weight": w}, path, metadata={"format": "pt"})
    theirs = safetensors.numpy.load_file(path)
    assert list(theirs) == ["model/0.weight"] and bits_equal(theirs["model/0.weight"], w)
    assert load_metadata(path) == {"format": "pt"}
    # And we read files written by the reference implementation.
    ref = tmp_path / "ref.safetensors"
    safetensors.numpy.save_file({"x": w}, ref)
    assert bits_equal(load(ref)["x"], w) and load_metadata(ref) == {}


def test_save_rejects_bad_inputs(tmp_path):
    path = tmp_path / "m.safetensors"
    with pytest.raises(CheckpointError, match="'z': dtype complex128 is not supported"):
        save({"z": np.zeros(2, np.complex128)}, path)
    with pytest.raises(CheckpointError, match="'s': dtype <U1 is not supported"):
        save({"s": np.array(["a"])}, path)
    with pytest.raises(CheckpointError, match="metadata must map str to str"):
        save({"a": np.zeros(1)}, path, metadata={"epoch": 3})
    with pytest.raises(CheckpointError, match="directory .* does not exist"):
        save({"a": np.zeros(1)}, tmp_path / "no" / "m.safetensors")
    assert not path.exists()


# ---------------------------------------------------------------------------------------
# atomicity


def leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize("failing", ["replace", "fsync", "serialize"])
def test_failed_save_keeps_old_file_and_leaves_no_temp(tmp_path, monkeypatch, failing):
    path = tmp_path / "m.safetensors"
    save({"a": np.arange(3.0)}, path, metadata={"v": "old"})
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("simulated crash")

    target = {"replace": (os, "replace"), "fsync": (os, "fsync")}.get(failing)
    if target is None:
        target = (safetensors.numpy, "save")
    monkeypatch.setattr(*target, boom)
    with pytest.raises(OSError, match="simulated crash"):
        save({"a": np.arange(5.0)}, path, metadata={"v": "new"})
    monkeypatch.undo()

    assert path.read_bytes() == before
    assert load_metadata(path) == {"v": "old"}
    assert leftovers(tmp_path) == []


def test_interrupt_mid_write_keeps_old_file(tmp_path, monkeypatch):
    """A KeyboardInterrupt after the temp file exists also cleans up."""
    path = tmp_path / "m.safetensors"
    save({"a": np.zeros(2)}, path)
    before = path.read_bytes()
    seen = []

    def interrupted_replace(src, dst):
        seen.append(os.path.exists(src))
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted_replace)
    with pytest.raises(KeyboardInterrupt):
        save({"a": np.ones(2)}, path)
    assert seen == [True]  # the temp file was fully written before the interruption
    assert path.read_bytes() == before and leftovers(tmp_path) == []


def test_successful_save_replaces_and_leaves_no_temp(tmp_path):
    path = tmp_path / "m.safetensors"
    save({"a": np.zeros(2)}, path)
    save({"b": np.ones(3)}, path)
    assert list(load(path)) == ["b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]


# ---------------------------------------------------------------------------------------
# bad files


def valid_bytes(tmp_path):
    path = tmp_path / "good.safetensors"
    save({"w": np.arange(10, dtype=np.float32)}, path, metadata={CHECKPOINT_KEY: "{}"})
    return path.read_bytes()


def header_file(tmp_path, header: bytes, payload: bytes = b""):
    path = tmp_path / "h.safetensors"
    path.write_bytes(len(header).to_bytes(8, "little") + header + payload)
    return path


@pytest.mark.parametrize(
    ("make", "pattern"),
    [
        (lambda d: d[:-4], r"truncated: tensor 'w' needs bytes 0..40 .* only 36"),
        (lambda d: d[:30], r"header length field says \d+ bytes but only 22 follow"),
        (lambda d: d[:5], r"only 5 bytes, too short"),
        (lambda d: b"", r"only 0 bytes"),
        (lambda d: pickle.dumps({"w": [1.0]}), r"looks like a Python pickle"),
        (lambda d: b"PK\x03\x04" + bytes(100), r"looks like a zip archive"),
        (lambda d: np.random.default_rng(0).bytes(256), r"truncated, or not a safetensors"),
        (lambda d: d[:8] + b"[" + d[9:], r"corrupted header \(does not start with"),
        (lambda d: d[:8] + d[8:20] + b"\xff" + d[21:], r"corrupted header \(not valid JSON"),
    ],
    ids=[
        "short-data",
        "short-header",
        "tiny",
        "empty",
        "pickle",
        "zip",
        "random",
        "bracket",
        "json",
    ],
)
def test_bad_files_raise_checkpoint_error(tmp_path, make, pattern):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(make(valid_bytes(tmp_path)))
    for reader in (load, load_checkpoint):
        with pytest.raises(CheckpointError, match=pattern) as info:
            reader(path)
        assert str(path) in str(info.value)


def test_pickle_is_never_executed(tmp_path):
    class Exploit:
        def __reduce__(self):
            return (os.mkdir, (str(tmp_path / "pwned"),))

    path = tmp_path / "evil.safetensors"
    path.write_bytes(pickle.dumps(Exploit()))
    with pytest.raises(CheckpointError, match="pickle"):
        load(path)
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    ("header", "payload", "pattern"),
    [
        (b'{"__metadata__": {"epoch": 3}}', b"", r"__metadata__ must map str to str"),
        (b'{"w": {"dtype": "F32"}}', b"", r"corrupted header entry for tensor 'w'"),
        (b'{"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}', b"", "entry"),
        (b'{"w": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}', bytes(4), "BF16"),
        # Consistent framing, but 3 float32s cannot fit in 8 bytes.
        (
            b'{"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}',
            bytes(8),
            r"shape \[3\] and dtype F32 takes 12 bytes, but its data offsets span 8",
        ),
    ],
    ids=["metadata-types", "entry-keys", "offsets", "bf16", "shape-vs-bytes"],
)
def test_header_checks(tmp_path, header, payload, pattern):
    path = header_file(tmp_path, header, payload)
    with pytest.raises(CheckpointError, match=pattern) as info:
        load(path)
    assert str(path) in str(info.value)


def entry(shape, offsets=(0, 0), dtype="F32") -> bytes:
    return json.dumps(
        {"w": {"dtype": dtype, "shape": shape, "data_offsets": list(offsets)}}
    ).encode()


HOSTILE_HEADERS = [
    ("nested", b'{"a": ' * 100_000 + b"1" + b"}" * 100_000, b"", "nested too deeply"),
    ("hundred-dims", entry([1] * 100, (0, 4)), bytes(4), "100 dimensions; at most 32"),
    ("huge-empty", entry([0, 2**62]), b"", r"shape \[0, 4611686018427387904\], too large"),
    ("huge", entry([2**40, 2**40], (0, 4)), bytes(4), "too large for any array"),
    ("negative-dim", entry([-1], (0, 4)), bytes(4), "corrupted header entry"),
    ("float-dim", entry([2.0], (0, 8)), bytes(8), "corrupted header entry"),
    ("bool-offset", entry([1], (False, True)), bytes(4), "corrupted header entry"),
    ("not-a-dict", b'{"w": 5}', b"", "corrupted header entry"),
    ("three-offsets", entry([1], (0, 4, 8)), bytes(8), "corrupted header entry"),
]


@pytest.mark.parametrize(
    ("header", "payload", "pattern"),
    [case[1:] for case in HOSTILE_HEADERS],
    ids=[case[0] for case in HOSTILE_HEADERS],
)
def test_hostile_headers_raise_checkpoint_error(tmp_path, header, payload, pattern):
    path = header_file(tmp_path, header, payload)
    for reader in (load, load_checkpoint, load_metadata):
        with pytest.raises(CheckpointError, match=pattern) as info:
            reader(path)
        assert str(path) in str(info.value)


def test_hostile_checkpoint_metadata_json_raises_checkpoint_error(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    path = header_file(tmp_path, json.dumps({"__metadata__": {CHECKPOINT_KEY: deep}}).encode())
    with pytest.raises(CheckpointError, match="nested too deeply"):
        load_checkpoint(path)


def test_header_length_is_capped_before_reading(tmp_path):
    # A header length just over the cap in a file long enough to hold it (sparse, so
    # the test writes almost nothing): refused without reading the header.
    path = tmp_path / "big.safetensors"
    length = cr_io.checkpoint.MAX_HEADER_BYTES + 1
    with path.open("wb") as f:
        f.write(length.to_bytes(8, "little") + b"{")
        f.truncate(8 + length)
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError, match="larger than the 100000000 bytes"):
            load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # the 100 MB header was never read


def test_devices_and_pipes_are_refused_without_reading(tmp_path):
    for special in ("/dev/zero", "/dev/null"):
        if os.path.exists(special):
            with pytest.raises(CheckpointError, match="not a regular file"):
                load(special)


def test_header_with_padding_and_no_tensors(tmp_path):
    path = header_file(tmp_path, b'{"__metadata__": {"k": "v"}}    ')
    assert load(path) == {}
    assert load_metadata(path) == {"k": "v"}


def test_missing_file_and_directory(tmp_path):
    for reader in (load, load_metadata, load_checkpoint):
        with pytest.raises(CheckpointError, match="nope.safetensors: no such checkpoint file"):
            reader(tmp_path / "nope.safetensors")
        with pytest.raises(CheckpointError, match="is a directory"):
            reader(tmp_path)


# ---------------------------------------------------------------------------------------
# training checkpoints


def test_checkpoint_round_trip_with_nested_state_and_rng(tmp_path):
    rng = np.random.default_rng(1234)
    rng.normal(size=5)  # advance, so the saved state is not the initial one
    arrays = {
        "model": {"0.weight": sample(np.float32), "0.bias": sample(np.float32, (4,))},
        "optim": {"state": {"0": {"exp_avg": sample(np.float64), "step": np.int64(7)}}},
    }
    meta = {
        "epoch": 3,
        "step": 120,
        "rng": rng.bit_generator.state,
        "scheduler": {"lr": 0.001, "milestones": [10, 20]},
        "config": {"hidden": [64, 32], "loss": "cross_entropy", "resume": None},
    }
    path = tmp_path / "ckpt.safetensors"
    save_checkpoint(path, arrays, meta)
    flat, meta2 = load_checkpoint(path)

    assert meta2 == meta
    assert sorted(flat) == [
        "model/0.bias",
        "model/0.weight",
        "optim/state/0/exp_avg",
        "optim/state/0/step",
    ]
    nested = unflatten_state(flat)
    assert bits_equal(nested["model"]["0.weight"], arrays["model"]["0.weight"])
    assert bits_equal(
        nested["optim"]["state"]["0"]["exp_avg"], arrays["optim"]["state"]["0"]["exp_avg"]
    )
    assert nested["optim"]["state"]["0"]["step"].shape == ()

    # The restored RNG continues exactly where the saved one would have.
    restored = np.random.default_rng()
    restored.bit_generator.state = meta2["rng"]
    assert restored.normal(size=3).tolist() == rng.normal(size=3).tolist()
    assert json.loads(load_metadata(path)[CHECKPOINT_KEY]) == meta


def test_checkpoint_errors(tmp_path):
    plain = tmp_path / "plain.safetensors"
    save({"a": np.zeros(1)}, plain)
    with pytest.raises(CheckpointError, match="plain.safetensors: no chainrule checkpoint"):
        load_checkpoint(plain)
    broken = tmp_path / "broken.safetensors"
    save({"a": np.zeros(1)}, broken, metadata={CHECKPOINT_KEY: "{not json"})
    with pytest.raises(CheckpointError, match="broken.safetensors: corrupted checkpoint metadata"):
        load_checkpoint(broken)
    listy = tmp_path / "listy.safetensors"
    save({"a": np.zeros(1)}, listy, metadata={CHECKPOINT_KEY: "[1, 2]"})
    with pytest.raises(CheckpointError, match="not a JSON object"):
        load_checkpoint(listy)
    with pytest.raises(CheckpointError, match="meta is not JSON-serializable"):
        save_checkpoint(tmp_path / "x.safetensors", {"a": np.zeros(1)}, {"when": object()})
    with pytest.raises(CheckpointError, match="meta must be a dict"):
        save_checkpoint(tmp_path / "x.safetensors", {"a": np.zeros(1)}, [1])
    assert not (tmp_path / "x.safetensors").exists()


def test_flatten_unflatten():
    w, m = np.zeros(2), np.ones(2)
    nested = {"model": {"0.weight": w}, "optim": {"state": {"0": {"exp_avg": m}}}, "top": 1}
    flat = flatten_state(nested)
    assert list(flat) == ["model/0.weight", "optim/state/0/exp_avg", "top"]
    assert flat["model/0.weight"] is w
    assert unflatten_state(flat) == {
        "model": {"0.weight": w},
        "optim": {"state": {"0": {"exp_avg": m}}},
        "top": 1,
    }
    assert flatten_state(flat) == flat  # already flat: unchanged
    assert flatten_state({"a": {"b": 1}}, sep=".") == {"a.b": 1}

    with pytest.raises(CheckpointError, match=r"state key 0 under 'optim' is not a string"):
        flatten_state({"optim": {0: m}})
    with pytest.raises(CheckpointError, match="same name 'a/b'"):
        flatten_state({"a/b": w, "a": {"b": m}})
    with pytest.raises(CheckpointError, match="conflicts with the entry 'a'"):
        unflatten_state({"a": w, "a/b": m})
    with pytest.raises(CheckpointError, match="both an entry and a prefix"):
        unflatten_state({"a/b": w, "a": m})


# ------------------------------------------------------------- background writes
def test_checkpoint_writer_writes_snapshots_in_order(tmp_path):
    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    with cr_io.CheckpointWriter() as writer:
        for epoch in range(5):
            writer.submit(tmp_path / "last.safetensors", {"w": w}, {"epoch": epoch})
            w += 1  # after submit: must not reach the file already queued
        writer.submit(tmp_path / "other.safetensors", {"w": w}, {"epoch": 99})
    arrays, meta = cr_io.load_checkpoint(tmp_path / "last.safetensors")
    assert meta == {"epoch": 4}
    np.testing.assert_array_equal(arrays["w"], np.arange(6).reshape(2, 3) + 4)
    assert cr_io.load_checkpoint(tmp_path / "other.safetensors")[1] == {"epoch": 99}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.safetensors", "other.safetensors"]


def test_checkpoint_writer_reports_a_failed_write(tmp_path):
    writer = cr_io.CheckpointWriter()
    writer.submit(tmp_path / "missing" / "x.safetensors", {"w": np.zeros(2)}, {})
    with pytest.raises(cr_io.CheckpointError, match="does not exist"):
        writer.wait()
    # bad metadata is refused at once, in the caller's thread
    with pytest.raises(cr_io.CheckpointError, match="JSON"):
        writer.submit(tmp_path / "y.safetensors", {"w": np.zeros(2)}, {"f": object()})
    writer.close()


def test_checkpoint_writer_then_runs_after_the_writes_and_not_after_a_failure(tmp_path):
    seen = []
    with cr_io.CheckpointWriter() as writer:
        writer.submit(tmp_path / "a.safetensors", {"w": np.zeros(3)}, {"epoch": 1})
        writer.then(lambda: seen.append((tmp_path / "a.safetensors").exists()))
    assert seen == [True]
    writer = cr_io.CheckpointWriter()
    writer.submit(tmp_path / "missing" / "b.safetensors", {"w": np.zeros(3)}, {})
    writer.then(lambda: seen.append("reported"))
    with pytest.raises(cr_io.CheckpointError):
        writer.close()
    assert seen == [True]


def test_checkpoint_writer_then_skips_only_after_a_failure_before_it(tmp_path):
    # A failure reported early (by a later submit) must still keep back a callback that
    # was queued behind the failed write; callbacks queued after it run again.
    import threading

    gate = threading.Event()
    real = cr_io.checkpoint._write_file

    def write(path, data):
        gate.wait(5)
        if "bad" in path.name:
            raise cr_io.CheckpointError(f"{path}: simulated failure")
        real(path, data)

    seen = []
    writer = cr_io.CheckpointWriter()
    try:
        cr_io.checkpoint._write_file = write
        writer.submit(tmp_path / "bad.safetensors", {"w": np.zeros(2)}, {})
        writer.submit(tmp_path / "good.safetensors", {"w": np.zeros(2)}, {})
        writer.then(lambda: seen.append("behind the failure"))
        gate.set()
        with pytest.raises(cr_io.CheckpointError, match="simulated"):
            writer.wait()
        writer.submit(tmp_path / "later.safetensors", {"w": np.zeros(2)}, {})
        writer.then(lambda: seen.append("after the report"))
        writer.wait()
    finally:
        cr_io.checkpoint._write_file = real
        writer.close()
    assert seen == ["after the report"]


# ---------------------------------------------------------------------------------------
# the atomic writer every file goes through


def test_atomic_write_replaces_whole_and_leaves_no_temp(tmp_path):
    path = tmp_path / "out.txt"
    atomic_write(path, "first\n")
    atomic_write(path, b"second\n")
    assert path.read_bytes() == b"second\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_atomic_file_keeps_the_old_file_when_the_block_fails(tmp_path):
    path = tmp_path / "plot.png"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="drawing failed"):
        with atomic_file(path) as f:
            f.write(b"half a pic")
            raise RuntimeError("drawing failed")
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plot.png"]


def test_a_refused_write_names_the_target_not_the_temporary(tmp_path, monkeypatch):
    path = tmp_path / "metrics.csv"
    path.write_text("old\n")

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError) as info:
        atomic_write(path, "new\n")
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(path)
    monkeypatch.undo()
    assert path.read_text() == "old\n" and leftovers(tmp_path) == []
    with pytest.raises(FileNotFoundError) as info:
        atomic_write(tmp_path / "no-such-dir" / "x.txt", "data")
    assert info.value.filename == str(tmp_path / "no-such-dir" / "x.txt")


def test_stale_temporaries_are_recognized_and_removed_only_for_their_targets(tmp_path):
    for name in (".last.safetensors.0123456789ab.tmp", ".notes.txt.0123456789ab.tmp",
                 ".last.safetensors.mine.tmp", "last.safetensors"):
        (tmp_path / name).write_text("x")
    removed = remove_stale_temporaries(tmp_path, ["last.safetensors"])
    assert [p.name for p in removed] == [".last.safetensors.0123456789ab.tmp"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".last.safetensors.mine.tmp", ".notes.txt.0123456789ab.tmp", "last.safetensors"
    ]
