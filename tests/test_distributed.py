"""chainrule.distributed: a world of one in this process, and real 2-rank MPI runs.

The 2-rank tests launch ``mpiexec -n 2 python tests/mpi_scripts/<script>.py`` (the
mpiexec next to this Python, which the ``mpich`` wheel installs, else the one on PATH)
with a timeout, so a hang fails the test instead of stalling the suite. They are
skipped only when mpi4py is not installed.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from chainrule import distributed as dist
from chainrule import nn, optim
from chainrule.cli import main
from chainrule.data import ArrayDataset, DataError, DataLoader
from chainrule.distributed import world
from chainrule.tensor import Tensor

SCRIPTS = Path(__file__).parent / "mpi_scripts"
TIMEOUT = 60  # seconds for one mpiexec run; each takes about one second

needs_mpi = pytest.mark.skipif(
    importlib.util.find_spec("mpi4py") is None,
    reason="mpi4py is not installed; the 2-rank MPI tests need: pip install 'chainrule[mpi]'",
)


def mpiexec():
    """The mpiexec of this Python's environment (the mpich wheel's), else the one on PATH."""
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = Path(folder) / "mpiexec"
        if candidate.exists():
            return str(candidate)
    found = shutil.which("mpiexec")
    if found is None:
        pytest.fail("mpi4py is installed but no mpiexec was found next to Python or on PATH; "
                    "install an MPI, e.g. pip install mpich")
    return found


def run_ranks(script, *args, ranks=2, cwd=None):
    """Run ``script`` on ``ranks`` MPI ranks; kill the whole launch if it outlives TIMEOUT."""
    command = [mpiexec(), "-n", str(ranks), sys.executable, str(SCRIPTS / script), *map(str, args)]
    return _launch(command, cwd, f"{script} {args} on {ranks} ranks")


def _launch(command, cwd, what):
    """Run an mpiexec command line; return (status, stdout, stderr), failing on a hang."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    # A session of its own, so a timeout can kill mpiexec, its proxies and every rank.
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=cwd, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"{what} hung for {TIMEOUT}s:\n{out}\n{err}")
    return proc.returncode, out, err


def rank_results(script, tmp_path, ranks=2):
    code, out, err = run_ranks(script, tmp_path, ranks=ranks)
    assert code == 0, f"{script} failed with status {code}:\n{out}\n{err}"
    return [dict(np.load(tmp_path / f"rank{r}.npz")) for r in range(ranks)]


# ---------------------------------------------------------------------------------------
# A world of one (this process, no mpiexec)


def test_single_process_world_is_one_rank_and_collectives_are_identities():
    dist.init()
    assert dist.is_initialized() and dist.rank() == 0 and dist.world_size() == 1
    for op in ("sum", "mean", "max", "min"):
        x = np.arange(5, dtype=np.float32)
        assert dist.all_reduce_(x, op) is x
        np.testing.assert_array_equal(x, np.arange(5, dtype=np.float32))
        assert x.dtype == np.float32
    y = np.ones(3)
    assert dist.broadcast_(y) is y and (y == 1).all()
    assert dist.broadcast_object({"a": 1}) == {"a": 1}


def test_all_reduce_rejects_what_it_cannot_reduce_in_place():
    with pytest.raises(TypeError, match="NumPy array"):
        dist.all_reduce_([1.0, 2.0])
    with pytest.raises(ValueError, match="C-contiguous"):
        dist.all_reduce_(np.ones((3, 4))[:, ::2])
    frozen = np.ones(3)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        dist.all_reduce_(frozen)
    with pytest.raises(TypeError, match="op='mean' needs a floating-point"):
        dist.all_reduce_(np.arange(3), "mean")
    with pytest.raises(ValueError, match="op must be one of"):
        dist.all_reduce_(np.ones(3), "prod")


def test_fail_together_in_one_process_passes_the_error_through():
    error = ValueError("bad row 7")
    with pytest.raises(ValueError) as caught, dist.fail_together():
        raise error
    assert caught.value is error
    assert dist.raised_on_every_rank(error)  # a world of one: every rank is this one


def test_distributed_optimizer_alone_steps_exactly_like_its_optimizer():
    def model():
        return nn.Sequential(nn.Linear(6, 5, rng=0), nn.Tanh(), nn.Linear(5, 3, rng=1))

    a, b = model(), model()
    wrapped = dist.DistributedOptimizer(optim.Adam(a.parameters(), lr=0.01))
    plain = optim.Adam(b.parameters(), lr=0.01)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.standard_normal((8, 6)).astype(np.float32)
        t = rng.integers(0, 3, 8)
        for m, opt in ((a, wrapped), (b, plain)):
            opt.zero_grad()
            nn.CrossEntropyLoss()(m(Tensor(x)), t).backward()
        wrapped.step(samples=8)
        plain.step()
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    assert wrapped.param_groups is wrapped.optimizer.param_groups
    assert set(wrapped.state_dict()["state"]) == set(plain.state_dict()["state"])
    with pytest.raises(ValueError, match="samples must be >= 0"):
        wrapped.step(samples=-1)


def test_schedulers_drive_the_wrapped_optimizer():
    params = list(nn.Linear(2, 2, rng=0).parameters())
    wrapped = dist.DistributedOptimizer(optim.SGD(params, lr=1.0))
    schedule = optim.lr_scheduler.StepLR(wrapped, step_size=1, gamma=0.5)
    schedule.step()
    assert wrapped.optimizer.param_groups[0]["lr"] == 0.5


@pytest.mark.parametrize("world_size", [1, 2, 3, 4])
@pytest.mark.parametrize("n, batch, drop_last", [(103, 10, False), (103, 10, True),
                                                 (9, 4, False), (5, 16, False)])
def test_sampler_parts_are_disjoint_and_rebuild_every_global_batch(world_size, n, batch,
                                                                   drop_last):
    samplers = [dist.DistributedSampler(n, batch, shuffle=True, seed=3, drop_last=drop_last,
                                        rank=r, world_size=world_size)
                for r in range(world_size)]
    reference = DataLoader(ArrayDataset(np.arange(n)), batch, shuffle=True, seed=3,
                           drop_last=drop_last)
    for epoch in (0, 1):
        reference.set_epoch(epoch)
        per_rank = [list(s) for s in samplers]
        assert all(len(parts) == len(reference) == len(s) for parts, s in zip(per_rank, samplers))
        for step, (global_batch,) in enumerate(reference):
            parts = [rank_parts[step] for rank_parts in per_rank]
            np.testing.assert_array_equal(np.concatenate(parts), global_batch)
            sizes = [len(p) for p in parts]
            assert max(sizes) - min(sizes) <= 1
        shards = [s.indices(epoch) for s in samplers]
        union = np.concatenate(shards)
        assert len(np.unique(union)) == len(union)  # disjoint
        expected = len(reference) * batch if drop_last else n
        assert len(union) == expected


def test_sampler_epochs_are_reproducible_and_seeded():
    a = dist.DistributedSampler(50, 8, shuffle=True, seed=1, rank=1, world_size=2)
    b = dist.DistributedSampler(50, 8, shuffle=True, seed=1, rank=1, world_size=2)
    c = dist.DistributedSampler(50, 8, shuffle=True, seed=2, rank=1, world_size=2)
    first = [part.copy() for part in a]
    assert a.epoch == 1
    a.set_epoch(0)
    np.testing.assert_array_equal(np.concatenate(first), np.concatenate(list(a)))
    np.testing.assert_array_equal(a.indices(3), b.indices(3))
    assert not np.array_equal(a.indices(0), c.indices(0))


def test_sampler_rejects_an_impossible_rank_and_a_missing_seed():
    with pytest.raises(DataError, match="rank 2 is not in a world of size 2"):
        dist.DistributedSampler(10, 2, rank=2, world_size=2, seed=0)
    with pytest.raises(DataError, match="pass a seed"):
        dist.DistributedSampler(10, 2, rank=0, world_size=2)


def test_distributed_loader_alone_gives_the_dataloader_batches():
    X = np.arange(40, dtype=np.float32).reshape(20, 2)
    y = np.arange(20)
    ours = dist.DistributedDataLoader(ArrayDataset(X, y), batch_size=6, shuffle=True, seed=4)
    theirs = DataLoader(ArrayDataset(X, y), batch_size=6, shuffle=True, seed=4)
    assert len(ours) == len(theirs) == 4
    for _ in range(2):  # two epochs: both advance their epoch counters alike
        for (xa, ya), (xb, yb) in zip(ours, theirs, strict=True):
            np.testing.assert_array_equal(xa, xb)
            np.testing.assert_array_equal(ya, yb)
    assert ours.epoch == theirs.epoch == 2


def test_launched_as_one_of_several_ranks_without_mpi4py_says_how_to_install(monkeypatch):
    monkeypatch.setattr(world._World, "initialized", False)
    monkeypatch.setattr(world._World, "comm", None)
    monkeypatch.setattr(world, "mpi_available", lambda: False)
    monkeypatch.setenv("PMI_SIZE", "2")
    with pytest.raises(ImportError, match=r"pip install 'chainrule\[mpi\]'"):
        dist.init()
    monkeypatch.setenv("PMI_SIZE", "1")
    dist.init()  # a plain process without mpi4py: a world of one
    assert dist.world_size() == 1 and dist.all_reduce_(np.ones(2), "sum")[0] == 1


# ---------------------------------------------------------------------------------------
# Two ranks under mpiexec


@needs_mpi
def test_two_ranks_all_reduce_broadcast_and_sampling(tmp_path):
    r0, r1 = rank_results("collectives.py", tmp_path)
    assert r0["world_size"] == r1["world_size"] == 2
    for key in (k[3:] for k in r0 if k.startswith("in_")):
        a, b = r0[f"in_{key}"], r1[f"in_{key}"]
        op = key.rsplit("_", 1)[1]
        expected = {"sum": a + b, "mean": (a + b) / 2, "max": np.maximum(a, b),
                    "min": np.minimum(a, b)}[op]
        for rank in (r0, r1):
            got = rank[f"out_{key}"]
            assert got.dtype == a.dtype and got.shape == a.shape, key
            # With two ranks a + b has one rounding, whatever the order: exact equality.
            np.testing.assert_array_equal(got, expected.astype(a.dtype), err_msg=key)
            assert rank[f"same_object_{key}"], f"{key}: all_reduce_ must return its argument"
    assert r0["scalar_sum"] == r1["scalar_sum"] == 1.5 + 2.5
    np.testing.assert_array_equal(r1["int_sum"], np.arange(5) * 3)

    model_keys = [k for k in r0 if k.startswith("model_")]
    assert "model_2.running_mean" in model_keys
    for key in model_keys:
        np.testing.assert_array_equal(r0[key], r1[key], err_msg=key)
    assert (r1["model_2.running_mean"] == 0).all()  # rank 0 set 0, rank 1 had 1

    assert r0["drawn_seed"] == r1["drawn_seed"]
    steps = int(r0["steps"])
    reference = DataLoader(ArrayDataset(np.arange(103)), 10, shuffle=True, seed=5)
    for epoch in (0, 1):
        a, b = r0[f"shard_{epoch}"], r1[f"shard_{epoch}"]
        assert not set(a) & set(b)
        assert sorted(np.concatenate([a, b])) == list(range(103))
        reference.set_epoch(epoch)
        for step, (global_batch,) in enumerate(reference):
            parts = r0[f"part_{epoch}_{step}"], r1[f"part_{epoch}_{step}"]
            np.testing.assert_array_equal(np.concatenate(parts), global_batch)
        assert step + 1 == steps
    assert sorted(np.concatenate([r0["loader_rows"], r1["loader_rows"]])) == list(range(103))


@needs_mpi
def test_two_ranks_train_like_one_process_and_stay_bit_identical(tmp_path):
    r0, r1 = rank_results("equivalence.py", tmp_path)
    cases = [k[len("rel_"):] for k in r0 if k.startswith("rel_")]
    assert len(cases) == 5
    for case in cases:
        tol = 1e-5 if case.startswith("float32") else 1e-10
        for rank in (r0, r1):
            assert rank[f"identical_{case}"].all(), f"{case}: ranks diverged at some step"
            assert rank[f"rel_{case}"].max() <= tol, (case, rank[f"rel_{case}"].max())
            # Summation order is all that differs, so some difference is expected in
            # float32; the test would pass trivially if the runs were the same code path.
        np.testing.assert_array_equal(r0[f"params_{case}"], r1[f"params_{case}"])
        np.testing.assert_array_equal(r0[f"reference_{case}"], r1[f"reference_{case}"])
    assert r0["empty_float64_sgd_898"] == 0 and r1["empty_float64_sgd_898"] == 2
    assert len(r0["rel_float32_adam_37"]) == 2 * 49  # two epochs, partial last batches included


@needs_mpi
@pytest.mark.parametrize("mode, message", [
    ("exception", "ValueError: bad record in shard 1 at step 3"),
    ("nan", "FloatingPointError: loss became nan at step 2"),
    ("mismatch", "DistributedError: DistributedOptimizer(SGD): rank 1 holds other tensors than "
                 "rank 0 (parameter 0: shape (9, 4) float32 on rank 1, shape (8, 4) float32 on "
                 "rank 0); build the same model on every rank"),
    ("pickle", "DistributedError: Unpicklable: cannot send this one as it is"),
])
def test_an_error_on_one_rank_stops_every_rank_with_its_message(mode, message):
    code, out, err = run_ranks("failure.py", mode)
    assert code == 3, f"status {code}\n{out}\n{err}"
    lines = sorted(line for line in out.splitlines() if line.startswith("rank "))
    assert lines == [f"rank 0 stopped: {message}", f"rank 1 stopped: {message}"], out + err


# ---------------------------------------------------------------------------------------
# chainrule train --distributed

TRAIN = ["--epochs", "3", "--hidden", "24", "--batch-size", "37", "--seed", "3"]


def run_cli(*args, ranks=2, cwd):
    """``mpiexec -n ranks python -m chainrule train --distributed ...`` in ``cwd``."""
    command = [mpiexec(), "-n", str(ranks), sys.executable, "-m", "chainrule", "train",
               "--distributed", *args]
    return _launch(command, cwd, str(command))


def weights(run_dir):
    return {k: v for k, v in load_file(run_dir / "last.safetensors").items()
            if k.startswith("model/")}


@pytest.fixture(scope="module")
def two_rank_run(tmp_path_factory):
    """One uninterrupted 2-rank run of TRAIN, shared by the tests below."""
    cwd = tmp_path_factory.mktemp("two_ranks")
    code, out, err = run_cli(*TRAIN, "--out", "run", cwd=cwd)
    assert code == 0, out + err
    return cwd, out, err


@needs_mpi
def test_cli_two_ranks_train_like_one_process_and_only_rank_0_writes(two_rank_run, tmp_path):
    cwd, out, err = two_rank_run
    assert err == ""
    lines = out.splitlines()
    # One copy of every line: the other rank prints nothing.
    assert len(lines) == 6, out
    assert lines[0].startswith("mlp 64-24-10 tanh on digits") and lines[0].endswith("2 ranks")
    assert [line.split()[1] for line in lines[1:4]] == ["1/3", "2/3", "3/3"]
    assert lines[4].startswith("test accuracy") and lines[5] == "run directory: run"
    assert sorted(p.name for p in cwd.iterdir()) == ["run"]  # no stray run directory

    assert main(["train", *TRAIN, "--out", str(tmp_path / "alone"), "--quiet"]) == 0
    parallel, alone = weights(cwd / "run"), weights(tmp_path / "alone")
    assert sorted(parallel) == sorted(alone)
    for key in alone:
        scale = np.abs(alone[key]).max()
        assert np.abs(parallel[key] - alone[key]).max() <= 1e-5 * scale, key
    ours = np.loadtxt(cwd / "run" / "metrics.csv", delimiter=",", skiprows=1)
    theirs = np.loadtxt(tmp_path / "alone" / "metrics.csv", delimiter=",", skiprows=1)
    np.testing.assert_array_equal(ours[:, [0, 2, 5]], theirs[:, [0, 2, 5]])  # epoch, acc, lr
    np.testing.assert_allclose(ours[:, [1, 3, 4]], theirs[:, [1, 3, 4]], rtol=1e-6)


@needs_mpi
def test_cli_ctrl_c_on_one_rank_stops_all_and_resumes_to_the_same_bits(two_rank_run, tmp_path):
    code, out, err = run_ranks("cli_fault.py", "interrupt", *TRAIN, "--out", "run", "--quiet",
                               cwd=tmp_path)
    assert code == 130, out + err
    assert err.splitlines() == [
        "interrupted at epoch 2, step 4; saved run/last.safetensors",
        "resume with: mpiexec -n 2 chainrule train --resume run --distributed",
    ]
    code, out, err = run_cli("--resume", "run", cwd=tmp_path)
    assert code == 0, out + err
    assert out.splitlines()[0] == "resuming run from epoch 1, step 4 to 3 epochs"
    resumed, uninterrupted = weights(tmp_path / "run"), weights(two_rank_run[0] / "run")
    for key in uninterrupted:
        np.testing.assert_array_equal(resumed[key], uninterrupted[key], err_msg=key)


@needs_mpi
def test_cli_nan_on_one_rank_stops_all_with_one_error_line(tmp_path):
    code, out, err = run_ranks("cli_fault.py", "nan", *TRAIN, "--out", "run", "--quiet",
                               cwd=tmp_path)
    assert code == 1, out + err
    assert err.splitlines() == [
        "error: the loss became nan at epoch 2, step 5 (lr 0.001); training stopped before "
        "that update and nothing non-finite was saved: run/last.safetensors (from epoch 1) is "
        "intact, the last finite checkpoint and the one --resume continues from; try a "
        "smaller learning rate, e.g. --lr 0.0001"
    ]


def test_cli_distributed_without_mpi4py_says_how_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(dist, "mpi_available", lambda: False)
    assert main(["train", "--distributed", "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --distributed needs mpi4py and an MPI library: pip install "
                          "'chainrule[mpi]'"), err
    assert not (tmp_path / "run").exists()


def mapped_files():
    """Every file some process on this machine has mapped into memory."""
    mapped = set()
    for maps in Path("/proc").glob("[0-9]*/maps"):
        try:
            mapped.update(line.split(None, 5)[-1].strip() for line in maps.read_text().splitlines())
        except OSError:  # the process ended, or is not ours to read
            continue
    return mapped


def remove_abandoned_segments(made):
    """Unlink the MPICH shared-memory segments in ``made`` once no process maps them.

    MPI_Abort leaves its job's segment in /dev/shm; the killed ranks may still be exiting
    when mpiexec returns, so wait (at most 10 s) for them to let go.
    """
    deadline = time.monotonic() + 10
    while made and time.monotonic() < deadline:
        in_use = mapped_files()
        for segment in [s for s in made if str(s) not in in_use]:
            segment.unlink(missing_ok=True)
            made.discard(segment)
        if made:
            time.sleep(0.05)


@needs_mpi
def test_an_error_outside_fail_together_is_not_shared_and_abort_stops_every_rank():
    shm = Path("/dev/shm")
    before = set(shm.glob("mpich_shm_*"))
    code, out, err = run_ranks("failure.py", "outside")
    remove_abandoned_segments(set(shm.glob("mpich_shm_*")) - before)
    assert code == 4, f"status {code}\n{out}\n{err}"
    assert out.splitlines() == ["rank 1 aborting: lost the data on rank 1"], out + err
