"""Learning-rate schedules, PyTorch's ``torch.optim.lr_scheduler`` names and semantics.

Call ``scheduler.step()`` after ``optimizer.step()`` (once per epoch, or per batch for
CyclicLR and OneCycleLR; ``step(metric)`` for ReduceLROnPlateau). How the schedules
chain and resume: :mod:`chainrule.optim.scheduler`.
"""

from .composite_schedules import ChainedScheduler, ReduceLROnPlateau, SequentialLR
from .cyclic_schedules import CyclicLR, OneCycleLR
from .decay_schedules import (
    ConstantLR,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiplicativeLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)
from .scheduler import LRScheduler

__all__ = [
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
]
