"""A makemore-style character MLP on Python's own source code (Bengio et al., 2003).

    python examples/char_mlp.py

The previous 8 characters are looked up in an embedding table (24 numbers each),
concatenated, passed through one hidden layer of 256 units (Linear without bias,
BatchNorm1d, tanh) and a Linear layer to the logits of the next character. Trained with
SGD and momentum (batch 128, rate 0.05, divided by 10 for the last quarter) on the
first 90% of the corpus of examples/text_corpus.py; the last 10% is the validation
text. Then 300 characters are sampled at temperature 0.8.

Measured (Python 3.11.7, 10,000 steps, 42 s on a shared 2-core machine): validation
loss 1.62 nats, 2.34 bits per character (uniform over the 96 characters would be 6.58;
4.62 nats before training); training loss 1.33. A sample:

    def _rounding = file.stance of a type format_por 2020('.j6Dictte(node.command_daction
        return _Forkinvertul
        '-Word of a context.exp)
                  self.buffer )

        def __cond__(self):
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np
from text_corpus import encode, python_source_text, splits, windows

import chainrule as cr
import chainrule.nn as nn
from chainrule import optim
from chainrule.sampling import sample_logits


class CharMLP(nn.Module):
    """Embedding -> Linear -> BatchNorm1d -> tanh -> Linear, over a fixed context."""

    def __init__(self, vocab, block=8, embed=24, hidden=256, rng=0):
        super().__init__()
        rng = np.random.default_rng(rng)
        self.embedding = nn.Embedding(vocab, embed, rng=rng)
        self.hidden = nn.Linear(block * embed, hidden, bias=False, rng=rng)
        self.norm = nn.BatchNorm1d(hidden)
        self.out = nn.Linear(hidden, vocab, rng=rng)

    def forward(self, context):
        e = self.embedding(context)  # (batch, block, embed)
        h = cr.tanh(self.norm(self.hidden(e.reshape(e.shape[0], -1))))
        return self.out(h)


def evaluate(model, ids, block, batches=20, batch=500, seed=1):
    """Mean cross-entropy (nats) on fixed random windows of ``ids``, in eval mode."""
    model.eval()
    rng = np.random.default_rng(seed)
    with cr.no_grad():
        losses = [float(cr.cross_entropy(model(x), y[:, -1]))
                  for x, y in (windows(ids, block, batch, rng) for _ in range(batches))]
    model.train()
    return sum(losses) / len(losses)


def sample(model, chars, block, length=300, temperature=0.8, seed=0):
    """Text generated one character at a time from a context of newlines."""
    model.eval()
    rng = np.random.default_rng(seed)
    context = [chars.index("\n")] * block
    out = []
    with cr.no_grad():
        for _ in range(length):
            logits = model(np.array([context[-block:]]))
            nxt = int(sample_logits(logits, temperature, generator=rng).data[0])
            context.append(nxt)
            out.append(chars[nxt])
    model.train()
    return "".join(out)


def main(steps=10_000, batch=128, lr=0.05, block=8, corpus_chars=1_000_000, seed=0,
         log_every=500, show_sample=True):
    ids, chars = encode(python_source_text(corpus_chars))
    train_ids, val_ids = splits(ids)
    model = CharMLP(len(chars), block, rng=seed)
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    schedule = optim.lr_scheduler.MultiStepLR(opt, milestones=[int(steps * 0.75)], gamma=0.1)
    rng = np.random.default_rng(seed)
    start_loss = evaluate(model, val_ids, block)
    started = time.perf_counter()
    for step in range(1, steps + 1):
        x, y = windows(train_ids, block, batch, rng)
        loss = cr.cross_entropy(model(x), y[:, -1])
        opt.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()
        if log_every and step % log_every == 0:
            print(f"step {step:5d}  train loss {float(loss):.3f}", flush=True)
    seconds = time.perf_counter() - started
    val = evaluate(model, val_ids, block)
    train = evaluate(model, train_ids, block)
    print(f"{steps} steps in {seconds:.0f} s: validation loss {val:.3f} nats, "
          f"{val / math.log(2):.2f} bits per character (train {train:.3f}); before training "
          f"{start_loss:.3f}")
    if show_sample:
        print(sample(model, chars, block))
    return {"start_loss": start_loss, "val_loss": val, "train_loss": train}


if __name__ == "__main__":
    main(**({"steps": int(sys.argv[1])} if len(sys.argv) > 1 else {}))
