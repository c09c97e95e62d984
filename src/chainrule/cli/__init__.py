"""The ``chainrule`` command: train, eval, predict, sample and explain.

``main(argv)`` returns the exit status instead of exiting, so it can be called in-process:
0 success, 1 training failed, 2 bad usage or data, 130 interrupted by Ctrl-C after
saving a checkpoint. Every failure is one ``error: ...`` line on stderr, never a traceback
(set ``CHAINRULE_TRACEBACK=1`` to see one for an internal error).
"""

from __future__ import annotations

import os
import sys

from ..data import DataError
from ..io import CheckpointError
from .errors import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    Interrupted,
    TrainingFailed,
    UsageError,
    WriteFailed,
)

__all__ = ["main"]


def _error(message: str) -> None:
    # One line: a multi-line message (e.g. from a library) is folded so scripts can grep it.
    print("error: " + " ".join(str(message).split("\n")), file=sys.stderr)


def _dispatch(argv) -> int:
    # The commands are imported here, inside main's handlers, not at the top: their
    # imports (tqdm, safetensors, the distributed layer) are a good part of start-up, and
    # a Ctrl-C during them must print one line, not a traceback.
    from .config import build_parser
    from .evaluate import run_eval, run_predict
    from .explain import run_explain
    from .generate import run_sample
    from .train import run_train

    try:
        args = vars(build_parser().parse_args(argv))
    except SystemExit as exc:  # --help and --version print and "exit" with status 0
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    command = args.pop("command")
    if command == "train":
        return run_train(args)
    if command == "eval":
        return run_eval(args["source"], args["data"], args["target"], args["batch_size"])
    if command == "sample":
        return run_sample(args["source"], args["temperature"], args["length"], args["seed"],
                          args["prompt"], args["top_k"])
    if command == "predict":
        return run_predict(args["source"], args["input"], args["out"], args["batch_size"])
    return run_explain(args["op"])


def main(argv=None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    try:
        return _dispatch(argv)
    except (UsageError, DataError, CheckpointError) as exc:
        _error(exc)
        return EXIT_USAGE
    except (TrainingFailed, WriteFailed) as exc:
        _error(exc)
        return EXIT_FAILURE
    except Interrupted as exc:
        print(exc, file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED
    except ImportError as exc:  # an optional dependency of the train extra is missing
        _error(f"{exc}; install the training extras with: pip install 'chainrule[train]'")
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. `chainrule predict ... | head`: the reader went away
        return EXIT_OK
    except OSError as exc:  # e.g. the disk filled up while writing the run directory
        where = f"{exc.filename}: " if exc.filename else ""
        _error(f"{where}{exc.strerror or exc}")
        return EXIT_FAILURE
    except Exception as exc:  # a bug: still one line, but with the way to the traceback
        if os.environ.get("CHAINRULE_TRACEBACK"):
            raise
        _error(
            f"internal error: {type(exc).__name__}: {exc} (this is a bug in chainrule; "
            "set CHAINRULE_TRACEBACK=1 to see where, and please report it)"
        )
        return EXIT_FAILURE
