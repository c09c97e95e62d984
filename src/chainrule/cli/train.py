"""``chainrule train``: the training loop, the run directory, checkpoints and resuming.

A run directory holds ``config.toml``, ``metrics.csv``, ``last.safetensors`` (everything
needed to resume), ``best.safetensors`` (weights with the best validation accuracy),
``results.json`` and three PNG plots. Every file is replaced atomically, so a run killed
at any moment leaves its last completed checkpoint loadable.

Resuming is exact: the batch order of epoch e is a pure function of (seed, e), and a
checkpoint holds the weights, the optimizer and scheduler states, the dropout generator
and the position inside the epoch, so an interrupted and resumed run ends with the same
bits as an uninterrupted one - given the same BLAS thread count (OPENBLAS_NUM_THREADS and
the like), since multi-threaded BLAS reductions may round differently in the last bits.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from .. import __version__, nn, optim, threads
from .. import distributed as dist
from .. import io as cr_io
from ..data import ArrayDataset, DataError, DataLoader, Standardize
from ..tensor import Tensor
from . import config as cfg
from . import inputs, plots
from .errors import EXIT_FAILURE, EXIT_INTERRUPTED, Interrupted, TrainingFailed, UsageError
from .evaluate import (
    CHECKPOINT_FORMAT,
    confusion_matrix,
    model_state,
    read_checkpoint,
    scores,
)
from .models import build_model, describe, spec_from_config
from .state import decode, encode

try:
    from tqdm import tqdm
except ImportError:  # tqdm comes with the train extra; without it there are no bars.
    tqdm = None

LAST = "last.safetensors"
BEST = "best.safetensors"
RUN_FILES = (
    "config.toml",
    "metrics.csv",
    LAST,
    BEST,
    "results.json",
    "loss.png",
    "accuracy.png",
    "confusion_matrix.png",
)
METRIC_COLUMNS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds")
EVAL_BATCH = 512


# ---------------------------------------------------------------------------------------
# Files


def _report(line: str) -> None:
    """Print a line without tearing a progress bar that may be on screen."""
    if tqdm is not None:
        tqdm.write(line, file=sys.stdout)
        sys.stdout.flush()
    else:
        print(line, flush=True)


def write_text_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so readers never see a half-written file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def default_run_dir(config: dict) -> Path:
    """``runs/<timestamp>-<name>``, with a numeric suffix if that name is taken."""
    name = config["name"] or (
        f"{'digits' if config['data'] == 'digits' else Path(config['data']).stem}-{config['model']}"
    )
    base = Path("runs") / f"{datetime.now():%Y%m%d-%H%M%S}-{name}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def choose_run_dir(config: dict, overwrite: bool) -> Path:
    """The run directory to use, refusing a non-empty existing one unless ``overwrite``.

    Nothing is created or removed here: that waits until every option has been checked
    (see :func:`make_run_dir`), so a refused run never costs the previous one's files.
    """
    path = Path(config["out"]) if config["out"] else default_run_dir(config)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path}: exists and is not a directory; choose another --out")
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise UsageError(
            f"{path}: output directory already exists and is not empty; pass --overwrite "
            "to replace its run files, or choose another --out"
        )
    return path


def make_run_dir(path: Path) -> None:
    """Create the run directory, removing the run files an earlier run left in it."""
    # Remove only what a run writes: --overwrite must never delete a user's other files.
    for name in RUN_FILES:
        with contextlib.suppress(FileNotFoundError):
            (path / name).unlink()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{path}: cannot create the run directory: {exc.strerror}") from None


def write_metrics(path: Path, history: list[dict]) -> None:
    """metrics.csv: one row per completed epoch."""
    lines = [",".join(METRIC_COLUMNS)]
    for row in history:
        lines.append(
            ",".join(
                repr(row[c]) if isinstance(row[c], float) else str(row[c]) for c in METRIC_COLUMNS
            )
        )
    write_text_atomic(path, "\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------
# Optimizer and schedule


def build_optimizer(config: dict, model: nn.Module):
    params = list(model.parameters())
    lr, decay = config["lr"], config["weight_decay"]
    if config["optimizer"] == "adam":
        return optim.Adam(params, lr=lr, weight_decay=decay)
    if config["optimizer"] == "adamw":
        return optim.AdamW(params, lr=lr, weight_decay=decay)
    return optim.SGD(params, lr=lr, momentum=config["momentum"], weight_decay=decay)


def build_scheduler(config: dict, optimizer):
    """The per-epoch learning-rate schedule, or None for a constant rate."""
    if config["scheduler"] == "cosine":
        return optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config["epochs"])
    if config["scheduler"] == "step":
        return optim.lr_scheduler.StepLR(
            optimizer, step_size=config["step_size"], gamma=config["step_gamma"]
        )
    return None


# ---------------------------------------------------------------------------------------
# Ctrl-C


class StopRequest:
    """Turn the first SIGINT into a request to stop at the next safe point.

    The loop checks :attr:`requested` between optimizer steps, so a checkpoint never
    holds a half-applied update. A second Ctrl-C interrupts immediately (atomic writes
    keep the previous checkpoint intact even then).
    """

    def __init__(self) -> None:
        self.requested = False
        self._previous = None

    def _handle(self, signum, frame) -> None:
        self.requested = True
        signal.signal(signal.SIGINT, signal.default_int_handler)

    def __enter__(self) -> StopRequest:
        # Signal handlers can only be installed from the main thread.
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


# ---------------------------------------------------------------------------------------
# The run


@dataclass
class Progress:
    """Where training stands: completed epochs, position in the current one, history."""

    epoch: int = 0  # completed epochs
    step: int = 0  # optimizer steps done in epoch `epoch` (0 at an epoch boundary)
    partial: dict = field(
        default_factory=lambda: {"loss_sum": 0.0, "correct": 0, "seen": 0, "seconds": 0.0}
    )
    history: list = field(default_factory=list)
    best_epoch: int = 0
    best_val_acc: float = -1.0
    elapsed: float = 0.0  # seconds of training in earlier processes


class Run:
    """One training run: data, model, optimizer, schedule, progress and its directory."""

    def __init__(
        self,
        config: dict,
        prepared: inputs.Prepared,
        run_dir: Path,
        quiet: bool,
        distributed: bool = False,
    ):
        self.config = config
        self.prepared = prepared
        self.run_dir = run_dir
        self.quiet = quiet
        # --distributed: every rank trains on its part of each global batch with gradients
        # averaged across ranks; rank 0 alone writes the run directory.
        self.distributed = distributed
        self.writes = not distributed or dist.rank() == 0
        if distributed and config["dropout"] > 0:
            raise UsageError(
                "--distributed does not support --dropout yet (each rank would need its own "
                "masks, saved in checkpoints); train without dropout or in one process"
            )
        self.spec = spec_from_config(config, prepared.input_shape, prepared.num_classes)
        self.model, self.dropout_rng = build_model(self.spec, config["seed"])
        self.optimizer = build_optimizer(config, self.model)
        if distributed:
            # Every rank builds the same weights from the seed (or loads the same checkpoint);
            # run_train broadcasts rank 0's after setup, outside any fail_together block.
            self.optimizer = dist.DistributedOptimizer(self.optimizer, broadcast=False)
        self.scheduler = build_scheduler(config, self.optimizer)
        self.loss_fn = nn.CrossEntropyLoss(label_smoothing=config["label_smoothing"])
        X, y = prepared.splits["train"]
        loader = dist.DistributedDataLoader if distributed else DataLoader
        self.loader = loader(
            ArrayDataset(X, y), batch_size=config["batch_size"], shuffle=True, seed=config["seed"]
        )
        self.progress = Progress()
        # Checkpoints are written (and synced) by a background thread while training goes
        # on; fit() waits for them, so nothing after it runs before the files exist.
        self.writer = cr_io.CheckpointWriter()
        self.started = time.perf_counter()

    # ----------------------------------------------------------------- checkpoints
    def _meta(self, kind: str) -> dict:
        return {
            "format": CHECKPOINT_FORMAT,
            "kind": kind,
            "chainrule_version": __version__,
            "config": self.config,
            "model_spec": self.spec,
            "preprocess": {"standardize": self.prepared.preprocess.state()},
            "data_fingerprint": self.prepared.fingerprint,
            "feature_names": self.prepared.feature_names,
            "epoch": self.progress.epoch,
        }

    def save_last(self) -> None:
        """Write everything needed to continue exactly from here to last.safetensors."""
        if not self.writes:
            return
        p = self.progress
        arrays = {f"model/{k}": v for k, v in self.model.state_dict().items()}
        meta = self._meta("last")
        meta["optimizer"] = encode(self.optimizer.state_dict(), arrays, "optimizer")
        if self.scheduler is not None:
            meta["scheduler"] = encode(self.scheduler.state_dict(), arrays, "scheduler")
        meta.update(
            step=p.step,
            partial=p.partial,
            history=p.history,
            best_epoch=p.best_epoch,
            best_val_acc=p.best_val_acc,
            elapsed=self.elapsed(),
            dropout_rng=self.dropout_rng.bit_generator.state,
        )
        self.writer.submit(self.run_dir / LAST, arrays, meta)

    def save_best(self, val_acc: float) -> None:
        if not self.writes:
            return
        arrays = {f"model/{k}": v for k, v in self.model.state_dict().items()}
        meta = self._meta("best")
        meta["val_acc"] = val_acc
        self.writer.submit(self.run_dir / BEST, arrays, meta)

    def restore(self, arrays: dict, meta: dict) -> None:
        """Load the state saved by :meth:`save_last`."""
        self.model.load_state_dict(model_state(arrays))
        self.optimizer.load_state_dict(decode(meta["optimizer"], arrays))
        if self.scheduler is not None:
            self.scheduler.load_state_dict(decode(meta["scheduler"], arrays))
        self.dropout_rng.bit_generator.state = meta["dropout_rng"]
        self.progress = Progress(
            epoch=meta["epoch"],
            step=meta["step"],
            partial=meta["partial"],
            history=meta["history"],
            best_epoch=meta["best_epoch"],
            best_val_acc=meta["best_val_acc"],
            elapsed=meta["elapsed"],
        )

    def elapsed(self) -> float:
        return self.progress.elapsed + time.perf_counter() - self.started

    # ----------------------------------------------------------------- training
    def _lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def _together(self):
        """--distributed: an error on one rank inside the block stops every rank alike."""
        return dist.fail_together() if self.distributed else contextlib.nullcontext()

    def _forward_backward(self, xb, yb, epoch: int, index: int) -> np.ndarray:
        """Loss, its finiteness check and backward on one batch: [loss sum, correct, samples]."""
        self.optimizer.zero_grad()
        if not len(yb):  # --distributed: a last global batch with fewer samples than ranks
            return np.zeros(3)
        logits = self.model(Tensor(xb))
        loss = self.loss_fn(logits, yb)
        value = float(loss.data)
        if not math.isfinite(value):
            self._fail(value, epoch, index)
        loss.backward()
        correct = int((logits.data.argmax(axis=1) == yb).sum())
        return np.array([value * len(yb), correct, len(yb)], dtype=np.float64)

    def train_epoch(self, stop: StopRequest) -> dict:
        """Run the rest of epoch ``progress.epoch``; return its training metrics."""
        p = self.progress
        epoch = p.epoch
        t0 = time.perf_counter() - p.partial["seconds"]
        self.model.train()
        self.loader.set_epoch(epoch)
        bar = None
        if tqdm is not None and not self.quiet and sys.stderr.isatty():
            bar = tqdm(
                total=len(self.loader),
                initial=p.step,
                desc=f"epoch {epoch + 1}/{self.config['epochs']}",
                leave=False,
                file=sys.stderr,
                dynamic_ncols=True,
            )
        try:
            for index, (xb, yb) in enumerate(self.loader):
                if index < p.step:  # resuming inside this epoch: these batches are done
                    continue
                try:
                    with self._together():  # also carries one rank's Ctrl-C to all ranks
                        if stop.requested:
                            raise Interrupted(f"epoch {epoch + 1}, step {p.step}")
                        batch = self._forward_backward(xb, yb, epoch, index)
                except Interrupted:
                    p.partial["seconds"] = time.perf_counter() - t0
                    self.save_last()
                    raise
                if self.distributed:
                    self.optimizer.step(samples=len(yb))
                    dist.all_reduce_(batch, "sum")  # the metrics of the whole global batch
                else:
                    self.optimizer.step()
                p.step = index + 1
                p.partial["loss_sum"] += float(batch[0])
                p.partial["correct"] += int(batch[1])
                p.partial["seen"] += int(batch[2])
                if bar is not None:
                    bar.update()
                    bar.set_postfix(
                        loss=f"{p.partial['loss_sum'] / p.partial['seen']:.4f}",
                        acc=f"{p.partial['correct'] / p.partial['seen']:.4f}",
                        refresh=False,
                    )
        finally:
            if bar is not None:
                bar.close()
        return {
            "train_loss": p.partial["loss_sum"] / p.partial["seen"],
            "train_acc": p.partial["correct"] / p.partial["seen"],
            "seconds": time.perf_counter() - t0,
        }

    def _fail(self, value: float, epoch: int, index: int) -> None:
        """Stop on a non-finite loss, keeping the last good checkpoint on disk."""
        done = self.progress.epoch
        kept = (
            f"the last good checkpoint {self.run_dir / LAST} is from epoch {done}"
            if done
            else f"{self.run_dir / LAST} holds the initial weights"
        )
        raise TrainingFailed(
            f"loss became {value} at epoch {epoch + 1}, step {index + 1} (lr {self._lr():g}); "
            f"training stopped before that update and {kept}; try a smaller learning rate, "
            f"e.g. --lr {self._lr() / 10:g}"
        )

    def finish_epoch(self, train_metrics: dict) -> dict:
        """Validate, step the schedule, checkpoint and record one completed epoch."""
        p = self.progress
        lr = self._lr()
        if self.scheduler is not None:
            self.scheduler.step()
        X, y = self.prepared.splits["val"]
        val_loss, val_acc, _ = scores(self.model, X, y, EVAL_BATCH, self.config["label_smoothing"])
        p.epoch += 1
        row = {
            "epoch": p.epoch,
            **train_metrics,
            "val_loss": val_loss,
            "val_acc": val_acc,
            "lr": lr,
        }
        p.history.append(row)
        p.step = 0
        p.partial = {"loss_sum": 0.0, "correct": 0, "seen": 0, "seconds": 0.0}
        improved = val_acc > p.best_val_acc
        if improved:
            p.best_epoch, p.best_val_acc = p.epoch, val_acc
        self.save_last()
        if improved:
            self.save_best(val_acc)
        if self.writes:
            write_metrics(self.run_dir / "metrics.csv", p.history)
        return row

    def summary_line(self, row: dict) -> str:
        width = len(str(self.config["epochs"]))
        return (
            f"epoch {row['epoch']:>{width}}/{self.config['epochs']}  "
            f"train loss {row['train_loss']:.4f} acc {row['train_acc']:.4f}  "
            f"val loss {row['val_loss']:.4f} acc {row['val_acc']:.4f}  {row['seconds']:.2f}s"
        )

    def fit(self) -> None:
        """Train up to ``config['epochs']``; Ctrl-C saves and raises Interrupted."""
        try:
            self._fit()
        except (Interrupted, TrainingFailed) as exc:
            # Both messages point to the checkpoint on disk: if writing it failed, that
            # failure is what the user must see instead.
            try:
                self.writer.wait()
            except Exception as write_error:
                raise write_error from exc
            raise
        except BaseException:
            with contextlib.suppress(Exception):
                self.writer.wait()
            raise
        with self._together():  # --distributed: rank 0's failed write stops every rank
            self.writer.wait()

    def _fit(self) -> None:
        with StopRequest() as stop, np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            while self.progress.epoch < self.config["epochs"]:
                train_metrics = self.train_epoch(stop)
                with self._together():  # validation and rank 0's writes
                    row = self.finish_epoch(train_metrics)
                if not self.quiet:
                    # Printed once the epoch's checkpoint is on disk: a line on screen
                    # means that epoch can be resumed.
                    self.writer.then(functools.partial(_report, self.summary_line(row)))
                with self._together():
                    if stop.requested:  # Ctrl-C during validation: the checkpoint is saved
                        raise Interrupted(f"end of epoch {self.progress.epoch}")

    # ----------------------------------------------------------------- results
    def finalize(self) -> dict:
        """Evaluate on the test split, write results.json and the plots."""
        X, y = self.prepared.splits["test"]
        test_loss, test_acc, predictions = scores(
            self.model, X, y, EVAL_BATCH, self.config["label_smoothing"]
        )
        matrix = confusion_matrix(y, predictions, self.prepared.num_classes)
        p = self.progress
        results = {
            "test_accuracy": test_acc,
            "test_loss": test_loss,  # the training criterion, smoothing included
            "label_smoothing": self.config["label_smoothing"],
            "test_samples": int(len(y)),
            "best_epoch": p.best_epoch,
            "best_val_accuracy": p.best_val_acc,
            "epochs": p.epoch,
            "wall_time_s": self.elapsed(),
            "model": describe(self.spec),
            "chainrule_version": __version__,
        }
        if self.writes:
            path = self.run_dir / "results.json"
            write_text_atomic(path, json.dumps(results, indent=2) + "\n")
            plots.loss_curves(p.history, self.run_dir / "loss.png")
            plots.accuracy_curves(p.history, self.run_dir / "accuracy.png")
            plots.confusion_matrix(
                matrix, self.run_dir / "confusion_matrix.png", "Confusion matrix (test split)"
            )
        return results


# ---------------------------------------------------------------------------------------
# Entry points


def require_extras() -> None:
    """Fail before training, not after it, when a package of the train extra is missing."""
    missing = [name for name in ("safetensors", "matplotlib") if find_spec(name) is None]
    if missing:
        raise UsageError(
            f"chainrule train needs {' and '.join(missing)}: pip install 'chainrule[train]'"
        )


def _start(args: dict, distributed: bool = False) -> tuple[Run, bool]:
    args.pop("resume", None)
    config, runtime = cfg.resolve(args)
    prepared = inputs.prepare(config)
    writes = not distributed or dist.rank() == 0
    # Other ranks learn the directory from rank 0 once setup is over (see run_train).
    run_dir = choose_run_dir(config, runtime["overwrite"]) if writes else Path(config["out"])
    config = {**config, "out": str(run_dir)}
    # Build (and so check) model, optimizer and loader before --overwrite removes anything.
    run = Run(config, prepared, run_dir, runtime["quiet"], distributed)
    if writes:
        make_run_dir(run_dir)
        write_text_atomic(run_dir / "config.toml", cfg.to_toml(config))
    # A checkpoint from the start, so even a run killed in its first epoch can resume.
    run.save_last()
    return run, runtime["quiet"]


# Options that may accompany --resume; everything else comes from the saved run.
RESUME_OPTIONS = ("epochs", "quiet")


def _resume(args: dict, distributed: bool = False) -> tuple[Run, bool]:
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
    arrays, meta = read_checkpoint(path)
    if meta.get("kind") != "last":
        raise UsageError(f"{path}: not a resumable checkpoint (kind {meta.get('kind')!r})")
    config = cfg.from_saved(meta["config"], str(path))
    if "epochs" in args:
        epochs = cfg.check_value(cfg.OPTION_BY_KEY["epochs"], args["epochs"], "--epochs")
        if epochs < meta["epoch"]:
            raise UsageError(
                f"{run_dir} has already trained {meta['epoch']} epochs; --epochs must be at "
                f"least that"
            )
        config["epochs"] = epochs
    prepared = inputs.prepare(config)
    if prepared.fingerprint != meta["data_fingerprint"]:
        raise DataError(
            f"{config['data']}: the data changed since this run started (different contents); "
            "resuming would train on other data. Start a new run instead"
        )
    prepared.preprocess = Standardize.from_state(meta["preprocess"]["standardize"])
    quiet = bool(args.get("quiet", False))
    run = Run(config, prepared, run_dir, quiet, distributed)
    try:
        run.restore(arrays, meta)
    except (KeyError, TypeError, ValueError) as exc:  # StateDictError is a ValueError
        raise cr_io.CheckpointError(
            f"{path}: training state does not restore: {type(exc).__name__}: {exc}"
        ) from None
    if run.scheduler is not None and config["scheduler"] == "cosine":
        # The cosine horizon is the run's total length, which --epochs may have changed.
        run.scheduler.T_max = config["epochs"]
        # Re-apply the current epoch's rate under the new horizon.
        run.scheduler.last_epoch -= 1
        run.scheduler.step()
    if run.writes:
        write_text_atomic(run_dir / "config.toml", cfg.to_toml(config))
        write_metrics(run_dir / "metrics.csv", run.progress.history)
    if not quiet:
        where = f"epoch {meta['epoch']}" + (f", step {meta['step']}" if meta["step"] else "")
        print(f"resuming {run_dir} from {where} to {config['epochs']} epochs", flush=True)
    return run, quiet


def run_train(args: dict) -> int:
    """``chainrule train``: train (or resume), then evaluate, write results and plots."""
    args = dict(args)
    require_extras()
    if args.pop("distributed", False):
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


def _train(args: dict, distributed: bool = False) -> int:
    """Set up (or resume) the run, fit, evaluate and report; the body of ``chainrule train``."""
    if args.get("threads") is not None:  # a limit for this process, not part of the run
        if args["threads"] < 1:
            raise UsageError(f"--threads must be at least 1, got {args['threads']}")
        threads.set_num_threads(args.pop("threads"))
    together = dist.fail_together() if distributed else contextlib.nullcontext()
    with together:  # setup runs no collective, so one rank's error can stop all ranks here
        resume = args.get("resume") is not None
        run, quiet = _resume(args, distributed) if resume else _start(args, distributed)
    if distributed:
        run.run_dir = Path(dist.broadcast_object(str(run.run_dir)))
        dist.broadcast_parameters(run.model)
    if not quiet:
        n = {k: len(v[1]) for k, v in run.prepared.splits.items()}
        ranks = f", {dist.world_size()} ranks" if distributed else ""
        print(
            f"{describe(run.spec)} on {run.config['data']} "
            f"(train {n['train']}, val {n['val']}, test {n['test']}), "
            f"{run.config['optimizer']} lr {run.config['lr']:g}, batch {run.config['batch_size']}"
            f"{ranks}",
            flush=True,
        )
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
    print(
        f"test accuracy {results['test_accuracy']:.4f} "
        f"(loss {results['test_loss']:.4f}, {results['test_samples']} samples); "
        f"best val accuracy {results['best_val_accuracy']:.4f} at epoch {results['best_epoch']}; "
        f"{results['wall_time_s']:.1f}s"
    )
    print(f"run directory: {run.run_dir}")
    return 0
