"""Optimizers, learning-rate schedules and gradient clipping.

    opt = chainrule.optim.Adam(model.parameters(), lr=1e-3)
    loss.backward(); opt.step(); opt.zero_grad()

State dicts split into arrays (``"state"``) and JSON-able hyperparameters
(``"param_groups"``), the two halves :func:`chainrule.io.save_checkpoint` stores.
"""

from . import lr_scheduler, swa_utils
from .adaptive import Adadelta, Adafactor, Adamax, NAdam, RAdam
from .classic import ASGD, Rprop
from .lbfgs import LBFGS
from .optimizer import Optimizer
from .optimizers import SGD, Adagrad, Adam, AdamW, RMSprop
from .utils import clip_grad_norm_, clip_grad_value_

__all__ = [
    "ASGD",
    "LBFGS",
    "Rprop",
    "SGD",
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "clip_grad_norm_",
    "clip_grad_value_",
    "lr_scheduler",
]
