"""PyTorch's ``torch.nn.modules.<file>`` paths (``torch.nn.modules.rnn.LSTM``,
``from torch.nn.modules.loss import _Loss``, ``from torch.nn.modules.batchnorm import
_BatchNorm``, ``torch.nn.modules.utils._pair``): each a module registered under
``chainrule.torch.nn.modules.<file>`` holding the front end's classes of that file, and
the private base classes programs subclass or test with isinstance (chainrule.nn's own,
which every front-end layer derives from)."""

from __future__ import annotations

import collections.abc
import itertools
import sys
from types import ModuleType

from ... import nn as _cr_nn
from ...nn import conv as _conv
from ...nn import dropout as _dropout
from ...nn import loss as _loss
from ...nn import normalization as _norm
from ...nn import pooling as _pool

# Each file's public names, as PyTorch lays them out.
_FILES = {
    "activation": "Threshold ReLU RReLU Hardtanh ReLU6 Sigmoid Hardsigmoid Tanh SiLU Mish "
                  "Hardswish ELU CELU SELU GLU GELU Hardshrink LeakyReLU LogSigmoid "
                  "Softplus Softshrink MultiheadAttention PReLU Softsign Tanhshrink Softmin "
                  "Softmax Softmax2d LogSoftmax",
    "batchnorm": "BatchNorm1d LazyBatchNorm1d BatchNorm2d LazyBatchNorm2d BatchNorm3d "
                 "LazyBatchNorm3d SyncBatchNorm",
    "channelshuffle": "ChannelShuffle",
    "container": "Sequential ModuleList ModuleDict ParameterList ParameterDict",
    "conv": "Conv1d Conv2d Conv3d ConvTranspose1d ConvTranspose2d ConvTranspose3d "
            "LazyConv1d LazyConv2d LazyConv3d LazyConvTranspose1d LazyConvTranspose2d "
            "LazyConvTranspose3d",
    "distance": "PairwiseDistance CosineSimilarity",
    "dropout": "Dropout Dropout1d Dropout2d Dropout3d AlphaDropout FeatureAlphaDropout",
    "flatten": "Flatten Unflatten",
    "fold": "Fold Unfold",
    "instancenorm": "InstanceNorm1d InstanceNorm2d InstanceNorm3d LazyInstanceNorm1d "
                    "LazyInstanceNorm2d LazyInstanceNorm3d",
    "linear": "Bilinear Identity LazyLinear Linear",
    "loss": "L1Loss NLLLoss PoissonNLLLoss GaussianNLLLoss KLDivLoss MSELoss BCELoss "
            "BCEWithLogitsLoss HingeEmbeddingLoss MultiLabelMarginLoss SmoothL1Loss "
            "HuberLoss SoftMarginLoss CrossEntropyLoss MultiLabelSoftMarginLoss "
            "CosineEmbeddingLoss MarginRankingLoss MultiMarginLoss TripletMarginLoss "
            "TripletMarginWithDistanceLoss CTCLoss",
    "module": "Module",
    "normalization": "LocalResponseNorm LayerNorm GroupNorm RMSNorm",
    "padding": "CircularPad1d CircularPad2d CircularPad3d ConstantPad1d ConstantPad2d "
               "ConstantPad3d ReflectionPad1d ReflectionPad2d ReflectionPad3d "
               "ReplicationPad1d ReplicationPad2d ReplicationPad3d ZeroPad1d ZeroPad2d "
               "ZeroPad3d",
    "pixelshuffle": "PixelShuffle PixelUnshuffle",
    "pooling": "MaxPool1d MaxPool2d MaxPool3d MaxUnpool1d MaxUnpool2d AvgPool1d AvgPool2d "
               "AvgPool3d LPPool1d LPPool2d LPPool3d AdaptiveMaxPool1d AdaptiveMaxPool2d "
               "AdaptiveMaxPool3d AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveAvgPool3d",
    "rnn": "RNNBase RNN LSTM GRU RNNCellBase RNNCell LSTMCell GRUCell",
    "sparse": "Embedding EmbeddingBag",
    "transformer": "Transformer TransformerEncoder TransformerDecoder "
                   "TransformerEncoderLayer TransformerDecoderLayer",
    "upsampling": "Upsample UpsamplingNearest2d UpsamplingBilinear2d",
}

# The private bases programs import from those files, as chainrule.nn's classes.
_PRIVATE = {
    "loss": {"_Loss": _loss._Loss, "_WeightedLoss": _loss._WeightedLoss},
    "batchnorm": {"_BatchNorm": _norm._BatchNorm, "_NormBase": _norm._NormBase},
    "instancenorm": {"_InstanceNorm": _norm._InstanceNorm},
    "conv": {"_ConvNd": _conv._ConvNd, "_ConvTransposeNd": _conv._ConvTranspose},
    "pooling": {"_MaxPoolNd": _pool._MaxPool, "_LPPoolNd": _pool._LPPool},
    "dropout": {"_DropoutNd": _dropout._DropoutBase},
}


def _ntuple(n, name="parse"):
    """PyTorch's torch.nn.modules.utils._ntuple: an int repeated n times, an iterable as a
    tuple."""
    def parse(x):
        if isinstance(x, collections.abc.Iterable):
            return tuple(x)
        return tuple(itertools.repeat(x, n))

    parse.__name__ = name
    return parse


def consume_prefix_in_state_dict_if_present(state_dict, prefix):
    """Strip ``prefix`` from the keys that start with it, in place (DataParallel's
    'module.')."""
    for key in sorted(state_dict.keys()):
        if key.startswith(prefix):
            state_dict[key[len(prefix):]] = state_dict.pop(key)


def register(nn_namespace, modules_module):
    """Register the file modules under ``modules_module`` (chainrule.torch.nn.modules),
    taking classes from ``nn_namespace`` (chainrule.torch.nn's globals)."""
    every = {}
    for file, names in _FILES.items():
        module = ModuleType(f"{modules_module.__name__}.{file}")
        for name in names.split():
            cls = nn_namespace.get(name, getattr(_cr_nn, name, None))
            if cls is not None:
                setattr(module, name, cls)
                every[name] = cls
        for name, cls in _PRIVATE.get(file, {}).items():
            setattr(module, name, cls)
        if file == "linear":  # (the class of PyTorch's MultiheadAttention.out_proj)
            module.NonDynamicallyQuantizableLinear = type(
                "NonDynamicallyQuantizableLinear", (module.Linear,),
                {"__module__": module.__name__, "__doc__": "A Linear layer (PyTorch's "
                 "name for MultiheadAttention's output projection)."})
        sys.modules[module.__name__] = module
        setattr(modules_module, file, module)
    utils = ModuleType(f"{modules_module.__name__}.utils")
    utils._single, utils._pair = _ntuple(1, "_single"), _ntuple(2, "_pair")
    utils._triple, utils._quadruple = _ntuple(3, "_triple"), _ntuple(4, "_quadruple")
    utils._ntuple = _ntuple
    utils.consume_prefix_in_state_dict_if_present = consume_prefix_in_state_dict_if_present
    sys.modules[utils.__name__] = utils
    modules_module.utils = utils
    for name, cls in every.items():  # (torch.nn.modules.Linear too)
        if not hasattr(modules_module, name):
            setattr(modules_module, name, cls)
