"""LSTM language-model training step against PyTorch eager, one thread each (issue 16's target).

The model: Embedding(V, 256) -> LSTM(256, 256, num_layers=2) -> Linear(256, V), cross-
entropy over every position, SGD step; sequences of 64 tokens, batch 32, float32. Both
libraries start from the same state_dict and see the same batch; their losses are
compared before timing. The figure is the median of interleaved steps, as a ratio
(chainrule / PyTorch) measured in the same run, for a character vocabulary (V = 96, where
the recurrence dominates) and a small word vocabulary (V = 2,000).

    python benchmarks/bench_lstm.py            # needs torch; target <= 1.5x
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import chainrule.nn as nn  # noqa: E402

try:
    from .blas_info import describe as blas
    from .common import interleaved, machine, verdict
    from .lm_steps import paired_steps, ratio_line
except ImportError:  # run as a script
    from blas_info import describe as blas
    from common import interleaved, machine, verdict
    from lm_steps import paired_steps, ratio_line

TARGET = 1.5
HIDDEN, LAYERS, SEQ, BATCH = 256, 2, 64, 32


class LanguageModel(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.embedding = nn.Embedding(vocab, HIDDEN, rng=0)
        self.lstm = nn.LSTM(HIDDEN, HIDDEN, LAYERS, rng=1)
        self.decoder = nn.Linear(HIDDEN, vocab, rng=2)

    def forward(self, tokens):
        out, _ = self.lstm(self.embedding(tokens))
        return self.decoder(out)


def torch_model(torch, vocab):
    class TorchLM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(vocab, HIDDEN)
            self.lstm = torch.nn.LSTM(HIDDEN, HIDDEN, LAYERS)
            self.decoder = torch.nn.Linear(HIDDEN, vocab)

        def forward(self, tokens):
            out, _ = self.lstm(self.embedding(tokens))
            return self.decoder(out)

    return TorchLM()


def cases(vocab):
    import torch

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    x = rng.integers(0, vocab, (SEQ, BATCH))
    y = rng.integers(0, vocab, SEQ * BATCH)
    return paired_steps(torch, LanguageModel(vocab), torch_model(torch, vocab), x, y, vocab,
                        "SGD", lr=0.1)


def main(repeats=15):
    try:
        import torch  # noqa: F401
    except ImportError:
        print("bench_lstm: torch is not importable; nothing to compare against")
        return None
    print(f"LSTM language model, {LAYERS} layers, hidden {HIDDEN}, sequence {SEQ}, batch "
          f"{BATCH}, float32, one thread each\n  ({machine()}; NumPy's BLAS: {blas()})")
    results = {}
    for vocab in (96, 2000):
        t = interleaved(cases(vocab), repeats=repeats)
        results[vocab] = ratio_line(f"vocabulary {vocab:5d}", t, TARGET, verdict)
    return results


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
