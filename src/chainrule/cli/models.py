"""Building the command line's networks from a model specification.

A specification is a small JSON-able dict (kind, input shape, layer sizes, activation,
dropout, classes, dtype) stored in every checkpoint, so a checkpoint file alone is enough
to rebuild the network it holds.
"""

from __future__ import annotations

import math

import numpy as np

from .. import nn
from .errors import UsageError

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "gelu": nn.GELU}
INIT_STREAM = 1  # SeedSequence word that separates the init stream from other seeded draws
DROPOUT_STREAM = 2


def spec_from_config(config: dict, input_shape: list[int], num_classes: int) -> dict:
    """The model specification of a run: everything needed to rebuild its network."""
    spec = {
        "model": config["model"],
        "input_shape": list(input_shape),
        "hidden": list(config["hidden"]),
        "activation": config["activation"],
        "dropout": config["dropout"],
        "num_classes": int(num_classes),
        "dtype": config["dtype"],
    }
    if config["model"] == "cnn":
        spec["channels"] = list(config["channels"])
    return spec


def _cnn_features(spec: dict, activation, dtype, rng) -> tuple[list, int]:
    """Conv 3x3 (same padding) + activation + 2x2 max-pool blocks; returns layers, outputs."""
    channels, height, width = spec["input_shape"]
    layers = []
    for out_channels in spec["channels"]:
        if height < 2 or width < 2:
            raise UsageError(
                f"--model cnn: {len(spec['channels'])} conv blocks halve "
                f"{spec['input_shape'][1]}x{spec['input_shape'][2]} images below 1x1; "
                "use fewer --channels"
            )
        layers += [
            nn.Conv2d(channels, out_channels, 3, padding=1, dtype=dtype, rng=rng),
            activation(),
            nn.MaxPool2d(2),
        ]
        channels, height, width = out_channels, height // 2, width // 2
    layers.append(nn.Flatten())
    return layers, channels * height * width


def build_model(spec: dict, seed: int = 0) -> tuple[nn.Module, np.random.Generator]:
    """Build the network of ``spec``, initialized from ``seed``.

    mlp: Linear -> activation [-> Dropout] per hidden width, then Linear to the classes.
    cnn: the conv blocks of ``spec["channels"]``, then the same fully connected head.
    The model outputs logits; the loss applies log-softmax. Returns the model and the
    generator its Dropout layers draw masks from (its state belongs in checkpoints).
    """
    dtype = np.dtype(spec["dtype"])
    init_rng = np.random.default_rng([seed, INIT_STREAM])
    dropout_rng = np.random.default_rng([seed, DROPOUT_STREAM])
    activation = ACTIVATIONS[spec["activation"]]
    if spec["model"] == "cnn":
        layers, width = _cnn_features(spec, activation, dtype, init_rng)
    else:
        layers, width = [], math.prod(spec["input_shape"])
    for hidden in spec["hidden"]:
        layers += [nn.Linear(width, hidden, dtype=dtype, rng=init_rng), activation()]
        if spec["dropout"] > 0:
            layers.append(nn.Dropout(spec["dropout"], rng=dropout_rng))
        width = hidden
    layers.append(nn.Linear(width, spec["num_classes"], dtype=dtype, rng=init_rng))
    return nn.Sequential(*layers), dropout_rng


def describe(spec: dict) -> str:
    """A one-line architecture summary, e.g. 'mlp 64-128-128-10 tanh'."""
    if spec["model"] == "cnn":
        channels, height, width = spec["input_shape"]
        blocks = len(spec["channels"])
        flat = spec["channels"][-1] * (height >> blocks) * (width >> blocks)
        convs = ",".join(str(c) for c in spec["channels"])
        text = f"cnn {channels}x{height}x{width} conv[{convs}] fc {flat}"
    else:
        text = f"mlp {math.prod(spec['input_shape'])}"
    sizes = "".join(f"-{s}" for s in [*spec["hidden"], spec["num_classes"]])
    text += f"{sizes} {spec['activation']}"
    if spec["dropout"] > 0:
        text += f" dropout {spec['dropout']:g}"
    return text
