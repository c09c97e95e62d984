"""Neural-network building blocks: modules, layers, activations, losses, initializers.

    import chainrule.nn as nn
    model = nn.Sequential(nn.Linear(64, 64, rng=0), nn.Tanh(), nn.Linear(64, 10, rng=1))
    loss = nn.CrossEntropyLoss()(model(x), y)

Parameter names, shapes and layouts follow PyTorch, so ``model.state_dict()`` saved
with :func:`chainrule.io.save` loads into the equivalent PyTorch model and back.
"""

from . import functional, init
from .activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh
from .conv import AvgPool2d, Conv2d, MaxPool2d
from .layers import (
    BatchNorm1d,
    Dropout,
    Embedding,
    Flatten,
    Identity,
    LayerNorm,
    Linear,
    ModuleList,
    Sequential,
)
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import IncompatibleKeys, Module, Parameter, StateDictError

__all__ = [
    "AvgPool2d",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "Conv2d",
    "CrossEntropyLoss",
    "Dropout",
    "ELU",
    "Embedding",
    "Flatten",
    "GELU",
    "Identity",
    "IncompatibleKeys",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "MaxPool2d",
    "Module",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "StateDictError",
    "Tanh",
    "functional",
    "init",
]
