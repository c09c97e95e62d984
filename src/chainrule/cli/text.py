"""The text task: a character language model trained on a text file (``--model lstm|gpt``).

``--data FILE`` is read as UTF-8 text; its distinct characters, in code-point order, are
the vocabulary (saved in every checkpoint). The text is split in order, never shuffled,
so no window of the validation or test text also appears in training: the last
``test_fraction`` of the characters is the test text, the last ``val_fraction`` of the
rest the validation text, and the beginning the training text. Each split is cut into
non-overlapping windows of ``context + 1`` characters; a window's first ``context``
characters are the input and the model predicts, at every position, the next one. The
loss is the cross-entropy per character in nats (bits per character = nats / ln 2) and
the accuracy the fraction of next characters predicted exactly. Each epoch goes over the
training windows once, in an order fixed by the seed and the epoch.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np

from ..data import DataError
from .inputs import Prepared
from .text_models import TEXT_MODELS

# More distinct characters than this is not the text a character model is for (or not
# text at all); each one costs a row of the embedding and of the output layer.
MAX_VOCABULARY = 20_000


def is_text_task(config: dict) -> bool:
    return config["model"] in TEXT_MODELS


class Vocabulary:
    """The characters a text model knows, in order: character k is class k."""

    def __init__(self, chars):
        self.chars = list(chars)
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self):
        return len(self.chars)

    def state(self) -> str:
        """The characters as one string (JSON-able), as checkpoints store them."""
        return "".join(self.chars)

    @classmethod
    def from_state(cls, state) -> Vocabulary:
        """Rebuild from :meth:`state`, refusing anything that is not distinct characters."""
        if not isinstance(state, str) or not state:
            raise ValueError("the vocabulary must be a non-empty string of characters")
        if len(set(state)) != len(state):
            raise ValueError("the vocabulary repeats characters")
        return cls(state)

    def encode(self, text: str, where: str) -> np.ndarray:
        """Character indices of ``text``; an unknown character is an error naming it."""
        unknown = sorted(set(text) - set(self.index))
        if unknown:
            shown = ", ".join(repr(c) for c in unknown[:8])
            raise DataError(
                f"{where}: the characters {shown} are not in the model's vocabulary of "
                f"{len(self)} characters"
            )
        return np.fromiter((self.index[c] for c in text), dtype=np.int64, count=len(text))

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


def read_text(data: str) -> str:
    """The UTF-8 text of ``--data``; every problem is a DataError saying what to do."""
    if data == "digits":
        raise DataError(
            "a character model trains on text: pass --data FILE with a UTF-8 text file "
            "(e.g. python examples/text_corpus.py corpus.txt)"
        )
    path = Path(data)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file; --data takes a UTF-8 text file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory; --model lstm/gpt takes one text file") from None
    except PermissionError:
        raise DataError(f"{path}: permission denied; check the file's permissions") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if b"\0" in raw:
        raise DataError(f"{path}: holds NUL bytes, so it is not text; --data takes a text file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason}); save it as UTF-8"
        ) from None
    if not text:
        raise DataError(f"{path}: the file is empty")
    return text


def vocabulary_of(text: str, where: str) -> Vocabulary:
    chars = sorted(set(text))
    if len(chars) < 2:
        raise DataError(f"{where}: the text has only the character {chars[0]!r}; a language "
                        f"model needs at least 2 distinct characters")
    if len(chars) > MAX_VOCABULARY:
        raise DataError(
            f"{where}: {len(chars)} distinct characters, more than {MAX_VOCABULARY:,}; a "
            f"character model is for text with a small alphabet"
        )
    return Vocabulary(chars)


def windows(ids: np.ndarray, context: int) -> tuple[np.ndarray, np.ndarray]:
    """Non-overlapping windows: inputs (n, context) and their next characters (n, context)."""
    n = (len(ids) - 1) // context
    x = ids[: n * context].reshape(n, context)
    y = ids[1 : n * context + 1].reshape(n, context)
    return x, y


def split_text(ids: np.ndarray, config: dict) -> dict[str, np.ndarray]:
    """Train, validation and test text, in the order they appear (see the module notes)."""
    n = len(ids)
    test_start = n - int(round(n * config["test_fraction"]))
    val_start = test_start - int(round(test_start * config["val_fraction"]))
    parts = {"train": ids[:val_start], "val": ids[val_start:test_start],
             "test": ids[test_start:]}
    short = {k: len(v) for k, v in parts.items() if len(v) < config["context"] + 1}
    if short:
        sizes = ", ".join(f"{k} {len(v)}" for k, v in parts.items())
        raise DataError(
            f"{config['data']}: the text is too short for --context {config['context']}: a "
            f"split needs at least {config['context'] + 1} characters, but they have {sizes}; "
            "use more text, a smaller --context or larger --val-fraction/--test-fraction"
        )
    return parts


def prepare(config: dict) -> Prepared:
    """The text task's data: windows of each split, the vocabulary and the fingerprint."""
    text = read_text(config["data"])
    vocabulary = vocabulary_of(text, config["data"])
    ids = vocabulary.encode(text, config["data"])
    parts = split_text(ids, config)
    splits = {name: windows(part, config["context"]) for name, part in parts.items()}
    return Prepared(splits, [config["context"]], len(vocabulary), vocabulary, fingerprint(text))


def fingerprint(text: str) -> str:
    """SHA-256 of the text, so a resumed or evaluated run can tell its text is unchanged."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def bits(nats: float) -> float:
    """A cross-entropy in nats per character as bits per character."""
    return nats / math.log(2)
