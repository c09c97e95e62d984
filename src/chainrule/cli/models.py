"""Building the command line's networks from a model specification.

A specification is a small JSON-able dict (kind, input shape, layer sizes, activation,
dropout, classes, dtype) stored in every checkpoint, so a checkpoint file alone is enough
to rebuild the network it holds.
"""

from __future__ import annotations

import math
import os

import numpy as np

from .. import nn
from .errors import UsageError
from .text_models import (
    TEXT_MODELS,
    build_text_model,
    check_widths,
    describe_text,
    text_spec,
)
from .text_models import parameter_shapes as text_parameter_shapes

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "gelu": nn.GELU}
INIT_STREAM = 1  # SeedSequence word that separates the init stream from other seeded draws
DROPOUT_STREAM = 2
DTYPES = ("float32", "float64")


def spec_from_config(config: dict, input_shape: list[int], num_classes: int) -> dict:
    """The model specification of a run: everything needed to rebuild its network."""
    if config["model"] in TEXT_MODELS:
        return text_spec(config, num_classes)
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


def check_spec(spec) -> None:
    """Raise ValueError unless ``spec`` is a well-formed model specification.

    Used on specifications read from checkpoints, which may be corrupted or hostile:
    every field is checked for type and range before anything is built from it.
    """
    if not isinstance(spec, dict):
        raise ValueError(f"model_spec must be a table, got {type(spec).__name__}")

    def sizes(key: str, length: int | None = None) -> None:
        value = spec.get(key)
        if (
            not isinstance(value, list)
            or not value
            or (length is not None and len(value) != length)
            or not all(_is_positive_int(v) for v in value)
        ):
            wanted = f"{length} positive integers" if length else "a list of positive integers"
            raise ValueError(f"model_spec {key} must be {wanted}, got {value!r}")

    if spec.get("model") not in ("mlp", "cnn", *TEXT_MODELS):
        raise ValueError(f"model_spec model must be one of mlp, cnn, lstm, gpt, got "
                         f"{spec.get('model')!r}")
    sizes("input_shape", 3 if spec["model"] == "cnn" else 1)
    sizes("hidden")
    if spec["model"] == "cnn":
        sizes("channels")
    if spec["model"] in TEXT_MODELS:
        check_widths(spec)
    if spec["model"] not in TEXT_MODELS and spec.get("activation") not in ACTIVATIONS:
        raise ValueError(f"model_spec activation {spec.get('activation')!r} is not one of "
                         f"{', '.join(ACTIVATIONS)}")
    dropout = spec.get("dropout")
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise ValueError(f"model_spec dropout must be a number in [0, 1), got {dropout!r}")
    if not _is_positive_int(spec.get("num_classes")) or spec["num_classes"] < 2:
        raise ValueError(f"model_spec num_classes must be an integer >= 2, got "
                         f"{spec.get('num_classes')!r}")
    if spec.get("dtype") not in DTYPES:
        raise ValueError(f"model_spec dtype must be one of {', '.join(DTYPES)}, got "
                         f"{spec.get('dtype')!r}")


def _is_positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _plan(spec: dict) -> list[tuple]:
    """The layers of ``spec`` as plain tuples, e.g. ``("linear", 64, 128)``: no arrays.

    One description serves :func:`parameter_shapes` (which must not allocate) and
    :func:`build_model`, so the two cannot disagree.
    """
    layers: list[tuple] = []
    if spec["model"] == "cnn":
        channels, height, width = spec["input_shape"]
        for out_channels in spec["channels"]:
            if height < 2 or width < 2:
                raise UsageError(
                    f"--model cnn: {len(spec['channels'])} conv blocks halve "
                    f"{spec['input_shape'][1]}x{spec['input_shape'][2]} images below 1x1; "
                    "use fewer --channels"
                )
            layers += [("conv", channels, out_channels), ("activation",), ("pool",)]
            channels, height, width = out_channels, height // 2, width // 2
        layers.append(("flatten",))
        features = channels * height * width
    else:
        features = math.prod(spec["input_shape"])
    for hidden in spec["hidden"]:
        layers += [("linear", features, hidden), ("activation",)]
        if spec["dropout"] > 0:
            layers.append(("dropout",))
        features = hidden
    layers.append(("linear", features, spec["num_classes"]))
    return layers


def parameter_shapes(spec: dict) -> dict[str, tuple[int, ...]]:
    """The state-dict names and shapes of the network of ``spec``, computed, not built."""
    if spec["model"] in TEXT_MODELS:
        return text_parameter_shapes(spec)
    shapes = {}
    for index, layer in enumerate(_plan(spec)):
        if layer[0] == "linear":
            _, fan_in, fan_out = layer
            shapes[f"{index}.weight"] = (fan_out, fan_in)
            shapes[f"{index}.bias"] = (fan_out,)
        elif layer[0] == "conv":
            _, fan_in, fan_out = layer
            shapes[f"{index}.weight"] = (fan_out, fan_in, 3, 3)
            shapes[f"{index}.bias"] = (fan_out,)
    return shapes


# Arrays of a parameter's size that training holds: the weights, their gradient, the
# optimizer's two moments and its scratch, with room for the forward's activations.
_TRAINING_COPIES = 6


def check_trainable_size(spec: dict) -> None:
    """Refuse a network whose training would not fit in this machine's memory."""
    count = sum(math.prod(shape) for shape in parameter_shapes(spec).values())
    need = count * np.dtype(spec["dtype"]).itemsize * _TRAINING_COPIES
    try:
        memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # not POSIX: let the allocation decide
        return
    if need > memory:
        raise UsageError(
            f"the network would have {count:,} parameters; training it needs about "
            f"{need / 2**30:,.1f} GiB but this machine has {memory / 2**30:,.1f} GiB of memory; "
            "use smaller --hidden (or --channels)"
        )


def build_model(spec: dict, seed: int = 0) -> tuple[nn.Module, np.random.Generator]:
    """Build the network of ``spec``, initialized from ``seed``.

    mlp: Linear -> activation [-> Dropout] per hidden width, then Linear to the classes.
    cnn: Conv 3x3 (same padding) + activation + 2x2 max-pool blocks, then the same fully
    connected head. The model outputs logits; the loss applies log-softmax. Returns the
    model and the generator its Dropout layers draw masks from (its state belongs in
    checkpoints).
    """
    dtype = np.dtype(spec["dtype"])
    init_rng = np.random.default_rng([seed, INIT_STREAM])
    dropout_rng = np.random.default_rng([seed, DROPOUT_STREAM])
    if spec["model"] in TEXT_MODELS:
        return build_text_model(spec, init_rng, dropout_rng), dropout_rng
    activation = ACTIVATIONS[spec["activation"]]
    layers = []
    for layer in _plan(spec):
        kind = layer[0]
        if kind == "linear":
            layers.append(nn.Linear(layer[1], layer[2], dtype=dtype, rng=init_rng))
        elif kind == "conv":
            layers.append(nn.Conv2d(layer[1], layer[2], 3, padding=1, dtype=dtype, rng=init_rng))
        elif kind == "activation":
            layers.append(activation())
        elif kind == "pool":
            layers.append(nn.MaxPool2d(2))
        elif kind == "flatten":
            layers.append(nn.Flatten())
        else:
            layers.append(nn.Dropout(spec["dropout"], rng=dropout_rng))
    return nn.Sequential(*layers), dropout_rng


def describe(spec: dict) -> str:
    """A one-line architecture summary, e.g. 'mlp 64-128-128-10 tanh'."""
    if spec["model"] in TEXT_MODELS:
        return describe_text(spec)
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
