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

import chainrule as cr  # noqa: E402
import chainrule.nn as nn  # noqa: E402

try:
    from .blas_info import describe as blas
    from .common import interleaved, machine, verdict
except ImportError:  # run as a script
    from blas_info import describe as blas
    from common import interleaved, machine, verdict

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
    y = rng.integers(0, vocab, (SEQ, BATCH))
    model = LanguageModel(vocab)
    tmodel = torch_model(torch, vocab)
    tmodel.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in model.state_dict().items()},
                           strict=True)
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.1)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y.reshape(-1))
    y_flat = y.reshape(-1)

    def chainrule_step():
        opt.zero_grad()
        logits = model(x)
        loss = cr.cross_entropy(cr.reshape(logits, (-1, vocab)), y_flat)
        loss.backward()
        opt.step()
        return float(loss)

    def torch_step():
        topt.zero_grad()
        loss = torch.nn.functional.cross_entropy(tmodel(tx).reshape(-1, vocab), ty)
        loss.backward()
        topt.step()
        return float(loss)

    first = chainrule_step(), torch_step()
    if abs(first[0] - first[1]) > 1e-4 * abs(first[1]):
        raise AssertionError(f"the two models disagree: loss {first[0]} vs {first[1]}")
    return {"pytorch": torch_step, "chainrule": chainrule_step}


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
        ratio = t["chainrule"] / t["pytorch"]
        results[vocab] = {"pytorch_ms": t["pytorch"] * 1e3, "chainrule_ms": t["chainrule"] * 1e3,
                          "ratio": ratio}
        print(f"  vocabulary {vocab:5d}: PyTorch {t['pytorch'] * 1e3:7.1f} ms, chainrule "
              f"{t['chainrule'] * 1e3:7.1f} ms per step: {ratio:.2f}x  target <= {TARGET}x: "
              f"{verdict(ratio, TARGET)}")
    return results


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
