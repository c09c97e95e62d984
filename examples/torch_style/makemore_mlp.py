"""makemore's character MLP (Bengio et al. 2003, with BatchNorm), with chainrule.torch.

    python examples/torch_style/makemore_mlp.py [steps]

The model and loop of makemore part 3 ("Activations & Gradients, BatchNorm"), written as
a PyTorch user writes them: hand-made Linear / BatchNorm1d / Tanh layers over raw
tensors, an embedding table ``C`` indexed by the context, ``x.mean(0, keepdim=True)``
and ``x.var(0, keepdim=True)`` (PyTorch's unbiased variance), ``p.grad = None``,
``loss.backward()`` and ``p.data += -lr * p.grad``, then sampling with
``torch.multinomial``. The only differences from a PyTorch program are the import lines
and the text: Python's own standard library source (examples/text_corpus.py, no
download) instead of names.txt, read as one stream of characters with a context of 8.

Measured (Python 3.11.7, NumPy 2.4.6, one run on a shared 2-core machine, 2026-12-05):
29,040 parameters; 20,000 steps (batch 32) in 12.2 s; validation loss 4.556 -> 1.340
nats on the last 10% of 300,000 characters. The program prints these and a sample.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import chainrule.torch as torch
import chainrule.torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # examples/text_corpus.py
from text_corpus import python_source_text  # noqa: E402

block_size = 8  # context length: how many characters do we take to predict the next one?


class Linear:
    def __init__(self, fan_in, fan_out, g, bias=True):
        self.weight = torch.randn((fan_in, fan_out), generator=g) / fan_in**0.5
        self.bias = torch.zeros(fan_out) if bias else None

    def __call__(self, x):
        self.out = x @ self.weight
        if self.bias is not None:
            self.out += self.bias
        return self.out

    def parameters(self):
        return [self.weight] + ([] if self.bias is None else [self.bias])


class BatchNorm1d:
    def __init__(self, dim, eps=1e-5, momentum=0.1):
        self.eps = eps
        self.momentum = momentum
        self.training = True
        # parameters (trained with backprop)
        self.gamma = torch.ones(dim)
        self.beta = torch.zeros(dim)
        # buffers (trained with a running 'momentum update')
        self.running_mean = torch.zeros(dim)
        self.running_var = torch.ones(dim)

    def __call__(self, x):
        if self.training:
            xmean = x.mean(0, keepdim=True)  # batch mean
            xvar = x.var(0, keepdim=True)  # batch variance
        else:
            xmean = self.running_mean
            xvar = self.running_var
        xhat = (x - xmean) / torch.sqrt(xvar + self.eps)  # normalize to unit variance
        self.out = self.gamma * xhat + self.beta
        if self.training:
            with torch.no_grad():
                self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * xmean
                self.running_var = (1 - self.momentum) * self.running_var + self.momentum * xvar
        return self.out

    def parameters(self):
        return [self.gamma, self.beta]


class Tanh:
    def __call__(self, x):
        self.out = torch.tanh(x)
        return self.out

    def parameters(self):
        return []


def build_dataset(text, stoi):
    X, Y = [], []
    context = [0] * block_size
    for ch in text:
        ix = stoi[ch]
        X.append(context)
        Y.append(ix)
        context = context[1:] + [ix]
    return torch.tensor(X), torch.tensor(Y)


def build(vocab_size, n_embd=10, n_hidden=100, seed=2147483647):
    """The embedding table, the layers, and the list of all parameters."""
    g = torch.Generator().manual_seed(seed)
    C = torch.randn((vocab_size, n_embd), generator=g)
    layers = [
        Linear(n_embd * block_size, n_hidden, g, bias=False), BatchNorm1d(n_hidden), Tanh(),
        Linear(n_hidden, n_hidden, g, bias=False), BatchNorm1d(n_hidden), Tanh(),
        Linear(n_hidden, vocab_size, g, bias=False), BatchNorm1d(vocab_size),
    ]
    with torch.no_grad():
        layers[-1].gamma *= 0.1  # last layer: make less confident
        for layer in layers[:-1]:
            if isinstance(layer, Linear):
                layer.weight *= 5 / 3  # the gain of tanh
    parameters = [C] + [p for layer in layers for p in layer.parameters()]
    for p in parameters:
        p.requires_grad = True
    return C, layers, parameters


def forward(C, layers, Xb, Yb):
    emb = C[Xb]  # embed the characters into vectors
    x = emb.view(emb.shape[0], -1)  # concatenate the vectors
    for layer in layers:
        x = layer(x)
    return F.cross_entropy(x, Yb)


def train_step(C, layers, parameters, Xb, Yb, lr):
    loss = forward(C, layers, Xb, Yb)
    for p in parameters:
        p.grad = None
    loss.backward()
    for p in parameters:
        p.data += -lr * p.grad
    return loss.item()


@torch.no_grad()
def split_loss(C, layers, X, Y):
    for layer in layers:
        layer.training = False
    loss = forward(C, layers, X, Y)
    for layer in layers:
        layer.training = True
    return loss.item()


def sample(C, layers, itos, g, length=200):
    for layer in layers:
        layer.training = False
    out, context = [], [0] * block_size
    for _ in range(length):
        emb = C[torch.tensor([context])]
        x = emb.view(emb.shape[0], -1)
        for layer in layers:
            x = layer(x)
        probs = F.softmax(x, dim=1)
        ix = torch.multinomial(probs, num_samples=1, generator=g).item()
        context = context[1:] + [ix]
        out.append(itos[ix])
    for layer in layers:
        layer.training = True
    return "".join(out)


def main(max_steps=20000, batch_size=32, corpus_chars=300_000, log_every=2000, show=True):
    text = python_source_text(corpus_chars)
    chars = sorted(set(text))
    stoi = {s: i for i, s in enumerate(chars)}
    itos = {i: s for s, i in stoi.items()}
    n = int(0.9 * len(text))
    Xtr, Ytr = build_dataset(text[:n], stoi)
    Xdev, Ydev = build_dataset(text[n:], stoi)
    C, layers, parameters = build(len(chars))
    print(sum(p.nelement() for p in parameters), "parameters")
    g = torch.Generator().manual_seed(2147483647 + 10)
    start_loss = split_loss(C, layers, Xdev, Ydev)
    started = time.perf_counter()
    for i in range(max_steps):
        ix = torch.randint(0, Xtr.shape[0], (batch_size,), generator=g)
        lr = 0.1 if i < max_steps * 3 // 4 else 0.01  # step learning rate decay
        loss = train_step(C, layers, parameters, Xtr[ix], Ytr[ix], lr)
        if log_every and i % log_every == 0:
            print(f"{i:7d}/{max_steps:7d}: {loss:.4f}")
    seconds = time.perf_counter() - started
    val_loss = split_loss(C, layers, Xdev, Ydev)
    print(f"{max_steps} steps in {seconds:.1f} s; validation loss {start_loss:.4f} -> "
          f"{val_loss:.4f}")
    if show:
        print(sample(C, layers, itos, g))
    return {"start_loss": start_loss, "val_loss": val_loss}


if __name__ == "__main__":
    main(**({"max_steps": int(sys.argv[1])} if len(sys.argv) > 1 else {}))
