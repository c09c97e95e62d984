"""``chainrule explain [OP]``: how an operation is differentiated, or the list of operations."""

from __future__ import annotations

import difflib
import shutil

from ..explain import explain, explanation
from ..rules import REGISTRY
from .errors import UsageError


def _summary(name: str) -> str:
    """The forward definition of ``name``, or a note when it has no explanation."""
    try:
        return explanation(name).forward
    except KeyError:
        return "(no explanation yet)"


def listing(width: int) -> str:
    """One line per registered operation: its name and forward definition, cut to ``width``."""
    names = sorted(REGISTRY)
    pad = max(len(n) for n in names)
    lines = [f"{len(names)} operations; 'chainrule explain OP' shows one:", ""]
    for name in names:
        line = f"  {name:<{pad}}  {_summary(name)}"
        lines.append(line if len(line) <= width else line[: width - 3] + "...")
    return "\n".join(lines)


def run_explain(op: str | None) -> int:
    """Print the derivation of ``op`` and check it numerically, or list every operation."""
    if op is None:
        print(listing(shutil.get_terminal_size().columns))
        return 0
    if op not in REGISTRY:
        close = difflib.get_close_matches(op, REGISTRY, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UsageError(f"unknown operation {op!r}{hint} ('chainrule explain' lists them)")
    try:
        explain(op)
    except KeyError as exc:
        raise UsageError(exc.args[0]) from None
    return 0
