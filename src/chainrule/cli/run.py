"""One training run: the loop, its checks for NaN and infinity, checkpoints and results.

Resuming is exact: the batch order of epoch e is a pure function of (seed, e), and a
checkpoint holds the weights, the optimizer and scheduler states, the dropout generator
and the position inside the epoch, so an interrupted and resumed run ends with the same
bits as an uninterrupted one - given the same BLAS thread count (OPENBLAS_NUM_THREADS and
the like), since multi-threaded BLAS reductions may round differently in the last bits.

Nothing non-finite is ever saved: the loss is checked before every update and the
weights after it, and every checkpoint's arrays before it is written. A NaN or infinity
stops the run (``--on-nan stop``) with ``last.safetensors`` still the last finite state,
or skips the batch whose loss or gradient it struck (``--on-nan skip``). A write the
system refuses (disk full, permissions) stops the run with a message naming the file
and the checkpoint that is still intact.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import __version__, nn, optim
from .. import distributed as dist
from .. import io as cr_io
from ..compiled import compile as compile_step
from ..data import ArrayDataset, DataLoader
from ..io.atomic import atomic_file, atomic_write
from ..losses import cross_entropy
from ..tensor import Tensor
from . import inputs, plots, rundir
from .checkpoints import CHECKPOINT_FORMAT, model_state
from .errors import Interrupted, TrainingFailed, UsageError
from .evaluate import confusion_matrix
from .models import build_model, check_trainable_size, describe, spec_from_config
from .rundir import BEST, LAST
from .scoring import scores
from .state import decode, encode
from .text import Vocabulary, bits

try:
    from tqdm import tqdm
except ImportError:  # tqdm comes with the train extra; without it there are no bars.
    tqdm = None

EVAL_BATCH = 512


def _report(line: str) -> None:
    """Print a line without tearing a progress bar that may be on screen."""
    if tqdm is not None:
        tqdm.write(line, file=sys.stdout)
        sys.stdout.flush()
    else:
        print(line, flush=True)


def _first_non_finite(arrays) -> str | None:
    """The name of the first array in ``(name, array)`` pairs holding NaN or infinity."""
    for name, array in arrays:
        if not np.isfinite(array).all():
            return name
    return None


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
    partial: dict = field(default_factory=lambda: dict(EMPTY_PARTIAL))
    history: list = field(default_factory=list)
    best_epoch: int = 0
    best_val_acc: float = -1.0
    elapsed: float = 0.0  # seconds of training in earlier processes


# Running sums of the epoch in progress; "skipped" counts batches --on-nan skip dropped.
EMPTY_PARTIAL = {"loss_sum": 0.0, "correct": 0, "seen": 0, "seconds": 0.0, "skipped": 0}


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
        if distributed and config["on_nan"] == "skip":
            raise UsageError(
                "--distributed does not support --on-nan skip (the ranks would have to agree "
                "on every skipped batch); use --on-nan stop or train in one process"
            )
        self.spec = spec_from_config(config, prepared.input_shape, prepared.num_classes)
        check_trainable_size(self.spec)
        try:
            self.model, self.dropout_rng = build_model(self.spec, config["seed"])
        except MemoryError:
            raise UsageError(
                f"not enough memory for the network {describe(self.spec)}; use smaller "
                "--hidden (or --channels)"
            ) from None
        # Walked once: named_parameters() per step would cost more than the check itself.
        self.parameters = list(self.model.named_parameters())
        self.optimizer = build_optimizer(config, self.model)
        if distributed:
            # Every rank builds the same weights from the seed (or loads the same checkpoint);
            # run_train broadcasts rank 0's after setup, outside any fail_together block.
            self.optimizer = dist.DistributedOptimizer(self.optimizer, broadcast=False)
        self.scheduler = build_scheduler(config, self.optimizer)
        # A text model's logits are (batch, time, characters): the classes on the last axis.
        self.text = isinstance(prepared.preprocess, Vocabulary)
        # (cr.cross_entropy, classes on the last axis, without ignore_index: the fused
        # softmax_nll primitive also when cr.compile traces the labels.)
        self.loss_fn = functools.partial(cross_entropy, label_smoothing=config["label_smoothing"])
        X, y = prepared.splits["train"]
        loader = dist.DistributedDataLoader if distributed else DataLoader
        self.loader = loader(
            ArrayDataset(X, y), batch_size=config["batch_size"], shuffle=True, seed=config["seed"]
        )
        self.progress = Progress()
        # Checkpoints are written (and synced) by a background thread while training goes
        # on; fit() waits for them, so nothing after it runs before the files exist.
        self.writer = cr_io.CheckpointWriter()
        # (epoch, step) of the last last.safetensors known to be on disk, set by the
        # writer thread once a write has completed: what a failure message points to.
        self.saved_at: tuple[int, int] | None = None
        self.started = time.perf_counter()
        self.compiled_step = None  # --compile: the captured step (compile_steps)

    # ----------------------------------------------------------------- checkpoints
    def _meta(self, kind: str) -> dict:
        return {
            "format": CHECKPOINT_FORMAT,
            "kind": kind,
            "chainrule_version": __version__,
            "config": self.config,
            "model_spec": self.spec,
            "preprocess": {("vocabulary" if self.text else "standardize"):
                           self.prepared.preprocess.state()},
            "data_fingerprint": self.prepared.fingerprint,
            "feature_names": self.prepared.feature_names,
            "class_names": self.prepared.class_names,
            "epoch": self.progress.epoch,
        }

    def _model_arrays(self) -> dict:
        return {f"model/{k}": v for k, v in self.model.state_dict().items()}

    def _check_finite(self, arrays: dict, what: str) -> None:
        """Refuse to save NaN or infinity (a backstop: the loop checks every step)."""
        bad = _first_non_finite(arrays.items())
        if bad is not None:
            p = self.progress
            self._wait_for_writes()
            raise TrainingFailed(
                f"{bad} holds NaN or infinity at epoch {p.epoch}, step {p.step}, so {what} "
                f"was not written: {self.intact()}"
            )

    def save_last(self) -> None:
        """Write everything needed to continue exactly from here to last.safetensors."""
        p = self.progress
        if not self.writes:
            # --distributed: rank 0 writes, and its failure would stop every rank; the
            # others keep track of what is on disk for their messages.
            self.saved_at = (p.epoch, p.step)
            return
        arrays = self._model_arrays()
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
        self._check_finite(arrays, LAST)
        self.writer.submit(self.run_dir / LAST, arrays, meta)
        self.writer.then(functools.partial(setattr, self, "saved_at", (p.epoch, p.step)))

    def save_best(self, val_acc: float) -> None:
        if not self.writes:
            return
        arrays = self._model_arrays()
        meta = self._meta("best")
        meta["val_acc"] = val_acc
        self._check_finite(arrays, BEST)
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
            partial={**EMPTY_PARTIAL, **meta["partial"]},
            history=meta["history"],
            best_epoch=meta["best_epoch"],
            best_val_acc=meta["best_val_acc"],
            elapsed=meta["elapsed"],
        )
        self.saved_at = (meta["epoch"], meta["step"])

    def elapsed(self) -> float:
        return self.progress.elapsed + time.perf_counter() - self.started

    def intact(self) -> str:
        """Which checkpoint is safe on disk, for the message of a failed run."""
        if self.saved_at is None:
            return f"no checkpoint was written to {self.run_dir}"
        epoch, step = self.saved_at
        where = f"epoch {epoch}" + (f", step {step}" if step else "")
        return (
            f"{self.run_dir / LAST} (from {where}) is intact, the last finite checkpoint "
            "and the one --resume continues from"
        )

    def write_file(self, path: Path, write) -> None:
        """Run ``write(path)`` (an atomic write); a refused write names the safe checkpoint."""
        try:
            write(path)
        except OSError as exc:
            raise TrainingFailed(self._write_failure(exc)) from None

    def _write_failure(self, exc: OSError) -> str:
        return (
            f"{exc.filename or 'a run file'}: cannot write: {exc.strerror or exc}; "
            f"{self.intact()}; free space (or fix permissions) and resume with: chainrule "
            f"train --resume {self.run_dir}"
        )

    # ----------------------------------------------------------------- training
    def _lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def _together(self):
        """--distributed: an error on one rank inside the block stops every rank alike."""
        return dist.fail_together() if self.distributed else contextlib.nullcontext()

    def compile_steps(self) -> None:
        """--compile: zero_grad, forward, loss and backward as one cr.compile program.

        A model with buffers (BatchNorm's running statistics) changes them in place while
        it trains, which a compiled step cannot repeat: it trains as usual, with a note
        (decided before any step, so no statistic is updated twice).
        """
        if any(True for _ in self.model.buffers()):
            _report("note: --compile cannot capture a model that updates buffers while it "
                    "trains (BatchNorm's running statistics); training without it")
            return

        def step(xb, yb):
            self.optimizer.zero_grad()
            logits = self.model(xb)
            loss = self.loss_fn(logits, yb)
            loss.backward()
            return loss, logits

        self.compiled_step = compile_step(step)

    def _compiled(self, xb, yb):
        """(loss, logits) from the compiled step, or None once the capture refused the
        model (then it trains eagerly from this batch on, after a note)."""
        try:
            return self.compiled_step(xb, yb)
        except ValueError as exc:
            if not str(exc).startswith("cr.compile"):
                raise
            _report(f"note: --compile cannot capture this model's step ({exc}); training "
                    "without it")
            self.compiled_step = None
            return None

    def _forward_backward(self, xb, yb, epoch: int, index: int) -> np.ndarray | None:
        """Loss, its finiteness check and backward on one batch: [loss sum, correct, samples].

        None when --on-nan skip drops the batch (a non-finite loss or gradient).
        """
        skip = self.config["on_nan"] == "skip"
        done = self._compiled(xb, yb) if self.compiled_step is not None and len(yb) else None
        if done is not None:
            # (The backward pass ran with the loss; a non-finite one stops or skips alike,
            # as no update has been made.)
            loss, logits = done
            value = float(loss._data)
            if not math.isfinite(value):
                if skip:
                    return None
                self._fail(f"the loss became {value}", epoch, index, "before that update")
            return self._after_backward(logits, yb, value, skip)
        self.optimizer.zero_grad()
        if not len(yb):  # --distributed: a last global batch with fewer samples than ranks
            return np.zeros(3)
        logits = self.model(Tensor(xb))
        loss = self.loss_fn(logits, yb)
        value = float(loss._data)
        if not math.isfinite(value):
            if skip:
                return None
            self._fail(f"the loss became {value}", epoch, index, "before that update")
        loss.backward()
        return self._after_backward(logits, yb, value, skip)

    def _after_backward(self, logits, yb, value: float, skip: bool) -> np.ndarray | None:
        """The gradient check of --on-nan skip and the batch's metrics."""
        if skip:
            grads = ((n, p.grad._data) for n, p in self.parameters if p.grad is not None)
            if _first_non_finite(grads) is not None:
                return None
        # Predictions counted per label: per sample, or per character for a text model.
        correct = int((logits._data.argmax(axis=-1) == yb).sum())
        return np.array([value * yb.size, correct, yb.size], dtype=np.float64)

    def _check_weights(self, epoch: int, index: int) -> None:
        """Stop if the update just applied made a weight NaN or infinite.

        An update cannot be undone, so even --on-nan skip stops here. The check's cost
        is measured in docs/performance.md.
        """
        bad = _first_non_finite((name, p._data) for name, p in self.parameters)
        if bad is not None:
            self._fail(f"the weights {bad} became NaN or infinite", epoch, index, "by that update")

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
                p.step = index + 1
                if batch is None:  # --on-nan skip
                    p.partial["skipped"] += 1
                    continue
                if self.distributed:
                    self.optimizer.step(samples=len(yb))
                    dist.all_reduce_(batch, "sum")  # the metrics of the whole global batch
                else:
                    self.optimizer.step()
                with self._together():
                    self._check_weights(epoch, index)
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
        if not p.partial["seen"]:
            self._fail("every batch had a non-finite loss or gradient", epoch, p.step - 1,
                       "and all were skipped")
        return {
            "train_loss": p.partial["loss_sum"] / p.partial["seen"],
            "train_acc": p.partial["correct"] / p.partial["seen"],
            "seconds": time.perf_counter() - t0,
            "skipped": p.partial["skipped"],
        }

    def _fail(self, what: str, epoch: int, index: int, when: str) -> None:
        """Stop the run on a NaN or infinity, pointing to the last finite checkpoint."""
        lr = self._lr()
        skip = self.config["on_nan"] == "skip" or self.distributed
        # The message names the checkpoint on disk: wait for the one being written.
        self._wait_for_writes()
        raise TrainingFailed(
            f"{what} at epoch {epoch + 1}, step {index + 1} (lr {lr:g}); training stopped "
            f"{when} and nothing non-finite was saved: {self.intact()}; try a smaller "
            f"learning rate, e.g. --lr {lr / 10:g}"
            + ("" if skip else ", or --on-nan skip to skip such batches")
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
        p.partial = dict(EMPTY_PARTIAL)
        improved = val_acc > p.best_val_acc
        if improved:
            p.best_epoch, p.best_val_acc = p.epoch, val_acc
        self.save_last()
        if improved:
            self.save_best(val_acc)
        if self.writes:
            self.write_file(
                self.run_dir / "metrics.csv", lambda f: rundir.write_metrics(f, p.history)
            )
        return row

    def summary_line(self, row: dict) -> str:
        width = len(str(self.config["epochs"]))
        skipped = f"  skipped {row['skipped']} batches" if row.get("skipped") else ""
        per_char = f" ({bits(row['val_loss']):.3f} bits/char)" if self.text else ""
        return (
            f"epoch {row['epoch']:>{width}}/{self.config['epochs']}  "
            f"train loss {row['train_loss']:.4f} acc {row['train_acc']:.4f}  "
            f"val loss {row['val_loss']:.4f}{per_char} acc {row['val_acc']:.4f}  "
            f"{row['seconds']:.2f}s{skipped}"
        )

    def fit(self) -> None:
        """Train up to ``config['epochs']``; Ctrl-C saves and raises Interrupted."""
        try:
            self._fit()
        except (Interrupted, TrainingFailed) as exc:
            # Both messages point to the checkpoint on disk: if writing it failed, that
            # failure is what the user must see instead.
            self._wait_for_writes(cause=exc)
            raise
        except OSError as exc:  # a refused write, here or re-raised from the writer thread
            with contextlib.suppress(Exception):
                self.writer.wait()
            raise TrainingFailed(self._write_failure(exc)) from None
        except BaseException:
            with contextlib.suppress(Exception):
                self.writer.wait()
            raise
        with self._together():  # --distributed: rank 0's failed write stops every rank
            self._wait_for_writes()

    def _wait_for_writes(self, cause: BaseException | None = None) -> None:
        """Wait for the checkpoint thread; a refused write becomes a failed run."""
        try:
            self.writer.wait()
        except OSError as exc:
            raise TrainingFailed(self._write_failure(exc)) from cause

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
        smoothing = self.config["label_smoothing"]
        test_loss, test_acc, predictions = scores(self.model, X, y, EVAL_BATCH, smoothing)
        test_ce = scores(self.model, X, y, EVAL_BATCH)[0] if smoothing else test_loss
        p = self.progress
        results = {
            "test_accuracy": test_acc,
            "test_loss": test_loss,  # the training criterion, smoothing included
            "test_cross_entropy": test_ce,  # without smoothing, as `chainrule eval` prints too
            "label_smoothing": smoothing,
            "test_samples": int(len(y)),
            **({"test_characters": int(y.size), "test_bits_per_character": bits(test_ce)}
               if self.text else {}),
            "best_epoch": p.best_epoch,
            "best_val_accuracy": p.best_val_acc,
            "epochs": p.epoch,
            "skipped_batches": sum(row.get("skipped", 0) for row in p.history),
            "wall_time_s": self.elapsed(),
            "model": describe(self.spec),
            "chainrule_version": __version__,
        }
        if self.writes:
            d = self.run_dir
            text = json.dumps(results, indent=2) + "\n"
            self.write_file(d / "results.json", lambda f: atomic_write(f, text))
            figures = [("loss.png", lambda f: plots.loss_curves(p.history, f, smoothing)),
                       ("accuracy.png", lambda f: plots.accuracy_curves(p.history, f))]
            if not self.text:  # a confusion matrix of every character would be unreadable
                matrix = confusion_matrix(y, predictions, self.prepared.num_classes)
                figures.append(("confusion_matrix.png", lambda f: plots.confusion_matrix(
                    matrix, f, "Confusion matrix (test split)", self.prepared.class_names)))
            for name, draw in figures:
                self.write_file(d / name, functools.partial(_write_png, draw))
        return results


def _write_png(draw, path: Path) -> None:
    with atomic_file(path) as f:
        draw(f)


