"""The command line's character language models: an LSTM and a small GPT.

Like :mod:`chainrule.cli.models`, a model is rebuilt from a small JSON-able
specification stored in every checkpoint (kind, vocabulary size, context, widths,
heads, dropout, dtype), and :func:`parameter_shapes` computes the state-dict layout
without building anything, so a hostile checkpoint is refused before it allocates.

* lstm: Embedding(V, H) -> LSTM(H, H, num_layers=len(hidden), dropout between layers)
  -> Dropout -> Linear(H, V). All widths in ``hidden`` must be equal.
* gpt: token and position embeddings of width W, one pre-norm Transformer block per
  entry of ``hidden`` (LayerNorm, causal multi-head self-attention with ``heads`` heads,
  LayerNorm, MLP W -> 4W -> W with GELU, each added back to the residual stream),
  a final LayerNorm and the output layer, whose weight is the token embedding's (weight
  tying, Press & Wolf 2017). All widths must be equal and divisible by ``heads``.
"""

from __future__ import annotations

import math

import numpy as np

from .. import nn
from ..nn import functional as F
from ..primitives import transpose
from ..tensor import Tensor
from .errors import UsageError

TEXT_MODELS = ("lstm", "gpt")


def text_spec(config: dict, vocab_size: int) -> dict:
    spec = {
        "model": config["model"],
        "input_shape": [config["context"]],
        "hidden": list(config["hidden"]),
        "dropout": config["dropout"],
        "num_classes": int(vocab_size),
        "dtype": config["dtype"],
    }
    if config["model"] == "gpt":
        spec["heads"] = config["heads"]
    check_widths(spec, UsageError)
    return spec


def check_widths(spec: dict, error=ValueError) -> None:
    """The widths agree with the kind of model: equal, and divisible by the heads (gpt)."""
    hidden = spec["hidden"]
    if len(set(hidden)) != 1:
        raise error(
            f"--model {spec['model']}: every layer has the same width, so --hidden must repeat "
            f"one size (e.g. 128,128 for two layers of 128), got {','.join(map(str, hidden))}"
        )
    if spec["model"] == "gpt":
        heads = spec.get("heads")
        if not (isinstance(heads, int) and not isinstance(heads, bool) and heads >= 1):
            raise error(f"--heads must be a positive integer, got {heads!r}")
        if hidden[0] % heads:
            raise error(f"--model gpt: the width {hidden[0]} must be divisible by --heads "
                        f"{heads}")


def parameter_shapes(spec: dict) -> dict[str, tuple[int, ...]]:
    """State-dict names and shapes of the text model of ``spec``, computed, not built."""
    vocab, width, layers = spec["num_classes"], spec["hidden"][0], len(spec["hidden"])
    if spec["model"] == "lstm":
        shapes = {"embedding.weight": (vocab, width)}
        for k in range(layers):
            shapes |= {f"lstm.weight_ih_l{k}": (4 * width, width),
                       f"lstm.weight_hh_l{k}": (4 * width, width),
                       f"lstm.bias_ih_l{k}": (4 * width,), f"lstm.bias_hh_l{k}": (4 * width,)}
        return shapes | {"head.weight": (vocab, width), "head.bias": (vocab,)}
    shapes = {"token.weight": (vocab, width), "position.weight": (spec["input_shape"][0], width)}
    for k in range(layers):
        block = f"blocks.{k}."
        shapes |= {block + "norm1.weight": (width,), block + "norm1.bias": (width,),
                   block + "qkv.weight": (3 * width, width), block + "qkv.bias": (3 * width,),
                   block + "proj.weight": (width, width), block + "proj.bias": (width,),
                   block + "norm2.weight": (width,), block + "norm2.bias": (width,),
                   block + "fc.weight": (4 * width, width), block + "fc.bias": (4 * width,),
                   block + "out.weight": (width, 4 * width), block + "out.bias": (width,)}
    return shapes | {"norm.weight": (width,), "norm.bias": (width,),
                     "head.weight": (vocab, width)}  # head.weight is token.weight


class CharLSTM(nn.Module):
    """Embedding -> LSTM -> Dropout -> Linear: next-character logits at every position."""

    def __init__(self, vocab, width, layers, dropout, dtype, init_rng, dropout_rng):
        super().__init__()
        self.embedding = nn.Embedding(vocab, width, dtype=dtype, rng=init_rng)
        self.lstm = nn.LSTM(width, width, num_layers=layers, batch_first=True,
                            dropout=dropout if layers > 1 else 0.0, dtype=dtype, rng=init_rng)
        self.lstm.rng = dropout_rng  # initialized; its dropout masks come from the run's stream
        self.drop = nn.Dropout(dropout, rng=dropout_rng)
        self.head = nn.Linear(width, vocab, dtype=dtype, rng=init_rng)

    def forward(self, x, state=None):
        """Logits (batch, time, vocab); with ``state`` (h, c) also the state after x."""
        out, after = self.lstm(self.embedding(x), state)
        logits = self.head(self.drop(out))
        return logits if state is None else (logits, after)


class Block(nn.Module):
    """A pre-norm Transformer block with causal self-attention."""

    def __init__(self, width, heads, dropout, dtype, init_rng, dropout_rng):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(width, dtype=dtype)
        self.qkv = nn.Linear(width, 3 * width, dtype=dtype, rng=init_rng)
        self.proj = nn.Linear(width, width, dtype=dtype, rng=init_rng)
        self.norm2 = nn.LayerNorm(width, dtype=dtype)
        self.fc = nn.Linear(width, 4 * width, dtype=dtype, rng=init_rng)
        self.out = nn.Linear(4 * width, width, dtype=dtype, rng=init_rng)
        self.drop = nn.Dropout(dropout, rng=dropout_rng)

    def forward(self, x):
        b, t, w = x.shape
        # (b, t, 3 w) -> q, k and v of shape (b, heads, t, w / heads)
        qkv = self.qkv(self.norm1(x)).reshape(b, t, 3, self.heads, w // self.heads)
        q, k, v = (transpose(qkv[:, :, i], (0, 2, 1, 3)) for i in range(3))
        attended = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.drop(self.proj(transpose(attended, (0, 2, 1, 3)).reshape(b, t, w)))
        return x + self.drop(self.out(F.gelu(self.fc(self.norm2(x)))))


class CharGPT(nn.Module):
    """Token and position embeddings, Transformer blocks, LayerNorm, tied output layer."""

    def __init__(self, vocab, context, width, layers, heads, dropout, dtype, init_rng,
                 dropout_rng):
        super().__init__()
        self.token = nn.Embedding(vocab, width, dtype=dtype, rng=init_rng)
        self.position = nn.Embedding(context, width, dtype=dtype, rng=init_rng)
        for e in (self.token, self.position):  # GPT-2's initialization: N(0, 0.02)
            e.weight._data[...] = (0.02 * init_rng.standard_normal(e.weight.shape)).astype(dtype)
        self.blocks = nn.ModuleList([Block(width, heads, dropout, dtype, init_rng, dropout_rng)
                                     for _ in range(layers)])
        self.norm = nn.LayerNorm(width, dtype=dtype)
        self.head = nn.Linear(width, vocab, bias=False, dtype=dtype, rng=init_rng)
        self.head.weight = self.token.weight
        self.drop = nn.Dropout(dropout, rng=dropout_rng)

    def forward(self, x):
        t = x.shape[1]
        h = self.drop(self.token(x) + self.position(np.arange(t)))
        for block in self.blocks:
            h = block(h)
        return self.head(self.norm(h))


def build_text_model(spec: dict, init_rng, dropout_rng) -> nn.Module:
    dtype = np.dtype(spec["dtype"])
    vocab, width, layers = spec["num_classes"], spec["hidden"][0], len(spec["hidden"])
    if spec["model"] == "lstm":
        return CharLSTM(vocab, width, layers, spec["dropout"], dtype, init_rng, dropout_rng)
    return CharGPT(vocab, spec["input_shape"][0], width, layers, spec["heads"],
                   spec["dropout"], dtype, init_rng, dropout_rng)


def describe_text(spec: dict) -> str:
    """e.g. 'lstm 2x128 on 96 characters, context 64' or 'gpt 4 blocks x128, 4 heads ...'."""
    width, layers = spec["hidden"][0], len(spec["hidden"])
    if spec["model"] == "lstm":
        text = f"lstm {layers}x{width}"
    else:
        text = f"gpt {layers} block{'s' * (layers > 1)} x{width}, {spec['heads']} heads"
    text += f" on {spec['num_classes']} characters, context {spec['input_shape'][0]}"
    return text + (f", dropout {spec['dropout']:g}" if spec["dropout"] > 0 else "")


def generate(model, spec: dict, prompt_ids, length: int, sample) -> list[int]:
    """``length`` characters after ``prompt_ids``, each drawn by ``sample(logits)``.

    The LSTM carries its state from character to character; the GPT looks at the last
    ``context`` characters each time.
    """
    ids = list(prompt_ids)
    context = spec["input_shape"][0]
    if spec["model"] == "lstm":
        layers, width = len(spec["hidden"]), spec["hidden"][0]
        zeros = np.zeros((layers, 1, width), np.dtype(spec["dtype"]))
        logits, state = model(Tensor(np.array([ids])), (zeros, zeros))
        for _ in range(length):
            ids.append(sample(logits._data[0, -1]))
            logits, state = model(Tensor(np.array([ids[-1:]])), state)
        return ids[len(prompt_ids):]
    for _ in range(length):
        window = np.array([ids[-context:]])
        ids.append(sample(model(Tensor(window))._data[0, -1]))
    return ids[len(prompt_ids):]


def parameter_count(spec: dict) -> int:
    """Distinct parameters (the tied output weight counted once)."""
    shapes = parameter_shapes(spec)
    if spec["model"] == "gpt":
        shapes.pop("head.weight")
    return sum(math.prod(s) for s in shapes.values())
