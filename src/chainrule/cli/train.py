"""``chainrule train``: set up or resume a run, fit it, evaluate and report.

The run directory and its files are described in :mod:`chainrule.cli.rundir`, what a
checkpoint holds in :mod:`chainrule.cli.checkpoints`, and the training loop in
:mod:`chainrule.cli.run`.
"""

from __future__ import annotations

import contextlib
import os
import sys
from importlib.util import find_spec
from pathlib import Path

from .. import distributed as dist
from .. import io as cr_io
from .. import threads
from ..data import DataError, Standardize
from ..io.atomic import atomic_write
from . import allocator, inputs, rundir, text
from . import config as cfg
from .checkpoints import read_checkpoint
from .errors import EXIT_FAILURE, EXIT_INTERRUPTED, Interrupted, UsageError
from .models import describe
from .run import Run
from .rundir import LAST

# ---------------------------------------------------------------------------------------
# Entry points


def require_extras() -> None:
    """Fail before training, not after it, when a package of the train extra is missing."""
    missing = [name for name in ("safetensors", "matplotlib") if find_spec(name) is None]
    if missing:
        raise UsageError(
            f"chainrule train needs {' and '.join(missing)}: pip install 'chainrule[train]'"
        )


def _start(args: dict, locks: contextlib.ExitStack, distributed: bool = False) -> tuple[Run, bool]:
    args.pop("resume", None)
    config, runtime = cfg.resolve(args)
    prepared = prepare(config)
    writes = not distributed or dist.rank() == 0
    # Other ranks learn the directory from rank 0 once setup is over (see _train).
    if writes:
        run_dir, auto_named = rundir.choose_run_dir(config, runtime["overwrite"])
    else:
        run_dir, auto_named = Path(config["out"]), False
    # Build (and so check) model, optimizer and loader before anything is created or
    # --overwrite removes anything.
    run = Run({**config, "out": str(run_dir)}, prepared, run_dir, runtime["quiet"], distributed)
    if writes:
        run_dir, lock = rundir.claim(run_dir, runtime["overwrite"], auto_named)
        locks.callback(lock.release)
        run.run_dir = run_dir
        run.config = {**run.config, "out": str(run_dir)}
        run.write_file(run_dir / "config.toml", lambda f: atomic_write(f, cfg.to_toml(run.config)))
    # A checkpoint from the start, on disk before the first line is printed: from then on
    # a run killed at any moment can be resumed.
    run.save_last()
    run._wait_for_writes()
    return run, runtime["quiet"]


# Options that may accompany --resume; everything else comes from the saved run.
RESUME_OPTIONS = ("epochs", "quiet")


def _resume(args: dict, locks: contextlib.ExitStack, distributed: bool = False) -> tuple[Run, bool]:
    run_dir = Path(args.pop("resume"))
    extra = sorted(k for k in args if k not in RESUME_OPTIONS)
    if extra:
        flags = ", ".join(
            cfg.OPTION_BY_KEY[k].flag if k in cfg.OPTION_BY_KEY else f"--{k}" for k in extra
        )
        raise UsageError(
            f"--resume continues a run with its saved configuration; only --epochs and --quiet "
            f"can be given with it, not {flags}"
        )
    if not run_dir.is_dir():
        raise UsageError(f"{run_dir}: no such run directory to resume")
    path = run_dir / LAST
    if not path.exists():
        raise UsageError(f"{run_dir}: no {LAST} to resume from; is this a chainrule run directory?")
    if not distributed or dist.rank() == 0:
        locks.callback(rundir.lock_for_resume(run_dir).release)
    arrays, meta = read_checkpoint(path, resumable=True)
    config = meta["config"]
    if "epochs" in args:
        epochs = cfg.check_value(cfg.OPTION_BY_KEY["epochs"], args["epochs"], "--epochs")
        if epochs < meta["epoch"]:
            raise UsageError(
                f"{run_dir} has already trained {meta['epoch']} epochs; --epochs must be at "
                f"least that"
            )
        config["epochs"] = epochs
    prepared = prepare(config)
    if prepared.fingerprint != meta["data_fingerprint"]:
        raise DataError(
            f"{config['data']}: the data changed since this run started (different contents); "
            "resuming would train on other data. Start a new run instead"
        )
    if not text.is_text_task(config):  # (a text's vocabulary follows from the text itself)
        prepared.preprocess = Standardize.from_state(meta["preprocess"]["standardize"])
    quiet = bool(args.get("quiet", False))
    run = Run(config, prepared, run_dir, quiet, distributed)
    try:
        run.restore(arrays, meta)
    except (KeyError, TypeError, ValueError, RecursionError) as exc:  # StateDictError: ValueError
        raise cr_io.CheckpointError(
            f"{path}: training state does not restore: {type(exc).__name__}: {exc}"
        ) from None
    if run.scheduler is not None and config["scheduler"] == "cosine":
        # The cosine horizon is the run's total length, which --epochs may have changed:
        # re-apply the current epoch's rate under the new horizon, from the closed form
        # (the schedule's step is chainable, relative to the rate it left).
        run.scheduler.T_max = config["epochs"]
        run.scheduler._set_lrs(run.scheduler._get_closed_form_lr())
    if run.writes:
        toml = cfg.to_toml(config)
        run.write_file(run_dir / "config.toml", lambda f: atomic_write(f, toml))
        history = run.progress.history
        run.write_file(run_dir / "metrics.csv", lambda f: rundir.write_metrics(f, history))
    if not quiet:
        where = f"epoch {meta['epoch']}" + (f", step {meta['step']}" if meta["step"] else "")
        print(f"resuming {run_dir} from {where} to {config['epochs']} epochs", flush=True)
    return run, quiet


def run_train(args: dict) -> int:
    """``chainrule train``: train (or resume), then evaluate, write results and plots."""
    args = dict(args)
    require_extras()
    if args.pop("distributed", False):
        if args.get("compile"):  # (refused before MPI is looked for)
            raise UsageError("--compile does not support --distributed yet; train without it")
        return _run_distributed(args)
    return _train(args)


def _run_distributed(args: dict) -> int:
    """``--distributed``: every MPI rank trains; rank 0 alone writes files and prints.

    Errors reach rank 0 through fail_together, so the other ranks' output is discarded. An
    error that struck one rank outside fail_together would leave the others waiting in a
    collective: that rank reports it and aborts them all.
    """
    if not dist.mpi_available():
        raise UsageError(
            f"--distributed needs mpi4py and an MPI library: {dist.MPI_INSTALL_HINT}; then "
            "launch with: mpiexec -n 2 chainrule train --distributed ..."
        )
    dist.init()
    if dist.rank() != 0:
        sys.stdout = sys.stderr = open(os.devnull, "w")  # kept open for the process's life
    try:
        return _train(args, distributed=True)
    except BaseException as exc:
        if not dist.raised_on_every_rank(exc):
            print(
                f"error: rank {dist.rank()}: {type(exc).__name__}: {exc}; stopping all ranks",
                file=sys.__stderr__,
                flush=True,
            )
            dist.abort(EXIT_INTERRUPTED if isinstance(exc, KeyboardInterrupt) else EXIT_FAILURE)
        raise


def prepare(config: dict) -> inputs.Prepared:
    """The run's data: a classifier's samples or a character model's text."""
    return text.prepare(config) if text.is_text_task(config) else inputs.prepare(config)


def _header(run: Run, distributed: bool) -> str:
    """The first line of a run: model, data, splits and the training settings."""
    n = {k: v[1].size for k, v in run.prepared.splits.items()}
    c = run.config
    ranks = f", {dist.world_size()} ranks" if distributed else ""
    unit = " characters" if run.text else ""
    return (
        f"{describe(run.spec)} on {c['data']} "
        f"(train {n['train']}{unit}, val {n['val']}, test {n['test']}), "
        f"{c['optimizer']} lr {c['lr']:g}, batch {c['batch_size']}, "
        f"label smoothing {c['label_smoothing']:g}{ranks}"
    )


def _train(args: dict, distributed: bool = False) -> int:
    """Set up (or resume) the run, fit, evaluate and report; the body of ``chainrule train``."""
    if args.get("threads") is not None:  # a limit for this process, not part of the run
        if args["threads"] < 1:
            raise UsageError(f"--threads must be at least 1, got {args['threads']}")
        threads.set_num_threads(args.pop("threads"))
    compiled = bool(args.pop("compile", False))  # (a way to run, not part of the run)
    allocator.keep_freed_memory()
    together = dist.fail_together() if distributed else contextlib.nullcontext()
    # The run directory stays locked until this returns (or the process ends).
    with contextlib.ExitStack() as locks:
        with together:  # setup runs no collective, so one rank's error can stop all ranks
            resume = args.get("resume") is not None
            setup = _resume if resume else _start
            run, quiet = setup(args, locks, distributed)
        if distributed:
            run.run_dir = Path(dist.broadcast_object(str(run.run_dir)))
            dist.broadcast_parameters(run.model)
        if not quiet:
            print(_header(run, distributed), flush=True)
        if compiled:
            run.compile_steps()
        try:
            run.fit()
        except Interrupted as exc:
            launch = f"mpiexec -n {dist.world_size()} " if distributed else ""
            raise Interrupted(
                f"interrupted at {exc}; saved {run.run_dir / LAST}\n"
                f"resume with: {launch}chainrule train --resume {run.run_dir}"
                + (" --distributed" if distributed else "")
            ) from None
        with run._together():
            results = run.finalize()
            run._wait_for_writes()
    if run.text:
        tested = (f"test {results['test_bits_per_character']:.3f} bits per character "
                  f"(loss {results['test_loss']:.4f}, accuracy {results['test_accuracy']:.4f}, "
                  f"{results['test_characters']} characters); ")
    else:
        tested = (f"test accuracy {results['test_accuracy']:.4f} "
                  f"(loss {results['test_loss']:.4f}, {results['test_samples']} samples); ")
    print(
        tested +
        f"best val accuracy {results['best_val_accuracy']:.4f} at epoch {results['best_epoch']}; "
        f"{results['wall_time_s']:.1f}s"
    )
    print(f"run directory: {run.run_dir}")
    return 0
