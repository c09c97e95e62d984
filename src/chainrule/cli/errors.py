"""The exceptions the command line turns into one ``error:`` line and an exit status."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1  # the run itself failed (e.g. the loss became NaN)
EXIT_USAGE = 2  # bad options, config or data
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C'd program


class UsageError(Exception):
    """Bad options, configuration or input data: nothing ran, exit status 2."""


class TrainingFailed(Exception):
    """Training started but could not continue (e.g. a non-finite loss): exit status 1."""


class Interrupted(Exception):
    """Training was stopped by SIGINT after saving a checkpoint: exit status 130."""


class WriteFailed(Exception):
    """An output file could not be written (disk full, permissions): exit status 1."""
