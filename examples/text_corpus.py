"""A text corpus every Python installation has: the standard library's own source code.

    python examples/text_corpus.py corpus.txt      # write it (about 1 MB)

The top-level modules of the standard library (``Lib/*.py``, no packages), in sorted
order, joined by blank lines, with tabs as four spaces and every character outside
printable ASCII and newline removed, cut at ``max_chars``. The same Python version
gives the same text, byte for byte; the character language models in this folder
(char_mlp.py, char_lstm.py, char_gpt.py) and ``chainrule train --data corpus.txt``
train on it. The code is the Python Software Foundation's, under its licence.
"""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

import numpy as np

KEPT = frozenset(chr(c) for c in range(32, 127)) | {"\n"}


def python_source_text(max_chars: int = 1_000_000) -> str:
    """The standard library's top-level modules, filtered to printable ASCII, as one string."""
    parts, size = [], 0
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace").replace("\t", "    ")
        text = "".join(c for c in text if c in KEPT).strip("\n") + "\n\n"
        parts.append(text)
        size += len(text)
        if size >= max_chars:
            break
    return "".join(parts)[:max_chars]


def encode(text: str):
    """``(ids, chars)``: the text as int64 indices into its sorted character set."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    present = np.unique(codes)
    return np.searchsorted(present, codes).astype(np.int64), [chr(c) for c in present]


def splits(ids, val_fraction=0.1):
    """The first part for training, the rest (``val_fraction``) held out, as contiguous text."""
    cut = int(len(ids) * (1 - val_fraction))
    return ids[:cut], ids[cut:]


def windows(ids, block, batch, rng):
    """A batch of ``batch`` random windows: inputs (batch, block), next characters."""
    start = rng.integers(0, len(ids) - block, batch)
    rows = start[:, None] + np.arange(block + 1)
    chunk = ids[rows]
    return chunk[:, :-1], chunk[:, 1:]


if __name__ == "__main__":
    text = python_source_text()
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text(text, encoding="utf-8")
    print(f"{len(text):,} characters, {len(set(text))} distinct, Python {sys.version.split()[0]}")
