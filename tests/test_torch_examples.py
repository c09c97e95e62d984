"""examples/torch_style/: PyTorch programs run by chainrule.torch, each in a shortened form
(a few steps; the loss must fall by a stated margin)."""

import ast
import importlib
import sys
from pathlib import Path

import pytest

FOLDER = Path(__file__).resolve().parents[1] / "examples" / "torch_style"
PROGRAMS = sorted(p.stem for p in FOLDER.glob("*.py"))


@pytest.fixture
def example(monkeypatch):
    monkeypatch.syspath_prepend(str(FOLDER))

    def load(name):
        sys.modules.pop(name, None)
        return importlib.import_module(name)

    return load


@pytest.mark.parametrize("name", PROGRAMS)
def test_a_program_imports_from_chainrule_only_what_torch_would_give(name):
    """Read `chainrule.torch` as `torch`: the only other chainrule import is the built-in
    digits (the data a PyTorch program would download)."""
    tree = ast.parse((FOLDER / f"{name}.py").read_text())
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names]
    imported += [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                 and node.module]
    ours = [m for m in imported if m.split(".")[0] == "chainrule"]
    assert ours and all(m.startswith("chainrule.torch") or m == "chainrule.data" for m in ours)
    assert not any(m.split(".")[0] in ("numpy", "torch") for m in imported)


def test_mnist_cnn_learns_in_one_epoch(example):
    result = example("mnist_cnn").main(epochs=1, log=False)
    first, last = result["losses"][:3], result["losses"][-3:]
    assert sum(last) / 3 < sum(first) / 3 - 1.0  # ln 10 = 2.30 at the start
    assert result["test_accuracy"] > 0.7


def test_makemore_mlp_learns_in_600_steps(example):
    result = example("makemore_mlp").main(max_steps=600, corpus_chars=50_000, log_every=0,
                                          show=False)
    assert result["val_loss"] < result["start_loss"] - 0.5  # 4.55 -> 3.77 measured


def test_gpt_learns_in_60_steps_and_generates(example, capsys):
    result = example("gpt").main(max_iters=60, eval_interval=0, corpus_chars=50_000, show=True)
    assert result["val"] < result["start_val"] - 0.8  # 4.58 -> 3.42 measured
    assert len(capsys.readouterr().out.splitlines()) > 2


def test_lstm_lm_learns_in_100_batches(example):
    result = example("lstm_lm").main(epochs=1, max_batches=100, corpus_chars=100_000,
                                     log_interval=0)
    assert result["val_loss"] < result["start_loss"] - 0.5  # 4.555 -> 3.883 measured
