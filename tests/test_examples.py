"""The example programs, each run in a shortened form: the loss must fall by a stated margin.

The full runs and their numbers are in each example's docstring.
"""

import importlib
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture
def example(monkeypatch):
    """Import examples/NAME.py as a module (its neighbours importable, as when run)."""
    monkeypatch.syspath_prepend(str(EXAMPLES))

    def load(name):
        sys.modules.pop(name, None)
        return importlib.import_module(name)

    return load


def test_text_corpus_is_deterministic_printable_ascii(example):
    corpus = example("text_corpus")
    text = corpus.python_source_text(50_000)
    assert len(text) == 50_000 and text == corpus.python_source_text(50_000)
    assert set(text) <= corpus.KEPT
    ids, chars = corpus.encode(text)
    assert "".join(chars[i] for i in ids[:200]) == text[:200]
    x, y = corpus.windows(ids, 8, 5, __import__("numpy").random.default_rng(0))
    assert x.shape == y.shape == (5, 8) and (x[:, 1:] == y[:, :-1]).all()


def test_char_mlp_learns_in_150_steps(example):
    result = example("char_mlp").main(steps=150, corpus_chars=100_000, log_every=0,
                                      show_sample=False)
    # ln 96 = 4.56 nats at the start; 150 steps bring the validation loss below 3.
    assert result["val_loss"] < result["start_loss"] - 1.5


def test_char_mlp_samples_text_from_its_characters(example):
    mlp = example("char_mlp")
    model = mlp.CharMLP(4, block=3)
    text = mlp.sample(model, ["\n", "a", "b", "c"], 3, length=20, temperature=1.0)
    assert len(text) == 20 and set(text) <= set("\nabc")


def test_gaussian_process_fit_in_full(example):
    result = example("gaussian_process").main()
    assert result["end"] < result["start"] - 20  # 50.34 -> 28.29 in the docstring
    assert result["rmse"] < 0.25
