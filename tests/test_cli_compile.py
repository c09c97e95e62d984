"""chainrule train --compile: the same bits as training without it, for every model kind."""

from __future__ import annotations

import numpy as np
import pytest
from test_cli import metrics_without_time, run_cli, same_bits, train

from chainrule.io import load

WORDS = "a small corpus of words for a character model to learn from".split()

OPTIONS = {
    "mlp with dropout": ("--hidden", "32,32", "--dropout", 0.2, "--epochs", 2),
    "cnn": ("--model", "cnn", "--epochs", 1),
    "lstm": ("--model", "lstm", "--hidden", "16,16", "--context", 12, "--dropout", 0.1,
             "--epochs", 1, "--batch-size", 8),
    "gpt": ("--model", "gpt", "--hidden", "16", "--heads", 2, "--context", 12,
            "--dropout", 0.1, "--epochs", 1, "--batch-size", 8),
}


@pytest.mark.parametrize("kind", list(OPTIONS))
def test_compiled_steps_train_to_the_same_bits(kind, tmp_path):
    extra = OPTIONS[kind]
    if kind in ("lstm", "gpt"):
        rng = np.random.default_rng(0)
        corpus = tmp_path / "corpus.txt"
        corpus.write_text("\n".join(" ".join(rng.choice(WORDS, 6)) for _ in range(60)) + "\n",
                          encoding="utf-8")
        extra = ("--data", corpus, *extra)
    train(tmp_path / "eager", *extra, "--quiet")
    train(tmp_path / "compiled", *extra, "--quiet", "--compile")
    assert same_bits(load(tmp_path / "eager" / "last.safetensors"),
                     load(tmp_path / "compiled" / "last.safetensors"))
    assert metrics_without_time(tmp_path / "eager" / "metrics.csv") == metrics_without_time(
        tmp_path / "compiled" / "metrics.csv")


def test_compile_with_distributed_is_refused(tmp_path):
    code, _, stderr = run_cli("train", "--out", tmp_path / "run", "--compile", "--distributed")
    assert code != 0 and "--compile does not support --distributed" in stderr
