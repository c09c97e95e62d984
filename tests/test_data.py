"""Tests for chainrule.data: file loaders, their error messages, datasets and the loader."""

import gzip
import json
import struct
import time

import numpy as np
import pytest

from chainrule.data import (
    ArrayDataset,
    DataError,
    DataLoader,
    Dataset,
    Standardize,
    Subset,
    check_labels,
    datasets,
    load_csv,
    load_digits,
    load_idx,
    load_idx_dir,
    load_npz,
    one_hot,
    random_split,
)

# ---------------------------------------------------------------------------------------
# helpers


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode a uint8 array as an IDX file (magic 0x0000 08 <ndim>, big-endian dims)."""
    header = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write(path, data: bytes, gz: bool = False):
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@pytest.fixture
def mnist_like():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(7, 3, 4), dtype=np.uint8)
    labels = rng.integers(0, 10, size=7, dtype=np.uint8)
    return images, labels


# ---------------------------------------------------------------------------------------
# built-in digits


def test_digits_shape_dtype_and_values():
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 16
    assert np.array_equal(X, np.round(X))  # pixel counts are whole numbers
    assert set(np.unique(y)) == set(range(10))
    counts = np.bincount(y, minlength=10)
    assert counts.sum() == 1797
    # Per-class counts of the UCI optdigits test set.
    assert counts.tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    # First image of the file is a 0 whose top row is "0 0 5 13 9 1 0 0".
    assert y[0] == 0 and X[0, :8].tolist() == [0, 0, 5, 13, 9, 1, 0, 0]


def test_digits_returns_copies_and_is_fast():
    datasets._digits_arrays.cache_clear()
    start = time.perf_counter()
    X, y = load_digits()  # parses the bundled file
    assert time.perf_counter() - start < 0.05
    X[:] = -1
    y[:] = -1
    start = time.perf_counter()
    X2, y2 = load_digits()
    assert time.perf_counter() - start < 0.05
    assert X2.min() == 0 and y2.min() == 0
    X2[0, 0] = 99  # the returned arrays are writable


# ---------------------------------------------------------------------------------------
# IDX


@pytest.mark.parametrize("gz", [False, True])
def test_load_idx_roundtrip(tmp_path, mnist_like, gz):
    images, labels = mnist_like
    # Compression is detected from content, so a gzipped file with no suffix still works.
    img = write(tmp_path / "imgs", idx_bytes(images), gz)
    lab = write(tmp_path / "labs", idx_bytes(labels), gz)
    X, y = load_idx(img, lab)
    assert X.dtype == np.float32 and X.shape == (7, 12)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(X, images.reshape(7, 12))
    np.testing.assert_array_equal(y, labels)


def test_load_idx_dir_standard_names(tmp_path, mnist_like):
    images, labels = mnist_like
    write(tmp_path / "train-images-idx3-ubyte.gz", idx_bytes(images), gz=True)
    write(tmp_path / "train-labels-idx1-ubyte.gz", idx_bytes(labels), gz=True)
    write(tmp_path / "t10k-images-idx3-ubyte", idx_bytes(images[:2]))
    write(tmp_path / "t10k-labels-idx1-ubyte", idx_bytes(labels[:2]))
    splits = load_idx_dir(tmp_path)
    assert set(splits) == {"train", "test"}
    np.testing.assert_array_equal(splits["train"][1], labels)
    np.testing.assert_array_equal(splits["test"][0], images[:2].reshape(2, 12))


def test_load_idx_dir_missing_and_ambiguous(tmp_path, mnist_like):
    images, labels = mnist_like
    write(tmp_path / "train-images-idx3-ubyte", idx_bytes(images))
    write(tmp_path / "train-labels-idx1-ubyte", idx_bytes(labels))
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte"):
        load_idx_dir(tmp_path)
    write(tmp_path / "train-images-idx3-ubyte.gz", idx_bytes(images), gz=True)
    with pytest.raises(DataError, match="several files"):
        load_idx_dir(tmp_path)
    with pytest.raises(DataError, match="directory not found"):
        load_idx_dir(tmp_path / "nope")


def test_idx_bad_magic(tmp_path, mnist_like):
    images, labels = mnist_like
    img = write(tmp_path / "img", idx_bytes(images))
    lab = write(tmp_path / "lab", idx_bytes(labels))
    with pytest.raises(DataError, match=r"lab: bad magic .* did you swap"):
        load_idx(lab, img)
    junk = write(tmp_path / "junk", b"hello world, not idx")
    with pytest.raises(DataError, match="junk: bad magic .*not an IDX file"):
        load_idx(junk, lab)
    float_idx = write(tmp_path / "float", struct.pack(">I", 0x0D03) + bytes(12))
    with pytest.raises(DataError, match="float: bad magic.*not unsigned byte"):
        load_idx(float_idx, lab)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_truncated_and_trailing(tmp_path, mnist_like, gz):
    images, labels = mnist_like
    lab = write(tmp_path / "lab", idx_bytes(labels))
    short = write(tmp_path / "short", idx_bytes(images)[:-5], gz)
    with pytest.raises(DataError, match="short: truncated payload"):
        load_idx(short, lab)
    header_only = write(tmp_path / "hdr", idx_bytes(images)[:10], gz)
    with pytest.raises(DataError, match="hdr: truncated IDX header"):
        load_idx(header_only, lab)
    long = write(tmp_path / "long", idx_bytes(images) + b"\0\0", gz)
    with pytest.raises(DataError, match="long: 2 unexpected bytes"):
        load_idx(long, lab)


def test_idx_count_mismatch_missing_empty_and_corrupt_gzip(tmp_path, mnist_like):
    images, labels = mnist_like
    img = write(tmp_path / "img", idx_bytes(images))
    lab = write(tmp_path / "lab", idx_bytes(labels[:5]))
    with pytest.raises(DataError, match="img has 7 images but .*lab has 5 labels"):
        load_idx(img, lab)
    with pytest.raises(DataError, match="missing.*file not found"):
        load_idx(tmp_path / "missing", lab)
    with pytest.raises(DataError, match="empty.*file is empty"):
        load_idx(write(tmp_path / "empty", b""), lab)
    broken = write(tmp_path / "broken.gz", gzip.compress(idx_bytes(images))[:-8])
    with pytest.raises(DataError, match="broken.gz: corrupt or truncated gzip"):
        load_idx(broken, lab)
    zero = write(tmp_path / "zero", struct.pack(">IIII", 0x0803, 0, 28, 28))
    with pytest.raises(DataError, match="zero: header declares an empty dimension"):
        load_idx(zero, lab)


# ---------------------------------------------------------------------------------------
# CSV


def test_load_csv_values(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,label,b\n1.5,2,-3\n\n0,0,1e3\n", encoding="utf-8-sig")
    X, y = load_csv(path)
    assert X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(X, [[1.5, -3], [0, 1000]])
    np.testing.assert_array_equal(y, [2, 0])
    gz = write(tmp_path / "d.csv.gz", b"x;y;cls\n1;2;1\n", gz=True)
    X, y = load_csv(gz, target="cls", delimiter=";")
    np.testing.assert_array_equal(X, [[1, 2]])
    np.testing.assert_array_equal(y, [1])


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        ("a,label\n1,0\nx,1\n", r"non-numeric value 'x' in column 'a', line 3"),
        ("a,label\n1,0\n,1\n", r"empty value in column 'a', line 3"),
        ("a,b,label\n1,2,0\n1,nan,1\n", r"NaN or infinity.*column 'b', line 3"),
        ("a,label\n1,0\n2,1.5\n", r"label '1.5'.*line 3, is not an integer"),
        ("a,label\n1,cat\n", r"label 'cat'.*is a class name; pass return_classes=True"),
        ("a,label\n1,cat\n2,1\n", r"mixes numbers \(e.g. '1'\) and names \(e.g. 'cat'\)"),
        ("a,label\n1,0\n1e300,1\n", r"value 1e\+300 .* beyond float32's range"),
        ("a,label\n1,-1\n", r"label '-1'.*line 2"),
        ("a,label\n1,0\n2,1,3\n", r"line 3 has 3 fields but the header has 2"),
        ("a,b\n1,0\n", r"no target column 'label'; found 2 columns: 'a', 'b'"),
        ("a,Label\n1,0\n", r"did you mean target='Label'"),
        ("a;label\n1;0\n", r"found 1 columns: 'a;label'; is the delimiter ';'"),
        ("1,2,3\n4,5,6\n", r"looks like data, not a header"),
        ("a,label\n", r"header but no data rows"),
        ("label\n1\n", r"no feature columns"),
        ("a,a,label\n1,2,3\n", r"duplicate column names 'a'"),
        ("\na,label\n", r"first line is empty"),
    ],
)
def test_load_csv_errors_name_file_and_problem(tmp_path, content, pattern):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(DataError, match=pattern) as info:
        load_csv(path)
    assert str(path) in str(info.value)


def test_load_csv_missing_empty_and_binary(tmp_path):
    with pytest.raises(DataError, match="nope.csv: file not found"):
        load_csv(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="e.csv: file is empty"):
        load_csv(write(tmp_path / "e.csv", b""))
    with pytest.raises(DataError, match="bin.csv: not UTF-8"):
        load_csv(write(tmp_path / "bin.csv", b"a,label\n\xff\xfe,1\n"))


# ---------------------------------------------------------------------------------------
# NPZ


def test_load_npz_values_and_shape(tmp_path):
    X = np.arange(24, dtype=np.float64).reshape(3, 2, 4)
    np.savez(tmp_path / "d.npz", X=X, y=np.array([2, 0, 1], dtype=np.uint8))
    X2, y2 = load_npz(tmp_path / "d.npz")
    assert X2.dtype == np.float32 and X2.shape == (3, 2, 4)
    assert y2.dtype == np.int64
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, [2, 0, 1])


def test_load_npz_errors(tmp_path):
    np.savez(tmp_path / "keys.npz", x=np.zeros((2, 2)), Y=np.zeros(2))
    with pytest.raises(DataError, match=r"keys.npz: missing array\(s\) 'X', 'y'; found 'Y', 'x'"):
        load_npz(tmp_path / "keys.npz")
    np.savez(tmp_path / "len.npz", X=np.zeros((3, 2)), y=np.zeros(2, dtype=int))
    with pytest.raises(DataError, match="len.npz: X has 3 rows but y has 2"):
        load_npz(tmp_path / "len.npz")
    np.savez(tmp_path / "nan.npz", X=np.array([[1.0, np.nan]]), y=np.array([0]))
    with pytest.raises(DataError, match=r"nan.npz: X contains NaN .*\(0, 1\)"):
        load_npz(tmp_path / "nan.npz")
    np.savez(tmp_path / "lab.npz", X=np.zeros((2, 1)), y=np.array([0.0, 0.5]))
    with pytest.raises(DataError, match="lab.npz: y: labels must be integers, found 0.5"):
        load_npz(tmp_path / "lab.npz")
    obj = np.array([{"a": 1}, None], dtype=object)
    np.savez(tmp_path / "obj.npz", X=obj, y=np.array([0, 1]))
    with pytest.raises(DataError, match="obj.npz: unreadable"):
        load_npz(tmp_path / "obj.npz")
    np.save(tmp_path / "single.npy", np.zeros(3))
    with pytest.raises(DataError, match="single.npy: is a single-array .npy"):
        load_npz(tmp_path / "single.npy")
    with pytest.raises(DataError, match="text.npz: not an .npz archive"):
        load_npz(write(tmp_path / "text.npz", b"X,y\n"))
    with pytest.raises(DataError, match="trunc.npz: unreadable"):
        load_npz(write(tmp_path / "trunc.npz", (tmp_path / "len.npz").read_bytes()[:40]))
    with pytest.raises(DataError, match="gone.npz: file not found"):
        load_npz(tmp_path / "gone.npz")


# ---------------------------------------------------------------------------------------
# labels


def test_check_labels_accepts_and_converts():
    out = check_labels(np.array([0.0, 2.0, 1.0]))
    assert out.dtype == np.int64 and out.tolist() == [0, 2, 1]
    assert check_labels([1, 2], num_classes=3).tolist() == [1, 2]


@pytest.mark.parametrize(
    ("labels", "num_classes", "pattern"),
    [
        (np.arange(1, 11), None, r"smallest is 1 \(range 1..10\).*y - 1"),
        (np.arange(1, 11), 10, r"labels must be in 0..9 for num_classes=10, found 10"),
        ([0, 0.5, 1], None, r"labels must be integers, found 0.5"),
        ([0, np.nan], None, r"labels must be integers, found nan"),
        ([0, -2, -3], None, r"labels must be >= 0, found -3, -2 \(first at index 1\)"),
        (["a", "b"], None, r"numeric class indices"),
        (np.eye(3), None, r"got shape \(3, 3\); for one-hot labels use y.argmax"),
        ([0, 1], 0, r"num_classes must be >= 1"),
    ],
)
def test_check_labels_rejects(labels, num_classes, pattern):
    with pytest.raises(DataError, match=pattern):
        check_labels(labels, num_classes)


def test_one_hot():
    out = one_hot([2, 0, 1], 4)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.eye(4, dtype=np.float32)[[2, 0, 1]])
    assert one_hot([1], 2, dtype=np.int64).dtype == np.int64
    with pytest.raises(DataError, match="found 4"):
        one_hot([4], 4)


# ---------------------------------------------------------------------------------------
# datasets and loader


def make_dataset(n=10):
    X = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.int64)
    return ArrayDataset(X, y)


class ListDataset:
    """A generic (non-array) dataset returning (features, label) per sample."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.full(2, i, dtype=np.float32), i


def test_array_dataset_and_protocol():
    ds = make_dataset(4)
    assert len(ds) == 4 and isinstance(ds, Dataset)
    x, y = ds[2]
    assert x.tolist() == [6, 7, 8] and y == 2
    with pytest.raises(
        DataError, match=r"same length along axis 0, got shapes \[\(3, 2\), \(2,\)\]"
    ):
        ArrayDataset(np.zeros((3, 2)), np.zeros(2))
    with pytest.raises(DataError, match="at least one array"):
        ArrayDataset()
    with pytest.raises(DataError, match="first"):
        ArrayDataset(np.float32(1))


def test_loader_batches_in_order():
    loader = DataLoader(make_dataset(10), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 == len(batches)
    assert all(isinstance(b, tuple) and len(b) == 2 for b in batches)
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    np.testing.assert_array_equal(batches[1][0], np.arange(12, 24).reshape(4, 3))


def test_loader_drop_last():
    loader = DataLoader(make_dataset(10), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert [b[1].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(make_dataset(3), batch_size=4, drop_last=True)) == 0
    assert list(DataLoader(make_dataset(3), batch_size=4, drop_last=True)) == []


def test_loader_batches_are_copies():
    ds = make_dataset(4)
    for x, _ in DataLoader(ds, batch_size=2):
        x[:] = -1
    assert ds.arrays[0].min() == 0


def test_loader_does_not_index_per_sample_for_arrays():
    class NoItemAccess(ArrayDataset):
        def __getitem__(self, index):
            raise AssertionError("per-sample access on the fast path")

    batches = list(DataLoader(NoItemAccess(np.arange(5)), batch_size=2, shuffle=True, seed=0))
    assert sorted(np.concatenate([b[0] for b in batches]).tolist()) == list(range(5))


def test_loader_shuffle_reproducible_and_epochs_differ():
    def run(seed):
        loader = DataLoader(make_dataset(20), batch_size=8, shuffle=True, seed=seed)
        return [np.concatenate([b[1] for b in loader]) for _ in range(3)]

    first, again, other = run(7), run(7), run(8)
    for epoch in range(3):
        np.testing.assert_array_equal(first[epoch], again[epoch])
        assert sorted(first[epoch].tolist()) == list(range(20))  # a permutation
    assert not np.array_equal(first[0], first[1])
    assert not np.array_equal(first[0], other[0])
    # Features travel with their labels.
    loader = DataLoader(make_dataset(20), batch_size=8, shuffle=True, seed=7)
    for x, y in loader:
        np.testing.assert_array_equal(x[:, 0], 3 * y)


def test_loader_set_epoch_is_pure_function_of_seed_and_epoch():
    sequential = DataLoader(make_dataset(20), batch_size=5, shuffle=True, seed=3)
    orders = [np.concatenate([b[1] for b in sequential]) for _ in range(4)]
    assert sequential.epoch == 4
    resumed = DataLoader(make_dataset(20), batch_size=5, shuffle=True, seed=3)
    resumed.set_epoch(2)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in resumed]), orders[2])
    np.testing.assert_array_equal(np.concatenate([b[1] for b in resumed]), orders[3])
    with pytest.raises(DataError, match="epoch must be >= 0"):
        resumed.set_epoch(-1)


def test_loader_seed_none_is_recorded():
    loader = DataLoader(make_dataset(50), batch_size=50, shuffle=True)
    json.dumps(loader.seed)  # the drawn seed can go into a checkpoint
    first = next(iter(loader))[1]
    replay = DataLoader(make_dataset(50), batch_size=50, shuffle=True, seed=loader.seed)
    np.testing.assert_array_equal(next(iter(replay))[1], first)


def test_loader_generic_dataset_stacks_samples():
    loader = DataLoader(ListDataset(5), batch_size=2, shuffle=True, seed=1)
    seen = []
    for x, y in loader:
        assert x.dtype == np.float32 and x.shape[1:] == (2,)
        np.testing.assert_array_equal(x[:, 0], y)
        seen.extend(y.tolist())
    assert sorted(seen) == list(range(5))

    class Bare:
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return np.array([i, i])

    (only,) = next(iter(DataLoader(Bare(), batch_size=3)))
    np.testing.assert_array_equal(only, [[0, 0], [1, 1], [2, 2]])


def test_loader_rejects_bad_arguments():
    for bad in (0, -1, 2.5, True):
        with pytest.raises(DataError, match="batch_size"):
            DataLoader(make_dataset(), batch_size=bad)
    with pytest.raises(DataError, match="seed"):
        DataLoader(make_dataset(), seed=-1)


def test_random_split_indices_disjoint_and_covering():
    parts = random_split(103, [0.7, 0.2, 0.1], seed=0)
    assert [len(p) for p in parts] == [73, 20, 10]
    joined = np.concatenate(parts)
    assert sorted(joined.tolist()) == list(range(103))
    again = random_split(103, [0.7, 0.2, 0.1], seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(parts, again, strict=True))
    assert not np.array_equal(random_split(103, [0.7, 0.2, 0.1], seed=1)[0], parts[0])
    assert [len(p) for p in random_split(10, [3, 7], seed=0)] == [3, 7]


def test_random_split_subsets_feed_the_loader():
    ds = make_dataset(10)
    train, val = random_split(ds, [8, 2], seed=5)
    assert isinstance(train, Subset) and len(train) == 8 and len(val) == 2
    assert set(train.indices) | set(val.indices) == set(range(10))
    assert not set(train.indices) & set(val.indices)
    x, y = val[1]
    assert y == val.indices[1] and x.tolist() == ds[val.indices[1]][0].tolist()
    (xs, ys), *_ = DataLoader(val, batch_size=2)
    np.testing.assert_array_equal(ys, val.indices)
    np.testing.assert_array_equal(xs[:, 0], 3 * ys)
    # Subsets of subsets compose.
    inner = Subset(train, [0, 2])
    (_, ys), *_ = DataLoader(inner, batch_size=5)
    np.testing.assert_array_equal(ys, train.indices[[0, 2]])


@pytest.mark.parametrize(
    "sizes", [[5, 4], [0.5, 0.6], [1.2, -0.2], [], [-1, 11]], ids=lambda s: str(s)
)
def test_random_split_rejects_bad_sizes(sizes):
    with pytest.raises(DataError, match="split|at least one"):
        random_split(10, sizes, seed=0)


def test_subset_rejects_out_of_range():
    with pytest.raises(DataError, match=r"\[0, 10\)"):
        Subset(make_dataset(10), [0, 10])


# ---------------------------------------------------------------------------------------
# Standardize


def test_standardize_fit_transform_and_round_trip():
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(200, 3)) * [1.0, 10.0, 0.0] + [5.0, -2.0, 7.0]).astype(np.float32)
    scaler = Standardize()
    Z = scaler.fit_transform(X)
    assert Z.dtype == np.float32
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(Z[:, :2].std(axis=0), 1, atol=1e-5)
    np.testing.assert_array_equal(Z[:, 2], 0)  # constant feature: std 0 -> 1, no NaN
    np.testing.assert_allclose(scaler.inverse_transform(Z), X, rtol=1e-5, atol=1e-5)

    state = json.loads(json.dumps(scaler.state()))
    restored = Standardize.from_state(state)
    np.testing.assert_array_equal(restored.transform(X), Z)
    np.testing.assert_array_equal(restored.mean, scaler.mean)


def test_standardize_errors():
    with pytest.raises(DataError, match="not fitted"):
        Standardize().transform(np.zeros((2, 2)))
    scaler = Standardize().fit(np.zeros((3, 2)))
    with pytest.raises(DataError, match="fitted on 2 features"):
        scaler.transform(np.zeros((3, 4)))
    with pytest.raises(DataError, match="NaN"):
        Standardize().fit(np.array([[np.nan]]))
    with pytest.raises(DataError, match="mean"):
        Standardize.from_state({"std": [1.0]})
    with pytest.raises(DataError, match="positive"):
        Standardize.from_state({"mean": [0.0], "std": [0.0]})
