"""GPT training step against PyTorch eager, one thread each (issue 16's target).

A nanoGPT-style model: token and position embeddings, 4 pre-norm blocks of width 128 (4
heads, causal scaled dot-product attention, a GELU MLP of width 512), a final LayerNorm
and a head tied to the token embedding; context 64, batch 32, vocabulary 96 (characters),
cross-entropy, AdamW step, float32. Both libraries start from the same state_dict and see
the same batch; their first losses are compared before timing. The figure is the median
of interleaved steps as a ratio (chainrule / PyTorch) measured in the same run, once with
GPT-2's tanh-approximated GELU and once with the exact GELU (nanoGPT's nn.GELU()), whose
erf costs chainrule far more than PyTorch (docs/performance.md).

    python benchmarks/bench_gpt.py            # needs torch; target <= 1.2x
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
import chainrule.nn.functional as F  # noqa: E402

try:
    from .blas_info import describe as blas
    from .common import interleaved, machine, verdict
    from .lm_steps import paired_steps, ratio_line
except ImportError:  # run as a script
    from blas_info import describe as blas
    from common import interleaved, machine, verdict
    from lm_steps import paired_steps, ratio_line

TARGET = 1.2
VOCAB, WIDTH, CONTEXT, BATCH, BLOCKS, HEADS = 96, 128, 64, 32, 4, 4


class Block(nn.Module):
    def __init__(self, rng, approximate):
        super().__init__()
        self.approximate = approximate
        self.ln1 = nn.LayerNorm(WIDTH)
        self.attn = nn.Linear(WIDTH, 3 * WIDTH, rng=rng)
        self.proj = nn.Linear(WIDTH, WIDTH, rng=rng)
        self.ln2 = nn.LayerNorm(WIDTH)
        self.fc = nn.Linear(WIDTH, 4 * WIDTH, rng=rng)
        self.fc2 = nn.Linear(4 * WIDTH, WIDTH, rng=rng)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = cr.split(self.attn(self.ln1(x)), 3, axis=2)
        q, k, v = (cr.transpose(cr.reshape(t, (B, T, HEADS, C // HEADS)), (0, 2, 1, 3))
                   for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        y = cr.reshape(cr.transpose(y, (0, 2, 1, 3)), (B, T, C))
        x = x + self.proj(y)
        return x + self.fc2(F.gelu(self.fc(self.ln2(x)), approximate=self.approximate))


class GPT(nn.Module):
    def __init__(self, approximate="tanh"):
        super().__init__()
        rng = np.random.default_rng(0)
        self.wte = nn.Embedding(VOCAB, WIDTH, rng=rng)
        self.wpe = nn.Embedding(CONTEXT, WIDTH, rng=rng)
        self.blocks = nn.ModuleList([Block(rng, approximate) for _ in range(BLOCKS)])
        self.lnf = nn.LayerNorm(WIDTH)
        self.head = nn.Linear(WIDTH, VOCAB, bias=False, rng=rng)
        self.head.weight = self.wte.weight

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(np.arange(idx.shape[1]))
        for block in self.blocks:
            x = block(x)
        return self.head(self.lnf(x))


def torch_gpt(torch, approximate="tanh"):
    tnn, tF = torch.nn, torch.nn.functional

    class TBlock(tnn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = tnn.LayerNorm(WIDTH), tnn.LayerNorm(WIDTH)
            self.attn, self.proj = tnn.Linear(WIDTH, 3 * WIDTH), tnn.Linear(WIDTH, WIDTH)
            self.fc, self.fc2 = tnn.Linear(WIDTH, 4 * WIDTH), tnn.Linear(4 * WIDTH, WIDTH)

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = self.attn(self.ln1(x)).split(C, dim=2)
            q, k, v = (t.view(B, T, HEADS, C // HEADS).transpose(1, 2) for t in (q, k, v))
            y = tF.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.proj(y.transpose(1, 2).reshape(B, T, C))
            return x + self.fc2(tF.gelu(self.fc(self.ln2(x)), approximate=approximate))

    class TGPT(tnn.Module):
        def __init__(self):
            super().__init__()
            self.wte, self.wpe = tnn.Embedding(VOCAB, WIDTH), tnn.Embedding(CONTEXT, WIDTH)
            self.blocks = tnn.ModuleList([TBlock() for _ in range(BLOCKS)])
            self.lnf = tnn.LayerNorm(WIDTH)
            self.head = tnn.Linear(WIDTH, VOCAB, bias=False)
            self.head.weight = self.wte.weight

        def forward(self, idx):
            x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
            for block in self.blocks:
                x = block(x)
            return self.head(self.lnf(x))

    return TGPT()


def cases(approximate):
    import torch

    torch.set_num_threads(1)
    rng = np.random.default_rng(1)
    x = rng.integers(0, VOCAB, (BATCH, CONTEXT))
    y = rng.integers(0, VOCAB, (BATCH * CONTEXT,))
    return paired_steps(torch, GPT(approximate), torch_gpt(torch, approximate), x, y, VOCAB,
                        "AdamW", lr=1e-3)


def main(repeats=15):
    try:
        import torch  # noqa: F401
    except ImportError:
        print("bench_gpt: torch is not importable; nothing to compare against")
        return None
    print(f"GPT ({BLOCKS} blocks, width {WIDTH}, context {CONTEXT}, batch {BATCH}), float32, one "
          f"thread each ({machine()}; NumPy's BLAS: {blas()})")
    results = {}
    for approximate in ("tanh", "none"):
        t = interleaved(cases(approximate), repeats=repeats)
        label = "GELU tanh " if approximate == "tanh" else "GELU exact"
        results[approximate] = ratio_line(label, t, TARGET, verdict)
    return results

if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
