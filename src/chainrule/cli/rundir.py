"""The run directory: choosing it, claiming it for one process, and writing its files.

A run directory holds ``config.toml``, ``metrics.csv``, ``last.safetensors`` (everything
needed to resume), ``best.safetensors`` (weights with the best validation accuracy),
``results.json`` and three PNG plots. Every one of them is written through
:func:`chainrule.io.atomic.atomic_write`, so a run killed at any moment leaves each file
either as it was or complete.

One process at a time: :func:`claim` creates the directory and holds an exclusive
``flock`` on it for as long as the run goes on; the kernel drops the lock when the
process ends, however it ends, so a killed run never leaves a stale lock. Whether the
directory may be used is decided again *after* the lock is taken: two runs started
together cannot both pass the "empty or --overwrite" check.
"""

from __future__ import annotations

import contextlib
import os
from datetime import datetime
from pathlib import Path

from ..io.atomic import atomic_write, is_temporary, remove_stale_temporaries
from .errors import UsageError

try:
    import fcntl
except ImportError:  # Windows: no flock; concurrent runs into one directory are not detected
    fcntl = None

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


def default_name(config: dict) -> str:
    """``<timestamp>-<name>``: the directory name under runs/ when --out is not given."""
    name = config["name"] or (
        f"{'digits' if config['data'] == 'digits' else Path(config['data']).stem}-{config['model']}"
    )
    return f"{datetime.now():%Y%m%d-%H%M%S}-{name}"


def choose_run_dir(config: dict, overwrite: bool) -> tuple[Path, bool]:
    """The run directory to use and whether it was named automatically.

    Refuses a non-empty existing ``--out`` unless ``overwrite``. Nothing is created or
    removed here: that waits until every option has been checked (see :func:`claim`), so
    a refused run never costs the previous one's files.
    """
    if not config["out"]:
        return Path("runs") / default_name(config), True
    path = Path(config["out"])
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path}: exists and is not a directory; choose another --out")
    if path.is_dir() and _in_use(path) and not overwrite:
        raise _not_empty(path)
    return path, False


def _in_use(path: Path) -> bool:
    """True if ``path`` holds anything but the temporary files of a killed write."""
    return any(
        not any(is_temporary(name, f) for f in RUN_FILES) for name in os.listdir(path)
    )


def _not_empty(path: Path) -> UsageError:
    return UsageError(
        f"{path}: output directory already exists and is not empty; pass --overwrite "
        "to replace its run files, or choose another --out"
    )


class RunDirLock:
    """An exclusive lock on a run directory, held until :meth:`release` or process exit."""

    def __init__(self, path: Path):
        self.path = path
        self._fd = None
        if fcntl is None:
            return
        fd = os.open(path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise UsageError(
                f"{path}: another 'chainrule train' is writing to this run directory; wait "
                "for it to finish, or choose another --out"
            ) from None
        except OSError:
            # A file system without flock (some network mounts): run unlocked rather
            # than not at all; docs/cli.md says concurrent runs are then not detected.
            os.close(fd)
            return
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


def _make(path: Path, exist_ok: bool) -> bool:
    """Create ``path``; False if it exists and ``exist_ok`` is False."""
    try:
        path.mkdir(parents=True, exist_ok=exist_ok)
    except FileExistsError:
        if exist_ok:  # exists, but not as a directory
            raise UsageError(
                f"{path}: exists and is not a directory; choose another --out"
            ) from None
        return False
    except OSError as exc:
        raise UsageError(f"{path}: cannot create the run directory: {exc.strerror}") from None
    return True


def claim(path: Path, overwrite: bool, auto_named: bool) -> tuple[Path, RunDirLock]:
    """Create and lock the run directory; return it (renamed if taken) and its lock.

    An automatic name that another run took in the same second gets a numeric suffix.
    With ``overwrite``, the run files an earlier run left are removed (never a user's
    other files); without it, a directory that filled up since :func:`choose_run_dir`
    looked is refused.
    """
    if auto_named:
        base, n = path, 1
        while not _make(path, exist_ok=False):
            n += 1
            path = base.with_name(f"{base.name}-{n}")
    else:
        _make(path, exist_ok=True)
    lock = RunDirLock(path)
    try:
        if overwrite:
            for name in RUN_FILES:
                with contextlib.suppress(FileNotFoundError):
                    (path / name).unlink()
        elif _in_use(path):
            raise _not_empty(path)
        remove_stale_temporaries(path, RUN_FILES)
    except BaseException:
        lock.release()
        raise
    return path, lock


def lock_for_resume(path: Path) -> RunDirLock:
    """Lock an existing run directory to resume it, clearing temporaries of killed writes."""
    lock = RunDirLock(path)
    remove_stale_temporaries(path, RUN_FILES)
    return lock


def metrics_text(history: list[dict]) -> str:
    """metrics.csv: one row per completed epoch."""
    lines = [",".join(METRIC_COLUMNS)]
    for row in history:
        lines.append(
            ",".join(
                repr(row[c]) if isinstance(row[c], float) else str(row[c]) for c in METRIC_COLUMNS
            )
        )
    return "\n".join(lines) + "\n"


def write_metrics(path: Path, history: list[dict]) -> None:
    atomic_write(path, metrics_text(history))
